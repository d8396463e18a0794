//! Site checks for planning review (选址审查): which dangerous houses near a proposed site
//! are reported.

use serde::{Deserialize, Serialize};

use super::check::{self, RuleProblem};
use crate::config_keys::{CollectUnknown, UnknownKeys, key_path};
use crate::model::RiskLevel;

/// Site checks (选址审查).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SiteRules {
    /// Houses of at least this level within `dangerous_house_radius_m` of a proposed site
    /// are reported. Screening default of this project.
    pub dangerous_house_min_level: RiskLevel,
    /// Radius for dangerous houses, metres. Screening default of this project.
    pub dangerous_house_radius_m: f64,
    /// Keys of this table that are no rule; any of them makes the file an error.
    #[serde(flatten, skip_serializing)]
    pub unknown: UnknownKeys,
}

impl Default for SiteRules {
    fn default() -> Self {
        SiteRules {
            dangerous_house_min_level: RiskLevel::Significant,
            dangerous_house_radius_m: 50.0,
            unknown: UnknownKeys::default(),
        }
    }
}

impl SiteRules {
    /// Checks the radius.
    pub fn validate(&self, path: &str, out: &mut Vec<RuleProblem>) {
        check::distance(
            out,
            &key_path(path, "dangerous_house_radius_m"),
            self.dangerous_house_radius_m,
        );
    }
}

impl CollectUnknown for SiteRules {
    fn collect_unknown(&self, path: &str, out: &mut Vec<String>) {
        self.unknown.collect_unknown(path, out);
    }
}
