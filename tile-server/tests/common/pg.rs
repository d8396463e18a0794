//! What the PostGIS tests share: the test server's URL and psql.

use std::process::Command;

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
