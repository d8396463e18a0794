//! 安全风险分布图 — the area risk distribution: a hex grid and per-area summaries.
//!
//! No national formula exists for an area's risk index, so this is the project's own
//! documented method ([`crate::rules::GridRules`], `docs/rules.md`):
//!
//! 1. Hexagons of circumradius `cell_size_m` tile a transverse Mercator plane centred on the
//!    data; the cells kept are those meeting a town/street area (or the data's extent
//!    when there are no areas).
//! 2. Every risk — graded hazard sources (一级 red … 四级 blue), enterprises and houses by
//!    their computed level, pipeline conflicts — adds `weight · (1 − d / radius)` to each
//!    cell whose centre lies within its influence radius of the risk's representative
//!    point.
//! 3. Exposed population (house occupants, protection targets) in a cell adds
//!    `population_weight · ln(1 + population)`.
//! 4. The index is banded into the four colours; a cell is then raised to at least the
//!    worst level of the risks inside it (an area is at least its highest point).

use std::collections::{BTreeMap, HashMap};

use geo::{
    BoundingRect, Centroid, Contains, Coord, Geometry, InteriorPoint, Intersects, LineString,
    Point, Polygon, Rect,
};
use serde::{Deserialize, Serialize};

use super::enterprise_risk::EnterpriseRisk;
use super::hazard_grade::HazardGradeResult;
use super::house_risk::HouseRisk;
use super::pipeline_clearance::{PipelineConflict, PipelineConflictKind};
use super::protection_distance::ProtectionConflict;
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
    index: f64,
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

/// A representative point of a geometry (inside polygons).
pub fn anchor(g: &Geometry<f64>) -> Option<Coord<f64>> {
    match g {
        Geometry::Point(p) => Some(p.0),
        Geometry::Polygon(_) | Geometry::MultiPolygon(_) => {
            g.interior_point().or_else(|| g.centroid()).map(|p| p.0)
        }
        _ => g.centroid().map(|p| p.0),
    }
}

/// Builds the grid.
pub fn build_grid(
    ds: &Dataset,
    grades: &[HazardGradeResult],
    enterprises: &[EnterpriseRisk],
    houses: &[HouseRisk],
    pipelines: &[PipelineConflict],
    rules: &Rules,
) -> RiskGrid {
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
    let mut add = |layer: LayerKind,
                   pos: usize,
                   g: &Geometry<f64>,
                   level: RiskLevel,
                   weight: f64,
                   radius: f64| {
        let Some(a) = anchor(g) else { return };
        let p = plane.project(a);
        for (h, d) in grid.cells_within(p, radius) {
            let c = weight * (1.0 - d / radius);
            if c <= 0.0 {
                continue;
            }
            let e = acc.entry(h).or_default();
            e.index += c;
            e.top.push((c, layer, pos));
            if e.top.len() > 12 {
                trim_top(&mut e.top);
            }
        }
        let e = acc.entry(grid.cell_at(p)).or_default();
        e.inside[level_slot(level)] += 1;
        e.worst = Some(e.worst.map_or(level, |w| w.max(level)));
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
        );
    }
    for (pos, (f, h)) in ds.houses.features().iter().zip(houses).enumerate() {
        add(
            LayerKind::Houses,
            pos,
            &f.geometry,
            h.level,
            gr.weight.get(h.level),
            gr.house_radius_m,
        );
    }
    for c in pipelines {
        let l = match c.kind {
            PipelineConflictKind::Occupation => RiskLevel::Significant,
            PipelineConflictKind::TooClose => RiskLevel::General,
        };
        add(
            LayerKind::GasPipelines,
            c.pipeline_pos,
            &c.geometry,
            l,
            gr.pipeline_conflict_weight,
            gr.house_radius_m,
        );
    }
    // Population by the cell of each house and target.
    let mut pop: HashMap<Hex, u64> = HashMap::new();
    for f in ds.houses.features() {
        if let Some(a) = anchor(&f.geometry) {
            *pop.entry(grid.cell_at(plane.project(a))).or_default() +=
                u64::from(f.props.occupants.unwrap_or(0));
        }
    }
    for f in ds.protection_targets.features() {
        if let Some(a) = anchor(&f.geometry) {
            *pop.entry(grid.cell_at(plane.project(a))).or_default() +=
                u64::from(f.props.population.unwrap_or(0));
        }
    }
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
            let index = a.index + gr.population_weight * (population as f64).ln_1p();
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
    };
    id.cloned().unwrap_or_default()
}

