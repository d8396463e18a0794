//! End-to-end tests of the loaders on small files written by the tests (and one
//! committed workbook, as the workbook reader cannot write).

use std::path::Path;
use std::sync::{Arc, Mutex};

use encoding_rs::GBK;
use geo::Geometry;

use super::*;
use crate::crs::Crs;
use crate::model::SourceRef;
use crate::model::{Appraisal, HazardGrade, HouseUse, Industry, PressureClass, RiskLevel};

type Row = (
    IssueCode,
    Severity,
    Option<Position>,
    Option<String>,
    Option<String>,
);

pub(super) fn rows(issues: &[Issue]) -> Vec<Row> {
    issues
        .iter()
        .map(|i| {
            (
                i.code,
                i.severity,
                i.position,
                i.feature_id.clone(),
                i.field.clone(),
            )
        })
        .collect()
}

pub(super) fn row(
    code: IssueCode,
    sev: Severity,
    pos: Option<Position>,
    id: Option<&str>,
    field: Option<&str>,
) -> Row {
    (
        code,
        sev,
        pos,
        id.map(String::from),
        field.map(String::from),
    )
}

fn write(dir: &Path, rel: &str, bytes: &[u8]) {
    let p = dir.join(rel);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(p, bytes).expect("write");
}

fn gbk(s: &str) -> Vec<u8> {
    GBK.encode(s).0.into_owned()
}

pub(super) fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() < tol
}

const HOUSES_WITH_PROBLEMS: &str = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","id":"H-1","geometry":{"type":"Polygon","coordinates":[[[121.1,31.9],[121.1001,31.9],[121.1001,31.9001],[121.1,31.9001],[121.1,31.9]]]},
 "properties":{"地址":"三厂街道1号","层数":"3","用途":"经营","鉴定等级":"C级"}},
{"type":"Feature","id":"H-2","geometry":null,"properties":{"地址":"无图形"}},
{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[121.2,31.9],[121.2001,31.9],[121.2001,31.9],[121.2001,31.9001],[121.2,31.9001]]]},"properties":{"编号":"H-3"}},
{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[121.0,31.0],[121.001,31.001],[121.001,31.0],[121.0,31.001],[121.0,31.0]]]},"properties":{}},
{"type":"Feature","id":"H-5","geometry":{"type":"Point","coordinates":[40512345.0,3530000.0]},"properties":{}},
{"type":"Feature","id":"H-6","geometry":{"type":"Point","coordinates":[121.1,95.0]},"properties":{}},
{"type":"Feature","id":"H-7","geometry":{"type":"LineString","coordinates":[[121.1,31.9],[121.2,31.9]]},"properties":{}},
{"type":"Feature","id":"H-8","geometry":{"type":"Polygon","coordinates":[[[121.1,31.9],[121.2,31.9],[121.1,31.9]]]},"properties":{}},
{"type":"Feature","id":"H-1","geometry":{"type":"Point","coordinates":[121.1,31.9]},"properties":{}},
{"type":"Feature","id":"H-10","geometry":{"type":"Point","coordinates":[121.1,31.9]},"properties":{"用途":"仓库","层数":"-2","居住人数":"很多"}},
{"type":"Feature","id":"H-11","geometry":{"type":"Point","coordinates":[121.1,31.9]},"properties":{"备注":"x","address":"东路2号","floors":2}}
]}"#;

