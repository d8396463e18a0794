//! Integer-grid ring helpers: snapping, signed area, the exact simplicity test of the fast
//! path, and the exact integer overlay that repairs everything else.

use i_overlay::core::fill_rule::FillRule;
use i_overlay::core::overlay::{ContourDirection, IntOverlayOptions, Overlay, ShapeType};
use i_overlay::core::overlay_rule::OverlayRule;
use i_overlay::core::solver::Solver;
use i_overlay::i_float::int::point::IntPoint;

/// A point on the tile's integer grid.
pub(crate) type IPt = [i32; 2];

/// Rounds `pts` to the grid into `out`, dropping consecutive duplicates (and, for rings,
/// a last vertex equal to the first).
pub(crate) fn snap(pts: &[[f64; 2]], closed: bool, out: &mut Vec<IPt>) {
    out.clear();
    for p in pts {
        // Inputs are bounded by the clip or pre-clip square, far inside i32.
        let q = [p[0].round() as i32, p[1].round() as i32];
        if out.last() != Some(&q) {
            out.push(q);
        }
    }
    if closed {
        while out.len() > 1 && out.first() == out.last() {
            out.pop();
        }
    }
}

/// Twice the signed area of a ring by the surveyor's formula, in raw tile coordinates:
/// positive is what MVT 2.1 calls an exterior ring (clockwise on screen, y down).
pub(crate) fn area2(ring: &[IPt]) -> i64 {
    let n = ring.len();
    let mut sum = 0_i64;
    for i in 0..n {
        let a = ring[i];
        let b = ring[(i + 1) % n];
        sum += i64::from(a[0]) * i64::from(b[1]) - i64::from(b[0]) * i64::from(a[1]);
    }
    sum
}

/// Sign of the cross product `(b - a) × (c - a)`.
#[inline]
fn orient(a: IPt, b: IPt, c: IPt) -> i64 {
    let v = (i64::from(b[0]) - i64::from(a[0])) * (i64::from(c[1]) - i64::from(a[1]))
        - (i64::from(b[1]) - i64::from(a[1])) * (i64::from(c[0]) - i64::from(a[0]));
    v.signum()
}

/// Whether `p`, known to be collinear with segment `a–b`, lies on it.
#[inline]
fn on_segment(a: IPt, b: IPt, p: IPt) -> bool {
    p[0] >= a[0].min(b[0])
        && p[0] <= a[0].max(b[0])
        && p[1] >= a[1].min(b[1])
        && p[1] <= a[1].max(b[1])
}

/// Whether the closed segments `a–b` and `c–d` have any point in common.
fn segments_touch(a: IPt, b: IPt, c: IPt, d: IPt) -> bool {
    let (o1, o2, o3, o4) = (
        orient(a, b, c),
        orient(a, b, d),
        orient(c, d, a),
        orient(c, d, b),
    );
    if o1 != o2 && o3 != o4 {
        return true;
    }
    (o1 == 0 && on_segment(a, b, c))
        || (o2 == 0 && on_segment(a, b, d))
        || (o3 == 0 && on_segment(c, d, a))
        || (o4 == 0 && on_segment(c, d, b))
}

/// Whether the two edges leaving the shared vertex `p` towards `q1` and `q2` overlap
/// (same direction): a zero-width spike.
#[inline]
fn edges_fold(p: IPt, q1: IPt, q2: IPt) -> bool {
    let (ax, ay) = (i64::from(q1[0] - p[0]), i64::from(q1[1] - p[1]));
    let (bx, by) = (i64::from(q2[0] - p[0]), i64::from(q2[1] - p[1]));
    ax * by - ay * bx == 0 && ax * bx + ay * by > 0
}

/// Exact test that a ring (no closing vertex, no consecutive duplicates) is a simple
/// polygon boundary: no self-intersection, no self-tangency, no spike. O(n²), so only used
/// on the small rings of the fast path.
pub(crate) fn is_simple(ring: &[IPt]) -> bool {
    let n = ring.len();
    if n < 3 {
        return false;
    }
    for i in 0..n {
        let (a, b) = (ring[i], ring[(i + 1) % n]);
        for j in (i + 1)..n {
            let (c, d) = (ring[j], ring[(j + 1) % n]);
            if j == i + 1 {
                // Consecutive edges share b (= c).
                if edges_fold(b, a, d) {
                    return false;
                }
            } else if i == 0 && j == n - 1 {
                // Last edge and first edge share a (= d).
                if edges_fold(a, b, c) {
                    return false;
                }
            } else if segments_touch(a, b, c, d) {
                return false;
            }
        }
    }
    true
}

/// Integer bounding box `[min_x, min_y, max_x, max_y]` of a ring.
pub(crate) fn ibox(ring: &[IPt]) -> [i32; 4] {
    ring.iter()
        .fold([i32::MAX, i32::MAX, i32::MIN, i32::MIN], |b, p| {
            [
                b[0].min(p[0]),
                b[1].min(p[1]),
                b[2].max(p[0]),
                b[3].max(p[1]),
            ]
        })
}

