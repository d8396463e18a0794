//! A tile a change outdated, on a server whose tile slots are all taken: answered from
//! its last drawing within the grace period, drawn again behind the answer once however
//! many ask, then served current and announced as `drawn` on the event stream. Without a
//! grace period, or past it, the request waits for the new drawing; an idle server draws
//! it at once (`live_map.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::http::{StatusCode, header};
use common::{centre_tile, get, metric, send, state_with};
use geo::{Geometry, Translate};
use riskmap_core::live::{AnyFeature, Edit};
use riskmap_core::model::{Feature, House};
use riskmap_server::server::config::ServerConfig;
use riskmap_server::server::limits::Limits;
use riskmap_server::server::routes::router_with_limits;
use riskmap_server::server::state::AppState;

/// A served app on its own limits, and the z16 tile over house 10 with that house moved
/// about 2 m (it stays in the tile) as an edit.
fn served(cfg: ServerConfig) -> (Arc<AppState>, Arc<Limits>, axum::Router, String, Vec<Edit>) {
    let limits = Arc::new(Limits::new(&cfg));
    let state = state_with(cfg, None);
    let app = router_with_limits(state.clone(), Arc::clone(&limits));
    let house = state.snapshot().dataset().houses.get(10).unwrap().clone();
    let (lon, lat) = match &house.geometry {
        Geometry::Polygon(p) => (p.exterior().0[0].x, p.exterior().0[0].y),
        Geometry::Point(p) => (p.x(), p.y()),
        _ => panic!("a house is a polygon or a point"),
    };
    let (x, y) = centre_tile([lon, lat, lon, lat], 16);
    let mut moved = house.clone();
    moved.geometry = house.geometry.translate(0.00002, 0.0);
    let edit = vec![Edit::Put(Box::new(AnyFeature::House(moved)))];
    (
        state,
        limits,
        app,
        format!("/tiles/houses/16/{x}/{y}.mvt"),
        edit,
    )
}

/// Puts `house` as the edit of a test.
async fn put(state: &Arc<AppState>, house: Feature<House>) {
    state
        .apply_edits(
            vec![Edit::Put(Box::new(AnyFeature::House(house)))],
            "test".into(),
        )
        .await
        .unwrap();
}

async fn tile(app: &axum::Router, uri: &str) -> (String, Vec<u8>) {
    let (etag, body, _) = tile_timed(app, uri).await;
    (etag, body)
}

/// The tile's ETag and body, and its `Server-Timing` as (name, `dur` or `desc`) pairs.
async fn tile_timed(app: &axum::Router, uri: &str) -> (String, Vec<u8>, Vec<(String, String)>) {
    let (status, headers, body) =
        tokio::time::timeout(Duration::from_secs(10), send(app, get(uri)))
            .await
            .expect("answered");
    assert_eq!(status, StatusCode::OK, "{uri}");
    let timing = headers["server-timing"]
        .to_str()
        .unwrap()
        .split(", ")
        .map(|m| {
            let (name, value) = m.split_once(';').unwrap();
            let value = value
                .strip_prefix("dur=")
                .or_else(|| value.strip_prefix("desc="))
                .unwrap();
            (name.to_string(), value.trim_matches('"').to_string())
        })
        .collect();
    (
        headers[header::ETAG].to_str().unwrap().to_string(),
        body,
        timing,
    )
}

/// The names of a `Server-Timing`'s metrics, and the value of `tile`, all of it.
fn names_and_total(timing: &[(String, String)]) -> (Vec<&str>, f64) {
    let names = timing.iter().map(|(n, _)| n.as_str()).collect();
    let total = timing
        .iter()
        .find(|(n, _)| n == "tile")
        .map(|(_, v)| v.parse().unwrap())
        .unwrap();
    (names, total)
}

