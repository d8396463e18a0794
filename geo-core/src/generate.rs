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

use std::f64::consts::PI;

use geo::{BooleanOps, Coord, Geometry, LineString, MultiPolygon, Point, Polygon};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::dataset::{Dataset, Layer};
use crate::model::{
    Appraisal, Area, Enterprise, Feature, GasPipeline, HazardGrade, HazardSource, House, HouseUse,
    Industry, InventoryItem, LayerKind, PressureClass, ProtectionTarget, QraDistances,
    Rectification, RiskLevel, SourceRef, TargetClass, TargetKind, UnitType,
};

// ---------------------------------------------------------------------------------------
// Options and errors
// ---------------------------------------------------------------------------------------

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
}

/// Seed of the committed demo and of the benchmark city ("HAIMEN" in ASCII).
pub const DEFAULT_SEED: u64 = 0x4841_494D_454E;

/// Benchmark ratios per house: enterprises, hazard sources, pipeline km, protection
/// targets (20,000 / 2,000 / 5,000 km / 5,000 for 1,000,000 houses).
const PER_HOUSE: (f64, f64, f64, f64) = (0.02, 0.002, 0.005, 0.005);

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
    /// The requested pipeline length is negative or not finite.
    #[error("invalid pipeline length {0} km")]
    InvalidPipelineLength(f64),
}

// ---------------------------------------------------------------------------------------
// Tuning constants (all documented shares of the synthetic city, not rules of any standard)
// ---------------------------------------------------------------------------------------

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
const STREAM_HOUSE_ATTRS: u64 = 1 << 32;

// ---------------------------------------------------------------------------------------
// Entry point
// ---------------------------------------------------------------------------------------

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
        district: "海门区",
        credit_area: "320684",
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

    Ok(Dataset {
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
    })
}

// ---------------------------------------------------------------------------------------
// Deterministic arithmetic and random helpers
// ---------------------------------------------------------------------------------------

type C = Coord<f64>;
type Rand = ChaCha8Rng;

const fn c(x: f64, y: f64) -> C {
    Coord { x, y }
}
fn dot(a: C, b: C) -> f64 {
    a.x * b.x + a.y * b.y
}
fn cross(a: C, b: C) -> f64 {
    a.x * b.y - a.y * b.x
}
fn norm(a: C) -> f64 {
    (a.x * a.x + a.y * a.y).sqrt()
}
/// The left normal.
fn perp(a: C) -> C {
    c(-a.y, a.x)
}
/// `v` turned by the unit vector `r` = (cos θ, sin θ).
fn rot(v: C, r: C) -> C {
    c(v.x * r.x - v.y * r.y, v.x * r.y + v.y * r.x)
}
/// The unit vector at angle θ where `t` = tan(θ/2): exact arithmetic, no libm.
fn unit_from_half_tan(t: f64) -> C {
    let d = 1.0 + t * t;
    c((1.0 - t * t) / d, 2.0 * t / d)
}
fn unit(v: C) -> C {
    let n = norm(v);
    if n > 0.0 { v / n } else { c(1.0, 0.0) }
}
fn orient(a: C, b: C, p: C) -> f64 {
    cross(b - a, p - a)
}
/// cos x by its Taylor series (|x| ≤ π/2): a fixed sequence of IEEE operations, so every
/// machine gets the same bits, which a platform's libm `cos` does not promise.
fn cos_poly(x: f64) -> f64 {
    let x2 = x * x;
    let mut term = 1.0;
    let mut sum = 1.0;
    for k in 1..=14u32 {
        term *= -x2 / f64::from((2 * k - 1) * (2 * k));
        sum += term;
    }
    sum
}

fn rng_for(seed: u64, stream: u64) -> Rand {
    let mut r = Rand::seed_from_u64(seed);
    r.set_stream(stream);
    r
}
fn uni(rng: &mut Rand, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * rng.random::<f64>()
}
fn chance(rng: &mut Rand, p: f64) -> bool {
    rng.random::<f64>() < p
}
/// Uniform index below `n` (sampled as u64, so the result does not depend on usize width).
fn below(rng: &mut Rand, n: usize) -> usize {
    if n <= 1 {
        0
    } else {
        rng.random_range(0..n as u64) as usize
    }
}
fn int_in(rng: &mut Rand, lo: u32, hi: u32) -> u32 {
    rng.random_range(lo..=hi)
}
fn weighted(rng: &mut Rand, w: &[f64]) -> usize {
    let total: f64 = w.iter().sum();
    let mut x = uni(rng, 0.0, total);
    for (i, &wi) in w.iter().enumerate() {
        if x < wi {
            return i;
        }
        x -= wi;
    }
    w.len().saturating_sub(1)
}
fn pick<'a>(rng: &mut Rand, items: &[&'a str]) -> &'a str {
    items[below(rng, items.len())]
}
fn shuffle<T>(rng: &mut Rand, v: &mut [T]) {
    for i in (1..v.len()).rev() {
        let j = below(rng, i + 1);
        v.swap(i, j);
    }
}
/// A small random turn, |θ| ≤ 2·atan(`max_half_tan`).
fn small_turn(rng: &mut Rand, max_half_tan: f64) -> C {
    unit_from_half_tan(uni(rng, -max_half_tan, max_half_tan))
}
/// A uniform point of the unit disc, by rejection (no trigonometry).
fn in_unit_disc(rng: &mut Rand) -> C {
    for _ in 0..64 {
        let p = c(uni(rng, -1.0, 1.0), uni(rng, -1.0, 1.0));
        if dot(p, p) <= 1.0 {
            return p;
        }
    }
    c(0.0, 0.0)
}
/// A random direction, by rejection and normalisation.
fn direction(rng: &mut Rand) -> C {
    for _ in 0..64 {
        let p = in_unit_disc(rng);
        if dot(p, p) > 0.01 {
            return unit(p);
        }
    }
    c(1.0, 0.0)
}
/// A value drawn uniformly within a bucket chosen by weight: skewed distributions without
/// `exp` or `ln`.
fn bucketed(rng: &mut Rand, buckets: &[(f64, f64, f64)]) -> f64 {
    let w: Vec<f64> = buckets.iter().map(|b| b.2).collect();
    let (lo, hi, _) = buckets[weighted(rng, &w)];
    uni(rng, lo, hi)
}
fn round_to(v: f64, step: f64) -> f64 {
    (v / step).round() * step
}

// ---------------------------------------------------------------------------------------
// Local plane (metres east/north of the boundary's centre)
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
struct Plane {
    lon0: f64,
    lat0: f64,
    kx: f64,
    ky: f64,
}

impl Plane {
    fn new(lon0: f64, lat0: f64) -> Plane {
        // WGS84 radii of curvature at the origin; cos by polynomial, see `cos_poly`.
        let a = 6_378_137.0;
        let f = 1.0 / 298.257_223_563;
        let e2 = f * (2.0 - f);
        let deg = PI / 180.0;
        let cosp = cos_poly(lat0 * deg);
        let w2 = 1.0 - e2 * (1.0 - cosp * cosp);
        let w = w2.sqrt();
        Plane {
            lon0,
            lat0,
            kx: a / w * cosp * deg,
            ky: a * (1.0 - e2) / (w2 * w) * deg,
        }
    }
    fn to_m(self, ll: C) -> C {
        c((ll.x - self.lon0) * self.kx, (ll.y - self.lat0) * self.ky)
    }
    fn to_ll(self, m: C) -> C {
        c(self.lon0 + m.x / self.kx, self.lat0 + m.y / self.ky)
    }
    fn ring(&self, pts: &[C]) -> LineString<f64> {
        let mut v: Vec<C> = pts.iter().map(|&p| self.to_ll(p)).collect();
        if let Some(&first) = v.first() {
            v.push(first);
        }
        LineString(v)
    }
    fn polygon(&self, pts: &[C]) -> Geometry<f64> {
        Geometry::Polygon(Polygon::new(self.ring(pts), vec![]))
    }
    fn point(&self, p: C) -> Geometry<f64> {
        Geometry::Point(Point(self.to_ll(p)))
    }
    fn line(&self, pts: &[C]) -> Geometry<f64> {
        Geometry::LineString(LineString(pts.iter().map(|&p| self.to_ll(p)).collect()))
    }
}

fn plane_for(boundary: &MultiPolygon<f64>) -> Result<Plane, GenerateError> {
    let mut lo = c(f64::INFINITY, f64::INFINITY);
    let mut hi = c(f64::NEG_INFINITY, f64::NEG_INFINITY);
    let mut any = false;
    for poly in &boundary.0 {
        for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
            for &p in &ring.0 {
                if !(p.x.is_finite() && p.y.is_finite()) || p.x.abs() > 180.0 || p.y.abs() > 85.0 {
                    return Err(GenerateError::InvalidCoordinate { lon: p.x, lat: p.y });
                }
                lo = c(lo.x.min(p.x), lo.y.min(p.y));
                hi = c(hi.x.max(p.x), hi.y.max(p.y));
            }
        }
        any |= poly.exterior().0.len() >= 4;
    }
    if !any {
        return Err(GenerateError::EmptyBoundary);
    }
    let plane = Plane::new((lo.x + hi.x) / 2.0, (lo.y + hi.y) / 2.0);
    let size = plane.to_m(hi) - plane.to_m(lo);
    if size.x > 300_000.0 || size.y > 300_000.0 {
        return Err(GenerateError::BoundaryTooLarge {
            width_km: size.x / 1000.0,
            height_km: size.y / 1000.0,
        });
    }
    Ok(plane)
}

// ---------------------------------------------------------------------------------------
// Boundary mask: a coarse grid of inside / outside / edge cells with exact tests at edges
// ---------------------------------------------------------------------------------------

const OUT: u8 = 0;
const IN: u8 = 1;
const EDGE: u8 = 2;

/// The boundary rasterised on a grid (≈100 m). Cells with no boundary edge are wholly in
/// or out; only edge cells need exact tests, against the few edges bucketed there. This
/// keeps a million containment tests cheap.
struct Mask {
    x0: f64,
    y0: f64,
    cell: f64,
    nx: usize,
    ny: usize,
    state: Vec<u8>,
    centre_in: Vec<bool>,
    start: Vec<u32>,
    list: Vec<u32>,
    edges: Vec<(C, C)>,
    lo: C,
    hi: C,
    inside_cells: Vec<u32>,
}

fn grid_index(v: f64, n: usize) -> usize {
    if v <= 0.0 { 0 } else { (v as usize).min(n - 1) }
}

/// Whether segment a–b touches the closed box lo–hi (Liang–Barsky).
fn seg_touches_box(a: C, b: C, lo: C, hi: C) -> bool {
    let d = b - a;
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [
        (-d.x, a.x - lo.x),
        (d.x, hi.x - a.x),
        (-d.y, a.y - lo.y),
        (d.y, hi.y - a.y),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return false;
            }
        } else {
            let r = q / p;
            if p < 0.0 {
                if r > t1 {
                    return false;
                }
                t0 = t0.max(r);
            } else {
                if r < t0 {
                    return false;
                }
                t1 = t1.min(r);
            }
        }
    }
    true
}

fn on_segment(a: C, b: C, p: C) -> bool {
    p.x >= a.x.min(b.x) && p.x <= a.x.max(b.x) && p.y >= a.y.min(b.y) && p.y <= a.y.max(b.y)
}

/// Whether closed segments p1–p2 and p3–p4 share a point.
fn segments_meet(p1: C, p2: C, p3: C, p4: C) -> bool {
    let d1 = orient(p3, p4, p1);
    let d2 = orient(p3, p4, p2);
    let d3 = orient(p1, p2, p3);
    let d4 = orient(p1, p2, p4);
    if ((d1 > 0.0 && d2 < 0.0) || (d1 < 0.0 && d2 > 0.0))
        && ((d3 > 0.0 && d4 < 0.0) || (d3 < 0.0 && d4 > 0.0))
    {
        return true;
    }
    (d1 == 0.0 && on_segment(p3, p4, p1))
        || (d2 == 0.0 && on_segment(p3, p4, p2))
        || (d3 == 0.0 && on_segment(p1, p2, p3))
        || (d4 == 0.0 && on_segment(p1, p2, p4))
}

/// Whether the segment from `s` to `p` crosses edge a–b, counting an edge endpoint that lies
/// on the segment's line as being on its positive side, so that a ring vertex crossed by the
/// segment is counted once (the half-open rule of ray casting).
fn parity_cross(s: C, p: C, a: C, b: C) -> bool {
    if (orient(s, p, a) > 0.0) == (orient(s, p, b) > 0.0) {
        return false;
    }
    (orient(a, b, s) > 0.0) != (orient(a, b, p) > 0.0)
}

impl Mask {
    fn build(rings: &[Vec<C>]) -> Option<Mask> {
        let mut edges = Vec::new();
        for ring in rings {
            if ring.len() < 3 {
                continue;
            }
            let n = ring.len();
            for k in 0..n {
                let (a, b) = (ring[k], ring[(k + 1) % n]);
                if a != b {
                    edges.push((a, b));
                }
            }
        }
        if edges.len() < 3 {
            return None;
        }
        let mut lo = c(f64::INFINITY, f64::INFINITY);
        let mut hi = c(f64::NEG_INFINITY, f64::NEG_INFINITY);
        for &(a, _) in &edges {
            lo = c(lo.x.min(a.x), lo.y.min(a.y));
            hi = c(hi.x.max(a.x), hi.y.max(a.y));
        }
        let extent = (hi.x - lo.x).max(hi.y - lo.y);
        if extent <= 0.0 {
            return None;
        }
        let cell = (extent / 1500.0).max(100.0);
        let x0 = lo.x - cell;
        let y0 = lo.y - cell;
        let nx = ((hi.x - x0) / cell) as usize + 2;
        let ny = ((hi.y - y0) / cell) as usize + 2;

        // Cell centres in or out by scanlines through the centres (even–odd rule).
        let mut centre_in = vec![false; nx * ny];
        let mut xs: Vec<f64> = Vec::new();
        for j in 0..ny {
            let yc = y0 + (j as f64 + 0.5) * cell;
            xs.clear();
            for &(a, b) in &edges {
                if (a.y > yc) != (b.y > yc) {
                    xs.push(a.x + (yc - a.y) * (b.x - a.x) / (b.y - a.y));
                }
            }
            xs.sort_by(f64::total_cmp);
            let mut k = 0;
            for i in 0..nx {
                let xc = x0 + (i as f64 + 0.5) * cell;
                while k < xs.len() && xs[k] < xc {
                    k += 1;
                }
                centre_in[j * nx + i] = k % 2 == 1;
            }
        }

        // Edges bucketed by the cells they touch.
        let eps = cell * 1e-6;
        let mut pairs: Vec<(u32, u32)> = Vec::new();
        for (e, &(a, b)) in edges.iter().enumerate() {
            let i0 = grid_index((a.x.min(b.x) - eps - x0) / cell, nx);
            let i1 = grid_index((a.x.max(b.x) + eps - x0) / cell, nx);
            let j0 = grid_index((a.y.min(b.y) - eps - y0) / cell, ny);
            let j1 = grid_index((a.y.max(b.y) + eps - y0) / cell, ny);
            for j in j0..=j1 {
                for i in i0..=i1 {
                    let clo = c(x0 + i as f64 * cell - eps, y0 + j as f64 * cell - eps);
                    let chi = c(clo.x + cell + 2.0 * eps, clo.y + cell + 2.0 * eps);
                    if seg_touches_box(a, b, clo, chi) {
                        pairs.push(((j * nx + i) as u32, e as u32));
                    }
                }
            }
        }
        pairs.sort_unstable();
        let mut start = vec![0u32; nx * ny + 1];
        for &(cell_i, _) in &pairs {
            start[cell_i as usize + 1] += 1;
        }
        for k in 0..nx * ny {
            start[k + 1] += start[k];
        }
        let list: Vec<u32> = pairs.iter().map(|&(_, e)| e).collect();
        let mut state = vec![OUT; nx * ny];
        let mut inside_cells = Vec::new();
        for k in 0..nx * ny {
            state[k] = if start[k + 1] > start[k] {
                EDGE
            } else if centre_in[k] {
                inside_cells.push(k as u32);
                IN
            } else {
                OUT
            };
        }
        Some(Mask {
            x0,
            y0,
            cell,
            nx,
            ny,
            state,
            centre_in,
            start,
            list,
            edges,
            lo,
            hi,
            inside_cells,
        })
    }

    fn cell_of(&self, p: C) -> Option<usize> {
        let fx = (p.x - self.x0) / self.cell;
        let fy = (p.y - self.y0) / self.cell;
        if !(fx >= 0.0 && fy >= 0.0) {
            return None;
        }
        let (i, j) = (fx as usize, fy as usize);
        (i < self.nx && j < self.ny).then_some(j * self.nx + i)
    }

