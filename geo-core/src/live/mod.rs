//! A living map: a dataset and its analysis kept current by batches of changes, each
//! applied without re-analysing everything.
//!
//! Every source of change — an edit through the API, a row changed in a store, a file
//! changed in a watched folder — becomes a batch of [`Edit`]s. [`Live::apply`] applies
//! the batch to the layers (R-trees updated in place), recomputes only what the changes
//! can affect, and reports what changed ([`Applied`]: each feature's before and after,
//! and the lon/lat boxes of everything whose drawing may differ, for the tiles):
//!
//! | change | recomputed |
//! |---|---|
//! | house | its protection and pipeline conflicts and level; the grade (α) of hazard sources within the population radius (their population brought up to date by the house's difference), and their conflicts; the grid cells it and they reach |
//! | hazard source | its grade and conflicts; its enterprise's level (old and new owner); cells |
//! | enterprise | its level and (hazardous chemicals) conflicts; cells |
//! | gas pipe | its conflicts; the levels of the houses involved; cells |
//! | protection target | its class, conflicts and population; the grades of hazard sources and levels of enterprises near it; cells |
//! | hidden hazard | the level of the enterprise it counts for (its own, or its hazard source's owner), before and after |
//! | area | everything (areas decide which cells exist and where each belongs) |
//!
//! Area summaries are kept as sums of shares (`analysis::risk_grid::tally`): the shares of
//! what a batch recomputed are taken out and put in again, nothing is summed over every
//! house. The invariant, checked by a property test
//! over random edit sequences: after any sequence of batches, [`Live::analysis`] equals
//! [`crate::analysis::analyze`] of [`Live::dataset`], field by field.
//!
//! A deleted feature's place is taken by the layer's last feature
//! ([`Layer::swap_remove`](crate::layer::Layer::swap_remove)); positions change only
//! there, and every per-position result follows.

mod apply;
mod conflicts;
mod deps;
mod grid;
mod ids;
mod linked;
mod marks;
mod population;
mod summaries;
#[cfg(all(test, feature = "generate"))]
mod tests;
#[cfg(all(test, feature = "generate"))]
mod tests_drawn;
#[cfg(all(test, feature = "generate"))]
mod tests_follow;
#[cfg(all(test, feature = "generate"))]
mod tests_regrade;
#[cfg(all(test, feature = "generate"))]
mod tests_room;

use std::collections::HashMap;

use geo::{Geometry, Rect};

use crate::analysis::risk_grid::H3Grid;
use crate::analysis::risk_grid::live::{HousePart, Located, Points, PointsPart};
use crate::analysis::risk_grid::tally::AreaTally;
use crate::analysis::{self, Analysis};
use crate::dataset::Dataset;
use crate::model::{
    Area, Enterprise, Feature, GasPipeline, HazardSource, HiddenHazard, House, LayerKind,
    ProtectionTarget,
};
use crate::rules::Rules;
use crate::substances::SubstanceTable;

/// A feature of any input layer.
#[derive(Debug, Clone)]
pub enum AnyFeature {
    /// 镇/街道
    Area(Feature<Area>),
    /// 企业
    Enterprise(Feature<Enterprise>),
    /// 重大危险源
    HazardSource(Feature<HazardSource>),
    /// 燃气管道
    GasPipeline(Feature<GasPipeline>),
    /// 自建房
    House(Feature<House>),
    /// 防护目标
    ProtectionTarget(Feature<ProtectionTarget>),
    /// 隐患
    HiddenHazard(Feature<HiddenHazard>),
}

impl AnyFeature {
    /// Appends it to its layer of `ds` (indexed); gives its position there.
    pub fn push_into(self, ds: &mut Dataset) -> usize {
        match self {
            AnyFeature::Area(f) => ds.areas.push(f),
            AnyFeature::Enterprise(f) => ds.enterprises.push(f),
            AnyFeature::HazardSource(f) => ds.hazard_sources.push(f),
            AnyFeature::GasPipeline(f) => ds.gas_pipelines.push(f),
            AnyFeature::House(f) => ds.houses.push(f),
            AnyFeature::ProtectionTarget(f) => ds.protection_targets.push(f),
            AnyFeature::HiddenHazard(f) => ds.hidden_hazards.push(f),
        }
    }

