//! The PostGIS store against a real PostgreSQL 15 + PostGIS 3: `riskmap db init` and
//! `riskmap import --db` run as a user would run them, and `psql` with PostGIS's own
//! functions checks what they wrote, edits a row as QGIS would and listens for the
//! notification.
//!
//! The database server comes from `RISKMAP_TEST_PG` (a URL of a superuser on a
//! throwaway cluster; scripts/test-all.sh starts a private one and sets it). Each test
//! makes a database of its own on it. Without the variable the tests say they are
//! skipped; under CI (`CI=true`) a missing database is a failure.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure

mod common;

use common::pg::{demo_dir, psql, server};
use common::{ok, riskmap};

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A new, empty database named `name` on the test server; its URL.
fn fresh_db(name: &str) -> Option<String> {
    Some(common::pg::fresh_db(&server()?, name))
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

/// The xmin (last writer transaction) of every table, index, function and trigger in
/// the database's public schema: equal before and after a run that changed nothing.
fn catalog_snapshot(url: &str) -> String {
    psql(
        url,
        "SELECT (SELECT string_agg(relname || ':' || xmin::text, ',' ORDER BY relname)
                 FROM pg_class WHERE relnamespace = 'public'::regnamespace)
             || '|' || (SELECT string_agg(proname || ':' || xmin::text, ',' ORDER BY proname)
                 FROM pg_proc WHERE proname LIKE 'riskmap%')
             || '|' || (SELECT string_agg(tgrelid::regclass::text || '.' || tgname || ':' || xmin::text, ','
                    ORDER BY tgrelid::regclass::text, tgname)
                 FROM pg_trigger WHERE tgname LIKE 'riskmap%')",
    )
}

