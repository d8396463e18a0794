//! The conflicts a batch can change, found again: those of the changed sources with every
//! target and of the changed targets with every other source (protection distances), and
//! those of the changed pipes and footprints (pipeline clearances); then what went and
//! came, apart from positions.

use std::collections::{BTreeSet, HashMap};

use geo::{BoundingRect, Intersects};
use rayon::prelude::*;

use super::Live;
use super::deps::near;
use super::marks::Marks;
use crate::analysis::{
    HazardGradeResult, PipelineConflict, ProtectionConflict, pipeline_clearance,
    protection_distance,
};
use crate::geodesy::expand_rect_m;
use crate::model::LayerKind;

impl Live {
    /// The farthest any source reaches now, for any class: a target farther than this
    /// from every source has no protection conflict.
    pub(super) fn protection_reach(&self) -> f64 {
        protection_distance::max_reach(&self.ds, &self.analysis.hazard_grades, &self.rules)
    }

    /// The sources (hazard sources and enterprises, in the conflict list's order) whose
    /// box lies within their own reach of any of `places`, found among those within
    /// `reach` ([`Live::protection_reach`]): every source that can have a conflict with a
    /// target there (a source of one grade does not reach as far as the farthest).
    pub(super) fn sources_near<'g>(
        &self,
        places: impl IntoIterator<Item = &'g geo::Geometry<f64>>,
        reach: f64,
    ) -> BTreeSet<(LayerKind, usize)> {
        let (ds, rules) = (&self.ds, &self.rules);
        let grades = &self.analysis.hazard_grades;
        let mut out = BTreeSet::new();
        for g in places {
            let Some(at) = g.bounding_rect() else {
                continue;
            };
            let within = |s: Option<protection_distance::Source<'_>>, b: Option<geo::Rect<f64>>| {
                s.zip(b).is_some_and(|(s, b)| {
                    expand_rect_m(at, s.reach_m() * 1.01 + 1.0).intersects(&b)
                })
            };
            out.extend(
                near(&ds.hazard_sources, g, reach)
                    .into_iter()
                    .filter(|&p| {
                        let s = grades
                            .get(p)
                            .and_then(|gr| protection_distance::hazard_source(ds, p, gr, rules));
                        within(
                            s,
                            ds.hazard_sources
                                .get(p)
                                .and_then(|f| f.geometry.bounding_rect()),
                        )
                    })
                    .map(|p| (LayerKind::HazardSources, p)),
            );
            out.extend(
                near(&ds.enterprises, g, reach)
                    .into_iter()
                    .filter(|&p| {
                        let s = protection_distance::enterprise(ds, p, rules);
                        within(
                            s,
                            ds.enterprises
                                .get(p)
                                .and_then(|f| f.geometry.bounding_rect()),
                        )
                    })
                    .map(|p| (LayerKind::Enterprises, p)),
            );
        }
        out
    }

    /// Conflicts of the sources in `s_set` with every target, and of the targets in
    /// `t_set` with every source not in `s_set`; `reach`: [`Live::protection_reach`]
    /// (read only when there are targets). `regraded`: hazard sources in `s_set` whose
    /// grade alone changed, with the result they had, while no target changed and no
    /// position moved: their conflicts are worked out from those they had in the list
    /// ([`protection_distance::source_conflicts_again`]).
    pub(super) fn protection_added(
        &self,
        s_set: &BTreeSet<(LayerKind, usize)>,
        t_set: &BTreeSet<(LayerKind, usize)>,
        reach: f64,
        regraded: &HashMap<usize, &HazardGradeResult>,
    ) -> Vec<ProtectionConflict> {
        let (ds, an, rules) = (&self.ds, &self.analysis, &self.rules);
        // Sets hold hazard sources and enterprises only.
        let source = |(layer, pos): (LayerKind, usize)| {
            if layer == LayerKind::HazardSources {
                an.hazard_grades
                    .get(pos)
                    .and_then(|g| protection_distance::hazard_source(ds, pos, g, rules))
            } else {
                protection_distance::enterprise(ds, pos, rules)
            }
        };
        let list = &an.protection_conflicts;
        let mut out: Vec<ProtectionConflict> = s_set
            .par_iter()
            .filter_map(|k| source(*k).map(|s| (*k, s)))
            .flat_map_iter(|((layer, pos), s)| {
                let tc = &an.target_classes;
                match regraded
                    .get(&pos)
                    .filter(|_| layer == LayerKind::HazardSources)
                {
                    Some(g) => {
                        let before = protection_distance::hazard_source(ds, pos, g, rules);
                        let had = &list[source_range(list, (layer, pos))];
                        protection_distance::source_conflicts_again(
                            ds,
                            &s,
                            before.as_ref(),
                            had,
                            tc,
                            rules,
                        )
                    }
                    None => protection_distance::source_conflicts(ds, &s, tc, rules),
                }
            })
            .collect();
        if t_set.is_empty() {
            return out;
        }
        // Each target on its own, side by side; the list is sorted by the caller.
        let per_target: Vec<Vec<ProtectionConflict>> = t_set
            .par_iter()
            .map(|&(tl, tp)| {
                let mut found = Vec::new();
                let Some(g) = self.geometry_at(tl, tp) else {
                    return found;
                };
                let mut cands: Vec<(LayerKind, usize)> = near(&ds.hazard_sources, g, reach)
                    .into_iter()
                    .map(|p| (LayerKind::HazardSources, p))
                    .chain(
                        near(&ds.enterprises, g, reach)
                            .into_iter()
                            .map(|p| (LayerKind::Enterprises, p)),
                    )
                    .filter(|k| !s_set.contains(k))
                    .collect();
                cands.sort_unstable();
                for k in cands {
                    if let Some(s) = source(k)
                        && let Some(c) = protection_distance::pair_conflict(
                            ds,
                            &s,
                            tl,
                            tp,
                            &an.target_classes,
                            rules,
                        )
                    {
                        found.push(c);
                    }
                }
                found
            })
            .collect();
        out.extend(per_target.into_iter().flatten());
        out
    }

    /// The regraded hazard sources (`regraded`, with the results they had in
    /// `grade_changed`) whose conflicts can be worked out from those they had: each in
    /// its place with its QRA distances (`same_place`, by id) and its id, in a batch that
    /// changed no target (`t_set` empty) and moved no position.
    pub(super) fn regraded_in_place<'g>(
        &self,
        grade_changed: &'g [(usize, Option<HazardGradeResult>)],
        regraded: &BTreeSet<usize>,
        same_place: &std::collections::HashSet<&str>,
        t_set: &BTreeSet<(LayerKind, usize)>,
        a1: &super::apply::Applied1,
    ) -> HashMap<usize, &'g HazardGradeResult> {
        if !t_set.is_empty() || a1.rekeyed_protection {
            return HashMap::new();
        }
        grade_changed
            .iter()
            .filter(|(p, _)| regraded.contains(p))
            .filter_map(|(p, old)| {
                let old = old.as_ref()?;
                let now = self.analysis.hazard_grades.get(*p)?;
                (now.id == old.id && same_place.contains(now.id.as_str())).then_some((*p, old))
            })
            .collect()
    }

    /// Conflicts of the pipes in `pipes` with everything, and of the footprints in
    /// `f_set` with every other pipe.
    pub(super) fn pipeline_added(
        &self,
        pipes: &BTreeSet<usize>,
        f_set: &BTreeSet<(LayerKind, usize)>,
    ) -> Vec<PipelineConflict> {
        let (ds, rules) = (&self.ds, &self.rules);
        let mut out: Vec<PipelineConflict> = pipes
            .par_iter()
            .flat_map_iter(|&p| pipeline_clearance::pipe_conflicts(ds, p, rules))
            .collect();
        let reach = pipeline_clearance::max_reach(rules);
        for &(layer, pos) in f_set {
            let Some(g) = self.geometry_at(layer, pos) else {
                continue;
            };
            let mut cands = near(&ds.gas_pipelines, g, reach);
            cands.sort_unstable();
            for p in cands.into_iter().filter(|p| !pipes.contains(p)) {
                if let Some(c) = pipeline_clearance::pair_conflict(ds, p, layer, pos, rules) {
                    out.push(c);
                }
            }
        }
        out
    }
}

