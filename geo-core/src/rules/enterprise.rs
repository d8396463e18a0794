//! The enterprise risk matrix: likelihood by industry and hidden hazards, severity by
//! headcount and nearby protection targets, colour by the published 4×4 matrix.

use serde::{Deserialize, Serialize};

use super::check::{self, RuleProblem};
use crate::config_keys::{CollectUnknown, UnknownKeys, key_path};
use crate::model::{Industry, RiskLevel};

/// Likelihood 1–4 by industry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ByIndustry {
    /// 危险化学品生产
    pub hazchem_production: u8,
    /// 危险化学品储存
    pub hazchem_storage: u8,
    /// 危险化学品经营
    pub hazchem_trade: u8,
    /// 危险化学品使用
    pub hazchem_use: u8,
    /// 粉尘涉爆
    pub dust_explosion: u8,
    /// 涉氨制冷
    pub ammonia_refrigeration: u8,
    /// 有限空间
    pub confined_space: u8,
    /// 冶金
    pub metallurgy: u8,
    /// 其他 (and unknown)
    pub other: u8,
    /// Keys of this table that are no rule; any of them makes the file an error.
    #[serde(flatten, skip_serializing)]
    pub unknown: UnknownKeys,
}

impl ByIndustry {
    /// The value for an industry (`other` for none).
    pub fn get(&self, i: Option<Industry>) -> u8 {
        match i {
            Some(Industry::HazchemProduction) => self.hazchem_production,
            Some(Industry::HazchemStorage) => self.hazchem_storage,
            Some(Industry::HazchemTrade) => self.hazchem_trade,
            Some(Industry::HazchemUse) => self.hazchem_use,
            Some(Industry::DustExplosion) => self.dust_explosion,
            Some(Industry::AmmoniaRefrigeration) => self.ammonia_refrigeration,
            Some(Industry::ConfinedSpace) => self.confined_space,
            Some(Industry::Metallurgy) => self.metallurgy,
            Some(Industry::Other) | None => self.other,
        }
    }
}

/// Enterprise risk matrix: likelihood L (1–4) × severity S (1–4) → colour, after the
/// published 4×4 matrix for zones in chemical enterprises \[S\]; how L and S are scored from
/// ledger fields is a screening default of this project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EnterpriseRules {
    /// Base likelihood by industry.
    pub likelihood: ByIndustry,
    /// Open general hidden hazards at or above which L rises by one.
    pub hidden_hazards_raise: u32,
    /// Open major hidden hazards (重大事故隐患) at or above which L rises by one.
    pub major_hidden_hazards_raise: u32,
    /// Headcounts at which S is 2, 3 and 4. The published bands (3 / 10 / 30 \[S\]) count
    /// the persons in one zone of a plant; applied to a whole enterprise's headcount they
    /// would make almost every firm S4, so this project's screening default is 10 / 100 /
    /// 300 \[RM\]. Set `[3, 10, 30]` to score zones by the published table.
    pub employee_bands: [u32; 3],
    /// Radius in which protection targets raise S, metres (published: 500 m) \[S\].
    pub protection_radius_m: f64,
    /// Colour by `matrix[L-1][S-1]`, published \[S\].
    pub matrix: [[RiskLevel; 4]; 4],
    /// Keys of this table that are no rule; any of them makes the file an error.
    #[serde(flatten, skip_serializing)]
    pub unknown: UnknownKeys,
}

impl Default for EnterpriseRules {
    fn default() -> Self {
        use RiskLevel::{General as Y, Low as B, Major as R, Significant as O};
        EnterpriseRules {
            likelihood: ByIndustry {
                hazchem_production: 3,
                hazchem_storage: 3,
                hazchem_trade: 2,
                hazchem_use: 2,
                dust_explosion: 3,
                ammonia_refrigeration: 3,
                confined_space: 2,
                metallurgy: 3,
                other: 1,
                unknown: UnknownKeys::default(),
            },
            hidden_hazards_raise: 5,
            major_hidden_hazards_raise: 1,
            employee_bands: [10, 100, 300],
            protection_radius_m: 500.0,
            matrix: [[B, B, B, Y], [B, Y, Y, O], [B, Y, O, R], [Y, O, R, R]],
            unknown: UnknownKeys::default(),
        }
    }
}

impl EnterpriseRules {
    /// Checks likelihoods (1–4), the headcount bands (≥ 1, strictly increasing), the
    /// hidden-hazard counts (≥ 1) and the radius.
    pub fn validate(&self, path: &str, out: &mut Vec<RuleProblem>) {
        let lk = &self.likelihood;
        for (k, v) in [
            ("hazchem_production", lk.hazchem_production),
            ("hazchem_storage", lk.hazchem_storage),
            ("hazchem_trade", lk.hazchem_trade),
            ("hazchem_use", lk.hazchem_use),
            ("dust_explosion", lk.dust_explosion),
            ("ammonia_refrigeration", lk.ammonia_refrigeration),
            ("confined_space", lk.confined_space),
            ("metallurgy", lk.metallurgy),
            ("other", lk.other),
        ] {
            if !(1..=4).contains(&v) {
                check::push(
                    out,
                    &key_path(&key_path(path, "likelihood"), k),
                    format!("{v} is outside 1–4 (the rows of the risk matrix)"),
                );
            }
        }
        check::at_least_one(
            out,
            &key_path(path, "hidden_hazards_raise"),
            self.hidden_hazards_raise.into(),
        );
        check::at_least_one(
            out,
            &key_path(path, "major_hidden_hazards_raise"),
            self.major_hidden_hazards_raise.into(),
        );
        let bands = key_path(path, "employee_bands");
        check::at_least_one(out, &bands, self.employee_bands[0].into());
        check::increasing(out, &bands, &self.employee_bands);
        check::distance(
            out,
            &key_path(path, "protection_radius_m"),
            self.protection_radius_m,
        );
    }
}

impl CollectUnknown for ByIndustry {
    fn collect_unknown(&self, path: &str, out: &mut Vec<String>) {
        self.unknown.collect_unknown(path, out);
    }
}

impl CollectUnknown for EnterpriseRules {
    fn collect_unknown(&self, path: &str, out: &mut Vec<String>) {
        self.unknown.collect_unknown(path, out);
        self.likelihood
            .collect_unknown(&key_path(path, "likelihood"), out);
    }
}
