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

use std::collections::{HashMap, HashSet};
use std::fmt;

/// A point in tile coordinates. `i64` because a tile's cursor may legally run past the
/// `i32` range (the fixtures test that).
pub type Coord = [i64; 2];

/// A decoded tile.
#[derive(Debug, Clone, PartialEq)]
pub struct Tile {
    /// Layers in encoding order.
    pub layers: Vec<Layer>,
}

impl Tile {
    /// The layer named `name`, if any.
    pub fn layer(&self, name: &str) -> Option<&Layer> {
        self.layers.iter().find(|l| l.name == name)
    }
}

/// A decoded layer.
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    /// `version` (1 when absent, the proto2 default; its absence is a violation).
    pub version: u32,
    /// `name` (empty when absent; its absence is a violation).
    pub name: String,
    /// `extent`, 4096 when absent (the proto default, which the spec allows).
    pub extent: u32,
    /// Whether `extent` was present.
    pub extent_present: bool,
    /// `keys`.
    pub keys: Vec<String>,
    /// `values`.
    pub values: Vec<Value>,
    /// `features`.
    pub features: Vec<Feature>,
}

/// A property value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `string_value`.
    String(String),
    /// `float_value`.
    Float(f32),
    /// `double_value`.
    Double(f64),
    /// `int_value`.
    Int(i64),
    /// `uint_value`.
    UInt(u64),
    /// `sint_value`.
    SInt(i64),
    /// `bool_value`.
    Bool(bool),
}

/// The `type` of a feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeomType {
    /// `UNKNOWN` (0): allowed by the spec, geometry not interpreted.
    Unknown,
    /// `POINT` (1).
    Point,
    /// `LINESTRING` (2).
    LineString,
    /// `POLYGON` (3).
    Polygon,
}

/// A decoded feature.
#[derive(Debug, Clone, PartialEq)]
pub struct Feature {
    /// `id`, if present.
    pub id: Option<u64>,
    /// `type` (UNKNOWN when absent or invalid; both are violations).
    pub geom_type: GeomType,
    /// `tags`, raw.
    pub tags: Vec<u32>,
    /// `geometry`, raw command and parameter integers.
    pub commands: Vec<u32>,
    /// The geometry the commands describe.
    pub geometry: Geometry,
}

impl Feature {
    /// Properties resolved against the layer's keys and values (pairs with an index out
    /// of range are skipped; they are reported as violations by the decoder).
    pub fn properties<'l>(&self, layer: &'l Layer) -> Vec<(&'l str, &'l Value)> {
        self.tags
            .chunks_exact(2)
            .filter_map(|kv| {
                let k = layer.keys.get(kv[0] as usize)?;
                let v = layer.values.get(kv[1] as usize)?;
                Some((k.as_str(), v))
            })
            .collect()
    }

    /// The value of property `key`, if present.
    pub fn property<'l>(&self, layer: &'l Layer, key: &str) -> Option<&'l Value> {
        self.properties(layer)
            .into_iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v)
    }
}

/// A decoded geometry.
#[derive(Debug, Clone, PartialEq)]
pub enum Geometry {
    /// UNKNOWN type, or a geometry that could not be decoded (a violation says why).
    Unknown,
    /// Point or multipoint.
    Points(Vec<Coord>),
    /// Linestring or multilinestring.
    LineStrings(Vec<Vec<Coord>>),
    /// Polygon or multipolygon.
    Polygons(Vec<Polygon>),
}

/// A polygon: rings as encoded, without the closing point that ClosePath implies.
#[derive(Debug, Clone, PartialEq)]
pub struct Polygon {
    /// The exterior ring (positive area).
    pub exterior: Vec<Coord>,
    /// The interior rings (negative area), in order.
    pub interiors: Vec<Vec<Coord>>,
}

/// The rule a [`Violation`] breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    /// Malformed protobuf: truncated data, bad varint, invalid wire type or field number.
    Wire,
    /// A known field with the wrong wire type or an out-of-range value for its type.
    FieldType,
    /// A field outside the schema and its extension ranges.
    UnknownField,
    /// A required field is missing (layer version or name, feature type or geometry).
    MissingField,
    /// A field that may appear once appears more than once.
    DuplicateField,
    /// Layer version not among the accepted ones.
    Version,
    /// Two layers with the same name.
    DuplicateLayerName,
    /// Extent of 0.
    Extent,
    /// Invalid UTF-8 in a string.
    Utf8,
    /// A `Value` without exactly one value field.
    Value,
    /// Odd tag count, index out of range, or a key index repeated within a feature.
    Tags,
    /// Geometry type not in the enum.
    GeomType,
    /// Command sequence that does not match the geometry type, unknown command, wrong
    /// count, or missing parameters.
    Commands,
    /// A LineTo with `dX = dY = 0`.
    ZeroLengthSegment,
    /// A ring with fewer than 4 points including the closing one.
    RingTooShort,
    /// A ring whose last point repeats its first before ClosePath.
    RingClosingPointRepeated,
    /// A ring with zero area.
    ZeroAreaRing,
    /// A polygon geometry whose first ring is not exterior (positive area).
    FirstRingNotExterior,
    /// A ring intersecting or touching itself.
    RingSelfIntersection,
    /// A hole not enclosed by its exterior, or holes overlapping each other.
    HoleOutsideExterior,
    // --- RiskMap's own rules (`check_riskmap_rules`) ---
    /// Layer version is not 2.
    NotVersion2,
    /// Layer extent differs from the expected one.
    UnexpectedExtent,
    /// A layer without features.
    EmptyLayer,
    /// A feature of UNKNOWN geometry type.
    UnknownGeometry,
    /// A feature without id.
    MissingId,
    /// Two features of a layer with the same id.
    DuplicateId,
    /// Two consecutive equal points.
    RepeatedPoint,
    /// A coordinate outside `[-buffer, extent + buffer]`.
    CoordinateOutOfRange,
    /// Two polygons of one multipolygon overlap.
    OverlappingPolygons,
    /// A layer's keys or values contain duplicates.
    DuplicateKeyOrValue,
}

