//! Tests of the ways into the builder that must not change a tile's bytes: one thread or
//! two, lon/lat or world units, borrowed or owned features, ids in order or not.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use geo::{Geometry, LineString, Point};

use super::tests::{T, lonlat, poly};
use super::*;

/// `n` small houses of 4–6 vertices over the tile and across its edges (some are cut),
/// a road and a point, with ids 0.. in order and a level property.
fn houses(n: usize) -> Vec<Geometry<f64>> {
    let mut out = Vec::with_capacity(n + 2);
    for i in 0..n {
        let (x, y) = (
            (i * 37 % 4300) as f64 - 100.0,
            (i * 53 % 4300) as f64 - 100.0,
        );
        let w = 6.0 + (i % 5) as f64 * 3.3;
        let g = match i % 3 {
            0 => poly(T, &[(x, y), (x + w, y), (x + w, y + w), (x, y + w)], &[]),
            1 => poly(
                T,
                &[
                    (x, y),
                    (x + w, y + 1.5),
                    (x + w, y + w),
                    (x + 2.0, y + w + 2.5),
                    (x - 1.0, y + 3.0),
                ],
                &[],
            ),
            _ => poly(
                T,
                &[
                    (x, y),
                    (x + w, y),
                    (x + w, y + w),
                    (x + w / 2.0, y + w / 2.0),
                    (x + 0.5, y + w),
                    (x - 0.5, y + w / 2.0),
                ],
                &[],
            ),
        };
        out.push(Geometry::Polygon(g));
    }
    out.push(Geometry::LineString(LineString::new(vec![
        lonlat(T, -300.0, 10.0),
        lonlat(T, 2000.0, 2100.5),
        lonlat(T, 4400.0, 3900.0),
    ])));
    out.push(Geometry::Point(Point(lonlat(T, 100.25, 3000.75))));
    out
}

fn features(geoms: &[Geometry<f64>]) -> Vec<TileFeature<'_>> {
    geoms
        .iter()
        .enumerate()
        .map(|(i, g)| {
            TileFeature::borrowed(i as u64, g).with("level", ["低", "一般", "较大"][i % 3])
        })
        .collect()
}