#[test]
fn geojson_problems_are_each_reported_with_position_id_and_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("houses.geojson");
    std::fs::write(&path, HOUSES_WITH_PROBLEMS).expect("write");
    let out =
        load_file::<House>(&path, &FileOptions::default(), &LoadOptions::default()).expect("loads");
    use IssueCode as C;
    use Severity::{Repaired as R, Skipped as S, Warning as W};
    let f = |n| Some(Position::Feature(n));
    assert_eq!(
        rows(&out.report.issues),
        vec![
            row(C::MissingGeometry, S, f(1), Some("H-2"), None),
            row(C::RepeatedPoints, R, f(2), Some("H-3"), None),
            row(C::UnclosedRing, R, f(2), Some("H-3"), None),
            row(C::SelfIntersection, R, f(3), Some("houses-houses-3"), None),
            row(C::ProjectedCoordinates, S, f(4), Some("H-5"), None),
            row(C::CoordinatesOutOfRange, S, f(5), Some("H-6"), None),
            row(C::WrongGeometryType, S, f(6), Some("H-7"), None),
            row(C::DegenerateRing, S, f(7), Some("H-8"), None),
            row(C::NegativeNumber, W, f(9), Some("H-10"), Some("层数")),
            row(C::UnknownValue, W, f(9), Some("H-10"), Some("用途")),
            row(C::InvalidNumber, W, f(9), Some("H-10"), Some("居住人数")),
            row(C::DuplicateId, S, f(8), Some("H-1"), None),
        ]
    );
    let msg = |c: IssueCode| {
        out.report
            .with_code(c)
            .next()
            .map(|i| i.message.clone())
            .unwrap_or_default()
    };
    assert!(
        msg(C::ProjectedCoordinates).contains("Gauss–Krüger zone 40"),
        "{}",
        msg(C::ProjectedCoordinates)
    );
    assert!(
        msg(C::DuplicateId).contains("feature 0"),
        "{}",
        msg(C::DuplicateId)
    );
    assert!(
        msg(C::UnknownValue).contains("\"仓库\"")
            && msg(C::UnknownValue).contains("residential (自住)")
    );
    let ids: Vec<&str> = out.features.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, vec!["H-1", "H-3", "houses-houses-3", "H-10", "H-11"]);
    let h1 = &out.features[0];
    assert_eq!(&*h1.props.address, "三厂街道1号");
    assert_eq!(h1.props.floors, Some(3));
    assert_eq!(h1.props.house_use, Some(HouseUse::Commercial));
    assert_eq!(h1.props.appraisal, Some(Appraisal::C));
    assert_eq!(h1.source, SourceRef::in_file("houses.geojson", 0));
    match &out.features[1].geometry {
        Geometry::Polygon(p) => assert_eq!(p.exterior().0.len(), 5),
        other => panic!("{other:?}"),
    }
    assert!(matches!(&out.features[2].geometry, Geometry::MultiPolygon(m) if m.0.len() == 2));
    assert_eq!(&*out.features[4].props.address, "东路2号");
    let s = &out.report.files[0];
    assert_eq!((s.features_read, s.features_loaded), (11, 5));
    assert_eq!(s.unused_columns, vec!["备注".to_string()]);
    assert_eq!(s.crs.as_deref(), Some("EPSG:4326 (WGS 84) (default)"));
    assert_eq!(out.report.skipped_count(), 6);
    assert_eq!(out.report.repaired_count(), 3);
}

#[test]
fn strict_mode_returns_the_first_problem() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("houses.geojson");
    std::fs::write(&path, HOUSES_WITH_PROBLEMS).expect("write");
    let opts = LoadOptions {
        strict: true,
        ..LoadOptions::default()
    };
    match load_file::<House>(&path, &FileOptions::default(), &opts) {
        Err(LoadError::Invalid { issue }) => {
            assert_eq!(issue.code, IssueCode::MissingGeometry);
            assert_eq!(issue.position, Some(Position::Feature(1)));
            assert_eq!(issue.feature_id.as_deref(), Some("H-2"));
            let text = LoadError::Invalid { issue }.to_string();
            assert!(
                text.starts_with("houses.geojson, feature 1, feature \"H-2\": no geometry"),
                "{text}"
            );
        }
        other => panic!("{:?}", other.map(|o| o.report)),
    }
}

#[test]
fn broken_json_keeps_the_features_before_the_break() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("houses.geojson");
    // The comma after the first feature is missing: the break is at line 3, column 1.
    std::fs::write(&path, "{\"type\":\"FeatureCollection\",\"features\":[\n{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[1,2]}}\n{\"type\":\"Feature\"}]}").expect("write");
    let out = load_file::<House>(&path, &FileOptions::default(), &LoadOptions::default())
        .expect("reported");
    assert_eq!(out.features.len(), 1);
    let tail: Vec<&Issue> = out.report.with_code(IssueCode::BrokenTail).collect();
    assert_eq!(tail.len(), 1);
    assert_eq!(tail[0].severity, Severity::Skipped);
    assert_eq!(
        tail[0].position,
        Some(Position::Text { line: 3, column: 1 })
    );
    assert!(
        tail[0]
            .message
            .contains("the 1 feature(s) before were kept"),
        "{}",
        tail[0].message
    );
    assert_eq!(out.report.files[0].status, FileStatus::Loaded);
    let strict = LoadOptions {
        strict: true,
        ..LoadOptions::default()
    };
    assert!(matches!(
        load_file::<House>(&path, &FileOptions::default(), &strict),
        Err(LoadError::Invalid { issue }) if issue.code == IssueCode::BrokenTail
    ));
}

