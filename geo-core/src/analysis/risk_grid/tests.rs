//! Tests of the H3 cells and of the index, worked out by hand.

use geo::{Coord, Geometry, Point};
use h3o::{CellIndex, LatLng, Resolution};

use super::*;
use crate::analysis::enterprise_risk::EnterpriseRisk;
use crate::analysis::house_risk::HouseRisk;
use crate::analysis::testutil::feat;
use crate::dataset::{Dataset, Layer};
use crate::geodesy::{LocalPlane, point_distance_m};
use crate::model::{Enterprise, House, LayerKind, RiskLevel};
use crate::rules::{GridRules, Rules};

fn red_enterprise(id: &str) -> EnterpriseRisk {
    EnterpriseRisk {
        id: id.into(),
        likelihood: 4,
        severity: 4,
        level: RiskLevel::Major,
        declared_level: None,
        mismatch: false,
        worst_grade: None,
        reasons: vec![],
    }
}

fn house_risk(level: RiskLevel) -> HouseRisk {
    HouseRisk {
        level,
        reasons: Vec::new().into(),
    }
}

fn point_at(c: Coord<f64>) -> Geometry<f64> {
    Geometry::Point(Point::from(c))
}

#[test]
fn resolution_matches_the_hexagon_area() {
    // A regular hexagon of circumradius 500 m: 3√3/2 · 500² = 649,519 m². H3's average
    // hexagon areas: res 7 5,161,293 m² (ratio 7.95), res 8 737,328 m² (ratio 1.135),
    // res 9 105,333 m² (ratio 1/6.17): res 8 is the closest.
    assert_eq!(resolution_for(500.0), Resolution::Eight);
    // 200 m: 103,923 m², within 1.4 % of res 9's 105,333 m².
    assert_eq!(resolution_for(200.0), Resolution::Nine);
    // 1,400 m: 5,092,229 m², within 1.4 % of res 7's 5,161,293 m².
    assert_eq!(resolution_for(1400.0), Resolution::Seven);
}

/// The ring walk's stopping rule assumes no point of a cell lies farther than twice the
/// average edge length from the cell's centre. Checked on cells over China and around the
/// pentagon nearest to it, by h3o's own great-circle distance.
#[test]
fn cells_stay_within_twice_the_average_edge_of_their_centre() {
    let res = Resolution::Eight;
    let bound = 2.0 * res.edge_length_m();
    let mut cells: Vec<CellIndex> = Vec::new();
    for lon in (75..=135).step_by(5) {
        for lat in (18..=53).step_by(5) {
            let ll = LatLng::new(f64::from(lat), f64::from(lon)).expect("finite");
            cells.push(ll.to_cell(res));
        }
    }
    let pentagon = CellIndex::base_cells()
        .filter(|c| c.is_pentagon())
        .flat_map(|b| b.children(res).take(1))
        .next()
        .expect("a pentagon");
    assert!(pentagon.is_pentagon());
    cells.extend(pentagon.grid_disk::<Vec<_>>(2));
    for c in cells {
        let centre = LatLng::from(c);
        for v in c.boundary().iter() {
            let d = centre.distance_m(*v);
            assert!(d < bound, "{c}: vertex {d} m from the centre");
        }
    }
}

/// The ring walk against brute force: every cell of a disk much larger than the radius,
/// measured geodesically.
#[test]
fn cells_within_equals_brute_force() {
    let grid = H3Grid::for_cell_size(500.0);
    for (p, radius) in [
        (Coord { x: 121.2, y: 31.9 }, 1500.0),
        (Coord { x: 121.2, y: 31.9 }, 300.0),
        (Coord { x: 87.6, y: 43.8 }, 800.0),
        (
            Coord {
                x: 179.999,
                y: 10.0,
            },
            1500.0,
        ),
    ] {
        let got = grid.cells_within(p, radius);
        let c0 = grid.cell_at(p).expect("cell");
        let mut want: Vec<CellIndex> = c0
            .grid_disk::<Vec<_>>(8)
            .into_iter()
            .filter(|&c| {
                let q = grid.centre(c);
                // Half a metre of slack for the local plane's error at 1.5 km.
                point_distance_m(Point::from(p), Point::from(q)) <= radius - 0.5
            })
            .collect();
        want.sort();
        let mut ids: Vec<CellIndex> = got.iter().map(|(c, _)| *c).collect();
        ids.sort();
        for w in &want {
            assert!(ids.contains(w), "{p:?} r {radius}: {w} missing");
        }
        for (c, d) in &got {
            let g = point_distance_m(Point::from(p), Point::from(grid.centre(*c)));
            assert!((g - d).abs() < 0.5, "{c}: plane {d} vs geodesic {g}");
        }
    }
}

