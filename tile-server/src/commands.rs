//! The subcommands: analyze, export, validate, generate, serve.

// A command's error is built at most once per run, on the way out; its size on the stack
// does not matter, and boxing every source would only obscure the `?`s.
#![allow(clippy::result_large_err)]

use std::fs::{self, File};
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use riskmap_core::analysis::{self, Analysis, Step as AnalysisStep};
use riskmap_core::dataset::Dataset;
use riskmap_core::export::{self, EXPORT_LAYERS, ExportError, FieldPolicy, Filter};
use riskmap_core::generate::{self, GenerateOptions};
use riskmap_core::io::{self, LoadError, LoadOptions, ValidationReport};
use riskmap_core::model::RiskLevel;
use riskmap_core::rules::{Rules, RulesError};
use riskmap_core::substances::SubstanceTable;

use crate::cli::{ExportArgs, GenerateArgs, LoadArgs, ServeArgs};
use crate::progress::Ui;

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
    /// A command-line value is wrong.
    #[error("{0}")]
    Usage(String),
    /// The data has problems (validate).
    #[error("{0}")]
    DataProblems(String),
    /// Generating failed.
    #[error(transparent)]
    Generate(#[from] generate::GenerateError),
    /// The server configuration is wrong.
    #[error(transparent)]
    Config(#[from] crate::server::config::ConfigError),
    /// The server failed.
    #[error(transparent)]
    Serve(#[from] crate::server::ServeError),
}

impl CliError {
    /// The process exit code (see main.rs).
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) | CliError::Rules(_) | CliError::Config(_) => 2,
            CliError::DataProblems(_) => 3,
            // A directory or file that cannot be read is a failure; anything wrong inside
            // the data (strict mode, broken files) is a data problem.
            CliError::Load(LoadError::Dir { .. } | LoadError::Io { .. }) => 1,
            CliError::Load(_) => 3,
            _ => 1,
        }
    }
}

fn write_err(path: &Path) -> impl FnOnce(std::io::Error) -> CliError + '_ {
    move |source| CliError::Write {
        path: path.to_path_buf(),
        source,
    }
}

fn create(path: &Path) -> Result<BufWriter<File>, CliError> {
    File::create(path)
        .map(|f| BufWriter::with_capacity(1 << 20, f))
        .map_err(write_err(path))
}

/// Loaded, analysed data and the rules used.
pub struct Prepared {
    /// The dataset.
    pub dataset: Dataset,
    /// The validation report.
    pub report: ValidationReport,
    /// Every result.
    pub analysis: Analysis,
}

fn load_options(args: &LoadArgs) -> Result<LoadOptions, CliError> {
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

/// Loads (with a report) without analysing.
pub fn load(ui: &Ui, args: &LoadArgs) -> Result<(Dataset, ValidationReport), CliError> {
    let mut opts = load_options(args)?;
    let step = ui.step(&format!("loading {}", args.data_dir.display()));
    let handle = step.handle();
    let dir = args.data_dir.display().to_string();
    let done = std::sync::atomic::AtomicUsize::new(0);
    opts.progress = Some(std::sync::Arc::new(move |p: io::LoadProgress| {
        let msg = match p {
            io::LoadProgress::FileStarted { file, layer, total } => {
                let n = done.load(std::sync::atomic::Ordering::Relaxed);
                format!("loading {dir}: {file} ({layer}), {n} of {total} files done")
            }
            io::LoadProgress::FileDone {
                file,
                features,
                total,
                ..
            } => {
                let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                format!("loading {dir}: {file}: {features} features; {n} of {total} files done")
            }
            io::LoadProgress::Indexing => format!("loading {dir}: building the R-trees"),
            _ => format!("loading {dir}"),
        };
        handle.set(msg);
    }));
    let loaded = io::load_dir(&args.data_dir, &opts)?;
    let counts = loaded
        .dataset
        .counts()
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(k, n)| format!("{n} {k}"))
        .collect::<Vec<_>>()
        .join(", ");
    step.done(&format!(
        "{counts}; {} skipped, {} repaired, {} warnings",
        loaded.report.skipped_count(),
        loaded.report.repaired_count(),
        loaded.report.warning_count()
    ));
    Ok((loaded.dataset, loaded.report))
}

