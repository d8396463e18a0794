//! Fuzz targets of RiskMap: every reader of outside input (the GeoJSON, CSV and shapefile
//! loaders, WKT, `riskmap.toml`, rules files, site-check requests) and the tile pipeline.
//!
//! A target takes arbitrary bytes and must return without panicking, within a time bound;
//! where the input was accepted it also checks what came out (every loaded coordinate is
//! finite lon/lat, accepted rules have no problems and survive a round trip, a tile decodes
//! with the independent decoder of `riskmap-tests`). A broken expectation panics, so the
//! fuzzer sees it as a crash.
//!
//! The same targets run two ways:
//!
//! - coverage-guided with AFL++ (`fuzz/afl/`, a separate workspace built by `cargo afl`;
//!   `scripts/fuzz.sh N` runs every target for a share of N seconds);
//! - as the short run of the test suite (`fuzz/tests/short.rs`): the seeds in
//!   `fuzz/seeds/<target>/` and a fixed number of structure-aware mutations of them
//!   ([`mutate`]), each input under a time bound.

pub mod city;
pub mod mutate;
pub mod targets;
pub mod tiles;

pub use targets::Target;
