//! The hidden-hazard ledger through the loaders: Chinese headers in GBK, links by id, by
//! an enterprise's name and across layers, places of their own or their feature's, and
//! the lifecycle checks, each with the place and field it is about.

use std::path::Path;

use encoding_rs::GBK;
use geo::Geometry;

use super::*;
use crate::model::{Day, FoundBy, HiddenHazardStatus};

fn write(dir: &Path, rel: &str, bytes: &[u8]) {
    std::fs::write(dir.join(rel), bytes).expect("write");
}

fn city(dir: &Path) {
    write(
        dir,
        "enterprises.csv",
        "编号,企业名称,行业类别,经度,纬度\n\
         E1,海门某化工有限公司,危险化学品生产,121.10,31.90\n\
         E2,海门某纺织有限公司,其他,121.20,31.95\n"
            .as_bytes(),
    );
    write(
        dir,
        "houses.csv",
        "编号,地址,wkt\n\
         H1,某村1号,\"POLYGON ((121.30 31.80, 121.31 31.80, 121.31 31.81, 121.30 31.81, 121.30 31.80))\"\n"
            .as_bytes(),
    );
}

fn gbk(text: &str) -> Vec<u8> {
    GBK.encode(text).0.into_owned()
}

fn day(y: i32, m: u8, d: u8) -> Option<Day> {
    Day::new(y, m, d)
}

#[test]
fn a_gbk_ledger_links_to_its_features_and_takes_their_place() {
    let t = tempfile::tempdir().expect("tmp");
    let d = t.path();
    city(d);
    write(
        d,
        "隐患台账.csv",
        &gbk(
            "隐患编号,关联对象编号,隐患级别,隐患描述,发现方式,发现日期,整改期限,隐患状态,整改完成日期,验收人,销号日期,整改资金(元),经度,纬度\n\
             YH1,海门某化工有限公司,重大事故隐患,储罐液位报警联锁未投用,执法检查,2026/3/5,2026年6月30日,挂牌督办,,,,150000,,\n\
             YH2,H1,一般,承重墙体开裂,举报,20260401,2026-04-30,已销号,2026-04-20,王某,2026-04-25,,121.305,31.805\n\
             YH3,E2,一般,消防通道堆放杂物,企业自查,2026-05-01,2026-05-15,已销号,2026-05-10,,,,,\n",
        ),
    );
    let loaded = load_dir(d, &LoadOptions::default()).expect("loads");
    let hh = loaded.dataset.hidden_hazards.features();
    assert_eq!(hh.len(), 3);
    // By the enterprise's name: linked to E1 and drawn at E1's point.
    let h1 = &hh[0];
    assert_eq!(h1.props.feature_layer, Some(LayerKind::Enterprises));
    assert_eq!(h1.props.feature_id.as_deref(), Some("E1"));
    assert!(!h1.props.own_location);
    assert_eq!(h1.geometry, Geometry::Point(geo::Point::new(121.10, 31.90)));
    assert!(h1.props.major);
    assert_eq!(h1.props.found_by, Some(FoundBy::Enforcement));
    assert_eq!(h1.props.discovered, day(2026, 3, 5));
    assert_eq!(h1.props.deadline, day(2026, 6, 30));
    assert_eq!(h1.props.status, HiddenHazardStatus::Supervised);
    // 150,000 元 = 15 万元.
    assert_eq!(h1.props.funds_wan_yuan, Some(15.0));
    // A house's, at a place of its own.
    let h2 = &hh[1];
    assert_eq!(h2.props.feature_layer, Some(LayerKind::Houses));
    assert!(h2.props.own_location);
    assert_eq!(
        h2.geometry,
        Geometry::Point(geo::Point::new(121.305, 31.805))
    );
    assert_eq!(h2.props.status, HiddenHazardStatus::Closed);
    assert_eq!(h2.props.closed, day(2026, 4, 25));
    // 已销号 without an acceptance: kept open, rectified, awaiting it.
    let h3 = &hh[2];
    assert_eq!(h3.props.status, HiddenHazardStatus::Rectified);
    assert_eq!(h3.props.closed, None);
    type Found<'a> = (
        IssueCode,
        Option<&'a str>,
        Option<&'a str>,
        Option<Position>,
    );
    let got: Vec<Found> = loaded
        .report
        .issues
        .iter()
        .map(|i| {
            (
                i.code,
                i.feature_id.as_deref(),
                i.field.as_deref(),
                i.position,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            // YH1 is major and open, with no responsible unit or person, no measures and
            // no contingency plan (funds and deadline are there).
            (
                IssueCode::FiveInPlaceIncomplete,
                Some("YH1"),
                None,
                Some(Position::Line(2))
            ),
            (
                IssueCode::LifecycleInconsistent,
                Some("YH3"),
                Some("隐患状态"),
                Some(Position::Line(4))
            ),
        ]
    );
    assert!(
        loaded.report.issues[0].message.contains("责任、措施、预案"),
        "{}",
        loaded.report.issues[0].message
    );
    assert!(
        loaded.report.issues[1].message.contains("验收人"),
        "{}",
        loaded.report.issues[1].message
    );
}

