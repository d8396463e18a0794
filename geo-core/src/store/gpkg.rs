//! The GeoPackage store: one feature table per input layer, named by
//! [`LayerKind::name`], keyed by the feature id.
//!
//! A table holds `fid` (the SQLite row id GIS programs expect), `geom` (a GeoPackage
//! geometry in EPSG:4326), `id` (the ledger's id, unique), one column per ledger field
//! (the serde names of the layer's props type; lists and records as JSON text, marked
//! `application/json` in `gpkg_data_columns`) and `updated_at` (UTC, ISO 8601, when the
//! row was last written). [`write`] creates the file or updates it by id in one
//! transaction; [`read`] gives back the [`Dataset`].

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use rusqlite::types::{Value as Sql, ValueRef};
use rusqlite::{Connection, ErrorCode, OpenFlags, params_from_iter};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::schema::{self, SRS_ID, q};
use super::{ImportCounts, LayerCounts, StoreError, wkb};
use crate::dataset::{Dataset, Layer};
use crate::model::{Feature, LayerKind, SourceRef};

/// The geometry column of the tables this store creates.
const GEOM: &str = "geom";
/// The primary key of the tables this store creates.
const FID: &str = "fid";
/// Columns that are not ledger fields.
const ID: &str = "id";
const UPDATED_AT: &str = "updated_at";

/// Writes the dataset into the GeoPackage at `path`, creating it if needed, or updates
/// the file's tables by id: new ids are inserted, rows whose geometry or fields differ are
/// rewritten (with a new `updated_at`), rows whose id is gone are deleted and the rest
/// are left alone. All in one transaction: on error the file is as it was.
pub fn write(path: &Path, ds: &Dataset) -> Result<ImportCounts, StoreError> {
    let mut conn = open(path, false)?;
    let sql = sql_err(path);
    if !is_empty_db(&conn, path)? && !schema::table_exists(&conn, "gpkg_contents").map_err(sql)? {
        return Err(not_gpkg(path, "an SQLite database without gpkg_contents"));
    }
    schema::register_functions(&conn).map_err(sql)?;
    let tx = conn.transaction().map_err(sql)?;
    schema::create_core(&tx).map_err(sql)?;
    let now: String = tx
        .query_row("SELECT strftime('%Y-%m-%dT%H:%M:%fZ','now')", [], |r| {
            r.get(0)
        })
        .map_err(sql)?;
    let w = Writer {
        c: &tx,
        path,
        now: &now,
    };
    let layers = vec![
        (LayerKind::Areas, w.layer(&ds.areas)?),
        (LayerKind::Enterprises, w.layer(&ds.enterprises)?),
        (LayerKind::HazardSources, w.layer(&ds.hazard_sources)?),
        (LayerKind::GasPipelines, w.layer(&ds.gas_pipelines)?),
        (LayerKind::Houses, w.layer(&ds.houses)?),
        (LayerKind::ProtectionTargets, w.layer(&ds.protection_targets)?),
    ];
    tx.commit().map_err(sql)?;
    Ok(ImportCounts { layers })
}

/// Reads the six input layers from a GeoPackage. A missing table is an empty layer; a
/// geometry that cannot be decoded or a value that does not fit its field is an error
/// naming the table, the row's id and the column.
pub fn read(path: &Path) -> Result<Dataset, StoreError> {
    let conn = open(path, true)?;
    if !schema::table_exists(&conn, "gpkg_contents").map_err(sql_err(path))? {
        return Err(not_gpkg(path, "no gpkg_contents table"));
    }
    let r = Reader { c: &conn, path };
    Ok(Dataset {
        areas: r.layer(LayerKind::Areas)?,
        enterprises: r.layer(LayerKind::Enterprises)?,
        hazard_sources: r.layer(LayerKind::HazardSources)?,
        gas_pipelines: r.layer(LayerKind::GasPipelines)?,
        houses: r.layer(LayerKind::Houses)?,
        protection_targets: r.layer(LayerKind::ProtectionTargets)?,
    })
}

fn open(path: &Path, read_only: bool) -> Result<Connection, StoreError> {
    let flags = if read_only {
        OpenFlags::SQLITE_OPEN_READ_ONLY
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE
    };
    let c = Connection::open_with_flags(path, flags | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(sql_err(path))?;
    // SQLite reads the header lazily: touch it now, so that a file that is not SQLite at
    // all is reported as such and not as a failure of some later query.
    c.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))
        .map_err(sql_err(path))?;
    Ok(c)
}

