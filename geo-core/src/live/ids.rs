//! Positions of a layer's features by id, without a second copy of the ids: the table
//! holds positions only and reads an entry's id from the layer when it compares or
//! rehashes. A map of owned ids took 94 bytes a house on the million-house province
//! (ids, their heap blocks and the table); this takes 11, five bytes a bucket
//! (BENCHMARKS.md, "What serving the province holds").

use std::hash::BuildHasher;

use hashbrown::HashTable;

/// foldhash with a fixed seed: ids of one's own ledgers need no protection against
/// chosen collisions, and a fixed seed keeps runs alike.
fn hash(id: &str) -> u64 {
    foldhash::fast::FixedState::with_seed(0x5249_534b_4d41_5021).hash_one(id)
}

/// Positions by id of one layer; every method takes the layer's ids by position
/// (`id_at`), as they are when it is called.
#[derive(Debug, Clone, Default)]
pub(super) struct Positions {
    table: HashTable<u32>,
}

/// The position as the table keeps it (layers hold fewer than 2³² features: a position
/// past that is not indexed rather than wrapped).
fn narrow(pos: usize) -> Option<u32> {
    u32::try_from(pos).ok()
}

impl Positions {
    /// Every feature of a layer of `n` features; of a repeated id, the last position.
    pub(super) fn of<'a>(n: usize, id_at: impl Fn(usize) -> Option<&'a str>) -> Positions {
        let mut p = Positions {
            table: HashTable::with_capacity(crate::heap::with_room(n)),
        };
        for pos in 0..n {
            if let Some(id) = id_at(pos) {
                p.insert(id, pos, &id_at);
            }
        }
        p
    }

    /// The position of `id`.
    pub(super) fn get<'a>(
        &self,
        id: &str,
        id_at: impl Fn(usize) -> Option<&'a str>,
    ) -> Option<usize> {
        self.table
            .find(hash(id), |&p| id_at(p as usize) == Some(id))
            .map(|&p| p as usize)
    }

    /// `id` is at `pos` (the layer holds it there already).
    pub(super) fn insert<'a>(
        &mut self,
        id: &str,
        pos: usize,
        id_at: &impl Fn(usize) -> Option<&'a str>,
    ) {
        let Some(at) = narrow(pos) else {
            return;
        };
        let entry = self.table.entry(
            hash(id),
            |&p| id_at(p as usize) == Some(id),
            |&p| hash(id_at(p as usize).unwrap_or_default()),
        );
        match entry {
            hashbrown::hash_table::Entry::Occupied(mut o) => *o.get_mut() = at,
            hashbrown::hash_table::Entry::Vacant(v) => {
                v.insert(at);
            }
        }
    }

    /// Forgets `id` (the layer still holds it); its position.
    pub(super) fn remove<'a>(
        &mut self,
        id: &str,
        id_at: impl Fn(usize) -> Option<&'a str>,
    ) -> Option<usize> {
        let found = self
            .table
            .find_entry(hash(id), |&p| id_at(p as usize) == Some(id))
            .ok()?;
        Some(found.remove().0 as usize)
    }

    /// `id`, at `from` until now, moved to `to` (the layer moved it already).
    pub(super) fn moved(&mut self, id: &str, from: usize, to: usize) {
        if let (Some(from), Some(to)) = (narrow(from), narrow(to))
            && let Some(p) = self.table.find_mut(hash(id), |&p| p == from)
        {
            *p = to;
        }
    }

    /// Heap bytes of the table.
    pub(super) fn heap_bytes(&self) -> usize {
        crate::heap::table_bytes(self.table.capacity(), std::mem::size_of::<u32>())
    }
}

#[cfg(test)]
mod tests {
    use super::Positions;

    /// A layer's ids, changed as the living map changes its layers: pushed at the end,
    /// deleted by moving the last into the deleted one's place. After every step each
    /// id is found where the layer holds it, and ids not there are not found.
    #[test]
    fn positions_follow_pushes_and_swap_removes() {
        let mut layer: Vec<String> = (0..500).map(|i| format!("H{i}")).collect();
        // A repeated id: the last position counts, as a map built by inserting would.
        layer.push("H7".into());
        let mut p = Positions::of(layer.len(), |i| layer.get(i).map(String::as_str));
        assert_eq!(p.get("H7", |i| layer.get(i).map(String::as_str)), Some(500));
        layer.pop();
        p = Positions::of(layer.len(), |i| layer.get(i).map(String::as_str));
        let mut next = 500;
        let mut seed = 12_345_u64;
        for step in 0..3_000 {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let r = (seed >> 33) as usize;
            if r.is_multiple_of(3) || layer.is_empty() {
                let id = format!("H{next}");
                next += 1;
                layer.push(id.clone());
                p.insert(&id, layer.len() - 1, &|i| layer.get(i).map(String::as_str));
            } else {
                let pos = r % layer.len();
                let id = layer[pos].clone();
                assert_eq!(
                    p.remove(&id, |i| layer.get(i).map(String::as_str)),
                    Some(pos)
                );
                let last = layer.len() - 1;
                layer.swap_remove(pos);
                if pos != last {
                    let moved = layer[pos].clone();
                    p.moved(&moved, last, pos);
                }
            }
            let at = |i: usize| layer.get(i).map(String::as_str);
            for (i, id) in layer.iter().enumerate() {
                assert_eq!(p.get(id, at), Some(i), "step {step}: {id}");
            }
            assert_eq!(p.get(&format!("H{next}"), at), None);
            assert_eq!(p.get("", at), None);
        }
        // Ids deleted are gone.
        let kept: std::collections::HashSet<&String> = layer.iter().collect();
        for i in 0..next {
            let id = format!("H{i}");
            if !kept.contains(&id) {
                assert_eq!(p.get(&id, |i| layer.get(i).map(String::as_str)), None);
            }
        }
    }
}
