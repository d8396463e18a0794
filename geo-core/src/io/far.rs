//! Features far from everything else: at 0,0 ("null island", where a missing coordinate
//! often lands), more than 50 km outside every area, or, without areas, far from the bulk
//! of the data. Such a feature is kept and reported (a warning, an error with `--strict`):
//! it is almost always a coordinate typed wrong, swapped or given in another CRS, and it
//! would stretch every extent the data has.
//!
//! The check runs once all layers are loaded (it needs the areas) and is cheap: one point
//! per feature (the centre of its bounding box), an R-tree of the areas' envelopes, and an
//! exact geodesic distance only for the few points outside every area's envelope.

use geo::{BoundingRect, Coord, Geometry, Point, Rect};

use crate::geodesy::{distance_m, expand_rect_m};
use crate::index::SpatialIndex;
use crate::model::{Area, LayerKind};

use super::LoadError;
use super::dedupe::Kept;
use super::read::FileReports;
use super::report::{Issue, IssueCode, Position, Severity};

/// Farther than this outside every area, a feature is reported.
pub const FAR_FROM_AREAS_M: f64 = 50_000.0;
/// Within this many degrees of 0,0 (about 1 km), a feature is at null island.
pub const NULL_ISLAND_DEG: f64 = 0.01;
/// Without areas: a feature is reported when it lies farther from the data's median point
/// than 50 km plus this many times the median feature's distance from it.
pub const FAR_FROM_BULK_FACTOR: f64 = 10.0;

/// One loaded layer as the check sees it: each feature's point (the centre of its box)
/// and id, read from the features as the check goes (a million houses' points and ids
/// held apart were 40 MB at the load's peak).
pub(super) struct View<'a> {
    kind: LayerKind,
    len: usize,
    point: Box<dyn Fn(usize) -> Option<Coord<f64>> + 'a>,
    id: Box<dyn Fn(usize) -> &'a str + 'a>,
    positions: &'a [Position],
    files: &'a [usize],
}

/// A layer's features, each by the centre of its bounding box.
pub(super) fn view<P>(kind: LayerKind, kept: &Kept<P>) -> View<'_> {
    let fs = &kept.found.features;
    View {
        kind,
        len: fs.len(),
        point: Box::new(move |i| {
            fs.get(i)
                .and_then(|f| f.geometry.bounding_rect())
                .map(|r| r.center())
        }),
        id: Box::new(move |i| fs.get(i).map_or("", |f| f.id.as_str())),
        positions: &kept.found.positions,
        files: &kept.files,
    }
}

impl View<'_> {
    fn points(&self) -> impl Iterator<Item = (usize, Coord<f64>)> + '_ {
        (0..self.len).filter_map(|i| (self.point)(i).map(|p| (i, p)))
    }
}

