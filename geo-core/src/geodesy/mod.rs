//! Distances in metres on the WGS84 ellipsoid.
//!
//! Every distance this crate reports is a geodesic distance (Karney's algorithm through
//! `geo::Geodesic`), never planar degrees or Web Mercator metres. For two geometries the
//! *closest pair of points* is found in a local tangent plane centred on the first
//! geometry (metres east and north, scaled by the ellipsoid's radii of curvature there);
//! the distance reported is then the geodesic distance between that pair. The plane only
//! chooses the pair: its small distortion moves the pair by a second-order amount, so the
//! reported distance stays within 10⁻⁶ of the true minimum for the few-kilometre ranges a
//! risk map uses (see the tests, which compare against GeographicLib).
//!
//! ```
//! use geo::{point, Geometry};
//! use riskmap_core::geodesy::{distance_m, point_distance_m};
//! let a = point!(x: 121.0, y: 32.0);
//! let b = point!(x: 121.01, y: 32.0);
//! let d = point_distance_m(a, b);
//! assert!((d - 945.0).abs() < 1.0);
//! assert_eq!(distance_m(&Geometry::Point(a), &Geometry::Point(b)), d);
//! ```

mod paths;
pub(crate) use paths::closest_on_segment;

use geo::{
    BoundingRect, Coord, CoordsIter, Distance, Geodesic, Geometry, Intersects, MapCoords, Point,
    Rect,
};

pub(crate) use paths::Paths;

/// WGS84 semi-major axis, metres.
pub const WGS84_A: f64 = 6_378_137.0;
/// WGS84 flattening.
pub const WGS84_F: f64 = 1.0 / 298.257_223_563;

/// The area of a lon/lat geometry on the WGS 84 ellipsoid, m² (Karney's algorithm through
/// `geo`), whichever way its rings turn: geo takes an exterior ring as counter-clockwise,
/// and a clockwise one (a shapefile's outer ring, a site drawn clockwise) would give the
/// rest of the Earth. 0 for a geometry without area; NaN for one with a coordinate that
/// is not a finite number.
pub fn area_m2(g: &Geometry<f64>) -> f64 {
    if !finite(g) {
        return f64::NAN;
    }
    use geo::GeodesicArea;
    use geo::orient::{Direction, Orient};
    match g {
        Geometry::Polygon(p) => p.orient(Direction::Default).geodesic_area_unsigned(),
        Geometry::MultiPolygon(p) => p.orient(Direction::Default).geodesic_area_unsigned(),
        Geometry::Rect(r) => r
            .to_polygon()
            .orient(Direction::Default)
            .geodesic_area_unsigned(),
        Geometry::Triangle(t) => t
            .to_polygon()
            .orient(Direction::Default)
            .geodesic_area_unsigned(),
        Geometry::GeometryCollection(c) => c.iter().map(area_m2).sum(),
        Geometry::Point(_)
        | Geometry::Line(_)
        | Geometry::LineString(_)
        | Geometry::MultiPoint(_)
        | Geometry::MultiLineString(_) => 0.0,
    }
}

/// Geodesic distance between two lon/lat points, metres.
pub fn point_distance_m(a: Point<f64>, b: Point<f64>) -> f64 {
    Geodesic.distance(a, b)
}

/// A local plane around an origin: metres east and north of it.
///
/// Scales come from the meridional and prime-vertical radii of curvature at the origin's
/// latitude, so the plane matches the ellipsoid to first order there.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LocalPlane {
    lon0: f64,
    lat0: f64,
    /// metres per degree of longitude at the origin
    kx: f64,
    /// metres per degree of latitude at the origin
    ky: f64,
}

impl LocalPlane {
    /// A plane centred on `origin` (lon/lat degrees).
    pub fn new(origin: Coord<f64>) -> Self {
        let (m, n) = radii_of_curvature(origin.y);
        let deg = std::f64::consts::PI / 180.0;
        LocalPlane {
            lon0: origin.x,
            lat0: origin.y,
            kx: n * origin.y.to_radians().cos() * deg,
            ky: m * deg,
        }
    }

