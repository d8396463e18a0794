//! Reading what the edit API writes: `GET /api/layers/{layer}/features/{id}` (a ledger
//! feature as stored, with its version as the ETag) and `GET /api/changes` (the change
//! records, a page at a time). Both leave out the fields the configuration keeps back
//! (`deny_fields`) unless the caller has an editor's or an administrator's token.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use riskmap_core::model::LayerKind;
use riskmap_core::store::changes::{ChangeQuery, feature_json};
use riskmap_core::store::gpkg;
use serde_json::{Value, json};

use super::AppStateRef;
use super::edit::{Store, answer, caller, input_kind, input_layer, input_names};
use crate::server::error::AppError;
use crate::server::pg_edit;
use crate::server::state::field_policy;

/// Whether the caller may read the fields the configuration keeps back (`deny_fields`:
/// phone numbers, the person answerable for a hidden hazard): only with an editor's or
/// an administrator's token, who edit the ledgers as stored. Anyone else (no token, an
/// unknown one, a proxy's own credentials) reads what is public.
fn reads_withheld(state: &AppStateRef, headers: &HeaderMap) -> bool {
    headers.contains_key(header::AUTHORIZATION) && caller(state, headers).is_ok()
}

/// A GeoJSON feature of `layer` without the properties `pol` keeps back.
fn withhold(layer: LayerKind, feature: &mut Value, pol: &riskmap_core::export::FieldPolicy) {
    if let Some(props) = feature.get_mut("properties").and_then(Value::as_object_mut) {
        for name in pol.denied(layer) {
            props.remove(name);
        }
    }
}

/// `GET /api/layers/{layer}/features/{id}`: the feature as stored, without the fields
/// the configuration keeps back unless the caller edits ([`reads_withheld`]).
pub(in crate::server) async fn get_feature(
    State(state): State<AppStateRef>,
    Path((layer, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let kind = input_layer(&layer)?;
    let all = reads_withheld(&state, &headers);
    let snap = state.snapshot();
    let f = snap
        .live
        .feature(kind, &id)
        .ok_or_else(|| AppError::not_found(format!("no feature '{id}' in layer '{layer}'")))?;
    if all {
        return Ok(answer(StatusCode::OK, Some(&f), snap.generation, &[]));
    }
    // Without its version: the tag is a digest of the whole feature, which a guess of
    // what is left out could be checked against; an edit (which needs a token) reads
    // the feature as stored first.
    let mut feature = feature_json(&f);
    withhold(kind, &mut feature, &field_policy(&state.config));
    Ok(
        Json(json!({"generation": snap.generation, "issues": [], "feature": feature}))
            .into_response(),
    )
}

/// Records in a page of `/api/changes` unless `limit` says otherwise.
const CHANGES_PAGE: usize = 1000;
/// The most a page of `/api/changes` holds.
const CHANGES_PAGE_MAX: usize = 10_000;

/// `GET /api/changes?since=SEQ&limit=N&layer=L&id=ID`: the change records of the store
/// after `since`, oldest first, a page at a time (an import of a city is a million
/// records): at most `limit` (1,000 unless given, at most 10,000), with `next` (the last
/// record's number, the `since` of the next page) and `more` (whether records follow);
/// of one layer, and one feature of it, when `layer` and `id` say so.
pub(in crate::server) async fn changes(
    State(state): State<AppStateRef>,
    axum::extract::Query(q): axum::extract::Query<SinceQuery>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let withheld = (!reads_withheld(&state, &headers)).then(|| field_policy(&state.config));
    let since = q.since.unwrap_or(0);
    let limit = q.limit.unwrap_or(CHANGES_PAGE);
    if limit == 0 || limit > CHANGES_PAGE_MAX {
        return Err(AppError::BadRequest(format!(
            "limit must be 1 to {CHANGES_PAGE_MAX}, not {limit}"
        )));
    }
    let layer = match &q.layer {
        Some(l) => Some(
            input_kind(l)
                .ok_or_else(|| {
                    AppError::BadRequest(format!(
                        "no input layer '{l}': changes are kept for {}",
                        input_names()
                    ))
                })?
                .name()
                .to_string(),
        ),
        None => None,
    };
    if q.id.is_some() && layer.is_none() {
        // (ids are unique within a layer; the table's index is on both)
        return Err(AppError::BadRequest(
            "id needs layer: give the feature's layer too".into(),
        ));
    }
    // One more than asked: whether the page is the last.
    let query = ChangeQuery {
        since,
        layer,
        id: q.id.clone(),
        limit: Some(limit + 1),
    };
    // A store's own trail, or the trail a folder's server keeps of the folder's files.
    let file = match Store::of(&state) {
        Some(Store::Db(url)) => {
            let records = pg_edit::changes_page(&url, &query).await?;
            return changes_answer(since, limit, records, withheld.as_ref());
        }
        Some(Store::File(path)) => path,
        None => state
            .folder_trail()
            .map(std::path::Path::to_path_buf)
            .ok_or_else(|| no_trail(&state))?,
    };
    let records = tokio::task::spawn_blocking(move || gpkg::changes_page(&file, &query))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::Internal(e.to_string()))?;
    changes_answer(since, limit, records, withheld.as_ref())
}

/// The answer of `/api/changes` on a folder's server that keeps no trail.
fn no_trail(state: &AppStateRef) -> AppError {
    AppError::Conflict(format!(
        "this server serves the folder '{}' and keeps no trail of its changes: set \
         `trail = \"changes.gpkg\"` in its configuration to record the changes read from \
         its files, or import the folder into a store (`riskmap import {0} --into \
         ledgers.gpkg`), which records every change",
        state.source.name()
    ))
}

/// A page of `/api/changes`: `records` holds one more than `limit` when more follow;
/// without the fields `withheld` keeps back, when given.
fn changes_answer(
    since: u64,
    limit: usize,
    mut records: Vec<riskmap_core::store::changes::ChangeRecord>,
    withheld: Option<&riskmap_core::export::FieldPolicy>,
) -> Result<Response, AppError> {
    let more = records.len() > limit;
    records.truncate(limit);
    if let Some(pol) = withheld {
        for r in &mut records {
            let Some(kind) = input_kind(&r.layer) else {
                continue;
            };
            for f in [&mut r.before, &mut r.after].into_iter().flatten() {
                withhold(kind, f, pol);
            }
        }
    }
    let next = records.last().map_or(since, |r| r.seq);
    Ok(
        Json(json!({"since": since, "changes": records, "next": next, "more": more}))
            .into_response(),
    )
}

/// The query of `/api/changes`.
#[derive(Debug, serde::Deserialize)]
pub(in crate::server) struct SinceQuery {
    since: Option<u64>,
    limit: Option<usize>,
    layer: Option<String>,
    id: Option<String>,
}
