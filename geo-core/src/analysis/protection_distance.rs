//! 城围化工 — protection targets and homes too close to hazardous-chemical sites.
//!
//! For every graded major hazard source and (by default) every hazardous-chemical
//! enterprise, every protection target — and every self-built house, as a home — whose
//! minimum geodesic distance to the source's boundary is below the required distance for
//! the source's grade and the target's class, or below a QRA-supplied distance where the
//! source has one. Houses count as general class 3 targets, or class 2 / 1 when their
//! occupants reach the class thresholds ([`crate::rules::TargetRules`]).
//!
//! Required distances are planning screening values of this project
//! ([`crate::rules::ProtectionRules`]); a GIS screening cannot replace a QRA.

use geo::{Geometry, LineString};
use rayon::prelude::*;
use serde::Serialize;

use super::hazard_grade::HazardGradeResult;
use crate::dataset::Dataset;
use crate::geodesy::{ClosestPair, closest_points};
use crate::layer::Within;
use crate::model::{Feature, HazardGrade, House, LayerKind, TargetClass};
use crate::rules::{ByClass, Rules};

/// One target inside a required distance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProtectionConflict {
    /// `hazard_sources` or `enterprises`.
    pub source_layer: LayerKind,
    /// Source id.
    pub source_id: String,
    /// Source position in its layer.
    pub source_pos: usize,
    /// `protection_targets` or `houses`.
    pub target_layer: LayerKind,
    /// Target id.
    pub target_id: String,
    /// Target position in its layer.
    pub target_pos: usize,
    /// Target class used.
    pub target_class: TargetClass,
    /// Minimum geodesic distance, metres.
    pub distance_m: f64,
    /// Required distance, metres.
    pub required_m: f64,
    /// required − distance, metres.
    pub shortfall_m: f64,
    /// Rule id.
    pub rule: String,
    /// From source to target: the closest pair (a point when they touch).
    #[serde(skip)]
    pub geometry: Geometry<f64>,
}

/// A source screened for protection distances: a graded hazard source, or a
/// hazardous-chemical enterprise when the rules screen them.
pub(crate) struct Source<'a> {
    layer: LayerKind,
    pos: usize,
    id: &'a str,
    pub(super) geometry: &'a Geometry<f64>,
    table: &'a ByClass,
    rule_prefix: &'static str,
    qra: Option<&'a crate::model::QraDistances>,
}

/// The hazard source at `pos` as a source, if it is graded.
pub(crate) fn hazard_source<'a>(
    ds: &'a Dataset,
    pos: usize,
    g: &HazardGradeResult,
    rules: &'a Rules,
) -> Option<Source<'a>> {
    let f = ds.hazard_sources.get(pos)?;
    let grade = g.grade?;
    Some(Source {
        layer: LayerKind::HazardSources,
        pos,
        id: &f.id,
        geometry: &f.geometry,
        table: rules.protection.for_grade(grade),
        // (Static: every batch that moves a target lists every source for its reach.)
        rule_prefix: match grade {
            HazardGrade::One => "RM-PD/grade_1",
            HazardGrade::Two => "RM-PD/grade_2",
            HazardGrade::Three => "RM-PD/grade_3",
            HazardGrade::Four => "RM-PD/grade_4",
        },
        qra: f.props.qra_distances.as_ref().filter(|q| !q.is_empty()),
    })
}

/// The enterprise at `pos` as a source, if the rules screen it.
pub(crate) fn enterprise<'a>(ds: &'a Dataset, pos: usize, rules: &'a Rules) -> Option<Source<'a>> {
    let f = ds.enterprises.get(pos)?;
    let pr = &rules.protection;
    (pr.screen_enterprises && f.props.industry.is_some_and(|i| i.is_hazchem())).then(|| Source {
        layer: LayerKind::Enterprises,
        pos,
        id: &f.id,
        geometry: &f.geometry,
        table: &pr.hazchem_enterprise,
        rule_prefix: "RM-PD/hazchem_enterprise",
        qra: None,
    })
}

/// Finds every conflict; sorted by source layer, source position, target layer, target
/// position.
pub fn find_conflicts(
    ds: &Dataset,
    grades: &[HazardGradeResult],
    target_classes: &[TargetClass],
    rules: &Rules,
) -> Vec<ProtectionConflict> {
    let sources = all_sources(ds, grades, rules);
    let mut out: Vec<ProtectionConflict> = sources
        .par_iter()
        .flat_map_iter(|s| source_conflicts(ds, s, target_classes, rules))
        .collect();
    sort(&mut out);
    out
}

