//! Which features of a layer go into a tile, with which properties: the per-layer part
//! of the generalization policy (pipes by pressure class, levels for the budget). A tile
//! carries what the map draws, filters and labels on; a popup asks
//! `/api/feature/{layer}/{id}` for the rest (the catalog's `popup_fields`).

use std::borrow::Cow;

use geo::{Geometry, Intersects, Rect};

use super::clusters::hidden_rank;
use super::{DatedView, TileSet, level_n};
use crate::analysis::Analysis;
use crate::analysis::pipeline_clearance::pipe_class;
use crate::analysis::risk_grid::grade_level;
use crate::dataset::Dataset;
use crate::model::{LayerKind, PressureClass, RiskLevel};
use crate::tiles::{PropValue, TileFeature, TileId};

/// Added to an area's feature id for the point its name is written at (2^48: above any
/// area's id, below JavaScript's 2^53).
pub const AREA_LABEL_ID: u64 = 1 << 48;

/// The features of one layer in one tile, as the builder takes them.
pub(super) struct LayerFeatures<'a> {
    /// The features, sorted by id.
    pub(super) features: Vec<TileFeature<'a>>,
    /// The rank of each (its level), by which the budget drops the least first.
    pub(super) levels: Vec<u8>,
    /// Their geometry is in world units (see [`crate::tiles::to_world`]), not lon/lat.
    pub(super) world: bool,
}

