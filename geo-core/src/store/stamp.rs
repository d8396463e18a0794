//! What tells whether a GeoPackage was written since it was last looked at.
//!
//! A served GeoPackage is written by the server's own edits and by other programs (QGIS,
//! GDAL, `riskmap import`). An edit through the server is checked against the map it
//! serves, which was read from the file at some moment: it may be written only if no
//! other program wrote the file since, or it would overwrite a row it never saw. The
//! stamp is what the file's writers all change: SQLite's file change counter (header
//! bytes 24–27, raised by every transaction that wrote, in rollback-journal mode), the
//! file's size and modification time, and those of its write-ahead log when a writer
//! left one (WAL mode, which QGIS uses while editing; its writes do not raise the
//! counter), with the header of its index (`-shm`: the writers' transaction counter,
//! the log's last frame and salts, which move at every commit even when the log is
//! rewritten from its start at the same size and within one tick of the clock). Equal
//! stamps mean nobody wrote in between; a stamp that differs may also come from a
//! checkpoint that wrote nothing new, which only costs a reading of the file.
//!
//! The heads of the files are read through descriptors that stay open (`head`): on
//! POSIX systems, closing any descriptor of a file lets go of every `fcntl` lock this
//! process holds on it, SQLite's among them. A stamp read while the server's own
//! connection had the store open (in WAL mode, for as long as it is open) took those
//! locks away, and the next program to close the file (`ogrinfo`, QGIS) took itself for
//! the last one and folded and deleted the write-ahead log the server still wrote to:
//! the server's later edits went into a deleted file.

use std::path::Path;
use std::time::SystemTime;

/// The write-state of a store file and its write-ahead log at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileStamp {
    counter: Option<u32>,
    file: Option<(u64, SystemTime)>,
    wal: Option<(u64, SystemTime)>,
    wal_index: Option<[u8; WAL_INDEX_HEADER]>,
}

/// The bytes of the first copy of the WAL index's header: written by writers only
/// (readers mark the log further on).
const WAL_INDEX_HEADER: usize = 48;

impl FileStamp {
    /// The stamp of the file at `path` (and of `path-wal`) now. A file that cannot be
    /// read has a stamp of nothing, equal only to another such.
    pub fn of(path: &Path) -> FileStamp {
        let meta = |p: &Path| {
            std::fs::metadata(p)
                .ok()
                .and_then(|m| Some((m.len(), m.modified().ok()?)))
        };
        let beside = |end: &str| super::beside(path, end);
        // An empty log (left by a reader, or reset after a checkpoint) holds no write.
        let wal = meta(&beside("-wal")).filter(|(len, _)| *len > 0);
        FileStamp {
            counter: change_counter(path),
            file: meta(path),
            wal_index: wal.and_then(|_| head::<WAL_INDEX_HEADER>(&beside("-shm"))),
            wal,
        }
    }
}

/// The first `N` bytes of a file, read through a descriptor of it that this process
/// keeps open while the file is at `path` (see the module's note: never closed while
/// SQLite may hold locks on the file). A descriptor is let go only once its file is no
/// longer at its path (replaced or deleted: nobody opens that file again by the path).
#[cfg(unix)]
pub(super) fn head<const N: usize>(path: &Path) -> Option<[u8; N]> {
    use std::collections::HashMap;
    use std::os::unix::fs::{FileExt, MetadataExt};
    use std::path::PathBuf;
    use std::sync::{Mutex, OnceLock};
    type Kept = HashMap<PathBuf, ((u64, u64), std::fs::File)>;
    static KEPT: OnceLock<Mutex<Kept>> = OnceLock::new();
    let now = std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()));
    let mut kept = match KEPT.get_or_init(Mutex::default).lock() {
        Ok(k) => k,
        Err(p) => p.into_inner(),
    };
    // Files no longer at their paths, this one's among them, are let go.
    kept.retain(|p, (at, _)| {
        let here = if p == path {
            now
        } else {
            std::fs::metadata(p).ok().map(|m| (m.dev(), m.ino()))
        };
        here == Some(*at)
    });
    now?;
    if !kept.contains_key(path) {
        let f = std::fs::File::open(path).ok()?;
        let at = f.metadata().ok().map(|m| (m.dev(), m.ino()))?;
        // (Replaced between the two looks: kept under the file it is, let go next time.)
        kept.insert(path.to_path_buf(), (at, f));
    }
    let (_, f) = kept.get(path)?;
    let mut b = [0u8; N];
    f.read_exact_at(&mut b, 0).ok()?;
    Some(b)
}

