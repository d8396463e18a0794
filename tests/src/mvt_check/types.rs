//! The decoded tile: layers, features, property values and geometries, as plain data
//! for the tests to inspect.

use super::Coord;

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
