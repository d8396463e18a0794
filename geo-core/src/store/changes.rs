//! The audit trail of a store: every change of a ledger row, who made it and when, with
//! the feature before and after as GeoJSON.
//!
//! The table `riskmap_changes` (registered as an attributes table, so GIS programs show
//! it) has one row per changed feature: `seq` (increasing, never reused), `at` (UTC,
//! ISO 8601), `actor` (a token's name, or `import`), `layer`, `id`, `op` (`insert`,
//! `update` or `delete`), and `before` and `after`, the feature as a GeoJSON Feature
//! (NULL for an insert's before and a delete's after). Its properties are the row's
//! columns as stored (inventories and QRA distances in their ledger text), so that
//! `before` of a change is `after` of the one before it. A PostGIS store keeps the same
//! columns, `before` and `after` as `jsonb`.
//!
//! [`feature_version`] is the version tag of a feature for optimistic concurrency (an
//! `ETag` to compare with `If-Match`): a hash of its canonical GeoJSON.

use std::collections::BTreeMap;
use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::StoreError;
use super::columns::sql_err;
use super::ledger;
use crate::live::AnyFeature;
use crate::model::{Feature, LayerKind};

/// The table of changes.
pub const CHANGES_TABLE: &str = "riskmap_changes";

/// What a change did to a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeOp {
    /// A new id.
    Insert,
    /// A row rewritten.
    Update,
    /// A row deleted.
    Delete,
}

impl ChangeOp {
    /// The word stored in `op`.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeOp::Insert => "insert",
            ChangeOp::Update => "update",
            ChangeOp::Delete => "delete",
        }
    }

    pub(super) fn parse(s: &str) -> Option<ChangeOp> {
        match s {
            "insert" => Some(ChangeOp::Insert),
            "update" => Some(ChangeOp::Update),
            "delete" => Some(ChangeOp::Delete),
            _ => None,
        }
    }
}

/// One row of the audit trail.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangeRecord {
    /// Its place in the trail.
    pub seq: u64,
    /// When, UTC, ISO 8601.
    pub at: String,
    /// Who: a token's name, or `import`.
    pub actor: String,
    /// The layer's name.
    pub layer: String,
    /// The feature's id.
    pub id: String,
    /// What was done.
    pub op: ChangeOp,
    /// The feature before (GeoJSON), none for an insert.
    pub before: Option<Value>,
    /// The feature after (GeoJSON), none for a delete.
    pub after: Option<Value>,
}

impl ChangeRecord {
    /// The names of what differs between before and after: `geometry` and each property
    /// whose value changed (every given one for an insert or a delete), sorted.
    pub fn changed_fields(&self) -> Vec<String> {
        changed_fields(self.before.as_ref(), self.after.as_ref())
    }
}

/// What differs between two GeoJSON features: `geometry` and the changed properties.
pub fn changed_fields(before: Option<&Value>, after: Option<&Value>) -> Vec<String> {
    let empty = Map::new();
    let props = |f: Option<&Value>| -> Map<String, Value> {
        f.and_then(|f| f.get("properties"))
            .and_then(Value::as_object)
            .unwrap_or(&empty)
            .clone()
    };
    let (b, a) = (props(before), props(after));
    let geom = |f: Option<&Value>| f.and_then(|f| f.get("geometry")).cloned();
    let mut out = Vec::new();
    if geom(before) != geom(after) {
        out.push("geometry".to_string());
    }
    let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
    keys.sort();
    keys.dedup();
    for k in keys {
        let (x, y) = (
            b.get(k).unwrap_or(&Value::Null),
            a.get(k).unwrap_or(&Value::Null),
        );
        if x != y {
            out.push(k.clone());
        }
    }
    out.sort();
    out
}

/// Creates the table of changes if the file has none, registered in `gpkg_contents`.
pub(super) fn create_table(c: &Connection) -> rusqlite::Result<()> {
    c.execute_batch(&format!(
        "CREATE TABLE IF NOT EXISTS {CHANGES_TABLE} (
           seq INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
           at TEXT NOT NULL, actor TEXT NOT NULL, layer TEXT NOT NULL, id TEXT NOT NULL,
           op TEXT NOT NULL CHECK (op IN ('insert', 'update', 'delete')),
           before TEXT, after TEXT);
         CREATE INDEX IF NOT EXISTS {CHANGES_TABLE}_feature ON {CHANGES_TABLE} (layer, id);
         INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description)
           VALUES ('{CHANGES_TABLE}', 'attributes', '{CHANGES_TABLE}',
                   'Every change of a ledger row: who, when, the feature before and after');"
    ))
}

