//! `riskmap serve`: the tile server and web viewer.
//!
//! State ([`state::AppState`]) holds the current [`state::Snapshot`] of loaded and
//! analysed data behind a lock-free-to-read `Arc`; [`routes::router`] is the whole HTTP
//! application. Reload (`POST /admin/reload` or SIGHUP) builds a new snapshot off the
//! runtime and swaps it in; a failed, refused (it would lose data, see [`reload`]) or
//! timed-out reload keeps the old one.

pub mod applied;
pub mod archive;
pub mod assets;
pub mod auth;
pub mod cache;
mod change_event;
pub mod changes;
pub mod config;
pub mod dated;
pub mod day_data;
mod edit_queue;
pub mod error;
mod file_rows;
pub mod folder_trail;
mod handlers;
pub(crate) mod layers;
pub mod limits;
pub mod metrics;
pub mod month_ends;
pub mod offline;
pub mod ogc_fields;
mod pg_compare;
mod pg_edit;
pub mod pg_listen;
mod pools;
pub mod proxy;
mod refused_rows;
pub mod reload;
pub mod routes;
pub mod scan;
pub mod search;
pub mod site;
pub mod source;
pub mod state;
pub mod stop;
pub mod stored;
pub mod watch;

use std::net::SocketAddr;
use std::sync::Arc;

use config::ServerConfig;
pub use state::DataSource;
use state::{AppState, build_snapshot};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The first load failed.
    #[error("loading {dir}: {source}")]
    Load {
        /// Data directory.
        dir: String,
        /// Cause.
        #[source]
        source: state::LoadFailure,
    },
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// Address.
        addr: SocketAddr,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// The folder's trail (`trail` in the configuration) cannot be made or is not one.
    #[error("{0}")]
    Trail(String),
    /// The tile archive to serve cannot be read or is not one of RiskMap's.
    #[error("{path}: {message}")]
    Archive {
        /// The archive.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The server stopped with an error.
    #[error("server error: {0}")]
    Io(#[from] std::io::Error),
}

/// Loads the data, binds and serves until Ctrl-C or SIGTERM.
pub async fn serve(
    config: ServerConfig,
    source: DataSource,
    on_ready: impl FnOnce(SocketAddr),
) -> Result<(), ServeError> {
    let admin_token = config.plain_admin_token();
    // Checked before the first load, which may take minutes on a province.
    let trail = folder_trail::open(&source, config.trail.as_deref()).map_err(ServeError::Trail)?;
    let cfg = config.clone();
    let src = source.clone();
    let joined = |e: tokio::task::JoinError| ServeError::Io(std::io::Error::other(e.to_string()));
    let first = tokio::task::spawn_blocking(move || build_snapshot(&cfg, &src, 1))
        .await
        .map_err(joined)?
        .map_err(|e| ServeError::Load {
            dir: source.dir.display().to_string(),
            source: e,
        })?;
    // What the office changed in the folder while no server ran, recorded before
    // anything is served.
    let (first, trail) = match trail {
        Some(t) => {
            let max_loss = config.reload_max_loss;
            let (first, t, caught) = tokio::task::spawn_blocking(move || {
                let caught = folder_trail::catch_up(&t, &first, max_loss);
                (first, t, caught)
            })
            .await
            .map_err(joined)?;
            caught.map_err(ServeError::Trail)?;
            (first, Some(t))
        }
        None => (first, None),
    };
    let addr = SocketAddr::new(config.bind, config.port);
    let state =
        Arc::new(AppState::new(config, source, first, admin_token).with_folder_trail(trail));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind { addr, source })?;
    let local = listener.local_addr()?;
    spawn_sighup_reload(Arc::clone(&state));
    if state.source.db.is_some()
        || matches!(
            riskmap_core::project::SourceKind::of(&state.source.dir),
            Ok(riskmap_core::project::SourceKind::GeoPackage)
        )
    {
        // A store is edited: the copy the first batch needs is made now, in the background.
        let s = Arc::clone(&state);
        tokio::task::spawn_blocking(move || s.prepare_spare());
    }
    // Midnight in China: the hidden hazards are counted on the new day.
    {
        let s = Arc::clone(&state);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(until_next_day()).await;
                match s.roll_day(riskmap_core::model::Day::today()).await {
                    Ok(Some(ev)) => tracing::info!(generation = ev.generation, "a new day"),
                    Ok(None) => {}
                    Err(e) => tracing::error!(error = %e, "moving the map to the new day"),
                }
            }
        });
    }
    // A GeoPackage's triggers marking changed rows made and its marks read forgotten, so
    // that another program's next save is read by its rows.
    if state.source.file_stamp().is_some() {
        let s = Arc::clone(&state);
        tokio::spawn(async move { s.settle_served_reading().await });
    }
    // Kept for as long as the server runs.
    let _watcher = if !state.config.watch {
        None
    } else if state.source.db.is_some() {
        pg_listen::spawn(Arc::clone(&state));
        None
    } else {
        match watch::watch(Arc::clone(&state)) {
            Ok(w) => Some(w),
            Err(e) => {
                tracing::warn!(error = %e, "cannot follow the data source; POST /admin/reload reads it again");
                None
            }
        }
    };
    let signals = stop::Signals::listen();
    on_ready(local);
    stop::serve(
        listener,
        routes::router(Arc::clone(&state)),
        &state,
        &signals,
    )
    .await?;
    Ok(())
}

#[cfg(unix)]
fn spawn_sighup_reload(state: Arc<AppState>) {
    use tokio::signal::unix::{SignalKind, signal};
    tokio::spawn(async move {
        let Ok(mut hup) = signal(SignalKind::hangup()) else {
            tracing::warn!("cannot listen for SIGHUP; reload with POST /admin/reload");
            return;
        };
        while hup.recv().await.is_some() {
            tracing::info!(target: "audit", by = "SIGHUP", "reload requested");
            state.reread_tokens();
            // Never forced: a signal cannot say that a loss is meant.
            let _ = state.reload(false).await;
        }
    });
}

#[cfg(not(unix))]
fn spawn_sighup_reload(_state: Arc<AppState>) {}

/// How long until a few seconds past the next midnight, China Standard Time (UTC+8).
fn until_next_day() -> std::time::Duration {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let into_day = (now + 8 * 3600) % 86_400;
    std::time::Duration::from_secs(86_400 - into_day + 5)
}
