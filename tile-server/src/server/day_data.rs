//! What the map of another day is made of ([`Dated`]): the served snapshot's data, or
//! that data as it stood on the day, taken back over a store's changes since
//! ([`riskmap_core::store::history`]), and the [`DatedView`] of it on the day.
//!
//! Taking back costs what it changes. When only hidden hazards' records changed after the
//! day (their status, deadline or measures: the daily work of a bureau), the day's data
//! is a copy of the served dataset — its layers are shared until changed — with those
//! records as they stood, at the same positions and places, so the served tile set and
//! analysis still index it. Any other change (a house moved, a source's inventory, a
//! feature added or deleted) takes a copy of the whole snapshot back by the change path
//! every edit takes, so that houses, pipes, sources and their conflicts are the day's
//! too; that costs seconds and the memory of a snapshot at a million houses, so it is
//! made only when the machine has that memory free — else those changes stay as they are
//! now and the day says how many (`left_out`). The first such copy is the change path's
//! spare snapshot when there is one: it is a copy of its own already, so taking it back
//! costs the changes alone, and the next spare is made after the day is answered. The
//! copy kept for one day is moved to the
//! next day asked for, when it can be had whole, by the edits that differ between the
//! two (`Copied`): a viewer stepping through days pays for the changes between them, not
//! for another copy. A folder
//! without a trail keeps no history: its day differs from the served map by the hidden
//! hazards' own dates and what follows from them; a folder's trail is taken back as a
//! store's is, its first records included (they are changes, not an import).

use std::collections::HashSet;
use std::sync::Arc;

use riskmap_core::analysis::Analysis;
use riskmap_core::dataset::Dataset;
use riskmap_core::live::{AnyFeature, Edit, Live};
use riskmap_core::model::{Day, LayerKind};
use riskmap_core::store::changes::ChangeRecord;
use riskmap_core::store::history::{self, Reverting};
use riskmap_core::tileset::{DatedView, TileSet};

use super::error::AppError;
use super::handlers::edit::Store;
use super::state::{AppState, Snapshot};

/// The data of a day.
enum DayData {
    /// The served snapshot's: nothing to take back.
    Served,
    /// The served dataset with hidden hazards' records as they stood on the day.
    Records(Box<Dataset>),
    /// A copy of the snapshot taken back by the change path.
    Copy(Copied),
}

/// A copy of the served snapshot taken back to a day, and where it differs from the
/// snapshot it was copied from: what moving it to another day must put right.
pub(super) struct Copied {
    snap: Box<Snapshot>,
    /// The generation of the served snapshot it was copied from.
    generation: u64,
    /// The features it took back (layer, id).
    back: Vec<(LayerKind, String)>,
}

/// The map of one day.
pub struct Dated {
    data: DayData,
    /// The hidden hazards, enterprises, grid and areas of the day.
    pub view: DatedView,
    /// Change records taken back (0: the served data was the day's).
    pub taken_back: usize,
    /// Features changed since the day left as they are now, for want of memory for a
    /// copy of the snapshot (features of other layers than hidden hazards, and hazards
    /// deleted or moved since).
    pub left_out: usize,
    /// Features that could not be taken back, and why.
    pub skipped: Vec<String>,
    /// Whether its copy of the snapshot is the one kept for another day, moved to this.
    pub moved: bool,
    /// Whether its copy of the snapshot is the change path's spare, taken back.
    pub from_spare: bool,
}

impl DayData {
    fn dataset<'a>(&'a self, served: &'a Snapshot) -> &'a Dataset {
        match self {
            DayData::Served => served.dataset(),
            DayData::Records(ds) => ds,
            DayData::Copy(c) => c.snap.dataset(),
        }
    }

    fn snapshot<'a>(&'a self, served: &'a Snapshot) -> &'a Snapshot {
        match self {
            DayData::Copy(c) => &c.snap,
            _ => served,
        }
    }
}

