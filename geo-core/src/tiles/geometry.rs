//! The per-feature pipeline: lon/lat geometry in, integer tile geometry out.

use geo::{Coord, Geometry, LineString, Polygon};

use super::clip::{Bounds, Placement, Square};
use super::mercator::TileTransform;
use super::ring::{self, IPt};
use super::simplify::{self, SimplifyScratch};

/// Rings with at most this many vertices may skip the overlay when they pass the O(n²)
/// simplicity test; longer ones always go through the overlay, whose cost grows as
/// n·log n.
const FAST_PATH_MAX_VERTICES: usize = 64;

/// Above this many parts, a multipolygon is not checked pairwise for the fast path.
const FAST_PATH_MAX_PARTS: usize = 16;

/// Kind of a [`TileGeom`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Points; `parts` is empty.
    Points,
    /// Lines; `parts` holds their lengths.
    Lines,
    /// Polygon rings; `parts` holds their lengths.
    Polygons,
}

/// Geometry ready for the encoder, borrowed from a [`GeomBuf`]: integer tile
/// coordinates, valid for MVT 2.1.
///
/// - Points: no two consecutive ones equal.
/// - Lines: at least two points each, no consecutive repeats, and no line starting where
///   the previous one ended (see `encode`).
/// - Polygons: rings as `exterior, holes..., exterior, holes...`, exteriors with positive
///   area and holes negative, no closing vertex, no consecutive repeats, at least 3
///   vertices each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct GeomRef<'a> {
    /// What the coordinates are.
    pub(crate) kind: Kind,
    /// All coordinates, part after part.
    pub(crate) coords: &'a [IPt],
    /// Number of coordinates of each line or ring (empty for points).
    pub(crate) parts: &'a [usize],
}

impl<'a> GeomRef<'a> {
    /// The lines or rings, as slices of `coords`.
    pub(crate) fn parts(&self) -> impl Iterator<Item = &'a [IPt]> + use<'a> {
        let coords = self.coords;
        let mut start = 0;
        self.parts.iter().map(move |&n| {
            let part = &coords[start..start + n];
            start += n;
            part
        })
    }
}

/// Where the kept geometries of many features go, one after another: flat coordinates
/// and part lengths, so that a feature costs no allocation of its own. Reused from tile
/// to tile.
#[derive(Debug, Default)]
pub(crate) struct GeomBuf {
    /// Coordinates of every kept feature, feature after feature.
    pub(crate) coords: Vec<IPt>,
    /// Part lengths of every kept feature, feature after feature.
    pub(crate) parts: Vec<usize>,
}

/// Where one feature's geometry starts in a [`GeomBuf`] (and ends, once it is written).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Span {
    /// First coordinate.
    pub(crate) coords: usize,
    /// First part length.
    pub(crate) parts: usize,
}

impl GeomBuf {
    /// The current end, where the next feature starts.
    pub(crate) fn mark(&self) -> Span {
        Span {
            coords: self.coords.len(),
            parts: self.parts.len(),
        }
    }

    /// Forgets everything written after `m`.
    fn truncate(&mut self, m: Span) {
        self.coords.truncate(m.coords);
        self.parts.truncate(m.parts);
    }

    /// Empties the buffer, keeping its memory.
    pub(crate) fn clear(&mut self) {
        self.coords.clear();
        self.parts.clear();
    }

    /// The geometry written between `from` and `to`.
    pub(crate) fn get(&self, kind: Kind, from: Span, to: Span) -> GeomRef<'_> {
        GeomRef {
            kind,
            coords: &self.coords[from.coords..to.coords],
            parts: &self.parts[from.parts..to.parts],
        }
    }
}

/// What became of one feature in one tile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Something is left to draw: the geometry was appended to the [`GeomBuf`].
    Kept {
        /// What it is.
        kind: Kind,
        /// Part of the feature was cut off at the clip box.
        clipped: bool,
        /// The overlay ran on a polygon that lay inside the clip box, because
        /// simplification or snapping left it invalid (or it has holes or many vertices,
        /// or parts whose boxes touch).
        repaired: bool,
    },
    /// Nothing of it reaches the tile plus buffer.
    Outside,
    /// It reaches the tile but is too small to survive simplification and snapping.
    Collapsed,
}