/// One problem found in a tile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The rule broken.
    pub rule: Rule,
    /// Where: layer and feature.
    pub at: String,
    /// What exactly.
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} at {}: {}", self.rule, self.at, self.detail)
    }
}

/// A tile rejected by the decoder or a checker: every violation found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MvtError {
    /// The violations, at least one.
    pub violations: Vec<Violation>,
}

impl MvtError {
    /// Whether some violation breaks `rule`.
    pub fn has(&self, rule: Rule) -> bool {
        self.violations.iter().any(|v| v.rule == rule)
    }

    /// The distinct rules broken.
    pub fn rules(&self) -> Vec<Rule> {
        let mut out: Vec<Rule> = Vec::new();
        for v in &self.violations {
            if !out.contains(&v.rule) {
                out.push(v.rule);
            }
        }
        out
    }
}

impl fmt::Display for MvtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} violation(s)", self.violations.len())?;
        for v in self.violations.iter().take(20) {
            write!(f, "\n  {v}")?;
        }
        if self.violations.len() > 20 {
            write!(f, "\n  ...")?;
        }
        Ok(())
    }
}

impl std::error::Error for MvtError {}

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

// ---------------------------------------------------------------------------------------
// Protobuf wire format
// ---------------------------------------------------------------------------------------

/// A fatal wire-format error.
#[derive(Debug)]
struct WireError {
    at: String,
    detail: String,
}

/// Wire types of the protobuf encoding.
const VARINT: u8 = 0;
const I64: u8 = 1;
const LEN: u8 = 2;
const I32: u8 = 5;

