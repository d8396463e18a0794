//! FlatGeobuf ledgers written by GDAL's own driver (`ogr2ogr -f FlatGeobuf`, Debian
//! package gdal-bin, which scripts/ensure-gdal.sh installs) read back as the ledgers they
//! came from; files cut short or damaged keep what can be read and never bring the
//! loader down.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure

mod common;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use riskmap_core::dataset::{Dataset, Layer};
use riskmap_core::io::{
    FileOptions, IssueCode, LoadOptions, Position, Severity, load_dir, load_file,
};
use riskmap_core::model::{Feature, House, LayerKind};
use riskmap_core::project::Project;
use riskmap_core::rules::Rules;
use riskmap_core::store::gpkg;

use common::{assert_same, assert_same_layer, demo_dir, gdal, s};

/// The demo data loaded from its folder, and a folder of FlatGeobuf files that GDAL wrote
/// from it (through a GeoPackage of the same data, whose tables GDAL reads).
fn demo() -> &'static (Dataset, tempfile::TempDir) {
    static DEMO: OnceLock<(Dataset, tempfile::TempDir)> = OnceLock::new();
    DEMO.get_or_init(|| {
        let ds = load_dir(&demo_dir(), &LoadOptions::default())
            .expect("demo data loads")
            .dataset;
        let dir = common::process_temp::process_temp_dir();
        let store = dir.path().join("demo.gpkg");
        gpkg::write(&store, &ds).expect("written");
        let out = dir.path().join("fgb");
        std::fs::create_dir(&out).expect("folder");
        for layer in LayerKind::INPUTS.map(LayerKind::name) {
            let target = out.join(format!("{layer}.fgb"));
            gdal(
                "ogr2ogr",
                &["-f", "FlatGeobuf", s(&target), s(&store), layer],
            );
        }
        (ds, dir)
    })
}

fn fgb_dir() -> PathBuf {
    demo().1.path().join("fgb")
}

/// A folder holding copies of some of the demo's FlatGeobuf files, the one named
/// `changed` replaced by `bytes`.
fn folder_with(changed: &str, bytes: &[u8]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for layer in ["areas", "enterprises", "hazard_sources"] {
        std::fs::copy(
            fgb_dir().join(format!("{layer}.fgb")),
            dir.path().join(format!("{layer}.fgb")),
        )
        .expect("copied");
    }
    std::fs::write(dir.path().join(format!("{changed}.fgb")), bytes).expect("written");
    dir
}

#[test]
fn files_gdal_wrote_read_as_the_ledgers_they_came_from() {
    let (ds, _) = demo();
    let loaded = load_dir(&fgb_dir(), &LoadOptions::default()).expect("loads");
    let report = &loaded.report;
    assert_eq!(report.skipped_count(), 0, "{}", report.to_markdown());
    assert_eq!(report.repaired_count(), 0, "{}", report.to_markdown());
    for f in &report.files {
        assert_eq!(f.format.as_deref(), Some("flatgeobuf"), "{}", f.file);
        // GDAL writes the GeoPackage's EPSG:4326 into each header.
        let crs = f.crs.as_deref().unwrap_or_default();
        assert!(
            crs.contains("EPSG:4326") && crs.contains("FlatGeobuf header"),
            "{crs}"
        );
    }
    let back = loaded.dataset;
    assert_eq!(back.counts(), ds.counts());
    assert!(back.houses.len() > 1000, "the demo has its houses");
    // GDAL writes features in the order of its spatial index (a Hilbert curve): compare
    // them in the order of the original ledgers.
    let sorted = sorted_like(&back, ds);
    assert_same(ds, &sorted);
    assert_same_layer(&ds.hidden_hazards, &sorted.hidden_hazards);
    // Same ledgers, same analysis, in GDAL's order as in the ledgers' (the summaries list
    // the areas in their layer's order, so only the areas are put back in the ledger's;
    // ties among an area's top risks do not go by the order the features come in).
    let rules = Rules::default();
    let a = Project::from_dataset(ds.clone(), &rules).unwrap().summary();
    let mut gdal_order = back;
    gdal_order.areas = in_order_of(&gdal_order.areas, &ds.areas);
    let b = Project::from_dataset(gdal_order, &rules).unwrap().summary();
    if a != b {
        print_differences(
            "",
            &serde_json::to_value(&a).unwrap(),
            &serde_json::to_value(&b).unwrap(),
        );
    }
    assert!(a == b, "the analyses differ");
}

