//! Hazard sources whose exposed population changed only through the houses a batch
//! changed, and those edited where they stand (their inventory, say): graded again from
//! their population before the batch, plus the occupants of the changed houses now
//! within the radius, minus those that were, instead of counting every house around
//! them again. The count is the same sum as
//! [`grade_one`]'s: each house is tested with [`Within`], the test
//! [`Layer::positions_within`](crate::layer::Layer::positions_within) applies.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use rayon::prelude::*;

use super::deps::near;
use super::{AnyFeature, Change, Live};
use crate::analysis::HazardGradeResult;
use crate::analysis::hazard_grade::{grade_exposed, grade_one, target_population};
use crate::layer::Within;
use crate::model::{Feature, HazardSource, House};

/// A changed house before and after the batch.
type HouseChange<'a> = (Option<&'a Feature<House>>, Option<&'a Feature<House>>);

/// A hazard source edited where it stands: before and after, with the same geometry.
pub(super) fn source_in_place(
    c: &Change,
) -> Option<(&Feature<HazardSource>, &Feature<HazardSource>)> {
    match (&c.before, &c.after) {
        (Some(AnyFeature::HazardSource(b)), Some(AnyFeature::HazardSource(a)))
            if b.geometry == a.geometry =>
        {
            Some((b, a))
        }
        _ => None,
    }
}

fn house(f: &Option<AnyFeature>) -> Option<&Feature<House>> {
    match f {
        Some(AnyFeature::House(h)) => Some(h),
        _ => None,
    }
}

impl Live {
    /// New grades of the hazard sources at `changed` (changed themselves, or moved) and
    /// `near_targets` (near a changed protection target), counted from scratch, and of
    /// every other source near a changed house (its house population brought up to
    /// date), in position order. A source changed where it stands (an inventory
    /// corrected) and near no changed target keeps its population but for the changed
    /// houses near it, and is graded as those are when houses' occupants count: counting
    /// the thousands of houses within the radius of a source in a chemical park again was
    /// most of such a batch.
    pub(super) fn regrade(
        &self,
        changed: &BTreeSet<usize>,
        near_targets: &BTreeSet<usize>,
        changes: &[Change],
    ) -> Vec<(usize, HazardGradeResult)> {
        let (ds, subs, rules) = (&self.ds, &self.substances, &self.rules);
        let radius = rules.hazard.population_radius_m;
        let houses: Vec<HouseChange> = changes
            .iter()
            .map(|c| (house(&c.before), house(&c.after)))
            .filter(|(b, a)| b.is_some() || a.is_some())
            .collect();
        let in_place: HashSet<&str> = changes
            .iter()
            .filter(|c| source_in_place(c).is_some())
            .map(|c| c.id.as_str())
            .collect();
        let mut by_source: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        let mut full: BTreeSet<usize> = near_targets.clone();
        for &p in changed {
            let stays = ds
                .hazard_sources
                .get(p)
                .is_some_and(|f| in_place.contains(f.id.as_str()));
            if stays && rules.hazard.count_house_occupants && !near_targets.contains(&p) {
                by_source.insert(p, Vec::new());
            } else {
                full.insert(p);
            }
        }
        // The changed houses near each other source, by source.
        if rules.hazard.count_house_occupants {
            for (i, (b, a)) in houses.iter().enumerate() {
                for h in b.iter().chain(a) {
                    for p in near(&ds.hazard_sources, &h.geometry, radius) {
                        if full.contains(&p) {
                            continue;
                        }
                        let near_p = by_source.entry(p).or_default();
                        if near_p.last() != Some(&i) {
                            near_p.push(i);
                        }
                    }
                }
            }
        }
        let by_houses = |p: usize, near_p: &[usize]| -> Option<HazardGradeResult> {
            let f = ds.hazard_sources.get(p)?;
            // (A guard: the results follow the layer's positions, so this is its own.)
            let old = self
                .analysis
                .hazard_grades
                .get(p)
                .filter(|g| g.id == f.id)?;
            let w = Within::new(&f.geometry, radius)?;
            // Protection targets did not change near this source: counted again only to
            // split the old population into targets and houses, as the reasons give it.
            let targets = target_population(ds, f, rules);
            let occupants = |h: Option<&Feature<House>>| {
                h.filter(|h| w.holds(&h.geometry))
                    .map_or(0, |h| u64::from(h.props.occupants.unwrap_or(0)))
            };
            let mut in_houses = old.exposed_population.checked_sub(targets)?;
            for &i in near_p {
                let (b, a) = houses.get(i)?;
                in_houses = in_houses
                    .checked_add(occupants(*a))?
                    .checked_sub(occupants(*b))?;
            }
            Some(grade_exposed(f, targets, in_houses, subs, rules))
        };
        let mut work: Vec<(usize, Option<&[usize]>)> = full.iter().map(|&p| (p, None)).collect();
        work.extend(by_source.iter().map(|(&p, v)| (p, Some(v.as_slice()))));
        work.sort_unstable_by_key(|(p, _)| *p);
        work.par_iter()
            .filter_map(|&(p, near_p)| {
                let f = ds.hazard_sources.get(p)?;
                // A source whose old result does not add up (it cannot happen while the
                // invariant holds) is counted from scratch rather than trusted.
                let g = near_p
                    .and_then(|v| by_houses(p, v))
                    .unwrap_or_else(|| grade_one(ds, f, subs, rules));
                Some((p, g))
            })
            .collect()
    }
}
