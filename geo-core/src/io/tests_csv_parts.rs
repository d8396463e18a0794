//! A CSV ledger read a part at a time, its records parsed as the parts ask for them:
//! every row where it stands across parts, in GBK or in UTF-8 after a byte-order mark,
//! with its header found or named, and a file of projected coordinates counted whole.
//! The same ledger as an `.xlsx` sheet (written by rust_xlsxwriter), read a part at a
//! time on a thread of its own: every row where it stands.

use super::*;
use crate::model::House;
use geo::{Geometry, Point};

/// Rows of the ledger. With the columns past the ledger's own, a row has 32 cells and a
/// part about 2^18 cells: 8,192 rows, so that the rows take three parts.
const N: usize = 20_000;
const EXTRA: usize = 28;
/// The row (from 0) whose address holds a line break: its record takes two lines.
const TWO_LINES: usize = 5_000;
/// The row whose longitude is not a number (the second part).
const BAD: usize = 9_000;
/// The row after which an empty line stands.
const EMPTY_AFTER: usize = 12_000;
/// The row with a cell past the header's (the third part): refused, its values may be
/// shifted.
const WIDE: usize = 17_000;

/// The line of row `k`: a title on line 1, the header on line 2, row 0 on line 3, one
/// line more after the record of two lines and after the empty line.
fn line_of(k: usize) -> u64 {
    3 + k as u64 + u64::from(k > TWO_LINES) + u64::from(k > EMPTY_AFTER)
}

fn lon_of(k: usize) -> f64 {
    121.0 + k as f64 * 1e-5
}

/// The ledger's text; its first `projected` rows have Gauss–Krüger metres in the
/// coordinate columns.
fn ledger(projected: usize) -> String {
    let extra_names: String = (0..EXTRA).map(|i| format!(",备注{i}")).collect();
    let empty_cells = ",".repeat(EXTRA);
    let mut s = format!(
        "某区自建房台账{}\n编号,地址,经度,纬度{extra_names}\n",
        ",".repeat(3)
    );
    for k in 0..N {
        let address = if k == TWO_LINES {
            format!("\"第{k}号\n后院\"")
        } else {
            format!("第{k}号")
        };
        let (x, y) = if k < projected {
            (format!("{}", 600_000 + k), "3500000".to_string())
        } else if k == BAD {
            ("东经".to_string(), "31.5".to_string())
        } else {
            (format!("{}", lon_of(k)), "31.5".to_string())
        };
        s += &format!("H-{k},{address},{x},{y}{empty_cells}");
        if k == WIDE {
            s += ",多出";
        }
        s.push('\n');
        if k == EMPTY_AFTER {
            s += &format!(",,,{empty_cells}\n");
        }
    }
    s
}

fn load(bytes: &[u8], header_row: Option<u32>) -> LoadedFile<House> {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("houses.csv");
    std::fs::write(&path, bytes).expect("write");
    let opts = FileOptions {
        header_row,
        ..FileOptions::default()
    };
    load_file::<House>(&path, &opts, &LoadOptions::default()).expect("loads")
}

fn positions(out: &LoadedFile<House>, code: IssueCode) -> Vec<Option<Position>> {
    out.report.with_code(code).map(|i| i.position).collect()
}

#[test]
fn a_ledger_of_several_parts_keeps_every_row_where_it_stands() {
    let text = ledger(0);
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(&text);
    assert!(!unmappable);
    let runs = [
        (load(&gbk, None), "GBK (detected)"),
        (
            load(format!("\u{feff}{text}").as_bytes(), None),
            "UTF-8 (BOM)",
        ),
        (load(&gbk, Some(2)), "GBK (detected)"),
    ];
    for (out, encoding) in &runs {
        let file = &out.report.files[0];
        assert_eq!(file.encoding.as_deref(), Some(*encoding));
        assert_eq!(file.features_read, N as u64);
        assert_eq!(out.features.len(), N - 2);
        assert_eq!(
            positions(out, IssueCode::InvalidCoordinates),
            vec![Some(Position::Line(line_of(BAD)))]
        );
        assert_eq!(
            positions(out, IssueCode::ColumnCountMismatch),
            vec![Some(Position::Line(line_of(WIDE)))]
        );
        for (i, f) in out.features.iter().enumerate() {
            let k = i + usize::from(i >= BAD) + usize::from(i + 1 >= WIDE);
            assert_eq!(f.id, format!("H-{k}"));
            assert_eq!(f.source.position(), line_of(k), "{}", f.id);
            assert_eq!(f.geometry, Geometry::Point(Point::new(lon_of(k), 31.5)));
        }
        assert_eq!(&*out.features[TWO_LINES].props.address, "第5000号\n后院");
        assert_eq!(
            &*out.features[N - 3].props.address,
            format!("第{}号", N - 1)
        );
    }
    // The title line above the header is told.
    assert_eq!(
        positions(&runs[0].0, IssueCode::HeaderNotFirstRow),
        vec![Some(Position::Line(2))]
    );
}

