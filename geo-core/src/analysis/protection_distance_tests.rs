//! Tests of the protection distances: conflicts by grade, class and QRA distance, the
//! farthest reach, and the conflicts found against a brute-force measure of every pair.

#![allow(clippy::field_reassign_with_default)]

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
        ds.hazard_sources = Layer::new(LayerKind::HazardSources, vec![source("hs-1", 0.0, None)]);
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
        (&*c[0].source_id, c[0].target_id.as_str()),
        ("hs-1", "school")
    );
    assert_eq!(c[0].required_m, 800.0);
    assert!((c[0].distance_m - 700.0).abs() < 0.1, "{}", c[0].distance_m);
    assert!((c[0].shortfall_m - 100.0).abs() < 0.1);
    assert_eq!(&*c[0].rule, "RM-PD/grade_2/high_sensitivity");
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
    assert_eq!(&*c[0].rule, "RM-PD/hazchem_enterprise/general_3");
    assert!((c[0].distance_m - 40.0).abs() < 0.01, "{}", c[0].distance_m);
    assert!((c[0].shortfall_m - 10.0).abs() < 0.01);
}
