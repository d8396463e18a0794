//! What the core's integration tests share: the demo data, GDAL's programs, and layers
//! compared feature by feature.

#![allow(dead_code)] // each test file uses its own part of this module

use std::path::{Path, PathBuf};
use std::process::Command;

use geo::Geometry;
use riskmap_core::dataset::{Dataset, Layer};
use riskmap_core::store::wkb;
use serde::Serialize;

#[path = "../../../tests/support/process_temp.rs"]
pub mod process_temp;

pub fn demo_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/haimen")
}

/// Runs a GDAL program (Debian package gdal-bin, which scripts/ensure-gdal.sh installs);
/// its standard output. It must succeed without an error or a warning.
pub fn gdal(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} not runnable ({e}): install gdal-bin"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{program} {args:?} failed: {stderr}");
    assert!(
        !stderr.contains("ERROR") && !stderr.contains("Warning"),
        "{program} {args:?} complained: {stderr}"
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The Python of the independent writers and readers (`RISKMAP_TEST_PYTHON`, which
/// scripts/ensure-python-tools.sh makes and scripts/test-all.sh sets); None, and the caller
/// skips, outside CI; under CI (`CI=true`) its absence is a failure.
pub fn python() -> Option<String> {
    match std::env::var("RISKMAP_TEST_PYTHON") {
        Ok(p) if !p.is_empty() => Some(p),
        _ => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "RISKMAP_TEST_PYTHON is not set under CI: scripts/test-all.sh makes it"
            );
            eprintln!(
                "SKIPPED: RISKMAP_TEST_PYTHON is not set (scripts/ensure-python-tools.sh prints it)"
            );
            None
        }
    }
}

/// Runs a script of scripts/reference with `python`; its standard output. It must succeed.
pub fn reference(python: &str, script: &str, args: &[&str]) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scripts/reference")
        .join(script);
    let out = Command::new(python)
        .arg(&path)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{python} not runnable ({e})"));
    assert!(
        out.status.success(),
        "{script} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

pub fn wkb_of(g: &Geometry<f64>) -> Vec<u8> {
    let mut v = Vec::new();
    wkb::wkb(&mut v, g);
    v
}

/// Ids, geometries (to the bit) and props (as serde sees them) of two layers are equal.
pub fn assert_same_layer<P: Serialize>(a: &Layer<P>, b: &Layer<P>) {
    assert_eq!(a.len(), b.len(), "{}", a.kind());
    for (x, y) in a.features().iter().zip(b.features()) {
        assert_eq!(x.id, y.id, "{}", a.kind());
        assert_eq!(
            wkb_of(&x.geometry),
            wkb_of(&y.geometry),
            "{} {}",
            a.kind(),
            x.id
        );
        assert_eq!(
            serde_json::to_value(&x.props).ok(),
            serde_json::to_value(&y.props).ok(),
            "{} {}",
            a.kind(),
            x.id
        );
    }
}

/// Every input layer but the hidden hazards (which `assert_same_layer` compares where a
/// test has them in both).
pub fn assert_same(a: &Dataset, b: &Dataset) {
    assert_same_layer(&a.areas, &b.areas);
    assert_same_layer(&a.enterprises, &b.enterprises);
    assert_same_layer(&a.hazard_sources, &b.hazard_sources);
    assert_same_layer(&a.gas_pipelines, &b.gas_pipelines);
    assert_same_layer(&a.houses, &b.houses);
    assert_same_layer(&a.protection_targets, &b.protection_targets);
}

/// `n` point houses as a GeoJSON FeatureCollection, ids `F-0`… in the Chinese field
/// name `房屋编号`, floors 1–5, on a grid of 400 columns 1e-4° apart: more than a reader's
/// part when `n` is large, to be converted by GDAL into the other formats.
pub fn many_houses_geojson(n: usize) -> String {
    houses_geojson_with(n, |k| {
        format!("\"房屋编号\":\"F-{k}\",\"层数\":{}", 1 + k % 5)
    })
}

/// `n` point houses on [`many_houses_geojson`]'s grid, house `k`'s properties (the
/// members' text, without braces) by `props`.
pub fn houses_geojson_with(n: usize, props: impl Fn(usize) -> String) -> String {
    let mut text = String::from("{\"type\":\"FeatureCollection\",\"features\":[\n");
    for k in 0..n {
        if k > 0 {
            text.push_str(",\n");
        }
        let (x, y) = (
            121.0 + (k % 400) as f64 * 1e-4,
            31.9 + (k / 400) as f64 * 1e-4,
        );
        text += &format!(
            "{{\"type\":\"Feature\",\"geometry\":{{\"type\":\"Point\",\"coordinates\":[{x:.4},{y:.4}]}},\"properties\":{{{}}}}}",
            props(k)
        );
    }
    text.push_str("\n]}");
    text
}
