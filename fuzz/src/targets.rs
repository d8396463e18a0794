//! The fuzz targets: arbitrary bytes in, no panic out, and a check of whatever was
//! accepted.

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use geo::CoordsIter;
use riskmap_core::Layer;
use riskmap_core::crs::Crs;
use riskmap_core::io::{LoadOptions, Loaded, load_dir};
use riskmap_core::model::LayerKind;
use riskmap_core::rules::Rules;
use riskmap_core::wkt;
use riskmap_server::server::site::{parse_site, report_geojson};

/// One fuzz target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The bytes as a GeoJSON file of every input layer, loaded with `load_dir`.
    Geojson,
    /// The bytes as a CSV ledger of every input layer (encoding detection included).
    Csv,
    /// The bytes as WKT: a geometry, a CRS tree and a `.prj`.
    Wkt,
    /// The bytes as the parts of a shapefile (`.shp`, `.dbf`, `.shx`, `.prj`, `.cpg`,
    /// separated by [`PART_SEPARATOR`]; an empty part is a missing file) of the houses
    /// and the gas pipelines.
    Shapefile,
    /// The bytes as `riskmap.toml` of a small valid data directory.
    Manifest,
    /// The bytes as a rules file.
    Rules,
    /// The bytes as the body of `POST /api/site-check`, checked against a small city.
    SiteCheck,
    /// The bytes as a small dataset ([`crate::tiles`]): loaded, analysed, tiled, and every
    /// tile decoded by the independent MVT decoder.
    Tiles,
}

/// Separates the files of the shapefile target's input.
pub const PART_SEPARATOR: &[u8] = b"<<PART>>";

/// Most vertices a site may have (the server's default `max_site_vertices`).
const MAX_SITE_VERTICES: usize = 10_000;

impl Target {
    /// Every target, in the order the fuzz script runs them.
    pub const ALL: [Target; 8] = [
        Target::Geojson,
        Target::Csv,
        Target::Wkt,
        Target::Shapefile,
        Target::Manifest,
        Target::Rules,
        Target::SiteCheck,
        Target::Tiles,
    ];

    /// Name on the command line and of the seed folder.
    pub fn name(self) -> &'static str {
        match self {
            Target::Geojson => "geojson",
            Target::Csv => "csv",
            Target::Wkt => "wkt",
            Target::Shapefile => "shapefile",
            Target::Manifest => "manifest",
            Target::Rules => "rules",
            Target::SiteCheck => "site_check",
            Target::Tiles => "tiles",
        }
    }

    /// The target with this name.
    pub fn from_name(s: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.name() == s)
    }

    /// Work done once per process before the inputs (the site check's city).
    pub fn prepare(self) {
        if self == Target::SiteCheck {
            let _ = crate::city::snapshot();
        }
    }

    /// Runs one input and says how much of it was accepted (features loaded, tiles
    /// decoded; 1 for an accepted rules file, site or WKT, else 0). Panics when the code
    /// under test panics or what it accepted is wrong.
    pub fn run(self, data: &[u8]) -> usize {
        match self {
            Target::Geojson => layer_files(data, "geojson"),
            Target::Csv => layer_files(data, "csv"),
            Target::Wkt => wkt_text(data),
            Target::Shapefile => shapefile(data),
            Target::Manifest => manifest(data),
            Target::Rules => rules(data),
            Target::SiteCheck => site_check(data),
            Target::Tiles => crate::tiles::run(data),
        }
    }
}

thread_local! {
    /// Each thread's scratch data directory, emptied before every input.
    static SCRATCH: RefCell<Option<tempfile::TempDir>> = const { RefCell::new(None) };
}

