//! One layer: its features and the R-tree over them, and the metric queries on it.
//!
//! Metric queries first take the envelopes inside a conservatively grown lon/lat box
//! ([`crate::geodesy::expand_rect_m`]) and then keep the features whose exact geodesic
//! distance ([`crate::geodesy::distance_m`]) is within the limit, so a query returns
//! exactly what a brute-force scan with the same distance would.

use std::collections::HashMap;
use std::sync::Arc;

use geo::{BoundingRect, Geometry, Intersects, Rect};

use crate::geodesy::{LocalPlane, Paths, distance_m, expand_rect_m};
use crate::heap::{keep_room, with_headroom};
use crate::index::{Hit, SpatialIndex};
use crate::model::{Feature, LayerKind};

/// One layer: its features and an R-tree over their bounding boxes.
///
/// The index is built once, by bulk loading, when the layer is constructed. Only a living
/// map ([`crate::live`]) changes a layer afterwards, one feature at a time, on its own copy
/// while readers use another; everything else shares layers immutably across threads.
///
/// Every feature also has a *uid*: a number that stays with it while it is in the layer
/// and is never given to another (its position at construction, then increasing). Tiles
/// carry it as the feature id, so that a popup asks for the feature it was drawn from
/// even after other features were added or deleted.
#[derive(Debug)]
pub struct Layer<P> {
    kind: LayerKind,
    /// Shared by the copies of the layer until one of them changes it (then that one
    /// copies it): a copy of a dataset costs nothing until it changes, and then only the
    /// layers it changes.
    inner: Arc<Inner<P>>,
}

impl<P> Clone for Layer<P> {
    fn clone(&self) -> Self {
        Layer {
            kind: self.kind,
            inner: Arc::clone(&self.inner),
        }
    }
}

#[derive(Debug)]
struct Inner<P> {
    features: Vec<Feature<P>>,
    index: SpatialIndex,
    /// Uid of the feature at each position.
    uids: Vec<u64>,
    /// Position of each feature whose uid is not its position.
    displaced: HashMap<u64, usize>,
    next_uid: u64,
    /// A 32-bit hash of the id of the feature at each position ([`id_key`]): a search by
    /// id reads these 4 bytes a feature in a row instead of every feature's id in its
    /// own allocation (a house's hidden hazard edited at a million houses: milliseconds).
    id_keys: Vec<u32>,
}

/// A copy keeps room for the features a living map's batches add
/// ([`crate::heap::HEADROOM`]): a derived one would hold them at exactly their number, and
/// the first feature added would copy all of them (a million houses: hundreds of
/// milliseconds).
impl<P: Clone> Clone for Inner<P> {
    fn clone(&self) -> Self {
        Inner {
            features: with_headroom(&self.features),
            index: self.index.clone(),
            uids: with_headroom(&self.uids),
            displaced: self.displaced.clone(),
            next_uid: self.next_uid,
            id_keys: with_headroom(&self.id_keys),
        }
    }
}

/// The 32-bit hash of an id kept per position (foldhash, fixed seed: the same in every
/// process; equal ids, equal keys).
fn id_key(id: &str) -> u32 {
    use std::hash::BuildHasher;
    foldhash::fast::FixedState::with_seed(0x5249_534b).hash_one(id) as u32
}

impl<P: crate::io::LayerProps> Layer<P> {
    /// Builds the layer of these features' kind ([`crate::io::LayerProps::KIND`]) and
    /// bulk-loads its R-tree: [`Layer::new`] without a kind to get wrong.
    pub fn of(features: Vec<Feature<P>>) -> Self {
        Layer::new(P::KIND, features)
    }
}

impl<P> Layer<P> {
    /// Builds a layer and bulk-loads its R-tree. `kind` must be the features' own
    /// ([`Layer::of`] takes it from their type; [`crate::dataset::Dataset::check`] finds
    /// a layer built as another).
    pub fn new(kind: LayerKind, features: Vec<Feature<P>>) -> Self {
        let index = SpatialIndex::build(features.iter().map(|f| &f.geometry));
        Layer::with_index(kind, features, index)
    }

