//! Tests of the hex layout and of the index, worked out by hand.

use geo::Coord;

use super::hex::SQRT3;
use super::*;
use crate::analysis::enterprise_risk::EnterpriseRisk;
use crate::analysis::house_risk::HouseRisk;
use crate::dataset::Dataset;
use crate::model::{LayerKind, RiskLevel};
use crate::rules::Rules;

#[test]
fn hex_cells_round_trip_and_neighbours_are_equidistant() {
    let g = HexGrid { size: 500.0 };
    for q in -3..3 {
        for r in -3..3 {
            let h = Hex { q, r };
            assert_eq!(g.cell_at(g.centre(h)), h);
            // A point 0.49·size from the centre in any direction stays in the cell.
            for k in 0..12 {
                let a = f64::from(k) * 30f64.to_radians();
                let c = g.centre(h);
                let p = Coord {
                    x: c.x + 245.0 * a.cos(),
                    y: c.y + 245.0 * a.sin(),
                };
                assert_eq!(g.cell_at(p), h);
            }
        }
    }
    // Neighbour centres are √3·size apart.
    let d = |a: Coord<f64>, b: Coord<f64>| ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt();
    let o = g.centre(Hex { q: 0, r: 0 });
    for n in [Hex { q: 1, r: 0 }, Hex { q: 0, r: 1 }, Hex { q: -1, r: 1 }] {
        assert!((d(o, g.centre(n)) - 500.0 * SQRT3).abs() < 1e-9);
    }
}

#[test]
fn index_by_hand() {
    use crate::analysis::testutil::{feat, rect};
    use crate::dataset::Layer;
    use crate::model::{Enterprise, House};
    use crate::rules::GridRules;
    // A red enterprise 300 m west and a red house (9 occupants) 300 m east of the
    // data's centre, which is the grid plane's origin and so the centre of cell (0, 0).
    // The house radius is set to 600 m for the test.
    // Enterprise: red weighs 40 within 800 m: 40·(1 − 300/800) = 25.
    // House: red weighs 10 within 600 m: 10·(1 − 300/600) = 5, entering as
    // 4·ln(1 + 5) = 7.1670.  Population: ln(1 + 9) = 2.3026.
    // Index 34.47 ⇒ orange by the bands (30–60), floored at red (a red point inside).
    let mut ds = Dataset::default();
    ds.enterprises = Layer::new(
        LayerKind::Enterprises,
        vec![feat(
            "e",
            rect(-301.0, -1.0, -299.0, 1.0),
            Enterprise::default(),
        )],
    );
    ds.houses = Layer::new(
        LayerKind::Houses,
        vec![feat(
            "h",
            rect(299.0, -1.0, 301.0, 1.0),
            House {
                occupants: Some(9),
                ..Default::default()
            },
        )],
    );
    let er = vec![EnterpriseRisk {
        id: "e".into(),
        likelihood: 4,
        severity: 4,
        level: RiskLevel::Major,
        declared_level: None,
        mismatch: false,
        worst_grade: None,
        reasons: vec![],
    }];
    let hr = vec![HouseRisk {
        id: "h".into(),
        level: RiskLevel::Major,
        reasons: vec![],
    }];
    let rules = Rules {
        grid: GridRules {
            house_radius_m: 600.0,
            ..GridRules::default()
        },
        ..Rules::default()
    };
    let g = build_grid(&ds, &[], &er, &hr, &[], &house_anchors(&ds), &rules);
    // Without areas the grid covers the cells meeting the data's extent (±301 m by
    // ±1 m): only cell (0, 0), which spans ±433 m east–west.
    assert_eq!(g.cells.len(), 1);
    let cell = &g.cells[0];
    assert_eq!(cell.id, "hex-0_0");
    let expect = 25.0 + 4.0 * 6f64.ln() + 10f64.ln();
    assert!(
        (cell.index - expect).abs() < 0.1,
        "{} vs {expect}",
        cell.index
    );
    assert_eq!(cell.level, RiskLevel::Major);
    assert_eq!(cell.inside_by_level, [0, 0, 0, 2]);
    assert_eq!(cell.population, 9);
    assert_eq!(cell.top[0].1, "e");

    // Without the enterprise the data's centre, and so the centre of cell (0, 0), is
    // the house itself: 4·ln(1 + 10) + ln(1 + 9) = 11.89 ⇒ blue (below 12); a red house
    // does not floor its cell (only risk points do).
    let mut ds2 = ds.clone();
    ds2.enterprises = Layer::empty(LayerKind::Enterprises);
    let g = build_grid(&ds2, &[], &[], &hr, &[], &house_anchors(&ds2), &rules);
    let cell = g.cells.iter().find(|c| c.id == "hex-0_0").expect("cell");
    assert!(
        (cell.index - (4.0 * 11f64.ln() + 10f64.ln())).abs() < 0.05,
        "{}",
        cell.index
    );
    assert_eq!(cell.level, RiskLevel::Low);
}
