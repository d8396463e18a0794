//! Cells recomputed one at a time, for a living map ([`crate::live`]): the sums
//! [`build_grid`](super::build_grid) makes, in the same order (houses, then hazard sources
//! and enterprises by position, then pipeline conflicts in list order), over only the
//! risks that can reach the cell, so that a recomputed cell equals the whole build's.

use std::collections::HashMap;

use geo::{BoundingRect, Coord, Rect};
use h3o::CellIndex;
use rayon::prelude::*;

use super::cells::{Acc, Around, GridCell, finish, reach};
use super::h3::H3Grid;
use super::points::{anchor, grade_level, level_slot};
use crate::analysis::Analysis;
use crate::dataset::Dataset;
use crate::geodesy::expand_rect_m;
use crate::layer::Layer;
use crate::model::{LayerKind, RiskLevel};
use crate::rules::Rules;

/// Each feature's point (its [`anchor`]) and the grid cell holding it, by position: what
/// a cell is recomputed from, kept by a living map between batches so that a recompute
/// neither finds the points of polygons again nor converts them to cells.
///
/// Made and copied with the room a living map keeps ([`crate::heap::with_headroom`]).
#[derive(Debug, Default)]
pub(crate) struct Located {
    pub(crate) anchors: Vec<Option<Coord<f64>>>,
    pub(crate) cells: Vec<Option<CellIndex>>,
}

impl Clone for Located {
    fn clone(&self) -> Located {
        Located {
            anchors: crate::heap::with_headroom(&self.anchors),
            cells: crate::heap::with_headroom(&self.cells),
        }
    }
}

impl Located {
    /// The points and cells of every feature of `layer`; the cells in runs of
    /// neighbours, as the analysis finds them ([`H3Grid::cells_at`]: most houses'
    /// cells without asking H3).
    pub(crate) fn of<P: Sync>(layer: &Layer<P>, grid: &H3Grid) -> Located {
        // With the room a living map keeps for features added later.
        let n = layer.len();
        let mut anchors: Vec<Option<Coord<f64>>> = Vec::with_capacity(crate::heap::with_room(n));
        anchors.par_extend(layer.features().par_iter().map(|f| anchor(&f.geometry)));
        let cells = grid.cells_at(anchors.len(), |i| anchors.get(i).copied().flatten());
        Located { anchors, cells }
    }

    /// The point and cell of a feature whose geometry is `g`.
    fn locate(g: &geo::Geometry<f64>, grid: &H3Grid) -> (Option<Coord<f64>>, Option<CellIndex>) {
        let a = anchor(g);
        (a, a.and_then(|c| grid.cell_at(c)))
    }

    /// The feature at `pos` now has the geometry `g`.
    pub(crate) fn set(&mut self, pos: usize, g: &geo::Geometry<f64>, grid: &H3Grid) {
        let (a, c) = Self::locate(g, grid);
        if let (Some(sa), Some(sc)) = (self.anchors.get_mut(pos), self.cells.get_mut(pos)) {
            *sa = a;
            *sc = c;
        }
    }

    /// Room for more features ([`crate::heap::keep_room`]).
    pub(crate) fn keep_room(&mut self) {
        crate::heap::keep_room(&mut self.anchors);
        crate::heap::keep_room(&mut self.cells);
    }

    /// A feature of geometry `g` comes last; returns its point.
    pub(crate) fn push(&mut self, g: &geo::Geometry<f64>, grid: &H3Grid) -> Option<Coord<f64>> {
        let (a, c) = Self::locate(g, grid);
        self.anchors.push(a);
        self.cells.push(c);
        a
    }

    /// The feature at `pos` goes and the last takes its place (as the layer's).
    pub(crate) fn swap_remove(&mut self, pos: usize) {
        if pos < self.anchors.len() {
            self.anchors.swap_remove(pos);
            self.cells.swap_remove(pos);
        }
    }

    /// The point of the feature at `pos`.
    pub(crate) fn anchor(&self, pos: usize) -> Option<Coord<f64>> {
        self.anchors.get(pos).copied().flatten()
    }

    fn cell(&self, pos: usize) -> Option<CellIndex> {
        self.cells.get(pos).copied().flatten()
    }
}

/// The located points of the layers a cell sums, by position in the dataset.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Points<'a> {
    pub(crate) houses: &'a Located,
    pub(crate) hazard_sources: &'a Located,
    pub(crate) enterprises: &'a Located,
}

