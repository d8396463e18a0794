//! ESRI Shapefile reader (.shp with its .shx, .dbf, .prj and .cpg).
//!
//! The .dbf's encoding is, in order: the one forced by options or `riskmap.toml`, the
//! `.cpg`, the language-driver byte for GBK, UTF-8 when every byte is valid UTF-8, and
//! otherwise a detection biased to Chinese (GBK in practice). Chinese column names live
//! in the .dbf header, so they are decoded with the same encoding.

use std::borrow::Cow;
use std::io::Cursor;
use std::path::{Path, PathBuf};

use encoding_rs::{Encoding, GBK, UTF_8};
use geo::Coord;
use shapefile::dbase::{self, FieldValue};
use shapefile::record::traits::HasXY;
use shapefile::{PolygonRing, Shape};

use super::LoadError;
use super::geom::{GeomInput, RawGeom};
use super::report::Position;
use super::text;

/// A shapefile as read.
#[derive(Debug)]
pub(crate) struct Shp {
    /// Column names, in .dbf order.
    pub names: Vec<String>,
    /// Each record: position, geometry, values in `names` order.
    pub rows: Vec<(Position, GeomInput, Vec<Value>)>,
    /// Encoding used for the .dbf and how it was chosen.
    pub encoding: String,
    /// The .prj text, if there is one.
    pub prj: Option<String>,
    /// A `.cpg` label that names no known encoding.
    pub unknown_cpg: Option<String>,
    /// Where the records broke off (a .shp or .dbf cut short or corrupt) and why: the
    /// records before it are in `rows`.
    pub broken: Option<(Position, String)>,
}

type Value = super::fields::Value<'static>;

/// A sidecar file of a .shp (`.dbf`, `.prj`, …), matching the extension in any case.
pub(crate) fn sidecar(shp: &Path, ext: &str) -> Option<PathBuf> {
    for e in [ext.to_ascii_lowercase(), ext.to_ascii_uppercase()] {
        let p = shp.with_extension(&e);
        if p.is_file() {
            return Some(p);
        }
    }
    let stem = shp.file_stem()?;
    std::fs::read_dir(shp.parent()?)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_stem() == Some(stem)
                && p.extension()
                    .and_then(|x| x.to_str())
                    .is_some_and(|x| x.eq_ignore_ascii_case(ext))
        })
}

/// Chooses the .dbf encoding; returns it with how it was chosen.
fn dbf_encoding(
    dbf: &[u8],
    forced: Option<(&'static Encoding, &'static str)>,
    cpg: Option<&str>,
    unknown_cpg: &mut Option<String>,
) -> (&'static Encoding, &'static str) {
    if let Some(f) = forced {
        return f;
    }
    if let Some(label) = cpg {
        match text::from_label(label) {
            Some(e) => return (e, ".cpg"),
            None => *unknown_cpg = Some(label.trim().to_string()),
        }
    }
    // Language driver ids 0x4D and 0x7A are the Chinese (GBK) code page.
    if matches!(dbf.get(29), Some(0x4d | 0x7a)) {
        return (GBK, ".dbf language driver");
    }
    if std::str::from_utf8(dbf).is_ok() {
        return (UTF_8, "valid UTF-8");
    }
    (text::detect(dbf), "detected")
}

