//! Counters and histograms exposed at `/metrics` in the Prometheus text format.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Upper bounds of the tile render-time histogram, seconds.
const BUCKETS: [f64; 10] = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0];

/// The server's metrics.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    /// Tile cache hits.
    pub cache_hits: AtomicU64,
    /// Tile cache misses.
    pub cache_misses: AtomicU64,
    /// Cached tiles dropped because a batch of edits may have changed them.
    pub tiles_invalidated: AtomicU64,
    /// Batches of edits applied.
    pub edit_batches: AtomicU64,
    /// Of the batches, those that found no spare snapshot ready and copied the served one.
    pub batch_copies: AtomicU64,
    /// Maps of another day made from the served data with hidden hazards' records taken
    /// back in place.
    pub dated_in_place: AtomicU64,
    /// Maps of another day that took a copy of the whole snapshot back.
    pub dated_copies: AtomicU64,
    /// Of those, the ones made by moving the copy kept for another day, instead of a new
    /// copy of the served snapshot.
    pub dated_copies_moved: AtomicU64,
    /// Of those, the ones that took the change path's spare snapshot back.
    pub dated_copies_spare: AtomicU64,
    render_buckets: [AtomicU64; BUCKETS.len()],
    render_count: AtomicU64,
    render_sum_us: AtomicU64,
    /// Successful reloads.
    pub reloads_ok: AtomicU64,
    /// Failed reloads.
    pub reloads_failed: AtomicU64,
    /// Reloads refused because they would lose files or features.
    pub reloads_refused: AtomicU64,
    /// Reloads abandoned past their timeout.
    pub reloads_timed_out: AtomicU64,
}

impl Metrics {
    /// Counts a request by route and status.
    pub fn request(&self, route: &str, status: u16) {
        if let Ok(mut m) = self.requests.lock() {
            *m.entry((route.to_string(), status)).or_default() += 1;
        }
    }

    /// Records a tile render time.
    pub fn render(&self, secs: f64) {
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                self.render_buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.render_count.fetch_add(1, Ordering::Relaxed);
        self.render_sum_us
            .fetch_add((secs * 1e6) as u64, Ordering::Relaxed);
    }

    /// The text exposition; `gauges` are appended as `riskmap_<name> value` lines.
    pub fn render_text(&self, gauges: &[(&str, &str, String)]) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "# HELP riskmap_http_requests_total HTTP requests by route and status."
        );
        let _ = writeln!(s, "# TYPE riskmap_http_requests_total counter");
        if let Ok(m) = self.requests.lock() {
            for ((route, status), n) in m.iter() {
                let _ = writeln!(
                    s,
                    "riskmap_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}"
                );
            }
        }
        let counter = |s: &mut String, name: &str, help: &str, v: u64| {
            let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}");
        };
        counter(
            &mut s,
            "riskmap_tile_cache_hits_total",
            "Tiles served from the cache.",
            self.cache_hits.load(Ordering::Relaxed),
        );
        counter(
            &mut s,
            "riskmap_tile_cache_misses_total",
            "Tiles rendered.",
            self.cache_misses.load(Ordering::Relaxed),
        );
        counter(
            &mut s,
            "riskmap_tiles_invalidated_total",
            "Cached tiles dropped because a batch of edits may have changed them.",
            self.tiles_invalidated.load(Ordering::Relaxed),
        );
        counter(
            &mut s,
            "riskmap_edit_batches_total",
            "Batches of edits applied to the served data.",
            self.edit_batches.load(Ordering::Relaxed),
        );
        counter(
            &mut s,
            "riskmap_edit_batch_copies_total",
            "Batches that found no spare snapshot ready and copied the served one first.",
            self.batch_copies.load(Ordering::Relaxed),
        );
        counter(
            &mut s,
            "riskmap_dated_in_place_total",
            "Maps of another day made with hidden hazards' records taken back in place.",
            self.dated_in_place.load(Ordering::Relaxed),
        );
        counter(
            &mut s,
            "riskmap_dated_copies_total",
            "Maps of another day that took a copy of the snapshot back over a store's changes.",
            self.dated_copies.load(Ordering::Relaxed),
        );
        counter(
            &mut s,
            "riskmap_dated_copies_moved_total",
            "Of those, the ones made by moving the copy kept for another day to this one.",
            self.dated_copies_moved.load(Ordering::Relaxed),
        );
        counter(
            &mut s,
            "riskmap_dated_copies_spare_total",
            "Of those, the ones that took the spare snapshot of the edits back (no copy made).",
            self.dated_copies_spare.load(Ordering::Relaxed),
        );
        let _ = writeln!(
            s,
            "# HELP riskmap_reloads_total Data reloads by result.\n# TYPE riskmap_reloads_total counter"
        );
        let _ = writeln!(
            s,
            "riskmap_reloads_total{{result=\"ok\"}} {}",
            self.reloads_ok.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            s,
            "riskmap_reloads_total{{result=\"failed\"}} {}",
            self.reloads_failed.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            s,
            "riskmap_reloads_total{{result=\"refused\"}} {}\nriskmap_reloads_total{{result=\"timeout\"}} {}",
            self.reloads_refused.load(Ordering::Relaxed),
            self.reloads_timed_out.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            s,
            "# HELP riskmap_tile_render_seconds Time to render an uncached tile."
        );
        let _ = writeln!(s, "# TYPE riskmap_tile_render_seconds histogram");
        for (i, b) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                s,
                "riskmap_tile_render_seconds_bucket{{le=\"{b}\"}} {}",
                self.render_buckets[i].load(Ordering::Relaxed)
            );
        }
        let count = self.render_count.load(Ordering::Relaxed);
        let _ = writeln!(
            s,
            "riskmap_tile_render_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let _ = writeln!(
            s,
            "riskmap_tile_render_seconds_sum {}",
            self.render_sum_us.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(s, "riskmap_tile_render_seconds_count {count}");
        let mut last = "";
        for (name, help, v) in gauges {
            // One HELP/TYPE per metric family, however many label sets follow.
            let base = name.split('{').next().unwrap_or(name);
            if base != last {
                let _ = writeln!(
                    s,
                    "# HELP riskmap_{base} {help}\n# TYPE riskmap_{base} gauge"
                );
                last = base;
            }
            let _ = writeln!(s, "riskmap_{name} {v}");
        }
        s
    }
}
