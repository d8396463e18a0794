//! What the PostGIS tests share: the test server's URL, psql, databases made for a test
//! (empty, or holding the demo), and a served state following one.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use riskmap_server::server::config::ServerConfig;
use riskmap_server::server::pg_listen;
use riskmap_server::server::state::{AppState, DataSource, build_snapshot};

/// The server URL from `RISKMAP_TEST_PG`, or `None` (with a message) when no database was
/// provided; under CI (`CI=true`) a missing database is a failure.
pub fn server() -> Option<String> {
    match std::env::var("RISKMAP_TEST_PG") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "RISKMAP_TEST_PG is not set under CI: scripts/test-all.sh starts the database"
            );
            eprintln!(
                "SKIPPED: RISKMAP_TEST_PG is not set (scripts/test-all.sh starts a private PostgreSQL + PostGIS)"
            );
            None
        }
    }
}

/// Runs psql on `url`; its unaligned, tuples-only output, trimmed.
pub fn psql(url: &str, sql: &str) -> String {
    let out = Command::new("psql")
        .args([
            "-X",
            "-A",
            "-t",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            url,
            "-c",
            sql,
        ])
        .output()
        .expect("psql runs (package postgresql-client-15)");
    assert!(
        out.status.success(),
        "psql {sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A new, empty database `name` on `server` (dropped first if it exists); its URL.
pub fn fresh_db(server: &str, name: &str) -> String {
    let (base, _) = server.rsplit_once('/').expect("a URL with a database name");
    psql(
        server,
        &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
    );
    // CREATE DATABASE fails while another one copies the template: try again.
    let started = Instant::now();
    loop {
        let out = Command::new("psql")
            .args([
                "-X",
                "-q",
                "-d",
                server,
                "-c",
                &format!("CREATE DATABASE {name}"),
            ])
            .output()
            .expect("psql runs");
        if out.status.success() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "CREATE DATABASE {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    format!("{base}/{name}")
}

/// The demo's ledgers folder (data/haimen).
pub fn demo_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/haimen")
}

/// A new database `name` on `server` holding the demo's ledgers (`riskmap import --db`);
/// its URL.
pub fn demo_db(server: &str, name: &str) -> String {
    let url = fresh_db(server, name);
    super::ok(&[
        "import",
        demo_dir().to_str().unwrap(),
        "--db",
        &url,
        "--quiet",
    ]);
    url
}

/// The served state of the database at `url` with `config`, following it.
pub async fn serve_db(url: &str, config: ServerConfig) -> Arc<AppState> {
    let state = serve_db_unfollowed(url, config).await;
    pg_listen::spawn(Arc::clone(&state));
    state
}

/// The served state of the database at `url`, not following it (`watch = false`).
pub async fn serve_db_unfollowed(url: &str, config: ServerConfig) -> Arc<AppState> {
    let source = DataSource::database(url);
    let (c, s) = (config.clone(), source.clone());
    let first = tokio::task::spawn_blocking(move || build_snapshot(&c, &s, 1))
        .await
        .unwrap()
        .unwrap();
    Arc::new(AppState::new(config, source, first, None))
}

/// Waits until `f` holds of the state (at most `secs` seconds).
pub async fn until(state: &AppState, secs: u64, what: &str, f: impl Fn(&AppState) -> bool) {
    let t0 = Instant::now();
    while !f(state) {
        assert!(
            t0.elapsed() < Duration::from_secs(secs),
            "not within {secs} s: {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Whether the state's listening connection is up.
pub fn connected(s: &AppState) -> bool {
    s.database.lock().unwrap().connected
}

/// A session of its own on the database at `url` that has begun a transaction and run
/// `sql` in it, not committed: the rows it changed stay locked until it commits, rolls
/// back or is dropped.
pub async fn holding(url: &str, sql: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    client
        .batch_execute(&format!("BEGIN; {sql}"))
        .await
        .unwrap();
    client
}

/// The number of the last change recorded in the database at `url`'s `riskmap_changes`.
pub fn last_change(url: &str) -> i64 {
    psql(url, "SELECT max(seq) FROM riskmap_changes")
        .parse()
        .unwrap()
}

/// Whether `/health`'s database section lists row `id` among those applied with a warning.
pub fn warned(s: &AppState, id: &str) -> bool {
    s.database
        .lock()
        .unwrap()
        .warnings
        .iter()
        .any(|r| r.id == id)
}

/// Whether `/health`'s database section lists row `id` among those the checks refused.
pub fn refused(s: &AppState, id: &str) -> bool {
    s.database
        .lock()
        .unwrap()
        .refused
        .iter()
        .any(|r| r.id == id)
}
