//! What the HTTP tests share: a small generated city, the application over it, and
//! requests sent without a socket.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)] // each test file uses a part

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use riskmap_server::server::config::ServerConfig;
use riskmap_server::server::state::{AppState, DataSource, build_snapshot};
use tower::ServiceExt;

pub mod edit;
pub mod pg;

#[path = "../../../tests/support/process_temp.rs"]
pub mod process_temp;

/// A GDAL program (`args[0]`: ogrinfo, ogr2ogr; scripts/ensure-gdal.sh) with the rest of
/// `args`: its output, or a failure that names the command.
pub fn gdal(args: &[&str]) -> String {
    let out = Command::new(args[0])
        .args(&args[1..])
        .output()
        .expect("GDAL not runnable: install gdal-bin (scripts/ensure-gdal.sh)");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// GDAL's `ogrinfo` with `args`: its output, or a failure.
pub fn ogrinfo(args: &[&str]) -> String {
    gdal(&[&["ogrinfo"], args].concat())
}

/// A generated city shared by the tests (generation is deterministic).
pub fn city() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = process_temp::process_temp_dir();
        let out = dir.path().to_str().unwrap();
        ok(&["generate", "--quiet", "--houses", "3000", "--out", out]);
        dir
    })
    .path()
}

/// The served source loaded and analysed afresh, with the served configuration: what
/// a map that followed its changes must equal.
pub async fn fresh_snapshot(state: &AppState) -> riskmap_server::server::state::Snapshot {
    let (c, s) = (state.config.clone(), state.source.clone());
    tokio::task::spawn_blocking(move || build_snapshot(&c, &s, 1))
        .await
        .unwrap()
        .unwrap()
}

pub fn state_with(config: ServerConfig, token: Option<&str>) -> Arc<AppState> {
    let snap = build_snapshot(&config, &DataSource::dir(city()), 1).unwrap();
    Arc::new(AppState::new(
        config,
        DataSource::dir(city()),
        snap,
        token.map(String::from),
    ))
}

pub async fn send(
    app: &axum::Router,
    req: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, headers, body)
}

pub fn get(uri: &str) -> Request<Body> {
    Request::builder()
        .uri(uri)
        .header(header::HOST, "test.local")
        .body(Body::empty())
        .unwrap()
}

pub fn gunzip(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(b)
        .read_to_end(&mut out)
        .unwrap();
    out
}

pub fn json(b: &[u8]) -> serde_json::Value {
    serde_json::from_slice(b).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(b)))
}

/// A tile over the middle of the city's data at zoom z.
pub fn centre_tile(app_bounds: [f64; 4], z: u8) -> (u32, u32) {
    let lon = (app_bounds[0] + app_bounds[2]) / 2.0;
    let lat = (app_bounds[1] + app_bounds[3]) / 2.0;
    let n = f64::from(1u32 << z);
    let x = ((lon + 180.0) / 360.0 * n).floor() as u32;
    let lr = lat.to_radians();
    let y =
        ((1.0 - (lr.tan() + 1.0 / lr.cos()).ln() / std::f64::consts::PI) / 2.0 * n).floor() as u32;
    (x, y)
}

