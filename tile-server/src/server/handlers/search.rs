//! `GET /api/search?q=…&limit=…&offset=…`: features by name, address, id, code or kind.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppStateRef;
use crate::server::error::AppError;
use crate::server::limits::Limits;
use crate::server::search;

/// The query of `/api/search`.
#[derive(Debug, Deserialize)]
pub(in crate::server) struct SearchQuery {
    q: Option<String>,
    limit: Option<usize>,
    offset: Option<usize>,
}

/// Up to `limit` (default 20, at most 100) features matching `q` from the `offset`-th
/// (default 0), and how many match in all (`total`).
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
    let offset = q.offset.unwrap_or(0);
    let s = state.snapshot();
    // A scan of up to a million addresses: off the async workers, bounded.
    let found = limits
        .search
        .run(move || search::search(&s, &needle, offset, limit))
        .await?;
    Ok(Json(json!({
        "query": query,
        "total": found.total,
        "offset": offset,
        "results": found.results,
    })))
}
