//! `--as-of DAY` of the commands on a store: the ledgers as the store held them at the
//! end of the day — held against the same command on a copy of the store made before
//! the day's edits.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use axum::http::Method;
use common::edit::{config, edit_ok as edit, gpkg_state, shift};
use common::{get, json, riskmap, send};
use riskmap_core::model::Day;
use riskmap_server::server::routes::router;
use serde_json::json;

/// The lines of a list written by `riskmap lists`, sorted (the rows' order among equals
/// is not what is compared).
fn rows(dir: &Path, file: &str) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join(file)).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines.sort();
    lines
}

fn lists(store: &Path, day: Day, out: &Path) -> String {
    let o = riskmap(&[
        "lists",
        store.to_str().unwrap(),
        "--as-of",
        &day.to_string(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_as_of_yesterday_are_those_of_the_store_as_it_stood() {
    let dir = tempfile::tempdir().unwrap();
    let state = gpkg_state(dir.path(), config());
    let app = router(state.clone());
    let gpkg = dir.path().join("city.gpkg");
    let before = dir.path().join("before.gpkg");
    std::fs::copy(&gpkg, &before).unwrap();
    let snap = state.snapshot();
    let ids: Vec<String> = [10, 42, 1200, 7]
        .iter()
        .map(|&i| snap.dataset().houses.get(i).unwrap().id.clone())
        .collect();
    drop(snap);
    // Today: two houses found dangerous, one moved, one deleted.
    let uri = |id: &str| format!("/api/layers/houses/features/{id}");
    let raise = json!({"type": "Feature", "properties": {"appraisal": "D", "occupants": 12}});
    for id in &ids[..2] {
        edit(&app, Method::PATCH, &uri(id), Some(&raise)).await;
    }
    let (_, _, b) = send(&app, get(&uri(&ids[2]))).await;
    let mut geom = json(&b)["feature"]["geometry"].clone();
    shift(&mut geom["coordinates"], 0.02);
    let moved = json!({"type": "Feature", "geometry": geom, "properties": {}});
    edit(&app, Method::PATCH, &uri(&ids[2]), Some(&moved)).await;
    edit(&app, Method::DELETE, &uri(&ids[3]), None).await;

    let yesterday = Day::today().plus_days(-1);
    let (ours, theirs, today) = (
        dir.path().join("ours"),
        dir.path().join("theirs"),
        dir.path().join("today"),
    );
    let said = lists(&gpkg, yesterday, &ours);
    assert!(
        said.contains("4 change records after") && said.contains("taken back"),
        "{said}"
    );
    let said = lists(&before, yesterday, &theirs);
    assert!(!said.contains("taken back"), "{said}");
    lists(&gpkg, Day::today(), &today);
    for f in ["风险清单.csv", "隐患清单.csv"] {
        assert_eq!(rows(&ours, f), rows(&theirs, f), "{f}");
    }
    // Today's list has the day's edits: the comparison is not of two equal stores.
    assert_ne!(rows(&today, "风险清单.csv"), rows(&theirs, "风险清单.csv"));
    // A folder keeps no history: nothing is taken back.
    let said = lists(common::city(), yesterday, &dir.path().join("folder"));
    assert!(!said.contains("taken back"), "{said}");

    // The report's change since last month: the houses at 重大 at its end are the copy's.
    let ours = report(&gpkg, &dir.path().join("ours.html"));
    let theirs = report(&before, &dir.path().join("theirs.html"));
    let folder = report(common::city(), &dir.path().join("folder.html"));
    let (now, last) = major_houses(&ours);
    assert_eq!(last, major_houses(&theirs).0);
    assert!(now >= last + 2, "{now} {last}");
    // Nothing changed in the copy since its import: the same at both ends, and exact.
    assert_eq!(major_houses(&theirs).0, major_houses(&theirs).1);
    for html in [&ours, &theirs] {
        assert!(!html.contains("台账的其他变更未回溯"));
    }
    assert!(folder.contains("台账的其他变更未回溯"));
}

fn report(store: &Path, out: &Path) -> String {
    common::ok(&[
        "report",
        store.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    std::fs::read_to_string(out).unwrap()
}

/// The report's 重大风险自建房 this month and last month.
fn major_houses(html: &str) -> (u32, u32) {
    let row = html
        .split("<tr><th>期末重大风险自建房</th>")
        .nth(1)
        .expect("the row of the houses at 重大");
    let cells: Vec<u32> = row
        .split("<td>")
        .skip(1)
        .take(2)
        .map(|c| c.split('<').next().unwrap().parse().unwrap())
        .collect();
    (cells[0], cells[1])
}
