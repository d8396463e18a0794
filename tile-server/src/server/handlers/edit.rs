//! Editing features through the API:
//!
//! - `GET /api/layers/{layer}/features/{id}`: the ledger feature as stored, with its
//!   version as the ETag;
//! - `POST /api/layers/{layer}/features`: a new feature (its id in the GeoJSON);
//! - `PUT /api/layers/{layer}/features/{id}`: the feature replaced (or created);
//! - `PATCH /api/layers/{layer}/features/{id}`: properties merged (a `null` removes one),
//!   the geometry replaced if given;
//! - `DELETE /api/layers/{layer}/features/{id}`.
//!
//! A change needs a token with the `editor` role. It is checked exactly as the loaders
//! check a ledger (`422` with the issues; nothing changed anywhere), compared with an
//! `If-Match` version (`412` when another edit came first), written to the store with its
//! record in the change table (who, when, before, after) in one transaction, and then
//! served as one batch: a GeoPackage's change applied by the handler, a PostGIS store's
//! by the task that follows the database, which the handler waits for
//! ([`crate::server::pg_edit`]). A folder's ledgers are the office's own files: an edit
//! to a folder-backed server is refused (`409`) with how to import it.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use riskmap_core::io::{self, Issue};
use riskmap_core::live::{AnyFeature, Change, Edit};
use riskmap_core::model::LayerKind;
use riskmap_core::project::SourceKind;
use riskmap_core::store::changes::feature_json;
use riskmap_core::store::gpkg;
use serde_json::{Value, json};

use super::AppStateRef;
use crate::server::auth::{Caller, Role};
use crate::server::error::AppError;
use crate::server::pg_edit;
use crate::server::state::DbUrl;

/// The input layer named in the URL.
fn input_layer(name: &str) -> Result<LayerKind, AppError> {
    LayerKind::from_name(name)
        .filter(|k| LayerKind::INPUTS.contains(k))
        .ok_or_else(|| {
            AppError::not_found(format!(
                "no input layer '{name}': edit one of {}",
                LayerKind::INPUTS.map(|k| k.name()).join(", ")
            ))
        })
}

fn caller(state: &AppStateRef, headers: &HeaderMap) -> Result<Caller, AppError> {
    state
        .tokens
        .authorize(headers, Role::Editor)
        .map_err(AppError::from)
}

/// Where the edits go.
enum Store {
    /// A GeoPackage.
    File(std::path::PathBuf),
    /// A PostGIS database.
    Db(DbUrl),
}

/// The store the edits go to and can be served from, or why there is none.
fn edit_store(state: &AppStateRef) -> Result<Store, AppError> {
    let s = store(state)?;
    if let Store::Db(_) = s {
        pg_edit::check_following(state)?;
    }
    Ok(s)
}

/// The store of the served data, or why it is not one.
fn store(state: &AppStateRef) -> Result<Store, AppError> {
    if let Some(url) = &state.source.db {
        return Ok(Store::Db(url.clone()));
    }
    match SourceKind::of(&state.source.dir) {
        Ok(SourceKind::GeoPackage) => Ok(Store::File(state.source.dir.clone())),
        _ => Err(AppError::Conflict(format!(
            "this server serves the folder '{}': its ledgers are the office's own files and are not rewritten. \
             To edit through the API, import the folder into a store and serve that: \
             `riskmap import {0} --into ledgers.gpkg` then `riskmap serve ledgers.gpkg`",
            state.source.name()
        ))),
    }
}

fn issues_json(issues: &[Issue]) -> Value {
    serde_json::to_value(issues).unwrap_or(Value::Null)
}

fn refused(issues: &[Issue]) -> Response {
    let first = issues
        .first()
        .map(|i| i.message.clone())
        .unwrap_or_else(|| "the feature was refused".into());
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(json!({"error": first, "status": 422, "issues": issues_json(issues)})),
    )
        .into_response()
}

/// `If-Match` against the current version: `None` passes.
fn check_version(headers: &HeaderMap, current: Option<&AnyFeature>) -> Result<(), AppError> {
    let Some(want) = headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    let want = want.trim();
    if want == "*" {
        return match current {
            Some(_) => Ok(()),
            None => Err(AppError::PreconditionFailed(
                "If-Match: * but the feature does not exist".into(),
            )),
        };
    }
    let have = current.map(|f| format!("\"{}\"", gpkg::feature_version(f)));
    if have.as_deref() == Some(want) {
        Ok(())
    } else {
        Err(AppError::PreconditionFailed(format!(
            "the feature changed since version {want}: it is now {} — read it again, then retry",
            have.unwrap_or_else(|| "deleted".into())
        )))
    }
}

