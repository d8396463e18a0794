//! The bad-input corpus (`tests/bad-input/`, format in its README): every case is loaded
//! and what the loader reports is compared with the case's `expect.toml`, written by hand
//! from the input. Every case is checked and every mismatch listed, each naming its case.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use riskmap_core::Layer;
use riskmap_core::io::{LoadError, LoadOptions, Position, ValidationReport, load_dir};
use riskmap_core::rules::{Rules, RulesError};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    /// What the case is about.
    description: String,
    /// `load` (the `data/` directory through `load_dir`, the default) or `rules` (the
    /// `rules.toml` file through `Rules::from_file`).
    #[serde(default = "load")]
    kind: String,
    /// What to load, relative to the case folder: `data` by default; a file to give a
    /// file where a directory is expected; `"(empty directory)"` for a new empty one.
    #[serde(default = "data")]
    data: String,
    /// Load in strict mode.
    #[serde(default)]
    strict: bool,
    /// Set when the loader does not do what the expectation says: the case still runs,
    /// a mismatch is printed rather than failing, and a match fails (remove the marker).
    known_defect: Option<String>,
    /// The whole run is refused.
    error: Option<ExpectError>,
    /// Every issue of the report (all of them, in any order), unless its code is in
    /// `ignore_codes`.
    #[serde(default)]
    issue: Vec<ExpectIssue>,
    /// Codes not compared (incidental warnings the case is not about).
    #[serde(default)]
    ignore_codes: Vec<String>,
    /// The ids each layer must hold after loading, in order; a layer not named must be
    /// empty.
    #[serde(default)]
    survivors: BTreeMap<String, Vec<String>>,
    /// Per file: `status` (`loaded`, `skipped`, `ignored`) and text the `encoding` must
    /// contain.
    #[serde(default)]
    files: BTreeMap<String, ExpectFile>,
}

fn load() -> String {
    "load".into()
}

fn data() -> String {
    "data".into()
}

