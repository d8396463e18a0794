//! End-to-end tests of the `riskmap` binary: generate a small city, analyse it, read the
//! exports back with an independent GeoJSON parser, and check what bad input gets.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure

mod common;
use common::{generate, read_fc};

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use riskmap_core::model::LayerKind;

fn riskmap() -> Command {
    Command::new(env!("CARGO_BIN_EXE_riskmap"))
}

fn run(args: &[&str]) -> Output {
    riskmap().args(args).output().expect("run riskmap")
}

/// Twice the signed area of a ring by the shoelace formula: positive when
/// counter-clockwise in lon/lat.
fn ring_area2(ring: &[serde_json::Value]) -> f64 {
    let xy = |p: &serde_json::Value| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap());
    ring.windows(2)
        .map(|w| {
            let (a, b) = (xy(&w[0]), xy(&w[1]));
            a.0 * b.1 - b.0 * a.1
        })
        .sum()
}

/// Reads an export with two parsers that are not ours (the `geojson` crate must accept
/// it; `serde_json` is used to walk it) and checks RFC 7946: no `crs`, an id on every
/// feature, lon/lat in range, closed rings, exteriors counter-clockwise, holes clockwise.
fn check_rfc7946(path: &Path) -> usize {
    let n = read_fc(path).features.len();
    let raw: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(
        raw.get("crs").is_none(),
        "{}: RFC 7946 has no crs member",
        path.display()
    );
    let pos = |p: &serde_json::Value| {
        let (x, y) = (p[0].as_f64().unwrap(), p[1].as_f64().unwrap());
        assert!(
            x.abs() <= 180.0 && y.abs() <= 90.0,
            "{}: {p} out of range",
            path.display()
        );
    };
    let poly = |rings: &serde_json::Value| {
        for (i, r) in rings.as_array().unwrap().iter().enumerate() {
            let r = r.as_array().unwrap();
            r.iter().for_each(pos);
            assert_eq!(r.first(), r.last(), "{}: ring not closed", path.display());
            let a = ring_area2(r);
            assert!(
                if i == 0 { a > 0.0 } else { a < 0.0 },
                "{}: ring {i} wound the wrong way",
                path.display()
            );
        }
    };
    for f in raw["features"].as_array().unwrap() {
        assert!(
            f.get("id").is_some(),
            "{}: feature without id",
            path.display()
        );
        let g = &f["geometry"];
        let c = &g["coordinates"];
        match g["type"].as_str().unwrap() {
            "Point" => pos(c),
            "MultiPoint" | "LineString" => c.as_array().unwrap().iter().for_each(pos),
            "MultiLineString" => c
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|l| l.as_array().unwrap())
                .for_each(pos),
            "Polygon" => poly(c),
            "MultiPolygon" => c.as_array().unwrap().iter().for_each(poly),
            other => panic!("{}: unexpected geometry {other}", path.display()),
        }
    }
    n
}

#[test]
fn analyze_writes_valid_rfc7946_exports_and_summary() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("city");
    generate(&data, 3000);
    let out_dir = tmp.path().join("out");
    let out = run(&[
        "analyze",
        data.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("hazard sources:"),
        "summary printed: {stderr}"
    );
    // Every layer, input and result, has its file.
    for name in LayerKind::all().map(LayerKind::name) {
        let n = check_rfc7946(&out_dir.join(format!("{name}.geojson")));
        if name != "protection_conflicts" && name != "pipeline_conflicts" {
            assert!(n > 0, "{name} is empty");
        }
    }
    // Personal data never leaves: the generated ledgers carry phone numbers.
    let raw = std::fs::read(data.join("houses.csv")).unwrap();
    let (houses_in, _, bad) = encoding_rs::GBK.decode(&raw);
    assert!(
        !bad && houses_in.starts_with("编号,地址"),
        "a GBK ledger with Chinese headers"
    );
    assert!(
        houses_in.contains("联系电话"),
        "the synthetic ledger has phones"
    );
    for name in ["houses", "house_risk", "enterprises", "enterprise_risk"] {
        let t = std::fs::read_to_string(out_dir.join(format!("{name}.geojson"))).unwrap();
        assert!(!t.contains("\"phone\""), "{name} leaks phone numbers");
    }
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["layers"]["houses"], 3000);
    let hr = read_fc(&out_dir.join("house_risk.geojson"));
    let by_level = |l: &str| {
        hr.features
            .iter()
            .filter(|f| f.property("level").and_then(|v| v.as_str()) == Some(l))
            .count()
    };
    assert_eq!(summary["houses"]["by_level"]["major"], by_level("major"));
    assert_eq!(summary["houses"]["by_level"]["low"], by_level("low"));
    assert!(
        out_dir.join("validation_report.json").exists()
            && out_dir.join("validation_report.md").exists()
    );
}

