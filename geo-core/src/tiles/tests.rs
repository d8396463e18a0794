//! Unit tests of the tile pipeline. The strict decoder lives in the tests crate
//! (`tests/tests/tiles_valid.rs` checks our tiles with it); here we test the steps.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::borrow::Cow;
use std::io::Read;

use geo::{Geometry, LineString, MultiPolygon, Point, Polygon, Rect, coord};

use super::clip::Square;
use super::geometry::{Ctx, Kind, Owned as Outcome, Scratch, TileGeom, process_owned as process};
use super::mercator::{TileTransform, lat_of, lon_of, world_x, world_y};
use super::ring::{area2, is_simple, snap};
use super::simplify::{SimplifyScratch, simplify_line, simplify_ring};
use super::*;

/// Lon/lat of tile coordinates `(tx, ty)` of `tile` at extent 4096 (inverse Mercator),
/// so tests can place geometry in tile units.
pub(super) fn lonlat(tile: TileId, tx: f64, ty: f64) -> geo::Coord<f64> {
    let n = f64::from(tile.z).exp2();
    let wx = (f64::from(tile.x) + tx / 4096.0) / n;
    let wy = (f64::from(tile.y) + ty / 4096.0) / n;
    coord! { x: lon_of(wx), y: lat_of(wy) }
}

fn ring_of(tile: TileId, pts: &[(f64, f64)]) -> LineString<f64> {
    let mut c: Vec<_> = pts.iter().map(|&(x, y)| lonlat(tile, x, y)).collect();
    c.push(c[0]);
    LineString::new(c)
}

pub(super) fn poly(tile: TileId, ext: &[(f64, f64)], holes: &[&[(f64, f64)]]) -> Polygon<f64> {
    Polygon::new(
        ring_of(tile, ext),
        holes.iter().map(|h| ring_of(tile, h)).collect(),
    )
}

pub(super) const T: TileId = TileId {
    z: 14,
    x: 13_720,
    y: 6_696,
};

fn ctx(tile: TileId) -> Ctx {
    let o = TileOptions::default();
    Ctx::new(TileTransform::new(tile.z, tile.x, tile.y, o.extent), &o)
}

fn run(g: &Geometry<f64>) -> Outcome {
    process(g, &ctx(T), &mut Scratch::default()).unwrap()
}

fn kept(o: Outcome) -> TileGeom {
    match o {
        Outcome::Kept { geom, .. } => geom,
        other => panic!("expected a kept geometry, got {other:?}"),
    }
}

/// Rings rotated to start at their smallest vertex, for order-free comparison.
fn normalized(g: &TileGeom) -> Vec<Vec<[i32; 2]>> {
    let mut out: Vec<Vec<[i32; 2]>> = g
        .parts()
        .map(|r| {
            let k = (0..r.len()).min_by_key(|&i| r[i]).unwrap();
            r[k..].iter().chain(&r[..k]).copied().collect()
        })
        .collect();
    out.sort();
    out
}

#[test]
fn tile_id_is_checked() {
    assert!(TileId::new(0, 0, 0).is_ok());
    assert!(TileId::new(18, (1 << 18) - 1, 0).is_ok());
    assert!(matches!(
        TileId::new(25, 0, 0),
        Err(TileError::ZoomOutOfRange { z: 25 })
    ));
    assert!(matches!(
        TileId::new(3, 8, 0),
        Err(TileError::TileOutOfRange { .. })
    ));
    let bad = TileId { z: 2, x: 0, y: 4 };
    assert!(TileBuilder::new(bad, &TileOptions::default()).is_err());
    assert_eq!(TileId::new(3, 1, 2).unwrap().to_string(), "3/1/2");
}

