//! The map as of another day (`?as_of=YYYY-MM-DD` on tiles, TileJSON and the hidden-hazard
//! API; the viewer's date control): one [`DatedView`] per day asked for, made once on the
//! blocking pool however many tiles ask for it at once (and one day at a time), and kept
//! for the 8 days of the served generation used last.

use std::sync::{Arc, Mutex};

use riskmap_core::model::Day;
use riskmap_core::tileset::DatedView;
use tokio::sync::OnceCell;

use super::error::AppError;
use super::state::Snapshot;

/// Days kept per generation (a viewer steps through a few).
const KEEP: usize = 8;

type Slot = Arc<OnceCell<Arc<DatedView>>>;

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
    /// The view of `snap` on `day`, made if it is not kept. A request on a generation no
    /// longer served gets its view made but not kept.
    pub(crate) async fn get(
        &self,
        snap: &Arc<Snapshot>,
        day: Day,
    ) -> Result<Arc<DatedView>, AppError> {
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
        let view = slot
            .get_or_try_init(|| async {
                let _one = self
                    .building
                    .acquire()
                    .await
                    .map_err(|_| AppError::Internal("dated views: closed".into()))?;
                let s = Arc::clone(snap);
                let v = tokio::task::spawn_blocking(move || {
                    s.tiles.view_as_of_live(&s.live, &s.rules, day)
                })
                .await??;
                Ok::<_, AppError>(Arc::new(v))
            })
            .await?;
        Ok(Arc::clone(view))
    }
}
