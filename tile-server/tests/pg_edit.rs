//! Editing through the API on a server that serves a PostGIS store: the change is written
//! to the layer table with its record in `riskmap_changes` (the token's name, before,
//! after) in one transaction, and served beside it, once (its notification changes
//! nothing); the loaders' checks (422) and versions (412) as on a GeoPackage; an edit
//! never overwrites a change another client committed that is not served yet, nor
//! waits long for a row another transaction holds; a change the server cannot take in
//! time is a 504 that says it is stored; edits from psql and the API at the same time are
//! all served. What is written is read back with plain SQL.
//!
//! The database server comes from `RISKMAP_TEST_PG` (scripts/test-all.sh starts a
//! private one). Without the variable the tests say they are skipped; under CI
//! (`CI=true`) a missing database is a failure.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure

mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::http::{Method, StatusCode, header};
use common::edit::{EDITOR, EDITOR_NAME, config, created, edit_ok, req};
use common::pg::{
    connected, demo_db, holding, last_change, psql, serve_db, serve_db_unfollowed, server, until,
};
use common::{centre_tile, get, json, send};
use riskmap_server::server::config::ServerConfig;
use riskmap_server::server::routes::router;
use riskmap_server::server::state::AppState;
use serde_json::{Value, json};

fn uri(id: &str) -> String {
    format!("/api/layers/houses/features/{id}")
}

/// The served house `id`'s occupants and floors, `None` when it is not served.
fn served_house(s: &AppState, id: &str) -> Option<(Option<u32>, Option<u32>)> {
    let snap = s.snapshot();
    let (_, f) = snap.dataset().houses.find_id(id)?;
    Some((f.props.occupants, f.props.floors.map(u32::from)))
}

/// The state serving the database at `url` with `cfg` and following it, and its
/// router, once it listens for the database's notifications.
async fn serving(url: &str, cfg: ServerConfig) -> (Arc<AppState>, axum::Router) {
    let state = serve_db(url, cfg).await;
    let app = router(Arc::clone(&state));
    until(&state, 10, "listening", connected).await;
    (state, app)
}

