//! `riskmap serve map.pmtiles` / `map.mbtiles`: the archive's tiles served one by one,
//! byte for byte what `riskmap tiles` stored (gzipped as stored, or unzipped for a client
//! that does not take gzip), 204 where it has none, its TileJSON from its metadata, the
//! offline viewer told to read that TileJSON; and archives that are not RiskMap's refused
//! with what is wrong. The router is tested without a socket; the refusal through the
//! command.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::http::{StatusCode, header};
use common::{get, gunzip, json, ok_steps, riskmap, send};
use riskmap_server::server::archive::{Archive, router};
use riskmap_server::server::config::ServerConfig;

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/haimen")
}

#[tokio::test]
async fn both_archives_serve_their_tiles_as_stored() {
    let dir = tempfile::tempdir().unwrap();
    let d = demo();
    let mb = dir.path().join("haimen.mbtiles");
    let pm = dir.path().join("haimen.pmtiles");
    for out in [&mb, &pm] {
        ok_steps(&[
            "tiles",
            d.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--maxzoom",
            "12",
        ]);
    }
    let tiles = common::mbtiles_tiles(&mb);
    assert!(tiles.len() > 20);
    for path in [&pm, &mb] {
        let app = router(Arc::new(
            Archive::open(path, ServerConfig::default()).await.unwrap(),
        ));
        for ((z, x, y), gz) in &tiles {
            let uri = format!("/tiles/{z}/{x}/{y}.mvt");
            let mut req = get(&uri);
            req.headers_mut()
                .insert(header::ACCEPT_ENCODING, "gzip".parse().unwrap());
            let (s, h, body) = send(&app, req).await;
            assert_eq!(s, StatusCode::OK, "{uri} of {}", path.display());
            assert_eq!(h[header::CONTENT_ENCODING], "gzip");
            assert_eq!(&body, gz, "{uri} of {}", path.display());
            // A client that takes no gzip gets the tile unzipped, with the same ETag.
            let (s, h2, plain) = send(&app, get(&uri)).await;
            assert_eq!(s, StatusCode::OK);
            assert!(h2.get(header::CONTENT_ENCODING).is_none());
            assert_eq!(plain, gunzip(gz));
            assert_eq!(h[header::ETAG], h2[header::ETAG]);
            // And a client that has it, 304.
            let mut again = get(&uri);
            again
                .headers_mut()
                .insert(header::IF_NONE_MATCH, h[header::ETAG].clone());
            assert_eq!(send(&app, again).await.0, StatusCode::NOT_MODIFIED);
        }
        // The western hemisphere has nothing: 204; nonsense is 400, not a crash.
        assert_eq!(
            send(&app, get("/tiles/3/0/0.mvt")).await.0,
            StatusCode::NO_CONTENT
        );
        for bad in ["/tiles/3/8/0.mvt", "/tiles/x/0/0.mvt", "/tiles/31/0/0.mvt"] {
            assert_eq!(
                send(&app, get(bad)).await.0,
                StatusCode::BAD_REQUEST,
                "{bad}"
            );
        }
        assert_eq!(
            send(&app, get("/tiles/3/0/0.png")).await.0,
            StatusCode::NOT_FOUND
        );

        // TileJSON from the archive's metadata, its tiles on this server.
        let (s, _, body) = send(&app, get("/tiles.json")).await;
        assert_eq!(s, StatusCode::OK);
        let tj = json(&body);
        assert_eq!(tj["tilejson"], "3.0.0");
        assert_eq!(tj["tiles"][0], "http://test.local/tiles/{z}/{x}/{y}.mvt");
        assert_eq!(
            (tj["minzoom"].as_u64(), tj["maxzoom"].as_u64()),
            (Some(0), Some(12))
        );
        assert_eq!(tj["vector_layers"].as_array().unwrap().len(), 10);
        assert_eq!(tj["riskmap:as_of"], "2026-11-30");
        let b: Vec<f64> = tj["bounds"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let want = [121.033203, 31.759766, 121.548828, 32.15332];
        assert!(
            b.iter().zip(want).all(|(g, w)| (g - w).abs() < 1e-6),
            "{b:?}"
        );

        // The viewer, told to read that TileJSON.
        let (s, h, page) = send(&app, get("/")).await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            h[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert!(String::from_utf8_lossy(&page).contains("map-data.js"));
        let (_, _, data) = send(&app, get("/map-data.js")).await;
        let data = String::from_utf8(data).unwrap();
        assert!(data.contains(r#""tilejson":"tiles.json""#), "{data}");
        assert!(data.contains(r#""as_of":"2026-11-30""#));
        for f in ["viewer.js", "vendor/maplibre-gl.js", "vendor/pmtiles.js"] {
            assert_eq!(
                send(&app, get(&format!("/{f}"))).await.0,
                StatusCode::OK,
                "{f}"
            );
        }
        assert_eq!(
            send(&app, get("/vendor/nothing.js")).await.0,
            StatusCode::NOT_FOUND
        );
    }
}

#[test]
fn archives_that_are_not_riskmaps_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    // Not a PMTiles file at all.
    let fake = dir.path().join("fake.pmtiles");
    std::fs::write(&fake, b"this is not an archive").unwrap();
    // An MBTiles file of someone else's layers.
    let other = dir.path().join("other.mbtiles");
    let db = rusqlite::Connection::open(&other).unwrap();
    db.execute_batch(
        "CREATE TABLE metadata (name TEXT, value TEXT);
         CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);
         INSERT INTO metadata VALUES ('json', '{\"vector_layers\":[{\"id\":\"roads\"}]}');",
    )
    .unwrap();
    drop(db);
    for (path, says) in [
        (&fake, "fake.pmtiles"),
        (&other, "names none of RiskMap's tile layers"),
    ] {
        let r = riskmap(&["serve", path.to_str().unwrap(), "--port", "0"]);
        let err = String::from_utf8_lossy(&r.stderr);
        assert!(!r.status.success(), "{}", path.display());
        assert!(err.contains(says), "{err}");
    }
}