#[test]
fn gbk_csv_with_chinese_headers_title_row_inventory_and_dms() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = "重大危险源台账（2024）,,,,,,,\n\
               危险源编号,危险源名称,所属企业,经度,纬度,危险化学品,重大危险源级别,外部安全防护距离\n\
               HS-1,液氯储罐区,海门某化工有限公司,121°10'12\",31°53'24\",氯(7782-50-5)=20；液氨=35吨,二级,高敏感=600；重要=450\n\
               HS-2,甲醇罐区,某某公司,121.2,31.9,甲醇=800；硫酸=100,三级,\n\
               HS-3,,某某公司,abc,31.9,氯=1,一级,\n";
    let path = dir.path().join("重大危险源.csv");
    std::fs::write(&path, gbk(csv)).expect("write");
    let out = load_file::<HazardSource>(&path, &FileOptions::default(), &LoadOptions::default())
        .expect("loads");
    let l = |n| Some(Position::Line(n));
    assert_eq!(
        rows(&out.report.issues),
        vec![
            row(
                IssueCode::HeaderNotFirstRow,
                Severity::Warning,
                l(2),
                None,
                None
            ),
            row(
                IssueCode::OutsideStandard,
                Severity::Info,
                l(4),
                Some("HS-2"),
                Some("危险化学品")
            ),
            row(
                IssueCode::InvalidCoordinates,
                Severity::Skipped,
                l(5),
                Some("HS-3"),
                None
            ),
        ]
    );
    assert!(out.report.issues[1].message.contains("硫酸"));
    assert!(out.report.issues[2].message.contains("经度 is \"abc\""));
    assert_eq!(
        out.report.files[0].encoding.as_deref(),
        Some("GBK (detected)")
    );
    assert_eq!(out.features.len(), 2);
    let hs1 = &out.features[0];
    assert_eq!(hs1.id, "HS-1");
    assert_eq!(hs1.source.position(), 3);
    match hs1.geometry {
        Geometry::Point(p) => assert!(
            close(p.x(), 121.17, 1e-12) && close(p.y(), 31.89, 1e-12),
            "{p:?}"
        ),
        ref g => panic!("{g:?}"),
    }
    let p = &hs1.props;
    assert_eq!(p.name, "液氯储罐区");
    assert_eq!(p.enterprise_id.as_deref(), Some("海门某化工有限公司"));
    assert_eq!(p.declared_grade, Some(HazardGrade::Two));
    assert_eq!(p.inventory.len(), 2);
    assert_eq!(p.inventory[0].cas.as_deref(), Some("7782-50-5"));
    assert_eq!(p.inventory[1].tonnes, 35.0);
    let q = p.qra_distances.as_ref().expect("qra");
    assert_eq!(
        (q.high_sensitivity, q.important),
        (Some(600.0), Some(450.0))
    );
    // 甲醇 and 硫酸: sulfuric acid is outside GB 18218-2018, kept for the record.
    assert_eq!(out.features[1].props.inventory.len(), 2);
}

fn workbook_fixture(dir: &Path) -> std::path::PathBuf {
    // Made by tests/fixtures/io/make_fixtures.py (openpyxl).
    let bytes = include_bytes!("../../tests/fixtures/io/enterprises.xlsx");
    let path = dir.join("企业.xlsx");
    std::fs::write(&path, bytes).expect("write");
    path
}

