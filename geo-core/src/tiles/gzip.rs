//! Gzip compression of encoded tiles, for HTTP, with libdeflate.
//!
//! Why libdeflate, and level 6 for archives: a tile is compressed whole, in memory, so a
//! streaming compressor buys nothing. On 150 house tiles of the benchmark city (8.3 MB raw;
//! `examples/gzip_levels.rs`, BENCHMARKS.md) libdeflate's level 6 makes 0.4594 of the raw
//! size, smaller than zlib's own level 6 (0.4599, what a server compressing with zlib's
//! default level sends) and zlib-rs's (0.4624), in about the time zlib-rs takes; at
//! levels 2–6 it was mostly the faster of the two. The fastest zlib-rs level (0.5774 of
//! raw) sends 26 % more bytes. libdeflate's level 1 makes 0.4789 of raw (4 % more than
//! its level 6; 5 % more on the viewer's tiles of nine layers) in less than half the
//! time: what the tile server uses by default (`tile_gzip_level`), since it draws tiles
//! again as edits change them.

use std::cell::RefCell;

use libdeflater::{CompressionLvl, Compressor};

use super::TileError;

/// The level [`gzip`] uses: that of tile archives, written once and read many times.
pub const GZIP_LEVEL: u32 = 6;

/// The tile server's level unless its configuration says otherwise (`tile_gzip_level`):
/// it draws tiles again as edits change them, so speed counts more than the last bytes.
pub const SERVED_GZIP_LEVEL: u32 = 1;

thread_local! {
    /// One compressor per thread and level: making one costs more than compressing a
    /// small tile.
    static COMPRESSOR: RefCell<Option<(u32, Compressor)>> = const { RefCell::new(None) };
    /// Output room, reused; the result is copied out at its exact size.
    static OUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Gzip-compresses an encoded tile (what MVT servers send with `Content-Encoding: gzip`)
/// at [`GZIP_LEVEL`].
pub fn gzip(bytes: &[u8]) -> Result<Vec<u8>, TileError> {
    gzip_with_level(bytes, GZIP_LEVEL)
}

/// Gzip-compresses at `level` (0 = store, 1 = fastest … 12 = smallest; higher values are
/// taken as 12).
pub fn gzip_with_level(bytes: &[u8], level: u32) -> Result<Vec<u8>, TileError> {
    let level = level.min(12);
    COMPRESSOR.with_borrow_mut(|slot| {
        let c = match slot {
            Some((l, c)) if *l == level => c,
            _ => {
                // Levels 0..=12 are all valid: this cannot fail.
                let lvl = CompressionLvl::new(level as i32)
                    .map_err(|_| TileError::Compress("invalid compression level".into()))?;
                &mut slot.insert((level, Compressor::new(lvl))).1
            }
        };
        OUT.with_borrow_mut(|out| {
            out.resize(c.gzip_compress_bound(bytes.len()), 0);
            let n = c
                .gzip_compress(bytes, out)
                .map_err(|e| TileError::Compress(e.to_string()))?;
            Ok(out[..n].to_vec())
        })
    })
}