fn tile_of(feats: &[TileFeature<'_>], parallel: bool, world: bool) -> (Vec<u8>, LayerStats) {
    let mut b = TileBuilder::new(T, &TileOptions::default()).unwrap();
    b.set_parallel(parallel);
    let stats = if world {
        b.add_world_layer_from("houses", feats).unwrap()
    } else {
        b.add_layer_from("houses", feats).unwrap()
    };
    (b.into_bytes().unwrap(), stats)
}

#[test]
fn one_thread_or_two_and_lonlat_or_world_give_the_same_bytes() {
    let geoms = houses(3000);
    let feats = features(&geoms);
    let (lonlat_two, stats) = tile_of(&feats, true, false);
    // The layer is large enough to be split, and every path of the pipeline ran.
    assert!(stats.input >= 1024);
    assert!(stats.encoded > 2000 && stats.outside > 0 && stats.clipped > 0);
    let (lonlat_one, _) = tile_of(&feats, false, false);
    assert_eq!(lonlat_one, lonlat_two);

    let world: Vec<Geometry<f64>> = geoms.iter().map(to_world).collect();
    let wfeats = features(&world);
    let (world_one, wstats) = tile_of(&wfeats, false, true);
    let (world_two, _) = tile_of(&wfeats, true, true);
    assert_eq!(world_one, lonlat_one);
    assert_eq!(world_two, lonlat_one);
    assert_eq!(wstats, stats);

    // Owned features through `add_layer` too.
    let mut b = TileBuilder::new(T, &TileOptions::default()).unwrap();
    b.add_layer("houses", feats.iter().cloned()).unwrap();
    assert_eq!(b.into_bytes().unwrap(), lonlat_one);
}

/// Conflict lines are held as `Line`s (two points in the geometry itself, see
/// `tileset/drawn.rs`): each must be drawn as the line string of its two points, inside
/// the tile, across its edge and outside it, in lon/lat and in world units.
#[test]
fn a_line_is_drawn_as_the_line_string_of_its_ends() {
    let ends = [
        ((100.0, 200.0), (900.5, 1300.25)),
        ((-300.0, 2000.0), (2000.0, 2100.5)),
        ((4000.0, 4000.0), (4500.0, 4400.0)),
        ((-900.0, -900.0), (-500.0, -700.0)),
        ((1000.0, 1000.0), (1000.0, 1000.0)),
    ];
    let strings: Vec<Geometry<f64>> = ends
        .iter()
        .map(|&((ax, ay), (bx, by))| {
            Geometry::LineString(LineString::new(vec![lonlat(T, ax, ay), lonlat(T, bx, by)]))
        })
        .collect();
    let lines: Vec<Geometry<f64>> = ends
        .iter()
        .map(|&((ax, ay), (bx, by))| {
            Geometry::Line(geo::Line::new(lonlat(T, ax, ay), lonlat(T, bx, by)))
        })
        .collect();
    let (from_strings, stats) = tile_of(&features(&strings), false, false);
    // One inside, two across the tile's edge (clipped), one outside and one of no
    // length (left out): three drawn.
    assert_eq!((stats.input, stats.encoded), (5, 3));
    let (from_lines, line_stats) = tile_of(&features(&lines), false, false);
    assert_eq!(from_lines, from_strings);
    assert_eq!(line_stats, stats);
    let world: Vec<Geometry<f64>> = lines.iter().map(to_world).collect();
    assert!(matches!(world[0], Geometry::Line(_)));
    let (from_world_lines, _) = tile_of(&features(&world), false, true);
    assert_eq!(from_world_lines, from_strings);
}

#[test]
fn world_units_are_mercator_of_the_degrees() {
    // Null Island is the world's centre; 180° E its right edge; the Mercator limit its top.
    let g = to_world(&Geometry::Point(Point::new(0.0, 0.0)));
    assert_eq!(g, Geometry::Point(Point::new(0.5, 0.5)));
    let g = to_world(&Geometry::Point(Point::new(180.0, MAX_LATITUDE)));
    let Geometry::Point(p) = g else { panic!() };
    assert_eq!(p.x(), 1.0);
    assert!(p.y().abs() < 1e-12);
    // A non-finite coordinate stays non-finite and is refused by the builder.
    let bad = to_world(&Geometry::Point(Point::new(f64::NAN, 10.0)));
    let mut b = TileBuilder::new(T, &TileOptions::default()).unwrap();
    assert!(matches!(
        b.add_world_layer_from("p", &[TileFeature::borrowed(7, &bad)]),
        Err(TileError::NonFiniteCoordinate { id: 7 })
    ));
}

#[test]
fn duplicate_ids_are_found_in_order_or_not() {
    let geoms = houses(5);
    let mut feats = features(&geoms);
    let mut b = TileBuilder::new(T, &TileOptions::default()).unwrap();
    // In increasing order: no duplicate.
    assert!(b.add_layer_from("a", &feats).is_ok());
    // Out of order, no duplicate.
    feats.swap(0, 3);
    assert!(b.add_layer_from("b", &feats).is_ok());
    // Out of order with a duplicate, and in order with one (equal neighbours).
    feats[1].id = 3;
    assert!(matches!(
        b.add_layer_from("c", &feats),
        Err(TileError::DuplicateFeatureId { id: 3, .. })
    ));
    let mut sorted = features(&geoms);
    sorted[2].id = 1;
    assert!(matches!(
        b.add_layer_from("d", &sorted),
        Err(TileError::DuplicateFeatureId { id: 1, .. })
    ));
}

/// A layer the budget refuses between two others leaves no byte behind: the tile is that
/// of the other two alone, and its size is its length.
#[test]
fn a_refused_layer_leaves_the_tile_as_it_was() {
    let geoms = houses(400);
    let feats = features(&geoms);
    let (a, rest) = feats.split_at(40);
    let (big, c) = rest.split_at(320);
    let mut alone = TileBuilder::new(T, &TileOptions::default()).unwrap();
    alone.add_layer_from("a", a).unwrap();
    let a_size = alone.size();
    alone.add_layer_from("c", c).unwrap();
    let want_size = alone.size();
    let want = alone.into_bytes().unwrap();

    // Room for "a" and "c", not for the big layer.
    let opts = TileOptions {
        max_tile_bytes: Some(want_size + 100),
        ..TileOptions::default()
    };
    let mut b = TileBuilder::new(T, &opts).unwrap();
    b.add_layer_from("a", a).unwrap();
    assert!(matches!(
        b.add_layer_from("big", big),
        Err(TileError::BudgetExceeded { .. })
    ));
    assert_eq!(b.size(), a_size);
    b.add_layer_from("c", c).unwrap();
    assert_eq!(b.size(), want_size);
    let got = b.into_bytes().unwrap();
    assert_eq!(got.len(), want_size);
    assert_eq!(got, want);
}
