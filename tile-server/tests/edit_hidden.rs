//! A hidden hazard's closed loop through the edit API on a GeoPackage-backed server: a
//! new major hazard at an enterprise, drawn at the enterprise and raising its likelihood;
//! 销号 refused without an acceptance; a return to rectification refused without a reason
//! and counted with one; closed, the enterprise's likelihood back; a link to nothing
//! refused; every step in the change records with who made it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::{Method, StatusCode};
use common::edit::{EDITOR, all_changes, config, gpkg_state, req};
use common::{json, send};
use riskmap_core::analysis::risk_grid::anchor;
use riskmap_server::server::routes::router;
use serde_json::{Value, json};

async fn edit(app: &axum::Router, method: Method, uri: &str, body: &Value) -> (StatusCode, Value) {
    let (status, _, b) = send(app, req(method, uri, Some(EDITOR), Some(body), None)).await;
    let v = if b.is_empty() { Value::Null } else { json(&b) };
    (status, v)
}

fn codes(v: &Value) -> Vec<String> {
    v["issues"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|i| i["code"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hidden_hazard_goes_round_its_closed_loop_through_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let state = gpkg_state(dir.path(), config());
    let app = router(state.clone());
    let snap = state.snapshot();
    let day = snap.live.rules().hidden_hazards.day();
    // An enterprise with no open major hidden hazard and room for L to rise.
    let (pos, ent) = snap
        .dataset()
        .enterprises
        .features()
        .iter()
        .enumerate()
        .find(|(p, f)| {
            let c = riskmap_core::analysis::hidden_hazards::counts_for_enterprise(
                snap.dataset(),
                &f.id,
                day,
            )
            .unwrap_or_default();
            c.major_open == 0 && snap.analysis().enterprise_risks[*p].likelihood < 4
        })
        .map(|(p, f)| (p, f.clone()))
        .expect("an enterprise without an open major hazard");
    let l_before = snap.analysis().enterprise_risks[pos].likelihood;
    drop(snap);

    // Major, found a month before the server's day, due a week before it: open and
    // overdue; no place of its own, so drawn at the enterprise.
    let found = day.plus_days(-30).to_string();
    let due = day.plus_days(-7).to_string();
    let new = json!({"type": "Feature", "geometry": null, "properties": {
        "id": "YH-T1", "feature_layer": "enterprises", "feature_id": ent.id,
        "major": true, "description": "储罐液位报警联锁未投用",
        "discovered": found, "deadline": due, "status": "in_progress",
        "responsible_unit": ent.props.name, "measures": "恢复联锁",
        "funds_wan_yuan": 12, "contingency_plan": "专项应急预案"}});
    let (status, v) = edit(
        &app,
        Method::POST,
        "/api/layers/hidden_hazards/features",
        &new,
    )
    .await;
    assert!(status.is_success(), "{status} {v}");
    let snap = state.snapshot();
    let (hp, h) = snap.dataset().hidden_hazards.find_id("YH-T1").unwrap();
    assert_eq!(
        h.geometry,
        geo::Geometry::Point(anchor(&ent.geometry).unwrap().into())
    );
    assert!(!h.props.own_location);
    let st = snap.analysis().hidden_states[hp];
    assert!(st.open);
    assert_eq!(st.days_overdue, Some(7));
    let er = &snap.analysis().enterprise_risks[pos];
    assert_eq!(er.likelihood, l_before + 1, "{:?}", er.reasons);
    assert!(
        er.reasons
            .iter()
            .any(|r| &*r.rule == "RM-ER-L/hidden_ledger" && r.text.contains("1 major open")),
        "{:?}",
        er.reasons
    );
    drop(snap);
    let uri = "/api/layers/hidden_hazards/features/YH-T1";

    // 销号 with a closing date alone: refused, nothing changed.
    let generation = state.snapshot().generation;
    let close =
        json!({"type": "Feature", "properties": {"status": "closed", "closed": day.to_string()}});
    let (status, v) = edit(&app, Method::PATCH, uri, &close).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        codes(&v).contains(&"lifecycle_inconsistent".to_string()),
        "{v}"
    );
    assert_eq!(state.snapshot().generation, generation);

    // Rectified, awaiting acceptance.
    let rectified = day.plus_days(-1).to_string();
    let (status, v) = edit(
        &app,
        Method::PATCH,
        uri,
        &json!({"type": "Feature", "properties": {"status": "rectified", "rectified": rectified}}),
    )
    .await;
    assert!(status.is_success(), "{status} {v}");

    // Sent back without a reason: refused; with one: counted.
    let back = json!({"type": "Feature", "properties": {"status": "in_progress"}});
    let (status, v) = edit(&app, Method::PATCH, uri, &back).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        codes(&v).contains(&"lifecycle_inconsistent".to_string()),
        "{v}"
    );
    let back = json!({"type": "Feature", "properties": {
        "status": "in_progress", "reopen_reason": "复查发现联锁仍未投用"}});
    let (status, v) = edit(&app, Method::PATCH, uri, &back).await;
    assert!(status.is_success(), "{status} {v}");
    let snap = state.snapshot();
    let (_, h) = snap.dataset().hidden_hazards.find_id("YH-T1").unwrap();
    assert_eq!(h.props.reopened, 1);
    drop(snap);

    // Closed with a rectification and an acceptance: the enterprise's L is back.
    let close = json!({"type": "Feature", "properties": {
        "status": "closed", "rectified": rectified, "verified_by": "王某",
        "closed": day.to_string()}});
    let (status, v) = edit(&app, Method::PATCH, uri, &close).await;
    assert!(status.is_success(), "{status} {v}");
    let snap = state.snapshot();
    let (hp, _) = snap.dataset().hidden_hazards.find_id("YH-T1").unwrap();
    assert!(!snap.analysis().hidden_states[hp].open);
    assert_eq!(snap.analysis().enterprise_risks[pos].likelihood, l_before);
    drop(snap);

    // A hazard of a feature nobody has, without a place: refused.
    let lost = json!({"type": "Feature", "geometry": null, "properties": {
        "id": "YH-T2", "feature_layer": "houses", "feature_id": "house-none",
        "description": "x", "status": "pending"}});
    let (status, v) = edit(
        &app,
        Method::POST,
        "/api/layers/hidden_hazards/features",
        &lost,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        codes(&v).contains(&"unknown_linked_feature".to_string()),
        "{v}"
    );

    // Every step, with who made it: created, rectified, sent back, closed.
    let all = all_changes(&app, 0, 10_000).await;
    let steps: Vec<(String, String)> = all
        .iter()
        .filter(|c| c["id"] == "YH-T1")
        .map(|c| {
            (
                c["actor"].as_str().unwrap_or("").to_string(),
                c["after"]["properties"]["status"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
            )
        })
        .collect();
    let who = steps.first().map(|s| s.0.clone()).unwrap_or_default();
    assert!(!who.is_empty() && who != "import", "{steps:?}");
    assert_eq!(
        steps.iter().map(|s| s.1.as_str()).collect::<Vec<_>>(),
        ["in_progress", "rectified", "in_progress", "closed"],
        "{steps:?}"
    );
}

/// A store's own words for the stages (its `riskmap_status_words` table) are understood
/// by the edit API as by its load: a province's 处理中 sends a hazard to 整改中.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_takes_the_stores_own_status_words() {
    use riskmap_core::model::HiddenHazardStatus as S;
    let dir = tempfile::tempdir().unwrap();
    let gpkg = dir.path().join("city.gpkg");
    // The test city's hazards with the words table of an import, and one word added the
    // way an office would (a row in QGIS); the server reads it at its start.
    let _ = gpkg_state(dir.path(), config());
    let c = rusqlite::Connection::open(&gpkg).unwrap();
    c.execute(
        "INSERT INTO riskmap_status_words (word, stage) VALUES ('处理中', 'in_progress')",
        [],
    )
    .unwrap();
    drop(c);
    let snap = riskmap_server::server::state::build_snapshot(
        &config(),
        &riskmap_server::server::state::DataSource::dir(&gpkg),
        1,
    )
    .unwrap();
    assert_eq!(snap.statuses, [("处理中".to_string(), S::InProgress)]);
    let state = std::sync::Arc::new(riskmap_server::server::state::AppState::new(
        config(),
        riskmap_server::server::state::DataSource::dir(&gpkg),
        snap,
        None,
    ));
    let app = router(state.clone());
    let id = state
        .snapshot()
        .dataset()
        .hidden_hazards
        .features()
        .iter()
        .find(|h| h.props.status == S::Pending)
        .map(|h| h.id.clone())
        .expect("a hazard still to rectify");
    let uri = format!("/api/layers/hidden_hazards/features/{id}");
    let (status, v) = edit(
        &app,
        Method::PATCH,
        &uri,
        &json!({"type": "Feature", "properties": {"status": "处理中"}}),
    )
    .await;
    assert!(status.is_success(), "{status} {v}");
    assert!(codes(&v).is_empty(), "{v}");
    let snap = state.snapshot();
    let (_, h) = snap.dataset().hidden_hazards.find_id(&id).unwrap();
    assert_eq!(h.props.status, S::InProgress);
}

