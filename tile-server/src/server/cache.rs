//! A byte-bounded least-recently-used cache of encoded tiles.
//!
//! Keys carry the data generation, so a reload never serves a tile of the old data; the
//! old entries simply age out.

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

/// Key: generation, layer list, z, x, y.
pub type TileKey = (u64, Arc<str>, u8, u32, u32);

/// The cache.
#[derive(Debug)]
pub struct TileCache {
    capacity: usize,
    bytes: usize,
    tick: u64,
    map: HashMap<TileKey, (CachedTile, u64)>,
    order: BTreeMap<u64, TileKey>,
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
        let (tile, old) = self.map.get_mut(key)?;
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