    /// A layer of features whose R-tree was built from them, in their order (the loader
    /// builds the largest one while other steps read the features).
    pub(crate) fn with_index(
        kind: LayerKind,
        features: Vec<Feature<P>>,
        index: SpatialIndex,
    ) -> Self {
        let n = features.len() as u64;
        // With the room a living map keeps for features added later.
        let room = crate::heap::with_room(features.len());
        let mut id_keys = Vec::with_capacity(room);
        id_keys.extend(features.iter().map(|f| id_key(&f.id)));
        let mut uids = Vec::with_capacity(room);
        uids.extend(0..n);
        Layer {
            kind,
            inner: Arc::new(Inner {
                features,
                index,
                uids,
                displaced: HashMap::new(),
                next_uid: n,
                id_keys,
            }),
        }
    }

    /// The uid of the feature at a position.
    pub fn uid(&self, pos: usize) -> Option<u64> {
        self.inner.uids.get(pos).copied()
    }

    /// The position of the feature with this uid, if it is still in the layer.
    pub fn position_of_uid(&self, uid: u64) -> Option<usize> {
        if let Some(p) = self.inner.displaced.get(&uid) {
            return Some(*p);
        }
        let p = usize::try_from(uid).ok()?;
        (self.inner.uids.get(p) == Some(&uid)).then_some(p)
    }

    /// An empty layer.
    pub fn empty(kind: LayerKind) -> Self {
        Layer::new(kind, Vec::new())
    }

    /// Which layer this is.
    pub fn kind(&self) -> LayerKind {
        self.kind
    }

    /// The features, in load order (positions are the ids the index returns).
    pub fn features(&self) -> &[Feature<P>] {
        &self.inner.features
    }

    /// Number of features.
    pub fn len(&self) -> usize {
        self.inner.features.len()
    }

    /// Whether the layer has no feature.
    pub fn is_empty(&self) -> bool {
        self.inner.features.is_empty()
    }

    /// The feature at a position.
    pub fn get(&self, i: usize) -> Option<&Feature<P>> {
        self.inner.features.get(i)
    }

    /// The R-tree.
    pub fn index(&self) -> &SpatialIndex {
        &self.inner.index
    }

    /// The feature with this id, by linear search (ids are for people; positions for
    /// code) over the ids' hashes, each match then checked against the id itself.
    pub fn find_id(&self, id: &str) -> Option<(usize, &Feature<P>)> {
        let key = id_key(id);
        let l = &self.inner;
        l.id_keys
            .iter()
            .enumerate()
            .filter(|(_, k)| **k == key)
            .filter_map(|(i, _)| Some((i, l.features.get(i)?)))
            .find(|(_, f)| f.id == id)
    }

    /// Bounding box of the layer in lon/lat.
    pub fn bounds(&self) -> Option<Rect<f64>> {
        self.inner.index.bounds()
    }
}

/// What every layer has whatever its properties, by position: for callers that name a
/// layer by its kind (`Dataset::id_at`, `uid`, `source_at`).
pub trait AnyLayer {
    /// The uid of the feature at `pos` ([`Layer::uid`]).
    fn uid_at(&self, pos: usize) -> Option<u64>;
    /// The id of the feature at `pos`.
    fn id_at(&self, pos: usize) -> Option<&str>;
    /// Where the feature at `pos` was read from.
    fn source_at(&self, pos: usize) -> Option<crate::model::SourceRef>;
    /// The geometry of the feature at `pos`.
    fn geometry_at(&self, pos: usize) -> Option<&Geometry<f64>>;
    /// The position of the feature with this id ([`Layer::find_id`]: a linear search).
    fn position_of(&self, id: &str) -> Option<usize>;
}

impl<P> AnyLayer for Layer<P> {
    fn uid_at(&self, pos: usize) -> Option<u64> {
        self.uid(pos)
    }
    fn id_at(&self, pos: usize) -> Option<&str> {
        self.get(pos).map(|f| f.id.as_str())
    }
    fn source_at(&self, pos: usize) -> Option<crate::model::SourceRef> {
        self.get(pos).map(|f| f.source)
    }
    fn geometry_at(&self, pos: usize) -> Option<&Geometry<f64>> {
        self.get(pos).map(|f| &f.geometry)
    }
    fn position_of(&self, id: &str) -> Option<usize> {
        self.find_id(id).map(|(p, _)| p)
    }
}