#[test]
fn xlsx_sheet_rows_title_and_values() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = workbook_fixture(dir.path());
    let fo = FileOptions {
        sheet: Some("企业清单".into()),
        ..FileOptions::default()
    };
    let out = load_file::<Enterprise>(&path, &fo, &LoadOptions::default()).expect("loads");
    let r = |n| Some(Position::Row(n));
    assert_eq!(
        rows(&out.report.issues),
        vec![
            row(
                IssueCode::HeaderNotFirstRow,
                Severity::Warning,
                r(2),
                None,
                None
            ),
            row(
                IssueCode::MissingRequiredField,
                Severity::Skipped,
                r(4),
                Some("enterprises-企业-4"),
                Some("企业名称")
            ),
            row(
                IssueCode::InvalidCreditCode,
                Severity::Warning,
                r(5),
                Some("enterprises-企业-5"),
                Some("统一社会信用代码")
            ),
            row(
                IssueCode::InvalidNumber,
                Severity::Warning,
                r(5),
                Some("enterprises-企业-5"),
                Some("从业人数")
            ),
            row(
                IssueCode::UnknownValue,
                Severity::Warning,
                r(6),
                Some("enterprises-企业-6"),
                Some("行业类别")
            ),
        ]
    );
    let e = &out.features[0];
    assert_eq!(e.props.name, "海门某化工有限公司");
    assert_eq!(e.props.credit_code.as_deref(), Some("91320684MA1MXY3P19"));
    assert_eq!(e.props.industry, Some(Industry::HazchemProduction));
    assert_eq!(e.props.employees, Some(120));
    assert_eq!(e.props.declared_level, Some(RiskLevel::Significant));
    assert_eq!(e.source.position(), 3);
    assert_eq!(out.features[2].props.declared_level, Some(RiskLevel::Low));
    let s = &out.report.files[0];
    assert_eq!(s.sheet.as_deref(), Some("企业清单"));
    assert_eq!(
        s.unused_columns,
        vec!["序号".to_string(), "成立日期".to_string()]
    );
    // Without a sheet named: the first holds a note, so the ledger's sheet is found and
    // read, and the note's sheet named as passed over.
    let found = load_file::<Enterprise>(&path, &FileOptions::default(), &LoadOptions::default())
        .expect("loads");
    assert_eq!(found.features.len(), out.features.len());
    assert_eq!(found.report.files[0].sheet.as_deref(), Some("企业清单"));
    assert_eq!(
        (
            found.report.issues[0].code,
            found.report.issues[0].message.as_str()
        ),
        (
            IssueCode::OtherSheet,
            "sheet \"企业清单\" was read: the sheets before it (\"说明\") hold no header of \
             this layer"
        )
    );
    let fo = FileOptions {
        sheet: Some("不存在".into()),
        ..FileOptions::default()
    };
    let out = load_file::<Enterprise>(&path, &fo, &LoadOptions::default()).expect("reported");
    assert_eq!(out.report.issues[0].code, IssueCode::SheetNotFound);
    assert!(out.report.issues[0].message.contains("\"企业清单\""));
}

