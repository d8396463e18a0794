//! A deterministic synthetic city: a complete, clearly fictitious supervision ledger for
//! 海门区 (Haimen district, Nantong, Jiangsu) — or for any other small boundary — to
//! demonstrate and benchmark RiskMap.
//!
//! Everything generated here is **synthetic**. No enterprise, hazard source, house,
//! pipe, person or phone number is real: enterprise, hazard-source and protection-target
//! names end in "（合成数据）", and phone numbers use the 100–109 prefixes, which no
//! mobile network in China assigns. Only the town and street names are real, so that the
//! area layer reads like the district's; their polygons are a nearest-seat partition of
//! the boundary around approximate seat positions, not the legal borders.
//!
//! # What the city looks like
//!
//! - **areas**: the district's streets and towns (海门街道, 三厂街道, 滨江街道, 常乐镇 …)
//!   as the Voronoi cells of their seats clipped to the boundary. For a boundary that
//!   holds too few of those seats, synthetic seats (示例镇01 …) are spread over it.
//! - **enterprises**: one chemical park (临江新区, on the Yangtze in the south-west; a
//!   second chemical cluster appears only when there are more than 100 hosts of hazard
//!   sources), three industrial parks and scattered small firms in and around the towns;
//!   sites are polygons, small firms points. Parks have a maximum size: a very large
//!   city puts its extra firms around them and in the towns, as real ones do.
//! - **hazard_sources**: production and storage units (rectangles of 30–150 m) inside
//!   the sites of hazardous-chemical enterprises, with inventories of real substances
//!   keyed by CAS number, sized so that the GB 18218 grades spread over 一级 … 四级 and a
//!   few units stay below the threshold (Σ q/Q < 1).
//! - **gas_pipelines**: a 次高压 trunk from a gate station linking the towns and parks, 中压
//!   mains along the town streets and the main country roads, 低压 branches along the
//!   villages. The total length matches the request.
//! - **houses**: footprints of 5–15 m by 8–20 m, in rows along the canals and roads of
//!   the countryside (the linear settlement typical of Haimen) and along the street
//!   grids of the towns, where they are denser. Streets and village roads are kept free,
//!   so that the only houses on or within ~2 m of a gas pipe are the 0.3 % placed there
//!   on purpose (occupation cases, 违章占压). Some villages lie close to the chemical park.
//!   A city too dense for one row each side of its roads gets more rows and closer villages.
//! - **protection_targets**: residential communities (小区), schools, kindergartens,
//!   hospitals, nursing homes, markets … mostly in the towns, a few near the chemical park.
//! - **hidden_hazards**: a hidden-hazard ledger (隐患台账) over the two years before
//!   [`LEDGER_END`], each record belonging to a feature of the other layers (see
//!   `hidden`): about 2 % major, most closed, some overdue, some sent back once.
//!
//! # Determinism
//!
//! Same options and boundary ⇒ the same dataset, bit for bit, on every machine and with
//! any number of threads:
//! - every random draw comes from a ChaCha8 stream seeded from [`GenerateOptions::seed`]:
//!   one stream per stage (towns, enterprises, targets, …), so that e.g. the number of
//!   houses does not move the parks, and one per fixed-size chunk of houses in the
//!   parallel pass, so that the thread count never changes which numbers a house sees;
//! - coordinates are computed with `+ − × ÷` and `√` only, which IEEE 754 rounds
//!   correctly; no libm function (sin, cos, exp, ln) is called, because those may differ
//!   in the last bit between platforms. Rotations use the rational parametrisation of the
//!   circle, the local plane's scale a fixed Taylor polynomial, skewed distributions
//!   are tables;
//! - nothing iterates a hash map.
//!
//! The area clipping relies on `geo`'s boolean operations, which snap to an integer grid
//! and are deterministic in practice as well.
//!
//! # Layout
//!
//! The entry point, options and errors are here; each stage has its own module: the
//! arithmetic and random draws (`arith`), the local plane (`plane`), the boundary mask
//! (`mask`), the occupancy bitmap (`occupancy`), shapes (`shapes`), the world being built
//! (`world`), towns and areas (`towns`), parks and enterprises (`enterprises`), hazard
//! sources (`hazards`), names and identifiers (`names`), protection targets (`targets`),
//! gas pipelines (`pipes`), houses (`houses`, `villages`, `house_attrs`), declared grades
//! (`declared`) and the features (`features`). What is specific to 海门区 — seats, parks,
//! the gate station and the district boundary itself — is in `haimen`, and [`write_generated`]
//! (`ledgers`) writes a generated city as the ledger files a district receives.

