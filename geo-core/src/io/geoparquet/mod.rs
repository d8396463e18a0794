//! GeoParquet reader (.parquet).
//!
//! Pages, encodings and compression are the Parquet format's reference Rust crate's
//! (`parquet`, Apache Arrow's, through its column readers without Arrow); what a
//! GeoParquet file adds is read here:
//! - the file's `geo` metadata (GeoParquet 1.0 and 1.1): the primary geometry column, its
//!   encoding (WKB, or one of GeoArrow's native encodings: `geoarrow`) and its CRS as
//!   PROJJSON, of which the authority's code is taken (`EPSG:4548`); no `crs` key means
//!   OGC:CRS84 by the specification, a `null` one an unknown CRS;
//! - without that metadata, a column of Parquet's own GEOMETRY (or GEOGRAPHY) logical type,
//!   which holds WKB and carries its CRS in the type: nothing means OGC:CRS84, `srid:N`
//!   EPSG's code N, `projjson:KEY` the PROJJSON in the file's metadata under KEY, else
//!   PROJJSON or an `AUTHORITY:code` inline. A GEOGRAPHY's edges are spherical arcs; its
//!   vertices are read as they are, and an edge taken straight in longitude/latitude
//!   differs from the arc by some 0.3 m on 5 km at 32°N;
//! - a Parquet file with neither is refused, saying why;
//! - the other top-level columns as properties (`cells`), by their logical types: text,
//!   numbers, booleans, dates (`2024-03-05`), timestamps, decimals, JSON. Nested columns
//!   (lists, structs such as GeoParquet 1.1's `bbox` covering) hold nothing a ledger
//!   field reads.
//!
//! The file is read from disk as its footer and column chunks are needed, never held
//! whole; a thread of its own reads its rows about 16,384 at a
//! time (a row group's columns in step), one part ahead of the per-feature pass, so a
//! file's rows are never all held at once, whatever its row groups (GeoArrow's nested
//! encodings are read a row group at a time). Each row group stands alone (the footer says where each of its columns is), so one that cannot be
//! read loses its own rows only: they are reported, the other groups are kept. The
//! crate's decoders can panic on some damaged bytes (a slice shorter than a value's
//! width): such a panic is caught and reported like any damage, so a damaged ledger never
//! brings down a server or a load.

mod cells;
mod geoarrow;

use std::path::Path;

use parquet::basic::LogicalType;
use parquet::column::reader::ColumnReader;
use parquet::file::metadata::KeyValue;
use parquet::file::reader::{FileReader, SerializedFileReader};

use self::cells::{Kind, kind_of, read_all, values};
use self::geoarrow::{Native, Shape};
use super::LoadError;
use super::geom::GeomInput;
use super::report::Position;
use super::rows::geom_input;

type Value = super::fields::Value<'static>;

/// A column the reader keeps: its index in the schema and how it reads.
struct Col {
    index: usize,
    kind: Kind,
}

/// How a file's geometries are stored.
enum Encoding {
    /// WKB in this top-level column.
    Wkb(usize),
    /// GeoArrow's nested coordinates.
    Native(Native),
}

