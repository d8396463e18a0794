//! The map of a past day on a store-backed server: the store's changes since the day are
//! taken back, so that the day's tiles and figures are those of the ledgers as they
//! stood — held against a second server reading a copy of the store made before the
//! changes, analysed from scratch.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use common::edit::{config, edit_ok as edit, gpkg_state, serve_a_copy, shift};
use common::{canonical_tile as tile, centre_tile, get, json, send};
use riskmap_core::model::{Day, LayerKind};
use riskmap_server::server::routes::router;
use riskmap_server::server::state::{AppState, DataSource, build_snapshot};
use serde_json::{Value, json};

/// A new hidden hazard through the API.
async fn add_hazard(app: &axum::Router, body: &Value) {
    edit(
        app,
        Method::POST,
        "/api/layers/hidden_hazards/features",
        Some(body),
    )
    .await;
}

fn first_vertex(g: &Value) -> (f64, f64) {
    let mut c = &g["coordinates"];
    while c[0].is_array() {
        c = &c[0];
    }
    (c[0].as_f64().unwrap(), c[1].as_f64().unwrap())
}

/// A GeoPackage of the test city served for edits, and a server of a copy of it made
/// before any: what a past day of the first must be.
fn store_and_its_copy(dir: &std::path::Path) -> (Arc<AppState>, axum::Router) {
    let state = gpkg_state(dir, config());
    let then_path = dir.join("then.gpkg");
    std::fs::copy(dir.join("city.gpkg"), &then_path).unwrap();
    let then_snap = build_snapshot(&config(), &DataSource::dir(&then_path), 1).unwrap();
    let then = router(Arc::new(AppState::new(
        config(),
        DataSource::dir(&then_path),
        then_snap,
        None,
    )));
    (state, then)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_past_day_of_a_store_is_its_ledgers_as_they_stood() {
    let dir = tempfile::tempdir().unwrap();
    let (state, then) = store_and_its_copy(dir.path());
    let app = router(state.clone());
    let snap = state.snapshot();
    let ds = snap.dataset();
    let (moved, raised, deleted) = (
        ds.houses.get(10).unwrap().id.clone(),
        ds.houses.get(42).unwrap().id.clone(),
        ds.houses.get(1200).unwrap().id.clone(),
    );
    let gone_at = {
        use geo::CoordsIter;
        let c = ds
            .houses
            .get(1200)
            .unwrap()
            .geometry
            .coords_iter()
            .next()
            .unwrap();
        centre_tile([c.x, c.y, c.x, c.y], 16)
    };
    // Yesterday: every change below is made after it ended (UTC+8).
    let day = Day::today().plus_days(-1);
    // An open hidden hazard overdue yesterday: its deadline moved past today.
    let states = riskmap_core::analysis::hidden_hazards::states_on(ds, day);
    let late = ds
        .hidden_hazards
        .features()
        .iter()
        .zip(&states)
        .find(|(_, s)| s.open && s.days_overdue.unwrap_or(0) > 0)
        .map(|(f, _)| f.id.clone())
        .expect("an overdue hidden hazard");
    let ent = ds.enterprises.get(3).unwrap().id.clone();
    drop(snap);

    let uri = |layer: &str, id: &str| format!("/api/layers/{layer}/features/{id}");
    let (_, _, b) = send(&app, get(&uri("houses", &moved))).await;
    let mut geom = json(&b)["feature"]["geometry"].clone();
    let (lon, lat) = first_vertex(&geom);
    shift(&mut geom["coordinates"], 0.02);
    let body = json!({"type": "Feature", "geometry": geom, "properties": {}});
    edit(&app, Method::PATCH, &uri("houses", &moved), Some(&body)).await;
    let body = json!({"type": "Feature", "properties": {"appraisal": "D", "occupants": 11}});
    edit(&app, Method::PATCH, &uri("houses", &raised), Some(&body)).await;
    edit(&app, Method::DELETE, &uri("houses", &deleted), None).await;
    let deadline = Day::today().plus_days(60).to_string();
    let body = json!({"type": "Feature", "properties": {"deadline": deadline}});
    edit(
        &app,
        Method::PATCH,
        &uri("hidden_hazards", &late),
        Some(&body),
    )
    .await;
    // Found today: not on yesterday's map. Found a month ago and entered today: on it.
    for (id, found) in [
        ("YH-TODAY", Day::today()),
        ("YH-LATE-ENTRY", Day::today().plus_days(-30)),
    ] {
        let body = json!({"type": "Feature", "geometry": null, "properties": {
            "id": id, "feature_layer": "enterprises", "feature_id": ent,
            "major": false, "description": "消防通道堵塞",
            "discovered": found.to_string(),
            "deadline": found.plus_days(10).to_string(), "status": "pending"}});
        add_hazard(&app, &body).await;
    }

    let layers: Vec<&str> = riskmap_core::tileset::TILE_LAYERS
        .iter()
        .map(|k: &LayerKind| k.name())
        .collect();
    let layers = layers.join(",");
    let (x12, y12) = centre_tile([lon, lat, lon, lat], 12);
    let (x16, y16) = centre_tile([lon, lat, lon, lat], 16);
    let mut differs_today = 0;
    for (z, x, y) in [(12, x12, y12), (16, x16, y16), (14, x16 / 4, y16 / 4)] {
        let t = format!("/tiles/{layers}/{z}/{x}/{y}.mvt");
        let past = tile(&app, &format!("{t}?as_of={day}")).await;
        let mut want = tile(&then, &format!("{t}?as_of={day}")).await;
        // Entered late, found before the day: the one difference from the old store.
        let late_entry = past
            .get("hidden_hazards")
            .is_some_and(|f| f.iter().any(|s| s.contains("YH-LATE-ENTRY")));
        if late_entry {
            let mut ours = past.clone();
            ours.get_mut("hidden_hazards")
                .unwrap()
                .retain(|s| !s.contains("YH-LATE-ENTRY"));
            assert_eq!(ours, want, "z{z} {x}/{y} as of {day}");
        } else {
            // At zooms where hidden hazards are clustered the late entry counts in its
            // cluster: compare the other layers.
            let mut ours = past.clone();
            ours.remove("hidden_hazards");
            want.remove("hidden_hazards");
            assert_eq!(ours, want, "z{z} {x}/{y} as of {day}");
        }
        assert!(!past.values().all(Vec::is_empty), "z{z}: an empty tile");
        if tile(&app, &t).await != tile(&then, &t).await {
            differs_today += 1;
        }
    }
    // Today the changes are on the map: the comparison above is not of two equal stores.
    assert!(differs_today >= 2, "{differs_today}");
    // Houses changed: the whole snapshot was copied and taken back.
    assert_eq!(metric(&app, "riskmap_dated_copies_total").await, 1);

    // The towns' hidden-hazard figures of the day: those of the old store, but for the
    // hazard entered late.
    let (s, _, b) = send(&app, get(&format!("/api/hidden/areas?as_of={day}"))).await;
    assert_eq!(s, StatusCode::OK);
    let ours = json(&b);
    let (_, _, b) = send(&then, get(&format!("/api/hidden/areas?as_of={day}"))).await;
    let theirs = json(&b);
    assert_eq!(theirs["history_taken_back"], 0);
    assert_eq!(ours["history_kept"], true);
    assert_eq!(ours["history_left_out"], 0);
    assert_eq!(ours["history_taken_back"], 6, "{ours}");
    let district = |v: &Value, k: &str| {
        v["areas"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == "")
            .map(|a| a["counts"][k].as_u64().unwrap())
            .unwrap()
    };
    // Found 30 days before today, due 20 days before: open and overdue yesterday. The
    // hazard whose deadline moved was overdue yesterday in both.
    for k in ["found", "open", "overdue"] {
        assert_eq!(district(&ours, k), district(&theirs, k) + 1, "{k}");
    }
    // The deleted house was there yesterday: its popup's hazards answer for the day.
    let (s, _, _) = send(
        &app,
        get(&format!("/api/hidden/of/houses/{deleted}?as_of={day}")),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, _) = send(&app, get(&format!("/api/hidden/of/houses/{deleted}"))).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Its popup on yesterday's map: the id the day's tile gives it names it on that day.
    let (x, y) = gone_at;
    let (_, _, body) = send(
        &app,
        get(&format!("/tiles/houses/16/{x}/{y}.mvt?as_of={day}")),
    )
    .await;
    let t = riskmap_tests::mvt_check::decode(&body).unwrap();
    let mut named = Vec::new();
    for f in &t.layer("houses").unwrap().features {
        let uri = format!("/api/feature/houses/{}?as_of={day}", f.id.unwrap());
        let (s, _, b) = send(&app, get(&uri)).await;
        assert_eq!(s, StatusCode::OK, "{uri}");
        named.push(json(&b)["id"].as_str().unwrap().to_string());
    }
    assert!(named.contains(&deleted), "{deleted} not among {named:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_past_day_of_a_postgis_store_is_read_from_its_change_table() {
    use common::pg::{connected, demo_db, serve_db, server, until};
    use geo::CoordsIter;
    let Some(server) = server() else { return };
    let url = demo_db(&server, "riskmap_history");
    let state = serve_db(&url, config()).await;
    let app = router(state.clone());
    until(&state, 10, "listening", connected).await;
    let snap = state.snapshot();
    let ds = snap.dataset();
    let (moved, raised) = (
        ds.houses.get(10).unwrap().clone(),
        ds.houses.get(11).unwrap().id.clone(),
    );
    drop(snap);
    let c = moved.geometry.coords_iter().next().unwrap();
    let day = Day::today().plus_days(-1);
    let layers = "risk_grid,houses,pipeline_conflicts,protection_conflicts";
    let tiles: Vec<String> = [12u8, 15, 16]
        .into_iter()
        .map(|z| {
            let (x, y) = centre_tile([c.x, c.y, c.x, c.y], z);
            format!("/tiles/{layers}/{z}/{x}/{y}.mvt")
        })
        .collect();
    // Yesterday's and today's map before the changes, from the data as read.
    let mut was_past = Vec::new();
    let mut was_today = Vec::new();
    for t in &tiles {
        was_past.push(tile(&app, &format!("{t}?as_of={day}")).await);
        was_today.push(tile(&app, t).await);
    }
    let list = format!("/api/lists/risk.csv?as_of={day}");
    let (_, _, was_list) = send(&app, get(&list)).await;
    let (_, _, was_list_today) = send(&app, get("/api/lists/risk.csv")).await;
    let uri = |id: &str| format!("/api/layers/houses/features/{id}");
    let (_, _, b) = send(&app, get(&uri(&moved.id))).await;
    let mut geom = json(&b)["feature"]["geometry"].clone();
    shift(&mut geom["coordinates"], 0.01);
    let body = json!({"type": "Feature", "geometry": geom, "properties": {}});
    edit(&app, Method::PATCH, &uri(&moved.id), Some(&body)).await;
    let body = json!({"type": "Feature", "properties": {"appraisal": "D", "occupants": 11}});
    edit(&app, Method::PATCH, &uri(&raised), Some(&body)).await;

    let mut differs_today = 0;
    for (i, t) in tiles.iter().enumerate() {
        let past = tile(&app, &format!("{t}?as_of={day}")).await;
        assert_eq!(past, was_past[i], "{t} as of {day}");
        if tile(&app, t).await != was_today[i] {
            differs_today += 1;
        }
    }
    assert!(differs_today >= 2, "{differs_today}");
    let (_, _, b) = send(&app, get(&format!("/api/hidden/areas?as_of={day}"))).await;
    assert_eq!(json(&b)["history_taken_back"], 2);
    // The risk list of the day: the one made before the changes; today's has the D-grade
    // house.
    let (_, _, list_now) = send(&app, get(&list)).await;
    assert_eq!(
        String::from_utf8_lossy(&list_now),
        String::from_utf8_lossy(&was_list)
    );
    let (_, _, today) = send(&app, get("/api/lists/risk.csv")).await;
    assert_ne!(today, was_list_today);
    assert!(String::from_utf8_lossy(&today).contains(raised.as_str()));
}

/// A counter of `/metrics`.
async fn metric(app: &axum::Router, name: &str) -> u64 {
    let (_, _, b) = send(app, get("/metrics")).await;
    let text = String::from_utf8(b).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in /metrics"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hidden_hazards_changed_since_are_taken_back_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let (state, then) = store_and_its_copy(dir.path());
    let app = router(state.clone());
    let day = Day::today().plus_days(-1);
    let snap = state.snapshot();
    let ds = snap.dataset();
    let states = riskmap_core::analysis::hidden_hazards::states_on(ds, day);
    let open: Vec<(String, Option<String>, (f64, f64))> = ds
        .hidden_hazards
        .features()
        .iter()
        .zip(&states)
        .filter(|(_, s)| s.open)
        .map(|(f, _)| {
            use geo::CoordsIter;
            let c = f.geometry.coords_iter().next().unwrap();
            (
                f.id.clone(),
                f.props.feature_id.as_deref().map(str::to_string),
                (c.x, c.y),
            )
        })
        .take(2)
        .collect();
    assert_eq!(open.len(), 2);
    drop(snap);
    let uri = |id: &str| format!("/api/layers/hidden_hazards/features/{id}");
    // Due in two months now; rectified today.
    let far = Day::today().plus_days(60).to_string();
    let body = json!({"type": "Feature", "properties": {"deadline": far}});
    edit(&app, Method::PATCH, &uri(&open[0].0), Some(&body)).await;
    let today = Day::today().to_string();
    let body = json!({"type": "Feature", "properties": {
        "status": "rectified", "rectified": today, "measures": "已更换"}});
    edit(&app, Method::PATCH, &uri(&open[1].0), Some(&body)).await;
    // Found today at the first one's feature.
    let body = json!({"type": "Feature", "geometry": null, "properties": {
        "id": "YH-NEW", "feature_layer": "enterprises",
        "feature_id": state.snapshot().dataset().enterprises.get(0).unwrap().id,
        "major": true, "description": "可燃气体报警器失效",
        "discovered": today, "deadline": Day::today().plus_days(5).to_string(),
        "status": "pending"}});
    add_hazard(&app, &body).await;

    for (_, _, (lon, lat)) in &open {
        for z in [13u8, 16] {
            let (x, y) = centre_tile([*lon, *lat, *lon, *lat], z);
            let t = format!("/tiles/areas,risk_grid,enterprises,hidden_hazards/{z}/{x}/{y}.mvt");
            let ours = tile(&app, &format!("{t}?as_of={day}")).await;
            let theirs = tile(&then, &format!("{t}?as_of={day}")).await;
            assert_eq!(ours, theirs, "{t} as of {day}");
        }
    }
    for q in ["/api/hidden/areas", "/api/hidden/trend?months=3"] {
        let sep = if q.contains('?') { '&' } else { '?' };
        let u = format!("{q}{sep}as_of={day}");
        let (_, _, a) = send(&app, get(&u)).await;
        let (_, _, b) = send(&then, get(&u)).await;
        let (mut a, mut b) = (json(&a), json(&b));
        for v in [&mut a, &mut b] {
            if let Some(o) = v.as_object_mut() {
                o.remove("history_taken_back");
                o.remove("categories");
            }
        }
        assert_eq!(a, b, "{u}");
    }
    // Taken back in place, without a copy of the snapshot.
    assert_eq!(metric(&app, "riskmap_dated_in_place_total").await, 1);
    assert_eq!(metric(&app, "riskmap_dated_copies_total").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stores_map_moves_on_to_the_next_day() {
    use common::{served_centre_tile, state_with};
    let dir = tempfile::tempdir().unwrap();
    let state = gpkg_state(dir.path(), config());
    let app = router(state.clone());
    let today = Day::today();
    assert_eq!(state.snapshot().analysis().as_of, Some(today));
    // Forty days on: hazards due meanwhile are overdue then.
    let later = today.plus_days(40);
    // An open hazard due between the two days: overdue on the later one.
    let due = {
        use geo::CoordsIter;
        let snap = state.snapshot();
        let ds = snap.dataset();
        let (f, _) = ds
            .hidden_hazards
            .features()
            .iter()
            .zip(&snap.analysis().hidden_states)
            .find(|(f, s)| s.open && f.props.deadline.is_some_and(|d| d >= today && d < later))
            .expect("a hazard due in the next forty days");
        let c = f.geometry.coords_iter().next().unwrap();
        centre_tile([c.x, c.y, c.x, c.y], 16)
    };
    let t = format!(
        "/tiles/enterprises,hidden_hazards/16/{}/{}.mvt",
        due.0, due.1
    );
    let (x, y) = served_centre_tile(&app, 12).await;
    let t12 = format!("/tiles/areas,risk_grid,enterprises,hidden_hazards/12/{x}/{y}.mvt");
    let want12 = tile(&app, &format!("{t12}?as_of={later}")).await;
    // That day as the date control draws it, before the served map moves there.
    let want = tile(&app, &format!("{t}?as_of={later}")).await;
    let before = tile(&app, &t).await;
    assert_ne!(want, before, "the hazard is not overdue forty days on");

    let ev = state
        .roll_day(later)
        .await
        .unwrap()
        .expect("the map moves on");
    assert_eq!(ev.kind, "day");
    let snap = state.snapshot();
    assert_eq!(snap.analysis().as_of, Some(later));
    assert_eq!(
        snap.analysis().hidden_states,
        riskmap_core::analysis::hidden_hazards::states_on(snap.dataset(), later)
    );
    drop(snap);
    assert_eq!(tile(&app, &t).await, want);
    assert_eq!(tile(&app, &t12).await, want12);
    // Once a day; never back.
    assert!(state.roll_day(later).await.unwrap().is_none());
    assert!(state.roll_day(today).await.unwrap().is_none());
    let (_, _, b) = send(&app, get("/api/hidden/areas")).await;
    assert_eq!(json(&b)["as_of"], later.to_string());

    // A folder whose riskmap.toml names the day its ledgers end keeps that day.
    let pinned = state_with(
        riskmap_server::server::config::ServerConfig::default(),
        None,
    );
    let day = pinned.snapshot().analysis().as_of;
    assert!(pinned.roll_day(later).await.unwrap().is_none());
    assert_eq!(pinned.snapshot().analysis().as_of, day);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_copy_other_layers_changes_stay_and_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = riskmap_server::server::config::ServerConfig {
        past_day_copies: false,
        ..config()
    };
    let state = gpkg_state(dir.path(), cfg);
    let app = router(state.clone());
    let day = Day::today().plus_days(-1);
    let snap = state.snapshot();
    let house = snap.dataset().houses.get(42).unwrap().clone();
    let hazard = snap.dataset().hidden_hazards.get(0).unwrap().clone();
    let hazard_uid = snap.dataset().hidden_hazards.uid(0).unwrap();
    drop(snap);
    let raised = json!({"type": "Feature", "properties": {"appraisal": "D", "occupants": 11}});
    let uri = |layer: &str, id: &str| format!("/api/layers/{layer}/features/{id}");
    edit(
        &app,
        Method::PATCH,
        &uri("houses", &house.id),
        Some(&raised),
    )
    .await;
    let later = json!({"type": "Feature", "properties": {
        "deadline": Day::today().plus_days(90).to_string()}});
    edit(
        &app,
        Method::PATCH,
        &uri("hidden_hazards", &hazard.id),
        Some(&later),
    )
    .await;

    let (_, _, b) = send(&app, get(&format!("/api/hidden/areas?as_of={day}"))).await;
    let v = json(&b);
    assert_eq!(v["history_taken_back"], 2, "{v}");
    assert_eq!(v["history_left_out"], 1, "{v}");
    assert_eq!(metric(&app, "riskmap_dated_in_place_total").await, 1);
    assert_eq!(metric(&app, "riskmap_dated_copies_total").await, 0);
    // The raised house is as it is now on yesterday's map; the hazard's deadline is back.
    let c = {
        use geo::CoordsIter;
        house.geometry.coords_iter().next().unwrap()
    };
    let (x, y) = centre_tile([c.x, c.y, c.x, c.y], 16);
    let t = format!("/tiles/houses/16/{x}/{y}.mvt");
    assert_eq!(
        tile(&app, &format!("{t}?as_of={day}")).await,
        tile(&app, &t).await
    );
    let (_, _, b) = send(
        &app,
        get(&format!(
            "/api/feature/hidden_hazards/{hazard_uid}?as_of={day}"
        )),
    )
    .await;
    let was = hazard.props.deadline.map(|d| d.to_string());
    assert_eq!(json(&b)["properties"]["deadline"], json!(was));
}

/// Dates a store's trail as if it were older: the import on `import`, the first edit
/// after it on `first_edit` (noon in UTC+8), the rest as recorded (today).
fn backdate(path: &std::path::Path, import: Day, first_edit: Day) {
    let c = rusqlite::Connection::open(path).unwrap();
    c.execute(
        "UPDATE riskmap_changes SET at = ?1 WHERE actor = 'import'",
        [format!("{import}T04:00:00.000Z")],
    )
    .unwrap();
    let n = c
        .execute(
            "UPDATE riskmap_changes SET at = ?1 WHERE seq = \
             (SELECT MIN(seq) FROM riskmap_changes WHERE actor != 'import')",
            [format!("{first_edit}T04:00:00.000Z")],
        )
        .unwrap();
    assert_eq!(n, 1);
}

/// Moves a house 0.02° east through the API; where its first vertex was.
async fn move_house(app: &axum::Router, id: &str) -> (f64, f64) {
    let uri = format!("/api/layers/houses/features/{id}");
    let (_, _, b) = send(app, get(&uri)).await;
    let mut geom = json(&b)["feature"]["geometry"].clone();
    let at = first_vertex(&geom);
    shift(&mut geom["coordinates"], 0.02);
    let body = json!({"type": "Feature", "geometry": geom, "properties": {}});
    edit(app, Method::PATCH, &uri, Some(&body)).await;
    at
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_copy_kept_for_one_day_is_moved_to_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let (state, before) = store_and_its_copy(dir.path());
    let app = router(state.clone());
    let snap = state.snapshot();
    let id = |i: usize| snap.dataset().houses.get(i).unwrap().id.clone();
    let (a, b, c) = (id(10), id(42), id(1200));
    drop(snap);
    let today = Day::today();
    // A house moved three days ago; a copy of the store then. Another raised and a third
    // moved today.
    let a_at = move_house(&app, &a).await;
    let mid = serve_a_copy(dir.path(), "mid.gpkg");
    let body = json!({"type": "Feature", "properties": {"appraisal": "D", "occupants": 11}});
    edit(
        &app,
        Method::PATCH,
        &format!("/api/layers/houses/features/{b}"),
        Some(&body),
    )
    .await;
    let c_at = move_house(&app, &c).await;
    for f in ["city.gpkg", "mid.gpkg"] {
        backdate(
            &dir.path().join(f),
            today.plus_days(-6),
            today.plus_days(-3),
        );
    }

    let tiles = tiles_around(&[a_at, (a_at.0 + 0.02, a_at.1), c_at]);
    // Four and five days ago: none of the edits (the store before them); a day ago: the
    // first only (its copy then). Each day as the two others see it on that day. (Days
    // not asked for before: a day's tiles are cached.)
    let (early, late) = (today.plus_days(-4), today.plus_days(-1));
    let mut differ = 0;
    for (round, (day, want)) in [
        (early, &before),
        (late, &mid),
        (early.plus_days(-1), &before),
    ]
    .into_iter()
    .enumerate()
    {
        for t in &tiles {
            let ours = tile(&app, &format!("{t}?as_of={day}")).await;
            let theirs = tile(want, &format!("{t}?as_of={day}")).await;
            assert_eq!(ours, theirs, "round {round}: {t} as of {day}");
            assert!(!ours.values().all(Vec::is_empty), "{t}: an empty tile");
            if round == 0 && ours != tile(&mid, &format!("{t}?as_of={late}")).await {
                differ += 1;
            }
        }
    }
    // The two days' maps are not the same map.
    assert!(differ >= 2, "{differ}");
    // Three days made with a copy of their own: the first copied, the next two moved.
    assert_eq!(metric(&app, "riskmap_dated_copies_total").await, 3);
    assert_eq!(metric(&app, "riskmap_dated_copies_moved_total").await, 2);
    // The first took the edits' spare snapshot back: no copy made.
    assert_eq!(metric(&app, "riskmap_dated_copies_spare_total").await, 1);
}

/// The composite tiles at z12, z14 and z16 around each place.
fn tiles_around(places: &[(f64, f64)]) -> Vec<String> {
    let layers: Vec<&str> = riskmap_core::tileset::TILE_LAYERS
        .iter()
        .map(|k: &LayerKind| k.name())
        .collect();
    let layers = layers.join(",");
    let mut tiles = Vec::new();
    for &(lon, lat) in places {
        for z in [12, 14, 16] {
            let (x, y) = centre_tile([lon, lat, lon, lat], z);
            tiles.push(format!("/tiles/{layers}/{z}/{x}/{y}.mvt"));
        }
    }
    tiles
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_past_day_takes_the_spare_back_and_edits_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let (state, before) = store_and_its_copy(dir.path());
    let app = router(state.clone());
    let snap = state.snapshot();
    let id = |i: usize| snap.dataset().houses.get(i).unwrap().id.clone();
    let (a, c) = (id(17), id(900));
    drop(snap);
    let today = Day::today();
    let a_at = move_house(&app, &a).await;
    backdate(
        &dir.path().join("city.gpkg"),
        today.plus_days(-6),
        today.plus_days(-3),
    );
    let mut places = vec![a_at, (a_at.0 + 0.02, a_at.1)];
    let day = today.plus_days(-4);
    for t in tiles_around(&places) {
        let q = format!("{t}?as_of={day}");
        assert_eq!(tile(&app, &q).await, tile(&before, &q).await, "{q}");
    }
    assert_eq!(metric(&app, "riskmap_dated_copies_total").await, 1);
    assert_eq!(metric(&app, "riskmap_dated_copies_spare_total").await, 1);

    // The next spare is made in the background; the next edit finds it and does not
    // copy the snapshot, and the served map is the store's.
    assert_eq!(metric(&app, "riskmap_edit_batch_copies_total").await, 1);
    let t0 = std::time::Instant::now();
    while metric(&app, "riskmap_spare_snapshot_ready").await == 0 {
        assert!(t0.elapsed().as_secs() < 60, "no spare made");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let c_at = move_house(&app, &c).await;
    assert_eq!(metric(&app, "riskmap_edit_batch_copies_total").await, 1);
    places.extend([c_at, (c_at.0 + 0.02, c_at.1)]);
    let now = serve_a_copy(dir.path(), "now.gpkg");
    for t in tiles_around(&places) {
        assert_eq!(tile(&app, &t).await, tile(&now, &t).await, "{t}");
    }
    // A day of the new generation: no kept copy of it, the spare made again taken back.
    let day = today.plus_days(-5);
    for t in tiles_around(&places) {
        let q = format!("{t}?as_of={day}");
        assert_eq!(tile(&app, &q).await, tile(&before, &q).await, "{q}");
    }
    assert_eq!(metric(&app, "riskmap_dated_copies_total").await, 2);
    assert_eq!(metric(&app, "riskmap_dated_copies_spare_total").await, 2);
    // And today's map is still the store's.
    for t in tiles_around(&places) {
        assert_eq!(tile(&app, &t).await, tile(&now, &t).await, "{t}");
    }
}
