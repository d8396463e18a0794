//! Geometries as read, before checks: conversion to WGS84, the layer's geometry types,
//! and the repairs (closing rings, removing repeated points, rebuilding invalid
//! polygons), each reported.

use geo::algorithm::bool_ops::{BooleanOps, FillRule, OpType};
use geo::orient::{Direction, Orient};
use geo::{Coord, Geometry, LineString, MultiLineString, MultiPolygon, Point, Polygon, Validation};

use crate::crs::Crs;
use crate::model::LayerKind;

use super::LoadError;
use super::props::FeatureCx;
use super::report::{IssueCode, Severity};

/// A geometry as a reader found it: rings not yet closed, points not yet checked.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RawGeom {
    Point(Coord<f64>),
    MultiPoint(Vec<Coord<f64>>),
    LineString(Vec<Coord<f64>>),
    MultiLineString(Vec<Vec<Coord<f64>>>),
    Polygon(Vec<Vec<Coord<f64>>>),
    MultiPolygon(Vec<Vec<Vec<Coord<f64>>>>),
}

/// What a reader found where the geometry should be.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum GeomInput {
    /// A geometry.
    Geom(RawGeom),
    /// No geometry, a null one or an empty one.
    Missing,
    /// Something that cannot be read as a geometry, and why.
    Invalid(String),
    /// Coordinates that are not numbers (a CSV cell `abc` in 经度), and what they were.
    BadCoordinates(String),
}

impl RawGeom {
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            RawGeom::Point(_) => "Point",
            RawGeom::MultiPoint(_) => "MultiPoint",
            RawGeom::LineString(_) => "LineString",
            RawGeom::MultiLineString(_) => "MultiLineString",
            RawGeom::Polygon(_) => "Polygon",
            RawGeom::MultiPolygon(_) => "MultiPolygon",
        }
    }

    fn for_each_coord(&self, mut f: impl FnMut(Coord<f64>)) {
        match self {
            RawGeom::Point(c) => f(*c),
            RawGeom::MultiPoint(v) | RawGeom::LineString(v) => v.iter().copied().for_each(f),
            RawGeom::MultiLineString(v) | RawGeom::Polygon(v) => {
                v.iter().flatten().copied().for_each(f)
            }
            RawGeom::MultiPolygon(v) => v.iter().flatten().flatten().copied().for_each(f),
        }
    }

    fn coords_mut(&mut self) -> Vec<&mut Coord<f64>> {
        match self {
            RawGeom::Point(c) => vec![c],
            RawGeom::MultiPoint(v) | RawGeom::LineString(v) => v.iter_mut().collect(),
            RawGeom::MultiLineString(v) | RawGeom::Polygon(v) => v.iter_mut().flatten().collect(),
            RawGeom::MultiPolygon(v) => v.iter_mut().flatten().flatten().collect(),
        }
    }

    /// The first coordinate, to judge what system a file's numbers are in.
    pub(crate) fn first(&self) -> Option<Coord<f64>> {
        let mut out = None;
        self.for_each_coord(|c| {
            if out.is_none() {
                out = Some(c);
            }
        });
        out
    }

    fn is_empty(&self) -> bool {
        self.first().is_none()
    }
}

/// The geometry types a layer accepts, for messages.
pub(crate) fn allowed_types(kind: LayerKind) -> &'static str {
    match kind {
        LayerKind::GasPipelines => "LineString or MultiLineString",
        LayerKind::Areas => "Polygon or MultiPolygon",
        _ => "Point, Polygon or MultiPolygon",
    }
}

fn type_fits(kind: LayerKind, g: &RawGeom) -> bool {
    match kind {
        LayerKind::GasPipelines => {
            matches!(g, RawGeom::LineString(_) | RawGeom::MultiLineString(_))
        }
        LayerKind::Areas => matches!(g, RawGeom::Polygon(_) | RawGeom::MultiPolygon(_)),
        _ => matches!(
            g,
            RawGeom::Point(_) | RawGeom::Polygon(_) | RawGeom::MultiPolygon(_)
        ),
    }
}

