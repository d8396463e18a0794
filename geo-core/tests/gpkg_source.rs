//! A GeoPackage as a data source: edited with GDAL's own tools (`ogrinfo -sql`,
//! `ogr2ogr`, Debian package gdal-bin, which scripts/ensure-gdal.sh installs), it gives
//! the issues its rows would give as features of files, located by table, fid and id;
//! and results written into it are tables GDAL lists with the analysis's counts.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use riskmap_core::dataset::{Dataset, Layer};
use riskmap_core::io::{Issue, IssueCode, LoadOptions, Position, Severity, load_dir};
use riskmap_core::model::{InventoryItem, LayerKind, QraDistances};
use riskmap_core::project::Project;
use riskmap_core::rules::Rules;
use riskmap_core::store::{gpkg, results};

use common::{demo_dir, gdal, s};

/// GDAL's GeoPackage validator (the requirements of the standard, the R-trees and their
/// triggers) passes the file.
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

/// The demo data imported into a GeoPackage in `dir`.
fn demo_gpkg(dir: &Path) -> PathBuf {
    let ds = load_dir(&demo_dir(), &LoadOptions::default())
        .expect("demo loads")
        .dataset;
    let path = dir.join("haimen.gpkg");
    gpkg::write(&path, &ds).expect("written");
    path
}

/// What an issue says, without where in its file it is (a fid in a table, a feature
/// index in a GeoJSON file) or the file's name.
fn gist(
    i: &Issue,
) -> (
    Severity,
    IssueCode,
    Option<LayerKind>,
    Option<String>,
    Option<String>,
) {
    (
        i.severity,
        i.code,
        i.layer,
        i.feature_id.clone(),
        i.field.clone(),
    )
}

