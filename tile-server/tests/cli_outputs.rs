//! Where the commands write: an output file is checked before anything is loaded, and
//! never written over a file it is not.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure

mod common;

/// A report or an archive is written only to a file named as one, before anything is
/// loaded: `--out` naming a ledger of the folder is refused and the ledger left as it
/// was; a missing folder is made.
#[test]
fn an_output_file_is_checked_before_loading_and_its_folder_made() {
    let dir = tempfile::tempdir().unwrap();
    let data = common::demo_copy(dir.path());
    let ledger = data.join("houses.csv");
    let before = std::fs::read(&ledger).unwrap();
    for (cmd, out) in [
        ("report", ledger.clone()),
        ("tiles", ledger.clone()),
        ("report", data.clone()),
    ] {
        let o = common::riskmap(&[cmd, data.to_str().unwrap(), "--out", out.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{cmd} {}: {err}", out.display());
        assert!(err.contains(out.to_str().unwrap()), "{err}");
        // Refused before the folder was read.
        assert!(!err.contains("loading"), "{err}");
    }
    assert_eq!(std::fs::read(&ledger).unwrap(), before);
    let report = dir.path().join("审查材料/临江镇/报告.HTML");
    common::ok(&[
        "report",
        data.to_str().unwrap(),
        "--out",
        report.to_str().unwrap(),
    ]);
    assert!(std::fs::read_to_string(&report).unwrap().contains("<html"));
}

/// A report and the lists made of data not read whole say so in themselves: a ledger
/// file left out (its coordinates' columns renamed away) and a line refused are named
/// under the report's title and on the workbooks' sheet 数据说明; a command run with
/// `--quiet` still warns on its standard error.
#[test]
fn a_report_and_lists_of_data_not_read_whole_say_what_they_lack() {
    let dir = tempfile::tempdir().unwrap();
    let data = common::demo_copy(dir.path());
    rewrite_header(&data.join("enterprises.csv"), |header| {
        // (The demo's ledger is GBK.)
        let (header, _, bad) = encoding_rs::GBK.decode(header);
        assert!(!bad);
        let header = header.replace("经度,纬度,几何", "备用一,备用二,备用三");
        encoding_rs::GBK.encode(&header).0.into_owned()
    });
    let house = "house-0000007";
    common::break_footprint(&data, house);
    // The protection targets cut at three fifths (a copy not finished).
    let pt = data.join("protection_targets.geojson");
    let whole = std::fs::read(&pt).unwrap();
    std::fs::write(&pt, &whole[..whole.len() * 3 / 5]).unwrap();

    // The records left out, by the validation report's own count: those of the line
    // broken, of the hidden hazards and sources whose enterprise is gone, ….
    let json_report = dir.path().join("validation.json");
    let _ = common::riskmap(&[
        "validate",
        "--quiet",
        data.to_str().unwrap(),
        "--report",
        json_report.to_str().unwrap(),
    ]);
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json_report).unwrap()).unwrap();
    let records = v["issues"]
        .as_array()
        .unwrap()
        .iter()
        // (The file left out whole and the line a file is cut at are said on their own.)
        .filter(|i| {
            i["severity"] == "skipped"
                && !i["position"].is_null()
                && i["code"] != "broken_tail"
                && i["file"] != "enterprises.csv"
        })
        .count();
    assert!(records > 1, "{records}");
    let records = format!("{records} 条记录");
    let report = dir.path().join("报告.html");
    let o = common::riskmap(&[
        "report",
        "--quiet",
        data.to_str().unwrap(),
        "--out",
        report.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("warning: enterprises.csv (enterprises) was not read"),
        "{err}"
    );
    let html = std::fs::read_to_string(&report).unwrap();
    let notice = html
        .split(r#"<div class="left-out">"#)
        .nth(1)
        .and_then(|s| s.split("</div>").next())
        .expect("a notice of what was left out");
    assert!(
        notice.contains("enterprises.csv（企业台账）整个文件未读入"),
        "{notice}"
    );
    assert!(notice.contains(&records), "{notice}");
    assert!(
        notice.contains("protection_targets.geojson（防护目标台账）在文件末尾被截断"),
        "{notice}"
    );

    let lists = dir.path().join("清单");
    common::ok(&[
        "lists",
        "--quiet",
        data.to_str().unwrap(),
        "--out",
        lists.to_str().unwrap(),
    ]);
    use calamine::{Reader, Xlsx, open_workbook};
    for title in ["风险清单", "隐患清单"] {
        let mut wb: Xlsx<_> = open_workbook(lists.join(format!("{title}.xlsx"))).unwrap();
        assert_eq!(wb.sheet_names(), [title, "数据说明"]);
        let notes = wb.worksheet_range("数据说明").unwrap();
        let text: Vec<String> = notes.rows().map(|r| r[0].to_string()).collect();
        assert!(
            text.iter()
                .any(|t| t.starts_with("enterprises.csv（企业台账）整个文件未读入")),
            "{text:?}"
        );
        assert!(text.iter().any(|t| t.starts_with(&records)), "{text:?}");
    }

    // The demo as it is: no notice, no sheet.
    std::fs::create_dir(dir.path().join("whole")).unwrap();
    let whole = common::demo_copy(&dir.path().join("whole"));
    let report = dir.path().join("whole.html");
    common::ok(&[
        "report",
        "--quiet",
        whole.to_str().unwrap(),
        "--out",
        report.to_str().unwrap(),
    ]);
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(!html.contains(r#"<div class="left-out">"#));
}

/// An area the data does not have is the command line's to fix (exit 2, with the names
/// it has), as an unknown layer is; an area's name pasted with spaces around it is found.
#[test]
fn an_unknown_area_is_a_usage_error_and_spaces_around_a_name_are_passed_over() {
    let dir = tempfile::tempdir().unwrap();
    let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/haimen");
    let out = dir.path().join("r.html");
    let o = common::riskmap(&[
        "report",
        "--quiet",
        demo.to_str().unwrap(),
        "--area",
        "不存在镇",
        "--out",
        out.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("临江镇"), "the names it has: {err}");
    common::ok(&[
        "report",
        "--quiet",
        demo.to_str().unwrap(),
        "--area",
        " 临江镇 ",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        std::fs::read_to_string(&out)
            .unwrap()
            .contains("<h1>临江镇")
    );
}

/// A report made while the hidden-hazard ledger is not read (its header garbled) does not
/// say that no hazard is open: it says the ledger was not read.
#[test]
fn a_report_of_an_unread_hidden_hazard_ledger_does_not_say_none_is_open() {
    let dir = tempfile::tempdir().unwrap();
    let data = common::demo_copy(dir.path());
    // The header as GBK read as Latin-1 and saved as UTF-8: no column is known.
    rewrite_header(&data.join("hidden_hazards.csv"), |header| {
        encoding_rs::WINDOWS_1252
            .decode(header)
            .0
            .into_owned()
            .into_bytes()
    });
    let report = dir.path().join("报告.html");
    let o = common::riskmap(&[
        "report",
        "--quiet",
        data.to_str().unwrap(),
        "--out",
        report.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(html.contains("hidden_hazards.csv（隐患台账）整个文件未读入"));
    assert!(
        html.contains("隐患台账未读入（见报告开头的说明）"),
        "{html}"
    );
    assert!(!html.contains("没有未销号的隐患"));
}

/// Rewrites the first line of a ledger file with `f`, the rest as it is.
fn rewrite_header(path: &std::path::Path, f: impl FnOnce(&[u8]) -> Vec<u8>) {
    let text = std::fs::read(path).unwrap();
    let nl = text.iter().position(|b| *b == b'\n').unwrap();
    std::fs::write(path, [&f(&text[..nl])[..], &text[nl..]].concat()).unwrap();
}

/// `riskmap CMD DATA --out OUT --quiet`, which must succeed; its standard error.
fn quietly(cmd: &str, data: &std::path::Path, out: &std::path::Path) -> String {
    let o = common::riskmap(&[
        cmd,
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "{cmd}: {err}");
    err
}

/// A ledger whose every feature was skipped (its houses given the wrong coordinate
/// system in riskmap.toml: degrees read as zone metres) loads "as read" with nothing in
/// it: each command that analyses says so on standard error, even when quiet, with the
/// count and the reason most had; a ledger mostly read is not named.
#[test]
fn a_ledger_whose_features_were_all_skipped_is_warned_of() {
    let dir = tempfile::tempdir().unwrap();
    let data = common::demo_copy(dir.path());
    let toml = data.join("riskmap.toml");
    let mut text = std::fs::read_to_string(&toml).unwrap();
    text.push_str("\n[files.\"houses.csv\"]\ncrs = \"EPSG:4549\"\n");
    std::fs::write(&toml, text).unwrap();
    // (GBK: its lines counted as bytes; the header is not a house)
    let houses = std::fs::read(data.join("houses.csv"))
        .unwrap()
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        - 1;
    for cmd in ["analyze", "lists"] {
        let err = quietly(cmd, &data, &dir.path().join(format!("out-{cmd}")));
        let said = format!(
            "warning: houses.csv (houses): {houses} of its {houses} features were skipped, \
             {houses} of them conversion_failed"
        );
        assert!(err.contains(&said), "{cmd}: {err}");
        assert!(!err.contains("hidden_hazards"), "{cmd}: {err}");
    }
}

/// The demo's pipes declared in the zone of 123°E instead of 120°E land some 280 km
/// east: loaded, but far from everything, and the conflicts they would have are gone;
/// `analyze` says so on standard error, naming the file and the count.
#[test]
fn a_ledger_read_in_the_wrong_zone_is_warned_of() {
    let dir = tempfile::tempdir().unwrap();
    let data = common::demo_copy(dir.path());
    let pipes = data.join("gas_pipelines.geojson");
    let text = std::fs::read_to_string(&pipes).unwrap();
    assert!(
        text.contains("EPSG::4549"),
        "the demo's pipes name their zone"
    );
    std::fs::write(&pipes, text.replace("EPSG::4549", "EPSG::4550")).unwrap();
    let n = serde_json::from_str::<serde_json::Value>(&text).unwrap()["features"]
        .as_array()
        .unwrap()
        .len();
    let err = quietly("analyze", &data, &dir.path().join("out"));
    let said = format!(
        "warning: gas_pipelines.geojson (gas_pipelines): {n} of the file's {n} features lie \
         far from the areas"
    );
    assert!(err.contains(&said), "{err}");
}
