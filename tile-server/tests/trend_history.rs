//! A trend's levels at each month's end on a store's server: the houses as the store held
//! them that day, taken back over its history — held against copies of the store made
//! at each of those days, analysed from scratch.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::sync::Arc;

use axum::http::{Method, StatusCode};
use common::edit::{config, edit_ok as edit, gpkg_state, serve_a_copy, shift};
use common::{get, json, send};
use riskmap_core::model::{Day, RiskLevel};
use riskmap_server::server::routes::router;
use riskmap_server::server::state::{AppState, DataSource, build_snapshot};
use serde_json::{Value, json};

/// Houses per level (major first) of a copy of the store, analysed from scratch: the
/// district's, and per area id.
fn copy_levels(path: &Path) -> ([u32; 4], Vec<(String, [u32; 4])>) {
    let snap = build_snapshot(&config(), &DataSource::dir(path), 1).unwrap();
    let (ds, a) = (snap.dataset(), snap.analysis());
    let slot = |l: RiskLevel| match l {
        RiskLevel::Major => 0,
        RiskLevel::Significant => 1,
        RiskLevel::General => 2,
        RiskLevel::Low => 3,
    };
    let mut district = [0u32; 4];
    for h in &a.house_risks {
        district[slot(h.level)] += 1;
    }
    let areas = ds
        .areas
        .features()
        .iter()
        .zip(&a.area_summaries)
        .map(|(f, s)| {
            let [low, general, significant, major] = s.houses;
            (f.id.clone(), [major, significant, general, low])
        })
        .collect();
    (district, areas)
}

/// The highest change record's seq of a store.
fn last_seq(path: &Path) -> i64 {
    let c = rusqlite::Connection::open(path).unwrap();
    c.query_row("SELECT MAX(seq) FROM riskmap_changes", [], |r| r.get(0))
        .unwrap()
}

/// Dates a store's trail: the import on `import`, the edits up to seq `s1` on `d1`, those
/// up to `s2` on `d2` (noon in UTC+8).
fn backdate(path: &Path, import: Day, (s1, d1): (i64, Day), (s2, d2): (i64, Day)) {
    let c = rusqlite::Connection::open(path).unwrap();
    let at = |d: Day| format!("{d}T04:00:00.000Z");
    c.execute(
        "UPDATE riskmap_changes SET at = ?1 WHERE actor = 'import'",
        [at(import)],
    )
    .unwrap();
    for (lo, hi, d) in [(0, s1, d1), (s1, s2, d2)] {
        let n = c
            .execute(
                "UPDATE riskmap_changes SET at = ?1 WHERE actor != 'import' AND seq > ?2 AND seq <= ?3",
                rusqlite::params![at(d), lo, hi],
            )
            .unwrap();
        assert!(n > 0, "no edits up to seq {hi}");
    }
}

/// The 15th of the month `back` months before this one.
fn mid_month(back: i32) -> Day {
    let (y, m, _) = Day::today().ymd();
    let total = y * 12 + i32::from(m) - 1 - back;
    Day::new(total.div_euclid(12), (total.rem_euclid(12) + 1) as u8, 15).unwrap()
}

/// The ids of the first `n` houses at the lowest level served by `state`.
fn lowest(state: &AppState, n: usize) -> Vec<String> {
    let snap = state.snapshot();
    snap.dataset()
        .houses
        .features()
        .iter()
        .zip(&snap.analysis().house_risks)
        .filter(|(_, r)| r.level == RiskLevel::Low)
        .map(|(f, _)| f.id.clone())
        .take(n)
        .collect()
}

async fn trend(app: &axum::Router, area: Option<&str>) -> Value {
    let q = area.map_or(String::new(), |a| format!("&area={a}"));
    let (s, _, b) = send(app, get(&format!("/api/hidden/trend?months=4{q}"))).await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    json(&b)
}