/// Why a feature cannot be processed at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BadInput {
    /// A coordinate is NaN or infinite.
    NonFinite,
    /// A geometry kind MVT cannot hold.
    Unsupported(&'static str),
}

/// Per-tile constants of the pipeline.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ctx {
    /// Lon/lat to tile units.
    pub(crate) transform: TileTransform,
    /// The clip box: tile plus buffer.
    pub(crate) clip: Square,
    /// The clip box grown by a margin, for the cheap pre-clip of polygons before
    /// simplification.
    pub(crate) pre_clip: Square,
    /// Simplification tolerance in tile units.
    pub(crate) tolerance: f64,
    /// Twice the smallest polygon ring area kept, in tile units² (compared with
    /// [`ring::area2`]).
    pub(crate) min_area2: f64,
    /// The input is in world units ([`super::to_world`]), not lon/lat degrees.
    pub(crate) world_input: bool,
}

impl Ctx {
    /// Builds the constants for one tile.
    pub(crate) fn new(transform: TileTransform, opts: &super::TileOptions) -> Self {
        let (extent, buffer, tolerance) = (opts.extent, opts.buffer, opts.simplify_tolerance);
        let lo = -f64::from(buffer);
        let hi = f64::from(extent) + f64::from(buffer);
        // The pre-clip spurs must stay outside the clip box after simplification, which
        // moves an outline by at most the tolerance.
        let margin = 2.0 * tolerance + 8.0;
        Self {
            transform,
            clip: Square { lo, hi },
            pre_clip: Square {
                lo: lo - margin,
                hi: hi + margin,
            },
            tolerance,
            min_area2: 2.0 * opts.min_polygon_area,
            world_input: false,
        }
    }

    /// Tile coordinates of an input position.
    #[inline]
    fn project(&self, c: Coord<f64>) -> [f64; 2] {
        if self.world_input {
            self.transform.project_world(c.x, c.y)
        } else {
            self.transform.project(c.x, c.y)
        }
    }
}

/// Reusable buffers, one per worker, so that a feature costs no allocation beyond its
/// output.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    /// Projected rings of one polygon (or one line), flat.
    projected: Vec<[f64; 2]>,
    /// End offsets of those rings in `projected`.
    ring_ends: Vec<usize>,
    /// Pre-clipped ring, or clipped line part.
    clipped: Vec<[f64; 2]>,
    /// Sutherland–Hodgman work buffer.
    tmp: Vec<[f64; 2]>,
    /// Simplified ring or line.
    simplified: Vec<[f64; 2]>,
    /// Snapped ring or line.
    snapped: Vec<IPt>,
    /// Snapped rings of the whole feature, flat.
    rings: Vec<IPt>,
    /// Their lengths.
    ring_lens: Vec<usize>,
    /// The feature's polygons, as ranges of `ring_lens`.
    polys: Vec<SnappedPoly>,
    /// Simplification buffers.
    simplify: SimplifyScratch,
}

/// One polygon of a feature after simplification and snapping.
#[derive(Debug, Clone, Copy)]
struct SnappedPoly {
    /// Index of its exterior in `Scratch::ring_lens`.
    first_ring: usize,
    /// Number of rings (exterior and holes).
    ring_count: usize,
    /// Its projected bounding box was inside the clip box.
    inside: bool,
}

/// Runs the whole pipeline on one feature's geometry; a kept geometry is appended to
/// `out` (nothing is appended otherwise).
pub(crate) fn process(
    geom: &Geometry<f64>,
    ctx: &Ctx,
    s: &mut Scratch,
    out: &mut GeomBuf,
) -> Result<Outcome, BadInput> {
    let start = out.mark();
    let r = match geom {
        Geometry::Point(p) => points(std::iter::once(p.0), ctx, out),
        Geometry::MultiPoint(mp) => points(mp.0.iter().map(|p| p.0), ctx, out),
        // A line as the line string of its two ends, with nothing allocated.
        Geometry::Line(l) => lines(std::iter::once(&[l.start, l.end][..]), ctx, s, out),
        Geometry::LineString(ls) => lines(std::iter::once(&ls.0[..]), ctx, s, out),
        Geometry::MultiLineString(mls) => lines(mls.0.iter().map(|l| &l.0[..]), ctx, s, out),
        Geometry::Polygon(p) => polygons(std::iter::once(p), ctx, s, out),
        Geometry::MultiPolygon(mp) => polygons(mp.0.iter(), ctx, s, out),
        Geometry::Rect(r) => polygons(std::iter::once(&r.to_polygon()), ctx, s, out),
        Geometry::Triangle(t) => polygons(std::iter::once(&t.to_polygon()), ctx, s, out),
        Geometry::GeometryCollection(_) => Err(BadInput::Unsupported("GeometryCollection")),
    };
    if !matches!(r, Ok(Outcome::Kept { .. })) {
        out.truncate(start);
    }
    r
}