    /// What makes it unfit for analysis ([`crate::dataset::feature_problems`]).
    pub fn problems(&self) -> Vec<crate::dataset::Problem> {
        use crate::dataset::feature_problems as of;
        let k = self.layer();
        match self {
            AnyFeature::Area(f) => of(k, f),
            AnyFeature::Enterprise(f) => of(k, f),
            AnyFeature::HazardSource(f) => of(k, f),
            AnyFeature::GasPipeline(f) => of(k, f),
            AnyFeature::House(f) => of(k, f),
            AnyFeature::ProtectionTarget(f) => of(k, f),
            AnyFeature::HiddenHazard(f) => of(k, f),
        }
    }

    /// Its layer.
    pub fn layer(&self) -> LayerKind {
        match self {
            AnyFeature::Area(_) => LayerKind::Areas,
            AnyFeature::Enterprise(_) => LayerKind::Enterprises,
            AnyFeature::HazardSource(_) => LayerKind::HazardSources,
            AnyFeature::GasPipeline(_) => LayerKind::GasPipelines,
            AnyFeature::House(_) => LayerKind::Houses,
            AnyFeature::ProtectionTarget(_) => LayerKind::ProtectionTargets,
            AnyFeature::HiddenHazard(_) => LayerKind::HiddenHazards,
        }
    }

    /// Its id.
    pub fn id(&self) -> &str {
        match self {
            AnyFeature::Area(f) => &f.id,
            AnyFeature::Enterprise(f) => &f.id,
            AnyFeature::HazardSource(f) => &f.id,
            AnyFeature::GasPipeline(f) => &f.id,
            AnyFeature::House(f) => &f.id,
            AnyFeature::ProtectionTarget(f) => &f.id,
            AnyFeature::HiddenHazard(f) => &f.id,
        }
    }

    /// Its geometry.
    pub fn geometry(&self) -> &Geometry<f64> {
        match self {
            AnyFeature::Area(f) => &f.geometry,
            AnyFeature::Enterprise(f) => &f.geometry,
            AnyFeature::HazardSource(f) => &f.geometry,
            AnyFeature::GasPipeline(f) => &f.geometry,
            AnyFeature::House(f) => &f.geometry,
            AnyFeature::ProtectionTarget(f) => &f.geometry,
            AnyFeature::HiddenHazard(f) => &f.geometry,
        }
    }
}

/// One change asked for.
#[derive(Debug, Clone)]
pub enum Edit {
    /// Insert the feature, or replace the one with its id in its layer.
    Put(Box<AnyFeature>),
    /// Delete the feature with this id.
    Delete {
        /// An input layer.
        layer: LayerKind,
        /// The feature's id.
        id: String,
    },
}

/// What a batch did to one feature: its state before the batch and after it (`None`:
/// absent). Several edits of one feature in a batch make one change.
#[derive(Debug, Clone)]
pub struct Change {
    /// The layer.
    pub layer: LayerKind,
    /// The feature's id.
    pub id: String,
    /// Before the batch.
    pub before: Option<AnyFeature>,
    /// After the batch.
    pub after: Option<AnyFeature>,
}

/// What one batch changed.
#[derive(Debug, Clone, Default)]
pub struct Applied {
    /// The changed features.
    pub changes: Vec<Change>,
    /// Lon/lat boxes of everything whose drawing may have changed, by the layer it is
    /// drawn in (input layers for features, result layers for results; a box for the old
    /// and one for the new place of what moved).
    pub dirty: Vec<(LayerKind, Rect<f64>)>,
    /// Input-layer features whose drawing may have changed (geometry, properties or
    /// level), by layer and uid ([`crate::layer::Layer::uid`]); a deleted feature with
    /// the uid it had. Empty after a full re-analysis.
    pub features: Vec<(LayerKind, u64)>,
    /// Whether the batch needed a full re-analysis (an area changed, or the rules).
    pub full: bool,
    /// How much was recomputed.
    pub recomputed: Recomputed,
    /// The results kept in sorted lists that went or came, for whoever keeps copies of
    /// them (a tile set). Empty after a full re-analysis.
    pub results: ResultChanges,
}