impl TileSet {
    /// The features of layer `kind` that meet the tile's (buffered) box, sorted by id
    /// (positions are visited in increasing order).
    pub(super) fn features<'a>(
        &'a self,
        ds: &'a Dataset,
        a: &'a Analysis,
        kind: LayerKind,
        tile: TileId,
        bbox: Rect<f64>,
        view: Option<&'a DatedView>,
    ) -> LayerFeatures<'a> {
        let z = tile.z;
        if let Some(c) = self.cluster_features(kind, z, bbox, view) {
            let (levels, features) = c.into_iter().unzip();
            return LayerFeatures {
                features,
                levels,
                world: false,
            };
        }
        let s = |v: &'a str| PropValue::String(Cow::Borrowed(v));
        let k = |name: &'static str| -> Cow<'a, str> { Cow::Borrowed(name) };
        let lv = |l: RiskLevel| {
            [
                (k("level"), PropValue::String(Cow::Borrowed(l.name()))),
                (k("level_n"), PropValue::UInt(u64::from(level_n(l)))),
            ]
        };
        let (mut features, mut levels) = (Vec::new(), Vec::new());
        // Whether the geometries pushed are in world units: set where they are read.
        let mut world = false;
        let mut push = |id: u64,
                        level: u8,
                        g: Cow<'a, Geometry<f64>>,
                        props: Cow<'a, [(Cow<'a, str>, PropValue<'a>)]>| {
            levels.push(level);
            features.push(TileFeature {
                id,
                geometry: g,
                properties: props,
            });
        };
        let uid = |layer_uid: Option<u64>, i: usize| layer_uid.unwrap_or(i as u64);
        // What depends on the day: the analysis's, or the dated view's.
        let level_of = |i: usize| match view {
            Some(v) => v.enterprise_levels.get(i).copied(),
            None => a.enterprise_risks.get(i).map(|e| e.level),
        };
        let hidden_states = view.map_or(&a.hidden_states[..], |v| &v.hidden_states[..]);
        match kind {
            LayerKind::Areas => {
                let mut labels = Vec::new();
                for i in ds.areas.index().envelopes_in(bbox).sorted() {
                    let Some(f) = ds.areas.get(i) else { continue };
                    let levels = view
                        .and_then(|v| v.area_levels.as_deref())
                        .unwrap_or(&self.area_levels);
                    let l = levels.get(i).copied().unwrap_or(RiskLevel::Low);
                    let mut p = vec![(k("id"), s(&f.id)), (k("name"), s(&f.props.name))];
                    if let Some(c) = &f.props.code {
                        p.push((k("code"), s(c)));
                    }
                    // The name's point, in the tiles whose box holds it.
                    if let Some(pt) = self.area_labels.get(i).and_then(Option::as_ref)
                        && matches!(pt, Geometry::Point(q) if bbox.intersects(q))
                    {
                        labels.push((uid(ds.areas.uid(i), i), pt, p.clone()));
                    }
                    p.extend(lv(l));
                    push(
                        uid(ds.areas.uid(i), i),
                        level_n(l),
                        Cow::Borrowed(&f.geometry),
                        self.props(kind, p),
                    );
                }
                // After the polygons, with ids of their own above theirs (ids stay in
                // increasing order and unique).
                for (id, pt, p) in labels {
                    push(
                        AREA_LABEL_ID + id,
                        0,
                        Cow::Borrowed(pt),
                        self.props(kind, p),
                    );
                }
            }
            LayerKind::RiskGrid => {
                // Held in world units (`drawn.rs`).
                world = true;
                let grid = view.and_then(|v| v.grid.as_ref()).unwrap_or(&self.grid);
                for (id, g, c) in grid.in_box(bbox) {
                    let mut p = vec![(k("id"), s(&c.id))];
                    if let Some(ar) = &c.area {
                        p.push((k("area"), s(ar)));
                    }
                    p.extend(lv(c.level));
                    push(*id, level_n(c.level), Cow::Borrowed(g), self.props(kind, p));
                }
            }
            LayerKind::GasPipelines => {
                for i in ds.gas_pipelines.index().envelopes_in(bbox).sorted() {
                    let Some(f) = ds.gas_pipelines.get(i) else {
                        continue;
                    };
                    let class = pipe_class(&f.props);
                    let min_z = match class {
                        Some(
                            PressureClass::HighA
                            | PressureClass::HighB
                            | PressureClass::SubHighA
                            | PressureClass::SubHighB,
                        ) => 0,
                        Some(PressureClass::MediumA | PressureClass::MediumB) => 11,
                        Some(PressureClass::Low) | None => 13,
                    };
                    if z < min_z {
                        continue;
                    }
                    let mut p = vec![(k("id"), s(&f.id)), (k("name"), s(&f.props.name))];
                    // Drawn by pressure class (derived from the ledger's class or its
                    // design pressure); the ledger's details are the popup's.
                    if let Some(c) = class {
                        p.push((k("pressure_class"), s(c.key())));
                    }
                    let rank = match min_z {
                        0 => 3,
                        11 => 1,
                        _ => 0,
                    };
                    push(
                        uid(ds.gas_pipelines.uid(i), i),
                        rank,
                        Cow::Borrowed(&f.geometry),
                        self.props(kind, p),
                    );
                }
            }
            LayerKind::Houses => {
                world = self.config.world_footprints;
                for i in ds.houses.index().envelopes_in(bbox).sorted() {
                    let u = uid(ds.houses.uid(i), i);
                    let g = if self.config.world_footprints {
                        self.house_world.get(u)
                    } else {
                        ds.houses.get(i).map(|f| Cow::Borrowed(&f.geometry))
                    };
                    let (Some(g), Some(h)) = (g, a.house_risks.get(i)) else {
                        continue;
                    };
                    // What the map draws and filters on, and nothing else: a house's
                    // address, use, appraisal and reasons are in its popup, which asks
                    // `/api/feature/houses/{id}` (the feature's uid) for them.
                    // The same few lists (by level, field policy applied) for every house.
                    let n = level_n(h.level);
                    let p = self
                        .house_props
                        .get(usize::from(n))
                        .map_or(&[][..], |p| &p[..]);
                    push(u, n, g, Cow::Borrowed(p));
                }
            }
            LayerKind::ProtectionTargets => {
                for i in ds.protection_targets.index().envelopes_in(bbox).sorted() {
                    let Some(f) = ds.protection_targets.get(i) else {
                        continue;
                    };
                    let mut p = vec![(k("id"), s(&f.id)), (k("name"), s(&f.props.name))];
                    if let Some(t) = f.props.kind {
                        p.push((k("kind"), s(t.key())));
                    }
                    push(
                        uid(ds.protection_targets.uid(i), i),
                        0,
                        Cow::Borrowed(&f.geometry),
                        self.props(kind, p),
                    );
                }
            }
            LayerKind::Enterprises => {
                for i in ds.enterprises.index().envelopes_in(bbox).sorted() {
                    let (Some(f), Some(level)) = (ds.enterprises.get(i), level_of(i)) else {
                        continue;
                    };
                    // What the map draws, filters (industry) and labels (name) on; the
                    // rest (L, S, the ledger's fields, the reasons) is in the popup, from
                    // `/api/feature/enterprises/{id}`.
                    let ep = &f.props;
                    // (room for all of them: a park's tile draws a thousand or more)
                    let mut p = Vec::with_capacity(5);
                    p.extend([(k("id"), s(&f.id)), (k("name"), s(&ep.name))]);
                    if let Some(v) = ep.industry {
                        p.push((k("industry"), s(v.key())));
                    }
                    p.extend(lv(level));
                    push(
                        uid(ds.enterprises.uid(i), i),
                        level_n(level),
                        Cow::Borrowed(&f.geometry),
                        self.props(kind, p),
                    );
                }
            }
            LayerKind::HazardSources => {
                for i in ds.hazard_sources.index().envelopes_in(bbox).sorted() {
                    let (Some(f), Some(g)) = (ds.hazard_sources.get(i), a.hazard_grades.get(i))
                    else {
                        continue;
                    };
                    let l = g.grade.map_or(RiskLevel::Low, grade_level);
                    let mut p = Vec::with_capacity(4);
                    p.extend([(k("id"), s(&f.id)), (k("name"), s(&f.props.name))]);
                    p.extend(lv(l));
                    push(
                        uid(ds.hazard_sources.uid(i), i),
                        level_n(l),
                        Cow::Borrowed(&f.geometry),
                        self.props(kind, p),
                    );
                }
            }
            LayerKind::ProtectionConflicts | LayerKind::PipelineConflicts => {
                // Held in world units (`drawn.rs`).
                world = true;
                let (drawn, props) = if kind == LayerKind::ProtectionConflicts {
                    (&self.pc, &self.conflict_props[0])
                } else {
                    (&self.gc, &self.conflict_props[1])
                };
                // By id, as the layer is written: the references sorted, not the features.
                let mut found: Vec<&(u64, Geometry<f64>, RiskLevel)> = drawn.in_box(bbox).collect();
                found.sort_unstable_by_key(|(id, _, _)| *id);
                for (id, g, l) in found {
                    // The same few lists (by level, field policy applied) for every line.
                    let n = level_n(*l);
                    let p = props.get(usize::from(n)).map_or(&[][..], |p| &p[..]);
                    push(*id, n, Cow::Borrowed(g), Cow::Borrowed(p));
                }
            }
            // Drawn through their input layers (see `catalog`): no tiles of their own.
            LayerKind::HazardGrades | LayerKind::HouseRisk | LayerKind::EnterpriseRisk => {}
            LayerKind::HiddenHazards => {
                for i in ds.hidden_hazards.index().envelopes_in(bbox).sorted() {
                    let (Some(f), Some(st)) = (ds.hidden_hazards.get(i), hidden_states.get(i))
                    else {
                        continue;
                    };
                    // Not drawn before it was found.
                    let (Some(status), Some(rank)) = (st.status, hidden_rank(st, f.props.major))
                    else {
                        continue;
                    };
                    let h = &f.props;
                    let mut p = Vec::with_capacity(7);
                    p.extend([
                        (k("id"), s(&f.id)),
                        (k("status"), s(status.key())),
                        (k("major"), PropValue::Bool(h.major)),
                        (k("overdue"), PropValue::Bool(st.overdue())),
                    ]);
                    if let Some(d) = st.days_overdue {
                        p.push((k("days_overdue"), PropValue::UInt(d.unsigned_abs())));
                    }
                    if let Some(c) = &h.category {
                        p.push((k("category"), s(c)));
                    }
                    p.push((k("level_n"), PropValue::UInt(u64::from(level_n(rank)))));
                    push(
                        uid(ds.hidden_hazards.uid(i), i),
                        level_n(rank),
                        Cow::Borrowed(&f.geometry),
                        self.props(kind, p),
                    );
                }
            }
        }
        // Uids follow positions until features are added and deleted, conflict and cell
        // ids never do: put the layer in id order (the builder's fast check of unique ids).
        if !features.is_sorted_by_key(|f| f.id) {
            let mut both: Vec<(TileFeature<'a>, u8)> = features.into_iter().zip(levels).collect();
            both.sort_by_key(|(f, _)| f.id);
            (features, levels) = both.into_iter().unzip();
        }
        LayerFeatures {
            features,
            levels,
            world,
        }
    }
}

