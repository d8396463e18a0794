//! CSV lines whose number of fields is not the header's: a longer one is refused (its
//! values are shifted by a delimiter that is not quoted), a shorter one is read with its
//! missing fields empty, unless it is the last line of a file cut short while it was
//! written. A coordinate cell that holds no number. A UTF-8 line in a GBK ledger. An id
//! written with spaces around it beside the same id written as it is.

use super::*;
use crate::model::House;

fn load(name: &str, text: &str) -> LoadedFile<House> {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("write");
    load_file::<House>(&path, &FileOptions::default(), &LoadOptions::default()).expect("loads")
}

fn ids(out: &LoadedFile<House>) -> Vec<&str> {
    out.features.iter().map(|f| f.id.as_str()).collect()
}

/// Each issue's code, severity and line.
fn issues(out: &LoadedFile<House>) -> Vec<(IssueCode, Severity, Option<Position>)> {
    out.report
        .issues
        .iter()
        .map(|i| (i.code, i.severity, i.position))
        .collect()
}

#[test]
fn a_line_with_more_fields_than_the_header_is_refused() {
    // Line 3's address holds a comma that is not quoted: 6 fields under a header of 5,
    // its longitude would read "东头" and its latitude 121.2.
    let text = "编号,地址,经度,纬度,备注\n\
                H-1,甲村1号,121.1,31.1,\n\
                H-2,乙村2号,东头,121.2,31.2,\n\
                H-3,丙村3号,121.3,31.3,有裂缝\n";
    let out = load("houses.csv", text);
    assert_eq!(ids(&out), ["H-1", "H-3"]);
    assert_eq!(
        issues(&out),
        [(
            IssueCode::ColumnCountMismatch,
            Severity::Skipped,
            Some(Position::Line(3))
        )]
    );
    let issue = &out.report.issues[0];
    assert_eq!(issue.feature_id.as_deref(), Some("H-2"));
    assert_eq!(
        issue.to_string(),
        "houses.csv, line 3, feature \"H-2\": has 6 fields, the header has 5: a comma or \
         delimiter inside a value that is not quoted? The values after it would be shifted, \
         so the line was not read (quote the value, or remove the delimiter) \
         [column_count_mismatch, skipped]"
    );
    // The refused line was found: three lines read, two loaded.
    let file = &out.report.files[0];
    assert_eq!((file.features_read, file.features_loaded), (3, 2));
    assert_eq!(file.status, FileStatus::Loaded);
}

#[test]
fn a_shorter_line_reads_its_missing_fields_as_empty() {
    // A title above the header, line 3 without its empty 备注, a town's subtotal and a
    // totals row at the foot with no line break after it: the sums are no records, and a
    // file ending on one is whole.
    let text = "某区自建房台账\n\
                编号,地址,经度,纬度,备注\n\
                H-1,甲村1号,121.1,31.1\n\
                小 计：,1\n\
                H-2,乙村2号,121.2,31.2,有裂缝\n\
                合计,2";
    let out = load("houses.csv", text);
    assert_eq!(ids(&out), ["H-1", "H-2"]);
    assert_eq!(&*out.features[0].props.address, "甲村1号");
    let mine: Vec<_> = issues(&out)
        .into_iter()
        .filter(|i| matches!(i.0, IssueCode::ColumnCountMismatch | IssueCode::BrokenTail))
        .collect();
    assert_eq!(
        mine,
        [(
            IssueCode::ColumnCountMismatch,
            Severity::Warning,
            Some(Position::Line(3))
        ),]
    );
    assert_eq!(
        out.report
            .with_code(IssueCode::TotalsRow)
            .map(|i| (i.severity, i.position))
            .collect::<Vec<_>>(),
        [
            (Severity::Info, Some(Position::Line(4))),
            (Severity::Info, Some(Position::Line(6)))
        ]
    );
    let messages: Vec<&str> = out
        .report
        .with_code(IssueCode::ColumnCountMismatch)
        .map(|i| i.message.as_str())
        .collect();
    assert_eq!(
        messages,
        ["has 4 fields, the header has 5: the last 1 were read as empty"]
    );
    // The title row is passed over as before.
    assert_eq!(
        out.report
            .with_code(IssueCode::HeaderNotFirstRow)
            .map(|i| i.position)
            .collect::<Vec<_>>(),
        [Some(Position::Line(2))]
    );
}

