//! The map as of another day (`?as_of=YYYY-MM-DD` on tiles, TileJSON and the hidden-hazard
//! API; the viewer's date control): one [`Dated`] per day asked for, made once on the
//! blocking pool however many tiles ask for it at once (and one day at a time), and kept
//! for the 8 days of the served generation used last.
//!
//! A store (a GeoPackage, a PostGIS database) keeps every change of its ledgers: the
//! features changed after the day are taken back ([`riskmap_core::store::history`]) on a
//! copy of the served snapshot, by the change path every edit takes, so that houses,
//! pipes, hazard sources and their conflicts are the day's too. A folder keeps no
//! history: its day differs from the served map by the hidden hazards' own dates and
//! what follows from them. At most two copies are kept: each is the memory of a
//! snapshot.

use std::sync::{Arc, Mutex};

use riskmap_core::analysis::{Analysis, analyze};
use riskmap_core::model::Day;
use riskmap_core::project::SourceKind;
use riskmap_core::store::changes::ChangeRecord;
use riskmap_core::store::history::{self, Reverting};
use riskmap_core::tileset::DatedView;
use tokio::sync::OnceCell;

use super::error::AppError;
use super::state::{AppState, Snapshot};

/// Days kept per generation (a viewer steps through a few).
const KEEP: usize = 8;

/// Days kept with a snapshot of their own (taken back through the store's history).
const KEEP_COPIES: usize = 2;

/// The map of one day.
pub struct Dated {
    /// The data and results of the day: the served snapshot, or a copy of it taken back
    /// over the store's changes since the day.
    pub base: Arc<Snapshot>,
    /// The hidden hazards, enterprises, grid and areas of the day.
    pub view: DatedView,
    /// Change records taken back (0: the served data was the day's).
    pub taken_back: usize,
    /// Features that could not be taken back, and why.
    pub skipped: Vec<String>,
}

impl Dated {
    /// Whether it holds a snapshot of its own.
    fn own_copy(&self, served: &Arc<Snapshot>) -> bool {
        !Arc::ptr_eq(&self.base, served)
    }
}

type Slot = Arc<OnceCell<Arc<Dated>>>;

/// The dated views of the served generation, the most recently used last.
pub struct DatedViews {
    views: Mutex<Vec<(u64, Day, Slot)>>,
    /// One view made at a time: each is a pass over every hidden hazard and enterprise on
    /// both cores, and a client stepping through days must not queue them up.
    building: tokio::sync::Semaphore,
}

impl Default for DatedViews {
    fn default() -> Self {
        DatedViews {
            views: Mutex::default(),
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
        state: &AppState,
        snap: &Arc<Snapshot>,
        day: Day,
    ) -> Result<Arc<Dated>, AppError> {
        let slot = {
            let mut v = self
                .views
                .lock()
                .map_err(|_| AppError::Internal("dated views: lock poisoned".into()))?;
            let newest = v.iter().map(|(g, _, _)| *g).max().unwrap_or(0);
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
                let s = Arc::clone(snap);
                let opts = state.source.load.clone();
                let d = tokio::task::spawn_blocking(move || make(s, trail, &opts, day)).await??;
                Ok::<_, AppError>(Arc::new(d))
            })
            .await?;
        let dated = Arc::clone(dated);
        if dated.own_copy(snap) {
            self.keep_copies(snap);
        }
        Ok(dated)
    }

    /// Lets go of the least recently used days with a snapshot of their own, past
    /// [`KEEP_COPIES`].
    fn keep_copies(&self, served: &Arc<Snapshot>) {
        let Ok(mut v) = self.views.lock() else {
            return;
        };
        let copies: Vec<usize> = v
            .iter()
            .enumerate()
            .filter(|(_, (_, _, s))| s.get().is_some_and(|d| d.own_copy(served)))
            .map(|(i, _)| i)
            .collect();
        let extra = copies.len().saturating_sub(KEEP_COPIES);
        for i in copies.into_iter().take(extra).rev() {
            v.remove(i);
        }
    }
}