#[test]
fn generate_is_deterministic() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    generate(&a, 500);
    generate(&b, 500);
    for name in [
        "houses.csv",
        "enterprises.csv",
        "hazard_sources.geojson",
        "gas_pipelines.geojson",
        "protection_targets.geojson",
        "areas.geojson",
    ] {
        let fa = std::fs::read(a.join(name)).unwrap();
        let fb = std::fs::read(b.join(name)).unwrap();
        assert!(
            fa == fb,
            "{name} differs between two runs with the same seed"
        );
    }
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Houses with one good feature, one without geometry (h2) and one in projected metres
/// given as lon/lat (h3).
fn write_bad_houses(dir: &Path) {
    write(
        dir,
        "houses.geojson",
        r#"{"type":"FeatureCollection","features":[
        {"type":"Feature","id":"h1","geometry":{"type":"Point","coordinates":[121.2,31.9]},"properties":{"floors":2}},
        {"type":"Feature","id":"h2","geometry":null,"properties":{"floors":2}},
        {"type":"Feature","id":"h3","geometry":{"type":"Point","coordinates":[512345.0,3530000.0]},"properties":{}}
    ]}"#,
    );
}

#[test]
fn validate_reports_problems_and_strict_fails() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("bad");
    write_bad_houses(&data);
    let out = run(&["validate", data.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3), "skipped features ⇒ exit 3");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains("h2") && report.contains("h3"), "{report}");
    let strict = run(&[
        "analyze",
        "--strict",
        data.to_str().unwrap(),
        "--out",
        tmp.path().join("o").to_str().unwrap(),
    ]);
    assert_eq!(
        strict.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&strict.stderr)
    );
    let err = String::from_utf8_lossy(&strict.stderr);
    assert!(err.contains("houses.geojson"), "names the file: {err}");
    let missing = run(&[
        "analyze",
        tmp.path().join("nope").to_str().unwrap(),
        "--out",
        tmp.path().join("o2").to_str().unwrap(),
    ]);
    assert_eq!(missing.status.code(), Some(1));
}

#[test]
fn nothing_to_load_is_refused_and_the_demo_validates() {
    let tmp = tempfile::tempdir().unwrap();
    // An empty folder, and one with only a file of no layer: exit 3, saying so.
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let junk = tmp.path().join("junk");
    write(&junk, "notes.txt", "hello");
    for (dir, ignored) in [(&empty, ""), (&junk, "ignored: notes.txt")] {
        let out = run(&[
            "analyze",
            dir.to_str().unwrap(),
            "--out",
            tmp.path().join("o").to_str().unwrap(),
        ]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{err}");
        assert!(
            err.contains("no layer files found") && err.contains(ignored),
            "{err}"
        );
        assert!(!tmp.path().join("o").exists(), "nothing written");
    }
    // A file where a folder belongs: blamed on the argument, not on riskmap.toml.
    let file = write(tmp.path(), "passwd", "root:x:0:0:root:/root:/bin/bash\n");
    let out = run(&["validate", file.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("a file, not a data directory"), "{err}");
    assert!(!err.contains("riskmap.toml"), "{err}");
    // The shipped demo passes its own validation: sulfuric acid, outside GB 18218-2018,
    // is information (one per inventory line that names it), not a skipped line.
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/haimen");
    let out = run(&["validate", demo]);
    assert_eq!(out.status.code(), Some(0));
    let report = String::from_utf8_lossy(&out.stdout);
    let lines = std::fs::read_to_string(format!("{demo}/hazard_sources.geojson")).unwrap();
    let acid = lines.matches("\"7664-93-9\"").count();
    assert!(acid > 0);
    assert!(
        report.contains(&format!(
            "0 skipped, 0 repaired, 0 warning(s), {acid} for information"
        )),
        "{report}"
    );
    assert!(report.contains("| `outside_standard` |"), "{report}");
}

#[test]
fn serve_takes_the_same_load_options() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("bad");
    write_bad_houses(&data);
    // --strict stops on h2 before the server starts, as it does for analyze.
    let strict = run(&["serve", "--strict", "--port", "0", data.to_str().unwrap()]);
    assert_eq!(
        strict.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&strict.stderr)
    );
    let err = String::from_utf8_lossy(&strict.stderr);
    assert!(err.contains("houses.geojson"), "names the file: {err}");
    let enc = run(&["serve", "--encoding", "klingon", data.to_str().unwrap()]);
    assert_eq!(enc.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&enc.stderr).contains("--encoding"));
    let crs = run(&["serve", "--crs", "EPSG:99999999", data.to_str().unwrap()]);
    assert_eq!(crs.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&crs.stderr).contains("--crs"));
}