#[test]
fn a_ledger_of_projected_coordinates_is_counted_whole() {
    let out = load(ledger(N).as_bytes(), None);
    let file = &out.report.files[0];
    assert_eq!(file.status, FileStatus::Skipped);
    assert!(out.features.is_empty());
    assert_eq!(file.features_read, N as u64);
    assert_eq!(positions(&out, IssueCode::ProjectedCoordinates).len(), 1);
}

#[test]
fn projected_coordinates_are_judged_over_the_whole_ledger() {
    // Most of the first part is projected, a minority of the file: the file is read.
    let projected = 6_000;
    let out = load(ledger(projected).as_bytes(), None);
    let file = &out.report.files[0];
    assert_eq!(file.status, FileStatus::Loaded);
    // Each projected row is refused where it stands; no verdict on the whole file.
    let refused = positions(&out, IssueCode::ProjectedCoordinates);
    assert_eq!(refused.len(), projected);
    assert!(
        refused
            .iter()
            .enumerate()
            .all(|(k, p)| *p == Some(Position::Line(line_of(k))))
    );
    assert_eq!(
        positions(&out, IssueCode::InvalidCoordinates),
        vec![Some(Position::Line(line_of(BAD)))]
    );
    assert_eq!(out.features.len(), N - projected - 2);
    assert_eq!(out.features[0].id, format!("H-{projected}"));
    assert_eq!(out.features[0].source.position(), line_of(projected));
}

/// The sheet row of row `k` of the workbook: a title in row 1, the header in row 2, row 0
/// in row 3, one more after the empty row (a cell holds the line break of `TWO_LINES`).
#[cfg(feature = "xlsx")]
fn sheet_row_of(k: usize) -> u64 {
    3 + k as u64 + u64::from(k > EMPTY_AFTER)
}

/// The sheet's row without a latitude, nor any cell after its longitude.
#[cfg(feature = "xlsx")]
const NO_LAT: usize = 15_000;