impl Dated {
    /// Whether it holds a copy of the snapshot.
    pub(crate) fn is_copy(&self) -> bool {
        matches!(self.data, DayData::Copy(_))
    }

    /// Its copy of the snapshot, to be moved to another day.
    pub(super) fn into_copy(self) -> Option<Copied> {
        match self.data {
            DayData::Copy(c) => Some(c),
            _ => None,
        }
    }

    /// The data of the day; `served` is the snapshot it was made from.
    pub fn dataset<'a>(&'a self, served: &'a Snapshot) -> &'a Dataset {
        self.data.dataset(served)
    }

    /// The analysis the day's view was made from (the day's own only for its hidden
    /// hazards, enterprises, grid and areas: [`Dated::view`]).
    pub fn analysis<'a>(&'a self, served: &'a Snapshot) -> &'a Analysis {
        self.data.snapshot(served).analysis()
    }

    /// The tile set that indexes the day's data.
    pub fn tiles<'a>(&'a self, served: &'a Snapshot) -> &'a TileSet {
        &self.data.snapshot(served).tiles
    }

    /// The living map whose positions the day's data keeps.
    pub fn live<'a>(&'a self, served: &'a Snapshot) -> &'a Live {
        &self.data.snapshot(served).live
    }
}

/// Whether the served source keeps a history of its changes (a store, or a folder given
/// a trail).
pub(crate) fn keeps_history(state: &AppState) -> bool {
    Store::of(state).is_some() || state.folder_trail().is_some()
}

/// The changes after `day` and the time of the store's first record (its import, never
/// taken back), if the served source keeps a history; `None` for a folder without a
/// trail. A folder's trail starts with a change, not an import: no first record is
/// passed over.
pub(super) async fn history_after(
    state: &AppState,
    day: Day,
) -> Result<Option<(Option<String>, Vec<ChangeRecord>)>, AppError> {
    let cutoff = history::day_end_utc(day);
    use riskmap_core::store::changes;
    let read = match Store::of(state) {
        None => match state.folder_trail() {
            Some(t) => {
                let t = t.to_path_buf();
                tokio::task::spawn_blocking(move || {
                    changes::trail_changes_from(&t, &cutoff).map(|r| (None, r))
                })
                .await?
            }
            None => return Ok(None),
        },
        Some(Store::Db(url)) => {
            return super::pg_edit::changes_from(&url, &cutoff).await.map(Some);
        }
        Some(Store::File(path)) => {
            tokio::task::spawn_blocking(move || changes::changes_from(&path, &cutoff)).await?
        }
    };
    read.map(Some)
        .map_err(|e| AppError::Internal(e.to_string()))
}

/// What a day will be made of, worked out before anything is copied: the caller lets go
/// of a kept copy before [`Plan::make`] makes another.
pub(super) struct Plan {
    snap: Arc<Snapshot>,
    day: Day,
    back: Reverting,
    /// The hidden hazards' records put back in place, and the edits that could not be.
    in_place: Option<(Dataset, usize)>,
}

impl Plan {
    /// The plan for `snap` on `day` with the store's changes after the day (`trail`).
    pub(super) fn new(
        snap: Arc<Snapshot>,
        trail: Option<(Option<String>, Vec<ChangeRecord>)>,
        opts: &riskmap_core::io::LoadOptions,
        day: Day,
    ) -> Plan {
        let back = match &trail {
            Some((first_at, records)) => {
                history::reverting(records, first_at.as_deref(), &snap.live, opts, day)
            }
            None => Reverting::default(),
        };
        let in_place = (!back.is_empty()).then(|| records_in_place(&back, &snap, day));
        Plan {
            snap,
            day,
            back,
            in_place,
        }
    }

    /// Whether it would take a copy of the snapshot (if there is the memory for one).
    pub(super) fn wants_a_copy(&self) -> bool {
        self.in_place.as_ref().is_some_and(|(_, left)| *left > 0)
    }