#[test]
fn directory_with_manifest_folders_and_every_kind_of_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write(
        d,
        "riskmap.toml",
        "crs = \"EPSG:4490\"\ncolour = \"red\"\n\n[files.\"台账/燃气.csv\"]\nlayer = \"燃气管道\"\nencoding = \"gbk\"\ncolumns = { \"管线名\" = \"name\", \"压力\" = \"pressure_class\" }\n\n[files.\"missing.csv\"]\nlayer = \"houses\"\n"
            .as_bytes(),
    );
    write(
        d,
        "台账/燃气.csv",
        &gbk("管线名,压力,设计压力(MPa),管径,敷设年份,wkt\n\
              中压干线,,0.35,DN200,2008年,\"LINESTRING (121.1 31.9, 121.2 31.9)\"\n\
              长输支线,,6.3,DN500,2015,\"LINESTRING (121.1 31.8, 121.2 31.8)\"\n\
              支线,中压,,De110,2010,\"LINESTRING (121.1 31.7, 121.2 31.7)\"\n"),
    );
    let house = |id: &str, x: f64| {
        format!(
            r#"{{"type":"Feature","id":"{id}","geometry":{{"type":"Point","coordinates":[{x},31.9]}},"properties":{{"用途":"自住"}}}}"#
        )
    };
    write(
        d,
        "houses/part-001.geojson",
        format!(
            r#"{{"type":"FeatureCollection","features":[{},{}]}}"#,
            house("A", 121.1),
            house("B", 121.2)
        )
        .as_bytes(),
    );
    write(
        d,
        "houses/part-002.geojson",
        format!(
            r#"{{"type":"FeatureCollection","features":[{},{}]}}"#,
            house("C", 121.3),
            house("A", 121.4)
        )
        .as_bytes(),
    );
    let mut ent = vec![0xef, 0xbb, 0xbf];
    ent.extend_from_slice(
        "id,企业名称,统一社会信用代码,经度,纬度\nE1,海门某化工有限公司,91320684MA1MXY3P19,121.17,31.89\nE2,某某冷库,,121.18,31.88\n".as_bytes(),
    );
    write(d, "enterprises.csv", &ent);
    write(
        d,
        "hazard_sources.geojson",
        r#"{"type":"FeatureCollection","features":[
          {"type":"Feature","id":"HS1","geometry":{"type":"Point","coordinates":[121.17,31.89]},"properties":{"name":"储罐区","所属企业":"91320684MA1MXY3P19","inventory":[{"CAS号":"7782-50-5","物质名称":"氯","数量(吨)":20}]}},
          {"type":"Feature","id":"HS2","geometry":{"type":"Point","coordinates":[121.18,31.88]},"properties":{"name":"库区","enterprise":"某某冷库"}},
          {"type":"Feature","id":"HS3","geometry":{"type":"Point","coordinates":[121.18,31.88]},"properties":{"name":"不明","enterprise":"无名公司"}}]}"#
            .as_bytes(),
    );
    write(
        d,
        "防护目标.geojson",
        b"{\"type\":\"FeatureCollection\",\"features\":[{]}",
    );
    write(d, "notes.txt", b"not data");
    write(d, "areas.kml", b"<kml/>");
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let opts = LoadOptions {
        progress: Some(Arc::new(move |p: LoadProgress| {
            if let Ok(mut v) = sink.lock() {
                v.push(p);
            }
        })),
        ..LoadOptions::default()
    };
    let loaded = load_dir(d, &opts).expect("loads");
    let ds = &loaded.dataset;
    assert_eq!(
        ds.counts().map(|(_, n)| n),
        [0, 2, 3, 2, 3, 0, 0],
        "areas, enterprises, hazard sources, pipelines, houses, targets, hidden hazards"
    );
    let hs = ds.hazard_sources.features();
    assert_eq!(
        hs[0].props.enterprise_id.as_deref(),
        Some("E1"),
        "resolved by credit code"
    );
    assert_eq!(
        hs[1].props.enterprise_id.as_deref(),
        Some("E2"),
        "resolved by name"
    );
    assert_eq!(hs[0].props.inventory[0].tonnes, 20.0);
    let gas = ds.gas_pipelines.features();
    assert_eq!(gas[0].props.name, "中压干线");
    assert_eq!(gas[0].props.pressure_class, Some(PressureClass::MediumA));
    assert_eq!(
        (gas[0].props.diameter_mm, gas[0].props.year_laid),
        (Some(200.0), Some(2008))
    );
    assert_eq!(gas[1].props.pressure_class, None);
    let got: Vec<(IssueCode, String, Option<Position>)> = loaded
        .report
        .issues
        .iter()
        .map(|i| (i.code, i.file.clone(), i.position))
        .collect();
    use IssueCode as C;
    assert_eq!(
        got,
        vec![
            (C::ManifestUnknownKey, "riskmap.toml".into(), None),
            (C::ManifestMissingFile, "riskmap.toml".into(), None),
            (C::UnsupportedFormat, "areas.kml".into(), None),
            (
                C::UnknownEnterprise,
                "hazard_sources.geojson".into(),
                Some(Position::Feature(2))
            ),
            (
                C::PressureOutOfRange,
                "台账/燃气.csv".into(),
                Some(Position::Line(3))
            ),
            (
                C::UnknownValue,
                "台账/燃气.csv".into(),
                Some(Position::Line(4))
            ),
            // (中压 says neither A nor B, and there is no design pressure: the pipe's
            // clearance is not known)
            (
                C::MissingField,
                "台账/燃气.csv".into(),
                Some(Position::Line(4))
            ),
            (
                C::DuplicateId,
                "houses/part-002.geojson".into(),
                Some(Position::Feature(1))
            ),
            (
                C::BrokenFile,
                "防护目标.geojson".into(),
                Some(Position::Text {
                    line: 1,
                    column: 42
                })
            ),
        ]
    );
    let dup = loaded
        .report
        .with_code(C::DuplicateId)
        .next()
        .map(|i| i.message.clone())
        .unwrap_or_default();
    assert!(dup.contains("houses/part-001.geojson, feature 0"), "{dup}");
    let status: Vec<(String, FileStatus)> = loaded
        .report
        .files
        .iter()
        .map(|f| (f.file.clone(), f.status))
        .collect();
    assert_eq!(
        status,
        vec![
            ("enterprises.csv".into(), FileStatus::Loaded),
            ("hazard_sources.geojson".into(), FileStatus::Loaded),
            ("台账/燃气.csv".into(), FileStatus::Loaded),
            ("houses/part-001.geojson".into(), FileStatus::Loaded),
            ("houses/part-002.geojson".into(), FileStatus::Loaded),
            ("防护目标.geojson".into(), FileStatus::Skipped),
            ("areas.kml".into(), FileStatus::Ignored),
            ("notes.txt".into(), FileStatus::Ignored),
        ]
    );
    let gas_summary = &loaded.report.files[2];
    assert_eq!(gas_summary.encoding.as_deref(), Some("GBK (riskmap.toml)"));
    assert_eq!(
        gas_summary.crs.as_deref(),
        Some("EPSG:4490 (CGCS2000) (riskmap.toml default)")
    );
    assert_eq!(
        loaded.report.files[0].encoding.as_deref(),
        Some("UTF-8 (BOM)")
    );
    let events = events.lock().map(|v| v.clone()).unwrap_or_default();
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, LoadProgress::FileStarted { .. }))
            .count(),
        6
    );
    assert!(matches!(events.last(), Some(LoadProgress::Indexing)));
    let md = loaded.report.to_markdown();
    assert!(md.contains("| notes.txt |  |  | ignored |"), "{md}");
    let j = loaded.report.to_json();
    assert_eq!(j["summary"]["by_code"]["duplicate_id"], 1);
}

