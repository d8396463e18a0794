//! A trail of its own: the changes a server of a data folder read from the folder's
//! files, kept in a GeoPackage that holds nothing else (besides its bookkeeping: the
//! folder's name here, what it knows of the folder in [`super::trail_state`]). The folder's ledgers are the
//! office's files and are never written; the trail is the same table a store keeps
//! (`riskmap_changes`, registered as attributes), so `riskmap history`, QGIS and GDAL
//! read it as they read a store's.
//!
//! The trail names the folder it records (`riskmap_trail_of`, one row, bookkeeping not
//! registered as a layer; the server gives the folder's full path): a trail of another
//! folder is refused, so that a copied configuration does not mix two districts'
//! changes in one file.

use std::path::Path;

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior};

use super::StoreError;
use super::changes;
use super::columns::{not_gpkg, sql_err};
use super::gpkg::{BUSY_TIMEOUT, looks_like_sqlite, open, utc_now};
use super::schema;
use super::trail_state;
use crate::live::Change;
use crate::model::LayerKind;

/// The table naming the folder a trail records.
pub const TRAIL_OF_TABLE: &str = "riskmap_trail_of";

/// Opens the trail at `path` for the data folder `folder` (its full path), made when missing (the
/// folder it goes in must exist): a new GeoPackage, or one that has a trail already. A
/// file that is not a GeoPackage, that holds ledgers (a store keeps its own trail) or
/// other data, or the trail of another folder, is refused and left as it is.
/// A trail that names no folder yet is given this one's. Gives the trail's last `seq`.
pub fn open_trail(path: &Path, folder: &str) -> Result<u64, StoreError> {
    let existed = path.exists();
    if existed && !looks_like_sqlite(path) {
        return Err(not_gpkg(path, "not an SQLite file"));
    }
    let sql = sql_err(path);
    let mut c = open(path, false)?;
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(&sql)?;
    let empty: bool = tx
        .query_row("SELECT count(*) = 0 FROM sqlite_master", [], |r| r.get(0))
        .map_err(&sql)?;
    if !empty {
        if !schema::table_exists(&tx, "gpkg_contents").map_err(&sql)? {
            return Err(not_gpkg(path, "no gpkg_contents table"));
        }
        // A trail holds nothing else: a store of ledgers keeps its own trail, and another
        // GeoPackage is somebody's data, not to be written into.
        let other: Option<String> = tx
            .query_row(
                "SELECT table_name FROM gpkg_contents WHERE table_name != ?1 \
                 ORDER BY table_name LIMIT 1",
                [changes::CHANGES_TABLE],
                |r| r.get(0),
            )
            .optional()
            .map_err(&sql)?;
        if let Some(table) = other {
            let store = LayerKind::INPUTS.iter().any(|k| k.name() == table);
            return Err(StoreError::Table {
                path: path.to_path_buf(),
                table,
                reason: if store {
                    "this GeoPackage is a store of ledgers, which keeps its own trail: give \
                     the folder's trail a file of its own"
                } else {
                    "this GeoPackage holds other data: give the folder's trail a file of its own"
                }
                .into(),
            });
        }
    }
    schema::create_core(&tx).map_err(&sql)?;
    changes::create_table(&tx).map_err(&sql)?;
    tx.execute_batch(&format!(
        "CREATE TABLE IF NOT EXISTS {TRAIL_OF_TABLE} (folder TEXT NOT NULL)"
    ))
    .map_err(&sql)?;
    match folder_of(&tx).map_err(&sql)? {
        Some(n) if n != folder => {
            return Err(StoreError::Table {
                path: path.to_path_buf(),
                table: TRAIL_OF_TABLE.into(),
                reason: format!(
                    "this trail records the data folder {n:?}, not {folder:?}: give each \
                     folder a trail of its own (a folder moved or renamed: set `folder` in \
                     this table to its new path)"
                ),
            });
        }
        Some(_) => {}
        None => {
            tx.execute(
                &format!("INSERT INTO {TRAIL_OF_TABLE} (folder) VALUES (?1)"),
                [folder],
            )
            .map_err(&sql)?;
        }
    }
    let last = changes::last_seq(&tx).map_err(&sql)?;
    tx.commit().map_err(&sql)?;
    Ok(last)
}

/// The folder the trail records (none: not named yet, or no table for it).
fn folder_of(c: &Connection) -> rusqlite::Result<Option<String>> {
    if !schema::table_exists(c, TRAIL_OF_TABLE)? {
        return Ok(None);
    }
    c.query_row(
        &format!("SELECT folder FROM {TRAIL_OF_TABLE} LIMIT 1"),
        [],
        |r| r.get(0),
    )
    .optional()
}

/// Records `changes` in the trail at `path` (opened with [`open_trail`] before), as made
/// by `actor`, now, in one transaction, what the trail knows of the folder kept with
/// them. Gives the trail's last `seq`.
pub fn record_trail(path: &Path, changes: &[Change], actor: &str) -> Result<u64, StoreError> {
    let sql = sql_err(path);
    let mut c = open_made(path)?;
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(&sql)?;
    changes::create_table(&tx).map_err(&sql)?;
    let now = utc_now(&tx).map_err(&sql)?;
    let first = changes::last_seq(&tx).map_err(&sql)?;
    // What the trail knows of the folder follows the records, for the layers it knows
    // up to the last one.
    let kept = trail_state::kept(&tx).map_err(&sql)?;
    let follows = |k: LayerKind| {
        kept.iter()
            .any(|(l, seq)| l == k.name() && *seq == first as i64)
    };
    for ch in changes {
        changes::record_change(&tx, ch, actor, &now).map_err(&sql)?;
        if follows(ch.layer) {
            trail_state::follow(&tx, ch).map_err(&sql)?;
        }
    }
    let last = changes::last_seq(&tx).map_err(&sql)?;
    trail_state::kept_in_step(&tx, first, last).map_err(&sql)?;
    tx.commit().map_err(&sql)?;
    Ok(last)
}