#[test]
fn tile_bounds() {
    let b = TileId::new(0, 0, 0).unwrap().bounds_lonlat();
    assert!((b.min().x + 180.0).abs() < 1e-9 && (b.max().x - 180.0).abs() < 1e-9);
    assert!((b.max().y - MAX_LATITUDE).abs() < 1e-9 && (b.min().y + MAX_LATITUDE).abs() < 1e-9);
    let b = TileId::new(1, 1, 0).unwrap().bounds_lonlat();
    assert!(b.min().x.abs() < 1e-9 && b.min().y.abs() < 1e-9);
    let m = TileId::new(0, 0, 0).unwrap().bounds_mercator();
    assert!((m.max().x - 20_037_508.342_789_244).abs() < 1e-6);
    assert!((m.min().y + 20_037_508.342_789_244).abs() < 1e-6);
    // The buffered box holds the tile and is 1 + 2·64/4096 tiles wide.
    let o = TileOptions::default();
    let (b, bb) = (T.bounds_lonlat(), T.buffered_bounds_lonlat(&o));
    assert!(bb.min().x < b.min().x && bb.max().y > b.max().y);
    assert!((bb.width() / b.width() - (1.0 + 128.0 / 4096.0)).abs() < 1e-9);
}

#[test]
fn projection_round_trips_and_matches_hand_values() {
    // Null island is the centre of the z0 tile.
    let p = TileTransform::new(0, 0, 0, 4096).project(0.0, 0.0);
    assert_eq!(p, [2048.0, 2048.0]);
    for (lon, lat) in [(116.3975, 39.9087), (-70.0, -33.4), (179.9, 80.0)] {
        assert!((lon_of(world_x(lon)) - lon).abs() < 1e-9);
        assert!((lat_of(world_y(lat)) - lat).abs() < 1e-9);
    }
    // Latitudes past the Mercator limit clamp to the world's edge.
    assert_eq!(world_y(89.0), world_y(MAX_LATITUDE));
    assert!(world_y(MAX_LATITUDE).abs() < 1e-12);
}

#[test]
fn tiles_covering_boxes() {
    let world = Rect::new(coord! { x: -180.0, y: -85.0 }, coord! { x: 180.0, y: 85.0 });
    let all: Vec<TileId> = tiles_covering(world, 1).unwrap().collect();
    assert_eq!(all.len(), 4);
    assert_eq!(all[0], TileId::new(1, 0, 0).unwrap());
    assert_eq!(all[3], TileId::new(1, 1, 1).unwrap());
    // An edge exactly on the prime meridian does not pull in the eastern tiles.
    let west = Rect::new(coord! { x: -100.0, y: 10.0 }, coord! { x: 0.0, y: 20.0 });
    let t: Vec<TileId> = tiles_covering(west, 1).unwrap().collect();
    assert_eq!(t, vec![TileId::new(1, 0, 0).unwrap()]);
    // A point gets its tile.
    let pt = Rect::new(
        coord! { x: 116.3975, y: 39.9087 },
        coord! { x: 116.3975, y: 39.9087 },
    );
    let t: Vec<TileId> = tiles_covering(pt, 10).unwrap().collect();
    assert_eq!(t, vec![TileId::new(10, 843, 388).unwrap()]);
    // Size is exact.
    let r = tiles_covering(T.bounds_lonlat(), 16).unwrap();
    assert_eq!(r.len(), 16);
    assert_eq!(r.count(), 16);
    assert!(tiles_covering(world, 25).is_err());
    let nan = Rect::new(coord! { x: f64::NAN, y: 0.0 }, coord! { x: 1.0, y: 1.0 });
    assert!(tiles_covering(nan, 3).is_err());
}

#[test]
fn options_are_validated() {
    let ok = TileOptions::default();
    assert_eq!(
        (ok.extent, ok.buffer, ok.simplify_tolerance),
        (4096, 64, 1.0)
    );
    assert!(ok.validate().is_ok());
    for bad in [
        TileOptions {
            extent: 0,
            ..ok.clone()
        },
        TileOptions {
            buffer: 5000,
            ..ok.clone()
        },
        TileOptions {
            simplify_tolerance: -1.0,
            ..ok.clone()
        },
        TileOptions {
            simplify_tolerance: f64::NAN,
            ..ok.clone()
        },
        TileOptions {
            min_polygon_area: -1.0,
            ..ok.clone()
        },
    ] {
        assert!(
            matches!(bad.validate(), Err(TileError::InvalidOptions(_))),
            "{bad:?}"
        );
    }
}