#[test]
fn projected_table_is_skipped_as_a_whole() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "houses.csv",
        b"id,x,y\n1,40512345.1,3530000.2\n2,40512400.0,3530100.0\n3,121.1,31.9\n",
    );
    let loaded = load_dir(dir.path(), &LoadOptions::default()).expect("loads");
    assert_eq!(loaded.dataset.houses.len(), 0);
    let i = &loaded.report.issues[0];
    assert_eq!(
        (i.code, i.severity, i.position),
        (IssueCode::ProjectedCoordinates, Severity::Skipped, None)
    );
    assert!(i.message.starts_with("2 of 3 features"), "{}", i.message);
    assert!(i.message.contains("EPSG:4528"), "{}", i.message);
    assert_eq!(loaded.report.files[0].status, FileStatus::Skipped);
    // Forcing the CRS for every file converts them (the lon/lat row is then out of zone).
    let opts = LoadOptions {
        crs: Crs::parse("EPSG:4528").ok(),
        ..LoadOptions::default()
    };
    let loaded = load_dir(dir.path(), &opts).expect("loads");
    assert_eq!(loaded.dataset.houses.len(), 2);
    assert_eq!(loaded.report.issues[0].code, IssueCode::ConversionFailed);
}

#[test]
fn missing_geometry_columns_and_required_column() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "enterprises.csv",
        "名称,地址\n甲,乙\n".as_bytes(),
    );
    write(
        dir.path(),
        "houses.csv",
        "地址,经度,纬度\n甲,121,31\n".as_bytes(),
    );
    write(
        dir.path(),
        "protection_targets.csv",
        "类型,经度,纬度\n学校,121,31\n".as_bytes(),
    );
    let loaded = load_dir(dir.path(), &LoadOptions::default()).expect("loads");
    let codes: Vec<(IssueCode, &str)> = loaded
        .report
        .issues
        .iter()
        .map(|i| (i.code, i.file.as_str()))
        .collect();
    assert_eq!(
        codes,
        vec![
            (IssueCode::MissingGeometryColumns, "enterprises.csv"),
            (IssueCode::MissingField, "protection_targets.csv"),
        ]
    );
    assert_eq!(
        loaded.dataset.protection_targets.features()[0].props.name,
        "protection_targets-protection_targets-2"
    );
    write(
        dir.path(),
        "enterprises.csv",
        "企业地址,经度,纬度\n乙,121,31\n".as_bytes(),
    );
    let loaded = load_dir(dir.path(), &LoadOptions::default()).expect("loads");
    assert_eq!(
        loaded.report.issues[0].code,
        IssueCode::MissingRequiredColumn
    );
}
