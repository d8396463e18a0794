//! `GET /api/measure?path=lon,lat;lon,lat;…`: the viewer's measuring tool. Lengths and
//! areas on the WGS 84 ellipsoid (geo's geodesics, which are GeographicLib's algorithms),
//! not in the map's Web Mercator, whose scale at 32° N is 18 % off.

use axum::Json;
use axum::extract::{Query, State};
use geo::{Coord, GeodesicArea, Geometry, Length, LineString, Polygon};
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppStateRef;
use crate::server::error::AppError;

/// The query: the points, in order.
#[derive(Debug, Deserialize)]
pub(in crate::server) struct MeasureQuery {
    path: String,
}

/// Each segment's length, the path's length and, from three points on, the area and
/// perimeter of the polygon they close.
pub(in crate::server) async fn measure(
    State(state): State<AppStateRef>,
    Query(q): Query<MeasureQuery>,
) -> Result<Json<Value>, AppError> {
    let points = parse_path(&q.path, state.config.max_site_vertices)?;
    let line = LineString::from(points.clone());
    let segments: Vec<f64> = line
        .lines()
        .map(|l| geo::Geodesic.length(&LineString::from(vec![l.start, l.end])))
        .collect();
    let length_m: f64 = segments.iter().sum();
    let mut out = json!({
        "points": points.len(),
        "segments_m": segments,
        "length_m": length_m,
    });
    if points.len() >= 3 {
        // Whichever way the points were clicked (geodesy::area_m2 orients the ring).
        let poly = Polygon::new(line, Vec::new());
        out["perimeter_m"] = json!(poly.geodesic_perimeter());
        out["area_m2"] = json!(riskmap_core::geodesy::area_m2(&Geometry::Polygon(poly)));
    }
    Ok(Json(out))
}

/// `lon,lat;lon,lat;…` into points, each checked; an error names the point.
fn parse_path(s: &str, max: usize) -> Result<Vec<Coord<f64>>, AppError> {
    let mut out = Vec::new();
    for (i, part) in s.split(';').filter(|p| !p.trim().is_empty()).enumerate() {
        let n = i + 1;
        let bad = |why: &str| AppError::bad_request(format!("path: point {n} ('{part}'): {why}"));
        let (x, y) = part
            .split_once(',')
            .ok_or_else(|| bad("expected lon,lat"))?;
        let x: f64 = x
            .trim()
            .parse()
            .map_err(|_| bad("the longitude is not a number"))?;
        let y: f64 = y
            .trim()
            .parse()
            .map_err(|_| bad("the latitude is not a number"))?;
        if !(-180.0..=180.0).contains(&x) || !(-90.0..=90.0).contains(&y) {
            return Err(bad("outside −180…180, −90…90 (lon,lat in degrees, WGS 84)"));
        }
        out.push(Coord { x, y });
        if out.len() > max {
            return Err(AppError::bad_request(format!(
                "path: more than {max} points"
            )));
        }
    }
    if out.len() < 2 {
        return Err(AppError::bad_request(
            "path: at least two points lon,lat;lon,lat are needed",
        ));
    }
    Ok(out)
}
