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

use crate::model::{HazardGrade, Industry, PressureClass, RiskLevel, TargetClass, TargetKind};

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
    /// A value is outside what the rule allows.
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
#[serde(default, deny_unknown_fields)]
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
        // the defaults of its siblings, and a key the defaults lack is an error.
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

fn overlay(base: &mut toml::Table, over: toml::Table, path: &str) -> Result<(), (String, String)> {
    for (k, v) in over {
        let here = if path.is_empty() {
            k.clone()
        } else {
            format!("{path}.{k}")
        };
        match (base.get_mut(&k), v) {
            (None, _) => {
                return Err((
                    here,
                    "unknown rule (see docs/rules.md for the names)".into(),
                ));
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

// ---------------------------------------------------------------------------------------
// GB 18218-2018

/// One band of the α table: population ≥ `min_population` gives `alpha`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlphaBand {
    /// Lowest population of the band.
    pub min_population: u32,
    /// α (暴露人员校正系数).
    pub alpha: f64,
}

/// R thresholds of the grades.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GradeThresholds {
    /// R ≥ this is 一级.
    pub one: f64,
    /// R ≥ this is 二级.
    pub two: f64,
    /// R ≥ this is 三级; below is 四级.
    pub three: f64,
}

impl Default for GradeThresholds {
    /// GB 18218-2018 §4.2.3 Table 5 [S].
    fn default() -> Self {
        GradeThresholds {
            one: 100.0,
            two: 50.0,
            three: 10.0,
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
#[serde(default, deny_unknown_fields)]
pub struct HazardRules {
    /// Radius around the unit's boundary in which exposed population is counted, metres.
    /// GB 18218-2018 §4.2.2 (500 m outside the unit) [S].
    pub population_radius_m: f64,
    /// α by exposed population, highest band first. GB 18218-2018 Table 4 [S].
    pub alpha: Vec<AlphaBand>,
    /// R thresholds. GB 18218-2018 Table 5 [S].
    pub grade_thresholds: GradeThresholds,
    /// Count occupants of houses in the exposed population (not only protection targets).
    /// Screening default of this project.
    pub count_house_occupants: bool,
}

impl Default for HazardRules {
    fn default() -> Self {
        HazardRules {
            population_radius_m: 500.0,
            alpha: vec![
                AlphaBand {
                    min_population: 100,
                    alpha: 2.0,
                },
                AlphaBand {
                    min_population: 50,
                    alpha: 1.5,
                },
                AlphaBand {
                    min_population: 30,
                    alpha: 1.2,
                },
                AlphaBand {
                    min_population: 1,
                    alpha: 1.0,
                },
                AlphaBand {
                    min_population: 0,
                    alpha: 0.5,
                },
            ],
            grade_thresholds: GradeThresholds::default(),
            count_house_occupants: true,
        }
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

// ---------------------------------------------------------------------------------------
// Protection targets

/// How a protection target's class is derived when the ledger does not give it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TargetRules {
    /// Kinds that are high-sensitivity targets. GB 36894-2018 annex A [M].
    pub high_sensitivity: Vec<TargetKind>,
    /// Kinds that are important targets. GB 36894-2018 annex A [M].
    pub important: Vec<TargetKind>,
    /// Persons at or above which a general target is class 1. Annex A [M].
    pub class1_min_persons: u32,
    /// Persons at or above which a general target is class 2. Annex A [M].
    pub class2_min_persons: u32,
    /// Households at or above which a residential target is class 1. Annex A [M].
    pub class1_min_households: u32,
    /// Households at or above which a residential target is class 2. Annex A [M].
    pub class2_min_households: u32,
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

/// Metres per protection-target class.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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
    const fn new(h: f64, i: f64, g1: f64, g2: f64, g3: f64) -> Self {
        ByClass {
            high_sensitivity: h,
            important: i,
            general_1: g1,
            general_2: g2,
            general_3: g3,
        }
    }
}

/// Required distances (planning screening values). GB 36894-2018 sets risk criteria, not
/// distances; a GIS cannot replace a QRA, so these are **screening defaults of this
/// project**, to be replaced by QRA distances per source where a report gives them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
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

// ---------------------------------------------------------------------------------------
// Gas pipelines

/// Metres per pressure class.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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
#[serde(default, deny_unknown_fields)]
pub struct PipelineRules {
    /// Minimum horizontal clearance from a buried pipe to a building, metres.
    /// GB 50028-2006 Table 6.3.3-1 for 低压…次高压A [M]; 高压 follows §6.4 by area
    /// class: the values here are screening defaults of this project.
    pub clearance_m: ByPressure,
    /// Minimum protection range either side of the pipe, metres (CJJ 51-2016 [M]).
    /// A footprint inside it is occupation (违章占压).
    pub protection_range_m: ByPressure,
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
            },
            protection_range_m: ByPressure {
                high_a: 5.0,
                high_b: 5.0,
                sub_high_a: 1.5,
                sub_high_b: 1.5,
                medium_a: 0.5,
                medium_b: 0.5,
                low: 0.5,
            },
        }
    }
}

// ---------------------------------------------------------------------------------------
// Houses

/// Self-built house levels: a base level from the appraisal, raised by use, size and
/// exposure. JGJ 125-2016 grades [S]; the rectification priorities of the 2022 national
/// campaign [S]/[M]; the mapping to colours is a screening default of this project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
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
        }
    }
}

// ---------------------------------------------------------------------------------------
// Enterprises

