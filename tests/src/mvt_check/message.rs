//! The `Tile`, `Layer`, `Value` and `Feature` messages: fields, their wire types and
//! counts, required fields, and the rules a decoder checks on each message.

use std::collections::HashSet;

use super::DecodeOptions;
use super::error::{Rule, Violations};
use super::geometry::decode_geometry;
use super::types::{Feature, GeomType, Geometry, Layer, Tile, Value};
use super::wire::{
    I32, I64, LEN, Reader, VARINT, WireError, expect_wire, read_repeated_u32, utf8, varint_u32,
};

pub(super) fn decode_tile(
    bytes: &[u8],
    opts: &DecodeOptions,
    v: &mut Violations,
) -> Result<Tile, WireError> {
    let mut r = Reader::new(bytes, "tile");
    let mut layers = Vec::new();
    while !r.done() {
        let (field, wire) = r.key()?;
        match field {
            3 => {
                if expect_wire(&mut r, v, "Tile.layers", wire, LEN)? {
                    let data = r.len_delimited()?;
                    layers.push(decode_layer(data, layers.len(), opts, v)?);
                }
            }
            16..=8191 => r.skip(wire)?,
            _ => {
                v.push(
                    Rule::UnknownField,
                    "tile",
                    format!("field {field} is not in the schema"),
                );
                r.skip(wire)?;
            }
        }
    }
    let mut seen: HashSet<&str> = HashSet::new();
    for (i, l) in layers.iter().enumerate() {
        if !seen.insert(l.name.as_str()) {
            v.push(
                Rule::DuplicateLayerName,
                &format!("layer {i} {:?}", l.name),
                "a layer of this name comes earlier",
            );
        }
    }
    Ok(Tile { layers })
}

pub(super) fn decode_layer(
    bytes: &[u8],
    index: usize,
    opts: &DecodeOptions,
    v: &mut Violations,
) -> Result<Layer, WireError> {
    let at = format!("layer {index}");
    let mut r = Reader::new(bytes, &at);
    let mut version: Option<u32> = None;
    let mut name: Option<String> = None;
    let mut extent: Option<u32> = None;
    let mut keys = Vec::new();
    let mut values = Vec::new();
    let mut raw_features: Vec<&[u8]> = Vec::new();
    while !r.done() {
        let (field, wire) = r.key()?;
        match field {
            15 => {
                if expect_wire(&mut r, v, "Layer.version", wire, VARINT)? {
                    let x = varint_u32(&mut r, v, "Layer.version")?;
                    if version.replace(x).is_some() {
                        v.push(Rule::DuplicateField, &at, "version appears more than once");
                    }
                }
            }
            1 => {
                if expect_wire(&mut r, v, "Layer.name", wire, LEN)? {
                    let s = r.len_delimited()?;
                    if name.replace(utf8(s, v, &at, "name")).is_some() {
                        v.push(Rule::DuplicateField, &at, "name appears more than once");
                    }
                }
            }
            2 => {
                if expect_wire(&mut r, v, "Layer.features", wire, LEN)? {
                    raw_features.push(r.len_delimited()?);
                }
            }
            3 => {
                if expect_wire(&mut r, v, "Layer.keys", wire, LEN)? {
                    let s = r.len_delimited()?;
                    keys.push(utf8(s, v, &at, "key"));
                }
            }
            4 => {
                if expect_wire(&mut r, v, "Layer.values", wire, LEN)? {
                    let data = r.len_delimited()?;
                    values.push(decode_value(data, values.len(), &at, v)?);
                }
            }
            5 => {
                if expect_wire(&mut r, v, "Layer.extent", wire, VARINT)? {
                    let x = varint_u32(&mut r, v, "Layer.extent")?;
                    if extent.replace(x).is_some() {
                        v.push(Rule::DuplicateField, &at, "extent appears more than once");
                    }
                }
            }
            16.. => r.skip(wire)?,
            _ => {
                v.push(
                    Rule::UnknownField,
                    &at,
                    format!("field {field} is not in the schema"),
                );
                r.skip(wire)?;
            }
        }
    }
    let at = match &name {
        Some(n) => format!("layer {index} {n:?}"),
        None => at.clone(),
    };
    let version = match version {
        Some(x) => x,
        None => {
            v.push(Rule::MissingField, &at, "version is missing");
            1
        }
    };
    if !opts.versions.contains(&version) {
        v.push(
            Rule::Version,
            &at,
            format!("version {version} is not one of {:?}", opts.versions),
        );
    }
    let name = name.unwrap_or_else(|| {
        v.push(Rule::MissingField, &at, "name is missing");
        String::new()
    });
    let extent_present = extent.is_some();
    let extent = extent.unwrap_or(4096);
    if extent == 0 {
        v.push(Rule::Extent, &at, "extent is 0");
    }
    let mut features = Vec::with_capacity(raw_features.len());
    for (i, data) in raw_features.into_iter().enumerate() {
        let fat = format!("{at} feature {i}");
        features.push(decode_feature(
            data,
            &fat,
            keys.len(),
            values.len(),
            opts,
            v,
        )?);
    }
    Ok(Layer {
        version,
        name,
        extent,
        extent_present,
        keys,
        values,
        features,
    })
}

