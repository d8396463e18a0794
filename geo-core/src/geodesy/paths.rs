//! A geometry's outline in a local plane, as flat paths of vertices: the closest pair of
//! two outlines without building projected copies of the geometries and without `hypot`
//! (squared distances decide; one square root at the end).
//!
//! The distance and containment questions of the analyses ask this for millions of
//! house–source pairs; projecting each candidate into a new `Geometry` allocated a vector
//! per ring and `geo`'s closest point called `hypot` per segment, which together were about
//! a fifth of a city's analysis time (BENCHMARKS.md, "Ten million houses").

use geo::{Coord, Geometry, LineString};

use super::LocalPlane;

/// Vertices of a geometry's outline in a local plane: each path's consecutive vertices
/// are a segment; a path of one vertex is a point. Polygons contribute their rings.
#[derive(Debug, Default, Clone)]
pub(crate) struct Paths {
    pts: Vec<Coord<f64>>,
    /// End (exclusive) of each path in `pts`.
    ends: Vec<usize>,
}

impl Paths {
    /// The outline of `g` projected on `plane`.
    pub(crate) fn of(g: &Geometry<f64>, plane: &LocalPlane) -> Paths {
        let mut p = Paths::default();
        p.push_geometry(g, plane);
        p
    }

    fn push_path(&mut self, coords: impl Iterator<Item = Coord<f64>>, plane: &LocalPlane) {
        let start = self.pts.len();
        self.pts.extend(coords.map(|c| plane.project(c)));
        if self.pts.len() > start {
            self.ends.push(self.pts.len());
        }
    }

    fn push_ring(&mut self, ring: &LineString<f64>, plane: &LocalPlane) {
        self.push_path(ring.0.iter().copied(), plane);
    }

    fn push_polygon(&mut self, p: &geo::Polygon<f64>, plane: &LocalPlane) {
        self.push_ring(p.exterior(), plane);
        for r in p.interiors() {
            self.push_ring(r, plane);
        }
    }

    fn push_geometry(&mut self, g: &Geometry<f64>, plane: &LocalPlane) {
        match g {
            Geometry::Point(p) => self.push_path(std::iter::once(p.0), plane),
            Geometry::Line(l) => self.push_path([l.start, l.end].into_iter(), plane),
            Geometry::LineString(ls) => self.push_ring(ls, plane),
            Geometry::Polygon(p) => self.push_polygon(p, plane),
            Geometry::MultiPoint(mp) => {
                for p in &mp.0 {
                    self.push_path(std::iter::once(p.0), plane);
                }
            }
            Geometry::MultiLineString(ml) => {
                for ls in &ml.0 {
                    self.push_ring(ls, plane);
                }
            }
            Geometry::MultiPolygon(mp) => {
                for p in &mp.0 {
                    self.push_polygon(p, plane);
                }
            }
            Geometry::Rect(r) => self.push_polygon(&r.to_polygon(), plane),
            Geometry::Triangle(t) => self.push_polygon(&t.to_polygon(), plane),
            Geometry::GeometryCollection(gc) => {
                for g in &gc.0 {
                    self.push_geometry(g, plane);
                }
            }
        }
    }

    fn paths(&self) -> impl Iterator<Item = &[Coord<f64>]> {
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let p = &self.pts[start..end];
            start = end;
            p
        })
    }

    /// The point of the outline closest to `v`, and its squared distance.
    fn closest_to(&self, v: Coord<f64>) -> Option<(f64, Coord<f64>)> {
        let mut best: Option<(f64, Coord<f64>)> = None;
        let mut consider = |c: Coord<f64>| {
            let d = dist2(v, c);
            if best.is_none_or(|(bd, _)| d < bd) {
                best = Some((d, c));
            }
        };
        for path in self.paths() {
            if let [only] = path {
                consider(*only);
            }
            for seg in path.windows(2) {
                consider(closest_on_segment(seg[0], seg[1], v));
            }
        }
        best
    }

    /// The closest pair of points of two outlines (on `self`, on `other`) and their
    /// squared distance; `None` when either is empty.
    ///
    /// Between two sets of segments that do not cross, the minimum distance is reached at
    /// a vertex of one of them, so checking every vertex of each against the other is
    /// exact. When they cross, the pair found is some pair of their points: the true
    /// distance (zero) is then smaller, which the callers settle with an intersection test.
    pub(crate) fn closest_pair(&self, other: &Paths) -> Option<(f64, Coord<f64>, Coord<f64>)> {
        let mut best: Option<(f64, Coord<f64>, Coord<f64>)> = None;
        let mut consider = |d2: f64, pa: Coord<f64>, pb: Coord<f64>| {
            if best.is_none_or(|(bd, _, _)| d2 < bd) {
                best = Some((d2, pa, pb));
            }
        };
        for &v in &self.pts {
            if let Some((d2, c)) = other.closest_to(v) {
                consider(d2, v, c);
            }
        }
        for &v in &other.pts {
            if let Some((d2, c)) = self.closest_to(v) {
                consider(d2, c, v);
            }
        }
        best
    }
}