/// Projects `coords`, appending to `out`, and returns their bounding box.
fn project(coords: &[Coord<f64>], ctx: &Ctx, out: &mut Vec<[f64; 2]>) -> Result<Bounds, BadInput> {
    let mut b = Bounds::EMPTY;
    out.reserve(coords.len());
    for c in coords {
        if !(c.x.is_finite() && c.y.is_finite()) {
            return Err(BadInput::NonFinite);
        }
        let p = ctx.project(*c);
        b.add(p);
        out.push(p);
    }
    Ok(b)
}

/// Projects a ring without its closing vertex (geo rings repeat the first vertex last),
/// appending to `out`.
fn project_ring(
    ls: &LineString<f64>,
    ctx: &Ctx,
    out: &mut Vec<[f64; 2]>,
) -> Result<Bounds, BadInput> {
    let coords = &ls.0;
    let n = if coords.len() > 1 && coords.first() == coords.last() {
        coords.len() - 1
    } else {
        coords.len()
    };
    project(&coords[..n], ctx, out)
}

fn points(
    coords: impl Iterator<Item = Coord<f64>>,
    ctx: &Ctx,
    out: &mut GeomBuf,
) -> Result<Outcome, BadInput> {
    let start = out.coords.len();
    let mut dropped = false;
    for c in coords {
        if !(c.x.is_finite() && c.y.is_finite()) {
            return Err(BadInput::NonFinite);
        }
        let p = ctx.project(c);
        if ctx.clip.contains(p) {
            // Rounding stays inside: the clip box bounds are integers.
            let q = [p[0].round() as i32, p[1].round() as i32];
            if out.coords.len() == start || out.coords.last() != Some(&q) {
                out.coords.push(q);
            }
        } else {
            dropped = true;
        }
    }
    Ok(if out.coords.len() == start {
        Outcome::Outside
    } else {
        Outcome::Kept {
            kind: Kind::Points,
            clipped: dropped,
            repaired: false,
        }
    })
}

/// Appends a finished line of the feature whose parts start at `first_part`, joining it
/// to the previous one if it starts where that one ended: one joined line draws the same
/// and saves a MoveTo (a zero-length one at that).
fn push_line(out: &mut GeomBuf, first_part: usize, line: &[IPt]) {
    if out.parts.len() > first_part && out.coords.last() == line.first() {
        out.coords.extend_from_slice(&line[1..]);
        if let Some(n) = out.parts.last_mut() {
            *n += line.len() - 1;
        }
        return;
    }
    out.coords.extend_from_slice(line);
    out.parts.push(line.len());
}

fn lines<'g>(
    parts: impl Iterator<Item = &'g [Coord<f64>]>,
    ctx: &Ctx,
    s: &mut Scratch,
    out: &mut GeomBuf,
) -> Result<Outcome, BadInput> {
    let first_part = out.parts.len();
    let mut reached = false;
    let mut clipped = false;
    let Scratch {
        projected,
        clipped: part_buf,
        simplified,
        snapped,
        simplify,
        ..
    } = s;
    let mut keep = |part: &[[f64; 2]], out: &mut GeomBuf| {
        simplify::simplify_line(part, ctx.tolerance, simplify, simplified);
        ring::snap(simplified, false, snapped);
        if snapped.len() >= 2 {
            push_line(out, first_part, snapped);
        }
    };
    for ls in parts {
        projected.clear();
        let b = project(ls, ctx, projected)?;
        if projected.len() < 2 {
            continue;
        }
        match ctx.clip.place(&b) {
            Placement::Outside => {
                clipped = true;
            }
            Placement::Inside => {
                reached = true;
                keep(projected, out);
            }
            Placement::Crossing => {
                reached = true;
                clipped = true;
                ctx.clip
                    .clip_line(projected, part_buf, |part| keep(part, out));
            }
        }
    }
    if out.parts.len() == first_part {
        return Ok(if reached {
            Outcome::Collapsed
        } else {
            Outcome::Outside
        });
    }
    Ok(Outcome::Kept {
        kind: Kind::Lines,
        clipped,
        repaired: false,
    })
}

