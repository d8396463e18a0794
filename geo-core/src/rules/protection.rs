//! Required protection distances around graded hazard sources and hazardous-chemical
//! enterprises, per protection-target class (screening defaults of this project; GB
//! 36894-2018 sets risk criteria, not distances).

use serde::{Deserialize, Serialize};

use super::check::{self, RuleProblem};
use crate::config_keys::{CollectUnknown, UnknownKeys, key_path};
use crate::model::{HazardGrade, TargetClass};

/// Metres per protection-target class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ByClass {
    /// High-sensitivity.
    pub high_sensitivity: f64,
    /// Important.
    pub important: f64,
    /// General class 1.
    pub general_1: f64,
    /// General class 2.
    pub general_2: f64,
    /// General class 3.
    pub general_3: f64,
    /// Keys of this table that are no rule; any of them makes the file an error.
    #[serde(flatten, skip_serializing)]
    pub unknown: UnknownKeys,
}

impl ByClass {
    /// The value for a class.
    pub fn get(&self, c: TargetClass) -> f64 {
        match c {
            TargetClass::HighSensitivity => self.high_sensitivity,
            TargetClass::Important => self.important,
            TargetClass::General1 => self.general_1,
            TargetClass::General2 => self.general_2,
            TargetClass::General3 => self.general_3,
        }
    }
    /// The largest value.
    pub fn max(&self) -> f64 {
        TargetClass::ALL
            .iter()
            .map(|c| self.get(*c))
            .fold(0.0, f64::max)
    }
    fn new(h: f64, i: f64, g1: f64, g2: f64, g3: f64) -> Self {
        ByClass {
            high_sensitivity: h,
            important: i,
            general_1: g1,
            general_2: g2,
            general_3: g3,
            unknown: UnknownKeys::default(),
        }
    }
}

/// Required distances (planning screening values). GB 36894-2018 sets risk criteria, not
/// distances; a GIS cannot replace a QRA, so these are **screening defaults of this
/// project**, to be replaced by QRA distances per source where a report gives them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProtectionRules {
    /// Grade 一级 hazard sources.
    pub grade_1: ByClass,
    /// Grade 二级.
    pub grade_2: ByClass,
    /// Grade 三级.
    pub grade_3: ByClass,
    /// Grade 四级.
    pub grade_4: ByClass,
    /// Hazardous-chemical enterprises (their site), whether or not they hold a major
    /// hazard source.
    pub hazchem_enterprise: ByClass,
    /// Also screen hazardous-chemical enterprises, not only graded hazard sources.
    pub screen_enterprises: bool,
    /// Keys of this table that are no rule; any of them makes the file an error.
    #[serde(flatten, skip_serializing)]
    pub unknown: UnknownKeys,
}

impl Default for ProtectionRules {
    fn default() -> Self {
        ProtectionRules {
            grade_1: ByClass::new(1000.0, 1000.0, 800.0, 500.0, 300.0),
            grade_2: ByClass::new(800.0, 800.0, 600.0, 400.0, 200.0),
            grade_3: ByClass::new(600.0, 600.0, 400.0, 300.0, 150.0),
            grade_4: ByClass::new(500.0, 500.0, 300.0, 200.0, 100.0),
            hazchem_enterprise: ByClass::new(300.0, 300.0, 200.0, 100.0, 50.0),
            screen_enterprises: true,
            unknown: UnknownKeys::default(),
        }
    }
}

impl ProtectionRules {
    /// The table row for a grade.
    pub fn for_grade(&self, g: HazardGrade) -> &ByClass {
        match g {
            HazardGrade::One => &self.grade_1,
            HazardGrade::Two => &self.grade_2,
            HazardGrade::Three => &self.grade_3,
            HazardGrade::Four => &self.grade_4,
        }
    }
}

impl ByClass {
    /// Checks that every distance is a distance and that the general classes do not ask
    /// more of a smaller target (`general_1 ≥ general_2 ≥ general_3`).
    pub fn validate(&self, path: &str, out: &mut Vec<RuleProblem>) {
        for &c in TargetClass::ALL {
            check::distance(out, &key_path(path, c.key()), self.get(c));
        }
        check::not_increasing(
            out,
            path,
            &["general_1", "general_2", "general_3"],
            &[self.general_1, self.general_2, self.general_3],
            "a smaller general target cannot need a larger distance",
        );
    }
}

impl ProtectionRules {
    /// Checks every row, and that a more dangerous grade never needs a smaller distance
    /// for the same class (`grade_1 ≥ grade_2 ≥ grade_3 ≥ grade_4`).
    pub fn validate(&self, path: &str, out: &mut Vec<RuleProblem>) {
        let rows = [
            ("grade_1", &self.grade_1),
            ("grade_2", &self.grade_2),
            ("grade_3", &self.grade_3),
            ("grade_4", &self.grade_4),
            ("hazchem_enterprise", &self.hazchem_enterprise),
        ];
        for (name, row) in rows {
            row.validate(&key_path(path, name), out);
        }
        for &c in TargetClass::ALL {
            let names: Vec<String> = rows[..4]
                .iter()
                .map(|(n, _)| format!("{n}.{}", c.key()))
                .collect();
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            let values: Vec<f64> = rows[..4].iter().map(|(_, r)| r.get(c)).collect();
            check::not_increasing(
                out,
                path,
                &names,
                &values,
                "a lower grade cannot need a larger distance",
            );
        }
    }
}

impl CollectUnknown for ByClass {
    fn collect_unknown(&self, path: &str, out: &mut Vec<String>) {
        self.unknown.collect_unknown(path, out);
    }
}

impl CollectUnknown for ProtectionRules {
    fn collect_unknown(&self, path: &str, out: &mut Vec<String>) {
        self.unknown.collect_unknown(path, out);
        self.grade_1
            .collect_unknown(&key_path(path, "grade_1"), out);
        self.grade_2
            .collect_unknown(&key_path(path, "grade_2"), out);
        self.grade_3
            .collect_unknown(&key_path(path, "grade_3"), out);
        self.grade_4
            .collect_unknown(&key_path(path, "grade_4"), out);
        self.hazchem_enterprise
            .collect_unknown(&key_path(path, "hazchem_enterprise"), out);
    }
}
