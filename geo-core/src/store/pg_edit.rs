//! Edits of a living map written into a PostGIS store, and the change table read back.
//!
//! [`apply_change`] writes one change (a feature put by id, or deleted) in one
//! transaction that sets `riskmap.actor` for itself (`set_config(…, true)`): the row
//! triggers record it in `riskmap_changes` with that actor, the row before and after,
//! and notify, exactly as for an edit in QGIS — so a server following the store applies
//! it as it applies every other change of the tables. The caller names the last change
//! its copy of the feature reflects; a change of the same feature recorded after it by
//! another transaction (committed, not yet served) means the copy is stale, and the
//! transaction is rolled back ([`EditOutcome::Stale`]) rather than overwrite what the
//! caller has not seen.
//!
//! [`changes_since`] lists the change table as [`ChangeRecord`]s, `before` and `after`
//! as GeoJSON Features like a GeoPackage's trail.

use std::collections::BTreeMap;

use futures_util::TryFutureExt;
use futures_util::future::{try_join, try_join4};
use serde::Serialize;
use serde_json::{Map, Number, Value};
use tokio_postgres::Client;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{ToSql, Type};

use super::StoreError;
use super::changes::{ChangeOp, ChangeQuery, ChangeRecord};
use super::columns::ColType;
use super::pg::{Db, Writer, declared_type, ewkb_hex, field_text, ledger_props};
use super::pg_schema::{CHANGES, VERSION_TABLE, field_columns};
use crate::live::{AnyFeature, Change};
use crate::model::{Feature, LayerKind};

/// What [`apply_change`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditOutcome {
    /// Committed. `seq`: the number of the change it recorded; `None` when the row was
    /// already as asked (nothing recorded, nothing notified).
    Written {
        /// The change's number in `riskmap_changes`.
        seq: Option<i64>,
    },
    /// Rolled back, nothing written: another transaction held a lock the edit needs (the
    /// row's, a new id's, the table's to widen its column) longer than the edit's
    /// `lock_timeout` (an open editing session).
    Locked,
    /// Rolled back, nothing written: another transaction changed the feature after the
    /// change the caller's copy reflects.
    Stale {
        /// The number of that other change (the latest one).
        seq: i64,
        /// Who made it.
        actor: String,
    },
    /// Rolled back, nothing written: the table's row is not as the caller's copy has it
    /// and no change of it is recorded after that copy (written with the change table's
    /// triggers off, or before the tables were followed): the caller's copy has the
    /// feature and the table has no row of its id (`exists` false), or the other way round.
    Unseen {
        /// Whether the table has a row of the id.
        exists: bool,
    },
}

/// Who makes an edit ([`apply_change`]), and what their copy of the feature reflects.
pub struct EditBy<'a> {
    /// Recorded as the change's author (`riskmap.actor`).
    pub actor: &'a str,
    /// The last change of the tables the caller's copy reflects in order.
    pub served_seq: i64,
    /// Whether the caller's copy has change `seq` though it is after `served_seq`.
    pub seen: &'a (dyn Fn(i64) -> bool + Sync),
    /// How long the transaction waits for another one's lock on the row.
    pub lock_timeout: std::time::Duration,
}

/// Writes `change` as made by `edit.actor` in one transaction: a feature after it is inserted,
/// or rewrites the row of its id (`INSERT … ON CONFLICT (id) DO UPDATE`; columns a
/// department added are left alone; a geometry of another type widens the column as an
/// import does); no feature after it deletes the row of its id. The row triggers record
/// the change (who, when, the row before and after) and notify, in the same transaction.
///
/// `edit.served_seq` is the number of the last change the caller's copy of the feature
/// reflects: when `riskmap_changes` holds a change of the same feature after it made by
/// another transaction, and `edit.seen` does not say the copy has it anyway (a change
/// the caller applied itself, out of the order of the numbers), nothing is written and
/// the outcome is [`EditOutcome::Stale`]. The row is locked first, so a concurrent edit
/// of the same row either committed before (and is seen) or waits for this one, at most
/// `edit.lock_timeout` (then an error: another transaction holds the row). A delete of
/// an id the table does not have is an error, as in the GeoPackage store.
pub async fn apply_change(
    client: &mut Client,
    db: &Db,
    change: &Change,
    edit: &EditBy<'_>,
) -> Result<EditOutcome, StoreError> {
    // A lock waited for past `lock_timeout` — the row's, a new id's that another session
    // is inserting, the table's when its column is widened — ends the transaction, which
    // is rolled back as it is dropped.
    match write_change(client, db, change, edit).await {
        Err(StoreError::Postgres { source, .. })
            if source.code() == Some(&SqlState::LOCK_NOT_AVAILABLE) =>
        {
            Ok(EditOutcome::Locked)
        }
        r => r,
    }
}

