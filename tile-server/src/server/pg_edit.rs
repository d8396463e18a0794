//! The edit API on a PostGIS store: the change written to the layer table in one
//! transaction that records it, and served beside it.
//!
//! A server started with `serve --db` applies every committed change of the tables
//! ([`super::pg_listen`]: notifications, rows read by id, the loaders' checks, one
//! batch). An edit through the API is written as QGIS would write it — one transaction
//! with `riskmap.actor` set to the token's name for itself, the row triggers recording
//! who, when, the row before and after in `riskmap_changes` and notifying — so that the
//! other servers of the store (replicas) follow it like any other change.
//!
//! This server does not wait for its own notification: it holds the change path
//! ([`AppState::reload_lock`]) and works the batch out on its spare copy of the map
//! while the transaction runs ([`AppState::apply_edits_stored_held`]); once both are
//! done the batch is served and its change number noted as applied. Holding the change
//! path keeps the database's changes in one order on the map: the follower reads rows
//! and serves them under the same lock, so it never serves a row it read before this
//! transaction committed after this edit (which would put the older row back). When the
//! notification of the edit comes, the follower reads the row, finds it as served, and
//! changes nothing.
//!
//! The `If-Match` version is checked against the served feature, as on a GeoPackage; the
//! transaction then also refuses to overwrite a change of the same feature that another
//! client committed after what is served (not yet applied): `412` with `If-Match`, else
//! `409` — read the feature again once it is served, then retry. A row that another
//! transaction holds (an open editing session) is waited for at most
//! `edit_serve_timeout_s`, then `409`. When the change path is not free within
//! `edit_serve_timeout_s` (a long batch, a reload), the change is written alone and left
//! to the follower: the answer is then `504`, the change is stored and is served when
//! the server catches up; sending it again is not needed.

use std::sync::atomic::Ordering;

use std::sync::Arc;
use std::time::Instant;

use riskmap_core::live::{Change, Edit};
use riskmap_core::store::changes::ChangeRecord;
use riskmap_core::store::pg::{self, EditOutcome};

use super::edit_queue::{Timing, ms};
use super::error::AppError;
use super::state::{AppState, DbUrl};
use super::stored::{Stored, StoredFailure};
use tokio::sync::OwnedMutexGuard;

/// Whether edits to this database can be served: a task must follow it (the map would
/// otherwise not see other clients' changes, and an edit stored while the map is busy
/// would never be served).
pub(super) fn check_following(state: &AppState) -> Result<(), AppError> {
    if state.following_db.load(Ordering::SeqCst) {
        return Ok(());
    }
    Err(AppError::Conflict(
        "this server does not follow its database (`watch = false` in its configuration): \
         its map does not see other clients' changes, so an edit through the API could be \
         made against an old copy or stored and never served. Edit the tables directly \
         and reload, or serve with `watch = true`"
            .into(),
    ))
}

/// Where an edit's time went after its check, milliseconds.
pub(super) enum DbTiming {
    /// Stored and served beside each other: the wait for the change path, the
    /// transaction, the wait for the spare copy, the batch on it, serving it.
    Beside(Timing),
    /// Nothing written (the row was already as asked) after the change path stayed
    /// busy: the transaction, and the wait for the change path with it.
    Followed {
        /// The transaction.
        store_ms: f64,
        /// The wait for the change path and the transaction.
        commit_ms: f64,
    },
}

/// The change path for an edit ([`AppState::reload_lock`]), waited for at most
/// `edit_serve_timeout_s`; `None` when it stayed busy. Taken before the edit is checked,
/// so that nothing changes the served map between the check and the batch.
pub(super) async fn change_path(state: &AppState) -> Option<OwnedMutexGuard<()>> {
    let limit = state.config.edit_serve_timeout();
    tokio::time::timeout(limit, state.change_path()).await.ok()
}

/// An edit through the API to write: `change` made by `actor` against a snapshot that
/// serves database changes up to `served_seq` in order ([`AppState::served_snapshot`]);
/// `versioned`: whether the request carried `If-Match` (a stale copy is then a `412`,
/// else a `409`).
pub(super) struct DbEdit {
    pub(super) url: DbUrl,
    pub(super) actor: String,
    pub(super) change: Change,
    pub(super) served_seq: i64,
    pub(super) versioned: bool,
}