/// One change to record, in a transaction the caller commits.
pub(super) struct NewChange<'a> {
    pub at: &'a str,
    pub actor: &'a str,
    pub layer: &'a str,
    pub id: &'a str,
    pub op: ChangeOp,
    pub before: Option<&'a Value>,
    pub after: Option<&'a Value>,
}

/// Records one change; gives its `seq`.
pub(super) fn record(c: &Connection, ch: &NewChange<'_>) -> rusqlite::Result<u64> {
    record_with_before(c, ch, ch.before.map(Value::to_string).as_deref())
}

/// [`record`] with the feature before as the text to store (`ch.before` is not read):
/// the text of an earlier record kept as it was, not parsed and written again.
pub(super) fn record_with_before(
    c: &Connection,
    ch: &NewChange<'_>,
    before: Option<&str>,
) -> rusqlite::Result<u64> {
    // Cached: an import records a change per row.
    c.prepare_cached(&format!(
        "INSERT INTO {CHANGES_TABLE} (at, actor, layer, id, op, before, after)
         VALUES (?, ?, ?, ?, ?, ?, ?)"
    ))?
    .execute(params![
        ch.at,
        ch.actor,
        ch.layer,
        ch.id,
        ch.op.as_str(),
        before,
        ch.after.map(Value::to_string)
    ])?;
    Ok(c.last_insert_rowid() as u64)
}

/// Records a change of the map, made by `actor` at `at`, as its features before and
/// after read; gives its `seq`.
pub(super) fn record_change(
    c: &Connection,
    ch: &crate::live::Change,
    actor: &str,
    at: &str,
) -> rusqlite::Result<u64> {
    let before = ch.before.as_ref().map(feature_json);
    let after = ch.after.as_ref().map(feature_json);
    let op = match (&before, &after) {
        (None, _) => ChangeOp::Insert,
        (_, None) => ChangeOp::Delete,
        _ => ChangeOp::Update,
    };
    record(
        c,
        &NewChange {
            at,
            actor,
            layer: ch.layer.name(),
            id: &ch.id,
            op,
            before: before.as_ref(),
            after: after.as_ref(),
        },
    )
}

/// The last `seq` of the trail (0 when it is empty or missing).
pub(super) fn last_seq(c: &Connection) -> rusqlite::Result<u64> {
    if !super::schema::table_exists(c, CHANGES_TABLE)? {
        return Ok(0);
    }
    c.prepare_cached(&format!("SELECT max(seq) FROM {CHANGES_TABLE}"))?
        .query_row([], |r| r.get::<_, Option<i64>>(0))
        .map(|s| s.unwrap_or(0) as u64)
}

/// The state the trail last recorded of each of `ids` of `layer`: its last record's
/// `after`, as GeoJSON (`None` for a deletion, or text that does not read); an id without
/// a record is absent. Found through the table's index on layer and id.
pub(super) fn last_states(
    c: &Connection,
    layer: LayerKind,
    ids: &[&str],
) -> rusqlite::Result<BTreeMap<String, Option<Value>>> {
    let mut out = BTreeMap::new();
    if ids.is_empty() || !super::schema::table_exists(c, CHANGES_TABLE)? {
        return Ok(out);
    }
    let list = Value::from(ids.to_vec()).to_string();
    let mut st = c.prepare(&format!(
        "SELECT c.id, c.after FROM {t} AS c
         JOIN (SELECT id, max(seq) AS seq FROM {t}
               WHERE layer = ?1 AND id IN (SELECT value FROM json_each(?2))
               GROUP BY id) AS m ON c.seq = m.seq",
        t = CHANGES_TABLE
    ))?;
    let mut rs = st.query(rusqlite::params![layer.name(), list])?;
    while let Some(r) = rs.next()? {
        let id: String = r.get(0)?;
        let after: Option<String> = r.get(1)?;
        out.insert(id, after.and_then(|a| serde_json::from_str(&a).ok()));
    }
    Ok(out)
}

/// `last_states` of the GeoPackage at `path`, read in one read transaction.
pub fn last_recorded_states(
    path: &Path,
    layer: LayerKind,
    ids: &[&str],
) -> Result<BTreeMap<String, Option<Value>>, StoreError> {
    let c = super::gpkg::open(path, true)?;
    last_states(&c, layer, ids).map_err(sql_err(path))
}