/// Whether a coordinate pair cannot be longitude/latitude but looks like metres.
pub(crate) fn looks_projected(c: Coord<f64>) -> bool {
    (c.x.abs() > 180.0 || c.y.abs() > 90.0) && (c.x.abs() > 1000.0 || c.y.abs() > 1000.0)
}

fn in_lon_lat_range(c: Coord<f64>) -> bool {
    (-180.0..=180.0).contains(&c.x) && (-90.0..=90.0).contains(&c.y)
}

/// What a projected coordinate found in a lon/lat file looks like, for the message.
pub(crate) fn projected_guess(c: Coord<f64>) -> String {
    let zone_of = |v: f64| -> Option<u32> {
        if (1e7..1e8).contains(&v) {
            let p = (v / 1e6).floor() as u32;
            (13..=45).contains(&p).then_some(p)
        } else {
            None
        }
    };
    let describe_zone = |p: u32| -> String {
        match p {
            13..=23 => format!(
                "a CGCS2000 6-degree Gauss–Krüger zone {p} easting with the zone prefix (EPSG:{})",
                4491 + p - 13
            ),
            25..=45 => format!(
                "a CGCS2000 3-degree Gauss–Krüger zone {p} easting with the zone prefix (EPSG:{})",
                4513 + p - 25
            ),
            _ => format!("a Gauss–Krüger zone {p} easting with the zone prefix"),
        }
    };
    let (x, y) = (c.x, c.y);
    if let Some(p) = zone_of(x) {
        let mut s = format!("x = {x} looks like {}", describe_zone(p));
        if (1.3e7..1.6e7).contains(&x) && (1.5e6..8e6).contains(&y) {
            s.push_str(", or a Web Mercator easting (EPSG:3857)");
        }
        return s + "; declare the CRS in riskmap.toml (crs = \"EPSG:…\")";
    }
    if let Some(p) = zone_of(y)
        && x.abs() < 1e7
    {
        return format!(
            "y = {y} looks like {} with the axes swapped (in Chinese surveying X is the \
             northing): swap the columns and declare the CRS in riskmap.toml",
            describe_zone(p)
        );
    }
    if (8e6..1.6e7).contains(&x) && (1.5e6..8e6).contains(&y) {
        return format!(
            "({x}, {y}) looks like Web Mercator metres (EPSG:3857); declare the CRS in \
             riskmap.toml (crs = \"EPSG:3857\")"
        );
    }
    if (1e5..1e6).contains(&x) && (1e6..1e7).contains(&y) {
        return format!(
            "({x}, {y}) looks like projected metres without a zone prefix (a Gauss–Krüger \
             zone such as EPSG:4549, or UTM): declare the CRS in riskmap.toml"
        );
    }
    format!("({x}, {y}) looks like projected metres, declare the CRS in riskmap.toml")
}

