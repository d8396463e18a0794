//! A served PostGIS store followed through its notifications: rows that another client
//! (psql here, QGIS in an office) inserts, updates or deletes reach the served map
//! through the loaders' checks and the change path; a database that goes away leaves the
//! last state served, `/health` degraded, and what changed meanwhile is caught up.
//!
//! The database server comes from `RISKMAP_TEST_PG` (scripts/test-all.sh starts a
//! private one); the outage test starts a cluster of its own with scripts/pg-private.sh
//! so that it can stop it. Without the variable the tests say they are skipped; under
//! CI (`CI=true`) a missing database is a failure.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::pg::{connected, demo_db, psql, serve_db, server, until};
use common::{get, json, send};
use geo::{Area, Geometry};
use riskmap_server::server::config::ServerConfig;
use riskmap_server::server::pg_listen;
use riskmap_server::server::routes::router;
use riskmap_server::server::state::{DataSource, Snapshot};

fn first_vertex(g: &Geometry<f64>) -> (f64, f64) {
    match g {
        Geometry::Polygon(p) => (p.exterior().0[0].x, p.exterior().0[0].y),
        Geometry::Point(p) => (p.x(), p.y()),
        other => panic!("a house is a polygon or a point, not {other:?}"),
    }
}

fn tile_of(lon: f64, lat: f64, z: u8) -> (u32, u32) {
    let n = f64::from(1u32 << z);
    let x = ((lon + 180.0) / 360.0 * n).floor() as u32;
    let lr = lat.to_radians();
    let y = ((1.0 - (lr.tan() + 1.0 / lr.cos()).ln() / std::f64::consts::PI) / 2.0 * n).floor();
    (x, y as u32)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_changed_by_another_client_reach_the_served_map() {
    let Some(server) = server() else { return };
    let url = demo_db(&server, "riskmap_live");
    let state = serve_db(&url, ServerConfig::default()).await;
    let app = router(Arc::clone(&state));
    until(&state, 10, "listening", connected).await;
    let (_, _, body) = send(&app, get("/health")).await;
    let h = json(&body);
    assert_eq!(h["status"], "ok");
    assert_eq!(h["source"]["kind"], "postgis");
    assert_eq!(h["database"]["connected"], true);

    // A house moved 0.02° east by psql (about 1.9 km: another z16 tile).
    let snap = state.snapshot();
    let house = snap.dataset().houses.get(10).unwrap().clone();
    let gen0 = snap.generation;
    drop(snap);
    let (lon, lat) = first_vertex(&house.geometry);
    psql(
        &url,
        &format!(
            "UPDATE houses SET geom = ST_Translate(geom, 0.02, 0) WHERE id = '{}'",
            house.id
        ),
    );
    until(&state, 5, "the moved house served", |s| {
        s.snapshot().generation > gen0
    })
    .await;
    let snap = state.snapshot();
    let (pos, moved) = snap.dataset().houses.find_id(&house.id).unwrap();
    let (x, y) = first_vertex(&moved.geometry);
    assert!(
        (x - (lon + 0.02)).abs() < 1e-7 && (y - lat).abs() < 1e-7,
        "{x} {y}"
    );
    let uid = snap.dataset().houses.uid(pos).unwrap();
    drop(snap);
    let (tx, ty) = tile_of(lon + 0.02, lat, 16);
    let (status, _, body) = send(&app, get(&format!("/tiles/houses/16/{tx}/{ty}.mvt"))).await;
    assert_eq!(status, 200);
    let tile = riskmap_tests::mvt_check::decode(&body).expect("valid tile");
    let ids: Vec<u64> = tile
        .layers
        .iter()
        .flat_map(|l| l.features.iter().filter_map(|f| f.id))
        .collect();
    assert!(ids.contains(&uid), "house {uid} not in tile 16/{tx}/{ty}");
    let mut events = state.changes.subscribe();

    // A hazard source's inventory: hs-0004 keeps 300 t of ammonia (the demo's ledger);
    // psql makes it 600 t.
    let before = psql(
        &url,
        "SELECT inventory FROM hazard_sources WHERE id = 'hs-0004'",
    );
    assert!(before.contains("300"), "{before}");
    psql(
        &url,
        "UPDATE hazard_sources SET inventory = replace(inventory, '300', '600') WHERE id = 'hs-0004'",
    );
    let ev = tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ev.actor, "database");
    assert_eq!(ev.features, 1);
    let snap = state.snapshot();
    let (_, hs) = snap.dataset().hazard_sources.find_id("hs-0004").unwrap();
    let ammonia: Vec<f64> = hs
        .props
        .inventory
        .iter()
        .filter(|i| i.cas.as_deref() == Some("7664-41-7"))
        .map(|i| i.tonnes)
        .collect();
    assert_eq!(ammonia, vec![600.0]);
    // Its enterprise named by credit code, in the transaction that renames another
    // enterprise: resolved against every served enterprise, as the loaders resolve it.
    let owner_id = hs.props.enterprise_id.clone().unwrap();
    let (_, owner) = snap.dataset().enterprises.find_id(&owner_id).unwrap();
    let code = owner
        .props
        .credit_code
        .clone()
        .expect("the demo's enterprises have codes");
    let other_ent = snap
        .dataset()
        .enterprises
        .features()
        .iter()
        .find(|e| e.id != owner_id)
        .unwrap()
        .id
        .clone();
    drop(snap);
    psql(
        &url,
        &format!(
            "BEGIN; UPDATE enterprises SET name = name || '（更名）' WHERE id = '{other_ent}'; \
             UPDATE hazard_sources SET enterprise_id = '{code}', inventory = replace(inventory, '600', '650') WHERE id = 'hs-0004'; COMMIT;"
        ),
    );
    let ev = tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ev.features, 2, "{ev:?}");
    let snap = state.snapshot();
    let (_, hs) = snap.dataset().hazard_sources.find_id("hs-0004").unwrap();
    assert_eq!(hs.props.enterprise_id.as_deref(), Some(owner_id.as_str()));
    let (_, renamed) = snap.dataset().enterprises.find_id(&other_ent).unwrap();
    assert!(renamed.props.name.ends_with("（更名）"));
    drop(snap);
    // A reference that matches no enterprise is kept as written, with a warning.
    psql(
        &url,
        "UPDATE hazard_sources SET enterprise_id = 'no-such-enterprise' WHERE id = 'hs-0004'",
    );
    let ev = tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ev.features, 1);
    until(&state, 5, "the unknown enterprise reported", |s| {
        s.database
            .lock()
            .unwrap()
            .warnings
            .iter()
            .any(|r| r.id == "hs-0004" && r.why.contains("no-such-enterprise"))
    })
    .await;
    let snap = state.snapshot();
    let (_, hs) = snap.dataset().hazard_sources.find_id("hs-0004").unwrap();
    assert_eq!(
        hs.props.enterprise_id.as_deref(),
        Some("no-such-enterprise")
    );
    drop(snap);
    // Named by its owner's credit code again, with no enterprise in the transaction: a
    // reference that is not an id is resolved against every served enterprise too.
    psql(
        &url,
        &format!("UPDATE hazard_sources SET enterprise_id = '{code}' WHERE id = 'hs-0004'"),
    );
    let ev = tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ev.features, 1);
    let snap = state.snapshot();
    let (_, hs) = snap.dataset().hazard_sources.find_id("hs-0004").unwrap();
    assert_eq!(hs.props.enterprise_id.as_deref(), Some(owner_id.as_str()));
    drop(snap);

    // A house with floors = -3: the loaders leave a negative count empty, with a
    // warning (as for a file); the warning is reported.
    let other = state.snapshot().dataset().houses.get(20).unwrap().clone();
    assert!(other.props.floors.is_some());
    psql(
        &url,
        &format!("UPDATE houses SET floors = -3 WHERE id = '{}'", other.id),
    );
    let ev = tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ev.features, 1);
    let snap = state.snapshot();
    let (_, emptied) = snap.dataset().houses.find_id(&other.id).unwrap();
    assert_eq!(emptied.props.floors, None);
    assert_eq!(emptied.geometry, other.geometry);
    drop(snap);
    // The status is written after the batch is served.
    until(&state, 5, "the warning reported", |s| {
        common::pg::warned(s, &other.id)
    })
    .await;
    let (_, _, body) = send(&app, get("/health")).await;
    let warnings = &json(&body)["database"]["warnings"];
    assert!(warnings.to_string().contains(&other.id), "{warnings}");
    assert!(warnings.to_string().contains("negative"), "{warnings}");

    // A house moved by SQL to New York: applied with the loaders' warning for where it
    // lies (rows read alone have no areas of their own to be compared with).
    let far = state.snapshot().dataset().houses.get(50).unwrap().clone();
    psql(
        &url,
        &format!(
            "UPDATE houses SET geom = ST_MakeEnvelope(-74.0, 40.7, -73.9999, 40.7001, 4326) \
             WHERE id = '{}'",
            far.id
        ),
    );
    let ev = tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ev.features, 1);
    until(&state, 5, "the far house reported", |s| {
        common::pg::warned(s, &far.id)
    })
    .await;
    let (_, _, body) = send(&app, get("/api/validation")).await;
    let v = json(&body);
    let codes: Vec<&str> = v["issues"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["feature_id"] == far.id.as_str())
        .map(|i| i["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["far_from_data"], "{v}");

    // A house without a geometry: refused by the checks, the served one stays as it was.
    let fourth = state.snapshot().dataset().houses.get(40).unwrap().clone();
    psql(
        &url,
        &format!(
            "UPDATE houses SET geom = NULL, floors = 9 WHERE id = '{}'",
            fourth.id
        ),
    );
    until(&state, 5, "the refusal reported", |s| {
        common::pg::refused(s, &fourth.id)
    })
    .await;
    let snap = state.snapshot();
    let (_, kept) = snap.dataset().houses.find_id(&fourth.id).unwrap();
    assert_eq!(kept.props.floors, fourth.props.floors);
    assert_eq!(kept.geometry, fourth.geometry);
    drop(snap);
    let (_, _, body) = send(&app, get("/health")).await;
    let refused = &json(&body)["database"]["refused"];
    assert!(refused.to_string().contains(&fourth.id), "{refused}");
    // The validation report says so too, and the houses' counts are what is served.
    let houses_file = |v: &serde_json::Value| {
        v["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["layer"] == "houses")
            .cloned()
            .unwrap()
    };
    let issues_of = |v: &serde_json::Value, id: &str| -> Vec<String> {
        v["issues"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["feature_id"] == id)
            .map(|i| i["code"].as_str().unwrap().to_string())
            .collect()
    };
    // (a batch refused whole changes the report alone: a generation without features)
    let ev = tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((ev.features, ev.bbox), (0, None));
    let served_houses = state.snapshot().dataset().houses.len() as u64;
    let (_, _, body) = send(&app, get("/api/validation")).await;
    let v = json(&body);
    assert_eq!(issues_of(&v, &fourth.id), ["missing_geometry"], "{v}");
    assert_eq!(houses_file(&v)["features_loaded"], served_houses);
    // Fixed in the table: the issue goes.
    let (fx, fy) = first_vertex(&fourth.geometry);
    psql(
        &url,
        &format!(
            "UPDATE houses SET geom = ST_MakeEnvelope({fx}, {fy}, {}, {}, 4326) WHERE id = '{}'",
            fx + 1e-4,
            fy + 1e-4,
            fourth.id
        ),
    );
    let ev = tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ev.features, 1);
    let (_, _, body) = send(&app, get("/api/validation")).await;
    let v = json(&body);
    assert!(issues_of(&v, &fourth.id).is_empty(), "{v}");
    // And `/health` no longer lists it as refused (its other entries carry when read;
    // the status is written after the batch is served).
    until(&state, 5, "the refusal let go", |s| {
        !common::pg::refused(s, &fourth.id)
    })
    .await;
    let (_, _, body) = send(&app, get("/health")).await;
    let refused = &json(&body)["database"]["refused"];
    assert!(!refused.to_string().contains(&fourth.id), "{refused}");
    let warnings = &json(&body)["database"]["warnings"];
    assert!(
        warnings[0]["at"].as_u64().unwrap() > 1_700_000_000,
        "{warnings}"
    );

    // A self-intersecting square (a bow tie of side 0.001°) is repaired, as the
    // loaders repair it: two triangles, each a quarter of the square.
    let third = state.snapshot().dataset().houses.get(30).unwrap().clone();
    let (bx, by) = first_vertex(&third.geometry);
    let d = 0.001;
    psql(
        &url,
        &format!(
            "UPDATE houses SET geom = ST_GeomFromText('POLYGON(({bx} {by}, {x1} {y1}, {x1} {by}, {bx} {y1}, {bx} {by}))', 4326) WHERE id = '{}'",
            third.id,
            x1 = bx + d,
            y1 = by + d
        ),
    );
    let ev = tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ev.features, 1);
    let snap = state.snapshot();
    let (_, fixed) = snap.dataset().houses.find_id(&third.id).unwrap();
    let area = fixed.geometry.unsigned_area();
    assert!(
        (area - d * d / 2.0).abs() < d * d * 1e-6,
        "{area} {:?}",
        fixed.geometry
    );
    drop(snap);

    // A DELETE removes it.
    let n = state.snapshot().dataset().houses.len();
    psql(
        &url,
        &format!("DELETE FROM houses WHERE id = '{}'", house.id),
    );
    let ev = tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ev.features, 1);
    let snap = state.snapshot();
    assert!(snap.dataset().houses.find_id(&house.id).is_none());
    assert_eq!(snap.dataset().houses.len(), n - 1);
    drop(snap);
    let (status, _, body) = send(&app, get(&format!("/tiles/houses/16/{tx}/{ty}.mvt"))).await;
    if status == 200 {
        let tile = riskmap_tests::mvt_check::decode(&body).expect("valid tile");
        assert!(
            !tile
                .layers
                .iter()
                .flat_map(|l| l.features.iter().filter_map(|f| f.id))
                .any(|i| i == uid)
        );
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn cluster(cmd: &str, dir: &Path, port: Option<u16>) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/pg-private.sh");
    let mut c = Command::new("bash");
    c.arg(&script).arg(cmd).arg(dir);
    if let Some(p) = port {
        c.arg(p.to_string());
    }
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "pg-private {cmd}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Stops the cluster however the test ends.
struct Cluster(PathBuf);

impl Drop for Cluster {
    fn drop(&mut self) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/pg-private.sh");
        let _ = Command::new("bash")
            .arg(script)
            .args(["stop"])
            .arg(&self.0)
            .arg("--purge")
            .output();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_that_goes_away_leaves_the_map_served_and_is_caught_up() {
    if server().is_none() {
        return;
    }
    // A cluster of its own, to stop and start; a short path for its unix socket.
    let dir = tempfile::Builder::new()
        .prefix("rmpg")
        .tempdir_in("/tmp")
        .unwrap();
    let dir = dir.keep();
    let guard = Cluster(dir.clone());
    let port = free_port();
    cluster("start", &dir, Some(port));
    let server = format!("postgres://postgres@127.0.0.1:{port}/postgres");
    let url = demo_db(&server, "riskmap_outage");
    let cfg = ServerConfig {
        tokens: common::edit::config().tokens,
        ..ServerConfig::default()
    };
    let state = serve_db(&url, cfg).await;
    let app = router(Arc::clone(&state));
    until(&state, 10, "listening", connected).await;
    let houses = state.snapshot().dataset().houses.clone();
    let (a, b) = (
        houses.get(5).unwrap().clone(),
        houses.get(6).unwrap().clone(),
    );
    let n = houses.len();

    cluster("stop", &dir, None);
    until(&state, 10, "the loss noticed", |s| !connected(s)).await;
    let (_, _, body) = send(&app, get("/health")).await;
    let h = json(&body);
    assert_eq!(h["status"], "degraded", "{h}");
    assert_eq!(h["database"]["connected"], false);
    assert!(h["database"]["last_error"].is_string(), "{h}");
    // A reconnection refused says why, not only "error connecting to server".
    until(&state, 10, "a refused reconnection's cause said", |s| {
        s.database
            .lock()
            .unwrap()
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("connecting") && e.contains("refused"))
    })
    .await;
    // Still served, unchanged.
    let (status, _, body) = send(&app, get("/api/summary")).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(state.snapshot().dataset().houses.len(), n);
    // An edit meanwhile: the database is out of reach, 503 with when to try again.
    let patch = serde_json::json!({"type": "Feature", "properties": {"floors": 2}});
    let (status, headers, body) = send(
        &app,
        common::edit::req(
            axum::http::Method::PATCH,
            &format!("/api/layers/houses/features/{}", b.id),
            Some(common::edit::EDITOR),
            Some(&patch),
            None,
        ),
    )
    .await;
    assert_eq!(status, 503, "{}", String::from_utf8_lossy(&body));
    assert!(headers.contains_key("retry-after"), "{headers:?}");
    assert_eq!(state.snapshot().dataset().houses.len(), n);
    // Let the pause before the next attempt grow: after the fifth failed attempt the
    // listener waits 8 s (0.5, 1, 2, 4, 8), longer than the cluster takes to start.
    until(&state, 30, "five attempts", |s| {
        s.database.lock().unwrap().reconnect_attempts >= 5
    })
    .await;

    // Started again: a change committed by another connection before the listener is
    // back is caught up from the change table.
    cluster("start", &dir, Some(port));
    psql(&url, &format!("DELETE FROM houses WHERE id = '{}'", a.id));
    assert!(
        !connected(&state),
        "the listener came back before the change was made: the catch-up is not tested"
    );
    until(&state, 40, "reconnected", connected).await;
    until(&state, 5, "the change made while away applied", |s| {
        s.snapshot().dataset().houses.find_id(&a.id).is_none()
    })
    .await;
    assert_eq!(state.snapshot().dataset().houses.len(), n - 1);
    // And one made after it is back.
    psql(&url, &format!("DELETE FROM houses WHERE id = '{}'", b.id));
    until(&state, 5, "the change made after applied", |s| {
        s.snapshot().dataset().houses.find_id(&b.id).is_none()
    })
    .await;
    let (_, _, body) = send(&app, get("/health")).await;
    let h = json(&body);
    assert_eq!(h["status"], "ok", "{h}");
    assert!(h["database"]["reconnect_attempts"].as_u64().unwrap() >= 5);
    drop(guard);
}

/// A change storm: one transaction changing 3,065 houses (3,000 moved and given two
/// more occupants, 40 deleted, 25 new; the hidden hazards drawn at the moved houses
/// follow them) is more than [`pg_listen::NOTE_CAP`] features, so
/// the listener reads it from the change table and applies it as one batch; what is
/// served then equals a fresh load of the database, house by house, with the same risk
/// levels and summary. Prints how long a single row's change takes from its commit to
/// being served and to its tile, and the storm's (`--nocapture`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storm_of_changes_is_one_batch_read_from_the_change_table() {
    let Some(server) = server() else { return };
    let url = demo_db(&server, "riskmap_storm");
    let state = serve_db(&url, ServerConfig::default()).await;
    let app = router(Arc::clone(&state));
    until(&state, 10, "listening", connected).await;
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);

    // One row: commit → served → its tile drawn (after a first change, so that the
    // catch-up at start is over).
    let mut events = state.changes.subscribe();
    client
        .execute("UPDATE houses SET floors = coalesce(floors, 0) + 1 WHERE id = (SELECT min(id) FROM houses)", &[])
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(10), events.recv())
        .await
        .unwrap()
        .unwrap();
    let house = state.snapshot().dataset().houses.get(100).unwrap().clone();
    let (lon, lat) = first_vertex(&house.geometry);
    let t0 = Instant::now();
    client
        .execute(
            "UPDATE houses SET geom = ST_Translate(geom, 0.01, 0) WHERE id = $1",
            &[&house.id],
        )
        .await
        .unwrap();
    let committed = t0.elapsed();
    let ev = tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .unwrap()
        .unwrap();
    let served = t0.elapsed();
    let (tx, ty) = tile_of(lon + 0.01, lat, 16);
    let (status, _, _) = send(&app, get(&format!("/tiles/houses/16/{tx}/{ty}.mvt"))).await;
    assert_eq!(status, 200);
    let tiled = t0.elapsed();
    eprintln!(
        "one house moved: committed {:.1} ms, served {:.1} ms (batch applied in {:.1} ms), tile {:.1} ms after the UPDATE began",
        committed.as_secs_f64() * 1e3,
        served.as_secs_f64() * 1e3,
        ev.apply_ms,
        tiled.as_secs_f64() * 1e3
    );

    // The storm, in one transaction: the first 3,000 ids moved and given occupants,
    // the last 40 deleted, 25 copies of others inserted under new ids (3,065 features).
    let seq0: i64 = client
        .query_one("SELECT coalesce(max(seq), 0) FROM riskmap_changes", &[])
        .await
        .unwrap()
        .get(0);
    let mut events = state.changes.subscribe();
    let t0 = Instant::now();
    client
        .batch_execute(
            "BEGIN;
             UPDATE houses SET geom = ST_Translate(geom, 0.003, 0.002),
                    occupants = coalesce(occupants, 0) + 2
              WHERE id IN (SELECT id FROM houses ORDER BY id LIMIT 3000);
             DELETE FROM houses WHERE id IN (SELECT id FROM houses ORDER BY id DESC LIMIT 40);
             CREATE TEMP TABLE storm_new ON COMMIT DROP AS
               SELECT * FROM houses ORDER BY id DESC LIMIT 25;
             UPDATE storm_new SET id = 'storm-' || id, geom = ST_Translate(geom, -0.004, 0.001);
             INSERT INTO houses SELECT * FROM storm_new;
             COMMIT;",
        )
        .await
        .unwrap();
    let committed = t0.elapsed();
    let changed: i64 = client
        .query_one(
            "SELECT count(DISTINCT (layer, id)) FROM riskmap_changes WHERE seq > $1",
            &[&seq0],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(changed, 3065);
    let ev = tokio::time::timeout(Duration::from_secs(60), events.recv())
        .await
        .unwrap()
        .unwrap();
    let served = t0.elapsed();
    assert_eq!(ev.actor, "database");
    // The hidden hazards drawn at a moved house's place move with it, in the same batch.
    let following: i64 = client
        .query_one(
            "SELECT count(*) FROM hidden_hazards WHERE NOT own_location
               AND feature_layer = 'houses'
               AND feature_id IN (SELECT id FROM houses ORDER BY id LIMIT 3000)",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(following > 0, "the demo has hazards at houses");
    assert_eq!(ev.features as i64, changed + following);
    // Notifications still arriving after the read name rows already read: compared
    // again, they change nothing, so no other batch is announced.
    tokio::time::sleep(pg_listen::WINDOW + Duration::from_millis(500)).await;
    assert!(
        events.try_recv().is_err(),
        "a second batch was announced after the storm"
    );
    let (storms, notified) = {
        let d = state.database.lock().unwrap();
        (d.storms, d.notifications)
    };
    assert_eq!(storms, 1);
    assert!(notified >= 3065, "{notified} notifications");
    eprintln!(
        "{changed} houses changed in one transaction: committed after {:.0} ms, served {:.0} ms after it began, as one batch applied in {:.0} ms",
        committed.as_secs_f64() * 1e3,
        served.as_secs_f64() * 1e3,
        ev.apply_ms
    );

    // What is served equals the database loaded afresh.
    let fresh = common::fresh_snapshot(&state).await;
    let snap = state.snapshot();
    let (now, want) = (&snap.dataset().houses, &fresh.dataset().houses);
    assert_eq!(now.len(), want.len());
    let rows: i64 = client
        .query_one("SELECT count(*) FROM houses", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(want.len() as i64, rows);
    for f in want.features() {
        let (_, g) = now
            .find_id(&f.id)
            .unwrap_or_else(|| panic!("house {} is not served", f.id));
        assert_eq!(g.geometry, f.geometry, "house {}", f.id);
        assert_eq!(
            serde_json::to_value(&g.props).unwrap(),
            serde_json::to_value(&f.props).unwrap(),
            "house {}",
            f.id
        );
    }
    let levels = |s: &Snapshot| -> BTreeMap<String, String> {
        let ids = s.dataset().houses.features().iter().map(|f| f.id.clone());
        ids.zip(&s.analysis().house_risks)
            .map(|(id, h)| (id, format!("{:?} {:?}", h.level, h.reasons)))
            .collect()
    };
    assert_eq!(levels(&snap), levels(&fresh));
    assert_eq!(snap.summary(), fresh.summary());
    drop(snap);

    // POST /admin/reload reads the database again: the same data.
    let outcome = state.reload(false).await;
    assert_eq!(outcome.name(), "reloaded", "{:?}", outcome.error());
    assert_eq!(state.snapshot().dataset().houses.len(), want.len());
}

#[test]
fn a_database_password_is_never_shown() {
    let s = DataSource::database("postgres://gis:s3cret@db.local:5432/ledgers");
    assert_eq!(s.kind(), "postgis");
    assert_eq!(s.name(), "postgres://gis@db.local:5432/ledgers");
    assert!(!format!("{s:?}").contains("s3cret"), "{s:?}");
    assert!(!s.dir.display().to_string().contains("s3cret"));
}

/// GET over a plain socket; the status and the body.
fn http_get(addr: std::net::SocketAddr, path: &str) -> (u16, Vec<u8>) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).unwrap();
    let status = std::str::from_utf8(&buf[9..12]).unwrap().parse().unwrap();
    let start = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(buf.len(), |p| p + 4);
    (status, buf[start..].to_vec())
}