#[test]
fn a_short_last_line_without_a_line_break_is_a_file_cut_short() {
    let head =
        "编号,地址,经度,纬度\r\nH-1,甲村1号,121.1,31.1\r\nH-2,乙村2号,121.2,31.2\r\nH-3,丙村";
    let out = load("houses.csv", head);
    assert_eq!(ids(&out), ["H-1", "H-2"]);
    assert_eq!(
        issues(&out),
        [(
            IssueCode::BrokenTail,
            Severity::Skipped,
            Some(Position::Line(4))
        )]
    );
    assert_eq!(
        out.report.issues[0].message,
        "has 2 fields, the header has 4, and no line break ends it: the file was cut short \
         here (copied or read while it was being written?), or its last line lacks its last \
         fields and the file its final line break (give them); the lines before it were \
         read, this one was not, and the file counts as not read whole"
    );
    let file = &out.report.files[0];
    assert_eq!((file.features_read, file.features_loaded), (3, 2));
    // The same line with its line break: a line of a whole file, its coordinates empty.
    let out = load("houses.csv", &format!("{head}\r\n"));
    assert_eq!(ids(&out), ["H-1", "H-2"]);
    assert_eq!(
        issues(&out)
            .into_iter()
            .filter(|i| i.2 == Some(Position::Line(4)))
            .map(|i| (i.0, i.1))
            .collect::<Vec<_>>(),
        [
            (IssueCode::ColumnCountMismatch, Severity::Warning),
            (IssueCode::MissingGeometry, Severity::Skipped)
        ]
    );
    // A whole last line without a line break is whole.
    let out = load("houses.csv", "编号,地址,经度,纬度\nH-1,甲村1号,121.1,31.1");
    assert_eq!(ids(&out), ["H-1"]);
    assert!(out.report.issues.is_empty(), "{:?}", out.report.issues);
}

#[test]
fn lines_ending_in_a_delimiter_the_header_lacks_are_read() {
    // Every line ends in a comma (an export's habit), the header not: read as written.
    let text = "编号,地址,经度,纬度\nH-1,甲村1号,121.1,31.1,\nH-2,乙村2号,121.2,31.2,\n";
    let out = load("houses.csv", text);
    assert_eq!(ids(&out), ["H-1", "H-2"]);
    assert!(issues(&out).is_empty(), "{:?}", issues(&out));
    // In such a file a line whose extra field holds a value is still shifted: refused.
    let text = "编号,地址,经度,纬度\nH-1,甲村1号,121.1,31.1,\nH-2,乙村,2号,121.2,31.2\n";
    let out = load("houses.csv", text);
    assert_eq!(ids(&out), ["H-1"]);
    // Without the habit (the first line as wide as the header), a wider line is refused
    // even when its extra field is empty: a value may have been split there.
    let text = "编号,地址,经度,纬度\nH-1,甲村1号,121.1,31.1\nH-2,乙村,2号,121.2,\n";
    let out = load("houses.csv", text);
    assert_eq!(ids(&out), ["H-1"]);
}

#[test]
fn short_lines_are_named_ten_at_most_and_the_rest_counted() {
    let mut text = String::from("编号,地址,经度,纬度,备注\n");
    for i in 0..25 {
        text += &format!("H-{i},某村{i}号,121.1,31.1\n");
    }
    let out = load("houses.csv", &text);
    assert_eq!(out.features.len(), 25);
    let mine: Vec<_> = out
        .report
        .with_code(IssueCode::ColumnCountMismatch)
        .collect();
    assert_eq!(mine.len(), 11);
    assert_eq!(mine[9].position, Some(Position::Line(11)));
    assert_eq!(mine[10].position, None);
    assert_eq!(
        mine[10].message,
        "15 more lines have fewer fields than the header (the first 10 are named above): \
         their missing last fields were read as empty"
    );
}

#[test]
fn a_coordinate_that_is_nan_is_not_a_number_rather_than_empty() {
    let text = "编号,经度,纬度\nH-1,NaN,31.1\nH-2,121.2,\nH-3,121.3,31.3\n";
    let out = load("houses.csv", text);
    assert_eq!(ids(&out), ["H-3"]);
    let told: Vec<(Option<Position>, &str)> = out
        .report
        .with_code(IssueCode::InvalidCoordinates)
        .map(|i| (i.position, i.message.as_str()))
        .collect();
    assert_eq!(
        told,
        [
            (
                Some(Position::Line(2)),
                "经度 is \"NaN\", not a number, while 纬度 is given; the feature was skipped"
            ),
            (
                Some(Position::Line(3)),
                "纬度 is empty while 经度 is not; the feature was skipped"
            ),
        ]
    );
}

#[test]
fn a_utf8_line_of_a_gbk_ledger_and_bytes_not_valid_are_told_at_their_lines() {
    let mut bytes = encoding_rs::GBK
        .encode("编号,地址,经度,纬度\nH-1,甲村1号,121.1,31.1\n")
        .0
        .into_owned();
    bytes.extend_from_slice("H-2,除尘系统旁,121.2,31.2\n".as_bytes());
    bytes.extend_from_slice(b"H-3,\xff,121.3,31.3\n");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("houses.csv");
    std::fs::write(&path, &bytes).expect("write");
    let opts = FileOptions {
        encoding: Some(encoding_rs::GBK),
        ..FileOptions::default()
    };
    let out = load_file::<House>(&path, &opts, &LoadOptions::default()).expect("loads");
    let addresses: Vec<&str> = out.features.iter().map(|f| &*f.props.address).collect();
    assert_eq!(addresses, ["甲村1号", "除尘系统旁", "\u{FFFD}"]);
    let told: Vec<String> = out.report.issues.iter().map(Issue::to_string).collect();
    assert_eq!(
        told,
        [
            "houses.csv, line 4: some bytes of the line are not valid GBK; they were \
             replaced by U+FFFD (set encoding in riskmap.toml if the file is in another) \
             [decoding_errors, warning]",
            "houses.csv, line 3: the line is UTF-8 in a GBK file; read as UTF-8 \
             [mixed_encoding, warning]",
        ]
    );
}

