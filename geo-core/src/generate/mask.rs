//! The boundary mask: a coarse grid of inside / outside / edge cells with exact tests at
//! the edges, so that a million containment tests stay cheap.

use super::arith::{C, Rand, below, c, orient, uni};

pub(super) const OUT: u8 = 0;
pub(super) const IN: u8 = 1;
pub(super) const EDGE: u8 = 2;

/// The boundary rasterised on a grid (≈100 m). Cells with no boundary edge are wholly in
/// or out; only edge cells need exact tests, against the few edges bucketed there. This
/// keeps a million containment tests cheap.
pub(super) struct Mask {
    pub(super) x0: f64,
    pub(super) y0: f64,
    pub(super) cell: f64,
    pub(super) nx: usize,
    pub(super) ny: usize,
    pub(super) state: Vec<u8>,
    pub(super) centre_in: Vec<bool>,
    pub(super) start: Vec<u32>,
    pub(super) list: Vec<u32>,
    pub(super) edges: Vec<(C, C)>,
    pub(super) lo: C,
    pub(super) hi: C,
    pub(super) inside_cells: Vec<u32>,
}

pub(super) fn grid_index(v: f64, n: usize) -> usize {
    if v <= 0.0 { 0 } else { (v as usize).min(n - 1) }
}

/// Whether segment a–b touches the closed box lo–hi (Liang–Barsky).
pub(super) fn seg_touches_box(a: C, b: C, lo: C, hi: C) -> bool {
    let d = b - a;
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [
        (-d.x, a.x - lo.x),
        (d.x, hi.x - a.x),
        (-d.y, a.y - lo.y),
        (d.y, hi.y - a.y),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return false;
            }
        } else {
            let r = q / p;
            if p < 0.0 {
                if r > t1 {
                    return false;
                }
                t0 = t0.max(r);
            } else {
                if r < t0 {
                    return false;
                }
                t1 = t1.min(r);
            }
        }
    }
    true
}

pub(super) fn on_segment(a: C, b: C, p: C) -> bool {
    p.x >= a.x.min(b.x) && p.x <= a.x.max(b.x) && p.y >= a.y.min(b.y) && p.y <= a.y.max(b.y)
}

/// Whether closed segments p1–p2 and p3–p4 share a point.
pub(super) fn segments_meet(p1: C, p2: C, p3: C, p4: C) -> bool {
    let d1 = orient(p3, p4, p1);
    let d2 = orient(p3, p4, p2);
    let d3 = orient(p1, p2, p3);
    let d4 = orient(p1, p2, p4);
    if ((d1 > 0.0 && d2 < 0.0) || (d1 < 0.0 && d2 > 0.0))
        && ((d3 > 0.0 && d4 < 0.0) || (d3 < 0.0 && d4 > 0.0))
    {
        return true;
    }
    (d1 == 0.0 && on_segment(p3, p4, p1))
        || (d2 == 0.0 && on_segment(p3, p4, p2))
        || (d3 == 0.0 && on_segment(p1, p2, p3))
        || (d4 == 0.0 && on_segment(p1, p2, p4))
}

/// Whether the segment from `s` to `p` crosses edge a–b, counting an edge endpoint that lies
/// on the segment's line as being on its positive side, so that a ring vertex crossed by the
/// segment is counted once (the half-open rule of ray casting).
pub(super) fn parity_cross(s: C, p: C, a: C, b: C) -> bool {
    if (orient(s, p, a) > 0.0) == (orient(s, p, b) > 0.0) {
        return false;
    }
    (orient(a, b, s) > 0.0) != (orient(a, b, p) > 0.0)
}

