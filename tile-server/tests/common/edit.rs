//! What the tests of the edit API share: an editor's token in the configuration, and
//! requests with a token, a body and an `If-Match`.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request, header};
use riskmap_server::server::auth::{TokenConfig, hash_token, hex};
use riskmap_server::server::config::ServerConfig;
use riskmap_server::server::state::{AppState, DataSource, build_snapshot};
use serde_json::{Value, json};

/// The token of the editor `zhang-san`.
pub const EDITOR: &str = "rmk_test_editor_token_0123456789";
/// A token the configuration does not have.
pub const VIEWER_ONLY: &str = "rmk_not_configured";
/// The name `EDITOR`'s changes are recorded under.
pub const EDITOR_NAME: &str = "zhang-san";

/// A configuration with the editor's token and nothing followed (the tests drive the
/// follower themselves).
pub fn config() -> ServerConfig {
    ServerConfig {
        tokens: vec![TokenConfig {
            name: EDITOR_NAME.into(),
            role: serde_json::from_value(json!("editor")).unwrap(),
            sha256: hex(&hash_token(EDITOR)),
        }],
        watch: false,
        ..ServerConfig::default()
    }
}

/// A request to the API, with a bearer token, a JSON body and `If-Match` if given.
pub fn req(
    method: Method,
    uri: &str,
    token: Option<&str>,
    body: Option<&Value>,
    if_match: Option<&str>,
) -> Request<Body> {
    let mut b = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::HOST, "test.local");
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    if let Some(v) = if_match {
        b = b.header(header::IF_MATCH, v);
    }
    match body {
        Some(v) => b
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(v.to_string()))
            .unwrap(),
        None => b.body(Body::empty()).unwrap(),
    }
}

/// A GeoPackage imported from the test city into `dir`, served with `config`.
pub fn gpkg_state(dir: &std::path::Path, config: ServerConfig) -> Arc<AppState> {
    let gpkg = dir.join("city.gpkg");
    super::ok(&[
        "import",
        "--quiet",
        super::city().to_str().unwrap(),
        "--into",
        gpkg.to_str().unwrap(),
    ]);
    let snap = build_snapshot(&config, &DataSource::dir(&gpkg), 1).unwrap();
    Arc::new(AppState::new(config, DataSource::dir(&gpkg), snap, None))
}

/// An edit through the API by the editor, which must succeed.
pub async fn edit_ok(app: &axum::Router, method: Method, uri: &str, body: Option<&Value>) {
    let (s, _, b) = super::send(app, req(method, uri, Some(EDITOR), body, None)).await;
    assert!(s.is_success(), "{uri}: {s} {}", String::from_utf8_lossy(&b));
}

/// A feature added to `layer` through the API by the editor, which must be answered with
/// exactly `201 Created`; the answer's headers.
pub async fn created(app: &axum::Router, layer: &str, body: &Value) -> axum::http::HeaderMap {
    let uri = format!("/api/layers/{layer}/features");
    let (s, h, b) = super::send(app, req(Method::POST, &uri, Some(EDITOR), Some(body), None)).await;
    assert_eq!(
        s,
        axum::http::StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&b)
    );
    h
}

/// A server of a copy of the store at `dir/city.gpkg` as it is now, saved as `name`.
pub fn serve_a_copy(dir: &std::path::Path, name: &str) -> axum::Router {
    let path = dir.join(name);
    std::fs::copy(dir.join("city.gpkg"), &path).unwrap();
    let snap = build_snapshot(&config(), &DataSource::dir(&path), 1).unwrap();
    riskmap_server::server::routes::router(Arc::new(AppState::new(
        config(),
        DataSource::dir(&path),
        snap,
        None,
    )))
}

/// Every coordinate of a GeoJSON geometry moved east by `d` degrees.
pub fn shift(v: &mut Value, d: f64) {
    match v {
        Value::Array(a) if a.first().is_some_and(Value::is_number) => {
            a[0] = json!(a[0].as_f64().unwrap() + d);
        }
        Value::Array(a) => a.iter_mut().for_each(|x| shift(x, d)),
        _ => {}
    }
}

/// Every change record after `since`, read page by page (`limit` a page) through
/// `/api/changes`, checking each page's `next` and `more` on the way.
pub async fn all_changes(app: &axum::Router, since: u64, limit: usize) -> Vec<Value> {
    let mut out = Vec::new();
    let mut at = since;
    loop {
        let (status, _, b) = super::send(
            app,
            super::get(&format!("/api/changes?since={at}&limit={limit}")),
        )
        .await;
        assert_eq!(status, axum::http::StatusCode::OK);
        let page = super::json(&b);
        let recs = page["changes"].as_array().unwrap().clone();
        assert!(recs.len() <= limit);
        let last = recs.last().map_or(at, |r| r["seq"].as_u64().unwrap());
        assert_eq!(page["next"].as_u64(), Some(last));
        let more = page["more"].as_bool().unwrap();
        // A page short of the limit is the last.
        assert!(more || recs.len() <= limit);
        if more {
            assert_eq!(recs.len(), limit);
        }
        out.extend(recs);
        if !more {
            return out;
        }
        at = last;
    }
}

/// The house `id` as the server serves it now.
pub fn served_house(
    state: &AppState,
    id: &str,
) -> riskmap_core::model::Feature<riskmap_core::model::House> {
    let snap = state.snapshot();
    let pos = snap
        .live
        .position(riskmap_core::model::LayerKind::Houses, id)
        .unwrap();
    snap.dataset().houses.get(pos).unwrap().clone()
}
