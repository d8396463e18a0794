//! 自建房风险 — four-colour level of each self-built house.
//!
//! A base level from the JGJ 125-2016 appraisal grade, raised one level for a
//! commercial or mixed-use house of many floors or many occupants (the 2022
//! rectification priorities), raised one level inside a hazardous-chemical site's
//! required distance, and at least orange when it occupies a gas pipe's protection
//! range or yellow when inside its clearance. Every step leaves a reason.

use std::sync::Arc;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::Reason;
use super::pipeline_clearance::{PipelineConflict, PipelineConflictKind};
use super::protection_distance::ProtectionConflict;
use crate::dataset::Dataset;
use crate::model::{Appraisal, Feature, House, HouseUse, LayerKind, RiskLevel};
use crate::rules::{HouseRules, Rules};

/// The level of one house; [`crate::analysis::Analysis::house_risks`] keeps them in the
/// houses' layer order, so the house at the same position is the one it is of (its id
/// is not copied: at a million houses that copy was 40 MB).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HouseRisk {
    /// Level.
    pub level: RiskLevel,
    /// Reasons, in the order applied. Shared: most houses end with their appraisal's
    /// reason alone, and the houses of one appraisal grade then hold one list between
    /// them (a million houses' lists of one reason were 48 MB); a full analysis also
    /// holds equal longer lists once (`assess_all`). A house a living map assesses again
    /// has a list of its own. (One pointer: the result is 16 bytes, not 24, which is
    /// 8 MB less at a million houses.)
    pub reasons: Arc<Vec<Reason>>,
}

/// Exposure of a house found by the other analyses.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Exposure {
    /// Inside a required protection distance (shortfall, metres).
    pub hazard_shortfall_m: Option<f64>,
    /// Worst pipeline conflict.
    pub pipeline: Option<PipelineConflictKind>,
}

/// Levels of every house, in layer order.
pub fn assess_all(
    ds: &Dataset,
    protection: &[ProtectionConflict],
    pipelines: &[PipelineConflict],
    rules: &Rules,
) -> Vec<HouseRisk> {
    let exposed = Exposed::of(ds.houses.len(), protection, pipelines);
    let base = AppraisalReasons::new(&rules.house);
    // With the room a living map keeps for houses added later (`heap::HEADROOM`), made
    // now rather than by a copy of the whole list when the map is served.
    let n = ds.houses.len();
    let mut out = Vec::with_capacity(crate::heap::with_room(n));
    out.par_extend(ds.houses.features().par_iter().enumerate().map_init(
        super::Shared::new,
        |lists, (pos, f)| {
            let mut r = base.house_risk(f, exposed.at(pos), &rules.house);
            share_list(lists, &mut r);
            r
        },
    ));
    // Each part of the parallel pass held its lists once as they were made (a copy
    // dropped at once leaves no hole in the heap); now across the parts.
    let mut lists = super::Shared::new();
    for r in &mut out {
        share_list(&mut lists, r);
    }
    out
}

/// The exposure of the houses the conflicts reach, by position: a few in ten of a
/// city's houses, so each house has a 4-byte slot and only the exposed an `Exposure`
/// (24 bytes for every house of a million was 24 MB at the step's peak).
struct Exposed {
    /// The place in `found` of each house's exposure; `NONE` for none.
    slot: Vec<u32>,
    found: Vec<Exposure>,
}

impl Exposed {
    const NONE: u32 = u32::MAX;

    fn of(n: usize, protection: &[ProtectionConflict], pipelines: &[PipelineConflict]) -> Self {
        let mut e = Exposed {
            slot: vec![Exposed::NONE; n],
            found: Vec::new(),
        };
        for c in protection {
            if c.target_layer == LayerKind::Houses
                && let Some(x) = e.get_mut(c.target_pos)
            {
                x.add_protection(c);
            }
        }
        for c in pipelines {
            if c.layer == LayerKind::Houses
                && let Some(x) = e.get_mut(c.feature_pos)
            {
                x.add_pipeline(c);
            }
        }
        e
    }

    fn get_mut(&mut self, pos: usize) -> Option<&mut Exposure> {
        let slot = self.slot.get_mut(pos)?;
        if *slot == Exposed::NONE {
            // More exposed houses than a u32 counts cannot be held in memory.
            *slot = u32::try_from(self.found.len())
                .ok()
                .filter(|n| *n != Exposed::NONE)?;
            self.found.push(Exposure::default());
        }
        self.found.get_mut(*slot as usize)
    }

    fn at(&self, pos: usize) -> Exposure {
        self.slot
            .get(pos)
            .and_then(|s| self.found.get(*s as usize))
            .copied()
            .unwrap_or_default()
    }
}

/// Points the reasons of a house with more than its appraisal's at the first equal list.
fn share_list(lists: &mut super::Shared<Vec<Reason>>, r: &mut HouseRisk) {
    if r.reasons.len() > 1 {
        lists.share(&mut r.reasons);
    }
}

