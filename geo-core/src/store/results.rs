//! The results of an analysis written into a GeoPackage beside its ledgers, one feature
//! table each (`result_…`), registered with their geometry and R-tree so that GIS
//! software shows them as layers.
//!
//! Each table holds what the GeoJSON export of the result holds: `fid`, `geom`, `id`
//! (the export's id) and one column per property. Records of numbers (counts per level)
//! become one column per member (`houses_major`); reasons become text, one `rule: text`
//! per reason joined by `; ` (`reasons`, and `reasons_zh` in Chinese); other lists are
//! JSON text. Every write replaces all result tables in one transaction and leaves the
//! ledger tables alone.
//!
//! The tables are built here once (`ResultTable`: rows aligned with typed columns)
//! and written by the GeoPackage writer below or the PostGIS one (`pg_results`), so
//! that both stores hold the same rows and columns.

use std::collections::HashMap;
use std::path::Path;

use geo::{BoundingRect, Geometry, Rect};
use rusqlite::types::Value as Sql;
use rusqlite::{Connection, OpenFlags, params_from_iter};
use serde_json::{Map, Value};

use super::columns::{ColType, not_gpkg, sql_err};
use super::schema::{self, SRS_ID, q};
use super::{RESULT_PREFIX, StoreError, wkb};
use crate::analysis::Analysis;
use crate::dataset::Dataset;
use crate::export::{self, FieldPolicy};
use crate::model::LayerKind;

/// The table of the area summaries (the other result tables are named after their layer).
pub const AREA_SUMMARIES: &str = "result_area_summaries";

/// The name of a result layer's table: `result_` and the layer's name.
pub fn table_name(kind: LayerKind) -> String {
    format!("{RESULT_PREFIX}{}", kind.name())
}

/// The result layers written as tables, in the order they are written (the area
/// summaries come last).
const RESULT_LAYERS: [LayerKind; 6] = [
    LayerKind::ProtectionConflicts,
    LayerKind::PipelineConflicts,
    LayerKind::HouseRisk,
    LayerKind::EnterpriseRisk,
    LayerKind::HazardGrades,
    LayerKind::RiskGrid,
];

/// One result table as every store writes it: built once from the analysis, then
/// written by the GeoPackage writer here or the PostGIS one (`pg_results`).
pub(super) struct ResultTable {
    /// `result_…`.
    pub(super) name: String,
    /// The one geometry type of its rows (`POINT`, `POLYGON` …, as [`wkb::type_name`]
    /// names them), or `GEOMETRY` when they mix types or there is none.
    pub(super) geom_type: &'static str,
    /// The field columns besides `fid`, `geom` and `id`, in the order first met, typed
    /// from every row's values.
    pub(super) columns: Vec<(String, ColType)>,
    /// The features.
    pub(super) rows: Vec<ResultRow>,
}

/// One result feature.
pub(super) struct ResultRow {
    /// The export's id.
    pub(super) id: String,
    /// Lon/lat; `None` for an area summary whose area has no feature.
    pub(super) geometry: Option<Geometry<f64>>,
    /// One value per column of the table, in its order (`Null` where the feature has no
    /// such field).
    pub(super) values: Vec<Value>,
}

/// The result tables of `a`, each built when it is asked for (one table's rows in
/// memory at a time). Fields the default [`FieldPolicy`] denies (phone numbers) are
/// left out, as in the exports.
pub(super) fn result_tables<'a>(
    ds: &'a Dataset,
    a: &'a Analysis,
) -> impl Iterator<Item = ResultTable> + 'a {
    let layers = RESULT_LAYERS.into_iter().map(move |kind| {
        let policy = FieldPolicy::default();
        let mut t = TableBuilder::default();
        for pos in 0..export::layer_len(kind, ds, a) {
            let Some((id, g)) = export::id_and_geometry(kind, ds, a, pos) else {
                continue;
            };
            let Some(props) = export::properties_of(kind, ds, a, pos, &policy) else {
                continue;
            };
            t.push(id.into_owned(), Some(g.into_owned()), flatten(props));
        }
        t.finish(table_name(kind))
    });
    let summaries = std::iter::once_with(move || {
        let mut t = TableBuilder::default();
        for s in &a.area_summaries {
            let props = match serde_json::to_value(s) {
                Ok(Value::Object(m)) => m,
                _ => Map::new(),
            };
            let geometry = ds.areas.find_id(&s.id).map(|(_, f)| f.geometry.clone());
            t.push(s.id.clone(), geometry, flatten(props));
        }
        t.finish(AREA_SUMMARIES.to_string())
    });
    layers.chain(summaries)
}

