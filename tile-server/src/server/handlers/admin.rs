//! `POST /admin/reload`: reload the data behind a bearer token.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::AppStateRef;
use crate::server::error::AppError;

/// Reloads the data if the request carries the admin token; a failed reload keeps the
/// data being served.
pub(in crate::server) async fn admin_reload(
    State(state): State<AppStateRef>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let Some(token) = &state.admin_token else {
        return Err(AppError::Forbidden(
            "reload over HTTP is disabled: set RISKMAP_ADMIN_TOKEN or admin_token in the config (SIGHUP reloads too)".into(),
        ));
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if given.map(str::trim) != Some(token.as_str()) {
        return Err(AppError::Unauthorized(
            "missing or wrong bearer token".into(),
        ));
    }
    match state.reload().await {
        Ok(g) => Ok(Json(json!({"status": "reloaded", "generation": g})).into_response()),
        Err(e) => Err(AppError::Unprocessable(format!(
            "reload failed, still serving generation {}: {e}",
            state.snapshot().generation
        ))),
    }
}
