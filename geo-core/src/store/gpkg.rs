//! The GeoPackage store: one feature table per input layer, named by
//! [`LayerKind::name`], keyed by the feature id.
//!
//! A table holds `fid` (the SQLite row id GIS programs expect), `geom` (a GeoPackage
//! geometry in EPSG:4326), `id` (the ledger's id, unique), one column per ledger field
//! (the serde names of the layer's props type, which the loaders resolve as column
//! names) and `updated_at` (UTC, ISO 8601, when the row was last written). Inventories
//! and QRA distances are written in their ledger form ([`super::ledger`]), so that every
//! value reads back through the loaders as it was. [`write()`] creates the file or
//! updates it by id in one transaction, recording every change of a row in the trail
//! (`riskmap_changes`, [`super::changes`]) as made by `import`; [`apply_changes`] writes a
//! living map's edits the same way; [`load`] reads it back through the loaders, as a data
//! folder is read.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use rusqlite::types::{Value as Sql, ValueRef};
use rusqlite::{Connection, OpenFlags, params_from_iter};
use serde::Serialize;
use serde_json::{Map, Value};

pub use super::apply::{ChangedAt, Editor, apply_changes, apply_changes_by};
use super::changes::{self, ChangeOp};
pub use super::changes::{
    ChangeRecord, changes_page, changes_since, feature_version, last_change_seq,
};
use super::columns::{ColType, Column, ID, TableInfo, not_gpkg, sql_err, table_info};
use super::gpkg_read;
/// For a program that writes the store with a connection of its own (as QGIS and GDAL
/// do): the functions the file's R-tree triggers call.
pub use super::schema::register_functions;
use super::schema::{self, SRS_ID, q};
use super::{ImportCounts, Kept, LayerCounts, StoreError, ledger, wkb};
use crate::dataset::{Dataset, Layer};
use crate::io::{LayerRows, LoadError, LoadOptions, Loaded};
use crate::model::{Feature, LayerKind};

/// The geometry column of the tables this store creates.
pub(super) const GEOM: &str = "geom";
/// The primary key of the tables this store creates.
pub(super) const FID: &str = "fid";
/// The column of the time a row was last written.
pub(super) const UPDATED_AT: &str = "updated_at";
/// The actor of the changes an import makes.
pub const IMPORT_ACTOR: &str = "import";
/// How long to wait for another program's lock on the file.
pub(super) const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Writes the dataset into the GeoPackage at `path`, creating it if needed, or updates
/// the file's tables by id: new ids are inserted, rows whose geometry or fields differ are
/// rewritten (with a new `updated_at`), rows whose id is gone are deleted and the rest
/// are left alone. All in one transaction: on error the file is as it was (and a file
/// this call created is removed).
pub fn write(path: &Path, ds: &Dataset) -> Result<ImportCounts, StoreError> {
    write_with_words(path, ds, None, &Kept::default())
}

/// [`write()`], and with `words` the store's words for the hidden hazards' stages
/// replaced by them in the same transaction ([`super::words`]); `None` leaves them.
/// A row the dataset lacks that `kept` keeps (its ledger line refused, its layer not
/// read whole) is left as it is.
pub fn write_with_words(
    path: &Path,
    ds: &Dataset,
    words: Option<&[(String, crate::model::HiddenHazardStatus)]>,
    kept: &Kept,
) -> Result<ImportCounts, StoreError> {
    let existed = path.exists();
    let r = write_in(path, ds, words, kept);
    if r.is_err() && !existed {
        // Best effort: the error being returned is the one that matters.
        let _ = std::fs::remove_file(path);
    }
    r
}

