//! The invariant of the living map: after any sequence of batches, the incremental state
//! equals a full analysis of the final data, field by field. Random edit sequences on a
//! generated city, aimed at the thresholds (houses moved across a hazard source's 500 m
//! and protection distances and onto pipes, inventories scaled across the grade limits,
//! deletes and re-inserts of the same id, hidden hazards that change step, deadline or
//! owner).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use geo::{Centroid, Coord, Geometry, Translate};
use proptest::prelude::*;

use super::tests_drawn::tile_follows;
use super::tests_follow::{assert_hazards_follow, hazards_at_their_features};
use super::{AnyFeature, Edit, Live};
use crate::analysis::{Analysis, analyze};
use crate::dataset::{Dataset, Layer};
use crate::generate::{GenerateOptions, generate, haimen};
use crate::model::{
    Appraisal, Feature, HiddenHazard, HiddenHazardStatus, House, HouseUse, Industry, LayerKind,
    SourceRef, TargetKind,
};
use crate::rules::Rules;
use crate::substances::SubstanceTable;

pub(super) fn city() -> Dataset {
    let opts = GenerateOptions {
        seed: 11,
        houses: 1500,
        enterprises: 40,
        hazard_sources: 12,
        pipeline_km: 25.0,
        protection_targets: 30,
        hidden_hazards: 150,
    };
    generate(&opts, &haimen().expect("boundary")).expect("city")
}

/// The dataset rebuilt from the live one's features, in the same order, with fresh
/// R-trees, and analysed from nothing.
fn full(live: &Live) -> Analysis {
    let d = live.dataset();
    let ds = Dataset {
        areas: Layer::new(LayerKind::Areas, d.areas.features().to_vec()),
        enterprises: Layer::new(LayerKind::Enterprises, d.enterprises.features().to_vec()),
        hazard_sources: Layer::new(
            LayerKind::HazardSources,
            d.hazard_sources.features().to_vec(),
        ),
        gas_pipelines: Layer::new(LayerKind::GasPipelines, d.gas_pipelines.features().to_vec()),
        houses: Layer::new(LayerKind::Houses, d.houses.features().to_vec()),
        protection_targets: Layer::new(
            LayerKind::ProtectionTargets,
            d.protection_targets.features().to_vec(),
        ),
        hidden_hazards: Layer::new(
            LayerKind::HiddenHazards,
            d.hidden_hazards.features().to_vec(),
        ),
    };
    analyze(&ds, &SubstanceTable::builtin(), live.rules()).unwrap()
}

pub(super) fn assert_same(live: &Live, step: &str) {
    let want = full(live);
    let got = live.analysis();
    assert_eq!(
        got.target_classes, want.target_classes,
        "{step}: target classes"
    );
    for (g, w) in got.hazard_grades.iter().zip(&want.hazard_grades) {
        assert_eq!(g, w, "{step}: hazard grade of {}", w.id);
    }
    assert_eq!(
        got.hazard_grades.len(),
        want.hazard_grades.len(),
        "{step}: grades"
    );
    assert_eq!(
        got.protection_conflicts, want.protection_conflicts,
        "{step}: protection conflicts"
    );
    assert_eq!(
        got.pipeline_conflicts, want.pipeline_conflicts,
        "{step}: pipeline conflicts"
    );
    let ids = live.dataset().houses.features().iter().map(|f| &f.id);
    for ((g, w), id) in got.house_risks.iter().zip(&want.house_risks).zip(ids) {
        assert_eq!(g, w, "{step}: house {id}");
    }
    assert_eq!(
        got.house_risks.len(),
        want.house_risks.len(),
        "{step}: houses"
    );
    assert_eq!(
        got.enterprise_risks, want.enterprise_risks,
        "{step}: enterprises"
    );
    assert_eq!(
        got.grid.cells.len(),
        want.grid.cells.len(),
        "{step}: grid cell count"
    );
    for (g, w) in got.grid.cells.iter().zip(&want.grid.cells) {
        assert_eq!(g, w, "{step}: grid cell {}", w.id);
    }
    assert_eq!(
        got.area_summaries, want.area_summaries,
        "{step}: area summaries"
    );
    assert_eq!(got, &want, "{step}: the whole analysis");
    // What the houses give a cell is kept for the cells of the grid, and for no other.
    let mut kept: Vec<u64> = live.grid_houses.keys().map(|h| u64::from(*h)).collect();
    kept.sort_unstable();
    let cells: Vec<u64> = want
        .grid
        .cells
        .iter()
        .filter_map(|c| c.id.parse::<h3o::CellIndex>().ok().map(u64::from))
        .collect();
    assert_eq!(kept, cells, "{step}: cells whose houses' part is kept");
    let not_in_grid = live
        .grid_points
        .keys()
        .filter(|h| cells.binary_search(&u64::from(**h)).is_err())
        .count();
    assert_eq!(
        not_in_grid, 0,
        "{step}: risk points kept for cells not in the grid"
    );
    let kept = crate::analysis::risk_grid::live::Kept {
        houses: &live.grid_houses,
        points: &live.grid_points,
    };
    let stale = crate::analysis::risk_grid::live::stale_parts(
        live.dataset(),
        live.analysis(),
        live.points(),
        live.rules(),
        kept,
    );
    assert!(
        stale.is_empty(),
        "{step}: kept parts not as made now: {stale:?}"
    );
}

