//! How to load: options for a whole load ([`LoadOptions`]), settings for one file
//! ([`FileOptions`]) and the progress reported on the way ([`LoadProgress`]).

use std::fmt;
use std::sync::Arc;

use encoding_rs::Encoding;

use crate::crs::Crs;
use crate::model::LayerKind;
use crate::substances::SubstanceTable;

/// A progress callback; called from worker threads.
pub type ProgressFn = Arc<dyn Fn(LoadProgress) + Send + Sync>;

/// What loading is doing, for a progress bar.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum LoadProgress {
    /// A file is being read.
    FileStarted {
        /// The file, relative to the data directory.
        file: String,
        /// Its layer.
        layer: LayerKind,
        /// Files in this load.
        total: usize,
    },
    /// A file has been read.
    FileDone {
        /// The file, relative to the data directory.
        file: String,
        /// Its layer.
        layer: LayerKind,
        /// Features kept from it (before duplicate ids across files are removed).
        features: usize,
        /// Issues found in it.
        issues: usize,
        /// Files in this load.
        total: usize,
    },
    /// Every file is read; the layers' R-trees are being built.
    Indexing,
}

/// The form in which the loaders read a ledger's fields. Raise it with every change
/// that makes a ledger read otherwise (a field parsed, normalised or defaulted
/// otherwise, a property added to or dropped from a feature): a folder's trail then
/// knows that the differences it finds at the next start may be the reading's
/// ([`LoadOptions::reading`]). The crate's version alone would not say it: it changes
/// at releases, not with the loaders.
pub const READING_FORMAT: u32 = 2;

/// How to load.
#[derive(Clone)]
pub struct LoadOptions {
    /// Return the first problem as an error instead of reporting it and going on.
    pub strict: bool,
    /// Text encoding for every CSV, GeoJSON and .dbf file, overriding `riskmap.toml`,
    /// `.cpg` files and detection.
    pub encoding: Option<&'static Encoding>,
    /// Coordinate reference system for every file, overriding `riskmap.toml`, `.prj`
    /// files and GeoJSON `crs` members.
    pub crs: Option<Crs>,
    /// Substances and categories that hazard-source inventories are checked against.
    pub substances: SubstanceTable,
    /// Words the ledgers use for the stages of the hidden hazards' closed loop, beside
    /// the standard ones (the lifecycle's words vary by province); a folder's
    /// `riskmap.toml` adds its `[statuses]`.
    pub hidden_statuses: Vec<(String, crate::model::HiddenHazardStatus)>,
    /// Called as files are read.
    pub progress: Option<ProgressFn>,
}

impl LoadOptions {
    /// How these options read the ledgers, in words: the loaders' form
    /// ([`READING_FORMAT`]) and version, the encoding and coordinate system imposed on
    /// every file, the extra words for the hidden hazards' stages given with the options
    /// (a folder's own `[statuses]` are in its `riskmap.toml`, whose save dates them). A
    /// trail compares it with the reading it last took in: features that read otherwise
    /// under another reading are not the office's changes.
    pub fn reading(&self) -> String {
        let by_file = || "each file's own".to_string();
        let words: Vec<String> = self
            .hidden_statuses
            .iter()
            .map(|(w, s)| format!("{w}={s:?}"))
            .collect();
        format!(
            "riskmap-core {} (reading form {READING_FORMAT}); encoding {}; coordinates {}; \
             stage words [{}]",
            env!("CARGO_PKG_VERSION"),
            self.encoding.map_or_else(by_file, |e| e.name().to_string()),
            self.crs.as_ref().map_or_else(by_file, |c| c.to_string()),
            words.join(", ")
        )
    }

    /// These options with the data's own words for the hidden hazards' stages beside the
    /// run's (a folder's `[statuses]`, a store's `riskmap_status_words`); themselves when
    /// the data names none.
    pub fn with_statuses(
        &self,
        words: &[(String, crate::model::HiddenHazardStatus)],
    ) -> std::borrow::Cow<'_, LoadOptions> {
        if words.is_empty() {
            return std::borrow::Cow::Borrowed(self);
        }
        let mut o = self.clone();
        o.hidden_statuses.extend(words.iter().cloned());
        std::borrow::Cow::Owned(o)
    }
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            strict: false,
            encoding: None,
            crs: None,
            substances: SubstanceTable::builtin(),
            hidden_statuses: Vec::new(),
            progress: None,
        }
    }
}

impl fmt::Debug for LoadOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoadOptions")
            .field("strict", &self.strict)
            .field("encoding", &self.encoding.map(|e| e.name()))
            .field("crs", &self.crs)
            .field("substances", &self.substances.substances().len())
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

/// Settings for one file, as `riskmap.toml` gives them in a directory.
#[derive(Debug, Clone, Default)]
pub struct FileOptions {
    /// The file's CRS (else its `.prj` or GeoJSON `crs` member, else WGS84).
    pub crs: Option<Crs>,
    /// The file's text encoding (else detected).
    pub encoding: Option<&'static Encoding>,
    /// The worksheet to read (else the first).
    pub sheet: Option<String>,
    /// The line (CSV) or sheet row (workbooks) of the header, from 1 (else found).
    pub header_row: Option<u32>,
    /// Column renames: (name in the file, field name or alias).
    pub columns: Vec<(String, String)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each option that changes how a ledger's fields read changes the reading's words;
    /// a progress callback or `--strict` (which only stops at a problem) does not.
    #[test]
    fn the_reading_names_what_changes_how_the_ledgers_read() {
        let plain = LoadOptions::default();
        let gbk = LoadOptions {
            encoding: Some(encoding_rs::GBK),
            ..LoadOptions::default()
        };
        let zone = LoadOptions {
            crs: Some(Crs::parse("EPSG:4549").unwrap()),
            ..LoadOptions::default()
        };
        let words = plain.with_statuses(&[(
            "已销号".to_string(),
            crate::model::HiddenHazardStatus::Closed,
        )]);
        let strict = LoadOptions {
            strict: true,
            ..LoadOptions::default()
        };
        let r = plain.reading();
        assert!(r.starts_with(&format!(
            "riskmap-core {} (reading form {READING_FORMAT})",
            env!("CARGO_PKG_VERSION")
        )));
        assert!(gbk.reading().contains("encoding GBK"), "{}", gbk.reading());
        assert!(zone.reading().contains("EPSG:4549"), "{}", zone.reading());
        assert!(words.reading().contains("已销号"), "{}", words.reading());
        assert_eq!(strict.reading(), r);
    }
}