/// The level and reason each appraisal grade starts a house at, made once per run: most
/// houses end with this reason alone, and then share it as their list of reasons.
pub(crate) struct AppraisalReasons([(RiskLevel, Reason, Arc<Vec<Reason>>); 5]);

impl AppraisalReasons {
    pub(crate) fn new(r: &HouseRules) -> Self {
        AppraisalReasons(
            [
                Appraisal::A,
                Appraisal::B,
                Appraisal::C,
                Appraisal::D,
                Appraisal::Unknown,
            ]
            .map(|a| {
                let (level, reason) = appraisal_reason(a, r);
                let alone = Arc::new(vec![reason.clone()]);
                (level, reason, alone)
            }),
        )
    }

    fn of(&self, a: Appraisal) -> &(RiskLevel, Reason, Arc<Vec<Reason>>) {
        let i = match a {
            Appraisal::A => 0,
            Appraisal::B => 1,
            Appraisal::C => 2,
            Appraisal::D => 3,
            Appraisal::Unknown => 4,
        };
        &self.0[i]
    }
}

/// The level an appraisal grade starts a house at, and the reason.
fn appraisal_reason(a: Appraisal, r: &HouseRules) -> (RiskLevel, Reason) {
    let level = match a {
        Appraisal::A => r.appraisal_a,
        Appraisal::B => r.appraisal_b,
        Appraisal::C => r.appraisal_c,
        Appraisal::D => r.appraisal_d,
        Appraisal::Unknown => r.appraisal_unknown,
    };
    let reason = Reason::new(
        format!("JGJ125-2016/appraisal_{}", a.key()),
        format!("appraisal {} ⇒ {}", a.name_zh(), level.name()),
    )
    .zh(format!("鉴定等级{} ⇒ {}", a.name_zh(), level.name_zh()));
    (level, reason)
}

impl Exposure {
    /// Adds a protection-distance conflict of the house.
    pub fn add_protection(&mut self, c: &ProtectionConflict) {
        self.hazard_shortfall_m = Some(self.hazard_shortfall_m.unwrap_or(0.0).max(c.shortfall_m));
    }

    /// Adds a pipeline conflict of the house.
    pub fn add_pipeline(&mut self, c: &PipelineConflict) {
        // Occupation sorts before TooClose: keep the worse.
        self.pipeline = Some(self.pipeline.map_or(c.kind, |k| k.min(c.kind)));
    }
}

impl AppraisalReasons {
    /// The result of one house with the exposure the other analyses found, as
    /// [`house_risk`] makes it, its appraisal's reason shared.
    pub(crate) fn house_risk(&self, f: &Feature<House>, e: Exposure, r: &HouseRules) -> HouseRisk {
        let (start, first, alone) = self.of(f.props.appraisal.unwrap_or(Appraisal::Unknown));
        let (level, more) = assess_from(&f.props, e, r, *start);
        // The appraisal's reason alone is the list the grade's houses share.
        let reasons = if more.is_empty() {
            Arc::clone(alone)
        } else {
            Arc::new(std::iter::once(first.clone()).chain(more).collect())
        };
        HouseRisk { level, reasons }
    }
}

/// The result of one house with the exposure the other analyses found.
pub fn house_risk(f: &Feature<House>, e: Exposure, rules: &Rules) -> HouseRisk {
    let (level, reasons) = assess(&f.props, e, &rules.house);
    HouseRisk {
        level,
        reasons: Arc::new(reasons),
    }
}

/// The level of one house and why.
///
/// One house (a living map's edit) makes only its own appraisal's reason.
pub fn assess(h: &House, e: Exposure, r: &HouseRules) -> (RiskLevel, Vec<Reason>) {
    let (start, first) = appraisal_reason(h.appraisal.unwrap_or(Appraisal::Unknown), r);
    let (level, more) = assess_from(h, e, r, start);
    (level, std::iter::once(first).chain(more).collect())
}

