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

/// One risk as the grid adds it: where it stands in its layer, its level, weight and
/// radius, and whether it is a risk point (hazard source, enterprise), which adds to the
/// index directly and floors its cell's level, or one of the many small risks.
#[derive(Debug, Clone, Copy)]
struct Risk {
    layer: LayerKind,
    pos: usize,
    level: RiskLevel,
    weight: f64,
    radius: f64,
    point: bool,
}

/// Candidate cells with their centres, by occupied cell and radius (its bits).
pub(super) type Around = HashMap<(CellIndex, u64), Vec<(CellIndex, Coord<f64>)>>;

/// A risk to place on the grid: its representative point, weight and radius.
pub(super) struct Placed {
    pub(super) p: Coord<f64>,
    pub(super) weight: f64,
    pub(super) radius: f64,
}

/// The risks [`reach_each`] reaches at once.
pub(super) const BLOCK: usize = 1 << 16;

/// The [`reach`] of each of `n` risks (`None` where `risk` gives none), handed to `take`
/// in order; `risk` is called more than once for a risk, so it should be cheap.
///
/// Risks crowd into few cells (a town's houses, a park's enterprises), so the cells around
/// each occupied cell are found once per radius ([`H3Grid::candidates`]) and each risk only
/// measures its distance to them ([`H3Grid::cells_within_of`]): the same cells at the same
/// distances as walking H3's rings from every risk (`shared_candidates_match_the_ring_walk`).
/// The risks are reached a block at a time on all cores, so that the reaches held at once
/// stay a block's ([`BLOCK`]; ten million houses' would be about 1.6 GB).
///
/// `around` is the caller's: the candidates found stay for its next call (the next part
/// of the same risks).
pub(super) fn reach_each(
    grid: &H3Grid,
    around: &mut Around,
    (range, block): (std::ops::Range<usize>, usize),
    risk: impl Fn(usize) -> Option<Placed> + Sync,
    mut take: impl FnMut(usize, Option<Reach>),
) {
    for start in range.clone().step_by(block.max(1)) {
        let len = block.max(1).min(range.end - start);
        let cells = grid.cells_at(len, |i| risk(start + i).map(|r| r.p));
        // The (cell, radius) pairs still without candidates; neighbours in the list
        // mostly share one, so each thread's list skips repeats as it goes.
        let mut wanted: Vec<(CellIndex, u64)> = (0..len)
            .into_par_iter()
            .with_min_len(4096)
            .fold(Vec::new, |mut v, i| {
                if let (Some(r), Some(Some(at))) = (risk(start + i), cells.get(i))
                    && r.weight > 0.0
                {
                    let k = (*at, r.radius.to_bits());
                    if v.last() != Some(&k) && !around.contains_key(&k) {
                        v.push(k);
                    }
                }
                v
            })
            .reduce(Vec::new, |mut a, b| {
                a.extend(b);
                a
            });
        wanted.par_sort_unstable();
        wanted.dedup();
        let found: Vec<_> = wanted
            .into_par_iter()
            .map(|(c, radius)| ((c, radius), grid.candidates(c, f64::from_bits(radius))))
            .collect();
        around.extend(found);
        let reaches: Vec<Option<Reach>> = (0..len)
            .into_par_iter()
            .map(|i| {
                let r = risk(start + i)?;
                let at = (*cells.get(i)?)?;
                let cells = if r.weight > 0.0 {
                    let near = around.get(&(at, r.radius.to_bits()));
                    grid.cells_within_of(r.p, r.radius, near.map_or(&[][..], Vec::as_slice))
                } else {
                    Vec::new()
                };
                Some(Reach {
                    at: Some(at),
                    cells,
                })
            })
            .collect();
        for (i, r) in reaches.into_iter().enumerate() {
            take(start + i, r);
        }
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
    let results = (grades, enterprises, houses, pipelines);
    grid_of(ds, results, Some(house_anchors), false, rules).0
}

/// [`build_grid`] with the houses' anchors found a block at a time, and the area of every
/// house ([`super::house_slots`]) found with them: what a full analysis needs, without
/// the anchors of every house held at once (24 bytes a house at the grid's peak).
pub(crate) fn build_grid_locating(
    ds: &Dataset,
    results: Results<'_>,
    rules: &Rules,
) -> (RiskGrid, Vec<usize>) {
    grid_of(ds, results, None, true, rules)
}

/// The results the grid is built from: hazard grades, enterprise levels, house levels,
/// pipeline conflicts.
pub(crate) type Results<'a> = (
    &'a [HazardGradeResult],
    &'a [EnterpriseRisk],
    &'a [HouseRisk],
    &'a [PipelineConflict],
);

