//! The grid cells a batch touched: found, recomputed and put in their place in the grid.

use std::collections::{BTreeSet, HashMap, HashSet};

use geo::{BoundingRect, Coord, Geometry};
use h3o::CellIndex;

use super::apply::Applied1;
use super::deps::Dirty;
use super::{AnyFeature, Live};
use crate::analysis::risk_grid::live::{
    Kept, Toucher, conflict_weight, house_weight, point_weight, recompute_keeping,
};
use crate::analysis::risk_grid::{anchor, grade_level};
use crate::analysis::{HazardGradeResult, PipelineConflict};
use crate::model::{LayerKind, RiskLevel};

/// Whether a batch added, deleted or moved a hazard source or an enterprise: where the
/// risk points stand from the grid's cells (`PointsPart`) may then have changed. (A
/// delete is what moves another feature of its layer into its position.)
pub(super) fn points_moved(a1: &Applied1) -> bool {
    a1.changes.iter().any(|c| {
        matches!(c.layer, LayerKind::HazardSources | LayerKind::Enterprises)
            && match (&c.before, &c.after) {
                (Some(b), Some(a)) => b.geometry() != a.geometry(),
                _ => true,
            }
    })
}

impl Live {
    /// Whether hazard source `id`, changed in a batch from `before` (its geometry then),
    /// weighs on every cell as it did: a source weighs on the cells by its point, id,
    /// position and grade, so one still in its place with its grade (a corrected
    /// inventory that keeps it) leaves every cell as it was. One `regraded` is touched
    /// with its old and new grade; one whose position moved, with the moved ones.
    pub(super) fn weighs_as_before(
        &self,
        id: &str,
        before: &geo::Geometry<f64>,
        regraded: &std::collections::BTreeSet<usize>,
    ) -> bool {
        self.position(LayerKind::HazardSources, id)
            .is_some_and(|p| {
                !regraded.contains(&p)
                    && self
                        .ds
                        .hazard_sources
                        .get(p)
                        .is_some_and(|now| now.geometry == *before)
            })
    }

    /// Recomputes the cells and puts them in the grid (sorted by H3 index); returns
    /// those whose result changed. What the houses give a cell is kept between batches
    /// (`HousePart`) and made again only for the cells in `by_houses`, those the
    /// batch's changed houses touch (before and after), and for cells never made; where
    /// the risk points stand from a cell (`PointsPart`) is kept until `points_moved`
    /// (a hazard source or an enterprise added, deleted or moved: every cell's is
    /// dropped). Only the cells of the grid keep theirs.
    pub(super) fn regrid(
        &mut self,
        cells: &[CellIndex],
        (by_houses, points_moved): (&HashSet<CellIndex>, bool),
        dirty: &mut Dirty,
    ) -> Vec<(String, Option<crate::analysis::GridCell>)> {
        let mut changed = Vec::new();
        for h in by_houses {
            self.grid_houses.remove(h);
        }
        if points_moved {
            self.grid_points.clear();
        }
        if cells.is_empty() {
            return changed;
        }
        let fresh = recompute_keeping(
            &self.ds,
            &self.analysis,
            &|pos| self.analysis.enterprise_risks.get(pos).map(|e| e.level),
            self.points(),
            &self.rules,
            cells,
            Kept {
                houses: &self.grid_houses,
                points: &self.grid_points,
            },
        );
        let fresh: Vec<_> = fresh
            .into_iter()
            .map(|(h, cell, made)| {
                // Kept for the cells of the grid alone: one that leaves it lets go of
                // its parts (made again should it come back).
                if cell.is_none() {
                    self.grid_houses.remove(&h);
                    self.grid_points.remove(&h);
                } else {
                    if let Some(part) = made.houses {
                        self.grid_houses.insert(h, part);
                    }
                    if let Some(part) = made.points {
                        self.grid_points.insert(h, part);
                    }
                }
                (h, cell)
            })
            .collect();
        // The grid is sorted by H3 index: each recomputed cell is found by a binary
        // search; most only change in place, the few that come or go are inserted or
        // removed (a shift of the cells after them).
        let key = |c: &crate::analysis::GridCell| {
            c.id.parse::<CellIndex>().map(u64::from).unwrap_or(u64::MAX)
        };
        let grid = &mut self.analysis.grid;
        let mut fresh = fresh;
        fresh.sort_by_key(|(h, _)| u64::from(*h));
        // Removals from the back, so that earlier positions stay true.
        let mut gone: Vec<usize> = Vec::new();
        let mut came: Vec<(usize, crate::analysis::GridCell)> = Vec::new();
        for (h, cell) in fresh {
            let at = grid.cells.binary_search_by_key(&u64::from(h), key);
            let before = at.ok().and_then(|i| grid.cells.get(i));
            if before == cell.as_ref() {
                continue;
            }
            self.tally.cell(before, cell.as_ref(), &self.ds);
            // Its tiles show its hexagon, area and level; its figures are the popup's.
            let drawn =
                |c: Option<&crate::analysis::GridCell>| c.map(|c| (c.level, c.area.clone()));
            if drawn(before) != drawn(cell.as_ref()) {
                for c in before.into_iter().chain(&cell) {
                    if let Some(b) = c.geometry.bounding_rect() {
                        dirty.push((LayerKind::RiskGrid, b));
                    }
                }
            }
            changed.push((h.to_string(), cell.clone()));
            match (at, cell) {
                (Ok(i), Some(c)) => grid.cells[i] = c,
                (Ok(i), None) => gone.push(i),
                (Err(i), Some(c)) => came.push((i, c)),
                (Err(_), None) => {}
            }
        }
        // `came` holds insertion points into the grid as it was, in increasing order:
        // merge once when there are many, else insert one at a time from the back.
        for i in gone.into_iter().rev() {
            grid.cells.remove(i);
        }
        if came.len() > 8 {
            grid.cells.extend(came.into_iter().map(|(_, c)| c));
            grid.cells.sort_by_key(key);
        } else {
            for (_, c) in came.into_iter().rev() {
                let at = grid
                    .cells
                    .binary_search_by_key(&key(&c), key)
                    .unwrap_or_else(|e| e);
                grid.cells.insert(at, c);
            }
        }
        changed
    }
}

