//! `GET /fonts/{fontstack}/{range}.pbf`: the map labels' glyphs, rendered from the label
//! font (see [`crate::glyphs`]) on first request and kept. Every font stack a style names
//! is drawn in that one font.

use std::path::Path;

use axum::extract::{Path as UrlPath, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::AppStateRef;
use crate::glyphs;
use crate::server::error::AppError;

/// One glyph range of the running server's label font.
pub(in crate::server) async fn glyphs(
    State(state): State<AppStateRef>,
    UrlPath((fontstack, range)): UrlPath<(String, String)>,
) -> Result<Response, AppError> {
    glyph_range(state.config.font.as_deref(), fontstack, range).await
}

/// The range `range` (like `19968-20223.pbf`) of the label font at `font` (None: the
/// system's), as `application/x-protobuf`; 404 with the reason when there is no font.
pub(in crate::server) async fn glyph_range(
    font: Option<&Path>,
    fontstack: String,
    range: String,
) -> Result<Response, AppError> {
    let start = glyphs::parse_range(&range).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let font = glyphs::shared(font).map_err(|e| AppError::not_found(e.to_string()))?;
    let bytes = tokio::task::spawn_blocking(move || font.range(&fontstack, start))
        .await
        .map_err(|e| AppError::Internal(format!("glyph range {range}: {e}")))?
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/x-protobuf"),
            // The font does not change while the server runs.
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        bytes,
    )
        .into_response())
}