/// The centre of a cell of `grid` at one of the globe's twelve pentagons.
fn pentagon_centre(grid: &H3Grid) -> Coord<f64> {
    CellIndex::base_cells()
        .find(|c| c.is_pentagon())
        .and_then(|c| c.center_child(grid.resolution))
        .map(|c| grid.centre(c))
        .expect("pentagon")
}

/// The shared candidates of a cell give each of its points exactly what its own ring walk
/// gives: the same cells at the same distances (a lattice of points over cells in Haimen,
/// Xinjiang, across the antimeridian and at a pentagon's corner of the globe).
#[test]
fn shared_candidates_match_the_ring_walk() {
    let grid = H3Grid::for_cell_size(500.0);
    let pentagon = pentagon_centre(&grid);
    for (base, radius) in [
        (Coord { x: 121.2, y: 31.9 }, 500.0),
        (Coord { x: 121.2, y: 31.9 }, 1234.0),
        (Coord { x: 87.6, y: 43.8 }, 800.0),
        (
            Coord {
                x: 179.999,
                y: 10.0,
            },
            700.0,
        ),
        (pentagon, 900.0),
    ] {
        for i in 0..15 {
            for j in 0..15 {
                let p = Coord {
                    x: base.x + (f64::from(i) - 7.0) * 0.0011,
                    y: base.y + (f64::from(j) - 7.0) * 0.0009,
                };
                let p = Coord {
                    x: if p.x > 180.0 { p.x - 360.0 } else { p.x },
                    y: p.y,
                };
                let c0 = grid.cell_at(p).expect("cell");
                let mut want = grid.cells_within(p, radius);
                let mut got = grid.cells_within_of(p, radius, &grid.candidates(c0, radius));
                want.sort_by_key(|(c, _)| *c);
                got.sort_by_key(|(c, _)| *c);
                assert_eq!(got, want, "{p:?} radius {radius}");
            }
        }
    }
}

/// A batch's touches through one [`live::Toucher`] are the cells [`live::touched`]
/// finds for each risk on its own: 15 × 15 points about 100 m apart (many sharing a
/// cell and its candidates) at two radii in Haimen and at a pentagon, the same point
/// at both, a risk of no weight (its own cell only) and no point at all.
#[test]
fn a_batch_touches_the_cells_each_risk_touches_alone() {
    let grid = H3Grid::for_cell_size(500.0);
    let pentagon = pentagon_centre(&grid);
    let mut toucher = live::Toucher::new(&grid);
    let sorted = |mut v: Vec<CellIndex>| {
        v.sort_unstable();
        v
    };
    let mut shared = 0;
    for base in [Coord { x: 121.2, y: 31.9 }, pentagon] {
        for i in 0..15 {
            for j in 0..15 {
                let p = Some(Coord {
                    x: base.x + (f64::from(i) - 7.0) * 0.0011,
                    y: base.y + (f64::from(j) - 7.0) * 0.0009,
                });
                for (w, r) in [(1.0, 300.0), (2.5, 1500.0), (0.0, 300.0)] {
                    let want = sorted(live::touched(&grid, p, w, r));
                    let got = sorted(toucher.touched(p, w, r));
                    assert!(!want.is_empty());
                    assert_eq!(got, want, "{p:?} weight {w} radius {r}");
                    let own = p.and_then(|p| grid.cell_at(p));
                    if w == 0.0 {
                        assert_eq!(got, own.into_iter().collect::<Vec<_>>(), "its own cell");
                    }
                    if r > 1000.0 {
                        shared += usize::from(got.iter().any(|c| Some(*c) != own));
                    }
                }
            }
        }
    }
    // Each of the 450 risks of 1.5 km reaches cells beyond its own (cells 500 m across),
    // through candidates shared with the other risks of its cell.
    assert_eq!(shared, 450);
    assert!(toucher.touched(None, 1.0, 300.0).is_empty());
}

