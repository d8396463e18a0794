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

mod enterprise;
mod grid;
mod hazard;
mod house;
mod pipeline;
mod protection;
mod site;
mod targets;

pub use enterprise::{ByIndustry, EnterpriseRules};
pub use grid::{Bands, ByLevel, GridRules};
pub use hazard::{AlphaBand, GradeThresholds, HazardRules};
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
        rules
            .check()
            .map_err(|(field, message)| RulesError::Invalid {
                file: file.to_string(),
                field,
                message,
            })?;
        Ok(rules)
    }

    /// The default rules as TOML, a starting point for a user's own file.
    pub fn to_toml_string(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_default()
    }

    fn check(&self) -> Result<(), (String, String)> {
        let nonneg = |field: &str, v: f64| {
            if v.is_finite() && v >= 0.0 {
                Ok(())
            } else {
                Err((
                    field.to_string(),
                    format!("must be a finite number ≥ 0, got {v}"),
                ))
            }
        };
        nonneg(
            "hazard.population_radius_m",
            self.hazard.population_radius_m,
        )?;
        for (n, v) in self.pipeline.clearance_m.iter() {
            nonneg(&format!("pipeline.clearance_m.{n}"), v)?;
        }
        for (n, v) in self.pipeline.protection_range_m.iter() {
            nonneg(&format!("pipeline.protection_range_m.{n}"), v)?;
        }
        nonneg("grid.cell_size_m", self.grid.cell_size_m)?;
        if self.grid.cell_size_m < 50.0 {
            return Err(("grid.cell_size_m".into(), "must be at least 50 m".into()));
        }
        let t = &self.hazard.grade_thresholds;
        if !(t.one > t.two && t.two > t.three && t.three > 0.0) {
            return Err((
                "hazard.grade_thresholds".into(),
                "must satisfy one > two > three > 0".into(),
            ));
        }
        let b = &self.grid.bands;
        if !(b.major > b.significant && b.significant > b.general && b.general > 0.0) {
            return Err((
                "grid.bands".into(),
                "must satisfy major > significant > general > 0".into(),
            ));
        }
        Ok(())
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
}
