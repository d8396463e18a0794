//! `POST /api/site-check`: a proposed site (a GeoJSON polygon with its use) checked
//! against the protection distances; the answer is a GeoJSON FeatureCollection, or with
//! `format=html` the draft opinion (选址审查意见草稿) to print.

use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::AppStateRef;
use crate::server::error::AppError;
use crate::server::limits::Limits;
use crate::server::site::{parse_site, report_geojson, report_html};

/// The query of `/api/site-check`: `format=html` for the draft opinion to print; `crs`
/// for a site drawn in another coordinate system than lon/lat (`EPSG:4549`, `gcj02`).
#[derive(Debug, serde::Deserialize)]
pub(in crate::server) struct SiteQuery {
    format: Option<String>,
    crs: Option<String>,
}

/// Reads the site from the body, checks it off the async workers
/// (at most `site_check_concurrency` at once), answers GeoJSON.
pub(in crate::server) async fn site_check(
    State(state): State<AppStateRef>,
    Extension(limits): Extension<Arc<Limits>>,
    Query(q): Query<SiteQuery>,
    body: Bytes,
) -> Result<Response, AppError> {
    let html = match q.format.as_deref() {
        None | Some("geojson" | "json") => false,
        Some("html") => true,
        Some(other) => {
            return Err(AppError::bad_request(format!(
                "format={other}: geojson (the default) or html (the draft opinion to print)"
            )));
        }
    };
    let max = state.config.max_site_vertices;
    let snap = state.snapshot();
    // Reading the site is work too (validating 10,000 vertices for self-intersection):
    // it runs under the gate, never on the async workers that serve the map.
    let out = limits
        .site_check
        .run(move || -> Result<Vec<u8>, AppError> {
            let req = parse_site(&body, max, q.crs.as_deref())?;
            // A site converted from a system that was named wrongly lands far from the
            // data, where it meets nothing: refused, not answered "no conflicts".
            if let Some(crs) = &req.crs
                && let Some((_, why)) = riskmap_core::io::far_issue(
                    riskmap_core::model::LayerKind::ProtectionTargets,
                    &req.geometry,
                    &snap.dataset().areas,
                )
            {
                return Err(AppError::bad_request(format!(
                    "the site, converted from {crs}, {}: is its crs right?",
                    why.trim_start_matches("the feature ")
                )));
            }
            if html {
                return Ok(report_html(&snap, &req)
                    .map_err(|e| AppError::bad_request(e.to_string()))?
                    .into_bytes());
            }
            report_geojson(&snap, &req)
        })
        .await??;
    let ct = if html {
        "text/html; charset=utf-8"
    } else {
        "application/geo+json"
    };
    Ok(([(header::CONTENT_TYPE, ct)], out).into_response())
}
