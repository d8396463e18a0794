//! `riskmap tiles` on the demo, read back by readers that have nothing to do with the
//! writer: the PMTiles authors' own Python package (`pmtiles`, PyPI; header, metadata and
//! every tile through its directories), GDAL's MBTiles driver (`ogrinfo`, feature counts
//! per layer and zoom) and the independent MVT decoder of the tests crate (every tile).
//! The two archives hold the same tiles with the same bytes.
//!
//! The Python reader comes from `RISKMAP_TEST_PYTHON` (scripts/ensure-python-tools.sh makes
//! it; scripts/test-all.sh sets it). Without it the PMTiles half is skipped, and under CI
//! (`CI=true`) that is a failure.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::{ok_steps, python, riskmap};
use riskmap_tests::mvt_check::{RiskmapRules, decode_riskmap};
use serde_json::Value;
use sha2::{Digest, Sha256};

const LAYERS: [&str; 10] = [
    "areas",
    "risk_grid",
    "gas_pipelines",
    "houses",
    "protection_targets",
    "enterprises",
    "hazard_sources",
    "protection_conflicts",
    "pipeline_conflicts",
    "hidden_hazards",
];

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/haimen")
}

/// The two archives of the demo, z0–z14, written once for every test of this file.
fn archives() -> &'static (tempfile::TempDir, PathBuf, PathBuf) {
    static A: OnceLock<(tempfile::TempDir, PathBuf, PathBuf)> = OnceLock::new();
    A.get_or_init(|| {
        let dir = common::process_temp::process_temp_dir();
        let pm = dir.path().join("haimen.pmtiles");
        let mb = dir.path().join("haimen.mbtiles");
        let d = demo();
        for out in [&pm, &mb] {
            ok_steps(&[
                "tiles",
                d.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
                "--maxzoom",
                "14",
            ]);
        }
        (dir, pm, mb)
    })
}

fn gunzip(gz: &[u8]) -> Vec<u8> {
    assert_eq!(&gz[..2], [0x1f, 0x8b], "a gzipped tile");
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(gz)
        .read_to_end(&mut out)
        .unwrap();
    out
}

