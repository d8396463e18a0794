//! Reading a GeoPackage's ledger tables as rows for the loaders ([`crate::io::load_rows`]):
//! which feature tables hold which layer, and each row's fid, id, geometry and cells.

use std::path::Path;

use rusqlite::Connection;
use rusqlite::types::ValueRef;

use super::columns::{ColType, ID, sql_err, table_info};
use super::schema::q;
use super::{RESULT_PREFIX, StoreError, wkb};
use crate::io::{GEOMETRY_ERROR, LayerRows, Row, RowValue};
use crate::model::LayerKind;

/// The column of the time a row was last written, which is not a ledger field.
const UPDATED_AT: &str = "updated_at";

/// SRS ids whose coordinates are longitude/latitude in degrees as the loaders take them:
/// WGS 84, CGCS2000 (centimetres apart) and the GeoPackage's undefined geographic SRS.
const LON_LAT_SRS: [i64; 3] = [4326, 4490, 0];

/// The ledger tables of the file: every feature table whose name is a layer's (English or
/// Chinese, as a data folder's file names), in layer order then by name. Result tables
/// (`result_…`) and other tables are left alone.
pub(super) fn ledger_tables(
    c: &Connection,
    path: &Path,
) -> Result<Vec<(LayerKind, String)>, StoreError> {
    let sql = sql_err(path);
    let mut st = c
        .prepare("SELECT table_name FROM gpkg_contents WHERE data_type = 'features'")
        .map_err(sql)?;
    let names: Vec<String> = st
        .query_map([], |r| r.get(0))
        .map_err(sql)?
        .collect::<Result<_, _>>()
        .map_err(sql)?;
    let mut out: Vec<(LayerKind, String)> = names
        .into_iter()
        .filter(|n| !n.starts_with(RESULT_PREFIX))
        .filter_map(|n| {
            LayerKind::parse(&n)
                .filter(|k| k.is_input())
                .map(|k| (k, n))
        })
        .collect();
    let order = |k: LayerKind| LayerKind::INPUTS.iter().position(|x| *x == k);
    out.sort_by(|a, b| (order(a.0), &a.1).cmp(&(order(b.0), &b.1)));
    Ok(out)
}

/// The rows of one ledger table. `file` is the store's file name, for the report's
/// `file/table`.
pub(super) fn table_rows(
    c: &Connection,
    path: &Path,
    file: &str,
    kind: LayerKind,
    table: &str,
) -> Result<LayerRows, StoreError> {
    let sql = sql_err(path);
    let info = table_info(c, path, table)?;
    let srs: i64 = c
        .query_row(
            "SELECT srs_id FROM gpkg_geometry_columns WHERE table_name = ?",
            [table],
            |r| r.get(0),
        )
        .map_err(sql)?;
    if !LON_LAT_SRS.contains(&srs) {
        return Err(StoreError::Table {
            path: path.to_path_buf(),
            table: table.into(),
            reason: format!(
                "geometries in SRS {srs}; ledger tables hold longitude/latitude (EPSG:4326 or \
                 EPSG:4490): reproject it, e.g. ogr2ogr -t_srs EPSG:4326"
            ),
        });
    }
    let fields: Vec<(&str, ColType)> = info
        .columns
        .iter()
        .filter(|c| c.name != info.pk && c.name != info.geom)
        .filter(|c| c.name != ID && c.name != UPDATED_AT)
        .map(|c| (c.name.as_str(), c.ty))
        .collect();
    let list: String = fields.iter().map(|(n, _)| format!(", {}", q(n))).collect();
    let (pk, g) = (q(&info.pk), q(&info.geom));
    let id = if info.has_id { q(ID) } else { "NULL".into() };
    let mut st = c
        .prepare(&format!(
            "SELECT {pk}, {id}, {g}{list} FROM {} ORDER BY {pk}",
            q(table)
        ))
        .map_err(sql)?;
    let mut rs = st.query([]).map_err(sql)?;
    let mut rows = Vec::new();
    while let Some(r) = rs.next().map_err(sql)? {
        let fid: i64 = r.get(0).map_err(sql)?;
        let id = match r.get_ref(1).map_err(sql)? {
            ValueRef::Text(s) => Some(String::from_utf8_lossy(s).into_owned()),
            ValueRef::Integer(i) => Some(i.to_string()),
            ValueRef::Real(f) => Some(f.to_string()),
            ValueRef::Null | ValueRef::Blob(_) => None,
        };
        let mut cells = Vec::with_capacity(fields.len() + 1);
        let geometry = match r.get_ref(2).map_err(sql)? {
            ValueRef::Blob(b) => match wkb::decode(b) {
                Ok(g) => Some(g),
                Err(e) => {
                    cells.push((
                        GEOMETRY_ERROR.to_string(),
                        RowValue::Text(format!("the {} blob cannot be read: {e}", info.geom)),
                    ));
                    None
                }
            },
            _ => None,
        };
        for (i, (name, ty)) in fields.iter().enumerate() {
            let v = match r.get_ref(3 + i).map_err(sql)? {
                ValueRef::Null => RowValue::Null,
                ValueRef::Integer(n) if *ty == ColType::Boolean => RowValue::Bool(n != 0),
                ValueRef::Integer(n) => RowValue::Int(n),
                ValueRef::Real(f) => RowValue::Real(f),
                ValueRef::Text(s) => RowValue::Text(String::from_utf8_lossy(s).into_owned()),
                // No ledger field is binary: the loaders report the value as unreadable.
                ValueRef::Blob(b) => RowValue::Text(format!("(a BLOB of {} bytes)", b.len())),
            };
            cells.push((name.to_string(), v));
        }
        rows.push(Row {
            position: u64::try_from(fid).unwrap_or_default(),
            id,
            geometry,
            fields: cells,
        });
    }
    Ok(LayerRows {
        kind,
        name: format!("{file}/{table}"),
        rows,
    })
}