/// Reads a shapefile.
pub(crate) fn read(
    shp_path: &Path,
    forced: Option<(&'static Encoding, &'static str)>,
    file: &str,
) -> Result<Shp, LoadError> {
    let io_err = |source: std::io::Error| LoadError::Io {
        file: file.to_string(),
        source,
    };
    let shp_err = |feature: Option<u64>, source: shapefile::Error| LoadError::Shapefile {
        file: file.to_string(),
        feature,
        source: Box::new(source),
    };
    let dbf_path =
        sidecar(shp_path, "dbf").ok_or_else(|| shp_err(None, shapefile::Error::MissingDbf))?;
    let dbf = std::fs::read(&dbf_path).map_err(io_err)?;
    let cpg = match sidecar(shp_path, "cpg") {
        Some(p) => Some(String::from_utf8_lossy(&std::fs::read(p).map_err(io_err)?).into_owned()),
        None => None,
    };
    // An empty (or blank) .prj declares nothing: read as if there were none.
    let prj = match sidecar(shp_path, "prj") {
        Some(p) => Some(String::from_utf8_lossy(&std::fs::read(p).map_err(io_err)?).into_owned())
            .filter(|t| !t.trim().is_empty()),
        None => None,
    };
    let mut unknown_cpg = None;
    let (enc, how) = dbf_encoding(&dbf, forced, cpg.as_deref(), &mut unknown_cpg);
    let dbase_reader = dbase::ReaderBuilder::new()
        .with_encoding(dbase::encoding::EncodingRs::from(enc))
        .build(Cursor::new(dbf))
        .map_err(|e| shp_err(None, shapefile::Error::DbaseError(e)))?;
    let names: Vec<String> = dbase_reader
        .fields()
        .iter()
        .map(|f| f.name().to_string())
        .collect();
    let shape_reader = shapefile::ShapeReader::from_path(shp_path).map_err(|e| shp_err(None, e))?;
    let mut reader = shapefile::Reader::new(shape_reader, dbase_reader);
    let mut rows = Vec::new();
    let mut broken = None;
    for (i, item) in reader.iter_shapes_and_records().enumerate() {
        let (shape, record) = match item {
            Ok(r) => r,
            // Nothing after a broken record can be trusted to be where the headers
            // say: keep the records before it.
            Err(e) => {
                broken = Some((
                    Position::Feature(i as u64),
                    format!(
                        "record {i} cannot be read ({e}): the file is cut short or corrupt \
                         here; the {i} record(s) before were kept, the rest cannot be read"
                    ),
                ));
                break;
            }
        };
        let mut map: std::collections::HashMap<String, FieldValue> = record.into_iter().collect();
        let values = names
            .iter()
            .map(|n| map.remove(n).map(field_value).unwrap_or(Value::Null))
            .collect();
        rows.push((Position::Feature(i as u64), shape_geometry(&shape), values));
    }
    Ok(Shp {
        names,
        rows,
        encoding: format!("{} ({how})", enc.name()),
        prj,
        unknown_cpg,
        broken,
    })
}

fn field_value(v: FieldValue) -> Value {
    match v {
        FieldValue::Character(Some(s)) | FieldValue::Memo(s) => Value::Str(Cow::Owned(s)),
        FieldValue::Numeric(Some(x)) | FieldValue::Currency(x) | FieldValue::Double(x) => {
            Value::Num(x)
        }
        FieldValue::Float(Some(x)) => Value::Num(f64::from(x)),
        FieldValue::Integer(i) => Value::Num(f64::from(i)),
        FieldValue::Logical(Some(b)) => Value::Bool(b),
        FieldValue::Date(Some(d)) => Value::Str(Cow::Owned(format!(
            "{:04}-{:02}-{:02}",
            d.year(),
            d.month(),
            d.day()
        ))),
        FieldValue::DateTime(dt) => {
            let d = dt.date();
            Value::Str(Cow::Owned(format!(
                "{:04}-{:02}-{:02}",
                d.year(),
                d.month(),
                d.day()
            )))
        }
        FieldValue::Character(None)
        | FieldValue::Numeric(None)
        | FieldValue::Float(None)
        | FieldValue::Logical(None)
        | FieldValue::Date(None) => Value::Null,
    }
}

fn pts<P: HasXY>(v: &[P]) -> Vec<Coord<f64>> {
    v.iter().map(|p| Coord { x: p.x(), y: p.y() }).collect()
}

fn lines<P: HasXY>(parts: &[Vec<P>]) -> RawGeom {
    let mut v: Vec<Vec<Coord<f64>>> = parts.iter().map(|p| pts(p)).collect();
    if v.len() == 1 {
        RawGeom::LineString(v.remove(0))
    } else {
        RawGeom::MultiLineString(v)
    }
}

/// Even–odd ray casting: whether `c` is inside the ring.
fn in_ring(c: Coord<f64>, ring: &[Coord<f64>]) -> bool {
    let mut inside = false;
    let n = ring.len();
    for i in 0..n {
        let a = ring[i];
        let b = ring[(i + n - 1) % n];
        if (a.y > c.y) != (b.y > c.y) && c.x < (b.x - a.x) * (c.y - a.y) / (b.y - a.y) + a.x {
            inside = !inside;
        }
    }
    inside
}

