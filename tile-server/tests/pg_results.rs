//! `riskmap analyze --db URL --write-results` against a real PostgreSQL + PostGIS: the
//! result tables read back with plain SQL and compared with the GeoJSON export of the same
//! layers (`riskmap export --db`), listed by GDAL as a GIS reader lists them, compared
//! with the tables of a GeoPackage written from the same ledgers, replaced by a second
//! run; the ledgers and the change table left as they were.
//!
//! The database server comes from `RISKMAP_TEST_PG` (see tests/pg.rs); each test makes a
//! database of its own on it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure

mod common;

use common::pg::{demo_dir, psql, server};
use common::{ogrinfo, ok_steps};

use std::path::Path;

use serde_json::Value;

/// The result layers and their tables, in the order they are written.
const LAYERS: [&str; 6] = [
    "protection_conflicts",
    "pipeline_conflicts",
    "house_risk",
    "enterprise_risk",
    "hazard_grades",
    "risk_grid",
];

const LEDGERS: [&str; 6] = [
    "areas",
    "enterprises",
    "hazard_sources",
    "gas_pipelines",
    "houses",
    "protection_targets",
];

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn read_json(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

/// Every ledger table as text (its rows in id order, geometry and `updated_at` included)
/// and the change table's count and last number: equal before and after a run that
/// leaves them alone.
fn ledgers_and_changes(url: &str) -> String {
    let mut out = String::new();
    for t in LEDGERS {
        out += &psql(
            url,
            &format!(
                "SELECT count(*) || ':' || md5(string_agg(t::text, '|' ORDER BY id)) FROM {t} t"
            ),
        );
        out.push('\n');
    }
    out + &psql(
        url,
        "SELECT count(*) || ' ' || coalesce(max(seq), 0) FROM riskmap_changes",
    )
}

/// The GDAL connection string of a `postgres://user@host:port/db` URL.
fn gdal_pg(url: &str) -> String {
    let rest = url.strip_prefix("postgres://").unwrap();
    let (auth, rest) = rest.split_once('@').unwrap();
    let (hostport, dbname) = rest.split_once('/').unwrap();
    let (host, port) = hostport.split_once(':').unwrap_or((hostport, "5432"));
    let (user, password) = auth.split_once(':').unwrap_or((auth, ""));
    let mut c = format!("PG:host={host} port={port} user={user} dbname={dbname}");
    if !password.is_empty() {
        c += &format!(" password={password}");
    }
    c
}

/// What `ogrinfo -so` says of a layer's schema: geometry type, feature count, the
/// geometry column and the fields with their OGR types and constraints (`id: String NOT
/// NULL`), in order; `fid` and the geometry column are not fields in either store. The
/// widths (`(0.0)`, `(1.0)` of a boolean) are left out.
fn ogr_schema(info: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut fields = false;
    for l in info.lines().map(str::trim) {
        if l.starts_with("Geometry: ") || l.starts_with("Feature Count: ") {
            out.push(l.to_string());
        } else if l.starts_with("Geometry Column = ") {
            out.push(l.to_string());
            fields = true;
        } else if fields {
            let (name_type, rest) = l.split_once(" (").expect("a field line");
            let (_, after) = rest.split_once(')').expect("a width");
            out.push(format!("{name_type}{after}"));
        }
    }
    out
}

/// The numbers of a WKT string or of GeoJSON coordinates, in order.
fn numbers(text: &str) -> Vec<f64> {
    text.split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == 'e'))
        .filter(|s| !s.is_empty() && *s != "e")
        .map(|s| s.parse().unwrap())
        .collect()
}

/// The columns a property of the export becomes, with their values: records of plain
/// values one column per member, `reasons` as `rule: text` joined by `; ` (and
/// `reasons_zh`), other lists and records as JSON text.
fn expected_columns(k: &str, v: &Value) -> Vec<(String, Value)> {
    let plain = |v: &Value| !matches!(v, Value::Array(_) | Value::Object(_));
    match v {
        Value::Object(o) if o.values().all(plain) => o
            .iter()
            .map(|(m, mv)| (format!("{k}_{m}"), mv.clone()))
            .collect(),
        // Counts per level, low to major: a column per level.
        Value::Array(a)
            if ["houses", "enterprises", "grid_cells", "inside_by_level"].contains(&k)
                && a.len() == 4 =>
        {
            ["low", "general", "significant", "major"]
                .iter()
                .zip(a)
                .map(|(level, n)| (format!("{k}_{level}"), n.clone()))
                .collect()
        }
        Value::Array(a) if k == "reasons" => {
            let joined = |key: &str| {
                if a.is_empty() {
                    return Value::Null;
                }
                let parts: Vec<String> = a
                    .iter()
                    .map(|r| {
                        format!(
                            "{}: {}",
                            r["rule"].as_str().unwrap(),
                            r[key].as_str().unwrap()
                        )
                    })
                    .collect();
                Value::String(parts.join("; "))
            };
            vec![
                ("reasons".into(), joined("text")),
                ("reasons_zh".into(), joined("text_zh")),
            ]
        }
        Value::Array(_) | Value::Object(_) => vec![(k.to_string(), Value::String(v.to_string()))],
        _ => vec![(k.to_string(), v.clone())],
    }
}

