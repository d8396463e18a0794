//! Deciding how each file is read: its format, its layer (by `riskmap.toml` or by name),
//! its CRS, encoding, sheet, header row and column renames; then, as a file is read,
//! the context its features are built in.

use std::path::{Path, PathBuf};

use encoding_rs::Encoding;

use crate::crs::Crs;
use crate::model::LayerKind;
use crate::substances::SubstanceTable;

use super::fields::Resolver;
use super::manifest::{self, MANIFEST_FILE, Manifest};
use super::report::{FileStatus, FileSummary, Issue, IssueCode, Sink};
use super::{FileOptions, LoadError, LoadOptions, text};

/// The file formats read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileFormat {
    /// `.geojson`, `.json`
    GeoJson,
    /// `.csv`, `.tsv`
    Csv,
    /// `.xlsx`, `.xlsm`, `.xls`, `.ods`
    Workbook,
    /// `.shp` with `.dbf` (and `.shx`, `.prj`, `.cpg`)
    Shapefile,
    /// `.fgb`
    FlatGeobuf,
    /// `.parquet`, `.geoparquet`
    GeoParquet,
}

impl FileFormat {
    /// The format of a file, by extension.
    pub fn from_path(path: &Path) -> Option<FileFormat> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "geojson" | "json" => FileFormat::GeoJson,
            "csv" | "tsv" => FileFormat::Csv,
            "xlsx" | "xlsm" | "xls" | "ods" => FileFormat::Workbook,
            "shp" => FileFormat::Shapefile,
            "fgb" => FileFormat::FlatGeobuf,
            "parquet" | "geoparquet" => FileFormat::GeoParquet,
            _ => return None,
        })
    }

    /// The name in reports.
    pub fn name(self) -> &'static str {
        match self {
            FileFormat::GeoJson => "geojson",
            FileFormat::Csv => "csv",
            FileFormat::Workbook => "xlsx",
            FileFormat::Shapefile => "shapefile",
            FileFormat::FlatGeobuf => "flatgeobuf",
            FileFormat::GeoParquet => "geoparquet",
        }
    }
}