/// Metres east and north as degrees at a latitude.
pub(super) fn shift(g: &Geometry<f64>, to: Coord<f64>) -> Geometry<f64> {
    let c = g.centroid().map(|p| p.0).unwrap_or(to);
    g.translate(to.x - c.x, to.y - c.y)
}

pub(super) fn offset(at: Coord<f64>, metres: f64, bearing: f64) -> Coord<f64> {
    let (s, c) = bearing.sin_cos();
    Coord {
        x: at.x + metres * s / (111_320.0 * at.y.to_radians().cos()),
        y: at.y + metres * c / 110_574.0,
    }
}

pub(super) fn centre(g: &Geometry<f64>) -> Coord<f64> {
    g.centroid().map(|p| p.0).unwrap_or_default()
}

/// One random operation: a kind and numbers it reads as it needs.
#[derive(Debug, Clone)]
struct Op {
    kind: u8,
    a: usize,
    b: usize,
    x: f64,
    y: f64,
}

fn op() -> impl Strategy<Value = Op> {
    (
        0u8..18,
        0usize..10_000,
        0usize..10_000,
        0.0f64..1.0,
        0.0f64..1.0,
    )
        .prop_map(|(kind, a, b, x, y)| Op { kind, a, b, x, y })
}

/// Turns an operation into edits against the current state (none when it does not
/// apply, e.g. a layer is empty). `graveyard` keeps deleted features for re-inserts.
fn edits(live: &Live, o: &Op, graveyard: &mut Vec<AnyFeature>, fresh: &mut u32) -> Vec<Edit> {
    let ds = live.dataset();
    let pick = |n: usize, i: usize| (n > 0).then(|| i % n);
    let bearing = o.y * std::f64::consts::TAU;
    let hs_at = |i: usize| {
        pick(ds.hazard_sources.len(), i)
            .and_then(|p| ds.hazard_sources.get(p))
            .map(|f| centre(&f.geometry))
    };
    match o.kind {
        // A house moved to 0–700 m of a hazard source: across α's 500 m and the
        // protection distances.
        0 => {
            let (Some(h), Some(at)) = (
                pick(ds.houses.len(), o.a).and_then(|p| ds.houses.get(p)),
                hs_at(o.b),
            ) else {
                return vec![];
            };
            let mut f = h.clone();
            f.geometry = shift(&f.geometry, offset(at, o.x * 700.0, bearing));
            vec![Edit::Put(Box::new(AnyFeature::House(f)))]
        }
        // A house moved onto or beside a pipe (0–30 m of one of its vertices).
        1 => {
            let (Some(h), Some(pipe)) = (
                pick(ds.houses.len(), o.a).and_then(|p| ds.houses.get(p)),
                pick(ds.gas_pipelines.len(), o.b).and_then(|p| ds.gas_pipelines.get(p)),
            ) else {
                return vec![];
            };
            let pts: Vec<Coord<f64>> = match &pipe.geometry {
                Geometry::LineString(l) => l.0.clone(),
                Geometry::MultiLineString(m) => m.0.iter().flat_map(|l| l.0.clone()).collect(),
                _ => vec![],
            };
            let Some(v) =
                pts.get(((o.y * pts.len() as f64) as usize).min(pts.len().saturating_sub(1)))
            else {
                return vec![];
            };
            let mut f = h.clone();
            f.geometry = shift(&f.geometry, offset(*v, o.x * 30.0, bearing));
            vec![Edit::Put(Box::new(AnyFeature::House(f)))]
        }
        // Occupants and use of a house (its class as a home, its level, α around it).
        2 => {
            let Some(h) = pick(ds.houses.len(), o.a).and_then(|p| ds.houses.get(p)) else {
                return vec![];
            };
            let mut f = h.clone();
            f.props.occupants = Some((o.x * 80.0) as u32);
            f.props.house_use = Some(if o.y < 0.5 {
                HouseUse::Residential
            } else {
                HouseUse::Commercial
            });
            f.props.appraisal = Some(if o.y < 0.3 {
                Appraisal::C
            } else {
                Appraisal::B
            });
            vec![Edit::Put(Box::new(AnyFeature::House(f)))]
        }
        // Deletes.
        3..=5 => {
            let layer = match o.kind {
                3 => LayerKind::Houses,
                4 => [LayerKind::HazardSources, LayerKind::Enterprises][o.b % 2],
                _ => [LayerKind::GasPipelines, LayerKind::ProtectionTargets][o.b % 2],
            };
            let n = ds
                .counts()
                .iter()
                .find(|(k, _)| *k == layer)
                .map_or(0, |c| c.1);
            let Some(p) = pick(n, o.a) else { return vec![] };
            let Some(f) = live.feature_at(layer, p) else {
                return vec![];
            };
            graveyard.push(f.clone());
            vec![Edit::Delete {
                layer,
                id: f.id().to_string(),
            }]
        }
        // A deleted feature back under the same id, moved a little or not.
        6 => {
            if graveyard.is_empty() {
                return vec![];
            }
            let mut f = graveyard.remove(o.a % graveyard.len());
            let moved = |g: &Geometry<f64>| shift(g, offset(centre(g), o.x * 200.0, bearing));
            match &mut f {
                AnyFeature::House(h) => h.geometry = moved(&h.geometry),
                AnyFeature::HazardSource(h) => h.geometry = moved(&h.geometry),
                AnyFeature::Enterprise(h) => h.geometry = moved(&h.geometry),
                AnyFeature::ProtectionTarget(h) => h.geometry = moved(&h.geometry),
                AnyFeature::HiddenHazard(h) => h.geometry = moved(&h.geometry),
                AnyFeature::GasPipeline(_) | AnyFeature::Area(_) => {}
            }
            vec![Edit::Put(Box::new(f))]
        }
        // A hazard source's inventory scaled across the grade limits (sometimes renamed).
        7 => {
            let Some(h) = pick(ds.hazard_sources.len(), o.a).and_then(|p| ds.hazard_sources.get(p))
            else {
                return vec![];
            };
            let mut f = h.clone();
            let k = 0.1 + o.x * 6.0;
            for it in &mut f.props.inventory {
                it.tonnes *= k;
            }
            // Sometimes renamed as well (the name is drawn: its tiles change).
            if o.b.is_multiple_of(4) {
                f.props.name = format!("{}（更名）", f.props.name);
            }
            vec![Edit::Put(Box::new(AnyFeature::HazardSource(f)))]
        }
        // A hazard source moved up to 800 m, or given to another enterprise.
        8 => {
            let Some(h) = pick(ds.hazard_sources.len(), o.a).and_then(|p| ds.hazard_sources.get(p))
            else {
                return vec![];
            };
            let mut f = h.clone();
            if o.y < 0.3 {
                f.props.enterprise_id = pick(ds.enterprises.len(), o.b)
                    .and_then(|p| ds.enterprises.get(p))
                    .map(|e| e.id.clone());
            } else {
                f.geometry = shift(
                    &f.geometry,
                    offset(centre(&f.geometry), o.x * 800.0, bearing),
                );
            }
            vec![Edit::Put(Box::new(AnyFeature::HazardSource(f)))]
        }
        // A protection target moved near a hazard source, its population and kind changed.
        9 => {
            let (Some(t), Some(at)) = (
                pick(ds.protection_targets.len(), o.a).and_then(|p| ds.protection_targets.get(p)),
                hs_at(o.b),
            ) else {
                return vec![];
            };
            let mut f = t.clone();
            f.geometry = shift(&f.geometry, offset(at, o.x * 1500.0, bearing));
            f.props.population = Some((o.y * 3000.0) as u32);
            f.props.class = None;
            f.props.kind = Some(if o.y < 0.4 {
                TargetKind::School
            } else {
                TargetKind::ResidentialCommunity
            });
            vec![Edit::Put(Box::new(AnyFeature::ProtectionTarget(f)))]
        }
        // A pipe shifted by up to 50 m.
        10 => {
            let Some(p) = pick(ds.gas_pipelines.len(), o.a).and_then(|p| ds.gas_pipelines.get(p))
            else {
                return vec![];
            };
            let mut f = p.clone();
            let c = centre(&f.geometry);
            f.geometry = shift(&f.geometry, offset(c, o.x * 50.0, bearing));
            vec![Edit::Put(Box::new(AnyFeature::GasPipeline(f)))]
        }
        // A new house near a hazard source.
        11 => {
            let (Some(at), Some(h)) = (hs_at(o.b), ds.houses.get(0)) else {
                return vec![];
            };
            *fresh += 1;
            let f = Feature {
                id: format!("house-new-{fresh}"),
                geometry: shift(&h.geometry, offset(at, o.x * 600.0, bearing)),
                props: House {
                    occupants: Some((o.y * 40.0) as u32),
                    appraisal: Some(Appraisal::C),
                    ..House::default()
                },
                source: SourceRef::default(),
            };
            vec![Edit::Put(Box::new(AnyFeature::House(f)))]
        }
        // An enterprise's industry and hidden hazards, or its site moved near a target.
        12 => {
            let Some(e) = pick(ds.enterprises.len(), o.a).and_then(|p| ds.enterprises.get(p))
            else {
                return vec![];
            };
            let mut f = e.clone();
            if o.y < 0.5 {
                f.props.industry = Some(if o.x < 0.5 {
                    Industry::HazchemProduction
                } else {
                    Industry::Other
                });
                f.props.open_major_hidden_hazards = (o.x * 3.0) as u32;
            } else if let Some(t) =
                pick(ds.protection_targets.len(), o.b).and_then(|p| ds.protection_targets.get(p))
            {
                f.geometry = shift(
                    &f.geometry,
                    offset(centre(&t.geometry), o.x * 1200.0, bearing),
                );
            }
            vec![Edit::Put(Box::new(AnyFeature::Enterprise(f)))]
        }
        // An area renamed: a full re-analysis.
        13 => {
            let Some(a) = pick(ds.areas.len(), o.a).and_then(|p| ds.areas.get(p)) else {
                return vec![];
            };
            let mut f = a.clone();
            f.props.name = format!("{}·{}", f.props.name, o.b % 7);
            vec![Edit::Put(Box::new(AnyFeature::Area(f)))]
        }
        // A hidden hazard's step, deadline or class changed, or it moved to another
        // enterprise or hazard source (its owner's level follows).
        15 => {
            let Some(h) = pick(ds.hidden_hazards.len(), o.a).and_then(|p| ds.hidden_hazards.get(p))
            else {
                return vec![];
            };
            let mut f = h.clone();
            let day = live.rules().hidden_hazards.day();
            if o.y < 0.4 {
                f.props.status = [
                    HiddenHazardStatus::Pending,
                    HiddenHazardStatus::InProgress,
                    HiddenHazardStatus::Supervised,
                ][o.b % 3];
                f.props.closed = None;
                f.props.deadline = Some(day.plus_days((o.x * 60.0) as i64 - 30));
                f.props.major = o.b.is_multiple_of(2);
            } else if o.y < 0.6 {
                f.props.status = HiddenHazardStatus::Closed;
                f.props.rectified = f.props.discovered;
                f.props.verified_by = Some("验收人".into());
                f.props.closed = Some(day.plus_days(-(o.x * 10.0) as i64));
            } else {
                let (layer, target) = if o.y < 0.8 {
                    let e = pick(ds.enterprises.len(), o.b).and_then(|p| ds.enterprises.get(p));
                    (
                        LayerKind::Enterprises,
                        e.map(|e| (e.id.clone(), e.geometry.clone())),
                    )
                } else {
                    let e =
                        pick(ds.hazard_sources.len(), o.b).and_then(|p| ds.hazard_sources.get(p));
                    (
                        LayerKind::HazardSources,
                        e.map(|e| (e.id.clone(), e.geometry.clone())),
                    )
                };
                let Some((id, g)) = target else {
                    return vec![];
                };
                f.props.feature_layer = Some(layer);
                f.props.feature_id = Some(id.into());
                f.geometry = Geometry::Point(centre(&g).into());
            }
            vec![Edit::Put(Box::new(AnyFeature::HiddenHazard(f)))]
        }
        // New major hidden hazards at an enterprise, overdue or not.
        16 => {
            let Some(e) = pick(ds.enterprises.len(), o.a).and_then(|p| ds.enterprises.get(p))
            else {
                return vec![];
            };
            let day = live.rules().hidden_hazards.day();
            (0..1 + o.b % 6)
                .map(|k| {
                    *fresh += 1;
                    Edit::Put(Box::new(AnyFeature::HiddenHazard(Feature {
                        id: format!("yh-new-{fresh}"),
                        geometry: Geometry::Point(centre(&e.geometry).into()),
                        props: HiddenHazard {
                            feature_layer: Some(LayerKind::Enterprises),
                            feature_id: Some(e.id.as_str().into()),
                            major: k == 0 && o.y < 0.5,
                            discovered: Some(day.plus_days(-90)),
                            deadline: Some(day.plus_days((o.x * 60.0) as i64 - 30)),
                            ..HiddenHazard::default()
                        },
                        source: SourceRef::default(),
                    })))
                })
                .collect()
        }
        // A hidden hazard deleted.
        17 => {
            let Some(p) = pick(ds.hidden_hazards.len(), o.a) else {
                return vec![];
            };
            let Some(f) = live.feature_at(LayerKind::HiddenHazards, p) else {
                return vec![];
            };
            graveyard.push(f.clone());
            vec![Edit::Delete {
                layer: LayerKind::HiddenHazards,
                id: f.id().to_string(),
            }]
        }
        // The same house edited twice in one batch, then deleted and put back.
        _ => {
            let Some(h) = pick(ds.houses.len(), o.a).and_then(|p| ds.houses.get(p)) else {
                return vec![];
            };
            let mut f = h.clone();
            f.props.occupants = Some(7);
            vec![
                Edit::Put(Box::new(AnyFeature::House(f.clone()))),
                Edit::Delete {
                    layer: LayerKind::Houses,
                    id: f.id.clone(),
                },
                Edit::Put(Box::new(AnyFeature::House(f))),
            ]
        }
    }
}