    /// Metres per degree of longitude and of latitude at the origin.
    pub fn scales(&self) -> (f64, f64) {
        (self.kx, self.ky)
    }

    /// lon/lat → local metres.
    pub fn project(&self, c: Coord<f64>) -> Coord<f64> {
        Coord {
            x: (c.x - self.lon0) * self.kx,
            y: (c.y - self.lat0) * self.ky,
        }
    }

    /// local metres → lon/lat.
    pub fn unproject(&self, c: Coord<f64>) -> Coord<f64> {
        Coord {
            x: self.lon0 + c.x / self.kx,
            y: self.lat0 + c.y / self.ky,
        }
    }

    /// An upper bound of the plane's relative distance error for points inside `rect`
    /// (lon/lat): the east–west scale drifts by about |tan φ|·Δφ away from the origin's
    /// latitude and the ellipsoid's radii by about e²·Δφ; doubled for safety.
    pub fn relative_error_bound(&self, rect: Rect<f64>) -> f64 {
        let dphi = (rect.max().y - self.lat0)
            .abs()
            .max((rect.min().y - self.lat0).abs())
            .to_radians();
        let dlon = (rect.max().x - self.lon0)
            .abs()
            .max((rect.min().x - self.lon0).abs())
            .to_radians();
        let worst_lat = rect.max().y.abs().max(rect.min().y.abs()).min(89.0);
        let t = worst_lat.to_radians().tan();
        2.0 * (t * dphi + 0.007 * dphi + dphi * dphi + dlon * dlon) + 1e-9
    }

    /// A geometry in local metres.
    pub fn project_geometry(&self, g: &Geometry<f64>) -> Geometry<f64> {
        g.map_coords(|c| self.project(c))
    }
}

/// Meridional (M) and prime-vertical (N) radii of curvature of WGS84 at a latitude.
pub fn radii_of_curvature(lat_deg: f64) -> (f64, f64) {
    let e2 = WGS84_F * (2.0 - WGS84_F);
    let s = lat_deg.to_radians().sin();
    let w2 = 1.0 - e2 * s * s;
    let n = WGS84_A / w2.sqrt();
    let m = WGS84_A * (1.0 - e2) / (w2 * w2.sqrt());
    (m, n)
}

/// A lon/lat rectangle that holds every point within `metres` of `rect`.
///
/// Conservative: it uses the smallest metres-per-degree of longitude over the grown
/// latitude range, so no point within the distance falls outside it.
pub fn expand_rect_m(rect: Rect<f64>, metres: f64) -> Rect<f64> {
    let metres = metres.max(0.0);
    let (m_min, _) = radii_of_curvature(0.0);
    // Degrees of latitude: the meridional radius is smallest at the equator.
    let dlat = (metres / m_min).to_degrees() * 1.000_001;
    let lat_lo = (rect.min().y - dlat).max(-90.0);
    let lat_hi = (rect.max().y + dlat).min(90.0);
    let worst_lat = lat_lo.abs().max(lat_hi.abs());
    let dlon = if worst_lat >= 89.9 {
        360.0
    } else {
        let (_, n) = radii_of_curvature(worst_lat);
        (metres / (n * worst_lat.to_radians().cos())).to_degrees() * 1.000_001
    };
    Rect::new((rect.min().x - dlon, lat_lo), (rect.max().x + dlon, lat_hi))
}

/// Minimum geodesic distance between two lon/lat geometries, metres; 0 when they touch,
/// overlap or one holds the other. Empty geometries are infinitely far; a geometry with
/// a coordinate that is not a finite number gives NaN.
pub fn distance_m(a: &Geometry<f64>, b: &Geometry<f64>) -> f64 {
    match closest(a, b) {
        Some(p) => p.map_or(f64::INFINITY, |p| p.distance_m),
        None => f64::NAN,
    }
}

/// [`closest_points`], once every coordinate of both is known finite (`None` when one is
/// not: geometry algorithms assume it, some by assertion).
fn closest(a: &Geometry<f64>, b: &Geometry<f64>) -> Option<Option<ClosestPair>> {
    (finite(a) && finite(b)).then(|| closest_finite(a, b))
}

