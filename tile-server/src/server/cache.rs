//! A byte-bounded least-recently-used cache of encoded tiles.
//!
//! Entries stay valid across generations: a batch of edits outdates exactly the tiles it
//! may have changed ([`TileCache::outdate`], under the cache lock, in the same step as the
//! snapshot swap), a reload drops everything ([`TileCache::clear`]). A tile rendered from
//! a snapshot that is no longer served is not kept as current ([`TileCache::insert_if`]).
//!
//! An outdated tile is not answered as current ([`TileCache::get`] misses it), but its
//! last drawing stays for the grace period ([`TileCache::new`]'s `grace`): a server too
//! busy to draw it at once may answer it while it is drawn again
//! ([`TileCache::get_outdated`]; the HTTP caches' stale-while-revalidate). With no grace
//! an outdated tile is dropped.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A cached tile.
#[derive(Debug, Clone)]
pub struct CachedTile {
    /// Gzipped MVT bytes (empty for an empty tile); cloning shares them.
    pub gz: axum::body::Bytes,
    /// Strong ETag of the gzipped bytes, quoted.
    pub etag: Arc<str>,
}

impl CachedTile {
    fn weight(&self) -> usize {
        self.gz.len() + self.etag.len() + 96
    }
}

/// A request's key: the generation it reads, layer list, z, x, y. Renders in flight are
/// shared by this key; the cache keys on the rest.
pub type TileKey = (u64, Arc<str>, u8, u32, u32);

/// What the cache keys on: layer list, z, x, y.
type Key = (Arc<str>, u8, u32, u32);

fn key_of(k: &TileKey) -> Key {
    (Arc::clone(&k.1), k.2, k.3, k.4)
}

/// What a batch makes of a cached tile ([`TileCache::outdate`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// Unchanged: still current.
    Keep,
    /// May have changed: its last drawing is kept for the grace period.
    Outdate,
    /// Goes at once.
    Drop,
}

/// An entry: the tile, its last use, and since when it is outdated (`None`: current).
#[derive(Debug)]
struct Entry {
    tile: CachedTile,
    tick: u64,
    outdated: Option<Instant>,
}

/// The cache.
#[derive(Debug)]
pub struct TileCache {
    capacity: usize,
    grace: Duration,
    bytes: usize,
    tick: u64,
    map: HashMap<Key, Entry>,
    order: BTreeMap<u64, Key>,
}

impl TileCache {
    /// A cache holding at most `capacity` bytes, keeping an outdated tile's last drawing
    /// for `grace` after it was outdated (zero: dropped at once).
    pub fn new(capacity: usize, grace: Duration) -> Self {
        TileCache {
            capacity,
            grace,
            bytes: 0,
            tick: 0,
            map: HashMap::new(),
            order: BTreeMap::new(),
        }
    }

    /// Marks an entry recently used and hands it out.
    fn touch(&mut self, key: &Key) -> Option<&Entry> {
        self.tick += 1;
        let tick = self.tick;
        let e = self.map.get_mut(key)?;
        let prev = std::mem::replace(&mut e.tick, tick);
        if let Some(k) = self.order.remove(&prev) {
            self.order.insert(tick, k);
        }
        Some(e)
    }

    /// Looks a current tile up and marks it recently used.
    pub fn get(&mut self, key: &TileKey) -> Option<CachedTile> {
        let key = key_of(key);
        if self.map.get(&key)?.outdated.is_some() {
            return None;
        }
        self.touch(&key).map(|e| e.tile.clone())
    }

    /// The last drawing of an outdated tile, and how long it has been outdated, if that is
    /// within the grace period at `now`.
    pub fn get_outdated(&mut self, key: &TileKey, now: Instant) -> Option<(CachedTile, Duration)> {
        let key = key_of(key);
        let since = self.map.get(&key)?.outdated?;
        let age = now.saturating_duration_since(since);
        if age > self.grace {
            return None;
        }
        self.touch(&key).map(|e| (e.tile.clone(), age))
    }

    /// Inserts a current tile, evicting the least recently used ones beyond the capacity.
    /// A tile larger than the whole capacity is not kept.
    pub fn insert(&mut self, key: TileKey, tile: CachedTile) {
        self.put(key_of(&key), tile, None);
    }

    /// Keeps `tile` as the last drawing of a tile outdated since `since` (a drawing of a
    /// generation a later batch may have changed), in place of an older drawing; never
    /// over a current tile or a later drawing, and not without a grace period.
    pub fn insert_outdated(&mut self, key: TileKey, tile: CachedTile, since: Instant) {
        let key = key_of(&key);
        let later = |e: &Entry| e.outdated.is_none_or(|t| t > since);
        if self.grace.is_zero() || self.map.get(&key).is_some_and(later) {
            return;
        }
        self.put(key, tile, Some(since));
    }

