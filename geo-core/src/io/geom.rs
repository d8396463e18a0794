//! Geometries as read, before checks: conversion to WGS84, the layer's geometry types,
//! and the repairs (closing rings, removing repeated points, rebuilding invalid
//! polygons, in [`repair`]), each reported.

mod repair;

use geo::{Coord, Geometry};

use crate::crs::Crs;
use crate::model::LayerKind;

use super::LoadError;
use super::props::FeatureCx;
use super::report::{IssueCode, Severity};

/// A geometry as a reader found it: rings not yet closed, points not yet checked.
pub(crate) use crate::wkt::Geometry as RawGeom;

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

/// The geometry types a layer accepts, for messages.
pub(crate) fn allowed_types(kind: LayerKind) -> &'static str {
    match kind {
        LayerKind::GasPipelines => "LineString or MultiLineString",
        LayerKind::Areas => "Polygon or MultiPolygon",
        LayerKind::HiddenHazards => "Point, or none (drawn at its feature)",
        LayerKind::Enterprises
        | LayerKind::HazardSources
        | LayerKind::Houses
        | LayerKind::ProtectionTargets => "Point, Polygon or MultiPolygon",
        // Results are never read from files (the loader refuses them before this).
        LayerKind::HazardGrades
        | LayerKind::ProtectionConflicts
        | LayerKind::PipelineConflicts
        | LayerKind::HouseRisk
        | LayerKind::EnterpriseRisk
        | LayerKind::RiskGrid => "no geometry (a result layer)",
    }
}

fn type_fits(kind: LayerKind, g: &RawGeom) -> bool {
    match kind {
        LayerKind::GasPipelines => {
            matches!(g, RawGeom::LineString(_) | RawGeom::MultiLineString(_))
        }
        LayerKind::Areas => matches!(g, RawGeom::Polygon(_) | RawGeom::MultiPolygon(_)),
        LayerKind::HiddenHazards => matches!(g, RawGeom::Point(_)),
        LayerKind::Enterprises
        | LayerKind::HazardSources
        | LayerKind::Houses
        | LayerKind::ProtectionTargets => matches!(
            g,
            RawGeom::Point(_) | RawGeom::Polygon(_) | RawGeom::MultiPolygon(_)
        ),
        LayerKind::HazardGrades
        | LayerKind::ProtectionConflicts
        | LayerKind::PipelineConflicts
        | LayerKind::HouseRisk
        | LayerKind::EnterpriseRisk
        | LayerKind::RiskGrid => false,
    }
}

/// Whether a coordinate pair cannot be longitude/latitude but looks like metres.
pub(crate) fn looks_projected(c: Coord<f64>) -> bool {
    within_projected_range(c)
        && (c.x.abs() > 180.0 || c.y.abs() > 90.0)
        && (c.x.abs() > 1000.0 || c.y.abs() > 1000.0)
}

/// The largest magnitude a projected coordinate of any CRS read here has: Gauss–Krüger
/// eastings with a zone prefix reach 4.6 × 10⁷ m, Web Mercator ±2.0 × 10⁷ m. Beyond
/// 10⁸ m (a hundred thousand kilometres), and for infinities and NaN, a number is not a
/// projected coordinate.
const PROJECTED_LIMIT: f64 = 1e8;

