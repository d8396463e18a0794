//! What a folder's trail knows of the folder, compared with a load.

use super::*;
use crate::layer::Layer;
use crate::live::AnyFeature;
use crate::model::House;
use crate::store::Kept;
use crate::store::changes::changes_since;
use crate::store::gpkg::open;
use crate::store::test_support::house;
use crate::store::trail::{open_trail, record_trail};
use riskmap_tests::utc::{now_ms, utc_text};
use std::time::{SystemTime, UNIX_EPOCH};

const ALL: &[LayerKind] = &LayerKind::INPUTS;

fn city(houses: Vec<Feature<House>>) -> Dataset {
    Dataset {
        houses: Layer::new(LayerKind::Houses, houses),
        ..Dataset::default()
    }
}

/// (id, op, actor, floors before, floors after) of each record after `since`.
fn records(path: &Path, since: u64) -> Vec<(String, &'static str, String, Value, Value)> {
    changes_since(path, since)
        .unwrap()
        .into_iter()
        .map(|r| {
            let floors = |f: &Option<Value>| {
                f.as_ref()
                    .map_or(Value::Null, |f| f["properties"]["floors"].clone())
            };
            (
                r.id.clone(),
                r.op.as_str(),
                r.actor.clone(),
                floors(&r.before),
                floors(&r.after),
            )
        })
        .collect()
}

#[test]
fn what_changed_while_no_server_ran_is_recorded_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trail.gpkg");
    open_trail(&path, "haimen").unwrap();
    // A Chinese id sorts after the ASCII ones by its bytes, in SQLite as here.
    let first = city(vec![
        house("h2", 121.2, 2),
        house("房1", 121.5, 1),
        house("h1", 121.1, 3),
        house("h3", 121.3, 5),
    ]);
    // The first start: the trail learns the folder and the files it was read from,
    // and records nothing.
    let files = vec![FileRead {
        file: "houses.csv".to_string(),
        layer: LayerKind::Houses,
        features: Some(4),
    }];
    let c = catch_up(
        &path,
        &first,
        "file",
        ALL,
        Some(&FilesRead {
            whole: &files,
            saved: None,
            reading: "r1",
            refused: &Kept::default(),
        }),
    )
    .unwrap();
    assert_eq!(known_files(&path).unwrap(), files);
    assert_eq!(
        (c.learned.len(), c.features, c.recorded(), c.last),
        (7, 4, 0, 0)
    );
    // Of the four houses it knows, those a load lacks (by id, whatever their order).
    let two = city(vec![house("h3", 121.3, 5), house("h1", 121.1, 3)]);
    assert_eq!(known_absent(&path, LayerKind::Houses, &two).unwrap(), 2);
    assert_eq!(known_absent(&path, LayerKind::Houses, &first).unwrap(), 0);
    assert_eq!(
        catch_up(&path, &first, "file", ALL, None)
            .unwrap()
            .recorded(),
        0
    );

    // While no server runs: h1 gets a floor, h2 is struck out, h4 is entered.
    let second = city(vec![
        house("h1", 121.1, 4),
        house("h3", 121.3, 5),
        house("h4", 121.4, 6),
        house("房1", 121.5, 1),
    ]);
    let c = catch_up(&path, &second, "file", ALL, None).unwrap();
    assert!(c.learned.is_empty());
    assert_eq!(c.layers, [(LayerKind::Houses, [1, 1, 1])]);
    assert_eq!(c.last, 3);
    let f = |s: &str| s.to_string();
    let n = |v: u16| Value::from(v);
    assert_eq!(
        records(&path, 0),
        [
            (f("h1"), "update", f("file"), n(3), n(4)),
            (f("h2"), "delete", f("file"), n(2), Value::Null),
            (f("h4"), "insert", f("file"), Value::Null, n(6)),
        ]
    );
    // The feature before is the one the trail knew, to the byte of its record.
    let rec = changes_since(&path, 0).unwrap();
    let h2 = AnyFeature::House(house("h2", 121.2, 2));
    assert_eq!(rec[1].before.as_ref(), Some(&changes::feature_json(&h2)));
    assert_eq!(
        catch_up(&path, &second, "file", ALL, None)
            .unwrap()
            .recorded(),
        0
    );
    assert_eq!(known_files(&path).unwrap(), files);

    // A change the running server records keeps the state: the next start finds
    // nothing more, and a folder put back as it was is recorded as changed back.
    let third = city(vec![
        house("h1", 121.1, 4),
        house("h3", 121.3, 7),
        house("h4", 121.4, 6),
        house("房1", 121.5, 1),
    ]);
    let h3 = Change {
        layer: LayerKind::Houses,
        id: "h3".into(),
        before: Some(AnyFeature::House(house("h3", 121.3, 5))),
        after: Some(AnyFeature::House(house("h3", 121.3, 7))),
    };
    assert_eq!(record_trail(&path, &[h3], "file").unwrap(), 4);
    assert_eq!(
        catch_up(&path, &third, "file", ALL, None)
            .unwrap()
            .recorded(),
        0
    );
    let c = catch_up(&path, &second, "file", ALL, None).unwrap();
    assert_eq!(c.layers, [(LayerKind::Houses, [0, 1, 0])]);
    assert_eq!(
        records(&path, 4),
        [(f("h3"), "update", f("file"), n(7), n(5))]
    );

    // A feature the trail kept as another version of the program wrote it (its
    // digest another, a property it did not have, empty) is not recorded as changed;
    // its digest is made this version's.
    let db = open(&path, false).unwrap();
    let h1 = |db: &Connection| -> (Vec<u8>, String) {
        db.query_row(
            &format!(
                "SELECT digest, feature FROM {TRAIL_STATE_TABLE} \
                 JOIN {TRAIL_FEATURES_TABLE} USING (layer, id) WHERE id = 'h1'"
            ),
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
    };
    let (digest, feature) = h1(&db);
    let mut older: Value = serde_json::from_str(&feature).unwrap();
    older["properties"]["remark"] = Value::Null;
    db.execute_batch(&format!(
        "UPDATE {TRAIL_STATE_TABLE} SET digest = zeroblob(16) WHERE id = 'h1'"
    ))
    .unwrap();
    db.execute(
        &format!("UPDATE {TRAIL_FEATURES_TABLE} SET feature = ?1 WHERE id = 'h1'"),
        [older.to_string()],
    )
    .unwrap();
    assert_eq!(
        catch_up(&path, &second, "file", ALL, None)
            .unwrap()
            .recorded(),
        0
    );
    assert_eq!(h1(&db).0, digest);
    drop(db);

    // A trail made before trails kept the folder's state learns it, records nothing.
    let db = open(&path, false).unwrap();
    db.execute_batch(&format!("DROP TABLE {TRAIL_STATE_TABLE}"))
        .unwrap();
    drop(db);
    let c = catch_up(&path, &first, "file", ALL, None).unwrap();
    assert_eq!((c.learned.len(), c.recorded(), c.last), (7, 0, 5));
    assert_eq!(
        catch_up(&path, &second, "file", ALL, None).unwrap().layers,
        [(LayerKind::Houses, [1, 1, 1])]
    );
}