    fn put(&mut self, key: Key, tile: CachedTile, outdated: Option<Instant>) {
        let w = tile.weight();
        if w > self.capacity {
            return;
        }
        self.tick += 1;
        if let Some(old) = self.map.remove(&key) {
            self.bytes -= old.tile.weight();
            self.order.remove(&old.tick);
        }
        while self.bytes + w > self.capacity {
            let Some((_, k)) = self.order.pop_first() else {
                break;
            };
            if let Some(old) = self.map.remove(&k) {
                self.bytes -= old.tile.weight();
            }
        }
        self.bytes += w;
        self.order.insert(self.tick, key.clone());
        let tick = self.tick;
        self.map.insert(
            key,
            Entry {
                tile,
                tick,
                outdated,
            },
        );
    }

    /// [`TileCache::insert`] if `current` still says so when the cache lock is held: the
    /// caller checks that the snapshot it rendered from is still the one served.
    pub fn insert_if(&mut self, key: TileKey, tile: CachedTile, current: impl FnOnce() -> bool) {
        if current() {
            self.insert(key, tile);
        }
    }

    /// Keeps only the tiles for which `keep(layers, z, x, y)` holds; returns how many went.
    pub fn retain(&mut self, mut keep: impl FnMut(&str, u8, u32, u32) -> bool) -> usize {
        let gone: Vec<Key> = self
            .map
            .keys()
            .filter(|k| !keep(&k.0, k.1, k.2, k.3))
            .cloned()
            .collect();
        for k in &gone {
            self.remove(k);
        }
        gone.len()
    }

    fn remove(&mut self, k: &Key) {
        if let Some(old) = self.map.remove(k) {
            self.bytes -= old.tile.weight();
            self.order.remove(&old.tick);
        }
    }