/// Writes `edit` with its record in one transaction, and serves it (see the module's
/// comment); gives the generation serving it. `held`: the change path ([`change_path`],
/// waited for `lock_wait_ms`), under which the change was checked against the served
/// snapshot; without it the change is written alone and left to the follower.
///
/// The transaction and the batch run in a task of their own that holds the change path
/// until the batch is served or let go: a request that goes away meanwhile (its future
/// dropped) leaves neither a batch that would be served after another one took the path
/// nor a change stored without its number noted.
pub(super) async fn commit(
    state: &Arc<AppState>,
    held: Option<OwnedMutexGuard<()>>,
    lock_wait_ms: f64,
    edit: DbEdit,
) -> Result<(u64, DbTiming), AppError> {
    let Some(held) = held else {
        return store_alone(state, &edit, lock_wait_ms).await;
    };
    let me = Arc::clone(state);
    tokio::spawn(async move { beside(&me, held, lock_wait_ms, edit).await })
        .await
        .map_err(|e| AppError::Internal(format!("the edit's task failed: {e}")))?
}

/// [`commit`] under the change path: the transaction beside the batch.
async fn beside(
    state: &Arc<AppState>,
    held: OwnedMutexGuard<()>,
    lock_wait_ms: f64,
    edit: DbEdit,
) -> Result<(u64, DbTiming), AppError> {
    let batch = vec![match &edit.change.after {
        Some(f) => Edit::Put(Box::new(f.clone())),
        None => Edit::Delete {
            layer: edit.change.layer,
            id: edit.change.id.clone(),
        },
    }];
    let actor = edit.actor.clone();
    let store = {
        let state = Arc::clone(state);
        let runtime = tokio::runtime::Handle::current();
        // On a blocking thread, beside the batch; the writer's connection is driven by
        // the runtime meanwhile.
        move || {
            runtime.block_on(async {
                let t0 = Instant::now();
                let written = write(&state, &edit, true).await?;
                Ok::<_, AppError>((written, ms(t0.elapsed())))
            })
        }
    };
    let done = state
        .apply_edits_stored_held(&held, batch, actor, store)
        .await;
    if let Ok(Stored {
        stored: (Some(seq), _),
        ..
    }) = &done
    {
        // Served, before the change path is let go: its notification changes nothing,
        // and a later edit of the same feature is not stale because of it.
        state.note_applied([*seq]);
    }
    drop(held);
    match done {
        Ok(done) => {
            let store_ms = done.stored.1;
            let timing = Timing {
                queued_ms: lock_wait_ms,
                store_ms,
                spare_ms: done.event.spare_wait_ms,
                apply_ms: done.apply_ms,
                serve_ms: done.serve_ms,
            };
            Ok((done.event.generation, DbTiming::Beside(timing)))
        }
        Err(StoredFailure::Store(e)) => Err(e),
        Err(StoredFailure::StoreTask(e)) => Err(AppError::Internal(format!(
            "the change may not be stored: {e}"
        ))),
        // Stored, but the map could not take it: the follower reads the row when its
        // notification comes and reports what it refuses in /health.
        Err(StoredFailure::Batch(e)) => Err(AppError::Internal(format!(
            "the change is stored but the map could not apply it: {e}"
        ))),
    }
}

/// Writes `edit` in one transaction; the number of the change it recorded (`None`: the
/// row was already as asked). Nothing is written when the copy is stale or the row is
/// held by another transaction.
///
/// `held`: whether the change path is held, so that the changes noted as applied are
/// those of the snapshot the edit was checked against; only then may a change after
/// `served_seq` that the map holds pass. Without it a batch served since the check
/// could hold a change of the feature that the edit's copy lacks: every change after
/// `served_seq` is then stale.
async fn write(state: &AppState, edit: &DbEdit, held: bool) -> Result<Option<i64>, AppError> {
    let (change, served_seq) = (&edit.change, edit.served_seq);
    let (layer, id) = (change.layer.name(), &change.id);
    let limit = state.config.edit_serve_timeout();
    let seen = |seq: i64| held && state.seq_applied(seq);
    let by = pg::EditBy {
        actor: &edit.actor,
        served_seq,
        seen: &seen,
        lock_timeout: limit,
    };
    let outcome = {
        let mut writer = state.db_writer.lock().await;
        if writer.as_ref().is_none_or(|(c, _)| c.is_closed()) {
            *writer = Some(
                pg::connect(edit.url.secret())
                    .await
                    .map_err(|e| store_failure(&e, format!("the change was not stored: {e}")))?,
            );
        }
        let Some((client, db)) = writer.as_mut() else {
            return Err(AppError::Internal("no database connection".into()));
        };
        let outcome = pg::apply_change(client, db, change, &by).await;
        if outcome.is_err() {
            // A fresh connection for the next edit, whatever state this one is in.
            *writer = None;
        }
        outcome.map_err(|e| {
            store_failure(
                &e,
                format!("the store refused the change, nothing was stored: {e}"),
            )
        })?
    };
    match outcome {
        EditOutcome::Written { seq } => Ok(seq),
        EditOutcome::Stale { seq, actor } => {
            let msg = format!(
                "'{id}' in layer '{layer}' was changed in the database by {actor} (change \
                 {seq}) after the version this server serves; nothing was stored. It is \
                 served within a moment: read it again, then retry"
            );
            Err(if edit.versioned {
                AppError::PreconditionFailed(msg)
            } else {
                AppError::Conflict(msg)
            })
        }
        EditOutcome::Unseen { exists } => Err(AppError::Conflict(if exists {
            format!(
                "the database has a row '{id}' in layer '{layer}' that this server does not \
                 serve (written without a change record); nothing was stored. Reload the \
                 server to read the tables again"
            )
        } else {
            format!(
                "'{id}' in layer '{layer}' is no longer in the database (deleted, or its id \
                 changed, by another client without a change record); nothing was stored. \
                 Reload the server to read the tables again"
            )
        })),
        EditOutcome::Locked => Err(AppError::Conflict(format!(
            "'{id}' in layer '{layer}' is held by another transaction of the database (an \
             open editing session) for more than {} s; nothing was stored. Retry once it \
             is saved or closed",
            limit.as_secs_f64()
        ))),
    }
}

