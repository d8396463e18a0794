//! Geometry repairs, each reported: repeated points removed, rings closed, degenerate
//! rings and lines dropped, and invalid polygons (self-intersections, overlapping parts,
//! holes outside their shell) rebuilt as valid ones.

use geo::algorithm::bool_ops::{BooleanOps, FillRule, OpType};
use geo::orient::{Direction, Orient};
use geo::{Coord, Geometry, LineString, MultiLineString, MultiPolygon, Point, Polygon, Validation};

use super::RawGeom;
use crate::io::LoadError;
use crate::io::props::FeatureCx;
use crate::io::report::{IssueCode, Severity};

/// Counts of what was changed in one feature, reported once each.
#[derive(Default)]
struct Repairs {
    repeated: usize,
    closed: usize,
    dropped_holes: usize,
    dropped_parts: usize,
}

/// Removes consecutive repeated points; returns how many.
fn dedup(v: &mut Vec<Coord<f64>>) -> usize {
    let before = v.len();
    v.dedup();
    before - v.len()
}

pub(super) fn repair(
    g: RawGeom,
    cx: &mut FeatureCx<'_>,
) -> Result<Option<Geometry<f64>>, LoadError> {
    let mut r = Repairs::default();
    let out = match g {
        RawGeom::Point(c) => Some(Geometry::Point(Point(c))),
        RawGeom::MultiPoint(v) => Some(Geometry::MultiPoint(v.into_iter().map(Point).collect())),
        RawGeom::LineString(v) => repair_lines(vec![v], &mut r, cx)?.map(|mut ls| {
            if ls.0.len() == 1 {
                Geometry::LineString(ls.0.remove(0))
            } else {
                Geometry::MultiLineString(ls)
            }
        }),
        RawGeom::MultiLineString(v) => repair_lines(v, &mut r, cx)?.map(Geometry::MultiLineString),
        RawGeom::Polygon(rings) => repair_polygons(vec![rings], false, &mut r, cx)?,
        RawGeom::MultiPolygon(polys) => repair_polygons(polys, true, &mut r, cx)?,
    };
    if out.is_some() {
        report_repairs(&r, cx)?;
    }
    Ok(out)
}

fn report_repairs(r: &Repairs, cx: &mut FeatureCx<'_>) -> Result<(), LoadError> {
    if r.repeated > 0 {
        cx.issue(
            Severity::Repaired,
            IssueCode::RepeatedPoints,
            None,
            format!("{} repeated consecutive point(s) removed", r.repeated),
        )?;
    }
    if r.closed > 0 {
        cx.issue(
            Severity::Repaired,
            IssueCode::UnclosedRing,
            None,
            format!(
                "{} ring(s) did not end at their first point and were closed",
                r.closed
            ),
        )?;
    }
    if r.dropped_holes > 0 || r.dropped_parts > 0 {
        cx.issue(
            Severity::Repaired,
            IssueCode::DegenerateRing,
            None,
            format!(
                "ring(s) with fewer than 3 distinct points dropped: {} hole(s), {} polygon part(s)",
                r.dropped_holes, r.dropped_parts
            ),
        )?;
    }
    Ok(())
}

fn repair_lines(
    lines: Vec<Vec<Coord<f64>>>,
    r: &mut Repairs,
    cx: &mut FeatureCx<'_>,
) -> Result<Option<MultiLineString<f64>>, LoadError> {
    let total = lines.len();
    let mut kept = Vec::with_capacity(total);
    for mut l in lines {
        r.repeated += dedup(&mut l);
        if l.len() >= 2 {
            kept.push(LineString(l));
        }
    }
    if kept.is_empty() {
        cx.issue(
            Severity::Skipped,
            IssueCode::DegenerateLine,
            None,
            "the line has fewer than 2 distinct points; the feature was skipped",
        )?;
        return Ok(None);
    }
    if kept.len() < total {
        cx.issue(
            Severity::Repaired,
            IssueCode::DegenerateLine,
            None,
            format!(
                "{} part(s) with fewer than 2 distinct points dropped",
                total - kept.len()
            ),
        )?;
    }
    Ok(Some(MultiLineString(kept)))
}

/// Closes a ring after removing repeated points; `None` when fewer than 4 points remain.
fn fix_ring(mut ring: Vec<Coord<f64>>, r: &mut Repairs) -> Option<LineString<f64>> {
    r.repeated += dedup(&mut ring);
    match (ring.first(), ring.last()) {
        (Some(a), Some(b)) if a != b => {
            r.closed += 1;
            ring.push(*a);
        }
        _ => {}
    }
    (ring.len() >= 4).then_some(LineString(ring))
}

