//! The first half of a batch: the edits checked, merged per feature, and applied to the
//! layers and to every per-position result (placeholders for new features, the last
//! feature moved into a deleted one's place).

use std::collections::HashMap;

use super::marks::Marks;
use super::{AnyFeature, Change, Edit, Live, LiveError, input_slot};
use crate::analysis::enterprise_risk::{EnterpriseRisk, assess_one};
use crate::analysis::hazard_grade::{HazardGradeResult, grade_one};
use crate::analysis::hidden_hazards;
use crate::analysis::house_risk::{Exposure, house_risk};
use crate::analysis::risk_grid::tally::Kept;
use crate::analysis::risk_grid::{anchor, house_slot};
use crate::analysis::{self, PipelineConflict, ProtectionConflict, target_class};
use crate::io::LINKABLE;
use crate::layer::Layer;
use crate::model::{Feature, LayerKind, RiskLevel};

/// What applying the edits left for the second half to know.
#[derive(Default)]
pub(super) struct Applied1 {
    /// One per changed feature, in the order first edited.
    pub changes: Vec<Change>,
    /// Conflicts of deleted features, as they were.
    pub removed_protection: Vec<ProtectionConflict>,
    /// Pipeline conflicts of deleted features, as they were.
    pub removed_pipeline: Vec<PipelineConflict>,
    /// Features whose position changed (moved into a deleted feature's place).
    pub moved: Vec<(LayerKind, String)>,
    /// Whether a protection conflict took a moved feature's new position: the list,
    /// sorted by positions, must then be sorted again.
    pub rekeyed_protection: bool,
    /// Uids of deleted features.
    pub gone_uids: Vec<(LayerKind, u64)>,
    /// Results of deleted features, as they were.
    pub gone_grades: Vec<HazardGradeResult>,
    /// Levels of deleted houses, as they were, by id.
    pub gone_houses: Vec<(String, RiskLevel)>,
    /// Results of deleted enterprises, as they were.
    pub gone_enterprises: Vec<EnterpriseRisk>,
}

type Key = (LayerKind, String);

impl Live {
    /// Checks every edit and merges them per feature; nothing is changed.
    pub(super) fn plan(&self, edits: &[Edit]) -> Result<Vec<Change>, LiveError> {
        let mut order: Vec<Key> = Vec::new();
        let mut state: HashMap<Key, (Option<AnyFeature>, Option<AnyFeature>)> = HashMap::new();
        for e in edits {
            let (layer, id, after) = match e {
                Edit::Put(f) => (f.layer(), f.id().to_string(), Some(f.as_ref().clone())),
                Edit::Delete { layer, id } => (*layer, id.clone(), None),
            };
            if input_slot(layer).is_none() {
                return Err(LiveError::NotAnInputLayer {
                    layer: layer.name(),
                });
            }
            if id.trim().is_empty() {
                return Err(LiveError::EmptyId {
                    layer: layer.name(),
                });
            }
            if let Some(f) = &after {
                let problems = f.problems();
                if !problems.is_empty() {
                    return Err(analysis::InputError::Features(crate::dataset::Problems {
                        problems,
                    })
                    .into());
                }
            }
            let key = (layer, id);
            if !state.contains_key(&key) {
                let before = self.feature(layer, &key.1);
                order.push(key.clone());
                state.insert(key.clone(), (before.clone(), before));
            }
            let Some(slot) = state.get_mut(&key) else {
                continue;
            };
            if after.is_none() && slot.1.is_none() {
                return Err(LiveError::NoSuchFeature {
                    layer: layer.name(),
                    id: key.1,
                });
            }
            slot.1 = after;
        }
        Ok(order
            .into_iter()
            .filter_map(|key| {
                let (before, after) = state.remove(&key)?;
                (before.is_some() || after.is_some()).then_some(Change {
                    layer: key.0,
                    id: key.1,
                    before,
                    after,
                })
            })
            .collect())
    }

