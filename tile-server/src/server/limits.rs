//! Bounds on expensive work, so that no kind of request can starve the others.
//!
//! Every kind of blocking work (rendering tiles, site checks, GeoJSON exports, search) goes
//! through its own [`Gate`]: a semaphore of `concurrency` permits and a queue of at most
//! `queue` waiting requests. Past the queue a request is refused at once with 503 and
//! `Retry-After`; a request that waits or runs past the time limit gets the same answer.
//! The permit is moved into the blocking task, so work whose client was answered 503 keeps
//! its slot until it really ends: a burst of slow requests never runs more than
//! `concurrency` of them at once, and tiles, with their own gate, always have threads.
//!
//! [`TileFlights`] makes concurrent misses of one tile wait for the one render in flight,
//! and keeps to one the drawings of an outdated tile made behind the answers
//! (`Limits::redraw`).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Semaphore, watch};
use tokio::time::Instant;

use super::cache::{CachedTile, TileKey};
use super::config::ServerConfig;
use super::error::AppError;

/// One class of work: at most `concurrency` running, at most `queue` waiting, each for at
/// most `timeout` (waiting and running together).
#[derive(Debug)]
pub struct Gate {
    name: &'static str,
    permits: Arc<Semaphore>,
    concurrency: usize,
    waiting: AtomicUsize,
    queue: usize,
    timeout: Duration,
}

/// Decrements the waiting count when a waiter leaves, whichever way it leaves.
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Gate {
    /// A gate of `concurrency` permits (at least 1), a queue of `queue` and a time limit.
    pub fn new(name: &'static str, concurrency: usize, queue: usize, timeout: Duration) -> Gate {
        let concurrency = concurrency.max(1);
        Gate {
            name,
            permits: Arc::new(Semaphore::new(concurrency)),
            concurrency,
            waiting: AtomicUsize::new(0),
            queue,
            timeout,
        }
    }

    /// Holds every permit until the returned guard is dropped: nothing of this class
    /// starts meanwhile (requests queue). For maintenance and for tests that must see
    /// requests waiting. `None` only if the gate were closed, which it never is.
    pub async fn pause(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        let n = u32::try_from(self.concurrency).ok()?;
        Arc::clone(&self.permits).acquire_many_owned(n).await.ok()
    }

    /// Whether a request starting now would leave a permit free and nobody waiting: then
    /// work of this class may use a second thread (a tile on an otherwise idle server).
    pub fn has_spare(&self) -> bool {
        self.permits.available_permits() >= 2 && self.waiting.load(Ordering::Relaxed) == 0
    }

    /// Whether a request starting now would have to wait for a permit: every one is
    /// taken, or others wait already.
    pub fn is_full(&self) -> bool {
        self.permits.available_permits() == 0 || self.waiting.load(Ordering::Relaxed) > 0
    }

    /// Whether anything of this class runs or waits.
    pub fn is_busy(&self) -> bool {
        self.permits.available_permits() < self.concurrency
            || self.waiting.load(Ordering::Relaxed) > 0
    }

    fn busy(&self, why: &str) -> AppError {
        AppError::Busy {
            message: format!("server busy: {} {why}; try again later", self.name),
            retry_after_s: self.timeout.as_secs().clamp(1, 5),
        }
    }

    /// Runs `f` on the blocking pool under a permit of this gate.
    pub async fn run<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let deadline = Instant::now() + self.timeout;
        let permit = match Arc::clone(&self.permits).try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                let before = self.waiting.fetch_add(1, Ordering::Relaxed);
                let _w = Waiting(&self.waiting);
                if before >= self.queue {
                    return Err(self.busy(&format!(
                        "has {} running and {before} waiting",
                        self.concurrency
                    )));
                }
                match tokio::time::timeout_at(deadline, Arc::clone(&self.permits).acquire_owned())
                    .await
                {
                    Ok(Ok(p)) => p,
                    Ok(Err(_)) => return Err(self.busy("is shut down")),
                    Err(_) => {
                        return Err(self.busy(&format!(
                            "waited {} s for a free slot",
                            self.timeout.as_secs_f64()
                        )));
                    }
                }
            }
        };
        let task = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            f()
        });
        match tokio::time::timeout_at(deadline, task).await {
            Ok(r) => Ok(r?),
            Err(_) => Err(self.busy(&format!(
                "took longer than {} s",
                self.timeout.as_secs_f64()
            ))),
        }
    }
}

/// The result of a render, as every request waiting for it receives it.
type Outcome = Option<Result<CachedTile, Arc<AppError>>>;

/// The renders in flight, by tile key: the first miss renders, later misses of the same
/// key wait for its result. The lock is held only to look up or insert, never while
/// rendering.
#[derive(Debug, Default)]
pub struct TileFlights {
    flights: Mutex<HashMap<TileKey, watch::Sender<Outcome>>>,
    /// Outdated tiles being drawn again behind the answers, whatever the generation.
    redrawing: Mutex<HashSet<TileAt>>,
}

/// What a miss is to do.
pub(crate) enum Flight<'a> {
    /// Render, then [`Leader::finish`].
    Lead(Leader<'a>),
    /// Wait for the render in flight.
    Follow(watch::Receiver<Outcome>),
}

/// The request that renders a tile. Dropping it unfinished (its client went away, or the
/// render failed to start) removes the flight, so waiters retry rather than hang.
pub(crate) struct Leader<'a> {
    flights: &'a TileFlights,
    key: TileKey,
    tx: watch::Sender<Outcome>,
}