/// Feature ids a browser reads exactly: JavaScript numbers hold integers below 2^53.
const JS_SAFE: u64 = (1 << 53) - 1;

/// FNV-1a of the parts, separated, kept below 2^53.
fn key_id(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain([0xff]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h & JS_SAFE
}

/// The tile id of a protection conflict: from the ids of its source and target, so that
/// it stays the same while the conflict does.
pub fn protection_tile_id(c: &crate::analysis::ProtectionConflict) -> u64 {
    key_id(&[
        c.source_layer.name(),
        &c.source_id,
        c.target_layer.name(),
        &c.target_id,
    ])
}

/// The tile id of a pipeline conflict: from the ids of its pipe and feature.
pub fn pipeline_tile_id(c: &crate::analysis::PipelineConflict) -> u64 {
    key_id(&[
        "gas_pipelines",
        &c.pipeline_id,
        c.layer.name(),
        &c.feature_id,
    ])
}

/// The tile id of a grid cell: its H3 index without the trailing digits its resolution
/// leaves unused (all ones), which keeps it below 2^53 and exact in a browser.
pub fn grid_tile_id(h3: &str) -> u64 {
    match h3.parse::<h3o::CellIndex>() {
        Ok(c) => u64::from(c) >> (3 * (15 - u32::from(u8::from(c.resolution())))),
        Err(_) => key_id(&[h3]),
    }
}

/// Feature positions in increasing order, so that a layer's features come sorted by id
/// (their position) without sorting the features themselves.
trait Sorted: Iterator<Item = usize> + Sized {
    fn sorted(self) -> std::vec::IntoIter<usize> {
        let mut v: Vec<usize> = self.collect();
        v.sort_unstable();
        v.into_iter()
    }
}

impl<I: Iterator<Item = usize>> Sorted for I {}

/// The position of the feature a tile of layer `kind` gave the id `id` (its uid, or for
/// conflicts and cells the id made from their keys), if it is still there.
pub fn position_of_tile_id(ds: &Dataset, a: &Analysis, kind: LayerKind, id: u64) -> Option<usize> {
    match kind {
        LayerKind::Areas => ds.areas.position_of_uid(id),
        LayerKind::Enterprises | LayerKind::EnterpriseRisk => ds.enterprises.position_of_uid(id),
        LayerKind::HazardSources | LayerKind::HazardGrades => ds.hazard_sources.position_of_uid(id),
        LayerKind::GasPipelines => ds.gas_pipelines.position_of_uid(id),
        LayerKind::Houses | LayerKind::HouseRisk => ds.houses.position_of_uid(id),
        LayerKind::ProtectionTargets => ds.protection_targets.position_of_uid(id),
        LayerKind::HiddenHazards => ds.hidden_hazards.position_of_uid(id),
        LayerKind::ProtectionConflicts => a
            .protection_conflicts
            .iter()
            .position(|c| protection_tile_id(c) == id),
        LayerKind::PipelineConflicts => a
            .pipeline_conflicts
            .iter()
            .position(|c| pipeline_tile_id(c) == id),
        LayerKind::RiskGrid => a.grid.cells.iter().position(|c| grid_tile_id(&c.id) == id),
    }
}