pub(super) fn decode_value(
    bytes: &[u8],
    index: usize,
    layer_at: &str,
    v: &mut Violations,
) -> Result<Value, WireError> {
    let at = format!("{layer_at} value {index}");
    let mut r = Reader::new(bytes, &at);
    let mut found: Vec<Value> = Vec::new();
    while !r.done() {
        let (field, wire) = r.key()?;
        let value = match field {
            1 => {
                if !expect_wire(&mut r, v, "Value.string_value", wire, LEN)? {
                    continue;
                }
                let s = r.len_delimited()?;
                Value::String(utf8(s, v, &at, "string_value"))
            }
            2 => {
                if !expect_wire(&mut r, v, "Value.float_value", wire, I32)? {
                    continue;
                }
                Value::Float(f32::from_bits(r.fixed32()?))
            }
            3 => {
                if !expect_wire(&mut r, v, "Value.double_value", wire, I64)? {
                    continue;
                }
                Value::Double(f64::from_bits(r.fixed64()?))
            }
            4 => {
                if !expect_wire(&mut r, v, "Value.int_value", wire, VARINT)? {
                    continue;
                }
                Value::Int(r.varint()? as i64)
            }
            5 => {
                if !expect_wire(&mut r, v, "Value.uint_value", wire, VARINT)? {
                    continue;
                }
                Value::UInt(r.varint()?)
            }
            6 => {
                if !expect_wire(&mut r, v, "Value.sint_value", wire, VARINT)? {
                    continue;
                }
                let z = r.varint()?;
                Value::SInt((z >> 1) as i64 ^ -((z & 1) as i64))
            }
            7 => {
                if !expect_wire(&mut r, v, "Value.bool_value", wire, VARINT)? {
                    continue;
                }
                let b = r.varint()?;
                if b > 1 {
                    v.push(
                        Rule::FieldType,
                        &at,
                        format!("bool_value {b} is neither 0 nor 1"),
                    );
                }
                Value::Bool(b != 0)
            }
            // Extensions: allowed by the schema, but they are not a value the spec knows.
            8.. => {
                r.skip(wire)?;
                continue;
            }
            _ => {
                v.push(
                    Rule::UnknownField,
                    &at,
                    format!("field {field} is not in the schema"),
                );
                r.skip(wire)?;
                continue;
            }
        };
        found.push(value);
    }
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => {
            v.push(
                Rule::Value,
                &at,
                "no value field of a type the spec defines",
            );
            Ok(Value::String(String::new()))
        }
        n => {
            v.push(
                Rule::Value,
                &at,
                format!("{n} value fields instead of exactly one"),
            );
            Ok(found.remove(0))
        }
    }
}

