//! R-tree over a layer's bounding boxes, and metric queries on layers.
//!
//! The tree holds lon/lat envelopes (bulk-loaded once; layers never change after load).
//! Metric queries first take the envelopes inside a conservatively grown lon/lat box
//! ([`crate::geodesy::expand_rect_m`]) and then keep the features whose exact geodesic
//! distance ([`crate::geodesy::distance_m`]) is within the limit, so a query returns
//! exactly what a brute-force scan with the same distance would.

use geo::{BoundingRect, Geometry, Intersects, Rect};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

use crate::dataset::Layer;
use geo::{Distance, Euclidean};

use crate::geodesy::{LocalPlane, distance_m, expand_rect_m};

type Entry = GeomWithData<Rectangle<[f64; 2]>, usize>;

/// R-tree of feature envelopes; the data of each entry is the feature's position.
#[derive(Debug, Clone, Default)]
pub struct SpatialIndex {
    tree: RTree<Entry>,
}

impl SpatialIndex {
    /// Bulk-loads the envelopes of `geometries`; an empty geometry gets no entry.
    pub fn build<'a>(geometries: impl Iterator<Item = &'a Geometry<f64>>) -> Self {
        let entries: Vec<Entry> = geometries
            .enumerate()
            .filter_map(|(i, g)| {
                g.bounding_rect().map(|r| {
                    GeomWithData::new(
                        Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                        i,
                    )
                })
            })
            .collect();
        SpatialIndex {
            tree: RTree::bulk_load(entries),
        }
    }

    /// Positions of the features whose envelope intersects `rect`.
    pub fn envelopes_in(&self, rect: Rect<f64>) -> impl Iterator<Item = usize> + '_ {
        let aabb = AABB::from_corners([rect.min().x, rect.min().y], [rect.max().x, rect.max().y]);
        self.tree
            .locate_in_envelope_intersecting(&aabb)
            .map(|e| e.data)
    }

    /// Number of indexed envelopes.
    pub fn len(&self) -> usize {
        self.tree.size()
    }

    /// Whether the index is empty.
    pub fn is_empty(&self) -> bool {
        self.tree.size() == 0
    }

    /// Bounds of everything indexed.
    pub fn bounds(&self) -> Option<Rect<f64>> {
        if self.tree.size() == 0 {
            return None;
        }
        let e = self.tree.root().envelope();
        Some(Rect::new(
            (e.lower()[0], e.lower()[1]),
            (e.upper()[0], e.upper()[1]),
        ))
    }
}

/// A feature found by a metric query.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    /// Position of the feature in its layer.
    pub pos: usize,
    /// Geodesic distance, metres.
    pub distance_m: f64,
}

impl<P> Layer<P> {
    /// Positions of the features whose geometry intersects the lon/lat box, ascending.
    pub fn query_bbox(&self, rect: Rect<f64>) -> Vec<usize> {
        let poly = rect.to_polygon();
        let mut out: Vec<usize> = self
            .index()
            .envelopes_in(rect)
            .filter(|&i| self.features()[i].geometry.intersects(&poly))
            .collect();
        out.sort_unstable();
        out
    }

    /// Features within `metres` (geodesic, minimum distance) of `geom`, nearest first,
    /// ties by position.
    pub fn within_distance(&self, geom: &Geometry<f64>, metres: f64) -> Vec<Hit> {
        let Some(r) = geom.bounding_rect() else {
            return Vec::new();
        };
        let grown = expand_rect_m(r, metres);
        let mut hits: Vec<Hit> = self
            .index()
            .envelopes_in(grown)
            .filter_map(|pos| {
                let d = distance_m(geom, &self.features()[pos].geometry);
                (d <= metres).then_some(Hit { pos, distance_m: d })
            })
            .collect();
        sort_hits(&mut hits);
        hits
    }

    /// Positions of the features within `metres` of `geom`, ascending — the same set as
    /// [`Layer::within_distance`] but cheaper: each candidate is measured in a local plane
    /// and only those whose planar distance lies within the plane's error bound of the
    /// limit are measured again geodesically.
    pub fn positions_within(&self, geom: &Geometry<f64>, metres: f64) -> Vec<usize> {
        let Some(r) = geom.bounding_rect() else {
            return Vec::new();
        };
        let grown = expand_rect_m(r, metres);
        let plane = LocalPlane::new(r.center());
        let projected = plane.project_geometry(geom);
        // Relative scale error of the plane over the searched box (see LocalPlane docs).
        let tol = plane.relative_error_bound(grown) * metres + 1e-3;
        let mut out: Vec<usize> = self
            .index()
            .envelopes_in(grown)
            .filter(|&pos| {
                let g = &self.features()[pos].geometry;
                let d = Euclidean.distance(&projected, &plane.project_geometry(g));
                if d <= metres - tol {
                    true
                } else if d > metres + tol {
                    false
                } else {
                    distance_m(geom, g) <= metres
                }
            })
            .collect();
        out.sort_unstable();
        out
    }