mod arith;
mod declared;
mod enterprises;
mod features;
mod haimen;
mod hazards;
mod hidden;
mod house_attrs;
mod houses;
mod ledgers;
mod mask;
mod names;
mod occupancy;
mod pipes;
mod plane;
mod province;
mod shapes;
mod targets;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_province;
mod towns;
mod villages;
mod world;

pub use haimen::{BoundaryError, PIPELINE_CRS, haimen};
pub use hidden::LEDGER_END;
pub use ledgers::{LedgerWriteError, write_generated};
pub use province::{
    City, CityCounts, ProvinceError, ProvinceOptions, plan_province, write_province,
};

use geo::MultiPolygon;
use serde::{Deserialize, Serialize};

use crate::dataset::{Dataset, Layer};
use crate::model::LayerKind;
use arith::{C, rng_for, unit_from_half_tan};
use declared::{PopGrid, declare};
use enterprises::build_enterprises;
use features::{enterprise_features, hazard_features, pipe_features, target_features};
use house_attrs::house_features;
use houses::{HouseFill, fill_houses, fill_scattered, place_occupation_houses};
use mask::Mask;
use occupancy::Occupancy;
use pipes::{build_distribution, build_trunk};
use plane::plane_for;
use shapes::path_len;
use targets::build_targets;
use towns::{build_areas, plan_towns};
use world::World;

/// Sizes of a generated city.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenerateOptions {
    /// Seed of every random draw: the same seed, options and boundary give the same city.
    pub seed: u64,
    /// Number of self-built houses (exact).
    pub houses: usize,
    /// Number of enterprises (exact).
    pub enterprises: usize,
    /// Number of major hazard sources (exact); each lies inside the site of a
    /// hazardous-chemical enterprise, so a positive number needs at least one enterprise.
    pub hazard_sources: usize,
    /// Total length of the gas pipelines, km (met to a fraction of a percent, as long as
    /// the boundary has room for it).
    pub pipeline_km: f64,
    /// Number of protection targets (exact).
    pub protection_targets: usize,
    /// Number of hidden-hazard records (exact when there is any feature for them to
    /// belong to), over the two years before [`LEDGER_END`].
    #[serde(default)]
    pub hidden_hazards: usize,
}

/// Seed of the committed demo and of the benchmark city ("HAIMEN" in ASCII).
pub const DEFAULT_SEED: u64 = 0x4841_494D_454E;

/// Benchmark ratios per house: enterprises, hazard sources, pipeline km, protection
/// targets (20,000 / 2,000 / 5,000 km / 5,000 for 1,000,000 houses).
const PER_HOUSE: (f64, f64, f64, f64) = (0.02, 0.002, 0.005, 0.005);
/// Hidden-hazard records per house (100,000 for 1,000,000 houses).
const HIDDEN_PER_HOUSE: f64 = 0.1;

impl GenerateOptions {
    /// The committed demo: ~20,000 houses, ~400 enterprises, ~50 hazard sources, ~300 km of
    /// pipes, ~250 protection targets.
    pub fn demo() -> Self {
        GenerateOptions {
            seed: DEFAULT_SEED,
            houses: 20_000,
            enterprises: 400,
            hazard_sources: 50,
            pipeline_km: 300.0,
            protection_targets: 250,
            hidden_hazards: 3_000,
        }
    }

