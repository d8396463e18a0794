//! A dataset: the six typed layers, each with its R-tree.

use geo::Rect;

use crate::index::SpatialIndex;
use crate::model::{
    Area, Enterprise, Feature, GasPipeline, HazardSource, House, LayerKind, ProtectionTarget,
};

/// One layer: its features and an R-tree over their bounding boxes.
///
/// The index is built once, by bulk loading, when the layer is constructed; a layer is
/// immutable afterwards so that analyses and tile requests can share it across threads.
#[derive(Debug, Clone)]
pub struct Layer<P> {
    kind: LayerKind,
    features: Vec<Feature<P>>,
    index: SpatialIndex,
}

impl<P> Layer<P> {
    /// Builds a layer and bulk-loads its R-tree.
    pub fn new(kind: LayerKind, features: Vec<Feature<P>>) -> Self {
        let index = SpatialIndex::build(features.iter().map(|f| &f.geometry));
        Layer {
            kind,
            features,
            index,
        }
    }

    /// An empty layer.
    pub fn empty(kind: LayerKind) -> Self {
        Layer::new(kind, Vec::new())
    }

    /// Which layer this is.
    pub fn kind(&self) -> LayerKind {
        self.kind
    }

    /// The features, in load order (positions are the ids the index returns).
    pub fn features(&self) -> &[Feature<P>] {
        &self.features
    }

    /// Number of features.
    pub fn len(&self) -> usize {
        self.features.len()
    }

    /// Whether the layer has no feature.
    pub fn is_empty(&self) -> bool {
        self.features.is_empty()
    }

    /// The feature at a position.
    pub fn get(&self, i: usize) -> Option<&Feature<P>> {
        self.features.get(i)
    }

    /// The R-tree.
    pub fn index(&self) -> &SpatialIndex {
        &self.index
    }

    /// The feature with this id, by linear search (ids are for people; positions for code).
    pub fn find_id(&self, id: &str) -> Option<(usize, &Feature<P>)> {
        self.features.iter().enumerate().find(|(_, f)| f.id == id)
    }

    /// Bounding box of the layer in lon/lat.
    pub fn bounds(&self) -> Option<Rect<f64>> {
        self.index.bounds()
    }

    /// Consumes the layer and returns its features.
    pub fn into_features(self) -> Vec<Feature<P>> {
        self.features
    }
}

/// The six input layers of a risk map.
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
        }
    }
}

impl Dataset {
    /// Feature count per layer.
    pub fn counts(&self) -> [(LayerKind, usize); 6] {
        [
            (LayerKind::Areas, self.areas.len()),
            (LayerKind::Enterprises, self.enterprises.len()),
            (LayerKind::HazardSources, self.hazard_sources.len()),
            (LayerKind::GasPipelines, self.gas_pipelines.len()),
            (LayerKind::Houses, self.houses.len()),
            (LayerKind::ProtectionTargets, self.protection_targets.len()),
        ]
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
