//! The GeoPackage store against the demo data and against GDAL's own tools: `ogrinfo`,
//! `ogr2ogr` (Debian package gdal-bin) and GDAL's GeoPackage validator `validate_gpkg.py`
//! (python3-gdal), which scripts/ensure-gdal.sh installs for scripts/test-all.sh.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use geo::Geometry;
use riskmap_core::dataset::{Dataset, Layer};
use riskmap_core::io::{IssueCode, LoadError, LoadOptions, Position, Severity, load_dir};
use riskmap_core::model::{Feature, LayerKind};
use riskmap_core::project::Project;
use riskmap_core::rules::Rules;
use riskmap_core::store::{LayerCounts, StoreError, gpkg};

use common::{assert_same, assert_same_layer, demo_dir, gdal};
use serde_json::Value;

/// The demo data loaded from its folder, and a GeoPackage written from it.
fn demo() -> &'static (Dataset, tempfile::TempDir, PathBuf) {
    static DEMO: OnceLock<(Dataset, tempfile::TempDir, PathBuf)> = OnceLock::new();
    DEMO.get_or_init(|| {
        let ds = load_dir(&demo_dir(), &LoadOptions::default())
            .expect("demo data loads")
            .dataset;
        let dir = common::process_temp::process_temp_dir();
        let path = dir.path().join("haimen.gpkg");
        gpkg::write(&path, &ds).expect("written");
        (ds, dir, path)
    })
}

/// GDAL's GeoPackage validator (checks the requirements of the standard, the R-tree and
/// its triggers included) passes the file.
fn validate_gpkg(path: &Path) {
    let out = Command::new("/usr/bin/python3")
        .args(["-m", "osgeo_utils.samples.validate_gpkg"])
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("validate_gpkg.py not runnable ({e}): install python3-gdal"));
    assert!(
        out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(),
        "validate_gpkg.py: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn demo_round_trip_gives_the_same_dataset_and_analysis() {
    let (ds, _dir, path) = demo();
    let loaded = gpkg::load(path, &LoadOptions::default()).expect("read back");
    // What the folder's loaders kept reads back without a skip or a repair: every field
    // is written in a form they read as it was.
    assert_eq!(
        loaded.report.skipped_count(),
        0,
        "{}",
        loaded.report.to_markdown()
    );
    assert_eq!(
        loaded.report.repaired_count(),
        0,
        "{}",
        loaded.report.to_markdown()
    );
    let back = loaded.dataset;
    assert_eq!(back.counts(), ds.counts());
    assert!(ds.houses.len() > 1000, "the demo has its houses");
    assert_same(ds, &back);
    let rules = Rules::default();
    let a = Project::from_dataset(ds.clone(), &rules).unwrap().summary();
    let b = Project::from_dataset(back, &rules).unwrap().summary();
    assert_eq!(a, b);
}

/// `ogrinfo -so` of one layer: (feature count, geometry type).
fn ogr_layer_summary(path: &Path, layer: &str) -> (usize, String) {
    let p = path.to_str().expect("utf-8 path");
    let out = gdal("ogrinfo", &["-ro", "-so", p, layer]);
    let value = |key: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(key))
            .map(|v| v.trim().to_string())
            .unwrap_or_else(|| panic!("no '{key}' in {out}"))
    };
    let n = value("Feature Count:").parse().expect("a count");
    (n, value("Geometry:"))
}

/// The OGR geometry type name all features of a layer share.
fn ogr_type<P>(l: &Layer<P>) -> &'static str {
    let name = |f: &Feature<P>| match f.geometry {
        Geometry::Point(_) => "Point",
        Geometry::LineString(_) => "Line String",
        Geometry::Polygon(_) => "Polygon",
        Geometry::MultiPolygon(_) => "Multi Polygon",
        Geometry::MultiLineString(_) => "Multi Line String",
        _ => "other",
    };
    let first = name(&l.features()[0]);
    if l.features().iter().all(|f| name(f) == first) {
        first
    } else {
        "Unknown (any)"
    }
}