fn write_in(
    path: &Path,
    ds: &Dataset,
    words: Option<&[(String, crate::model::HiddenHazardStatus)]>,
    kept: &Kept,
) -> Result<ImportCounts, StoreError> {
    let mut conn = open(path, false)?;
    let sql = sql_err(path);
    if !is_empty_db(&conn, path)? && !schema::table_exists(&conn, "gpkg_contents").map_err(sql)? {
        return Err(not_gpkg(path, "an SQLite database without gpkg_contents"));
    }
    schema::register_functions(&conn).map_err(sql)?;
    let tx = conn.transaction().map_err(sql)?;
    schema::create_core(&tx).map_err(sql)?;
    changes::create_table(&tx).map_err(sql)?;
    let now = utc_now(&tx).map_err(sql)?;
    let w = Writer {
        c: &tx,
        path,
        now: &now,
        actor: IMPORT_ACTOR,
        kept,
    };
    let layers = vec![
        (LayerKind::Areas, w.layer(&ds.areas)?),
        (LayerKind::Enterprises, w.layer(&ds.enterprises)?),
        (LayerKind::HazardSources, w.layer(&ds.hazard_sources)?),
        (LayerKind::GasPipelines, w.layer(&ds.gas_pipelines)?),
        (LayerKind::Houses, w.layer(&ds.houses)?),
        (
            LayerKind::ProtectionTargets,
            w.layer(&ds.protection_targets)?,
        ),
        (LayerKind::HiddenHazards, w.layer(&ds.hidden_hazards)?),
    ];
    if let Some(words) = words {
        super::words::write_gpkg(&tx, words).map_err(sql)?;
    }
    // From now on the rows other programs change are marked for a server to read.
    super::touched::install(&tx, path)?;
    tx.commit().map_err(sql)?;
    Ok(ImportCounts { layers })
}

/// Reads the ledger tables of a GeoPackage as rows: every feature table named after an
/// input layer (`houses`, or the Chinese `自建房`, as a data folder's files), each row with
/// its fid, id, geometry and cells, for [`crate::io::load_rows`]. Result tables
/// (`result_…`) are not read. A file that is not a GeoPackage, or a ledger table in a
/// projected SRS, is an error; what is wrong in a row is for the loaders to report.
pub fn read_rows(path: &Path) -> Result<Vec<LayerRows>, StoreError> {
    let conn = open_for_reading(path)?;
    tables(&conn, path)?
        .into_iter()
        .map(|t| t.all(&conn))
        .collect()
}

/// The file opened read-only, checked to be a GeoPackage.
fn open_for_reading(path: &Path) -> Result<Connection, StoreError> {
    let conn = open(path, true)?;
    if !schema::table_exists(&conn, "gpkg_contents").map_err(sql_err(path))? {
        return Err(not_gpkg(path, "no gpkg_contents table"));
    }
    Ok(conn)
}

/// Every ledger table, its layout and SRS checked, none of its rows read yet.
fn tables(conn: &Connection, path: &Path) -> Result<Vec<gpkg_read::TableParts>, StoreError> {
    let file = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    gpkg_read::ledger_tables(conn, path)?
        .into_iter()
        .map(|(kind, table)| gpkg_read::TableParts::open(conn, path, &file, kind, &table))
        .collect()
}

/// Loads a GeoPackage as a data folder is loaded: its ledger tables ([`read_rows`])
/// through the same checks, repairs and merge ([`crate::io::load_rows`]), with the same
/// validation report, each issue located by `file.gpkg/table`, fid and feature id.
pub fn load(path: &Path, opts: &LoadOptions) -> Result<Loaded, LoadError> {
    let store_err = |e: StoreError| LoadError::Store {
        path: path.to_path_buf(),
        source: Box::new(e),
    };
    let conn = open_for_reading(path).map_err(store_err)?;
    let layers = tables(&conn, path).map_err(store_err)?;
    if layers.is_empty() {
        return Err(LoadError::NoLayerFiles {
            path: path.to_path_buf(),
            ignored: Vec::new(),
        });
    }
    // The store's own words for the stages, as a folder's riskmap.toml gives them.
    let words = super::words::of_gpkg(path).map_err(store_err)?;
    // A table at a time, a part at a time: its rows are not all held at once.
    let mut loaded = gpkg_read::read_beside(conn, layers, |parts| {
        super::words::load_rows_with(parts, opts, words)
    })?;
    for f in &mut loaded.report.files {
        f.format = Some("gpkg".into());
        f.crs = Some("WGS84 (GeoPackage)".into());
    }
    Ok(loaded)
}

/// Whether the file starts as an SQLite database does (a GeoPackage is one).
/// (Read as the stamps read a file's head, through a descriptor kept open: closing one
/// would let go of this process's SQLite locks on the file.)
pub fn looks_like_sqlite(path: &Path) -> bool {
    super::stamp::head::<16>(path).is_some_and(|head| &head == b"SQLite format 3\0")
}

