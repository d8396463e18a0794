//! R-tree over a layer's bounding boxes.
//!
//! The boxes a layer is built with go into a packed Hilbert R-tree (`geo-index`, the
//! flatbush layout): one buffer of boxes and indices, about 39 bytes an entry, where
//! rstar's nodes took about 72 (BENCHMARKS.md, "The layers' R-trees packed"). That tree
//! never changes and is shared by every copy of the index, so the copy a living map
//! ([`crate::live`]) keeps for its next generation costs no second tree. The changes
//! since the build are kept beside it: the packed entries removed (a bit each) and the
//! entries inserted (an rstar tree, which takes single inserts and removals). When the
//! inserted entries pass a quarter of the packed ones (and 4,096), everything
//! is packed again.
//!
//! The metric queries built on it (within a distance, nearest) are methods of
//! [`crate::layer::Layer`], which owns both the features and their index.

use std::sync::Arc;

use geo::{BoundingRect, Geometry, Rect};
use geo_index::rtree::sort::HilbertSort;
use geo_index::rtree::{Node, RTree as Packed, RTreeBuilder, RTreeIndex};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

type Entry = GeomWithData<Rectangle<[f64; 2]>, usize>;

/// A box as `[min_x, min_y, max_x, max_y]`.
pub(crate) type Bbox = [f64; 4];

/// The box given to a position without one (an empty geometry, or a position the
/// repacked tree has no entry for): inverted, so that no query meets it.
const NOWHERE: Bbox = [
    f64::INFINITY,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NEG_INFINITY,
];

/// Fewest inserted entries that make a repack worth it, whatever the packed tree's size.
const REPACK_MIN: usize = 4096;

/// R-tree of feature envelopes; the data of each entry is the feature's position.
#[derive(Debug, Clone, Default)]
pub struct SpatialIndex {
    /// The entries of the build (or of the last repack): item `i` is position `i`.
    packed: Option<Arc<Packed<f64>>>,
    /// Packed items that hold an entry: true at build for every non-empty box, cleared
    /// by a removal (a bit a position, shared until the first removal).
    live: Arc<Vec<u64>>,
    /// How many packed items still hold an entry.
    packed_len: usize,
    /// Entries inserted since the packed tree was built.
    added: RTree<Entry>,
    /// The union of every entry's box, kept exact through removals.
    bounds: Option<Bbox>,
}

impl SpatialIndex {
    /// Bulk-loads the envelopes of `geometries`, entry `i` for the `i`-th; an empty
    /// geometry gets no entry. The boxes go straight into the packed buffer.
    pub fn build<'a, I>(geometries: I) -> Self
    where
        I: IntoIterator<Item = &'a Geometry<f64>>,
        I::IntoIter: ExactSizeIterator,
    {
        let it = geometries.into_iter();
        Self::pack(it.len(), it.map(bbox_of))
    }

    /// Bulk-loads `boxes` (from [`bbox_of`]), entry `i` for the `i`-th; `None` gets no
    /// entry: for holders that keep a box beside something other than the geometry
    /// indexed.
    pub(crate) fn build_boxes<I>(boxes: I) -> Self
    where
        I: IntoIterator<Item = Option<Bbox>>,
        I::IntoIter: ExactSizeIterator,
    {
        let it = boxes.into_iter();
        Self::pack(it.len(), it)
    }

    /// The index of `n` positions whose boxes `boxes` gives in order (no entry for
    /// `None`, nor for a position it does not reach), packed.
    fn pack(n: usize, boxes: impl Iterator<Item = Option<Bbox>>) -> Self {
        let Ok(items) = u32::try_from(n) else {
            // More positions than a packed tree numbers: every entry in the other tree.
            let entries: Vec<Entry> = boxes
                .take(n)
                .enumerate()
                .filter_map(|(i, b)| Some(entry(i, &b?)))
                .collect();
            let bounds = entries
                .iter()
                .map(entry_box)
                .fold(None, |a, b| Some(union(a, &b)));
            return SpatialIndex {
                added: RTree::bulk_load(entries),
                bounds,
                ..SpatialIndex::default()
            };
        };
        if items == 0 {
            return SpatialIndex::default();
        }
        let mut live = vec![0u64; n.div_ceil(64)];
        let (mut packed_len, mut bounds) = (0, None);
        let mut builder = RTreeBuilder::<f64>::new(items);
        let mut boxes = boxes.fuse();
        for i in 0..n {
            let b = boxes.next().flatten();
            if let Some(b) = &b {
                live[i / 64] |= 1 << (i % 64);
                packed_len += 1;
                bounds = Some(union(bounds, b));
            }
            let [x0, y0, x1, y1] = b.unwrap_or(NOWHERE);
            builder.add(x0, y0, x1, y1);
        }
        SpatialIndex {
            packed: Some(Arc::new(builder.finish::<HilbertSort>())),
            live: Arc::new(live),
            packed_len,
            added: RTree::new(),
            bounds,
        }
    }

