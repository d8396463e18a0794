//! The trail of a server of a data folder (`trail = "PATH.gpkg"` in its configuration):
//! the changes the watcher and the reloads read from the folder's files, recorded as
//! made by `file` in a GeoPackage of their own ([`riskmap_core::store::trail`]), so that
//! `/api/changes` and `riskmap history` list them as they list a store's.
//!
//! At start, before anything is served, the first load is compared with what the trail
//! last knew of the folder ([`catch_up`]): what the office changed in the files while no
//! server ran is recorded then, as made by `file`.
//!
//! The trail names its folder, by its full path (a trail of another folder is refused),
//! and a server holds
//! a lock on `PATH.lock` beside it while it runs (the file holds its process id), so
//! that a second server cannot record every change again in the same trail.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use riskmap_core::dataset::Dataset;
use riskmap_core::io::{FileStatus, ValidationReport};
use riskmap_core::model::LayerKind;

use riskmap_core::live::Change;
use riskmap_core::store::trail_state::{self, CaughtUp, FileRead, FilesRead};
use riskmap_core::store::{Kept, trail};

use super::state::{AppState, DataSource, Snapshot};

/// A folder's trail held by this server: its path, and the lock beside it, released
/// when the server's state goes.
#[derive(Debug)]
pub struct FolderTrail {
    path: PathBuf,
    /// The folder, as the server reads it (the reports' files are relative to it).
    folder: PathBuf,
    /// How the server reads it ([`riskmap_core::io::LoadOptions::reading`]).
    reading: String,
    _lock: std::fs::File,
    /// Why the trail records nothing since the start ([`catch_up`]), when it does not:
    /// the load had a file it could not read whole, or lost more of a layer than a
    /// reload may, so the trail keeps the folder as it knew it until a reading without
    /// these problems (or a forced reload) is compared with it.
    held: Arc<Mutex<Option<Vec<String>>>>,
}

/// The trail the server of `source` records in: `trail` when the source is a folder.
/// Made or checked now, and locked, so that a file that cannot hold it, or a trail
/// another server holds, stops the server before it serves. A store's server given a
/// trail is refused: it records in the store.
pub fn open(source: &DataSource, trail: Option<&Path>) -> Result<Option<FolderTrail>, String> {
    let Some(path) = trail else {
        return Ok(None);
    };
    if path.as_os_str().is_empty() {
        return Err("trail = \"\": give the GeoPackage the folder's changes go in".into());
    }
    if source.db.is_some() || !source.dir.is_dir() {
        return Err(format!(
            "trail = '{}' is for a server of a data folder; {} keeps its trail in itself \
             (riskmap history lists it)",
            path.display(),
            source.name()
        ));
    }
    // Inside the folder, each record would be a change of the folder the watcher reads
    // again; and the folder is the office's, not written by the server.
    let folder = std::fs::canonicalize(&source.dir).unwrap_or_else(|_| source.dir.clone());
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if std::fs::canonicalize(&parent).is_ok_and(|p| p.starts_with(&folder)) {
        return Err(format!(
            "trail = '{}' is inside the data folder {}: put it outside the folder, which the \
             server reads and never writes",
            path.display(),
            source.dir.display()
        ));
    }
    // A trail another server holds is told as such before its set-up, which would wait
    // for that server's writes and could only say the file was locked.
    held_elsewhere(path)?;
    // Checked first, so that a refused trail gets no lock file beside it; the lock file
    // is never deleted (a server locking a file another then deletes would share).
    let name = folder.display().to_string();
    trail::open_trail(path, &name).map_err(|e| format!("the folder's trail: {e}"))?;
    Ok(Some(FolderTrail {
        path: path.to_path_buf(),
        folder: source.dir.clone(),
        reading: source.load.reading(),
        _lock: take_lock(path)?,
        held: Arc::default(),
    }))
}

