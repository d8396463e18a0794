//! Batches of changes into a GeoPackage: rows and trail together, or neither.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure

use rusqlite::Connection;

use super::*;
use crate::dataset::Dataset;
use crate::layer::Layer;
use crate::model::{House, LayerKind, SourceRef};
use crate::store::changes::{ChangeRecord, TrailFollowed, changes_since, feature_version};
use crate::store::gpkg;
use crate::store::test_support::{house, other_program};

fn put(f: Feature<House>, before: Option<Feature<House>>) -> Change {
    Change {
        layer: LayerKind::Houses,
        id: f.id.clone(),
        before: before.map(AnyFeature::House),
        after: Some(AnyFeature::House(f)),
    }
}

fn delete(id: &str) -> Change {
    Change {
        layer: LayerKind::Houses,
        id: id.into(),
        before: None,
        after: None,
    }
}

/// A store imported from two houses, h1 (3 floors) and h2.
fn store() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("city.gpkg");
    let ds = Dataset {
        houses: Layer::new(
            LayerKind::Houses,
            vec![house("h1", 121.1, 3), house("h2", 121.2, 2)],
        ),
        ..Dataset::default()
    };
    gpkg::write(&path, &ds).unwrap();
    (dir, path)
}

/// (id, floors, updated_at) of every house row, by id.
fn rows(path: &std::path::Path) -> Vec<(String, Option<i64>, String)> {
    let c = Connection::open(path).unwrap();
    let mut st = c
        .prepare("SELECT id, floors, updated_at FROM houses ORDER BY id")
        .unwrap();
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Another program's rule in the file: a house with the id `bad` is refused.
fn refuse_bad(path: &std::path::Path) {
    Connection::open(path)
        .unwrap()
        .execute_batch(
            "CREATE TRIGGER no_bad BEFORE INSERT ON houses WHEN NEW.id = 'bad'
             BEGIN SELECT RAISE(ABORT, 'refused by the file'); END;",
        )
        .unwrap();
}

fn summary(c: &[ChangeRecord]) -> Vec<(u64, &str, &str, ChangeOp)> {
    c.iter()
        .map(|r| (r.seq, r.actor.as_str(), r.id.as_str(), r.op))
        .collect()
}

#[test]
fn an_import_records_its_inserts_and_a_batch_its_changes() {
    let (_dir, path) = store();
    let all = changes_since(&path, 0).unwrap();
    assert_eq!(
        summary(&all),
        [
            (1, "import", "h1", ChangeOp::Insert),
            (2, "import", "h2", ChangeOp::Insert)
        ]
    );
    assert_eq!(all[0].before, None);
    let after = all[0].after.as_ref().unwrap();
    assert_eq!(
        after["geometry"]["coordinates"],
        serde_json::json!([121.1, 31.9])
    );
    assert_eq!(after["properties"]["floors"], 3);
    assert_eq!(after["properties"]["address"], "海门路h1");

    let last = apply_changes(
        &path,
        &[
            put(house("h1", 121.1, 5), Some(house("h1", 121.1, 3))),
            put(house("h3", 121.3, 1), None),
            delete("h2"),
        ],
        "zhang-san",
    )
    .unwrap();
    assert_eq!(last, 5);
    let new = changes_since(&path, 2).unwrap();
    assert_eq!(
        summary(&new),
        [
            (3, "zhang-san", "h1", ChangeOp::Update),
            (4, "zhang-san", "h3", ChangeOp::Insert),
            (5, "zhang-san", "h2", ChangeOp::Delete)
        ]
    );
    assert_eq!(new[0].changed_fields(), ["floors"]);
    assert_eq!(new[0].before.as_ref().unwrap()["properties"]["floors"], 3);
    assert_eq!(new[0].after.as_ref().unwrap()["properties"]["floors"], 5);
    // The delete keeps what was deleted.
    assert_eq!(new[2].before.as_ref().unwrap()["properties"]["floors"], 2);
    assert_eq!(new[2].after, None);
    // `before` of a change is `after` of the one before it.
    assert_eq!(new[0].before, all[0].after);
    let r = rows(&path);
    let ids: Vec<(&str, Option<i64>)> = r.iter().map(|(i, f, _)| (i.as_str(), *f)).collect();
    assert_eq!(ids, [("h1", Some(5)), ("h3", Some(1))]);
    // updated_at of the rewritten row is the time of its change.
    assert_eq!(r[0].2, new[0].at);
    assert!(
        new[0].at.ends_with('Z') && new[0].at.len() == 24,
        "{}",
        new[0].at
    );
    // The store still loads, with the edits.
    let loaded = gpkg::load(&path, &crate::io::LoadOptions::default()).unwrap();
    assert_eq!(loaded.dataset.houses.len(), 2);
    // A put that changes nothing records nothing.
    let last = apply_changes(&path, &[put(house("h3", 121.3, 1), None)], "li-si").unwrap();
    assert_eq!(last, 5);
}

#[test]
fn grouped_edits_keep_each_author() {
    let (_dir, path) = store();
    let last = apply_changes_by(
        &path,
        &[
            put(house("h1", 121.1, 7), Some(house("h1", 121.1, 3))),
            put(house("h3", 121.3, 1), None),
            put(house("h1", 121.1, 8), Some(house("h1", 121.1, 7))),
        ],
        &["zhang-san", "li-si", "wang-wu"],
    )
    .unwrap();
    assert_eq!(last, 5);
    let new = changes_since(&path, 2).unwrap();
    assert_eq!(
        summary(&new),
        [
            (3, "zhang-san", "h1", ChangeOp::Update),
            (4, "li-si", "h3", ChangeOp::Insert),
            (5, "wang-wu", "h1", ChangeOp::Update)
        ]
    );
    // The second edit of h1 starts from the first one's row.
    assert_eq!(new[2].before.as_ref().unwrap()["properties"]["floors"], 7);
    assert_eq!(new[2].after.as_ref().unwrap()["properties"]["floors"], 8);
    // A list of names that does not match the changes writes nothing.
    let before = rows(&path);
    let e = apply_changes_by(&path, &[delete("h3")], &[]).unwrap_err();
    assert!(e.to_string().contains("1 changes but 0 actors"), "{e}");
    assert_eq!(rows(&path), before);
}

#[test]
fn a_failing_row_leaves_the_file_as_it_was() {
    let (_dir, path) = store();
    let bytes = std::fs::read(&path).unwrap();
    let before = rows(&path);
    // An id the table does not have.
    let e = apply_changes(
        &path,
        &[put(house("h1", 121.1, 9), None), delete("h404")],
        "zhang-san",
    )
    .unwrap_err();
    assert!(e.to_string().contains("h404"), "{e}");
    assert_eq!(rows(&path), before);
    assert_eq!(changes_since(&path, 0).unwrap().len(), 2);
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    // The file itself refuses a row (a constraint another program put there).
    refuse_bad(&path);
    let before = rows(&path);
    let e = apply_changes(
        &path,
        &[
            put(house("h1", 121.1, 9), None),
            put(house("bad", 121.4, 1), None),
        ],
        "zhang-san",
    )
    .unwrap_err();
    assert!(e.to_string().contains("refused by the file"), "{e}");
    assert_eq!(rows(&path), before);
    assert_eq!(changes_since(&path, 0).unwrap().len(), 2);
    // A change whose feature is not the one it names.
    let mut wrong = put(house("h1", 121.1, 9), None);
    wrong.id = "h2".into();
    assert!(apply_changes(&path, &[wrong], "zhang-san").is_err());
    assert_eq!(rows(&path), before);
}

#[test]
fn a_kept_open_editor_follows_the_file_at_its_path() {
    let (dir, path) = store();
    let mut e = Editor::new(&path);
    e.apply_by(
        &[put(house("h1", 121.1, 5), Some(house("h1", 121.1, 3)))],
        &["zhang-san"],
    )
    .unwrap();
    // A batch the file refuses: nothing of it is written, and the next one is.
    assert!(e.apply_by(&[delete("h404")], &["zhang-san"]).is_err());
    e.apply_by(&[put(house("h3", 121.3, 1), None)], &["li-si"])
        .unwrap();
    let floors = |path: &std::path::Path| -> Vec<(String, Option<i64>)> {
        rows(path).into_iter().map(|(i, f, _)| (i, f)).collect()
    };
    let s = |v: &[(&str, Option<i64>)]| -> Vec<(String, Option<i64>)> {
        v.iter().map(|(i, f)| (i.to_string(), *f)).collect()
    };
    assert_eq!(
        floors(&path),
        s(&[("h1", Some(5)), ("h2", Some(2)), ("h3", Some(1))])
    );
    // Another program adds a rule to the file between two batches: the kept connection
    // reads the schema again and the rule holds.
    refuse_bad(&path);
    let err = e
        .apply_by(&[put(house("bad", 121.4, 1), None)], &["li-si"])
        .unwrap_err();
    assert!(err.to_string().contains("refused by the file"), "{err}");
    e.apply_by(&[delete("h2")], &["li-si"]).unwrap();
    assert_eq!(floors(&path), s(&[("h1", Some(5)), ("h3", Some(1))]));
    // The file is replaced by another (a copy put in its place): the next batch goes
    // into the new file, not into the one that is gone.
    let other = dir.path().join("other.gpkg");
    let ds = Dataset {
        houses: Layer::new(LayerKind::Houses, vec![house("h7", 121.7, 4)]),
        ..Dataset::default()
    };
    gpkg::write(&other, &ds).unwrap();
    std::fs::rename(&other, &path).unwrap();
    e.apply_by(&[put(house("h8", 121.8, 6), None)], &["wang-wu"])
        .unwrap();
    assert_eq!(floors(&path), s(&[("h7", Some(4)), ("h8", Some(6))]));
    let trail = changes_since(&path, 0).unwrap();
    assert_eq!(
        summary(&trail),
        [
            (1, "import", "h7", ChangeOp::Insert),
            (2, "wang-wu", "h8", ChangeOp::Insert)
        ]
    );
}

#[test]
fn a_new_import_records_what_it_changed_and_removed() {
    let (_dir, path) = store();
    let ds = Dataset {
        houses: Layer::new(
            LayerKind::Houses,
            vec![house("h1", 121.15, 3), house("h9", 121.5, 4)],
        ),
        ..Dataset::default()
    };
    gpkg::write(&path, &ds).unwrap();
    let c = changes_since(&path, 2).unwrap();
    assert_eq!(
        summary(&c),
        [
            (3, "import", "h1", ChangeOp::Update),
            (4, "import", "h9", ChangeOp::Insert),
            (5, "import", "h2", ChangeOp::Delete)
        ]
    );
    assert_eq!(c[0].changed_fields(), ["geometry"]);
    assert_eq!(
        c[1].changed_fields(),
        ["address", "floors", "geometry"],
        "an insert changes every given field"
    );
}

#[test]
fn the_version_tag_follows_the_geometry_and_every_field() {
    let v = |f: Feature<House>| feature_version(&AnyFeature::House(f));
    let base = v(house("h1", 121.1, 3));
    assert_eq!(base.len(), 32);
    assert!(base.bytes().all(|b| b.is_ascii_hexdigit()));
    // The same feature, loaded from elsewhere: the same version.
    let mut elsewhere = house("h1", 121.1, 3);
    elsewhere.source = SourceRef::in_file("other.gpkg/houses", 7);
    assert_eq!(v(elsewhere), base);
    assert_eq!(v(house("h1", 121.1, 3)), base);
    // Any field, the geometry, the id.
    assert_ne!(v(house("h1", 121.1, 4)), base);
    assert_ne!(v(house("h1", 121.100_001, 3)), base);
    assert_ne!(v(house("h2", 121.1, 3)), base);
    let mut phone = house("h1", 121.1, 3);
    phone.props.phone = Some("13800000000".into());
    assert_ne!(v(phone), base);
    let mut cleared = house("h1", 121.1, 3);
    cleared.props.floors = None;
    assert_ne!(v(cleared), base);
}

#[test]
fn records_and_versions_keep_a_coordinate_to_its_last_digit() {
    // 121.123456789012 and one ten-millionth of a degree (about 1 cm) more: seven
    // decimals, as the exports write, would record both as 121.1234568.
    let (x, moved) = (121.123_456_789_012, 121.123_456_889_012);
    let (_dir, path) = store();
    apply_changes(
        &path,
        &[put(house("h1", moved, 3), Some(house("h1", x, 3)))],
        "zhang-san",
    )
    .unwrap();
    apply_changes(
        &path,
        &[put(house("h1", x, 3), Some(house("h1", moved, 3)))],
        "zhang-san",
    )
    .unwrap();
    let new = changes_since(&path, 2).unwrap();
    let lon = |v: &Option<serde_json::Value>| {
        v.as_ref().unwrap()["geometry"]["coordinates"][0]
            .as_f64()
            .unwrap()
    };
    // Read back through JSON text: within one unit in the last place of a double
    // (1.4e-14 degrees at 121°), where seven decimals would be 1.1e-8 off.
    for (got, want) in [
        (lon(&new[0].after), moved),
        (lon(&new[1].before), moved),
        (lon(&new[1].after), x),
    ] {
        assert!((got - want).abs() <= 2e-14, "{got} vs {want}");
    }
    // The geometry alone moved: the change says so, and the versions differ.
    assert_eq!(new[0].changed_fields(), ["geometry"]);
    let v = |lon: f64| feature_version(&AnyFeature::House(house("h1", lon, 3)));
    assert_ne!(v(x), v(x + 1e-9));
}

#[test]
fn an_editor_checked_against_a_reading_writes_nothing_over_another_programs_write() {
    use crate::store::stamp::FileStamp;
    let (_dir, path) = store();
    let read = FileStamp::of(&path);
    let mut e = Editor::new(&path);
    // Nobody wrote since the reading: written, and the stamp after it is the file's.
    let (_, after) = e
        .apply_unless_changed(
            &[put(house("h1", 121.1, 5), Some(house("h1", 121.1, 3)))],
            &["zhang-san"],
            &read,
        )
        .unwrap();
    let after = after.expect("nobody wrote meanwhile");
    assert_eq!(after, FileStamp::of(&path));
    let trail = changes_since(&path, 0).unwrap().len();
    // Another program (QGIS) sets h2's floors; an edit checked against the old stamp
    // would write h2 over it: nothing is written.
    let qgis = other_program(&path);
    qgis.execute("UPDATE houses SET floors = 7 WHERE id = 'h2'", [])
        .unwrap();
    drop(qgis);
    let as_qgis_left_it = rows(&path);
    let err = e
        .apply_unless_changed(
            &[put(house("h2", 121.2, 4), Some(house("h2", 121.2, 2)))],
            &["li-si"],
            &after,
        )
        .unwrap_err();
    assert!(matches!(err, StoreError::ChangedElsewhere { .. }), "{err}");
    assert!(err.to_string().contains("another program"), "{err}");
    assert_eq!(rows(&path), as_qgis_left_it);
    assert_eq!(changes_since(&path, 0).unwrap().len(), trail);
    // Checked against the file as it is now, the edit is written.
    e.apply_unless_changed(
        &[put(house("h2", 121.2, 4), Some(house("h2", 121.2, 7)))],
        &["li-si"],
        &FileStamp::of(&path),
    )
    .unwrap();
    let floors: Vec<Option<i64>> = rows(&path).into_iter().map(|r| r.1).collect();
    assert_eq!(floors, vec![Some(5), Some(4)]);
    assert_eq!(changes_since(&path, 0).unwrap().len(), trail + 1);
}

#[test]
fn changes_read_from_the_file_are_recorded_unless_their_writer_recorded_them() {
    use crate::store::stamp::FileStamp;
    let (_dir, path) = store();
    let seen = TrailFollowed::upto(changes_since(&path, 0).unwrap().last().map_or(0, |r| r.seq));
    // A second import (which records its changes) sets h1; QGIS (which does not)
    // sets h2.
    apply_changes(
        &path,
        &[put(house("h1", 121.1, 8), Some(house("h1", 121.1, 3)))],
        "import",
    )
    .unwrap();
    let qgis = other_program(&path);
    qgis.execute("UPDATE houses SET floors = 6 WHERE id = 'h2'", [])
        .unwrap();
    drop(qgis);
    let read_at = FileStamp::of(&path);
    let read = [
        put(house("h1", 121.1, 8), Some(house("h1", 121.1, 3))),
        put(house("h2", 121.2, 6), Some(house("h2", 121.2, 2))),
    ];
    let (last, after) = Editor::new(&path)
        .record_read(&read, &ChangedAt::new(), "file", &read_at, &seen, 0)
        .unwrap();
    let recs = changes_since(&path, seen.upto).unwrap();
    let who: Vec<(&str, &str)> = recs
        .iter()
        .map(|r| (r.actor.as_str(), r.id.as_str()))
        .collect();
    assert_eq!(who, vec![("import", "h1"), ("file", "h2")]);
    assert_eq!(last.last, recs.last().unwrap().seq);
    assert_eq!(last.own, Some((last.last, last.last)));
    // Nobody wrote from the reading until the records: the map follows the whole trail.
    assert_eq!(last.follow(&seen), TrailFollowed::upto(last.last));
    assert_eq!(recs[1].changed_fields(), vec!["floors".to_string()]);
    // Nobody wrote between the reading and the records: the stamp after them is known.
    assert_eq!(after.map(|a| a.0), Some(FileStamp::of(&path)));
    // The rows are as QGIS and the import left them.
    let floors: Vec<Option<i64>> = rows(&path).into_iter().map(|r| r.1).collect();
    assert_eq!(floors, vec![Some(8), Some(6)]);
    // Read at an older stamp (a write came after the reading): recorded, stamp unknown.
    let (_, after) = Editor::new(&path)
        .record_read(
            &read[1..],
            &ChangedAt::new(),
            "file",
            &read_at,
            &TrailFollowed::upto(last.last),
            0,
        )
        .unwrap();
    assert_eq!(after, None);
}

#[test]
fn a_change_its_writer_recorded_after_a_reading_is_not_recorded_again() {
    use crate::store::stamp::FileStamp;
    let (_dir, path) = store();
    let served = TrailFollowed::upto(changes_since(&path, 0).unwrap().last().map_or(0, |r| r.seq));
    let floors_of_h2 = |floors: i64| {
        let qgis = other_program(&path);
        qgis.execute("UPDATE houses SET floors = ?1 WHERE id = 'h2'", [floors])
            .unwrap();
    };
    // QGIS sets h2 (not recorded), and the server reads the file.
    floors_of_h2(6);
    let read_at = FileStamp::of(&path);
    let read = [put(house("h2", 121.2, 6), Some(house("h2", 121.2, 2)))];
    // Before the reading is recorded, an import (which records its changes) sets h1.
    apply_changes(
        &path,
        &[put(house("h1", 121.1, 8), Some(house("h1", 121.1, 3)))],
        "import",
    )
    .unwrap();
    let (done, after) = Editor::new(&path)
        .record_read(&read, &ChangedAt::new(), "file", &read_at, &served, 0)
        .unwrap();
    assert_eq!(after, None, "the file was written after the reading");
    assert!(!done.as_read);
    // The map has h2's record, not the import's: its record comes before h2's. (The
    // trail ended at the map's position when the file was read.)
    let followed = done.follow(&served.read_to(served.upto));
    assert_eq!(followed.upto, served.upto);
    assert_eq!(followed.own, vec![(served.upto + 2, served.upto + 2)]);
    assert_eq!(followed.last(), done.last);
    // The next reading finds h1 as the import left it, and h2 changed again by QGIS.
    floors_of_h2(7);
    let read_at = FileStamp::of(&path);
    let read = [
        put(house("h1", 121.1, 8), Some(house("h1", 121.1, 3))),
        put(house("h2", 121.2, 7), Some(house("h2", 121.2, 6))),
    ];
    let (done, after) = Editor::new(&path)
        .record_read(&read, &ChangedAt::new(), "file", &read_at, &followed, 0)
        .unwrap();
    assert!(done.as_read);
    assert_eq!(after.map(|a| a.0), Some(FileStamp::of(&path)));
    assert_eq!(done.follow(&followed), TrailFollowed::upto(done.last));
    // h1 recorded once, by the import; both of QGIS's changes of h2 as read.
    let recs = changes_since(&path, served.upto).unwrap();
    let who: Vec<(&str, &str)> = recs
        .iter()
        .map(|r| (r.actor.as_str(), r.id.as_str()))
        .collect();
    assert_eq!(who, vec![("import", "h1"), ("file", "h2"), ("file", "h2")]);
    let floors = |r: &ChangeRecord| {
        let of = |f: &Option<Value>| f.as_ref().and_then(|f| f["properties"]["floors"].as_i64());
        (of(&r.before), of(&r.after))
    };
    assert_eq!(floors(&recs[1]), (Some(2), Some(6)));
    assert_eq!(floors(&recs[2]), (Some(6), Some(7)));
}

#[test]
fn a_change_read_with_its_writers_record_leaves_the_features_later_changes_recorded() {
    use crate::store::stamp::FileStamp;
    let (_dir, path) = store();
    let served = TrailFollowed::upto(changes_since(&path, 0).unwrap().last().map_or(0, |r| r.seq));
    let set_floors = |id: &str, floors: i64| {
        let qgis = other_program(&path);
        qgis.execute(
            "UPDATE houses SET floors = ?1 WHERE id = ?2",
            rusqlite::params![floors, id],
        )
        .unwrap();
    };
    // An import records h1; then the server reads the file (h1 as imported), the trail
    // ending at the import's record.
    apply_changes(
        &path,
        &[put(house("h1", 121.1, 8), Some(house("h1", 121.1, 3)))],
        "import",
    )
    .unwrap();
    let read_trail = served.upto + 1;
    assert_eq!(changes_since(&path, served.upto).unwrap().len(), 1);
    let read_at = FileStamp::of(&path);
    let read = [put(house("h1", 121.1, 8), Some(house("h1", 121.1, 3)))];
    // QGIS saves h2 before the reading is recorded.
    set_floors("h2", 6);
    let (done, after) = Editor::new(&path)
        .record_read(&read, &ChangedAt::new(), "file", &read_at, &served, 0)
        .unwrap();
    assert_eq!(after, None);
    assert_eq!(done.own, None, "the import's change is not recorded again");
    // The map has the import's record (it was read), and not h2's save.
    let followed = done.follow(&served.read_to(read_trail));
    assert_eq!(followed, TrailFollowed::upto(read_trail));
    // QGIS then changes h1 again: the next reading records it, and h2's save.
    set_floors("h1", 9);
    let read_at = FileStamp::of(&path);
    let read = [
        put(house("h1", 121.1, 9), Some(house("h1", 121.1, 8))),
        put(house("h2", 121.2, 6), Some(house("h2", 121.2, 2))),
    ];
    let (done, _) = Editor::new(&path)
        .record_read(&read, &ChangedAt::new(), "file", &read_at, &followed, 0)
        .unwrap();
    assert!(done.as_read);
    let recs = changes_since(&path, served.upto).unwrap();
    let who: Vec<(&str, &str)> = recs
        .iter()
        .map(|r| (r.actor.as_str(), r.id.as_str()))
        .collect();
    assert_eq!(who, vec![("import", "h1"), ("file", "h1"), ("file", "h2")]);
}

#[test]
fn a_readings_position_keeps_own_records_after_it_only() {
    let at = TrailFollowed {
        upto: 10,
        own: vec![(12, 12), (15, 17)],
    };
    assert!(at.follows(10) && !at.follows(11) && at.follows(12));
    assert!(!at.follows(14) && at.follows(16) && !at.follows(18));
    assert_eq!(at.last(), 17);
    // A reading when the trail ended at 13 has 11 and 13; the own records up to 13 go.
    let read = at.read_to(13);
    assert_eq!(
        read,
        TrailFollowed {
            upto: 13,
            own: vec![(15, 17)]
        }
    );
    // One before the map's position moves nothing.
    assert_eq!(at.read_to(4), at);
    assert_eq!(at.read_to(17), TrailFollowed::upto(17));
}

/// The times a reading's changes were made keep the trail's times increasing with its
/// numbers: in time order, and the transaction's time for one before the trail's last
/// record or after now.
#[test]
fn changes_read_with_their_times_are_recorded_in_time_order() {
    use crate::store::stamp::FileStamp;
    let (_dir, path) = store();
    // The import's record more than a second ago.
    std::thread::sleep(std::time::Duration::from_millis(1200));
    let trail = changes_since(&path, 0).unwrap();
    let last_at = trail.last().unwrap().at.clone();
    let seen = TrailFollowed::upto(trail.last().unwrap().seq);
    let read = [
        put(house("h1", 121.1, 8), Some(house("h1", 121.1, 3))),
        put(house("h2", 121.2, 6), Some(house("h2", 121.2, 2))),
        put(house("h3", 121.3, 1), None),
        put(house("h4", 121.4, 1), None),
    ];
    // h1 and h2 saved in the other order; h3 before the trail's last record; h4 in
    // the future.
    let (later, earlier) = ("9999-01-01T00:00:00.000Z", "1970-01-01T00:00:00.000Z");
    let (h2_at, h1_at) = {
        // Two times after the last record and before now.
        let c = other_program(&path);
        let t = |d: &str| -> String {
            c.query_row(
                "SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?1)",
                [d],
                |r| r.get(0),
            )
            .unwrap()
        };
        (t("-0.8 seconds"), t("-0.4 seconds"))
    };
    let at: ChangedAt = [
        ((LayerKind::Houses, "h1".to_string()), h1_at.clone()),
        ((LayerKind::Houses, "h2".to_string()), h2_at.clone()),
        ((LayerKind::Houses, "h3".to_string()), earlier.to_string()),
        ((LayerKind::Houses, "h4".to_string()), later.to_string()),
    ]
    .into_iter()
    .collect();
    Editor::new(&path)
        .record_read(&read, &at, "file", &FileStamp::of(&path), &seen, 0)
        .unwrap();
    let recs = changes_since(&path, seen.upto).unwrap();
    let order: Vec<&str> = recs.iter().map(|r| r.id.as_str()).collect();
    let times: Vec<&str> = recs.iter().map(|r| r.at.as_str()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    assert!(
        times.iter().all(|t| *t > last_at.as_str()),
        "{times:?} {last_at}"
    );
    assert_eq!(order, ["h2", "h1", "h3", "h4"]);
    assert_eq!((times[0], times[1]), (h2_at.as_str(), h1_at.as_str()));
    // h3's and h4's times said nothing: the transaction's, the same for both.
    assert_eq!(times[2], times[3]);
    assert!(times[3] < later);
}