/// The numbers of a `|`-separated psql row.
fn numbers(row: &str) -> Vec<f64> {
    row.split('|').map(|v| v.parse().unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_edits_are_written_recorded_and_served() {
    let Some(server) = server() else { return };
    let url = demo_db(&server, "riskmap_api_edit");
    let (state, app) = serving(&url, config()).await;
    let s0: i64 = psql(&url, "SELECT max(seq) FROM riskmap_changes")
        .parse()
        .unwrap();
    let count = || psql(&url, "SELECT count(*) FROM riskmap_changes");
    let n0 = count();

    // PATCH: a D-grade house (appraisal key `d`) with 11 people; the base level of a
    // D-grade house is red (docs/rules.md), which no other rule lowers.
    let id = "house-0000011";
    let was = psql(
        &url,
        &format!(
            "SELECT occupants || '|' || appraisal || '|' || floors FROM houses WHERE id = '{id}'"
        ),
    );
    let was: Vec<&str> = was.split('|').collect();
    assert_ne!(
        was[..2],
        ["11", "d"],
        "the demo house is already what the test makes it"
    );
    let (status, h, _) = send(&app, req(Method::GET, &uri(id), Some(EDITOR), None, None)).await;
    assert_eq!(status, StatusCode::OK);
    let version = h[header::ETAG].to_str().unwrap().to_string();
    let gen0 = state.snapshot().generation;
    let mut events = state.changes.subscribe();
    let patch = json!({"type": "Feature", "properties": {"appraisal": "D", "occupants": 11}});
    let (status, h, b) = send(
        &app,
        req(
            Method::PATCH,
            &uri(id),
            Some(EDITOR),
            Some(&patch),
            Some(&version),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    let v2 = h[header::ETAG].to_str().unwrap().to_string();
    assert_ne!(v2, version);
    let generation = json(&b)["generation"].as_u64().unwrap();
    assert!(generation > gen0);
    // Served when answered, announced as made by the token's holder.
    assert!(state.snapshot().generation >= generation);
    assert_eq!(served_house(&state, id).unwrap().0, Some(11));
    let ev = tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ev.actor, EDITOR_NAME);
    assert_eq!(ev.generation, generation);
    let snap = state.snapshot();
    let uid = snap
        .dataset()
        .houses
        .uid(snap.dataset().houses.find_id(id).unwrap().0)
        .unwrap();
    drop(snap);
    let (_, _, b) = send(&app, get(&format!("/api/feature/houses/{uid}"))).await;
    let f = json(&b);
    assert_eq!(f["properties"]["level"], "major", "{f}");
    // The row as sent, the rest of it as it was; one record, by the token's name.
    assert_eq!(
        psql(
            &url,
            &format!(
                "SELECT occupants || '|' || appraisal || '|' || floors FROM houses WHERE id = '{id}'"
            )
        ),
        format!("11|d|{}", was[2])
    );
    assert_eq!(
        psql(
            &url,
            &format!(
                "SELECT actor || '|' || layer || '|' || id || '|' || op || '|'
                        || (before->>'occupants') || '|' || (before->>'appraisal') || '|'
                        || (after->>'occupants') || '|' || (after->>'appraisal')
                 FROM riskmap_changes WHERE seq > {s0}"
            )
        ),
        format!(
            "{EDITOR_NAME}|houses|{id}|update|{}|{}|11|d",
            was[0], was[1]
        )
    );

    // 412: the first version again (another edit came first); nothing written.
    let (status, _, _) = send(
        &app,
        req(
            Method::PATCH,
            &uri(id),
            Some(EDITOR),
            Some(&patch),
            Some(&version),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    // 422: a longitude of 200, with the issue; table, change table and map unchanged.
    let row = || {
        psql(
            &url,
            &format!("SELECT md5(houses::text) FROM houses WHERE id = '{id}'"),
        )
    };
    let (row0, n1, gen1) = (row(), count(), state.snapshot().generation);
    let bad = json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [200.0, 31.9]}, "properties": {}});
    let (status, _, b) = send(
        &app,
        req(Method::PATCH, &uri(id), Some(EDITOR), Some(&bad), None),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(json(&b)["issues"].as_array().is_some_and(|a| !a.is_empty()));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!((row(), count()), (row0, n1.clone()));
    assert_eq!(state.snapshot().generation, gen1);
    assert_eq!(served_house(&state, id).unwrap().0, Some(11));

    // POST: a house of 0.0004° × 0.0003° (a square's corners chosen here).
    let (x0, y0, w, hgt) = (121.17, 31.896, 0.0004, 0.0003);
    let ring = vec![
        [x0, y0],
        [x0 + w, y0],
        [x0 + w, y0 + hgt],
        [x0, y0 + hgt],
        [x0, y0],
    ];
    let new = json!({"type": "Feature", "id": "house-api-1",
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": {"address": "测试路1号", "floors": 2, "occupants": 4}});
    let h = created(&app, "houses", &new).await;
    let v_new = h[header::ETAG].to_str().unwrap().to_string();
    let got = numbers(&psql(
        &url,
        "SELECT ST_XMin(geom) || '|' || ST_YMin(geom) || '|' || ST_XMax(geom) || '|'
                || ST_YMax(geom) || '|' || ST_NPoints(geom) || '|' || ST_SRID(geom) || '|'
                || ST_Area(geom) || '|' || floors || '|' || occupants
         FROM houses WHERE id = 'house-api-1'",
    ));
    let want = [x0, y0, x0 + w, y0 + hgt, 5.0, 4326.0, w * hgt, 2.0, 4.0];
    for (g, e) in got.iter().zip(want) {
        assert!((g - e).abs() < 1e-12, "{got:?} against {want:?}");
    }
    assert_eq!(
        psql(&url, "SELECT address FROM houses WHERE id = 'house-api-1'"),
        "测试路1号"
    );
    // Served, in the tile over it.
    let snap = state.snapshot();
    let (pos, _) = snap.dataset().houses.find_id("house-api-1").unwrap();
    let new_uid = snap.dataset().houses.uid(pos).unwrap();
    drop(snap);
    let (tx, ty) = centre_tile([x0, y0, x0 + w, y0 + hgt], 16);
    let (status, _, b) = send(&app, get(&format!("/tiles/houses/16/{tx}/{ty}.mvt"))).await;
    assert_eq!(status, StatusCode::OK);
    let tile = riskmap_tests::mvt_check::decode(&b).unwrap();
    assert!(
        tile.layers
            .iter()
            .any(|l| l.features.iter().any(|f| f.id == Some(new_uid)))
    );

    // DELETE with its version: the row gone, the feature no longer served.
    let (status, _, b) = send(
        &app,
        req(
            Method::DELETE,
            &uri("house-api-1"),
            Some(EDITOR),
            None,
            Some(&v_new),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    assert_eq!(
        psql(&url, "SELECT count(*) FROM houses WHERE id = 'house-api-1'"),
        "0"
    );
    assert!(served_house(&state, "house-api-1").is_none());
    let (status, _, _) = send(
        &app,
        req(Method::GET, &uri("house-api-1"), None, None, None),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The change table through the API: the three edits, by the token's name, before and
    // after as GeoJSON Features (as a GeoPackage's trail has them; read by the editor,
    // with the fields kept back from others).
    let listed = changes_as_editor(&app, s0).await;
    let recs = listed["changes"].as_array().unwrap();
    let ops: Vec<String> = recs
        .iter()
        .map(|r| {
            format!(
                "{} {} {}",
                r["actor"].as_str().unwrap(),
                r["op"].as_str().unwrap(),
                r["id"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        ops,
        [
            format!("{EDITOR_NAME} update {id}"),
            format!("{EDITOR_NAME} insert house-api-1"),
            format!("{EDITOR_NAME} delete house-api-1"),
        ]
    );
    assert_eq!(
        recs[0]["before"]["properties"]["occupants"].to_string(),
        was[0]
    );
    assert_eq!(recs[0]["after"]["properties"]["occupants"], 11);
    let inserted = &recs[1]["after"];
    assert_eq!(inserted["type"], "Feature");
    assert_eq!(inserted["id"], "house-api-1");
    assert_eq!(inserted["properties"]["address"], "测试路1号");
    assert!(inserted["properties"].get("updated_at").is_none());
    let coords: Vec<[f64; 2]> = inserted["geometry"]["coordinates"][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| [p[0].as_f64().unwrap(), p[1].as_f64().unwrap()])
        .collect();
    assert_eq!(coords.len(), 5);
    for (g, e) in coords.iter().zip(&ring) {
        assert!(
            (g[0] - e[0]).abs() < 1e-9 && (g[1] - e[1]).abs() < 1e-9,
            "{coords:?}"
        );
    }
    assert_eq!(recs[2]["after"], Value::Null);
    assert_eq!(recs[2]["before"]["properties"]["address"], "测试路1号");
    let at = recs[0]["at"].as_str().unwrap();
    assert!(
        at.len() == 24 && at.ends_with('Z') && at.as_bytes()[10] == b'T',
        "{at}"
    );

    // `riskmap history --db` prints the same records.
    let since = s0.to_string();
    let run = |json_out: bool| {
        let mut args = vec!["history", "--db", url.as_str(), "--since", since.as_str()];
        if json_out {
            args.push("--json");
        }
        common::ok(&args)
    };
    let table = run(false);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 4, "{table}");
    assert!(
        lines[1].contains(EDITOR_NAME) && lines[1].contains(id) && lines[1].contains("occupants:"),
        "{table}"
    );
    assert!(
        lines[3].contains("delete") && lines[3].contains("house-api-1"),
        "{table}"
    );
    let printed: Vec<Value> = serde_json::from_str(&run(true)).unwrap();
    assert_eq!(printed.len(), 3);
    for (p, r) in printed.iter().zip(recs) {
        for key in ["seq", "at", "actor", "op", "layer", "id", "before", "after"] {
            assert_eq!(p[key], r[key], "{key}");
        }
    }

    // A server of the same database that does not follow it refuses edits (they would
    // never be served), and still lists the changes.
    let unfollowed = router(serve_db_unfollowed(&url, config()).await);
    let (status, _, b) = send(
        &unfollowed,
        req(Method::PATCH, &uri(id), Some(EDITOR), Some(&patch), None),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        json(&b)["error"].as_str().unwrap().contains("watch"),
        "{}",
        json(&b)
    );
    assert_eq!(
        changes_as_editor(&unfollowed, s0).await["changes"],
        listed["changes"]
    );
    assert_eq!(
        count().parse::<u64>().unwrap(),
        n0.parse::<u64>().unwrap() + 3
    );
}

/// A house of another geometry type than its column declares (a multipolygon where the
/// table was made for polygons): the column is widened to `Geometry` in the edit's own
/// transaction, the row written, recorded as this edit's change, and served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_of_another_geometry_type_widens_the_column_and_is_served() {
    let Some(server) = server() else { return };
    let url = demo_db(&server, "riskmap_api_widen");
    let (state, app) = serving(&url, config()).await;
    let declared = || {
        psql(
            &url,
            "SELECT type FROM geometry_columns WHERE f_table_name = 'houses' \
             AND f_geometry_column = 'geom'",
        )
    };
    assert_eq!(declared(), "POLYGON");
    // A polygon written leaves the column as declared (the type read from the column
    // agrees with PostGIS's view of it).
    let patch = json!({"type": "Feature", "properties": {"occupants": 4}});
    edit_ok(&app, Method::PATCH, &uri("house-0000061"), Some(&patch)).await;
    assert_eq!(declared(), "POLYGON");
    let s0: i64 = psql(&url, "SELECT max(seq) FROM riskmap_changes")
        .parse()
        .unwrap();
    // Two squares of 0.0002° apart by 0.0004°.
    let square = |x0: f64| {
        let (y0, d) = (31.896, 0.0002);
        json!([[
            [x0, y0],
            [x0 + d, y0],
            [x0 + d, y0 + d],
            [x0, y0 + d],
            [x0, y0]
        ]])
    };
    let new = json!({"type": "Feature", "id": "house-api-multi",
        "geometry": {"type": "MultiPolygon", "coordinates": [square(121.17), square(121.1706)]},
        "properties": {"address": "测试路2号", "floors": 1, "occupants": 3}});
    created(&app, "houses", &new).await;
    assert_eq!(declared(), "GEOMETRY");
    assert_eq!(
        psql(
            &url,
            "SELECT ST_GeometryType(geom) || '|' || ST_NumGeometries(geom) || '|' || occupants \
             FROM houses WHERE id = 'house-api-multi'"
        ),
        "ST_MultiPolygon|2|3"
    );
    // Recorded once, as this token's insert, and served when the answer came.
    assert_eq!(
        psql(
            &url,
            &format!(
                "SELECT actor || ' ' || op || ' ' || id FROM riskmap_changes WHERE seq > {s0}"
            )
        ),
        format!("{EDITOR_NAME} insert house-api-multi")
    );
    assert_eq!(
        served_house(&state, "house-api-multi"),
        Some((Some(3), Some(1)))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_never_overwrites_a_change_not_yet_served_and_says_when_it_is_not_served() {
    let Some(server) = server() else { return };
    let url = demo_db(&server, "riskmap_api_stale");
    let cfg = ServerConfig {
        edit_serve_timeout_s: 1.0,
        ..config()
    };
    let (state, app) = serving(&url, cfg).await;
    let (a, b) = ("house-0000031", "house-0000032");
    let (_, h, _) = send(&app, req(Method::GET, &uri(a), Some(EDITOR), None, None)).await;
    let va = h[header::ETAG].to_str().unwrap().to_string();
    let occupants_a = psql(
        &url,
        &format!("SELECT occupants FROM houses WHERE id = '{a}'"),
    );
    let floors_b = served_house(&state, b).unwrap().1;

    // The change path is held: the follower cannot read or serve the changed rows, nor
    // an edit be served beside its transaction.
    let hold = state.reload_lock.lock().await;
    psql(
        &url,
        &format!("UPDATE houses SET floors = 7 WHERE id = '{a}'"),
    );
    let s1: i64 = psql(&url, "SELECT max(seq) FROM riskmap_changes")
        .parse()
        .unwrap();
    let patch = json!({"type": "Feature", "properties": {"occupants": 12}});
    // With the version served: 412, the database has a newer one.
    let (status, _, body) = send(
        &app,
        req(
            Method::PATCH,
            &uri(a),
            Some(EDITOR),
            Some(&patch),
            Some(&va),
        ),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::PRECONDITION_FAILED,
        "{}",
        String::from_utf8_lossy(&body)
    );
    assert!(
        json(&body)["error"]
            .as_str()
            .unwrap()
            .contains(&format!("change {s1}"))
    );
    // Without a version: 409, rather than overwrite what the editor has not seen.
    let (status, _, _) = send(
        &app,
        req(Method::PATCH, &uri(a), Some(EDITOR), Some(&patch), None),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        psql(
            &url,
            &format!("SELECT floors || '|' || occupants FROM houses WHERE id = '{a}'")
        ),
        format!("7|{occupants_a}")
    );
    assert_eq!(
        psql(
            &url,
            &format!("SELECT count(*) FROM riskmap_changes WHERE seq > {s1}")
        ),
        "0"
    );

    // An edit of another house is stored, but not served within the second allowed.
    let t0 = std::time::Instant::now();
    let (status, _, body) = send(
        &app,
        req(
            Method::PATCH,
            &uri(b),
            Some(EDITOR),
            Some(&json!({"type": "Feature", "properties": {"floors": 9}})),
            None,
        ),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::GATEWAY_TIMEOUT,
        "{}",
        String::from_utf8_lossy(&body)
    );
    assert!(t0.elapsed() >= Duration::from_secs(1));
    let msg = json(&body)["error"].as_str().unwrap().to_string();
    assert!(
        msg.contains("stored") && msg.contains("not yet served"),
        "{msg}"
    );
    assert_eq!(
        psql(&url, &format!("SELECT floors FROM houses WHERE id = '{b}'")),
        "9"
    );
    assert_eq!(
        psql(
            &url,
            &format!("SELECT actor FROM riskmap_changes WHERE id = '{b}' AND seq > {s1}")
        ),
        EDITOR_NAME
    );
    assert_eq!(served_house(&state, b).unwrap().1, floors_b);

    // Let go: both changes are served.
    drop(hold);
    until(&state, 10, "both served", |s| {
        served_house(s, a).unwrap().1 == Some(7) && served_house(s, b).unwrap().1 == Some(9)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn psql_and_api_edits_at_the_same_time_are_all_served() {
    let Some(server) = server() else { return };
    let url = demo_db(&server, "riskmap_api_concurrent");
    let (state, app) = serving(&url, config()).await;
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);

    // Another client's transaction takes its change number first and commits after
    // the API's edit is served.
    client
        .batch_execute("BEGIN; UPDATE houses SET floors = 7 WHERE id = 'house-0000041'")
        .await
        .unwrap();
    let patch = |n: u32| json!({"type": "Feature", "properties": {"occupants": n}});
    let (status, _, b) = send(
        &app,
        req(
            Method::PATCH,
            &uri("house-0000042"),
            Some(EDITOR),
            Some(&patch(13)),
            None,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    assert_eq!(served_house(&state, "house-0000042").unwrap().0, Some(13));
    client.batch_execute("COMMIT").await.unwrap();
    until(&state, 10, "the earlier-numbered change served", |s| {
        served_house(s, "house-0000041").unwrap().1 == Some(7)
    })
    .await;

    // Both at once, several times.
    for k in 0..5u32 {
        let (ida, idb) = (format!("house-00001{}0", k), format!("house-00001{}1", k));
        let update = format!("UPDATE houses SET floors = {} WHERE id = '{ida}'", 20 + k);
        let body = patch(30 + k);
        let (db, api) = tokio::join!(
            client.execute(&update, &[]),
            send(
                &app,
                req(Method::PATCH, &uri(&idb), Some(EDITOR), Some(&body), None)
            ),
        );
        assert_eq!(db.unwrap(), 1);
        assert_eq!(api.0, StatusCode::OK, "{}", String::from_utf8_lossy(&api.2));
        assert_eq!(served_house(&state, &idb).unwrap().0, Some(30 + k));
        until(&state, 10, "the psql edit served", |s| {
            served_house(s, &ida).unwrap().1 == Some(20 + k)
        })
        .await;
    }
    // Who made what, as recorded.
    assert_eq!(
        psql(
            &url,
            "SELECT string_agg(actor || ' ' || id, ',' ORDER BY id) FROM riskmap_changes
             WHERE actor <> 'import'"
        ),
        [
            "database house-0000041",
            "zhang-san house-0000042",
            "database house-0000100",
            "zhang-san house-0000101",
            "database house-0000110",
            "zhang-san house-0000111",
            "database house-0000120",
            "zhang-san house-0000121",
            "database house-0000130",
            "zhang-san house-0000131",
            "database house-0000140",
            "zhang-san house-0000141",
        ]
        .join(",")
    );
}

/// A `PATCH` of house `id`'s occupants by the editor, with `version` as `If-Match`.
/// `/api/changes` after `since`, read with the editor's token (which has the fields
/// `deny_fields` keeps back from others).
async fn changes_as_editor(app: &axum::Router, since: impl std::fmt::Display) -> Value {
    let uri = format!("/api/changes?since={since}");
    let (status, _, b) = send(app, req(Method::GET, &uri, Some(EDITOR), None, None)).await;
    assert_eq!(status, StatusCode::OK);
    json(&b)
}

async fn patch_occupants(
    app: &axum::Router,
    id: &str,
    n: u32,
    version: Option<&str>,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let body = json!({"type": "Feature", "properties": {"occupants": n}});
    send(
        app,
        req(Method::PATCH, &uri(id), Some(EDITOR), Some(&body), version),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_edit_is_served_beside_its_transaction_once_and_waits_little_for_a_held_row() {
    let Some(server) = server() else { return };
    let url = demo_db(&server, "riskmap_api_beside");
    let cfg = ServerConfig {
        edit_serve_timeout_s: 1.0,
        ..config()
    };
    let (state, app) = serving(&url, cfg).await;
    let a = "house-0000051";

    // Two edits of one house, the second sent as soon as the first is answered, with the
    // first's version: the follower has not had the first's notification yet (it waits
    // 50 ms for more), and the second is not refused as stale because of it.
    let (status, h, b) = patch_occupants(&app, a, 21, None).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    let g1 = json(&b)["generation"].as_u64().unwrap();
    assert_eq!(served_house(&state, a).unwrap().0, Some(21));
    let v1 = h[header::ETAG].to_str().unwrap().to_string();
    let (status, _, b) = patch_occupants(&app, a, 22, Some(&v1)).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    let g2 = json(&b)["generation"].as_u64().unwrap();
    assert_eq!(g2, g1 + 1, "each edit is one batch");
    assert_eq!(served_house(&state, a).unwrap().0, Some(22));
    let occupants = || {
        psql(
            &url,
            &format!("SELECT occupants FROM houses WHERE id = '{a}'"),
        )
    };
    assert_eq!(occupants(), "22");
    // The follower reads both rows and finds them as served: no new generation.
    let s2 = last_change(&url);
    until(&state, 10, "the notifications handled", |s| {
        s.served_seq.load(std::sync::atomic::Ordering::SeqCst) >= s2
    })
    .await;
    assert_eq!(state.snapshot().generation, g2);

    // A row another session holds (a transaction not yet committed) is waited for at most
    // `edit_serve_timeout_s`: 409, nothing written, the map as it was.
    let client = holding(
        &url,
        &format!("UPDATE houses SET floors = 8 WHERE id = '{a}'"),
    )
    .await;
    let t0 = std::time::Instant::now();
    let (status, _, b) = patch_occupants(&app, a, 23, None).await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "{}",
        String::from_utf8_lossy(&b)
    );
    assert!(
        t0.elapsed() >= Duration::from_millis(900),
        "{:?}",
        t0.elapsed()
    );
    let msg = json(&b)["error"].as_str().unwrap().to_string();
    assert!(msg.contains("held by another transaction"), "{msg}");
    client.batch_execute("ROLLBACK").await.unwrap();
    assert_eq!(occupants(), "22");
    assert_eq!(last_change(&url), s2);
    assert_eq!(state.snapshot().generation, g2);
    assert_eq!(served_house(&state, a).unwrap().0, Some(22));
}

/// QGIS lets a user change a row's `id`: the change table records the old id deleted and
/// the new one inserted, so the map lets go of the old id; an edit of the old id made
/// before the map followed is refused rather than written back as a second row; and a
/// row deleted without a record (triggers off) is not written back by an edit either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_id_changed_in_the_database_is_let_go_and_never_written_back() {
    let Some(server) = server() else { return };
    let url = demo_db(&server, "riskmap_api_renamed");
    let (state, app) = serving(&url, config()).await;
    let (old, new) = ("house-0000040", "house-renamed");
    let rows = psql(&url, "SELECT count(*) FROM houses");
    let hold = state.reload_lock.lock().await;
    psql(
        &url,
        &format!("UPDATE houses SET id = '{new}' WHERE id = '{old}'"),
    );
    // Two records: the old id deleted (the row before), the new one inserted.
    assert_eq!(
        psql(
            &url,
            "SELECT string_agg(op || ':' || id || ':' || (before IS NULL)::text || ':' \
             || (after IS NULL)::text, ',' ORDER BY seq) FROM riskmap_changes \
             WHERE seq > (SELECT max(seq) - 2 FROM riskmap_changes)"
        ),
        format!("delete:{old}:false:true,insert:{new}:true:false")
    );
    // Still served under its old id (the path is held): a PATCH of it is refused, not
    // written back as a second row.
    assert!(served_house(&state, old).is_some());
    // A PATCH of `id` that must be refused with 409: its answer.
    let refused_patch = |id: &str| {
        let (app, uri) = (app.clone(), uri(id));
        async move {
            let patch = json!({"type": "Feature", "properties": {"floors": 2}});
            let (status, _, body) = send(
                &app,
                req(Method::PATCH, &uri, Some(EDITOR), Some(&patch), None),
            )
            .await;
            assert_eq!(
                status,
                StatusCode::CONFLICT,
                "{}",
                String::from_utf8_lossy(&body)
            );
            json(&body)
        }
    };
    refused_patch(old).await;
    assert_eq!(psql(&url, "SELECT count(*) FROM houses"), rows);
    assert_eq!(
        psql(
            &url,
            &format!("SELECT count(*) FROM houses WHERE id = '{old}'")
        ),
        "0"
    );
    drop(hold);
    until(&state, 10, "the new id served, the old one let go", |s| {
        served_house(s, old).is_none() && served_house(s, new).is_some()
    })
    .await;
    assert_eq!(
        state.snapshot().dataset().houses.len().to_string(),
        psql(&url, "SELECT count(*) FROM houses")
    );

    // A row deleted with the triggers off: no record, the map still serves it. An edit
    // of it says it is gone and writes nothing.
    let gone = "house-0000041";
    psql(
        &url,
        &format!("SET session_replication_role = replica; DELETE FROM houses WHERE id = '{gone}'"),
    );
    assert!(served_house(&state, gone).is_some());
    let msg = refused_patch(gone).await["error"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(msg.contains("no longer in the database"), "{msg}");
    assert_eq!(
        psql(
            &url,
            &format!("SELECT count(*) FROM houses WHERE id = '{gone}'")
        ),
        "0"
    );
}
