//! Uncached tile generation on the benchmark city (1,000,000 houses), and the tile budget.
//!
//! Run with `cargo bench -p riskmap-core --bench tileset` (release build; about a minute
//! plus the time to generate and analyse the city). `RISKMAP_BENCH_HOUSES` scales the city.
//!
//! 1. Latency: every tile of z8–z16 within 1.5 km of the densest hex cell (the most
//!    exposed population), all nine layers in one composite tile as the viewer asks for
//!    them, rendered and gzipped once each, uncached; median, p99 and max per zoom and
//!    over the whole sample.
//! 2. Budget: every tile of z0–z14 that meets the data, and every tile of z15–z18 within
//!    1 km of the densest cell: the largest gzipped size and feature count per zoom, against
//!    500 kB and 200,000 features.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::time::Instant;

use geo::{Geometry, MultiPolygon, Rect};
use riskmap_core::analysis;
use riskmap_core::generate::{GenerateOptions, generate};
use riskmap_core::geodesy::expand_rect_m;
use riskmap_core::rules::Rules;
use riskmap_core::substances::SubstanceTable;
use riskmap_core::tiles::{gzip, tiles_covering};
use riskmap_core::tileset::{TileSet, TileSetConfig};

fn boundary() -> MultiPolygon<f64> {
    let gj: geojson::GeoJson = include_str!("../../data/boundaries/haimen.geojson")
        .parse()
        .unwrap();
    let fc = geojson::FeatureCollection::try_from(gj).unwrap();
    match Geometry::<f64>::try_from(fc.features[0].geometry.clone().unwrap()).unwrap() {
        Geometry::MultiPolygon(m) => m,
        Geometry::Polygon(p) => MultiPolygon(vec![p]),
        _ => panic!("not a polygon"),
    }
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Number of features in an MVT: counts field 2 (feature) of each layer message.
fn count_features(tile: &[u8]) -> usize {
    fn varint(b: &[u8], i: &mut usize) -> u64 {
        let (mut v, mut s) = (0u64, 0);
        while *i < b.len() {
            let x = b[*i];
            *i += 1;
            v |= u64::from(x & 0x7f) << s;
            if x & 0x80 == 0 {
                break;
            }
            s += 7;
        }
        v
    }
    let mut n = 0;
    let mut i = 0;
    while i < tile.len() {
        let key = varint(tile, &mut i);
        let len = varint(tile, &mut i) as usize; // layers are length-delimited
        if key >> 3 == 3 {
            let layer = &tile[i..i + len];
            let mut j = 0;
            while j < layer.len() {
                let k = varint(layer, &mut j);
                match k & 7 {
                    0 => {
                        varint(layer, &mut j);
                    }
                    2 => {
                        let l = varint(layer, &mut j) as usize;
                        if k >> 3 == 2 {
                            n += 1;
                        }
                        j += l;
                    }
                    5 => j += 4,
                    1 => j += 8,
                    _ => break,
                }
            }
        }
        i += len;
    }
    n
}

fn main() {
    let houses: usize = std::env::var("RISKMAP_BENCH_HOUSES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let t0 = Instant::now();
    let opts = if houses == 1_000_000 {
        GenerateOptions::benchmark()
    } else {
        GenerateOptions::scaled(houses)
    };
    let ds = generate(&opts, &boundary()).unwrap();
    let a = analysis::analyze(&ds, &SubstanceTable::builtin(), &Rules::default()).unwrap();
    let t1 = Instant::now();
    let ts = TileSet::build(&ds, &a, TileSetConfig::default()).unwrap();
    println!(
        "city: {houses} houses; generate + analyse {:.1} s; tile set (clusters, indexes) {:.2} s",
        (t1 - t0).as_secs_f64(),
        t1.elapsed().as_secs_f64()
    );
    let densest = a.grid.cells.iter().max_by_key(|c| c.population).unwrap();
    let centre = geo::BoundingRect::bounding_rect(&densest.geometry)
        .unwrap()
        .center();
    println!(
        "densest cell: {} ({} persons) at {:.4}, {:.4}",
        densest.id, densest.population, centre.x, centre.y
    );
    let layers = riskmap_core::tileset::TILE_LAYERS;

    // 1. Latency.
    let near = expand_rect_m(Rect::new(centre, centre), 1500.0);
    let mut all = Vec::new();
    println!(
        "\nuncached composite tiles (all {} layers), render + gzip, ms:",
        layers.len()
    );
    println!("| z | tiles | median | p99 | max | largest gz kB |");
    println!("|---|---:|---:|---:|---:|---:|");
    for z in 8..=16u8 {
        let mut times = Vec::new();
        let mut largest = 0usize;
        for t in tiles_covering(near, z).unwrap() {
            let s = Instant::now();
            let raw = ts.render(&ds, &a, &layers, t.z, t.x, t.y).unwrap();
            let gz = if raw.is_empty() {
                Vec::new()
            } else {
                gzip(&raw).unwrap()
            };
            times.push(s.elapsed().as_secs_f64() * 1e3);
            largest = largest.max(gz.len());
        }
        times.sort_by(f64::total_cmp);
        println!(
            "| {z} | {} | {:.2} | {:.2} | {:.2} | {:.1} |",
            times.len(),
            pct(&times, 0.5),
            pct(&times, 0.99),
            times[times.len() - 1],
            largest as f64 / 1024.0
        );
        all.extend(times);
    }
    all.sort_by(f64::total_cmp);
    println!(
        "all z8–z16: {} tiles, median {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        all.len(),
        pct(&all, 0.5),
        pct(&all, 0.99),
        all[all.len() - 1]
    );

    // 2. Budget.
    let bounds = ds.bounds().unwrap();
    let dense = expand_rect_m(Rect::new(centre, centre), 1000.0);
    println!("\ntile budget (limits: 500 kB gzip, 200,000 features):");
    println!("| z | tiles checked | largest gz kB | most features |");
    println!("|---|---:|---:|---:|");
    let mut ok = true;
    for z in 0..=18u8 {
        let area = if z <= 14 { bounds } else { dense };
        let (mut n, mut max_gz, mut max_f) = (0, 0usize, 0usize);
        for t in tiles_covering(area, z).unwrap() {
            let raw = ts.render(&ds, &a, &layers, t.z, t.x, t.y).unwrap();
            if raw.is_empty() {
                continue;
            }
            n += 1;
            max_gz = max_gz.max(gzip(&raw).unwrap().len());
            max_f = max_f.max(count_features(&raw));
        }
        ok &= max_gz <= 500 * 1024 && max_f <= 200_000;
        println!("| {z} | {n} | {:.1} | {max_f} |", max_gz as f64 / 1024.0);
    }
    println!("budget {}", if ok { "met" } else { "EXCEEDED" });
}
