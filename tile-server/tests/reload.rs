//! A reload never loses what was served: truncated, shortened or slow data is refused or
//! abandoned and the old snapshot keeps serving; `force` accepts a loss that is meant.
//! Through the router (`tower::ServiceExt::oneshot`) on copies of a small generated city.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use riskmap_server::server::config::ServerConfig;
use riskmap_server::server::routes::router;
use riskmap_server::server::state::{AppState, DataSource, ReloadOutcome, build_snapshot};
use serde_json::Value;
use tower::ServiceExt;

mod common;
use common::city;

/// A copy of the city the test may break, and a server on it with the admin token "t".
fn server(config: ServerConfig) -> (tempfile::TempDir, Arc<AppState>, axum::Router) {
    let tmp = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(city()).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), tmp.path().join(e.file_name())).unwrap();
    }
    let snap = build_snapshot(&config, &DataSource::dir(tmp.path()), 1).unwrap();
    let state = Arc::new(AppState::new(
        config,
        DataSource::dir(tmp.path()),
        snap,
        Some("t".into()),
    ));
    let app = router(Arc::clone(&state));
    (tmp, state, app)
}

async fn send(app: &axum::Router, req: Request<Body>) -> (StatusCode, Value) {
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    let v = serde_json::from_slice(&body).unwrap_or(Value::Null);
    (status, v)
}

fn get(uri: &str) -> Request<Body> {
    Request::builder().uri(uri).body(Body::empty()).unwrap()
}

fn reload(query: &str) -> Request<Body> {
    Request::builder()
        .method("POST")
        .uri(format!("/admin/reload{query}"))
        .header(header::AUTHORIZATION, "Bearer t")
        .body(Body::empty())
        .unwrap()
}

/// `/health` features and the `/catalog` layer counts, which must not move on a refusal.
async fn counts(app: &axum::Router) -> (Value, Vec<(String, u64)>) {
    let (_, h) = send(app, get("/health")).await;
    let (_, c) = send(app, get("/catalog")).await;
    let cat = c["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["id"].as_str().unwrap().to_string(),
                l["count"].as_u64().unwrap(),
            )
        })
        .collect();
    (h["features"].clone(), cat)
}

fn truncate(path: &Path, len: u64) {
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .unwrap()
        .set_len(len)
        .unwrap();
}

/// The one entry of `list` whose `key` is `value`.
fn entry<'a>(list: &'a Value, key: &str, value: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|e| e[key] == value)
        .unwrap_or_else(|| panic!("no {key} = {value} in {list}"))
}

#[tokio::test]
async fn a_truncated_geojson_is_refused_and_the_old_data_keeps_serving() {
    let (dir, _state, app) = server(ServerConfig::default());
    let before = counts(&app).await;
    let targets = before.0["protection_targets"].as_u64().unwrap();
    assert!(targets > 0);
    let file = dir.path().join("protection_targets.geojson");
    // Cut mid-feature, as the demo's file cut at 30,000 of its 71,883 bytes (42 %).
    let len = std::fs::metadata(&file).unwrap().len();
    truncate(&file, len * 2 / 5);

    let (status, body) = send(&app, reload("")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["outcome"], "refused");
    let f = entry(
        &body["reasons"]["files"],
        "file",
        "protection_targets.geojson",
    );
    assert_eq!(f["layer"], "protection_targets");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("protection_targets.geojson")
    );
    // Before and after per layer: the served count before.
    let l = entry(&body["layers"], "layer", "protection_targets");
    assert_eq!(l["before"], targets);

    // /health shows the refusal with its reasons; everything served is as before.
    let (_, h) = send(&app, get("/health")).await;
    assert_eq!(h["status"], "degraded", "{h}");
    let why = h["degraded_because"].as_str().unwrap();
    assert!(
        why.contains("protection_targets.geojson is broken"),
        "{why}"
    );
    assert_eq!(h["generation"], 1);
    assert_eq!(h["last_reload"]["ok"], false);
    assert_eq!(h["last_reload"]["outcome"], "refused");
    entry(
        &h["last_reload"]["file_problems"],
        "file",
        "protection_targets.geojson",
    );
    assert_eq!(counts(&app).await, before);
    let resp = app.clone().oneshot(get("/metrics")).await.unwrap();
    let m = resp.into_body().collect().await.unwrap().to_bytes();
    let m = String::from_utf8(m.to_vec()).unwrap();
    assert!(
        m.contains("riskmap_reloads_total{result=\"refused\"} 1"),
        "{m}"
    );
}

