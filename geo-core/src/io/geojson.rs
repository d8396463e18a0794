//! GeoJSON reader.
//!
//! Deserialises straight into light structs: property keys and string values borrow
//! from the file's text where they have no escapes, coordinates go into `Vec<Coord>`
//! nests without an intermediate tree, and only nested property values (inventories,
//! QRA tables) become `serde_json::Value`. A million small polygons parse in well under
//! two seconds on one core this way; a `serde_json::Value` or `geojson` tree of the same
//! file takes several times as long and as much memory.

use std::borrow::Cow;
use std::fmt;

use geo::Coord;
use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::LoadError;
use super::features::RawFeature;
use super::fields::{Value, format_number};
use super::geom::{GeomInput, RawGeom};
use super::report::Position;

mod parts;
mod recover;
mod stream;

pub(crate) use parts::{Streamed, features_in, parse_in_parts};
pub(crate) use recover::Broken;
pub(crate) use stream::{StreamEnd, TextPart, stream_parts};

/// A parsed file: its features, the legacy `crs` member, if any, and the features that
/// could not be read.
pub(crate) struct Parsed<'a> {
    pub features: Vec<RawFeature<'a>>,
    /// The CRS named by a pre-RFC 7946 `crs` member.
    pub crs: Option<String>,
    /// Features skipped because they cannot be read, and a break that ended the
    /// reading early, in file order.
    pub broken: Vec<Broken>,
}

/// Parses GeoJSON text (a FeatureCollection or a single Feature).
///
/// A valid file is read in one pass. When that pass fails, a feature collection is read
/// again feature by feature ([`recover`]): a feature that cannot be read is skipped and
/// listed in [`Parsed::broken`], the others are kept. Only a file whose top level
/// cannot be made out is an error.
pub(crate) fn parse<'a>(text: &'a str, file: &str) -> Result<Parsed<'a>, LoadError> {
    let top: Top<'a> = match serde_json::from_str(text) {
        Ok(top) => top,
        Err(e) => {
            return match recover::parse(text) {
                Some((mut parsed, broken)) => {
                    parsed.broken = broken;
                    Ok(parsed)
                }
                None => Err(LoadError::Json {
                    file: file.to_string(),
                    line: e.line() as u64,
                    column: e.column() as u64,
                    source: e,
                }),
            };
        }
    };
    Parsed::from_top(top, file)
}

impl<'a> Parsed<'a> {
    fn from_top(top: Top<'a>, file: &str) -> Result<Self, LoadError> {
        let crs = top.crs.as_ref().and_then(legacy_crs_name);
        let features = match top.kind.as_deref() {
            Some("FeatureCollection") => top.features.map(|FeatureList(v)| v).unwrap_or_default(),
            None if top.features.is_some() => {
                top.features.map(|FeatureList(v)| v).unwrap_or_default()
            }
            Some("Feature") => vec![
                JsonFeature {
                    id: top.id,
                    geometry: top.geometry,
                    properties: top.properties,
                }
                .into_raw(0),
            ],
            Some(other) => {
                let hint = if matches!(
                    other,
                    "Point"
                        | "MultiPoint"
                        | "LineString"
                        | "MultiLineString"
                        | "Polygon"
                        | "MultiPolygon"
                        | "GeometryCollection"
                ) {
                    ": a bare geometry has no properties; wrap it in a Feature"
                } else {
                    ""
                };
                return Err(LoadError::NotGeoJson {
                    file: file.to_string(),
                    message: format!("its \"type\" is {other:?}{hint}"),
                });
            }
            None => {
                return Err(LoadError::NotGeoJson {
                    file: file.to_string(),
                    message: "it has neither \"type\" nor \"features\"".into(),
                });
            }
        };
        Ok(Parsed {
            features,
            crs,
            broken: Vec::new(),
        })
    }
}