#[test]
fn init_creates_the_schema_once() {
    let Some(url) = fresh_db("riskmap_test_init") else {
        return;
    };
    let first = ok(&["db", "init", "--db", &url]);
    assert!(first.contains("table houses"), "{first}");
    let before = catalog_snapshot(&url);
    let second = ok(&["db", "init", "--db", &url]);
    assert!(second.contains("nothing changed"), "{second}");
    assert_eq!(
        catalog_snapshot(&url),
        before,
        "the second init changed the catalog"
    );
    // A trigger function another release left (here one that records nothing) is
    // replaced by the next init, which then changes nothing again.
    psql(
        &url,
        "CREATE OR REPLACE FUNCTION riskmap_record_change() RETURNS trigger
         LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$",
    );
    let third = ok(&["db", "init", "--db", &url]);
    assert!(
        third.contains("function riskmap_record_change() (replaced)"),
        "{third}"
    );
    assert!(ok(&["db", "init", "--db", &url]).contains("nothing changed"));
    // The function in place records and announces who made a change: the session's
    // `riskmap.actor`.
    let heard = listen_during(&url, 3, || {
        psql(
            &url,
            "SET riskmap.actor = 'planning';
             INSERT INTO areas (id, geom, name)
               VALUES ('a-1', ST_GeomFromText('POINT(121.1 31.9)', 4326), '试验区')",
        );
    });
    assert_eq!(
        psql(
            &url,
            "SELECT actor || ' ' || op || ' ' || id FROM riskmap_changes"
        ),
        "planning insert a-1"
    );
    assert_eq!(heard.len(), 1, "{heard:?}");
    assert_eq!(heard[0]["actor"], "planning");
    assert_eq!(heard[0]["id"], "a-1");

    // One table per input layer; the houses' columns as docs/data-model.md lists them.
    assert_eq!(
        psql(
            &url,
            "SELECT string_agg(table_name, ',' ORDER BY table_name) FROM information_schema.tables
             WHERE table_schema = 'public' AND table_name NOT LIKE 'riskmap%'
               AND table_name NOT IN ('spatial_ref_sys', 'geometry_columns', 'geography_columns')"
        ),
        "areas,enterprises,gas_pipelines,hazard_sources,hidden_hazards,houses,protection_targets"
    );
    assert_eq!(
        psql(
            &url,
            "SELECT string_agg(column_name || ' ' || udt_name, ',' ORDER BY ordinal_position)
             FROM information_schema.columns WHERE table_name = 'houses'"
        ),
        "id text,geom geometry,address text,floors int8,house_use text,occupants int8,\
         appraisal text,rectification text,phone text,updated_at timestamptz"
    );
    assert_eq!(
        psql(
            &url,
            "SELECT type || ' ' || srid FROM geometry_columns WHERE f_table_name = 'houses'"
        ),
        "POLYGON 4326"
    );
    assert_eq!(
        psql(
            &url,
            "SELECT am.amname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
             JOIN pg_am am ON am.oid = c.relam
             WHERE i.indrelid = 'houses'::regclass AND c.relname = 'houses_geom_idx'"
        ),
        "gist"
    );
    assert_eq!(
        psql(&url, "SELECT version || ' ' || srid FROM riskmap_schema"),
        "1 4326"
    );
    // The SRID is chosen once.
    let out = riskmap(&["db", "init", "--db", &url, "--srid", "4490"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("SRID 4326, not 4490"), "{err}");
}

#[test]
fn init_with_cgcs2000() {
    let Some(url) = fresh_db("riskmap_test_cgcs2000") else {
        return;
    };
    ok(&["db", "init", "--db", &url, "--srid", "4490"]);
    ok(&["import", demo_dir().to_str().unwrap(), "--db", &url]);
    assert_eq!(
        psql(
            &url,
            "SELECT DISTINCT ST_SRID(geom)::text || ' ' || Find_SRID('public', 'enterprises', 'geom')
             FROM enterprises"
        ),
        "4490 4490"
    );
    let out = riskmap(&["db", "init", "--db", &url, "--srid", "3857"]);
    assert_eq!(out.status.code(), Some(1));
}

/// The numbers of a WKT string, in order.
fn numbers(wkt: &str) -> Vec<f64> {
    wkt.split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect()
}

/// The cells of the line of `id` in the demo's houses.csv (GBK), read here by hand.
fn demo_house(id: &str) -> Vec<String> {
    let bytes = std::fs::read(demo_dir().join("houses.csv")).unwrap();
    let (text, _, bad) = encoding_rs::GBK.decode(&bytes);
    assert!(!bad);
    let line = text
        .lines()
        .find(|l| l.starts_with(&format!("{id},")))
        .unwrap()
        .to_string();
    let (head, wkt) = line.split_once(",\"").unwrap();
    let mut cells: Vec<String> = head.split(',').map(String::from).collect();
    cells.push(wkt.trim_end_matches('"').to_string());
    cells
}

/// `(count, max seq)` of the change table.
fn changes(url: &str) -> String {
    psql(
        url,
        "SELECT count(*) || ' ' || coalesce(max(seq), 0) FROM riskmap_changes",
    )
}

#[test]
fn import_the_demo_then_edit_it_as_qgis_would() {
    let Some(url) = fresh_db("riskmap_test_import") else {
        return;
    };
    let demo = demo_dir();
    let stdout = ok(&["import", demo.to_str().unwrap(), "--db", &url]);
    // The demo: data/haimen/README.md gives houses, enterprises, hazard sources,
    // protection targets and hidden hazards; areas and pipelines are the features in their GeoJSON files.
    for (layer, n) in [
        ("areas", 11),
        ("enterprises", 400),
        ("hazard_sources", 50),
        ("gas_pipelines", 491),
        ("houses", 20_000),
        ("protection_targets", 250),
        ("hidden_hazards", 3_000),
    ] {
        assert_eq!(import_row(&stdout, layer), [n, 0, 0, 0], "{layer}");
        assert_eq!(
            psql(&url, &format!("SELECT count(*) FROM {layer}")),
            n.to_string()
        );
    }
    assert!(stdout.contains("validation: 0 skipped"), "{stdout}");
    assert_eq!(
        changes(&url).split(' ').next(),
        Some("24202"),
        "one insert row each"
    );
    assert_eq!(
        psql(
            &url,
            "SELECT DISTINCT actor || ' ' || op FROM riskmap_changes"
        ),
        "import insert"
    );

    // A house as PostGIS sees it against the CSV line read by hand.
    let cells = demo_house("house-0000002");
    let row = psql(
        &url,
        "SELECT ST_AsText(geom) || '|' || ST_SRID(geom) || '|' || ST_IsValid(geom) || '|'
                || address || '|' || floors || '|' || occupants
         FROM houses WHERE id = 'house-0000002'",
    );
    let parts: Vec<&str> = row.split('|').collect();
    assert_eq!(numbers(parts[0]), numbers(&cells[8]));
    assert!(parts[0].starts_with("POLYGON"), "{row}");
    assert_eq!(parts[1..3], ["4326", "true"]);
    assert_eq!(parts[3], cells[1], "address");
    assert_eq!(parts[4], cells[2], "floors");
    assert_eq!(parts[5], cells[4], "occupants");
    // An inventory is ledger text (`name(CAS)=tonnes;…`), as in the GeoPackage: the demo's
    // first hazard source, from its GeoJSON inventory (toluene 574 t, benzene 34.4 t,
    // acetone 230 t, sulphuric acid 225 t).
    assert_eq!(
        psql(
            &url,
            "SELECT inventory FROM hazard_sources WHERE id = 'hs-0001'"
        ),
        "甲苯(108-88-3)=574;苯(71-43-2)=34.4;丙酮(67-64-1)=230;硫酸(7664-93-9)=225"
    );

    // The same folder again: all unchanged, no change rows.
    let before = changes(&url);
    let stdout = ok(&["import", demo.to_str().unwrap(), "--db", &url]);
    assert_eq!(import_row(&stdout, "houses"), [0, 0, 0, 20_000]);
    assert_eq!(import_row(&stdout, "hazard_sources"), [0, 0, 0, 50]);
    assert_eq!(
        changes(&url),
        before,
        "an unchanged import wrote change rows"
    );

    // An edit in the database, as QGIS makes it, while another session listens.
    let heard = listen_during(&url, 4, || {
        psql(
            &url,
            "UPDATE houses SET floors = 9 WHERE id = 'house-0000002'",
        );
    });
    let edit = psql(
        &url,
        "SELECT seq || '|' || actor || '|' || layer || '|' || id || '|' || op || '|'
                || (before->>'floors') || '|' || (after->>'floors') || '|' || (after->>'address')
         FROM riskmap_changes WHERE seq = (SELECT max(seq) FROM riskmap_changes)",
    );
    let e: Vec<&str> = edit.split('|').collect();
    assert_eq!(
        e[1..],
        [
            "database",
            "houses",
            "house-0000002",
            "update",
            "2",
            "9",
            cells[1].as_str()
        ]
    );
    let n_before: u64 = before.split(' ').next().unwrap().parse().unwrap();
    assert_eq!(
        changes(&url).split(' ').next().unwrap(),
        (n_before + 1).to_string(),
        "one change row"
    );
    // The importer's change rows (written set-based) have the trigger's shape: the same
    // keys, and the same GeoJSON for the geometry the edit left alone.
    assert_eq!(
        psql(
            &url,
            "SELECT (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(i.after) k)
                    = (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(d.after) k)
                 AND i.after->'geom' = d.after->'geom'
                 AND i.after->'geom'->>'type' = 'Polygon'
             FROM riskmap_changes i, riskmap_changes d
             WHERE i.id = 'house-0000002' AND i.actor = 'import' AND i.op = 'insert'
               AND d.id = 'house-0000002' AND d.actor = 'database'"
        ),
        "t"
    );
    assert_eq!(heard.len(), 1, "{heard:?}");
    let v = &heard[0];
    assert_eq!(v["layer"], "houses");
    assert_eq!(v["id"], "house-0000002");
    assert_eq!(v["op"], "update");
    assert_eq!(v["seq"].to_string(), e[0]);
    assert_eq!(v["actor"], "database");

    // The folder again: the edit is undone, recorded as the import's.
    let stdout = ok(&["import", demo.to_str().unwrap(), "--db", &url]);
    assert_eq!(import_row(&stdout, "houses"), [0, 1, 0, 19_999]);
    assert_eq!(
        psql(
            &url,
            "SELECT actor || ' ' || op || ' ' || (after->>'floors') FROM riskmap_changes
             WHERE seq = (SELECT max(seq) FROM riskmap_changes)"
        ),
        "import update 2"
    );

    // A house struck from the ledger is deleted, with a change row.
    let tmp = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(&demo).unwrap() {
        let p = entry.unwrap().path();
        std::fs::copy(&p, tmp.path().join(p.file_name().unwrap())).unwrap();
    }
    let csv = tmp.path().join("houses.csv");
    let file = std::fs::File::open(&csv).unwrap();
    let kept: Vec<Vec<u8>> = BufReader::new(file)
        .split(b'\n')
        .map(Result::unwrap)
        .filter(|l| !l.starts_with(b"house-0000002,"))
        .collect();
    std::fs::write(&csv, kept.join(&b'\n')).unwrap();
    let before = changes(&url);
    let mut stdout = String::new();
    let heard = listen_during(&url, 10, || {
        stdout = ok(&["import", tmp.path().to_str().unwrap(), "--db", &url]);
    });
    assert_eq!(import_row(&stdout, "houses"), [0, 0, 1, 19_999]);
    assert_eq!(import_row(&stdout, "enterprises"), [0, 0, 0, 400]);
    assert_eq!(
        psql(
            &url,
            "SELECT count(*) FROM houses WHERE id = 'house-0000002'"
        ),
        "0"
    );
    let n_before: u64 = before.split(' ').next().unwrap().parse().unwrap();
    assert_eq!(
        changes(&url).split(' ').next().unwrap(),
        (n_before + 1).to_string()
    );
    assert_eq!(
        psql(
            &url,
            "SELECT actor || ' ' || op || ' ' || id || ' ' || (before->>'address') || ' '
                    || (after IS NULL) FROM riskmap_changes
             WHERE seq = (SELECT max(seq) FROM riskmap_changes)"
        ),
        format!("import delete house-0000002 {} true", cells[1])
    );
    // The import announces its change as the trigger does for other sessions.
    assert_eq!(heard.len(), 1, "{heard:?}");
    assert_eq!(heard[0]["layer"], "houses");
    assert_eq!(heard[0]["id"], "house-0000002");
    assert_eq!(heard[0]["op"], "delete");
    assert_eq!(heard[0]["actor"], "import");
    assert_eq!(
        heard[0]["seq"].to_string(),
        changes(&url).split(' ').nth(1).unwrap()
    );
}

/// Runs `f` while a psql session listens on `riskmap_changes` for `seconds`; the
/// payloads it was sent, as JSON.
fn listen_during(url: &str, seconds: u32, f: impl FnOnce()) -> Vec<serde_json::Value> {
    let sleep = format!("SELECT pg_sleep({seconds})");
    let listener = Command::new("psql")
        .args([
            "-X",
            "-q",
            "-d",
            url,
            "-c",
            "LISTEN riskmap_changes",
            "-c",
            &sleep,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while psql(
        url,
        &format!(
            "SELECT count(*) FROM pg_stat_activity
             WHERE query = '{sleep}' AND datname = current_database()"
        ),
    ) != "1"
    {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the listener never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    f();
    let done = listener.wait_with_output().unwrap();
    let heard =
        String::from_utf8_lossy(&done.stdout).into_owned() + &String::from_utf8_lossy(&done.stderr);
    heard
        .lines()
        .filter_map(|l| {
            let rest = l.split_once("with payload \"")?.1;
            Some(rest.rsplit_once("\" received")?.0.to_string())
        })
        .map(|p| serde_json::from_str(&p).unwrap())
        .collect()
}

#[test]
fn a_database_that_cannot_be_reached_is_an_error() {
    // A port nothing listens on (the discard port, refused on a test machine).
    let out = riskmap(&[
        "import",
        demo_dir().to_str().unwrap(),
        "--db",
        "postgres://nobody:secret@127.0.0.1:9/none",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("postgres://nobody@127.0.0.1:9/none: connecting"),
        "{err}"
    );
    assert!(!err.contains("secret"), "{err}");
}

/// `analyze --summary-only` of the folder and of the database give the same summary and
/// area summaries.
fn analyses_agree(folder: &str, url: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let (from_dir, from_db) = (tmp.path().join("dir"), tmp.path().join("db"));
    ok(&[
        "analyze",
        folder,
        "--summary-only",
        "--out",
        from_dir.to_str().unwrap(),
    ]);
    ok(&[
        "analyze",
        "--db",
        url,
        "--summary-only",
        "--out",
        from_db.to_str().unwrap(),
    ]);
    for file in ["summary.json", "area_summaries.json"] {
        let read = |d: &Path| -> serde_json::Value {
            serde_json::from_slice(&std::fs::read(d.join(file)).unwrap()).unwrap()
        };
        assert_eq!(read(&from_db), read(&from_dir), "{file}");
    }
}

#[test]
fn analyze_from_the_database_equals_analyze_on_the_folder() {
    let Some(url) = fresh_db("riskmap_test_analyze") else {
        return;
    };
    let demo = demo_dir();
    ok(&["import", demo.to_str().unwrap(), "--db", &url]);
    analyses_agree(demo.to_str().unwrap(), &url);
    // validate reads the same tables and finds nothing to skip; the report names them.
    let report = ok(&["validate", "--db", &url]);
    assert!(report.contains("riskmap_test_analyze/houses"), "{report}");
    // A source is a folder or a database, not both.
    let out = riskmap(&["validate", demo.to_str().unwrap(), "--db", &url]);
    assert_eq!(out.status.code(), Some(2));
}

/// A folder's words for the hidden hazards' stages go into the database with its
/// ledgers (`riskmap_status_words`), and a load of the database reads a row another
/// client wrote in those words as the folder's load would.
#[test]
fn a_provinces_status_words_go_into_the_database() {
    let Some(url) = fresh_db("riskmap_test_words") else {
        return;
    };
    // The GeoPackage store's test folder: 已交办 and 待复核 named in its riskmap.toml.
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../geo-core/tests/fixtures/status_words");
    let t = tempfile::tempdir().unwrap();
    ok(&["import", "--quiet", d.to_str().unwrap(), "--db", &url]);
    assert_eq!(
        psql(
            &url,
            "SELECT string_agg(word || '=' || stage, ',' ORDER BY word) FROM riskmap_status_words"
        ),
        "已交办=pending,待复核=rectified"
    );
    // Another client (QGIS) writes the province's word.
    psql(
        &url,
        "UPDATE hidden_hazards SET status = '已交办' WHERE id = 'YH2'",
    );
    // The ids `validate --db` reports as unknown values.
    let out = t.path().join("report.json");
    let unknown = || -> Vec<String> {
        ok(&["validate", "--db", &url, "--report", out.to_str().unwrap()]);
        let report: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
        report["issues"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["code"] == "unknown_value")
            .map(|i| i["feature_id"].as_str().unwrap_or("").to_string())
            .collect()
    };
    assert_eq!(unknown(), Vec::<String>::new());
    // Without the words, the same row is a word nobody said the meaning of.
    psql(&url, "DELETE FROM riskmap_status_words");
    assert_eq!(unknown(), ["YH2"]);
}

/// A word added to the database's `riskmap_status_words` by another client while the
/// database is served is followed (the table notifies its changes): the hidden hazards
/// are read again with it, and the edits from then on take it; a word taken out again
/// means nothing again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_words_changed_in_a_served_database_are_followed() {
    use common::pg::{connected, serve_db, until};
    use riskmap_core::model::HiddenHazardStatus as S;
    let Some(url) = fresh_db("riskmap_test_words_live") else {
        return;
    };
    // The fixture's folder names 已交办 and 待复核; another client (QGIS) writes
    // 已上报, a word nobody gave a meaning, into YH2 (待复核 in the ledger, rectified on
    // 2026-04-20): an unknown value, and the stage its dates give, 已整改待验收.
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../geo-core/tests/fixtures/status_words");
    ok(&["import", "--quiet", d.to_str().unwrap(), "--db", &url]);
    let state = serve_db(
        &url,
        riskmap_server::server::config::ServerConfig::default(),
    )
    .await;
    until(&state, 10, "listening", connected).await;
    let status = |id: &str| {
        let s = state.snapshot();
        s.dataset()
            .hidden_hazards
            .find_id(id)
            .unwrap()
            .1
            .props
            .status
    };
    assert_eq!(status("YH2"), S::Rectified);
    assert_eq!(state.snapshot().statuses.len(), 2);
    let gen0 = state.snapshot().generation;
    psql(
        &url,
        "UPDATE hidden_hazards SET status = '已上报' WHERE id = 'YH2'",
    );
    until(&state, 10, "the row followed", |s| {
        s.snapshot().generation > gen0
    })
    .await;
    assert_eq!(status("YH2"), S::Rectified);
    let gen0 = state.snapshot().generation;

    psql(
        &url,
        "INSERT INTO riskmap_status_words (word, stage) VALUES ('已上报', 'in_progress')",
    );
    until(&state, 10, "the new word followed", |s| {
        s.snapshot().generation > gen0
    })
    .await;
    assert_eq!(status("YH2"), S::InProgress);
    assert!(
        state
            .snapshot()
            .statuses
            .contains(&("已上报".to_string(), S::InProgress))
    );
    // The other hazards read as before.
    assert_eq!((status("YH1"), status("YH3")), (S::Pending, S::Pending));

    let gen1 = state.snapshot().generation;
    psql(
        &url,
        "DELETE FROM riskmap_status_words WHERE word = '已上报'",
    );
    until(&state, 10, "the word taken out followed", |s| {
        s.snapshot().generation > gen1
    })
    .await;
    // The word means nothing again: YH2 is at the stage its dates give.
    assert_eq!(state.snapshot().statuses.len(), 2);
    assert_eq!(status("YH2"), S::Rectified);
}

/// A district of more houses than two of the loader's parts (65,536 rows each), imported
/// into the database and streamed back a part at a time: the analysis equals the
/// folder's; a strict load that stops at a broken house in the middle of the table, while
/// the tables after it are still to be read, ends with that house's error.
#[test]
fn a_table_of_many_parts_loads_as_the_folder_it_came_from() {
    let Some(url) = fresh_db("riskmap_test_parts") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("district");
    let d = dir.to_str().unwrap();
    ok(&["generate", "--houses", "140000", "--quiet", "--out", d]);
    ok(&["import", d, "--db", &url, "--quiet"]);
    analyses_agree(d, &url);
    let report = tmp.path().join("report.json");
    // Every row of the houses' table read, as the database counts them.
    let rows: u64 = psql(&url, "SELECT count(*) FROM houses").parse().unwrap();
    assert_eq!(rows, 140_000);
    ok(&[
        "validate",
        "--db",
        &url,
        "--report",
        report.to_str().unwrap(),
    ]);
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let houses = r["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["file"].as_str().is_some_and(|n| n.ends_with("/houses")))
        .unwrap_or_else(|| panic!("no houses table in {r}"));
    assert_eq!(houses["features_read"], rows);
    // A house in the second part drawn as a bow tie by another client.
    let id = psql(
        &url,
        "SELECT id FROM houses ORDER BY id LIMIT 1 OFFSET 70000",
    );
    psql(
        &url,
        &format!(
            "UPDATE houses SET geom = ST_SetSRID(ST_MakePolygon(ST_MakeLine(ARRAY[\
             ST_PointN(ST_ExteriorRing(geom), 1), ST_Translate(ST_PointN(ST_ExteriorRing(geom), 1), 0.001, 0.001), \
             ST_Translate(ST_PointN(ST_ExteriorRing(geom), 1), 0.001, 0), ST_Translate(ST_PointN(ST_ExteriorRing(geom), 1), 0, 0.001), \
             ST_PointN(ST_ExteriorRing(geom), 1)])), ST_SRID(geom)) WHERE id = '{id}'"
        ),
    );
    let out = riskmap(&["validate", "--db", &url, "--strict"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains(&id), "{err}");
}

/// `apply_change` on its own: a change of the feature after the caller's last served one
/// makes the edit stale only when the caller does not hold it (`seen`), and a row another
/// session holds is waited for at most `lock_timeout`, then nothing is written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_is_stale_only_for_a_change_its_caller_lacks_and_waits_little_for_a_held_row() {
    use riskmap_core::live::Change;
    use riskmap_core::model::LayerKind;
    use riskmap_core::store::pg::{self, EditBy, EditOutcome};
    let Some(server) = server() else { return };
    let url = common::pg::demo_db(&server, "riskmap_test_edit_seen");
    let max_seq = || common::pg::last_change(&url);
    let (mut client, db) = pg::connect(&url).await.unwrap();
    let id = "house-0000071";
    let delete = Change {
        layer: LayerKind::Houses,
        id: id.into(),
        before: None,
        after: None,
    };
    let served = max_seq();
    // Another session changes the house after what the caller serves.
    psql(
        &url,
        &format!("UPDATE houses SET floors = 7 WHERE id = '{id}'"),
    );
    let other = max_seq();
    assert!(other > served);
    fn by(served_seq: i64, seen: &(dyn Fn(i64) -> bool + Sync)) -> EditBy<'_> {
        EditBy {
            actor: "tester",
            served_seq,
            seen,
            lock_timeout: Duration::from_millis(300),
        }
    }
    // Not held by the caller: stale, nothing written.
    let out = pg::apply_change(&mut client, &db, &delete, &by(served, &|_| false))
        .await
        .unwrap();
    assert_eq!(
        out,
        EditOutcome::Stale {
            seq: other,
            actor: "database".into()
        }
    );
    assert_eq!(max_seq(), other);
    let count = || {
        psql(
            &url,
            &format!("SELECT count(*) FROM houses WHERE id = '{id}'"),
        )
    };
    assert_eq!(count(), "1");

    // Held in an open transaction by another session: at most the lock's timeout.
    let holder = common::pg::holding(
        &url,
        &format!("UPDATE houses SET floors = 8 WHERE id = '{id}'"),
    )
    .await;
    let t0 = Instant::now();
    let out = pg::apply_change(&mut client, &db, &delete, &by(served, &|_| true))
        .await
        .unwrap();
    let waited = t0.elapsed();
    assert_eq!(out, EditOutcome::Locked);
    assert!(
        waited >= Duration::from_millis(250) && waited < Duration::from_secs(5),
        "{waited:?}"
    );
    holder.batch_execute("ROLLBACK").await.unwrap();
    assert_eq!(count(), "1");
    assert_eq!(max_seq(), other);

    // The caller holds the other change (it applied it itself): written, recorded as its.
    let out = pg::apply_change(&mut client, &db, &delete, &by(served, &|s| s == other))
        .await
        .unwrap();
    let mine = max_seq();
    assert_eq!(out, EditOutcome::Written { seq: Some(mine) });
    assert!(mine > other);
    assert_eq!(count(), "0");
    assert_eq!(
        psql(
            &url,
            &format!("SELECT actor || ' ' || op FROM riskmap_changes WHERE seq = {mine}")
        ),
        "tester delete"
    );
}
