//! Per-area (town/street) summaries: counts per level, conflicts, population and the
//! worst risks of each area.

use geo::{Coord, Intersects, Point, Rect};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::points::grade_level;
use super::tally::AreaTally;
use crate::analysis::enterprise_risk::EnterpriseRisk;
use crate::analysis::hazard_grade::HazardGradeResult;
use crate::analysis::house_risk::HouseRisk;
use crate::dataset::Dataset;
use crate::model::{LayerKind, RiskLevel};

/// Name of the area holding a point.
pub fn area_holding(ds: &Dataset, p: Point<f64>) -> Option<String> {
    area_index(ds, p)
        .and_then(|i| ds.areas.get(i))
        .map(|a| a.props.name.clone())
}

/// Counts per level for one layer: `[low, general, significant, major]`.
pub type LevelCounts = [u32; 4];

/// One risk named in a summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopRisk {
    /// Layer.
    pub layer: LayerKind,
    /// Feature id.
    pub id: String,
    /// Name or address.
    pub name: String,
    /// Level.
    pub level: RiskLevel,
    /// Why, in one line.
    pub summary: String,
}

/// Summary of one town/street.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AreaSummary {
    /// Area id.
    pub id: String,
    /// Name.
    pub name: String,
    /// The area's level: the band of its index (see [`area_risk`]).
    pub level: RiskLevel,
    /// The area risk index (区域风险指数): the severity-weighted share of its land in risk
    /// grid cells, per cent (see [`area_risk`]); 0 for what lies outside every area.
    #[serde(default)]
    pub index: f64,
    /// Its land, km² (geodesic, on the WGS 84 ellipsoid).
    #[serde(default)]
    pub area_km2: f64,
    /// Enterprises per level.
    pub enterprises: LevelCounts,
    /// Houses per level.
    pub houses: LevelCounts,
    /// Grid cells per level.
    pub grid_cells: LevelCounts,
    /// Major hazard sources per grade: `[一级, 二级, 三级, 四级]`.
    pub hazard_sources_by_grade: [u32; 4],
    /// Protection-distance conflicts whose source lies in the area.
    pub protection_conflicts: u32,
    /// Pipeline occupations (违章占压) in the area.
    pub pipeline_occupations: u32,
    /// Pipeline clearance conflicts (too close) in the area.
    pub pipeline_too_close: u32,
    /// Exposed population.
    pub population: u64,
    /// The worst risks, at most ten.
    pub top_risks: Vec<TopRisk>,
}

/// An area's risk index and level (docs/rules.md, 区域风险等级): the share of its land that
/// lies in grid cells of each level, weighted by `grid.area_weight`, in per cent —
/// `100 · Σ_level area_weight(level) · cells(level) · cell_m2 / area_m2` — banded by
/// `grid.area_bands`. Density and severity both count: a town with ten red cells on 20 km²
/// ranks above one with ten on 80 km², and red cells above yellow ones; a town is no
/// longer 重大 merely because it holds one red cell somewhere. Cells are those of the
/// grid (each risk's reach), counted in the area holding their centre; `cell_m2` is the
/// average area of the grid's H3 resolution.
pub fn area_risk(
    cells: &LevelCounts,
    cell_m2: f64,
    area_m2: f64,
    rules: &crate::rules::GridRules,
) -> (f64, RiskLevel) {
    if area_m2.is_nan() || area_m2 <= 0.0 {
        return (0.0, RiskLevel::Low);
    }
    let w = &rules.area_weight;
    let weighted: f64 = [
        RiskLevel::Low,
        RiskLevel::General,
        RiskLevel::Significant,
        RiskLevel::Major,
    ]
    .into_iter()
    .map(|l| w.get(l) * f64::from(cells[super::points::level_slot(l)]))
    .sum();
    let index = 100.0 * weighted * cell_m2 / area_m2;
    (index, rules.area_bands.level(index))
}

/// The average area of one cell of the grid the rules ask for, m².
pub fn cell_m2(rules: &crate::rules::GridRules) -> f64 {
    super::h3::H3Grid::for_cell_size(rules.cell_size_m)
        .resolution
        .area_m2()
}

/// Position of the area holding a point (the first by position where areas overlap).
pub fn area_index(ds: &Dataset, p: Point<f64>) -> Option<usize> {
    let r = Rect::new(p.0, p.0);
    ds.areas
        .index()
        .envelopes_in(r)
        .filter(|&i| ds.areas.get(i).is_some_and(|a| a.geometry.intersects(&p)))
        .min()
}

