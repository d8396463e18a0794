//! The temporary directory of what one test process shares between its tests (a
//! `static`, made once): statics are never dropped, so such a directory is never removed
//! by its own process, and a test run of hundreds of processes (one per test) would leave
//! hundreds behind. Each new one is named by its process, and removes those of processes
//! that have ended. Included by the test helpers of both crates.

use std::path::Path;

const PREFIX: &str = "riskmap-test-";

/// A new temporary directory owned by this process, after removing those left by test
/// processes that have ended (on Linux, where a process is alive while `/proc/PID` is).
pub fn process_temp_dir() -> tempfile::TempDir {
    let base = std::env::temp_dir();
    if Path::new("/proc/self").exists()
        && let Ok(entries) = std::fs::read_dir(&base)
    {
        for e in entries.flatten() {
            let name = e.file_name();
            let pid = name
                .to_str()
                .and_then(|n| n.strip_prefix(PREFIX))
                .and_then(|rest| rest.split('-').next())
                .and_then(|p| p.parse::<u32>().ok());
            if let Some(pid) = pid
                && !Path::new(&format!("/proc/{pid}")).exists()
            {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
    tempfile::Builder::new()
        .prefix(&format!("{PREFIX}{}-", std::process::id()))
        .tempdir()
        .expect("a temporary directory")
}