    fn edges_of(&self, k: usize) -> impl Iterator<Item = (C, C)> + '_ {
        self.list[self.start[k] as usize..self.start[k + 1] as usize]
            .iter()
            .map(|&e| self.edges[e as usize])
    }

    fn centre(&self, k: usize) -> C {
        let (i, j) = (k % self.nx, k / self.nx);
        c(
            self.x0 + (i as f64 + 0.5) * self.cell,
            self.y0 + (j as f64 + 0.5) * self.cell,
        )
    }

    fn contains_point(&self, p: C) -> bool {
        let Some(k) = self.cell_of(p) else {
            return false;
        };
        match self.state[k] {
            IN => true,
            OUT => false,
            _ => {
                let s = self.centre(k);
                let mut inside = self.centre_in[k];
                for (a, b) in self.edges_of(k) {
                    if parity_cross(s, p, a, b) {
                        inside = !inside;
                    }
                }
                inside
            }
        }
    }

    /// Cell ranges covering the box lo–hi, or `None` when it leaves the grid.
    fn range(&self, lo: C, hi: C) -> Option<(usize, usize, usize, usize)> {
        let a = self.cell_of(lo)?;
        let b = self.cell_of(hi)?;
        Some((a % self.nx, b % self.nx, a / self.nx, b / self.nx))
    }

    /// Whether the closed polygon `pts` (ring without repeated first point) lies inside,
    /// without touching the boundary. Conservative near the edge.
    fn contains_poly(&self, pts: &[C]) -> bool {
        let (lo, hi) = bbox(pts);
        let Some((i0, i1, j0, j1)) = self.range(lo, hi) else {
            return false;
        };
        let mut exact = false;
        for j in j0..=j1 {
            for i in i0..=i1 {
                match self.state[j * self.nx + i] {
                    OUT => return false,
                    EDGE => exact = true,
                    _ => {}
                }
            }
        }
        if !exact {
            return true;
        }
        if !pts.iter().all(|&p| self.contains_point(p)) {
            return false;
        }
        let n = pts.len();
        for j in j0..=j1 {
            for i in i0..=i1 {
                let k = j * self.nx + i;
                if self.state[k] != EDGE {
                    continue;
                }
                for (a, b) in self.edges_of(k) {
                    for q in 0..n {
                        if segments_meet(pts[q], pts[(q + 1) % n], a, b) {
                            return false;
                        }
                    }
                }
            }
        }
        true
    }

    /// Whether the polyline lies inside without crossing or touching the boundary.
    fn contains_path(&self, pts: &[C]) -> bool {
        if pts.is_empty() || !pts.iter().all(|&p| self.contains_point(p)) {
            return false;
        }
        for w in pts.windows(2) {
            let (lo, hi) = bbox(w);
            let Some((i0, i1, j0, j1)) = self.range(lo, hi) else {
                return false;
            };
            for j in j0..=j1 {
                for i in i0..=i1 {
                    let k = j * self.nx + i;
                    if self.state[k] == EDGE
                        && self
                            .edges_of(k)
                            .any(|(a, b)| segments_meet(w[0], w[1], a, b))
                    {
                        return false;
                    }
                }
            }
        }
        true
    }

    fn sample_inside(&self, rng: &mut Rand) -> Option<C> {
        for _ in 0..4000 {
            let p = c(
                uni(rng, self.lo.x, self.hi.x),
                uni(rng, self.lo.y, self.hi.y),
            );
            if self.contains_point(p) {
                return Some(p);
            }
        }
        None
    }

    /// A point in the middle of a random fully-inside cell: always inside, with ≥ 30 m
    /// of room around it.
    fn in_cell(&self, rng: &mut Rand) -> C {
        let k = self.inside_cells[below(rng, self.inside_cells.len())] as usize;
        let r = self.cell * 0.2;
        self.centre(k) + c(uni(rng, -r, r), uni(rng, -r, r))
    }

    fn inside_area_m2(&self) -> f64 {
        self.inside_cells.len() as f64 * self.cell * self.cell
    }
}

fn bbox(pts: &[C]) -> (C, C) {
    let mut lo = c(f64::INFINITY, f64::INFINITY);
    let mut hi = c(f64::NEG_INFINITY, f64::NEG_INFINITY);
    for p in pts {
        lo = c(lo.x.min(p.x), lo.y.min(p.y));
        hi = c(hi.x.max(p.x), hi.y.max(p.y));
    }
    (lo, hi)
}

// ---------------------------------------------------------------------------------------
// Occupancy bitmap (≈2.5 m): keeps buildings from overlapping each other and pipes
// ---------------------------------------------------------------------------------------

struct Occupancy {
    x0: f64,
    y0: f64,
    cell: f64,
    nx: usize,
    ny: usize,
    bits: Vec<u64>,
}

impl Occupancy {
    fn new(lo: C, hi: C, cell: f64) -> Occupancy {
        let nx = ((hi.x - lo.x) / cell) as usize + 3;
        let ny = ((hi.y - lo.y) / cell) as usize + 3;
        Occupancy {
            x0: lo.x - cell,
            y0: lo.y - cell,
            cell,
            nx,
            ny,
            bits: vec![0; (nx * ny).div_ceil(64)],
        }
    }
    fn range(&self, lo: C, hi: C) -> Option<(usize, usize, usize, usize)> {
        let f = |v: f64, o: f64| (v - o) / self.cell;
        let (a, b, cc, d) = (
            f(lo.x, self.x0),
            f(hi.x, self.x0),
            f(lo.y, self.y0),
            f(hi.y, self.y0),
        );
        if !(a >= 0.0 && cc >= 0.0) || b >= self.nx as f64 || d >= self.ny as f64 {
            return None;
        }
        Some((a as usize, b as usize, cc as usize, d as usize))
    }
    /// The words and masks covering bits `a..=b` of the bitmap.
    fn words(a: usize, b: usize) -> impl Iterator<Item = (usize, u64)> {
        let (wa, wb) = (a / 64, b / 64);
        (wa..=wb).map(move |w| {
            let lo = if w == wa { a % 64 } else { 0 };
            let hi = if w == wb { b % 64 } else { 63 };
            let mask = (u64::MAX >> (63 - hi)) & (u64::MAX << lo);
            (w, mask)
        })
    }
    fn is_free_box(&self, lo: C, hi: C) -> bool {
        let Some((i0, i1, j0, j1)) = self.range(lo, hi) else {
            return false;
        };
        (j0..=j1).all(|j| {
            Self::words(j * self.nx + i0, j * self.nx + i1).all(|(w, m)| self.bits[w] & m == 0)
        })
    }
    fn mark_box(&mut self, lo: C, hi: C) {
        if let Some((i0, i1, j0, j1)) = self.range(lo, hi) {
            for j in j0..=j1 {
                for (w, m) in Self::words(j * self.nx + i0, j * self.nx + i1) {
                    self.bits[w] |= m;
                }
            }
        }
    }
    fn is_free(&self, pts: &[C], margin: f64) -> bool {
        let (lo, hi) = bbox(pts);
        self.is_free_box(lo - c(margin, margin), hi + c(margin, margin))
    }
    fn mark(&mut self, pts: &[C], margin: f64) {
        let (lo, hi) = bbox(pts);
        self.mark_box(lo - c(margin, margin), hi + c(margin, margin));
    }
    /// Centres of boxes covering a corridor of `half` metres along a polyline: every half
    /// cell, or every `half / 2` for wide corridors (the boxes then still cover ≥ 0.97·half).
    fn path_samples(&self, pts: &[C], half: f64) -> Vec<C> {
        let step = (self.cell * 0.5).max(half * 0.5);
        let mut out = Vec::new();
        for w in pts.windows(2) {
            let d = w[1] - w[0];
            let steps = (norm(d) / step).ceil().max(1.0) as usize;
            out.extend((0..=steps).map(|s| w[0] + d * (s as f64 / steps as f64)));
        }
        out
    }
    /// Marks a corridor of `half` metres either side of a polyline.
    fn mark_path(&mut self, pts: &[C], half: f64) {
        let h = c(half, half);
        for p in self.path_samples(pts, half) {
            self.mark_box(p - h, p + h);
        }
    }
    /// Whether a corridor of `half` metres either side of a polyline is free.
    fn path_free(&self, pts: &[C], half: f64) -> bool {
        let h = c(half, half);
        self.path_samples(pts, half)
            .into_iter()
            .all(|p| self.is_free_box(p - h, p + h))
    }
}

// ---------------------------------------------------------------------------------------
// Shapes
// ---------------------------------------------------------------------------------------

/// A rectangle turned to the unit axis `u`, with half-sizes along `u` and its normal.
#[derive(Debug, Clone, Copy)]
struct RotRect {
    c: C,
    u: C,
    hw: f64,
    hh: f64,
}

impl RotRect {
    /// Corners, anticlockwise.
    fn corners(&self) -> [C; 4] {
        let a = self.u * self.hw;
        let b = perp(self.u) * self.hh;
        [
            self.c - a - b,
            self.c + a - b,
            self.c + a + b,
            self.c - a + b,
        ]
    }
    fn local(&self, p: C) -> C {
        let d = p - self.c;
        c(dot(d, self.u), dot(d, perp(self.u)))
    }
    fn contains(&self, p: C, margin: f64) -> bool {
        let l = self.local(p);
        l.x.abs() <= self.hw + margin && l.y.abs() <= self.hh + margin
    }
    fn distance(&self, p: C) -> f64 {
        let l = self.local(p);
        let dx = (l.x.abs() - self.hw).max(0.0);
        let dy = (l.y.abs() - self.hh).max(0.0);
        (dx * dx + dy * dy).sqrt()
    }
}

fn path_len(pts: &[C]) -> f64 {
    pts.windows(2).map(|w| norm(w[1] - w[0])).sum()
}

/// Cumulative lengths along a polyline.
fn cumulative(pts: &[C]) -> Vec<f64> {
    let mut cum = Vec::with_capacity(pts.len());
    let mut s = 0.0;
    for (k, p) in pts.iter().enumerate() {
        if k > 0 {
            s += norm(*p - pts[k - 1]);
        }
        cum.push(s);
    }
    cum
}

/// Point and unit tangent at arc length `t` of a polyline.
fn at(pts: &[C], cum: &[f64], t: f64) -> (C, C) {
    let n = pts.len();
    let k = match cum.binary_search_by(|v| v.total_cmp(&t)) {
        Ok(k) | Err(k) => k.clamp(1, n - 1),
    };
    let (a, b) = (pts[k - 1], pts[k]);
    let seg = cum[k] - cum[k - 1];
    let f = if seg > 0.0 {
        ((t - cum[k - 1]) / seg).clamp(0.0, 1.0)
    } else {
        0.0
    };
    (a + (b - a) * f, unit(b - a))
}

/// The part of a polyline between arc lengths t0 and t1.
fn sub_path(pts: &[C], cum: &[f64], t0: f64, t1: f64) -> Vec<C> {
    let mut out = vec![at(pts, cum, t0).0];
    for (k, &s) in cum.iter().enumerate() {
        if s > t0 && s < t1 {
            out.push(pts[k]);
        }
    }
    out.push(at(pts, cum, t1).0);
    out.dedup();
    out
}

/// A polyline moved sideways by `d` metres (left for positive `d`).
fn offset_path(pts: &[C], d: f64) -> Vec<C> {
    let n = pts.len();
    (0..n)
        .map(|k| {
            let t0 = if k > 0 {
                unit(pts[k] - pts[k - 1])
            } else {
                unit(pts[1] - pts[0])
            };
            let t1 = if k + 1 < n {
                unit(pts[k + 1] - pts[k])
            } else {
                t0
            };
            pts[k] + perp(unit(t0 + t1)) * d
        })
        .collect()
}

/// Splits a polyline into pieces of random length in [lo, hi]; a short tail joins the last.
fn split_path(rng: &mut Rand, pts: &[C], lo: f64, hi: f64) -> Vec<Vec<C>> {
    let cum = cumulative(pts);
    let total = cum.last().copied().unwrap_or(0.0);
    let mut out = Vec::new();
    let mut t = 0.0;
    while t < total {
        let mut next = t + uni(rng, lo, hi);
        if total - next < lo * 0.5 {
            next = total;
        }
        out.push(sub_path(pts, &cum, t, next.min(total)));
        t = next;
    }
    out.retain(|p| p.len() >= 2);
    out
}

/// The first `max` metres of a polyline.
fn truncate_path(pts: &[C], max: f64) -> Vec<C> {
    let cum = cumulative(pts);
    if cum.last().copied().unwrap_or(0.0) <= max {
        return pts.to_vec();
    }
    sub_path(pts, &cum, 0.0, max)
}

/// Adds vertices every `lo`–`hi` metres, moved sideways by up to `jitter` metres, as a
/// surveyed line along a real road has; the given vertices stay where they are.
fn densify(rng: &mut Rand, pts: &[C], lo: f64, hi: f64, jitter: f64) -> Vec<C> {
    let mut out = Vec::new();
    for w in pts.windows(2) {
        let d = w[1] - w[0];
        let l = norm(d);
        if l == 0.0 {
            continue;
        }
        let n = perp(d / l);
        let parts = (l / uni(rng, lo, hi)).ceil().max(1.0) as usize;
        out.push(w[0]);
        for s in 1..parts {
            out.push(w[0] + d * (s as f64 / parts as f64) + n * uni(rng, -jitter, jitter));
        }
    }
    if let Some(&last) = pts.last() {
        out.push(last);
    }
    out.dedup();
    out
}

/// The parts of a polyline whose segments lie inside the boundary.
fn inside_runs(mask: &Mask, pts: &[C]) -> Vec<Vec<C>> {
    let mut runs = Vec::new();
    let mut cur: Vec<C> = Vec::new();
    for w in pts.windows(2) {
        if mask.contains_path(w) {
            if cur.is_empty() {
                cur.push(w[0]);
            }
            cur.push(w[1]);
        } else if cur.len() >= 2 {
            runs.push(std::mem::take(&mut cur));
        } else {
            cur.clear();
        }
    }
    if cur.len() >= 2 {
        runs.push(cur);
    }
    runs
}

// ---------------------------------------------------------------------------------------
// World: the boundary, the plane and what is already built
// ---------------------------------------------------------------------------------------

struct World {
    plane: Plane,
    mask: Mask,
    /// Buildings, sites and protection targets.
    occ: Occupancy,
    /// Corridors of the trunk, so that ordinary houses never sit on it.
    pipe_occ: Occupancy,
    axis: C,
    district: &'static str,
    /// Administrative code used in credit codes.
    credit_area: &'static str,
}

impl World {
    /// A point near `centre` (within `radius`) that is inside and free, marked as taken;
    /// falls back to anywhere inside, then to the middle of an inside cell.
    fn place_point(&mut self, rng: &mut Rand, centre: C, radius: f64) -> C {
        let h = c(5.0, 5.0);
        for _ in 0..200 {
            let p = centre + in_unit_disc(rng) * radius;
            if self.mask.contains_point(p) && self.occ.is_free_box(p - h, p + h) {
                self.occ.mark_box(p - h, p + h);
                return p;
            }
        }
        for _ in 0..50 {
            if let Some(p) = self.mask.sample_inside(rng)
                && self.occ.is_free_box(p - h, p + h)
            {
                self.occ.mark_box(p - h, p + h);
                return p;
            }
        }
        self.mask.in_cell(rng)
    }

    /// A free rectangle of `w`×`h` near `centre`, turned to `u`, marked as taken.
    fn place_rect(
        &mut self,
        rng: &mut Rand,
        centre: C,
        radius: f64,
        u: C,
        size: (f64, f64),
        margin: f64,
    ) -> Option<RotRect> {
        for _ in 0..150 {
            let r = RotRect {
                c: centre + in_unit_disc(rng) * radius,
                u,
                hw: size.0 / 2.0,
                hh: size.1 / 2.0,
            };
            let pts = r.corners();
            if self.occ.is_free(&pts, margin) && self.mask.contains_poly(&pts) {
                self.occ.mark(&pts, 0.0);
                return Some(r);
            }
        }
        None
    }
}

// ---------------------------------------------------------------------------------------
// Towns and areas
// ---------------------------------------------------------------------------------------

/// A seat of a town or street (镇/街道), approximate position of its centre.
struct SeatDef {
    name: &'static str,
    code: &'static str,
    lon: f64,
    lat: f64,
    weight: f64,
    min_radius: f64,
}

/// 海门区's streets and towns with approximate seat positions (海永镇, an exclave on
/// 崇明岛, lies outside the boundary used here). Codes are plausible 12-digit statistical
/// codes under 320614, not the official list.
const fn seat(
    name: &'static str,
    code: &'static str,
    lon: f64,
    lat: f64,
    weight: f64,
    min_radius: f64,
) -> SeatDef {
    SeatDef {
        name,
        code,
        lon,
        lat,
        weight,
        min_radius,
    }
}

const HAIMEN_SEATS: [SeatDef; 11] = [
    seat("海门街道", "320614001000", 121.170, 31.895, 3.0, 1500.0),
    seat("三厂街道", "320614002000", 121.112, 31.878, 1.5, 1000.0),
    seat("滨江街道", "320614003000", 121.205, 31.852, 1.3, 900.0),
    seat("常乐镇", "320614101000", 121.240, 31.935, 1.0, 700.0),
    seat("悦来镇", "320614102000", 121.335, 31.895, 1.0, 700.0),
    seat("四甲镇", "320614103000", 121.255, 32.062, 0.9, 700.0),
    seat("余东镇", "320614104000", 121.325, 32.005, 0.9, 700.0),
    seat("正余镇", "320614105000", 121.172, 31.975, 0.8, 600.0),
    seat("包场镇", "320614106000", 121.425, 32.060, 0.9, 700.0),
    seat("临江镇", "320614107000", 121.055, 31.830, 0.9, 700.0),
    seat("三星镇", "320614108000", 121.108, 31.940, 1.2, 800.0),
];

/// The natural-gas gate station (门站) the trunk starts from, west of the city.
const HAIMEN_GATE: (f64, f64) = (121.095, 31.905);

struct Town {
    name: String,
    code: String,
    centre: C,
    weight: f64,
    radius: f64,
    frame: C,
    spacing: f64,
    quota: usize,
}

