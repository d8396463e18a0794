//! Gas pipelines: the 次高压 trunk from the gate station linking the towns and parks, 中压
//! mains along the town streets and main country roads, 低压 branches along the villages,
//! to the requested total length.

use super::arith::{C, Rand, below, c, chance, dot, int_in, norm, perp, uni};
use super::enterprises::Park;
use super::haimen::{DISTRICT, HAIMEN_GATE};
use super::houses::{HouseFill, town_point};
use super::names::{street_name, village_name};
use super::shapes::{densify, inside_runs, offset_path, path_len, split_path, truncate_path};
use super::towns::Town;
use super::villages::Village;
use super::world::World;
use crate::model::PressureClass;

#[derive(Debug, Clone)]
pub(super) struct PipePlan {
    pub(super) pts: Vec<C>,
    pub(super) name: String,
    pub(super) class: PressureClass,
    pub(super) pressure: f64,
    pub(super) diameter: f64,
    pub(super) material: &'static str,
    pub(super) year: u16,
}

/// An L-shaped route along the regional grid (or straight, if the L leaves the boundary),
/// preferring one that passes no building or site.
pub(super) fn route(world: &World, rng: &mut Rand, a: C, b: C) -> Option<Vec<C>> {
    let mut fallback = None;
    for _ in 0..3 {
        if let Some(pts) = route_once(world, rng, a, b) {
            if world.occ.path_free(&pts, 2.0) {
                return Some(pts);
            }
            fallback.get_or_insert(pts);
        }
    }
    fallback
}

pub(super) fn route_once(world: &World, rng: &mut Rand, a: C, b: C) -> Option<Vec<C>> {
    let u = world.axis;
    let n = perp(u);
    let d = b - a;
    let mut corners = [a + u * dot(d, u), a + n * dot(d, n)];
    if chance(rng, 0.5) {
        corners.swap(0, 1);
    }
    for corner in corners {
        let pts = densify(rng, &[a, corner, b], 250.0, 600.0, 3.0);
        if pts.len() >= 2 && world.mask.contains_path(&pts) {
            return Some(pts);
        }
    }
    let pts = densify(rng, &[a, b], 250.0, 600.0, 3.0);
    (pts.len() >= 2 && world.mask.contains_path(&pts)).then_some(pts)
}

