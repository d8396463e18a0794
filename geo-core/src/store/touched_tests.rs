//! The marks of rows other programs changed, read back by id.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure

use geo::{Geometry, Point};
use rusqlite::Connection;

use super::*;
use crate::dataset::Dataset;
use crate::io::RowValue;
use crate::layer::Layer;
use crate::live::{AnyFeature, Change};
use crate::model::{Feature, House, SourceRef};
use crate::store::changes::last_change_seq;
use crate::store::gpkg::Editor;
use crate::store::stamp::FileStamp;
use crate::store::{gpkg, schema};

/// Past any record of the trail: the marks alone.
const NO_TRAIL: u64 = i64::MAX as u64;

fn house(id: &str, x: f64, floors: u16) -> Feature<House> {
    Feature {
        id: id.into(),
        geometry: Geometry::Point(Point::new(x, 31.9)),
        props: House {
            floors: Some(floors),
            ..House::default()
        },
        source: SourceRef::default(),
    }
}

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

/// Another program's connection (QGIS, GDAL): the R-tree triggers' functions, as
/// every GeoPackage writer has them.
fn other(path: &std::path::Path) -> Connection {
    let c = Connection::open(path).unwrap();
    schema::register_functions(&c).unwrap();
    c
}

fn rows(path: &std::path::Path, schema: i64, trail_after: u64) -> Touched {
    match read_touched(path, schema, trail_after, 1000).unwrap() {
        TouchedReading::Rows(t) => t,
        TouchedReading::Whole(why) => panic!("read whole: {why}"),
    }
}