/// [`apply_change`] but for a lock not had in time, which is an error here.
async fn write_change(
    client: &mut Client,
    db: &Db,
    change: &Change,
    edit: &EditBy<'_>,
) -> Result<EditOutcome, StoreError> {
    let (actor, served_seq) = (edit.actor, edit.served_seq);
    let kind = change.layer;
    let t = kind.name();
    if field_columns(kind).is_none() {
        return Err(db.problem(format!("{t} is not an input layer")));
    }
    if let Some(f) = &change.after
        && (f.layer() != kind || f.id() != change.id)
    {
        return Err(db.problem(format!(
            "table {t}: the change of id {:?} carries feature {:?} of {}",
            change.id,
            f.id(),
            f.layer().name()
        )));
    }
    let tx = client
        .transaction()
        .await
        .map_err(db.err("starting a transaction"))?;
    // What the change needs before it is written, in one round trip: the statements
    // are sent together (pipelined) and each gives its parameters' types, so none is
    // prepared first.
    let lock = format!("SELECT 1 FROM {t} WHERE id = $1 FOR UPDATE");
    // Whole milliseconds, at least one (0 would mean no limit).
    let lock_timeout = format!("{}ms", edit.lock_timeout.as_millis().max(1));
    let schema = format!("SELECT srid FROM {VERSION_TABLE}");
    let joined = try_join4(
        tx.query_typed_one(
            "SELECT set_config('riskmap.actor', $1, true), set_config('lock_timeout', $2, true)",
            &[(&actor, Type::TEXT), (&lock_timeout, Type::TEXT)],
        )
        .map_err(db.err("setting the actor")),
        tx.query_typed_opt(&schema, &[])
            .map_err(db.err("reading the schema (run `riskmap db init`)")),
        tx.query_typed(&lock, &[(&change.id, Type::TEXT)])
            .map_err(db.err("locking the row")),
        async {
            match &change.after {
                Some(_) => declared_type(&tx, t)
                    .await
                    .map(Some)
                    .map_err(db.err("reading the geometry type")),
                None => Ok(None),
            }
        },
    )
    .await;
    let (_, srid, locked, declared) = joined?;
    let srid: i32 = srid
        .ok_or_else(|| db.problem(format!("{VERSION_TABLE} is empty")))?
        .get(0);
    let w = Writer { tx: &tx, db, srid };
    if let (Some(f), Some(declared)) = (&change.after, declared.as_deref()) {
        w.widen_from(t, declared, [f.geometry()]).await?;
    }
    // The row written, then the changes of this feature after the caller's copy (this
    // transaction's own, whose rows carry its transaction id, and any other one's):
    // sent together and run in the order sent. The write goes first: `try_join` polls it
    // first, and it sends its statement before it waits for anything (the column was
    // widened above).
    let write = async {
        let Some(f) = &change.after else {
            return tx
                .query_typed(
                    &format!("DELETE FROM {t} WHERE id = $1 RETURNING 1"),
                    &[(&change.id, Type::TEXT)],
                )
                .await
                .map(|rows| Some(rows.len()))
                .map_err(db.err("deleting a row"));
        };
        match f {
            AnyFeature::Area(f) => w.put(kind, f).await?,
            AnyFeature::Enterprise(f) => w.put(kind, f).await?,
            AnyFeature::HazardSource(f) => w.put(kind, f).await?,
            AnyFeature::GasPipeline(f) => w.put(kind, f).await?,
            AnyFeature::House(f) => w.put(kind, f).await?,
            AnyFeature::ProtectionTarget(f) => w.put(kind, f).await?,
            AnyFeature::HiddenHazard(f) => w.put(kind, f).await?,
        }
        Ok(None)
    };
    let changes = format!(
        "SELECT seq, actor, xmin = pg_current_xact_id()::xid FROM {CHANGES}
         WHERE layer = $1 AND id = $2 AND seq > $3 ORDER BY seq"
    );
    let params: [(&(dyn ToSql + Sync), Type); 3] = [
        (&t, Type::TEXT),
        (&change.id, Type::TEXT),
        (&served_seq, Type::INT8),
    ];
    let read = tx
        .query_typed(&changes, &params)
        .map_err(db.err("reading the feature's changes"));
    let (removed, rows) = try_join(write, read).await?;
    let mut mine = None;
    let mut other = None;
    for r in &rows {
        let (seq, who, own): (i64, String, bool) = (r.get(0), r.get(1), r.get(2));
        if own {
            mine = Some(seq);
        } else if !(edit.seen)(seq) {
            other = Some((seq, who));
        }
    }
    if let Some((seq, actor)) = other {
        tx.rollback().await.map_err(db.err("rolling back"))?;
        return Ok(EditOutcome::Stale { seq, actor });
    }
    // The row as the caller's copy has it, or not at all: a row deleted or inserted
    // without a record is not written over (nor a deleted one written back).
    let exists = !locked.is_empty();
    let mut unseen = match (&change.before, &change.after) {
        (before, Some(_)) => exists != before.is_some(),
        (Some(_), None) => !exists,
        (None, None) => false,
    };
    // A row the caller does not serve though the table has it, with its change
    // recorded, is one the checks refused (a NULL geometry from QGIS): an edit that
    // makes it right is what it waits for.
    if unseen && exists && change.before.is_none() {
        let recorded = tx
            .query_typed_one(
                &format!("SELECT EXISTS (SELECT 1 FROM {CHANGES} WHERE layer = $1 AND id = $2)"),
                &[(&t, Type::TEXT), (&change.id, Type::TEXT)],
            )
            .await
            .map_err(db.err("reading the feature's changes"))?;
        unseen = !recorded.get::<_, bool>(0);
    }
    if unseen {
        tx.rollback().await.map_err(db.err("rolling back"))?;
        return Ok(EditOutcome::Unseen { exists });
    }
    if removed == Some(0) {
        return Err(db.problem(format!("table {t} has no row {:?} to delete", change.id)));
    }
    tx.commit().await.map_err(db.err("committing"))?;
    Ok(EditOutcome::Written { seq: mine })
}