/// Reports the features far from everything else; in strict mode the first is the error.
pub(super) fn check_far(
    layers: &[View<'_>],
    areas: &Kept<Area>,
    reports: &mut FileReports,
) -> Result<(), LoadError> {
    let area_geoms: Vec<&Geometry<f64>> =
        areas.found.features.iter().map(|f| &f.geometry).collect();
    let index = SpatialIndex::build(area_geoms.iter().copied());
    let bulk = if area_geoms.is_empty() {
        Bulk::of(layers)
    } else {
        None
    };
    // Per file: its features, and those far from the rest; the far features' issues,
    // pushed after the file's own (which a reader meets first).
    let mut tally: std::collections::BTreeMap<usize, (LayerKind, usize, usize)> =
        std::collections::BTreeMap::new();
    let mut each: Vec<(usize, Issue)> = Vec::new();
    for layer in layers {
        for (i, p) in layer.points() {
            let t = tally
                .entry(layer.files.get(i).copied().unwrap_or(0))
                .or_insert((layer.kind, 0, 0));
            t.1 += 1;
            let message = if p.x.abs() < NULL_ISLAND_DEG && p.y.abs() < NULL_ISLAND_DEG {
                Some((
                    IssueCode::NullIsland,
                    "the feature lies at 0,0 (null island), where a missing or zeroed coordinate \
                     lands; check its coordinates"
                        .to_string(),
                ))
            } else if !area_geoms.is_empty() {
                if layer.kind == LayerKind::Areas {
                    None
                } else {
                    outside_areas(p, &index, |i| area_geoms.get(i).copied())
                        .map(|m| (IssueCode::FarFromData, m))
                }
            } else {
                bulk.as_ref()
                    .and_then(|b| b.far(p))
                    .map(|m| (IssueCode::FarFromData, m))
            };
            let Some((code, message)) = message else {
                continue;
            };
            let file = layer.files.get(i).copied().unwrap_or(0);
            if code == IssueCode::FarFromData {
                t.2 += 1;
            }
            let issue = Issue {
                severity: Severity::Warning,
                code,
                file: reports.rels.get(file).cloned().unwrap_or_default(),
                layer: Some(layer.kind),
                position: layer.positions.get(i).copied(),
                feature_id: Some((layer.id)(i).to_string()),
                field: None,
                message,
            };
            if reports.strict {
                return Err(LoadError::Invalid {
                    issue: Box::new(issue),
                });
            }
            each.push((file, issue));
        }
    }
    // A file most of whose features lie far off was most likely read in the wrong
    // coordinate system (another zone, GCJ-02 taken for WGS84): said once for the file,
    // beside each feature's warning.
    for (file, (kind, all, far)) in tally {
        if far < MOST_FAR_AT_LEAST || far * 2 <= all {
            continue;
        }
        let issue = Issue {
            severity: Severity::Warning,
            code: IssueCode::FarFromData,
            file: reports.rels.get(file).cloned().unwrap_or_default(),
            layer: Some(kind),
            position: None,
            feature_id: None,
            field: None,
            message: format!(
                "{far} of the file's {all} features lie far from the areas and the rest of \
                 the data: if the file is in another coordinate system than it was read in \
                 (another Gauss-Kruger zone, GCJ-02 read as WGS84, metres without the zone \
                 number), give its crs in riskmap.toml"
            ),
        };
        if let Some(v) = reports.issues.get_mut(file) {
            v.push(issue);
        }
    }
    for (file, issue) in each {
        if let Some(v) = reports.issues.get_mut(file) {
            v.push(issue);
        }
    }
    Ok(())
}

/// The fewest far features that make a file's own warning (a file of three features,
/// one of them far, is not said to be in another system).
const MOST_FAR_AT_LEAST: usize = 5;

/// The warning the loaders give a feature of `kind` with geometry `g` for where it lies,
/// against the areas of the data it joins: at 0,0 (`null_island`), or, but for an area,
/// more than 50 km outside every one of `areas` (`far_from_data`). For one feature read
/// on its own (an edit, a row a database or a GeoPackage changed), whose file holds no
/// areas to compare it with.
pub fn far_issue(
    kind: LayerKind,
    g: &Geometry<f64>,
    areas: &crate::dataset::Layer<Area>,
) -> Option<(IssueCode, String)> {
    let p = g.bounding_rect()?.center();
    if p.x.abs() < NULL_ISLAND_DEG && p.y.abs() < NULL_ISLAND_DEG {
        return Some((
            IssueCode::NullIsland,
            "the feature lies at 0,0 (null island), where a missing or zeroed coordinate \
             lands; check its coordinates"
                .to_string(),
        ));
    }
    if kind == LayerKind::Areas || areas.is_empty() {
        return None;
    }
    outside_areas(p, areas.index(), |i| areas.get(i).map(|f| &f.geometry))
        .map(|m| (IssueCode::FarFromData, m))
}

/// `None` when `p` is inside an area's envelope or within 50 km of an area (`area_at`:
/// the area of a position of `index`); otherwise what to say.
pub(super) fn outside_areas<'a>(
    p: Coord<f64>,
    index: &SpatialIndex,
    area_at: impl Fn(usize) -> Option<&'a Geometry<f64>>,
) -> Option<String> {
    if index.envelopes_in(Rect::new(p, p)).next().is_some() {
        return None;
    }
    let near = expand_rect_m(Rect::new(p, p), FAR_FROM_AREAS_M);
    let nearest = index
        .envelopes_in(near)
        .filter_map(area_at)
        .map(|g| distance_m(g, &Geometry::Point(Point::from(p))))
        .fold(f64::INFINITY, f64::min);
    if nearest <= FAR_FROM_AREAS_M {
        return None;
    }
    Some(format!(
        "the feature lies more than {} km outside every area (at {:.5}, {:.5}); check its \
         coordinates (swapped longitude and latitude, another CRS)",
        FAR_FROM_AREAS_M / 1000.0,
        p.x,
        p.y
    ))
}

/// The bulk of the data when there are no areas: its median point and how far from it
/// a feature may lie.
struct Bulk {
    centre: Coord<f64>,
    limit_m: f64,
}

impl Bulk {
    fn of(layers: &[View<'_>]) -> Option<Bulk> {
        let pts: Vec<Coord<f64>> = layers
            .iter()
            .flat_map(|l| l.points().map(|(_, p)| p))
            .collect();
        // Two or three features have no bulk to stand apart from.
        if pts.len() < 4 {
            return None;
        }
        let mut xs: Vec<f64> = pts.iter().map(|c| c.x).collect();
        let mut ys: Vec<f64> = pts.iter().map(|c| c.y).collect();
        let centre = Coord {
            x: median(&mut xs)?,
            y: median(&mut ys)?,
        };
        let mut ds: Vec<f64> = pts.iter().map(|&c| great_circle_m(centre, c)).collect();
        let typical = median(&mut ds)?;
        Some(Bulk {
            centre,
            limit_m: FAR_FROM_AREAS_M + FAR_FROM_BULK_FACTOR * typical,
        })
    }

    fn far(&self, p: Coord<f64>) -> Option<String> {
        let d = great_circle_m(self.centre, p);
        (d > self.limit_m).then(|| {
            format!(
                "the feature lies {:.0} km from the middle of the data, where the rest lies \
                 within {:.0} km; check its coordinates (swapped longitude and latitude, \
                 another CRS)",
                d / 1000.0,
                (self.limit_m - FAR_FROM_AREAS_M) / FAR_FROM_BULK_FACTOR / 1000.0
            )
        })
    }
}

fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let mid = v.len() / 2;
    let (_, m, _) = v.select_nth_unstable_by(mid, f64::total_cmp);
    Some(*m)
}

