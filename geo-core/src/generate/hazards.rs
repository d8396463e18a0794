//! Major hazard sources: the substances (keyed by CAS number) and unit templates of the
//! synthetic inventories, and the planning of a unit's inventory so that the GB 18218
//! grades spread over 一级 … 四级.

use super::SYNTH;
use super::arith::{Rand, chance, round_to, uni, weighted};
use super::shapes::RotRect;
use crate::model::{HazardGrade, InventoryItem, QraDistances, UnitType};

#[derive(Debug, Clone, Copy)]
pub(super) struct Substance {
    pub(super) cas: &'static str,
    pub(super) name: &'static str,
    /// Critical quantity, t (GB 18218-2018 Table 1); `INFINITY` for substances it does not
    /// list. Used only to size the synthetic inventories: the analysis has its own table.
    pub(super) q: f64,
    /// Correction factor β used to aim the grades (same caveat).
    pub(super) beta: f64,
    /// Largest q/Q a unit may hold, for plausible tonnages.
    pub(super) max_ratio: f64,
    /// GB 18218 Table 2 category, stated in the ledger for substances Table 1 does not
    /// list (the analysis falls back to it).
    pub(super) category: Option<&'static str>,
}

pub(super) const fn sub(
    cas: &'static str,
    name: &'static str,
    q: f64,
    beta: f64,
    max_ratio: f64,
    category: Option<&'static str>,
) -> Substance {
    Substance {
        cas,
        name,
        q,
        beta,
        max_ratio,
        category,
    }
}

pub(super) const SUBSTANCES: [Substance; 17] = [
    sub("7782-50-5", "氯", 5.0, 4.0, 40.0, None),
    sub("7664-41-7", "氨", 10.0, 2.0, 30.0, None),
    sub("68476-85-7", "液化石油气", 50.0, 1.5, 20.0, None),
    sub("74-82-8", "天然气（甲烷）", 50.0, 1.5, 10.0, None),
    sub("1333-74-0", "氢", 5.0, 1.5, 4.0, None),
    sub("67-56-1", "甲醇", 500.0, 1.0, 40.0, None),
    sub("71-43-2", "苯", 50.0, 1.0, 60.0, None),
    sub("86290-81-5", "汽油", 200.0, 1.0, 50.0, None),
    sub("108-88-3", "甲苯", 500.0, 1.0, 20.0, None),
    sub("75-21-8", "环氧乙烷", 10.0, 2.0, 30.0, None),
    sub("7783-06-4", "硫化氢", 5.0, 5.0, 3.0, None),
    sub("67-64-1", "丙酮", 500.0, 1.0, 10.0, None),
    sub("141-78-6", "乙酸乙酯", 500.0, 1.0, 10.0, None),
    sub("7664-93-9", "硫酸", f64::INFINITY, 0.0, 0.0, None),
    sub("78-67-1", "偶氮二异丁腈", 50.0, 1.0, 3.0, Some("W6.2")),
    sub("1338-23-4", "过氧化甲乙酮", 50.0, 1.0, 3.0, Some("W7.2")),
    sub("123-86-4", "乙酸丁酯", 5000.0, 1.0, 0.2, Some("W5.4")),
];
pub(super) const ACID: usize = 13;

pub(super) struct UnitTemplate {
    pub(super) name: &'static str,
    pub(super) unit_type: UnitType,
    /// Substance index and share of the unit's Σ q/Q.
    pub(super) lines: &'static [(usize, f64)],
    /// Also holds sulphuric acid, which GB 18218 does not list (a fallback case).
    pub(super) acid: bool,
}

pub(super) const fn tpl(
    name: &'static str,
    unit_type: UnitType,
    lines: &'static [(usize, f64)],
    acid: bool,
) -> UnitTemplate {
    UnitTemplate {
        name,
        unit_type,
        lines,
        acid,
    }
}

pub(super) const CHEM_TEMPLATES: [UnitTemplate; 12] = [
    tpl(
        "氯碱生产单元",
        UnitType::Production,
        &[(0, 0.7), (4, 0.3)],
        true,
    ),
    tpl("液氯储存单元", UnitType::Storage, &[(0, 1.0)], false),
    tpl("液氨储罐区", UnitType::Storage, &[(1, 1.0)], false),
    tpl(
        "甲醇储罐区",
        UnitType::Storage,
        &[(5, 0.8), (8, 0.2)],
        false,
    ),
    tpl(
        "芳烃储罐区",
        UnitType::Storage,
        &[(6, 0.6), (8, 0.4)],
        false,
    ),
    tpl(
        "溶剂储罐区",
        UnitType::Storage,
        &[(11, 0.4), (12, 0.4), (5, 0.2)],
        false,
    ),
    tpl(
        "环氧乙烷加成生产单元",
        UnitType::Production,
        &[(9, 1.0)],
        false,
    ),
    tpl(
        "甲醇制氢生产单元",
        UnitType::Production,
        &[(4, 0.6), (5, 0.4)],
        false,
    ),
    tpl(
        "硫化物生产单元",
        UnitType::Production,
        &[(10, 0.6), (1, 0.4)],
        true,
    ),
    tpl(
        "医药中间体生产单元",
        UnitType::Production,
        &[(8, 0.5), (6, 0.3), (11, 0.2)],
        true,
    ),
    tpl("油品储罐区", UnitType::Storage, &[(7, 1.0)], false),
    tpl(
        "聚合反应生产单元",
        UnitType::Production,
        &[(14, 0.4), (15, 0.3), (16, 0.05), (8, 0.25)],
        false,
    ),
];

