//! The HTTP application, tested without a socket (`tower::ServiceExt::oneshot`) on a small
//! generated city.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use riskmap_server::server::config::ServerConfig;
use riskmap_server::server::limits::Limits;
use riskmap_server::server::routes::{router, router_with_limits};
use riskmap_server::server::state::{AppState, DataSource, build_snapshot};

mod common;
use common::*;

#[tokio::test]
async fn the_gzip_level_changes_the_bytes_sent_not_the_tile() {
    // The same tile from servers set to levels 0 (stored), 1 (the default) and 12: the
    // same MVT once decoded (flate2's decoder), stored larger than the tile itself, and
    // smaller at 12 than at 1.
    let mut sent = Vec::new();
    for level in [0, 1, 12] {
        let cfg = ServerConfig {
            tile_gzip_level: level,
            ..ServerConfig::default()
        };
        let app = router(state_with(cfg, None));
        let (x, y) = served_centre_tile(&app, 12).await;
        let req = Request::builder()
            .uri(format!("/tiles/houses,risk_grid/12/{x}/{y}.mvt"))
            .header(header::ACCEPT_ENCODING, "gzip")
            .body(Body::empty())
            .unwrap();
        let (status, h, body) = send(&app, req).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(h[header::CONTENT_ENCODING], "gzip");
        sent.push((level, body));
    }
    let raw = gunzip(&sent[0].1);
    assert!(raw.len() > 1000, "{} bytes", raw.len());
    for (level, body) in &sent {
        assert_eq!(gunzip(body), raw, "level {level}");
    }
    let n = |i: usize| sent[i].1.len();
    assert!(n(0) > raw.len(), "stored: {} against {}", n(0), raw.len());
    assert!(
        n(2) < n(1) && n(1) < raw.len(),
        "{} {} {}",
        n(2),
        n(1),
        raw.len()
    );
}

