//! `riskmap lists` on the demo: the workbooks read back by calamine hold the CSV's cells;
//! the sheets have their header frozen, filters on it and the four colours; the rows
//! agree with `riskmap analyze` of the same data on the same day, row by row.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use calamine::{Reader, Xlsx, open_workbook};
use common::{ok, ok_steps, riskmap};
use serde_json::Value;

fn demo() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/haimen")
}

/// The CSV's rows, header first (UTF-8 with a BOM).
fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "{}", path.display());
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&bytes[3..])
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

/// Whether a cell is of a kind.
type IsKind = fn(&Cell) -> bool;

/// A workbook's cell as calamine reads it: text, a number or a day.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Text(String),
    Number(f64),
    Day(String),
}

impl Cell {
    /// Whether the CSV's text of the cell says the same.
    fn says(&self, csv: &str) -> bool {
        match self {
            Cell::Text(t) | Cell::Day(t) => t == csv,
            Cell::Number(n) => csv.parse::<f64>().is_ok_and(|c| (c - n).abs() < 1e-9),
        }
    }
}

/// The first sheet's name and cells, as calamine reads them (an empty cell as empty
/// text).
fn xlsx_rows(path: &Path) -> (String, Vec<Vec<Cell>>) {
    use calamine::Data;
    let mut wb: Xlsx<_> = open_workbook(path).unwrap();
    let name = wb.sheet_names()[0].clone();
    let range = wb.worksheet_range(&name).unwrap();
    let rows = range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::Float(f) => Cell::Number(*f),
                    Data::Int(i) => Cell::Number(*i as f64),
                    Data::DateTime(d) if d.is_datetime() => {
                        let (y, m, day, ..) = d.to_ymd_hms_milli();
                        Cell::Day(format!("{y:04}-{m:02}-{day:02}"))
                    }
                    Data::Empty => Cell::Text(String::new()),
                    other => Cell::Text(other.to_string()),
                })
                .collect()
        })
        .collect();
    (name, rows)
}

/// A part of the workbook's zip, as text.
fn part(path: &Path, name: &str) -> String {
    let mut z = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut s = String::new();
    z.by_name(name).unwrap().read_to_string(&mut s).unwrap();
    s
}

fn features(path: &Path) -> Vec<Value> {
    let v: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    v["features"].as_array().unwrap().clone()
}

