//! Following the data source while serving: a data folder's files, or a GeoPackage that
//! another program (QGIS, `ogr2ogr`, a second `riskmap import`) changed.
//!
//! A change seen by the file system is let settle (half a second without another), then
//! the source is read again through the same loaders and checks, compared by feature id
//! with what is served, and the differences go through the same change path as an edit
//! ([`AppState::apply_edits`], actor `file`), so the analysis follows incrementally and
//! only the tiles the changes touch are drawn again. A GeoPackage whose triggers marked
//! the rows that changed is read by those rows alone (`file_rows`); a folder, or a file
//! whose marks cannot say what changed, is read whole. A read that fails, or that would
//! lose more of a layer than `reload_max_loss` allows, changes nothing and is reported in
//! `/health` like a failed reload.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use notify::{EventKind, RecursiveMode, Watcher};
use riskmap_core::dataset::{Dataset, Layer};
use riskmap_core::live::{AnyFeature, Change, Edit, Live};
use riskmap_core::model::Feature;
use riskmap_core::store::Kept;
use riskmap_core::store::changes::TrailFollowed;
use riskmap_core::store::stamp::FileStamp;
use serde::Serialize;
use tokio::sync::mpsc;

use super::changes::{ChangeEvent, Reading};
use super::reload::compare;
use super::state::AppState;

/// Quiet time after the last file event before the source is read.
const SETTLE: Duration = Duration::from_millis(500);

/// What follows the source, for as long as it lives.
pub enum Follower {
    /// The file system's events.
    Events(notify::RecommendedWatcher),
    /// A scan at this interval (a network file system, or `watch_poll_s`).
    Scans(super::scan::Scans, Duration),
}

impl Follower {
    /// How often the source is scanned, when it is.
    pub fn scanned_every(&self) -> Option<Duration> {
        match self {
            Follower::Events(_) => None,
            Follower::Scans(_, every) => Some(*every),
        }
    }
}

/// Starts following the source; the watcher lives as long as the returned value. By the
/// file system's events, or by a scan where those do not come (`watch_poll_s`).
pub fn watch(state: Arc<AppState>) -> Result<Follower, notify::Error> {
    let source = state.source.dir.clone();
    let (dir, only) = if source.is_dir() {
        (source.clone(), None)
    } else {
        let parent = source
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let name = source
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        (parent, Some(name))
    };
    let (tx, mut rx) = mpsc::unbounded_channel::<()>();
    let recursive = only.is_none();
    // A GeoPackage: the file and its write-ahead log; a folder: anything but hidden and
    // temporary files (editors' and the loaders' own).
    let relevant: super::scan::Relevant = Arc::new(move |name: &str| match &only {
        Some(f) => name.starts_with(f.as_str()) && !name.ends_with("-shm"),
        None => !name.starts_with('.') && !name.ends_with('~') && !name.starts_with("~$"),
    });
    let every = match state.config.watch_poll_s {
        0 => super::scan::network_fs(&dir).map(|fs| {
            tracing::info!(
                folder = %dir.display(),
                fs,
                every_s = super::scan::POLL_DEFAULT.as_secs(),
                "the data is on a network file system, whose changes made elsewhere send no \
                 events here: it is scanned instead"
            );
            super::scan::POLL_DEFAULT
        }),
        s => Some(Duration::from_secs(s)),
    };
    let follower = match every {
        Some(every) => Follower::Scans(
            super::scan::Scans::start(dir, recursive, relevant, every, tx),
            every,
        ),
        None => {
            let handler = move |ev: notify::Result<notify::Event>| {
                let Ok(ev) = ev else { return };
                if matches!(ev.kind, EventKind::Access(_)) {
                    return;
                }
                let named = |p: &PathBuf| {
                    p.file_name()
                        .is_some_and(|n| relevant(&n.to_string_lossy()))
                };
                if ev.paths.iter().any(named) {
                    let _ = tx.send(());
                }
            };
            let mode = if recursive {
                RecursiveMode::Recursive
            } else {
                RecursiveMode::NonRecursive
            };
            let mut w = notify::recommended_watcher(handler)?;
            w.watch(&dir, mode)?;
            Follower::Events(w)
        }
    };
    tokio::spawn(async move {
        while rx.recv().await.is_some() {
            // Let a copy or a save finish: wait until the events stop.
            while let Ok(Some(())) = tokio::time::timeout(SETTLE, rx.recv()).await {}
            if state.file_as_served() {
                // The server's own edit, or a change already read.
                continue;
            }
            match state.sync_from_source().await {
                Ok(SyncOutcome::Applied(ev)) => tracing::info!(
                    generation = ev.generation,
                    features = ev.features,
                    "data source changed: applied"
                ),
                Ok(SyncOutcome::Unchanged) => {
                    tracing::debug!("data source touched, nothing changed")
                }
                Ok(SyncOutcome::Refused(why)) | Err(why) => {
                    tracing::error!(error = %why, "data source changed but was not applied");
                }
            }
        }
    });
    Ok(follower)
}