fn is_empty_db(c: &Connection, path: &Path) -> Result<bool, StoreError> {
    c.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    })
    .map(|n| n == 0)
    .map_err(sql_err(path))
}

fn sql_err(path: &Path) -> impl Fn(rusqlite::Error) -> StoreError + Copy + '_ {
    move |source| match source.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => not_gpkg(path, "not an SQLite database"),
        _ => StoreError::Sqlite {
            path: path.to_path_buf(),
            source,
        },
    }
}

fn not_gpkg(path: &Path, reason: &str) -> StoreError {
    StoreError::NotGeoPackage {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// The SQL type of a field column, from the JSON values of the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ColType {
    Text,
    Real,
    Integer,
    Boolean,
    Json,
}

impl ColType {
    fn sql(self) -> &'static str {
        match self {
            ColType::Text | ColType::Json => "TEXT",
            ColType::Real => "REAL",
            ColType::Integer => "INTEGER",
            ColType::Boolean => "BOOLEAN",
        }
    }
    fn of(v: &Value) -> Option<ColType> {
        match v {
            Value::Null => None,
            Value::Bool(_) => Some(ColType::Boolean),
            Value::Number(n) if n.is_f64() => Some(ColType::Real),
            Value::Number(_) => Some(ColType::Integer),
            Value::String(_) => Some(ColType::Text),
            Value::Array(_) | Value::Object(_) => Some(ColType::Json),
        }
    }
    fn join(a: Option<ColType>, b: Option<ColType>) -> Option<ColType> {
        match (a, b) {
            (None, x) | (x, None) => x,
            (Some(x), Some(y)) if x == y => Some(x),
            (Some(ColType::Integer | ColType::Real), Some(ColType::Integer | ColType::Real)) => {
                Some(ColType::Real)
            }
            _ => Some(ColType::Text),
        }
    }
    /// From a declared column type (`PRAGMA table_info`).
    fn declared(decl: &str) -> ColType {
        let d = decl.to_ascii_uppercase();
        if d.contains("INT") {
            ColType::Integer
        } else if d.contains("REAL") || d.contains("FLOA") || d.contains("DOUB") {
            ColType::Real
        } else if d.contains("BOOL") {
            ColType::Boolean
        } else {
            ColType::Text
        }
    }
    /// The SQL value of a JSON value in a column of this type.
    fn to_sql(self, v: &Value) -> Sql {
        match v {
            Value::Null => Sql::Null,
            // A text column stores what SQLite would turn the value into anyway, so that
            // comparing with the stored row is exact.
            Value::Bool(_) | Value::Number(_) if self == ColType::Text => Sql::Text(v.to_string()),
            Value::Bool(b) => Sql::Integer(i64::from(*b)),
            Value::Number(n) => match (self, n.as_i64()) {
                (ColType::Real, _) | (_, None) => Sql::Real(n.as_f64().unwrap_or(f64::NAN)),
                (_, Some(i)) => Sql::Integer(i),
            },
            Value::String(s) => Sql::Text(s.clone()),
            Value::Array(_) | Value::Object(_) => Sql::Text(v.to_string()),
        }
    }
}

/// One column of a feature table.
struct Column {
    name: String,
    ty: ColType,
}

/// The layout of an existing feature table.
struct TableInfo {
    pk: String,
    geom: String,
    columns: Vec<Column>,
}

fn table_info(c: &Connection, path: &Path, table: &str) -> Result<TableInfo, StoreError> {
    let sql = sql_err(path);
    let terr = |reason: String| StoreError::Table {
        path: path.to_path_buf(),
        table: table.into(),
        reason,
    };
    let mut st = c
        .prepare(&format!("PRAGMA table_info({})", q(table)))
        .map_err(&sql)?;
    let cols: Vec<(String, String, i64)> = st
        .query_map([], |r| Ok((r.get(1)?, r.get(2)?, r.get(5)?)))
        .map_err(&sql)?
        .collect::<Result<_, _>>()
        .map_err(&sql)?;
    let geom: String = c
        .query_row(
            "SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?",
            [table],
            |r| r.get(0),
        )
        .map_err(|_| terr("not registered in gpkg_geometry_columns".into()))?;
    let pk = cols
        .iter()
        .find(|(_, _, pk)| *pk == 1)
        .map(|(n, _, _)| n.clone())
        .ok_or_else(|| terr("no integer primary key".into()))?;
    if !cols.iter().any(|(n, _, _)| n == ID) {
        return Err(terr(format!("no '{ID}' column")));
    }
    let json: HashSet<String> = if schema::table_exists(c, "gpkg_data_columns").map_err(&sql)? {
        let mut st = c
            .prepare(
                "SELECT column_name FROM gpkg_data_columns
                 WHERE table_name = ? AND mime_type = 'application/json'",
            )
            .map_err(&sql)?;
        st.query_map([table], |r| r.get(0))
            .map_err(&sql)?
            .collect::<Result<_, _>>()
            .map_err(&sql)?
    } else {
        HashSet::new()
    };
    let columns = cols
        .into_iter()
        .map(|(name, decl, _)| Column {
            ty: if json.contains(&name) {
                ColType::Json
            } else {
                ColType::declared(&decl)
            },
            name,
        })
        .collect();
    Ok(TableInfo { pk, geom, columns })
}

