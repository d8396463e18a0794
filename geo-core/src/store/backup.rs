//! A whole, consistent copy of a GeoPackage store while it is served and edited.
//!
//! Copied with `cp` while the server or QGIS writes it, the file can be caught with a
//! transaction half written (rollback journal) or without what is still in its
//! write-ahead log (WAL, which QGIS uses while editing): the copy may not open, or may
//! lack the last edits. [`backup`] copies it through SQLite's online backup instead: a
//! run of pages at a time, each under a read lock held for that step alone, so that the
//! server's edits and a GIS save go on between the steps. A write by another connection
//! makes SQLite start the copy again; after [`RESTARTS`] restarts the rest is copied in
//! one step, writers waiting for it as they wait for any reader (up to their busy
//! timeout, 5 s for the server's).
//!
//! The copy is written under a temporary name beside the target, checked (`PRAGMA
//! quick_check`, the GeoPackage's `gpkg_contents`), put in rollback-journal mode (one
//! file, whatever mode the store was in), synced and only then renamed: the target is
//! either absent or a whole copy, and an existing file is never overwritten.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, ErrorCode, OpenFlags};

use super::StoreError;
use super::changes;
use super::columns::{not_gpkg, sql_err};
use super::gpkg_read::ledger_tables;
use super::schema::{q, table_exists};
use crate::model::LayerKind;

/// Pages copied a step (4 MiB at SQLite's usual 4 KiB pages).
const PAGES_A_STEP: i32 = 1024;
/// Restarts (another connection wrote the store) before the rest is copied in one step.
pub const RESTARTS: u32 = 3;
/// How long a step waits for a writer's lock before it tries again.
const LOCKED_PAUSE: Duration = Duration::from_millis(20);
/// How long the copy waits for a lock another program keeps, with no page copied
/// meanwhile (each try itself waits up to the store's busy timeout).
const LOCKED_LIMIT: Duration = Duration::from_secs(60);

/// What [`backup`] copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupReport {
    /// The copy's path.
    pub path: PathBuf,
    /// The copy's size in bytes.
    pub bytes: u64,
    /// The rows of each ledger table in the copy, in layer order.
    pub ledgers: Vec<(LayerKind, String, u64)>,
    /// The copy's last change record (0: none).
    pub trail_last: u64,
    /// How often another connection's write started the copy again.
    pub restarts: u32,
    /// Whether the last part was copied in one step after [`RESTARTS`] restarts.
    pub in_one_step: bool,
    /// How long the copy took.
    pub elapsed: Duration,
}

/// Copies the GeoPackage at `store` to `to`, which must not exist (see the module).
pub fn backup(store: &Path, to: &Path) -> Result<BackupReport, StoreError> {
    backup_with(store, to, || {})
}

/// [`backup`], calling `after_step` after each step of the copy (the tests write the
/// store there).
fn backup_with(
    store: &Path,
    to: &Path,
    after_step: impl FnMut(),
) -> Result<BackupReport, StoreError> {
    let t0 = Instant::now();
    let file_err = |path: &Path, reason: String| StoreError::File {
        path: path.to_path_buf(),
        reason,
    };
    if store.is_dir() {
        return Err(file_err(
            store,
            "a data folder, not a store: copy the folder's files as they are".into(),
        ));
    }
    if !store.is_file() {
        return Err(file_err(store, "no such file".into()));
    }
    if to.exists() {
        return Err(file_err(
            to,
            "already exists; a backup is never written over a file".into(),
        ));
    }
    let dir = match to.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(file_err(&dir, "no such folder for the backup".into()));
    }
    let src = super::gpkg::open(store, true)?;
    if !table_exists(&src, "gpkg_contents").map_err(sql_err(store))? {
        return Err(not_gpkg(store, "no gpkg_contents table"));
    }
    let name = to
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "backup".into());
    let partial = dir.join(format!(".{name}.partial-{}", std::process::id()));
    let done = copy(&src, store, &partial, to, after_step);
    drop(src);
    let report = done.and_then(|(restarts, in_one_step)| {
        let (ledgers, trail_last) = check(&partial)?;
        std::fs::File::open(&partial)
            .and_then(|f| f.sync_all())
            .map_err(|e| file_err(&partial, e.to_string()))?;
        // The copy as closed as the store: a store only its owner reads (phone numbers)
        // is not backed up readable by every user.
        std::fs::metadata(store)
            .and_then(|m| std::fs::set_permissions(&partial, m.permissions()))
            .map_err(|e| file_err(&partial, e.to_string()))?;
        put_in_place(&partial, to)?;
        Ok(BackupReport {
            path: to.to_path_buf(),
            bytes: std::fs::metadata(to).map_or(0, |m| m.len()),
            ledgers,
            trail_last,
            restarts,
            in_one_step,
            elapsed: t0.elapsed(),
        })
    });
    let _ = std::fs::remove_file(&partial);
    for side in ["-journal", "-wal", "-shm"] {
        let _ = std::fs::remove_file(super::beside(&partial, side));
    }
    if report.is_ok()
        && let Ok(d) = std::fs::File::open(&dir)
    {
        let _ = d.sync_all();
    }
    report
}