pub(super) fn open(path: &Path, read_only: bool) -> Result<Connection, StoreError> {
    let flags = if read_only {
        OpenFlags::SQLITE_OPEN_READ_ONLY
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE
    };
    let c = Connection::open_with_flags(path, flags | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(|e| cannot_open(path, read_only, e))?;
    // GIS software saving an edit holds the file's lock for a moment: wait for it rather
    // than fail a reload.
    c.busy_timeout(BUSY_TIMEOUT).map_err(sql_err(path))?;
    // SQLite reads the header lazily: touch it now, so that a file that is not SQLite at
    // all is reported as such and not as a failure of some later query.
    c.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))
        .map_err(sql_err(path))?;
    Ok(c)
}

/// SQLite's "unable to open database file" says neither whether the file is missing nor
/// whether this user may not read or write it (a store copied in by root, a server run
/// as another user): the operating system's own reason is given, as it opens the file.
fn cannot_open(path: &Path, read_only: bool, e: rusqlite::Error) -> StoreError {
    if e.sqlite_error_code() != Some(rusqlite::ErrorCode::CannotOpen) {
        return sql_err(path)(e);
    }
    let os = std::fs::OpenOptions::new()
        .read(true)
        .write(!read_only && path.exists())
        .open(path)
        .err()
        .or_else(|| {
            // The file opens: its folder may not let SQLite make its journal beside it.
            let dir = path.parent().filter(|d| !d.as_os_str().is_empty())?;
            let probe = dir.join(format!(".riskmap-probe-{}", std::process::id()));
            let made = std::fs::File::create(&probe);
            let _ = std::fs::remove_file(&probe);
            made.err()
        });
    match os {
        Some(os) => StoreError::File {
            path: path.to_path_buf(),
            reason: format!("cannot be opened: {os}"),
        },
        None => sql_err(path)(e),
    }
}

fn is_empty_db(c: &Connection, path: &Path) -> Result<bool, StoreError> {
    c.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    })
    .map(|n| n == 0)
    .map_err(sql_err(path))
}

/// The time now, UTC, ISO 8601 with milliseconds, as SQLite gives it.
pub(super) fn utc_now(c: &Connection) -> rusqlite::Result<String> {
    c.prepare_cached("SELECT strftime('%Y-%m-%dT%H:%M:%fZ','now')")?
        .query_row([], |r| r.get(0))
}

/// One feature, ready to write.
pub(super) struct Row<'a> {
    pub(super) id: &'a str,
    pub(super) geom: Vec<u8>,
    pub(super) fields: Map<String, Value>,
}

/// A stored row of a feature table: its primary key, geometry blob (normalised through
/// the store's encoder) and field values.
pub(super) type Stored = (i64, Vec<u8>, Vec<Sql>);

/// Writes feature tables in a transaction, recording each change as made by `actor`.
pub(super) struct Writer<'a> {
    pub(super) c: &'a Connection,
    pub(super) path: &'a Path,
    pub(super) now: &'a str,
    pub(super) actor: &'a str,
    /// The rows an import leaves though its dataset lacks them.
    pub(super) kept: &'a Kept,
}

