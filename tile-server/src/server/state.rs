//! The server's state: the current snapshot of analysed data, swapped whole on reload.
//!
//! A request takes an `Arc` of the snapshot at its start and works on it to the end, so a
//! reload never changes data under a request; the new snapshot is built completely
//! (load, analyse, index, cluster) off the async runtime and swapped in with one pointer
//! write. A load that fails leaves the old snapshot serving and records why.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use riskmap_core::analysis::Analysis;
use riskmap_core::dataset::Dataset;
use riskmap_core::export::FieldPolicy;
use riskmap_core::io::{self, LoadOptions, ValidationReport};
use riskmap_core::live::{Change, Live};
use riskmap_core::project::Project;
use riskmap_core::rules::Rules;
use riskmap_core::store::changes::TrailFollowed;
use riskmap_core::store::stamp::FileStamp;
use riskmap_core::substances::SubstanceTable;
use riskmap_core::tileset::{TileSet, TileSetConfig};

pub use super::source::{DataSource, DbUrl};

use super::cache::TileCache;
use super::config::ServerConfig;
use super::metrics::Metrics;
use super::reload::{Comparison, FileProblem, LayerCount, LayerLoss, compare};

/// One loaded and analysed version of the data.
#[derive(Clone)]
pub struct Snapshot {
    /// Increases by one with every successful load.
    pub generation: u64,
    /// When it was loaded (seconds since the Unix epoch).
    pub loaded_at: u64,
    /// Seconds the load and analysis took.
    pub load_seconds: f64,
    /// The data and its results, kept current by edits.
    pub live: Live,
    /// What the loader skipped or repaired.
    pub report: ValidationReport,
    /// Clusters and indexes for tiles.
    pub tiles: TileSet,
    /// `summary.json` of the analysis, made at the first request for it (a batch of
    /// edits does not pay for a pass over every house that nobody may read).
    pub summary: std::sync::OnceLock<serde_json::Value>,
    /// The rows `report` refuses (`Kept::of_report`), made at the first edit that asks.
    pub refused: std::sync::OnceLock<riskmap_core::store::Kept>,
    /// Rules used.
    pub rules: Rules,
    /// For a database source, the last change recorded in it before it was read.
    pub source_seq: Option<i64>,
    /// For a GeoPackage source, the file's stamp just before it was read, the last
    /// record of its trail then, and its last mark of a changed row
    /// ([`riskmap_core::store::touched`]).
    pub source_stamp: Option<(FileStamp, u64, i64)>,
    /// Whether the day hidden hazards are counted on was given (`--as-of`, the data's
    /// `as_of`) rather than taken as today: only a day taken as today moves on at
    /// midnight ([`AppState::roll_day`]).
    pub day_pinned: bool,
    /// The data's own words for the hidden hazards' stages, as its load found them (a
    /// folder's `[statuses]`, a store's `riskmap_status_words`): edits and a followed
    /// store's changed rows are read with them.
    pub statuses: Vec<(String, riskmap_core::model::HiddenHazardStatus)>,
}

impl Snapshot {
    /// `base` with the data's own status words, as its ledgers were read.
    pub fn load_options<'a>(&self, base: &'a LoadOptions) -> std::borrow::Cow<'a, LoadOptions> {
        base.with_statuses(&self.statuses)
    }

    /// The data.
    pub fn dataset(&self) -> &Dataset {
        self.live.dataset()
    }

    /// The results.
    pub fn analysis(&self) -> &Analysis {
        self.live.analysis()
    }

    /// `summary.json` of the analysis.
    pub fn summary(&self) -> &serde_json::Value {
        self.summary.get_or_init(|| {
            riskmap_core::export::summary(self.live.dataset(), self.live.analysis())
        })
    }
}

/// What a reload did.
#[derive(Debug, Clone)]
pub enum ReloadOutcome {
    /// The new snapshot is served.
    Reloaded {
        /// Its generation.
        generation: u64,
        /// Whether it was accepted despite the comparison (`force`).
        forced: bool,
        /// The new load compared with the one it replaced.
        comparison: Comparison,
    },
    /// The new load would lose files or features: the old snapshot keeps serving.
    Refused(Comparison),
    /// The data could not be loaded: the old snapshot keeps serving.
    Failed(String),
    /// The load took longer than `reload_timeout_s`: abandoned, its result will be
    /// discarded when it ends; the old snapshot keeps serving.
    TimedOut {
        /// The limit, seconds.
        seconds: f64,
    },
    /// Abandoned loads are still running: no new one is started until they end.
    Busy {
        /// How many.
        running: usize,
    },
}