/// The copy at `partial` given the name `to`, never over a file that appeared
/// meanwhile: a hard link fails on an existing name; a file system without links (a FAT
/// or SMB backup drive) gets the name taken first (made only if missing), then the copy
/// renamed over it.
fn put_in_place(partial: &Path, to: &Path) -> Result<(), StoreError> {
    let failed = |e: std::io::Error| StoreError::File {
        path: to.to_path_buf(),
        reason: if e.kind() == std::io::ErrorKind::AlreadyExists {
            "appeared while the backup was made; left as it is".into()
        } else {
            e.to_string()
        },
    };
    if let Err(e) = std::fs::hard_link(partial, to) {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            return Err(failed(e));
        }
        std::fs::File::create_new(to).map_err(failed)?;
        if let Err(e) = std::fs::rename(partial, to) {
            // Not an empty file under the backup's name, taken for a copy.
            if std::fs::metadata(to).is_ok_and(|m| m.len() == 0) {
                let _ = std::fs::remove_file(to);
            }
            return Err(failed(e));
        }
    }
    Ok(())
}

/// The online backup of `src` into a new file at `partial`: how often it restarted,
/// and whether the rest was copied in one step.
fn copy(
    src: &Connection,
    store: &Path,
    partial: &Path,
    to: &Path,
    mut after_step: impl FnMut(),
) -> Result<(u32, bool), StoreError> {
    // A step's failure to write (a full or read-only backup disk) is the backup's, not
    // the store's: said of the backup, so that nobody goes looking at the served disk.
    let step_err = |e: rusqlite::Error| match e.sqlite_error_code() {
        Some(
            ErrorCode::DiskFull
            | ErrorCode::ReadOnly
            | ErrorCode::SystemIoFailure
            | ErrorCode::CannotOpen
            | ErrorCode::PermissionDenied,
        ) => StoreError::File {
            path: to.to_path_buf(),
            reason: format!("the backup could not be written there ({e}); the store is untouched"),
        },
        _ => sql_err(store)(e),
    };
    let mut dst = Connection::open_with_flags(
        partial,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
    )
    .map_err(sql_err(partial))?;
    let b = Backup::new(src, &mut dst).map_err(sql_err(store))?;
    let (mut restarts, mut in_one_step) = (0u32, false);
    // Pages copied in this pass: SQLite starts a pass again from the first page when
    // another connection writes the store, so a step that leaves no more pages copied
    // than the step before began a new pass.
    let mut copied = 0;
    let mut locked_since: Option<Instant> = None;
    loop {
        let pages = if in_one_step { -1 } else { PAGES_A_STEP };
        match b.step(pages).map_err(step_err)? {
            StepResult::Done => break,
            StepResult::More => {
                locked_since = None;
                let p = b.progress();
                let now = p.pagecount - p.remaining;
                if now <= copied {
                    restarts += 1;
                    in_one_step = restarts >= RESTARTS;
                }
                copied = now;
            }
            // A writer holds the store (its commit): wait a moment, not for ever.
            _ => {
                let since = *locked_since.get_or_insert_with(Instant::now);
                if since.elapsed() > LOCKED_LIMIT {
                    return Err(StoreError::File {
                        path: store.to_path_buf(),
                        reason: format!(
                            "another program held the file's lock for {} s: no backup made",
                            LOCKED_LIMIT.as_secs()
                        ),
                    });
                }
                std::thread::sleep(LOCKED_PAUSE);
            }
        }
        after_step();
    }
    drop(b);
    drop(dst);
    // One file, whatever mode the store was in (the copied header says the store's).
    let dst = Connection::open(partial).map_err(sql_err(partial))?;
    let mode: String = dst
        .query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))
        .map_err(sql_err(partial))?;
    if !mode.eq_ignore_ascii_case("delete") {
        return Err(StoreError::File {
            path: partial.to_path_buf(),
            reason: format!("the copy stays in journal mode {mode}"),
        });
    }
    Ok((restarts, in_one_step))
}