    /// The keys of the current tiles (layer list, z, x, y): for working out what a batch
    /// makes of each before the lock that applies it is taken.
    pub fn current_keys(&self) -> Vec<(Arc<str>, u8, u32, u32)> {
        self.map
            .iter()
            .filter(|(_, e)| e.outdated.is_none())
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// One batch's pass over the cache, at `now`: each current tile meets the
    /// [`Fate`] that `fate(layers, z, x, y)` gives it, and the number of current tiles
    /// outdated or dropped is returned. An outdated tile's last drawing stays for the grace period
    /// (without one it goes); tiles outdated longer than that go too.
    pub fn outdate(
        &mut self,
        now: Instant,
        mut fate: impl FnMut(&str, u8, u32, u32) -> Fate,
    ) -> usize {
        let mut changed = 0;
        let mut gone = Vec::new();
        for (k, e) in &mut self.map {
            match e.outdated {
                // Already outdated: it goes once past the grace period.
                Some(since) => {
                    if now.saturating_duration_since(since) > self.grace {
                        gone.push(k.clone());
                    }
                }
                None => match fate(&k.0, k.1, k.2, k.3) {
                    Fate::Keep => {}
                    Fate::Outdate if !self.grace.is_zero() => {
                        changed += 1;
                        e.outdated = Some(now);
                    }
                    Fate::Outdate | Fate::Drop => {
                        changed += 1;
                        gone.push(k.clone());
                    }
                },
            }
        }
        for k in &gone {
            self.remove(k);
        }
        changed
    }

    /// Drops everything.
    pub fn clear(&mut self) {
        self.map.clear();
        self.order.clear();
        self.bytes = 0;
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tile(n: usize) -> CachedTile {
        CachedTile {
            gz: axum::body::Bytes::from(vec![0; n]),
            etag: Arc::from("\"x\""),
        }
    }

    #[test]
    fn evicts_least_recently_used_within_the_byte_limit() {
        // Each entry weighs n + 3 + 96 bytes: 1000-byte tiles weigh 1099.
        let mut c = TileCache::new(3 * 1099, Duration::ZERO);
        let k = |x| (1, Arc::<str>::from("houses"), 14, x, 0);
        c.insert(k(1), tile(1000));
        c.insert(k(2), tile(1000));
        c.insert(k(3), tile(1000));
        assert_eq!(c.bytes(), 3 * 1099);
        assert!(c.get(&k(1)).is_some()); // 1 is now the most recent
        c.insert(k(4), tile(1000)); // evicts 2
        assert!(c.get(&k(2)).is_none());
        assert!(c.get(&k(1)).is_some() && c.get(&k(3)).is_some() && c.get(&k(4)).is_some());
        assert_eq!(c.len(), 3);
        c.insert(k(5), tile(10_000)); // larger than the cache: not kept
        assert_eq!(c.len(), 3);
        assert!(c.bytes() <= 3 * 1099);
    }

    /// A batch that may have changed tile `x` only.
    fn changed(x: u32) -> impl FnMut(&str, u8, u32, u32) -> Fate {
        move |_, _, tx, _| if tx == x { Fate::Outdate } else { Fate::Keep }
    }

    fn tagged(n: usize, tag: &str) -> CachedTile {
        CachedTile {
            gz: axum::body::Bytes::from(vec![0; n]),
            etag: Arc::from(tag),
        }
    }

    #[test]
    fn an_outdated_tile_is_kept_for_the_grace_period_only() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut c = TileCache::new(1 << 20, ms(500));
        let k = |x| (1, Arc::<str>::from("houses"), 14, x, 0);
        c.insert(k(1), tagged(10, "\"a\""));
        c.insert(k(2), tagged(10, "\"b\""));
        // Nothing outdated yet: nothing is answered as outdated.
        assert!(c.get_outdated(&k(1), t0).is_none());
        // A batch changes tile 1 only.
        assert_eq!(c.outdate(t0, changed(1)), 1);
        assert!(c.get(&k(1)).is_none(), "an outdated tile is not current");
        assert_eq!(c.get(&k(2)).unwrap().etag.as_ref(), "\"b\"");
        let (t, age) = c.get_outdated(&k(1), t0 + ms(200)).unwrap();
        assert_eq!((t.etag.as_ref(), age), ("\"a\"", ms(200)));
        assert_eq!(c.get_outdated(&k(1), t0 + ms(500)).unwrap().1, ms(500));
        assert!(
            c.get_outdated(&k(1), t0 + ms(501)).is_none(),
            "past the grace"
        );
        // A later batch changing it again keeps the first time: the drawing is as old
        // as the first change that outdated it.
        assert_eq!(c.outdate(t0 + ms(300), changed(1)), 0);
        assert_eq!(c.get_outdated(&k(1), t0 + ms(400)).unwrap().1, ms(400));
        // A drawing of a generation changed since replaces it, still outdated, as of
        // the given time; never over a current tile.
        c.insert_outdated(k(1), tagged(10, "\"a2\""), t0 + ms(300));
        let (t, age) = c.get_outdated(&k(1), t0 + ms(700)).unwrap();
        assert_eq!((t.etag.as_ref(), age), ("\"a2\"", ms(400)));
        // An earlier drawing coming last does not replace it.
        c.insert_outdated(k(1), tagged(10, "\"a1\""), t0 + ms(100));
        assert_eq!(
            c.get_outdated(&k(1), t0 + ms(700)).unwrap().0.etag.as_ref(),
            "\"a2\""
        );
        c.insert_outdated(k(2), tagged(10, "\"b-old\""), t0);
        assert_eq!(c.get(&k(2)).unwrap().etag.as_ref(), "\"b\"");
        // Drawn again: current.
        c.insert(k(1), tagged(10, "\"a3\""));
        assert_eq!(c.get(&k(1)).unwrap().etag.as_ref(), "\"a3\"");
        assert!(c.get_outdated(&k(1), t0 + ms(700)).is_none());
        // Past the grace, the next batch's pass lets the outdated drawing go.
        c.outdate(t0 + ms(800), changed(2));
        assert_eq!(c.len(), 2);
        c.outdate(t0 + ms(1400), |_, _, _, _| Fate::Keep);
        assert_eq!(c.len(), 1);
        assert_eq!(c.bytes(), tagged(10, "\"a3\"").weight());
    }

    #[test]
    fn a_dropped_tile_goes_at_once_whatever_the_grace() {
        let t0 = Instant::now();
        let mut c = TileCache::new(1 << 20, Duration::from_secs(5));
        let k = |x| (1, Arc::<str>::from("houses"), 14, x, 0);
        c.insert(k(1), tagged(10, "\"a\""));
        c.insert(k(2), tagged(10, "\"b\""));
        let fate = |_: &str, _, x, _| if x == 1 { Fate::Drop } else { Fate::Keep };
        assert_eq!(c.outdate(t0, fate), 1);
        assert_eq!(c.len(), 1);
        assert!(c.get(&k(1)).is_none() && c.get_outdated(&k(1), t0).is_none());
        assert_eq!(c.bytes(), tagged(10, "\"b\"").weight());
    }

    #[test]
    fn without_grace_an_outdated_tile_goes() {
        let t0 = Instant::now();
        let mut c = TileCache::new(1 << 20, Duration::ZERO);
        let k = |x| (1, Arc::<str>::from("houses"), 14, x, 0);
        c.insert(k(1), tagged(10, "\"a\""));
        c.insert(k(2), tagged(10, "\"b\""));
        assert_eq!(c.outdate(t0, changed(1)), 1);
        assert_eq!(c.len(), 1);
        assert!(c.get(&k(1)).is_none() && c.get_outdated(&k(1), t0).is_none());
        c.insert_outdated(k(1), tagged(10, "\"a\""), t0);
        assert_eq!(
            c.len(),
            1,
            "nothing outdated is kept without a grace period"
        );
        assert_eq!(c.bytes(), tagged(10, "\"b\"").weight());
    }
}
