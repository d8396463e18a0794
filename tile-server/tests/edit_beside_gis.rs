//! Edits through the API to a GeoPackage that another program (QGIS, GDAL) edits too:
//! a row the other program changed after the server read the file is never written over
//! by an edit checked against the older reading. The server reads the file again first
//! and checks the edit against that (a patch merges, an `If-Match` gets its 412); and
//! reading the file again never takes back an edit the API served meanwhile.
//!
//! The other program is GDAL's `ogrinfo`, which writes the file through SQLite as QGIS
//! does. The server here has no watcher: it learns of the other program's change only
//! through the edit path.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use axum::Router;
use axum::http::{Method, StatusCode, header};
use common::edit::{EDITOR, EDITOR_NAME, all_changes, config, gpkg_state, req, served_house};
use common::{ogrinfo, send};
use riskmap_server::server::routes::router;
use serde_json::{Value, json};

/// The house's `column` in the file, read by GDAL.
fn in_file(gpkg: &Path, id: &str, column: &str) -> String {
    let out = ogrinfo(&[
        "-ro",
        "-q",
        gpkg.to_str().unwrap(),
        "-sql",
        &format!("SELECT {column} AS v FROM houses WHERE id = '{id}'"),
    ]);
    out.lines()
        .find_map(|l| l.trim().strip_prefix("v (").map(str::to_owned))
        .and_then(|l| l.split(" = ").nth(1).map(str::to_owned))
        .unwrap_or_else(|| panic!("no {column} of {id} in ogrinfo's answer: {out}"))
}

/// Another program's edit of the file: `SET …` of the house `id`, through GDAL.
fn gdal_sets(gpkg: &Path, id: &str, set: &str) {
    ogrinfo(&[
        "-q",
        gpkg.to_str().unwrap(),
        "-sql",
        &format!("UPDATE houses SET {set} WHERE id = '{id}'"),
    ]);
}

async fn etag(app: &Router, id: &str) -> String {
    let uri = format!("/api/layers/houses/features/{id}");
    let (s, h, _) = send(app, req(Method::GET, &uri, Some(EDITOR), None, None)).await;
    assert_eq!(s, StatusCode::OK);
    h[header::ETAG].to_str().unwrap().to_string()
}

