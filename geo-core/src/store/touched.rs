//! Which ledger rows of a GeoPackage other programs changed, so that a served file is
//! read again by those rows rather than whole.
//!
//! SQLite does not say which rows a transaction changed, and a file another program
//! saved (QGIS, GDAL, `riskmap import`) would have to be read whole to find out: seconds
//! for a million houses. So the store keeps triggers on its ledger tables, as it keeps
//! those of their R-tree indexes: every row inserted, updated or deleted leaves its
//! table and id in `riskmap_touched` (`seq`, `tbl`, `id`), whoever wrote it, since the
//! triggers live in the file. The server reads those rows back by id and leaves the rest
//! ([`read_touched`]); once they are served it deletes the marks it read
//! (`Editor::record_read`). The server's own edits are not marked: the trail records them, and
//! while a transaction of the server writes, a row of `seq` 0 in the table quiets the
//! triggers (no other writer can see it: it holds the write lock, and the row is gone
//! at the commit).
//!
//! What the marks cannot say is answered by reading the file whole
//! ([`TouchedReading::Whole`]): a table whose triggers are gone (another program
//! dropped and made it again: `ogr2ogr -overwrite`, a field deleted in older GDAL), a
//! changed schema (`PRAGMA schema_version`: a column added or renamed reads every row
//! differently without touching one), new words for the hidden hazards' stages
//! (`riskmap_status_words` is marked too), a row without an id, or more marks than
//! reading by id is worth.
//!
//! Dropping `riskmap_touched` by hand while its triggers stay would make every write of
//! a ledger table fail; `riskmap import` and the server make it again when it is missing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use rusqlite::{Connection, OptionalExtension};

use super::StoreError;
use super::changes::{self, TrailFollowed};
use super::columns::{ID, sql_err, table_info};
use super::gpkg_read::{TableParts, ledger_tables};
use super::schema::{q, table_exists};
use super::words::WORDS_TABLE;
use crate::io::LayerRows;
use crate::model::LayerKind;

/// The table of rows changed since the server last read them.
pub const TOUCHED_TABLE: &str = "riskmap_touched";

/// What the marks in a file say, read with its schema's version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tracking {
    /// `PRAGMA schema_version`.
    pub schema: i64,
    /// The last mark (0 when none).
    pub upto: i64,
    /// Whether every ledger table (and the status words table, if there is one) has its
    /// triggers.
    pub complete: bool,
}

/// The rows changed since a reading, by layer.
#[derive(Debug)]
pub struct Touched {
    /// The last mark read.
    pub upto: i64,
    /// The trail's last record when the rows were read: the reading has every change
    /// recorded up to it.
    pub trail_ends: u64,
    /// The ids changed, by layer.
    pub ids: BTreeMap<LayerKind, BTreeSet<String>>,
    /// Those of them that still have a row (the others were deleted).
    pub present: BTreeMap<LayerKind, BTreeSet<String>>,
    /// Their rows, table by table, for the loaders' checks.
    pub layers: Vec<LayerRows>,
}

/// What [`read_touched`] found.
#[derive(Debug)]
pub enum TouchedReading {
    /// The changed rows.
    Rows(Touched),
    /// The file has to be read whole, and why.
    Whole(String),
}

fn trigger(table: &str, op: &str) -> String {
    format!("{TOUCHED_TABLE}_{table}_{op}")
}

/// An SQL string literal.
fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The triggers of a ledger table; the status words table has the first three.
const OPS: [&str; 4] = ["insert", "update", "delete", "replace"];

/// A table whose changes are marked: its name, and for a ledger table its primary key
/// (the status words table is marked without ids).
struct Marked {
    table: String,
    pk: Option<String>,
}

impl Marked {
    fn ops(&self) -> &'static [&'static str] {
        if self.pk.is_some() { &OPS } else { &OPS[..3] }
    }
}

/// When a row was marked, as the trail writes its times (UTC, milliseconds): the clock
/// of the program that changed it, at its statement.
const MARK_TIME: &str = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

