//! Per-area (town/street) summaries: counts per level, conflicts, population and the
//! worst risks of each area.

use std::collections::HashMap;

use geo::{Coord, Geometry, Intersects, Point, Rect};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::points::{anchor, grade_level, level_slot};
use crate::analysis::enterprise_risk::EnterpriseRisk;
use crate::analysis::hazard_grade::HazardGradeResult;
use crate::analysis::house_risk::HouseRisk;
use crate::analysis::pipeline_clearance::PipelineConflictKind;
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
    /// Worst grid level in the area.
    pub level: RiskLevel,
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
    house_anchors: &[Option<Coord<f64>>],
) -> Vec<AreaSummary> {
    let started = std::time::Instant::now();
    let slots = house_slots(ds, house_anchors);
    tracing::debug!(
        ms = started.elapsed().as_millis() as u64,
        "area summaries: houses located"
    );
    summarise_with_slots(ds, results, &slots, &mut |c| area_index(ds, Point::from(c)))
}

/// The area of every house (its position in the areas layer, or the number of areas for
/// none): what [`summarise_areas`] locates first, kept by a living map between changes.
pub(crate) fn house_slots(ds: &Dataset, house_anchors: &[Option<Coord<f64>>]) -> Vec<usize> {
    // A million houses: locate them in parallel.
    house_anchors
        .par_iter()
        .map(|a| house_slot(ds, *a))
        .collect()
}

/// The area of one house (see [`house_slots`]).
pub(crate) fn house_slot(ds: &Dataset, anchor: Option<Coord<f64>>) -> usize {
    anchor
        .and_then(|c| area_index(ds, Point::from(c)))
        .unwrap_or(ds.areas.len())
}

/// [`summarise_areas`] with the houses already located, and `locate` giving the area of
/// any other point ([`area_index`], or a memo of it).
pub(crate) fn summarise_with_slots(
    ds: &Dataset,
    results: &crate::analysis::Analysis,
    house_slots: &[usize],
    locate: &mut dyn FnMut(Coord<f64>) -> Option<usize>,
) -> Vec<AreaSummary> {
    let grades = &results.hazard_grades;
    let enterprises = &results.enterprise_risks;
    let houses = &results.house_risks;
    let protection = &results.protection_conflicts;
    let pipelines = &results.pipeline_conflicts;
    let grid = &results.grid;
    const OUTSIDE: &str = "(outside any area)";
    let n_areas = ds.areas.len();
    let mut out: Vec<AreaSummary> = ds
        .areas
        .features()
        .iter()
        .map(|f| empty_summary(&f.id, &f.props.name))
        .collect();
    out.push(empty_summary("", OUTSIDE));
    let mut slot = |g: &Geometry<f64>| anchor(g).and_then(&mut *locate).unwrap_or(n_areas);
    // (level, score, layer, position) of candidate top risks per area; texts are built
    // only for the ten kept.
    let mut tops: Vec<Vec<(RiskLevel, f64, LayerKind, usize)>> = vec![Vec::new(); n_areas + 1];
    for (pos, (f, e)) in ds
        .enterprises
        .features()
        .iter()
        .zip(enterprises)
        .enumerate()
    {
        let a = slot(&f.geometry);
        out[a].enterprises[level_slot(e.level)] += 1;
        tops[a].push((
            e.level,
            f64::from(e.likelihood * e.severity),
            LayerKind::Enterprises,
            pos,
        ));
    }
    for (pos, ((f, h), a)) in ds
        .houses
        .features()
        .iter()
        .zip(houses)
        .zip(house_slots.iter().copied())
        .enumerate()
    {
        out[a].houses[level_slot(h.level)] += 1;
        out[a].population += u64::from(f.props.occupants.unwrap_or(0));
        if h.level >= RiskLevel::Significant {
            keep_top(
                &mut tops[a],
                (h.level, h.reasons.len() as f64, LayerKind::Houses, pos),
            );
        }
    }
    for (pos, (f, g)) in ds.hazard_sources.features().iter().zip(grades).enumerate() {
        if let Some(grade) = g.grade {
            let a = slot(&f.geometry);
            out[a].hazard_sources_by_grade[usize::from(grade.number() - 1)] += 1;
            tops[a].push((grade_level(grade), g.r, LayerKind::HazardSources, pos));
        }
    }
    for c in protection {
        // The conflict line starts on the source.
        let at = match &c.geometry {
            Geometry::LineString(ls) => ls.0.first().map(|c| Geometry::Point(Point::from(*c))),
            g => Some(g.clone()),
        };
        if let Some(g) = at {
            out[slot(&g)].protection_conflicts += 1;
        }
    }
    for c in pipelines {
        let a = slot(&c.geometry);
        match c.kind {
            PipelineConflictKind::Occupation => out[a].pipeline_occupations += 1,
            PipelineConflictKind::TooClose => out[a].pipeline_too_close += 1,
        }
    }
    for f in ds.protection_targets.features() {
        out[slot(&f.geometry)].population += u64::from(f.props.population.unwrap_or(0));
    }
    let by_name: HashMap<&str, usize> = ds
        .areas
        .features()
        .iter()
        .enumerate()
        .map(|(i, f)| (f.props.name.as_str(), i))
        .collect();
    for cell in &grid.cells {
        let a = cell
            .area
            .as_deref()
            .and_then(|n| by_name.get(n).copied())
            .unwrap_or(n_areas);
        out[a].grid_cells[level_slot(cell.level)] += 1;
        out[a].level = out[a].level.max(cell.level);
    }
    for (a, mut list) in tops.into_iter().enumerate() {
        list.sort_by(top_order);
        list.truncate(TOP);
        out[a].top_risks = list
            .into_iter()
            .filter_map(|(_, _, layer, pos)| top_risk(ds, grades, enterprises, houses, layer, pos))
            .collect();
    }
    let outside = &out[n_areas];
    if outside
        .enterprises
        .iter()
        .chain(&outside.houses)
        .chain(&outside.grid_cells)
        .all(|&n| n == 0)
        && outside.hazard_sources_by_grade.iter().all(|&n| n == 0)
        && outside.protection_conflicts + outside.pipeline_occupations + outside.pipeline_too_close
            == 0
    {
        out.pop();
    }
    out
}

/// Risks named per area.
const TOP: usize = 10;

type Candidate = (RiskLevel, f64, LayerKind, usize);

/// Worst first: level, then score, then layer and position (a total order, so the first
/// ten are the same however the candidates came).
fn top_order(x: &Candidate, y: &Candidate) -> std::cmp::Ordering {
    y.0.cmp(&x.0)
        .then(y.1.total_cmp(&x.1))
        .then((x.2, x.3).cmp(&(y.2, y.3)))
}

/// Keeps `c` if it is among the `TOP` worst so far (the list stays sorted and short: a
/// million houses are not collected to keep ten).
fn keep_top(list: &mut Vec<Candidate>, c: Candidate) {
    if list.len() == TOP
        && list
            .last()
            .is_some_and(|w| top_order(&c, w) != std::cmp::Ordering::Less)
    {
        return;
    }
    let at = list.partition_point(|x| top_order(x, &c) == std::cmp::Ordering::Less);
    list.insert(at, c);
    list.truncate(TOP);
}

fn top_risk(
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
                name: f.props.address.clone(),
                level: h.level,
                summary: h
                    .reasons
                    .iter()
                    .map(|r| r.text_zh.as_str())
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

fn empty_summary(id: &str, name: &str) -> AreaSummary {
    AreaSummary {
        id: id.to_string(),
        name: name.to_string(),
        level: RiskLevel::Low,
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
