//! Geometry commands (§4.3): MoveTo, LineTo and ClosePath decoded per geometry type,
//! with the command grammar and the ring rules (length, closing point, area, order).

use super::error::{Rule, Violations};
use super::topology::check_polygon_topology;
use super::types::{GeomType, Geometry, Polygon};
use super::{Coord, DecodeOptions};

pub(super) const MOVE_TO: u32 = 1;
pub(super) const LINE_TO: u32 = 2;
pub(super) const CLOSE_PATH: u32 = 7;

/// Walks command and parameter integers.
pub(super) struct Commands<'a> {
    ints: &'a [u32],
    pos: usize,
    cursor: Coord,
}

impl Commands<'_> {
    fn done(&self) -> bool {
        self.pos >= self.ints.len()
    }

    /// Next command: `(id, count)`.
    fn command(&mut self) -> Option<(u32, u32)> {
        let c = *self.ints.get(self.pos)?;
        self.pos += 1;
        Some((c & 7, c >> 3))
    }

    /// Whether `count` parameter pairs follow (checked before reading, so that a huge
    /// count costs nothing).
    fn has_pairs(&self, count: u32) -> bool {
        (self.ints.len() - self.pos) as u64 >= 2 * u64::from(count)
    }

    /// Reads one `(dX, dY)` pair and moves the cursor. Returns the delta.
    fn pair(&mut self) -> Coord {
        let mut d = [0i64; 2];
        for k in d.iter_mut() {
            let p = self.ints[self.pos];
            self.pos += 1;
            // Parameters -2^31 and the cursor running past i32 are "not supported" by the
            // spec but not forbidden (fixtures 049, 050 are valid): decoded exactly in
            // i64; RiskMap's own rules bound coordinates to the buffer instead.
            *k = i64::from((p >> 1) as i32 ^ -((p & 1) as i32));
        }
        self.cursor = [self.cursor[0] + d[0], self.cursor[1] + d[1]];
        d
    }
}

pub(super) fn decode_geometry(
    ints: &[u32],
    t: GeomType,
    at: &str,
    opts: &DecodeOptions,
    v: &mut Violations,
) -> Geometry {
    let mut c = Commands {
        ints,
        pos: 0,
        cursor: [0, 0],
    };
    let g = match t {
        GeomType::Point => decode_points(&mut c, at, v),
        GeomType::LineString => decode_lines(&mut c, at, v),
        GeomType::Polygon => decode_polygons(&mut c, at, opts, v),
        GeomType::Unknown => None,
    };
    g.unwrap_or(Geometry::Unknown)
}

pub(super) fn decode_points(
    c: &mut Commands<'_>,
    at: &str,
    v: &mut Violations,
) -> Option<Geometry> {
    let Some((id, count)) = c.command() else {
        v.push(Rule::Commands, at, "point geometry without commands");
        return None;
    };
    if id != MOVE_TO || count == 0 {
        v.push(
            Rule::Commands,
            at,
            format!(
                "point geometry must be one MoveTo with count > 0, found command {id} count {count}"
            ),
        );
        return None;
    }
    if !c.has_pairs(count) {
        v.push(
            Rule::Commands,
            at,
            format!(
                "MoveTo count {count} but only {} parameters follow",
                c.ints.len() - c.pos
            ),
        );
        return None;
    }
    let mut pts = Vec::with_capacity(count as usize);
    for _ in 0..count {
        c.pair();
        pts.push(c.cursor);
    }
    if !c.done() {
        v.push(
            Rule::Commands,
            at,
            "point geometry has commands after its MoveTo",
        );
        return None;
    }
    Some(Geometry::Points(pts))
}