/// The `at` of the trail's last record (none when it has none).
pub(super) fn last_at(c: &Connection) -> rusqlite::Result<Option<String>> {
    if !super::schema::table_exists(c, CHANGES_TABLE)? {
        return Ok(None);
    }
    c.prepare_cached(&format!(
        "SELECT at FROM {CHANGES_TABLE} ORDER BY seq DESC LIMIT 1"
    ))?
    .query_row([], |r| r.get(0))
    .optional()
}

/// How far a served map follows a store's trail: every record up to `upto`, and after
/// it the server's own records of changes it read and served (`own`, ranges of `seq`).
/// A reading passes over the changes of a feature with a record the map does not
/// follow: the program that made the change recorded it (`features_recorded_after`).
///
/// The server's own records cannot simply move `upto` on: when another program
/// recorded a change after the reading the records come from, `upto` past it would
/// have the next reading record that change again as read from the file; `upto` left
/// before the server's records would have it pass over a later, unrecorded change of a
/// feature they name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrailFollowed {
    /// Every record up to this `seq` is in the map.
    pub upto: u64,
    /// After `upto`: the server's own records (first and last `seq`), in the map too.
    pub own: Vec<(u64, u64)>,
}

impl TrailFollowed {
    /// Every record up to `seq` followed, none after.
    pub fn upto(seq: u64) -> Self {
        TrailFollowed {
            upto: seq,
            own: Vec::new(),
        }
    }

    /// The last record the map follows.
    pub fn last(&self) -> u64 {
        self.own.iter().map(|&(_, b)| b).fold(self.upto, u64::max)
    }

    /// The position of a reading of the file made while the map was at `self`, when
    /// the trail's last record was `seq`: the reading has every record up to it, and
    /// the map's own records after it.
    pub fn read_to(&self, seq: u64) -> TrailFollowed {
        let upto = self.upto.max(seq);
        TrailFollowed {
            upto,
            own: self
                .own
                .iter()
                .copied()
                .filter(|&(_, b)| b > upto)
                .collect(),
        }
    }

    /// Whether the record `seq` is in the map.
    pub fn follows(&self, seq: u64) -> bool {
        seq <= self.upto || self.own.iter().any(|&(a, b)| (a..=b).contains(&seq))
    }
}

/// What [`crate::store::gpkg::Editor::record_read`] wrote of a reading's changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadRecorded {
    /// The trail's last `seq` after the records.
    pub last: u64,
    /// The records written (first and last `seq`), if any.
    pub own: Option<(u64, u64)>,
    /// Nobody wrote the file from the reading until the records: every record before
    /// them was in the reading.
    pub as_read: bool,
}

impl ReadRecorded {
    /// How far the map follows the trail after the records, given the position of
    /// the reading they come from ([`TrailFollowed::read_to`]): the whole trail when
    /// nobody wrote the file from the reading until the records, else the reading's
    /// position and these records (not what another program recorded meanwhile).
    pub fn follow(&self, reading: &TrailFollowed) -> TrailFollowed {
        if self.as_read {
            return TrailFollowed::upto(self.last);
        }
        let mut f = reading.clone();
        f.own.extend(self.own);
        f
    }
}

/// The (layer, id) of every feature with a record after `followed.upto` that the map
/// does not follow.
pub(super) fn features_recorded_after(
    c: &Connection,
    followed: &TrailFollowed,
) -> rusqlite::Result<std::collections::HashSet<(String, String)>> {
    // Not `DISTINCT`: SQLite would then walk the whole (layer, id) index, a million
    // records after an import, rather than the records after `followed.upto` (the set
    // below keeps each feature once).
    let mut st = c.prepare(&format!(
        "SELECT seq, layer, id FROM {CHANGES_TABLE} WHERE seq > ?"
    ))?;
    let rows = st.query_map([followed.upto as i64], |r| {
        Ok((r.get::<_, i64>(0)? as u64, r.get(1)?, r.get(2)?))
    })?;
    let mut out = std::collections::HashSet::new();
    for row in rows {
        let (seq, layer, id) = row?;
        if !followed.follows(seq) {
            out.insert((layer, id));
        }
    }
    Ok(out)
}

/// The trail's last `seq` in the GeoPackage at `path` (0: none, or no trail).
pub fn last_change_seq(path: &Path) -> Result<u64, StoreError> {
    let c = super::gpkg::open(path, true)?;
    last_seq(&c).map_err(sql_err(path))
}

/// The changes after `seq` (0: all of them), in order. A file without the table has
/// none.
pub fn changes_since(path: &Path, seq: u64) -> Result<Vec<ChangeRecord>, StoreError> {
    changes_page(
        path,
        &ChangeQuery {
            since: seq,
            ..ChangeQuery::default()
        },
    )
}