#[cfg(feature = "xlsx")]
#[test]
fn a_sheet_of_several_parts_keeps_every_row_where_it_stands() {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let sheet = wb.add_worksheet();
    sheet.write_string(0, 0, "某区自建房台账").expect("cell");
    let names = ["编号", "地址", "经度", "纬度"]
        .into_iter()
        .map(String::from)
        .chain((0..EXTRA).map(|i| format!("备注{i}")));
    for (c, name) in names.enumerate() {
        sheet.write_string(1, c as u16, name).expect("cell");
    }
    for k in 0..N {
        let r = (sheet_row_of(k) - 1) as u32;
        let address = if k == TWO_LINES {
            format!("第{k}号\n后院")
        } else {
            format!("第{k}号")
        };
        sheet.write_string(r, 0, format!("H-{k}")).expect("cell");
        sheet.write_string(r, 1, address).expect("cell");
        if k == BAD {
            sheet.write_string(r, 2, "东经").expect("cell");
        } else {
            sheet.write_number(r, 2, lon_of(k)).expect("cell");
        }
        if k != NO_LAT {
            sheet.write_number(r, 3, 31.5).expect("cell");
        }
        if k == WIDE {
            sheet
                .write_string(r, (4 + EXTRA) as u16, "多出")
                .expect("cell");
        }
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("houses.xlsx");
    wb.save(&path).expect("saved");
    let out =
        load_file::<House>(&path, &FileOptions::default(), &LoadOptions::default()).expect("loads");
    assert_eq!(out.report.files[0].features_read, N as u64);
    assert_eq!(out.features.len(), N - 2);
    assert_eq!(
        positions(&out, IssueCode::InvalidCoordinates),
        vec![
            Some(Position::Row(sheet_row_of(BAD))),
            Some(Position::Row(sheet_row_of(NO_LAT)))
        ]
    );
    // A row that ends at its longitude has an empty latitude, as in the sheet; it is not
    // a record cut short.
    let no_lat = out
        .report
        .with_code(IssueCode::InvalidCoordinates)
        .nth(1)
        .map(|i| i.message.clone())
        .unwrap_or_default();
    assert!(
        no_lat.contains("纬度 is empty while 经度 is not"),
        "{no_lat}"
    );
    // A cell right of the header is a column without a name in a sheet, not values
    // shifted by a stray delimiter: nothing to tell.
    assert!(positions(&out, IssueCode::ColumnCountMismatch).is_empty());
    assert_eq!(
        positions(&out, IssueCode::HeaderNotFirstRow),
        vec![Some(Position::Row(2))]
    );
    for (i, f) in out.features.iter().enumerate() {
        let k = i + usize::from(i >= BAD) + usize::from(i + 1 >= NO_LAT);
        assert_eq!(f.id, format!("H-{k}"));
        assert_eq!(f.source.position(), sheet_row_of(k), "{}", f.id);
        assert_eq!(f.geometry, Geometry::Point(Point::new(lon_of(k), 31.5)));
    }
    assert_eq!(&*out.features[TWO_LINES].props.address, "第5000号\n后院");
}

/// A workbook whose sheets all hold notes: the first is read and its header is unknown,
/// and the others are named as tried.
#[cfg(feature = "xlsx")]
#[test]
fn a_workbook_of_no_sheet_with_a_header_names_the_sheets_tried() {
    let mut wb = rust_xlsxwriter::Workbook::new();
    for (name, text) in [("封面", "海门区自建房台账"), ("说明", "填表说明：…")] {
        let sheet = wb.add_worksheet();
        sheet.set_name(name).expect("name");
        sheet.write_string(0, 0, text).expect("cell");
        sheet.write_string(1, 0, "见下页").expect("cell");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("houses.xlsx");
    wb.save(&path).expect("save");
    let out = load_file::<House>(&path, &FileOptions::default(), &LoadOptions::default())
        .expect("reported");
    let codes: Vec<IssueCode> = out.report.issues.iter().map(|i| i.code).collect();
    assert_eq!(codes, [IssueCode::UnknownHeader]);
    let m = &out.report.issues[0].message;
    assert!(
        m.contains(
            "No sheet of the workbook holds a header of this layer: sheet \"封面\" was read, \
             and \"说明\" tried"
        ),
        "{m}"
    );
}

/// A hidden template sheet with the ledger's header before the ledger: the visible
/// ledger is read, the template passed over unseen.
#[cfg(feature = "xlsx")]
#[test]
fn a_hidden_sheet_is_not_taken_for_the_ledger() {
    let mut wb = rust_xlsxwriter::Workbook::new();
    for (name, id, hidden) in [("模板", "H-模板", true), ("台账", "H-1", false)] {
        let sheet = wb.add_worksheet();
        sheet.set_name(name).expect("name");
        for (c, h) in ["编号", "地址", "经度", "纬度"].iter().enumerate() {
            sheet.write_string(0, c as u16, *h).expect("cell");
        }
        sheet.write_string(1, 0, id).expect("cell");
        sheet.write_string(1, 1, "甲村1号").expect("cell");
        sheet.write_number(1, 2, 121.1).expect("cell");
        sheet.write_number(1, 3, 31.1).expect("cell");
        if hidden {
            sheet.set_hidden(true);
        } else {
            // (A workbook's active sheet is never hidden.)
            sheet.set_active(true);
        }
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("houses.xlsx");
    wb.save(&path).expect("save");
    let out =
        load_file::<House>(&path, &FileOptions::default(), &LoadOptions::default()).expect("loads");
    let ids: Vec<&str> = out.features.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["H-1"]);
    assert_eq!(out.report.files[0].sheet.as_deref(), Some("台账"));
}
