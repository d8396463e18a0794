//! GeoParquet ledgers written by GeoPandas (`to_parquet`, through pyarrow: the writer of
//! the specification's authors; scripts/reference/geoparquet_write.py) read back as the
//! ledgers they came from; damaged files keep what can be read and never bring the loader
//! down. The Python comes from `RISKMAP_TEST_PYTHON` (scripts/ensure-python-tools.sh).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use parquet::file::reader::{FileReader, SerializedFileReader};
use riskmap_core::dataset::Dataset;
use riskmap_core::io::{FileStatus, IssueCode, LoadOptions, Position, Severity, load_dir};
use riskmap_core::model::LayerKind;
use riskmap_core::project::Project;
use riskmap_core::rules::Rules;
use riskmap_core::store::gpkg;

use common::{assert_same, assert_same_layer, demo_dir, python, reference, s};

/// The demo data loaded from its folder, a GeoPackage of it (which GeoPandas reads
/// through GDAL) and a folder of GeoParquet files written from that: dates as Parquet
/// DATE columns, the houses with GeoParquet 1.1's bbox covering column.
fn demo(py: &str) -> &'static (Dataset, tempfile::TempDir) {
    static DEMO: OnceLock<(Dataset, tempfile::TempDir)> = OnceLock::new();
    DEMO.get_or_init(|| {
        let ds = load_dir(&demo_dir(), &LoadOptions::default())
            .expect("demo data loads")
            .dataset;
        let dir = common::process_temp::process_temp_dir();
        let store = dir.path().join("demo.gpkg");
        gpkg::write(&store, &ds).expect("written");
        let out = dir.path().join("parquet");
        std::fs::create_dir(&out).expect("folder");
        for layer in LayerKind::INPUTS.map(LayerKind::name) {
            let target = out.join(format!("{layer}.parquet"));
            let mut args = vec![s(&store), layer, s(&target), "--dates"];
            if layer == "houses" {
                args.push("--bbox");
            }
            reference(py, "geoparquet_write.py", &args);
        }
        (ds, dir)
    })
}

fn store(py: &str) -> PathBuf {
    demo(py).1.path().join("demo.gpkg")
}

fn parquet_dir(py: &str) -> PathBuf {
    demo(py).1.path().join("parquet")
}

/// Writes `layer` of the demo's GeoPackage into `dir` with the writer's `options`.
fn write(py: &str, dir: &Path, layer: &str, options: &[&str]) -> PathBuf {
    let target = dir.join(format!("{layer}.parquet"));
    let store = store(py);
    let mut args = vec![s(&store), layer, s(&target)];
    args.extend_from_slice(options);
    reference(py, "geoparquet_write.py", &args);
    target
}

#[test]
fn files_geopandas_wrote_read_as_the_ledgers_they_came_from() {
    let Some(py) = python() else { return };
    let (ds, _) = demo(&py);
    let loaded = load_dir(&parquet_dir(&py), &LoadOptions::default()).expect("loads");
    let report = &loaded.report;
    assert_eq!(report.skipped_count(), 0, "{}", report.to_markdown());
    assert_eq!(report.repaired_count(), 0, "{}", report.to_markdown());
    for f in &report.files {
        assert_eq!(f.format.as_deref(), Some("geoparquet"), "{}", f.file);
        // GeoPandas writes the GeoPackage's EPSG:4326 as PROJJSON with its id.
        let crs = f.crs.as_deref().unwrap_or_default();
        assert!(
            crs.contains("EPSG:4326") && crs.contains("GeoParquet metadata"),
            "{crs}"
        );
    }
    let back = loaded.dataset;
    assert_eq!(back.counts(), ds.counts());
    assert!(back.houses.len() > 1000, "the demo has its houses");
    // Rows keep the ledgers' order; the hidden hazards' dates came as DATE columns.
    assert_same(ds, &back);
    assert_same_layer(&ds.hidden_hazards, &back.hidden_hazards);
    let rules = Rules::default();
    let a = Project::from_dataset(ds.clone(), &rules).unwrap().summary();
    let b = Project::from_dataset(back, &rules).unwrap().summary();
    assert!(a == b, "the analyses differ");
}

