//! A synthetic province: several cities spread over a frame of 480 × 400 km, each laid out
//! like the district (towns, parks, pipes, villages) by [`generate_in`] inside a boundary
//! of its own, with its own name, codes, seed and size.
//!
//! A province is not one district scaled up: its cities differ in size (a rank–size rule,
//! the largest holding about a quarter of the houses), lie 80–160 km apart with open land
//! between them, and straddle two Gauss–Krüger zones, as a real province's do. Ids carry
//! the city (`C03-house-0000001`), so the cities' ledgers merge into one dataset.
//!
//! Every city is generated and written on its own, so generating ten million houses needs
//! the memory of the largest city, not of the province.

use std::path::Path;

use geo::{LineString, MultiPolygon, Polygon};

use super::arith::{C, c, rng_for, rot, shuffle, uni, unit_from_half_tan};
use super::ledgers::{LedgerWriteError, fail, write_layers};
use super::plane::Plane;
use super::{DEFAULT_SEED, GenerateError, GenerateOptions, LEDGER_END, Region, generate_in};
use crate::dataset::{Dataset, Layer};
use crate::model::LayerKind;

/// Sizes of a synthetic province.
#[derive(Debug, Clone, PartialEq)]
pub struct ProvinceOptions {
    /// Seed of every random draw.
    pub seed: u64,
    /// Self-built houses over all cities (exact); the other layers follow each city's
    /// houses at the benchmark city's ratios.
    pub houses: usize,
    /// Number of cities.
    pub cities: usize,
}

impl ProvinceOptions {
    /// The province of the benchmarks: 10,000,000 houses in 12 cities.
    pub fn standard() -> Self {
        ProvinceOptions {
            seed: DEFAULT_SEED,
            houses: 10_000_000,
            cities: 12,
        }
    }
}

/// One city of a province: where it lies and what it holds.
#[derive(Debug, Clone)]
pub struct City {
    /// Short key, used in file names and ids (`C03`).
    pub key: String,
    /// The place: name (示例市03) and six-digit code.
    pub region: Region,
    /// The city's boundary, lon/lat.
    pub boundary: MultiPolygon<f64>,
    /// What to generate in it (its own seed).
    pub options: GenerateOptions,
    /// The CGCS2000 3-degree Gauss–Krüger zone of its centre, as its gas company's
    /// drawings would use (`EPSG:4548` …).
    pub pipeline_crs: String,
}

/// Centre of the province's frame (an inland plain of eastern China), degrees.
const CENTRE: (f64, f64) = (118.0, 32.0);
/// The frame the cities are spread over, km east–west and north–south.
const FRAME_KM: (f64, f64) = (480.0, 400.0);
/// Houses per km² of a city's land (the benchmark city holds 1,000,000 in about 1,100).
const HOUSES_PER_KM2: f64 = 900.0;
/// Exponent of the rank–size rule of the cities' houses.
const RANK_EXPONENT: f64 = 0.8;
/// Vertices of a city's boundary.
const BOUNDARY_VERTICES: usize = 48;
/// tan(π / 48): the half-angle tangent of one step around a boundary.
const STEP_HALF_TAN: f64 = 0.065_543_462_815_238_22;
/// Random stream of the province's layout (the cities' own streams come from their seeds).
const STREAM_PROVINCE: u64 = 100;

/// Fewest houses per city: below this a city has no room for its towns and parks.
const MIN_HOUSES_PER_CITY: usize = 1_000;

