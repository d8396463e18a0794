//! The hidden hazards of each feature, kept under batches.
//!
//! A batch asks two things of the hidden-hazard layer: which hazards count for the
//! enterprises it assesses again (their own and their hazard sources'), and which hazards
//! stand at the features it moves. Both are a few features' hazards out of 10⁵; walking
//! the layer for them was the largest part of a batch that changes one hazard source.
//! The hazards are kept by id (positions move when a feature is removed), per linkable
//! layer and feature id.

use crate::analysis::hidden_hazards::HiddenCounts;
use crate::dataset::Dataset;
use crate::io::LINKABLE;
use crate::model::{HazardGrade, HiddenHazard, LayerKind};

use super::Live;

/// Hidden hazards' ids by the feature they belong to, a map per linkable layer
/// (foldhash: ids of one's own ledgers need no protection against chosen collisions).
#[derive(Debug, Clone, Default)]
pub(super) struct Linked {
    by_layer: [foldhash::HashMap<String, Vec<String>>; LINKABLE.len()],
}

/// What the enterprises a batch assesses again are assessed from ([`Live::owners_inputs`]),
/// by enterprise id.
pub(super) struct OwnersInputs<'a> {
    /// The worst grade of each one's hazard sources (none: no graded source).
    pub(super) worst: foldhash::HashMap<&'a str, HazardGrade>,
    /// Each one's hidden hazards; `None` without a hidden-hazard layer.
    pub(super) hidden: Option<foldhash::HashMap<&'a str, HiddenCounts>>,
}

fn slot(layer: LayerKind) -> Option<usize> {
    LINKABLE.iter().position(|k| *k == layer)
}

impl Linked {
    /// The links of every hidden hazard of `ds`.
    pub(super) fn of(ds: &Dataset) -> Linked {
        let mut l = Linked::default();
        for f in ds.hidden_hazards.features() {
            l.link(&f.id, &f.props);
        }
        l
    }

    /// Heap bytes of the maps and their ids (the allocator's overhead left out).
    pub(super) fn heap_bytes(&self) -> usize {
        self.by_layer
            .iter()
            .map(|m| {
                super::map_bytes(m)
                    + m.iter()
                        .map(|(k, v)| {
                            k.capacity()
                                + v.capacity() * std::mem::size_of::<String>()
                                + v.iter().map(String::capacity).sum::<usize>()
                        })
                        .sum::<usize>()
            })
            .sum()
    }

    /// Records that hazard `id` belongs to the feature its record names.
    pub(super) fn link(&mut self, id: &str, h: &HiddenHazard) {
        if let (Some(i), Some(f)) = (h.feature_layer.and_then(slot), h.feature_id.as_deref()) {
            self.by_layer[i]
                .entry(f.to_string())
                .or_default()
                .push(id.to_string());
        }
    }

    /// Forgets that hazard `id` belongs to the feature its record named.
    pub(super) fn unlink(&mut self, id: &str, h: &HiddenHazard) {
        if let (Some(i), Some(f)) = (h.feature_layer.and_then(slot), h.feature_id.as_deref())
            && let Some(ids) = self.by_layer[i].get_mut(f)
        {
            ids.retain(|x| x != id);
            if ids.is_empty() {
                self.by_layer[i].remove(f);
            }
        }
    }

    /// The ids of the hazards that belong to feature `id` of `layer`.
    pub(super) fn of_feature(&self, layer: LayerKind, id: &str) -> &[String] {
        slot(layer)
            .and_then(|i| self.by_layer[i].get(id))
            .map_or(&[], Vec::as_slice)
    }
}

impl Live {
    /// The enterprise a hidden hazard counts for, by id.
    pub(super) fn hidden_owner(&self, h: &HiddenHazard) -> Option<String> {
        let id = h.feature_id.as_deref()?;
        match h.feature_layer? {
            LayerKind::Enterprises => Some(id.to_string()),
            LayerKind::HazardSources => self
                .position(LayerKind::HazardSources, id)
                .and_then(|p| self.ds.hazard_sources.get(p))
                .and_then(|f| f.props.enterprise_id.clone()),
            _ => None,
        }
    }

    /// The positions in the hidden-hazard layer of the hazards of feature `id` of `layer`.
    pub(super) fn hazards_of(&self, layer: LayerKind, id: &str) -> impl Iterator<Item = usize> {
        self.linked
            .of_feature(layer, id)
            .iter()
            .filter_map(|h| self.position(LayerKind::HiddenHazards, h))
    }

    /// What an enterprise of `ids` is assessed from beyond its own record: the worst
    /// grade of its hazard sources (as [`crate::analysis::enterprise_risk::worst_grades`]
    /// finds it over the whole layer), and its hidden hazards on the analysis's day (its
    /// own and its hazard sources', as
    /// [`crate::analysis::hidden_hazards::counts_for_enterprises`] counts them, from the
    /// states the analysis keeps; `None` when the dataset has no hidden-hazard layer).
    /// The hazard sources are few beside the hazards (2,000 in the million-house city):
    /// they are walked once for both.
    pub(super) fn owners_inputs<'a>(&self, ids: &[&'a str]) -> OwnersInputs<'a> {
        let ds = &self.ds;
        let asked: foldhash::HashSet<&'a str> = ids.iter().copied().collect();
        // The hazard sources of the enterprises asked for, by position.
        let owned: Vec<(&'a str, usize)> = ds
            .hazard_sources
            .features()
            .iter()
            .enumerate()
            .filter_map(|(p, s)| {
                let e = s.props.enterprise_id.as_deref()?;
                asked.get(e).map(|&e| (e, p))
            })
            .collect();
        let mut worst: foldhash::HashMap<&'a str, HazardGrade> = Default::default();
        for &(e, p) in &owned {
            if let Some(g) = self.analysis.hazard_grades.get(p).and_then(|g| g.grade) {
                let w = worst.entry(e).or_insert(g);
                *w = (*w).min(g); // One < Two…: the most severe is the smallest
            }
        }
        let hidden = (!ds.hidden_hazards.is_empty()).then(|| {
            let states = &self.analysis.hidden_states;
            let mut out: foldhash::HashMap<&str, HiddenCounts> = Default::default();
            let mut count = |e: &'a str, p: usize| {
                if let (Some(f), Some(s)) = (ds.hidden_hazards.get(p), states.get(p)) {
                    out.entry(e).or_default().add(&f.props, s);
                }
            };
            for &e in ids {
                for p in self.hazards_of(LayerKind::Enterprises, e) {
                    count(e, p);
                }
            }
            // A hazard of a hazard source counts for the source's owner.
            for &(e, p) in &owned {
                if let Some(s) = ds.hazard_sources.get(p) {
                    for h in self.hazards_of(LayerKind::HazardSources, &s.id) {
                        count(e, h);
                    }
                }
            }
            out
        });
        OwnersInputs { worst, hidden }
    }
}