/// Makes polygons valid on the integer grid, exactly: i_overlay's integer overlay of
/// the rings with themselves (`OverlayRule::Subject`) under the non-zero fill rule.
///
/// `rings` holds every ring of every polygon of a feature, exteriors with positive and
/// holes with negative area (callers orient them). Non-zero then merges overlapping parts
/// of a multipolygon, lets holes cancel their exterior, resolves self-intersections and
/// spikes, and removes zero-width spurs (a spur's two sides have the same winding). The
/// crossings it computes are rounded to the grid by the overlay itself, which then snaps
/// them to nearby existing vertices; as every input vertex lies in the clip box and the
/// box is convex with integer sides, so does every output vertex. No second rounding
/// follows that could break the result again.
///
/// The overlay's output rings never cross but may touch themselves (a pinched outline, or
/// a hole joined to its exterior through a vertex lying on one of its edges), which MVT
/// forbids; they are split into simple rings here, and holes are given to the smallest
/// exterior containing them. (The library's own "OGC" output mode would do this, but in
/// the version geo 0.33 pins it can attach a hole to the wrong exterior, and trips a debug
/// assertion on such input.)
///
/// Rings with less than `min_area2` (twice the area) are dropped. Returns the rings flat,
/// as coordinates and ring lengths: each exterior (positive area) followed by its holes
/// (negative area).
pub(crate) fn overlay_repair(rings: &[Vec<IPt>], min_area2: f64) -> (Vec<IPt>, Vec<usize>) {
    let edges: usize = rings.iter().map(Vec::len).sum::<usize>();
    let options = IntOverlayOptions {
        preserve_input_collinear: false,
        output_direction: ContourDirection::CounterClockwise,
        preserve_output_collinear: false,
        min_output_area: 0,
        ogc: false,
    };
    let mut overlay = Overlay::new_custom(edges, options, Solver::default());
    let mut contour: Vec<IntPoint> = Vec::new();
    for ring in rings {
        contour.clear();
        contour.extend(ring.iter().map(|p| IntPoint::new(p[0], p[1])));
        overlay.add_contour(&contour, ShapeType::Subject);
    }
    let shapes = overlay.overlay(OverlayRule::Subject, FillRule::NonZero);

    let mut coords: Vec<IPt> = Vec::new();
    let mut parts: Vec<usize> = Vec::new();
    let mut ring: Vec<IPt> = Vec::new();
    let mut exteriors: Vec<(Vec<IPt>, i64)> = Vec::new();
    let mut holes: Vec<Vec<IPt>> = Vec::new();
    let mut scratch: Vec<IPt> = Vec::new();
    for shape in shapes {
        exteriors.clear();
        holes.clear();
        // The shape's first contour is its outline: its sign tells which sign is "outer"
        // in the library's convention.
        let outer_sign = shape.first().map_or(1, |c| {
            let pts: Vec<IPt> = c.iter().map(|p| [p.x, p.y]).collect();
            area2(&pts).signum()
        });
        for contour in &shape {
            ring.clear();
            for p in contour {
                let q = [p.x, p.y];
                if ring.last() != Some(&q) {
                    ring.push(q);
                }
            }
            while ring.len() > 1 && ring.first() == ring.last() {
                ring.pop();
            }
            insert_touching_vertices(&mut ring, &mut scratch);
            split_at_touches(&ring, &mut |lp: &[IPt]| {
                let a = area2(lp) * outer_sign;
                if lp.len() < 3 || a == 0 || (a.abs() as f64) < min_area2 {
                    return;
                }
                let mut lp = lp.to_vec();
                // Exterior positive, hole negative, in MVT's sense.
                if (a > 0) != (area2(&lp) > 0) {
                    lp.reverse();
                }
                if a > 0 {
                    exteriors.push((lp, a));
                } else {
                    holes.push(lp);
                }
            });
        }
        // Holes to the smallest exterior that contains them.
        let mut owned: Vec<Vec<usize>> = vec![Vec::new(); exteriors.len()];
        for (h, hole) in holes.iter().enumerate() {
            let owner = if exteriors.len() == 1 {
                Some(0)
            } else {
                exteriors
                    .iter()
                    .enumerate()
                    .filter(|(_, (ext, _))| ring_within(hole, ext))
                    .min_by_key(|(_, (_, a))| *a)
                    .map(|(i, _)| i)
            };
            if let Some(i) = owner {
                owned[i].push(h);
            }
        }
        for ((ext, _), hs) in exteriors.iter().zip(&owned) {
            coords.extend_from_slice(ext);
            parts.push(ext.len());
            for &h in hs {
                coords.extend_from_slice(&holes[h]);
                parts.push(holes[h].len());
            }
        }
    }
    (coords, parts)
}

