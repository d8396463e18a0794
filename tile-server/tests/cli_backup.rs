//! `riskmap backup`: a whole copy of a GeoPackage store taken while another program
//! writes it (as QGIS does, in WAL mode), read back with GDAL's `ogrinfo`; and the
//! refusals, which leave every file as it was.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure

mod common;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use common::{city, ogrinfo, ok, riskmap};
use riskmap_core::store::gpkg;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// One value of `ogrinfo -sql` (the first field of the first feature).
fn sql_value(gpkg: &Path, sql: &str) -> String {
    let out = ogrinfo(&["-q", s(gpkg), "-sql", sql]);
    out.lines()
        .find_map(|l| l.split_once(" = ").map(|(_, v)| v.trim().to_string()))
        .unwrap_or_else(|| panic!("no value in {out}"))
}

/// The files of a folder, by name.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn a_store_written_while_it_is_backed_up_is_copied_whole_and_consistent() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("city.gpkg");
    ok(&["import", "--quiet", s(city()), "--into", s(&store)]);
    // Two houses of 50 occupants each, whose occupants a writer moves from one to the
    // other in transactions: any consistent state has 100 in all.
    let (a, b) = ("house-0000001", "house-0000002");
    let sum_sql = format!("SELECT sum(occupants) FROM houses WHERE id IN ('{a}', '{b}')");
    let houses = sql_value(&store, "SELECT count(*) FROM houses");
    assert_eq!(houses, "3000");
    {
        // Forty megabytes more, so that the copy takes many steps; and WAL mode, as
        // QGIS leaves a file it edits.
        let c = rusqlite::Connection::open(&store).unwrap();
        gpkg::register_functions(&c).unwrap();
        c.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
            .unwrap();
        c.execute(
            "UPDATE houses SET occupants = 50 WHERE id IN (?1, ?2)",
            [a, b],
        )
        .unwrap();
        c.execute_batch(
            "CREATE TABLE ballast (b BLOB);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
             INSERT INTO ballast SELECT randomblob(8000) FROM n;",
        )
        .unwrap();
    }
    let stop = Arc::new(AtomicBool::new(false));
    let writes = Arc::new(AtomicU64::new(0));
    let writer = {
        let (stop, writes, store) = (Arc::clone(&stop), Arc::clone(&writes), store.clone());
        let (a, b) = (a.to_string(), b.to_string());
        std::thread::spawn(move || {
            let mut c = rusqlite::Connection::open(&store).unwrap();
            gpkg::register_functions(&c).unwrap();
            c.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
            while !stop.load(Ordering::SeqCst) {
                let tx = c
                    .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                    .unwrap();
                let step = if writes.load(Ordering::SeqCst) % 2 == 0 {
                    1
                } else {
                    -1
                };
                tx.execute(
                    "UPDATE houses SET occupants = occupants - ?1 WHERE id = ?2",
                    rusqlite::params![step, a],
                )
                .unwrap();
                tx.execute(
                    "UPDATE houses SET occupants = occupants + ?1 WHERE id = ?2",
                    rusqlite::params![step, b],
                )
                .unwrap();
                tx.commit().unwrap();
                writes.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    while writes.load(Ordering::SeqCst) < 10 {
        std::thread::yield_now();
    }
    let backups = tmp.path().join("backups");
    std::fs::create_dir(&backups).unwrap();
    let copy = backups.join("city-2026-12-07.gpkg");
    let before = writes.load(Ordering::SeqCst);
    let out = riskmap(&["backup", s(&store), "--to", s(&copy)]);
    let during = writes.load(Ordering::SeqCst) - before;
    stop.store(true, Ordering::SeqCst);
    writer.join().unwrap();
    let said = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{said}");
    assert!(during > 0, "nothing was written while the copy was made");
    eprintln!("{during} writes during the backup; {said}");
    assert!(said.contains("houses 3000"), "{said}");
    // The copy, as GDAL reads it: one file in rollback-journal mode, SQLite's check
    // passes, every house, and the two houses as one transaction left them.
    assert_eq!(names(&backups), vec!["city-2026-12-07.gpkg".to_string()]);
    assert_eq!(sql_value(&copy, "PRAGMA journal_mode"), "delete");
    assert_eq!(sql_value(&copy, "PRAGMA integrity_check"), "ok");
    assert_eq!(sql_value(&copy, "SELECT count(*) FROM houses"), houses);
    assert_eq!(sql_value(&copy, &sum_sql), "100");
    assert_eq!(sql_value(&store, &sum_sql), "100");
    let layers = ogrinfo(&["-q", s(&copy)]);
    assert!(layers.contains("houses (Polygon)"), "{layers}");
    // The trail as in the store (the writer, like QGIS, recorded nothing).
    assert_eq!(
        ok(&["history", s(&copy), "--json"]),
        ok(&["history", s(&store), "--json"])
    );
}

#[test]
fn a_backup_never_writes_over_a_file_and_names_what_is_wrong() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("city.gpkg");
    ok(&["import", "--quiet", s(city()), "--into", s(&store)]);
    let refused = |args: &[&str], says: &[&str]| {
        let out = riskmap(args);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        for s in says {
            assert!(err.contains(s), "{args:?}: {err}");
        }
    };
    // A file in the way stays as it was.
    let there = tmp.path().join("there.gpkg");
    std::fs::write(&there, "last week's").unwrap();
    refused(
        &["backup", s(&store), "--to", s(&there)],
        &["there.gpkg", "already exists"],
    );
    assert_eq!(std::fs::read_to_string(&there).unwrap(), "last week's");
    // No such folder, no such store, a store that is not a GeoPackage.
    refused(
        &[
            "backup",
            s(&store),
            "--to",
            s(&tmp.path().join("gone/x.gpkg")),
        ],
        &["gone", "no such folder"],
    );
    refused(
        &[
            "backup",
            s(&tmp.path().join("none.gpkg")),
            "--to",
            s(&tmp.path().join("a.gpkg")),
        ],
        &["none.gpkg", "no such file"],
    );
    refused(
        &["backup", s(city()), "--to", s(&tmp.path().join("c.gpkg"))],
        &["a data folder"],
    );
    let csv = tmp.path().join("houses.csv");
    std::fs::write(&csv, "id,lon,lat\nh1,121.1,31.9\n").unwrap();
    refused(
        &["backup", s(&csv), "--to", s(&tmp.path().join("b.gpkg"))],
        &["houses.csv", "not a GeoPackage"],
    );
    // Nothing was left behind by the refusals.
    let mut left = names(tmp.path());
    left.retain(|n| !n.starts_with("city.gpkg"));
    assert_eq!(
        left,
        vec!["houses.csv".to_string(), "there.gpkg".to_string()]
    );
}
