//! The hidden-hazard tile layer and the map as of a day, decoded by the independent
//! decoder: each hazard's state on a day worked out by hand from its ledger dates, and
//! the dated view checked against a full analysis run for that day.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use riskmap_core::io::LoadOptions;
use riskmap_core::model::{Day, LayerKind};
use riskmap_core::project::Project;
use riskmap_core::rules::Rules;
use riskmap_core::tileset::{TILE_LAYERS, TileSet, TileSetConfig};
use riskmap_tests::mvt_check::{self, Layer, Tile, Value};

/// Two enterprises and three hidden hazards of the first, drawn at its point.
fn city(dir: &Path) {
    std::fs::write(
        dir.join("enterprises.csv"),
        "编号,企业名称,行业类别,从业人数,经度,纬度\n\
         E1,海门某化工有限公司,危险化学品生产,50,121.10,31.90\n\
         E2,海门某纺织有限公司,其他,20,121.20,31.95\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("hidden_hazards.csv"),
        "隐患编号,关联对象编号,隐患级别,隐患类别,隐患描述,发现日期,整改期限,隐患状态,整改完成日期,验收人,销号日期,整改措施,整改资金(万元),整改责任单位,应急预案\n\
         YH1,E1,重大事故隐患,设备设施,储罐液位报警联锁未投用,2026-03-05,2026-06-30,挂牌督办,,,,停用储罐,15,海门某化工有限公司,储罐泄漏专项预案\n\
         YH2,E1,一般事故隐患,安全管理,特种作业人员无证上岗,2026-04-01,2026-04-30,已销号,2026-05-20,王某,2026-05-25,,,,\n\
         YH3,E1,一般事故隐患,作业环境,消防通道堆放杂物,2026-05-01,2026-05-15,整改中,,,,,,,\n",
    )
    .unwrap();
}

fn day(s: &str) -> Day {
    Day::parse_iso(s).unwrap()
}

fn open(dir: &Path, as_of: Option<Day>) -> Project {
    let mut rules = Rules::default();
    rules.hidden_hazards.as_of = as_of;
    Project::open(dir, &LoadOptions::default(), &rules).expect("loads")
}

/// The tile of zoom `z` holding lon/lat (Web Mercator written out again).
fn tile_of(z: u8, lon: f64, lat: f64) -> (u8, u32, u32) {
    let n = 2f64.powi(i32::from(z));
    let x = ((lon + 180.0) / 360.0 * n).floor() as u32;
    let r = lat.to_radians();
    let y = ((1.0 - (r.tan() + 1.0 / r.cos()).ln() / std::f64::consts::PI) / 2.0 * n).floor();
    (z, x, y as u32)
}

fn layer<'t>(t: &'t Tile, name: &str) -> Option<&'t Layer> {
    t.layers.iter().find(|l| l.name == name)
}

