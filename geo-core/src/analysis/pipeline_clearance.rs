//! 燃气管道安全间距 — footprints too close to, or on top of, urban gas pipes.
//!
//! For every pipe with a known pressure class (given, or derived from its design
//! pressure), every house, enterprise site (polygons only: a point is not a footprint)
//! and protection target whose footprint lies within the pipe's minimum horizontal
//! clearance (GB 50028-2006 Table 6.3.3-1) is *too close*; within the minimum
//! protection range either side of the pipe (CJJ 51-2016) it is *occupation* (违章占压).
//!
//! Pipes are searched segment by segment, so a long pipe does not drag every feature
//! of its bounding box into the search.

use std::collections::BTreeMap;

use geo::{Geometry, Line, LineString};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::dataset::{Dataset, Layer};
use crate::geodesy::closest_points;
use crate::layer::Within;
use crate::model::{Feature, LayerKind, PressureClass};
use crate::rules::Rules;

/// Occupation or too close.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PipelineConflictKind {
    /// Inside the minimum protection range (违章占压).
    Occupation,
    /// Inside the minimum horizontal clearance (间距不足).
    TooClose,
}

impl PipelineConflictKind {
    /// The key used in files and tiles.
    pub fn key(self) -> &'static str {
        match self {
            PipelineConflictKind::Occupation => "occupation",
            PipelineConflictKind::TooClose => "too_close",
        }
    }

    /// The colour a conflict is drawn and weighed with: occupation orange, too close
    /// yellow (a display and grid choice of this project).
    pub fn level(self) -> crate::model::RiskLevel {
        match self {
            PipelineConflictKind::Occupation => crate::model::RiskLevel::Significant,
            PipelineConflictKind::TooClose => crate::model::RiskLevel::General,
        }
    }

    /// 中文名
    pub fn name_zh(self) -> &'static str {
        match self {
            PipelineConflictKind::Occupation => "违章占压",
            PipelineConflictKind::TooClose => "间距不足",
        }
    }
}

/// A footprint too close to a pipe.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PipelineConflict {
    /// Pipe id.
    pub pipeline_id: String,
    /// Pipe position.
    pub pipeline_pos: usize,
    /// Pressure class applied.
    pub pressure_class: PressureClass,
    /// `houses`, `enterprises` or `protection_targets`.
    pub layer: LayerKind,
    /// Feature id.
    pub feature_id: String,
    /// Feature position.
    pub feature_pos: usize,
    /// Minimum geodesic distance from the pipe's centreline to the footprint, metres.
    pub distance_m: f64,
    /// Clearance required, metres.
    pub clearance_m: f64,
    /// Protection range, metres.
    pub protection_range_m: f64,
    /// Which.
    pub kind: PipelineConflictKind,
    /// Rule id.
    pub rule: String,
    /// Closest pair from pipe to footprint (a point where the pipe runs under it).
    #[serde(skip)]
    pub geometry: Geometry<f64>,
}

/// The class a pipe is checked with.
pub fn pipe_class(p: &crate::model::GasPipeline) -> Option<PressureClass> {
    p.pressure_class
        .or_else(|| p.design_pressure_mpa.and_then(PressureClass::from_mpa))
}

/// Finds every conflict; sorted by pipe, layer, feature.
pub fn find_conflicts(ds: &Dataset, rules: &Rules) -> Vec<PipelineConflict> {
    let mut out: Vec<PipelineConflict> = (0..ds.gas_pipelines.len())
        .into_par_iter()
        .flat_map_iter(|pipe_pos| pipe_conflicts(ds, pipe_pos, rules))
        .collect();
    sort(&mut out);
    out
}

/// The order of the conflict list: pipe position, layer, feature position.
pub(crate) fn sort(list: &mut [PipelineConflict]) {
    list.sort_by(|a, b| {
        (a.pipeline_pos, a.layer, a.feature_pos).cmp(&(b.pipeline_pos, b.layer, b.feature_pos))
    });
}

/// What a pipe of a class requires: clearance, protection range, and the larger.
fn distances(rules: &Rules, class: PressureClass) -> (f64, f64, f64) {
    let pr = &rules.pipeline;
    let clearance = pr.clearance_m.get(class);
    let range = pr.protection_range_m.get(class);
    (clearance, range, clearance.max(range))
}

/// The farthest any pipe reaches: a feature farther than this from every pipe has no
/// conflict.
pub(crate) fn max_reach(rules: &Rules) -> f64 {
    PressureClass::ALL
        .iter()
        .map(|c| distances(rules, *c).2)
        .fold(0.0, f64::max)
}

