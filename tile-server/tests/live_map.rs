//! The living map through the server: a batch of edits served as one new generation,
//! the tiles it touched drawn again (new ETags) and the others kept (same ETags, 304),
//! the change announced on the event stream; a changed ledger file followed the same way.
//! A tile drawn from a generation replaced meanwhile is kept only where no batch since
//! may have changed it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use axum::http::{StatusCode, header};
use common::{centre_tile, city, get, json, send, state_with};
use geo::{Geometry, Translate};
use riskmap_core::live::{AnyFeature, Edit};
use riskmap_server::server::config::ServerConfig;
use riskmap_server::server::routes::router;
use riskmap_server::server::state::{AppState, DataSource, build_snapshot};

fn vertex(g: &Geometry<f64>) -> (f64, f64) {
    match g {
        Geometry::Polygon(p) => (p.exterior().0[0].x, p.exterior().0[0].y),
        Geometry::Point(p) => (p.x(), p.y()),
        _ => panic!("a house is a polygon or a point"),
    }
}

async fn etag(app: &axum::Router, uri: &str) -> (StatusCode, String, Vec<u8>) {
    let (status, headers, body) = send(app, get(uri)).await;
    let e = headers
        .get(header::ETAG)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, e, body)
}

#[tokio::test]
async fn an_edit_is_one_new_generation_and_changes_only_the_tiles_it_touches() {
    let state = state_with(ServerConfig::default(), None);
    let app = router(state.clone());
    let snap = state.snapshot();
    let house = snap.dataset().houses.get(10).unwrap().clone();
    let uid = snap.dataset().houses.uid(10).unwrap();
    let far = snap.dataset().houses.get(2500).unwrap().clone();
    drop(snap);
    let (lon, lat) = vertex(&house.geometry);
    let (flon, flat) = vertex(&far.geometry);
    // 0.02° east is about 1.9 km here: another z16 tile, far from the far house.
    let moved_by = 0.02;
    let old_tile = {
        let (x, y) = centre_tile([lon, lat, lon, lat], 16);
        format!("/tiles/houses/16/{x}/{y}.mvt")
    };
    let new_tile = {
        let (x, y) = centre_tile([lon + moved_by, lat, lon + moved_by, lat], 16);
        format!("/tiles/houses/16/{x}/{y}.mvt")
    };
    let far_tile = {
        let (x, y) = centre_tile([flon, flat, flon, flat], 16);
        format!("/tiles/houses/16/{x}/{y}.mvt")
    };
    assert_ne!(far_tile, old_tile);
    assert_ne!(far_tile, new_tile);
    let (_, old_before, _) = etag(&app, &old_tile).await;
    let (_, far_before, _) = etag(&app, &far_tile).await;
    let mut events = state.changes.subscribe();

    let mut moved = house.clone();
    moved.geometry = house.geometry.translate(moved_by, 0.0);
    let ev = state
        .apply_edits(
            vec![Edit::Put(Box::new(AnyFeature::House(moved)))],
            "test".into(),
        )
        .await
        .unwrap();
    assert_eq!(ev.generation, 2);
    assert_eq!(ev.features, 1);
    let sent = tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sent.generation, 2);
    assert_eq!(sent.actor, "test");
    // The event's box holds the old and the new place.
    let b = sent.bbox.unwrap();
    assert!(
        b[0] <= lon && b[2] >= lon + moved_by && b[1] <= lat && b[3] >= lat,
        "{b:?}"
    );
    assert!(sent.layers.contains(&"houses"));

    // The far tile keeps its ETag: 304 to a browser that has it.
    let (_, far_after, _) = etag(&app, &far_tile).await;
    assert_eq!(far_after, far_before);
    let mut req = get(&far_tile);
    req.headers_mut()
        .insert(header::IF_NONE_MATCH, far_before.parse().unwrap());
    let (status, _, _) = send(&app, req).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    // The old place lost the house, the new one has it under the same id.
    let (_, old_after, _) = etag(&app, &old_tile).await;
    assert_ne!(old_after, old_before);
    let (status, _, body) = etag(&app, &new_tile).await;
    assert_eq!(status, StatusCode::OK);
    let tile = riskmap_tests::mvt_check::decode(&body).expect("valid tile");
    let ids: Vec<u64> = tile
        .layers
        .iter()
        .flat_map(|l| l.features.iter().filter_map(|f| f.id))
        .collect();
    assert!(
        ids.contains(&uid),
        "the moved house {uid} is not in {new_tile}"
    );
    // Its popup follows it.
    let (status, _, body) = send(&app, get(&format!("/api/feature/houses/{uid}"))).await;
    assert_eq!(status, StatusCode::OK);
    let f = json(&body);
    let x0 = f["geometry"]["coordinates"][0][0][0].as_f64().unwrap();
    assert!((x0 - (lon + moved_by)).abs() < 1e-9, "{x0}");
    assert_eq!(f["properties"]["generation"], 2);
    let (_, _, body) = send(&app, get("/health")).await;
    assert_eq!(json(&body)["generation"], 2);
}

