//! 企业风险 — four-colour level of each enterprise from a 4×4 risk matrix.
//!
//! Likelihood L (1–4): the industry's base value, plus one for many open hidden hazards
//! and one for any open major hidden hazard (重大事故隐患), capped at 4. The hidden
//! hazards are those of the hidden-hazard ledger on the rules' day when the dataset has
//! one (an overdue general one counting `hidden_hazards.overdue_weight` times), the
//! counts the enterprise ledger declares otherwise.
//! Severity S (1–4): the worst of headcount (screening bands 0–9 / 10–99 / 100–299 / ≥300,
//! see [`crate::rules::EnterpriseRules::employee_bands`]),
//! the grade of the enterprise's major hazard sources (none / 三–四级 / 二级 / 一级) and the
//! protection targets within 500 m (none / general / important or general class 1 /
//! high-sensitivity). The colour is `matrix[L]\[S\]` (the published matrix). A declared
//! level that differs from the computed one is flagged.

use std::collections::HashMap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::Reason;
use super::hazard_grade::HazardGradeResult;
use super::hidden_hazards::{self, HiddenCounts};
use crate::dataset::Dataset;
use crate::model::{Enterprise, Feature, HazardGrade, RiskLevel, TargetClass};
use crate::rules::Rules;

/// The level of one enterprise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnterpriseRisk {
    /// Enterprise id.
    pub id: String,
    /// Likelihood 1–4.
    pub likelihood: u8,
    /// Severity 1–4.
    pub severity: u8,
    /// Computed level.
    pub level: RiskLevel,
    /// Declared level.
    pub declared_level: Option<RiskLevel>,
    /// Declared differs from computed.
    pub mismatch: bool,
    /// Worst grade of its hazard sources.
    pub worst_grade: Option<HazardGrade>,
    /// Reasons.
    pub reasons: Vec<Reason>,
}

/// Levels of every enterprise, in layer order.
pub fn assess_all(
    ds: &Dataset,
    grades: &[HazardGradeResult],
    target_classes: &[TargetClass],
    rules: &Rules,
) -> Vec<EnterpriseRisk> {
    let worst = worst_grades(ds, grades);
    let ledger = !ds.hidden_hazards.is_empty();
    let hidden = hidden_hazards::counts_by_enterprise(ds, rules.hidden_hazards.day());
    let mut out: Vec<EnterpriseRisk> = ds
        .enterprises
        .features()
        .par_iter()
        .map_init(super::Shared::new, |texts, f| {
            let worst_grade = worst.get(f.id.as_str()).copied();
            let h = ledger.then(|| hidden.get(f.id.as_str()).copied().unwrap_or_default());
            let mut e = assess_one(ds, f, worst_grade, h, target_classes, rules);
            share_texts(texts, &mut e);
            e
        })
        .collect();
    // Each enterprise's reasons are its own list, but most of their texts are those of
    // many others: held once as they were made, in each part of the parallel pass, then
    // across the parts.
    let mut texts = super::Shared::new();
    for e in &mut out {
        share_texts(&mut texts, e);
    }
    out
}

fn share_texts(texts: &mut super::Shared<str>, e: &mut EnterpriseRisk) {
    for r in &mut e.reasons {
        r.share_texts(texts);
    }
}

/// The level of every enterprise, in layer order, on the day of `rules`, from the
/// assessments `base` of the analysis (on another day): only the likelihood depends on
/// the day (through the hidden hazards open and overdue that day); the severity — its
/// people, its hazard sources' grades, the protection targets around it — does not, so
/// the level is the matrix at the day's likelihood and the analysis's severity, as
/// [`assess_one`] makes it. What a month-by-month trend needs, without the spatial
/// queries of a whole assessment.
pub fn levels_on(ds: &Dataset, rules: &Rules, base: &[EnterpriseRisk]) -> Vec<RiskLevel> {
    if ds.hidden_hazards.is_empty() {
        return base.iter().map(|e| e.level).collect();
    }
    let er = &rules.enterprise;
    let hidden = hidden_hazards::counts_by_enterprise(ds, rules.hidden_hazards.day());
    ds.enterprises
        .features()
        .par_iter()
        .zip(base.par_iter())
        .map(|(f, b)| {
            let c = hidden.get(f.id.as_str()).copied().unwrap_or_default();
            let l = (er.likelihood.get(f.props.industry).clamp(1, 4) + ledger_raise(&c, rules).up)
                .min(4);
            er.matrix[usize::from(l - 1)][usize::from(b.severity.clamp(1, 4) - 1)]
        })
        .collect()
}