/// Prints where two JSON values differ (on a failure, what the assertion cannot show).
fn print_differences(path: &str, x: &serde_json::Value, y: &serde_json::Value) {
    use serde_json::Value;
    match (x, y) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                print_differences(&format!("{path}.{k}"), v, &b[k]);
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (v, w)) in a.iter().zip(b).enumerate() {
                print_differences(&format!("{path}[{i}]"), v, w);
            }
        }
        _ if x != y => eprintln!("{path}: {x} vs {y}"),
        _ => {}
    }
}

/// `layer`'s features in the order of `like`'s (same ids).
fn in_order_of<P: Clone>(layer: &Layer<P>, like: &Layer<P>) -> Layer<P> {
    let by_id: HashMap<&str, &Feature<P>> = layer
        .features()
        .iter()
        .map(|f| (f.id.as_str(), f))
        .collect();
    let features = like
        .features()
        .iter()
        .map(|f| (*by_id.get(f.id.as_str()).expect("same ids")).clone())
        .collect();
    Layer::new(layer.kind(), features)
}

/// Every layer of `ds` in the order of `like`'s.
fn sorted_like(ds: &Dataset, like: &Dataset) -> Dataset {
    let mut out = ds.clone();
    out.areas = in_order_of(&ds.areas, &like.areas);
    out.enterprises = in_order_of(&ds.enterprises, &like.enterprises);
    out.hazard_sources = in_order_of(&ds.hazard_sources, &like.hazard_sources);
    out.gas_pipelines = in_order_of(&ds.gas_pipelines, &like.gas_pipelines);
    out.houses = in_order_of(&ds.houses, &like.houses);
    out.protection_targets = in_order_of(&ds.protection_targets, &like.protection_targets);
    out.hidden_hazards = in_order_of(&ds.hidden_hazards, &like.hidden_hazards);
    out
}

#[test]
fn a_projected_file_is_converted_by_the_crs_of_its_header() {
    // The demo's pipes are Gauss–Krüger coordinates (EPSG:4549, the GeoJSON's crs
    // member); GDAL copies them as they are and writes EPSG:4549 into the header.
    let dir = tempfile::tempdir().expect("temp dir");
    let target = dir.path().join("gas_pipelines.fgb");
    let source = demo_dir().join("gas_pipelines.geojson");
    gdal("ogr2ogr", &["-f", "FlatGeobuf", s(&target), s(&source)]);
    let info = gdal("ogrinfo", &["-ro", "-so", s(&target), "gas_pipelines"]);
    assert!(info.contains("ID[\"EPSG\",4549]"), "{info}");
    let from_fgb = load_dir(dir.path(), &LoadOptions::default()).expect("loads");
    let summary = &from_fgb.report.files[0];
    assert!(
        summary
            .crs
            .as_deref()
            .unwrap_or_default()
            .contains("EPSG:4549"),
        "{:?}",
        summary.crs
    );
    let (ds, _) = demo();
    let got = &from_fgb.dataset.gas_pipelines;
    assert_eq!(got.len(), ds.gas_pipelines.len());
    // Same coordinates, same conversion: the same longitudes and latitudes.
    assert_same_layer(&ds.gas_pipelines, &in_order_of(got, &ds.gas_pipelines));
}

#[test]
fn a_file_cut_short_keeps_the_features_before_the_break() {
    let whole = std::fs::read(fgb_dir().join("hazard_sources.fgb")).expect("read");
    let full = load_dir(&fgb_dir(), &LoadOptions::default())
        .expect("loads")
        .dataset;
    let cut = &whole[..whole.len() * 3 / 5];
    let dir = folder_with("hazard_sources", cut);
    let loaded = load_dir(dir.path(), &LoadOptions::default()).expect("loads");
    let tail = loaded
        .report
        .issues
        .iter()
        .find(|i| i.code == IssueCode::BrokenTail)
        .unwrap_or_else(|| panic!("no broken_tail: {}", loaded.report.to_markdown()));
    assert_eq!(tail.file, "hazard_sources.fgb");
    assert_eq!(tail.severity, Severity::Skipped);
    let kept = loaded.dataset.hazard_sources.len();
    assert!(kept > 0 && kept < full.hazard_sources.len(), "{kept}");
    assert_eq!(tail.position, Some(Position::Feature(kept as u64)));
    for (a, b) in loaded
        .dataset
        .hazard_sources
        .features()
        .iter()
        .zip(full.hazard_sources.features())
    {
        assert_eq!(a.id, b.id);
    }
    // The other files are whole.
    assert_eq!(loaded.dataset.enterprises.len(), full.enterprises.len());
}