/// What a batch changed that can touch grid cells, for [`Live::cells_touched`].
pub(super) struct Touches<'b> {
    pub(super) a1: &'b Applied1,
    /// The houses assessed again whose result changed, with their level before.
    pub(super) house_changed: &'b HashMap<String, Option<RiskLevel>>,
    /// The positions of the houses the batch changed itself.
    pub(super) ch_houses: &'b BTreeSet<usize>,
    /// Positions that another house, source or enterprise moved into (after deletes).
    pub(super) moved_houses: &'b BTreeSet<usize>,
    pub(super) moved_hs: &'b BTreeSet<usize>,
    pub(super) moved_ent: &'b BTreeSet<usize>,
    /// The hazard sources whose result changed, with the result before.
    pub(super) grade_changed: &'b [(usize, Option<HazardGradeResult>)],
    /// Those of them whose grade (or place) changed.
    pub(super) regraded: &'b BTreeSet<usize>,
    /// The enterprises assessed again whose result changed, with their level before.
    pub(super) ent_changed: &'b HashMap<String, Option<RiskLevel>>,
    /// The pipeline conflicts that went and came.
    pub(super) pipeline_gone: &'b [PipelineConflict],
    pub(super) pipeline_new: &'b [PipelineConflict],
    /// The changed protection targets' geometries, before and after.
    pub(super) targets: &'b [Geometry<f64>],
}

