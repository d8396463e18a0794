//! The houses' footprints in Web Mercator world units, projected once rather than in
//! every tile that shows them (14 % of a dense tile's time, measured), kept flat: every
//! footprint's points in one buffer, found by uid through a span, rather than a geometry
//! a house (its enum, and a block of points of its own). The points are the same to the
//! bit; a tile is given a polygon made of them.

use std::borrow::Cow;
use std::collections::HashMap;

use geo::{Coord, Geometry, LineString, Polygon};
use rayon::prelude::*;

use crate::dataset::Dataset;
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

/// The houses' footprints in world units, by uid.
#[derive(Debug, Clone, Default)]
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

/// The spans, points and other footprints of a chunk of houses, projected apart.
type Chunk = (Vec<(u64, Span)>, Vec<Coord<f64>>, Vec<(u64, Geometry<f64>)>);

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
    match (u32::try_from(points.len()), u32::try_from(ring.len())) {
        (Ok(start), Ok(len)) if len != OTHER => {
            points.extend_from_slice(ring);
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
    /// The footprint of every house of `ds`, projected on every core.
    pub(super) fn of(ds: &Dataset) -> WorldFootprints {
        let n = (0..ds.houses.len())
            .filter_map(|p| ds.houses.uid(p))
            .max()
            .map_or(0, |m| m as usize + 1);
        // Chunks projected apart, then laid end to end.
        let parts: Vec<Chunk> = ds
            .houses
            .features()
            .par_chunks(1 << 14)
            .enumerate()
            .map(|(c, chunk)| {
                let (mut spans, mut points, mut other) = (Vec::new(), Vec::new(), Vec::new());
                for (k, f) in chunk.iter().enumerate() {
                    let Some(u) = ds.houses.uid((c << 14) + k) else {
                        continue;
                    };
                    match lay(tiles::to_world(&f.geometry), &mut points) {
                        Ok(span) => spans.push((u, span)),
                        Err(w) => {
                            spans.push((u, WHOLE));
                            other.push((u, w));
                        }
                    }
                }
                (spans, points, other)
            })
            .collect();
        let total: usize = parts.iter().map(|p| p.1.len()).sum();
        let mut out = WorldFootprints {
            spans: vec![Span::default(); n],
            points: Vec::with_capacity(total),
            other: HashMap::new(),
            unused: 0,
        };
        for (spans, points, other) in parts {
            let base = out.points.len();
            for (u, s) in spans {
                let start = if s.len == OTHER {
                    Ok(0)
                } else {
                    u32::try_from(base + s.start as usize)
                };
                if let (Some(slot), Ok(start)) = (out.spans.get_mut(u as usize), start) {
                    *slot = Span { start, len: s.len };
                }
            }
            out.points.extend_from_slice(&points);
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
        Some(Cow::Owned(Geometry::Polygon(Polygon::new(
            LineString(ring.to_vec()),
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
        let mut points = Vec::with_capacity(self.points.len().saturating_sub(self.unused));
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
}
