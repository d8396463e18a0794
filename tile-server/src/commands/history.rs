//! `riskmap history SOURCE.gpkg | --db URL`: who changed what, and when, from the
//! store's trail.

use riskmap_core::model::LayerKind;
use riskmap_core::store::changes::{ChangeOp, ChangeQuery, ChangeRecord};
use riskmap_core::store::{gpkg, pg};
use serde_json::Value;

use super::CliError;
use super::db::with_db;
use crate::args::HistoryArgs;

/// Lists the change records of a GeoPackage or a PostGIS database (the same records,
/// `before` and `after` as GeoJSON Features), filtered by sequence, layer and id: a
/// table (sequence, time, actor, operation, layer, id, what changed) or, with `--json`,
/// the records in full.
pub fn history(args: &HistoryArgs) -> Result<(), CliError> {
    let layer = match &args.layer {
        Some(l) => Some(
            LayerKind::parse(l)
                .ok_or_else(|| CliError::Usage(format!("unknown input layer {l:?}")))?
                .name(),
        ),
        None => None,
    };
    // Filtered by the store (its index on layer and id): one house's history is not a
    // read of the million records of an import.
    let q = ChangeQuery {
        since: args.since,
        layer: layer.map(str::to_string),
        id: args.id.clone(),
        limit: None,
    };
    let records: Vec<ChangeRecord> = match (&args.db, &args.source) {
        (Some(url), _) => with_db(url, |client, db| {
            let q = q.clone();
            async move { Ok(pg::changes_page(&client, &db, &q).await?) }
        })?,
        (None, Some(path)) => gpkg::changes_page(path, &q)?,
        (None, None) => {
            return Err(CliError::Usage(
                "history: give the GeoPackage, or --db URL".into(),
            ));
        }
    };
    if args.json {
        let out: Vec<Value> = records
            .iter()
            .map(|r| {
                let mut v = serde_json::to_value(r).unwrap_or(Value::Null);
                if let Value::Object(m) = &mut v {
                    m.insert("changed".into(), r.changed_fields().into());
                }
                v
            })
            .collect();
        let text = serde_json::to_string_pretty(&out)
            .map_err(|e| CliError::Usage(format!("cannot write JSON: {e}")))?;
        println!("{text}");
        return Ok(());
    }
    if records.is_empty() {
        println!("no changes");
        return Ok(());
    }
    let rows: Vec<[String; 7]> = records
        .iter()
        .map(|r| {
            [
                r.seq.to_string(),
                r.at.clone(),
                r.actor.clone(),
                r.op.as_str().to_string(),
                r.layer.clone(),
                r.id.clone(),
                what_changed(r),
            ]
        })
        .collect();
    let head = ["seq", "at", "actor", "op", "layer", "id", "changes"];
    let mut widths = head.map(|h| h.chars().count());
    for row in &rows {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &[&str]| {
        let n = cells.len();
        cells
            .iter()
            .zip(widths)
            .enumerate()
            .map(|(i, (c, w))| {
                if i + 1 == n {
                    c.to_string()
                } else {
                    format!("{c}{}", " ".repeat(w - c.chars().count()))
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
    };
    println!("{}", line(&head));
    for row in &rows {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        println!("{}", line(&cells));
    }
    Ok(())
}

/// The fields that changed: `field: old → new` for an update (`geometry` alone, its
/// coordinates being too long to show), the fields given for an insert or a delete.
fn what_changed(r: &ChangeRecord) -> String {
    let fields = r.changed_fields();
    match r.op {
        ChangeOp::Insert | ChangeOp::Delete => fields.join(", "),
        ChangeOp::Update => fields
            .iter()
            .map(|f| {
                if f == "geometry" {
                    return "geometry".to_string();
                }
                let get = |side: &Option<Value>| {
                    side.as_ref()
                        .and_then(|v| v.get("properties"))
                        .and_then(|p| p.get(f))
                        .map_or_else(|| "null".to_string(), show)
                };
                format!("{f}: {} → {}", get(&r.before), get(&r.after))
            })
            .collect::<Vec<_>>()
            .join("; "),
    }
}

/// A value as a person reads it: text without quotes, shortened past 40 characters.
fn show(v: &Value) -> String {
    let s = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(39).collect::<String>())
    } else {
        s
    }
}
