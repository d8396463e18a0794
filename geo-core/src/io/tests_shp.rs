//! Shapefiles as GDAL and ArcGIS write them: Gauss–Krüger coordinates with a .prj,
//! GBK attributes, and column names the .dbf cut to 10 bytes.

use std::path::Path;

use encoding_rs::GBK;
use geo::{Coord, Geometry};

use super::tests::{close, row, rows};
use super::*;
use crate::crs::Crs;
use crate::model::Appraisal;

/// ESRI's .prj for EPSG:4549 (CGCS2000 / 3-degree Gauss–Krüger CM 120E).
const PRJ_4549: &str = r#"PROJCS["CGCS2000_3_Degree_GK_CM_120E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",120.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;

pub(super) fn write_gk_houses(dir: &Path, name: &str) -> std::path::PathBuf {
    let shp = dir.join(format!("{name}.shp"));
    let sq = |e: f64, n: f64, s: f64| {
        shapefile::Polygon::new(shapefile::PolygonRing::Outer(vec![
            shapefile::Point::new(e, n),
            shapefile::Point::new(e, n + s),
            shapefile::Point::new(e + s, n + s),
            shapefile::Point::new(e + s, n),
            shapefile::Point::new(e, n),
        ]))
    };
    let shapes = vec![
        sq(610_690.0, 3_530_250.0, 10.0),
        sq(611_000.0, 3_531_000.0, 5.0),
    ];
    shapefile::ShapeWriter::from_path(&shp)
        .expect("shp")
        .write_shapes(&shapes)
        .expect("write shapes");
    super::shp::tests::write_dbf(
        &shp.with_extension("dbf"),
        GBK,
        &[("房屋编号", 10), ("地址", 40), ("层数", 4), ("鉴定等级", 8)],
        &[
            vec!["F-001", "海门区三厂街道工业路8号", "3", "D级"],
            vec!["F-002", "海门区三星镇", "2", "E级"],
        ],
    );
    std::fs::write(shp.with_extension("prj"), PRJ_4549).expect("prj");
    shp
}

/// A Chinese column name cut by the .dbf's 10 bytes inside a character (`鉴定等级` in
/// UTF-8 is 12 bytes: GDAL keeps `鉴定等` and the first byte of `级`) is read as the one
/// field it begins, and said; one that begins no field's name (`现场核查情况` cut to
/// `现场核`) is said, with the column, instead of passing as an unused column.
#[test]
fn a_shapefile_column_name_cut_inside_a_character_is_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let shp = write_gk_houses(dir.path(), "houses");
    super::shp::tests::write_dbf(
        &shp.with_extension("dbf"),
        encoding_rs::UTF_8,
        &[
            ("编号", 10),
            ("层数", 4),
            ("鉴定等级", 8),
            ("现场核查情况", 8),
        ],
        &[
            vec!["F-001", "3", "D级", "已核"],
            vec!["F-002", "2", "C级", "已核"],
        ],
    );
    std::fs::write(shp.with_extension("cpg"), "UTF-8").expect("cpg");
    let out =
        load_file::<House>(&shp, &FileOptions::default(), &LoadOptions::default()).expect("loads");
    let said = |code| -> Vec<&Issue> { out.report.with_code(code).collect() };
    let read_as = said(IssueCode::CutColumnName);
    assert_eq!(read_as.len(), 1, "{:?}", out.report.issues);
    assert_eq!(read_as[0].field.as_deref(), Some("appraisal"));
    assert!(
        read_as[0].message.contains("鉴定等\u{FFFD}"),
        "{}",
        read_as[0].message
    );
    assert_eq!(
        out.features
            .iter()
            .map(|f| f.props.appraisal)
            .collect::<Vec<_>>(),
        vec![Some(Appraisal::D), Some(Appraisal::C)]
    );
    let cut = said(IssueCode::DecodingErrors);
    assert_eq!(cut.len(), 1, "{:?}", out.report.issues);
    assert_eq!(cut[0].severity, Severity::Warning);
    assert_eq!(cut[0].field.as_deref(), Some("现场核\u{FFFD}"));
    assert!(cut[0].message.contains("10 bytes"), "{}", cut[0].message);
}

