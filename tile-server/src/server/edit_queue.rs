//! Edits through the API to a GeoPackage store, grouped.
//!
//! Each request is checked on its own (the loaders' validation, `If-Match`) against the
//! snapshot it read, then handed to one task that commits the edits waiting at that
//! moment together: one transaction of the store (each change recorded with its own
//! author) and one batch of the living map, answered when the batch is served. Edits
//! that arrive while a group is being committed form the next group, so the cost of a
//! transaction and of a batch is shared by however many edits came meanwhile: under
//! load the groups grow, idle a group is one edit.
//!
//! A request whose feature changed after it read it (an earlier edit of the same feature,
//! in this group or one not yet served when it read, or a change of the file by another
//! program) is not written: it is told so once its group is served, and checks again
//! against the new state, so an `If-Match` that no longer holds gets its `412` and a
//! patch merges into what the earlier edit left.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::Instant;

use riskmap_core::live::{AnyFeature, Change, Edit};
use riskmap_core::model::LayerKind;
use riskmap_core::store::StoreError;
use riskmap_core::store::changes::TrailFollowed;
use riskmap_core::store::changes::feature_version;
use riskmap_core::store::gpkg;
use riskmap_core::store::stamp::FileStamp;
use tokio::sync::{mpsc, oneshot};

/// The kept-open store of the queue.
type Editor = std::sync::Mutex<gpkg::Editor>;

use super::state::AppState;
use super::stored::StoredFailure;
use super::watch::SyncOutcome;

/// The most edits committed in one group.
const MAX_GROUP: usize = 2000;

/// Where an edit's time went, milliseconds: waiting for its group (and for the change
/// path, which a reload may hold); the group's store transaction and, beside it, the
/// group's batch on a copy of the map (after waiting for the copy: the one the previous
/// batch replaced, being brought up to date); then, once both are done, serving the
/// batch.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Timing {
    pub(super) queued_ms: f64,
    pub(super) store_ms: f64,
    pub(super) spare_ms: f64,
    pub(super) apply_ms: f64,
    pub(super) serve_ms: f64,
}

/// What became of an edit handed to the queue.
#[derive(Debug)]
pub(super) enum Outcome {
    /// Written and served, in this generation.
    Served(u64, Timing),
    /// The feature changed after the request read it: nothing was written; read again.
    Stale,
    /// The store or the batch failed: nothing of the group is served.
    Failed(String),
    /// The file was changed by another program in a way the map does not follow (a
    /// reading refused or failed): nothing is written until it is fixed or reloaded.
    Refused(String),
}

struct Pending {
    change: Change,
    actor: String,
    reply: oneshot::Sender<Outcome>,
    arrived: Instant,
}

/// The queue of edits to a GeoPackage store (started by the first edit).
#[derive(Default)]
pub struct EditQueue {
    tx: std::sync::OnceLock<mpsc::UnboundedSender<Pending>>,
    /// Edits handed to the queue and not yet taken into a group.
    waiting: Arc<AtomicUsize>,
}

impl EditQueue {
    /// How many edits are handed to the queue and not yet taken into a group: edits
    /// that wait for the batch after the one being served.
    pub(super) fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }
}

impl AppState {
    /// Hands `change` (made by `actor`, its `before` as the request read it) to the task
    /// that commits edits to the GeoPackage at `path`, and waits for what became of it.
    pub(super) async fn queue_edit(
        self: &Arc<Self>,
        path: PathBuf,
        change: Change,
        actor: String,
    ) -> Outcome {
        let tx = self.edit_queue.tx.get_or_init(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            let waiting = Arc::clone(&self.edit_queue.waiting);
            tokio::spawn(commit_loop(Arc::downgrade(self), path, rx, waiting));
            tx
        });
        let (reply, answer) = oneshot::channel();
        let pending = Pending {
            change,
            actor,
            reply,
            arrived: Instant::now(),
        };
        self.edit_queue.waiting.fetch_add(1, Ordering::Relaxed);
        if tx.send(pending).is_err() {
            self.edit_queue.waiting.fetch_sub(1, Ordering::Relaxed);
            return Outcome::Failed("the edit queue has stopped".into());
        }
        answer
            .await
            .unwrap_or_else(|_| Outcome::Failed("the edit queue dropped the edit".into()))
    }
}

