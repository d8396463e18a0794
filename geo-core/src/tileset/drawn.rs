//! What the tile set draws of the results kept in sorted lists (conflicts, grid cells),
//! held here by tile id with an R-tree of its own.
//!
//! The analysis keeps its conflicts and cells sorted, so one that comes or goes shifts
//! the position of every one after it; an index by position would have to be built
//! again after every batch. Held by tile id, a batch takes out and puts in only what
//! changed ([`Drawn::remove`], [`Drawn::put`]). Tiles list their features in id order,
//! so the order in which they were put here does not show.
//!
//! Their geometry is held in Web Mercator world units ([`crate::tiles::to_world`]),
//! projected once when put here rather than in every tile that draws it: a chemical
//! park's tile at the conflicts' detail zoom draws some 17,000 lines, and projecting
//! them was about a third of drawing the layer (BENCHMARKS, "Conflict lines and grid
//! cells projected once"). The tiles are the same to the bit. Each is indexed by its
//! lon/lat box, kept beside it, as tiles look them up.

use std::collections::HashMap;

use geo::{CoordsIter, Geometry, Line, Rect};

use crate::index::{Bbox, SpatialIndex, bbox_of};
use crate::tiles::to_world;

/// One thing drawn: its tile id, its geometry in world units and what its tile shows
/// of it; then the lon/lat box it is indexed by.
type Slot<T> = ((u64, Geometry<f64>, T), Option<Bbox>);

/// Drawn things by tile id: each with its geometry in world units and what its tile
/// shows of it.
///
/// Built and copied with room for more ([`crate::heap::keep_room`]): a batch that puts in
/// the first new conflict would otherwise copy the 10⁵ slots into a larger place (6 ms
/// of an added house's batch on the million-house city, and again in the spare's).
#[derive(Debug)]
pub(super) struct Drawn<T> {
    slots: Vec<Option<Slot<T>>>,
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

/// What a drawn thing of lon/lat geometry `g` is held as. A line of two points (a
/// conflict's closest pair) is held as a `Line`, in the slot, not as a line string
/// whose points lie elsewhere on the heap: a tile reads its lines by id, all over the
/// slots, and each pointer followed was a likely cache miss. Drawn the same.
fn slot<T>(id: u64, g: &Geometry<f64>, t: T) -> Slot<T> {
    let world = match to_world(g) {
        Geometry::LineString(ls) if ls.0.len() == 2 => Geometry::Line(Line::new(ls.0[0], ls.0[1])),
        w => w,
    };
    ((id, world, t), bbox_of(g))
}

impl<T> Drawn<T> {
    /// Holds `items` (lon/lat geometries), indexed in one bulk load. Of two items with
    /// one id, the last stays.
    pub(super) fn build(items: impl Iterator<Item = (u64, Geometry<f64>, T)>) -> Drawn<T> {
        let mut slots: Vec<Option<Slot<T>>> = Vec::new();
        let mut by_id: HashMap<u64, usize> = HashMap::new();
        for (id, g, t) in items {
            let s = slot(id, &g, t);
            match by_id.get(&id) {
                Some(&i) => slots[i] = Some(s),
                None => {
                    by_id.insert(id, slots.len());
                    slots.push(Some(s));
                }
            }
        }
        crate::heap::keep_room(&mut slots);
        // (`reserve` leaves a table that has the room as it is)
        by_id.reserve(crate::heap::room(slots.len()));
        // Every slot is filled here, so entry `i` is slot `i`.
        let index =
            SpatialIndex::build_boxes(slots.iter().map(|s| s.as_ref().and_then(|(_, b)| *b)));
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
        if let Some((_, b)) = self.slots.get_mut(i).and_then(Option::take) {
            self.index.remove_box(i, b);
        }
        self.free.push(i);
        true
    }

    /// Puts in an item (a lon/lat geometry), in place of the one with its id if there
    /// is one.
    pub(super) fn put(&mut self, id: u64, g: Geometry<f64>, t: T) {
        self.remove(id);
        let i = match self.free.pop() {
            Some(i) => i,
            None => {
                self.slots.push(None);
                self.slots.len() - 1
            }
        };
        let s = slot(id, &g, t);
        self.index.insert_box(i, s.1);
        self.slots[i] = Some(s);
        self.by_id.insert(id, i);
    }

    /// The items whose lon/lat box meets `bbox`, their geometry in world units.
    pub(super) fn in_box(&self, bbox: Rect<f64>) -> impl Iterator<Item = &(u64, Geometry<f64>, T)> {
        self.index
            .envelopes_in(bbox)
            .filter_map(|i| self.slots.get(i).and_then(Option::as_ref).map(|(it, _)| it))
    }