pub(super) fn build_trunk(
    world: &mut World,
    rng: &mut Rand,
    towns: &[Town],
    parks: &[Park],
    budget: f64,
) -> Vec<PipePlan> {
    let mut nodes: Vec<(String, C)> = Vec::new();
    let gate = world.plane.to_m(c(HAIMEN_GATE.0, HAIMEN_GATE.1));
    let gate = if world.district == DISTRICT && world.mask.contains_point(gate) {
        gate
    } else {
        towns[0].centre + c(300.0, 300.0)
    };
    nodes.push(("门站".to_string(), gate));
    for t in towns {
        nodes.push((t.name.clone(), t.centre));
    }
    for p in parks {
        nodes.push((p.name.to_string(), p.rect.c));
    }
    // Prim's tree from the gate, edges in the order they join: the trunk grows outwards.
    let n = nodes.len();
    let mut in_tree = vec![false; n];
    in_tree[0] = true;
    let mut edges = Vec::new();
    for _ in 1..n {
        let mut best: Option<(f64, usize, usize)> = None;
        for i in (0..n).filter(|&i| in_tree[i]) {
            for j in (0..n).filter(|&j| !in_tree[j]) {
                let d = norm(nodes[j].1 - nodes[i].1);
                if best.is_none_or(|b| d < b.0) {
                    best = Some((d, i, j));
                }
            }
        }
        if let Some((_, i, j)) = best {
            in_tree[j] = true;
            edges.push((i, j));
        }
    }
    let mut out = Vec::new();
    let mut left = budget;
    for (k, &(i, j)) in edges.iter().enumerate() {
        if left < 50.0 {
            break;
        }
        let Some(pts) = route(world, rng, nodes[i].1, nodes[j].1) else {
            continue;
        };
        let pts = truncate_path(&pts, left);
        left -= path_len(&pts);
        world.pipe_occ.mark_path(&pts, 4.0);
        let a_class = k < 3 || chance(rng, 0.5);
        let (class, pressure) = if a_class {
            (
                PressureClass::SubHighA,
                if chance(rng, 0.6) { 1.6 } else { 1.2 },
            )
        } else {
            (
                PressureClass::SubHighB,
                if chance(rng, 0.6) { 0.8 } else { 0.6 },
            )
        };
        let diameter = [200.0, 250.0, 300.0, 400.0][below(rng, 4)];
        let year = int_in(rng, 2004, 2018) as u16;
        let grade = if a_class { "A" } else { "B" };
        for (s, piece) in split_path(rng, &pts, 800.0, 2500.0).into_iter().enumerate() {
            out.push(PipePlan {
                pts: piece,
                name: format!(
                    "次高压{grade}干线（{}—{}）第{}段",
                    nodes[i].0,
                    nodes[j].0,
                    s + 1
                ),
                class,
                pressure,
                diameter,
                material: "钢管",
                year,
            });
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
pub(super) fn build_distribution(
    world: &mut World,
    rng: &mut Rand,
    towns: &[Town],
    villages: &[Village],
    fill: &HouseFill,
    budget: f64,
    medium_target: f64,
    out: &mut Vec<PipePlan>,
) {
    let mut left = budget;
    let mut medium_left = medium_target.min(budget);

    // 中压 mains along the town streets that have houses, one run per street.
    let mut streets: Vec<(usize, u8, i32, i32)> = fill.used_streets.clone();
    streets.sort_unstable();
    streets.dedup();
    let mut runs: Vec<(usize, u8, i32, i32, i32)> = Vec::new();
    for &(t, dir, k, m) in &streets {
        match runs.last_mut() {
            Some(r) if r.0 == t && r.1 == dir && r.2 == k && r.4 + 1 == m => r.4 = m,
            _ => runs.push((t, dir, k, m, m)),
        }
    }
    // Central streets first, so that a small budget still serves the town centres.
    runs.sort_by_key(|r| (r.2.abs(), r.0, r.1, r.2, r.3));
    let mut town_pressure: Vec<(PressureClass, f64)> = Vec::new();
    for _ in towns {
        town_pressure.push(if chance(rng, 0.6) {
            (
                PressureClass::MediumA,
                if chance(rng, 0.7) { 0.4 } else { 0.3 },
            )
        } else {
            (
                PressureClass::MediumB,
                if chance(rng, 0.7) { 0.2 } else { 0.1 },
            )
        });
    }
    for &(t, dir, k, m0, m1) in &runs {
        if medium_left < 50.0 {
            break;
        }
        let town = &towns[t];
        let pts: Vec<C> = (m0..=m1 + 1).map(|m| town_point(town, dir, k, m)).collect();
        let pts = offset_path(
            &pts,
            uni(rng, 2.0, 3.0) * if chance(rng, 0.5) { 1.0 } else { -1.0 },
        );
        let street = street_name(t, dir, k);
        for run in inside_runs(&world.mask, &pts) {
            let (class, pressure) = town_pressure[t];
            add_pipe(
                world,
                rng,
                out,
                &mut left,
                &mut medium_left,
                run,
                (300.0, 1200.0),
                |rng| PipePlan {
                    pts: Vec::new(),
                    name: format!("{}{}中压管", town.name, street),
                    class,
                    pressure,
                    diameter: [110.0, 160.0, 200.0, 250.0, 315.0][below(rng, 5)],
                    material: if chance(rng, 0.7) { "PE管" } else { "钢管" },
                    year: int_in(rng, 2006, 2022) as u16,
                },
            );
        }
    }
    // 中压 along the main country roads (the villages across the grid), then 低压 branches
    // along the villages that have houses, then along the others. (Parks get their gas from
    // the trunk, which links them.)
    let mut cross: Vec<usize> = fill
        .used_villages
        .iter()
        .copied()
        .filter(|&v| villages[v].cross)
        .collect();
    cross.extend((0..villages.len()).filter(|&v| villages[v].cross && !fill.village_used[v]));
    for &v in &cross {
        if medium_left < 50.0 || left < 50.0 {
            break;
        }
        let offset = -uni(rng, 3.0, 4.5);
        village_pipe(
            world,
            rng,
            &villages[v],
            offset,
            true,
            out,
            &mut left,
            &mut medium_left,
        );
    }
    let mut order: Vec<usize> = fill.used_villages.clone();
    order.extend((0..villages.len()).filter(|&v| !fill.village_used[v]));
    let mut low_left = f64::INFINITY;
    for &v in &order {
        if left < 50.0 {
            break;
        }
        let offset = uni(rng, 3.0, 4.5);
        village_pipe(
            world,
            rng,
            &villages[v],
            offset,
            false,
            out,
            &mut left,
            &mut low_left,
        );
    }
    // Whatever is still missing (few villages, long request): 低压 lines along random
    // roads of the grid.
    let mut tries = 0;
    while left >= 50.0 && tries < 20_000 {
        tries += 1;
        let Some(a) = world.mask.sample_inside(rng) else {
            break;
        };
        let len = uni(rng, 300.0, 1500.0).min(left);
        let d = if chance(rng, 0.5) {
            world.axis
        } else {
            perp(world.axis)
        };
        let pts = densify(rng, &[a, a + d * len], 150.0, 400.0, 2.0);
        if world.mask.contains_path(&pts) && world.occ.path_free(&pts, 2.0) {
            add_pipe(
                world,
                rng,
                out,
                &mut left,
                &mut low_left,
                pts,
                (200.0, 800.0),
                |rng| low_plan(rng, "道路"),
            );
        }
    }
}

pub(super) fn low_plan(rng: &mut Rand, place: &str) -> PipePlan {
    let cast_iron = chance(rng, 0.05);
    PipePlan {
        pts: Vec::new(),
        name: format!("{place}低压支管"),
        class: PressureClass::Low,
        pressure: [0.003, 0.005, 0.0025][below(rng, 3)],
        diameter: [32.0, 40.0, 63.0, 90.0, 110.0][below(rng, 5)],
        material: if cast_iron {
            "铸铁管"
        } else if chance(rng, 0.9) {
            "PE管"
        } else {
            "钢管"
        },
        year: if cast_iron {
            int_in(rng, 1992, 2002)
        } else {
            int_in(rng, 2010, 2024)
        } as u16,
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn village_pipe(
    world: &mut World,
    rng: &mut Rand,
    v: &Village,
    offset: f64,
    medium: bool,
    out: &mut Vec<PipePlan>,
    left: &mut f64,
    class_left: &mut f64,
) {
    let pts = offset_path(&v.pts, offset);
    let name = village_name(v.id);
    for run in inside_runs(&world.mask, &pts) {
        if medium {
            add_pipe(
                world,
                rng,
                out,
                left,
                class_left,
                run,
                (400.0, 1500.0),
                |rng| PipePlan {
                    pts: Vec::new(),
                    name: format!("{name}村中压管"),
                    class: PressureClass::MediumB,
                    pressure: [0.2, 0.1][below(rng, 2)],
                    diameter: [110.0, 160.0, 200.0][below(rng, 3)],
                    material: if chance(rng, 0.8) { "PE管" } else { "钢管" },
                    year: int_in(rng, 2008, 2022) as u16,
                },
            );
        } else {
            add_pipe(
                world,
                rng,
                out,
                left,
                class_left,
                run,
                (200.0, 800.0),
                |rng| low_plan(rng, &format!("{name}村")),
            );
        }
    }
}

/// Adds a pipeline (truncated to the budgets), split into sections with shared properties,
/// and keeps later houses off it.
#[allow(clippy::too_many_arguments)]
pub(super) fn add_pipe(
    world: &mut World,
    rng: &mut Rand,
    out: &mut Vec<PipePlan>,
    left: &mut f64,
    class_left: &mut f64,
    pts: Vec<C>,
    piece: (f64, f64),
    make: impl Fn(&mut Rand) -> PipePlan,
) {
    let pts = truncate_path(&pts, left.min(*class_left));
    let len = path_len(&pts);
    if len < 20.0 {
        return;
    }
    *left -= len;
    *class_left -= len;
    world.pipe_occ.mark_path(&pts, 1.5);
    let template = make(rng);
    for (k, p) in split_path(rng, &pts, piece.0, piece.1)
        .into_iter()
        .enumerate()
    {
        let mut plan = template.clone();
        plan.name = format!("{}第{}段", template.name, k + 1);
        plan.pts = p;
        out.push(plan);
    }
}
