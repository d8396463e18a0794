//! # RiskMap core
//!
//! The spatial core of RiskMap: it loads safety-supervision ledgers (enterprises, major
//! hazard sources 重大危险源, urban gas pipelines, self-built houses 自建房, protection
//! targets 防护目标 and town/street areas), indexes each layer in an R-tree, computes the
//! risk layers and exports them as RFC 7946 GeoJSON.
//!
//! The synthetic city generator (module `generate`, for demos and benchmarks) is behind the
//! `generate` feature, so that a program embedding the core compiles neither it nor `rand`.

pub mod analysis;
pub mod crs;
pub mod dataset;
pub mod export;
#[cfg(feature = "generate")]
pub mod generate;
pub mod geodesy;
pub mod index;
pub mod io;
pub mod model;
pub mod rules;
pub mod substances;
pub mod tiles;
pub mod tileset;

pub use dataset::{Dataset, Layer};