/// Checks, converts and repairs a feature's geometry. `Ok(None)` when the feature is
/// skipped (the issue has been recorded).
pub(crate) fn finish(
    input: GeomInput,
    crs: &Crs,
    cx: &mut FeatureCx<'_>,
) -> Result<Option<Geometry<f64>>, LoadError> {
    let kind = cx.layer;
    let mut g = match input {
        GeomInput::Geom(g) if !g.is_empty() => g,
        GeomInput::Geom(_) | GeomInput::Missing => {
            cx.issue(
                Severity::Skipped,
                IssueCode::MissingGeometry,
                None,
                "no geometry (null, empty, or no coordinates); the feature was skipped",
            )?;
            return Ok(None);
        }
        GeomInput::Invalid(why) => {
            cx.issue(
                Severity::Skipped,
                IssueCode::InvalidGeometry,
                None,
                format!("{why}; the feature was skipped"),
            )?;
            return Ok(None);
        }
        GeomInput::BadCoordinates(why) => {
            cx.issue(
                Severity::Skipped,
                IssueCode::InvalidCoordinates,
                None,
                format!("{why}; the feature was skipped"),
            )?;
            return Ok(None);
        }
    };
    // A one-point MultiPoint is a point: shapefile point layers are often typed so.
    if let RawGeom::MultiPoint(v) = &g
        && v.len() == 1
    {
        g = RawGeom::Point(v[0]);
    }
    if !type_fits(kind, &g) {
        cx.issue(
            Severity::Skipped,
            IssueCode::WrongGeometryType,
            None,
            format!(
                "a {} in layer {kind}, which takes {}; the feature was skipped",
                g.type_name(),
                allowed_types(kind)
            ),
        )?;
        return Ok(None);
    }
    let mut bad = None;
    g.for_each_coord(|c| {
        if bad.is_none() && !(c.x.is_finite() && c.y.is_finite()) {
            bad = Some(c);
        }
    });
    if let Some(c) = bad {
        cx.issue(
            Severity::Skipped,
            IssueCode::InvalidCoordinates,
            None,
            format!(
                "coordinate ({}, {}) is not a finite number; the feature was skipped",
                c.x, c.y
            ),
        )?;
        return Ok(None);
    }
    if crs.is_geographic() {
        let mut out = None;
        g.for_each_coord(|c| {
            if out.is_none() && !in_lon_lat_range(c) {
                out = Some(c);
            }
        });
        if let Some(c) = out {
            let (code, msg) = if looks_projected(c) {
                (
                    IssueCode::ProjectedCoordinates,
                    format!(
                        "projected coordinates in a file read as {crs}: {}",
                        projected_guess(c)
                    ),
                )
            } else if c.x.abs() <= 90.0 && c.y.abs() <= 180.0 {
                (
                    IssueCode::CoordinatesOutOfRange,
                    format!(
                        "coordinate ({}, {}) is outside longitude [-180, 180] / latitude [-90, 90]; \
                         longitude and latitude look swapped",
                        c.x, c.y
                    ),
                )
            } else {
                (
                    IssueCode::CoordinatesOutOfRange,
                    format!(
                        "coordinate ({}, {}) is outside longitude [-180, 180] / latitude [-90, 90]",
                        c.x, c.y
                    ),
                )
            };
            cx.issue(
                Severity::Skipped,
                code,
                None,
                format!("{msg}; the feature was skipped"),
            )?;
            return Ok(None);
        }
    }
    if !matches!(crs, Crs::Wgs84 | Crs::Cgcs2000)
        && let Err(e) = convert(&mut g, crs)
    {
        cx.issue(
            Severity::Skipped,
            IssueCode::ConversionFailed,
            None,
            format!("cannot convert from {crs} to WGS84: {e}; the feature was skipped"),
        )?;
        return Ok(None);
    }
    repair(g, cx)
}

fn convert(g: &mut RawGeom, crs: &Crs) -> Result<(), crate::crs::CrsError> {
    let mut refs = g.coords_mut();
    let mut buf: Vec<(f64, f64)> = refs.iter().map(|c| (c.x, c.y)).collect();
    crs.to_wgs84_in_place(&mut buf)?;
    for (c, (x, y)) in refs.iter_mut().zip(buf) {
        c.x = x;
        c.y = y;
    }
    Ok(())
}

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

fn repair(g: RawGeom, cx: &mut FeatureCx<'_>) -> Result<Option<Geometry<f64>>, LoadError> {
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

/// Parses WKT (POINT, LINESTRING, POLYGON and their MULTI forms, with Z/M dimensions
/// read and dropped, and EMPTY).
pub(crate) fn parse_wkt(text: &str) -> GeomInput {
    let mut p = WktParser {
        s: text.as_bytes(),
        i: 0,
    };
    match p.geometry() {
        Ok(g) => {
            p.ws();
            if p.i < p.s.len() {
                return GeomInput::Invalid(format!(
                    "WKT has text after the geometry at character {}",
                    p.i + 1
                ));
            }
            match g {
                Some(g) => GeomInput::Geom(g),
                None => GeomInput::Missing,
            }
        }
        Err(e) => GeomInput::Invalid(format!("WKT cannot be read: {e}")),
    }
}

struct WktParser<'a> {
    s: &'a [u8],
    i: usize,
}