/// Commits the edits as they come, the waiting ones together, until the server is gone.
async fn commit_loop(
    state: Weak<AppState>,
    path: PathBuf,
    mut rx: mpsc::UnboundedReceiver<Pending>,
    waiting: Arc<AtomicUsize>,
) {
    // The store stays open between groups (its schema read and statements prepared
    // once); only one group is committed at a time.
    let editor = Arc::new(std::sync::Mutex::new(gpkg::Editor::new(&path)));
    while let Some(first) = rx.recv().await {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(p) => group.push(p),
                Err(_) => break,
            }
        }
        waiting.fetch_sub(group.len(), Ordering::Relaxed);
        let Some(state) = state.upgrade() else {
            break;
        };
        commit_group(&state, &editor, group).await;
    }
}

/// The version of a feature or of its absence.
fn version(f: Option<&AnyFeature>) -> Option<String> {
    f.map(feature_version)
}

async fn commit_group(state: &Arc<AppState>, editor: &Arc<Editor>, group: Vec<Pending>) {
    // Each edit against the served state with the group's earlier edits on top of it.
    let (accepted, stale) = {
        let snap = state.snapshot();
        let mut now: HashMap<(LayerKind, String), Option<String>> = HashMap::new();
        let mut accepted = Vec::with_capacity(group.len());
        let mut stale = Vec::new();
        for p in group {
            let key = (p.change.layer, p.change.id.clone());
            let current = match now.get(&key) {
                Some(v) => v.clone(),
                None => version(snap.live.feature(key.0, &key.1).as_ref()),
            };
            if current == version(p.change.before.as_ref()) {
                now.insert(key, version(p.change.after.as_ref()));
                accepted.push(p);
            } else {
                stale.push(p);
            }
        }
        (accepted, stale)
    };
    let started = Instant::now();
    let outcome = match commit(state, editor, &accepted).await {
        Ok(done) => Ok(done),
        Err(CommitError::Failed(e)) => Err(e),
        // Another program wrote the file after the map was read: the edits were checked
        // against rows that may be gone. The file is read again and each edit checked
        // against what it holds now (as one that lost the race to another edit).
        Err(CommitError::ChangedElsewhere) => {
            let refused = match state.refused_reading() {
                // Read already, and refused: not read again until the file changes.
                Some(r) => Some(r),
                None => match state.sync_from_source().await {
                    Ok(SyncOutcome::Applied(_) | SyncOutcome::Unchanged) => None,
                    Ok(SyncOutcome::Refused(r)) => Some(r),
                    Err(e) => Some(format!("the file could not be read again: {e}")),
                },
            };
            let o = || match &refused {
                None => Outcome::Stale,
                Some(r) => Outcome::Refused(format!(
                    "{}: changed by another program, and the map does not follow the file as \
                     it is now ({r}): nothing was written; fix the file, or reload the server",
                    state.source.dir.display()
                )),
            };
            for p in accepted.into_iter().chain(stale) {
                let _ = p.reply.send(o());
            }
            return;
        }
    };
    for p in accepted {
        let o = match &outcome {
            Ok((g, t)) => Outcome::Served(
                *g,
                Timing {
                    queued_ms: ms(started.saturating_duration_since(p.arrived)) + t.queued_ms,
                    ..*t
                },
            ),
            Err(e) => Outcome::Failed(e.clone()),
        };
        let _ = p.reply.send(o);
    }
    // Told only now, so that reading again sees what made them stale.
    for p in stale {
        let _ = p.reply.send(Outcome::Stale);
    }
}

/// A duration in milliseconds.
pub(super) fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Why a group was not committed.
#[derive(Debug, thiserror::Error)]
enum CommitError {
    /// Another program wrote the store file since the map was read: nothing was written.
    #[error("changed by another program since the map was read")]
    ChangedElsewhere,
    /// The store or the batch failed.
    #[error("{0}")]
    Failed(String),
}

