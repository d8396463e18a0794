//! The houses' footprints in Web Mercator world units, projected once rather than in
//! every tile that shows them (14 % of a dense tile's time, measured), kept flat: every
//! footprint's points in one buffer, found by uid through a span, rather than a geometry
//! a house (its enum, and a block of points of its own), without the closing point of a
//! ring that `geo::Polygon::new` puts back. The points are the same to the bit; a tile is
//! given a polygon made of them.

use std::borrow::Cow;
use std::collections::HashMap;

use geo::{Coord, Geometry, LineString, Polygon};
use rayon::prelude::*;

use crate::dataset::Dataset;
use crate::heap::{with_headroom, with_room};
use crate::tiles;

/// Where a footprint's points are in [`WorldFootprints::points`].
#[derive(Debug, Clone, Copy, Default)]
struct Span {
    start: u32,
    /// 0: no footprint; [`OTHER`]: one of another shape, in `other`.
    len: u32,
}

/// The length of the span of a footprint kept whole.
const OTHER: u32 = u32::MAX;

/// How many of a ring's points are laid: all but its closing one, which
/// `geo::Polygon::new` puts back (the first again), when that gives the ring back to the
/// bit: a ring of four points or more whose last but one is not its first.
fn kept(ring: &[Coord<f64>]) -> usize {
    match ring {
        [first, .., before, last] if ring.len() >= 4 && first == last && before != first => {
            ring.len() - 1
        }
        _ => ring.len(),
    }
}

/// The houses' footprints in world units, by uid.
#[derive(Debug, Default)]
pub(super) struct WorldFootprints {
    spans: Vec<Span>,
    /// The exterior ring of every footprint that is one polygon without holes.
    points: Vec<Coord<f64>>,
    /// Footprints of another shape (holes, several parts), whole, by uid.
    other: HashMap<u64, Geometry<f64>>,
    /// Points no span refers to any more, left by changed footprints: `points` is
    /// compacted when they pass half of it.
    unused: usize,
}

impl Clone for WorldFootprints {
    /// A copy with the headroom of the original (a derived clone has none): a living
    /// map's spare snapshot is such a copy, and its first edit then lays its footprint in
    /// room that is there.
    fn clone(&self) -> Self {
        WorldFootprints {
            spans: with_headroom(&self.spans),
            points: with_headroom(&self.points),
            other: self.other.clone(),
            unused: self.unused,
        }
    }
}

/// The spans of a chunk of houses, and its footprints of other shapes kept whole.
type Chunk = (Vec<(u64, Span)>, Vec<(u64, Geometry<f64>)>);

/// Lays footprint `w` (world units) at the end of `points` when it is one polygon without
/// holes and with some points, and returns its span; gives `w` back otherwise, to be
/// kept whole.
fn lay(w: Geometry<f64>, points: &mut Vec<Coord<f64>>) -> Result<Span, Geometry<f64>> {
    let ring = match &w {
        Geometry::Polygon(p) if p.interiors().is_empty() && !p.exterior().0.is_empty() => {
            &p.exterior().0
        }
        _ => return Err(w),
    };
    let keep = kept(ring);
    match (u32::try_from(points.len()), u32::try_from(keep)) {
        (Ok(start), Ok(len)) if len != OTHER => {
            points.extend_from_slice(&ring[..keep]);
            Ok(Span { start, len })
        }
        _ => Err(w),
    }
}

/// The span of a footprint kept whole.
const WHOLE: Span = Span {
    start: 0,
    len: OTHER,
};