impl<P: Clone> Layer<P> {
    /// Makes this copy's features and R-tree its own (copied if another copy shares
    /// them), so that its first change costs no more than the next.
    pub fn unshare(&mut self) {
        Arc::make_mut(&mut self.inner);
    }

    /// Gives the per-feature lists room for more features ([`crate::heap::keep_room`]),
    /// unless another copy shares them (its own copy, when it makes one, gets room).
    pub(crate) fn keep_room(&mut self) {
        if let Some(l) = Arc::get_mut(&mut self.inner) {
            keep_room(&mut l.features);
            keep_room(&mut l.uids);
            keep_room(&mut l.id_keys);
        }
    }

    /// Appends a feature and indexes it; returns its position.
    pub fn push(&mut self, f: Feature<P>) -> usize {
        let l = Arc::make_mut(&mut self.inner);
        let pos = l.features.len();
        l.index.insert(pos, &f.geometry);
        l.id_keys.push(id_key(&f.id));
        l.features.push(f);
        let uid = l.next_uid;
        l.next_uid += 1;
        l.uids.push(uid);
        if pos as u64 != uid {
            l.displaced.insert(uid, pos);
        }
        pos
    }

    /// Replaces the feature at `pos` (re-indexing it) and returns the old one; `None`
    /// when there is no such position.
    pub fn replace(&mut self, pos: usize, f: Feature<P>) -> Option<Feature<P>> {
        if pos >= self.len() {
            return None;
        }
        let l = Arc::make_mut(&mut self.inner);
        let slot = l.features.get_mut(pos)?;
        let key = id_key(&f.id);
        let old = std::mem::replace(slot, f);
        if let Some(k) = l.id_keys.get_mut(pos) {
            *k = key;
        }
        l.index.remove(pos, &old.geometry);
        l.index.insert(pos, &l.features[pos].geometry);
        Some(old)
    }

    /// Removes the feature at `pos` by moving the last feature into its place (the only
    /// position that changes, which the caller renumbers in its own per-position data).
    /// Returns the removed feature, or `None` when there is no such position.
    pub fn swap_remove(&mut self, pos: usize) -> Option<Feature<P>> {
        if pos >= self.len() {
            return None;
        }
        let l = Arc::make_mut(&mut self.inner);
        let last = l.features.len().checked_sub(1)?;
        if pos > last {
            return None;
        }
        l.index.remove(pos, &l.features[pos].geometry);
        if pos != last {
            l.index.remove(last, &l.features[last].geometry);
            l.index.insert(pos, &l.features[last].geometry);
        }
        l.id_keys.swap_remove(pos);
        let gone = l.uids.swap_remove(pos);
        l.displaced.remove(&gone);
        if let Some(&moved) = l.uids.get(pos) {
            l.displaced.remove(&moved);
            if moved != pos as u64 {
                l.displaced.insert(moved, pos);
            }
        }
        Some(l.features.swap_remove(pos))
    }