/// The CRS name of a legacy `crs` member: `{"type":"name","properties":{"name":…}}` or
/// the older `{"type":"EPSG","properties":{"code":4549}}`.
pub fn legacy_crs_name(v: &serde_json::Value) -> Option<String> {
    let props = v.get("properties")?;
    if let Some(name) = props.get("name").and_then(|n| n.as_str()) {
        return Some(name.to_string());
    }
    match props.get("code") {
        Some(serde_json::Value::Number(n)) => Some(format!("EPSG:{n}")),
        Some(serde_json::Value::String(s)) => Some(format!("EPSG:{s}")),
        _ => None,
    }
}

#[derive(serde::Deserialize, Default)]
struct Top<'a> {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(borrow, default)]
    features: Option<FeatureList<'a>>,
    #[serde(default)]
    crs: Option<serde_json::Value>,
    #[serde(borrow, default)]
    id: Option<JsonId<'a>>,
    #[serde(default)]
    geometry: Option<JsonGeometry>,
    #[serde(borrow, default)]
    properties: Option<Props<'a>>,
}

#[derive(serde::Deserialize)]
struct JsonFeature<'a> {
    #[serde(borrow, default)]
    id: Option<JsonId<'a>>,
    #[serde(default)]
    geometry: Option<JsonGeometry>,
    #[serde(borrow, default)]
    properties: Option<Props<'a>>,
}

impl<'a> JsonFeature<'a> {
    fn into_raw(self, index: usize) -> RawFeature<'a> {
        RawFeature {
            position: Position::Feature(index as u64),
            id: self.id.map(|JsonId(s)| s),
            geom: self
                .geometry
                .map(|JsonGeometry(g)| g)
                .unwrap_or(GeomInput::Missing),
            props: self.properties.map(|Props(p)| p).unwrap_or_default(),
        }
    }
}

/// The raw features of a part cut by [`stream_parts`], read on every core (each element
/// is a JSON text of its own); `None` when one of them cannot be read, and the file is
/// then read whole.
pub(crate) fn part_features(part: &TextPart) -> Option<Vec<RawFeature<'_>>> {
    use rayon::prelude::*;
    part.spans
        .par_iter()
        .enumerate()
        .map(|(i, &(start, end))| {
            let text = part.text.get(start..end)?;
            let f = serde_json::from_str::<JsonFeature<'_>>(text).ok()?;
            Some(f.into_raw(part.first + i))
        })
        .collect()
}

/// The `features` array, read straight into raw features (no second vector).
struct FeatureList<'a>(Vec<RawFeature<'a>>);

impl<'de: 'a, 'a> Deserialize<'de> for FeatureList<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = FeatureList<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of features")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut v = Vec::new();
                while let Some(f) = seq.next_element::<JsonFeature<'a>>()? {
                    let i = v.len();
                    v.push(f.into_raw(i));
                }
                Ok(FeatureList(v))
            }
        }
        d.deserialize_seq(V(std::marker::PhantomData))
    }
}

/// A string borrowed from the text when it has no escapes.
struct CowStr<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for CowStr<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = CowStr<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V(std::marker::PhantomData))
    }
}

/// A feature id: a string or a number (RFC 7946 §3.2).
struct JsonId<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for JsonId<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = JsonId<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or number id")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(JsonId(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(JsonId(Cow::Owned(v.to_string())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(JsonId(Cow::Owned(v.to_string())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(JsonId(Cow::Owned(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(JsonId(Cow::Owned(format_number(v))))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// Feature properties in file order.
struct Props<'a>(Vec<(Cow<'a, str>, Value<'a>)>);

impl<'de: 'a, 'a> Deserialize<'de> for Props<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Props<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of properties")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                // JSON gives no size hint; four covers most ledgers' feature properties
                // and a million features then touch a quarter of a gigabyte less memory
                // than with eight.
                let mut v = Vec::with_capacity(map.size_hint().unwrap_or(4));
                while let Some(CowStr(k)) = map.next_key()? {
                    let JsonValue(val) = map.next_value()?;
                    v.push((k, val));
                }
                Ok(Props(v))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Props(Vec::new()))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// A property value.
struct JsonValue<'a>(Value<'a>);