/// The cells of many points at once, found through the last cell's inner disc where a
/// point lies in it, are the cells H3 gives each point: rasters in scan order (so runs of
/// points share a cell and leave it across every edge) over several cells of four
/// resolutions in Haimen, Xinjiang, Heilongjiang, at the equator, across the antimeridian,
/// at 75° N and at a pentagon, and the points along a cell's edges, a hair inside and
/// outside.
#[test]
fn cells_of_many_points_are_those_of_each() {
    for cell_size in [60.0, 500.0, 2_000.0, 9_000.0] {
        let grid = H3Grid::for_cell_size(cell_size);
        let edge_deg = grid.resolution.edge_length_m() / 111_000.0;
        let pentagon = CellIndex::base_cells()
            .find(|c| c.is_pentagon())
            .and_then(|c| c.center_child(grid.resolution))
            .map(|c| grid.centre(c))
            .expect("pentagon");
        let mut points = Vec::new();
        for base in [
            Coord { x: 121.2, y: 31.9 },
            Coord { x: 87.6, y: 43.8 },
            Coord { x: 126.6, y: 45.7 },
            Coord { x: 30.0, y: 0.0 },
            Coord {
                x: 179.99,
                y: -16.0,
            },
            Coord { x: 20.0, y: 75.0 },
            pentagon,
        ] {
            for j in 0..60 {
                for i in 0..60 {
                    let x = base.x + (f64::from(i) - 30.0) * edge_deg / 9.0;
                    points.push(Coord {
                        x: if x > 180.0 { x - 360.0 } else { x },
                        y: base.y + (f64::from(j) - 30.0) * edge_deg / 9.0,
                    });
                }
            }
            let c = grid.cell_at(base).expect("cell");
            let ring = super::h3::corners(c);
            let centre = grid.centre(c);
            for (k, &a) in ring.iter().enumerate() {
                let b = ring[(k + 1) % ring.len()];
                for t in 0..=20 {
                    let on = a + (b - a) * (f64::from(t) / 20.0);
                    for f in [0.999_999, 1.000_001] {
                        points.push(centre);
                        points.push(centre + (on - centre) * f);
                    }
                }
            }
        }
        points.push(Coord {
            x: f64::NAN,
            y: 31.9,
        });
        let one_by_one: Vec<Option<CellIndex>> = points.iter().map(|p| grid.cell_at(*p)).collect();
        let at_once = grid.cells_at(points.len(), |i| points.get(i).copied());
        for (i, (got, want)) in at_once.iter().zip(&one_by_one).enumerate() {
            assert_eq!(got, want, "{cell_size} m cells, {:?}", points[i]);
        }
        assert_eq!(at_once.len(), one_by_one.len());
    }
}

/// Risks reached a block at a time, with the candidates of earlier blocks reused, reach
/// what each one's own ring walk reaches, in order, whatever the block: a street of houses
/// that crosses cells, with weightless ones, one without a point and two radii.
#[test]
fn risks_reached_in_blocks_reach_what_each_ring_walk_does() {
    use super::cells::{Around, Placed, reach, reach_each};
    let grid = H3Grid::for_cell_size(500.0);
    let risks: Vec<Option<(Coord<f64>, f64, f64)>> = (0..300)
        .map(|i| {
            let t = f64::from(i);
            let p = Coord {
                x: 121.2 + (t * 0.37).sin() * 0.01 + t * 0.0001,
                y: 31.9 + (t * 0.23).cos() * 0.008,
            };
            match i % 17 {
                5 => None,
                3 | 11 => Some((p, 0.0, 300.0)),
                _ if i % 2 == 0 => Some((p, 1.0, 300.0)),
                _ => Some((p, 2.5, 1500.0)),
            }
        })
        .collect();
    type Reached = Option<(Option<CellIndex>, Vec<(CellIndex, f64)>)>;
    let want: Vec<Reached> = risks
        .iter()
        .map(|r| {
            r.map(|(p, w, radius)| {
                let mut r = reach(&grid, p, w, radius);
                r.cells.sort_by_key(|(c, _)| *c);
                (r.at, r.cells)
            })
        })
        .collect();
    // In blocks, and in two calls sharing the cells found (as the houses are reached a
    // part at a time).
    let n = risks.len();
    for (block, split) in [(1, n), (7, n), (64, n), (300, n), (1 << 16, n), (64, n / 3)] {
        let mut got = Vec::new();
        let mut around = Around::new();
        for range in [0..split, split..n] {
            reach_each(
                &grid,
                &mut around,
                (range, block),
                |i| {
                    let (p, weight, radius) = (*risks.get(i)?)?;
                    Some(Placed { p, weight, radius })
                },
                |i, r| {
                    assert_eq!(i, got.len(), "in order");
                    got.push(r.map(|mut r| {
                        r.cells.sort_by_key(|(c, _)| *c);
                        (r.at, r.cells)
                    }));
                },
            );
        }
        assert_eq!(got, want, "blocks of {block}, split at {split}");
    }
}