/// `got` (a column of `to_jsonb(row)`) is the exported value `want`: the same JSON type,
/// numbers equal to the last bit but for a float column holding an integer.
fn same(want: &Value, got: &Value) -> bool {
    match (want, got) {
        (Value::Number(a), Value::Number(b)) => {
            let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
            a == b || (a - b).abs() <= 1e-12 * a.abs().max(1.0)
        }
        (a, b) => a == b,
    }
}

/// Compares the row `fid` of `table` with the exported feature `f` (which must be the
/// same row: the tables keep the export's order): id, geometry type, coordinates (the
/// export rounds them to 7 decimals), SRID and every property.
fn check_row(url: &str, table: &str, fid: usize, f: &Value, srid: i32) {
    let row: Value = serde_json::from_str(&psql(
        url,
        &format!("SELECT (to_jsonb(t) - 'geom')::text FROM {table} t WHERE fid = {fid}"),
    ))
    .unwrap();
    assert_eq!(row["id"], f["id"], "{table} fid {fid}");
    let geo = psql(
        url,
        &format!(
            "SELECT ST_SRID(geom) || '|' || replace(ST_GeometryType(geom), 'ST_', '') || '|' \
             || ST_AsText(geom) FROM {table} WHERE fid = {fid}"
        ),
    );
    let mut parts = geo.splitn(3, '|');
    let (got_srid, got_type, wkt) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    assert_eq!(got_srid, srid.to_string(), "{table} fid {fid}");
    assert_eq!(
        got_type,
        f["geometry"]["type"].as_str().unwrap(),
        "{table} fid {fid}"
    );
    let (a, b) = (
        numbers(wkt),
        numbers(&f["geometry"]["coordinates"].to_string()),
    );
    assert_eq!(a.len(), b.len(), "{table} fid {fid}: {wkt}");
    for (x, y) in a.iter().zip(&b) {
        assert!((x - y).abs() <= 0.6e-7, "{table} fid {fid}: {x} vs {y}");
    }
    let props = f["properties"].as_object().unwrap();
    let mut seen = vec!["fid".to_string(), "id".to_string()];
    for (k, v) in props {
        for (col, want) in expected_columns(k, v) {
            assert!(
                same(&want, &row[&col]),
                "{table} fid {fid} column {col}: {} in the table, {want} exported",
                row[&col]
            );
            seen.push(col);
        }
    }
    // Nothing else but the names of the two features a conflict is between.
    for (col, v) in row.as_object().unwrap() {
        if !seen.contains(col) && !v.is_null() {
            assert!(
                [
                    "source_name",
                    "target_name",
                    "pipeline_name",
                    "feature_name"
                ]
                .contains(&col.as_str()),
                "{table} fid {fid}: column {col} = {v} is not exported"
            );
        }
    }
}

