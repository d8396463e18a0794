//! Following the data source while serving: a data folder's files, or a GeoPackage that
//! another program (QGIS, `ogr2ogr`, a second `riskmap import`) changed.
//!
//! A change seen by the file system is let settle (half a second without another), then
//! the source is read again through the same loaders and checks, compared by feature id
//! with what is served, and the differences go through the same change path as an edit
//! ([`AppState::apply_edits`], actor `file`), so the analysis follows incrementally and
//! only the tiles the changes touch are drawn again. A read that fails, or that would lose
//! more of a layer than `reload_max_loss` allows, changes nothing and is reported in
//! `/health` like a failed reload.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use notify::{EventKind, RecursiveMode, Watcher};
use riskmap_core::dataset::{Dataset, Layer};
use riskmap_core::live::{AnyFeature, Edit};
use riskmap_core::model::Feature;
use serde::Serialize;
use tokio::sync::mpsc;

use super::changes::{ChangeEvent, Reading};
use super::reload::compare;
use super::state::AppState;

/// Quiet time after the last file event before the source is read.
const SETTLE: Duration = Duration::from_millis(500);

/// Starts following the source; the watcher lives as long as the returned value.
pub fn watch(state: Arc<AppState>) -> Result<notify::RecommendedWatcher, notify::Error> {
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
    let mut watcher = notify::recommended_watcher(move |ev: notify::Result<notify::Event>| {
        let Ok(ev) = ev else { return };
        if matches!(ev.kind, EventKind::Access(_)) {
            return;
        }
        let relevant = ev.paths.iter().any(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            // A GeoPackage: the file and its write-ahead log; a folder: anything but
            // hidden and temporary files (editors' and the loaders' own).
            match &only {
                Some(f) => name.starts_with(f.as_str()) && !name.ends_with("-shm"),
                None => !name.starts_with('.') && !name.ends_with('~') && !name.starts_with("~$"),
            }
        });
        if relevant {
            let _ = tx.send(());
        }
    })?;
    let mode = if recursive {
        RecursiveMode::Recursive
    } else {
        RecursiveMode::NonRecursive
    };
    watcher.watch(&dir, mode)?;
    tokio::spawn(async move {
        while rx.recv().await.is_some() {
            // Let a copy or a save finish: wait until the events stop.
            while let Ok(Some(())) = tokio::time::timeout(SETTLE, rx.recv()).await {}
            if state.is_own_write() {
                // The server's own edit, already served.
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
    Ok(watcher)
}

/// The size and modification time of a store file and its write-ahead log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileStamp(Vec<Option<(u64, std::time::SystemTime)>>);

impl FileStamp {
    /// The stamp of `path` (and `path-wal`) now.
    pub fn of(path: &Path) -> FileStamp {
        let one = |p: &Path| {
            std::fs::metadata(p)
                .ok()
                .and_then(|m| Some((m.len(), m.modified().ok()?)))
        };
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        FileStamp(vec![one(path), one(Path::new(&wal))])
    }
}

impl AppState {
    /// Records the store file as the server's own write left it.
    pub fn note_own_write(&self) {
        if let Ok(mut w) = self.own_write.lock() {
            *w = Some(FileStamp::of(&self.source.dir));
        }
    }

    /// Whether the store file is as the server's own last write left it.
    fn is_own_write(&self) -> bool {
        self.own_write
            .lock()
            .ok()
            .and_then(|w| w.clone())
            .is_some_and(|w| w == FileStamp::of(&self.source.dir))
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

impl AppState {
    /// Reads the source again and applies what differs from what is served.
    pub async fn sync_from_source(self: &Arc<Self>) -> Result<SyncOutcome, String> {
        self.sync_as("file").await
    }

    /// [`AppState::sync_from_source`] with the changes made by `actor`.
    pub async fn sync_as(self: &Arc<Self>, actor: &str) -> Result<SyncOutcome, String> {
        let source = self.source.clone();
        let (loaded, _) =
            tokio::task::spawn_blocking(move || super::changes::background(|| source.load()))
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())?;
        let served = self.snapshot();
        let comparison = compare(
            &served.dataset().counts(),
            &served.report,
            &loaded.dataset.counts(),
            &loaded.report,
            self.config.reload_max_loss,
        );
        if !comparison.acceptable() {
            return Ok(SyncOutcome::Refused(format!(
                "refused: {} (POST /admin/reload?force=true accepts it)",
                comparison.summary()
            )));
        }
        let edits = diff(served.dataset(), &loaded.dataset);
        // Words for the hidden hazards' stages changed (`[statuses]`, a store's
        // `riskmap_status_words`) but no row reads differently yet: still a new
        // generation, so that edits from now on are read with them.
        let words_changed = served.statuses != loaded.statuses;
        drop(served);
        if edits.is_empty() && !words_changed {
            return Ok(SyncOutcome::Unchanged);
        }
        let reading = Reading {
            report: loaded.report,
            statuses: Some(loaded.statuses),
        };
        self.apply_edits_with_reading(edits, actor.into(), Some(reading))
            .await
            .map(SyncOutcome::Applied)
            .map_err(|e| e.to_string())
    }
}

/// The edits that make `old` into `new`, matched by feature id, layer by layer.
pub fn diff(old: &Dataset, new: &Dataset) -> Vec<Edit> {
    let mut out = Vec::new();
    diff_layer(&old.areas, &new.areas, AnyFeature::Area, &mut out);
    diff_layer(
        &old.enterprises,
        &new.enterprises,
        AnyFeature::Enterprise,
        &mut out,
    );
    diff_layer(
        &old.hazard_sources,
        &new.hazard_sources,
        AnyFeature::HazardSource,
        &mut out,
    );
    diff_layer(
        &old.gas_pipelines,
        &new.gas_pipelines,
        AnyFeature::GasPipeline,
        &mut out,
    );
    diff_layer(&old.houses, &new.houses, AnyFeature::House, &mut out);
    diff_layer(
        &old.protection_targets,
        &new.protection_targets,
        AnyFeature::ProtectionTarget,
        &mut out,
    );
    diff_layer(
        &old.hidden_hazards,
        &new.hidden_hazards,
        AnyFeature::HiddenHazard,
        &mut out,
    );
    out
}

fn diff_layer<P: Serialize + Clone>(
    old: &Layer<P>,
    new: &Layer<P>,
    wrap: fn(Feature<P>) -> AnyFeature,
    out: &mut Vec<Edit>,
) {
    use std::collections::HashMap;
    let before: HashMap<&str, &Feature<P>> =
        old.features().iter().map(|f| (f.id.as_str(), f)).collect();
    let props = |f: &Feature<P>| serde_json::to_string(&f.props).unwrap_or_default();
    for f in new.features() {
        let same = before
            .get(f.id.as_str())
            .is_some_and(|b| b.geometry == f.geometry && props(b) == props(f));
        if !same {
            out.push(Edit::Put(Box::new(wrap(f.clone()))));
        }
    }
    let after: std::collections::HashSet<&str> =
        new.features().iter().map(|f| f.id.as_str()).collect();
    for f in old.features() {
        if !after.contains(f.id.as_str()) {
            out.push(Edit::Delete {
                layer: old.kind(),
                id: f.id.clone(),
            });
        }
    }
}