    /// The map of the day; `copies`: whether a copy of the snapshot may be taken; `kept`:
    /// the copy kept for another day, which is moved to this one if it is of the same
    /// generation (and let go otherwise); `spare`: the spare snapshot of the change path
    /// (of the same generation), taken back in place of a new copy (the caller makes the
    /// next one when the memory allows, [`room_for_a_copy`]).
    pub(super) fn make(
        self,
        copies: bool,
        kept: Option<Copied>,
        spare: Option<Snapshot>,
    ) -> Result<Dated, AppError> {
        let Plan {
            snap,
            day,
            back,
            in_place,
        } = self;
        let mut left_out = 0;
        let kept = kept.filter(|k| copies && k.generation == snap.generation);
        let mut moved = false;
        let mut from_spare = false;
        let data = match in_place {
            None => DayData::Served,
            Some((ds, 0)) => DayData::Records(Box::new(ds)),
            Some((ds, left)) => {
                let was_kept = kept.and_then(|k| move_copy(k, &back, &snap, day));
                if let Some(c) = was_kept {
                    moved = true;
                    DayData::Copy(c)
                } else if spare.is_some() || (copies && room_for_a_copy()) {
                    drop(ds);
                    // The spare's layers are its own: taking it back changes them in
                    // place, where a new copy would first copy every layer it changes.
                    from_spare = spare.is_some();
                    let mut copy = spare.unwrap_or_else(|| (*snap).clone());
                    super::pools::background(|| {
                        super::changes::apply_to(&mut copy, &back.edits, None)
                    })
                    .map_err(|e| {
                        AppError::Internal(format!("taking the map back to {day}: {e}"))
                    })?;
                    DayData::Copy(Copied {
                        snap: Box::new(copy),
                        generation: snap.generation,
                        back: back.edits.iter().map(owned_key).collect(),
                    })
                } else {
                    // Better the hazards of the day on today's ledgers than a server
                    // killed for memory: the response says how many stay as they are.
                    tracing::warn!(day = %day, left, "no copy of the map (no memory, or past_day_copies = false): changes of other layers not taken back");
                    left_out = left;
                    DayData::Records(Box::new(ds))
                }
            }
        };
        if !back.skipped.is_empty() {
            tracing::warn!(day = %day, skipped = ?back.skipped, "changes not taken back");
        }
        let view = super::pools::background(|| {
            let base = data.snapshot(&snap);
            base.tiles
                .view_as_of_live_with(&base.live, data.dataset(&snap), &snap.rules, day)
        })?;
        Ok(Dated {
            data,
            view,
            taken_back: back.records,
            left_out,
            skipped: back.skipped,
            moved,
            from_spare,
        })
    }
}

/// The copy kept for another day moved to `day`: every feature `back` takes back is put
/// as it stood on `day`, and every other feature the copy had taken back is put as
/// served. `None` (the copy let go) if the change path refuses that batch.
fn move_copy(kept: Copied, back: &Reverting, snap: &Snapshot, day: Day) -> Option<Copied> {
    let Copied {
        snap: mut copy,
        generation,
        back: was,
    } = kept;
    let now: HashSet<(LayerKind, &str)> = back.edits.iter().map(key).collect();
    let mut edits = back.edits.clone();
    for (layer, id) in &was {
        if !now.contains(&(*layer, id.as_str())) {
            edits.push(match snap.live.feature(*layer, id) {
                Some(f) => Edit::Put(Box::new(f)),
                None => Edit::Delete {
                    layer: *layer,
                    id: id.clone(),
                },
            });
        }
    }
    match super::pools::background(|| super::changes::apply_to(&mut copy, &edits, None)) {
        Ok(_) => Some(Copied {
            snap: copy,
            generation,
            back: back.edits.iter().map(owned_key).collect(),
        }),
        Err(e) => {
            tracing::warn!(day = %day, error = %e, "the kept copy of the map could not be moved to the day; copying again");
            None
        }
    }
}