proptest! {
    // RISKMAP_LIVE_CASES=500 for a longer run.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("RISKMAP_LIVE_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(10),
        max_shrink_iters: 20,
        ..ProptestConfig::default()
    })]
    #[test]
    fn incremental_equals_full(batches in prop::collection::vec(prop::collection::vec(op(), 1..6), 1..5)) {
        let mut live = Live::new(city(), SubstanceTable::builtin(), Rules::default()).unwrap();
        let mut graveyard = Vec::new();
        let mut fresh = 0;
        for (i, batch) in batches.iter().enumerate() {
            let mut all = Vec::new();
            let mut gone = std::collections::HashSet::new();
            for o in batch {
                // Edits of one batch are made against the state before it; a feature is
                // deleted at most once in a batch (a second delete is refused, as it
                // should be: a test of its own below).
                for e in edits(&live, o, &mut graveyard, &mut fresh) {
                    if let Edit::Delete { layer, id } = &e
                        && !gone.insert((*layer, id.clone()))
                    {
                        continue;
                    }
                    all.push(e);
                }
            }
            let placed = hazards_at_their_features(&live);
            let was = live.analysis().clone();
            let applied = live.apply(&all).map_err(|e| TestCaseError::fail(e.to_string()))?;
            assert_same(&live, &format!("batch {i} {batch:?}"));
            if !applied.full {
                let (now, r, at) = (live.analysis(), &applied.results, format!("batch {i} {batch:?}"));
                named_as_changed(
                    [&was.protection_conflicts, &now.protection_conflicts, &r.protection_gone, &r.protection_new],
                    |c| crate::analysis::ProtectionConflict { source_pos: 0, target_pos: 0, ..c.clone() },
                    &at,
                );
                named_as_changed(
                    [&was.pipeline_conflicts, &now.pipeline_conflicts, &r.pipeline_gone, &r.pipeline_new],
                    |c| crate::analysis::PipelineConflict { pipeline_pos: 0, feature_pos: 0, ..c.clone() },
                    &at,
                );
            }
            assert_hazards_follow(&live, &placed, &all, &applied, &format!("batch {i} {batch:?}"));
        }
    }
}