#[test]
fn a_duplicate_id_says_whether_it_is_the_same_record_entered_twice() {
    let text = "编号,地址,经度,纬度\n\
                H-1,甲村1号,121.1,31.1\n\
                H-2,乙村2号,121.2,31.2\n\
                H-1,甲村1号,121.1,31.1\n\
                H-2,乙村3号,121.2,31.2\n\
                H-2,乙村2号,121.3,31.2\n";
    let out = load("houses.csv", text);
    assert_eq!(ids(&out), ["H-1", "H-2"]);
    let said: Vec<&str> = out
        .report
        .with_code(IssueCode::DuplicateId)
        .map(|i| i.message.as_str())
        .collect();
    assert_eq!(
        said,
        [
            "duplicate id \"H-1\": already used at line 2; this later feature, the same as it \
             (entered twice), was skipped",
            "duplicate id \"H-2\": already used at line 3; this later feature, at the same place \
             with other properties, was skipped",
            "duplicate id \"H-2\": already used at line 3; this later feature, with the same \
             properties at another place, was skipped",
        ]
    );
}

#[test]
fn subtotals_and_notes_under_the_table_are_no_records() {
    // A town's subtotal in the middle, a total with its count, and a note as the last
    // line without a line break: none is a record, and the file is whole.
    let text = "编号,地址,经度,纬度\n\
                H-1,甲村1号,121.1,31.1\n\
                海门街道小计,1\n\
                H-2,乙村2号,121.2,31.2\n\
                小计（临江镇）,1\n\
                总计 2 条,,,\n\
                总计量站,丙村3号,121.3,31.3\n\
                制 表 人：张某\n\
                填表说明：本表由各镇街填报";
    let out = load("houses.csv", text);
    // A row with coordinates is a record, whatever its first cell (总计量站: a station).
    assert_eq!(ids(&out), ["H-1", "H-2", "总计量站"]);
    assert_eq!(
        issues(&out),
        [
            (
                IssueCode::TotalsRow,
                Severity::Info,
                Some(Position::Line(3))
            ),
            (
                IssueCode::TotalsRow,
                Severity::Info,
                Some(Position::Line(5))
            ),
            (
                IssueCode::TotalsRow,
                Severity::Info,
                Some(Position::Line(6))
            ),
            (IssueCode::NoteRow, Severity::Info, Some(Position::Line(8))),
            (IssueCode::NoteRow, Severity::Info, Some(Position::Line(9))),
        ]
    );
    assert_eq!(out.report.files[0].status, FileStatus::Loaded);
}

#[test]
fn a_header_ending_in_a_delimiter_names_no_column_there() {
    // Its lines without one, or every one with one: read as written either way.
    // Excel's export of a sheet with two empty columns after the last named one.
    for text in [
        "编号,地址,经度,纬度,\nH-1,甲村1号,121.1,31.1\nH-2,乙村2号,121.2,31.2\n",
        "编号,地址,经度,纬度,\nH-1,甲村1号,121.1,31.1,\nH-2,乙村2号,121.2,31.2,\n",
        "编号,地址,经度,纬度,,\nH-1,甲村1号,121.1,31.1,,\nH-2,乙村2号,121.2,31.2,,\n",
        "编号,地址,经度,纬度,,\nH-1,甲村1号,121.1,31.1\nH-2,乙村2号,121.2,31.2,\n",
    ] {
        let out = load("houses.csv", text);
        assert_eq!(ids(&out), ["H-1", "H-2"]);
        assert!(issues(&out).is_empty(), "{:?}", issues(&out));
    }
}

/// A store's table (or a ledger) with ` H1` beside `H1`: the id written as it is keeps
/// its feature wherever the spaced one comes, and the spaced one is the duplicate named.
#[test]
fn an_id_written_with_spaces_gives_way_to_the_one_written_as_it_is() {
    let out = load(
        "houses.csv",
        "编号,地址,经度,纬度\n\" H1\",错录,121.3,31.9\nH1,工业路8号,121.1,31.9\nH2,三星镇,121.2,31.9\n",
    );
    let kept: Vec<(&str, &str)> = out
        .features
        .iter()
        .map(|f| (f.id.as_str(), &*f.props.address))
        .collect();
    assert_eq!(kept, vec![("H1", "工业路8号"), ("H2", "三星镇")]);
    let dup: Vec<&Issue> = out.report.with_code(IssueCode::DuplicateId).collect();
    assert_eq!(dup.len(), 1);
    assert_eq!(dup[0].position, Some(Position::Line(2)));
    assert!(dup[0].message.contains("spaces"), "{}", dup[0].message);
    assert!(dup[0].message.contains("line 3"), "{}", dup[0].message);
}
