//! Gas-pipeline clearances to buildings (GB 50028-2006) and protection ranges either side
//! of the pipe (CJJ 51-2016), per pressure class.

use serde::{Deserialize, Serialize};

use super::check::{self, RuleProblem};
use crate::config_keys::{CollectUnknown, UnknownKeys, key_path};
use crate::model::PressureClass;

/// Metres per pressure class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ByPressure {
    /// 高压A
    pub high_a: f64,
    /// 高压B
    pub high_b: f64,
    /// 次高压A
    pub sub_high_a: f64,
    /// 次高压B
    pub sub_high_b: f64,
    /// 中压A
    pub medium_a: f64,
    /// 中压B
    pub medium_b: f64,
    /// 低压
    pub low: f64,
    /// Keys of this table that are no rule; any of them makes the file an error.
    #[serde(flatten, skip_serializing)]
    pub unknown: UnknownKeys,
}

impl ByPressure {
    /// The value for a class.
    pub fn get(&self, p: PressureClass) -> f64 {
        match p {
            PressureClass::HighA => self.high_a,
            PressureClass::HighB => self.high_b,
            PressureClass::SubHighA => self.sub_high_a,
            PressureClass::SubHighB => self.sub_high_b,
            PressureClass::MediumA => self.medium_a,
            PressureClass::MediumB => self.medium_b,
            PressureClass::Low => self.low,
        }
    }
    /// Every (key, value).
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, f64)> + '_ {
        PressureClass::ALL.iter().map(|p| (p.key(), self.get(*p)))
    }
    /// The largest value.
    pub fn max(&self) -> f64 {
        self.iter().map(|(_, v)| v).fold(0.0, f64::max)
    }
}

/// Pipeline clearance rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PipelineRules {
    /// Minimum horizontal clearance from a buried pipe to a building, metres.
    /// GB 50028-2006 Table 6.3.3-1 for 低压…次高压A \[M\]; 高压 follows §6.4 by area
    /// class: the values here are screening defaults of this project.
    pub clearance_m: ByPressure,
    /// Minimum protection range either side of the pipe, metres (CJJ 51-2016 \[M\]).
    /// A footprint inside it is occupation (违章占压).
    pub protection_range_m: ByPressure,
    /// Keys of this table that are no rule; any of them makes the file an error.
    #[serde(flatten, skip_serializing)]
    pub unknown: UnknownKeys,
}

impl Default for PipelineRules {
    fn default() -> Self {
        PipelineRules {
            clearance_m: ByPressure {
                high_a: 30.0,
                high_b: 16.0,
                sub_high_a: 13.5,
                sub_high_b: 5.0,
                medium_a: 1.5,
                medium_b: 1.0,
                low: 0.7,
                unknown: UnknownKeys::default(),
            },
            protection_range_m: ByPressure {
                high_a: 5.0,
                high_b: 5.0,
                sub_high_a: 1.5,
                sub_high_b: 1.5,
                medium_a: 0.5,
                medium_b: 0.5,
                low: 0.5,
                unknown: UnknownKeys::default(),
            },
            unknown: UnknownKeys::default(),
        }
    }
}

impl ByPressure {
    /// Checks that every value is a distance and that a lower pressure class never needs
    /// more than a higher one (`high_a ≥ high_b ≥ … ≥ low`).
    pub fn validate(&self, path: &str, out: &mut Vec<RuleProblem>) {
        for (k, v) in self.iter() {
            check::distance(out, &key_path(path, k), v);
        }
        let names: Vec<&str> = self.iter().map(|(k, _)| k).collect();
        let values: Vec<f64> = self.iter().map(|(_, v)| v).collect();
        check::not_increasing(
            out,
            path,
            &names,
            &values,
            "a lower pressure class cannot need a larger distance",
        );
    }
}

impl PipelineRules {
    /// Checks both tables.
    pub fn validate(&self, path: &str, out: &mut Vec<RuleProblem>) {
        self.clearance_m
            .validate(&key_path(path, "clearance_m"), out);
        self.protection_range_m
            .validate(&key_path(path, "protection_range_m"), out);
    }
}

impl CollectUnknown for ByPressure {
    fn collect_unknown(&self, path: &str, out: &mut Vec<String>) {
        self.unknown.collect_unknown(path, out);
    }
}

impl CollectUnknown for PipelineRules {
    fn collect_unknown(&self, path: &str, out: &mut Vec<String>) {
        self.unknown.collect_unknown(path, out);
        self.clearance_m
            .collect_unknown(&key_path(path, "clearance_m"), out);
        self.protection_range_m
            .collect_unknown(&key_path(path, "protection_range_m"), out);
    }
}