    /// Consumes the layer and returns its features (copied if another copy of the layer
    /// shares them).
    pub fn into_features(self) -> Vec<Feature<P>> {
        Arc::try_unwrap(self.inner).map_or_else(|a| a.features.clone(), |i| i.features)
    }
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
    ///
    /// ```
    /// use geo::{Geometry, Point};
    /// use riskmap_core::model::{Feature, LayerKind, SourceRef};
    /// use riskmap_core::layer::Layer;
    ///
    /// // Three points on the parallel 32° N, 0.001° of longitude apart (≈ 94.4 m).
    /// let pt = |i: u32, lon: f64| Feature {
    ///     id: format!("p{i}"),
    ///     geometry: Geometry::Point(Point::new(lon, 32.0)),
    ///     props: (),
    ///     source: SourceRef::default(),
    /// };
    /// let layer = Layer::new(
    ///     LayerKind::Houses,
    ///     vec![pt(0, 121.000), pt(1, 121.001), pt(2, 121.002)],
    /// );
    /// let q = Geometry::Point(Point::new(121.000, 32.0));
    /// let hits = layer.within_distance(&q, 100.0);
    /// assert_eq!(hits.iter().map(|h| h.pos).collect::<Vec<_>>(), vec![0, 1]);
    /// // 0.001° × cos 32° on the WGS84 ellipsoid.
    /// assert!((hits[1].distance_m - 94.5).abs() < 0.2);
    /// ```
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
        let Some(test) = Within::new(geom, metres) else {
            return Vec::new();
        };
        let mut out: Vec<usize> = self
            .index()
            .envelopes_in(test.grown)
            .filter(|&pos| test.holds(&self.features()[pos].geometry))
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

/// The test [`Layer::positions_within`] applies to each candidate, for one query: a
/// change to one feature asks "is it within `metres` of this source?" with exactly the
/// answer the whole-layer query gives.
#[derive(Debug, Clone)]
pub struct Within<'a> {
    geom: &'a Geometry<f64>,
    rect: Rect<f64>,
    grown: Rect<f64>,
    plane: LocalPlane,
    outline: Paths,
    /// The plane's relative distance error over `grown`.
    rel: f64,
    tol: f64,
    metres: f64,
}

impl<'a> Within<'a> {
    /// The test for features within `metres` of `geom`; `None` for an empty geometry.
    pub fn new(geom: &'a Geometry<f64>, metres: f64) -> Option<Self> {
        let r = geom.bounding_rect()?;
        let grown = expand_rect_m(r, metres);
        let plane = LocalPlane::new(r.center());
        let outline = Paths::of(geom, &plane);
        // Relative scale error of the plane over the searched box (see LocalPlane docs).
        let rel = plane.relative_error_bound(grown);
        Some(Within {
            geom,
            rect: r,
            grown,
            plane,
            outline,
            rel,
            tol: rel * metres + 1e-3,
            metres,
        })
    }

    /// The geometry's box.
    pub(crate) fn rect(&self) -> Rect<f64> {
        self.rect
    }

    /// The box the features within the distance lie in (what the R-tree is asked for).
    pub(crate) fn grown(&self) -> Rect<f64> {
        self.grown
    }

    /// Metres that `g` is at least from the geometry, and that
    /// [`closest_points`](crate::geodesy::closest_points) measures at least, for a `g`
    /// whose nearest points lie in [`Within::grown`] (beyond it, `g` is farther than the
    /// distance anyway): the plane's closest pair less the plane's error, 0 where the
    /// boxes meet (one may hold the other).
    pub(crate) fn at_least(&self, g: &Geometry<f64>) -> f64 {
        let Some(b) = g.bounding_rect() else {
            return 0.0;
        };
        if rects_meet(&b, &self.rect) {
            return 0.0;
        }
        match self.outline.closest_pair(&Paths::of(g, &self.plane)) {
            Some((d2, _, _)) => (d2.sqrt() / (1.0 + self.rel) - 1e-3).max(0.0),
            None => 0.0,
        }
    }

    /// Whether `g` is within the distance: a plane distance decides unless it is within
    /// the plane's error of the limit, where the geodesic distance does.
    pub fn holds(&self, g: &Geometry<f64>) -> bool {
        let Some(b) = g.bounding_rect() else {
            return false;
        };
        if !rects_meet(&b, &self.grown) {
            return false;
        }
        // The distance between the outlines is a distance between points of the two, so
        // never below the true one; the true one is zero when they meet (one inside the
        // other, or crossing), which only boxes that meet allow.
        let Some((d2, _, _)) = self.outline.closest_pair(&Paths::of(g, &self.plane)) else {
            return false;
        };
        let d = d2.sqrt();
        if d > self.metres - self.tol && rects_meet(&b, &self.rect) && self.geom.intersects(g) {
            return true;
        }
        if d <= self.metres - self.tol {
            true
        } else if d > self.metres + self.tol {
            false
        } else {
            distance_m(self.geom, g) <= self.metres
        }
    }
}