impl<'de: 'a, 'a> Deserialize<'de> for JsonValue<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = JsonValue<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(JsonValue(Value::Bool(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(JsonValue(Value::Num(v as f64)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(JsonValue(Value::Num(v as f64)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(JsonValue(Value::Num(v)))
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(JsonValue(Value::Str(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(JsonValue(Value::Str(Cow::Owned(v.to_string()))))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(JsonValue(Value::Str(Cow::Owned(v))))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(JsonValue(Value::Null))
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(JsonValue(Value::Null))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                serde_json::Value::deserialize(SeqAccessDeserializer::new(seq))
                    .map(|j| JsonValue(Value::Json(j)))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                serde_json::Value::deserialize(MapAccessDeserializer::new(map))
                    .map(|j| JsonValue(Value::Json(j)))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// A geometry object, already checked for consistency between its type and nesting.
struct JsonGeometry(GeomInput);

impl<'de> Deserialize<'de> for JsonGeometry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = JsonGeometry;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a GeoJSON geometry object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut kind: Option<CowStr<'de>> = None;
                let mut coords: Option<Coords> = None;
                let mut collection = false;
                while let Some(CowStr(k)) = map.next_key::<CowStr<'de>>()? {
                    match k.as_ref() {
                        "type" => kind = Some(map.next_value()?),
                        "coordinates" => coords = Some(map.next_value()?),
                        "geometries" => {
                            map.next_value::<IgnoredAny>()?;
                            collection = true;
                        }
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(JsonGeometry(assemble(
                    kind.map(|k| k.0),
                    coords,
                    collection,
                )))
            }
        }
        d.deserialize_map(V)
    }
}

fn assemble(kind: Option<Cow<'_, str>>, coords: Option<Coords>, collection: bool) -> GeomInput {
    let Some(kind) = kind else {
        return GeomInput::Invalid("geometry has no \"type\"".into());
    };
    if kind == "GeometryCollection" || collection {
        return GeomInput::Invalid(
            "a GeometryCollection is not supported: give each part its own feature".into(),
        );
    }
    let coords = match coords {
        None | Some(Coords::Empty) => return GeomInput::Missing,
        Some(c) => c,
    };
    let g = match (kind.as_ref(), coords) {
        ("Point", Coords::Pos(c)) => RawGeom::Point(c),
        ("MultiPoint", Coords::L1(v)) => RawGeom::MultiPoint(v),
        ("LineString", Coords::L1(v)) => RawGeom::LineString(v),
        ("MultiLineString", Coords::L2(v)) => RawGeom::MultiLineString(v),
        ("Polygon", Coords::L2(v)) => RawGeom::Polygon(v),
        ("MultiPolygon", Coords::L3(v)) => RawGeom::MultiPolygon(v),
        (
            k @ ("Point" | "MultiPoint" | "LineString" | "MultiLineString" | "Polygon"
            | "MultiPolygon"),
            c,
        ) => {
            return GeomInput::Invalid(format!(
                "{k} coordinates are {}, which is not what a {k} has",
                c.depth_name()
            ));
        }
        (k, _) => return GeomInput::Invalid(format!("unknown geometry type {k:?}")),
    };
    GeomInput::Geom(g)
}

/// Coordinates of any nesting depth.
enum Coords {
    Empty,
    Pos(Coord<f64>),
    L1(Vec<Coord<f64>>),
    L2(Vec<Vec<Coord<f64>>>),
    L3(Vec<Vec<Vec<Coord<f64>>>>),
    /// Nested deeper than any geometry, or an empty array inside.
    Odd(&'static str),
}

impl Coords {
    fn depth_name(&self) -> &'static str {
        match self {
            Coords::Empty => "empty",
            Coords::Pos(_) => "a single position",
            Coords::L1(_) => "a list of positions",
            Coords::L2(_) => "a list of rings or lines",
            Coords::L3(_) => "a list of polygons",
            Coords::Odd(why) => why,
        }
    }
}

impl<'de> Deserialize<'de> for Coords {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_seq(CoordsVisitor)
    }
}

struct CoordsVisitor;

/// The first element of an array: it decides the depth; the rest are read with the
/// typed readers below, which are much faster than probing each element.
enum First {
    Num(f64),
    Null,
    Nested(Coords),
}

impl<'de> Deserialize<'de> for First {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = First;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number or an array of coordinates")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<First, E> {
                Ok(First::Num(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<First, E> {
                Ok(First::Num(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<First, E> {
                Ok(First::Num(v as f64))
            }
            fn visit_unit<E: de::Error>(self) -> Result<First, E> {
                Ok(First::Null)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<First, A::Error> {
                CoordsVisitor.visit_seq(seq).map(First::Nested)
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Visitor<'de> for CoordsVisitor {
    type Value = Coords;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("GeoJSON coordinates")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Coords, A::Error> {
        let Some(first) = seq.next_element::<First>()? else {
            return Ok(Coords::Empty);
        };
        Ok(match first {
            First::Num(x) => Coords::Pos(rest_of_position(Some(x), seq)?),
            First::Null => Coords::Pos(rest_of_position(None, seq)?),
            First::Nested(Coords::Pos(c)) => {
                let mut v = vec![c];
                while let Some(Pos(c)) = seq.next_element()? {
                    v.push(c);
                }
                Coords::L1(v)
            }
            First::Nested(Coords::L1(l)) => {
                let mut v = vec![l];
                while let Some(Line(l)) = seq.next_element()? {
                    v.push(l);
                }
                Coords::L2(v)
            }
            First::Nested(Coords::L2(p)) => {
                let mut v = vec![p];
                while let Some(Poly(p)) = seq.next_element()? {
                    v.push(p);
                }
                Coords::L3(v)
            }
            First::Nested(Coords::L3(_)) => {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Coords::Odd("nested five or more deep")
            }
            First::Nested(Coords::Empty) | First::Nested(Coords::Odd(_)) => {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Coords::Odd("nested irregularly (an empty array inside)")
            }
        })
    }
}

/// The rest of a position after its first number: y, then any z or m (dropped). A
/// position with fewer than two numbers, or with nulls, becomes NaN so that the feature
/// is reported as having invalid coordinates rather than breaking the file.
fn rest_of_position<'de, A: SeqAccess<'de>>(
    x: Option<f64>,
    mut seq: A,
) -> Result<Coord<f64>, A::Error> {
    let y = seq.next_element::<Option<f64>>()?.flatten();
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(Coord {
        x: x.unwrap_or(f64::NAN),
        y: y.unwrap_or(f64::NAN),
    })
}

struct Pos(Coord<f64>);

impl<'de> Deserialize<'de> for Pos {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Pos;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a position [x, y]")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Pos, A::Error> {
                let x = seq.next_element::<Option<f64>>()?.flatten();
                rest_of_position(x, seq).map(Pos)
            }
        }
        d.deserialize_seq(V)
    }
}

struct Line(Vec<Coord<f64>>);

impl<'de> Deserialize<'de> for Line {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Line;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of positions")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Line, A::Error> {
                // Small polygons dominate big files: 8 positions covers most rings
                // without a reallocation.
                let mut v = Vec::with_capacity(8);
                while let Some(Pos(c)) = seq.next_element()? {
                    v.push(c);
                }
                Ok(Line(v))
            }
        }
        d.deserialize_seq(V)
    }
}

struct Poly(Vec<Vec<Coord<f64>>>);

impl<'de> Deserialize<'de> for Poly {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Poly;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of rings")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Poly, A::Error> {
                let mut v = Vec::with_capacity(1);
                while let Some(Line(l)) = seq.next_element()? {
                    v.push(l);
                }
                Ok(Poly(v))
            }
        }
        d.deserialize_seq(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(x: f64, y: f64) -> Coord<f64> {
        Coord { x, y }
    }

    #[test]
    fn feature_collection_with_every_geometry_depth() {
        let text = r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4549"}},
          "features":[
            {"type":"Feature","id":7,"geometry":{"type":"Point","coordinates":[1,2,3]},"properties":{"名称":"甲","n":1.5,"inv":[{"cas":"7782-50-5","tonnes":2}]}},
            {"type":"Feature","geometry":{"coordinates":[[[0,0],[1,0],[1,1],[0,0]]],"type":"Polygon"},"properties":{"esc":"a\"b"}},
            {"type":"Feature","geometry":{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[5,5],[6,5],[6,6],[5,5]]]]},"properties":null},
            {"type":"Feature","geometry":null,"properties":{}},
            {"type":"Feature","geometry":{"type":"Polygon","coordinates":[]}},
            {"type":"Feature","geometry":{"type":"Point","coordinates":[[1,2]]}},
            {"type":"Feature","geometry":{"type":"Point","coordinates":[null,2]}},
            {"type":"Feature","geometry":{"type":"GeometryCollection","geometries":[]}}
          ]}"#;
        let p = parse(text, "t.geojson").expect("parses");
        assert_eq!(p.crs.as_deref(), Some("urn:ogc:def:crs:EPSG::4549"));
        let f = &p.features;
        assert_eq!(f.len(), 8);
        assert_eq!(f[0].id.as_deref(), Some("7"));
        assert_eq!(f[0].geom, GeomInput::Geom(RawGeom::Point(c(1.0, 2.0))));
        assert!(matches!(f[0].props[0].0, Cow::Borrowed("名称")));
        assert_eq!(f[0].props[0].1, Value::Str(Cow::Borrowed("甲")));
        assert_eq!(f[0].props[1].1, Value::Num(1.5));
        assert!(
            matches!(&f[0].props[2].1, Value::Json(serde_json::Value::Array(a)) if a.len() == 1)
        );
        assert_eq!(f[1].props[0].1, Value::Str(Cow::Owned("a\"b".into())));
        assert!(matches!(&f[1].geom, GeomInput::Geom(RawGeom::Polygon(r)) if r[0].len() == 4));
        assert!(matches!(&f[2].geom, GeomInput::Geom(RawGeom::MultiPolygon(p)) if p.len() == 2));
        assert!(f[2].props.is_empty());
        assert_eq!(f[3].geom, GeomInput::Missing);
        assert_eq!(f[4].geom, GeomInput::Missing);
        assert!(
            matches!(&f[5].geom, GeomInput::Invalid(m) if m.contains("Point coordinates are a list of positions"))
        );
        assert!(matches!(&f[6].geom, GeomInput::Geom(RawGeom::Point(c)) if c.x.is_nan()));
        assert!(matches!(&f[7].geom, GeomInput::Invalid(m) if m.contains("GeometryCollection")));
        assert_eq!(f[7].position, Position::Feature(7));
    }

    #[test]
    fn single_feature_and_errors() {
        let p = parse(r#"{"type":"Feature","id":"a","geometry":{"type":"Point","coordinates":[1,2]},"properties":{"x":1}}"#, "f")
            .expect("parses");
        assert_eq!(p.features.len(), 1);
        assert_eq!(p.features[0].id.as_deref(), Some("a"));
        // A syntax error inside the one feature costs that feature, not the file:
        // `"features":[` is 12 characters, so the feature opens at line 2, column 13,
        // and its second comma is its 19th character: column 13 + 19 - 1 = 31.
        let p = parse(
            "{\"type\":\"FeatureCollection\",\n\"features\":[{\"type\":\"Feature\",,}]}",
            "b.geojson",
        )
        .expect("recovered");
        assert!(p.features.is_empty());
        assert_eq!(p.broken.len(), 1);
        assert_eq!(p.broken[0].position, Position::Feature(0));
        assert!(
            p.broken[0].message.contains("line 2, column 31"),
            "{}",
            p.broken[0].message
        );
        // Broken before any feature: the file as a whole.
        match parse(
            "{\"type\":\"FeatureCollection\",\"features\":[{]}",
            "c.geojson",
        ) {
            Err(LoadError::Json { line, column, .. }) => assert_eq!((line, column), (1, 42)),
            other => panic!("{:?}", other.err()),
        }
        assert!(matches!(
            parse(r#"{"type":"Polygon","coordinates":[]}"#, "g"),
            Err(LoadError::NotGeoJson { message, .. }) if message.contains("bare geometry")
        ));
        let p = parse(r#"{"type":"FeatureCollection","crs":{"type":"EPSG","properties":{"code":4528}},"features":[]}"#, "f")
            .expect("parses");
        assert_eq!(p.crs.as_deref(), Some("EPSG:4528"));
    }
}
