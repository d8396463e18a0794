//! The risk map as vector tiles: which features of which layer go into a tile at each
//! zoom, with what properties — the generalization policy on top of [`crate::tiles`].
//!
//! Low zooms must still show where the risks are (as tippecanoe does), without sending a
//! million houses to a browser:
//!
//! | layer | below the detail zoom | from the detail zoom |
//! |---|---|---|
//! | `houses` | clusters (count, worst level), precomputed per zoom | footprints with their level only, z ≥ 14 |
//! | `enterprises` | clusters | points and site polygons, z ≥ 12 |
//! | `hazard_sources` | clusters | unit polygons, z ≥ 10 |
//! | `protection_targets` | clusters | points and polygons, z ≥ 11 |
//! | `protection_conflicts` | clusters of the conflict lines' midpoints | lines, z ≥ 14 |
//! | `pipeline_conflicts` | clusters | lines and points, z ≥ 14 |
//! | `hidden_hazards` | clusters (count, open, general overdue, major open) | points by where they stand on the day, z ≥ 13 |
//! | `gas_pipelines` | 高压/次高压 from z 0, 中压 from z 11, 低压 from z 13 | all, simplified |
//! | `risk_grid`, `areas` | all cells / areas, simplified | same |
//!
//! Clusters are kept per zoom as bins of the zoom's pixel grid (the whole world at that
//! zoom, so a cluster is identical in every tile that shows it); a tile looks up the bins
//! it meets, and a changed feature moves its point between bins ([`TileSet::update`]). A layer that would overflow the tile's byte
//! budget is retried with its lowest levels dropped, worst risks kept — never cut off by
//! a bare limit.

//!
//! | file | what |
//! |---|---|
//! | `catalog` | which layers have tiles, their geometry, detail zoom and fields |
//! | `clusters` | the clusters of each clustered layer, per zoom |
//! | `dated` | the map as of another day: hidden hazards' states and enterprise levels |
//! | `update` | following a batch of edits; which tiles it may have changed |
//! | `features` | which features of a layer go into a tile, with which properties |
//! | this file | the tile set: build, render, the byte budget |

mod catalog;
mod clusters;
mod dated;
mod drawn;
mod features;
#[cfg(all(test, feature = "generate"))]
mod tests_policy;
#[cfg(all(test, feature = "generate"))]
mod tests_results;
mod update;
mod world;

use std::borrow::Cow;
use std::collections::BTreeMap;

use geo::Geometry;

use crate::analysis::Analysis;
use crate::dataset::Dataset;
use crate::export::FieldPolicy;
use crate::model::{LayerKind, RiskLevel};
use crate::tiles::{ClusterOptions, PropValue, TileBuilder, TileError, TileId, TileOptions};

pub use crate::tiles::MAX_ZOOM;
pub use catalog::{
    FieldInfo, LayerInfo, TILE_LAYERS, geojson_layer, layer_info, layer_infos, tile_layer,
    vector_layers,
};
use clusters::Clusters;
pub use dated::DatedView;
use drawn::Drawn;
use features::LayerFeatures;
pub use features::{
    AREA_LABEL_ID, grid_tile_id, pipeline_tile_id, position_of_tile_id, protection_tile_id,
};
use update::CellDrawn;
pub use update::{IndexedChanges, TileBox, TileChanges};

/// Why a tile could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TileSetError {
    /// No such layer.
    #[error("unknown layer '{0}'")]
    UnknownLayer(String),
    /// z/x/y out of range.
    #[error("tile {z}/{x}/{y} is out of range (z 0–{MAX_ZOOM}, x and y below 2^z)")]
    OutOfRange {
        /// Zoom.
        z: u8,
        /// Column.
        x: u32,
        /// Row.
        y: u32,
    },
    /// A layer the tile set was built without ([`TileSetConfig::layers`]).
    #[error("the tile set was prepared without the layer '{0}'")]
    NotPrepared(String),
    /// Encoding failed.
    #[error(transparent)]
    Tile(#[from] TileError),
}

fn level_n(l: RiskLevel) -> u8 {
    match l {
        RiskLevel::Low => 0,
        RiskLevel::General => 1,
        RiskLevel::Significant => 2,
        RiskLevel::Major => 3,
    }
}

fn level_of_n(n: u8) -> RiskLevel {
    match n {
        3 => RiskLevel::Major,
        2 => RiskLevel::Significant,
        1 => RiskLevel::General,
        _ => RiskLevel::Low,
    }
}

