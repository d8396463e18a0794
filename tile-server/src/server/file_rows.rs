//! A served GeoPackage read again by the rows another program changed.
//!
//! The store's triggers mark every ledger row another program (QGIS, GDAL, `riskmap
//! import`) inserts, updates or deletes ([`riskmap_core::store::touched`]). When the file
//! changed and the marks can say how (the triggers are all there and the schema is as
//! the map last read it), only the marked rows, and those another server recorded in the
//! trail since, are read, by id, through the loaders' checks, and compared with what is
//! served, as a followed PostGIS store's changed rows are (`pg_compare`): a row the
//! checks refuse is not applied and the served feature stays, an id without a row is a
//! deletion. Otherwise the file is read whole (`watch`). Either way the marks read are
//! deleted once served, and the triggers made where they are missing
//! ([`AppState::settle_reading`]).

use std::sync::Arc;

use riskmap_core::live::Change;
use riskmap_core::store::changes::TrailFollowed;
use riskmap_core::store::gpkg::{ChangedAt, Editor};
use riskmap_core::store::stamp::FileStamp;
use riskmap_core::store::touched::{self, Settled, Touched, TouchedReading};

use super::changes::Reading;
use super::pg_compare::{compare_rows, counts_after, log_row_issues};
use super::reload::compare;
use super::state::AppState;
use super::watch::{SyncOutcome, change_of};

/// Past this many changed rows the file is read whole: reading by id is then no faster.
pub const ROWS_LIMIT: usize = 200_000;

impl AppState {
    /// What the last settled reading of the GeoPackage left in it (see
    /// [`AppState::file_known`]).
    pub fn file_schema(&self) -> Option<Settled> {
        self.file_schema.lock().ok().and_then(|s| s.clone())
    }

    pub(super) fn set_file_schema(&self, schema: Option<Settled>) {
        if let Ok(mut s) = self.file_schema.lock() {
            *s = schema;
        }
    }

