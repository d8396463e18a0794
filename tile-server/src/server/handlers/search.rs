//! `GET /api/search?q=…&limit=…`: features by name, address or id.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppStateRef;
use crate::server::error::AppError;
use crate::server::limits::Limits;
use crate::server::search::search_names;

/// The query of `/api/search`.
#[derive(Debug, Deserialize)]
pub(in crate::server) struct SearchQuery {
    q: Option<String>,
    limit: Option<usize>,
}

/// Up to `limit` (default 20, at most 100) features matching `q`.
pub(in crate::server) async fn search(
    State(state): State<AppStateRef>,
    Extension(limits): Extension<Arc<Limits>>,
    Query(q): Query<SearchQuery>,
) -> Result<Json<Value>, AppError> {
    let query = q.q.ok_or_else(|| {
        AppError::bad_request("the query parameter q (the text to find) is missing")
    })?;
    let needle = query.trim().to_lowercase();
    if needle.is_empty() {
        return Err(AppError::bad_request("q must not be empty"));
    }
    let limit = q.limit.unwrap_or(20).min(100);
    let s = state.snapshot();
    // A scan of up to a million addresses: off the async workers, bounded.
    let hits = limits
        .search
        .run(move || search_names(&s, &needle, limit))
        .await?;
    Ok(Json(json!({"query": query, "results": hits})))
}