pub(super) const TOWN_TEMPLATES: [UnitTemplate; 3] = [
    tpl(
        "液化石油气储配站储罐区",
        UnitType::Storage,
        &[(2, 1.0)],
        false,
    ),
    tpl("LNG气化站储罐区", UnitType::Storage, &[(3, 1.0)], false),
    tpl(
        "成品油库储罐区",
        UnitType::Storage,
        &[(7, 0.9), (5, 0.1)],
        false,
    ),
];

#[derive(Debug, Clone)]
pub(super) struct UnitPlan {
    pub(super) rect: RotRect,
    pub(super) name: String,
    pub(super) unit_type: UnitType,
    pub(super) inventory: Vec<InventoryItem>,
    /// Σ βᵢqᵢ/Qᵢ and Σ qᵢ/Qᵢ over the listed substances.
    pub(super) beta_sum: f64,
    pub(super) s_sum: f64,
    pub(super) qra: Option<QraDistances>,
    pub(super) declared: Option<HazardGrade>,
}

/// Grade bands aimed at (GB 18218 R bands): share, R low, R high.
pub(super) const GRADE_AIMS: [(f64, f64, f64); 4] = [
    (0.12, 100.0, 220.0),
    (0.20, 50.0, 100.0),
    (0.33, 10.0, 50.0),
    (0.35, 2.0, 10.0),
];

pub(super) fn tonnes(q: f64) -> f64 {
    if q < 10.0 {
        round_to(q, 0.01)
    } else if q < 100.0 {
        round_to(q, 0.1)
    } else {
        q.round()
    }
}

/// Fills the inventory of the `index`-th unit so that its Σ q/Q (and, with the assumed α,
/// its R) lands in a chosen band. Every 13th unit (~8 %) stays below the threshold
/// (Σ q/Q < 1) and every 16th has QRA distances: on a schedule rather than by chance, so
/// that even the small demo has them.
pub(super) fn plan_unit(
    rng: &mut Rand,
    tpl: &UnitTemplate,
    rect: RotRect,
    short: &str,
    (alpha, index): (f64, usize),
) -> UnitPlan {
    let beta_eff: f64 = tpl
        .lines
        .iter()
        .map(|&(s, share)| share * SUBSTANCES[s].beta)
        .sum();
    let s_target = if index % 13 == 7 {
        uni(rng, 0.3, 0.95)
    } else {
        let w: Vec<f64> = GRADE_AIMS.iter().map(|g| g.0).collect();
        let (_, lo, hi) = GRADE_AIMS[weighted(rng, &w)];
        (uni(rng, lo, hi) / (alpha * beta_eff)).max(1.05)
    };
    let mut inventory = Vec::new();
    let (mut beta_sum, mut s_sum) = (0.0, 0.0);
    for &(si, share) in tpl.lines {
        let s = &SUBSTANCES[si];
        let ratio = (share * s_target).min(s.max_ratio);
        let t = tonnes(ratio * s.q).max(0.01);
        beta_sum += s.beta * t / s.q;
        s_sum += t / s.q;
        inventory.push(InventoryItem {
            cas: Some(s.cas.to_string()),
            name: chance(rng, 0.95).then(|| s.name.to_string()),
            category: s.category.map(str::to_string),
            tonnes: t,
        });
    }
    if tpl.acid {
        inventory.push(InventoryItem {
            cas: Some(SUBSTANCES[ACID].cas.to_string()),
            name: Some(SUBSTANCES[ACID].name.to_string()),
            category: None,
            tonnes: tonnes(uni(rng, 20.0, 300.0)),
        });
    }
    let qra = (s_sum >= 1.0 && index % 16 == 3).then(|| {
        let base = uni(rng, 800.0, 1500.0);
        let partial = chance(rng, 0.2);
        QraDistances {
            high_sensitivity: Some(round_to(base, 10.0)),
            important: Some(round_to(base * 0.9, 10.0)),
            general_1: Some(round_to(base * uni(rng, 0.5, 0.65), 10.0)),
            general_2: (!partial).then(|| round_to(base * 0.4, 10.0)),
            general_3: (!partial).then(|| round_to(base * 0.22, 10.0)),
        }
    });
    UnitPlan {
        rect,
        name: format!("{short}{}{SYNTH}", tpl.name),
        unit_type: tpl.unit_type,
        inventory,
        beta_sum,
        s_sum,
        qra,
        declared: None,
    }
}
