//! Loading ledgers: GeoJSON, CSV, Excel and Shapefile files into typed, indexed layers,
//! with a validation report.
//!
//! A data directory holds one file per layer named after it (`enterprises.csv`,
//! `houses.geojson`, or the Chinese `企业.xlsx`, `自建房.shp`), or a folder per layer
//! holding several files (`houses/part-001.geojson`, read in parallel), and optionally a
//! `riskmap.toml` that maps any other file name to a layer and gives its CRS, encoding,
//! sheet and column renames. `docs/data-model.md` lists every field, its Chinese
//! aliases, the value vocabularies, the inventory syntax and the issue codes.
//!
//! Every coordinate is converted to WGS84 longitude/latitude. Nothing is dropped
//! silently: each skipped or repaired feature, each value left empty and each file
//! ignored appears in the [`ValidationReport`]. With [`LoadOptions::strict`] the first
//! problem is returned as a [`LoadError`] instead.
//!
//! ```no_run
//! use riskmap_core::io::{load_dir, LoadOptions};
//! let loaded = load_dir(std::path::Path::new("data/haimen"), &LoadOptions::default())?;
//! println!("{} houses; {} features skipped", loaded.dataset.houses.len(), loaded.report.skipped_count());
//! std::fs::write("report.md", loaded.report.to_markdown())?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;
mod fields;
mod geojson;
mod geom;
mod manifest;
mod props;
mod report;
mod shp;
mod table;
mod text;

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use encoding_rs::Encoding;
use rayon::prelude::*;

use crate::crs::Crs;
use crate::dataset::{Dataset, Layer};
use crate::model::{
    Area, Enterprise, Feature, GasPipeline, HazardSource, House, LayerKind, ProtectionTarget,
    SourceRef,
};
use crate::substances::SubstanceTable;

pub use error::LoadError;
pub use manifest::MANIFEST_FILE;
pub use props::LayerProps;
pub use report::{FileStatus, FileSummary, Issue, IssueCode, Position, Severity, ValidationReport};

use fields::{KeyMemo, Resolver, Slot, Value};
use geom::GeomInput;
use props::{Cell, FeatureCx};
use report::Sink;

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
    /// Called as files are read.
    pub progress: Option<ProgressFn>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            strict: false,
            encoding: None,
            crs: None,
            substances: SubstanceTable::builtin(),
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
        }
    }
}

/// A loaded directory: the dataset and what was found on the way.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The six layers, indexed.
    pub dataset: Dataset,
    /// Files read, ignored or skipped, and every issue.
    pub report: ValidationReport,
}

/// A loaded file: its features and the report.
#[derive(Debug, Clone)]
pub struct LoadedFile<P> {
    /// Features in file order, without the skipped ones.
    pub features: Vec<Feature<P>>,
    /// The file's summary and issues.
    pub report: ValidationReport,
}

/// A feature as a reader found it, before fields are resolved and checked.
#[derive(Debug)]
pub(crate) struct RawFeature<'a> {
    pub position: Position,
    /// The id a format carries apart from the properties (GeoJSON `id`).
    pub id: Option<Cow<'a, str>>,
    pub geom: GeomInput,
    pub props: Vec<(Cow<'a, str>, Value<'a>)>,
}

