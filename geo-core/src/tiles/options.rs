//! Options of tile generation and the ranges they are checked against.

use serde::{Deserialize, Serialize};

use super::TileError;

/// Options of tile generation. `Default` gives the values documented on each field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TileOptions {
    /// Tile units across a tile (the MVT layer `extent`). Default 4096. `1..=65536`.
    pub extent: u32,
    /// Clip margin around the tile, in tile units, so that lines and outlines continue
    /// under the neighbouring tile and joins and labels near the edge render without
    /// seams. Default 64 (1/64 of the tile, 8 px of a 512-px tile). At most `extent`.
    pub buffer: u32,
    /// Douglas–Peucker tolerance in tile units: how far a simplified outline may move.
    /// Default 1.0 (one unit of the grid the coordinates are rounded to anyway; the same
    /// as tippecanoe's default). Being in tile units, it halves on the ground with each
    /// zoom in. 0 disables simplification. Finite, `0..=extent`.
    pub simplify_tolerance: f64,
    /// Polygon rings (exteriors with their holes, or holes alone) with a smaller area
    /// after snapping are dropped, in tile units². Default 1.0: one cell of the grid, below
    /// which a polygon is noise at this zoom (a 4096-extent tile shown at 512 px has 64
    /// cells per pixel). 0 keeps anything with a non-zero area. Finite, `>= 0`.
    pub min_polygon_area: f64,
    /// Largest uncompressed tile accepted, in bytes, or `None` for no limit. Default
    /// 2 MiB, which gzips to roughly the 500 kB that tippecanoe and Mapbox treat as the
    /// most a tile should weigh.
    pub max_tile_bytes: Option<usize>,
}

/// Default of [`TileOptions::max_tile_bytes`].
pub const DEFAULT_MAX_TILE_BYTES: usize = 2 * 1024 * 1024;

impl Default for TileOptions {
    fn default() -> Self {
        Self {
            extent: 4096,
            buffer: 64,
            simplify_tolerance: 1.0,
            min_polygon_area: 1.0,
            max_tile_bytes: Some(DEFAULT_MAX_TILE_BYTES),
        }
    }
}

impl TileOptions {
    /// Checks the ranges documented on the fields.
    pub fn validate(&self) -> Result<(), TileError> {
        if self.extent == 0 || self.extent > 65_536 {
            return Err(TileError::InvalidOptions("extent must be in 1..=65536"));
        }
        if self.buffer > self.extent {
            return Err(TileError::InvalidOptions(
                "buffer must not exceed the extent",
            ));
        }
        if !self.simplify_tolerance.is_finite()
            || self.simplify_tolerance < 0.0
            || self.simplify_tolerance > f64::from(self.extent)
        {
            return Err(TileError::InvalidOptions(
                "simplify_tolerance must be finite and in 0..=extent",
            ));
        }
        if !self.min_polygon_area.is_finite() || self.min_polygon_area < 0.0 {
            return Err(TileError::InvalidOptions(
                "min_polygon_area must be finite and >= 0",
            ));
        }
        Ok(())
    }
}