impl Mask {
    pub(super) fn build(rings: &[Vec<C>]) -> Option<Mask> {
        let mut edges = Vec::new();
        for ring in rings {
            if ring.len() < 3 {
                continue;
            }
            let n = ring.len();
            for k in 0..n {
                let (a, b) = (ring[k], ring[(k + 1) % n]);
                if a != b {
                    edges.push((a, b));
                }
            }
        }
        if edges.len() < 3 {
            return None;
        }
        let mut lo = c(f64::INFINITY, f64::INFINITY);
        let mut hi = c(f64::NEG_INFINITY, f64::NEG_INFINITY);
        for &(a, _) in &edges {
            lo = c(lo.x.min(a.x), lo.y.min(a.y));
            hi = c(hi.x.max(a.x), hi.y.max(a.y));
        }
        let extent = (hi.x - lo.x).max(hi.y - lo.y);
        if extent <= 0.0 {
            return None;
        }
        let cell = (extent / 1500.0).max(100.0);
        let x0 = lo.x - cell;
        let y0 = lo.y - cell;
        let nx = ((hi.x - x0) / cell) as usize + 2;
        let ny = ((hi.y - y0) / cell) as usize + 2;

        // Cell centres in or out by scanlines through the centres (even–odd rule).
        let mut centre_in = vec![false; nx * ny];
        let mut xs: Vec<f64> = Vec::new();
        for j in 0..ny {
            let yc = y0 + (j as f64 + 0.5) * cell;
            xs.clear();
            for &(a, b) in &edges {
                if (a.y > yc) != (b.y > yc) {
                    xs.push(a.x + (yc - a.y) * (b.x - a.x) / (b.y - a.y));
                }
            }
            xs.sort_by(f64::total_cmp);
            let mut k = 0;
            for i in 0..nx {
                let xc = x0 + (i as f64 + 0.5) * cell;
                while k < xs.len() && xs[k] < xc {
                    k += 1;
                }
                centre_in[j * nx + i] = k % 2 == 1;
            }
        }

        // Edges bucketed by the cells they touch.
        let eps = cell * 1e-6;
        let mut pairs: Vec<(u32, u32)> = Vec::new();
        for (e, &(a, b)) in edges.iter().enumerate() {
            let i0 = grid_index((a.x.min(b.x) - eps - x0) / cell, nx);
            let i1 = grid_index((a.x.max(b.x) + eps - x0) / cell, nx);
            let j0 = grid_index((a.y.min(b.y) - eps - y0) / cell, ny);
            let j1 = grid_index((a.y.max(b.y) + eps - y0) / cell, ny);
            for j in j0..=j1 {
                for i in i0..=i1 {
                    let clo = c(x0 + i as f64 * cell - eps, y0 + j as f64 * cell - eps);
                    let chi = c(clo.x + cell + 2.0 * eps, clo.y + cell + 2.0 * eps);
                    if seg_touches_box(a, b, clo, chi) {
                        pairs.push(((j * nx + i) as u32, e as u32));
                    }
                }
            }
        }
        pairs.sort_unstable();
        let mut start = vec![0u32; nx * ny + 1];
        for &(cell_i, _) in &pairs {
            start[cell_i as usize + 1] += 1;
        }
        for k in 0..nx * ny {
            start[k + 1] += start[k];
        }
        let list: Vec<u32> = pairs.iter().map(|&(_, e)| e).collect();
        let mut state = vec![OUT; nx * ny];
        let mut inside_cells = Vec::new();
        for k in 0..nx * ny {
            state[k] = if start[k + 1] > start[k] {
                EDGE
            } else if centre_in[k] {
                inside_cells.push(k as u32);
                IN
            } else {
                OUT
            };
        }
        Some(Mask {
            x0,
            y0,
            cell,
            nx,
            ny,
            state,
            centre_in,
            start,
            list,
            edges,
            lo,
            hi,
            inside_cells,
        })
    }

    pub(super) fn cell_of(&self, p: C) -> Option<usize> {
        let fx = (p.x - self.x0) / self.cell;
        let fy = (p.y - self.y0) / self.cell;
        if !(fx >= 0.0 && fy >= 0.0) {
            return None;
        }
        let (i, j) = (fx as usize, fy as usize);
        (i < self.nx && j < self.ny).then_some(j * self.nx + i)
    }