#[test]
fn a_link_that_finds_nothing_or_too_much_is_reported_where_it_is() {
    let t = tempfile::tempdir().expect("tmp");
    let d = t.path();
    city(d);
    // "E1" is also a house's id here: without a layer the link is ambiguous.
    write(
        d,
        "houses.csv",
        "编号,地址,经度,纬度\nH1,某村1号,121.30,31.80\nE1,某村2号,121.31,31.80\n".as_bytes(),
    );
    write(
        d,
        "hidden_hazards.csv",
        "id,feature_layer,feature_id,description,status,discovered,lon,lat\n\
         A,,E1,两处同号,pending,2026-01-01,,\n\
         B,enterprises,E1,指明图层,pending,2026-01-01,,\n\
         C,houses,H9,没有这栋房,pending,2026-01-01,121.3,31.8\n\
         D,,,没有关联对象,pending,2026-13-01,,\n"
            .as_bytes(),
    );
    let loaded = load_dir(d, &LoadOptions::default()).expect("loads");
    let ids: Vec<&str> = loaded
        .dataset
        .hidden_hazards
        .features()
        .iter()
        .map(|f| f.id.as_str())
        .collect();
    // A and D have no place of their own and no feature: skipped; C keeps its own place.
    assert_eq!(ids, ["B", "C"]);
    let got: Vec<(IssueCode, Severity, &str, Option<&str>)> = loaded
        .report
        .issues
        .iter()
        .filter(|i| i.layer == Some(LayerKind::HiddenHazards))
        .map(|i| {
            (
                i.code,
                i.severity,
                i.feature_id.as_deref().unwrap_or(""),
                i.field.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                IssueCode::InvalidDate,
                Severity::Warning,
                "D",
                Some("discovered")
            ),
            (
                IssueCode::UnknownLinkedFeature,
                Severity::Skipped,
                "A",
                Some("feature_id")
            ),
            (
                IssueCode::UnknownLinkedFeature,
                Severity::Warning,
                "C",
                Some("feature_id")
            ),
            (
                IssueCode::UnknownLinkedFeature,
                Severity::Skipped,
                "D",
                Some("feature_id")
            ),
        ]
    );
    let a = &loaded
        .report
        .issues
        .iter()
        .find(|i| i.feature_id.as_deref() == Some("A"));
    assert!(
        a.is_some_and(|i| i.message.contains("企业、自建房")),
        "{a:?}"
    );
    let summary = loaded
        .report
        .files
        .iter()
        .find(|f| f.file == "hidden_hazards.csv")
        .expect("listed");
    assert_eq!((summary.features_read, summary.features_loaded), (4, 2));
}

