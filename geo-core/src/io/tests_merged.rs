//! Ledgers as the towns send them from Excel or WPS: a header of two rows with names
//! merged over the columns under them, cells merged down a column of the records, a
//! sheet per town; and the same header as a CSV file exported from such a workbook.

use std::path::Path;

use super::fields::Resolver;
use super::tests::{row, rows};
use super::*;
use crate::model::{Appraisal, LayerKind};

/// A committed workbook (made by tests/fixtures/io/make_fixtures.py with openpyxl)
/// written into `dir` as `name`.
fn fixture(dir: &Path, bytes: &[u8], name: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write");
    path
}

fn merged_fixture(dir: &Path) -> std::path::PathBuf {
    let bytes = include_bytes!("../../tests/fixtures/io/houses_merged.xlsx");
    fixture(dir, bytes, "houses.xlsx")
}

/// What each house holds: id, address, floors, appraisal, lon/lat.
fn houses(out: &LoadedFile<House>) -> Vec<(String, String, Option<u16>, Option<Appraisal>)> {
    out.features
        .iter()
        .map(|h| {
            (
                h.id.to_string(),
                h.props.address.to_string(),
                h.props.floors,
                h.props.appraisal,
            )
        })
        .collect()
}

#[test]
fn a_two_row_header_and_cells_merged_down_are_read_as_they_show() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = merged_fixture(dir.path());
    let out =
        load_file::<House>(&path, &FileOptions::default(), &LoadOptions::default()).expect("loads");
    // 经度 and 纬度 under 坐标, 层数 under 房屋基本情况; C级 merged over the three houses.
    assert_eq!(
        houses(&out),
        vec![
            (
                "LJ-1".into(),
                "临江镇东兴村1组".into(),
                Some(3),
                Some(Appraisal::C)
            ),
            (
                "LJ-2".into(),
                "临江镇东兴村2组".into(),
                Some(2),
                Some(Appraisal::C)
            ),
            (
                "LJ-3".into(),
                "临江镇西兴村5组".into(),
                Some(5),
                Some(Appraisal::C)
            ),
        ]
    );
    assert_eq!(
        out.features[0].geometry,
        geo::Geometry::Point(geo::Point::new(121.17, 31.89))
    );
    assert_eq!(out.features[2].source.position(), 6);
    let r = |n| Some(Position::Row(n));
    assert_eq!(
        rows(&out.report.issues),
        vec![
            row(IssueCode::SheetNotRead, Severity::Skipped, None, None, None),
            row(
                IssueCode::HeaderNotFirstRow,
                Severity::Warning,
                r(2),
                None,
                None
            ),
            row(IssueCode::TwoRowHeader, Severity::Info, r(2), None, None),
            row(
                IssueCode::MergedCells,
                Severity::Info,
                r(4),
                None,
                Some("村（社区）")
            ),
            row(
                IssueCode::MergedCells,
                Severity::Info,
                r(4),
                None,
                Some("鉴定等级")
            ),
            row(IssueCode::NoteRow, Severity::Info, r(7), None, None),
        ]
    );
    let said = |code| {
        out.report
            .issues
            .iter()
            .find(|i| i.code == code)
            .map(|i| i.message.clone())
            .unwrap_or_default()
    };
    assert!(said(IssueCode::SheetNotRead).contains("the sheets \"三厂街道\" hold a header"));
    assert!(said(IssueCode::TwoRowHeader).contains("row 2 and row 3"));
    assert!(said(IssueCode::MergedCells).contains("(a column not read)"));
    let s = &out.report.files[0];
    assert_eq!(
        s.unused_columns,
        vec![
            "序号".to_string(),
            "建筑面积".to_string(),
            "村（社区）".to_string(),
            "结构类型".to_string()
        ]
    );
    // The other town's sheet, named: read the same way, and no sheet left unread.
    let fo = FileOptions {
        sheet: Some("三厂街道".into()),
        ..FileOptions::default()
    };
    let out = load_file::<House>(&path, &fo, &LoadOptions::default()).expect("loads");
    assert_eq!(
        houses(&out),
        vec![
            (
                "SC-1".into(),
                "三厂街道大洪村3组".into(),
                Some(1),
                Some(Appraisal::B)
            ),
            (
                "SC-2".into(),
                "三厂街道大洪村4组".into(),
                Some(4),
                Some(Appraisal::D)
            ),
        ]
    );
    assert!(
        !out.report
            .issues
            .iter()
            .any(|i| i.code == IssueCode::SheetNotRead)
    );
}

