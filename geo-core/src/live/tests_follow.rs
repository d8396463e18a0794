//! Hidden hazards drawn at their feature's point follow it through the living map's
//! batches: the check the invariant test makes after every batch, and a worked case.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashSet;

use geo::{BoundingRect, Geometry, Translate};

use super::tests::city;
use super::{AnyFeature, Edit, Live};
use crate::model::{Feature, HiddenHazard, House, LayerKind};
use crate::rules::Rules;
use crate::substances::SubstanceTable;

/// Whether a hidden hazard without a place of its own stands where a load draws it: at
/// its feature's point. `None` when it has a place of its own or its feature is gone.
pub(super) fn at_its_feature(live: &Live, h: &Feature<HiddenHazard>) -> Option<bool> {
    use crate::analysis::risk_grid::anchor;
    if h.props.own_location {
        return None;
    }
    let f = live.feature(h.props.feature_layer?, h.props.feature_id.as_deref()?)?;
    let at = anchor(f.geometry()).map(|c| Geometry::Point(c.into()));
    Some(at.as_ref() == Some(&h.geometry))
}

/// The ids of the hidden hazards standing at their feature's point.
pub(super) fn hazards_at_their_features(live: &Live) -> HashSet<String> {
    live.dataset()
        .hidden_hazards
        .features()
        .iter()
        .filter(|h| at_its_feature(live, h) == Some(true))
        .map(|h| h.id.clone())
        .collect()
}

/// After a batch, a hidden hazard the batch did not edit itself is at its feature's
/// point if it was there before, or if the batch put its feature back: hazards follow
/// their features (this test's own hazard edits place hazards anywhere, so only those
/// are left out).
pub(super) fn assert_hazards_follow(
    live: &Live,
    placed: &HashSet<String>,
    edits: &[Edit],
    applied: &super::Applied,
    context: &str,
) {
    let edited: HashSet<&str> = edits
        .iter()
        .filter_map(|e| match e {
            Edit::Put(f) if f.layer() == LayerKind::HiddenHazards => Some(f.id()),
            Edit::Delete { layer, id } if *layer == LayerKind::HiddenHazards => Some(id.as_str()),
            _ => None,
        })
        .collect();
    let put_back: HashSet<(LayerKind, &str)> = applied
        .changes
        .iter()
        .filter(|c| c.before.is_none() && c.after.is_some())
        .map(|c| (c.layer, c.id.as_str()))
        .collect();
    for h in live.dataset().hidden_hazards.features() {
        if edited.contains(h.id.as_str()) {
            continue;
        }
        let feature = h.props.feature_layer.zip(h.props.feature_id.as_deref());
        let expected = placed.contains(&h.id) || feature.is_some_and(|f| put_back.contains(&f));
        if expected && let Some(at) = at_its_feature(live, h) {
            assert!(at, "{context}: hazard {} is not at {:?}", h.id, feature);
        }
    }
}