#[test]
fn a_provinces_own_words_for_the_stages_are_read_from_the_manifest() {
    let t = tempfile::tempdir().expect("tmp");
    let d = t.path();
    city(d);
    let ledger = "隐患编号,关联对象编号,隐患描述,发现日期,整改期限,隐患状态,整改完成日期\n\
         YH1,E1,储罐区防火堤破损,2026-03-05,2026-04-30,已交办,\n\
         YH2,E1,静电接地失效,2026-03-06,2026-04-30,待复核,2026-04-20\n\
         YH3,E2,消防通道堆放杂物,2026-03-07,2026-04-30, 已交办 ,\n\
         YH4,E2,配电箱线路私拉乱接,2026-03-08,2026-04-30,整改中,\n\
         YH5,E2,安全出口锁闭,2026-03-09,2026-04-30,已上报,\n";
    write(d, "hidden_hazards.csv", &gbk(ledger));
    // Without the manifest, 已交办 and 待复核 are words nobody said what they mean.
    let plain = load_dir(d, &LoadOptions::default()).expect("loads");
    let unknown = |l: &Loaded| -> Vec<String> {
        l.report
            .issues
            .iter()
            .filter(|i| i.code == IssueCode::UnknownValue)
            .filter_map(|i| i.feature_id.clone())
            .collect()
    };
    assert_eq!(unknown(&plain), ["YH1", "YH2", "YH3", "YH5"]);

    write(
        d,
        "riskmap.toml",
        "[statuses]\n\
         pending = [\"已交办\", \"待整改督办\"]\n\
         \"已整改待验收\" = \"待复核\"\n\
         closed = \"整改中\"\n\
         nonsense = [\"x\"]\n"
            .as_bytes(),
    );
    let loaded = load_dir(d, &LoadOptions::default()).expect("loads");
    let status: Vec<(&str, HiddenHazardStatus)> = loaded
        .dataset
        .hidden_hazards
        .features()
        .iter()
        .map(|f| (f.id.as_str(), f.props.status))
        .collect();
    assert_eq!(
        status,
        [
            ("YH1", HiddenHazardStatus::Pending),
            ("YH2", HiddenHazardStatus::Rectified),
            ("YH3", HiddenHazardStatus::Pending),
            // 整改中 keeps its standard meaning: the manifest may not change it.
            ("YH4", HiddenHazardStatus::InProgress),
            // Not named anywhere: taken from its dates, and said.
            ("YH5", HiddenHazardStatus::Pending),
        ]
    );
    assert_eq!(unknown(&loaded), ["YH5"]);
    // The manifest's own mistakes, each named by its key.
    let manifest: Vec<(&str, &str)> = loaded
        .report
        .issues
        .iter()
        .filter(|i| i.code == IssueCode::ManifestInvalidValue)
        .map(|i| (i.field.as_deref().unwrap_or(""), i.message.as_str()))
        .collect();
    assert_eq!(manifest.len(), 2, "{manifest:?}");
    assert_eq!(manifest[0].0, "statuses.closed");
    assert!(
        manifest[0].1.contains("\"整改中\" already means 整改中"),
        "{}",
        manifest[0].1
    );
    assert_eq!(manifest[1].0, "statuses.nonsense");
    assert!(
        manifest[1].1.contains("not a stage of the loop"),
        "{}",
        manifest[1].1
    );
}

/// The demo district's 3,000 hidden hazards: each text a chunk of the ledger's rows
/// repeats is one allocation. The ledger's 11 categories and the 662 rows of the most frequent,
/// 消防安全, were counted in the file with Python's csv module.
#[test]
fn a_ledgers_repeated_texts_are_held_once() {
    use std::collections::{HashMap, HashSet};
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/haimen");
    let loaded = load_dir(&dir, &LoadOptions::default()).unwrap();
    let hazards = loaded.dataset.hidden_hazards.features();
    assert_eq!(hazards.len(), 3000);
    let mut rows: HashMap<&str, usize> = HashMap::new();
    let mut held = HashSet::new();
    for f in hazards {
        let c = f.props.category.as_ref().unwrap();
        *rows.entry(&**c).or_default() += 1;
        held.insert(c.as_ptr());
    }
    assert_eq!((rows.len(), rows.get("消防安全")), (11, Some(&662)));
    // The rows are turned into features in chunks of 2,048, each holding its texts once:
    // two chunks, so at most two allocations of each category for 3,000 rows.
    assert!(held.len() <= 2 * 11, "{} allocations", held.len());
}

