//! What a data folder's trail knows of the folder: each feature as the server last read
//! it (`riskmap_trail_state`: layer, id and a digest, read whole at every start;
//! `riskmap_trail_features`: layer, id and the GeoJSON, read for the features that
//! changed), and for each layer it knows, the trail's last `seq` that knowledge matches
//! (`riskmap_trail_kept`); bookkeeping, not registered in `gpkg_contents`. Every record
//! of the trail keeps them in step (`follow`, `kept_in_step`).
//!
//! A server that starts on the folder compares what it loaded with it ([`catch_up`]):
//! what the office changed in the files while no server ran is recorded then, as read
//! from the files, with the feature before as the trail last knew it. A layer the trail
//! does not know, or knows only up to an earlier record (a trail written meanwhile by a
//! server that kept no state), is learned from the load instead, recording nothing: what
//! changed before is not known.
//!
//! The digest (the first 128 bits of the SHA-256 of the id, the geometry's WKB and the
//! properties' JSON in their fields' order) is cheap to work out for a million features
//! at every start, and tells an unchanged feature from a changed one within one
//! version of the program. Another version may write a feature otherwise (a property
//! added, a number formatted otherwise): a feature whose digest differs is compared
//! with the GeoJSON kept, field by field ([`changes::changed_fields`]), and recorded
//! only when a field differs.

use std::cmp::Ordering;
use std::path::Path;

use rayon::prelude::*;
use rusqlite::{Connection, TransactionBehavior, params};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use super::StoreError;
use super::changes::{self, ChangeOp, NewChange, json_of};
use super::columns::sql_err;
use super::gpkg::utc_now;
use super::schema;
use crate::dataset::Dataset;
use crate::live::{AnyFeature, Change};
use crate::model::{Feature, LayerKind};

pub use super::trail_read::{
    FileRead, FilesRead, TRAIL_READ_TABLE, keep_files, known_files, last_save,
};
use super::trail_read::{read_otherwise, stamp, write_files};

/// The table of what the trail knows of the folder.
pub const TRAIL_STATE_TABLE: &str = "riskmap_trail_state";

/// The table of the GeoJSON of each feature the trail knows.
pub const TRAIL_FEATURES_TABLE: &str = "riskmap_trail_features";

/// The table of the layers the trail knows, each with the `seq` its knowledge matches.
pub const TRAIL_KEPT_TABLE: &str = "riskmap_trail_kept";

/// The table of the files (relative to the folder) the trail's knowledge was read from
/// whole, with their layers and the features loaded from each (`features`, added to a
/// trail of an earlier version at its next reading): a later load missing one, or not
/// reading it whole, is not the office's data (a server compares it with nothing),
/// unless its features are read from other files now (a ledger renamed or split).
pub const TRAIL_FILES_TABLE: &str = "riskmap_trail_files";

/// Features turned into GeoJSON at a time when a trail's state is first written.
const CHUNK: usize = 16_384;

/// What [`catch_up`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaughtUp {
    /// Layers the trail did not know (or knew only up to an earlier record): learned
    /// from the load, nothing recorded for them.
    pub learned: Vec<LayerKind>,
    /// Features of the layers compared or learned.
    pub features: usize,
    /// Per layer with changes: new, changed and removed features recorded.
    pub layers: Vec<(LayerKind, [usize; 3])>,
    /// The trail's last `seq` after.
    pub last: u64,
    /// When the changes found were recorded as made (the folder's last save, or the
    /// comparison's time; see [`catch_up`]).
    pub at: String,
    /// How the folder was read when the trail last took in a reading, when that was
    /// otherwise than now (another version of the program, another `--encoding` or
    /// `--crs`; "not recorded" for a trail of an earlier version): the differences found
    /// may be the reading's rather than the office's, and are recorded when found.
    pub read_otherwise: Option<String>,
}

impl CaughtUp {
    /// The changes recorded.
    pub fn recorded(&self) -> usize {
        self.layers
            .iter()
            .map(|(_, n)| n.iter().sum::<usize>())
            .sum()
    }
}