#[test]
fn rules_file_overrides_and_typos_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("city");
    generate(&data, 500);
    let rules = write(
        tmp.path(),
        "rules.toml",
        "[pipeline.clearence_m]\nlow = 2\n",
    );
    let out = run(&[
        "analyze",
        data.to_str().unwrap(),
        "--out",
        tmp.path().join("o").to_str().unwrap(),
        "--rules",
        rules.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("clearence_m"));
    let text = run(&["rules"]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("[pipeline.clearance_m]"));
}

#[test]
fn out_of_range_rules_are_refused_with_the_key_path() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("city");
    generate(&data, 200);
    for (text, expected) in [
        (
            "[protection.hazchem_enterprise]\ngeneral_3 = -50.0\n",
            "protection.hazchem_enterprise.general_3: -50 is negative; a distance must be ≥ 0",
        ),
        (
            "[enterprise]\nemployee_bands = [300, 100, 10]\n",
            "enterprise.employee_bands: [300, 100, 10] must increase",
        ),
        (
            "[protection.grade_2]\nimportant = -1\n",
            "protection.grade_2.important: -1 is negative",
        ),
        (
            "[site]\ndangerous_house_radius_m = -50\n",
            "site.dangerous_house_radius_m: -50 is negative",
        ),
        (
            "[grid]\nhazard_radius_m = -1500\n",
            "grid.hazard_radius_m: -1500 is negative",
        ),
        (
            "[enterprise]\nprotection_radius_m = -500\n",
            "enterprise.protection_radius_m: -500 is negative",
        ),
    ] {
        let rules = write(tmp.path(), "rules.toml", text);
        let out_dir = tmp.path().join("o");
        let out = run(&[
            "analyze",
            data.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
            "--rules",
            rules.to_str().unwrap(),
        ]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{text}: {stderr}");
        assert!(stderr.contains(expected), "{text}: {stderr}");
        assert!(!out_dir.exists(), "{text}: nothing is written");
    }
}

#[test]
fn printed_default_rules_parse_and_pass_the_checks() {
    let tmp = tempfile::tempdir().unwrap();
    let text = run(&["rules"]);
    assert!(text.status.success());
    let path = tmp.path().join("rules.toml");
    std::fs::write(&path, &text.stdout).unwrap();
    let rules = riskmap_core::rules::Rules::from_file(&path).expect("the printed rules load");
    assert_eq!(rules, riskmap_core::rules::Rules::default());
    assert_eq!(rules.problems(), []);
}

/// The files of a directory with their bytes, sorted by name.
fn files_of(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

/// Entries of `dir` whose names start with a dot (staging and set-aside directories).
fn hidden_entries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect()
}

