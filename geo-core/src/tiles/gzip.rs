//! Gzip compression of encoded tiles, for HTTP.

use std::io::Write;

use super::TileError;

/// Gzip-compresses an encoded tile (what MVT servers send with `Content-Encoding: gzip`),
/// at level 1: on a dense 180 kB tile it takes ~1 ms for 60 % of the size, where the
/// default level 6 takes ~6–9 ms for 52 %. For tiles compressed once and cached, use
/// [`gzip_with_level`].
pub fn gzip(bytes: &[u8]) -> Result<Vec<u8>, TileError> {
    gzip_with_level(bytes, 1)
}

/// Gzip-compresses at `level` (0 = store, 1 = fastest … 9 = smallest; higher values are
/// taken as 9).
pub fn gzip_with_level(bytes: &[u8], level: u32) -> Result<Vec<u8>, TileError> {
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(bytes.len() / 2 + 64),
        flate2::Compression::new(level.min(9)),
    );
    enc.write_all(bytes)?;
    Ok(enc.finish()?)
}