/// A GeoParquet file open for reading: its columns and CRS; its rows come in parts
/// ([`Groups::next_part`]).
pub(crate) struct Groups {
    /// Column names, in the file's order (the geometry column left out).
    pub names: Vec<String>,
    /// The file's own CRS and what gave it; `None` when the file names none.
    pub crs: Option<(String, &'static str)>,
    rows: u64,
    /// What the reading thread takes at the first part.
    source: Option<Source>,
    parts: Option<std::sync::mpsc::Receiver<Part>>,
    /// Rows received so far (read or lost), and whether the last part came.
    seen: u64,
    ended: bool,
}

/// What the reading thread reads from.
struct Source {
    reader: SerializedFileReader<std::fs::File>,
    encoding: Encoding,
    cols: Vec<Col>,
    /// Rows of each group, and the number of each group's first row.
    sizes: Vec<u64>,
    firsts: Vec<u64>,
    /// Rows a part holds ([`SLICE`]).
    slice: usize,
}

/// Rows read together, in file order, and the ranges that could not be read (where each
/// starts, how many rows, why).
#[derive(Default)]
pub(crate) struct Part {
    pub rows: Vec<Row>,
    pub lost: Vec<(Position, u64, String)>,
    /// The file's last part.
    pub last: bool,
}

/// Rows a part holds (a row group's columns are read this many rows at a time): a file
/// of one row group, pyarrow's default up to about a million rows, is not held whole.
const SLICE: usize = super::features::PART;

/// Opens a GeoParquet file: its footer and `geo` metadata are read, its rows are not.
pub(crate) fn open(path: &Path, file: &str) -> Result<Groups, LoadError> {
    let broken_file = |message: String| LoadError::GeoParquet {
        file: file.to_string(),
        row: None,
        message,
    };
    let f = std::fs::File::open(path).map_err(|source| LoadError::Io {
        file: file.to_string(),
        source,
    })?;
    let reader =
        guarded(|| SerializedFileReader::new(f).map_err(|e| e.to_string())).map_err(broken_file)?;
    let meta = reader.metadata().file_metadata();
    let schema = meta.schema_descr();
    let kv = meta.key_value_metadata().map(Vec::as_slice).unwrap_or(&[]);
    let geo = kv
        .iter()
        .find(|k| k.key == "geo")
        .and_then(|k| k.value.as_deref());
    let top_level = |name: &str| {
        schema
            .columns()
            .iter()
            .position(|c| c.path().parts().len() == 1 && c.name() == name)
    };
    let (encoding, crs, holder) = if let Some(geo) = geo {
        let g = from_geo_metadata(geo).map_err(broken_file)?;
        let encoding = match g.shape {
            Some(shape) => {
                Encoding::Native(Native::locate(schema, &g.column, shape).map_err(broken_file)?)
            }
            None => Encoding::Wkb(top_level(&g.column).ok_or_else(|| {
                broken_file(format!(
                    "the geometry column {:?} named in its 'geo' metadata is not a top-level \
                     column",
                    g.column
                ))
            })?),
        };
        (encoding, g.crs, "GeoParquet metadata")
    } else {
        let native = schema.columns().iter().enumerate().find_map(|(i, c)| {
            let crs = match c.logical_type_ref() {
                Some(LogicalType::Geometry(t)) => t.crs.as_deref(),
                Some(LogicalType::Geography(t)) => t.crs.as_deref(),
                _ => return None,
            };
            (c.path().parts().len() == 1).then_some((i, crs))
        });
        let Some((index, crs)) = native else {
            return Err(broken_file(
                "it is a Parquet file without GeoParquet 'geo' metadata or a column of \
                 Parquet's GEOMETRY type, so no column is known to hold the geometry"
                    .into(),
            ));
        };
        let crs = crs_of_geometry_type(crs, kv).map_err(broken_file)?;
        (Encoding::Wkb(index), Some(crs), "Parquet GEOMETRY type")
    };
    let mut names = Vec::new();
    let mut cols = Vec::new();
    for (index, c) in schema.columns().iter().enumerate() {
        let geometry = matches!(encoding, Encoding::Wkb(g) if g == index);
        if geometry || c.path().parts().len() != 1 || c.max_rep_level() > 0 {
            continue;
        }
        names.push(c.name().to_string());
        cols.push(Col {
            index,
            kind: kind_of(c),
        });
    }
    let groups = reader.metadata().num_row_groups();
    let sizes: Vec<u64> = (0..groups)
        .map(|g| reader.metadata().row_group(g).num_rows().max(0) as u64)
        .collect();
    let firsts: Vec<u64> = sizes
        .iter()
        .scan(0u64, |at, n| {
            let first = *at;
            *at = at.saturating_add(*n);
            Some(first)
        })
        .collect();
    Ok(Groups {
        names,
        crs: crs.map(|c| (c, holder)),
        rows: sizes.iter().fold(0u64, |a, n| a.saturating_add(*n)),
        source: Some(Source {
            reader,
            encoding,
            cols,
            sizes,
            firsts,
            slice: SLICE,
        }),
        parts: None,
        seen: 0,
        ended: false,
    })
}

impl Groups {
    /// Rows the footer counts.
    pub(crate) fn rows(&self) -> u64 {
        self.rows
    }

