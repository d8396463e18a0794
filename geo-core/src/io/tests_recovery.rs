//! Loading keeps what it can: a broken row, feature or record costs itself, and a file
//! cut short keeps what comes before the cut.

use super::tests::write_gk_houses;
use super::*;
use crate::model::House;

fn located(report: &ValidationReport, code: IssueCode) -> Vec<Option<Position>> {
    report.with_code(code).map(|i| i.position).collect()
}

#[test]
fn csv_rows_with_infinite_coordinates_are_skipped_not_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("houses.csv");
    // Three of four rows are not finite. Counted as projected, they made the whole file
    // look projected (3 > 4 / 2) and it was skipped; now each costs its own row only.
    std::fs::write(
        &path,
        "编号,地址,经度,纬度\nH1,甲,inf,31.9\nH2,乙,121.1,31.9\nH3,丙,-inf,NaN\nH4,丁,inf,inf\n",
    )
    .expect("write");
    let out = load_file::<House>(&path, &FileOptions::default(), &LoadOptions::default())
        .expect("reported");
    let ids: Vec<&str> = out.features.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, vec!["H2"]);
    assert_eq!(
        located(&out.report, IssueCode::InvalidCoordinates),
        vec![
            Some(Position::Line(2)),
            Some(Position::Line(4)),
            Some(Position::Line(5))
        ]
    );
    assert_eq!(
        out.report
            .with_code(IssueCode::ProjectedCoordinates)
            .count(),
        0
    );
    assert_eq!(out.report.files[0].status, FileStatus::Loaded);
}

#[test]
fn truncated_shapefile_keeps_the_records_before_the_break() {
    let dir = tempfile::tempdir().expect("tempdir");
    let shp = write_gk_houses(dir.path(), "houses");
    // Two five-point polygons; cutting 20 bytes (a point and a bit) off the end breaks
    // the second record only.
    let bytes = std::fs::read(&shp).expect("read");
    std::fs::write(&shp, &bytes[..bytes.len() - 20]).expect("cut");
    let out = load_file::<House>(&shp, &FileOptions::default(), &LoadOptions::default())
        .expect("reported");
    let ids: Vec<&str> = out.features.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, vec!["F-001"]);
    assert_eq!(
        located(&out.report, IssueCode::BrokenTail),
        vec![Some(Position::Feature(1))]
    );
    let msg = &out
        .report
        .with_code(IssueCode::BrokenTail)
        .next()
        .expect("issue")
        .message;
    assert!(msg.contains("the 1 record(s) before were kept"), "{msg}");
    assert_eq!(out.report.files[0].status, FileStatus::Loaded);
}

#[test]
fn broken_geojson_features_are_reported_and_counted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("houses.geojson");
    // Features 0 and 2 are whole; feature 1 has a string for coordinates.
    std::fs::write(
        &path,
        r#"{"type":"FeatureCollection","features":[
{"type":"Feature","id":"A","geometry":{"type":"Point","coordinates":[121.1,31.9]}},
{"type":"Feature","id":"B","geometry":{"type":"Point","coordinates":"121,31"}},
{"type":"Feature","id":"C","geometry":{"type":"Point","coordinates":[121.2,31.9]}}
]}"#,
    )
    .expect("write");
    let out = load_file::<House>(&path, &FileOptions::default(), &LoadOptions::default())
        .expect("reported");
    let ids: Vec<&str> = out.features.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, vec!["A", "C"]);
    assert_eq!(
        located(&out.report, IssueCode::BrokenFeature),
        vec![Some(Position::Feature(1))]
    );
    let s = &out.report.files[0];
    // Three found, two loaded.
    assert_eq!((s.features_read, s.features_loaded), (3, 2));
}

/// A `.prj` holding a code alone (`EPSG:4549`, as some tools and people write one) is
/// read as that code, not refused as WKT that lacks its brackets; the houses land where
/// the same file with its WKT puts them.
#[test]
fn a_prj_holding_a_code_alone_is_read_as_the_code() {
    let dir = tempfile::tempdir().expect("tempdir");
    let shp = write_gk_houses(dir.path(), "houses");
    let opts = (FileOptions::default(), LoadOptions::default());
    let wkt = load_file::<House>(&shp, &opts.0, &opts.1).expect("loads");
    std::fs::write(shp.with_extension("prj"), "EPSG:4549\n").expect("prj");
    let code = load_file::<House>(&shp, &opts.0, &opts.1).expect("loads");
    assert_eq!(code.features.len(), wkt.features.len());
    assert!(!code.features.is_empty());
    for (a, b) in wkt.features.iter().zip(&code.features) {
        assert_eq!(a.geometry, b.geometry);
    }
    let crs = code.report.files[0].crs.as_deref().unwrap_or("");
    assert!(
        crs.contains("EPSG:4549") && crs.ends_with("(.prj)"),
        "{crs}"
    );
}