/// Settings of a tile set.
#[derive(Debug, Clone)]
pub struct TileSetConfig {
    /// Encoding options (extent, buffer, simplification, byte budget).
    pub tile: TileOptions,
    /// Clustering options (radius in tile units).
    pub cluster: ClusterOptions,
    /// Fields never put in tiles.
    pub fields: FieldPolicy,
    /// Whether the houses' footprints are projected to Web Mercator once, when the tile
    /// set is built, and kept (default): a server draws a house in many tiles, again
    /// after every change. Without, each tile projects the footprints it draws, and the
    /// tile set holds about 70 bytes a house less; an archive, which draws each house in
    /// one tile per zoom, is written that way. The tiles are the same bytes either way.
    pub world_footprints: bool,
    /// The layers the set draws: every tile layer when `None` (a server, whose clients
    /// ask for any). An archive of some layers prepares only those, and the others'
    /// clusters and indexes are never built: for a houses-only archive of a million
    /// houses, the conflicts' lines and clusters alone are about 35 MB. Drawing a layer
    /// left out is an error ([`TileSetError::NotPrepared`]).
    pub layers: Option<Vec<LayerKind>>,
}

impl Default for TileSetConfig {
    fn default() -> Self {
        TileSetConfig {
            tile: TileOptions::default(),
            cluster: ClusterOptions {
                radius: 128.0,
                ..ClusterOptions::default()
            },
            fields: FieldPolicy::default(),
            world_footprints: true,
            layers: None,
        }
    }
}

impl TileSetConfig {
    /// Whether a set of this configuration draws `kind` ([`TileSetConfig::layers`]).
    pub fn prepares(&self, kind: LayerKind) -> bool {
        self.layers.as_ref().is_none_or(|l| l.contains(&kind))
    }
}

/// Everything needed to cut tiles of one analysed dataset, beyond the dataset itself.
#[derive(Debug, Clone)]
pub struct TileSet {
    config: TileSetConfig,
    /// The property names the field policy denies, by layer (`LayerKind as usize`):
    /// looked up once here rather than in the policy's tables for every property of
    /// every feature drawn. (A layer without an entry asks the policy.)
    denied: Vec<Option<Vec<String>>>,
    infos: Vec<LayerInfo>,
    clusters: BTreeMap<LayerKind, Clusters>,
    /// The grid cells, by tile id.
    grid: Drawn<CellDrawn>,
    /// The protection conflicts, by tile id, with their level.
    pc: Drawn<RiskLevel>,
    /// The pipeline conflicts, by tile id, with their level.
    gc: Drawn<RiskLevel>,
    area_levels: Vec<RiskLevel>,
    /// Where each area's name is written: a point inside it, by position.
    area_labels: Vec<Option<Geometry<f64>>>,
    /// The houses' footprints in Web Mercator world units, projected once here rather
    /// than in every tile that shows them (14 % of a dense tile's time, measured), by uid.
    house_world: world::WorldFootprints,
    /// The properties of a house in its tiles, by `level_n` of its level: the same few
    /// lists for a million houses, borrowed by each feature.
    house_props: [Props; 4],
    /// The same for the protection conflicts' lines, then the pipeline conflicts'.
    conflict_props: [[Props; 4]; 2],
}

/// Properties of a tile feature.
type Props = Vec<(Cow<'static, str>, PropValue<'static>)>;

impl TileSet {
    /// What this tile set holds, part by part, in heap bytes (estimated from the
    /// collections' capacities: the allocator's overhead left out); for measuring, as
    /// the `memory` example does.
    pub fn heap_parts(&self) -> Vec<(String, usize)> {
        let mut out = vec![(
            "houses' footprints in world units".to_string(),
            self.house_world.heap_bytes(),
        )];
        for (kind, c) in &self.clusters {
            let (points, bins) = c.heap_bytes();
            out.push((format!("{} cluster points", kind.name()), points));
            out.push((format!("{} cluster bins", kind.name()), bins));
        }
        out.push((
            "protection conflicts drawn".to_string(),
            self.pc.heap_bytes(|_| 0),
        ));
        out.push((
            "pipeline conflicts drawn".to_string(),
            self.gc.heap_bytes(|_| 0),
        ));
        out.push((
            "grid cells drawn".to_string(),
            self.grid
                .heap_bytes(|c| c.id.capacity() + c.area.as_ref().map_or(0, String::capacity)),
        ));
        out
    }