    /// The next rows, about [`SLICE`] of them; `None` after the last. A thread of its own
    /// reads the file, one part ahead of the caller, so that reading the next part and
    /// turning this one into features go on side by side.
    /// A reading that stops before its last part (a thread that could not start, or
    /// one that ended on something `guarded` did not catch) loses the rows not received,
    /// reported as such, never silently.
    pub(crate) fn next_part(&mut self) -> Option<Part> {
        if self.ended {
            return None;
        }
        if let Some(source) = self.source.take() {
            let (tx, rx) = std::sync::mpsc::sync_channel(1);
            let started = std::thread::Builder::new()
                .name("geoparquet".into())
                .spawn(move || source.produce(&tx));
            if started.is_ok() {
                self.parts = Some(rx);
            }
        }
        let part = match self.parts.as_ref().map(std::sync::mpsc::Receiver::recv) {
            Some(Ok(p)) => p,
            _ => {
                let left = self.rows.saturating_sub(self.seen);
                let why = "the reading of the file stopped before its end";
                Part {
                    rows: Vec::new(),
                    lost: (left > 0)
                        .then(|| {
                            let message = format!(
                                "{why}: rows {} to {} ({left}) are left out",
                                self.seen,
                                self.rows - 1
                            );
                            (Position::Feature(self.seen), left, message)
                        })
                        .into_iter()
                        .collect(),
                    last: true,
                }
            }
        };
        let got = part.rows.len() as u64 + part.lost.iter().map(|l| l.1).sum::<u64>();
        self.seen = self.seen.saturating_add(got);
        self.ended = part.last;
        Some(part)
    }
}

impl Source {
    /// Sends the file's rows part by part; stops when the receiver is gone. Each row
    /// group stands alone, so one that cannot be read loses only its rows from where it
    /// broke off.
    fn produce(self, tx: &std::sync::mpsc::SyncSender<Part>) {
        let mut part = Part::default();
        for (g, (&first, &size)) in self.firsts.iter().zip(&self.sizes).enumerate() {
            let n = usize::try_from(size).unwrap_or(usize::MAX);
            let mut done = 0usize;
            let read = guarded(|| {
                let rg = self.reader.get_row_group(g).map_err(|e| e.to_string())?;
                if let Encoding::Native(native) = &self.encoding {
                    // Nested coordinate columns: the group whole.
                    let mut columns = Vec::with_capacity(self.cols.len());
                    for c in &self.cols {
                        let (mut r, max_def) = column(rg.as_ref(), c.index)?;
                        columns.push(values(&mut r, n, max_def, c.kind)?);
                    }
                    part.rows
                        .extend(rows(first, native.read(rg.as_ref(), n)?, columns));
                    done = n;
                    return Ok(true);
                }
                let Encoding::Wkb(geom_index) = self.encoding else {
                    return Ok(true);
                };
                let mut readers = Vec::with_capacity(self.cols.len());
                for c in &self.cols {
                    let (r, max_def) = column(rg.as_ref(), c.index)?;
                    readers.push((r, max_def, c.kind));
                }
                let (mut geom, geom_def) = column(rg.as_ref(), geom_index)?;
                while done < n {
                    let k = self.slice.min(n - done);
                    let mut columns = Vec::with_capacity(readers.len());
                    for (r, max_def, kind) in &mut readers {
                        columns.push(values(r, k, *max_def, *kind)?);
                    }
                    let geoms = wkb(&mut geom, k, geom_def)?;
                    part.rows.extend(rows(first + done as u64, geoms, columns));
                    done += k;
                    if part.rows.len() >= self.slice && tx.send(std::mem::take(&mut part)).is_err()
                    {
                        return Ok(false);
                    }
                }
                Ok(true)
            });
            match read {
                Ok(true) => {}
                Ok(false) => return,
                Err(why) => {
                    let (i, left) = (first + done as u64, size - done as u64);
                    let last = (first + size).saturating_sub(1);
                    part.lost.push((
                        Position::Feature(i),
                        left,
                        if done == 0 {
                            format!(
                                "row group {g} (rows {i} to {last}) cannot be read ({why}): the \
                                 file is corrupt there; its {left} row(s) are left out, the \
                                 other row groups were read"
                            )
                        } else {
                            format!(
                                "row group {g} cannot be read from row {i} on ({why}): the \
                                 file is corrupt there; its rows {i} to {last} ({left}) are left \
                                 out, the rows before them and the other row groups were read"
                            )
                        },
                    ));
                }
            }
            if part.rows.len() >= self.slice && tx.send(std::mem::take(&mut part)).is_err() {
                return;
            }
        }
        part.last = true;
        let _ = tx.send(part);
    }
}

/// A column's reader in a row group, and its greatest definition level.
fn column(
    rg: &dyn parquet::file::reader::RowGroupReader,
    index: usize,
) -> Result<(ColumnReader, i16), String> {
    let r = rg.get_column_reader(index).map_err(|e| e.to_string())?;
    Ok((
        r,
        rg.metadata().column(index).column_descr().max_def_level(),
    ))
}

/// The next `n` geometries of a WKB column.
fn wkb(r: &mut ColumnReader, n: usize, max_def: i16) -> Result<Vec<GeomInput>, String> {
    let ColumnReader::ByteArrayColumnReader(r) = r else {
        return Err("the geometry column does not hold binary values (WKB)".into());
    };
    let (vals, present) = read_all(r, n, max_def)?;
    let mut vals = vals.into_iter();
    Ok(present
        .into_iter()
        .map(|p| match p.then(|| vals.next()).flatten() {
            Some(b) => match crate::store::wkb::decode_wkb(b.data()) {
                Ok(g) => geom_input(g),
                Err(e) => GeomInput::Invalid(format!("the WKB cannot be read: {e}")),
            },
            None => GeomInput::Missing,
        })
        .collect())
}

/// The CRS a GEOMETRY or GEOGRAPHY logical type gives (Parquet's Geospatial
/// specification): none is OGC:CRS84; `srid:N` is taken as EPSG's N, as the databases
/// and GDAL that write it number them; `projjson:KEY` is PROJJSON in the file's key-value
/// metadata; anything else is PROJJSON or an identifier such as `EPSG:4490` inline.
fn crs_of_geometry_type(crs: Option<&str>, kv: &[KeyValue]) -> Result<String, String> {
    let Some(crs) = crs.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok("OGC:CRS84".into());
    };
    let unusable = || {
        format!(
            "its GEOMETRY column's CRS {:?} has no authority code: give crs in riskmap.toml",
            crs.chars().take(80).collect::<String>()
        )
    };
    if let Some(code) = crs.strip_prefix("srid:") {
        return code
            .parse::<u32>()
            .map(|c| format!("EPSG:{c}"))
            .map_err(|_| unusable());
    }
    let text = match crs.strip_prefix("projjson:") {
        Some(key) => kv
            .iter()
            .find(|k| k.key == key)
            .and_then(|k| k.value.as_deref())
            .ok_or_else(|| {
                format!("its GEOMETRY column's CRS is the metadata key {key:?}, which the file does not have")
            })?,
        None if !crs.starts_with('{') => return Ok(crs.to_string()),
        None => crs,
    };
    serde_json::from_str(text)
        .ok()
        .and_then(|p| crs_of_projjson(&p))
        .ok_or_else(unusable)
}