async fn patch(
    app: &Router,
    id: &str,
    props: Value,
    if_match: Option<&str>,
) -> (StatusCode, Value) {
    let uri = format!("/api/layers/houses/features/{id}");
    let body = json!({"type": "Feature", "properties": props});
    let (s, _, b) = send(
        app,
        req(Method::PATCH, &uri, Some(EDITOR), Some(&body), if_match),
    )
    .await;
    (s, serde_json::from_slice(&b).unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_changed_by_another_program_is_not_written_over() {
    let dir = tempfile::tempdir().unwrap();
    let gpkg = dir.path().join("city.gpkg");
    let state = gpkg_state(dir.path(), config());
    let app = router(state.clone());
    let id = state
        .snapshot()
        .dataset()
        .houses
        .get(11)
        .unwrap()
        .id
        .clone();
    let served = served_house(&state, &id);
    assert_ne!(served.props.occupants, Some(42));
    let v1 = etag(&app, &id).await;
    let first_seq = all_changes(&app, 0, 10_000).await.len();

    // QGIS (here GDAL) sets the occupants in the file; the map does not know yet.
    gdal_sets(&gpkg, &id, "occupants = 42");
    assert_eq!(in_file(&gpkg, &id, "occupants"), "42");
    assert_eq!(
        served_house(&state, &id).props.occupants,
        served.props.occupants
    );

    // An edit that read the house before GDAL's change, with its version: refused, and
    // GDAL's row is kept.
    let (s, b) = patch(&app, &id, json!({"floors": 6}), Some(&v1)).await;
    assert_eq!(s, StatusCode::PRECONDITION_FAILED, "{b}");
    assert_eq!(in_file(&gpkg, &id, "occupants"), "42");
    assert_ne!(in_file(&gpkg, &id, "floors"), "6");
    // The server read the file again on the way: the map has GDAL's change.
    assert_eq!(served_house(&state, &id).props.occupants, Some(42));
    assert_ne!(etag(&app, &id).await, v1);

    // A patch without a version merges into the row GDAL left.
    let (s, b) = patch(&app, &id, json!({"floors": 6}), None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["feature"]["properties"]["occupants"], 42, "{b}");
    assert_eq!(b["feature"]["properties"]["floors"], 6, "{b}");
    assert_eq!(in_file(&gpkg, &id, "occupants"), "42");
    assert_eq!(in_file(&gpkg, &id, "floors"), "6");
    let house = served_house(&state, &id);
    assert_eq!(
        (house.props.occupants, house.props.floors),
        (Some(42), Some(6))
    );

    // The trail: GDAL's change (read from the file) and then the editor's, from 42.
    let recs = all_changes(&app, 0, 10_000).await;
    let ours: Vec<(&str, &Value, &Value)> = recs[first_seq..]
        .iter()
        .filter(|r| r["id"] == id.as_str())
        .map(|r| {
            (
                r["actor"].as_str().unwrap(),
                &r["before"]["properties"]["occupants"],
                &r["after"]["properties"]["occupants"],
            )
        })
        .collect();
    let was = json!(served.props.occupants);
    assert_eq!(
        ours,
        vec![
            ("file", &was, &json!(42)),
            (EDITOR_NAME, &json!(42), &json!(42))
        ],
        "{recs:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_the_file_again_never_takes_back_an_edit_served_meanwhile() {
    let dir = tempfile::tempdir().unwrap();
    let gpkg = dir.path().join("city.gpkg");
    let state = gpkg_state(dir.path(), config());
    let app = router(state.clone());
    let (a, b) = {
        let s = state.snapshot();
        let h = &s.dataset().houses;
        (h.get(3).unwrap().id.clone(), h.get(5).unwrap().id.clone())
    };
    // How long a reading of the file takes here: the patches below come at points
    // spread over it.
    let t0 = std::time::Instant::now();
    state.sync_from_source().await.unwrap();
    let reading = t0.elapsed();
    for round in 1..=10u32 {
        // The file is read again (as the watcher does after another program's save)
        // while an editor's patch of house b goes through the API, at a point spread
        // over the reading.
        let st = state.clone();
        let sync = tokio::spawn(async move { st.sync_from_source().await });
        tokio::time::sleep(reading * (round - 1) / 8).await;
        let (s, body) = patch(&app, &b, json!({"occupants": 100 + round}), None).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        sync.await.unwrap().unwrap();
        assert_eq!(in_file(&gpkg, &b, "occupants"), (100 + round).to_string());
        assert_eq!(
            served_house(&state, &b).props.occupants,
            Some(100 + round),
            "round {round}: the map lost the API's edit of {b}"
        );
    }
    // With GDAL's change of house a in the reading: both on the map.
    gdal_sets(&gpkg, &a, "occupants = 5");
    let st = state.clone();
    let sync = tokio::spawn(async move { st.sync_from_source().await });
    let (s, body) = patch(&app, &b, json!({"occupants": 200}), None).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    sync.await.unwrap().unwrap();
    assert_eq!(served_house(&state, &a).props.occupants, Some(5));
    assert_eq!(served_house(&state, &b).props.occupants, Some(200));
    assert_eq!(in_file(&gpkg, &b, "occupants"), "200");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_read_from_the_file_is_in_its_trail_as_made_by_file() {
    let dir = tempfile::tempdir().unwrap();
    let gpkg = dir.path().join("city.gpkg");
    let state = gpkg_state(dir.path(), config());
    let app = router(state.clone());
    let id = state.snapshot().dataset().houses.get(2).unwrap().id.clone();
    let was = served_house(&state, &id).props.floors;
    let first = all_changes(&app, 0, 10_000).await.len();
    gdal_sets(&gpkg, &id, "floors = 17");
    state.sync_from_source().await.unwrap();
    assert_eq!(served_house(&state, &id).props.floors, Some(17));
    // Read again with nothing new: nothing more recorded.
    state.sync_from_source().await.unwrap();
    let recs = all_changes(&app, 0, 10_000).await;
    assert_eq!(recs.len(), first + 1, "{:?}", &recs[first..]);
    let r = &recs[first];
    assert_eq!(
        (
            r["actor"].as_str(),
            r["layer"].as_str(),
            r["id"].as_str(),
            r["op"].as_str()
        ),
        (
            Some("file"),
            Some("houses"),
            Some(id.as_str()),
            Some("update")
        ),
        "{r}"
    );
    assert_eq!(r["before"]["properties"]["floors"], json!(was), "{r}");
    assert_eq!(r["after"]["properties"]["floors"], 17, "{r}");
    // `riskmap history` of the file lists it, with the field that changed.
    let out = common::ok(&[
        "history",
        gpkg.to_str().unwrap(),
        "--layer",
        "houses",
        "--id",
        &id,
    ]);
    let line = out.lines().last().unwrap();
    assert!(line.contains("file") && line.contains("floors"), "{out}");
}

/// The file's journal mode, as GDAL reads it.
fn journal_mode(gpkg: &Path) -> String {
    let out = ogrinfo(&["-q", gpkg.to_str().unwrap(), "-sql", "PRAGMA journal_mode"]);
    out.lines()
        .find_map(|l| l.trim().strip_prefix("journal_mode (String) = "))
        .unwrap_or_else(|| panic!("no journal mode in ogrinfo's answer: {out}"))
        .to_lowercase()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_that_qgis_left_in_wal_mode_is_edited_and_followed() {
    let dir = tempfile::tempdir().unwrap();
    let gpkg = dir.path().join("city.gpkg");
    let state = gpkg_state(dir.path(), config());
    let app = router(state.clone());
    let id = state.snapshot().dataset().houses.get(4).unwrap().id.clone();
    // QGIS edits a GeoPackage in WAL mode (GDAL's OGR_SQLITE_JOURNAL=WAL), which stays
    // the file's mode after it.
    let wal = |set: &str| {
        ogrinfo(&[
            "--config",
            "OGR_SQLITE_JOURNAL",
            "WAL",
            "-q",
            gpkg.to_str().unwrap(),
            "-sql",
            &format!("UPDATE houses SET {set} WHERE id = '{id}'"),
        ]);
    };
    wal("occupants = 7");
    assert_eq!(journal_mode(&gpkg), "wal");
    let (s, b) = patch(&app, &id, json!({"floors": 8}), None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["feature"]["properties"]["occupants"], 7, "{b}");
    // The server's connection stays open, so GDAL's next write stays in the log.
    let v = etag(&app, &id).await;
    wal("occupants = 9");
    let (s, b) = patch(&app, &id, json!({"floors": 3}), Some(&v)).await;
    assert_eq!(s, StatusCode::PRECONDITION_FAILED, "{b}");
    assert_eq!(
        (
            in_file(&gpkg, &id, "occupants"),
            in_file(&gpkg, &id, "floors")
        ),
        ("9".to_string(), "8".to_string())
    );
    let house = served_house(&state, &id);
    assert_eq!(
        (house.props.occupants, house.props.floors),
        (Some(9), Some(8))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_the_file_holds_a_change_the_map_refuses_edits_get_409() {
    let dir = tempfile::tempdir().unwrap();
    let gpkg = dir.path().join("city.gpkg");
    let state = gpkg_state(dir.path(), config());
    let app = router(state.clone());
    let houses = state.snapshot().dataset().houses.len();
    let id = state.snapshot().dataset().houses.get(1).unwrap().id.clone();
    // A script deletes all but ten houses from the file: past `reload_max_loss`.
    ogrinfo(&[
        "-q",
        gpkg.to_str().unwrap(),
        "-sql",
        "DELETE FROM houses WHERE fid > 10",
    ]);
    for _ in 0..2 {
        let (s, b) = patch(&app, &id, json!({"floors": 4}), None).await;
        assert_eq!(s, StatusCode::CONFLICT, "{b}");
        let why = b["error"].as_str().unwrap_or_default();
        assert!(
            why.contains("does not follow") && why.contains("houses"),
            "{b}"
        );
    }
    // Nothing written, nothing lost from the map.
    assert_ne!(in_file(&gpkg, &id, "floors"), "4");
    assert_eq!(state.snapshot().dataset().houses.len(), houses);
}

/// A row another program saved so that the checks refuse it (no geometry): the map
/// keeps the feature as it was, and a PATCH, which would merge onto that and write it
/// back over the row unseen, is refused (409, saying why); a PUT of the whole feature
/// replaces the row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patch_of_a_row_the_checks_refused_gets_409_and_a_put_replaces_it() {
    let dir = tempfile::tempdir().unwrap();
    let gpkg = dir.path().join("city.gpkg");
    let state = gpkg_state(dir.path(), config());
    let app = router(state.clone());
    let id = state
        .snapshot()
        .dataset()
        .houses
        .get(11)
        .unwrap()
        .id
        .clone();
    let served = served_house(&state, &id);
    gdal_sets(&gpkg, &id, "geom = NULL");
    state.sync_from_source().await.unwrap();
    assert_eq!(served_house(&state, &id).geometry, served.geometry);

    let (s, b) = patch(&app, &id, json!({"floors": 4}), None).await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    let why = b["error"].as_str().unwrap_or_default();
    assert!(
        why.contains("missing_geometry") && why.contains("PUT"),
        "{b}"
    );
    assert_eq!(in_file(&gpkg, &id, "geom IS NULL"), "1");

    let uri = format!("/api/layers/houses/features/{id}");
    let (_, _, b) = send(&app, req(Method::GET, &uri, Some(EDITOR), None, None)).await;
    let mut whole = serde_json::from_slice::<Value>(&b).unwrap()["feature"].clone();
    whole["properties"]["floors"] = json!(4);
    let (s, _, b) = send(
        &app,
        req(Method::PUT, &uri, Some(EDITOR), Some(&whole), None),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    assert_eq!(in_file(&gpkg, &id, "geom IS NULL"), "0");
    assert_eq!(in_file(&gpkg, &id, "floors"), "4");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_save_is_read_once_by_the_readings_that_wait_for_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let gpkg = dir.path().join("city.gpkg");
    let state = gpkg_state(dir.path(), config());
    let app = router(state.clone());
    let id = state.snapshot().dataset().houses.get(8).unwrap().id.clone();
    let readings = "riskmap_source_readings_total";
    let before = common::metric(&app, readings).await;
    gdal_sets(&gpkg, &id, "occupants = 31");
    // The watcher's reading and an edit's, asked at once: the second waits for the
    // first and finds the file read.
    let (one, two) = tokio::join!(state.sync_from_source(), state.sync_from_source());
    let mut got = [one.unwrap(), two.unwrap()].map(|o| format!("{o:?}"));
    got.sort();
    assert!(
        got[0].starts_with("Applied") && got[1] == "Unchanged",
        "{got:?}"
    );
    assert_eq!(common::metric(&app, readings).await - before, 1.0);
    // The file as served: an edit reads nothing.
    let (s, b) = patch(&app, &id, json!({"floors": 2}), None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["feature"]["properties"]["occupants"], 31, "{b}");
    assert_eq!(common::metric(&app, readings).await - before, 1.0);
}

/// An edit the store cannot write (a full disk, a file made read-only; here a rule
/// another program put in the file, which fails the write the same way): the edit is
/// answered 500 with the store's words and nothing served, and `/health` is degraded,
/// saying so, until an edit is written again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_the_store_cannot_write_degrade_health_until_one_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let gpkg = dir.path().join("city.gpkg");
    let state = gpkg_state(dir.path(), config());
    let app = router(state.clone());
    let id = state.snapshot().dataset().houses.get(1).unwrap().id.clone();
    let generation = state.snapshot().generation;
    let sql = |q: &str| ogrinfo(&["-q", gpkg.to_str().unwrap(), "-sql", q]);
    for op in ["INSERT", "UPDATE", "DELETE"] {
        sql(&format!(
            "CREATE TRIGGER full_{op} BEFORE {op} ON houses \
             BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
        ));
    }
    let health = || async {
        let (_, _, b) = send(&app, req(Method::GET, "/health", None, None, None)).await;
        serde_json::from_slice::<Value>(&b).unwrap()
    };
    for n in 1..=2 {
        let (s, b) = patch(&app, &id, json!({"floors": 4}), None).await;
        assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR, "{b}");
        assert!(
            b["error"]
                .as_str()
                .unwrap_or_default()
                .contains("disk is full"),
            "{b}"
        );
        let h = health().await;
        assert_eq!(h["status"], "degraded", "{h}");
        assert_eq!(h["edits_failing"]["failed"], n, "{h}");
        assert!(
            h["degraded_because"]
                .as_str()
                .unwrap_or_default()
                .starts_with("edits cannot be written to the store"),
            "{h}"
        );
    }
    assert_eq!(state.snapshot().generation, generation, "nothing served");
    for op in ["INSERT", "UPDATE", "DELETE"] {
        sql(&format!("DROP TRIGGER full_{op}"));
    }
    let (s, b) = patch(&app, &id, json!({"floors": 5}), None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(in_file(&gpkg, &id, "floors"), "5");
    let h = health().await;
    assert_eq!(
        (&h["status"], &h["edits_failing"]),
        (&json!("ok"), &Value::Null),
        "{h}"
    );
}