/// Every source, hazard sources first, in position order.
pub(crate) fn all_sources<'a>(
    ds: &'a Dataset,
    grades: &'a [HazardGradeResult],
    rules: &'a Rules,
) -> Vec<Source<'a>> {
    sources(ds, grades, rules).collect()
}

fn sources<'a>(
    ds: &'a Dataset,
    grades: &'a [HazardGradeResult],
    rules: &'a Rules,
) -> impl Iterator<Item = Source<'a>> {
    let hs = grades
        .iter()
        .enumerate()
        .filter_map(|(pos, g)| hazard_source(ds, pos, g, rules));
    let ents = (0..ds.enterprises.len()).filter_map(|pos| enterprise(ds, pos, rules));
    hs.chain(ents)
}

/// The farthest any source reaches, for any class: a target farther than this from every
/// source has no conflict. A source without QRA distances reaches as far as its table, so
/// each table is measured once (a batch that moves a house asks this of thousands).
pub(crate) fn max_reach(ds: &Dataset, grades: &[HazardGradeResult], rules: &Rules) -> f64 {
    let mut measured: Vec<&ByClass> = Vec::new();
    let mut reach = 0.0f64;
    let hazard_sources = grades
        .iter()
        .enumerate()
        .filter_map(|(pos, g)| hazard_source(ds, pos, g, rules));
    // The enterprises screened all share one table: the first is enough.
    let enterprise = (0..ds.enterprises.len()).find_map(|pos| enterprise(ds, pos, rules));
    for s in hazard_sources.chain(enterprise) {
        if s.qra.is_none() {
            if measured.iter().any(|t| std::ptr::eq(*t, s.table)) {
                continue;
            }
            measured.push(s.table);
        }
        reach = reach.max(max_required(&s));
    }
    reach
}

/// The order of the conflict list: source layer, source position, target layer, target
/// position.
pub(crate) fn sort(list: &mut [ProtectionConflict]) {
    list.sort_by(|a, b| {
        (a.source_layer, a.source_pos, a.target_layer, a.target_pos).cmp(&(
            b.source_layer,
            b.source_pos,
            b.target_layer,
            b.target_pos,
        ))
    });
}

/// The conflict between one source and one target, if any: the same decision
/// [`find_conflicts`] makes for the pair.
pub(crate) fn pair_conflict(
    ds: &Dataset,
    s: &Source<'_>,
    target_layer: LayerKind,
    target_pos: usize,
    target_classes: &[TargetClass],
    rules: &Rules,
) -> Option<ProtectionConflict> {
    let (id, g, class) = match target_layer {
        LayerKind::Houses => {
            let h = ds.houses.get(target_pos)?;
            (&h.id, &h.geometry, house_class(h, rules))
        }
        LayerKind::ProtectionTargets => {
            let t = ds.protection_targets.get(target_pos)?;
            let class = target_classes
                .get(target_pos)
                .copied()
                .unwrap_or(TargetClass::General3);
            (&t.id, &t.geometry, class)
        }
        // Only homes and protection targets are screened.
        LayerKind::Areas
        | LayerKind::HiddenHazards
        | LayerKind::Enterprises
        | LayerKind::HazardSources
        | LayerKind::GasPipelines
        | LayerKind::HazardGrades
        | LayerKind::ProtectionConflicts
        | LayerKind::PipelineConflicts
        | LayerKind::HouseRisk
        | LayerKind::EnterpriseRisk
        | LayerKind::RiskGrid => return None,
    };
    let req = required_m(s, class);
    // Measured once: the closest pair is both the distance and the conflict's line.
    let p = closest_points(s.geometry, g)?;
    (p.distance_m < req).then(|| {
        let rule = rule_name(s, class);
        conflict_at(s, target_layer, target_pos, id, class, req, rule, p)
    })
}

/// The class a house is screened with: the one its occupants give it.
fn house_class(h: &Feature<House>, rules: &Rules) -> TargetClass {
    rules.targets.derive(None, h.props.occupants, None)
}