/// Whether every coordinate of `g` is a finite number (geometry algorithms assume it).
fn finite(g: &Geometry<f64>) -> bool {
    g.coords_iter().all(|c| c.x.is_finite() && c.y.is_finite())
}

/// The closest pair of points between two geometries and their geodesic distance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClosestPair {
    /// Point on the first geometry (lon/lat).
    pub on_a: Point<f64>,
    /// Point on the second geometry (lon/lat).
    pub on_b: Point<f64>,
    /// Geodesic distance between them, metres.
    pub distance_m: f64,
}

/// The closest pair of points of `a` and `b` (see the module docs for the method);
/// `None` when either is empty or has a coordinate that is not a finite number.
pub fn closest_points(a: &Geometry<f64>, b: &Geometry<f64>) -> Option<ClosestPair> {
    closest(a, b).flatten()
}

fn closest_finite(a: &Geometry<f64>, b: &Geometry<f64>) -> Option<ClosestPair> {
    if let (Geometry::Point(p), Geometry::Point(q)) = (a, b) {
        return Some(ClosestPair {
            on_a: *p,
            on_b: *q,
            distance_m: point_distance_m(*p, *q),
        });
    }
    let ra = a.bounding_rect()?;
    let origin = ra.center();
    let rb = b.bounding_rect()?;
    // Boxes apart: the geometries cannot meet (the cheap test first).
    if ra.intersects(&rb) && a.intersects(b) {
        let on = touching_point(a, b).unwrap_or(Point::from(origin));
        return Some(ClosestPair {
            on_a: on,
            on_b: on,
            distance_m: 0.0,
        });
    }
    let plane = LocalPlane::new(origin);
    let (_, ca, cb) = Paths::of(a, &plane).closest_pair(&Paths::of(b, &plane))?;
    let on_a = Point::from(plane.unproject(ca));
    let on_b = Point::from(plane.unproject(cb));
    Some(ClosestPair {
        on_a,
        on_b,
        distance_m: point_distance_m(on_a, on_b),
    })
}

