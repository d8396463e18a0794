//! How `riskmap serve` stops. On Ctrl-C or SIGTERM (systemd's stop, `docker stop`) it
//! takes no new connections and ends the change streams (every open viewer holds one,
//! and the stop would otherwise wait for them for ever); the answers under way get
//! [`GRACE`] to finish. Then it waits for the change under way (a reload, a batch of
//! edits, a reading of the folder or the database) and those already waiting for the
//! change path to end, each bounded by its own limit, so that what the map took in is
//! also recorded (a folder's trail, a GeoPackage's position), and lets no later one
//! begin. A second signal, at any point of this, stops at once.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::state::AppState;

/// How long the answers under way at a stop may take (an export of a province's
/// ledgers takes seconds).
pub const GRACE: Duration = Duration::from_secs(30);

/// The stop signals (Ctrl-C; SIGTERM on Unix) received since [`Signals::listen`], which
/// the server calls before it says it listens: none is lost between the stop's phases,
/// and none before the first has a listener (the default action would end the process
/// without a stop).
#[derive(Clone)]
pub struct Signals(watch::Receiver<u32>);

impl Signals {
    /// Listens from now on; within a runtime.
    pub fn listen() -> Signals {
        let (tx, rx) = watch::channel(0u32);
        let tx = Arc::new(tx);
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            for kind in [SignalKind::interrupt(), SignalKind::terminate()] {
                match signal(kind) {
                    Ok(mut s) => {
                        let tx = Arc::clone(&tx);
                        tokio::spawn(async move {
                            while s.recv().await.is_some() {
                                tx.send_modify(|n| *n += 1);
                            }
                        });
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, signal = kind.as_raw_value(), "cannot listen for a stop signal")
                    }
                }
            }
        }
        #[cfg(not(unix))]
        tokio::spawn(async move {
            while tokio::signal::ctrl_c().await.is_ok() {
                tx.send_modify(|n| *n += 1);
            }
        });
        Signals(rx)
    }

    /// Ready once `n` signals have been received in all.
    pub fn received(&self, n: u32) -> impl Future<Output = ()> + Send + 'static + use<> {
        let mut rx = self.0.clone();
        async move {
            if rx.wait_for(|c| *c >= n).await.is_err() {
                // No listener is left (none could be made): no signal comes.
                std::future::pending::<()>().await;
            }
        }
    }
}

/// Serves `app` on `listener` until a signal, then stops as the module says.
pub(super) async fn serve(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    state: &Arc<AppState>,
    signals: &Signals,
) -> std::io::Result<()> {
    let app = app.into_make_service_with_connect_info::<SocketAddr>();
    let s = Arc::clone(state);
    let first = signals.received(1);
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        first.await;
        tracing::info!(
            "stopping: no new connections; the answers under way have {} s",
            GRACE.as_secs()
        );
        s.changes.close();
    });
    let closed = state.changes.closed();
    let second = signals.received(2);
    tokio::select! {
        served = server.into_future() => served?,
        () = async {
            closed.await;
            tokio::select! {
                () = tokio::time::sleep(GRACE) => tracing::warn!(
                    "answers still open after {} s; stopping without them",
                    GRACE.as_secs()
                ),
                () = second => tracing::warn!("stopping without the answers still open"),
            }
        } => {}
    }
    wait_for_changes(state, signals.received(2)).await;
    Ok(())
}

/// Waits until the change under way and those already waiting for the change path
/// ([`AppState::reload_lock`], first come first served) have ended, or until `give_up`
/// (a second signal), and keeps any later one from beginning: the change path stays
/// held until the process ends.
pub async fn wait_for_changes(state: &Arc<AppState>, give_up: impl Future<Output = ()>) {
    let lock = Arc::clone(&state.reload_lock);
    let held = match Arc::clone(&lock).try_lock_owned() {
        Ok(held) => held,
        Err(_) => {
            // A warning, so that it shows at the default level: the stop is held up.
            tracing::warn!(
                "waiting for the changes under way to end (a second signal stops at once)"
            );
            tokio::select! {
                held = lock.lock_owned() => {
                    tracing::info!("the changes under way have ended");
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
    // Kept, not released: a change asked for after this must not begin while the
    // runtime winds down.
    std::mem::forget(held);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Signals are counted from the listening on, whether or not a phase of the stop
    /// waits at the moment: two SIGTERMs sent before anything waits make the second
    /// signal's wait end at once. (This test process ignores SIGTERM from here on: the
    /// listener stays for the process's life, as in the server.)
    #[cfg(unix)]
    #[tokio::test]
    async fn stop_signals_are_counted_from_the_listening_on() {
        let signals = Signals::listen();
        let pid = std::process::id().to_string();
        let term = || {
            let sent = std::process::Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .is_ok_and(|s| s.success());
            assert!(sent, "kill -TERM");
        };
        term();
        tokio::time::timeout(Duration::from_secs(10), signals.received(1))
            .await
            .expect("the first signal");
        let second = signals.received(2);
        assert!(
            tokio::time::timeout(Duration::from_millis(200), signals.received(2))
                .await
                .is_err(),
            "a second signal before it was sent"
        );
        term();
        tokio::time::timeout(Duration::from_secs(10), second)
            .await
            .expect("the second signal");
    }
}