/// One feature, ready to write.
struct Row<'a> {
    id: &'a str,
    geom: Vec<u8>,
    fields: Map<String, Value>,
}

struct Writer<'a> {
    c: &'a Connection,
    path: &'a Path,
    now: &'a str,
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
            let fields = match serde_json::to_value(&f.props) {
                Ok(Value::Object(m)) => m,
                _ => Map::new(),
            };
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
        let cols = self.add_columns(table, &info, &inferred)?;
        self.register(table, &info.geom, &cols, geom_type, layer)
            .map_err(&sql)?;
        self.sync(table, &info, &cols, &rows)
    }

    fn create_table(&self, table: &str, cols: &[Column], geom_type: &str) -> rusqlite::Result<()> {
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
    fn add_columns(
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
        self.c.execute(
            "UPDATE gpkg_geometry_columns SET geometry_type_name = 'GEOMETRY'
             WHERE table_name = ?1 AND column_name = ?2 AND geometry_type_name != ?3
               AND ?3 != 'GEOMETRY' AND ?4 > 0",
            rusqlite::params![table, geom, geom_type, layer.len()],
        )?;
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
        let mut existing: HashMap<String, (i64, Vec<u8>, Vec<Sql>)> = HashMap::new();
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
                let blob = match r.get_ref(2).map_err(&sql)? {
                    ValueRef::Blob(b) => wkb::decode(b)
                        .map(|g| wkb::encode(&g, SRS_ID))
                        .unwrap_or_else(|_| b.to_vec()),
                    _ => Vec::new(),
                };
                let vals = (0..cols.len())
                    .map(|i| r.get::<_, Sql>(3 + i))
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
                    let params = std::iter::once(Sql::Blob(row.geom.clone()))
                        .chain(std::iter::once(Sql::Text(row.id.into())))
                        .chain(vals)
                        .chain(std::iter::once(Sql::Text(self.now.into())));
                    ins.execute(params_from_iter(params)).map_err(&sql)?;
                    counts.new += 1;
                }
                Some((_, blob, old)) if blob == row.geom && old == vals => counts.unchanged += 1,
                Some((fid, _, _)) => {
                    let params = std::iter::once(Sql::Blob(row.geom.clone()))
                        .chain(vals)
                        .chain([Sql::Text(self.now.into()), Sql::Integer(fid)]);
                    upd.execute(params_from_iter(params)).map_err(&sql)?;
                    counts.changed += 1;
                }
            }
        }
        let mut del = self
            .c
            .prepare(&format!("DELETE FROM {t} WHERE {pk} = ?"))
            .map_err(&sql)?;
        for (fid, _, _) in existing.values() {
            del.execute([fid]).map_err(&sql)?;
            counts.removed += 1;
        }
        Ok(counts)
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

struct Reader<'a> {
    c: &'a Connection,
    path: &'a Path,
}