#[test]
fn ring_predicates() {
    let square = [[0, 0], [10, 0], [10, 10], [0, 10]];
    assert!(is_simple(&square));
    assert_eq!(area2(&square), 200);
    let bowtie = [[0, 0], [10, 10], [10, 0], [0, 10]];
    assert!(!is_simple(&bowtie));
    // Touching itself at a vertex.
    let eight = [[0, 0], [5, 5], [10, 0], [10, 10], [5, 5], [0, 10]];
    assert!(!is_simple(&eight));
    // A spike: back along the same line.
    let spike = [[0, 0], [10, 0], [10, 10], [10, 20], [10, 10], [0, 10]];
    assert!(!is_simple(&spike));
    // A vertex on another edge.
    let tangent = [[0, 0], [10, 0], [10, 10], [5, 0], [0, 10]];
    assert!(!is_simple(&tangent));
    let mut out = Vec::new();
    snap(
        &[[0.4, 0.4], [0.6, 0.0], [1.4, 0.2], [5.0, 5.0], [0.2, -0.3]],
        true,
        &mut out,
    );
    assert_eq!(out, vec![[0, 0], [1, 0], [5, 5]]);
}

#[test]
fn line_clipping_splits_parts() {
    let sq = Square { lo: 0.0, hi: 100.0 };
    let mut parts = Vec::new();
    let mut buf = Vec::new();
    // In, out through the top, back in.
    let line = [[10.0, 50.0], [10.0, -50.0], [90.0, -50.0], [90.0, 50.0]];
    sq.clip_line(&line, &mut buf, |p| parts.push(p.to_vec()));
    assert_eq!(
        parts,
        vec![
            vec![[10.0, 50.0], [10.0, 0.0]],
            vec![[90.0, 0.0], [90.0, 50.0]]
        ]
    );
    // Crossing through.
    parts.clear();
    sq.clip_line(&[[-50.0, 50.0], [150.0, 50.0]], &mut buf, |p| {
        parts.push(p.to_vec())
    });
    assert_eq!(parts, vec![vec![[0.0, 50.0], [100.0, 50.0]]]);
    // Fully outside.
    parts.clear();
    sq.clip_line(&[[-50.0, -50.0], [150.0, -50.0]], &mut buf, |p| {
        parts.push(p.to_vec())
    });
    assert!(parts.is_empty());
}

#[test]
fn sutherland_hodgman_pre_clip() {
    let sq = Square { lo: 0.0, hi: 100.0 };
    let (mut out, mut tmp) = (Vec::new(), Vec::new());
    sq.clip_ring(
        &[
            [-50.0, -50.0],
            [150.0, -50.0],
            [150.0, 150.0],
            [-50.0, 150.0],
        ],
        &mut out,
        &mut tmp,
    );
    assert_eq!(out.len(), 4);
    assert!(out.iter().all(|p| sq.contains(*p)));
    sq.clip_ring(
        &[[200.0, 200.0], [300.0, 200.0], [300.0, 300.0]],
        &mut out,
        &mut tmp,
    );
    assert!(out.is_empty());
}

