//! The grid's cells and their risk index: contributions of risk points and of the many
//! small risks within their radius, exposed population, banding and flooring.

use std::collections::HashMap;

use geo::{BoundingRect, Coord, Geometry, Intersects, Point, Polygon};
use h3o::CellIndex;
use rayon::prelude::*;
use serde::Serialize;

use super::areas::area_holding;
use super::h3::H3Grid;
use super::points::{anchor, grade_level, level_slot};
use crate::analysis::enterprise_risk::EnterpriseRisk;
use crate::analysis::hazard_grade::HazardGradeResult;
use crate::analysis::house_risk::HouseRisk;
use crate::analysis::pipeline_clearance::PipelineConflict;
use crate::dataset::Dataset;
use crate::model::{LayerKind, RiskLevel};
use crate::rules::Rules;

/// One hex cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GridCell {
    /// The H3 cell index in its usual hexadecimal form (`88309a4a07fffff`), which
    /// PostGIS (h3-pg), DuckDB (h3 extension) and kepler.gl read.
    pub id: String,
    /// Risk index: the sum of the three parts below.
    pub index: f64,
    /// The part of the risk points (hazard sources, enterprises): Σ weight·(1 − d/r).
    pub from_points: f64,
    /// The part of the many small risks (houses, pipeline conflicts):
    /// `many_weight · ln(1 + Σ weight·(1 − d/r))`.
    pub from_many: f64,
    /// The part of the exposed population: `population_weight · ln(1 + population)`.
    pub from_population: f64,
    /// The level the index's band gives, before flooring.
    pub banded: RiskLevel,
    /// Level after banding and flooring.
    pub level: RiskLevel,
    /// Exposed population in the cell.
    pub population: u64,
    /// Risks (hazard sources, enterprises, houses, pipeline conflicts) inside the cell,
    /// per level: `[low, general, significant, major]`.
    pub inside_by_level: [u32; 4],
    /// The largest contributors: `(layer, id, contribution)`.
    pub top: Vec<(LayerKind, String, f64)>,
    /// Name of the area holding the cell's centre, if any.
    pub area: Option<String>,
    /// Hexagon, lon/lat.
    #[serde(skip)]
    pub geometry: Polygon<f64>,
}

/// The grid: only the cells some risk or some exposed person reaches.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RiskGrid {
    /// Circumradius of the hexagons the rules ask for, metres.
    pub cell_size_m: f64,
    /// The H3 resolution matching it ([`resolution_for`](super::resolution_for)).
    pub h3_resolution: u8,
    /// Cells, sorted by H3 index.
    pub cells: Vec<GridCell>,
}

#[derive(Default)]
pub(super) struct Acc {
    /// Σ weight·decay of point risks (hazard sources, enterprises).
    pub(super) index: f64,
    /// Σ weight·decay of the many small risks (houses, pipeline conflicts), taken as a
    /// logarithm so that a dense village does not outweigh a chemical plant.
    pub(super) many: f64,
    pub(super) inside: [u32; 4],
    pub(super) worst: Option<RiskLevel>,
    pub(super) top: Vec<(f64, LayerKind, usize)>,
    pub(super) population: u64,
}

/// What one risk does to the grid: the cell holding it and the cells it reaches, with
/// their distance.
pub(super) struct Reach {
    pub(super) at: Option<CellIndex>,
    pub(super) cells: Vec<(CellIndex, f64)>,
}

pub(super) fn reach(grid: &H3Grid, p: Coord<f64>, weight: f64, radius: f64) -> Reach {
    Reach {
        at: grid.cell_at(p),
        cells: if weight > 0.0 {
            grid.cells_within(p, radius)
        } else {
            Vec::new()
        },
    }
}

