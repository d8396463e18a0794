//! A hazard source regraded alone: its conflicts replaced in place in the sorted list,
//! and worked out from those it had (`protection_distance::source_conflicts_again`),
//! each batch against a full analysis.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::deps::NearIf;
use super::tests::{assert_same, centre, city, offset, shift};
use super::{AnyFeature, Edit, Live};
use crate::generate::{GenerateOptions, generate, haimen};
use crate::model::{Feature, HazardSource, LayerKind};
use crate::rules::Rules;
use crate::substances::SubstanceTable;
use geo::BoundingRect;

/// The conflicts of source `id`.
fn conflicts_of(live: &Live, id: &str) -> usize {
    live.analysis()
        .protection_conflicts
        .iter()
        .filter(|c| &*c.source_id == id)
        .count()
}

/// A batch that changes hazard sources alone replaces their conflicts in place in the
/// sorted list: every source with conflicts, its inventory cut (its grade and conflicts
/// drop), raised far above (its distances grow), and put back, each batch against a
/// full analysis.
#[test]
fn a_source_regraded_alone_has_its_conflicts_replaced() {
    let mut live = Live::new(city(), SubstanceTable::builtin(), Rules::default()).unwrap();
    let with_conflicts: Vec<String> = live
        .dataset()
        .hazard_sources
        .features()
        .iter()
        .filter(|f| {
            live.analysis()
                .protection_conflicts
                .iter()
                .any(|c| *c.source_id == *f.id)
        })
        .map(|f| f.id.clone())
        .collect();
    assert!(
        !with_conflicts.is_empty(),
        "the city has sources with conflicts"
    );
    let mut replaced = 0;
    for id in &with_conflicts {
        let Some(AnyFeature::HazardSource(original)) = live.feature(LayerKind::HazardSources, id)
        else {
            panic!("source {id}");
        };
        for k in [0.02, 40.0, 1.0] {
            let mut f = original.clone();
            for it in &mut f.props.inventory {
                it.tonnes = (it.tonnes * k).max(0.0);
            }
            let before = live.analysis().protection_conflicts.len();
            live.apply(&[Edit::Put(Box::new(AnyFeature::HazardSource(f)))])
                .expect("applied");
            if live.analysis().protection_conflicts.len() != before {
                replaced += 1;
            }
            assert_same(&live, &format!("{id} × {k}"));
        }
    }
    assert!(replaced > 0, "no batch changed the conflicts");
}

/// A source that stays graded and is regraded up, then down, loses and gains conflicts
/// through the path that keeps the distances it had measured. Three sources each get
/// forty houses moved around them, 60 to 1,000 m away (the distances the grades
/// require lie between), then are regraded in turn, each step against a full
/// analysis; some steps must drop conflicts and some add them while the source keeps
/// some.
#[test]
fn a_regraded_source_keeps_the_distances_it_had_measured() {
    let opts = GenerateOptions {
        seed: 5,
        houses: 600,
        enterprises: 30,
        hazard_sources: 10,
        pipeline_km: 20.0,
        protection_targets: 40,
        hidden_hazards: 0,
    };
    let ds = generate(&opts, &haimen().expect("boundary")).expect("city");
    let mut live = Live::new(ds, SubstanceTable::builtin(), Rules::default()).unwrap();
    let ids: Vec<String> = live
        .dataset()
        .hazard_sources
        .features()
        .iter()
        .take(3)
        .map(|f| f.id.clone())
        .collect();
    for (n, id) in ids.iter().enumerate() {
        let Some(AnyFeature::HazardSource(s)) = live.feature(LayerKind::HazardSources, id) else {
            panic!("source {id}");
        };
        let at = centre(&s.geometry);
        let moves: Vec<Edit> = (0..40)
            .filter_map(|i| {
                let h = live.dataset().houses.features().get(n * 40 + i)?.clone();
                let d = 60.0 + 940.0 * (i as f64) / 39.0;
                let to = offset(at, d, (i as f64) * 2.4);
                let mut h = h;
                h.geometry = shift(&h.geometry, to);
                Some(Edit::Put(Box::new(AnyFeature::House(h))))
            })
            .collect();
        live.apply(&moves).expect("moved");
        assert_same(&live, &format!("houses around {id}"));
    }
    let (mut fewer, mut more) = (0, 0);
    for id in &ids {
        let Some(AnyFeature::HazardSource(original)) = live.feature(LayerKind::HazardSources, id)
        else {
            panic!("source {id}");
        };
        for k in [40.0, 1.0, 0.3, 1.0, 40.0] {
            let mut f = original.clone();
            for it in &mut f.props.inventory {
                it.tonnes = (it.tonnes * k).max(0.0);
            }
            let had = conflicts_of(&live, id);
            live.apply(&[Edit::Put(Box::new(AnyFeature::HazardSource(f)))])
                .expect("applied");
            let has = conflicts_of(&live, id);
            if had > 0 && has > 0 {
                fewer += usize::from(has < had);
                more += usize::from(has > had);
            }
            assert_same(&live, &format!("{id} × {k}"));
        }
    }
    assert!(
        fewer > 0 && more > 0,
        "steps that dropped ({fewer}) and added ({more}) conflicts of a graded source"
    );
}

