//! The map as of another day than the analysis's (the viewer's date control): where each
//! hidden hazard stood on that day, and the enterprise levels that follow from them (an
//! enterprise's likelihood counts its open and overdue hazards), with their clusters.
//! What does not depend on the day — houses, hazard sources, conflicts — is the served
//! analysis's; the grid cells and the areas' levels stay the analysis day's too (see
//! [`DatedView`]).

use std::collections::BTreeMap;

use super::clusters::{self, Clusters};
use super::{TileSet, TileSetError};
use crate::analysis::hidden_hazards::{self, HiddenState};
use crate::analysis::{Analysis, EnterpriseRisk, enterprise_risk};
use crate::dataset::Dataset;
use crate::model::{Day, LayerKind};
use crate::rules::Rules;

/// What the map shows differently on another day: the states of the hidden hazards and
/// the levels of the enterprises, in layer order, and their clusters. Made by
/// [`TileSet::view_as_of`] for one generation of the data; tiles of it come from
/// [`TileSet::render_as_of`]. The risk grid and the areas' levels are not recomputed
/// for the day (they sum over every house): they stay the analysis day's.
#[derive(Debug, Clone)]
pub struct DatedView {
    day: Day,
    pub(super) hidden_states: Vec<HiddenState>,
    pub(super) enterprise_risks: Vec<EnterpriseRisk>,
    pub(super) clusters: BTreeMap<LayerKind, Clusters>,
}

impl DatedView {
    /// The day.
    pub fn day(&self) -> Day {
        self.day
    }

    /// Where each hidden hazard stood on the day, in layer order.
    pub fn hidden_states(&self) -> &[HiddenState] {
        &self.hidden_states
    }

    /// Each enterprise's level on the day, in layer order.
    pub fn enterprise_risks(&self) -> &[EnterpriseRisk] {
        &self.enterprise_risks
    }
}

impl TileSet {
    /// The map of `ds` and its analysis `a` (made with `rules`) as of `day`: the hidden
    /// hazards' states that day, the enterprises assessed with them (the analysis's own
    /// `assess_all`, so that on the analysis day it is the analysis), and the clusters of
    /// both layers.
    pub fn view_as_of(
        &self,
        ds: &Dataset,
        a: &Analysis,
        rules: &Rules,
        day: Day,
    ) -> Result<DatedView, TileSetError> {
        let mut rules = rules.clone();
        rules.hidden_hazards.as_of = Some(day);
        let (hidden_states, enterprise_risks) = rayon::join(
            || hidden_hazards::states_on(ds, day),
            || enterprise_risk::assess_all(ds, &a.hazard_grades, &a.target_classes, &rules),
        );
        let opts = &self.config.cluster;
        let detail = |k: LayerKind| self.detail_zoom(k).unwrap_or(0);
        let (hidden, enterprises) = rayon::join(
            || {
                let pts = clusters::hidden_points(ds, &hidden_states);
                clusters::build_one(pts, detail(LayerKind::HiddenHazards), opts)
            },
            || {
                let pts = clusters::layer_points(&ds.enterprises, |i| {
                    enterprise_risks
                        .get(i)
                        .map_or(crate::model::RiskLevel::Low, |e| e.level)
                });
                clusters::build_one(pts, detail(LayerKind::Enterprises), opts)
            },
        );
        let mut clusters = BTreeMap::new();
        clusters.insert(LayerKind::HiddenHazards, hidden?);
        clusters.insert(LayerKind::Enterprises, enterprises?);
        Ok(DatedView {
            day,
            hidden_states,
            enterprise_risks,
            clusters,
        })
    }
}
