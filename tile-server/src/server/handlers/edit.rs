//! Editing features through the API (reading them, and the change records, in
//! [`super::edit_read`]):
//!
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

use std::time::Instant;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use riskmap_core::io::{self, Issue};
use riskmap_core::live::{AnyFeature, Change};
use riskmap_core::model::LayerKind;
use riskmap_core::project::SourceKind;
use riskmap_core::store::changes::feature_json;
use riskmap_core::store::gpkg;
use serde_json::{Value, json};

use super::AppStateRef;
use crate::server::auth::{Caller, Role};
use crate::server::edit_queue::{Outcome, Timing, ms};
use crate::server::error::AppError;
use crate::server::pg_edit::{self, DbEdit, DbTiming};
use crate::server::state::{AppState, DbUrl, Snapshot};

/// The input layer of this name, if it is one.
pub(super) fn input_kind(name: &str) -> Option<LayerKind> {
    LayerKind::from_name(name).filter(|k| LayerKind::INPUTS.contains(k))
}

/// The input layers' names, for a message.
pub(super) fn input_names() -> String {
    LayerKind::INPUTS.map(|k| k.name()).join(", ")
}

/// The input layer named in the URL.
pub(super) fn input_layer(name: &str) -> Result<LayerKind, AppError> {
    input_kind(name).ok_or_else(|| {
        AppError::not_found(format!(
            "no input layer '{name}': edit one of {}",
            input_names()
        ))
    })
}

pub(super) fn caller(state: &AppStateRef, headers: &HeaderMap) -> Result<Caller, AppError> {
    state
        .tokens
        .authorize(headers, Role::Editor)
        .map_err(AppError::from)
}

/// Where the edits go.
pub(in crate::server) enum Store {
    /// A GeoPackage.
    File(std::path::PathBuf),
    /// A PostGIS database.
    Db(DbUrl),
}

