//! The seeds reach the code they are for: a valid seed is accepted (features loaded, a
//! site answered, tiles decoded), so that the fuzzers start from inputs that get past the
//! first check. The broken seeds are named; every other seed must be accepted.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure

use std::path::Path;

use riskmap_fuzz::Target;

/// Seeds meant to be refused as a whole, by target.
const REFUSED: &[(&str, &str)] = &[
    // Gauss–Krüger metres in a file read as lon/lat: skipped in every layer.
    ("csv", "gk.csv"),
    // A .prj with an infinite central meridian: refused (it once panicked the repair).
    ("shapefile", "regress-prj-infinite-meridian"),
    // A top-level CRS that does not exist: every file is skipped (`unknown_crs`).
    ("manifest", "typos.toml"),
    // Out-of-order bands and a negative distance.
    ("rules", "bad.toml"),
    // NaN and infinite distances.
    ("rules", "nan.toml"),
    // A bare polygon has no `use`: a site is never assumed residential.
    ("site_check", "polygon.json"),
    // `MULTIPOINT EMPTY` is no geometry and no CRS.
    ("wkt", "empty.wkt"),
];

/// Runs an input on a thread of its own, whose scratch directory is removed when it ends
/// (a test may run on the main thread, whose thread-locals are never dropped).
fn run(target: Target, bytes: Vec<u8>) -> usize {
    std::thread::spawn(move || target.run(&bytes))
        .join()
        .unwrap()
}

#[test]
fn every_valid_seed_is_accepted() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    let mut wrong = Vec::new();
    for target in Target::ALL {
        let dir = root.join(target.name());
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert!(names.len() >= 3, "{}: too few seeds", target.name());
        for name in names {
            let bytes = std::fs::read(dir.join(&name)).unwrap();
            let accepted = run(target, bytes);
            let refused = REFUSED.contains(&(target.name(), name.as_str()));
            if (accepted > 0) == refused {
                wrong.push(format!(
                    "{}/{name}: accepted {accepted}, expected {}",
                    target.name(),
                    if refused { "none" } else { "some" }
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "seeds:\n{}", wrong.join("\n"));
}

#[test]
fn the_tile_seed_of_a_city_block_decodes_tiles_of_every_kind_of_geometry() {
    // Six features at z14 around 121.17 E, 31.89 N, in units of 1e-6° (scale byte 4), all
    // within 0.0004° (a z14 tile is 0.022° wide): house with a hole, pipeline, enterprise,
    // hazard source, protection target, house point; the tiles of their first points are
    // one, or two if a tile edge passes between them.
    let bytes =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/tiles/city_z14")).unwrap();
    let (z, drawn) = riskmap_fuzz::tiles::read(&bytes);
    assert_eq!(z, 14);
    let kinds: Vec<u8> = drawn.iter().map(|d| d.kind).collect();
    assert_eq!(kinds, vec![0, 2, 3, 6, 4, 1]);
    // A square of 100 units (0.0001°), closed, with a hole; its first point is the centre.
    assert_eq!(drawn[0].points[0], [121.17, 31.89]);
    assert!((drawn[0].points[2][0] - 121.1701).abs() < 1e-9);
    assert!((drawn[0].points[2][1] - 31.8901).abs() < 1e-9);
    assert!(drawn[0].close && drawn[0].hole);
    let tiles = run(Target::Tiles, bytes);
    assert!((1..=2).contains(&tiles), "{tiles} tiles");
}
