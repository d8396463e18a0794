//! Loading keeps what it can: a broken row, feature or record costs itself, and a file
//! cut short keeps what comes before the cut.

use super::tests_shp::write_gk_houses;
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

/// Protection targets read in the wrong zone land some 280 km east of the areas: each is
/// warned of, and the file once, saying its coordinate system may be wrong; a file with
/// a few far features among many is not.
#[test]
fn a_file_mostly_far_from_the_areas_is_said_to_be_in_another_system() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::write(
        d.join("areas.geojson"),
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","id":"a1","properties":{"name":"海门街道"},"geometry":{"type":"Polygon","coordinates":[[[121.0,31.8],[121.3,31.8],[121.3,32.0],[121.0,32.0],[121.0,31.8]]]}}]}"#,
    )
    .expect("areas");
    let points = |name: &str, far: usize, near: usize| {
        let mut rows = String::from("编号,名称,类别,经度,纬度\n");
        for k in 0..far {
            rows.push_str(&format!(
                "F{k},远{k},学校,{},31.9\n",
                124.1 + k as f64 * 1e-3
            ));
        }
        for k in 0..near {
            rows.push_str(&format!(
                "N{k},近{k},学校,{},31.9\n",
                121.1 + k as f64 * 1e-3
            ));
        }
        std::fs::write(d.join(name), rows).expect("targets");
    };
    points("protection_targets.csv", 8, 1);
    let loaded = load_dir(d, &LoadOptions::default()).expect("loads");
    let whole: Vec<&Issue> = loaded
        .report
        .with_code(IssueCode::FarFromData)
        .filter(|i| i.feature_id.is_none())
        .collect();
    assert_eq!(whole.len(), 1, "{:?}", loaded.report.issues);
    assert!(
        whole[0].message.starts_with("8 of the file's 9 features"),
        "{}",
        whole[0].message
    );
    assert_eq!(whole[0].file, "protection_targets.csv");
    let each = loaded
        .report
        .with_code(IssueCode::FarFromData)
        .filter(|i| i.feature_id.is_some())
        .count();
    assert_eq!(each, 8);
    // The file's own comes first, where a reader of the report meets it.
    let first_far = loaded
        .report
        .issues
        .iter()
        .position(|i| i.code == IssueCode::FarFromData)
        .unwrap();
    assert!(loaded.report.issues[first_far].feature_id.is_none());
    // Two far of ten: each said, the file not.
    points("protection_targets.csv", 2, 8);
    let loaded = load_dir(d, &LoadOptions::default()).expect("loads");
    assert_eq!(
        loaded
            .report
            .with_code(IssueCode::FarFromData)
            .filter(|i| i.feature_id.is_none())
            .count(),
        0
    );
}

/// A UTF-8 .dbf one of whose values its writer cut inside a character (as writers that
/// slice encoded bytes do) still has a right `.cpg`: it is not overruled for that one
/// broken character, which does not make the bytes GBK.
#[test]
fn a_utf8_cpg_stands_beside_a_value_cut_inside_a_character() {
    let dir = tempfile::tempdir().expect("tempdir");
    let shp = write_gk_houses(dir.path(), "houses");
    let dbf = shp.with_extension("dbf");
    super::shp::tests::write_dbf(
        &dbf,
        encoding_rs::UTF_8,
        &[("编号", 10), ("地址", 40)],
        &[
            vec!["F-001", "海门区三厂街道工业路8号"],
            vec!["F-002", "三星镇"],
        ],
    );
    // "镇" (E9 95 87) cut after its first byte, the rest of the field blank.
    let mut bytes = std::fs::read(&dbf).expect("dbf");
    let at = bytes
        .windows(3)
        .position(|w| w == "镇".as_bytes())
        .expect("镇 in the records");
    bytes[at + 1] = b' ';
    bytes[at + 2] = b' ';
    std::fs::write(&dbf, bytes).expect("dbf");
    std::fs::write(shp.with_extension("cpg"), "UTF-8").expect("cpg");
    let out =
        load_file::<House>(&shp, &FileOptions::default(), &LoadOptions::default()).expect("loads");
    assert_eq!(
        out.report.files[0].encoding.as_deref(),
        Some("UTF-8 (.cpg)")
    );
    assert_eq!(out.report.with_code(IssueCode::CpgMismatch).count(), 0);
    assert_eq!(&*out.features[0].props.address, "海门区三厂街道工业路8号");
}