#[test]
fn every_common_compression_and_row_groups_read_the_same() {
    let Some(py) = python() else { return };
    let (ds, _) = demo(&py);
    for compression in ["zstd", "gzip", "lz4", "none"] {
        let dir = tempfile::tempdir().expect("temp dir");
        // 20,000 houses in row groups of 3,000: seven groups, the last one short.
        write(
            &py,
            dir.path(),
            "houses",
            &["--compression", compression, "--row-group-size", "3000"],
        );
        let loaded = load_dir(dir.path(), &LoadOptions::default()).expect("loads");
        assert_eq!(
            loaded.report.skipped_count(),
            0,
            "{compression}: {}",
            loaded.report.to_markdown()
        );
        assert_same_layer(&ds.houses, &loaded.dataset.houses);
    }
}

#[test]
fn projected_coordinates_are_judged_over_the_whole_file_not_a_part() {
    let Some(py) = python() else { return };
    // 20,000 houses in row groups of 3,000, read a few groups at a time: the first
    // group in longitude/latitude, the other 17,000 rows in Gauss–Krüger metres under
    // metadata that still says longitude/latitude. Most of the file is projected, so the
    // whole file is skipped, and none of its rows' own issues (coordinates out of range)
    // is reported; a part judged alone would have kept its first rows.
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        &py,
        dir.path(),
        "houses",
        &["--row-group-size", "3000", "--project-after", "3000"],
    );
    let loaded = load_dir(dir.path(), &LoadOptions::default()).expect("loads");
    let file = &loaded.report.files[0];
    assert_eq!(
        file.status,
        FileStatus::Skipped,
        "{}",
        loaded.report.to_markdown()
    );
    assert_eq!(file.features_read, 20_000);
    assert!(loaded.dataset.houses.is_empty());
    let codes: Vec<IssueCode> = loaded.report.issues.iter().map(|i| i.code).collect();
    assert_eq!(
        codes,
        [IssueCode::ProjectedCoordinates],
        "{}",
        loaded.report.to_markdown()
    );
    let message = &loaded.report.issues[0].message;
    assert!(message.starts_with("17000 of 20000 features"), "{message}");
    // In strict mode the same finding is the error.
    let strict = LoadOptions {
        strict: true,
        ..LoadOptions::default()
    };
    match load_dir(dir.path(), &strict) {
        Err(riskmap_core::io::LoadError::Invalid { issue }) => {
            assert_eq!(issue.code, IssueCode::ProjectedCoordinates);
        }
        other => panic!("strict load: {:?}", other.map(|l| l.report.to_markdown())),
    }
}

#[test]
fn a_projected_file_is_converted_by_the_crs_of_its_metadata() {
    let Some(py) = python() else { return };
    // The demo's pipes are Gauss–Krüger coordinates (EPSG:4549, the GeoJSON's crs
    // member); GeoPandas keeps them as they are and writes EPSG:4549 as PROJJSON: in the
    // `geo` metadata, or (`--native`) inline in Parquet's GEOMETRY type.
    for options in [&[][..], &["--native"][..]] {
        let dir = tempfile::tempdir().expect("temp dir");
        let target = dir.path().join("gas_pipelines.parquet");
        let source = demo_dir().join("gas_pipelines.geojson");
        let mut args = vec![s(&source), "gas_pipelines", s(&target)];
        args.extend_from_slice(options);
        reference(&py, "geoparquet_write.py", &args);
        let loaded = load_dir(dir.path(), &LoadOptions::default()).expect("loads");
        let crs = loaded.report.files[0].crs.clone().unwrap_or_default();
        assert!(crs.contains("EPSG:4549"), "{options:?}: {crs}");
        // Same coordinates, same conversion: the same longitudes and latitudes.
        let (ds, _) = demo(&py);
        assert_same_layer(&ds.gas_pipelines, &loaded.dataset.gas_pipelines);
    }
}

