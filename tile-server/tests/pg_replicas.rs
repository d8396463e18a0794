//! Several servers on one PostGIS store (behind any load balancer): each follows the
//! database's change notifications on its own connection, so an edit through one replica
//! is served by the others within a second, and they serve the same change; a replica
//! started again after edits it missed serves them from its first load, then follows.
//!
//! The replicas are two servers of this process, each with its own state, router,
//! connections and follower, as two `riskmap serve --db` processes would have
//! (tests/pg_replica_processes.rs runs the real processes, over HTTP); the database
//! server comes from `RISKMAP_TEST_PG` (see tests/pg.rs).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::{Method, StatusCode};
use common::edit::{EDITOR, config, req};
use common::pg::{connected, demo_db, psql, serve_db, server, until};
use common::send;
use riskmap_server::server::routes::router;
use riskmap_server::server::state::AppState;
use serde_json::json;

/// The served house `id`'s occupants.
fn occupants(s: &AppState, id: &str) -> Option<u32> {
    let snap = s.snapshot();
    let (_, f) = snap.dataset().houses.find_id(id)?;
    f.props.occupants
}

/// How long until `state` serves `want` occupants in house `id` (at most 10 s).
async fn seen(state: &AppState, id: &str, want: u32) -> Duration {
    let t0 = Instant::now();
    until(state, 10, "the edit served", |s| {
        occupants(s, id) == Some(want)
    })
    .await;
    t0.elapsed()
}

/// The last change number each replica serves.
fn served_seq(s: &AppState) -> i64 {
    s.served_seq.load(std::sync::atomic::Ordering::SeqCst)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_on_one_database_serve_each_others_edits() {
    let Some(server) = server() else { return };
    let url = demo_db(&server, "riskmap_replicas");
    let a = serve_db(&url, config()).await;
    let b = serve_db(&url, config()).await;
    for s in [&a, &b] {
        until(s, 10, "listening", connected).await;
    }
    let routers = [router(Arc::clone(&a)), router(Arc::clone(&b))];
    let houses: Vec<String> = psql(&url, "SELECT id FROM houses ORDER BY id LIMIT 4")
        .lines()
        .map(String::from)
        .collect();
    // Edits through either replica, alternately: the other serves each within a second.
    let mut waits = Vec::new();
    for (i, id) in houses.iter().enumerate() {
        let people = 40 + i as u32;
        let (through, other) = if i % 2 == 0 { (0, &b) } else { (1, &a) };
        let patch = json!({"type": "Feature", "properties": {"occupants": people}});
        let uri = format!("/api/layers/houses/features/{id}");
        let (status, _, body) = send(
            &routers[through],
            req(Method::PATCH, &uri, Some(EDITOR), Some(&patch), None),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        let waited = seen(other, id, people).await;
        waits.push(waited);
        assert!(
            waited < Duration::from_secs(1),
            "edit {i} through replica {through} took {waited:?} to reach the other"
        );
    }
    eprintln!("edit → the other replica: {waits:?}");
    // Both serve the same last change, the database's.
    let last: i64 = psql(&url, "SELECT max(seq) FROM riskmap_changes")
        .parse()
        .unwrap();
    until(&a, 10, "a at the last change", |s| served_seq(s) == last).await;
    until(&b, 10, "b at the last change", |s| served_seq(s) == last).await;
    for id in &houses {
        assert_eq!(occupants(&a, id), occupants(&b, id), "{id}");
    }

    // A third replica started after edits it never saw (as a restarted one) serves them
    // from its first load, and follows what comes after.
    let id = &houses[0];
    psql(
        &url,
        &format!("UPDATE houses SET occupants = 77 WHERE id = '{id}'"),
    );
    let c = serve_db(&url, config()).await;
    until(&c, 10, "listening", connected).await;
    assert_eq!(occupants(&c, id), Some(77));
    let patch = json!({"type": "Feature", "properties": {"occupants": 78}});
    let (status, _, _) = send(
        &routers[0],
        req(
            Method::PATCH,
            &format!("/api/layers/houses/features/{id}"),
            Some(EDITOR),
            Some(&patch),
            None,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    for s in [&a, &b, &c] {
        let waited = seen(s, id, 78).await;
        assert!(waited < Duration::from_secs(1), "{waited:?}");
    }
}
