//! The HTTP handlers, a file per concern; [`super::routes::router`] maps paths to them.
//! What is not HTTP (reading a site, searching the layers) lives in plain functions
//! outside this module that the handlers call.

pub(super) mod admin;
#[cfg(feature = "bench-routes")]
pub(super) mod bench;
pub(super) mod catalog;
pub(super) mod features;
pub(super) mod health;
pub(super) mod search;
pub(super) mod site_check;
pub(super) mod styles;
pub(super) mod tiles;

use std::sync::Arc;

use axum::http::{HeaderMap, header};

use super::state::AppState;

/// The state every handler extracts.
pub(super) type AppStateRef = Arc<AppState>;

/// The address clients reach the server at, for the URLs in TileJSON, styles and the
/// catalog: the Host header, or X-Forwarded-Host and X-Forwarded-Proto when a reverse
/// proxy (often terminating TLS on a government intranet) sets them.
fn origin(headers: &HeaderMap) -> String {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|h| h.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let host = get("x-forwarded-host")
        .or_else(|| get(header::HOST.as_str()))
        .unwrap_or("127.0.0.1:8080");
    let proto = match get("x-forwarded-proto") {
        Some("https") => "https",
        _ => "http",
    };
    format!("{proto}://{host}")
}