#[test]
fn index_by_hand() {
    let grid = H3Grid::for_cell_size(500.0);
    // The centre of the res-8 cell holding 121.2 E 31.9 N, and a local plane there.
    let cell = grid.cell_at(Coord { x: 121.2, y: 31.9 }).expect("cell");
    let centre = grid.centre(cell);
    let plane = LocalPlane::new(centre);
    let at = |e: f64, n: f64| plane.unproject(Coord { x: e, y: n });
    // A red enterprise 300 m west and a red house (9 occupants) 300 m east of the centre,
    // both inside the cell (its inscribed radius is about √3/2 · 531 m = 460 m).
    // The house radius is set to 600 m for the test.
    // Enterprise: red weighs 40 within 800 m: 40·(1 − 300/800) = 25.
    // House: red weighs 10 within 600 m: 10·(1 − 300/600) = 5, entering as
    // 4·ln(1 + 5) = 7.1670.  Population: ln(1 + 9) = 2.3026.
    // Index 34.47 ⇒ orange by the bands (30–60), floored at red (a red point inside).
    let mut ds = Dataset::default();
    ds.enterprises = Layer::new(
        LayerKind::Enterprises,
        vec![feat("e", point_at(at(-300.0, 0.0)), Enterprise::default())],
    );
    ds.houses = Layer::new(
        LayerKind::Houses,
        vec![feat(
            "h",
            point_at(at(300.0, 0.0)),
            House {
                occupants: Some(9),
                ..Default::default()
            },
        )],
    );
    let er = vec![red_enterprise("e")];
    let hr = vec![house_risk(RiskLevel::Major)];
    let rules = Rules {
        grid: GridRules {
            house_radius_m: 600.0,
            ..GridRules::default()
        },
        ..Rules::default()
    };
    let g = build_grid(&ds, &[], &er, &hr, &[], &house_anchors(&ds), &rules);
    assert_eq!(g.h3_resolution, 8);
    let c = g
        .cells
        .iter()
        .find(|c| c.id == cell.to_string())
        .expect("the centre cell");
    let expect = 25.0 + 4.0 * 6f64.ln() + 10f64.ln();
    assert!((c.index - expect).abs() < 0.1, "{} vs {expect}", c.index);
    assert_eq!(c.level, RiskLevel::Major);
    assert_eq!(c.inside_by_level, [0, 0, 0, 2]);
    assert_eq!(c.population, 9);
    assert_eq!(c.top[0].1, "e");
    // Every other cell is one the enterprise (800 m) or the house (600 m) reaches.
    for o in &g.cells {
        let q = Point::from(grid.centre(o.id.parse().expect("h3 id")));
        let de = point_distance_m(Point::from(at(-300.0, 0.0)), q);
        let dh = point_distance_m(Point::from(at(300.0, 0.0)), q);
        assert!(de < 800.5 || dh < 600.5, "{}: {de} / {dh}", o.id);
    }

    // The house alone, at the centre: 10·(1 − 0) = 10, so 4·ln(1 + 10) + ln(1 + 9) = 11.89
    // ⇒ blue (below 12); a red house does not floor its cell (only risk points do).
    let mut ds2 = Dataset::default();
    ds2.houses = Layer::new(
        LayerKind::Houses,
        vec![feat(
            "h",
            point_at(centre),
            House {
                occupants: Some(9),
                ..Default::default()
            },
        )],
    );
    let g = build_grid(&ds2, &[], &[], &hr, &[], &house_anchors(&ds2), &rules);
    let c = g
        .cells
        .iter()
        .find(|c| c.id == cell.to_string())
        .expect("cell");
    assert!(
        (c.index - (4.0 * 11f64.ln() + 10f64.ln())).abs() < 0.05,
        "{}",
        c.index
    );
    assert_eq!(c.level, RiskLevel::Low);
}

