//! The grid's cells and their risk index: contributions of risk points and of the many
//! small risks within their radius, exposed population, banding and flooring.

use std::collections::HashMap;

use geo::{BoundingRect, Coord, Geometry, Intersects, LineString, Point, Polygon, Rect};
use rayon::prelude::*;
use serde::Serialize;

use super::areas::area_holding;
use super::hex::{GridPlane, Hex, HexGrid};
use super::points::{anchor, grade_level, level_slot};
use crate::analysis::enterprise_risk::EnterpriseRisk;
use crate::analysis::hazard_grade::HazardGradeResult;
use crate::analysis::house_risk::HouseRisk;
use crate::analysis::pipeline_clearance::PipelineConflict;
use crate::crs::TransverseMercator;
use crate::dataset::Dataset;
use crate::model::{LayerKind, RiskLevel};
use crate::rules::Rules;

/// One hex cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GridCell {
    /// Stable id `hex-{q}_{r}` (axial coordinates in the grid's plane).
    pub id: String,
    /// Risk index.
    pub index: f64,
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

/// The grid.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RiskGrid {
    /// Circumradius of the hexagons, metres.
    pub cell_size_m: f64,
    /// Cells, sorted by id's axial (r, q).
    pub cells: Vec<GridCell>,
}

#[derive(Default)]
struct Acc {
    /// Σ weight·decay of point risks (hazard sources, enterprises).
    index: f64,
    /// Σ weight·decay of the many small risks (houses, pipeline conflicts), taken as a
    /// logarithm so that a dense village does not outweigh a chemical plant.
    many: f64,
    inside: [u32; 4],
    worst: Option<RiskLevel>,
    top: Vec<(f64, LayerKind, usize)>,
}

/// Builds the grid (`house_anchors` from [`house_anchors`](super::house_anchors)).
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
    let Some(bounds) = ds.bounds() else {
        return RiskGrid {
            cell_size_m: gr.cell_size_m,
            cells: Vec::new(),
        };
    };
    let plane = GridPlane(TransverseMercator::local(
        bounds.center().x,
        bounds.center().y,
    ));
    let grid = HexGrid {
        size: gr.cell_size_m,
    };
    let mut acc: HashMap<Hex, Acc> = HashMap::new();
    // `point`: a risk point (hazard source, enterprise) that adds to the index directly and
    // floors its cell's level; otherwise one of the many small risks.
    // Houses projected once, in parallel: a million transverse Mercator evaluations.
    let house_xy: Vec<Option<Coord<f64>>> = house_anchors
        .par_iter()
        .map(|a| a.map(|c| plane.project(c)))
        .collect();
    let mut add_at = |layer: LayerKind,
                      pos: usize,
                      p: Coord<f64>,
                      level: RiskLevel,
                      weight: f64,
                      radius: f64,
                      point: bool| {
        if weight > 0.0 {
            for (h, d) in grid.cells_within(p, radius) {
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
        }
        let e = acc.entry(grid.cell_at(p)).or_default();
        e.inside[level_slot(level)] += 1;
        if point {
            e.worst = Some(e.worst.map_or(level, |w| w.max(level)));
        }
    };
    for (pos, (h, p)) in houses.iter().zip(&house_xy).enumerate() {
        if let Some(p) = p {
            add_at(
                LayerKind::Houses,
                pos,
                *p,
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
            add_at(layer, pos, plane.project(a), level, weight, radius, point);
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
    let mut pop: HashMap<Hex, u64> = HashMap::new();
    for (f, p) in ds.houses.features().iter().zip(&house_xy) {
        if let Some(p) = p {
            *pop.entry(grid.cell_at(*p)).or_default() += u64::from(f.props.occupants.unwrap_or(0));
        }
    }
    for f in ds.protection_targets.features() {
        if let Some(a) = anchor(&f.geometry) {
            *pop.entry(grid.cell_at(plane.project(a))).or_default() +=
                u64::from(f.props.population.unwrap_or(0));
        }
    }
    tracing::debug!(
        ms = started.elapsed().as_millis() as u64,
        "risk grid: contributions and population"
    );
    // Which cells the map covers: those meeting an area, else the extent.
    let pb = Rect::new(plane.project(bounds.min()), plane.project(bounds.max()));
    let h_lo = grid.cell_at(pb.min());
    let h_hi = grid.cell_at(pb.max());
    let mut cells = Vec::new();
    for r in (h_lo.r - 1)..=(h_hi.r + 1) {
        let q_lo = h_lo.q - (h_hi.r - h_lo.r).abs() - 2;
        let q_hi = h_hi.q + (h_hi.r - h_lo.r).abs() + 2;
        for q in q_lo..=q_hi {
            let h = Hex { q, r };
            let c = grid.centre(h);
            let ring: Vec<Coord<f64>> = grid
                .corners(h)
                .iter()
                .chain(std::iter::once(&grid.corners(h)[0]))
                .map(|&k| plane.unproject(k))
                .collect();
            let poly = Polygon::new(LineString::from(ring), vec![]);
            let centre_ll = Point::from(plane.unproject(c));
            let area = area_holding(ds, centre_ll);
            let keep = if ds.areas.is_empty() {
                poly.bounding_rect().is_some_and(|b| b.intersects(&bounds))
            } else {
                area.is_some()
                    || poly.bounding_rect().is_some_and(|b| {
                        ds.areas.index().envelopes_in(b).any(|i| {
                            ds.areas
                                .get(i)
                                .is_some_and(|a| a.geometry.intersects(&poly))
                        })
                    })
            };
            if !keep {
                continue;
            }
            let a = acc.remove(&h).unwrap_or_default();
            let population = pop.get(&h).copied().unwrap_or(0);
            let index = a.index
                + gr.many_weight * a.many.ln_1p()
                + gr.population_weight * (population as f64).ln_1p();
            let mut level = gr.bands.level(index);
            if gr.floor_at_worst_inside
                && let Some(w) = a.worst
            {
                level = level.max(w);
            }
            let mut top = a.top;
            trim_top(&mut top);
            top.truncate(3);
            cells.push(GridCell {
                id: format!("hex-{q}_{r}"),
                index,
                level,
                population,
                inside_by_level: a.inside,
                top: top
                    .into_iter()
                    .map(|(c, layer, pos)| (layer, feature_id(ds, layer, pos), c))
                    .collect(),
                area,
                geometry: poly,
            });
        }
    }
    RiskGrid {
        cell_size_m: gr.cell_size_m,
        cells,
    }
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