pub(super) fn decode_feature(
    bytes: &[u8],
    at: &str,
    n_keys: usize,
    n_values: usize,
    opts: &DecodeOptions,
    v: &mut Violations,
) -> Result<Feature, WireError> {
    let mut r = Reader::new(bytes, at);
    let mut id: Option<u64> = None;
    let mut raw_type: Option<u64> = None;
    let mut tags: Vec<u32> = Vec::new();
    let mut commands: Vec<u32> = Vec::new();
    // Occurrences: (packed chunks, unpacked elements).
    let mut tag_seen = (0usize, 0usize);
    let mut geom_seen = (0usize, 0usize);
    while !r.done() {
        let (field, wire) = r.key()?;
        match field {
            1 => {
                if expect_wire(&mut r, v, "Feature.id", wire, VARINT)? {
                    let x = r.varint()?;
                    if id.replace(x).is_some() {
                        v.push(Rule::DuplicateField, at, "id appears more than once");
                    }
                }
            }
            2 => match read_repeated_u32(&mut r, v, "Feature.tags", wire, &mut tags)? {
                Some(true) => tag_seen.0 += 1,
                Some(false) => tag_seen.1 += 1,
                None => {}
            },
            3 => {
                if expect_wire(&mut r, v, "Feature.type", wire, VARINT)? {
                    let x = r.varint()?;
                    if raw_type.replace(x).is_some() {
                        v.push(Rule::DuplicateField, at, "type appears more than once");
                    }
                }
            }
            4 => match read_repeated_u32(&mut r, v, "Feature.geometry", wire, &mut commands)? {
                Some(true) => geom_seen.0 += 1,
                Some(false) => geom_seen.1 += 1,
                None => {}
            },
            _ => {
                v.push(
                    Rule::UnknownField,
                    at,
                    format!("field {field} is not in the schema"),
                );
                r.skip(wire)?;
            }
        }
    }
    // A packed field is one chunk; several chunks (or a mix with unpacked elements) are
    // legal protobuf but mean the feature has two geometries (or tag lists) glued.
    for (name, seen) in [("tags", tag_seen), ("geometry", geom_seen)] {
        if seen.0 > 1 || (seen.0 > 0 && seen.1 > 0) {
            v.push(
                Rule::DuplicateField,
                at,
                format!("{name} appears more than once"),
            );
        }
    }

    // Tags (§4.4).
    if !tags.len().is_multiple_of(2) {
        v.push(
            Rule::Tags,
            at,
            format!("odd number of tags ({})", tags.len()),
        );
    }
    let mut seen_keys: HashSet<u32> = HashSet::new();
    for kv in tags.chunks_exact(2) {
        if kv[0] as usize >= n_keys {
            v.push(
                Rule::Tags,
                at,
                format!("key index {} out of range (keys: {n_keys})", kv[0]),
            );
        }
        if kv[1] as usize >= n_values {
            v.push(
                Rule::Tags,
                at,
                format!("value index {} out of range (values: {n_values})", kv[1]),
            );
        }
        if !seen_keys.insert(kv[0]) {
            v.push(Rule::Tags, at, format!("key index {} used twice", kv[0]));
        }
    }

    // Type and geometry (§4.2, §4.3).
    let geom_type = match raw_type {
        None => {
            v.push(Rule::MissingField, at, "type is missing");
            GeomType::Unknown
        }
        Some(0) => GeomType::Unknown,
        Some(1) => GeomType::Point,
        Some(2) => GeomType::LineString,
        Some(3) => GeomType::Polygon,
        Some(t) => {
            v.push(Rule::GeomType, at, format!("type {t} is not a GeomType"));
            GeomType::Unknown
        }
    };
    if geom_seen == (0, 0) {
        v.push(Rule::MissingField, at, "geometry is missing");
    }
    let geometry = match geom_type {
        GeomType::Unknown => Geometry::Unknown,
        t => decode_geometry(&commands, t, at, opts, v),
    };
    Ok(Feature {
        id,
        geom_type,
        tags,
        commands,
        geometry,
    })
}
