//! The two lists on a small dataset made by hand: which rows, in which order, which
//! cells; the area filter; CSV in UTF-8 with a BOM and in GBK.

#![allow(clippy::unwrap_used, clippy::field_reassign_with_default)]

use geo::{Geometry, Point, polygon};

use super::*;
use crate::analysis::analyze;
use crate::layer::Layer;
use crate::model::{
    Area, Day, Enterprise, Feature, HiddenHazard, HiddenHazardStatus, House, SourceRef,
};
use crate::rules::Rules;
use crate::substances::SubstanceTable;

fn feat<P>(id: &str, g: Geometry<f64>, props: P) -> Feature<P> {
    Feature {
        id: id.into(),
        geometry: g,
        props,
        source: SourceRef::default(),
    }
}

fn pt(x: f64, y: f64) -> Geometry<f64> {
    Geometry::Point(Point::new(x, y))
}

fn square(x: f64, y: f64, d: f64) -> Geometry<f64> {
    Geometry::Polygon(polygon![
        (x: x, y: y), (x: x + d, y: y), (x: x + d, y: y + d), (x: x, y: y + d), (x: x, y: y)
    ])
}

fn day(y: i32, m: u8, d: u8) -> Option<Day> {
    Day::new(y, m, d)
}

/// Two towns side by side; a D-grade and an A-grade house in the west one, a C-grade
/// house in the east one; three hidden hazards.
fn city() -> (Dataset, Analysis) {
    let mut ds = Dataset::default();
    ds.areas = Layer::new(
        LayerKind::Areas,
        vec![
            feat(
                "a-w",
                square(121.0, 31.0, 0.1),
                Area {
                    name: "西镇".into(),
                    code: None,
                },
            ),
            feat(
                "a-e",
                square(121.1, 31.0, 0.1),
                Area {
                    name: "东镇".into(),
                    code: None,
                },
            ),
        ],
    );
    let house = |id: &str, x: f64, g: Appraisal| {
        feat(
            id,
            square(x, 31.05, 0.0001),
            House {
                address: format!("{id}号").into(),
                appraisal: Some(g),
                occupants: Some(3),
                ..House::default()
            },
        )
    };
    ds.houses = Layer::new(
        LayerKind::Houses,
        vec![
            house("h1", 121.05, Appraisal::D),
            house("h2", 121.06, Appraisal::A),
            house("h3", 121.15, Appraisal::C),
        ],
    );
    ds.enterprises = Layer::new(
        LayerKind::Enterprises,
        vec![feat(
            "e1",
            pt(121.15, 31.02),
            Enterprise {
                name: "某公司".into(),
                ..Enterprise::default()
            },
        )],
    );
    let hidden = |id: &str, on: (LayerKind, &str), at: Geometry<f64>, h: HiddenHazard| {
        feat(
            id,
            at,
            HiddenHazard {
                feature_layer: Some(on.0),
                feature_id: Some(on.1.into()),
                ..h
            },
        )
    };
    ds.hidden_hazards = Layer::new(
        LayerKind::HiddenHazards,
        vec![
            // General, west, overdue by 10 days on 2026-06-30.
            hidden(
                "YH1",
                (LayerKind::Houses, "h1"),
                pt(121.05, 31.05),
                HiddenHazard {
                    description: "承重墙体开裂".into(),
                    discovered: day(2026, 6, 1),
                    deadline: day(2026, 6, 20),
                    ..HiddenHazard::default()
                },
            ),
            // Major, east, open, not overdue.
            hidden(
                "YH2",
                (LayerKind::Enterprises, "e1"),
                pt(121.15, 31.02),
                HiddenHazard {
                    major: true,
                    description: "联锁未投用".into(),
                    discovered: day(2026, 6, 10),
                    deadline: day(2026, 9, 30),
                    status: HiddenHazardStatus::Supervised,
                    funds_wan_yuan: Some(12.0),
                    ..HiddenHazard::default()
                },
            ),
            // Closed before the day, west.
            hidden(
                "YH3",
                (LayerKind::Houses, "h2"),
                pt(121.06, 31.05),
                HiddenHazard {
                    description: "电动自行车室内充电".into(),
                    discovered: day(2026, 5, 1),
                    deadline: day(2026, 5, 10),
                    status: HiddenHazardStatus::Closed,
                    rectified: day(2026, 5, 8),
                    verified_by: Some("王某".into()),
                    closed: day(2026, 5, 9),
                    ..HiddenHazard::default()
                },
            ),
            // Found after the day: not listed.
            hidden(
                "YH4",
                (LayerKind::Houses, "h3"),
                pt(121.15, 31.05),
                HiddenHazard {
                    description: "以后才发现".into(),
                    discovered: day(2026, 7, 15),
                    ..HiddenHazard::default()
                },
            ),
        ],
    );
    let mut rules = Rules::default();
    rules.hidden_hazards.as_of = day(2026, 6, 30);
    let a = analyze(&ds, &SubstanceTable::builtin(), &rules).unwrap();
    (ds, a)
}