#[test]
fn the_two_lists_of_the_demo_agree_with_its_analysis() {
    let tmp = tempfile::tempdir().unwrap();
    let lists = tmp.path().join("lists");
    let out = tmp.path().join("out");
    let d = demo();
    ok(&[
        "lists",
        "--quiet",
        d.to_str().unwrap(),
        "--out",
        lists.to_str().unwrap(),
    ]);
    ok(&[
        "analyze",
        "--quiet",
        d.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);

    for (title, cols) in [("风险清单", 12), ("隐患清单", 27)] {
        let x = lists.join(format!("{title}.xlsx"));
        let (sheet, cells) = xlsx_rows(&x);
        assert_eq!(sheet, title);
        let csv = csv_rows(&lists.join(format!("{title}.csv")));
        assert_eq!(cells.len(), csv.len(), "{title}");
        for (r, (x, c)) in cells.iter().zip(&csv).enumerate() {
            assert_eq!(x.len(), c.len(), "{title} row {r}");
            for (a, b) in x.iter().zip(c) {
                assert!(
                    a.says(b),
                    "{title} row {r}: the workbook's {a:?}, the CSV's {b:?}"
                );
            }
        }
        assert_eq!(cells[0].len(), cols);
        // Numbers and days are cells of their kind, which Excel sums, sorts and
        // filters as such; the rest is text.
        let kinds: &[(&str, IsKind)] = &[
            ("序号", |c| matches!(c, Cell::Number(_))),
            ("经度", |c| matches!(c, Cell::Number(_))),
            ("纬度", |c| matches!(c, Cell::Number(_))),
            ("逾期天数", |c| matches!(c, Cell::Number(_))),
            ("整改资金(万元)", |c| matches!(c, Cell::Number(_))),
            ("退回次数", |c| matches!(c, Cell::Number(_))),
            ("发现日期", |c| matches!(c, Cell::Day(_))),
            ("整改期限", |c| matches!(c, Cell::Day(_))),
            ("销号日期", |c| matches!(c, Cell::Day(_))),
            ("名称", |c| matches!(c, Cell::Text(_))),
            ("隐患编号", |c| matches!(c, Cell::Text(_))),
        ];
        for (header, is) in kinds {
            let Some(k) = csv[0].iter().position(|h| h == header) else {
                continue;
            };
            let filled: Vec<&Cell> = cells[1..]
                .iter()
                .zip(&csv[1..])
                .filter(|(_, c)| !c[k].is_empty())
                .map(|(x, _)| &x[k])
                .collect();
            assert!(!filled.is_empty(), "{title}: no {header}");
            assert!(
                filled.iter().all(|c| is(c)),
                "{title}: {header} {:?}",
                filled.iter().find(|c| !is(c))
            );
        }
        // Header frozen, filters over every row, widths set; the four fills present.
        let s = part(&x, "xl/worksheets/sheet1.xml");
        assert!(
            s.contains(r#"ySplit="1""#) && s.contains(r#"state="frozen""#),
            "{title}"
        );
        let last_col = (b'A' + (cols as u8 - 1) % 26) as char;
        let prefix = if cols > 26 { "A" } else { "" };
        assert!(
            s.contains(&format!(
                r#"<autoFilter ref="A1:{prefix}{last_col}{}"/>"#,
                csv.len()
            )),
            "{title}: {}",
            &s[s.find("<autoFilter").unwrap_or(0)..][..60.min(s.len())]
        );
        assert!(s.contains("<cols>"), "{title}");
        let styles = part(&x, "xl/styles.xml");
        for rgb in ["FFE60012", "FFF39800", "FFFFE100", "FF0068B7"] {
            assert!(styles.contains(rgb), "{title}: fill {rgb}");
        }
    }

    // The hidden-hazard list against hidden_hazards.geojson: every hazard found by the
    // day, with its state on it.
    let hh: BTreeMap<String, Value> = features(&out.join("hidden_hazards.geojson"))
        .into_iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_string(),
                f["properties"].clone(),
            )
        })
        .collect();
    let list = csv_rows(&lists.join("隐患清单.csv"));
    let col = |name: &str| list[0].iter().position(|h| h == name).unwrap();
    let found = hh.values().filter(|p| !p["status_as_of"].is_null()).count();
    assert_eq!(list.len() - 1, found);
    let mut majors_done = false;
    for r in &list[1..] {
        let p = &hh[&r[col("隐患编号")]];
        assert_eq!(r[col("隐患状态")], p["status_as_of_zh"].as_str().unwrap());
        assert_eq!(r[col("是否逾期")] == "是", p["overdue"].as_bool().unwrap());
        let days = p["days_overdue"]
            .as_i64()
            .map(|d| d.to_string())
            .unwrap_or_default();
        assert_eq!(r[col("逾期天数")], days);
        // Major ones first.
        let major = r[col("隐患级别")] == "重大事故隐患";
        assert!(!(major && majors_done), "a major one after a general one");
        majors_done |= !major;
    }
    assert!(
        list[1..].iter().any(|r| r[col("是否逾期")] == "是"),
        "the demo has overdue ones"
    );

    // The risk list against the results: the C/D houses with their levels, the red and
    // orange enterprises, the graded hazard sources, the occupations and the protection
    // conflicts, as many as the analysis has.
    let risk = csv_rows(&lists.join("风险清单.csv"));
    let rc = |name: &str| risk[0].iter().position(|h| h == name).unwrap();
    let of = |cat: &str| {
        risk[1..]
            .iter()
            .filter(|r| r[rc("风险类别")] == cat)
            .collect::<Vec<_>>()
    };
    let houses = features(&out.join("house_risk.geojson"));
    let cd: BTreeMap<String, String> = houses
        .iter()
        .filter(|f| matches!(f["properties"]["appraisal"].as_str(), Some("c" | "d")))
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_string(),
                f["properties"]["level_zh"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
            )
        })
        .collect();
    let listed: BTreeMap<String, String> = of("自建房")
        .iter()
        .map(|r| (r[rc("编号")].clone(), r[rc("风险等级")].clone()))
        .collect();
    assert_eq!(listed, cd);
    let ents = features(&out.join("enterprise_risk.geojson"));
    let red_orange = ents
        .iter()
        .filter(|f| {
            matches!(
                f["properties"]["level"].as_str(),
                Some("major" | "significant")
            )
        })
        .count();
    assert_eq!(of("企业").len(), red_orange);
    let graded = features(&out.join("hazard_grades.geojson"))
        .iter()
        .filter(|f| !f["properties"]["grade"].is_null())
        .count();
    assert_eq!(of("重大危险源").len(), graded);
    let occupations = features(&out.join("pipeline_conflicts.geojson"))
        .iter()
        .filter(|f| f["properties"]["kind"] == "occupation")
        .count();
    assert_eq!(of("燃气管道占压").len(), occupations);
    assert_eq!(
        of("外部安全防护距离不足").len(),
        features(&out.join("protection_conflicts.geojson")).len()
    );
    // Worst first.
    let order = ["重大风险", "较大风险", "一般风险", "低风险"];
    let ranks: Vec<usize> = risk[1..]
        .iter()
        .map(|r| order.iter().position(|o| *o == r[rc("风险等级")]).unwrap())
        .collect();
    assert!(ranks.windows(2).all(|w| w[0] <= w[1]));

    // One town: only its rows; an unknown one is an error naming the towns there are.
    let town = tmp.path().join("town");
    ok(&[
        "lists",
        "--quiet",
        d.to_str().unwrap(),
        "--out",
        town.to_str().unwrap(),
        "--area",
        "临江镇",
        "--csv-encoding",
        "gbk",
    ]);
    let bytes = std::fs::read(town.join("隐患清单.csv")).unwrap();
    let (text, _, bad) = encoding_rs::GBK.decode(&bytes);
    assert!(!bad);
    let rows: Vec<csv::StringRecord> = csv::ReaderBuilder::new()
        .from_reader(text.as_bytes())
        .records()
        .map(Result::unwrap)
        .collect();
    let all_town = list[1..]
        .iter()
        .filter(|r| r[col("所在镇街")] == "临江镇")
        .count();
    assert_eq!(rows.len(), all_town);
    assert!(rows.iter().all(|r| &r[col("所在镇街")] == "临江镇"));
    let bad = riskmap(&[
        "lists",
        "--quiet",
        d.to_str().unwrap(),
        "--out",
        tmp.path().join("x").to_str().unwrap(),
        "--area",
        "火星镇",
    ]);
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("火星镇") && err.contains("临江镇"), "{err}");
}

