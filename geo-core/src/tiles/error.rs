//! Errors of tile generation and clustering.

use super::MAX_ZOOM;

/// Errors of tile generation and clustering.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum TileError {
    /// The zoom level is above [`MAX_ZOOM`].
    #[error("zoom level {z} is above the supported maximum {MAX_ZOOM}")]
    ZoomOutOfRange {
        /// The zoom asked for.
        z: u8,
    },
    /// Column or row is not below `2^z`.
    #[error("tile {z}/{x}/{y} does not exist: x and y must be below 2^{z}")]
    TileOutOfRange {
        /// Zoom.
        z: u8,
        /// Column.
        x: u32,
        /// Row.
        y: u32,
    },
    /// [`TileOptions`](super::TileOptions) or [`ClusterOptions`](super::ClusterOptions) out of their documented ranges.
    #[error("invalid options: {0}")]
    InvalidOptions(&'static str),
    /// A bounding box with NaN or infinite coordinates.
    #[error("invalid bounds: {0}")]
    InvalidBounds(&'static str),
    /// A feature has a NaN or infinite coordinate.
    #[error("feature {id}: a coordinate is not finite")]
    NonFiniteCoordinate {
        /// The feature's id.
        id: u64,
    },
    /// A geometry kind that MVT cannot hold (MVT has no geometry collections).
    #[error("feature {id}: a {kind} cannot be written to a vector tile")]
    UnsupportedGeometry {
        /// The feature's id.
        id: u64,
        /// The geometry kind.
        kind: &'static str,
    },
    /// Layer names must not be empty.
    #[error("a layer name must not be empty")]
    EmptyLayerName,
    /// A tile cannot have two layers of the same name.
    #[error("layer {name:?} was already added to this tile")]
    DuplicateLayer {
        /// The repeated name.
        name: String,
    },
    /// Two features of one layer have the same id.
    #[error("layer {layer:?}: feature id {id} appears more than once")]
    DuplicateFeatureId {
        /// The layer.
        layer: String,
        /// The repeated id.
        id: u64,
    },
    /// A feature has two properties with the same key (MVT forbids it).
    #[error("feature {id}: property {key:?} appears more than once")]
    DuplicatePropertyKey {
        /// The feature's id.
        id: u64,
        /// The repeated key.
        key: String,
    },
    /// Adding the layer would make the tile larger than
    /// [`TileOptions::max_tile_bytes`](super::TileOptions::max_tile_bytes); the layer was not added.
    #[error("layer {layer:?} would make the tile {size} bytes, above the budget of {limit}")]
    BudgetExceeded {
        /// The refused layer.
        layer: String,
        /// Tile size with the layer.
        size: usize,
        /// The budget.
        limit: usize,
    },
    /// A point given to [`cluster_points`](super::cluster_points) is unusable.
    #[error("cluster input {id}: {reason}")]
    InvalidClusterPoint {
        /// The point's id.
        id: u64,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Gzip compression failed (into a buffer of the documented bound: not expected).
    #[error("gzip compression failed: {0}")]
    Compress(String),
}