fn repair_polygons(
    polys: Vec<Vec<Vec<Coord<f64>>>>,
    multi: bool,
    r: &mut Repairs,
    cx: &mut FeatureCx<'_>,
) -> Result<Option<Geometry<f64>>, LoadError> {
    let mut kept = Vec::with_capacity(polys.len());
    for rings in polys {
        let mut it = rings.into_iter();
        let Some(shell) = it.next() else {
            r.dropped_parts += 1;
            continue;
        };
        let Some(shell) = fix_ring(shell, r) else {
            r.dropped_parts += 1;
            continue;
        };
        let mut holes = Vec::new();
        for h in it {
            match fix_ring(h, r) {
                Some(h) => holes.push(h),
                None => r.dropped_holes += 1,
            }
        }
        kept.push(Polygon::new(shell, holes));
    }
    if kept.is_empty() {
        cx.issue(
            Severity::Skipped,
            IssueCode::DegenerateRing,
            None,
            "every polygon ring has fewer than 3 distinct points; the feature was skipped",
        )?;
        return Ok(None);
    }
    let single = kept.len() == 1 && !multi;
    let large = kept.iter().any(|p| {
        std::iter::once(p.exterior())
            .chain(p.interiors())
            .any(|r| r.0.len() > SMALL_RING)
    });
    let problem = if large {
        large_polygon_problem(&kept)
    } else if single {
        kept[0].check_validation().err().map(|e| e.to_string())
    } else {
        let mp = MultiPolygon(kept);
        let p = mp.check_validation().err().map(|e| e.to_string());
        kept = mp.0;
        p
    };
    let Some(problem) = problem else {
        return Ok(Some(if single {
            Geometry::Polygon(kept.remove(0))
        } else {
            Geometry::MultiPolygon(MultiPolygon(kept))
        }));
    };
    // geo names the problem in its message; the code follows it.
    let code = if problem.contains("self-intersection") {
        IssueCode::SelfIntersection
    } else {
        IssueCode::InvalidPolygon
    };
    let fixed = make_valid(kept);
    if fixed.0.is_empty() {
        cx.issue(
            Severity::Skipped,
            IssueCode::DegeneratePolygon,
            None,
            format!(
                "invalid polygon ({problem}) has no area once repaired; the feature was skipped"
            ),
        )?;
        return Ok(None);
    }
    cx.issue(
        Severity::Repaired,
        code,
        None,
        format!(
            "invalid polygon ({problem}); rebuilt as a valid {} of {} part(s)",
            if fixed.0.len() == 1 {
                "Polygon"
            } else {
                "MultiPolygon"
            },
            fixed.0.len()
        ),
    )?;
    Ok(Some(if fixed.0.len() == 1 && single {
        let mut v = fixed.0;
        Geometry::Polygon(v.remove(0))
    } else {
        Geometry::MultiPolygon(fixed)
    }))
}

/// Rings up to this many points are checked by `geo`'s validation, which compares every
/// pair of segments; longer ones (town boundaries run to tens of thousands of points)
/// through an R-tree of segments.
const SMALL_RING: usize = 64;

/// Whether a closed ring crosses or touches itself (segments that are not neighbours
/// meet), found through an R-tree of segment boxes.
fn ring_self_intersects(ring: &[Coord<f64>]) -> bool {
    use geo::{Intersects, Line};
    use rstar::primitives::{GeomWithData, Rectangle};
    use rstar::{AABB, RTree};
    let n = ring.len().saturating_sub(1);
    if n < 3 {
        return false;
    }
    let seg = |i: usize| Line::new(ring[i], ring[i + 1]);
    let boxes: Vec<GeomWithData<Rectangle<[f64; 2]>, usize>> = (0..n)
        .map(|i| {
            let (a, b) = (ring[i], ring[i + 1]);
            GeomWithData::new(
                Rectangle::from_corners([a.x.min(b.x), a.y.min(b.y)], [a.x.max(b.x), a.y.max(b.y)]),
                i,
            )
        })
        .collect();
    let tree = RTree::bulk_load(boxes);
    for i in 0..n {
        let (a, b) = (ring[i], ring[i + 1]);
        let env = AABB::from_corners([a.x.min(b.x), a.y.min(b.y)], [a.x.max(b.x), a.y.max(b.y)]);
        for cand in tree.locate_in_envelope_intersecting(&env) {
            let j = cand.data;
            let neighbours =
                j == i + 1 || i == j + 1 || (i == 0 && j == n - 1) || (j == 0 && i == n - 1);
            if j > i && !neighbours && seg(i).intersects(&seg(j)) {
                return true;
            }
        }
    }
    false
}

/// The validity problem of polygons with long rings: a ring crossing itself, or (with
/// holes or several parts) rings that overlap, touch along a line or lie outside their
/// shell, found as a change when the polygons are normalised by [`make_valid`].
fn large_polygon_problem(polys: &[Polygon<f64>]) -> Option<String> {
    use geo::Area;
    for (pi, p) in polys.iter().enumerate() {
        for (ri, r) in std::iter::once(p.exterior())
            .chain(p.interiors())
            .enumerate()
        {
            if ring_self_intersects(&r.0) {
                let role = if ri == 0 {
                    "exterior ring".to_string()
                } else {
                    format!("interior ring at index {}", ri - 1)
                };
                let part = if polys.len() > 1 {
                    format!(" of part {pi}")
                } else {
                    String::new()
                };
                return Some(format!("{role}{part} has a self-intersection"));
            }
        }
    }
    if polys.len() == 1 && polys[0].interiors().is_empty() {
        return None;
    }
    let rings = |ps: &[Polygon<f64>]| ps.iter().map(|p| 1 + p.interiors().len()).sum::<usize>();
    let area: f64 = polys.iter().map(|p| p.unsigned_area()).sum();
    let fixed = make_valid(polys.to_vec());
    let same = fixed.0.len() == polys.len()
        && rings(&fixed.0) == rings(polys)
        && (fixed.unsigned_area() - area).abs() <= 1e-9 * area.max(f64::MIN_POSITIVE);
    (!same)
        .then(|| "rings overlap, touch along a line, or a hole lies outside its shell".to_string())
}

/// Rebuilds polygons as a valid multipolygon: rings are oriented (shells
/// counter-clockwise, holes clockwise) and the area with a non-zero winding number is
/// kept, so the lobes of a bow-tie both survive, overlapping parts merge and holes stay
/// holes.
pub(crate) fn make_valid(polys: Vec<Polygon<f64>>) -> MultiPolygon<f64> {
    let oriented = MultiPolygon(
        polys
            .into_iter()
            .map(|p| p.orient(Direction::Default))
            .collect(),
    );
    oriented.boolean_op_with_fill_rule(
        &MultiPolygon::<f64>(Vec::new()),
        OpType::Union,
        FillRule::NonZero,
    )
}
