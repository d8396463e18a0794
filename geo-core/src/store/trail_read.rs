//! When and how a folder's trail last took in a reading of the folder, and the files it
//! read whole: what [`super::trail_state::catch_up`] dates a start's changes by (the
//! folder's last save, [`last_save`], against the trail's last reading and how it was
//! read) and judges a load by (a file the trail read whole now missing or broken).

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, TransactionBehavior, params};

use super::StoreError;
use super::changes;
use super::columns::sql_err;
use super::schema;
use super::trail_state::{TRAIL_FILES_TABLE, tables};
use crate::model::LayerKind;

/// The table of when the trail last took in a reading of the folder (one row, `at` as
/// its records give times) and how the folder was read then (`reading`,
/// [`crate::io::LoadOptions::reading`]), written with the files it read whole, after the
/// reading's records: a file saved after it holds changes made at that save (see
/// `catch_up`). A trail without it, or without its `reading` (made by an earlier
/// version), records those changes when it finds them.
pub const TRAIL_READ_TABLE: &str = "riskmap_trail_read";

/// Replaces the files the trail's knowledge was read from whole (nothing for a trail
/// that keeps no knowledge yet), read as `reading` says: a running server's reading
/// after its records.
pub fn keep_files(path: &Path, files: &[FileRead], reading: &str) -> Result<(), StoreError> {
    let sql = sql_err(path);
    let mut c = super::trail::open_made(path)?;
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(&sql)?;
    if !tables(&tx).map_err(&sql)? {
        return Ok(());
    }
    write_files(&tx, files, reading).map_err(&sql)?;
    tx.commit().map_err(&sql)
}

pub(super) fn write_files(
    c: &Connection,
    files: &[FileRead],
    reading: &str,
) -> rusqlite::Result<()> {
    c.execute_batch(&format!(
        "CREATE TABLE IF NOT EXISTS {TRAIL_READ_TABLE} (one INTEGER PRIMARY KEY \
           CHECK (one = 1), at TEXT NOT NULL, reading TEXT);"
    ))?;
    if !has_column(c, TRAIL_READ_TABLE, "reading")? {
        // A trail of the version before, which did not say how it read.
        c.execute_batch(&format!(
            "ALTER TABLE {TRAIL_READ_TABLE} ADD COLUMN reading TEXT"
        ))?;
    }
    c.execute(
        &format!(
            "INSERT OR REPLACE INTO {TRAIL_READ_TABLE} (one, at, reading) \
             VALUES (1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?1)"
        ),
        [reading],
    )?;
    if !has_column(c, TRAIL_FILES_TABLE, "features")? {
        // A trail of an earlier version, which did not count each file's features.
        c.execute_batch(&format!(
            "ALTER TABLE {TRAIL_FILES_TABLE} ADD COLUMN features INTEGER"
        ))?;
    }
    c.execute(&format!("DELETE FROM {TRAIL_FILES_TABLE}"), [])?;
    for f in files {
        c.execute(
            &format!(
                "INSERT OR REPLACE INTO {TRAIL_FILES_TABLE} (file, layer, features) \
                 VALUES (?1, ?2, ?3)"
            ),
            params![
                f.file,
                f.layer.name(),
                f.features.and_then(|n| i64::try_from(n).ok())
            ],
        )?;
    }
    Ok(())
}

/// Whether `table` has `column`.
pub(super) fn has_column(c: &Connection, table: &str, column: &str) -> rusqlite::Result<bool> {
    let n: i64 = c.query_row(
        "SELECT count(*) FROM pragma_table_info(?1) WHERE name = ?2",
        [table, column],
        |r| r.get(0),
    )?;
    Ok(n > 0)
}

/// How the trail last took in a reading of the folder, when that was not as `reading`
/// says ("not recorded" when the trail says when but not how); none when it is, or when
/// the trail never took one in.
pub(super) fn read_otherwise(c: &Connection, reading: &str) -> rusqlite::Result<Option<String>> {
    if !schema::table_exists(c, TRAIL_READ_TABLE)? {
        return Ok(None);
    }
    let before: Option<Option<String>> = if has_column(c, TRAIL_READ_TABLE, "reading")? {
        c.query_row(
            &format!("SELECT reading FROM {TRAIL_READ_TABLE}"),
            [],
            |r| r.get(0),
        )
        .map(Some)
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            e => Err(e),
        })?
    } else {
        Some(None)
    };
    Ok(match before {
        None => None,
        Some(Some(b)) if b == reading => None,
        Some(b) => Some(b.unwrap_or_else(|| "not recorded".to_string())),
    })
}

/// When the changes a comparison finds are recorded as made: the folder's last save
/// (`saved`) when that lies after the trail last took in a reading of the folder
/// ([`TRAIL_READ_TABLE`]) and after its last record, and not after `now`; else `now`. A
/// save's time outside that span says nothing of when the change was made: a file
/// copied in with an older file's time kept, a clock ahead of this one's, a trail that
/// does not say when it last took in a reading.
pub(super) fn stamp(
    c: &Connection,
    saved: Option<SystemTime>,
    now: &str,
) -> rusqlite::Result<String> {
    let now = now.to_string();
    let Some(Ok(secs)) = saved.map(|t| t.duration_since(UNIX_EPOCH)) else {
        return Ok(now);
    };
    if !schema::table_exists(c, TRAIL_READ_TABLE)? {
        return Ok(now);
    }
    let read: Option<String> = c.query_row(
        &format!("SELECT max(at) FROM {TRAIL_READ_TABLE}"),
        [],
        |r| r.get(0),
    )?;
    let Some(read) = read else {
        return Ok(now);
    };
    let since = changes::last_at(c)?.map_or(read.clone(), |last| last.max(read));
    // The records' own form of a time, to the millisecond (none past the year 9999):
    // cut to the millisecond here, as SQLite's 'now' is, not rounded up by SQLite.
    let text: Option<String> = c
        .prepare_cached("SELECT strftime('%Y-%m-%dT%H:%M:%fZ', ?1, 'unixepoch')")?
        .query_row([secs.as_millis() as f64 / 1000.0], |r| r.get(0))?;
    Ok(text.filter(|t| *t > since && *t <= now).unwrap_or(now))
}