    /// Hidden hazards drawn at their feature's place (`own_location` false) move with the
    /// features the batch moves or puts back under their id, in the same batch, as a load
    /// of the changed ledgers would place them; those of a deleted feature stay where
    /// they were.
    pub(super) fn hazards_follow(&self, changes: &mut Vec<Change>) {
        if self.ds.hidden_hazards.is_empty() {
            return;
        }
        // The new point of each moved feature, a map per linkable layer (foldhash: ids
        // of one's own ledgers need no protection against chosen collisions); its
        // hazards are found through the hazards kept by feature.
        type Moved = foldhash::HashMap<String, Option<geo::Coord<f64>>>;
        let mut moved: [Option<Moved>; LINKABLE.len()] = Default::default();
        let slot = |l: LayerKind| LINKABLE.iter().position(|k| *k == l);
        for c in changes.iter() {
            if let (Some(i), Some(a)) = (slot(c.layer), &c.after)
                && c.before
                    .as_ref()
                    .is_none_or(|b| b.geometry() != a.geometry())
                && let Some(m) = moved.get_mut(i)
            {
                m.get_or_insert_default()
                    .insert(c.id.clone(), anchor(a.geometry()));
            }
        }
        if moved.iter().all(Option::is_none) {
            return;
        }
        let place = |h: &crate::model::HiddenHazard| -> Option<Option<geo::Coord<f64>>> {
            if h.own_location {
                return None;
            }
            moved
                .get(slot(h.feature_layer?)?)?
                .as_ref()?
                .get(h.feature_id.as_deref()?)
                .copied()
        };
        // Hazards the batch itself edits follow within their own change.
        let mut edited = std::collections::HashSet::new();
        for c in changes.iter_mut() {
            if let Some(AnyFeature::HiddenHazard(h)) = &mut c.after {
                edited.insert(c.id.clone());
                if let Some(Some(p)) = place(&h.props) {
                    h.geometry = geo::Geometry::Point(p.into());
                }
            }
        }
        // The hazards of the moved features, in the layer's order.
        let mut at_moved: Vec<usize> = Vec::new();
        for (i, m) in moved.iter().enumerate() {
            if let (Some(m), Some(&layer)) = (m, LINKABLE.get(i)) {
                for id in m.keys() {
                    at_moved.extend(self.hazards_of(layer, id));
                }
            }
        }
        at_moved.sort_unstable();
        at_moved.dedup();
        for p in at_moved {
            let Some(f) = self.ds.hidden_hazards.get(p) else {
                continue;
            };
            let Some(Some(p)) = place(&f.props) else {
                continue;
            };
            if edited.contains(&f.id) {
                continue;
            }
            let mut after = f.clone();
            after.geometry = geo::Geometry::Point(p.into());
            if after.geometry == f.geometry {
                continue;
            }
            changes.push(Change {
                layer: LayerKind::HiddenHazards,
                id: f.id.clone(),
                before: Some(AnyFeature::HiddenHazard(f.clone())),
                after: Some(AnyFeature::HiddenHazard(after)),
            });
        }
    }

    /// A copy of the feature with this id.
    pub fn feature(&self, layer: LayerKind, id: &str) -> Option<AnyFeature> {
        self.feature_at(layer, self.position(layer, id)?)
    }

    /// Applies planned changes to the layers and the per-position results.
    pub(super) fn apply_changes(&mut self, changes: Vec<Change>) -> Applied1 {
        let mut out = Applied1::default();
        let mut renumber = Renumber::default();
        for c in &changes {
            match (&c.before, &c.after) {
                (Some(_), Some(f)) => self.replace(f.clone()),
                (None, Some(f)) => {
                    let layer = f.layer();
                    let pos = self.insert(f.clone());
                    if let Some(p) = pos {
                        renumber.of(layer).inserted(p);
                    }
                }
                (Some(_), None) => self.delete(c.layer, &c.id, &mut out, &mut renumber),
                (None, None) => {}
            }
        }
        self.renumber_conflicts(&renumber, &mut out);
        out.changes = changes;
        out
    }

