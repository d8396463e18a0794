//! The marks of rows other programs changed, read back by id.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure

use geo::{Geometry, Point};

use super::*;
use crate::dataset::Dataset;
use crate::io::RowValue;
use crate::layer::Layer;
use crate::live::{AnyFeature, Change};
use crate::model::{Feature, House};
use crate::store::changes::{TrailFollowed, last_change_seq};
use crate::store::gpkg;
use crate::store::gpkg::ChangedAt;
use crate::store::gpkg::Editor;
use crate::store::stamp::FileStamp;
use crate::store::test_support::{house, other_program};

fn dataset(houses: Vec<Feature<House>>) -> Dataset {
    Dataset {
        houses: Layer::new(LayerKind::Houses, houses),
        ..Dataset::default()
    }
}

/// A store imported from three houses.
fn store() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("city.gpkg");
    let ds = dataset(vec![
        house("h1", 121.1, 3),
        house("h2", 121.2, 2),
        house("h3", 121.3, 5),
    ]);
    gpkg::write(&path, &ds).unwrap();
    (dir, path)
}

/// What the server keeps of a settled reading: the file settled now (as after its first
/// reading), and the trail's last record then.
struct Known {
    settled: Settled,
    trail: TrailFollowed,
}

fn settle_now(path: &std::path::Path) -> Known {
    let trail = TrailFollowed::upto(last_change_seq(path).unwrap());
    let (_, after) = Editor::new(path)
        .record_read(
            &[],
            &ChangedAt::new(),
            "file",
            &FileStamp::of(path),
            &trail,
            0,
        )
        .unwrap();
    let (_, settled) = after.expect("the file was as read");
    Known {
        settled: settled.expect("the file's rows can be marked"),
        trail,
    }
}

fn rows(path: &std::path::Path, k: &Known) -> Touched {
    match read_touched(path, &k.settled, &k.trail, 1000).unwrap() {
        TouchedReading::Rows(t) => t,
        TouchedReading::Whole(why) => panic!("read whole: {why}"),
    }
}

fn whole(path: &std::path::Path, k: &Known) -> String {
    match read_touched(path, &k.settled, &k.trail, 1000).unwrap() {
        TouchedReading::Rows(t) => panic!("read by rows: {:?}", t.ids),
        TouchedReading::Whole(why) => why,
    }
}

fn ids(t: &Touched, kind: LayerKind) -> Vec<&str> {
    t.ids
        .get(&kind)
        .map(|s| s.iter().map(String::as_str).collect())
        .unwrap_or_default()
}

fn present(t: &Touched, kind: LayerKind) -> Vec<&str> {
    t.present
        .get(&kind)
        .map(|s| s.iter().map(String::as_str).collect())
        .unwrap_or_default()
}

#[test]
fn an_import_leaves_triggers_and_no_marks() {
    let (_d, path) = store();
    let t = tracking(&path).unwrap();
    assert!(t.complete);
    assert_eq!(t.upto, 0);
    let r = rows(&path, &settle_now(&path));
    assert!(r.ids.is_empty());
    assert!(r.layers.is_empty());
}

#[test]
fn another_programs_inserts_updates_deletes_and_renames_are_read_by_id() {
    let (_d, path) = store();
    let k = settle_now(&path);
    let c = other_program(&path);
    c.execute_batch(
        "UPDATE houses SET floors = 7 WHERE id = 'h1';
         DELETE FROM houses WHERE id = 'h2';
         UPDATE houses SET id = 'h3b' WHERE id = 'h3';
         INSERT INTO houses (geom, id, floors)
           SELECT geom, 'h4', 9 FROM houses WHERE id = 'h1';",
    )
    .unwrap();
    drop(c);
    let t = rows(&path, &k);
    assert_eq!(
        ids(&t, LayerKind::Houses),
        vec!["h1", "h2", "h3", "h3b", "h4"]
    );
    assert_eq!(present(&t, LayerKind::Houses), vec!["h1", "h3b", "h4"]);
    // Five marks: the update, the delete, the rename's old and new id, the insert.
    assert_eq!(t.upto, 5);
    let houses = &t.layers[0];
    assert_eq!(houses.kind, LayerKind::Houses);
    assert_eq!(houses.name, "city.gpkg/houses");
    let floors: Vec<(Option<&str>, Option<&RowValue>)> = houses
        .rows
        .iter()
        .map(|r| {
            let f = r.fields.iter().find(|(n, _)| n == "floors").map(|(_, v)| v);
            (r.id.as_deref(), f)
        })
        .collect();
    assert_eq!(
        floors,
        vec![
            (Some("h1"), Some(&RowValue::Int(7))),
            (Some("h3b"), Some(&RowValue::Int(5))),
            (Some("h4"), Some(&RowValue::Int(9))),
        ]
    );
    assert_eq!(
        houses.rows[0].geometry,
        Some(Geometry::Point(Point::new(121.1, 31.9)))
    );
}