pub(super) fn protection_key(c: &ProtectionConflict) -> (LayerKind, &str, LayerKind, &str) {
    (c.source_layer, &c.source_id, c.target_layer, &c.target_id)
}

pub(super) fn pipeline_key(c: &PipelineConflict) -> (&str, LayerKind, &str) {
    (&c.pipeline_id, c.layer, &c.feature_id)
}

/// The conflicts that went and came, leaving out those that came back unchanged (apart
/// from positions). Keys borrow their ids, and a conflict is copied only where it went or
/// came (a regraded source in a chemical park has thousands of conflicts).
pub(super) fn diff<'a, C: Clone + PartialEq + Positions, K: Eq + std::hash::Hash>(
    removed: &'a [C],
    added: &'a [C],
    key: impl Fn(&'a C) -> K,
) -> (Vec<C>, Vec<C>) {
    let same = |a: &C, b: &C| {
        a == b || {
            let (mut a, mut b) = (a.clone(), b.clone());
            a.clear_positions();
            b.clear_positions();
            a == b
        }
    };
    let before: HashMap<K, &C> = removed.iter().map(|c| (key(c), c)).collect();
    let after: HashMap<K, &C> = added.iter().map(|c| (key(c), c)).collect();
    let gone = removed
        .iter()
        .filter(|c| !after.get(&key(c)).is_some_and(|a| same(a, c)))
        .cloned()
        .collect();
    let new = added
        .iter()
        .filter(|c| !before.get(&key(c)).is_some_and(|b| same(b, c)))
        .cloned()
        .collect();
    (gone, new)
}

