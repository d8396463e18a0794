//! FlatGeobuf reader (.fgb).
//!
//! The header and each feature are read and verified by the format's own crate
//! (`flatgeobuf`); the geometry is taken from its flat coordinate arrays and the
//! properties are decoded here, bounds-checked, from the feature's property buffer (the
//! crate's own decoder slices without checking lengths, so a damaged feature would panic
//! in it). Strings are UTF-8 by the specification. The CRS comes from the header: an
//! EPSG code (or another authority's code) when there is one, else its WKT.

use std::borrow::Cow;
use std::io::BufReader;
use std::path::Path;

use flatgeobuf::{
    ColumnType, FallibleStreamingIterator, FeatureIter, FgbReader, GeometryType, NotSeekable,
};
use geo::Coord;

use super::LoadError;
use super::geom::{GeomInput, RawGeom};
use super::report::Position;

type Value = super::fields::Value<'static>;

/// One row of a file: position, geometry, values in the column order.
pub(crate) type Row = (Position, GeomInput, Vec<Value>);

/// A FlatGeobuf file opened: its header read, its features still to come, a part at a
/// time ([`Rows::next_part`]), so that a file's raw rows are never all held at once.
pub(crate) struct Rows {
    /// Column names, in the file's order.
    pub names: Vec<String>,
    /// The file's own CRS (`EPSG:4549`-style text, or WKT with origin ".prj").
    pub crs: Option<(String, &'static str)>,
    /// About how many rows there are: the header's count, bounded by the file's size.
    pub room: usize,
    features: FeatureIter<BufReader<std::fs::File>, NotSeekable>,
    types: Vec<ColumnType>,
    header_type: GeometryType,
    declared: u64,
    /// Rows read so far.
    read: u64,
    /// Where the rows broke off and why, once they have.
    broken: Option<(Position, String)>,
    done: bool,
}

/// Opens a FlatGeobuf file and reads its header.
pub(crate) fn open(path: &Path, file: &str) -> Result<Rows, LoadError> {
    let broken_file = |feature: Option<u64>, message: String| LoadError::FlatGeobuf {
        file: file.to_string(),
        feature,
        message,
    };
    let io_err = |source| LoadError::Io {
        file: file.to_string(),
        source,
    };
    let f = std::fs::File::open(path).map_err(io_err)?;
    let bytes = f.metadata().map_err(io_err)?.len();
    let reader = FgbReader::open(BufReader::with_capacity(1 << 20, f))
        .map_err(|e| broken_file(None, e.to_string()))?;
    let header = reader.header();
    let names: Vec<String> = header
        .columns()
        .map(|cs| cs.iter().map(|c| c.name().to_string()).collect())
        .unwrap_or_default();
    let types: Vec<ColumnType> = header
        .columns()
        .map(|cs| cs.iter().map(|c| c.type_()).collect())
        .unwrap_or_default();
    let crs = header.crs().and_then(|c| {
        let org = c.org().unwrap_or("EPSG");
        if c.code() > 0 {
            Some((format!("{org}:{}", c.code()), "FlatGeobuf header"))
        } else if let Some(code) = c.code_string().filter(|s| !s.trim().is_empty()) {
            Some((format!("{org}:{}", code.trim()), "FlatGeobuf header"))
        } else {
            c.wkt()
                .filter(|w| !w.trim().is_empty())
                .map(|w| (w.to_string(), ".prj"))
        }
    });
    let declared = header.features_count();
    let header_type = header.geometry_type();
    let features = reader
        .select_all_seq()
        .map_err(|e| broken_file(None, e.to_string()))?;
    // The header's count is the file's word: room for no more features than its bytes
    // could hold (a feature takes a few dozen bytes at least).
    let room = usize::try_from(declared.min(bytes / 32)).unwrap_or(0);
    Ok(Rows {
        names,
        crs,
        room,
        features,
        types,
        header_type,
        declared,
        read: 0,
        broken: None,
        done: false,
    })
}

impl Rows {
    /// The next rows, at most `max`; empty when there are no more. A feature that cannot
    /// be read ends the rows: [`Rows::broken`] says where and why.
    pub(crate) fn next_part(&mut self, max: usize) -> Vec<Row> {
        let mut rows = Vec::with_capacity(max.min(self.room));
        while !self.done && rows.len() < max {
            let feature = match self.features.next() {
                Ok(Some(f)) => f,
                Ok(None) => {
                    self.finish(None);
                    break;
                }
                Err(e) => {
                    self.finish(Some(e.to_string()));
                    break;
                }
            };
            let fbs = feature.fbs_feature();
            let geom = match fbs.geometry() {
                None => GeomInput::Missing,
                Some(g) => {
                    let kind = if self.header_type == GeometryType::Unknown {
                        g.type_()
                    } else {
                        self.header_type
                    };
                    geometry(&g, kind)
                }
            };
            let values = match properties(fbs.properties().map(|p| p.bytes()), &self.types) {
                Ok(v) => v,
                Err(why) => {
                    self.finish(Some(why));
                    break;
                }
            };
            rows.push((Position::Feature(self.read), geom, values));
            self.read += 1;
        }
        rows
    }

