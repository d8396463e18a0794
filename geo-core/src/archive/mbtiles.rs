//! The MBTiles sink: SQLite with the schema tippecanoe and mbutil write, which stores each
//! distinct tile once (`images`, by content key) and maps every tile to it (`map`); the
//! `tiles` view is what the MBTiles 1.3 spec and every reader (GDAL, QGIS, tile servers)
//! query. Rows go in one transaction; the file is a temporary one until renamed, so the
//! journal is off and nothing is synced until the file is whole (see `write_archive`).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, params};

use super::{ArchiveError, Metadata, Sink};
use crate::tiles::TileId;

const SCHEMA: &str = "
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
PRAGMA page_size = 4096;
CREATE TABLE metadata (name TEXT, value TEXT);
CREATE UNIQUE INDEX name ON metadata (name);
CREATE TABLE map (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_id TEXT);
CREATE UNIQUE INDEX map_index ON map (zoom_level, tile_column, tile_row);
CREATE TABLE images (tile_data BLOB, tile_id TEXT);
CREATE UNIQUE INDEX images_id ON images (tile_id);
CREATE VIEW tiles AS
  SELECT map.zoom_level AS zoom_level, map.tile_column AS tile_column,
         map.tile_row AS tile_row, images.tile_data AS tile_data
  FROM map JOIN images ON images.tile_id = map.tile_id;
BEGIN;
";

pub(super) struct MbTilesSink {
    path: PathBuf,
    db: Connection,
    stored: HashSet<u128>,
}

impl MbTilesSink {
    pub(super) fn create(path: &Path) -> Result<MbTilesSink, ArchiveError> {
        let err = |source| ArchiveError::Sqlite {
            path: path.to_path_buf(),
            source,
        };
        // A leftover of an interrupted run with the same name would be appended to.
        let _ = std::fs::remove_file(path);
        let db = Connection::open(path).map_err(err)?;
        db.execute_batch(SCHEMA).map_err(err)?;
        Ok(MbTilesSink {
            path: path.to_path_buf(),
            db,
            stored: HashSet::new(),
        })
    }

    fn err(&self, source: rusqlite::Error) -> ArchiveError {
        ArchiveError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }
}

impl Sink for MbTilesSink {
    fn add(&mut self, t: TileId, gz: &[u8], key: u128) -> Result<(), ArchiveError> {
        let id = format!("{key:032x}");
        if self.stored.insert(key) {
            self.db
                .prepare_cached("INSERT INTO images (tile_data, tile_id) VALUES (?1, ?2)")
                .and_then(|mut s| s.execute(params![gz, id]))
                .map_err(|e| self.err(e))?;
        }
        // MBTiles rows count from the south (TMS), XYZ rows from the north.
        let row = (1u32 << t.z) - 1 - t.y;
        self.db
            .prepare_cached(
                "INSERT INTO map (zoom_level, tile_column, tile_row, tile_id) VALUES (?1, ?2, ?3, ?4)",
            )
            .and_then(|mut s| s.execute(params![t.z, t.x, row, id]))
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    fn finish(self: Box<Self>, meta: &Metadata) -> Result<(), ArchiveError> {
        let [w, s, e, n] = meta.bounds;
        let (clon, clat, cz) = meta.center;
        // The keys of MBTiles 1.3; `json` holds vector_layers and the rest of the
        // metadata (the extras among them).
        let mut json = meta.json.clone();
        for k in ["name", "description", "attribution", "type"] {
            json.remove(k);
        }
        let rows = [
            ("name", meta.name.clone()),
            ("format", "pbf".to_string()),
            ("bounds", format!("{w},{s},{e},{n}")),
            ("center", format!("{clon},{clat},{cz}")),
            ("minzoom", meta.minzoom.to_string()),
            ("maxzoom", meta.maxzoom.to_string()),
            ("type", "overlay".to_string()),
            ("description", string_of(&meta.json, "description")),
            ("attribution", string_of(&meta.json, "attribution")),
            ("version", "1".to_string()),
            ("json", serde_json::Value::Object(json).to_string()),
        ];
        let write = || -> rusqlite::Result<()> {
            let mut st = self
                .db
                .prepare("INSERT INTO metadata (name, value) VALUES (?1, ?2)")?;
            for (k, v) in &rows {
                st.execute(params![k, v])?;
            }
            drop(st);
            self.db.execute_batch("COMMIT;")?;
            Ok(())
        };
        write().map_err(|e| self.err(e))?;
        let path = self.path.clone();
        self.db
            .close()
            .map_err(|(_, source)| ArchiveError::Sqlite { path, source })
    }
}

fn string_of(json: &serde_json::Map<String, serde_json::Value>, key: &str) -> String {
    json.get(key)
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_string()
}