    /// The `k` features nearest to `geom` (geodesic minimum distance), nearest first,
    /// ties by position.
    ///
    /// Searches a growing radius until `k` features lie within it; everything nearer
    /// than the k-th is then inside the radius, so the answer is exact.
    pub fn nearest(&self, geom: &Geometry<f64>, k: usize) -> Vec<Hit> {
        if k == 0 || self.is_empty() || geom.bounding_rect().is_none() {
            return Vec::new();
        }
        let mut radius = 100.0;
        loop {
            let hits = self.within_distance(geom, radius);
            // 2.1e7 m is more than half the Earth's circumference: everything is in.
            if hits.len() >= k || radius > 2.1e7 {
                let mut hits = hits;
                hits.truncate(k);
                return hits;
            }
            radius *= 4.0;
        }
    }
}

fn sort_hits(hits: &mut [Hit]) {
    hits.sort_by(|a, b| {
        a.distance_m
            .total_cmp(&b.distance_m)
            .then(a.pos.cmp(&b.pos))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Feature, LayerKind, SourceRef};
    use geo::{Coord, LineString, Point, Polygon};
    use proptest::prelude::*;

    fn layer(geoms: Vec<Geometry<f64>>) -> Layer<()> {
        Layer::new(
            LayerKind::Houses,
            geoms
                .into_iter()
                .enumerate()
                .map(|(i, geometry)| Feature {
                    id: format!("f{i}"),
                    geometry,
                    props: (),
                    source: SourceRef::default(),
                })
                .collect(),
        )
    }

    fn brute_within(l: &Layer<()>, g: &Geometry<f64>, m: f64) -> Vec<Hit> {
        let mut v: Vec<Hit> = l
            .features()
            .iter()
            .enumerate()
            .filter_map(|(pos, f)| {
                let d = distance_m(g, &f.geometry);
                (d <= m).then_some(Hit { pos, distance_m: d })
            })
            .collect();
        sort_hits(&mut v);
        v
    }

    // Small geometries scattered over a ~20 km square near Haimen.
    fn arb_geom() -> impl Strategy<Value = Geometry<f64>> {
        let base = (121.0f64..121.2, 31.8f64..31.98);
        prop_oneof![
            base.clone()
                .prop_map(|(x, y)| Geometry::Point(Point::new(x, y))),
            (base.clone(), 0.0001f64..0.003, 0.0001f64..0.003).prop_map(|((x, y), w, h)| {
                Geometry::Polygon(Polygon::new(
                    LineString::from(vec![(x, y), (x + w, y), (x + w, y + h), (x, y + h), (x, y)]),
                    vec![],
                ))
            }),
            (base, -0.01f64..0.01, -0.01f64..0.01).prop_map(|((x, y), dx, dy)| {
                Geometry::LineString(LineString::from(vec![
                    Coord { x, y },
                    Coord {
                        x: x + dx,
                        y: y + dy,
                    },
                    Coord {
                        x: x + dx,
                        y: y - dy,
                    },
                ]))
            }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn within_distance_equals_brute_force(
            geoms in prop::collection::vec(arb_geom(), 0..120),
            q in arb_geom(),
            m in 0.0f64..5000.0,
        ) {
            let l = layer(geoms);
            prop_assert_eq!(l.within_distance(&q, m), brute_within(&l, &q, m));
        }

        #[test]
        fn positions_within_equals_brute_force(
            geoms in prop::collection::vec(arb_geom(), 0..120),
            q in arb_geom(),
            m in 0.0f64..5000.0,
        ) {
            let l = layer(geoms);
            let brute: Vec<usize> = brute_within(&l, &q, m).into_iter().map(|h| h.pos).collect();
            let mut brute = brute;
            brute.sort_unstable();
            prop_assert_eq!(l.positions_within(&q, m), brute);
        }

        #[test]
        fn nearest_equals_brute_force(
            geoms in prop::collection::vec(arb_geom(), 1..120),
            q in arb_geom(),
            k in 1usize..10,
        ) {
            let l = layer(geoms);
            let mut all = brute_within(&l, &q, f64::INFINITY);
            all.truncate(k);
            prop_assert_eq!(l.nearest(&q, k), all);
        }

        #[test]
        fn bbox_equals_brute_force(
            geoms in prop::collection::vec(arb_geom(), 0..120),
            (x, y) in (121.0f64..121.2, 31.8f64..31.98),
            (w, h) in (0.0f64..0.1, 0.0f64..0.1),
        ) {
            let l = layer(geoms);
            let rect = Rect::new((x, y), (x + w, y + h));
            let poly = rect.to_polygon();
            let brute: Vec<usize> = l.features().iter().enumerate()
                .filter(|(_, f)| f.geometry.intersects(&poly)).map(|(i, _)| i).collect();
            prop_assert_eq!(l.query_bbox(rect), brute);
        }
    }
}