impl Writer<'_> {
    fn layer<P: Serialize + Default>(&self, layer: &Layer<P>) -> Result<LayerCounts, StoreError> {
        let sql = sql_err(self.path);
        let table = layer.kind().name();
        // Every serde field of P, in declaration order, then any a feature adds.
        let mut names: Vec<String> = match serde_json::to_value(P::default()) {
            Ok(Value::Object(m)) => m.keys().cloned().collect(),
            _ => Vec::new(),
        };
        let mut rows = Vec::with_capacity(layer.len());
        let mut seen = HashSet::with_capacity(layer.len());
        for f in layer.features() {
            if !seen.insert(f.id.as_str()) {
                return Err(StoreError::DuplicateId {
                    path: self.path.to_path_buf(),
                    table: table.into(),
                    id: f.id.clone(),
                });
            }
            let mut fields = match serde_json::to_value(&f.props) {
                Ok(Value::Object(m)) => m,
                _ => Map::new(),
            };
            ledger::to_ledger_form(&mut fields);
            for k in fields.keys() {
                if !names.contains(k) {
                    names.push(k.clone());
                }
            }
            rows.push(Row {
                id: &f.id,
                geom: wkb::encode(&f.geometry, SRS_ID),
                fields,
            });
        }
        let inferred: Vec<Column> = names
            .iter()
            .map(|n| Column {
                ty: rows
                    .iter()
                    .map(|r| r.fields.get(n).and_then(ColType::of))
                    .fold(None, ColType::join)
                    .unwrap_or(ColType::Text),
                name: n.clone(),
            })
            .collect();
        let geom_type = geometry_type(layer.features());
        if !schema::table_exists(self.c, table).map_err(&sql)? {
            self.create_table(table, &inferred, geom_type)
                .map_err(&sql)?;
        }
        let info = table_info(self.c, self.path, table)?;
        if !info.has_id {
            return Err(StoreError::Table {
                path: self.path.to_path_buf(),
                table: table.into(),
                reason: format!("no '{ID}' column"),
            });
        }
        let cols = self.add_columns(table, &info, &inferred)?;
        self.register(table, &info.geom, &cols, geom_type, layer)
            .map_err(&sql)?;
        self.sync(table, &info, &cols, &rows)
    }

    pub(super) fn create_table(
        &self,
        table: &str,
        cols: &[Column],
        geom_type: &str,
    ) -> rusqlite::Result<()> {
        let fields: String = cols
            .iter()
            .filter(|c| c.name != ID && c.name != UPDATED_AT)
            .map(|c| format!(", {} {}", q(&c.name), c.ty.sql()))
            .collect();
        self.c.execute_batch(&format!(
            "CREATE TABLE {t} ({FID} INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
               {GEOM} {geom_type}, {ID} TEXT NOT NULL UNIQUE{fields}, {UPDATED_AT} TEXT)",
            t = q(table),
        ))?;
        self.c.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id)
             VALUES (?, 'features', ?, ?)",
            rusqlite::params![table, table, SRS_ID],
        )?;
        self.c.execute(
            "INSERT INTO gpkg_geometry_columns VALUES (?, ?, ?, ?, 0, 0)",
            rusqlite::params![table, GEOM, geom_type, SRS_ID],
        )?;
        schema::create_rtree(self.c, table, GEOM, FID)
    }

    /// Adds the ledger fields the table lacks; returns the field columns to write, with
    /// the table's own types for those it has.
    pub(super) fn add_columns(
        &self,
        table: &str,
        info: &TableInfo,
        inferred: &[Column],
    ) -> Result<Vec<Column>, StoreError> {
        let mut out = Vec::new();
        for c in inferred {
            if c.name == ID || c.name == UPDATED_AT || c.name == info.pk || c.name == info.geom {
                continue;
            }
            let ty = match info.columns.iter().find(|e| e.name == c.name) {
                Some(e) if e.ty == ColType::Text && c.ty == ColType::Json => ColType::Json,
                // A column an earlier version wrote as JSON now holds the ledger text.
                Some(e) if e.ty == ColType::Json && c.ty != ColType::Json => {
                    self.c
                        .execute(
                            "DELETE FROM gpkg_data_columns WHERE table_name = ? AND column_name = ?
                               AND mime_type = 'application/json'",
                            [table, &c.name],
                        )
                        .map_err(sql_err(self.path))?;
                    ColType::Text
                }
                Some(e) => e.ty,
                None => {
                    self.c
                        .execute_batch(&format!(
                            "ALTER TABLE {} ADD COLUMN {} {}",
                            q(table),
                            q(&c.name),
                            c.ty.sql()
                        ))
                        .map_err(sql_err(self.path))?;
                    c.ty
                }
            };
            out.push(Column {
                name: c.name.clone(),
                ty,
            });
        }
        if !info.columns.iter().any(|c| c.name == UPDATED_AT) {
            self.c
                .execute_batch(&format!(
                    "ALTER TABLE {} ADD COLUMN {UPDATED_AT} TEXT",
                    q(table)
                ))
                .map_err(sql_err(self.path))?;
        }
        Ok(out)
    }

    /// Keeps the metadata true: JSON columns, the geometry type, extent and change time.
    fn register<P>(
        &self,
        table: &str,
        geom: &str,
        cols: &[Column],
        geom_type: &str,
        layer: &Layer<P>,
    ) -> rusqlite::Result<()> {
        for c in cols.iter().filter(|c| c.ty == ColType::Json) {
            self.c.execute(
                "INSERT OR IGNORE INTO gpkg_data_columns (table_name, column_name, name, mime_type)
                 VALUES (?, ?, ?, 'application/json')",
                [table, &c.name, &c.name],
            )?;
        }
        // A table declared for one type that now receives another becomes GEOMETRY.
        let declared: Option<String> = self
            .c
            .query_row(
                "SELECT geometry_type_name FROM gpkg_geometry_columns
                 WHERE table_name = ?1 AND column_name = ?2",
                [table, geom],
                |r| r.get(0),
            )
            .map(Some)
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                e => Err(e),
            })?;
        if !layer.is_empty() && declared.is_some_and(|d| !d.eq_ignore_ascii_case(geom_type)) {
            schema::widen_geometry(self.c, table, geom)?;
        }
        let b = layer.bounds();
        self.c.execute(
            "UPDATE gpkg_contents SET last_change = ?2, min_x = ?3, min_y = ?4, max_x = ?5,
               max_y = ?6 WHERE table_name = ?1",
            rusqlite::params![
                table,
                self.now,
                b.map(|r| r.min().x),
                b.map(|r| r.min().y),
                b.map(|r| r.max().x),
                b.map(|r| r.max().y)
            ],
        )?;
        Ok(())
    }

    /// Inserts, updates and deletes by id; counts what it did.
    fn sync(
        &self,
        table: &str,
        info: &TableInfo,
        cols: &[Column],
        rows: &[Row],
    ) -> Result<LayerCounts, StoreError> {
        let sql = sql_err(self.path);
        let t = q(table);
        let field_list: String = cols.iter().map(|c| format!(", {}", q(&c.name))).collect();
        let (pk, g) = (q(&info.pk), q(&info.geom));
        let mut existing: HashMap<String, Stored> = HashMap::new();
        {
            let mut st = self
                .c
                .prepare(&format!("SELECT {pk}, {ID}, {g}{field_list} FROM {t}"))
                .map_err(&sql)?;
            let mut rs = st.query([]).map_err(&sql)?;
            while let Some(r) = rs.next().map_err(&sql)? {
                let id: String = match r.get_ref(1).map_err(&sql)? {
                    ValueRef::Text(s) => String::from_utf8_lossy(s).into_owned(),
                    v => format!("{:?}", Sql::from(v)),
                };
                // Compare geometries after normalising the blob through our encoder, so
                // that a header written by another program does not count as a change.
                let blob = normalised_blob(r.get_ref(2).map_err(&sql)?);
                let vals = cols
                    .iter()
                    .enumerate()
                    .map(|(i, c)| r.get::<_, Sql>(3 + i).map(|v| normalise(c.ty, v)))
                    .collect::<Result<_, _>>()
                    .map_err(&sql)?;
                existing.insert(id, (r.get(0).map_err(&sql)?, blob, vals));
            }
        }
        let marks = vec!["?"; cols.len() + 3].join(", ");
        let mut ins = self
            .c
            .prepare(&format!(
                "INSERT INTO {t} ({g}, {ID}{field_list}, {UPDATED_AT}) VALUES ({marks})"
            ))
            .map_err(&sql)?;
        let sets: String = cols
            .iter()
            .map(|c| format!(", {} = ?", q(&c.name)))
            .collect();
        let mut upd = self
            .c
            .prepare(&format!(
                "UPDATE {t} SET {g} = ?{sets}, {UPDATED_AT} = ? WHERE {pk} = ?"
            ))
            .map_err(&sql)?;
        let mut counts = LayerCounts::default();
        for row in rows {
            let vals: Vec<Sql> = cols
                .iter()
                .map(|c| c.ty.to_sql(row.fields.get(&c.name).unwrap_or(&Value::Null)))
                .collect();
            match existing.remove(row.id) {
                None => {
                    let after = row_json(row.id, &row.geom, cols, &vals);
                    let params = std::iter::once(Sql::Blob(row.geom.clone()))
                        .chain(std::iter::once(Sql::Text(row.id.into())))
                        .chain(vals)
                        .chain(std::iter::once(Sql::Text(self.now.into())));
                    ins.execute(params_from_iter(params)).map_err(&sql)?;
                    self.record(table, row.id, ChangeOp::Insert, None, Some(&after))?;
                    counts.new += 1;
                }
                Some((_, blob, old)) if blob == row.geom && old == vals => counts.unchanged += 1,
                Some((fid, blob, old)) => {
                    let before = row_json(row.id, &blob, cols, &old);
                    let after = row_json(row.id, &row.geom, cols, &vals);
                    let params = std::iter::once(Sql::Blob(row.geom.clone()))
                        .chain(vals)
                        .chain([Sql::Text(self.now.into()), Sql::Integer(fid)]);
                    upd.execute(params_from_iter(params)).map_err(&sql)?;
                    self.record(table, row.id, ChangeOp::Update, Some(&before), Some(&after))?;
                    counts.changed += 1;
                }
            }
        }
        let mut del = self
            .c
            .prepare(&format!("DELETE FROM {t} WHERE {pk} = ?"))
            .map_err(&sql)?;
        // In the table's order, so that the trail of an import is the same every time.
        let mut gone: Vec<(String, Stored)> = existing
            .into_iter()
            .filter(|(id, _)| {
                let stays = LayerKind::from_name(table).is_some_and(|k| self.kept.keeps(k, id));
                counts.kept += usize::from(stays);
                !stays
            })
            .collect();
        gone.sort_by_key(|(_, (fid, _, _))| *fid);
        for (id, (fid, blob, vals)) in &gone {
            del.execute([fid]).map_err(&sql)?;
            let before = row_json(id, blob, cols, vals);
            self.record(table, id, ChangeOp::Delete, Some(&before), None)?;
            counts.removed += 1;
        }
        Ok(counts)
    }

    /// Records one change of a row in the trail.
    pub(super) fn record(
        &self,
        table: &str,
        id: &str,
        op: ChangeOp,
        before: Option<&Value>,
        after: Option<&Value>,
    ) -> Result<u64, StoreError> {
        changes::record(
            self.c,
            &changes::NewChange {
                at: self.now,
                actor: self.actor,
                layer: table,
                id,
                op,
                before,
                after,
            },
        )
        .map_err(sql_err(self.path))
    }
}

