//! Tiles made by `riskmap_core::tiles`, decoded and checked by the independent strict
//! decoder `riskmap_tests::mvt_check`: every MVT 2.1 rule plus RiskMap's own, on
//! hand-made geometry with hand-computed expected coordinates, and on random geometry.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::f64::consts::PI;

use geo::{Geometry, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon, coord};
use riskmap_core::tiles::{
    ClusterOptions, ClusterPoint, LayerStats, PropValue, TileBuilder, TileFeature, TileId,
    TileOptions, cluster_points,
};
use riskmap_tests::mvt_check::{
    self, Coord, GeomType, Geometry as Decoded, Layer, RiskmapRules, Tile, Value,
};

// ---------------------------------------------------------------------------------------
// Helpers (independent of the library: the Web Mercator inverse written out again)
// ---------------------------------------------------------------------------------------

/// Lon/lat of the point at tile coordinates `(tx, ty)` (extent 4096) of `tile`.
fn lonlat(tile: TileId, tx: f64, ty: f64) -> geo::Coord<f64> {
    let n = 2f64.powi(i32::from(tile.z));
    let wx = (f64::from(tile.x) + tx / 4096.0) / n;
    let wy = (f64::from(tile.y) + ty / 4096.0) / n;
    coord! {
        x: wx * 360.0 - 180.0,
        y: (PI * (1.0 - 2.0 * wy)).sinh().atan().to_degrees(),
    }
}

fn ring(tile: TileId, pts: &[(f64, f64)]) -> LineString<f64> {
    let mut c: Vec<_> = pts.iter().map(|&(x, y)| lonlat(tile, x, y)).collect();
    c.push(c[0]);
    LineString::new(c)
}

fn polygon(tile: TileId, ext: &[(f64, f64)], holes: &[&[(f64, f64)]]) -> Geometry<f64> {
    Geometry::Polygon(Polygon::new(
        ring(tile, ext),
        holes.iter().map(|h| ring(tile, h)).collect(),
    ))
}

fn line(tile: TileId, pts: &[(f64, f64)]) -> LineString<f64> {
    LineString::new(pts.iter().map(|&(x, y)| lonlat(tile, x, y)).collect())
}

/// Builds a one-layer tile, decodes it with every check on, and returns it.
fn build(tile: TileId, features: Vec<TileFeature<'_>>) -> (Tile, LayerStats) {
    build_with(tile, &TileOptions::default(), features)
}

fn build_with(
    tile: TileId,
    opts: &TileOptions,
    features: Vec<TileFeature<'_>>,
) -> (Tile, LayerStats) {
    let mut b = TileBuilder::new(tile, opts).unwrap();
    let stats = b.add_layer("test", features).unwrap();
    let bytes = b.into_bytes().unwrap();
    let rules = RiskmapRules {
        extent: opts.extent,
        buffer: opts.buffer,
    };
    let decoded = mvt_check::decode_riskmap(&bytes, &rules)
        .unwrap_or_else(|e| panic!("tile {tile} is not valid: {e}"));
    (decoded, stats)
}

fn only_layer(t: &Tile) -> &Layer {
    assert_eq!(t.layers.len(), 1, "expected one layer");
    &t.layers[0]
}

/// Rings rotated to start at their smallest vertex, so comparisons do not depend on
/// where the encoder started a ring.
fn norm(r: &[Coord]) -> Vec<Coord> {
    let k = (0..r.len()).min_by_key(|&i| r[i]).unwrap();
    r[k..].iter().chain(&r[..k]).copied().collect()
}

/// Polygons as normalized `(exterior, holes)`, sorted.
fn polygons(g: &Decoded) -> Vec<(Vec<Coord>, Vec<Vec<Coord>>)> {
    let Decoded::Polygons(ps) = g else {
        panic!("not polygons: {g:?}")
    };
    let mut out: Vec<_> = ps
        .iter()
        .map(|p| {
            (
                norm(&p.exterior),
                p.interiors.iter().map(|h| norm(h)).collect(),
            )
        })
        .collect();
    out.sort();
    out
}

const TILE: TileId = TileId {
    z: 14,
    x: 13_720,
    y: 6_696,
};