    /// Every item held, in no particular order, its geometry in world units.
    pub(super) fn iter(&self) -> impl Iterator<Item = &(u64, Geometry<f64>, T)> {
        self.slots.iter().flatten().map(|(it, _)| it)
    }

    /// Heap bytes held, for measuring: the slots, each geometry's points and what
    /// `extra` says each item holds on the heap, the free list, the table by id and the
    /// index. A `Line` or a point is in its slot and adds nothing.
    pub(super) fn heap_bytes(&self, extra: impl Fn(&T) -> usize) -> usize {
        let points = |g: &Geometry<f64>| match g {
            Geometry::Point(_) | Geometry::Line(_) | Geometry::Rect(_) | Geometry::Triangle(_) => 0,
            g => g.coords_count() * std::mem::size_of::<geo::Coord<f64>>(),
        };
        let items: usize = self.iter().map(|(_, g, t)| points(g) + extra(t)).sum();
        self.slots.capacity() * std::mem::size_of::<Option<Slot<T>>>()
            + items
            + self.free.capacity() * std::mem::size_of::<usize>()
            + crate::heap::table_bytes(self.by_id.capacity(), std::mem::size_of::<(u64, usize)>())
            + self.index.heap_bytes()
    }

    /// The number held.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.by_id.len()
    }
}

#[cfg(test)]
mod tests {
    use geo::{LineString, Point, Rect};

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

    /// Found by their lon/lat boxes, held in world units (x = (lon + 180) / 360; y of
    /// the equator 0.5), a line of two points as a `Line`; a longer one stays a line
    /// string. Taken out by the box they went in with, moved and taken out again.
    #[test]
    fn held_in_world_units_found_by_degrees() {
        let two = Geometry::LineString(LineString::from(vec![(0.0, 0.0), (90.0, 0.0)]));
        let three = Geometry::LineString(LineString::from(vec![
            (-90.0, 0.0),
            (-45.0, 0.0),
            (-45.0, 0.0),
        ]));
        let mut d = Drawn::build([(1, two, 0u8), (2, three, 0)].into_iter());
        let east = Rect::new((10.0, -1.0), (20.0, 1.0));
        let west = Rect::new((-60.0, -1.0), (-50.0, 1.0));
        assert_eq!(ids(&d, east), vec![1]);
        assert_eq!(ids(&d, west), vec![2]);
        let held = |d: &Drawn<u8>, id: u64| {
            d.iter()
                .find(|(i, _, _)| *i == id)
                .map(|(_, g, _)| g.clone())
        };
        assert_eq!(
            held(&d, 1),
            Some(Geometry::Line(Line::new((0.5, 0.5), (0.75, 0.5))))
        );
        assert_eq!(
            held(&d, 2),
            Some(Geometry::LineString(LineString::from(vec![
                (0.25, 0.5),
                (0.375, 0.5),
                (0.375, 0.5),
            ])))
        );
        // Moved west: no longer found east, found west; then gone from both.
        d.put(
            1,
            Geometry::LineString(LineString::from(vec![(-55.0, 0.0), (-54.0, 0.0)])),
            0,
        );
        assert_eq!(ids(&d, east), Vec::<u64>::new());
        assert_eq!(ids(&d, west), vec![1, 2]);
        assert!(d.remove(1) && d.remove(2));
        assert_eq!(ids(&d, west), Vec::<u64>::new());
    }

    /// What is held on the heap, counted by hand: a line string of 100 points holds
    /// 98 points more than one of two, which is held as a `Line` in its slot; the
    /// item's own heap as `extra` says.
    #[test]
    fn heap_bytes_count_the_points_held_apart() {
        let line = |n: usize| {
            Geometry::LineString(LineString::from(
                (0..n).map(|i| (i as f64 * 0.01, 0.0)).collect::<Vec<_>>(),
            ))
        };
        let short = Drawn::build([(1, line(2), 0u8)].into_iter());
        let long = Drawn::build([(1, line(100), 0u8)].into_iter());
        assert_eq!(short.slots.capacity(), long.slots.capacity());
        assert_eq!(
            long.heap_bytes(|_| 0) - short.heap_bytes(|_| 0),
            100 * 16,
            "100 points of 16 bytes, none for the line"
        );
        assert_eq!(long.heap_bytes(|_| 7) - long.heap_bytes(|_| 0), 7);
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