impl WorldFootprints {
    /// The footprint of every house of `ds`, projected on every core straight into the
    /// one buffer: the rings' lengths are known before they are projected, so each
    /// chunk of houses is given its own stretch of it (a buffer per chunk, copied end to
    /// end, held every point twice at the peak of `riskmap tiles`).
    pub(super) fn of(ds: &Dataset) -> WorldFootprints {
        const CHUNK: usize = 1 << 14;
        let houses = ds.houses.features();
        let n = (0..houses.len())
            .filter_map(|p| ds.houses.uid(p))
            .max()
            .map_or(0, |m| m as usize + 1);
        // The points a house lays: its ring's, when it is one polygon without holes.
        let laid = |p: usize| -> usize {
            match (ds.houses.uid(p), &houses[p].geometry) {
                (Some(_), Geometry::Polygon(g)) if g.interiors().is_empty() => {
                    let n = kept(&g.exterior().0);
                    if u32::try_from(n).is_ok_and(|n| n != OTHER) {
                        n
                    } else {
                        0
                    }
                }
                _ => 0,
            }
        };
        let counts: Vec<usize> = (0..houses.len().div_ceil(CHUNK))
            .into_par_iter()
            .map(|c| {
                (c * CHUNK..((c + 1) * CHUNK).min(houses.len()))
                    .map(laid)
                    .sum()
            })
            .collect();
        let total: usize = counts.iter().sum();
        let mut points = Vec::with_capacity(with_room(total));
        points.resize(total, Coord { x: 0.0, y: 0.0 });
        let mut stretches = Vec::with_capacity(counts.len());
        let mut rest = &mut points[..];
        let mut base = 0usize;
        for &k in &counts {
            let (head, tail) = rest.split_at_mut(k);
            stretches.push((base, head));
            rest = tail;
            base += k;
        }
        let parts: Vec<Chunk> = houses
            .par_chunks(CHUNK)
            .zip(stretches)
            .enumerate()
            .map(|(c, (chunk, (base, out)))| {
                let (mut spans, mut other) = (Vec::new(), Vec::new());
                let mut at = 0usize;
                for (k, f) in chunk.iter().enumerate() {
                    let p = c * CHUNK + k;
                    let Some(u) = ds.houses.uid(p) else {
                        continue;
                    };
                    let len = laid(p);
                    let start = u32::try_from(base + at);
                    match (&f.geometry, start) {
                        (Geometry::Polygon(g), Ok(start)) if len > 0 => {
                            for (o, c) in out[at..at + len].iter_mut().zip(&g.exterior().0) {
                                *o = Coord {
                                    x: tiles::mercator::world_x(c.x),
                                    y: tiles::mercator::world_y(c.y),
                                };
                            }
                            // `len` is below `OTHER` (see `laid`).
                            spans.push((
                                u,
                                Span {
                                    start,
                                    len: len as u32,
                                },
                            ));
                        }
                        _ => {
                            spans.push((u, WHOLE));
                            other.push((u, tiles::to_world(&f.geometry)));
                        }
                    }
                    at += len;
                }
                (spans, other)
            })
            .collect();
        let mut spans = Vec::with_capacity(with_room(n));
        spans.resize(n, Span::default());
        let mut out = WorldFootprints {
            spans,
            points,
            other: HashMap::new(),
            unused: 0,
        };
        for (spans, other) in parts {
            for (u, s) in spans {
                if let Some(slot) = out.spans.get_mut(u as usize) {
                    *slot = s;
                }
            }
            out.other.extend(other);
        }
        out
    }

    /// The footprint of house `uid`, in world units.
    pub(super) fn get(&self, uid: u64) -> Option<Cow<'_, Geometry<f64>>> {
        let s = self.spans.get(uid as usize).filter(|s| s.len > 0)?;
        if s.len == OTHER {
            return self.other.get(&uid).map(Cow::Borrowed);
        }
        let ring = self
            .points
            .get(s.start as usize..s.start as usize + s.len as usize)?;
        // Room for the closing point that `Polygon::new` puts back (see `kept`).
        let mut closed = Vec::with_capacity(ring.len() + 1);
        closed.extend_from_slice(ring);
        Some(Cow::Owned(Geometry::Polygon(Polygon::new(
            LineString(closed),
            Vec::new(),
        ))))
    }

    /// House `uid`'s footprint is now `g` (lon/lat; `None`: the house is gone).
    pub(super) fn set(&mut self, uid: u64, g: Option<&Geometry<f64>>) {
        let i = uid as usize;
        if self.spans.len() <= i {
            self.spans.resize(i + 1, Span::default());
        }
        let Some(slot) = self.spans.get_mut(i) else {
            return;
        };
        if slot.len == OTHER {
            self.other.remove(&uid);
        } else {
            self.unused += slot.len as usize;
        }
        *slot = match g.map(|g| lay(tiles::to_world(g), &mut self.points)) {
            None => Span::default(),
            Some(Ok(span)) => span,
            Some(Err(w)) => {
                self.other.insert(uid, w);
                WHOLE
            }
        };
        if self.unused > self.points.len() / 2 {
            self.compact();
        }
    }

    /// Drops the points no span refers to.
    fn compact(&mut self) {
        let keep = self.points.len().saturating_sub(self.unused);
        let mut points = Vec::with_capacity(with_room(keep));
        for s in self.spans.iter_mut().filter(|s| s.len != OTHER) {
            let (a, b) = (s.start as usize, s.start as usize + s.len as usize);
            match (self.points.get(a..b), u32::try_from(points.len())) {
                (Some(ring), Ok(start)) if s.len > 0 => {
                    points.extend_from_slice(ring);
                    s.start = start;
                }
                _ => *s = Span::default(),
            }
        }
        self.points = points;
        self.unused = 0;
    }

    /// Heap bytes (the allocator's overhead left out).
    pub(super) fn heap_bytes(&self) -> usize {
        self.spans.capacity() * std::mem::size_of::<Span>()
            + self.points.capacity() * std::mem::size_of::<Coord<f64>>()
            + crate::heap::table_bytes(
                self.other.capacity(),
                std::mem::size_of::<(u64, Geometry<f64>)>(),
            )
    }
}