/// The rule a required distance comes from: the QRA's where it gives one for the class,
/// else the table's.
fn rule_name(s: &Source<'_>, class: TargetClass) -> String {
    match s.qra.and_then(|q| q.for_class(class)) {
        Some(_) => format!("QRA/{}", class.key()),
        None => format!("{}/{}", s.rule_prefix, class.key()),
    }
}

/// The distance a source requires from a target of this class: the QRA's where it gives
/// one for the class, else the table's ([`rule_name`] names which).
fn required_m(s: &Source<'_>, class: TargetClass) -> f64 {
    match s.qra.and_then(|q| q.for_class(class)) {
        Some(d) => d,
        None => s.table.get(class),
    }
}

fn max_required(s: &Source<'_>) -> f64 {
    TargetClass::ALL
        .iter()
        .map(|c| required_m(s, *c))
        .fold(0.0, f64::max)
}

pub(crate) fn source_conflicts(
    ds: &Dataset,
    s: &Source<'_>,
    target_classes: &[TargetClass],
    rules: &Rules,
) -> Vec<ProtectionConflict> {
    let mut out = Vec::new();
    // Nothing to measure from (an empty geometry) meets nothing.
    let Some(within) = Within::new(s.geometry, max_required(s)) else {
        return out;
    };
    let every = Candidates {
        target_classes,
        rules,
        houses: true,
    };
    every.visit(
        ds,
        s,
        &within,
        |_, _| false,
        |layer, pos, id, g, class| {
            out.extend(measured(s, &within, layer, pos, id, g, class));
        },
    );
    out
}

/// Which candidates of a source [`Candidates::visit`] reads, and how their classes are
/// found.
struct Candidates<'a> {
    target_classes: &'a [TargetClass],
    rules: &'a Rules,
    /// Whether houses are read too.
    houses: bool,
}

impl Candidates<'_> {
    /// Calls `visit` with each candidate of source `s` in `within`'s boxes, by position:
    /// the protection targets in the box of its largest reach, then the houses in the box
    /// of its reach for a house, each with its class (houses are homes: screened with the
    /// class their occupants give them). Those `skip` names are not read.
    fn visit<'d>(
        &self,
        ds: &'d Dataset,
        s: &Source<'_>,
        within: &Within<'_>,
        skip: impl Fn(LayerKind, usize) -> bool,
        mut visit: impl FnMut(LayerKind, usize, &'d str, &'d Geometry<f64>, TargetClass),
    ) {
        let targets = LayerKind::ProtectionTargets;
        let index = ds.protection_targets.index();
        for pos in sorted(
            index
                .envelopes_in(within.grown())
                .filter(|&p| !skip(targets, p)),
        ) {
            if let Some(t) = ds.protection_targets.get(pos) {
                let class = self
                    .target_classes
                    .get(pos)
                    .copied()
                    .unwrap_or(TargetClass::General3);
                visit(targets, pos, &t.id, &t.geometry, class);
            }
        }
        if !self.houses {
            return;
        }
        let houses = LayerKind::Houses;
        let b = crate::geodesy::expand_rect_m(within.rect(), house_reach(s));
        let index = ds.houses.index();
        for pos in sorted(index.envelopes_in(b).filter(|&p| !skip(houses, p))) {
            if let Some(h) = ds.houses.get(pos) {
                visit(houses, pos, &h.id, &h.geometry, house_class(h, self.rules));
            }
        }
    }
}

/// Positions in increasing order.
fn sorted(it: impl Iterator<Item = usize>) -> Vec<usize> {
    let mut v: Vec<usize> = it.collect();
    v.sort_unstable();
    v
}

/// The conflict of source `s` with the target at `pos` of `layer` (geometry `g`, of
/// `class`), if it is nearer than the class requires, measured once: most candidates of
/// a source's box lie in its corners or beyond what their class requires, and the plane
/// ([`Within::at_least`], a lower bound of the geodesic distance) tells them apart
/// without a geodesic; the others' closest pair is both their distance and the
/// conflict's line.
fn measured(
    s: &Source<'_>,
    within: &Within<'_>,
    layer: LayerKind,
    pos: usize,
    id: &str,
    g: &Geometry<f64>,
    class: TargetClass,
) -> Option<ProtectionConflict> {
    let req = required_m(s, class);
    if within.at_least(g) >= req {
        return None;
    }
    let p = closest_points(s.geometry, g)?;
    (p.distance_m < req).then(|| conflict_at(s, layer, pos, id, class, req, rule_name(s, class), p))
}