impl Writer<'_> {
    /// Inserts one feature's row, or rewrites the row of its id (the row triggers set
    /// `updated_at` and record the change when a value really differs). The column is
    /// widened for it before ([`Writer::widen_from`]).
    async fn put<P: Serialize>(&self, kind: LayerKind, f: &Feature<P>) -> Result<(), StoreError> {
        let (tx, db) = (self.tx, self.db);
        let t = kind.name();
        let fields =
            field_columns(kind).ok_or_else(|| db.problem(format!("{t} is not an input layer")))?;
        let mut hex = Vec::with_capacity(128);
        ewkb_hex(&mut hex, &f.geometry, self.srid);
        let hex = String::from_utf8(hex).map_err(|e| db.problem(e.to_string()))?;
        let props = ledger_props(f);
        let values: Vec<Option<String>> = fields
            .iter()
            .map(|(n, ty)| field_text(props.get(*n), *ty))
            .collect();
        let names: String = fields.iter().map(|(n, _)| format!(", {n}")).collect();
        let marks: String = fields
            .iter()
            .enumerate()
            .map(|(i, (_, ty))| format!(", ${}::text::{}", i + 3, ty.pg()))
            .collect();
        let sets: String = fields
            .iter()
            .map(|(n, _)| format!(", {n} = EXCLUDED.{n}"))
            .collect();
        let sql = format!(
            "INSERT INTO {t} (id, geom{names}) VALUES ($1, $2::text::geometry{marks})
             ON CONFLICT (id) DO UPDATE SET geom = EXCLUDED.geom{sets}"
        );
        // Every parameter is text (the SQL casts each to its column's type).
        let mut params: Vec<(&(dyn ToSql + Sync), Type)> =
            vec![(&f.id, Type::TEXT), (&hex, Type::TEXT)];
        params.extend(
            values
                .iter()
                .map(|v| (v as &(dyn ToSql + Sync), Type::TEXT)),
        );
        tx.query_typed(&sql, &params)
            .await
            .map_err(db.err("writing a row"))?;
        Ok(())
    }
}