/// The answer to a change: the feature as stored, its version, the generation serving it.
fn answer(
    status: StatusCode,
    f: Option<&AnyFeature>,
    generation: u64,
    issues: &[Issue],
) -> Response {
    let mut body = json!({"generation": generation, "issues": issues_json(issues)});
    if let Some(f) = f {
        body["feature"] = feature_json(f);
        body["version"] = gpkg::feature_version(f).into();
    }
    let mut resp = (status, Json(body)).into_response();
    if let Some(f) = f
        && let Ok(v) = HeaderValue::from_str(&format!("\"{}\"", gpkg::feature_version(f)))
    {
        resp.headers_mut().insert(header::ETAG, v);
    }
    resp
}

/// One change made by `who` against the snapshot serving database change `served_seq`
/// (`versioned`: the request carried `If-Match`): written with its record, then served.
async fn commit(
    state: &AppStateRef,
    who: &Caller,
    change: Change,
    served_seq: i64,
    versioned: bool,
) -> Result<u64, AppError> {
    let path = match edit_store(state)? {
        Store::File(path) => path,
        Store::Db(url) => {
            return pg_edit::commit(state, &url, &who.name, change, served_seq, versioned).await;
        }
    };
    let edit = match &change.after {
        Some(f) => Edit::Put(Box::new(f.clone())),
        None => Edit::Delete {
            layer: change.layer,
            id: change.id.clone(),
        },
    };
    let actor = who.name.clone();
    let written = {
        let actor = actor.clone();
        tokio::task::spawn_blocking(move || gpkg::apply_changes(&path, &[change], &actor))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?
    };
    written.map_err(|e| {
        AppError::Internal(format!(
            "the store refused the change, nothing was applied: {e}"
        ))
    })?;
    state.note_own_write();
    let ev = state
        .apply_edits(vec![edit], actor)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(ev.generation)
}