/// A batch of many moves (past 64 changed boxes, so the cached tiles are judged before
/// the snapshot is swapped, against the boxes in a tree): the tiles it touched are
/// drawn again, a far tile of one layer and one of several keep their ETags.
#[tokio::test]
async fn a_batch_of_many_moves_changes_only_the_tiles_it_touches() {
    let state = state_with(ServerConfig::default(), None);
    let app = router(state.clone());
    let snap = state.snapshot();
    let houses = snap.dataset().houses.features().to_vec();
    drop(snap);
    let far = vertex(&houses[2500].geometry);
    let (fx, fy) = centre_tile([far.0, far.1, far.0, far.1], 16);
    // Forty houses more than two z16 tiles (about 1.2 km) from the far one, each moved
    // 30 m east (two footprints and more per house: past 64 boxes).
    let moved: Vec<_> = houses
        .iter()
        .filter(|h| {
            let (lon, lat) = vertex(&h.geometry);
            let (x, y) = centre_tile([lon, lat, lon, lat], 16);
            x.abs_diff(fx) > 2 || y.abs_diff(fy) > 2
        })
        .step_by(11)
        .take(40)
        .cloned()
        .collect();
    assert_eq!(moved.len(), 40);
    let (lon, lat) = vertex(&moved[0].geometry);
    let (ox, oy) = centre_tile([lon, lat, lon, lat], 16);
    let old_tile = format!("/tiles/houses/16/{ox}/{oy}.mvt");
    let far_tile = format!("/tiles/houses/16/{fx}/{fy}.mvt");
    let far_many = format!("/tiles/houses,gas_pipelines,protection_targets/16/{fx}/{fy}.mvt");
    let (_, old_before, _) = etag(&app, &old_tile).await;
    let (_, far_before, _) = etag(&app, &far_tile).await;
    let (_, many_before, _) = etag(&app, &far_many).await;
    assert!(!far_before.is_empty() && !many_before.is_empty());

    let edits: Vec<Edit> = moved
        .iter()
        .map(|h| {
            let mut f = h.clone();
            f.geometry = h.geometry.translate(0.0003, 0.0);
            Edit::Put(Box::new(AnyFeature::House(f)))
        })
        .collect();
    let ev = state.apply_edits(edits, "test".into()).await.unwrap();
    assert_eq!((ev.generation, ev.features), (2, 40));

    let (_, old_after, _) = etag(&app, &old_tile).await;
    assert_ne!(old_after, old_before, "{old_tile}");
    for (tile, before) in [(&far_tile, &far_before), (&far_many, &many_before)] {
        let mut req = get(tile);
        req.headers_mut()
            .insert(header::IF_NONE_MATCH, before.parse().unwrap());
        let (status, _, _) = send(&app, req).await;
        assert_eq!(status, StatusCode::NOT_MODIFIED, "{tile}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tile_drawn_from_a_replaced_generation_is_kept_only_if_no_batch_touched_it() {
    let state = state_with(ServerConfig::default(), None);
    let snap = state.snapshot();
    let (a, b, far) = (
        snap.dataset().houses.get(10).unwrap().clone(),
        snap.dataset().houses.get(1200).unwrap().clone(),
        snap.dataset().houses.get(2500).unwrap().clone(),
    );
    drop(snap);
    let tile = |h: &riskmap_core::model::Feature<riskmap_core::model::House>| {
        let (lon, lat) = vertex(&h.geometry);
        let (x, y) = centre_tile([lon, lat, lon, lat], 16);
        (x, y)
    };
    let (ta, tb, tf) = (tile(&a), tile(&b), tile(&far));
    assert!(ta != tf && tb != tf && ta != tb);
    let houses = [riskmap_core::model::LayerKind::Houses];
    let kept = |from: u64, (x, y): (u32, u32)| state.unchanged_since(from, &houses, 16, x, y);
    let moved = |h: &riskmap_core::model::Feature<riskmap_core::model::House>| {
        let mut m = h.clone();
        m.geometry = h.geometry.translate(0.0, 0.00002);
        vec![Edit::Put(Box::new(AnyFeature::House(m)))]
    };
    // Generation 2 moves house a a little, generation 3 house b.
    state.apply_edits(moved(&a), "test".into()).await.unwrap();
    state.apply_edits(moved(&b), "test".into()).await.unwrap();
    assert_eq!(state.snapshot().generation, 3);
    assert!(kept(3, ta) && kept(3, tb) && kept(3, tf));
    // Drawn from generation 1: only the far tile is still what generation 3 shows.
    assert!(kept(1, tf));
    assert!(!kept(1, ta));
    assert!(!kept(1, tb));
    // Drawn from generation 2: a's tile is, b's is not.
    assert!(kept(2, ta));
    assert!(!kept(2, tb));
    // A reload comes between: nothing drawn before it is kept.
    let out = state.reload(true).await;
    assert_eq!(state.snapshot().generation, 4, "{out:?}");
    assert!(!kept(3, tf));
    assert!(kept(4, tf));
}

#[tokio::test]
async fn a_refused_batch_serves_the_same_generation() {
    let state = state_with(ServerConfig::default(), None);
    let err = state
        .apply_edits(
            vec![Edit::Delete {
                layer: riskmap_core::model::LayerKind::Houses,
                id: "no-such-house".into(),
            }],
            "test".into(),
        )
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("no-such-house"), "{err}");
    assert_eq!(state.snapshot().generation, 1);
}

#[tokio::test]
async fn the_event_stream_says_hello_with_the_generation() {
    let app = router(state_with(ServerConfig::default(), None));
    let resp = tower::ServiceExt::oneshot(app, get("/api/changes/stream"))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()[header::CONTENT_TYPE], "text/event-stream");
    let mut body = resp.into_body();
    let frame = tokio::time::timeout(
        Duration::from_secs(5),
        http_body_util::BodyExt::frame(&mut body),
    )
    .await
    .unwrap()
    .unwrap()
    .unwrap();
    let text = String::from_utf8(frame.into_data().unwrap().to_vec()).unwrap();
    assert!(text.contains("event: hello"), "{text}");
    assert!(text.contains("\"generation\":1"), "{text}");
}

