//! The occupancy bitmap (≈2.5 m): keeps buildings from overlapping each other and the
//! pipes.

use super::arith::{C, c, norm};
use super::mask::bbox;

pub(super) struct Occupancy {
    pub(super) x0: f64,
    pub(super) y0: f64,
    pub(super) cell: f64,
    pub(super) nx: usize,
    pub(super) ny: usize,
    pub(super) bits: Vec<u64>,
}

impl Occupancy {
    pub(super) fn new(lo: C, hi: C, cell: f64) -> Occupancy {
        let nx = ((hi.x - lo.x) / cell) as usize + 3;
        let ny = ((hi.y - lo.y) / cell) as usize + 3;
        Occupancy {
            x0: lo.x - cell,
            y0: lo.y - cell,
            cell,
            nx,
            ny,
            bits: vec![0; (nx * ny).div_ceil(64)],
        }
    }
    pub(super) fn range(&self, lo: C, hi: C) -> Option<(usize, usize, usize, usize)> {
        let f = |v: f64, o: f64| (v - o) / self.cell;
        let (a, b, cc, d) = (
            f(lo.x, self.x0),
            f(hi.x, self.x0),
            f(lo.y, self.y0),
            f(hi.y, self.y0),
        );
        if !(a >= 0.0 && cc >= 0.0) || b >= self.nx as f64 || d >= self.ny as f64 {
            return None;
        }
        Some((a as usize, b as usize, cc as usize, d as usize))
    }
    /// The words and masks covering bits `a..=b` of the bitmap.
    pub(super) fn words(a: usize, b: usize) -> impl Iterator<Item = (usize, u64)> {
        let (wa, wb) = (a / 64, b / 64);
        (wa..=wb).map(move |w| {
            let lo = if w == wa { a % 64 } else { 0 };
            let hi = if w == wb { b % 64 } else { 63 };
            let mask = (u64::MAX >> (63 - hi)) & (u64::MAX << lo);
            (w, mask)
        })
    }
    pub(super) fn is_free_box(&self, lo: C, hi: C) -> bool {
        let Some((i0, i1, j0, j1)) = self.range(lo, hi) else {
            return false;
        };
        (j0..=j1).all(|j| {
            Self::words(j * self.nx + i0, j * self.nx + i1).all(|(w, m)| self.bits[w] & m == 0)
        })
    }
    pub(super) fn mark_box(&mut self, lo: C, hi: C) {
        if let Some((i0, i1, j0, j1)) = self.range(lo, hi) {
            for j in j0..=j1 {
                for (w, m) in Self::words(j * self.nx + i0, j * self.nx + i1) {
                    self.bits[w] |= m;
                }
            }
        }
    }
    pub(super) fn is_free(&self, pts: &[C], margin: f64) -> bool {
        let (lo, hi) = bbox(pts);
        self.is_free_box(lo - c(margin, margin), hi + c(margin, margin))
    }
    pub(super) fn mark(&mut self, pts: &[C], margin: f64) {
        let (lo, hi) = bbox(pts);
        self.mark_box(lo - c(margin, margin), hi + c(margin, margin));
    }
    /// Centres of boxes covering a corridor of `half` metres along a polyline: every half
    /// cell, or every `half / 2` for wide corridors (the boxes then still cover ≥ 0.97·half).
    pub(super) fn path_samples(&self, pts: &[C], half: f64) -> Vec<C> {
        let step = (self.cell * 0.5).max(half * 0.5);
        let mut out = Vec::new();
        for w in pts.windows(2) {
            let d = w[1] - w[0];
            let steps = (norm(d) / step).ceil().max(1.0) as usize;
            out.extend((0..=steps).map(|s| w[0] + d * (s as f64 / steps as f64)));
        }
        out
    }
    /// Marks a corridor of `half` metres either side of a polyline.
    pub(super) fn mark_path(&mut self, pts: &[C], half: f64) {
        let h = c(half, half);
        for p in self.path_samples(pts, half) {
            self.mark_box(p - h, p + h);
        }
    }
    /// Whether a corridor of `half` metres either side of a polyline is free.
    pub(super) fn path_free(&self, pts: &[C], half: f64) -> bool {
        let h = c(half, half);
        self.path_samples(pts, half)
            .into_iter()
            .all(|p| self.is_free_box(p - h, p + h))
    }
}
