use std::io::Read;
use std::path::Path;
use std::sync::OnceLock;

use super::*;
use crate::io::LoadOptions;
use crate::project::Project;
use crate::rules::Rules;
use crate::tileset::{TILE_LAYERS, TileSetConfig};

fn demo() -> &'static (Project, TileSet) {
    static DEMO: OnceLock<(Project, TileSet)> = OnceLock::new();
    DEMO.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/haimen");
        let p = Project::open(&dir, &LoadOptions::default(), &Rules::default()).unwrap();
        let t = TileSet::build(&p.dataset, &p.analysis, TileSetConfig::default()).unwrap();
        (p, t)
    })
}

fn gunzip(gz: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(gz)
        .read_to_end(&mut out)
        .unwrap();
    out
}

#[test]
fn tiles_follow_the_pmtiles_hilbert_order() {
    // The PMTiles spec's own examples: z1 is 1 (0,0), 2 (0,1), 3 (1,1), 4 (1,0).
    let ids: Vec<u64> = [(0, 0), (0, 1), (1, 1), (1, 0)]
        .iter()
        .map(|&(x, y)| pmtiles_id(&TileId { z: 1, x, y }))
        .collect();
    assert_eq!(ids, [1, 2, 3, 4]);
    assert_eq!(pmtiles_id(&TileId { z: 0, x: 0, y: 0 }), 0);
    // z2 starts after the 1 + 4 tiles above it.
    assert_eq!(pmtiles_id(&TileId { z: 2, x: 0, y: 0 }), 5);
    // A box inside tile 1/1/0 with its one-tile margin is all of z1, in curve order.
    let b = Rect::new((121.0, 32.0), (121.3, 32.1));
    let z1: Vec<(u32, u32)> = tiles_of_zoom(b, 1)
        .unwrap()
        .iter()
        .map(|t| (t.x, t.y))
        .collect();
    assert_eq!(z1, [(0, 0), (0, 1), (1, 1), (1, 0)]);
    // At z10 the box is in tiles x 856–857, y 415 (by hand from the Web Mercator
    // formulas), so 4 × 3 tiles with the margin.
    let z10 = tiles_of_zoom(b, 10).unwrap();
    assert_eq!(z10.len(), 12);
    let xs: Vec<u32> = z10.iter().map(|t| t.x).collect();
    assert_eq!((xs.iter().min(), xs.iter().max()), (Some(&855), Some(&858)));
    let ids: Vec<u64> = z10.iter().map(pmtiles_id).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn an_mbtiles_archive_holds_every_tile_the_server_renders() {
    let (p, ts) = demo();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo.mbtiles");
    let mut opts = ArchiveOptions::new(TILE_LAYERS.to_vec());
    opts.maxzoom = 11;
    opts.extra
        .insert("riskmap:as_of".into(), "2026-11-30".into());
    let s = write_archive(&p.dataset, &p.analysis, ts, &opts, &out, &|_, _, _| {}).unwrap();
    assert!(s.tiles > 0 && s.distinct <= s.tiles && s.tiles <= s.rendered);
    assert_eq!(s.per_zoom.len(), 12);
    assert_eq!(s.per_zoom.iter().map(|(_, n)| n).sum::<u64>(), s.tiles);

    let db = rusqlite::Connection::open(&out).unwrap();
    let mut st = db
        .prepare("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles")
        .unwrap();
    let rows: Vec<(u8, u32, u32, Vec<u8>)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.len() as u64, s.tiles);
    let images: u64 = db
        .query_row("SELECT count(*) FROM images", [], |r| r.get(0))
        .unwrap();
    assert_eq!(images, s.distinct);
    for (z, x, row, gz) in &rows {
        let y = (1u32 << z) - 1 - row;
        let want = ts
            .render(&p.dataset, &p.analysis, &opts.layers, *z, *x, y)
            .unwrap();
        assert_eq!(gunzip(gz), want, "tile {z}/{x}/{y}");
    }
    // Every tile of z11 meeting the data but not in the archive is empty.
    let bounds = data_bounds(&p.dataset, &p.analysis).unwrap();
    let have: std::collections::HashSet<(u32, u32)> = rows
        .iter()
        .filter(|r| r.0 == 11)
        .map(|r| (r.1, (1u32 << 11) - 1 - r.2))
        .collect();
    for t in tiles_covering(bounds, 11).unwrap() {
        if !have.contains(&(t.x, t.y)) {
            let r = ts.render(&p.dataset, &p.analysis, &opts.layers, 11, t.x, t.y);
            assert!(r.unwrap().is_empty(), "tile 11/{}/{} left out", t.x, t.y);
        }
    }

    let meta: std::collections::HashMap<String, String> = db
        .prepare("SELECT name, value FROM metadata")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(meta["format"], "pbf");
    assert_eq!(
        (meta["minzoom"].as_str(), meta["maxzoom"].as_str()),
        ("0", "11")
    );
    let json: serde_json::Value = serde_json::from_str(&meta["json"]).unwrap();
    let ids: Vec<&str> = json["vector_layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, TILE_LAYERS.map(LayerKind::name));
    assert_eq!(json["riskmap:as_of"], "2026-11-30");
    let b: Vec<f64> = meta["bounds"]
        .split(',')
        .map(|v| v.parse().unwrap())
        .collect();
    let d = p.dataset.bounds().unwrap();
    assert_eq!(b, [d.min().x, d.min().y, d.max().x, d.max().y]);
}

#[test]
fn a_pmtiles_archive_is_clustered_and_deduplicated() {
    let (p, ts) = demo();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo.pmtiles");
    let mut opts = ArchiveOptions::new(vec![LayerKind::Areas, LayerKind::HazardSources]);
    opts.minzoom = 2;
    opts.maxzoom = 13;
    let s = write_archive(&p.dataset, &p.analysis, ts, &opts, &out, &|_, _, _| {}).unwrap();
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(s.file_bytes, bytes.len() as u64);
    // The fixed header of the v3 spec: magic, version, then little-endian fields.
    assert_eq!(&bytes[..7], b"PMTiles");
    assert_eq!(bytes[7], 3);
    let u64_at = |o: usize| u64::from_le_bytes(bytes[o..o + 8].try_into().unwrap());
    assert_eq!(u64_at(72), s.tiles, "addressed tiles");
    assert_eq!(u64_at(88), s.distinct, "tile contents");
    assert_eq!(bytes[96], 1, "clustered");
    assert_eq!(bytes[97], 2, "internal compression gzip");
    assert_eq!(bytes[98], 2, "tile compression gzip");
    assert_eq!(bytes[99], 1, "tile type MVT");
    assert_eq!((bytes[100], bytes[101]), (2, 13), "zooms");
    // Inside a town, the town's polygon covers whole tiles at z13 with the same bytes:
    // stored once.
    assert!(s.distinct < s.tiles, "{s:?}");
}

#[test]
fn bad_requests_and_failures_leave_nothing_behind() {
    let (p, ts) = demo();
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str, opts: &ArchiveOptions| {
        write_archive(
            &p.dataset,
            &p.analysis,
            ts,
            opts,
            &dir.path().join(name),
            &|_, _, _| {},
        )
    };
    let opts = ArchiveOptions::new(vec![LayerKind::Areas]);
    let e = run("map.zip", &opts).unwrap_err();
    assert!(e.to_string().contains(".pmtiles or .mbtiles"), "{e}");
    let mut bad = opts.clone();
    bad.minzoom = 5;
    bad.maxzoom = 4;
    assert!(matches!(
        run("m.pmtiles", &bad),
        Err(ArchiveError::Zooms { .. })
    ));
    bad.minzoom = 0;
    bad.maxzoom = 19;
    assert!(matches!(
        run("m.pmtiles", &bad),
        Err(ArchiveError::Zooms { .. })
    ));
    bad.maxzoom = 3;
    bad.layers.clear();
    assert!(matches!(
        run("m.pmtiles", &bad),
        Err(ArchiveError::NoLayers)
    ));
    // A name that cannot be taken (a directory holds it): the error names it and the
    // temporary file is gone.
    std::fs::create_dir_all(dir.path().join("taken.mbtiles/inside")).unwrap();
    let mut small = opts.clone();
    small.maxzoom = 3;
    let e = run("taken.mbtiles", &small).unwrap_err();
    assert!(e.to_string().contains("taken.mbtiles"), "{e}");
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["taken.mbtiles"]);
}

