//! The second half of a batch: what the changes can affect, found by the same distances
//! the analyses use (with a margin: a feature recomputed needlessly costs time, one
//! missed would break the invariant), recomputed with the analyses' own per-feature
//! functions, and the boxes of whatever changed.

use std::collections::{BTreeSet, HashMap, HashSet};

use geo::{BoundingRect, Geometry, Rect};

use super::apply::Applied1;
use super::conflicts::{self, box_drawn, diff, pipeline_key, protection_key};
use super::grid::Touches;
use super::marks::Marks;
use super::population::source_in_place;
use super::summaries::Shares;
use super::{AnyFeature, Applied, Change, Edit, Live, LiveError, Recomputed, ResultChanges};
use crate::analysis::enterprise_risk::assess_one;
use crate::analysis::house_risk::{AppraisalReasons, Exposure};
use crate::analysis::risk_grid::tally::Kept;
use crate::analysis::{ProtectionConflict, pipeline_clearance, protection_distance, target_class};
use crate::geodesy::expand_rect_m;
use crate::model::{LayerKind, RiskLevel};

pub(super) type Dirty = Vec<(LayerKind, Rect<f64>)>;

/// Up to this many changed targets (or houses assessed again), their protection
/// conflicts are looked up by the sources within reach of each, in the sorted list; more,
/// and one pass over the list costs less.
const FEW: usize = 256;

/// When the houses assessed again look for their conflicts in the ranges of the sources
/// near them rather than in the whole list (`Live::exposure_of`).
#[derive(Debug, Clone, Copy)]
pub(super) struct NearIf {
    /// At most so many houses,
    pub(super) houses: usize,
    /// past `FEW` in a box at most so many times the farthest reach across,
    pub(super) spread: f64,
    /// with at most so many sources near them.
    pub(super) sources: usize,
}

const NEAR_IF: NearIf = NearIf {
    houses: 4096,
    spread: 4.0,
    sources: 1024,
};

/// Positions of a layer's features whose box lies within `metres` (plus a margin) of
/// `g`'s box: a superset of those within `metres` of `g`.
pub(super) fn near<P>(
    layer: &crate::layer::Layer<P>,
    g: &Geometry<f64>,
    metres: f64,
) -> Vec<usize> {
    let Some(b) = g.bounding_rect() else {
        return Vec::new();
    };
    layer
        .index()
        .envelopes_in(expand_rect_m(b, metres * 1.01 + 1.0))
        .collect()
}

pub(super) fn push_box(dirty: &mut Dirty, layer: LayerKind, g: &Geometry<f64>) {
    if let Some(b) = g.bounding_rect() {
        dirty.push((layer, b));
    }
}

impl Live {
    /// Applies a batch of edits: all of them, or none when one is refused.
    ///
    /// The features are taken as given: a caller checks them first, as the loaders do
    /// (an edit API runs them through the loaders' validation).
    pub fn apply(&mut self, edits: &[Edit]) -> Result<Applied, LiveError> {
        let mut changes = self.plan(edits)?;
        self.hazards_follow(&mut changes);
        if changes.is_empty() {
            return Ok(Applied::default());
        }
        if changes.iter().any(|c| c.layer == LayerKind::Areas) {
            let mut dirty = self.everywhere();
            let a1 = self.apply_changes(changes);
            self.reanalyse();
            dirty.extend(self.everywhere());
            return Ok(Applied {
                changes: a1.changes,
                dirty,
                features: Vec::new(),
                full: true,
                recomputed: Recomputed::default(),
                results: ResultChanges::default(),
            });
        }
        let a1 = self.apply_changes(changes);
        Ok(self.follow(a1))
    }