    /// The benchmark city: 1,000,000 houses, ~20,000 enterprises, ~2,000 hazard sources,
    /// ~5,000 km of pipelines, ~5,000 protection targets.
    pub fn benchmark() -> Self {
        GenerateOptions {
            seed: DEFAULT_SEED,
            houses: 1_000_000,
            enterprises: 20_000,
            hazard_sources: 2_000,
            pipeline_km: 5_000.0,
            protection_targets: 5_000,
            hidden_hazards: 100_000,
        }
    }

    /// Scales the demo city to `houses` houses, everything else in proportion to the
    /// benchmark ratios.
    pub fn scaled(houses: usize) -> Self {
        let h = houses as f64;
        let (e, hs, km, pt) = PER_HOUSE;
        GenerateOptions {
            seed: DEFAULT_SEED,
            houses,
            enterprises: (h * e).round() as usize,
            hazard_sources: (h * hs).round() as usize,
            pipeline_km: h * km,
            protection_targets: (h * pt).round() as usize,
            hidden_hazards: (h * HIDDEN_PER_HOUSE).round() as usize,
        }
    }
}

/// Why a city could not be generated.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GenerateError {
    /// The boundary has no polygon with a non-degenerate exterior ring.
    #[error("the boundary is empty")]
    EmptyBoundary,
    /// A boundary coordinate is not a finite longitude/latitude (latitudes beyond ±85° are
    /// refused: the local plane the city is laid out on would distort too much).
    #[error("the boundary has an invalid lon/lat coordinate ({lon}, {lat})")]
    InvalidCoordinate {
        /// Longitude, degrees.
        lon: f64,
        /// Latitude, degrees.
        lat: f64,
    },
    /// The boundary spans more than 300 km: a synthetic city is laid out for a district.
    #[error("the boundary is {width_km:.0} km by {height_km:.0} km; at most 300 km is supported")]
    BoundaryTooLarge {
        /// East–west extent, km.
        width_km: f64,
        /// North–south extent, km.
        height_km: f64,
    },
    /// The boundary holds no square of about 100 m, so nothing can be placed in it.
    #[error("the boundary is too small to place a city in")]
    BoundaryTooSmall,
    /// Hazard sources were requested without any enterprise to hold them.
    #[error("{hazard_sources} hazard sources requested but no enterprise to hold them")]
    NoEnterpriseForHazardSources {
        /// The number requested.
        hazard_sources: usize,
    },
    /// A province without a city, or with fewer than 1,000 houses a city.
    #[error(
        "a province needs at least one city and 1,000 houses a city ({houses} houses in {cities} cities asked for)"
    )]
    ProvinceTooSmall {
        /// Houses asked for.
        houses: usize,
        /// Cities asked for.
        cities: usize,
    },
    /// The requested pipeline length is negative or not finite.
    #[error("invalid pipeline length {0} km")]
    InvalidPipelineLength(f64),
}

// Tuning constants: documented shares of the synthetic city, not rules of any standard.

/// Share of the houses in the town street grids; the rest are rural.
const TOWN_SHARE: f64 = 0.30;
/// Share of the houses deliberately placed on or within ~2 m of a gas pipe.
const OCCUPATION_SHARE: f64 = 0.003;
/// Largest share of the pipeline length in the 次高压 trunk: enough for the demo's whole
/// trunk (about 120 km linking the towns and parks); in a large city it is a few percent.
const TRUNK_SHARE: f64 = 0.40;
/// Share of the pipeline length in 中压 mains; the rest is 低压.
const MEDIUM_SHARE: f64 = 0.30;
/// Hazard sources per hosting enterprise, on average.
const UNITS_PER_HOST: f64 = 2.5;
/// Houses per metre of town street, both sides and two rows, after losses.
const TOWN_HOUSES_PER_M: f64 = 0.16;
/// Houses per metre of rural line (one row each side, villages cover ~55 % of a line).
const RURAL_HOUSES_PER_M: f64 = 0.061;
/// Fixed chunk of houses per random stream in the parallel pass (never the thread count).
const HOUSE_CHUNK: usize = 8192;
/// The layers' `SourceRef::file`.
const SOURCE_FILE: &str = "generated";