#[test]
fn the_hidden_hazard_list_puts_major_then_open_then_most_overdue_first() {
    let (ds, a) = city();
    let l = hidden_list(&ds, &a, None).unwrap();
    assert_eq!(l.columns.len(), l.rows[0].len());
    let col = |name: &str| l.columns.iter().position(|c| c.header == name).unwrap();
    let ids: Vec<&str> = l.rows.iter().map(|r| r[col("隐患编号")].as_str()).collect();
    assert_eq!(ids, ["YH2", "YH1", "YH3"]);
    let r = &l.rows[1];
    assert_eq!(r[col("序号")], "2");
    assert_eq!(r[col("隐患级别")], "一般事故隐患");
    assert_eq!(r[col("隐患状态")], "待整改");
    assert_eq!(r[col("是否逾期")], "是");
    // 20 June to 30 June.
    assert_eq!(r[col("逾期天数")], "10");
    assert_eq!(r[col("所在镇街")], "西镇");
    assert_eq!(r[col("关联对象")], "h1号（h1）");
    assert_eq!(l.rows[0][col("整改资金(万元)")], "12");
    assert_eq!(l.rows[0][col("隐患状态")], "挂牌督办");
    assert_eq!(l.rows[2][col("隐患状态")], "已销号");
    assert_eq!(l.rows[2][col("是否逾期")], "否");
    assert_eq!(
        l.levels,
        [
            Some(RiskLevel::Significant),
            Some(RiskLevel::General),
            Some(RiskLevel::Low)
        ]
    );
    let west = hidden_list(&ds, &a, Some("西镇")).unwrap();
    assert_eq!(west.rows.len(), 2);
    assert!(matches!(
        hidden_list(&ds, &a, Some("北镇")),
        Err(ListError::UnknownArea { .. })
    ));
    // YH4, found on 15 July, is after the day: the list says so (it lies in the east).
    assert_eq!(l.notes, ["1 项隐患的发现日期晚于统计日 2026-06-30，未列入"]);
    assert!(west.notes.is_empty(), "{:?}", west.notes);
}

#[test]
fn the_hidden_hazard_list_says_which_open_ones_have_no_deadline() {
    let (mut ds, _) = city();
    let mut rules = Rules::default();
    rules.hidden_hazards.as_of = day(2026, 6, 30);
    // YH1 (open, west) and YH3 (closed, west) lose their deadlines: only YH1 counts.
    let mut hh = ds.hidden_hazards.features().to_vec();
    for f in &mut hh {
        if f.id == "YH1" || f.id == "YH3" {
            f.props.deadline = None;
        }
    }
    ds.hidden_hazards = Layer::new(LayerKind::HiddenHazards, hh);
    let a = analyze(&ds, &SubstanceTable::builtin(), &rules).unwrap();
    let west = hidden_list(&ds, &a, Some("西镇")).unwrap();
    assert_eq!(
        west.notes,
        ["1 项未销号隐患没有整改期限，无法判断是否逾期（已列入，整改期限一栏为空）"]
    );
    let yh1 = west
        .rows
        .iter()
        .find(|r| r.contains(&"YH1".to_string()))
        .unwrap();
    assert!(
        yh1.contains(&"否".to_string()),
        "not overdue without a deadline"
    );
    // YH3 recorded as closed on 18 July 2099 (a typo): open on the day (and without its
    // deadline, one more without one), and said so. Closed on 18 July 2026, after the
    // day but before today, it is open on the day rightly: no such note.
    let undated = "2 项未销号隐患没有整改期限，无法判断是否逾期（已列入，整改期限一栏为空）";
    let typo = "1 项隐患的销号日期晚于今天，按未销号列入（请核对销号日期）";
    for (closed, want) in [
        (day(2099, 7, 18), vec![undated, typo]),
        (day(2026, 7, 18), vec![undated]),
    ] {
        let mut hh = ds.hidden_hazards.features().to_vec();
        for f in &mut hh {
            if f.id == "YH3" {
                f.props.closed = closed;
            }
        }
        let mut later = ds.clone();
        later.hidden_hazards = Layer::new(LayerKind::HiddenHazards, hh);
        let a2 = analyze(&later, &SubstanceTable::builtin(), &rules).unwrap();
        assert_eq!(hidden_list(&later, &a2, Some("西镇")).unwrap().notes, want);
    }
    // The ledgers' own gaps come first.
    let mut l = hidden_list(&ds, &a, None).unwrap();
    l.note_first(&["a.csv（隐患台账）整个文件未读入".to_string()]);
    assert_eq!(l.notes.len(), 3);
    assert_eq!(l.notes[0], "a.csv（隐患台账）整个文件未读入");
}