    fn follow(&mut self, a1: Applied1) -> Applied {
        let mut n = Recomputed::default();
        let mut dirty: Dirty = Vec::new();
        // Features changed, by layer: current positions of those still present, and every
        // old and new geometry.
        let mut changed: HashMap<LayerKind, BTreeSet<usize>> = HashMap::new();
        let mut geoms: HashMap<LayerKind, Vec<Geometry<f64>>> = HashMap::new();
        // Changed houses drawn as they were unless their level moves.
        let mut houses_alike: BTreeSet<usize> = BTreeSet::new();
        for c in &a1.changes {
            let drawn_same = drawn_alike(c);
            for f in c.before.iter().chain(&c.after) {
                geoms.entry(c.layer).or_default().push(f.geometry().clone());
                if !drawn_same {
                    push_box(&mut dirty, c.layer, f.geometry());
                }
            }
            if c.after.is_some()
                && let Some(p) = self.position(c.layer, &c.id)
            {
                changed.entry(c.layer).or_default().insert(p);
                if drawn_same && c.layer == LayerKind::Houses {
                    houses_alike.insert(p);
                }
            }
        }
        let moved_pos = |layer: LayerKind| -> BTreeSet<usize> {
            a1.moved
                .iter()
                .filter(|(l, _)| *l == layer)
                .filter_map(|(l, id)| self.position(*l, id))
                .collect()
        };
        let moved_hs = moved_pos(LayerKind::HazardSources);
        let moved_ent = moved_pos(LayerKind::Enterprises);
        let moved_houses = moved_pos(LayerKind::Houses);
        let moved_targets = moved_pos(LayerKind::ProtectionTargets);
        let set = |l: LayerKind| changed.get(&l).cloned().unwrap_or_default();
        let (ch_hs, ch_ent, ch_pipes, ch_houses, ch_targets) = (
            set(LayerKind::HazardSources),
            set(LayerKind::Enterprises),
            set(LayerKind::GasPipelines),
            set(LayerKind::Houses),
            set(LayerKind::ProtectionTargets),
        );
        let no_geoms = Vec::new();
        let geoms_of = |l: LayerKind| geoms.get(&l).unwrap_or(&no_geoms);

        // Target classes.
        for &t in &ch_targets {
            if let (Some(f), Some(c)) = (
                self.ds.protection_targets.get(t),
                self.analysis.target_classes.get_mut(t),
            ) {
                *c = target_class(&f.props, &self.rules);
            }
        }

        // Hazard grades: the changed sources and those whose population may have changed.
        // Those near changed houses alone, and those edited in place, follow the houses'
        // difference (population.rs); those near changed targets are counted again.
        let radius = self.rules.hazard.population_radius_m;
        let mut g_changed = ch_hs.clone();
        g_changed.extend(moved_hs.iter().copied());
        let mut near_targets = BTreeSet::new();
        for g in geoms_of(LayerKind::ProtectionTargets) {
            near_targets.extend(near(&self.ds.hazard_sources, g, radius));
        }
        let new_grades = self.regrade(&g_changed, &near_targets, &a1.changes);
        let g_set: BTreeSet<usize> = new_grades.iter().map(|(p, _)| *p).collect();
        n.hazard_grades = g_set.len();
        // Sources whose result differs, with the result they had (none when new).
        let mut grade_changed: Vec<(usize, Option<crate::analysis::HazardGradeResult>)> =
            Vec::new();
        for (p, g) in new_grades {
            let Some(slot) = self.analysis.hazard_grades.get_mut(p) else {
                continue;
            };
            if ch_hs.contains(&p) || *slot != g {
                let old = std::mem::replace(slot, g);
                grade_changed.push((p, Some(old)));
            }
        }

        // Sources moved or changed in kind, or whose grade changed: a change of the
        // population figures alone (a house near it) leaves its conflicts, its
        // enterprise's level, its cells and its tiles as they were, all of which follow
        // the grade only.
        // A source edited where it stands with the same QRA distances (an inventory
        // corrected) counts only if its grade changed: its conflicts follow its place,
        // grade and QRA distances alone.
        let same_place: HashSet<&str> = a1
            .changes
            .iter()
            .filter_map(|c| source_in_place(c).map(|ba| (c, ba)))
            .filter(|(_, (b, a))| b.props.qra_distances == a.props.qra_distances)
            .map(|(c, _)| c.id.as_str())
            .collect();
        let regraded: BTreeSet<usize> = grade_changed
            .iter()
            .filter(|(p, old)| {
                let now = self.analysis.hazard_grades.get(*p);
                // (another source in its place, after a delete, counts as changed)
                old.as_ref().map(|g| (&g.id, g.grade)) != now.map(|g| (&g.id, g.grade))
                    || (ch_hs.contains(p)
                        && !now.is_some_and(|g| same_place.contains(g.id.as_str())))
            })
            .map(|(p, _)| *p)
            .collect();

        // Protection conflicts: changed sources against every target, changed targets
        // against every source.
        let mut s_set: BTreeSet<(LayerKind, usize)> = regraded
            .iter()
            .map(|p| (LayerKind::HazardSources, *p))
            .collect();
        s_set.extend(ch_ent.iter().map(|p| (LayerKind::Enterprises, *p)));
        let t_set: BTreeSet<(LayerKind, usize)> = ch_targets
            .iter()
            .map(|p| (LayerKind::ProtectionTargets, *p))
            .chain(ch_houses.iter().map(|p| (LayerKind::Houses, *p)))
            .collect();
        // Most batches find the same conflicts again (an inventory that keeps its grade,
        // a house's occupants that keep its class): the list of 10⁵ conflicts is then
        // left as it is rather than taken apart and sorted again.
        let mut removed_p = a1.removed_protection.clone();
        let reach = (!t_set.is_empty()).then(|| self.protection_reach());
        let again = self.regraded_in_place(&grade_changed, &regraded, &same_place, &t_set, &a1);
        let mut added_p = self.protection_added(&s_set, &t_set, reach.unwrap_or(0.0), &again);
        protection_distance::sort(&mut added_p);
        n.protection_sources = s_set.len();
        // The conflicts a few changed targets had lie in the ranges of the sources within
        // reach of where each target was or is (and of the changed sources): found there
        // by binary search in the sorted list rather than by a pass over its 10⁵
        // conflicts. Not when positions were re-keyed (the list is then out of order).
        let old_sources = match reach {
            Some(r) if !a1.rekeyed_protection && t_set.len() <= FEW => {
                let was = a1.changes.iter().filter_map(|c| match c.layer {
                    LayerKind::Houses | LayerKind::ProtectionTargets => {
                        c.before.as_ref().map(AnyFeature::geometry)
                    }
                    _ => None,
                });
                let is = t_set.iter().filter_map(|&(l, p)| self.geometry_at(l, p));
                let mut near = self.sources_near(was.chain(is), r);
                near.extend(s_set.iter().copied());
                Some(near)
            }
            _ => None,
        };
        let list = &mut self.analysis.protection_conflicts;
        let (s_marks, t_marks) = (
            Marks::of(s_set.iter().copied()),
            Marks::of(t_set.iter().copied()),
        );
        let hit = |c: &ProtectionConflict| {
            s_marks.has(c.source_layer, c.source_pos) || t_marks.has(c.target_layer, c.target_pos)
        };
        // Sources alone changed, positions as they were: their conflicts are ranges of
        // the sorted list, found and replaced in place.
        let only_sources = t_set.is_empty() && !a1.rekeyed_protection;
        let same = if only_sources {
            let old = conflicts::of_sources(list, &s_set);
            old.clone().count() == added_p.len() && old.zip(&added_p).all(|(a, b)| a == b)
        } else {
            let old: Vec<&ProtectionConflict> = match &old_sources {
                Some(near) => conflicts::of_sources(list, near)
                    .filter(|c| hit(c))
                    .collect(),
                None => list.iter().filter(|c| hit(c)).collect(),
            };
            old.len() == added_p.len() && old.iter().zip(&added_p).all(|(a, b)| *a == b)
        };
        if same {
            added_p.clear();
            if a1.rekeyed_protection {
                protection_distance::sort(list);
            }
        } else if only_sources {
            conflicts::replace_sources(list, &s_set, &added_p, &mut removed_p);
        } else if let Some(mut near) = old_sources {
            near.extend(added_p.iter().map(|c| (c.source_layer, c.source_pos)));
            conflicts::replace_where(list, &near, hit, &added_p, &mut removed_p);
        } else {
            list.retain(|c| {
                let gone = hit(c);
                if gone {
                    removed_p.push(c.clone());
                }
                !gone
            });
            list.extend(added_p.iter().cloned());
            protection_distance::sort(list);
        }

        // Pipeline conflicts: changed pipes against everything, changed footprints
        // against every pipe.
        let f_set: BTreeSet<(LayerKind, usize)> = ch_houses
            .iter()
            .map(|p| (LayerKind::Houses, *p))
            .chain(ch_ent.iter().map(|p| (LayerKind::Enterprises, *p)))
            .chain(
                ch_targets
                    .iter()
                    .map(|p| (LayerKind::ProtectionTargets, *p)),
            )
            .collect();
        let mut removed_q = a1.removed_pipeline.clone();
        self.analysis.pipeline_conflicts.retain(|c| {
            let gone =
                ch_pipes.contains(&c.pipeline_pos) || f_set.contains(&(c.layer, c.feature_pos));
            if gone {
                removed_q.push(c.clone());
            }
            !gone
        });
        let added_q = self.pipeline_added(&ch_pipes, &f_set);
        n.pipes = ch_pipes.len();
        self.analysis
            .pipeline_conflicts
            .extend(added_q.iter().cloned());
        pipeline_clearance::sort(&mut self.analysis.pipeline_conflicts);
        let (gone_p, new_p) = diff(&removed_p, &added_p, protection_key);
        let (gone_q, new_q) = diff(&removed_q, &added_q, pipeline_key);
        box_drawn(
            &mut dirty,
            LayerKind::ProtectionConflicts,
            &gone_p,
            &new_p,
            protection_key,
            |c| &c.geometry,
            |c| crate::tileset::conflict_level(c.shortfall_m, c.required_m),
        );
        box_drawn(
            &mut dirty,
            LayerKind::PipelineConflicts,
            &gone_q,
            &new_q,
            pipeline_key,
            |c| &c.geometry,
            |c| c.kind.level(),
        );

        // Houses: the changed ones and those whose conflicts changed.
        let mut h_set = ch_houses.clone();
        let ids: BTreeSet<&str> = gone_p
            .iter()
            .chain(&new_p)
            .filter(|c| c.target_layer == LayerKind::Houses)
            .map(|c| c.target_id.as_str())
            .chain(
                gone_q
                    .iter()
                    .chain(&new_q)
                    .filter(|c| c.layer == LayerKind::Houses)
                    .map(|c| c.feature_id.as_str()),
            )
            .collect();
        h_set.extend(
            ids.iter()
                .filter_map(|id| self.position(LayerKind::Houses, id)),
        );
        let house_changed =
            self.houses_again(&h_set, (&ch_houses, &houses_alike), reach, &mut dirty);
        n.houses = h_set.len();

        // Enterprises: the changed ones, the owners of regraded sources, those near a
        // changed target.
        let mut owners: BTreeSet<String> = BTreeSet::new();
        for c in a1
            .changes
            .iter()
            .filter(|c| c.layer == LayerKind::HazardSources)
        {
            for f in c.before.iter().chain(&c.after) {
                if let AnyFeature::HazardSource(f) = f
                    && let Some(e) = &f.props.enterprise_id
                {
                    owners.insert(e.clone());
                }
            }
        }
        for p in &regraded {
            if let Some(e) = self
                .ds
                .hazard_sources
                .get(*p)
                .and_then(|f| f.props.enterprise_id.clone())
            {
                owners.insert(e);
            }
        }
        // A hidden hazard counts for the enterprise it belongs to, or for its hazard
        // source's owner: before the batch and after it.
        for c in a1
            .changes
            .iter()
            .filter(|c| c.layer == LayerKind::HiddenHazards)
        {
            for f in c.before.iter().chain(&c.after) {
                if let AnyFeature::HiddenHazard(h) = f {
                    owners.extend(self.hidden_owner(&h.props));
                }
            }
        }
        // (A hazard source that changed its owner takes its hidden hazards along: both
        // owners are among those of the changed sources above.)
        let mut e_set = ch_ent.clone();
        e_set.extend(
            owners
                .iter()
                .filter_map(|id| self.position(LayerKind::Enterprises, id)),
        );
        let er_radius = self.rules.enterprise.protection_radius_m;
        for g in geoms_of(LayerKind::ProtectionTargets) {
            e_set.extend(near(&self.ds.enterprises, g, er_radius));
        }
        let ent_changed = self.enterprises_again(&e_set, &ch_ent, &mut dirty);
        n.enterprises = e_set.len();
        for p in &regraded {
            if let Some(f) = self.ds.hazard_sources.get(*p) {
                push_box(&mut dirty, LayerKind::HazardSources, &f.geometry);
                push_box(&mut dirty, LayerKind::HazardGrades, &f.geometry);
            }
        }

        // Grid cells: every cell a changed risk touched before or touches now (`grid.rs`).
        let (cells, house_cells) = self.cells_touched(&Touches {
            a1: &a1,
            house_changed: &house_changed,
            ch_houses: &ch_houses,
            moved_houses: &moved_houses,
            grade_changed: &grade_changed,
            regraded: &regraded,
            moved_hs: &moved_hs,
            ent_changed: &ent_changed,
            moved_ent: &moved_ent,
            pipeline_gone: &gone_q,
            pipeline_new: &new_q,
            targets: geoms_of(LayerKind::ProtectionTargets),
        });
        n.cells = cells.len();
        let by = (&house_cells, super::grid::points_moved(&a1));
        let changed_cells = self.regrid(&cells, by, &mut dirty);

        // Area summaries, by shares.
        let mut targets = ch_targets.clone();
        targets.extend(&moved_targets);
        let mut houses = h_set.clone();
        houses.extend(&moved_houses);
        let mut sources = g_set.clone();
        sources.extend(&moved_hs);
        let mut ents = e_set.clone();
        ents.extend(&moved_ent);
        self.retally(
            Shares {
                features: vec![
                    (Kept::Houses, houses),
                    (Kept::Enterprises, ents),
                    (Kept::HazardSources, sources),
                    (Kept::ProtectionTargets, targets),
                ],
                gone_p: &gone_p,
                new_p: &new_p,
                gone_q: &gone_q,
                new_q: &new_q,
            },
            &mut dirty,
        );

        // The features to draw again: changed, deleted, or with another level.
        let mut features: BTreeSet<(LayerKind, u64)> = a1.gone_uids.iter().copied().collect();
        for c in &a1.changes {
            if let Some(p) = self.position(c.layer, &c.id)
                && let Some(u) = self.uid(c.layer, p)
            {
                features.insert((c.layer, u));
            }
        }
        for (layer, ids) in [
            (LayerKind::Houses, &house_changed),
            (LayerKind::Enterprises, &ent_changed),
        ] {
            for id in ids.keys() {
                if let Some(p) = self.position(layer, id)
                    && let Some(u) = self.uid(layer, p)
                {
                    features.insert((layer, u));
                }
            }
        }
        for p in &regraded {
            if let Some(u) = self.ds.hazard_sources.uid(*p) {
                features.insert((LayerKind::HazardSources, u));
            }
        }
        Applied {
            changes: a1.changes,
            dirty,
            features: features.into_iter().collect(),
            full: false,
            recomputed: n,
            results: ResultChanges {
                protection_gone: gone_p,
                protection_new: new_p,
                pipeline_gone: gone_q,
                pipeline_new: new_q,
                cells: changed_cells,
            },
        }
    }