/// Every open viewer holds an event stream: a stop signal ends them, and the server
/// with them, rather than waiting for the viewers to close.
#[cfg(unix)]
#[test]
fn a_stop_signal_ends_the_event_streams_and_the_server() {
    use std::io::{BufRead, BufReader, Read, Write};
    let (mut server, addr) =
        common::serve_process(&["--port".as_ref(), "0".as_ref(), city().as_os_str()]);
    let mut viewer = std::net::TcpStream::connect(addr).unwrap();
    viewer
        .write_all(b"GET /api/changes/stream HTTP/1.1\r\nHost: riskmap\r\n\r\n")
        .unwrap();
    viewer
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut stream = BufReader::new(viewer);
    let mut line = String::new();
    while !line.starts_with("event: hello") {
        line.clear();
        assert!(stream.read_line(&mut line).unwrap() > 0, "no hello");
    }
    let status = server
        .terminate(Duration::from_secs(15))
        .expect("the server still runs 15 s after SIGTERM with a viewer open");
    assert!(status.success(), "{status}");
    // The stream has ended (chunked: its last chunk, then the connection closes), not
    // been cut by a time-out.
    let mut rest = String::new();
    stream.read_to_string(&mut rest).unwrap();
    assert!(rest.ends_with("0\r\n\r\n"), "{rest:?}");
}