#[test]
fn douglas_peucker() {
    let mut s = SimplifyScratch::default();
    let mut out = Vec::new();
    let line = [
        [0.0, 0.0],
        [10.0, 0.3],
        [20.0, -0.2],
        [30.0, 0.0],
        [30.0, 30.0],
    ];
    simplify_line(&line, 1.0, &mut s, &mut out);
    assert_eq!(out, vec![[0.0, 0.0], [30.0, 0.0], [30.0, 30.0]]);
    simplify_line(&line, 0.0, &mut s, &mut out);
    assert_eq!(out.len(), 5);
    // A ring with near-collinear noise keeps its corners; a sliver collapses.
    let ring = [
        [0.0, 0.0],
        [50.0, 0.4],
        [100.0, 0.0],
        [100.0, 100.0],
        [0.0, 100.0],
    ];
    simplify_ring(&ring, 1.0, &mut s, &mut out);
    assert_eq!(out.len(), 4);
    let sliver = [[0.0, 0.0], [50.0, 0.3], [100.0, 0.0], [50.0, -0.3]];
    simplify_ring(&sliver, 1.0, &mut s, &mut out);
    assert!(out.len() < 3);
}

#[test]
fn concave_polygon_cut_by_the_clip_box_becomes_separate_polygons() {
    // An upside-down U whose bar lies above the clip box (y < -64): two legs remain.
    let u = poly(
        T,
        &[
            (1000.0, 2000.0),
            (1000.0, -500.0),
            (3000.0, -500.0),
            (3000.0, 2000.0),
            (2500.0, 2000.0),
            (2500.0, -300.0),
            (1500.0, -300.0),
            (1500.0, 2000.0),
        ],
        &[],
    );
    let g = kept(run(&Geometry::Polygon(u)));
    assert_eq!(g.kind, Kind::Polygons);
    assert_eq!(
        normalized(&g),
        vec![
            vec![[1000, -64], [1500, -64], [1500, 2000], [1000, 2000]],
            vec![[2500, -64], [3000, -64], [3000, 2000], [2500, 2000]],
        ]
    );
    for r in g.parts() {
        assert!(
            area2(r) > 0,
            "exterior rings must have positive area: {r:?}"
        );
    }
}

#[test]
fn overlapping_multipolygon_parts_merge() {
    let a = poly(
        T,
        &[
            (100.0, 100.0),
            (300.0, 100.0),
            (300.0, 300.0),
            (100.0, 300.0),
        ],
        &[],
    );
    let b = poly(
        T,
        &[
            (200.0, 200.0),
            (400.0, 200.0),
            (400.0, 400.0),
            (200.0, 400.0),
        ],
        &[],
    );
    let g = kept(run(&Geometry::MultiPolygon(MultiPolygon::new(vec![a, b]))));
    assert_eq!(g.parts.len(), 1);
    assert_eq!(g.parts[0], 8);
}

#[test]
fn small_house_takes_the_fast_path_and_collapses_when_zoomed_out() {
    // ~10 m building near the Tiananmen.
    let c = coord! { x: 116.3975, y: 39.9087 };
    let d = 0.00006;
    let house = Geometry::Polygon(Polygon::new(
        LineString::new(vec![
            c,
            coord! { x: c.x + d, y: c.y },
            coord! { x: c.x + d, y: c.y + d },
            coord! { x: c.x, y: c.y + d },
            c,
        ]),
        vec![],
    ));
    let z16 = TileId::new(16, 53_957, 24_832).unwrap();
    match process(&house, &ctx(z16), &mut Scratch::default()).unwrap() {
        Outcome::Kept {
            geom,
            clipped,
            repaired,
        } => {
            assert!(!clipped && !repaired);
            assert_eq!(geom.parts, vec![4]);
            assert!(area2(&geom.coords) > 0);
        }
        o => panic!("{o:?}"),
    }
    let z10 = TileId::new(10, 843, 388).unwrap();
    assert!(matches!(
        process(&house, &ctx(z10), &mut Scratch::default()).unwrap(),
        Outcome::Collapsed
    ));
    let far = TileId::new(10, 100, 100).unwrap();
    assert!(matches!(
        process(&house, &ctx(far), &mut Scratch::default()).unwrap(),
        Outcome::Outside
    ));
}