/// Boxes, in tile layer `layer`, the conflicts that went and came whose drawing changed:
/// one that went and came back with the same geometry and the same `drawn` figure (its
/// level) looks the same in every tile; the others are boxed where they were and are.
pub(super) fn box_drawn<'a, C, K: Eq + std::hash::Hash, D: PartialEq>(
    dirty: &mut super::deps::Dirty,
    layer: LayerKind,
    gone: &'a [C],
    came: &'a [C],
    key: impl Fn(&'a C) -> K,
    geometry: impl Fn(&C) -> &geo::Geometry<f64>,
    drawn: impl Fn(&C) -> D,
) {
    let before: HashMap<K, &C> = gone.iter().map(|c| (key(c), c)).collect();
    let mut same: std::collections::HashSet<K> = std::collections::HashSet::new();
    for c in came {
        let k = key(c);
        match before.get(&k) {
            Some(b) if geometry(b) == geometry(c) && drawn(b) == drawn(c) => {
                same.insert(k);
            }
            _ => super::deps::push_box(dirty, layer, geometry(c)),
        }
    }
    for c in gone {
        if !same.contains(&key(c)) {
            super::deps::push_box(dirty, layer, geometry(c));
        }
    }
}

/// A result that names features by position as well as by id.
pub(super) trait Positions {
    fn clear_positions(&mut self);
}

impl Positions for ProtectionConflict {
    fn clear_positions(&mut self) {
        self.source_pos = 0;
        self.target_pos = 0;
    }
}

impl Positions for PipelineConflict {
    fn clear_positions(&mut self) {
        self.pipeline_pos = 0;
        self.feature_pos = 0;
    }
}

/// Where each source's conflicts are in the sorted list (by source, then target): one
/// range per source of `sources`, in order, found by binary search.
pub(super) fn source_ranges(
    list: &[ProtectionConflict],
    sources: &BTreeSet<(LayerKind, usize)>,
) -> Vec<std::ops::Range<usize>> {
    sources.iter().map(|&k| source_range(list, k)).collect()
}

/// Where one source's conflicts are in the sorted list.
fn source_range(list: &[ProtectionConflict], k: (LayerKind, usize)) -> std::ops::Range<usize> {
    let key = |c: &ProtectionConflict| (c.source_layer, c.source_pos);
    list.partition_point(|c| key(c) < k)..list.partition_point(|c| key(c) <= k)
}

/// The conflicts of `sources` in the sorted list, in its order.
pub(super) fn of_sources<'l>(
    list: &'l [ProtectionConflict],
    sources: &BTreeSet<(LayerKind, usize)>,
) -> impl Iterator<Item = &'l ProtectionConflict> + Clone {
    source_ranges(list, sources)
        .into_iter()
        .flat_map(move |r| &list[r])
}

/// The conflicts of `sources` in the sorted list with the houses at `houses` (`marked`
/// must mark exactly those), source by source. A source's conflicts are sorted by target, so a long run of
/// its houses (a chemical park's source has thousands) is searched for each of a few
/// houses rather than read through: a regraded source's houses assessed again read the
/// ranges of every source near them, some 10⁴ conflicts.
pub(super) fn of_houses_in<'l>(
    list: &'l [ProtectionConflict],
    sources: &BTreeSet<(LayerKind, usize)>,
    houses: &'l BTreeSet<usize>,
    marked: &'l Marks,
) -> impl Iterator<Item = &'l ProtectionConflict> {
    debug_assert!(houses.iter().all(|&p| marked.has(LayerKind::Houses, p)));
    let target = |c: &ProtectionConflict| (c.target_layer, c.target_pos);
    source_ranges(list, sources).into_iter().flat_map(move |r| {
        let of_source = &list[r];
        let first = of_source.partition_point(|c| c.target_layer < LayerKind::Houses);
        let after = &of_source[first..];
        let run = &after[..after.partition_point(|c| c.target_layer == LayerKind::Houses)];
        let (searched, read) = if worth_searching(run.len(), houses.len()) {
            (Some(run), None)
        } else {
            (None, Some(run))
        };
        let found = searched.into_iter().flat_map(move |run| {
            houses.iter().flat_map(move |&p| {
                let at = run.partition_point(|c| target(c) < (LayerKind::Houses, p));
                run[at..].iter().take_while(move |c| c.target_pos == p)
            })
        });
        let all = read
            .into_iter()
            .flat_map(|run| run.iter())
            .filter(|c| marked.has(LayerKind::Houses, c.target_pos));
        found.chain(all)
    })
}