impl Reader<'_> {
    fn layer<P: DeserializeOwned + Serialize + Default>(
        &self,
        kind: LayerKind,
    ) -> Result<Layer<P>, StoreError> {
        let sql = sql_err(self.path);
        let table = kind.name();
        if !schema::table_exists(self.c, table).map_err(&sql)? {
            return Ok(Layer::empty(kind));
        }
        let info = table_info(self.c, self.path, table)?;
        let fields: Vec<&Column> = info
            .columns
            .iter()
            .filter(|c| c.name != info.pk && c.name != info.geom)
            .filter(|c| c.name != ID && c.name != UPDATED_AT)
            .collect();
        let list: String = fields.iter().map(|c| format!(", {}", q(&c.name))).collect();
        let (pk, g) = (q(&info.pk), q(&info.geom));
        let mut st = self
            .c
            .prepare(&format!(
                "SELECT {pk}, {ID}, {g}{list} FROM {} ORDER BY {pk}",
                q(table)
            ))
            .map_err(&sql)?;
        let mut rs = st.query([]).map_err(&sql)?;
        let file = self
            .path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let defaults = match serde_json::to_value(P::default()) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        };
        let mut out = Vec::new();
        while let Some(r) = rs.next().map_err(&sql)? {
            let fid: i64 = r.get(0).map_err(&sql)?;
            let id = match r.get_ref(1).map_err(&sql)? {
                ValueRef::Text(s) => String::from_utf8_lossy(s).into_owned(),
                ValueRef::Integer(i) => i.to_string(),
                _ => return Err(self.field(table, &format!("fid {fid}"), ID, "no id")),
            };
            let geometry = match r.get_ref(2).map_err(&sql)? {
                ValueRef::Blob(b) => wkb::decode(b).map_err(|source| StoreError::Geometry {
                    path: self.path.to_path_buf(),
                    table: table.into(),
                    id: id.clone(),
                    column: info.geom.clone(),
                    source,
                })?,
                _ => return Err(self.field(table, &id, &info.geom, "no geometry")),
            };
            let mut m = Map::new();
            for (i, c) in fields.iter().enumerate() {
                let v = json_of(r.get_ref(3 + i).map_err(&sql)?, c.ty)
                    .map_err(|e| self.field(table, &id, &c.name, &e))?;
                m.insert(c.name.clone(), v);
            }
            let props = self.props::<P>(table, &id, m, &defaults)?;
            out.push(Feature {
                id,
                geometry,
                props,
                source: SourceRef {
                    file: format!("{file}/{table}"),
                    position: u64::try_from(fid).unwrap_or_default(),
                },
            });
        }
        Ok(Layer::new(kind, out))
    }

    /// The props of one row. A value another program wrote as text (a list, a record, a
    /// number in a TEXT column) is parsed as JSON when its field needs it; a value that
    /// fits neither way is an error naming its column.
    fn props<P: DeserializeOwned>(
        &self,
        table: &str,
        id: &str,
        mut m: Map<String, Value>,
        defaults: &Map<String, Value>,
    ) -> Result<P, StoreError> {
        let err = match serde_json::from_value::<P>(Value::Object(m.clone())) {
            Ok(p) => return Ok(p),
            Err(e) => e,
        };
        let fits = |k: &str, v: &Value| {
            let mut one = defaults.clone();
            one.insert(k.into(), v.clone());
            serde_json::from_value::<P>(Value::Object(one)).map(|_| ())
        };
        for (k, v) in m.iter_mut() {
            let Err(e) = fits(k, v) else { continue };
            let parsed = match v {
                Value::String(s) => serde_json::from_str::<Value>(s).ok(),
                _ => None,
            };
            match parsed {
                Some(p) if fits(k, &p).is_ok() => *v = p,
                _ => return Err(self.field(table, id, k, &format!("{v}: {e}"))),
            }
        }
        serde_json::from_value::<P>(Value::Object(m))
            .map_err(|_| self.field(table, id, "(row)", &err.to_string()))
    }

    fn field(&self, table: &str, id: &str, column: &str, reason: &str) -> StoreError {
        StoreError::Field {
            path: PathBuf::from(self.path),
            table: table.into(),
            id: id.into(),
            column: column.into(),
            reason: reason.into(),
        }
    }
}

/// The JSON value of one cell.
fn json_of(v: ValueRef<'_>, ty: ColType) -> Result<Value, String> {
    Ok(match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) if ty == ColType::Boolean => Value::Bool(i != 0),
        ValueRef::Integer(i) => Value::from(i),
        ValueRef::Real(f) => serde_json::Number::from_f64(f)
            .map(Value::Number)
            .ok_or_else(|| format!("{f} is not a finite number"))?,
        ValueRef::Text(s) => {
            let s = std::str::from_utf8(s).map_err(|e| format!("text is not UTF-8: {e}"))?;
            if ty == ColType::Json {
                serde_json::from_str(s).map_err(|e| format!("not JSON: {e}"))?
            } else {
                Value::String(s.into())
            }
        }
        ValueRef::Blob(_) => return Err("a BLOB where a ledger value was expected".into()),
    })
}