/// Whether the table of marks has their times (a file of an earlier release's has not,
/// until the file is next settled).
fn marks_timed(c: &Connection) -> rusqlite::Result<bool> {
    c.query_row(
        &format!("SELECT count(*) FROM pragma_table_info('{TOUCHED_TABLE}') WHERE name = 'at'"),
        [],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n > 0)
}

/// The triggers a table needs.
fn triggers_sql(m: &Marked) -> String {
    let table = m.table.as_str();
    let t = q(table);
    let name = lit(table);
    let quiet = format!("WHEN NOT EXISTS (SELECT 1 FROM {TOUCHED_TABLE} WHERE seq = 0)");
    let (new, old) = if m.pk.is_some() {
        (
            format!("CAST(NEW.{} AS TEXT)", q(ID)),
            format!("CAST(OLD.{} AS TEXT)", q(ID)),
        )
    } else {
        ("NULL".to_string(), "NULL".to_string())
    };
    let mark = |v: &str| {
        format!("INSERT INTO {TOUCHED_TABLE} (tbl, id, at) VALUES ({name}, {v}, {MARK_TIME});")
    };
    let mut out = format!(
        "CREATE TRIGGER IF NOT EXISTS {ins} AFTER INSERT ON {t} {quiet}
           BEGIN {m_new} END;
         CREATE TRIGGER IF NOT EXISTS {del} AFTER DELETE ON {t} {quiet}
           BEGIN {m_old} END;",
        ins = q(&trigger(table, OPS[0])),
        del = q(&trigger(table, OPS[2])),
        m_new = mark(&new),
        m_old = mark(&old),
    );
    match &m.pk {
        Some(pk) => out.push_str(&format!(
            // An UPDATE that changes the id marks both; an INSERT OR REPLACE over another
            // row's fid deletes that row without its delete trigger (SQLite fires none
            // for a replace unless recursive triggers are on): marked before it.
            "CREATE TRIGGER IF NOT EXISTS {upd} AFTER UPDATE ON {t} {quiet}
               BEGIN {m_old}
                 INSERT INTO {TOUCHED_TABLE} (tbl, id, at) SELECT {name}, {new}, {MARK_TIME}
                 WHERE NEW.{id} IS NOT OLD.{id}; END;
             CREATE TRIGGER IF NOT EXISTS {rep} BEFORE INSERT ON {t} {quiet}
               BEGIN INSERT INTO {TOUCHED_TABLE} (tbl, id, at)
                 SELECT {name}, CAST({id} AS TEXT), {MARK_TIME} FROM {t}
                 WHERE {pk} = NEW.{pk}; END;",
            upd = q(&trigger(table, OPS[1])),
            rep = q(&trigger(table, OPS[3])),
            m_old = mark(&old),
            id = q(ID),
            pk = q(pk),
        )),
        None => out.push_str(&format!(
            "CREATE TRIGGER IF NOT EXISTS {upd} AFTER UPDATE ON {t} {quiet}
               BEGIN {m_old} END;",
            upd = q(&trigger(table, OPS[1])),
            m_old = mark(&old),
        )),
    }
    out
}

/// Whether an id column of this declared type reads back as the text its trigger marks:
/// TEXT or INTEGER affinity (a REAL or untyped column's `7` would be marked `7.0`, or
/// not match the mark at all).
fn id_type_marks(decl: &str) -> bool {
    let d = decl.to_ascii_uppercase();
    ["INT", "CHAR", "CLOB", "TEXT"]
        .iter()
        .any(|k| d.contains(k))
}

