//! Exact ring topology (i128 arithmetic, so any i64 input is exact): simple rings, holes
//! inside their exterior, rings that overlap.

use super::Coord;
use super::error::{Rule, Violations};
use super::types::Polygon;

pub(super) fn orient(a: Coord, b: Coord, c: Coord) -> i32 {
    let v = (i128::from(b[0]) - i128::from(a[0])) * (i128::from(c[1]) - i128::from(a[1]))
        - (i128::from(b[1]) - i128::from(a[1])) * (i128::from(c[0]) - i128::from(a[0]));
    v.signum() as i32
}

pub(super) fn within_box(a: Coord, b: Coord, p: Coord) -> bool {
    p[0] >= a[0].min(b[0])
        && p[0] <= a[0].max(b[0])
        && p[1] >= a[1].min(b[1])
        && p[1] <= a[1].max(b[1])
}

/// Whether closed segments `a–b` and `c–d` share a point.
pub(super) fn touch(a: Coord, b: Coord, c: Coord, d: Coord) -> bool {
    let (o1, o2, o3, o4) = (
        orient(a, b, c),
        orient(a, b, d),
        orient(c, d, a),
        orient(c, d, b),
    );
    if o1 != o2 && o3 != o4 {
        return true;
    }
    (o1 == 0 && within_box(a, b, c))
        || (o2 == 0 && within_box(a, b, d))
        || (o3 == 0 && within_box(c, d, a))
        || (o4 == 0 && within_box(c, d, b))
}

/// Whether segments cross properly (interiors intersect in one point, no endpoint on the
/// other segment) or overlap collinearly over more than a point.
pub(super) fn cross_or_overlap(a: Coord, b: Coord, c: Coord, d: Coord) -> bool {
    let (o1, o2, o3, o4) = (
        orient(a, b, c),
        orient(a, b, d),
        orient(c, d, a),
        orient(c, d, b),
    );
    if o1 * o2 < 0 && o3 * o4 < 0 {
        return true;
    }
    if o1 == 0 && o2 == 0 {
        // Collinear: overlap longer than a point?
        let axis = usize::from(a[0] == b[0]);
        let (lo1, hi1) = (a[axis].min(b[axis]), a[axis].max(b[axis]));
        let (lo2, hi2) = (c[axis].min(d[axis]), c[axis].max(d[axis]));
        return lo1.max(lo2) < hi1.min(hi2);
    }
    false
}

/// Edges of a ring as `(start, end)`.
pub(super) fn edges(ring: &[Coord]) -> impl Iterator<Item = (Coord, Coord)> + '_ {
    (0..ring.len()).map(move |i| (ring[i], ring[(i + 1) % ring.len()]))
}

/// Pairs of edges `(i, j)`, `i < j`, whose x-ranges overlap (sweep over sorted minima):
/// the candidates for intersection tests, without the full O(n²).
pub(super) fn candidate_pairs(segs: &[(Coord, Coord)]) -> Vec<(usize, usize)> {
    let mut order: Vec<usize> = (0..segs.len()).collect();
    let min_x = |i: usize| segs[i].0[0].min(segs[i].1[0]);
    let max_x = |i: usize| segs[i].0[0].max(segs[i].1[0]);
    order.sort_by_key(|&i| min_x(i));
    let mut out = Vec::new();
    let mut active: Vec<usize> = Vec::new();
    for &i in &order {
        let x = min_x(i);
        active.retain(|&j| max_x(j) >= x);
        for &j in &active {
            out.push((i.min(j), i.max(j)));
        }
        active.push(i);
    }
    out
}

/// Whether a ring (no closing point) is simple: no self-intersection, no
/// self-tangency, no spike.
pub fn ring_is_simple(ring: &[Coord]) -> bool {
    let n = ring.len();
    if n < 3 {
        return false;
    }
    let segs: Vec<(Coord, Coord)> = edges(ring).collect();
    for (i, j) in candidate_pairs(&segs) {
        let (a, b) = segs[i];
        let (c, d) = segs[j];
        let adjacent_next = j == i + 1;
        let adjacent_wrap = i == 0 && j == n - 1;
        if adjacent_next || adjacent_wrap {
            // Shared vertex; only a fold back along the same line is bad.
            let (p, q1, q2) = if adjacent_next { (b, a, d) } else { (a, b, c) };
            let (ux, uy) = (i128::from(q1[0] - p[0]), i128::from(q1[1] - p[1]));
            let (vx, vy) = (i128::from(q2[0] - p[0]), i128::from(q2[1] - p[1]));
            if ux * vy - uy * vx == 0 && ux * vx + uy * vy > 0 {
                return false;
            }
            if n == 3 {
                continue;
            }
        } else if touch(a, b, c, d) {
            return false;
        }
    }
    true
}

