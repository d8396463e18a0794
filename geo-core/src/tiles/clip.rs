//! Clipping in tile units (`f64`): box tests, Liang–Barsky for lines and
//! Sutherland–Hodgman for polygon rings (completed by the integer overlay).

/// An axis-aligned square `[lo, hi] × [lo, hi]` in tile units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Square {
    /// Lower bound on both axes.
    pub(crate) lo: f64,
    /// Upper bound on both axes.
    pub(crate) hi: f64,
}

/// Where a bounding box lies relative to a [`Square`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Placement {
    /// Entirely inside (boundary included): nothing to clip.
    Inside,
    /// No common point: nothing to draw.
    Outside,
    /// Partly inside.
    Crossing,
}

/// Bounding box of projected points; starts empty.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bounds {
    /// Smallest x.
    pub(crate) min_x: f64,
    /// Smallest y.
    pub(crate) min_y: f64,
    /// Largest x.
    pub(crate) max_x: f64,
    /// Largest y.
    pub(crate) max_y: f64,
}

impl Bounds {
    /// The empty box (any point extends it).
    pub(crate) const EMPTY: Bounds = Bounds {
        min_x: f64::INFINITY,
        min_y: f64::INFINITY,
        max_x: f64::NEG_INFINITY,
        max_y: f64::NEG_INFINITY,
    };

    /// Grows the box to contain `p`.
    #[inline]
    pub(crate) fn add(&mut self, p: [f64; 2]) {
        self.min_x = self.min_x.min(p[0]);
        self.min_y = self.min_y.min(p[1]);
        self.max_x = self.max_x.max(p[0]);
        self.max_y = self.max_y.max(p[1]);
    }

    /// Grows the box to contain `other`.
    pub(crate) fn merge(&mut self, other: &Bounds) {
        self.min_x = self.min_x.min(other.min_x);
        self.min_y = self.min_y.min(other.min_y);
        self.max_x = self.max_x.max(other.max_x);
        self.max_y = self.max_y.max(other.max_y);
    }
}

impl Square {
    /// Placement of a bounding box; an empty box is outside.
    #[inline]
    pub(crate) fn place(&self, b: &Bounds) -> Placement {
        if b.max_x < self.lo || b.min_x > self.hi || b.max_y < self.lo || b.min_y > self.hi {
            Placement::Outside
        } else if b.min_x >= self.lo
            && b.max_x <= self.hi
            && b.min_y >= self.lo
            && b.max_y <= self.hi
        {
            Placement::Inside
        } else {
            Placement::Crossing
        }
    }

    /// Whether `p` is inside, boundary included.
    #[inline]
    pub(crate) fn contains(&self, p: [f64; 2]) -> bool {
        p[0] >= self.lo && p[0] <= self.hi && p[1] >= self.lo && p[1] <= self.hi
    }

    /// Liang–Barsky: the parameters `t0 ≤ t1` in `[0, 1]` of the part of segment `a → b`
    /// inside the square, or `None` if no part is.
    fn segment(&self, a: [f64; 2], b: [f64; 2]) -> Option<(f64, f64)> {
        let d = [b[0] - a[0], b[1] - a[1]];
        let mut t0 = 0.0_f64;
        let mut t1 = 1.0_f64;
        for axis in 0..2 {
            // Two half-planes per axis: -d·t <= a - lo and d·t <= hi - a.
            for (p, q) in [(-d[axis], a[axis] - self.lo), (d[axis], self.hi - a[axis])] {
                if p == 0.0 {
                    if q < 0.0 {
                        return None;
                    }
                } else {
                    let r = q / p;
                    if p < 0.0 {
                        t0 = t0.max(r);
                    } else {
                        t1 = t1.min(r);
                    }
                }
            }
        }
        (t0 <= t1).then_some((t0, t1))
    }

    /// Clips the polyline `pts` to the square, calling `emit` once per part that is left
    /// (a line leaving and re-entering becomes several parts; nothing is ever moved onto
    /// the boundary except the exact crossing points).
    pub(crate) fn clip_line(
        &self,
        pts: &[[f64; 2]],
        part: &mut Vec<[f64; 2]>,
        mut emit: impl FnMut(&[[f64; 2]]),
    ) {
        part.clear();
        for w in pts.windows(2) {
            let (a, b) = (w[0], w[1]);
            match self.segment(a, b) {
                None => {
                    if !part.is_empty() {
                        emit(part);
                        part.clear();
                    }
                }
                Some((t0, t1)) => {
                    let at = |t: f64| {
                        if t <= 0.0 {
                            a
                        } else if t >= 1.0 {
                            b
                        } else {
                            [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t]
                        }
                    };
                    if t0 > 0.0 && !part.is_empty() {
                        // Entered from outside: the previous part ended elsewhere.
                        emit(part);
                        part.clear();
                    }
                    if part.is_empty() {
                        part.push(at(t0));
                    }
                    part.push(at(t1));
                    if t1 < 1.0 {
                        emit(part);
                        part.clear();
                    }
                }
            }
        }
        if !part.is_empty() {
            emit(part);
            part.clear();
        }
    }

    /// Sutherland–Hodgman: clips the closed ring `ring` (no repeated closing point) to the
    /// square, writing the result to `out`. The result covers exactly the right area but,
    /// where the ring left the square and came back, runs along the square's side and back
    /// again: a zero-width spur that joins parts which are really separate. Crossing
    /// points are put exactly on the side, so the spurs stay exactly on it through
    /// snapping and the overlay that follows removes them.
    pub(crate) fn clip_ring(
        &self,
        ring: &[[f64; 2]],
        out: &mut Vec<[f64; 2]>,
        tmp: &mut Vec<[f64; 2]>,
    ) {
        out.clear();
        out.extend_from_slice(ring);
        // (axis, bound, keep-if-greater)
        let edges = [
            (0, self.lo, true),
            (0, self.hi, false),
            (1, self.lo, true),
            (1, self.hi, false),
        ];
        for (axis, bound, keep_greater) in edges {
            if out.is_empty() {
                return;
            }
            std::mem::swap(out, tmp);
            out.clear();
            let inside = |p: &[f64; 2]| {
                if keep_greater {
                    p[axis] >= bound
                } else {
                    p[axis] <= bound
                }
            };
            let n = tmp.len();
            for i in 0..n {
                let cur = tmp[i];
                let prev = tmp[(i + n - 1) % n];
                let (cin, pin) = (inside(&cur), inside(&prev));
                if cin != pin {
                    let t = (bound - prev[axis]) / (cur[axis] - prev[axis]);
                    let mut p = [
                        prev[0] + (cur[0] - prev[0]) * t,
                        prev[1] + (cur[1] - prev[1]) * t,
                    ];
                    // Exactly on the side, whatever the rounding of t did.
                    p[axis] = bound;
                    out.push(p);
                }
                if cin {
                    out.push(cur);
                }
            }
        }
    }
}