#[test]
fn a_closure_accepted_by_a_placeholder_is_no_closure() {
    let t = tempfile::tempdir().expect("tmp");
    let d = t.path();
    city(d);
    // 验收人 "/", "未验收", a full-width "／" and "待定": no acceptance, so not closed;
    // measures "无" are none.
    write(
        d,
        "隐患台账.csv",
        &gbk(
            "隐患编号,关联对象编号,隐患级别,隐患描述,发现日期,整改期限,整改措施,隐患状态,整改完成日期,验收人,销号日期\n\
             YH1,E1,一般,通道堆物,2026-05-01,2026-05-15,清理,已销号,2026-05-10,/,2026-05-12\n\
             YH2,E1,一般,灭火器过期,2026-05-01,2026-05-15,更换,已销号,2026-05-10,未验收,2026-05-12\n\
             YH3,E1,一般,标识缺失,2026-05-01,2026-05-15,设置,已销号,2026-05-10,李某,2026-05-12\n\
             YH4,E1,重大事故隐患,联锁未投用,2026-05-01,2026-08-15,无,整改中,,,\n\
             YH5,E1,一般,照明损坏,2026-05-01,2026-05-15,更换,已销号,2026-05-10,／,2026-05-12\n\
             YH6,E1,一般,台账缺失,2026-05-01,2026-05-15,补建,已销号,2026-05-10,待定,2026-05-12\n",
        ),
    );
    let loaded = load_dir(d, &LoadOptions::default()).expect("loads");
    let hh = loaded.dataset.hidden_hazards.features();
    let status: Vec<(&str, HiddenHazardStatus)> =
        hh.iter().map(|f| (f.id.as_str(), f.props.status)).collect();
    assert_eq!(
        status,
        [
            ("YH1", HiddenHazardStatus::Rectified),
            ("YH2", HiddenHazardStatus::Rectified),
            ("YH3", HiddenHazardStatus::Closed),
            ("YH4", HiddenHazardStatus::InProgress),
            ("YH5", HiddenHazardStatus::Rectified),
            ("YH6", HiddenHazardStatus::Rectified),
        ]
    );
    assert_eq!(hh[0].props.verified_by, None);
    assert_eq!(hh[0].props.closed, None);
    assert_eq!(hh[3].props.measures, None);
    assert!(hh[3].props.five_in_place_missing().contains(&"措施"));
    let kept_open: Vec<&str> = loaded
        .report
        .issues
        .iter()
        .filter(|i| i.code == IssueCode::LifecycleInconsistent)
        .filter_map(|i| i.feature_id.as_deref())
        .collect();
    assert_eq!(kept_open, ["YH1", "YH2", "YH5", "YH6"]);
}

/// A ledger saved from GBK read as Latin-1 (`隐患编号` became `Òþ»¼±àºÅ`): no column is
/// known. One error for the file, naming the header's first names and the encoding it
/// was read in, not one for each row; the file is skipped.
#[test]
fn a_header_of_no_known_column_is_one_error_for_the_file() {
    let t = tempfile::tempdir().expect("tmp");
    let d = t.path();
    city(d);
    let header = "Òþ»¼±àºÅ,¹ØÁª¶ÔÏó±àºÅ,Òþ»¼ÃèÊö,×´Ì¬,¾\u{ad}¶È,Î³¶È";
    // (what GBK bytes read as Windows-1252 give)
    let bytes = gbk("隐患编号,关联对象编号,隐患描述,状态,经度,纬度");
    let (latin, _, _) = encoding_rs::WINDOWS_1252.decode(&bytes);
    assert_eq!(latin, header);
    let rows =
        "Y1,E1,Ïû·À,pending,121.1,31.9\nY2,E2,Ïû·À,pending,121.2,31.9\nY3,H1,Ïû·À,pending,,\n";
    write(
        d,
        "hidden_hazards.csv",
        format!("{header}\n{rows}").as_bytes(),
    );
    let loaded = load_dir(d, &LoadOptions::default()).expect("loads");
    let mine: Vec<&Issue> = loaded
        .report
        .issues
        .iter()
        .filter(|i| i.file == "hidden_hazards.csv")
        .collect();
    assert_eq!(mine.len(), 1, "{mine:#?}");
    assert_eq!(
        (mine[0].code, mine[0].severity, mine[0].position),
        (
            IssueCode::UnknownHeader,
            Severity::Skipped,
            Some(Position::Line(1))
        )
    );
    assert_eq!(
        mine[0].message,
        "hidden_hazards.csv, line 1: no column of the header is a field of layer \
         hidden_hazards: it reads \"Òþ»¼±àºÅ\", \"¹ØÁª¶ÔÏó±àºÅ\", \"Òþ»¼ÃèÊö\", \"×´Ì¬\", \
         \"¾\\u{ad}¶È\", … (6 names). The file was read as UTF-8 (valid UTF-8): if these \
         names are garbled, that encoding is wrong; give the right one in riskmap.toml \
         (encoding = \"gbk\"). Else map the columns there (columns = { \"列名\" = \"id\" }) \
         — the file was skipped"
    );
    let file = loaded
        .report
        .files
        .iter()
        .find(|f| f.file == "hidden_hazards.csv")
        .expect("summary");
    assert_eq!(file.status, FileStatus::Skipped);
    assert!(loaded.dataset.hidden_hazards.is_empty());
}

