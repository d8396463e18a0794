//! What a PostGIS store refuses or lacks, taken for what it is: `riskmap import --db`
//! again over a store that holds the ledgers keeps the rows of a line the checks refuse
//! and of a layer whose ledger is missing (as on a GeoPackage, `cli_gpkg.rs`); a rule
//! of the database's own that refuses an import or an edit is named in the database's
//! words, and an edit it refuses is a `422`; a new row that another client writes in zone
//! metres is refused by a followed server with the checks' own reason. Against the
//! PostgreSQL + PostGIS that `RISKMAP_TEST_PG` names (scripts/test-all.sh starts a
//! private one).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure

mod common;

use common::pg::{demo_db, psql, server};
use common::riskmap;

#[test]
fn an_import_keeps_the_rows_of_refused_lines_and_of_missing_ledgers() {
    let Some(server) = server() else { return };
    let url = common::pg::fresh_db(&server, "riskmap_import_kept");
    let dir = tempfile::tempdir().unwrap();
    let data = common::demo_copy(dir.path());
    let import = || {
        let out = riskmap(&["import", data.to_str().unwrap(), "--db", &url]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    };
    import();
    let houses: u64 = psql(&url, "SELECT count(*) FROM houses").parse().unwrap();
    let deletes = || {
        psql(
            &url,
            "SELECT count(*) FROM riskmap_changes WHERE op = 'delete'",
        )
    };

    common::break_footprint(&data, "house-0000020");
    let out = import();
    let printed = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        common::import_counts(&printed, "houses"),
        [0, 0, 0, houses - 1, 1]
    );
    assert_eq!(
        psql(
            &url,
            "SELECT count(*) FROM houses WHERE id = 'house-0000020'"
        ),
        "1"
    );
    assert_eq!(deletes(), "0");

    std::fs::remove_file(data.join("houses.csv")).unwrap();
    let out = import();
    let printed = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        common::import_counts(&printed, "houses"),
        [0, 0, 0, 0, houses]
    );
    assert_eq!(common::import_counts(&printed, "hidden_hazards")[2], 0);
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("houses: the folder's ledgers of this layer were not all read")
    );
    assert_eq!(
        psql(&url, "SELECT count(*) FROM houses"),
        houses.to_string()
    );
    assert_eq!(deletes(), "0");
}

/// A statement the database refuses says why in the database's own words (a constraint
/// a department added, by name), not only that the database failed.
#[test]
fn the_database_s_own_words_reach_the_message() {
    let Some(server) = server() else { return };
    let url = common::pg::fresh_db(&server, "riskmap_import_words");
    let dir = tempfile::tempdir().unwrap();
    let data = common::demo_copy(dir.path());
    let import = || riskmap(&["import", data.to_str().unwrap(), "--db", &url]);
    assert!(import().status.success());
    psql(
        &url,
        "UPDATE houses SET floors = 2 WHERE floors > 2; \
         ALTER TABLE houses ADD CONSTRAINT floors_at_most_two CHECK (floors <= 2)",
    );
    let out = import();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    let first = said
        .lines()
        .find(|l| l.starts_with("error:"))
        .unwrap_or_default();
    assert!(
        first.contains("violates check constraint \"floors_at_most_two\""),
        "{said}"
    );
}

/// An edit through the API that a constraint of the database refuses: `422` with the
/// constraint's name, nothing written, the map as it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_a_constraint_refuses_is_a_422_that_names_it() {
    use axum::http::{Method, StatusCode};
    use common::edit::{EDITOR, config, req};
    let Some(server) = server() else { return };
    let url = common::pg::demo_db(&server, "riskmap_edit_constraint");
    psql(
        &url,
        "UPDATE houses SET floors = 2 WHERE floors > 2; \
         ALTER TABLE houses ADD CONSTRAINT floors_at_most_two CHECK (floors <= 2)",
    );
    let state = common::pg::serve_db(&url, config()).await;
    let app = riskmap_server::server::routes::router(std::sync::Arc::clone(&state));
    let generation = state.snapshot().generation;
    let patch = serde_json::json!({"type": "Feature", "properties": {"floors": 5}});
    let (status, _, body) = common::send(
        &app,
        req(
            Method::PATCH,
            "/api/layers/houses/features/house-0000005",
            Some(EDITOR),
            Some(&patch),
            None,
        ),
    )
    .await;
    let said = String::from_utf8_lossy(&body);
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{said}");
    assert!(said.contains("floors_at_most_two"), "{said}");
    assert_eq!(
        psql(&url, "SELECT floors FROM houses WHERE id = 'house-0000005'"),
        "2"
    );
    assert_eq!(state.snapshot().generation, generation);
}