/// Where generated feature `position` came from: [`SOURCE_FILE`], named once.
pub(crate) fn generated_at(position: u64) -> crate::model::SourceRef {
    static FILE: std::sync::OnceLock<crate::model::SourceFile> = std::sync::OnceLock::new();
    let file = *FILE.get_or_init(|| crate::model::SourceFile::named(SOURCE_FILE));
    crate::model::SourceRef::new(file, position)
}
/// Marks names of synthetic entities.
const SYNTH: &str = "（合成数据）";

// Random streams, one per stage, so that e.g. the number of houses does not move the parks.
const STREAM_TOWNS: u64 = 1;
const STREAM_ENTERPRISES: u64 = 2;
const STREAM_TARGETS: u64 = 3;
const STREAM_TRUNK: u64 = 4;
const STREAM_HOUSES: u64 = 5;
const STREAM_PIPES: u64 = 6;
const STREAM_DECLARED: u64 = 7;
const STREAM_PIPE_ATTRS: u64 = 8;
const STREAM_HIDDEN: u64 = 9;
const STREAM_HOUSE_ATTRS: u64 = 1 << 32;

/// Generates the city inside `boundary` (lon/lat). Same options and boundary ⇒ identical
/// dataset, bit for bit, on every machine.
///
/// Counts of houses, enterprises, hazard sources and protection targets are exact; the
/// pipeline length is met to a fraction of a percent (to within ~50 m for tiny requests)
/// unless the boundary is too small to hold it. Every geometry lies inside the boundary;
/// areas tile it. Seats of 海门区's towns that fall outside the boundary are left out, and a
/// boundary holding fewer than three of them gets synthetic towns instead.
///
/// The benchmark city (1,000,000 houses) takes about two seconds in release mode on two
/// cores; memory peaks near 1 GB, most of it the features themselves.
///
/// # Errors
///
/// [`GenerateError`] for an empty, invalid, too large or too small boundary, a negative
/// pipeline length, or hazard sources without any enterprise to hold them.
pub fn generate(
    opts: &GenerateOptions,
    boundary: &MultiPolygon<f64>,
) -> Result<Dataset, GenerateError> {
    generate_in(opts, boundary, None)
}

/// A place named by the caller, for a city that is not 海门区: its name goes into house
/// addresses, enterprise, park and town names, its code into credit and town codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    /// Name, e.g. 示例市03.
    pub name: String,
    /// Six-digit administrative code.
    pub code: String,
}