    /// Adds the envelope of the feature at `pos` (nothing for an empty geometry).
    pub fn insert(&mut self, pos: usize, g: &Geometry<f64>) {
        self.insert_box(pos, bbox_of(g));
    }

    /// Adds box `b` (from [`bbox_of`]) for `pos` (nothing for `None`).
    pub(crate) fn insert_box(&mut self, pos: usize, b: Option<Bbox>) {
        let Some(b) = b else {
            return;
        };
        self.added.insert(entry(pos, &b));
        self.bounds = Some(union(self.bounds, &b));
        if self.added.size() >= REPACK_MIN.max(self.packed_len / 4) {
            self.repack();
        }
    }

    /// Removes the entry of the feature at `pos` whose geometry was `g`; false when the
    /// index held no such entry.
    pub fn remove(&mut self, pos: usize, g: &Geometry<f64>) -> bool {
        self.remove_box(pos, bbox_of(g))
    }

    /// Removes the entry of `pos` whose box was `b` (from [`bbox_of`]); false when the
    /// index held no such entry.
    pub(crate) fn remove_box(&mut self, pos: usize, b: Option<Bbox>) -> bool {
        let Some(b) = b else {
            return false;
        };
        let found = self.added.remove(&entry(pos, &b)).is_some() || self.unpack(pos, &b);
        if found && self.bounds.is_some_and(|all| touches_edge(&all, &b)) {
            self.bounds = self.exact_bounds();
        }
        found
    }

    /// Clears the packed entry of `pos` when it is live and its box is `b`.
    fn unpack(&mut self, pos: usize, b: &Bbox) -> bool {
        if !self.is_live(pos) || !self.packed_holds(pos, b) {
            return false;
        }
        if let Some(w) = Arc::make_mut(&mut self.live).get_mut(pos / 64) {
            *w &= !(1 << (pos % 64));
        }
        self.packed_len -= 1;
        true
    }

    fn is_live(&self, pos: usize) -> bool {
        self.live
            .get(pos / 64)
            .is_some_and(|w| w & (1 << (pos % 64)) != 0)
    }

    /// Whether the packed tree's entry for `pos` has the box `b`: a descent through
    /// the nodes whose box holds `b`, as a search for it would go.
    fn packed_holds(&self, pos: usize, b: &Bbox) -> bool {
        let Some(t) = self.packed.as_deref() else {
            return false;
        };
        holds_entry(&t.root(), pos, b)
    }