impl Store {
    /// The store the server serves; `None` for a folder.
    pub(in crate::server) fn of(state: &AppState) -> Option<Store> {
        if let Some(url) = &state.source.db {
            return Some(Store::Db(url.clone()));
        }
        match SourceKind::of(&state.source.dir) {
            Ok(SourceKind::GeoPackage) => Some(Store::File(state.source.dir.clone())),
            _ => None,
        }
    }
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
    Store::of(state).ok_or_else(|| {
        AppError::Conflict(format!(
            "this server serves the folder '{}': its ledgers are the office's own files and are not rewritten. \
             To edit through the API, import the folder into a store and serve that: \
             `riskmap import {0} --into ledgers.gpkg` then `riskmap serve ledgers.gpkg`",
            state.source.name()
        ))
    })
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

/// A body's properties under their fields' own keys (`io::edit_properties`: a ledger's
/// Chinese or other names for a field replace it in a patch) and the warnings for names
/// that are no field of the layer.
fn with_field_keys(kind: LayerKind, body: &Value, id: Option<&str>) -> (Value, Vec<Issue>) {
    let Some(props) = body.get("properties").and_then(Value::as_object) else {
        return (body.clone(), Vec::new());
    };
    let (props, unknown) = io::edit_properties(kind, props, id);
    let mut body = body.clone();
    body["properties"] = Value::Object(props);
    (body, unknown)
}

/// `If-Match` against the current version: `None` passes.
fn check_version(headers: &HeaderMap, current: Option<&AnyFeature>) -> Result<(), AppError> {
    // Every If-Match header, each a list of tags (RFC 9110 §13.1.1).
    let mut tags: Vec<&str> = Vec::new();
    for v in headers.get_all(header::IF_MATCH) {
        let v = v.to_str().map_err(|_| {
            AppError::bad_request("If-Match is not text: give the ETag the feature was read with")
        })?;
        tags.extend(v.split(',').map(str::trim).filter(|t| !t.is_empty()));
    }
    if tags.is_empty() {
        return Ok(());
    }
    if tags.contains(&"*") {
        return match current {
            Some(_) => Ok(()),
            None => Err(AppError::PreconditionFailed(
                "If-Match: * but the feature does not exist".into(),
            )),
        };
    }
    let have = current.map(gpkg::feature_version);
    // A tag as the ETag gives it ("…"), or as the answer's `version` gives it, without
    // the quotes; a weak tag (W/"…") never matches If-Match.
    let matches = |t: &str| {
        let bare = t
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .unwrap_or(t);
        !t.starts_with("W/") && have.as_deref() == Some(bare)
    };
    if tags.iter().any(|t| matches(t)) {
        return Ok(());
    }
    let weak = if tags.iter().any(|t| t.starts_with("W/")) {
        " (a weak tag, W/…, never matches If-Match)"
    } else {
        ""
    };
    Err(AppError::PreconditionFailed(format!(
        "the feature changed since version {}{weak}: it is now {} — read it again, then retry",
        tags.join(", "),
        have.map_or_else(|| "deleted".into(), |v| format!("\"{v}\""))
    )))
}

/// The answer to a change: the feature as stored, its version, the generation serving it.
pub(super) fn answer(
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

/// Where an edit's time went on the server, sent as a `Server-Timing` header (browsers'
/// developer tools show it; the edit benchmarks read it): the check against the served
/// state, then the wait for the change path (on a GeoPackage, for its group), the
/// store's transaction and, beside it, the batch's wait for its copy of the map and its
/// work on the copy, then serving it once both are done (on a database whose change
/// path stayed busy: the transaction, and the wait until the answer); and `edit`, all
/// of the edit from its check to its answer.
struct ServerTiming {
    started: Instant,
    check_ms: f64,
    after: AfterCheck,
}

/// The phases after the check, by store.
enum AfterCheck {
    /// The store's transaction beside the batch (a GeoPackage's edit queue, or a
    /// database's edit).
    Queue(Timing),
    /// A database whose change path stayed busy, milliseconds: the transaction
    /// (`store`), and from the wait for the change path until the answer (`commit`).
    Commit {
        /// The transaction.
        store_ms: f64,
        /// The transaction until served.
        commit_ms: f64,
    },
}

impl ServerTiming {
    fn add_to(&self, resp: &mut Response) {
        let after = match &self.after {
            AfterCheck::Queue(t) => format!(
                "queue;dur={:.2}, store;dur={:.2}, spare;dur={:.2}, apply;dur={:.2}, serve;dur={:.2}",
                t.queued_ms, t.store_ms, t.spare_ms, t.apply_ms, t.serve_ms
            ),
            AfterCheck::Commit {
                store_ms,
                commit_ms,
            } => {
                format!("store;dur={store_ms:.2}, commit;dur={commit_ms:.2}")
            }
        };
        let v = format!(
            "check;dur={:.2}, {after}, edit;dur={:.2}",
            self.check_ms,
            ms(self.started.elapsed())
        );
        if let Ok(v) = HeaderValue::from_str(&v) {
            resp.headers_mut()
                .insert(header::HeaderName::from_static("server-timing"), v);
        }
    }
}

/// A change a request wants, checked against one snapshot.
struct Prepared {
    change: Change,
    /// The validation's warnings, for the answer.
    issues: Vec<Issue>,
}

/// How many times an edit to a GeoPackage is checked again when edits of the same feature
/// keep coming first.
const ATTEMPTS: usize = 8;

/// Runs an edit by `who`: `prepare` checks it against a snapshot (and answers the request
/// itself when it refuses); the change is then written with its record and served. Gives
/// the change and the generation serving it.
///
/// A GeoPackage's edits go to the queue that commits them in groups
/// ([`crate::server::edit_queue`]); when the feature changed after `prepare` read it,
/// `prepare` runs again on the newer state. A database's go one at a time under
/// `edit_lock`, checked and served under the change path, the database checking its
/// row ([`pg_edit::commit`]).
async fn run_edit(
    state: &AppStateRef,
    who: &Caller,
    versioned: bool,
    prepare: impl Fn(&Snapshot) -> Result<Prepared, Box<Response>>,
) -> Result<(Prepared, u64, ServerTiming), Response> {
    let started = Instant::now();
    let path = match edit_store(state).map_err(IntoResponse::into_response)? {
        Store::File(path) => path,
        Store::Db(url) => {
            // Waiting for the edit before this one counts as waiting for the change
            // path: the copy that edit's batch replaced is then brought up to date at
            // full priority (`pools::catch_up_quietly`).
            let waiting = state.waiting_for_change();
            let _one = state.edit_lock.lock().await;
            let waited = Instant::now();
            let held = pg_edit::change_path(state).await;
            drop(waiting);
            let lock_wait_ms = ms(waited.elapsed());
            let (served, snap) = state.served_snapshot();
            let t0 = Instant::now();
            let p = prepare(&snap).map_err(|r| *r)?;
            let check_ms = ms(t0.elapsed());
            drop(snap);
            let edit = DbEdit {
                url,
                actor: who.name.clone(),
                change: p.change.clone(),
                served_seq: served,
                versioned,
            };
            let (generation, db) = pg_edit::commit(state, held, lock_wait_ms, edit)
                .await
                .map_err(IntoResponse::into_response)?;
            let after = match db {
                DbTiming::Beside(t) => AfterCheck::Queue(t),
                DbTiming::Followed {
                    store_ms,
                    commit_ms,
                } => AfterCheck::Commit {
                    store_ms,
                    commit_ms,
                },
            };
            let timing = ServerTiming {
                started,
                check_ms,
                after,
            };
            audit(who, &p.change, generation);
            return Ok((p, generation, timing));
        }
    };
    for _ in 0..ATTEMPTS {
        let t0 = Instant::now();
        let p = prepare(&state.snapshot()).map_err(|r| *r)?;
        let check_ms = ms(t0.elapsed());
        match state
            .queue_edit(path.clone(), p.change.clone(), who.name.clone())
            .await
        {
            Outcome::Served(generation, t) => {
                state.edit_written();
                let timing = ServerTiming {
                    started,
                    check_ms,
                    after: AfterCheck::Queue(t),
                };
                audit(who, &p.change, generation);
                return Ok((p, generation, timing));
            }
            Outcome::Stale => continue,
            Outcome::Refused(e) => return Err(AppError::Conflict(e).into_response()),
            Outcome::Failed(e) => {
                state.edit_failed(&e);
                return Err(AppError::Internal(e).into_response());
            }
        }
    }
    Err(AppError::Conflict(format!(
        "other changes of this feature, through the API or saved in the file, kept coming \
         first ({ATTEMPTS} times): nothing was written; retry"
    ))
    .into_response())
}

/// The office's record of who changed what, in the server's log (target `audit`, on
/// by default): the store's change table keeps the feature before and after.
fn audit(who: &Caller, change: &riskmap_core::live::Change, generation: u64) {
    let op = match (&change.before, &change.after) {
        (None, Some(_)) => "insert",
        (Some(_), None) => "delete",
        _ => "update",
    };
    tracing::info!(
        target: "audit",
        by = %who.name,
        layer = change.layer.name(),
        id = %change.id,
        op,
        generation,
        "edit"
    );
}

/// The response of either outcome.
fn either(r: Result<Response, Response>) -> Response {
    r.unwrap_or_else(|e| e)
}

/// Why the served reading of the store refused its row of feature `id` (a skipped
/// issue of the feature: its row, or a line of its inventory), if it did. The refused
/// rows are gathered once per snapshot: the report of a city may hold a million issues.
fn refused_row(snap: &Snapshot, kind: LayerKind, id: &str) -> Option<String> {
    let kept = snap
        .refused
        .get_or_init(|| riskmap_core::store::Kept::of_report(&snap.report));
    if !kept.refused.get(&kind).is_some_and(|r| r.contains(id)) {
        return None;
    }
    snap.report
        .issues
        .iter()
        .find(|i| {
            i.severity == io::Severity::Skipped
                && i.layer == Some(kind)
                && i.feature_id.as_deref() == Some(id)
        })
        .map(|i| format!("{}: {}", i.code.as_str(), i.message))
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
    let (body, unknown) = with_field_keys(kind, &body, None);
    if unknown.iter().any(io::refuses) {
        return Ok(refused(&unknown));
    }
    let prepare = |snap: &Snapshot| -> Result<Prepared, Box<Response>> {
        let checked = io::feature_from_geojson(
            kind,
            &body,
            None,
            snap.dataset(),
            &snap.load_options(&state.source.load),
        )
        .map_err(|issues| Box::new(refused(&issues)))?;
        let id = checked.feature.id().to_string();
        if snap.live.position(kind, &id).is_some() {
            return Err(AppError::Conflict(format!(
                "'{id}' already exists in layer '{layer}': PUT /api/layers/{layer}/features/{id} replaces it"
            ))
            .into_response()
            .into());
        }
        Ok(Prepared {
            change: Change {
                layer: kind,
                id,
                before: None,
                after: Some(checked.feature),
            },
            issues: [checked.issues, unknown.clone()].concat(),
        })
    };
    Ok(either(run_edit(&state, &who, false, prepare).await.map(
        |(p, generation, timing)| {
            let mut resp = answer(
                StatusCode::CREATED,
                p.change.after.as_ref(),
                generation,
                &p.issues,
            );
            timing.add_to(&mut resp);
            if let Ok(v) =
                HeaderValue::from_str(&format!("/api/layers/{layer}/features/{}", p.change.id))
            {
                resp.headers_mut().insert(header::LOCATION, v);
            }
            resp
        },
    )))
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
    let (body, unknown) = with_field_keys(kind, &body, Some(&id));
    if unknown.iter().any(io::refuses) {
        return Ok(refused(&unknown));
    }
    // A patch of nothing but names that are no field would change nothing: refused,
    // rather than answered as if it had.
    let names_a_field = body
        .get("properties")
        .and_then(Value::as_object)
        .is_some_and(|p| p.len() > unknown.len());
    if merge
        && !unknown.is_empty()
        && !names_a_field
        && body.get("geometry").is_none_or(Value::is_null)
    {
        let issues: Vec<Issue> = unknown
            .iter()
            .map(|i| Issue {
                severity: io::Severity::Skipped,
                ..i.clone()
            })
            .collect();
        return Ok(refused(&issues));
    }
    let prepare = |snap: &Snapshot| -> Result<Prepared, Box<Response>> {
        let before = snap.live.feature(kind, &id);
        check_version(&headers, before.as_ref()).map_err(|e| Box::new(e.into_response()))?;
        let body = if merge {
            let Some(b) = &before else {
                return Err(AppError::not_found(format!(
                    "no feature '{id}' in layer '{layer}' to patch: PUT creates one"
                ))
                .into_response()
                .into());
            };
            // The store's row was changed by another program and the checks refused it
            // (QGIS saved it without a geometry): the map serves the feature as it was,
            // and a patch of that would write it back over the row unseen.
            if let Some(why) = refused_row(snap, kind, &id) {
                return Err(AppError::Conflict(format!(
                    "the store's row of '{id}' is refused by the checks ({why}); the map \
                     shows the feature as it was before: fix the row where it was changed \
                     (QGIS, the database), or PUT the whole feature to replace it"
                ))
                .into_response()
                .into());
            }
            merged(feature_json(b), &body).map_err(|e| Box::new(e.into_response()))?
        } else {
            body.clone()
        };
        let checked = io::feature_from_geojson(
            kind,
            &body,
            Some(&id),
            snap.dataset(),
            &snap.load_options(&state.source.load),
        )
        .map_err(|issues| Box::new(refused(&issues)))?;
        Ok(Prepared {
            change: Change {
                layer: kind,
                id: id.clone(),
                before,
                after: Some(checked.feature),
            },
            issues: [checked.issues, unknown.clone()].concat(),
        })
    };
    let versioned = headers.contains_key(header::IF_MATCH);
    Ok(either(
        run_edit(&state, &who, versioned, prepare)
            .await
            .map(|(p, generation, timing)| {
                let status = if p.change.before.is_none() {
                    StatusCode::CREATED
                } else {
                    StatusCode::OK
                };
                let mut resp = answer(status, p.change.after.as_ref(), generation, &p.issues);
                timing.add_to(&mut resp);
                resp
            }),
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
    // An id the patch gives (the Feature's, or an id property) is the id it means: the
    // checks refuse it when it is not the URL's, rather than patch the URL's feature.
    let given_id = p.get("id").filter(|v| !v.is_null()).or_else(|| {
        p.get("properties")
            .and_then(|q| q.get("id"))
            .filter(|v| !v.is_null())
    });
    if let Some(id) = given_id {
        stored["id"] = id.clone();
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
    let prepare = |snap: &Snapshot| -> Result<Prepared, Box<Response>> {
        let Some(b) = snap.live.feature(kind, &id) else {
            return Err(
                AppError::not_found(format!("no feature '{id}' in layer '{layer}'"))
                    .into_response()
                    .into(),
            );
        };
        check_version(&headers, Some(&b)).map_err(|e| Box::new(e.into_response()))?;
        Ok(Prepared {
            change: Change {
                layer: kind,
                id: id.clone(),
                before: Some(b),
                after: None,
            },
            issues: Vec::new(),
        })
    };
    let versioned = headers.contains_key(header::IF_MATCH);
    Ok(either(
        run_edit(&state, &who, versioned, prepare)
            .await
            .map(|(_, generation, timing)| {
                let mut resp = answer(StatusCode::OK, None, generation, &[]);
                timing.add_to(&mut resp);
                resp
            }),
    ))
}
