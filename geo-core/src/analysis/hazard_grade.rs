//! 重大危险源辨识与分级 — major-hazard identification and grading, GB 18218-2018.
//!
//! For each unit: S = Σ qᵢ/Qᵢ (≥ 1 ⇒ a major hazard source, §4.1); R = α · Σ βᵢ·qᵢ/Qᵢ
//! (§4.2); the grade from R (Table 5). Q and β come from the substance table by CAS
//! number or name, else from the item's hazard category. α comes from the population
//! within 500 m of the unit's boundary (Table 4): protection targets' population and,
//! by default, the occupants of self-built houses there.
//!
//! ```
//! # use riskmap_core::rules::Rules;
//! # use riskmap_core::substances::SubstanceTable;
//! # use riskmap_core::model::InventoryItem;
//! use riskmap_core::analysis::hazard_grade::compute;
//! // 20 t of chlorine: q/Q = 20/5 = 4; β = 4; no one within 500 m ⇒ α = 0.5;
//! // R = 0.5 · 4 · 4 = 8 ⇒ 四级.
//! let inv = vec![InventoryItem { cas: Some("7782-50-5".into()), name: None, category: None, tonnes: 20.0 }];
//! let r = compute(&inv, 0, &SubstanceTable::builtin(), &Rules::default());
//! assert_eq!((r.s, r.r), (4.0, 8.0));
//! assert_eq!(r.grade.map(|g| g.number()), Some(4));
//! ```

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{Num, Reason};

/// [`ItemCalc::basis`] of a substance known to be outside the standard.
pub const OUTSIDE_BASIS: &str = "outside GB 18218-2018";
use crate::dataset::Dataset;
use crate::model::{Feature, HazardGrade, HazardSource, InventoryItem};
use crate::rules::Rules;
use crate::substances::SubstanceTable;

/// How one inventory line entered the sums.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemCalc {
    /// CAS number (from the ledger or the table).
    pub cas: Option<String>,
    /// Name (table name where found).
    pub name: String,
    /// Actual quantity q, tonnes.
    pub q: f64,
    /// Critical quantity Q, tonnes; `None` if the substance is unknown (excluded).
    pub critical_q: Option<f64>,
    /// Correction factor β.
    pub beta: Option<f64>,
    /// Where Q and β came from: `table`, `category W5.4`, [`OUTSIDE_BASIS`] for a
    /// substance the standard does not cover, or `unknown`.
    pub basis: String,
}

/// The grading of one hazard source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HazardGradeResult {
    /// Hazard source id.
    pub id: String,
    /// S = Σ q/Q.
    pub s: f64,
    /// Σ β·q/Q.
    pub beta_sum: f64,
    /// Population within the radius of the boundary.
    pub exposed_population: u64,
    /// α.
    pub alpha: f64,
    /// R = α·Σ β·q/Q.
    pub r: f64,
    /// Whether S ≥ 1.
    pub is_major: bool,
    /// Grade when S ≥ 1.
    pub grade: Option<HazardGrade>,
    /// Grade declared in the ledger.
    pub declared_grade: Option<HazardGrade>,
    /// Declared grade differs from the computed one (or one is missing).
    pub mismatch: bool,
    /// Per-item arithmetic.
    pub items: Vec<ItemCalc>,
    /// Reasons.
    pub reasons: Vec<Reason>,
}

/// Grades every hazard source of the dataset (in layer order).
pub fn grade_all(
    ds: &Dataset,
    substances: &SubstanceTable,
    rules: &Rules,
) -> Vec<HazardGradeResult> {
    ds.hazard_sources
        .features()
        .par_iter()
        .map(|f| grade_one(ds, f, substances, rules))
        .collect()
}

/// Grades one hazard source of the dataset: its exposed population counted in the
/// dataset, then [`compute`], the declared grade compared.
pub fn grade_one(
    ds: &Dataset,
    f: &Feature<HazardSource>,
    substances: &SubstanceTable,
    rules: &Rules,
) -> HazardGradeResult {
    let targets = target_population(ds, f, rules);
    let houses = if rules.hazard.count_house_occupants {
        people_within(&ds.houses, f, rules, |h| h.occupants)
    } else {
        0
    };
    grade_exposed(f, targets, houses, substances, rules)
}

