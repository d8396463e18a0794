//! The `riskmap` command line — analyse safety-supervision ledgers, export GeoJSON, serve the risk map.
//!
//! Exit codes: 0 success; 1 failure (a file could not be read or written, a failed
//! load); 2 bad command line or rules file; 3 the data has problems (`validate` found
//! skipped features, or `--strict` stopped on the first problem).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::args::{
    AnalyzeArgs, BackupArgs, BundleArgs, DbArgs, ExportArgs, GenerateArgs, HistoryArgs, ImportArgs,
    ListsArgs, ReportArgs, ServeArgs, TilesArgs, TokenArgs, ValidateArgs,
};
use crate::{commands, progress};

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
    /// Write the two lists (一图两单): the risk list (风险清单) and the hidden-hazard list
    /// (隐患清单), as Excel workbooks and CSV, for the district or one town (--area).
    Lists(ListsArgs),
    /// Write the report of a town (--area) or the district as one HTML page for A4: the
    /// map with legend, scale and north arrow, the four-colour counts, the top risks, the
    /// conflicts, the hidden hazards open and overdue, and the change since last month.
    Report(ReportArgs),
    /// Write every tile of the map (z0–z16 by default) into one archive, PMTiles or
    /// MBTiles by the name of --out: the server's tiles for static and offline serving.
    Tiles(TilesArgs),
    /// Write a folder that shows the map from any static web server or file share with
    /// nothing behind it: the viewer, the map as one PMTiles archive, MapLibre and the
    /// PMTiles reader.
    Bundle(BundleArgs),
    /// Load DATA_DIR and write the validation report; exit 3 if anything was skipped.
    Validate(ValidateArgs),
    /// Load DATA_DIR and write its ledgers into a GeoPackage (--into) or a PostGIS
    /// database (--db), or update it by feature id: new, changed and removed features per
    /// layer.
    Import(ImportArgs),
    /// The PostGIS store: `db init --db URL` creates its schema.
    Db(DbArgs),
    /// List the changes recorded in a GeoPackage: who changed which feature, when, and
    /// which fields (--json: the records in full).
    History(HistoryArgs),
    /// Copy a GeoPackage store whole while it is served and edited (SQLite's online
    /// backup; `cp` can catch a save half-written): `backup STORE.gpkg --to COPY.gpkg`.
    Backup(BackupArgs),
    /// Write a synthetic, clearly labelled dataset of Haimen district (deterministic).
    Generate(GenerateArgs),
    /// Make a bearer token for the server (`token new NAME --role editor|admin`).
    Token(TokenArgs),
    /// Print the default rule tables as TOML (a starting point for --rules).
    Rules,
    /// Serve the risk map: vector tiles, GeoJSON API, site checks and the web viewer.
    Serve(ServeArgs),
}

/// Runs the command line; returns the process exit code.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    // The audit log (edits and who made them, reloads, refused tokens) is kept unless
    // RISKMAP_LOG says otherwise, quiet or not: an office must be able to say who changed
    // the map.
    let filter = if cli.quiet {
        "error,audit=info"
    } else {
        "warn,audit=info"
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("RISKMAP_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter)),
        )
        .with_writer(std::io::stderr)
        // Colours only for a terminal: a log redirected to a file is read as text.
        .with_ansi(
            std::io::IsTerminal::is_terminal(&std::io::stderr())
                && std::env::var_os("NO_COLOR").is_none(),
        )
        .init();
    let ui = progress::Ui::new(cli.quiet);
    if !matches!(cli.command, Command::Serve(_)) {
        crate::pages::purge_at_once();
    }
    let result = match cli.command {
        Command::Analyze(a) => commands::analyze(&ui, &a),
        Command::Export(e) => commands::export(&ui, &e),
        Command::Lists(l) => commands::lists(&ui, &l),
        Command::Report(r) => commands::report(&ui, &r),
        Command::Tiles(t) => commands::tiles(&ui, &t),
        Command::Bundle(b) => commands::bundle(&ui, &b),
        Command::Validate(v) => commands::validate(&ui, &v.load, v.report.as_deref()),
        Command::Import(i) => commands::import(&ui, &i),
        Command::Db(d) => commands::db(&ui, &d),
        Command::History(h) => commands::history(&h),
        Command::Backup(b) => commands::backup(&ui, &b),
        Command::Token(t) => commands::token(&t),
        Command::Generate(g) => commands::generate(&ui, &g),
        Command::Serve(s) => commands::serve(&ui, s),
        Command::Rules => commands::out(format_args!(
            "{}",
            riskmap_core::rules::Rules::default().to_toml_string()
        )),
    };
    match result {
        Ok(()) | Err(commands::CliError::StdoutClosed) => ExitCode::SUCCESS,
        Err(e) => {
            // A cause that the message above already quotes is not printed again.
            let mut said = e.to_string();
            eprintln!("error: {said}");
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                let why = s.to_string();
                if !said.contains(why.trim()) {
                    eprintln!("  caused by: {why}");
                    said.push_str(&why);
                }
                src = s.source();
            }
            ExitCode::from(e.exit_code())
        }
    }
}