/// An archive's tile set projects the houses' footprints in each tile instead of keeping
/// them projected (`TileSetConfig::world_footprints`): the same tiles, to the byte, at
/// the zooms that draw footprints, alone and with every other layer.
#[test]
fn footprints_projected_in_each_tile_draw_the_same_tiles() {
    use geo::BoundingRect;
    let (p, kept) = demo();
    let config = TileSetConfig {
        world_footprints: false,
        ..TileSetConfig::default()
    };
    let each = TileSet::build(&p.dataset, &p.analysis, config).unwrap();
    let (ds, a) = (&p.dataset, &p.analysis);
    let mut tiles = std::collections::BTreeSet::new();
    for f in ds.houses.features().iter().step_by(37) {
        let r = f.geometry.bounding_rect().unwrap();
        let at = geo::Rect::new(r.min(), r.min());
        for z in 14..=16 {
            tiles.extend(tiles_covering(at, z).unwrap().map(|t| (t.z, t.x, t.y)));
        }
    }
    assert!(tiles.len() > 100, "{} tiles", tiles.len());
    let houses = [LayerKind::Houses];
    for (z, x, y) in tiles {
        let one = kept.render(ds, a, &houses, z, x, y).unwrap();
        assert!(!one.is_empty(), "houses in {z}/{x}/{y}");
        assert_eq!(one, each.render(ds, a, &houses, z, x, y).unwrap());
        let all = kept.render(ds, a, &TILE_LAYERS, z, x, y).unwrap();
        assert_eq!(all, each.render(ds, a, &TILE_LAYERS, z, x, y).unwrap());
    }
    let held = |t: &TileSet| t.heap_parts()[0].1;
    assert!(held(&each) == 0 && held(kept) > 0);
}