fn plan_towns(world: &mut World, rng: &mut Rand, n_regular: usize) -> Vec<Town> {
    let mut towns: Vec<Town> = Vec::new();
    for s in &HAIMEN_SEATS {
        let p = world.plane.to_m(c(s.lon, s.lat));
        if world
            .mask
            .cell_of(p)
            .is_some_and(|k| world.mask.state[k] == IN)
        {
            towns.push(Town {
                name: s.name.to_string(),
                code: s.code.to_string(),
                centre: p,
                weight: s.weight,
                radius: s.min_radius,
                frame: c(1.0, 0.0),
                spacing: 150.0,
                quota: 0,
            });
        }
    }
    if towns.len() < 3 {
        // Not Haimen (or a piece of it): spread synthetic seats over the boundary.
        towns.clear();
        world.district = "示例区";
        world.credit_area = "990000";
        let area_km2 = world.mask.inside_area_m2() / 1e6;
        let k = ((area_km2 / 90.0).round() as usize).clamp(1, 12);
        let min_gap = (area_km2 * 1e6 / k as f64).sqrt() * 0.5;
        let mut tries = 0;
        while towns.len() < k && tries < 2000 {
            tries += 1;
            let p = world.mask.in_cell(rng);
            if towns.iter().all(|t| norm(t.centre - p) >= min_gap) || tries > 1500 {
                let i = towns.len() + 1;
                towns.push(Town {
                    name: format!("示例镇{i:02}"),
                    code: format!("990000{:03}000", i),
                    centre: p,
                    weight: 1.0,
                    radius: 500.0,
                    frame: c(1.0, 0.0),
                    spacing: 150.0,
                    quota: 0,
                });
            }
        }
    }
    let town_total = (n_regular as f64 * TOWN_SHARE).round() as usize;
    let wsum: f64 = towns.iter().map(|t| t.weight).sum();
    let mut given = 0;
    let n = towns.len();
    for (i, t) in towns.iter_mut().enumerate() {
        t.quota = if i + 1 == n {
            town_total - given
        } else {
            ((town_total as f64) * t.weight / wsum).floor() as usize
        };
        given += t.quota;
        t.frame = rot(world.axis, small_turn(rng, 0.035));
        t.spacing = uni(rng, 120.0, 170.0);
        let need = t.quota as f64 / TOWN_HOUSES_PER_M;
        t.radius = (need * t.spacing / (2.0 * PI))
            .sqrt()
            .clamp(t.radius, 5000.0);
    }
    towns
}

fn nearest_town(towns: &[Town], p: C) -> usize {
    let mut best = 0;
    let mut bd = f64::INFINITY;
    for (i, t) in towns.iter().enumerate() {
        let d = dot(p - t.centre, p - t.centre);
        if d < bd {
            bd = d;
            best = i;
        }
    }
    best
}

/// Keeps the part of a convex polygon where (p − m)·n ≤ 0 (Sutherland–Hodgman).
fn clip_half_plane(poly: &[C], m: C, n: C) -> Vec<C> {
    let mut out = Vec::new();
    let k = poly.len();
    for i in 0..k {
        let (a, b) = (poly[i], poly[(i + 1) % k]);
        let (da, db) = (dot(a - m, n), dot(b - m, n));
        if da <= 0.0 {
            out.push(a);
        }
        if (da < 0.0 && db > 0.0) || (da > 0.0 && db < 0.0) {
            out.push(a + (b - a) * (da / (da - db)));
        }
    }
    out
}

fn build_areas(world: &World, towns: &[Town], boundary: &MultiPolygon<f64>) -> Vec<Feature<Area>> {
    let pad = c(5000.0, 5000.0);
    let (lo, hi) = (world.mask.lo - pad, world.mask.hi + pad);
    let mut out = Vec::new();
    for (i, t) in towns.iter().enumerate() {
        let mut cell = vec![lo, c(hi.x, lo.y), hi, c(lo.x, hi.y)];
        for (j, o) in towns.iter().enumerate() {
            if i != j && cell.len() >= 3 {
                cell = clip_half_plane(&cell, (t.centre + o.centre) * 0.5, o.centre - t.centre);
            }
        }
        if cell.len() < 3 {
            continue;
        }
        let poly = Polygon::new(world.plane.ring(&cell), vec![]);
        let clipped = poly.intersection(boundary);
        let geometry = match clipped.0.len() {
            0 => continue,
            1 => Geometry::Polygon(clipped.0[0].clone()),
            _ => Geometry::MultiPolygon(clipped),
        };
        out.push(Feature {
            id: format!("area-{:02}", out.len() + 1),
            geometry,
            props: Area {
                name: t.name.clone(),
                code: Some(t.code.clone()),
            },
            source: SourceRef {
                file: SOURCE_FILE.to_string(),
                position: out.len() as u64,
            },
        });
    }
    out
}

// ---------------------------------------------------------------------------------------
// Parks, enterprises and hazard sources
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ParkKind {
    Chemical,
    Industrial,
}

struct Park {
    name: &'static str,
    kind: ParkKind,
    rect: RotRect,
    weight: f64,
    /// How far the park may grow (half-width) when the boundary cuts it.
    max_hw: f64,
    /// Sites that found no room; past a few, the park counts as full.
    misses: u32,
}

/// Largest half-width of a park, m: a big city gets more firms outside the parks, not a
/// park the size of the district.
const MAX_PARK_HW: [f64; 2] = [1800.0, 2500.0];

/// Parks of the synthetic city: name, kind, approximate centre, tan of half the turn of
/// its grid, share of the industrial firms. The chemical park lies along the Yangtze in
/// the south-west (临江新区); the second chemical cluster is used only for large cities.
const HAIMEN_PARKS: [(&str, ParkKind, f64, f64, f64, f64); 5] = [
    (
        "临江新区化工园区",
        ParkKind::Chemical,
        121.088,
        31.792,
        -0.249,
        1.0,
    ),
    (
        "海门经济技术开发区",
        ParkKind::Industrial,
        121.228,
        31.882,
        0.05,
        0.5,
    ),
    (
        "海门港新区",
        ParkKind::Industrial,
        121.462,
        32.072,
        0.05,
        0.3,
    ),
    (
        "三星叠石桥工业集中区",
        ParkKind::Industrial,
        121.102,
        31.968,
        0.05,
        0.2,
    ),
    (
        "海门港新区化工集中区",
        ParkKind::Chemical,
        121.420,
        32.090,
        0.05,
        0.0,
    ),
];

/// Hosts of hazard sources above which a second chemical cluster is opened.
const SECOND_CHEM_PARK_HOSTS: usize = 100;

#[derive(Debug, Clone, Copy)]
struct Substance {
    cas: &'static str,
    name: &'static str,
    /// Critical quantity, t (GB 18218-2018 Table 1); `INFINITY` for substances it does not
    /// list. Used only to size the synthetic inventories: the analysis has its own table.
    q: f64,
    /// Correction factor β used to aim the grades (same caveat).
    beta: f64,
    /// Largest q/Q a unit may hold, for plausible tonnages.
    max_ratio: f64,
    /// GB 18218 Table 2 category, stated in the ledger for substances Table 1 does not
    /// list (the analysis falls back to it).
    category: Option<&'static str>,
}

const fn sub(
    cas: &'static str,
    name: &'static str,
    q: f64,
    beta: f64,
    max_ratio: f64,
    category: Option<&'static str>,
) -> Substance {
    Substance {
        cas,
        name,
        q,
        beta,
        max_ratio,
        category,
    }
}

const SUBSTANCES: [Substance; 17] = [
    sub("7782-50-5", "氯", 5.0, 4.0, 40.0, None),
    sub("7664-41-7", "氨", 10.0, 2.0, 30.0, None),
    sub("68476-85-7", "液化石油气", 50.0, 1.5, 20.0, None),
    sub("74-82-8", "天然气（甲烷）", 50.0, 1.5, 10.0, None),
    sub("1333-74-0", "氢", 5.0, 1.5, 4.0, None),
    sub("67-56-1", "甲醇", 500.0, 1.0, 40.0, None),
    sub("71-43-2", "苯", 50.0, 1.0, 60.0, None),
    sub("86290-81-5", "汽油", 200.0, 1.0, 50.0, None),
    sub("108-88-3", "甲苯", 500.0, 1.0, 20.0, None),
    sub("75-21-8", "环氧乙烷", 10.0, 2.0, 30.0, None),
    sub("7783-06-4", "硫化氢", 5.0, 5.0, 3.0, None),
    sub("67-64-1", "丙酮", 500.0, 1.0, 10.0, None),
    sub("141-78-6", "乙酸乙酯", 500.0, 1.0, 10.0, None),
    sub("7664-93-9", "硫酸", f64::INFINITY, 0.0, 0.0, None),
    sub("78-67-1", "偶氮二异丁腈", 50.0, 1.0, 3.0, Some("W6.2")),
    sub("1338-23-4", "过氧化甲乙酮", 50.0, 1.0, 3.0, Some("W7.2")),
    sub("123-86-4", "乙酸丁酯", 5000.0, 1.0, 0.2, Some("W5.4")),
];
const ACID: usize = 13;

struct UnitTemplate {
    name: &'static str,
    unit_type: UnitType,
    /// Substance index and share of the unit's Σ q/Q.
    lines: &'static [(usize, f64)],
    /// Also holds sulphuric acid, which GB 18218 does not list (a fallback case).
    acid: bool,
}

const fn tpl(
    name: &'static str,
    unit_type: UnitType,
    lines: &'static [(usize, f64)],
    acid: bool,
) -> UnitTemplate {
    UnitTemplate {
        name,
        unit_type,
        lines,
        acid,
    }
}

const CHEM_TEMPLATES: [UnitTemplate; 12] = [
    tpl(
        "氯碱生产单元",
        UnitType::Production,
        &[(0, 0.7), (4, 0.3)],
        true,
    ),
    tpl("液氯储存单元", UnitType::Storage, &[(0, 1.0)], false),
    tpl("液氨储罐区", UnitType::Storage, &[(1, 1.0)], false),
    tpl(
        "甲醇储罐区",
        UnitType::Storage,
        &[(5, 0.8), (8, 0.2)],
        false,
    ),
    tpl(
        "芳烃储罐区",
        UnitType::Storage,
        &[(6, 0.6), (8, 0.4)],
        false,
    ),
    tpl(
        "溶剂储罐区",
        UnitType::Storage,
        &[(11, 0.4), (12, 0.4), (5, 0.2)],
        false,
    ),
    tpl(
        "环氧乙烷加成生产单元",
        UnitType::Production,
        &[(9, 1.0)],
        false,
    ),
    tpl(
        "甲醇制氢生产单元",
        UnitType::Production,
        &[(4, 0.6), (5, 0.4)],
        false,
    ),
    tpl(
        "硫化物生产单元",
        UnitType::Production,
        &[(10, 0.6), (1, 0.4)],
        true,
    ),
    tpl(
        "医药中间体生产单元",
        UnitType::Production,
        &[(8, 0.5), (6, 0.3), (11, 0.2)],
        true,
    ),
    tpl("油品储罐区", UnitType::Storage, &[(7, 1.0)], false),
    tpl(
        "聚合反应生产单元",
        UnitType::Production,
        &[(14, 0.4), (15, 0.3), (16, 0.05), (8, 0.25)],
        false,
    ),
];

const TOWN_TEMPLATES: [UnitTemplate; 3] = [
    tpl(
        "液化石油气储配站储罐区",
        UnitType::Storage,
        &[(2, 1.0)],
        false,
    ),
    tpl("LNG气化站储罐区", UnitType::Storage, &[(3, 1.0)], false),
    tpl(
        "成品油库储罐区",
        UnitType::Storage,
        &[(7, 0.9), (5, 0.1)],
        false,
    ),
];

#[derive(Debug, Clone)]
struct UnitPlan {
    rect: RotRect,
    name: String,
    unit_type: UnitType,
    inventory: Vec<InventoryItem>,
    /// Σ βᵢqᵢ/Qᵢ and Σ qᵢ/Qᵢ over the listed substances.
    beta_sum: f64,
    s_sum: f64,
    qra: Option<QraDistances>,
    declared: Option<HazardGrade>,
}

#[derive(Debug, Clone)]
enum Site {
    Point(C),
    Rect(RotRect),
}

impl Site {
    fn centre(&self) -> C {
        match self {
            Site::Point(p) => *p,
            Site::Rect(r) => r.c,
        }
    }
}

struct EntPlan {
    id: usize,
    props: Enterprise,
    site: Site,
    units: Vec<UnitPlan>,
}

struct Enterprises {
    parks: Vec<Park>,
    ents: Vec<EntPlan>,
}

const ZIHAO: [&str; 40] = [
    "恒", "瑞", "华", "泰", "鑫", "通", "江", "润", "联", "盛", "达", "宏", "远", "科", "创", "嘉",
    "信", "昌", "隆", "丰", "源", "凯", "腾", "正", "元", "祥", "宇", "锦", "和", "振", "富", "誉",
    "晨", "东", "海", "洲", "蓝", "博", "新", "中",
];

fn zihao(rng: &mut Rand) -> String {
    format!("{}{}", pick(rng, &ZIHAO), pick(rng, &ZIHAO))
}

fn industry_words(i: Industry) -> &'static [&'static str] {
    match i {
        Industry::HazchemProduction => &["化工", "精细化工", "新材料科技", "医药化工"],
        Industry::HazchemStorage => &["化工仓储", "石化储运", "能源储运"],
        Industry::HazchemTrade => &["化工贸易", "化工原料经营", "危化品物流"],
        Industry::HazchemUse => &["涂装", "印染", "电子材料", "生物医药"],
        Industry::DustExplosion => &["木业", "饲料", "铝制品", "家纺棉业"],
        Industry::AmmoniaRefrigeration => &["冷链物流", "食品", "水产冷冻"],
        Industry::ConfinedSpace => &["污水处理", "酿造", "造纸", "家纺印染"],
        Industry::Metallurgy => &["铸造", "钢结构", "有色金属"],
        _ => &["家纺", "机械", "电子", "服饰", "船舶配套", "建材", "纺织"],
    }
}

/// Industries of the firms that host no hazard source, and their weights.
const INDUSTRY_MIX: [(Industry, f64); 9] = [
    (Industry::HazchemProduction, 0.03),
    (Industry::HazchemStorage, 0.01),
    (Industry::HazchemTrade, 0.10),
    (Industry::HazchemUse, 0.10),
    (Industry::DustExplosion, 0.09),
    (Industry::AmmoniaRefrigeration, 0.03),
    (Industry::ConfinedSpace, 0.12),
    (Industry::Metallurgy, 0.06),
    (Industry::Other, 0.46),
];

/// Employees: a log-skewed table (5–2000, median ~30).
const EMPLOYEES: [(f64, f64, f64); 8] = [
    (5.0, 10.0, 0.22),
    (10.0, 20.0, 0.22),
    (20.0, 50.0, 0.22),
    (50.0, 100.0, 0.14),
    (100.0, 200.0, 0.09),
    (200.0, 500.0, 0.07),
    (500.0, 1000.0, 0.03),
    (1000.0, 2000.0, 0.01),
];

/// Where a firm goes.
#[derive(Debug, Clone, Copy)]
enum Place {
    Park(usize),
    Town(usize),
    Outskirts(usize),
    Anywhere,
}

struct Spec {
    industry: Industry,
    employees: u32,
    place: Place,
    /// Site size, if it gets a polygon.
    size: Option<(f64, f64)>,
    /// Units (template, town template?, width, height) for hosts.
    units: Vec<(usize, bool, f64, f64)>,
}