    /// The rows end, broken for `why` at the next feature, or at their end; a file cut
    /// between two features ends quietly in the reader, so the header's count says
    /// whether features are missing.
    fn finish(&mut self, why: Option<String>) {
        self.done = true;
        let i = self.read;
        self.broken = match why {
            Some(why) => Some(cut_short(i, &why)),
            None if self.declared > 0 && i < self.declared => Some(cut_short(
                i,
                &format!("the header declares {} features", self.declared),
            )),
            None => None,
        };
    }

    /// Where the rows broke off and why, once [`Rows::next_part`] has come to their end.
    pub(crate) fn broken(&mut self) -> Option<(Position, String)> {
        self.broken.take()
    }
}

fn cut_short(i: u64, why: &str) -> (Position, String) {
    (
        Position::Feature(i),
        format!(
            "feature {i} cannot be read ({why}): the file is cut short or corrupt here; \
             the {i} feature(s) before were kept, the rest cannot be read"
        ),
    )
}

/// The coordinates of a flat `xy` array (x, y, x, y, …).
fn coords<I: IntoIterator<Item = f64>>(xy: Option<I>) -> Vec<Coord<f64>> {
    let Some(xy) = xy else {
        return Vec::new();
    };
    let mut it = xy.into_iter();
    let mut out = Vec::with_capacity(it.size_hint().0 / 2);
    while let (Some(x), Some(y)) = (it.next(), it.next()) {
        out.push(Coord { x, y });
    }
    out
}

/// Splits coordinates at `ends` (counts of coordinates from the start, one per part).
fn split<I: IntoIterator<Item = u32>>(
    all: Vec<Coord<f64>>,
    ends: Option<I>,
) -> Vec<Vec<Coord<f64>>> {
    let ends: Vec<usize> = ends
        .map(|e| e.into_iter().map(|n| n as usize).collect())
        .unwrap_or_default();
    if ends.len() < 2 {
        return vec![all];
    }
    let mut parts = Vec::with_capacity(ends.len());
    let mut start = 0usize;
    for e in ends {
        let end = e.min(all.len());
        if end > start {
            parts.push(all[start..end].to_vec());
            start = end;
        }
    }
    if start < all.len() {
        parts.push(all[start..].to_vec());
    }
    parts
}

fn geometry(g: &flatgeobuf::Geometry<'_>, kind: GeometryType) -> GeomInput {
    let raw = match kind {
        GeometryType::Point => match coords(g.xy()).first() {
            Some(&c) => RawGeom::Point(c),
            None => return GeomInput::Missing,
        },
        GeometryType::MultiPoint => RawGeom::MultiPoint(coords(g.xy())),
        GeometryType::LineString => RawGeom::LineString(coords(g.xy())),
        GeometryType::MultiLineString => RawGeom::MultiLineString(split(coords(g.xy()), g.ends())),
        GeometryType::Polygon => RawGeom::Polygon(split(coords(g.xy()), g.ends())),
        GeometryType::MultiPolygon => match g.parts() {
            Some(parts) => RawGeom::MultiPolygon(
                parts
                    .iter()
                    .map(|p| split(coords(p.xy()), p.ends()))
                    .collect(),
            ),
            // A writer may give a one-part multipolygon as the polygon's arrays.
            None => RawGeom::MultiPolygon(vec![split(coords(g.xy()), g.ends())]),
        },
        other => {
            return GeomInput::Invalid(format!(
                "a FlatGeobuf {} geometry is not supported: give a Point, LineString, Polygon or their Multi forms",
                other.variant_name().unwrap_or("unknown")
            ));
        }
    };
    let empty = match &raw {
        RawGeom::Point(_) => false,
        RawGeom::MultiPoint(v) | RawGeom::LineString(v) => v.is_empty(),
        RawGeom::MultiLineString(v) | RawGeom::Polygon(v) => v.iter().all(|p| p.is_empty()),
        RawGeom::MultiPolygon(v) => v.iter().flatten().all(|p| p.is_empty()),
    };
    if empty {
        GeomInput::Missing
    } else {
        GeomInput::Geom(raw)
    }
}

/// Decodes a feature's property buffer: (u16 column index, value) pairs, a value's size
/// given by its column's type, text and binary values prefixed by a u32 length.
fn properties(buf: Option<&[u8]>, types: &[ColumnType]) -> Result<Vec<Value>, String> {
    let mut values = vec![Value::Null; types.len()];
    let Some(buf) = buf else {
        return Ok(values);
    };
    let mut at = 0usize;
    let take = |at: &mut usize, n: usize| -> Result<&[u8], String> {
        let end = at
            .checked_add(n)
            .filter(|&e| e <= buf.len())
            .ok_or_else(|| format!("a property runs past the end of its buffer at byte {at}"))?;
        let s = &buf[*at..end];
        *at = end;
        Ok(s)
    };
    fn arr<const N: usize>(s: &[u8]) -> [u8; N] {
        let mut a = [0u8; N];
        a.copy_from_slice(&s[..N]);
        a
    }
    // A trailing byte after the last value occurs in files from some writers.
    while at + 1 < buf.len() {
        let col = usize::from(u16::from_le_bytes(arr(take(&mut at, 2)?)));
        let Some(&ty) = types.get(col) else {
            return Err(format!(
                "a property names column {col}, the header has {}",
                types.len()
            ));
        };
        let v = match ty {
            ColumnType::Bool => Value::Bool(take(&mut at, 1)?[0] != 0),
            ColumnType::Byte => Value::Num(f64::from(i8::from_le_bytes(arr(take(&mut at, 1)?)))),
            ColumnType::UByte => Value::Num(f64::from(take(&mut at, 1)?[0])),
            ColumnType::Short => Value::Num(f64::from(i16::from_le_bytes(arr(take(&mut at, 2)?)))),
            ColumnType::UShort => Value::Num(f64::from(u16::from_le_bytes(arr(take(&mut at, 2)?)))),
            ColumnType::Int => Value::Num(f64::from(i32::from_le_bytes(arr(take(&mut at, 4)?)))),
            ColumnType::UInt => Value::Num(f64::from(u32::from_le_bytes(arr(take(&mut at, 4)?)))),
            ColumnType::Float => Value::Num(f64::from(f32::from_le_bytes(arr(take(&mut at, 4)?)))),
            ColumnType::Double => Value::Num(f64::from_le_bytes(arr(take(&mut at, 8)?))),
            // 64-bit integers: codes and counts, read as text when a double cannot hold
            // them exactly (a 19-digit code stays a code).
            ColumnType::Long => Value::wide(i64::from_le_bytes(arr(take(&mut at, 8)?)).into()),
            ColumnType::ULong => Value::wide(u64::from_le_bytes(arr(take(&mut at, 8)?)).into()),
            ColumnType::String | ColumnType::Json | ColumnType::DateTime | ColumnType::Binary => {
                let len = u32::from_le_bytes(arr(take(&mut at, 4)?)) as usize;
                let bytes = take(&mut at, len)?;
                if ty == ColumnType::Binary {
                    // Nothing in a ledger is binary; a column of it maps to no field.
                    Value::Null
                } else {
                    let text = std::str::from_utf8(bytes)
                        .map_err(|_| format!("column {:?} holds text that is not UTF-8", col))?;
                    if ty == ColumnType::Json {
                        match serde_json::from_str(text) {
                            Ok(j) => Value::Json(j),
                            Err(_) => Value::Str(Cow::Owned(text.to_string())),
                        }
                    } else {
                        Value::Str(Cow::Owned(text.to_string()))
                    }
                }
            }
            other => return Err(format!("column {col} has an unknown type {}", other.0)),
        };
        values[col] = v;
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(x: f64, y: f64) -> Coord<f64> {
        Coord { x, y }
    }

    #[test]
    fn rings_split_at_their_ends() {
        let all = vec![c(0., 0.), c(1., 0.), c(0., 1.), c(5., 5.), c(6., 5.)];
        // ends count coordinates from the start: rings 0..3 and 3..5.
        assert_eq!(
            split(all.clone(), Some([3u32, 5])),
            vec![all[..3].to_vec(), all[3..].to_vec()]
        );
        // One end (or none) is one part.
        assert_eq!(split(all.clone(), Some([5u32])), vec![all.clone()]);
        assert_eq!(split(all.clone(), None::<[u32; 0]>), vec![all.clone()]);
        // Ends past the coordinates stop at them; what is left over is a part.
        assert_eq!(
            split(all.clone(), Some([2u32, 9])),
            vec![all[..2].to_vec(), all[2..].to_vec()]
        );
        assert_eq!(
            coords(Some([1.0, 2.0, 3.0, 4.0, 5.0])),
            vec![c(1., 2.), c(3., 4.)]
        );
    }

    #[test]
    fn properties_decode_by_their_column_types() {
        let types = [
            ColumnType::Int,
            ColumnType::String,
            ColumnType::Long,
            ColumnType::Bool,
            ColumnType::Double,
        ];
        let mut buf = Vec::new();
        // Column 1: "临江镇" (9 bytes of UTF-8).
        buf.extend_from_slice(&1u16.to_le_bytes());
        buf.extend_from_slice(&9u32.to_le_bytes());
        buf.extend_from_slice("临江镇".as_bytes());
        // Column 0: -7.
        buf.extend_from_slice(&0u16.to_le_bytes());
        buf.extend_from_slice(&(-7i32).to_le_bytes());
        // Column 2: 2^60, beyond a double's integers.
        buf.extend_from_slice(&2u16.to_le_bytes());
        buf.extend_from_slice(&(1i64 << 60).to_le_bytes());
        // Column 3: true. Column 4 is absent.
        buf.extend_from_slice(&3u16.to_le_bytes());
        buf.push(1);
        let v = properties(Some(&buf), &types).expect("decodes");
        assert!(matches!(v[0], Value::Num(n) if n == -7.0));
        assert!(matches!(&v[1], Value::Str(s) if s == "临江镇"));
        assert!(matches!(&v[2], Value::Str(s) if s == "1152921504606846976"));
        assert!(matches!(v[3], Value::Bool(true)));
        assert!(matches!(v[4], Value::Null));
        // Cut inside the string: an error naming the byte, not a panic.
        let e = properties(Some(&buf[..8]), &types).expect_err("cut");
        assert!(e.contains("past the end"), "{e}");
        // A column the header does not have.
        let e = properties(Some(&[9, 0, 1, 0, 0, 0]), &types).expect_err("no column 9");
        assert!(e.contains("column 9"), "{e}");
    }
}