    /// The conflicts of the batch's deleted features go, and those of the features moved
    /// into their places follow them: one pass over each list for the whole batch (a
    /// pass per deletion took a batch of thousands of them seconds).
    fn renumber_conflicts(&mut self, r: &Renumber, out: &mut Applied1) {
        if r.layers.iter().all(|(_, l)| l.gone.is_empty()) {
            return;
        }
        let moves: Vec<(LayerKind, HashMap<usize, usize>)> =
            r.layers.iter().map(|(k, l)| (*k, l.moves())).collect();
        // Bits first: most of the 10⁵ conflicts are of neither.
        let gone = Marks::of(
            r.layers
                .iter()
                .flat_map(|(k, l)| l.gone.iter().map(move |p| (*k, *p))),
        );
        let gone = |layer: LayerKind, pos: usize| gone.has(layer, pos);
        let from = Marks::of(
            moves
                .iter()
                .flat_map(|(k, m)| m.keys().map(move |p| (*k, *p))),
        );
        let moved = |layer: LayerKind, pos: usize| {
            if !from.has(layer, pos) {
                return None;
            }
            moves
                .iter()
                .find(|(k, _)| *k == layer)
                .and_then(|(_, m)| m.get(&pos).copied())
        };
        let an = &mut self.analysis;
        an.protection_conflicts.retain(|c| {
            let g = gone(c.source_layer, c.source_pos) || gone(c.target_layer, c.target_pos);
            if g {
                out.removed_protection.push(c.clone());
            }
            !g
        });
        an.pipeline_conflicts.retain(|c| {
            let g = gone(LayerKind::GasPipelines, c.pipeline_pos) || gone(c.layer, c.feature_pos);
            if g {
                out.removed_pipeline.push(c.clone());
            }
            !g
        });
        if moves.iter().all(|(_, m)| m.is_empty()) {
            return;
        }
        for c in &mut an.protection_conflicts {
            if let Some(p) = moved(c.source_layer, c.source_pos) {
                c.source_pos = p;
                out.rekeyed_protection = true;
            }
            if let Some(p) = moved(c.target_layer, c.target_pos) {
                c.target_pos = p;
                out.rekeyed_protection = true;
            }
        }
        for c in &mut an.pipeline_conflicts {
            if let Some(p) = moved(LayerKind::GasPipelines, c.pipeline_pos) {
                c.pipeline_pos = p;
            }
            if let Some(p) = moved(c.layer, c.feature_pos) {
                c.feature_pos = p;
            }
        }
    }

    fn replace(&mut self, f: AnyFeature) {
        let Some(pos) = self.position(f.layer(), f.id()) else {
            return;
        };
        match f {
            AnyFeature::Area(f) => drop(self.ds.areas.replace(pos, f)),
            AnyFeature::Enterprise(f) => {
                self.enterprises_at.set(pos, &f.geometry, &self.grid);
                self.ds.enterprises.replace(pos, f);
            }
            AnyFeature::HazardSource(f) => {
                self.hazard_sources_at.set(pos, &f.geometry, &self.grid);
                self.ds.hazard_sources.replace(pos, f);
            }
            AnyFeature::GasPipeline(f) => drop(self.ds.gas_pipelines.replace(pos, f)),
            AnyFeature::House(f) => {
                self.houses_at.set(pos, &f.geometry, &self.grid);
                self.house_slots[pos] = house_slot(&self.ds, self.houses_at.anchor(pos));
                self.ds.houses.replace(pos, f);
            }
            AnyFeature::ProtectionTarget(f) => drop(self.ds.protection_targets.replace(pos, f)),
            AnyFeature::HiddenHazard(f) => {
                // Its state on the day depends on its own record alone.
                let s = hidden_hazards::state_on(&f.props, self.rules.hidden_hazards.day());
                if let Some(slot) = self.analysis.hidden_states.get_mut(pos) {
                    *slot = s;
                }
                if let Some(old) = self.ds.hidden_hazards.get(pos) {
                    self.linked.unlink(&old.id, &old.props);
                }
                self.linked.link(&f.id, &f.props);
                self.ds.hidden_hazards.replace(pos, f);
            }
        }
    }