#[test]
fn a_file_without_a_crs_is_read_as_longitude_latitude_with_a_warning() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    write(&py, dir.path(), "areas", &["--no-crs"]);
    let loaded = load_dir(dir.path(), &LoadOptions::default()).expect("loads");
    assert!(
        loaded
            .report
            .issues
            .iter()
            .any(|i| i.code == IssueCode::CrsAssumed && i.file == "areas.parquet"),
        "{}",
        loaded.report.to_markdown()
    );
    let (ds, _) = demo(&py);
    assert_same_layer(&ds.areas, &loaded.dataset.areas);
}

/// Every input layer of the demo's GeoPackage written by GeoPandas with `options` (but
/// those in `as_wkb`), loaded.
fn every_layer_with(py: &str, options: &[&str], as_wkb: &[&str]) -> riskmap_core::io::Loaded {
    let dir = tempfile::tempdir().expect("temp dir");
    for layer in LayerKind::INPUTS.map(LayerKind::name) {
        let mut o = vec!["--dates"];
        if !as_wkb.contains(&layer) {
            o.extend_from_slice(options);
        }
        let path = write(py, dir.path(), layer, &o);
        if options.contains(&"--geoarrow") && !as_wkb.contains(&layer) {
            let r = SerializedFileReader::new(std::fs::File::open(&path).expect("open"))
                .expect("a Parquet file");
            let geo = r
                .metadata()
                .file_metadata()
                .key_value_metadata()
                .and_then(|kv| {
                    kv.iter()
                        .find(|k| k.key == "geo")
                        .and_then(|k| k.value.clone())
                });
            let geo = geo.unwrap_or_default();
            assert!(
                ["point", "polygon", "linestring"]
                    .iter()
                    .any(|e| geo.contains(&format!("\"encoding\": \"{e}\""))
                        || geo.contains(&format!("\"encoding\": \"multi{e}\""))),
                "{layer}: {geo}"
            );
        }
    }
    load_dir(dir.path(), &LoadOptions::default()).expect("loads")
}

/// Loaded layers equal to the demo's, feature by feature, and the same analysis.
fn assert_demo(py: &str, loaded: riskmap_core::io::Loaded, crs_from: &str) {
    let (ds, _) = demo(py);
    let report = &loaded.report;
    assert_eq!(report.skipped_count(), 0, "{}", report.to_markdown());
    assert_eq!(report.repaired_count(), 0, "{}", report.to_markdown());
    for f in &report.files {
        let crs = f.crs.as_deref().unwrap_or_default();
        assert!(crs.contains("EPSG:4326") && crs.contains(crs_from), "{crs}");
    }
    let back = loaded.dataset;
    assert_eq!(back.counts(), ds.counts());
    assert_same(ds, &back);
    assert_same_layer(&ds.hidden_hazards, &back.hidden_hazards);
    let rules = Rules::default();
    let a = Project::from_dataset(ds.clone(), &rules).unwrap().summary();
    let b = Project::from_dataset(back, &rules).unwrap().summary();
    assert!(a == b, "the analyses differ");
}

#[test]
fn geoarrow_native_encodings_read_as_the_ledgers_they_came_from() {
    let Some(py) = python() else { return };
    // GeoPandas writes each layer in the one GeoArrow encoding that holds all its
    // geometries (points, polygons or multipolygons, linestrings), as nested lists of
    // x/y structs. Enterprises and protection targets mix points and polygons, which no
    // one GeoArrow encoding holds: they stay WKB, as they would for anyone writing them.
    let loaded = every_layer_with(&py, &["--geoarrow"], &["enterprises", "protection_targets"]);
    assert_demo(&py, loaded, "GeoParquet metadata");
}

#[test]
fn parquet_geometry_type_without_geo_metadata_reads_the_same() {
    let Some(py) = python() else { return };
    let loaded = every_layer_with(&py, &["--native"], &[]);
    assert_demo(&py, loaded, "Parquet GEOMETRY type");
}

