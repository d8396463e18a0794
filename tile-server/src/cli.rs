//! The `riskmap` command line — analyse safety-supervision ledgers, export GeoJSON, serve the risk map.
//!
//! Exit codes: 0 success; 1 failure (a file could not be read or written, a failed
//! load); 2 bad command line or rules file; 3 the data has problems (`validate` found
//! skipped features, or `--strict` stopped on the first problem).

use crate::{commands, progress};

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// RiskMap: safety-risk maps from emergency-management ledgers.
#[derive(Parser, Debug)]
#[command(name = "riskmap", version, about, long_about = None)]
pub struct Cli {
    /// Print nothing but errors.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Load, validate and analyse DATA_DIR; write every layer and result as GeoJSON, the
    /// summary and the validation report to --out.
    Analyze(AnalyzeArgs),
    /// Write selected layers (input or result) as GeoJSON, filtered by box, area and level.
    Export(ExportArgs),
    /// Load DATA_DIR and write the validation report; exit 3 if anything was skipped.
    Validate(ValidateArgs),
    /// Write a synthetic, clearly labelled dataset of Haimen district (deterministic).
    Generate(GenerateArgs),
    /// Print the default rule tables as TOML (a starting point for --rules).
    Rules,
    /// Serve the risk map: vector tiles, GeoJSON API, site checks and the web viewer.
    Serve(ServeArgs),
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Directory holding the layer files.
    pub data_dir: PathBuf,
    /// Address to listen on (default 127.0.0.1; 0.0.0.0 to serve the network).
    #[arg(long)]
    pub bind: Option<std::net::IpAddr>,
    /// Port (default 8080; 0 picks a free one).
    #[arg(long)]
    pub port: Option<u16>,
    /// Server configuration TOML (see README: cache size, CORS, basemap, fields, token).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Rules TOML overriding the default rule tables.
    #[arg(long)]
    pub rules: Option<PathBuf>,
}

#[derive(Args, Debug, Clone)]
pub struct LoadArgs {
    /// Directory holding the layer files (see docs/data-model.md).
    pub data_dir: PathBuf,
    /// Fail on the first data problem instead of skipping and reporting it.
    #[arg(long)]
    pub strict: bool,
    /// Force the text encoding of CSV and DBF files (utf-8, gbk, gb18030).
    #[arg(long)]
    pub encoding: Option<String>,
    /// Force the coordinate system of every file (e.g. EPSG:4549, gcj02).
    #[arg(long)]
    pub crs: Option<String>,
    /// Rules TOML overriding the default rule tables.
    #[arg(long)]
    pub rules: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct AnalyzeArgs {
    #[command(flatten)]
    pub load: LoadArgs,
    /// Output directory (created if missing).
    #[arg(long, short)]
    pub out: PathBuf,
    /// Write only summary.json, area_summaries.json and the validation report, not the
    /// GeoJSON layers.
    #[arg(long)]
    pub summary_only: bool,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    #[command(flatten)]
    pub load: LoadArgs,
    /// Output directory (created if missing).
    #[arg(long, short)]
    pub out: PathBuf,
    /// Layers to write (default: all). Input layers and results: hazard_grades,
    /// protection_conflicts, pipeline_conflicts, house_risk, enterprise_risk, risk_grid.
    #[arg(long, value_delimiter = ',')]
    pub layer: Vec<String>,
    /// Keep features meeting this box: min_lon,min_lat,max_lon,max_lat.
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    pub bbox: Option<Vec<f64>>,
    /// Keep features meeting this town/street (name or id).
    #[arg(long)]
    pub area: Option<String>,
    /// Keep results of these levels: major, significant, general, low (or 红,橙,黄,蓝).
    #[arg(long, value_delimiter = ',')]
    pub level: Vec<String>,
}

#[derive(Args, Debug)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub load: LoadArgs,
    /// Also write the report as JSON to this file.
    #[arg(long)]
    pub report: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// Output directory (created if missing).
    #[arg(long, short)]
    pub out: PathBuf,
    /// Number of self-built houses; other layers scale with it. Default: the demo size.
    #[arg(long)]
    pub houses: Option<usize>,
    /// The benchmark city: 1,000,000 houses, 20,000 enterprises, 2,000 hazard sources.
    #[arg(long, conflicts_with = "houses")]
    pub benchmark: bool,
    /// Random seed.
    #[arg(long, default_value_t = 20_221_122)]
    pub seed: u64,
    /// Format of the houses file: `csv` (a GBK ledger with WKT footprints, as offices
    /// export them; the default) or `geojson` (as a GIS survey delivers a large inventory;
    /// the default with --benchmark).
    #[arg(long, value_parser = ["csv", "geojson"])]
    pub houses_format: Option<String>,
}

/// Runs the command line; returns the process exit code.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let filter = if cli.quiet { "error" } else { "warn" };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("RISKMAP_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter)),
        )
        .with_writer(std::io::stderr)
        .init();
    let ui = progress::Ui::new(cli.quiet);
    let result = match cli.command {
        Command::Analyze(a) => commands::analyze(&ui, &a.load, &a.out, a.summary_only),
        Command::Export(e) => commands::export(&ui, &e),
        Command::Validate(v) => commands::validate(&ui, &v.load, v.report.as_deref()),
        Command::Generate(g) => commands::generate(&ui, &g),
        Command::Serve(s) => commands::serve(&ui, s),
        Command::Rules => {
            print!("{}", riskmap_core::rules::Rules::default().to_toml_string());
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                eprintln!("  caused by: {s}");
                src = s.source();
            }
            ExitCode::from(e.exit_code())
        }
    }
}