/// A database whose trigger functions are another release's (an upgrade without `db
/// init`): the server follows it, and `/health` says which to bring up to date and how.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trigger_functions_of_another_release_are_named_in_health() {
    let Some(server) = server() else { return };
    let url = common::pg::demo_db(&server, "riskmap_old_triggers");
    psql(
        &url,
        "CREATE OR REPLACE FUNCTION riskmap_touch() RETURNS trigger LANGUAGE plpgsql AS \
         $f$ BEGIN NEW.updated_at := now(); RETURN NEW; END $f$",
    );
    let state = common::pg::serve_db(&url, common::edit::config()).await;
    common::pg::until(&state, 10, "listening", common::pg::connected).await;
    let note = state
        .database
        .lock()
        .unwrap()
        .schema
        .clone()
        .unwrap_or_default();
    assert!(
        note.contains("riskmap_touch") && note.contains("riskmap db init"),
        "{note}"
    );
    drop(state);
    // Brought up to date: nothing to say.
    let out = riskmap(&["db", "init", "--db", &url]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("riskmap_touch() (replaced)"));
    let state = common::pg::serve_db(&url, common::edit::config()).await;
    common::pg::until(&state, 10, "listening", common::pg::connected).await;
    assert_eq!(state.database.lock().unwrap().schema, None);
}

/// A row QGIS inserted that the checks refused (no geometry) is not served; an edit that
/// gives it a geometry writes it (the row's insert is recorded: it is not one written
/// behind the map's back).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_makes_right_a_row_the_checks_refused() {
    use axum::http::{Method, StatusCode};
    use common::edit::{EDITOR, config, req};
    let Some(server) = server() else { return };
    let url = common::pg::demo_db(&server, "riskmap_fix_refused");
    let state = common::pg::serve_db(&url, config()).await;
    common::pg::until(&state, 10, "listening", common::pg::connected).await;
    let app = riskmap_server::server::routes::router(std::sync::Arc::clone(&state));
    psql(
        &url,
        "INSERT INTO houses (id, geom, floors) VALUES ('h-new', NULL, 2)",
    );
    common::pg::until(&state, 10, "the row refused", |s| {
        common::pg::refused(s, "h-new")
    })
    .await;
    let body = serde_json::json!({"type": "Feature", "properties": {"floors": 2},
        "geometry": {"type": "Polygon", "coordinates": [[[121.1, 31.9], [121.1001, 31.9],
            [121.1001, 31.9001], [121.1, 31.9001], [121.1, 31.9]]]}});
    let (status, _, b) = common::send(
        &app,
        req(
            Method::PUT,
            "/api/layers/houses/features/h-new",
            Some(EDITOR),
            Some(&body),
            None,
        ),
    )
    .await;
    assert!(
        status.is_success(),
        "{status}: {}",
        String::from_utf8_lossy(&b)
    );
    assert_ne!(status, StatusCode::CONFLICT);
    assert_eq!(
        psql(
            &url,
            "SELECT ST_GeometryType(geom) FROM houses WHERE id = 'h-new'"
        ),
        "ST_Polygon"
    );
    assert!(state.snapshot().dataset().houses.find_id("h-new").is_some());
}

