//! The map as of another day (`?as_of=YYYY-MM-DD` on tiles, TileJSON and the hidden-hazard
//! API; the viewer's date control): one [`DatedView`] per day asked for, made once on the
//! blocking pool however many tiles ask for it at once, and kept for the last few days
//! of the served generation.

use std::sync::{Arc, Mutex};

use riskmap_core::model::Day;
use riskmap_core::tileset::DatedView;
use tokio::sync::OnceCell;

use super::error::AppError;
use super::state::Snapshot;

/// Days kept per generation (a viewer steps through a few).
const KEEP: usize = 8;

type Slot = Arc<OnceCell<Arc<DatedView>>>;

/// The dated views of the served generation.
#[derive(Default)]
pub struct DatedViews {
    views: Mutex<Vec<(u64, Day, Slot)>>,
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
    /// The view of `snap` on `day`, made if it is not kept.
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
            // Views of generations no longer served are of no use to anyone.
            v.retain(|(g, _, _)| *g >= snap.generation);
            match v
                .iter()
                .find(|(g, d, _)| *g == snap.generation && *d == day)
            {
                Some((_, _, s)) => Arc::clone(s),
                None => {
                    let s: Slot = Arc::default();
                    v.push((snap.generation, day, Arc::clone(&s)));
                    if v.len() > KEEP {
                        v.remove(0);
                    }
                    s
                }
            }
        };
        let view = slot
            .get_or_try_init(|| async {
                let s = Arc::clone(snap);
                let v = tokio::task::spawn_blocking(move || {
                    s.tiles.view_as_of(s.dataset(), s.analysis(), &s.rules, day)
                })
                .await??;
                Ok::<_, AppError>(Arc::new(v))
            })
            .await?;
        Ok(Arc::clone(view))
    }
}
