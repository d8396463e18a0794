//! The small city the site-check target checks sites against: the deterministic
//! synthetic generator inside the real Haimen boundary, at a few hundred houses, analysed
//! and held as the server holds it (a `Snapshot`).

use std::sync::OnceLock;

use geo::{Geometry, MultiPolygon};
use riskmap_core::Project;
use riskmap_core::generate::{DEFAULT_SEED, GenerateOptions, generate};
use riskmap_core::rules::Rules;
use riskmap_core::tileset::{TileSet, TileSetConfig};
use riskmap_server::server::state::Snapshot;

/// The Haimen boundary (real, from `data/boundaries/`).
const BOUNDARY: &str = include_str!("../../data/boundaries/haimen.geojson");

/// The sizes of the city.
pub fn options() -> GenerateOptions {
    GenerateOptions {
        seed: DEFAULT_SEED,
        houses: 400,
        enterprises: 30,
        hazard_sources: 8,
        pipeline_km: 20.0,
        protection_targets: 30,
    }
}

/// The boundary as one multipolygon.
pub fn boundary() -> MultiPolygon<f64> {
    let gj: geojson::GeoJson = match BOUNDARY.parse() {
        Ok(g) => g,
        Err(e) => panic!("fuzz harness: the Haimen boundary does not parse: {e}"),
    };
    let mut polys = Vec::new();
    let geoms: Vec<geojson::Geometry> = match gj {
        geojson::GeoJson::FeatureCollection(fc) => {
            fc.features.into_iter().filter_map(|f| f.geometry).collect()
        }
        geojson::GeoJson::Feature(f) => f.geometry.into_iter().collect(),
        geojson::GeoJson::Geometry(g) => vec![g],
    };
    for g in geoms {
        match Geometry::<f64>::try_from(g) {
            Ok(Geometry::Polygon(p)) => polys.push(p),
            Ok(Geometry::MultiPolygon(mp)) => polys.extend(mp.0),
            _ => {}
        }
    }
    MultiPolygon(polys)
}

/// The analysed city, made once per process.
pub fn snapshot() -> &'static Snapshot {
    static CITY: OnceLock<Snapshot> = OnceLock::new();
    CITY.get_or_init(|| {
        let ds = match generate(&options(), &boundary()) {
            Ok(ds) => ds,
            Err(e) => panic!("fuzz harness: the small city cannot be generated: {e}"),
        };
        let p = Project::from_dataset(ds, &Rules::default());
        let tiles = match TileSet::build(&p.dataset, &p.analysis, TileSetConfig::default()) {
            Ok(t) => t,
            Err(e) => panic!("fuzz harness: the small city has no tiles: {e}"),
        };
        let summary = p.summary();
        Snapshot {
            generation: 1,
            loaded_at: 0,
            load_seconds: 0.0,
            dataset: p.dataset,
            analysis: p.analysis,
            report: p.report,
            tiles,
            summary,
            rules: p.rules,
        }
    })
}
