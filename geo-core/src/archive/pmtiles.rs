//! The PMTiles sink: the `pmtiles` crate's stream writer, given gzipped tiles in tile id
//! order (so its header's `clustered` is true of the file) and the content keys the
//! pipeline computed (so it hashes nothing again).

use std::fs::File;
use std::path::{Path, PathBuf};

use pmtiles::{CallerKey, Compression, PmTilesStreamWriter, PmTilesWriter, TileCoord, TileType};

use super::{ArchiveError, Metadata, Sink};
use crate::tiles::TileId;

pub(super) struct PmTilesSink {
    path: PathBuf,
    writer: PmTilesStreamWriter<File, CallerKey<u128>>,
}

impl PmTilesSink {
    pub(super) fn create(path: &Path, meta: &Metadata) -> Result<PmTilesSink, ArchiveError> {
        let file = File::create(path).map_err(|source| ArchiveError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let [w, s, e, n] = meta.bounds;
        let (clon, clat, cz) = meta.center;
        let writer = PmTilesWriter::new(TileType::Mvt)
            .dedup_by_key::<u128>()
            .precompressed(Compression::Gzip)
            .internal_compression(Compression::Gzip)
            .min_zoom(meta.minzoom)
            .max_zoom(meta.maxzoom)
            .bounds(w, s, e, n)
            .center(clon, clat)
            .center_zoom(cz)
            .metadata(serde_json::Value::Object(meta.json.clone()).to_string())
            .create(file)
            .map_err(|source| ArchiveError::PmTiles {
                path: path.to_path_buf(),
                source,
            })?;
        Ok(PmTilesSink {
            path: path.to_path_buf(),
            writer,
        })
    }

    fn err(&self, source: pmtiles::PmtError) -> ArchiveError {
        ArchiveError::PmTiles {
            path: self.path.clone(),
            source,
        }
    }
}

impl Sink for PmTilesSink {
    fn add(&mut self, t: TileId, gz: &[u8], key: u128) -> Result<(), ArchiveError> {
        let coord = TileCoord::new(t.z, t.x, t.y).map_err(|e| self.err(e))?;
        self.writer
            .add_tile(coord, gz, Some(key))
            .map_err(|e| self.err(e))
    }

    fn finish(self: Box<Self>, _meta: &Metadata) -> Result<(), ArchiveError> {
        let path = self.path.clone();
        self.writer
            .finalize()
            .map_err(|source| ArchiveError::PmTiles { path, source })
    }
}