impl Leader<'_> {
    /// Hands the result to every waiter and ends the flight.
    pub(crate) fn finish(self, r: Result<CachedTile, Arc<AppError>>) {
        let _ = self.tx.send(Some(r));
    }
}

impl Drop for Leader<'_> {
    fn drop(&mut self) {
        if let Ok(mut m) = self.flights.flights.lock() {
            m.remove(&self.key);
        }
    }
}

impl TileFlights {
    /// Joins the flight of `key`, or starts it.
    pub(crate) fn join(&self, key: &TileKey) -> Flight<'_> {
        let Ok(mut m) = self.flights.lock() else {
            // A poisoned map: render without sharing rather than fail.
            let (tx, _) = watch::channel(None);
            return Flight::Lead(Leader {
                flights: self,
                key: key.clone(),
                tx,
            });
        };
        if let Some(tx) = m.get(key) {
            return Flight::Follow(tx.subscribe());
        }
        let (tx, _) = watch::channel(None);
        m.insert(key.clone(), tx.clone());
        Flight::Lead(Leader {
            flights: self,
            key: key.clone(),
            tx,
        })
    }

    /// Requests now waiting for a render another request is doing.
    pub fn waiting(&self) -> usize {
        self.flights
            .lock()
            .map_or(0, |m| m.values().map(watch::Sender::receiver_count).sum())
    }
}

/// A tile whatever the generation: layer list, z, x, y.
type TileAt = (Arc<str>, u8, u32, u32);

/// A tile being drawn again behind the answers ([`Limits::redraw`]); dropping it lets
/// the next request start another drawing.
pub(crate) struct Redraw {
    limits: Arc<Limits>,
    key: TileAt,
    _slot: tokio::sync::OwnedSemaphorePermit,
}

impl Drop for Redraw {
    fn drop(&mut self) {
        if let Ok(mut m) = self.limits.flights.redrawing.lock() {
            m.remove(&self.key);
        }
    }
}

/// The gates of the server and the tile flights, shared by every request.
#[derive(Debug)]
pub struct Limits {
    /// Tile rendering.
    pub tiles: Gate,
    /// `POST /api/site-check`.
    pub site_check: Gate,
    /// `GET /api/features/{layer}.geojson`.
    pub export: Gate,
    /// `GET /api/search`.
    pub search: Gate,
    /// Tile renders in flight.
    pub flights: TileFlights,
    /// Drawings of outdated tiles behind the answers (`Limits::redraw`): as many at once
    /// as tiles render, on a gate of their own, so that they go on while requests fill
    /// the tile gate's queue and never take a place in it.
    pub redraws: Gate,
    /// Drawings behind the answers claimed (running or waiting for `redraws`): at most
    /// its concurrency and queue together.
    behind: Arc<Semaphore>,
}

/// The concurrency of each gate: tiles, site checks, exports, search.
fn concurrencies(c: &ServerConfig) -> [usize; 4] {
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let or = |v: usize, d: usize| if v == 0 { d.max(1) } else { v };
    [
        or(c.tile_render_concurrency, cores),
        or(c.site_check_concurrency, cores / 2),
        or(c.export_concurrency, cores / 2),
        or(c.search_concurrency, cores),
    ]
}

impl Limits {
    /// The gates the configuration asks for; a concurrency of 0 means the default: every
    /// core for tiles and search, half of them (at least one) for site checks and exports,
    /// so that they leave cores to the map.
    pub fn new(c: &ServerConfig) -> Limits {
        let [tiles, site, export, search] = concurrencies(c);
        let t = Duration::from_secs(c.request_timeout_s.max(1));
        Limits {
            tiles: Gate::new("tile rendering", tiles, c.tile_queue, t),
            site_check: Gate::new("site check", site, c.expensive_queue, t),
            export: Gate::new("GeoJSON export", export, c.expensive_queue, t),
            search: Gate::new("search", search, c.expensive_queue, t),
            flights: TileFlights::default(),
            redraws: Gate::new("tile redrawing", tiles, tiles, t),
            behind: Arc::new(Semaphore::new(2 * tiles.max(1))),
        }
    }

    /// Claims the drawing of `key`'s tile behind the answers; `None` when one is under way
    /// already (for any generation: a tile is drawn again once however many ask), or when
    /// the drawings' gate is full, running and waiting (a later request for the tile
    /// claims it then).
    pub(crate) fn redraw(self: &Arc<Self>, key: &TileKey) -> Option<Redraw> {
        let k = (Arc::clone(&key.1), key.2, key.3, key.4);
        let mut m = self.flights.redrawing.lock().ok()?;
        if m.contains(&k) {
            return None;
        }
        let slot = Arc::clone(&self.behind).try_acquire_owned().ok()?;
        m.insert(k.clone());
        Some(Redraw {
            limits: Arc::clone(self),
            key: k,
            _slot: slot,
        })
    }

    /// Blocking threads the runtime needs so that every gate can fill its slots at once
    /// (plus two for loads and reloads): no kind of work then waits for a thread another
    /// kind holds. Never fewer than twice the cores.
    pub fn blocking_threads(c: &ServerConfig) -> usize {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        (concurrencies(c).iter().sum::<usize>() + 2).max(cores * 2)
    }
}