#[tokio::test]
async fn a_truncated_csv_is_refused_and_force_accepts_it() {
    let (dir, _state, app) = server(ServerConfig::default());
    let before = counts(&app).await;
    let houses = before.0["houses"].as_u64().unwrap();
    let file = dir.path().join("houses.csv");
    let len = std::fs::metadata(&file).unwrap().len();
    truncate(&file, len / 2);

    let (status, body) = send(&app, reload("")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let loss = entry(&body["reasons"]["layers"], "layer", "houses");
    assert_eq!(loss["before"], houses);
    let after = loss["after"].as_u64().unwrap();
    // Half the bytes hold about half the rows: far more than 10 % is lost.
    assert!(after < houses * 9 / 10, "{after} of {houses}");
    assert_eq!(counts(&app).await, before);

    // A bad value of force is a 400, not a silent reload.
    let (status, _) = send(&app, reload("?force=maybe")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) = send(&app, reload("?force=true")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["forced"], true);
    assert_eq!(body["generation"], 2);
    let l = entry(&body["layers"], "layer", "houses");
    assert_eq!(
        (l["before"].as_u64(), l["after"].as_u64()),
        (Some(houses), Some(after))
    );
    let (h, _) = counts(&app).await;
    assert_eq!(h["houses"], after);
    let (_, h) = send(&app, get("/health")).await;
    assert_eq!(h["last_reload"]["outcome"], "reloaded");
    assert_eq!(h["last_reload"]["forced"], true);
    // Taken in: nothing refused stands.
    assert_eq!(h["status"], "ok", "{h}");
    assert!(h["reading_refused"].is_null());
}

#[tokio::test]
async fn a_changed_file_the_watcher_refuses_degrades_health_until_one_is_read() {
    let (dir, state, app) = server(ServerConfig::default());
    let before = counts(&app).await;
    let file = dir.path().join("protection_targets.geojson");
    let whole = std::fs::read(&file).unwrap();
    let len = whole.len() as u64;
    truncate(&file, len * 2 / 5);
    // What the watcher does when the folder changes.
    let outcome = state.sync_from_source().await;
    assert!(
        matches!(
            outcome,
            Ok(riskmap_server::server::watch::SyncOutcome::Refused(_))
        ),
        "{outcome:?}"
    );
    assert_eq!(counts(&app).await, before);
    let (_, h) = send(&app, get("/health")).await;
    assert_eq!(h["status"], "degraded", "{h}");
    assert!(h["last_reload"].is_null(), "no reload was asked: {h}");
    let why = h["reading_refused"]["why"].as_str().unwrap();
    assert!(
        why.contains("protection_targets.geojson is broken"),
        "{why}"
    );
    assert!(h["reading_refused"]["at"].as_u64().unwrap() > 0);
    // The whole file back: read, nothing differs, the refusal is gone.
    std::fs::write(&file, &whole).unwrap();
    let outcome = state.sync_from_source().await;
    assert!(outcome.is_ok(), "{outcome:?}");
    let (_, h) = send(&app, get("/health")).await;
    assert_eq!(h["status"], "ok", "{h}");
    assert!(h["reading_refused"].is_null());
}

/// Rewrites `houses.csv` without every `nth` data row; returns the data rows kept.
fn drop_rows(file: &PathBuf, nth: usize) -> u64 {
    let bytes = std::fs::read(file).unwrap();
    let mut lines = bytes.split_inclusive(|b| *b == b'\n');
    let mut out = lines.next().unwrap().to_vec(); // the header
    let mut kept = 0;
    for (i, line) in lines.enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if i % nth != nth - 1 {
            out.extend_from_slice(line);
            kept += 1;
        }
    }
    std::fs::write(file, out).unwrap();
    kept
}