/// The copy checked: SQLite's quick check, a GeoPackage's table of contents; gives the
/// rows of each ledger table and the trail's last record.
#[allow(clippy::type_complexity)]
fn check(partial: &Path) -> Result<(Vec<(LayerKind, String, u64)>, u64), StoreError> {
    let c = super::gpkg::open(partial, true)?;
    let sql = sql_err(partial);
    let verdict: String = c
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .map_err(sql)?;
    if verdict != "ok" {
        return Err(StoreError::File {
            path: partial.to_path_buf(),
            reason: format!("the copy fails SQLite's check: {verdict}"),
        });
    }
    if !table_exists(&c, "gpkg_contents").map_err(sql)? {
        return Err(not_gpkg(partial, "the copy has no gpkg_contents table"));
    }
    let mut ledgers = Vec::new();
    for (kind, table) in ledger_tables(&c, partial)? {
        let n: i64 = c
            .query_row(&format!("SELECT count(*) FROM {}", q(&table)), [], |r| {
                r.get(0)
            })
            .map_err(sql)?;
        ledgers.push((kind, table, n as u64));
    }
    let last = changes::last_seq(&c).map_err(sql)?;
    Ok((ledgers, last))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::Dataset;
    use crate::layer::Layer;
    use crate::store::test_support::{house, other_program};

    /// A store of two houses and 8 MB of ballast (about 2,000 pages: several steps), and
    /// a counter another program raises.
    fn store(dir: &Path) -> PathBuf {
        let path = dir.join("city.gpkg");
        let ds = Dataset {
            houses: Layer::new(
                LayerKind::Houses,
                vec![house("h1", 121.1, 3), house("h2", 121.2, 2)],
            ),
            ..Dataset::default()
        };
        crate::store::gpkg::write(&path, &ds).unwrap();
        other_program(&path)
            .execute_batch(
                "CREATE TABLE ballast (b BLOB);
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)
                 INSERT INTO ballast SELECT randomblob(8000) FROM n;
                 CREATE TABLE counter (n INTEGER);
                 INSERT INTO counter VALUES (0);",
            )
            .unwrap();
        path
    }

    fn counter(path: &Path) -> i64 {
        other_program(path)
            .query_row("SELECT n FROM counter", [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn a_write_after_every_step_has_the_rest_copied_in_one_step() {
        let dir = tempfile::tempdir().unwrap();
        let path = store(dir.path());
        let to = dir.path().join("copy.gpkg");
        // Another program writes after every step: each next step starts the copy
        // again, until after three restarts the rest goes in one step (the fifth).
        let writer = other_program(&path);
        let r = backup_with(&path, &to, || {
            writer.execute("UPDATE counter SET n = n + 1", []).unwrap();
        })
        .unwrap();
        assert_eq!((r.restarts, r.in_one_step), (3, true));
        // Four writes, after the first four steps: all in the copy and in the store.
        assert_eq!(counter(&path), 4);
        assert_eq!(counter(&to), 4);
        // Every ledger table counted: the two houses, the other tables empty.
        let rows: Vec<(&str, u64)> = r.ledgers.iter().map(|(_, t, n)| (t.as_str(), *n)).collect();
        assert_eq!(rows.len(), 7);
        assert!(
            rows.iter().all(|&(t, n)| n == u64::from(t == "houses") * 2),
            "{rows:?}"
        );
    }

    /// A store only its owner may read is backed up as closed (the umask would have
    /// made the copy readable by every user of the machine).
    #[cfg(unix)]
    #[test]
    fn the_copy_keeps_the_stores_permissions() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = store(dir.path());
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let to = dir.path().join("copy.gpkg");
        backup(&path, &to).unwrap();
        let mode = std::fs::metadata(&to).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{mode:o}");
    }

    #[test]
    fn one_write_during_the_copy_starts_it_again_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = store(dir.path());
        let to = dir.path().join("copy.gpkg");
        let writer = other_program(&path);
        let mut steps = 0;
        let r = backup_with(&path, &to, || {
            steps += 1;
            if steps == 1 {
                writer.execute("UPDATE counter SET n = n + 1", []).unwrap();
            }
        })
        .unwrap();
        assert_eq!((r.restarts, r.in_one_step), (1, false));
        assert_eq!(counter(&to), 1);
        // The copy is one file in rollback-journal mode, and nothing else is left.
        let c = other_program(&to);
        let mode: String = c
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "delete");
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["city.gpkg", "copy.gpkg"]);
    }
}