/// An empty scratch directory for this thread: in `RISKMAP_FUZZ_SCRATCH`, one folder per
/// process (`scripts/fuzz.sh` sets it and removes it: AFL ends its processes without
/// running destructors), else a temporary directory in memory (`/dev/shm`) where there is
/// one.
pub fn scratch_dir() -> PathBuf {
    if let Some(base) = std::env::var_os("RISKMAP_FUZZ_SCRATCH") {
        let dir = PathBuf::from(base).join(format!(
            "{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        if let Err(e) = std::fs::create_dir_all(&dir) {
            panic!("fuzz harness: no scratch directory {}: {e}", dir.display());
        }
        empty(&dir);
        return dir;
    }
    SCRATCH.with(|s| {
        let mut s = s.borrow_mut();
        if s.is_none() {
            let shm = Path::new("/dev/shm");
            let made = if shm.is_dir() {
                tempfile::Builder::new()
                    .prefix("riskmap-fuzz")
                    .tempdir_in(shm)
                    .or_else(|_| tempfile::tempdir())
            } else {
                tempfile::tempdir()
            };
            match made {
                Ok(d) => *s = Some(d),
                Err(e) => panic!("fuzz harness: no scratch directory: {e}"),
            }
        }
        let dir = match s.as_ref() {
            Some(d) => d.path().to_path_buf(),
            None => unreachable!("made above"),
        };
        empty(&dir);
        dir
    })
}

fn empty(dir: &Path) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        let _ = if p.is_dir() {
            std::fs::remove_dir_all(&p)
        } else {
            std::fs::remove_file(&p)
        };
    }
}

/// Writes a file of the harness itself; failing to is the harness's problem, not a
/// finding.
pub fn write(path: &Path, bytes: &[u8]) {
    if let Err(e) = std::fs::write(path, bytes) {
        panic!("fuzz harness: cannot write {}: {e}", path.display());
    }
}

/// Loads the scratch directory; one input in seven is loaded again in strict mode (the
/// strict path stops at the first issue instead of recording it). The number of features
/// loaded (not strict).
fn load_both(dir: &Path, data: &[u8]) -> usize {
    let n = load_and_check(dir, &LoadOptions::default());
    if data.len() % 7 == 3 {
        let strict = LoadOptions {
            strict: true,
            ..LoadOptions::default()
        };
        load_and_check(dir, &strict);
    }
    n
}

/// The input as a file of every input layer, `<layer>.<ext>`.
fn layer_files(data: &[u8], ext: &str) -> usize {
    let dir = scratch_dir();
    for kind in LayerKind::INPUTS {
        write(&dir.join(format!("{}.{ext}", kind.name())), data);
    }
    load_both(&dir, data)
}

/// Loads a directory; what loads must be sound. The number of features loaded.
pub fn load_and_check(dir: &Path, opts: &LoadOptions) -> usize {
    match load_dir(dir, opts) {
        Ok(l) => {
            check_loaded(&l);
            l.dataset.counts().iter().map(|(_, n)| n).sum()
        }
        Err(_) => 0,
    }
}

/// Every feature loaded has finite lon/lat coordinates; no file loads more than it read;
/// the report renders.
pub fn check_loaded(l: &Loaded) {
    let ds = &l.dataset;
    check_layer(&ds.areas);
    check_layer(&ds.enterprises);
    check_layer(&ds.hazard_sources);
    check_layer(&ds.gas_pipelines);
    check_layer(&ds.houses);
    check_layer(&ds.protection_targets);
    for f in &l.report.files {
        assert!(
            f.features_loaded <= f.features_read,
            "{}: {} features loaded of {} read",
            f.file,
            f.features_loaded,
            f.features_read
        );
    }
    let _ = l.report.to_json();
    let _ = l.report.to_markdown();
}

fn check_layer<P>(layer: &Layer<P>) {
    for f in layer.features() {
        let mut n = 0_usize;
        for c in f.geometry.coords_iter() {
            n += 1;
            assert!(
                c.x.is_finite() && c.y.is_finite() && c.x.abs() <= 180.0 && c.y.abs() <= 90.0,
                "feature {} of {} was loaded with the coordinate ({}, {})",
                f.id,
                layer.kind(),
                c.x,
                c.y
            );
        }
        assert!(
            n > 0,
            "feature {} of {} has no coordinate",
            f.id,
            layer.kind()
        );
    }
}

/// WKT as a geometry, a CRS tree and a `.prj`.
fn wkt_text(data: &[u8]) -> usize {
    let Ok(text) = std::str::from_utf8(data) else {
        return 0;
    };
    let mut accepted = 0;
    if let Ok(Some(_)) = wkt::parse_geometry(text) {
        accepted = 1;
    }
    let _ = wkt::parse(text);
    if let Ok(crs) = Crs::from_prj(text) {
        accepted = 1;
        // A CRS that parses converts or refuses; it does not panic.
        let _ = crs.to_wgs84(500_000.0, 3_500_000.0);
        let _ = crs.from_wgs84(121.17, 31.89);
        let _ = crs.to_definition();
    }
    if Crs::parse(text).is_ok() {
        accepted = 1;
    }
    accepted
}