/// The tables that are marked: each ledger table, and the status words table if there
/// is one. None when a ledger table cannot be read by id (no id column, or one whose
/// values do not read back as their marks).
fn marked_tables(c: &Connection, path: &Path) -> Result<Option<Vec<Marked>>, StoreError> {
    let sql = sql_err(path);
    let mut out = Vec::new();
    for (_, table) in ledger_tables(c, path)? {
        let info = table_info(c, path, &table)?;
        if !info.has_id {
            return Ok(None);
        }
        let decl: String = c
            .query_row(
                "SELECT type FROM pragma_table_info(?1) WHERE name = ?2",
                [table.as_str(), ID],
                |r| r.get(0),
            )
            .map_err(sql)?;
        if !id_type_marks(&decl) {
            return Ok(None);
        }
        out.push(Marked {
            table,
            pk: Some(info.pk),
        });
    }
    if table_exists(c, WORDS_TABLE).map_err(sql)? {
        out.push(Marked {
            table: WORDS_TABLE.to_string(),
            pk: None,
        });
    }
    Ok(Some(out))
}

/// Makes the table of marks and the triggers of every ledger table that lacks them
/// (in the caller's transaction), and drops those left on a table renamed since. False,
/// and nothing made, when a ledger table cannot be read by id.
pub(super) fn install(c: &Connection, path: &Path) -> Result<bool, StoreError> {
    let sql = sql_err(path);
    let Some(tables) = marked_tables(c, path)? else {
        return Ok(false);
    };
    c.execute_batch(&format!(
        "CREATE TABLE IF NOT EXISTS {TOUCHED_TABLE} (
           seq INTEGER PRIMARY KEY AUTOINCREMENT, tbl TEXT NOT NULL, id TEXT, at TEXT)"
    ))
    .map_err(sql)?;
    // A file of an earlier release: its marks said no time, and its triggers write none.
    if !marks_timed(c).map_err(sql)? {
        c.execute_batch(&format!("ALTER TABLE {TOUCHED_TABLE} ADD COLUMN at TEXT"))
            .map_err(sql)?;
    }
    // A table renamed keeps its triggers, which mark its old name.
    let wanted: BTreeSet<(String, String)> = tables
        .iter()
        .flat_map(|m| {
            m.ops()
                .iter()
                .map(|op| (trigger(&m.table, op), m.table.clone()))
        })
        .collect();
    let stale: Vec<String> = {
        let mut st = c
            .prepare(&format!(
                "SELECT name, tbl_name, sql FROM sqlite_master \
                 WHERE type = 'trigger' AND substr(name, 1, {n}) = '{TOUCHED_TABLE}_'",
                n = TOUCHED_TABLE.len() + 1
            ))
            .map_err(sql)?;
        let rows = st
            .query_map([], |r| {
                Ok((
                    (r.get::<_, String>(0)?, r.get::<_, String>(1)?),
                    r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                ))
            })
            .map_err(sql)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(sql)?;
        // Made again too: one of an earlier release, which marks no time.
        rows.into_iter()
            .filter(|(t, body)| !wanted.contains(t) || !body.contains("strftime("))
            .map(|((name, _), _)| name)
            .collect()
    };
    for name in stale {
        c.execute_batch(&format!("DROP TRIGGER IF EXISTS {}", q(&name)))
            .map_err(sql)?;
    }
    for m in &tables {
        c.execute_batch(&triggers_sql(m)).map_err(sql)?;
    }
    // A quieting row another writer left: the file has just been read whole.
    unquiet(c).map_err(sql)?;
    Ok(true)
}

/// What a settled reading leaves in the file and the server keeps: the schema's version
/// then, and a token written with it (`seq` -1), new at each settling, so that a file
/// put in its place (a backup copied back, another store) is not taken for the one read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settled {
    /// `PRAGMA schema_version`.
    pub schema: i64,
    /// The token.
    pub token: String,
}