type Row = (Position, GeomInput, Vec<Value>);

/// Runs a step of the Parquet crate, a panic in it turned into an error.
fn guarded<T>(step: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(step)).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(format!(
            "the Parquet decoder stopped on damaged data: {what}"
        ))
    })
}

/// The primary geometry column, its native shape (`None`: WKB) and its CRS (`None`: the
/// file does not say).
struct GeomColumn {
    column: String,
    shape: Option<Shape>,
    crs: Option<String>,
}

/// The geometry column from the `geo` metadata.
fn from_geo_metadata(text: &str) -> Result<GeomColumn, String> {
    let bad = |why: &str| format!("its GeoParquet 'geo' metadata {why}");
    let geo: serde_json::Value =
        serde_json::from_str(text).map_err(|e| bad(&format!("is not JSON ({e})")))?;
    let column = geo
        .get("primary_column")
        .and_then(|c| c.as_str())
        .ok_or_else(|| bad("names no primary_column"))?;
    let spec = geo
        .get("columns")
        .and_then(|c| c.get(column))
        .ok_or_else(|| bad(&format!("does not describe its primary column {column:?}")))?;
    let encoding = spec.get("encoding").and_then(|e| e.as_str()).unwrap_or("");
    let shape = Shape::of_encoding(encoding);
    if shape.is_none() && !encoding.eq_ignore_ascii_case("wkb") {
        return Err(format!(
            "its geometry column {column:?} is encoded as {encoding:?}, which is neither WKB \
             nor one of GeoArrow's native encodings (point, linestring, polygon, multipoint, \
             multilinestring, multipolygon)"
        ));
    }
    let crs = match spec.get("crs") {
        // No key: OGC:CRS84 by the specification.
        None => Some("OGC:CRS84".to_string()),
        Some(serde_json::Value::Null) => None,
        Some(projjson) => Some(crs_of_projjson(projjson).ok_or_else(|| {
            bad(&format!(
                "gives column {column:?} a CRS without an authority code: give crs in riskmap.toml"
            ))
        })?),
    };
    Ok(GeomColumn {
        column: column.to_string(),
        shape,
        crs,
    })
}

