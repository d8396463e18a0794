//! Ramer–Douglas–Peucker on `f64` tile coordinates, without allocating per call.
//!
//! Our own small version rather than `geo::Simplify`: it works on the projected
//! `[f64; 2]` buffers directly (no `LineString` to build per feature and tile), it treats a
//! closed ring as a ring (anchored on its two most distant vertices, so the result does
//! not depend on which vertex happens to come first), and it reports collapse instead of
//! silently keeping the input.

/// Reusable buffers for [`simplify_line`] and [`simplify_ring`].
#[derive(Debug, Default)]
pub(crate) struct SimplifyScratch {
    keep: Vec<bool>,
    stack: Vec<(usize, usize)>,
    closed: Vec<[f64; 2]>,
}

/// Squared distance from `p` to the segment `a–b`.
#[inline]
fn seg_dist2(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (ex, ey) = (a[0] + t * dx - p[0], a[1] + t * dy - p[1]);
    ex * ex + ey * ey
}

/// Marks in `keep` the vertices of `pts[first..=last]` that RDP keeps at squared
/// tolerance `tol2` (`first` and `last` always).
fn mark(
    pts: &[[f64; 2]],
    first: usize,
    last: usize,
    tol2: f64,
    keep: &mut [bool],
    stack: &mut Vec<(usize, usize)>,
) {
    keep[first] = true;
    keep[last] = true;
    stack.clear();
    stack.push((first, last));
    while let Some((a, b)) = stack.pop() {
        if b <= a + 1 {
            continue;
        }
        let mut far = a;
        let mut far_d = -1.0;
        for (i, &p) in pts.iter().enumerate().take(b).skip(a + 1) {
            let d = seg_dist2(p, pts[a], pts[b]);
            if d > far_d {
                far_d = d;
                far = i;
            }
        }
        if far_d > tol2 {
            keep[far] = true;
            stack.push((a, far));
            stack.push((far, b));
        }
    }
}

/// Simplifies an open polyline into `out`; both end points are always kept.
pub(crate) fn simplify_line(
    pts: &[[f64; 2]],
    tol: f64,
    s: &mut SimplifyScratch,
    out: &mut Vec<[f64; 2]>,
) {
    out.clear();
    if tol <= 0.0 || pts.len() <= 2 {
        out.extend_from_slice(pts);
        return;
    }
    s.keep.clear();
    s.keep.resize(pts.len(), false);
    mark(pts, 0, pts.len() - 1, tol * tol, &mut s.keep, &mut s.stack);
    out.extend(
        pts.iter()
            .zip(&s.keep)
            .filter(|(_, k)| **k)
            .map(|(p, _)| *p),
    );
}

/// Simplifies a closed ring (given without its repeated closing vertex) into `out`.
/// `out` gets fewer than 3 vertices when the ring collapses at this tolerance.
pub(crate) fn simplify_ring(
    ring: &[[f64; 2]],
    tol: f64,
    s: &mut SimplifyScratch,
    out: &mut Vec<[f64; 2]>,
) {
    out.clear();
    if tol <= 0.0 || ring.len() <= 3 {
        out.extend_from_slice(ring);
        return;
    }
    // Anchor on vertex 0 and the vertex farthest from it, then simplify both halves of
    // the closed ring (index n is vertex 0 again).
    let p0 = ring[0];
    let mut far = 0;
    let mut far_d = -1.0;
    for (i, p) in ring.iter().enumerate() {
        let d = (p[0] - p0[0]).powi(2) + (p[1] - p0[1]).powi(2);
        if d > far_d {
            far_d = d;
            far = i;
        }
    }
    if far == 0 {
        // Every vertex is the same point.
        out.push(p0);
        return;
    }
    let n = ring.len();
    s.closed.clear();
    s.closed.extend_from_slice(ring);
    s.closed.push(p0);
    s.keep.clear();
    s.keep.resize(n + 1, false);
    let tol2 = tol * tol;
    mark(&s.closed, 0, far, tol2, &mut s.keep, &mut s.stack);
    mark(&s.closed, far, n, tol2, &mut s.keep, &mut s.stack);
    out.extend(
        ring.iter()
            .zip(&s.keep[..n])
            .filter(|(_, k)| **k)
            .map(|(p, _)| *p),
    );
}