/// Every conflict of `old` not in `new` is among those the batch says went (`gone`, as
/// they were), every one of `new` not in `old` among those it says came (`came`), and
/// each of those is one of the list it claims to be of: what a tile set takes out and
/// puts in. Conflicts are compared as `key` makes them: without the positions of their
/// features, which a delete renumbers and no tile shows.
fn named_as_changed<T: PartialEq + std::fmt::Debug>(
    lists: [&[T]; 4],
    key: impl Fn(&T) -> T,
    at: &str,
) {
    let [old, new, gone, came] = lists.map(|l| l.iter().map(&key).collect::<Vec<T>>());
    for c in old.iter().filter(|c| !new.contains(c)) {
        assert!(gone.contains(c), "{at}: {c:?} went unnamed");
    }
    for c in new.iter().filter(|c| !old.contains(c)) {
        assert!(came.contains(c), "{at}: {c:?} came unnamed");
    }
    assert!(
        gone.iter().all(|c| old.contains(c)),
        "{at}: a conflict named gone was not there"
    );
    assert!(
        came.iter().all(|c| new.contains(c)),
        "{at}: a conflict named new is not there"
    );
}

#[test]
fn a_refused_batch_changes_nothing() {
    let mut live = Live::new(city(), SubstanceTable::builtin(), Rules::default()).unwrap();
    let before = live.analysis().clone();
    let h = live.dataset().houses.get(0).cloned().expect("a house");
    let mut moved = h.clone();
    moved.props.occupants = Some(99);
    let err = live
        .apply(&[
            Edit::Put(Box::new(AnyFeature::House(moved))),
            Edit::Delete {
                layer: LayerKind::Houses,
                id: "no-such-house".into(),
            },
        ])
        .expect_err("refused");
    assert_eq!(
        err.to_string(),
        "houses: no feature with id \"no-such-house\" to delete"
    );
    assert_eq!(live.analysis(), &before);
    assert_eq!(
        live.dataset().houses.get(0).and_then(|f| f.props.occupants),
        h.props.occupants
    );
}

