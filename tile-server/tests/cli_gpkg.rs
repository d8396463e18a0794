//! The `riskmap` binary on a GeoPackage source: `analyze` gives the same outputs as on the
//! folder it was imported from, `--write-results` puts the results into the file (read
//! back with GDAL's `ogrinfo`, which scripts/ensure-gdal.sh installs), and a source that
//! is neither a folder nor a GeoPackage is refused.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::ogrinfo;

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_riskmap"))
        .args(args)
        .output()
        .expect("run riskmap")
}

fn ok(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The files of an output directory but the run record and the validation report (which
/// name the source), by name.
fn outputs(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n != "run.json" && !n.starts_with("validation_report")
        })
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn analyze_on_a_geopackage_equals_analyze_on_its_folder_and_writes_results_into_it() {
    let tmp = tempfile::tempdir().unwrap();
    let city = tmp.path().join("city");
    ok(&run(&[
        "generate",
        "--quiet",
        "--houses",
        "400",
        "--out",
        s(&city),
    ]));
    let gpkg = tmp.path().join("city.gpkg");
    // The import says the folder's day is not the store's (and how to ask for it).
    let out = run(&["import", s(&city), "--into", s(&gpkg)]);
    ok(&out);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("ledgers end on 2026-11-30") && said.contains("--as-of 2026-11-30"),
        "{said}"
    );

    let from_dir = tmp.path().join("from_dir");
    let from_gpkg = tmp.path().join("from_gpkg");
    // The folder says its ledgers end on a day (riskmap.toml `as_of`); a store holds
    // living ledgers and counts hidden hazards on the day of the run: both on one day.
    ok(&run(&[
        "analyze",
        "--quiet",
        s(&city),
        "--out",
        s(&from_dir),
        "--as-of",
        "2026-11-30",
    ]));
    ok(&run(&[
        "analyze",
        "--quiet",
        s(&gpkg),
        "--out",
        s(&from_gpkg),
        "--write-results",
        "--as-of",
        "2026-11-30",
    ]));
    let (a, b) = (outputs(&from_dir), outputs(&from_gpkg));
    assert_eq!(
        a.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        b.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>()
    );
    assert!(a.len() >= 14, "{} files", a.len());
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        assert!(
            x == y,
            "{name} differs between the folder and the GeoPackage"
        );
    }
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(from_gpkg.join("validation_report.json")).unwrap())
            .unwrap();
    assert_eq!(report["summary"]["skipped"], 0, "{report}");
    assert!(
        report["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["file"] == "city.gpkg/houses" && f["format"] == "gpkg"),
        "{report}"
    );

    // The result tables, as GDAL reads them: as many house levels as the export has
    // houses, and the level of the first house as the export gives it.
    let houses: serde_json::Value =
        serde_json::from_slice(&std::fs::read(from_gpkg.join("house_risk.geojson")).unwrap())
            .unwrap();
    let features = houses["features"].as_array().unwrap();
    let info = ogrinfo(&["-so", s(&gpkg), "result_house_risk"]);
    assert!(
        info.contains(&format!("Feature Count: {}\n", features.len())),
        "{info}"
    );
    let first = &features[0];
    let sql = format!(
        "SELECT level, reasons FROM result_house_risk WHERE id = '{}'",
        first["id"].as_str().unwrap()
    );
    let row = ogrinfo(&[s(&gpkg), "-sql", &sql]);
    let level = first["properties"]["level"].as_str().unwrap();
    assert!(
        row.contains(&format!("level (String) = {level}\n")),
        "{level}: {row}"
    );
    // Counts per level are one column per level: over every area (and the row of those
    // outside any), each level's houses are the export's houses of that level.
    for level in ["low", "general", "significant", "major"] {
        let n = features
            .iter()
            .filter(|f| f["properties"]["level"] == level)
            .count();
        let sql = format!("SELECT sum(houses_{level}) AS n FROM result_area_summaries");
        let row = ogrinfo(&[s(&gpkg), "-sql", &sql]);
        assert!(row.contains(&format!(" = {n}\n")), "{level}: {n} in {row}");
    }
    // The ledgers are still what the folder gives: `validate` on the file passes.
    let report = ok(&run(&["validate", s(&gpkg)]));
    assert!(report.contains("city.gpkg/houses"), "{report}");
}