    /// Assesses the houses in `h_set` again; returns, by id, the level each had before
    /// (`None` for a new house) for those whose result changed.
    fn houses_again(
        &mut self,
        h_set: &BTreeSet<usize>,
        (changed, alike): (&BTreeSet<usize>, &BTreeSet<usize>),
        reach: Option<f64>,
        dirty: &mut Dirty,
    ) -> HashMap<String, Option<RiskLevel>> {
        if h_set.is_empty() {
            // (A hidden hazard's status, the bureau's daily edit: no pass over the 10⁵
            // conflicts for no house.)
            return HashMap::new();
        }
        let exposure = self.exposure_of(h_set, reach, NEAR_IF);
        // Their appraisal's reasons made once, as a full analysis makes them.
        let base = AppraisalReasons::new(&self.rules.house);
        let mut out = HashMap::new();
        for &p in h_set {
            let (Some(f), Some(e)) = (self.ds.houses.get(p), exposure.get(&p)) else {
                continue;
            };
            let r = base.house_risk(f, *e, &self.rules.house);
            let Some(slot) = self.analysis.house_risks.get_mut(p) else {
                continue;
            };
            let is_new = changed.contains(&p);
            if is_new || *slot != r {
                // Its tiles show its footprint and level: a changed house drawn as it
                // was ([`drawn_alike`]) is boxed only if its level moves, others as the
                // batch's own changes are.
                if (is_new && !alike.contains(&p)) || slot.level != r.level {
                    push_box(dirty, LayerKind::Houses, &f.geometry);
                    push_box(dirty, LayerKind::HouseRisk, &f.geometry);
                }
                let old = std::mem::replace(slot, r);
                out.insert(f.id.clone(), Some(old.level));
            }
        }
        out
    }

