//! Several `riskmap serve --db` processes on one PostGIS database, as replicas behind a
//! load balancer, seen only through HTTP: an edit through either (`PATCH` with an editor
//! token of the `--config` file) is served by both within a second of its answer, and
//! both end at the database's last change (`/health`); a replica stopped while edits are
//! made, through the other or by plain SQL as QGIS would, serves them once started again
//! and then follows. tests/pg_replicas.rs checks the same with in-process servers.
//!
//! The database server comes from `RISKMAP_TEST_PG` (see tests/pg.rs); without it the
//! test says it is skipped.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use common::edit::{EDITOR, EDITOR_NAME};
use common::pg::{demo_db, psql, server};
use common::{ServeProcess, serve_process};
use riskmap_server::server::auth::{hash_token, hex};
use serde_json::{Value, json};

/// One HTTP/1.1 request with the editor's token on its own connection: the status and
/// the JSON body (`Null` when empty).
fn http(addr: SocketAddr, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
    let mut s = TcpStream::connect(addr).unwrap();
    let body = body.map(Value::to_string).unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {EDITOR}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut buf = String::new();
    s.read_to_string(&mut buf).unwrap();
    let (head, body) = buf.split_once("\r\n\r\n").expect("a whole answer");
    assert!(
        !head.to_ascii_lowercase().contains("transfer-encoding"),
        "{head}"
    );
    let status = head[9..12].parse().unwrap();
    let v = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
    };
    (status, v)
}

/// The configuration of a replica: the editor's token (its hash) and the database followed.
fn write_config(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("server.toml");
    let toml = format!(
        "watch = true\n\n[[tokens]]\nname = \"{EDITOR_NAME}\"\nrole = \"editor\"\nsha256 = \"{}\"\n",
        hex(&hash_token(EDITOR))
    );
    std::fs::write(&path, toml).unwrap();
    path
}

/// Polls `f` every 10 ms until it holds (at most 10 s); the time since `since`.
fn until(since: Instant, what: &str, f: impl Fn() -> bool) -> Duration {
    while !f() {
        assert!(
            since.elapsed() < Duration::from_secs(10),
            "not within 10 s: {what}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    since.elapsed()
}

/// A `riskmap serve --db URL --port 0 --config CFG` process.
struct Replica {
    _process: ServeProcess,
    addr: SocketAddr,
}

impl Replica {
    /// Starts one and waits until its `/health` says it listens to the database; how long
    /// that took since the start (its first load is in it).
    fn start(url: &str, config: &Path) -> (Replica, Duration) {
        let t0 = Instant::now();
        let (process, addr) = serve_process(&[
            "--db".as_ref(),
            url.as_ref(),
            "--port".as_ref(),
            "0".as_ref(),
            "--config".as_ref(),
            config.as_os_str(),
        ]);
        let r = Replica {
            _process: process,
            addr,
        };
        let took = until(t0, "connected to the database", || {
            r.health()["database"]["connected"] == true
        });
        (r, took)
    }

    fn health(&self) -> Value {
        let (status, v) = http(self.addr, "GET", "/health", None);
        assert_eq!(status, 200, "{v}");
        v
    }

    /// The last database change it serves.
    fn last_seq(&self) -> i64 {
        self.health()["database"]["last_seq"].as_i64().unwrap()
    }

    /// The occupants of house `id` as served.
    fn occupants(&self, id: &str) -> Option<u64> {
        let uri = format!("/api/layers/houses/features/{id}");
        let (status, v) = http(self.addr, "GET", &uri, None);
        assert_eq!(status, 200, "{v}");
        v["feature"]["properties"]["occupants"].as_u64()
    }

    /// `PATCH`es house `id` to `people` occupants; when the answer came. The answer waits
    /// until this replica serves the change, so it must serve it at once.
    fn patch(&self, id: &str, people: u64) -> Instant {
        let patch = json!({"type": "Feature", "properties": {"occupants": people}});
        let uri = format!("/api/layers/houses/features/{id}");
        let (status, v) = http(self.addr, "PATCH", &uri, Some(&patch));
        let answered = Instant::now();
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["feature"]["properties"]["occupants"], people, "{v}");
        assert_eq!(self.occupants(id), Some(people), "served when answered");
        answered
    }

    /// How long after `since` it serves `people` occupants in house `id`.
    fn seen(&self, since: Instant, id: &str, people: u64) -> Duration {
        until(
            since,
            &format!("{id} with {people} occupants served"),
            || self.occupants(id) == Some(people),
        )
    }
}

/// Both replicas end at the database's last change, and serve the same occupants.
fn same_change(a: &Replica, b: &Replica, url: &str, houses: &[String]) {
    let last: i64 = psql(url, "SELECT max(seq) FROM riskmap_changes")
        .parse()
        .unwrap();
    for r in [a, b] {
        until(Instant::now(), "at the last change", || {
            r.last_seq() == last
        });
    }
    for id in houses {
        assert_eq!(a.occupants(id), b.occupants(id), "{id}");
    }
}

#[test]
fn replica_processes_serve_each_others_edits_and_catch_up_after_a_restart() {
    let Some(server) = server() else { return };
    let url = demo_db(&server, "riskmap_replica_processes");
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path());
    let (a, _) = Replica::start(&url, &config);
    let (b, _) = Replica::start(&url, &config);
    let houses: Vec<String> = psql(&url, "SELECT id FROM houses ORDER BY id LIMIT 3")
        .lines()
        .map(String::from)
        .collect();
    let second = Duration::from_secs(1);

    // An edit through A, then one through B: the other serves each within a second.
    let answered = a.patch(&houses[0], 41);
    let a_to_b = b.seen(answered, &houses[0], 41);
    assert!(a_to_b < second, "A → B took {a_to_b:?}");
    let answered = b.patch(&houses[1], 42);
    let b_to_a = a.seen(answered, &houses[1], 42);
    assert!(b_to_a < second, "B → A took {b_to_a:?}");
    same_change(&a, &b, &url, &houses);

    // B stops; an edit through A and one in the database itself (no token: as QGIS).
    drop(b);
    a.patch(&houses[0], 51);
    let t = Instant::now();
    psql(
        &url,
        &format!(
            "UPDATE houses SET occupants = 52 WHERE id = '{}'",
            houses[1]
        ),
    );
    let sql_to_a = a.seen(t, &houses[1], 52);
    assert!(sql_to_a < second, "SQL → A took {sql_to_a:?}");
    // Started again, B serves both from its first load, then follows A.
    let (b, restart) = Replica::start(&url, &config);
    assert_eq!(b.occupants(&houses[0]), Some(51));
    assert_eq!(b.occupants(&houses[1]), Some(52));
    let answered = a.patch(&houses[2], 53);
    let after = b.seen(answered, &houses[2], 53);
    assert!(after < second, "A → restarted B took {after:?}");
    same_change(&a, &b, &url, &houses);
    eprintln!(
        "A → B {a_to_b:?}, B → A {b_to_a:?}, SQL → A {sql_to_a:?}, \
         B restarted and serving in {restart:?}, then A → B {after:?}"
    );
}