/// The conflicts of one pipe, by layer and feature position.
pub(crate) fn pipe_conflicts(
    ds: &Dataset,
    pipe_pos: usize,
    rules: &Rules,
) -> Vec<PipelineConflict> {
    let Some(pipe) = ds.gas_pipelines.get(pipe_pos) else {
        return Vec::new();
    };
    let Some(class) = pipe_class(&pipe.props) else {
        return Vec::new();
    };
    let (clearance, range, reach) = distances(rules, class);
    let mut best: BTreeMap<(LayerKind, usize), PipelineConflict> = BTreeMap::new();
    for seg in segments(&pipe.geometry) {
        let seg_geom = Geometry::Line(seg);
        let mut check = |layer: LayerKind, pos: usize, id: &str, g: &Geometry<f64>| {
            let Some(c) = candidate(
                pipe,
                pipe_pos,
                class,
                (clearance, range, reach),
                &seg_geom,
                layer,
                pos,
                id,
                g,
            ) else {
                return;
            };
            let e = best.entry((layer, pos)).or_insert_with(|| c.clone());
            if c.distance_m < e.distance_m {
                *e = c;
            }
        };
        visit(&ds.houses, &seg_geom, reach, false, &mut check);
        visit(&ds.enterprises, &seg_geom, reach, true, &mut check);
        visit(&ds.protection_targets, &seg_geom, reach, false, &mut check);
    }
    best.into_values().collect()
}

/// The conflict between one pipe and one feature, if any: the same decision
/// [`find_conflicts`] makes for the pair (segment by segment, the nearest kept).
pub(crate) fn pair_conflict(
    ds: &Dataset,
    pipe_pos: usize,
    layer: LayerKind,
    pos: usize,
    rules: &Rules,
) -> Option<PipelineConflict> {
    let pipe = ds.gas_pipelines.get(pipe_pos)?;
    let class = pipe_class(&pipe.props)?;
    let (clearance, range, reach) = distances(rules, class);
    let (id, g, polygons_only) = match layer {
        LayerKind::Houses => ds.houses.get(pos).map(|f| (&f.id, &f.geometry, false))?,
        LayerKind::Enterprises => ds
            .enterprises
            .get(pos)
            .map(|f| (&f.id, &f.geometry, true))?,
        LayerKind::ProtectionTargets => ds
            .protection_targets
            .get(pos)
            .map(|f| (&f.id, &f.geometry, false))?,
        // Only these layers stand on pipes.
        LayerKind::Areas
        | LayerKind::HiddenHazards
        | LayerKind::HazardSources
        | LayerKind::GasPipelines
        | LayerKind::HazardGrades
        | LayerKind::ProtectionConflicts
        | LayerKind::PipelineConflicts
        | LayerKind::HouseRisk
        | LayerKind::EnterpriseRisk
        | LayerKind::RiskGrid => return None,
    };
    if polygons_only && !is_polygonal(g) {
        return None;
    }
    let mut best: Option<PipelineConflict> = None;
    for seg in segments(&pipe.geometry) {
        let seg_geom = Geometry::Line(seg);
        if !Within::new(&seg_geom, reach).is_some_and(|w| w.holds(g)) {
            continue;
        }
        let Some(c) = candidate(
            pipe,
            pipe_pos,
            class,
            (clearance, range, reach),
            &seg_geom,
            layer,
            pos,
            id,
            g,
        ) else {
            continue;
        };
        if best.as_ref().is_none_or(|b| c.distance_m < b.distance_m) {
            best = Some(c);
        }
    }
    best
}

/// The conflict of one segment of a pipe with one feature found near it, if the closest
/// pair is within the pipe's reach.
#[allow(clippy::too_many_arguments)]
fn candidate(
    pipe: &Feature<crate::model::GasPipeline>,
    pipe_pos: usize,
    class: PressureClass,
    (clearance, range, reach): (f64, f64, f64),
    seg_geom: &Geometry<f64>,
    layer: LayerKind,
    pos: usize,
    id: &str,
    g: &Geometry<f64>,
) -> Option<PipelineConflict> {
    let pair = closest_points(seg_geom, g)?;
    if pair.distance_m > reach {
        return None;
    }
    let (kind, rule) = if pair.distance_m <= range {
        (
            PipelineConflictKind::Occupation,
            format!("CJJ51-2016/protection_range/{}", class.key()),
        )
    } else {
        (
            PipelineConflictKind::TooClose,
            format!("GB50028-2006/T6.3.3-1/{}", class.key()),
        )
    };
    let geometry = if pair.distance_m > 0.0 {
        Geometry::LineString(LineString::from(vec![pair.on_a.0, pair.on_b.0]))
    } else {
        Geometry::Point(pair.on_a)
    };
    Some(PipelineConflict {
        pipeline_id: pipe.id.clone(),
        pipeline_pos: pipe_pos,
        pressure_class: class,
        layer,
        feature_id: id.to_string(),
        feature_pos: pos,
        distance_m: pair.distance_m,
        clearance_m: clearance,
        protection_range_m: range,
        kind,
        rule,
        geometry,
    })
}

fn is_polygonal(g: &Geometry<f64>) -> bool {
    matches!(g, Geometry::Polygon(_) | Geometry::MultiPolygon(_))
}