#[test]
fn a_layer_held_back_and_records_made_without_the_state() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trail.gpkg");
    open_trail(&path, "haimen").unwrap();
    let houses = LayerKind::Houses;
    let four = city(vec![
        house("h1", 121.1, 3),
        house("h2", 121.2, 2),
        house("h3", 121.3, 5),
        house("h4", 121.4, 6),
    ]);
    assert_eq!(
        catch_up(&path, &four, "file", ALL, None)
            .unwrap()
            .learned
            .len(),
        7
    );
    let text_of = |id: &str| -> String {
        open(&path, true)
            .unwrap()
            .query_row(
                &format!("SELECT feature FROM {TRAIL_FEATURES_TABLE} WHERE id = ?1"),
                [id],
                |r| r.get(0),
            )
            .unwrap()
    };
    let h4 = text_of("h4");

    // A start whose houses' file was lost: the houses are held back, nothing is
    // recorded and the trail's houses stay as they were.
    let others: Vec<LayerKind> = ALL.iter().copied().filter(|k| *k != houses).collect();
    let c = catch_up(&path, &city(Vec::new()), "file", &others, None).unwrap();
    assert_eq!((c.recorded(), c.learned.len(), c.last), (0, 0, 0));
    // Read whole again, h4 (the last) struck out and h5 entered after it: those two
    // are recorded, h4 as the trail kept it, to the byte.
    let back = city(vec![
        house("h1", 121.1, 3),
        house("h2", 121.2, 2),
        house("h3", 121.3, 5),
        house("h5", 121.5, 1),
    ]);
    let c = catch_up(&path, &back, "file", &[houses], None).unwrap();
    assert_eq!(c.layers, [(houses, [1, 0, 1])]);
    let f = |s: &str| s.to_string();
    assert_eq!(
        records(&path, 0),
        [
            (f("h4"), "delete", f("file"), Value::from(6), Value::Null),
            (f("h5"), "insert", f("file"), Value::Null, Value::from(1)),
        ]
    );
    let before: String = open(&path, true)
        .unwrap()
        .query_row(
            "SELECT before FROM riskmap_changes WHERE id = 'h4'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(before, h4);

    // A record another server wrote without keeping the state (an older version):
    // what the trail knows no longer matches it, and is learned again, not compared.
    let db = open(&path, false).unwrap();
    let moved = Change {
        layer: houses,
        id: "h1".into(),
        before: Some(AnyFeature::House(house("h1", 121.1, 3))),
        after: Some(AnyFeature::House(house("h1", 121.1, 9))),
    };
    changes::record_change(&db, &moved, "file", "2026-12-07T00:00:00.000Z").unwrap();
    drop(db);
    let c = catch_up(&path, &back, "file", ALL, None).unwrap();
    assert_eq!((c.learned.len(), c.recorded(), c.last), (7, 0, 3));
}

