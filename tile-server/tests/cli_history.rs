//! `riskmap history` and `riskmap token new` through the built binary: the trail an
//! import leaves in a GeoPackage, read back as a table and as JSON (and counted with
//! GDAL's `ogrinfo`), a token whose printed entry holds its SHA-256, and the server's log
//! naming who edited what with it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure

use std::path::Path;
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_riskmap"))
        .args(args)
        .output()
        .expect("run riskmap")
}

fn ok(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn houses(dir: &Path, features: &[(&str, f64, u32)]) {
    let fs: Vec<String> = features
        .iter()
        .map(|(id, x, floors)| {
            format!(
                r#"{{"type":"Feature","id":"{id}","geometry":{{"type":"Point","coordinates":[{x},31.9]}},"properties":{{"地址":"海门路{id}","层数":{floors}}}}}"#
            )
        })
        .collect();
    std::fs::write(
        dir.join("houses.geojson"),
        format!(
            r#"{{"type":"FeatureCollection","features":[{}]}}"#,
            fs.join(",")
        ),
    )
    .unwrap();
}

#[test]
fn history_lists_what_each_import_changed() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let gpkg = tmp.path().join("city.gpkg");
    houses(&data, &[("h1", 121.1, 3), ("h2", 121.2, 2)]);
    ok(&run(&["import", s(&data), "--into", s(&gpkg)]));
    // h1 gets two more floors, h2 is gone, h3 is new.
    houses(&data, &[("h1", 121.1, 5), ("h3", 121.3, 1)]);
    ok(&run(&["import", s(&data), "--into", s(&gpkg)]));

    let table = ok(&run(&["history", s(&gpkg)]));
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 6, "{table}");
    assert!(lines[0].starts_with("seq") && lines[0].contains("changes"));
    let cols = |l: &str| -> Vec<String> { l.split_whitespace().map(str::to_string).collect() };
    // seq, at, actor, op, layer, id, then what changed.
    let row = cols(lines[1]);
    assert_eq!(&row[..1], ["1"]);
    assert_eq!(&row[2..6], ["import", "insert", "houses", "h1"]);
    let row = cols(lines[3]);
    assert_eq!(&row[..1], ["3"]);
    assert_eq!(&row[2..6], ["import", "update", "houses", "h1"]);
    assert!(lines[3].ends_with("floors: 3 → 5"), "{}", lines[3]);
    let row = cols(lines[4]);
    assert_eq!(&row[3..6], ["insert", "houses", "h3"]);
    let row = cols(lines[5]);
    assert_eq!(&row[3..6], ["delete", "houses", "h2"]);

    // Filters.
    let h1 = ok(&run(&[
        "history",
        s(&gpkg),
        "--layer",
        "自建房",
        "--id",
        "h1",
    ]));
    assert_eq!(h1.lines().count(), 3, "{h1}");
    let later = ok(&run(&["history", s(&gpkg), "--since", "3"]));
    assert_eq!(later.lines().count(), 3, "{later}");
    assert_eq!(
        ok(&run(&["history", s(&gpkg), "--id", "nope"])).trim(),
        "no changes"
    );
    let bad = run(&["history", s(&gpkg), "--layer", "risk_grid"]);
    assert_eq!(bad.status.code(), Some(2));

    // JSON: the features before and after in full.
    let json: serde_json::Value =
        serde_json::from_str(&ok(&run(&["history", s(&gpkg), "--json", "--since", "2"]))).unwrap();
    let a = json.as_array().unwrap();
    assert_eq!(a.len(), 3);
    assert_eq!(a[0]["seq"], 3);
    assert_eq!(a[0]["op"], "update");
    assert_eq!(a[0]["changed"], serde_json::json!(["floors"]));
    assert_eq!(a[0]["before"]["properties"]["floors"], 3);
    assert_eq!(a[0]["after"]["properties"]["floors"], 5);
    assert_eq!(
        a[0]["after"]["geometry"]["coordinates"],
        serde_json::json!([121.1, 31.9])
    );
    assert_eq!(a[2]["op"], "delete");
    assert_eq!(a[2]["after"], serde_json::Value::Null);
    assert_eq!(a[2]["before"]["properties"]["address"], "海门路h2");

    // GDAL sees the trail as a table of the GeoPackage.
    let out = Command::new("ogrinfo")
        .args([
            "-ro",
            "-q",
            s(&gpkg),
            "-sql",
            "SELECT count(*) AS n, max(seq) AS last, sum(actor = 'import') AS imports FROM riskmap_changes",
        ])
        .output()
        .expect("ogrinfo not runnable: install gdal-bin");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for want in [
        "n (Integer) = 5",
        "last (Integer) = 5",
        "imports (Integer) = 5",
    ] {
        assert!(text.contains(want), "{want} not in {text}");
    }
}