/// A stored row as the GeoJSON Feature the trail keeps: its geometry and its columns'
/// values as they are stored.
pub(super) fn row_json(id: &str, blob: &[u8], cols: &[Column], vals: &[Sql]) -> Value {
    let geometry = wkb::decode(blob).ok();
    let props: Map<String, Value> = cols
        .iter()
        .zip(vals)
        .map(|(c, v)| (c.name.clone(), sql_json(c.ty, v)))
        .collect();
    changes::geojson_feature(id, geometry.as_ref(), props)
}

/// A stored value as JSON, by its column's type.
fn sql_json(ty: ColType, v: &Sql) -> Value {
    match v {
        Sql::Null | Sql::Blob(_) => Value::Null,
        Sql::Integer(i) if ty == ColType::Boolean => Value::Bool(*i != 0),
        Sql::Integer(i) => Value::from(*i),
        Sql::Real(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        Sql::Text(s) if ty == ColType::Json => {
            serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.clone()))
        }
        Sql::Text(s) => Value::String(s.clone()),
    }
}

/// A stored value as this store would write it: JSON text another program wrote (GDAL
/// puts spaces in it) is re-serialised, so that only a different value counts as a change.
pub(super) fn normalise(ty: ColType, v: Sql) -> Sql {
    match (ty, v) {
        (ColType::Json, Sql::Text(s)) => match serde_json::from_str::<Value>(&s) {
            Ok(j) => Sql::Text(j.to_string()),
            Err(_) => Sql::Text(s),
        },
        (_, v) => v,
    }
}

/// The geometry type name of a layer: the one type all its features share, else GEOMETRY.
fn geometry_type<P>(features: &[Feature<P>]) -> &'static str {
    let mut types = features.iter().map(|f| wkb::type_name(&f.geometry));
    match types.next() {
        Some(first) if types.all(|t| t == first) => first,
        _ => "GEOMETRY",
    }
}

/// A stored geometry blob normalised through our encoder (a header another program wrote
/// does not count as a change); anything not a blob is empty.
pub(super) fn normalised_blob(v: ValueRef<'_>) -> Vec<u8> {
    match v {
        ValueRef::Blob(b) => wkb::decode(b)
            .map(|g| wkb::encode(&g, SRS_ID))
            .unwrap_or_else(|_| b.to_vec()),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store that cannot be opened is said with the operating system's reason, not
    /// SQLite's "unable to open database file" (the same words for a missing file and
    /// one this user may not read).
    #[test]
    fn a_store_that_cannot_be_opened_says_why() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no such folder").join("haimen.gpkg");
        let e = open(&path, true).unwrap_err().to_string();
        assert!(
            e.contains("cannot be opened: No such file or directory"),
            "{e}"
        );
        assert!(e.contains("haimen.gpkg"), "{e}");
    }
}