/// A source whose inventory is corrected in the batch that also moves houses into and
/// out of its population radius (500 m) and changes the occupants of one inside: graded
/// from the population it had and the houses the batch changed, it must come out as a
/// full analysis grades it. Each source of the city in turn, its inventory scaled by
/// 0.5, 3 and back, a batch each with its houses.
#[test]
fn an_inventory_corrected_with_the_houses_around_it_changed() {
    use crate::model::House;
    let mut live = Live::new(city(), SubstanceTable::builtin(), Rules::default()).unwrap();
    let sources: Vec<String> = live
        .dataset()
        .hazard_sources
        .features()
        .iter()
        .map(|f| f.id.clone())
        .collect();
    let mut population_moved = 0;
    for (n, id) in sources.iter().enumerate() {
        let Some(AnyFeature::HazardSource(original)) = live.feature(LayerKind::HazardSources, id)
        else {
            panic!("source {id}");
        };
        let at = centre(&original.geometry);
        // Three houses of the city (others for each source), put 200 m and 2 km away.
        let picked: Vec<crate::model::Feature<House>> = live
            .dataset()
            .houses
            .features()
            .iter()
            .skip(n * 7)
            .take(3)
            .cloned()
            .collect();
        for (step, k) in [0.5, 3.0, 1.0].into_iter().enumerate() {
            let before = live
                .analysis()
                .hazard_grades
                .iter()
                .find(|g| &g.id == id)
                .cloned();
            let mut f = original.clone();
            for it in &mut f.props.inventory {
                it.tonnes *= k;
            }
            let mut batch = vec![Edit::Put(Box::new(AnyFeature::HazardSource(f)))];
            for (i, h) in picked.iter().enumerate() {
                let mut h = h.clone();
                // In turn: inside, then outside, then inside again, with more people.
                let inside = (i + step) % 2 == 0;
                let d = if inside { 200.0 } else { 2000.0 };
                h.geometry = shift(&h.geometry, offset(at, d, 0.7 * i as f64 + 0.3));
                h.props.occupants = Some(5 + 11 * (i + step) as u32);
                batch.push(Edit::Put(Box::new(AnyFeature::House(h))));
            }
            live.apply(&batch).expect("applied");
            assert_same(&live, &format!("{id} × {k} with its houses"));
            let after = live.analysis().hazard_grades.iter().find(|g| &g.id == id);
            if before.map(|g| g.exposed_population) != after.map(|g| g.exposed_population) {
                population_moved += 1;
            }
        }
    }
    assert!(
        population_moved > 10,
        "{population_moved} batches moved a population"
    );
}

/// What its houses give a grid cell is kept between batches and made again only where a
/// batch's houses touch (`risk_grid::live::HousePart`). A cell sums its houses in the
/// order of their positions, and a deleted house's position is taken by the last house:
/// the cells around that house must be summed again. Forty houses are put within 300 m
/// of a graded source (the last forty, so the house that takes a deleted one's place
/// is among them); then, each round, the source is regraded up (its cells recomputed
/// for it alone, from what their houses gave them), the first house is deleted, and the
/// source is regraded back; each batch against a full analysis.
#[test]
fn a_house_that_takes_a_deleted_ones_place_is_summed_in_its_new_place() {
    let mut live = Live::new(city(), SubstanceTable::builtin(), Rules::default()).unwrap();
    let original = first_graded_source(&live);
    let id = original.id.clone();
    let at = centre(&original.geometry);
    let n = live.dataset().houses.len();
    let moves: Vec<Edit> = (n - 40..n)
        .filter_map(|p| {
            let mut h = live.dataset().houses.get(p)?.clone();
            let i = (p + 40 - n) as f64;
            h.geometry = shift(&h.geometry, offset(at, 40.0 + 6.0 * i, i * 2.4));
            Some(Edit::Put(Box::new(AnyFeature::House(h))))
        })
        .collect();
    live.apply(&moves).expect("moved");
    assert_same(&live, &format!("houses around {id}"));
    let regrade = |live: &mut Live, k: f64, step: &str| scaled(live, &original, k, step);
    for round in 0..12 {
        regrade(&mut live, 40.0, &format!("round {round}: {id} × 40"));
        let first = live.dataset().houses.get(0).expect("a house").id.clone();
        live.apply(&[Edit::Delete {
            layer: LayerKind::Houses,
            id: first.clone(),
        }])
        .expect("deleted");
        assert_same(&live, &format!("round {round}: {first} deleted"));
        regrade(&mut live, 1.0, &format!("round {round}: {id} × 1"));
    }
}