/// The classes a house is screened with: houses are never high-sensitivity or
/// important targets ([`house_class`]), so these bound the search among them.
const HOUSE_CLASSES: [TargetClass; 3] = [
    TargetClass::General1,
    TargetClass::General2,
    TargetClass::General3,
];

/// The farthest `s` reaches for a house: the most it requires of the house classes.
fn house_reach(s: &Source<'_>) -> f64 {
    HOUSE_CLASSES
        .iter()
        .map(|c| required_m(s, *c))
        .fold(0.0, f64::max)
}

/// [`source_conflicts`] of a source whose required distances changed (it was regraded)
/// while it and every target stayed as they were, at the same positions: `had`, its
/// conflicts before, sorted by target, when it was `before` (`None`: it was not a source
/// then). A target it had a conflict with is not measured again, nor even read: its
/// distance, closest pair and class do not change. A target it had none with was at
/// least as far as its class required, so it is read and measured only where its class
/// now requires more than before; when no class does (a lower grade), what it keeps is
/// a part of what it had. The same conflicts as [`source_conflicts`], to the bit.
pub(crate) fn source_conflicts_again(
    ds: &Dataset,
    s: &Source<'_>,
    before: Option<&Source<'_>>,
    had: &[ProtectionConflict],
    target_classes: &[TargetClass],
    rules: &Rules,
) -> Vec<ProtectionConflict> {
    let was = |class: TargetClass| before.map_or(0.0, |b| required_m(b, class));
    let grows = |class: &TargetClass| required_m(s, *class) > was(*class);
    let kept = |c: &ProtectionConflict| {
        let req = required_m(s, c.target_class);
        (c.distance_m < req).then(|| ProtectionConflict {
            required_m: req,
            shortfall_m: req - c.distance_m,
            rule: rule_name(s, c.target_class),
            ..c.clone()
        })
    };
    let within = Within::new(s.geometry, max_required(s));
    let Some(within) = within.filter(|_| TargetClass::ALL.iter().any(grows)) else {
        // No class requires more (a lower grade), or nothing to measure from (an empty
        // geometry, which meets nothing): what it keeps is a part of what it had.
        return had.iter().filter_map(kept).collect();
    };
    let mut out = Vec::new();
    let read = Candidates {
        target_classes,
        rules,
        houses: HOUSE_CLASSES.iter().any(grows),
    };
    // The targets it had no conflict with, where their class now requires more.
    let had_one = |layer: LayerKind, pos: usize| {
        had.binary_search_by(|c| (c.target_layer, c.target_pos).cmp(&(layer, pos)))
            .is_ok()
    };
    read.visit(ds, s, &within, had_one, |layer, pos, id, g, class| {
        if required_m(s, class) > was(class) {
            out.extend(measured(s, &within, layer, pos, id, g, class));
        }
    });
    out.extend(had.iter().filter_map(kept));
    out
}

/// A conflict of `s` with a target, from their closest pair (measured by the caller).
#[allow(clippy::too_many_arguments)]
fn conflict_at(
    s: &Source<'_>,
    target_layer: LayerKind,
    target_pos: usize,
    target_id: &str,
    class: TargetClass,
    req: f64,
    rule: String,
    pair: ClosestPair,
) -> ProtectionConflict {
    let (distance_m, geometry) = drawn(pair);
    ProtectionConflict {
        source_layer: s.layer,
        source_id: s.id.to_string(),
        source_pos: s.pos,
        target_layer,
        target_id: target_id.to_string(),
        target_pos,
        target_class: class,
        distance_m,
        required_m: req,
        shortfall_m: req - distance_m,
        rule,
        geometry,
    }
}

/// A conflict's distance and line (a point where the two meet) from its closest pair.
fn drawn(p: ClosestPair) -> (f64, Geometry<f64>) {
    if p.distance_m > 0.0 {
        (
            p.distance_m,
            Geometry::LineString(LineString::from(vec![p.on_a.0, p.on_b.0])),
        )
    } else {
        (0.0, Geometry::Point(p.on_a))
    }
}