/// The change records after `seq` (0: all of them), in order; none when the database has
/// no change table. `before` and `after` are GeoJSON Features as a GeoPackage's trail has
/// them (`row_feature`); `at` is UTC, ISO 8601 with milliseconds.
pub async fn changes_since(
    client: &Client,
    db: &Db,
    seq: i64,
) -> Result<Vec<ChangeRecord>, StoreError> {
    let q = ChangeQuery {
        since: u64::try_from(seq).unwrap_or(0),
        ..ChangeQuery::default()
    };
    changes_page(client, db, &q).await
}

/// The states the change table recorded of some features of a layer, by id, newest
/// first, back to the first that is no row (a deletion's `after`, an insertion's
/// `before`): the states each feature had since it last came to be. In one query.
pub async fn recorded_states(
    client: &Client,
    db: &Db,
    layer: LayerKind,
    ids: &[&str],
) -> Result<BTreeMap<String, Vec<Value>>, StoreError> {
    let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    if ids.is_empty() || !super::pg::table_exists(client, db, CHANGES).await? {
        return Ok(out);
    }
    let ids: Vec<String> = ids.iter().map(|s| (*s).to_string()).collect();
    let rows = client
        .query(
            &format!(
                "SELECT id, before::text, after::text FROM {CHANGES}
                 WHERE layer = $1 AND id = ANY($2) ORDER BY id, seq DESC"
            ),
            &[&layer.name(), &ids],
        )
        .await
        .map_err(db.err("reading the changes"))?;
    // (an id whose newest-first walk reached a state that is no row)
    let mut ended: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    for r in &rows {
        let id: String = r.get(0);
        if ended.contains(&id) {
            continue;
        }
        let states = out.entry(id.clone()).or_default();
        // Newest first: the record's after, then its before.
        for i in [2, 1] {
            let text: Option<String> = r.get(i);
            match text.and_then(|t| serde_json::from_str(&t).ok()) {
                Some(v) => states.push(row_feature(Some(layer), v)),
                None => {
                    ended.insert(id.clone());
                    break;
                }
            }
        }
    }
    Ok(out)
}

/// The change records a query names, in order.
pub async fn changes_page(
    client: &Client,
    db: &Db,
    q: &ChangeQuery,
) -> Result<Vec<ChangeRecord>, StoreError> {
    if !super::pg::table_exists(client, db, CHANGES).await? {
        return Ok(Vec::new());
    }
    let (clause, filters) = q.sql(|n| format!("${n}"));
    let since = i64::try_from(q.since).unwrap_or(i64::MAX);
    // (a NULL limit is none)
    let limit = q.limit.map(|n| i64::try_from(n).unwrap_or(i64::MAX));
    let mut params: Vec<&(dyn ToSql + Sync)> = vec![&since];
    params.extend(filters.iter().map(|f| f as &(dyn ToSql + Sync)));
    params.push(&limit);
    let rows = client
        .query(
            &format!(
                "SELECT seq,
                   to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),
                   actor, layer, id, op, before::text, after::text
                 FROM {CHANGES} {clause}"
            ),
            &params,
        )
        .await
        .map_err(db.err("reading the changes"))?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let seq: i64 = r.get(0);
        let bad = |reason: String| db.problem(format!("{CHANGES}, seq {seq}: {reason}"));
        let layer: String = r.get(3);
        let op: String = r.get(5);
        let op = ChangeOp::parse(&op).ok_or_else(|| bad(format!("unknown op {op:?}")))?;
        let kind = LayerKind::from_name(&layer);
        let json = |i: usize| -> Result<Option<Value>, StoreError> {
            r.get::<_, Option<String>>(i)
                .map(|t| {
                    serde_json::from_str(&t)
                        .map(|v| row_feature(kind, v))
                        .map_err(|e| bad(format!("not JSON: {e}")))
                })
                .transpose()
        };
        out.push(ChangeRecord {
            seq: u64::try_from(seq).unwrap_or(0),
            at: r.get(1),
            actor: r.get(2),
            id: r.get(4),
            op,
            before: json(6)?,
            after: json(7)?,
            layer,
        });
    }
    Ok(out)
}

