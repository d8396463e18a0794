//! Vector tile encoding benchmark: one dense city tile with ~5,000 small building
//! polygons and ~500 road lines, as the tile server builds it for an uncached request
//! (features already selected by bounding box, so some cross the tile edge).
//!
//! Run with `cargo bench -p riskmap-core --bench tiles`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use geo::{Geometry, LineString, Polygon, coord};
use riskmap_core::tiles::{TileBuilder, TileFeature, TileId, TileOptions, gzip};

/// Small deterministic generator (xorshift64*), so the data is the same on every run.
struct Rng(u64);

impl Rng {
    fn next_f64(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Buildings and roads over tile `tile` and its buffer, in lon/lat.
fn city(tile: TileId, houses: usize, roads: usize) -> (Vec<Geometry<f64>>, Vec<Geometry<f64>>) {
    let b = tile.bounds_lonlat();
    let (w, h) = (b.width(), b.height());
    // Grow the area by ~2% per side: features the R-tree returns for tile + buffer.
    let (x0, y0) = (b.min().x - 0.02 * w, b.min().y - 0.02 * h);
    let (sw, sh) = (1.04 * w, 1.04 * h);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut out_houses = Vec::with_capacity(houses);
    for _ in 0..houses {
        let cx = x0 + rng.next_f64() * sw;
        let cy = y0 + rng.next_f64() * sh;
        // 8–20 m buildings, slightly rotated.
        let half_w = (4.0 + 6.0 * rng.next_f64()) * 1e-5;
        let half_h = (4.0 + 6.0 * rng.next_f64()) * 1e-5;
        let skew = (rng.next_f64() - 0.5) * 0.4 * half_w;
        let ring = LineString::new(vec![
            coord! { x: cx - half_w, y: cy - half_h },
            coord! { x: cx + half_w, y: cy - half_h + skew },
            coord! { x: cx + half_w, y: cy + half_h },
            coord! { x: cx - half_w, y: cy + half_h - skew },
            coord! { x: cx - half_w, y: cy - half_h },
        ]);
        out_houses.push(Geometry::Polygon(Polygon::new(ring, vec![])));
    }
    let mut out_roads = Vec::with_capacity(roads);
    for _ in 0..roads {
        let mut x = x0 + rng.next_f64() * sw;
        let mut y = y0 + rng.next_f64() * sh;
        let mut pts = Vec::with_capacity(12);
        for _ in 0..12 {
            pts.push(coord! { x: x, y: y });
            x += (rng.next_f64() - 0.5) * 0.15 * w;
            y += (rng.next_f64() - 0.5) * 0.15 * h;
        }
        out_roads.push(Geometry::LineString(LineString::new(pts)));
    }
    (out_houses, out_roads)
}

fn encode(
    tile: TileId,
    opts: &TileOptions,
    houses: &[Geometry<f64>],
    roads: &[Geometry<f64>],
) -> Vec<u8> {
    let mut builder = TileBuilder::new(tile, opts).unwrap();
    builder
        .add_layer(
            "houses",
            houses.iter().enumerate().map(|(i, g)| {
                TileFeature::borrowed(i as u64, g)
                    .with("level", (i % 4) as u64)
                    .with("name", if i % 2 == 0 { "house" } else { "shop" })
            }),
        )
        .unwrap();
    builder
        .add_layer(
            "roads",
            roads
                .iter()
                .enumerate()
                .map(|(i, g)| TileFeature::borrowed(i as u64, g).with("class", "street")),
        )
        .unwrap();
    builder.into_bytes().unwrap()
}

fn bench_tiles(c: &mut Criterion) {
    let opts = TileOptions::default();
    // Shanghai, z14 (a tile ~2 km across) and z16 (~0.5 km, buildings ~60 units wide).
    for tile in [
        TileId::new(14, 13_720, 6_696).unwrap(),
        TileId::new(16, 54_882, 26_786).unwrap(),
    ] {
        let (houses, roads) = city(tile, 5_000, 500);
        let bytes = encode(tile, &opts, &houses, &roads);
        eprintln!(
            "tile {tile}: {} bytes, {} gzipped",
            bytes.len(),
            gzip(&bytes).unwrap().len()
        );
        c.bench_function(
            &format!("dense_tile_5000_polygons_500_lines/z{}", tile.z),
            |b| {
                b.iter(|| {
                    encode(
                        black_box(tile),
                        &opts,
                        black_box(&houses),
                        black_box(&roads),
                    )
                })
            },
        );
        c.bench_function(&format!("gzip_dense_tile/z{}", tile.z), |b| {
            b.iter(|| gzip(black_box(&bytes)).unwrap())
        });
    }
}

criterion_group!(benches, bench_tiles);
criterion_main!(benches);
