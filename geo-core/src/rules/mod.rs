//! The rule tables every analysis reads, with their defaults and where each comes from.
//!
//! Each default cites its clause or says it is a screening default of this project (see
//! `docs/rules.md`). A rules TOML file overrides any of them; keys it leaves out keep
//! their defaults, and an unknown key is an error (a misspelt rule must not be ignored).
//!
//! ```
//! use riskmap_core::rules::Rules;
//! let rules = Rules::from_toml_str("[pipeline.clearance_m]\nsub_high_a = 15.0\n").unwrap();
//! assert_eq!(rules.pipeline.clearance_m.sub_high_a, 15.0);
//! assert_eq!(rules.pipeline.clearance_m.low, 0.7); // untouched default
//! ```

use serde::{Deserialize, Serialize};

use crate::config_keys::{CollectUnknown, UnknownKeys, key_path};

mod check;
mod enterprise;
mod grid;
mod hazard;
mod hidden;
mod house;
mod pipeline;
mod protection;
mod site;
mod targets;

pub use check::{MAX_DISTANCE_M, RuleProblem};
pub use enterprise::{ByIndustry, EnterpriseRules};
pub use grid::{Bands, ByLevel, GridRules};
pub use hazard::{AlphaBand, GradeThresholds, HazardRules};
pub use hidden::HiddenHazardRules;
pub use house::HouseRules;
pub use pipeline::{ByPressure, PipelineRules};
pub use protection::{ByClass, ProtectionRules};
pub use site::SiteRules;
pub use targets::TargetRules;

/// Errors reading a rules file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RulesError {
    /// The TOML is malformed or names an unknown rule.
    #[error("rules file {file}: {source}")]
    Toml {
        /// File name.
        file: String,
        /// Parser message, with line and column.
        #[source]
        source: toml::de::Error,
    },
    /// A value is outside what the rule allows, or a key names no rule.
    #[error("rules file {file}: {field}: {message}")]
    Invalid {
        /// File name.
        file: String,
        /// Dotted path of the rule.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// Values are out of range or out of order; every one of them is listed.
    #[error("rules file {file}: {}", list_problems(problems))]
    OutOfRange {
        /// File name.
        file: String,
        /// Each value that is wrong, with its dotted path.
        problems: Vec<RuleProblem>,
    },
    /// The file could not be read.
    #[error("rules file {file}: {source}")]
    Io {
        /// File name.
        file: String,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
}

fn list_problems(problems: &[RuleProblem]) -> String {
    match problems {
        [one] => one.to_string(),
        many => {
            let lines: Vec<String> = many.iter().map(|p| format!("\n  {p}")).collect();
            format!(
                "{} values are out of range or order:{}",
                many.len(),
                lines.concat()
            )
        }
    }
}

/// All rule tables.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Rules {
    /// Major-hazard grading, GB 18218-2018.
    pub hazard: HazardRules,
    /// Protection-target classes, GB 36894-2018 annex A.
    pub targets: TargetRules,
    /// Protection distances around hazard sources and hazardous-chemical enterprises.
    pub protection: ProtectionRules,
    /// Gas-pipeline clearances and protection ranges.
    pub pipeline: PipelineRules,
    /// Self-built house levels.
    pub house: HouseRules,
    /// Enterprise risk matrix.
    pub enterprise: EnterpriseRules,
    /// Area risk grid.
    pub grid: GridRules,
    /// Site checks for planning review.
    pub site: SiteRules,
    /// Hidden hazards: the day they are counted on, the weight of an overdue one.
    pub hidden_hazards: HiddenHazardRules,
    /// Keys the file names that are no rule; any of them makes the file an error.
    #[serde(flatten, skip_serializing)]
    pub unknown: UnknownKeys,
}

