//! A site drawn in another coordinate system than lon/lat — a Gauss–Krüger zone as CAD
//! and survey drawings are, GCJ-02 as AMap's are — is checked where it lies when the
//! request says which system (a legacy `crs` member, `?crs=`), and refused with how to
//! say it when it does not.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure

use std::io::Write;
use std::process::{Command, Stdio};

use axum::http::StatusCode;
use riskmap_core::crs::Crs;
use riskmap_server::server::config::ServerConfig;
use riskmap_server::server::routes::router;
use serde_json::{Value, json};

mod common;
use common::*;

/// Positions converted by GDAL's `gdaltransform` (Debian package gdal-bin) from lon/lat
/// to `srs`, easting first.
fn gdal_transform(srs: &str, ring: &[[f64; 2]]) -> Vec<[f64; 2]> {
    let mut child = Command::new("gdaltransform")
        .args(["-s_srs", "EPSG:4326", "-t_srs", srs, "-output_xy"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("gdaltransform runs (install gdal-bin)");
    let input: String = ring.iter().map(|[x, y]| format!("{x} {y}\n")).collect();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Vec<f64> = l.split_whitespace().map(|t| t.parse().unwrap()).collect();
            [v[0], v[1]]
        })
        .collect()
}

/// The conflicts of an answer: (id, distance in metres), in order.
fn conflicts(body: &[u8]) -> Vec<(String, f64)> {
    json(body)["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["properties"]["role"] == "conflict")
        .map(|f| {
            (
                f["properties"]["id"].as_str().unwrap_or("").to_string(),
                f["properties"]["distance_m"].as_f64().unwrap(),
            )
        })
        .collect()
}

/// The site with a legacy `crs` member naming `name`.
fn with_member(props: Value, ring: &[[f64; 2]], name: &str) -> String {
    json!({"type": "Feature", "crs": {"type": "name", "properties": {"name": name}},
        "properties": props, "geometry": {"type": "Polygon", "coordinates": [ring]}})
    .to_string()
}

#[tokio::test]
async fn a_site_in_a_zone_or_in_gcj02_is_checked_where_it_lies() {
    let app = router(state_with(ServerConfig::default(), None));
    // A school 200 m east of the first graded hazard source (as in the API's test).
    let (hs, ring) = site_next_to_a_graded_source(&app).await;
    let props = json!({"use": "学校", "population": 900});
    let (status, _, body) = send(&app, post("/api/site-check", site(props.clone(), &ring))).await;
    assert_eq!(status, StatusCode::OK);
    let expected = conflicts(&body);
    assert!(
        expected.iter().any(|(id, _)| hs["id"] == id.as_str()),
        "{expected:?}"
    );
    let same = |got: &[(String, f64)], tolerance: f64, what: &str| {
        assert_eq!(got.len(), expected.len(), "{what}: {got:?} vs {expected:?}");
        for ((a, x), (b, y)) in got.iter().zip(&expected) {
            assert_eq!(a, b, "{what}");
            assert!(
                (x - y).abs() <= tolerance,
                "{what}: {a} at {x} m, not {y} m"
            );
        }
    };

    // CGCS2000 / 3-degree Gauss–Krüger CM 120E, as GDAL converts it; by the member and
    // by the query.
    let gk = gdal_transform("EPSG:4549", &ring);
    let (status, _, body) = send(
        &app,
        post(
            "/api/site-check",
            with_member(props.clone(), &gk, "EPSG:4549"),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    same(&conflicts(&body), 0.02, "EPSG:4549 member");
    let site_props = &json(&body)["features"][0]["properties"];
    assert!(
        site_props["crs_sent"]
            .as_str()
            .unwrap()
            .starts_with("EPSG:4549"),
        "{site_props}"
    );
    let (status, _, body) = send(
        &app,
        post("/api/site-check?crs=EPSG:4549", site(props.clone(), &gk)),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    same(&conflicts(&body), 0.02, "?crs=EPSG:4549");

    // The same site as AMap draws it (GCJ-02, some hundreds of metres off): checked
    // where it lies when said, elsewhere when not.
    let gcj: Vec<[f64; 2]> = ring
        .iter()
        .map(|[x, y]| {
            let (a, b) = Crs::Gcj02.from_wgs84(*x, *y).unwrap();
            [a, b]
        })
        .collect();
    // (a crs member on the geometry, as the old GeoJSON allowed on any object)
    let on_geometry = json!({"type": "Feature", "properties": props.clone(),
        "geometry": {"type": "Polygon", "coordinates": [&gcj],
            "crs": {"type": "name", "properties": {"name": "gcj02"}}}})
    .to_string();
    for (uri, body) in [
        ("/api/site-check?crs=gcj02", site(props.clone(), &gcj)),
        (
            "/api/site-check",
            with_member(props.clone(), &gcj, "GCJ-02"),
        ),
        ("/api/site-check", on_geometry),
    ] {
        let (status, _, out) = send(&app, post(uri, body)).await;
        assert_eq!(status, StatusCode::OK);
        same(&conflicts(&out), 0.05, uri);
    }
    // The draft opinion says the site was converted, and from what.
    let (status, _, page) = send(
        &app,
        post(
            "/api/site-check?crs=gcj02&format=html",
            site(props.clone(), &gcj),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let page = String::from_utf8(page).unwrap();
    assert!(
        page.contains("（WGS 84，由送审的 gcj02 (GCJ-02) 坐标换算）"),
        "{page}"
    );
    let (_, _, out) = send(&app, post("/api/site-check", site(props.clone(), &gcj))).await;
    assert_ne!(
        conflicts(&out),
        expected,
        "undeclared, the offset site is elsewhere"
    );

    // Refusals, each saying what to do.
    let cases = [
        // Zone metres without a crs.
        (
            site(props.clone(), &gk),
            "/api/site-check",
            vec!["not lon/lat", "crs", "EPSG:4549"],
        ),
        (
            with_member(props.clone(), &gk, "EPSG:4549"),
            "/api/site-check?crs=gcj02",
            vec!["EPSG:4549", "gcj02", "give one"],
        ),
        (
            with_member(props.clone(), &gk, "EPSG:999999"),
            "/api/site-check",
            vec!["EPSG:999999"],
        ),
        // Degrees said to be zone metres: refused by the conversion itself.
        (
            with_member(props.clone(), &ring, "EPSG:4549"),
            "/api/site-check",
            vec!["EPSG:4549", "look like degrees"],
        ),
        // Metres of the zone of 120°E said to be of the zone of 123°E: converted, the
        // site lands some 280 km east, far from every area, where it would meet nothing.
        (
            with_member(props.clone(), &gk, "EPSG:4550"),
            "/api/site-check",
            vec![
                "converted from EPSG:4550",
                "outside every area",
                "crs right",
            ],
        ),
    ];
    for (body, uri, words) in cases {
        let (status, _, out) = send(&app, post(uri, body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
        let msg = json(&out)["error"].as_str().unwrap_or("").to_string();
        for w in words {
            assert!(msg.contains(w), "'{msg}' lacks '{w}'");
        }
    }
}
