//! # RiskMap core
//!
//! The spatial core of RiskMap: it loads safety-supervision ledgers (enterprises, major
//! hazard sources 重大危险源, urban gas pipelines, self-built houses 自建房, protection
//! targets 防护目标 and town/street areas), indexes each layer in an R-tree, computes the
//! risk layers and exports them as RFC 7946 GeoJSON and Mapbox Vector Tiles.
//!
//! ## Where to start
//!
//! | to … | use |
//! |---|---|
//! | load a data directory and analyse it | [`project::Project::open`] |
//! | analyse features built in code (checked first) | [`layer::Layer::of`], [`project::Project::from_dataset`], [`dataset::Dataset::check`] |
//! | follow edits without analysing everything again | [`live::Live`] |
//! | name a layer (input or result) | [`model::LayerKind`] |
//! | query a layer's R-tree (bbox, within a distance, nearest) | [`layer::Layer`] |
//! | run the analyses on a dataset | [`analysis::analyze`] |
//! | check a planned site against the rules | [`analysis::site_check::check_site`] |
//! | cut a vector tile of the risk map | [`tileset::TileSet::render`] |
//! | write GeoJSON | [`export::write_named`], [`export::FeatureWriter`] |
//! | change a rule | [`rules::Rules`] (TOML overlay of cited defaults) |
//!
//! ## Modules by concern
//!
//! - **Data**: [`model`] (typed features and vocabularies), [`layer`] (a layer and its
//!   R-tree queries), [`dataset`] (the seven input layers), [`index`] (the R-tree),
//!   [`geodesy`] (geodesic distances), [`crs`] (coordinate systems).
//! - **Loading**: [`io`] (discovery, readers, fields, repair, the validation report),
//!   [`substances`] (GB 18218 tables), [`project`] (the one pipeline from files to results).
//! - **Analysis**: [`rules`] (every rule table with its source), [`analysis`] (one module
//!   per analysis).
//! - **Store**: [`store`] (the ledgers in one GeoPackage, updated by feature id).
//! - **Output**: [`export`] (GeoJSON, summaries, the field policy), [`tiles`] (the MVT
//!   pipeline), [`tileset`] (the risk map as tiles: generalization by zoom, catalog),
//!   `archive` (the whole pyramid as PMTiles or MBTiles; behind the `archive` feature).
//! - **Synthetic data**: `generate`, the deterministic synthetic city for demos and
//!   benchmarks, is behind the `generate` feature, so that a program embedding the core
//!   compiles neither it nor `rand`.
//!
//! ```
//! use riskmap_core::io::LoadOptions;
//! use riskmap_core::model::LayerKind;
//! use riskmap_core::project::Project;
//! use riskmap_core::rules::Rules;
//! use riskmap_core::tileset::{TileSet, TileSetConfig};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/haimen");
//! // Open: load every ledger of the directory, validate, index and analyse.
//! let p = Project::open(&dir, &LoadOptions::default(), &Rules::default())?;
//! // Query: the houses within 200 m of the first hazard source.
//! let hs = &p.dataset.hazard_sources.features()[0];
//! let near = p.dataset.houses.within_distance(&hs.geometry, 200.0);
//! assert!(near.iter().all(|h| h.distance_m <= 200.0));
//! // Render the z14 tile that holds the first house: its footprint is drawn there.
//! let tiles = TileSet::build(&p.dataset, &p.analysis, TileSetConfig::default())?;
//! let house = &p.dataset.houses.features()[0];
//! let c = geo::Centroid::centroid(&house.geometry).ok_or("empty geometry")?;
//! let box_ = geo::Rect::new(c.0, c.0);
//! let t = riskmap_core::tiles::tiles_covering(box_, 14)?.next().ok_or("no tile")?;
//! let mvt = tiles.render(&p.dataset, &p.analysis, &[LayerKind::Houses], t.z, t.x, t.y)?;
//! assert!(!mvt.is_empty());
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

pub mod analysis;
#[cfg(feature = "archive")]
pub mod archive;
pub mod config_keys;
pub mod crs;
pub mod dataset;
pub mod export;
#[cfg(feature = "generate")]
pub mod generate;
pub mod geodesy;
mod heap;
pub mod index;
pub mod io;
pub mod layer;
pub mod lists;
pub mod live;
pub mod model;
pub mod project;
pub mod report;
pub mod rules;
pub mod store;
pub mod substances;
pub mod tiles;
pub mod tileset;
pub mod wkt;

pub use dataset::Dataset;
pub use layer::Layer;
pub use model::LayerKind;
pub use project::Project;