/// [`assess`] from the level the appraisal starts the house at: the level, and the
/// reasons after the appraisal's, which the caller holds (made once per run for a whole
/// layer, see [`AppraisalReasons`]); none for most houses.
fn assess_from(
    h: &House,
    e: Exposure,
    r: &HouseRules,
    mut level: RiskLevel,
) -> (RiskLevel, Vec<Reason>) {
    let mut reasons = Vec::new();
    let commercial = matches!(h.house_use, Some(HouseUse::Commercial | HouseUse::Mixed));
    if commercial {
        let tall = h.floors.is_some_and(|f| f >= r.commercial_min_floors);
        let crowded = h.occupants.is_some_and(|o| o >= r.crowded_min_occupants);
        if tall || crowded {
            level = level.raised();
            let mut why = Vec::new();
            if tall {
                why.push(format!(
                    "{} floors ≥ {}",
                    h.floors.unwrap_or(0),
                    r.commercial_min_floors
                ));
            }
            if crowded {
                why.push(format!(
                    "{} occupants ≥ {}",
                    h.occupants.unwrap_or(0),
                    r.crowded_min_occupants
                ));
            }
            let why_zh: Vec<String> = [
                tall.then(|| format!("{}层", h.floors.unwrap_or(0))),
                crowded.then(|| format!("{}人", h.occupants.unwrap_or(0))),
            ]
            .into_iter()
            .flatten()
            .collect();
            reasons.push(
                Reason::new(
                    "RM-HR-COMMERCIAL",
                    format!(
                        "commercial use with {} ⇒ raised to {}",
                        why.join(" and "),
                        level.name()
                    ),
                )
                .zh(format!(
                    "经营性自建房（{}）⇒ 升至{}",
                    why_zh.join("、"),
                    level.name_zh()
                )),
            );
        }
    }
    if r.raise_in_hazard_distance
        && let Some(s) = e.hazard_shortfall_m
    {
        level = level.raised();
        reasons.push(
            Reason::new(
                "RM-HR-HAZARD",
                format!(
                    "inside a hazardous-chemical site's required distance (short by {s:.0} m) ⇒ raised to {}",
                    level.name()
                ),
            )
            .zh(format!("位于危化场所防护距离内（差{s:.0}米）⇒ 升至{}", level.name_zh())),
        );
    }
    match e.pipeline {
        Some(PipelineConflictKind::Occupation) if level < r.occupation_min_level => {
            level = r.occupation_min_level;
            reasons.push(
                Reason::new(
                    "RM-HR-OCCUPATION",
                    format!(
                        "occupies a gas pipe's protection range (违章占压) ⇒ {}",
                        level.name()
                    ),
                )
                .zh(format!(
                    "占压燃气管道保护范围（违章占压）⇒ {}",
                    level.name_zh()
                )),
            );
        }
        Some(PipelineConflictKind::TooClose) if level < r.clearance_min_level => {
            level = r.clearance_min_level;
            reasons.push(
                Reason::new(
                    "RM-HR-CLEARANCE",
                    format!("inside a gas pipe's clearance ⇒ {}", level.name()),
                )
                .zh(format!("与燃气管道间距不足 ⇒ {}", level.name_zh())),
            );
        }
        Some(k) => reasons.push(
            Reason::new(
                "RM-HR-PIPELINE",
                format!("{} (level already {})", k.name_zh(), level.name()),
            )
            .zh(format!("{}（已为{}）", k.name_zh(), level.name_zh())),
        ),
        None => {}
    }
    (level, reasons)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A million houses' levels: one pointer and the level, 16 bytes each.
    #[test]
    fn a_house_level_is_16_bytes() {
        assert_eq!(std::mem::size_of::<HouseRisk>(), 16);
    }

    fn house(a: Appraisal, u: HouseUse, floors: u16, occ: u32) -> House {
        House {
            appraisal: Some(a),
            house_use: Some(u),
            floors: Some(floors),
            occupants: Some(occ),
            ..Default::default()
        }
    }

    #[test]
    fn levels_by_hand() {
        let r = HouseRules::default();
        let none = Exposure::default();
        // A, residential: blue.
        assert_eq!(
            assess(&house(Appraisal::A, HouseUse::Residential, 2, 4), none, &r).0,
            RiskLevel::Low
        );
        // D: red whatever else.
        assert_eq!(
            assess(&house(Appraisal::D, HouseUse::Residential, 1, 2), none, &r).0,
            RiskLevel::Major
        );
        // C commercial 3 floors: orange raised to red.
        let (l, why) = assess(&house(Appraisal::C, HouseUse::Commercial, 3, 10), none, &r);
        assert_eq!(l, RiskLevel::Major);
        assert_eq!(why.len(), 2);
        // B mixed, 2 floors, 40 occupants (crowded): yellow → orange.
        assert_eq!(
            assess(&house(Appraisal::B, HouseUse::Mixed, 2, 40), none, &r).0,
            RiskLevel::Significant
        );
        // Unknown residential, occupying a pipe: at least orange.
        let occ = Exposure {
            pipeline: Some(PipelineConflictKind::Occupation),
            ..none
        };
        assert_eq!(
            assess(
                &house(Appraisal::Unknown, HouseUse::Residential, 2, 4),
                occ,
                &r
            )
            .0,
            RiskLevel::Significant
        );
        // A residential inside a hazard distance and a pipe clearance: blue → yellow
        // (raised), clearance floor yellow already met.
        let both = Exposure {
            hazard_shortfall_m: Some(20.0),
            pipeline: Some(PipelineConflictKind::TooClose),
        };
        let (l, why) = assess(&house(Appraisal::A, HouseUse::Residential, 2, 4), both, &r);
        assert_eq!(l, RiskLevel::General);
        assert_eq!(why.last().map(|w| &*w.rule), Some("RM-HR-PIPELINE"));
        // The shortfall said as one: 20 m short of the distance (差), not "less than
        // 20 m" (不足) away.
        let hazard = why.iter().find(|w| &*w.rule == "RM-HR-HAZARD").unwrap();
        assert!(hazard.text_zh.contains("（差20米）"), "{}", hazard.text_zh);
        assert!(hazard.text.contains("short by 20 m"), "{}", hazard.text);
    }
}
