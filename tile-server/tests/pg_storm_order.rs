//! A long transaction that commits after a short one that began later: its change
//! numbers lie below the short one's, more than the catch-up's overlap below when it
//! changed more rows than that, and a storm (more rows than a batch gathers from
//! notifications) is read from the change table. Every row of it must reach the map.
//!
//! The database server comes from `RISKMAP_TEST_PG` (scripts/test-all.sh starts a
//! private one); without it the test says it is skipped; under CI a missing database is
//! a failure.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure

mod common;

use common::pg::{connected, demo_db, holding, last_change, psql, serve_db, server, until};
use riskmap_server::server::config::ServerConfig;
use riskmap_server::server::pg_listen::{CATCH_UP_OVERLAP, NOTE_CAP};
use riskmap_server::server::state::AppState;

/// Houses served with `floors`, of those in `ids`.
fn served_with(state: &AppState, ids: &[String], floors: u16) -> usize {
    let snap = state.snapshot();
    let houses = &snap.dataset().houses;
    ids.iter()
        .filter(|id| {
            houses
                .find_id(id)
                .is_some_and(|(_, h)| h.props.floors == Some(floors))
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storm_committed_after_a_later_change_reaches_the_map_whole() {
    let Some(server) = server() else { return };
    let url = demo_db(&server, "riskmap_storm_order");
    let state = serve_db(&url, ServerConfig::default()).await;
    until(&state, 10, "listening", connected).await;
    // More rows than a batch gathers (a storm) and than the overlap (so that numbers of
    // the storm lie below the later change's less the overlap).
    let n = NOTE_CAP.max(CATCH_UP_OVERLAP as usize) + 500;
    let ids: Vec<String> = psql(
        &url,
        &format!("SELECT id FROM houses ORDER BY id LIMIT {n}"),
    )
    .lines()
    .map(str::to_string)
    .collect();
    assert_eq!(ids.len(), n);
    let first = last_change(&url);
    // The long transaction takes its numbers now …
    let long = holding(
        &url,
        &format!("UPDATE houses SET floors = 27 WHERE id IN (SELECT id FROM houses ORDER BY id LIMIT {n})"),
    )
    .await;
    // … a short one after it commits first, and is served …
    let other = psql(&url, "SELECT max(id) FROM houses");
    psql(
        &url,
        &format!("UPDATE houses SET floors = 26 WHERE id = '{other}'"),
    );
    let other_ids = [other];
    until(&state, 10, "the short change served", |s| {
        served_with(s, &other_ids, 26) == 1
    })
    .await;
    let later = last_change(&url);
    // (the storm's numbers are first + 1 ..= first + n, the short change's after them)
    assert!(
        first + 1 < later - CATCH_UP_OVERLAP,
        "the storm's first numbers lie below the later change's less the overlap"
    );
    // … then the long one commits: every row of it is served.
    long.batch_execute("COMMIT").await.unwrap();
    until(&state, 60, "every row of the storm served", |s| {
        served_with(s, &ids, 27) == n
    })
    .await;
    assert!(
        state.database.lock().unwrap().storms >= 1,
        "read as a storm"
    );
}