#[test]
fn write_results_needs_a_geopackage_and_a_file_that_is_neither_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let city = tmp.path().join("city");
    ok(&run(&[
        "generate",
        "--quiet",
        "--houses",
        "50",
        "--out",
        s(&city),
    ]));
    let out = run(&[
        "analyze",
        s(&city),
        "--out",
        s(&tmp.path().join("o")),
        "--write-results",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("riskmap import"), "{err}");
    assert!(
        !tmp.path().join("o").exists(),
        "refused before anything is written"
    );

    let notes = tmp.path().join("notes.txt");
    std::fs::write(&notes, "not data\n").unwrap();
    let out = run(&["validate", s(&notes)]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("a file, not a data directory or a GeoPackage"),
        "{err}"
    );
    // A .gpkg that is not SQLite says so.
    let fake = tmp.path().join("fake.gpkg");
    std::fs::write(&fake, "not a database either\n".repeat(40)).unwrap();
    let out = run(&["validate", s(&fake)]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("not a GeoPackage"), "{err}");
}

/// The rows of `table` in the GeoPackage, and whether `id` is among them.
fn rows_and(path: &Path, table: &str, id: &str) -> (i64, bool) {
    let c = rusqlite::Connection::open(path).unwrap();
    let n = c
        .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap();
    let has: i64 = c
        .query_row(
            &format!("SELECT count(*) FROM {table} WHERE id = ?1"),
            [id],
            |r| r.get(0),
        )
        .unwrap();
    (n, has == 1)
}

/// An import again after a ledger line became unreadable, or a ledger went missing, does
/// not take those features out of the store: a line the checks refuse is not a house the
/// office removed, and a missing ledger has lost nothing.
#[test]
fn an_import_keeps_the_rows_of_refused_lines_and_of_missing_ledgers() {
    let dir = tempfile::tempdir().unwrap();
    let data = common::demo_copy(dir.path());
    let store = dir.path().join("x.gpkg");
    ok(&run(&["import", "--quiet", s(&data), "--into", s(&store)]));
    let (houses, _) = rows_and(&store, "houses", "house-0000020");

    common::break_footprint(&data, "house-0000020");
    let csv = data.join("houses.csv");
    let printed = ok(&run(&["import", s(&data), "--into", s(&store)]));
    assert_eq!(
        common::import_counts(&printed, "houses"),
        [0, 0, 0, houses as u64 - 1, 1]
    );
    assert_eq!(rows_and(&store, "houses", "house-0000020"), (houses, true));
    let c = rusqlite::Connection::open(&store).unwrap();
    let deletes: i64 = c
        .query_row(
            "SELECT count(*) FROM riskmap_changes WHERE op = 'delete'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(deletes, 0);

    // The ledger cut short ten bytes into a line (a copy not finished): what lay past the
    // cut is not known, so no house is removed.
    let whole = std::fs::read(&csv).unwrap();
    let line = whole[whole.len() * 3 / 5..]
        .iter()
        .position(|b| *b == b'\n')
        .unwrap()
        + whole.len() * 3 / 5
        + 1;
    std::fs::write(&csv, &whole[..line + 10]).unwrap();
    let out = run(&["import", s(&data), "--into", s(&store)]);
    let printed = ok(&out);
    let counts = common::import_counts(&printed, "houses");
    assert_eq!(counts[2], 0, "none removed: {printed}");
    assert_eq!(counts[3] + counts[4], houses as u64, "{printed}");
    assert!(
        counts[4] > houses as u64 / 3,
        "those past the cut kept: {printed}"
    );
    assert_eq!(rows_and(&store, "houses", "house-0000020"), (houses, true));
    std::fs::write(&csv, &whole).unwrap();

    // The ledger gone: every house kept, and said so.
    std::fs::remove_file(&csv).unwrap();
    let out = run(&["import", s(&data), "--into", s(&store)]);
    let printed = ok(&out);
    assert_eq!(
        common::import_counts(&printed, "houses"),
        [0, 0, 0, 0, houses as u64]
    );
    // The hidden hazards of those houses are refused (no such feature): kept too.
    assert_eq!(common::import_counts(&printed, "hidden_hazards")[2], 0);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("houses: the folder's ledgers of this layer were not all read"),
        "{said}"
    );
    assert_eq!(rows_and(&store, "houses", "house-0000020"), (houses, true));
}