/// The parts of a shapefile, as the houses and the gas pipelines.
fn shapefile(data: &[u8]) -> usize {
    let parts = split_parts(data);
    let dir = scratch_dir();
    for layer in ["houses", "gas_pipelines"] {
        // An empty part is a file that is not there.
        for (ext, bytes) in ["shp", "dbf", "shx", "prj", "cpg"].iter().zip(&parts) {
            if !bytes.is_empty() {
                write(&dir.join(format!("{layer}.{ext}")), bytes);
            }
        }
    }
    load_both(&dir, data)
}

/// The input cut at each [`PART_SEPARATOR`].
pub fn split_parts(data: &[u8]) -> Vec<&[u8]> {
    let mut parts = Vec::new();
    let mut rest = data;
    while let Some(i) = find(rest, PART_SEPARATOR) {
        parts.push(&rest[..i]);
        rest = &rest[i + PART_SEPARATOR.len()..];
    }
    parts.push(rest);
    parts
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The files the manifest target's directory holds besides `riskmap.toml`: a valid
/// enterprise ledger, a house file under another name, a folder.
const MANIFEST_DIR: &[(&str, &str)] = &[
    (
        "enterprises.csv",
        "编号,企业名称,经度,纬度\nE-1,甲化工,121.17,31.89\nE-2,乙化工,121.18,31.90\n",
    ),
    (
        "台账/2024自建房.csv",
        "编号,地址,经度,纬度\nH-1,甲,121.171,31.891\nH-2,乙,121.172,31.892\n",
    ),
    (
        "old/houses.geojson",
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","id":"H-9","geometry":{"type":"Point","coordinates":[121.17,31.89]},"properties":{}}]}"#,
    ),
    ("gk.csv", "编号,地址,x,y\nG-1,丙,610690,3530250\n"),
];

fn manifest(data: &[u8]) -> usize {
    let dir = scratch_dir();
    for (name, text) in MANIFEST_DIR {
        let p = dir.join(name);
        if let Some(parent) = p.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        write(&p, text.as_bytes());
    }
    write(&dir.join(riskmap_core::io::MANIFEST_FILE), data);
    load_both(&dir, data)
}

/// Rules TOML: accepted rules have no problems, only finite numbers, and read back from
/// their own TOML.
fn rules(data: &[u8]) -> usize {
    let Ok(text) = std::str::from_utf8(data) else {
        return 0;
    };
    let Ok(r) = Rules::from_toml_str(text) else {
        return 0;
    };
    let problems = r.problems();
    assert!(
        problems.is_empty(),
        "rules accepted with problems: {problems:?}"
    );
    match toml::Value::try_from(&r) {
        Ok(v) => assert_finite(&v, ""),
        Err(e) => panic!("accepted rules cannot be written as TOML: {e}"),
    }
    let again = r.to_toml_string();
    if let Err(e) = Rules::from_toml_str(&again) {
        panic!("accepted rules do not read back from their own TOML: {e}\n{again}");
    }
    1
}

/// Every number of accepted rules is finite.
fn assert_finite(v: &toml::Value, path: &str) {
    match v {
        toml::Value::Float(f) => assert!(f.is_finite(), "rules accepted with {path} = {f}"),
        toml::Value::Table(t) => t
            .iter()
            .for_each(|(k, v)| assert_finite(v, &format!("{path}.{k}"))),
        toml::Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, v)| assert_finite(v, &format!("{path}[{i}]"))),
        toml::Value::String(_)
        | toml::Value::Integer(_)
        | toml::Value::Boolean(_)
        | toml::Value::Datetime(_) => {}
    }
}

/// A site-check request body: parsed, checked against the small city, answered as
/// GeoJSON.
fn site_check(data: &[u8]) -> usize {
    // (a body's own `crs` member is read; the query's `?crs=` is not fuzzed)
    let Ok(req) = parse_site(data, MAX_SITE_VERTICES, None) else {
        return 0;
    };
    let snap = crate::city::snapshot();
    match report_geojson(snap, &req) {
        Ok(body) => {
            if let Err(e) = serde_json::from_slice::<serde_json::Value>(&body) {
                panic!("the site-check answer is not JSON: {e}");
            }
            1
        }
        Err(e) => panic!("an accepted site could not be answered: {e}"),
    }
}
