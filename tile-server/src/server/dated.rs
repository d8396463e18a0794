//! The map as of another day (`?as_of=YYYY-MM-DD` on tiles, TileJSON, features and the
//! hidden-hazard API; the viewer's date control): one [`Dated`] per day asked for
//! (made in [`super::day_data`]), made once on the blocking pool however many tiles ask
//! for it at once (and one day at a time), and kept for the 8 days of the served
//! generation used last, at most one of them with a copy of the snapshot of its own.
//! A batch of edits or a reload lets go of them all: they are of a generation no longer
//! served, and whatever they share with it would be copied when it changes.

use std::sync::{Arc, Mutex};

use riskmap_core::analysis::{Analysis, analyze};
use riskmap_core::dataset::Dataset;
use riskmap_core::model::Day;
use tokio::sync::OnceCell;

use super::day_data::{Dated, Plan, history_after};
use super::error::AppError;
use super::state::{AppState, Snapshot};

/// Days kept per generation (a viewer steps through a few).
const KEEP: usize = 8;

/// Days kept with a snapshot of their own (taken back through the store's history): one,
/// as a copy is the memory of a snapshot (5 GB at a million houses) on top of the served
/// one and the spare.
const KEEP_COPIES: usize = 1;

type Slot = Arc<OnceCell<Arc<Dated>>>;

/// The dated views of the served generation, the most recently used last.
pub struct DatedViews {
    views: Mutex<Vec<(u64, Day, Slot)>>,
    /// The generation served at the last [`DatedViews::clear`]: days of older ones are
    /// made for a request still reading them, never kept, and evict nothing.
    floor: std::sync::atomic::AtomicU64,
    /// One view made at a time: each is a pass over every hidden hazard and enterprise on
    /// both cores, and a client stepping through days must not queue them up.
    building: tokio::sync::Semaphore,
}

impl Default for DatedViews {
    fn default() -> Self {
        DatedViews {
            views: Mutex::default(),
            floor: std::sync::atomic::AtomicU64::new(0),
            building: tokio::sync::Semaphore::new(1),
        }
    }
}

/// The day of an `as_of` parameter; `None` when absent or empty.
pub(crate) fn parse_as_of(v: Option<&str>) -> Result<Option<Day>, AppError> {
    match v.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => Day::parse_iso(s).map(Some).ok_or_else(|| {
            AppError::bad_request(format!(
                "as_of must be a calendar day written YYYY-MM-DD, not '{s}'"
            ))
        }),
    }
}

impl DatedViews {
    /// The map of `snap` on `day`, made if it is not kept. A request on a generation no
    /// longer served gets its map made but not kept.
    pub(crate) async fn get(
        &self,
        state: &Arc<AppState>,
        snap: &Arc<Snapshot>,
        day: Day,
    ) -> Result<Arc<Dated>, AppError> {
        let slot = {
            let mut v = self
                .views
                .lock()
                .map_err(|_| AppError::Internal("dated views: lock poisoned".into()))?;
            let floor = self.floor.load(std::sync::atomic::Ordering::SeqCst);
            let newest = v.iter().map(|(g, _, _)| *g).max().unwrap_or(0).max(floor);
            if snap.generation > newest {
                // Views of generations no longer served are of no use to anyone.
                v.clear();
            }
            match v
                .iter()
                .position(|(g, d, _)| *g == snap.generation && *d == day)
            {
                Some(i) => {
                    // Used: the last to go.
                    let e = v.remove(i);
                    let s = Arc::clone(&e.2);
                    v.push(e);
                    s
                }
                None => {
                    let s: Slot = Arc::default();
                    if snap.generation >= newest {
                        v.push((snap.generation, day, Arc::clone(&s)));
                        if v.len() > KEEP {
                            v.remove(0);
                        }
                    }
                    s
                }
            }
        };
        let dated = slot
            .get_or_try_init(|| async {
                let _one = self
                    .building
                    .acquire()
                    .await
                    .map_err(|_| AppError::Internal("dated views: closed".into()))?;
                let trail = history_after(state, day).await?;
                let current =
                    snap.generation >= self.floor.load(std::sync::atomic::Ordering::SeqCst);
                let s = Arc::clone(snap);
                let opts = snap.load_options(&state.source.load).into_owned();
                let plan =
                    tokio::task::spawn_blocking(move || Plan::new(s, trail, &opts, day)).await?;
                let copies = state.config.past_day_copies;
                let wants_copy = current && copies && plan.wants_a_copy();
                let kept = if wants_copy {
                    // The kept copy goes first, so that two are never held at once: it
                    // is moved to this day if nothing else holds it.
                    self.take_copy(snap.generation)
                } else {
                    None
                };
                // Else the change path's spare, which is a copy of its own already; the
                // next one is made after this day, off the request's path.
                let spare = if wants_copy && kept.is_none() {
                    let (st, generation) = (state.clone(), snap.generation);
                    tokio::task::spawn_blocking(move || st.take_spare(generation)).await?
                } else {
                    None
                };
                let took_spare = spare.is_some();
                let made =
                    tokio::task::spawn_blocking(move || plan.make(copies, kept, spare)).await;
                if took_spare {
                    state.prepare_spare_quietly();
                }
                let d = made??;
                for (yes, counter) in [
                    (d.moved, &state.metrics.dated_copies_moved),
                    (d.from_spare, &state.metrics.dated_copies_spare),
                ] {
                    if yes {
                        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                }
                let count = match (d.is_copy(), d.taken_back) {
                    (true, _) => Some(&state.metrics.dated_copies),
                    (false, n) if n > 0 => Some(&state.metrics.dated_in_place),
                    _ => None,
                };
                if let Some(c) = count {
                    c.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    // Made again after it was let go, a day may be made otherwise (in
                    // place for want of memory where it was a copy): its tiles drawn
                    // from the earlier one, whose ids its popups would not find, go.
                    if let Ok(mut c) = state.cache.lock() {
                        c.retain(|spec, _, _, _| !super::handlers::tiles::spec_is_of(spec, day));
                    }
                }
                Ok::<_, AppError>(Arc::new(d))
            })
            .await?;
        let dated = Arc::clone(dated);
        if dated.is_copy()
            && snap.generation >= self.floor.load(std::sync::atomic::Ordering::SeqCst)
        {
            self.keep_copies_but(KEEP_COPIES);
        }
        Ok(dated)
    }

    /// Lets go of every day: `generation` is served now, and days of older ones are of
    /// no use to anyone.
    pub(crate) fn clear(&self, generation: u64) {
        self.floor
            .fetch_max(generation, std::sync::atomic::Ordering::SeqCst);
        if let Ok(mut v) = self.views.lock() {
            v.clear();
        }
    }

    /// One whole analysis of another day at a time (seconds and an analysis's memory at a
    /// million houses), after any day being made.
    pub(crate) async fn analysis_permit(
        &self,
    ) -> Result<tokio::sync::SemaphorePermit<'_>, AppError> {
        self.building
            .acquire()
            .await
            .map_err(|_| AppError::Internal("dated views: closed".into()))
    }

