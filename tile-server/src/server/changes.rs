//! Changes to the served data without a reload.
//!
//! A batch of edits is applied to a spare copy of the snapshot (the analysis follows
//! incrementally, [`riskmap_core::live`]; the tile set too), which is then swapped in
//! whole: a request sees the previous generation or this one, never a batch half done,
//! and never waits for it. In the same step, under the cache lock, the tiles the batch
//! may have changed leave the cache. The copy the readers were using is brought up to
//! date once they let go of it (the same batch applied again) and becomes the spare of
//! the next batch, so that a batch costs its own work, not a copy of the data; the price
//! is the memory of two snapshots once edits begin.
//!
//! Every batch, and every reload, is announced to `/api/changes/stream` as a
//! [`ChangeEvent`].
//!
//! The work of a batch runs on the change path's own threads (`pools`): the batch on
//! [`background`], the replaced copy brought up to date there or, for a small batch
//! no change waits behind, on a pool of lower priority that leaves the cores to the tiles
//! the batch changed.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use riskmap_core::io::ValidationReport;
use riskmap_core::live::{Applied, Edit, LiveError};
use riskmap_core::model::{Day, LayerKind};
use riskmap_core::tileset::{TILE_LAYERS, TileChanges, TileSet, TileSetError};
use tokio::sync::broadcast;

use super::cache::Fate;
pub use super::change_event::ChangeEvent;
use super::change_event::now_ms;
pub use super::pools::background;
use super::pools::{catch_up_quietly, lower_priority, quietly};
use super::state::{AppState, Snapshot};

/// What a batch makes of the cached tiles of one layer list, by z, x, y.
type Fates = HashMap<(u8, u32, u32), Fate>;

/// How long a batch waits for the requests still reading the snapshot it replaced before
/// giving up on reusing it (the next batch then copies the served one).
const DRAIN: Duration = Duration::from_secs(2);

/// The copy the next batch is applied to.
enum Spare {
    /// Up to date with the generation it carries.
    Ready(Box<Snapshot>),
    /// Being brought up to date after the last batch was answered: the next batch waits
    /// for it (`None`: the readers held it too long, or the batch failed on it).
    Coming(std::sync::mpsc::Receiver<Option<Snapshot>>),
    /// Being made on a thread of the lowest priority after a past day took the last one
    /// ([`AppState::prepare_spare_quietly`]): nobody waits for it (a batch meanwhile
    /// copies the served snapshot itself, and the copy coming is let go).
    Making,
}

impl Spare {
    /// The snapshot, once it is ready.
    fn take(self) -> Option<Snapshot> {
        match self {
            Spare::Ready(s) => Some(*s),
            Spare::Coming(rx) => rx.recv().ok().flatten(),
            Spare::Making => None,
        }
    }
}

/// How long after a past day took the spare snapshot the next one starts to be made: the
/// viewer that asked for the day has its tiles by then. Measured on the million-house
/// store with the viewer's date switches (BENCHMARKS.md, "Again with the spare taken
/// back"): the first switch 0.63-1.10 s made at once, 0.69-0.70 s three seconds later.
const SPARE_AFTER: Duration = Duration::from_secs(3);

/// How many of the last batches' tile changes are kept, for tiles rendered from a
/// generation that was replaced meanwhile, and how many boxes they hold at most (a storm
/// of 10⁵ changes names as many boxes; the latest batch is always kept).
const RECENT: usize = 256;
const RECENT_BOXES: usize = 1_000_000;