/// Builds the grid (`house_anchors` from [`house_anchors`](super::house_anchors)).
///
/// The cells are those holding or reached by a risk, or holding exposed population, so
/// the cost grows with the features and their radii, never with the extent; where areas
/// are loaded, only cells meeting an area are kept (the map covers the towns/streets).
pub fn build_grid(
    ds: &Dataset,
    grades: &[HazardGradeResult],
    enterprises: &[EnterpriseRisk],
    houses: &[HouseRisk],
    pipelines: &[PipelineConflict],
    house_anchors: &[Option<Coord<f64>>],
    rules: &Rules,
) -> RiskGrid {
    let started = std::time::Instant::now();
    let gr = &rules.grid;
    let grid = H3Grid::for_cell_size(gr.cell_size_m);
    let mut acc: HashMap<CellIndex, Acc> = HashMap::new();
    // `point`: a risk point (hazard source, enterprise) that adds to the index directly and
    // floors its cell's level; otherwise one of the many small risks.
    let mut merge = |layer: LayerKind,
                     pos: usize,
                     r: Reach,
                     level: RiskLevel,
                     weight: f64,
                     radius: f64,
                     point: bool| {
        for (h, d) in r.cells {
            let c = weight * (1.0 - d / radius);
            if c <= 0.0 {
                continue;
            }
            let e = acc.entry(h).or_default();
            if point {
                e.index += c;
                e.top.push((c, layer, pos));
                if e.top.len() > 12 {
                    trim_top(&mut e.top);
                }
            } else {
                e.many += c;
            }
        }
        if let Some(at) = r.at {
            let e = acc.entry(at).or_default();
            e.inside[level_slot(level)] += 1;
            if point {
                e.worst = Some(e.worst.map_or(level, |w| w.max(level)));
            }
        }
    };
    // Houses are reached in parallel, then added in order so that the sums do not depend
    // on the thread count. A town's houses share a few cells: the cells around each are
    // found once (`candidates`) and each house only measures its distance to them.
    let house_at: Vec<Option<CellIndex>> = house_anchors
        .par_iter()
        .map(|a| a.and_then(|p| grid.cell_at(p)))
        .collect();
    let mut occupied: Vec<CellIndex> = house_at.iter().flatten().copied().collect();
    occupied.par_sort_unstable();
    occupied.dedup();
    let around: HashMap<CellIndex, Vec<(CellIndex, Coord<f64>)>> = occupied
        .into_par_iter()
        .map(|c| (c, grid.candidates(c, gr.house_radius_m)))
        .collect();
    let house_reach: Vec<Option<Reach>> = houses
        .par_iter()
        .zip(house_anchors)
        .zip(&house_at)
        .map(|((h, a), at)| {
            let (p, at) = (a.as_ref()?, (*at)?);
            let cells = if gr.house_weight.get(h.level) > 0.0 {
                let near = around.get(&at).map_or(&[][..], Vec::as_slice);
                grid.cells_within_of(*p, gr.house_radius_m, near)
            } else {
                Vec::new()
            };
            Some(Reach {
                at: Some(at),
                cells,
            })
        })
        .collect();
    let mut house_cells: Vec<Option<CellIndex>> = Vec::with_capacity(houses.len());
    for (pos, (h, r)) in houses.iter().zip(house_reach).enumerate() {
        house_cells.push(r.as_ref().and_then(|r| r.at));
        if let Some(r) = r {
            merge(
                LayerKind::Houses,
                pos,
                r,
                h.level,
                gr.house_weight.get(h.level),
                gr.house_radius_m,
                false,
            );
        }
    }
    let mut add = |layer: LayerKind,
                   pos: usize,
                   g: &Geometry<f64>,
                   level: RiskLevel,
                   weight: f64,
                   radius: f64,
                   point: bool| {
        if let Some(a) = anchor(g) {
            merge(
                layer,
                pos,
                reach(&grid, a, weight, radius),
                level,
                weight,
                radius,
                point,
            );
        }
    };
    for (pos, (f, g)) in ds.hazard_sources.features().iter().zip(grades).enumerate() {
        if let Some(grade) = g.grade {
            let l = grade_level(grade);
            add(
                LayerKind::HazardSources,
                pos,
                &f.geometry,
                l,
                gr.weight.get(l),
                gr.hazard_radius_m,
                true,
            );
        }
    }
    for (pos, (f, e)) in ds
        .enterprises
        .features()
        .iter()
        .zip(enterprises)
        .enumerate()
    {
        add(
            LayerKind::Enterprises,
            pos,
            &f.geometry,
            e.level,
            gr.weight.get(e.level),
            gr.enterprise_radius_m,
            true,
        );
    }
    for c in pipelines {
        let l = c.kind.level();
        add(
            LayerKind::GasPipelines,
            c.pipeline_pos,
            &c.geometry,
            l,
            gr.pipeline_conflict_weight,
            gr.house_radius_m,
            false,
        );
    }
    // Population by the cell of each house and target.
    for (f, at) in ds.houses.features().iter().zip(&house_cells) {
        if let Some(at) = at {
            acc.entry(*at).or_default().population += u64::from(f.props.occupants.unwrap_or(0));
        }
    }
    for f in ds.protection_targets.features() {
        if let Some(at) = anchor(&f.geometry).and_then(|a| grid.cell_at(a)) {
            acc.entry(at).or_default().population += u64::from(f.props.population.unwrap_or(0));
        }
    }
    tracing::debug!(
        ms = started.elapsed().as_millis() as u64,
        cells = acc.len(),
        "risk grid: contributions and population"
    );
    let mut reached: Vec<(CellIndex, Acc)> = acc.into_iter().collect();
    reached.sort_by_key(|(h, _)| u64::from(*h));
    let cells: Vec<GridCell> = reached
        .into_par_iter()
        .filter_map(|(h, a)| finish(ds, &grid, h, a, rules))
        .collect();
    RiskGrid {
        cell_size_m: gr.cell_size_m,
        h3_resolution: u8::from(grid.resolution),
        cells,
    }
}

