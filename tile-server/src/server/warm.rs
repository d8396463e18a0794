//! The cached tiles a batch of edits changes, drawn from the batch's snapshot before it is
//! served.
//!
//! Without this, a batch drops the cached tiles it may have changed in the step that
//! serves it, and the next requests for them wait while they are drawn again. Under a
//! stream of edits the tiles people are looking at are dropped again and again, and a
//! tile request's time becomes a render's time on cores the edits share. Here the most
//! recently used of those tiles are drawn from the new snapshot while the old one is
//! still served (readers never wait for a batch), and go into the cache in the same step
//! as the swap: the first request after it finds them. A batch's answer comes that much
//! later; [`WARM_MAX`] and [`WARM_BUDGET`] bound it, and what they leave out is drawn
//! on demand as before.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use rayon::prelude::*;
use riskmap_core::tileset::TileChanges;

use super::cache::{CachedTile, TileCache};
use super::handlers::tiles::{etag_of, spec_layers};
use super::state::Snapshot;

/// The most tiles drawn ahead for one batch: the cache's most recently used first.
pub const WARM_MAX: usize = 256;
/// How long a batch may spend drawing them; the rest are drawn on demand.
pub const WARM_BUDGET: Duration = Duration::from_millis(150);

/// A tile drawn ahead: its layers' spec, z, x, y and its cache entry.
pub type Warmed = (Arc<str>, u8, u32, u32, CachedTile);

/// The cached tiles of the served day that `changes` may change, most recently used
/// first, at most [`WARM_MAX`]: what [`draw`] draws ahead.
pub fn changed(
    cache: &TileCache,
    next: &Snapshot,
    changes: &TileChanges,
) -> Vec<(Arc<str>, u8, u32, u32)> {
    if changes.everything {
        return Vec::new();
    }
    cache.recent_matching(WARM_MAX, |spec, z, x, y| {
        let (kinds, dated) = spec_layers(spec);
        !dated && next.tiles.tile_changed(changes, &kinds, z, x, y)
    })
}

/// `keys` drawn from `next` (the batch's snapshot, not yet served) in parallel on the
/// calling pool, until [`WARM_BUDGET`] is spent. A tile that fails to draw is left out:
/// it is dropped with the others and drawn on demand, where its error is told.
pub fn draw(next: &Snapshot, keys: Vec<(Arc<str>, u8, u32, u32)>) -> Vec<Warmed> {
    let until = Instant::now() + WARM_BUDGET;
    keys.into_par_iter()
        .filter_map(|(spec, z, x, y)| {
            if Instant::now() >= until {
                return None;
            }
            let (kinds, _) = spec_layers(&spec);
            let (ts, ds, a) = (&next.tiles, next.dataset(), next.analysis());
            let raw = ts.render_on_one_thread(ds, a, &kinds, z, x, y).ok()?;
            let gz = if raw.is_empty() {
                raw
            } else {
                riskmap_core::tiles::gzip(&raw).ok()?
            };
            let tile = CachedTile {
                etag: etag_of(&gz),
                gz: Bytes::from(gz),
            };
            Some((spec, z, x, y, tile))
        })
        .collect()
}
