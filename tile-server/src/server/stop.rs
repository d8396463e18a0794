//! How `riskmap serve` stops. On Ctrl-C or SIGTERM (systemd's stop, `docker stop`) it
//! takes no new connections and ends the change streams (every open viewer holds one,
//! and the stop would otherwise wait for them for ever); the answers under way get
//! [`GRACE`] to finish. Then it waits for the change under way (a reload, a batch of
//! edits, a reading of the folder or the database) to end, so that what the map took in
//! is also recorded (a folder's trail, a GeoPackage's position), and lets no other
//! begin. A second signal stops at once.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use super::state::AppState;

/// How long the answers under way at a stop may take (an export of a province's
/// ledgers takes seconds).
pub const GRACE: Duration = Duration::from_secs(30);

/// Ctrl-C, or SIGTERM on Unix.
pub(super) async fn signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// Serves `app` on `listener` until a signal, then stops as the module says.
pub(super) async fn serve(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    state: &Arc<AppState>,
) -> std::io::Result<()> {
    let app = app.into_make_service_with_connect_info::<SocketAddr>();
    let s = Arc::clone(state);
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        signal().await;
        tracing::info!(
            "stopping: no new connections; the answers under way have {} s",
            GRACE.as_secs()
        );
        s.changes.close();
    });
    let closed = state.changes.closed();
    tokio::select! {
        served = server.into_future() => served?,
        () = async {
            closed.await;
            tokio::select! {
                () = tokio::time::sleep(GRACE) => tracing::warn!(
                    "answers still open after {} s; stopping without them",
                    GRACE.as_secs()
                ),
                () = signal() => tracing::warn!("stopping without the answers still open"),
            }
        } => {}
    }
    wait_for_changes(state, signal()).await;
    Ok(())
}

/// Waits until no change is under way ([`AppState::reload_lock`]), or until `give_up`
/// (a second signal), and keeps any other from beginning: the change path stays held
/// until the process ends.
pub async fn wait_for_changes(state: &Arc<AppState>, give_up: impl Future<Output = ()>) {
    let lock = Arc::clone(&state.reload_lock);
    let held = match Arc::clone(&lock).try_lock_owned() {
        Ok(held) => held,
        Err(_) => {
            // A warning, so that it shows at the default level: the stop is held up.
            tracing::warn!(
                "waiting for the change under way to end (a second signal stops at once)"
            );
            tokio::select! {
                held = lock.lock_owned() => {
                    tracing::info!("the change under way has ended");
                    held
                }
                () = give_up => {
                    tracing::warn!(
                        "stopped during a change: the next start reads the data as it is then"
                    );
                    return;
                }
            }
        }
    };
    // Kept, not released: a change queued behind this one must not begin while the
    // runtime winds down.
    std::mem::forget(held);
}