/// A CRS for a file and where it came from.
#[derive(Debug, Clone)]
enum CrsSpec {
    Given(Crs, &'static str),
    Text(String, &'static str),
}

/// A file to load and how.
#[derive(Debug, Clone)]
struct Plan {
    path: PathBuf,
    rel: String,
    layer: LayerKind,
    format: FileFormat,
    crs: Option<CrsSpec>,
    encoding: Option<(&'static Encoding, &'static str)>,
    sheet: Option<String>,
    header_row: Option<u32>,
    columns: Vec<(String, String)>,
}

/// Features with their positions, kept apart so that the features move into their
/// layer without another copy (a million houses are a quarter of a gigabyte).
struct Found<P> {
    features: Vec<Feature<P>>,
    positions: Vec<Position>,
}

impl<P> Found<P> {
    fn with_capacity(n: usize) -> Self {
        Found {
            features: Vec::with_capacity(n),
            positions: Vec::with_capacity(n),
        }
    }

    fn push(&mut self, f: Feature<P>, p: Position) {
        self.features.push(f);
        self.positions.push(p);
    }

    fn append(&mut self, other: &mut Found<P>) {
        self.features.append(&mut other.features);
        self.positions.append(&mut other.positions);
    }
}

/// What one file gave.
struct FileOut<P> {
    features: Found<P>,
    issues: Vec<Issue>,
    summary: FileSummary,
}

/// Loads one file into a layer, chosen by the properties type:
/// `load_file::<House>(path, &FileOptions::default(), &opts)`.
///
/// A file that cannot be read at all is reported as skipped (an error in strict mode);
/// a path that does not exist is an error.
pub fn load_file<P: LayerProps>(
    path: &Path,
    file_opts: &FileOptions,
    opts: &LoadOptions,
) -> Result<LoadedFile<P>, LoadError> {
    let rel = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    if let Err(source) = std::fs::metadata(path) {
        return Err(LoadError::Io { file: rel, source });
    }
    let format = FileFormat::from_path(path)
        .ok_or_else(|| LoadError::UnsupportedFormat { file: rel.clone() })?;
    let plan = Plan {
        path: path.to_path_buf(),
        rel: rel.clone(),
        layer: P::KIND,
        format,
        crs: file_opts
            .crs
            .clone()
            .map(|c| CrsSpec::Given(c, "file options")),
        encoding: file_opts.encoding.map(|e| (e, "file options")),
        sheet: file_opts.sheet.clone(),
        header_row: file_opts.header_row,
        columns: file_opts.columns.clone(),
    };
    let mut report = ValidationReport::default();
    let out = match load_one::<P>(&plan, opts) {
        Ok(out) => out,
        Err(e) if opts.strict => return Err(e),
        Err(e) => {
            report.issues.push(e.to_issue(&rel, Some(P::KIND)));
            let mut s = FileSummary::new(&rel, Some(P::KIND), FileStatus::Skipped);
            s.format = Some(format.name().into());
            s.note = Some(e.to_string());
            report.files.push(s);
            return Ok(LoadedFile {
                features: Vec::new(),
                report,
            });
        }
    };
    let mut issues = vec![out.issues];
    let mut summaries = vec![out.summary];
    let kept = dedupe(
        vec![(0, out.features)],
        &[rel],
        &mut issues,
        &mut summaries,
        opts.strict,
    )?;
    report.files = summaries;
    report.issues = issues.into_iter().flatten().collect();
    Ok(LoadedFile {
        features: kept.found.features,
        report,
    })
}

/// Loads one file into the named layer of an otherwise empty dataset.
pub fn load_file_as(
    path: &Path,
    layer: LayerKind,
    file_opts: &FileOptions,
    opts: &LoadOptions,
) -> Result<Loaded, LoadError> {
    let mut dataset = Dataset::default();
    macro_rules! one {
        ($t:ty, $field:ident) => {{
            let f = load_file::<$t>(path, file_opts, opts)?;
            dataset.$field = Layer::new(layer, f.features);
            f.report
        }};
    }
    let report = match layer {
        LayerKind::Enterprises => one!(Enterprise, enterprises),
        LayerKind::HazardSources => one!(HazardSource, hazard_sources),
        LayerKind::GasPipelines => one!(GasPipeline, gas_pipelines),
        LayerKind::Houses => one!(House, houses),
        LayerKind::ProtectionTargets => one!(ProtectionTarget, protection_targets),
        LayerKind::Areas => one!(Area, areas),
        LayerKind::HazardGrades
        | LayerKind::ProtectionConflicts
        | LayerKind::PipelineConflicts
        | LayerKind::HouseRisk
        | LayerKind::EnterpriseRisk
        | LayerKind::RiskGrid => {
            return Err(LoadError::NotAnInputLayer {
                file: path.display().to_string(),
                layer,
            });
        }
    };
    Ok(Loaded { dataset, report })
}

/// Shapefile parts other than the .shp: not listed as ignored when their .shp is there.
const SIDECARS: &[&str] = &[
    "dbf", "shx", "prj", "cpg", "sbn", "sbx", "qix", "fbn", "fbx", "ain", "aih", "atx", "ixs",
    "mxs", "qmd", "qpj", "xml",
];

/// Loads a data directory (see the module documentation for its layout).
pub fn load_dir(dir: &Path, opts: &LoadOptions) -> Result<Loaded, LoadError> {
    let started = Instant::now();
    let mut report = ValidationReport::default();
    let manifest = match std::fs::read(dir.join(MANIFEST_FILE)) {
        Ok(bytes) => {
            let decoded = text::decode(&bytes, None);
            manifest::parse(&decoded.text, MANIFEST_FILE)?
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => manifest::Manifest::default(),
        Err(source) => {
            return Err(LoadError::Io {
                file: MANIFEST_FILE.into(),
                source,
            });
        }
    };
    let mut head = Sink::new(opts.strict);
    for i in manifest.issues.iter().cloned() {
        head.push(i)?;
    }
    let mut files = Vec::new();
    walk(dir, &mut files).map_err(|source| LoadError::Dir {
        path: dir.to_path_buf(),
        source,
    })?;
    files.sort();
    let rels: Vec<String> = files.iter().map(|p| rel_path(dir, p)).collect();
    let present: HashSet<&str> = rels.iter().map(String::as_str).collect();
    // Paths named in the manifest that are not there: likely a typo or a moved file.
    for e in &manifest.files {
        let is_dir = dir.join(&e.path).is_dir();
        if !is_dir && !present.contains(e.path.as_str()) {
            head.push(Issue {
                severity: Severity::Warning,
                code: IssueCode::ManifestMissingFile,
                file: MANIFEST_FILE.into(),
                layer: e.layer,
                position: None,
                feature_id: None,
                field: Some(format!("files.{}", e.path)),
                message: format!(
                    "{:?} is not in the data directory; the entry was not used",
                    e.path
                ),
            })?;
        }
    }
    let shp_stems: HashSet<String> = rels
        .iter()
        .filter(|r| r.to_ascii_lowercase().ends_with(".shp"))
        .map(|r| r[..r.len() - 4].to_string())
        .collect();
    let mut plans = Vec::new();
    let mut ignored = Vec::new();
    for (path, rel) in files.iter().zip(&rels) {
        if rel == MANIFEST_FILE {
            continue;
        }
        if let Some((stem, ext)) = rel.rsplit_once('.')
            && SIDECARS.contains(&ext.to_ascii_lowercase().as_str())
            && (shp_stems.contains(stem)
                || stem.to_ascii_lowercase().ends_with(".shp")
                    && shp_stems.contains(&stem[..stem.len() - 4]))
        {
            continue;
        }
        match plan_for(path, rel, &manifest, opts, &mut head)? {
            Ok(p) => plans.push(p),
            Err(note) => {
                let mut s = FileSummary::new(rel, None, FileStatus::Ignored);
                s.note = Some(note);
                ignored.push(s);
            }
        }
    }
    plans.sort_by(|a, b| {
        let order = |l: LayerKind| LayerKind::ALL.iter().position(|k| *k == l);
        (order(a.layer), &a.rel).cmp(&(order(b.layer), &b.rel))
    });
    for p in &plans {
        if let Some(e) = manifest.entry_for(&p.rel) {
            for i in manifest::check_columns(e, p.layer, MANIFEST_FILE) {
                head.push(i)?;
            }
        }
    }
    let total = plans.len();
    let results: Vec<Result<AnyOut, LoadError>> = plans
        .par_iter()
        .map(|p| {
            if let Some(cb) = &opts.progress {
                cb(LoadProgress::FileStarted {
                    file: p.rel.clone(),
                    layer: p.layer,
                    total,
                });
            }
            let r = load_any(p, opts);
            if let (Some(cb), Ok(out)) = (&opts.progress, &r) {
                cb(LoadProgress::FileDone {
                    file: p.rel.clone(),
                    layer: p.layer,
                    features: out.len(),
                    issues: out.issues_len(),
                    total,
                });
            }
            r
        })
        .collect();
    let mut acc = Acc::default();
    let mut issues: Vec<Vec<Issue>> = Vec::with_capacity(total);
    let mut summaries: Vec<FileSummary> = Vec::with_capacity(total);
    for (i, (p, r)) in plans.iter().zip(results).enumerate() {
        match r {
            Ok(out) => acc.add(i, out, &mut issues, &mut summaries),
            Err(e) if opts.strict => return Err(e),
            Err(e) => {
                issues.push(vec![e.to_issue(&p.rel, Some(p.layer))]);
                let mut s = FileSummary::new(&p.rel, Some(p.layer), FileStatus::Skipped);
                s.format = Some(p.format.name().into());
                s.note = Some(e.to_string());
                summaries.push(s);
            }
        }
    }
    if let Some(cb) = &opts.progress {
        cb(LoadProgress::Indexing);
    }
    let rels: Vec<String> = plans.iter().map(|p| p.rel.clone()).collect();
    let strict = opts.strict;
    let enterprises = dedupe(acc.enterprises, &rels, &mut issues, &mut summaries, strict)?;
    let mut hazard_sources = dedupe(
        acc.hazard_sources,
        &rels,
        &mut issues,
        &mut summaries,
        strict,
    )?;
    resolve_enterprises(
        &enterprises,
        &mut hazard_sources,
        &rels,
        &mut issues,
        strict,
    )?;
    let gas_pipelines = dedupe(
        acc.gas_pipelines,
        &rels,
        &mut issues,
        &mut summaries,
        strict,
    )?;
    let houses = dedupe(acc.houses, &rels, &mut issues, &mut summaries, strict)?;
    let protection_targets = dedupe(
        acc.protection_targets,
        &rels,
        &mut issues,
        &mut summaries,
        strict,
    )?;
    let areas = dedupe(acc.areas, &rels, &mut issues, &mut summaries, strict)?;
    // The houses layer is usually by far the largest: its R-tree is built alongside the
    // others.
    let (houses, rest) = rayon::join(
        || Layer::new(LayerKind::Houses, houses.found.features),
        || {
            (
                Layer::new(LayerKind::Areas, areas.found.features),
                Layer::new(LayerKind::Enterprises, enterprises.found.features),
                Layer::new(LayerKind::HazardSources, hazard_sources.found.features),
                Layer::new(LayerKind::GasPipelines, gas_pipelines.found.features),
                Layer::new(
                    LayerKind::ProtectionTargets,
                    protection_targets.found.features,
                ),
            )
        },
    );
    let (areas, enterprises, hazard_sources, gas_pipelines, protection_targets) = rest;
    report.issues = head.issues;
    report.issues.extend(issues.into_iter().flatten());
    report.files = summaries;
    report.files.extend(ignored);
    tracing::debug!(
        dir = %dir.display(),
        files = total,
        issues = report.issues.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "data directory loaded"
    );
    Ok(Loaded {
        dataset: Dataset {
            areas,
            enterprises,
            hazard_sources,
            gas_pipelines,
            houses,
            protection_targets,
        },
        report,
    })
}

/// Every file under `dir`, recursively.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

fn rel_path(root: &Path, p: &Path) -> String {
    p.strip_prefix(root)
        .unwrap_or(p)
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// The layer a path belongs to by name: its stem (`houses.csv`, `自建房.shp`) or, for a
/// file in a folder, the top folder's name (`houses/part-001.geojson`).
fn layer_by_name(rel: &str) -> Option<LayerKind> {
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
    manifest: &manifest::Manifest,
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
        head.push(Issue {
            severity: Severity::Warning,
            code: IssueCode::UnsupportedFormat,
            file: rel.into(),
            layer: Some(layer),
            position: None,
            feature_id: None,
            field: None,
            message: format!(
                "named for layer {layer} but not a format RiskMap reads (.geojson, .json, .csv, \
                 .xlsx, .xls, .shp); not loaded"
            ),
        })?;
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
                head.push(Issue {
                    severity: Severity::Warning,
                    code: IssueCode::UnknownEncoding,
                    file: rel.into(),
                    layer: Some(layer),
                    position: None,
                    feature_id: None,
                    field: None,
                    message: format!(
                        "riskmap.toml gives encoding {l:?}, which is not known (use e.g. \"gbk\" or \"utf-8\"); the encoding was detected"
                    ),
                })?;
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

/// One file's output, whatever its layer.
enum AnyOut {
    Enterprises(FileOut<Enterprise>),
    HazardSources(FileOut<HazardSource>),
    GasPipelines(FileOut<GasPipeline>),
    Houses(FileOut<House>),
    ProtectionTargets(FileOut<ProtectionTarget>),
    Areas(FileOut<Area>),
}

macro_rules! any_out {
    ($self:ident, $o:ident => $e:expr) => {
        match $self {
            AnyOut::Enterprises($o) => $e,
            AnyOut::HazardSources($o) => $e,
            AnyOut::GasPipelines($o) => $e,
            AnyOut::Houses($o) => $e,
            AnyOut::ProtectionTargets($o) => $e,
            AnyOut::Areas($o) => $e,
        }
    };
}

impl AnyOut {
    fn len(&self) -> usize {
        any_out!(self, o => o.features.features.len())
    }
    fn issues_len(&self) -> usize {
        any_out!(self, o => o.issues.len())
    }
}

fn load_any(p: &Plan, opts: &LoadOptions) -> Result<AnyOut, LoadError> {
    Ok(match p.layer {
        LayerKind::Enterprises => AnyOut::Enterprises(load_one(p, opts)?),
        LayerKind::HazardSources => AnyOut::HazardSources(load_one(p, opts)?),
        LayerKind::GasPipelines => AnyOut::GasPipelines(load_one(p, opts)?),
        LayerKind::Houses => AnyOut::Houses(load_one(p, opts)?),
        LayerKind::ProtectionTargets => AnyOut::ProtectionTargets(load_one(p, opts)?),
        LayerKind::Areas => AnyOut::Areas(load_one(p, opts)?),
        LayerKind::HazardGrades
        | LayerKind::ProtectionConflicts
        | LayerKind::PipelineConflicts
        | LayerKind::HouseRisk
        | LayerKind::EnterpriseRisk
        | LayerKind::RiskGrid => {
            return Err(LoadError::NotAnInputLayer {
                file: p.rel.clone(),
                layer: p.layer,
            });
        }
    })
}

/// Features of one layer from several files: (plan index, features).
type LayerFiles<P> = Vec<(usize, Found<P>)>;

#[derive(Default)]
struct Acc {
    enterprises: LayerFiles<Enterprise>,
    hazard_sources: LayerFiles<HazardSource>,
    gas_pipelines: LayerFiles<GasPipeline>,
    houses: LayerFiles<House>,
    protection_targets: LayerFiles<ProtectionTarget>,
    areas: LayerFiles<Area>,
}

impl Acc {
    fn add(
        &mut self,
        i: usize,
        out: AnyOut,
        issues: &mut Vec<Vec<Issue>>,
        summaries: &mut Vec<FileSummary>,
    ) {
        macro_rules! put {
            ($o:ident, $field:ident) => {{
                issues.push($o.issues);
                summaries.push($o.summary);
                self.$field.push((i, $o.features));
            }};
        }
        match out {
            AnyOut::Enterprises(o) => put!(o, enterprises),
            AnyOut::HazardSources(o) => put!(o, hazard_sources),
            AnyOut::GasPipelines(o) => put!(o, gas_pipelines),
            AnyOut::Houses(o) => put!(o, houses),
            AnyOut::ProtectionTargets(o) => put!(o, protection_targets),
            AnyOut::Areas(o) => put!(o, areas),
        }
    }
}

/// A fast hash for ids (a word at a time, as in rustc's FxHash): the default SipHash is
/// built to resist flooding, which ids from one's own ledgers do not call for, and
/// costs a tenth of a second per million features.
#[derive(Clone, Copy, Default)]
struct IdHash;

impl std::hash::BuildHasher for IdHash {
    type Hasher = IdHasher;
    fn build_hasher(&self) -> IdHasher {
        IdHasher(0)
    }
}

struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.0 = (self.0.rotate_left(5) ^ u64::from(i)).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
    fn finish(&self) -> u64 {
        // The table indexes by the low bits, which a multiply leaves depending on the
        // first bytes only ("H0000001", "H0000002", … would collide): mix them down
        // (MurmurHash3's finaliser).
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

/// The features of a layer once duplicates are gone, with each one's plan index.
struct Kept<P> {
    found: Found<P>,
    files: Vec<usize>,
}

/// Drops later features whose id an earlier one (in file order) already has, reporting
/// each with both positions; sets each file's loaded count.
fn dedupe<P>(
    mut files: LayerFiles<P>,
    rels: &[String],
    issues: &mut [Vec<Issue>],
    summaries: &mut [FileSummary],
    strict: bool,
) -> Result<Kept<P>, LoadError> {
    let total: usize = files.iter().map(|(_, f)| f.features.len()).sum();
    // Indices to drop, per entry of `files`, ascending.
    let mut drop: Vec<Vec<usize>> = vec![Vec::new(); files.len()];
    {
        let mut seen: HashMap<&str, (usize, usize), IdHash> =
            HashMap::with_capacity_and_hasher(total, IdHash);
        for (slot, (file, found)) in files.iter().enumerate() {
            for (k, f) in found.features.iter().enumerate() {
                let Some(&(fslot, fk)) = seen.get(f.id.as_str()) else {
                    seen.insert(f.id.as_str(), (slot, k));
                    continue;
                };
                drop[slot].push(k);
                let (ffile, ffound) = &files[fslot];
                let fpos = ffound.positions[fk];
                let place = if ffile == file {
                    format!("{fpos}")
                } else {
                    format!(
                        "{}, {fpos}",
                        rels.get(*ffile).map(String::as_str).unwrap_or("")
                    )
                };
                let issue = Issue {
                    severity: Severity::Skipped,
                    code: IssueCode::DuplicateId,
                    file: rels.get(*file).cloned().unwrap_or_default(),
                    layer: summaries.get(*file).and_then(|s| s.layer),
                    position: Some(found.positions[k]),
                    feature_id: Some(f.id.clone()),
                    field: None,
                    message: format!(
                        "duplicate id {:?}: already used at {place}; this later feature was skipped",
                        f.id
                    ),
                };
                if strict {
                    return Err(LoadError::Invalid {
                        issue: Box::new(issue),
                    });
                }
                if let Some(v) = issues.get_mut(*file) {
                    v.push(issue);
                }
            }
        }
    }
    for ((_, found), drop) in files.iter_mut().zip(&drop) {
        if drop.is_empty() {
            continue;
        }
        let mut next = drop.iter().peekable();
        let mut keep = Vec::with_capacity(found.features.len());
        for k in 0..found.features.len() {
            let dropped = next.peek().is_some_and(|&&d| d == k);
            if dropped {
                next.next();
            }
            keep.push(!dropped);
        }
        let mut it = keep.iter();
        found
            .features
            .retain(|_| it.next().copied().unwrap_or(true));
        let mut it = keep.iter();
        found
            .positions
            .retain(|_| it.next().copied().unwrap_or(true));
    }
    let mut kept = Kept {
        found: Found::with_capacity(0),
        files: Vec::with_capacity(total),
    };
    for (file, mut found) in files {
        if let Some(s) = summaries.get_mut(file) {
            s.features_loaded += found.features.len() as u64;
        }
        kept.files
            .extend(std::iter::repeat_n(file, found.features.len()));
        if kept.found.features.is_empty() {
            // The first (often only) file moves in whole.
            kept.found = found;
        } else {
            kept.found.append(&mut found);
        }
    }
    Ok(kept)
}

/// Points each hazard source's enterprise at an enterprise id: kept when it is an id,
/// replaced when it is an enterprise's credit code or (unique) name, reported otherwise.
fn resolve_enterprises(
    enterprises: &Kept<Enterprise>,
    hazards: &mut Kept<HazardSource>,
    rels: &[String],
    issues: &mut [Vec<Issue>],
    strict: bool,
) -> Result<(), LoadError> {
    if enterprises.found.features.is_empty() {
        return Ok(());
    }
    let ids: HashSet<&str> = enterprises
        .found
        .features
        .iter()
        .map(|f| f.id.as_str())
        .collect();
    let mut by_key: HashMap<String, Option<&str>> = HashMap::new();
    for f in &enterprises.found.features {
        let keys =
            std::iter::once(f.props.name.trim().to_string()).chain(f.props.credit_code.clone());
        for k in keys {
            by_key
                .entry(k)
                .and_modify(|v| {
                    // A name two enterprises share cannot pick one of them.
                    if *v != Some(f.id.as_str()) {
                        *v = None;
                    }
                })
                .or_insert(Some(f.id.as_str()));
        }
    }
    let Found {
        features,
        positions,
    } = &mut hazards.found;
    for ((f, pos), file) in features
        .iter_mut()
        .zip(positions.iter())
        .zip(&hazards.files)
    {
        let Some(e) = f.props.enterprise_id.as_deref().map(str::trim) else {
            continue;
        };
        if ids.contains(e) {
            continue;
        }
        match by_key.get(e) {
            Some(Some(id)) => f.props.enterprise_id = Some((*id).to_string()),
            found => {
                let why = if found.is_some() {
                    "is shared by several enterprises"
                } else {
                    "matches no enterprise id, name or credit code"
                };
                let issue = Issue {
                    severity: Severity::Warning,
                    code: IssueCode::UnknownEnterprise,
                    file: rels.get(*file).cloned().unwrap_or_default(),
                    layer: Some(LayerKind::HazardSources),
                    position: Some(*pos),
                    feature_id: Some(f.id.clone()),
                    field: Some("enterprise_id".into()),
                    message: format!("enterprise {e:?} {why}; kept as written"),
                };
                if strict {
                    return Err(LoadError::Invalid {
                        issue: Box::new(issue),
                    });
                }
                if let Some(v) = issues.get_mut(*file) {
                    v.push(issue);
                }
            }
        }
    }
    Ok(())
}

/// What the per-feature pass needs to know about the file.
struct FileCtx<'a> {
    rel: &'a str,
    stem: &'a str,
    layer: LayerKind,
    crs: &'a Crs,
    resolver: &'a Resolver,
    absent: &'a [bool],
    substances: &'a SubstanceTable,
    strict: bool,
}

/// The CRS of a file: the plan's (options, manifest), else the file's own, else WGS84.
fn choose_crs(
    plan: &Plan,
    own: Option<(String, &'static str)>,
) -> Result<(Crs, String), LoadError> {
    let parse = |text: &str, origin: &'static str| {
        let parsed = if origin == ".prj" {
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

fn load_one<P: LayerProps>(plan: &Plan, opts: &LoadOptions) -> Result<FileOut<P>, LoadError> {
    let started = Instant::now();
    let rel = plan.rel.as_str();
    let layer = P::KIND;
    let mut summary = FileSummary::new(rel, Some(layer), FileStatus::Loaded);
    summary.format = Some(plan.format.name().into());
    let mut sink = Sink::new(opts.strict);
    let resolver = Resolver::new(layer, &plan.columns);
    let stem = Path::new(rel)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let file_issue =
        |severity, code, field: Option<String>, position: Option<Position>, message: String| {
            Issue {
                severity,
                code,
                file: rel.to_string(),
                layer: Some(layer),
                position,
                feature_id: None,
                field,
                message,
            }
        };
    let io_err = |source| LoadError::Io {
        file: rel.to_string(),
        source,
    };
    let features = match plan.format {
        FileFormat::GeoJson => {
            let bytes = std::fs::read(&plan.path).map_err(io_err)?;
            let decoded = text::decode(&bytes, plan.encoding);
            summary.encoding = Some(decoded.describe());
            if decoded.had_errors {
                sink.push(file_issue(
                    Severity::Warning,
                    IssueCode::DecodingErrors,
                    None,
                    None,
                    format!(
                        "some bytes are not valid {}; they were replaced by U+FFFD",
                        decoded.encoding.name()
                    ),
                ))?;
            }
            let parsed = geojson::parse(&decoded.text, rel)?;
            let (crs, crs_desc) = choose_crs(plan, parsed.crs.map(|c| (c, "GeoJSON crs member")))?;
            summary.crs = Some(crs_desc);
            let cx = FileCtx {
                rel,
                stem: &stem,
                layer,
                crs: &crs,
                resolver: &resolver,
                absent: &[],
                substances: &opts.substances,
                strict: opts.strict,
            };
            process::<P>(parsed.features, &cx, &mut summary, &mut sink)?
        }
        FileFormat::Csv | FileFormat::Workbook => {
            let t = if plan.format == FileFormat::Csv {
                let bytes = std::fs::read(&plan.path).map_err(io_err)?;
                table::read_csv(&bytes, plan.encoding, rel)?
            } else {
                table::read_workbook(&plan.path, plan.sheet.as_deref(), rel)?
            };
            summary.encoding = t.encoding.clone();
            summary.sheet = t.sheet.clone();
            if t.decoding_errors {
                sink.push(file_issue(
                    Severity::Warning,
                    IssueCode::DecodingErrors,
                    None,
                    None,
                    "some bytes are not valid in the file's encoding; they were replaced by U+FFFD (set encoding in riskmap.toml)".into(),
                ))?;
            }
            let (crs, crs_desc) = choose_crs(plan, None)?;
            summary.crs = Some(crs_desc);
            table_features::<P>(
                t,
                plan,
                &resolver,
                &crs,
                &stem,
                opts,
                &mut summary,
                &mut sink,
            )?
        }
        FileFormat::Shapefile => {
            let s = shp::read(&plan.path, plan.encoding, rel)?;
            summary.encoding = Some(s.encoding.clone());
            if let Some(label) = &s.unknown_cpg {
                sink.push(file_issue(
                    Severity::Warning,
                    IssueCode::UnknownEncoding,
                    None,
                    None,
                    format!("the .cpg names encoding {label:?}, which is not known; the .dbf encoding was detected"),
                ))?;
            }
            if s.prj.is_none() && plan.crs.is_none() {
                sink.push(file_issue(
                    Severity::Warning,
                    IssueCode::CrsAssumed,
                    None,
                    None,
                    "no .prj file: coordinates were read as WGS84 longitude/latitude (give crs in riskmap.toml if they are not)".into(),
                ))?;
            }
            let (crs, crs_desc) = choose_crs(plan, s.prj.clone().map(|p| (p, ".prj")))?;
            summary.crs = Some(crs_desc);
            let names = s.names;
            let raws: Vec<RawFeature<'_>> = s
                .rows
                .into_iter()
                .map(|(position, geom, values)| RawFeature {
                    position,
                    id: None,
                    geom,
                    props: names
                        .iter()
                        .zip(values)
                        .map(|(n, v)| (Cow::Borrowed(n.as_str()), v))
                        .collect(),
                })
                .collect();
            let cx = FileCtx {
                rel,
                stem: &stem,
                layer,
                crs: &crs,
                resolver: &resolver,
                absent: &[],
                substances: &opts.substances,
                strict: opts.strict,
            };
            process::<P>(raws, &cx, &mut summary, &mut sink)?
        }
    };
    if summary.status == FileStatus::Loaded && summary.features_read == 0 {
        sink.push(file_issue(
            Severity::Warning,
            IssueCode::EmptyFile,
            None,
            None,
            "the file holds no feature".into(),
        ))?;
    }
    tracing::debug!(
        file = rel,
        features = features.features.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "file loaded"
    );
    Ok(FileOut {
        features,
        issues: sink.issues,
        summary,
    })
}

/// Turns table rows into features: finds the header, checks the geometry and required
/// columns, and reports rows with more cells than the header.
#[allow(clippy::too_many_arguments)]
fn table_features<P: LayerProps>(
    t: table::Table,
    plan: &Plan,
    resolver: &Resolver,
    crs: &Crs,
    stem: &str,
    opts: &LoadOptions,
    summary: &mut FileSummary,
    sink: &mut Sink,
) -> Result<Found<P>, LoadError> {
    let rel = plan.rel.as_str();
    let layer = P::KIND;
    if t.rows.is_empty() {
        return Ok(Found::with_capacity(0));
    }
    let issue = |severity, code, field: Option<String>, position, message: String| Issue {
        severity,
        code,
        file: rel.to_string(),
        layer: Some(layer),
        position,
        feature_id: None,
        field,
        message,
    };
    let Some(header) = table::find_header(&t, resolver, plan.header_row) else {
        return Err(LoadError::MissingGeometryColumns {
            file: rel.into(),
            layer,
            columns: format!(
                "(no row {} to take the header from)",
                plan.header_row.unwrap_or(1)
            ),
        });
    };
    let has = |s: Slot| header.slots.contains(&Some(s));
    if !(has(Slot::Wkt) || (has(Slot::Lon) && has(Slot::Lat))) {
        return Err(LoadError::MissingGeometryColumns {
            file: rel.into(),
            layer,
            columns: header
                .names
                .iter()
                .map(|n| format!("{n:?}"))
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    if layer == LayerKind::Enterprises && !has(Slot::Field(fields::ent::NAME)) {
        return Err(LoadError::MissingRequiredColumn {
            file: rel.into(),
            layer,
            field: "name".into(),
            aliases: fields::ENTERPRISE_FIELDS[fields::ent::NAME]
                .aliases
                .join(", "),
        });
    }
    let header_pos = t.rows[header.index].0;
    if header.index > 0 {
        let first = t.rows[0].0;
        sink.push(issue(
            Severity::Warning,
            IssueCode::HeaderNotFirstRow,
            None,
            Some(header_pos),
            format!(
                "the header is on {header_pos}; the {} row(s) above it, from {first}, were taken as a title and not read",
                header.index
            ),
        ))?;
    }
    for (col, w) in &header.unit_warnings {
        sink.push(issue(
            Severity::Warning,
            IssueCode::InvalidValue,
            Some(col.clone()),
            Some(header_pos),
            format!("{col}: {w}"),
        ))?;
    }
    let absent = table::absent_fields(&header, layer);
    let name_field = match layer {
        LayerKind::HazardSources => Some(fields::haz::NAME),
        LayerKind::ProtectionTargets => Some(fields::target::NAME),
        LayerKind::Areas => Some(fields::area::NAME),
        _ => None,
    };
    if let Some(i) = name_field
        && absent.get(i).copied().unwrap_or(false)
    {
        let spec = fields::layer_fields(layer)[i];
        sink.push(issue(
            Severity::Warning,
            IssueCode::MissingField,
            Some(spec.key.into()),
            None,
            format!(
                "no name column ({}); every feature's id is used as its name",
                spec.aliases.join(", ")
            ),
        ))?;
    }
    let names = header.names;
    let width = names.len();
    let cx = FileCtx {
        rel,
        stem,
        layer,
        crs,
        resolver,
        absent: &absent,
        substances: &opts.substances,
        strict: opts.strict,
    };
    // Rows become features a block at a time, so that a million-row ledger never holds
    // its table cells and its features whole at once: each block's cells are freed as
    // its features are made.
    const BLOCK: usize = 65_536;
    let total = t.rows.len().saturating_sub(header.index + 1);
    let mut rows = t.rows.into_iter().skip(header.index + 1);
    let mut all: Found<P> = Found::with_capacity(total);
    let mut read = 0u64;
    let mut unused: BTreeSet<String> = BTreeSet::new();
    loop {
        let mut raws = Vec::with_capacity(BLOCK.min(total));
        for (position, cells) in rows.by_ref().take(BLOCK) {
            if cells.len() > width && cells[width..].iter().any(|c| *c != Value::Null) {
                sink.push(issue(
                    Severity::Warning,
                    IssueCode::ColumnCountMismatch,
                    None,
                    Some(position),
                    format!(
                        "{} cells but the header has {width}; values may be shifted (an unquoted comma in a value?) and the extra cells were not read",
                        cells.len()
                    ),
                ))?;
            }
            raws.push(RawFeature {
                position,
                id: None,
                geom: GeomInput::Missing,
                props: names
                    .iter()
                    .zip(cells)
                    .filter(|(n, _)| !n.is_empty())
                    .map(|(n, v)| (Cow::Borrowed(n.as_str()), v))
                    .collect(),
            });
        }
        if raws.is_empty() && read > 0 {
            break;
        }
        let last = raws.len() < BLOCK;
        let mut found = process::<P>(raws, &cx, summary, sink)?;
        read += summary.features_read;
        unused.append(
            &mut std::mem::take(&mut summary.unused_columns)
                .into_iter()
                .collect(),
        );
        if summary.status == FileStatus::Skipped {
            // Projected coordinates in a lon/lat file: the whole file is skipped.
            summary.features_read = read + rows.len() as u64;
            return Ok(Found::with_capacity(0));
        }
        all.append(&mut found);
        if last {
            break;
        }
    }
    summary.features_read = read;
    summary.unused_columns = unused.into_iter().collect();
    Ok(all)
}

/// Features per parallel work unit: big enough that scheduling costs nothing, small
/// enough that two cores share a file of a few thousand features.
const CHUNK: usize = 2048;

/// The most fields a layer has (the cells array of a feature lives on the stack).
const MAX_FIELDS: usize = 12;

/// The common pass over a file's features: geometry from cells where the format had
/// none, the file-level check for projected coordinates, then per feature: id,
/// geometry, properties.
fn process<P: LayerProps>(
    mut raws: Vec<RawFeature<'_>>,
    cx: &FileCtx<'_>,
    summary: &mut FileSummary,
    sink: &mut Sink,
) -> Result<Found<P>, LoadError> {
    summary.features_read = raws.len() as u64;
    raws.par_chunks_mut(CHUNK).for_each(|chunk| {
        let mut memo = KeyMemo::default();
        for raw in chunk.iter_mut().filter(|r| r.geom == GeomInput::Missing) {
            raw.geom = geometry_from_cells(raw, cx.resolver, &mut memo);
        }
    });
    if cx.crs.is_geographic() {
        let firsts = raws.iter().filter_map(|r| match &r.geom {
            GeomInput::Geom(g) => g.first().map(|c| (r.position, c)),
            _ => None,
        });
        let (mut with_geom, mut projected, mut example) = (0usize, 0usize, None);
        for (pos, c) in firsts {
            with_geom += 1;
            if geom::looks_projected(c) {
                projected += 1;
                example.get_or_insert((pos, c));
            }
        }
        if let Some((pos, c)) = example
            && projected * 2 > with_geom
        {
            sink.push(Issue {
                severity: Severity::Skipped,
                code: IssueCode::ProjectedCoordinates,
                file: cx.rel.into(),
                layer: Some(cx.layer),
                position: None,
                feature_id: None,
                field: None,
                message: format!(
                    "{projected} of {with_geom} features have projected coordinates although the file is read as {}; \
                     at {pos}: {}. The file was skipped",
                    cx.crs,
                    geom::projected_guess(c)
                ),
            })?;
            summary.status = FileStatus::Skipped;
            summary.note = Some("projected coordinates in a longitude/latitude file".into());
            return Ok(Found::with_capacity(0));
        }
    }
    let results: Vec<Result<ChunkOut<P>, LoadError>> = raws
        .par_chunks_mut(CHUNK)
        .map(|chunk| {
            let mut memo = KeyMemo::default();
            let mut unused = BTreeSet::new();
            let mut sink = Sink::new(cx.strict);
            let mut out = Found::with_capacity(chunk.len());
            for raw in chunk {
                if let Some(f) = one_feature::<P>(raw, cx, &mut memo, &mut unused, &mut sink)? {
                    out.push(f, raw.position);
                }
            }
            Ok((out, sink.issues, unused))
        })
        .collect();
    let mut features = Found::with_capacity(raws.len());
    let mut unused = BTreeSet::new();
    for r in results {
        let (mut f, issues, u) = r?;
        features.append(&mut f);
        sink.issues.extend(issues);
        unused.extend(u);
    }
    summary.unused_columns = unused.into_iter().collect();
    drop(raws);
    Ok(features)
}

/// What one parallel chunk of a file gives: features, issues and unused column names.
type ChunkOut<P> = (Found<P>, Vec<Issue>, BTreeSet<String>);

/// A point from longitude/latitude cells, or a geometry from a WKT cell.
fn geometry_from_cells(raw: &RawFeature<'_>, resolver: &Resolver, memo: &mut KeyMemo) -> GeomInput {
    let (mut lon, mut lat, mut wkt) = (None, None, None);
    for (i, (k, v)) in raw.props.iter().enumerate() {
        match memo.get(resolver, i, k).map(|r| r.slot) {
            Some(Slot::Lon) if lon.is_none() => lon = Some((k, v)),
            Some(Slot::Lat) if lat.is_none() => lat = Some((k, v)),
            Some(Slot::Wkt) if wkt.is_none() => wkt = Some(v),
            _ => {}
        }
    }
    if let Some(t) = wkt.and_then(|v| v.text()) {
        return geom::parse_wkt(&t);
    }
    let (Some((lk, lv)), Some((ak, av))) = (lon, lat) else {
        return GeomInput::Missing;
    };
    let read = |k: &str, v: &Value<'_>| match fields::parse_coordinate(v) {
        Ok(x) => Ok(x),
        Err(_) => Err(format!(
            "{k} is {:?}, not a coordinate",
            v.text().unwrap_or_default()
        )),
    };
    match (read(lk, lv), read(ak, av)) {
        (Ok(Some(x)), Ok(Some(y))) => GeomInput::Geom(geom::RawGeom::Point(geo::Coord { x, y })),
        (Ok(None), Ok(None)) => GeomInput::Missing,
        (Err(e), _) | (_, Err(e)) => GeomInput::BadCoordinates(e),
        (Ok(None), _) => GeomInput::BadCoordinates(format!("{lk} is empty while {ak} is not")),
        (_, Ok(None)) => GeomInput::BadCoordinates(format!("{ak} is empty while {lk} is not")),
    }
}

fn one_feature<P: LayerProps>(
    raw: &mut RawFeature<'_>,
    cx: &FileCtx<'_>,
    memo: &mut KeyMemo,
    unused: &mut BTreeSet<String>,
    sink: &mut Sink,
) -> Result<Option<Feature<P>>, LoadError> {
    let n = fields::layer_fields(cx.layer).len().min(MAX_FIELDS);
    let mut cells: [Option<Cell<'_>>; MAX_FIELDS] = [None; MAX_FIELDS];
    let mut id_cell = None;
    for (i, (k, v)) in raw.props.iter().enumerate() {
        match memo.get(cx.resolver, i, k) {
            Some(r) => match r.slot {
                Slot::Field(j) if j < n => {
                    // Two columns for one field: the first with a value wins.
                    let empty = cells[j].is_none_or(|c| c.value.text().is_none());
                    if empty {
                        cells[j] = Some(Cell {
                            value: v,
                            column: k,
                            scale: r.scale,
                        });
                    }
                }
                Slot::Id if id_cell.is_none() => id_cell = v.text(),
                _ => {}
            },
            None => {
                if !k.is_empty() && !unused.contains(k.as_ref()) {
                    unused.insert(k.to_string());
                }
            }
        }
    }
    let id = match raw.id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => s.to_string(),
        None => match id_cell {
            Some(s) => s.into_owned(),
            None => format!("{}-{}-{}", cx.layer.name(), cx.stem, raw.position.number()),
        },
    };
    let mut fcx = FeatureCx {
        file: cx.rel,
        layer: cx.layer,
        position: raw.position,
        id: &id,
        substances: cx.substances,
        absent: cx.absent,
        sink,
    };
    let input = std::mem::replace(&mut raw.geom, GeomInput::Missing);
    let Some(geometry) = geom::finish(input, cx.crs, &mut fcx)? else {
        return Ok(None);
    };
    let Some(props) = P::build(&cells[..n], &mut fcx)? else {
        return Ok(None);
    };
    Ok(Some(Feature {
        id,
        geometry,
        props,
        source: SourceRef {
            file: cx.rel.to_string(),
            position: raw.position.number(),
        },
    }))
}

#[cfg(test)]
mod tests;
