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
//! The file is read into memory and its row groups are read a few at a time, in
//! parallel, each few turned into features before the next are read: a file's rows are
//! not all held at once (a file of one row group, pyarrow's default up to a million rows,
//! is held whole). Each row group stands alone (the footer says where each of its columns is), so one that cannot be
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
use rayon::prelude::*;

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

/// A GeoParquet file open for reading: its columns and CRS, its row groups still to read.
pub(crate) struct Groups {
    /// Column names, in the file's order (the geometry column left out).
    pub names: Vec<String>,
    /// The file's own CRS and what gave it; `None` when the file names none.
    pub crs: Option<(String, &'static str)>,
    reader: SerializedFileReader<bytes::Bytes>,
    encoding: Encoding,
    cols: Vec<Col>,
    /// Rows of each group, and the number of each group's first row.
    sizes: Vec<u64>,
    firsts: Vec<u64>,
    next: usize,
}

/// Row groups read together: their rows in file order, and those that could not be read
/// (where each starts, how many rows it held, why).
pub(crate) struct Part {
    pub rows: Vec<Row>,
    pub lost: Vec<(Position, u64, String)>,
}

/// Opens a GeoParquet file: its footer and `geo` metadata are read, its rows are not.
pub(crate) fn open(path: &Path, file: &str) -> Result<Groups, LoadError> {
    let broken_file = |message: String| LoadError::GeoParquet {
        file: file.to_string(),
        row: None,
        message,
    };
    let bytes = std::fs::read(path).map_err(|source| LoadError::Io {
        file: file.to_string(),
        source,
    })?;
    let reader =
        guarded(|| SerializedFileReader::new(bytes::Bytes::from(bytes)).map_err(|e| e.to_string()))
            .map_err(broken_file)?;
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
            *at += n;
            Some(first)
        })
        .collect();
    Ok(Groups {
        names,
        crs: crs.map(|c| (c, holder)),
        reader,
        encoding,
        cols,
        sizes,
        firsts,
        next: 0,
    })
}

impl Groups {
    /// Rows the footer counts.
    pub(crate) fn rows(&self) -> u64 {
        self.sizes.iter().sum()
    }

    /// The next row groups, as many as there are threads, read side by side; `None`
    /// after the last. Each group stands alone, so one that cannot be read loses its own
    /// rows only.
    pub(crate) fn next_part(&mut self) -> Option<Part> {
        let start = self.next;
        let end = (start + rayon::current_num_threads().max(1)).min(self.sizes.len());
        if start >= end {
            return None;
        }
        self.next = end;
        let read: Vec<Result<Vec<Row>, String>> = (start..end)
            .into_par_iter()
            .map(|g| {
                guarded(|| read_group(&self.reader, g, self.firsts[g], &self.encoding, &self.cols))
            })
            .collect();
        let mut part = Part {
            // (a damaged footer may count any number of rows)
            rows: Vec::with_capacity(
                (self.firsts[end - 1] + self.sizes[end - 1] - self.firsts[start]).min(1 << 22)
                    as usize,
            ),
            lost: Vec::new(),
        };
        for (g, r) in (start..end).zip(read) {
            match r {
                Ok(mut group) => part.rows.append(&mut group),
                Err(why) => {
                    let (i, n) = (self.firsts[g], self.sizes[g]);
                    part.lost.push((
                        Position::Feature(i),
                        n,
                        format!(
                            "row group {g} (rows {i} to {}) cannot be read ({why}): the file \
                             is corrupt there; its {n} row(s) are left out, the other row \
                             groups were read",
                            (i + n).saturating_sub(1)
                        ),
                    ));
                }
            }
        }
        Some(part)
    }
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

/// Reads one row group: its geometries and the kept columns' values, row by row.
fn read_group(
    reader: &SerializedFileReader<bytes::Bytes>,
    g: usize,
    first: u64,
    encoding: &Encoding,
    cols: &[Col],
) -> Result<Vec<Row>, String> {
    let rg = reader.get_row_group(g).map_err(|e| e.to_string())?;
    let n = usize::try_from(rg.metadata().num_rows().max(0)).map_err(|e| e.to_string())?;
    let mut columns = Vec::with_capacity(cols.len());
    for c in cols {
        let r = rg.get_column_reader(c.index).map_err(|e| e.to_string())?;
        let max_def = rg.metadata().column(c.index).column_descr().max_def_level();
        columns.push(values(r, n, max_def, c.kind)?);
    }
    let geom_index = match encoding {
        Encoding::Wkb(index) => *index,
        Encoding::Native(native) => return Ok(rows(first, native.read(rg.as_ref(), n)?, columns)),
    };
    let geoms: Vec<GeomInput> = match rg
        .get_column_reader(geom_index)
        .map_err(|e| e.to_string())?
    {
        ColumnReader::ByteArrayColumnReader(mut r) => {
            let max_def = rg
                .metadata()
                .column(geom_index)
                .column_descr()
                .max_def_level();
            let (vals, present) = read_all(&mut r, n, max_def)?;
            let mut vals = vals.into_iter();
            present
                .into_iter()
                .map(|p| match p.then(|| vals.next()).flatten() {
                    Some(b) => match crate::store::wkb::decode_wkb(b.data()) {
                        Ok(g) => geom_input(g),
                        Err(e) => GeomInput::Invalid(format!("the WKB cannot be read: {e}")),
                    },
                    None => GeomInput::Missing,
                })
                .collect()
        }
        _ => return Err("the geometry column does not hold binary values (WKB)".into()),
    };
    Ok(rows(first, geoms, columns))
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