    /// Precomputes clusters and indexes for `ds` and its analysis.
    pub fn build(
        ds: &Dataset,
        a: &Analysis,
        config: TileSetConfig,
    ) -> Result<TileSet, TileSetError> {
        let infos = layer_infos();
        let detail = |kind: LayerKind| {
            infos
                .iter()
                .find(|i| i.name == kind.name())
                .and_then(|i| i.detail_zoom)
                .unwrap_or(0)
        };
        let wanted = |k: LayerKind| config.prepares(k);
        let clusters = clusters::build_all(ds, a, detail, &config.cluster, wanted)?;
        // What a layer left out is drawn from: nothing.
        fn of<T>(list: &[T], drawn: bool) -> &[T] {
            if drawn { list } else { &[] }
        }
        let cells = of(&a.grid.cells, wanted(LayerKind::RiskGrid));
        let grid = Drawn::build(cells.iter().map(update::cell_drawn));
        let pcs = of(
            &a.protection_conflicts,
            wanted(LayerKind::ProtectionConflicts),
        );
        let pc = Drawn::build(pcs.iter().map(update::protection_drawn));
        let gcs = of(&a.pipeline_conflicts, wanted(LayerKind::PipelineConflicts));
        let gc = Drawn::build(gcs.iter().map(update::pipeline_drawn));
        let area_levels = update::area_levels(ds, a);
        let area_labels = update::area_labels(ds);
        let house_world = if config.world_footprints && wanted(LayerKind::Houses) {
            world::WorldFootprints::of(ds)
        } else {
            world::WorldFootprints::default()
        };
        let by_level = |kind: LayerKind, with_n: bool| {
            [0u8, 1, 2, 3].map(|n| {
                let l = level_of_n(n);
                let mut p: Props = vec![(
                    Cow::Borrowed("level"),
                    PropValue::String(Cow::Borrowed(l.name())),
                )];
                if with_n {
                    p.push((Cow::Borrowed("level_n"), PropValue::UInt(u64::from(n))));
                }
                p.retain(|(k, _)| !config.fields.denies(kind, k));
                p
            })
        };
        let house_props = by_level(LayerKind::Houses, false);
        let conflict_props = [
            by_level(LayerKind::ProtectionConflicts, true),
            by_level(LayerKind::PipelineConflicts, true),
        ];
        let n = LayerKind::all().map(|k| k as usize + 1).max().unwrap_or(0);
        let mut denied = vec![None; n];
        for kind in LayerKind::all() {
            if let Some(d) = denied.get_mut(kind as usize) {
                *d = Some(config.fields.denied(kind).map(str::to_owned).collect());
            }
        }
        Ok(TileSet {
            denied,
            house_world,
            house_props,
            conflict_props,
            config,
            infos,
            clusters,
            grid,
            pc,
            gc,
            area_levels,
            area_labels,
        })
    }

    /// The layers served.
    pub fn layers(&self) -> &[LayerInfo] {
        &self.infos
    }

    /// Whether a layer has tiles.
    pub fn has_layer(&self, kind: LayerKind) -> bool {
        self.infos.iter().any(|i| i.name == kind.name())
    }

    /// Renders `layers` of tile `z/x/y` as an uncompressed MVT; an empty vector when
    /// nothing falls in the tile.
    ///
    /// ```
    /// use riskmap_core::io::LoadOptions;
    /// use riskmap_core::model::LayerKind;
    /// use riskmap_core::project::Project;
    /// use riskmap_core::rules::Rules;
    /// use riskmap_core::tileset::{TileSet, TileSetConfig};
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/haimen");
    /// let p = Project::open(&dir, &LoadOptions::default(), &Rules::default())?;
    /// let tiles = TileSet::build(&p.dataset, &p.analysis, TileSetConfig::default())?;
    /// // The whole world at z0: the district's areas and its clustered hazard sources.
    /// let layers = [LayerKind::Areas, LayerKind::HazardSources];
    /// let mvt = tiles.render(&p.dataset, &p.analysis, &layers, 0, 0, 0)?;
    /// assert!(!mvt.is_empty());
    /// // Nothing of Haimen lies in the western hemisphere's tile at z1.
    /// assert!(tiles.render(&p.dataset, &p.analysis, &layers, 1, 0, 0)?.is_empty());
    /// # Ok(())
    /// # }
    /// ```
    pub fn render(
        &self,
        ds: &Dataset,
        a: &Analysis,
        layers: &[LayerKind],
        z: u8,
        x: u32,
        y: u32,
    ) -> Result<Vec<u8>, TileSetError> {
        self.render_impl(ds, a, layers, (z, x, y), true, None)
    }