/// A copy of the test city in a folder of its own, served and followed (`watch`).
fn followed_copy_of_city() -> (
    tempfile::TempDir,
    std::sync::Arc<AppState>,
    riskmap_server::server::watch::Follower,
) {
    followed_copy_of_city_with(ServerConfig::default())
}

/// [`followed_copy_of_city`] served with `config`.
fn followed_copy_of_city_with(
    config: ServerConfig,
) -> (
    tempfile::TempDir,
    std::sync::Arc<AppState>,
    riskmap_server::server::watch::Follower,
) {
    let dir = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(city()).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() {
            std::fs::copy(e.path(), dir.path().join(e.file_name())).unwrap();
        }
    }
    let snap = build_snapshot(&config, &DataSource::dir(dir.path()), 1).unwrap();
    let state = std::sync::Arc::new(AppState::new(
        config,
        DataSource::dir(dir.path()),
        snap,
        None,
    ));
    let w = riskmap_server::server::watch::watch(state.clone()).unwrap();
    (dir, state, w)
}

/// The lines of a GBK ledger (the generator writes its CSV ledgers in GBK).
fn gbk_lines(path: &std::path::Path) -> Vec<String> {
    let bytes = std::fs::read(path).unwrap();
    let (text, enc, _) = encoding_rs::GBK.decode(&bytes);
    assert_eq!(enc, encoding_rs::GBK);
    text.lines().map(String::from).collect()
}

fn write_gbk(path: &std::path::Path, lines: &[String]) {
    let text = lines.join("\n") + "\n";
    let (out, _, _) = encoding_rs::GBK.encode(&text);
    std::fs::write(path, &out).unwrap();
}

/// A changed ledger file in the served folder is read again and applied as a change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_ledger_file_is_followed() {
    let (dir, state, w) = followed_copy_of_city();
    assert_eq!(
        w.scanned_every(),
        None,
        "a local folder is followed by its events"
    );
    a_changed_ledger_file_reaches(&dir, &state).await;
}

/// A folder scanned instead (a network share, whose changes made elsewhere send no
/// events here; forced with `watch_poll_s`) is followed the same way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_ledger_file_of_a_scanned_folder_is_followed() {
    let (dir, state, w) = followed_copy_of_city_with(ServerConfig {
        watch_poll_s: 1,
        ..ServerConfig::default()
    });
    assert_eq!(w.scanned_every(), Some(Duration::from_secs(1)));
    a_changed_ledger_file_reaches(&dir, &state).await;
}

