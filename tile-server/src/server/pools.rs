//! The threads of the change path, apart from the tiles'.
//!
//! The work of a batch (and of reading the source again) runs on a thread pool of its own
//! ([`background`]): its parallel loops over a million houses would otherwise fill the
//! global pool that a tile uses for its own parallel parts, and the tile would wait for
//! each loop to end (seconds in a storm of 100,000 changes).
//!
//! Once a batch is served, the snapshot it replaced is brought up to date with the same
//! batch for the next one (`changes`). What waits for that copy is the next batch (and a
//! past day's view or a trend that takes it instead of copying the map), while the
//! viewers that the batch's announcement reaches ask for the tiles it changed at that very
//! moment: on two cores the two shared them, and a chemical park's tile drawn beside the
//! copy's work took a fifth to a third longer. A small batch's copy is therefore brought
//! up to date on a pool of lower priority ([`quietly`], nice [`QUIET_NICE`] on Linux),
//! which takes what the tiles leave, when no change waits for the change path
//! ([`catch_up_quietly`], given `AppState::changes_waiting`: edits in a GeoPackage's
//! queue, and any task waiting for the path: a PostGIS edit, a follower's or a watcher's
//! reading, a reload). A large batch's copy, or any copy while changes wait, runs on
//! [`background`]. On an idle machine the priority changes nothing; on one kept busy by
//! tiles a copy of low priority goes many times slower (a thread of nice 10 beside two of
//! nice 0 on each core gets about a twentieth of a core, so a copy of [`QUIET_AT_MOST`]
//! about 0.4 s; more beside more threads), and a change that comes meanwhile waits for it:
//! the bound keeps that short. The priority of a thread cannot be raised again without
//! privileges, so a copy started quietly finishes quietly.

use std::sync::OnceLock;
use std::time::Duration;

/// The nice value of the quiet pool's threads: a tenth of the weight of a thread of nice
/// 0 (Linux's weights: 110 against 1,024).
pub const QUIET_NICE: i32 = 10;

/// The most work a batch may have taken for the copy it replaced to be brought up to date
/// quietly.
pub const QUIET_AT_MOST: Duration = Duration::from_millis(20);

/// Whether the copy a batch replaced is brought up to date on the quiet pool: the batch's
/// own work took at most [`QUIET_AT_MOST`] (its copy takes about as long) and no change is
/// waiting for the next batch.
pub fn catch_up_quietly(work: Duration, changes_waiting: usize) -> bool {
    work <= QUIET_AT_MOST && changes_waiting == 0
}

/// Runs `f` on the pool kept for the work of the change path (batches, readings of the
/// source, past days' and trends' analyses; as many threads as the global pool), so that
/// its parallel loops never queue in front of a tile's; on the caller's pool if that pool
/// could not be made.
pub fn background<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    static POOL: OnceLock<Option<rayon::ThreadPool>> = OnceLock::new();
    run_on(&POOL, "riskmap-batch", None, f)
}

/// Runs `f` on a pool like [`background`]'s whose threads run at nice [`QUIET_NICE`].
pub fn quietly<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    static POOL: OnceLock<Option<rayon::ThreadPool>> = OnceLock::new();
    run_on(&POOL, "riskmap-catch-up", Some(QUIET_NICE), f)
}

fn run_on<R: Send>(
    pool: &OnceLock<Option<rayon::ThreadPool>>,
    name: &'static str,
    nice: Option<i32>,
    f: impl FnOnce() -> R + Send,
) -> R {
    let pool = pool.get_or_init(|| {
        let mut b = rayon::ThreadPoolBuilder::new().thread_name(move |i| format!("{name}-{i}"));
        if let Some(n) = nice {
            b = b.start_handler(move |_| lower_priority(n));
        }
        b.build()
            .map_err(|e| tracing::warn!(error = %e, pool = name, "no pool of its own"))
            .ok()
    });
    match pool {
        Some(p) => p.install(f),
        None => f(),
    }
}

/// The calling thread's scheduling priority lowered to nice `nice` (Linux applies it to
/// the thread alone); elsewhere, nothing.
pub(super) fn lower_priority(nice: i32) {
    #[cfg(target_os = "linux")]
    {
        let _ = rustix::process::setpriority_process(Some(rustix::thread::gettid()), nice);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = nice;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// This thread's nice value, from `/proc` (field 19 of the thread's `stat`, after the
    /// name in parentheses): read independently of the call that set it.
    #[cfg(target_os = "linux")]
    fn nice_of_this_thread() -> i32 {
        let tid = rustix::thread::gettid().as_raw_nonzero().get();
        let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).unwrap();
        let after = &stat[stat.rfind(')').unwrap() + 2..];
        // After the name: state (3), then fields 4.. ; nice is field 19.
        after.split(' ').nth(19 - 3).unwrap().parse().unwrap()
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn the_quiet_pool_runs_at_its_nice_value_and_the_batch_pool_at_the_callers() {
        let ours = nice_of_this_thread();
        // A process already nicer than the pool keeps its own (an unprivileged one cannot
        // go back), which leaves nothing to check here.
        if ours >= QUIET_NICE {
            return;
        }
        assert_eq!(quietly(nice_of_this_thread), QUIET_NICE);
        // Inside the pool's parallel loops too.
        let all: Vec<i32> = quietly(|| {
            use rayon::prelude::*;
            (0..64)
                .into_par_iter()
                .map(|_| nice_of_this_thread())
                .collect()
        });
        assert!(all.iter().all(|n| *n == QUIET_NICE), "{all:?}");
        assert_eq!(background(nice_of_this_thread), ours);
    }

    #[test]
    fn a_copy_is_brought_up_to_date_quietly_only_when_small_and_nobody_waits() {
        assert!(catch_up_quietly(Duration::from_millis(4), 0));
        assert!(catch_up_quietly(Duration::from_millis(20), 0));
        assert!(!catch_up_quietly(Duration::from_millis(21), 0));
        assert!(!catch_up_quietly(Duration::from_millis(4), 1));
        assert!(!catch_up_quietly(Duration::from_secs(2), 0));
    }
}
