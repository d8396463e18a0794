//! `riskmap serve`: load, analyse and serve the map until stopped.

use std::path::PathBuf;

use super::{CliError, load_options};
use crate::args::ServeArgs;
use crate::progress::Ui;
use crate::server::DataSource;

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
    // The rules file is read again at every reload, so it stays a path here.
    if let Some(r) = &args.load.rules {
        config.rules = Some(r.clone());
    }
    config.as_of = args.load.as_of;
    // A font named in the configuration must open; without one, the map has no labels.
    if let Err(e) = crate::glyphs::shared(config.font.as_deref()) {
        if config.font.is_some() {
            return Err(CliError::Usage(format!("font: {e}")));
        }
        ui.say(&format!("warning: the map has no labels: {e}"));
    }
    if let Some(path) = archive_path(&args) {
        return serve_archive(ui, config, &args, &path);
    }
    let mut source = match super::source(&args.load)? {
        super::Source::Path(p) => DataSource::dir(p),
        super::Source::Db(url) => DataSource::database(url),
    };
    source.load = load_options(&args.load)?;
    // Tile rendering is CPU-bound: more blocking threads than the gates of expensive work
    // can fill (about twice the cores) only adds memory (an allocator arena each) and
    // latency under load; fewer would let one kind of work take another's threads.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .max_blocking_threads(crate::server::limits::Limits::blocking_threads(&config))
        .enable_all()
        .build()
        .map_err(|e| CliError::Write {
            path: PathBuf::from("<runtime>"),
            source: e,
        })?;
    let step = ui.step(&format!("loading and analysing {}", source.dir.display()));
    runtime.block_on(crate::server::serve(config, source, move |addr| {
        step.done("ready");
        // Scripts and tests wait for this line.
        // (A reader of this line that has gone, `| head -1`, is no reason to stop.)
        let _ = super::out(format_args!("listening on http://{addr}\n"));
    }))?;
    // The change path is quiet and held (`server::stop`): what is left is work whose
    // result nobody waits for (a reload given up on, tiles of closed answers).
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    Ok(())
}

/// The tile archive named instead of data (`serve map.pmtiles`), if it is one.
fn archive_path(args: &ServeArgs) -> Option<PathBuf> {
    let p = args.load.data_dir.as_ref()?;
    riskmap_core::archive::ArchiveFormat::of_path(p).ok()?;
    Some(p.clone())
}

/// `riskmap serve ARCHIVE`: the archive's tiles and the offline viewer, nothing loaded.
fn serve_archive(
    ui: &Ui,
    config: crate::server::config::ServerConfig,
    args: &ServeArgs,
    path: &std::path::Path,
) -> Result<(), CliError> {
    let l = &args.load;
    if l.rules.is_some() || l.as_of.is_some() || l.crs.is_some() || l.encoding.is_some() || l.strict
    {
        ui.say("warning: an archive is served as it was made: --rules, --as-of, --crs, --encoding and --strict apply to `riskmap tiles`, not here");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Write {
            path: PathBuf::from("<runtime>"),
            source: e,
        })?;
    let step = ui.step(&format!("opening {}", path.display()));
    runtime.block_on(crate::server::archive::serve(config, path, move |addr| {
        step.done("ready");
        // Scripts and tests wait for this line.
        // (A reader of this line that has gone, `| head -1`, is no reason to stop.)
        let _ = super::out(format_args!("listening on http://{addr}\n"));
    }))?;
    Ok(())
}