/// Per-area summaries, in area order, plus one named `(outside any area)` at the end if
/// anything falls outside every area. A feature belongs to the area holding its
/// representative point (inside polygons; the closest point to the source for conflicts).
pub fn summarise_areas(
    ds: &Dataset,
    results: &crate::analysis::Analysis,
    rules: &crate::rules::GridRules,
    house_anchors: &[Option<Coord<f64>>],
) -> Vec<AreaSummary> {
    let started = std::time::Instant::now();
    let slots = house_slots(ds, house_anchors);
    tracing::debug!(
        ms = started.elapsed().as_millis() as u64,
        "area summaries: houses located"
    );
    summarise_located(ds, results, rules, &slots)
}

/// [`summarise_areas`] with the houses already located ([`house_slots`]): the caller can
/// drop the houses' anchors first.
pub(crate) fn summarise_located(
    ds: &Dataset,
    results: &crate::analysis::Analysis,
    rules: &crate::rules::GridRules,
    house_slots: &[usize],
) -> Vec<AreaSummary> {
    let mut locate = |c| area_index(ds, Point::from(c));
    AreaTally::sums_only(ds, results, house_slots, &mut locate).summaries(ds, results, rules)
}

/// The area of every house (its position in the areas layer, or the number of areas for
/// none): what [`summarise_areas`] locates first, kept by a living map between changes.
pub(crate) fn house_slots(ds: &Dataset, house_anchors: &[Option<Coord<f64>>]) -> Vec<usize> {
    // A million houses: locate them in parallel, with the room a living map keeps for
    // houses added later.
    let n = house_anchors.len();
    let mut out = Vec::with_capacity(crate::heap::with_room(n));
    out.par_extend(house_anchors.par_iter().map(|a| house_slot(ds, *a)));
    out
}

/// The area of one house (see [`house_slots`]).
pub(crate) fn house_slot(ds: &Dataset, anchor: Option<Coord<f64>>) -> usize {
    anchor
        .and_then(|c| area_index(ds, Point::from(c)))
        .unwrap_or(ds.areas.len())
}

/// Risks named per area.
pub(super) const TOP: usize = 10;

/// The name of the summary of what lies outside every area.
pub(super) const OUTSIDE: &str = "(outside any area)";

pub(super) fn top_risk(
    ds: &Dataset,
    grades: &[HazardGradeResult],
    enterprises: &[EnterpriseRisk],
    houses: &[HouseRisk],
    layer: LayerKind,
    pos: usize,
) -> Option<TopRisk> {
    Some(match layer {
        LayerKind::Enterprises => {
            let (f, e) = (ds.enterprises.get(pos)?, enterprises.get(pos)?);
            TopRisk {
                layer,
                id: f.id.clone(),
                name: f.props.name.clone(),
                level: e.level,
                summary: format!("L{} × S{}", e.likelihood, e.severity),
            }
        }
        LayerKind::Houses => {
            let (f, h) = (ds.houses.get(pos)?, houses.get(pos)?);
            TopRisk {
                layer,
                id: f.id.clone(),
                name: f.props.address.to_string(),
                level: h.level,
                summary: h
                    .reasons
                    .iter()
                    .map(|r| &*r.text_zh)
                    .collect::<Vec<_>>()
                    .join("; "),
            }
        }
        LayerKind::HazardSources => {
            let (f, g) = (ds.hazard_sources.get(pos)?, grades.get(pos)?);
            let grade = g.grade?;
            TopRisk {
                layer,
                id: f.id.clone(),
                name: f.props.name.clone(),
                level: grade_level(grade),
                summary: format!("{} R = {:.1}", grade.name_zh(), g.r),
            }
        }
        _ => return None,
    })
}

/// A summary with nothing counted yet.
pub(crate) fn empty_summary(id: &str, name: &str) -> AreaSummary {
    AreaSummary {
        id: id.to_string(),
        name: name.to_string(),
        level: RiskLevel::Low,
        index: 0.0,
        area_km2: 0.0,
        enterprises: [0; 4],
        houses: [0; 4],
        grid_cells: [0; 4],
        hazard_sources_by_grade: [0; 4],
        protection_conflicts: 0,
        pipeline_occupations: 0,
        pipeline_too_close: 0,
        population: 0,
        top_risks: Vec::new(),
    }
}