/// Collects the rows of one table, placing each value in its column.
#[derive(Default)]
struct TableBuilder {
    columns: Vec<(String, Option<ColType>)>,
    index: HashMap<String, usize>,
    rows: Vec<ResultRow>,
}

impl TableBuilder {
    fn push(&mut self, id: String, geometry: Option<Geometry<f64>>, fields: Vec<(String, Value)>) {
        let mut values = vec![Value::Null; self.columns.len()];
        for (i, (k, v)) in fields.into_iter().enumerate() {
            if matches!(k.as_str(), "fid" | "geom" | "id") {
                continue;
            }
            // Rows of a table mostly have the same fields in the same order.
            let col = match self.columns.get(i) {
                Some((n, _)) if *n == k => i,
                _ => match self.index.get(&k) {
                    Some(&j) => j,
                    None => {
                        let j = self.columns.len();
                        self.index.insert(k.clone(), j);
                        self.columns.push((k, None));
                        values.push(Value::Null);
                        j
                    }
                },
            };
            let ty = &mut self.columns[col].1;
            *ty = ColType::join(*ty, ColType::of(&v));
            values[col] = v;
        }
        self.rows.push(ResultRow {
            id,
            geometry,
            values,
        });
    }

    fn finish(self, name: String) -> ResultTable {
        let n = self.columns.len();
        let mut rows = self.rows;
        for r in &mut rows {
            r.values.resize(n, Value::Null);
        }
        let mut types = rows
            .iter()
            .filter_map(|r| r.geometry.as_ref())
            .map(wkb::type_name);
        let geom_type = match types.next() {
            Some(first) if types.all(|t| t == first) => first,
            _ => "GEOMETRY",
        };
        ResultTable {
            name,
            geom_type,
            columns: self
                .columns
                .into_iter()
                .map(|(n, t)| (n, t.unwrap_or(ColType::Text)))
                .collect(),
            rows,
        }
    }
}

/// Replaces the result tables of the GeoPackage at `path` (which must exist: its ledgers
/// are what the results were computed from) by those of `a`, in one transaction; the
/// ledger tables are not touched. Returns each table written with its feature count.
/// Fields the default [`FieldPolicy`] denies (phone numbers) are left out, as in the
/// exports.
pub fn write_results(
    path: &Path,
    ds: &Dataset,
    a: &Analysis,
) -> Result<Vec<(String, usize)>, StoreError> {
    let sql = sql_err(path);
    if !path.is_file() {
        return Err(not_gpkg(path, "no such file"));
    }
    let mut c = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sql)?;
    c.busy_timeout(super::gpkg::BUSY_TIMEOUT).map_err(sql)?;
    if !schema::table_exists(&c, "gpkg_contents").map_err(sql)? {
        return Err(not_gpkg(path, "no gpkg_contents table"));
    }
    schema::register_functions(&c).map_err(sql)?;
    let tx = c.transaction().map_err(sql)?;
    drop_results(&tx).map_err(sql)?;
    let mut written = Vec::new();
    for table in result_tables(ds, a) {
        write_table(&tx, &table).map_err(sql)?;
        written.push((table.name, table.rows.len()));
    }
    tx.commit().map_err(sql)?;
    Ok(written)
}

/// Drops every result table with its R-tree and metadata rows.
fn drop_results(c: &Connection) -> rusqlite::Result<()> {
    let tables: Vec<String> = {
        let mut st = c.prepare(
            "SELECT table_name FROM gpkg_contents WHERE substr(table_name, 1, ?2) = ?1
             UNION SELECT name FROM sqlite_master WHERE type = 'table'
               AND substr(name, 1, ?2) = ?1",
        )?;
        st.query_map(
            rusqlite::params![RESULT_PREFIX, RESULT_PREFIX.len() as i64],
            |r| r.get(0),
        )?
        .collect::<Result<_, _>>()?
    };
    for t in tables {
        let geoms: Vec<String> = {
            let mut st =
                c.prepare("SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?")?;
            st.query_map([&t], |r| r.get(0))?
                .collect::<Result<_, _>>()?
        };
        for g in geoms {
            c.execute_batch(&format!(
                "DROP TABLE IF EXISTS {}",
                q(&format!("rtree_{t}_{g}"))
            ))?;
        }
        c.execute_batch(&format!("DROP TABLE IF EXISTS {}", q(&t)))?;
        for meta in [
            "gpkg_extensions",
            "gpkg_data_columns",
            "gpkg_geometry_columns",
            "gpkg_contents",
        ] {
            c.execute(&format!("DELETE FROM {meta} WHERE table_name = ?"), [&t])?;
        }
    }
    Ok(())
}

