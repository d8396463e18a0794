//! The local plane the city is laid out on: metres east and north of the boundary's
//! centre, with the WGS84 radii of curvature at the centre (a fixed polynomial for the
//! cosine, so that every machine gets the same bits).

use std::f64::consts::PI;

use geo::{Geometry, LineString, MultiPolygon, Point, Polygon};

use super::GenerateError;
use super::arith::{C, c, cos_poly};

#[derive(Debug, Clone, Copy)]
pub(super) struct Plane {
    pub(super) lon0: f64,
    pub(super) lat0: f64,
    pub(super) kx: f64,
    pub(super) ky: f64,
}

impl Plane {
    pub(super) fn new(lon0: f64, lat0: f64) -> Plane {
        // WGS84 radii of curvature at the origin; cos by polynomial, see `cos_poly`.
        let a = 6_378_137.0;
        let f = 1.0 / 298.257_223_563;
        let e2 = f * (2.0 - f);
        let deg = PI / 180.0;
        let cosp = cos_poly(lat0 * deg);
        let w2 = 1.0 - e2 * (1.0 - cosp * cosp);
        let w = w2.sqrt();
        Plane {
            lon0,
            lat0,
            kx: a / w * cosp * deg,
            ky: a * (1.0 - e2) / (w2 * w) * deg,
        }
    }
    pub(super) fn to_m(self, ll: C) -> C {
        c((ll.x - self.lon0) * self.kx, (ll.y - self.lat0) * self.ky)
    }
    pub(super) fn to_ll(self, m: C) -> C {
        c(self.lon0 + m.x / self.kx, self.lat0 + m.y / self.ky)
    }
    pub(super) fn ring(&self, pts: &[C]) -> LineString<f64> {
        let mut v: Vec<C> = pts.iter().map(|&p| self.to_ll(p)).collect();
        if let Some(&first) = v.first() {
            v.push(first);
        }
        LineString(v)
    }
    pub(super) fn polygon(&self, pts: &[C]) -> Geometry<f64> {
        Geometry::Polygon(Polygon::new(self.ring(pts), vec![]))
    }
    pub(super) fn point(&self, p: C) -> Geometry<f64> {
        Geometry::Point(Point(self.to_ll(p)))
    }
    pub(super) fn line(&self, pts: &[C]) -> Geometry<f64> {
        Geometry::LineString(LineString(pts.iter().map(|&p| self.to_ll(p)).collect()))
    }
}

pub(super) fn plane_for(boundary: &MultiPolygon<f64>) -> Result<Plane, GenerateError> {
    let mut lo = c(f64::INFINITY, f64::INFINITY);
    let mut hi = c(f64::NEG_INFINITY, f64::NEG_INFINITY);
    let mut any = false;
    for poly in &boundary.0 {
        for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
            for &p in &ring.0 {
                if !(p.x.is_finite() && p.y.is_finite()) || p.x.abs() > 180.0 || p.y.abs() > 85.0 {
                    return Err(GenerateError::InvalidCoordinate { lon: p.x, lat: p.y });
                }
                lo = c(lo.x.min(p.x), lo.y.min(p.y));
                hi = c(hi.x.max(p.x), hi.y.max(p.y));
            }
        }
        any |= poly.exterior().0.len() >= 4;
    }
    if !any {
        return Err(GenerateError::EmptyBoundary);
    }
    let plane = Plane::new((lo.x + hi.x) / 2.0, (lo.y + hi.y) / 2.0);
    let size = plane.to_m(hi) - plane.to_m(lo);
    if size.x > 300_000.0 || size.y > 300_000.0 {
        return Err(GenerateError::BoundaryTooLarge {
            width_km: size.x / 1000.0,
            height_km: size.y / 1000.0,
        });
    }
    Ok(plane)
}
