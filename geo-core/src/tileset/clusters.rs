//! Clusters: below a layer's detail zoom its features are replaced by clusters. A cluster
//! is every point of the layer in one square bin of the zoom's pixel grid (bins twice the
//! cluster radius across, aligned to the tiles, so that a cluster is identical in every
//! tile that shows it), drawn at the mean of its points, with its count and worst level.
//!
//! Bins hold integer sums (positions in fixed point, counts per level, the XOR of the
//! ids), so a point added or removed — a living map's change — leaves exactly what
//! building from nothing gives, and touches one bin per zoom: the tiles to refresh are
//! those over that bin. (A greedy clustering seeded at the worst points, used before,
//! gave slightly rounder clusters, but one changed point could shift clusters far from
//! it.)

use std::borrow::Cow;
use std::collections::BTreeMap;

use geo::{Geometry, Point, Rect};
use rayon::prelude::*;

use super::features::{pipeline_tile_id, protection_tile_id};
use super::{conflict_level, level_n, level_of_n};
use crate::analysis::Analysis;
use crate::analysis::hidden_hazards::HiddenState;
use crate::analysis::risk_grid::{anchor, grade_level};
use crate::dataset::{Dataset, Layer};
use crate::heap::table_bytes;
use crate::model::{LayerKind, RiskLevel};
use crate::tiles::mercator::{lat_of, lon_of, world_x, world_y};
use crate::tiles::{CLUSTER_ID_FLAG, ClusterOptions, PropValue, TileError, TileFeature};

/// Fixed-point scale of world coordinates (`[0, 1]`): 2⁻⁴⁰ of the world is 0.04 mm.
const FIX: f64 = (1u64 << 40) as f64;

/// One point of a clustered layer: its feature's tile id, its representative point in
/// fixed-point world coordinates, its level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct BinPoint {
    id: u64,
    wx: i64,
    wy: i64,
    level: u8,
}