impl Source<'_> {
    /// The farthest this source reaches, for any class.
    pub(crate) fn reach_m(&self) -> f64 {
        max_required(self)
    }

    /// The distance this source requires from a target of `class`.
    pub(crate) fn required_m(&self, class: TargetClass) -> f64 {
        required_m(self, class)
    }

    /// The rule that distance comes from.
    pub(crate) fn rule_name(&self, class: TargetClass) -> String {
        rule_name(self, class)
    }
}

#[cfg(test)]
#[allow(clippy::field_reassign_with_default)]
mod tests {
    use super::*;
    use crate::analysis::hazard_grade::grade_all;
    use crate::analysis::target_classes;
    use crate::analysis::testutil::{feat, pt, rect};
    use crate::dataset::Layer;
    use crate::model::{
        Enterprise, HazardSource, House, Industry, InventoryItem, ProtectionTarget, QraDistances,
        TargetKind,
    };
    use crate::substances::SubstanceTable;

    fn chlorine(t: f64) -> Vec<InventoryItem> {
        vec![InventoryItem {
            cas: Some("7782-50-5".into()),
            name: None,
            category: None,
            tonnes: t,
        }]
    }

    #[test]
    fn the_farthest_reach_counts_each_table_once_and_every_qra_distance() {
        // Two sources of chlorine 200 t, 3 km apart, nobody near: both 二级, whose
        // table requires 800 m at most (high-sensitivity and important targets).
        let source = |id: &str, x: f64, qra: Option<QraDistances>| {
            feat(
                id,
                rect(x, 0.0, x + 50.0, 50.0),
                HazardSource {
                    inventory: chlorine(200.0),
                    qra_distances: qra,
                    ..Default::default()
                },
            )
        };
        let rules = Rules::default();
        let reach = |second: Option<QraDistances>| {
            let mut ds = Dataset::default();
            ds.hazard_sources = Layer::new(
                LayerKind::HazardSources,
                vec![source("hs-1", 0.0, None), source("hs-2", 3000.0, second)],
            );
            let grades = grade_all(&ds, &SubstanceTable::builtin(), &rules);
            max_reach(&ds, &grades, &rules)
        };
        assert_eq!(reach(None), 800.0);
        // The second's QRA distance for general class 1 targets is 1,200 m: its reach.
        let far = QraDistances {
            general_1: Some(1200.0),
            ..Default::default()
        };
        assert_eq!(reach(Some(far)), 1200.0);
        // One of 300 m for schools leaves its other classes to the table: 800 m.
        let near = QraDistances {
            high_sensitivity: Some(300.0),
            ..Default::default()
        };
        assert_eq!(reach(Some(near)), 800.0);

        // Enterprises screened as hazardous-chemical ones, with their table raised to
        // 1,500 m for high-sensitivity targets: one of them among others reaches farthest.
        let mut rules = Rules::default();
        rules.protection.hazchem_enterprise.high_sensitivity = 1500.0;
        let with = |industries: &[Industry]| {
            let mut ds = Dataset::default();
            ds.hazard_sources =
                Layer::new(LayerKind::HazardSources, vec![source("hs-1", 0.0, None)]);
            ds.enterprises = Layer::new(
                LayerKind::Enterprises,
                industries
                    .iter()
                    .enumerate()
                    .map(|(i, &industry)| {
                        let x = 5000.0 + 1000.0 * i as f64;
                        feat(
                            &format!("e-{i}"),
                            rect(x, 0.0, x + 50.0, 50.0),
                            Enterprise {
                                industry: Some(industry),
                                ..Default::default()
                            },
                        )
                    })
                    .collect(),
            );
            let grades = grade_all(&ds, &SubstanceTable::builtin(), &rules);
            max_reach(&ds, &grades, &rules)
        };
        assert_eq!(with(&[Industry::Other, Industry::Other]), 800.0);
        assert_eq!(with(&[Industry::Other, Industry::HazchemUse]), 1500.0);
    }