/// The same header exported to CSV (a merged name in its first cell, the others empty),
/// found by itself and with `header_row` given as either of its rows.
#[test]
fn a_two_row_header_in_a_csv_file_whichever_row_is_given() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("houses.csv");
    std::fs::write(
        &path,
        "临江镇自建房安全排查台账,,,,,,,,\n\
         序号,房屋编号,地址,坐标,,房屋基本情况,,,鉴定等级\n\
         ,,,经度,纬度,层数,建筑面积,结构类型,\n\
         1,LJ-1,临江镇东兴村1组,121.17,31.89,3,120,砖混,C级\n\
         2,LJ-2,临江镇东兴村2组,121.171,31.891,2,90,砖木,D级\n",
    )
    .expect("write");
    let want = vec![
        (
            "LJ-1".to_string(),
            "临江镇东兴村1组".to_string(),
            Some(3),
            Some(Appraisal::C),
        ),
        (
            "LJ-2".to_string(),
            "临江镇东兴村2组".to_string(),
            Some(2),
            Some(Appraisal::D),
        ),
    ];
    for header_row in [None, Some(2), Some(3)] {
        let fo = FileOptions {
            header_row,
            ..FileOptions::default()
        };
        let out = load_file::<House>(&path, &fo, &LoadOptions::default()).expect("loads");
        assert_eq!(houses(&out), want, "header_row {header_row:?}");
        assert!(
            out.report
                .issues
                .iter()
                .any(|i| i.code == IssueCode::TwoRowHeader
                    && i.message.contains("line 2 and line 3")),
            "header_row {header_row:?}: {:?}",
            out.report.issues
        );
    }
}

/// Two columns under one field's name (last year's floors kept in a hidden column before
/// this year's): said, with their letters; a 序号 headed 编号 renamed to `ignore` is not
/// read, and the rename is not said to be ignored.
#[test]
fn two_columns_of_one_field_are_said_and_a_column_can_be_left_unread() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("houses.csv");
    std::fs::write(
        &path,
        "编号,房屋编号,层数,层数,经度,纬度\n1,LJ-1,2,3,121.17,31.89\n2,LJ-2,,4,121.171,31.891\n",
    )
    .expect("write");
    let fo = FileOptions {
        columns: vec![("编号".into(), "ignore".into())],
        ..FileOptions::default()
    };
    let out = load_file::<House>(&path, &fo, &LoadOptions::default()).expect("loads");
    // The first non-empty of the two: 2 for LJ-1 (the old value), 4 for LJ-2.
    let floors: Vec<(&str, Option<u16>)> = out
        .features
        .iter()
        .map(|h| (h.id.as_str(), h.props.floors))
        .collect();
    assert_eq!(floors, vec![("LJ-1", Some(2)), ("LJ-2", Some(4))]);
    let dup: Vec<&Issue> = out
        .report
        .issues
        .iter()
        .filter(|i| i.code == IssueCode::DuplicateColumn)
        .collect();
    assert_eq!(dup.len(), 1, "{:?}", out.report.issues);
    assert_eq!(dup[0].severity, Severity::Warning);
    assert!(
        dup[0]
            .message
            .starts_with("\"层数\" (column C), \"层数\" (column D) all fill one field"),
        "{}",
        dup[0].message
    );
    assert!(Resolver::knows_target(LayerKind::Houses, "ignore"));
    assert!(Resolver::knows_target(LayerKind::Houses, "忽略"));
    assert!(!Resolver::knows_target(LayerKind::Houses, "ignored"));
}

