//! Estimates of what collections hold on the heap, from their capacities, for the parts
//! that `Live::heap_parts` and `TileSet::heap_parts` report (the allocator's own overhead
//! left out); the room kept free in the large vectors a living map's batches grow; and
//! equal values held once ([`Shared`]).

use std::sync::Arc;

/// The share of a large vector kept free beyond its items, for the items later batches
/// add: 1/16. Untouched, it costs address space, not memory. Without it the first batch
/// that adds one item to a vector built or copied at exactly its length grows the whole
/// vector: tens of megabytes copied onto twice as many fresh pages, 30-260 ms at a
/// million houses (BENCHMARKS.md, "One edit through the API"), while every later batch
/// takes a few milliseconds.
pub(crate) const HEADROOM: usize = 16;

/// The room kept beside `n` items: `n / HEADROOM` more.
pub(crate) fn room(n: usize) -> usize {
    n / HEADROOM
}

/// The capacity of a list made for `n` items and their [`room`].
pub(crate) fn with_room(n: usize) -> usize {
    n + room(n)
}

/// A vector holding `v`'s items with their [`room`].
pub(crate) fn with_headroom<T: Clone>(v: &[T]) -> Vec<T> {
    let mut out = Vec::with_capacity(with_room(v.len()));
    out.extend_from_slice(v);
    out
}

/// Gives `v` its [`room`] when less than half of it is left (a copy of its items when
/// it must grow: do it where nobody waits).
pub(crate) fn keep_room<T>(v: &mut Vec<T>) {
    let room = room(v.len());
    if v.capacity() - v.len() < room / 2 {
        v.reserve_exact(room);
    }
}

/// Bytes of a hash table (hashbrown's layout, which `std`'s maps use) of `capacity`
/// entries of `entry` bytes: its buckets, a power of two at least 8/7 of the capacity,
/// and a control byte each. What the entries point to is not counted.
pub(crate) fn table_bytes(capacity: usize, entry: usize) -> usize {
    if capacity == 0 {
        return 0;
    }
    (capacity * 8 / 7).next_power_of_two() * (entry + 1)
}

/// Equal values made apart (reasons, lists of reasons, a ledger's texts), held once: the
/// first of each kept, the later ones given a share of it. The analyses make their
/// results in parallel, each with its own texts; most are equal to many others (an
/// enterprise's "L1 × S2 ⇒ blue", a house's "short by 40 m ⇒ raised to yellow"), and a
/// city's copies of them were tens of megabytes (BENCHMARKS.md, "Reasons held once").
/// A ledger's categories, units and people recur the same way ("The tile archive below
/// tippecanoe's peak").
pub(crate) struct Shared<T: ?Sized>(std::collections::HashSet<Arc<T>>);

impl<T: ?Sized + Eq + std::hash::Hash> Shared<T> {
    pub(crate) fn new() -> Self {
        Shared(std::collections::HashSet::new())
    }

    /// Points `v` at the first value equal to it.
    pub(crate) fn share(&mut self, v: &mut Arc<T>) {
        match self.0.get(v) {
            Some(first) => *v = Arc::clone(first),
            None => {
                self.0.insert(Arc::clone(v));
            }
        }
    }
}

impl Shared<str> {
    /// The text equal to `t`: the first one met, or `t` made and kept; nothing is
    /// allocated for a text met before.
    pub(crate) fn text(&mut self, t: &str) -> Arc<str> {
        if let Some(first) = self.0.get(t) {
            return Arc::clone(first);
        }
        let made: Arc<str> = Arc::from(t);
        self.0.insert(Arc::clone(&made));
        made
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_is_kept_and_topped_up() {
        // 1,600 items: room for 100 more.
        let v: Vec<u32> = (0..1600).collect();
        let w = with_headroom(&v);
        assert_eq!(w, v);
        assert_eq!(w.capacity(), 1700);
        // A copy at exactly its length gets the room back, once.
        let mut c = v.clone();
        c.shrink_to_fit();
        keep_room(&mut c);
        let cap = c.capacity();
        assert!(cap >= 1700);
        // 49 of the 100 used: 51 left, not less than half of 1,649 / 16 = 103: kept.
        c.extend(0..49);
        keep_room(&mut c);
        assert_eq!(c.capacity(), cap);
        // 51 used: 49 left, less than half of 1,651 / 16 = 103: room for 103 more.
        c.extend(0..2);
        keep_room(&mut c);
        assert!(c.capacity() >= 1651 + 103);
    }
}