/// Reads `MoveTo(1)` + `LineTo(n ≥ min_lineto)` and returns the vertices, or `None`
/// after recording a violation.
pub(super) fn read_path(
    c: &mut Commands<'_>,
    min_lineto: u32,
    what: &str,
    at: &str,
    v: &mut Violations,
) -> Option<Vec<Coord>> {
    let (id, count) = c.command()?;
    if id != MOVE_TO || count != 1 {
        v.push(
            Rule::Commands,
            at,
            format!("{what} must start with MoveTo count 1, found command {id} count {count}"),
        );
        return None;
    }
    if !c.has_pairs(1) {
        v.push(Rule::Commands, at, "MoveTo without its parameters");
        return None;
    }
    c.pair();
    let mut pts = vec![c.cursor];
    let Some((id, count)) = c.command() else {
        v.push(Rule::Commands, at, format!("{what} ends after its MoveTo"));
        return None;
    };
    if id != LINE_TO {
        v.push(
            Rule::Commands,
            at,
            format!("{what}: MoveTo must be followed by LineTo, found command {id}"),
        );
        return None;
    }
    if count == 0 {
        v.push(Rule::Commands, at, format!("{what}: LineTo with count 0"));
        return None;
    }
    if count < min_lineto {
        // Only polygon rings need more than one LineTo: 3 points plus the closing one.
        v.push(
            Rule::RingTooShort,
            at,
            format!("{what}: LineTo count {count}, must be at least {min_lineto}"),
        );
        return None;
    }
    if !c.has_pairs(count) {
        v.push(
            Rule::Commands,
            at,
            format!(
                "LineTo count {count} but only {} parameters follow",
                c.ints.len() - c.pos
            ),
        );
        return None;
    }
    pts.reserve(count as usize);
    for _ in 0..count {
        let d = c.pair();
        if d == [0, 0] {
            v.push(
                Rule::ZeroLengthSegment,
                at,
                format!("{what}: LineTo with dX = dY = 0"),
            );
        }
        pts.push(c.cursor);
    }
    Some(pts)
}

pub(super) fn decode_lines(c: &mut Commands<'_>, at: &str, v: &mut Violations) -> Option<Geometry> {
    if c.done() {
        v.push(Rule::Commands, at, "linestring geometry without commands");
        return None;
    }
    let mut lines = Vec::new();
    while !c.done() {
        lines.push(read_path(c, 1, "linestring", at, v)?);
    }
    Some(Geometry::LineStrings(lines))
}

/// Twice the signed area by the surveyor's formula (positive = exterior in MVT 2.1).
pub fn ring_area2(ring: &[Coord]) -> i128 {
    let n = ring.len();
    (0..n)
        .map(|i| {
            let (a, b) = (ring[i], ring[(i + 1) % n]);
            i128::from(a[0]) * i128::from(b[1]) - i128::from(b[0]) * i128::from(a[1])
        })
        .sum()
}

pub(super) fn decode_polygons(
    c: &mut Commands<'_>,
    at: &str,
    opts: &DecodeOptions,
    v: &mut Violations,
) -> Option<Geometry> {
    if c.done() {
        v.push(Rule::Commands, at, "polygon geometry without commands");
        return None;
    }
    let mut polygons: Vec<Polygon> = Vec::new();
    let mut ring_index = 0usize;
    while !c.done() {
        let ring = read_path(c, 2, "polygon ring", at, v)?;
        match c.command() {
            Some((CLOSE_PATH, 1)) => {}
            Some((CLOSE_PATH, n)) => {
                v.push(
                    Rule::Commands,
                    at,
                    format!("ClosePath count {n}, must be 1"),
                );
                return None;
            }
            Some((id, _)) => {
                v.push(
                    Rule::Commands,
                    at,
                    format!("ring not closed: command {id} instead of ClosePath"),
                );
                return None;
            }
            None => {
                v.push(
                    Rule::Commands,
                    at,
                    "ring not closed: geometry ends before ClosePath",
                );
                return None;
            }
        }
        // A ClosePath is followed by a MoveTo or nothing (ClosePath has no parameters,
        // so anything else is caught by the next read_path).
        let rat = format!("{at} ring {ring_index}");
        if ring.first() == ring.last() {
            v.push(
                Rule::RingClosingPointRepeated,
                &rat,
                "last point equals the first before ClosePath",
            );
        }
        let a = ring_area2(&ring);
        if a == 0 {
            v.push(Rule::ZeroAreaRing, &rat, "ring has zero area");
        } else if a > 0 {
            polygons.push(Polygon {
                exterior: ring,
                interiors: Vec::new(),
            });
        } else if let Some(p) = polygons.last_mut() {
            p.interiors.push(ring);
        } else {
            v.push(
                Rule::FirstRingNotExterior,
                &rat,
                "first ring has negative area (interior before any exterior)",
            );
        }
        if ring_index == 0 && a == 0 {
            v.push(Rule::FirstRingNotExterior, &rat, "first ring has zero area");
        }
        ring_index += 1;
    }
    if opts.topology {
        for (pi, p) in polygons.iter().enumerate() {
            check_polygon_topology(p, &format!("{at} polygon {pi}"), v);
        }
    }
    Some(Geometry::Polygons(polygons))
}
