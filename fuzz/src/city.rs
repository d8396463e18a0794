//! The small city the site-check target checks sites against: the deterministic
//! synthetic generator inside the real Haimen boundary, at a few hundred houses, analysed
//! and held as the server holds it (a `Snapshot`).

use std::sync::OnceLock;
use std::time::Instant;

use riskmap_core::Project;
use riskmap_core::generate::{DEFAULT_SEED, GenerateOptions, generate, haimen};
use riskmap_core::rules::Rules;
use riskmap_core::tileset::TileSetConfig;
use riskmap_server::server::state::Snapshot;

/// The sizes of the city.
pub fn options() -> GenerateOptions {
    GenerateOptions {
        seed: DEFAULT_SEED,
        houses: 400,
        enterprises: 30,
        hazard_sources: 8,
        pipeline_km: 20.0,
        protection_targets: 30,
        hidden_hazards: 40,
    }
}

/// The analysed city, made once per process.
pub fn snapshot() -> &'static Snapshot {
    static CITY: OnceLock<Snapshot> = OnceLock::new();
    CITY.get_or_init(|| {
        let boundary = match haimen() {
            Ok(b) => b,
            Err(e) => panic!("fuzz harness: the Haimen boundary does not parse: {e}"),
        };
        let ds = match generate(&options(), &boundary) {
            Ok(ds) => ds,
            Err(e) => panic!("fuzz harness: the small city cannot be generated: {e}"),
        };
        let p = match Project::from_dataset(ds, &Rules::default()) {
            Ok(p) => p,
            Err(e) => panic!("fuzz harness: the small city does not pass the checks: {e}"),
        };
        match Snapshot::of_project(
            p,
            riskmap_core::substances::SubstanceTable::builtin(),
            TileSetConfig::default(),
            1,
            Instant::now(),
        ) {
            Ok(s) => s,
            Err(e) => panic!("fuzz harness: the small city has no tiles: {e}"),
        }
    })
}