impl WktParser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn word(&mut self) -> String {
        self.ws();
        let start = self.i;
        while self.i < self.s.len() && self.s[self.i].is_ascii_alphabetic() {
            self.i += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.i]).to_ascii_uppercase()
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.s.get(self.i).copied()
    }

    fn expect(&mut self, b: u8) -> Result<(), String> {
        if self.peek() == Some(b) {
            self.i += 1;
            Ok(())
        } else {
            Err(format!(
                "expected '{}' at character {}",
                char::from(b),
                self.i + 1
            ))
        }
    }

    fn number(&mut self) -> Result<f64, String> {
        self.ws();
        let start = self.i;
        while self.i < self.s.len()
            && matches!(
                self.s[self.i],
                b'0'..=b'9' | b'.' | b'-' | b'+' | b'e' | b'E'
            )
        {
            self.i += 1;
        }
        std::str::from_utf8(&self.s[start..self.i])
            .ok()
            .and_then(|t| t.parse().ok())
            .ok_or_else(|| format!("expected a number at character {}", start + 1))
    }

    fn coord(&mut self) -> Result<Coord<f64>, String> {
        let x = self.number()?;
        let y = self.number()?;
        // Z and M are read and dropped: the model is 2-D.
        while matches!(self.peek(), Some(b'0'..=b'9' | b'-' | b'+' | b'.')) {
            self.number()?;
        }
        Ok(Coord { x, y })
    }

    fn list<T>(
        &mut self,
        mut item: impl FnMut(&mut Self) -> Result<T, String>,
    ) -> Result<Vec<T>, String> {
        self.expect(b'(')?;
        let mut v = vec![item(self)?];
        while self.peek() == Some(b',') {
            self.i += 1;
            v.push(item(self)?);
        }
        self.expect(b')')?;
        Ok(v)
    }

    fn coords(&mut self) -> Result<Vec<Coord<f64>>, String> {
        self.list(|p| p.coord())
    }

    fn rings(&mut self) -> Result<Vec<Vec<Coord<f64>>>, String> {
        self.list(|p| p.coords())
    }

    fn geometry(&mut self) -> Result<Option<RawGeom>, String> {
        self.ws();
        // EWKT: an SRID would change the CRS of one row; the file's CRS is declared
        // instead, so only the lon/lat ones are accepted.
        if self.s[self.i..].len() >= 5 && self.s[self.i..self.i + 5].eq_ignore_ascii_case(b"SRID=")
        {
            let end = self.s[self.i..]
                .iter()
                .position(|&b| b == b';')
                .ok_or("SRID= without ';'")?;
            let srid = String::from_utf8_lossy(&self.s[self.i + 5..self.i + end])
                .trim()
                .to_string();
            if srid != "4326" && srid != "4490" {
                return Err(format!(
                    "EWKT SRID={srid} is not read per row; drop the prefix and declare the CRS \
                     in riskmap.toml"
                ));
            }
            self.i += end + 1;
        }
        let kind = self.word();
        let mut dim = self.word();
        if dim == "EMPTY" {
            return Ok(None);
        }
        if !matches!(dim.as_str(), "" | "Z" | "M" | "ZM") {
            return Err(format!("unexpected {dim:?} after {kind}"));
        }
        if self.peek().is_some_and(|b| b.is_ascii_alphabetic()) {
            dim = self.word();
            if dim == "EMPTY" {
                return Ok(None);
            }
            return Err(format!("unexpected {dim:?} after {kind}"));
        }
        Ok(Some(match kind.as_str() {
            "POINT" => {
                self.expect(b'(')?;
                let c = self.coord()?;
                self.expect(b')')?;
                RawGeom::Point(c)
            }
            "LINESTRING" => RawGeom::LineString(self.coords()?),
            "POLYGON" => RawGeom::Polygon(self.rings()?),
            "MULTIPOINT" => RawGeom::MultiPoint(self.list(|p| {
                if p.peek() == Some(b'(') {
                    p.i += 1;
                    let c = p.coord()?;
                    p.expect(b')')?;
                    Ok(c)
                } else {
                    p.coord()
                }
            })?),
            "MULTILINESTRING" => RawGeom::MultiLineString(self.rings()?),
            "MULTIPOLYGON" => RawGeom::MultiPolygon(self.list(|p| p.rings())?),
            "" => return Err("no geometry type".into()),
            other => return Err(format!("geometry type {other} is not supported")),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::report::{Issue, Position, Sink};
    use crate::substances::SubstanceTable;

    fn c(x: f64, y: f64) -> Coord<f64> {
        Coord { x, y }
    }

    fn run(kind: LayerKind, g: GeomInput, crs: &Crs) -> (Option<Geometry<f64>>, Vec<Issue>) {
        let subs = SubstanceTable::default();
        let mut sink = Sink::new(false);
        let mut cx = FeatureCx {
            file: "t.geojson",
            layer: kind,
            position: Position::Feature(0),
            id: "f0",
            substances: &subs,
            absent: &[],
            sink: &mut sink,
        };
        let out = finish(g, crs, &mut cx).ok().flatten();
        (out, sink.issues)
    }

    fn codes(issues: &[Issue]) -> Vec<(IssueCode, Severity)> {
        issues.iter().map(|i| (i.code, i.severity)).collect()
    }

    #[test]
    fn wkt_forms() {
        assert_eq!(
            parse_wkt("POINT (121.1 31.2)"),
            GeomInput::Geom(RawGeom::Point(c(121.1, 31.2)))
        );
        assert_eq!(
            parse_wkt("point z (1 2 3)"),
            GeomInput::Geom(RawGeom::Point(c(1.0, 2.0)))
        );
        assert_eq!(parse_wkt("POLYGON EMPTY"), GeomInput::Missing);
        assert_eq!(
            parse_wkt("MULTIPOINT ((1 2), 3 4)"),
            GeomInput::Geom(RawGeom::MultiPoint(vec![c(1.0, 2.0), c(3.0, 4.0)]))
        );
        assert_eq!(
            parse_wkt("SRID=4326;LINESTRING(0 0, 1 1)"),
            GeomInput::Geom(RawGeom::LineString(vec![c(0.0, 0.0), c(1.0, 1.0)]))
        );
        match parse_wkt(
            "MULTIPOLYGON(((0 0,1 0,1 1,0 0)),((5 5,6 5,6 6,5 5),(5.1 5.1,5.2 5.1,5.2 5.2,5.1 5.1)))",
        ) {
            GeomInput::Geom(RawGeom::MultiPolygon(p)) => assert_eq!((p.len(), p[1].len()), (2, 2)),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse_wkt("POLYGON((0 0, 1 0"),
            GeomInput::Invalid(_)
        ));
        assert!(
            matches!(parse_wkt("SRID=4549;POINT(1 2)"), GeomInput::Invalid(m) if m.contains("4549"))
        );
        assert!(matches!(parse_wkt("CIRCLE(1 2)"), GeomInput::Invalid(_)));
    }

    #[test]
    fn rings_are_closed_deduplicated_and_degenerate_ones_dropped() {
        let ring = vec![
            c(0.0, 0.0),
            c(0.001, 0.0),
            c(0.001, 0.0),
            c(0.001, 0.001),
            c(0.0, 0.001),
        ];
        let hole = vec![c(0.0002, 0.0002), c(0.0003, 0.0002), c(0.0002, 0.0002)];
        let (g, issues) = run(
            LayerKind::Houses,
            GeomInput::Geom(RawGeom::Polygon(vec![ring, hole])),
            &Crs::Wgs84,
        );
        match g {
            Some(Geometry::Polygon(p)) => {
                assert_eq!(p.exterior().0.len(), 5);
                assert!(p.interiors().is_empty());
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            codes(&issues),
            vec![
                (IssueCode::RepeatedPoints, Severity::Repaired),
                (IssueCode::UnclosedRing, Severity::Repaired),
                (IssueCode::DegenerateRing, Severity::Repaired),
            ]
        );
        let (g, issues) = run(
            LayerKind::Houses,
            GeomInput::Geom(RawGeom::Polygon(vec![vec![
                c(1.0, 1.0),
                c(2.0, 2.0),
                c(1.0, 1.0),
            ]])),
            &Crs::Wgs84,
        );
        assert!(g.is_none());
        assert_eq!(
            codes(&issues),
            vec![(IssueCode::DegenerateRing, Severity::Skipped)]
        );
    }

    #[test]
    fn bow_tie_becomes_two_triangles() {
        let bow = vec![
            c(0.0, 0.0),
            c(1.0, 1.0),
            c(1.0, 0.0),
            c(0.0, 1.0),
            c(0.0, 0.0),
        ];
        let (g, issues) = run(
            LayerKind::Areas,
            GeomInput::Geom(RawGeom::Polygon(vec![bow])),
            &Crs::Wgs84,
        );
        match g {
            Some(Geometry::MultiPolygon(mp)) => {
                assert_eq!(mp.0.len(), 2);
                assert!(mp.is_valid());
                use geo::Area;
                assert!((mp.unsigned_area() - 0.5).abs() < 1e-9);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            codes(&issues),
            vec![(IssueCode::SelfIntersection, Severity::Repaired)]
        );
        assert!(
            issues[0].message.contains("self-intersection"),
            "{}",
            issues[0].message
        );
    }

    #[test]
    fn overlapping_parts_merge() {
        let sq = |x: f64| {
            vec![vec![
                c(x, 0.0),
                c(x + 1.0, 0.0),
                c(x + 1.0, 1.0),
                c(x, 1.0),
                c(x, 0.0),
            ]]
        };
        let (g, issues) = run(
            LayerKind::Areas,
            GeomInput::Geom(RawGeom::MultiPolygon(vec![sq(0.0), sq(0.5)])),
            &Crs::Wgs84,
        );
        match g {
            Some(Geometry::MultiPolygon(mp)) => assert_eq!(mp.0.len(), 1),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            codes(&issues),
            vec![(IssueCode::InvalidPolygon, Severity::Repaired)]
        );
    }

    #[test]
    fn long_rings_are_checked_through_an_r_tree() {
        // A 400-point circle, valid; then the same with two points swapped (a crossing).
        let circle: Vec<Coord<f64>> = (0..=400)
            .map(|i| {
                let t = f64::from(i % 400) / 400.0 * std::f64::consts::TAU;
                c(121.0 + 0.01 * t.cos(), 31.0 + 0.01 * t.sin())
            })
            .collect();
        let hole: Vec<Coord<f64>> = circle
            .iter()
            .map(|p| c(121.0 + (p.x - 121.0) * 0.5, 31.0 + (p.y - 31.0) * 0.5))
            .rev()
            .collect();
        let (g, issues) = run(
            LayerKind::Areas,
            GeomInput::Geom(RawGeom::Polygon(vec![circle.clone(), hole.clone()])),
            &Crs::Wgs84,
        );
        assert!(issues.is_empty(), "{issues:?}");
        assert!(matches!(g, Some(Geometry::Polygon(p)) if p.interiors().len() == 1));
        let mut crossed = circle.clone();
        crossed.swap(100, 101);
        let (_, issues) = run(
            LayerKind::Areas,
            GeomInput::Geom(RawGeom::Polygon(vec![crossed])),
            &Crs::Wgs84,
        );
        assert_eq!(
            codes(&issues),
            vec![(IssueCode::SelfIntersection, Severity::Repaired)]
        );
        // A hole outside its shell.
        let far: Vec<Coord<f64>> = hole.iter().map(|p| c(p.x + 0.1, p.y)).collect();
        let (_, issues) = run(
            LayerKind::Areas,
            GeomInput::Geom(RawGeom::Polygon(vec![circle.clone(), far])),
            &Crs::Wgs84,
        );
        assert_eq!(
            codes(&issues),
            vec![(IssueCode::InvalidPolygon, Severity::Repaired)]
        );
        // Two parts touching at one point stay valid.
        let right: Vec<Coord<f64>> = circle.iter().map(|p| c(p.x + 0.02, p.y)).collect();
        let (g, issues) = run(
            LayerKind::Areas,
            GeomInput::Geom(RawGeom::MultiPolygon(vec![vec![circle], vec![right]])),
            &Crs::Wgs84,
        );
        assert!(issues.is_empty(), "{issues:?}");
        assert!(matches!(g, Some(Geometry::MultiPolygon(m)) if m.0.len() == 2));
    }

    #[test]
    fn wrong_types_and_bad_coordinates() {
        let (_, issues) = run(
            LayerKind::GasPipelines,
            GeomInput::Geom(RawGeom::Point(c(121.0, 31.0))),
            &Crs::Wgs84,
        );
        assert_eq!(
            codes(&issues),
            vec![(IssueCode::WrongGeometryType, Severity::Skipped)]
        );
        assert!(issues[0].message.contains("LineString or MultiLineString"));
        let (_, issues) = run(
            LayerKind::Houses,
            GeomInput::Geom(RawGeom::Point(c(f64::NAN, 31.0))),
            &Crs::Wgs84,
        );
        assert_eq!(
            codes(&issues),
            vec![(IssueCode::InvalidCoordinates, Severity::Skipped)]
        );
        let (_, issues) = run(
            LayerKind::Houses,
            GeomInput::Geom(RawGeom::Point(c(31.0, 121.0))),
            &Crs::Wgs84,
        );
        assert_eq!(
            codes(&issues),
            vec![(IssueCode::CoordinatesOutOfRange, Severity::Skipped)]
        );
        assert!(issues[0].message.contains("swapped"));
        let (_, issues) = run(
            LayerKind::Houses,
            GeomInput::Geom(RawGeom::Point(c(40_512_345.0, 3_530_000.0))),
            &Crs::Wgs84,
        );
        assert_eq!(
            codes(&issues),
            vec![(IssueCode::ProjectedCoordinates, Severity::Skipped)]
        );
        assert!(issues[0].message.contains("zone 40") && issues[0].message.contains("EPSG:4528"));
        let (_, issues) = run(LayerKind::Houses, GeomInput::Missing, &Crs::Wgs84);
        assert_eq!(
            codes(&issues),
            vec![(IssueCode::MissingGeometry, Severity::Skipped)]
        );
    }

    #[test]
    fn projected_guesses() {
        assert!(
            projected_guess(c(20_512_345.0, 3_500_000.0)).contains("6-degree Gauss–Krüger zone 20")
        );
        assert!(projected_guess(c(20_512_345.0, 3_500_000.0)).contains("EPSG:4498"));
        assert!(projected_guess(c(3_530_000.0, 40_512_345.0)).contains("swapped"));
        assert!(projected_guess(c(13_490_000.0, 3_750_000.0)).contains("Web Mercator"));
        assert!(projected_guess(c(512_345.0, 3_530_000.0)).contains("without a zone prefix"));
    }

    #[test]
    fn converts_gauss_kruger_to_lon_lat() {
        // PROJ 9.1: cs2cs -f %.9f EPSG:4528 EPSG:4490 <<< "3530252.1086 40610692.1889"
        //   → 31.890000000 121.170000000 (EPSG axis order: northing easting → lat lon)
        let crs = Crs::parse("EPSG:4528").expect("crs");
        let (g, issues) = run(
            LayerKind::Houses,
            GeomInput::Geom(RawGeom::Point(c(40_610_692.188_9, 3_530_252.108_6))),
            &crs,
        );
        assert!(issues.is_empty());
        match g {
            Some(Geometry::Point(p)) => {
                assert!(
                    (p.x() - 121.17).abs() < 1e-8 && (p.y() - 31.89).abs() < 1e-8,
                    "{p:?}"
                );
            }
            other => panic!("{other:?}"),
        }
    }
}