    /// [`TileSet::render`] on the calling thread alone (see
    /// [`TileBuilder::set_parallel`]): for a server already rendering as many tiles at
    /// once as it has cores. The same bytes.
    pub fn render_on_one_thread(
        &self,
        ds: &Dataset,
        a: &Analysis,
        layers: &[LayerKind],
        z: u8,
        x: u32,
        y: u32,
    ) -> Result<Vec<u8>, TileSetError> {
        self.render_impl(ds, a, layers, (z, x, y), false, None)
    }

    /// [`TileSet::render`] of the map as of the day of `view` (see
    /// [`TileSet::view_as_of`]); on one thread unless `parallel`.
    #[allow(clippy::too_many_arguments)]
    pub fn render_as_of(
        &self,
        ds: &Dataset,
        a: &Analysis,
        view: &DatedView,
        layers: &[LayerKind],
        (z, x, y): (u8, u32, u32),
        parallel: bool,
    ) -> Result<Vec<u8>, TileSetError> {
        self.render_impl(ds, a, layers, (z, x, y), parallel, Some(view))
    }

    fn render_impl(
        &self,
        ds: &Dataset,
        a: &Analysis,
        layers: &[LayerKind],
        (z, x, y): (u8, u32, u32),
        parallel: bool,
        view: Option<&DatedView>,
    ) -> Result<Vec<u8>, TileSetError> {
        if z > MAX_ZOOM {
            return Err(TileSetError::OutOfRange { z, x, y });
        }
        let tile = TileId::new(z, x, y).map_err(|_| TileSetError::OutOfRange { z, x, y })?;
        for k in layers {
            if !self.has_layer(*k) {
                return Err(TileSetError::UnknownLayer(k.name().to_string()));
            }
            if !self.config.prepares(*k) {
                return Err(TileSetError::NotPrepared(k.name().to_string()));
            }
        }
        let mut b = TileBuilder::new(tile, &self.config.tile)?;
        b.set_parallel(parallel);
        let bbox = tile.buffered_bounds_lonlat(&self.config.tile);
        for kind in layers {
            let layer = self.features(ds, a, *kind, tile, bbox, view);
            self.add_with_budget(&mut b, kind.name(), layer)?;
        }
        if b.is_empty() {
            return Ok(Vec::new());
        }
        Ok(b.into_bytes()?)
    }

    /// Adds a layer; if it would overflow the tile budget, drops its lowest levels first.
    fn add_with_budget(
        &self,
        b: &mut TileBuilder,
        name: &str,
        layer: LayerFeatures<'_>,
    ) -> Result<(), TileSetError> {
        let LayerFeatures {
            features: mut feats,
            mut levels,
            world,
        } = layer;
        let mut min_level = 0u8;
        loop {
            let added = if world {
                b.add_world_layer_from(name, &feats)
            } else {
                b.add_layer_from(name, &feats)
            };
            match added {
                Ok(_) => return Ok(()),
                Err(TileError::BudgetExceeded { .. }) if min_level < 3 => {
                    min_level += 1;
                    let mut keep = levels.iter().map(|l| *l >= min_level);
                    feats.retain(|_| keep.next().unwrap_or(false));
                    levels.retain(|l| *l >= min_level);
                }
                Err(TileError::BudgetExceeded { .. }) => return Ok(()),
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// The properties of a feature of `layer` less those the field policy denies.
    fn props<'a>(
        &self,
        layer: LayerKind,
        mut p: Vec<(Cow<'a, str>, PropValue<'a>)>,
    ) -> Cow<'a, [(Cow<'a, str>, PropValue<'a>)]> {
        match self.denied.get(layer as usize).and_then(Option::as_ref) {
            Some(d) if d.is_empty() => {}
            Some(d) => p.retain(|(k, _)| !d.iter().any(|x| x == k)),
            None => p.retain(|(k, _)| !self.config.fields.denies(layer, k)),
        }
        Cow::Owned(p)
    }
}

/// Colour of a protection conflict by how much of the required distance is missing:
/// more than half ⇒ red, a quarter ⇒ orange, else yellow. A display choice of this
/// project.
pub fn conflict_level(shortfall_m: f64, required_m: f64) -> RiskLevel {
    if required_m <= 0.0 {
        return RiskLevel::General;
    }
    let r = shortfall_m / required_m;
    if r > 0.5 {
        RiskLevel::Major
    } else if r > 0.25 {
        RiskLevel::Significant
    } else {
        RiskLevel::General
    }
}