#[test]
fn a_damaged_header_skips_the_file_and_says_why() {
    let mut bytes = std::fs::read(fgb_dir().join("hazard_sources.fgb")).expect("read");
    bytes[0..3].copy_from_slice(b"xyz");
    let dir = folder_with("hazard_sources", &bytes);
    let loaded = load_dir(dir.path(), &LoadOptions::default()).expect("loads");
    let issue = loaded
        .report
        .issues
        .iter()
        .find(|i| i.code == IssueCode::BrokenFile)
        .unwrap_or_else(|| panic!("no broken_file: {}", loaded.report.to_markdown()));
    assert_eq!(issue.file, "hazard_sources.fgb");
    assert!(issue.message.contains("FlatGeobuf"), "{}", issue.message);
    assert_eq!(loaded.dataset.hazard_sources.len(), 0);
    assert!(!loaded.dataset.enterprises.is_empty());
    // With --strict it is the error.
    let strict = LoadOptions {
        strict: true,
        ..LoadOptions::default()
    };
    let e = load_dir(dir.path(), &strict).expect_err("strict fails");
    assert!(e.to_string().contains("hazard_sources.fgb"), "{e}");
}

/// Bytes changed anywhere in a file give a report (or an error), never a panic.
#[test]
fn damaged_bytes_never_bring_the_loader_down() {
    let whole = std::fs::read(fgb_dir().join("hazard_sources.fgb")).expect("read");
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        // xorshift64: deterministic positions and values.
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("hazard_sources.fgb");
    let mut read = 0usize;
    for _ in 0..300 {
        let mut bytes = whole.clone();
        for _ in 0..1 + next() % 4 {
            let at = (next() % bytes.len() as u64) as usize;
            bytes[at] = (next() & 0xff) as u8;
        }
        std::fs::write(&path, &bytes).expect("written");
        if let Ok(l) = load_dir(dir.path(), &LoadOptions::default()) {
            read += l.dataset.hazard_sources.len();
        }
    }
    // Most single-byte changes land in coordinates or text and leave features to read.
    assert!(read > 0);
}

#[test]
fn a_file_without_a_crs_is_read_as_longitude_latitude_with_a_warning() {
    let dir = tempfile::tempdir().expect("temp dir");
    let target = dir.path().join("areas.fgb");
    let source = fgb_dir().join("areas.fgb");
    // `-a_srs None` drops the CRS from what GDAL writes.
    gdal(
        "ogr2ogr",
        &["-f", "FlatGeobuf", "-a_srs", "None", s(&target), s(&source)],
    );
    let loaded = load_dir(dir.path(), &LoadOptions::default()).expect("loads");
    assert!(
        loaded
            .report
            .issues
            .iter()
            .any(|i| i.code == IssueCode::CrsAssumed && i.file == "areas.fgb"),
        "{}",
        loaded.report.to_markdown()
    );
    let (ds, _) = demo();
    assert_same_layer(&ds.areas, &in_order_of(&loaded.dataset.areas, &ds.areas));
}

#[test]
fn a_file_of_many_parts_reads_as_the_geojson_gdal_made_it_from() {
    // More houses than two of the reader's parts of 65,536 rows: written as GeoJSON
    // here, turned into FlatGeobuf by GDAL, read back house for house.
    let n = 2 * (1 << 16) + 5;
    let dir = tempfile::tempdir().expect("temp dir");
    let text = common::many_houses_geojson(n);
    let json = dir.path().join("houses.geojson");
    std::fs::write(&json, text).expect("written");
    let fgb = dir.path().join("houses.fgb");
    gdal("ogr2ogr", &["-f", "FlatGeobuf", s(&fgb), s(&json)]);
    let opts = (FileOptions::default(), LoadOptions::default());
    let a = load_file::<House>(&json, &opts.0, &opts.1).expect("GeoJSON read");
    let b = load_file::<House>(&fgb, &opts.0, &opts.1).expect("FlatGeobuf read");
    assert_eq!(a.features.len(), n);
    assert_eq!(b.features.len(), n);
    assert_eq!(b.report.files[0].features_read, n as u64);
    // GDAL's writer orders the features by its spatial index: compared by id.
    let by_id: HashMap<&str, _> = a
        .features
        .iter()
        .map(|x| (x.id.as_str(), (&x.geometry, x.props.floors)))
        .collect();
    assert_eq!(by_id.len(), n);
    for y in &b.features {
        assert_eq!(
            by_id.get(y.id.as_str()),
            Some(&(&y.geometry, y.props.floors)),
            "{}",
            y.id
        );
    }
}