#[tokio::test]
async fn tiles_gzip_etag_cache_and_errors() {
    let app = router(state_with(ServerConfig::default(), None));
    let (x, y) = served_centre_tile(&app, 10).await;
    let uri = format!("/tiles/risk_grid,houses,areas/10/{x}/{y}.mvt");
    let req = Request::builder()
        .uri(&uri)
        .header(header::ACCEPT_ENCODING, "gzip, deflate")
        .body(Body::empty())
        .unwrap();
    let (status, h, body) = send(&app, req).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        h[header::CONTENT_TYPE],
        "application/vnd.mapbox-vector-tile"
    );
    assert_eq!(h[header::CONTENT_ENCODING], "gzip");
    // The map changes while served: browsers revalidate (304 when unchanged).
    assert_eq!(h[header::CACHE_CONTROL], "no-cache");
    let etag = h[header::ETAG].to_str().unwrap().to_string();
    let raw = gunzip(&body);
    // Decoded with the independent decoder of the tests crate's sibling: here, check the
    // layer names are present in the protobuf (the full validation is in tests/tests/).
    for name in ["risk_grid", "houses", "areas"] {
        assert!(
            raw.windows(name.len()).any(|w| w == name.as_bytes()),
            "layer {name} missing"
        );
    }
    // Same tile again with If-None-Match: 304, no body.
    let req = Request::builder()
        .uri(&uri)
        .header(header::ACCEPT_ENCODING, "gzip")
        .header(header::IF_NONE_MATCH, &etag)
        .body(Body::empty())
        .unwrap();
    let (status, _, body) = send(&app, req).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());
    // Without gzip the body is the raw tile, under another ETag.
    let (status, h, plain) = send(&app, get(&uri)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(h.get(header::CONTENT_ENCODING).is_none());
    assert_eq!(plain, raw);
    assert_ne!(h[header::ETAG].to_str().unwrap(), etag);
    // Empty tile: 204. Far out in the Pacific.
    let (status, _, _) = send(&app, get("/tiles/houses/10/0/500.mvt")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // Bad z/x/y: 400 with a JSON error; unknown layer: 404.
    for bad in [
        "/tiles/houses/19/0/0.mvt",
        "/tiles/houses/3/8/0.mvt",
        "/tiles/houses/a/0/0.mvt",
        "/tiles/houses/3/0/-1.mvt",
    ] {
        let (status, h, body) = send(&app, get(bad)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(
            h[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        assert!(
            json(&body)["error"].as_str().unwrap().contains("z must be"),
            "{bad}"
        );
    }
    let (status, _, body) = send(&app, get("/tiles/nope,houses/3/0/0.mvt")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(json(&body)["error"].as_str().unwrap().contains("nope"));
    // The cache served the repeat requests.
    let (_, _, m) = send(&app, get("/metrics")).await;
    let m = String::from_utf8(m).unwrap();
    assert!(m.contains("riskmap_tile_cache_hits_total 2"), "{m}");
    assert!(m.contains("riskmap_tile_cache_misses_total 2"), "{m}");
}

#[tokio::test]
async fn tilejson_catalog_and_styles() {
    let app = router(state_with(ServerConfig::default(), None));
    let (status, _, body) = send(&app, get("/tiles/houses.json")).await;
    assert_eq!(status, StatusCode::OK);
    let tj = json(&body);
    assert_eq!(tj["tilejson"], "3.0.0");
    assert_eq!(
        tj["tiles"][0],
        "http://test.local/tiles/houses/{z}/{x}/{y}.mvt"
    );
    assert_eq!(tj["vector_layers"][0]["id"], "houses");
    assert!(tj["vector_layers"][0]["fields"].get("phone").is_none());
    let (status, _, body) = send(&app, get("/tiles/houses,areas.json")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json(&body)["vector_layers"].as_array().unwrap().len(), 2);
    // Behind a TLS-terminating proxy the URLs follow the forwarded host and scheme, when
    // the proxy is one the configuration trusts; anyone else's forwarded headers are
    // ignored, so that a client cannot plant its host in the URLs others are given.
    let forwarded = |peer: [u8; 4]| {
        let mut req = Request::builder()
            .uri("/tiles/houses.json")
            .header(header::HOST, "10.0.0.5:8080")
            .header("x-forwarded-host", "map.gov.internal")
            .header("x-forwarded-proto", "https")
            .body(Body::empty())
            .unwrap();
        req.extensions_mut()
            .insert(ConnectInfo(SocketAddr::from((peer, 50_000))));
        req
    };
    let (_, _, body) = send(&app, forwarded([10, 0, 0, 9])).await;
    assert_eq!(
        json(&body)["tiles"][0],
        "http://10.0.0.5:8080/tiles/houses/{z}/{x}/{y}.mvt",
        "no proxy is trusted by default"
    );
    let behind_proxy = router(state_with(
        ServerConfig {
            trusted_proxies: vec![
                riskmap_server::server::proxy::TrustedProxy::try_from("10.0.0.0/24".to_string())
                    .unwrap(),
            ],
            ..ServerConfig::default()
        },
        None,
    ));
    let (_, _, body) = send(&behind_proxy, forwarded([10, 0, 0, 9])).await;
    assert_eq!(
        json(&body)["tiles"][0],
        "https://map.gov.internal/tiles/houses/{z}/{x}/{y}.mvt"
    );
    let (_, _, body) = send(&behind_proxy, forwarded([10, 0, 1, 9])).await;
    assert_eq!(
        json(&body)["tiles"][0],
        "http://10.0.0.5:8080/tiles/houses/{z}/{x}/{y}.mvt",
        "10.0.1.9 is outside the trusted 10.0.0.0/24"
    );
    let (status, _, _) = send(&app, get("/tiles/ghost.json")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, _, body) = send(&app, get("/catalog")).await;
    let cat = json(&body);
    assert_eq!(cat["layers"].as_array().unwrap().len(), 10);
    assert!(cat["areas"].as_array().unwrap().len() >= 5);
    let (status, _, body) = send(&app, get("/styles/risk.json")).await;
    assert_eq!(status, StatusCode::OK);
    let style = String::from_utf8(body).unwrap();
    assert!(!style.contains("{origin}") && style.contains("http://test.local/tiles/"));
    assert_eq!(json(style.as_bytes())["version"], 8);
    let (status, _, _) = send(&app, get("/styles/none.json")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, h, body) = send(&app, get("/")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        h[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = String::from_utf8(body).unwrap();
    assert!(
        !html.contains("https://"),
        "the viewer must load nothing from the internet"
    );
    let (status, _, js) = send(&app, get("/assets/vendor/maplibre-gl.js")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(js.len() > 100_000);
}

#[tokio::test]
async fn basemap_is_added_under_the_layers_when_configured() {
    let cfg = ServerConfig {
        basemap_url: Some("http://gis.internal/tiles/{z}/{x}/{y}.png".into()),
        ..ServerConfig::default()
    };
    let app = router(state_with(cfg, None));
    let (_, _, body) = send(&app, get("/styles/risk.json")).await;
    let style = json(&body);
    assert_eq!(
        style["sources"]["basemap"]["tiles"][0],
        "http://gis.internal/tiles/{z}/{x}/{y}.png"
    );
    let layers = style["layers"].as_array().unwrap();
    let pos = layers.iter().position(|l| l["id"] == "basemap").unwrap();
    assert!(layers[..pos].iter().all(|l| l["type"] == "background"));
}

#[tokio::test]
async fn geojson_api_filters_and_keeps_personal_fields_out() {
    let app = router(state_with(ServerConfig::default(), None));
    let (status, h, body) = send(
        &app,
        get("/api/features/house_risk.geojson?level=major,significant"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h[header::CONTENT_TYPE], "application/geo+json");
    let fc = json(&body);
    let feats = fc["features"].as_array().unwrap();
    assert!(!feats.is_empty());
    for f in feats {
        let l = f["properties"]["level"].as_str().unwrap();
        assert!(l == "major" || l == "significant");
        assert!(f["properties"].get("phone").is_none());
    }
    let (status, _, body) = send(
        &app,
        get("/api/features/houses.geojson?bbox=121.0,31.7,121.2,31.9"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    for f in json(&body)["features"].as_array().unwrap() {
        assert!(f["properties"].get("phone").is_none());
    }
    for (uri, code) in [
        (
            "/api/features/houses.geojson?bbox=1,2,3",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/features/houses.geojson?level=purple",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/features/houses.geojson?area=nowhere",
            StatusCode::NOT_FOUND,
        ),
        // A layer without levels cannot be filtered by one (it would come out whole).
        (
            "/api/features/protection_conflicts.geojson?level=major",
            StatusCode::BAD_REQUEST,
        ),
        ("/api/features/nothing.geojson", StatusCode::NOT_FOUND),
    ] {
        let (status, _, body) = send(&app, get(uri)).await;
        assert_eq!(status, code, "{uri}");
        assert!(json(&body)["error"].is_string());
    }
    // A response too large to send is refused with advice.
    let cfg = ServerConfig {
        max_geojson_features: 10,
        ..ServerConfig::default()
    };
    let small = router(state_with(cfg, None));
    let (status, _, body) = send(&small, get("/api/features/houses.geojson")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(json(&body)["error"].as_str().unwrap().contains("bbox"));
    let (status, _, body) = send(&app, get("/api/areas")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        json(&body)
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["top_risks"].is_array())
    );
    let (_, _, body) = send(&app, get("/api/search?q=%E5%8C%96%E5%B7%A5")).await; // 化工
    assert!(!json(&body)["results"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn denied_fields_never_reach_tiles_or_geojson() {
    let mut cfg = ServerConfig::default();
    cfg.layers.insert(
        "houses".into(),
        riskmap_server::server::config::LayerConfig {
            deny_fields: vec!["address".into()],
            ..Default::default()
        },
    );
    let app = router(state_with(cfg, None));
    let (_, _, body) = send(&app, get("/api/features/houses.geojson?bbox=120,31,122,33")).await;
    let fc = json(&body);
    assert!(
        fc["features"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["properties"].get("address").is_none())
    );
    // A detail-zoom tile of houses somewhere in the city.
    let f0 = &fc["features"][0]["geometry"]["coordinates"][0][0];
    let (lon, lat) = (f0[0].as_f64().unwrap(), f0[1].as_f64().unwrap());
    let (x, y) = centre_tile([lon, lat, lon, lat], 16);
    let (status, _, body) = send(&app, get(&format!("/tiles/houses/16/{x}/{y}.mvt"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !body.windows(7).any(|w| w == b"address"),
        "address reached a tile"
    );
    assert!(
        !body.windows(5).any(|w| w == b"phone"),
        "phone reached a tile"
    );
    // The tile carries the level only; the popup's API gives the rest, still without the
    // denied field.
    assert!(
        body.windows(5).any(|w| w == b"level"),
        "level is in the tile"
    );
    assert!(
        !body.windows(9).any(|w| w == b"appraisal"),
        "popup-only fields stay out of the tile"
    );
    let (status, _, body) = send(&app, get("/api/feature/houses/0")).await;
    assert_eq!(status, StatusCode::OK);
    let f = json(&body);
    assert!(f["properties"].get("address").is_none(), "{f}");
    assert!(f["properties"].get("appraisal").is_some(), "{f}");
}

#[tokio::test]
async fn reload_needs_the_token_and_a_failed_reload_keeps_serving() {
    // Reload over HTTP is off without a token.
    let app = router(state_with(ServerConfig::default(), None));
    let (status, _, _) = send(
        &app,
        Request::builder()
            .method("POST")
            .uri("/admin/reload")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // A copy of the city that the test can break.
    let tmp = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(city()).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), tmp.path().join(e.file_name())).unwrap();
    }
    let cfg = ServerConfig::default();
    let snap = build_snapshot(&cfg, &DataSource::dir(tmp.path()), 1).unwrap();
    let state = Arc::new(AppState::new(
        cfg,
        DataSource::dir(tmp.path()),
        snap,
        Some("s3cret".into()),
    ));
    let app = router(Arc::clone(&state));
    let reload = |token: &str| {
        Request::builder()
            .method("POST")
            .uri("/admin/reload")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap()
    };
    let (status, _, _) = send(&app, reload("wrong")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, body) = send(&app, reload("s3cret")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json(&body)["generation"], 2);

    // Break the data directory: the reload fails, generation 2 keeps serving.
    std::fs::remove_dir_all(tmp.path()).unwrap();
    let (status, _, body) = send(&app, reload("s3cret")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        json(&body)["error"]
            .as_str()
            .unwrap()
            .contains("still serving generation 2")
    );
    let (_, _, body) = send(&app, get("/health")).await;
    let h = json(&body);
    assert_eq!(h["generation"], 2);
    // The day the city's riskmap.toml gives (as_of), on which its hazards are counted.
    assert_eq!(h["as_of"], "2026-11-30");
    assert_eq!(h["status"], "degraded", "the failed reload stands: {h}");
    assert_eq!(h["last_reload"]["ok"], false);
    assert!(h["features"]["houses"].as_u64().unwrap() > 0);
    let (status, _, _) = send(&app, get("/tiles/risk_grid/8/214/104.mvt")).await;
    assert_eq!(status, StatusCode::OK, "tiles still served");
    let (_, _, m) = send(&app, get("/metrics")).await;
    let m = String::from_utf8(m).unwrap();
    assert!(
        m.contains("riskmap_reloads_total{result=\"ok\"} 1")
            && m.contains("riskmap_reloads_total{result=\"failed\"} 1"),
        "{m}"
    );
}

#[tokio::test]
async fn cors_is_off_by_default_and_on_when_configured() {
    let origin_req = || {
        Request::builder()
            .uri("/health")
            .header(header::ORIGIN, "http://planning.internal")
            .body(Body::empty())
            .unwrap()
    };
    let app = router(state_with(ServerConfig::default(), None));
    let (_, h, _) = send(&app, origin_req()).await;
    assert!(h.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
    let cfg = ServerConfig {
        cors_origins: vec!["http://planning.internal".into()],
        ..ServerConfig::default()
    };
    let app = router(state_with(cfg, None));
    let (_, h, _) = send(&app, origin_req()).await;
    assert_eq!(
        h[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        "http://planning.internal"
    );
}

#[tokio::test]
async fn a_reload_with_out_of_range_rules_is_refused_and_keeps_serving() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("rules.toml");
    std::fs::write(
        &rules,
        "[protection.hazchem_enterprise]\ngeneral_3 = 50.0\n",
    )
    .unwrap();
    let cfg = ServerConfig {
        rules: Some(rules.clone()),
        ..ServerConfig::default()
    };
    let state = state_with(cfg, Some("s3cret"));
    let app = router(Arc::clone(&state));
    // A negative distance in the rules: the reload fails and generation 1 keeps serving.
    std::fs::write(
        &rules,
        "[protection.hazchem_enterprise]\ngeneral_3 = -50.0\n",
    )
    .unwrap();
    let req = Request::builder()
        .method("POST")
        .uri("/admin/reload")
        .header(header::AUTHORIZATION, "Bearer s3cret")
        .body(Body::empty())
        .unwrap();
    let (status, _, body) = send(&app, req).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let text = String::from_utf8_lossy(&body);
    assert!(
        text.contains("protection.hazchem_enterprise.general_3: -50 is negative"),
        "{text}"
    );
    let (_, _, body) = send(&app, get("/health")).await;
    assert_eq!(json(&body)["generation"], 1);
}

#[tokio::test]
async fn framework_errors_and_bad_queries_answer_json() {
    let cfg = ServerConfig {
        max_body_bytes: 1000,
        ..ServerConfig::default()
    };
    let app = router(state_with(cfg, None));
    let big = site(
        serde_json::json!({"use": "school", "pad": "x".repeat(2000)}),
        &[[121.0, 31.9], [121.1, 31.9], [121.1, 32.0], [121.0, 31.9]],
    );
    let cases = [
        (get("/api/site-check"), StatusCode::METHOD_NOT_ALLOWED, ""),
        (
            post("/api/site-check", big),
            StatusCode::PAYLOAD_TOO_LARGE,
            "",
        ),
        (get("/api/search"), StatusCode::BAD_REQUEST, "q"),
        (
            get("/api/search?limit=x&q=a"),
            StatusCode::BAD_REQUEST,
            "limit",
        ),
        (
            get("/tiles/houses,houses/14/13706/6659.mvt"),
            StatusCode::BAD_REQUEST,
            "houses is listed twice",
        ),
        (
            get("/no/such/route"),
            StatusCode::NOT_FOUND,
            "no such route",
        ),
    ];
    for (req, code, needle) in cases {
        let uri = req.uri().to_string();
        let (status, h, body) = send(&app, req).await;
        assert_eq!(status, code, "{uri}");
        assert!(
            h[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("application/json"),
            "{uri}: {:?}",
            h[header::CONTENT_TYPE]
        );
        let v = json(&body);
        assert_eq!(v["status"], code.as_u16(), "{uri}");
        let msg = v["error"].as_str().unwrap();
        assert!(!msg.is_empty() && msg.contains(needle), "{uri}: {msg}");
    }
}

#[tokio::test]
async fn expensive_requests_past_the_bound_get_503_with_retry_after() {
    // One site check at a time, none waiting: while the one slot is held, the next
    // request is refused at once.
    let cfg = ServerConfig {
        site_check_concurrency: 1,
        expensive_queue: 0,
        request_timeout_s: 1,
        ..ServerConfig::default()
    };
    let state = state_with(cfg.clone(), None);
    let limits = Arc::new(Limits::new(&cfg));
    let app = router_with_limits(state, Arc::clone(&limits));
    let square = [
        [121.0, 31.9],
        [121.002, 31.9],
        [121.002, 31.902],
        [121.0, 31.9],
    ];
    let body = site(serde_json::json!({"use": "school"}), &square);
    let held = limits.site_check.pause().await.unwrap();
    let (status, h, out) = send(&app, post("/api/site-check", body.clone())).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(h[header::RETRY_AFTER], "1");
    let msg = json(&out)["error"].as_str().unwrap().to_string();
    assert!(
        msg.contains("site check") && msg.contains("0 waiting"),
        "{msg}"
    );
    // Tiles have their own gate: the map is served meanwhile.
    let (status, _, _) = send(&app, get("/tiles/areas/0/0/0.mvt")).await;
    assert!(status.is_success(), "{status}");
    drop(held);
    let (status, _, out) = send(&app, post("/api/site-check", body.clone())).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&out));

    // With a queue of one, a waiting request is answered 503 at the time limit (1 s).
    let cfg = ServerConfig {
        site_check_concurrency: 1,
        expensive_queue: 1,
        request_timeout_s: 1,
        ..ServerConfig::default()
    };
    let limits = Arc::new(Limits::new(&cfg));
    let app = router_with_limits(state_with(cfg, None), Arc::clone(&limits));
    let held = limits.site_check.pause().await.unwrap();
    let (status, h, out) = send(&app, post("/api/site-check", body)).await;
    drop(held);
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(h.contains_key(header::RETRY_AFTER));
    let msg = json(&out)["error"].as_str().unwrap().to_string();
    assert!(msg.contains("waited 1 s"), "{msg}");
}

/// A counter of the Prometheus text at /metrics.
async fn metric(app: &axum::Router, name: &str) -> u64 {
    common::metric(app, name).await as u64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_misses_of_one_tile_render_it_once() {
    const N: usize = 12;
    let cfg = ServerConfig::default();
    let limits = Arc::new(Limits::new(&cfg));
    let app = router_with_limits(state_with(cfg, None), Arc::clone(&limits));
    let (x, y) = served_centre_tile(&app, 12).await;
    let uri = format!("/tiles/houses,areas/12/{x}/{y}.mvt");
    let misses = metric(&app, "riskmap_tile_cache_misses_total").await;
    let renders = metric(&app, "riskmap_tile_render_seconds_count").await;
    // Rendering is paused, so the first request waits inside its render and all the
    // others must find it in flight.
    let held = limits.tiles.pause().await.unwrap();
    let tasks: Vec<_> = (0..N)
        .map(|_| {
            let app = app.clone();
            let uri = uri.clone();
            tokio::spawn(async move { send(&app, get(&uri)).await })
        })
        .collect();
    let mut waited = 0;
    while limits.flights.waiting() < N - 1 {
        waited += 1;
        assert!(waited < 2000, "only {} waiting", limits.flights.waiting());
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    drop(held);
    let mut bodies = Vec::new();
    for t in tasks {
        let (status, _, body) = t.await.unwrap();
        assert_eq!(status, StatusCode::OK);
        bodies.push(body);
    }
    assert!(bodies.iter().all(|b| *b == bodies[0] && !b.is_empty()));
    assert_eq!(
        metric(&app, "riskmap_tile_cache_misses_total").await,
        misses + 1
    );
    assert_eq!(
        metric(&app, "riskmap_tile_render_seconds_count").await,
        renders + 1
    );
    assert_eq!(limits.flights.waiting(), 0);
}