/// The cells one risk touches: the cell holding its point and, when it weighs anything,
/// every cell within its radius.
pub(crate) fn touched(
    grid: &H3Grid,
    at: Option<Coord<f64>>,
    weight: f64,
    radius: f64,
) -> Vec<CellIndex> {
    let Some(p) = at else {
        return Vec::new();
    };
    let r = reach(grid, p, weight, radius);
    r.at.into_iter()
        .chain(r.cells.into_iter().map(|(c, _)| c))
        .collect()
}

/// [`touched`] for the many risks of a batch: the cells around each occupied cell are
/// found once per radius ([`H3Grid::candidates`]) and shared by every risk of that cell,
/// as the full build shares them ([`reach_each`](super::cells::reach_each)); each risk
/// then only measures its distance to them. The same cells: a regraded source's hundreds
/// of houses assessed again stand in a few cells, and walking H3's rings from each was
/// up to 2 ms of such a batch.
pub(crate) struct Toucher<'g> {
    grid: &'g H3Grid,
    around: Around,
}

impl<'g> Toucher<'g> {
    pub(crate) fn new(grid: &'g H3Grid) -> Self {
        Toucher {
            grid,
            around: HashMap::new(),
        }
    }

    /// The cells one risk touches, as [`touched`] finds them.
    pub(crate) fn touched(
        &mut self,
        at: Option<Coord<f64>>,
        weight: f64,
        radius: f64,
    ) -> Vec<CellIndex> {
        let grid = self.grid;
        let Some(c0) = at.and_then(|p| grid.cell_at(p)) else {
            return Vec::new();
        };
        let mut out = vec![c0];
        if let Some(p) = at
            && weight > 0.0
        {
            let near = self
                .around
                .entry((c0, radius.to_bits()))
                .or_insert_with(|| grid.candidates(c0, radius));
            out.extend(
                grid.cells_within_of(p, radius, near)
                    .into_iter()
                    .map(|(c, _)| c),
            );
        }
        out
    }
}

/// The weight and radius of a house of this level on the grid.
pub(crate) fn house_weight(rules: &Rules, level: RiskLevel) -> (f64, f64) {
    let gr = &rules.grid;
    (gr.house_weight.get(level), gr.house_radius_m)
}

/// The weight and radius of a risk point (hazard source or enterprise) of this level.
pub(crate) fn point_weight(rules: &Rules, layer: LayerKind, level: RiskLevel) -> (f64, f64) {
    let gr = &rules.grid;
    let radius = if layer == LayerKind::HazardSources {
        gr.hazard_radius_m
    } else {
        gr.enterprise_radius_m
    };
    (gr.weight.get(level), radius)
}

/// The weight and radius of a pipeline conflict.
pub(crate) fn conflict_weight(rules: &Rules) -> (f64, f64) {
    let gr = &rules.grid;
    (gr.pipeline_conflict_weight, gr.house_radius_m)
}

/// What a cell's houses give it: the first sums of a cell, which only a house's point,
/// cell, level, occupants and position change. A living map keeps it by cell
/// ([`recompute_keeping`]) and makes it again only for the cells a batch's houses
/// touch: the other cells a batch recomputes (a regraded hazard source reaches 1.5 km,
/// dozens of cells over thousands of houses) start from it. The same numbers to the
/// bit: a cell's sums start with its houses, in position order, here as in the build.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct HousePart {
    many: f64,
    inside: [u32; 4],
    population: u64,
    touched: bool,
}

/// Recomputes `cells` from the dataset and the other results, with the enterprises at
/// the levels `level_of` gives by position (the analysis's, or another day's): each cell as the
/// whole build would make it, or `None` where no risk and no person reaches it any more
/// (or it meets no area).
pub(crate) fn recompute(
    ds: &Dataset,
    a: &Analysis,
    level_of: &(dyn Fn(usize) -> Option<RiskLevel> + Sync),
    points: Points,
    rules: &Rules,
    cells: &[CellIndex],
) -> Vec<(CellIndex, Option<GridCell>)> {
    let none = (HashMap::new(), HashMap::new());
    let kept = Kept {
        houses: &none.0,
        points: &none.1,
    };
    recompute_keeping(ds, a, level_of, points, rules, cells, kept)
        .into_iter()
        .map(|(h, c, _)| (h, c))
        .collect()
}