#[tokio::test]
async fn a_layer_losing_a_fifth_is_refused_and_losing_a_twentieth_is_not() {
    let (dir, _state, app) = server(ServerConfig::default());
    let before = counts(&app).await;
    let houses = before.0["houses"].as_u64().unwrap();
    let file = dir.path().join("houses.csv");
    let rows = std::fs::read(&file)
        .unwrap()
        .iter()
        .filter(|b| **b == b'\n')
        .count() as u64
        - 1;
    // Every row of the generated city is loaded (no quoted line breaks, none skipped), so
    // the counts after are the rows written.
    assert_eq!(rows, houses);

    let kept = drop_rows(&file, 5);
    // 3000 rows less every 5th = 2400: 20 % lost, more than 10 %.
    assert_eq!(kept, houses - houses / 5);
    let (status, body) = send(&app, reload("")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let loss = entry(&body["reasons"]["layers"], "layer", "houses");
    assert_eq!(
        (loss["before"].as_u64(), loss["after"].as_u64()),
        (Some(houses), Some(kept))
    );
    assert!((loss["lost_share"].as_f64().unwrap() - 0.2).abs() < 1e-9);
    assert_eq!(loss["max_loss"], 0.1);
    assert!(body["reasons"]["files"].as_array().unwrap().is_empty());
    assert_eq!(counts(&app).await, before);

    // Restore, then drop every 20th row: 3000 - 150 = 2850, 5 % lost: accepted.
    std::fs::copy(city().join("houses.csv"), &file).unwrap();
    let kept = drop_rows(&file, 20);
    assert_eq!(kept, houses - houses / 20);
    let (status, body) = send(&app, reload("")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["forced"], false);
    let l = entry(&body["layers"], "layer", "houses");
    assert_eq!(
        (l["before"].as_u64(), l["after"].as_u64()),
        (Some(houses), Some(kept))
    );
    let (h, _) = counts(&app).await;
    assert_eq!(h["houses"], kept);
}

#[tokio::test]
async fn a_reload_past_its_timeout_is_abandoned_and_does_not_block_the_next() {
    let cfg = ServerConfig {
        reload_timeout_s: 0.001,
        ..ServerConfig::default()
    };
    let (dir, state, app) = server(cfg);
    let before = counts(&app).await;
    // Data the next reload will load: 5 % fewer houses (accepted), to see it swap in.
    let kept = drop_rows(&dir.path().join("houses.csv"), 20);

    // Loading 3000 houses and their analysis takes far more than 1 ms.
    let (status, body) = send(&app, reload("")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["outcome"], "timeout");
    let (_, h) = send(&app, get("/health")).await;
    assert_eq!(h["last_reload"]["outcome"], "timeout");
    assert_eq!(h["generation"], 1);
    assert_eq!(
        counts(&app).await,
        before,
        "the old data is served meanwhile"
    );

    // The next reload, with a normal limit, is not blocked and swaps its result in.
    let out = state.reload_within(false, Duration::from_secs(300)).await;
    assert!(
        matches!(out, ReloadOutcome::Reloaded { generation: 2, .. }),
        "{out:?}"
    );
    assert_eq!(counts(&app).await.0["houses"], kept);
    // The abandoned load ends, and its late result never replaces generation 2.
    for _ in 0..600 {
        if state.loads_running() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(state.loads_running(), 0);
    let (_, h) = send(&app, get("/health")).await;
    assert_eq!(h["generation"], 2);
}

#[tokio::test]
async fn a_geopackage_is_served_and_read_again_at_every_reload() {
    use riskmap_core::dataset::Layer;
    use riskmap_core::model::LayerKind;
    use riskmap_core::store::gpkg;
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("city.gpkg");
    let ds = riskmap_core::io::load_dir(city(), &Default::default())
        .unwrap()
        .dataset;
    gpkg::write(&path, &ds).unwrap();
    let config = ServerConfig::default();
    let snap = build_snapshot(&config, &DataSource::dir(&path), 1).unwrap();
    let state = Arc::new(AppState::new(
        config,
        DataSource::dir(&path),
        snap,
        Some("t".into()),
    ));
    let app = router(state);
    let n = ds.houses.len() as u64;
    let (_, h) = send(&app, get("/health")).await;
    assert_eq!(
        h["source"],
        serde_json::json!({"kind": "gpkg", "name": "city.gpkg"})
    );
    assert_eq!(h["features"]["houses"], n);

    // One house fewer in the file: the reload reads it.
    let mut fewer = ds.clone();
    fewer.houses = Layer::new(LayerKind::Houses, ds.houses.features()[1..].to_vec());
    gpkg::write(&path, &fewer).unwrap();
    let (status, body) = send(&app, reload("")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, h) = send(&app, get("/health")).await;
    assert_eq!(h["generation"], 2);
    assert_eq!(h["features"]["houses"], n - 1);

    // The file is no longer a GeoPackage: the reload fails and generation 2 keeps serving.
    std::fs::write(&path, "no longer a database\n".repeat(100)).unwrap();
    let (status, body) = send(&app, reload("")).await;
    assert!(!status.is_success(), "{status} {body}");
    let (_, h) = send(&app, get("/health")).await;
    assert_eq!(h["generation"], 2);
    assert_eq!(h["features"]["houses"], n - 1);
    assert_eq!(h["last_reload"]["ok"], false);
    assert!(
        h["last_reload"].to_string().contains("not a GeoPackage"),
        "{h}"
    );
}

/// A ledger file of the data that is not read whole (its geometry column renamed by
/// someone: no coordinates) leaves the map without that layer: `/health` is degraded,
/// naming the file and why, until a reading reads it.
#[tokio::test]
async fn a_ledger_file_not_read_degrades_health_until_it_is_read() {
    let (dir, _state, app) = server(ServerConfig::default());
    let file = dir.path().join("houses.csv");
    let whole = std::fs::read(&file).unwrap();
    let (gbk, _, _) = encoding_rs::GBK.encode("几何");
    let at = whole
        .windows(gbk.len())
        .position(|w| w == &gbk[..])
        .expect("the WKT column's name");
    let mut broken = whole.clone();
    let (renamed, _, _) = encoding_rs::GBK.encode("形状");
    broken.splice(at..at + gbk.len(), renamed.iter().copied());
    std::fs::write(&file, &broken).unwrap();
    let (status, body) = send(&app, reload("?force=true")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, h) = send(&app, get("/health")).await;
    assert_eq!(h["status"], "degraded", "{h}");
    assert_eq!(h["features"]["houses"], 0, "{h}");
    assert_eq!(h["files_not_read"][0]["file"], "houses.csv", "{h}");
    assert_eq!(h["files_not_read"][0]["layer"], "houses", "{h}");
    let why = h["degraded_because"].as_str().unwrap();
    assert!(
        why.starts_with("1 ledger file(s) of the data were not read"),
        "{why}"
    );
    assert!(why.contains("houses.csv"), "{why}");
    let metrics = || async {
        let resp = app.clone().oneshot(get("/metrics")).await.unwrap();
        let m = resp.into_body().collect().await.unwrap().to_bytes();
        String::from_utf8(m.to_vec()).unwrap()
    };
    let m = metrics().await;
    assert!(m.contains("\nriskmap_health_degraded 1\n"), "{m}");
    let version = format!(
        "riskmap_build_info{{version=\"{}\"}} 1",
        env!("CARGO_PKG_VERSION")
    );
    assert!(m.contains(&version), "{m}");
    assert!(m.contains("\nriskmap_resident_memory_bytes "), "{m}");
    std::fs::write(&file, &whole).unwrap();
    let (status, body) = send(&app, reload("")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, h) = send(&app, get("/health")).await;
    assert_eq!(h["status"], "ok", "{h}");
    assert_eq!(h["files_not_read"], serde_json::json!([]), "{h}");
    assert!(metrics().await.contains("\nriskmap_health_degraded 0\n"));
}

/// A reload reads the configuration's tokens again: a token removed (an employee who
/// left) stops working and one added works, without a restart; a configuration that
/// cannot be read leaves them as they were.
#[tokio::test]
async fn a_reload_reads_the_tokens_again() {
    use riskmap_server::server::auth::{Role, config_entry};
    let dir = tempfile::tempdir().unwrap();
    let toml = dir.path().join("server.toml");
    let write = |entries: &[(&str, Role, &str)]| {
        let text: String = entries
            .iter()
            .map(|(name, role, token)| config_entry(name, *role, token))
            .collect::<Vec<_>>()
            .join("\n");
        std::fs::write(&toml, text).unwrap();
    };
    write(&[
        ("boss", Role::Admin, "rmk_boss"),
        ("li-si", Role::Editor, "rmk_lisi"),
    ]);
    let (config, _) = ServerConfig::from_file(&toml).unwrap();
    let (_data, state, app) = server(config);
    let who = |token: &str| {
        let mut h = axum::http::HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            format!("Bearer {token}").parse().unwrap(),
        );
        state.tokens.authorize(&h, Role::Editor).map(|c| c.name)
    };
    let as_boss = || {
        Request::builder()
            .method("POST")
            .uri("/admin/reload")
            .header(header::AUTHORIZATION, "Bearer rmk_boss")
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(who("rmk_lisi").ok().as_deref(), Some("li-si"));
    write(&[
        ("boss", Role::Admin, "rmk_boss"),
        ("zhao-wu", Role::Editor, "rmk_zhao"),
    ]);
    assert_eq!(who("rmk_zhao").ok(), None, "read at a reload, not before");
    let (status, body) = send(&app, as_boss()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(who("rmk_lisi").is_err(), "li-si's token was removed");
    assert_eq!(who("rmk_zhao").ok().as_deref(), Some("zhao-wu"));
    std::fs::write(&toml, "[[tokens]]\nname = \"x\"\n").unwrap();
    let (status, body) = send(&app, as_boss()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(who("rmk_zhao").ok().as_deref(), Some("zhao-wu"), "kept");
}
