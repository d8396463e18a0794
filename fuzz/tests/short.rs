//! The short fuzz run of the test suite: for each target, its seeds (`fuzz/seeds/<target>/`)
//! and a fixed number of mutations of them, each input under a time bound. A panic or an
//! input that takes longer than the bound fails the test, naming the target and saving
//! the input (so that `riskmap-afl <target> < file` or this test replays it).
//!
//! `RISKMAP_FUZZ_ITERS` (mutants per target, default 1500) and `RISKMAP_FUZZ_SEED`
//! (default 1) change the run; the long, coverage-guided run is `scripts/fuzz.sh`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use riskmap_fuzz::Target;
use riskmap_fuzz::mutate::{Rng, mutate};

/// No input may take longer.
const HANG: Duration = Duration::from_secs(10);
/// The mutants of a target stop here even if not all have run (a slow machine).
const BUDGET: Duration = Duration::from_secs(12);

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn seeds(target: Target) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("seeds")
        .join(target.name());
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p.file_name().unwrap().to_string_lossy().into_owned(), bytes)
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no seeds in {}", dir.display());
    out
}

/// Where a failing input is saved.
fn save(target: Target, what: &str, input: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join("riskmap-fuzz-failures");
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(format!("{}-{what}", target.name()));
    std::fs::write(&p, input).unwrap();
    p
}

fn preview(input: &[u8]) -> String {
    let s = String::from_utf8_lossy(&input[..input.len().min(400)]).into_owned();
    format!("{s:?}{}", if input.len() > 400 { " …" } else { "" })
}

/// Runs the inputs one after another on a worker thread; fails on the first panic or on
/// an input that outlives [`HANG`].
fn run(target: Target) {
    let iters = env_number("RISKMAP_FUZZ_ITERS", 1500);
    let seed = env_number("RISKMAP_FUZZ_SEED", 1);
    let seeds = seeds(target);
    let (to_worker, inputs) = mpsc::channel::<Vec<u8>>();
    let (to_main, results) = mpsc::channel::<Result<(), String>>();
    let worker = std::thread::spawn(move || {
        target.prepare();
        for input in inputs {
            let r = std::panic::catch_unwind(|| target.run(&input))
                .map(|_| ())
                .map_err(|p| {
                    p.downcast_ref::<String>()
                        .cloned()
                        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_else(|| "panic".into())
                });
            if to_main.send(r).is_err() {
                return;
            }
        }
    });
    let started = Instant::now();
    let mut rng = Rng::new(seed);
    let mut ran = 0_u64;
    let total = seeds.len() as u64 + iters;
    for k in 0..total {
        if k >= seeds.len() as u64 && started.elapsed() > BUDGET {
            eprintln!(
                "{}: time budget spent after {ran} of {total} inputs",
                target.name()
            );
            break;
        }
        let (what, input) = if let Some((name, bytes)) = seeds.get(k as usize) {
            (format!("seed-{name}"), bytes.clone())
        } else {
            let (_, a) = rng.pick(&seeds).clone();
            let (_, b) = rng.pick(&seeds).clone();
            (format!("mutant-{seed}-{k}"), mutate(&mut rng, &a, &b))
        };
        let t0 = Instant::now();
        to_worker.send(input.clone()).unwrap();
        match results.recv_timeout(HANG) {
            Ok(Ok(())) => {}
            Ok(Err(msg)) => {
                let p = save(target, &what, &input);
                panic!(
                    "fuzz target {}: {what} panicked: {msg}\ninput saved to {} ({} bytes): {}",
                    target.name(),
                    p.display(),
                    input.len(),
                    preview(&input)
                );
            }
            Err(_) => {
                let p = save(target, &what, &input);
                panic!(
                    "fuzz target {}: {what} still running after {:?} (hang)\ninput saved to {} ({} bytes): {}",
                    target.name(),
                    t0.elapsed(),
                    p.display(),
                    input.len(),
                    preview(&input)
                );
            }
        }
        ran += 1;
    }
    // The worker ends when its inputs do, and its thread-local PROJ objects are destroyed
    // then: wait for that, so that it never runs beside the process's exit, which takes
    // PROJ's own globals away (a SIGSEGV after a passing run, once in a CI run).
    drop(to_worker);
    let _ = worker.join();
    eprintln!(
        "{}: {ran} inputs in {:.1} s, no panic, no hang",
        target.name(),
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn geojson() {
    run(Target::Geojson);
}

#[test]
fn csv() {
    run(Target::Csv);
}

#[test]
fn wkt() {
    run(Target::Wkt);
}

#[test]
fn shapefile() {
    run(Target::Shapefile);
}

#[test]
fn manifest() {
    run(Target::Manifest);
}

#[test]
fn rules() {
    run(Target::Rules);
}

#[test]
fn site_check() {
    run(Target::SiteCheck);
}

#[test]
fn tiles() {
    run(Target::Tiles);
}