/// The changes made from `cutoff` on (the first 19 characters of a UTC time, see
/// [`super::history::day_end_utc`]), in order, and the `at` of the table's first record,
/// written as [`changes_since`] writes it (`None`: no change table, or an empty one).
/// Times increase with `seq`, so the first change from `cutoff` on is found by a binary
/// search over `seq`, without reading the rest.
pub async fn changes_from(
    client: &Client,
    db: &Db,
    cutoff: &str,
) -> Result<(Option<String>, Vec<ChangeRecord>), StoreError> {
    if !super::pg::table_exists(client, db, CHANGES).await? {
        return Ok((None, Vec::new()));
    }
    let st = client
        .prepare(&format!(
            "SELECT seq, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')
             FROM {CHANGES} WHERE seq >= $1 ORDER BY seq LIMIT 1"
        ))
        .await
        .map_err(db.err("reading the changes"))?;
    let first_from = async |m: i64| -> Result<Option<(i64, String)>, StoreError> {
        let row = client
            .query_opt(&st, &[&m])
            .await
            .map_err(db.err("reading the changes"))?;
        Ok(row.map(|r| (r.get(0), r.get(1))))
    };
    let Some((first_seq, first_at)) = first_from(i64::MIN).await? else {
        return Ok((None, Vec::new()));
    };
    let last: i64 = client
        .query_one(&format!("SELECT max(seq) FROM {CHANGES}"), &[])
        .await
        .map_err(db.err("reading the changes"))?
        .get::<_, Option<i64>>(0)
        .unwrap_or(first_seq);
    // The least m whose first change from m on is from `cutoff` on, and the least past
    // the first transaction (an import made after the day is not read to be left out).
    let mut from = [first_seq, first_seq];
    for (k, lo) in from.iter_mut().enumerate() {
        let mut hi = last + 1;
        while *lo < hi {
            let mid = *lo + (hi - *lo) / 2;
            let past = match first_from(mid).await? {
                Some((_, at)) if k == 0 => super::history::after(&at, cutoff),
                Some((_, at)) => at != first_at,
                None => true,
            };
            if past {
                hi = mid;
            } else {
                *lo = mid + 1;
            }
        }
    }
    let lo = from[0].max(from[1]);
    let records = changes_since(client, db, lo - 1).await?;
    Ok((Some(first_at), records))
}

/// A row as the triggers record it (`to_jsonb(row)`: `id`, `geom` as GeoJSON, the
/// columns, `updated_at`) as the GeoJSON Feature a GeoPackage's trail keeps: `id`, the
/// geometry (without PostGIS's `crs` member), and every other column but `updated_at`
/// as a property. A real column's whole number (`2`, as `jsonb` writes `2.0`) is a
/// real again (`2.0`), as the GeoPackage has it.
fn row_feature(kind: Option<LayerKind>, row: Value) -> Value {
    let Value::Object(mut m) = row else {
        return row;
    };
    let id = m.remove("id").unwrap_or(Value::Null);
    let mut geometry = m.remove("geom").unwrap_or(Value::Null);
    if let Value::Object(g) = &mut geometry {
        g.remove("crs");
    }
    m.remove("updated_at");
    for (name, ty) in kind.and_then(field_columns).unwrap_or(&[]) {
        if *ty == ColType::Real
            && let Some(v) = m.get_mut(*name)
            && let Some(x) = v.as_f64().and_then(Number::from_f64)
        {
            *v = Value::Number(x);
        }
    }
    let props: Map<String, Value> = m;
    serde_json::json!({
        "type": "Feature",
        "id": id,
        "geometry": geometry,
        "properties": props,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A gas pipeline's row as PostGIS's `to_jsonb` writes it for SRID 4490, by hand.
    #[test]
    fn a_recorded_row_is_a_geojson_feature() {
        let row = json!({
            "id": "gp-1",
            "geom": {"type": "LineString", "coordinates": [[121.5, 31.9], [121.6, 31.9]],
                     "crs": {"type": "name", "properties": {"name": "EPSG:4490"}}},
            "name": "中压干线",
            "diameter_mm": 200,
            "design_pressure_mpa": 0.4,
            "year_laid": 2008,
            "material": null,
            "updated_at": "2026-01-02T03:04:05.678+00:00",
        });
        let f = row_feature(Some(LayerKind::GasPipelines), row);
        assert_eq!(
            f,
            json!({
                "type": "Feature",
                "id": "gp-1",
                "geometry": {"type": "LineString", "coordinates": [[121.5, 31.9], [121.6, 31.9]]},
                "properties": {"name": "中压干线", "diameter_mm": 200.0,
                               "design_pressure_mpa": 0.4, "year_laid": 2008, "material": null},
            })
        );
        // 200.0, not 200: the GeoPackage's REAL.
        assert!(f["properties"]["diameter_mm"].is_f64());
        assert!(f["properties"]["year_laid"].is_i64());
    }
}
