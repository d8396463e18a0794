//! Shapes on the local plane: turned rectangles and polylines (lengths, sub-paths, offsets,
//! splitting, densifying, the runs inside the boundary).

use super::arith::{C, Rand, c, dot, norm, perp, uni, unit};
use super::mask::Mask;

/// A rectangle turned to the unit axis `u`, with half-sizes along `u` and its normal.
#[derive(Debug, Clone, Copy)]
pub(super) struct RotRect {
    pub(super) c: C,
    pub(super) u: C,
    pub(super) hw: f64,
    pub(super) hh: f64,
}

impl RotRect {
    /// Corners, anticlockwise.
    pub(super) fn corners(&self) -> [C; 4] {
        let a = self.u * self.hw;
        let b = perp(self.u) * self.hh;
        [
            self.c - a - b,
            self.c + a - b,
            self.c + a + b,
            self.c - a + b,
        ]
    }
    pub(super) fn local(&self, p: C) -> C {
        let d = p - self.c;
        c(dot(d, self.u), dot(d, perp(self.u)))
    }
    pub(super) fn contains(&self, p: C, margin: f64) -> bool {
        let l = self.local(p);
        l.x.abs() <= self.hw + margin && l.y.abs() <= self.hh + margin
    }
    pub(super) fn distance(&self, p: C) -> f64 {
        let l = self.local(p);
        let dx = (l.x.abs() - self.hw).max(0.0);
        let dy = (l.y.abs() - self.hh).max(0.0);
        (dx * dx + dy * dy).sqrt()
    }
}

pub(super) fn path_len(pts: &[C]) -> f64 {
    pts.windows(2).map(|w| norm(w[1] - w[0])).sum()
}

/// Cumulative lengths along a polyline.
pub(super) fn cumulative(pts: &[C]) -> Vec<f64> {
    let mut cum = Vec::with_capacity(pts.len());
    let mut s = 0.0;
    for (k, p) in pts.iter().enumerate() {
        if k > 0 {
            s += norm(*p - pts[k - 1]);
        }
        cum.push(s);
    }
    cum
}

/// Point and unit tangent at arc length `t` of a polyline.
pub(super) fn at(pts: &[C], cum: &[f64], t: f64) -> (C, C) {
    let n = pts.len();
    let k = match cum.binary_search_by(|v| v.total_cmp(&t)) {
        Ok(k) | Err(k) => k.clamp(1, n - 1),
    };
    let (a, b) = (pts[k - 1], pts[k]);
    let seg = cum[k] - cum[k - 1];
    let f = if seg > 0.0 {
        ((t - cum[k - 1]) / seg).clamp(0.0, 1.0)
    } else {
        0.0
    };
    (a + (b - a) * f, unit(b - a))
}

/// The part of a polyline between arc lengths t0 and t1.
pub(super) fn sub_path(pts: &[C], cum: &[f64], t0: f64, t1: f64) -> Vec<C> {
    let mut out = vec![at(pts, cum, t0).0];
    for (k, &s) in cum.iter().enumerate() {
        if s > t0 && s < t1 {
            out.push(pts[k]);
        }
    }
    out.push(at(pts, cum, t1).0);
    out.dedup();
    out
}

/// A polyline moved sideways by `d` metres (left for positive `d`).
pub(super) fn offset_path(pts: &[C], d: f64) -> Vec<C> {
    let n = pts.len();
    (0..n)
        .map(|k| {
            let t0 = if k > 0 {
                unit(pts[k] - pts[k - 1])
            } else {
                unit(pts[1] - pts[0])
            };
            let t1 = if k + 1 < n {
                unit(pts[k + 1] - pts[k])
            } else {
                t0
            };
            pts[k] + perp(unit(t0 + t1)) * d
        })
        .collect()
}

/// Splits a polyline into pieces of random length in [lo, hi]; a short tail joins the last.
pub(super) fn split_path(rng: &mut Rand, pts: &[C], lo: f64, hi: f64) -> Vec<Vec<C>> {
    let cum = cumulative(pts);
    let total = cum.last().copied().unwrap_or(0.0);
    let mut out = Vec::new();
    let mut t = 0.0;
    while t < total {
        let mut next = t + uni(rng, lo, hi);
        if total - next < lo * 0.5 {
            next = total;
        }
        out.push(sub_path(pts, &cum, t, next.min(total)));
        t = next;
    }
    out.retain(|p| p.len() >= 2);
    out
}

/// The first `max` metres of a polyline.
pub(super) fn truncate_path(pts: &[C], max: f64) -> Vec<C> {
    let cum = cumulative(pts);
    if cum.last().copied().unwrap_or(0.0) <= max {
        return pts.to_vec();
    }
    sub_path(pts, &cum, 0.0, max)
}

/// Adds vertices every `lo`–`hi` metres, moved sideways by up to `jitter` metres, as a
/// surveyed line along a real road has; the given vertices stay where they are.
pub(super) fn densify(rng: &mut Rand, pts: &[C], lo: f64, hi: f64, jitter: f64) -> Vec<C> {
    let mut out = Vec::new();
    for w in pts.windows(2) {
        let d = w[1] - w[0];
        let l = norm(d);
        if l == 0.0 {
            continue;
        }
        let n = perp(d / l);
        let parts = (l / uni(rng, lo, hi)).ceil().max(1.0) as usize;
        out.push(w[0]);
        for s in 1..parts {
            out.push(w[0] + d * (s as f64 / parts as f64) + n * uni(rng, -jitter, jitter));
        }
    }
    if let Some(&last) = pts.last() {
        out.push(last);
    }
    out.dedup();
    out
}

/// The parts of a polyline whose segments lie inside the boundary.
pub(super) fn inside_runs(mask: &Mask, pts: &[C]) -> Vec<Vec<C>> {
    let mut runs = Vec::new();
    let mut cur: Vec<C> = Vec::new();
    for w in pts.windows(2) {
        if mask.contains_path(w) {
            if cur.is_empty() {
                cur.push(w[0]);
            }
            cur.push(w[1]);
        } else if cur.len() >= 2 {
            runs.push(std::mem::take(&mut cur));
        } else {
            cur.clear();
        }
    }
    if cur.len() >= 2 {
        runs.push(cur);
    }
    runs
}