/// Likelihood 1–4 by industry.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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
/// published 4×4 matrix for zones in chemical enterprises [S]; how L and S are scored from
/// ledger fields is a screening default of this project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EnterpriseRules {
    /// Base likelihood by industry.
    pub likelihood: ByIndustry,
    /// Open general hidden hazards at or above which L rises by one.
    pub hidden_hazards_raise: u32,
    /// Open major hidden hazards (重大事故隐患) at or above which L rises by one.
    pub major_hidden_hazards_raise: u32,
    /// Headcounts at which S is 2, 3 and 4. The published bands (3 / 10 / 30 [S]) count
    /// the persons in one zone of a plant; applied to a whole enterprise's headcount they
    /// would make almost every firm S4, so this project's screening default is 10 / 100 /
    /// 300 [RM]. Set `[3, 10, 30]` to score zones by the published table.
    pub employee_bands: [u32; 3],
    /// Radius in which protection targets raise S, metres (published: 500 m) [S].
    pub protection_radius_m: f64,
    /// Colour by `matrix[L-1][S-1]`, published [S].
    pub matrix: [[RiskLevel; 4]; 4],
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
            },
            hidden_hazards_raise: 5,
            major_hidden_hazards_raise: 1,
            employee_bands: [10, 100, 300],
            protection_radius_m: 500.0,
            matrix: [[B, B, B, Y], [B, Y, Y, O], [B, Y, O, R], [Y, O, R, R]],
        }
    }
}

// ---------------------------------------------------------------------------------------
// Area grid

/// Thresholds of the grid index bands.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bands {
    /// Index at or above which a cell is red.
    pub major: f64,
    /// … orange.
    pub significant: f64,
    /// … yellow; below is blue.
    pub general: f64,
}

impl Bands {
    /// The level of an index value.
    pub fn level(&self, v: f64) -> RiskLevel {
        if v >= self.major {
            RiskLevel::Major
        } else if v >= self.significant {
            RiskLevel::Significant
        } else if v >= self.general {
            RiskLevel::General
        } else {
            RiskLevel::Low
        }
    }
}

/// Weights of one risk per level.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ByLevel {
    /// 重大
    pub major: f64,
    /// 较大
    pub significant: f64,
    /// 一般
    pub general: f64,
    /// 低
    pub low: f64,
}

impl ByLevel {
    /// The value for a level.
    pub fn get(&self, l: RiskLevel) -> f64 {
        match l {
            RiskLevel::Major => self.major,
            RiskLevel::Significant => self.significant,
            RiskLevel::General => self.general,
            RiskLevel::Low => self.low,
        }
    }
}

/// The area risk index: this project's own documented method (no national formula exists
/// [S]); see [`crate::analysis::risk_grid`]. Risk points (hazard sources, enterprises) add
/// `weight(level) · (1 − d/radius)` to every hex cell whose centre lies within their
/// radius; the many small risks (houses, pipeline conflicts) are summed likewise with
/// `house_weight` and enter as `many_weight · ln(1 + sum)`; exposed population adds
/// `population_weight · ln(1 + population)`; the cell is then at least the level of the
/// worst risk point inside it (domain reference: an area is at least its highest point).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GridRules {
    /// Distance between hex centres' rows… the hexagon's circumradius, metres.
    pub cell_size_m: f64,
    /// Weight of a hazard source or enterprise by its level.
    pub weight: ByLevel,
    /// Weight of a house by its level, inside the logarithm.
    pub house_weight: ByLevel,
    /// Multiplier of ln(1 + Σ house and pipeline-conflict contributions).
    pub many_weight: f64,
    /// Influence radius of a graded hazard source, metres.
    pub hazard_radius_m: f64,
    /// Influence radius of an enterprise, metres.
    pub enterprise_radius_m: f64,
    /// Influence radius of a house, metres.
    pub house_radius_m: f64,
    /// Weight of a pipeline conflict (occupation or too close), inside the logarithm.
    pub pipeline_conflict_weight: f64,
    /// Multiplier of ln(1 + population in the cell).
    pub population_weight: f64,
    /// Bands of the index.
    pub bands: Bands,
    /// Raise a cell to at least the worst level of the risk points (hazard sources,
    /// enterprises) inside it.
    pub floor_at_worst_inside: bool,
}

impl Default for GridRules {
    fn default() -> Self {
        GridRules {
            cell_size_m: 500.0,
            weight: ByLevel {
                major: 40.0,
                significant: 15.0,
                general: 4.0,
                low: 0.5,
            },
            house_weight: ByLevel {
                major: 10.0,
                significant: 4.0,
                general: 1.0,
                low: 0.0,
            },
            many_weight: 4.0,
            hazard_radius_m: 1500.0,
            enterprise_radius_m: 800.0,
            house_radius_m: 300.0,
            pipeline_conflict_weight: 4.0,
            population_weight: 1.0,
            bands: Bands {
                major: 60.0,
                significant: 30.0,
                general: 12.0,
            },
            floor_at_worst_inside: true,
        }
    }
}

/// Site checks (选址审查).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SiteRules {
    /// Houses of at least this level within `dangerous_house_radius_m` of a proposed site
    /// are reported. Screening default of this project.
    pub dangerous_house_min_level: RiskLevel,
    /// Radius for dangerous houses, metres. Screening default of this project.
    pub dangerous_house_radius_m: f64,
}

impl Default for SiteRules {
    fn default() -> Self {
        SiteRules {
            dangerous_house_min_level: RiskLevel::Significant,
            dangerous_house_radius_m: 50.0,
        }
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
    fn default_rules_round_trip_through_toml() {
        let text = Rules::default().to_toml_string();
        assert_eq!(
            Rules::from_toml_str(&text).expect("round trip"),
            Rules::default()
        );
    }
}