/// `AUTHORITY:code` of a PROJJSON CRS (its `id`, or the first of its `ids`).
fn crs_of_projjson(p: &serde_json::Value) -> Option<String> {
    if let Some(s) = p.as_str() {
        return Some(s.to_string());
    }
    let id = p
        .get("id")
        .or_else(|| p.get("ids").and_then(|ids| ids.get(0)))?;
    let authority = id.get("authority")?.as_str()?;
    let code = match id.get("code")? {
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::String(s) => s.clone(),
        _ => return None,
    };
    Some(format!("{authority}:{code}"))
}

/// A row group's geometries and columns as rows, numbered from `first`.
fn rows(first: u64, geoms: Vec<GeomInput>, columns: Vec<Vec<Value>>) -> Vec<Row> {
    let mut columns: Vec<_> = columns.into_iter().map(Vec::into_iter).collect();
    geoms
        .into_iter()
        .enumerate()
        .map(|(r, geom)| {
            let values = columns
                .iter_mut()
                .map(|c| c.next().unwrap_or(Value::Null))
                .collect();
            (Position::Feature(first + r as u64), geom, values)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A GeoParquet file of one row group of `n` points (WKB), with a `name` column null
    /// on every seventh row, written by the parquet crate's own writer.
    fn one_group_file(path: &Path, n: usize) {
        use parquet::data_type::{ByteArray, ByteArrayType};
        use parquet::file::properties::WriterProperties;
        use parquet::file::writer::SerializedFileWriter;
        use parquet::schema::parser::parse_message_type;
        let schema = parse_message_type(
            "message houses { required binary id (STRING); optional binary name (STRING);
             required binary geometry; }",
        )
        .expect("schema");
        let props = WriterProperties::builder()
            .set_key_value_metadata(Some(vec![KeyValue::new(
                "geo".into(),
                r#"{"version":"1.1.0","primary_column":"geometry","columns":{"geometry":{"encoding":"WKB"}}}"#
                    .to_string(),
            )]))
            // Several pages a column: slices end inside pages and across them.
            .set_data_page_row_count_limit(300)
            .set_write_batch_size(300)
            .build();
        let file = std::fs::File::create(path).expect("file");
        let mut w = SerializedFileWriter::new(file, schema.into(), props.into()).expect("writer");
        let mut rg = w.next_row_group().expect("group");
        let ids: Vec<ByteArray> = (0..n).map(|i| format!("h{i}").as_str().into()).collect();
        let names: Vec<ByteArray> = (0..n)
            .filter(|i| i % 7 != 0)
            .map(|i| format!("房屋{i}").as_str().into())
            .collect();
        let defs: Vec<i16> = (0..n).map(|i| i16::from(i % 7 != 0)).collect();
        let points: Vec<ByteArray> = (0..n)
            .map(|i| {
                let mut b = vec![1u8, 1, 0, 0, 0];
                b.extend_from_slice(&(121.0 + i as f64 * 1e-5).to_le_bytes());
                b.extend_from_slice(&(31.9_f64).to_le_bytes());
                ByteArray::from(b)
            })
            .collect();
        for (vals, defs) in [(&ids, None), (&names, Some(&defs[..])), (&points, None)] {
            let mut c = rg.next_column().expect("column").expect("a column");
            c.typed::<ByteArrayType>()
                .write_batch(vals, defs, None)
                .expect("written");
            c.close().expect("closed");
        }
        rg.close().expect("group closed");
        w.close().expect("file closed");
    }

    fn read_with(path: &Path, slice: usize) -> (Vec<usize>, Vec<String>) {
        let mut g = open(path, "houses.parquet").expect("opens");
        if let Some(s) = &mut g.source {
            s.slice = slice;
        }
        let (mut sizes, mut rows) = (Vec::new(), Vec::new());
        while let Some(p) = g.next_part() {
            assert!(p.lost.is_empty());
            sizes.push(p.rows.len());
            rows.extend(p.rows.iter().map(|r| format!("{r:?}")));
        }
        (sizes, rows)
    }

    #[test]
    fn a_row_group_is_read_in_slices_that_make_the_same_rows() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("houses.parquet");
        one_group_file(&path, 2_500);
        let (whole_sizes, whole) = read_with(&path, SLICE);
        assert_eq!(whole_sizes, [2_500]);
        let (sizes, sliced) = read_with(&path, 1_000);
        assert_eq!(sizes, [1_000, 1_000, 500]);
        assert_eq!(sliced, whole);
        // By hand: row 1,002 (0-based, in the second slice) has its name; row 1,001 =
        // 7 × 143 has none; the x of row 1,002 is 121 + 1,002 × 1e-5.
        assert!(
            whole[1_002].contains("h1002") && whole[1_002].contains("房屋1002"),
            "{}",
            whole[1_002]
        );
        assert!(whole[1_002].contains("121.01002"), "{}", whole[1_002]);
        assert!(
            whole[1_001].contains("h1001") && whole[1_001].ends_with("Null])"),
            "{}",
            whole[1_001]
        );
    }

    #[test]
    fn projjson_gives_its_authority_code() {
        let p: serde_json::Value = serde_json::from_str(
            r#"{"type":"ProjectedCRS","name":"CGCS2000 / 3-degree Gauss-Kruger CM 120E","id":{"authority":"EPSG","code":4549}}"#,
        )
        .expect("json");
        assert_eq!(crs_of_projjson(&p).as_deref(), Some("EPSG:4549"));
        let p: serde_json::Value =
            serde_json::from_str(r#"{"type":"GeographicCRS","name":"x"}"#).expect("json");
        assert_eq!(crs_of_projjson(&p), None);
        let m = from_geo_metadata(
            r#"{"version":"1.1.0","primary_column":"geometry","columns":{"geometry":{"encoding":"point"}}}"#,
        )
        .expect("reads");
        assert_eq!(m.shape, Some(Shape::Point));
        let m = from_geo_metadata(
            r#"{"version":"1.1.0","primary_column":"geometry","columns":{"geometry":{"encoding":"WKT"}}}"#,
        );
        assert!(matches!(m, Err(e) if e.contains("\"WKT\"")));
        let m = from_geo_metadata(
            r#"{"version":"1.0.0","primary_column":"geom","columns":{"geom":{"encoding":"WKB"}}}"#,
        )
        .expect("reads");
        assert_eq!(m.crs.as_deref(), Some("OGC:CRS84"));
        let m = from_geo_metadata(
            r#"{"version":"1.0.0","primary_column":"geom","columns":{"geom":{"encoding":"WKB","crs":null}}}"#,
        )
        .expect("reads");
        assert_eq!(m.crs, None);
    }
}