    #[test]
    fn conflicts_by_grade_class_and_qra() {
        let mut ds = Dataset::default();
        // hs-1: chlorine 200 t ⇒ βq/Q = 160; nobody within 500 m ⇒ α 0.5 ⇒ R 80 ⇒ 二级:
        // high-sensitivity 800 m, general class 3 200 m.
        // hs-2 (3 km away): same inventory, with a QRA distance of 200 m for schools.
        ds.hazard_sources = Layer::new(
            LayerKind::HazardSources,
            vec![
                feat(
                    "hs-1",
                    rect(0.0, 0.0, 50.0, 50.0),
                    HazardSource {
                        inventory: chlorine(200.0),
                        ..Default::default()
                    },
                ),
                feat(
                    "hs-2",
                    rect(3000.0, 0.0, 3050.0, 50.0),
                    HazardSource {
                        inventory: chlorine(200.0),
                        qra_distances: Some(QraDistances {
                            high_sensitivity: Some(200.0),
                            ..Default::default()
                        }),
                        ..Default::default()
                    },
                ),
            ],
        );
        ds.protection_targets = Layer::new(
            LayerKind::ProtectionTargets,
            vec![
                // 700 m east of hs-1's east edge: inside 800 m (二级, high-sensitivity).
                feat(
                    "school",
                    pt(750.0, 25.0),
                    ProtectionTarget {
                        kind: Some(TargetKind::School),
                        population: Some(600),
                        ..Default::default()
                    },
                ),
                // 650 m north of hs-1, an office with 20 persons ⇒ general 3 ⇒ 200 m: clear.
                feat(
                    "office",
                    pt(25.0, 700.0),
                    ProtectionTarget {
                        kind: Some(TargetKind::Office),
                        population: Some(20),
                        ..Default::default()
                    },
                ),
                // 300 m west of hs-2's west edge: a kindergarten; QRA says 200 m: clear.
                feat(
                    "kg",
                    pt(2700.0, 25.0),
                    ProtectionTarget {
                        kind: Some(TargetKind::Kindergarten),
                        population: Some(90),
                        ..Default::default()
                    },
                ),
            ],
        );
        let rules = Rules::default();
        let grades = grade_all(&ds, &SubstanceTable::builtin(), &rules);
        assert_eq!(grades[0].grade, Some(crate::model::HazardGrade::Two));
        let classes = target_classes(&ds, &rules);
        let c = find_conflicts(&ds, &grades, &classes, &rules);
        // Kindergarten is 300 m from hs-2 (clear by QRA 200 m) but 2650 m from hs-1: clear.
        // The school is 700 m from hs-1 and 2250 m from hs-2 (QRA 200 m): one conflict.
        assert_eq!(c.len(), 1, "{c:#?}");
        assert_eq!(
            (c[0].source_id.as_str(), c[0].target_id.as_str()),
            ("hs-1", "school")
        );
        assert_eq!(c[0].required_m, 800.0);
        assert!((c[0].distance_m - 700.0).abs() < 0.1, "{}", c[0].distance_m);
        assert!((c[0].shortfall_m - 100.0).abs() < 0.1);
        assert_eq!(c[0].rule, "RM-PD/grade_2/high_sensitivity");
    }

