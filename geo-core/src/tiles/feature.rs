//! The input of a layer: features with their lon/lat geometry, id and typed properties.

use std::borrow::Cow;

use geo::Geometry;

/// A typed property value, as MVT stores it. Which integer variant to use is the caller's
/// choice; all three decode to the same number in a map client.
#[derive(Debug, Clone, PartialEq)]
pub enum PropValue<'a> {
    /// A string (`string_value`).
    String(Cow<'a, str>),
    /// A signed integer (`int_value`; negative numbers take 10 bytes).
    Int(i64),
    /// An unsigned integer (`uint_value`).
    UInt(u64),
    /// A signed integer, zigzag-encoded (`sint_value`; small negatives stay small).
    SInt(i64),
    /// A 32-bit float (`float_value`).
    Float(f32),
    /// A 64-bit float (`double_value`).
    Double(f64),
    /// A boolean (`bool_value`).
    Bool(bool),
}

impl<'a> From<&'a str> for PropValue<'a> {
    fn from(v: &'a str) -> Self {
        Self::String(Cow::Borrowed(v))
    }
}

impl From<String> for PropValue<'_> {
    fn from(v: String) -> Self {
        Self::String(Cow::Owned(v))
    }
}

impl From<i64> for PropValue<'_> {
    fn from(v: i64) -> Self {
        Self::Int(v)
    }
}

impl From<i32> for PropValue<'_> {
    fn from(v: i32) -> Self {
        Self::Int(i64::from(v))
    }
}

impl From<u64> for PropValue<'_> {
    fn from(v: u64) -> Self {
        Self::UInt(v)
    }
}

impl From<u32> for PropValue<'_> {
    fn from(v: u32) -> Self {
        Self::UInt(u64::from(v))
    }
}

impl From<u8> for PropValue<'_> {
    fn from(v: u8) -> Self {
        Self::UInt(u64::from(v))
    }
}

impl From<f64> for PropValue<'_> {
    fn from(v: f64) -> Self {
        Self::Double(v)
    }
}

impl From<f32> for PropValue<'_> {
    fn from(v: f32) -> Self {
        Self::Float(v)
    }
}

impl From<bool> for PropValue<'_> {
    fn from(v: bool) -> Self {
        Self::Bool(v)
    }
}

/// One feature to put in a layer: WGS84 lon/lat geometry (borrowed or owned), the id it
/// keeps in every tile, and its properties.
#[derive(Debug, Clone)]
pub struct TileFeature<'a> {
    /// Feature id, unique within the layer; stable ids let the map client keep feature
    /// state (hover, selection) across tiles and zooms.
    pub id: u64,
    /// Geometry in lon/lat degrees: a point, line or polygon kind, or a multi- of one;
    /// `Line`, `Rect` and `Triangle` are accepted too, `GeometryCollection` is not.
    pub geometry: Cow<'a, Geometry<f64>>,
    /// Properties; each key at most once. Borrowed when many features share the same
    /// ones (a layer whose features carry only a level needs no list per feature).
    pub properties: Cow<'a, [(Cow<'a, str>, PropValue<'a>)]>,
}

impl<'a> TileFeature<'a> {
    /// A feature borrowing its geometry, without properties.
    pub fn borrowed(id: u64, geometry: &'a Geometry<f64>) -> Self {
        Self {
            id,
            geometry: Cow::Borrowed(geometry),
            properties: Cow::Borrowed(&[]),
        }
    }

    /// A feature owning its geometry, without properties.
    pub fn owned(id: u64, geometry: impl Into<Geometry<f64>>) -> Self {
        Self {
            id,
            geometry: Cow::Owned(geometry.into()),
            properties: Cow::Borrowed(&[]),
        }
    }

    /// Adds a property (builder style).
    #[must_use]
    pub fn with(mut self, key: impl Into<Cow<'a, str>>, value: impl Into<PropValue<'a>>) -> Self {
        self.properties.to_mut().push((key.into(), value.into()));
        self
    }
}