/// Null geometries, holes and several parts in the GeoArrow nesting, against coordinates
/// written here.
#[test]
fn geoarrow_nulls_holes_and_parts_are_where_the_levels_say() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let source = dir.path().join("houses.geojson");
    // A square with a square hole; no geometry; two squares. GeoPandas writes the three as
    // multipolygons (the type that holds them all), the first with one part.
    let sq = |x: f64, y: f64, d: f64| {
        format!(
            "[[{x},{y}],[{},{y}],[{},{}],[{x},{}],[{x},{y}]]",
            x + d,
            x + d,
            y + d,
            y + d
        )
    };
    let feature = |id: &str, geometry: String| {
        format!(
            r#"{{"type":"Feature","properties":{{"id":"{id}","structure":"砖混","floors":2}},"geometry":{geometry}}}"#
        )
    };
    let text = format!(
        r#"{{"type":"FeatureCollection","features":[{},{},{}]}}"#,
        feature(
            "h1",
            format!(
                r#"{{"type":"Polygon","coordinates":[{},{}]}}"#,
                sq(121.0, 31.0, 0.001),
                sq(121.0002, 31.0002, 0.0002)
            )
        ),
        feature("h2", "null".into()),
        feature(
            "h3",
            format!(
                r#"{{"type":"MultiPolygon","coordinates":[[{}],[{}]]}}"#,
                sq(121.01, 31.0, 0.0005),
                sq(121.02, 31.0, 0.0005)
            )
        ),
    );
    std::fs::write(&source, text).expect("written");
    let out = tempfile::tempdir().expect("temp dir");
    reference(
        &py,
        "geoparquet_write.py",
        &[
            s(&source),
            "-",
            s(&out.path().join("houses.parquet")),
            "--geoarrow",
        ],
    );
    let loaded = load_dir(out.path(), &LoadOptions::default()).expect("loads");
    let report = &loaded.report;
    // The feature without geometry is named by its row.
    assert!(
        report
            .issues
            .iter()
            .any(|i| i.position == Some(Position::Feature(1)) && i.severity == Severity::Skipped),
        "{}",
        report.to_markdown()
    );
    let houses = loaded.dataset.houses.features();
    let ids: Vec<&str> = houses.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(ids, ["h1", "h3"]);
    let rings = |g: &geo::Geometry<f64>| -> Vec<usize> {
        match g {
            geo::Geometry::Polygon(p) => vec![1 + p.interiors().len()],
            geo::Geometry::MultiPolygon(m) => m.0.iter().map(|p| 1 + p.interiors().len()).collect(),
            other => panic!("not a polygon: {other:?}"),
        }
    };
    // h1: one polygon, shell and hole; h3: two polygons without holes.
    assert_eq!(rings(&houses[0].geometry), [2]);
    assert_eq!(rings(&houses[1].geometry), [1, 1]);
    let first = |g: &geo::Geometry<f64>| match g {
        geo::Geometry::Polygon(p) => p.exterior().0[0],
        geo::Geometry::MultiPolygon(m) => m.0[1].exterior().0[0],
        other => panic!("not a polygon: {other:?}"),
    };
    assert_eq!(
        first(&houses[1].geometry),
        geo::coord! { x: 121.02, y: 31.0 }
    );
    use geo::Area;
    // The hole takes a twenty-fifth of the square (0.0002² of 0.001²), in degrees².
    let area = houses[0].geometry.unsigned_area();
    assert!((area - (1e-6 - 4e-8)).abs() < 1e-15, "{area}");
}

/// A folder with the demo's areas and enterprises and `name` holding `bytes`.
fn folder_with(py: &str, name: &str, bytes: &[u8]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for layer in ["areas", "enterprises"] {
        let f = format!("{layer}.parquet");
        std::fs::copy(parquet_dir(py).join(&f), dir.path().join(&f)).expect("copied");
    }
    std::fs::write(dir.path().join(name), bytes).expect("written");
    dir
}