/// Fifty red houses spread over China's extent (lon 75–135, lat 18–53): the grid holds only
/// the cells they reach. A house reaches the cells whose centre lies within 300 m, and
/// neighbouring res-8 centres are more than 600 m apart (asserted below for each house's
/// cell), so a 300 m disc holds at most one centre: each house makes at most 2 cells (its
/// own, and the one whose centre is within 300 m if that is another), so at most
/// 50 × 2 = 100 cells; and at least 50, the houses being hundreds of kilometres apart.
#[test]
fn fifty_houses_over_china_make_a_handful_of_cells() {
    let grid = H3Grid::for_cell_size(500.0);
    let mut feats = Vec::new();
    for i in 0..50 {
        // A 10 × 5 lattice: lon 75 + 6.5·(i mod 10) + 0.013·i, lat 18 + 8.5·(i div 10).
        let x = 75.0 + 6.5 * f64::from(i % 10) + 0.013 * f64::from(i);
        let y = 18.0 + 8.5 * f64::from(i / 10);
        feats.push(feat(
            &format!("h{i}"),
            point_at(Coord { x, y }),
            House {
                occupants: Some(4),
                ..Default::default()
            },
        ));
    }
    let mut ds = Dataset::default();
    ds.houses = Layer::new(LayerKind::Houses, feats);
    let hr: Vec<HouseRisk> = (0..50).map(|_| house_risk(RiskLevel::Major)).collect();
    let anchors = house_anchors(&ds);
    for a in anchors.iter().flatten() {
        let c = grid.cell_at(*a).expect("cell");
        for n in c.grid_ring_fast(1).flatten() {
            let d = LatLng::from(c).distance_m(LatLng::from(n));
            assert!(d > 600.0, "{c}–{n}: {d} m");
        }
    }
    let g = build_grid(&ds, &[], &[], &hr, &[], &anchors, &Rules::default());
    assert!(
        (50..=100).contains(&g.cells.len()),
        "{} cells",
        g.cells.len()
    );
    assert_eq!(g.cells.iter().map(|c| c.population).sum::<u64>(), 200);
}

/// One red enterprise on null island and one at Haimen: two small patches, not the
/// hemisphere between them. Each reaches the cells whose centre is within 800 m; ring-2
/// centres of res 8 lie about 3 edges (≈ 1.6 km) away, so each reaches at most its own
/// cell and its six neighbours: at most 2 × 7 = 14 cells.
#[test]
fn far_apart_enterprises_cost_two_patches() {
    let mut ds = Dataset::default();
    ds.enterprises = Layer::new(
        LayerKind::Enterprises,
        vec![
            feat(
                "a",
                point_at(Coord { x: 121.1, y: 31.9 }),
                Enterprise::default(),
            ),
            feat(
                "b",
                point_at(Coord { x: 0.0, y: 0.0 }),
                Enterprise::default(),
            ),
        ],
    );
    let er = vec![red_enterprise("a"), red_enterprise("b")];
    let g = build_grid(&ds, &[], &er, &[], &[], &[], &Rules::default());
    assert!((2..=14).contains(&g.cells.len()), "{}", g.cells.len());
    // Every cell is a hexagon a few hundred metres across, near one of the two.
    for c in &g.cells {
        let r = geo::BoundingRect::bounding_rect(&c.geometry).expect("bounds");
        assert!(r.width() < 0.02 && r.height() < 0.02, "{}: {r:?}", c.id);
    }
    // The cells holding them are floored at red.
    let grid = H3Grid::for_cell_size(500.0);
    for p in [Coord { x: 121.1, y: 31.9 }, Coord { x: 0.0, y: 0.0 }] {
        let id = grid.cell_at(p).expect("cell").to_string();
        let c = g.cells.iter().find(|c| c.id == id).expect("own cell");
        assert_eq!(c.level, RiskLevel::Major);
        assert_eq!(c.inside_by_level, [0, 0, 0, 1]);
    }
}

/// A cell across the antimeridian is one small ring, not one that sweeps round the globe.
#[test]
fn antimeridian_cell_is_one_small_ring() {
    let grid = H3Grid::for_cell_size(500.0);
    let c = grid
        .cell_at(Coord {
            x: 179.9999,
            y: 10.0,
        })
        .expect("cell");
    // Its neighbours include cells on both sides of ±180°.
    for n in c.grid_disk::<Vec<_>>(1) {
        let r = geo::BoundingRect::bounding_rect(&grid.polygon(n)).expect("bounds");
        assert!(r.width() < 0.02, "{n}: {r:?}");
    }
}

