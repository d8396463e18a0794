//! Protection-target classes, GB 36894-2018 annex A: which kinds are high-sensitivity or
//! important, and the persons and households that make a general target class 1 or 2.

use serde::{Deserialize, Serialize};

use super::check::{self, RuleProblem};
use crate::config_keys::{CollectUnknown, UnknownKeys, key_path};
use crate::model::{TargetClass, TargetKind};

/// How a protection target's class is derived when the ledger does not give it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TargetRules {
    /// Kinds that are high-sensitivity targets. GB 36894-2018 annex A \[M\].
    pub high_sensitivity: Vec<TargetKind>,
    /// Kinds that are important targets. GB 36894-2018 annex A \[M\].
    pub important: Vec<TargetKind>,
    /// Persons at or above which a general target is class 1. Annex A \[M\].
    pub class1_min_persons: u32,
    /// Persons at or above which a general target is class 2. Annex A \[M\].
    pub class2_min_persons: u32,
    /// Households at or above which a residential target is class 1. Annex A \[M\].
    pub class1_min_households: u32,
    /// Households at or above which a residential target is class 2. Annex A \[M\].
    pub class2_min_households: u32,
    /// Keys of this table that are no rule; any of them makes the file an error.
    #[serde(flatten, skip_serializing)]
    pub unknown: UnknownKeys,
}

impl Default for TargetRules {
    fn default() -> Self {
        TargetRules {
            high_sensitivity: vec![
                TargetKind::School,
                TargetKind::Kindergarten,
                TargetKind::Hospital,
                TargetKind::NursingHome,
            ],
            important: vec![
                TargetKind::CulturalRelic,
                TargetKind::ReligiousSite,
                TargetKind::Military,
                TargetKind::WaterSource,
            ],
            class1_min_persons: 100,
            class2_min_persons: 30,
            class1_min_households: 30,
            class2_min_households: 10,
            unknown: UnknownKeys::default(),
        }
    }
}

impl TargetRules {
    /// Class from kind, population and households (a given class wins elsewhere).
    pub fn derive(
        &self,
        kind: Option<TargetKind>,
        population: Option<u32>,
        households: Option<u32>,
    ) -> TargetClass {
        if let Some(k) = kind {
            if self.high_sensitivity.contains(&k) {
                return TargetClass::HighSensitivity;
            }
            if self.important.contains(&k) {
                return TargetClass::Important;
            }
        }
        let p = population.unwrap_or(0);
        let h = households.unwrap_or(0);
        if p >= self.class1_min_persons || h >= self.class1_min_households {
            TargetClass::General1
        } else if p >= self.class2_min_persons || h >= self.class2_min_households {
            TargetClass::General2
        } else {
            TargetClass::General3
        }
    }
}

impl TargetRules {
    /// Checks that class 1 needs more persons and households than class 2, and that no
    /// kind is listed as both high-sensitivity and important.
    pub fn validate(&self, path: &str, out: &mut Vec<RuleProblem>) {
        for (c1, c2, what) in [
            (self.class1_min_persons, self.class2_min_persons, "persons"),
            (
                self.class1_min_households,
                self.class2_min_households,
                "households",
            ),
        ] {
            check::at_least_one(
                out,
                &key_path(path, &format!("class2_min_{what}")),
                c2.into(),
            );
            if c1 <= c2 {
                check::push(
                    out,
                    &key_path(path, &format!("class1_min_{what}")),
                    format!(
                        "{c1} must be more than class2_min_{what} = {c2} (class 1 is the larger target)"
                    ),
                );
            }
        }
        for k in &self.important {
            if self.high_sensitivity.contains(k) {
                check::push(
                    out,
                    &key_path(path, "important"),
                    format!(
                        "{} is also listed in high_sensitivity; list each kind once",
                        k.key()
                    ),
                );
            }
        }
    }
}

impl CollectUnknown for TargetRules {
    fn collect_unknown(&self, path: &str, out: &mut Vec<String>) {
        self.unknown.collect_unknown(path, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_classes_from_kind_and_size() {
        let r = TargetRules::default();
        assert_eq!(
            r.derive(Some(TargetKind::School), Some(5), None),
            TargetClass::HighSensitivity
        );
        assert_eq!(
            r.derive(Some(TargetKind::ResidentialCommunity), None, Some(30)),
            TargetClass::General1
        );
        assert_eq!(
            r.derive(Some(TargetKind::ResidentialCommunity), Some(99), Some(29)),
            TargetClass::General2
        );
        assert_eq!(
            r.derive(Some(TargetKind::Office), Some(29), Some(9)),
            TargetClass::General3
        );
    }
}