#[test]
fn a_geopackage_edited_with_gdal_gives_the_issues_of_a_folder() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let path = demo_gpkg(tmp.path());
    let ds = gpkg::load(&path, &LoadOptions::default())
        .expect("loads")
        .dataset;
    let moved = ds.houses.features()[0].id.clone();
    let odd_use = ds.houses.features()[1].id.clone();
    let twice = ds.houses.features()[2].id.clone();
    let (w, so, e, n) = {
        let b = ds.areas.bounds().expect("areas");
        (b.min().x, b.min().y, b.max().x, b.max().y)
    };
    let (cx, cy) = ((w + e) / 2.0, (so + n) / 2.0);
    // Edits as a GIS user makes them, through GDAL's SQL on the file (GDAL keeps the
    // R-tree through the triggers the store wrote).
    let bowtie = format!(
        "POLYGON(({cx} {cy}, {x1} {y1}, {x1} {cy}, {cx} {y1}, {cx} {cy}))",
        x1 = cx + 0.001,
        y1 = cy + 0.001
    );
    for sql in [
        // A house moved two degrees east, far out of every area.
        format!(
            "UPDATE houses SET geom = AsGPB(ST_Translate(GeomFromGPB(geom), 2.0, 0, 0)) \
             WHERE id = '{moved}'"
        ),
        // A use that is no use.
        format!("UPDATE houses SET house_use = '宫殿' WHERE id = '{odd_use}'"),
        // A hazard source drawn as a bow tie, and one without a geometry.
        format!(
            "INSERT INTO hazard_sources (geom, id, name, inventory) VALUES \
             (AsGPB(ST_GeomFromText('{bowtie}', 4326)), 'hs-bowtie', '蝴蝶形储罐区', '液氨=35')"
        ),
        "INSERT INTO hazard_sources (geom, id, name, inventory) VALUES \
         (NULL, 'hs-nowhere', '无位置储罐', '液氨=12')"
            .to_string(),
    ] {
        gdal("ogrinfo", &[s(&path), "-sql", &sql]);
    }
    // A second houses table (自建房, as a second ledger file would be) repeating an id.
    let extra = tmp.path().join("extra.geojson");
    std::fs::write(
        &extra,
        format!(
            r#"{{"type":"FeatureCollection","features":[{{"type":"Feature",
              "properties":{{"id":"{twice}","address":"重复的房屋"}},
              "geometry":{{"type":"Point","coordinates":[{cx},{cy}]}}}}]}}"#
        ),
    )
    .expect("write");
    gdal(
        "ogr2ogr",
        &["-update", s(&path), s(&extra), "-nln", "自建房"],
    );

    let loaded = gpkg::load(&path, &LoadOptions::default()).expect("loads with issues");
    let issues = &loaded.report.issues;
    let find = |id: &str, code: IssueCode| -> &Issue {
        issues
            .iter()
            .find(|i| i.feature_id.as_deref() == Some(id) && i.code == code)
            .unwrap_or_else(|| panic!("no {code:?} for {id}: {}", loaded.report.to_markdown()))
    };
    let fid = |table: &str, id: &str| -> u64 {
        let out = gdal(
            "ogrinfo",
            &[
                s(&path),
                "-sql",
                &format!("SELECT fid FROM \"{table}\" WHERE id = '{id}'"),
            ],
        );
        out.lines()
            .find_map(|l| l.trim().strip_prefix("fid (Integer) = "))
            .or_else(|| {
                out.lines()
                    .find_map(|l| l.trim().strip_prefix("OGRFeature(SELECT):"))
            })
            .expect("a fid")
            .trim()
            .parse()
            .expect("a number")
    };
    let at = |i: &Issue| (i.severity, i.file.clone(), i.position);
    let far = find(&moved, IssueCode::FarFromData);
    assert_eq!(far.severity, Severity::Warning);
    assert_eq!(far.file, "haimen.gpkg/houses");
    let odd = find(&odd_use, IssueCode::UnknownValue);
    assert_eq!(
        at(odd),
        (
            Severity::Warning,
            "haimen.gpkg/houses".into(),
            Some(Position::Fid(fid("houses", &odd_use)))
        )
    );
    assert_eq!(odd.field.as_deref(), Some("house_use"));
    let bow = find("hs-bowtie", IssueCode::SelfIntersection);
    assert_eq!(
        at(bow),
        (
            Severity::Repaired,
            "haimen.gpkg/hazard_sources".into(),
            Some(Position::Fid(fid("hazard_sources", "hs-bowtie")))
        )
    );
    assert!(loaded.dataset.hazard_sources.find_id("hs-bowtie").is_some());
    let none = find("hs-nowhere", IssueCode::MissingGeometry);
    assert_eq!(
        at(none),
        (
            Severity::Skipped,
            "haimen.gpkg/hazard_sources".into(),
            Some(Position::Fid(fid("hazard_sources", "hs-nowhere")))
        )
    );
    assert!(
        loaded
            .dataset
            .hazard_sources
            .find_id("hs-nowhere")
            .is_none()
    );
    let dup = find(&twice, IssueCode::DuplicateId);
    assert_eq!(
        at(dup),
        (
            Severity::Skipped,
            "haimen.gpkg/自建房".into(),
            Some(Position::Fid(1))
        )
    );
    assert!(
        dup.message.contains(&format!(
            "haimen.gpkg/houses, fid {}",
            fid("houses", &twice)
        )),
        "{}",
        dup.message
    );
    assert_eq!(loaded.dataset.houses.len(), ds.houses.len());

    // The same tables as GeoJSON files (written by GDAL) in a folder give the same
    // issues and the same dataset.
    let folder = tmp.path().join("as_files");
    std::fs::create_dir(&folder).expect("mkdir");
    for table in [
        "areas",
        "enterprises",
        "hazard_sources",
        "gas_pipelines",
        "houses",
        "protection_targets",
        "hidden_hazards",
        "自建房",
    ] {
        gdal(
            "ogr2ogr",
            &[
                "-f",
                "GeoJSON",
                s(&folder.join(format!("{table}.geojson"))),
                s(&path),
                table,
            ],
        );
    }
    let files = load_dir(&folder, &LoadOptions::default()).expect("folder loads");
    let a: BTreeSet<_> = loaded.report.issues.iter().map(gist).collect();
    let b: BTreeSet<_> = files.report.issues.iter().map(gist).collect();
    assert_eq!(a, b);
    assert_eq!(loaded.dataset.counts(), files.dataset.counts());
}