impl FolderTrail {
    /// The trail's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Records in the trail what the folder's files changed while no server ran: the first
/// snapshot (`first`) compared with what the trail last knew of the folder
/// ([`trail_state::catch_up`]), as made by `file`. A load with a file it could not read
/// whole, or that lost more than `max_loss` of a layer the trail knows, is not compared
/// (a broken ledger is not the office striking out its rows, and features of other
/// layers that hang on it read otherwise without it): the trail records nothing until a
/// reading without those problems, or a forced reload. A layer the trail does not know
/// is learned. Logged; a trail that cannot be read or written stops the server, as at
/// its opening.
pub fn catch_up(trail: &FolderTrail, first: &Snapshot, max_loss: f64) -> Result<CaughtUp, String> {
    let t0 = std::time::Instant::now();
    let failed = |e: riskmap_core::store::StoreError| format!("the folder's trail: {e}");
    let known = trail_state::known_counts(&trail.path).map_err(failed)?;
    let files = trail_state::known_files(&trail.path).map_err(failed)?;
    let absent =
        |k| trail_state::known_absent(&trail.path, k, first.dataset()).unwrap_or(usize::MAX);
    let problems = problems_of(
        &first.report,
        first.dataset(),
        &known,
        &files,
        max_loss,
        &absent,
    );
    if problems.is_empty() {
        let whole = whole_files(&first.report);
        let refused = Kept::of_report(&first.report);
        let read = FilesRead {
            whole: &whole,
            saved: last_save_of(&trail.folder, &first.report),
            reading: &trail.reading,
            refused: &refused,
        };
        let c = trail_state::catch_up(
            &trail.path,
            first.dataset(),
            "file",
            &LayerKind::INPUTS,
            Some(&read),
        )
        .map_err(failed)?;
        let ms = (t0.elapsed().as_secs_f64() * 1000.0).round();
        log_caught_up(&trail.path, &c, ms, "at start");
        return Ok(c);
    }
    tracing::warn!(
        trail = %trail.path.display(),
        problems = %problems.join("; "),
        "the folder was not read whole: its trail records nothing until it is (then \
         compared with what the trail knew), or until an administrator forces a reload"
    );
    // Layers the trail does not know are learned as they read, so that what changes in
    // them meanwhile is in the comparison that ends this.
    let unknown: Vec<LayerKind> = LayerKind::INPUTS
        .into_iter()
        .filter(|k| !known.iter().any(|(l, _)| l == k))
        .collect();
    let c = if unknown.is_empty() {
        CaughtUp::default()
    } else {
        trail_state::catch_up(&trail.path, first.dataset(), "file", &unknown, None)
            .map_err(failed)?
    };
    if let Ok(mut h) = trail.held.lock() {
        *h = Some(problems);
    }
    Ok(c)
}

/// When the folder was last saved, by the files `report` looked at
/// ([`trail_state::last_save`]): what a comparison finds is recorded then when it can be.
fn last_save_of(folder: &Path, report: &ValidationReport) -> Option<std::time::SystemTime> {
    let read = |f: &riskmap_core::io::FileSummary| f.status == FileStatus::Loaded;
    trail_state::last_save(
        folder,
        report.files.iter().map(|f| (f.file.as_str(), read(f))),
    )
}

/// The files of `report` read whole into a layer.
fn whole_files(report: &ValidationReport) -> Vec<FileRead> {
    report
        .files
        .iter()
        .filter(|f| f.status == FileStatus::Loaded)
        .filter(|f| super::reload::failure_of(report, &f.file).is_none())
        .filter_map(|f| {
            Some(FileRead {
                file: f.file.clone(),
                layer: f.layer?,
                features: Some(f.features_loaded),
            })
        })
        .collect()
}

/// What keeps a load (its report and data) from being compared with what the trail
/// knows (`known` features per layer, read whole from `files`): each of those files now
/// missing or not read whole (skipped, not read, unreadable, broken, cut short), each
/// layer that lost more than `max_loss` of the features the trail knows. A file the
/// trail did not read whole (one skipped at every load, an editor's lock file) is not.
/// Nor are a layer's missing files whose features are read from other files now (a
/// ledger renamed or split): when of the features the trail knows of the layer no more
/// are missing (`absent`, by id) than `max_loss` (at most half, as a reload's move) of
/// what the smallest of the missing files held. Features struck out of the layer's
/// other files in the same go count too: then the trail waits, as for a lost file.
fn problems_of(
    report: &ValidationReport,
    ds: &Dataset,
    known: &[(LayerKind, usize)],
    files: &[FileRead],
    max_loss: f64,
    absent: &dyn Fn(LayerKind) -> usize,
) -> Vec<String> {
    let mut out = Vec::new();
    // Per layer: its known files missing now, and the fewest features one of them held
    // (none when a file's count was not kept).
    let mut missing: BTreeMap<LayerKind, (Vec<&str>, Option<u64>)> = BTreeMap::new();
    for known_file in files {
        let file = &known_file.file;
        let Some(f) = report.files.iter().find(|f| &f.file == file) else {
            let m = missing
                .entry(known_file.layer)
                .or_insert((Vec::new(), Some(u64::MAX)));
            m.0.push(file);
            m.1 = m.1.zip(known_file.features).map(|(a, b)| a.min(b));
            continue;
        };
        let failure = super::reload::failure_of(report, file);
        if f.status != FileStatus::Loaded || failure.is_some() {
            let why = failure
                .map(|(p, m)| format!("{p}: {m}"))
                .or_else(|| f.note.clone())
                .unwrap_or_else(|| "not loaded".into());
            out.push(format!("{file}: {why}"));
        }
    }
    let allowed = max_loss.clamp(0.0, super::reload::MOVE_LOSS_CAP);
    for (layer, (names, fewest)) in missing {
        // The trail knows the layer's ids, not each file's: a file that vanished loses
        // at least its own, more than that share of the smallest missing file.
        let moved = fewest.is_some_and(|n| absent(layer) as f64 <= n as f64 * allowed);
        if !moved {
            out.extend(names.iter().map(|n| format!("{n}: missing (read before)")));
        }
    }
    let now = ds.counts();
    for (k, before) in known {
        let n = now.iter().find(|(l, _)| l == k).map_or(0, |(_, n)| *n);
        if *before > 0 && n < *before && (*before - n) as f64 / *before as f64 > max_loss {
            out.push(format!(
                "{}: {n} of the {before} features the trail knows read (more than \
                 reload_max_loss, {max_loss}, lost)",
                k.name()
            ));
        }
    }
    out
}

/// Logs what a catch-up did.
fn log_caught_up(trail: &Path, c: &CaughtUp, ms: f64, when: &str) {
    if !c.learned.is_empty() {
        let names: Vec<&str> = c.learned.iter().map(|k| k.name()).collect();
        tracing::info!(
            trail = %trail.display(),
            layers = %names.join(", "),
            features = c.features,
            ms,
            when,
            "the folder's trail now knows these layers: what changes in their files while \
             no server runs is recorded at the next start"
        );
    }
    if let (Some(was), true) = (&c.read_otherwise, c.recorded() > 0) {
        tracing::warn!(
            trail = %trail.display(),
            was = %was,
            when,
            "the folder is read otherwise than when its trail last read it (another \
             version of riskmap, another --encoding or --crs): some of the changes \
             recorded now may be the reading's, not the office's; they are recorded at \
             the comparison's time"
        );
    }
    if c.recorded() > 0 {
        let layers: Vec<String> = c
            .layers
            .iter()
            .map(|(k, [new, changed, gone])| {
                format!("{}: {new} new, {changed} changed, {gone} removed", k.name())
            })
            .collect();
        tracing::warn!(
            trail = %trail.display(),
            changes = c.recorded(),
            layers = %layers.join("; "),
            at = %c.at,
            ms,
            when,
            "the folder's files changed while their changes were not recorded: recorded in \
             its trail as made by file at the folder's last save (`at`; the comparison's time \
             when that save cannot be when they were made)"
        );
    } else if c.learned.is_empty() {
        tracing::info!(
            trail = %trail.display(),
            features = c.features,
            ms,
            when,
            "the folder as the trail knew it"
        );
    }
}

/// Refuses a trail whose lock file another process holds (none made when missing).
fn held_elsewhere(trail: &Path) -> Result<(), String> {
    let p = riskmap_core::store::beside(trail, ".lock");
    let Ok(f) = std::fs::File::open(&p) else {
        return Ok(());
    };
    match f.try_lock_shared() {
        Err(std::fs::TryLockError::WouldBlock) => Err(held(trail, &p, &f)),
        // Released when `f` goes; a lock that cannot be tried is left to `take_lock`.
        Ok(()) | Err(std::fs::TryLockError::Error(_)) => Ok(()),
    }
}

/// The refusal of a trail held by the process named in its lock file `lock`.
fn held(trail: &Path, lock: &Path, mut f: &std::fs::File) -> String {
    use std::io::Read;
    let mut holder = String::new();
    let _ = f.read_to_string(&mut holder);
    format!(
        "the folder's trail {} is held by another riskmap server (process {}, {}): one \
         server records in a trail at a time",
        trail.display(),
        holder.trim(),
        lock.display()
    )
}

/// The lock on `TRAIL.lock` (made when missing), with the process id written in it
/// when the file can be written (a lock file made by another user is locked read-only).
fn take_lock(trail: &Path) -> Result<std::fs::File, String> {
    use std::io::{Seek, Write};
    let p = riskmap_core::store::beside(trail, ".lock");
    let failed = |e: std::io::Error| format!("the folder's trail: {}: {e}", p.display());
    let opened = std::fs::File::options()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&p);
    let (mut f, writable) = match opened {
        Ok(f) => (f, true),
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            (std::fs::File::open(&p).map_err(failed)?, false)
        }
        Err(e) => return Err(failed(e)),
    };
    match f.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => return Err(held(trail, &p, &f)),
        Err(std::fs::TryLockError::Error(e)) => return Err(failed(e)),
    }
    if writable
        && let Err(e) = f
            .set_len(0)
            .and_then(|()| f.rewind())
            .and_then(|()| writeln!(f, "{}", std::process::id()))
    {
        tracing::warn!(lock = %p.display(), error = %e, "the process id could not be written in the trail's lock file");
    }
    Ok(f)
}