#[test]
fn polygons_below_the_minimum_area_are_dropped() {
    // 2 × 2 units: kept by default (area 4 ≥ 1), dropped with a minimum of 5.
    let sq = Geometry::Polygon(poly(
        T,
        &[(10.0, 10.0), (12.0, 10.0), (12.0, 12.0), (10.0, 12.0)],
        &[],
    ));
    assert!(matches!(run(&sq), Outcome::Kept { .. }));
    let o = TileOptions {
        min_polygon_area: 5.0,
        ..TileOptions::default()
    };
    let c = Ctx::new(TileTransform::new(T.z, T.x, T.y, 4096), &o);
    assert!(matches!(
        process(&sq, &c, &mut Scratch::default()).unwrap(),
        Outcome::Collapsed
    ));
    // A small hole is filled, the exterior kept.
    let holed = Geometry::Polygon(poly(
        T,
        &[(0.0, 0.0), (100.0, 0.0), (100.0, 100.0), (0.0, 100.0)],
        &[&[(50.0, 50.0), (52.0, 50.0), (52.0, 52.0), (50.0, 52.0)]],
    ));
    let g = kept(process(&holed, &c, &mut Scratch::default()).unwrap());
    assert_eq!(g.parts, vec![4]);
}

#[test]
fn self_intersections_are_repaired() {
    // A bow-tie: the overlay splits it into two triangles meeting at a point.
    let bowtie = poly(
        T,
        &[
            (100.0, 100.0),
            (200.0, 200.0),
            (200.0, 100.0),
            (100.0, 200.0),
        ],
        &[],
    );
    match run(&Geometry::Polygon(bowtie)) {
        Outcome::Kept { geom, repaired, .. } => {
            assert!(repaired);
            assert_eq!(geom.parts.len(), 2);
            for r in geom.parts() {
                assert!(area2(r) > 0 && is_simple(r));
            }
        }
        o => panic!("{o:?}"),
    }
}

#[test]
fn lines_touching_end_to_start_are_joined() {
    let a = LineString::new(vec![lonlat(T, 100.0, 100.0), lonlat(T, 200.0, 100.0)]);
    let b = LineString::new(vec![lonlat(T, 200.0, 100.0), lonlat(T, 200.0, 300.0)]);
    let g = kept(run(&Geometry::MultiLineString(geo::MultiLineString::new(
        vec![a, b],
    ))));
    assert_eq!(g.parts, vec![3]);
    assert_eq!(g.coords, vec![[100, 100], [200, 100], [200, 300]]);
}

#[test]
fn bad_input_is_an_error() {
    let o = TileOptions::default();
    let mut b = TileBuilder::new(T, &o).unwrap();
    let nan = Geometry::Point(Point::new(f64::NAN, 1.0));
    assert!(matches!(
        b.add_layer("a", [TileFeature::borrowed(7, &nan)]),
        Err(TileError::NonFiniteCoordinate { id: 7 })
    ));
    let gc = Geometry::GeometryCollection(geo::GeometryCollection::new_from(vec![]));
    assert!(matches!(
        b.add_layer("a", [TileFeature::borrowed(8, &gc)]),
        Err(TileError::UnsupportedGeometry { id: 8, .. })
    ));
    let p = Geometry::Point(Point(lonlat(T, 10.0, 10.0)));
    assert!(matches!(
        b.add_layer(
            "a",
            [TileFeature::borrowed(1, &p), TileFeature::borrowed(1, &p)]
        ),
        Err(TileError::DuplicateFeatureId { id: 1, .. })
    ));
    assert!(matches!(
        b.add_layer(
            "a",
            [TileFeature::borrowed(1, &p)
                .with("k", 1_i64)
                .with("k", 2_i64)]
        ),
        Err(TileError::DuplicatePropertyKey { id: 1, .. })
    ));
    assert!(matches!(
        b.add_layer("", [TileFeature::borrowed(1, &p)]),
        Err(TileError::EmptyLayerName)
    ));
    // Nothing above was added.
    assert!(b.is_empty());
    b.add_layer("a", [TileFeature::borrowed(1, &p)]).unwrap();
    assert!(matches!(
        b.add_layer("a", [TileFeature::borrowed(1, &p)]),
        Err(TileError::DuplicateLayer { .. })
    ));
}

