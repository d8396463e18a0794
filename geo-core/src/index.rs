//! R-tree over a layer's bounding boxes.
//!
//! The tree holds lon/lat envelopes, bulk-loaded when a layer is built; a living map
//! ([`crate::live`]) then inserts and removes single entries as features change.
//! The metric queries built on it (within a distance, nearest) are methods of
//! [`crate::layer::Layer`], which owns both the features and their index.

use geo::{BoundingRect, Geometry, Rect};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

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
            .filter_map(|(i, g)| entry(i, g))
            .collect();
        SpatialIndex {
            tree: RTree::bulk_load(entries),
        }
    }

    /// Adds the envelope of the feature at `pos` (nothing for an empty geometry).
    pub fn insert(&mut self, pos: usize, g: &Geometry<f64>) {
        if let Some(e) = entry(pos, g) {
            self.tree.insert(e);
        }
    }

    /// Removes the entry of the feature at `pos` whose geometry was `g`; false when the
    /// index held no such entry.
    pub fn remove(&mut self, pos: usize, g: &Geometry<f64>) -> bool {
        match entry(pos, g) {
            Some(e) => self.tree.remove(&e).is_some(),
            None => false,
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

fn entry(pos: usize, g: &Geometry<f64>) -> Option<Entry> {
    g.bounding_rect().map(|r| {
        GeomWithData::new(
            Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
            pos,
        )
    })
}

/// A feature found by a metric query.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    /// Position of the feature in its layer.
    pub pos: usize,
    /// Geodesic distance, metres.
    pub distance_m: f64,
}