#[test]
fn summary_only_replaces_the_whole_output_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("city");
    generate(&data, 200);
    let out_dir = tmp.path().join("o");
    let analyze = |extra: &[&str]| {
        let mut a = vec![
            "analyze",
            "--quiet",
            data.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
        ];
        a.extend_from_slice(extra);
        let out = run(&a);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    analyze(&[]);
    assert!(out_dir.join("houses.geojson").is_file());
    std::fs::write(out_dir.join("old-extra.geojson"), "stale").unwrap();
    analyze(&["--summary-only"]);
    let names: Vec<String> = files_of(&out_dir).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "area_summaries.json",
            "hidden_hazards_by_area.json",
            "run.json",
            "summary.json",
            "validation_report.json",
            "validation_report.md"
        ]
    );
    assert_eq!(hidden_entries(tmp.path()), Vec::<String>::new());
}

#[test]
fn an_unwritable_out_is_refused_before_loading() {
    let tmp = tempfile::tempdir().unwrap();
    let file = write(tmp.path(), "file.txt", "not a directory");
    let out_dir = file.join("out");
    // The data directory does not exist either: the destination must be refused first.
    let missing = tmp.path().join("no-such-data");
    let out = run(&[
        "analyze",
        missing.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(file.to_str().unwrap()), "{stderr}");
    assert!(!stderr.contains("no-such-data"), "{stderr}");
    // A directory that is not an earlier output is not replaced.
    let mine = tmp.path().join("mine");
    write(&mine, "notes.txt", "keep me");
    let out = run(&[
        "analyze",
        missing.to_str().unwrap(),
        "--out",
        mine.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("not the output of an earlier run"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(mine.join("notes.txt")).unwrap(),
        "keep me"
    );
}

#[test]
fn run_json_records_inputs_rules_and_outputs() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("city");
    generate(&data, 200);
    let rules = write(
        tmp.path(),
        "rules.toml",
        "[site]\ndangerous_house_radius_m = 60.0\n",
    );
    let out_dir = tmp.path().join("o");
    let out = run(&[
        "analyze",
        "--quiet",
        data.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
        "--rules",
        rules.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("run.json")).unwrap()).unwrap();
    assert_eq!(m["riskmap_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(m["command"], "analyze");
    assert!(
        m["arguments"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "--rules")
    );
    // Hashes from an independent tool: `sha256sum FILE` prints "HEX  FILE".
    let sha256sum = |p: &Path| {
        let o = Command::new("sha256sum")
            .arg(p)
            .output()
            .expect("sha256sum");
        String::from_utf8(o.stdout).unwrap()[..64].to_string()
    };
    let inputs = m["inputs"].as_array().unwrap();
    let mut listed: Vec<&str> = inputs.iter().map(|i| i["path"].as_str().unwrap()).collect();
    listed.sort_unstable();
    // Every ledger the generator wrote that the loader reads (its README is ignored).
    let mut expected: Vec<String> = std::fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "README.md")
        .collect();
    expected.sort();
    assert_eq!(listed, expected);
    for i in inputs {
        let p = data.join(i["path"].as_str().unwrap());
        assert_eq!(
            i["sha256"].as_str().unwrap(),
            sha256sum(&p),
            "{}",
            p.display()
        );
        assert_eq!(i["bytes"], std::fs::metadata(&p).unwrap().len());
    }
    assert_eq!(
        m["rules_file"]["sha256"].as_str().unwrap(),
        sha256sum(&rules)
    );
    // The rules as TOML are the effective rules, and their hash is over that text.
    let toml_text = m["rules"]["toml"].as_str().unwrap();
    let effective = riskmap_core::rules::Rules::from_toml_str(toml_text).unwrap();
    assert_eq!(effective.site.dangerous_house_radius_m, 60.0);
    let t = tmp.path().join("effective.toml");
    std::fs::write(&t, toml_text).unwrap();
    assert_eq!(m["rules"]["sha256"].as_str().unwrap(), sha256sum(&t));
    // Outputs: every file of the directory but run.json itself, with its size.
    let outputs: Vec<(String, u64)> = m["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["path"].as_str().unwrap().to_string(),
                o["bytes"].as_u64().unwrap(),
            )
        })
        .collect();
    let on_disk: Vec<(String, u64)> = files_of(&out_dir)
        .into_iter()
        .filter(|(n, _)| n != "run.json")
        .map(|(n, b)| (n, b.len() as u64))
        .collect();
    assert_eq!(outputs, on_disk);
    assert!(m["started"].as_str().unwrap() <= m["finished"].as_str().unwrap());
}

/// A run that fails or is killed while writing leaves the previous output as it was. The
/// failure is real: a file-size limit (`ulimit -f`, in 512-byte blocks for `sh`) stops the
/// write of the first layer larger than 10 KiB. With the default action of SIGXFSZ the
/// process is killed mid-write; with the signal ignored the write fails with EFBIG, which
/// stands for a full disk.
#[cfg(unix)]
#[test]
fn a_failed_or_killed_write_leaves_the_previous_output() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("city");
    generate(&data, 500);
    let out_dir = tmp.path().join("o");
    let bin = env!("CARGO_BIN_EXE_riskmap");
    let args = [
        "analyze",
        "--quiet",
        data.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ];
    let first = run(&args);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let before = files_of(&out_dir);
    assert!(
        before
            .iter()
            .any(|(n, b)| n == "houses.geojson" && b.len() > 10 * 1024)
    );

    // Killed: SIGXFSZ ends the process while it writes.
    let killed = Command::new("sh")
        .arg("-c")
        .arg(r#"ulimit -f 20; exec "$0" "$@""#)
        .arg(bin)
        .args(args)
        .output()
        .unwrap();
    assert!(!killed.status.success());
    assert_eq!(files_of(&out_dir), before, "the old output is untouched");

    // Failed: with SIGXFSZ ignored the write returns an error that names the file.
    let failed = Command::new("sh")
        .arg("-c")
        .arg(r#"trap '' XFSZ; ulimit -f 20; exec "$0" "$@""#)
        .arg(bin)
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert_eq!(failed.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(".o.tmp-") && stderr.contains(".geojson"),
        "{stderr}"
    );
    assert_eq!(files_of(&out_dir), before, "the old output is untouched");
    // The failed run removed its staging directory; only the killed run's is left.
    let hidden = hidden_entries(tmp.path());
    assert_eq!(hidden.len(), 1, "{hidden:?}");
    assert!(hidden[0].starts_with(".o.tmp-"), "{hidden:?}");
}

/// The `new changed removed unchanged` columns of one layer in `import`'s table.
fn import_row(stdout: &str, layer: &str) -> [usize; 4] {
    let line = stdout
        .lines()
        .find(|l| l.split_whitespace().next() == Some(layer))
        .unwrap_or_else(|| panic!("no {layer} row in {stdout}"));
    let n: Vec<usize> = line
        .split_whitespace()
        .skip(1)
        .map(|v| v.parse().unwrap())
        .collect();
    [n[0], n[1], n[2], n[3]]
}

#[test]
fn import_writes_then_updates_a_geopackage_by_id() {
    let tmp = tempfile::tempdir().unwrap();
    let city = tmp.path().join("city");
    generate(&city, 300);
    let loaded = riskmap_core::io::load_dir(&city, &Default::default()).unwrap();
    let gpkg = tmp.path().join("city.gpkg");
    let into = gpkg.to_str().unwrap();
    let out = run(&["import", city.to_str().unwrap(), "--into", into]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (kind, n) in loaded.dataset.counts() {
        assert_eq!(import_row(&stdout, kind.name()), [n, 0, 0, 0], "{kind}");
    }
    assert!(stdout.contains("validation: 0 skipped"), "{stdout}");
    let back = riskmap_core::store::gpkg::load(&gpkg, &Default::default())
        .unwrap()
        .dataset;
    assert_eq!(back.counts(), loaded.dataset.counts());

    // The same ledgers again: every row unchanged.
    let out = run(&["import", city.to_str().unwrap(), "--into", into]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0));
    let houses = loaded.dataset.houses.len();
    assert_eq!(import_row(&stdout, "houses"), [0, 0, 0, houses]);

    // A file that is not a GeoPackage is refused and left as it was.
    let notes = write(tmp.path(), "notes.gpkg", "not a database\n");
    let out = run(&[
        "import",
        city.to_str().unwrap(),
        "--into",
        notes.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("not a GeoPackage"), "{err}");
    assert_eq!(std::fs::read_to_string(&notes).unwrap(), "not a database\n");
}
