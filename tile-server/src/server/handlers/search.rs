//! `GET /api/search?q=…&limit=…`: features by name, address or id.

use axum::Json;
use axum::extract::{Query, State};
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppStateRef;
use crate::server::error::AppError;
use crate::server::search::search_names;

/// The query of `/api/search`.
#[derive(Debug, Deserialize)]
pub(in crate::server) struct SearchQuery {
    q: String,
    limit: Option<usize>,
}

/// Up to `limit` (default 20, at most 100) features matching `q`.
pub(in crate::server) async fn search(
    State(state): State<AppStateRef>,
    Query(q): Query<SearchQuery>,
) -> Result<Json<Value>, AppError> {
    let needle = q.q.trim().to_lowercase();
    if needle.is_empty() {
        return Err(AppError::bad_request("q must not be empty"));
    }
    let limit = q.limit.unwrap_or(20).min(100);
    let s = state.snapshot();
    let query = q.q.clone();
    // A scan of up to a million addresses: off the async workers.
    let hits = tokio::task::spawn_blocking(move || search_names(&s, &needle, limit)).await?;
    Ok(Json(json!({"query": query, "results": hits})))
}