/// Whether a source's run of `run` conflicts with houses is searched for each of
/// `houses` houses rather than read through ([`of_houses_in`]): searching costs some
/// log₂(run) reads a house, reading through one a conflict.
pub(super) fn worth_searching(run: usize, houses: usize) -> bool {
    run > houses * (usize::BITS - run.leading_zeros()) as usize
}

/// Replaces the conflicts of `sources` in the sorted list by `added` (sorted the same
/// way, and all of them conflicts of those sources), keeping the list sorted; those
/// taken out go to `removed`. Each source's range is spliced in place, from the back, so
/// the list is neither scanned nor sorted again: a batch that re-grades one source moves
/// the conflicts after its range once.
pub(super) fn replace_sources(
    list: &mut Vec<ProtectionConflict>,
    sources: &BTreeSet<(LayerKind, usize)>,
    added: &[ProtectionConflict],
    removed: &mut Vec<ProtectionConflict>,
) {
    let ranges = source_ranges(list, sources);
    for (&k, range) in sources.iter().zip(ranges).rev() {
        let new = &added[source_range(added, k)];
        removed.extend(list.splice(range, new.iter().cloned()));
    }
}

/// Replaces the conflicts that `gone` picks in the ranges of `sources` in the sorted
/// list by `added` (sorted the same way, each a conflict of one of `sources`), keeping
/// the list sorted; those taken out go to `removed`. Every conflict `gone` picks must lie
/// in those ranges. Each range is rewritten in place, from the back: what it keeps moves
/// to its front, what it gains takes the places of what it loses, and the conflicts
/// after it move only when its count changes. A batch of a few targets (a house moved)
/// thus neither scans nor sorts the list of 10⁵, which a pass and a sort of conflicts
/// of some 170 bytes each made the larger part of such a batch.
pub(super) fn replace_where(
    list: &mut Vec<ProtectionConflict>,
    sources: &BTreeSet<(LayerKind, usize)>,
    gone: impl Fn(&ProtectionConflict) -> bool,
    added: &[ProtectionConflict],
    removed: &mut Vec<ProtectionConflict>,
) {
    let key = |c: &ProtectionConflict| (c.source_layer, c.source_pos);
    // The callers' promise, checked where tests run: nothing `gone` picks lies elsewhere.
    debug_assert!(
        list.iter()
            .filter(|c| !sources.contains(&key(c)))
            .all(|c| !gone(c)),
        "a conflict to replace outside the ranges of the sources named"
    );
    let ranges = source_ranges(list, sources);
    for (&k, range) in sources.iter().zip(ranges).rev() {
        let new = &added[source_range(added, k)];
        let (start, end) = (range.start, range.end);
        // What the range keeps, to its front and in order.
        let mut kept = start;
        for i in start..end {
            if !gone(&list[i]) {
                list.swap(kept, i);
                kept += 1;
            }
        }
        if kept == end && new.is_empty() {
            continue;
        }
        let mut new = new.iter();
        let mut last = end;
        for slot in kept..end {
            match new.next() {
                Some(c) => removed.push(std::mem::replace(&mut list[slot], c.clone())),
                None => {
                    removed.extend(list.drain(slot..end));
                    last = slot;
                    break;
                }
            }
        }
        let more: Vec<ProtectionConflict> = new.cloned().collect();
        if !more.is_empty() {
            last = end + more.len();
            list.splice(end..end, more);
        }
        // The kept and the new, each in order: merged.
        protection_distance::sort(&mut list[start..last]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::pipeline_clearance::PipelineConflictKind;
    use crate::model::PressureClass;

    fn pc(pipe: &str, house: &str, pos: usize, distance_m: f64) -> PipelineConflict {
        PipelineConflict {
            pipeline_id: pipe.into(),
            pipeline_pos: pos,
            pressure_class: PressureClass::Low,
            layer: LayerKind::Houses,
            feature_id: house.into(),
            feature_pos: pos + 1,
            distance_m,
            clearance_m: 1.0,
            protection_range_m: 0.5,
            kind: PipelineConflictKind::TooClose,
            rule: "rule".into(),
            geometry: geo::Geometry::Point(geo::Point::new(121.0, 31.0)),
        }
    }

    /// Source `s` (a hazard source) and house `t`, `d` metres apart.
    fn prot(s: usize, t: usize, d: f64) -> ProtectionConflict {
        ProtectionConflict {
            source_layer: LayerKind::HazardSources,
            source_id: format!("hs-{s}").into(),
            source_pos: s,
            target_layer: LayerKind::Houses,
            target_id: format!("house-{t}"),
            target_pos: t,
            target_class: crate::model::TargetClass::General3,
            distance_m: d,
            required_m: 100.0,
            shortfall_m: 100.0 - d,
            rule: "rule".into(),
            geometry: geo::Geometry::Point(geo::Point::new(121.0, 31.0)),
        }
    }

    #[test]
    fn replace_where_rewrites_the_ranges_of_the_sources_named() {
        // Sources 1, 2, 4 and 6 with their houses; houses 7 and 8 changed. In source 1's
        // range house 7 is measured again (one out, one in); source 2 loses house 8 and
        // gains none (the range shrinks); source 3, without conflicts, gains house 7;
        // source 4 loses house 7 and gains houses 7 and 8 (it grows by one); source 5
        // loses houses 7 and 8 and gains house 8 again, farther; source 6 is not named
        // (nor picked), and its conflict with house 8 stays.
        let list0 = vec![
            prot(1, 2, 10.0),
            prot(1, 7, 20.0),
            prot(1, 9, 30.0),
            prot(2, 8, 40.0),
            prot(2, 9, 50.0),
            prot(4, 1, 60.0),
            prot(4, 7, 70.0),
            prot(5, 3, 71.0),
            prot(5, 7, 72.0),
            prot(5, 8, 73.0),
            prot(6, 8, 80.0),
        ];
        let added = [
            prot(1, 7, 25.0),
            prot(3, 7, 35.0),
            prot(4, 7, 75.0),
            prot(4, 8, 85.0),
            prot(5, 8, 78.0),
        ];
        let named: BTreeSet<(LayerKind, usize)> = [1, 2, 3, 4, 5]
            .into_iter()
            .map(|s| (LayerKind::HazardSources, s))
            .collect();
        let mut list = list0.clone();
        let mut removed = Vec::new();
        replace_where(
            &mut list,
            &named,
            |c| matches!(c.target_pos, 7 | 8) && c.source_pos <= 5,
            &added,
            &mut removed,
        );
        let pairs = |v: &[ProtectionConflict]| -> Vec<(usize, usize, f64)> {
            v.iter()
                .map(|c| (c.source_pos, c.target_pos, c.distance_m))
                .collect()
        };
        assert_eq!(
            pairs(&list),
            [
                (1, 2, 10.0),
                (1, 7, 25.0),
                (1, 9, 30.0),
                (2, 9, 50.0),
                (3, 7, 35.0),
                (4, 1, 60.0),
                (4, 7, 75.0),
                (4, 8, 85.0),
                (5, 3, 71.0),
                (5, 8, 78.0),
                (6, 8, 80.0),
            ]
        );
        let mut gone = pairs(&removed);
        gone.sort_by(|a, b| a.partial_cmp(b).unwrap());
        assert_eq!(
            gone,
            [
                (1, 7, 20.0),
                (2, 8, 40.0),
                (4, 7, 70.0),
                (5, 7, 72.0),
                (5, 8, 73.0)
            ]
        );
    }

    #[test]
    fn diff_leaves_out_what_came_back_the_same_apart_from_positions() {
        // p1–a came back at other positions; p1–b came back nearer; p2–c went; p2–d came.
        let removed = [
            pc("p1", "a", 3, 0.6),
            pc("p1", "b", 4, 0.7),
            pc("p2", "c", 5, 0.2),
        ];
        let added = [
            pc("p1", "a", 9, 0.6),
            pc("p1", "b", 4, 0.4),
            pc("p2", "d", 6, 0.3),
        ];
        let (gone, new) = diff(&removed, &added, pipeline_key);
        let ids = |v: &[PipelineConflict]| -> Vec<(String, f64)> {
            v.iter()
                .map(|c| (c.feature_id.clone(), c.distance_m))
                .collect()
        };
        assert_eq!(ids(&gone), [("b".into(), 0.7), ("c".into(), 0.2)]);
        assert_eq!(ids(&new), [("b".into(), 0.4), ("d".into(), 0.3)]);
    }
}