#[test]
fn the_pmtiles_archive_reads_back_with_the_formats_own_reader() {
    let Some(py) = python() else { return };
    let (_d, pm, mb) = archives();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/reference/pmtiles_dump.py");
    let out = Command::new(py).arg(&script).arg(pm).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dump: Value = serde_json::from_slice(&out.stdout).unwrap();
    let h = &dump["header"];
    assert_eq!(h["version"], 3);
    assert_eq!(h["clustered"], true);
    assert_eq!(h["tile_type"], "MVT");
    assert_eq!(h["tile_compression"], "GZIP");
    assert_eq!(
        (h["min_zoom"].as_u64(), h["max_zoom"].as_u64()),
        (Some(0), Some(14))
    );
    // The header's box is the data's, as the catalog gives it (1e-7 degrees).
    let b = [121.033203, 31.759766, 121.548828, 32.15332];
    for (k, v) in ["min_lon_e7", "min_lat_e7", "max_lon_e7", "max_lat_e7"]
        .iter()
        .zip(b)
    {
        assert!(
            (h[k].as_f64().unwrap() / 1e7 - v).abs() < 1e-6,
            "{k}: {}",
            h[k]
        );
    }
    let m = &dump["metadata"];
    let ids: Vec<&str> = m["vector_layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, LAYERS);
    // The demo's ledgers end on 2026-11-30 (its riskmap.toml): the map is drawn as of then.
    assert_eq!(m["riskmap:as_of"], "2026-11-30");

    // The same tiles with the same bytes as the MBTiles archive.
    let tiles = dump["tiles"].as_array().unwrap();
    assert_eq!(
        h["addressed_tiles_count"].as_u64(),
        Some(tiles.len() as u64)
    );
    let from_py: BTreeMap<(u8, u32, u32), String> = tiles
        .iter()
        .map(|t| {
            let n = |i: usize| t[i].as_u64().unwrap();
            (
                (n(0) as u8, n(1) as u32, n(2) as u32),
                t[4].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let from_mb: BTreeMap<(u8, u32, u32), String> = common::mbtiles_tiles(mb)
        .into_iter()
        .map(|(k, v)| (k, hex(&Sha256::digest(&v))))
        .collect();
    assert_eq!(from_py, from_mb);
    // The directory lists tiles in tile id order: zooms ascending.
    let zooms: Vec<u64> = tiles.iter().map(|t| t[0].as_u64().unwrap()).collect();
    assert!(zooms.windows(2).all(|w| w[0] <= w[1]));
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// `layer` at zoom `z` of an MBTiles file as GDAL reads it (its MBTiles driver, through
/// `ogr2ogr` to GeoJSON, in Web Mercator metres): the feature count and the extent.
fn gdal_read(mb: &Path, z: u8, layer: &str) -> (u64, [f64; 4]) {
    let out = Command::new("ogr2ogr")
        .args([
            "-f",
            "GeoJSON",
            "/vsistdout/",
            "-oo",
            &format!("ZOOM_LEVEL={z}"),
        ])
        // Unclipped, as the decoder reads them: a tile's buffer is in its extent too.
        .args(["-oo", "CLIP=NO"])
        .arg(mb)
        .arg(layer)
        .output()
        .expect("ogr2ogr (gdal-bin) runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let feats = fc["features"].as_array().unwrap();
    let mut e = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    fn walk(v: &Value, e: &mut [f64; 4]) {
        match v.as_array() {
            Some(a) if a.first().is_some_and(Value::is_number) => {
                let (x, y) = (a[0].as_f64().unwrap(), a[1].as_f64().unwrap());
                *e = [e[0].min(x), e[1].min(y), e[2].max(x), e[3].max(y)];
            }
            Some(a) => a.iter().for_each(|c| walk(c, e)),
            None => {}
        }
    }
    for f in feats {
        walk(&f["geometry"]["coordinates"], &mut e);
    }
    (feats.len() as u64, e)
}

/// Half the Web Mercator world's width, metres.
const HALF_WORLD: f64 = 20_037_508.342_789_244;

/// Tile coordinates (extent 4096) of tile z/x/y (XYZ, rows from the north) in Web
/// Mercator metres.
fn mercator(z: u8, x: u32, y: u32, px: f64, py: f64) -> (f64, f64) {
    let size = 2.0 * HALF_WORLD / f64::from(1u32 << z);
    (
        -HALF_WORLD + (f64::from(x) + px / 4096.0) * size,
        HALF_WORLD - (f64::from(y) + py / 4096.0) * size,
    )
}

#[test]
fn every_tile_decodes_and_gdal_counts_what_the_decoder_counts() {
    let (_d, _pm, mb) = archives();
    let tiles = common::mbtiles_tiles(mb);
    let zooms: BTreeSet<u8> = tiles.keys().map(|k| k.0).collect();
    assert_eq!(zooms, (0..=14).collect());
    // Features per (zoom, layer), by the independent decoder, every tile checked against
    // the specification and RiskMap's own rules (extent, buffer, no empty layer, …).
    let mut counts: BTreeMap<(u8, String), u64> = BTreeMap::new();
    // The extent of each (zoom, layer), in Web Mercator metres from the tiles' places.
    let mut extents: BTreeMap<(u8, String), [f64; 4]> = BTreeMap::new();
    for ((z, x, y), gz) in &tiles {
        let t = decode_riskmap(&gunzip(gz), &RiskmapRules::default())
            .unwrap_or_else(|e| panic!("tile {z}/{x}/{y}: {e}"));
        for l in &t.layers {
            *counts.entry((*z, l.name.clone())).or_default() += l.features.len() as u64;
            let e = extents.entry((*z, l.name.clone())).or_insert([
                f64::MAX,
                f64::MAX,
                f64::MIN,
                f64::MIN,
            ]);
            for f in &l.features {
                for c in coords(&f.geometry) {
                    let (mx, my) = mercator(*z, *x, *y, c.0, c.1);
                    *e = [e[0].min(mx), e[1].min(my), e[2].max(mx), e[3].max(my)];
                }
            }
        }
        assert!(
            gz.len() <= 500 * 1024,
            "tile {z}/{x}/{y} is {} bytes",
            gz.len()
        );
    }
    // Where GDAL puts the towns at z14 is where they are: the demo's areas span
    // 121.033203–121.548828 E, 31.759766–32.15332 N, in Web Mercator metres by the
    // projection's formulas, to a tile unit at z14 (0.6 m).
    let m = |lon: f64, lat: f64| {
        let y = (std::f64::consts::FRAC_PI_4 + lat.to_radians() / 2.0)
            .tan()
            .ln();
        (
            lon * HALF_WORLD / 180.0,
            y * HALF_WORLD / std::f64::consts::PI,
        )
    };
    let (sw, ne) = (m(121.033203, 31.759766), m(121.548828, 32.15332));
    let (_, e) = gdal_read(mb, 14, "areas");
    for (got, want) in e.iter().zip([sw.0, sw.1, ne.0, ne.1]) {
        assert!(
            (got - want).abs() < 1.0,
            "areas at z14: {e:?} vs {sw:?} {ne:?}"
        );
    }
    // Houses are footprints from z14 and clusters below; each is a feature of the tiles.
    assert!(counts[&(14, "houses".to_string())] >= 20_000);
    for z in [6u8, 10, 14] {
        for layer in LAYERS {
            let ours = counts.get(&(z, layer.to_string())).copied().unwrap_or(0);
            if ours == 0 {
                continue;
            }
            let (n, e) = gdal_read(mb, z, layer);
            assert_eq!(n, ours, "{layer} at z{z}");
            // GDAL places the tiles where the decoder does (MBTiles rows count from the
            // south): the same extent, to a centimetre.
            let want = extents[&(z, layer.to_string())];
            for i in 0..4 {
                assert!(
                    (e[i] - want[i]).abs() < 0.01,
                    "{layer} at z{z}: {e:?} vs {want:?}"
                );
            }
        }
    }
}

/// The vertices of a decoded geometry, in tile units.
fn coords(g: &riskmap_tests::mvt_check::Geometry) -> Vec<(f64, f64)> {
    use riskmap_tests::mvt_check::Geometry as G;
    let xy = |c: &riskmap_tests::mvt_check::Coord| (c[0] as f64, c[1] as f64);
    match g {
        G::Unknown => Vec::new(),
        G::Points(p) => p.iter().map(xy).collect(),
        G::LineStrings(l) => l.iter().flatten().map(xy).collect(),
        G::Polygons(p) => p
            .iter()
            .flat_map(|p| p.exterior.iter().chain(p.interiors.iter().flatten()))
            .map(xy)
            .collect(),
    }
}

#[test]
fn per_layer_archives_and_bad_requests() {
    let dir = tempfile::tempdir().unwrap();
    let d = demo();
    let out = dir.path().join("map.mbtiles");
    let o = out.to_str().unwrap();
    ok_steps(&[
        "tiles",
        d.to_str().unwrap(),
        "--out",
        o,
        "--maxzoom",
        "8",
        "--per-layer",
        "--layers",
        "houses,areas",
    ]);
    for (f, layer) in [
        ("map-areas.mbtiles", "areas"),
        ("map-houses.mbtiles", "houses"),
    ] {
        let tiles = common::mbtiles_tiles(&dir.path().join(f));
        assert!(!tiles.is_empty(), "{f}");
        for gz in tiles.values() {
            let t = decode_riskmap(&gunzip(gz), &RiskmapRules::default()).unwrap();
            let names: Vec<&str> = t.layers.iter().map(|l| l.name.as_str()).collect();
            assert_eq!(names, [layer], "{f}");
        }
    }
    assert!(!out.exists());

    // Bad requests: exit 2 with what is wrong, nothing written.
    for (args, says) in [
        (vec!["--out", "map.zip"], ".pmtiles or .mbtiles"),
        (
            vec!["--out", o, "--layers", "houses,schools"],
            "'schools' is not a tile layer",
        ),
        (
            vec!["--out", o, "--minzoom", "9", "--maxzoom", "3"],
            "--minzoom 9 --maxzoom 3",
        ),
        (vec!["--out", o, "--maxzoom", "19"], "at 18 at most"),
    ] {
        let mut a = vec!["tiles", d.to_str().unwrap()];
        a.extend(args);
        let r = riskmap(&a);
        let err = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(2), "{a:?}: {err}");
        assert!(err.contains(says), "{a:?}: {err}");
    }
    assert!(!out.exists());

    // A run that fails leaves the archive there as it was.
    ok_steps(&["tiles", d.to_str().unwrap(), "--out", o, "--maxzoom", "4"]);
    let before = std::fs::read(&out).unwrap();
    let missing = dir.path().join("no-such-data");
    let r = riskmap(&["tiles", missing.to_str().unwrap(), "--out", o]);
    assert!(!r.status.success());
    assert!(String::from_utf8_lossy(&r.stderr).contains("no-such-data"));
    assert_eq!(std::fs::read(&out).unwrap(), before);
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.contains("partial"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn an_archive_bundles_as_itself_with_the_glyphs_of_its_names() {
    let (dir, pm, mb) = archives();
    let from_archive = dir.path().join("bundle-of-archive");
    let from_data = dir.path().join("bundle-of-data");
    ok_steps(&[
        "bundle",
        pm.to_str().unwrap(),
        "--out",
        from_archive.to_str().unwrap(),
    ]);
    ok_steps(&[
        "bundle",
        demo().to_str().unwrap(),
        "--out",
        from_data.to_str().unwrap(),
        "--maxzoom",
        "14",
    ]);
    // The archive itself, byte for byte, with the viewer's files.
    assert_eq!(
        std::fs::read(from_archive.join("map.pmtiles")).unwrap(),
        std::fs::read(pm).unwrap()
    );
    for f in [
        "index.html",
        "viewer.js",
        "vendor/maplibre-gl.js",
        "vendor/pmtiles.js",
    ] {
        assert!(from_archive.join(f).is_file(), "{f}");
    }
    // The same glyphs as a bundle made from the data: the archive's metadata names the
    // characters of the labels.
    let glyph_line = |d: &Path| {
        std::fs::read_to_string(d.join("map-data.js"))
            .unwrap()
            .lines()
            .find(|l| l.starts_with("window.RISKMAP_GLYPHS = "))
            .map(String::from)
            .expect("glyphs in map-data.js")
    };
    let g = glyph_line(&from_archive);
    assert_eq!(g, glyph_line(&from_data));
    // 镇 (U+9547) is in town names: its range is there.
    assert!(g.contains("\"38144-38399\""), "{}", &g[..200.min(g.len())]);
    let facts = std::fs::read_to_string(from_archive.join("map-data.js")).unwrap();
    assert!(
        facts.contains("\"as_of\":\"2026-11-30\""),
        "{}",
        &facts[..300]
    );
    // An MBTiles file is not what the bundle's viewer reads: refused, saying what to do.
    let out = riskmap(&[
        "bundle",
        mb.to_str().unwrap(),
        "--out",
        dir.path().join("bundle-of-mbtiles").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("PMTiles") && err.contains("riskmap tiles"),
        "{err}"
    );
    assert!(!dir.path().join("bundle-of-mbtiles").exists());
}
