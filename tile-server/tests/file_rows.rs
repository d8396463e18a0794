//! A served GeoPackage that another program saved is read again by the rows it changed
//! (the store's triggers mark them), not whole; and the map then equals a reading of
//! the whole file, analysis included. What the marks cannot say (triggers gone, a
//! changed schema) is read whole, and the triggers are made again.
//!
//! The other program is GDAL's `ogrinfo`, which writes the file through SQLite as QGIS
//! does.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use common::edit::{all_changes, config, gpkg_state, served_house};
use common::{metric, ogrinfo};
use riskmap_core::dataset::{Dataset, Layer};
use riskmap_server::server::routes::router;
use riskmap_server::server::state::AppState;
use riskmap_server::server::watch::SyncOutcome;
use serde_json::Value;

const WHOLE: &str = "riskmap_source_readings_total";
const BY_ROWS: &str = "riskmap_source_row_readings_total";
/// The marks of changed rows in the file (the row of `seq` -1 is the reading's token).
const MARKS: &str = "SELECT count(*) AS n FROM riskmap_touched WHERE seq > 0";

fn gdal_sql(gpkg: &Path, sql: &str) {
    ogrinfo(&["-q", gpkg.to_str().unwrap(), "-sql", sql]);
}

/// The time now in UTC as the trail writes times (`2026-12-07T18:03:04.123Z`).
fn utc_now() -> String {
    let f = time::format_description::parse(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z",
    )
    .unwrap();
    time::OffsetDateTime::now_utc().format(&f).unwrap()
}

/// One number GDAL reads from the file.
fn gdal_count(gpkg: &Path, sql: &str) -> i64 {
    let out = ogrinfo(&["-ro", "-q", gpkg.to_str().unwrap(), "-sql", sql]);
    out.lines()
        .find_map(|l| l.trim().strip_prefix("n (Integer").map(str::to_owned))
        .and_then(|l| l.split(" = ").nth(1).map(|v| v.trim().parse().unwrap()))
        .unwrap_or_else(|| panic!("no n in ogrinfo's answer to {sql}: {out}"))
}

/// The test city imported into a GeoPackage in a new directory and served, its reading
/// settled (its marks' triggers made and known): the directory, the file, the server and
/// its routes.
async fn settled_store() -> (tempfile::TempDir, PathBuf, Arc<AppState>, Router) {
    let dir = tempfile::tempdir().unwrap();
    let gpkg = dir.path().join("city.gpkg");
    let state = gpkg_state(dir.path(), config());
    state.settle_served_reading().await;
    let app = router(state.clone());
    (dir, gpkg, state, app)
}

async fn readings(app: &Router) -> (f64, f64) {
    (metric(app, WHOLE).await, metric(app, BY_ROWS).await)
}

/// The served map against the file loaded and analysed afresh: every feature of every
/// layer, field by field, and the analysis's summary.
async fn assert_as_read_whole(state: &Arc<AppState>) {
    let fresh = common::fresh_snapshot(state).await;
    let snap = state.snapshot();
    let (now, want) = (features(snap.dataset()), features(fresh.dataset()));
    assert_eq!(now.len(), want.len());
    for (a, b) in now.iter().zip(&want) {
        assert_eq!(a, b);
    }
    assert!(now.len() > 1000, "{} features", now.len());
    assert_eq!(snap.summary(), fresh.summary());
}

