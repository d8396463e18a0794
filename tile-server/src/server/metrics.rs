//! Counters and histograms exposed at `/metrics` in the Prometheus text format.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Upper bounds of the tile render-time histogram, seconds.
const BUCKETS: [f64; 10] = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0];

/// Upper bounds of the histogram of how long outdated tiles answered had been outdated,
/// seconds.
const OUTDATED_BUCKETS: [f64; 7] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0];

/// A Prometheus histogram of seconds over fixed bucket bounds (`N` of them, +Inf apart).
#[derive(Debug)]
struct Histogram<const N: usize> {
    buckets: [AtomicU64; N],
    count: AtomicU64,
    sum_us: AtomicU64,
}

impl<const N: usize> Default for Histogram<N> {
    fn default() -> Self {
        Histogram {
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            count: AtomicU64::new(0),
            sum_us: AtomicU64::new(0),
        }
    }
}

impl<const N: usize> Histogram<N> {
    fn record(&self, bounds: &[f64; N], secs: f64) {
        for (b, n) in bounds.iter().zip(&self.buckets) {
            if secs <= *b {
                n.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_us
            .fetch_add((secs * 1e6) as u64, Ordering::Relaxed);
    }

    fn write(&self, s: &mut String, name: &str, help: &str, bounds: &[f64; N]) {
        let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} histogram");
        for (b, n) in bounds.iter().zip(&self.buckets) {
            let _ = writeln!(
                s,
                "{name}_bucket{{le=\"{b}\"}} {}",
                n.load(Ordering::Relaxed)
            );
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(s, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(
            s,
            "{name}_sum {}",
            self.sum_us.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(s, "{name}_count {count}");
    }
}

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
    /// Outdated tiles drawn again behind the answers (the server was busy).
    pub tiles_redrawn_behind: AtomicU64,
    /// Of those, the drawings that came out the same as the drawing answered: tiles the
    /// batches may have changed and did not.
    pub tiles_redrawn_same: AtomicU64,
    outdated: Histogram<{ OUTDATED_BUCKETS.len() }>,
    /// Batches of edits applied.
    pub edit_batches: AtomicU64,
    /// Of the batches, those that found no spare snapshot ready and copied the served one.
    pub batch_copies: AtomicU64,
    /// Of the batches, those whose replaced snapshot was brought up to date on the pool of
    /// lower priority (`pools::quietly`).
    pub quiet_catch_ups: AtomicU64,
    /// Readings of the whole source to follow a change of it (the watcher's, an edit's
    /// that found the GeoPackage changed, a database follower's catch-up).
    pub source_readings: AtomicU64,
    /// Readings of a GeoPackage by the rows its triggers marked as changed, instead of
    /// the whole file.
    pub source_row_readings: AtomicU64,
    /// Changes read from a data folder that could not be recorded in its trail.
    pub trail_failures: AtomicU64,
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
    renders: Histogram<{ BUCKETS.len() }>,
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
        self.renders.record(&BUCKETS, secs);
    }

    /// Records a tile answered from its last drawing, outdated for `secs`.
    pub fn outdated_served(&self, secs: f64) {
        self.outdated.record(&OUTDATED_BUCKETS, secs);
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
            "riskmap_tiles_redrawn_behind_total",
            "Outdated tiles drawn again while their last drawing was answered (all tile slots were taken).",
            self.tiles_redrawn_behind.load(Ordering::Relaxed),
        );
        counter(
            &mut s,
            "riskmap_tiles_redrawn_same_total",
            "Of the tiles drawn again behind an answer, those drawn the same as the drawing answered (the batches may have changed them and did not).",
            self.tiles_redrawn_same.load(Ordering::Relaxed),
        );
        self.outdated.write(
            &mut s,
            "riskmap_tile_outdated_answer_seconds",
            "How long a tile answered from its last drawing had been outdated.",
            &OUTDATED_BUCKETS,
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
            "riskmap_edit_quiet_catch_ups_total",
            "Batches whose replaced snapshot was brought up to date at a lower priority than the tiles (a small batch no edit waited behind).",
            self.quiet_catch_ups.load(Ordering::Relaxed),
        );
        counter(
            &mut s,
            "riskmap_source_readings_total",
            "Readings of the whole source to follow a change of it (a reload's not counted).",
            self.source_readings.load(Ordering::Relaxed),
        );
        counter(
            &mut s,
            "riskmap_source_row_readings_total",
            "Readings of a GeoPackage by the rows another program changed, not whole.",
            self.source_row_readings.load(Ordering::Relaxed),
        );
        counter(
            &mut s,
            "riskmap_trail_failures_total",
            "Batches of changes read from a data folder that could not be recorded in its trail.",
            self.trail_failures.load(Ordering::Relaxed),
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
        self.renders.write(
            &mut s,
            "riskmap_tile_render_seconds",
            "Time to render an uncached tile.",
            &BUCKETS,
        );
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