/// The population of the protection targets within the radius of a hazard source.
pub fn target_population(ds: &Dataset, f: &Feature<HazardSource>, rules: &Rules) -> u64 {
    people_within(&ds.protection_targets, f, rules, |t| t.population)
}

/// The people of a layer's features within the radius of a hazard source.
fn people_within<P>(
    layer: &crate::layer::Layer<P>,
    f: &Feature<HazardSource>,
    rules: &Rules,
    people: impl Fn(&P) -> Option<u32>,
) -> u64 {
    layer
        .positions_within(&f.geometry, rules.hazard.population_radius_m)
        .into_iter()
        .filter_map(|i| layer.get(i))
        .map(|x| u64::from(people(&x.props).unwrap_or(0)))
        .sum()
}

/// Grades one hazard source whose exposed population is known: `targets` persons in
/// protection targets and `houses` in self-built houses within the radius (what
/// [`grade_one`] counts). A living map that knows how a batch changed the houses around
/// a source grades it with this, without counting every house again.
pub fn grade_exposed(
    f: &Feature<HazardSource>,
    targets: u64,
    houses: u64,
    substances: &SubstanceTable,
    rules: &Rules,
) -> HazardGradeResult {
    let radius = rules.hazard.population_radius_m;
    let mut r = compute(&f.props.inventory, targets + houses, substances, rules);
    r.id = f.id.clone();
    r.reasons.insert(
        0,
        Reason::new(
            "GB18218-2018/4.2.2",
            format!(
                "{} persons within {} m of the unit ({targets} in protection targets, {houses} in houses)",
                targets + houses,
                Num(radius)
            ),
        )
        .zh(format!(
            "单元周边{}米内暴露人员{}人（防护目标{targets}人，自建房{houses}人）",
            Num(radius),
            targets + houses
        )),
    );
    r.declared_grade = f.props.declared_grade;
    r.mismatch = f.props.declared_grade.is_some() && f.props.declared_grade != r.grade;
    let ungraded = if f.props.inventory.is_empty() {
        ("not graded (no inventory)", "无法分级（无可用储量）")
    } else {
        ("not a major hazard source", "不构成重大危险源")
    };
    if r.mismatch {
        r.reasons.push(
            Reason::new(
                "RM-HG-DECLARED",
                format!(
                    "declared grade {} differs from computed {}",
                    f.props.declared_grade.map_or("none", |g| g.name_zh()),
                    r.grade.map_or(ungraded.0, |g| g.name_zh())
                ),
            )
            .zh(format!(
                "申报{}，计算为{}",
                f.props.declared_grade.map_or("无", |g| g.name_zh()),
                r.grade.map_or(ungraded.1, |g| g.name_zh())
            )),
        );
    }
    r
}

/// The reason of a unit whose inventory lists nothing usable.
pub const NO_INVENTORY: &str = "RM-HG-NO-INVENTORY";

