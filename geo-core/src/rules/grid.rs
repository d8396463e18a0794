//! The area risk grid: hex cell size, weights and influence radii of each kind of risk,
//! and the bands of the index (this project's own documented method).

use serde::{Deserialize, Serialize};

use super::check::{self, RuleProblem};
use crate::config_keys::{CollectUnknown, UnknownKeys, key_path};
use crate::model::RiskLevel;

/// Thresholds of the grid index bands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bands {
    /// Index at or above which a cell is red.
    pub major: f64,
    /// … orange.
    pub significant: f64,
    /// … yellow; below is blue.
    pub general: f64,
    /// Keys of this table that are no rule; any of them makes the file an error.
    #[serde(flatten, skip_serializing)]
    pub unknown: UnknownKeys,
}

impl Bands {
    /// The level of an index value.
    pub fn level(&self, v: f64) -> RiskLevel {
        if v >= self.major {
            RiskLevel::Major
        } else if v >= self.significant {
            RiskLevel::Significant
        } else if v >= self.general {
            RiskLevel::General
        } else {
            RiskLevel::Low
        }
    }
}

/// Weights of one risk per level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ByLevel {
    /// 重大
    pub major: f64,
    /// 较大
    pub significant: f64,
    /// 一般
    pub general: f64,
    /// 低
    pub low: f64,
    /// Keys of this table that are no rule; any of them makes the file an error.
    #[serde(flatten, skip_serializing)]
    pub unknown: UnknownKeys,
}

impl ByLevel {
    /// The value for a level.
    pub fn get(&self, l: RiskLevel) -> f64 {
        match l {
            RiskLevel::Major => self.major,
            RiskLevel::Significant => self.significant,
            RiskLevel::General => self.general,
            RiskLevel::Low => self.low,
        }
    }
}

/// The area risk index: this project's own documented method (no national formula exists
/// \[S\]); see [`crate::analysis::risk_grid`]. Risk points (hazard sources, enterprises) add
/// `weight(level) · (1 − d/radius)` to every H3 cell whose centre lies within their
/// radius (measured in a local plane around the risk); the many small risks (houses, pipeline conflicts) are summed likewise with
/// `house_weight` and enter as `many_weight · ln(1 + sum)`; exposed population adds
/// `population_weight · ln(1 + population)`; the cell is then at least the level of the
/// worst risk point inside it (domain reference: an area is at least its highest point).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GridRules {
    /// The hexagon's circumradius, metres. The cells are H3 hexagons at the resolution whose
    /// average area is closest (by ratio) to a regular hexagon of this circumradius,
    /// `3√3/2 · cell_size_m²`: the default 500 m gives H3 resolution 8 (average area
    /// 0.737 km², average edge 531 m); see [`crate::analysis::risk_grid::resolution_for`].
    pub cell_size_m: f64,
    /// Weight of a hazard source or enterprise by its level.
    pub weight: ByLevel,
    /// Weight of a house by its level, inside the logarithm.
    pub house_weight: ByLevel,
    /// Multiplier of ln(1 + Σ house and pipeline-conflict contributions).
    pub many_weight: f64,
    /// Influence radius of a graded hazard source, metres.
    pub hazard_radius_m: f64,
    /// Influence radius of an enterprise, metres.
    pub enterprise_radius_m: f64,
    /// Influence radius of a house, metres.
    pub house_radius_m: f64,
    /// Weight of a pipeline conflict (occupation or too close), inside the logarithm.
    pub pipeline_conflict_weight: f64,
    /// Multiplier of ln(1 + population in the cell).
    pub population_weight: f64,
    /// Bands of the index.
    pub bands: Bands,
    /// Raise a cell to at least the worst level of the risk points (hazard sources,
    /// enterprises) inside it.
    pub floor_at_worst_inside: bool,
    /// Weight of a grid cell by its level in an area's index (区域风险指数, the
    /// severity-weighted share of the area's land in the grid; see
    /// [`crate::analysis::risk_grid::area_risk`]).
    pub area_weight: ByLevel,
    /// Bands of the area index, per cent.
    pub area_bands: Bands,
    /// Keys of this table that are no rule; any of them makes the file an error.
    #[serde(flatten, skip_serializing)]
    pub unknown: UnknownKeys,
}

