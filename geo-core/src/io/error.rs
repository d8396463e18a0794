//! Why loading stopped.

use std::path::PathBuf;

use crate::crs::CrsError;
use crate::model::LayerKind;

use super::report::{Issue, IssueCode, Position};

/// Why a directory or file could not be loaded.
///
/// Without [`super::LoadOptions::strict`] only the directory itself and a broken
/// `riskmap.toml` stop loading: a file-level error is recorded in the report (its
/// [`LoadError::code`]) and the file is skipped. In strict mode the first problem of any
/// kind is returned, the feature-level ones as [`LoadError::Invalid`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The data directory does not exist or cannot be listed.
    #[error("data directory {}: {source}", path.display())]
    Dir {
        /// The directory.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The path given as a data directory is a file.
    #[error(
        "{}: a file, not a data directory: give the folder that holds the layer files \
         (enterprises, hazard_sources, gas_pipelines, houses, protection_targets, areas)",
        path.display()
    )]
    NotADirectory {
        /// The path.
        path: PathBuf,
    },
    /// The data directory holds no file that belongs to a layer: nothing to load.
    #[error(
        "{}: no layer files found: name files after a layer (enterprises, hazard_sources, \
         gas_pipelines, houses, protection_targets, areas; .geojson, .csv, .xlsx, .shp, .fgb or \
         .parquet) or \
         map them in riskmap.toml{}",
        path.display(),
        if ignored.is_empty() { String::new() } else { format!("; ignored: {}", ignored.join(", ")) }
    )]
    NoLayerFiles {
        /// The directory.
        path: PathBuf,
        /// The files that were there but belong to no layer (at most ten).
        ignored: Vec<String>,
    },
    /// A file could not be read from disk.
    #[error("{file}: cannot read the file: {source}")]
    Io {
        /// The file.
        file: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A GeoJSON file is not well-formed JSON, or its structure is not GeoJSON's (a
    /// coordinate that is a string): the features after that point cannot be read.
    #[error(
        "{file}, line {line}, column {column}: broken JSON, the file's remaining features \
         cannot be read: {source}"
    )]
    Json {
        /// The file.
        file: String,
        /// One-based line of the error.
        line: u64,
        /// One-based column of the error.
        column: u64,
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },
    /// Well-formed JSON that is neither a GeoJSON FeatureCollection nor a Feature.
    #[error("{file}: not a GeoJSON FeatureCollection or Feature: {message}")]
    NotGeoJson {
        /// The file.
        file: String,
        /// What was found instead.
        message: String,
    },
    /// A CSV file that cannot be parsed.
    #[error("{file}, line {line}: broken CSV: {source}")]
    Csv {
        /// The file.
        file: String,
        /// One-based line where parsing failed.
        line: u64,
        /// The parser's error.
        #[source]
        source: csv::Error,
    },
    /// A CSV file with a quoted field that never closes: every row after it would be read
    /// as part of that field.
    #[error(
        "{file}, line {line}: broken CSV: a quoted field opens here and never closes, so the \
         file's remaining rows cannot be read"
    )]
    CsvQuote {
        /// The file.
        file: String,
        /// One-based line where the quote opens.
        line: u64,
    },
    /// A workbook (.xlsx, .xls, .ods) that cannot be opened or whose sheet cannot be read.
    #[error("{file}: cannot read the workbook: {source}")]
    Workbook {
        /// The file.
        file: String,
        /// The reader's error (boxed: it is large, and every loader result carries
        /// this type).
        #[source]
        source: Box<calamine::Error>,
    },
    /// The sheet named in `riskmap.toml` or [`super::FileOptions::sheet`] is not in the
    /// workbook.
    #[error("{file}: no sheet named {sheet:?}; the workbook has {available}")]
    SheetNotFound {
        /// The file.
        file: String,
        /// The sheet asked for.
        sheet: String,
        /// The sheets there are.
        available: String,
    },
    /// A shapefile (.shp, .shx, .dbf) that cannot be read.
    #[error("{file}{}: broken shapefile: {source}", .feature.map(|i| format!(", feature {i}")).unwrap_or_default())]
    Shapefile {
        /// The .shp file.
        file: String,
        /// Zero-based index of the record where reading failed, if past the header.
        feature: Option<u64>,
        /// The reader's error (boxed, as it is large).
        #[source]
        source: Box<shapefile::Error>,
    },
    /// A FlatGeobuf file (.fgb) that cannot be read.
    #[error("{file}{}: broken FlatGeobuf file: {message}", .feature.map(|i| format!(", feature {i}")).unwrap_or_default())]
    FlatGeobuf {
        /// The .fgb file.
        file: String,
        /// Zero-based index of the feature where reading failed, if past the header.
        feature: Option<u64>,
        /// What the reader found.
        message: String,
    },
    /// A GeoParquet file (.parquet) that cannot be read: not Parquet, a damaged footer,
    /// `geo` metadata that cannot be used.
    #[error("{file}{}: broken GeoParquet file: {message}", .row.map(|i| format!(", row {i}")).unwrap_or_default())]
    GeoParquet {
        /// The .parquet file.
        file: String,
        /// Zero-based row where reading failed, if past the footer.
        row: Option<u64>,
        /// What the reader found.
        message: String,
    },
    /// The coordinate reference system given for a file (manifest, options, `.prj`,
    /// GeoJSON `crs` member) is not one RiskMap can convert.
    #[error("{file}: coordinate reference system {given:?} (from {origin}): {source}")]
    Crs {
        /// The file.
        file: String,
        /// The text that named the system.
        given: String,
        /// Where it was given: `riskmap.toml`, `.prj`, `GeoJSON crs member`, `options`.
        origin: String,
        /// Why it was refused.
        #[source]
        source: Box<CrsError>,
    },
    /// A table has no geometry: neither longitude and latitude columns nor a WKT column.
    #[error(
        "{file}: no geometry columns for layer {layer}: expected 经度/纬度 (lon/lat) or a \
         WKT column (wkt, geometry, 几何); the columns are {columns}"
    )]
    MissingGeometryColumns {
        /// The file.
        file: String,
        /// The layer it was read as.
        layer: LayerKind,
        /// The header as read.
        columns: String,
    },
    /// No column of a table's header names a field of its layer: the header is not
    /// there, or is garbled (a file read in the wrong encoding), and every row would be
    /// refused for it.
    #[error(
        "{file}, {position}: no column of the header is a field of layer {layer}: it reads \
         {columns}. {hint}"
    )]
    UnknownHeader {
        /// The file.
        file: String,
        /// The line (CSV) or sheet row (workbook) taken as the header.
        position: Position,
        /// The layer it was read as.
        layer: LayerKind,
        /// The header's first names, quoted.
        columns: String,
        /// What to do: the encoding to give (a text file), or the columns to map.
        hint: String,
    },
    /// A table has no column for a field that every feature of its layer needs.
    #[error("{file}: no column for the required field {field} ({aliases}) of layer {layer}")]
    MissingRequiredColumn {
        /// The file.
        file: String,
        /// The layer it was read as.
        layer: LayerKind,
        /// The field's English name.
        field: String,
        /// The column names accepted for it.
        aliases: String,
    },
    /// `riskmap.toml` is not valid TOML or has a value of the wrong type.
    #[error("{file}, line {line}, column {column}: broken riskmap.toml: {source}")]
    Manifest {
        /// The manifest file.
        file: String,
        /// One-based line of the error.
        line: u64,
        /// One-based column of the error.
        column: u64,
        /// The parser's error (boxed, as it is large).
        #[source]
        source: Box<toml::de::Error>,
    },
    /// A file whose extension no reader knows.
    #[error(
        "{file}: unsupported file type (expected .geojson, .json, .csv, .tsv, .xlsx, .xls, .ods, \
         .shp, .fgb or .parquet)"
    )]
    UnsupportedFormat {
        /// The file.
        file: String,
    },
    /// A file of a format this build of the crate was made without (its cargo feature
    /// left out by the program that embeds it).
    #[error(
        "{file}: a {format} file, which this build does not read (built without the \
         `{feature}` feature of riskmap-core); convert it (ogr2ogr -f GeoJSON) or use a \
         build with the feature"
    )]
    FormatNotBuilt {
        /// The file.
        file: String,
        /// The format's name.
        format: &'static str,
        /// The cargo feature that reads it.
        feature: &'static str,
    },
    /// A result layer of the analysis was named where a layer is loaded from a file.
    #[error("{file}: {layer} is a result of the analysis, not a layer that can be loaded")]
    NotAnInputLayer {
        /// The file.
        file: String,
        /// The layer named.
        layer: LayerKind,
    },
    /// A path given as the data source that is neither a directory nor a store RiskMap
    /// reads (a GeoPackage).
    #[error(
        "{}: {what}, not a data directory or a GeoPackage: give the folder that holds the \
         layer files (enterprises, hazard_sources, gas_pipelines, houses, protection_targets, \
         areas) or a GeoPackage (.gpkg) of their tables",
        path.display()
    )]
    NotASource {
        /// The path.
        path: PathBuf,
        /// What it is instead (`a file`).
        what: String,
    },
    /// A store (a GeoPackage) could not be opened or its tables read.
    #[error("{source}")]
    Store {
        /// The store.
        path: PathBuf,
        /// The store's error (a `store::StoreError`), which names the store.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Strict mode: the first problem found in a feature or value (see the issue's code,
    /// position, feature id and field).
    #[error("{issue}")]
    Invalid {
        /// The problem, exactly as the report would have listed it.
        issue: Box<Issue>,
    },
}