impl ReloadOutcome {
    /// `reloaded`, `refused`, `failed`, `timeout` or `busy`.
    pub fn name(&self) -> &'static str {
        match self {
            ReloadOutcome::Reloaded { .. } => "reloaded",
            ReloadOutcome::Refused(_) => "refused",
            ReloadOutcome::Failed(_) => "failed",
            ReloadOutcome::TimedOut { .. } => "timeout",
            ReloadOutcome::Busy { .. } => "busy",
        }
    }

    /// Why the data was not replaced, in one line (None when it was).
    pub fn error(&self) -> Option<String> {
        match self {
            ReloadOutcome::Reloaded { .. } => None,
            ReloadOutcome::Refused(c) => {
                Some(format!("refused: {} (force accepts it)", c.summary()))
            }
            ReloadOutcome::Failed(e) => Some(e.clone()),
            ReloadOutcome::TimedOut { seconds } => Some(format!(
                "the reload took longer than reload_timeout_s = {seconds} s and was abandoned"
            )),
            ReloadOutcome::Busy { running } => Some(format!(
                "{running} abandoned reloads are still running; try again when they end"
            )),
        }
    }
}

/// The outcome of the last reload, as `/health` shows it.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ReloadStatus {
    /// Unix time of the attempt.
    pub at: u64,
    /// Whether the new data is served.
    pub ok: bool,
    /// `reloaded`, `refused`, `failed`, `timeout` or `busy`.
    pub outcome: &'static str,
    /// Accepted with `force` despite the reasons listed.
    pub forced: bool,
    /// Why the data was not replaced.
    pub error: Option<String>,
    /// The generation served after the attempt.
    pub generation: u64,
    /// Per input layer, features before and after (when the new data could be loaded).
    pub layers: Vec<LayerCount>,
    /// Files loaded before that are missing, skipped or broken now.
    pub file_problems: Vec<FileProblem>,
    /// Layers that would lose more than `reload_max_loss` of their features.
    pub layer_losses: Vec<LayerLoss>,
    /// Layers whose files were read under other names.
    pub moved: Vec<super::reload::FilesMoved>,
}

/// A reading of the source that was not taken in ([`AppState::reading_refused`]).
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReadingRefused {
    /// Unix time of the reading.
    pub at: u64,
    /// Why: the files and layers it was refused for, or the error.
    pub why: String,
}

/// Edits the store could not write (a full disk, a file or folder made read-only), since
/// the last that it wrote ([`AppState::edit_failing`]).
#[derive(Debug, Clone, serde::Serialize)]
pub struct EditFailing {
    /// Unix time of the first failure since an edit was last written.
    pub since: u64,
    /// How many edits failed since.
    pub failed: u64,
    /// The last failure, as the store said it.
    pub error: String,
}

impl AppState {
    /// Reads the configuration file's `[[tokens]]` again (SIGHUP, `/admin/reload`): a
    /// token added works, one removed stops working, without a restart. A file that
    /// cannot be read or is refused leaves the tokens as they were (logged). Other
    /// settings take effect at the next start.
    pub fn reread_tokens(&self) {
        let Some(path) = self.config.file.as_deref() else {
            return;
        };
        match super::config::ServerConfig::from_file(path) {
            Ok((c, _)) => {
                let tokens = super::auth::Tokens::new(&c.tokens, c.plain_admin_token().as_deref());
                let names = tokens.names();
                self.tokens.replace(tokens);
                tracing::info!(
                    target: "audit",
                    file = %path.display(),
                    tokens = %names.join(", "),
                    "tokens read again"
                );
            }
            Err(e) => tracing::error!(
                "the configuration could not be read again, the tokens stay as they were: {e}"
            ),
        }
    }

    /// Notes an edit the store could not write: `/health` is degraded until one is.
    pub(super) fn edit_failed(&self, error: &str) {
        if let Ok(mut f) = self.edit_failing.lock() {
            let e = f.get_or_insert_with(|| EditFailing {
                since: now(),
                failed: 0,
                error: String::new(),
            });
            e.failed += 1;
            e.error = error.to_string();
        }
    }