/// A group over three columns of which only one is a field (`房屋基本情况` over `层数 |
/// 建筑面积 | 结构类型`), and a row of units under the names: both read with the header.
#[test]
fn a_partly_known_group_and_a_row_of_units_are_read_with_the_header() {
    let dir = tempfile::tempdir().expect("tempdir");
    let grouped = dir.path().join("grouped.csv");
    std::fs::write(
        &grouped,
        "序号,房屋编号,地址,经度,纬度,房屋基本情况,,,鉴定等级\n\
         ,,,,,层数,建筑面积,结构类型,\n\
         1,LJ-1,临江镇东兴村1组,121.17,31.89,3,120,砖混,C级\n",
    )
    .expect("write");
    let units = dir.path().join("units.csv");
    std::fs::write(
        &units,
        "房屋编号,地址,经度,纬度,层数,居住人数\n\
         ,,（°）,（°）,（层）,（人）\n\
         LJ-1,临江镇东兴村1组,121.17,31.89,3,4\n",
    )
    .expect("write");
    for path in [&grouped, &units] {
        let out = load_file::<House>(path, &FileOptions::default(), &LoadOptions::default())
            .expect("loads");
        assert_eq!(
            houses(&out),
            vec![(
                "LJ-1".to_string(),
                "临江镇东兴村1组".to_string(),
                Some(3),
                if path == &grouped {
                    Some(Appraisal::C)
                } else {
                    None
                }
            )],
            "{}",
            path.display()
        );
        assert!(
            out.report
                .issues
                .iter()
                .all(|i| i.severity == Severity::Info || i.code == IssueCode::HeaderNotFirstRow),
            "{}: {:?}",
            path.display(),
            out.report.issues
        );
    }
    let out = load_file::<House>(&units, &FileOptions::default(), &LoadOptions::default())
        .expect("loads");
    assert_eq!(out.features[0].props.occupants, Some(4));
}

/// A header cell merged down over the first records: their cells are empty, as the
/// sheet shows no value of theirs, not the header's name (an acceptor's column read as
/// 验收人 would close a hidden hazard); said as a warning.
#[test]
fn a_header_cell_merged_into_the_records_fills_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bytes = include_bytes!("../../tests/fixtures/io/houses_header_merged.xlsx");
    let path = fixture(dir.path(), bytes, "houses.xlsx");
    let out =
        load_file::<House>(&path, &FileOptions::default(), &LoadOptions::default()).expect("loads");
    let appraisals: Vec<Option<Appraisal>> =
        out.features.iter().map(|h| h.props.appraisal).collect();
    assert_eq!(appraisals, vec![None, None, Some(Appraisal::D)]);
    assert_eq!(
        rows(&out.report.issues),
        vec![row(
            IssueCode::MergedCells,
            Severity::Warning,
            Some(Position::Row(2)),
            None,
            Some("鉴定等级")
        )]
    );
    assert!(
        out.report.issues[0]
            .message
            .contains("merged down into the records, rows 2–3"),
        "{}",
        out.report.issues[0].message
    );
}

/// `header_row` given without `sheet`: a cover sheet before the ledger, whose row holds
/// no header, is passed over as it is without a row given.
#[test]
fn a_header_row_given_passes_over_a_cover_sheet() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bytes = include_bytes!("../../tests/fixtures/io/enterprises.xlsx");
    let path = fixture(dir.path(), bytes, "企业.xlsx");
    let fo = FileOptions {
        header_row: Some(2),
        ..FileOptions::default()
    };
    let out = load_file::<Enterprise>(&path, &fo, &LoadOptions::default()).expect("loads");
    assert_eq!(out.report.files[0].sheet.as_deref(), Some("企业清单"));
    assert_eq!(out.features[0].props.name, "海门某化工有限公司");
}

/// Two columns of one name, last year's hidden: the hidden one is left unread by its
/// letter (`columns = { "D" = "ignore" }`); a rename of a column the file lacks is said.
#[test]
fn a_column_is_named_by_its_letter_and_a_rename_of_no_column_is_said() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bytes = include_bytes!("../../tests/fixtures/io/houses_hidden_column.xlsx");
    let path = fixture(dir.path(), bytes, "houses.xlsx");
    let floors = |out: &LoadedFile<House>| -> Vec<Option<u16>> {
        out.features.iter().map(|h| h.props.floors).collect()
    };
    let plain =
        load_file::<House>(&path, &FileOptions::default(), &LoadOptions::default()).expect("loads");
    assert_eq!(
        floors(&plain),
        vec![Some(1), Some(2)],
        "the first non-empty"
    );
    let fo = FileOptions {
        columns: vec![
            ("d".into(), "ignore".into()),
            ("备注".into(), "address".into()),
        ],
        ..FileOptions::default()
    };
    let out = load_file::<House>(&path, &fo, &LoadOptions::default()).expect("loads");
    assert_eq!(floors(&out), vec![Some(2), Some(3)], "this year's");
    let codes: Vec<(IssueCode, Option<String>)> = out
        .report
        .issues
        .iter()
        .map(|i| (i.code, i.field.clone()))
        .collect();
    assert_eq!(
        codes,
        vec![(IssueCode::ManifestInvalidValue, Some("备注".to_string()))]
    );
    assert!(
        out.report.issues[0]
            .message
            .starts_with("columns: the file has no column \"备注\""),
        "{}",
        out.report.issues[0].message
    );
}