/// Whether two boxes share a point (as the R-tree's envelope query decides).
pub(crate) fn rects_meet(a: &Rect<f64>, b: &Rect<f64>) -> bool {
    a.min().x <= b.max().x
        && b.min().x <= a.max().x
        && a.min().y <= b.max().y
        && b.min().y <= a.max().y
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
    use crate::model::SourceRef;
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

    /// A layer it alone holds gets room in place; a copy made its own gets room too,
    /// and the original it shared with is left as it was.
    #[test]
    fn room_for_features_in_the_layer_and_in_its_copy() {
        let pts = |n: usize| -> Vec<Geometry<f64>> {
            (0..n)
                .map(|i| Point::new(118.0 + i as f64 * 1e-4, 31.0).into())
                .collect()
        };
        let room = |l: &Layer<()>| {
            let i = &l.inner;
            let n = i.features.len();
            [
                i.features.capacity() - n,
                i.uids.capacity() - n,
                i.id_keys.capacity() - n,
            ]
        };
        let mut a = layer(pts(320));
        if let Some(i) = Arc::get_mut(&mut a.inner) {
            i.features.shrink_to_fit();
        }
        assert_eq!(room(&a)[0], 0);
        let b = a.clone();
        // Shared: nothing is copied for room.
        a.keep_room();
        assert_eq!(room(&a)[0], 0);
        let mut c = b.clone();
        c.unshare();
        assert!(room(&c).iter().all(|r| *r >= 20), "{:?}", room(&c));
        assert_eq!(room(&b)[0], 0);
        drop((a, c));
        // Alone now: room in place.
        let mut b = b;
        b.keep_room();
        assert!(room(&b).iter().all(|r| *r >= 20), "{:?}", room(&b));
        assert_eq!(b.len(), 320);
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

        /// After any pushes, replacements and deletes, the R-tree answers as one built
        /// from nothing, every uid leads to its feature and no other, and so does every
        /// id (an id replaced or deleted leads nowhere).
        #[test]
        fn a_changed_layer_answers_like_a_fresh_one(
            geoms in prop::collection::vec(arb_geom(), 0..60),
            ops in prop::collection::vec((0u8..3, 0usize..1000, arb_geom()), 0..60),
            q in arb_geom(),
            m in 0.0f64..5000.0,
        ) {
            let mut l = layer(geoms);
            let mut gone = Vec::new();
            let mut gone_ids = Vec::new();
            for (i, (op, at, g)) in ops.into_iter().enumerate() {
                let f = Feature { id: format!("n{i}"), geometry: g, props: (), source: SourceRef::default() };
                match op {
                    0 => { l.push(f); }
                    1 if !l.is_empty() => {
                        let p = at % l.len();
                        gone_ids.push(l.get(p).unwrap().id.clone());
                        l.replace(p, f);
                    }
                    _ if !l.is_empty() => {
                        let p = at % l.len();
                        gone.push(l.uid(p).unwrap());
                        gone_ids.push(l.get(p).unwrap().id.clone());
                        l.swap_remove(p);
                    }
                    _ => {}
                }
            }
            for p in 0..l.len() {
                let id = l.get(p).unwrap().id.clone();
                prop_assert_eq!(l.find_id(&id).map(|(i, _)| i), Some(p));
            }
            for id in &gone_ids {
                prop_assert!(l.find_id(id).is_none(), "{} still found", id);
            }
            let fresh = layer(l.features().iter().map(|f| f.geometry.clone()).collect());
            prop_assert_eq!(l.within_distance(&q, m), fresh.within_distance(&q, m));
            prop_assert_eq!(l.positions_within(&q, m), fresh.positions_within(&q, m));
            prop_assert_eq!(l.index().len(), fresh.index().len());
            for p in 0..l.len() {
                prop_assert_eq!(l.position_of_uid(l.uid(p).unwrap()), Some(p));
            }
            for u in gone {
                prop_assert_eq!(l.position_of_uid(u), None);
            }
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