/// S, R and grade of one inventory with a given exposed population.
pub fn compute(
    inventory: &[InventoryItem],
    exposed_population: u64,
    substances: &SubstanceTable,
    rules: &Rules,
) -> HazardGradeResult {
    let mut items = Vec::with_capacity(inventory.len());
    let mut reasons = Vec::new();
    let (mut s, mut beta_sum) = (0.0, 0.0);
    for it in inventory {
        let found = substances.lookup(it.cas.as_deref(), it.name.as_deref());
        let (name, cas, q_crit, beta, basis) = if let Some(sub) = found {
            (
                sub.name_zh.clone(),
                Some(sub.cas.clone()),
                Some(sub.critical_tonnes),
                Some(sub.beta),
                "table".to_string(),
            )
        } else if let Some(cat) = it.category.as_deref().and_then(|c| substances.category(c)) {
            (
                it.name.clone().unwrap_or_default(),
                it.cas.clone(),
                Some(cat.critical_tonnes),
                Some(cat.beta),
                format!("category {}", cat.category),
            )
        } else if let Some(o) = substances.outside(it.cas.as_deref(), it.name.as_deref()) {
            (
                o.name_zh.clone(),
                Some(o.cas.clone()),
                None,
                None,
                OUTSIDE_BASIS.to_string(),
            )
        } else {
            (
                it.name.clone().unwrap_or_default(),
                it.cas.clone(),
                None,
                None,
                "unknown".to_string(),
            )
        };
        let cas_note = cas
            .as_deref()
            .map(|c| format!(" ({c})"))
            .unwrap_or_default();
        match (q_crit, beta) {
            (Some(qc), Some(b)) => {
                s += it.tonnes / qc;
                beta_sum += b * it.tonnes / qc;
                let (q, qc, b) = (Num(it.tonnes), Num(qc), Num(b));
                let basis_zh = if basis == "table" {
                    "物质表".to_string()
                } else {
                    basis.replace("category", "类别")
                };
                reasons.push(
                    Reason::new(
                        "GB18218-2018/Table1-3",
                        format!("{name}{cas_note}: q = {q} t, Q = {qc} t ({basis}), β = {b}"),
                    )
                    .zh(format!(
                        "{name}{cas_note}：q = {q} 吨，Q = {qc} 吨（{basis_zh}），β = {b}"
                    )),
                );
            }
            _ if basis == OUTSIDE_BASIS => reasons.push(
                Reason::new(
                    "RM-HG-OUTSIDE",
                    format!(
                        "{name}{cas_note}: q = {} t, outside GB 18218-2018 (not a hazardous \
                         chemical of Table 1 or of a Table 2 class): not counted in S and R",
                        Num(it.tonnes)
                    ),
                )
                .zh(format!(
                    "{name}{cas_note}：q = {} 吨，不属于GB 18218-2018所列危险化学品，不计入S和R",
                    Num(it.tonnes)
                )),
            ),
            _ => reasons.push(Reason::new(
                "RM-HG-UNKNOWN",
                format!(
                    "{} not in the substance table and no category given: excluded from S and R",
                    if name.is_empty() {
                        cas.clone().unwrap_or_default()
                    } else {
                        name.clone()
                    }
                ),
            )
            .zh(format!(
                "{}不在物质表中且未给出类别，未计入S和R",
                if name.is_empty() {
                    cas.clone().unwrap_or_default()
                } else {
                    name.clone()
                }
            ))),
        }
        items.push(ItemCalc {
            cas,
            name,
            q: it.tonnes,
            critical_q: q_crit,
            beta,
            basis,
        });
    }
    let alpha = rules.hazard.alpha_for(exposed_population);
    let r = alpha * beta_sum;
    let is_major = s >= 1.0;
    let grade = is_major.then(|| rules.hazard.grade_thresholds.grade(r));
    if is_major {
        reasons.push(
            Reason::new(
                "GB18218-2018/4.2.3",
                format!(
                    "S = {s:.3} ≥ 1; α = {}; R = α·Σβq/Q = {r:.2} ⇒ {}",
                    Num(alpha),
                    grade.map_or("", |g| g.name_zh())
                ),
            )
            .zh(format!(
                "S = {s:.3} ≥ 1，构成重大危险源；α = {}；R = {r:.2} ⇒ {}",
                Num(alpha),
                grade.map_or("", |g| g.name_zh())
            )),
        );
    } else if inventory.is_empty() {
        // Not "S = 0 < 1": a unit whose ledger lists nothing (or nothing the loaders
        // could read) is not known to be below the threshold.
        reasons.push(
            Reason::new(
                NO_INVENTORY,
                "no substance in the inventory (a line the loaders could not read is in the \
                 validation report): the unit cannot be identified or graded",
            )
            .zh("储量台账没有可用的物质记录（无法读取的行见数据校验报告），无法辨识和分级"),
        );
    } else {
        reasons.push(
            Reason::new(
                "GB18218-2018/4.1",
                format!("S = {s:.3} < 1: not a major hazard source"),
            )
            .zh(format!("S = {s:.3} < 1，不构成重大危险源")),
        );
    }
    HazardGradeResult {
        id: String::new(),
        s,
        beta_sum,
        exposed_population,
        alpha,
        r,
        is_major,
        grade,
        declared_grade: None,
        mismatch: false,
        items,
        reasons,
    }
}