/// What a living map keeps of each cell between batches: what its houses give it and
/// where its risk points stand from it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Kept<'k> {
    pub(crate) houses: &'k HashMap<CellIndex, HousePart>,
    pub(crate) points: &'k HashMap<CellIndex, PointsPart>,
}

/// The parts [`recompute_keeping`] made for a cell because none was kept.
#[derive(Debug, Default)]
pub(crate) struct Made {
    pub(crate) houses: Option<HousePart>,
    pub(crate) points: Option<PointsPart>,
}

/// [`recompute`], each cell's parts that `kept` holds taken from it: each cell with the
/// parts made for it here (none where they were kept).
pub(crate) fn recompute_keeping(
    ds: &Dataset,
    a: &Analysis,
    level_of: &(dyn Fn(usize) -> Option<RiskLevel> + Sync),
    points: Points,
    rules: &Rules,
    cells: &[CellIndex],
    kept: Kept<'_>,
) -> Vec<(CellIndex, Option<GridCell>, Made)> {
    let grid = H3Grid::for_cell_size(rules.grid.cell_size_m);
    // The pipeline conflicts' points, found once for every cell, for those whose box
    // meets the zone of some cell (a point lies within its geometry's box): not for every
    // conflict of the city, which took a tenth of a batch that moves one house.
    let (_, radius) = conflict_weight(rules);
    let zones = cells
        .iter()
        .map(|&h| zone_of(&grid, h, radius))
        .reduce(|a, b| crate::dataset::union_rect(&a, &b))
        .map(|z| expand_rect_m(z, 1.0));
    let conflict_points: Vec<Option<Coord<f64>>> = a
        .pipeline_conflicts
        .iter()
        .map(|c| {
            let near = c
                .geometry
                .bounding_rect()
                .zip(zones)
                .is_some_and(|(b, z)| geo::Intersects::intersects(&b, &z));
            near.then(|| anchor(&c.geometry)).flatten()
        })
        .collect();
    cells
        .par_iter()
        .map(|&h| {
            let mut made = Made::default();
            let houses = match kept.houses.get(&h) {
                Some(p) => *p,
                None => *made
                    .houses
                    .insert(houses_part(ds, a, points, rules, &grid, h)),
            };
            let near = match kept.points.get(&h) {
                Some(p) => p,
                None => &*made.points.insert(points_part(ds, points, rules, &grid, h)),
            };
            let ents = (a, level_of);
            let cell = one(ents, ds, (houses, near), &conflict_points, rules, &grid, h);
            (h, cell, made)
        })
        .collect()
}

/// Where the hazard sources and enterprises that may weigh on a cell stand from it: the
/// risk points the build would look at for the cell (those in the zone of each layer's
/// radius, by position) that are within the radius or in the cell, each with its
/// distance to the cell's centre and whether the cell holds it. Only the points'
/// positions and places change it, never their levels or grades: a living map keeps it
/// by cell ([`recompute_keeping`]) until a batch adds, deletes or moves a hazard source
/// or an enterprise, so that a cell recomputed for a regraded source does not look up
/// and measure again the thousand enterprises of a chemical park (three quarters of such
/// a cell's time). The same numbers to the bit: the same distances, summed in the same
/// order.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct PointsPart {
    sources: Vec<Near>,
    enterprises: Vec<Near>,
}

impl PointsPart {
    /// Heap bytes held; for measuring.
    pub(crate) fn heap_bytes(&self) -> usize {
        (self.sources.capacity() + self.enterprises.capacity()) * std::mem::size_of::<Near>()
    }
}

/// A risk point near a cell: its position, its distance to the cell's centre and
/// whether the cell holds it.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Near {
    d: f64,
    pos: usize,
    inside: bool,
}

/// The cells whose kept parts differ from those made afresh now: what a living map
/// keeps must be what it would make (for the tests of the living map, which need the
/// `generate` feature).
#[cfg(all(test, feature = "generate"))]
pub(crate) fn stale_parts(
    ds: &Dataset,
    a: &Analysis,
    points: Points,
    rules: &Rules,
    kept: Kept<'_>,
) -> Vec<String> {
    let grid = H3Grid::for_cell_size(rules.grid.cell_size_m);
    let houses = kept
        .houses
        .iter()
        .filter(|&(&h, part)| houses_part(ds, a, points, rules, &grid, h) != *part)
        .map(|(h, _)| format!("{h}: houses"));
    let near = kept
        .points
        .iter()
        .filter(|&(&h, part)| points_part(ds, points, rules, &grid, h) != *part)
        .map(|(h, _)| format!("{h}: points"));
    houses.chain(near).collect()
}