/// The data and a whole analysis of a day, for what is made of the analysis as a whole
/// (the lists, the report).
pub(crate) struct Analysed {
    /// The data of the day (the store's history taken back to it).
    pub base: Arc<Snapshot>,
    own: Option<Analysis>,
}

impl Analysed {
    /// The analysis of the day.
    pub fn analysis(&self) -> &Analysis {
        self.own.as_ref().unwrap_or_else(|| self.base.analysis())
    }
}

/// The served data and analysis when `day` is none or the analysis's own day; else the
/// data of `day` analysed whole on that day (not kept: a list or a report is asked for
/// now and then, and the analysis of a city takes seconds).
pub(crate) async fn analysed_on(
    state: &AppState,
    snap: Arc<Snapshot>,
    day: Option<Day>,
) -> Result<Analysed, AppError> {
    let Some(day) = day.filter(|d| snap.analysis().as_of != Some(*d)) else {
        return Ok(Analysed {
            base: snap,
            own: None,
        });
    };
    let base = Arc::clone(&state.dated.get(state, &snap, day).await?.base);
    let substances = state.source.load.substances.clone();
    let b = Arc::clone(&base);
    let own = tokio::task::spawn_blocking(move || {
        let mut rules = b.rules.clone();
        rules.hidden_hazards.as_of = Some(day);
        super::changes::background(|| analyze(b.dataset(), &substances, &rules))
    })
    .await?;
    Ok(Analysed {
        base,
        own: Some(own),
    })
}

/// Whether the served source keeps a history of its changes (a store, not a folder).
pub(crate) fn keeps_history(state: &AppState) -> bool {
    state.source.db.is_some()
        || matches!(
            SourceKind::of(&state.source.dir),
            Ok(SourceKind::GeoPackage)
        )
}

/// The store's changes after `day` and the time of its first record, if the served
/// source is a store; `None` for a folder.
async fn history_after(
    state: &AppState,
    day: Day,
) -> Result<Option<(Option<String>, Vec<ChangeRecord>)>, AppError> {
    let cutoff = history::day_end_utc(day);
    let internal = |e: riskmap_core::store::StoreError| AppError::Internal(e.to_string());
    if let Some(url) = &state.source.db {
        let (client, db) = riskmap_core::store::pg::connect(url.secret())
            .await
            .map_err(internal)?;
        let got = riskmap_core::store::pg::changes_from(&client, &db, &cutoff)
            .await
            .map_err(internal)?;
        return Ok(Some(got));
    }
    if !keeps_history(state) {
        return Ok(None);
    }
    let path = state.source.dir.clone();
    let got = tokio::task::spawn_blocking(move || {
        riskmap_core::store::changes::changes_from(&path, &cutoff)
    })
    .await?
    .map_err(internal)?;
    Ok(Some(got))
}

/// The map of `snap` on `day`: taken back over the store's changes after the day first,
/// if any.
fn make(
    snap: Arc<Snapshot>,
    trail: Option<(Option<String>, Vec<ChangeRecord>)>,
    opts: &riskmap_core::io::LoadOptions,
    day: Day,
) -> Result<Dated, AppError> {
    let back = match &trail {
        Some((first_at, records)) => {
            history::reverting(records, first_at.as_deref(), &snap.live, opts, day)
        }
        None => Reverting::default(),
    };
    let base = if back.is_empty() {
        snap
    } else {
        let mut copy = (*snap).clone();
        super::changes::background(|| super::changes::apply_to(&mut copy, &back.edits, None))
            .map_err(|e| AppError::Internal(format!("taking the map back to {day}: {e}")))?;
        Arc::new(copy)
    };
    if !back.skipped.is_empty() {
        tracing::warn!(day = %day, skipped = ?back.skipped, "changes not taken back");
    }
    let view =
        super::changes::background(|| base.tiles.view_as_of_live(&base.live, &base.rules, day))?;
    Ok(Dated {
        base,
        view,
        taken_back: back.records,
        skipped: back.skipped,
    })
}
