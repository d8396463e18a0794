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
use crate::model::{Feature, HazardGrade, House, LayerKind, TargetClass, Text};
use crate::rules::{ByClass, Rules};

/// One target inside a required distance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProtectionConflict {
    /// `hazard_sources` or `enterprises`.
    pub source_layer: LayerKind,
    /// Source id (one text for the conflicts of a source).
    pub source_id: Text,
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
    /// Rule id (one text for the conflicts of a rule and a source).
    pub rule: Text,
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
    graded_sources(ds, grades, rules).chain(screened_enterprises(ds, rules))
}

/// The hazard sources that are graded, as sources, in position order.
fn graded_sources<'a>(
    ds: &'a Dataset,
    grades: &'a [HazardGradeResult],
    rules: &'a Rules,
) -> impl Iterator<Item = Source<'a>> {
    grades
        .iter()
        .enumerate()
        .filter_map(|(pos, g)| hazard_source(ds, pos, g, rules))
}

/// The enterprises the rules screen, as sources, in position order.
fn screened_enterprises<'a>(ds: &'a Dataset, rules: &'a Rules) -> impl Iterator<Item = Source<'a>> {
    (0..ds.enterprises.len()).filter_map(|pos| enterprise(ds, pos, rules))
}

/// The farthest any source reaches, for any class: a target farther than this from every
/// source has no conflict. A source without QRA distances reaches as far as its table, so
/// each table is measured once (a batch that moves a house asks this of thousands), and
/// the screened enterprises, which share one table, by the first of them.
pub(crate) fn max_reach(ds: &Dataset, grades: &[HazardGradeResult], rules: &Rules) -> f64 {
    let mut measured: Vec<&ByClass> = Vec::new();
    let mut reach = 0.0f64;
    let first_enterprise = screened_enterprises(ds, rules).take(1);
    for s in graded_sources(ds, grades, rules).chain(first_enterprise) {
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
        let texts = &mut SourceTexts::default();
        conflict_at(s, target_layer, target_pos, id, class, req, texts, p)
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
    let mut texts = SourceTexts::default();
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
            out.extend(measured(s, &within, &mut texts, layer, pos, id, g, class));
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
#[allow(clippy::too_many_arguments)]
fn measured(
    s: &Source<'_>,
    within: &Within<'_>,
    texts: &mut SourceTexts,
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
    (p.distance_m < req).then(|| conflict_at(s, layer, pos, id, class, req, texts, p))
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
    // The id the conflicts it keeps hold already, for those it gains to share.
    let mut texts = SourceTexts {
        id: had.first().map(|c| c.source_id.clone()),
        ..SourceTexts::default()
    };
    let kept = |texts: &mut SourceTexts, c: &ProtectionConflict| {
        let req = required_m(s, c.target_class);
        (c.distance_m < req).then(|| ProtectionConflict {
            required_m: req,
            shortfall_m: req - c.distance_m,
            rule: texts.rule(s, c.target_class),
            ..c.clone()
        })
    };
    let within = Within::new(s.geometry, max_required(s));
    let Some(within) = within.filter(|_| TargetClass::ALL.iter().any(grows)) else {
        // No class requires more (a lower grade), or nothing to measure from (an empty
        // geometry, which meets nothing): what it keeps is a part of what it had.
        return had.iter().filter_map(|c| kept(&mut texts, c)).collect();
    };
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
    let mut candidates = Vec::new();
    read.visit(ds, s, &within, had_one, |layer, pos, id, g, class| {
        if required_m(s, class) > was(class) {
            candidates.push((layer, pos, id, g, class));
        }
    });
    // A chemical park's source regraded has thousands of candidates (one conflict in
    // twenty): measured on the pool in parts of at least `PART_MEASURED`, each part with
    // the same shared texts, made first.
    texts.id(s);
    for &(.., class) in &candidates {
        texts.rule(s, class);
    }
    let mut out: Vec<ProtectionConflict> = candidates
        .par_iter()
        .with_min_len(PART_MEASURED)
        .map_init(
            || texts.clone(),
            |texts, &(layer, pos, id, g, class)| {
                measured(s, &within, texts, layer, pos, id, g, class)
            },
        )
        .flatten()
        .collect();
    out.extend(had.iter().filter_map(|c| kept(&mut texts, c)));
    out
}

/// The fewest candidates of a regraded source measured on one core.
const PART_MEASURED: usize = 512;

/// A conflict of `s` with a target, from their closest pair (measured by the caller).
#[allow(clippy::too_many_arguments)]
fn conflict_at(
    s: &Source<'_>,
    target_layer: LayerKind,
    target_pos: usize,
    target_id: &str,
    class: TargetClass,
    req: f64,
    texts: &mut SourceTexts,
    pair: ClosestPair,
) -> ProtectionConflict {
    let (distance_m, geometry) = drawn(pair);
    ProtectionConflict {
        source_layer: s.layer,
        source_id: texts.id(s),
        source_pos: s.pos,
        target_layer,
        target_id: target_id.to_string(),
        target_pos,
        target_class: class,
        distance_m,
        required_m: req,
        shortfall_m: req - distance_m,
        rule: texts.rule(s, class),
        geometry,
    }
}

/// The texts the conflicts of one source share: its id, and the rule of each class,
/// made at the first conflict that needs them (a chemical park's source has thousands of
/// conflicts, which held a copy of each: about 9 MB for the million-house city).
#[derive(Default, Clone)]
pub(crate) struct SourceTexts {
    id: Option<Text>,
    rules: Vec<(TargetClass, Text)>,
}

impl SourceTexts {
    fn id(&mut self, s: &Source<'_>) -> Text {
        self.id.get_or_insert_with(|| Text::from(s.id)).clone()
    }

    fn rule(&mut self, s: &Source<'_>, class: TargetClass) -> Text {
        if let Some((_, t)) = self.rules.iter().find(|(c, _)| *c == class) {
            return t.clone();
        }
        let t = Text::from(rule_name(s, class));
        self.rules.push((class, t.clone()));
        t
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
#[path = "protection_distance_tests.rs"]
mod tests;