/// `GET /api/layers/{layer}/features/{id}`.
pub(in crate::server) async fn get_feature(
    State(state): State<AppStateRef>,
    Path((layer, id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let kind = input_layer(&layer)?;
    let snap = state.snapshot();
    let f = snap
        .live
        .feature(kind, &id)
        .ok_or_else(|| AppError::not_found(format!("no feature '{id}' in layer '{layer}'")))?;
    Ok(answer(StatusCode::OK, Some(&f), snap.generation, &[]))
}

/// `POST /api/layers/{layer}/features`.
pub(in crate::server) async fn create(
    State(state): State<AppStateRef>,
    Path(layer): Path<String>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Result<Response, AppError> {
    let who = caller(&state, &headers)?;
    let kind = input_layer(&layer)?;
    edit_store(&state)?;
    let _one = state.edit_lock.lock().await;
    let (served, snap) = state.served_snapshot();
    let checked =
        match io::feature_from_geojson(kind, &body, None, snap.dataset(), &state.source.load) {
            Ok(c) => c,
            Err(issues) => return Ok(refused(&issues)),
        };
    let id = checked.feature.id().to_string();
    if snap.live.position(kind, &id).is_some() {
        return Err(AppError::Conflict(format!(
            "'{id}' already exists in layer '{layer}': PUT /api/layers/{layer}/features/{id} replaces it"
        )));
    }
    drop(snap);
    let change = Change {
        layer: kind,
        id: id.clone(),
        before: None,
        after: Some(checked.feature.clone()),
    };
    let generation = commit(&state, &who, change, served, false).await?;
    let mut resp = answer(
        StatusCode::CREATED,
        Some(&checked.feature),
        generation,
        &checked.issues,
    );
    if let Ok(v) = HeaderValue::from_str(&format!("/api/layers/{layer}/features/{id}")) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    Ok(resp)
}

/// `PUT /api/layers/{layer}/features/{id}`.
pub(in crate::server) async fn replace(
    State(state): State<AppStateRef>,
    Path((layer, id)): Path<(String, String)>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Result<Response, AppError> {
    put_or_patch(state, layer, id, headers, body, false).await
}

/// `PATCH /api/layers/{layer}/features/{id}`.
pub(in crate::server) async fn patch(
    State(state): State<AppStateRef>,
    Path((layer, id)): Path<(String, String)>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Result<Response, AppError> {
    put_or_patch(state, layer, id, headers, body, true).await
}

async fn put_or_patch(
    state: AppStateRef,
    layer: String,
    id: String,
    headers: HeaderMap,
    body: Value,
    merge: bool,
) -> Result<Response, AppError> {
    let who = caller(&state, &headers)?;
    let kind = input_layer(&layer)?;
    edit_store(&state)?;
    let _one = state.edit_lock.lock().await;
    let (served, snap) = state.served_snapshot();
    let before = snap.live.feature(kind, &id);
    check_version(&headers, before.as_ref())?;
    let body = if merge {
        let Some(b) = &before else {
            return Err(AppError::not_found(format!(
                "no feature '{id}' in layer '{layer}' to patch: PUT creates one"
            )));
        };
        merged(feature_json(b), &body)?
    } else {
        body
    };
    let checked = match io::feature_from_geojson(
        kind,
        &body,
        Some(&id),
        snap.dataset(),
        &state.source.load,
    ) {
        Ok(c) => c,
        Err(issues) => return Ok(refused(&issues)),
    };
    drop(snap);
    let created = before.is_none();
    let change = Change {
        layer: kind,
        id,
        before,
        after: Some(checked.feature.clone()),
    };
    let versioned = headers.contains_key(header::IF_MATCH);
    let generation = commit(&state, &who, change, served, versioned).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(answer(
        status,
        Some(&checked.feature),
        generation,
        &checked.issues,
    ))
}

/// The stored feature with a patch merged: properties by key (`null` removes), geometry
/// replaced when given.
fn merged(mut stored: Value, patch: &Value) -> Result<Value, AppError> {
    let Some(p) = patch.as_object() else {
        return Err(AppError::bad_request(
            "a PATCH body is a GeoJSON Feature (an object)",
        ));
    };
    if let Some(g) = p.get("geometry").filter(|g| !g.is_null()) {
        stored["geometry"] = g.clone();
    }
    if let Some(props) = p.get("properties") {
        let Some(props) = props.as_object() else {
            return Err(AppError::bad_request("properties must be an object"));
        };
        if !stored["properties"].is_object() {
            stored["properties"] = json!({});
        }
        if let Some(sp) = stored["properties"].as_object_mut() {
            for (k, v) in props {
                if v.is_null() {
                    sp.remove(k);
                } else {
                    sp.insert(k.clone(), v.clone());
                }
            }
        }
    }
    Ok(stored)
}

/// `DELETE /api/layers/{layer}/features/{id}`.
pub(in crate::server) async fn delete(
    State(state): State<AppStateRef>,
    Path((layer, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let who = caller(&state, &headers)?;
    let kind = input_layer(&layer)?;
    edit_store(&state)?;
    let _one = state.edit_lock.lock().await;
    let (served, snap) = state.served_snapshot();
    let before = snap.live.feature(kind, &id);
    drop(snap);
    let Some(b) = before else {
        return Err(AppError::not_found(format!(
            "no feature '{id}' in layer '{layer}'"
        )));
    };
    check_version(&headers, Some(&b))?;
    let change = Change {
        layer: kind,
        id,
        before: Some(b),
        after: None,
    };
    let versioned = headers.contains_key(header::IF_MATCH);
    let generation = commit(&state, &who, change, served, versioned).await?;
    Ok(answer(StatusCode::OK, None, generation, &[]))
}

/// `GET /api/changes?since=SEQ`: the change records of the store after `since`.
pub(in crate::server) async fn changes(
    State(state): State<AppStateRef>,
    axum::extract::Query(q): axum::extract::Query<SinceQuery>,
) -> Result<Response, AppError> {
    let since = q.since.unwrap_or(0);
    let records = match store(&state)? {
        Store::Db(url) => pg_edit::changes_since(&url, since).await?,
        Store::File(path) => tokio::task::spawn_blocking(move || gpkg::changes_since(&path, since))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?
            .map_err(|e| AppError::Internal(e.to_string()))?,
    };
    Ok(Json(json!({"since": since, "changes": records})).into_response())
}

/// The query of `/api/changes`.
#[derive(Debug, serde::Deserialize)]
pub(in crate::server) struct SinceQuery {
    since: Option<u64>,
}
