//! Stores: the ledgers of every input layer kept in one place, by feature id.
//!
//! A data folder holds each ledger as the file a district sent (CSV, Excel, GeoJSON,
//! Shapefile); a store holds the seven input layers together, one table per layer, one row
//! per feature keyed by its `id`, so that a new delivery of the ledgers updates the rows
//! that changed and leaves the rest alone, and desktop GIS can open and edit the same
//! data. The first store is a GeoPackage ([`gpkg`], the OGC format on SQLite that QGIS
//! and GDAL read and write); the PostGIS store (`pg`, feature `postgis`) has the same
//! tables in a PostgreSQL database that several departments edit and several servers read.

use std::path::PathBuf;

use crate::model::LayerKind;

mod apply;
pub mod backup;
pub mod changes;
mod columns;
pub mod gpkg;
mod gpkg_read;
pub mod history;
pub mod ledger;
#[cfg(feature = "postgis")]
pub mod pg;
#[cfg(feature = "postgis")]
pub mod pg_conn;
#[cfg(feature = "postgis")]
mod pg_edit;
#[cfg(feature = "postgis")]
mod pg_load;
#[cfg(feature = "postgis")]
mod pg_read;
#[cfg(feature = "postgis")]
mod pg_results;
#[cfg(feature = "postgis")]
mod pg_schema;
#[cfg(feature = "postgis")]
mod pg_words;
pub mod results;
mod schema;
pub mod stamp;
#[cfg(test)]
mod test_support;
pub mod touched;
pub mod trail;
mod trail_read;
pub mod trail_state;
pub mod wkb;
pub mod words;

/// The prefix of the tables of results a store holds beside its ledgers (`result_…`):
/// never read as a ledger, replaced as a whole on every write of results.
pub const RESULT_PREFIX: &str = "result_";

/// The path of a file beside `path` named as it is with `end` added (`-wal`, `.lock`).
pub fn beside(path: &std::path::Path, end: &str) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(end);
    PathBuf::from(p)
}

/// What one import did to one layer's table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct LayerCounts {
    /// Features whose id was not in the table.
    pub new: usize,
    /// Features whose geometry or a field differed (rewritten, `updated_at` set).
    pub changed: usize,
    /// Rows whose id is no longer in the ledger (deleted).
    pub removed: usize,
    /// Rows left as they were.
    pub unchanged: usize,
    /// Rows the load did not hold but did not remove either ([`Kept`]): their ledger
    /// line was refused by the checks, or the layer's ledgers were not all read.
    pub kept: usize,
}

/// What an update by id leaves in a store though the load does not hold it: a row the
/// checks refused is not a row the office removed, and a layer whose ledger is missing
/// or could not be read has lost nothing.
#[derive(Debug, Clone, Default)]
pub struct Kept {
    /// Layers that were not read whole (no ledger of the layer loaded, or one of its
    /// files skipped as a whole): none of their rows is removed.
    pub not_read_whole: std::collections::BTreeSet<LayerKind>,
    /// Per layer, the ids of the ledger lines the checks refused.
    pub refused: std::collections::HashMap<LayerKind, std::collections::HashSet<String>>,
}

impl Kept {
    /// What a load's validation report says is kept: the layers whose files were not all
    /// loaded, or not to their end (a file cut short: what lay past the cut is not
    /// known; a file of no layer does not count), and the ids of the lines it skipped.
    pub fn of_report(report: &crate::io::ValidationReport) -> Kept {
        use crate::io::{FileStatus, Severity};
        let mut kept = Kept::default();
        let cut = report.cut_files();
        for kind in LayerKind::INPUTS {
            let files: Vec<_> = report
                .files
                .iter()
                .filter(|f| f.layer == Some(kind) && f.status != FileStatus::Ignored)
                .collect();
            if files.is_empty()
                || files
                    .iter()
                    .any(|f| f.status == FileStatus::Skipped || cut.contains(f.file.as_str()))
            {
                kept.not_read_whole.insert(kind);
            }
        }
        for i in &report.issues {
            if let (Severity::Skipped, Some(layer), Some(id)) =
                (i.severity, i.layer, i.feature_id.as_deref())
            {
                kept.refused
                    .entry(layer)
                    .or_default()
                    .insert(id.to_string());
            }
        }
        kept
    }

