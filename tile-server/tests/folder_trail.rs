//! A server of a data folder given a trail (`trail = "changes.gpkg"`) records the changes
//! it reads from the folder's files (its watcher's readings and its reloads) as made by
//! `file`, in a GeoPackage of their own; `/api/changes`, `riskmap history` and GDAL's
//! `ogrinfo` read them back. The folder's files are never written.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::sync::Arc;

use axum::http::StatusCode;
use common::edit::all_changes;
use common::{city, get, json, ogrinfo, send};
use riskmap_server::server::config::ServerConfig;
use riskmap_server::server::folder_trail;
use riskmap_server::server::routes::router;
use riskmap_server::server::state::{AppState, DataSource, ReloadOutcome, build_snapshot};
use riskmap_server::server::watch::SyncOutcome;
use serde_json::Value;

/// A copy of the test city's folder in `dir/data`.
fn folder(dir: &Path) -> std::path::PathBuf {
    let data = dir.join("data");
    std::fs::create_dir(&data).unwrap();
    for e in std::fs::read_dir(city()).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), data.join(e.file_name())).unwrap();
    }
    data
}

fn server(data: &Path, trail: Option<&Path>) -> Arc<AppState> {
    server_with_token(data, trail, None)
}

/// [`server`] with an administrator's token (`Bearer TOKEN`).
fn server_with_token(data: &Path, trail: Option<&Path>, admin: Option<&str>) -> Arc<AppState> {
    let config = ServerConfig {
        watch: false,
        trail: trail.map(Path::to_path_buf),
        ..ServerConfig::default()
    };
    let source = DataSource::dir(data);
    let opened = folder_trail::open(&source, config.trail.as_deref()).unwrap();
    let snap = build_snapshot(&config, &source, 1).unwrap();
    if let Some(t) = &opened {
        folder_trail::catch_up(t, &snap, config.reload_max_loss).unwrap();
    }
    Arc::new(
        AppState::new(config, source, snap, admin.map(str::to_string)).with_folder_trail(opened),
    )
}

/// A server started again on the folder once the one before is gone (a task of it may
/// hold its state, and so the trail's lock, for a moment): up to 10 s.
async fn server_again(data: &Path, trail: &Path) -> Arc<AppState> {
    for _ in 0..100 {
        match folder_trail::open(&DataSource::dir(data), Some(trail)) {
            Ok(t) => {
                drop(t);
                return server(data, Some(trail));
            }
            Err(e) if e.contains("held by another") => {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Err(e) => panic!("{e}"),
        }
    }
    panic!("the trail is still held by the server before");
}

/// `houses.csv` without the house `id` (the office strikes it out).
fn strike_out(data: &Path, id: &str) {
    let row = format!("{id},");
    rewrite_houses(data, |l| {
        if l.starts_with(row.as_bytes()) {
            Vec::new()
        } else {
            l.to_vec()
        }
    });
}

/// `houses.csv` (GBK) rewritten line by line: `edit` gives each line's replacement.
fn rewrite_houses(data: &Path, edit: impl Fn(&[u8]) -> Vec<u8>) {
    let file = data.join("houses.csv");
    let bytes = std::fs::read(&file).unwrap();
    let out: Vec<u8> = bytes
        .split_inclusive(|b| *b == b'\n')
        .flat_map(edit)
        .collect();
    std::fs::write(&file, out).unwrap();
}

fn line_of<'a>(data: &'a [u8], id: &str) -> &'a [u8] {
    data.split_inclusive(|b| *b == b'\n')
        .find(|l| l.starts_with(format!("{id},").as_bytes()))
        .unwrap()
}

fn replace(line: &[u8], from: &str, to: &str) -> Vec<u8> {
    let (f, t) = (from.as_bytes(), to.as_bytes());
    let at = line.windows(f.len()).position(|w| w == f).unwrap();
    [&line[..at], t, &line[at + f.len()..]].concat()
}

