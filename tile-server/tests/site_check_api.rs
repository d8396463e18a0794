//! The site check through the HTTP application (`POST /api/site-check`, without a
//! socket) on a small generated city: the conflicts it reports, the draft opinion, and
//! the sites and bodies it refuses with a reason.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure

use axum::http::{StatusCode, header};
use riskmap_server::server::config::ServerConfig;
use riskmap_server::server::routes::router;

mod common;
use common::*;

#[tokio::test]
async fn site_check_reports_conflicts_and_refuses_bad_input() {
    let app = router(state_with(ServerConfig::default(), None));
    // A school site right next to the first graded hazard source.
    let (hs, ring) = site_next_to_a_graded_source(&app).await;
    let [lon, lat] = ring[0];
    let (status, h, body) = send(
        &app,
        post(
            "/api/site-check",
            site(serde_json::json!({"use": "学校", "population": 900}), &ring),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    assert_eq!(h[header::CONTENT_TYPE], "application/geo+json");
    let fc = json(&body);
    let feats = fc["features"].as_array().unwrap();
    assert_eq!(feats[0]["properties"]["role"], "site");
    assert_eq!(feats[0]["properties"]["class"], "high_sensitivity");
    let conflict = feats
        .iter()
        .find(|f| f["properties"]["id"] == hs["id"])
        .expect("the hazard source is in conflict");
    let p = &conflict["properties"];
    assert!(p["distance_m"].as_f64().unwrap() < p["required_m"].as_f64().unwrap());
    assert!(
        p["rule"].as_str().unwrap().starts_with("RM-PD/grade_")
            || p["rule"].as_str().unwrap().starts_with("QRA/")
    );
    // The same request as the draft opinion to print: its map numbers every conflict,
    // its table has a row for each, the severity in words.
    let n = feats.len() - 1;
    let (status, h, page) = send(
        &app,
        post(
            "/api/site-check?format=html",
            site(serde_json::json!({"use": "学校", "population": 900}), &ring),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h[header::CONTENT_TYPE], "text/html; charset=utf-8");
    let page = String::from_utf8(page).unwrap();
    assert!(page.contains("建设项目选址安全风险审查意见（草稿）"));
    assert!(
        page.contains(&format!(r#"data-conflicts="{n}""#)),
        "{n} conflicts"
    );
    assert_eq!(page.matches("<tr><td>").count(), n);
    assert!(page.contains(&format!("发现 {n} 处距离冲突")));
    assert!(page.contains("审查人："));
    let (status, _, _) = send(
        &app,
        post(
            "/api/site-check?format=pdf",
            site(serde_json::json!({"use": "学校"}), &ring),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Bad input: not JSON, a line, a bow-tie, out-of-range coordinates, unknown use, too
    // many vertices, too large a body.
    let bowtie = [
        [lon, lat],
        [lon + 0.002, lat + 0.002],
        [lon + 0.002, lat],
        [lon, lat + 0.002],
        [lon, lat],
    ];
    let cases: Vec<(String, StatusCode, &str)> = vec![
        ("not json".into(), StatusCode::BAD_REQUEST, "not JSON"),
        (serde_json::json!({"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": [[lon, lat], [lon + 0.01, lat]]}}).to_string(), StatusCode::BAD_REQUEST, "Polygon"),
        (site(serde_json::json!({"use": "school"}), &bowtie), StatusCode::BAD_REQUEST, "not valid"),
        (site(serde_json::json!({"use": "school"}), &[[500000.0, 3500000.0], [500100.0, 3500000.0], [500100.0, 3500100.0], [500000.0, 3500000.0]]), StatusCode::BAD_REQUEST, "lon/lat"),
        (site(serde_json::json!({"use": "casino"}), &ring), StatusCode::BAD_REQUEST, "casino"),
    ];
    for (body, code, needle) in cases {
        let (status, _, out) = send(&app, post("/api/site-check", body)).await;
        assert_eq!(status, code, "{needle}");
        assert!(
            json(&out)["error"].as_str().unwrap().contains(needle),
            "{needle}: {}",
            String::from_utf8_lossy(&out)
        );
    }
    let many: Vec<[f64; 2]> = (0..=20_000)
        .map(|i| {
            let a = f64::from(i) / 20_000.0 * std::f64::consts::TAU;
            [lon + 0.001 * a.cos(), lat + 0.001 * a.sin()]
        })
        .collect();
    let (status, _, out) = send(
        &app,
        post(
            "/api/site-check",
            site(serde_json::json!({"use": "school"}), &many),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(json(&out)["error"].as_str().unwrap().contains("vertices"));
    let cfg = ServerConfig {
        max_body_bytes: 1000,
        ..ServerConfig::default()
    };
    let small = router(state_with(cfg, None));
    let (status, _, out) = send(
        &small,
        post(
            "/api/site-check",
            site(
                serde_json::json!({"use": "school", "pad": "x".repeat(2000)}),
                &ring,
            ),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    // The limit named, which the framework's own text does not.
    let msg = json(&out)["error"].as_str().unwrap_or("").to_string();
    assert!(msg.contains("max_body_bytes"), "{msg}");
}

/// Posts a site and returns the status, headers and the JSON error message (or "").
async fn site_error(app: &axum::Router, body: String) -> (StatusCode, String) {
    let (status, _, out) = send(app, post("/api/site-check", body)).await;
    let msg = json(&out)["error"].as_str().unwrap_or("").to_string();
    (status, msg)
}

#[tokio::test]
async fn site_check_refuses_sites_it_cannot_check_rightly() {
    let app = router(state_with(ServerConfig::default(), None));
    let square = [
        [121.0, 31.9],
        [121.002, 31.9],
        [121.002, 31.902],
        [121.0, 31.902],
        [121.0, 31.9],
    ];
    let feature = |props: serde_json::Value, coords: serde_json::Value| {
        serde_json::json!({"type": "Feature", "properties": props,
            "geometry": {"type": "Polygon", "coordinates": coords}})
        .to_string()
    };
    let school = serde_json::json!({"use": "school"});
    // (body, words the error must contain); every one is a 400.
    let cases: Vec<(String, Vec<&str>)> = vec![
        // 179.9 → -179.9 is a jump of 359.8° of longitude: the ring crosses ±180°.
        (
            site(
                school.clone(),
                &[
                    [179.9, 0.0],
                    [-179.9, 0.0],
                    [-179.9, 0.1],
                    [179.9, 0.1],
                    [179.9, 0.0],
                ],
            ),
            vec!["antimeridian", "179.9", "-179.9"],
        ),
        (
            feature(school.clone(), serde_json::json!([])),
            vec!["no coordinates"],
        ),
        (
            feature(school.clone(), serde_json::json!([[]])),
            vec!["no coordinates"],
        ),
        (
            serde_json::json!({"type": "Feature", "properties": {"use": "school"},
                "geometry": {"type": "MultiPolygon", "coordinates": []}})
            .to_string(),
            vec!["no coordinates"],
        ),
        // Three positions: a triangle's ring needs four (the first repeated).
        (
            site(
                school.clone(),
                &[[121.0, 31.9], [121.002, 31.9], [121.0, 31.902]],
            ),
            vec!["3 positions", "at least 4"],
        ),
        (
            site(
                school.clone(),
                &[
                    [121.0, 31.9],
                    [121.002, 31.9],
                    [121.002, 31.902],
                    [121.0, 31.902],
                ],
            ),
            vec!["not closed", "121.0, 31.902"],
        ),
        // 1e400 is not a finite double: refused by the JSON reader, which names where.
        (
            r#"{"type":"Feature","properties":{"use":"school"},"geometry":{"type":"Polygon","coordinates":[[[1e400,31.9],[121.002,31.9],[121.002,31.902],[121.0,31.9]]]}}"#.into(),
            vec!["not JSON", "column"],
        ),
        (
            site(serde_json::json!({}), &square),
            vec!["no 'use'", "accepted", "school", "residential"],
        ),
        (
            site(serde_json::json!({"use": 3}), &square),
            vec!["must be a string", "3", "accepted", "hospital"],
        ),
        (
            site(serde_json::json!({"use": ["school"]}), &square),
            vec!["must be a string", "accepted"],
        ),
        // A bare polygon has no properties, hence no use.
        (
            serde_json::json!({"type": "Polygon", "coordinates": [square]}).to_string(),
            vec!["no 'use'"],
        ),
    ];
    for (body, words) in cases {
        let (status, msg) = site_error(&app, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {msg}");
        for w in words {
            assert!(msg.contains(w), "{body}: '{msg}' lacks '{w}'");
        }
    }
    // The same square with a use is checked.
    let (status, msg) = site_error(&app, site(school, &square)).await;
    assert_eq!(status, StatusCode::OK, "{msg}");
}