// ---------------------------------------------------------------------------------------
// Hand-computed cases
// ---------------------------------------------------------------------------------------

/// The Tiananmen (116.3975° E, 39.9087° N), computed by hand:
/// x = (lon + 180) / 360 = 0.823326389; y = (1 − ln(tan φ + sec φ) / π) / 2 = 0.378910003.
/// At z10: x·2^10 = 843.08622, y·2^10 = 388.00384 → tile 843/388, tile coordinates
/// 0.08622·4096 = 353.17 → 353 and 0.00384·4096 = 15.74 → 16.
/// At z16: 53957.51822, 24832.24593 → tile 53957/24832, (2122.64, 1007.31) → (2123, 1007).
#[test]
fn point_lands_on_hand_computed_coordinates() {
    let p = Geometry::Point(Point::new(116.3975, 39.9087));
    for (tile, want) in [
        (TileId::new(10, 843, 388).unwrap(), [353, 16]),
        (TileId::new(16, 53_957, 24_832).unwrap(), [2123, 1007]),
    ] {
        let (t, _) = build(tile, vec![TileFeature::borrowed(42, &p)]);
        let f = &only_layer(&t).features[0];
        assert_eq!(f.id, Some(42));
        assert_eq!(f.geom_type, GeomType::Point);
        assert_eq!(f.geometry, Decoded::Points(vec![want]), "tile {tile}");
    }
    // Null island is the middle of the world tile.
    let (t, _) = build(
        TileId::new(0, 0, 0).unwrap(),
        vec![TileFeature::owned(1, Point::new(0.0, 0.0))],
    );
    assert_eq!(
        only_layer(&t).features[0].geometry,
        Decoded::Points(vec![[2048, 2048]])
    );
}

#[test]
fn points_inside_and_outside_the_buffer() {
    let mp = Geometry::MultiPoint(MultiPoint::new(
        [
            (-30.0, 100.0),
            (-100.0, 100.0),
            (-64.0, 2000.0),
            (4200.0, 10.0),
            (4160.0, 4160.0),
            (10.0, 4161.0),
        ]
        .iter()
        .map(|&(x, y)| Point(lonlat(TILE, x, y)))
        .collect(),
    ));
    let outside = Geometry::Point(Point(lonlat(TILE, 5000.0, 5000.0)));
    let (t, stats) = build(
        TILE,
        vec![
            TileFeature::borrowed(1, &mp),
            TileFeature::borrowed(2, &outside),
        ],
    );
    let l = only_layer(&t);
    assert_eq!(l.features.len(), 1);
    assert_eq!(
        l.features[0].geometry,
        Decoded::Points(vec![[-30, 100], [-64, 2000], [4160, 4160]])
    );
    assert_eq!((stats.encoded, stats.outside, stats.clipped), (1, 1, 1));
}

#[test]
fn concave_u_polygon_crossing_the_edge_becomes_two_polygons() {
    // An upside-down U: its bar is above the clip box (y < -64), its legs reach down into
    // the tile. Real clipping leaves two rectangles, no sliver along y = -64.
    let u = polygon(
        TILE,
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
    let (t, stats) = build(TILE, vec![TileFeature::borrowed(7, &u)]);
    assert_eq!(stats.clipped, 1);
    let f = &only_layer(&t).features[0];
    assert_eq!(
        polygons(&f.geometry),
        vec![
            (
                vec![[1000, -64], [1500, -64], [1500, 2000], [1000, 2000]],
                vec![]
            ),
            (
                vec![[2500, -64], [3000, -64], [3000, 2000], [2500, 2000]],
                vec![]
            ),
        ]
    );
    // The same U entirely inside a tile stays one polygon of 8 vertices.
    let inside = polygon(
        TILE,
        &[
            (1000.0, 2000.0),
            (1000.0, 500.0),
            (3000.0, 500.0),
            (3000.0, 2000.0),
            (2500.0, 2000.0),
            (2500.0, 700.0),
            (1500.0, 700.0),
            (1500.0, 2000.0),
        ],
        &[],
    );
    let (t, _) = build(TILE, vec![TileFeature::borrowed(8, &inside)]);
    let p = polygons(&only_layer(&t).features[0].geometry);
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].0.len(), 8);
}