/// A cursor over one message's bytes.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    at: &'a str,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8], at: &'a str) -> Self {
        Self { buf, pos: 0, at }
    }

    fn err(&self, detail: impl Into<String>) -> WireError {
        WireError {
            at: self.at.to_owned(),
            detail: format!("{} (byte {})", detail.into(), self.pos),
        }
    }

    fn done(&self) -> bool {
        self.pos >= self.buf.len()
    }

    fn varint(&mut self) -> Result<u64, WireError> {
        let mut value: u64 = 0;
        for i in 0..10 {
            let Some(&b) = self.buf.get(self.pos) else {
                return Err(self.err("truncated varint"));
            };
            self.pos += 1;
            if i == 9 && b > 1 {
                return Err(self.err("varint longer than 64 bits"));
            }
            value |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(self.err("varint longer than 10 bytes"))
    }

    /// Reads a field key: `(field number, wire type)`.
    fn key(&mut self) -> Result<(u32, u8), WireError> {
        let k = self.varint()?;
        let field = k >> 3;
        let wire = (k & 7) as u8;
        if field == 0 || field > (1 << 29) - 1 {
            return Err(self.err(format!("invalid field number {field}")));
        }
        Ok((field as u32, wire))
    }

    fn bytes(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or_else(|| self.err(format!("length {n} runs past the end of the message")))?;
        let out = &self.buf[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    fn len_delimited(&mut self) -> Result<&'a [u8], WireError> {
        let n = self.varint()?;
        let n = usize::try_from(n).map_err(|_| self.err("length does not fit in memory"))?;
        self.bytes(n)
    }

    fn fixed32(&mut self) -> Result<u32, WireError> {
        let b = self.bytes(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn fixed64(&mut self) -> Result<u64, WireError> {
        let b = self.bytes(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    /// Skips a field's value. Groups (wire types 3 and 4) are not used by the MVT schema
    /// and deprecated in protobuf: rejected, like the undefined types 6 and 7.
    fn skip(&mut self, wire: u8) -> Result<(), WireError> {
        match wire {
            VARINT => self.varint().map(|_| ()),
            I64 => self.bytes(8).map(|_| ()),
            LEN => self.len_delimited().map(|_| ()),
            I32 => self.bytes(4).map(|_| ()),
            _ => Err(self.err(format!("unsupported wire type {wire}"))),
        }
    }
}

/// Collected violations.
#[derive(Debug, Default)]
struct Violations(Vec<Violation>);

impl Violations {
    fn push(&mut self, rule: Rule, at: &str, detail: impl Into<String>) {
        self.0.push(Violation {
            rule,
            at: at.to_owned(),
            detail: detail.into(),
        });
    }
}

fn wire_name(wire: u8) -> &'static str {
    match wire {
        VARINT => "varint",
        I64 => "64-bit",
        LEN => "length-delimited",
        I32 => "32-bit",
        _ => "invalid",
    }
}

/// Checks a known field's wire type; on mismatch records a violation and skips it.
fn expect_wire(
    r: &mut Reader<'_>,
    v: &mut Violations,
    field: &str,
    wire: u8,
    want: u8,
) -> Result<bool, WireError> {
    if wire == want {
        return Ok(true);
    }
    v.push(
        Rule::FieldType,
        r.at,
        format!(
            "{field} is encoded as {} instead of {}",
            wire_name(wire),
            wire_name(want)
        ),
    );
    r.skip(wire)?;
    Ok(false)
}

fn utf8(bytes: &[u8], v: &mut Violations, at: &str, what: &str) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(e) => {
            v.push(Rule::Utf8, at, format!("{what} is not valid UTF-8: {e}"));
            String::from_utf8_lossy(bytes).into_owned()
        }
    }
}

/// Reads a repeated `uint32` field, packed (one LEN chunk) or not (VARINT elements).
/// Returns whether this occurrence was a packed chunk.
fn read_repeated_u32(
    r: &mut Reader<'_>,
    v: &mut Violations,
    field: &str,
    wire: u8,
    out: &mut Vec<u32>,
) -> Result<Option<bool>, WireError> {
    match wire {
        LEN => {
            let chunk = r.len_delimited()?;
            let mut inner = Reader::new(chunk, r.at);
            while !inner.done() {
                let x = inner.varint()?;
                match u32::try_from(x) {
                    Ok(x) => out.push(x),
                    Err(_) => {
                        v.push(
                            Rule::FieldType,
                            r.at,
                            format!("{field} element {x} exceeds uint32"),
                        );
                        out.push(u32::MAX);
                    }
                }
            }
            Ok(Some(true))
        }
        VARINT => {
            let x = r.varint()?;
            match u32::try_from(x) {
                Ok(x) => out.push(x),
                Err(_) => {
                    v.push(
                        Rule::FieldType,
                        r.at,
                        format!("{field} element {x} exceeds uint32"),
                    );
                    out.push(u32::MAX);
                }
            }
            Ok(Some(false))
        }
        _ => {
            v.push(
                Rule::FieldType,
                r.at,
                format!("{field} is encoded as {}", wire_name(wire)),
            );
            r.skip(wire)?;
            Ok(None)
        }
    }
}

fn varint_u32(r: &mut Reader<'_>, v: &mut Violations, field: &str) -> Result<u32, WireError> {
    let x = r.varint()?;
    u32::try_from(x).or_else(|_| {
        v.push(Rule::FieldType, r.at, format!("{field} {x} exceeds uint32"));
        Ok(u32::MAX)
    })
}

// ---------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------

fn decode_tile(bytes: &[u8], opts: &DecodeOptions, v: &mut Violations) -> Result<Tile, WireError> {
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

fn decode_layer(
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

fn decode_value(
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

fn decode_feature(
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

// ---------------------------------------------------------------------------------------
// Geometry commands (§4.3)
// ---------------------------------------------------------------------------------------

const MOVE_TO: u32 = 1;
const LINE_TO: u32 = 2;
const CLOSE_PATH: u32 = 7;

/// Walks command and parameter integers.
struct Commands<'a> {
    ints: &'a [u32],
    pos: usize,
    cursor: Coord,
}

impl Commands<'_> {
    fn done(&self) -> bool {
        self.pos >= self.ints.len()
    }

    /// Next command: `(id, count)`.
    fn command(&mut self) -> Option<(u32, u32)> {
        let c = *self.ints.get(self.pos)?;
        self.pos += 1;
        Some((c & 7, c >> 3))
    }

    /// Whether `count` parameter pairs follow (checked before reading, so that a huge
    /// count costs nothing).
    fn has_pairs(&self, count: u32) -> bool {
        (self.ints.len() - self.pos) as u64 >= 2 * u64::from(count)
    }

    /// Reads one `(dX, dY)` pair and moves the cursor. Returns the delta.
    fn pair(&mut self) -> Coord {
        let mut d = [0i64; 2];
        for k in d.iter_mut() {
            let p = self.ints[self.pos];
            self.pos += 1;
            // Parameters -2^31 and the cursor running past i32 are "not supported" by the
            // spec but not forbidden (fixtures 049, 050 are valid): decoded exactly in
            // i64; RiskMap's own rules bound coordinates to the buffer instead.
            *k = i64::from((p >> 1) as i32 ^ -((p & 1) as i32));
        }
        self.cursor = [self.cursor[0] + d[0], self.cursor[1] + d[1]];
        d
    }
}

fn decode_geometry(
    ints: &[u32],
    t: GeomType,
    at: &str,
    opts: &DecodeOptions,
    v: &mut Violations,
) -> Geometry {
    let mut c = Commands {
        ints,
        pos: 0,
        cursor: [0, 0],
    };
    let g = match t {
        GeomType::Point => decode_points(&mut c, at, v),
        GeomType::LineString => decode_lines(&mut c, at, v),
        GeomType::Polygon => decode_polygons(&mut c, at, opts, v),
        GeomType::Unknown => None,
    };
    g.unwrap_or(Geometry::Unknown)
}

fn decode_points(c: &mut Commands<'_>, at: &str, v: &mut Violations) -> Option<Geometry> {
    let Some((id, count)) = c.command() else {
        v.push(Rule::Commands, at, "point geometry without commands");
        return None;
    };
    if id != MOVE_TO || count == 0 {
        v.push(
            Rule::Commands,
            at,
            format!(
                "point geometry must be one MoveTo with count > 0, found command {id} count {count}"
            ),
        );
        return None;
    }
    if !c.has_pairs(count) {
        v.push(
            Rule::Commands,
            at,
            format!(
                "MoveTo count {count} but only {} parameters follow",
                c.ints.len() - c.pos
            ),
        );
        return None;
    }
    let mut pts = Vec::with_capacity(count as usize);
    for _ in 0..count {
        c.pair();
        pts.push(c.cursor);
    }
    if !c.done() {
        v.push(
            Rule::Commands,
            at,
            "point geometry has commands after its MoveTo",
        );
        return None;
    }
    Some(Geometry::Points(pts))
}

/// Reads `MoveTo(1)` + `LineTo(n ≥ min_lineto)` and returns the vertices, or `None`
/// after recording a violation.
fn read_path(
    c: &mut Commands<'_>,
    min_lineto: u32,
    what: &str,
    at: &str,
    v: &mut Violations,
) -> Option<Vec<Coord>> {
    let (id, count) = c.command()?;
    if id != MOVE_TO || count != 1 {
        v.push(
            Rule::Commands,
            at,
            format!("{what} must start with MoveTo count 1, found command {id} count {count}"),
        );
        return None;
    }
    if !c.has_pairs(1) {
        v.push(Rule::Commands, at, "MoveTo without its parameters");
        return None;
    }
    c.pair();
    let mut pts = vec![c.cursor];
    let Some((id, count)) = c.command() else {
        v.push(Rule::Commands, at, format!("{what} ends after its MoveTo"));
        return None;
    };
    if id != LINE_TO {
        v.push(
            Rule::Commands,
            at,
            format!("{what}: MoveTo must be followed by LineTo, found command {id}"),
        );
        return None;
    }
    if count == 0 {
        v.push(Rule::Commands, at, format!("{what}: LineTo with count 0"));
        return None;
    }
    if count < min_lineto {
        // Only polygon rings need more than one LineTo: 3 points plus the closing one.
        v.push(
            Rule::RingTooShort,
            at,
            format!("{what}: LineTo count {count}, must be at least {min_lineto}"),
        );
        return None;
    }
    if !c.has_pairs(count) {
        v.push(
            Rule::Commands,
            at,
            format!(
                "LineTo count {count} but only {} parameters follow",
                c.ints.len() - c.pos
            ),
        );
        return None;
    }
    pts.reserve(count as usize);
    for _ in 0..count {
        let d = c.pair();
        if d == [0, 0] {
            v.push(
                Rule::ZeroLengthSegment,
                at,
                format!("{what}: LineTo with dX = dY = 0"),
            );
        }
        pts.push(c.cursor);
    }
    Some(pts)
}

fn decode_lines(c: &mut Commands<'_>, at: &str, v: &mut Violations) -> Option<Geometry> {
    if c.done() {
        v.push(Rule::Commands, at, "linestring geometry without commands");
        return None;
    }
    let mut lines = Vec::new();
    while !c.done() {
        lines.push(read_path(c, 1, "linestring", at, v)?);
    }
    Some(Geometry::LineStrings(lines))
}

/// Twice the signed area by the surveyor's formula (positive = exterior in MVT 2.1).
pub fn ring_area2(ring: &[Coord]) -> i128 {
    let n = ring.len();
    (0..n)
        .map(|i| {
            let (a, b) = (ring[i], ring[(i + 1) % n]);
            i128::from(a[0]) * i128::from(b[1]) - i128::from(b[0]) * i128::from(a[1])
        })
        .sum()
}

fn decode_polygons(
    c: &mut Commands<'_>,
    at: &str,
    opts: &DecodeOptions,
    v: &mut Violations,
) -> Option<Geometry> {
    if c.done() {
        v.push(Rule::Commands, at, "polygon geometry without commands");
        return None;
    }
    let mut polygons: Vec<Polygon> = Vec::new();
    let mut ring_index = 0usize;
    while !c.done() {
        let ring = read_path(c, 2, "polygon ring", at, v)?;
        match c.command() {
            Some((CLOSE_PATH, 1)) => {}
            Some((CLOSE_PATH, n)) => {
                v.push(
                    Rule::Commands,
                    at,
                    format!("ClosePath count {n}, must be 1"),
                );
                return None;
            }
            Some((id, _)) => {
                v.push(
                    Rule::Commands,
                    at,
                    format!("ring not closed: command {id} instead of ClosePath"),
                );
                return None;
            }
            None => {
                v.push(
                    Rule::Commands,
                    at,
                    "ring not closed: geometry ends before ClosePath",
                );
                return None;
            }
        }
        // A ClosePath is followed by a MoveTo or nothing (ClosePath has no parameters,
        // so anything else is caught by the next read_path).
        let rat = format!("{at} ring {ring_index}");
        if ring.first() == ring.last() {
            v.push(
                Rule::RingClosingPointRepeated,
                &rat,
                "last point equals the first before ClosePath",
            );
        }
        let a = ring_area2(&ring);
        if a == 0 {
            v.push(Rule::ZeroAreaRing, &rat, "ring has zero area");
        } else if a > 0 {
            polygons.push(Polygon {
                exterior: ring,
                interiors: Vec::new(),
            });
        } else if let Some(p) = polygons.last_mut() {
            p.interiors.push(ring);
        } else {
            v.push(
                Rule::FirstRingNotExterior,
                &rat,
                "first ring has negative area (interior before any exterior)",
            );
        }
        if ring_index == 0 && a == 0 {
            v.push(Rule::FirstRingNotExterior, &rat, "first ring has zero area");
        }
        ring_index += 1;
    }
    if opts.topology {
        for (pi, p) in polygons.iter().enumerate() {
            check_polygon_topology(p, &format!("{at} polygon {pi}"), v);
        }
    }
    Some(Geometry::Polygons(polygons))
}

// ---------------------------------------------------------------------------------------
// Exact ring topology (i128 arithmetic, so any i64 input is exact)
// ---------------------------------------------------------------------------------------

fn orient(a: Coord, b: Coord, c: Coord) -> i32 {
    let v = (i128::from(b[0]) - i128::from(a[0])) * (i128::from(c[1]) - i128::from(a[1]))
        - (i128::from(b[1]) - i128::from(a[1])) * (i128::from(c[0]) - i128::from(a[0]));
    v.signum() as i32
}

fn within_box(a: Coord, b: Coord, p: Coord) -> bool {
    p[0] >= a[0].min(b[0])
        && p[0] <= a[0].max(b[0])
        && p[1] >= a[1].min(b[1])
        && p[1] <= a[1].max(b[1])
}

/// Whether closed segments `a–b` and `c–d` share a point.
fn touch(a: Coord, b: Coord, c: Coord, d: Coord) -> bool {
    let (o1, o2, o3, o4) = (
        orient(a, b, c),
        orient(a, b, d),
        orient(c, d, a),
        orient(c, d, b),
    );
    if o1 != o2 && o3 != o4 {
        return true;
    }
    (o1 == 0 && within_box(a, b, c))
        || (o2 == 0 && within_box(a, b, d))
        || (o3 == 0 && within_box(c, d, a))
        || (o4 == 0 && within_box(c, d, b))
}

/// Whether segments cross properly (interiors intersect in one point, no endpoint on the
/// other segment) or overlap collinearly over more than a point.
fn cross_or_overlap(a: Coord, b: Coord, c: Coord, d: Coord) -> bool {
    let (o1, o2, o3, o4) = (
        orient(a, b, c),
        orient(a, b, d),
        orient(c, d, a),
        orient(c, d, b),
    );
    if o1 * o2 < 0 && o3 * o4 < 0 {
        return true;
    }
    if o1 == 0 && o2 == 0 {
        // Collinear: overlap longer than a point?
        let axis = usize::from(a[0] == b[0]);
        let (lo1, hi1) = (a[axis].min(b[axis]), a[axis].max(b[axis]));
        let (lo2, hi2) = (c[axis].min(d[axis]), c[axis].max(d[axis]));
        return lo1.max(lo2) < hi1.min(hi2);
    }
    false
}

/// Edges of a ring as `(start, end)`.
fn edges(ring: &[Coord]) -> impl Iterator<Item = (Coord, Coord)> + '_ {
    (0..ring.len()).map(move |i| (ring[i], ring[(i + 1) % ring.len()]))
}

/// Pairs of edges `(i, j)`, `i < j`, whose x-ranges overlap (sweep over sorted minima):
/// the candidates for intersection tests, without the full O(n²).
fn candidate_pairs(segs: &[(Coord, Coord)]) -> Vec<(usize, usize)> {
    let mut order: Vec<usize> = (0..segs.len()).collect();
    let min_x = |i: usize| segs[i].0[0].min(segs[i].1[0]);
    let max_x = |i: usize| segs[i].0[0].max(segs[i].1[0]);
    order.sort_by_key(|&i| min_x(i));
    let mut out = Vec::new();
    let mut active: Vec<usize> = Vec::new();
    for &i in &order {
        let x = min_x(i);
        active.retain(|&j| max_x(j) >= x);
        for &j in &active {
            out.push((i.min(j), i.max(j)));
        }
        active.push(i);
    }
    out
}

/// Whether a ring (no closing point) is simple: no self-intersection, no
/// self-tangency, no spike.
pub fn ring_is_simple(ring: &[Coord]) -> bool {
    let n = ring.len();
    if n < 3 {
        return false;
    }
    let segs: Vec<(Coord, Coord)> = edges(ring).collect();
    for (i, j) in candidate_pairs(&segs) {
        let (a, b) = segs[i];
        let (c, d) = segs[j];
        let adjacent_next = j == i + 1;
        let adjacent_wrap = i == 0 && j == n - 1;
        if adjacent_next || adjacent_wrap {
            // Shared vertex; only a fold back along the same line is bad.
            let (p, q1, q2) = if adjacent_next { (b, a, d) } else { (a, b, c) };
            let (ux, uy) = (i128::from(q1[0] - p[0]), i128::from(q1[1] - p[1]));
            let (vx, vy) = (i128::from(q2[0] - p[0]), i128::from(q2[1] - p[1]));
            if ux * vy - uy * vx == 0 && ux * vx + uy * vy > 0 {
                return false;
            }
            if n == 3 {
                continue;
            }
        } else if touch(a, b, c, d) {
            return false;
        }
    }
    true
}

/// Where a point is relative to a ring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Inside,
    Boundary,
    Outside,
}

fn point_in_ring(p: Coord, ring: &[Coord]) -> Side {
    let mut inside = false;
    for (a, b) in edges(ring) {
        if orient(a, b, p) == 0 && within_box(a, b, p) {
            return Side::Boundary;
        }
        // Crossing number on a horizontal ray to +x, half-open on y.
        if (a[1] > p[1]) != (b[1] > p[1]) {
            let t = (i128::from(p[1]) - i128::from(a[1])) * (i128::from(b[0]) - i128::from(a[0]));
            let dy = i128::from(b[1]) - i128::from(a[1]);
            let x_num = i128::from(a[0]) * dy + t;
            // Compare p.x < x of the crossing, with dy's sign in mind.
            let px = i128::from(p[0]) * dy;
            if (dy > 0 && px < x_num) || (dy < 0 && px > x_num) {
                inside = !inside;
            }
        }
    }
    if inside { Side::Inside } else { Side::Outside }
}

/// Midpoints of a ring's edges, doubled (to stay on integers): a point of the ring that
/// is not a vertex, used to decide containment when vertices are on a boundary.
fn doubled(ring: &[Coord]) -> Vec<Coord> {
    ring.iter().map(|p| [2 * p[0], 2 * p[1]]).collect()
}

/// Whether ring `inner` lies inside ring `outer` (touching allowed): no edges crossing,
/// and every vertex and edge midpoint inside or on the boundary, at least one strictly.
fn ring_inside(inner: &[Coord], outer: &[Coord]) -> bool {
    let mut segs: Vec<(Coord, Coord)> = edges(inner).collect();
    let n_inner = segs.len();
    segs.extend(edges(outer));
    for (i, j) in candidate_pairs(&segs) {
        if (i < n_inner) != (j < n_inner) {
            let (a, b) = segs[i];
            let (c, d) = segs[j];
            if cross_or_overlap(a, b, c, d) {
                return false;
            }
        }
    }
    let outer2 = doubled(outer);
    let mut strictly = false;
    for (a, b) in edges(inner) {
        for p in [[2 * a[0], 2 * a[1]], [a[0] + b[0], a[1] + b[1]]] {
            match point_in_ring(p, &outer2) {
                Side::Outside => return false,
                Side::Inside => strictly = true,
                Side::Boundary => {}
            }
        }
    }
    strictly
}

/// Whether the areas of two rings overlap (beyond touching).
fn rings_overlap(a: &[Coord], b: &[Coord]) -> bool {
    let mut segs: Vec<(Coord, Coord)> = edges(a).collect();
    let n_a = segs.len();
    segs.extend(edges(b));
    for (i, j) in candidate_pairs(&segs) {
        if (i < n_a) != (j < n_a) {
            let (p, q) = segs[i];
            let (r, s) = segs[j];
            if cross_or_overlap(p, q, r, s) {
                return true;
            }
        }
    }
    // No crossing: overlap only if one contains a non-boundary point of the other.
    let (a2, b2) = (doubled(a), doubled(b));
    let probe = |inner: &[Coord], outer2: &[Coord]| {
        edges(inner).any(|(p, q)| {
            [[2 * p[0], 2 * p[1]], [p[0] + q[0], p[1] + q[1]]]
                .iter()
                .any(|&m| point_in_ring(m, outer2) == Side::Inside)
        })
    };
    probe(a, &b2) || probe(b, &a2)
}

fn check_polygon_topology(p: &Polygon, at: &str, v: &mut Violations) {
    for (k, ring) in std::iter::once(&p.exterior).chain(&p.interiors).enumerate() {
        if !ring_is_simple(ring) {
            v.push(
                Rule::RingSelfIntersection,
                &format!("{at} ring {k}"),
                "ring intersects or touches itself",
            );
        }
    }
    for (k, hole) in p.interiors.iter().enumerate() {
        if !ring_inside(hole, &p.exterior) {
            v.push(
                Rule::HoleOutsideExterior,
                &format!("{at} hole {k}"),
                "hole is not enclosed by its exterior",
            );
        }
        for (k2, other) in p.interiors.iter().enumerate().skip(k + 1) {
            if rings_overlap(hole, other) {
                v.push(
                    Rule::HoleOutsideExterior,
                    &format!("{at} holes {k} and {k2}"),
                    "holes overlap",
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// RiskMap's own rules
// ---------------------------------------------------------------------------------------

/// Parameters of [`check_riskmap_rules`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskmapRules {
    /// Expected extent of every layer.
    pub extent: u32,
    /// Buffer: coordinates must lie in `[-buffer, extent + buffer]`.
    pub buffer: u32,
}

impl Default for RiskmapRules {
    fn default() -> Self {
        Self {
            extent: 4096,
            buffer: 64,
        }
    }
}

/// Decodes with [`decode`] (version 2, topology) and then checks RiskMap's own rules.
pub fn decode_riskmap(bytes: &[u8], rules: &RiskmapRules) -> Result<Tile, MvtError> {
    let tile = decode(bytes)?;
    check_riskmap_rules(&tile, rules)?;
    Ok(tile)
}

/// Checks RiskMap's stricter rules on a decoded tile (see the module documentation).
pub fn check_riskmap_rules(tile: &Tile, rules: &RiskmapRules) -> Result<(), MvtError> {
    let mut v = Violations::default();
    let lo = -i64::from(rules.buffer);
    let hi = i64::from(rules.extent) + i64::from(rules.buffer);
    for (li, layer) in tile.layers.iter().enumerate() {
        let lat = format!("layer {li} {:?}", layer.name);
        if layer.version != 2 {
            v.push(
                Rule::NotVersion2,
                &lat,
                format!("version {}", layer.version),
            );
        }
        if layer.extent != rules.extent {
            v.push(
                Rule::UnexpectedExtent,
                &lat,
                format!("extent {} instead of {}", layer.extent, rules.extent),
            );
        }
        if layer.features.is_empty() {
            v.push(Rule::EmptyLayer, &lat, "layer has no features");
        }
        let mut keys: HashSet<&str> = HashSet::new();
        for k in &layer.keys {
            if !keys.insert(k) {
                v.push(
                    Rule::DuplicateKeyOrValue,
                    &lat,
                    format!("key {k:?} listed twice"),
                );
            }
        }
        let mut values: HashMap<String, usize> = HashMap::new();
        for (i, val) in layer.values.iter().enumerate() {
            // Same type and same bytes (floats by bit pattern).
            let key = match val {
                Value::Float(x) => format!("f{}", x.to_bits()),
                Value::Double(x) => format!("d{}", x.to_bits()),
                other => format!("{other:?}"),
            };
            if let Some(first) = values.insert(key, i) {
                v.push(
                    Rule::DuplicateKeyOrValue,
                    &lat,
                    format!("values {first} and {i} are the same"),
                );
            }
        }
        let mut ids: HashSet<u64> = HashSet::new();
        for (fi, f) in layer.features.iter().enumerate() {
            let at = format!("{lat} feature {fi}");
            match f.id {
                None => v.push(Rule::MissingId, &at, "feature has no id"),
                Some(id) => {
                    if !ids.insert(id) {
                        v.push(Rule::DuplicateId, &at, format!("id {id} used twice"));
                    }
                }
            }
            let mut in_range = |p: &Coord| {
                if p[0] < lo || p[0] > hi || p[1] < lo || p[1] > hi {
                    v.push(
                        Rule::CoordinateOutOfRange,
                        &at,
                        format!("({}, {}) outside [{lo}, {hi}]", p[0], p[1]),
                    );
                }
            };
            match &f.geometry {
                Geometry::Unknown => {}
                Geometry::Points(pts) => pts.iter().for_each(&mut in_range),
                Geometry::LineStrings(ls) => ls.iter().flatten().for_each(&mut in_range),
                Geometry::Polygons(ps) => ps
                    .iter()
                    .flat_map(|p| std::iter::once(&p.exterior).chain(&p.interiors))
                    .flatten()
                    .for_each(&mut in_range),
            }
            match &f.geometry {
                Geometry::Unknown => {
                    v.push(
                        Rule::UnknownGeometry,
                        &at,
                        "UNKNOWN or undecodable geometry",
                    );
                }
                Geometry::Points(pts) => {
                    if pts.windows(2).any(|w| w[0] == w[1]) {
                        v.push(
                            Rule::RepeatedPoint,
                            &at,
                            "multipoint repeats a point consecutively",
                        );
                    }
                }
                Geometry::LineStrings(lines) => {
                    for w in lines.windows(2) {
                        if w[0].last() == w[1].first() {
                            v.push(
                                Rule::RepeatedPoint,
                                &at,
                                "a line starts where the previous one ends (MoveTo of length 0)",
                            );
                        }
                    }
                }
                Geometry::Polygons(ps) => {
                    for (i, a) in ps.iter().enumerate() {
                        for (j, b) in ps.iter().enumerate().skip(i + 1) {
                            if polygons_overlap(a, b) {
                                v.push(
                                    Rule::OverlappingPolygons,
                                    &at,
                                    format!("polygons {i} and {j} overlap"),
                                );
                            }
                        }
                    }
                }
            }
        }
    }
    if v.0.is_empty() {
        Ok(())
    } else {
        Err(MvtError { violations: v.0 })
    }
}

/// Whether two polygons' areas overlap or share an edge: their exteriors do, and not
/// because one lies inside a hole of the other.
fn polygons_overlap(a: &Polygon, b: &Polygon) -> bool {
    if !rings_overlap(&a.exterior, &b.exterior) {
        return false;
    }
    let in_hole = |inner: &Polygon, outer: &Polygon| {
        outer
            .interiors
            .iter()
            .any(|h| ring_inside(&inner.exterior, h))
    };
    !(in_hole(a, b) || in_hole(b, a))
}

#[cfg(test)]
mod tests {
    //! The checks the fixtures do not reach, on tiles written by hand here.

    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn varint(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }

    fn field_varint(out: &mut Vec<u8>, field: u32, v: u64) {
        varint(out, u64::from(field) << 3);
        varint(out, v);
    }

    fn field_bytes(out: &mut Vec<u8>, field: u32, data: &[u8]) {
        varint(out, (u64::from(field) << 3) | 2);
        varint(out, data.len() as u64);
        out.extend_from_slice(data);
    }

    fn packed(field: u32, values: &[u32], out: &mut Vec<u8>) {
        let mut inner = Vec::new();
        for &v in values {
            varint(&mut inner, u64::from(v));
        }
        field_bytes(out, field, &inner);
    }

    fn zz(v: i32) -> u32 {
        ((v << 1) ^ (v >> 31)) as u32
    }

    /// Commands for polygon rings given as vertex lists (absolute coordinates).
    fn rings(rings: &[&[(i32, i32)]]) -> Vec<u32> {
        let mut out = Vec::new();
        let mut cur = (0, 0);
        for r in rings {
            out.push(9);
            out.extend([zz(r[0].0 - cur.0), zz(r[0].1 - cur.1)]);
            cur = r[0];
            out.push(2 | ((r.len() as u32 - 1) << 3));
            for p in &r[1..] {
                out.extend([zz(p.0 - cur.0), zz(p.1 - cur.1)]);
                cur = *p;
            }
            out.push(15);
        }
        out
    }

    struct F {
        id: Option<u64>,
        ty: u64,
        geometry: Vec<u32>,
    }

    fn tile(features: &[F]) -> Vec<u8> {
        let mut layer = Vec::new();
        field_varint(&mut layer, 15, 2);
        field_bytes(&mut layer, 1, b"t");
        for f in features {
            let mut fb = Vec::new();
            if let Some(id) = f.id {
                field_varint(&mut fb, 1, id);
            }
            field_varint(&mut fb, 3, f.ty);
            packed(4, &f.geometry, &mut fb);
            field_bytes(&mut layer, 2, &fb);
        }
        field_varint(&mut layer, 5, 4096);
        let mut out = Vec::new();
        field_bytes(&mut out, 3, &layer);
        out
    }

    fn poly(id: u64, r: &[&[(i32, i32)]]) -> F {
        F {
            id: Some(id),
            ty: 3,
            geometry: rings(r),
        }
    }

    const SQUARE: &[(i32, i32)] = &[(0, 0), (10, 0), (10, 10), (0, 10)];

    #[test]
    fn valid_polygon_with_hole_decodes() {
        let hole: &[(i32, i32)] = &[(2, 2), (2, 8), (8, 8), (8, 2)];
        let t =
            decode_riskmap(&tile(&[poly(1, &[SQUARE, hole])]), &RiskmapRules::default()).unwrap();
        let Geometry::Polygons(p) = &t.layers[0].features[0].geometry else {
            panic!()
        };
        assert_eq!(p[0].exterior, vec![[0, 0], [10, 0], [10, 10], [0, 10]]);
        assert_eq!(p[0].interiors.len(), 1);
    }

    #[test]
    fn ring_rules() {
        let check = |r: &[&[(i32, i32)]], rule: Rule| {
            let e = decode(&tile(&[poly(1, r)])).unwrap_err();
            assert!(e.has(rule), "expected {rule:?}, got {e}");
        };
        // Exterior must come first and be positive.
        check(
            &[&[(0, 0), (0, 10), (10, 10), (10, 0)]],
            Rule::FirstRingNotExterior,
        );
        // Closing point repeated before ClosePath.
        check(
            &[&[(0, 0), (10, 0), (10, 10), (0, 10), (0, 0)]],
            Rule::RingClosingPointRepeated,
        );
        // Only 2 distinct points (LineTo count 1).
        check(&[&[(0, 0), (10, 0)]], Rule::RingTooShort);
        // Zero area.
        check(&[&[(0, 0), (10, 0), (20, 0)]], Rule::FirstRingNotExterior);
        // Bow-tie with positive area overall.
        check(
            &[&[(0, 0), (20, 0), (20, 10), (10, -5), (0, 10)]],
            Rule::RingSelfIntersection,
        );
        // Self-tangent ring (touches itself at (5, 5)).
        check(
            &[&[(0, 0), (10, 0), (10, 10), (5, 5), (0, 10), (0, 5), (5, 5)]],
            Rule::RingSelfIntersection,
        );
        // Hole outside its exterior.
        check(
            &[SQUARE, &[(20, 20), (20, 28), (28, 28), (28, 20)]],
            Rule::HoleOutsideExterior,
        );
        // Hole crossing its exterior.
        check(
            &[SQUARE, &[(5, 5), (5, 15), (15, 15), (15, 5)]],
            Rule::HoleOutsideExterior,
        );
        // Two overlapping holes.
        check(
            &[
                SQUARE,
                &[(1, 1), (1, 6), (6, 6), (6, 1)],
                &[(4, 4), (4, 9), (9, 9), (9, 4)],
            ],
            Rule::HoleOutsideExterior,
        );
        // A hole touching its exterior at one point is fine.
        let ok = tile(&[poly(1, &[SQUARE, &[(0, 5), (5, 8), (5, 2)]])]);
        decode(&ok).unwrap();
    }

    #[test]
    fn command_rules() {
        let bad = |ty: u64, geometry: Vec<u32>, rule: Rule| {
            let e = decode(&tile(&[F {
                id: Some(1),
                ty,
                geometry,
            }]))
            .unwrap_err();
            assert!(e.has(rule), "expected {rule:?}, got {e}");
        };
        bad(1, vec![17, 2, 2], Rule::Commands); // MoveTo count 2, one pair
        bad(1, vec![1, 2, 2], Rule::Commands); // MoveTo count 0
        bad(1, vec![9, 2, 2, 10, 2, 2], Rule::Commands); // LineTo in a point
        bad(2, vec![9, 2, 2, 2], Rule::Commands); // LineTo count 0
        bad(2, vec![17, 2, 2, 4, 4, 10, 2, 2], Rule::Commands); // MoveTo count 2 in a line
        bad(2, vec![9, 2, 2, 10, 0, 0], Rule::ZeroLengthSegment);
        bad(2, vec![9, 2, 2, 10, 2, 2, 15], Rule::Commands); // ClosePath in a line
        let mut square = rings(&[SQUARE]);
        square.push(0);
        bad(3, square, Rule::Commands); // a parameter after ClosePath
        bad(3, vec![9, 0, 0, 26, 20, 0, 0, 20, 19, 0], Rule::Commands); // not closed
        // ClosePath count 2 (7 | 2 << 3).
        bad(
            3,
            vec![9, 0, 0, 26, 20, 0, 0, 20, 19, 0, 23],
            Rule::Commands,
        );
        bad(4, vec![9, 2, 2], Rule::GeomType);
        bad(1, vec![11, 2, 2], Rule::Commands); // command id 3 does not exist
    }

    #[test]
    fn wire_errors_stop_decoding() {
        let mut t = tile(&[poly(1, &[SQUARE])]);
        t.truncate(t.len() - 3);
        assert!(decode(&t).unwrap_err().has(Rule::Wire));
        // A varint that never ends.
        assert!(
            decode(&[
                0x1a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01
            ])
            .unwrap_err()
            .has(Rule::Wire)
        );
        // Field number 0.
        assert!(decode(&[0x02, 0x00]).unwrap_err().has(Rule::Wire));
        // Group wire type.
        assert!(decode(&[0x1b]).unwrap_err().has(Rule::Wire));
        // Empty input is an empty tile.
        assert_eq!(decode(&[]).unwrap().layers.len(), 0);
    }

    #[test]
    fn riskmap_rules() {
        let rules = RiskmapRules::default();
        let check = |features: &[F], rule: Rule| {
            let t = decode(&tile(features)).unwrap();
            let e = check_riskmap_rules(&t, &rules).unwrap_err();
            assert!(e.has(rule), "expected {rule:?}, got {e}");
        };
        let pts = |id: Option<u64>, g: Vec<u32>| F {
            id,
            ty: 1,
            geometry: g,
        };
        check(&[pts(Some(1), vec![17, 2, 2, 0, 0])], Rule::RepeatedPoint);
        check(&[pts(None, vec![9, 2, 2])], Rule::MissingId);
        check(
            &[pts(Some(1), vec![9, 2, 2]), pts(Some(1), vec![9, 4, 4])],
            Rule::DuplicateId,
        );
        check(
            &[pts(Some(1), vec![9, zz(4161), 2])],
            Rule::CoordinateOutOfRange,
        );
        check(
            &[pts(Some(1), vec![9, zz(-65), 2])],
            Rule::CoordinateOutOfRange,
        );
        check(
            &[F {
                id: Some(1),
                ty: 0,
                geometry: vec![9, 2, 2],
            }],
            Rule::UnknownGeometry,
        );
        check(
            &[F {
                id: Some(1),
                ty: 2,
                geometry: vec![9, 2, 2, 10, 4, 4, 9, 0, 0, 10, 4, 4],
            }],
            Rule::RepeatedPoint,
        );
        // Overlapping parts of a multipolygon.
        check(
            &[poly(1, &[SQUARE, &[(5, 5), (15, 5), (15, 15), (5, 15)]])],
            Rule::OverlappingPolygons,
        );
        // An island inside a hole does not overlap.
        let hole: &[(i32, i32)] = &[(2, 2), (2, 8), (8, 8), (8, 2)];
        let island: &[(i32, i32)] = &[(4, 4), (6, 4), (6, 6), (4, 6)];
        let t = decode(&tile(&[poly(1, &[SQUARE, hole, island])])).unwrap();
        check_riskmap_rules(&t, &rules).unwrap();
        // Boundary values are in range.
        let t = decode(&tile(&[pts(
            Some(1),
            vec![17, zz(-64), zz(-64), zz(4224), zz(4224)],
        )]))
        .unwrap();
        check_riskmap_rules(&t, &rules).unwrap();
    }
}
