//! The grid cells a batch touched, recomputed and put in their place in the grid.

use std::collections::HashSet;

use geo::BoundingRect;
use h3o::CellIndex;

use super::Live;
use super::apply::Applied1;
use super::deps::Dirty;
use crate::analysis::risk_grid::live::{Kept, recompute_keeping};
use crate::model::LayerKind;

/// Whether a batch added, deleted or moved a hazard source or an enterprise (a delete
/// also moves another into its position): where the risk points stand from the grid's
/// cells (`PointsPart`) may then have changed.
pub(super) fn points_moved(a1: &Applied1) -> bool {
    let points = |l: LayerKind| matches!(l, LayerKind::HazardSources | LayerKind::Enterprises);
    a1.changes.iter().any(|c| {
        points(c.layer)
            && match (&c.before, &c.after) {
                (Some(b), Some(a)) => b.geometry() != a.geometry(),
                _ => true,
            }
    }) || a1.moved.iter().any(|(l, _)| points(*l))
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