#[cfg(test)]
mod tests {
    use geo::{Geometry, LineString, MultiPolygon, Polygon, polygon};

    use super::WorldFootprints;
    use crate::tiles::to_world;

    fn square(x: f64, y: f64, d: f64) -> Geometry<f64> {
        Geometry::Polygon(polygon![
            (x: x, y: y), (x: x + d, y: y), (x: x + d, y: y + d), (x: x, y: y + d)
        ])
    }

    /// Footprints set, changed and removed in any order read back as the projection of
    /// what was set, to the bit, whatever their shape; compaction (forced by many
    /// changes) moves points without changing them.
    #[test]
    fn footprints_read_back_as_projected() {
        let holed = Geometry::Polygon(Polygon::new(
            LineString::from(vec![
                (120.0, 30.0),
                (120.001, 30.0),
                (120.001, 30.001),
                (120.0, 30.0),
            ]),
            vec![LineString::from(vec![
                (120.0004, 30.0001),
                (120.0006, 30.0001),
                (120.0006, 30.0003),
                (120.0004, 30.0001),
            ])],
        ));
        let parts = Geometry::MultiPolygon(MultiPolygon(vec![
            polygon![(x: 121.0, y: 31.0), (x: 121.0001, y: 31.0), (x: 121.0, y: 31.0001)],
            polygon![(x: 121.01, y: 31.0), (x: 121.0101, y: 31.0), (x: 121.01, y: 31.0001)],
        ]));
        let mut w = WorldFootprints::default();
        let mut want: Vec<Option<Geometry<f64>>> = vec![None; 40];
        for round in 0..25_u32 {
            for uid in 0..40_u64 {
                let g = match (uid + u64::from(round)) % 6 {
                    0 => None,
                    5 => Some(Geometry::Polygon(Polygon::new(LineString(vec![]), vec![]))),
                    1 => Some(holed.clone()),
                    2 => Some(parts.clone()),
                    _ => Some(square(
                        118.0 + uid as f64 * 1e-3,
                        32.0 + f64::from(round) * 1e-4,
                        1e-4,
                    )),
                };
                w.set(uid, g.as_ref());
                want[uid as usize] = g;
            }
            for (uid, g) in want.iter().enumerate() {
                let got = w.get(uid as u64).map(|c| c.into_owned());
                assert_eq!(got, g.as_ref().map(to_world), "round {round}, uid {uid}");
            }
        }
        // 25 rounds of changes left no more unused points than live ones.
        assert!(w.unused <= w.points.len() / 2 + 5);
        assert_eq!(w.get(1000), None);
    }
    /// The footprints of a whole layer, laid chunk by chunk into the one buffer, read
    /// back as each house's projection, to the bit, whatever its shape; a layer of
    /// three chunks and a bit, so that the stretches meet.
    #[test]
    fn a_layer_laid_in_chunks_reads_back_as_projected() {
        use crate::dataset::Dataset;
        use crate::layer::Layer;
        use crate::model::{Feature, House, LayerKind, SourceRef};
        let n = 3 * (1 << 14) + 7;
        let shape = |k: usize| -> Geometry<f64> {
            let x = 118.0 + (k % 300) as f64 * 1e-3;
            let y = 31.0 + (k / 300) as f64 * 1e-3;
            match k % 97 {
                0 => Geometry::Polygon(Polygon::new(
                    LineString::from(vec![(x, y), (x + 2e-4, y), (x + 2e-4, y + 2e-4), (x, y)]),
                    vec![LineString::from(vec![
                        (x + 5e-5, y + 2e-5),
                        (x + 1e-4, y + 2e-5),
                        (x + 1e-4, y + 6e-5),
                        (x + 5e-5, y + 2e-5),
                    ])],
                )),
                1 => Geometry::MultiPolygon(MultiPolygon(vec![
                    polygon![(x: x, y: y), (x: x + 1e-4, y: y), (x: x, y: y + 1e-4)],
                    polygon![(x: x + 3e-4, y: y), (x: x + 4e-4, y: y), (x: x + 3e-4, y: y + 1e-4)],
                ])),
                2 => Geometry::Polygon(Polygon::new(LineString(vec![]), vec![])),
                // Rings whose closing point cannot be left out: a point, a doubled
                // point, and a ring closed twice.
                3 => Geometry::Polygon(Polygon::new(LineString::from(vec![(x, y)]), vec![])),
                4 => {
                    Geometry::Polygon(Polygon::new(LineString::from(vec![(x, y), (x, y)]), vec![]))
                }
                5 => Geometry::Polygon(Polygon::new(
                    LineString::from(vec![(x, y), (x + 1e-4, y), (x, y), (x, y)]),
                    vec![],
                )),
                // Rings of 4 to 9 points, so that the stretches' lengths vary.
                _ => {
                    let m = 3 + k % 6;
                    let ring: Vec<(f64, f64)> = (0..m)
                        .map(|i| {
                            let a = i as f64 * std::f64::consts::TAU / m as f64;
                            (x + 1e-4 * a.cos(), y + 1e-4 * a.sin())
                        })
                        .collect();
                    Geometry::Polygon(Polygon::new(LineString::from(ring), vec![]))
                }
            }
        };
        let houses: Vec<Feature<House>> = (0..n)
            .map(|k| Feature {
                id: format!("h{k}"),
                geometry: shape(k),
                props: House::default(),
                source: SourceRef::default(),
            })
            .collect();
        let ds = Dataset {
            houses: Layer::new(LayerKind::Houses, houses),
            ..Dataset::default()
        };
        let w = WorldFootprints::of(&ds);
        for p in 0..n {
            let uid = ds.houses.uid(p).expect("uid");
            let got = w.get(uid).map(|c| c.into_owned());
            assert_eq!(
                got,
                Some(to_world(&ds.houses.features()[p].geometry)),
                "house {p}"
            );
        }
        // The degenerate rings are laid whole; the others without their closing point.
        let ring_of = |p: usize| match &ds.houses.features()[p].geometry {
            Geometry::Polygon(g) => g.exterior().0.len(),
            _ => 0,
        };
        assert_eq!(ring_of(4), 2);
        assert_eq!(ring_of(5), 4);
        let span = |p: usize| w.spans[ds.houses.uid(p).expect("uid") as usize].len as usize;
        assert_eq!([span(3), span(4), span(5)], [1, 2, 4]);
        assert_eq!(span(6), ring_of(6) - 1);
        // Every point of the buffer belongs to one footprint.
        let laid: usize = w
            .spans
            .iter()
            .filter(|s| s.len != super::OTHER)
            .map(|s| s.len as usize)
            .sum();
        assert_eq!(laid, w.points.len());
        assert_eq!(
            w.other.len(),
            3 * (n / 97)
                + usize::from(n % 97 > 0)
                + usize::from(n % 97 > 1)
                + usize::from(n % 97 > 2)
        );
        // Room for later footprints, in the laid buffer and in a copy of it: a living
        // map's first edit lays its footprint without growing (copying) the buffer.
        let room = |w: &WorldFootprints| {
            (
                w.points.capacity() - w.points.len(),
                w.spans.capacity() - w.spans.len(),
            )
        };
        let want = (w.points.len() / 16, w.spans.len() / 16);
        assert!(
            room(&w).0 >= want.0 && room(&w).1 >= want.1,
            "{:?}",
            room(&w)
        );
        let mut copy = w.clone();
        assert!(
            room(&copy).0 >= want.0 && room(&copy).1 >= want.1,
            "{:?}",
            room(&copy)
        );
        let before = copy.points.as_ptr();
        copy.set(ds.houses.uid(7).expect("uid"), Some(&shape(7)));
        assert_eq!(
            copy.points.as_ptr(),
            before,
            "the buffer grew for one footprint"
        );
        assert_eq!(copy.unused, span(7), "the old ring is left unused");
        let uid7 = ds.houses.uid(7).expect("uid");
        assert_eq!(
            copy.get(uid7).map(|c| c.into_owned()),
            Some(to_world(&shape(7)))
        );
    }
}