/// Writes a new token (in the caller's transaction, after [`install`]) and gives what
/// the reading settled.
pub(super) fn settle(c: &Connection, path: &Path) -> Result<Settled, StoreError> {
    let sql = sql_err(path);
    static COUNT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let token = format!(
        "{nanos:x}-{:x}-{:x}",
        std::process::id(),
        COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    c.execute(
        &format!("INSERT OR REPLACE INTO {TOUCHED_TABLE} (seq, tbl, id) VALUES (-1, '', ?1)"),
        [&token],
    )
    .map_err(sql)?;
    let schema: i64 = c
        .query_row("PRAGMA schema_version", [], |r| r.get(0))
        .map_err(sql)?;
    Ok(Settled { schema, token })
}

/// Deletes the marks up to `upto`, read and served (in the caller's transaction).
pub(super) fn forget(c: &Connection, path: &Path, upto: i64) -> Result<(), StoreError> {
    if table_exists(c, TOUCHED_TABLE).map_err(sql_err(path))? {
        c.execute(
            &format!("DELETE FROM {TOUCHED_TABLE} WHERE seq > 0 AND seq <= ?1"),
            [upto],
        )
        .map_err(sql_err(path))?;
    }
    Ok(())
}

/// Quiets the triggers for the rest of the caller's transaction (the server's own
/// writes, which its trail records); [`unquiet`] before the commit. False when the file
/// has no marks.
pub(super) fn quiet(c: &Connection) -> rusqlite::Result<bool> {
    if !table_exists(c, TOUCHED_TABLE)? {
        return Ok(false);
    }
    c.execute(
        &format!("INSERT OR IGNORE INTO {TOUCHED_TABLE} (seq, tbl) VALUES (0, '')"),
        [],
    )?;
    Ok(true)
}

/// Ends [`quiet`].
pub(super) fn unquiet(c: &Connection) -> rusqlite::Result<()> {
    c.execute(&format!("DELETE FROM {TOUCHED_TABLE} WHERE seq = 0"), [])
        .map(|_| ())
}

/// The file's marks as they are (through `c`).
pub(super) fn tracking_in(c: &Connection, path: &Path) -> Result<Tracking, StoreError> {
    let sql = sql_err(path);
    let schema: i64 = c
        .query_row("PRAGMA schema_version", [], |r| r.get(0))
        .map_err(sql)?;
    let Some(tables) = marked_tables(c, path)? else {
        return Ok(Tracking {
            schema,
            upto: 0,
            complete: false,
        });
    };
    if !table_exists(c, TOUCHED_TABLE).map_err(sql)? {
        return Ok(Tracking {
            schema,
            upto: 0,
            complete: false,
        });
    }
    let upto: i64 = c
        .query_row(
            &format!("SELECT coalesce(max(seq), 0) FROM {TOUCHED_TABLE} WHERE seq > 0"),
            [],
            |r| r.get(0),
        )
        .map_err(sql)?;
    // A quieting row left committed (by a writer other than the server) would hide
    // every change from then on: the marks cannot be trusted.
    let quieted: bool = c
        .query_row(
            &format!("SELECT EXISTS (SELECT 1 FROM {TOUCHED_TABLE} WHERE seq = 0)"),
            [],
            |r| r.get(0),
        )
        .map_err(sql)?;
    if quieted {
        return Ok(Tracking {
            schema,
            upto,
            complete: false,
        });
    }
    let mut have = c
        .prepare(
            "SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = ?1 AND tbl_name = ?2",
        )
        .map_err(sql)?;
    let mut complete = true;
    'tables: for m in &tables {
        for op in m.ops() {
            if have
                .query_row([trigger(&m.table, op), m.table.clone()], |_| Ok(()))
                .optional()
                .map_err(sql)?
                .is_none()
            {
                complete = false;
                break 'tables;
            }
        }
    }
    Ok(Tracking {
        schema,
        upto,
        complete,
    })
}

/// The marks of the GeoPackage at `path` as they are.
pub fn tracking(path: &Path) -> Result<Tracking, StoreError> {
    let c = super::gpkg::open(path, true)?;
    tracking_in(&c, path)
}

/// A row another program changed while no server followed the file.
#[derive(Debug, Clone, PartialEq)]
pub struct MarkedRow {
    /// Its id.
    pub id: String,
    /// The state the trail last recorded of it (its last record's `after`, as GeoJSON;
    /// `None` when it has none, or its last record is a deletion).
    pub recorded: Option<serde_json::Value>,
    /// When it was last changed (its last mark's time, UTC, as the trail writes times);
    /// `None` for marks of a file of an earlier release, which have none.
    pub at: Option<String>,
}

