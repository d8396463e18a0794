//! A dataset: the seven typed input layers, each with its R-tree.

use geo::{Geometry, Rect};

pub mod check;

pub use crate::layer::Layer;
use crate::model::{
    Area, Enterprise, GasPipeline, HazardSource, HiddenHazard, House, LayerKind, ProtectionTarget,
};
pub use check::{CheckProps, Problem, Problems, feature_problems, geometry_problem};

/// The seven input layers of a risk map.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// 镇/街道
    pub areas: Layer<Area>,
    /// 企业
    pub enterprises: Layer<Enterprise>,
    /// 重大危险源
    pub hazard_sources: Layer<HazardSource>,
    /// 燃气管道
    pub gas_pipelines: Layer<GasPipeline>,
    /// 自建房
    pub houses: Layer<House>,
    /// 防护目标
    pub protection_targets: Layer<ProtectionTarget>,
    /// 隐患 (each at its own place or its feature's)
    pub hidden_hazards: Layer<HiddenHazard>,
}

impl Default for Dataset {
    fn default() -> Self {
        Dataset {
            areas: Layer::empty(LayerKind::Areas),
            enterprises: Layer::empty(LayerKind::Enterprises),
            hazard_sources: Layer::empty(LayerKind::HazardSources),
            gas_pipelines: Layer::empty(LayerKind::GasPipelines),
            houses: Layer::empty(LayerKind::Houses),
            protection_targets: Layer::empty(LayerKind::ProtectionTargets),
            hidden_hazards: Layer::empty(LayerKind::HiddenHazards),
        }
    }
}

impl Dataset {
    /// Makes every layer this copy's own ([`crate::layer::Layer::unshare`]).
    pub fn unshare(&mut self) {
        self.areas.unshare();
        self.enterprises.unshare();
        self.hazard_sources.unshare();
        self.gas_pipelines.unshare();
        self.houses.unshare();
        self.protection_targets.unshare();
        self.hidden_hazards.unshare();
    }

    /// Gives every layer it alone holds room for more features
    /// ([`crate::layer::Layer::keep_room`]).
    pub(crate) fn keep_room(&mut self) {
        self.areas.keep_room();
        self.enterprises.keep_room();
        self.hazard_sources.keep_room();
        self.gas_pipelines.keep_room();
        self.houses.keep_room();
        self.protection_targets.keep_room();
        self.hidden_hazards.keep_room();
    }

    /// Feature count per layer.
    pub fn counts(&self) -> [(LayerKind, usize); 7] {
        [
            (LayerKind::Areas, self.areas.len()),
            (LayerKind::Enterprises, self.enterprises.len()),
            (LayerKind::HazardSources, self.hazard_sources.len()),
            (LayerKind::GasPipelines, self.gas_pipelines.len()),
            (LayerKind::Houses, self.houses.len()),
            (LayerKind::ProtectionTargets, self.protection_targets.len()),
            (LayerKind::HiddenHazards, self.hidden_hazards.len()),
        ]
    }

    /// Features of an input layer (0 for a result layer).
    pub fn count(&self, kind: LayerKind) -> usize {
        self.counts()
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or(0, |(_, n)| *n)
    }

    /// The uid of the feature at `pos` of an input layer (the id its tiles give it);
    /// `None` for a result layer or a position not there.
    pub fn uid(&self, kind: LayerKind, pos: usize) -> Option<u64> {
        self.input_layer(kind)?.uid_at(pos)
    }

    /// The id of the feature at `pos` of an input layer; `None` for a result layer or a
    /// position not there.
    pub fn id_at(&self, kind: LayerKind, pos: usize) -> Option<&str> {
        self.input_layer(kind)?.id_at(pos)
    }

    /// Where the feature at `pos` of an input layer came from; `None` for a result layer
    /// or a position not there.
    pub fn source_at(&self, kind: LayerKind, pos: usize) -> Option<crate::model::SourceRef> {
        self.input_layer(kind)?.source_at(pos)
    }

