//! What the tile set draws of the results kept in sorted lists (conflicts, grid cells),
//! held here by tile id with an R-tree of its own.
//!
//! The analysis keeps its conflicts and cells sorted, so one that comes or goes shifts
//! the position of every one after it; an index by position would have to be built
//! again after every batch. Held by tile id, a batch takes out and puts in only what
//! changed ([`Drawn::remove`], [`Drawn::put`]). Tiles list their features in id order,
//! so the order in which they were put here does not show.

use std::collections::HashMap;

use geo::{Geometry, Rect};

use crate::index::SpatialIndex;

/// Drawn things by tile id: each with its lon/lat geometry and what its tile shows of it.
///
/// Built and copied with room for more ([`crate::heap::keep_room`]): a batch that puts in
/// the first new conflict would otherwise copy the 10⁵ slots into a larger place (6 ms
/// of an added house's batch on the million-house city, and again in the spare's).
#[derive(Debug)]
pub(super) struct Drawn<T> {
    slots: Vec<Option<(u64, Geometry<f64>, T)>>,
    free: Vec<usize>,
    by_id: HashMap<u64, usize>,
    index: SpatialIndex,
}

impl<T> Default for Drawn<T> {
    fn default() -> Self {
        Drawn {
            slots: Vec::new(),
            free: Vec::new(),
            by_id: HashMap::new(),
            index: SpatialIndex::default(),
        }
    }
}

impl<T: Clone> Clone for Drawn<T> {
    fn clone(&self) -> Self {
        Drawn {
            slots: crate::heap::with_headroom(&self.slots),
            free: self.free.clone(),
            by_id: self.by_id.clone(),
            index: self.index.clone(),
        }
    }
}

impl<T> Drawn<T> {
    /// Holds `items`, indexed in one bulk load. Of two items with one id, the last stays.
    pub(super) fn build(items: impl Iterator<Item = (u64, Geometry<f64>, T)>) -> Drawn<T> {
        let mut slots: Vec<Option<(u64, Geometry<f64>, T)>> = Vec::new();
        let mut by_id: HashMap<u64, usize> = HashMap::new();
        for (id, g, t) in items {
            match by_id.get(&id) {
                Some(&i) => slots[i] = Some((id, g, t)),
                None => {
                    by_id.insert(id, slots.len());
                    slots.push(Some((id, g, t)));
                }
            }
        }
        crate::heap::keep_room(&mut slots);
        // (`reserve` leaves a table that has the room as it is)
        by_id.reserve(crate::heap::room(slots.len()));
        // Every slot is filled here, so entry `i` is slot `i`.
        let index = SpatialIndex::build(
            slots
                .iter()
                .flatten()
                .map(|(_, g, _)| g)
                .collect::<Vec<_>>(),
        );
        Drawn {
            slots,
            free: Vec::new(),
            by_id,
            index,
        }
    }

    /// Takes out the item with this id; false when there was none.
    pub(super) fn remove(&mut self, id: u64) -> bool {
        let Some(i) = self.by_id.remove(&id) else {
            return false;
        };
        if let Some((_, g, _)) = self.slots.get_mut(i).and_then(Option::take) {
            self.index.remove(i, &g);
        }
        self.free.push(i);
        true
    }

    /// Puts in an item, in place of the one with its id if there is one.
    pub(super) fn put(&mut self, id: u64, g: Geometry<f64>, t: T) {
        self.remove(id);
        let i = match self.free.pop() {
            Some(i) => i,
            None => {
                self.slots.push(None);
                self.slots.len() - 1
            }
        };
        self.index.insert(i, &g);
        self.slots[i] = Some((id, g, t));
        self.by_id.insert(id, i);
    }

    /// The items whose box meets `bbox`.
    pub(super) fn in_box(&self, bbox: Rect<f64>) -> impl Iterator<Item = &(u64, Geometry<f64>, T)> {
        self.index
            .envelopes_in(bbox)
            .filter_map(|i| self.slots.get(i).and_then(Option::as_ref))
    }

    /// Every item held, in no particular order.
    pub(super) fn iter(&self) -> impl Iterator<Item = &(u64, Geometry<f64>, T)> {
        self.slots.iter().flatten()
    }

    /// The number held.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.by_id.len()
    }
}

#[cfg(test)]
mod tests {
    use geo::{Point, Rect};

    use super::*;

    fn pt(x: f64, y: f64) -> Geometry<f64> {
        Geometry::Point(Point::new(x, y))
    }

    fn ids(d: &Drawn<u8>, r: Rect<f64>) -> Vec<u64> {
        let mut v: Vec<u64> = d.in_box(r).map(|(id, _, _)| *id).collect();
        v.sort_unstable();
        v
    }

    #[test]
    fn items_are_taken_out_and_put_in_by_id() {
        let mut d = Drawn::build([(7, pt(0.0, 0.0), 1u8), (9, pt(5.0, 5.0), 2)].into_iter());
        let all = Rect::new((-10.0, -10.0), (10.0, 10.0));
        let near_origin = Rect::new((-1.0, -1.0), (1.0, 1.0));
        assert_eq!(ids(&d, all), vec![7, 9]);
        // Moved: found where it is now, not where it was.
        d.put(7, pt(4.0, 4.0), 3);
        assert_eq!(ids(&d, near_origin), Vec::<u64>::new());
        assert_eq!(ids(&d, Rect::new((3.5, 3.5), (4.5, 4.5))), vec![7]);
        assert_eq!(d.len(), 2);
        // Removed, then a new one reuses the free slot.
        assert!(d.remove(9));
        assert!(!d.remove(9));
        d.put(11, pt(0.5, 0.5), 4);
        assert_eq!(ids(&d, all), vec![7, 11]);
        assert_eq!(ids(&d, near_origin), vec![11]);
        let levels: Vec<u8> = d.in_box(all).map(|(_, _, t)| *t).collect();
        assert!(levels.contains(&3) && levels.contains(&4) && levels.len() == 2);
    }

    /// Built and copied with room for 1/16 more: the first new item of a batch does not
    /// move the others.
    #[test]
    fn room_for_items_put_in_later() {
        // 2,048 items: pushed one by one, the slots' capacity doubles to exactly that.
        let d = Drawn::build((0..2048u64).map(|i| (i, pt(i as f64, 0.0), 0u8)));
        let room = |d: &Drawn<u8>| {
            (
                d.slots.capacity() - d.slots.len(),
                d.by_id.capacity() - d.by_id.len(),
            )
        };
        let (slots, ids) = room(&d);
        assert!(slots >= 128 && ids >= 128, "{slots}, {ids}");
        let mut c = d.clone();
        let (slots, ids) = room(&c);
        assert!(slots >= 128 && ids >= 128, "copy: {slots}, {ids}");
        let before = c.slots.as_ptr();
        for i in 0..128u64 {
            c.put(10_000 + i, pt(0.0, i as f64), 1);
        }
        assert_eq!(c.slots.as_ptr(), before, "the slots moved");
        assert_eq!(c.len(), 2176);
    }
}
