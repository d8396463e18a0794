//! The edit API on a PostGIS store: the change written to the layer table in one
//! transaction that records it, then served by the task that follows the database.
//!
//! A server started with `serve --db` already applies every committed change of the
//! tables ([`super::pg_listen`]: notifications, rows read by id, the loaders' checks, one
//! batch). An edit through the API is written as QGIS would write it — one transaction
//! with `riskmap.actor` set to the token's name for itself, the row triggers recording
//! who, when, the row before and after in `riskmap_changes` and notifying — and is then
//! served by that same task, like any other change: the handler waits until the
//! change number its transaction produced is served ([`AppState::served_seq`]) and
//! answers with the generation that serves it. There is one change path for the
//! database, in commit order: an edit applied by the handler itself could race with the
//! listener (a QGIS edit of the same feature committed just after it, applied first,
//! then overwritten on the map by the older API edit) and would be applied twice.
//!
//! The `If-Match` version is checked against the served feature, as on a GeoPackage; the
//! transaction then also refuses to overwrite a change of the same feature that another
//! client committed after what is served (not yet applied): `412` with `If-Match`, else
//! `409` — read the feature again once it is served, then retry. When the change is not
//! served within `edit_serve_timeout_s` (the database connection lost, a long batch),
//! the answer is `504`: the change is stored and will be served when the server catches
//! up; sending it again is not needed.

use std::sync::atomic::Ordering;

use riskmap_core::live::Change;
use riskmap_core::store::changes::ChangeRecord;
use riskmap_core::store::pg::{self, EditOutcome};

use super::edit_queue::ms;
use super::error::AppError;
use super::state::{AppState, DbUrl};

/// Whether edits to this database can be served: a task must follow it.
pub(super) fn check_following(state: &AppState) -> Result<(), AppError> {
    if state.following_db.load(Ordering::SeqCst) {
        return Ok(());
    }
    Err(AppError::Conflict(
        "this server does not follow its database (`watch = false` in its configuration): \
         an edit through the API would be stored but never served. Edit the tables \
         directly and reload, or serve with `watch = true`"
            .into(),
    ))
}

/// Writes `change` as made by `actor`, with its record, in one transaction; waits until it
/// is served and gives the generation serving it, with the milliseconds the transaction
/// took (the rest is the wait until served). `served_seq`: the last database change
/// the snapshot the change was made against serves ([`AppState::served_snapshot`]);
/// `versioned`: whether the request carried `If-Match` (a stale copy is then a `412`,
/// else a `409`).
pub(super) async fn commit(
    state: &AppState,
    url: &DbUrl,
    actor: &str,
    change: Change,
    served_seq: i64,
    versioned: bool,
) -> Result<(u64, f64), AppError> {
    let (layer, id) = (change.layer.name(), change.id.clone());
    let started = std::time::Instant::now();
    let outcome = {
        let mut writer = state.db_writer.lock().await;
        if writer.as_ref().is_none_or(|(c, _)| c.is_closed()) {
            *writer = Some(
                pg::connect(url.secret())
                    .await
                    .map_err(|e| AppError::Internal(format!("the change was not stored: {e}")))?,
            );
        }
        let Some((client, db)) = writer.as_mut() else {
            return Err(AppError::Internal("no database connection".into()));
        };
        let outcome = pg::apply_change(client, db, &change, actor, served_seq).await;
        if outcome.is_err() {
            // A fresh connection for the next edit, whatever state this one is in.
            *writer = None;
        }
        outcome.map_err(|e| {
            AppError::Internal(format!(
                "the store refused the change, nothing was stored: {e}"
            ))
        })?
    };
    let seq = match outcome {
        EditOutcome::Stale { seq, actor } => {
            let msg = format!(
                "'{id}' in layer '{layer}' was changed in the database by {actor} (change \
                 {seq}) after the version this server serves; nothing was stored. It is \
                 served within a moment: read it again, then retry"
            );
            return Err(if versioned {
                AppError::PreconditionFailed(msg)
            } else {
                AppError::Conflict(msg)
            });
        }
        // The row was already as asked: nothing recorded, nothing to wait for.
        EditOutcome::Written { seq: None } => {
            return Ok((state.snapshot().generation, ms(started.elapsed())));
        }
        EditOutcome::Written { seq: Some(seq) } => seq,
    };
    let store_ms = ms(started.elapsed());
    // The follower need not wait out its quiet window for more changes: this one is
    // awaited.
    state
        .db_awaited
        .fetch_max(seq, std::sync::atomic::Ordering::SeqCst);
    state.db_awaited_bell.notify_one();
    let limit = state.config.edit_serve_timeout();
    let mut served = state.served_seq.subscribe();
    // Its own number applied, not just a higher one: transactions commit out of the
    // order of their numbers, so a later-numbered change may be served before this one.
    match tokio::time::timeout(
        limit,
        served.wait_for(|s| *s >= seq && state.seq_applied(seq)),
    )
    .await
    {
        Ok(Ok(_)) => Ok((state.snapshot().generation, store_ms)),
        Ok(Err(_)) => Err(AppError::Internal(format!(
            "the change is stored (change {seq}) but the server stopped following the database"
        ))),
        Err(_) => {
            let connected = state.database.lock().map(|d| d.connected).unwrap_or(false);
            Err(AppError::NotServed(format!(
                "the change is stored in the database (change {seq} of riskmap_changes) but \
                 not yet served: the server did not apply it within {} s ({}). It is served \
                 when the server catches up; sending it again is not needed",
                limit.as_secs_f64(),
                if connected {
                    "its database connection is up: a long batch, see /health"
                } else {
                    "its database connection is lost, see /health"
                }
            )))
        }
    }
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