#[test]
fn ogrinfo_lists_every_layer_with_its_count_type_fields_and_index() {
    let (ds, _dir, path) = demo();
    let p = path.to_str().expect("utf-8 path");
    validate_gpkg(path);
    let listing = gdal("ogrinfo", &["-ro", "-q", p]);
    for (kind, n) in ds.counts() {
        assert!(listing.contains(kind.name()), "{kind} in {listing}");
        let (count, ty) = ogr_layer_summary(path, kind.name());
        assert_eq!(count, n, "{kind}");
        let want = match kind {
            LayerKind::Areas => ogr_type(&ds.areas),
            LayerKind::Enterprises => ogr_type(&ds.enterprises),
            LayerKind::HazardSources => ogr_type(&ds.hazard_sources),
            LayerKind::GasPipelines => ogr_type(&ds.gas_pipelines),
            LayerKind::Houses => ogr_type(&ds.houses),
            LayerKind::ProtectionTargets => ogr_type(&ds.protection_targets),
            LayerKind::HiddenHazards => ogr_type(&ds.hidden_hazards),
            LayerKind::HazardGrades
            | LayerKind::ProtectionConflicts
            | LayerKind::PipelineConflicts
            | LayerKind::HouseRisk
            | LayerKind::EnterpriseRisk
            | LayerKind::RiskGrid => unreachable!("counts() lists input layers"),
        };
        assert_eq!(ty, want, "{kind}");
        // GDAL's own ST_ functions: every row is in the R-tree, and its box holds the
        // geometry's (the R-tree stores 32-bit floats rounded outwards).
        let t = kind.name();
        let check = gdal(
            "ogrinfo",
            &[
                "-ro",
                "-q",
                p,
                "-sql",
                &format!(
                    "SELECT HasSpatialIndex('{t}', 'geom') AS has,
                       (SELECT count(*) FROM rtree_{t}_geom) AS n,
                       (SELECT count(*) FROM {t} f JOIN rtree_{t}_geom r ON r.id = f.fid
                        WHERE r.minx <= ST_MinX(f.geom) AND r.maxx >= ST_MaxX(f.geom)
                          AND r.miny <= ST_MinY(f.geom) AND r.maxy >= ST_MaxY(f.geom)) AS ok"
                ),
            ],
        );
        assert!(check.contains("has (Integer) = 1"), "{t}: {check}");
        assert!(
            check.contains(&format!("n (Integer) = {n}")),
            "{t}: {check}"
        );
        assert!(
            check.contains(&format!("ok (Integer) = {n}")),
            "{t}: {check}"
        );
    }
    // One enterprise's attributes as GDAL reads them equal ours.
    let e = &ds.enterprises.features()[1];
    let out = gdal(
        "ogrinfo",
        &[
            "-ro",
            "-q",
            p,
            "-sql",
            &format!("SELECT * FROM enterprises WHERE id = '{}'", e.id),
        ],
    );
    let props = serde_json::to_value(&e.props).expect("props");
    let fields = props.as_object().expect("an object");
    assert!(fields.len() >= 8, "{fields:?}");
    for (k, v) in fields {
        let line = out
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{k} (")))
            .unwrap_or_else(|| panic!("no field {k} in {out}"));
        let got = line.split_once(") = ").map(|(_, v)| v.trim());
        match v {
            Value::Null => assert_eq!(got, Some("(null)"), "{line}"),
            Value::String(s) => assert_eq!(got, Some(s.as_str()), "{k}"),
            Value::Number(n) => {
                assert_eq!(got.and_then(|g| g.parse::<f64>().ok()), n.as_f64(), "{k}")
            }
            other => panic!("unexpected {other} for {k}"),
        }
    }
    assert!(out.contains(&format!("id (String) = {}", e.id)), "{out}");
}

#[test]
fn ogr2ogr_geojson_of_a_layer_has_our_ids_and_coordinates() {
    let (ds, dir, path) = demo();
    let out = dir.path().join("gas_pipelines_from_gdal.geojson");
    let _ = std::fs::remove_file(&out);
    gdal(
        "ogr2ogr",
        &[
            "-f",
            "GeoJSON",
            // GDAL writes 15 significant digits unless told; 17 give every double back.
            "-lco",
            "SIGNIFICANT_FIGURES=17",
            out.to_str().expect("utf-8"),
            path.to_str().expect("utf-8"),
            "gas_pipelines",
        ],
    );
    // GDAL writes one feature per line. The coordinates are read from the text with
    // Rust's correctly rounded float parser (serde_json's fast one may miss by an ulp).
    let text = std::fs::read_to_string(&out).expect("written");
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("{ \"type\": \"Feature\""))
        .collect();
    assert_eq!(lines.len(), ds.gas_pipelines.len());
    for (line, ours) in lines.iter().zip(ds.gas_pipelines.features()) {
        let f: Value = serde_json::from_str(line.trim_end_matches(',')).expect("a feature");
        assert_eq!(f["properties"]["id"], ours.id);
        let (_, coords) = line.split_once("\"coordinates\":").expect("coordinates");
        let theirs: Vec<f64> = coords
            .split(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '-' | 'e' | 'E' | '+')))
            .filter(|t| !t.is_empty())
            .map(|t| t.parse().expect("a number"))
            .collect();
        let ours_xy: Vec<f64> = geo::CoordsIter::coords_iter(&ours.geometry)
            .flat_map(|c| [c.x, c.y])
            .collect();
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&theirs), bits(&ours_xy), "{}", ours.id);
    }
}

