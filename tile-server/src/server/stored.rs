//! Batches written to the served store by the server itself: the store's transaction
//! and, beside it, the batch worked out on the spare copy of the map; served once both
//! are done, and not at all when the store refuses.
//!
//! Used by the edit API on both stores: a GeoPackage's edit queue
//! ([`super::edit_queue`]) and a database's edits ([`super::pg_edit`]), so that an edit
//! is served after its transaction plus what is left of the batch, not after both.

use std::sync::Arc;
use std::time::Instant;

use riskmap_core::live::Edit;
use tokio::sync::OwnedMutexGuard;

use super::changes::{ApplyFailure, ChangeEvent};
use super::edit_queue::ms;
use super::state::AppState;

/// A batch served after its store wrote it ([`AppState::apply_edits_stored`]).
#[derive(Debug)]
pub struct Stored<T> {
    /// The batch as served.
    pub event: ChangeEvent,
    /// What the store gave.
    pub stored: T,
    /// Milliseconds waited for the change path (a reload or a past day's batch holding it).
    pub lock_wait_ms: f64,
    /// Milliseconds the batch took on its copy of the map (after waiting for the copy:
    /// `event.spare_wait_ms`), beside the store's transaction.
    pub apply_ms: f64,
    /// Milliseconds from when both were done until the batch was served.
    pub serve_ms: f64,
}

/// Why a stored batch was not served.
#[derive(Debug, thiserror::Error)]
pub enum StoredFailure<E> {
    /// The store refused the edits: nothing was written or served.
    #[error("the store refused the change, nothing was applied: {0}")]
    Store(E),
    /// The store's task ended without an answer (it panicked): nothing is served.
    #[error("the store's task failed, nothing was applied: {0}")]
    StoreTask(String),
    /// The batch failed on the map (the store has the edits).
    #[error(transparent)]
    Batch(ApplyFailure),
}

impl AppState {
    /// [`AppState::apply_edits`] for edits that `store` writes to the served store at the
    /// same time: the batch is worked out on the spare copy while the store's transaction
    /// runs, and served once both are done; the store's answer comes back with the event.
    /// When the store fails, nothing is served and the worked copy is let go (the next
    /// batch copies the served snapshot); when the batch fails, the store has the edits
    /// and the map does not, as when a batch fails after its store.
    pub async fn apply_edits_stored<T: Send + 'static, E: Send + 'static>(
        self: &Arc<Self>,
        edits: Vec<Edit>,
        actor: String,
        store: impl FnOnce() -> Result<T, E> + Send + 'static,
    ) -> Result<Stored<T>, StoredFailure<E>> {
        let t = Instant::now();
        let held = self.change_path().await;
        let lock_wait_ms = ms(t.elapsed());
        let mut stored = self
            .apply_edits_stored_held(&held, edits, actor, store)
            .await?;
        stored.lock_wait_ms = lock_wait_ms;
        Ok(stored)
    }

    /// [`AppState::apply_edits_stored`] by a caller that holds the change path already
    /// (`held`, of [`AppState::reload_lock`]); `lock_wait_ms` is left at 0.
    pub async fn apply_edits_stored_held<T: Send + 'static, E: Send + 'static>(
        self: &Arc<Self>,
        _held: &OwnedMutexGuard<()>,
        edits: Vec<Edit>,
        actor: String,
        store: impl FnOnce() -> Result<T, E> + Send + 'static,
    ) -> Result<Stored<T>, StoredFailure<E>> {
        let (told, hear) = std::sync::mpsc::channel::<bool>();
        let stored = tokio::task::spawn_blocking(move || {
            let r = store();
            let _ = told.send(r.is_ok());
            r
        });
        let me = Arc::clone(self);
        let worked = tokio::task::spawn_blocking(move || {
            let t0 = Instant::now();
            let worked = me.work_blocking(&edits, None, None);
            let work_ms = ms(t0.elapsed());
            // A store that panicked says nothing: as failed.
            let store_ok = hear.recv().unwrap_or(false);
            let joined = Instant::now();
            match (worked, store_ok) {
                (Ok(w), true) => {
                    let apply_ms = work_ms - w.spare_wait_ms;
                    let event = me.serve_worked(w, &edits, actor, None, None);
                    Ok(Some((event, apply_ms, ms(joined.elapsed()))))
                }
                // The copy has the edits that the store refused: let go of it.
                (Ok(_), false) => Ok(None),
                (Err(e), _) => Err(e),
            }
        });
        let (stored, worked) = tokio::join!(stored, worked);
        // When the store failed, the worked copy was let go: another is made for the next
        // batch, quietly, rather than by that batch.
        let stored = match stored {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => {
                self.prepare_spare_quietly();
                return Err(StoredFailure::Store(e));
            }
            Err(e) => {
                self.prepare_spare_quietly();
                return Err(StoredFailure::StoreTask(e.to_string()));
            }
        };
        let worked = worked
            .map_err(|e| StoredFailure::Batch(ApplyFailure::Task(e.to_string())))?
            .map_err(StoredFailure::Batch)?;
        match worked {
            Some((event, apply_ms, serve_ms)) => Ok(Stored {
                event,
                stored,
                lock_wait_ms: 0.0,
                apply_ms: apply_ms.max(0.0),
                serve_ms,
            }),
            // Not reached: a store that succeeded said so.
            None => Err(StoredFailure::StoreTask(
                "the store's answer was lost".into(),
            )),
        }
    }
}