/// Writes the edits in one transaction and serves them as one batch; the generation, and
/// how long each took. The transaction writes only into a file that is as the served
/// map has it.
async fn commit(
    state: &Arc<AppState>,
    editor: &Arc<Editor>,
    edits: &[Pending],
) -> Result<(u64, Timing), CommitError> {
    if edits.is_empty() {
        return Ok((state.snapshot().generation, Timing::default()));
    }
    let changes: Vec<Change> = edits.iter().map(|p| p.change.clone()).collect();
    let actors: Vec<String> = edits.iter().map(|p| p.actor.clone()).collect();
    let batch: Vec<Edit> = changes
        .iter()
        .map(|c| match &c.after {
            Some(f) => Edit::Put(Box::new(f.clone())),
            None => Edit::Delete {
                layer: c.layer,
                id: c.id.clone(),
            },
        })
        .collect();
    let mut names: Vec<&str> = actors.iter().map(String::as_str).collect();
    names.sort_unstable();
    names.dedup();
    let actor = names.join(", ");
    // A file that another program wrote since the map was read is read again before any
    // work is done (the transaction looks again, under the file's write lock).
    let path = &state.source.dir;
    if state.file_known() != Some(FileStamp::of(path)) {
        return Err(CommitError::ChangedElsewhere);
    }
    // The map's position in the trail before the write and after it, taken under the
    // change path: put back if the batch fails.
    let positions = Arc::new(std::sync::Mutex::new(None));
    let noted = Arc::clone(&positions);
    let editor = Arc::clone(editor);
    let me = Arc::clone(state);
    let store = move || {
        let t0 = Instant::now();
        let actors: Vec<&str> = actors.iter().map(String::as_str).collect();
        let mut e = match editor.lock() {
            Ok(e) => e,
            // A panic in an earlier group: a new editor opens the file again.
            Err(poisoned) => {
                let mut e = poisoned.into_inner();
                e.reset();
                e
            }
        };
        // (Under the change path: the map's reading of the file cannot move meanwhile.)
        // (Unknown after a batch that failed: the file is read again first.)
        let Some(known) = me.file_known() else {
            return Err(CommitError::ChangedElsewhere);
        };
        let before = me.trail_followed();
        let written = e.apply_unless_changed(&changes, &actors, &known);
        drop(e);
        match written {
            Ok((seq, stamp)) => {
                if let Ok(mut p) = noted.lock() {
                    *p = Some((before, TrailFollowed::upto(seq)));
                }
                me.note_own_write(seq, stamp);
            }
            Err(StoreError::ChangedElsewhere { .. }) => return Err(CommitError::ChangedElsewhere),
            Err(e) => return Err(CommitError::Failed(e.to_string())),
        }
        Ok(ms(t0.elapsed()))
    };
    // The batch is worked out on the map's copy while the transaction runs.
    let done = match state.apply_edits_stored(batch, actor, store).await {
        Ok(done) => done,
        Err(StoredFailure::Store(e)) => return Err(e),
        Err(e @ StoredFailure::StoreTask(_)) => return Err(CommitError::Failed(e.to_string())),
        Err(e @ StoredFailure::Batch(_)) => {
            // The file has the edits and the map does not: the map reads the file again
            // rather than serve it without them until a reload (their records are in
            // the trail already: not recorded again as read from the file).
            let noted = positions.lock().ok().and_then(|mut p| p.take());
            if let Some((before, set)) = noted {
                state.unfollow_own_write(&set, before);
            }
            state.forget_file_known();
            let st = Arc::clone(state);
            tokio::spawn(async move { st.sync_from_source().await });
            return Err(CommitError::Failed(format!(
                "{e}; the edits are stored, and the map is reading the file again to follow them"
            )));
        }
    };
    let timing = Timing {
        queued_ms: done.lock_wait_ms,
        store_ms: done.stored,
        spare_ms: done.event.spare_wait_ms,
        apply_ms: done.apply_ms,
        serve_ms: done.serve_ms,
    };
    Ok((done.event.generation, timing))
}