/// The most severe grade among each enterprise's hazard sources, by enterprise id.
pub fn worst_grades<'a>(
    ds: &'a Dataset,
    grades: &[HazardGradeResult],
) -> HashMap<&'a str, HazardGrade> {
    let mut worst: HashMap<&str, HazardGrade> = HashMap::new();
    for (f, g) in ds.hazard_sources.features().iter().zip(grades) {
        if let (Some(eid), Some(grade)) = (f.props.enterprise_id.as_deref(), g.grade) {
            let e = worst.entry(eid).or_insert(grade);
            *e = (*e).min(grade); // One < Two…: the most severe is the smallest
        }
    }
    worst
}

/// The level of one enterprise, given the worst grade of its hazard sources and its
/// hidden hazards on the rules' day (`None`: the dataset has no hidden-hazard ledger,
/// and the counts the enterprise ledger declares stand).
pub fn assess_one(
    ds: &Dataset,
    f: &Feature<Enterprise>,
    worst_grade: Option<HazardGrade>,
    hidden: Option<HiddenCounts>,
    target_classes: &[TargetClass],
    rules: &Rules,
) -> EnterpriseRisk {
    let er = &rules.enterprise;
    let p = &f.props;
    let mut reasons = Vec::new();
    let base = er.likelihood.get(p.industry).clamp(1, 4);
    let mut l = base;
    reasons.push(
        Reason::new(
            "RM-ER-L/industry",
            format!(
                "industry {} ⇒ L = {base}",
                p.industry.map_or("unknown", |i| i.name_zh())
            ),
        )
        .zh(format!(
            "行业{} ⇒ 可能性L = {base}",
            p.industry.map_or("未知", |i| i.name_zh())
        )),
    );
    match hidden {
        Some(c) => l += from_ledger(&c, rules, &mut reasons),
        None => l += declared(p, rules, &mut reasons),
    }
    let l = l.min(4);
    let [b2, b3, b4] = er.employee_bands;
    let n = p.employees.unwrap_or(0);
    let s_people = if n >= b4 {
        4
    } else if n >= b3 {
        3
    } else if n >= b2 {
        2
    } else {
        1
    };
    let s_grade = match worst_grade {
        Some(HazardGrade::One) => 4,
        Some(HazardGrade::Two) => 3,
        Some(HazardGrade::Three | HazardGrade::Four) => 2,
        None => 1,
    };
    let near = ds
        .protection_targets
        .positions_within(&f.geometry, er.protection_radius_m);
    let s_targets = near
        .iter()
        .filter_map(|&i| target_classes.get(i))
        .map(|c| match c {
            TargetClass::HighSensitivity => 4,
            TargetClass::Important | TargetClass::General1 => 3,
            TargetClass::General2 | TargetClass::General3 => 2,
        })
        .max()
        .unwrap_or(1);
    let s = s_people.max(s_grade).max(s_targets);
    reasons.push(Reason::new(
        "RM-ER-S",
        format!(
            "S = max(headcount {n} ⇒ {s_people}, hazard grade {} ⇒ {s_grade}, {} protection targets within {} m ⇒ {s_targets}) = {s}",
            worst_grade.map_or("none", |g| g.name_zh()),
            near.len(),
            er.protection_radius_m
        ),
    )
    .zh(format!("严重性S = max(从业{n}人 ⇒ {s_people}，危险源{} ⇒ {s_grade}，{}米内防护目标{}个 ⇒ {s_targets}) = {s}", worst_grade.map_or("无", |g| g.name_zh()), er.protection_radius_m, near.len())));
    let level = er.matrix[usize::from(l - 1)][usize::from(s - 1)];
    reasons.push(
        Reason::new(
            "RM-ER-MATRIX",
            format!("L{l} × S{s} ⇒ {} ({})", level.name(), level.name_zh()),
        )
        .zh(format!("L{l} × S{s} ⇒ {}", level.name_zh())),
    );
    let mismatch = p.declared_level.is_some_and(|d| d != level);
    if mismatch {
        reasons.push(
            Reason::new(
                "RM-ER-DECLARED",
                format!(
                    "declared {} but computed {}",
                    p.declared_level.map_or("", |d| d.name()),
                    level.name()
                ),
            )
            .zh(format!(
                "申报{}，计算为{}",
                p.declared_level.map_or("", |d| d.name_zh()),
                level.name_zh()
            )),
        );
    }
    EnterpriseRisk {
        id: f.id.clone(),
        likelihood: l,
        severity: s,
        level,
        declared_level: p.declared_level,
        mismatch,
        worst_grade,
        reasons,
    }
}