impl BinPoint {
    fn new(id: u64, g: &Geometry<f64>, level: RiskLevel) -> Option<BinPoint> {
        let c = anchor(g)?;
        let (x, y) = (world_x(c.x), world_y(c.y));
        if !(x.is_finite() && y.is_finite()) {
            return None;
        }
        Some(BinPoint {
            id,
            wx: (x.clamp(0.0, 1.0) * FIX).round() as i64,
            wy: (y.clamp(0.0, 1.0) * FIX).round() as i64,
            level: level_n(level),
        })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Bin {
    count: u64,
    by_level: [u64; 4],
    id_xor: u64,
    sx: i128,
    sy: i128,
}

impl Bin {
    fn add(&mut self, p: &BinPoint, sign: i64) {
        if sign > 0 {
            self.count += 1;
            self.by_level[usize::from(p.level.min(3))] += 1;
        } else {
            self.count = self.count.saturating_sub(1);
            let l = &mut self.by_level[usize::from(p.level.min(3))];
            *l = l.saturating_sub(1);
        }
        self.id_xor ^= p.id;
        self.sx += i128::from(p.wx) * i128::from(sign);
        self.sy += i128::from(p.wy) * i128::from(sign);
    }

    fn max_level(&self) -> u8 {
        (0..4u8)
            .rev()
            .find(|l| self.by_level[usize::from(*l)] > 0)
            .unwrap_or(0)
    }
}

/// A bin: zoom and column, row of the bin grid at that zoom.
pub(super) type BinKey = (u8, u32, u32);

/// A point kept by uid: a [`BinPoint`] without the id its position says, its level in
/// the top byte of `x_level` above `wx` (which needs 41 bits: `[0, 2⁴⁰]`), `level`
/// [`Placed::NONE`] for none: 16 bytes, against 24 with the level apart and 32 for an
/// `Option<BinPoint>` (8 MiB of a million houses' points, in each copy of the map).
#[derive(Debug, Clone, Copy)]
struct Placed {
    x_level: u64,
    wy: i64,
}

impl Placed {
    const NONE: u8 = u8::MAX;
    /// The bits of `x_level` that hold `wx`.
    const X_BITS: u64 = (1 << 56) - 1;
    const EMPTY: Placed = Placed {
        x_level: (Placed::NONE as u64) << 56,
        wy: 0,
    };

    fn of(p: &BinPoint) -> Placed {
        // `wx` is in [0, 2⁴⁰] (`BinPoint::new` clamps it), so its bits stay below the
        // level's.
        Placed {
            x_level: (p.wx as u64 & Placed::X_BITS) | (u64::from(p.level) << 56),
            wy: p.wy,
        }
    }

    fn level(self) -> u8 {
        (self.x_level >> 56) as u8
    }

    fn point(self, id: u64) -> Option<BinPoint> {
        (self.level() != Placed::NONE).then_some(BinPoint {
            id,
            wx: (self.x_level & Placed::X_BITS) as i64,
            wy: self.wy,
            level: self.level(),
        })
    }
}

/// The points of a layer, by uid (dense: input layers) or by id (conflicts).
#[derive(Debug)]
enum Points {
    ByUid(Vec<Placed>),
    ById(foldhash::HashMap<u64, BinPoint>),
}

/// A copy with room for the points of features added later
/// ([`crate::heap::HEADROOM`]; a derived one has none, and the first feature a living
/// map's copy adds would copy every point).
impl Clone for Points {
    fn clone(&self) -> Self {
        match self {
            Points::ByUid(v) => Points::ByUid(crate::heap::with_headroom(v)),
            Points::ById(m) => Points::ById(m.clone()),
        }
    }
}

/// Clusters of one layer at zooms `0..detail_zoom`.
#[derive(Debug, Clone)]
pub(super) struct Clusters {
    /// Bin side in tile units.
    bin: f64,
    extent: f64,
    /// The bins of each zoom (foldhash: a day's view fills them for every point and zoom,
    /// and they are only looked up, never listed).
    zooms: Vec<foldhash::HashMap<(u32, u32), Bin>>,
    points: Points,
}

impl Clusters {
    /// Heap bytes of the points and of every zoom's bins (tables as buckets and a
    /// control byte each; the allocator's overhead left out).
    pub(super) fn heap_bytes(&self) -> (usize, usize) {
        let points = match &self.points {
            Points::ByUid(v) => v.capacity() * std::mem::size_of::<Placed>(),
            Points::ById(m) => table_bytes(m.capacity(), std::mem::size_of::<(u64, BinPoint)>()),
        };
        let bins = self
            .zooms
            .iter()
            .map(|m| table_bytes(m.capacity(), std::mem::size_of::<((u32, u32), Bin)>()))
            .sum();
        (points, bins)
    }

    fn build(
        points: Vec<BinPoint>,
        by_uid: bool,
        detail_zoom: u8,
        opts: &ClusterOptions,
    ) -> Result<Clusters, TileError> {
        if by_uid {
            let v = laid_by_uid(points.iter().map(|p| (p.id, Placed::of(p))));
            drop(points);
            return Clusters::build_placed(v, detail_zoom, opts);
        }
        let mut c = Clusters::empty(opts, Points::ById(foldhash::HashMap::default()))?;
        c.zooms = (0..detail_zoom)
            .into_par_iter()
            .map(|z| {
                let mut bins: foldhash::HashMap<(u32, u32), Bin> = Default::default();
                for p in &points {
                    bins.entry(c.key(z, p)).or_default().add(p, 1);
                }
                bins
            })
            .collect();
        for p in points {
            c.store(p);
        }
        Ok(c)
    }

    /// The clusters of points kept by uid ([`layer_placed`]): the bins are summed from
    /// the 16-byte points themselves, so no wider copy of a million points is held.
    fn build_placed(
        placed: Vec<Placed>,
        detail_zoom: u8,
        opts: &ClusterOptions,
    ) -> Result<Clusters, TileError> {
        let mut c = Clusters::empty(opts, Points::ByUid(placed))?;
        let Points::ByUid(v) = &c.points else {
            return Ok(c);
        };
        let zooms = (0..detail_zoom)
            .into_par_iter()
            .map(|z| {
                let mut bins: foldhash::HashMap<(u32, u32), Bin> = Default::default();
                for (i, s) in v.iter().enumerate() {
                    if let Some(p) = s.point(i as u64) {
                        bins.entry(c.key(z, &p)).or_default().add(&p, 1);
                    }
                }
                bins
            })
            .collect();
        c.zooms = zooms;
        Ok(c)
    }

    fn empty(opts: &ClusterOptions, points: Points) -> Result<Clusters, TileError> {
        if opts.extent == 0 || !opts.radius.is_finite() || opts.radius <= 0.0 {
            return Err(TileError::InvalidOptions(
                "cluster radius must be finite and positive, extent positive",
            ));
        }
        Ok(Clusters {
            bin: 2.0 * opts.radius,
            extent: f64::from(opts.extent),
            zooms: Vec::new(),
            points,
        })
    }

    fn key(&self, z: u8, p: &BinPoint) -> (u32, u32) {
        let scale = f64::from(z).exp2() * self.extent / self.bin / FIX;
        let k = |v: i64| ((v as f64) * scale).floor().max(0.0) as u32;
        (k(p.wx), k(p.wy))
    }

    fn store(&mut self, p: BinPoint) {
        match &mut self.points {
            Points::ByUid(v) => {
                let i = p.id as usize;
                if v.len() <= i {
                    v.resize(i + 1, Placed::EMPTY);
                }
                if let Some(s) = v.get_mut(i) {
                    *s = Placed::of(&p);
                }
            }
            Points::ById(m) => {
                m.insert(p.id, p);
            }
        }
    }

    fn stored(&self, id: u64) -> Option<BinPoint> {
        match &self.points {
            Points::ByUid(v) => v.get(id as usize).and_then(|s| s.point(id)),
            Points::ById(m) => m.get(&id).copied(),
        }
    }

    fn unstore(&mut self, id: u64) {
        match &mut self.points {
            Points::ByUid(v) => {
                if let Some(s) = v.get_mut(id as usize) {
                    *s = Placed::EMPTY;
                }
            }
            Points::ById(m) => {
                m.remove(&id);
            }
        }
    }

    /// Puts the point of feature `id` (`None`: it has none any more) in the bins; the
    /// bins it left or joined go to `touched`.
    pub(super) fn set(&mut self, id: u64, now: Option<BinPoint>, touched: &mut Vec<BinKey>) {
        let before = self.stored(id);
        if before == now {
            return;
        }
        for z in 0..self.zooms.len() as u8 {
            if let Some(p) = &before {
                let k = self.key(z, p);
                if let Some(b) = self.zooms[usize::from(z)].get_mut(&k) {
                    b.add(p, -1);
                    if b.count == 0 {
                        self.zooms[usize::from(z)].remove(&k);
                    }
                }
                touched.push((z, k.0, k.1));
            }
            if let Some(p) = &now {
                let k = self.key(z, p);
                self.zooms[usize::from(z)].entry(k).or_default().add(p, 1);
                touched.push((z, k.0, k.1));
            }
        }
        match now {
            Some(p) => self.store(p),
            None => self.unstore(id),
        }
    }

    /// The lon/lat box of a bin.
    pub(super) fn bin_rect(&self, (z, bx, by): BinKey) -> Rect<f64> {
        let s = self.bin / (f64::from(z).exp2() * self.extent);
        let (x0, y0) = (f64::from(bx) * s, f64::from(by) * s);
        Rect::new((lon_of(x0), lat_of(y0 + s)), (lon_of(x0 + s), lat_of(y0)))
    }

    /// The clusters at zoom `z` whose position lies in `bbox` (lon/lat), by id.
    fn in_box(&self, z: u8, bbox: Rect<f64>) -> Vec<(u64, Point<f64>, &Bin)> {
        let Some(bins) = self.zooms.get(usize::from(z)) else {
            return Vec::new();
        };
        let per = f64::from(z).exp2() * self.extent / self.bin;
        let col = |lon: f64| (world_x(lon) * per).floor().max(0.0) as u32;
        let row = |lat: f64| (world_y(lat) * per).floor().max(0.0) as u32;
        let (c0, c1) = (col(bbox.min().x), col(bbox.max().x));
        let (r0, r1) = (row(bbox.max().y), row(bbox.min().y));
        let mut out = Vec::new();
        for by in r0..=r1 {
            for bx in c0..=c1 {
                let Some(b) = bins.get(&(bx, by)) else {
                    continue;
                };
                let n = b.count as f64;
                let p = Point::new(lon_of(b.sx as f64 / n / FIX), lat_of(b.sy as f64 / n / FIX));
                let inside = p.x() >= bbox.min().x
                    && p.x() <= bbox.max().x
                    && p.y() >= bbox.min().y
                    && p.y() <= bbox.max().y;
                if !inside {
                    continue;
                }
                let id = if b.count == 1 {
                    b.id_xor
                } else {
                    CLUSTER_ID_FLAG | (u64::from(z) << 56) | (u64::from(bx) << 28) | u64::from(by)
                };
                out.push((id, p, b));
            }
        }
        out
    }
}

/// The point of each feature of a layer, by uid.
pub(super) fn layer_points<P>(
    layer: &Layer<P>,
    level: impl Fn(usize) -> RiskLevel + Sync,
) -> Vec<BinPoint>
where
    P: Send + Sync,
{
    layer
        .features()
        .par_iter()
        .enumerate()
        .filter_map(|(i, f)| BinPoint::new(layer.uid(i)?, &f.geometry, level(i)))
        .collect()
}

/// The points of a layer's features by uid, as [`Points::ByUid`] keeps them: made in
/// position order, which is the uids' order until a living map moves a feature (then
/// they are laid out by uid).
fn layer_placed<P>(layer: &Layer<P>, level: impl Fn(usize) -> RiskLevel + Sync) -> Vec<Placed>
where
    P: Send + Sync,
{
    let by_pos: Vec<Placed> = layer
        .features()
        .par_iter()
        .enumerate()
        .map(|(i, f)| {
            layer
                .uid(i)
                .and_then(|u| BinPoint::new(u, &f.geometry, level(i)))
                .map_or(Placed::EMPTY, |p| Placed::of(&p))
        })
        .collect();
    if (0..by_pos.len()).all(|i| layer.uid(i) == Some(i as u64)) {
        return by_pos;
    }
    let by_uid = by_pos.into_iter().enumerate();
    laid_by_uid(by_uid.filter_map(|(i, s)| Some((layer.uid(i)?, s))))
}

/// Points laid out by their uid, [`Placed::EMPTY`] where none is.
fn laid_by_uid(points: impl Iterator<Item = (u64, Placed)>) -> Vec<Placed> {
    let mut v = Vec::new();
    for (uid, p) in points {
        let i = uid as usize;
        if v.len() <= i {
            v.resize(i + 1, Placed::EMPTY);
        }
        if let Some(s) = v.get_mut(i) {
            *s = p;
        }
    }
    v
}

/// The point of the feature at `pos` of a clustered input layer (`None` when it has no
/// point or is not there), by its uid.
pub(super) fn point_at(
    ds: &Dataset,
    a: &Analysis,
    kind: LayerKind,
    pos: usize,
) -> Option<BinPoint> {
    match kind {
        LayerKind::Houses => {
            let f = ds.houses.get(pos)?;
            BinPoint::new(
                ds.houses.uid(pos)?,
                &f.geometry,
                a.house_risks.get(pos)?.level,
            )
        }
        LayerKind::Enterprises => {
            let f = ds.enterprises.get(pos)?;
            BinPoint::new(
                ds.enterprises.uid(pos)?,
                &f.geometry,
                a.enterprise_risks.get(pos)?.level,
            )
        }
        LayerKind::HazardSources => {
            let f = ds.hazard_sources.get(pos)?;
            let l = a
                .hazard_grades
                .get(pos)?
                .grade
                .map_or(RiskLevel::Low, grade_level);
            BinPoint::new(ds.hazard_sources.uid(pos)?, &f.geometry, l)
        }
        LayerKind::ProtectionTargets => {
            let f = ds.protection_targets.get(pos)?;
            BinPoint::new(ds.protection_targets.uid(pos)?, &f.geometry, RiskLevel::Low)
        }
        LayerKind::HiddenHazards => {
            let f = ds.hidden_hazards.get(pos)?;
            let l = hidden_rank(a.hidden_states.get(pos)?, f.props.major)?;
            BinPoint::new(ds.hidden_hazards.uid(pos)?, &f.geometry, l)
        }
        LayerKind::Areas
        | LayerKind::GasPipelines
        | LayerKind::HazardGrades
        | LayerKind::ProtectionConflicts
        | LayerKind::PipelineConflicts
        | LayerKind::HouseRisk
        | LayerKind::EnterpriseRisk
        | LayerKind::RiskGrid => None,
    }
}

fn conflict_points(a: &Analysis, kind: LayerKind) -> Vec<BinPoint> {
    match kind {
        LayerKind::ProtectionConflicts => a
            .protection_conflicts
            .iter()
            .filter_map(|c| {
                let l = conflict_level(c.shortfall_m, c.required_m);
                BinPoint::new(protection_tile_id(c), &c.geometry, l)
            })
            .collect(),
        LayerKind::PipelineConflicts => a
            .pipeline_conflicts
            .iter()
            .filter_map(|c| BinPoint::new(pipeline_tile_id(c), &c.geometry, c.kind.level()))
            .collect(),
        LayerKind::Areas
        | LayerKind::Enterprises
        | LayerKind::HazardSources
        | LayerKind::GasPipelines
        | LayerKind::Houses
        | LayerKind::ProtectionTargets
        | LayerKind::HiddenHazards
        | LayerKind::HazardGrades
        | LayerKind::HouseRisk
        | LayerKind::EnterpriseRisk
        | LayerKind::RiskGrid => Vec::new(),
    }
}

/// The clustered layers.
pub(super) const CLUSTERED: [LayerKind; 7] = [
    LayerKind::Houses,
    LayerKind::Enterprises,
    LayerKind::HazardSources,
    LayerKind::ProtectionTargets,
    LayerKind::ProtectionConflicts,
    LayerKind::PipelineConflicts,
    LayerKind::HiddenHazards,
];

/// Where a hidden hazard stands on a day, as a rank the clusters and the tile budget
/// use like a level: 已销号 0, open 1, open and overdue 2, a major one open 3; `None`
/// before it was found (it is not drawn).
pub(super) fn hidden_rank(s: &HiddenState, major: bool) -> Option<RiskLevel> {
    s.status?;
    Some(if !s.open {
        RiskLevel::Low
    } else if major {
        RiskLevel::Major
    } else if s.overdue() {
        RiskLevel::Significant
    } else {
        RiskLevel::General
    })
}

/// The point of each hidden hazard found by the day of `states`, by uid.
pub(super) fn hidden_points(ds: &Dataset, states: &[HiddenState]) -> Vec<BinPoint> {
    let l = &ds.hidden_hazards;
    l.features()
        .par_iter()
        .zip(states.par_iter())
        .enumerate()
        .filter_map(|(i, (f, s))| {
            BinPoint::new(l.uid(i)?, &f.geometry, hidden_rank(s, f.props.major)?)
        })
        .collect()
}

/// The clusters of one layer from its points, up to its detail zoom.
pub(super) fn build_one(
    points: Vec<BinPoint>,
    detail_zoom: u8,
    opts: &ClusterOptions,
) -> Result<Clusters, TileError> {
    Clusters::build(points, true, detail_zoom, opts)
}

/// The clusters of every clustered layer that `wanted`, each up to its detail zoom.
pub(super) fn build_all(
    ds: &Dataset,
    a: &Analysis,
    detail: impl Fn(LayerKind) -> u8 + Sync,
    opts: &ClusterOptions,
    wanted: impl Fn(LayerKind) -> bool + Sync,
) -> Result<BTreeMap<LayerKind, Clusters>, TileError> {
    CLUSTERED
        .into_par_iter()
        .filter(|kind| wanted(*kind))
        .map(|kind| {
            let d = detail(kind);
            let placed = |v| Clusters::build_placed(v, d, opts);
            let c = match kind {
                LayerKind::Houses => placed(layer_placed(&ds.houses, |i| {
                    a.house_risks.get(i).map_or(RiskLevel::Low, |h| h.level)
                })),
                LayerKind::Enterprises => placed(layer_placed(&ds.enterprises, |i| {
                    a.enterprise_risks
                        .get(i)
                        .map_or(RiskLevel::Low, |e| e.level)
                })),
                LayerKind::HazardSources => placed(layer_placed(&ds.hazard_sources, |i| {
                    a.hazard_grades
                        .get(i)
                        .and_then(|g| g.grade)
                        .map_or(RiskLevel::Low, grade_level)
                })),
                LayerKind::ProtectionTargets => {
                    placed(layer_placed(&ds.protection_targets, |_| RiskLevel::Low))
                }
                LayerKind::ProtectionConflicts | LayerKind::PipelineConflicts => {
                    Clusters::build(conflict_points(a, kind), false, d, opts)
                }
                LayerKind::HiddenHazards => {
                    Clusters::build(hidden_points(ds, &a.hidden_states), true, d, opts)
                }
                LayerKind::Areas
                | LayerKind::GasPipelines
                | LayerKind::HazardGrades
                | LayerKind::HouseRisk
                | LayerKind::EnterpriseRisk
                | LayerKind::RiskGrid => Clusters::build(Vec::new(), false, d, opts),
            };
            Ok((kind, c?))
        })
        .collect()
}

impl Clusters {
    /// Takes out the conflicts that went and puts in those that came (a changed one is
    /// both: out, then in); the bins they left or joined are touched.
    pub(super) fn change_conflicts(
        &mut self,
        gone: impl Iterator<Item = u64>,
        came: impl Iterator<Item = (u64, Geometry<f64>, RiskLevel)>,
        touched: &mut Vec<BinKey>,
    ) {
        // One that went and came again is set once, to what it is now: a conflict that
        // came back as it was touches no bin.
        let came: Vec<(u64, Option<BinPoint>)> = came
            .map(|(id, g, l)| (id, BinPoint::new(id, &g, l)))
            .collect();
        let again: std::collections::HashSet<u64> = came.iter().map(|(id, _)| *id).collect();
        for id in gone.filter(|id| !again.contains(id)) {
            self.set(id, None, touched);
        }
        for (id, p) in came {
            self.set(id, p, touched);
        }
    }
}

impl super::TileSet {
    /// The clusters of `kind` that a tile at zoom `z` over `bbox` shows (`None` from the
    /// layer's detail zoom), from the dated view's clusters where it has them.
    pub(super) fn cluster_features<'a>(
        &self,
        kind: LayerKind,
        z: u8,
        bbox: Rect<f64>,
        view: Option<&super::DatedView>,
    ) -> Option<Vec<(u8, TileFeature<'a>)>> {
        let cl = view
            .and_then(|v| v.clusters.get(&kind))
            .or_else(|| self.clusters.get(&kind))?;
        if usize::from(z) >= cl.zooms.len() {
            return None;
        }
        let mut out: Vec<(u8, TileFeature<'a>)> = cl
            .in_box(z, bbox)
            .into_iter()
            .map(|(id, p, b)| {
                let max = b.max_level();
                let l = level_of_n(max);
                let k = Cow::Borrowed;
                let mut props: Vec<(Cow<'a, str>, PropValue<'a>)> =
                    vec![(k("count"), PropValue::UInt(b.count))];
                if kind == LayerKind::HiddenHazards {
                    // Ranks, not levels (see `hidden_rank`): what a bureau counts.
                    let [_, open, overdue, major] = b.by_level;
                    props.extend([
                        (k("open"), PropValue::UInt(open + overdue + major)),
                        (k("general_overdue"), PropValue::UInt(overdue)),
                        (k("major_open"), PropValue::UInt(major)),
                    ]);
                } else {
                    props.push((k("level"), PropValue::String(k(l.name()))));
                }
                props.extend([
                    (k("level_n"), PropValue::UInt(u64::from(max))),
                    (k("cluster"), PropValue::Bool(b.count > 1)),
                ]);
                (
                    max,
                    TileFeature {
                        id,
                        geometry: Cow::Owned(Geometry::Point(p)),
                        properties: Cow::Owned(props),
                    },
                )
            })
            .collect();
        out.sort_by_key(|(_, f)| f.id);
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::{BinPoint, FIX, Placed};

    #[test]
    fn a_point_kept_by_uid_is_given_back_as_it_was() {
        // The corners of the world in fixed point (0 and 2⁴⁰, as `BinPoint::new`
        // clamps them) and a point between, at every level.
        let top = FIX as i64;
        for (wx, wy) in [(0, 0), (top, top), (top, 0), (0, top), (549_755_813_889, 7)] {
            for level in 0..=3u8 {
                let p = BinPoint {
                    id: 42,
                    wx,
                    wy,
                    level,
                };
                assert_eq!(Placed::of(&p).point(42), Some(p));
            }
        }
        assert_eq!(Placed::EMPTY.point(42), None);
        assert_eq!(std::mem::size_of::<Placed>(), 16);
    }
}