#[cfg(test)]
#[allow(clippy::field_reassign_with_default)]
mod tests {
    use super::*;
    use crate::analysis::testutil::{feat, pt, rect};
    use crate::dataset::Layer;
    use crate::model::{HazardSource, House, LayerKind, ProtectionTarget, TargetKind};

    fn item(cas: Option<&str>, name: Option<&str>, cat: Option<&str>, t: f64) -> InventoryItem {
        InventoryItem {
            cas: cas.map(String::from),
            name: name.map(String::from),
            category: cat.map(String::from),
            tonnes: t,
        }
    }

    #[test]
    fn mixed_inventory_by_hand() {
        // Chlorine 10 t (Q 5, β 4): q/Q = 2, βq/Q = 8.
        // Ammonia 30 t (Q 10, β 2): q/Q = 3, βq/Q = 6.
        // Methanol 250 t (Q 500, β 1): q/Q = 0.5, βq/Q = 0.5.
        // S = 5.5; Σβq/Q = 14.5; 120 persons ⇒ α = 2 ⇒ R = 29 ⇒ 三级.
        let inv = vec![
            item(Some("7782-50-5"), None, None, 10.0),
            item(None, Some("液氨"), None, 30.0),
            item(Some("67-56-1"), Some("甲醇"), None, 250.0),
        ];
        let r = compute(&inv, 120, &SubstanceTable::builtin(), &Rules::default());
        assert!((r.s - 5.5).abs() < 1e-12);
        assert!((r.beta_sum - 14.5).abs() < 1e-12);
        assert_eq!(r.alpha, 2.0);
        assert!((r.r - 29.0).abs() < 1e-12);
        assert_eq!(r.grade, Some(HazardGrade::Three));
    }

    #[test]
    fn grade_one_and_category_fallback() {
        // Phosgene 3 t (Q 0.3, β 20): q/Q = 10, βq/Q = 200; α(40 persons) = 1.2 ⇒ R = 240 ⇒ 一级.
        let r = compute(
            &[item(Some("75-44-5"), None, None, 3.0)],
            40,
            &SubstanceTable::builtin(),
            &Rules::default(),
        );
        assert!((r.r - 240.0).abs() < 1e-9);
        assert_eq!(r.grade, Some(HazardGrade::One));
        // Unlisted substance, category W5.3 (Q 1000, β 1): 2500 t ⇒ S = 2.5, α(0) = 0.5,
        // R = 1.25 ⇒ 四级.
        let r = compute(
            &[item(None, Some("某溶剂"), Some("W5.3"), 2500.0)],
            0,
            &SubstanceTable::builtin(),
            &Rules::default(),
        );
        assert!((r.s - 2.5).abs() < 1e-12 && (r.r - 1.25).abs() < 1e-12);
        assert_eq!(r.grade, Some(HazardGrade::Four));
        assert_eq!(r.items[0].basis, "category W5.3");
    }

    #[test]
    fn an_empty_inventory_is_not_graded_rather_than_below_the_threshold() {
        let r = compute(&[], 120, &SubstanceTable::builtin(), &Rules::default());
        assert_eq!((r.s, r.is_major, r.grade), (0.0, false, None));
        let codes: Vec<&str> = r.reasons.iter().map(|x| &*x.rule).collect();
        assert_eq!(codes, vec![NO_INVENTORY]);
        // One substance below its threshold is still "S < 1".
        let r = compute(
            &[item(Some("7782-50-5"), None, None, 1.0)],
            120,
            &SubstanceTable::builtin(),
            &Rules::default(),
        );
        assert!(r.reasons.iter().any(|x| &*x.rule == "GB18218-2018/4.1"));
        assert!(!r.reasons.iter().any(|x| &*x.rule == NO_INVENTORY));
    }