/// Hidden hazards follow their feature through a move, a delete and a put back under the
/// same id, and stop following one they are no longer linked to.
#[test]
fn hazards_follow_their_feature_and_only_theirs() {
    use crate::analysis::risk_grid::anchor;
    let mut live = Live::new(city(), SubstanceTable::builtin(), Rules::default()).unwrap();
    let ds = live.dataset();
    // Two hazards at the points of two houses (without places of their own).
    let mut at_houses = ds.hidden_hazards.features().iter().filter(|h| {
        !h.props.own_location
            && h.props.feature_layer == Some(LayerKind::Houses)
            && at_its_feature(&live, h) == Some(true)
    });
    let h1 = at_houses.next().expect("a hazard at a house").clone();
    let h2 = at_houses
        .find(|h| h.props.feature_id != h1.props.feature_id)
        .expect("a hazard at another house")
        .clone();
    let house = |live: &Live, h: &Feature<HiddenHazard>| {
        let id = h.props.feature_id.clone().expect("linked");
        match live.feature(LayerKind::Houses, &id) {
            Some(AnyFeature::House(f)) => f,
            _ => panic!("house {id}"),
        }
    };
    let point = |live: &Live, id: &str| -> Geometry<f64> {
        match live.feature(LayerKind::HiddenHazards, id) {
            Some(AnyFeature::HiddenHazard(h)) => h.geometry,
            _ => panic!("hazard {id}"),
        }
    };
    let moved = |f: &Feature<House>, dx: f64| {
        let mut f = f.clone();
        f.geometry = f.geometry.translate(dx, 0.0);
        f
    };
    let at = |f: &Feature<House>| Geometry::Point(anchor(&f.geometry).expect("a point").into());

    // Moved: its hazard follows.
    let a = moved(&house(&live, &h1), 0.0005);
    live.apply(&[Edit::Put(Box::new(AnyFeature::House(a.clone())))])
        .expect("applied");
    assert_eq!(point(&live, &h1.id), at(&a));

    // Deleted: the hazard stays; put back elsewhere: it follows again.
    live.apply(&[Edit::Delete {
        layer: LayerKind::Houses,
        id: a.id.clone(),
    }])
    .expect("applied");
    assert_eq!(point(&live, &h1.id), at(&a));
    let b = moved(&a, 0.0005);
    live.apply(&[Edit::Put(Box::new(AnyFeature::House(b.clone())))])
        .expect("applied");
    assert_eq!(point(&live, &h1.id), at(&b));

    // Linked to the second house instead (and placed there, as the edit path does): a
    // move of the first no longer moves it, a move of the second does.
    let mut relinked = match live.feature(LayerKind::HiddenHazards, &h1.id) {
        Some(AnyFeature::HiddenHazard(h)) => h,
        _ => panic!("hazard"),
    };
    let second = house(&live, &h2);
    relinked.props.feature_id = Some(second.id.as_str().into());
    relinked.geometry = at(&second);
    live.apply(&[Edit::Put(Box::new(AnyFeature::HiddenHazard(relinked)))])
        .expect("applied");
    let c = moved(&b, 0.0005);
    live.apply(&[Edit::Put(Box::new(AnyFeature::House(c)))])
        .expect("applied");
    assert_eq!(point(&live, &h1.id), at(&second));
    let d = moved(&second, -0.0005);
    live.apply(&[Edit::Put(Box::new(AnyFeature::House(d.clone())))])
        .expect("applied");
    assert_eq!(point(&live, &h1.id), at(&d));
    assert_eq!(point(&live, &h2.id), at(&d));
}

/// The protection conflicts of the house `id` in the live analysis.
fn conflicts_of(live: &Live, id: &str) -> usize {
    live.analysis()
        .protection_conflicts
        .iter()
        .filter(|c| c.target_layer == LayerKind::Houses && c.target_id == id)
        .count()
}

/// Houses in a protection conflict moved beyond every source's reach and back, one batch
/// each: the conflicts they had go, then come back. (A few changed targets' conflicts are
/// looked up by the sources near where each was as well as where it is.)
#[test]
fn houses_moved_out_of_their_conflicts_and_back() {
    use super::tests::{assert_same, centre, offset, shift};
    let mut live = Live::new(city(), SubstanceTable::builtin(), Rules::default()).unwrap();
    let ids: std::collections::BTreeSet<String> = live
        .analysis()
        .protection_conflicts
        .iter()
        .filter(|c| c.target_layer == LayerKind::Houses)
        .map(|c| c.target_id.clone())
        .collect();
    assert!(!ids.is_empty(), "the city has houses in conflicts");
    let far = 3.0 * live.protection_reach() + 20_000.0;
    for id in ids.iter().take(6) {
        let Some(AnyFeature::House(h)) = live.feature(LayerKind::Houses, id) else {
            panic!("house {id}");
        };
        let had = conflicts_of(&live, id);
        let mut away = h.clone();
        away.geometry = shift(&h.geometry, offset(centre(&h.geometry), far, 0.0));
        live.apply(&[Edit::Put(Box::new(AnyFeature::House(away)))])
            .expect("moved away");
        assert_same(&live, &format!("{id} moved away"));
        assert_eq!(conflicts_of(&live, id), 0, "{id} away");
        live.apply(&[Edit::Put(Box::new(AnyFeature::House(h)))])
            .expect("moved back");
        assert_same(&live, &format!("{id} moved back"));
        assert_eq!(conflicts_of(&live, id), had, "{id} back");
    }
}