/// The cities of a province, in order; deterministic like the district.
///
/// # Errors
///
/// [`GenerateError::ProvinceTooSmall`] for no city, or fewer than 1,000 houses a city.
pub fn plan_province(opts: &ProvinceOptions) -> Result<Vec<City>, GenerateError> {
    let n = opts.cities;
    if n == 0 || opts.houses < n * MIN_HOUSES_PER_CITY {
        return Err(GenerateError::ProvinceTooSmall {
            houses: opts.houses,
            cities: n,
        });
    }
    let mut rng = rng_for(opts.seed, STREAM_PROVINCE);
    let plane = Plane::new(CENTRE.0, CENTRE.1);
    // A grid of cells a little wider than tall, one city per cell, moved within it.
    let cols = ((n as f64 * 1.2).sqrt().ceil() as usize).max(1);
    let rows = n.div_ceil(cols);
    let (w, h) = (
        FRAME_KM.0 * 1000.0 / cols as f64,
        FRAME_KM.1 * 1000.0 / rows as f64,
    );
    // Sizes by rank, the ranks shuffled over the cells.
    let mut weights: Vec<f64> = (0..n)
        .map(|i| 1.0 / pow(i as f64 + 1.0, RANK_EXPONENT))
        .collect();
    shuffle(&mut rng, &mut weights);
    let total: f64 = weights.iter().sum();
    let mut houses: Vec<usize> = weights
        .iter()
        .map(|w| ((opts.houses as f64 * w / total) as usize).max(MIN_HOUSES_PER_CITY))
        .collect();
    // The rounding's remainder goes to the largest city; what the small cities' floor
    // added is taken back from the largest ones, none going below the floor (the total
    // is at least the floor times the cities, so this ends).
    let mut given: usize = houses.iter().sum();
    while given != opts.houses {
        let largest = (0..n).max_by_key(|&i| houses[i]).unwrap_or(0);
        if given < opts.houses {
            houses[largest] += opts.houses - given;
            given = opts.houses;
        } else {
            let take = (given - opts.houses).min(houses[largest] - MIN_HOUSES_PER_CITY);
            houses[largest] -= take;
            given -= take;
        }
    }
    let mut cities = Vec::with_capacity(n);
    for (k, &count) in houses.iter().enumerate() {
        let (col, row) = (k % cols, k / cols);
        let centre = c(
            (col as f64 + 0.5) * w - FRAME_KM.0 * 500.0 + uni(&mut rng, -0.12, 0.12) * w,
            (row as f64 + 0.5) * h - FRAME_KM.1 * 500.0 + uni(&mut rng, -0.12, 0.12) * h,
        );
        // Land for the houses, kept inside the cell with room between cities.
        let radius = (count as f64 / HOUSES_PER_KM2 * 1e6 / std::f64::consts::PI)
            .sqrt()
            .min(0.3 * w.min(h));
        let boundary = city_boundary(&mut rng, &plane, centre, radius);
        let ll = plane.to_ll(centre);
        let cm = 3 * (ll.x / 3.0).round() as i64;
        let key = format!("C{:02}", k + 1);
        let mut options = GenerateOptions::scaled(count);
        options.seed = opts
            .seed
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(k as u64 + 1);
        cities.push(City {
            region: Region {
                name: format!("示例市{:02}", k + 1),
                code: format!("99{:02}00", k + 1),
            },
            key,
            boundary,
            options,
            pipeline_crs: format!("EPSG:{}", 4534 + (cm - 75) / 3),
        });
    }
    Ok(cities)
}

impl City {
    /// Generates the city, its ids prefixed with its key.
    ///
    /// # Errors
    ///
    /// As [`super::generate`].
    pub fn generate(&self) -> Result<Dataset, GenerateError> {
        let ds = generate_in(&self.options, &self.boundary, Some(&self.region))?;
        Ok(namespaced(ds, &self.key))
    }
}

/// x^e for x ≥ 1 with `+ − × ÷ √` only (determinism, see the module `arith`): e is taken
/// to 1/1024 by repeated square roots.
fn pow(x: f64, e: f64) -> f64 {
    let mut out = 1.0;
    let mut root = x;
    let mut frac = e;
    let whole = frac.floor();
    for _ in 0..whole as u32 {
        out *= x;
    }
    frac -= whole;
    for _ in 0..10 {
        root = root.sqrt();
        frac *= 2.0;
        if frac >= 1.0 {
            out *= root;
            frac -= 1.0;
        }
    }
    out
}

/// A city's boundary: a ring around the centre whose radius wanders between 0.8 and 1.2
/// of `radius` (smoothed), in lon/lat.
fn city_boundary(
    rng: &mut super::arith::Rand,
    plane: &Plane,
    centre: C,
    radius: f64,
) -> MultiPolygon<f64> {
    let raw: Vec<f64> = (0..BOUNDARY_VERTICES).map(|_| uni(rng, 0.8, 1.2)).collect();
    let step = unit_from_half_tan(STEP_HALF_TAN);
    let mut dir = c(1.0, 0.0);
    let mut ring = Vec::with_capacity(BOUNDARY_VERTICES + 1);
    for i in 0..BOUNDARY_VERTICES {
        let prev = raw[(i + BOUNDARY_VERTICES - 1) % BOUNDARY_VERTICES];
        let next = raw[(i + 1) % BOUNDARY_VERTICES];
        let f = (prev + 2.0 * raw[i] + next) / 4.0;
        let p = plane.to_ll(centre + dir * (radius * f));
        ring.push(geo::Coord { x: p.x, y: p.y });
        dir = rot(dir, step);
    }
    ring.push(ring[0]);
    MultiPolygon(vec![Polygon::new(LineString(ring), vec![])])
}