/// The spare snapshot, the change events and the last batches' tile changes.
pub struct Changes {
    spare: Mutex<Option<Spare>>,
    tx: broadcast::Sender<ChangeEvent>,
    /// The tiles each of the last batches may have changed, by the generation it made,
    /// with when it was served; oldest first, consecutive (a reload empties it). Locked
    /// under the cache lock.
    recent: Mutex<VecDeque<(u64, TileChanges, Instant)>>,
    /// Tiles drawn anew behind the answers and not announced yet: their box and layers.
    drawn: Mutex<Option<([f64; 4], Vec<&'static str>)>>,
    /// Set when the server stops: the event streams end, so that their connections do
    /// not hold the stop.
    closing: tokio::sync::watch::Sender<bool>,
    /// Tasks waiting for the change path ([`AppState::change_path`]).
    waiting: AtomicUsize,
}

/// How long the tiles drawn anew behind the answers are gathered into one `drawn` event.
const DRAWN_EVERY: Duration = Duration::from_millis(100);

/// Whether a tile drawn from a generation is the tile served now ([`AppState::changed_since`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SinceDrawn {
    /// No batch since may have changed it.
    Unchanged,
    /// The batch served at this time may have changed it, the first since.
    ChangedAt(Instant),
    /// A reload came between, or the batches since are no longer known.
    Unknown,
}

impl Default for Changes {
    fn default() -> Self {
        let (tx, _) = broadcast::channel(256);
        Changes {
            spare: Mutex::new(None),
            tx,
            recent: Mutex::new(VecDeque::new()),
            drawn: Mutex::new(None),
            closing: tokio::sync::watch::Sender::new(false),
            waiting: AtomicUsize::new(0),
        }
    }
}

impl Changes {
    /// A new subscriber of the events.
    pub fn subscribe(&self) -> broadcast::Receiver<ChangeEvent> {
        self.tx.subscribe()
    }

    /// The server stops: every event stream ends ([`Changes::closed`]).
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    /// Ready once the server stops; an event stream ends with it.
    pub fn closed(&self) -> impl std::future::Future<Output = ()> + Send + use<> {
        let mut rx = self.closing.subscribe();
        async move {
            if rx.wait_for(|c| *c).await.is_err() {
                // The state is gone without a stop (a test's router dropped): the event
                // channel, closed with it, ends the streams after what they hold.
                std::future::pending::<()>().await;
            }
        }
    }

    /// The source's last reading was refused (or, after one, a reading was taken in):
    /// a `source` event, on which a viewer asks `/health` what stands. Nothing served
    /// changed with it.
    pub fn source_read(&self, generation: u64, refused: bool) {
        let actor = if refused { "refused" } else { "taken" };
        let _ = self.tx.send(ChangeEvent::notice(
            generation,
            "source",
            actor,
            Vec::new(),
            None,
        ));
    }

    /// A reload replaced everything: the spare is stale, and the event says so.
    pub fn reloaded(&self, generation: u64) {
        if let Ok(mut s) = self.spare.lock() {
            *s = None;
        }
        if let Ok(mut r) = self.recent.lock() {
            r.clear();
        }
        let _ = self.tx.send(ChangeEvent::notice(
            generation,
            "reload",
            "reload",
            TILE_LAYERS.iter().map(|k| k.name()).collect(),
            Some([-180.0, -85.06, 180.0, 85.06]),
        ));
    }
}