#[test]
fn the_risk_list_holds_the_c_and_d_houses_worst_first() {
    let (ds, a) = city();
    let l = risk_list(&ds, &a, None).unwrap();
    let col = |name: &str| l.columns.iter().position(|c| c.header == name).unwrap();
    let ids: Vec<&str> = l.rows.iter().map(|r| r[col("编号")].as_str()).collect();
    // D (major) before C (significant); the A-grade house and the blue enterprise are
    // not risk points.
    assert_eq!(ids, ["h1", "h3"]);
    assert_eq!(l.rows[0][col("风险等级")], "重大风险");
    assert_eq!(l.rows[0][col("风险类别")], "自建房");
    assert_eq!(l.rows[1][col("所在镇街")], "东镇");
    assert!(l.rows[0][col("风险因素（判定依据）")].contains("D级"));
    assert_eq!(l.rows[0][col("经度")], "121.050050");
    assert_eq!(risk_list(&ds, &a, Some("东镇")).unwrap().rows.len(), 1);
}

#[test]
fn csv_lists_open_in_excel_as_utf8_with_a_bom_or_as_gbk() {
    let (ds, a) = city();
    let l = hidden_list(&ds, &a, None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("u.csv");
    write_csv(&l, &p, CsvEncoding::Utf8Bom).unwrap();
    let b = std::fs::read(&p).unwrap();
    assert_eq!(&b[..3], b"\xEF\xBB\xBF");
    let text = std::str::from_utf8(&b[3..]).unwrap();
    assert!(text.starts_with("序号,隐患编号,隐患级别"));
    assert_eq!(text.matches("\r\n").count(), 4);
    let g = dir.path().join("g.csv");
    write_csv(&l, &g, CsvEncoding::Gbk).unwrap();
    let gbk = std::fs::read(&g).unwrap();
    let (decoded, _, bad) = encoding_rs::GBK.decode(&gbk);
    assert!(!bad);
    assert_eq!(decoded, text);
    // Characters GBK lacks (✓, and 𠮷 which only GB18030's four bytes hold) are
    // written `?` and told with the row and its hazard's id; the rest of the cell and
    // the file are as they were.
    let mut odd = l.clone();
    odd.rows[1][11] = "除尘✓，𠮷".into();
    let replaced = write_csv(&odd, &g, CsvEncoding::Gbk).unwrap();
    let told: Vec<(usize, &str, char)> = replaced
        .iter()
        .map(|r| (r.row, r.id.as_str(), r.ch))
        .collect();
    assert_eq!(told, [(2, "YH1", '✓'), (2, "YH1", '𠮷')]);
    let gbk = std::fs::read(&g).unwrap();
    // (GBK's decoder reads GB18030's four-byte sequences too: a ✓ written so would
    // come back)
    let (decoded, _, bad) = encoding_rs::GBK.decode(&gbk);
    assert!(!bad);
    let mut want = l.clone();
    want.rows[1][11] = "除尘?，?".into();
    let want_text = csv_bytes(&want, &g, CsvEncoding::Utf8Bom).unwrap();
    assert_eq!(decoded.as_bytes(), &want_text[3..]);
    // As bytes to send whole, the list is refused instead, naming the row and cell.
    match csv_bytes(&odd, &g, CsvEncoding::Gbk) {
        Err(ListError::NotGbk { row, text, .. }) => {
            assert_eq!((row, text.as_str()), (2, "除尘✓，𠮷"))
        }
        other => panic!("{other:?}"),
    }
}