/// The GeoJSON of the feature at `pos` of an input layer, as a trail records it.
fn json_at(ds: &Dataset, layer: LayerKind, pos: usize) -> Option<Value> {
    match layer {
        LayerKind::Areas => ds.areas.get(pos).map(json_of),
        LayerKind::Enterprises => ds.enterprises.get(pos).map(json_of),
        LayerKind::HazardSources => ds.hazard_sources.get(pos).map(json_of),
        LayerKind::GasPipelines => ds.gas_pipelines.get(pos).map(json_of),
        LayerKind::Houses => ds.houses.get(pos).map(json_of),
        LayerKind::ProtectionTargets => ds.protection_targets.get(pos).map(json_of),
        LayerKind::HiddenHazards => ds.hidden_hazards.get(pos).map(json_of),
        _ => None,
    }
}

/// A feature's digest: see the module's notes.
type Digest = [u8; 16];

/// A feature of the load: its id, digest and position.
type Now<'a> = (&'a str, Digest, usize);

fn digest_of<P: Serialize>(f: &Feature<P>, buf: &mut Vec<u8>) -> Digest {
    buf.clear();
    buf.extend_from_slice(f.id.as_bytes());
    buf.push(0);
    super::wkb::wkb(buf, &f.geometry);
    buf.push(0);
    // Into a vector it cannot fail; a property that would not serialise leaves the
    // digest of the rest.
    let _ = serde_json::to_writer(&mut *buf, &f.props);
    let d = Sha256::digest(buf.as_slice());
    let mut out = [0u8; 16];
    out.copy_from_slice(&d[..16]);
    out
}

fn digest_at(ds: &Dataset, layer: LayerKind, pos: usize, buf: &mut Vec<u8>) -> Option<Digest> {
    match layer {
        LayerKind::Areas => ds.areas.get(pos).map(|f| digest_of(f, buf)),
        LayerKind::Enterprises => ds.enterprises.get(pos).map(|f| digest_of(f, buf)),
        LayerKind::HazardSources => ds.hazard_sources.get(pos).map(|f| digest_of(f, buf)),
        LayerKind::GasPipelines => ds.gas_pipelines.get(pos).map(|f| digest_of(f, buf)),
        LayerKind::Houses => ds.houses.get(pos).map(|f| digest_of(f, buf)),
        LayerKind::ProtectionTargets => ds.protection_targets.get(pos).map(|f| digest_of(f, buf)),
        LayerKind::HiddenHazards => ds.hidden_hazards.get(pos).map(|f| digest_of(f, buf)),
        _ => None,
    }
}

/// Each feature of `layer` as (id, digest, position), by id (a repeated id, which a load
/// does not give, once); the digests worked out on every core.
fn digests(ds: &Dataset, layer: LayerKind) -> Vec<Now<'_>> {
    // Collected in place (every position has a feature; an `Option` of the tuple is no
    // larger than it), then sorted in place: a million houses take 40 MB, once.
    let found: Vec<Option<Now<'_>>> = (0..ds.count(layer))
        .into_par_iter()
        .map_init(Vec::new, |buf, p| {
            Some((ds.id_at(layer, p)?, digest_at(ds, layer, p, buf)?, p))
        })
        .collect();
    let mut out: Vec<Now<'_>> = found.into_iter().flatten().collect();
    out.sort_unstable_by(|a, b| a.0.cmp(b.0).then(a.2.cmp(&b.2)));
    out.reverse();
    out.dedup_by(|later, earlier| later.0 == earlier.0);
    out.reverse();
    out
}