fn houses(t: &Value) -> Vec<[u32; 4]> {
    t["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| serde_json::from_value(m["houses_by_level"].clone()).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trend_counts_each_months_houses_as_the_store_held_them() {
    let dir = tempfile::tempdir().unwrap();
    let state = gpkg_state(dir.path(), config());
    let app = router(state.clone());
    let gpkg = dir.path().join("city.gpkg");
    let snap = state.snapshot();
    let ds = snap.dataset();
    // Houses of the lowest level, to be raised; one to move out of its town, one to delete.
    let low = lowest(&state, 5);
    let areas: Vec<String> = ds.areas.features().iter().map(|f| f.id.clone()).collect();
    drop(snap);
    let uri = |id: &str| format!("/api/layers/houses/features/{id}");
    let raise = json!({"type": "Feature", "properties": {"appraisal": "D"}});

    // Two months ago: two houses found dangerous (D).
    let m0 = dir.path().join("m0.gpkg");
    std::fs::copy(&gpkg, &m0).unwrap();
    for id in &low[..2] {
        edit(&app, Method::PATCH, &uri(id), Some(&raise)).await;
    }
    let s1 = last_seq(&gpkg);
    let _ = serve_a_copy(dir.path(), "m1.gpkg");
    // Last month: a third raised, one moved 0.05° east, one deleted.
    edit(&app, Method::PATCH, &uri(&low[2]), Some(&raise)).await;
    let (_, _, b) = send(&app, get(&uri(&low[3]))).await;
    let mut geom = json(&b)["feature"]["geometry"].clone();
    shift(&mut geom["coordinates"], 0.05);
    let moved = json!({"type": "Feature", "geometry": geom, "properties": {"appraisal": "D"}});
    edit(&app, Method::PATCH, &uri(&low[3]), Some(&moved)).await;
    edit(&app, Method::DELETE, &uri(&low[4]), None).await;
    let s2 = last_seq(&gpkg);
    let _ = serve_a_copy(dir.path(), "m2.gpkg");
    backdate(&gpkg, mid_month(4), (s1, mid_month(2)), (s2, mid_month(1)));

    // The months: three before this one, and this one to today.
    let want: Vec<_> = ["m0.gpkg", "m1.gpkg", "m2.gpkg", "m2.gpkg"]
        .iter()
        .map(|f| copy_levels(&dir.path().join(f)))
        .collect();
    // The store's houses did change from month to month.
    assert_ne!(want[0].0, want[1].0);
    assert_ne!(want[1].0, want[2].0);
    let t = trend(&app, None).await;
    assert_eq!(t["levels_by_month"], true, "{t}");
    assert_eq!(t["history_left_out"], 0);
    assert!(t["levels_taken_back"].as_u64().unwrap() >= 5, "{t}");
    let district: Vec<[u32; 4]> = want.iter().map(|w| w.0).collect();
    assert_eq!(houses(&t), district);
    // Each town's, month by month (the later ones from the walk kept for the first).
    assert!(areas.len() >= 2, "{areas:?}");
    let mut changed = 0;
    for id in &areas {
        let t = trend(&app, Some(id)).await;
        let of: Vec<[u32; 4]> = want
            .iter()
            .map(|w| w.1.iter().find(|(a, _)| a == id).unwrap().1)
            .collect();
        assert_eq!(houses(&t), of, "{id}");
        changed += usize::from(of.windows(2).any(|w| w[0] != w[1]));
    }
    assert!(changed >= 1, "no town's houses changed");

    // The report of last month's end: its change since the month before, from the two
    // months' own maps; without them it would say no change.
    let end = Day::new(mid_month(0).ymd().0, mid_month(0).ymd().1, 1)
        .unwrap()
        .plus_days(-1);
    let (s, _, b) = send(&app, get(&format!("/api/report.html?as_of={end}"))).await;
    assert_eq!(s, StatusCode::OK);
    let html = String::from_utf8(b.to_vec()).unwrap();
    let (now, before) = (district[2][0], district[1][0]);
    let row = format!(
        "<tr><th>期末重大风险自建房</th><td>{now}</td><td>{before}</td><td>+{}</td></tr>",
        now - before
    );
    assert!(html.contains(&row), "{row} not in the report");
    assert!(!html.contains("台账的其他变更未回溯"));

    // Without a copy (none allowed): the houses of every month are today's, and the
    // answer counts the features left as they are.
    let snap = build_snapshot(&config(), &DataSource::dir(&gpkg), 1).unwrap();
    let cfg = riskmap_server::server::config::ServerConfig {
        past_day_copies: false,
        ..config()
    };
    let no_copy = router(Arc::new(AppState::new(
        cfg,
        DataSource::dir(&gpkg),
        snap,
        None,
    )));
    let t = trend(&no_copy, None).await;
    assert_eq!(t["levels_by_month"], false, "{t}");
    assert_eq!(t["history_left_out"], 5, "{t}");
    assert_eq!(houses(&t), vec![district[3]; 4]);
    // Its report of last month's end: no copy to take back last month's changes.
    let (_, _, b) = send(&no_copy, get(&format!("/api/report.html?as_of={end}"))).await;
    assert!(
        String::from_utf8(b.to_vec())
            .unwrap()
            .contains("台账的其他变更未回溯")
    );
}

/// The lists `riskmap lists --db URL --as-of DAY` writes into `out`: each file's lines,
/// sorted.
fn db_lists(url: &str, day: Day, out: &Path) -> Vec<Vec<String>> {
    common::ok(&[
        "lists",
        "--db",
        url,
        "--as-of",
        &day.to_string(),
        "--out",
        out.to_str().unwrap(),
    ]);
    ["风险清单.csv", "隐患清单.csv"]
        .iter()
        .map(|f| {
            let mut l: Vec<String> = std::fs::read_to_string(out.join(f))
                .unwrap()
                .lines()
                .map(str::to_string)
                .collect();
            l.sort();
            l
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgis_stores_months_and_days_are_taken_back_from_its_change_table() {
    use common::pg::{connected, demo_db, serve_db, server, until};
    let Some(server) = server() else { return };
    let url = demo_db(&server, "riskmap_trend");
    let state = serve_db(&url, config()).await;
    let app = router(state.clone());
    until(&state, 10, "listening", connected).await;
    let low = lowest(&state, 3);
    let today = Day::today();
    let yesterday = today.plus_days(-1);
    let q = format!("/api/hidden/trend?months=2&as_of={today}");
    let dir = tempfile::tempdir().unwrap();
    let was_lists = db_lists(&url, yesterday, &dir.path().join("was"));
    let (_, _, b) = send(&app, get(&q)).await;
    let was = houses(&json(&b));
    assert_eq!(was[0], was[1], "nothing changed since last month yet");

    let raise = json!({"type": "Feature", "properties": {"appraisal": "D"}});
    for id in &low {
        let uri = format!("/api/layers/houses/features/{id}");
        edit(&app, Method::PATCH, &uri, Some(&raise)).await;
    }
    let (_, _, b) = send(&app, get(&q)).await;
    let t = json(&b);
    assert_eq!(t["levels_by_month"], true, "{t}");
    let now = houses(&t);
    // Last month's end: the store before today's edits; this month: with them.
    assert_eq!(now[0], was[0]);
    assert_eq!(now[1][0], was[1][0] + 3, "{now:?} {was:?}");
    // The commands' --as-of reads the same change table.
    assert_eq!(
        db_lists(&url, yesterday, &dir.path().join("ours")),
        was_lists
    );
    assert_ne!(
        db_lists(&url, today, &dir.path().join("today"))[0],
        was_lists[0]
    );
}