    /// Adds a feature at the end of its layer; its position.
    fn insert(&mut self, f: AnyFeature) -> Option<usize> {
        let (layer, id) = (f.layer(), f.id().to_string());
        let slot = input_slot(layer)?;
        let (ds, an, rules) = (&mut self.ds, &mut self.analysis, &self.rules);
        let pos = match f {
            AnyFeature::Area(f) => ds.areas.push(f),
            AnyFeature::Enterprise(f) => {
                // A placeholder: the second half assesses every changed enterprise.
                let r = assess_one(ds, &f, None, None, &an.target_classes, rules);
                an.enterprise_risks.push(r);
                self.tally.push(Kept::Enterprises);
                self.enterprises_at.push(&f.geometry, &self.grid);
                ds.enterprises.push(f)
            }
            AnyFeature::HazardSource(f) => {
                an.hazard_grades
                    .push(grade_one(ds, &f, &self.substances, rules));
                self.tally.push(Kept::HazardSources);
                self.hazard_sources_at.push(&f.geometry, &self.grid);
                ds.hazard_sources.push(f)
            }
            AnyFeature::GasPipeline(f) => ds.gas_pipelines.push(f),
            AnyFeature::House(f) => {
                an.house_risks
                    .push(house_risk(&f, Exposure::default(), rules));
                let a = self.houses_at.push(&f.geometry, &self.grid);
                let pos = ds.houses.push(f);
                self.house_slots.push(house_slot(ds, a));
                self.tally.push(Kept::Houses);
                pos
            }
            AnyFeature::ProtectionTarget(f) => {
                an.target_classes.push(target_class(&f.props, rules));
                self.tally.push(Kept::ProtectionTargets);
                ds.protection_targets.push(f)
            }
            AnyFeature::HiddenHazard(f) => {
                an.hidden_states.push(hidden_hazards::state_on(
                    &f.props,
                    rules.hidden_hazards.day(),
                ));
                self.linked.link(&f.id, &f.props);
                ds.hidden_hazards.push(f)
            }
        };
        let ds = &self.ds;
        self.ids[slot].insert(&id, pos, &|p| ds.id_at(layer, p));
        Some(pos)
    }

    /// Removes a feature, the last of its layer taking its place; what that does to the
    /// conflicts' positions is noted in `renumber` for the batch's one pass over them.
    fn delete(&mut self, layer: LayerKind, id: &str, out: &mut Applied1, renumber: &mut Renumber) {
        let Some(slot) = input_slot(layer) else {
            return;
        };
        let ds = &self.ds;
        let Some(pos) = self.ids[slot].remove(id, |p| ds.id_at(layer, p)) else {
            return;
        };
        if let Some(u) = self.uid(layer, pos) {
            out.gone_uids.push((layer, u));
        }
        let kept = match layer {
            LayerKind::Enterprises => Some(Kept::Enterprises),
            LayerKind::HazardSources => Some(Kept::HazardSources),
            LayerKind::Houses => Some(Kept::Houses),
            LayerKind::ProtectionTargets => Some(Kept::ProtectionTargets),
            _ => None,
        };
        if let Some(k) = kept {
            // The deleted feature's share goes; the moved one's follows it.
            self.tally.swap_remove(k, pos);
        }
        let an = &mut self.analysis;
        let moved = match layer {
            LayerKind::Areas => remove(&mut self.ds.areas, pos),
            LayerKind::Enterprises => {
                out.gone_enterprises
                    .push(an.enterprise_risks.swap_remove(pos));
                self.enterprises_at.swap_remove(pos);
                remove(&mut self.ds.enterprises, pos)
            }
            LayerKind::HazardSources => {
                out.gone_grades.push(an.hazard_grades.swap_remove(pos));
                self.hazard_sources_at.swap_remove(pos);
                remove(&mut self.ds.hazard_sources, pos)
            }
            LayerKind::GasPipelines => remove(&mut self.ds.gas_pipelines, pos),
            LayerKind::Houses => {
                let id = self.ds.houses.get(pos).map(|f| f.id.clone());
                let level = an.house_risks.swap_remove(pos).level;
                out.gone_houses.push((id.unwrap_or_default(), level));
                self.houses_at.swap_remove(pos);
                self.house_slots.swap_remove(pos);
                remove(&mut self.ds.houses, pos)
            }
            LayerKind::ProtectionTargets => {
                an.target_classes.swap_remove(pos);
                remove(&mut self.ds.protection_targets, pos)
            }
            LayerKind::HiddenHazards => {
                an.hidden_states.swap_remove(pos);
                if let Some(old) = self.ds.hidden_hazards.get(pos) {
                    self.linked.unlink(&old.id, &old.props);
                }
                remove(&mut self.ds.hidden_hazards, pos)
            }
            LayerKind::HazardGrades
            | LayerKind::ProtectionConflicts
            | LayerKind::PipelineConflicts
            | LayerKind::HouseRisk
            | LayerKind::EnterpriseRisk
            | LayerKind::RiskGrid => None,
        };
        let last = match &moved {
            Some((last, _)) => *last,
            None => pos,
        };
        renumber.of(layer).deleted(pos, last);
        if let Some((last, moved_id)) = moved {
            self.ids[slot].moved(&moved_id, last, pos);
            out.moved.push((layer, moved_id));
        }
    }
}