#[test]
fn a_geopackage_written_by_gdal_is_read() {
    let (ds, dir, path) = demo();
    // GDAL's own GeoPackage of our hazard-source table: its header, blobs, R-tree and
    // metadata as GDAL writes them, the ledger text of inventories as GDAL copies it.
    let out = dir.path().join("by_gdal.gpkg");
    let _ = std::fs::remove_file(&out);
    gdal(
        "ogr2ogr",
        &[
            "-f",
            "GPKG",
            out.to_str().expect("utf-8"),
            path.to_str().expect("utf-8"),
            "hazard_sources",
        ],
    );
    let loaded = gpkg::load(&out, &LoadOptions::default()).expect("GDAL's GeoPackage reads");
    let back = loaded.dataset;
    assert_eq!(back.houses.len(), 0, "a missing table is an empty layer");
    assert_same_layer(&ds.hazard_sources, &back.hazard_sources);
    // Writing the same ledger into GDAL's file finds every row unchanged, and GDAL still
    // reads the file.
    let counts = gpkg::write(&out, &back).expect("updated");
    assert_eq!(
        counts.get(LayerKind::HazardSources),
        LayerCounts {
            unchanged: ds.hazard_sources.len(),
            ..LayerCounts::default()
        }
    );
    let (n, _) = ogr_layer_summary(&out, "hazard_sources");
    assert_eq!(n, ds.hazard_sources.len());
}

/// A dataset of a few houses and areas from the demo.
fn small() -> Dataset {
    let (ds, _, _) = demo();
    Dataset {
        houses: Layer::new(LayerKind::Houses, ds.houses.features()[..40].to_vec()),
        areas: ds.areas.clone(),
        ..Dataset::default()
    }
}

fn updated_at(path: &Path, id: &str) -> String {
    let c = rusqlite::Connection::open(path).expect("open");
    c.query_row("SELECT updated_at FROM houses WHERE id = ?", [id], |r| {
        r.get(0)
    })
    .expect("row")
}

#[test]
fn updating_by_id_inserts_changes_and_deletes_only_what_differs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("city.gpkg");
    let first = small();
    let counts = gpkg::write(&path, &first).expect("written");
    let n = first.houses.len();
    assert_eq!(
        counts.get(LayerKind::Houses),
        LayerCounts {
            new: n,
            ..LayerCounts::default()
        }
    );
    let untouched = first.houses.features()[5].id.clone();
    let stamp = updated_at(&path, &untouched);
    std::thread::sleep(std::time::Duration::from_millis(20));

    // Same data again: nothing changes.
    let again = gpkg::write(&path, &first).expect("rewritten");
    assert_eq!(
        again.get(LayerKind::Houses),
        LayerCounts {
            unchanged: n,
            ..LayerCounts::default()
        }
    );

    // One house gains a floor, one is gone, one is new.
    let mut houses = first.houses.features().to_vec();
    let changed = houses[0].id.clone();
    houses[0].props.floors = Some(houses[0].props.floors.unwrap_or(1) + 1);
    let removed = houses.remove(1).id;
    let mut extra = houses[2].clone();
    extra.id = "house-new-1".into();
    houses.push(extra);
    let second = Dataset {
        houses: Layer::new(LayerKind::Houses, houses),
        ..first.clone()
    };
    let counts = gpkg::write(&path, &second).expect("updated");
    assert_eq!(
        counts.get(LayerKind::Houses),
        LayerCounts {
            new: 1,
            changed: 1,
            removed: 1,
            unchanged: n - 2,
            kept: 0,
        }
    );
    assert_eq!(
        counts.get(LayerKind::Areas).unchanged,
        first.areas.len(),
        "other layers untouched"
    );
    assert_eq!(updated_at(&path, &untouched), stamp);
    assert!(updated_at(&path, &changed) > stamp);
    let back = gpkg::load(&path, &LoadOptions::default())
        .expect("read")
        .dataset;
    assert!(back.houses.find_id(&removed).is_none());
    let (_, h) = back.houses.find_id(&changed).expect("still there");
    assert_eq!(h.props.floors, second.houses.features()[0].props.floors);
    assert!(back.houses.find_id("house-new-1").is_some());
    assert_eq!(back.houses.len(), n);
    // Still a valid GeoPackage, its R-tree kept by the triggers.
    validate_gpkg(&path);
}