/// [`generate`] inside a named place: everything 海门区's own (seats, parks, gate station,
/// names) is left out, and the synthetic towns and parks carry the place's name.
///
/// # Errors
///
/// As [`generate`].
pub fn generate_in(
    opts: &GenerateOptions,
    boundary: &MultiPolygon<f64>,
    region: Option<&Region>,
) -> Result<Dataset, GenerateError> {
    if !opts.pipeline_km.is_finite() || opts.pipeline_km < 0.0 {
        return Err(GenerateError::InvalidPipelineLength(opts.pipeline_km));
    }
    if opts.hazard_sources > 0 && opts.enterprises == 0 {
        return Err(GenerateError::NoEnterpriseForHazardSources {
            hazard_sources: opts.hazard_sources,
        });
    }
    let plane = plane_for(boundary)?;
    let rings: Vec<Vec<C>> = boundary
        .0
        .iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .map(|r| r.0.iter().map(|&c| plane.to_m(c)).collect())
        .collect();
    let mask = Mask::build(&rings).ok_or(GenerateError::EmptyBoundary)?;
    if mask.inside_cells.is_empty() {
        return Err(GenerateError::BoundaryTooSmall);
    }
    let extent = (mask.hi.x - mask.lo.x).max(mask.hi.y - mask.lo.y);
    let occ_cell = (extent / 24_000.0).max(2.5);
    let mut world = World {
        occ: Occupancy::new(mask.lo, mask.hi, occ_cell),
        pipe_occ: Occupancy::new(mask.lo, mask.hi, occ_cell),
        mask,
        plane,
        // Haimen's fields, canals and roads run roughly along a grid turned a little
        // anticlockwise from east; a fixed turn keeps the layout reproducible.
        axis: unit_from_half_tan(0.05),
        district: region.map_or(haimen::DISTRICT, |r| &r.name).to_string(),
        credit_area: region.map_or(haimen::CREDIT_AREA, |r| &r.code).to_string(),
        firm_prefixes: match region {
            Some(r) => [r.name.clone(), r.name.clone()],
            None => haimen::FIRM_PREFIXES.map(String::from),
        },
        named: region.is_some(),
    };

    let n_occ = if opts.pipeline_km > 0.0 {
        (opts.houses as f64 * OCCUPATION_SHARE).round() as usize
    } else {
        0
    };
    let n_regular = opts.houses - n_occ;

    let mut rng = rng_for(opts.seed, STREAM_TOWNS);
    let towns = plan_towns(&mut world, &mut rng, n_regular);
    let areas = build_areas(&world, &towns, boundary);

    let mut rng = rng_for(opts.seed, STREAM_ENTERPRISES);
    let mut ents = build_enterprises(&mut world, &mut rng, opts, &towns);

    let mut rng = rng_for(opts.seed, STREAM_TARGETS);
    let targets = build_targets(
        &mut world,
        &mut rng,
        opts.protection_targets,
        &towns,
        &ents.parks,
    );

    let total_m = opts.pipeline_km * 1000.0;
    let mut rng = rng_for(opts.seed, STREAM_TRUNK);
    let mut pipes = build_trunk(
        &mut world,
        &mut rng,
        &towns,
        &ents.parks,
        total_m * TRUNK_SHARE,
    );

    let mut rng = rng_for(opts.seed, STREAM_HOUSES);
    let mut fill = HouseFill::default();
    let villages = fill_houses(
        &mut world,
        &mut rng,
        &towns,
        &ents.parks,
        n_regular,
        &mut fill,
    );

    let mut rng = rng_for(opts.seed, STREAM_PIPES);
    let used: f64 = pipes.iter().map(|p| path_len(&p.pts)).sum();
    build_distribution(
        &mut world,
        &mut rng,
        &towns,
        &villages,
        &fill,
        (total_m - used).max(0.0),
        total_m * MEDIUM_SHARE,
        &mut pipes,
    );
    place_occupation_houses(&mut world, &mut rng, &towns, &pipes, n_occ, &mut fill);
    fill_scattered(
        &mut world,
        &mut rng,
        &towns,
        &ents.parks,
        opts.houses,
        &mut fill,
    );

    let (houses, occupants) = house_features(&world, &towns, &fill, opts.seed);

    let mut rng = rng_for(opts.seed, STREAM_DECLARED);
    let pop = PopGrid::build(&world, &fill, &occupants, &targets);
    declare(&mut rng, &pop, &mut ents);

    let mut ds = Dataset {
        areas: Layer::new(LayerKind::Areas, areas),
        enterprises: Layer::new(LayerKind::Enterprises, enterprise_features(&world, &ents)),
        hazard_sources: Layer::new(LayerKind::HazardSources, hazard_features(&world, &ents)),
        gas_pipelines: Layer::new(
            LayerKind::GasPipelines,
            pipe_features(&world, &pipes, opts.seed),
        ),
        houses: Layer::new(LayerKind::Houses, houses),
        protection_targets: Layer::new(
            LayerKind::ProtectionTargets,
            target_features(&world, &targets),
        ),
        hidden_hazards: Layer::empty(LayerKind::HiddenHazards),
    };
    let mut rng = rng_for(opts.seed, STREAM_HIDDEN);
    let hidden = hidden::hidden_hazards(&ds, opts.hidden_hazards, &mut rng);
    ds.hidden_hazards = Layer::new(LayerKind::HiddenHazards, hidden);
    Ok(ds)
}