/// The special value of `data` for an empty directory (git keeps no empty folder).
const EMPTY_DIR: &str = "(empty directory)";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectError {
    /// The error variant (`Manifest`, `OutOfRange`, …).
    variant: String,
    /// Text the message must contain.
    contains: Option<String>,
    /// Line and column (a TOML syntax error).
    line: Option<u64>,
    column: Option<u64>,
    /// Rules: the dotted paths of the problems, in order.
    #[serde(default)]
    problems: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectIssue {
    code: String,
    severity: String,
    file: String,
    /// `{ feature = n }`, `{ line = n }`, `{ row = n }`, `{ line = n, column = m }`;
    /// absent for a file-level issue.
    position: Option<ExpectPosition>,
    /// Compared when given.
    feature_id: Option<String>,
    /// Compared when given.
    field: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectPosition {
    feature: Option<u64>,
    line: Option<u64>,
    row: Option<u64>,
    column: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectFile {
    status: Option<String>,
    encoding: Option<String>,
}

fn position(p: Option<Position>) -> Option<ExpectPosition> {
    let none = ExpectPosition {
        feature: None,
        line: None,
        row: None,
        column: None,
    };
    p.map(|p| match p {
        Position::Feature(n) => ExpectPosition {
            feature: Some(n),
            ..none
        },
        Position::Line(n) => ExpectPosition {
            line: Some(n),
            ..none
        },
        Position::Row(n) => ExpectPosition {
            row: Some(n),
            ..none
        },
        // The corpus is files; a store's row is never in it.
        Position::Fid(n) => ExpectPosition {
            feature: Some(n),
            ..none
        },
        Position::Text { line, column } => ExpectPosition {
            line: Some(line),
            column: Some(column),
            ..none
        },
    })
}

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/bad-input")
}

fn ids<P>(layer: &Layer<P>) -> Vec<String> {
    layer.features().iter().map(|f| f.id.clone()).collect()
}

/// The report's issues as expectations, keeping `feature_id` and `field` only where the
/// expectation names them.
fn compare_issues(exp: &Expect, report: &ValidationReport, out: &mut Vec<String>) {
    let mut actual: Vec<ExpectIssue> = report
        .issues
        .iter()
        .filter(|i| !exp.ignore_codes.iter().any(|c| c == i.code.as_str()))
        .map(|i| ExpectIssue {
            code: i.code.as_str().to_string(),
            severity: i.severity.name().to_string(),
            file: i.file.clone(),
            position: position(i.position),
            feature_id: i.feature_id.clone(),
            field: i.field.clone(),
        })
        .collect();
    let mut expected = exp.issue.clone();
    // Match each expected issue with one actual issue; what is left over on either side
    // is a mismatch.
    let mut missing = Vec::new();
    for e in expected.drain(..) {
        let hit = actual.iter().position(|a| {
            a.code == e.code
                && a.severity == e.severity
                && a.file == e.file
                && a.position == e.position
                && (e.feature_id.is_none() || a.feature_id == e.feature_id)
                && (e.field.is_none() || a.field == e.field)
        });
        match hit {
            Some(i) => {
                actual.remove(i);
            }
            None => missing.push(e),
        }
    }
    for m in missing {
        out.push(format!("expected issue not reported: {m:?}"));
    }
    for a in actual {
        out.push(format!("unexpected issue: {a:?}"));
    }
    let all: String = report.issues.iter().fold(String::new(), |mut s, i| {
        let _ = write!(s, "\n      {i}");
        s
    });
    if !out.is_empty() {
        out.push(format!("the report's issues:{all}"));
    }
}

fn check_load(dir: &Path, exp: &Expect, out: &mut Vec<String>) {
    let opts = LoadOptions {
        strict: exp.strict,
        ..LoadOptions::default()
    };
    let empty = tempfile::tempdir().unwrap();
    let path = if exp.data == EMPTY_DIR {
        empty.path().to_path_buf()
    } else {
        dir.join(&exp.data)
    };
    let loaded = load_dir(&path, &opts);
    let l = match (loaded, &exp.error) {
        (Ok(l), None) => l,
        (Ok(_), Some(e)) => {
            out.push(format!("loaded, but expected the error {}", e.variant));
            return;
        }
        (Err(e), None) => {
            out.push(format!("refused: {e} ({e:?})"));
            return;
        }
        (Err(e), Some(x)) => {
            check_error(&e, &format!("{e:?}"), x, load_error_position(&e), out);
            return;
        }
    };
    compare_issues(exp, &l.report, out);
    let ds = &l.dataset;
    let layers = [
        ("areas", ids(&ds.areas)),
        ("enterprises", ids(&ds.enterprises)),
        ("hazard_sources", ids(&ds.hazard_sources)),
        ("gas_pipelines", ids(&ds.gas_pipelines)),
        ("houses", ids(&ds.houses)),
        ("protection_targets", ids(&ds.protection_targets)),
    ];
    for name in exp.survivors.keys() {
        if !layers.iter().any(|(n, _)| n == name) {
            out.push(format!("survivors: no layer {name:?}"));
        }
    }
    for (name, got) in layers {
        let want = exp.survivors.get(name).cloned().unwrap_or_default();
        if got != want {
            out.push(format!("{name}: expected ids {want:?}, loaded {got:?}"));
        }
    }
    for (file, want) in &exp.files {
        let Some(s) = l.report.files.iter().find(|f| &f.file == file) else {
            out.push(format!("no file {file:?} in the report"));
            continue;
        };
        if let Some(st) = &want.status {
            let got = format!("{:?}", s.status).to_lowercase();
            if &got != st {
                out.push(format!("{file}: status {got}, expected {st}"));
            }
        }
        if let Some(enc) = &want.encoding {
            let got = s.encoding.clone().unwrap_or_default();
            if !got.contains(enc.as_str()) {
                out.push(format!("{file}: encoding {got:?}, expected {enc:?}"));
            }
        }
    }
}

fn load_error_position(e: &LoadError) -> Option<(u64, u64)> {
    match e {
        LoadError::Manifest { line, column, .. } => Some((*line, *column)),
        _ => None,
    }
}

fn check_error(
    e: &dyn std::fmt::Display,
    debug: &str,
    x: &ExpectError,
    at: Option<(u64, u64)>,
    out: &mut Vec<String>,
) {
    let variant = debug.split([' ', '(', '{']).next().unwrap_or("");
    if variant != x.variant {
        out.push(format!("error {variant}, expected {}: {e}", x.variant));
    }
    if let Some(c) = &x.contains
        && !e.to_string().contains(c.as_str())
    {
        out.push(format!("error message {:?} lacks {c:?}", e.to_string()));
    }
    if x.line.is_some() || x.column.is_some() {
        let (line, column) = at.unzip();
        if x.line.is_some_and(|l| line != Some(l)) || x.column.is_some_and(|c| column != Some(c)) {
            out.push(format!(
                "error at line {line:?}, column {column:?}; expected line {:?}, column {:?}: {e}",
                x.line, x.column
            ));
        }
    }
}

fn check_rules(dir: &Path, exp: &Expect, out: &mut Vec<String>) {
    match (Rules::from_file(&dir.join("rules.toml")), &exp.error) {
        (Ok(_), None) => {}
        (Ok(_), Some(x)) => out.push(format!("accepted, but expected the error {}", x.variant)),
        (Err(e), None) => out.push(format!("refused: {e}")),
        (Err(e), Some(x)) => {
            check_error(&e, &format!("{e:?}"), x, None, out);
            if let RulesError::OutOfRange { problems, .. } = &e {
                let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
                if paths != x.problems {
                    out.push(format!(
                        "problems at {paths:?}, expected {:?}: {e}",
                        x.problems
                    ));
                }
            } else if !x.problems.is_empty() {
                out.push(format!("expected problems {:?}: {e}", x.problems));
            }
        }
    }
}

#[test]
fn every_bad_input_case_gives_what_its_expectation_says() {
    let root = corpus();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("expect.toml").is_file())
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 20,
        "only {} cases in {}",
        cases.len(),
        root.display()
    );
    let mut failures = String::new();
    let mut defects = String::new();
    for dir in &cases {
        let name = dir.file_name().unwrap_or_default().to_string_lossy();
        let text = std::fs::read_to_string(dir.join("expect.toml")).unwrap();
        let exp: Expect = match toml::from_str(&text) {
            Ok(e) => e,
            Err(e) => {
                let _ = writeln!(failures, "case {name}: expect.toml: {e}");
                continue;
            }
        };
        assert!(
            !exp.description.trim().is_empty(),
            "case {name}: no description"
        );
        let mut out = Vec::new();
        match exp.kind.as_str() {
            "load" => check_load(dir, &exp, &mut out),
            "rules" => check_rules(dir, &exp, &mut out),
            other => out.push(format!("unknown kind {other:?}")),
        }
        match (&exp.known_defect, out.is_empty()) {
            (None, true) => {}
            (None, false) => {
                let _ = writeln!(failures, "case {name}:\n  {}", out.join("\n  "));
            }
            (Some(d), false) => {
                let _ = writeln!(
                    defects,
                    "case {name} (known defect: {d}):\n  {}",
                    out.join("\n  ")
                );
            }
            (Some(d), true) => {
                let _ = writeln!(
                    failures,
                    "case {name}: marked as a known defect ({d}) but now gives what is expected: remove `known_defect`"
                );
            }
        }
    }
    if !defects.is_empty() {
        eprintln!("known defects, not failing:\n{defects}");
    }
    assert!(failures.is_empty(), "bad-input cases failing:\n{failures}");
}