/// A CRS for a file and where it came from.
#[derive(Debug, Clone)]
pub(super) enum CrsSpec {
    Given(Crs, &'static str),
    Text(String, &'static str),
}

/// A file to load and how.
#[derive(Debug, Clone)]
pub(super) struct Plan {
    pub path: PathBuf,
    pub rel: String,
    pub layer: LayerKind,
    pub format: FileFormat,
    pub crs: Option<CrsSpec>,
    pub encoding: Option<(&'static Encoding, &'static str)>,
    pub sheet: Option<String>,
    pub header_row: Option<u32>,
    pub columns: Vec<(String, String)>,
}

impl Plan {
    /// The plan for a single file given by path, read into `layer` with `file_opts`.
    pub fn for_file(
        path: &Path,
        layer: LayerKind,
        file_opts: &FileOptions,
    ) -> Result<Plan, LoadError> {
        let rel = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        if let Err(source) = std::fs::metadata(path) {
            return Err(LoadError::Io { file: rel, source });
        }
        let format = FileFormat::from_path(path)
            .ok_or_else(|| LoadError::UnsupportedFormat { file: rel.clone() })?;
        Ok(Plan {
            path: path.to_path_buf(),
            rel,
            layer,
            format,
            crs: file_opts
                .crs
                .clone()
                .map(|c| CrsSpec::Given(c, "file options")),
            encoding: file_opts.encoding.map(|e| (e, "file options")),
            sheet: file_opts.sheet.clone(),
            header_row: file_opts.header_row,
            columns: file_opts.columns.clone(),
        })
    }

    /// The summary of this file when it could not be read at all.
    pub fn skipped(&self, e: &LoadError) -> FileSummary {
        let mut s = FileSummary::new(&self.rel, Some(self.layer), FileStatus::Skipped);
        s.format = Some(self.format.name().into());
        s.note = Some(e.to_string());
        s
    }
}

/// The plans for a directory's files, in layer order then by name, and the summaries of
/// the files that are not loaded. Issues about the manifest's settings go to `head`.
pub(super) fn plan_dir(
    files: &[(PathBuf, String)],
    manifest: &Manifest,
    opts: &LoadOptions,
    head: &mut Sink,
) -> Result<(Vec<Plan>, Vec<FileSummary>), LoadError> {
    let mut plans = Vec::new();
    let mut ignored = Vec::new();
    for (path, rel) in files {
        match plan_for(path, rel, manifest, opts, head)? {
            Ok(p) => plans.push(p),
            Err(note) => {
                let mut s = FileSummary::new(rel, None, FileStatus::Ignored);
                s.note = Some(note);
                ignored.push(s);
            }
        }
    }
    plans.sort_by(|a, b| {
        let order = |l: LayerKind| LayerKind::INPUTS.iter().position(|k| *k == l);
        (order(a.layer), &a.rel).cmp(&(order(b.layer), &b.rel))
    });
    for p in &plans {
        if let Some(e) = manifest.entry_for(&p.rel) {
            for i in manifest::check_columns(e, p.layer, MANIFEST_FILE) {
                head.push(i)?;
            }
        }
    }
    Ok((plans, ignored))
}

/// The layer a path belongs to by name: its stem (`houses.csv`, `自建房.shp`) or, for a
/// file in a folder, the top folder's name (`houses/part-001.geojson`).
pub(super) fn layer_by_name(rel: &str) -> Option<LayerKind> {
    let mut parts = rel.split('/');
    let first = parts.next()?;
    if parts.next().is_some() {
        return LayerKind::parse(first);
    }
    let stem = first.rsplit_once('.').map(|(s, _)| s).unwrap_or(first);
    LayerKind::parse(stem)
}

/// The plan for a file, or why it is ignored.
fn plan_for(
    path: &Path,
    rel: &str,
    manifest: &Manifest,
    opts: &LoadOptions,
    head: &mut Sink,
) -> Result<Result<Plan, String>, LoadError> {
    let entry = manifest.entry_for(rel);
    if entry.is_some_and(|e| e.ignore) {
        return Ok(Err("ignored by riskmap.toml".into()));
    }
    let Some(layer) = entry.and_then(|e| e.layer).or_else(|| layer_by_name(rel)) else {
        return Ok(Err(
            "belongs to no layer: name it after a layer (enterprises, 企业, …) or map it in riskmap.toml".into(),
        ));
    };
    let Some(format) = FileFormat::from_path(path) else {
        head.push(Issue::file_warning(
            rel,
            Some(layer),
            IssueCode::UnsupportedFormat,
            None,
            None,
            format!(
                "named for layer {layer} but not a format RiskMap reads (.geojson, .json, .csv, \
                 .xlsx, .xls, .shp, .fgb); not loaded"
            ),
        ))?;
        return Ok(Err("unsupported file format".into()));
    };
    let crs = match (&opts.crs, entry.and_then(|e| e.crs.clone()), &manifest.crs) {
        (Some(c), _, _) => Some(CrsSpec::Given(c.clone(), "options")),
        (None, Some(t), _) => Some(CrsSpec::Text(t, "riskmap.toml")),
        (None, None, Some(t)) => Some(CrsSpec::Text(t.clone(), "riskmap.toml default")),
        (None, None, None) => None,
    };
    let label = entry
        .and_then(|e| e.encoding.clone())
        .or_else(|| manifest.encoding.clone());
    let encoding = match (opts.encoding, label) {
        (Some(e), _) => Some((e, "forced by options")),
        (None, Some(l)) => match text::from_label(&l) {
            Some(e) => Some((e, "riskmap.toml")),
            None => {
                head.push(Issue::file_warning(
                    rel,
                    Some(layer),
                    IssueCode::UnknownEncoding,
                    None,
                    None,
                    format!(
                        "riskmap.toml gives encoding {l:?}, which is not known (use e.g. \"gbk\" or \"utf-8\"); the encoding was detected"
                    ),
                ))?;
                None
            }
        },
        (None, None) => None,
    };
    Ok(Ok(Plan {
        path: path.to_path_buf(),
        rel: rel.to_string(),
        layer,
        format,
        crs,
        encoding,
        sheet: entry.and_then(|e| e.sheet.clone()),
        header_row: entry.and_then(|e| e.header_row),
        columns: entry.map(|e| e.columns.clone()).unwrap_or_default(),
    }))
}

/// The CRS of a file: the plan's (options, manifest), else the file's own, else WGS84.
pub(super) fn choose_crs(
    plan: &Plan,
    own: Option<(String, &'static str)>,
) -> Result<(Crs, String), LoadError> {
    let parse = |text: &str, origin: &'static str| {
        // (a .prj is WKT; one holding a code alone, `EPSG:4549`, is read as a code)
        let parsed = if origin == ".prj" && text.contains('[') {
            Crs::from_prj(text)
        } else {
            Crs::parse(text)
        };
        parsed.map_err(|source| LoadError::Crs {
            file: plan.rel.clone(),
            given: text.chars().take(120).collect(),
            origin: origin.into(),
            source: Box::new(source),
        })
    };
    let (crs, origin) = match (&plan.crs, own) {
        (Some(CrsSpec::Given(c, o)), _) => (c.clone(), *o),
        (Some(CrsSpec::Text(t, o)), _) => (parse(t, o)?, *o),
        (None, Some((t, o))) => (parse(&t, o)?, o),
        (None, None) => (Crs::Wgs84, "default"),
    };
    let d = format!("{crs} ({origin})");
    Ok((crs, d))
}

/// What the per-feature pass needs to know about the file.
#[derive(Clone, Copy)]
pub(super) struct FileCtx<'a> {
    pub rel: &'a str,
    /// `rel` as every feature's [`crate::model::SourceRef`] names it.
    pub source: crate::model::SourceFile,
    pub stem: &'a str,
    pub layer: LayerKind,
    pub crs: &'a Crs,
    pub resolver: &'a Resolver,
    /// Per field of the layer: whether the file has no column for it (tables only).
    pub absent: &'a [bool],
    pub substances: &'a SubstanceTable,
    /// Words of this data for the stages of the hidden hazards' loop (`[statuses]`).
    pub statuses: &'a [(String, crate::model::HiddenHazardStatus)],
}