    pub(super) fn edges_of(&self, k: usize) -> impl Iterator<Item = (C, C)> + '_ {
        self.list[self.start[k] as usize..self.start[k + 1] as usize]
            .iter()
            .map(|&e| self.edges[e as usize])
    }

    pub(super) fn centre(&self, k: usize) -> C {
        let (i, j) = (k % self.nx, k / self.nx);
        c(
            self.x0 + (i as f64 + 0.5) * self.cell,
            self.y0 + (j as f64 + 0.5) * self.cell,
        )
    }

    pub(super) fn contains_point(&self, p: C) -> bool {
        let Some(k) = self.cell_of(p) else {
            return false;
        };
        match self.state[k] {
            IN => true,
            OUT => false,
            _ => {
                let s = self.centre(k);
                let mut inside = self.centre_in[k];
                for (a, b) in self.edges_of(k) {
                    if parity_cross(s, p, a, b) {
                        inside = !inside;
                    }
                }
                inside
            }
        }
    }

    /// Cell ranges covering the box lo–hi, or `None` when it leaves the grid.
    pub(super) fn range(&self, lo: C, hi: C) -> Option<(usize, usize, usize, usize)> {
        let a = self.cell_of(lo)?;
        let b = self.cell_of(hi)?;
        Some((a % self.nx, b % self.nx, a / self.nx, b / self.nx))
    }

    /// Whether the closed polygon `pts` (ring without repeated first point) lies inside,
    /// without touching the boundary. Conservative near the edge.
    pub(super) fn contains_poly(&self, pts: &[C]) -> bool {
        let (lo, hi) = bbox(pts);
        let Some((i0, i1, j0, j1)) = self.range(lo, hi) else {
            return false;
        };
        let mut exact = false;
        for j in j0..=j1 {
            for i in i0..=i1 {
                match self.state[j * self.nx + i] {
                    OUT => return false,
                    EDGE => exact = true,
                    _ => {}
                }
            }
        }
        if !exact {
            return true;
        }
        if !pts.iter().all(|&p| self.contains_point(p)) {
            return false;
        }
        let n = pts.len();
        for j in j0..=j1 {
            for i in i0..=i1 {
                let k = j * self.nx + i;
                if self.state[k] != EDGE {
                    continue;
                }
                for (a, b) in self.edges_of(k) {
                    for q in 0..n {
                        if segments_meet(pts[q], pts[(q + 1) % n], a, b) {
                            return false;
                        }
                    }
                }
            }
        }
        true
    }

    /// Whether the polyline lies inside without crossing or touching the boundary.
    pub(super) fn contains_path(&self, pts: &[C]) -> bool {
        if pts.is_empty() || !pts.iter().all(|&p| self.contains_point(p)) {
            return false;
        }
        for w in pts.windows(2) {
            let (lo, hi) = bbox(w);
            let Some((i0, i1, j0, j1)) = self.range(lo, hi) else {
                return false;
            };
            for j in j0..=j1 {
                for i in i0..=i1 {
                    let k = j * self.nx + i;
                    if self.state[k] == EDGE
                        && self
                            .edges_of(k)
                            .any(|(a, b)| segments_meet(w[0], w[1], a, b))
                    {
                        return false;
                    }
                }
            }
        }
        true
    }

    pub(super) fn sample_inside(&self, rng: &mut Rand) -> Option<C> {
        for _ in 0..4000 {
            let p = c(
                uni(rng, self.lo.x, self.hi.x),
                uni(rng, self.lo.y, self.hi.y),
            );
            if self.contains_point(p) {
                return Some(p);
            }
        }
        None
    }

    /// A point in the middle of a random fully-inside cell: always inside, with ≥ 30 m
    /// of room around it.
    pub(super) fn in_cell(&self, rng: &mut Rand) -> C {
        let k = self.inside_cells[below(rng, self.inside_cells.len())] as usize;
        let r = self.cell * 0.2;
        self.centre(k) + c(uni(rng, -r, r), uni(rng, -r, r))
    }

    pub(super) fn inside_area_m2(&self) -> f64 {
        self.inside_cells.len() as f64 * self.cell * self.cell
    }
}

pub(super) fn bbox(pts: &[C]) -> (C, C) {
    let mut lo = c(f64::INFINITY, f64::INFINITY);
    let mut hi = c(f64::NEG_INFINITY, f64::NEG_INFINITY);
    for p in pts {
        lo = c(lo.x.min(p.x), lo.y.min(p.y));
        hi = c(hi.x.max(p.x), hi.y.max(p.y));
    }
    (lo, hi)
}
