//! `POST /api/site-check`: a proposed site (a GeoJSON polygon with its use) checked
//! against the protection distances; the answer is a GeoJSON FeatureCollection.

use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::AppStateRef;
use crate::server::error::AppError;
use crate::server::limits::Limits;
use crate::server::site::{parse_site, report_geojson};

/// Reads the site from the body, checks it off the async workers
/// (at most `site_check_concurrency` at once), answers GeoJSON.
pub(in crate::server) async fn site_check(
    State(state): State<AppStateRef>,
    Extension(limits): Extension<Arc<Limits>>,
    body: Bytes,
) -> Result<Response, AppError> {
    let max = state.config.max_site_vertices;
    let snap = state.snapshot();
    // Reading the site is work too (validating 10,000 vertices for self-intersection):
    // it runs under the gate, never on the async workers that serve the map.
    let out = limits
        .site_check
        .run(move || -> Result<Vec<u8>, AppError> {
            let req = parse_site(&body, max)?;
            Ok(report_geojson(&snap, &req)?)
        })
        .await??;
    Ok(([(header::CONTENT_TYPE, "application/geo+json")], out).into_response())
}