/// Where the risk points near cell `h` stand ([`PointsPart`]).
fn points_part(
    ds: &Dataset,
    points: Points,
    rules: &Rules,
    grid: &H3Grid,
    h: CellIndex,
) -> PointsPart {
    let gr = &rules.grid;
    let centre = grid.centre(h);
    let near = |index: &crate::index::SpatialIndex, at: &Located, radius: f64| -> Vec<Near> {
        let mut near: Vec<usize> = index.envelopes_in(zone_of(grid, h, radius)).collect();
        near.sort_unstable();
        // One beyond the radius and outside the cell adds nothing at any level: left out
        // (three fifths of those in the zone's box).
        near.into_iter()
            .filter_map(|pos| {
                let p = at.anchor(pos)?;
                let n = Near {
                    d: H3Grid::distance_to(p, centre),
                    pos,
                    inside: at.cell(pos) == Some(h),
                };
                (n.d <= radius || n.inside).then_some(n)
            })
            .collect()
    };
    PointsPart {
        sources: near(
            ds.hazard_sources.index(),
            points.hazard_sources,
            gr.hazard_radius_m,
        ),
        enterprises: near(
            ds.enterprises.index(),
            points.enterprises,
            gr.enterprise_radius_m,
        ),
    }
}

/// What the houses give each of `cells` ([`HousePart`]) and where its risk points stand
/// ([`PointsPart`]), in one pass on every core: what a living map keeps from the start,
/// so that its first batch near a cell measures neither again.
pub(crate) fn cell_parts(
    ds: &Dataset,
    a: &Analysis,
    points: Points,
    rules: &Rules,
    cells: &[CellIndex],
) -> (
    HashMap<CellIndex, HousePart>,
    HashMap<CellIndex, PointsPart>,
) {
    let grid = H3Grid::for_cell_size(rules.grid.cell_size_m);
    cells
        .par_iter()
        .map(|&h| {
            let houses = houses_part(ds, a, points, rules, &grid, h);
            ((h, houses), (h, points_part(ds, points, rules, &grid, h)))
        })
        .unzip()
}