/// The tiles sampled after a batch: every tile over the data at zooms 0–9, and at every
/// zoom the tiles over each changed box (a few of each) and over a few fixed houses.
fn sample_tiles(live: &Live, applied: &super::Applied) -> Vec<(u8, u32, u32)> {
    use crate::tiles::tiles_covering;
    let mut out = std::collections::BTreeSet::new();
    let ds = live.dataset();
    if let Some(b) = ds.bounds() {
        for z in 0..=9 {
            for t in tiles_covering(b, z).into_iter().flatten() {
                out.insert((t.z, t.x, t.y));
            }
        }
    }
    let mut rects: Vec<geo::Rect<f64>> = applied.dirty.iter().map(|(_, r)| *r).collect();
    // Also where something changed that the update may have judged not to show: the
    // batch's features, every result it recomputed, every hazard source and enterprise
    // (their levels follow houses near them).
    let r = &applied.results;
    let geoms = applied
        .changes
        .iter()
        .flat_map(|c| {
            c.before
                .iter()
                .chain(&c.after)
                .map(|f| f.geometry().clone())
        })
        .chain(
            r.protection_gone
                .iter()
                .chain(&r.protection_new)
                .map(|c| c.geometry.clone()),
        )
        .chain(
            r.pipeline_gone
                .iter()
                .chain(&r.pipeline_new)
                .map(|c| c.geometry.clone()),
        )
        .chain(r.cells.iter().filter_map(|(_, c)| {
            c.as_ref()
                .map(|c| geo::Geometry::Polygon(c.geometry.clone()))
        }))
        .chain(
            ds.hazard_sources
                .features()
                .iter()
                .map(|f| f.geometry.clone()),
        )
        .chain(ds.enterprises.features().iter().map(|f| f.geometry.clone()));
    rects.extend(geoms.filter_map(|g| geo::BoundingRect::bounding_rect(&g)));
    for p in [0usize, 97, 503, 1201] {
        if let Some(h) = ds.houses.get(p)
            && let Some(r) = geo::BoundingRect::bounding_rect(&h.geometry)
        {
            rects.push(r);
        }
    }
    for r in rects {
        for z in 10..=16 {
            for t in tiles_covering(r, z).into_iter().flatten().take(4) {
                out.insert((t.z, t.x, t.y));
            }
        }
    }
    out.into_iter().collect()
}