/// Every ledger a hidden hazard may belong to skipped (a houses file whose header names
/// no field): the hazards are still linked, not kept with no place and no word; one
/// without a place of its own is skipped, said to belong to a ledger a file of which
/// was skipped; one with a place keeps it.
#[test]
fn hazards_whose_features_ledgers_were_all_skipped_are_said_so() {
    let t = tempfile::tempdir().expect("tmp");
    let d = t.path();
    write(d, "houses.csv", "甲,乙,丙\n1,2,3\n".as_bytes());
    write(
        d,
        "hidden_hazards.csv",
        "id,feature_layer,feature_id,description,status,discovered,lon,lat\n\
         A,houses,H1,墙体开裂,pending,2026-01-01,,\n\
         B,houses,H2,屋面渗水,pending,2026-01-01,121.3,31.8\n"
            .as_bytes(),
    );
    let loaded = load_dir(d, &LoadOptions::default()).expect("loads");
    let ids: Vec<&str> = loaded
        .dataset
        .hidden_hazards
        .features()
        .iter()
        .map(|f| f.id.as_str())
        .collect();
    assert_eq!(ids, ["B"]);
    let said: Vec<(Severity, &str, &str)> = loaded
        .report
        .with_code(IssueCode::UnknownLinkedFeature)
        .map(|i| {
            (
                i.severity,
                i.feature_id.as_deref().unwrap_or(""),
                i.message.as_str(),
            )
        })
        .collect();
    assert_eq!(said.len(), 2, "{said:?}");
    assert_eq!((said[0].0, said[0].1), (Severity::Skipped, "A"));
    assert_eq!((said[1].0, said[1].1), (Severity::Warning, "B"));
    for (_, _, m) in &said {
        assert!(m.contains("a file of the houses ledger was skipped"), "{m}");
    }
}

/// A hazard whose house's own line the checks refused (its coordinates not a number) is
/// told that, not that the ledger has no such house.
#[test]
fn a_hazard_whose_features_line_was_refused_is_told_so() {
    let t = tempfile::tempdir().expect("tmp");
    let d = t.path();
    write(
        d,
        "houses.csv",
        "编号,地址,经度,纬度\nH1,某村1号,东经,31.8\nH2,某村2号,121.31,31.80\n".as_bytes(),
    );
    write(
        d,
        "hidden_hazards.csv",
        "id,feature_layer,feature_id,description,status,discovered,lon,lat\n\
         A,houses,H1,墙体开裂,pending,2026-01-01,,\n\
         B,houses,H9,屋面渗水,pending,2026-01-01,,\n"
            .as_bytes(),
    );
    let loaded = load_dir(d, &LoadOptions::default()).expect("loads");
    let said: Vec<(&str, &str)> = loaded
        .report
        .with_code(IssueCode::UnknownLinkedFeature)
        .map(|i| (i.feature_id.as_deref().unwrap_or(""), i.message.as_str()))
        .collect();
    assert_eq!(said.len(), 2, "{said:?}");
    assert_eq!(said[0].0, "A");
    assert!(
        said[0]
            .1
            .contains("\"H1\" was left out of the houses ledger by the checks"),
        "{}",
        said[0].1
    );
    assert_eq!(said[1].0, "B");
    assert!(!said[1].1.contains("left out"), "{}", said[1].1);
}