/// Adds to `ring` every vertex of its own that lies on one of its edges, as a vertex of
/// that edge too, so that every place where the ring touches itself becomes a repeated
/// vertex for [`split_at_touches`]. Candidates are found through vertices sorted by x.
fn insert_touching_vertices(ring: &mut Vec<IPt>, out: &mut Vec<IPt>) {
    let n = ring.len();
    if n < 4 {
        return;
    }
    let mut by_x: Vec<IPt> = ring.clone();
    by_x.sort_unstable();
    by_x.dedup();
    out.clear();
    let mut on_edge: Vec<IPt> = Vec::new();
    let mut changed = false;
    for i in 0..n {
        let (a, b) = (ring[i], ring[(i + 1) % n]);
        out.push(a);
        let (x0, x1) = (a[0].min(b[0]), a[0].max(b[0]));
        let (y0, y1) = (a[1].min(b[1]), a[1].max(b[1]));
        let start = by_x.partition_point(|p| p[0] < x0);
        on_edge.clear();
        for &v in by_x[start..].iter().take_while(|p| p[0] <= x1) {
            if v == a || v == b || v[1] < y0 || v[1] > y1 {
                continue;
            }
            let cross = (i64::from(b[0]) - i64::from(a[0])) * (i64::from(v[1]) - i64::from(a[1]))
                - (i64::from(b[1]) - i64::from(a[1])) * (i64::from(v[0]) - i64::from(a[0]));
            if cross == 0 {
                on_edge.push(v);
            }
        }
        if !on_edge.is_empty() {
            changed = true;
            // In order along the edge.
            on_edge.sort_unstable_by_key(|v| {
                (i64::from(v[0]) - i64::from(a[0])).abs()
                    + (i64::from(v[1]) - i64::from(a[1])).abs()
            });
            out.extend_from_slice(&on_edge);
        }
    }
    if changed {
        std::mem::swap(ring, out);
    }
}

/// Splits a closed ring at every vertex it visits twice, calling `emit` with each simple
/// loop. Loops of fewer than 3 vertices (spikes) come out too; callers drop them.
fn split_at_touches(ring: &[IPt], emit: &mut impl FnMut(&[IPt])) {
    let mut stack: Vec<IPt> = Vec::with_capacity(ring.len());
    for &p in ring {
        if let Some(i) = stack.iter().rposition(|&q| q == p) {
            emit(&stack[i..]);
            stack.truncate(i + 1);
        } else {
            stack.push(p);
        }
    }
    emit(&stack);
}

/// Where a point lies relative to a ring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Inside,
    Boundary,
    Outside,
}

/// Exact point-in-ring test (even-odd crossing count) for a point given in doubled
/// coordinates, so that edge midpoints can be tested on integers.
fn side_doubled(p2: [i64; 2], ring: &[IPt]) -> Side {
    let n = ring.len();
    let mut inside = false;
    for i in 0..n {
        let a = [2 * i64::from(ring[i][0]), 2 * i64::from(ring[i][1])];
        let b = [
            2 * i64::from(ring[(i + 1) % n][0]),
            2 * i64::from(ring[(i + 1) % n][1]),
        ];
        let cross = (b[0] - a[0]) * (p2[1] - a[1]) - (b[1] - a[1]) * (p2[0] - a[0]);
        if cross == 0
            && p2[0] >= a[0].min(b[0])
            && p2[0] <= a[0].max(b[0])
            && p2[1] >= a[1].min(b[1])
            && p2[1] <= a[1].max(b[1])
        {
            return Side::Boundary;
        }
        if (a[1] > p2[1]) != (b[1] > p2[1]) {
            // x of the edge at p's y, compared without division: sign of dy matters.
            let dy = b[1] - a[1];
            let lhs = (p2[0] - a[0]) * dy;
            let rhs = (b[0] - a[0]) * (p2[1] - a[1]);
            if (dy > 0 && lhs < rhs) || (dy < 0 && lhs > rhs) {
                inside = !inside;
            }
        }
    }
    if inside { Side::Inside } else { Side::Outside }
}

/// Whether ring `inner`, which does not cross ring `outer` (overlay output), lies
/// inside it: decided by the first vertex or edge midpoint of `inner` not on `outer`.
fn ring_within(inner: &[IPt], outer: &[IPt]) -> bool {
    let n = inner.len();
    for i in 0..n {
        let (a, b) = (inner[i], inner[(i + 1) % n]);
        let vertex = [2 * i64::from(a[0]), 2 * i64::from(a[1])];
        let mid = [
            i64::from(a[0]) + i64::from(b[0]),
            i64::from(a[1]) + i64::from(b[1]),
        ];
        for p in [vertex, mid] {
            match side_doubled(p, outer) {
                Side::Inside => return true,
                Side::Outside => return false,
                Side::Boundary => {}
            }
        }
    }
    false
}
