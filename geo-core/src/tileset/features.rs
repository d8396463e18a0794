//! Which features of a layer go into a tile, with which properties: the per-layer part
//! of the generalization policy (pipes by pressure class, levels for the budget).

use std::borrow::Cow;

use geo::{Geometry, Rect};

use super::{TileSet, conflict_level, level_n};
use crate::analysis::Analysis;
use crate::analysis::pipeline_clearance::pipe_class;
use crate::analysis::risk_grid::grade_level;
use crate::dataset::Dataset;
use crate::model::{LayerKind, PressureClass, RiskLevel};
use crate::tiles::{PropValue, TileFeature, TileId};

impl TileSet {
    /// The features of layer `kind` that meet the tile's (buffered) box, each with the
    /// rank the budget drops by (its level), sorted by id.
    pub(super) fn features<'a>(
        &'a self,
        ds: &'a Dataset,
        a: &'a Analysis,
        kind: LayerKind,
        tile: TileId,
        bbox: Rect<f64>,
    ) -> Vec<(u8, TileFeature<'a>)> {
        let z = tile.z;
        if let Some(c) = self.cluster_features(kind, z, bbox) {
            return c;
        }
        let s = |v: &'a str| PropValue::String(Cow::Borrowed(v));
        let lv = |l: RiskLevel| {
            [
                ("level", PropValue::String(Cow::Borrowed(l.name()))),
                ("level_n", PropValue::UInt(u64::from(level_n(l)))),
            ]
        };
        let mut out: Vec<(u8, TileFeature<'a>)> = Vec::new();
        let mut push = |id: usize,
                        level: u8,
                        g: &'a Geometry<f64>,
                        props: Vec<(Cow<'a, str>, PropValue<'a>)>| {
            out.push((
                level,
                TileFeature {
                    id: id as u64,
                    geometry: Cow::Borrowed(g),
                    properties: props,
                },
            ));
        };
        match kind {
            LayerKind::Areas => {
                for i in ds.areas.index().envelopes_in(bbox) {
                    let Some(f) = ds.areas.get(i) else { continue };
                    let l = self.area_levels.get(i).copied().unwrap_or(RiskLevel::Low);
                    let mut p = vec![("id", s(&f.id)), ("name", s(&f.props.name))];
                    if let Some(c) = &f.props.code {
                        p.push(("code", s(c)));
                    }
                    p.extend(lv(l));
                    push(i, level_n(l), &f.geometry, self.props(kind, p));
                }
            }
            LayerKind::RiskGrid => {
                for i in self.grid_index.envelopes_in(bbox) {
                    let (Some(c), Some(g)) = (a.grid.cells.get(i), self.grid_geoms.get(i)) else {
                        continue;
                    };
                    let mut p = vec![
                        ("id", s(&c.id)),
                        (
                            "index",
                            PropValue::Double((c.index * 100.0).round() / 100.0),
                        ),
                        ("population", PropValue::UInt(c.population)),
                    ];
                    if let Some(ar) = &c.area {
                        p.push(("area", s(ar)));
                    }
                    p.extend(lv(c.level));
                    push(i, level_n(c.level), g, self.props(kind, p));
                }
            }
            LayerKind::GasPipelines => {
                for i in ds.gas_pipelines.index().envelopes_in(bbox) {
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
                    let mut p = vec![("id", s(&f.id)), ("name", s(&f.props.name))];
                    if let Some(c) = class {
                        p.push(("pressure_class", s(c.key())));
                    }
                    if let Some(v) = f.props.design_pressure_mpa {
                        p.push(("design_pressure_mpa", PropValue::Double(v)));
                    }
                    if let Some(v) = f.props.diameter_mm {
                        p.push(("diameter_mm", PropValue::Double(v)));
                    }
                    if let Some(v) = &f.props.material {
                        p.push(("material", s(v)));
                    }
                    if let Some(v) = f.props.year_laid {
                        p.push(("year_laid", PropValue::UInt(u64::from(v))));
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
                for i in ds.houses.index().envelopes_in(bbox) {
                    let (Some(f), Some(h)) = (ds.houses.get(i), a.house_risks.get(i)) else {
                        continue;
                    };
                    // What the map draws and filters on, and nothing else: a house's
                    // address, use, appraisal and reasons are in its popup, which asks
                    // `/api/feature/houses/{position}` (the feature id) for them.
                    let p = vec![("level", PropValue::String(Cow::Borrowed(h.level.name())))];
                    push(i, level_n(h.level), &f.geometry, self.props(kind, p));
                }
            }
            LayerKind::ProtectionTargets => {
                for i in ds.protection_targets.index().envelopes_in(bbox) {
                    let Some(f) = ds.protection_targets.get(i) else {
                        continue;
                    };
                    let mut p = vec![("id", s(&f.id)), ("name", s(&f.props.name))];
                    if let Some(k) = f.props.kind {
                        p.push(("kind", s(k.key())));
                    }
                    if let Some(c) = a.target_classes.get(i) {
                        p.push(("class", s(c.key())));
                    }
                    if let Some(v) = f.props.population {
                        p.push(("population", PropValue::UInt(u64::from(v))));
                    }
                    push(i, 0, &f.geometry, self.props(kind, p));
                }
            }
            LayerKind::Enterprises => {
                for i in ds.enterprises.index().envelopes_in(bbox) {
                    let (Some(f), Some(e)) = (ds.enterprises.get(i), a.enterprise_risks.get(i))
                    else {
                        continue;
                    };
                    let ep = &f.props;
                    let mut p = vec![("id", s(&f.id)), ("name", s(&ep.name))];
                    if let Some(v) = ep.industry {
                        p.push(("industry", s(v.key())));
                    }
                    if let Some(v) = ep.employees {
                        p.push(("employees", PropValue::UInt(u64::from(v))));
                    }
                    if let Some(v) = ep.declared_level {
                        p.push(("declared_level", s(v.name())));
                    }
                    if let Some(v) = &ep.park {
                        p.push(("park", s(v)));
                    }
                    p.push(("mismatch", PropValue::Bool(e.mismatch)));
                    p.push(("likelihood", PropValue::UInt(u64::from(e.likelihood))));
                    p.push(("severity", PropValue::UInt(u64::from(e.severity))));
                    p.push((
                        "open_hidden_hazards",
                        PropValue::UInt(u64::from(ep.open_hidden_hazards)),
                    ));
                    p.push((
                        "open_major_hidden_hazards",
                        PropValue::UInt(u64::from(ep.open_major_hidden_hazards)),
                    ));
                    p.push((
                        "reasons",
                        PropValue::String(Cow::Owned(
                            e.reasons
                                .iter()
                                .map(|r| r.text_zh.as_str())
                                .collect::<Vec<_>>()
                                .join("; "),
                        )),
                    ));
                    p.extend(lv(e.level));
                    push(i, level_n(e.level), &f.geometry, self.props(kind, p));
                }
            }
            LayerKind::HazardSources => {
                for i in ds.hazard_sources.index().envelopes_in(bbox) {
                    let (Some(f), Some(g)) = (ds.hazard_sources.get(i), a.hazard_grades.get(i))
                    else {
                        continue;
                    };
                    let l = g.grade.map_or(RiskLevel::Low, grade_level);
                    let mut p = vec![("id", s(&f.id)), ("name", s(&f.props.name))];
                    if let Some(e) = &f.props.enterprise_id {
                        p.push(("enterprise_id", s(e)));
                    }
                    if let Some(gr) = g.grade {
                        p.push(("grade", PropValue::UInt(u64::from(gr.number()))));
                    }
                    if let Some(d) = g.declared_grade {
                        p.push(("declared_grade", PropValue::UInt(u64::from(d.number()))));
                    }
                    p.push(("r", PropValue::Double((g.r * 100.0).round() / 100.0)));
                    p.push(("s", PropValue::Double((g.s * 1000.0).round() / 1000.0)));
                    p.push(("alpha", PropValue::Double(g.alpha)));
                    p.push(("is_major", PropValue::Bool(g.is_major)));
                    p.push(("mismatch", PropValue::Bool(g.mismatch)));
                    p.extend(lv(l));
                    push(i, level_n(l), &f.geometry, self.props(kind, p));
                }
            }
            LayerKind::ProtectionConflicts => {
                for i in self.pc_index.envelopes_in(bbox) {
                    let Some(c) = a.protection_conflicts.get(i) else {
                        continue;
                    };
                    let l = conflict_level(c.shortfall_m, c.required_m);
                    let mut p = vec![
                        ("source_id", s(&c.source_id)),
                        ("target_id", s(&c.target_id)),
                        ("target_layer", s(c.target_layer.name())),
                        ("target_class", s(c.target_class.key())),
                        (
                            "distance_m",
                            PropValue::Double((c.distance_m * 10.0).round() / 10.0),
                        ),
                        ("required_m", PropValue::Double(c.required_m)),
                        (
                            "shortfall_m",
                            PropValue::Double((c.shortfall_m * 10.0).round() / 10.0),
                        ),
                        ("rule", s(&c.rule)),
                    ];
                    p.extend(lv(l));
                    push(i, level_n(l), &c.geometry, self.props(kind, p));
                }
            }
            LayerKind::PipelineConflicts => {
                for i in self.gc_index.envelopes_in(bbox) {
                    let Some(c) = a.pipeline_conflicts.get(i) else {
                        continue;
                    };
                    let l = c.kind.level();
                    let conflict_kind = c.kind.key();
                    let mut p = vec![
                        ("pipeline_id", s(&c.pipeline_id)),
                        ("feature_id", s(&c.feature_id)),
                        ("layer", s(c.layer.name())),
                        ("kind", s(conflict_kind)),
                        ("pressure_class", s(c.pressure_class.key())),
                        (
                            "distance_m",
                            PropValue::Double((c.distance_m * 100.0).round() / 100.0),
                        ),
                        ("clearance_m", PropValue::Double(c.clearance_m)),
                        ("rule", s(&c.rule)),
                    ];
                    p.extend(lv(l));
                    push(i, level_n(l), &c.geometry, self.props(kind, p));
                }
            }
            // Drawn through their input layers (see `catalog`): no tiles of their own.
            LayerKind::HazardGrades | LayerKind::HouseRisk | LayerKind::EnterpriseRisk => {}
        }
        out.sort_by_key(|(_, f)| f.id);
        out
    }
}