/// Every feature of `d`: layer, id, geometry and fields, by layer and id.
fn features(d: &Dataset) -> Vec<(&'static str, String, String, Value)> {
    fn layer<P: serde::Serialize>(
        l: &Layer<P>,
        out: &mut Vec<(&'static str, String, String, Value)>,
    ) {
        for f in l.features() {
            out.push((
                l.kind().name(),
                f.id.clone(),
                format!("{:?}", f.geometry),
                serde_json::to_value(&f.props).unwrap(),
            ));
        }
    }
    let mut out = Vec::new();
    layer(&d.areas, &mut out);
    layer(&d.enterprises, &mut out);
    layer(&d.hazard_sources, &mut out);
    layer(&d.gas_pipelines, &mut out);
    layer(&d.houses, &mut out);
    layer(&d.protection_targets, &mut out);
    layer(&d.hidden_hazards, &mut out);
    out.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_save_is_read_by_the_rows_it_changed_and_equals_the_file_read_whole() {
    let (_dir, gpkg, state, app) = settled_store().await;
    let ids: Vec<String> = {
        let s = state.snapshot();
        (0..6)
            .map(|i| s.dataset().houses.get(i * 7).unwrap().id.clone())
            .collect()
    };
    let houses = state.snapshot().dataset().houses.len();
    // The school of the least fid, which is read first.
    let pt = state
        .snapshot()
        .dataset()
        .protection_targets
        .get(0)
        .unwrap()
        .id
        .clone();
    let first = all_changes(&app, 0, 10_000).await.len();
    let (whole0, rows0) = readings(&app).await;

    // A save of QGIS: new occupants, a house deleted, one renamed, one moved onto
    // another's footprint, one new (a copy of another's row under a new id), a school
    // moved to another's place.
    let [a, b, c, d, e, f] = [0, 1, 2, 3, 4, 5].map(|i| ids[i].as_str());
    gdal_sql(
        &gpkg,
        &format!("UPDATE houses SET occupants = 61 WHERE id = '{a}'"),
    );
    gdal_sql(&gpkg, &format!("DELETE FROM houses WHERE id = '{b}'"));
    gdal_sql(
        &gpkg,
        &format!("UPDATE houses SET id = '{c}-b' WHERE id = '{c}'"),
    );
    gdal_sql(
        &gpkg,
        &format!(
            "UPDATE houses SET geom = (SELECT geom FROM houses WHERE id = '{e}') WHERE id = '{d}'"
        ),
    );
    gdal_sql(
        &gpkg,
        &format!(
            "INSERT INTO houses (geom, id, occupants, floors) \
             SELECT geom, 'house-qgis-1', 12, 3 FROM houses WHERE id = '{f}'"
        ),
    );
    gdal_sql(
        &gpkg,
        "UPDATE protection_targets \
         SET geom = (SELECT geom FROM protection_targets ORDER BY fid DESC LIMIT 1) \
         WHERE fid = (SELECT min(fid) FROM protection_targets)",
    );
    assert_eq!(gdal_count(&gpkg, MARKS), 7);

    let out = state.sync_from_source().await.unwrap();
    assert!(matches!(out, SyncOutcome::Applied(_)), "{out:?}");
    let (whole, rows) = readings(&app).await;
    assert_eq!((whole - whole0, rows - rows0), (0.0, 1.0), "read whole");
    assert_eq!(served_house(&state, a).props.occupants, Some(61));
    assert_eq!(state.snapshot().dataset().houses.len(), houses);
    assert_as_read_whole(&state).await;
    // The marks read are forgotten; the trail has each change as made by `file`.
    assert_eq!(gdal_count(&gpkg, MARKS), 0);
    let recs = all_changes(&app, 0, 10_000).await;
    let mut got: Vec<(String, String, String)> = recs[first..]
        .iter()
        .map(|r| {
            assert_eq!(r["actor"], "file", "{r}");
            let s = |k: &str| r[k].as_str().unwrap().to_string();
            (s("layer"), s("id"), s("op"))
        })
        .collect();
    got.sort();
    let mut want: Vec<(String, String, String)> = [
        ("houses", a.to_string(), "update"),
        ("houses", b.to_string(), "delete"),
        ("houses", c.to_string(), "delete"),
        ("houses", format!("{c}-b"), "insert"),
        ("houses", d.to_string(), "update"),
        ("houses", "house-qgis-1".to_string(), "insert"),
        ("protection_targets", pt, "update"),
    ]
    .into_iter()
    .map(|(l, i, o)| (l.to_string(), i, o.to_string()))
    .collect();
    want.sort();
    assert_eq!(got, want);

    // Nothing new: an edit's look at the file reads nothing.
    assert!(matches!(
        state.sync_from_source().await.unwrap(),
        SyncOutcome::Unchanged
    ));
    assert_eq!(readings(&app).await, (whole, rows));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_marks_cannot_say_is_read_whole_and_the_triggers_made_again() {
    let (_dir, gpkg, state, app) = settled_store().await;
    let id = state.snapshot().dataset().houses.get(3).unwrap().id.clone();
    let triggers = "SELECT count(*) AS n FROM sqlite_master \
                    WHERE type = 'trigger' AND name LIKE 'riskmap_touched_houses_%'";
    assert_eq!(gdal_count(&gpkg, triggers), 4);

    // Another program made the table again without them (here: dropped one).
    gdal_sql(&gpkg, "DROP TRIGGER riskmap_touched_houses_update");
    gdal_sql(
        &gpkg,
        &format!("UPDATE houses SET floors = 9 WHERE id = '{id}'"),
    );
    let (w0, r0) = readings(&app).await;
    state.sync_from_source().await.unwrap();
    assert_eq!(readings(&app).await, (w0 + 1.0, r0));
    assert_eq!(served_house(&state, &id).props.floors, Some(9));
    assert_eq!(gdal_count(&gpkg, triggers), 4);

    // The next save is read by its rows again.
    gdal_sql(
        &gpkg,
        &format!("UPDATE houses SET floors = 4 WHERE id = '{id}'"),
    );
    state.sync_from_source().await.unwrap();
    assert_eq!(readings(&app).await, (w0 + 1.0, r0 + 1.0));
    assert_eq!(served_house(&state, &id).props.floors, Some(4));

    // A column renamed: every row reads differently, and none was marked.
    gdal_sql(
        &gpkg,
        "ALTER TABLE houses RENAME COLUMN occupants TO 居住人数",
    );
    state.sync_from_source().await.unwrap();
    assert_eq!(readings(&app).await, (w0 + 2.0, r0 + 1.0));
    assert_as_read_whole(&state).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_row_the_checks_refuse_leaves_the_served_feature() {
    let (_dir, gpkg, state, app) = settled_store().await;
    let (a, b) = {
        let s = state.snapshot();
        let h = &s.dataset().houses;
        (h.get(1).unwrap().id.clone(), h.get(2).unwrap().id.clone())
    };
    let before = served_house(&state, &a);
    // One row without a geometry (refused), another changed as it may be.
    gdal_sql(
        &gpkg,
        &format!("UPDATE houses SET geom = NULL WHERE id = '{a}'"),
    );
    gdal_sql(
        &gpkg,
        &format!("UPDATE houses SET floors = 5 WHERE id = '{b}'"),
    );
    let (w0, r0) = readings(&app).await;
    state.sync_from_source().await.unwrap();
    assert_eq!(readings(&app).await, (w0, r0 + 1.0));
    assert_eq!(served_house(&state, &b).props.floors, Some(5));
    let now = served_house(&state, &a);
    assert_eq!(now.geometry, before.geometry);
    // The validation report names the refused row.
    let report = &state.snapshot().report;
    assert!(
        report
            .issues
            .iter()
            .any(|i| i.feature_id.as_deref() == Some(a.as_str())),
        "{:?}",
        report.issues
    );

    // Read whole (what the marks cannot say: a trigger gone), the row still refused:
    // the served feature stays, and nothing is recorded as deleted.
    gdal_sql(&gpkg, "DROP TRIGGER riskmap_touched_houses_update");
    gdal_sql(
        &gpkg,
        &format!("UPDATE houses SET floors = 6 WHERE id = '{b}'"),
    );
    state.sync_from_source().await.unwrap();
    assert_eq!(readings(&app).await, (w0 + 1.0, r0 + 1.0));
    assert_eq!(served_house(&state, &b).props.floors, Some(6));
    assert_eq!(served_house(&state, &a).geometry, before.geometry);
    let deleted = "SELECT count(*) AS n FROM riskmap_changes WHERE op = 'delete'";
    assert_eq!(gdal_count(&gpkg, deleted), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_records_in_the_trail_what_it_changed() {
    use riskmap_server::server::state::ReloadOutcome;
    // Nothing watches the file (`watch = false`): only a reload reads GDAL's saves.
    let (_dir, gpkg, state, app) = settled_store().await;
    let (raised, gone) = {
        let s = state.snapshot();
        let id = |i| s.dataset().houses.get(i).unwrap().id.clone();
        (id(3), id(11))
    };
    let was = served_house(&state, &raised).props.occupants.unwrap_or(0);
    let since = all_changes(&app, 0, 10_000)
        .await
        .last()
        .map_or(0, |r| r["seq"].as_u64().unwrap());
    gdal_sql(
        &gpkg,
        &format!(
            "UPDATE houses SET occupants = {} WHERE id = '{raised}'",
            was + 5
        ),
    );
    gdal_sql(&gpkg, &format!("DELETE FROM houses WHERE id = '{gone}'"));
    assert!(matches!(
        state.reload(false).await,
        ReloadOutcome::Reloaded { .. }
    ));
    let recs = all_changes(&app, since, 1000).await;
    let ops: Vec<(&str, &str, &str)> = recs
        .iter()
        .map(|r| {
            (
                r["actor"].as_str().unwrap(),
                r["id"].as_str().unwrap(),
                r["op"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        ops,
        [
            ("file", raised.as_str(), "update"),
            ("file", gone.as_str(), "delete")
        ]
    );
    assert_eq!(recs[0]["before"]["properties"]["occupants"], was);
    assert_eq!(recs[0]["after"]["properties"]["occupants"], was + 5);
    assert_eq!(recs[1]["before"]["id"], gone.as_str());
    assert!(recs[1]["after"].is_null());
    // Yesterday's map (the ledgers with every change recorded since taken back) has the
    // deleted house again; today's does not.
    let day = riskmap_core::model::Day::today().plus_days(-1);
    for (q, want) in [(format!("?as_of={day}"), 200), (String::new(), 404)] {
        let uri = format!("/api/hidden/of/houses/{gone}{q}");
        let (s, _, _) = common::send(&app, common::get(&uri)).await;
        assert_eq!(s.as_u16(), want, "{uri}");
    }
    // The reading is settled: its marks forgotten, and the next save read by its rows.
    assert_eq!(gdal_count(&gpkg, MARKS), 0);
    assert!(state.file_schema().is_some());
    // A second reload finds nothing new to record.
    assert!(matches!(
        state.reload(false).await,
        ReloadOutcome::Reloaded { .. }
    ));
    assert_eq!(all_changes(&app, since, 1000).await.len(), 2);

    // A fifth of the houses deleted: refused and not recorded, then forced and recorded,
    // each as a deletion with the house as it was served.
    let houses = state.snapshot().dataset().houses.len();
    gdal_sql(&gpkg, "DELETE FROM houses WHERE fid % 5 = 0");
    let left = usize::try_from(gdal_count(&gpkg, "SELECT count(*) AS n FROM houses")).unwrap();
    assert!(houses - left > houses / 10, "{houses} → {left}");
    assert!(matches!(
        state.reload(false).await,
        ReloadOutcome::Refused(_)
    ));
    assert_eq!(all_changes(&app, since, 1000).await.len(), 2);
    assert!(matches!(
        state.reload(true).await,
        ReloadOutcome::Reloaded { forced: true, .. }
    ));
    assert_eq!(state.snapshot().dataset().houses.len(), left);
    let recs = all_changes(&app, since, 1000).await;
    assert_eq!(recs.len(), 2 + houses - left);
    for r in &recs[2..] {
        assert_eq!(
            (r["actor"].as_str(), r["op"].as_str()),
            (Some("file"), Some("delete"))
        );
        assert_eq!(r["layer"], "houses");
        assert!(r["before"]["geometry"].is_object(), "{r}");
    }
    assert_eq!(gdal_count(&gpkg, MARKS), 0);
}

/// Rows QGIS changed while no server followed the file are recorded in its trail as made
/// by `file`, at the time each was saved, when a server starts on it (the past days and
/// `history` then have them); a row saved unchanged is no change, and a row saved broken
/// is served as the trail last recorded it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_changed_while_no_server_ran_are_recorded_at_a_start_as_saved() {
    use riskmap_server::server::state::{DataSource, build_snapshot};
    let (_dir, gpkg, state, _app) = settled_store().await;
    let (a, b, c, d) = {
        let s = state.snapshot();
        let h = &s.dataset().houses;
        (
            h.get(5).unwrap().clone(),
            h.get(6).unwrap().id.clone(),
            h.get(7).unwrap().id.clone(),
            h.get(8).unwrap().clone(),
        )
    };
    drop(state);
    let records = |op: &str| {
        gdal_count(
            &gpkg,
            &format!(
                "SELECT count(*) AS n FROM riskmap_changes WHERE actor = 'file' AND op = '{op}'"
            ),
        )
    };
    assert_eq!((records("update"), records("delete")), (0, 0));

    // Stopped: QGIS changes one house, deletes another, saves a third unchanged.
    let edits_from = utc_now();
    gdal_sql(
        &gpkg,
        &format!("UPDATE houses SET floors = 11 WHERE id = '{}'", a.id),
    );
    gdal_sql(&gpkg, &format!("DELETE FROM houses WHERE id = '{b}'"));
    gdal_sql(
        &gpkg,
        &format!("UPDATE houses SET floors = floors WHERE id = '{c}'"),
    );
    // And breaks a fourth (no geometry): refused at the start, still in the file, not a
    // deletion.
    gdal_sql(
        &gpkg,
        &format!("UPDATE houses SET geom = NULL WHERE id = '{}'", d.id),
    );
    assert_eq!(gdal_count(&gpkg, MARKS), 4);
    let edits_to = utc_now();
    std::thread::sleep(Duration::from_millis(1100));

    // Started again.
    let snap = build_snapshot(&config(), &DataSource::dir(&gpkg), 1).unwrap();
    let state = Arc::new(AppState::new(config(), DataSource::dir(&gpkg), snap, None));
    state.settle_served_reading().await;
    assert_eq!((records("update"), records("delete")), (1, 1));
    // The broken row is served as the trail last recorded it (as a running server keeps
    // serving a refused row's feature), and the validation report names it.
    let kept = served_house(&state, &d.id);
    assert_eq!(kept.geometry, d.geometry);
    assert_eq!(kept.props.floors, d.props.floors);
    assert!(
        state.snapshot().report.issues.iter().any(|i| {
            i.feature_id.as_deref() == Some(d.id.as_str())
                && i.severity == riskmap_core::io::Severity::Skipped
        }),
        "the refusal is reported"
    );
    // Each at the time it was saved, by the file's clock, not the start's (a second on).
    let times = ogrinfo(&[
        "-ro",
        "-q",
        gpkg.to_str().unwrap(),
        "-sql",
        "SELECT at FROM riskmap_changes WHERE actor = 'file'",
    ]);
    let times: Vec<&str> = times
        .lines()
        .filter_map(|l| l.trim().strip_prefix("at (String) = "))
        .collect();
    assert_eq!(times.len(), 2, "{times:?}");
    for t in times {
        assert!(
            edits_from.as_str() <= t && t <= edits_to.as_str(),
            "recorded at {t}, saved between {edits_from} and {edits_to}"
        );
    }
    let row = ogrinfo(&[
        "-ro",
        "-q",
        gpkg.to_str().unwrap(),
        "-sql",
        &format!(
            "SELECT json_extract(before, '$.properties.floors') AS was, \
             json_extract(after, '$.properties.floors') AS now FROM riskmap_changes \
             WHERE actor = 'file' AND id = '{}'",
            a.id
        ),
    ]);
    let was = a.props.floors.unwrap();
    assert!(
        row.contains(&format!("was (Integer) = {was}")) && row.contains("now (Integer) = 11"),
        "{row}"
    );
    assert_eq!(
        gdal_count(
            &gpkg,
            &format!(
                "SELECT count(*) AS n FROM riskmap_changes WHERE actor = 'file' AND id = '{c}'"
            )
        ),
        0
    );
    // The marks are let go: the next start records nothing again.
    assert_eq!(gdal_count(&gpkg, MARKS), 0);
    drop(state);
    let snap = build_snapshot(&config(), &DataSource::dir(&gpkg), 1).unwrap();
    let state = Arc::new(AppState::new(config(), DataSource::dir(&gpkg), snap, None));
    state.settle_served_reading().await;
    assert_eq!((records("update"), records("delete")), (1, 1));
}