/// (id, op, actor) of each record.
fn ops(records: &[Value]) -> Vec<(String, String, String)> {
    records
        .iter()
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap().to_string();
            (s("id"), s("op"), s("actor"))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folders_changes_are_recorded_in_its_trail() {
    let dir = tempfile::tempdir().unwrap();
    let data = folder(dir.path());
    let trail = dir.path().join("changes.gpkg");
    let state = server(&data, Some(&trail));
    let app = router(state.clone());
    assert!(all_changes(&app, 0, 10).await.is_empty());

    // Someone edits the ledger: a phone number corrected, a house struck out, a house
    // entered (a copy of house-0000003 under a new id).
    let original = std::fs::read(data.join("houses.csv")).unwrap();
    let third = line_of(&original, "house-0000003").to_vec();
    let phone = {
        let l = String::from_utf8_lossy(line_of(&original, "house-0000001")).into_owned();
        l.split(',').nth(7).unwrap().to_string()
    };
    let before_phone = state
        .snapshot()
        .dataset()
        .houses
        .get(0)
        .unwrap()
        .props
        .phone
        .as_deref()
        .map(str::to_string);
    assert_eq!(before_phone.as_deref(), Some(phone.as_str()));
    rewrite_houses(&data, |l| {
        if l.starts_with(b"house-0000001,") {
            replace(l, &phone, "0513-1234567")
        } else if l.starts_with(b"house-0000002,") {
            Vec::new()
        } else if l.starts_with(b"house-0000003,") {
            [l, &replace(&third, "house-0000003", "house-9999999")].concat()
        } else {
            l.to_vec()
        }
    });
    assert!(matches!(
        state.sync_from_source().await.unwrap(),
        SyncOutcome::Applied(_)
    ));
    // Read back two a page.
    let mut recs = all_changes(&app, 0, 2).await;
    recs.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    let f = |s: &str| s.to_string();
    assert_eq!(
        ops(&recs),
        [
            (f("house-0000001"), f("update"), f("file")),
            (f("house-0000002"), f("delete"), f("file")),
            (f("house-9999999"), f("insert"), f("file")),
        ]
    );
    // The phone is kept back from a reader without a token (`deny_fields`); the trail
    // has it, as `riskmap history` prints.
    assert!(
        recs[0]["after"]["properties"].get("phone").is_none(),
        "{}",
        recs[0]
    );
    let printed: Vec<Value> =
        serde_json::from_str(&common::ok(&["history", trail.to_str().unwrap(), "--json"])).unwrap();
    let first = printed.iter().find(|r| r["id"] == "house-0000001").unwrap();
    assert_eq!(first["before"]["properties"]["phone"], phone.as_str());
    assert_eq!(first["after"]["properties"]["phone"], "0513-1234567");
    assert!(recs[1]["after"].is_null() && recs[1]["before"]["geometry"].is_object());
    assert!(recs[2]["before"].is_null());

    // Yesterday's map is the folder's ledgers with the changes recorded since taken
    // back: the struck-out house is on it, the new one is not.
    let day = riskmap_core::model::Day::today().plus_days(-1);
    for (id, yesterday, today) in [("house-0000002", 200, 404), ("house-9999999", 404, 200)] {
        for (q, want) in [(format!("?as_of={day}"), yesterday), (String::new(), today)] {
            let uri = format!("/api/hidden/of/houses/{id}{q}");
            let (s, _, _) = send(&app, get(&uri)).await;
            assert_eq!(s.as_u16(), want, "{uri}");
        }
    }
    let (s, _, b) = send(&app, get(&format!("/api/hidden/areas?as_of={day}"))).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(json(&b)["history_kept"], true);
    assert_eq!(json(&b)["history_taken_back"], 3, "{}", json(&b));

    // The same records through `riskmap history` and GDAL.
    let listed: Value =
        serde_json::from_str(&common::ok(&["history", trail.to_str().unwrap(), "--json"])).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 3);
    let out = ogrinfo(&[
        "-ro",
        "-q",
        trail.to_str().unwrap(),
        "-sql",
        "SELECT count(*) AS n FROM riskmap_changes WHERE actor = 'file'",
    ]);
    assert!(out.contains("n (Integer) = 3"), "{out}");

    // A reload records what the folder changed since it was read.
    strike_out(&data, "house-0000004");
    assert!(matches!(
        state.reload(false).await,
        ReloadOutcome::Reloaded { .. }
    ));
    let recs = all_changes(&app, 3, 10).await;
    assert_eq!(ops(&recs), [(f("house-0000004"), f("delete"), f("file"))]);
    assert_eq!(recs[0]["seq"], 4);

    // While the server runs, a second one cannot record in its trail: it would record
    // every change again. The lock file names the holder.
    let e = folder_trail::open(&DataSource::dir(&data), Some(&trail)).unwrap_err();
    let pid = std::process::id().to_string();
    assert!(
        e.contains("held by another riskmap server") && e.contains(&pid),
        "{e}"
    );
    let lock = dir.path().join("changes.gpkg.lock");
    assert_eq!(std::fs::read_to_string(&lock).unwrap().trim(), pid);
    // Also while the first is writing in it: told as held, not as a file locked for
    // longer than the set-up's wait.
    let writer = rusqlite::Connection::open(&trail).unwrap();
    writer.execute_batch("BEGIN IMMEDIATE").unwrap();
    let e = folder_trail::open(&DataSource::dir(&data), Some(&trail)).unwrap_err();
    assert!(
        e.contains("held by another riskmap server") && e.contains(&pid),
        "{e}"
    );
    writer.execute_batch("ROLLBACK").unwrap();
    drop(writer);

    // A server started again on the folder keeps the trail and records after it (once
    // the first is gone: a task of it may hold its state for a moment).
    drop(app);
    drop(state);
    let again = server_again(&data, &trail).await;
    let app = router(again.clone());
    strike_out(&data, "house-0000005");
    again.sync_from_source().await.unwrap();
    let recs = all_changes(&app, 0, 100).await;
    assert_eq!(recs.len(), 5);
    assert_eq!(recs[4]["id"], "house-0000005");
    assert_eq!(recs[4]["seq"], 5);
}