    /// Lets go of every day with a snapshot of its own, and hands over the copy of the
    /// one used last if it is of `generation` and nothing else holds it (a request still
    /// drawing from it keeps it until done: then it is only let go).
    fn take_copy(&self, generation: u64) -> Option<super::day_data::Copied> {
        let last = {
            let mut v = self.views.lock().ok()?;
            let mut last = None;
            for i in copies(&v).into_iter().rev() {
                let (g, _, slot) = v.remove(i);
                if last.is_none() && g == generation {
                    last = Some(slot);
                }
            }
            last
        };
        let dated = Arc::try_unwrap(last?).ok()?.into_inner()?;
        Arc::try_unwrap(dated).ok()?.into_copy()
    }

    /// Lets go of the least recently used days with a snapshot of their own, past `keep`.
    fn keep_copies_but(&self, keep: usize) {
        let Ok(mut v) = self.views.lock() else {
            return;
        };
        let copies = copies(&v);
        let extra = copies.len().saturating_sub(keep);
        for i in copies.into_iter().take(extra).rev() {
            v.remove(i);
        }
    }
}

/// Where the days with a snapshot of their own are among the kept ones (least recently
/// used first).
fn copies(views: &[(u64, Day, Slot)]) -> Vec<usize> {
    views
        .iter()
        .enumerate()
        .filter(|(_, (_, _, s))| s.get().is_some_and(|d| d.is_copy()))
        .map(|(i, _)| i)
        .collect()
}

/// The data and a whole analysis of a day, for what is made of the analysis as a whole
/// (the lists, the report).
pub(crate) enum Analysed {
    /// The served snapshot's.
    Served(Arc<Snapshot>),
    /// Another day's: its data (layers shared, not the snapshot) analysed whole.
    Day {
        ds: Box<Dataset>,
        analysis: Box<Analysis>,
        rules: Box<riskmap_core::rules::Rules>,
    },
}

impl Analysed {
    /// The data of the day (the store's history taken back to it).
    pub fn dataset(&self) -> &Dataset {
        match self {
            Analysed::Served(s) => s.dataset(),
            Analysed::Day { ds, .. } => ds,
        }
    }

    /// The analysis of the day.
    pub fn analysis(&self) -> &Analysis {
        match self {
            Analysed::Served(s) => s.analysis(),
            Analysed::Day { analysis, .. } => analysis,
        }
    }

    /// The rules it was made with.
    pub fn rules(&self) -> &riskmap_core::rules::Rules {
        match self {
            Analysed::Served(s) => &s.rules,
            Analysed::Day { rules, .. } => rules,
        }
    }
}

/// The served data and analysis when `day` is none or the analysis's own day; else the
/// data of `day` analysed whole on that day (not kept: a list or a report is asked for
/// now and then, and the analysis of a city takes seconds), one at a time. The served
/// snapshot is let go of before the analysis, so that a batch meanwhile can reuse it.
pub(crate) async fn analysed_on(
    state: &Arc<AppState>,
    snap: Arc<Snapshot>,
    day: Option<Day>,
) -> Result<Analysed, AppError> {
    let Some(day) = day.filter(|d| snap.analysis().as_of != Some(*d)) else {
        return Ok(Analysed::Served(snap));
    };
    let dated = state.dated.get(state, &snap, day).await?;
    let ds = dated.dataset(&snap).clone();
    let mut rules = snap.rules.clone();
    rules.hidden_hazards.as_of = Some(day);
    drop((dated, snap));
    let _one = state.dated.analysis_permit().await?;
    let substances = state.source.load.substances.clone();
    let (ds, analysis, rules) = tokio::task::spawn_blocking(move || {
        let a = super::pools::background(|| analyze(&ds, &substances, &rules));
        (ds, a, rules)
    })
    .await?;
    // The served data passed the loaders' checks: a failure here is the server's.
    let analysis = analysis.map_err(|e| AppError::Internal(format!("the day's analysis: {e}")))?;
    Ok(Analysed::Day {
        ds: Box::new(ds),
        analysis: Box::new(analysis),
        rules: Box::new(rules),
    })
}
