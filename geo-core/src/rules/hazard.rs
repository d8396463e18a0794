//! Major-hazard grading, GB 18218-2018: the α table of exposed population, the R thresholds
//! of the grades and the radius in which exposed population is counted.

use serde::{Deserialize, Serialize};

use super::check::{self, RuleProblem};
use crate::config_keys::{CollectUnknown, UnknownKeys, key_path};
use crate::model::HazardGrade;

/// One band of the α table: population ≥ `min_population` gives `alpha`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlphaBand {
    /// Lowest population of the band.
    pub min_population: u32,
    /// α (暴露人员校正系数).
    pub alpha: f64,
    /// Keys of this table that are no rule; any of them makes the file an error.
    #[serde(flatten, skip_serializing)]
    pub unknown: UnknownKeys,
}

/// R thresholds of the grades.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GradeThresholds {
    /// R ≥ this is 一级.
    pub one: f64,
    /// R ≥ this is 二级.
    pub two: f64,
    /// R ≥ this is 三级; below is 四级.
    pub three: f64,
    /// Keys of this table that are no rule; any of them makes the file an error.
    #[serde(flatten, skip_serializing)]
    pub unknown: UnknownKeys,
}

impl Default for GradeThresholds {
    /// GB 18218-2018 §4.2.3 Table 5 \[S\].
    fn default() -> Self {
        GradeThresholds {
            one: 100.0,
            two: 50.0,
            three: 10.0,
            unknown: UnknownKeys::default(),
        }
    }
}

impl GradeThresholds {
    /// The grade of an R value.
    pub fn grade(&self, r: f64) -> HazardGrade {
        if r >= self.one {
            HazardGrade::One
        } else if r >= self.two {
            HazardGrade::Two
        } else if r >= self.three {
            HazardGrade::Three
        } else {
            HazardGrade::Four
        }
    }
}

/// Major-hazard grading rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HazardRules {
    /// Radius around the unit's boundary in which exposed population is counted, metres.
    /// GB 18218-2018 §4.2.2 (500 m outside the unit) \[S\].
    pub population_radius_m: f64,
    /// α by exposed population, highest band first. GB 18218-2018 Table 4 \[S\].
    pub alpha: Vec<AlphaBand>,
    /// R thresholds. GB 18218-2018 Table 5 \[S\].
    pub grade_thresholds: GradeThresholds,
    /// Count occupants of houses in the exposed population (not only protection targets).
    /// Screening default of this project.
    pub count_house_occupants: bool,
    /// Keys of this table that are no rule; any of them makes the file an error.
    #[serde(flatten, skip_serializing)]
    pub unknown: UnknownKeys,
}

impl Default for HazardRules {
    fn default() -> Self {
        HazardRules {
            population_radius_m: 500.0,
            alpha: vec![
                band(100, 2.0),
                band(50, 1.5),
                band(30, 1.2),
                band(1, 1.0),
                band(0, 0.5),
            ],
            grade_thresholds: GradeThresholds::default(),
            count_house_occupants: true,
            unknown: UnknownKeys::default(),
        }
    }
}

/// A band of the default α table.
fn band(min_population: u32, alpha: f64) -> AlphaBand {
    AlphaBand {
        min_population,
        alpha,
        unknown: UnknownKeys::default(),
    }
}

impl HazardRules {
    /// α for an exposed population.
    pub fn alpha_for(&self, population: u64) -> f64 {
        let mut bands = self.alpha.clone();
        bands.sort_by_key(|b| std::cmp::Reverse(b.min_population));
        bands
            .iter()
            .find(|b| population >= u64::from(b.min_population))
            .map_or(0.5, |b| b.alpha)
    }
}

