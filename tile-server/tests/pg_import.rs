//! `riskmap import --db` again over a store that holds the ledgers: a line the checks
//! refuse, or a layer whose ledger is missing, is not taken for features the office
//! removed (as on a GeoPackage, `cli_gpkg.rs`). Against the PostgreSQL + PostGIS that
//! `RISKMAP_TEST_PG` names (scripts/test-all.sh starts a private one).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure

mod common;

use common::pg::{psql, server};
use common::riskmap;

/// The import's numbers for `layer`: new, changed, removed, unchanged, kept.
fn counts_of(stdout: &str, layer: &str) -> Vec<u64> {
    stdout
        .lines()
        .find(|l| l.split_whitespace().next() == Some(layer))
        .unwrap_or_else(|| panic!("no line for {layer} in {stdout}"))
        .split_whitespace()
        .skip(1)
        .map(|n| n.parse().unwrap())
        .collect()
}

#[test]
fn an_import_keeps_the_rows_of_refused_lines_and_of_missing_ledgers() {
    let Some(server) = server() else { return };
    let url = common::pg::fresh_db(&server, "riskmap_import_kept");
    let dir = tempfile::tempdir().unwrap();
    let data = common::demo_copy(dir.path());
    let import = || {
        let out = riskmap(&["import", data.to_str().unwrap(), "--db", &url]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    };
    import();
    let houses: u64 = psql(&url, "SELECT count(*) FROM houses").parse().unwrap();
    let deletes = || {
        psql(
            &url,
            "SELECT count(*) FROM riskmap_changes WHERE op = 'delete'",
        )
    };

    common::break_footprint(&data, "house-0000020");
    let out = import();
    let printed = String::from_utf8_lossy(&out.stdout);
    assert_eq!(counts_of(&printed, "houses"), [0, 0, 0, houses - 1, 1]);
    assert_eq!(
        psql(
            &url,
            "SELECT count(*) FROM houses WHERE id = 'house-0000020'"
        ),
        "1"
    );
    assert_eq!(deletes(), "0");

    std::fs::remove_file(data.join("houses.csv")).unwrap();
    let out = import();
    let printed = String::from_utf8_lossy(&out.stdout);
    assert_eq!(counts_of(&printed, "houses"), [0, 0, 0, 0, houses]);
    assert_eq!(counts_of(&printed, "hidden_hazards")[2], 0);
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("houses: the folder's ledgers of this layer were not all read")
    );
    assert_eq!(
        psql(&url, "SELECT count(*) FROM houses"),
        houses.to_string()
    );
    assert_eq!(deletes(), "0");
}