impl AppState {
    /// The server with the folder's trail given by [`open`].
    pub fn with_folder_trail(mut self, trail: Option<FolderTrail>) -> Self {
        self.folder_trail = trail;
        self
    }

    /// The folder's trail, when the server has one.
    pub fn folder_trail(&self) -> Option<&Path> {
        self.folder_trail.as_ref().map(|t| t.path.as_path())
    }

    /// Records `changes` read from the folder's files in its trail (nothing without one).
    /// While the trail records nothing since a start that could not read the folder
    /// whole ([`catch_up`]), a reading without those problems, or a reload an
    /// administrator forced (`forced`), is compared with what the trail knew instead,
    /// and recording goes on from there. A failure is logged: the map already serves
    /// the changes, and the next reading does not read them again (the next start
    /// records what the trail missed).
    ///
    /// `report` is the reading's own (a reading that changed nothing leaves the map its
    /// last report); without it, the served map's.
    pub(super) async fn record_in_folder_trail(
        &self,
        changes: Vec<Change>,
        actor: &str,
        forced: bool,
        report: Option<ValidationReport>,
    ) {
        let Some(t) = &self.folder_trail else {
            return;
        };
        let held = t.held.lock().map(|h| h.is_some()).unwrap_or(false);
        let (path, who, reading) = (t.path.clone(), actor.to_string(), t.reading.clone());
        let snap = self.snapshot();
        if !held {
            // The files the trail's knowledge is read from, as this reading read them (a
            // ledger added, renamed or repaired is judged by them at the next start).
            let (n, p) = (changes.len(), path.clone());
            let done = tokio::task::spawn_blocking(move || -> Result<(), String> {
                let report = report.as_ref().unwrap_or(&snap.report);
                if !changes.is_empty() {
                    trail::record_trail(&p, &changes, &who).map_err(|e| e.to_string())?;
                }
                trail_state::keep_files(&p, &whole_files(report), &reading)
                    .map_err(|e| e.to_string())
            })
            .await;
            if let Err(e) = done.map_err(|e| e.to_string()).and_then(|r| r) {
                self.trail_failed(&path, &e, &format!("{n} changes read from the folder"));
            }
            return;
        }
        // The reading's changes are in what the map serves now, compared below.
        let (slot, max_loss) = (Arc::clone(&t.held), self.config.reload_max_loss);
        let (p, folder) = (path.clone(), t.folder.clone());
        let done = tokio::task::spawn_blocking(move || -> Result<(), String> {
            let report = report.as_ref().unwrap_or(&snap.report);
            let known = trail_state::known_counts(&p).map_err(|e| e.to_string())?;
            let files = trail_state::known_files(&p).map_err(|e| e.to_string())?;
            let absent = |k| trail_state::known_absent(&p, k, snap.dataset()).unwrap_or(usize::MAX);
            let problems = problems_of(report, snap.dataset(), &known, &files, max_loss, &absent);
            if !problems.is_empty() && !forced {
                if let Ok(mut h) = slot.lock() {
                    *h = Some(problems);
                }
                return Ok(());
            }
            let t0 = std::time::Instant::now();
            let whole = whole_files(report);
            let refused = Kept::of_report(report);
            let read = FilesRead {
                whole: &whole,
                saved: last_save_of(&folder, report),
                reading: &reading,
                refused: &refused,
            };
            let c =
                trail_state::catch_up(&p, snap.dataset(), &who, &LayerKind::INPUTS, Some(&read))
                    .map_err(|e| e.to_string())?;
            let ms = (t0.elapsed().as_secs_f64() * 1000.0).round();
            log_caught_up(
                &p,
                &c,
                ms,
                if forced {
                    "a forced reload"
                } else {
                    "read whole again"
                },
            );
            if let Ok(mut h) = slot.lock() {
                *h = None;
            }
            Ok(())
        })
        .await;
        if let Err(e) = done.map_err(|e| e.to_string()).and_then(|r| r) {
            self.trail_failed(&path, &e, "the folder compared with what its trail knew");
        }
    }

