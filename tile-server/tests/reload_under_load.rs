//! Reload under load: the real server (the `riskmap` binary on port 0) serves tiles and
//! the catalog to 64 concurrent connections while its data files are truncated, removed
//! and restored and `POST /admin/reload` runs again and again. No request may fail, and
//! once the files are back the counts are the original ones.
//!
//! About 10 s here; `scripts/soak-reload.sh SECONDS` runs it longer
//! (`RISKMAP_SOAK_SECS`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

mod common;

/// One HTTP/1.1 request on its own connection (`Connection: close`): the status code and
/// the body. A minimal blocking client on a thread per connection is enough here and keeps
/// the test's dependencies lean.
fn request(addr: SocketAddr, method: &str, path: &str) -> std::io::Result<(u16, Vec<u8>)> {
    let mut s = std::net::TcpStream::connect(addr)?;
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer t\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    s.write_all(req.as_bytes())?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf)?;
    let status = buf
        .get(9..12)
        .and_then(|c| std::str::from_utf8(c).ok())
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status line"))?;
    let start = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(buf.len(), |p| p + 4);
    Ok((status, buf[start..].to_vec()))
}

fn json(addr: SocketAddr, path: &str) -> serde_json::Value {
    let (status, body) = request(addr, "GET", path).unwrap();
    assert_eq!(status, 200, "{path}");
    serde_json::from_slice(&body).unwrap()
}

fn start(dir: &Path, config: &Path) -> (common::ServeProcess, SocketAddr) {
    common::serve_process(&[dir.as_os_str(), "--config".as_ref(), config.as_os_str()])
}

/// Tiles around the middle of the data at zooms 8 to 14.
fn tiles(bounds: &[f64]) -> Vec<String> {
    let lon = (bounds[0] + bounds[2]) / 2.0;
    let lat = (bounds[1] + bounds[3]) / 2.0;
    let mut out = Vec::new();
    for z in 8..=14u8 {
        let n = f64::from(1u32 << z);
        let x = ((lon + 180.0) / 360.0 * n).floor() as u32;
        let lr = lat.to_radians();
        let y = ((1.0 - (lr.tan() + 1.0 / lr.cos()).ln() / std::f64::consts::PI) / 2.0 * n).floor()
            as u32;
        for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
            out.push(format!(
                "/tiles/risk_grid,houses,protection_targets,areas/{z}/{}/{}.mvt",
                x + dx,
                y + dy
            ));
        }
    }
    out
}

#[test]
fn reloads_of_broken_files_under_load_lose_nothing_and_fail_no_request() {
    let secs: u64 = std::env::var("RISKMAP_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(8);
    let tmp = tempfile::tempdir().unwrap();
    let (orig, data) = (common::city(), tmp.path().join("data"));
    let restore = |name: &str| {
        std::fs::copy(orig.join(name), data.join(name)).unwrap();
    };
    std::fs::create_dir(&data).unwrap();
    for e in std::fs::read_dir(orig).unwrap() {
        restore(e.unwrap().file_name().to_str().unwrap());
    }
    let config = tmp.path().join("server.toml");
    std::fs::write(&config, "port = 0\nadmin_token = \"t\"\n").unwrap();
    let (_server, addr) = start(&data, &config);

    let health = json(addr, "/health");
    let original = health["features"].clone();
    let catalog = json(addr, "/catalog");
    let bounds: Vec<f64> = catalog["bounds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let mut paths = tiles(&bounds);
    paths.push("/catalog".into());

    let deadline = Instant::now() + Duration::from_secs(secs);
    let clients: Vec<_> = (0..64)
        .map(|i| {
            let paths = paths.clone();
            std::thread::spawn(move || {
                let (mut ok, mut bad) = (0u64, Vec::new());
                let mut k = i;
                while Instant::now() < deadline {
                    let path = &paths[k % paths.len()];
                    k += 7;
                    match request(addr, "GET", path) {
                        Ok((200 | 204 | 304, _)) => ok += 1,
                        Ok((s, body)) => {
                            bad.push(format!("{path}: {s} {}", String::from_utf8_lossy(&body)));
                        }
                        Err(e) => bad.push(format!("{path}: {e}")),
                    }
                }
                (ok, bad)
            })
        })
        .collect();

    // Meanwhile: break a file, reload (refused), restore; until the deadline.
    let mut reloads = std::collections::BTreeMap::<(String, u16), u64>::new();
    let mut round = 0;
    while Instant::now() < deadline {
        let what = match round % 3 {
            0 => {
                let f = std::fs::OpenOptions::new()
                    .write(true)
                    .open(data.join("protection_targets.geojson"))
                    .unwrap();
                let len = f.metadata().unwrap().len();
                f.set_len(len * 2 / 5).unwrap();
                "truncated protection_targets.geojson"
            }
            1 => {
                std::fs::remove_file(data.join("houses.csv")).unwrap();
                "removed houses.csv"
            }
            _ => {
                std::fs::write(data.join("enterprises.csv"), b"").unwrap();
                "emptied enterprises.csv"
            }
        };
        let (status, body) = request(addr, "POST", "/admin/reload").unwrap();
        assert_eq!(status, 422, "{what}: {}", String::from_utf8_lossy(&body));
        *reloads.entry((what.to_string(), status)).or_default() += 1;
        for name in [
            "protection_targets.geojson",
            "houses.csv",
            "enterprises.csv",
        ] {
            restore(name);
        }
        let (status, body) = request(addr, "POST", "/admin/reload").unwrap();
        assert_eq!(status, 200, "restored: {}", String::from_utf8_lossy(&body));
        *reloads.entry(("restored".into(), status)).or_default() += 1;
        round += 1;
    }

    let mut total = 0;
    let mut failures = Vec::new();
    for c in clients {
        let (ok, bad) = c.join().unwrap();
        total += ok;
        failures.extend(bad);
    }
    println!("{total} requests served, reloads: {reloads:?}");
    assert!(
        failures.is_empty(),
        "{} failed: {:?}",
        failures.len(),
        &failures[..failures.len().min(10)]
    );
    assert!(round >= 1, "no reload finished within {secs} s");

    // Files restored and reloaded: the counts are the original ones.
    let (status, _) = request(addr, "POST", "/admin/reload").unwrap();
    assert_eq!(status, 200);
    let health = json(addr, "/health");
    assert_eq!(health["features"], original);
    assert_eq!(health["last_reload"]["outcome"], "reloaded");
}