#[test]
fn shapefile_in_gauss_kruger_with_gbk_dbf() {
    let dir = tempfile::tempdir().expect("tempdir");
    let shp = write_gk_houses(dir.path(), "自建房");
    let out =
        load_file::<House>(&shp, &FileOptions::default(), &LoadOptions::default()).expect("loads");
    assert_eq!(
        rows(&out.report.issues),
        vec![row(
            IssueCode::UnknownValue,
            Severity::Warning,
            Some(Position::Feature(1)),
            Some("F-002"),
            Some("鉴定等级")
        )]
    );
    let s = &out.report.files[0];
    assert_eq!(s.encoding.as_deref(), Some("GBK (detected)"));
    assert!(
        s.crs
            .as_deref()
            .is_some_and(|c| c.contains("4549") && c.ends_with("(.prj)")),
        "{:?}",
        s.crs
    );
    let h = &out.features[0];
    assert_eq!(
        (h.id.as_str(), &*h.props.address),
        ("F-001", "海门区三厂街道工业路8号")
    );
    assert_eq!(
        (h.props.floors, h.props.appraisal),
        (Some(3), Some(Appraisal::D))
    );
    // Reference: PROJ 9.1, cs2cs -f %.10f EPSG:4549 EPSG:4490 (input northing easting):
    //   3530250 610690 → 31.8899812005 121.1699766276
    //   3530250 610700 → 31.8899802276 121.1700823072
    //   3530260 610700 → 31.8900703924 121.1700834475
    //   3530260 610690 → 31.8900713652 121.1699777678
    let expected = [
        (121.169_976_627_6, 31.889_981_200_5),
        (121.170_082_307_2, 31.889_980_227_6),
        (121.170_083_447_5, 31.890_070_392_4),
        (121.169_977_767_8, 31.890_071_365_2),
    ];
    let Geometry::Polygon(p) = &h.geometry else {
        panic!("{:?}", h.geometry);
    };
    for (e, n) in expected {
        assert!(
            p.exterior()
                .0
                .iter()
                .any(|c: &Coord<f64>| close(c.x, e, 2e-9) && close(c.y, n, 2e-9)),
            "({e}, {n}) not in {p:?}"
        );
    }
    // A .cpg wins over detection, and a forced encoding over both.
    std::fs::write(shp.with_extension("cpg"), "936").expect("cpg");
    let out =
        load_file::<House>(&shp, &FileOptions::default(), &LoadOptions::default()).expect("loads");
    assert_eq!(out.report.files[0].encoding.as_deref(), Some("GBK (.cpg)"));
    // Without a .prj the metres are taken for degrees: the file is skipped and says why.
    std::fs::remove_file(shp.with_extension("prj")).expect("rm prj");
    let out = load_file::<House>(&shp, &FileOptions::default(), &LoadOptions::default())
        .expect("reported");
    let codes: Vec<_> = out
        .report
        .issues
        .iter()
        .map(|i| (i.code, i.severity))
        .collect();
    assert_eq!(
        codes,
        vec![
            (IssueCode::CrsAssumed, Severity::Warning),
            (IssueCode::ProjectedCoordinates, Severity::Skipped)
        ]
    );
    assert!(
        out.report.issues[1]
            .message
            .contains("without a zone prefix"),
        "{}",
        out.report.issues[1].message
    );
    assert_eq!(out.report.files[0].status, FileStatus::Skipped);
    // Declaring the CRS fixes it.
    let fo = FileOptions {
        crs: Crs::parse("EPSG:4549").ok(),
        ..FileOptions::default()
    };
    let out = load_file::<House>(&shp, &fo, &LoadOptions::default()).expect("loads");
    assert_eq!(out.features.len(), 2);
}
