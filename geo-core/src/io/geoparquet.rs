//! GeoParquet reader (.parquet).
//!
//! Pages, encodings and compression are the Parquet format's reference Rust crate's
//! (`parquet`, Apache Arrow's, through its column readers without Arrow); what a
//! GeoParquet file adds is read here:
//! - the file's `geo` metadata (GeoParquet 1.0 and 1.1): the primary geometry column, its
//!   encoding (WKB; the native GeoArrow encodings are refused by name) and its CRS as
//!   PROJJSON, of which the authority's code is taken (`EPSG:4548`); no `crs` key means
//!   OGC:CRS84 by the specification, a `null` one an unknown CRS;
//! - a Parquet file without that metadata is refused, saying why (also one whose geometry
//!   is Parquet's own GEOMETRY logical type, new in the format and not read yet);
//! - the other top-level columns as properties, by their logical types: text, numbers,
//!   booleans, dates (`2024-03-05`), timestamps, decimals, JSON. Nested columns (lists,
//!   structs such as GeoParquet 1.1's `bbox` covering) hold nothing a ledger field reads.
//!
//! The file is read into memory and its row groups are read in parallel. A row group that
//! cannot be read ends the file there: the rows of the groups before it are kept and the
//! break is reported. The crate's decoders can panic on some damaged bytes (a slice
//! shorter than a value's width): such a panic is caught and reported like any damage,
//! so a damaged ledger never brings down a server or a load.

use std::borrow::Cow;
use std::path::Path;

use parquet::basic::{ConvertedType, LogicalType, TimeUnit, Type as Physical};
use parquet::column::reader::{ColumnReader, ColumnReaderImpl};
use parquet::data_type::DataType;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::schema::types::ColumnDescriptor;
use rayon::prelude::*;

use super::LoadError;
use super::geom::GeomInput;
use super::read::ColumnFile;
use super::report::Position;
use super::rows::geom_input;
use crate::model::Day;

type Value = super::fields::Value<'static>;

/// How a column's values read, from its logical (or legacy converted) type.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Plain,
    Text,
    Json,
    Binary,
    Date,
    /// Fixed-point with this many decimal digits after the point.
    Decimal(i32),
    /// Units per second (1e3, 1e6, 1e9) and whether the instant is UTC.
    Timestamp(i64, bool),
    Uuid,
}

/// A column the reader keeps: its index in the schema and how it reads.
struct Col {
    index: usize,
    kind: Kind,
}

