//! `GET /api/rings/…` (a hazard source's protection distances as rings) and
//! `GET /api/measure` (the measuring tool). A ring's edge is checked against the distance
//! it stands for with the core's geodesic distance (itself checked against GeographicLib,
//! geo-core/src/geodesy.rs); the measured length against GeographicLib's documented
//! example.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{get, json, send, state_with};
use geo::{Geometry, Point};
use riskmap_core::geodesy::distance_m;
use riskmap_core::model::TargetClass;
use riskmap_core::rules::Rules;
use riskmap_server::server::config::ServerConfig;
use riskmap_server::server::routes::router;
use serde_json::Value;

fn geometry(v: &Value) -> Geometry<f64> {
    let g: geojson::Geometry = serde_json::from_value(v.clone()).unwrap();
    Geometry::try_from(g).unwrap()
}

#[tokio::test]
async fn a_hazard_sources_rings_lie_their_distance_from_it() {
    let app = router(state_with(ServerConfig::default(), None));
    let grades = json(
        &send(&app, get("/api/features/hazard_grades.geojson"))
            .await
            .2,
    );
    let f = grades["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["grade"].is_u64())
        .expect("a graded hazard source");
    let id = f["id"].as_str().unwrap();
    let grade = f["properties"]["grade"].as_u64().unwrap();
    let source = geometry(&f["geometry"]);
    let (status, _, body) = send(&app, get(&format!("/api/rings/hazard_sources/{id}"))).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let rings = json(&body);
    // The rule table's distances for its grade, one ring per distinct distance, widest
    // first (the demo has no QRA distances).
    let rules = Rules::default();
    use riskmap_core::model::HazardGrade;
    let g = [
        HazardGrade::One,
        HazardGrade::Two,
        HazardGrade::Three,
        HazardGrade::Four,
    ]
    .into_iter()
    .find(|g| u64::from(g.number()) == grade)
    .unwrap();
    let table = rules.protection.for_grade(g);
    let mut want: Vec<f64> = TargetClass::ALL
        .iter()
        .map(|c| table.get(*c))
        .filter(|d| *d > 0.0)
        .collect();
    want.sort_by(|a, b| b.total_cmp(a));
    want.dedup();
    let got: Vec<f64> = rings["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["properties"]["required_m"].as_f64().unwrap())
        .collect();
    assert_eq!(got, want);
    for r in rings["features"].as_array().unwrap() {
        let d = r["properties"]["required_m"].as_f64().unwrap();
        let classes = r["properties"]["classes"].as_array().unwrap();
        assert!(!classes.is_empty());
        for c in classes {
            let c = TargetClass::ALL
                .iter()
                .find(|k| k.key() == c.as_str().unwrap())
                .unwrap();
            assert_eq!(table.get(*c), d, "{c:?} is in the {d} m ring");
        }
        assert!(
            r["properties"]["basis_zh"]
                .as_str()
                .unwrap()
                .contains("防护距离")
        );
        let Geometry::MultiPolygon(mp) = geometry(&r["geometry"]) else {
            panic!("not a multipolygon")
        };
        for poly in &mp.0 {
            for c in poly.exterior().0.iter().step_by(7) {
                let e = distance_m(&Geometry::Point(Point::from(*c)), &source);
                assert!(
                    (e - d).abs() <= 0.005 * d,
                    "a vertex of the {d} m ring lies {e:.2} m away"
                );
            }
        }
    }
    // Bad requests say what is wrong.
    let (status, _, body) = send(&app, get("/api/rings/hazard_sources/no-such-id")).await;
    assert_eq!(status, 404);
    assert!(String::from_utf8_lossy(&body).contains("no-such-id"));
    let (status, _, body) = send(&app, get("/api/rings/houses/h-1")).await;
    assert_eq!(status, 400);
    assert!(String::from_utf8_lossy(&body).contains("hazard_sources and enterprises"));
}

#[tokio::test]
async fn the_measuring_tool_measures_on_the_ellipsoid() {
    let app = router(state_with(ServerConfig::default(), None));
    // GeographicLib's documented example: JFK (40.6 N, 73.8 W) to LHR (51.6 N, 0.5 W),
    // s12 = 5551759.400319 m.
    let (status, _, body) = send(&app, get("/api/measure?path=-73.8,40.6;-0.5,51.6")).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let m = json(&body);
    assert!(
        (m["length_m"].as_f64().unwrap() - 5_551_759.400_319).abs() < 1e-3,
        "{m}"
    );
    assert!(m.get("area_m2").is_none());
    // A square of 0.01° at the equator, by hand from the ellipsoid: its sides are
    // 1113.19 m (east) and 1105.74 m (north) to 0.01 m, so its area is 1,230,900 m² to 0.1 %.
    let (_, _, body) = send(&app, get("/api/measure?path=0,0;0.01,0;0.01,0.01;0,0.01")).await;
    let m = json(&body);
    let seg: Vec<f64> = m["segments_m"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert!((seg[0] - 1113.19).abs() < 0.01, "{seg:?}");
    assert!((seg[1] - 1105.74).abs() < 0.01, "{seg:?}");
    let area = m["area_m2"].as_f64().unwrap();
    assert!((area - 1_230_900.0).abs() < 0.001 * 1_230_900.0, "{area}");
    // Drawn clockwise: the same square, not the rest of the Earth.
    let (_, _, body) = send(&app, get("/api/measure?path=0,0;0,0.01;0.01,0.01;0.01,0")).await;
    let cw = json(&body)["area_m2"].as_f64().unwrap();
    assert!((cw - area).abs() < 1e-6 * area, "{cw} vs {area}");
    // Bad input names the point.
    for (path, says) in [
        ("121,31", "at least two points"),
        ("121,31;abc,31", "point 2"),
        ("121,31;121,95", "point 2"),
        ("121,31;121", "point 2"),
    ] {
        let (status, _, body) = send(&app, get(&format!("/api/measure?path={path}"))).await;
        assert_eq!(status, 400, "{path}");
        assert!(
            String::from_utf8_lossy(&body).contains(says),
            "{path}: {}",
            String::from_utf8_lossy(&body)
        );
    }
}

#[tokio::test]
async fn a_site_drawn_clockwise_has_its_own_area() {
    use axum::body::Body;
    use axum::http::{Request, header};
    let app = router(state_with(ServerConfig::default(), None));
    // The 0.01° square at the equator of the measuring test (≈ 1,230,900 m², by hand),
    // drawn both ways round; clockwise once came back as the rest of the Earth.
    let ccw = [
        [0.0, 0.0],
        [0.01, 0.0],
        [0.01, 0.01],
        [0.0, 0.01],
        [0.0, 0.0],
    ];
    let cw = [
        [0.0, 0.0],
        [0.0, 0.01],
        [0.01, 0.01],
        [0.01, 0.0],
        [0.0, 0.0],
    ];
    for ring in [ccw, cw] {
        let body = serde_json::json!({
            "type": "Feature",
            "properties": {"use": "居住"},
            "geometry": {"type": "Polygon", "coordinates": [ring]},
        });
        let req = Request::builder()
            .method("POST")
            .uri("/api/site-check")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let (status, _, b) = send(&app, req).await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&b));
        let area = json(&b)["features"][0]["properties"]["area_m2"]
            .as_f64()
            .unwrap();
        assert!(
            (area - 1_230_900.0).abs() < 0.001 * 1_230_900.0,
            "{ring:?}: {area}"
        );
    }
}
