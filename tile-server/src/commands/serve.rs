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
        println!("listening on http://{addr}");
    }))?;
    Ok(())
}
