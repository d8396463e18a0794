//! The subcommands: analyze, export, lists, report, tiles, bundle, validate, import, db, history,
//! generate, token, serve.

// A command's error is built at most once per run, on the way out; its size on the stack
// does not matter, and boxing every source would only obscure the `?`s.
#![allow(clippy::result_large_err)]

mod analyze;
mod backup;
mod bundle;
mod db;
mod export;
mod generate;
mod history;
mod import;
mod lists;
mod output;
mod past_day;
mod report;
mod serve;
mod tiles;
mod token;
mod validate;

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use riskmap_core::analysis::Step as AnalysisStep;
use riskmap_core::dataset::Dataset;
use riskmap_core::export::{ExportError, FieldPolicy, Filter, write_named};
use riskmap_core::io::{self, LoadError, LoadOptions, ValidationReport};
use riskmap_core::model::LayerKind;
use riskmap_core::project::Project;
use riskmap_core::rules::{Rules, RulesError};

use crate::args::LoadArgs;
use crate::progress::{Step, Ui};
use crate::server::ServeError;
use crate::server::state::LoadFailure;

pub use analyze::analyze;
pub use backup::backup;
pub use bundle::bundle;
pub use db::db;
pub use export::export;
pub use generate::generate;
pub use history::history;
pub use import::import;
pub use lists::lists;
/// Now as an RFC 3339 time in UTC (what run.json and the APIs' time stamps say).
pub(crate) use output::now_rfc3339 as output_now;
pub(crate) use output::rules_sha256;
pub use report::report;
pub use serve::serve;
pub use tiles::tiles;
pub use token::token;
pub use validate::validate;

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Loading failed.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The rules file is wrong.
    #[error(transparent)]
    Rules(#[from] RulesError),
    /// Writing an export failed.
    #[error(transparent)]
    Export(#[from] ExportError),
    /// A file or directory could not be written.
    #[error("{path}: {source}")]
    Write {
        /// The path.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// A file or directory could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The path.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// A command-line value is wrong.
    #[error("{0}")]
    Usage(String),
    /// Standard output's reader has gone (`riskmap validate | head -1`): the command
    /// ends there, quietly and successfully.
    #[error("standard output was closed")]
    StdoutClosed,
    /// The data has problems (validate).
    #[error("{0}")]
    DataProblems(String),
    /// Writing or updating the GeoPackage failed.
    #[error(transparent)]
    Store(#[from] riskmap_core::store::StoreError),
    /// Generating failed.
    #[error(transparent)]
    Generate(#[from] riskmap_core::generate::GenerateError),
    /// A list could not be made or written.
    #[error(transparent)]
    Lists(#[from] riskmap_core::lists::ListError),
    /// A report could not be made.
    #[error(transparent)]
    Report(#[from] riskmap_core::report::ReportError),
    /// The tile set could not be prepared.
    #[error(transparent)]
    TileSet(#[from] riskmap_core::tileset::TileSetError),
    /// A tile archive could not be written.
    #[error(transparent)]
    Archive(#[from] riskmap_core::archive::ArchiveError),
    /// The server configuration is wrong.
    #[error(transparent)]
    Config(#[from] crate::server::config::ConfigError),
    /// The server failed.
    #[error(transparent)]
    Serve(#[from] ServeError),
}

impl CliError {
    /// The process exit code (see main.rs).
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) | CliError::Rules(_) | CliError::Config(_) => 2,
            CliError::DataProblems(_) => 3,
            // An area the data does not have: the command line's to fix, as an unknown
            // layer or level is.
            CliError::Export(ExportError::UnknownArea { .. } | ExportError::NoLevel { .. })
            | CliError::Lists(riskmap_core::lists::ListError::UnknownArea { .. })
            | CliError::Report(riskmap_core::report::ReportError::List(
                riskmap_core::lists::ListError::UnknownArea { .. },
            )) => 2,
            CliError::Load(e) => load_exit_code(e),
            // The server's first load fails as the other commands' loads do.
            CliError::Serve(ServeError::Load { source, .. }) => match source {
                LoadFailure::Load(e) => load_exit_code(e),
                LoadFailure::Rules(_) => 2,
                _ => 1,
            },
            _ => 1,
        }
    }
}

/// A directory or file that cannot be read is a failure; anything wrong inside the data
/// (strict mode, broken files) is a data problem.
fn load_exit_code(e: &LoadError) -> u8 {
    match e {
        LoadError::Dir { .. } | LoadError::Io { .. } => 1,
        LoadError::NotADirectory { .. } | LoadError::NotASource { .. } => 2,
        LoadError::Store { .. } => 1,
        _ => 3,
    }
}

/// Writes `text` to standard output. A reader that has gone (a pipe into `head`) ends
/// the command quietly ([`CliError::StdoutClosed`]), where `println!` would panic.
pub(crate) fn out(text: std::fmt::Arguments<'_>) -> Result<(), CliError> {
    use std::io::Write;
    let mut o = std::io::stdout().lock();
    o.write_fmt(text)
        .and_then(|()| o.flush())
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::BrokenPipe => CliError::StdoutClosed,
            _ => CliError::Write {
                path: PathBuf::from("standard output"),
                source: e,
            },
        })
}

pub(crate) fn write_err(path: &Path) -> impl FnOnce(std::io::Error) -> CliError + '_ {
    move |source| CliError::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// Makes ready to write one output file at `path`, before anything is loaded: its name
/// must end in one of `exts` (lower case, without the dot; a report written over a
/// ledger of the folder would take its place), it must not be a directory, and its
/// folder is made when missing (as `analyze` and `lists` make theirs).
pub(crate) fn out_file(path: &Path, what: &str, exts: &[&str]) -> Result<(), CliError> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    if !exts.contains(&ext.as_str()) {
        let names: Vec<String> = exts.iter().map(|e| format!(".{e}")).collect();
        return Err(CliError::Usage(format!(
            "--out {}: {what} is written to a file named …{} (nothing else is written over)",
            path.display(),
            names.join(" or …")
        )));
    }
    if path.is_dir() {
        return Err(CliError::Usage(format!(
            "--out {}: is a folder; give the file's name",
            path.display()
        )));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(write_err(dir))?;
    }
    Ok(())
}

pub(crate) fn create(path: &Path) -> Result<BufWriter<File>, CliError> {
    File::create(path)
        .map(|f| BufWriter::with_capacity(1 << 20, f))
        .map_err(write_err(path))
}

/// The load options the command line asks for.
pub(crate) fn load_options(args: &LoadArgs) -> Result<LoadOptions, CliError> {
    let mut opts = LoadOptions {
        strict: args.strict,
        ..LoadOptions::default()
    };
    if let Some(e) = &args.encoding {
        opts.encoding = Some(
            encoding_rs::Encoding::for_label(e.as_bytes()).ok_or_else(|| {
                CliError::Usage(format!(
                    "--encoding: unknown encoding '{e}' (try utf-8, gbk, gb18030)"
                ))
            })?,
        );
    }
    if let Some(c) = &args.crs {
        opts.crs = Some(
            riskmap_core::crs::Crs::parse(c).map_err(|e| CliError::Usage(format!("--crs: {e}")))?,
        );
    }
    Ok(opts)
}

/// The rules the command line names (`--rules`), else the defaults.
pub(crate) fn rules(args: &LoadArgs) -> Result<Rules, CliError> {
    let mut rules = match &args.rules {
        Some(p) => Rules::from_file(p)?,
        None => Rules::default(),
    };
    if let Some(d) = args.as_of {
        rules.hidden_hazards.as_of = Some(d);
    }
    Ok(rules)
}

/// Load options that report each file on the step's progress line.
fn with_file_progress(mut opts: LoadOptions, step: &Step, dir: &Path) -> LoadOptions {
    let handle = step.handle();
    let dir = dir.display().to_string();
    let done = AtomicUsize::new(0);
    opts.progress = Some(Arc::new(move |p: io::LoadProgress| {
        let msg = match p {
            io::LoadProgress::FileStarted { file, layer, total } => {
                let n = done.load(Ordering::Relaxed);
                format!("loading {dir}: {file} ({layer}), {n} of {total} files done")
            }
            io::LoadProgress::FileDone {
                file,
                features,
                total,
                ..
            } => {
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                format!("loading {dir}: {file}: {features} features; {n} of {total} files done")
            }
            io::LoadProgress::Indexing => format!("loading {dir}: building the R-trees"),
            _ => format!("loading {dir}"),
        };
        handle.set(msg);
    }));
    opts
}

fn loaded_line(ds: &Dataset, report: &ValidationReport) -> String {
    let counts = ds
        .counts()
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(k, n)| format!("{n} {k}"))
        .collect::<Vec<_>>()
        .join(", ");
    let counts = if counts.is_empty() {
        "no feature loaded".to_string()
    } else {
        counts
    };
    format!(
        "{counts}; {} skipped, {} repaired, {} warnings",
        report.skipped_count(),
        report.repaired_count(),
        report.warning_count()
    )
}

/// Loads (with a report) without analysing.
pub fn load(ui: &Ui, args: &LoadArgs) -> Result<(Dataset, ValidationReport), CliError> {
    let loaded = load_from(ui, args, &source(args)?)?;
    Ok((loaded.dataset, loaded.report))
}

/// Where a command's ledgers come from.
pub enum Source {
    /// A data directory or a GeoPackage.
    Path(PathBuf),
    /// A PostGIS database (its URL).
    Db(String),
}

impl Source {
    /// How messages and `run.json` name it (a database without its password).
    pub fn name(&self) -> PathBuf {
        match self {
            Source::Path(p) => p.clone(),
            Source::Db(url) => PathBuf::from(riskmap_core::store::pg::Db::new(url).shown()),
        }
    }

    /// Loads it through the loaders and their checks.
    fn load(&self, opts: &LoadOptions) -> Result<io::Loaded, CliError> {
        match self {
            Source::Path(p) => Ok(riskmap_core::project::load_source(p, opts)?),
            Source::Db(url) => db::with_db(url, |client, db| async move {
                Ok(riskmap_core::store::pg::load(&client, &db, opts).await?)
            }),
        }
    }
}

/// The source of the common arguments: DATA_DIR or `--db`, exactly one.
pub fn source(args: &LoadArgs) -> Result<Source, CliError> {
    match (&args.data_dir, &args.db) {
        (Some(d), None) => Ok(Source::Path(d.clone())),
        (None, Some(url)) => Ok(Source::Db(url.clone())),
        (Some(_), Some(_)) => Err(CliError::Usage(
            "give DATA_DIR or --db URL, not both".into(),
        )),
        (None, None) => Err(CliError::Usage("give DATA_DIR or --db URL".into())),
    }
}

/// Loads `source` with the common options.
pub fn load_from(ui: &Ui, args: &LoadArgs, source: &Source) -> Result<io::Loaded, CliError> {
    let name = source.name();
    let step = ui.step(&format!("loading {}", name.display()));
    let opts = with_file_progress(load_options(args)?, &step, &name);
    let loaded = source.load(&opts)?;
    step.done(&loaded_line(&loaded.dataset, &loaded.report));
    Ok(loaded)
}

/// Loads and analyses: the [`Project`] every output is made from.
pub fn prepare(ui: &Ui, args: &LoadArgs) -> Result<Project, CliError> {
    let rules = rules(args)?;
    let source = source(args)?;
    let name = source.name();
    let load_step = ui.step(&format!("loading {}", name.display()));
    let opts = with_file_progress(load_options(args)?, &load_step, &name);
    let load_step = Mutex::new(Some(load_step));
    let on_loaded = |ds: &Dataset, report: &ValidationReport| {
        if let Some(l) = load_step.lock().ok().and_then(|mut l| l.take()) {
            l.done(&loaded_line(ds, report));
        }
    };
    // Started with the first analysis step, so that its time is the analysis's alone.
    let step: Mutex<Option<Step>> = Mutex::new(None);
    // When each step started, to say where the time goes.
    let marks: Mutex<Vec<(AnalysisStep, Instant)>> = Mutex::new(Vec::new());
    let on_step = |s: AnalysisStep| {
        if let Ok(mut st) = step.lock() {
            st.get_or_insert_with(|| ui.step("analysing"))
                .set(&format!("analysing: {}", step_name(s)));
        }
        if let Ok(mut m) = marks.lock() {
            m.push((s, Instant::now()));
        }
    };
    let project = match &source {
        Source::Path(p) => Project::open_with_progress(p, &opts, &rules, &on_loaded, &on_step)?,
        Source::Db(_) => {
            let loaded = source.load(&opts)?;
            on_loaded(&loaded.dataset, &loaded.report);
            Project::from_loaded(loaded, &opts, &rules, &on_step)
        }
    };
    let end = Instant::now();
    let timings = marks
        .lock()
        .map(|m| {
            m.iter()
                .enumerate()
                .map(|(i, (s, t))| {
                    let next = m.get(i + 1).map_or(end, |(_, n)| *n);
                    format!("{} {:.2} s", step_name(*s), (next - *t).as_secs_f64())
                })
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    let a = &project.analysis;
    let done = format!(
        "{} major hazard sources graded, {} protection conflicts, {} pipeline conflicts, {} grid cells",
        a.hazard_grades.iter().filter(|g| g.is_major).count(),
        a.protection_conflicts.len(),
        a.pipeline_conflicts.len(),
        a.grid.cells.len()
    );
    if let Some(step) = step.lock().ok().and_then(|mut s| s.take()) {
        step.done(&done);
    }
    ui.say(&format!("  time per step: {timings}"));
    // A ledger left out as a whole: whatever is made of the data lacks it. Said even
    // when quiet (a script's log keeps it).
    for f in project
        .report
        .files
        .iter()
        .filter(|f| f.status == riskmap_core::io::FileStatus::Skipped)
    {
        if let Some(layer) = f.layer {
            eprintln!(
                "warning: {} ({}) was not read{}: what is made of this data lacks it \
                 (riskmap validate tells more)",
                f.file,
                layer.name(),
                f.note
                    .as_deref()
                    .map(|n| format!(": {n}"))
                    .unwrap_or_default()
            );
        }
    }
    warn_of_files_mostly_lost(&project.report);
    // A store's ledgers as they stood on the day asked for.
    match args.as_of {
        Some(day) => past_day::taken_back(ui, &source, project, &opts, day),
        None => Ok(project),
    }
}

/// A ledger read whose features were mostly skipped (every one in a wrong coordinate
/// system, swapped columns): as good as not read, and said as loudly, with the reason
/// most of them had; and one most of whose features lie far from the areas (read in
/// the wrong zone: loaded, but nowhere near the rest). Said even when quiet.
pub(crate) fn warn_of_files_mostly_lost(report: &riskmap_core::io::ValidationReport) {
    use riskmap_core::io::{FileStatus, IssueCode, Severity};
    for i in report.issues.iter().filter(|i| {
        (i.code == IssueCode::FarFromData && i.feature_id.is_none())
            || i.code == IssueCode::SheetNotRead
    }) {
        eprintln!(
            "warning: {} ({}): {}",
            i.file,
            i.layer.map_or("no layer", |l| l.name()),
            i.message
        );
    }
    for f in report.files.iter().filter(|f| {
        f.status == FileStatus::Loaded
            && f.features_read > 0
            && f.features_loaded * 2 < f.features_read
    }) {
        let mut codes: std::collections::BTreeMap<&str, u64> = std::collections::BTreeMap::new();
        for i in report
            .issues
            .iter()
            .filter(|i| i.file == f.file && i.severity == Severity::Skipped)
        {
            *codes.entry(i.code.as_str()).or_default() += 1;
        }
        let why = codes
            .iter()
            .max_by_key(|(_, n)| **n)
            .map(|(c, n)| format!(", {n} of them {c}"))
            .unwrap_or_default();
        eprintln!(
            "warning: {} ({}): {} of its {} features were skipped{why}: what is made of this \
             data lacks them (riskmap validate tells more)",
            f.file,
            f.layer.map_or("no layer", |l| l.name()),
            f.features_read - f.features_loaded,
            f.features_read
        );
    }
}

fn step_name(s: AnalysisStep) -> &'static str {
    match s {
        AnalysisStep::TargetClasses => "target classes",
        AnalysisStep::HazardGrades => "hazard grades",
        AnalysisStep::ProtectionDistances => "protection distances",
        AnalysisStep::PipelineClearances => "pipeline clearances",
        AnalysisStep::HouseRisk => "house levels",
        AnalysisStep::EnterpriseRisk => "enterprise levels",
        AnalysisStep::RiskGrid => "risk grid and area summaries",
        _ => "other",
    }
}

/// Writes `layers` as `<name>.geojson` files into `out`.
pub(crate) fn write_layers(
    ui: &Ui,
    out: &Path,
    p: &Project,
    layers: &[LayerKind],
    filter: &Filter,
) -> Result<(), CliError> {
    let step = ui.step("writing GeoJSON");
    let policy = FieldPolicy::default();
    let mut total = 0;
    for kind in layers {
        let path = out.join(format!("{}.geojson", kind.name()));
        let w = create(&path)?;
        total +=
            write_named(w, *kind, &p.dataset, &p.analysis, filter, &policy).map_err(
                |e| match e {
                    // Name the file: a full disk must say where it was writing.
                    ExportError::Io { source, .. } => CliError::Write { path, source },
                    e => CliError::Export(e),
                },
            )?;
    }
    step.done(&format!("{total} features in {} files", layers.len()));
    Ok(())
}