/// A GBK list of a hazard whose description holds characters GBK lacks (✓, and 𠮷 which
/// only GB18030's four bytes hold): the command succeeds, the CSV has `?` for each, a
/// warning names the list, the row's id and the character (even when quiet), and the
/// workbook keeps them.
#[test]
fn characters_gbk_lacks_are_written_as_a_question_mark_and_told() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("data");
    std::fs::create_dir(&d).unwrap();
    std::fs::write(
        d.join("enterprises.csv"),
        "编号,企业名称,行业类别,经度,纬度\nE1,海门某化工有限公司,危险化学品生产,121.10,31.90\n",
    )
    .unwrap();
    std::fs::write(
        d.join("hidden_hazards.csv"),
        "id,feature_id,description,status,discovered\nYH1,E1,除尘✓𠮷,pending,2026-01-01\n",
    )
    .unwrap();
    let out = tmp.path().join("lists");
    let steps = ok_steps(&[
        "lists",
        "--quiet",
        d.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--csv-encoding",
        "gbk",
    ]);
    for ch in ["✓ (U+2713)", "𠮷 (U+20BB7)"] {
        let line = format!(
            "warning: 隐患清单.csv, row 1 (隐患编号 YH1): {ch} is not in GBK, written as ?; \
             隐患清单.xlsx keeps it"
        );
        assert!(steps.contains(&line), "{steps}");
    }
    let bytes = std::fs::read(out.join("隐患清单.csv")).unwrap();
    // (GBK's decoder reads GB18030's four-byte sequences too: they would come back)
    let (text, _, bad) = encoding_rs::GBK.decode(&bytes);
    assert!(!bad);
    assert!(text.contains(",除尘??,"), "{text}");
    let (_, rows) = xlsx_rows(&out.join("隐患清单.xlsx"));
    assert!(
        rows[1].contains(&Cell::Text("除尘✓𠮷".into())),
        "{:?}",
        rows[1]
    );
}