impl CollectUnknown for Rules {
    fn collect_unknown(&self, path: &str, out: &mut Vec<String>) {
        self.unknown.collect_unknown(path, out);
        self.hazard.collect_unknown(&key_path(path, "hazard"), out);
        self.targets
            .collect_unknown(&key_path(path, "targets"), out);
        self.protection
            .collect_unknown(&key_path(path, "protection"), out);
        self.pipeline
            .collect_unknown(&key_path(path, "pipeline"), out);
        self.house.collect_unknown(&key_path(path, "house"), out);
        self.enterprise
            .collect_unknown(&key_path(path, "enterprise"), out);
        self.grid.collect_unknown(&key_path(path, "grid"), out);
        self.site.collect_unknown(&key_path(path, "site"), out);
        self.hidden_hazards
            .collect_unknown(&key_path(path, "hidden_hazards"), out);
    }
}

impl Rules {
    /// Reads overrides from TOML text.
    pub fn from_toml_str(text: &str) -> Result<Rules, RulesError> {
        Self::from_toml_named(text, "<rules>")
    }

    /// Reads overrides from a TOML file.
    pub fn from_file(path: &std::path::Path) -> Result<Rules, RulesError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| RulesError::Io {
            file: file.clone(),
            source,
        })?;
        Self::from_toml_named(&text, &file)
    }

    fn from_toml_named(text: &str, file: &str) -> Result<Rules, RulesError> {
        let toml_err = |source| RulesError::Toml {
            file: file.to_string(),
            source,
        };
        let over: toml::Table = toml::from_str(text).map_err(toml_err)?;
        // Overlay the user's keys on the defaults so that a table naming one value keeps
        // the defaults of its siblings. A key the defaults lack is carried over as it is:
        // the tables keep it among their unknown keys, and any unknown key is an error.
        let mut base =
            toml::Table::try_from(Rules::default()).map_err(|e| RulesError::Invalid {
                file: file.to_string(),
                field: String::new(),
                message: e.to_string(),
            })?;
        overlay(&mut base, over, "").map_err(|(field, message)| RulesError::Invalid {
            file: file.to_string(),
            field,
            message,
        })?;
        let rules: Rules = toml::Value::Table(base).try_into().map_err(toml_err)?;
        if let Some(field) = rules.unknown_keys().into_iter().next() {
            return Err(RulesError::Invalid {
                file: file.to_string(),
                field,
                message: "unknown rule (see docs/rules.md for the names)".into(),
            });
        }
        let problems = rules.problems();
        if !problems.is_empty() {
            return Err(RulesError::OutOfRange {
                file: file.to_string(),
                problems,
            });
        }
        Ok(rules)
    }

    /// The default rules as TOML, a starting point for a user's own file.
    pub fn to_toml_string(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_default()
    }

    /// Every value out of range or out of order, each with its full dotted path; empty
    /// when the rules are usable. Each table checks its own values (see `docs/rules.md`).
    pub fn problems(&self) -> Vec<RuleProblem> {
        let mut out = Vec::new();
        self.hazard.validate("hazard", &mut out);
        self.targets.validate("targets", &mut out);
        self.protection.validate("protection", &mut out);
        self.pipeline.validate("pipeline", &mut out);
        self.house.validate("house", &mut out);
        self.enterprise.validate("enterprise", &mut out);
        self.grid.validate("grid", &mut out);
        self.site.validate("site", &mut out);
        self.hidden_hazards.validate("hidden_hazards", &mut out);
        out
    }
}

