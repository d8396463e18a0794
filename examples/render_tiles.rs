//! Renders a list of tiles in process, one after another on this thread, and reports the
//! time of rendering and of gzip apart: the in-process half of the tile benchmarks
//! (`scripts/bench/tile-stages.sh` profiles it with perf).
//!
//! ```sh
//! cargo run --release -p riskmap-core --example render_tiles -- DATA_DIR TILES.json \
//!     [LAYERS [ROUNDS [--wait] [--one-thread] [--gzip-level N]]]
//! ```
//!
//! `TILES.json` is a list of `[z, x, y]`; `LAYERS` is comma-separated (default `houses`);
//! `--wait` waits for a line on stdin after loading, so a profiler can attach to the
//! rendering alone; `--one-thread` draws each tile on this thread alone, as the server
//! does when every core is drawing one (otherwise the geometry of the second half of a
//! layer of 1,024 features or more is processed on the pool); `--gzip-level N` compresses at level N (default 6, that of archives; the
//! server's default is 1). It runs on the server's allocator (mimalloc), as its times
//! depend on it; runs before 2026-12-06 used the system allocator.

use std::error::Error;
use std::time::{Duration, Instant};

use riskmap_core::io::LoadOptions;
use riskmap_core::model::LayerKind;
use riskmap_core::project::Project;
use riskmap_core::rules::Rules;
use riskmap_core::tileset::{TileSet, TileSetConfig, tile_layer};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(data), Some(list)) = (args.first(), args.get(1)) else {
        return Err("usage: render_tiles DATA_DIR TILES.json [LAYERS [ROUNDS [--wait] [--one-thread] [--gzip-level N]]]".into());
    };
    let layers: Vec<LayerKind> = args
        .get(2)
        .map_or("houses", String::as_str)
        .split(',')
        .map(|n| tile_layer(n).ok_or_else(|| format!("no tile layer '{n}'")))
        .collect::<Result<_, _>>()?;
    let rounds: usize = args.get(3).map_or(Ok(1), |r| r.parse())?;
    let tiles: Vec<(u8, u32, u32)> = serde_json::from_str(&std::fs::read_to_string(list)?)?;

    let t0 = Instant::now();
    let p = Project::open(
        std::path::Path::new(data),
        &LoadOptions::default(),
        &Rules::default(),
    )?;
    let set = TileSet::build(&p.dataset, &p.analysis, TileSetConfig::default())?;
    eprintln!("loaded in {:.1} s", t0.elapsed().as_secs_f64());
    if args.iter().any(|a| a == "--wait") {
        eprintln!("ready: press Enter to render");
        std::io::stdin().read_line(&mut String::new())?;
    }

    // As the server draws a tile when every core already draws one.
    let one_thread = args.iter().any(|a| a == "--one-thread");
    let level: u32 = match args.iter().position(|a| a == "--gzip-level") {
        Some(i) => args
            .get(i + 1)
            .ok_or("--gzip-level needs a level")?
            .parse()?,
        None => riskmap_core::tiles::GZIP_LEVEL,
    };
    let (mut render, mut gzip) = (Duration::ZERO, Duration::ZERO);
    let (mut raw_bytes, mut gz_bytes) = (0usize, 0usize);
    // A digest of every tile's bytes, to see that a change of the code left them as
    // they were.
    let mut digest = std::hash::DefaultHasher::new();
    for _ in 0..rounds {
        for &(z, x, y) in &tiles {
            let t = Instant::now();
            let raw = if one_thread {
                set.render_on_one_thread(&p.dataset, &p.analysis, &layers, z, x, y)?
            } else {
                set.render(&p.dataset, &p.analysis, &layers, z, x, y)?
            };
            render += t.elapsed();
            let t = Instant::now();
            let gz = riskmap_core::tiles::gzip_with_level(&raw, level)?;
            gzip += t.elapsed();
            std::hash::Hash::hash(&raw, &mut digest);
            raw_bytes += raw.len();
            gz_bytes += gz.len();
        }
    }
    let n = (tiles.len() * rounds) as f64;
    println!(
        "{} tiles x {rounds}: render {:.3} ms/tile, gzip {:.3} ms/tile; raw {:.1} KiB/tile, gzip {:.1} KiB/tile ({:.4} of raw); digest {:016x}",
        tiles.len(),
        render.as_secs_f64() * 1e3 / n,
        gzip.as_secs_f64() * 1e3 / n,
        raw_bytes as f64 / 1024.0 / n,
        gz_bytes as f64 / 1024.0 / n,
        gz_bytes as f64 / raw_bytes as f64,
        std::hash::Hasher::finish(&digest)
    );
    // Freeing a million houses takes longer than rendering them: leave it to the OS,
    // out of any profile of this process.
    std::mem::forget((set, p));
    Ok(())
}