/// Name of the area holding a point.
pub fn area_holding(ds: &Dataset, p: Point<f64>) -> Option<String> {
    let r = Rect::new(p.0, p.0);
    let mut hits: Vec<usize> = ds
        .areas
        .index()
        .envelopes_in(r)
        .filter(|&i| {
            ds.areas
                .get(i)
                .is_some_and(|a| a.geometry.contains(&p) || a.geometry.intersects(&p))
        })
        .collect();
    hits.sort_unstable();
    hits.first()
        .and_then(|&i| ds.areas.get(i))
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

/// Per-area summaries (plus one named `(outside any area)` if anything falls outside).
pub fn summarise_areas(
    ds: &Dataset,
    grades: &[HazardGradeResult],
    enterprises: &[EnterpriseRisk],
    houses: &[HouseRisk],
    protection: &[ProtectionConflict],
    pipelines: &[PipelineConflict],
    grid: &RiskGrid,
) -> Vec<AreaSummary> {
    const OUTSIDE: &str = "(outside any area)";
    let mut by_name: BTreeMap<String, AreaSummary> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    for f in ds.areas.features() {
        order.push(f.props.name.clone());
        by_name.insert(f.props.name.clone(), empty_summary(&f.id, &f.props.name));
    }
    let locate = |g: &Geometry<f64>| anchor(g).and_then(|c| area_holding(ds, Point::from(c)));
    let get = |name: Option<String>, by_name: &mut BTreeMap<String, AreaSummary>| {
        let n = name.unwrap_or_else(|| OUTSIDE.to_string());
        by_name
            .entry(n.clone())
            .or_insert_with(|| empty_summary("", &n));
        n
    };
    let mut tops: HashMap<String, Vec<(RiskLevel, f64, TopRisk)>> = HashMap::new();
    for (f, e) in ds.enterprises.features().iter().zip(enterprises) {
        let n = get(locate(&f.geometry), &mut by_name);
        if let Some(s) = by_name.get_mut(&n) {
            s.enterprises[level_slot(e.level)] += 1;
        }
        tops.entry(n).or_default().push((
            e.level,
            f64::from(e.likelihood * e.severity),
            TopRisk {
                layer: LayerKind::Enterprises,
                id: f.id.clone(),
                name: f.props.name.clone(),
                level: e.level,
                summary: format!("L{} × S{}", e.likelihood, e.severity),
            },
        ));
    }
    for (f, h) in ds.houses.features().iter().zip(houses) {
        let n = get(locate(&f.geometry), &mut by_name);
        if let Some(s) = by_name.get_mut(&n) {
            s.houses[level_slot(h.level)] += 1;
            s.population += u64::from(f.props.occupants.unwrap_or(0));
        }
        if h.level >= RiskLevel::Significant {
            tops.entry(n).or_default().push((
                h.level,
                h.reasons.len() as f64,
                TopRisk {
                    layer: LayerKind::Houses,
                    id: f.id.clone(),
                    name: f.props.address.clone(),
                    level: h.level,
                    summary: h
                        .reasons
                        .iter()
                        .map(|r| r.text.as_str())
                        .collect::<Vec<_>>()
                        .join("; "),
                },
            ));
        }
    }
    for (pos, (f, g)) in ds.hazard_sources.features().iter().zip(grades).enumerate() {
        let n = get(locate(&f.geometry), &mut by_name);
        if let (Some(s), Some(grade)) = (by_name.get_mut(&n), g.grade) {
            s.hazard_sources_by_grade[usize::from(grade.number() - 1)] += 1;
            s.protection_conflicts += protection
                .iter()
                .filter(|c| c.source_layer == LayerKind::HazardSources && c.source_pos == pos)
                .count() as u32;
            tops.entry(n).or_default().push((
                grade_level(grade),
                g.r,
                TopRisk {
                    layer: LayerKind::HazardSources,
                    id: f.id.clone(),
                    name: f.props.name.clone(),
                    level: grade_level(grade),
                    summary: format!("{} R = {:.1}", grade.name_zh(), g.r),
                },
            ));
        }
    }
    for c in pipelines {
        let n = get(locate(&c.geometry), &mut by_name);
        if let Some(s) = by_name.get_mut(&n) {
            match c.kind {
                PipelineConflictKind::Occupation => s.pipeline_occupations += 1,
                PipelineConflictKind::TooClose => s.pipeline_too_close += 1,
            }
        }
    }
    for f in ds.protection_targets.features() {
        let n = get(locate(&f.geometry), &mut by_name);
        if let Some(s) = by_name.get_mut(&n) {
            s.population += u64::from(f.props.population.unwrap_or(0));
        }
    }
    for cell in &grid.cells {
        let n = get(cell.area.clone(), &mut by_name);
        if let Some(s) = by_name.get_mut(&n) {
            s.grid_cells[level_slot(cell.level)] += 1;
            s.level = s.level.max(cell.level);
        }
    }
    for (n, mut list) in tops {
        list.sort_by(|a, b| {
            b.0.cmp(&a.0)
                .then(b.1.total_cmp(&a.1))
                .then(a.2.id.cmp(&b.2.id))
        });
        list.truncate(10);
        if let Some(s) = by_name.get_mut(&n) {
            s.top_risks = list.into_iter().map(|(_, _, t)| t).collect();
        }
    }
    let mut out: Vec<AreaSummary> = order.iter().filter_map(|n| by_name.remove(n)).collect();
    out.extend(by_name.into_values());
    out
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
        // A red enterprise 300 m west and a blue house (9 occupants) 300 m east of the
        // data's centre, which is the grid plane's origin and so the centre of cell
        // (0, 0). Red weighs 40 within 800 m: 40·(1 − 300/800) = 25. Blue weighs 0.5
        // within 300 m: 0.5·(1 − 300/300) = 0. Population: ln(1 + 9) = 2.3026.
        // Index 27.30 ⇒ yellow by the bands (12–30), floored at red (red inside).
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
            level: RiskLevel::Low,
            reasons: vec![],
        }];
        let g = build_grid(&ds, &[], &er, &hr, &[], &Rules::default());
        let cell = g
            .cells
            .iter()
            .find(|c| c.id == "hex-0_0")
            .expect("cell (0,0)");
        assert!(
            (cell.index - (25.0 + 10f64.ln())).abs() < 0.1,
            "{}",
            cell.index
        );
        assert_eq!(cell.level, RiskLevel::Major);
        assert_eq!(cell.inside_by_level, [1, 0, 0, 1]);
        assert_eq!(cell.population, 9);
        assert_eq!(cell.top[0].1, "e");
        // Without areas the grid covers the cells meeting the data's extent (±301 m by
        // ±1 m): only cell (0, 0), which spans ±433 m east–west.
        assert_eq!(g.cells.len(), 1);
    }
}