#[test]
fn results_are_tables_gdal_lists_and_a_second_write_replaces_them() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let path = demo_gpkg(tmp.path());
    let p = Project::open(&path, &LoadOptions::default(), &Rules::default()).expect("opens");
    let a = &p.analysis;
    assert!(!a.protection_conflicts.is_empty() && !a.pipeline_conflicts.is_empty());
    let expect = [
        ("result_protection_conflicts", a.protection_conflicts.len()),
        ("result_pipeline_conflicts", a.pipeline_conflicts.len()),
        ("result_house_risk", a.house_risks.len()),
        ("result_enterprise_risk", a.enterprise_risks.len()),
        ("result_hazard_grades", a.hazard_grades.len()),
        ("result_risk_grid", a.grid.cells.len()),
        ("result_area_summaries", a.area_summaries.len()),
    ];
    for _ in 0..2 {
        let written = results::write_results(&path, &p.dataset, a).expect("written");
        let written: Vec<(&str, usize)> = written.iter().map(|(t, n)| (t.as_str(), *n)).collect();
        assert_eq!(written, expect);
    }
    // GDAL lists each table once, as a layer with a geometry, with the analysis's count.
    let list = gdal("ogrinfo", &["-so", "-q", s(&path)]);
    for (table, n) in expect {
        let lines: Vec<&str> = list
            .lines()
            .filter(|l| {
                l.split_once(": ")
                    .is_some_and(|(_, r)| r == table || r.starts_with(&format!("{table} (")))
            })
            .collect();
        assert_eq!(lines.len(), 1, "{table} in {list}");
        let info = gdal("ogrinfo", &["-so", s(&path), table]);
        assert!(
            info.contains(&format!("Feature Count: {n}\n")),
            "{table}: {info}"
        );
        assert!(info.contains("Geometry Column = geom"), "{info}");
    }
    // A value read back by GDAL: the first protection conflict's shortfall, rounded to
    // centimetres as the export rounds it, between the ids it names.
    let c = &a.protection_conflicts[0];
    let out = gdal(
        "ogrinfo",
        &[
            s(&path),
            "-sql",
            &format!(
                "SELECT shortfall_m, ST_GeometryType(geom) AS t FROM result_protection_conflicts \
                 WHERE source_id = '{}' AND target_id = '{}'",
                c.source_id, c.target_id
            ),
        ],
    );
    let shortfall: f64 = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("shortfall_m (Real) = "))
        .expect("the shortfall")
        .trim()
        .parse()
        .expect("a number");
    assert!(
        (shortfall - c.shortfall_m).abs() <= 0.005,
        "{shortfall} vs {}",
        c.shortfall_m
    );
    assert!(out.contains("t (String) = LINESTRING"), "{out}");
    validate_gpkg(&path);
    // The ledgers are still read as before, the result tables not as ledgers.
    let again = gpkg::load(&path, &LoadOptions::default()).expect("loads");
    assert_eq!(again.dataset.counts(), p.dataset.counts());
    assert_eq!(again.report.files.len(), 7);
}

#[test]
fn every_form_of_inventory_and_qra_distances_reads_back_as_written() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let demo = load_dir(&demo_dir(), &LoadOptions::default())
        .expect("demo loads")
        .dataset;
    let item =
        |name: Option<&str>, cas: Option<&str>, category: Option<&str>, tonnes| InventoryItem {
            name: name.map(Into::into),
            cas: cas.map(Into::into),
            category: category.map(Into::into),
            tonnes,
        };
    let base = demo.hazard_sources.features()[0].clone();
    let mut a = base.clone();
    a.id = "hs-forms-1".into();
    a.props.inventory = vec![
        item(Some("氯"), Some("7782-50-5"), None, 0.1 + 0.2),
        item(None, Some("7664-41-7"), None, 35.0),
        item(None, None, Some("W3"), 12.25),
        item(Some("某溶剂"), None, Some("W5.3"), 1e-3),
        item(Some("某溶剂二"), Some("64-17-5"), Some("W5.3"), 800.0),
    ];
    a.props.qra_distances = Some(QraDistances {
        important: Some(450.5),
        general_3: Some(120.0),
        ..QraDistances::default()
    });
    let mut b = base;
    b.id = "hs-forms-2".into();
    b.props.inventory = Vec::new();
    b.props.qra_distances = None;
    let ds = Dataset {
        hazard_sources: Layer::new(LayerKind::HazardSources, vec![a, b]),
        ..Dataset::default()
    };
    let path = tmp.path().join("forms.gpkg");
    gpkg::write(&path, &ds).expect("written");
    // What a person sees in QGIS (read by GDAL).
    let out = gdal(
        "ogrinfo",
        &[
            s(&path),
            "-sql",
            "SELECT inventory, qra_distances FROM hazard_sources WHERE id = 'hs-forms-1'",
        ],
    );
    assert!(
        out.contains(
            "inventory (String) = 氯(7782-50-5)=0.30000000000000004;7664-41-7=35;W3=12.25;\
             某溶剂(W5.3)=0.001;某溶剂二(64-17-5,W5.3)=800"
        ),
        "{out}"
    );
    assert!(
        out.contains("qra_distances (String) = important=450.5;general_3=120"),
        "{out}"
    );
    let loaded = gpkg::load(&path, &LoadOptions::default()).expect("loads");
    assert!(
        loaded.report.issues.is_empty(),
        "{}",
        loaded.report.to_markdown()
    );
    for (x, y) in ds
        .hazard_sources
        .features()
        .iter()
        .zip(loaded.dataset.hazard_sources.features())
    {
        assert_eq!(x.id, y.id);
        assert_eq!(
            serde_json::to_value(&x.props).ok(),
            serde_json::to_value(&y.props).ok()
        );
    }
}

