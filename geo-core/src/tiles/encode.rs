//! Writing finished tile geometry and properties through the `mvt` crate.
//!
//! `mvt::GeomEncoder` is used on `i32` coordinates with neither a bounding box nor a
//! transform: it then neither clamps nor clips, and only delta- and zigzag-encodes what it
//! is given. It has habits the callers must respect (checked by the strict decoder in the
//! tests crate):
//! - it drops a point equal to the previous one, and when the first point of a line or
//!   ring equals the last point of the previous one it continues the previous command run
//!   instead of writing a MoveTo; for polygons that would make a ring start with LineTo
//!   after a ClosePath. Lines are therefore joined beforehand (`geometry::push_line`)
//!   and rings are started at another vertex here;
//! - it writes a ring's points as given and adds ClosePath, so rings must come without
//!   their closing vertex;
//! - it removes the middle one of three axis-parallel collinear ring points (harmless);
//! - it neither checks nor fixes ring orientation, which we set ourselves.

use std::borrow::Cow;

use mvt::{GeomEncoder, GeomType, Layer};

use super::geometry::{Kind, TileGeom};
use super::ring::IPt;
use super::{PropValue, TileError};

/// Encodes the geometry for one feature.
fn geometry(geom: &TileGeom) -> Result<mvt::GeomData, mvt::Error> {
    match geom.kind {
        Kind::Points => {
            let mut enc = GeomEncoder::<i32>::new(GeomType::Point);
            for p in &geom.coords {
                enc.add_point(p[0], p[1])?;
            }
            enc.encode()
        }
        Kind::Lines => {
            let mut enc = GeomEncoder::<i32>::new(GeomType::Linestring);
            for line in geom.parts() {
                for p in line {
                    enc.add_point(p[0], p[1])?;
                }
                enc.complete_geom()?;
            }
            enc.encode()
        }
        Kind::Polygons => {
            let mut enc = GeomEncoder::<i32>::new(GeomType::Polygon);
            let mut last: Option<IPt> = None;
            for ring in geom.parts() {
                // Start on another vertex if this one is where the encoder's cursor is:
                // consecutive ring vertices differ, so the next one is safe.
                let start = usize::from(last.as_ref() == ring.first());
                let n = ring.len();
                for i in 0..n {
                    let p = ring[(start + i) % n];
                    enc.add_point(p[0], p[1])?;
                }
                last = ring.get((start + n - 1) % n).copied();
                enc.complete_geom()?;
            }
            enc.encode()
        }
    }
}

/// Adds one feature to `layer` and gives the layer back (the `mvt` API moves it).
pub(crate) fn feature(
    layer: Layer,
    id: u64,
    geom: &TileGeom,
    properties: &[(Cow<'_, str>, PropValue<'_>)],
) -> Result<Layer, TileError> {
    let data = geometry(geom).map_err(TileError::from)?;
    let mut f = layer.into_feature(data);
    f.set_id(id);
    for (key, value) in properties {
        match value {
            PropValue::String(v) => f.add_tag_string(key, v),
            PropValue::Int(v) => f.add_tag_int(key, *v),
            PropValue::UInt(v) => f.add_tag_uint(key, *v),
            PropValue::SInt(v) => f.add_tag_sint(key, *v),
            PropValue::Float(v) => f.add_tag_float(key, *v),
            PropValue::Double(v) => f.add_tag_double(key, *v),
            PropValue::Bool(v) => f.add_tag_bool(key, *v),
        }
    }
    Ok(f.into_layer())
}