#[test]
fn empty_layers_are_left_out_but_names_stay_used() {
    let mut b = TileBuilder::new(T, &TileOptions::default()).unwrap();
    let far = Geometry::Point(Point::new(0.0, 0.0));
    let s = b
        .add_layer("empty", [TileFeature::borrowed(1, &far)])
        .unwrap();
    assert_eq!((s.input, s.encoded, s.outside, s.bytes), (1, 0, 1, 0));
    assert!(b.is_empty());
    assert_eq!(b.layer_count(), 0);
    assert!(b.add_layer("empty", std::iter::empty()).is_err());
    assert!(b.into_bytes().unwrap().is_empty());
}

#[test]
fn gzip_round_trips() {
    let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
    let z = gzip(&data).unwrap();
    assert!(z.len() < data.len() / 4);
    let mut back = Vec::new();
    flate2::read::GzDecoder::new(&z[..])
        .read_to_end(&mut back)
        .unwrap();
    assert_eq!(back, data);
    let best = gzip_with_level(&data, 9).unwrap();
    assert!(best.len() <= z.len());
    back.clear();
    flate2::read::GzDecoder::new(&best[..])
        .read_to_end(&mut back)
        .unwrap();
    assert_eq!(back, data);
}

/// A layer of N small buildings at z16: features, bytes and bytes per feature, and the
/// budget refusing the layer once the tile would pass it.
#[test]
fn layer_size_grows_linearly_with_features_and_the_budget_holds() {
    let tile = TileId::new(16, 53_957, 24_832).unwrap();
    let houses = |n: usize| -> Vec<Geometry<f64>> {
        let side = (n as f64).sqrt().ceil() as usize;
        let step = 4096.0 / side as f64;
        (0..n)
            .map(|i| {
                let (x, y) = (
                    (i % side) as f64 * step + 2.0,
                    (i / side) as f64 * step + 2.0,
                );
                let s = (step * 0.6).min(60.0);
                Geometry::Polygon(poly(
                    tile,
                    &[(x, y), (x + s, y), (x + s, y + s), (x, y + s)],
                    &[],
                ))
            })
            .collect()
    };
    let opts = TileOptions::default();
    let mut rows = Vec::new();
    for n in [10_usize, 100, 1_000, 10_000] {
        let geoms = houses(n);
        let mut b = TileBuilder::new(tile, &opts).unwrap();
        let stats = b
            .add_layer(
                "houses",
                geoms.iter().enumerate().map(|(i, g)| {
                    TileFeature::borrowed(i as u64, g)
                        .with("level", (i % 4) as u64)
                        .with("kind", "house")
                }),
            )
            .unwrap();
        assert_eq!(stats.encoded, n);
        assert_eq!(stats.bytes, b.size());
        rows.push((n, stats.bytes, stats.bytes as f64 / n as f64));
    }
    println!("features  bytes  bytes/feature");
    for (n, bytes, per) in &rows {
        println!("{n:>8} {bytes:>7} {per:>8.1}");
    }
    // Linear: per-feature size settles (ids grow by a byte at 128 and 16384).
    let per_1k = rows[2].2;
    let per_10k = rows[3].2;
    assert!((per_10k / per_1k - 1.0).abs() < 0.25, "{rows:?}");

    // Budget: 100 kB fits ~5,000 of these; 10,000 are refused and the builder is unchanged.
    let budget = TileOptions {
        max_tile_bytes: Some(100_000),
        ..opts.clone()
    };
    let mut b = TileBuilder::new(tile, &budget).unwrap();
    let geoms = houses(10_000);
    let err = b
        .add_layer(
            "houses",
            geoms
                .iter()
                .enumerate()
                .map(|(i, g)| TileFeature::borrowed(i as u64, g)),
        )
        .unwrap_err();
    assert!(
        matches!(err, TileError::BudgetExceeded { limit: 100_000, .. }),
        "{err}"
    );
    assert!(b.is_empty() && b.size() == 0);
    // The caller can then add a thinner layer under the same name.
    let stats = b
        .add_layer(
            "houses",
            geoms
                .iter()
                .take(1_000)
                .enumerate()
                .map(|(i, g)| TileFeature::borrowed(i as u64, g)),
        )
        .unwrap();
    assert_eq!(stats.encoded, 1_000);
}