impl AppState {
    /// The stamp of the store file as the served map has it (see
    /// [`AppState::file_known`]).
    pub fn file_known(&self) -> Option<FileStamp> {
        self.file_known.lock().ok().and_then(|k| k.clone())
    }

    /// Records the store file's stamp as the served map has it.
    pub fn note_file_known(&self, stamp: FileStamp) {
        if let Ok(mut k) = self.file_known.lock() {
            *k = Some(stamp);
        }
    }

    /// How far the served map follows the store file's trail.
    pub fn trail_followed(&self) -> TrailFollowed {
        match self.trail_followed.lock() {
            Ok(t) => t.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Records how far the served map follows the store file's trail.
    pub(super) fn follow_trail(&self, followed: TrailFollowed) {
        match self.trail_followed.lock() {
            Ok(mut t) => *t = followed,
            Err(poisoned) => *poisoned.into_inner() = followed,
        }
    }

    /// Puts the map's position in the trail back to `back` if it is still `set` (an own
    /// write's that the map then failed to serve; not over a later reading's).
    pub(super) fn unfollow_own_write(&self, set: &TrailFollowed, back: TrailFollowed) {
        let mut t = match self.trail_followed.lock() {
            Ok(t) => t,
            Err(poisoned) => poisoned.into_inner(),
        };
        if *t == *set {
            *t = back;
        }
    }

    /// Records the server's own write of the store file: the trail's last record then,
    /// and the file's stamp after it (none when another program wrote the file at once
    /// after: the file is then read again before the next edit).
    pub fn note_own_write(&self, trail: u64, stamp: Option<FileStamp>) {
        // Written under the file's lock, into the file as the map has it: the map
        // follows the whole trail.
        self.follow_trail(TrailFollowed::upto(trail));
        match stamp {
            Some(s) => self.note_file_known(s),
            None => self.forget_file_known(),
        }
    }

    /// Why the GeoPackage as it is now was not followed, if its last reading was refused
    /// or failed and nobody wrote it since.
    pub fn refused_reading(&self) -> Option<String> {
        let r = self.file_refused.lock().ok()?;
        let (stamp, why) = r.as_ref()?;
        (*stamp == FileStamp::of(&self.source.dir)).then(|| why.clone())
    }

    /// Forgets the store file's stamp: the next edit reads the file again first, and so
    /// does the watcher at its next event.
    pub fn forget_file_known(&self) {
        if let Ok(mut k) = self.file_known.lock() {
            *k = None;
        }
    }

    /// Whether the store file is as the served map has it (written by the server's own
    /// edits or read since): nothing to read back.
    fn file_as_served(&self) -> bool {
        self.file_known()
            .is_some_and(|k| k == FileStamp::of(&self.source.dir))
    }
}

/// What reading the source again did.
#[derive(Debug, Clone, Serialize)]
pub enum SyncOutcome {
    /// The differences were applied.
    Applied(ChangeEvent),
    /// Nothing differs from what is served.
    Unchanged,
    /// The new data would lose too much; nothing was applied.
    Refused(String),
}

impl SyncOutcome {
    /// A reading refused for what it would lose.
    pub(super) fn refused(c: &super::reload::Comparison) -> SyncOutcome {
        SyncOutcome::Refused(format!(
            "refused: {} (POST /admin/reload?force=true accepts it)",
            c.summary()
        ))
    }
}

impl AppState {
    /// Reads the source again and applies what differs from what is served.
    pub async fn sync_from_source(self: &Arc<Self>) -> Result<SyncOutcome, String> {
        self.sync_as("file").await
    }

    /// [`AppState::sync_from_source`] with the changes made by `actor`. Holds the change
    /// path from before the reading until its differences are served: an edit served
    /// in between would be compared with a reading that does not have it, and taken
    /// back.
    pub async fn sync_as(self: &Arc<Self>, actor: &str) -> Result<SyncOutcome, String> {
        let held = self.change_path().await;
        let stamp = self.source.file_stamp();
        // Read while this waited for the change path (by an edit that found the file
        // changed, or the watcher): nothing to read again.
        if stamp.is_some() && stamp == self.file_known() {
            // The file is as served (put back as it was): no refusal stands.
            self.note_reading(None);
            return Ok(SyncOutcome::Unchanged);
        }
        let outcome = self.sync_held(&held, actor, stamp.clone()).await;
        self.note_reading(match &outcome {
            Ok(SyncOutcome::Refused(why)) | Err(why) => Some(why.clone()),
            Ok(_) => None,
        });
        if let (Some(stamp), Ok(mut r)) = (stamp, self.file_refused.lock()) {
            *r = match &outcome {
                Ok(SyncOutcome::Refused(why)) => Some((stamp, why.clone())),
                Err(why) => Some((stamp, why.clone())),
                Ok(_) => None,
            };
        }
        outcome
    }

    /// The reading, comparison and batch of [`AppState::sync_as`], under the change
    /// path. For a GeoPackage (`stamp`: the file's before the reading), the differences
    /// served are recorded in the file's trail, as made by `actor`, and the file is
    /// known as served from then on.
    async fn sync_held(
        self: &Arc<Self>,
        held: &tokio::sync::OwnedMutexGuard<()>,
        actor: &str,
        stamp: Option<FileStamp>,
    ) -> Result<SyncOutcome, String> {
        let source = self.source.clone();
        let recorded_after = self.trail_followed();
        if let Some(stamp) = &stamp
            && let Some(t) = self.touched_rows(&recorded_after).await
        {
            return self
                .sync_rows(held, actor, stamp.clone(), &recorded_after, t)
                .await;
        }
        self.metrics
            .source_readings
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // The file read whole: the marks of changed rows it has now are read with it,
        // and every record of its trail up to the last one now.
        let (loaded, seq, read_trail, touched_upto) = tokio::task::spawn_blocking(move || {
            let (trail, upto) = source.file_state().map_or((0, 0), |(_, t, m)| (t, m));
            super::pools::background(|| source.load()).map(|(l, seq)| (l, seq, trail, upto))
        })
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
        let served = self.snapshot();
        let max_loss = self.config.reload_max_loss;
        let comparison = compare(
            &served.dataset().counts(),
            &served.report,
            &loaded.dataset.counts(),
            &loaded.report,
            max_loss,
            super::reload::moved(
                (served.dataset(), &served.report),
                (&loaded.dataset, &loaded.report),
                max_loss,
            ),
        );
        if !comparison.acceptable() {
            return Ok(SyncOutcome::refused(&comparison));
        }
        for m in &comparison.moved {
            let from: Vec<&str> = m.from.iter().map(|f| f.file.as_str()).collect();
            let to: Vec<&str> = m.to.iter().map(|f| f.file.as_str()).collect();
            tracing::info!(layer = m.layer, from = %from.join(", "), to = %to.join(", "), "a layer's ledger read under new names");
        }
        // A line the checks refuse now keeps its served feature (until it is fixed, as
        // when the rows are read one by one): a line that cannot be read is not a
        // feature deleted.
        let kept = Kept::of_report(&loaded.report);
        let edits = diff(&served, &loaded.dataset, &kept);
        // Words for the hidden hazards' stages changed (`[statuses]`, a store's
        // `riskmap_status_words`) but no row reads differently yet: still a new
        // generation, so that edits from now on are read with them.
        let words_changed = served.statuses != loaded.statuses;
        // Nothing reads differently, but the checks say otherwise of a line (a row saved
        // without a geometry, whose served feature stays): the validation report is
        // served anew, as a reading by rows serves it.
        let report_only = edits.is_empty() && loaded.report.issues != served.report.issues;
        // What each difference was, for the trail.
        let trail: Vec<Change> = if stamp.is_some() || self.folder_trail().is_some() {
            edits.iter().map(|e| change_of(&served, e)).collect()
        } else {
            Vec::new()
        };
        drop(served);
        // The reading's report, for a folder's trail: the files it read whole (the map
        // keeps its last report when nothing changed).
        let trail_report = self.folder_trail().map(|_| loaded.report.clone());
        let outcome = if edits.is_empty() && !words_changed && !report_only {
            SyncOutcome::Unchanged
        } else {
            let reading = Reading {
                report: loaded.report,
                statuses: Some(loaded.statuses),
            };
            let event = self
                .apply_edits_held(held, edits, actor.into(), Some(reading))
                .await
                .map_err(|e| e.to_string())?;
            SyncOutcome::Applied(event)
        };
        self.read_up_to(seq);
        match stamp {
            Some(stamp) => {
                self.settle_reading(
                    trail,
                    actor,
                    stamp,
                    &recorded_after,
                    read_trail,
                    touched_upto,
                )
                .await;
            }
            None => {
                self.record_in_folder_trail(trail, actor, false, trail_report)
                    .await;
            }
        }
        Ok(outcome)
    }

    /// A database's reading served (a reload's, or a follower's catch-up): the map has
    /// every change up to `seq`, the last change recorded before the reading.
    pub(super) fn read_up_to(&self, seq: Option<i64>) {
        let Some(seq) = seq else { return };
        if let Ok(mut d) = self.database.lock() {
            d.last_seq = Some(seq);
        }
        self.note_applied_up_to(seq);
        self.note_served(seq);
    }
}

/// A difference found in the source as the change it makes to what `served` has.
pub(super) fn change_of(served: &super::state::Snapshot, e: &Edit) -> Change {
    let (layer, id, after) = match e {
        Edit::Put(f) => (f.layer(), f.id().to_string(), Some((**f).clone())),
        Edit::Delete { layer, id } => (*layer, id.clone(), None),
    };
    Change {
        before: served.live.feature(layer, &id),
        layer,
        id,
        after,
    }
}

/// The edits that make the ledgers `served` has into `new`, matched by feature id (the
/// living map's index of ids), layer by layer; a served feature that `new` lacks and
/// `kept` keeps (its line refused, its layer not read whole) is left as served.
pub fn diff(served: &super::state::Snapshot, new: &Dataset, kept: &Kept) -> Vec<Edit> {
    let (old, live) = (served.dataset(), &served.live);
    let mut out = Vec::new();
    diff_layer(
        live,
        &old.areas,
        &new.areas,
        AnyFeature::Area,
        kept,
        &mut out,
    );
    diff_layer(
        live,
        &old.enterprises,
        &new.enterprises,
        AnyFeature::Enterprise,
        kept,
        &mut out,
    );
    diff_layer(
        live,
        &old.hazard_sources,
        &new.hazard_sources,
        AnyFeature::HazardSource,
        kept,
        &mut out,
    );
    diff_layer(
        live,
        &old.gas_pipelines,
        &new.gas_pipelines,
        AnyFeature::GasPipeline,
        kept,
        &mut out,
    );
    diff_layer(
        live,
        &old.houses,
        &new.houses,
        AnyFeature::House,
        kept,
        &mut out,
    );
    diff_layer(
        live,
        &old.protection_targets,
        &new.protection_targets,
        AnyFeature::ProtectionTarget,
        kept,
        &mut out,
    );
    diff_layer(
        live,
        &old.hidden_hazards,
        &new.hidden_hazards,
        AnyFeature::HiddenHazard,
        kept,
        &mut out,
    );
    out
}

/// One layer of [`diff`]: a feature of `new` that `old` lacks or has otherwise is put,
/// a feature of `old` that `new` lacks is deleted.
fn diff_layer<P: PartialEq + Clone>(
    live: &Live,
    old: &Layer<P>,
    new: &Layer<P>,
    wrap: fn(Feature<P>) -> AnyFeature,
    keep: &Kept,
    out: &mut Vec<Edit>,
) {
    let kind = old.kind();
    let mut kept = vec![false; old.len()];
    for f in new.features() {
        let was = live
            .position(kind, &f.id)
            .and_then(|p| Some((p, old.get(p)?)));
        if let Some((p, _)) = was {
            kept[p] = true;
        }
        if !was.is_some_and(|(_, b)| b.reads_as(f)) {
            out.push(Edit::Put(Box::new(wrap(f.clone()))));
        }
    }
    for (f, kept) in old.features().iter().zip(kept) {
        if !kept && !keep.keeps(kind, &f.id) {
            out.push(Edit::Delete {
                layer: kind,
                id: f.id.clone(),
            });
        }
    }
}