/// Loads and analyses.
pub fn prepare(ui: &Ui, args: &LoadArgs) -> Result<Prepared, CliError> {
    let rules = match &args.rules {
        Some(p) => Rules::from_file(p)?,
        None => Rules::default(),
    };
    let (dataset, report) = load(ui, args)?;
    let step = ui.step("analysing");
    // When each step started, to say where the time goes.
    let marks: std::sync::Mutex<Vec<(AnalysisStep, std::time::Instant)>> =
        std::sync::Mutex::new(Vec::new());
    let analysis = analysis::analyze_with_progress(
        &dataset,
        &SubstanceTable::builtin(),
        &rules,
        &|s: AnalysisStep| {
            step.set(&format!("analysing: {}", step_name(s)));
            if let Ok(mut m) = marks.lock() {
                m.push((s, std::time::Instant::now()));
            }
        },
    );
    let end = std::time::Instant::now();
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
    step.done(&format!(
        "{} major hazard sources graded, {} protection conflicts, {} pipeline conflicts, {} grid cells",
        analysis.hazard_grades.iter().filter(|g| g.is_major).count(),
        analysis.protection_conflicts.len(),
        analysis.pipeline_conflicts.len(),
        analysis.grid.cells.len()
    ));
    ui.say(&format!("  time per step: {timings}"));
    Ok(Prepared {
        dataset,
        report,
        analysis,
    })
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

fn write_report(out: &Path, report: &ValidationReport) -> Result<(), CliError> {
    let p = out.join("validation_report.json");
    let json = serde_json::to_string_pretty(&report.to_json()).unwrap_or_default();
    fs::write(&p, json).map_err(write_err(&p))?;
    let p = out.join("validation_report.md");
    fs::write(&p, report.to_markdown()).map_err(write_err(&p))?;
    Ok(())
}

fn write_layers(
    ui: &Ui,
    out: &Path,
    p: &Prepared,
    layers: &[&str],
    filter: &Filter,
) -> Result<(), CliError> {
    let step = ui.step("writing GeoJSON");
    let policy = FieldPolicy::default();
    let mut total = 0;
    for name in layers {
        let path = out.join(format!("{name}.geojson"));
        let w = create(&path)?;
        total += export::write_named(w, name, &p.dataset, &p.analysis, filter, &policy)?;
    }
    step.done(&format!("{total} features in {} files", layers.len()));
    Ok(())
}

/// `riskmap analyze`.
pub fn analyze(ui: &Ui, args: &LoadArgs, out: &Path, summary_only: bool) -> Result<(), CliError> {
    let p = prepare(ui, args)?;
    fs::create_dir_all(out).map_err(write_err(out))?;
    if !summary_only {
        let layers: Vec<&str> = EXPORT_LAYERS
            .iter()
            .copied()
            .filter(|l| *l != "validation_report")
            .collect();
        write_layers(ui, out, &p, &layers, &Filter::default())?;
    }
    let summary = export::summary(&p.dataset, &p.analysis);
    let path = out.join("summary.json");
    fs::write(
        &path,
        serde_json::to_string_pretty(&summary).unwrap_or_default(),
    )
    .map_err(write_err(&path))?;
    let path = out.join("area_summaries.json");
    fs::write(
        &path,
        serde_json::to_string_pretty(&p.analysis.area_summaries).unwrap_or_default(),
    )
    .map_err(write_err(&path))?;
    write_report(out, &p.report)?;
    print_summary(ui, &summary);
    ui.say(&format!("results in {}", out.display()));
    Ok(())
}

fn print_summary(ui: &Ui, s: &serde_json::Value) {
    let lv = |v: &serde_json::Value| {
        format!(
            "red {} / orange {} / yellow {} / blue {}",
            v["major"], v["significant"], v["general"], v["low"]
        )
    };
    ui.say(&format!(
        "hazard sources: {} major (一级 {} 二级 {} 三级 {} 四级 {}), {} below threshold, {} declared grades differ",
        s["hazard_sources"]["major"],
        s["hazard_sources"]["by_grade"]["1"],
        s["hazard_sources"]["by_grade"]["2"],
        s["hazard_sources"]["by_grade"]["3"],
        s["hazard_sources"]["by_grade"]["4"],
        s["hazard_sources"]["below_threshold"],
        s["hazard_sources"]["declared_mismatch"],
    ));
    ui.say(&format!(
        "enterprises: {}",
        lv(&s["enterprises"]["by_level"])
    ));
    ui.say(&format!("houses: {}", lv(&s["houses"]["by_level"])));
    ui.say(&format!(
        "protection-distance conflicts: {} ({} with protection targets, {} with houses)",
        s["protection_conflicts"]["total"],
        s["protection_conflicts"]["with_protection_targets"],
        s["protection_conflicts"]["with_houses"]
    ));
    ui.say(&format!(
        "gas-pipeline conflicts: {} occupation (违章占压), {} too close",
        s["pipeline_conflicts"]["occupation"], s["pipeline_conflicts"]["too_close"]
    ));
    ui.say(&format!("risk grid: {}", lv(&s["risk_grid"]["by_level"])));
}

/// `riskmap export`.
pub fn export(ui: &Ui, args: &ExportArgs) -> Result<(), CliError> {
    for l in &args.layer {
        if !EXPORT_LAYERS.contains(&l.as_str()) || l == "validation_report" {
            return Err(CliError::Usage(format!(
                "--layer: unknown layer '{l}' (known: {})",
                EXPORT_LAYERS[..12].join(", ")
            )));
        }
    }
    let mut levels = Vec::new();
    for l in &args.level {
        levels.push(RiskLevel::parse(l).ok_or_else(|| {
            CliError::Usage(format!(
                "--level: unknown level '{l}' (major, significant, general, low)"
            ))
        })?);
    }
    let bbox = match &args.bbox {
        Some(b) if b.len() == 4 => {
            if !(b[0] < b[2] && b[1] < b[3]) || b.iter().any(|v| !v.is_finite()) {
                return Err(CliError::Usage(
                    "--bbox: expected min_lon,min_lat,max_lon,max_lat with min < max".into(),
                ));
            }
            Some(geo::Rect::new((b[0], b[1]), (b[2], b[3])))
        }
        Some(_) => return Err(CliError::Usage("--bbox takes four numbers".into())),
        None => None,
    };
    let p = prepare(ui, &args.load)?;
    let mut filter = Filter {
        bbox,
        area: None,
        levels: (!levels.is_empty()).then_some(levels),
        max_features: None,
    };
    if let Some(a) = &args.area {
        filter = filter.with_area_name(&p.dataset, a)?;
    }
    fs::create_dir_all(&args.out).map_err(write_err(&args.out))?;
    let layers: Vec<&str> = if args.layer.is_empty() {
        EXPORT_LAYERS[..12].to_vec()
    } else {
        args.layer.iter().map(String::as_str).collect()
    };
    write_layers(ui, &args.out, &p, &layers, &filter)?;
    ui.say(&format!("written to {}", args.out.display()));
    Ok(())
}

/// `riskmap validate`.
pub fn validate(ui: &Ui, args: &LoadArgs, report_path: Option<&Path>) -> Result<(), CliError> {
    let (_, report) = load(ui, args)?;
    if let Some(p) = report_path {
        let json = serde_json::to_string_pretty(&report.to_json()).unwrap_or_default();
        fs::write(p, json).map_err(write_err(p))?;
    }
    if !ui_is_quiet(ui) {
        println!("{}", report.to_markdown());
    }
    if report.skipped_count() > 0 {
        return Err(CliError::DataProblems(format!(
            "{} features or files were skipped (see the report)",
            report.skipped_count()
        )));
    }
    Ok(())
}

fn ui_is_quiet(ui: &Ui) -> bool {
    ui.is_quiet()
}

/// `riskmap generate`.
pub fn generate(ui: &Ui, args: &GenerateArgs) -> Result<(), CliError> {
    let mut opts = if args.benchmark {
        GenerateOptions::benchmark()
    } else if let Some(n) = args.houses {
        GenerateOptions::scaled(n)
    } else {
        GenerateOptions::demo()
    };
    opts.seed = args.seed;
    let boundary = generate::haimen().map_err(|e| CliError::Usage(e.to_string()))?;
    let step = ui.step(&format!("generating {} houses", opts.houses));
    let ds = generate::generate(&opts, &boundary)?;
    step.done("done");
    fs::create_dir_all(&args.out).map_err(write_err(&args.out))?;
    let step = ui.step(&format!("writing {}", args.out.display()));
    let houses_geojson = args
        .houses_format
        .as_deref()
        .map_or(args.benchmark, |f| f == "geojson");
    generate::write_generated(&args.out, &ds, &opts, houses_geojson).map_err(|e| {
        CliError::Write {
            path: e.path,
            source: e.source,
        }
    })?;
    step.done("done");
    Ok(())
}

/// `riskmap serve`.
pub fn serve(ui: &Ui, args: ServeArgs) -> Result<(), CliError> {
    use crate::server::config::ServerConfig;
    let mut config = match &args.config {
        Some(p) => {
            let (c, warnings) = ServerConfig::from_file(p)?;
            for w in warnings {
                ui.say(&format!("warning: {w}"));
            }
            c
        }
        None => ServerConfig::default(),
    };
    if let Some(b) = args.bind {
        config.bind = b;
    }
    if let Some(p) = args.port {
        config.port = p;
    }
    if let Some(r) = args.rules {
        config.rules = Some(r);
    }
    // Tile rendering is CPU-bound: more blocking threads than twice the cores only adds
    // memory (an allocator arena each) and latency under load.
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .max_blocking_threads(cores * 2)
        .enable_all()
        .build()
        .map_err(|e| CliError::Write {
            path: PathBuf::from("<runtime>"),
            source: e,
        })?;
    let step = ui.step(&format!(
        "loading and analysing {}",
        args.data_dir.display()
    ));
    runtime.block_on(crate::server::serve(config, args.data_dir, move |addr| {
        step.done("ready");
        // Scripts and tests wait for this line.
        println!("listening on http://{addr}");
    }))?;
    Ok(())
}