#[test]
fn a_table_of_many_parts_reads_as_gdal_reads_it() {
    // More houses than eight of the reader's parts of 16,384 rows, written as GeoJSON here
    // and turned into a GeoPackage by GDAL; then, with GDAL's SQL, rows deleted across
    // a boundary between parts (65,536) and a geometry broken in the second part.
    let n = 2 * (1 << 16) + 5;
    let dir = tempfile::tempdir().expect("temp dir");
    let json = dir.path().join("houses.geojson");
    std::fs::write(&json, common::many_houses_geojson(n)).expect("written");
    let path = dir.path().join("city.gpkg");
    gdal(
        "ogr2ogr",
        &["-f", "GPKG", s(&path), s(&json), "-nln", "houses"],
    );
    gdal(
        "ogrinfo",
        &[
            s(&path),
            "-sql",
            "DELETE FROM houses WHERE fid BETWEEN 65530 AND 65540",
        ],
    );
    // What is left, as GDAL reads it.
    let left = dir.path().join("left.geojson");
    gdal("ogr2ogr", &["-f", "GeoJSON", s(&left), s(&path), "houses"]);
    // The GeoJSON's 70,001st house (fid 70001: GDAL numbered them in order), broken.
    gdal(
        "ogrinfo",
        &[
            s(&path),
            "-sql",
            "UPDATE houses SET geom = X'4750000100000000' WHERE fid = 70001",
        ],
    );
    let mine = gpkg::load(&path, &LoadOptions::default()).expect("loads");
    let gdals = riskmap_core::io::load_file::<riskmap_core::model::House>(
        &left,
        &riskmap_core::io::FileOptions::default(),
        &LoadOptions::default(),
    )
    .expect("GDAL's GeoJSON reads");
    let rows = n - 11;
    assert_eq!(mine.report.files[0].features_read, rows as u64);
    assert_eq!(gdals.features.len(), rows);
    let houses = mine.dataset.houses.features();
    assert_eq!(houses.len(), rows - 1);
    assert!(houses.iter().all(|h| h.id != "F-70000"));
    let by_id: std::collections::HashMap<&str, _> = gdals
        .features
        .iter()
        .map(|x| (x.id.as_str(), (&x.geometry, x.props.floors)))
        .collect();
    for h in houses {
        assert_eq!(
            by_id.get(h.id.as_str()),
            Some(&(&h.geometry, h.props.floors)),
            "{}",
            h.id
        );
    }
    // The broken row is reported where it is, by fid, and costs only itself.
    let broken: Vec<(Severity, IssueCode, Option<Position>, Option<&str>)> = mine
        .report
        .issues
        .iter()
        .map(|i| (i.severity, i.code, i.position, i.feature_id.as_deref()))
        .collect();
    assert_eq!(
        broken,
        [(
            Severity::Skipped,
            IssueCode::InvalidGeometry,
            Some(Position::Fid(70001)),
            Some("F-70000")
        )]
    );
    // A second houses table after it (自建房, many parts again), and a strict load: it
    // stops at the broken row of the first table, while the store's reading thread is
    // ahead in the second; the load ends with the error all the same.
    gdal(
        "ogr2ogr",
        &[
            "-f",
            "GPKG",
            "-update",
            s(&path),
            s(&json),
            "-nln",
            "自建房",
        ],
    );
    let strict = LoadOptions {
        strict: true,
        ..LoadOptions::default()
    };
    let e = gpkg::load(&path, &strict).expect_err("strict stops at the broken row");
    assert!(e.to_string().contains("fid 70001"), "{e}");
}