    /// The geometry of the feature at `pos` of an input layer; `None` for a result layer
    /// or a position not there.
    pub fn geometry_at(&self, kind: LayerKind, pos: usize) -> Option<&Geometry<f64>> {
        self.input_layer(kind)?.geometry_at(pos)
    }

    /// The position of the feature `id` of an input layer, by a linear search (a served
    /// map keeps its ids in a table: [`crate::live::Live::position`]).
    pub fn position_of(&self, kind: LayerKind, id: &str) -> Option<usize> {
        self.input_layer(kind)?.position_of(id)
    }

    /// The input layer `kind`, seen through what every layer has whatever its
    /// properties; `None` for a result layer.
    fn input_layer(&self, kind: LayerKind) -> Option<&dyn crate::layer::AnyLayer> {
        Some(match kind {
            LayerKind::Areas => &self.areas,
            LayerKind::Enterprises => &self.enterprises,
            LayerKind::HazardSources => &self.hazard_sources,
            LayerKind::GasPipelines => &self.gas_pipelines,
            LayerKind::Houses => &self.houses,
            LayerKind::ProtectionTargets => &self.protection_targets,
            LayerKind::HiddenHazards => &self.hidden_hazards,
            LayerKind::HazardGrades
            | LayerKind::ProtectionConflicts
            | LayerKind::PipelineConflicts
            | LayerKind::HouseRisk
            | LayerKind::EnterpriseRisk
            | LayerKind::RiskGrid => return None,
        })
    }

    /// The name of the feature at `pos` of an input layer (a house's address, a hidden
    /// hazard's description); `None` for a result layer or a position not there.
    pub fn name_at(&self, kind: LayerKind, pos: usize) -> Option<&str> {
        match kind {
            LayerKind::Areas => self.areas.get(pos).map(|f| f.props.name.as_str()),
            LayerKind::Enterprises => self.enterprises.get(pos).map(|f| f.props.name.as_str()),
            LayerKind::HazardSources => self.hazard_sources.get(pos).map(|f| f.props.name.as_str()),
            LayerKind::GasPipelines => self.gas_pipelines.get(pos).map(|f| f.props.name.as_str()),
            LayerKind::Houses => self.houses.get(pos).map(|f| &*f.props.address),
            LayerKind::ProtectionTargets => self
                .protection_targets
                .get(pos)
                .map(|f| f.props.name.as_str()),
            LayerKind::HiddenHazards => self.hidden_hazards.get(pos).map(|f| &*f.props.description),
            LayerKind::HazardGrades
            | LayerKind::ProtectionConflicts
            | LayerKind::PipelineConflicts
            | LayerKind::HouseRisk
            | LayerKind::EnterpriseRisk
            | LayerKind::RiskGrid => None,
        }
    }

    /// The position of the area (town or street) with this name or id (spaces around
    /// either ignored: a name pasted from a ledger cell).
    pub fn area_position(&self, name: &str) -> Option<usize> {
        let name = name.trim();
        self.areas
            .features()
            .iter()
            .position(|a| a.props.name.trim() == name || a.id.trim() == name)
    }

    /// The areas' names, comma-separated, for a message about one that is not there.
    pub fn area_names(&self) -> String {
        self.areas
            .features()
            .iter()
            .map(|a| a.props.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Bounding box of all layers in lon/lat.
    pub fn bounds(&self) -> Option<Rect<f64>> {
        [
            self.areas.bounds(),
            self.enterprises.bounds(),
            self.hazard_sources.bounds(),
            self.gas_pipelines.bounds(),
            self.houses.bounds(),
            self.protection_targets.bounds(),
            self.hidden_hazards.bounds(),
        ]
        .into_iter()
        .flatten()
        .reduce(|a, b| union_rect(&a, &b))
    }
}

/// The smallest rectangle holding both.
pub fn union_rect(a: &Rect<f64>, b: &Rect<f64>) -> Rect<f64> {
    Rect::new(
        (a.min().x.min(b.min().x), a.min().y.min(b.min().y)),
        (a.max().x.max(b.max().x), a.max().y.max(b.max().y)),
    )
}