/// Where the risk points stand from each grid cell is kept between batches
/// (`risk_grid::live::PointsPart`) and dropped when a batch deletes or moves a hazard
/// source or an enterprise. A graded source is regraded up and down (its cells
/// recomputed from the kept parts, every grid cell keeping its part); then the
/// enterprise nearest it is deleted, so that the last enterprise takes its position,
/// and then moved back in (a new position), each followed by a regrade; each batch
/// against a full analysis, and every part kept equal to one made afresh.
#[test]
fn where_the_risk_points_stand_is_kept_until_one_moves() {
    let mut live = Live::new(city(), SubstanceTable::builtin(), Rules::default()).unwrap();
    let cells = |live: &Live| live.analysis().grid.cells.len();
    let original = first_graded_source(&live);
    let regrade = |live: &mut Live, k: f64, step: &str| scaled(live, &original, k, step);
    assert_eq!(live.grid_points.len(), cells(&live), "made for every cell");
    regrade(&mut live, 40.0, "× 40");
    regrade(&mut live, 1.0, "× 1");
    assert_eq!(
        live.grid_points.len(),
        cells(&live),
        "a regrade keeps every cell's part"
    );

    // The enterprise nearest the source, not the last one (whose position another
    // then takes).
    let at = centre(&original.geometry);
    let ents = &live.dataset().enterprises;
    let last = ents.len() - 1;
    let near = (0..last)
        .filter_map(|p| Some((p, ents.get(p)?)))
        .min_by(|(_, a), (_, b)| {
            let d = |f: &crate::model::Feature<crate::model::Enterprise>| {
                let c = centre(&f.geometry);
                (c.x - at.x).hypot(c.y - at.y)
            };
            d(a).total_cmp(&d(b))
        })
        .map(|(_, f)| f.clone())
        .expect("an enterprise");
    live.apply(&[Edit::Delete {
        layer: LayerKind::Enterprises,
        id: near.id.clone(),
    }])
    .expect("deleted");
    assert_same(&live, &format!("{} deleted", near.id));
    assert!(
        live.grid_points.len() < cells(&live),
        "the parts were dropped"
    );
    regrade(&mut live, 40.0, "× 40 after the delete");
    live.apply(&[Edit::Put(Box::new(AnyFeature::Enterprise(near.clone())))])
        .expect("put back");
    assert_same(&live, &format!("{} put back", near.id));
    regrade(&mut live, 1.0, "× 1 after it came back");
}

/// The first hazard source with a grade.
fn first_graded_source(live: &Live) -> Feature<HazardSource> {
    (0..live.dataset().hazard_sources.len())
        .find(|&p| {
            live.analysis()
                .hazard_grades
                .get(p)
                .is_some_and(|g| g.grade.is_some())
        })
        .and_then(|p| live.dataset().hazard_sources.get(p))
        .cloned()
        .expect("a graded source")
}

/// `source` with its inventory scaled by `k`, applied and checked against a full
/// analysis; some cell must have been recomputed.
fn scaled(live: &mut Live, source: &Feature<HazardSource>, k: f64, step: &str) {
    let mut f = source.clone();
    for it in &mut f.props.inventory {
        it.tonnes = (it.tonnes * k).max(0.0);
    }
    let applied = live
        .apply(&[Edit::Put(Box::new(AnyFeature::HazardSource(f)))])
        .expect("applied");
    assert!(applied.recomputed.cells > 0, "{step}: no cell recomputed");
    assert_same(live, step);
}