/// Whether the four tables are there (the time the folder was last read,
/// [`TRAIL_READ_TABLE`], may be missing: its changes are then recorded when found).
pub(super) fn tables(c: &Connection) -> rusqlite::Result<bool> {
    for t in [
        TRAIL_STATE_TABLE,
        TRAIL_FEATURES_TABLE,
        TRAIL_KEPT_TABLE,
        TRAIL_FILES_TABLE,
    ] {
        if !schema::table_exists(c, t)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The layers the trail knows, each with the `seq` its knowledge matches (none when a
/// table is missing).
pub(super) fn kept(c: &Connection) -> rusqlite::Result<Vec<(String, i64)>> {
    if !tables(c)? {
        return Ok(Vec::new());
    }
    let mut st = c.prepare(&format!("SELECT layer, seq FROM {TRAIL_KEPT_TABLE}"))?;
    let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

/// After records `from`..=`to` that kept the state ([`follow`]): the layers whose
/// knowledge matched the trail before them match it after.
pub(super) fn kept_in_step(c: &Connection, from: u64, to: u64) -> rusqlite::Result<()> {
    if !tables(c)? {
        return Ok(());
    }
    c.execute(
        &format!("UPDATE {TRAIL_KEPT_TABLE} SET seq = ?1 WHERE seq = ?2"),
        params![to as i64, from as i64],
    )
    .map(drop)
}

/// How many features of each layer the trail knows up to its last record (for a server
/// to tell a load that lost a layer's file from the office's deletions).
pub fn known_counts(path: &Path) -> Result<Vec<(LayerKind, usize)>, StoreError> {
    let sql = sql_err(path);
    let c = super::gpkg::open(path, true)?;
    let mut out = Vec::new();
    let last = changes::last_seq(&c).map_err(&sql)? as i64;
    // Only layers known up to the last record: the others are learned again.
    for (layer, _) in kept(&c)
        .map_err(&sql)?
        .into_iter()
        .filter(|(_, seq)| *seq == last)
    {
        let Some(kind) = LayerKind::INPUTS.into_iter().find(|k| k.name() == layer) else {
            continue;
        };
        let n: i64 = c
            .query_row(
                &format!("SELECT count(*) FROM {TRAIL_STATE_TABLE} WHERE layer = ?1"),
                [&layer],
                |r| r.get(0),
            )
            .map_err(&sql)?;
        out.push((kind, usize::try_from(n).unwrap_or(0)));
    }
    Ok(out)
}

fn put(c: &Connection, layer: &str, id: &str, digest: &Digest, json: &str) -> rusqlite::Result<()> {
    c.prepare_cached(&format!(
        "INSERT OR REPLACE INTO {TRAIL_STATE_TABLE} (layer, id, digest) VALUES (?1, ?2, ?3)"
    ))?
    .execute(params![layer, id, &digest[..]])?;
    c.prepare_cached(&format!(
        "INSERT OR REPLACE INTO {TRAIL_FEATURES_TABLE} (layer, id, feature) VALUES (?1, ?2, ?3)"
    ))?
    .execute(params![layer, id, json])
    .map(drop)
}

fn remove(c: &Connection, layer: &str, id: &str) -> rusqlite::Result<()> {
    for table in [TRAIL_STATE_TABLE, TRAIL_FEATURES_TABLE] {
        c.prepare_cached(&format!("DELETE FROM {table} WHERE layer = ?1 AND id = ?2"))?
            .execute(params![layer, id])?;
    }
    Ok(())
}

/// Keeps the state with a change the trail records (when it keeps one).
pub(super) fn follow(c: &Connection, ch: &Change) -> rusqlite::Result<()> {
    let Some(f) = &ch.after else {
        return remove(c, ch.layer.name(), &ch.id);
    };
    let mut buf = Vec::new();
    let digest = match f {
        AnyFeature::Area(f) => digest_of(f, &mut buf),
        AnyFeature::Enterprise(f) => digest_of(f, &mut buf),
        AnyFeature::HazardSource(f) => digest_of(f, &mut buf),
        AnyFeature::GasPipeline(f) => digest_of(f, &mut buf),
        AnyFeature::House(f) => digest_of(f, &mut buf),
        AnyFeature::ProtectionTarget(f) => digest_of(f, &mut buf),
        AnyFeature::HiddenHazard(f) => digest_of(f, &mut buf),
    };
    let json = changes::feature_json(f).to_string();
    put(c, ch.layer.name(), &ch.id, &digest, &json)
}

/// Compares `layers` of the folder as loaded (`ds`) with what the trail at `path`
/// (opened with [`super::trail::open_trail`]) last knew of them, records each difference
/// as made by `actor` (at the folder's last save, see below, or now), and keeps the state
/// with them, in one transaction. A layer
/// the trail does not know, or knows only up to an earlier record, is learned instead.
/// The other layers are left as the trail knows them (a server waiting for the folder to
/// be read whole learns only the layers the trail does not know).
///
/// `read`, when given, names the files the load read whole, which replace those the
/// trail's knowledge was read from ([`known_files`]), and when the folder was last saved
/// ([`last_save`]): the changes are recorded at that time when it lies after both the
/// trail's last taking in of a reading and its last record, and not after now (the
/// office saved them then, while no server read the folder), else now: the stamp never
/// goes before a record the trail holds (the past days are found by `at`, in `seq`
/// order; only a clock set back makes now earlier than the last record). Also now when
/// the trail last took in a reading made otherwise ([`CaughtUp::read_otherwise`]): what
/// differs may be the new reading's, made now.
pub fn catch_up(
    path: &Path,
    ds: &Dataset,
    actor: &str,
    layers: &[LayerKind],
    read: Option<&FilesRead<'_>>,
) -> Result<CaughtUp, StoreError> {
    let sql = sql_err(path);
    // Worked out before the trail is locked.
    let now: Vec<(LayerKind, Vec<Now<'_>>)> = layers.iter().map(|&k| (k, digests(ds, k))).collect();
    let mut c = super::trail::open_made(path)?;
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(&sql)?;
    if !tables(&tx).map_err(&sql)? {
        tx.execute_batch(&format!(
            "DROP TABLE IF EXISTS {TRAIL_STATE_TABLE};
             DROP TABLE IF EXISTS {TRAIL_FEATURES_TABLE};
             DROP TABLE IF EXISTS {TRAIL_KEPT_TABLE};
             DROP TABLE IF EXISTS {TRAIL_FILES_TABLE};
             DROP TABLE IF EXISTS {TRAIL_READ_TABLE};
             CREATE TABLE {TRAIL_STATE_TABLE} (layer TEXT NOT NULL, id TEXT NOT NULL, \
               digest BLOB NOT NULL, PRIMARY KEY (layer, id)) WITHOUT ROWID;
             CREATE TABLE {TRAIL_FEATURES_TABLE} (layer TEXT NOT NULL, id TEXT NOT NULL, \
               feature TEXT NOT NULL, PRIMARY KEY (layer, id)) WITHOUT ROWID;
             CREATE TABLE {TRAIL_KEPT_TABLE} (layer TEXT PRIMARY KEY NOT NULL, \
               seq INTEGER NOT NULL) WITHOUT ROWID;
             CREATE TABLE {TRAIL_FILES_TABLE} (file TEXT PRIMARY KEY NOT NULL, \
               layer TEXT NOT NULL) WITHOUT ROWID;"
        ))
        .map_err(&sql)?;
    }
    changes::create_table(&tx).map_err(&sql)?;
    let first = changes::last_seq(&tx).map_err(&sql)?;
    let kept = kept(&tx).map_err(&sql)?;
    let at = utc_now(&tx).map_err(&sql)?;
    let read_otherwise = match read {
        Some(r) => read_otherwise(&tx, r.reading).map_err(&sql)?,
        None => None,
    };
    let at = match read {
        Some(r) if read_otherwise.is_none() => stamp(&tx, r.saved, &at).map_err(&sql)?,
        _ => at,
    };
    let mut out = CaughtUp {
        features: now.iter().map(|(_, v)| v.len()).sum(),
        at: at.clone(),
        read_otherwise,
        ..CaughtUp::default()
    };
    for &(layer, ref list) in &now {
        let in_step = kept
            .iter()
            .any(|(l, seq)| l == layer.name() && *seq == first as i64);
        if in_step {
            let refused = read.and_then(|r| r.refused.refused.get(&layer));
            let counts = record_differences(&tx, path, ds, layer, list, refused, actor, &at)?;
            if counts.iter().any(|n| *n > 0) {
                out.layers.push((layer, counts));
            }
        } else {
            learn(&tx, ds, layer, list).map_err(&sql)?;
            out.learned.push(layer);
        }
    }
    out.last = changes::last_seq(&tx).map_err(&sql)?;
    // The layers caught up or learned match the trail now; the others, held back, as
    // before (nothing of theirs was recorded).
    kept_in_step(&tx, first, out.last).map_err(&sql)?;
    for layer in layers {
        tx.execute(
            &format!("INSERT OR REPLACE INTO {TRAIL_KEPT_TABLE} (layer, seq) VALUES (?1, ?2)"),
            params![layer.name(), out.last as i64],
        )
        .map_err(&sql)?;
    }
    if let Some(read) = read {
        write_files(&tx, read.whole, read.reading).map_err(&sql)?;
    }
    tx.commit().map_err(&sql)?;
    Ok(out)
}

/// How many of the features of `layer` the trail knows are not in `ds`.
pub fn known_absent(path: &Path, layer: LayerKind, ds: &Dataset) -> Result<usize, StoreError> {
    let sql = sql_err(path);
    let c = super::gpkg::open(path, true)?;
    if !tables(&c).map_err(&sql)? {
        return Ok(0);
    }
    let now: std::collections::HashSet<&str> = (0..ds.count(layer))
        .filter_map(|p| ds.id_at(layer, p))
        .collect();
    let mut st = c
        .prepare(&format!(
            "SELECT id FROM {TRAIL_STATE_TABLE} WHERE layer = ?1"
        ))
        .map_err(&sql)?;
    let mut rows = st.query([layer.name()]).map_err(&sql)?;
    let mut absent = 0;
    while let Some(r) = rows.next().map_err(&sql)? {
        let id: String = r.get(0).map_err(&sql)?;
        absent += usize::from(!now.contains(id.as_str()));
    }
    Ok(absent)
}

/// Replaces what the trail knows of `layer` with `list`.
fn learn(c: &Connection, ds: &Dataset, layer: LayerKind, list: &[Now<'_>]) -> rusqlite::Result<()> {
    for t in [TRAIL_STATE_TABLE, TRAIL_FEATURES_TABLE] {
        c.execute(&format!("DELETE FROM {t} WHERE layer = ?1"), [layer.name()])?;
    }
    for part in list.chunks(CHUNK) {
        let texts: Vec<Option<String>> = part
            .par_iter()
            .map(|(_, _, p)| json_at(ds, layer, *p).map(|j| j.to_string()))
            .collect();
        for ((id, digest, _), text) in part.iter().zip(texts) {
            if let Some(text) = text {
                put(c, layer.name(), id, digest, &text)?;
            }
        }
    }
    Ok(())
}

/// Records what differs between the trail's `layer` and `list` and keeps the state
/// with it: new, changed and removed features recorded; a feature absent from `list`
/// whose line the load refused (`refused`) is not a removal, and stays known.
#[allow(clippy::too_many_arguments)]
fn record_differences(
    tx: &Connection,
    path: &Path,
    ds: &Dataset,
    layer: LayerKind,
    list: &[Now<'_>],
    refused: Option<&std::collections::HashSet<String>>,
    actor: &str,
    at: &str,
) -> Result<[usize; 3], StoreError> {
    let sql = sql_err(path);
    let found = differences(tx, layer, list).map_err(&sql)?;
    let mut counts = [0usize; 3];
    for (op, id, now_at) in found {
        if op == ChangeOp::Delete && refused.is_some_and(|r| r.contains(&id)) {
            continue;
        }
        let before = match op {
            ChangeOp::Insert => None,
            _ => Some(state_feature(tx, path, layer, &id)?),
        };
        let after = now_at.and_then(|(p, d)| Some((json_at(ds, layer, p)?, d)));
        let after_json = after.as_ref().map(|(j, _)| j);
        // Written otherwise by another version of the program, not changed.
        let same = op == ChangeOp::Update
            && changes::changed_fields(before.as_ref().map(|(_, v)| v), after_json).is_empty();
        if !same {
            let ch = NewChange {
                at,
                actor,
                layer: layer.name(),
                id: &id,
                op,
                before: None,
                after: after_json,
            };
            // The text kept, as the record before this one holds it.
            let text = before.as_ref().map(|(t, _)| t.as_str());
            changes::record_with_before(tx, &ch, text).map_err(&sql)?;
            counts[match op {
                ChangeOp::Insert => 0,
                ChangeOp::Update => 1,
                ChangeOp::Delete => 2,
            }] += 1;
        }
        match &after {
            Some((j, d)) => put(tx, layer.name(), &id, d, &j.to_string()),
            None => remove(tx, layer.name(), &id),
        }
        .map_err(&sql)?;
    }
    Ok(counts)
}

/// A difference found: what was done, the id, and the feature's position and digest
/// now (none for a removal).
type Found = (ChangeOp, String, Option<(usize, Digest)>);

/// What differs between the state's features of `layer` and `now` (by id), in id order.
fn differences(c: &Connection, layer: LayerKind, now: &[Now<'_>]) -> rusqlite::Result<Vec<Found>> {
    let mut st = c.prepare(&format!(
        "SELECT id, digest FROM {TRAIL_STATE_TABLE} WHERE layer = ?1 ORDER BY id"
    ))?;
    let mut rows = st.query([layer.name()])?;
    let mut out = Vec::new();
    let mut now = now.iter().peekable();
    let mut row = rows.next()?;
    loop {
        let kept: Option<(String, Vec<u8>)> = match row {
            Some(r) => Some((r.get(0)?, r.get(1)?)),
            None => None,
        };
        match (kept, now.peek()) {
            (None, None) => break,
            (None, Some((id, d, p))) => {
                out.push((ChangeOp::Insert, id.to_string(), Some((*p, *d))));
                now.next();
            }
            (Some((id, _)), None) => {
                out.push((ChangeOp::Delete, id, None));
                row = rows.next()?;
            }
            (Some((kid, kd)), Some((id, d, p))) => match kid.as_str().cmp(id) {
                Ordering::Less => {
                    out.push((ChangeOp::Delete, kid, None));
                    row = rows.next()?;
                }
                Ordering::Greater => {
                    out.push((ChangeOp::Insert, id.to_string(), Some((*p, *d))));
                    now.next();
                }
                Ordering::Equal => {
                    if kd.as_slice() != d.as_slice() {
                        out.push((ChangeOp::Update, kid, Some((*p, *d))));
                    }
                    row = rows.next()?;
                    now.next();
                }
            },
        }
    }
    Ok(out)
}

/// The feature the state holds for `layer`/`id`: its text and GeoJSON.
fn state_feature(
    c: &Connection,
    path: &Path,
    layer: LayerKind,
    id: &str,
) -> Result<(String, Value), StoreError> {
    let text: String = c
        .query_row(
            &format!("SELECT feature FROM {TRAIL_FEATURES_TABLE} WHERE layer = ?1 AND id = ?2"),
            params![layer.name(), id],
            |r| r.get(0),
        )
        .map_err(sql_err(path))?;
    let json = serde_json::from_str(&text).map_err(|e| StoreError::Table {
        path: path.to_path_buf(),
        table: TRAIL_FEATURES_TABLE.into(),
        reason: format!("{} {id}: not JSON: {e}", layer.name()),
    })?;
    Ok((text, json))
}

#[cfg(test)]
#[path = "trail_state_tests.rs"]
mod tests;