    #[test]
    fn below_threshold_and_unknown_substance() {
        // Benzene 20 t (Q 50): S = 0.4 < 1 ⇒ not major. Sulphuric acid: outside the
        // standard, shown but not counted. A nameless "某溶剂" without category: unknown.
        let r = compute(
            &[
                item(Some("71-43-2"), None, None, 20.0),
                item(Some("7664-93-9"), Some("硫酸"), None, 100.0),
                item(None, Some("某溶剂"), None, 3.0),
            ],
            500,
            &SubstanceTable::builtin(),
            &Rules::default(),
        );
        assert!((r.s - 0.4).abs() < 1e-12);
        assert!(!r.is_major && r.grade.is_none());
        assert_eq!(r.items[1].basis, OUTSIDE_BASIS);
        assert_eq!(r.items[1].critical_q, None);
        assert_eq!(r.items[2].basis, "unknown");
        let texts: Vec<&str> = r.reasons.iter().map(|x| &*x.text).collect();
        assert!(
            r.reasons.iter().any(|x| &*x.rule == "RM-HG-UNKNOWN"),
            "{texts:?}"
        );
        let outside = r.reasons.iter().find(|x| &*x.rule == "RM-HG-OUTSIDE");
        assert!(
            outside.is_some_and(|x| x.text.starts_with("硫酸 (7664-93-9): q = 100 t")),
            "{texts:?}"
        );
    }

    #[test]
    fn reasons_write_quantities_as_people_do() {
        // 0.1 t × 227 in floating point is 22.700000000000003 t; the reason says 22.7.
        let r = compute(
            &[item(Some("71-43-2"), None, None, 0.1 * 227.0)],
            0,
            &SubstanceTable::builtin(),
            &Rules::default(),
        );
        assert_eq!(
            &*r.reasons[0].text,
            "苯 (71-43-2): q = 22.7 t, Q = 50 t (table), β = 1"
        );
        assert_eq!(
            &*r.reasons[0].text_zh,
            "苯 (71-43-2)：q = 22.7 吨，Q = 50 吨（物质表），β = 1"
        );
    }

    #[test]
    fn alpha_counts_population_within_500_m_of_the_boundary() {
        // Unit: 100 m × 100 m square at the origin. A school 450 m east of its east edge
        // (inside 500 m) with 40 pupils; a house 520 m north of the north edge (outside)
        // with 80 occupants; a house 499 m south of the south edge with 5 occupants.
        // Exposed: 45 ⇒ α = 1.2. Ammonia 100 t: βq/Q = 20 ⇒ R = 24 ⇒ 三级.
        let mut ds = Dataset::default();
        ds.hazard_sources = Layer::new(
            LayerKind::HazardSources,
            vec![feat(
                "hs-1",
                rect(0.0, 0.0, 100.0, 100.0),
                HazardSource {
                    inventory: vec![item(Some("7664-41-7"), None, None, 100.0)],
                    declared_grade: Some(HazardGrade::Two),
                    ..Default::default()
                },
            )],
        );
        ds.protection_targets = Layer::new(
            LayerKind::ProtectionTargets,
            vec![feat(
                "pt-1",
                pt(550.0, 50.0),
                ProtectionTarget {
                    kind: Some(TargetKind::School),
                    population: Some(40),
                    ..Default::default()
                },
            )],
        );
        ds.houses = Layer::new(
            LayerKind::Houses,
            vec![
                feat(
                    "h-1",
                    rect(40.0, 620.0, 60.0, 640.0),
                    House {
                        occupants: Some(80),
                        ..Default::default()
                    },
                ),
                feat(
                    "h-2",
                    rect(40.0, -519.0, 60.0, -499.0),
                    House {
                        occupants: Some(5),
                        ..Default::default()
                    },
                ),
            ],
        );
        let r = &grade_all(&ds, &SubstanceTable::builtin(), &Rules::default())[0];
        assert_eq!(r.exposed_population, 45);
        assert_eq!(r.alpha, 1.2);
        assert!((r.r - 24.0).abs() < 1e-9);
        assert_eq!(r.grade, Some(HazardGrade::Three));
        assert!(r.mismatch, "declared 二级, computed 三级");
    }
}