/// The feature an edit is of.
fn key(e: &Edit) -> (LayerKind, &str) {
    match e {
        Edit::Put(f) => (f.layer(), f.id()),
        Edit::Delete { layer, id } => (*layer, id),
    }
}

fn owned_key(e: &Edit) -> (LayerKind, String) {
    let (layer, id) = key(e);
    (layer, id.to_string())
}

/// The served dataset with the hidden hazards' records of `back` put back in place, and
/// how many of `back`'s edits could not be: a feature of another layer, a hazard deleted
/// or moved since the day. A hazard added after the day is left as it is when its own
/// record says it was found after the day (it is not on that day's map either way).
fn records_in_place(back: &Reverting, snap: &Snapshot, day: Day) -> (Dataset, usize) {
    let now = snap.dataset();
    let mut ds = now.clone();
    let mut left = 0;
    for e in &back.edits {
        let done = match e {
            Edit::Put(f) => match f.as_ref() {
                AnyFeature::HiddenHazard(h) => {
                    let at = snap.live.position(LayerKind::HiddenHazards, &h.id);
                    match at.and_then(|p| Some((p, &now.hidden_hazards.get(p)?.geometry))) {
                        Some((pos, here)) if same_place(here, &h.geometry) => {
                            // The record as it stood, at the place the tile set indexes.
                            let mut h = h.clone();
                            h.geometry = here.clone();
                            ds.hidden_hazards.replace(pos, h);
                            true
                        }
                        _ => false,
                    }
                }
                _ => false,
            },
            Edit::Delete {
                layer: LayerKind::HiddenHazards,
                id,
            } => snap
                .live
                .position(LayerKind::HiddenHazards, id)
                .and_then(|p| now.hidden_hazards.get(p))
                .is_some_and(|h| h.props.discovered.is_some_and(|d| d > day)),
            Edit::Delete { .. } => false,
        };
        if !done {
            left += 1;
        }
    }
    (ds, left)
}

/// Whether this machine has the memory for one more copy of the snapshot: what the
/// system has available, against this process's resident memory (the served snapshot and
/// the spare: a copy, and the batch that takes it back, need about as much again at a
/// million houses), and within a container's memory limit. Linux; elsewhere, yes.
pub(super) fn room_for_a_copy() -> bool {
    let read = |path: &str, key: &str| -> Option<u64> {
        let text = std::fs::read_to_string(path).ok()?;
        let line = text.lines().find(|l| l.starts_with(key))?;
        line.split_whitespace().nth(1)?.parse().ok()
    };
    // A container's limit (cgroup v2), when it leaves less than the system.
    let cgroup_kb = || -> Option<u64> {
        let max = std::fs::read_to_string("/sys/fs/cgroup/memory.max").ok()?;
        let used = std::fs::read_to_string("/sys/fs/cgroup/memory.current").ok()?;
        let (max, used): (u64, u64) = (max.trim().parse().ok()?, used.trim().parse().ok()?);
        Some(max.saturating_sub(used) / 1024)
    };
    let available = match (read("/proc/meminfo", "MemAvailable:"), cgroup_kb()) {
        (Some(a), Some(c)) => Some(a.min(c)),
        (a, c) => a.or(c),
    };
    match (available, read("/proc/self/status", "VmRSS:")) {
        (Some(available_kb), Some(rss_kb)) => available_kb >= rss_kb,
        _ => true,
    }
}

/// Whether two geometries are the same place as a store's change records keep it. A
/// GeoPackage's records now keep every digit, PostGIS's nine decimals (its GeoJSON), and
/// records written by earlier versions seven (half a unit: 5e-8 degrees); 1e-7 degrees
/// (about 1 cm) covers all three.
fn same_place(a: &geo::Geometry<f64>, b: &geo::Geometry<f64>) -> bool {
    use geo::CoordsIter;
    a.coords_count() == b.coords_count()
        && a.coords_iter()
            .zip(b.coords_iter())
            .all(|(p, q)| (p.x - q.x).abs() <= 1e-7 && (p.y - q.y).abs() <= 1e-7)
}