/// Which change records to read: those after `since`, of one layer and one feature if
/// given (through the table's index on both), at most `limit` (a trail that an import
/// of a million houses makes a million records long is read a page at a time).
#[derive(Debug, Clone, Default)]
pub struct ChangeQuery {
    /// Records after this number (0: from the first).
    pub since: u64,
    /// Of this layer only (its table name).
    pub layer: Option<String>,
    /// Of the feature with this id only.
    pub id: Option<String>,
    /// At most this many.
    pub limit: Option<usize>,
}

impl ChangeQuery {
    /// The `WHERE … ORDER BY … LIMIT` of the query, with `p(n)` the n-th parameter's
    /// placeholder, and the parameters after `since` in order (layer, id; the limit is
    /// the caller's).
    pub(super) fn sql(&self, p: impl Fn(usize) -> String) -> (String, Vec<&str>) {
        let mut clause = format!("WHERE seq > {}", p(1));
        let mut params = Vec::new();
        for (col, v) in [("layer", &self.layer), ("id", &self.id)] {
            if let Some(v) = v {
                params.push(v.as_str());
                clause.push_str(&format!(" AND {col} = {}", p(params.len() + 1)));
            }
        }
        clause.push_str(&format!(" ORDER BY seq LIMIT {}", p(params.len() + 2)));
        (clause, params)
    }
}

/// The changes a query names, in order. A file without the table has none.
pub fn changes_page(path: &Path, q: &ChangeQuery) -> Result<Vec<ChangeRecord>, StoreError> {
    let c = super::gpkg::open(path, true)?;
    let sql = sql_err(path);
    if !super::schema::table_exists(&c, CHANGES_TABLE).map_err(sql)? {
        return Ok(Vec::new());
    }
    read_since(&c, path, q)
}

/// The changes made from `cutoff` on (the first 19 characters of a UTC time, see
/// [`super::history::day_end_utc`]), in order, and the `at` of the trail's first record
/// (`None`: no trail). The trail's times increase with `seq`, so its first change from
/// `cutoff` on is found by a binary search over `seq`, without reading the rest. The
/// store's first transaction (its import) is not read.
pub fn changes_from(
    path: &Path,
    cutoff: &str,
) -> Result<(Option<String>, Vec<ChangeRecord>), StoreError> {
    changes_from_on(path, cutoff, true)
}

/// [`changes_from`] of a trail whose first transaction is a change like the others (a
/// data folder's, [`super::trail`]): every record from `cutoff` on is read, and no first
/// record's time is given.
pub fn trail_changes_from(path: &Path, cutoff: &str) -> Result<Vec<ChangeRecord>, StoreError> {
    changes_from_on(path, cutoff, false).map(|(_, records)| records)
}

fn changes_from_on(
    path: &Path,
    cutoff: &str,
    past_import: bool,
) -> Result<(Option<String>, Vec<ChangeRecord>), StoreError> {
    let c = super::gpkg::open(path, true)?;
    let sql = sql_err(path);
    if !super::schema::table_exists(&c, CHANGES_TABLE).map_err(sql)? {
        return Ok((None, Vec::new()));
    }
    let first_from = |m: i64| -> rusqlite::Result<Option<(i64, String)>> {
        c.prepare_cached(&format!(
            "SELECT seq, at FROM {CHANGES_TABLE} WHERE seq >= ? ORDER BY seq LIMIT 1"
        ))?
        .query_row([m], |r| Ok((r.get(0)?, r.get(1)?)))
        .map(Some)
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            e => Err(e),
        })
    };
    let Some((first_seq, first_at)) = first_from(i64::MIN).map_err(sql)? else {
        return Ok((None, Vec::new()));
    };
    let last = last_seq(&c).map_err(sql)? as i64;
    // The least m whose first change from m on is one `past` says is past (or that has
    // none); `past` holds from some change on, as times increase with `seq`.
    let least = |past: &dyn Fn(&str) -> bool| -> rusqlite::Result<i64> {
        let (mut lo, mut hi) = (first_seq, last + 1);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match first_from(mid)? {
                Some((_, at)) if !past(&at) => lo = mid + 1,
                _ => hi = mid,
            }
        }
        Ok(lo)
    };
    // From `cutoff` on, and past the first transaction (an import of a million rows made
    // after the day is not read to be left out).
    let from = least(&|at| super::history::after(at, cutoff)).map_err(sql)?;
    let lo = if past_import {
        from.max(least(&|at| at != first_at).map_err(sql)?)
    } else {
        from
    };
    let q = ChangeQuery {
        since: u64::try_from(lo - 1).unwrap_or(0),
        ..ChangeQuery::default()
    };
    let records = read_since(&c, path, &q)?;
    Ok((Some(first_at), records))
}