/// L's rise from the counts the enterprise ledger declares.
fn declared(p: &Enterprise, rules: &Rules, reasons: &mut Vec<Reason>) -> u8 {
    let er = &rules.enterprise;
    let mut up = 0;
    if p.open_hidden_hazards >= er.hidden_hazards_raise {
        up += 1;
        reasons.push(
            Reason::new(
                "RM-ER-L/hidden_hazards",
                format!(
                    "{} open hidden hazards ≥ {} ⇒ L + 1",
                    p.open_hidden_hazards, er.hidden_hazards_raise
                ),
            )
            .zh(format!(
                "未整改一般隐患{}项 ≥ {} ⇒ L + 1",
                p.open_hidden_hazards, er.hidden_hazards_raise
            )),
        );
    }
    if er.major_hidden_hazards_raise > 0
        && p.open_major_hidden_hazards >= er.major_hidden_hazards_raise
    {
        up += 1;
        reasons.push(
            Reason::new(
                "RM-ER-L/major_hidden_hazards",
                format!(
                    "{} open major hidden hazards (重大事故隐患) ⇒ L + 1",
                    p.open_major_hidden_hazards
                ),
            )
            .zh(format!(
                "未整改重大事故隐患{}项 ⇒ L + 1",
                p.open_major_hidden_hazards
            )),
        );
    }
    up
}

/// What the hidden hazards do to the likelihood, the figures alone (the reasons are
/// written from them by [`from_ledger`]).
struct LedgerRaise {
    /// Steps up: one for the general ones, one for the major ones.
    up: u8,
    /// The general open ones, an overdue one counting `overdue_weight` times.
    weighted: u32,
    general_up: bool,
    major_up: bool,
}

fn ledger_raise(c: &HiddenCounts, rules: &Rules) -> LedgerRaise {
    let er = &rules.enterprise;
    let w = rules.hidden_hazards.overdue_weight;
    let weighted = c.general_open() + (w.saturating_sub(1)) * c.general_overdue();
    let general_up = weighted >= er.hidden_hazards_raise;
    let major_up =
        er.major_hidden_hazards_raise > 0 && c.major_open >= er.major_hidden_hazards_raise;
    LedgerRaise {
        up: u8::from(general_up) + u8::from(major_up),
        weighted,
        general_up,
        major_up,
    }
}

/// L's rise from the hidden-hazard ledger on the rules' day: general open ones, an
/// overdue one counting `overdue_weight` times, against `hidden_hazards_raise`; major
/// open ones against `major_hidden_hazards_raise`. The reasons say the counts came from
/// the ledger, and on which day, also when they raise nothing.
fn from_ledger(c: &HiddenCounts, rules: &Rules, reasons: &mut Vec<Reason>) -> u8 {
    let er = &rules.enterprise;
    let w = rules.hidden_hazards.overdue_weight;
    let day = rules.hidden_hazards.day();
    let LedgerRaise {
        up,
        weighted,
        general_up,
        major_up,
    } = ledger_raise(c, rules);
    // The same figures in both languages.
    let (open, late) = (c.general_open(), c.general_overdue());
    let (major, major_late) = (c.major_open, c.major_overdue);
    let cmp = if general_up { "≥" } else { "<" };
    let raise = er.hidden_hazards_raise;
    let g_up = if general_up { " ⇒ L + 1" } else { "" };
    let m_up = if major_up { " ⇒ L + 1" } else { "" };
    reasons.push(
        Reason::new(
            "RM-ER-L/hidden_ledger",
            format!(
                "hidden-hazard ledger on {day}: {open} general open ({late} overdue, counted {w}×) = {weighted} {cmp} {raise}{g_up}; {major} major open ({major_late} overdue){m_up}"
            ),
        )
        .zh(format!(
            "隐患台账（截至{day}）：未销号一般隐患{open}项（逾期{late}项，按{w}倍计）= {weighted} {cmp} {raise}{g_up}；未销号重大事故隐患{major}项（逾期{major_late}项）{m_up}"
        )),
    );
    up
}