    /// Every packed leaf as (item, box), dead ones included.
    fn packed_boxes(&self) -> impl Iterator<Item = (u32, Bbox)> + '_ {
        self.packed.iter().flat_map(|t| {
            let boxes = t.boxes();
            let indices = t.indices();
            (0..t.num_items() as usize).filter_map(move |slot| {
                let b = boxes.get(slot * 4..slot * 4 + 4)?;
                let item = u32::try_from(indices.get(slot)).ok()?;
                Some((item, [b[0], b[1], b[2], b[3]]))
            })
        })
    }

    /// The union of every live entry's box, computed from them all.
    fn exact_bounds(&self) -> Option<Bbox> {
        let packed = self
            .packed_boxes()
            .filter(|&(i, _)| self.is_live(i as usize))
            .map(|(_, b)| b);
        let added = self.added.iter().map(entry_box);
        packed
            .chain(added)
            .fold(None, |acc, b| Some(union(acc, &b)))
    }

    /// Packs every entry into a new tree, leaving nothing inserted beside it.
    fn repack(&mut self) {
        let mut boxes: Vec<Option<Bbox>> = Vec::new();
        let mut put = |pos: usize, b: Bbox| {
            if boxes.len() <= pos {
                boxes.resize(pos + 1, None);
            }
            boxes[pos] = Some(b);
        };
        for (i, b) in self.packed_boxes() {
            if self.is_live(i as usize) {
                put(i as usize, b);
            }
        }
        for e in self.added.iter() {
            put(e.data, entry_box(e));
        }
        *self = Self::pack(boxes.len(), boxes.into_iter());
    }

    /// Positions of the features whose envelope intersects `rect`.
    pub fn envelopes_in(&self, rect: Rect<f64>) -> impl Iterator<Item = usize> + '_ {
        let (min, max) = (rect.min(), rect.max());
        let packed = self
            .packed
            .as_deref()
            .map(|t| t.search(min.x, min.y, max.x, max.y))
            .unwrap_or_default();
        let aabb = AABB::from_corners([min.x, min.y], [max.x, max.y]);
        packed
            .into_iter()
            .map(|i| i as usize)
            .filter(|&i| self.is_live(i))
            .chain(
                self.added
                    .locate_in_envelope_intersecting(&aabb)
                    .map(|e| e.data),
            )
    }

    /// Number of indexed envelopes.
    pub fn len(&self) -> usize {
        self.packed_len + self.added.size()
    }

    /// Whether the index is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bounds of everything indexed.
    pub fn bounds(&self) -> Option<Rect<f64>> {
        self.bounds
            .map(|[x0, y0, x1, y1]| Rect::new((x0, y0), (x1, y1)))
    }

    /// Heap bytes held: the packed tree's buffer (shared by every copy), the removal
    /// bits and the inserted entries (estimated from their count); for measuring.
    pub fn heap_bytes(&self) -> usize {
        let packed = self.packed.as_deref().map_or(0, |t| t.as_ref().len());
        packed + self.live.len() * 8 + self.added.size() * std::mem::size_of::<Entry>() * 2
    }
}

/// The box of a geometry; `None` when it is empty or not finite.
pub(crate) fn bbox_of(g: &Geometry<f64>) -> Option<Bbox> {
    let r = g.bounding_rect()?;
    let b = [r.min().x, r.min().y, r.max().x, r.max().y];
    b.iter().all(|v| v.is_finite()).then_some(b)
}

/// Whether the subtree of `node` holds the entry (`pos`, `b`).
fn holds_entry(node: &Node<'_, f64, Packed<f64>>, pos: usize, b: &Bbox) -> bool {
    let here = [node.min_x(), node.min_y(), node.max_x(), node.max_y()];
    if !(here[0] <= b[0] && here[1] <= b[1] && here[2] >= b[2] && here[3] >= b[3]) {
        return false;
    }
    match node.children() {
        Some(mut children) => children.any(|c| holds_entry(&c, pos, b)),
        None => here == *b && node.insertion_index().map(|i| i as usize) == Some(pos),
    }
}

fn entry(pos: usize, b: &Bbox) -> Entry {
    GeomWithData::new(Rectangle::from_corners([b[0], b[1]], [b[2], b[3]]), pos)
}

fn entry_box(e: &Entry) -> Bbox {
    let (lo, hi) = (e.geom().lower(), e.geom().upper());
    [lo[0], lo[1], hi[0], hi[1]]
}

fn union(acc: Option<Bbox>, b: &Bbox) -> Bbox {
    match acc {
        None => *b,
        Some(a) => [
            a[0].min(b[0]),
            a[1].min(b[1]),
            a[2].max(b[2]),
            a[3].max(b[3]),
        ],
    }
}

/// Whether `b` reaches an edge of `all` (and so its removal may shrink it).
fn touches_edge(all: &Bbox, b: &Bbox) -> bool {
    b[0] <= all[0] || b[1] <= all[1] || b[2] >= all[2] || b[3] >= all[3]
}

/// A feature found by a metric query.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    /// Position of the feature in its layer.
    pub pos: usize,
    /// Geodesic distance, metres.
    pub distance_m: f64,
}

#[cfg(test)]
mod tests;
