//! Reading a GeoPackage's ledger tables as rows for the loaders ([`crate::io::load_rows`]):
//! which feature tables hold which layer, and each row's fid, id, geometry and cells.

use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::mpsc::sync_channel;

use rusqlite::Connection;
use rusqlite::types::ValueRef;

use super::columns::{ColType, ID, sql_err, table_info};
use super::schema::q;
use super::{RESULT_PREFIX, StoreError, wkb};
use crate::io::{Arrival, Arriving, GEOMETRY_ERROR, LayerRows, PART, Row, RowParts, RowValue};
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

/// A ledger table read [`PART`] rows at a time, by ranges of its fid: the loaders take
/// each part through the per-feature pass ([`crate::io::load_row_parts`]), so that a
/// table's rows are never all held at once. What is read comes from the connection given
/// to each read (the one that checked the table), so that a reading thread can own it.
pub(super) struct TableParts {
    path: PathBuf,
    kind: LayerKind,
    name: String,
    geom: String,
    fields: Vec<(String, ColType)>,
    sql: String,
    /// The rows of the ids in a JSON array (`?1`), through the table's id column.
    by_id: String,
    rows: usize,
    /// The fid of the last row given (the least fid there is before the first part): the
    /// next part starts after it, through the table's primary key.
    after: i64,
    done: bool,
}

impl TableParts {
    /// The table's layout and SRS checked, its rows not read yet. `file` is the store's
    /// file name, for the report's `file/table`.
    pub(super) fn open(
        c: &Connection,
        path: &Path,
        file: &str,
        kind: LayerKind,
        table: &str,
    ) -> Result<TableParts, StoreError> {
        let mut t = TableParts::layout(c, path, file, kind, table)?;
        let rows: i64 = c
            .query_row(&format!("SELECT count(*) FROM {}", q(table)), [], |r| {
                r.get(0)
            })
            .map_err(sql_err(path))?;
        t.rows = usize::try_from(rows).unwrap_or_default();
        Ok(t)
    }

    /// [`TableParts::open`] without counting the rows (a scan of the table): for a
    /// reading of some rows by id ([`TableParts::rows_of`]).
    pub(super) fn layout(
        c: &Connection,
        path: &Path,
        file: &str,
        kind: LayerKind,
        table: &str,
    ) -> Result<TableParts, StoreError> {
        let sql = sql_err(path);
        let info = table_info(c, path, table)?;
        let srs: i64 = c
            .query_row(
                "SELECT srs_id FROM gpkg_geometry_columns WHERE table_name = ?",
                [table],
                |r| r.get(0),
            )
            .map_err(&sql)?;
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
        let fields: Vec<(String, ColType)> = info
            .columns
            .iter()
            .filter(|c| c.name != info.pk && c.name != info.geom)
            .filter(|c| c.name != ID && c.name != UPDATED_AT)
            .map(|c| (c.name.clone(), c.ty))
            .collect();
        let list: String = fields.iter().map(|(n, _)| format!(", {}", q(n))).collect();
        let (pk, g, t) = (q(&info.pk), q(&info.geom), q(table));
        let id = if info.has_id { q(ID) } else { "NULL".into() };
        Ok(TableParts {
            path: path.to_path_buf(),
            kind,
            name: format!("{file}/{table}"),
            geom: info.geom.clone(),
            fields,
            sql: format!(
                "SELECT {pk}, {id}, {g}{list} FROM {t} WHERE {pk} > ?1 ORDER BY {pk} LIMIT ?2"
            ),
            by_id: format!(
                "SELECT {pk}, {id}, {g}{list} FROM {t} \
                 WHERE {id} IN (SELECT value FROM json_each(?1)) ORDER BY {pk}"
            ),
            rows: 0,
            after: i64::MIN,
            done: false,
        })
    }

    /// The layer the table holds.
    pub(super) fn kind(&self) -> LayerKind {
        self.kind
    }

    /// What the report calls the table (`file/table`).
    pub(super) fn name(&self) -> &str {
        &self.name
    }

    /// How many rows the table held when it was opened.
    pub(super) fn rows(&self) -> usize {
        self.rows
    }

    /// The next rows through `c`, in fid order; `None` after the last.
    pub(super) fn next_rows(&mut self, c: &Connection) -> Result<Option<Vec<Row>>, StoreError> {
        if self.done {
            return Ok(None);
        }
        let sql = sql_err(&self.path);
        let mut st = c.prepare_cached(&self.sql).map_err(&sql)?;
        let mut rs = st
            .query(rusqlite::params![self.after, PART as i64])
            .map_err(&sql)?;
        let mut rows = Vec::with_capacity(PART.min(self.rows));
        while let Some(r) = rs.next().map_err(&sql)? {
            let fid: i64 = r.get(0).map_err(&sql)?;
            self.after = fid;
            rows.push(self.row(r, fid).map_err(&sql)?);
        }
        if rows.len() < PART {
            self.done = true;
        }
        Ok((!rows.is_empty()).then_some(rows))
    }