/// Why a batch was not applied (nothing of it is served).
#[derive(Debug, thiserror::Error)]
pub enum ApplyFailure {
    /// The batch itself was refused.
    #[error(transparent)]
    Refused(#[from] LiveError),
    /// The tile set could not follow (the data is unchanged).
    #[error(transparent)]
    Tiles(#[from] TileSetError),
    /// The blocking task failed.
    #[error("the change task failed: {0}")]
    Task(String),
}

/// Applies a batch to one snapshot: the analysis, the tiles, the summary (and what the
/// source's new reading brings, if the batch comes from one).
pub(super) fn apply_to(
    s: &mut Snapshot,
    edits: &[Edit],
    reading: Option<&Reading>,
) -> Result<(Applied, TileChanges), ApplyFailure> {
    apply_work(s, edits, reading, None)
}

/// What a new reading of the source brings besides its features: the validation report
/// and the data's words for the hidden hazards' stages, which later edits are read with
/// (`None`: those served stay).
#[derive(Debug, Clone)]
pub struct Reading {
    pub report: ValidationReport,
    pub statuses: Option<Vec<(String, riskmap_core::model::HiddenHazardStatus)>>,
}

/// [`apply_to`], or with `day` the map moved to that day instead (the rules' day for the
/// hidden hazards: a whole analysis).
fn apply_work(
    s: &mut Snapshot,
    edits: &[Edit],
    reading: Option<&Reading>,
    day: Option<Day>,
) -> Result<(Applied, TileChanges), ApplyFailure> {
    let applied = match day {
        Some(d) => {
            let mut rules = s.rules.clone();
            rules.hidden_hazards.as_of = Some(d);
            s.rules = rules.clone();
            s.live.set_rules(rules)?
        }
        None => s.live.apply(edits)?,
    };
    if let Some(r) = reading {
        s.report = r.report.clone();
        s.refused = std::sync::OnceLock::new();
        if let Some(w) = &r.statuses {
            s.statuses = w.clone();
        }
    }
    let changes = s
        .tiles
        .update(s.live.dataset(), s.live.analysis(), &applied)?;
    s.summary = std::sync::OnceLock::new();
    Ok((applied, changes))
}

impl AppState {
    /// Whether tile `z/x/y` of `layers` rendered from generation `from` is the tile of
    /// the generation served now: it is, when no batch since `from` may have changed it
    /// (and no reload came between). Call it under the cache lock, as the swap of a batch
    /// drops tiles under it, so that a tile a batch dropped is not put back.
    pub fn unchanged_since(&self, from: u64, layers: &[LayerKind], z: u8, x: u32, y: u32) -> bool {
        self.changed_since(from, layers, z, x, y) == SinceDrawn::Unchanged
    }

    /// [`AppState::unchanged_since`], and if a batch since may have changed the tile,
    /// when the first such batch was served: from then on a drawing of generation `from`
    /// is outdated. Call it under the cache lock.
    pub fn changed_since(
        &self,
        from: u64,
        layers: &[LayerKind],
        z: u8,
        x: u32,
        y: u32,
    ) -> SinceDrawn {
        let served = self.snapshot();
        if served.generation == from {
            return SinceDrawn::Unchanged;
        }
        let Ok(recent) = self.changes.recent.lock() else {
            return SinceDrawn::Unknown;
        };
        let since: Vec<&(u64, TileChanges, Instant)> =
            recent.iter().filter(|(g, _, _)| *g > from).collect();
        let covered = since.len() as u64 == served.generation.saturating_sub(from)
            && since
                .last()
                .is_some_and(|(g, _, _)| *g == served.generation);
        if !covered {
            return SinceDrawn::Unknown;
        }
        since
            .iter()
            .find(|(_, c, _)| served.tiles.tile_changed(c, layers, z, x, y))
            .map_or(SinceDrawn::Unchanged, |(_, _, at)| {
                SinceDrawn::ChangedAt(*at)
            })
    }

    /// Announces, as one `drawn` event a moment later with the others drawn meanwhile,
    /// that a tile answered from its last drawing is drawn anew: a viewer showing it asks
    /// again.
    pub fn announce_drawn(self: &Arc<Self>, bbox: [f64; 4], layers: &[LayerKind]) {
        let Ok(mut d) = self.changes.drawn.lock() else {
            return;
        };
        let names = layers.iter().map(|k| k.name());
        match &mut *d {
            Some((b, l)) => {
                *b = [
                    b[0].min(bbox[0]),
                    b[1].min(bbox[1]),
                    b[2].max(bbox[2]),
                    b[3].max(bbox[3]),
                ];
                l.extend(names);
                l.sort_unstable();
                l.dedup();
            }
            None => {
                let mut l: Vec<&'static str> = names.collect();
                l.sort_unstable();
                l.dedup();
                *d = Some((bbox, l));
                let state = Arc::clone(self);
                tokio::spawn(async move {
                    tokio::time::sleep(DRAWN_EVERY).await;
                    let taken = state.changes.drawn.lock().ok().and_then(|mut d| d.take());
                    if let Some((bbox, layers)) = taken {
                        let generation = state.snapshot().generation;
                        let _ = state.changes.tx.send(ChangeEvent::notice(
                            generation,
                            "drawn",
                            "server",
                            layers,
                            Some(bbox),
                        ));
                    }
                });
            }
        }
    }

    /// Makes the spare snapshot now (a copy of the served one) rather than at the first
    /// batch, so that the first edit is as quick as the others; for servers that expect
    /// edits. Run it off the async runtime.
    pub fn prepare_spare(&self) {
        let current = self.snapshot();
        if let Ok(mut s) = self.changes.spare.lock() {
            let have = s.take().and_then(Spare::take);
            let fresh = have
                .filter(|s| s.generation == current.generation)
                .unwrap_or_else(|| own_copy(&current));
            *s = Some(Spare::Ready(Box::new(fresh)));
        }
    }

    /// The change path ([`AppState::reload_lock`]), once its holder lets go; while this
    /// waits it counts among those the next batch serves ([`AppState::changes_waiting`]).
    pub async fn change_path(&self) -> tokio::sync::OwnedMutexGuard<()> {
        // Counted off when the lock is had, or when the wait is given up (dropped).
        let _waiting = self.waiting_for_change();
        Arc::clone(&self.reload_lock).lock_owned().await
    }

    /// Counts the caller among the changes waiting for the change path for as long as
    /// the guard lives: for a change that waits for something else first (a PostGIS
    /// edit waits for the one before it).
    pub fn waiting_for_change(&self) -> ChangeWaiter<'_> {
        self.changes.waiting.fetch_add(1, Ordering::Relaxed);
        ChangeWaiter(&self.changes.waiting)
    }

    /// Changes waiting for the ones being served: tasks waiting for the change path (a
    /// reload, an edit of a PostGIS store, a follower's or a watcher's reading) and edits
    /// in a GeoPackage's queue not yet taken into a group.
    pub fn changes_waiting(&self) -> usize {
        self.change_path_waiting() + self.edit_queue.waiting()
    }

    /// Tasks waiting for the change path.
    pub fn change_path_waiting(&self) -> usize {
        self.changes.waiting.load(Ordering::Relaxed)
    }

    /// The spare snapshot if it is of `generation` (waiting for it while it is brought up
    /// to date), for a past day to take back instead of a new copy of the served one; a
    /// spare of another generation is of no use to anyone and goes too. The next batch
    /// copies the served snapshot unless [`AppState::prepare_spare_quietly`] made another
    /// first. Run it off the async runtime.
    pub(crate) fn take_spare(&self, generation: u64) -> Option<Snapshot> {
        let have = {
            let mut s = self.changes.spare.lock().ok()?;
            match s.take() {
                Some(Spare::Making) => {
                    *s = Some(Spare::Making);
                    return None;
                }
                have => have,
            }
        };
        // Waited for (a copy being brought up to date) with the lock let go: `/metrics`
        // reads it.
        have.and_then(Spare::take)
            .filter(|s| s.generation == generation)
    }

    /// Whether the next batch finds its spare snapshot ready (not being made or brought
    /// up to date, nor missing: then it copies the served one).
    pub fn spare_ready(&self) -> bool {
        let generation = self.snapshot().generation;
        self.changes
            .spare
            .lock()
            .is_ok_and(|s| matches!(&*s, Some(Spare::Ready(s)) if s.generation == generation))
    }

    /// Makes the next spare snapshot after a past day took the last one (or a batch whose
    /// store refused it let it go), on a thread of
    /// its own at the lowest priority and [`SPARE_AFTER`] later: the requests of the
    /// viewer that asked for the day come first (a copy of a million houses is a second
    /// of a core, and its fresh pages' faults slow the tiles beside it whatever its
    /// priority). Nothing when there is a spare, or no memory for one
    /// ([`super::day_data::room_for_a_copy`]).
    pub(crate) fn prepare_spare_quietly(self: &Arc<Self>) {
        {
            let Ok(mut s) = self.changes.spare.lock() else {
                return;
            };
            if s.is_some() || !super::day_data::room_for_a_copy() {
                return;
            }
            *s = Some(Spare::Making);
        }
        let me = Arc::clone(self);
        let made = std::thread::Builder::new()
            .name("riskmap-spare".into())
            .spawn(move || {
                lower_priority(19);
                std::thread::sleep(SPARE_AFTER);
                let copy = own_copy(&me.snapshot());
                if let Ok(mut s) = me.changes.spare.lock()
                    && matches!(*s, Some(Spare::Making))
                {
                    // Not replaced by a batch meanwhile, so of the served generation.
                    *s = Some(Spare::Ready(Box::new(copy)));
                }
            });
        if made.is_err()
            && let Ok(mut s) = self.changes.spare.lock()
            && matches!(*s, Some(Spare::Making))
        {
            *s = None;
        }
    }

    /// Applies a batch of edits made by `actor`: all of them or none. One batch (or
    /// reload) at a time; readers never wait.
    pub async fn apply_edits(
        self: &Arc<Self>,
        edits: Vec<Edit>,
        actor: String,
    ) -> Result<ChangeEvent, ApplyFailure> {
        self.apply_edits_with_reading(edits, actor, None).await
    }

    /// [`AppState::apply_edits`] that also replaces the validation report and the status
    /// words (a new reading of the source).
    pub async fn apply_edits_with_reading(
        self: &Arc<Self>,
        edits: Vec<Edit>,
        actor: String,
        reading: Option<Reading>,
    ) -> Result<ChangeEvent, ApplyFailure> {
        let held = self.change_path().await;
        self.apply_edits_held(&held, edits, actor, reading).await
    }

    /// [`AppState::apply_edits_with_reading`] by a caller that holds the change path
    /// (`held`, of [`AppState::reload_lock`]) already: a follower of a database that reads
    /// the changed rows and serves them without another batch between.
    pub async fn apply_edits_held(
        self: &Arc<Self>,
        _held: &tokio::sync::OwnedMutexGuard<()>,
        edits: Vec<Edit>,
        actor: String,
        reading: Option<Reading>,
    ) -> Result<ChangeEvent, ApplyFailure> {
        let me = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            me.apply_blocking(&edits, actor, reading.as_ref(), None)
        })
        .await
        .map_err(|e| ApplyFailure::Task(e.to_string()))?
    }

    /// Moves the served map to `day`: where each hidden hazard stands, its days overdue,
    /// and the enterprise levels, grid and towns that follow (a whole analysis), through
    /// the change path of every batch. Nothing when the served day is pinned (`--as-of`,
    /// the data's own `as_of`) or not before `day`. A living map runs past midnight: its
    /// hazards become overdue on the new day without any edit.
    pub async fn roll_day(self: &Arc<Self>, day: Day) -> Result<Option<ChangeEvent>, ApplyFailure> {
        let _one = self.change_path().await;
        let s = self.snapshot();
        if s.day_pinned || s.analysis().as_of.is_some_and(|d| d >= day) {
            return Ok(None);
        }
        drop(s);
        let me = Arc::clone(self);
        tokio::task::spawn_blocking(move || me.apply_blocking(&[], "day".into(), None, Some(day)))
            .await
            .map_err(|e| ApplyFailure::Task(e.to_string()))?
            .map(Some)
    }

    fn apply_blocking(
        &self,
        edits: &[Edit],
        actor: String,
        reading: Option<&Reading>,
        day: Option<Day>,
    ) -> Result<ChangeEvent, ApplyFailure> {
        let worked = self.work_blocking(edits, reading, day)?;
        Ok(self.serve_worked(worked, edits, actor, reading, day))
    }

    /// A batch worked out on the spare copy (or a copy of the served snapshot when there is
    /// no spare of its generation), not served yet. A refused batch leaves the spare as it
    /// was; one whose tiles failed drops it.
    pub(super) fn work_blocking(
        &self,
        edits: &[Edit],
        reading: Option<&Reading>,
        day: Option<Day>,
    ) -> Result<Worked, ApplyFailure> {
        let t0 = Instant::now();
        let current = self.snapshot();
        let mut spare = self
            .changes
            .spare
            .lock()
            .ok()
            .and_then(|mut s| s.take())
            .and_then(Spare::take)
            .filter(|s| s.generation == current.generation)
            .unwrap_or_else(|| {
                self.metrics.batch_copies.fetch_add(1, Ordering::Relaxed);
                (*current).clone()
            });
        drop(current);
        let spare_wait_ms = t0.elapsed().as_secs_f64() * 1000.0;
        let t1 = Instant::now();
        let (applied, tile_changes) =
            match background(|| apply_work(&mut spare, edits, reading, day)) {
                Ok(r) => r,
                Err(e) => {
                    // Refused before anything changed (`Live::apply` is all or nothing); a
                    // tile failure leaves the copy inconsistent, so it is dropped.
                    if matches!(e, ApplyFailure::Refused(_))
                        && let Ok(mut s) = self.changes.spare.lock()
                    {
                        *s = Some(Spare::Ready(Box::new(spare)));
                    }
                    return Err(e);
                }
            };
        Ok(Worked {
            spare,
            applied,
            tile_changes,
            started: t0,
            work: t1.elapsed(),
            spare_wait_ms,
        })
    }

    /// Serves a worked batch: swaps its snapshot in, outdates the tiles it may have
    /// changed, announces it, and brings the replaced snapshot up to date (the same batch
    /// again) for the next batch once its readers let go of it.
    pub(super) fn serve_worked(
        &self,
        worked: Worked,
        edits: &[Edit],
        actor: String,
        reading: Option<&Reading>,
        day: Option<Day>,
    ) -> ChangeEvent {
        let Worked {
            mut spare,
            applied,
            tile_changes,
            started: t0,
            work,
            spare_wait_ms,
        } = worked;
        // What a batch of many boxes makes of each tile cached now, worked out before the
        // locks are taken (every tile request waits while they are held); a tile cached
        // meanwhile, and every tile for a batch of a few boxes (a few comparisons each,
        // less than copying the cache's keys), is judged under them.
        let changes_ix = tile_changes.indexed();
        let fate_of = |tiles: &TileSet, (kinds, dated): &(Vec<LayerKind>, bool), z, x, y| {
            if *dated {
                // A tile of another day may change wherever the batch changed an
                // enterprise's hazards, on a day whose changes nobody worked out: every
                // one goes.
                Fate::Drop
            } else if tiles.tile_changed_in(&changes_ix, kinds, z, x, y) {
                Fate::Outdate
            } else {
                Fate::Keep
            }
        };
        let mut specs: HashMap<Arc<str>, (Vec<LayerKind>, bool)> = HashMap::new();
        let mut known: HashMap<Arc<str>, Fates> = HashMap::new();
        let keys = if changes_ix.is_indexed() {
            self.cache
                .lock()
                .map(|c| c.current_keys())
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        for (spec, z, x, y) in keys {
            let layers = specs
                .entry(Arc::clone(&spec))
                .or_insert_with(|| super::handlers::tiles::spec_layers(&spec));
            let fate = fate_of(&spare.tiles, layers, z, x, y);
            known.entry(spec).or_default().insert((z, x, y), fate);
        }
        let generation;
        let old = {
            let mut cache = match self.cache.lock() {
                Ok(c) => c,
                Err(p) => p.into_inner(),
            };
            let mut w = match self.snapshot.write() {
                Ok(w) => w,
                Err(p) => p.into_inner(),
            };
            generation = w.generation + 1;
            spare.generation = generation;
            let old = std::mem::replace(&mut *w, Arc::new(spare));
            let served = Arc::clone(&w);
            drop(w);
            let served_at = Instant::now();
            let dropped = cache.outdate(served_at, |spec, z, x, y| {
                match known.get(spec).and_then(|m| m.get(&(z, x, y))) {
                    Some(f) => *f,
                    None => {
                        let layers = match specs.get(spec) {
                            Some(l) => l,
                            None => specs
                                .entry(Arc::from(spec))
                                .or_insert_with(|| super::handlers::tiles::spec_layers(spec)),
                        };
                        fate_of(&served.tiles, layers, z, x, y)
                    }
                }
            });
            self.metrics
                .tiles_invalidated
                .fetch_add(dropped as u64, Ordering::Relaxed);
            if let Ok(mut r) = self.changes.recent.lock() {
                if r.back().is_some_and(|(g, _, _)| *g + 1 != generation) {
                    r.clear();
                }
                r.push_back((generation, tile_changes.clone(), served_at));
                let mut boxes: usize = r.iter().map(|(_, c, _)| c.boxes.len()).sum();
                while r.len() > 1 && (r.len() > RECENT || boxes > RECENT_BOXES) {
                    if let Some((_, c, _)) = r.pop_front() {
                        boxes -= c.boxes.len();
                    }
                }
            }
            old
        };
        // The days of the replaced generation share its data: let go of them before the
        // spare is brought up to date, so that it changes its own.
        self.dated.clear(generation);
        self.metrics.edit_batches.fetch_add(1, Ordering::Relaxed);
        let apply_ms = t0.elapsed().as_secs_f64() * 1000.0;
        let mut layers: Vec<&'static str> =
            tile_changes.boxes.iter().map(|b| b.layer.name()).collect();
        layers.sort_unstable();
        layers.dedup();
        let event = ChangeEvent {
            generation,
            at_ms: now_ms(),
            kind: if day.is_some() { "day" } else { "edit" },
            actor,
            features: applied.changes.len(),
            layers,
            bbox: tile_changes
                .bounds()
                .map(|r| [r.min().x, r.min().y, r.max().x, r.max().y]),
            apply_ms,
            spare_wait_ms,
        };
        let _ = self.changes.tx.send(event.clone());
        // The snapshot the readers had, brought up to date for the next batch once they
        // let go of it, after this batch is answered.
        let (tx, rx) = std::sync::mpsc::channel();
        if let Ok(mut sp) = self.changes.spare.lock() {
            *sp = Some(Spare::Coming(rx));
        }
        let edits = edits.to_vec();
        let reading = reading.cloned();
        let quiet = catch_up_quietly(work, self.changes_waiting());
        if quiet {
            self.metrics.quiet_catch_ups.fetch_add(1, Ordering::Relaxed);
        }
        std::thread::spawn(move || {
            let deadline = Instant::now() + DRAIN;
            let mut old = old;
            let mine = loop {
                match Arc::try_unwrap(old) {
                    Ok(s) => break Some(s),
                    Err(still) if Instant::now() < deadline => {
                        old = still;
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    Err(_) => break None,
                }
            };
            let caught_up = mine.and_then(|mut s| {
                let catch_up = || apply_work(&mut s, &edits, reading.as_ref(), day);
                if quiet {
                    quietly(catch_up).ok()?;
                } else {
                    background(catch_up).ok()?;
                }
                s.generation = generation;
                Some(s)
            });
            let _ = tx.send(caught_up);
        });
        event
    }
}

/// A change waiting for the change path ([`AppState::waiting_for_change`]), counted off
/// when dropped.
pub struct ChangeWaiter<'a>(&'a AtomicUsize);

impl Drop for ChangeWaiter<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A batch applied to a copy of the served snapshot and not served yet
/// ([`AppState::work_blocking`]).
pub(super) struct Worked {
    spare: Snapshot,
    applied: Applied,
    tile_changes: TileChanges,
    /// When the batch started (before waiting for its copy).
    started: Instant,
    /// How long the batch's work on the copy took.
    work: Duration,
    /// Milliseconds waited for the copy.
    pub(super) spare_wait_ms: f64,
}

/// A copy of `s` with layers of its own now, not at the first batch's change of each: a
/// spare snapshot.
fn own_copy(s: &Snapshot) -> Snapshot {
    let mut copy = s.clone();
    copy.live.unshare();
    copy
}