/// Marked rows by layer.
pub type MarkedRows = BTreeMap<LayerKind, Vec<MarkedRow>>;

/// The rows other programs changed while no server followed the file (the marks up to
/// `upto`, the last one when the served map read it), by layer, each with the state the
/// trail last recorded of it and the time of its last change: what a server starting on
/// the file compares
/// with the rows it read, to record the differences as another program's changes.
/// Marks of rows of no ledger table (the status words) are passed over. More than
/// `limit` marks (an import run while the server was stopped marks every row it wrote,
/// and records them itself) are not read: `None`.
pub fn marked_since_served(
    path: &Path,
    upto: i64,
    limit: usize,
) -> Result<Option<MarkedRows>, StoreError> {
    let mut c = super::gpkg::open(path, true)?;
    let sql = sql_err(path);
    let tx = c.transaction().map_err(sql)?;
    if upto <= 0 || !table_exists(&tx, TOUCHED_TABLE).map_err(sql)? {
        return Ok(Some(BTreeMap::new()));
    }
    let marks: i64 = tx
        .query_row(
            &format!("SELECT count(*) FROM {TOUCHED_TABLE} WHERE seq > 0 AND seq <= ?1"),
            [upto],
            |r| r.get(0),
        )
        .map_err(sql)?;
    if usize::try_from(marks).unwrap_or(usize::MAX) > limit {
        return Ok(None);
    }
    let tables = ledger_tables(&tx, path)?;
    let kind_of_table: BTreeMap<&str, LayerKind> =
        tables.iter().map(|(k, t)| (t.as_str(), *k)).collect();
    // Each id with its last mark's time (the marks of a file of an earlier release
    // have none).
    let mut ids: BTreeMap<LayerKind, BTreeMap<String, Option<String>>> = BTreeMap::new();
    {
        let at = if marks_timed(&tx).map_err(sql)? {
            "at"
        } else {
            "NULL"
        };
        let mut st = tx
            .prepare(&format!(
                "SELECT tbl, id, {at} FROM {TOUCHED_TABLE} WHERE seq > 0 AND seq <= ?1 \
                 ORDER BY seq"
            ))
            .map_err(sql)?;
        let mut rs = st.query([upto]).map_err(sql)?;
        while let Some(r) = rs.next().map_err(sql)? {
            let table: String = r.get(0).map_err(sql)?;
            let id: Option<String> = r.get(1).map_err(sql)?;
            let at: Option<String> = r.get(2).map_err(sql)?;
            if let (Some(kind), Some(id)) = (kind_of_table.get(table.as_str()), id) {
                let last = ids.entry(*kind).or_default().entry(id).or_default();
                if at.is_some() {
                    *last = at;
                }
            }
        }
    }
    let mut out = BTreeMap::new();
    for (kind, ids) in ids {
        let list: Vec<&str> = ids.keys().map(String::as_str).collect();
        let mut last = changes::last_states(&tx, kind, &list).map_err(sql)?;
        out.insert(
            kind,
            ids.into_iter()
                .map(|(id, at)| MarkedRow {
                    recorded: last.remove(&id).flatten(),
                    id,
                    at,
                })
                .collect(),
        );
    }
    Ok(Some(out))
}