fn polygons<'g>(
    polys: impl Iterator<Item = &'g Polygon<f64>>,
    ctx: &Ctx,
    s: &mut Scratch,
    out: &mut GeomBuf,
) -> Result<Outcome, BadInput> {
    let Scratch {
        projected,
        ring_ends,
        clipped: pre_clipped,
        tmp,
        simplified,
        snapped,
        rings,
        ring_lens,
        polys: snapped_polys,
        simplify,
    } = s;
    rings.clear();
    ring_lens.clear();
    snapped_polys.clear();
    let mut reached = false;
    let mut clipped = false;
    for poly in polys {
        // Project every ring first: the placement must consider holes too, in case a
        // (malformed) hole sticks out of its exterior.
        projected.clear();
        ring_ends.clear();
        let mut bounds = Bounds::EMPTY;
        for ls in std::iter::once(poly.exterior()).chain(poly.interiors()) {
            let b = project_ring(ls, ctx, projected)?;
            bounds.merge(&b);
            ring_ends.push(projected.len());
        }
        let placement = ctx.clip.place(&bounds);
        if placement == Placement::Outside {
            clipped = true;
            continue;
        }
        let inside = placement == Placement::Inside;
        clipped |= !inside;
        reached |= inside;
        let first_ring = ring_lens.len();
        let mut start = 0;
        for (k, &end) in ring_ends.iter().enumerate() {
            let pts = &projected[start..end];
            start = end;
            let last: &[[f64; 2]] = if inside {
                simplify::simplify_ring(pts, ctx.tolerance, simplify, simplified);
                simplified
            } else {
                // 1. Cheap pre-clip with a margin: bounds the coordinates (the overlay
                //    works on i32) and the work (only the part near the tile is
                //    simplified), leaving spurs outside the clip box.
                ctx.pre_clip.clip_ring(pts, pre_clipped, tmp);
                simplify::simplify_ring(pre_clipped, ctx.tolerance, simplify, simplified);
                // 2. Exact clip to the clip box: exactly the right area, but possibly with
                //    zero-width spurs lying on the box's sides where the ring left and
                //    came back. They stay exactly on the (integer) sides through
                //    snapping, so the overlay below removes them.
                ctx.clip.clip_ring(simplified, pre_clipped, tmp);
                if k == 0 && pre_clipped.len() >= 3 {
                    reached = true;
                }
                pre_clipped
            };
            ring::snap(last, true, snapped);
            if snapped.len() < 3 {
                if k == 0 {
                    // The exterior collapsed or missed the tile: so does the polygon,
                    // holes included.
                    break;
                }
                continue;
            }
            rings.extend_from_slice(snapped);
            ring_lens.push(snapped.len());
        }
        if ring_lens.len() > first_ring {
            snapped_polys.push(SnappedPoly {
                first_ring,
                ring_count: ring_lens.len() - first_ring,
                inside,
            });
        }
    }
    if snapped_polys.is_empty() {
        return Ok(if reached {
            Outcome::Collapsed
        } else {
            Outcome::Outside
        });
    }

    if fast_path_ok(rings, ring_lens, snapped_polys) {
        // Simple rings: their signed area is their area, and the minimum applies as is.
        let first_part = out.parts.len();
        let mut start = 0;
        for &n in ring_lens.iter() {
            let ring = &rings[start..start + n];
            start += n;
            let a = ring::area2(ring);
            if (a.abs() as f64) < ctx.min_area2 {
                continue;
            }
            let from = out.coords.len();
            out.coords.extend_from_slice(ring);
            if a < 0 {
                out.coords[from..].reverse();
            }
            out.parts.push(n);
        }
        if out.parts.len() == first_part {
            return Ok(Outcome::Collapsed);
        }
        return Ok(Outcome::Kept {
            kind: Kind::Polygons,
            clipped,
            repaired: false,
        });
    }

    // Repair of the whole feature at once, so that parts of a multipolygon that snapping
    // made overlap are merged instead of drawn twice, and clipping spurs vanish.
    let repaired = snapped_polys.iter().any(|p| p.inside);
    let mut oriented: Vec<Vec<IPt>> = Vec::with_capacity(ring_lens.len());
    for p in snapped_polys.iter() {
        let mut start: usize = ring_lens[..p.first_ring].iter().sum();
        for k in 0..p.ring_count {
            let n = ring_lens[p.first_ring + k];
            let mut r = rings[start..start + n].to_vec();
            start += n;
            let a = ring::area2(&r);
            if (k == 0 && a < 0) || (k > 0 && a > 0) {
                r.reverse();
            }
            oriented.push(r);
        }
    }
    let (coords, parts) = ring::overlay_repair(&oriented, ctx.min_area2);
    if parts.is_empty() {
        return Ok(Outcome::Collapsed);
    }
    out.coords.extend_from_slice(&coords);
    out.parts.extend_from_slice(&parts);
    Ok(Outcome::Kept {
        kind: Kind::Polygons,
        clipped,
        repaired,
    })
}