    /// Every conflict of a generated city's full analysis, and no other, against every
    /// (source, target) pair measured geodesically, with no index and no planar bound: the
    /// planar bound that spares most candidates their geodesic must never drop a pair
    /// nearer than its class requires. Houses are put around the first sources at 60 to
    /// 1,000 m (the distances the grades require lie between), many of them near a
    /// limit.
    #[cfg(feature = "generate")]
    #[test]
    fn every_pair_nearer_than_required_and_no_other() {
        use crate::generate::{GenerateOptions, generate, haimen};
        use geo::{BoundingRect, Polygon};
        let opts = GenerateOptions {
            seed: 9,
            houses: 800,
            enterprises: 40,
            hazard_sources: 12,
            pipeline_km: 10.0,
            protection_targets: 60,
            hidden_hazards: 0,
        };
        let mut ds = generate(&opts, &haimen().unwrap()).unwrap();
        let rules = Rules::default();
        // Forty houses around each of the first five sources, 60–1,000 m from its box's
        // centre, at angles turning by 2.4 rad.
        let mut houses = ds.houses.features().to_vec();
        for (n, src) in ds.hazard_sources.features().iter().take(5).enumerate() {
            let c = src.geometry.bounding_rect().unwrap().center();
            let (mx, my) = (111_320.0 * c.y.to_radians().cos(), 110_574.0);
            for i in 0..40 {
                let d = 60.0 + 940.0 * f64::from(i) / 39.0;
                let a = f64::from(i) * 2.4;
                let (x, y) = (c.x + d * a.cos() / mx, c.y + d * a.sin() / my);
                let (w, h) = (8.0 / mx, 8.0 / my);
                let sq = Polygon::new(
                    vec![(x, y), (x + w, y), (x + w, y + h), (x, y + h), (x, y)].into(),
                    vec![],
                );
                houses[n * 40 + i as usize].geometry = Geometry::Polygon(sq);
            }
        }
        ds.houses = Layer::new(LayerKind::Houses, houses);
        let grades = grade_all(&ds, &SubstanceTable::builtin(), &rules);
        let classes = target_classes(&ds, &rules);
        let got: Vec<(LayerKind, usize, LayerKind, usize, f64)> =
            find_conflicts(&ds, &grades, &classes, &rules)
                .iter()
                .map(|c| {
                    (
                        c.source_layer,
                        c.source_pos,
                        c.target_layer,
                        c.target_pos,
                        c.distance_m,
                    )
                })
                .collect();
        let mut want = Vec::new();
        let mut near_limit = 0;
        for s in all_sources(&ds, &grades, &rules) {
            let targets = ds
                .protection_targets
                .features()
                .iter()
                .enumerate()
                .map(|(pos, t)| {
                    let class = classes.get(pos).copied().unwrap_or(TargetClass::General3);
                    (LayerKind::ProtectionTargets, pos, &t.geometry, class)
                });
            let homes = ds
                .houses
                .features()
                .iter()
                .enumerate()
                .map(|(pos, h)| (LayerKind::Houses, pos, &h.geometry, house_class(h, &rules)));
            for (layer, pos, g, class) in targets.chain(homes) {
                let req = required_m(&s, class);
                let d = crate::geodesy::distance_m(s.geometry, g);
                // Conflicts a bound 20 % too high would miss.
                if d < req && d * 1.2 >= req {
                    near_limit += 1;
                }
                if d < req {
                    want.push((s.layer, s.pos, layer, pos, d));
                }
            }
        }
        want.sort_by_key(|a| (a.0, a.1, a.2, a.3));
        assert!(
            want.len() > 50 && near_limit > 10,
            "{} conflicts, {near_limit} near",
            want.len()
        );
        assert_eq!(got, want);
    }

    #[test]
    fn hazchem_enterprise_and_houses() {
        let mut ds = Dataset::default();
        ds.enterprises = Layer::new(
            LayerKind::Enterprises,
            vec![
                feat(
                    "ent-chem",
                    rect(0.0, 0.0, 200.0, 200.0),
                    Enterprise {
                        industry: Some(Industry::HazchemStorage),
                        ..Default::default()
                    },
                ),
                feat(
                    "ent-other",
                    rect(5000.0, 0.0, 5200.0, 200.0),
                    Enterprise {
                        industry: Some(Industry::Other),
                        ..Default::default()
                    },
                ),
            ],
        );
        ds.houses = Layer::new(
            LayerKind::Houses,
            vec![
                // 40 m north: general 3 (4 occupants) ⇒ 50 m ⇒ conflict, shortfall 10 m.
                feat(
                    "h-near",
                    rect(90.0, 240.0, 100.0, 250.0),
                    House {
                        occupants: Some(4),
                        ..Default::default()
                    },
                ),
                // 60 m east: clear of 50 m.
                feat(
                    "h-far",
                    rect(260.0, 90.0, 270.0, 100.0),
                    House {
                        occupants: Some(4),
                        ..Default::default()
                    },
                ),
                // Next to the non-chemical enterprise: never screened.
                feat(
                    "h-other",
                    rect(5210.0, 90.0, 5220.0, 100.0),
                    House {
                        occupants: Some(4),
                        ..Default::default()
                    },
                ),
            ],
        );
        let rules = Rules::default();
        let c = find_conflicts(&ds, &[], &[], &rules);
        assert_eq!(c.len(), 1, "{c:#?}");
        assert_eq!(c[0].target_id, "h-near");
        assert_eq!(c[0].rule, "RM-PD/hazchem_enterprise/general_3");
        assert!((c[0].distance_m - 40.0).abs() < 0.01, "{}", c[0].distance_m);
        assert!((c[0].shortfall_m - 10.0).abs() < 0.01);
    }
}
