//! `POST /api/site-check`: a proposed site (a GeoJSON polygon with its use) checked
//! against the protection distances; the answer is a GeoJSON FeatureCollection.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::AppStateRef;
use crate::server::error::AppError;
use crate::server::site::{parse_site, report_geojson};

/// Reads the site from the body, checks it off the async workers, answers GeoJSON.
pub(in crate::server) async fn site_check(
    State(state): State<AppStateRef>,
    body: Bytes,
) -> Result<Response, AppError> {
    let req = parse_site(&body, state.config.max_site_vertices)?;
    let snap = state.snapshot();
    let out = tokio::task::spawn_blocking(move || report_geojson(&snap, &req)).await??;
    Ok(([(header::CONTENT_TYPE, "application/geo+json")], out).into_response())
}
