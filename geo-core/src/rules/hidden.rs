//! Hidden hazards (隐患): the day they are counted on, and how much an overdue one weighs
//! in an enterprise's likelihood.

use serde::{Deserialize, Serialize};

use super::check::{self, RuleProblem};
use crate::config_keys::{CollectUnknown, UnknownKeys, key_path};
use crate::model::Day;

/// Hidden hazards (隐患).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HiddenHazardRules {
    /// The day the hidden hazards are counted on (`"2026-06-30"`): which are open, which
    /// overdue, and so the enterprises' levels. None: the day of the run in China
    /// Standard Time; `--as-of` on the command line sets it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of: Option<Day>,
    /// How many times an open general hidden hazard past its deadline counts towards
    /// `enterprise.hidden_hazards_raise` (an overdue major one raises L as any open major
    /// one does). Screening default of this project: 2.
    pub overdue_weight: u32,
    /// Keys of this table that are no rule; any of them makes the file an error.
    #[serde(flatten, skip_serializing)]
    pub unknown: UnknownKeys,
}

impl Default for HiddenHazardRules {
    fn default() -> Self {
        HiddenHazardRules {
            as_of: None,
            overdue_weight: 2,
            unknown: UnknownKeys::default(),
        }
    }
}

impl HiddenHazardRules {
    /// The day hidden hazards are counted on: `as_of`, or today (China Standard Time).
    pub fn day(&self) -> Day {
        self.as_of.unwrap_or_else(Day::today)
    }

    /// Checks the weight.
    pub fn validate(&self, path: &str, out: &mut Vec<RuleProblem>) {
        check::at_least_one(
            out,
            &key_path(path, "overdue_weight"),
            u64::from(self.overdue_weight),
        );
    }
}

impl CollectUnknown for HiddenHazardRules {
    fn collect_unknown(&self, path: &str, out: &mut Vec<String>) {
        self.unknown.collect_unknown(path, out);
    }
}