impl Default for GridRules {
    fn default() -> Self {
        GridRules {
            cell_size_m: 500.0,
            weight: ByLevel {
                major: 40.0,
                significant: 15.0,
                general: 4.0,
                low: 0.5,
                unknown: UnknownKeys::default(),
            },
            house_weight: ByLevel {
                major: 10.0,
                significant: 4.0,
                general: 1.0,
                low: 0.0,
                unknown: UnknownKeys::default(),
            },
            many_weight: 4.0,
            hazard_radius_m: 1500.0,
            enterprise_radius_m: 800.0,
            house_radius_m: 300.0,
            pipeline_conflict_weight: 4.0,
            population_weight: 1.0,
            bands: Bands {
                major: 60.0,
                significant: 30.0,
                general: 12.0,
                unknown: UnknownKeys::default(),
            },
            floor_at_worst_inside: true,
            area_weight: ByLevel {
                major: 1.0,
                significant: 0.5,
                general: 0.2,
                low: 0.0,
                unknown: UnknownKeys::default(),
            },
            area_bands: Bands {
                major: 25.0,
                significant: 12.0,
                general: 5.0,
                unknown: UnknownKeys::default(),
            },
            unknown: UnknownKeys::default(),
        }
    }
}

impl GridRules {
    /// Checks the cell size (≥ 50 m), every radius, every weight and the band order.
    /// Every number of the table is checked here, in one place.
    pub fn validate(&self, path: &str, out: &mut Vec<RuleProblem>) {
        let p = |k: &str| key_path(path, k);
        check::distance(out, &p("cell_size_m"), self.cell_size_m);
        if self.cell_size_m.is_finite() && self.cell_size_m < 50.0 {
            check::push(
                out,
                &p("cell_size_m"),
                format!(
                    "{} is less than 50; a cell must be at least 50 m",
                    self.cell_size_m
                ),
            );
        }
        for (k, v) in [
            ("hazard_radius_m", self.hazard_radius_m),
            ("enterprise_radius_m", self.enterprise_radius_m),
            ("house_radius_m", self.house_radius_m),
        ] {
            check::distance(out, &p(k), v);
        }
        for (k, v) in [
            ("many_weight", self.many_weight),
            ("pipeline_conflict_weight", self.pipeline_conflict_weight),
            ("population_weight", self.population_weight),
        ] {
            check::weight(out, &p(k), v);
        }
        for (k, w) in [
            ("weight", &self.weight),
            ("house_weight", &self.house_weight),
            ("area_weight", &self.area_weight),
        ] {
            for (l, v) in [
                ("major", w.major),
                ("significant", w.significant),
                ("general", w.general),
                ("low", w.low),
            ] {
                check::weight(out, &key_path(&p(k), l), v);
            }
        }
        for (k, b) in [("bands", &self.bands), ("area_bands", &self.area_bands)] {
            let (m, s, g) = (b.major, b.significant, b.general);
            if !([m, s, g].iter().all(|v| v.is_finite()) && m > s && s > g && g > 0.0) {
                check::push(
                    out,
                    &p(k),
                    format!(
                        "major = {m}, significant = {s}, general = {g}; they must be finite with major > significant > general > 0"
                    ),
                );
            }
        }
    }
}

impl CollectUnknown for Bands {
    fn collect_unknown(&self, path: &str, out: &mut Vec<String>) {
        self.unknown.collect_unknown(path, out);
    }
}

impl CollectUnknown for ByLevel {
    fn collect_unknown(&self, path: &str, out: &mut Vec<String>) {
        self.unknown.collect_unknown(path, out);
    }
}

impl CollectUnknown for GridRules {
    fn collect_unknown(&self, path: &str, out: &mut Vec<String>) {
        self.unknown.collect_unknown(path, out);
        self.weight.collect_unknown(&key_path(path, "weight"), out);
        self.house_weight
            .collect_unknown(&key_path(path, "house_weight"), out);
        self.bands.collect_unknown(&key_path(path, "bands"), out);
        self.area_weight
            .collect_unknown(&key_path(path, "area_weight"), out);
        self.area_bands
            .collect_unknown(&key_path(path, "area_bands"), out);
    }
}