/// A tile set prepared for some layers (`TileSetConfig::layers`, what `riskmap tiles
/// --layers` builds) draws them to the byte as one prepared for every layer does, from
/// the clusters of z0 to the footprints and lines of z16, also once the data they do not
/// draw is let go of (`release_undrawn`), and refuses the others rather than drawing them
/// empty.
#[test]
fn a_tile_set_of_some_layers_draws_them_as_the_whole_set_does() {
    use geo::BoundingRect;
    let (p, whole) = demo();
    let (ds, a) = (&p.dataset, &p.analysis);
    let bounds = ds.bounds().unwrap();
    let mut tiles = std::collections::BTreeSet::new();
    for z in 0..=11 {
        tiles.extend(tiles_covering(bounds, z).unwrap().map(|t| (t.z, t.x, t.y)));
    }
    let conflicts = a.protection_conflicts.iter().map(|c| &c.geometry);
    for g in ds
        .houses
        .features()
        .iter()
        .step_by(53)
        .map(|f| &f.geometry)
        .chain(conflicts)
    {
        let r = g.bounding_rect().unwrap();
        for z in 12..=16 {
            tiles.extend(tiles_covering(r, z).unwrap().map(|t| (t.z, t.x, t.y)));
        }
    }
    let picked = [
        vec![LayerKind::Houses],
        vec![LayerKind::ProtectionConflicts, LayerKind::RiskGrid],
        vec![LayerKind::HiddenHazards, LayerKind::Enterprises],
    ];
    for layers in picked {
        let config = TileSetConfig {
            world_footprints: false,
            layers: Some(layers.clone()),
            ..TileSetConfig::default()
        };
        // With what they do not draw let go of first.
        let (mut kept_ds, mut kept_a) = (ds.clone(), a.clone());
        release_undrawn(&mut kept_ds, &mut kept_a, &layers);
        let drawn = |k| layers.contains(&k);
        assert_eq!(
            kept_a.protection_conflicts.is_empty(),
            !drawn(LayerKind::ProtectionConflicts)
        );
        assert_eq!(kept_ds.houses.is_empty(), !drawn(LayerKind::Houses));
        let some = TileSet::build(&kept_ds, &kept_a, config).unwrap();
        let mut drawn = 0;
        for &(z, x, y) in &tiles {
            let one = some.render(&kept_ds, &kept_a, &layers, z, x, y).unwrap();
            assert_eq!(
                one,
                whole.render(ds, a, &layers, z, x, y).unwrap(),
                "{z}/{x}/{y} of {layers:?}"
            );
            drawn += usize::from(!one.is_empty());
        }
        assert!(drawn > 50, "{layers:?}: {drawn} tiles drawn");
        let other = TILE_LAYERS
            .into_iter()
            .find(|k| !layers.contains(k))
            .unwrap();
        let refused = some.render(ds, a, &[other], 14, 0, 0).unwrap_err();
        assert!(
            matches!(&refused, TileSetError::NotPrepared(n) if n == other.name()),
            "{refused}"
        );
    }
}

/// Every tile of an MBTiles archive: (z, column, TMS row) → gzipped bytes.
fn mbtiles_tiles(path: &Path) -> std::collections::BTreeMap<(u8, u32, u32), Vec<u8>> {
    let db = rusqlite::Connection::open(path).unwrap();
    let mut st = db
        .prepare("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles")
        .unwrap();
    st.query_map([], |r| Ok(((r.get(0)?, r.get(1)?, r.get(2)?), r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// An archive of the conflicts alone, written once every input layer has been let go of:
/// the same tiles as with the whole data held (the lines give the archive its extent).
#[test]
fn an_archive_of_conflicts_alone_keeps_its_tiles_once_the_rest_is_let_go() {
    let (p, whole) = demo();
    let dir = tempfile::tempdir().unwrap();
    let layers = vec![LayerKind::ProtectionConflicts];
    let mut opts = ArchiveOptions::new(layers.clone());
    opts.maxzoom = 15;
    let before = dir.path().join("before.mbtiles");
    write_archive(
        &p.dataset,
        &p.analysis,
        whole,
        &opts,
        &before,
        &|_, _, _| {},
    )
    .unwrap();
    let (mut ds, mut a) = (p.dataset.clone(), p.analysis.clone());
    release_undrawn(&mut ds, &mut a, &layers);
    assert!(ds.bounds().is_none(), "every input layer let go of");
    let config = TileSetConfig {
        layers: Some(layers),
        ..TileSetConfig::default()
    };
    let some = TileSet::build(&ds, &a, config).unwrap();
    let after = dir.path().join("after.mbtiles");
    write_archive(&ds, &a, &some, &opts, &after, &|_, _, _| {}).unwrap();
    let (b, f) = (mbtiles_tiles(&before), mbtiles_tiles(&after));
    assert!(
        b.keys().filter(|k| k.0 >= 14).count() > 10,
        "lines at z14-z15"
    );
    assert_eq!(b.keys().collect::<Vec<_>>(), f.keys().collect::<Vec<_>>());
    for (k, gz) in &b {
        assert_eq!(gunzip(gz), gunzip(&f[k]), "{k:?}");
    }
}