/// Great-circle distance on the sphere of H3 (metres): a million of them stay cheap, and
/// a 0.5 % error does not matter to a threshold of tens of kilometres.
fn great_circle_m(a: Coord<f64>, b: Coord<f64>) -> f64 {
    match (h3o::LatLng::new(a.y, a.x), h3o::LatLng::new(b.y, b.x)) {
        (Ok(a), Ok(b)) => a.distance_m(b),
        _ => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::{LoadOptions, load_dir};

    fn houses(points: &[(f64, f64)]) -> String {
        let feats: Vec<String> = points
            .iter()
            .enumerate()
            .map(|(i, (x, y))| {
                format!(
                    r#"{{"type":"Feature","id":"h{i}","geometry":{{"type":"Point","coordinates":[{x},{y}]}},"properties":{{}}}}"#
                )
            })
            .collect();
        format!(
            r#"{{"type":"FeatureCollection","features":[{}]}}"#,
            feats.join(",")
        )
    }

    const AREA: &str = r#"{"type":"FeatureCollection","features":[{"type":"Feature","id":"a",
"geometry":{"type":"Polygon","coordinates":[[[121.0,31.8],[121.2,31.8],[121.2,32.0],[121.0,32.0],[121.0,31.8]]]},
"properties":{"name":"A"}}]}"#;

    type Found = Vec<(IssueCode, Option<Position>, Option<String>)>;

    fn found(dir: &std::path::Path, strict: bool) -> Result<Found, LoadError> {
        let opts = LoadOptions {
            strict,
            ..LoadOptions::default()
        };
        let loaded = load_dir(dir, &opts)?;
        Ok(loaded
            .report
            .issues
            .iter()
            .filter(|i| matches!(i.code, IssueCode::FarFromData | IssueCode::NullIsland))
            .map(|i| (i.code, i.position, i.feature_id.clone()))
            .collect())
    }

    #[test]
    fn far_from_every_area_and_null_island_are_located() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("areas.geojson"), AREA).expect("write");
        // h0 inside the area; h1 0.1° east of its edge at 31.9° N: 0.1 × 94.6 km ≈ 9.5 km
        // (a degree of longitude there is 111.32 km × cos 31.9° ≈ 94.6 km), within 50 km;
        // h2 0.8° east: ≈ 75.7 km, beyond; h3 at 0,0.
        std::fs::write(
            dir.path().join("houses.geojson"),
            houses(&[(121.1, 31.9), (121.3, 31.9), (122.0, 31.9), (0.0, 0.0)]),
        )
        .expect("write");
        let got = found(dir.path(), false).expect("loads");
        assert_eq!(
            got,
            vec![
                (
                    IssueCode::FarFromData,
                    Some(Position::Feature(2)),
                    Some("h2".into())
                ),
                (
                    IssueCode::NullIsland,
                    Some(Position::Feature(3)),
                    Some("h3".into())
                ),
            ]
        );
        // Strict: the first one is the error.
        let e = found(dir.path(), true).expect_err("strict fails");
        assert!(
            e.to_string().contains("far_from_data") || e.to_string().contains("50 km"),
            "{e}"
        );
    }

    #[test]
    fn without_areas_far_from_the_bulk() {
        let dir = tempfile::tempdir().expect("tempdir");
        // Ten houses within about 1 km of 121.1 E 31.9 N, and one at Beijing (116.4 E
        // 39.9 N, about 1,000 km away). The median point is among the ten; the median
        // distance from it is under 1 km, so the limit is under 50 + 10 × 1 = 60 km.
        let mut pts: Vec<(f64, f64)> = (0..10)
            .map(|i| (121.1 + 0.001 * f64::from(i), 31.9 + 0.0005 * f64::from(i)))
            .collect();
        pts.push((116.4, 39.9));
        std::fs::write(dir.path().join("houses.geojson"), houses(&pts)).expect("write");
        let got = found(dir.path(), false).expect("loads");
        assert_eq!(
            got,
            vec![(
                IssueCode::FarFromData,
                Some(Position::Feature(10)),
                Some("h10".into())
            )]
        );
    }

    #[test]
    fn data_spread_over_a_country_is_not_far() {
        let dir = tempfile::tempdir().expect("tempdir");
        // Fifty houses spread evenly over lon 75–135, lat 18–53: no bulk to stand apart
        // from, so nothing is reported.
        let pts: Vec<(f64, f64)> = (0..50)
            .map(|i| {
                (
                    75.0 + 6.5 * f64::from(i % 10),
                    18.0 + 8.5 * f64::from(i / 10),
                )
            })
            .collect();
        std::fs::write(dir.path().join("houses.geojson"), houses(&pts)).expect("write");
        assert_eq!(found(dir.path(), false).expect("loads"), vec![]);
    }
}