/// A point the two intersecting geometries share, for reporting.
fn touching_point(a: &Geometry<f64>, b: &Geometry<f64>) -> Option<Point<f64>> {
    a.coords_iter()
        .map(Point::from)
        .find(|p| b.intersects(p))
        .or_else(|| b.coords_iter().map(Point::from).find(|p| a.intersects(p)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Polygon, line_string, point, polygon};

    // Reference values: GeographicLib 2.x (Python package `geographiclib`),
    // `Geodesic.WGS84.Inverse(lat1, lon1, lat2, lon2)['s12']`.
    #[test]
    fn point_distances_match_geographiclib() {
        let cases = [
            // (lon1, lat1, lon2, lat2, s12 metres)
            (121.17, 31.89, 121.18, 31.89, 946.0578057085759),
            (121.17, 31.89, 121.17, 31.90, 1108.8497359564233),
            (121.0, 32.0, 121.5, 31.5, 72_924.760_113_484_18),
        ];
        for (x1, y1, x2, y2, s12) in cases {
            let d = point_distance_m(point!(x: x1, y: y1), point!(x: x2, y: y2));
            assert!((d - s12).abs() < 1e-6, "{d} vs {s12}");
        }
    }

    // Reference: the minimum over every pair of edges of the geodesic distance between
    // them, each edge parametrised along its geodesic and minimised by nested
    // golden-section search, with GeographicLib 2.x (Python `geographiclib`). The script
    // is scripts/reference/polygon_distance.py; its output:
    //   poly-poly 331.269181764021
    //   line-poly 2660.2002103878285
    #[test]
    fn polygon_and_line_distances_match_geographiclib() {
        let a: Polygon<f64> = polygon![(x: 121.2000, y: 31.9000), (x: 121.2010, y: 31.9002), (x: 121.2008, y: 31.9012), (x: 121.1998, y: 31.9010)];
        let b: Polygon<f64> = polygon![(x: 121.2045, y: 31.9003), (x: 121.2060, y: 31.8995), (x: 121.2068, y: 31.9010), (x: 121.2052, y: 31.9018)];
        let d = distance_m(&Geometry::Polygon(a), &Geometry::Polygon(b));
        assert!((d - 331.269_181_764_021).abs() / 331.27 < 1e-4, "{d}");
        let pipe =
            line_string![(x: 121.10, y: 31.80), (x: 121.14, y: 31.83), (x: 121.18, y: 31.82)];
        let house: Polygon<f64> = polygon![(x: 121.1600, y: 31.8500), (x: 121.1602, y: 31.8500), (x: 121.1602, y: 31.8502), (x: 121.1600, y: 31.8502)];
        let d = distance_m(&Geometry::LineString(pipe), &Geometry::Polygon(house));
        assert!((d - 2_660.200_210_387_828_5).abs() / 2660.2 < 1e-3, "{d}");
    }

    #[test]
    fn intersecting_and_containing_are_zero() {
        let big: Polygon<f64> = polygon![(x: 121.0, y: 31.0), (x: 121.1, y: 31.0), (x: 121.1, y: 31.1), (x: 121.0, y: 31.1)];
        let inside = point!(x: 121.05, y: 31.05);
        assert_eq!(
            distance_m(&Geometry::Polygon(big.clone()), &Geometry::Point(inside)),
            0.0
        );
        let crossing = line_string![(x: 120.9, y: 31.05), (x: 121.2, y: 31.05)];
        assert_eq!(
            distance_m(&Geometry::LineString(crossing), &Geometry::Polygon(big)),
            0.0
        );
    }

    #[test]
    fn expanded_rect_holds_the_circle() {
        let r = Rect::new((121.0, 31.0), (121.0, 31.0));
        let e = expand_rect_m(r, 1000.0);
        // 1000 m east and north must be inside.
        let (m, n) = radii_of_curvature(31.0);
        let dlon = (1000.0 / (n * 31f64.to_radians().cos())).to_degrees();
        let dlat = (1000.0 / m).to_degrees();
        assert!(e.max().x >= 121.0 + dlon && e.min().x <= 121.0 - dlon);
        assert!(e.max().y >= 31.0 + dlat && e.min().y <= 31.0 - dlat);
        // …and not absurdly larger (within 2 %).
        assert!(e.max().x - 121.0 < dlon * 1.02);
    }

    #[test]
    fn an_area_is_the_same_whichever_way_its_ring_turns() {
        use geo::polygon;

        use super::area_m2;
        // 0.01° square at the equator: 1113.195 m × 1105.743 m ≈ 1,230,900 m² (by hand from
        // the ellipsoid's radii; the top edge is shorter by cos(0.01°), a factor 1 − 1.5e-8).
        let ccw = Geometry::Polygon(
            polygon![(x: 0.0, y: 0.0), (x: 0.01, y: 0.0), (x: 0.01, y: 0.01), (x: 0.0, y: 0.01)],
        );
        let cw = Geometry::Polygon(
            polygon![(x: 0.0, y: 0.0), (x: 0.0, y: 0.01), (x: 0.01, y: 0.01), (x: 0.01, y: 0.0)],
        );
        for g in [&ccw, &cw] {
            let a = area_m2(g);
            assert!((a - 1_230_900.0).abs() < 0.001 * 1_230_900.0, "{a}");
        }
        assert_eq!(area_m2(&Geometry::Point(Point::new(0.0, 0.0))), 0.0);
    }

    #[test]
    fn a_coordinate_not_a_number_gives_nan_not_a_panic() {
        use geo::polygon;

        use super::{area_m2, closest_points, distance_m};
        // geo's containment test asserts a closed ring, which NaN never equals.
        let nan = Geometry::Polygon(
            polygon![(x: f64::NAN, y: 31.8), (x: 121.1, y: 31.8), (x: 121.1, y: 31.9)],
        );
        let p = Geometry::Point(Point::new(121.1, 31.8));
        assert!(distance_m(&nan, &p).is_nan());
        assert!(distance_m(&p, &nan).is_nan());
        assert_eq!(closest_points(&nan, &p), None);
        assert!(area_m2(&nan).is_nan());
    }
}