#[test]
fn polygon_with_hole_inside_and_across_the_edge() {
    let square = [
        (500.0, 500.0),
        (3500.0, 500.0),
        (3500.0, 3500.0),
        (500.0, 3500.0),
    ];
    let hole = [
        (1500.0, 1500.0),
        (2500.0, 1500.0),
        (2500.0, 2500.0),
        (1500.0, 2500.0),
    ];
    let g = polygon(TILE, &square, &[&hole]);
    let (t, _) = build(TILE, vec![TileFeature::borrowed(1, &g)]);
    let p = polygons(&only_layer(&t).features[0].geometry);
    assert_eq!(
        p,
        vec![(
            vec![[500, 500], [3500, 500], [3500, 3500], [500, 3500]],
            vec![vec![[1500, 1500], [1500, 2500], [2500, 2500], [2500, 1500]]],
        )]
    );

    // Exterior and hole both cut by the left edge of the clip box (x = -64): the hole
    // opens into a notch and the polygon has no hole left.
    let ext = [
        (-1000.0, 500.0),
        (2000.0, 500.0),
        (2000.0, 3500.0),
        (-1000.0, 3500.0),
    ];
    let hole = [
        (-500.0, 1000.0),
        (1000.0, 1000.0),
        (1000.0, 3000.0),
        (-500.0, 3000.0),
    ];
    let g = polygon(TILE, &ext, &[&hole]);
    let (t, _) = build(TILE, vec![TileFeature::borrowed(1, &g)]);
    let p = polygons(&only_layer(&t).features[0].geometry);
    assert_eq!(
        p,
        vec![(
            vec![
                [-64, 500],
                [2000, 500],
                [2000, 3500],
                [-64, 3500],
                [-64, 3000],
                [1000, 3000],
                [1000, 1000],
                [-64, 1000],
            ],
            vec![],
        )]
    );
}

#[test]
fn lines_are_clipped_at_the_buffer_not_clamped() {
    // Enters through the left side, turns, leaves through the bottom.
    let a = line(
        TILE,
        &[(-1000.0, 1000.0), (2000.0, 1000.0), (2000.0, 5000.0)],
    );
    // Inside, out through the top, back in: two lines.
    let b = line(
        TILE,
        &[
            (500.0, 1000.0),
            (500.0, -1000.0),
            (1500.0, -1000.0),
            (1500.0, 1000.0),
        ],
    );
    // Runs outside along the tile: nothing.
    let c = line(TILE, &[(-1000.0, -1000.0), (5000.0, -1000.0)]);
    let ga = Geometry::LineString(a);
    let gb = Geometry::LineString(b);
    let gc = Geometry::LineString(c);
    let (t, stats) = build(
        TILE,
        vec![
            TileFeature::borrowed(1, &ga),
            TileFeature::borrowed(2, &gb),
            TileFeature::borrowed(3, &gc),
        ],
    );
    let l = only_layer(&t);
    assert_eq!((stats.encoded, stats.outside), (2, 1));
    assert_eq!(
        l.features[0].geometry,
        Decoded::LineStrings(vec![vec![[-64, 1000], [2000, 1000], [2000, 4160]]])
    );
    assert_eq!(
        l.features[1].geometry,
        Decoded::LineStrings(vec![
            vec![[500, 1000], [500, -64]],
            vec![[1500, -64], [1500, 1000]]
        ])
    );
}

#[test]
fn small_polygon_collapses_at_low_zoom_and_survives_at_high_zoom() {
    // A 10 m × 10 m building: ~0.3 tile units at z10, ~17 at z16.
    let c = coord! { x: 116.3975, y: 39.9087 };
    let d = 0.00009;
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
    let z10 = TileId::new(10, 843, 388).unwrap();
    let mut b = TileBuilder::new(z10, &TileOptions::default()).unwrap();
    let stats = b
        .add_layer("houses", [TileFeature::borrowed(1, &house)])
        .unwrap();
    assert_eq!((stats.collapsed, stats.encoded), (1, 0));
    assert!(b.is_empty());
    assert!(b.into_bytes().unwrap().is_empty());

    let z16 = TileId::new(16, 53_957, 24_832).unwrap();
    let (t, _) = build(z16, vec![TileFeature::borrowed(1, &house)]);
    let p = polygons(&only_layer(&t).features[0].geometry);
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].0.len(), 4);
}