const CC_CHARS: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const CC_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// A unified social credit code (GB 32100-2015) with valid check characters: "91" (a
/// company), the registration area, a 9-character organisation code (GB 11714 check) and
/// the final check character.
fn credit_code(rng: &mut Rand, area: &str) -> String {
    let mut s = format!("91{area}");
    let mut org: Vec<u8> = Vec::with_capacity(9);
    if chance(rng, 0.5) {
        org.push(b'1' + below(rng, 9) as u8);
        for _ in 0..7 {
            org.push(b'0' + below(rng, 10) as u8);
        }
    } else {
        // Codes issued since 2015 start with "MA".
        org.extend_from_slice(b"MA");
        for _ in 0..6 {
            org.push(CC_CHARS[below(rng, 31)]);
        }
    }
    let w = [3u32, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = org
        .iter()
        .zip(w)
        .map(|(&ch, wi)| {
            let v = if ch.is_ascii_digit() {
                u32::from(ch - b'0')
            } else {
                u32::from(ch - b'A') + 10
            };
            v * wi
        })
        .sum();
    org.push(match 11 - sum % 11 {
        10 => b'X',
        11 => b'0',
        d => b'0' + d as u8,
    });
    s.push_str(&String::from_utf8_lossy(&org));
    let total: u32 = s
        .bytes()
        .zip(CC_WEIGHTS)
        .map(|(ch, wi)| CC_CHARS.iter().position(|&x| x == ch).unwrap_or(0) as u32 * wi)
        .sum();
    let check = (31 - total % 31) % 31;
    s.push(char::from(CC_CHARS[check as usize]));
    s
}

/// A synthetic phone number: the 100–109 prefixes are not assigned to any mobile network.
fn phone(rng: &mut Rand) -> String {
    format!(
        "10{}-{:04}-{:04}",
        below(rng, 10),
        below(rng, 10_000),
        below(rng, 10_000)
    )
}

fn hidden_hazards(rng: &mut Rand) -> u32 {
    match weighted(rng, &[0.45, 0.25, 0.15, 0.08, 0.07]) {
        0 => 0,
        1 => 1,
        2 => 2,
        3 => 3,
        _ => int_in(rng, 4, 9),
    }
}

/// Lays the units of a host out in rows of up to three inside a site; returns the site size
/// and each unit's centre in the site's frame.
fn layout_units(units: &[(usize, bool, f64, f64)]) -> ((f64, f64), Vec<C>) {
    const MARGIN: f64 = 25.0;
    const GAP: f64 = 15.0;
    const OFFICE: f64 = 30.0;
    let rows: Vec<&[(usize, bool, f64, f64)]> = units.chunks(3).collect();
    let width = rows
        .iter()
        .map(|r| r.iter().map(|u| u.2).sum::<f64>() + GAP * (r.len() as f64 - 1.0))
        .fold(0.0, f64::max)
        + 2.0 * MARGIN;
    let heights: Vec<f64> = rows
        .iter()
        .map(|r| r.iter().map(|u| u.3).fold(0.0, f64::max))
        .collect();
    let height =
        heights.iter().sum::<f64>() + GAP * (rows.len() as f64 - 1.0) + 2.0 * MARGIN + OFFICE;
    let mut centres = Vec::new();
    let mut y = -height / 2.0 + MARGIN + OFFICE;
    for (r, h) in rows.iter().zip(&heights) {
        let mut x = -width / 2.0 + MARGIN;
        for u in r.iter() {
            centres.push(c(x + u.2 / 2.0, y + h / 2.0));
            x += u.2 + GAP;
        }
        y += h + GAP;
    }
    ((width, height), centres)
}

fn build_enterprises(
    world: &mut World,
    rng: &mut Rand,
    opts: &GenerateOptions,
    towns: &[Town],
) -> Enterprises {
    let n_ent = opts.enterprises;
    let n_hs = opts.hazard_sources;
    let n_hosts = if n_hs == 0 {
        0
    } else {
        ((n_hs as f64 / UNITS_PER_HOST).ceil() as usize).clamp(1, n_ent)
    };

    // Parks: the Haimen positions where they fall well inside, else random inside points.
    let mut parks: Vec<Park> = Vec::new();
    for &(name, kind, lon, lat, turn, weight) in &HAIMEN_PARKS {
        if name == HAIMEN_PARKS[4].0 && n_hosts <= SECOND_CHEM_PARK_HOSTS {
            continue;
        }
        let mut p = world.plane.to_m(c(lon, lat));
        if world.district != "海门区"
            || world
                .mask
                .cell_of(p)
                .is_none_or(|k| world.mask.state[k] != IN)
        {
            p = world.mask.in_cell(rng);
        }
        parks.push(Park {
            name,
            kind,
            rect: RotRect {
                c: p,
                u: unit_from_half_tan(turn),
                hw: 600.0,
                hh: 400.0,
            },
            weight,
            max_hw: 600.0,
            misses: 0,
        });
    }
    let chem: Vec<usize> = (0..parks.len())
        .filter(|&i| parks[i].kind == ParkKind::Chemical)
        .collect();
    let ind: Vec<usize> = (0..parks.len())
        .filter(|&i| parks[i].kind == ParkKind::Industrial)
        .collect();
    let ind_w: Vec<f64> = ind.iter().map(|&i| parks[i].weight).collect();
    let town_w: Vec<f64> = towns.iter().map(|t| t.weight).collect();

    // Units per host: one each, the rest spread at random.
    let mut units_per = vec![1usize; n_hosts];
    for _ in n_hosts..n_hs {
        let k = below(rng, n_hosts);
        units_per[k] += 1;
    }

    // Chemical-park units cycle through the templates in a shuffled order, so that even a
    // small city has every kind of unit (and the category-fallback substances).
    let mut chem_order: Vec<usize> = (0..CHEM_TEMPLATES.len()).collect();
    shuffle(rng, &mut chem_order);
    let mut chem_units = 0;
    let mut specs: Vec<Spec> = Vec::with_capacity(n_ent);
    for &k in &units_per {
        let in_town = chance(rng, 0.2);
        let mut units = Vec::new();
        for _ in 0..k {
            let (tpl, town_tpl) = if in_town {
                (below(rng, TOWN_TEMPLATES.len()), true)
            } else {
                chem_units += 1;
                (chem_order[(chem_units - 1) % chem_order.len()], false)
            };
            let (w, h) = if in_town {
                (uni(rng, 30.0, 70.0), uni(rng, 30.0, 60.0))
            } else if CHEM_TEMPLATES[tpl].unit_type == UnitType::Production {
                (uni(rng, 50.0, 150.0), uni(rng, 40.0, 120.0))
            } else {
                (uni(rng, 40.0, 150.0), uni(rng, 30.0, 100.0))
            };
            units.push((tpl, town_tpl, w, h));
        }
        let production = units
            .iter()
            .any(|u| !u.1 && CHEM_TEMPLATES[u.0].unit_type == UnitType::Production);
        let industry = if production {
            Industry::HazchemProduction
        } else {
            Industry::HazchemStorage
        };
        let employees = if production {
            int_in(rng, 50, 800)
        } else {
            int_in(rng, 12, 120)
        };
        let place = if in_town {
            Place::Outskirts(weighted(rng, &town_w))
        } else if chem.len() > 1 && chance(rng, 0.4) {
            Place::Park(chem[1])
        } else {
            Place::Park(chem[0])
        };
        let (size, _) = layout_units(&units);
        specs.push(Spec {
            industry,
            employees,
            place,
            size: Some(size),
            units,
        });
    }
    let weights: Vec<f64> = INDUSTRY_MIX.iter().map(|m| m.1).collect();
    for _ in n_hosts..n_ent {
        let industry = INDUSTRY_MIX[weighted(rng, &weights)].0;
        let employees = bucketed(rng, &EMPLOYEES) as u32;
        let to_ind = |rng: &mut Rand| {
            if ind.is_empty() {
                Place::Anywhere
            } else {
                Place::Park(ind[weighted(rng, &ind_w)])
            }
        };
        let place = match industry {
            Industry::HazchemProduction | Industry::HazchemStorage => {
                if chance(rng, 0.8) {
                    Place::Park(chem[0])
                } else {
                    to_ind(rng)
                }
            }
            Industry::HazchemTrade => {
                if chance(rng, 0.8) {
                    Place::Town(weighted(rng, &town_w))
                } else {
                    to_ind(rng)
                }
            }
            Industry::AmmoniaRefrigeration => {
                if chance(rng, 0.4) {
                    to_ind(rng)
                } else {
                    Place::Outskirts(weighted(rng, &town_w))
                }
            }
            _ => match weighted(rng, &[0.6, 0.25, 0.15]) {
                0 => to_ind(rng),
                1 => Place::Town(weighted(rng, &town_w)),
                _ => Place::Anywhere,
            },
        };
        let polygon = match place {
            Place::Park(_) => employees >= 50 || chance(rng, 0.2),
            _ => employees >= 150,
        };
        let size = polygon.then(|| {
            let area = 600.0 + f64::from(employees) * uni(rng, 50.0, 120.0);
            let aspect = uni(rng, 1.0, 1.8);
            let w = (area * aspect).sqrt().min(500.0);
            (w, (area / w).min(400.0))
        });
        specs.push(Spec {
            industry,
            employees,
            place,
            size,
            units: Vec::new(),
        });
    }

    // Park sizes from what they must hold (sites fill ~40 % of a park).
    for (pi, park) in parks.iter_mut().enumerate() {
        let need: f64 = specs
            .iter()
            .filter(|s| matches!(s.place, Place::Park(p) if p == pi))
            .map(|s| s.size.map_or(400.0, |(w, h)| w * h))
            .sum::<f64>()
            / 0.4;
        let cap = MAX_PARK_HW[usize::from(park.kind == ParkKind::Industrial)];
        let hw = ((need * 1.6).sqrt() / 2.0).clamp(600.0, cap);
        park.rect.hw = hw;
        park.rect.hh = hw / 1.6;
        park.max_hw = (hw * 1.3).min(cap * 1.15);
    }

    // Ids in a shuffled order, so that a ledger does not list the hosts first.
    let mut ids: Vec<usize> = (0..specs.len()).collect();
    shuffle(rng, &mut ids);

    let mut ents = Vec::with_capacity(specs.len());
    let mut planned_units = 0usize;
    for (k, spec) in specs.iter().enumerate() {
        let site = place_enterprise(world, rng, &mut parks, towns, spec);
        let word = pick(rng, industry_words(spec.industry));
        let short = format!("{}{}", zihao(rng), word);
        let prefix = if chance(rng, 0.7) { "海门" } else { "南通" };
        let park = match spec.place {
            Place::Park(p) => Some(parks[p].name.to_string()),
            _ => None,
        };
        let mut units = Vec::new();
        if let (Site::Rect(r), false) = (&site, spec.units.is_empty()) {
            let ((w, _), centres) = layout_units(&spec.units);
            // 1 unless the site had to shrink to fit (see `place_enterprise`).
            let f = r.hw * 2.0 / w;
            for (u, lc) in spec.units.iter().zip(centres) {
                let rect = RotRect {
                    c: r.c + r.u * (lc.x * f) + perp(r.u) * (lc.y * f),
                    u: r.u,
                    hw: u.2 * f / 2.0,
                    hh: u.3 * f / 2.0,
                };
                let tpl = if u.1 {
                    &TOWN_TEMPLATES[u.0]
                } else {
                    &CHEM_TEMPLATES[u.0]
                };
                let alpha = if u.1 { 2.0 } else { 1.0 };
                planned_units += 1;
                units.push(plan_unit(rng, tpl, rect, &short, (alpha, planned_units)));
            }
        }
        let props = Enterprise {
            name: format!("{prefix}{short}有限公司{SYNTH}"),
            credit_code: chance(rng, 0.97).then(|| credit_code(rng, world.credit_area)),
            industry: (!spec.units.is_empty() || chance(rng, 0.97)).then_some(spec.industry),
            employees: chance(rng, 0.95).then_some(spec.employees),
            declared_level: None,
            open_hidden_hazards: hidden_hazards(rng),
            open_major_hidden_hazards: match weighted(rng, &[0.975, 0.021, 0.004]) {
                0 => 0,
                1 => 1,
                _ => 2,
            },
            park,
            phone: chance(rng, 0.85).then(|| phone(rng)),
        };
        ents.push(EntPlan {
            id: ids[k],
            props,
            site,
            units,
        });
    }
    ents.sort_by_key(|e| e.id);
    Enterprises { parks, ents }
}

fn place_enterprise(
    world: &mut World,
    rng: &mut Rand,
    parks: &mut [Park],
    towns: &[Town],
    spec: &Spec,
) -> Site {
    let (centre, radius, u) = match spec.place {
        Place::Park(p) => {
            if let Some((w, h)) = spec.size
                && let Some(r) = place_in_park(world, rng, &mut parks[p], w, h)
            {
                return Site::Rect(r);
            }
            if spec.units.is_empty() {
                // A small firm, or a full park: a point (workshop, office) in the park.
                let park = &parks[p];
                let l = c(
                    uni(rng, -park.rect.hw, park.rect.hw),
                    uni(rng, -park.rect.hh, park.rect.hh),
                );
                let q = park.rect.c + park.rect.u * l.x + perp(park.rect.u) * l.y;
                return Site::Point(world.place_point(rng, q, 100.0));
            }
            // A chemical firm the park has no room for sits just outside it.
            (
                parks[p].rect.c,
                parks[p].rect.hw.max(parks[p].rect.hh) * 1.5,
                parks[p].rect.u,
            )
        }
        Place::Town(t) => (towns[t].centre, towns[t].radius * 1.1, towns[t].frame),
        Place::Outskirts(t) => {
            let d = direction(rng) * (towns[t].radius * uni(rng, 0.6, 1.6));
            (towns[t].centre + d, towns[t].radius * 0.4, towns[t].frame)
        }
        Place::Anywhere => (world.mask.in_cell(rng), 1500.0, world.axis),
    };
    if let Some(size) = spec.size {
        for scale in [1.0, 1.5] {
            if let Some(r) = world.place_rect(rng, centre, radius * scale, u, size, 10.0) {
                return Site::Rect(r);
            }
        }
        if !spec.units.is_empty() {
            // A host must have a site: anywhere with room, then (last resort, tiny
            // boundaries) a shrunken site in the middle of an inside cell.
            for _ in 0..100 {
                let p = world.mask.in_cell(rng);
                if let Some(r) = world.place_rect(rng, p, 2000.0, u, size, 10.0) {
                    return Site::Rect(r);
                }
            }
            let f = 35.0 / size.0.max(size.1);
            let r = RotRect {
                c: world.mask.in_cell(rng),
                u,
                hw: size.0 * f / 2.0,
                hh: size.1 * f / 2.0,
            };
            world.occ.mark(&r.corners(), 0.0);
            return Site::Rect(r);
        }
    }
    Site::Point(world.place_point(rng, centre, radius))
}

/// A free site inside a park, on the park's 10 m grid; the park grows when it is full.
fn place_in_park(
    world: &mut World,
    rng: &mut Rand,
    park: &mut Park,
    w: f64,
    h: f64,
) -> Option<RotRect> {
    // A full park is not searched again at length: that is where large cities spend time.
    let attempts = if park.misses >= 5 { 20 } else { 150 };
    for attempt in 0..attempts {
        if attempt > 0 && attempt % 50 == 0 && park.rect.hw * 1.08 <= park.max_hw {
            park.rect.hw *= 1.08;
            park.rect.hh *= 1.08;
        }
        let lx = round_to(uni(rng, -park.rect.hw, park.rect.hw), 10.0);
        let ly = round_to(uni(rng, -park.rect.hh, park.rect.hh), 10.0);
        let r = RotRect {
            c: park.rect.c + park.rect.u * lx + perp(park.rect.u) * ly,
            u: park.rect.u,
            hw: w / 2.0,
            hh: h / 2.0,
        };
        let pts = r.corners();
        if world.occ.is_free(&pts, 10.0) && world.mask.contains_poly(&pts) {
            world.occ.mark(&pts, 0.0);
            return Some(r);
        }
    }
    park.misses += 1;
    None
}

/// Grade bands aimed at (GB 18218 R bands): share, R low, R high.
const GRADE_AIMS: [(f64, f64, f64); 4] = [
    (0.12, 100.0, 220.0),
    (0.20, 50.0, 100.0),
    (0.33, 10.0, 50.0),
    (0.35, 2.0, 10.0),
];

fn tonnes(q: f64) -> f64 {
    if q < 10.0 {
        round_to(q, 0.01)
    } else if q < 100.0 {
        round_to(q, 0.1)
    } else {
        q.round()
    }
}

/// Fills the inventory of the `index`-th unit so that its Σ q/Q (and, with the assumed α,
/// its R) lands in a chosen band. Every 13th unit (~8 %) stays below the threshold
/// (Σ q/Q < 1) and every 16th has QRA distances: on a schedule rather than by chance, so
/// that even the small demo has them.
fn plan_unit(
    rng: &mut Rand,
    tpl: &UnitTemplate,
    rect: RotRect,
    short: &str,
    (alpha, index): (f64, usize),
) -> UnitPlan {
    let beta_eff: f64 = tpl
        .lines
        .iter()
        .map(|&(s, share)| share * SUBSTANCES[s].beta)
        .sum();
    let s_target = if index % 13 == 7 {
        uni(rng, 0.3, 0.95)
    } else {
        let w: Vec<f64> = GRADE_AIMS.iter().map(|g| g.0).collect();
        let (_, lo, hi) = GRADE_AIMS[weighted(rng, &w)];
        (uni(rng, lo, hi) / (alpha * beta_eff)).max(1.05)
    };
    let mut inventory = Vec::new();
    let (mut beta_sum, mut s_sum) = (0.0, 0.0);
    for &(si, share) in tpl.lines {
        let s = &SUBSTANCES[si];
        let ratio = (share * s_target).min(s.max_ratio);
        let t = tonnes(ratio * s.q).max(0.01);
        beta_sum += s.beta * t / s.q;
        s_sum += t / s.q;
        inventory.push(InventoryItem {
            cas: Some(s.cas.to_string()),
            name: chance(rng, 0.95).then(|| s.name.to_string()),
            category: s.category.map(str::to_string),
            tonnes: t,
        });
    }
    if tpl.acid {
        inventory.push(InventoryItem {
            cas: Some(SUBSTANCES[ACID].cas.to_string()),
            name: Some(SUBSTANCES[ACID].name.to_string()),
            category: None,
            tonnes: tonnes(uni(rng, 20.0, 300.0)),
        });
    }
    let qra = (s_sum >= 1.0 && index % 16 == 3).then(|| {
        let base = uni(rng, 800.0, 1500.0);
        let partial = chance(rng, 0.2);
        QraDistances {
            high_sensitivity: Some(round_to(base, 10.0)),
            important: Some(round_to(base * 0.9, 10.0)),
            general_1: Some(round_to(base * uni(rng, 0.5, 0.65), 10.0)),
            general_2: (!partial).then(|| round_to(base * 0.4, 10.0)),
            general_3: (!partial).then(|| round_to(base * 0.22, 10.0)),
        }
    });
    UnitPlan {
        rect,
        name: format!("{short}{}{SYNTH}", tpl.name),
        unit_type: tpl.unit_type,
        inventory,
        beta_sum,
        s_sum,
        qra,
        declared: None,
    }
}

// ---------------------------------------------------------------------------------------
// Protection targets
// ---------------------------------------------------------------------------------------

struct TargetPlan {
    props: ProtectionTarget,
    site: Site,
}

const TARGET_MIX: [(TargetKind, f64); 13] = [
    (TargetKind::ResidentialCommunity, 0.40),
    (TargetKind::School, 0.10),
    (TargetKind::Kindergarten, 0.10),
    (TargetKind::Hospital, 0.05),
    (TargetKind::NursingHome, 0.06),
    (TargetKind::Market, 0.08),
    (TargetKind::Office, 0.06),
    (TargetKind::Venue, 0.03),
    (TargetKind::TransportHub, 0.03),
    (TargetKind::WaterSource, 0.01),
    (TargetKind::CulturalRelic, 0.04),
    (TargetKind::ReligiousSite, 0.03),
    (TargetKind::Other, 0.01),
];

/// The class GB 36894 would give (used only for the few targets that state one).
fn class_of(kind: TargetKind, population: Option<u32>, households: Option<u32>) -> TargetClass {
    match kind {
        TargetKind::School
        | TargetKind::Kindergarten
        | TargetKind::Hospital
        | TargetKind::NursingHome => TargetClass::HighSensitivity,
        TargetKind::CulturalRelic | TargetKind::ReligiousSite | TargetKind::Military => {
            TargetClass::Important
        }
        _ => {
            let (p, h) = (population.unwrap_or(0), households.unwrap_or(0));
            if h >= 30 || p >= 100 {
                TargetClass::General1
            } else if h >= 10 || p >= 30 {
                TargetClass::General2
            } else {
                TargetClass::General3
            }
        }
    }
}

fn build_targets(
    world: &mut World,
    rng: &mut Rand,
    n: usize,
    towns: &[Town],
    parks: &[Park],
) -> Vec<TargetPlan> {
    let town_w: Vec<f64> = towns.iter().map(|t| t.weight).collect();
    let mix_w: Vec<f64> = TARGET_MIX.iter().map(|m| m.1).collect();
    let chem = parks
        .iter()
        .find(|p| p.kind == ParkKind::Chemical)
        .map(|p| p.rect);
    // A few sensitive targets close to the chemical park, the planning conflicts a map must show.
    let near_chem = [
        TargetKind::School,
        TargetKind::ResidentialCommunity,
        TargetKind::Kindergarten,
        TargetKind::NursingHome,
    ];
    let specials = if n >= 12 && chem.is_some() {
        near_chem.len()
    } else {
        0
    };
    let mut out = Vec::with_capacity(n);
    for k in 0..n {
        let kind = if let Some(&kind) = near_chem.get(k).filter(|_| k < specials) {
            kind
        } else {
            TARGET_MIX[weighted(rng, &mix_w)].0
        };
        let t = weighted(rng, &town_w);
        let town = &towns[t];
        let in_town = match kind {
            TargetKind::ResidentialCommunity
            | TargetKind::Market
            | TargetKind::Office
            | TargetKind::Venue
            | TargetKind::TransportHub => true,
            TargetKind::School
            | TargetKind::Kindergarten
            | TargetKind::Hospital
            | TargetKind::NursingHome => chance(rng, 0.65),
            _ => false,
        };
        let (centre, radius) = match (k < specials, chem) {
            (true, Some(r)) => (
                r.c + direction(rng) * (r.hw.max(r.hh) + uni(rng, 500.0, 1400.0)),
                150.0,
            ),
            _ if in_town => (town.centre, town.radius),
            _ => (world.mask.in_cell(rng), 1000.0),
        };
        let (size, polygon_share): ((f64, f64), f64) = match kind {
            TargetKind::ResidentialCommunity => {
                ((uni(rng, 60.0, 240.0), uni(rng, 60.0, 220.0)), 1.0)
            }
            TargetKind::School => ((uni(rng, 90.0, 220.0), uni(rng, 90.0, 200.0)), 1.0),
            TargetKind::Kindergarten => ((uni(rng, 35.0, 70.0), uni(rng, 30.0, 60.0)), 0.7),
            TargetKind::Hospital => ((uni(rng, 60.0, 200.0), uni(rng, 60.0, 160.0)), 0.9),
            TargetKind::NursingHome => ((uni(rng, 40.0, 100.0), uni(rng, 30.0, 80.0)), 0.6),
            TargetKind::Market => ((uni(rng, 40.0, 120.0), uni(rng, 40.0, 100.0)), 0.5),
            TargetKind::Venue => ((uni(rng, 80.0, 200.0), uni(rng, 80.0, 160.0)), 1.0),
            TargetKind::TransportHub => ((uni(rng, 60.0, 150.0), uni(rng, 60.0, 120.0)), 1.0),
            TargetKind::CulturalRelic => ((uni(rng, 20.0, 60.0), uni(rng, 20.0, 50.0)), 0.3),
            _ => ((20.0, 20.0), 0.0),
        };
        let site = if chance(rng, polygon_share) {
            let mut placed = None;
            for scale in [1.0, 1.5, 3.0] {
                placed = world.place_rect(rng, centre, radius * scale, town.frame, size, 8.0);
                if placed.is_some() {
                    break;
                }
            }
            match placed {
                Some(r) => Site::Rect(r),
                None => Site::Point(world.place_point(rng, centre, radius)),
            }
        } else {
            Site::Point(world.place_point(rng, centre, radius))
        };
        let area = match &site {
            Site::Rect(r) => 4.0 * r.hw * r.hh,
            Site::Point(_) => size.0 * size.1,
        };
        let (population, households) = match kind {
            TargetKind::ResidentialCommunity => {
                let h = ((area * uni(rng, 0.008, 0.03)).round() as u32).max(12);
                (
                    Some((f64::from(h) * uni(rng, 2.3, 3.0)).round() as u32),
                    Some(h),
                )
            }
            TargetKind::School => (Some(int_in(rng, 300, 2500)), None),
            TargetKind::Kindergarten => (Some(int_in(rng, 60, 450)), None),
            TargetKind::Hospital => (Some(int_in(rng, 80, 1500)), None),
            TargetKind::NursingHome => (Some(int_in(rng, 20, 260)), None),
            TargetKind::Market => (Some(int_in(rng, 100, 1500)), None),
            TargetKind::Office => (Some(int_in(rng, 30, 400)), None),
            TargetKind::Venue => (Some(int_in(rng, 500, 5000)), None),
            TargetKind::TransportHub => (Some(int_in(rng, 100, 2000)), None),
            TargetKind::ReligiousSite => (Some(int_in(rng, 10, 200)), None),
            _ => (None, None),
        };
        // Named after the town it lies in, as such places are.
        let tn = towns[nearest_town(towns, site.centre())]
            .name
            .trim_end_matches(['镇', '街', '道']);
        let name = match kind {
            TargetKind::ResidentialCommunity => {
                format!(
                    "{}{}",
                    zihao(rng),
                    pick(rng, &["花园", "苑", "家园", "新村", "名邸", "小区"])
                )
            }
            TargetKind::School => format!(
                "{tn}{}",
                pick(
                    rng,
                    &["中心小学", "实验小学", "初级中学", "第二中学", "高级中学"]
                )
            ),
            TargetKind::Kindergarten => format!("{tn}{}幼儿园", zihao(rng)),
            TargetKind::Hospital => format!(
                "{tn}{}",
                pick(rng, &["人民医院", "卫生院", "中医院", "社区卫生服务中心"])
            ),
            TargetKind::NursingHome => {
                format!("{tn}{}", pick(rng, &["敬老院", "颐养院", "养老服务中心"]))
            }
            TargetKind::Market => format!("{tn}{}", pick(rng, &["农贸市场", "商贸城", "购物中心"])),
            TargetKind::Office => format!(
                "{tn}{}",
                pick(rng, &["便民服务中心", "社区服务中心", "综合办公楼"])
            ),
            TargetKind::Venue => format!("{tn}{}", pick(rng, &["文体中心", "影剧院", "体育馆"])),
            TargetKind::TransportHub => format!("{tn}汽车客运站"),
            TargetKind::WaterSource => "长江取水口".to_string(),
            TargetKind::CulturalRelic => format!("{}氏宅院（文物保护单位）", pick(rng, &ZIHAO)),
            TargetKind::ReligiousSite => {
                format!("{}{}", zihao(rng), pick(rng, &["寺", "庵", "教堂"]))
            }
            _ => format!("{}广场", zihao(rng)),
        };
        let class = chance(rng, 0.06).then(|| class_of(kind, population, households));
        out.push(TargetPlan {
            props: ProtectionTarget {
                name: format!("{name}{SYNTH}"),
                kind: Some(kind),
                class,
                population,
                households,
            },
            site,
        });
    }
    out
}

// ---------------------------------------------------------------------------------------
// Gas pipelines
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct PipePlan {
    pts: Vec<C>,
    name: String,
    class: PressureClass,
    pressure: f64,
    diameter: f64,
    material: &'static str,
    year: u16,
}

/// An L-shaped route along the regional grid (or straight, if the L leaves the boundary),
/// preferring one that passes no building or site.
fn route(world: &World, rng: &mut Rand, a: C, b: C) -> Option<Vec<C>> {
    let mut fallback = None;
    for _ in 0..3 {
        if let Some(pts) = route_once(world, rng, a, b) {
            if world.occ.path_free(&pts, 2.0) {
                return Some(pts);
            }
            fallback.get_or_insert(pts);
        }
    }
    fallback
}

fn route_once(world: &World, rng: &mut Rand, a: C, b: C) -> Option<Vec<C>> {
    let u = world.axis;
    let n = perp(u);
    let d = b - a;
    let mut corners = [a + u * dot(d, u), a + n * dot(d, n)];
    if chance(rng, 0.5) {
        corners.swap(0, 1);
    }
    for corner in corners {
        let pts = densify(rng, &[a, corner, b], 250.0, 600.0, 3.0);
        if pts.len() >= 2 && world.mask.contains_path(&pts) {
            return Some(pts);
        }
    }
    let pts = densify(rng, &[a, b], 250.0, 600.0, 3.0);
    (pts.len() >= 2 && world.mask.contains_path(&pts)).then_some(pts)
}

fn build_trunk(
    world: &mut World,
    rng: &mut Rand,
    towns: &[Town],
    parks: &[Park],
    budget: f64,
) -> Vec<PipePlan> {
    let mut nodes: Vec<(String, C)> = Vec::new();
    let gate = world.plane.to_m(c(HAIMEN_GATE.0, HAIMEN_GATE.1));
    let gate = if world.district == "海门区" && world.mask.contains_point(gate) {
        gate
    } else {
        towns[0].centre + c(300.0, 300.0)
    };
    nodes.push(("门站".to_string(), gate));
    for t in towns {
        nodes.push((t.name.clone(), t.centre));
    }
    for p in parks {
        nodes.push((p.name.to_string(), p.rect.c));
    }
    // Prim's tree from the gate, edges in the order they join: the trunk grows outwards.
    let n = nodes.len();
    let mut in_tree = vec![false; n];
    in_tree[0] = true;
    let mut edges = Vec::new();
    for _ in 1..n {
        let mut best: Option<(f64, usize, usize)> = None;
        for i in (0..n).filter(|&i| in_tree[i]) {
            for j in (0..n).filter(|&j| !in_tree[j]) {
                let d = norm(nodes[j].1 - nodes[i].1);
                if best.is_none_or(|b| d < b.0) {
                    best = Some((d, i, j));
                }
            }
        }
        if let Some((_, i, j)) = best {
            in_tree[j] = true;
            edges.push((i, j));
        }
    }
    let mut out = Vec::new();
    let mut left = budget;
    for (k, &(i, j)) in edges.iter().enumerate() {
        if left < 50.0 {
            break;
        }
        let Some(pts) = route(world, rng, nodes[i].1, nodes[j].1) else {
            continue;
        };
        let pts = truncate_path(&pts, left);
        left -= path_len(&pts);
        world.pipe_occ.mark_path(&pts, 4.0);
        let a_class = k < 3 || chance(rng, 0.5);
        let (class, pressure) = if a_class {
            (
                PressureClass::SubHighA,
                if chance(rng, 0.6) { 1.6 } else { 1.2 },
            )
        } else {
            (
                PressureClass::SubHighB,
                if chance(rng, 0.6) { 0.8 } else { 0.6 },
            )
        };
        let diameter = [200.0, 250.0, 300.0, 400.0][below(rng, 4)];
        let year = int_in(rng, 2004, 2018) as u16;
        let grade = if a_class { "A" } else { "B" };
        for (s, piece) in split_path(rng, &pts, 800.0, 2500.0).into_iter().enumerate() {
            out.push(PipePlan {
                pts: piece,
                name: format!(
                    "次高压{grade}干线（{}—{}）第{}段",
                    nodes[i].0,
                    nodes[j].0,
                    s + 1
                ),
                class,
                pressure,
                diameter,
                material: "钢管",
                year,
            });
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn build_distribution(
    world: &mut World,
    rng: &mut Rand,
    towns: &[Town],
    villages: &[Village],
    fill: &HouseFill,
    budget: f64,
    medium_target: f64,
    out: &mut Vec<PipePlan>,
) {
    let mut left = budget;
    let mut medium_left = medium_target.min(budget);

    // 中压 mains along the town streets that have houses, one run per street.
    let mut streets: Vec<(usize, u8, i32, i32)> = fill.used_streets.clone();
    streets.sort_unstable();
    streets.dedup();
    let mut runs: Vec<(usize, u8, i32, i32, i32)> = Vec::new();
    for &(t, dir, k, m) in &streets {
        match runs.last_mut() {
            Some(r) if r.0 == t && r.1 == dir && r.2 == k && r.4 + 1 == m => r.4 = m,
            _ => runs.push((t, dir, k, m, m)),
        }
    }
    // Central streets first, so that a small budget still serves the town centres.
    runs.sort_by_key(|r| (r.2.abs(), r.0, r.1, r.2, r.3));
    let mut town_pressure: Vec<(PressureClass, f64)> = Vec::new();
    for _ in towns {
        town_pressure.push(if chance(rng, 0.6) {
            (
                PressureClass::MediumA,
                if chance(rng, 0.7) { 0.4 } else { 0.3 },
            )
        } else {
            (
                PressureClass::MediumB,
                if chance(rng, 0.7) { 0.2 } else { 0.1 },
            )
        });
    }
    for &(t, dir, k, m0, m1) in &runs {
        if medium_left < 50.0 {
            break;
        }
        let town = &towns[t];
        let pts: Vec<C> = (m0..=m1 + 1).map(|m| town_point(town, dir, k, m)).collect();
        let pts = offset_path(
            &pts,
            uni(rng, 2.0, 3.0) * if chance(rng, 0.5) { 1.0 } else { -1.0 },
        );
        let street = street_name(t, dir, k);
        for run in inside_runs(&world.mask, &pts) {
            let (class, pressure) = town_pressure[t];
            add_pipe(
                world,
                rng,
                out,
                &mut left,
                &mut medium_left,
                run,
                (300.0, 1200.0),
                |rng| PipePlan {
                    pts: Vec::new(),
                    name: format!("{}{}中压管", town.name, street),
                    class,
                    pressure,
                    diameter: [110.0, 160.0, 200.0, 250.0, 315.0][below(rng, 5)],
                    material: if chance(rng, 0.7) { "PE管" } else { "钢管" },
                    year: int_in(rng, 2006, 2022) as u16,
                },
            );
        }
    }
    // 中压 along the main country roads (the villages across the grid), then 低压 branches
    // along the villages that have houses, then along the others. (Parks get their gas from
    // the trunk, which links them.)
    let mut cross: Vec<usize> = fill
        .used_villages
        .iter()
        .copied()
        .filter(|&v| villages[v].cross)
        .collect();
    cross.extend((0..villages.len()).filter(|&v| villages[v].cross && !fill.village_used[v]));
    for &v in &cross {
        if medium_left < 50.0 || left < 50.0 {
            break;
        }
        let offset = -uni(rng, 3.0, 4.5);
        village_pipe(
            world,
            rng,
            &villages[v],
            offset,
            true,
            out,
            &mut left,
            &mut medium_left,
        );
    }
    let mut order: Vec<usize> = fill.used_villages.clone();
    order.extend((0..villages.len()).filter(|&v| !fill.village_used[v]));
    let mut low_left = f64::INFINITY;
    for &v in &order {
        if left < 50.0 {
            break;
        }
        let offset = uni(rng, 3.0, 4.5);
        village_pipe(
            world,
            rng,
            &villages[v],
            offset,
            false,
            out,
            &mut left,
            &mut low_left,
        );
    }
    // Whatever is still missing (few villages, long request): 低压 lines along random
    // roads of the grid.
    let mut tries = 0;
    while left >= 50.0 && tries < 20_000 {
        tries += 1;
        let Some(a) = world.mask.sample_inside(rng) else {
            break;
        };
        let len = uni(rng, 300.0, 1500.0).min(left);
        let d = if chance(rng, 0.5) {
            world.axis
        } else {
            perp(world.axis)
        };
        let pts = densify(rng, &[a, a + d * len], 150.0, 400.0, 2.0);
        if world.mask.contains_path(&pts) && world.occ.path_free(&pts, 2.0) {
            add_pipe(
                world,
                rng,
                out,
                &mut left,
                &mut low_left,
                pts,
                (200.0, 800.0),
                |rng| low_plan(rng, "道路"),
            );
        }
    }
}

fn low_plan(rng: &mut Rand, place: &str) -> PipePlan {
    let cast_iron = chance(rng, 0.05);
    PipePlan {
        pts: Vec::new(),
        name: format!("{place}低压支管"),
        class: PressureClass::Low,
        pressure: [0.003, 0.005, 0.0025][below(rng, 3)],
        diameter: [32.0, 40.0, 63.0, 90.0, 110.0][below(rng, 5)],
        material: if cast_iron {
            "铸铁管"
        } else if chance(rng, 0.9) {
            "PE管"
        } else {
            "钢管"
        },
        year: if cast_iron {
            int_in(rng, 1992, 2002)
        } else {
            int_in(rng, 2010, 2024)
        } as u16,
    }
}

#[allow(clippy::too_many_arguments)]
fn village_pipe(
    world: &mut World,
    rng: &mut Rand,
    v: &Village,
    offset: f64,
    medium: bool,
    out: &mut Vec<PipePlan>,
    left: &mut f64,
    class_left: &mut f64,
) {
    let pts = offset_path(&v.pts, offset);
    let name = village_name(v.id);
    for run in inside_runs(&world.mask, &pts) {
        if medium {
            add_pipe(
                world,
                rng,
                out,
                left,
                class_left,
                run,
                (400.0, 1500.0),
                |rng| PipePlan {
                    pts: Vec::new(),
                    name: format!("{name}村中压管"),
                    class: PressureClass::MediumB,
                    pressure: [0.2, 0.1][below(rng, 2)],
                    diameter: [110.0, 160.0, 200.0][below(rng, 3)],
                    material: if chance(rng, 0.8) { "PE管" } else { "钢管" },
                    year: int_in(rng, 2008, 2022) as u16,
                },
            );
        } else {
            add_pipe(
                world,
                rng,
                out,
                left,
                class_left,
                run,
                (200.0, 800.0),
                |rng| low_plan(rng, &format!("{name}村")),
            );
        }
    }
}

/// Adds a pipeline (truncated to the budgets), split into sections with shared properties,
/// and keeps later houses off it.
#[allow(clippy::too_many_arguments)]
fn add_pipe(
    world: &mut World,
    rng: &mut Rand,
    out: &mut Vec<PipePlan>,
    left: &mut f64,
    class_left: &mut f64,
    pts: Vec<C>,
    piece: (f64, f64),
    make: impl Fn(&mut Rand) -> PipePlan,
) {
    let pts = truncate_path(&pts, left.min(*class_left));
    let len = path_len(&pts);
    if len < 20.0 {
        return;
    }
    *left -= len;
    *class_left -= len;
    world.pipe_occ.mark_path(&pts, 1.5);
    let template = make(rng);
    for (k, p) in split_path(rng, &pts, piece.0, piece.1)
        .into_iter()
        .enumerate()
    {
        let mut plan = template.clone();
        plan.name = format!("{}第{}段", template.name, k + 1);
        plan.pts = p;
        out.push(plan);
    }
}

// ---------------------------------------------------------------------------------------
// Houses
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
enum Addr {
    Street {
        town: u16,
        dir: u8,
        k: i32,
        number: u32,
    },
    Village {
        town: u16,
        village: u32,
        group: u16,
        number: u32,
    },
}

#[derive(Debug, Clone)]
struct Slot {
    corners: [C; 4],
    addr: Addr,
    urban: bool,
}

#[derive(Default)]
struct HouseFill {
    slots: Vec<Slot>,
    used_streets: Vec<(usize, u8, i32, i32)>,
    used_villages: Vec<usize>,
    village_used: Vec<bool>,
    village_numbers: Vec<u32>,
}

/// A settlement strip: a village along a canal or road.
struct Village {
    id: u32,
    pts: Vec<C>,
    cum: Vec<f64>,
    len: f64,
    /// On a road across the regional grid (a main road: 中压 runs along it).
    cross: bool,
    setback: [f64; 2],
}

const VILLAGE_A: [&str; 30] = [
    "东", "西", "南", "北", "新", "永", "长", "红", "兴", "太", "平", "富", "民", "安", "福", "德",
    "大", "双", "三", "五", "万", "合", "利", "庆", "光", "跃", "友", "星", "余", "海",
];
const VILLAGE_B: [&str; 24] = [
    "兴", "河", "桥", "安", "平", "丰", "港", "圩", "灶", "洪", "华", "盛", "南", "中", "和", "湾",
    "坝", "闸", "园", "宅", "庄", "沙", "垦", "埭",
];
const STREETS: [&str; 30] = [
    "人民", "长江", "解放", "秀山", "南海", "北京", "上海", "青龙", "新海", "东洲", "江海", "浦江",
    "建设", "和平", "友谊", "育才", "通江", "沿河", "中南", "太湖", "黄海", "金山", "银河", "光明",
    "富江", "工农", "跃进", "胜利", "民主", "文化",
];

fn village_name(id: u32) -> String {
    let i = id as usize;
    format!("{}{}", VILLAGE_A[i % 30], VILLAGE_B[(i / 30 + i * 7) % 24])
}

fn street_name(town: usize, dir: u8, k: i32) -> String {
    let i = (town * 7 + (k + 64) as usize * 3 + usize::from(dir) * 11) % STREETS.len();
    format!("{}{}", STREETS[i], if dir == 0 { "路" } else { "街" })
}

/// Street-grid node `m` along street `k` of direction `dir` of a town.
fn town_point(t: &Town, dir: u8, k: i32, m: i32) -> C {
    let (fx, fy) = if dir == 0 {
        (f64::from(m) * t.spacing, f64::from(k) * t.spacing)
    } else {
        (f64::from(k) * t.spacing, f64::from(m) * t.spacing)
    };
    t.centre + t.frame * fx + perp(t.frame) * fy
}

/// Whether a point lies in a park (with a buffer), where nobody lives.
fn in_park(parks: &[Park], p: C, margin: f64) -> bool {
    parks.iter().any(|k| k.rect.contains(p, margin))
}

struct Row {
    base: f64,
    frontage: (f64, f64),
    depth: (f64, f64),
    gaps: [(f64, f64, f64); 3],
}

const TOWN_ROWS: [Row; 2] = [
    Row {
        base: 7.0,
        frontage: (5.0, 12.0),
        depth: (8.0, 16.0),
        gaps: [(0.8, 3.0, 0.65), (3.0, 10.0, 0.30), (10.0, 30.0, 0.05)],
    },
    Row {
        base: 27.0,
        frontage: (5.0, 12.0),
        depth: (8.0, 16.0),
        gaps: [(0.8, 3.0, 0.55), (3.0, 10.0, 0.35), (10.0, 30.0, 0.10)],
    },
];
const VILLAGE_GAPS: [(f64, f64, f64); 3] =
    [(2.0, 8.0, 0.65), (8.0, 25.0, 0.27), (30.0, 120.0, 0.08)];
const VILLAGE_GAPS_DENSE: [(f64, f64, f64); 3] =
    [(1.5, 5.0, 0.75), (5.0, 15.0, 0.22), (30.0, 80.0, 0.03)];

/// Places houses along one side of a polyline; returns how many.
#[allow(clippy::too_many_arguments)]
fn fill_side(
    world: &mut World,
    rng: &mut Rand,
    parks: &[Park],
    pts: &[C],
    cum: &[f64],
    t_range: (f64, f64),
    side: f64,
    row: &Row,
    quota: &mut usize,
    mut make: impl FnMut(&mut Rand, C, f64) -> (Addr, bool),
    slots: &mut Vec<Slot>,
) -> usize {
    let mut placed = 0;
    let mut t = t_range.0 + uni(rng, 0.0, 6.0);
    while *quota > 0 {
        let w = uni(rng, row.frontage.0, row.frontage.1);
        if t + w > t_range.1 {
            break;
        }
        let d = uni(rng, row.depth.0, row.depth.1);
        let (p, dir) = at(pts, cum, t + w / 2.0);
        let u = rot(dir, small_turn(rng, 0.035));
        let centre = p + perp(dir) * (side * (row.base + uni(rng, -1.0, 1.0) + d / 2.0));
        let r = RotRect {
            c: centre,
            u,
            hw: w / 2.0,
            hh: d / 2.0,
        };
        let corners = r.corners();
        if !in_park(parks, centre, 80.0)
            && world.occ.is_free(&corners, 1.0)
            && world.pipe_occ.is_free(&corners, 0.0)
            && world.mask.contains_poly(&corners)
        {
            world.occ.mark(&corners, 0.0);
            let (addr, urban) = make(rng, centre, t);
            slots.push(Slot {
                corners,
                addr,
                urban,
            });
            *quota -= 1;
            placed += 1;
        }
        t += w + bucketed(rng, &row.gaps);
    }
    placed
}

/// The street blocks of a town (distance from the centre, direction, street, block), inside
/// the boundary and outside the parks, from the centre outwards.
fn town_segments(world: &World, parks: &[Park], town: &Town) -> Vec<(f64, u8, i32, i32)> {
    let kmax = town_kmax(town);
    let mut segs: Vec<(f64, u8, i32, i32)> = Vec::new();
    for dir in 0..2u8 {
        for k in -kmax..=kmax {
            for m in -kmax..kmax {
                let mid = (town_point(town, dir, k, m) + town_point(town, dir, k, m + 1)) * 0.5;
                let d = norm(mid - town.centre);
                let ends = [town_point(town, dir, k, m), town_point(town, dir, k, m + 1)];
                // Sites and targets placed earlier cut the street there (a compound).
                if d <= town.radius
                    && world.mask.contains_path(&ends)
                    && !in_park(parks, mid, 0.0)
                    && world.occ.path_free(&ends, 3.0)
                {
                    segs.push((d, dir, k, m));
                }
            }
        }
    }
    // Outwards from the centre, so that a small quota fills the core first.
    segs.sort_by(|a, b| {
        a.0.total_cmp(&b.0)
            .then((a.1, a.2, a.3).cmp(&(b.1, b.2, b.3)))
    });
    segs
}

fn town_kmax(town: &Town) -> i32 {
    (town.radius / town.spacing).ceil() as i32 + 1
}

fn fill_town(
    world: &mut World,
    rng: &mut Rand,
    parks: &[Park],
    towns: &[Town],
    ti: usize,
    segs: &[(f64, u8, i32, i32)],
    fill: &mut HouseFill,
) -> usize {
    let town = &towns[ti];
    let mut quota = town.quota;
    let s = town.spacing;
    let kmax = town_kmax(town);
    let mut numbers = vec![0u32; 2 * (2 * kmax as usize + 1)];
    let placed_before = fill.slots.len();
    for &(_, dir, k, m) in segs {
        if quota == 0 {
            break;
        }
        let pts = [town_point(town, dir, k, m), town_point(town, dir, k, m + 1)];
        let cum = [0.0, s];
        let mut n = 0;
        for row in &TOWN_ROWS {
            for side in [1.0, -1.0] {
                let street = usize::from(dir) * (2 * kmax as usize + 1) + (k + kmax) as usize;
                n += fill_side(
                    world,
                    rng,
                    parks,
                    &pts,
                    &cum,
                    (9.0, s - 9.0),
                    side,
                    row,
                    &mut quota,
                    |_, p, _| {
                        numbers[street] += 1;
                        let num = numbers[street] * 2 - u32::from(side > 0.0);
                        let town = nearest_town(towns, p) as u16;
                        (
                            Addr::Street {
                                town,
                                dir,
                                k,
                                number: num,
                            },
                            true,
                        )
                    },
                    &mut fill.slots,
                );
            }
        }
        if n > 0 {
            fill.used_streets.push((ti, dir, k, m));
        }
    }
    fill.slots.len() - placed_before
}

/// Rural settlement strips on lines along the regional grid (and, sparser, across it).
fn plan_villages(
    world: &World,
    rng: &mut Rand,
    towns: &[Town],
    parks: &[Park],
    lines: (f64, f64, bool),
    first_id: u32,
) -> Vec<Village> {
    let (spacing, phase, dense) = lines;
    let u = world.axis;
    let n = perp(u);
    let corners = [
        world.mask.lo,
        c(world.mask.hi.x, world.mask.lo.y),
        world.mask.hi,
        c(world.mask.lo.x, world.mask.hi.y),
    ];
    let (umin, umax) = corners
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |a, &p| {
            (a.0.min(dot(p, u)), a.1.max(dot(p, u)))
        });
    let (nmin, nmax) = corners
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |a, &p| {
            (a.0.min(dot(p, n)), a.1.max(dot(p, n)))
        });
    let mut out = Vec::new();
    let h = c(6.0, 6.0);
    let valid = |p: C| {
        world.mask.contains_point(p)
            && world.occ.is_free_box(p - h, p + h)
            && !in_park(parks, p, 150.0)
            && towns.iter().all(|t| norm(p - t.centre) > t.radius + 60.0)
    };
    // A dense countryside has longer villages and shorter fields between them.
    let (gap_along, gap_cross) = if dense {
        ((60.0, 400.0), (150.0, 800.0))
    } else {
        ((150.0, 1200.0), (300.0, 2000.0))
    };
    for (along, across, step, cross, vlen, gap) in [
        (u, n, spacing, false, (300.0, 2200.0), gap_along),
        (n, u, spacing * 3.0, true, (300.0, 1500.0), gap_cross),
    ] {
        let (amin, amax) = if cross { (nmin, nmax) } else { (umin, umax) };
        let (bmin, bmax) = if cross { (umin, umax) } else { (nmin, nmax) };
        let mut off = bmin + phase + uni(rng, 0.0, step * 0.3);
        while off <= bmax {
            let mut t = amin + uni(rng, 0.0, 800.0);
            while t < amax {
                let len = uni(rng, vlen.0, vlen.1);
                let lateral = off + uni(rng, -step * 0.1, step * 0.1);
                let raw = [
                    along * t + across * lateral,
                    along * (t + len) + across * (lateral + uni(rng, -15.0, 15.0)),
                ];
                let pts = densify(rng, &raw, 150.0, 400.0, 6.0);
                let cum = cumulative(&pts);
                let total = cum.last().copied().unwrap_or(0.0);
                // Keep the runs of the strip that are inside and away from towns and parks.
                // Every 5 m, so that no house placed earlier (a narrow one is 5 m wide) can sit
                // on the road between two samples.
                let samples = (total / 5.0).ceil() as usize;
                let step_t = total / samples.max(1) as f64;
                let mut run_start: Option<f64> = None;
                for s in 0..=samples {
                    let ts = step_t * s as f64;
                    let ok = valid(at(&pts, &cum, ts).0);
                    if ok && run_start.is_none() {
                        run_start = Some(ts);
                    }
                    if (!ok || s == samples)
                        && let Some(t0) = run_start.take()
                    {
                        let t1 = if ok { ts } else { ts - step_t };
                        if t1 - t0 >= 150.0 {
                            let vp = sub_path(&pts, &cum, t0, t1);
                            let vc = cumulative(&vp);
                            out.push(Village {
                                id: first_id + out.len() as u32,
                                len: vc.last().copied().unwrap_or(0.0),
                                pts: vp,
                                cum: vc,
                                cross,
                                setback: [uni(rng, 12.0, 22.0), uni(rng, 12.0, 22.0)],
                            });
                        }
                    }
                }
                t += len + uni(rng, gap.0, gap.1);
            }
            off += step;
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn fill_village(
    world: &mut World,
    rng: &mut Rand,
    parks: &[Park],
    towns: &[Town],
    v: &Village,
    (row, dense): (u8, bool),
    quota: &mut usize,
    fill: &mut HouseFill,
) -> usize {
    let mut n = 0;
    for (si, side) in [1.0, -1.0].into_iter().enumerate() {
        let row = Row {
            base: v.setback[si] + 26.0 * f64::from(row),
            frontage: (6.0, 14.0),
            depth: (8.0, 18.0),
            gaps: if dense {
                VILLAGE_GAPS_DENSE
            } else {
                VILLAGE_GAPS
            },
        };
        let vid = v.id as usize;
        let numbers = &mut fill.village_numbers;
        if numbers.len() <= vid {
            numbers.resize(vid + 1, 0);
        }
        n += fill_side(
            world,
            rng,
            parks,
            &v.pts,
            &v.cum,
            (0.0, v.len),
            side,
            &row,
            quota,
            |_, p, t| {
                numbers[vid] += 1;
                let town = nearest_town(towns, p) as u16;
                let group = (t / 300.0) as u16 + 1;
                (
                    Addr::Village {
                        town,
                        village: v.id,
                        group,
                        number: numbers[vid],
                    },
                    false,
                )
            },
            &mut fill.slots,
        );
    }
    n
}

/// Places the regular houses (towns, then villages); returns the villages, whose use is
/// recorded in `fill` for the 低压 network.
fn fill_houses(
    world: &mut World,
    rng: &mut Rand,
    towns: &[Town],
    parks: &[Park],
    n_regular: usize,
    fill: &mut HouseFill,
) -> Vec<Village> {
    fill.slots.reserve(n_regular);
    // Streets and village roads are kept free of houses (their pipes come later), so that
    // the only houses on a pipe are the deliberate occupation cases.
    let segs: Vec<Vec<(f64, u8, i32, i32)>> = towns
        .iter()
        .map(|t| town_segments(world, parks, t))
        .collect();
    for (t, ss) in towns.iter().zip(&segs) {
        for &(_, dir, k, m) in ss {
            world.pipe_occ.mark_path(
                &[town_point(t, dir, k, m), town_point(t, dir, k, m + 1)],
                3.0,
            );
        }
    }
    let mut town_placed = 0;
    for (ti, ss) in segs.iter().enumerate() {
        town_placed += fill_town(world, rng, parks, towns, ti, ss, fill);
    }
    let mut quota = n_regular - town_placed;
    // Line spacing for the rural houses to fit; below 150 m the villages get denser instead.
    let raw = if quota > 0 {
        RURAL_HOUSES_PER_M * world.mask.inside_area_m2() * 0.8 / quota as f64
    } else {
        800.0
    };
    let spacing = raw.clamp(150.0, 800.0);
    let dense = raw < 150.0;
    let mut villages = plan_villages(world, rng, towns, parks, (spacing, 0.0, dense), 0);
    for v in &villages {
        world.pipe_occ.mark_path(&v.pts, 6.0);
    }
    shuffle(rng, &mut villages);
    // A few villages close to the chemical park go first, so that they always exist.
    if let Some(chem) = parks.iter().find(|p| p.kind == ParkKind::Chemical) {
        let mut near: Vec<usize> = (0..villages.len())
            .filter(|&i| {
                let d = chem
                    .rect
                    .distance(villages[i].pts[villages[i].pts.len() / 2]);
                (250.0..1500.0).contains(&d)
            })
            .take(3)
            .collect();
        near.sort_unstable();
        for (k, &i) in near.iter().enumerate() {
            villages.swap(k, i);
        }
    }
    fill.village_used = vec![false; villages.len()];
    fill_villages(
        world,
        rng,
        (parks, towns),
        &villages,
        0,
        dense,
        &mut quota,
        fill,
    );
    if quota > 0 {
        // Denser countryside: a second set of lines between the first.
        let first = villages.len() as u32;
        let mut more = plan_villages(
            world,
            rng,
            towns,
            parks,
            (spacing, spacing * 0.5, dense),
            first,
        );
        for v in &more {
            world.pipe_occ.mark_path(&v.pts, 6.0);
        }
        shuffle(rng, &mut more);
        fill.village_used.resize(villages.len() + more.len(), false);
        villages.append(&mut more);
        fill_villages(
            world,
            rng,
            (parks, towns),
            &villages,
            first as usize,
            dense,
            &mut quota,
            fill,
        );
    }
    villages
}

/// Front rows of the villages from `first` on, then their back rows, until the quota is met.
#[allow(clippy::too_many_arguments)]
fn fill_villages(
    world: &mut World,
    rng: &mut Rand,
    (parks, towns): (&[Park], &[Town]),
    villages: &[Village],
    first: usize,
    dense: bool,
    quota: &mut usize,
    fill: &mut HouseFill,
) {
    // Dense countryside (a very large city) gets a third row of houses behind the second.
    let rows: &[u8] = if dense { &[0, 1, 2] } else { &[0, 1] };
    for &row in rows {
        for (vi, v) in villages.iter().enumerate().skip(first) {
            if *quota == 0 {
                return;
            }
            let n = fill_village(world, rng, parks, towns, v, (row, dense), quota, fill);
            if n > 0 && !fill.village_used[vi] {
                fill.village_used[vi] = true;
                fill.used_villages.push(vi);
            }
        }
    }
}

/// Houses deliberately built on or within ~2 m of a pipe (违章占压), the cases a gas
/// safety map must find.
fn place_occupation_houses(
    world: &mut World,
    rng: &mut Rand,
    towns: &[Town],
    pipes: &[PipePlan],
    n: usize,
    fill: &mut HouseFill,
) {
    if pipes.is_empty() || n == 0 {
        return;
    }
    // Mostly low and medium pipes (villages and towns); a tenth on the trunk.
    let (trunk, dist): (Vec<usize>, Vec<usize>) = (0..pipes.len()).partition(|&i| {
        matches!(
            pipes[i].class,
            PressureClass::SubHighA | PressureClass::SubHighB
        )
    });
    let lens = |ids: &[usize]| {
        ids.iter()
            .map(|&i| path_len(&pipes[i].pts))
            .collect::<Vec<f64>>()
    };
    let (tw, dw) = (lens(&trunk), lens(&dist));
    let mut placed = 0;
    let mut tries = 0;
    while placed < n && tries < n * 50 {
        tries += 1;
        let (ids, w) = if !trunk.is_empty() && (dist.is_empty() || chance(rng, 0.1)) {
            (&trunk, &tw)
        } else {
            (&dist, &dw)
        };
        let pipe = &pipes[ids[weighted(rng, w)]];
        let cum = cumulative(&pipe.pts);
        let total = cum.last().copied().unwrap_or(0.0);
        let (p, dir) = at(&pipe.pts, &cum, uni(rng, 0.0, total));
        let (w, d) = (uni(rng, 6.0, 12.0), uni(rng, 8.0, 15.0));
        // Signed gap between the pipe and the house's near wall: negative means on top.
        let gap = uni(rng, -3.0, 2.0);
        let side = if chance(rng, 0.5) { 1.0 } else { -1.0 };
        let r = RotRect {
            c: p + perp(dir) * (side * (gap + d / 2.0)),
            u: rot(dir, small_turn(rng, 0.035)),
            hw: w / 2.0,
            hh: d / 2.0,
        };
        let corners = r.corners();
        if world.occ.is_free(&corners, 0.5) && world.mask.contains_poly(&corners) {
            world.occ.mark(&corners, 0.0);
            let town = nearest_town(towns, r.c) as u16;
            let urban = norm(r.c - towns[town as usize].centre) <= towns[town as usize].radius;
            fill.slots.push(Slot {
                corners,
                addr: Addr::Village {
                    town,
                    village: 90_000 + below(rng, 500) as u32,
                    group: int_in(rng, 1, 12) as u16,
                    number: int_in(rng, 1, 300),
                },
                urban,
            });
            placed += 1;
        }
    }
}

/// Tops the houses up to `total` anywhere inside (free ground first), for cities too
/// dense for their villages; always ends with exactly `total` houses.
fn fill_scattered(
    world: &mut World,
    rng: &mut Rand,
    towns: &[Town],
    parks: &[Park],
    total: usize,
    fill: &mut HouseFill,
) {
    let mut tries = 0usize;
    let budget = (total - fill.slots.len().min(total)) * 40;
    while fill.slots.len() < total {
        tries += 1;
        let relaxed = tries > budget;
        let p = if relaxed {
            Some(world.mask.in_cell(rng))
        } else {
            world.mask.sample_inside(rng)
        };
        let Some(p) = p else { continue };
        let r = RotRect {
            c: p,
            u: rot(world.axis, small_turn(rng, 0.2)),
            hw: uni(rng, 3.0, 7.0),
            hh: uni(rng, 4.0, 9.0),
        };
        let corners = r.corners();
        let ok = if relaxed {
            // Last resort: inside is guaranteed by the cell, overlap is accepted.
            true
        } else {
            !in_park(parks, p, 80.0)
                && world.occ.is_free(&corners, 1.0)
                && world.pipe_occ.is_free(&corners, 0.0)
                && world.mask.contains_poly(&corners)
        };
        if ok {
            world.occ.mark(&corners, 0.0);
            let town = nearest_town(towns, p) as u16;
            let cell = world.mask.cell_of(p).unwrap_or(0) as u32;
            let urban = norm(p - towns[town as usize].centre) <= towns[town as usize].radius;
            fill.slots.push(Slot {
                corners,
                addr: Addr::Village {
                    town,
                    village: 100_000 + cell % 997,
                    group: int_in(rng, 1, 15) as u16,
                    number: int_in(rng, 1, 400),
                },
                urban,
            });
        }
    }
}

fn house_props(rng: &mut Rand, slot: &Slot, towns: &[Town], district: &str) -> House {
    let (floors_w, commercial, mixed) = if slot.urban {
        ([0.05, 0.30, 0.40, 0.15, 0.07, 0.03], 0.07, 0.10)
    } else {
        ([0.12, 0.50, 0.30, 0.06, 0.015, 0.005], 0.02, 0.04)
    };
    let floors = chance(rng, 0.99).then(|| weighted(rng, &floors_w) as u16 + 1);
    let x = rng.random::<f64>();
    let house_use = if x < commercial {
        HouseUse::Commercial
    } else if x < commercial + mixed {
        HouseUse::Mixed
    } else {
        HouseUse::Residential
    };
    let occupants = chance(rng, 0.97).then(|| match house_use {
        HouseUse::Residential => {
            weighted(rng, &[0.08, 0.20, 0.27, 0.22, 0.12, 0.07, 0.03, 0.01]) as u32 + 1
        }
        HouseUse::Commercial => {
            if chance(rng, 0.1) {
                int_in(rng, 20, 80)
            } else {
                int_in(rng, 0, 20)
            }
        }
        HouseUse::Mixed => int_in(rng, 2, 15),
    });
    let appraisal = [
        Appraisal::Unknown,
        Appraisal::A,
        Appraisal::B,
        Appraisal::C,
        Appraisal::D,
    ][weighted(rng, &[0.45, 0.30, 0.213, 0.03, 0.007])];
    let rectification = match appraisal {
        Appraisal::C | Appraisal::D => Some(
            [
                Rectification::Pending,
                Rectification::InProgress,
                Rectification::Done,
            ][weighted(rng, &[0.45, 0.30, 0.25])],
        ),
        Appraisal::A => Some(if chance(rng, 0.9) {
            Rectification::NotNeeded
        } else {
            Rectification::Unknown
        }),
        Appraisal::B => Some(
            [
                Rectification::NotNeeded,
                Rectification::Pending,
                Rectification::Done,
            ][weighted(rng, &[0.6, 0.2, 0.2])],
        ),
        Appraisal::Unknown => chance(rng, 0.7).then_some(Rectification::Unknown),
    };
    let address = match slot.addr {
        Addr::Street {
            town,
            dir,
            k,
            number,
        } => {
            format!(
                "{district}{}{}{number}号",
                towns[town as usize].name,
                street_name(town as usize, dir, k)
            )
        }
        Addr::Village {
            town,
            village,
            group,
            number,
        } => {
            format!(
                "{district}{}{}村{group}组{number}号",
                towns[town as usize].name,
                village_name(village)
            )
        }
    };
    House {
        address,
        floors,
        house_use: chance(rng, 0.99).then_some(house_use),
        occupants,
        appraisal: chance(rng, 0.98).then_some(appraisal),
        rectification,
        phone: chance(rng, 0.9).then(|| phone(rng)),
    }
}

/// Turns the placed houses into features, in parallel over fixed chunks with their own
/// random streams; also returns each house's occupants for the population grid.
fn house_features(
    world: &World,
    towns: &[Town],
    fill: &HouseFill,
    seed: u64,
) -> (Vec<Feature<House>>, Vec<u32>) {
    let plane = world.plane;
    let district = world.district;
    let chunks: Vec<Vec<(Feature<House>, u32)>> = fill
        .slots
        .par_chunks(HOUSE_CHUNK)
        .enumerate()
        .map(|(ci, chunk)| {
            let mut rng = rng_for(seed, STREAM_HOUSE_ATTRS + ci as u64);
            chunk
                .iter()
                .enumerate()
                .map(|(k, slot)| {
                    let i = ci * HOUSE_CHUNK + k;
                    let props = house_props(&mut rng, slot, towns, district);
                    let occupants = props.occupants.unwrap_or(0);
                    let feature = Feature {
                        id: format!("house-{:07}", i + 1),
                        geometry: plane.polygon(&slot.corners),
                        props,
                        source: SourceRef {
                            file: SOURCE_FILE.to_string(),
                            position: i as u64,
                        },
                    };
                    (feature, occupants)
                })
                .collect()
        })
        .collect();
    let mut features = Vec::with_capacity(fill.slots.len());
    let mut occupants = Vec::with_capacity(fill.slots.len());
    for (f, o) in chunks.into_iter().flatten() {
        features.push(f);
        occupants.push(o);
    }
    (features, occupants)
}

// ---------------------------------------------------------------------------------------
// Declared grades and levels (some of them wrong, as in real ledgers)
// ---------------------------------------------------------------------------------------

/// Residents per 50 m cell, to estimate α (population within 500 m of a unit).
struct PopGrid {
    x0: f64,
    y0: f64,
    cell: f64,
    nx: usize,
    ny: usize,
    v: Vec<f64>,
}

impl PopGrid {
    fn build(
        world: &World,
        fill: &HouseFill,
        occupants: &[u32],
        targets: &[TargetPlan],
    ) -> PopGrid {
        let cell = 50.0;
        let (lo, hi) = (world.mask.lo, world.mask.hi);
        let nx = ((hi.x - lo.x) / cell) as usize + 1;
        let ny = ((hi.y - lo.y) / cell) as usize + 1;
        let mut g = PopGrid {
            x0: lo.x,
            y0: lo.y,
            cell,
            nx,
            ny,
            v: vec![0.0; nx * ny],
        };
        for (s, &o) in fill.slots.iter().zip(occupants) {
            g.add((s.corners[0] + s.corners[2]) * 0.5, f64::from(o));
        }
        for t in targets {
            if t.props.kind == Some(TargetKind::ResidentialCommunity) {
                g.add(t.site.centre(), f64::from(t.props.population.unwrap_or(0)));
            }
        }
        g
    }
    fn add(&mut self, p: C, n: f64) {
        let i = grid_index((p.x - self.x0) / self.cell, self.nx);
        let j = grid_index((p.y - self.y0) / self.cell, self.ny);
        self.v[j * self.nx + i] += n;
    }
    fn within(&self, r: &RotRect, dist: f64) -> f64 {
        let ext = r.hw.max(r.hh) * 1.5 + dist + self.cell;
        let i0 = grid_index((r.c.x - ext - self.x0) / self.cell, self.nx);
        let i1 = grid_index((r.c.x + ext - self.x0) / self.cell, self.nx);
        let j0 = grid_index((r.c.y - ext - self.y0) / self.cell, self.ny);
        let j1 = grid_index((r.c.y + ext - self.y0) / self.cell, self.ny);
        let mut sum = 0.0;
        for j in j0..=j1 {
            for i in i0..=i1 {
                let p = c(
                    self.x0 + (i as f64 + 0.5) * self.cell,
                    self.y0 + (j as f64 + 0.5) * self.cell,
                );
                if r.distance(p) <= dist {
                    sum += self.v[j * self.nx + i];
                }
            }
        }
        sum
    }
}

fn grade_of(r: f64) -> HazardGrade {
    if r >= 100.0 {
        HazardGrade::One
    } else if r >= 50.0 {
        HazardGrade::Two
    } else if r >= 10.0 {
        HazardGrade::Three
    } else {
        HazardGrade::Four
    }
}

fn grade_from_number(n: i32) -> HazardGrade {
    match n.clamp(1, 4) {
        1 => HazardGrade::One,
        2 => HazardGrade::Two,
        3 => HazardGrade::Three,
        _ => HazardGrade::Four,
    }
}

/// The generator's own estimate of a unit's grade (GB 18218: α from residents within 500 m).
fn estimated_grade(pop: &PopGrid, u: &UnitPlan) -> Option<HazardGrade> {
    if u.s_sum < 1.0 {
        return None;
    }
    let p = pop.within(&u.rect, 500.0);
    let alpha = if p >= 100.0 {
        2.0
    } else if p >= 50.0 {
        1.5
    } else if p >= 30.0 {
        1.2
    } else if p >= 1.0 {
        1.0
    } else {
        0.5
    };
    Some(grade_of(alpha * u.beta_sum))
}

fn declare(rng: &mut Rand, pop: &PopGrid, ents: &mut Enterprises) {
    for e in &mut ents.ents {
        let mut worst: Option<HazardGrade> = None;
        for u in &mut e.units {
            let est = estimated_grade(pop, u);
            if let Some(g) = est {
                worst = Some(worst.map_or(g, |w| w.min(g)));
            }
            if !chance(rng, 0.4) {
                continue;
            }
            // ~15 % of declared grades are off by one; some units below the threshold
            // declare 四级 anyway.
            u.declared = match est {
                Some(g) if chance(rng, 0.15) => {
                    let n = i32::from(g.number());
                    Some(grade_from_number(
                        if n == 1 || (n != 4 && chance(rng, 0.5)) {
                            n + 1
                        } else {
                            n - 1
                        },
                    ))
                }
                Some(g) => Some(g),
                None => chance(rng, 0.3).then_some(HazardGrade::Four),
            };
        }
        let p = &mut e.props;
        let expected = match (worst, p.industry) {
            (Some(HazardGrade::One), _) => RiskLevel::Major,
            (Some(_), _) => RiskLevel::Significant,
            (None, Some(i)) if i.is_hazchem() => RiskLevel::General,
            (None, Some(Industry::Other) | None) => RiskLevel::Low,
            (None, Some(_)) => RiskLevel::General,
        };
        let expected = if p.open_major_hidden_hazards > 0 {
            expected.raised()
        } else {
            expected
        };
        let share = if e.units.is_empty() { 0.09 } else { 0.4 };
        if chance(rng, share) {
            // Under-declaring is the usual error; a few declare higher than needed.
            p.declared_level = Some(if chance(rng, 0.3) {
                match expected {
                    RiskLevel::Major => RiskLevel::Significant,
                    RiskLevel::Significant => RiskLevel::General,
                    RiskLevel::General => RiskLevel::Low,
                    RiskLevel::Low => RiskLevel::General,
                }
            } else {
                expected
            });
        }
    }
}

// ---------------------------------------------------------------------------------------
// Features
// ---------------------------------------------------------------------------------------

fn site_geometry(plane: &Plane, site: &Site) -> Geometry<f64> {
    match site {
        Site::Point(p) => plane.point(*p),
        Site::Rect(r) => plane.polygon(&r.corners()),
    }
}

fn ent_id(i: usize) -> String {
    format!("ent-{:06}", i + 1)
}

fn enterprise_features(world: &World, ents: &Enterprises) -> Vec<Feature<Enterprise>> {
    ents.ents
        .iter()
        .enumerate()
        .map(|(i, e)| Feature {
            id: ent_id(e.id),
            geometry: site_geometry(&world.plane, &e.site),
            props: e.props.clone(),
            source: SourceRef {
                file: SOURCE_FILE.to_string(),
                position: i as u64,
            },
        })
        .collect()
}

fn hazard_features(world: &World, ents: &Enterprises) -> Vec<Feature<HazardSource>> {
    let mut out = Vec::new();
    for e in &ents.ents {
        for u in &e.units {
            let i = out.len();
            out.push(Feature {
                id: format!("hs-{:04}", i + 1),
                geometry: world.plane.polygon(&u.rect.corners()),
                props: HazardSource {
                    name: u.name.clone(),
                    enterprise_id: Some(ent_id(e.id)),
                    unit_type: Some(u.unit_type),
                    inventory: u.inventory.clone(),
                    declared_grade: u.declared,
                    qra_distances: u.qra.clone(),
                },
                source: SourceRef {
                    file: SOURCE_FILE.to_string(),
                    position: i as u64,
                },
            });
        }
    }
    out
}

fn pipe_features(world: &World, pipes: &[PipePlan], seed: u64) -> Vec<Feature<GasPipeline>> {
    let mut rng = rng_for(seed, STREAM_PIPE_ATTRS);
    pipes
        .iter()
        .enumerate()
        .map(|(i, p)| {
            // Ledgers give the design pressure on most sections and the class on some;
            // every section keeps at least one of them.
            let with_pressure = chance(&mut rng, 0.88);
            let with_class = !with_pressure || chance(&mut rng, 0.25);
            Feature {
                id: format!("pipe-{:04}", i + 1),
                geometry: world.plane.line(&p.pts),
                props: GasPipeline {
                    name: p.name.clone(),
                    pressure_class: with_class.then_some(p.class),
                    design_pressure_mpa: with_pressure.then_some(p.pressure),
                    diameter_mm: chance(&mut rng, 0.95).then_some(p.diameter),
                    material: chance(&mut rng, 0.95).then(|| p.material.to_string()),
                    year_laid: chance(&mut rng, 0.9).then_some(p.year),
                },
                source: SourceRef {
                    file: SOURCE_FILE.to_string(),
                    position: i as u64,
                },
            }
        })
        .collect()
}

fn target_features(world: &World, targets: &[TargetPlan]) -> Vec<Feature<ProtectionTarget>> {
    targets
        .iter()
        .enumerate()
        .map(|(i, t)| Feature {
            id: format!("pt-{:04}", i + 1),
            geometry: site_geometry(&world.plane, &t.site),
            props: t.props.clone(),
            source: SourceRef {
                file: SOURCE_FILE.to_string(),
                position: i as u64,
            },
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{
        Area as _, BoundingRect, Contains, CoordsIter, Geodesic, Intersects, Length, Line,
        Validation,
    };

    const BOUNDARY: &str = include_str!("../../data/boundaries/haimen.geojson");

    fn ring(v: &serde_json::Value) -> LineString<f64> {
        LineString(
            v.as_array()
                .unwrap()
                .iter()
                .map(|p| c(p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
                .collect(),
        )
    }

    fn polygon(v: &serde_json::Value) -> Polygon<f64> {
        let rings = v.as_array().unwrap();
        Polygon::new(ring(&rings[0]), rings[1..].iter().map(ring).collect())
    }

    fn haimen() -> MultiPolygon<f64> {
        let fc: serde_json::Value = serde_json::from_str(BOUNDARY).unwrap();
        let g = &fc["features"][0]["geometry"];
        match g["type"].as_str().unwrap() {
            "Polygon" => MultiPolygon(vec![polygon(&g["coordinates"])]),
            _ => MultiPolygon(
                g["coordinates"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(polygon)
                    .collect(),
            ),
        }
    }

    /// An L-shaped boundary with a hole, far from Haimen, to exercise the fallbacks.
    fn elsewhere() -> MultiPolygon<f64> {
        let outer = LineString(vec![
            c(110.0, 30.0),
            c(110.2, 30.0),
            c(110.2, 30.08),
            c(110.08, 30.08),
            c(110.08, 30.16),
            c(110.0, 30.16),
            c(110.0, 30.0),
        ]);
        let hole = LineString(vec![
            c(110.02, 30.02),
            c(110.02, 30.04),
            c(110.05, 30.04),
            c(110.05, 30.02),
            c(110.02, 30.02),
        ]);
        MultiPolygon(vec![Polygon::new(outer, vec![hole])])
    }

    fn small() -> GenerateOptions {
        GenerateOptions {
            seed: 7,
            houses: 4000,
            enterprises: 90,
            hazard_sources: 17,
            pipeline_km: 60.0,
            protection_targets: 40,
        }
    }

    fn fnv(h: &mut u64, bytes: &[u8]) {
        for &b in bytes {
            *h ^= u64::from(b);
            *h = h.wrapping_mul(0x100_0000_01b3);
        }
    }

    fn digest_layer<P: std::fmt::Debug>(h: &mut u64, features: &[Feature<P>]) {
        for f in features {
            fnv(h, f.id.as_bytes());
            for c in geo::CoordsIter::coords_iter(&f.geometry) {
                fnv(h, &c.x.to_bits().to_le_bytes());
                fnv(h, &c.y.to_bits().to_le_bytes());
            }
            fnv(h, format!("{:?}", f.props).as_bytes());
        }
    }

    fn digest(d: &Dataset) -> u64 {
        let mut h = 0xcbf2_9ce4_8422_2325;
        digest_layer(&mut h, d.areas.features());
        digest_layer(&mut h, d.enterprises.features());
        digest_layer(&mut h, d.hazard_sources.features());
        digest_layer(&mut h, d.gas_pipelines.features());
        digest_layer(&mut h, d.houses.features());
        digest_layer(&mut h, d.protection_targets.features());
        h
    }

    fn all_geometries(d: &Dataset) -> Vec<(String, &Geometry<f64>)> {
        let mut v: Vec<(String, &Geometry<f64>)> = Vec::new();
        v.extend(
            d.enterprises
                .features()
                .iter()
                .map(|f| (f.id.clone(), &f.geometry)),
        );
        v.extend(
            d.hazard_sources
                .features()
                .iter()
                .map(|f| (f.id.clone(), &f.geometry)),
        );
        v.extend(
            d.gas_pipelines
                .features()
                .iter()
                .map(|f| (f.id.clone(), &f.geometry)),
        );
        v.extend(
            d.houses
                .features()
                .iter()
                .map(|f| (f.id.clone(), &f.geometry)),
        );
        v.extend(
            d.protection_targets
                .features()
                .iter()
                .map(|f| (f.id.clone(), &f.geometry)),
        );
        v
    }

    fn pipe_km(d: &Dataset) -> f64 {
        d.gas_pipelines
            .features()
            .iter()
            .map(|f| match &f.geometry {
                Geometry::LineString(l) => Geodesic.length(l),
                _ => panic!("pipe {} is not a line", f.id),
            })
            .sum::<f64>()
            / 1000.0
    }

    /// Whether `g` lies inside `boundary`: every vertex inside and no edge meeting the
    /// boundary (`Contains` on a polygon gives the same answer but is far slower).
    fn inside(boundary: &MultiPolygon<f64>, edges: &[Line<f64>], g: &Geometry<f64>) -> bool {
        let Some(r) = g.bounding_rect() else {
            return false;
        };
        if !g.coords_iter().all(|q| boundary.contains(&Point(q))) {
            return false;
        }
        let lines: Vec<Line<f64>> = match g {
            Geometry::Point(_) => Vec::new(),
            Geometry::LineString(l) => l.lines().collect(),
            Geometry::Polygon(p) => p.exterior().lines().collect(),
            _ => panic!("unexpected geometry"),
        };
        edges
            .iter()
            .filter(|e| e.bounding_rect().intersects(&r))
            .all(|e| lines.iter().all(|l| !l.intersects(e)))
    }

    fn check_city(d: &Dataset, opts: &GenerateOptions, boundary: &MultiPolygon<f64>) {
        // Counts.
        assert_eq!(d.houses.len(), opts.houses);
        assert_eq!(d.enterprises.len(), opts.enterprises);
        assert_eq!(d.hazard_sources.len(), opts.hazard_sources);
        assert_eq!(d.protection_targets.len(), opts.protection_targets);
        assert!(!d.areas.is_empty());
        // Pipeline length (geodesic) within 10 % of the request.
        let km = pipe_km(d);
        assert!(
            (km - opts.pipeline_km).abs() <= opts.pipeline_km * 0.1,
            "{km} km of pipes for {}",
            opts.pipeline_km
        );
        // Everything inside; polygons valid.
        let edges: Vec<Line<f64>> = boundary
            .0
            .iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .flat_map(|r| r.lines())
            .collect();
        for (id, g) in all_geometries(d) {
            assert!(
                inside(boundary, &edges, g),
                "{id} is not inside the boundary"
            );
            if let Geometry::Polygon(p) = g {
                let r = &p.exterior().0;
                assert!(
                    r.len() >= 4 && r.first() == r.last(),
                    "{id} is not a closed ring"
                );
                assert!(p.is_valid(), "{id} is not a valid polygon");
            }
        }
        // Areas: valid, inside and tiling the boundary.
        let mut sum = 0.0;
        for f in d.areas.features() {
            assert!(f.geometry.is_valid(), "{} invalid", f.id);
            let mp = match &f.geometry {
                Geometry::Polygon(p) => MultiPolygon(vec![p.clone()]),
                Geometry::MultiPolygon(m) => m.clone(),
                _ => panic!("{} is not a polygon", f.id),
            };
            assert!(
                mp.difference(boundary).unsigned_area() < 1e-9,
                "{} leaves the boundary",
                f.id
            );
            sum += mp.unsigned_area();
        }
        let whole = boundary.unsigned_area();
        assert!(
            (sum - whole).abs() < whole * 1e-6,
            "areas cover {sum} of {whole}"
        );
        // Inventories name their substances by CAS number.
        for f in d.hazard_sources.features() {
            assert!(!f.props.inventory.is_empty());
            for item in &f.props.inventory {
                let cas = item
                    .cas
                    .as_deref()
                    .unwrap_or_else(|| panic!("{} has an item without CAS", f.id));
                assert!(
                    SUBSTANCES.iter().any(|s| s.cas == cas),
                    "{} unknown CAS {cas}",
                    f.id
                );
                assert!(item.tonnes > 0.0);
            }
            let owner = f.props.enterprise_id.as_deref().unwrap();
            let (_, e) = d.enterprises.find_id(owner).unwrap();
            assert!(
                e.props.industry.is_some_and(Industry::is_hazchem),
                "{} owner is not hazchem",
                f.id
            );
            let Geometry::Polygon(site) = &e.geometry else {
                panic!("{owner} has no site")
            };
            assert!(
                site.contains(&f.geometry),
                "{} is not inside its site",
                f.id
            );
        }
        // Pipes: every section states a design pressure or a class.
        for f in d.gas_pipelines.features() {
            assert!(f.props.design_pressure_mpa.is_some() || f.props.pressure_class.is_some());
        }
        // Ids are unique.
        let mut ids: Vec<&str> = d.houses.features().iter().map(|f| f.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), d.houses.len());
    }

    #[test]
    fn haimen_small_city_is_complete_and_inside() {
        let b = haimen();
        let opts = small();
        let d = generate(&opts, &b).unwrap();
        check_city(&d, &opts, &b);
        let names: Vec<&str> = d
            .areas
            .features()
            .iter()
            .map(|f| f.props.name.as_str())
            .collect();
        assert!(
            names.contains(&"海门街道") && names.contains(&"临江镇"),
            "{names:?}"
        );
        // Phone numbers use the unassigned 10x prefixes.
        for f in d.houses.features() {
            if let Some(p) = &f.props.phone {
                assert!(p.starts_with("10") && p.len() == 13, "{p}");
            }
        }
        // Credit codes carry valid check characters.
        for f in d.enterprises.features() {
            if let Some(cc) = &f.props.credit_code {
                assert_eq!(cc.len(), 18);
                let total: u32 = cc
                    .bytes()
                    .take(17)
                    .zip(CC_WEIGHTS)
                    .map(|(ch, w)| CC_CHARS.iter().position(|&x| x == ch).unwrap() as u32 * w)
                    .sum();
                assert_eq!(
                    cc.as_bytes()[17],
                    CC_CHARS[((31 - total % 31) % 31) as usize]
                );
            }
        }
    }

    #[test]
    fn boundary_file_is_rfc7946() {
        use geo::Winding;
        let fc: serde_json::Value = serde_json::from_str(BOUNDARY).unwrap();
        assert!(fc.get("crs").is_none());
        assert_eq!(fc["features"].as_array().unwrap().len(), 1);
        let props = &fc["features"][0]["properties"];
        for key in ["name", "name_en", "source", "licence"] {
            assert!(props[key].is_string(), "{key}");
        }
        let b = haimen();
        assert!(b.is_valid());
        for p in &b.0 {
            assert!(p.exterior().is_ccw());
            for q in p.exterior().coords() {
                // Six decimals at most.
                assert_eq!((q.x * 1e6).round() / 1e6, q.x);
                assert_eq!((q.y * 1e6).round() / 1e6, q.y);
            }
        }
    }

    #[test]
    fn same_options_same_city() {
        let b = haimen();
        let opts = GenerateOptions {
            houses: 1500,
            pipeline_km: 25.0,
            ..small()
        };
        let a = digest(&generate(&opts, &b).unwrap());
        let again = digest(&generate(&opts, &b).unwrap());
        assert_eq!(a, again);
        let other = digest(&generate(&GenerateOptions { seed: 8, ..opts }, &b).unwrap());
        assert_ne!(a, other);
    }

    #[test]
    fn determinism_does_not_depend_on_threads() {
        let b = haimen();
        // More than one chunk of houses, so the parallel pass matters.
        let opts = GenerateOptions {
            houses: HOUSE_CHUNK * 2 + 100,
            ..small()
        };
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let a = one.install(|| digest(&generate(&opts, &b).unwrap()));
        let four = rayon::ThreadPoolBuilder::new()
            .num_threads(4)
            .build()
            .unwrap();
        let c4 = four.install(|| digest(&generate(&opts, &b).unwrap()));
        assert_eq!(a, c4);
    }

    #[test]
    fn demo_city_has_what_it_promises() {
        let b = haimen();
        let opts = GenerateOptions::demo();
        let d = generate(&opts, &b).unwrap();
        check_city(&d, &opts, &b);
        // Some houses on or right next to a pipe, some villages near the chemical park.
        let near_pipe = d
            .houses
            .features()
            .iter()
            .filter(|h| !d.gas_pipelines.within_distance(&h.geometry, 2.0).is_empty())
            .count();
        assert!(near_pipe >= 20, "{near_pipe} houses within 2 m of a pipe");
        assert!(
            near_pipe < opts.houses / 50,
            "{near_pipe} houses within 2 m of a pipe"
        );
        // Appraisal shares look like the brief: ~3 % C, ~0.7 % D.
        let share = |a: Appraisal| {
            d.houses
                .features()
                .iter()
                .filter(|h| h.props.appraisal == Some(a))
                .count() as f64
                / opts.houses as f64
        };
        assert!((0.02..0.04).contains(&share(Appraisal::C)));
        assert!((0.003..0.012).contains(&share(Appraisal::D)));
        // Declared levels exist and some disagree with a simple expectation.
        assert!(
            d.enterprises
                .features()
                .iter()
                .filter(|e| e.props.declared_level.is_some())
                .count()
                >= 20
        );
        assert!(
            d.hazard_sources
                .features()
                .iter()
                .any(|h| h.props.qra_distances.is_some())
        );
        assert!(
            d.hazard_sources
                .features()
                .iter()
                .any(|h| h.props.declared_grade.is_some())
        );
    }

    #[test]
    fn another_boundary_gets_synthetic_towns() {
        let b = elsewhere();
        let opts = GenerateOptions {
            houses: 2500,
            enterprises: 40,
            hazard_sources: 6,
            pipeline_km: 30.0,
            protection_targets: 20,
            seed: 3,
        };
        let d = generate(&opts, &b).unwrap();
        check_city(&d, &opts, &b);
        assert!(
            d.areas
                .features()
                .iter()
                .all(|a| a.props.name.starts_with("示例镇"))
        );
    }

    #[test]
    fn any_small_city_meets_its_options() {
        use proptest::prelude::*;
        let b = elsewhere();
        let cfg = ProptestConfig {
            cases: 4,
            ..ProptestConfig::default()
        };
        proptest!(cfg, |(seed in any::<u64>(), houses in 0usize..1500, enterprises in 1usize..40,
                         hazard_sources in 0usize..12, km in 1.0..20.0f64, targets in 0usize..30)| {
            let opts = GenerateOptions {
                seed,
                houses,
                enterprises,
                hazard_sources,
                pipeline_km: km,
                protection_targets: targets,
            };
            let d = generate(&opts, &b).unwrap();
            check_city(&d, &opts, &b);
        });
    }

    /// The benchmark city, in release mode only:
    /// `cargo test --release -p riskmap-core -- --ignored benchmark_city`.
    #[test]
    #[ignore = "large: run in release mode"]
    fn benchmark_city() {
        let b = haimen();
        let opts = GenerateOptions::benchmark();
        let t = std::time::Instant::now();
        let d = generate(&opts, &b).unwrap();
        eprintln!(
            "benchmark city generated in {:.2} s",
            t.elapsed().as_secs_f64()
        );
        check_city(&d, &opts, &b);
    }

    #[test]
    fn scaled_follows_the_benchmark_ratios() {
        let s = GenerateOptions::scaled(100_000);
        assert_eq!(
            (s.enterprises, s.hazard_sources, s.protection_targets),
            (2000, 200, 500)
        );
        assert!((s.pipeline_km - 500.0).abs() < 1e-9);
        assert_eq!(
            GenerateOptions::scaled(1_000_000).enterprises,
            GenerateOptions::benchmark().enterprises
        );
    }

    #[test]
    fn bad_inputs_are_refused() {
        let b = haimen();
        let o = GenerateOptions {
            pipeline_km: -1.0,
            ..small()
        };
        assert!(matches!(
            generate(&o, &b),
            Err(GenerateError::InvalidPipelineLength(_))
        ));
        let o = GenerateOptions {
            enterprises: 0,
            ..small()
        };
        assert!(matches!(
            generate(&o, &b),
            Err(GenerateError::NoEnterpriseForHazardSources { .. })
        ));
        assert!(matches!(
            generate(&small(), &MultiPolygon(vec![])),
            Err(GenerateError::EmptyBoundary)
        ));
        let tiny = MultiPolygon(vec![Polygon::new(
            LineString(vec![
                c(121.0, 31.0),
                c(121.0001, 31.0),
                c(121.0001, 31.0001),
                c(121.0, 31.0),
            ]),
            vec![],
        )]);
        assert!(matches!(
            generate(&small(), &tiny),
            Err(GenerateError::BoundaryTooSmall)
        ));
    }

    #[test]
    fn empty_city_is_fine() {
        let b = haimen();
        let o = GenerateOptions {
            seed: 1,
            houses: 0,
            enterprises: 0,
            hazard_sources: 0,
            pipeline_km: 0.0,
            protection_targets: 0,
        };
        let d = generate(&o, &b).unwrap();
        assert!(d.houses.is_empty() && d.gas_pipelines.is_empty());
        assert!(!d.areas.is_empty());
    }

    #[test]
    fn mask_agrees_with_geo() {
        use proptest::prelude::*;
        let b = haimen();
        let plane = plane_for(&b).unwrap();
        let rings: Vec<Vec<C>> =
            b.0.iter()
                .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
                .map(|r| r.0.iter().map(|&q| plane.to_m(q)).collect())
                .collect();
        let mask = Mask::build(&rings).unwrap();
        let (lo, hi) = (plane.to_ll(mask.lo), plane.to_ll(mask.hi));
        proptest!(ProptestConfig::with_cases(2000), |(fx in 0.0..1.0f64, fy in 0.0..1.0f64)| {
            let ll = c(lo.x + (hi.x - lo.x) * fx, lo.y + (hi.y - lo.y) * fy);
            prop_assert_eq!(mask.contains_point(plane.to_m(ll)), b.contains(&Point(ll)));
        });
    }
}