#[cfg(test)]
#[allow(clippy::field_reassign_with_default)]
mod tests {
    use super::*;
    use crate::analysis::testutil::{feat, pt, rect};
    use crate::analysis::{hazard_grade::grade_all, target_classes};
    use crate::dataset::Layer;
    use crate::model::{
        Enterprise, HazardSource, Industry, InventoryItem, LayerKind, ProtectionTarget, TargetKind,
    };
    use crate::substances::SubstanceTable;

    #[test]
    fn matrix_cells_by_hand() {
        let mut ds = Dataset::default();
        ds.enterprises = Layer::new(
            LayerKind::Enterprises,
            vec![
                // Trade (L2), 120 staff (S3), no sources, no targets: matrix[1][2] = yellow.
                feat(
                    "e1",
                    rect(0.0, 0.0, 50.0, 50.0),
                    Enterprise {
                        industry: Some(Industry::HazchemTrade),
                        employees: Some(120),
                        ..Default::default()
                    },
                ),
                // Production (L3) + 1 major hidden hazard (L4); 2 staff (S1) but a 一级
                // source (S4): matrix[3][3] = red. Declared yellow ⇒ mismatch.
                feat(
                    "e2",
                    rect(5000.0, 0.0, 5100.0, 100.0),
                    Enterprise {
                        industry: Some(Industry::HazchemProduction),
                        employees: Some(2),
                        open_major_hidden_hazards: 1,
                        declared_level: Some(RiskLevel::General),
                        ..Default::default()
                    },
                ),
                // Other (L1), 5 staff (S2) but a kindergarten 300 m away (S4): matrix[0][3] = yellow.
                feat(
                    "e3",
                    pt(10000.0, 0.0),
                    Enterprise {
                        industry: Some(Industry::Other),
                        employees: Some(5),
                        ..Default::default()
                    },
                ),
            ],
        );
        ds.hazard_sources = Layer::new(
            LayerKind::HazardSources,
            vec![feat(
                "hs",
                rect(5010.0, 10.0, 5040.0, 40.0),
                HazardSource {
                    enterprise_id: Some("e2".into()),
                    // Phosgene 3 t: R = α·200 ≥ 100 ⇒ 一级.
                    inventory: vec![InventoryItem {
                        cas: Some("75-44-5".into()),
                        name: None,
                        category: None,
                        tonnes: 3.0,
                    }],
                    ..Default::default()
                },
            )],
        );
        ds.protection_targets = Layer::new(
            LayerKind::ProtectionTargets,
            vec![feat(
                "kg",
                pt(10300.0, 0.0),
                ProtectionTarget {
                    kind: Some(TargetKind::Kindergarten),
                    ..Default::default()
                },
            )],
        );
        let rules = Rules::default();
        let grades = grade_all(&ds, &SubstanceTable::builtin(), &rules);
        let classes = target_classes(&ds, &rules);
        let r = assess_all(&ds, &grades, &classes, &rules);
        let got: Vec<(u8, u8, RiskLevel, bool)> = r
            .iter()
            .map(|e| (e.likelihood, e.severity, e.level, e.mismatch))
            .collect();
        assert_eq!(
            got,
            vec![
                (2, 3, RiskLevel::General, false),
                (4, 4, RiskLevel::Major, true),
                (1, 4, RiskLevel::General, false),
            ]
        );
    }
}