#[test]
fn a_long_history_is_listed_whole_in_order_and_a_reader_may_stop_early() {
    // 4,500 houses: an import leaves 4,500 records, more than two of the pages the
    // listing reads at a time (2,000).
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let gpkg = tmp.path().join("city.gpkg");
    let n = 4_500usize;
    let ids: Vec<String> = (0..n).map(|i| format!("h{i}")).collect();
    let hs: Vec<(&str, f64, u32)> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), 121.0 + i as f64 * 1e-4, 2))
        .collect();
    houses(&data, &hs);
    ok(&run(&["import", s(&data), "--into", s(&gpkg)]));

    // The table: a head, then every record once, by sequence, its columns aligned
    // across pages (the ids grow from 2 to 5 characters along the way).
    let table = ok(&run(&["history", s(&gpkg)]));
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), n + 1);
    let seqs: Vec<usize> = lines[1..]
        .iter()
        .map(|l| l.split_whitespace().next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(seqs, (1..=n).collect::<Vec<_>>());
    // The id column starts at the same place on the first row and the last.
    let col = |l: &str, id: &str| l.find(&format!(" {id} ")).unwrap();
    assert_eq!(col(lines[1], "h0"), col(lines[n], "h4499"));

    // JSON: one array of every record.
    let json: serde_json::Value =
        serde_json::from_str(&ok(&run(&["history", s(&gpkg), "--json"]))).unwrap();
    let a = json.as_array().unwrap();
    assert_eq!(a.len(), n);
    assert_eq!(a[0]["seq"], 1);
    assert_eq!(a[n - 1]["seq"], n);
    assert_eq!(a[n - 1]["after"]["properties"]["address"], "海门路h4499");
    // Past the last page: none, as a table and as JSON.
    let since = n.to_string();
    assert_eq!(
        ok(&run(&["history", s(&gpkg), "--since", &since])).trim(),
        "no changes"
    );
    let none: serde_json::Value = serde_json::from_str(&ok(&run(&[
        "history",
        s(&gpkg),
        "--since",
        &since,
        "--json",
    ])))
    .unwrap();
    assert_eq!(none, serde_json::json!([]));

    // A reader that takes one line and goes (`| head -1`): the listing ends quietly.
    let mut child = Command::new(env!("CARGO_BIN_EXE_riskmap"))
        .args(["history", s(&gpkg)])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    {
        use std::io::BufRead as _;
        let stdout = child.stdout.take().unwrap();
        std::io::BufReader::new(stdout)
            .read_line(&mut first)
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(first.starts_with("seq"), "{first}");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn token_new_prints_a_token_and_the_entry_of_its_hash() {
    let out = ok(&run(&["token", "new", "zhang-san", "--role", "editor"]));
    let token = out
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("rmk_"))
        .expect("a token line")
        .to_string();
    assert_eq!(token.len(), 4 + 64);
    let hash_line = out
        .lines()
        .find(|l| l.starts_with("sha256 = "))
        .expect("the entry's hash");
    // The hash, as sha256sum computes it.
    let mut sum = Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    sum.stdin
        .take()
        .unwrap()
        .write_all(token.as_bytes())
        .unwrap();
    let sum = sum.wait_with_output().unwrap();
    let hex = String::from_utf8_lossy(&sum.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    assert_eq!(hash_line, format!("sha256 = \"{hex}\""));
    assert!(
        out.contains("name = \"zhang-san\"\nrole = \"editor\"\n"),
        "{out}"
    );
    // Twice: two different tokens.
    let again = ok(&run(&["token", "new", "zhang-san"]));
    assert!(!again.contains(&token));
    assert_eq!(
        run(&["token", "new", "x", "--role", "owner"]).status.code(),
        Some(2)
    );
}

/// One HTTP/1.1 request on its own connection: the status line's code.
fn http(addr: std::net::SocketAddr, method: &str, path: &str, token: &str, body: &str) -> u16 {
    use std::io::{Read as _, Write as _};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    answer[9..12].parse().unwrap()
}

/// The office's audit record is in the server's log by default: an edit with its
/// token's holder, the feature and the generation serving it, and a refused token.
#[test]
fn the_log_names_who_edited_what_and_a_refused_token() {
    use std::io::{BufRead as _, BufReader};
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let gpkg = tmp.path().join("city.gpkg");
    houses(&data, &[("h1", 121.1, 3), ("h2", 121.2, 2)]);
    ok(&run(&["import", s(&data), "--into", s(&gpkg)]));
    let made = ok(&run(&["token", "new", "li-si", "--role", "editor"]));
    let token = made
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("rmk_"))
        .unwrap()
        .to_string();
    let entry = &made[made.find("[[tokens]]").unwrap()..];
    let cfg = tmp.path().join("server.toml");
    std::fs::write(&cfg, format!("watch = false\n{entry}")).unwrap();
    let log = tmp.path().join("serve.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_riskmap"))
        .args(["serve", s(&gpkg), "--config", s(&cfg), "--port", "0"])
        .env_remove("RISKMAP_LOG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr: std::net::SocketAddr = loop {
        let line = lines.next().expect("listening").unwrap();
        if let Some(a) = line.strip_prefix("listening on http://") {
            break a.trim().parse().unwrap();
        }
    };
    let path = "/api/layers/houses/features/h1";
    let edit = r#"{"properties":{"层数":4}}"#;
    let codes = (
        http(addr, "PATCH", path, &token, edit),
        http(addr, "PATCH", path, "rmk_not_ours", edit),
    );
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(codes, (200, 401));
    let said = std::fs::read_to_string(&log).unwrap();
    let line = said
        .lines()
        .find(|l| l.contains("audit") && l.contains(" edit "))
        .unwrap_or_else(|| panic!("no edit in the log: {said}"));
    for part in ["by=li-si", "houses", "id=h1", "update", "generation=2"] {
        assert!(line.contains(part), "{part}: {line}");
    }
    assert!(
        said.lines()
            .any(|l| l.contains("audit") && l.contains("request refused: unknown token")),
        "{said}"
    );
    assert!(!said.contains(&token), "the token itself is never logged");
}