#[test]
fn a_file_cut_short_or_not_geoparquet_is_skipped_and_says_why() {
    let Some(py) = python() else { return };
    // Parquet's footer is at the end: a file cut short has none, so nothing in it can
    // be found.
    let whole = std::fs::read(parquet_dir(&py).join("hazard_sources.parquet")).expect("read");
    let plain = tempfile::tempdir().expect("temp dir");
    let untyped = write(&py, plain.path(), "areas", &["--plain"]);
    let cases: [(&str, Vec<u8>, &str); 3] = [
        (
            "hazard_sources.parquet",
            whole[..whole.len() * 3 / 5].to_vec(),
            "GeoParquet",
        ),
        // Plain Parquet: neither `geo` metadata nor a GEOMETRY column says which binary
        // column is the geometry.
        (
            "areas.parquet",
            std::fs::read(untyped).expect("read"),
            "without GeoParquet 'geo' metadata or a column of Parquet's GEOMETRY type",
        ),
        (
            "houses.parquet",
            b"PAR1 not a ledger".to_vec(),
            "GeoParquet",
        ),
    ];
    for (name, bytes, says) in cases {
        let dir = folder_with(&py, name, &bytes);
        let loaded = load_dir(dir.path(), &LoadOptions::default()).expect("loads");
        let issue = loaded
            .report
            .issues
            .iter()
            .find(|i| i.code == IssueCode::BrokenFile)
            .unwrap_or_else(|| panic!("no broken_file: {}", loaded.report.to_markdown()));
        assert_eq!(issue.file, name);
        assert!(issue.message.contains(says), "{}", issue.message);
        assert!(!loaded.dataset.enterprises.is_empty());
        // With --strict it is the error.
        let strict = LoadOptions {
            strict: true,
            ..LoadOptions::default()
        };
        let e = load_dir(dir.path(), &strict).expect_err("strict fails");
        assert!(e.to_string().contains(name), "{e}");
    }
}

#[test]
fn a_damaged_row_group_loses_its_own_rows_only() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write(&py, dir.path(), "houses", &["--row-group-size", "5000"]);
    // Where the third row group's first column starts (its first page header), as the
    // file's own footer says; bytes there made garbage.
    let (at, rows) = {
        let r = SerializedFileReader::new(std::fs::File::open(&path).expect("open"))
            .expect("a Parquet file");
        assert_eq!(r.metadata().num_row_groups(), 4);
        let c = r.metadata().row_group(2).column(0);
        (
            c.dictionary_page_offset().unwrap_or(c.data_page_offset()) as usize,
            r.metadata().row_group(2).num_rows() as usize,
        )
    };
    assert_eq!(rows, 5000);
    let mut bytes = std::fs::read(&path).expect("read");
    bytes[at..at + 24].fill(0xff);
    std::fs::write(&path, &bytes).expect("written");
    let loaded = load_dir(dir.path(), &LoadOptions::default()).expect("loads");
    let report = &loaded.report;
    let lost: Vec<_> = report
        .issues
        .iter()
        .filter(|i| i.code == IssueCode::BrokenFeature)
        .collect();
    assert_eq!(lost.len(), 1, "{}", report.to_markdown());
    assert_eq!(lost[0].severity, Severity::Skipped);
    assert_eq!(lost[0].position, Some(Position::Feature(10_000)));
    assert!(
        lost[0]
            .message
            .contains("row group 2 (rows 10000 to 14999)"),
        "{}",
        lost[0].message
    );
    assert!(
        !report
            .issues
            .iter()
            .any(|i| i.code == IssueCode::BrokenTail)
    );
    // The lost rows count as read and not loaded.
    let f = &report.files[0];
    assert_eq!(f.features_read, 20_000, "{}", report.to_markdown());
    let (ds, _) = demo(&py);
    let got = &loaded.dataset.houses;
    assert_eq!(got.len(), 15_000);
    let expected = ds.houses.features()[..10_000]
        .iter()
        .chain(&ds.houses.features()[15_000..]);
    for (a, b) in got.features().iter().zip(expected) {
        assert_eq!(a.id, b.id);
    }
}

/// Bytes changed anywhere in a file give a report (or an error), never a panic.
#[test]
fn damaged_bytes_never_bring_the_loader_down() {
    let Some(py) = python() else { return };
    let whole = std::fs::read(parquet_dir(&py).join("hazard_sources.parquet")).expect("read");
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        // xorshift64: deterministic positions and values.
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("hazard_sources.parquet");
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
    assert!(read > 0);
}
