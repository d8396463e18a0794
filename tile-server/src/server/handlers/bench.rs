//! `GET /bench/fixed`, the load benchmark's baseline (scripts/bench/http.sh). Compiled in
//! only with the `bench-routes` feature, and served only when the config sets
//! `bench_routes`.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::AppStateRef;
use crate::server::error::AppError;

/// The query of `/bench/fixed`.
#[derive(Debug, Deserialize)]
pub(in crate::server) struct BenchQuery {
    bytes: Option<usize>,
}

/// The same server and middleware returning fixed bytes, `?bytes=N` of them (default
/// 8192, at most 4 MiB) so that the baseline can carry the same payload as the tiles it
/// is compared with. Off unless `bench_routes` is set.
pub(in crate::server) async fn bench_fixed(
    State(state): State<AppStateRef>,
    Query(q): Query<BenchQuery>,
) -> Result<Response, AppError> {
    static BYTES: std::sync::OnceLock<Bytes> = std::sync::OnceLock::new();
    if !state.config.bench_routes {
        return Err(AppError::not_found("no such route"));
    }
    let all = BYTES.get_or_init(|| Bytes::from(vec![b'x'; 4 << 20]));
    let n = q.bytes.unwrap_or(8192).min(all.len());
    Ok((
        [
            (header::CONTENT_TYPE, "application/vnd.mapbox-vector-tile"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        all.slice(..n),
    )
        .into_response())
}