#[test]
fn a_change_found_at_a_start_is_recorded_at_the_folders_last_save_when_that_can_be_it() {
    use std::time::Duration;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trail.gpkg");
    open_trail(&path, "haimen").unwrap();
    let files = vec![FileRead {
        file: "houses.csv".to_string(),
        layer: LayerKind::Houses,
        features: Some(4),
    }];
    let start = |ds: &Dataset, saved: Option<SystemTime>| -> Vec<String> {
        let before = changes::last_seq(&open(&path, true).unwrap()).unwrap();
        let c = catch_up(
            &path,
            ds,
            "file",
            ALL,
            Some(&FilesRead {
                whole: &files,
                saved,
                reading: "r1",
                refused: &Kept::default(),
            }),
        )
        .unwrap();
        let at: Vec<String> = changes_since(&path, before)
            .unwrap()
            .into_iter()
            .map(|r| r.at)
            .collect();
        // (what a server logs: the time they were recorded at)
        assert!(at.iter().all(|a| *a == c.at), "{at:?} {}", c.at);
        at
    };
    let pause = || std::thread::sleep(Duration::from_millis(20));
    let floors = |a: u16, b: u16| city(vec![house("h1", 121.1, a), house("h2", 121.2, b)]);
    // The first start learns the folder, and when it took it in.
    assert!(start(&floors(3, 2), None).is_empty());
    pause();
    // The office saves the folder with h1 changed; the next start finds it.
    let saved = now_ms();
    pause();
    assert_eq!(start(&floors(4, 2), Some(saved)), [utc_text(saved)]);

    // A save's time before the trail last took in a reading (a file copied in with an
    // old time kept), after now, or past what the records can write: the change is
    // recorded when found.
    let cases = [
        UNIX_EPOCH + Duration::from_secs(1_000_000_000),
        SystemTime::now() + Duration::from_secs(3600),
        UNIX_EPOCH + Duration::from_secs(300_000_000_000),
    ];
    for (k, t) in cases.into_iter().enumerate() {
        let t0 = utc_text(now_ms());
        let at = start(&floors(5 + k as u16, 2), Some(t));
        let t1 = utc_text(now_ms());
        assert!(at.len() == 1 && at[0] >= t0 && at[0] <= t1, "{k}: {at:?}");
    }

    // A record written after the trail took in its last reading (a server stopped
    // before it wrote the files it read, or an older version writing the trail): a save
    // before that record cannot be when a later change was made.
    pause();
    let saved = now_ms();
    pause();
    let recorded = Change {
        layer: LayerKind::Houses,
        id: "h2".into(),
        before: Some(AnyFeature::House(house("h2", 121.2, 2))),
        after: Some(AnyFeature::House(house("h2", 121.2, 9))),
    };
    record_trail(&path, std::slice::from_ref(&recorded), "file").unwrap();
    let last = changes_since(&path, 0).unwrap().pop().unwrap().at;
    let at = start(&floors(20, 9), Some(saved));
    assert!(
        at.len() == 1 && at[0] >= last && at[0] > utc_text(saved),
        "{at:?} {last}"
    );
}

