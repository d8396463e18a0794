//! What PostgreSQL's row triggers do not see: a `TRUNCATE` (recorded as a deletion of
//! each row by a statement trigger, followed like any deletion), and a layer table
//! another program dropped and made again without the triggers (GDAL's `-overwrite`):
//! its changes cannot be followed, and /health says so, naming it, until `riskmap db
//! init` puts the triggers back.
//!
//! The database server comes from `RISKMAP_TEST_PG` (scripts/test-all.sh starts a
//! private one); without it the test says it is skipped; under CI a missing database is
//! a failure.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure

mod common;

use std::sync::Arc;

use common::pg::{connected, demo_db, last_change, psql, serve_db, server, until};
use common::{get, json, send};
use riskmap_server::server::config::ServerConfig;
use riskmap_server::server::routes::router;

/// `/health` of a server.
async fn health(app: &axum::Router) -> serde_json::Value {
    let (_, _, body) = send(app, get("/health")).await;
    json(&body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncate_is_recorded_and_a_table_without_triggers_is_said() {
    let Some(server) = server() else { return };
    let url = demo_db(&server, "riskmap_truncate");
    let state = serve_db(&url, ServerConfig::default()).await;
    let app = router(Arc::clone(&state));
    until(&state, 10, "listening", connected).await;
    let n: usize = psql(&url, "SELECT count(*) FROM protection_targets")
        .parse()
        .unwrap();
    assert!(n > 10);
    assert_eq!(state.snapshot().dataset().protection_targets.len(), n);
    let first = last_change(&url);
    psql(&url, "TRUNCATE protection_targets");
    // Each row recorded as deleted, with the row as it was.
    let recorded: usize = psql(
        &url,
        &format!(
            "SELECT count(DISTINCT id) FROM riskmap_changes WHERE seq > {first}
               AND layer = 'protection_targets' AND op = 'delete'
               AND before ->> 'name' IS NOT NULL AND after IS NULL"
        ),
    )
    .parse()
    .unwrap();
    assert_eq!(recorded, n);
    until(&state, 30, "the emptied table followed", |s| {
        s.snapshot().dataset().protection_targets.is_empty()
    })
    .await;
    assert_eq!(health(&app).await["status"], "ok");

    // The houses made again by another program: same columns, no triggers.
    psql(
        &url,
        "BEGIN; CREATE TABLE houses_again AS SELECT * FROM houses; DROP TABLE houses;
         ALTER TABLE houses_again RENAME TO houses; ALTER TABLE houses ADD PRIMARY KEY (id);
         COMMIT;",
    );
    let again = serve_db(&url, ServerConfig::default()).await;
    let app = router(Arc::clone(&again));
    until(&again, 10, "listening", connected).await;
    let h = health(&app).await;
    assert_eq!(h["status"], "degraded", "{h}");
    let why = h["degraded_because"].as_str().unwrap();
    assert!(
        why.contains("tables houses have no trigger")
            && why.contains("not followed")
            && why.contains("riskmap db init"),
        "{why}"
    );
    assert!(
        h["database"]["schema"]
            .as_str()
            .is_some_and(|n| n.contains("riskmap_truncate") && n.contains("houses")),
        "{h}"
    );
    common::ok(&["db", "init", "--db", &url]);
    let init = serve_db(&url, ServerConfig::default()).await;
    let app = router(Arc::clone(&init));
    until(&init, 10, "listening", connected).await;
    assert_eq!(health(&app).await["status"], "ok");
}