#[test]
fn a_row_replaced_over_another_rows_fid_marks_the_row_it_took_out() {
    let (_d, path) = store();
    let k = settle_now(&path);
    // SQLite deletes h2's row for the replace without its delete trigger.
    other_program(&path)
        .execute_batch(
            "INSERT OR REPLACE INTO houses (fid, geom, id, floors)
               SELECT 2, geom, 'h9', 1 FROM houses WHERE id = 'h1';",
        )
        .unwrap();
    let t = rows(&path, &k);
    assert_eq!(ids(&t, LayerKind::Houses), vec!["h2", "h9"]);
    assert_eq!(present(&t, LayerKind::Houses), vec!["h9"]);
}

#[test]
fn the_servers_own_edits_are_not_marked_but_read_from_the_trail_by_others() {
    let (_d, path) = store();
    let k = settle_now(&path);
    let change = Change {
        layer: LayerKind::Houses,
        id: "h2".into(),
        before: Some(AnyFeature::House(house("h2", 121.2, 2))),
        after: Some(AnyFeature::House(house("h2", 121.2, 8))),
    };
    let after = Editor::new(&path).apply_by(&[change], &["editor"]).unwrap();
    assert_eq!(
        tracking(&path).unwrap().upto,
        0,
        "the server's own write left a mark"
    );
    // The server that wrote has read its own edit: nothing to read.
    let mine = Known {
        settled: k.settled.clone(),
        trail: TrailFollowed::upto(after),
    };
    assert!(rows(&path, &mine).ids.is_empty());
    // Another server serving the file has not: the trail names the feature.
    let t = rows(&path, &k);
    assert_eq!(ids(&t, LayerKind::Houses), vec!["h2"]);
    assert_eq!(present(&t, LayerKind::Houses), vec!["h2"]);
    // And the quieting row is gone with the transaction.
    let c = other_program(&path);
    let quiet: i64 = c
        .query_row(
            "SELECT count(*) FROM riskmap_touched WHERE seq = 0",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(quiet, 0);
}

#[test]
fn a_second_import_marks_the_rows_it_changed() {
    let (_d, path) = store();
    let k = settle_now(&path);
    // h1 changed, h2 as it was, h3 gone, h5 new.
    let ds = dataset(vec![
        house("h1", 121.1, 4),
        house("h2", 121.2, 2),
        house("h5", 121.5, 1),
    ]);
    gpkg::write(&path, &ds).unwrap();
    assert_eq!(tracking(&path).unwrap().upto, 3);
    // Read as another program's change, whether or not its trail records are counted.
    let trails = [k.trail.upto, last_change_seq(&path).unwrap()];
    for trail in trails.map(TrailFollowed::upto) {
        let at = Known {
            settled: k.settled.clone(),
            trail,
        };
        let t = rows(&path, &at);
        assert_eq!(ids(&t, LayerKind::Houses), vec!["h1", "h3", "h5"]);
        assert_eq!(present(&t, LayerKind::Houses), vec!["h1", "h5"]);
    }
}

#[test]
fn marks_read_and_recorded_are_forgotten() {
    let (_d, path) = store();
    let k = settle_now(&path);
    let c = other_program(&path);
    c.execute("UPDATE houses SET floors = 1 WHERE id = 'h1'", [])
        .unwrap();
    drop(c);
    let read_at = FileStamp::of(&path);
    let t = rows(&path, &k);
    assert_eq!(t.upto, 1);
    // A write after the reading is not forgotten with the marks read.
    let c = other_program(&path);
    c.execute("UPDATE houses SET floors = 2 WHERE id = 'h2'", [])
        .unwrap();
    drop(c);
    let (_, settled) = Editor::new(&path)
        .record_read(&[], &ChangedAt::new(), "file", &read_at, &k.trail, t.upto)
        .unwrap();
    assert_eq!(settled, None, "the file was written after the reading");
    let t = rows(&path, &k);
    assert_eq!(ids(&t, LayerKind::Houses), vec!["h2"]);
    let read_at = FileStamp::of(&path);
    let (_, settled) = Editor::new(&path)
        .record_read(&[], &ChangedAt::new(), "file", &read_at, &k.trail, t.upto)
        .unwrap();
    let (stamp, settled) = settled.unwrap();
    assert_eq!(stamp, FileStamp::of(&path));
    let settled = settled.unwrap();
    assert_eq!(settled.schema, k.settled.schema);
    assert_ne!(settled.token, k.settled.token);
    let now = Known {
        settled,
        trail: k.trail.clone(),
    };
    assert!(rows(&path, &now).ids.is_empty());
}

#[test]
fn what_marks_cannot_say_is_read_whole() {
    // Triggers gone: a table made again by another program.
    let (_d, path) = store();
    let k = settle_now(&path);
    other_program(&path)
        .execute_batch("DROP TRIGGER riskmap_touched_houses_update")
        .unwrap();
    assert!(!tracking(&path).unwrap().complete);
    assert!(whole(&path, &k).contains("lacks the triggers"));
    // Made again by the next settling of a reading.
    let k2 = settle_now(&path);
    assert!(tracking(&path).unwrap().complete);
    assert!(rows(&path, &k2).ids.is_empty());
    assert_ne!(k2.settled.schema, k.settled.schema);

    // A quieting row left by another writer: its changes and all after were not marked.
    other_program(&path)
        .execute("INSERT INTO riskmap_touched (seq, tbl) VALUES (0, '')", [])
        .unwrap();
    assert!(whole(&path, &k2).contains("lacks the triggers"));
    let k3 = settle_now(&path);
    assert!(rows(&path, &k3).ids.is_empty());

    // The file put back from a copy taken before the last settling.
    let copy = path.with_extension("copy");
    std::fs::copy(&path, &copy).unwrap();
    let k4 = settle_now(&path);
    std::fs::copy(&copy, &path).unwrap();
    assert!(whole(&path, &k4).contains("not the one last read"));

    // A column added: every row may read differently, none was touched.
    let k5 = settle_now(&path);
    other_program(&path)
        .execute_batch("ALTER TABLE houses ADD COLUMN 结构 TEXT DEFAULT '砖混'")
        .unwrap();
    assert!(whole(&path, &k5).contains("schema changed"));

    // A table renamed (as GDAL does, its registration with it): one whole reading, then
    // its triggers are its own, and those that marked its old name are gone.
    other_program(&path)
        .execute_batch(
            "PRAGMA foreign_keys = OFF;
             ALTER TABLE houses RENAME TO 自建房;
             UPDATE gpkg_contents SET table_name = '自建房' WHERE table_name = 'houses';
             UPDATE gpkg_geometry_columns SET table_name = '自建房' WHERE table_name = 'houses';",
        )
        .unwrap();
    let k6 = settle_now(&path);
    let k6_marks = tracking(&path).unwrap().upto;
    other_program(&path)
        .execute("UPDATE 自建房 SET floors = 8 WHERE id = 'h1'", [])
        .unwrap();
    let t = rows(&path, &k6);
    assert_eq!(ids(&t, LayerKind::Houses), vec!["h1"]);
    assert_eq!(t.upto - k6_marks, 1);
    assert_eq!(t.layers[0].name, "city.gpkg/自建房");

    // New words for the stages.
    let (_d2, path) = store();
    gpkg::write_with_words(
        &path,
        &dataset(vec![house("h1", 121.1, 3)]),
        Some(&[("已销号".into(), crate::model::HiddenHazardStatus::Closed)]),
        &crate::store::Kept::default(),
    )
    .unwrap();
    let k = settle_now(&path);
    other_program(&path)
        .execute("UPDATE riskmap_status_words SET word = '已整改'", [])
        .unwrap();
    assert!(whole(&path, &k).contains("words"));

    // More changed rows than are worth reading by id.
    let (_d3, path) = store();
    let k = settle_now(&path);
    other_program(&path)
        .execute("UPDATE houses SET floors = floors + 1", [])
        .unwrap();
    match read_touched(&path, &k.settled, &k.trail, 2).unwrap() {
        TouchedReading::Whole(why) => assert!(why.contains("more than 2")),
        TouchedReading::Rows(_) => panic!("three rows read by id past a limit of two"),
    }
    assert!(matches!(
        read_touched(&path, &k.settled, &k.trail, 3).unwrap(),
        TouchedReading::Rows(_)
    ));

    // A second table of houses whose id column's values would not read back as their
    // marks: no triggers, no token.
    let (_d4, path) = store();
    let c = other_program(&path);
    c.execute_batch(
        "CREATE TABLE 自建房 (fid INTEGER PRIMARY KEY, geom POLYGON, id REAL);
         INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id)
           VALUES ('自建房', 'features', '自建房', 4326);
         INSERT INTO gpkg_geometry_columns VALUES ('自建房', 'geom', 'POLYGON', 4326, 0, 0);",
    )
    .unwrap();
    drop(c);
    let trail = TrailFollowed::upto(last_change_seq(&path).unwrap());
    let (_, after) = Editor::new(&path)
        .record_read(
            &[],
            &ChangedAt::new(),
            "file",
            &FileStamp::of(&path),
            &trail,
            0,
        )
        .unwrap();
    assert_eq!(after.unwrap().1, None, "a REAL id column was marked");
    assert!(!tracking(&path).unwrap().complete);
}

