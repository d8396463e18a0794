//! `GET /health`, `GET /metrics` (Prometheus text) and the middleware that counts
//! requests per route for the metrics.

use axum::Json;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::AppStateRef;
use crate::server::pg_listen::DbStatus;
use crate::server::state::{EditFailing, ReadingRefused, Snapshot};

/// Counts each request under its route pattern (or `unmatched`) and status.
pub(in crate::server) async fn count_requests(
    State(state): State<AppStateRef>,
    req: Request,
    next: Next,
) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let resp = next.run(req).await;
    state.metrics.request(&route, resp.status().as_u16());
    resp
}

/// What is served from (`directory`, `gpkg` or `postgis`, and the folder's or file's
/// name, not its path; a database's URL without its password), `degraded` and why when
/// a database source cannot be reached (its connection, the last change applied, the
/// last error, reconnection attempts, rows refused) or a folder's trail records nothing
/// (a start that could not read the folder whole) or the source's last reading (by the
/// watcher or a reload) was refused or failed (`reading_refused`: when and why) or edits
/// cannot be written to the store (`edits_failing`: since when, how many, the error) or a
/// ledger file of the data was not read (`files_not_read`), the
/// generation served, the day its hidden hazards are counted on (`as_of`), its feature
/// counts and validation totals, the last reload
/// (its outcome, the per-layer counts before and after, and why it was refused).
pub(in crate::server) async fn health(State(state): State<AppStateRef>) -> Json<Value> {
    let s = state.snapshot();
    let last = state.last_reload.lock().ok().and_then(|l| l.clone());
    let Observed {
        database,
        refused,
        edit_failing,
        not_read,
    } = observed(&state, &s);
    let why = degraded_because(
        &state,
        database.as_ref(),
        refused.as_ref(),
        edit_failing.as_ref(),
        &not_read,
    );
    let status = if why.is_some() { "degraded" } else { "ok" };
    Json(json!({
        "status": status,
        "degraded_because": why,
        "database": database,
        "source": {"kind": state.source.kind(), "name": state.source.name()},
        "generation": s.generation,
        // The day the hidden hazards are counted on (overdue, open): the data's as_of or
        // the command line's, else the server's day.
        "as_of": s.analysis().as_of.map(|d| d.to_string()),
        "loaded_at": s.loaded_at,
        "load_seconds": s.load_seconds,
        "features": s.dataset().counts().iter().map(|(k, n)| (k.name().to_string(), json!(n))).collect::<Map<_, _>>(),
        "validation": {"skipped": s.report.skipped_count(), "repaired": s.report.repaired_count(), "warnings": s.report.warning_count(), "info": s.report.info_count()},
        "last_reload": last,
        "reading_refused": refused,
        "edits_failing": edit_failing,
        "files_not_read": not_read,
    }))
}

/// What `/health` reads of the state besides the snapshot.
struct Observed {
    database: Option<DbStatus>,
    refused: Option<ReadingRefused>,
    edit_failing: Option<EditFailing>,
    /// Ledger files of the served data that were not read (a header with no coordinates,
    /// a file in a format not built): the map lacks them whole.
    not_read: Vec<Value>,
}

fn observed(state: &AppStateRef, s: &Snapshot) -> Observed {
    Observed {
        database: state
            .source
            .db
            .as_ref()
            .and_then(|_| state.database.lock().ok().map(|d| d.clone())),
        refused: state.reading_refused.lock().ok().and_then(|r| r.clone()),
        edit_failing: state.edit_failing.lock().ok().and_then(|f| f.clone()),
        not_read: s
            .report
            .files
            .iter()
            .filter(|f| f.status == riskmap_core::io::FileStatus::Skipped && f.layer.is_some())
            .map(|f| json!({"file": f.file, "layer": f.layer.map(|l| l.name()), "why": f.note}))
            .collect(),
    }
}

