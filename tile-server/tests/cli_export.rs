//! `riskmap export`: the layers asked for, filtered by box, area and level, read back with
//! an independent GeoJSON parser.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure

mod common;
use common::{generate, read_fc, riskmap as run};

#[test]
fn export_filters_by_level_and_bbox() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("city");
    generate(&data, 2000);
    let out_dir = tmp.path().join("out");
    let out = run(&[
        "export",
        "--quiet",
        data.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
        "--layer",
        "house_risk,risk_grid",
        "--level",
        "major,significant",
        "--bbox",
        "121.0,31.7,121.3,32.0",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let hr = read_fc(&out_dir.join("house_risk.geojson"));
    for f in &hr.features {
        let l = f.property("level").and_then(|v| v.as_str()).unwrap();
        assert!(l == "major" || l == "significant", "{l}");
    }
    assert!(
        !out_dir.join("houses.geojson").exists(),
        "only the asked layers"
    );
    let bad = run(&[
        "export",
        data.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
        "--level",
        "purple",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("purple"));

    // A level without --layer writes the four layers that have one, each filtered; the
    // conflicts and the ledgers (no level) are not written whole beside them.
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/haimen");
    let red = tmp.path().join("orange");
    let out = run(&[
        "export",
        demo,
        "--out",
        red.to_str().unwrap(),
        "--level",
        "橙",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut written: Vec<String> = std::fs::read_dir(&red)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".geojson"))
        .collect();
    written.sort();
    assert_eq!(
        written,
        [
            "enterprise_risk.geojson",
            "hazard_grades.geojson",
            "house_risk.geojson",
            "risk_grid.geojson"
        ]
    );
    // Every hazard source written is graded orange (an ungraded one has no level to keep).
    let all = tmp.path().join("all");
    let out = run(&[
        "export",
        "--quiet",
        demo,
        "--out",
        all.to_str().unwrap(),
        "--layer",
        "hazard_grades",
    ]);
    assert!(out.status.success());
    let every = read_fc(&all.join("hazard_grades.geojson"));
    let orange = every
        .features
        .iter()
        .filter(|f| f.property("level").and_then(|v| v.as_str()) == Some("significant"))
        .count();
    let ungraded = every
        .features
        .iter()
        .filter(|f| f.property("level").is_none())
        .count();
    assert!(
        orange > 0 && ungraded > 0,
        "{orange} significant, {ungraded} ungraded"
    );
    let kept = read_fc(&red.join("hazard_grades.geojson"));
    assert_eq!(kept.features.len(), orange);
    // A layer without levels, asked with a level: refused, naming it and those with one.
    let bad = run(&[
        "export",
        data.to_str().unwrap(),
        "--out",
        tmp.path().join("pc").to_str().unwrap(),
        "--layer",
        "house_risk,protection_conflicts",
        "--level",
        "major",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("protection_conflicts") && err.contains("risk_grid"),
        "{err}"
    );
    assert!(!tmp.path().join("pc").exists(), "nothing written");
}
