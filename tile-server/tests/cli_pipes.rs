//! Commands whose output goes into a pipe that its reader closes early (`riskmap validate
//! DATA | head -1`, as a shell script takes a first line) end quietly and successfully,
//! as Unix tools do, instead of panicking on the closed pipe. A log written into a pipe
//! or a file (`riskmap serve … 2> serve.log`) is text, without a terminal's colours.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

/// `riskmap ARGS` with its standard output a pipe closed before it writes: its exit code
/// and standard error.
fn into_a_closed_pipe(args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_riskmap"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("riskmap starts");
    // The reader goes at once: the command's first write finds the pipe closed.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_closed_pipe_ends_a_command_quietly() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/haimen");
    for args in [
        vec!["validate", demo.to_str().unwrap()],
        vec!["rules"],
        vec!["token", "new", "zhang-san", "--role", "editor"],
    ] {
        let (code, err) = into_a_closed_pipe(&args);
        assert_eq!(code, Some(0), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

/// A closed pipe does not turn a failing validation into a passing one: skipped lines
/// still give exit code 3.
#[test]
fn a_closed_pipe_keeps_a_validation_s_failure() {
    let dir = tempfile::tempdir().unwrap();
    let data = common::demo_copy(dir.path());
    common::break_footprint(&data, "house-0000020");
    let (code, err) = into_a_closed_pipe(&["validate", data.to_str().unwrap()]);
    assert_eq!(code, Some(3), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// The log into a pipe has its lines and no escape sequences (a terminal's colours),
/// which a file or `grep` would show as `^[[2m`.
#[test]
fn a_log_into_a_pipe_has_no_colours() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/haimen");
    let out = Command::new(env!("CARGO_BIN_EXE_riskmap"))
        .args(["validate", demo.to_str().unwrap()])
        .env("RISKMAP_LOG", "debug")
        .env_remove("NO_COLOR")
        .output()
        .expect("riskmap runs");
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(
        log.contains("DEBUG") && log.contains("file loaded"),
        "{log}"
    );
    assert!(!log.contains('\u{1b}'), "{log}");
}