/// Where a point is relative to a ring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Side {
    Inside,
    Boundary,
    Outside,
}

pub(super) fn point_in_ring(p: Coord, ring: &[Coord]) -> Side {
    let mut inside = false;
    for (a, b) in edges(ring) {
        if orient(a, b, p) == 0 && within_box(a, b, p) {
            return Side::Boundary;
        }
        // Crossing number on a horizontal ray to +x, half-open on y.
        if (a[1] > p[1]) != (b[1] > p[1]) {
            let t = (i128::from(p[1]) - i128::from(a[1])) * (i128::from(b[0]) - i128::from(a[0]));
            let dy = i128::from(b[1]) - i128::from(a[1]);
            let x_num = i128::from(a[0]) * dy + t;
            // Compare p.x < x of the crossing, with dy's sign in mind.
            let px = i128::from(p[0]) * dy;
            if (dy > 0 && px < x_num) || (dy < 0 && px > x_num) {
                inside = !inside;
            }
        }
    }
    if inside { Side::Inside } else { Side::Outside }
}

/// Midpoints of a ring's edges, doubled (to stay on integers): a point of the ring that
/// is not a vertex, used to decide containment when vertices are on a boundary.
pub(super) fn doubled(ring: &[Coord]) -> Vec<Coord> {
    ring.iter().map(|p| [2 * p[0], 2 * p[1]]).collect()
}

/// Whether ring `inner` lies inside ring `outer` (touching allowed): no edges crossing,
/// and every vertex and edge midpoint inside or on the boundary, at least one strictly.
pub(super) fn ring_inside(inner: &[Coord], outer: &[Coord]) -> bool {
    let mut segs: Vec<(Coord, Coord)> = edges(inner).collect();
    let n_inner = segs.len();
    segs.extend(edges(outer));
    for (i, j) in candidate_pairs(&segs) {
        if (i < n_inner) != (j < n_inner) {
            let (a, b) = segs[i];
            let (c, d) = segs[j];
            if cross_or_overlap(a, b, c, d) {
                return false;
            }
        }
    }
    let outer2 = doubled(outer);
    let mut strictly = false;
    for (a, b) in edges(inner) {
        for p in [[2 * a[0], 2 * a[1]], [a[0] + b[0], a[1] + b[1]]] {
            match point_in_ring(p, &outer2) {
                Side::Outside => return false,
                Side::Inside => strictly = true,
                Side::Boundary => {}
            }
        }
    }
    strictly
}

/// Whether the areas of two rings overlap (beyond touching).
pub(super) fn rings_overlap(a: &[Coord], b: &[Coord]) -> bool {
    let mut segs: Vec<(Coord, Coord)> = edges(a).collect();
    let n_a = segs.len();
    segs.extend(edges(b));
    for (i, j) in candidate_pairs(&segs) {
        if (i < n_a) != (j < n_a) {
            let (p, q) = segs[i];
            let (r, s) = segs[j];
            if cross_or_overlap(p, q, r, s) {
                return true;
            }
        }
    }
    // No crossing: overlap only if one contains a non-boundary point of the other.
    let (a2, b2) = (doubled(a), doubled(b));
    let probe = |inner: &[Coord], outer2: &[Coord]| {
        edges(inner).any(|(p, q)| {
            [[2 * p[0], 2 * p[1]], [p[0] + q[0], p[1] + q[1]]]
                .iter()
                .any(|&m| point_in_ring(m, outer2) == Side::Inside)
        })
    };
    probe(a, &b2) || probe(b, &a2)
}

pub(super) fn check_polygon_topology(p: &Polygon, at: &str, v: &mut Violations) {
    for (k, ring) in std::iter::once(&p.exterior).chain(&p.interiors).enumerate() {
        if !ring_is_simple(ring) {
            v.push(
                Rule::RingSelfIntersection,
                &format!("{at} ring {k}"),
                "ring intersects or touches itself",
            );
        }
    }
    for (k, hole) in p.interiors.iter().enumerate() {
        if !ring_inside(hole, &p.exterior) {
            v.push(
                Rule::HoleOutsideExterior,
                &format!("{at} hole {k}"),
                "hole is not enclosed by its exterior",
            );
        }
        for (k2, other) in p.interiors.iter().enumerate().skip(k + 1) {
            if rings_overlap(hole, other) {
                v.push(
                    Rule::HoleOutsideExterior,
                    &format!("{at} holes {k} and {k2}"),
                    "holes overlap",
                );
            }
        }
    }
}