/// `riskmap serve --db` as a user runs it: the database served and followed, and the
/// password of its URL in neither the log nor `/health` (the test cluster trusts local
/// logins, so any password is accepted and ignored).
#[test]
fn serve_db_follows_the_database_and_never_shows_the_password() {
    use std::io::{BufRead, BufReader};
    let Some(server) = server() else { return };
    let url = demo_db(&server, "riskmap_cli");
    let with_password = url.replacen("postgres@", "postgres:s3cret@", 1);
    assert_ne!(with_password, url);
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("stderr.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_riskmap"))
        .args(["serve", "--db", &with_password, "--port", "0"])
        .env("RISKMAP_LOG", "debug")
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let out = child.stdout.take().unwrap();
    let _child = Kill(child);
    let mut lines = BufReader::new(out).lines();
    let addr: std::net::SocketAddr = loop {
        let line = lines
            .next()
            .expect("the server ended before listening")
            .unwrap();
        if let Some(a) = line.strip_prefix("listening on http://") {
            break a.trim().parse().unwrap();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    let health = |addr| {
        let (status, body) = http_get(addr, "/health");
        assert_eq!(status, 200);
        (json(&body), String::from_utf8_lossy(&body).into_owned())
    };
    let t0 = Instant::now();
    let (h, text) = loop {
        let (h, text) = health(addr);
        if h["database"]["connected"] == true {
            break (h, text);
        }
        assert!(t0.elapsed() < Duration::from_secs(10), "{h}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(h["source"]["kind"], "postgis");
    assert_eq!(h["source"]["name"], url.as_str());
    assert!(!text.contains("s3cret"), "{text}");
    let generation = h["generation"].as_u64().unwrap();
    let id = psql(&url, "SELECT min(id) FROM houses");
    psql(&url, &format!("DELETE FROM houses WHERE id = '{id}'"));
    let t0 = Instant::now();
    loop {
        let (h, _) = health(addr);
        if h["generation"].as_u64().unwrap() > generation {
            let n = psql(&url, "SELECT count(*) FROM houses");
            assert_eq!(h["features"]["houses"].to_string(), n);
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(10), "{h}");
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(_child);
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("following the database"), "{logged}");
    assert!(!logged.contains("s3cret"), "{logged}");
}