/// A file whose marks an earlier release made (no time, triggers that write none): read
/// as they are (no time), and made timed at the next settling.
#[test]
fn marks_of_an_earlier_release_are_given_their_time() {
    let (_d, path) = store();
    let k = settle_now(&path);
    let old = other_program(&path);
    let triggers: Vec<String> = old
        .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'riskmap_touched_%'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(triggers.len(), 7 * 4, "{triggers:?}");
    for t in &triggers {
        old.execute_batch(&format!("DROP TRIGGER \"{t}\"")).unwrap();
    }
    // The earlier release's table and update trigger.
    old.execute_batch(
        "CREATE TABLE old_marks AS SELECT seq, tbl, id FROM riskmap_touched;
         DROP TABLE riskmap_touched;
         CREATE TABLE riskmap_touched (
           seq INTEGER PRIMARY KEY AUTOINCREMENT, tbl TEXT NOT NULL, id TEXT);
         INSERT INTO riskmap_touched SELECT * FROM old_marks;
         DROP TABLE old_marks;
         CREATE TRIGGER riskmap_touched_houses_update AFTER UPDATE ON houses
           WHEN NOT EXISTS (SELECT 1 FROM riskmap_touched WHERE seq = 0)
           BEGIN INSERT INTO riskmap_touched (tbl, id) VALUES ('houses', CAST(OLD.id AS TEXT)); END;
         UPDATE houses SET floors = 9 WHERE id = 'h2';",
    )
    .unwrap();
    drop(old);
    let upto = tracking(&path).unwrap().upto;
    let marked = marked_since_served(&path, upto, 10).unwrap().unwrap();
    let marked = &marked[&LayerKind::Houses];
    assert_eq!(marked.len(), 1);
    assert_eq!(
        (marked[0].id.as_str(), marked[0].at.as_deref()),
        ("h2", None)
    );

    // Settled: the table has its times, each ledger trigger writes one.
    let _ = whole(&path, &k);
    let k2 = settle_now(&path);
    let before = other_program(&path)
        .query_row("SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now')", [], |r| {
            r.get::<_, String>(0)
        })
        .unwrap();
    other_program(&path)
        .execute_batch(
            "UPDATE houses SET floors = 4 WHERE id = 'h3'; DELETE FROM houses WHERE id = 'h1';",
        )
        .unwrap();
    // (h2's mark, of the earlier release, is not let go by a settling of nothing read.)
    assert_eq!(
        ids(&rows(&path, &k2), LayerKind::Houses),
        ["h1", "h2", "h3"]
    );
    let upto = tracking(&path).unwrap().upto;
    let marked = marked_since_served(&path, upto, 10).unwrap().unwrap();
    let marked = &marked[&LayerKind::Houses];
    let times: Vec<(&str, Option<&str>)> = marked
        .iter()
        .map(|r| (r.id.as_str(), r.at.as_deref()))
        .collect();
    assert_eq!(times[1], ("h2", None), "{times:?}");
    for (id, at) in [times[0], times[2]] {
        let at = at.expect("a time");
        assert!(
            at >= before.as_str() && at.len() == before.len(),
            "{id} {at} {before}"
        );
    }
}