/// The houses a batch assesses again find their exposure in the ranges of the sources
/// near them (read through, or searched per house where a source's run of houses is
/// long), or in the whole list when there are many: the same in every way, for a few
/// houses and for every house with a conflict, and the same as a full analysis's.
#[test]
fn houses_find_their_conflicts_near_them_as_in_the_whole_list() {
    let live = dense_city();
    let an = live.analysis();
    let exposed: std::collections::BTreeSet<usize> = an
        .protection_conflicts
        .iter()
        .filter(|c| c.target_layer == LayerKind::Houses)
        .map(|c| c.target_pos)
        .collect();
    assert!(exposed.len() > 50, "the city has exposed houses");
    // A source whose run of houses is long enough to be searched for three houses.
    let mut runs: std::collections::HashMap<(LayerKind, usize), usize> = Default::default();
    for c in an
        .protection_conflicts
        .iter()
        .filter(|c| c.target_layer == LayerKind::Houses)
    {
        *runs.entry((c.source_layer, c.source_pos)).or_default() += 1;
    }
    let longest = runs.values().copied().max().unwrap_or(0);
    assert!(
        super::conflicts::worth_searching(longest, 3),
        "longest run {longest}"
    );
    let few: std::collections::BTreeSet<usize> =
        exposed.iter().copied().step_by(41).take(3).collect();
    // And some houses with no conflict beside them.
    let mut all = exposed.clone();
    all.extend((0..live.dataset().houses.len()).step_by(13));
    for set in [&few, &all] {
        let near = live.exposure_of(
            set,
            None,
            NearIf {
                houses: usize::MAX,
                spread: f64::INFINITY,
                sources: usize::MAX,
            },
        );
        let whole = live.exposure_of(
            set,
            None,
            NearIf {
                houses: 0,
                spread: 0.0,
                sources: 0,
            },
        );
        assert_eq!(near, whole, "{} houses", set.len());
        assert_eq!(near.len(), set.len());
        // As a full analysis finds it: the worst shortfall among the house's conflicts.
        for (&p, e) in &near {
            let worst = an
                .protection_conflicts
                .iter()
                .filter(|c| c.target_layer == LayerKind::Houses && c.target_pos == p)
                .map(|c| c.shortfall_m)
                .reduce(f64::max);
            assert_eq!(e.hazard_shortfall_m, worst, "house at {p}");
        }
        // Every conflict of the houses, not only the worst, in the ranges of the sources
        // near them; for the three, some of those ranges are searched.
        let around = set
            .iter()
            .filter_map(|&p| live.dataset().houses.get(p)?.geometry.bounding_rect())
            .reduce(|a, b| crate::dataset::union_rect(&a, &b))
            .map(geo::Geometry::Rect);
        let sources = live.sources_near(around.as_ref(), live.protection_reach());
        let marks = super::marks::Marks::of(set.iter().map(|p| (LayerKind::Houses, *p)));
        let key =
            |c: &crate::analysis::ProtectionConflict| (c.source_layer, c.source_pos, c.target_pos);
        let mut found: Vec<_> =
            super::conflicts::of_houses_in(&an.protection_conflicts, &sources, set, &marks)
                .map(key)
                .collect();
        found.sort_unstable();
        let mut all: Vec<_> = an
            .protection_conflicts
            .iter()
            .filter(|c| c.target_layer == LayerKind::Houses && set.contains(&c.target_pos))
            .map(key)
            .collect();
        all.sort_unstable();
        assert_eq!(found, all, "{} houses", set.len());
        if set.len() == few.len() {
            let searched = sources.iter().any(|&(l, p)| {
                let run = an
                    .protection_conflicts
                    .iter()
                    .filter(|c| {
                        (c.source_layer, c.source_pos) == (l, p)
                            && c.target_layer == LayerKind::Houses
                    })
                    .count();
                super::conflicts::worth_searching(run, few.len())
            });
            assert!(searched, "no run near the three houses is searched");
        }
    }
}

/// A generated city with houses enough for sources with long runs of them.
fn dense_city() -> Live {
    let opts = GenerateOptions {
        seed: 3,
        houses: 30_000,
        enterprises: 40,
        hazard_sources: 12,
        pipeline_km: 10.0,
        protection_targets: 30,
        hidden_hazards: 0,
    };
    let ds = generate(&opts, &haimen().expect("boundary")).expect("city");
    Live::new(ds, SubstanceTable::builtin(), Rules::default()).unwrap()
}

/// A source regraded in its place keeps one id text for all its conflicts, those it
/// keeps and those it gains.
#[test]
fn a_regraded_sources_conflicts_share_its_id() {
    let mut live = dense_city();
    // The hazard source with the most conflicts, its inventory tripled: it keeps those
    // and gains more.
    let conflicts = |live: &Live, id: &str| {
        live.analysis()
            .protection_conflicts
            .iter()
            .filter(|c| &*c.source_id == id)
            .count()
    };
    let source = live
        .dataset()
        .hazard_sources
        .features()
        .iter()
        .max_by_key(|f| conflicts(&live, &f.id))
        .cloned()
        .expect("a source");
    let before = conflicts(&live, &source.id);
    assert!(before > 0, "no source has conflicts");
    let mut f = source.clone();
    for it in &mut f.props.inventory {
        it.tonnes *= 3.0;
    }
    live.apply(&[Edit::Put(Box::new(AnyFeature::HazardSource(f)))])
        .expect("applied");
    assert_same(&live, "× 3");
    let ids: Vec<&crate::model::Text> = live
        .analysis()
        .protection_conflicts
        .iter()
        .filter(|c| *c.source_id == *source.id)
        .map(|c| &c.source_id)
        .collect();
    assert!(
        ids.len() > before,
        "{} kept {before} and gained none",
        source.id
    );
    assert!(
        ids.iter().all(|t| std::sync::Arc::ptr_eq(t, ids[0])),
        "the conflicts of {} hold more than one id text",
        source.id
    );
}