impl LoadError {
    /// A file of a format left out of this build.
    #[cfg(not(all(feature = "geoparquet", feature = "flatgeobuf")))]
    pub(crate) fn not_built(file: &str, format: &'static str, feature: &'static str) -> Self {
        LoadError::FormatNotBuilt {
            file: file.to_string(),
            format,
            feature,
        }
    }

    /// The issue code a non-strict load records for this error.
    pub fn code(&self) -> IssueCode {
        match self {
            LoadError::Dir { .. }
            | LoadError::Io { .. }
            | LoadError::NotADirectory { .. }
            | LoadError::NotASource { .. }
            | LoadError::Store { .. } => IssueCode::UnreadableFile,
            LoadError::NoLayerFiles { .. } => IssueCode::EmptyFile,
            LoadError::Json { .. }
            | LoadError::NotGeoJson { .. }
            | LoadError::Csv { .. }
            | LoadError::CsvQuote { .. }
            | LoadError::Workbook { .. }
            | LoadError::Shapefile { .. }
            | LoadError::FlatGeobuf { .. }
            | LoadError::GeoParquet { .. }
            | LoadError::Manifest { .. } => IssueCode::BrokenFile,
            LoadError::SheetNotFound { .. } => IssueCode::SheetNotFound,
            LoadError::Crs { .. } => IssueCode::UnknownCrs,
            LoadError::MissingGeometryColumns { .. } => IssueCode::MissingGeometryColumns,
            LoadError::UnknownHeader { .. } => IssueCode::UnknownHeader,
            LoadError::MissingRequiredColumn { .. } => IssueCode::MissingRequiredColumn,
            LoadError::UnsupportedFormat { .. } | LoadError::FormatNotBuilt { .. } => {
                IssueCode::UnsupportedFormat
            }
            LoadError::NotAnInputLayer { .. } => IssueCode::ManifestInvalidValue,
            LoadError::Invalid { issue } => issue.code,
        }
    }