fn grid_of(
    ds: &Dataset,
    (grades, enterprises, houses, pipelines): Results<'_>,
    given: Option<&[Option<Coord<f64>>]>,
    locate: bool,
    rules: &Rules,
) -> (RiskGrid, Vec<usize>) {
    let started = std::time::Instant::now();
    let gr = &rules.grid;
    let grid = H3Grid::for_cell_size(gr.cell_size_m);
    let mut acc: HashMap<CellIndex, Acc> = HashMap::new();
    let mut merge = |k: Risk, r: Reach, people: u64| {
        for (h, d) in r.cells {
            let c = k.weight * (1.0 - d / k.radius);
            if c <= 0.0 {
                continue;
            }
            let e = acc.entry(h).or_default();
            if k.point {
                e.index += c;
                e.top.push((c, k.layer, k.pos));
                if e.top.len() > 12 {
                    trim_top(&mut e.top);
                }
            } else {
                e.many += c;
            }
        }
        if let Some(at) = r.at {
            let e = acc.entry(at).or_default();
            e.population += people;
            e.inside[level_slot(k.level)] += 1;
            if k.point {
                e.worst = Some(e.worst.map_or(k.level, |w| w.max(k.level)));
            }
        }
    };
    // Every risk is reached in parallel (`reach_each`), then added in order, so that the
    // sums do not depend on the thread count.
    let house = |pos: usize, h: &HouseRisk| Risk {
        layer: LayerKind::Houses,
        pos,
        level: h.level,
        weight: gr.house_weight.get(h.level),
        radius: gr.house_radius_m,
        point: false,
    };
    let n = houses.len();
    // For the summaries of this analysis alone: no room kept for later houses.
    let mut slots = Vec::with_capacity(if locate { n } else { 0 });
    let mut around = Around::new();
    for start in (0..n).step_by(BLOCK) {
        let end = (start + BLOCK).min(n);
        // The block's anchors: given, or found now and dropped with the block.
        let anchors: std::borrow::Cow<[Option<Coord<f64>>]> = match given {
            Some(a) => a.get(start..end.min(a.len())).unwrap_or_default().into(),
            None => (start..end)
                .into_par_iter()
                .map(|pos| ds.houses.get(pos).and_then(|f| anchor(&f.geometry)))
                .collect::<Vec<_>>()
                .into(),
        };
        if locate {
            slots.par_extend(anchors.par_iter().map(|a| super::house_slot(ds, *a)));
        }
        reach_each(
            &grid,
            &mut around,
            (start..end, BLOCK),
            |pos| {
                let k = house(pos, houses.get(pos)?);
                Some(Placed {
                    p: (*anchors.get(pos - start)?)?,
                    weight: k.weight,
                    radius: k.radius,
                })
            },
            |pos, r| {
                if let (Some(r), Some(h)) = (r, houses.get(pos)) {
                    // A house's occupants count in the cell it stands in.
                    let people = ds.houses.get(pos).and_then(|f| f.props.occupants);
                    merge(house(pos, h), r, u64::from(people.unwrap_or(0)));
                }
            },
        );
    }
    // The other risks: hazard sources, then enterprises, then pipeline conflicts.
    let mut others: Vec<(Risk, &Geometry<f64>)> = Vec::new();
    for (pos, (f, g)) in ds.hazard_sources.features().iter().zip(grades).enumerate() {
        if let Some(grade) = g.grade {
            let level = grade_level(grade);
            let k = Risk {
                layer: LayerKind::HazardSources,
                pos,
                level,
                weight: gr.weight.get(level),
                radius: gr.hazard_radius_m,
                point: true,
            };
            others.push((k, &f.geometry));
        }
    }
    for (pos, (f, e)) in ds
        .enterprises
        .features()
        .iter()
        .zip(enterprises)
        .enumerate()
    {
        let k = Risk {
            layer: LayerKind::Enterprises,
            pos,
            level: e.level,
            weight: gr.weight.get(e.level),
            radius: gr.enterprise_radius_m,
            point: true,
        };
        others.push((k, &f.geometry));
    }
    for c in pipelines {
        let k = Risk {
            layer: LayerKind::GasPipelines,
            pos: c.pipeline_pos,
            level: c.kind.level(),
            weight: gr.pipeline_conflict_weight,
            radius: gr.house_radius_m,
            point: false,
        };
        others.push((k, &c.geometry));
    }
    let other_at: Vec<Option<Coord<f64>>> = others.par_iter().map(|(_, g)| anchor(g)).collect();
    reach_each(
        &grid,
        &mut Around::new(),
        (0..others.len(), BLOCK),
        |i| {
            let (k, _) = others.get(i)?;
            Some(Placed {
                p: (*other_at.get(i)?)?,
                weight: k.weight,
                radius: k.radius,
            })
        },
        |i, r| {
            if let (Some(r), Some((k, _))) = (r, others.get(i)) {
                merge(*k, r, 0);
            }
        },
    );
    // Population by the cell of each target (the houses' came with their reach).
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
    let g = RiskGrid {
        cell_size_m: gr.cell_size_m,
        h3_resolution: u8::from(grid.resolution),
        cells,
    };
    (g, slots)
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

/// Keeps the three risks that weigh most on a cell (ties by layer and position), most
/// first. The order is total, so the three are the same however they are picked: picked
/// here without sorting the rest (a cell of a chemical park is reached by a thousand
/// enterprises).
fn trim_top(top: &mut Vec<(f64, LayerKind, usize)>) {
    let order = |a: &(f64, LayerKind, usize), b: &(f64, LayerKind, usize)| {
        b.0.total_cmp(&a.0).then((a.1, a.2).cmp(&(b.1, b.2)))
    };
    if top.len() > 3 {
        top.select_nth_unstable_by(2, order);
        top.truncate(3);
    }
    top.sort_by(order);
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

#[cfg(test)]
mod tests {
    use super::trim_top;
    use crate::model::LayerKind::{Enterprises, HazardSources};

    /// The three that weigh most, most first; of equal weights the enterprises (the
    /// first of the layers in their order) and then the lower positions; fewer than
    /// three are only put in order.
    #[test]
    fn the_three_that_weigh_most() {
        let mut top = vec![
            (0.5, Enterprises, 9),
            (2.0, Enterprises, 4),
            (0.25, HazardSources, 1),
            (2.0, Enterprises, 3),
            (1.0, Enterprises, 7),
            (2.0, HazardSources, 8),
            (0.75, Enterprises, 2),
        ];
        trim_top(&mut top);
        assert_eq!(
            top,
            vec![
                (2.0, Enterprises, 3),
                (2.0, Enterprises, 4),
                (2.0, HazardSources, 8)
            ]
        );
        let mut two = vec![(0.5, Enterprises, 1), (1.5, Enterprises, 2)];
        trim_top(&mut two);
        assert_eq!(two, vec![(1.5, Enterprises, 2), (0.5, Enterprises, 1)]);
    }

    /// The same three as sorting them all, for lists of every length up to 40 drawn
    /// from few weights (many ties) in a fixed pseudo-random order.
    #[test]
    fn the_three_are_those_of_a_full_sort() {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for len in 0..=40usize {
            let mut top: Vec<_> = (0..len)
                .map(|pos| {
                    let layer = if next() % 2 == 0 {
                        Enterprises
                    } else {
                        HazardSources
                    };
                    (f64::from((next() % 4) as u8) * 0.5, layer, pos)
                })
                .collect();
            let mut want = top.clone();
            want.sort_by(|a, b| b.0.total_cmp(&a.0).then((a.1, a.2).cmp(&(b.1, b.2))));
            want.truncate(3);
            trim_top(&mut top);
            assert_eq!(top, want, "{len}");
        }
    }
}