/// The first `N` bytes of a file (elsewhere than on POSIX systems, closing one handle
/// does not let go of another's locks).
#[cfg(not(unix))]
pub(super) fn head<const N: usize>(path: &Path) -> Option<[u8; N]> {
    use std::io::Read;
    let mut b = [0u8; N];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut b))
        .ok()?;
    Some(b)
}

/// SQLite's file change counter, from the database header.
fn change_counter(path: &Path) -> Option<u32> {
    let h = head::<28>(path)?;
    Some(u32::from_be_bytes([h[24], h[25], h[26], h[27]]))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A count of `t`'s rows by another process (Python's own SQLite), which opens and
    /// closes the file as `ogrinfo` or QGIS would.
    #[cfg(unix)]
    fn rows_seen_by_another_process(path: &Path) -> String {
        let out = std::process::Command::new("python3")
            .arg("-c")
            .arg(
                "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); \
                 print(c.execute('SELECT count(*) FROM t').fetchone()[0]); c.close()",
            )
            .arg(path)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    #[test]
    #[cfg(unix)]
    fn a_stamp_leaves_this_process_s_locks_on_a_store_in_wal_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.gpkg");
        // The server's connection, kept open, in WAL mode (as QGIS leaves a file).
        let c = rusqlite::Connection::open(&path).unwrap();
        c.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
            .unwrap();
        c.execute_batch("CREATE TABLE t (id TEXT PRIMARY KEY); INSERT INTO t VALUES ('a');")
            .unwrap();
        for _ in 0..2 {
            let _ = FileStamp::of(&path);
            assert!(looks_like_sqlite_here(&path));
        }
        // Another program opens and closes the file: it is not the last one, so the log
        // stays, and what this connection writes next is in the file for everyone.
        assert_eq!(rows_seen_by_another_process(&path), "1");
        assert!(super::super::beside(&path, "-wal").exists());
        c.execute("INSERT INTO t VALUES ('b')", []).unwrap();
        assert_eq!(rows_seen_by_another_process(&path), "2");
        let _ = FileStamp::of(&path);
        c.execute("INSERT INTO t VALUES ('c')", []).unwrap();
        assert_eq!(rows_seen_by_another_process(&path), "3");
    }

    #[cfg(unix)]
    fn looks_like_sqlite_here(path: &Path) -> bool {
        super::super::gpkg::looks_like_sqlite(path)
    }

    #[test]
    fn a_write_by_another_connection_changes_the_stamp_and_a_read_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.gpkg");
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(
            "CREATE TABLE t (id TEXT PRIMARY KEY, v INTEGER); INSERT INTO t VALUES ('a', 1);",
        )
        .unwrap();
        let before = FileStamp::of(&path);
        assert_eq!(before, FileStamp::of(&path));
        let other = rusqlite::Connection::open(&path).unwrap();
        let v: i64 = other
            .query_row("SELECT v FROM t WHERE id = 'a'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, 1);
        assert_eq!(before, FileStamp::of(&path), "a read wrote nothing");
        // The same size and, on a coarse clock, the same time: the counter tells.
        other
            .execute("UPDATE t SET v = 2 WHERE id = 'a'", [])
            .unwrap();
        let after = FileStamp::of(&path);
        assert_eq!(after.file.map(|f| f.0), before.file.map(|f| f.0));
        assert_eq!(after.counter, before.counter.map(|n| n + 1));
        assert_ne!(before, after);
        // In WAL mode the log and its index tell, also when the log is written again
        // from its start after a checkpoint, at the same size.
        other
            .query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
            .unwrap();
        other
            .execute("UPDATE t SET v = 3 WHERE id = 'a'", [])
            .unwrap();
        let one = FileStamp::of(&path);
        assert!(one.wal.is_some() && one.wal_index.is_some(), "{one:?}");
        other
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
            .unwrap();
        other
            .execute("UPDATE t SET v = 4 WHERE id = 'a'", [])
            .unwrap();
        let two = FileStamp::of(&path);
        assert_eq!(
            two.wal.map(|w| w.0),
            one.wal.map(|w| w.0),
            "the log rewritten in place"
        );
        assert_ne!(two.wal_index, one.wal_index);
        assert_ne!(one, two);
        assert_eq!(
            FileStamp::of(&dir.path().join("none")),
            FileStamp::of(&dir.path().join("none2"))
        );
    }
}
