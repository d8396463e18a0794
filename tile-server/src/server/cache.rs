//! A byte-bounded least-recently-used cache of encoded tiles.
//!
//! Entries stay valid across generations: a batch of edits drops exactly the tiles it may
//! have changed ([`TileCache::retain`], under the cache lock, in the same step as the
//! snapshot swap), a reload drops everything ([`TileCache::clear`]). A tile rendered from
//! a snapshot that is no longer served is not kept ([`TileCache::insert_if`]).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

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

/// The cache.
#[derive(Debug)]
pub struct TileCache {
    capacity: usize,
    bytes: usize,
    tick: u64,
    map: HashMap<Key, (CachedTile, u64)>,
    order: BTreeMap<u64, Key>,
}

impl TileCache {
    /// A cache holding at most `capacity` bytes.
    pub fn new(capacity: usize) -> Self {
        TileCache {
            capacity,
            bytes: 0,
            tick: 0,
            map: HashMap::new(),
            order: BTreeMap::new(),
        }
    }

    /// Looks a tile up and marks it recently used.
    pub fn get(&mut self, key: &TileKey) -> Option<CachedTile> {
        self.tick += 1;
        let tick = self.tick;
        let (tile, old) = self.map.get_mut(&key_of(key))?;
        let tile = tile.clone();
        let prev = std::mem::replace(old, tick);
        if let Some(k) = self.order.remove(&prev) {
            self.order.insert(tick, k);
        }
        Some(tile)
    }

    /// Inserts a tile, evicting the least recently used ones beyond the capacity. A tile
    /// larger than the whole capacity is not kept.
    pub fn insert(&mut self, key: TileKey, tile: CachedTile) {
        let key = key_of(&key);
        let w = tile.weight();
        if w > self.capacity {
            return;
        }
        self.tick += 1;
        if let Some((old, t)) = self.map.remove(&key) {
            self.bytes -= old.weight();
            self.order.remove(&t);
        }
        while self.bytes + w > self.capacity {
            let Some((_, k)) = self.order.pop_first() else {
                break;
            };
            if let Some((old, _)) = self.map.remove(&k) {
                self.bytes -= old.weight();
            }
        }
        self.bytes += w;
        self.order.insert(self.tick, key.clone());
        self.map.insert(key, (tile, self.tick));
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
            if let Some((old, t)) = self.map.remove(k) {
                self.bytes -= old.weight();
                self.order.remove(&t);
            }
        }
        gone.len()
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
        let mut c = TileCache::new(3 * 1099);
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
}