/// A tile over the middle of the data an app serves (its catalog's bounds) at zoom z.
pub async fn served_centre_tile(app: &axum::Router, z: u8) -> (u32, u32) {
    let (_, _, cat) = send(app, get("/catalog")).await;
    let b: Vec<f64> = json(&cat)["bounds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    centre_tile([b[0], b[1], b[2], b[3]], z)
}

/// The built `riskmap`, run with `args`.
pub fn riskmap(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_riskmap"))
        .args(args)
        .output()
        .expect("riskmap runs")
}

/// `riskmap args`, which must succeed (its standard error otherwise); its output.
fn succeeded(args: &[&str]) -> Output {
    let out = riskmap(args);
    assert!(
        out.status.success(),
        "riskmap {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `riskmap generate` of a city of `houses` houses into `dir`.
pub fn generate(dir: &Path, houses: usize) {
    ok(&[
        "generate",
        "--quiet",
        "--out",
        dir.to_str().unwrap(),
        "--houses",
        &houses.to_string(),
    ]);
}

/// A GeoJSON file read as a FeatureCollection by the `geojson` crate (a reader of its own).
pub fn read_fc(path: &Path) -> geojson::FeatureCollection {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let gj: geojson::GeoJson = text
        .parse()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    geojson::FeatureCollection::try_from(gj).expect("a FeatureCollection")
}

/// `riskmap args`, which must succeed; its standard output.
pub fn ok(args: &[&str]) -> String {
    String::from_utf8_lossy(&succeeded(args).stdout).into_owned()
}

/// `riskmap args`, which must succeed; its standard error, where the steps are reported.
pub fn ok_steps(args: &[&str]) -> String {
    String::from_utf8_lossy(&succeeded(args).stderr).into_owned()
}

/// A tile as a comparable text per layer: each feature's properties and geometry
/// commands, sorted (the order of features and their numeric ids follow the order the
/// features came into the layer, which taking a change back, or a reload, does not
/// keep). Empty for an empty tile (204).
pub fn canonical(body: &[u8]) -> std::collections::BTreeMap<String, Vec<String>> {
    let mut out = std::collections::BTreeMap::new();
    if body.is_empty() {
        return out;
    }
    let tile = riskmap_tests::mvt_check::decode(body).expect("a valid tile");
    for l in &tile.layers {
        let mut feats: Vec<String> = l
            .features
            .iter()
            .map(|f| {
                let mut tags: Vec<String> = f
                    .tags
                    .chunks(2)
                    .map(|kv| {
                        let v = match &l.values[kv[1] as usize] {
                            riskmap_tests::mvt_check::Value::String(s) => s.clone(),
                            other => format!("{other:?}"),
                        };
                        format!("{}={v}", l.keys[kv[0] as usize])
                    })
                    .collect();
                tags.sort();
                format!("{tags:?} {:?}", f.commands)
            })
            .collect();
        feats.sort();
        out.insert(l.name.clone(), feats);
    }
    out
}

/// The tile at `uri`, which must be served, as [`canonical`].
pub async fn canonical_tile(
    app: &axum::Router,
    uri: &str,
) -> std::collections::BTreeMap<String, Vec<String>> {
    let (s, _, body) = send(app, get(uri)).await;
    assert!(s.is_success(), "{uri}: {s}");
    canonical(&body)
}

/// A `riskmap serve` process, stopped when the test ends, however it ends.
pub struct ServeProcess(std::process::Child);

impl ServeProcess {
    /// Sends SIGTERM (systemd's and docker's stop) and waits up to `limit` for the
    /// process to end: its exit status, or `None` while it still runs.
    #[cfg(unix)]
    pub fn terminate(&mut self, limit: std::time::Duration) -> Option<std::process::ExitStatus> {
        let sent = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success(), "kill -TERM");
        let until = std::time::Instant::now() + limit;
        while std::time::Instant::now() < until {
            if let Some(status) = self.0.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        None
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `riskmap serve ARGS` (with `--port 0` among them, or a port of the configuration's):
/// the process and the address it listens on, once it says so.
pub fn serve_process(args: &[&std::ffi::OsStr]) -> (ServeProcess, std::net::SocketAddr) {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(env!("CARGO_BIN_EXE_riskmap"))
        .arg("serve")
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let server = ServeProcess(child);
    let mut lines = BufReader::new(out).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("the server ended before listening")
            .unwrap();
        if let Some(a) = line.strip_prefix("listening on http://") {
            break a.trim().parse().unwrap();
        }
    };
    // Keep reading stdout so that the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (server, addr)
}

/// Every tile of an MBTiles file as stored: (z, x, y counted from the north) → bytes.
pub fn mbtiles_tiles(path: &Path) -> std::collections::BTreeMap<(u8, u32, u32), Vec<u8>> {
    let db = rusqlite::Connection::open(path).unwrap();
    let mut st = db
        .prepare("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles")
        .unwrap();
    st.query_map([], |r| {
        let z: u8 = r.get(0)?;
        let row: u32 = r.get(2)?;
        Ok(((z, r.get(1)?, (1u32 << z) - 1 - row), r.get(3)?))
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

/// The Python of the independent readers (`RISKMAP_TEST_PYTHON`, which
/// scripts/ensure-python-tools.sh makes and scripts/test-all.sh sets); None, and the caller
/// skips, outside CI; under CI (`CI=true`) its absence is a failure.
pub fn python() -> Option<String> {
    match std::env::var("RISKMAP_TEST_PYTHON") {
        Ok(p) if !p.is_empty() => Some(p),
        _ => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "RISKMAP_TEST_PYTHON is not set under CI: scripts/test-all.sh makes it"
            );
            eprintln!(
                "SKIPPED: RISKMAP_TEST_PYTHON is not set (scripts/ensure-python-tools.sh prints it)"
            );
            None
        }
    }
}

/// A site for the site check: a GeoJSON Feature with `props` and one ring.
pub fn site(props: serde_json::Value, ring: &[[f64; 2]]) -> String {
    serde_json::json!({"type": "Feature", "properties": props, "geometry": {"type": "Polygon", "coordinates": [ring]}}).to_string()
}

/// The first graded hazard source `app` serves (its GeoJSON feature), and the ring of a
/// square site of 0.002° whose west side lies 0.002° east of the source's first vertex:
/// close enough to be in conflict with it.
pub async fn site_next_to_a_graded_source(
    app: &axum::Router,
) -> (serde_json::Value, [[f64; 2]; 5]) {
    let (_, _, body) = send(app, get("/api/features/hazard_grades.geojson")).await;
    let hs = json(&body)["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["grade"].is_number())
        .unwrap()
        .clone();
    let c = &hs["geometry"]["coordinates"][0][0];
    let (lon, lat) = (c[0].as_f64().unwrap() + 0.002, c[1].as_f64().unwrap());
    let ring = [
        [lon, lat],
        [lon + 0.002, lat],
        [lon + 0.002, lat + 0.002],
        [lon, lat + 0.002],
        [lon, lat],
    ];
    (hs, ring)
}

/// A POST of a JSON body.
pub fn post(uri: &str, body: String) -> Request<Body> {
    Request::builder()
        .method("POST")
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .unwrap()
}

/// A value of the Prometheus text at /metrics (a series named with its labels).
pub async fn metric(app: &axum::Router, name: &str) -> f64 {
    let (_, _, body) = send(app, get("/metrics")).await;
    let text = String::from_utf8(body).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("{name} not in /metrics"))
        .parse()
        .unwrap()
}

/// A copy of the demo folder in `dir` (`dir/haimen`).
pub fn demo_copy(dir: &Path) -> PathBuf {
    let data = dir.join("haimen");
    std::fs::create_dir(&data).unwrap();
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/haimen");
    for e in std::fs::read_dir(&demo).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, data.join(p.file_name().unwrap())).unwrap();
    }
    data
}

/// The footprint of house `id` in a demo folder's `houses.csv` made a degenerate ring,
/// which the checks refuse (the file is GBK: edited as bytes).
pub fn break_footprint(data: &Path, id: &str) {
    let csv = data.join("houses.csv");
    let text = std::fs::read(&csv).unwrap();
    let mut out = Vec::new();
    let start = format!("{id},");
    for line in text.split_inclusive(|b| *b == b'\n') {
        if line.starts_with(start.as_bytes()) {
            let at = line.windows(9).position(|w| w == b"\"POLYGON ").unwrap();
            out.extend_from_slice(&line[..at]);
            out.extend_from_slice(b"\"POLYGON ((121.1 31.8, 121.2 31.9))\"\r\n");
        } else {
            out.extend_from_slice(line);
        }
    }
    std::fs::write(&csv, out).unwrap();
}

/// An import's printed numbers for `layer`: new, changed, removed, unchanged, kept.
pub fn import_counts(stdout: &str, layer: &str) -> Vec<u64> {
    stdout
        .lines()
        .find(|l| l.split_whitespace().next() == Some(layer))
        .unwrap_or_else(|| panic!("no line for {layer} in {stdout}"))
        .split_whitespace()
        .skip(1)
        .map(|n| n.parse().unwrap())
        .collect()
}