/// Schools put 300 m east of a graded hazard source, then moved east until they stand
/// 20 m inside what the source requires of them (500 m or more), then 20 m outside, one
/// batch each. The sources a few changed targets are looked up by are those each reaches
/// by its own grade: a school at the edge of a far reach must still find its source.
#[test]
fn schools_moved_to_the_edge_of_a_sources_reach() {
    use super::tests::{assert_same, offset};
    use crate::model::TargetClass;
    let mut live = Live::new(city(), SubstanceTable::builtin(), Rules::default()).unwrap();
    let graded: Vec<String> = live
        .analysis()
        .hazard_grades
        .iter()
        .filter(|g| g.grade.is_some())
        .map(|g| g.id.clone())
        .take(6)
        .collect();
    let schools: Vec<String> = live
        .dataset()
        .protection_targets
        .features()
        .iter()
        .map(|t| t.id.clone())
        .take(graded.len())
        .collect();
    assert!(graded.len() >= 4, "{} graded sources", graded.len());
    let conflict = |live: &Live, source: &str, school: &str| {
        live.analysis()
            .protection_conflicts
            .iter()
            .find(|c| &*c.source_id == source && c.target_id == school)
            .map(|c| (c.distance_m, c.required_m))
    };
    for (source, school) in graded.iter().zip(&schools) {
        let s = live
            .feature(LayerKind::HazardSources, source)
            .unwrap()
            .geometry()
            .bounding_rect()
            .unwrap();
        let east = geo::Coord {
            x: s.max().x,
            y: s.center().y,
        };
        let Some(AnyFeature::ProtectionTarget(mut t)) =
            live.feature(LayerKind::ProtectionTargets, school)
        else {
            panic!("target {school}");
        };
        t.props.class = Some(TargetClass::HighSensitivity);
        t.props.population = None;
        let mut put = |live: &mut Live, metres: f64, step: &str| {
            t.geometry = Geometry::Point(offset(east, metres, std::f64::consts::FRAC_PI_2).into());
            live.apply(&[Edit::Put(Box::new(AnyFeature::ProtectionTarget(t.clone())))])
                .expect("put");
            assert_same(live, &format!("{school} {step} of {source}"));
        };
        put(&mut live, 300.0, "300 m east");
        let (distance, required) = conflict(&live, source, school).expect("in conflict at 300 m");
        assert!(required >= 500.0, "{source} requires {required} m");
        put(
            &mut live,
            300.0 + required - 20.0 - distance,
            "20 m inside the reach",
        );
        let (inside, _) = conflict(&live, source, school).expect("in conflict at the edge");
        assert!(
            (inside - (required - 20.0)).abs() < 2.0,
            "{inside} m, {required} m required"
        );
        put(
            &mut live,
            300.0 + required + 20.0 - distance,
            "20 m outside the reach",
        );
        assert_eq!(conflict(&live, source, school), None);
    }
}

/// The worst risks an area's summary lists carry their features' names: a house, an
/// enterprise or a hazard source among them renamed, its level as it was, is renamed in
/// the summary, though its share of the area's figures stays as it was.
#[test]
fn a_worst_risk_renamed_is_renamed_in_its_areas_summary() {
    use super::tests::assert_same;
    let mut live = Live::new(city(), SubstanceTable::builtin(), Rules::default()).unwrap();
    let mut tops: Vec<(LayerKind, String)> = Vec::new();
    for s in &live.analysis().area_summaries {
        for layer in [
            LayerKind::Houses,
            LayerKind::Enterprises,
            LayerKind::HazardSources,
        ] {
            tops.extend(
                s.top_risks
                    .iter()
                    .filter(|t| t.layer == layer)
                    .take(1)
                    .map(|t| (t.layer, t.id.clone())),
            );
        }
    }
    assert!(tops.len() >= 3, "{} worst risks", tops.len());
    for (layer, id) in tops {
        let renamed = match live.feature(layer, &id) {
            Some(AnyFeature::House(mut h)) => {
                h.props.address = format!("{} (改)", h.props.address).into();
                AnyFeature::House(h)
            }
            Some(AnyFeature::Enterprise(mut e)) => {
                e.props.name = format!("{} (改)", e.props.name);
                AnyFeature::Enterprise(e)
            }
            Some(AnyFeature::HazardSource(mut h)) => {
                h.props.name = format!("{} (改)", h.props.name);
                AnyFeature::HazardSource(h)
            }
            other => panic!("{id}: {other:?}"),
        };
        live.apply(&[Edit::Put(Box::new(renamed))])
            .expect("renamed");
        assert_same(&live, &format!("{id} renamed"));
        let listed = live.analysis().area_summaries.iter().any(|s| {
            s.top_risks
                .iter()
                .any(|t| t.id == id && t.name.ends_with(" (改)"))
        });
        assert!(listed, "{id} renamed in its area's worst risks");
    }
}