#[test]
fn bad_files_are_clear_errors() {
    let dir = tempfile::tempdir().expect("temp dir");

    // Not SQLite at all.
    let text = dir.path().join("notes.gpkg");
    std::fs::write(&text, "this is not a database, just some text ".repeat(50)).expect("write");
    let not_gpkg = |e: &LoadError| match e {
        LoadError::Store { source, .. } => source
            .downcast_ref::<StoreError>()
            .is_some_and(|s| matches!(s, StoreError::NotGeoPackage { .. })),
        _ => false,
    };
    let opts = LoadOptions::default();
    let e = gpkg::load(&text, &opts).expect_err("not SQLite");
    assert!(
        not_gpkg(&e) && e.to_string().contains("not an SQLite"),
        "{e}"
    );
    let e = gpkg::write(&text, &small()).expect_err("not SQLite");
    assert!(
        matches!(&e, StoreError::NotGeoPackage { reason, .. } if reason.contains("not an SQLite")),
        "{e}"
    );

    // SQLite, but not a GeoPackage: neither read nor overwritten.
    let plain = dir.path().join("plain.sqlite");
    let c = rusqlite::Connection::open(&plain).expect("open");
    c.execute_batch("CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1);")
        .expect("table");
    drop(c);
    let e = gpkg::load(&plain, &opts).expect_err("plain SQLite");
    assert!(not_gpkg(&e), "{e}");
    assert!(matches!(
        gpkg::write(&plain, &small()),
        Err(StoreError::NotGeoPackage { .. })
    ));

    // Two features with one id: refused, and no file is left behind.
    let mut twice = small();
    let mut houses = twice.houses.features().to_vec();
    houses.push(houses[0].clone());
    twice.houses = Layer::new(LayerKind::Houses, houses);
    let fresh = dir.path().join("fresh.gpkg");
    let e = gpkg::write(&fresh, &twice).expect_err("duplicate id");
    assert!(
        matches!(&e, StoreError::DuplicateId { id, .. } if *id == twice.houses.features()[0].id),
        "{e}"
    );
    assert!(!fresh.exists());

    // A corrupt geometry blob and a value that does not fit its field: reported as a
    // folder's would be, by table, fid, id and column; the rest is read.
    let path = dir.path().join("city.gpkg");
    let ds = small();
    gpkg::write(&path, &ds).expect("written");
    let id = ds.houses.features()[3].id.clone();
    let other = ds.houses.features()[4].id.clone();
    let c = rusqlite::Connection::open(&path).expect("open");
    // The R-tree triggers call the ST_ functions a GeoPackage program registers; a plain
    // SQLite connection has none, so corrupt the file without them.
    for t in [
        "insert", "update1", "update2", "update3", "update4", "delete",
    ] {
        c.execute_batch(&format!("DROP TRIGGER rtree_houses_geom_{t}"))
            .expect("drop trigger");
    }
    let fid = |id: &str| -> u64 {
        c.query_row("SELECT fid FROM houses WHERE id = ?", [id], |r| r.get(0))
            .expect("fid")
    };
    c.execute(
        "UPDATE houses SET geom = X'47500003E6100000' WHERE id = ?",
        [&id],
    )
    .expect("corrupt it");
    c.execute("UPDATE houses SET floors = 'many' WHERE id = ?", [&other])
        .expect("bad floors");
    let loaded = gpkg::load(&path, &opts).expect("read with issues");
    let issues = &loaded.report.issues;
    let geom = issues
        .iter()
        .find(|i| i.feature_id.as_deref() == Some(id.as_str()))
        .expect("the corrupt geometry is reported");
    assert_eq!(
        (geom.severity, geom.code, geom.file.as_str(), geom.position),
        (
            Severity::Skipped,
            IssueCode::InvalidGeometry,
            "city.gpkg/houses",
            Some(Position::Fid(fid(&id)))
        ),
        "{geom:?}"
    );
    let floors = issues
        .iter()
        .find(|i| i.feature_id.as_deref() == Some(other.as_str()))
        .expect("the bad floors are reported");
    assert_eq!(
        (
            floors.severity,
            floors.field.as_deref(),
            floors.position,
            floors.file.as_str()
        ),
        (
            Severity::Warning,
            Some("floors"),
            Some(Position::Fid(fid(&other))),
            "city.gpkg/houses"
        ),
        "{floors:?}"
    );
    assert_eq!(issues.len(), 2, "{}", loaded.report.to_markdown());
    assert_eq!(loaded.dataset.houses.len(), ds.houses.len() - 1);
    let (_, h) = loaded.dataset.houses.find_id(&other).expect("kept");
    assert_eq!(
        h.props.floors, None,
        "a value that is not a number is left empty"
    );
}