impl Live {
    /// The grid cells a batch touched: every cell a changed risk touched before or
    /// touches now, sorted; and apart, those the houses touched, whose kept part
    /// (`HousePart`) is made again (`Live::regrid`).
    pub(super) fn cells_touched(&self, t: &Touches<'_>) -> (Vec<CellIndex>, HashSet<CellIndex>) {
        let moved: HashSet<(LayerKind, &str)> =
            t.a1.moved.iter().map(|(l, id)| (*l, id.as_str())).collect();
        let grid = self.grid;
        let mut toucher = Toucher::new(&grid);
        let mut house_cells: HashSet<CellIndex> = HashSet::new();
        let mut touch = |at: Option<Coord<f64>>, (w, r): (f64, f64)| {
            house_cells.extend(toucher.touched(at, w, r));
        };
        let rules = &self.rules;
        // Houses: old place and level, new place and level.
        for c in t.a1.changes.iter().filter(|c| c.layer == LayerKind::Houses) {
            if let Some(AnyFeature::House(f)) = &c.before {
                let old_level = t.house_changed.get(&c.id).copied().flatten().or_else(|| {
                    t.a1.gone_houses
                        .iter()
                        .find(|(id, _)| *id == c.id)
                        .map(|(_, l)| *l)
                });
                if let Some(l) = old_level {
                    touch(anchor(&f.geometry), house_weight(rules, l));
                }
            }
        }
        // A house weighs on the cells by its point, level and occupants alone: one
        // assessed again for its conflicts (a regraded source's reach holds hundreds)
        // that keeps its level leaves every cell as it was. One changed itself is
        // touched whatever its level.
        for (id, old) in t.house_changed {
            let Some(p) = self.position(LayerKind::Houses, id) else {
                continue;
            };
            let now = self.analysis.house_risks.get(p).map(|h| h.level);
            if *old == now && !t.ch_houses.contains(&p) {
                continue;
            }
            let a = self.houses_at.anchor(p);
            if let Some(l) = old {
                touch(a, house_weight(rules, *l));
            }
            if let Some(l) = now {
                touch(a, house_weight(rules, l));
            }
        }
        for &p in t.moved_houses {
            if let Some(h) = self.analysis.house_risks.get(p) {
                touch(self.houses_at.anchor(p), house_weight(rules, h.level));
            }
        }
        let mut cells: HashSet<CellIndex> = house_cells.clone();
        let mut touch = |at: Option<Coord<f64>>, (w, r): (f64, f64)| {
            cells.extend(toucher.touched(at, w, r));
        };
        // Hazard sources: old and new place and grade.
        let grade_lv = |g: &HazardGradeResult| g.grade.map(grade_level);
        for c in
            t.a1.changes
                .iter()
                .filter(|c| c.layer == LayerKind::HazardSources)
        {
            if let Some(AnyFeature::HazardSource(f)) = &c.before {
                if self.weighs_as_before(&c.id, &f.geometry, t.regraded) {
                    continue;
                }
                let old = t
                    .grade_changed
                    .iter()
                    .find(|(p, _)| self.ds.hazard_sources.get(*p).is_some_and(|x| x.id == c.id))
                    .and_then(|(_, g)| g.as_ref())
                    .or_else(|| t.a1.gone_grades.iter().find(|g| g.id == c.id));
                if let Some(l) = old.and_then(grade_lv) {
                    touch(
                        anchor(&f.geometry),
                        point_weight(rules, LayerKind::HazardSources, l),
                    );
                }
            }
        }
        for (p, old) in t
            .grade_changed
            .iter()
            .filter(|(p, _)| t.regraded.contains(p))
        {
            let Some(f) = self.ds.hazard_sources.get(*p) else {
                continue;
            };
            let a = anchor(&f.geometry);
            if let Some(l) = old.as_ref().and_then(grade_lv) {
                touch(a, point_weight(rules, LayerKind::HazardSources, l));
            }
            if let Some(l) = self.analysis.hazard_grades.get(*p).and_then(grade_lv) {
                touch(a, point_weight(rules, LayerKind::HazardSources, l));
            }
        }
        for &p in t.moved_hs {
            if let (Some(f), Some(l)) = (
                self.ds.hazard_sources.get(p),
                self.analysis.hazard_grades.get(p).and_then(grade_lv),
            ) {
                touch(
                    anchor(&f.geometry),
                    point_weight(rules, LayerKind::HazardSources, l),
                );
            }
        }
        // Enterprises.
        for c in
            t.a1.changes
                .iter()
                .filter(|c| c.layer == LayerKind::Enterprises)
        {
            if let Some(AnyFeature::Enterprise(f)) = &c.before {
                let old = t.ent_changed.get(&c.id).copied().flatten().or_else(|| {
                    t.a1.gone_enterprises
                        .iter()
                        .find(|e| e.id == c.id)
                        .map(|e| e.level)
                });
                if let Some(l) = old {
                    touch(
                        anchor(&f.geometry),
                        point_weight(rules, LayerKind::Enterprises, l),
                    );
                }
            }
        }
        for (id, old) in t.ent_changed {
            let Some(p) = self.position(LayerKind::Enterprises, id) else {
                continue;
            };
            let a = self.ds.enterprises.get(p).and_then(|f| anchor(&f.geometry));
            if let Some(l) = old {
                touch(a, point_weight(rules, LayerKind::Enterprises, *l));
            }
            if let Some(e) = self.analysis.enterprise_risks.get(p) {
                touch(a, point_weight(rules, LayerKind::Enterprises, e.level));
            }
        }
        for &p in t.moved_ent {
            if let (Some(f), Some(e)) = (
                self.ds.enterprises.get(p),
                self.analysis.enterprise_risks.get(p),
            ) {
                touch(
                    anchor(&f.geometry),
                    point_weight(rules, LayerKind::Enterprises, e.level),
                );
            }
        }
        // Pipeline conflicts that came or went, and those whose order in the list moved.
        for c in t.pipeline_gone.iter().chain(t.pipeline_new) {
            touch(anchor(&c.geometry), conflict_weight(rules));
        }
        // (Positions move only when a batch deletes: a pass over every conflict then.)
        if !moved.is_empty() {
            for c in &self.analysis.pipeline_conflicts {
                if moved.contains(&(LayerKind::GasPipelines, c.pipeline_id.as_str()))
                    || moved.contains(&(c.layer, c.feature_id.as_str()))
                {
                    touch(anchor(&c.geometry), conflict_weight(rules));
                }
            }
        }
        // Protection targets: the cells holding their population, before and after.
        for g in t.targets {
            touch(anchor(g), (0.0, 0.0));
        }
        let mut cells: Vec<CellIndex> = cells.into_iter().collect();
        cells.sort_unstable();
        (cells, house_cells)
    }
}