/// A file a load read whole into a layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRead {
    /// The file, relative to the folder.
    pub file: String,
    /// Its layer.
    pub layer: LayerKind,
    /// The features loaded from it (after repeated ids are dropped); `None` when a trail
    /// of an earlier version did not keep it.
    pub features: Option<u64>,
}

/// The files a load read whole into a layer (relative to the folder), when the folder
/// was last saved ([`last_save`]) and how the load read it, for `catch_up`.
#[derive(Debug, Clone, Copy)]
pub struct FilesRead<'a> {
    /// The files read whole.
    pub whole: &'a [FileRead],
    /// When the folder was last saved.
    pub saved: Option<SystemTime>,
    /// How the load read the folder ([`crate::io::LoadOptions::reading`]).
    pub reading: &'a str,
    /// The ledger lines the load's checks refused ([`super::Kept::of_report`]'s
    /// `refused`): a feature the trail knows whose line is refused now is still in the
    /// office's file, not deleted, and stays known as it was.
    pub refused: &'a super::Kept,
}

/// When the folder was last saved: the latest change (`changed_at`) of `files`
/// (relative to `folder`: every file the load looked at, with whether it read it), a
/// shapefile's with its `.dbf`, `.shx`, `.prj` and `.cpg` (its attributes change in the
/// `.dbf` alone), the folder's `riskmap.toml` (how the files are read), and the folders
/// from the folder down to each file (a file deleted, renamed or unpacked). One time for
/// the whole folder: a feature's recorded form may follow another layer's file (a hazard
/// source's enterprise), so a layer's own files could date its change too early. None
/// when a file the load read cannot be found again (its name not the one on disk, or
/// gone since): its change cannot be dated. A file it did not read and that is gone (an
/// editor's lock file) is passed over.
pub fn last_save<'a>(
    folder: &Path,
    files: impl IntoIterator<Item = (&'a str, bool)>,
) -> Option<SystemTime> {
    let mut latest = [folder.to_path_buf(), folder.join("riskmap.toml")]
        .iter()
        .filter_map(|p| changed_at(p).ok())
        .max();
    let mut later = |t: SystemTime| latest = Some(latest.map_or(t, |l: SystemTime| l.max(t)));
    let mut dirs: std::collections::HashSet<std::path::PathBuf> = Default::default();
    for (file, read) in files {
        let p = folder.join(file);
        match changed_at(&p) {
            Ok(t) => later(t),
            Err(_) if read => return None,
            Err(_) => continue,
        }
        if p.extension().is_some_and(|e| e.eq_ignore_ascii_case("shp")) {
            for ext in ["dbf", "shx", "prj", "cpg"] {
                if let Some(t) = crate::io::shp::sidecar(&p, ext).and_then(|s| changed_at(&s).ok())
                {
                    later(t);
                }
            }
        }
        let mut dir = p.parent();
        while let Some(d) = dir.filter(|d| *d != folder && d.starts_with(folder)) {
            if !dirs.insert(d.to_path_buf()) {
                break;
            }
            if let Ok(t) = changed_at(d) {
                later(t);
            }
            dir = d.parent();
        }
    }
    latest
}

/// When a file or folder last changed here: the later of its modification time and,
/// on Unix, its status change time, which no program sets (a file copied in with its
/// old modification time kept, or unpacked from an archive, changed when that was done).
fn changed_at(p: &Path) -> std::io::Result<SystemTime> {
    let m = std::fs::metadata(p)?;
    let modified = m.modified()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(s), Ok(n)) = (u64::try_from(m.ctime()), u32::try_from(m.ctime_nsec())) {
            return Ok(modified.max(UNIX_EPOCH + std::time::Duration::new(s, n)));
        }
    }
    Ok(modified)
}

/// The files the trail's knowledge was read from whole, with their layers (none for a
/// trail that keeps no knowledge).
pub fn known_files(path: &Path) -> Result<Vec<FileRead>, StoreError> {
    let sql = sql_err(path);
    let c = super::gpkg::open(path, true)?;
    if !tables(&c).map_err(&sql)? {
        return Ok(Vec::new());
    }
    let counted = has_column(&c, TRAIL_FILES_TABLE, "features").map_err(&sql)?;
    let features = if counted { "features" } else { "NULL" };
    let mut st = c
        .prepare(&format!(
            "SELECT file, layer, {features} FROM {TRAIL_FILES_TABLE} ORDER BY file"
        ))
        .map_err(&sql)?;
    let rows = st
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<i64>>(2)?,
            ))
        })
        .map_err(&sql)?;
    let mut out = Vec::new();
    for row in rows {
        let (file, layer, n) = row.map_err(&sql)?;
        if let Some(k) = LayerKind::INPUTS.into_iter().find(|k| k.name() == layer) {
            out.push(FileRead {
                file,
                layer: k,
                features: n.and_then(|n| u64::try_from(n).ok()),
            });
        }
    }
    Ok(out)
}