    /// The exposure of the houses at `h_set` to the conflicts kept. Houses that stand
    /// together (a regraded source's hundreds) find theirs in the ranges of the sources
    /// within reach of the box of them all, found with one query: each range read once,
    /// or searched for each house where it is long (a chemical park's). Houses all over
    /// the city (a batch of many edits) are within reach of most sources, and finding
    /// those would take longer than reading the list: past `FEW` houses they are looked
    /// for only when the houses' box is at most `near_if.spread` times the farthest reach
    /// across, and only up to `near_if.houses` houses and `near_if.sources` sources; else
    /// the whole list is read once.
    pub(super) fn exposure_of(
        &self,
        h_set: &BTreeSet<usize>,
        reach: Option<f64>,
        near_if: NearIf,
    ) -> HashMap<usize, Exposure> {
        let mut exposure: HashMap<usize, Exposure> =
            h_set.iter().map(|p| (*p, Exposure::default())).collect();
        let list = &self.analysis.protection_conflicts;
        // A bit per house, to pass over the conflicts of other houses without a lookup.
        let marks = Marks::of(h_set.iter().map(|p| (LayerKind::Houses, *p)));
        // (The farthest reach worked out only when the houses may look near them.)
        let near = (h_set.len() <= near_if.houses)
            .then(|| {
                h_set
                    .iter()
                    .filter_map(|&p| self.ds.houses.get(p)?.geometry.bounding_rect())
                    .reduce(|a, b| crate::dataset::union_rect(&a, &b))
            })
            .flatten()
            .map(|r| (r, reach.unwrap_or_else(|| self.protection_reach())))
            .filter(|(r, reach)| {
                h_set.len() <= FEW
                    || crate::geodesy::point_distance_m(r.min().into(), r.max().into())
                        <= near_if.spread * reach
            })
            .map(|(r, reach)| self.sources_near(Some(&Geometry::Rect(r)), reach))
            .filter(|near| near.len() <= near_if.sources);
        let add = |c: &ProtectionConflict| {
            if let Some(e) = exposure.get_mut(&c.target_pos) {
                e.add_protection(c);
            }
        };
        match near {
            Some(near) => conflicts::of_houses_in(list, &near, h_set, &marks).for_each(add),
            None => list
                .iter()
                .filter(|c| c.target_layer == LayerKind::Houses)
                .filter(|c| marks.has(LayerKind::Houses, c.target_pos))
                .for_each(add),
        }
        for c in &self.analysis.pipeline_conflicts {
            if c.layer == LayerKind::Houses
                && let Some(e) = exposure.get_mut(&c.feature_pos)
            {
                e.add_pipeline(c);
            }
        }
        exposure
    }