    /// The marked rows of the GeoPackage since the map was read, when they can say what
    /// changed: `None` when the file is to be read whole.
    pub(super) async fn touched_rows(&self, followed: &TrailFollowed) -> Option<Touched> {
        let settled = self.file_schema()?;
        self.file_known()?;
        let path = self.source.dir.clone();
        let followed = followed.clone();
        let read = tokio::task::spawn_blocking(move || {
            touched::read_touched(&path, &settled, &followed, ROWS_LIMIT)
        })
        .await;
        match read {
            Ok(Ok(TouchedReading::Rows(t))) => Some(t),
            Ok(Ok(TouchedReading::Whole(why))) => {
                tracing::info!(why, "the data source is read whole");
                None
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "the changed rows could not be read; the data source is read whole");
                None
            }
            Err(e) => {
                tracing::warn!(error = %e, "reading the changed rows failed; the data source is read whole");
                None
            }
        }
    }

    /// Applies the rows of `t`, read from the GeoPackage whose stamp was `stamp` before
    /// the reading, as made by `actor` (under the change path, `held`).
    pub(super) async fn sync_rows(
        self: &Arc<Self>,
        held: &tokio::sync::OwnedMutexGuard<()>,
        actor: &str,
        stamp: FileStamp,
        recorded_after: &TrailFollowed,
        t: Touched,
    ) -> Result<SyncOutcome, String> {
        self.metrics
            .source_row_readings
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let served = self.snapshot();
        if t.ids.is_empty() {
            // Written, but no ledger row changed (results, the trail, a checkpoint).
            drop(served);
            self.settle_reading(
                Vec::new(),
                actor,
                stamp,
                recorded_after,
                t.trail_ends,
                t.upto,
            )
            .await;
            return Ok(SyncOutcome::Unchanged);
        }
        let opts = served.load_options(&self.source.load).into_owned();
        let (ids, present, layers) = (t.ids, t.present, t.layers);
        let snap = Arc::clone(&served);
        let (edits, refused, warnings, report) =
            tokio::task::spawn_blocking(move || compare_rows(&snap, layers, &opts, &ids, &present))
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())?;
        log_row_issues("file", &refused, &warnings);
        // What a reading of the whole file would refuse (a script deleting most houses)
        // is refused here too.
        let before = served.dataset().counts();
        let after = counts_after(&served, before.to_vec(), &edits);
        let comparison = compare(
            &before,
            &served.report,
            &after,
            &report,
            self.config.reload_max_loss,
            // A GeoPackage's tables keep their names.
            Vec::new(),
        );
        if !comparison.acceptable() {
            return Ok(SyncOutcome::refused(&comparison));
        }
        let report_only = edits.is_empty() && report.issues != served.report.issues;
        let trail: Vec<Change> = edits.iter().map(|e| change_of(&served, e)).collect();
        drop(served);
        let outcome = if edits.is_empty() && !report_only {
            SyncOutcome::Unchanged
        } else {
            let reading = Reading {
                report,
                statuses: None,
            };
            let event = self
                .apply_edits_held(held, edits, actor.into(), Some(reading))
                .await
                .map_err(|e| e.to_string())?;
            SyncOutcome::Applied(event)
        };
        self.settle_reading(trail, actor, stamp, recorded_after, t.trail_ends, t.upto)
            .await;
        Ok(outcome)
    }

    /// After a reading of the GeoPackage (its stamp `read_at` before it) was served:
    /// records `changes` in the file's trail as made by `actor`, less those of features
    /// with a record the map read against did not follow (`recorded_after`; see
    /// [`Editor::record_read`]; `read_trail`: the trail's last record when the reading
    /// began, [`TrailFollowed::read_to`]), deletes the marks of
    /// changed rows up to `touched_upto`, which the reading had, and makes the triggers
    /// that mark them where they are missing. The file is then known as the served map
    /// has it ([`AppState::note_file_known`]); the schema's version is kept with it when
    /// the file was as read.
    pub(super) async fn settle_reading(
        &self,
        changes: Vec<Change>,
        actor: &str,
        read_at: FileStamp,
        recorded_after: &TrailFollowed,
        read_trail: u64,
        touched_upto: i64,
    ) {
        let known = self
            .record_reading(
                changes,
                ChangedAt::new(),
                actor,
                read_at,
                recorded_after,
                read_trail,
                touched_upto,
            )
            .await;
        self.note_file_known(known);
    }

    /// The records and marks of [`AppState::settle_reading`]; gives the file's stamp as
    /// the served map has it afterwards.
    #[allow(clippy::too_many_arguments)]
    async fn record_reading(
        &self,
        changes: Vec<Change>,
        changed_at: ChangedAt,
        actor: &str,
        read_at: FileStamp,
        recorded_after: &TrailFollowed,
        read_trail: u64,
        touched_upto: i64,
    ) -> FileStamp {
        // Nothing to record, forget or make: no write (which would wait for a program
        // holding the file's lock).
        if changes.is_empty() && touched_upto <= 0 && self.file_schema().is_some() {
            // (The reading had the trail's records up to `read_trail` all the same.)
            self.follow_trail(recorded_after.read_to(read_trail));
            return read_at;
        }
        let path = self.source.dir.clone();
        let (who, at, skip) = (actor.to_string(), read_at.clone(), recorded_after.clone());
        let done = tokio::task::spawn_blocking(move || {
            Editor::new(&path).record_read(&changes, &changed_at, &who, &at, &skip, touched_upto)
        })
        .await;
        match done
            .map_err(|e| e.to_string())
            .and_then(|r| r.map_err(|e| e.to_string()))
        {
            Ok((recorded, after)) => {
                self.follow_trail(recorded.follow(&recorded_after.read_to(read_trail)));
                match after {
                    Some((stamp, settled)) => {
                        self.set_file_schema(settled);
                        stamp
                    }
                    None => {
                        self.set_file_schema(None);
                        read_at
                    }
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "the reading of the file could not be recorded in it (its trail, its marks of changed rows)");
                self.set_file_schema(None);
                read_at
            }
        }
    }

    /// Settles the reading the served map came from (the first, a reload's), under the
    /// change path: what it changed of the map it replaced (`changes`, a reload's)
    /// recorded in the trail as made by `file` unless a record the replaced map did not
    /// follow (`recorded_after`) has them (`read_trail`: the trail's last record when the
    /// file was read),
    /// its marks forgotten, the triggers made, the schema known, so that the next change
    /// of the file is read by its rows. When the file changed since the reading, only
    /// the changes are recorded and the marks read forgotten, and with no change to
    /// record nothing is written (a reading follows).
    pub(super) async fn settle_first_reading(
        &self,
        changes: Vec<Change>,
        at: ChangedAt,
        recorded_after: &TrailFollowed,
        read_trail: u64,
        touched_upto: i64,
    ) {
        self.set_file_schema(None);
        let Some(known) = self.file_known() else {
            return;
        };
        if changes.is_empty() && self.source.file_stamp().as_ref() != Some(&known) {
            return;
        }
        let known = self
            .record_reading(
                changes,
                at,
                "file",
                known,
                recorded_after,
                read_trail,
                touched_upto,
            )
            .await;
        self.note_file_known(known);
    }

    /// [`AppState::settle_first_reading`] of the served snapshot, taking the change path:
    /// what other programs changed in the file while no server followed it (the rows
    /// its triggers marked, against what the trail last recorded of each) is recorded as
    /// made by `file`, at the time its marks give (of the last change of each row; the
    /// start's for the marks of a file of an earlier release).
    pub async fn settle_served_reading(self: &Arc<Self>) {
        let Some((_, read_trail, upto)) = self.snapshot().source_stamp else {
            return;
        };
        let _held = self.change_path().await;
        let trail = self.trail_followed();
        let (changes, at) = self.changed_while_stopped(upto).await;
        if !changes.is_empty() {
            tracing::info!(
                changes = changes.len(),
                "rows other programs changed while no server followed the file: recorded"
            );
        }
        self.settle_first_reading(changes, at, &trail, read_trail, upto)
            .await;
    }

    /// The changes the marks up to `upto` say other programs made while no server
    /// followed the file: each marked row as the served map read it, against the state
    /// the trail last recorded of it (none: the row is new; a deletion or no row now:
    /// deleted). A marked row the same as recorded (saved unchanged, or recorded by a
    /// server stopped before it let go of the marks) is no change. With the time of each
    /// row's last mark, where the marks have one.
    async fn changed_while_stopped(self: &Arc<Self>, upto: i64) -> (Vec<Change>, ChangedAt) {
        use riskmap_core::store::changes::feature_version;
        let path = self.source.dir.clone();
        let snap = self.snapshot();
        let opts = snap.load_options(&self.source.load).into_owned();
        let found = tokio::task::spawn_blocking(move || {
            let Some(marked) = touched::marked_since_served(&path, upto, ROWS_LIMIT)? else {
                tracing::warn!(
                    limit = ROWS_LIMIT,
                    "more rows were changed while no server followed the file than are \
                     recorded one by one at a start: not recorded (an import records its \
                     own)"
                );
                return Ok((Vec::new(), ChangedAt::new()));
            };
            // A row the checks refuse now is not served, and is still in the file: not
            // a deletion (its refusal is in the validation report).
            let refused = riskmap_core::store::Kept::of_report(&snap.report);
            let mut out = Vec::new();
            let mut times = ChangedAt::new();
            for (kind, rows) in marked {
                for touched::MarkedRow { id, recorded, at } in rows {
                    let before = recorded.and_then(|j| {
                        riskmap_core::io::recorded_feature_from_geojson(
                            kind,
                            &j,
                            Some(&id),
                            snap.dataset(),
                            &opts,
                        )
                        .ok()
                        .map(|c| c.feature)
                    });
                    let after = snap.live.feature(kind, &id);
                    if after.is_none()
                        && refused.refused.get(&kind).is_some_and(|r| r.contains(&id))
                    {
                        continue;
                    }
                    if before.as_ref().map(feature_version) != after.as_ref().map(feature_version) {
                        if let Some(at) = at {
                            times.insert((kind, id.clone()), at);
                        }
                        out.push(Change {
                            layer: kind,
                            id,
                            before,
                            after,
                        });
                    }
                }
            }
            Ok::<_, riskmap_core::store::StoreError>((out, times))
        })
        .await;
        match found {
            Ok(Ok(found)) => found,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "the rows changed while no server followed the file could not be read: not recorded");
                (Vec::new(), ChangedAt::new())
            }
            Err(e) => {
                tracing::warn!(error = %e, "the rows changed while no server followed the file could not be compared: not recorded");
                (Vec::new(), ChangedAt::new())
            }
        }
    }
}

/// Rows of a GeoPackage that the checks refuse when the whole file is read (QGIS left a
/// house without a geometry while no server followed the file, or since the last
/// start): each is served as the store's trail last recorded it (`refused_rows`). Gives
/// how many were put back.
pub(super) fn serve_refused_as_recorded(
    loaded: &mut riskmap_core::io::Loaded,
    path: &std::path::Path,
    opts: &riskmap_core::io::LoadOptions,
) -> usize {
    let refused = super::refused_rows::refused_ids(loaded);
    super::refused_rows::put_back(loaded, opts, refused, |kind, ids| {
        riskmap_core::store::changes::last_recorded_states(path, kind, ids)
            .map(|states| {
                states
                    .into_iter()
                    .map(|(id, s)| (id, s.into_iter().collect()))
                    .collect()
            })
            .map_err(|e| e.to_string())
    })
}
