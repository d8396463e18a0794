//! Which features of a layer go into a tile, with which properties: the per-layer part
//! of the generalization policy (pipes by pressure class, levels for the budget). A tile
//! carries what the map draws, filters and labels on; a popup asks
//! `/api/feature/{layer}/{id}` for the rest (the catalog's `popup_fields`).

use std::borrow::Cow;

use geo::{Geometry, Rect};

use super::{TileSet, conflict_level, level_n};
use crate::analysis::Analysis;
use crate::analysis::pipeline_clearance::pipe_class;
use crate::analysis::risk_grid::grade_level;
use crate::dataset::Dataset;
use crate::model::{LayerKind, PressureClass, RiskLevel};
use crate::tiles::{PropValue, TileFeature, TileId};

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
    ) -> LayerFeatures<'a> {
        let z = tile.z;
        if let Some(c) = self.cluster_features(kind, z, bbox) {
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
        let mut push = |id: usize,
                        level: u8,
                        g: &'a Geometry<f64>,
                        props: Cow<'a, [(Cow<'a, str>, PropValue<'a>)]>| {
            levels.push(level);
            features.push(TileFeature {
                id: id as u64,
                geometry: Cow::Borrowed(g),
                properties: props,
            });
        };
        match kind {
            LayerKind::Areas => {
                for i in ds.areas.index().envelopes_in(bbox).sorted() {
                    let Some(f) = ds.areas.get(i) else { continue };
                    let l = self.area_levels.get(i).copied().unwrap_or(RiskLevel::Low);
                    let mut p = vec![(k("id"), s(&f.id)), (k("name"), s(&f.props.name))];
                    if let Some(c) = &f.props.code {
                        p.push((k("code"), s(c)));
                    }
                    p.extend(lv(l));
                    push(i, level_n(l), &f.geometry, self.props(kind, p));
                }
            }
            LayerKind::RiskGrid => {
                for i in self.grid_index.envelopes_in(bbox).sorted() {
                    let (Some(c), Some(g)) = (a.grid.cells.get(i), self.grid_geoms.get(i)) else {
                        continue;
                    };
                    let mut p = vec![(k("id"), s(&c.id))];
                    if let Some(ar) = &c.area {
                        p.push((k("area"), s(ar)));
                    }
                    p.extend(lv(c.level));
                    push(i, level_n(c.level), g, self.props(kind, p));
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
                    push(i, rank, &f.geometry, self.props(kind, p));
                }
            }
            LayerKind::Houses => {
                for i in ds.houses.index().envelopes_in(bbox).sorted() {
                    let (Some(g), Some(h)) = (self.house_world.get(i), a.house_risks.get(i)) else {
                        continue;
                    };
                    // What the map draws and filters on, and nothing else: a house's
                    // address, use, appraisal and reasons are in its popup, which asks
                    // `/api/feature/houses/{position}` (the feature id) for them.
                    // The same few lists (by level, field policy applied) for every house.
                    let n = level_n(h.level);
                    let p = self
                        .house_props
                        .get(usize::from(n))
                        .map_or(&[][..], |p| &p[..]);
                    push(i, n, g, Cow::Borrowed(p));
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
                    push(i, 0, &f.geometry, self.props(kind, p));
                }
            }
            LayerKind::Enterprises => {
                for i in ds.enterprises.index().envelopes_in(bbox).sorted() {
                    let (Some(f), Some(e)) = (ds.enterprises.get(i), a.enterprise_risks.get(i))
                    else {
                        continue;
                    };
                    // What the map draws, filters (industry) and labels (name) on; the
                    // rest (L, S, the ledger's fields, the reasons) is in the popup, from
                    // `/api/feature/enterprises/{position}`.
                    let ep = &f.props;
                    let mut p = vec![(k("id"), s(&f.id)), (k("name"), s(&ep.name))];
                    if let Some(v) = ep.industry {
                        p.push((k("industry"), s(v.key())));
                    }
                    p.extend(lv(e.level));
                    push(i, level_n(e.level), &f.geometry, self.props(kind, p));
                }
            }
            LayerKind::HazardSources => {
                for i in ds.hazard_sources.index().envelopes_in(bbox).sorted() {
                    let (Some(f), Some(g)) = (ds.hazard_sources.get(i), a.hazard_grades.get(i))
                    else {
                        continue;
                    };
                    let l = g.grade.map_or(RiskLevel::Low, grade_level);
                    let mut p = vec![(k("id"), s(&f.id)), (k("name"), s(&f.props.name))];
                    p.extend(lv(l));
                    push(i, level_n(l), &f.geometry, self.props(kind, p));
                }
            }
            LayerKind::ProtectionConflicts => {
                for i in self.pc_index.envelopes_in(bbox).sorted() {
                    let Some(c) = a.protection_conflicts.get(i) else {
                        continue;
                    };
                    let l = conflict_level(c.shortfall_m, c.required_m);
                    push(
                        i,
                        level_n(l),
                        &c.geometry,
                        self.props(kind, Vec::from(lv(l))),
                    );
                }
            }
            LayerKind::PipelineConflicts => {
                for i in self.gc_index.envelopes_in(bbox).sorted() {
                    let Some(c) = a.pipeline_conflicts.get(i) else {
                        continue;
                    };
                    let l = c.kind.level();
                    push(
                        i,
                        level_n(l),
                        &c.geometry,
                        self.props(kind, Vec::from(lv(l))),
                    );
                }
            }
            // Drawn through their input layers (see `catalog`): no tiles of their own.
            LayerKind::HazardGrades | LayerKind::HouseRisk | LayerKind::EnterpriseRisk => {}
        }
        LayerFeatures {
            features,
            levels,
            world: kind == LayerKind::Houses,
        }
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