/// Conflicts and grid cells that a batch changed.
#[derive(Debug, Clone, Default)]
pub struct ResultChanges {
    /// Protection conflicts that went or changed, as they were.
    pub protection_gone: Vec<analysis::ProtectionConflict>,
    /// Protection conflicts that came or changed, as they are.
    pub protection_new: Vec<analysis::ProtectionConflict>,
    /// Pipeline conflicts that went or changed, as they were.
    pub pipeline_gone: Vec<analysis::PipelineConflict>,
    /// Pipeline conflicts that came or changed, as they are.
    pub pipeline_new: Vec<analysis::PipelineConflict>,
    /// Grid cells whose result changed, by H3 id: the cell as it is (`None`: gone).
    pub cells: Vec<(String, Option<analysis::GridCell>)>,
}

/// Counts of what a batch recomputed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Recomputed {
    /// Hazard sources graded again.
    pub hazard_grades: usize,
    /// Sources whose protection conflicts were searched again.
    pub protection_sources: usize,
    /// Pipes whose conflicts were searched again.
    pub pipes: usize,
    /// Houses assessed again.
    pub houses: usize,
    /// Enterprises assessed again.
    pub enterprises: usize,
    /// Grid cells recomputed.
    pub cells: usize,
}

/// Why a batch was refused (nothing of it was applied).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LiveError {
    /// A delete names a feature that does not exist.
    #[error("{layer}: no feature with id {id:?} to delete")]
    NoSuchFeature {
        /// Layer name.
        layer: &'static str,
        /// The id.
        id: String,
    },
    /// An edit names a result layer.
    #[error("{layer} is a result layer: only input layers are edited")]
    NotAnInputLayer {
        /// Layer name.
        layer: &'static str,
    },
    /// A feature has an empty id.
    #[error("{layer}: a feature needs a non-empty id")]
    EmptyId {
        /// Layer name.
        layer: &'static str,
    },
    /// Features not fit for analysis (a coordinate not a number, a ring of two points, a
    /// negative tonnage…) or rules out of range: nothing was changed.
    #[error(transparent)]
    Input(#[from] analysis::InputError),
}

/// A dataset and its analysis, changed by batches.
///
/// A copy (a server's spare) keeps the room of every list batches grow: each part is
/// copied into room at once (`with_headroom`), not copied at its length
/// and then into room by [`Live::keep_room`], which would hold the larger lists twice
/// for a moment.
#[derive(Debug)]
pub struct Live {
    ds: Dataset,
    analysis: Analysis,
    rules: Rules,
    substances: SubstanceTable,
    /// Position of every feature by id, per input layer (in [`LayerKind::INPUTS`] order).
    ids: [ids::Positions; 7],
    /// Representative point of every house (as the grid and summaries use) and the grid
    /// cell holding it (the grid's cells by the rules in force).
    houses_at: Located,
    /// The same of every hazard source and every enterprise.
    hazard_sources_at: Located,
    enterprises_at: Located,
    /// The grid of the rules in force.
    grid: H3Grid,
    /// Area of every house (position in the areas layer; their number for none).
    house_slots: Vec<usize>,
    /// The area of each point located for the summaries (by the bits of its lon/lat).
    area_memo: HashMap<(u64, u64), Option<usize>>,
    /// The area summaries as sums of shares.
    tally: AreaTally,
    /// The hidden hazards of each feature.
    linked: linked::Linked,
    /// What its houses give each grid cell, made for every cell of the grid when the
    /// points are located and kept (`grid.rs`): dropped for a cell when a batch's houses
    /// touch it or it leaves the grid, made again when it is recomputed.
    grid_houses: HashMap<h3o::CellIndex, HousePart>,
    /// Where the risk points near each grid cell stand from it, made for every cell of
    /// the grid when the points are located and kept (`grid.rs`): all dropped when a
    /// batch adds, deletes or moves a hazard source or an enterprise, made again for a
    /// cell when it is recomputed.
    grid_points: HashMap<h3o::CellIndex, PointsPart>,
}