#[test]
fn results_written_into_the_database_are_the_export_and_replace_the_previous_ones() {
    let Some(server) = server() else {
        return;
    };
    let url = common::pg::fresh_db(&server, "riskmap_test_results");
    let demo = demo_dir();
    ok_steps(&["db", "init", "--db", &url]);
    ok_steps(&["import", s(&demo), "--db", &url]);
    let tmp = tempfile::tempdir().unwrap();
    let exported = tmp.path().join("export");
    ok_steps(&[
        "export",
        "--db",
        &url,
        "--out",
        s(&exported),
        "--layer",
        &LAYERS.join(","),
    ]);
    let before = ledgers_and_changes(&url);
    let t0 = psql(&url, "SELECT now()");

    let out = tmp.path().join("out");
    let err = ok_steps(&["analyze", "--db", &url, "--out", s(&out), "--write-results"]);
    let reported = err
        .lines()
        .find(|l| l.contains("writing results into"))
        .unwrap_or_else(|| panic!("no results step in {err}"));
    assert!(!reported.contains("password"), "{reported}");

    let summaries = read_json(&out.join("area_summaries.json"));
    let summaries = summaries.as_array().unwrap();
    // The demo's 11 areas and what lies outside every area.
    assert_eq!(summaries.len(), 12);
    let mut tables: Vec<(String, usize)> = Vec::new();
    for layer in LAYERS {
        let fc = read_json(&exported.join(format!("{layer}.geojson")));
        tables.push((
            format!("result_{layer}"),
            fc["features"].as_array().unwrap().len(),
        ));
    }
    tables.push(("result_area_summaries".into(), summaries.len()));
    // The demo has conflicts of both kinds, every house and a grid.
    assert!(tables.iter().all(|(_, n)| *n > 0), "{tables:?}");
    assert_eq!(tables[2].1, 20_000, "a level per house");

    // The step lists the tables and counts, in order.
    let list: Vec<String> = tables.iter().map(|(t, n)| format!("{t} {n}")).collect();
    assert!(reported.contains(&list.join(", ")), "{reported}");

    for (t, n) in &tables {
        assert_eq!(
            psql(&url, &format!("SELECT count(*) FROM {t}")),
            n.to_string(),
            "{t}"
        );
        // The store's SRID, declared and held; a GiST index and the primary key; the
        // comment with the time of this run; no trigger.
        assert_eq!(
            psql(&url, &format!("SELECT Find_SRID('public', '{t}', 'geom')")),
            "4326"
        );
        assert_eq!(
            psql(
                &url,
                &format!("SELECT count(*) FROM {t} WHERE ST_SRID(geom) <> 4326")
            ),
            "0"
        );
        let indexes = psql(
            &url,
            &format!("SELECT string_agg(indexdef, E'\\n') FROM pg_indexes WHERE tablename = '{t}'"),
        );
        assert!(indexes.contains("USING gist (geom)"), "{indexes}");
        assert!(
            indexes.contains(&format!(
                "UNIQUE INDEX {t}_pkey ON public.{t} USING btree (fid)"
            )),
            "{indexes}"
        );
        let comment = psql(
            &url,
            &format!("SELECT obj_description('{t}'::regclass, 'pg_class')"),
        );
        assert!(
            comment.starts_with("RiskMap analysis result, written by riskmap "),
            "{comment}"
        );
        let at = comment
            .split(" at ")
            .nth(1)
            .unwrap()
            .split(';')
            .next()
            .unwrap();
        assert_eq!(
            psql(
                &url,
                &format!(
                    "SELECT '{at}'::timestamptz BETWEEN '{t0}'::timestamptz - interval '1 second' AND now()"
                )
            ),
            "t",
            "{comment}"
        );
        assert_eq!(
            psql(
                &url,
                &format!("SELECT count(*) FROM pg_trigger WHERE tgrelid = '{t}'::regclass")
            ),
            "0"
        );
    }
    // Column types as the values are: a distance is a float, a flag a boolean, a count
    // an integer, an id text.
    let ty = |t: &str, c: &str| {
        psql(
            &url,
            &format!(
                "SELECT data_type FROM information_schema.columns \
                 WHERE table_name = '{t}' AND column_name = '{c}'"
            ),
        )
    };
    assert_eq!(
        ty("result_protection_conflicts", "shortfall_m"),
        "double precision"
    );
    assert_eq!(ty("result_hazard_grades", "is_major"), "boolean");
    assert_eq!(ty("result_risk_grid", "population"), "bigint");
    assert_eq!(ty("result_house_risk", "id"), "text");
    assert_eq!(ty("result_house_risk", "fid"), "bigint");
    assert_eq!(
        psql(
            &url,
            "SELECT type FROM geometry_columns WHERE f_table_name = 'result_protection_conflicts'"
        ),
        "LINESTRING"
    );

    // Rows against the export: the first, one in the middle and the last of each layer.
    for (i, layer) in LAYERS.iter().enumerate() {
        let fc = read_json(&exported.join(format!("{layer}.geojson")));
        let features = fc["features"].as_array().unwrap();
        let n = features.len();
        for pos in [0, n / 2, n - 1] {
            check_row(&url, &tables[i].0, pos + 1, &features[pos], 4326);
        }
    }
    // A house with reasons, so that their text is compared too.
    let houses = read_json(&exported.join("house_risk.geojson"));
    let (pos, house) = houses["features"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .find(|(_, f)| {
            f["properties"]["reasons"]
                .as_array()
                .is_some_and(|r| r.len() > 1)
        })
        .expect("a house with two reasons");
    check_row(&url, "result_house_risk", pos + 1, house, 4326);
    // Every area summary, its counts one column each, against area_summaries.json.
    for (pos, sm) in summaries.iter().enumerate() {
        let row: Value = serde_json::from_str(&psql(
            &url,
            &format!(
                "SELECT (to_jsonb(t) - 'geom')::text FROM result_area_summaries t WHERE fid = {}",
                pos + 1
            ),
        ))
        .unwrap();
        assert_eq!(row["id"], sm["id"]);
        for (k, v) in sm.as_object().unwrap() {
            for (col, want) in expected_columns(k, v) {
                assert!(
                    same(&want, &row[&col]),
                    "area {} {col}: {} vs {want}",
                    sm["id"],
                    row[&col]
                );
            }
        }
    }
    // Every area's summary has its polygon; the one outside every area has none.
    assert_eq!(
        psql(
            &url,
            "SELECT string_agg(fid || ' ' || GeometryType(geom), ',' ORDER BY fid) FILTER (WHERE geom IS NOT NULL)
               || '|' || string_agg(fid::text, ',') FILTER (WHERE geom IS NULL)
             FROM result_area_summaries"
        ),
        format!(
            "{}|12",
            (1..=11).map(|i| format!("{i} POLYGON")).collect::<Vec<_>>().join(",")
        )
    );
    // The names beside the ids of a conflict are the ledgers' names.
    assert_eq!(
        psql(
            &url,
            "SELECT count(*) FROM result_protection_conflicts r
             JOIN hazard_sources h ON h.id = r.source_id
             WHERE r.source_layer = 'hazard_sources' AND r.source_name IS DISTINCT FROM h.name"
        ),
        "0"
    );

    // GDAL (what QGIS reads PostGIS with) lists the table with its geometry column and
    // count.
    let info = ogrinfo(&[&gdal_pg(&url), "result_protection_conflicts", "-so"]);
    assert!(info.contains("Geometry Column = geom"), "{info}");
    assert!(info.contains("Geometry: Line String"), "{info}");
    assert!(
        info.contains(&format!("Feature Count: {}\n", tables[0].1)),
        "{info}"
    );

    // The ledgers and the change table are as they were.
    assert_eq!(ledgers_and_changes(&url), before);

    // A second run replaces: a row added by hand and a result table of an older run are
    // gone, every count is the analysis's again and the numbering starts from 1.
    psql(
        &url,
        "INSERT INTO result_house_risk (id) VALUES ('added by hand');
         CREATE TABLE result_of_an_older_run (x integer)",
    );
    let out2 = tmp.path().join("out2");
    ok_steps(&[
        "analyze",
        "--db",
        &url,
        "--out",
        s(&out2),
        "--write-results",
    ]);
    for (t, n) in &tables {
        assert_eq!(
            psql(
                &url,
                &format!("SELECT count(*) || ' ' || max(fid) FROM {t}")
            ),
            format!("{n} {n}"),
            "{t}"
        );
    }
    assert_eq!(
        psql(&url, "SELECT to_regclass('result_of_an_older_run') IS NULL"),
        "t"
    );
    assert_eq!(
        psql(
            &url,
            "SELECT count(*) FROM pg_class WHERE relname LIKE 'result\\_%' AND relkind = 'r'"
        ),
        tables.len().to_string()
    );
    assert_eq!(ledgers_and_changes(&url), before);

    // The same ledgers imported into a GeoPackage and analysed there give tables GDAL
    // describes the same way: geometry type, count, fields and their types.
    let gpkg = tmp.path().join("demo.gpkg");
    ok_steps(&["import", s(&demo), "--into", s(&gpkg)]);
    ok_steps(&[
        "analyze",
        s(&gpkg),
        "--summary-only",
        "--out",
        s(&tmp.path().join("o3")),
        "--write-results",
    ]);
    for (t, _) in &tables {
        let a = ogr_schema(&ogrinfo(&["-so", &gdal_pg(&url), t]));
        let b = ogr_schema(&ogrinfo(&["-so", s(&gpkg), t]));
        assert!(
            a.len() > 5 && a.contains(&"Geometry Column = geom".to_string()),
            "{t}: {a:?}"
        );
        assert_eq!(a, b, "{t}: PostGIS, then GeoPackage");
    }
}

#[test]
fn results_take_the_srid_of_a_cgcs2000_store() {
    let Some(server) = server() else {
        return;
    };
    let url = common::pg::fresh_db(&server, "riskmap_test_results_4490");
    ok_steps(&["db", "init", "--db", &url, "--srid", "4490"]);
    ok_steps(&["import", s(&demo_dir()), "--db", &url]);
    let tmp = tempfile::tempdir().unwrap();
    ok_steps(&[
        "analyze",
        "--db",
        &url,
        "--summary-only",
        "--out",
        s(tmp.path()),
        "--write-results",
    ]);
    for layer in LAYERS
        .iter()
        .map(|l| format!("result_{l}"))
        .chain(["result_area_summaries".to_string()])
    {
        assert_eq!(
            psql(
                &url,
                &format!(
                    "SELECT Find_SRID('public', '{layer}', 'geom') || ' ' || count(*) FILTER (WHERE ST_SRID(geom) <> 4490) FROM {layer}"
                )
            ),
            "4490 0",
            "{layer}"
        );
    }
}