/// What the houses give cell `h` ([`HousePart`]).
fn houses_part(
    ds: &Dataset,
    an: &Analysis,
    points: Points,
    rules: &Rules,
    grid: &H3Grid,
    h: CellIndex,
) -> HousePart {
    let gr = &rules.grid;
    let centre = grid.centre(h);
    let here = Rect::new(centre, centre);
    let mut part = HousePart::default();
    // Houses, by position: the many small risks, weighed by their distance to the
    // centre, so only those within `house_radius_m` of it count (the box of that
    // radius, not of a point of the cell: a quarter of the houses or fewer).
    let hr = gr.house_radius_m;
    let mut near: Vec<usize> = ds
        .houses
        .index()
        .envelopes_in(expand_rect_m(here, hr * 1.05 + 10.0))
        .collect();
    near.sort_unstable();
    for pos in near {
        let (Some(p), Some(risk)) = (points.houses.anchor(pos), an.house_risks.get(pos)) else {
            continue;
        };
        let w = gr.house_weight.get(risk.level);
        // The distance is at least its north–south part, and a degree of latitude is
        // over 110 km everywhere: most houses of the box are passed over here.
        let beyond = (p.y - centre.y).abs() * 110_000.0 > hr;
        if w > 0.0 && !beyond {
            // The whole build finds this cell's distance among the house's cells; it is
            // the same number measured for this cell alone.
            let d = H3Grid::distance_to(p, centre);
            let v = w * (1.0 - d / hr);
            if d <= hr && v > 0.0 {
                part.many += v;
                part.touched = true;
            }
        }
    }
    // The houses the cell holds (their cell is kept), among those over its hexagon's box:
    // counts and people, whose sums do not depend on the order.
    let hexagon = grid.polygon(h).bounding_rect();
    for pos in hexagon
        .map(|b| {
            ds.houses
                .index()
                .envelopes_in(expand_rect_m(b, 10.0))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
    {
        if points.houses.cell(pos) != Some(h) {
            continue;
        }
        let (Some(_), Some(risk), Some(f)) = (
            points.houses.anchor(pos),
            an.house_risks.get(pos),
            ds.houses.get(pos),
        ) else {
            continue;
        };
        part.inside[level_slot(risk.level)] += 1;
        part.population += u64::from(f.props.occupants.unwrap_or(0));
        part.touched = true;
    }

    part
}

/// Cell `h` from what its houses give it and the other risks that reach it.
fn one(
    (an, level_of): (&Analysis, &(dyn Fn(usize) -> Option<RiskLevel> + Sync)),
    ds: &Dataset,
    (houses, near): (HousePart, &PointsPart),
    conflict_points: &[Option<Coord<f64>>],
    rules: &Rules,
    grid: &H3Grid,
    h: CellIndex,
) -> Option<GridCell> {
    let centre = grid.centre(h);
    let around = |radius: f64| zone_of(grid, h, radius);
    // The houses first, as the whole build sums them.
    let mut acc = Acc {
        many: houses.many,
        inside: houses.inside,
        population: houses.population,
        ..Acc::default()
    };
    let mut touched = houses.touched;

    // Whether the cell may hold `p`: a point of the cell is within `reach_m` of its centre,
    // the distance is at least its north–south part, and a degree of latitude is over
    // 110 km everywhere. Saves converting most points to their cell.
    let reach = grid.reach_m();
    let may_hold = |p: Coord<f64>| (p.y - centre.y).abs() * 110_000.0 <= reach + 1.0;

    // Risk points: graded hazard sources, then enterprises, by position, at their kept
    // distances ([`PointsPart`]).
    let mut point = |layer: LayerKind, n: &Near, level: RiskLevel| {
        let (w, radius) = point_weight(rules, layer, level);
        if w > 0.0 {
            let v = w * (1.0 - n.d / radius);
            if n.d <= radius && v > 0.0 {
                acc.index += v;
                acc.top.push((v, layer, n.pos));
                touched = true;
            }
        }
        if n.inside {
            acc.inside[level_slot(level)] += 1;
            acc.worst = Some(acc.worst.map_or(level, |x| x.max(level)));
            touched = true;
        }
    };
    for n in &near.sources {
        if let Some(grade) = an.hazard_grades.get(n.pos).and_then(|g| g.grade) {
            point(LayerKind::HazardSources, n, grade_level(grade));
        }
    }
    for n in &near.enterprises {
        if let Some(level) = level_of(n.pos) {
            point(LayerKind::Enterprises, n, level);
        }
    }

    // Pipeline conflicts, in list order.
    let (w, radius) = conflict_weight(rules);
    let zone = around(radius);
    for (c, p) in an.pipeline_conflicts.iter().zip(conflict_points) {
        let Some(p) = *p else {
            continue;
        };
        if !zone.intersects_point(p) {
            continue;
        }
        let level = c.kind.level();
        if w > 0.0 {
            let d = H3Grid::distance_to(p, centre);
            let v = w * (1.0 - d / radius);
            if d <= radius && v > 0.0 {
                acc.many += v;
                touched = true;
            }
        }
        if may_hold(p) && grid.cell_at(p) == Some(h) {
            acc.inside[level_slot(level)] += 1;
            touched = true;
        }
    }

    // Protection targets: population of the cell holding them.
    for pos in ds.protection_targets.index().envelopes_in(around(0.0)) {
        let Some(f) = ds.protection_targets.get(pos) else {
            continue;
        };
        let at = anchor(&f.geometry).filter(|&p| may_hold(p));
        if at.and_then(|p| grid.cell_at(p)) == Some(h) {
            acc.population += u64::from(f.props.population.unwrap_or(0));
            touched = true;
        }
    }
    if !touched {
        return None;
    }
    finish(ds, grid, h, acc, rules)
}

/// Anything within `radius` of a point of cell `h`, with room for the plane's error.
fn zone_of(grid: &H3Grid, h: CellIndex, radius: f64) -> Rect<f64> {
    let centre = grid.centre(h);
    expand_rect_m(
        Rect::new(centre, centre),
        radius * 1.05 + grid.reach_m() + 10.0,
    )
}

trait HasPoint {
    fn intersects_point(&self, p: Coord<f64>) -> bool;
}

impl HasPoint for Rect<f64> {
    fn intersects_point(&self, p: Coord<f64>) -> bool {
        p.x >= self.min().x && p.x <= self.max().x && p.y >= self.min().y && p.y <= self.max().y
    }
}