/// [`commit`] when the change path stayed busy for the whole `edit_serve_timeout_s`
/// (`lock_wait_ms`): the change is written alone and the follower serves it when it
/// catches up; `504` once written.
async fn store_alone(
    state: &AppState,
    edit: &DbEdit,
    lock_wait_ms: f64,
) -> Result<(u64, DbTiming), AppError> {
    let t0 = Instant::now();
    let written = write(state, edit, false).await?;
    let store_ms = ms(t0.elapsed());
    let Some(seq) = written else {
        // The row was already as asked: nothing recorded, nothing to wait for.
        let timing = DbTiming::Followed {
            store_ms,
            commit_ms: lock_wait_ms + store_ms,
        };
        return Ok((state.snapshot().generation, timing));
    };
    // The follower need not wait out its quiet window for more changes: this one is
    // awaited.
    state.db_awaited.fetch_max(seq, Ordering::SeqCst);
    state.db_awaited_bell.notify_one();
    let connected = state.database.lock().map(|d| d.connected).unwrap_or(false);
    Err(AppError::NotServed(format!(
        "the change is stored in the database (change {seq} of riskmap_changes) but not yet \
         served: the server did not get to it within {} s ({}). It is served when the server \
         catches up; sending it again is not needed",
        state.config.edit_serve_timeout().as_secs_f64(),
        if connected {
            "its database connection is up: a long batch or a reload, see /health"
        } else {
            "its database connection is lost, see /health"
        }
    )))
}

/// The change records of the database that a query names.
pub(super) async fn changes_page(
    url: &DbUrl,
    q: &riskmap_core::store::changes::ChangeQuery,
) -> Result<Vec<ChangeRecord>, AppError> {
    let (client, db) = pg::connect(url.secret())
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    pg::changes_page(&client, &db, q)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))
}

/// The change records of the database from `cutoff` on, and the time of its first
/// ([`pg::changes_from`]).
pub(super) async fn changes_from(
    url: &DbUrl,
    cutoff: &str,
) -> Result<(Option<String>, Vec<ChangeRecord>), AppError> {
    let (client, db) = pg::connect(url.secret())
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    pg::changes_from(&client, &db, cutoff)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))
}

/// The answer to an edit the database did not take: a rule of the database's own (a
/// constraint a department added, a value its column cannot hold) refuses the value,
/// `422`; a deadlock or a serialization failure is `409` (retry); a database that
/// cannot be reached is `503` (try again later; a connection lost while committing
/// leaves it unknown whether the change was stored: read the feature again first);
/// anything else `500`.
fn store_failure(e: &riskmap_core::store::StoreError, msg: String) -> AppError {
    let riskmap_core::store::StoreError::Postgres { source, .. } = e else {
        return AppError::Internal(msg);
    };
    let unreachable = || AppError::Busy {
        message: format!(
            "{msg} (the database could not be reached; if it went away while committing, \
             read the feature again before retrying)"
        ),
        retry_after_s: 5,
    };
    match source.code().map(|c| c.code()) {
        Some(c) if c.starts_with("23") || c.starts_with("22") => AppError::Unprocessable(msg),
        Some("40P01" | "40001") => AppError::Conflict(msg),
        Some(c) if c.starts_with("08") || c.starts_with("57P") => unreachable(),
        Some(_) => AppError::Internal(msg),
        // No SQLSTATE: the driver's own error. The connection's (closed, or an I/O
        // error underneath) means the database is out of reach; any other is a fault.
        None if source.is_closed() || io_beneath(source) => unreachable(),
        None => AppError::Internal(msg),
    }
}

/// Whether an I/O error lies beneath a driver error (a connection refused or dropped).
fn io_beneath(e: &tokio_postgres::Error) -> bool {
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        if s.is::<std::io::Error>() {
            return true;
        }
        src = s.source();
    }
    false
}