/// A start that reads the folder otherwise than the trail's last reading (another
/// version, another `--encoding`) cannot tell its own differences from the office's:
/// they are recorded when found, not at the folder's last save, and it says how the
/// trail read before. So does a trail whose last reading did not say how (its
/// version's table had no `reading`).
#[test]
fn a_start_that_reads_the_folder_otherwise_records_its_differences_when_found() {
    use std::time::Duration;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trail.gpkg");
    open_trail(&path, "haimen").unwrap();
    let files = vec![FileRead {
        file: "houses.csv".to_string(),
        layer: LayerKind::Houses,
        features: Some(4),
    }];
    let start = |ds: &Dataset, saved: SystemTime, reading: &str| -> CaughtUp {
        let read = FilesRead {
            whole: &files,
            saved: Some(saved),
            reading,
            refused: &Kept::default(),
        };
        catch_up(&path, ds, "file", ALL, Some(&read)).unwrap()
    };
    let pause = || std::thread::sleep(Duration::from_millis(20));
    let floors = |a: u16| city(vec![house("h1", 121.1, a)]);
    let first = start(&floors(3), now_ms(), "r1");
    assert_eq!((first.recorded(), first.read_otherwise), (0, None));
    pause();
    // Read as before: the change is the office's, made at the save.
    let saved = now_ms();
    pause();
    let same = start(&floors(4), saved, "r1");
    assert_eq!((same.at, same.read_otherwise), (utc_text(saved), None));
    pause();
    // Read otherwise: found now, and what the reading was.
    let saved = now_ms();
    pause();
    let t0 = utc_text(now_ms());
    let other = start(&floors(5), saved, "r2");
    assert_eq!(other.recorded(), 1);
    assert!(other.at >= t0, "{} before {t0}", other.at);
    assert_eq!(other.read_otherwise.as_deref(), Some("r1"));
    pause();
    // A trail whose last reading did not say how: the table as the version before
    // made it.
    let c = open(&path, false).unwrap();
    c.execute_batch(&format!(
        "DROP TABLE {TRAIL_READ_TABLE};
         CREATE TABLE {TRAIL_READ_TABLE} (one INTEGER PRIMARY KEY CHECK (one = 1), at TEXT NOT NULL);
         INSERT INTO {TRAIL_READ_TABLE} VALUES (1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));"
    ))
    .unwrap();
    drop(c);
    pause();
    let saved = now_ms();
    pause();
    let t0 = utc_text(now_ms());
    let older = start(&floors(6), saved, "r2");
    assert!(older.at >= t0, "{} before {t0}", older.at);
    assert_eq!(older.read_otherwise.as_deref(), Some("not recorded"));
    // It says how now: the next start reading as it did dates its change at the save.
    pause();
    let saved = now_ms();
    pause();
    let next = start(&floors(7), saved, "r2");
    assert_eq!((next.at, next.read_otherwise), (utc_text(saved), None));
    // The version before writing this trail again keeps the column and writes no
    // reading in it (its own insert names `one` and `at`): not recorded either.
    let c = open(&path, false).unwrap();
    c.execute_batch(&format!(
        "INSERT OR REPLACE INTO {TRAIL_READ_TABLE} (one, at) \
           VALUES (1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));"
    ))
    .unwrap();
    drop(c);
    pause();
    let t0 = utc_text(now_ms());
    let nulled = start(&floors(8), now_ms(), "r2");
    assert!(nulled.at >= t0, "{} before {t0}", nulled.at);
    assert_eq!(nulled.read_otherwise.as_deref(), Some("not recorded"));
}

#[test]
fn the_folders_last_save_is_the_latest_change_of_its_files_folders_and_settings() {
    use std::time::Duration;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("海门/2025")).unwrap();
    for f in [
        "houses.csv",
        "海门/2025/自建房.xlsx",
        "pipes.shp",
        "pipes.Dbf",
    ] {
        std::fs::write(d.join(f), b"x").unwrap();
    }
    let files = [
        ("houses.csv", true),
        ("海门/2025/自建房.xlsx", true),
        ("pipes.shp", true),
        ("~$houses.xlsx", false),
    ];
    let pause = || std::thread::sleep(Duration::from_millis(50));
    // The latest change is made between `before` and `after` (the file system's clock
    // is the kernel's coarse one, a few milliseconds behind: 15 ms allowed).
    let changed_within = |change: &dyn Fn()| {
        pause();
        let before = SystemTime::now() - Duration::from_millis(15);
        change();
        let after = SystemTime::now();
        let t = last_save(d, files).unwrap();
        assert!(
            t >= before && t <= after,
            "{t:?} not in {before:?}..{after:?}"
        );
    };
    // A shapefile's attributes, in a .dbf of any case.
    changed_within(&|| std::fs::write(d.join("pipes.Dbf"), b"y").unwrap());
    // How the files are read.
    changed_within(&|| std::fs::write(d.join("riskmap.toml"), b"").unwrap());
    // A file deleted from a folder between the folder and a ledger.
    changed_within(&|| {
        std::fs::write(d.join("海门/old.csv"), b"").unwrap();
        std::fs::remove_file(d.join("海门/old.csv")).unwrap();
    });
    // A ledger copied in with its old modification time kept: dated when it was (by
    // its status change time, which Unix keeps).
    #[cfg(unix)]
    changed_within(&|| {
        std::fs::write(d.join("houses.csv"), b"z").unwrap();
        let f = std::fs::File::options()
            .write(true)
            .open(d.join("houses.csv"))
            .unwrap();
        f.set_modified(UNIX_EPOCH + Duration::from_secs(1_000_000_000))
            .unwrap();
    });
    // A file the load read that cannot be found again: no time (one it did not read,
    // an editor's lock file gone since, is passed over, as above).
    assert_eq!(
        last_save(d, [("houses.csv", true), ("gone.csv", true)]),
        None
    );
}