/// Whether both numbers are finite and no larger than any projected CRS gives.
fn within_projected_range(c: Coord<f64>) -> bool {
    c.x.abs() <= PROJECTED_LIMIT && c.y.abs() <= PROJECTED_LIMIT
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
        // A hidden hazard without a place of its own is drawn at its feature's, which the
        // loader finds once every layer is read (`io::links`).
        GeomInput::Geom(_) | GeomInput::Missing if kind == LayerKind::HiddenHazards => {
            return Ok(Some(crate::io::links::unplaced()));
        }
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
            } else if !within_projected_range(c) {
                (
                    IssueCode::CoordinatesOutOfRange,
                    format!(
                        "coordinate ({}, {}) is outside longitude [-180, 180] / latitude [-90, 90], \
                         and too large for projected metres of any coordinate system (over 10^8)",
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
    if let Some((a, b)) = antimeridian_jump(&g) {
        cx.issue(
            Severity::Skipped,
            IssueCode::InvalidGeometry,
            None,
            format!(
                "the edge from ({}, {}) to ({}, {}) spans {:.1}° of longitude: the geometry \
                 crosses the antimeridian without being split, and read as written it goes \
                 round the world; split it at ±180° into a Multi geometry (RFC 7946 §3.1.9); \
                 the feature was skipped",
                a.x,
                a.y,
                b.x,
                b.y,
                (b.x - a.x).abs()
            ),
        )?;
        return Ok(None);
    }
    repair::repair(g, cx)
}

/// The first edge of a line or ring (rings closed) whose ends are more than 180° of
/// longitude apart: a geometry drawn across the antimeridian without the split RFC 7946
/// asks for. No edge of a real feature is that long, so such a geometry is refused rather
/// than read as going round the world.
fn antimeridian_jump(g: &RawGeom) -> Option<(Coord<f64>, Coord<f64>)> {
    fn line(v: &[Coord<f64>], closed: bool) -> Option<(Coord<f64>, Coord<f64>)> {
        let close = v.first().zip(v.last()).filter(|_| closed && v.len() > 2);
        v.windows(2)
            .map(|w| (w[0], w[1]))
            .chain(close.map(|(first, last)| (*last, *first)))
            .find(|(a, b)| (b.x - a.x).abs() > 180.0)
    }
    match g {
        RawGeom::Point(_) | RawGeom::MultiPoint(_) => None,
        RawGeom::LineString(v) => line(v, false),
        RawGeom::MultiLineString(v) => v.iter().find_map(|l| line(l, false)),
        RawGeom::Polygon(rings) => rings.iter().find_map(|r| line(r, true)),
        RawGeom::MultiPolygon(polys) => polys.iter().flatten().find_map(|r| line(r, true)),
    }
}

fn convert(g: &mut RawGeom, crs: &Crs) -> Result<(), crate::crs::CrsError> {
    let mut refs = g.coords_mut();
    let mut buf: Vec<(f64, f64)> = refs.iter().map(|c| (c.x, c.y)).collect();
    crs.to_wgs84_in_place(&mut buf)?;
    // A conversion that gives no number is a failed one, whatever the system.
    if let Some(((x, y), _)) = refs
        .iter()
        .map(|c| (c.x, c.y))
        .zip(&buf)
        .find(|(_, (lon, lat))| !lon.is_finite() || !lat.is_finite())
    {
        return Err(crate::crs::CrsError::OutOfDomain {
            crs: crs.to_string(),
            x,
            y,
            reason: "the conversion gives no finite longitude/latitude".into(),
        });
    }
    for (c, (x, y)) in refs.iter_mut().zip(buf) {
        c.x = x;
        c.y = y;
    }
    Ok(())
}

/// Parses WKT (POINT, LINESTRING, POLYGON and their MULTI forms, with Z/M dimensions
/// read and dropped, and EMPTY).
pub(crate) fn parse_wkt(text: &str) -> GeomInput {
    match crate::wkt::parse_geometry(text) {
        Ok(Some(g)) => GeomInput::Geom(g),
        Ok(None) => GeomInput::Missing,
        Err(e) => GeomInput::Invalid(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::report::{Issue, Position, Sink};
    use crate::substances::SubstanceTable;
    use geo::Validation;

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
            statuses: &[],
            absent: &[],
            sink: &mut sink,
            texts: &mut crate::heap::Shared::new(),
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
    fn huge_and_infinite_numbers_are_not_projected() {
        assert!(looks_projected(c(40_512_345.0, 3_530_000.0)));
        assert!(!looks_projected(c(f64::INFINITY, 31.0)));
        assert!(!looks_projected(c(f64::NAN, 3_530_000.0)));
        assert!(!looks_projected(c(1e308, 31.0)));
        let (g, issues) = run(
            LayerKind::Houses,
            GeomInput::Geom(RawGeom::Point(c(1e308, 31.0))),
            &Crs::Wgs84,
        );
        assert!(g.is_none());
        assert_eq!(
            codes(&issues),
            vec![(IssueCode::CoordinatesOutOfRange, Severity::Skipped)]
        );
        assert!(issues[0].message.contains("too large for projected metres"));
        assert!(!issues[0].message.contains("looks like projected"));
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