#[test]
fn typed_properties_and_ids_round_trip() {
    let p = Geometry::Point(Point(lonlat(TILE, 100.0, 100.0)));
    let q = Geometry::Point(Point(lonlat(TILE, 200.0, 100.0)));
    let f1 = TileFeature::borrowed(u64::MAX - 1, &p)
        .with("name", "仓库 A")
        .with("level", 3_u64)
        .with("delta", PropValue::SInt(-5))
        .with("offset", -7_i64)
        .with("ratio", 0.25_f64)
        .with("area", 1.5_f32)
        .with("open", true);
    let f2 = TileFeature::borrowed(0, &q)
        .with("name", String::from("仓库 A"))
        .with("level", 1_u64);
    let (t, _) = build(TILE, vec![f1, f2]);
    let l = only_layer(&t);
    assert_eq!(l.features[0].id, Some(u64::MAX - 1));
    assert_eq!(l.features[1].id, Some(0));
    let props = l.features[0].properties(l);
    assert_eq!(
        props,
        vec![
            ("name", &Value::String("仓库 A".into())),
            ("level", &Value::UInt(3)),
            ("delta", &Value::SInt(-5)),
            ("offset", &Value::Int(-7)),
            ("ratio", &Value::Double(0.25)),
            ("area", &Value::Float(1.5)),
            ("open", &Value::Bool(true)),
        ]
    );
    // Shared values are stored once (the decoder checks there are no duplicates).
    assert_eq!(
        l.features[1].property(l, "name"),
        Some(&Value::String("仓库 A".into()))
    );
}

/// Geometry that trips the `mvt` encoder's habit of continuing a path when a part starts
/// where the previous one ended: the tile must still decode cleanly.
#[test]
fn parts_starting_where_the_previous_ended() {
    let lines = Geometry::MultiLineString(MultiLineString::new(vec![
        line(TILE, &[(100.0, 100.0), (200.0, 100.0)]),
        line(TILE, &[(200.0, 100.0), (200.0, 300.0)]),
        line(TILE, &[(900.0, 900.0), (950.0, 900.0)]),
    ]));
    // Two squares touching at a corner, and a third touching the second along an edge.
    let sq = |x: f64, y: f64, s: f64| {
        Polygon::new(
            ring(TILE, &[(x, y), (x + s, y), (x + s, y + s), (x, y + s)]),
            vec![],
        )
    };
    let polys = Geometry::MultiPolygon(MultiPolygon::new(vec![
        sq(100.0, 100.0, 100.0),
        sq(200.0, 200.0, 100.0),
        sq(1000.0, 1000.0, 50.0),
    ]));
    let (t, _) = build(
        TILE,
        vec![
            TileFeature::borrowed(1, &lines),
            TileFeature::borrowed(2, &polys),
        ],
    );
    let l = only_layer(&t);
    assert_eq!(
        l.features[0].geometry,
        Decoded::LineStrings(vec![
            vec![[100, 100], [200, 100], [200, 300]],
            vec![[900, 900], [950, 900]]
        ])
    );
    assert_eq!(polygons(&l.features[1].geometry).len(), 3);
}

#[test]
fn several_layers_in_one_tile() {
    let p = Geometry::Point(Point(lonlat(TILE, 100.0, 100.0)));
    let l = Geometry::LineString(line(TILE, &[(0.0, 0.0), (4096.0, 4096.0)]));
    let g = polygon(
        TILE,
        &[(10.0, 10.0), (90.0, 10.0), (90.0, 90.0), (10.0, 90.0)],
        &[],
    );
    let far = Geometry::Point(Point::new(0.0, 0.0));
    let mut b = TileBuilder::new(TILE, &TileOptions::default()).unwrap();
    b.add_layer("sites", [TileFeature::borrowed(1, &p)])
        .unwrap();
    b.add_layer("empty", [TileFeature::borrowed(1, &far)])
        .unwrap();
    b.add_layer("roads", [TileFeature::borrowed(1, &l)])
        .unwrap();
    b.add_layer("zones", [TileFeature::borrowed(1, &g)])
        .unwrap();
    let size = b.size();
    let bytes = b.into_bytes().unwrap();
    assert_eq!(bytes.len(), size);
    let t = mvt_check::decode_riskmap(&bytes, &RiskmapRules::default()).unwrap();
    let names: Vec<&str> = t.layers.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["sites", "roads", "zones"]);
    assert_eq!(
        t.layer("roads").unwrap().features[0].geometry,
        Decoded::LineStrings(vec![vec![[0, 0], [4096, 4096]]])
    );
}