/// How a batch's insertions and deletions moved one layer's features: where each
/// position's feature was before the batch (`None`: added by it; a position not listed
/// holds the feature it held), and the positions before the batch of the features gone.
#[derive(Default)]
struct Moves {
    from: HashMap<usize, Option<usize>>,
    gone: std::collections::HashSet<usize>,
}

impl Moves {
    fn origin(&self, pos: usize) -> Option<usize> {
        self.from.get(&pos).copied().unwrap_or(Some(pos))
    }

    fn inserted(&mut self, pos: usize) {
        self.from.insert(pos, None);
    }

    /// The feature at `pos` deleted, the one at `last` moved into its place.
    fn deleted(&mut self, pos: usize, last: usize) {
        if let Some(o) = self.origin(pos) {
            self.gone.insert(o);
        }
        let moved = self.origin(last);
        self.from.remove(&last);
        if pos != last {
            self.from.insert(pos, moved);
        }
    }

    /// Position before the batch → position now, of the features that moved.
    fn moves(&self) -> HashMap<usize, usize> {
        self.from
            .iter()
            .filter_map(|(&now, &was)| was.filter(|&w| w != now).map(|w| (w, now)))
            .collect()
    }
}

/// [`Moves`] of every layer a batch inserted into or deleted from.
#[derive(Default)]
struct Renumber {
    layers: Vec<(LayerKind, Moves)>,
}

impl Renumber {
    fn of(&mut self, layer: LayerKind) -> &mut Moves {
        let i = match self.layers.iter().position(|(k, _)| *k == layer) {
            Some(i) => i,
            None => {
                self.layers.push((layer, Moves::default()));
                self.layers.len() - 1
            }
        };
        &mut self.layers[i].1
    }
}

/// Removes the feature at `pos`; returns the old position and id of the feature moved
/// into its place, if one was.
fn remove<P: Clone>(layer: &mut Layer<P>, pos: usize) -> Option<(usize, String)> {
    let last = layer.len().checked_sub(1)?;
    let _removed: Feature<P> = layer.swap_remove(pos)?;
    (pos != last).then(|| {
        (
            last,
            layer.get(pos).map(|f| f.id.clone()).unwrap_or_default(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::Moves;

    /// Six features; the second deleted (the sixth takes its place), one added (at the
    /// sixth place) and deleted again, the first deleted (the fifth takes its place): the
    /// first two are gone, the sixth and fifth are now second and first, by hand.
    #[test]
    fn a_batchs_deletions_and_insertions_are_followed_to_the_end() {
        let mut m = Moves::default();
        m.deleted(1, 5);
        m.inserted(5);
        m.deleted(5, 5);
        m.deleted(0, 4);
        let mut gone: Vec<usize> = m.gone.iter().copied().collect();
        gone.sort_unstable();
        assert_eq!(gone, [0, 1]);
        let mut moves: Vec<(usize, usize)> = m.moves().into_iter().collect();
        moves.sort_unstable();
        assert_eq!(moves, [(4, 0), (5, 1)]);
        // The last deleted where it stands: nothing moves.
        let mut m = Moves::default();
        m.deleted(3, 3);
        assert!(m.moves().is_empty() && m.gone.contains(&3));
    }
}
