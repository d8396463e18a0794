//! The levels at each month's end of a trend (`/api/hidden/trend`) on a store's server:
//! the map as it stood on each of those days.
//!
//! A store keeps the history of its changes ([`riskmap_core::store::history`]). When
//! houses, hazard sources, pipes or enterprises changed during the trend's months, one
//! copy of the living map is taken back month by month, newest first: each step takes
//! back the changes made within one month (the first, those after the trend's last day),
//! by the change path every edit takes, so that each step costs what changed in that
//! month. After each step the enterprises and houses per level of every area are
//! counted ([`hidden_trend::levels_on`]). When only hidden hazards' records changed in
//! those months, the map of the trend's last day holds every month's houses, and nothing
//! is copied.
//!
//! The copy is the change path's spare snapshot when there is one (the next is made
//! later, as for a past day), else a copy of the served map, made only when the machine
//! has the memory for it (`room_for_a_copy`); without one the houses stay as they are
//! on the trend's last day and the answer says how many features that leaves out. The
//! last walk is kept, for the next area asked for on the same generation and day.

use std::collections::HashSet;
use std::sync::Arc;

use riskmap_core::analysis::hidden_trend::{self, MonthLevels};
use riskmap_core::model::{Day, LayerKind};
use riskmap_core::store::history;

use super::day_data::{history_after, room_for_a_copy};
use super::error::AppError;
use super::state::{AppState, Snapshot};

/// The levels of a trend's months on a store's server.
#[derive(Debug, Default)]
pub struct MonthEnds {
    /// Per month, oldest first; `None`: the map of the trend's last day holds them
    /// (nothing but hidden hazards changed in the months, or no copy could be had).
    pub levels: Option<Vec<MonthLevels>>,
    /// Change records taken back for them.
    pub taken_back: usize,
    /// Features of other layers than hidden hazards changed in the months and left as
    /// they are on the trend's last day, for want of memory for a copy.
    pub left_out: usize,
}

/// The last walk: its served generation, last day and months.
type Kept = Option<((u64, Day, u32), Arc<MonthEnds>)>;

/// The last walk made, kept for the next area asked for.
#[derive(Default)]
pub struct MonthEndsCache {
    last: tokio::sync::Mutex<Kept>,
}

impl MonthEndsCache {
    /// The levels of the `months` months up to `day` on `snap`, the served snapshot of
    /// a store's server (or a folder's with a trail); `None` for a folder that keeps no
    /// history.
    pub(super) async fn get(
        &self,
        state: &Arc<AppState>,
        snap: &Arc<Snapshot>,
        months: u32,
        day: Day,
    ) -> Result<Option<Arc<MonthEnds>>, AppError> {
        if !super::day_data::keeps_history(state) {
            return Ok(None);
        }
        let key = (snap.generation, day, months);
        // One walk at a time: a second request for another area waits for this one.
        let mut last = self.last.lock().await;
        if let Some((k, m)) = last.as_ref()
            && *k == key
        {
            return Ok(Some(Arc::clone(m)));
        }
        let spans = hidden_trend::month_spans(months, day);
        let first_end = spans.first().map_or(day, |s| s.1);
        let Some((first_at, records)) = history_after(state, first_end).await? else {
            return Ok(None);
        };
        let windows = history::by_month(records, first_at.as_deref(), &spans);
        // The features of other layers changed up to the trend's last day.
        let others: HashSet<(&str, &str)> = windows
            .iter()
            .take(spans.len().saturating_sub(1))
            .flatten()
            .filter(|r| r.layer != LayerKind::HiddenHazards.name())
            .map(|r| (r.layer.as_str(), r.id.as_str()))
            .collect();
        let ends = if others.is_empty() {
            MonthEnds::default()
        } else {
            let left = others.len();
            let spare = if state.config.past_day_copies {
                let (st, generation) = (Arc::clone(state), snap.generation);
                tokio::task::spawn_blocking(move || st.take_spare(generation)).await?
            } else {
                None
            };
            let took_spare = spare.is_some();
            let copy = match spare {
                Some(s) => Some(s.live),
                None if state.config.past_day_copies && room_for_a_copy() => {
                    Some(snap.live.clone())
                }
                None => None,
            };
            match copy {
                Some(live) => {
                    let opts = snap.load_options(&state.source.load).into_owned();
                    let first_at = first_at.clone();
                    let walked = tokio::task::spawn_blocking(move || {
                        super::pools::background(move || {
                            history::month_by_month(
                                live,
                                &windows,
                                first_at.as_deref(),
                                &opts,
                                &spans,
                            )
                        })
                    })
                    .await?;
                    if took_spare {
                        state.prepare_spare_quietly();
                    }
                    if !walked.skipped.is_empty() {
                        tracing::warn!(day = %day, skipped = ?walked.skipped, "changes not taken back for the trend");
                    }
                    MonthEnds {
                        levels: Some(walked.levels),
                        taken_back: walked.taken_back,
                        left_out: 0,
                    }
                }
                None => {
                    tracing::warn!(day = %day, left, "no copy of the map for the trend (no memory, or past_day_copies = false): houses counted as on its last day");
                    MonthEnds {
                        left_out: left,
                        ..MonthEnds::default()
                    }
                }
            }
        };
        let ends = Arc::new(ends);
        *last = Some((key, Arc::clone(&ends)));
        Ok(Some(ends))
    }
}