#[test]
fn cluster_features_encode() {
    let pts: Vec<ClusterPoint> = (0..50)
        .map(|i| ClusterPoint {
            id: i,
            position: Point::new(
                116.0 + (i % 10) as f64 * 0.01,
                39.9 + (i / 10) as f64 * 0.01,
            ),
            level: (i % 4) as u8,
            weight: 1.0,
        })
        .collect();
    let clusters = cluster_points(&pts, 8, &ClusterOptions::default()).unwrap();
    assert!(clusters.len() < 50);
    assert_eq!(clusters.iter().map(|c| c.count).sum::<u64>(), 50);
    let tile = TileId::new(8, 210, 97).unwrap();
    let (t, stats) = build(tile, clusters.iter().map(|c| c.to_feature()).collect());
    assert_eq!(stats.encoded, clusters.len());
    let l = only_layer(&t);
    assert_eq!(l.features[0].property(l, "level"), Some(&Value::UInt(3)));
}

// ---------------------------------------------------------------------------------------
// Volume and random geometry
// ---------------------------------------------------------------------------------------

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn f(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.f()
    }

    fn below(&mut self, n: usize) -> usize {
        ((self.f() * n as f64) as usize).min(n - 1)
    }
}

/// A star-shaped ring around `(cx, cy)` with radii in `[r_lo, r_hi]` (tile units).
fn star(rng: &mut Rng, cx: f64, cy: f64, r_lo: f64, r_hi: f64, k: usize) -> Vec<(f64, f64)> {
    (0..k)
        .map(|i| {
            let a = 2.0 * PI * (i as f64 + rng.range(-0.3, 0.3)) / k as f64;
            let r = rng.range(r_lo, r_hi);
            (cx + r * a.cos(), cy + r * a.sin())
        })
        .collect()
}

fn random_feature(rng: &mut Rng, tile: TileId) -> Geometry<f64> {
    let cx = rng.range(-2000.0, 6000.0);
    let cy = rng.range(-2000.0, 6000.0);
    // Sizes from a fraction of a unit to several tiles.
    let r = 10f64.powf(rng.range(-0.5, 4.0));
    match rng.below(7) {
        0 => Geometry::MultiPoint(MultiPoint::new(
            (0..1 + rng.below(20))
                .map(|_| Point(lonlat(tile, cx + rng.range(-r, r), cy + rng.range(-r, r))))
                .collect(),
        )),
        1 => {
            let mut x = cx;
            let mut y = cy;
            let pts: Vec<(f64, f64)> = (0..2 + rng.below(40))
                .map(|_| {
                    x += rng.range(-r, r);
                    y += rng.range(-r, r);
                    (x, y)
                })
                .collect();
            Geometry::LineString(line(tile, &pts))
        }
        2 => {
            let k = 3 + rng.below(60);
            polygon(tile, &star(rng, cx, cy, 0.3 * r, r, k), &[])
        }
        3 => {
            // With holes: exterior radii ≥ 0.6 r and ≥ 6 vertices keep a disk of 0.52 r
            // inside; holes stay within 0.4 r.
            let (ke, kh) = (6 + rng.below(40), 3 + rng.below(20));
            let ext = star(rng, cx, cy, 0.6 * r, r, ke);
            let hole = star(rng, cx, cy, 0.1 * r, 0.4 * r, kh);
            polygon(tile, &ext, &[&hole])
        }
        4 => {
            // Self-intersecting input: random vertex order. Must come out valid.
            let pts: Vec<(f64, f64)> = (0..4 + rng.below(12))
                .map(|_| (cx + rng.range(-r, r), cy + rng.range(-r, r)))
                .collect();
            polygon(tile, &pts, &[])
        }
        5 => {
            // Edges within a unit or two of the clip box's sides and the tile's edges,
            // where clipping, snapping and the overlay's own snapping meet.
            let near =
                |rng: &mut Rng| [-64.0, 0.0, 4096.0, 4160.0][rng.below(4)] + rng.range(-1.5, 1.5);
            let (x0, x1) = (near(rng), near(rng));
            let (y0, y1) = (near(rng), near(rng));
            let mid = (rng.range(-200.0, 4300.0), rng.range(-200.0, 4300.0));
            polygon(tile, &[(x0, y0), (x1, y0), mid, (x1, y1), (x0, y1)], &[])
        }
        _ => {
            let parts = (0..2 + rng.below(4))
                .map(|_| {
                    let (px, py) = (
                        cx + rng.range(-3.0 * r, 3.0 * r),
                        cy + rng.range(-3.0 * r, 3.0 * r),
                    );
                    let k = 3 + rng.below(12);
                    Polygon::new(ring(tile, &star(rng, px, py, 0.3 * r, r, k)), vec![])
                })
                .collect();
            Geometry::MultiPolygon(MultiPolygon::new(parts))
        }
    }
}