impl Clone for Live {
    fn clone(&self) -> Live {
        Live {
            ds: self.ds.clone(),
            analysis: self.analysis.clone(),
            rules: self.rules.clone(),
            substances: self.substances.clone(),
            ids: self.ids.clone(),
            houses_at: self.houses_at.clone(),
            hazard_sources_at: self.hazard_sources_at.clone(),
            enterprises_at: self.enterprises_at.clone(),
            grid: self.grid,
            house_slots: crate::heap::with_headroom(&self.house_slots),
            area_memo: self.area_memo.clone(),
            tally: self.tally.clone(),
            linked: self.linked.clone(),
            grid_houses: self.grid_houses.clone(),
            grid_points: self.grid_points.clone(),
        }
    }
}

impl Live {
    /// Analyses the dataset in full and keeps it for changes, once it and the rules pass
    /// [`analysis::check_input`].
    pub fn new(ds: Dataset, substances: SubstanceTable, rules: Rules) -> Result<Live, LiveError> {
        let analysis = analysis::analyze(&ds, &substances, &rules)?;
        Ok(Live::from_parts(ds, analysis, substances, rules))
    }

    /// Keeps a dataset whose analysis is already made (it must be `analyze` of it).
    pub fn from_parts(
        ds: Dataset,
        analysis: Analysis,
        substances: SubstanceTable,
        mut rules: Rules,
    ) -> Live {
        // The day hidden hazards are counted on stays the analysis's, also past midnight.
        if rules.hidden_hazards.as_of.is_none() {
            rules.hidden_hazards.as_of = analysis.as_of;
        }
        let grid = H3Grid::for_cell_size(rules.grid.cell_size_m);
        let mut live = Live {
            ds,
            analysis,
            rules,
            substances,
            ids: Default::default(),
            houses_at: Located::default(),
            hazard_sources_at: Located::default(),
            enterprises_at: Located::default(),
            grid,
            house_slots: Vec::new(),
            area_memo: HashMap::new(),
            tally: AreaTally::default(),
            linked: linked::Linked::default(),
            grid_houses: HashMap::new(),
            grid_points: HashMap::new(),
        };
        live.index_ids();
        live.locate_points();
        live
    }