/// Lays the user's table `over` on the defaults `base`: a value replaces the default, a
/// table is laid on the default table key by key, and a key the defaults lack is added as
/// it is (the struct it lands in lists it among its unknown keys).
fn overlay(base: &mut toml::Table, over: toml::Table, path: &str) -> Result<(), (String, String)> {
    for (k, v) in over {
        let here = key_path(path, &k);
        match (base.get_mut(&k), v) {
            (None, v) => {
                base.insert(k, v);
            }
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => overlay(b, o, &here)?,
            (Some(toml::Value::Table(_)), _) => {
                return Err((here, "expected a table".into()));
            }
            (Some(slot), v) => *slot = v,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_keep_other_defaults_and_reject_unknown_keys() {
        let r = Rules::from_toml_str("[hazard]\npopulation_radius_m = 600\n").expect("valid");
        assert_eq!(r.hazard.population_radius_m, 600.0);
        assert_eq!(r.hazard.grade_thresholds, GradeThresholds::default());
        let e = Rules::from_toml_str("[pipeline.clearence_m]\nlow = 1\n").expect_err("typo");
        assert!(e.to_string().contains("clearence_m"), "{e}");
        let e = Rules::from_toml_str("[grid]\ncell_size_m = 10\n").expect_err("too small");
        assert!(e.to_string().contains("grid.cell_size_m"), "{e}");
    }

    #[test]
    fn unknown_nested_keys_are_refused_with_their_full_path() {
        for (text, path) in [
            (
                "[protection.hazchem_enterprise]\ngenral_3 = 40\n",
                "protection.hazchem_enterprise.genral_3",
            ),
            (
                "[[hazard.alpha]]\nmin_population = 0\nalpha = 1.0\nalfa = 2.0\n",
                "hazard.alpha[0].alfa",
            ),
            ("colour = 'red'\n", "colour"),
        ] {
            match Rules::from_toml_str(text) {
                Err(RulesError::Invalid { field, message, .. }) => {
                    assert_eq!(field, path);
                    assert!(message.contains("unknown rule"), "{message}");
                }
                other => panic!("{text}: {other:?}"),
            }
        }
    }

    #[test]
    fn default_rules_round_trip_through_toml() {
        let text = Rules::default().to_toml_string();
        assert_eq!(
            Rules::from_toml_str(&text).expect("round trip"),
            Rules::default()
        );
    }

    /// The problems a TOML text gives, as `path: message` lines.
    fn problems_of(text: &str) -> Vec<String> {
        match Rules::from_toml_str(text) {
            Err(RulesError::OutOfRange { problems, .. }) => {
                problems.iter().map(ToString::to_string).collect()
            }
            other => panic!("{text}: expected out-of-range values, got {other:?}"),
        }
    }

    #[test]
    fn negative_distances_and_disordered_bands_are_refused_with_their_path() {
        assert_eq!(
            problems_of("[protection.hazchem_enterprise]\ngeneral_3 = -50.0\n"),
            ["protection.hazchem_enterprise.general_3: -50 is negative; a distance must be ≥ 0"]
        );
        assert_eq!(
            problems_of("[enterprise]\nemployee_bands = [300, 100, 10]\n"),
            ["enterprise.employee_bands: [300, 100, 10] must increase"]
        );
        // Equal bands do not increase either: S3 and S4 would start at the same headcount.
        assert_eq!(
            problems_of("[enterprise]\nemployee_bands = [10, 100, 100]\n"),
            ["enterprise.employee_bands: [10, 100, 100] must increase"]
        );
    }

    #[test]
    fn every_problem_of_a_file_is_reported_at_once() {
        let text = "[site]\ndangerous_house_radius_m = -1\n\
                    [grid]\nhazard_radius_m = -1500.0\nmany_weight = -4.0\n\
                    [grid.weight]\nlow = nan\n\
                    [enterprise]\nprotection_radius_m = inf\n\
                    [enterprise.likelihood]\nother = 5\n";
        let p = problems_of(text);
        let paths: Vec<&str> = p
            .iter()
            .map(|l| l.split(':').next().unwrap_or(""))
            .collect();
        // Tables are checked in the order of `Rules`: enterprise, grid, site.
        assert_eq!(
            paths,
            [
                "enterprise.likelihood.other",
                "enterprise.protection_radius_m",
                "grid.hazard_radius_m",
                "grid.many_weight",
                "grid.weight.low",
                "site.dangerous_house_radius_m",
            ],
            "{p:#?}"
        );
        let e = Rules::from_toml_str(text)
            .expect_err("six problems")
            .to_string();
        assert!(e.contains("6 values are out of range or order"), "{e}");
        assert!(
            e.contains("\n  site.dangerous_house_radius_m: -1 is negative"),
            "{e}"
        );
    }

    #[test]
    fn each_table_checks_its_ranges_and_order() {
        for (text, expected) in [
            (
                "[hazard]\npopulation_radius_m = -500\n",
                "hazard.population_radius_m: -500 is negative; a distance must be ≥ 0",
            ),
            (
                "[hazard.grade_thresholds]\ntwo = 200\n",
                "hazard.grade_thresholds: one = 100, two = 200, three = 10; they must be finite with one > two > three > 0",
            ),
            (
                "[[hazard.alpha]]\nmin_population = 0\nalpha = 0.0\n",
                "hazard.alpha[0].alpha: 0 must be a finite number > 0",
            ),
            (
                "[[hazard.alpha]]\nmin_population = 1\nalpha = 1.0\n",
                "hazard.alpha: no band has min_population = 0; an unexposed unit would have no α",
            ),
            (
                // 100 persons give α 0.5 but 0 persons give α 1.0.
                "[[hazard.alpha]]\nmin_population = 0\nalpha = 1.0\n\
                 [[hazard.alpha]]\nmin_population = 100\nalpha = 0.5\n",
                "hazard.alpha: α 0.5 from 100 persons is less than α 1 from 0; α must not fall as the population rises",
            ),
            (
                "[[hazard.alpha]]\nmin_population = 0\nalpha = 1.0\n\
                 [[hazard.alpha]]\nmin_population = 0\nalpha = 2.0\n",
                "hazard.alpha: two bands start at min_population = 0",
            ),
            (
                "[targets]\nclass2_min_persons = 100\n",
                "targets.class1_min_persons: 100 must be more than class2_min_persons = 100 (class 1 is the larger target)",
            ),
            (
                "[targets]\nimportant = ['school']\n",
                "targets.important: school is also listed in high_sensitivity; list each kind once",
            ),
            (
                // grade_2.general_3 defaults to 200; grade_1.general_3 = 150 is smaller.
                "[protection.grade_1]\ngeneral_3 = 150\n",
                "protection: grade_2.general_3 = 200 is more than grade_1.general_3 = 150; a lower grade cannot need a larger distance",
            ),
            (
                "[protection.grade_1]\ngeneral_2 = 900\n",
                "protection.grade_1: general_2 = 900 is more than general_1 = 800; a smaller general target cannot need a larger distance",
            ),
            (
                "[pipeline.clearance_m]\nlow = 2.0\n",
                "pipeline.clearance_m: low = 2 is more than medium_b = 1; a lower pressure class cannot need a larger distance",
            ),
            (
                "[pipeline.protection_range_m]\nhigh_a = 1e9\n",
                "pipeline.protection_range_m.high_a: 1000000000 is more than 100000 m; a distance must be ≤ 100000",
            ),
            (
                "[house]\ncommercial_min_floors = 0\n",
                "house.commercial_min_floors: 0 would apply to every feature; it must be ≥ 1",
            ),
            (
                "[enterprise]\nhidden_hazards_raise = 0\n",
                "enterprise.hidden_hazards_raise: 0 would apply to every feature; it must be ≥ 1",
            ),
            (
                "[grid]\ncell_size_m = 10\n",
                "grid.cell_size_m: 10 is less than 50; a cell must be at least 50 m",
            ),
            (
                "[grid.bands]\ngeneral = 0\n",
                "grid.bands: major = 60, significant = 30, general = 0; they must be finite with major > significant > general > 0",
            ),
            (
                "[grid.house_weight]\nmajor = -10\n",
                "grid.house_weight.major: -10 is negative; a weight must be ≥ 0",
            ),
        ] {
            assert_eq!(problems_of(text), [expected], "{text}");
        }
    }

    #[test]
    fn the_defaults_pass_every_check() {
        assert_eq!(Rules::default().problems(), []);
    }
}