    /// Assesses the enterprises in `e_set` again; returns, by id, the level each had
    /// before for those whose result changed.
    fn enterprises_again(
        &mut self,
        e_set: &BTreeSet<usize>,
        changed: &BTreeSet<usize>,
        dirty: &mut Dirty,
    ) -> HashMap<String, Option<RiskLevel>> {
        let (ds, an, rules) = (&self.ds, &self.analysis, &self.rules);
        // Their sources' worst grades and their hidden hazards (kept by feature).
        let ids: Vec<&str> = e_set
            .iter()
            .filter_map(|&p| ds.enterprises.get(p).map(|f| f.id.as_str()))
            .collect();
        let inputs = self.owners_inputs(&ids);
        let again: Vec<(usize, _)> = e_set
            .iter()
            .filter_map(|&p| {
                let f = ds.enterprises.get(p)?;
                let w = inputs.worst.get(f.id.as_str()).copied();
                let h = inputs
                    .hidden
                    .as_ref()
                    .map(|m| m.get(f.id.as_str()).copied().unwrap_or_default());
                Some((p, assess_one(ds, f, w, h, &an.target_classes, rules)))
            })
            .collect();
        let mut out = HashMap::new();
        for (p, r) in again {
            let Some(slot) = self.analysis.enterprise_risks.get_mut(p) else {
                continue;
            };
            if changed.contains(&p) || *slot != r {
                if (changed.contains(&p) || slot.level != r.level)
                    && let Some(f) = self.ds.enterprises.get(p)
                {
                    push_box(dirty, LayerKind::Enterprises, &f.geometry);
                    push_box(dirty, LayerKind::EnterpriseRisk, &f.geometry);
                }
                let old = std::mem::replace(slot, r);
                out.insert(old.id.clone(), Some(old.level));
            }
        }
        out
    }
}

/// Whether a change leaves its feature's own drawing as it was: a hazard source's tile
/// features are its place, its name and the level of its grade, so a corrected
/// inventory or owner changes none of its tiles unless the grade moves, which marks its
/// boxes where the grades are recomputed. A house's are its footprint and its level, so
/// new occupants, an address or an appraisal leave them as they were unless the level
/// moves, which marks its boxes where the levels are recomputed (`houses_again`). Any
/// other change is drawn anew.
fn drawn_alike(c: &Change) -> bool {
    match (&c.before, &c.after) {
        (Some(AnyFeature::HazardSource(b)), Some(AnyFeature::HazardSource(a))) => {
            b.geometry == a.geometry && b.props.name == a.props.name
        }
        (Some(AnyFeature::House(b)), Some(AnyFeature::House(a))) => b.geometry == a.geometry,
        _ => false,
    }
}