    /// Each house's, hazard source's and enterprise's point and the grid cell holding
    /// it, by position (kept between batches): what a grid cell is recomputed from.
    pub(crate) fn points(&self) -> Points<'_> {
        Points {
            houses: &self.houses_at,
            hazard_sources: &self.hazard_sources_at,
            enterprises: &self.enterprises_at,
        }
    }

    /// Makes the dataset's layers this copy's own: a copy of a living map shares them
    /// with the original until it changes one, which it then copies. Also gives back the
    /// room its analysis's growing lists had (a copy holds them at exactly their length),
    /// so that this copy's first batch costs no more than the next.
    pub fn unshare(&mut self) {
        self.ds.unshare();
        self.keep_room();
    }

    /// Gives every list that batches grow room for more items where it has too little
    /// (a copy of that list, once): the layers this map alone holds, the analysis's
    /// lists, the points and shares kept per feature (`keep_room`). Call
    /// it on a map that will be edited, where nobody waits (a server does, before it
    /// serves the map); [`Live::unshare`] and a full re-analysis do it themselves.
    /// Without it the first house added to a million took 680 ms, the next ones a few,
    /// and a batch that found a new conflict copied the list of 10⁵ conflicts.
    pub fn keep_room(&mut self) {
        self.ds.keep_room();
        self.analysis.keep_room();
        self.houses_at.keep_room();
        self.hazard_sources_at.keep_room();
        self.enterprises_at.keep_room();
        crate::heap::keep_room(&mut self.house_slots);
        self.tally.keep_room();
    }

    /// What this state holds beside the dataset and its analysis, part by part, in heap
    /// bytes (estimated from the collections' capacities: the allocator's overhead left
    /// out); for measuring, as the `memory` example does.
    pub fn heap_parts(&self) -> Vec<(&'static str, usize)> {
        let ids = self.ids.iter().map(ids::Positions::heap_bytes).sum();
        let located = [
            &self.houses_at,
            &self.hazard_sources_at,
            &self.enterprises_at,
        ]
        .iter()
        .map(|l| {
            l.anchors.capacity() * std::mem::size_of::<Option<geo::Coord<f64>>>()
                + l.cells.capacity() * std::mem::size_of::<Option<h3o::CellIndex>>()
        })
        .sum();
        vec![
            ("positions by id (every input layer)", ids),
            ("points and grid cells (houses, sources, firms)", located),
            (
                "area of every house",
                self.house_slots.capacity() * std::mem::size_of::<usize>(),
            ),
            ("areas of points met (memo)", map_bytes(&self.area_memo)),
            ("grid cells' houses (memo)", map_bytes(&self.grid_houses)),
            (
                "grid cells' risk points (memo)",
                map_bytes(&self.grid_points)
                    + self
                        .grid_points
                        .values()
                        .map(PointsPart::heap_bytes)
                        .sum::<usize>(),
            ),
            ("area summaries' shares", self.tally.heap_bytes()),
            ("hidden hazards by feature", self.linked.heap_bytes()),
        ]
    }

    /// The current dataset.
    pub fn dataset(&self) -> &Dataset {
        &self.ds
    }

    /// The current analysis: always that of [`Live::dataset`].
    pub fn analysis(&self) -> &Analysis {
        &self.analysis
    }

    /// The rules in force.
    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// The dataset and analysis.
    pub fn into_parts(self) -> (Dataset, Analysis) {
        (self.ds, self.analysis)
    }

    /// The position of a feature by id.
    pub fn position(&self, layer: LayerKind, id: &str) -> Option<usize> {
        let ds = &self.ds;
        self.ids[input_slot(layer)?].get(id, |p| ds.id_at(layer, p))
    }

    /// The uid of the feature at a position of an input layer.
    pub fn uid(&self, layer: LayerKind, pos: usize) -> Option<u64> {
        self.ds.uid(layer, pos)
    }

    /// A copy of the feature at a position of an input layer.
    pub fn feature_at(&self, layer: LayerKind, pos: usize) -> Option<AnyFeature> {
        let ds = &self.ds;
        match layer {
            LayerKind::Areas => ds.areas.get(pos).cloned().map(AnyFeature::Area),
            LayerKind::Enterprises => ds.enterprises.get(pos).cloned().map(AnyFeature::Enterprise),
            LayerKind::HazardSources => ds
                .hazard_sources
                .get(pos)
                .cloned()
                .map(AnyFeature::HazardSource),
            LayerKind::GasPipelines => ds
                .gas_pipelines
                .get(pos)
                .cloned()
                .map(AnyFeature::GasPipeline),
            LayerKind::Houses => ds.houses.get(pos).cloned().map(AnyFeature::House),
            LayerKind::ProtectionTargets => ds
                .protection_targets
                .get(pos)
                .cloned()
                .map(AnyFeature::ProtectionTarget),
            LayerKind::HiddenHazards => ds
                .hidden_hazards
                .get(pos)
                .cloned()
                .map(AnyFeature::HiddenHazard),
            LayerKind::HazardGrades
            | LayerKind::ProtectionConflicts
            | LayerKind::PipelineConflicts
            | LayerKind::HouseRisk
            | LayerKind::EnterpriseRisk
            | LayerKind::RiskGrid => None,
        }
    }

    /// The geometry at a position of an input layer.
    pub(crate) fn geometry_at(&self, layer: LayerKind, pos: usize) -> Option<&Geometry<f64>> {
        let ds = &self.ds;
        match layer {
            LayerKind::Areas => ds.areas.get(pos).map(|f| &f.geometry),
            LayerKind::Enterprises => ds.enterprises.get(pos).map(|f| &f.geometry),
            LayerKind::HazardSources => ds.hazard_sources.get(pos).map(|f| &f.geometry),
            LayerKind::GasPipelines => ds.gas_pipelines.get(pos).map(|f| &f.geometry),
            LayerKind::Houses => ds.houses.get(pos).map(|f| &f.geometry),
            LayerKind::ProtectionTargets => ds.protection_targets.get(pos).map(|f| &f.geometry),
            LayerKind::HiddenHazards => ds.hidden_hazards.get(pos).map(|f| &f.geometry),
            LayerKind::HazardGrades
            | LayerKind::ProtectionConflicts
            | LayerKind::PipelineConflicts
            | LayerKind::HouseRisk
            | LayerKind::EnterpriseRisk
            | LayerKind::RiskGrid => None,
        }
    }

    /// Replaces the rules: a full re-analysis. Rules out of range change nothing.
    pub fn set_rules(&mut self, rules: Rules) -> Result<Applied, LiveError> {
        let problems = rules.problems();
        if !problems.is_empty() {
            return Err(analysis::InputError::Rules(problems).into());
        }
        self.rules = rules;
        self.reanalyse();
        Ok(Applied {
            full: true,
            dirty: self.everywhere(),
            ..Applied::default()
        })
    }

    fn reanalyse(&mut self) {
        self.analysis = analysis::analyze_checked(&self.ds, &self.substances, &self.rules, &|_| {});
        self.locate_points();
        self.keep_room();
    }

    fn index_ids(&mut self) {
        let ds = &self.ds;
        self.ids = LayerKind::INPUTS
            .map(|layer| ids::Positions::of(ds.count(layer), |p| ds.id_at(layer, p)));
        self.linked = linked::Linked::of(ds);
    }

    fn locate_points(&mut self) {
        self.area_memo.clear();
        self.grid = H3Grid::for_cell_size(self.rules.grid.cell_size_m);
        self.houses_at = Located::of(&self.ds.houses, &self.grid);
        self.hazard_sources_at = Located::of(&self.ds.hazard_sources, &self.grid);
        self.enterprises_at = Located::of(&self.ds.enterprises, &self.grid);
        self.house_slots = analysis::risk_grid::house_slots(&self.ds, &self.houses_at.anchors);
        self.tally_all();
        // What its houses give each cell and where its risk points stand, kept from the
        // start (`grid.rs`): 42–52 ms and 28–30 ms (measured apart) for the million-house
        // city's 2,218 cells, on each `Live` made and each full re-analysis.
        let cells: Vec<h3o::CellIndex> = self
            .analysis
            .grid
            .cells
            .iter()
            .filter_map(|c| c.id.parse().ok())
            .collect();
        (self.grid_houses, self.grid_points) = analysis::risk_grid::live::cell_parts(
            &self.ds,
            &self.analysis,
            self.points(),
            &self.rules,
            &cells,
        );
    }

    /// One box over all data, in every layer: what a full re-analysis may have changed.
    fn everywhere(&self) -> Vec<(LayerKind, Rect<f64>)> {
        let Some(b) = self.ds.bounds() else {
            return Vec::new();
        };
        let mut b = b;
        for c in &self.analysis.grid.cells {
            if let Some(r) = geo::BoundingRect::bounding_rect(&c.geometry) {
                b = crate::dataset::union_rect(&b, &r);
            }
        }
        LayerKind::INPUTS
            .iter()
            .chain(&LayerKind::RESULTS)
            .map(|k| (*k, b))
            .collect()
    }
}

/// Heap bytes of a hash map's table; what its entries point to is not counted.
fn map_bytes<K, V, S>(m: &std::collections::HashMap<K, V, S>) -> usize {
    crate::heap::table_bytes(m.capacity(), std::mem::size_of::<(K, V)>())
}

/// The slot of an input layer in [`LayerKind::INPUTS`] order.
pub(crate) fn input_slot(layer: LayerKind) -> Option<usize> {
    LayerKind::INPUTS.iter().position(|k| *k == layer)
}