/// Reads a GeoParquet file.
pub(crate) fn read(path: &Path, file: &str) -> Result<ColumnFile, LoadError> {
    let broken_file = |row: Option<u64>, message: String| LoadError::GeoParquet {
        file: file.to_string(),
        row,
        message,
    };
    let bytes = std::fs::read(path).map_err(|source| LoadError::Io {
        file: file.to_string(),
        source,
    })?;
    let reader =
        guarded(|| SerializedFileReader::new(bytes::Bytes::from(bytes)).map_err(|e| e.to_string()))
            .map_err(|m| broken_file(None, m))?;
    let meta = reader.metadata().file_metadata();
    let schema = meta.schema_descr();
    let geo = meta
        .key_value_metadata()
        .and_then(|kv| kv.iter().find(|k| k.key == "geo"))
        .and_then(|k| k.value.as_deref());
    let Some(geo) = geo else {
        let native = schema.columns().iter().any(|c| {
            matches!(
                c.logical_type_ref(),
                Some(LogicalType::Geometry(_) | LogicalType::Geography(_))
            )
        });
        return Err(broken_file(
            None,
            if native {
                "its geometry is Parquet's own GEOMETRY type without GeoParquet 'geo' metadata, \
                 which RiskMap does not read yet: write the file as GeoParquet (GDAL, GeoPandas)"
            } else {
                "it is a Parquet file without GeoParquet 'geo' metadata, so no column is \
                 known to hold the geometry"
            }
            .into(),
        ));
    };
    let geometry = from_geo_metadata(geo).map_err(|m| broken_file(None, m))?;
    let crs = geometry.crs.clone();
    let geom_index = schema
        .columns()
        .iter()
        .position(|c| c.path().parts().len() == 1 && c.name() == geometry.column)
        .ok_or_else(|| {
            broken_file(
                None,
                format!(
                    "the geometry column {:?} named in its 'geo' metadata is not a top-level column",
                    geometry.column
                ),
            )
        })?;
    let mut names = Vec::new();
    let mut cols = Vec::new();
    for (index, c) in schema.columns().iter().enumerate() {
        if index == geom_index || c.path().parts().len() != 1 || c.max_rep_level() > 0 {
            continue;
        }
        names.push(c.name().to_string());
        cols.push(Col {
            index,
            kind: kind_of(c),
        });
    }
    let groups = reader.metadata().num_row_groups();
    let firsts: Vec<u64> = (0..groups)
        .scan(0u64, |at, g| {
            let first = *at;
            *at += reader.metadata().row_group(g).num_rows().max(0) as u64;
            Some(first)
        })
        .collect();
    let read: Vec<Result<Vec<Row>, String>> = (0..groups)
        .into_par_iter()
        .map(|g| guarded(|| read_group(&reader, g, firsts[g], geom_index, &cols)))
        .collect();
    let mut rows = Vec::with_capacity(meta.num_rows().clamp(0, 1 << 26) as usize);
    let mut broken = None;
    for (g, r) in read.into_iter().enumerate() {
        match r {
            Ok(mut group) => rows.append(&mut group),
            Err(why) => {
                let i = firsts[g];
                broken = Some((
                    Position::Feature(i),
                    format!(
                        "row group {g} (from row {i}) cannot be read ({why}): the file is cut \
                         short or corrupt here; the {i} row(s) before were kept, the rest \
                         cannot be read"
                    ),
                ));
                break;
            }
        }
    }
    let crs = crs.map(|c| (c, "GeoParquet metadata"));
    Ok(ColumnFile {
        names,
        rows,
        crs,
        broken,
    })
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

/// The primary geometry column and its CRS (`None`: the file does not say).
struct GeomColumn {
    column: String,
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
    if !encoding.eq_ignore_ascii_case("wkb") {
        return Err(format!(
            "its geometry column {column:?} is encoded as {encoding:?}; RiskMap reads the WKB \
             encoding (write the file with GEOMETRY_ENCODING=WKB, the writers' default)"
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

fn kind_of(c: &ColumnDescriptor) -> Kind {
    let unit = |u: &TimeUnit| match u {
        TimeUnit::MILLIS => 1_000,
        TimeUnit::MICROS => 1_000_000,
        TimeUnit::NANOS => 1_000_000_000,
    };
    match c.logical_type_ref() {
        Some(LogicalType::String | LogicalType::Enum) => return Kind::Text,
        Some(LogicalType::Json) => return Kind::Json,
        Some(LogicalType::Date) => return Kind::Date,
        Some(LogicalType::Decimal(d)) => return Kind::Decimal(d.scale),
        Some(LogicalType::Timestamp(t)) => {
            return Kind::Timestamp(unit(&t.unit), t.is_adjusted_to_u_t_c);
        }
        Some(LogicalType::Uuid) => return Kind::Uuid,
        _ => {}
    }
    match c.converted_type() {
        ConvertedType::UTF8 | ConvertedType::ENUM => Kind::Text,
        ConvertedType::JSON => Kind::Json,
        ConvertedType::DATE => Kind::Date,
        ConvertedType::DECIMAL => Kind::Decimal(c.type_scale()),
        ConvertedType::TIMESTAMP_MILLIS => Kind::Timestamp(1_000, true),
        ConvertedType::TIMESTAMP_MICROS => Kind::Timestamp(1_000_000, true),
        _ if matches!(
            c.physical_type(),
            Physical::BYTE_ARRAY | Physical::FIXED_LEN_BYTE_ARRAY
        ) =>
        {
            Kind::Binary
        }
        _ => Kind::Plain,
    }
}

/// Reads one row group: its geometries and the kept columns' values, row by row.
fn read_group(
    reader: &SerializedFileReader<bytes::Bytes>,
    g: usize,
    first: u64,
    geom_index: usize,
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
    let mut columns: Vec<_> = columns.into_iter().map(Vec::into_iter).collect();
    Ok(geoms
        .into_iter()
        .enumerate()
        .map(|(r, geom)| {
            let values = columns
                .iter_mut()
                .map(|c| c.next().unwrap_or(Value::Null))
                .collect();
            (Position::Feature(first + r as u64), geom, values)
        })
        .collect())
}

/// All `n` records of a flat column: the non-null values, and for each row whether it
/// has one.
fn read_all<T: DataType>(
    r: &mut ColumnReaderImpl<T>,
    n: usize,
    max_def: i16,
) -> Result<(Vec<T::T>, Vec<bool>), String> {
    let mut vals = Vec::with_capacity(n);
    let mut defs = Vec::with_capacity(if max_def > 0 { n } else { 0 });
    let mut got = 0;
    while got < n {
        let (records, _, _) = r
            .read_records(n - got, (max_def > 0).then_some(&mut defs), None, &mut vals)
            .map_err(|e| e.to_string())?;
        if records == 0 {
            return Err(format!("the column ends after {got} of {n} rows"));
        }
        got += records;
    }
    let present = if max_def > 0 {
        defs.iter().map(|&d| d == max_def).collect()
    } else {
        vec![true; n]
    };
    if present.len() != n || present.iter().filter(|&&p| p).count() != vals.len() {
        return Err("the column's levels and values disagree".into());
    }
    Ok((vals, present))
}

/// A column's values as properties, `Null` where the row has none.
fn values(r: ColumnReader, n: usize, max_def: i16, kind: Kind) -> Result<Vec<Value>, String> {
    fn spread<T, F: FnMut(T) -> Result<Value, String>>(
        (vals, present): (Vec<T>, Vec<bool>),
        mut f: F,
    ) -> Result<Vec<Value>, String> {
        let mut vals = vals.into_iter();
        present
            .into_iter()
            .map(|p| match p.then(|| vals.next()).flatten() {
                Some(v) => f(v),
                None => Ok(Value::Null),
            })
            .collect()
    }
    match r {
        ColumnReader::BoolColumnReader(mut r) => {
            spread(read_all(&mut r, n, max_def)?, |v| Ok(Value::Bool(v)))
        }
        ColumnReader::Int32ColumnReader(mut r) => spread(read_all(&mut r, n, max_def)?, |v| {
            Ok(integer(i128::from(v), kind))
        }),
        ColumnReader::Int64ColumnReader(mut r) => spread(read_all(&mut r, n, max_def)?, |v| {
            Ok(integer(i128::from(v), kind))
        }),
        ColumnReader::Int96ColumnReader(mut r) => spread(read_all(&mut r, n, max_def)?, |v| {
            Ok(Value::Str(Cow::Owned(timestamp(
                i128::from(v.to_nanos()),
                1_000_000_000,
                false,
            ))))
        }),
        ColumnReader::FloatColumnReader(mut r) => spread(read_all(&mut r, n, max_def)?, |v| {
            Ok(Value::Num(f64::from(v)))
        }),
        ColumnReader::DoubleColumnReader(mut r) => {
            spread(read_all(&mut r, n, max_def)?, |v| Ok(Value::Num(v)))
        }
        ColumnReader::ByteArrayColumnReader(mut r) => {
            spread(read_all(&mut r, n, max_def)?, |v| bytes(v.data(), kind))
        }
        ColumnReader::FixedLenByteArrayColumnReader(mut r) => {
            spread(read_all(&mut r, n, max_def)?, |v| bytes(v.data(), kind))
        }
    }
}

/// An integer cell: a date, a timestamp, a decimal or a plain number.
fn integer(v: i128, kind: Kind) -> Value {
    match kind {
        Kind::Date => Value::Str(Cow::Owned(epoch().plus_days(v as i64).to_string())),
        Kind::Timestamp(per_second, utc) => Value::Str(Cow::Owned(timestamp(v, per_second, utc))),
        Kind::Decimal(scale) if scale > 0 => Value::Num(v as f64 / 10f64.powi(scale)),
        _ => wide(v),
    }
}

/// A binary cell: text, JSON, a big-endian decimal, a UUID; other binary holds nothing a
/// ledger reads.
fn bytes(b: &[u8], kind: Kind) -> Result<Value, String> {
    Ok(match kind {
        Kind::Text | Kind::Json | Kind::Plain => {
            let text = std::str::from_utf8(b).map_err(|_| "text that is not UTF-8".to_string())?;
            if kind == Kind::Json
                && let Ok(j) = serde_json::from_str(text)
            {
                Value::Json(j)
            } else {
                Value::Str(Cow::Owned(text.to_string()))
            }
        }
        Kind::Decimal(scale) if !b.is_empty() && b.len() <= 16 => {
            // Big-endian two's complement, sign-extended to 128 bits.
            let fill = if b[0] & 0x80 != 0 { 0xff } else { 0 };
            let mut a = [fill; 16];
            a[16 - b.len()..].copy_from_slice(b);
            let v = i128::from_be_bytes(a);
            if scale > 0 {
                Value::Num(v as f64 / 10f64.powi(scale))
            } else {
                wide(v)
            }
        }
        Kind::Uuid if b.len() == 16 => {
            let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
            Value::Str(Cow::Owned(format!(
                "{}-{}-{}-{}-{}",
                &h[..8],
                &h[8..12],
                &h[12..16],
                &h[16..20],
                &h[20..]
            )))
        }
        _ => Value::Null,
    })
}

fn epoch() -> Day {
    Day::new(1970, 1, 1).unwrap_or_else(|| unreachable!("1970-01-01 is a day"))
}

/// `2024-03-05T08:30:00` (with `.fff…` when not whole seconds, `Z` when UTC) of `v` units
/// since 1970, `per_second` units a second.
fn timestamp(v: i128, per_second: i64, utc: bool) -> String {
    let per_second = i128::from(per_second.max(1));
    let secs = v.div_euclid(per_second);
    let frac = v.rem_euclid(per_second);
    let days = secs.div_euclid(86_400);
    let s = secs.rem_euclid(86_400);
    let day = epoch().plus_days(days.clamp(-1_000_000, 1_000_000) as i64);
    let mut out = format!("{day}T{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
    if frac != 0 {
        let digits = per_second.ilog10() as usize;
        let f = format!("{frac:0digits$}");
        out.push('.');
        out.push_str(f.trim_end_matches('0'));
    }
    if utc {
        out.push('Z');
    }
    out
}

/// An integer as a number when a double holds it exactly, else as its digits.
fn wide(n: i128) -> Value {
    const EXACT: i128 = 1 << 53;
    if (-EXACT..=EXACT).contains(&n) {
        Value::Num(n as f64)
    } else {
        Value::Str(Cow::Owned(n.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_and_dates_read_as_the_calendar_has_them() {
        // 2024-03-05 is day 19787 since 1970-01-01 (54 years, 13 leap days, 64 days).
        assert!(matches!(integer(19_787, Kind::Date), Value::Str(s) if s == "2024-03-05"));
        assert!(matches!(integer(-1, Kind::Date), Value::Str(s) if s == "1969-12-31"));
        // 19787 days and 08:30:15.25 in milliseconds.
        let ms = (19_787i128 * 86_400 + 8 * 3600 + 30 * 60 + 15) * 1000 + 250;
        assert_eq!(timestamp(ms, 1_000, true), "2024-03-05T08:30:15.25Z");
        assert_eq!(
            timestamp(ms * 1000, 1_000_000, false),
            "2024-03-05T08:30:15.25"
        );
        // Before 1970: one second before midnight.
        assert_eq!(timestamp(-1, 1, false), "1969-12-31T23:59:59");
    }

    #[test]
    fn decimals_and_wide_integers_keep_their_value() {
        // 12345 with scale 2 is 123.45; as big-endian bytes 0x3039.
        assert!(
            matches!(integer(12_345, Kind::Decimal(2)), Value::Num(v) if (v - 123.45).abs() < 1e-12)
        );
        assert!(
            matches!(bytes(&[0x30, 0x39], Kind::Decimal(2)), Ok(Value::Num(v)) if (v - 123.45).abs() < 1e-12)
        );
        // -2 as one byte 0xfe, scale 0.
        assert!(matches!(bytes(&[0xfe], Kind::Decimal(0)), Ok(Value::Num(v)) if v == -2.0));
        // 2^60 does not fit a double's integers: its digits.
        assert!(
            matches!(integer(1 << 60, Kind::Plain), Value::Str(s) if s == "1152921504606846976")
        );
        assert!(matches!(bytes(b"\xff\xfe", Kind::Text), Err(e) if e.contains("UTF-8")));
        assert!(matches!(bytes(b"\x00\x01", Kind::Binary), Ok(Value::Null)));
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
        );
        assert!(matches!(m, Err(e) if e.contains("\"point\"")));
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