fn visit<P>(
    layer: &Layer<P>,
    seg: &Geometry<f64>,
    reach: f64,
    polygons_only: bool,
    check: &mut impl FnMut(LayerKind, usize, &str, &Geometry<f64>),
) {
    for pos in layer.positions_within(seg, reach) {
        let Some(f): Option<&Feature<P>> = layer.get(pos) else {
            continue;
        };
        if polygons_only && !is_polygonal(&f.geometry) {
            continue;
        }
        check(layer.kind(), pos, &f.id, &f.geometry);
    }
}

fn segments(g: &Geometry<f64>) -> Vec<Line<f64>> {
    match g {
        Geometry::LineString(ls) => ls.lines().collect(),
        Geometry::MultiLineString(mls) => mls.0.iter().flat_map(|ls| ls.lines()).collect(),
        Geometry::Line(l) => vec![*l],
        _ => Vec::new(),
    }
}

#[cfg(test)]
#[allow(clippy::field_reassign_with_default)]
mod tests {
    use super::*;
    use crate::analysis::testutil::{feat, line, pt, rect};
    use crate::model::{Enterprise, GasPipeline, House, ProtectionTarget};

    #[test]
    fn occupation_and_too_close_by_class() {
        let mut ds = Dataset::default();
        ds.gas_pipelines = Layer::new(
            LayerKind::GasPipelines,
            vec![
                // 次高压A by design pressure 1.2 MPa: clearance 13.5 m, range 1.5 m.
                feat(
                    "p-sub",
                    line(&[(0.0, 0.0), (500.0, 0.0), (500.0, 500.0)]),
                    GasPipeline {
                        design_pressure_mpa: Some(1.2),
                        ..Default::default()
                    },
                ),
                // 中压B given: clearance 1.0 m, range 0.5 m.
                feat(
                    "p-med",
                    line(&[(0.0, 1000.0), (400.0, 1000.0)]),
                    GasPipeline {
                        pressure_class: Some(PressureClass::MediumB),
                        ..Default::default()
                    },
                ),
                // No class, no pressure: not checked (the loader reports it).
                feat(
                    "p-none",
                    line(&[(0.0, 2000.0), (400.0, 2000.0)]),
                    GasPipeline::default(),
                ),
            ],
        );
        ds.houses = Layer::new(
            LayerKind::Houses,
            vec![
                // Straddles p-sub: occupation, distance 0.
                feat("h-on", rect(100.0, -5.0, 110.0, 5.0), House::default()),
                // 10 m north of p-sub: too close (13.5 m).
                feat("h-10", rect(200.0, 10.0, 210.0, 20.0), House::default()),
                // 14 m east of the vertical leg: clear.
                feat("h-14", rect(514.0, 200.0, 524.0, 210.0), House::default()),
                // 0.8 m from p-med: too close (1.0 m) but outside its 0.5 m range.
                feat(
                    "h-med",
                    rect(100.0, 1000.8, 110.0, 1010.0),
                    House::default(),
                ),
                // On p-none: unchecked.
                feat(
                    "h-none",
                    rect(100.0, 1995.0, 110.0, 2005.0),
                    House::default(),
                ),
            ],
        );
        ds.enterprises = Layer::new(
            LayerKind::Enterprises,
            vec![
                // A point enterprise on the pipe: not a footprint, never reported.
                feat("e-pt", pt(300.0, 0.0), Enterprise::default()),
                // A site 1.0 m from the pipe: occupation (≤ 1.5 m).
                feat(
                    "e-site",
                    rect(300.0, 1.0, 400.0, 50.0),
                    Enterprise::default(),
                ),
            ],
        );
        ds.protection_targets = Layer::new(
            LayerKind::ProtectionTargets,
            vec![feat(
                "school",
                rect(490.0, 300.0, 499.0, 320.0),
                ProtectionTarget::default(),
            )],
        );
        let c = find_conflicts(&ds, &Rules::default());
        let got: Vec<(&str, &str, PipelineConflictKind, f64)> = c
            .iter()
            .map(|c| {
                (
                    c.pipeline_id.as_str(),
                    c.feature_id.as_str(),
                    c.kind,
                    (c.distance_m * 10.0).round() / 10.0,
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("p-sub", "e-site", PipelineConflictKind::Occupation, 1.0),
                ("p-sub", "h-on", PipelineConflictKind::Occupation, 0.0),
                ("p-sub", "h-10", PipelineConflictKind::TooClose, 10.0),
                ("p-sub", "school", PipelineConflictKind::Occupation, 1.0),
                ("p-med", "h-med", PipelineConflictKind::TooClose, 0.8),
            ]
        );
        assert_eq!(c[2].rule, "GB50028-2006/T6.3.3-1/sub_high_a");
        assert_eq!(c[1].rule, "CJJ51-2016/protection_range/sub_high_a");
        assert_eq!(c[4].clearance_m, 1.0);
    }
}