    /// Notes an edit written to the store.
    pub(super) fn edit_written(&self) {
        if let Ok(mut f) = self.edit_failing.lock()
            && f.is_some()
        {
            *f = None;
        }
    }

    /// Notes the outcome of a reading of the source: `Some(why)` when it was refused or
    /// failed, `None` when it was taken in (or found nothing changed).
    pub(super) fn note_reading(&self, refused: Option<String>) {
        let Ok(mut r) = self.reading_refused.lock() else {
            return;
        };
        // Said to the viewers when a refusal comes or goes.
        let tell = refused.is_some() || r.is_some();
        *r = refused.map(|why| ReadingRefused { at: now(), why });
        let refused = r.is_some();
        drop(r);
        if tell {
            self.changes
                .source_read(self.snapshot().generation, refused);
        }
    }
}

/// Abandoned (timed-out) loads allowed to run on at once before reloads wait for them.
const MAX_ABANDONED: usize = 2;

/// Counts a load running on the blocking pool until it ends, however it ends.
struct Running(Arc<AtomicUsize>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Shared state of all handlers.
pub struct AppState {
    /// Configuration.
    pub config: ServerConfig,
    /// Where the data is.
    pub source: DataSource,
    pub(super) snapshot: RwLock<Arc<Snapshot>>,
    /// Reload attempts started; only the latest may swap its result in.
    attempts: AtomicU64,
    /// Loads running on the blocking pool (the current one and abandoned ones).
    builds_running: Arc<AtomicUsize>,
    /// Tile cache.
    pub cache: Mutex<TileCache>,
    /// The map as of other days than the analysis's.
    pub dated: super::dated::DatedViews,
    /// The levels at the month ends of the last trend asked for, taken back over a
    /// store's history.
    pub month_ends: super::month_ends::MonthEndsCache,
    /// Metrics.
    pub metrics: Metrics,
    /// Last reload outcome.
    pub last_reload: Mutex<Option<ReloadStatus>>,
    /// The change path: one reload, batch, or reading of a followed database's changed
    /// rows until they are served, at a time. Shared, so that a task can hold it on its
    /// own: an edit's batch is served, and the path let go, even when its request goes away.
    pub reload_lock: Arc<tokio::sync::Mutex<()>>,
    /// Admin token for `POST /admin/reload`.
    pub admin_token: Option<String>,
    /// Batches of edits: the spare snapshot and the change events.
    pub changes: super::changes::Changes,
    /// The tokens accepted (the configuration's and the plain admin token), hashed once.
    pub tokens: super::auth::Tokens,
    /// One edit through the API to a database at a time, from its version check to its
    /// batch served.
    pub edit_lock: tokio::sync::Mutex<()>,
    /// Edits through the API to a GeoPackage store, committed in groups.
    pub edit_queue: super::edit_queue::EditQueue,
    /// The fields of each layer that the OGC API gives every feature.
    pub ogc_fields: super::ogc_fields::FieldLists,
    /// For a GeoPackage source, the file as the served map has it: its stamp before the
    /// last reading of it (the first, a reload's, the watcher's), or after the server's
    /// own last write. The watcher does not read back a file that is as served, and an
    /// edit through the API is written only into a file that is.
    pub file_known: Mutex<Option<FileStamp>>,
    /// For a GeoPackage source, how far the served map follows the file's trail:
    /// changes read from the file are recorded unless a record the map does not follow
    /// has them ([`TrailFollowed`]).
    pub(super) trail_followed: Mutex<TrailFollowed>,
    /// For a data folder, the GeoPackage its changes are recorded in (`trail`).
    pub(super) folder_trail: Option<super::folder_trail::FolderTrail>,
    /// A reading of the GeoPackage that was refused or failed, with the file's stamp
    /// then and why: edits are refused at once until the file changes again.
    pub file_refused: Mutex<Option<(FileStamp, String)>>,
    /// The last reading of the source (a changed file or folder read by the watcher, a
    /// reload) when it was refused or failed and none was taken in since: the map
    /// serves what it served before, and `/health` says so until a reading is.
    pub reading_refused: Mutex<Option<ReadingRefused>>,
    /// Edits the store could not write since the last it wrote: `/health` is degraded
    /// while any is.
    pub edit_failing: Mutex<Option<EditFailing>>,
    /// For a GeoPackage source, what the last settled reading left in the file (its
    /// schema's version and token, once the triggers that mark changed rows were made):
    /// the next change of the file is read by the rows they marked (`file_rows`).
    /// `None`: read the file whole.
    pub file_schema: Mutex<Option<riskmap_core::store::touched::Settled>>,
    /// Following a database source: the connection, the last change applied.
    pub database: Mutex<super::pg_listen::DbStatus>,
    /// For a database source, the number of the last change served: every change up to
    /// it is in the served snapshot or superseded there (the first reading's, then each
    /// batch's and reload's; it never goes down). An edit through the API is checked
    /// against the feature's changes after it that the map does not hold (`db_applied`).
    pub served_seq: std::sync::atomic::AtomicI64,
    /// The database changes applied by number (by the follower, and the API's own edits
    /// served beside their transactions): `served_seq` is a high-water mark, and
    /// transactions commit out of the order of their change numbers, so a later-numbered
    /// change served first says nothing of an earlier one still on its way.
    pub db_applied: Mutex<super::applied::AppliedSeqs>,
    /// The highest database change number of an edit through the API stored while the
    /// change path was busy (0: none), and the bell rung when it rises: the follower then
    /// applies its batch as soon as that change is in it rather than after the quiet
    /// window.
    pub db_awaited: std::sync::atomic::AtomicI64,
    /// See `db_awaited`.
    pub db_awaited_bell: tokio::sync::Notify,
    /// Whether a task follows the database source (`pg_listen::spawn`); edits through
    /// the API to a database need it (one stored while the map is busy is served by it,
    /// and without it other clients' changes would never reach the map).
    pub following_db: std::sync::atomic::AtomicBool,
    /// The connection edits through the API write with (made by the first edit, made
    /// again when lost); used under `edit_lock`.
    pub(super) db_writer:
        tokio::sync::Mutex<Option<(tokio_postgres::Client, riskmap_core::store::pg::Db)>>,
}

/// Why data could not be (re)loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadFailure {
    /// The rules file.
    #[error(transparent)]
    Rules(#[from] riskmap_core::rules::RulesError),
    /// The data.
    #[error(transparent)]
    Load(#[from] io::LoadError),
    /// Tiles.
    #[error(transparent)]
    Tiles(#[from] riskmap_core::tileset::TileSetError),
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Loads, analyses and prepares tiles (blocking; run it off the async runtime).
pub fn build_snapshot(
    config: &ServerConfig,
    source: &DataSource,
    generation: u64,
) -> Result<Snapshot, LoadFailure> {
    let t0 = Instant::now();
    let mut rules = match &config.rules {
        Some(p) => Rules::from_file(p)?,
        None => Rules::default(),
    };
    if config.as_of.is_some() {
        rules.hidden_hazards.as_of = config.as_of;
    }
    let stamp = source.file_state();
    let (mut loaded, seq) = source.load()?;
    if source.db.is_none() && stamp.is_some() {
        super::file_rows::serve_refused_as_recorded(&mut loaded, &source.dir, &source.load);
    }
    let day_pinned = config.as_of.is_some() || loaded.as_of.is_some();
    let statuses = loaded.statuses.clone();
    let p = Project::from_loaded(loaded, &source.load, &rules, &|_| {});
    let tcfg = TileSetConfig {
        fields: field_policy(config),
        ..TileSetConfig::default()
    };
    let mut snap = Snapshot::of_project(p, source.load.substances.clone(), tcfg, generation, t0)?;
    snap.source_seq = seq;
    snap.source_stamp = stamp;
    snap.day_pinned = day_pinned;
    snap.statuses = statuses;
    Ok(snap)
}

impl Snapshot {
    /// The snapshot of an analysed project (analysed with `substances`): its tile set
    /// built with `tiles`, its summary, loaded now; `started` is when its loading began.
    pub fn of_project(
        p: Project,
        substances: SubstanceTable,
        tiles: TileSetConfig,
        generation: u64,
        started: Instant,
    ) -> Result<Snapshot, riskmap_core::tileset::TileSetError> {
        let tiles = TileSet::build(&p.dataset, &p.analysis, tiles)?;
        let summary = std::sync::OnceLock::from(p.summary());
        let mut live = Live::from_parts(p.dataset, p.analysis, substances, p.rules.clone());
        // Room for what batches add, now rather than in the first batch that adds it.
        live.keep_room();
        Ok(Snapshot {
            generation,
            loaded_at: now(),
            load_seconds: started.elapsed().as_secs_f64(),
            live,
            report: p.report,
            tiles,
            summary,
            refused: std::sync::OnceLock::new(),
            rules: p.rules,
            source_seq: None,
            source_stamp: None,
            day_pinned: false,
            statuses: Vec::new(),
        })
    }
}

/// The fields the configuration keeps from tiles, GeoJSON and the OGC API: its
/// `deny_fields` for every layer, and per layer its `[layers.NAME] deny_fields`; a layer
/// the configuration does not name keeps the core's default (the person answerable for a
/// hidden hazard is named in the lists, never served).
pub fn field_policy(config: &ServerConfig) -> FieldPolicy {
    let mut deny_by_layer = FieldPolicy::default().deny_by_layer;
    for (name, l) in &config.layers {
        deny_by_layer.insert(name.clone(), l.deny_fields.clone());
    }
    FieldPolicy {
        deny: config.deny_fields.clone(),
        deny_by_layer,
    }
}

impl AppState {
    /// State around a first snapshot.
    pub fn new(
        config: ServerConfig,
        source: DataSource,
        first: Snapshot,
        admin_token: Option<String>,
    ) -> AppState {
        let cache = TileCache::new(
            config.tile_cache_bytes,
            std::time::Duration::from_millis(config.tile_grace_ms),
        );
        let first_seq = first.source_seq;
        let (first_stamp, first_trail) = match &first.source_stamp {
            Some((s, t, _)) => (Some(s.clone()), *t),
            None => (None, 0),
        };
        let served_seq = std::sync::atomic::AtomicI64::new(first.source_seq.unwrap_or(0));
        let tokens = super::auth::Tokens::new(&config.tokens, admin_token.as_deref());
        AppState {
            attempts: AtomicU64::new(0),
            builds_running: Arc::new(AtomicUsize::new(0)),
            snapshot: RwLock::new(Arc::new(first)),
            config,
            source,
            cache: Mutex::new(cache),
            dated: Default::default(),
            month_ends: Default::default(),
            metrics: Metrics::default(),
            last_reload: Mutex::new(None),
            reload_lock: Arc::new(tokio::sync::Mutex::new(())),
            admin_token,
            changes: super::changes::Changes::default(),
            tokens,
            edit_lock: tokio::sync::Mutex::new(()),
            edit_queue: Default::default(),
            ogc_fields: Default::default(),
            db_awaited: std::sync::atomic::AtomicI64::new(0),
            db_awaited_bell: tokio::sync::Notify::new(),
            db_applied: Mutex::new(super::applied::AppliedSeqs::from_floor(
                first_seq.unwrap_or(0),
            )),
            file_known: Mutex::new(first_stamp),
            trail_followed: Mutex::new(TrailFollowed::upto(first_trail)),
            folder_trail: None,
            file_refused: Mutex::new(None),
            reading_refused: Mutex::new(None),
            edit_failing: Mutex::new(None),
            file_schema: Mutex::new(None),
            database: Mutex::new(super::pg_listen::DbStatus::default()),
            served_seq,
            following_db: std::sync::atomic::AtomicBool::new(false),
            db_writer: tokio::sync::Mutex::new(None),
        }
    }

    /// Loads running on the blocking pool: the current reload's and abandoned ones that
    /// have not ended yet.
    pub fn loads_running(&self) -> usize {
        self.builds_running.load(Ordering::SeqCst)
    }

    /// The number of the last database change served, and a snapshot that serves it
    /// (read in that order: the snapshot has every change up to the number, maybe more).
    pub fn served_snapshot(&self) -> (i64, Arc<Snapshot>) {
        let seq = self.served_seq.load(Ordering::SeqCst);
        (seq, self.snapshot())
    }

    /// The current snapshot.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        match self.snapshot.read() {
            Ok(g) => Arc::clone(&g),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Loads the data afresh, compares it with the data served and swaps it in when
    /// nothing is lost (or `force`); otherwise, on a failure or past the timeout, keeps
    /// serving the old data. One reload at a time; the outcome is recorded for `/health`.
    pub async fn reload(self: &Arc<Self>, force: bool) -> ReloadOutcome {
        self.reload_within(force, self.config.reload_timeout())
            .await
    }

    /// [`AppState::reload`] with its own time limit instead of `reload_timeout_s`.
    ///
    /// The change path is waited for in the caller, where being dropped (a request whose
    /// client went away: a proxy's time-out, a closed terminal) leaves nothing behind, so
    /// that abandoned reloads do not queue; the reload then runs as a task of its own,
    /// which no caller stops half-way (the folder served, its records or the store's
    /// position not yet written) or makes let go of the change path early.
    pub async fn reload_within(self: &Arc<Self>, force: bool, limit: Duration) -> ReloadOutcome {
        let held = self.change_path().await;
        let me = Arc::clone(self);
        tokio::spawn(async move { me.reload_held(held, force, limit).await })
            .await
            .unwrap_or_else(|e| ReloadOutcome::Failed(format!("the reload stopped: {e}")))
    }

    /// [`AppState::reload_within`] once the change path is held (`_held`, of
    /// [`AppState::reload_lock`], released when the reload ends).
    async fn reload_held(
        self: &Arc<Self>,
        _held: tokio::sync::OwnedMutexGuard<()>,
        force: bool,
        limit: Duration,
    ) -> ReloadOutcome {
        // The trail as the served map had it: a record it did not follow was written by
        // the program that made the change.
        let recorded_after = self.trail_followed();
        let (outcome, trail) = self.attempt(force, limit).await;
        if matches!(outcome, ReloadOutcome::Reloaded { .. }) {
            match self.snapshot().source_stamp {
                Some((_, read_trail, marks)) => {
                    self.settle_first_reading(
                        trail,
                        Default::default(),
                        &recorded_after,
                        read_trail,
                        marks,
                    )
                    .await;
                }
                None => {
                    // Asked with force: the administrator takes the folder as it reads.
                    self.record_in_folder_trail(trail, "file", force, None)
                        .await;
                }
            }
        }
        let served = self.snapshot().generation;
        let (ok, forced, comparison) = match &outcome {
            ReloadOutcome::Reloaded {
                forced, comparison, ..
            } => (true, *forced, Some(comparison)),
            ReloadOutcome::Refused(c) => (false, false, Some(c)),
            _ => (false, false, None),
        };
        let status = ReloadStatus {
            at: now(),
            ok,
            outcome: outcome.name(),
            forced,
            error: outcome.error(),
            generation: served,
            layers: comparison.map(|c| c.layers.clone()).unwrap_or_default(),
            file_problems: comparison
                .map(|c| c.file_problems.clone())
                .unwrap_or_default(),
            layer_losses: comparison
                .map(|c| c.layer_losses.clone())
                .unwrap_or_default(),
            moved: comparison.map(|c| c.moved.clone()).unwrap_or_default(),
        };
        let m = &self.metrics;
        match &outcome {
            ReloadOutcome::Reloaded {
                generation,
                forced,
                comparison,
            } => {
                m.reloads_ok.fetch_add(1, Ordering::Relaxed);
                if *forced && !comparison.acceptable() {
                    tracing::warn!(generation, reasons = %comparison.summary(), "reloaded by force");
                } else {
                    tracing::info!(target: "audit", generation, "reloaded");
                }
            }
            ReloadOutcome::Refused(c) => {
                m.reloads_refused.fetch_add(1, Ordering::Relaxed);
                tracing::error!(reasons = %c.summary(), "reload refused; still serving generation {served}");
            }
            ReloadOutcome::TimedOut { .. } => {
                m.reloads_timed_out.fetch_add(1, Ordering::Relaxed);
                tracing::error!(error = ?status.error, "reload abandoned; still serving generation {served}");
            }
            ReloadOutcome::Failed(_) | ReloadOutcome::Busy { .. } => {
                m.reloads_failed.fetch_add(1, Ordering::Relaxed);
                tracing::error!(error = ?status.error, "reload failed; still serving generation {served}");
            }
        }
        // Busy: nothing was read, so what stands of the last reading still stands.
        if !matches!(outcome, ReloadOutcome::Busy { .. }) {
            self.note_reading(status.error.clone().filter(|_| !ok));
        }
        if let Ok(mut l) = self.last_reload.lock() {
            *l = Some(status);
        }
        outcome
    }

    /// One reload attempt (under the reload lock). With a reloaded GeoPackage, what
    /// differs from the map it replaced, for the file's trail.
    async fn attempt(
        self: &Arc<Self>,
        force: bool,
        limit: Duration,
    ) -> (ReloadOutcome, Vec<Change>) {
        let running = self.builds_running.load(Ordering::SeqCst);
        if running >= MAX_ABANDONED {
            return (ReloadOutcome::Busy { running }, Vec::new());
        }
        let attempt = self.attempts.fetch_add(1, Ordering::SeqCst) + 1;
        let me = Arc::clone(self);
        self.builds_running.fetch_add(1, Ordering::SeqCst);
        let guard = Running(Arc::clone(&self.builds_running));
        let task = tokio::task::spawn_blocking(move || {
            let _running = guard;
            // The generation is given when (and if) the snapshot is swapped in.
            super::pools::background(|| {
                let new = build_snapshot(&me.config, &me.source, 0)?;
                // A GeoPackage's trail (and a folder's, when it has one) records every
                // change the map takes in, a reload's too (another program's saves the
                // watcher did not read, a loss refused then forced). The served map
                // stays while the reload lock is held. A database records its own.
                let recorded = new.source_stamp.is_some() || me.folder_trail().is_some();
                let mut trail = Vec::new();
                if recorded {
                    let served = me.snapshot();
                    // (A reload serves its load whole: a line refused now leaves the map.)
                    let all = riskmap_core::store::Kept::default();
                    trail = super::watch::diff(&served, new.dataset(), &all)
                        .iter()
                        .map(|e| super::watch::change_of(&served, e))
                        .collect();
                }
                Ok::<_, LoadFailure>((new, trail))
            })
        });
        // On timeout the handle is dropped: the thread cannot be stopped, but its result
        // goes nowhere, and the attempt number keeps any late swap out.
        match tokio::time::timeout(limit, task).await {
            Err(_) => (
                ReloadOutcome::TimedOut {
                    seconds: limit.as_secs_f64(),
                },
                Vec::new(),
            ),
            Ok(Err(e)) => (
                ReloadOutcome::Failed(format!("reload task failed: {e}")),
                Vec::new(),
            ),
            Ok(Ok(Err(e))) => (ReloadOutcome::Failed(e.to_string()), Vec::new()),
            Ok(Ok(Ok((new, trail)))) => {
                let outcome = self.accept(attempt, new, force);
                let trail = match outcome {
                    ReloadOutcome::Reloaded { .. } => trail,
                    _ => Vec::new(),
                };
                (outcome, trail)
            }
        }
    }

    /// Compares a new snapshot with the served one and swaps it in if acceptable (or
    /// forced) and still the latest attempt.
    fn accept(&self, attempt: u64, mut new: Snapshot, force: bool) -> ReloadOutcome {
        let old = self.snapshot();
        let max_loss = self.config.reload_max_loss;
        let comparison = compare(
            &old.dataset().counts(),
            &old.report,
            &new.dataset().counts(),
            &new.report,
            max_loss,
            super::reload::moved(
                (old.dataset(), &old.report),
                (new.dataset(), &new.report),
                max_loss,
            ),
        );
        if !comparison.acceptable() && !force {
            return ReloadOutcome::Refused(comparison);
        }
        // The cache lock first, as everywhere: no tile of the old data is cached after.
        let mut cache = match self.cache.lock() {
            Ok(c) => c,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut w = match self.snapshot.write() {
            Ok(w) => w,
            Err(poisoned) => poisoned.into_inner(),
        };
        if self.attempts.load(Ordering::SeqCst) != attempt {
            return ReloadOutcome::Failed("superseded by a later reload".into());
        }
        new.generation = w.generation + 1;
        let generation = new.generation;
        let seq = new.source_seq;
        if let Some((stamp, trail, _)) = &new.source_stamp {
            self.note_file_known(stamp.clone());
            self.set_file_schema(None);
            self.follow_trail(TrailFollowed::upto(*trail));
            if let Ok(mut r) = self.file_refused.lock() {
                *r = None;
            }
        }
        *w = Arc::new(new);
        drop(w);
        cache.clear();
        self.dated.clear(generation);
        drop(cache);
        // A new reading holds every change committed when it was read.
        self.read_up_to(seq);
        self.changes.reloaded(generation);
        ReloadOutcome::Reloaded {
            generation,
            forced: force && !comparison.acceptable(),
            comparison,
        }
    }
}