/// A house another client inserts with Gauss–Krüger metres in the lon/lat column
/// (`ogr2ogr -append` of an EPSG:4549 file into the table does this without a word) is
/// refused by the follower with what the checks said of it — projected coordinates —
/// not a bare "refused", and said to be a new row, not on the map.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_row_in_zone_metres_is_refused_with_the_checks_reason() {
    use common::pg::{connected, serve_db, until};
    use riskmap_server::server::config::ServerConfig;
    let Some(server) = server() else { return };
    let url = demo_db(&server, "riskmap_refused_new");
    let state = serve_db(&url, ServerConfig::default()).await;
    until(&state, 10, "listening", connected).await;
    // 121.2°E 31.9°N in EPSG:4549, by PostGIS, written as if it were lon/lat.
    psql(
        &url,
        "INSERT INTO houses (id, geom, floors) SELECT 'house-gk',
           ST_SetSRID(ST_Transform(ST_SetSRID(ST_MakeEnvelope(121.2, 31.9, 121.2001, 31.9001),
             4326), 4549), 4326), 3",
    );
    until(&state, 10, "the row refused", |s| {
        common::pg::refused(s, "house-gk")
    })
    .await;
    let why = state
        .database
        .lock()
        .unwrap()
        .refused
        .iter()
        .find(|r| r.id == "house-gk")
        .unwrap()
        .why
        .clone();
    assert!(why.contains("projected"), "{why}");
    assert!(why.contains("a new row"), "{why}");
    assert!(
        state
            .snapshot()
            .dataset()
            .houses
            .find_id("house-gk")
            .is_none()
    );
}

/// Rows another client broke (a house's geometry set to NULL, a hazard source's to an
/// empty collection) are refused by the checks when the store is read whole, at a start
/// or a reload, as they are by a running server; they stay on the map as the change
/// table last had them in a state the checks pass, rather than vanishing (a graded
/// source off the risk map), and the validation report still names them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_broken_in_the_database_are_served_as_last_recorded_at_a_start() {
    use common::pg::serve_db_unfollowed;
    use riskmap_server::server::config::ServerConfig;
    let Some(server) = server() else { return };
    let url = demo_db(&server, "riskmap_refused_start");
    let before = serve_db_unfollowed(&url, ServerConfig::default()).await;
    let (house, source) = {
        let ds = before.snapshot();
        let ds = ds.dataset();
        (
            ds.houses.get(2).unwrap().clone(),
            ds.hazard_sources.get(3).unwrap().clone(),
        )
    };
    let houses = before.snapshot().dataset().houses.len();
    psql(
        &url,
        &format!("UPDATE houses SET geom = NULL WHERE id = '{}'", house.id),
    );
    psql(
        &url,
        &format!(
            "UPDATE hazard_sources SET geom = ST_GeomFromText('GEOMETRYCOLLECTION EMPTY', 4326)
               WHERE id = '{}'",
            source.id
        ),
    );
    let after = serve_db_unfollowed(&url, ServerConfig::default()).await;
    let snap = after.snapshot();
    let ds = snap.dataset();
    assert_eq!(ds.houses.len(), houses);
    let (_, h) = ds.houses.find_id(&house.id).expect("the house served");
    assert_eq!(h.geometry, house.geometry);
    let (_, s) = ds
        .hazard_sources
        .find_id(&source.id)
        .expect("the source served");
    assert_eq!((&s.geometry, &s.props), (&source.geometry, &source.props));
    let named: Vec<&str> = snap
        .report
        .issues
        .iter()
        .filter_map(|i| i.feature_id.as_deref())
        .collect();
    assert!(named.contains(&house.id.as_str()) && named.contains(&source.id.as_str()));
    // A house deleted, then inserted again without a geometry: it came to be broken, so
    // nothing of it is served (not the house as it was before the deletion), as the
    // running server kept it off the map.
    let other = before
        .snapshot()
        .dataset()
        .houses
        .get(7)
        .unwrap()
        .id
        .clone();
    psql(&url, &format!("DELETE FROM houses WHERE id = '{other}'"));
    psql(
        &url,
        &format!("INSERT INTO houses (id, geom, floors) VALUES ('{other}', NULL, 2)"),
    );
    let again = serve_db_unfollowed(&url, ServerConfig::default()).await;
    assert!(again.snapshot().dataset().houses.find_id(&other).is_none());
    assert_eq!(again.snapshot().dataset().houses.len(), houses - 1);
}