    /// Why the folder's trail records nothing now, when it does not.
    pub fn folder_trail_held(&self) -> Option<Vec<String>> {
        self.folder_trail
            .as_ref()
            .and_then(|t| t.held.lock().ok().and_then(|h| h.clone()))
    }

    fn trail_failed(&self, path: &Path, error: &str, what: &str) {
        self.metrics
            .trail_failures
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tracing::error!(
            trail = %path.display(),
            error = %error,
            "{what} could not be recorded in the folder's trail"
        );
    }
}

#[cfg(test)]
mod tests {
    use riskmap_core::io::FileSummary;

    use super::*;

    fn file(name: &str, layer: LayerKind, status: FileStatus, note: Option<&str>) -> FileSummary {
        FileSummary {
            note: note.map(str::to_string),
            ..FileSummary::new(name, Some(layer), status)
        }
    }

    #[test]
    fn a_load_is_judged_by_the_files_the_trail_read_whole() {
        use FileStatus::{Loaded, Skipped};
        use LayerKind::{Areas, Houses};
        let read = |file: &str, layer, features| FileRead {
            file: file.to_string(),
            layer,
            features,
        };
        // (kept by a trail of an earlier version, without counts: see the next test)
        let known_files = vec![
            read("areas.csv", Areas, None),
            read("houses.csv", Houses, None),
        ];
        // No feature the trail knows is missing.
        let none = |_| 0;
        let report = |files: Vec<FileSummary>| ValidationReport {
            files,
            issues: Vec::new(),
        };
        let ds = Dataset::default();
        // An editor's lock file beside the ledger, skipped at every load: not a problem,
        // the trail never read it.
        let ok = report(vec![
            file("areas.csv", Areas, Loaded, None),
            file("houses.csv", Houses, Loaded, None),
            file("~$houses.xlsx", Houses, Skipped, Some("not a workbook")),
        ]);
        assert!(problems_of(&ok, &ds, &[], &known_files, 0.1, &none).is_empty());
        assert_eq!(
            whole_files(&ok),
            [
                read("areas.csv", Areas, Some(0)),
                read("houses.csv", Houses, Some(0))
            ]
        );
        // A file the trail read whole, now missing or skipped.
        let broken = report(vec![file(
            "houses.csv",
            Houses,
            Skipped,
            Some("no id column"),
        )]);
        assert_eq!(
            problems_of(&broken, &ds, &[], &known_files, 0.1, &none),
            [
                "houses.csv: no id column",
                "areas.csv: missing (read before)"
            ]
        );
        // A layer that lost more than the share a reload may lose of what the trail knows
        // (100 houses known, none read), and one within it (none known).
        let lost = problems_of(
            &ok,
            &ds,
            &[(Houses, 100), (Areas, 0)],
            &known_files,
            0.1,
            &none,
        );
        assert_eq!(lost.len(), 1);
        assert!(
            lost[0].starts_with("houses: 0 of the 100 features"),
            "{lost:?}"
        );
    }