#[test]
fn a_server_records_at_its_start_what_the_folder_changed_while_none_ran() {
    let dir = tempfile::tempdir().unwrap();
    let data = folder(dir.path());
    let trail = dir.path().join("changes.gpkg");
    let cfg = dir.path().join("riskmap.toml");
    let quoted = serde_json::to_string(trail.to_str().unwrap()).unwrap();
    std::fs::write(&cfg, format!("trail = {quoted}\n")).unwrap();
    let args = [
        "--port".as_ref(),
        "0".as_ref(),
        "--config".as_ref(),
        cfg.as_os_str(),
        data.as_os_str(),
    ];
    let history = || -> Vec<Value> {
        let out = common::ok(&["history", trail.to_str().unwrap(), "--json"]);
        serde_json::from_str::<Value>(&out)
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    };
    // The first server learns the folder, records nothing, and is stopped.
    drop(common::serve_process(&args));
    assert!(history().is_empty());

    // While no server runs, the office corrects a phone number and strikes out a house,
    // and breaks a third house's line (its geometry no longer reads: refused).
    let original = std::fs::read(data.join("houses.csv")).unwrap();
    let phone = String::from_utf8_lossy(line_of(&original, "house-0000001"))
        .split(',')
        .nth(7)
        .unwrap()
        .to_string();
    let saved_from = riskmap_tests::utc::utc_text(
        riskmap_tests::utc::now_ms() - std::time::Duration::from_millis(20),
    );
    rewrite_houses(&data, |l| {
        if l.starts_with(b"house-0000001,") {
            replace(l, &phone, "0513-7654321")
        } else if l.starts_with(b"house-0000002,") {
            Vec::new()
        } else if l.starts_with(b"house-0000003,") {
            replace(l, "POLYGON ((", "POLYGON ((x")
        } else {
            l.to_vec()
        }
    });
    // The next server, started a second later, records both before it serves, as made
    // when the file was saved (by the file system's clock, the kernel's coarse one: a
    // few milliseconds behind the clock read here, 20 ms allowed).
    let saved = riskmap_tests::utc::utc_text(riskmap_tests::utc::now_ms());
    std::thread::sleep(std::time::Duration::from_millis(1100));
    drop(common::serve_process(&args));
    let recs = history();
    let within = |r: &Value| {
        r["at"]
            .as_str()
            .is_some_and(|a| a >= saved_from.as_str() && a <= saved.as_str())
    };
    assert!(
        recs.iter().all(within),
        "{recs:?}, saved between {saved_from} and {saved}"
    );
    let f = |s: &str| s.to_string();
    assert_eq!(
        ops(&recs),
        [
            (f("house-0000001"), f("update"), f("file")),
            (f("house-0000002"), f("delete"), f("file")),
        ]
    );
    assert_eq!(recs[0]["before"]["properties"]["phone"], phone.as_str());
    assert_eq!(recs[0]["after"]["properties"]["phone"], "0513-7654321");
    assert!(recs[1]["after"].is_null() && recs[1]["before"]["geometry"].is_object());
    // The refused line is not a deletion, and its house stays known: put right, it
    // records nothing. And once only.
    rewrite_houses(&data, |l| {
        if l.starts_with(b"house-0000003,") {
            line_of(&original, "house-0000003").to_vec()
        } else {
            l.to_vec()
        }
    });
    drop(common::serve_process(&args));
    assert_eq!(history().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trail_that_cannot_be_one_is_refused_and_a_folder_without_one_says_how() {
    let dir = tempfile::tempdir().unwrap();
    let data = folder(dir.path());

    // Not a GeoPackage: refused before serving, the file left as it was.
    let notes = dir.path().join("notes.gpkg");
    std::fs::write(&notes, "minutes of the meeting").unwrap();
    let e = folder_trail::open(&DataSource::dir(&data), Some(&notes)).unwrap_err();
    assert!(
        e.contains("notes.gpkg") && e.contains("not a GeoPackage"),
        "{e}"
    );
    assert_eq!(std::fs::read(&notes).unwrap(), b"minutes of the meeting");
    assert!(
        !dir.path().join("notes.gpkg.lock").exists(),
        "a lock left beside a refused trail"
    );

    // Inside the folder it records (the watcher would read each record as a change).
    let inside = data.join("changes.gpkg");
    let e = folder_trail::open(&DataSource::dir(&data), Some(&inside)).unwrap_err();
    assert!(e.contains("inside the data folder"), "{e}");
    assert!(!inside.exists());
    let e = folder_trail::open(&DataSource::dir(&data), Some(Path::new(""))).unwrap_err();
    assert!(e.contains("trail = \"\""), "{e}");

    // The trail of another folder (a configuration copied from another district's).
    let other = dir.path().join("tongzhou");
    std::fs::create_dir(&other).unwrap();
    let theirs = dir.path().join("tongzhou-changes.gpkg");
    drop(folder_trail::open(&DataSource::dir(&other), Some(&theirs)).unwrap());
    let e = folder_trail::open(&DataSource::dir(&data), Some(&theirs)).unwrap_err();
    assert!(
        e.contains("tongzhou-changes.gpkg")
            && e.contains("tongzhou\", not ")
            && e.contains("data\":"),
        "{e}"
    );

    // A store keeps its own trail.
    let store = dir.path().join("city.gpkg");
    common::ok(&[
        "import",
        "--quiet",
        data.to_str().unwrap(),
        "--into",
        store.to_str().unwrap(),
    ]);
    let e = folder_trail::open(&DataSource::dir(&store), Some(&notes)).unwrap_err();
    assert!(e.contains("for a server of a data folder"), "{e}");
    // …and is not a folder's trail either.
    let e = folder_trail::open(&DataSource::dir(&data), Some(&store)).unwrap_err();
    assert!(e.contains("store of ledgers"), "{e}");

    // `riskmap serve` stops with the reason.
    let config = dir.path().join("server.toml");
    std::fs::write(&config, format!("trail = {:?}\n", notes.to_str().unwrap())).unwrap();
    let out = common::riskmap(&[
        "serve",
        data.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
        "--port",
        "0",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("notes.gpkg") && err.contains("not a GeoPackage"),
        "{err}"
    );

    // Without a trail, the folder's server says how to keep one, and keeps no history.
    let app = router(server(&data, None));
    let (s, _, b) = send(&app, get("/api/changes")).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let why = json(&b)["error"].as_str().unwrap().to_string();
    assert!(
        why.contains("trail =") && why.contains("riskmap import"),
        "{why}"
    );
    let (_, _, b) = send(&app, get("/api/hidden/areas")).await;
    assert_eq!(json(&b)["history_kept"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ledger_lost_at_a_start_is_not_recorded_as_struck_out() {
    let dir = tempfile::tempdir().unwrap();
    let data = folder(dir.path());
    let trail = dir.path().join("changes.gpkg");
    // The first server learns the folder.
    drop(server(&data, Some(&trail)));
    let houses = std::fs::read(data.join("houses.csv")).unwrap();

    // The server is started while the houses' ledger is broken (saved as something
    // else): it serves without the houses, and the trail records none of them as
    // struck out.
    std::fs::write(data.join("houses.csv"), "序号,备注\n1,未填\n").unwrap();
    let state = server_again(&data, &trail).await;
    assert_eq!(state.snapshot().dataset().houses.len(), 0);
    let app = router(state.clone());
    let early = all_changes(&app, 0, 10).await;
    assert!(early.is_empty(), "{early:?}");
    let (_, _, b) = send(&app, get("/health")).await;
    let health = json(&b);
    assert_eq!(health["status"], "degraded");
    let why = health["degraded_because"].as_str().unwrap();
    assert!(
        why.contains("trail records nothing") && why.contains("houses.csv"),
        "{why}"
    );

    // The ledger put back, less one house the office struck out meanwhile: the reading
    // serves every house again, and the trail records the one struck out, not the
    // others as entered.
    let mut back = houses.clone();
    let gone = line_of(&houses, "house-0000002").to_vec();
    let at = back.windows(gone.len()).position(|w| w == gone).unwrap();
    back.drain(at..at + gone.len());
    std::fs::write(data.join("houses.csv"), back).unwrap();
    assert!(matches!(
        state.sync_from_source().await.unwrap(),
        SyncOutcome::Applied(_)
    ));
    assert!(state.snapshot().dataset().houses.len() > 100);
    let recs = all_changes(&app, 0, 10).await;
    let f = |s: &str| s.to_string();
    assert_eq!(ops(&recs), [(f("house-0000002"), f("delete"), f("file"))]);
    assert!(recs[0]["before"]["geometry"].is_object());
    let (_, _, b) = send(&app, get("/health")).await;
    assert_eq!(json(&b)["status"], "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forced_reload_has_the_trail_take_the_folder_as_it_reads() {
    let dir = tempfile::tempdir().unwrap();
    let data = folder(dir.path());
    let trail = dir.path().join("changes.gpkg");
    let known = {
        let first = server(&data, Some(&trail));
        first.snapshot().dataset().houses.len()
    };
    // Started on a broken houses' ledger: nothing recorded (as above), until an
    // administrator forces a reload: the houses are then recorded as gone, since that
    // is how the folder reads.
    std::fs::write(data.join("houses.csv"), "序号,备注\n1,未填\n").unwrap();
    let state = server_again(&data, &trail).await;
    let app = router(state.clone());
    // A reload not forced reads the same broken ledger: still nothing.
    assert!(matches!(
        state.reload(false).await,
        ReloadOutcome::Reloaded { .. }
    ));
    assert!(all_changes(&app, 0, 10).await.is_empty());
    assert!(matches!(
        state.reload(true).await,
        ReloadOutcome::Reloaded { .. }
    ));
    let recs = all_changes(&app, 0, 1000).await;
    let houses_gone = recs
        .iter()
        .filter(|r| r["layer"] == "houses" && r["op"] == "delete")
        .count();
    assert_eq!(houses_gone, known);
    // The trail no longer holds back; what /health still says is that the houses'
    // ledger is not read (the map has no house).
    let (_, _, b) = send(&app, get("/health")).await;
    let h = json(&b);
    assert_eq!(h["status"], "degraded", "{h}");
    assert!(
        h["degraded_because"]
            .as_str()
            .is_some_and(|w| w.starts_with("1 ledger file(s) of the data were not read")),
        "{h}"
    );
    assert_eq!(h["files_not_read"][0]["file"], "houses.csv", "{h}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ledger_added_while_serving_is_known_to_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let data = folder(dir.path());
    let trail = dir.path().join("changes.gpkg");
    let state = server(&data, Some(&trail));
    let app = router(state.clone());
    // While the server runs the office adds a second ledger of houses (自建房.csv, the
    // same columns and encoding) with one house.
    let houses = std::fs::read(data.join("houses.csv")).unwrap();
    let header = houses.split_inclusive(|b| *b == b'\n').next().unwrap();
    let third = line_of(&houses, "house-0000003");
    let added = [header, &replace(third, "house-0000003", "house-8888888")].concat();
    std::fs::write(data.join("自建房.csv"), added).unwrap();
    assert!(matches!(
        state.sync_from_source().await.unwrap(),
        SyncOutcome::Applied(_)
    ));
    let f = |s: &str| s.to_string();
    assert_eq!(
        ops(&all_changes(&app, 0, 10).await),
        [(f("house-8888888"), f("insert"), f("file"))]
    );
    drop(app);
    drop(state);

    // The ledger goes missing while no server runs: the next start does not take its
    // house as struck out, since the trail read it whole.
    std::fs::remove_file(data.join("自建房.csv")).unwrap();
    let again = server_again(&data, &trail).await;
    let app = router(again.clone());
    assert_eq!(all_changes(&app, 0, 10).await.len(), 1);
    let (_, _, b) = send(&app, get("/health")).await;
    let why = json(&b)["degraded_because"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(why.contains("自建房.csv: missing"), "{why}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_whose_client_goes_away_is_served_and_recorded_whole() {
    use tower::ServiceExt;
    let dir = tempfile::tempdir().unwrap();
    let data = folder(dir.path());
    let trail = dir.path().join("changes.gpkg");
    let state = server_with_token(&data, Some(&trail), Some("t"));
    let app = router(state.clone());
    let generation = state.snapshot().generation;
    // The office strikes out a house; an administrator asks for a reload and the client
    // gives up a millisecond later (a proxy's time-out, a closed terminal): the
    // request's future is dropped while the folder is being read.
    strike_out(&data, "house-0000002");
    let ask = axum::http::Request::builder()
        .method("POST")
        .uri("/admin/reload")
        .header(axum::http::header::AUTHORIZATION, "Bearer t")
        .body(axum::body::Body::empty())
        .unwrap();
    let answered = tokio::time::timeout(
        std::time::Duration::from_millis(1),
        app.clone().oneshot(ask),
    )
    .await;
    assert!(
        answered.is_err(),
        "the reload answered within a millisecond"
    );
    // The reload goes on to its end: the folder served as it reads, and its change in
    // the trail.
    let mut recs = Vec::new();
    for _ in 0..300 {
        recs = all_changes(&app, 0, 10).await;
        if state.snapshot().generation > generation && !recs.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        state.snapshot().generation > generation,
        "the reload was dropped"
    );
    let f = |s: &str| s.to_string();
    assert_eq!(ops(&recs), [(f("house-0000002"), f("delete"), f("file"))]);
}

/// A ledger renamed (houses.csv → 自建房.csv) while a server runs, then split into a
/// folder of parts while none runs, is read under its new names: its houses are not
/// taken as lost, nor struck out and entered again; what the office changed with the
/// moves is recorded, and nothing else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ledger_renamed_or_split_is_read_under_its_new_names() {
    let dir = tempfile::tempdir().unwrap();
    let data = folder(dir.path());
    let trail = dir.path().join("changes.gpkg");
    let state = server(&data, Some(&trail));
    let app = router(state.clone());
    let n = state.snapshot().dataset().houses.len();
    strike_out(&data, "house-0000002");
    std::fs::rename(data.join("houses.csv"), data.join("自建房.csv")).unwrap();
    assert!(matches!(
        state.sync_from_source().await.unwrap(),
        SyncOutcome::Applied(_)
    ));
    assert_eq!(state.snapshot().dataset().houses.len(), n - 1);
    let f = |s: &str| s.to_string();
    let two = (f("house-0000002"), f("delete"), f("file"));
    assert_eq!(
        ops(&all_changes(&app, 0, 10).await),
        std::slice::from_ref(&two)
    );
    drop(app);
    drop(state);

    // While no server runs: split in two parts in a folder named for the layer, less
    // one house.
    let bytes = std::fs::read(data.join("自建房.csv")).unwrap();
    std::fs::remove_file(data.join("自建房.csv")).unwrap();
    let lines: Vec<&[u8]> = bytes.split_inclusive(|b| *b == b'\n').collect();
    let (header, rows) = lines.split_first().unwrap();
    let rows: Vec<&[u8]> = rows
        .iter()
        .copied()
        .filter(|l| !l.starts_with(b"house-0000003,"))
        .collect();
    let (east, west) = rows.split_at(rows.len() / 2);
    std::fs::create_dir(data.join("houses")).unwrap();
    for (name, part) in [("east.csv", east), ("west.csv", west)] {
        std::fs::write(
            data.join("houses").join(name),
            [&[*header], part].concat().concat(),
        )
        .unwrap();
    }
    let again = server_again(&data, &trail).await;
    let app = router(again.clone());
    assert_eq!(again.snapshot().dataset().houses.len(), n - 2);
    let (_, _, b) = send(&app, get("/health")).await;
    assert_eq!(json(&b)["status"], "ok", "{}", json(&b));
    assert_eq!(
        ops(&all_changes(&app, 0, 10).await),
        [two, (f("house-0000003"), f("delete"), f("file"))]
    );
}

/// A server stopping (SIGTERM) while a reload runs that nobody waits for any more (its
/// client went away) lets the reload end, served and recorded, before the process ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopping_server_waits_for_the_reload_under_way() {
    let dir = tempfile::tempdir().unwrap();
    let data = folder(dir.path());
    let trail = dir.path().join("changes.gpkg");
    let state = server_with_token(&data, Some(&trail), None);
    let app = router(state.clone());
    let generation = state.snapshot().generation;
    strike_out(&data, "house-0000002");
    let s = state.clone();
    tokio::spawn(async move { s.reload(false).await });
    // The reload holds the change path (it reads the folder for a while after that).
    let until = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while state.reload_lock.try_lock().is_ok() {
        assert!(
            std::time::Instant::now() < until,
            "the reload never held the change path"
        );
        tokio::task::yield_now().await;
    }
    riskmap_server::server::stop::wait_for_changes(&state, std::future::pending()).await;
    // Nothing is polled for: when the wait ends, the reload has served the folder and
    // written its record.
    assert!(
        state.snapshot().generation > generation,
        "the stop did not wait for the reload"
    );
    let f = |s: &str| s.to_string();
    assert_eq!(
        ops(&all_changes(&app, 0, 10).await),
        [(f("house-0000002"), f("delete"), f("file"))]
    );
    // And no change begins after it.
    let later = tokio::time::timeout(std::time::Duration::from_millis(200), state.reload(true));
    assert!(later.await.is_err(), "a reload began after the stop's wait");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reading_that_changes_nothing_ends_the_wait_when_it_reads_the_folder_whole() {
    let dir = tempfile::tempdir().unwrap();
    let data = folder(dir.path());
    let trail = dir.path().join("changes.gpkg");
    // A second houses' ledger, started with its header alone, is in the folder the
    // first server learns.
    let houses = std::fs::read(data.join("houses.csv")).unwrap();
    let header = houses
        .split_inclusive(|b| *b == b'\n')
        .next()
        .unwrap()
        .to_vec();
    std::fs::write(data.join("自建房.csv"), &header).unwrap();
    drop(server(&data, Some(&trail)));
    // While no server runs it is saved broken: the server serves the same houses, but
    // a file the trail read whole is not read whole now, so it records nothing.
    std::fs::write(data.join("自建房.csv"), "序号,备注\n1,未填\n").unwrap();
    let state = server_again(&data, &trail).await;
    let app = router(state.clone());
    let (_, _, b) = send(&app, get("/health")).await;
    let health = json(&b);
    assert_eq!(health["status"], "degraded");
    assert!(
        health["degraded_because"]
            .as_str()
            .is_some_and(|w| w.contains("自建房.csv")),
        "{health}"
    );
    // Put back: the reading finds every house as served (nothing to apply but its
    // validation report, which no longer names the file skipped), reads the folder
    // whole, and ends the wait with nothing to record.
    std::fs::write(data.join("自建房.csv"), &header).unwrap();
    let served = state.snapshot().dataset().houses.len();
    assert!(matches!(
        state.sync_from_source().await.unwrap(),
        SyncOutcome::Applied(_)
    ));
    assert_eq!(state.snapshot().dataset().houses.len(), served);
    // (Its header alone: read, and holding no feature.)
    let now: Vec<_> = state
        .snapshot()
        .report
        .issues
        .iter()
        .filter(|i| i.file == "自建房.csv")
        .map(|i| i.code.as_str())
        .collect();
    assert_eq!(now, ["empty_file"]);
    let (_, _, b) = send(&app, get("/health")).await;
    assert_eq!(json(&b)["status"], "ok", "{}", json(&b));
    assert!(all_changes(&app, 0, 10).await.is_empty());
    // From then on the folder's changes are recorded.
    strike_out(&data, "house-0000003");
    assert!(matches!(
        state.sync_from_source().await.unwrap(),
        SyncOutcome::Applied(_)
    ));
    let f = |s: &str| s.to_string();
    assert_eq!(
        ops(&all_changes(&app, 0, 10).await),
        [(f("house-0000003"), f("delete"), f("file"))]
    );
}