fn read_since(
    c: &Connection,
    path: &Path,
    q: &ChangeQuery,
) -> Result<Vec<ChangeRecord>, StoreError> {
    let sql = sql_err(path);
    let (clause, filters) = q.sql(|n| format!("?{n}"));
    let mut st = c
        .prepare(&format!(
            "SELECT seq, at, actor, layer, id, op, before, after FROM {CHANGES_TABLE} {clause}"
        ))
        .map_err(sql)?;
    // (SQLite: a negative LIMIT is none)
    let limit = q.limit.map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX));
    let mut values: Vec<rusqlite::types::Value> =
        vec![i64::try_from(q.since).unwrap_or(i64::MAX).into()];
    values.extend(
        filters
            .iter()
            .map(|f| rusqlite::types::Value::from(f.to_string())),
    );
    values.push(limit.into());
    let rows = st
        .query_map(rusqlite::params_from_iter(values), |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, Option<String>>(6)?,
                r.get::<_, Option<String>>(7)?,
            ))
        })
        .map_err(sql)?;
    let mut out = Vec::new();
    for row in rows {
        let (seq, at, actor, layer, id, op, before, after) = row.map_err(sql)?;
        let bad = |reason: String| StoreError::Table {
            path: path.to_path_buf(),
            table: CHANGES_TABLE.into(),
            reason: format!("seq {seq}: {reason}"),
        };
        let op = ChangeOp::parse(&op).ok_or_else(|| bad(format!("unknown op {op:?}")))?;
        let json = |t: Option<String>| -> Result<Option<Value>, StoreError> {
            t.map(|t| serde_json::from_str(&t).map_err(|e| bad(format!("not JSON: {e}"))))
                .transpose()
        };
        out.push(ChangeRecord {
            seq: seq as u64,
            at,
            actor,
            layer,
            id,
            op,
            before: json(before)?,
            after: json(after)?,
        });
    }
    Ok(out)
}

/// A feature as GeoJSON: its id, its geometry (RFC 7946) and its properties as a store
/// writes them (inventories and QRA distances in their ledger text).
pub fn feature_json(f: &AnyFeature) -> Value {
    match f {
        AnyFeature::Area(f) => json_of(f),
        AnyFeature::Enterprise(f) => json_of(f),
        AnyFeature::HazardSource(f) => json_of(f),
        AnyFeature::GasPipeline(f) => json_of(f),
        AnyFeature::House(f) => json_of(f),
        AnyFeature::ProtectionTarget(f) => json_of(f),
        AnyFeature::HiddenHazard(f) => json_of(f),
    }
}

/// [`feature_json`] of a feature of any layer, borrowed where it is kept.
pub(super) fn json_of<P: Serialize>(f: &Feature<P>) -> Value {
    let mut props = match serde_json::to_value(&f.props) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    ledger::to_ledger_form(&mut props);
    geojson_feature(&f.id, Some(&f.geometry), props)
}

/// A GeoJSON Feature of an id, a geometry and properties.
pub(super) fn geojson_feature(
    id: &str,
    geometry: Option<&geo::Geometry<f64>>,
    props: Map<String, Value>,
) -> Value {
    let geometry = geometry
        .and_then(|g| {
            let mut s = String::new();
            crate::export::write_geometry_exact(&mut s, g);
            serde_json::from_str::<Value>(&s).ok()
        })
        .unwrap_or(Value::Null);
    serde_json::json!({
        "type": "Feature",
        "id": id,
        "geometry": geometry,
        "properties": props,
    })
}

/// The version tag of a feature: the first 128 bits of the SHA-256 of its canonical
/// GeoJSON ([`feature_json`], keys sorted, no spaces), as 32 hex digits. Any change of the
/// geometry, a property or the id changes it; nothing else does (not the order features
/// were loaded in, not where they came from).
pub fn feature_version(f: &AnyFeature) -> String {
    let mut text = String::new();
    canonical(&feature_json(f), &mut text);
    let digest = Sha256::digest(text.as_bytes());
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// JSON with object keys sorted and no spaces, whatever order the map keeps.
fn canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                if let Some(x) = m.get(k) {
                    canonical(x, out);
                }
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(x, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}