    /// A known file missing is taken as moved when the features the trail knows of its
    /// layer are read now, but for the share a reload may lose of what the file held;
    /// not when its count was not kept (a trail of an earlier version).
    #[test]
    fn a_known_file_whose_features_are_read_elsewhere_is_moved() {
        use FileStatus::Loaded;
        use LayerKind::Houses;
        let known = |features| {
            vec![
                FileRead {
                    file: "houses/a.csv".into(),
                    layer: Houses,
                    features: Some(2850),
                },
                FileRead {
                    file: "houses/b.csv".into(),
                    layer: Houses,
                    features,
                },
            ]
        };
        let report = ValidationReport {
            files: vec![
                file("houses/a.csv", Houses, Loaded, None),
                file("houses/c.csv", Houses, Loaded, None),
            ],
            issues: Vec::new(),
        };
        let ds = Dataset::default();
        let problems = |features, absent: usize| {
            problems_of(&report, &ds, &[], &known(features), 0.1, &move |_| absent)
        };
        // b.csv's 150 houses read from c.csv but for 15 (10 %): moved.
        assert!(problems(Some(150), 15).is_empty());
        // 16 missing, or a count not kept: b.csv is missing.
        let missing = ["houses/b.csv: missing (read before)"];
        assert_eq!(problems(Some(150), 16), missing);
        assert_eq!(problems(None, 0), missing);
        // Both parts gone, their houses read from c.csv but for 10: the smaller part
        // (100 houses) decides, as it may have vanished whole.
        let both_gone = ValidationReport {
            files: vec![file("houses/c.csv", Houses, Loaded, None)],
            issues: Vec::new(),
        };
        let two = known(Some(100));
        let both = |absent: usize| problems_of(&both_gone, &ds, &[], &two, 0.1, &move |_| absent);
        assert!(both(10).is_empty());
        assert_eq!(both(11).len(), 2);
    }
}