/// Words added to a served GeoPackage's `riskmap_status_words` while it is served (a row
/// in QGIS) count from then on: the followed store is read again with them, a hazard row
/// that uses the new word is read as its stage, and the edit API takes the word, with no
/// restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn words_added_to_a_served_store_are_followed() {
    use riskmap_core::model::HiddenHazardStatus as S;
    let dir = tempfile::tempdir().unwrap();
    let gpkg = dir.path().join("city.gpkg");
    let state = gpkg_state(dir.path(), config());
    let _w = riskmap_server::server::watch::watch(state.clone()).unwrap();
    let app = router(state.clone());
    // A hazard still to rectify (edited through the API), and one rectified and waiting
    // for its check (edited in the store: a file's rows are not held to the loop).
    let first = |status: S| {
        state
            .snapshot()
            .dataset()
            .hidden_hazards
            .features()
            .iter()
            .find(|h| h.props.status == status)
            .map(|h| h.id.clone())
            .unwrap()
    };
    let (a, b) = (&first(S::Pending), &first(S::Rectified));
    let patch = |id: &str| {
        (
            format!("/api/layers/hidden_hazards/features/{id}"),
            json!({"type": "Feature", "properties": {"status": "处理中"}}),
        )
    };
    // Before: the word means nothing here, and the edit is refused.
    let (uri, body) = patch(a);
    let (status, v) = edit(&app, Method::PATCH, &uri, &body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");

    let mut events = state.changes.subscribe();
    let c = rusqlite::Connection::open(&gpkg).unwrap();
    c.execute(
        "INSERT INTO riskmap_status_words (word, stage) VALUES ('处理中', 'in_progress')",
        [],
    )
    .unwrap();
    drop(c);
    let ev = tokio::time::timeout(std::time::Duration::from_secs(30), events.recv())
        .await
        .expect("no change within 30 s")
        .unwrap();
    assert_eq!((ev.actor.as_str(), ev.features), ("file", 0));
    assert_eq!(
        state.snapshot().statuses,
        [("处理中".to_string(), S::InProgress)]
    );
    let (status, v) = edit(&app, Method::PATCH, &uri, &body).await;
    assert!(status.is_success(), "{status} {v}");
    assert!(codes(&v).is_empty(), "{v}");

    // A row given the word in the store itself, through GDAL as QGIS writes (its
    // spatial index triggers need GDAL's SQL functions), is read as that stage.
    common::ogrinfo(&[
        gpkg.to_str().unwrap(),
        "-sql",
        &format!("UPDATE hidden_hazards SET status = '处理中' WHERE id = '{b}'"),
    ]);
    loop {
        let ev = tokio::time::timeout(std::time::Duration::from_secs(30), events.recv())
            .await
            .expect("no change within 30 s")
            .unwrap();
        if ev.actor == "file" && ev.features > 0 {
            break;
        }
    }
    let snap = state.snapshot();
    for id in [a, b] {
        let (_, h) = snap.dataset().hidden_hazards.find_id(id).unwrap();
        assert_eq!(h.props.status, S::InProgress, "{id}");
    }
}
