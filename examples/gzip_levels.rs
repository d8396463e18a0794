//! Compresses a directory of raw tiles with zlib-rs (through flate2), miniz_oxide and
//! libdeflate at levels 1–6, and prints each one's size (fraction of the raw bytes) and
//! time: the measurement behind the tile server's choice of gzip (BENCHMARKS.md, "House
//! tile bytes").
//!
//! ```sh
//! cargo run --release -p riskmap-core --example gzip_levels -- DIR_OF_RAW_TILES
//! ```

use std::error::Error;
use std::io::Write;
use std::time::Instant;

/// Size of a gzip member's header and trailer around a raw deflate stream.
const GZIP_FRAME: usize = 18;

fn main() -> Result<(), Box<dyn Error>> {
    let dir = std::env::args()
        .nth(1)
        .ok_or("usage: gzip_levels DIR_OF_RAW_TILES")?;
    let mut tiles = Vec::new();
    for e in std::fs::read_dir(dir)? {
        tiles.push(std::fs::read(e?.path())?);
    }
    let raw: usize = tiles.iter().map(Vec::len).sum();
    println!(
        "{} tiles, {raw} bytes raw; per level: fraction of raw, ms for all (best of 3)",
        tiles.len()
    );
    println!("| level | zlib-rs | miniz_oxide | libdeflate |\n|---:|---|---|---|");
    let mut out = vec![0u8; 8 << 20];
    for level in 1..=6u32 {
        // One compressor per level, reused from tile to tile, as the server does.
        let lvl = libdeflater::CompressionLvl::new(level as i32).map_err(|e| format!("{e:?}"))?;
        let mut deflater = libdeflater::Compressor::new(lvl);
        let mut cells = Vec::new();
        for codec in 0..3 {
            let mut best = f64::INFINITY;
            let mut size = 0;
            for _ in 0..3 {
                let t = Instant::now();
                size = 0;
                for tile in &tiles {
                    size += match codec {
                        0 => {
                            let mut e = flate2::write::GzEncoder::new(
                                Vec::new(),
                                flate2::Compression::new(level),
                            );
                            e.write_all(tile)?;
                            e.finish()?.len()
                        }
                        1 => {
                            miniz_oxide::deflate::compress_to_vec(tile, level as u8).len()
                                + GZIP_FRAME
                        }
                        _ => deflater
                            .gzip_compress(tile, &mut out)
                            .map_err(|e| e.to_string())?,
                    };
                }
                best = best.min(t.elapsed().as_secs_f64() * 1e3);
            }
            cells.push(format!("{:.4}, {best:.0} ms", size as f64 / raw as f64));
        }
        println!("| {level} | {} |", cells.join(" | "));
    }
    Ok(())
}
