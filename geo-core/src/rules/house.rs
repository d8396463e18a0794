//! Self-built house levels: the level of each appraisal grade (JGJ 125-2016) and what
//! raises it.

use serde::{Deserialize, Serialize};

use super::check::{self, RuleProblem};
use crate::config_keys::{CollectUnknown, UnknownKeys, key_path};
use crate::model::RiskLevel;

/// Self-built house levels: a base level from the appraisal, raised by use, size and
/// exposure. JGJ 125-2016 grades \[S\]; the rectification priorities of the 2022 national
/// campaign \[S\]/\[M\]; the mapping to colours is a screening default of this project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HouseRules {
    /// Level of an A-grade house.
    pub appraisal_a: RiskLevel,
    /// Level of a B-grade house.
    pub appraisal_b: RiskLevel,
    /// Level of a C-grade house (局部危房).
    pub appraisal_c: RiskLevel,
    /// Level of a D-grade house (整幢危房).
    pub appraisal_d: RiskLevel,
    /// Level of a house not appraised.
    pub appraisal_unknown: RiskLevel,
    /// Floors at or above which a commercial or mixed-use house is raised one level.
    pub commercial_min_floors: u16,
    /// Occupants at or above which a commercial or mixed-use house is raised one level
    /// (crowded, 人员密集).
    pub crowded_min_occupants: u32,
    /// Raise one level when inside a hazard source's required distance.
    pub raise_in_hazard_distance: bool,
    /// Lowest level of a house that occupies a pipeline's protection range.
    pub occupation_min_level: RiskLevel,
    /// Lowest level of a house inside a pipeline's clearance.
    pub clearance_min_level: RiskLevel,
    /// Keys of this table that are no rule; any of them makes the file an error.
    #[serde(flatten, skip_serializing)]
    pub unknown: UnknownKeys,
}

impl Default for HouseRules {
    fn default() -> Self {
        HouseRules {
            appraisal_a: RiskLevel::Low,
            appraisal_b: RiskLevel::General,
            appraisal_c: RiskLevel::Significant,
            appraisal_d: RiskLevel::Major,
            appraisal_unknown: RiskLevel::Low,
            commercial_min_floors: 3,
            crowded_min_occupants: 30,
            raise_in_hazard_distance: true,
            occupation_min_level: RiskLevel::Significant,
            clearance_min_level: RiskLevel::General,
            unknown: UnknownKeys::default(),
        }
    }
}

impl HouseRules {
    /// Checks that the thresholds that raise a level are at least 1.
    pub fn validate(&self, path: &str, out: &mut Vec<RuleProblem>) {
        check::at_least_one(
            out,
            &key_path(path, "commercial_min_floors"),
            self.commercial_min_floors.into(),
        );
        check::at_least_one(
            out,
            &key_path(path, "crowded_min_occupants"),
            self.crowded_min_occupants.into(),
        );
    }
}

impl CollectUnknown for HouseRules {
    fn collect_unknown(&self, path: &str, out: &mut Vec<String>) {
        self.unknown.collect_unknown(path, out);
    }
}