#[test]
fn clusters_are_deterministic_and_carry_their_totals() {
    let z = 5;
    let opts = ClusterOptions::default();
    let pts: Vec<ClusterPoint> = vec![
        // Three sites within a few km: one cluster at z5.
        ClusterPoint {
            id: 1,
            position: Point::new(116.40, 39.90),
            level: 1,
            weight: 10.0,
        },
        ClusterPoint {
            id: 2,
            position: Point::new(116.41, 39.91),
            level: 3,
            weight: 1.0,
        },
        ClusterPoint {
            id: 3,
            position: Point::new(116.42, 39.90),
            level: 0,
            weight: 5.0,
        },
        // Shanghai, far away: alone.
        ClusterPoint {
            id: 4,
            position: Point::new(121.47, 31.23),
            level: 2,
            weight: 2.0,
        },
    ];
    let c = cluster_points(&pts, z, &opts).unwrap();
    assert_eq!(c.len(), 2);
    let big = &c[0];
    assert_eq!((big.count, big.max_level, big.seed), (3, 3, 2));
    assert!((big.weight - 16.0).abs() < 1e-12);
    assert_eq!(big.id, CLUSTER_ID_FLAG | (5 << 56) | 2);
    assert!(big.is_cluster());
    // Weighted centroid: pulled towards the heavy site 1.
    assert!((big.position.x() - 116.40).abs() < (big.position.x() - 116.42).abs());
    let single = &c[1];
    assert_eq!(
        (single.id, single.count, single.position),
        (4, 1, pts[3].position)
    );

    // Any input order gives exactly the same result.
    let mut rev = pts.clone();
    rev.reverse();
    assert_eq!(cluster_points(&rev, z, &opts).unwrap(), c);
    // Seed placement puts the cluster on the worst site.
    let seeded = ClusterOptions {
        position: ClusterPosition::Seed,
        ..opts.clone()
    };
    assert_eq!(
        cluster_points(&pts, z, &seeded).unwrap()[0].position,
        pts[1].position
    );
    // At z16 they are far apart in pixels: no clustering.
    assert_eq!(cluster_points(&pts, 16, &opts).unwrap().len(), 4);
    // The feature carries the totals.
    let f = big.to_feature();
    assert_eq!(f.id, big.id);
    assert!(
        f.properties
            .contains(&(Cow::Borrowed("count"), PropValue::UInt(3)))
    );
    assert!(
        f.properties
            .contains(&(Cow::Borrowed("level"), PropValue::UInt(3)))
    );
}

#[test]
fn cluster_input_is_checked() {
    let o = ClusterOptions::default();
    let p = |id, w| ClusterPoint {
        id,
        position: Point::new(1.0, 1.0),
        level: 0,
        weight: w,
    };
    assert!(cluster_points(&[p(1 << 56, 1.0)], 3, &o).is_err());
    assert!(cluster_points(&[p(1, f64::NAN)], 3, &o).is_err());
    assert!(cluster_points(&[p(1, -1.0)], 3, &o).is_err());
    assert!(cluster_points(&[p(1, 1.0), p(1, 2.0)], 3, &o).is_err());
    assert!(cluster_points(&[p(1, 1.0)], 30, &o).is_err());
    let bad = ClusterOptions { radius: 0.0, ..o };
    assert!(cluster_points(&[p(1, 1.0)], 3, &bad).is_err());
    assert!(
        cluster_points(&[], 3, &ClusterOptions::default())
            .unwrap()
            .is_empty()
    );
}