proptest! {
    // RISKMAP_LIVE_TILE_CASES=100 for a longer run.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("RISKMAP_LIVE_TILE_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(3),
        max_shrink_iters: 10,
        ..ProptestConfig::default()
    })]
    /// After every batch the updated tile set draws every sampled tile byte for byte as
    /// one built from nothing, and every tile whose bytes changed is one the update named
    /// (for the layer that changed).
    #[test]
    fn tiles_follow_every_batch(batches in prop::collection::vec(prop::collection::vec(op(), 1..5), 1..4)) {
        use crate::tileset::{TileSet, TileSetConfig};
        let mut live = Live::new(city(), SubstanceTable::builtin(), Rules::default()).unwrap();
        let build = |l: &Live| TileSet::build(l.dataset(), l.analysis(), TileSetConfig::default()).unwrap();
        let mut ts = build(&live);
        let mut graveyard = Vec::new();
        let mut fresh_n = 0;
        for batch in &batches {
            let mut all = Vec::new();
            let mut gone = std::collections::HashSet::new();
            for o in batch {
                for e in edits(&live, o, &mut graveyard, &mut fresh_n) {
                    if let Edit::Delete { layer, id } = &e
                        && !gone.insert((*layer, id.clone()))
                    {
                        continue;
                    }
                    all.push(e);
                }
            }
            let old = live.clone();
            let old_ts = build(&old);
            let applied = live.apply(&all).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let changes = ts.update(live.dataset(), live.analysis(), &applied).unwrap();
            let fresh = build(&live);
            for zxy in sample_tiles(&live, &applied) {
                tile_follows(&ts, &changes, (&old_ts, &old), (&fresh, &live), zxy)
                    .map_err(TestCaseError::fail)?;
            }
        }
    }
}