/// The point of segment a–b closest to p.
pub(crate) fn closest_on_segment(a: Coord<f64>, b: Coord<f64>, p: Coord<f64>) -> Coord<f64> {
    let d = b - a;
    let len2 = d.x * d.x + d.y * d.y;
    if len2 == 0.0 {
        return a;
    }
    let t = ((p.x - a.x) * d.x + (p.y - a.y) * d.y) / len2;
    if t <= 0.0 {
        a
    } else if t >= 1.0 {
        b
    } else {
        Coord {
            x: a.x + d.x * t,
            y: a.y + d.y * t,
        }
    }
}

pub(crate) fn dist2(a: Coord<f64>, b: Coord<f64>) -> f64 {
    let dx = a.x - b.x;
    let dy = a.y - b.y;
    dx * dx + dy * dy
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Distance, Euclidean, coord, polygon};

    // Worked by hand: a unit square and a point 3 east, 4 north of its top-right corner
    // are 5 apart; a segment from (3,0) to (3,5) is 2 from the square's right side.
    #[test]
    fn closest_pairs_worked_by_hand() {
        let plane = LocalPlane::new(coord! { x: 0.0, y: 0.0 });
        let (kx, ky) = plane.scales();
        let sq = Geometry::Polygon(polygon![
            (x: 0.0, y: 0.0), (x: 1.0 / kx, y: 0.0), (x: 1.0 / kx, y: 1.0 / ky),
            (x: 0.0, y: 1.0 / ky), (x: 0.0, y: 0.0)
        ]);
        let pt = Geometry::Point(geo::Point::new(4.0 / kx, 5.0 / ky));
        let a = Paths::of(&sq, &plane);
        let (d2, on_a, on_b) = a.closest_pair(&Paths::of(&pt, &plane)).expect("pair");
        assert!((d2 - 25.0).abs() < 1e-9, "{d2}");
        assert!((on_a.x - 1.0).abs() < 1e-9 && (on_a.y - 1.0).abs() < 1e-9);
        assert!((on_b.x - 4.0).abs() < 1e-9 && (on_b.y - 5.0).abs() < 1e-9);
        let seg = Geometry::LineString(LineString::from(vec![
            (3.0 / kx, 0.0),
            (3.0 / kx, 5.0 / ky),
        ]));
        let (d2, _, on_b) = a.closest_pair(&Paths::of(&seg, &plane)).expect("pair");
        assert!((d2 - 4.0).abs() < 1e-9, "{d2}");
        assert!((on_b.x - 3.0).abs() < 1e-9);
        assert!(
            Paths::of(&Geometry::MultiPoint(geo::MultiPoint(vec![])), &plane)
                .closest_pair(&a)
                .is_none()
        );
    }

    // The same distances as geo's Euclidean distance for outlines that do not cross.
    #[test]
    fn agrees_with_geo_on_disjoint_shapes() {
        let plane = LocalPlane::new(coord! { x: 121.0, y: 32.0 });
        let house = Geometry::Polygon(polygon![
            (x: 121.001, y: 32.001), (x: 121.0011, y: 32.001), (x: 121.0011, y: 32.0011),
            (x: 121.001, y: 32.0011), (x: 121.001, y: 32.001)
        ]);
        let pipe = Geometry::LineString(LineString::from(vec![
            (120.999, 32.0),
            (121.0005, 32.0012),
            (121.003, 32.0013),
        ]));
        let a = Paths::of(&house, &plane);
        let b = Paths::of(&pipe, &plane);
        let (d2, _, _) = a.closest_pair(&b).expect("pair");
        let want = Euclidean.distance(
            &plane.project_geometry(&house),
            &plane.project_geometry(&pipe),
        );
        assert!((d2.sqrt() - want).abs() < 1e-9, "{} vs {want}", d2.sqrt());
    }
}