    /// Where in the file the error is, when it has a place.
    pub fn position(&self) -> Option<Position> {
        match self {
            LoadError::Json { line, column, .. } | LoadError::Manifest { line, column, .. } => {
                Some(Position::Text {
                    line: *line,
                    column: *column,
                })
            }
            LoadError::Csv { line, .. } | LoadError::CsvQuote { line, .. } => {
                Some(Position::Line(*line))
            }
            LoadError::Shapefile { feature, .. }
            | LoadError::FlatGeobuf { feature, .. }
            | LoadError::GeoParquet { row: feature, .. } => feature.map(Position::Feature),
            LoadError::UnknownHeader { position, .. } => Some(*position),
            LoadError::Invalid { issue } => issue.position,
            _ => None,
        }
    }

    /// The report entry of a file skipped for this error: the message carries the whole
    /// chain of causes.
    pub(crate) fn to_issue(&self, file: &str, layer: Option<LayerKind>) -> Issue {
        if let LoadError::Invalid { issue } = self {
            return (**issue).clone();
        }
        let mut message = self.to_string();
        let mut src = std::error::Error::source(self);
        // thiserror puts the direct source in the message already; deeper causes are
        // appended so nothing of the explanation is lost.
        if let Some(s) = src {
            src = s.source();
        }
        while let Some(s) = src {
            message.push_str(": ");
            message.push_str(&s.to_string());
            src = s.source();
        }
        message.push_str(" — the file was skipped");
        Issue {
            severity: super::report::Severity::Skipped,
            code: self.code(),
            file: file.to_string(),
            layer,
            position: self.position(),
            feature_id: None,
            field: None,
            message,
        }
    }
}