/// Creates one result table, registers it, builds its R-tree and fills it.
fn write_table(c: &Connection, t: &ResultTable) -> rusqlite::Result<()> {
    let (table, rows, cols, geom_type) = (t.name.as_str(), &t.rows, &t.columns, t.geom_type);
    let defs: String = cols
        .iter()
        .map(|(n, t)| format!(", {} {}", q(n), t.sql()))
        .collect();
    c.execute_batch(&format!(
        "CREATE TABLE {t} (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, geom {geom_type},
           id TEXT NOT NULL{defs})",
        t = q(table)
    ))?;
    let extent = rows
        .iter()
        .filter_map(|r| r.geometry.as_ref().and_then(|g| g.bounding_rect()))
        .reduce(|a, b| {
            Rect::new(
                (a.min().x.min(b.min().x), a.min().y.min(b.min().y)),
                (a.max().x.max(b.max().x), a.max().y.max(b.max().y)),
            )
        });
    c.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, min_x,
           min_y, max_x, max_y, srs_id) VALUES (?1, 'features', ?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        rusqlite::params![
            table,
            "RiskMap analysis result",
            extent.map(|r| r.min().x),
            extent.map(|r| r.min().y),
            extent.map(|r| r.max().x),
            extent.map(|r| r.max().y),
            SRS_ID
        ],
    )?;
    c.execute(
        "INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', ?, ?, 0, 0)",
        rusqlite::params![table, geom_type, SRS_ID],
    )?;
    schema::create_rtree(c, table, "geom", "fid")?;
    let names: String = cols.iter().map(|(n, _)| format!(", {}", q(n))).collect();
    let marks = vec!["?"; cols.len() + 2].join(", ");
    let mut ins = c.prepare(&format!(
        "INSERT INTO {} (geom, id{names}) VALUES ({marks})",
        q(table)
    ))?;
    for r in rows {
        let geom = match &r.geometry {
            Some(g) => Sql::Blob(wkb::encode(g, SRS_ID)),
            None => Sql::Null,
        };
        let vals = cols.iter().zip(&r.values).map(|((_, t), v)| t.to_sql(v));
        let params = [geom, Sql::Text(r.id.clone())].into_iter().chain(vals);
        ins.execute(params_from_iter(params))?;
    }
    Ok(())
}

/// The properties of the result layers that are counts per level, `[low, general,
/// significant, major]`.
const PER_LEVEL: [&str; 4] = ["houses", "enterprises", "grid_cells", "inside_by_level"];
/// The levels' names in the columns of such counts, in their order.
const LEVELS: [&str; 4] = ["low", "general", "significant", "major"];

/// The columns of one result feature: records of plain values one column per member,
/// reasons as text, other lists and records as JSON text.
fn flatten(m: Map<String, Value>) -> Vec<(String, Value)> {
    let plain = |v: &Value| !matches!(v, Value::Array(_) | Value::Object(_));
    let mut out = Vec::with_capacity(m.len());
    for (k, v) in m {
        match v {
            // Counts per level (`analysis::risk_grid::LevelCounts`, low to major): one
            // column per level, which a GIS user filters and styles by.
            Value::Array(a)
                if PER_LEVEL.contains(&k.as_str())
                    && a.len() == 4
                    && a.iter().all(Value::is_number) =>
            {
                for (level, n) in LEVELS.iter().zip(a) {
                    out.push((format!("{k}_{level}"), n));
                }
            }
            Value::Object(o) if o.values().all(plain) => {
                for (sk, sv) in o {
                    out.push((format!("{k}_{sk}"), sv));
                }
            }
            Value::Array(a) if k == "reasons" => {
                let lines = |key: &str| {
                    let t: Vec<String> = a
                        .iter()
                        .map(|r| {
                            let text = r[key].as_str().unwrap_or_default();
                            match r["rule"].as_str() {
                                Some(rule) => format!("{rule}: {text}"),
                                None => text.to_string(),
                            }
                        })
                        .collect();
                    if t.is_empty() {
                        Value::Null
                    } else {
                        Value::String(t.join("; "))
                    }
                };
                out.push(("reasons".into(), lines("text")));
                out.push(("reasons_zh".into(), lines("text_zh")));
            }
            Value::Array(_) | Value::Object(_) => out.push((k, Value::String(v.to_string()))),
            v => out.push((k, v)),
        }
    }
    out
}