/// A folder's words for the hidden hazards' stages (`[statuses]` in riskmap.toml) go
/// into the store with its ledgers, in a table GDAL lists and validates, and a load of
/// the store reads the ledgers with them as the folder's load did.
#[test]
fn a_provinces_status_words_go_into_the_store_with_the_ledgers() {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/status_words");
    let folder = load_dir(&d, &LoadOptions::default()).expect("loads");
    assert_eq!(folder.statuses.len(), 2);
    let statuses = |ds: &Dataset| -> Vec<String> {
        ds.hidden_hazards
            .features()
            .iter()
            .map(|f| format!("{} {}", f.id, f.props.status.key()))
            .collect()
    };
    assert_eq!(
        statuses(&folder.dataset),
        ["YH1 pending", "YH2 rectified", "YH3 pending"]
    );

    let out = tempfile::tempdir().expect("tmp");
    let path = out.path().join("city.gpkg");
    gpkg::write_with_words(
        &path,
        &folder.dataset,
        Some(&folder.statuses),
        &riskmap_core::store::Kept::default(),
    )
    .expect("written");
    validate_gpkg(&path);
    // GDAL reads the table: its two rows (the fid is its feature id, not a field).
    let listing = gdal(
        "ogr2ogr",
        &[
            "-f",
            "CSV",
            "/vsistdout/",
            path.to_str().unwrap(),
            "riskmap_status_words",
        ],
    );
    let rows: Vec<&str> = listing.lines().skip(1).collect();
    assert_eq!(rows, ["已交办,pending", "待复核,rectified"], "{listing}");

    // The store holds each record's stage in the standard words; an office editing it in
    // QGIS writes its own: 已交办 for YH2 (back to 待整改), 待复核 for YH3.
    for sql in [
        "UPDATE hidden_hazards SET status = '已交办' WHERE id = 'YH2'",
        "UPDATE hidden_hazards SET status = '待复核', rectified = '2026-04-21' WHERE id = 'YH3'",
    ] {
        gdal("ogrinfo", &[path.to_str().unwrap(), "-sql", sql]);
    }
    let edited = ["YH1 pending", "YH2 pending", "YH3 rectified"];
    let loaded = gpkg::load(&path, &LoadOptions::default()).expect("loads");
    assert_eq!(loaded.statuses, folder.statuses);
    assert_eq!(statuses(&loaded.dataset), edited);
    let unknown = |l: &riskmap_core::io::Loaded| -> Vec<String> {
        l.report
            .with_code(IssueCode::UnknownValue)
            .filter_map(|i| i.feature_id.clone())
            .collect()
    };
    assert!(
        unknown(&loaded).is_empty(),
        "{}",
        loaded.report.to_markdown()
    );
    // A row an office adds by hand that would change a standard word's meaning is
    // refused with a warning naming the table; the others still apply.
    let c = rusqlite::Connection::open(&path).expect("open");
    c.execute(
        "INSERT INTO riskmap_status_words (word, stage) VALUES ('整改中', 'closed')",
        [],
    )
    .expect("inserted");
    drop(c);
    let loaded = gpkg::load(&path, &LoadOptions::default()).expect("loads");
    let refused: Vec<&str> = loaded
        .report
        .with_code(IssueCode::ManifestInvalidValue)
        .map(|i| i.file.as_str())
        .collect();
    assert_eq!(refused, ["city.gpkg/riskmap_status_words"]);
    assert_eq!(statuses(&loaded.dataset), edited);

    // Without the table the words mean nothing: both rows are reported.
    let c = rusqlite::Connection::open(&path).expect("open");
    c.execute_batch("DROP TABLE riskmap_status_words;")
        .expect("dropped");
    drop(c);
    let loaded = gpkg::load(&path, &LoadOptions::default()).expect("loads");
    assert!(loaded.statuses.is_empty());
    assert_eq!(unknown(&loaded), ["YH2", "YH3"]);
}