/// The trail at `path`, made before by [`open_trail`], opened to be written: not made
/// again if it went meanwhile (an empty file would then stand in its place).
pub(super) fn open_made(path: &Path) -> Result<Connection, StoreError> {
    let sql = sql_err(path);
    if !path.is_file() {
        return Err(not_gpkg(
            path,
            "no such file (moved or deleted while served)",
        ));
    }
    let c = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(&sql)?;
    c.busy_timeout(BUSY_TIMEOUT).map_err(&sql)?;
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::AnyFeature;
    use crate::store::changes::changes_since;
    use crate::store::test_support::house;

    #[test]
    fn a_trail_is_made_kept_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trail.gpkg");
        assert_eq!(open_trail(&path, "haimen").unwrap(), 0);
        assert_eq!(
            folder_of(&open(&path, true).unwrap()).unwrap().as_deref(),
            Some("haimen")
        );
        let moved = Change {
            layer: LayerKind::Houses,
            id: "h1".into(),
            before: Some(AnyFeature::House(house("h1", 121.1, 3))),
            after: Some(AnyFeature::House(house("h1", 121.2, 4))),
        };
        let gone = Change {
            layer: LayerKind::Houses,
            id: "h2".into(),
            before: Some(AnyFeature::House(house("h2", 121.3, 2))),
            after: None,
        };
        assert_eq!(record_trail(&path, &[moved, gone], "file").unwrap(), 2);
        // Opened again (a restart): the records stay, and the next one follows them.
        assert_eq!(open_trail(&path, "haimen").unwrap(), 2);
        // Another folder's server is refused, and the trail left as it was.
        let e = open_trail(&path, "tongzhou").unwrap_err().to_string();
        assert!(
            e.contains("\"haimen\"") && e.contains("\"tongzhou\"") && e.contains("trail.gpkg"),
            "{e}"
        );
        assert_eq!(
            folder_of(&open(&path, true).unwrap()).unwrap().as_deref(),
            Some("haimen")
        );
        // A trail made before trails named their folder is given the first one's.
        let c = open(&path, false).unwrap();
        c.execute_batch(&format!("DROP TABLE {TRAIL_OF_TABLE}"))
            .unwrap();
        drop(c);
        assert_eq!(open_trail(&path, "tongzhou").unwrap(), 2);
        assert_eq!(
            folder_of(&open(&path, true).unwrap()).unwrap().as_deref(),
            Some("tongzhou")
        );
        let r = changes_since(&path, 0).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(
            (r[0].op, r[0].actor.as_str()),
            (changes::ChangeOp::Update, "file")
        );
        assert_eq!(r[0].before.as_ref().unwrap()["properties"]["floors"], 3);
        assert_eq!(r[0].after.as_ref().unwrap()["properties"]["floors"], 4);
        assert_eq!(r[1].op, changes::ChangeOp::Delete);
        assert!(r[1].after.is_none());
    }

    #[test]
    fn a_store_or_another_file_is_refused_and_left_as_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("notes.gpkg");
        std::fs::write(&text, "not a database").unwrap();
        let e = open_trail(&text, "haimen").unwrap_err().to_string();
        assert!(
            e.contains("not a GeoPackage") && e.contains("notes.gpkg"),
            "{e}"
        );
        assert_eq!(std::fs::read(&text).unwrap(), b"not a database");

        let store = dir.path().join("city.gpkg");
        let ds = crate::dataset::Dataset {
            houses: crate::layer::Layer::new(LayerKind::Houses, vec![house("h1", 121.1, 3)]),
            ..crate::dataset::Dataset::default()
        };
        crate::store::gpkg::write(&store, &ds).unwrap();
        let before = changes_since(&store, 0).unwrap().len();
        let e = open_trail(&store, "haimen").unwrap_err().to_string();
        assert!(
            e.contains("store of ledgers") && e.contains("city.gpkg"),
            "{e}"
        );
        assert_eq!(changes_since(&store, 0).unwrap().len(), before);

        // Another GeoPackage (a table of parks, no ledgers).
        let other = dir.path().join("parks.gpkg");
        let c = open(&other, false).unwrap();
        schema::create_core(&c).unwrap();
        c.execute_batch(
            "CREATE TABLE parks (fid INTEGER PRIMARY KEY, name TEXT);
             INSERT INTO gpkg_contents (table_name, data_type, identifier)
               VALUES ('parks', 'attributes', 'parks');",
        )
        .unwrap();
        drop(c);
        let e = open_trail(&other, "haimen").unwrap_err().to_string();
        assert!(e.contains("holds other data") && e.contains("parks"), "{e}");
        let c = open(&other, true).unwrap();
        assert!(!schema::table_exists(&c, changes::CHANGES_TABLE).unwrap());

        let missing = dir.path().join("no-such-dir").join("trail.gpkg");
        let e = open_trail(&missing, "haimen").unwrap_err().to_string();
        assert!(e.contains("no-such-dir"), "{e}");
    }
}