/// Why the server is degraded, the first reason that holds (see [`health`]), or none.
fn degraded_because(
    state: &AppStateRef,
    database: Option<&DbStatus>,
    refused: Option<&ReadingRefused>,
    edit_failing: Option<&EditFailing>,
    not_read: &[Value],
) -> Option<String> {
    if let Some(d) = database.filter(|d| !d.connected) {
        return Some(format!(
            "the database is not reachable: serving its last state ({})",
            d.last_error.as_deref().unwrap_or("not connected yet")
        ));
    }
    if let Some(problems) = state.folder_trail_held() {
        return Some(format!(
            "the folder's trail records nothing until the folder is read whole (or a reload \
             is forced): {}",
            problems.join("; ")
        ));
    }
    if let Some(r) = refused {
        return Some(format!(
            "the data source changed and its last reading was not taken in; serving the map \
             as it was before: {}",
            r.why
        ));
    }
    if let Some(d) = database.filter(|d| !d.unfollowed.is_empty()) {
        return Some(format!(
            "the database's tables {} have no trigger recording their changes (another \
             program made them again): their changes are not followed; run `riskmap db init \
             --db URL`",
            d.unfollowed.join(", ")
        ));
    }
    if let Some(f) = edit_failing {
        return Some(format!(
            "edits cannot be written to the store ({} since the last that was; the map serves \
             what was written): {}",
            f.failed, f.error
        ));
    }
    if !not_read.is_empty() {
        let files: Vec<String> = not_read
            .iter()
            .map(|f| {
                format!(
                    "{} ({})",
                    f["file"].as_str().unwrap_or_default(),
                    f["why"].as_str().unwrap_or("skipped")
                )
            })
            .collect();
        return Some(format!(
            "{} ledger file(s) of the data were not read, so the map lacks them: {} (see \
             /validation.html)",
            not_read.len(),
            files.join("; ")
        ));
    }
    None
}

/// The counters and gauges in the Prometheus text format.
pub(in crate::server) async fn metrics(State(state): State<AppStateRef>) -> Response {
    let s = state.snapshot();
    // What /health says, for an alert on the metrics alone.
    let o = observed(&state, &s);
    let degraded = degraded_because(
        &state,
        o.database.as_ref(),
        o.refused.as_ref(),
        o.edit_failing.as_ref(),
        &o.not_read,
    )
    .is_some();
    let (bytes, entries) = state
        .cache
        .lock()
        .map(|c| (c.bytes(), c.len()))
        .unwrap_or((0, 0));
    let mut gauges: Vec<(&str, &str, String)> = vec![
        (
            "tile_cache_bytes",
            "Bytes held by the tile cache.",
            bytes.to_string(),
        ),
        (
            "tile_cache_entries",
            "Tiles held by the tile cache.",
            entries.to_string(),
        ),
        (
            "data_generation",
            "Generation of the data being served.",
            s.generation.to_string(),
        ),
        (
            "spare_snapshot_ready",
            "1 when the next batch of edits finds its copy of the snapshot made, else 0.",
            u8::from(state.spare_ready()).to_string(),
        ),
        (
            "edits_waiting",
            "Edits to a GeoPackage store handed to its queue and not yet taken into a batch.",
            state.edit_queue.waiting().to_string(),
        ),
        (
            "change_path_waiting",
            "Changes waiting for the change path: a group of edits, a PostGIS edit, a reading of the source, a reload, the day's roll.",
            state.change_path_waiting().to_string(),
        ),
    ];
    gauges.push((
        "health_degraded",
        "1 while /health says degraded (its degraded_because says why), else 0.",
        u8::from(degraded).to_string(),
    ));
    let build = format!("build_info{{version=\"{}\"}}", env!("CARGO_PKG_VERSION"));
    gauges.push((
        build.as_str(),
        "The server's release: always 1.",
        "1".into(),
    ));
    if let Some(kb) = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse::<u64>().ok())
        })
    {
        gauges.push((
            "resident_memory_bytes",
            "The process's resident memory (Linux's VmRSS).",
            (kb * 1024).to_string(),
        ));
    }
    let names: Vec<String> = s
        .dataset()
        .counts()
        .iter()
        .map(|(k, _)| format!("dataset_features{{layer=\"{}\"}}", k.name()))
        .collect();
    for ((_, n), name) in s.dataset().counts().iter().zip(&names) {
        gauges.push((name.as_str(), "Features loaded per layer.", n.to_string()));
    }
    let text = state.metrics.render_text(&gauges);
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}