fn whole(path: &std::path::Path, schema: i64) -> String {
    match read_touched(path, schema, NO_TRAIL, 1000).unwrap() {
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
    let r = rows(&path, t.schema, last_change_seq(&path).unwrap());
    assert!(r.ids.is_empty());
    assert!(r.layers.is_empty());
}

#[test]
fn another_programs_inserts_updates_deletes_and_renames_are_read_by_id() {
    let (_d, path) = store();
    let before = tracking(&path).unwrap();
    let trail = last_change_seq(&path).unwrap();
    let c = other(&path);
    c.execute_batch(
        "UPDATE houses SET floors = 7 WHERE id = 'h1';
         DELETE FROM houses WHERE id = 'h2';
         UPDATE houses SET id = 'h3b' WHERE id = 'h3';
         INSERT INTO houses (geom, id, floors)
           SELECT geom, 'h4', 9 FROM houses WHERE id = 'h1';",
    )
    .unwrap();
    drop(c);
    let t = rows(&path, before.schema, trail);
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
fn the_servers_own_edits_are_not_marked_but_read_from_the_trail_by_others() {
    let (_d, path) = store();
    let before = tracking(&path).unwrap();
    let trail = last_change_seq(&path).unwrap();
    let change = Change {
        layer: LayerKind::Houses,
        id: "h2".into(),
        before: Some(AnyFeature::House(house("h2", 121.2, 2))),
        after: Some(AnyFeature::House(house("h2", 121.2, 8))),
    };
    let after = Editor::new(&path).apply_by(&[change], &["editor"]).unwrap();
    let now = tracking(&path).unwrap();
    assert_eq!(now.upto, 0, "the server's own write left a mark");
    // The server that wrote has read its own edit: nothing to read.
    assert!(rows(&path, before.schema, after).ids.is_empty());
    // Another server serving the file has not: the trail names the feature.
    let t = rows(&path, before.schema, trail);
    assert_eq!(ids(&t, LayerKind::Houses), vec!["h2"]);
    assert_eq!(present(&t, LayerKind::Houses), vec!["h2"]);
    // And the quieting row is gone with the transaction.
    let c = other(&path);
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
    let before = tracking(&path).unwrap();
    let trail = last_change_seq(&path).unwrap();
    // h1 changed, h2 as it was, h3 gone, h5 new.
    let ds = dataset(vec![
        house("h1", 121.1, 4),
        house("h2", 121.2, 2),
        house("h5", 121.5, 1),
    ]);
    gpkg::write(&path, &ds).unwrap();
    let after = tracking(&path).unwrap();
    assert_eq!(after.upto, 3);
    // Read as another program's change, whether or not its trail records are counted.
    for trail_after in [trail, last_change_seq(&path).unwrap()] {
        let t = rows(&path, before.schema, trail_after);
        assert_eq!(ids(&t, LayerKind::Houses), vec!["h1", "h3", "h5"]);
        assert_eq!(present(&t, LayerKind::Houses), vec!["h1", "h5"]);
    }
}

#[test]
fn marks_read_and_recorded_are_forgotten() {
    let (_d, path) = store();
    let before = tracking(&path).unwrap();
    let c = other(&path);
    c.execute("UPDATE houses SET floors = 1 WHERE id = 'h1'", [])
        .unwrap();
    drop(c);
    let read_at = FileStamp::of(&path);
    let t = rows(&path, before.schema, NO_TRAIL);
    assert_eq!(t.upto, 1);
    // A write after the reading is not forgotten with the marks read.
    let c = other(&path);
    c.execute("UPDATE houses SET floors = 2 WHERE id = 'h2'", [])
        .unwrap();
    drop(c);
    let seen = last_change_seq(&path).unwrap();
    let (_, settled) = Editor::new(&path)
        .record_read(&[], "file", &read_at, seen, t.upto)
        .unwrap();
    assert_eq!(settled, None, "the file was written after the reading");
    let t = rows(&path, before.schema, NO_TRAIL);
    assert_eq!(ids(&t, LayerKind::Houses), vec!["h2"]);
    let read_at = FileStamp::of(&path);
    let (_, settled) = Editor::new(&path)
        .record_read(&[], "file", &read_at, seen, t.upto)
        .unwrap();
    let (stamp, schema) = settled.unwrap();
    assert_eq!(stamp, FileStamp::of(&path));
    assert_eq!(schema, before.schema);
    assert!(rows(&path, schema, NO_TRAIL).ids.is_empty());
}

#[test]
fn what_marks_cannot_say_is_read_whole() {
    // Triggers gone: a table made again by another program.
    let (_d, path) = store();
    let t = tracking(&path).unwrap();
    other(&path)
        .execute_batch("DROP TRIGGER riskmap_touched_houses_update")
        .unwrap();
    let now = tracking(&path).unwrap();
    assert!(!now.complete);
    assert!(whole(&path, now.schema).contains("lacks the triggers"));
    // Made again by the next settling of a reading.
    let read_at = FileStamp::of(&path);
    let (_, settled) = Editor::new(&path)
        .record_read(&[], "file", &read_at, NO_TRAIL, 0)
        .unwrap();
    let (_, schema) = settled.unwrap();
    assert!(tracking(&path).unwrap().complete);
    assert!(rows(&path, schema, NO_TRAIL).ids.is_empty());
    assert_ne!(schema, t.schema);

    // A quieting row left by another writer: its changes and all after were not marked.
    other(&path)
        .execute("INSERT INTO riskmap_touched (seq, tbl) VALUES (0, '')", [])
        .unwrap();
    assert!(whole(&path, schema).contains("lacks the triggers"));
    let read_at = FileStamp::of(&path);
    let (_, settled) = Editor::new(&path)
        .record_read(&[], "file", &read_at, NO_TRAIL, 0)
        .unwrap();
    let (_, schema) = settled.unwrap();
    assert!(rows(&path, schema, NO_TRAIL).ids.is_empty());

    // A column added: every row may read differently, none was touched.
    other(&path)
        .execute_batch("ALTER TABLE houses ADD COLUMN 结构 TEXT DEFAULT '砖混'")
        .unwrap();
    assert!(whole(&path, schema).contains("schema changed"));

    // New words for the stages.
    let (_d2, path) = store();
    gpkg::write_with_words(
        &path,
        &dataset(vec![house("h1", 121.1, 3)]),
        Some(&[("已销号".into(), crate::model::HiddenHazardStatus::Closed)]),
    )
    .unwrap();
    let t = tracking(&path).unwrap();
    other(&path)
        .execute("UPDATE riskmap_status_words SET word = '已整改'", [])
        .unwrap();
    assert!(whole(&path, t.schema).contains("words"));

    // More changed rows than are worth reading by id.
    let (_d3, path) = store();
    let t = tracking(&path).unwrap();
    other(&path)
        .execute("UPDATE houses SET floors = floors + 1", [])
        .unwrap();
    match read_touched(&path, t.schema, NO_TRAIL, 2).unwrap() {
        TouchedReading::Whole(why) => assert!(why.contains("more than 2")),
        TouchedReading::Rows(_) => panic!("three rows read by id past a limit of two"),
    }
    assert!(matches!(
        read_touched(&path, t.schema, NO_TRAIL, 3).unwrap(),
        TouchedReading::Rows(_)
    ));
}
