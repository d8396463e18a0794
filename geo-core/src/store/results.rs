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

/// One result feature, ready to write.
struct Row {
    id: String,
    geometry: Option<Geometry<f64>>,
    fields: Vec<(String, Value)>,
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
    let policy = FieldPolicy::default();
    let mut written = Vec::new();
    for kind in [
        LayerKind::ProtectionConflicts,
        LayerKind::PipelineConflicts,
        LayerKind::HouseRisk,
        LayerKind::EnterpriseRisk,
        LayerKind::HazardGrades,
        LayerKind::RiskGrid,
    ] {
        let rows: Vec<Row> = (0..export::layer_len(kind, ds, a))
            .filter_map(|pos| {
                let (id, g) = export::id_and_geometry(kind, ds, a, pos)?;
                let mut props = export::properties_of(kind, ds, a, pos, &policy)?;
                add_names(&mut props, kind, ds, a, pos);
                Some(Row {
                    id: id.into_owned(),
                    geometry: Some(g.into_owned()),
                    fields: flatten(props),
                })
            })
            .collect();
        let name = table_name(kind);
        write_table(&tx, &name, &rows).map_err(sql)?;
        written.push((name, rows.len()));
    }
    let rows: Vec<Row> = a
        .area_summaries
        .iter()
        .map(|s| {
            let props = match serde_json::to_value(s) {
                Ok(Value::Object(m)) => m,
                _ => Map::new(),
            };
            Row {
                id: s.id.clone(),
                geometry: ds.areas.find_id(&s.id).map(|(_, f)| f.geometry.clone()),
                fields: flatten(props),
            }
        })
        .collect();
    write_table(&tx, AREA_SUMMARIES, &rows).map_err(sql)?;
    written.push((AREA_SUMMARIES.to_string(), rows.len()));
    tx.commit().map_err(sql)?;
    Ok(written)
}

/// The names of the two features a conflict is between, beside their ids.
fn add_names(m: &mut Map<String, Value>, kind: LayerKind, ds: &Dataset, a: &Analysis, pos: usize) {
    let mut put = |key: &str, name: Option<&str>| {
        if let Some(n) = name {
            m.insert(key.into(), Value::String(n.to_string()));
        }
    };
    match kind {
        LayerKind::ProtectionConflicts => {
            if let Some(c) = a.protection_conflicts.get(pos) {
                put("source_name", name_of(ds, c.source_layer, c.source_pos));
                put("target_name", name_of(ds, c.target_layer, c.target_pos));
            }
        }
        LayerKind::PipelineConflicts => {
            if let Some(c) = a.pipeline_conflicts.get(pos) {
                put(
                    "pipeline_name",
                    name_of(ds, LayerKind::GasPipelines, c.pipeline_pos),
                );
                put("feature_name", name_of(ds, c.layer, c.feature_pos));
            }
        }
        LayerKind::Areas
        | LayerKind::Enterprises
        | LayerKind::HazardSources
        | LayerKind::GasPipelines
        | LayerKind::Houses
        | LayerKind::ProtectionTargets
        | LayerKind::HazardGrades
        | LayerKind::HouseRisk
        | LayerKind::EnterpriseRisk
        | LayerKind::RiskGrid => {}
    }
}

/// The name of the feature at `pos` of an input layer (a house's address).
fn name_of(ds: &Dataset, kind: LayerKind, pos: usize) -> Option<&str> {
    match kind {
        LayerKind::Areas => ds.areas.get(pos).map(|f| f.props.name.as_str()),
        LayerKind::Enterprises => ds.enterprises.get(pos).map(|f| f.props.name.as_str()),
        LayerKind::HazardSources => ds.hazard_sources.get(pos).map(|f| f.props.name.as_str()),
        LayerKind::GasPipelines => ds.gas_pipelines.get(pos).map(|f| f.props.name.as_str()),
        LayerKind::Houses => ds.houses.get(pos).map(|f| f.props.address.as_str()),
        LayerKind::ProtectionTargets => ds
            .protection_targets
            .get(pos)
            .map(|f| f.props.name.as_str()),
        LayerKind::HazardGrades
        | LayerKind::ProtectionConflicts
        | LayerKind::PipelineConflicts
        | LayerKind::HouseRisk
        | LayerKind::EnterpriseRisk
        | LayerKind::RiskGrid => None,
    }
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
fn write_table(c: &Connection, table: &str, rows: &[Row]) -> rusqlite::Result<()> {
    // Columns in the order first met, typed from every row's values.
    let mut cols: Vec<(String, Option<ColType>)> = Vec::new();
    for r in rows {
        for (k, v) in &r.fields {
            match cols.iter_mut().find(|(n, _)| n == k) {
                Some((_, t)) => *t = ColType::join(*t, ColType::of(v)),
                None => cols.push((k.clone(), ColType::of(v))),
            }
        }
    }
    let cols: Vec<(String, ColType)> = cols
        .into_iter()
        .filter(|(n, _)| n != "id" && n != "fid" && n != "geom")
        .map(|(n, t)| (n, t.unwrap_or(ColType::Text)))
        .collect();
    let mut types = rows
        .iter()
        .filter_map(|r| r.geometry.as_ref())
        .map(wkb::type_name);
    let geom_type = match types.next() {
        Some(first) if types.all(|t| t == first) => first,
        _ => "GEOMETRY",
    };
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
        let vals = cols.iter().map(|(n, t)| {
            r.fields
                .iter()
                .find(|(k, _)| k == n)
                .map_or(Sql::Null, |(_, v)| t.to_sql(v))
        });
        let params = [geom, Sql::Text(r.id.clone())].into_iter().chain(vals);
        ins.execute(params_from_iter(params))?;
    }
    Ok(())
}

/// The columns of one result feature: records of plain values one column per member,
/// reasons as text, other lists and records as JSON text.
fn flatten(m: Map<String, Value>) -> Vec<(String, Value)> {
    let plain = |v: &Value| !matches!(v, Value::Array(_) | Value::Object(_));
    let mut out = Vec::with_capacity(m.len());
    for (k, v) in m {
        match v {
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
