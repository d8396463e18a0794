//! 安全风险分布图 — the area risk distribution: a hex grid and per-area summaries.
//!
//! No national formula exists for an area's risk index, so this is the project's own
//! documented method ([`crate::rules::GridRules`], `docs/rules.md`):
//!
//! 1. Hexagons of circumradius `cell_size_m` tile a transverse Mercator plane centred on the
//!    data; the cells kept are those meeting a town/street area (or the data's extent
//!    when there are no areas).
//! 2. Every risk point — graded hazard sources (一级 red … 四级 blue) and enterprises by
//!    their computed level — adds `weight · (1 − d / radius)` to each cell whose centre
//!    lies within its influence radius of the risk's representative point.
//! 3. The many small risks — houses by their level, pipeline conflicts — are summed the
//!    same way and enter as `many_weight · ln(1 + sum)`: a village of a thousand houses
//!    must not outweigh a chemical plant, and a dense town must not turn red for its
//!    density alone.
//! 4. Exposed population (house occupants, protection targets) in a cell adds
//!    `population_weight · ln(1 + population)`.
//! 5. The index is banded into the four colours; a cell is then raised to at least the
//!    worst level of the risk points inside it (an area is at least its highest point).

use std::collections::HashMap;

use geo::{
    BoundingRect, Centroid, Coord, Geometry, InteriorPoint, Intersects, LineString, Point, Polygon,
    Rect,
};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::enterprise_risk::EnterpriseRisk;
use super::hazard_grade::HazardGradeResult;
use super::house_risk::HouseRisk;
use super::pipeline_clearance::{PipelineConflict, PipelineConflictKind};
use crate::crs::TransverseMercator;
use crate::dataset::Dataset;
use crate::model::{HazardGrade, LayerKind, RiskLevel};
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

/// Axial hex coordinates (pointy-top).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hex {
    /// Column.
    pub q: i32,
    /// Row.
    pub r: i32,
}

/// A pointy-top hex grid in a metric plane.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HexGrid {
    /// Circumradius, metres.
    pub size: f64,
}

const SQRT3: f64 = 1.732_050_807_568_877_2;

impl HexGrid {
    /// Centre of a cell.
    pub fn centre(&self, h: Hex) -> Coord<f64> {
        Coord {
            x: self.size * SQRT3 * (f64::from(h.q) + f64::from(h.r) / 2.0),
            y: self.size * 1.5 * f64::from(h.r),
        }
    }

    /// The cell holding a point.
    pub fn cell_at(&self, p: Coord<f64>) -> Hex {
        let q = (SQRT3 / 3.0 * p.x - p.y / 3.0) / self.size;
        let r = (2.0 / 3.0 * p.y) / self.size;
        // Cube rounding.
        let (x, z) = (q, r);
        let y = -x - z;
        let (mut rx, ry, mut rz) = (x.round(), y.round(), z.round());
        let (dx, dy, dz) = ((rx - x).abs(), (ry - y).abs(), (rz - z).abs());
        if dx > dy && dx > dz {
            rx = -ry - rz;
        } else if dy <= dz {
            rz = -rx - ry;
        }
        Hex {
            q: rx as i32,
            r: rz as i32,
        }
    }

    /// Corners of a cell, counter-clockwise from the east-south-east one.
    pub fn corners(&self, h: Hex) -> [Coord<f64>; 6] {
        let c = self.centre(h);
        let mut out = [Coord { x: 0.0, y: 0.0 }; 6];
        for (i, o) in out.iter_mut().enumerate() {
            let a = (60.0 * i as f64 - 30.0).to_radians();
            *o = Coord {
                x: c.x + self.size * a.cos(),
                y: c.y + self.size * a.sin(),
            };
        }
        out
    }

    /// Every cell whose centre lies within `radius` of `p`, with the distance.
    pub fn cells_within(&self, p: Coord<f64>, radius: f64) -> Vec<(Hex, f64)> {
        let h0 = self.cell_at(p);
        let n = (radius / (self.size * SQRT3)).ceil() as i32 + 1;
        let mut out = Vec::new();
        for dr in -n..=n {
            for dq in -n..=n {
                let h = Hex {
                    q: h0.q + dq,
                    r: h0.r + dr,
                };
                let c = self.centre(h);
                let d = ((c.x - p.x).powi(2) + (c.y - p.y).powi(2)).sqrt();
                if d <= radius {
                    out.push((h, d));
                }
            }
        }
        out
    }
}