/// A cell from what reached it: its index, level and top contributors, or `None` where
/// areas are loaded and the cell meets none of them.
pub(super) fn finish(
    ds: &Dataset,
    grid: &H3Grid,
    h: CellIndex,
    a: Acc,
    rules: &Rules,
) -> Option<GridCell> {
    let gr = &rules.grid;
    let poly = grid.polygon(h);
    let area = area_holding(ds, Point::from(grid.centre(h)));
    // Where areas are loaded the map covers them: a cell is kept when it meets one.
    let keep = ds.areas.is_empty()
        || area.is_some()
        || poly.bounding_rect().is_some_and(|b| {
            ds.areas.index().envelopes_in(b).any(|i| {
                ds.areas
                    .get(i)
                    .is_some_and(|f| f.geometry.intersects(&poly))
            })
        });
    if !keep {
        return None;
    }
    let from_many = gr.many_weight * a.many.ln_1p();
    let from_population = gr.population_weight * (a.population as f64).ln_1p();
    let index = a.index + from_many + from_population;
    let banded = gr.bands.level(index);
    let mut level = banded;
    if gr.floor_at_worst_inside
        && let Some(w) = a.worst
    {
        level = level.max(w);
    }
    let mut top = a.top;
    trim_top(&mut top);
    top.truncate(3);
    Some(GridCell {
        id: h.to_string(),
        index,
        from_points: a.index,
        from_many,
        from_population,
        banded,
        level,
        population: a.population,
        inside_by_level: a.inside,
        top: top
            .into_iter()
            .map(|(c, layer, pos)| (layer, feature_id(ds, layer, pos), c))
            .collect(),
        area,
        geometry: poly,
    })
}

fn trim_top(top: &mut Vec<(f64, LayerKind, usize)>) {
    top.sort_by(|a, b| b.0.total_cmp(&a.0).then((a.1, a.2).cmp(&(b.1, b.2))));
    top.truncate(3);
}

fn feature_id(ds: &Dataset, layer: LayerKind, pos: usize) -> String {
    let id = match layer {
        LayerKind::HazardSources => ds.hazard_sources.get(pos).map(|f| &f.id),
        LayerKind::Enterprises => ds.enterprises.get(pos).map(|f| &f.id),
        LayerKind::Houses => ds.houses.get(pos).map(|f| &f.id),
        LayerKind::GasPipelines => ds.gas_pipelines.get(pos).map(|f| &f.id),
        LayerKind::ProtectionTargets => ds.protection_targets.get(pos).map(|f| &f.id),
        LayerKind::Areas => ds.areas.get(pos).map(|f| &f.id),
        LayerKind::HiddenHazards => ds.hidden_hazards.get(pos).map(|f| &f.id),
        // Only features of the dataset contribute to a cell.
        LayerKind::HazardGrades
        | LayerKind::ProtectionConflicts
        | LayerKind::PipelineConflicts
        | LayerKind::HouseRisk
        | LayerKind::EnterpriseRisk
        | LayerKind::RiskGrid => None,
    };
    id.cloned().unwrap_or_default()
}