/// The second house of the folder's ledger appraised D with 9 people in it: the served
/// map follows within 30 s.
async fn a_changed_ledger_file_reaches(dir: &tempfile::TempDir, state: &std::sync::Arc<AppState>) {
    let mut events = state.changes.subscribe();
    // The second house of the ledger is appraised D (危房) with 9 people in it.
    let path = dir.path().join("houses.csv");
    let mut lines = gbk_lines(&path);
    let mut cells: Vec<String> = lines[2].splitn(9, ',').map(String::from).collect();
    let id = cells[0].clone();
    cells[4] = "9".into();
    cells[5] = "D级".into();
    lines[2] = cells.join(",");
    write_gbk(&path, &lines);
    let ev = tokio::time::timeout(Duration::from_secs(30), events.recv())
        .await
        .expect("no change within 30 s")
        .unwrap();
    assert_eq!(ev.actor, "file");
    assert_eq!(ev.features, 1);
    let snap = state.snapshot();
    assert_eq!(snap.generation, 2);
    let pos = snap
        .live
        .position(riskmap_core::model::LayerKind::Houses, &id)
        .unwrap();
    let h = &snap.dataset().houses.get(pos).unwrap().props;
    assert_eq!(h.occupants, Some(9));
    assert_eq!(h.appraisal, Some(riskmap_core::model::Appraisal::D));
    // A D-grade house is red (重大风险) by the house rules' appraisal table.
    assert_eq!(
        snap.analysis().house_risks[pos].level,
        riskmap_core::model::RiskLevel::Major
    );
}

/// A hidden hazard's status changed in the served folder's ledger (the office's weekly
/// update of 隐患台账) reaches the served map like any other ledger's change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_hidden_hazard_ledger_is_followed() {
    let (dir, state, _w) = followed_copy_of_city();
    let mut events = state.changes.subscribe();
    // The first hazard waiting for rectification (待整改) is now being rectified (整改中).
    let path = dir.path().join("hidden_hazards.csv");
    let mut lines = gbk_lines(&path);
    let header: Vec<&str> = lines[0].split(',').collect();
    let status = header.iter().position(|h| *h == "隐患状态").unwrap();
    let row = (1..lines.len())
        .find(|&i| {
            let cells: Vec<&str> = lines[i].split(',').collect();
            cells.len() == header.len() && cells[status] == "待整改"
        })
        .expect("a pending hazard in the ledger");
    let mut cells: Vec<String> = lines[row].split(',').map(String::from).collect();
    let id = cells[0].clone();
    cells[status] = "整改中".into();
    lines[row] = cells.join(",");
    let served = state.snapshot();
    let pos = served
        .live
        .position(riskmap_core::model::LayerKind::HiddenHazards, &id)
        .unwrap();
    assert_eq!(
        served
            .dataset()
            .hidden_hazards
            .get(pos)
            .unwrap()
            .props
            .status,
        riskmap_core::model::HiddenHazardStatus::Pending
    );
    drop(served);
    write_gbk(&path, &lines);
    let ev = tokio::time::timeout(Duration::from_secs(30), events.recv())
        .await
        .expect("no change within 30 s")
        .unwrap();
    assert_eq!(ev.actor, "file");
    assert_eq!(ev.features, 1);
    let snap = state.snapshot();
    assert_eq!(snap.generation, 2);
    let pos = snap
        .live
        .position(riskmap_core::model::LayerKind::HiddenHazards, &id)
        .unwrap();
    assert_eq!(
        snap.dataset().hidden_hazards.get(pos).unwrap().props.status,
        riskmap_core::model::HiddenHazardStatus::InProgress
    );
}

/// The snapshot a server makes keeps room in the lists batches grow: the first batch
/// that adds a house or meets a new grid cell does not copy each of them whole (the
/// lists themselves: `riskmap_core::live`'s tests).
#[test]
fn a_served_snapshot_keeps_room_for_what_batches_add() {
    let snap = build_snapshot(&ServerConfig::default(), &DataSource::dir(city()), 1).unwrap();
    let a = snap.live.analysis();
    for (name, len, cap) in [
        ("house risks", a.house_risks.len(), a.house_risks.capacity()),
        ("grid cells", a.grid.cells.len(), a.grid.cells.capacity()),
    ] {
        assert!(len >= 32, "{name}: {len} items");
        assert!(cap - len >= len / 32, "{name}: {len} items, capacity {cap}");
    }
}