/// The grid's metric plane: a transverse Mercator centred on the data, whose scale error
/// stays below 10⁻⁵ within 30 km of the centre (a district), unlike an equirectangular
/// plane whose east–west scale drifts with latitude.
struct GridPlane(TransverseMercator);

impl GridPlane {
    fn project(&self, c: Coord<f64>) -> Coord<f64> {
        let (x, y) = self.0.forward(c.x, c.y);
        Coord { x, y }
    }
    fn unproject(&self, c: Coord<f64>) -> Coord<f64> {
        let (x, y) = self.0.inverse(c.x, c.y);
        Coord { x, y }
    }
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

fn level_slot(l: RiskLevel) -> usize {
    match l {
        RiskLevel::Low => 0,
        RiskLevel::General => 1,
        RiskLevel::Significant => 2,
        RiskLevel::Major => 3,
    }
}

/// The colour a hazard grade is mapped to on the grid.
pub fn grade_level(g: HazardGrade) -> RiskLevel {
    match g {
        HazardGrade::One => RiskLevel::Major,
        HazardGrade::Two => RiskLevel::Significant,
        HazardGrade::Three => RiskLevel::General,
        HazardGrade::Four => RiskLevel::Low,
    }
}

/// A representative point of a geometry (inside polygons): the centroid when it lies
/// inside, which it does for the small convex footprints that make up most layers, else
/// an interior point.
pub fn anchor(g: &Geometry<f64>) -> Option<Coord<f64>> {
    match g {
        Geometry::Point(p) => Some(p.0),
        Geometry::Polygon(_) | Geometry::MultiPolygon(_) => {
            let c = g.centroid()?;
            if g.intersects(&c) {
                Some(c.0)
            } else {
                g.interior_point().map(|p| p.0)
            }
        }
        _ => g.centroid().map(|p| p.0),
    }
}

/// Builds the grid.
/// Representative points of every house (inside its footprint), computed once and shared
/// by the grid and the area summaries.
pub fn house_anchors(ds: &Dataset) -> Vec<Option<Coord<f64>>> {
    ds.houses
        .features()
        .par_iter()
        .map(|f| anchor(&f.geometry))
        .collect()
}

/// Builds the grid (`house_anchors` from [`house_anchors`]).
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
    results: &super::Analysis,
    house_anchors: &[Option<Coord<f64>>],
) -> Vec<AreaSummary> {
    let started = std::time::Instant::now();
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
    let slot = |g: &Geometry<f64>| {
        anchor(g)
            .and_then(|c| area_index(ds, Point::from(c)))
            .unwrap_or(n_areas)
    };
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
    // A million houses: locate them in parallel.
    let house_slots: Vec<usize> = house_anchors
        .par_iter()
        .map(|a| {
            a.and_then(|c| area_index(ds, Point::from(c)))
                .unwrap_or(n_areas)
        })
        .collect();
    tracing::debug!(
        ms = started.elapsed().as_millis() as u64,
        "area summaries: houses located"
    );
    for (pos, ((f, h), a)) in ds
        .houses
        .features()
        .iter()
        .zip(houses)
        .zip(house_slots)
        .enumerate()
    {
        out[a].houses[level_slot(h.level)] += 1;
        out[a].population += u64::from(f.props.occupants.unwrap_or(0));
        if h.level >= RiskLevel::Significant {
            tops[a].push((h.level, h.reasons.len() as f64, LayerKind::Houses, pos));
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
        list.sort_by(|x, y| {
            y.0.cmp(&x.0)
                .then(y.1.total_cmp(&x.1))
                .then((x.2, x.3).cmp(&(y.2, y.3)))
        });
        list.truncate(10);
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

#[cfg(test)]
#[allow(clippy::field_reassign_with_default)]
mod tests {
    use super::*;

    #[test]
    fn hex_cells_round_trip_and_neighbours_are_equidistant() {
        let g = HexGrid { size: 500.0 };
        for q in -3..3 {
            for r in -3..3 {
                let h = Hex { q, r };
                assert_eq!(g.cell_at(g.centre(h)), h);
                // A point 0.49·size from the centre in any direction stays in the cell.
                for k in 0..12 {
                    let a = f64::from(k) * 30f64.to_radians();
                    let c = g.centre(h);
                    let p = Coord {
                        x: c.x + 245.0 * a.cos(),
                        y: c.y + 245.0 * a.sin(),
                    };
                    assert_eq!(g.cell_at(p), h);
                }
            }
        }
        // Neighbour centres are √3·size apart.
        let d = |a: Coord<f64>, b: Coord<f64>| ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt();
        let o = g.centre(Hex { q: 0, r: 0 });
        for n in [Hex { q: 1, r: 0 }, Hex { q: 0, r: 1 }, Hex { q: -1, r: 1 }] {
            assert!((d(o, g.centre(n)) - 500.0 * SQRT3).abs() < 1e-9);
        }
    }

    #[test]
    fn index_by_hand() {
        use crate::analysis::testutil::{feat, rect};
        use crate::dataset::Layer;
        use crate::model::{Enterprise, House};
        use crate::rules::GridRules;
        // A red enterprise 300 m west and a red house (9 occupants) 300 m east of the
        // data's centre, which is the grid plane's origin and so the centre of cell (0, 0).
        // The house radius is set to 600 m for the test.
        // Enterprise: red weighs 40 within 800 m: 40·(1 − 300/800) = 25.
        // House: red weighs 10 within 600 m: 10·(1 − 300/600) = 5, entering as
        // 4·ln(1 + 5) = 7.1670.  Population: ln(1 + 9) = 2.3026.
        // Index 34.47 ⇒ orange by the bands (30–60), floored at red (a red point inside).
        let mut ds = Dataset::default();
        ds.enterprises = Layer::new(
            LayerKind::Enterprises,
            vec![feat(
                "e",
                rect(-301.0, -1.0, -299.0, 1.0),
                Enterprise::default(),
            )],
        );
        ds.houses = Layer::new(
            LayerKind::Houses,
            vec![feat(
                "h",
                rect(299.0, -1.0, 301.0, 1.0),
                House {
                    occupants: Some(9),
                    ..Default::default()
                },
            )],
        );
        let er = vec![EnterpriseRisk {
            id: "e".into(),
            likelihood: 4,
            severity: 4,
            level: RiskLevel::Major,
            declared_level: None,
            mismatch: false,
            worst_grade: None,
            reasons: vec![],
        }];
        let hr = vec![HouseRisk {
            id: "h".into(),
            level: RiskLevel::Major,
            reasons: vec![],
        }];
        let rules = Rules {
            grid: GridRules {
                house_radius_m: 600.0,
                ..GridRules::default()
            },
            ..Rules::default()
        };
        let g = build_grid(&ds, &[], &er, &hr, &[], &house_anchors(&ds), &rules);
        // Without areas the grid covers the cells meeting the data's extent (±301 m by
        // ±1 m): only cell (0, 0), which spans ±433 m east–west.
        assert_eq!(g.cells.len(), 1);
        let cell = &g.cells[0];
        assert_eq!(cell.id, "hex-0_0");
        let expect = 25.0 + 4.0 * 6f64.ln() + 10f64.ln();
        assert!(
            (cell.index - expect).abs() < 0.1,
            "{} vs {expect}",
            cell.index
        );
        assert_eq!(cell.level, RiskLevel::Major);
        assert_eq!(cell.inside_by_level, [0, 0, 0, 2]);
        assert_eq!(cell.population, 9);
        assert_eq!(cell.top[0].1, "e");

        // Without the enterprise the data's centre, and so the centre of cell (0, 0), is
        // the house itself: 4·ln(1 + 10) + ln(1 + 9) = 11.89 ⇒ blue (below 12); a red house
        // does not floor its cell (only risk points do).
        let mut ds2 = ds.clone();
        ds2.enterprises = Layer::empty(LayerKind::Enterprises);
        let g = build_grid(&ds2, &[], &[], &hr, &[], &house_anchors(&ds2), &rules);
        let cell = g.cells.iter().find(|c| c.id == "hex-0_0").expect("cell");
        assert!(
            (cell.index - (4.0 * 11f64.ln() + 10f64.ln())).abs() < 0.05,
            "{}",
            cell.index
        );
        assert_eq!(cell.level, RiskLevel::Low);
    }
}