/// Groups shapefile rings into polygons: each outer ring starts one, each hole joins the
/// outer ring that contains it (the preceding one if none does). A file whose rings are
/// all "holes" has them wound the wrong way round; they are taken as outer rings.
fn polygons<P: HasXY>(rings: &[PolygonRing<P>]) -> RawGeom {
    let all_inner = rings.iter().all(|r| matches!(r, PolygonRing::Inner(_)));
    let mut polys: Vec<Vec<Vec<Coord<f64>>>> = Vec::new();
    let mut holes: Vec<(usize, Vec<Coord<f64>>)> = Vec::new();
    for r in rings {
        match r {
            PolygonRing::Outer(p) => polys.push(vec![pts(p)]),
            PolygonRing::Inner(p) if all_inner => polys.push(vec![pts(p)]),
            PolygonRing::Inner(p) => holes.push((polys.len().saturating_sub(1), pts(p))),
        }
    }
    for (fallback, h) in holes {
        let target = h
            .first()
            .and_then(|&c| polys.iter().position(|p| in_ring(c, &p[0])))
            .unwrap_or(fallback);
        if let Some(p) = polys.get_mut(target) {
            p.push(h);
        }
    }
    if polys.len() == 1 {
        RawGeom::Polygon(polys.remove(0))
    } else {
        RawGeom::MultiPolygon(polys)
    }
}

fn shape_geometry(s: &Shape) -> GeomInput {
    let g = match s {
        Shape::NullShape => return GeomInput::Missing,
        Shape::Point(p) => RawGeom::Point(Coord { x: p.x, y: p.y }),
        Shape::PointM(p) => RawGeom::Point(Coord { x: p.x, y: p.y }),
        Shape::PointZ(p) => RawGeom::Point(Coord { x: p.x, y: p.y }),
        Shape::Multipoint(m) => RawGeom::MultiPoint(pts(m.points())),
        Shape::MultipointM(m) => RawGeom::MultiPoint(pts(m.points())),
        Shape::MultipointZ(m) => RawGeom::MultiPoint(pts(m.points())),
        Shape::Polyline(l) => lines(l.parts()),
        Shape::PolylineM(l) => lines(l.parts()),
        Shape::PolylineZ(l) => lines(l.parts()),
        Shape::Polygon(p) => polygons(p.rings()),
        Shape::PolygonM(p) => polygons(p.rings()),
        Shape::PolygonZ(p) => polygons(p.rings()),
        Shape::Multipatch(_) => {
            return GeomInput::Invalid("a Multipatch (3-D surface) is not supported".into());
        }
    };
    GeomInput::Geom(g)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Writes a dBASE III table with character fields, names and values encoded with
    /// `enc` (the `dbase` writer encodes only values, and Chinese column names are the
    /// point of the test).
    pub(crate) fn write_dbf(
        path: &Path,
        enc: &'static Encoding,
        fields: &[(&str, u8)],
        rows: &[Vec<&str>],
    ) {
        let mut out = Vec::new();
        let header_len = 32 + 32 * fields.len() + 1;
        let record_len = 1 + fields.iter().map(|f| usize::from(f.1)).sum::<usize>();
        out.extend_from_slice(&[0x03, 124, 1, 1]);
        out.extend_from_slice(&(rows.len() as u32).to_le_bytes());
        out.extend_from_slice(&(header_len as u16).to_le_bytes());
        out.extend_from_slice(&(record_len as u16).to_le_bytes());
        out.extend_from_slice(&[0; 17]);
        out.push(0); // language driver: unspecified, so detection has to work
        out.extend_from_slice(&[0; 2]);
        for (name, len) in fields {
            let (bytes, _, _) = enc.encode(name);
            let mut n = [0u8; 11];
            n[..bytes.len().min(10)].copy_from_slice(&bytes[..bytes.len().min(10)]);
            out.extend_from_slice(&n);
            out.push(b'C');
            out.extend_from_slice(&[0; 4]);
            out.push(*len);
            out.extend_from_slice(&[0; 15]);
        }
        out.push(0x0d);
        for row in rows {
            out.push(b' ');
            for ((_, len), v) in fields.iter().zip(row) {
                let (bytes, _, _) = enc.encode(v);
                let mut cell = vec![b' '; usize::from(*len)];
                cell[..bytes.len()].copy_from_slice(&bytes);
                out.extend_from_slice(&cell);
            }
        }
        out.push(0x1a);
        std::fs::write(path, out).expect("write dbf");
    }

    #[test]
    fn rings_group_into_polygons() {
        let sq = |x: f64, s: f64| {
            vec![
                shapefile::Point::new(x, x),
                shapefile::Point::new(x, x + s),
                shapefile::Point::new(x + s, x + s),
                shapefile::Point::new(x + s, x),
                shapefile::Point::new(x, x),
            ]
        };
        let rings = vec![
            PolygonRing::Outer(sq(0.0, 10.0)),
            PolygonRing::Outer(sq(20.0, 10.0)),
            PolygonRing::Inner(sq(1.0, 1.0)),
        ];
        match polygons(&rings) {
            RawGeom::MultiPolygon(p) => assert_eq!((p[0].len(), p[1].len()), (2, 1)),
            other => panic!("{other:?}"),
        }
    }
}