#[test]
fn random_geometry_always_gives_valid_tiles() {
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    let mut totals = LayerStats::default();
    for case in 0..150 {
        let z = rng.below(19) as u8;
        let n = 1u32 << z;
        // Tiles over China and beyond, at every zoom from 0 to 18.
        let x = ((rng.range(0.76, 0.86)) * f64::from(n)) as u32;
        let y = ((rng.range(0.33, 0.45)) * f64::from(n)) as u32;
        let tile = TileId::new(z, x.min(n - 1), y.min(n - 1)).unwrap();
        let opts = TileOptions {
            simplify_tolerance: [0.0, 1.0, 4.0][case % 3],
            ..TileOptions::default()
        };
        let geoms: Vec<Geometry<f64>> = (0..25).map(|_| random_feature(&mut rng, tile)).collect();
        let (_, stats) = build_with(
            tile,
            &opts,
            geoms
                .iter()
                .enumerate()
                .map(|(i, g)| TileFeature::borrowed(i as u64, g))
                .collect(),
        );
        totals.input += stats.input;
        totals.encoded += stats.encoded;
        totals.outside += stats.outside;
        totals.clipped += stats.clipped;
        totals.collapsed += stats.collapsed;
        totals.repaired += stats.repaired;
    }
    println!("{totals:?}");
    // The generator must exercise every path.
    assert!(
        totals.encoded > 1000
            && totals.clipped > 300
            && totals.collapsed > 20
            && totals.repaired > 20,
        "{totals:?}"
    );
}

#[test]
fn dense_city_tile_is_valid() {
    let mut rng = Rng(42);
    let tile = TileId::new(16, 54_882, 26_786).unwrap();
    let mut geoms = Vec::new();
    for _ in 0..5_000 {
        let (x, y) = (rng.range(-150.0, 4250.0), rng.range(-150.0, 4250.0));
        let (w, h) = (rng.range(10.0, 60.0), rng.range(10.0, 60.0));
        geoms.push(polygon(
            tile,
            &[(x, y), (x + w, y), (x + w, y + h), (x, y + h)],
            &[],
        ));
    }
    for _ in 0..500 {
        let mut p = (rng.range(-200.0, 4300.0), rng.range(-200.0, 4300.0));
        let pts: Vec<(f64, f64)> = (0..12)
            .map(|_| {
                p = (
                    p.0 + rng.range(-300.0, 300.0),
                    p.1 + rng.range(-300.0, 300.0),
                );
                p
            })
            .collect();
        geoms.push(Geometry::LineString(line(tile, &pts)));
    }
    let (t, stats) = build(
        tile,
        geoms
            .iter()
            .enumerate()
            .map(|(i, g)| TileFeature::borrowed(i as u64, g).with("level", (i % 4) as u64))
            .collect(),
    );
    assert_eq!(stats.encoded + stats.outside + stats.collapsed, 5_500);
    assert!(stats.encoded > 5_000 && stats.clipped > 100, "{stats:?}");
    assert_eq!(only_layer(&t).features.len(), stats.encoded);
}