/// Each feature of the layer as (id property, a few properties), sorted by id.
fn hazards(t: &Tile) -> Vec<(String, String, bool, Option<u64>, u64)> {
    let Some(l) = layer(t, "hidden_hazards") else {
        return Vec::new();
    };
    let mut out: Vec<_> = l
        .features
        .iter()
        .map(|f| {
            let s = |k: &str| match f.property(l, k) {
                Some(Value::String(v)) => v.clone(),
                other => panic!("{k}: {other:?}"),
            };
            let u = |k: &str| match f.property(l, k) {
                Some(Value::UInt(v)) => Some(*v),
                None => None,
                other => panic!("{k}: {other:?}"),
            };
            let overdue = matches!(f.property(l, "overdue"), Some(Value::Bool(true)));
            (
                s("id"),
                s("status"),
                overdue,
                u("days_overdue"),
                u("level_n").unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn each_hazard_is_drawn_as_it_stood_on_the_day() {
    let t = tempfile::tempdir().unwrap();
    city(t.path());
    let p = open(t.path(), Some(day("2026-11-30")));
    let ts = TileSet::build(&p.dataset, &p.analysis, TileSetConfig::default()).unwrap();
    let (z, x, y) = tile_of(15, 121.10, 31.90);
    let layers = [LayerKind::HiddenHazards];
    let at = |d: &str| {
        let v = ts
            .view_as_of(&p.dataset, &p.analysis, &p.rules, day(d))
            .unwrap();
        let bytes = ts
            .render_as_of(&p.dataset, &p.analysis, &v, &layers, (z, x, y), false)
            .unwrap();
        hazards(&mvt_check::decode(&bytes).unwrap())
    };
    let h = |id: &str, status: &str, overdue: Option<u64>, rank: u64| {
        (
            id.to_string(),
            status.to_string(),
            overdue.is_some(),
            overdue,
            rank,
        )
    };
    // Before anything was found: nothing.
    assert!(at("2026-03-01").is_empty());
    // 31 March: the major one alone, open (rank 3), its deadline months away.
    assert_eq!(at("2026-03-31"), [h("YH1", "supervised", None, 3)]);
    // 20 May: YH2 rectified that day but not yet accepted, 20 days past 30 April; YH3
    // in rectification, 5 days past 15 May; both general and overdue (rank 2).
    assert_eq!(
        at("2026-05-20"),
        [
            h("YH1", "supervised", None, 3),
            h("YH2", "rectified", Some(20), 2),
            h("YH3", "in_progress", Some(5), 2),
        ]
    );
    // 10 July: YH1 10 days past 30 June; YH2 closed on 25 May (rank 0); YH3 56 days
    // late (16 + 30 + 10).
    assert_eq!(
        at("2026-07-10"),
        [
            h("YH1", "supervised", Some(10), 3),
            h("YH2", "closed", None, 0),
            h("YH3", "in_progress", Some(56), 2),
        ]
    );
    // The served map is the analysis day's: 30 November.
    let served = ts
        .render(&p.dataset, &p.analysis, &layers, z, x, y)
        .unwrap();
    assert_eq!(
        hazards(&mvt_check::decode(&served).unwrap()),
        [
            h("YH1", "supervised", Some(153), 3),
            h("YH2", "closed", None, 0),
            h("YH3", "in_progress", Some(199), 2),
        ]
    );

    // Below the detail zoom, one cluster of the three with its counts on the day.
    let (z, x, y) = tile_of(8, 121.10, 31.90);
    let v = ts
        .view_as_of(&p.dataset, &p.analysis, &p.rules, day("2026-07-10"))
        .unwrap();
    let bytes = ts
        .render_as_of(&p.dataset, &p.analysis, &v, &layers, (z, x, y), false)
        .unwrap();
    let tile = mvt_check::decode(&bytes).unwrap();
    let l = layer(&tile, "hidden_hazards").unwrap();
    assert_eq!(l.features.len(), 1);
    let f = &l.features[0];
    let u = |k: &str| f.property(l, k).cloned();
    assert_eq!(u("count"), Some(Value::UInt(3)));
    assert_eq!(u("open"), Some(Value::UInt(2)));
    assert_eq!(u("general_overdue"), Some(Value::UInt(1)));
    assert_eq!(u("major_open"), Some(Value::UInt(1)));
    assert_eq!(u("level_n"), Some(Value::UInt(3)));
    assert_eq!(u("cluster"), Some(Value::Bool(true)));
}

#[test]
fn the_dated_view_is_the_analysis_of_that_day() {
    let t = tempfile::tempdir().unwrap();
    city(t.path());
    let p = open(t.path(), Some(day("2026-11-30")));
    let ts = TileSet::build(&p.dataset, &p.analysis, TileSetConfig::default()).unwrap();
    for d in ["2026-03-31", "2026-05-20", "2026-07-10"] {
        let v = ts
            .view_as_of(&p.dataset, &p.analysis, &p.rules, day(d))
            .unwrap();
        // The same enterprise levels and hazard states as a whole analysis of that day.
        let full = open(t.path(), Some(day(d)));
        let levels: Vec<_> = full
            .analysis
            .enterprise_risks
            .iter()
            .map(|e| e.level)
            .collect();
        assert_eq!(v.enterprise_levels(), &levels[..], "{d}");
        // An enterprise's whole assessment (what its popup shows), made for it alone.
        for (pos, want) in full.analysis.enterprise_risks.iter().enumerate() {
            let got = v.enterprise_risk(&p.dataset, &p.analysis, pos);
            assert_eq!(got.as_ref(), Some(want), "{d}: enterprise {pos}");
        }
        assert_eq!(v.hidden_states(), &full.analysis.hidden_states[..], "{d}");
        // And the same tiles of those layers as a tile set built from it.
        let fresh =
            TileSet::build(&full.dataset, &full.analysis, TileSetConfig::default()).unwrap();
        let layers = [LayerKind::Enterprises, LayerKind::HiddenHazards];
        for z in [4u8, 9, 12, 15] {
            let (z, x, y) = tile_of(z, 121.10, 31.90);
            let dated = ts
                .render_as_of(&p.dataset, &p.analysis, &v, &layers, (z, x, y), false)
                .unwrap();
            let want = fresh
                .render(&full.dataset, &full.analysis, &layers, z, x, y)
                .unwrap();
            assert_eq!(dated, want, "{d} z{z}");
        }
    }
}

#[test]
fn on_the_analysis_day_the_dated_view_is_the_served_map() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/haimen");
    let p = open(&dir, None);
    let ts = TileSet::build(&p.dataset, &p.analysis, TileSetConfig::default()).unwrap();
    let v = ts
        .view_as_of(&p.dataset, &p.analysis, &p.rules, p.analysis.as_of.unwrap())
        .unwrap();
    let mut drawn = 0;
    for z in [3u8, 8, 11, 13, 15] {
        let (z, x0, y0) = tile_of(z, 121.25, 31.95);
        for (x, y) in [(x0, y0), (x0 + 1, y0), (x0, y0 + 1)] {
            let a = ts
                .render(&p.dataset, &p.analysis, &TILE_LAYERS, z, x, y)
                .unwrap();
            let b = ts
                .render_as_of(&p.dataset, &p.analysis, &v, &TILE_LAYERS, (z, x, y), true)
                .unwrap();
            assert_eq!(a, b, "{z}/{x}/{y}");
            drawn += usize::from(
                !a.is_empty() && layer(&mvt_check::decode(&a).unwrap(), "hidden_hazards").is_some(),
            );
        }
    }
    assert!(drawn >= 5, "hidden hazards drawn in {drawn} of the tiles");
}

#[test]
fn monthly_trend_counts_each_month_from_the_records_dates() {
    use riskmap_core::analysis::hidden_trend::monthly;
    let t = tempfile::tempdir().unwrap();
    city(t.path());
    let p = open(t.path(), Some(day("2026-11-30")));
    let m = monthly(
        &p.dataset,
        &p.analysis,
        &p.rules,
        None,
        6,
        day("2026-07-10"),
    );
    let months: Vec<&str> = m.iter().map(|x| x.month.as_str()).collect();
    assert_eq!(
        months,
        [
            "2026-02", "2026-03", "2026-04", "2026-05", "2026-06", "2026-07"
        ]
    );
    let ends: Vec<String> = m.iter().map(|x| x.end.to_string()).collect();
    assert_eq!(
        ends,
        [
            "2026-02-28",
            "2026-03-31",
            "2026-04-30",
            "2026-05-31",
            "2026-06-30",
            "2026-07-10"
        ]
    );
    // (found in the month, closed in it, open at its end, overdue, major open, closed by then)
    let got: Vec<(u32, u32, u32, u32, u32, u32)> = m
        .iter()
        .map(|x| {
            let c = &x.at_end;
            (x.found, x.closed, c.open, c.overdue, c.major_open, c.closed)
        })
        .collect();
    assert_eq!(
        got,
        [
            // February: nothing found yet.
            (0, 0, 0, 0, 0, 0),
            // March: YH1 found, open, major.
            (1, 0, 1, 0, 1, 0),
            // April: YH2 found; its deadline is the month's last day, not yet passed.
            (1, 0, 2, 0, 1, 0),
            // May: YH3 found and 16 days late at the end; YH2 closed on the 25th.
            (1, 1, 2, 1, 1, 1),
            // June: YH1's deadline is the 30th, not yet passed.
            (0, 0, 2, 1, 1, 1),
            // To 10 July: YH1 late too.
            (0, 0, 2, 2, 1, 1),
        ]
    );
    // The enterprises' levels at each month's end are a whole analysis of that day's
    // (and E1's changes with its hazards, so the comparison means something).
    assert!(
        m.windows(2)
            .any(|w| w[0].enterprises_by_level != w[1].enterprises_by_level),
        "{:?}",
        m.iter().map(|x| x.enterprises_by_level).collect::<Vec<_>>()
    );
    for x in &m {
        let full = open(t.path(), Some(x.end));
        let mut want = [0u32; 4];
        for e in &full.analysis.enterprise_risks {
            want[3 - usize::from(level_rank(e.level))] += 1;
        }
        assert_eq!(x.enterprises_by_level, want, "{}", x.month);
        // A folder keeps no history: its houses at each month's end are those it holds.
        let mut houses = [0u32; 4];
        for h in &full.analysis.house_risks {
            houses[3 - usize::from(level_rank(h.level))] += 1;
        }
        assert_eq!(x.houses_by_level, houses, "{}", x.month);
    }
}

fn level_rank(l: riskmap_core::model::RiskLevel) -> u8 {
    use riskmap_core::model::RiskLevel;
    match l {
        RiskLevel::Major => 3,
        RiskLevel::Significant => 2,
        RiskLevel::General => 1,
        RiskLevel::Low => 0,
    }
}

#[test]
fn the_report_holds_the_hazards_as_counted_by_hand() {
    use riskmap_core::report::area_report;
    let t = tempfile::tempdir().unwrap();
    city(t.path());
    let p = open(t.path(), Some(day("2026-11-30")));
    let html = area_report(&p.dataset, &p.analysis, &p.rules, None, day("2026-12-01")).unwrap();
    assert!(html.contains("<h1>全区安全风险与隐患排查治理报告</h1>"));
    assert!(html.contains("数据截至 2026-11-30 · 生成于 2026-12-01"));
    // On 30 November: YH1 open, major, 153 days late; YH2 closed; YH3 open, 199 days late.
    assert!(
        html.contains("累计发现隐患 3 项，已销号 1 项，未销号 2 项（其中逾期未销号 2 项，重大事故隐患 1 项）；整改率（销号÷发现）33.3%；销号用时中位数 54 天"),
        "{html}"
    );
    // Both open ones are drawn on the map (at E1), as the table lists them.
    assert!(html.contains(r#"data-hidden-hazards="2""#));
    assert!(html.contains("<td class=\"n\">YH1</td>") && html.contains("<td class=\"n\">YH3</td>"));
    assert!(!html.contains("<td class=\"n\">YH2</td>"));
    // November against October: nothing found or closed in either, the same two open.
    assert!(html.contains("<tr><th>新发现隐患</th><td>0</td><td>0</td><td>0</td></tr>"));
    assert!(html.contains("<tr><th>期末未销号隐患</th><td>2</td><td>2</td><td>0</td></tr>"));
    // November had ended on its day; on 7 December the month has not, and says so.
    assert!(!html.contains("尚未结束"));
    let p7 = open(t.path(), Some(day("2026-12-07")));
    let html7 = area_report(
        &p7.dataset,
        &p7.analysis,
        &p7.rules,
        None,
        day("2026-12-07"),
    )
    .unwrap();
    assert!(
        html7.contains("本月（2026-12）尚未结束：新发现、销号为月初至 2026-12-07 的数量，期末为 2026-12-07 当日；上月（2026-11）为整月及月末。"),
        "{html7}"
    );
    // A town that is not there.
    let e = area_report(
        &p.dataset,
        &p.analysis,
        &p.rules,
        Some("没有镇"),
        day("2026-12-01"),
    )
    .unwrap_err();
    assert!(e.to_string().contains("没有镇"), "{e}");
}

#[test]
fn another_days_grid_and_town_levels_are_a_whole_analysis_of_that_day() {
    use riskmap_core::live::Live;
    use riskmap_core::substances::SubstanceTable;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/haimen");
    let served = open(&dir, None);
    let ts = TileSet::build(&served.dataset, &served.analysis, TileSetConfig::default()).unwrap();
    let live = Live::from_parts(
        served.dataset,
        served.analysis,
        SubstanceTable::builtin(),
        served.rules.clone(),
    );
    let d = day("2025-06-30");
    let v = ts.view_as_of_live(&live, &served.rules, d).unwrap();
    assert!(v.has_grid());
    let full = open(&dir, Some(d));
    let fresh = TileSet::build(&full.dataset, &full.analysis, TileSetConfig::default()).unwrap();
    let layers = [
        LayerKind::Areas,
        LayerKind::RiskGrid,
        LayerKind::Enterprises,
        LayerKind::HiddenHazards,
    ];
    let (mut tiles, mut differ) = (0, 0);
    for z in [9u8, 11, 13] {
        let (z, x0, y0) = tile_of(z, 121.25, 31.95);
        for dx in 0..3 {
            for dy in 0..3 {
                let (x, y) = (x0 + dx - 1, y0 + dy - 1);
                let dated = ts
                    .render_as_of(
                        live.dataset(),
                        live.analysis(),
                        &v,
                        &layers,
                        (z, x, y),
                        false,
                    )
                    .unwrap();
                let want = fresh
                    .render(&full.dataset, &full.analysis, &layers, z, x, y)
                    .unwrap();
                assert_eq!(dated, want, "{z}/{x}/{y}");
                let now = ts
                    .render(
                        live.dataset(),
                        live.analysis(),
                        &[LayerKind::RiskGrid],
                        z,
                        x,
                        y,
                    )
                    .unwrap();
                let then = ts
                    .render_as_of(
                        live.dataset(),
                        live.analysis(),
                        &v,
                        &[LayerKind::RiskGrid],
                        (z, x, y),
                        false,
                    )
                    .unwrap();
                tiles += 1;
                differ += usize::from(now != then);
            }
        }
    }
    // The grid moved with the enterprises between the two days, in some of the tiles.
    assert!(
        differ > 0,
        "the grid of {d} is the grid of the data day in all {tiles} tiles"
    );
}