/// The dataset with every id, and every reference to one, prefixed by `key`. The layers
/// are consumed (a freshly generated dataset shares them with nothing, so nothing is
/// copied) and indexed again.
fn namespaced(ds: Dataset, key: &str) -> Dataset {
    let id = |s: &str| format!("{key}-{s}");
    fn renamed<P>(
        layer: Layer<P>,
        id: &dyn Fn(&str) -> String,
        mut props: impl FnMut(&mut P),
    ) -> Layer<P>
    where
        P: Clone,
    {
        let kind = layer.kind();
        let mut features = layer.into_features();
        for f in &mut features {
            f.id = id(&f.id);
            props(&mut f.props);
        }
        Layer::new(kind, features)
    }
    Dataset {
        areas: renamed(ds.areas, &id, |_| {}),
        enterprises: renamed(ds.enterprises, &id, |_| {}),
        hazard_sources: renamed(ds.hazard_sources, &id, |p| {
            p.enterprise_id = p.enterprise_id.as_deref().map(id);
        }),
        gas_pipelines: renamed(ds.gas_pipelines, &id, |_| {}),
        houses: renamed(ds.houses, &id, |_| {}),
        protection_targets: renamed(ds.protection_targets, &id, |_| {}),
        hidden_hazards: renamed(ds.hidden_hazards, &id, |p| {
            p.feature_id = p.feature_id.as_deref().map(|f| id(f).into());
        }),
    }
}

/// Why a province could not be generated or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProvinceError {
    /// A city could not be generated.
    #[error("{city}: {source}")]
    Generate {
        /// The city's key.
        city: String,
        /// Cause.
        #[source]
        source: GenerateError,
    },
    /// A file could not be written.
    #[error(transparent)]
    Write(#[from] LedgerWriteError),
}

/// What a written city holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CityCounts {
    /// The city's key.
    pub key: String,
    /// Its name.
    pub name: String,
    /// Houses, enterprises, hazard sources, pipelines, protection targets, hidden hazards.
    pub counts: [usize; 6],
}

/// Generates the province city by city and writes it as a data directory with a folder
/// per layer and a file per city in it (`houses/C03.csv`), each city's pipes in its own
/// Gauss–Krüger zone, its protection targets in GCJ-02, its ledgers in GBK; then the
/// manifest and a README. `on_city` is told of each city before it is generated.
///
/// # Errors
///
/// [`ProvinceError`] naming the city or the file.
pub fn write_province(
    dir: &Path,
    opts: &ProvinceOptions,
    houses_geojson: bool,
    on_city: &mut dyn FnMut(&City),
) -> Result<Vec<CityCounts>, ProvinceError> {
    let cities = plan_province(opts).map_err(|source| ProvinceError::Generate {
        city: "province".into(),
        source,
    })?;
    for kind in LayerKind::INPUTS {
        let d = dir.join(kind.name());
        std::fs::create_dir_all(&d).map_err(fail(&d))?;
    }
    let mut written = Vec::with_capacity(cities.len());
    for city in &cities {
        on_city(city);
        let ds = city.generate().map_err(|source| ProvinceError::Generate {
            city: city.key.clone(),
            source,
        })?;
        let at = |layer: &str, ext: &str| dir.join(layer).join(format!("{}.{ext}", city.key));
        write_layers(&at, &ds, &city.pipeline_crs, houses_geojson)?;
        written.push(CityCounts {
            key: city.key.clone(),
            name: city.region.name.clone(),
            counts: [
                ds.houses.len(),
                ds.enterprises.len(),
                ds.hazard_sources.len(),
                ds.gas_pipelines.len(),
                ds.protection_targets.len(),
                ds.hidden_hazards.len(),
            ],
        });
    }
    let (y, m, d) = LEDGER_END;
    let manifest = dir.join("riskmap.toml");
    std::fs::write(
        &manifest,
        format!(
            "# How to read the files of this directory (see docs/data-model.md).\n\
             # A folder per layer, a file per city. Enterprises, houses and hidden hazards are\n\
             # GBK CSV ledgers (the encoding is detected); each city's gas pipelines declare\n\
             # their Gauss–Krüger zone in their own `crs` member.\n\n\
             as_of = \"{y:04}-{m:02}-{d:02}\"\n\n\
             [files.\"protection_targets\"]\n\
             # Digitised on an AMap/Tencent base map: GCJ-02 coordinates.\n\
             crs = \"gcj02\"\n",
        ),
    )
    .map_err(fail(&manifest))?;
    let readme = dir.join("README.md");
    let mut text = format!(
        "# Synthetic data — not real cities, enterprises, houses or people\n\n\
         A synthetic province generated by `riskmap generate --province` (seed {}, {} houses \
         in {} cities over about {} × {} km around {}°E {}°N). Every city, boundary, name, number \
         and position is invented; names end in （合成数据）.\n\n\
         | city | name | houses | enterprises | hazard sources | pipelines | protection targets | hidden hazards |\n\
         |---|---|---:|---:|---:|---:|---:|---:|\n",
        opts.seed, opts.houses, opts.cities, FRAME_KM.0, FRAME_KM.1, CENTRE.0, CENTRE.1
    );
    for c in &written {
        let [h, e, s, p, t, x] = c.counts;
        text.push_str(&format!(
            "| {} | {} | {h} | {e} | {s} | {p} | {t} | {x} |\n",
            c.key, c.name
        ));
    }
    std::fs::write(&readme, text).map_err(fail(&readme))?;
    Ok(written)
}