    /// Whether a row of `kind` with `id` that the load does not hold stays.
    pub fn keeps(&self, kind: LayerKind, id: &str) -> bool {
        self.not_read_whole.contains(&kind)
            || self.refused.get(&kind).is_some_and(|ids| ids.contains(id))
    }
}

/// What one import did, per input layer (in [`LayerKind::INPUTS`] order).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportCounts {
    /// One entry per input layer.
    pub layers: Vec<(LayerKind, LayerCounts)>,
}

impl ImportCounts {
    /// The counts of one layer (zero if it was not written).
    pub fn get(&self, kind: LayerKind) -> LayerCounts {
        self.layers
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, c)| *c)
            .unwrap_or_default()
    }
}

/// Why a store could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed (open, query, write, disk full …).
    #[error("{path}: {source}")]
    Sqlite {
        /// The store's path.
        path: PathBuf,
        /// Cause.
        #[source]
        source: rusqlite::Error,
    },
    /// The file is SQLite but not a GeoPackage, or not SQLite at all.
    #[error("{path}: not a GeoPackage: {reason}")]
    NotGeoPackage {
        /// The file.
        path: PathBuf,
        /// What is missing.
        reason: String,
    },
    /// A table lacks a column the store needs.
    #[error("{path}: table {table}: {reason}")]
    Table {
        /// The file.
        path: PathBuf,
        /// The table.
        table: String,
        /// What is wrong.
        reason: String,
    },
    /// A geometry blob could not be decoded.
    #[error("{path}: table {table}, id {id:?}, column {column}: {source}")]
    Geometry {
        /// The file.
        path: PathBuf,
        /// The table.
        table: String,
        /// The row's id.
        id: String,
        /// The geometry column.
        column: String,
        /// Cause.
        #[source]
        source: wkb::GeomError,
    },
    /// A value does not fit the ledger field.
    #[error("{path}: table {table}, id {id:?}, column {column}: {reason}")]
    Field {
        /// The file.
        path: PathBuf,
        /// The table.
        table: String,
        /// The row's id.
        id: String,
        /// The column.
        column: String,
        /// What is wrong.
        reason: String,
    },
    /// Two features of a layer have the same id, so they cannot be told apart by id.
    #[error("{path}: table {table}: id {id:?} appears more than once in the ledger")]
    DuplicateId {
        /// The file.
        path: PathBuf,
        /// The table.
        table: String,
        /// The repeated id.
        id: String,
    },
    /// A PostgreSQL statement failed (connection refused, permission, constraint …).
    #[cfg(feature = "postgis")]
    #[error("{db}: {context}: {}", pg_cause(source))]
    Postgres {
        /// The database, without its password.
        db: String,
        /// What was being done.
        context: &'static str,
        /// Cause.
        #[source]
        source: tokio_postgres::Error,
    },
    /// The GeoPackage was written by another program (QGIS, GDAL, a second import) after
    /// the state the edits were checked against was read: nothing was written.
    #[error(
        "{path}: changed by another program since the map served from it was read; \
         nothing was written"
    )]
    ChangedElsewhere {
        /// The store's path.
        path: PathBuf,
    },
    /// A file beside the store is in the way or could not be written (a backup's).
    #[error("{path}: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The database's schema or the ledgers do not fit the store.
    #[error("{db}: {reason}")]
    Database {
        /// The database, without its password.
        db: String,
        /// What is wrong.
        reason: String,
    },
}

/// What PostgreSQL said, for a message: the server's own words (severity, message,
/// detail, hint: a constraint's name is in them) where the error came from the server,
/// whose driver error alone says only "db error"; the driver's words otherwise, with
/// their causes ("error connecting to server: Connection refused (os error 111)").
#[cfg(feature = "postgis")]
pub fn pg_cause(e: &tokio_postgres::Error) -> String {
    let Some(d) = e.as_db_error() else {
        let mut s = e.to_string();
        let mut cause = std::error::Error::source(e);
        while let Some(c) = cause {
            let t = c.to_string();
            if !s.contains(&t) {
                s.push_str(": ");
                s.push_str(&t);
            }
            cause = c.source();
        }
        return s;
    };
    let mut s = format!("{}: {}", d.severity(), d.message());
    if let Some(x) = d.detail() {
        s.push_str(&format!(" ({x})"));
    }
    if let Some(h) = d.hint() {
        s.push_str(&format!("; hint: {h}"));
    }
    s
}