/// The common case of small buildings: every part without holes, with few vertices, and
/// still a simple ring with non-zero area after snapping (and clipping: the exact test
/// also rejects clipping spurs), and, for multipolygons, parts whose boxes do not even
/// touch. Such rings only need orienting; the overlay would return them unchanged.
fn fast_path_ok(rings: &[IPt], ring_lens: &[usize], polys: &[SnappedPoly]) -> bool {
    if polys.len() > FAST_PATH_MAX_PARTS || polys.iter().any(|p| p.ring_count != 1) {
        return false;
    }
    // One ring per polygon from here on, so ring i is polygon i.
    let mut boxes = [[0_i32; 4]; FAST_PATH_MAX_PARTS];
    let mut start = 0;
    for (i, &n) in ring_lens.iter().enumerate() {
        let ring = &rings[start..start + n];
        start += n;
        if n > FAST_PATH_MAX_VERTICES || ring::area2(ring) == 0 || !ring::is_simple(ring) {
            return false;
        }
        boxes[i] = ring::ibox(ring);
    }
    let boxes = &boxes[..ring_lens.len()];
    for (i, a) in boxes.iter().enumerate() {
        for b in &boxes[i + 1..] {
            let apart = a[2] < b[0] || b[2] < a[0] || a[3] < b[1] || b[3] < a[1];
            if !apart {
                return false;
            }
        }
    }
    true
}

/// A kept geometry with its own buffers, for tests.
#[cfg(test)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TileGeom {
    /// What the coordinates are.
    pub(crate) kind: Kind,
    /// All coordinates, part after part.
    pub(crate) coords: Vec<IPt>,
    /// Number of coordinates of each line or ring.
    pub(crate) parts: Vec<usize>,
}

#[cfg(test)]
impl TileGeom {
    /// The borrowed form the encoder takes.
    pub(crate) fn as_ref(&self) -> GeomRef<'_> {
        GeomRef {
            kind: self.kind,
            coords: &self.coords,
            parts: &self.parts,
        }
    }

    /// The lines or rings, as slices of `coords`.
    pub(crate) fn parts(&self) -> impl Iterator<Item = &[IPt]> {
        self.as_ref().parts()
    }
}

/// What [`process`] gives, with the kept geometry in its own buffers, for tests.
#[cfg(test)]
#[derive(Debug)]
pub(crate) enum Owned {
    /// See [`Outcome::Kept`].
    Kept {
        /// The geometry.
        geom: TileGeom,
        /// See [`Outcome::Kept`].
        clipped: bool,
        /// See [`Outcome::Kept`].
        repaired: bool,
    },
    /// See [`Outcome::Outside`].
    Outside,
    /// See [`Outcome::Collapsed`].
    Collapsed,
}

/// [`process`] into fresh buffers, for tests.
#[cfg(test)]
pub(crate) fn process_owned(
    geom: &Geometry<f64>,
    ctx: &Ctx,
    s: &mut Scratch,
) -> Result<Owned, BadInput> {
    let mut buf = GeomBuf::default();
    Ok(match process(geom, ctx, s, &mut buf)? {
        Outcome::Kept {
            kind,
            clipped,
            repaired,
        } => Owned::Kept {
            geom: TileGeom {
                kind,
                coords: buf.coords,
                parts: buf.parts,
            },
            clipped,
            repaired,
        },
        Outcome::Outside => Owned::Outside,
        Outcome::Collapsed => Owned::Collapsed,
    })
}