impl HazardRules {
    /// Checks the ranges and order of the values (see `docs/rules.md`).
    pub fn validate(&self, path: &str, out: &mut Vec<RuleProblem>) {
        check::distance(
            out,
            &key_path(path, "population_radius_m"),
            self.population_radius_m,
        );
        let alpha = key_path(path, "alpha");
        if self.alpha.is_empty() {
            check::push(
                out,
                &alpha,
                "is empty; give at least the band from 0".into(),
            );
        }
        for (i, b) in self.alpha.iter().enumerate() {
            if !(b.alpha.is_finite() && b.alpha > 0.0) {
                check::push(
                    out,
                    &format!("{alpha}[{i}].alpha"),
                    format!("{} must be a finite number > 0", b.alpha),
                );
            }
        }
        if !self.alpha.is_empty() && !self.alpha.iter().any(|b| b.min_population == 0) {
            check::push(
                out,
                &alpha,
                "no band has min_population = 0; an unexposed unit would have no α".into(),
            );
        }
        // In population order, α must not fall as the population rises, and no two bands
        // may start at the same population.
        let mut bands: Vec<&AlphaBand> = self.alpha.iter().collect();
        bands.sort_by_key(|b| b.min_population);
        for w in bands.windows(2) {
            if w[0].min_population == w[1].min_population {
                check::push(
                    out,
                    &alpha,
                    format!(
                        "two bands start at min_population = {}",
                        w[0].min_population
                    ),
                );
            } else if w[1].alpha < w[0].alpha {
                check::push(
                    out,
                    &alpha,
                    format!(
                        "α {} from {} persons is less than α {} from {}; α must not fall as the population rises",
                        w[1].alpha, w[1].min_population, w[0].alpha, w[0].min_population
                    ),
                );
            }
        }
        self.grade_thresholds
            .validate(&key_path(path, "grade_thresholds"), out);
    }
}

impl GradeThresholds {
    /// Checks that `one > two > three > 0`, all finite.
    pub fn validate(&self, path: &str, out: &mut Vec<RuleProblem>) {
        let (one, two, three) = (self.one, self.two, self.three);
        if !([one, two, three].iter().all(|v| v.is_finite())
            && one > two
            && two > three
            && three > 0.0)
        {
            check::push(
                out,
                path,
                format!(
                    "one = {one}, two = {two}, three = {three}; they must be finite with one > two > three > 0"
                ),
            );
        }
    }
}

impl CollectUnknown for AlphaBand {
    fn collect_unknown(&self, path: &str, out: &mut Vec<String>) {
        self.unknown.collect_unknown(path, out);
    }
}

impl CollectUnknown for GradeThresholds {
    fn collect_unknown(&self, path: &str, out: &mut Vec<String>) {
        self.unknown.collect_unknown(path, out);
    }
}

impl CollectUnknown for HazardRules {
    fn collect_unknown(&self, path: &str, out: &mut Vec<String>) {
        self.unknown.collect_unknown(path, out);
        self.alpha.collect_unknown(&key_path(path, "alpha"), out);
        self.grade_thresholds
            .collect_unknown(&key_path(path, "grade_thresholds"), out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alpha_bands_follow_gb18218_table4() {
        let h = HazardRules::default();
        // GB 18218-2018 Table 4: ≥100 → 2.0; 50–99 → 1.5; 30–49 → 1.2; 1–29 → 1.0; 0 → 0.5.
        for (p, a) in [
            (0, 0.5),
            (1, 1.0),
            (29, 1.0),
            (30, 1.2),
            (49, 1.2),
            (50, 1.5),
            (99, 1.5),
            (100, 2.0),
            (5000, 2.0),
        ] {
            assert_eq!(h.alpha_for(p), a, "population {p}");
        }
    }

    #[test]
    fn grade_thresholds_follow_gb18218_table5() {
        let t = GradeThresholds::default();
        assert_eq!(t.grade(100.0), HazardGrade::One);
        assert_eq!(t.grade(99.99), HazardGrade::Two);
        assert_eq!(t.grade(50.0), HazardGrade::Two);
        assert_eq!(t.grade(49.9), HazardGrade::Three);
        assert_eq!(t.grade(10.0), HazardGrade::Three);
        assert_eq!(t.grade(9.99), HazardGrade::Four);
    }
}
