//! A strict, independent Mapbox Vector Tile 2.1 decoder and validator for tests.
//!
//! It shares no code with the encoder: the protobuf wire format is read by hand, following
//! `vector_tile.proto` and the text of the MVT 2.1 specification, and it depends on `std`
//! only. Three levels of checking:
//!
//! - [`decode`] / [`decode_with`]: wire format and schema (wire types, required fields,
//!   fields that may appear once, unknown fields outside the declared extension ranges)
//!   and every rule of the specification that a decoder can check: layer version, unique
//!   layer names, extent, `Value`s with exactly one value, tag pairs and indices, geometry
//!   type, command grammar per geometry type (MoveTo and LineTo counts, ClosePath count 1
//!   with no parameters, enough parameters, no zero-length LineTo), rings
//!   of at least 4 points with the closing one, exterior (positive area) first, no zero-area
//!   ring, no ring ending on its first point before ClosePath, and (by default) ring
//!   topology: no self-intersection or self-tangency, holes inside their exterior and not
//!   overlapping each other.
//! - [`check_riskmap_rules`]: RiskMap's stricter rules for the tiles it produces (version 2,
//!   the expected extent, no empty layer, no UNKNOWN geometry, unique ids present on every
//!   feature, no repeated consecutive points, coordinates within the buffer, polygons of a
//!   multipolygon not overlapping, no duplicate keys or values in a layer).
//!
//! Every problem found is reported as a [`Violation`] naming the [`Rule`] it breaks and
//! where; wire-format errors stop decoding at once, other violations are collected.
//!
//! One file a concern: the protobuf wire format (`wire`), the messages (`message`), the
//! geometry commands (`geometry`), ring topology (`topology`), RiskMap's rules
//! (`riskmap`), the decoded data (`types`) and the violations (`error`).

mod error;
mod geometry;
mod message;
mod riskmap;
mod topology;
mod types;
mod wire;

#[cfg(test)]
mod tests;

pub use error::{MvtError, Rule, Violation};
pub use geometry::ring_area2;
pub use riskmap::{RiskmapRules, check_riskmap_rules, decode_riskmap};
pub use topology::ring_is_simple;
pub use types::{Feature, GeomType, Geometry, Layer, Polygon, Tile, Value};

use error::Violations;
use message::decode_tile;

/// A point in tile coordinates. `i64` because a tile's cursor may legally run past the
/// `i32` range (the fixtures test that).
pub type Coord = [i64; 2];

/// What the decoder accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeOptions {
    /// Accepted layer versions. `[2]` for "this must be a 2.x tile"; `[1, 2]` for what a
    /// 2.x decoder must read (it applies the 2.x rules to version 1 layers too).
    pub versions: Vec<u32>,
    /// Check ring topology (self-intersection, holes inside exterior): a MUST of the
    /// spec, but O(n log n) to O(n²) per ring.
    pub topology: bool,
}

impl DecodeOptions {
    /// Version 2 only, topology checked: what [`decode`] uses.
    pub fn v2() -> Self {
        Self {
            versions: vec![2],
            topology: true,
        }
    }

    /// A 2.x decoder: version 1 or 2 layers, all 2.x rules, topology checked.
    pub fn v2_decoder() -> Self {
        Self {
            versions: vec![1, 2],
            topology: true,
        }
    }
}

impl Default for DecodeOptions {
    fn default() -> Self {
        Self::v2()
    }
}

/// Decodes and validates a tile as MVT 2.x (version 2 layers only, topology checked).
pub fn decode(bytes: &[u8]) -> Result<Tile, MvtError> {
    decode_with(bytes, &DecodeOptions::v2())
}

/// Decodes and validates a tile.
pub fn decode_with(bytes: &[u8], opts: &DecodeOptions) -> Result<Tile, MvtError> {
    let mut v = Violations::default();
    let tile = match decode_tile(bytes, opts, &mut v) {
        Ok(tile) => tile,
        Err(wire) => {
            v.push(Rule::Wire, &wire.at, wire.detail);
            return Err(MvtError { violations: v.0 });
        }
    };
    if v.0.is_empty() {
        Ok(tile)
    } else {
        Err(MvtError { violations: v.0 })
    }
}