#[test]
fn an_areas_level_is_the_band_of_its_weighted_share_of_land_in_the_grid() {
    let rules = crate::rules::GridRules::default();
    // [low, general, significant, major] = [3, 5, 2, 1] cells of 1 km² in 20 km²:
    // weighted 0·3 + 0.2·5 + 0.5·2 + 1·1 = 3 km² ⇒ 100 · 3 / 20 = 15 % ⇒ 较大 (12 ≤ 15 < 25).
    let (index, level) = super::area_risk(&[3, 5, 2, 1], 1e6, 20e6, &rules);
    assert!((index - 15.0).abs() < 1e-9, "{index}");
    assert_eq!(level, RiskLevel::Significant);
    // The same cells on 80 km² are a quarter as dense: 3.75 % ⇒ 低.
    let (index, level) = super::area_risk(&[3, 5, 2, 1], 1e6, 80e6, &rules);
    assert!((index - 3.75).abs() < 1e-9, "{index}");
    assert_eq!(level, RiskLevel::Low);
    // Five red cells on 20 km²: 25 % ⇒ 重大 (the band's bound is inclusive).
    assert_eq!(
        super::area_risk(&[0, 0, 0, 5], 1e6, 20e6, &rules).1,
        RiskLevel::Major
    );
    // No land: nothing to share.
    assert_eq!(
        super::area_risk(&[0, 0, 0, 5], 1e6, 0.0, &rules),
        (0.0, RiskLevel::Low)
    );
    // H3 resolution 8's average cell (the 500 m default): 0.737 km² (h3geo.org tables).
    assert!((super::cell_m2(&rules) / 1e6 - 0.737_327_6).abs() < 1e-6);
}

/// A full analysis finds the houses' anchors and areas a block at a time
/// (`build_grid_locating`): over a generated city of more houses than a block, the same
/// grid and the same areas as with every anchor found first ([`house_anchors`],
/// [`house_slots`]).
#[cfg(feature = "generate")]
#[test]
fn houses_located_a_block_at_a_time_give_the_same_grid_and_areas() {
    use crate::generate::{GenerateOptions, generate, haimen};
    let opts = GenerateOptions {
        seed: 5,
        houses: super::cells::BLOCK + 4_000,
        enterprises: 80,
        hazard_sources: 40,
        pipeline_km: 10.0,
        protection_targets: 100,
        hidden_hazards: 0,
    };
    let ds = generate(&opts, &haimen().unwrap()).unwrap();
    let a = crate::analysis::analyze(
        &ds,
        &crate::substances::SubstanceTable::builtin(),
        &Rules::default(),
    )
    .unwrap();
    let anchors = house_anchors(&ds);
    let rules = Rules::default();
    let whole = build_grid(
        &ds,
        &a.hazard_grades,
        &a.enterprise_risks,
        &a.house_risks,
        &a.pipeline_conflicts,
        &anchors,
        &rules,
    );
    let results = (
        &a.hazard_grades[..],
        &a.enterprise_risks[..],
        &a.house_risks[..],
        &a.pipeline_conflicts[..],
    );
    let (blocks, slots) = super::build_grid_locating(&ds, results, &rules);
    assert!(whole.cells.len() > 100, "{} cells", whole.cells.len());
    assert_eq!(blocks, whole);
    assert_eq!(slots, super::house_slots(&ds, &anchors));
    assert!(slots.iter().any(|s| *s < ds.areas.len()));
    // Each cell's population, summed here from the houses' occupants and the targets'
    // people by the cell their anchor is in.
    let h3 = H3Grid::for_cell_size(rules.grid.cell_size_m);
    let mut people: std::collections::HashMap<String, u64> = Default::default();
    let houses = ds.houses.features().iter().zip(&anchors);
    let houses = houses.map(|(f, a)| (*a, f.props.occupants.unwrap_or(0)));
    let targets = ds.protection_targets.features().iter();
    let targets = targets.map(|f| (anchor(&f.geometry), f.props.population.unwrap_or(0)));
    for (at, n) in houses.chain(targets) {
        if let Some(c) = at.and_then(|a| h3.cell_at(a)) {
            *people.entry(c.to_string()).or_default() += u64::from(n);
        }
    }
    for c in &blocks.cells {
        assert_eq!(
            c.population,
            people.get(&c.id).copied().unwrap_or(0),
            "{}",
            c.id
        );
    }
    assert!(blocks.cells.iter().filter(|c| c.population > 0).count() > 50);
}