/// The tile as a server without a grace period serves it after the same edit.
async fn drawn_at_once(uri: &str) -> (String, Vec<u8>) {
    let cfg = ServerConfig {
        tile_grace_ms: 0,
        ..ServerConfig::default()
    };
    let (state, _, app, _, edit) = served(cfg);
    state.apply_edits(edit, "test".into()).await.unwrap();
    tile(&app, uri).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_busy_server_answers_the_last_drawing_then_draws_it_again_and_says_so() {
    let (state, limits, app, uri, edit) = served(ServerConfig::default());
    let (before, before_body, timing) = tile_timed(&app, &uri).await;
    // Drawn for the first request: its wait, drawing and gzip, each within the whole.
    let (names, total) = names_and_total(&timing);
    assert_eq!(names, ["wait", "draw", "gzip", "tile"], "{timing:?}");
    for (name, v) in &timing[..3] {
        let v: f64 = v.parse().unwrap();
        assert!(v >= 0.0 && v <= total, "{name} {v} of {total}");
    }
    let (_, _, timing) = tile_timed(&app, &uri).await;
    assert_eq!(timing[0], ("cache".to_string(), "hit".to_string()));
    assert_eq!(names_and_total(&timing).0, ["cache", "tile"]);
    let mut events = state.changes.subscribe();
    state.apply_edits(edit, "test".into()).await.unwrap();
    let (after, after_body) = drawn_at_once(&uri).await;
    assert_ne!(after, before, "the edit changes the tile");

    // Every tile slot taken: the outdated tile is answered from its last drawing, to
    // every request, and drawn again once (on the redrawing gate, held here too).
    let held = limits.tiles.pause().await.unwrap();
    let held_redraws = limits.redraws.pause().await.unwrap();
    for _ in 0..3 {
        let (etag, body, timing) = tile_timed(&app, &uri).await;
        assert_eq!(etag, before);
        assert_eq!(body, before_body);
        assert_eq!(timing[0], ("cache".to_string(), "outdated".to_string()));
    }
    assert_eq!(
        metric(&app, "riskmap_tile_outdated_answer_seconds_count").await,
        3.0
    );
    assert_eq!(
        metric(&app, "riskmap_tiles_redrawn_behind_total").await,
        1.0
    );
    // Answered outdated for well under the grace period (5 s by default).
    assert_eq!(
        metric(
            &app,
            "riskmap_tile_outdated_answer_seconds_bucket{le=\"1\"}"
        )
        .await,
        3.0
    );

    // The redrawing gate free: the drawing behind the answers ends and is announced,
    // though the tile gate is still full.
    drop(held_redraws);
    let drawn = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let ev = events.recv().await.unwrap();
            if ev.kind == "drawn" {
                return ev;
            }
            assert_eq!(ev.kind, "edit");
        }
    })
    .await
    .expect("a drawn event");
    assert_eq!(drawn.generation, 2);
    assert_eq!(drawn.layers, vec!["houses"]);
    let tile_of = |b: [f64; 4]| {
        let (x, y) = centre_tile(b, 16);
        format!("/tiles/houses/16/{x}/{y}.mvt")
    };
    assert_eq!(tile_of(drawn.bbox.unwrap()), uri, "{:?}", drawn.bbox);
    // Now current: the bytes a server without a grace period draws after the edit.
    let (now, now_body, timing) = tile_timed(&app, &uri).await;
    assert_eq!(timing[0], ("cache".to_string(), "hit".to_string()));
    assert_eq!(now, after);
    assert_eq!(now_body, after_body);
    assert_eq!(
        metric(&app, "riskmap_tiles_redrawn_behind_total").await,
        1.0
    );
    assert_eq!(metric(&app, "riskmap_tiles_redrawn_same_total").await, 0.0);
    drop(held);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_drawing_behind_the_same_as_the_one_answered_is_counted_not_announced() {
    // A house moved by about 0.1 mm: the batch may have changed its tile (its footprint
    // moved), but at z16 a tile's unit is about 15 cm, so it is drawn the same.
    let (state, limits, app, uri, _) = served(ServerConfig::default());
    let (before, before_body) = tile(&app, &uri).await;
    let mut house = state.snapshot().dataset().houses.get(10).unwrap().clone();
    house.geometry = house.geometry.translate(1e-9, 0.0);
    let mut events = state.changes.subscribe();
    put(&state, house).await;
    assert_eq!(events.recv().await.unwrap().kind, "edit");
    let held = limits.tiles.pause().await.unwrap();
    let (etag, body) = tile(&app, &uri).await;
    assert_eq!((&etag, &body), (&before, &before_body));
    assert_eq!(
        metric(&app, "riskmap_tiles_redrawn_behind_total").await,
        1.0
    );
    tokio::time::timeout(Duration::from_secs(10), async {
        while metric(&app, "riskmap_tiles_redrawn_same_total").await < 1.0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the drawing behind ends");
    // Nothing announced, and the tile now current is the same bytes under the same ETag.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        events.try_recv().is_err(),
        "an event after the drawing behind"
    );
    drop(held);
    let (now, now_body) = tile(&app, &uri).await;
    assert_eq!((now, now_body), (before, before_body));
    assert_eq!(metric(&app, "riskmap_tiles_redrawn_same_total").await, 1.0);
}

/// Sends the request while the tile slots are held and checks that it waits for them.
async fn waits_for_the_new_drawing(cfg: ServerConfig, wait_before: Duration) {
    let (state, limits, app, uri, edit) = served(cfg);
    let (before, _) = tile(&app, &uri).await;
    state.apply_edits(edit, "test".into()).await.unwrap();
    tokio::time::sleep(wait_before).await;
    let held = limits.tiles.pause().await.unwrap();
    let asked = {
        let (app, uri) = (app.clone(), uri.clone());
        tokio::spawn(async move { tile(&app, &uri).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!asked.is_finished(), "answered while no slot was free");
    drop(held);
    let (etag, _) = asked.await.unwrap();
    assert_ne!(etag, before);
    assert_eq!(
        metric(&app, "riskmap_tile_outdated_answer_seconds_count").await,
        0.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn without_a_grace_period_a_busy_server_waits_for_the_new_drawing() {
    let cfg = ServerConfig {
        tile_grace_ms: 0,
        ..ServerConfig::default()
    };
    waits_for_the_new_drawing(cfg, Duration::ZERO).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn past_the_grace_period_a_busy_server_waits_for_the_new_drawing() {
    let cfg = ServerConfig {
        tile_grace_ms: 100,
        ..ServerConfig::default()
    };
    waits_for_the_new_drawing(cfg, Duration::from_millis(250)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_house_edit_its_tiles_do_not_show_leaves_them_in_the_cache() {
    // A new address for a house: its tiles draw its footprint and level alone, so none
    // of them is dropped or outdated, and the cached tile is served as it was.
    let (state, _, app, uri, _) = served(ServerConfig::default());
    let (before, before_body) = tile(&app, &uri).await;
    let mut house = state.snapshot().dataset().houses.get(10).unwrap().clone();
    house.props.address = "海门街道新址 1 号".into();
    put(&state, house).await;
    assert_eq!(metric(&app, "riskmap_tiles_invalidated_total").await, 0.0);
    let hits = metric(&app, "riskmap_tile_cache_hits_total").await;
    let (now, now_body) = tile(&app, &uri).await;
    assert_eq!((now, now_body), (before, before_body));
    assert_eq!(
        metric(&app, "riskmap_tile_cache_hits_total").await,
        hits + 1.0
    );
}
