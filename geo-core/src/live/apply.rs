//! The first half of a batch: the edits checked, merged per feature, and applied to the
//! layers and to every per-position result (placeholders for new features, the last
//! feature moved into a deleted one's place).

use std::collections::HashMap;

use super::{AnyFeature, Change, Edit, Live, LiveError, input_slot};
use crate::analysis::enterprise_risk::{EnterpriseRisk, assess_one};
use crate::analysis::hazard_grade::{HazardGradeResult, grade_one};
use crate::analysis::hidden_hazards;
use crate::analysis::house_risk::{Exposure, house_risk};
use crate::analysis::risk_grid::tally::Kept;
use crate::analysis::risk_grid::{anchor, house_slot};
use crate::analysis::{PipelineConflict, ProtectionConflict, target_class};
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
        for c in &changes {
            match (&c.before, &c.after) {
                (Some(_), Some(f)) => self.replace(f.clone()),
                (None, Some(f)) => self.insert(f.clone()),
                (Some(_), None) => self.delete(c.layer, &c.id, &mut out),
                (None, None) => {}
            }
        }
        out.changes = changes;
        out
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

    fn insert(&mut self, f: AnyFeature) {
        let (layer, id) = (f.layer(), f.id().to_string());
        let Some(slot) = input_slot(layer) else {
            return;
        };
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
    }

    fn delete(&mut self, layer: LayerKind, id: &str, out: &mut Applied1) {
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
        // Conflicts of the deleted feature go; those of the moved one follow it.
        an.protection_conflicts.retain(|c| {
            let gone = (c.source_layer == layer && c.source_pos == pos)
                || (c.target_layer == layer && c.target_pos == pos);
            if gone {
                out.removed_protection.push(c.clone());
            }
            !gone
        });
        an.pipeline_conflicts.retain(|c| {
            let gone = (layer == LayerKind::GasPipelines && c.pipeline_pos == pos)
                || (c.layer == layer && c.feature_pos == pos);
            if gone {
                out.removed_pipeline.push(c.clone());
            }
            !gone
        });
        if let Some((last, moved_id)) = moved {
            for c in &mut an.protection_conflicts {
                if c.source_layer == layer && c.source_pos == last {
                    c.source_pos = pos;
                    out.rekeyed_protection = true;
                }
                if c.target_layer == layer && c.target_pos == last {
                    c.target_pos = pos;
                    out.rekeyed_protection = true;
                }
            }
            for c in &mut an.pipeline_conflicts {
                if layer == LayerKind::GasPipelines && c.pipeline_pos == last {
                    c.pipeline_pos = pos;
                }
                if c.layer == layer && c.feature_pos == last {
                    c.feature_pos = pos;
                }
            }
            self.ids[slot].moved(&moved_id, last, pos);
            out.moved.push((layer, moved_id));
        }
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