/// The rows changed since the reading that left the file `settled` (its schema and
/// token), with the map following its trail as far as `followed`: those its triggers
/// marked, and those another writer of the trail (a second server) recorded that the
/// map does not follow; at most `limit`
/// features, or the file is to be read whole. All in one read transaction.
pub fn read_touched(
    path: &Path,
    settled: &Settled,
    followed: &TrailFollowed,
    limit: usize,
) -> Result<TouchedReading, StoreError> {
    let mut c = super::gpkg::open(path, true)?;
    let sql = sql_err(path);
    let tx = c.transaction().map_err(sql)?;
    let now = tracking_in(&tx, path)?;
    if !now.complete {
        return Ok(TouchedReading::Whole(
            "a ledger table lacks the triggers that mark its changed rows (or they were \
             quieted)"
                .into(),
        ));
    }
    if now.schema != settled.schema {
        return Ok(TouchedReading::Whole(format!(
            "the file's schema changed (version {} → {})",
            settled.schema, now.schema
        )));
    }
    let token: Option<String> = tx
        .query_row(
            &format!("SELECT id FROM {TOUCHED_TABLE} WHERE seq = -1"),
            [],
            |r| r.get(0),
        )
        .optional()
        .map_err(sql)?
        .flatten();
    let trail_ends = changes::last_seq(&tx).map_err(sql)?;
    if token.as_deref() != Some(settled.token.as_str()) || trail_ends < followed.last() {
        return Ok(TouchedReading::Whole(
            "the file is not the one last read (a copy put in its place?)".into(),
        ));
    }
    let tables = ledger_tables(&tx, path)?;
    let kind_of_table: BTreeMap<&str, LayerKind> =
        tables.iter().map(|(k, t)| (t.as_str(), *k)).collect();
    let mut ids: BTreeMap<LayerKind, BTreeSet<String>> = BTreeMap::new();
    let mut count = 0usize;
    {
        let mut st = tx
            .prepare(&format!(
                "SELECT tbl, id FROM {TOUCHED_TABLE} WHERE seq > 0 ORDER BY seq"
            ))
            .map_err(sql)?;
        let mut rs = st.query([]).map_err(sql)?;
        while let Some(r) = rs.next().map_err(sql)? {
            let table: String = r.get(0).map_err(sql)?;
            let id: Option<String> = r.get(1).map_err(sql)?;
            if table == WORDS_TABLE {
                return Ok(TouchedReading::Whole(
                    "the words for the hidden hazards' stages changed".into(),
                ));
            }
            let Some(kind) = kind_of_table.get(table.as_str()) else {
                return Ok(TouchedReading::Whole(format!(
                    "rows of {table:?}, no longer a ledger table, were changed"
                )));
            };
            let Some(id) = id else {
                return Ok(TouchedReading::Whole(format!(
                    "a row of {table} without an id was changed"
                )));
            };
            count += 1;
            if count > limit.saturating_mul(4) {
                return Ok(TouchedReading::Whole(format!(
                    "more than {limit} rows were changed"
                )));
            }
            ids.entry(*kind).or_default().insert(id);
        }
    }
    if table_exists(&tx, changes::CHANGES_TABLE).map_err(sql)? {
        for (layer, id) in changes::features_recorded_after(&tx, followed).map_err(sql)? {
            if let Some(kind) = LayerKind::parse(&layer).filter(|k| k.is_input()) {
                ids.entry(kind).or_default().insert(id);
            }
        }
    }
    if ids.values().map(BTreeSet::len).sum::<usize>() > limit {
        return Ok(TouchedReading::Whole(format!(
            "more than {limit} rows were changed"
        )));
    }
    let file = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut layers = Vec::new();
    let mut present: BTreeMap<LayerKind, BTreeSet<String>> = BTreeMap::new();
    for (kind, table) in &tables {
        let Some(wanted) = ids.get(kind) else {
            continue;
        };
        let list = serde_json::to_string(wanted).unwrap_or_else(|_| "[]".into());
        let rows = TableParts::layout(&tx, path, &file, *kind, table)?.rows_of(&tx, &list)?;
        present
            .entry(*kind)
            .or_default()
            .extend(rows.rows.iter().filter_map(|r| r.id.clone()));
        layers.push(rows);
    }
    Ok(TouchedReading::Rows(Touched {
        upto: now.upto,
        trail_ends,
        ids,
        present,
        layers,
    }))
}

#[cfg(test)]
#[path = "touched_tests.rs"]
mod tests;