    /// One row: its id, geometry and cells.
    fn row(&self, r: &rusqlite::Row<'_>, fid: i64) -> rusqlite::Result<Row> {
        let id = match r.get_ref(1)? {
            ValueRef::Text(s) => Some(String::from_utf8_lossy(s).into_owned()),
            ValueRef::Integer(i) => Some(i.to_string()),
            ValueRef::Real(f) => Some(f.to_string()),
            ValueRef::Null | ValueRef::Blob(_) => None,
        };
        let mut cells = Vec::with_capacity(self.fields.len() + 1);
        let geometry = match r.get_ref(2)? {
            ValueRef::Blob(b) => match wkb::decode(b) {
                Ok(g) => Some(g),
                Err(e) => {
                    cells.push((
                        GEOMETRY_ERROR.to_string(),
                        RowValue::Text(format!("the {} blob cannot be read: {e}", self.geom)),
                    ));
                    None
                }
            },
            _ => None,
        };
        for (i, (name, ty)) in self.fields.iter().enumerate() {
            let v = match r.get_ref(3 + i)? {
                ValueRef::Null => RowValue::Null,
                ValueRef::Integer(n) if *ty == ColType::Boolean => RowValue::Bool(n != 0),
                ValueRef::Integer(n) => RowValue::Int(n),
                ValueRef::Real(f) => RowValue::Real(f),
                ValueRef::Text(s) => RowValue::Text(String::from_utf8_lossy(s).into_owned()),
                // No ledger field is binary: the loaders report the value as unreadable.
                ValueRef::Blob(b) => RowValue::Text(format!("(a BLOB of {} bytes)", b.len())),
            };
            cells.push((name.clone(), v));
        }
        Ok(Row {
            position: u64::try_from(fid).unwrap_or_default(),
            id,
            geometry,
            fields: cells,
        })
    }

    /// The rows whose id is one of `ids` (a JSON array of strings), through `c`, in fid
    /// order.
    pub(super) fn rows_of(self, c: &Connection, ids: &str) -> Result<LayerRows, StoreError> {
        let sql = sql_err(&self.path);
        let mut st = c.prepare(&self.by_id).map_err(&sql)?;
        let mut rs = st.query([ids]).map_err(&sql)?;
        let mut rows = Vec::new();
        while let Some(r) = rs.next().map_err(&sql)? {
            let fid: i64 = r.get(0).map_err(&sql)?;
            rows.push(self.row(r, fid).map_err(&sql)?);
        }
        drop(rs);
        drop(st);
        Ok(LayerRows {
            kind: self.kind,
            name: self.name,
            rows,
        })
    }

    /// Every row through `c`, read whole.
    pub(super) fn all(mut self, c: &Connection) -> Result<LayerRows, StoreError> {
        let mut rows = Vec::with_capacity(self.rows);
        while let Some(mut part) = self.next_rows(c)? {
            rows.append(&mut part);
        }
        Ok(LayerRows {
            kind: self.kind,
            name: self.name,
            rows,
        })
    }
}

/// Runs `load` over the tables' parts while a thread of its own reads them from `conn`,
/// one part ahead: SQLite's reading and the geometry's decoding beside the per-feature
/// pass, which has the thread pool. When `load` stops early (an error), the parts not
/// taken are dropped with it, and so is the channel, which stops the reader.
pub(super) fn read_beside<R>(
    conn: Connection,
    tables: Vec<TableParts>,
    load: impl FnOnce(Vec<Box<dyn RowParts>>) -> R,
) -> R {
    let (tx, rx) = sync_channel::<Arrival>(1);
    let rx = Rc::new(rx);
    let parts: Vec<Box<dyn RowParts>> = tables
        .iter()
        .map(|t| {
            let rx = Rc::clone(&rx);
            Box::new(Arriving::new(
                t.path.clone(),
                t.kind(),
                t.name().to_string(),
                t.rows(),
                move || rx.recv().ok(),
            )) as Box<dyn RowParts>
        })
        .collect();
    drop(rx);
    std::thread::scope(|sc| {
        sc.spawn(move || {
            for mut t in tables {
                loop {
                    let msg = match t.next_rows(&conn) {
                        Ok(Some(rows)) => Arrival::Part(rows),
                        Ok(None) => Arrival::End,
                        Err(e) => {
                            let _ = tx.send(Arrival::Failed(Box::new(e)));
                            return;
                        }
                    };
                    let end = matches!(msg, Arrival::End);
                    if tx.send(msg).is_err() {
                        return;
                    }
                    if end {
                        break;
                    }
                }
            }
        });
        load(parts)
    })
}
