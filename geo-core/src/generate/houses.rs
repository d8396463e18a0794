//! Houses: where the self-built houses go — rows along the town street grids, the rural
//! villages (see `villages`), the deliberate occupation cases on the pipes, and scattered
//! houses topping a dense city up to its exact count.

use super::RURAL_HOUSES_PER_M;
use super::arith::{
    C, Rand, below, bucketed, chance, int_in, norm, perp, rot, shuffle, small_turn, uni, weighted,
};
use super::enterprises::{Park, ParkKind};
use super::pipes::PipePlan;
use super::shapes::{RotRect, at, cumulative, path_len};
use super::towns::{Town, nearest_town};
use super::villages::{Village, fill_villages, plan_villages};
use super::world::World;
use crate::model::PressureClass;

#[derive(Debug, Clone, Copy)]
pub(super) enum Addr {
    Street {
        town: u16,
        dir: u8,
        k: i32,
        number: u32,
    },
    Village {
        town: u16,
        village: u32,
        group: u16,
        number: u32,
    },
}

#[derive(Debug, Clone)]
pub(super) struct Slot {
    pub(super) corners: [C; 4],
    pub(super) addr: Addr,
    pub(super) urban: bool,
}

#[derive(Default)]
pub(super) struct HouseFill {
    pub(super) slots: Vec<Slot>,
    pub(super) used_streets: Vec<(usize, u8, i32, i32)>,
    pub(super) used_villages: Vec<usize>,
    pub(super) village_used: Vec<bool>,
    pub(super) village_numbers: Vec<u32>,
}

/// Street-grid node `m` along street `k` of direction `dir` of a town.
pub(super) fn town_point(t: &Town, dir: u8, k: i32, m: i32) -> C {
    let (fx, fy) = if dir == 0 {
        (f64::from(m) * t.spacing, f64::from(k) * t.spacing)
    } else {
        (f64::from(k) * t.spacing, f64::from(m) * t.spacing)
    };
    t.centre + t.frame * fx + perp(t.frame) * fy
}

/// Whether a point lies in a park (with a buffer), where nobody lives.
pub(super) fn in_park(parks: &[Park], p: C, margin: f64) -> bool {
    parks.iter().any(|k| k.rect.contains(p, margin))
}

pub(super) struct Row {
    pub(super) base: f64,
    pub(super) frontage: (f64, f64),
    pub(super) depth: (f64, f64),
    pub(super) gaps: [(f64, f64, f64); 3],
}

pub(super) const TOWN_ROWS: [Row; 2] = [
    Row {
        base: 7.0,
        frontage: (5.0, 12.0),
        depth: (8.0, 16.0),
        gaps: [(0.8, 3.0, 0.65), (3.0, 10.0, 0.30), (10.0, 30.0, 0.05)],
    },
    Row {
        base: 27.0,
        frontage: (5.0, 12.0),
        depth: (8.0, 16.0),
        gaps: [(0.8, 3.0, 0.55), (3.0, 10.0, 0.35), (10.0, 30.0, 0.10)],
    },
];

/// Places houses along one side of a polyline; returns how many.
#[allow(clippy::too_many_arguments)]
pub(super) fn fill_side(
    world: &mut World,
    rng: &mut Rand,
    parks: &[Park],
    pts: &[C],
    cum: &[f64],
    t_range: (f64, f64),
    side: f64,
    row: &Row,
    quota: &mut usize,
    mut make: impl FnMut(&mut Rand, C, f64) -> (Addr, bool),
    slots: &mut Vec<Slot>,
) -> usize {
    let mut placed = 0;
    let mut t = t_range.0 + uni(rng, 0.0, 6.0);
    while *quota > 0 {
        let w = uni(rng, row.frontage.0, row.frontage.1);
        if t + w > t_range.1 {
            break;
        }
        let d = uni(rng, row.depth.0, row.depth.1);
        let (p, dir) = at(pts, cum, t + w / 2.0);
        let u = rot(dir, small_turn(rng, 0.035));
        let centre = p + perp(dir) * (side * (row.base + uni(rng, -1.0, 1.0) + d / 2.0));
        let r = RotRect {
            c: centre,
            u,
            hw: w / 2.0,
            hh: d / 2.0,
        };
        let corners = r.corners();
        if !in_park(parks, centre, 80.0)
            && world.occ.is_free(&corners, 1.0)
            && world.pipe_occ.is_free(&corners, 0.0)
            && world.mask.contains_poly(&corners)
        {
            world.occ.mark(&corners, 0.0);
            let (addr, urban) = make(rng, centre, t);
            slots.push(Slot {
                corners,
                addr,
                urban,
            });
            *quota -= 1;
            placed += 1;
        }
        t += w + bucketed(rng, &row.gaps);
    }
    placed
}

/// The street blocks of a town (distance from the centre, direction, street, block), inside
/// the boundary and outside the parks, from the centre outwards.
pub(super) fn town_segments(
    world: &World,
    parks: &[Park],
    town: &Town,
) -> Vec<(f64, u8, i32, i32)> {
    let kmax = town_kmax(town);
    let mut segs: Vec<(f64, u8, i32, i32)> = Vec::new();
    for dir in 0..2u8 {
        for k in -kmax..=kmax {
            for m in -kmax..kmax {
                let mid = (town_point(town, dir, k, m) + town_point(town, dir, k, m + 1)) * 0.5;
                let d = norm(mid - town.centre);
                let ends = [town_point(town, dir, k, m), town_point(town, dir, k, m + 1)];
                // Sites and targets placed earlier cut the street there (a compound).
                if d <= town.radius
                    && world.mask.contains_path(&ends)
                    && !in_park(parks, mid, 0.0)
                    && world.occ.path_free(&ends, 3.0)
                {
                    segs.push((d, dir, k, m));
                }
            }
        }
    }
    // Outwards from the centre, so that a small quota fills the core first.
    segs.sort_by(|a, b| {
        a.0.total_cmp(&b.0)
            .then((a.1, a.2, a.3).cmp(&(b.1, b.2, b.3)))
    });
    segs
}

pub(super) fn town_kmax(town: &Town) -> i32 {
    (town.radius / town.spacing).ceil() as i32 + 1
}

pub(super) fn fill_town(
    world: &mut World,
    rng: &mut Rand,
    parks: &[Park],
    towns: &[Town],
    ti: usize,
    segs: &[(f64, u8, i32, i32)],
    fill: &mut HouseFill,
) -> usize {
    let town = &towns[ti];
    let mut quota = town.quota;
    let s = town.spacing;
    let kmax = town_kmax(town);
    let mut numbers = vec![0u32; 2 * (2 * kmax as usize + 1)];
    let placed_before = fill.slots.len();
    for &(_, dir, k, m) in segs {
        if quota == 0 {
            break;
        }
        let pts = [town_point(town, dir, k, m), town_point(town, dir, k, m + 1)];
        let cum = [0.0, s];
        let mut n = 0;
        for row in &TOWN_ROWS {
            for side in [1.0, -1.0] {
                let street = usize::from(dir) * (2 * kmax as usize + 1) + (k + kmax) as usize;
                n += fill_side(
                    world,
                    rng,
                    parks,
                    &pts,
                    &cum,
                    (9.0, s - 9.0),
                    side,
                    row,
                    &mut quota,
                    |_, p, _| {
                        numbers[street] += 1;
                        let num = numbers[street] * 2 - u32::from(side > 0.0);
                        let town = nearest_town(towns, p) as u16;
                        (
                            Addr::Street {
                                town,
                                dir,
                                k,
                                number: num,
                            },
                            true,
                        )
                    },
                    &mut fill.slots,
                );
            }
        }
        if n > 0 {
            fill.used_streets.push((ti, dir, k, m));
        }
    }
    fill.slots.len() - placed_before
}

/// recorded in `fill` for the 低压 network.
pub(super) fn fill_houses(
    world: &mut World,
    rng: &mut Rand,
    towns: &[Town],
    parks: &[Park],
    n_regular: usize,
    fill: &mut HouseFill,
) -> Vec<Village> {
    fill.slots.reserve(n_regular);
    // Streets and village roads are kept free of houses (their pipes come later), so that
    // the only houses on a pipe are the deliberate occupation cases.
    let segs: Vec<Vec<(f64, u8, i32, i32)>> = towns
        .iter()
        .map(|t| town_segments(world, parks, t))
        .collect();
    for (t, ss) in towns.iter().zip(&segs) {
        for &(_, dir, k, m) in ss {
            world.pipe_occ.mark_path(
                &[town_point(t, dir, k, m), town_point(t, dir, k, m + 1)],
                3.0,
            );
        }
    }
    let mut town_placed = 0;
    for (ti, ss) in segs.iter().enumerate() {
        town_placed += fill_town(world, rng, parks, towns, ti, ss, fill);
    }
    let mut quota = n_regular - town_placed;
    // Line spacing for the rural houses to fit; below 150 m the villages get denser instead.
    let raw = if quota > 0 {
        RURAL_HOUSES_PER_M * world.mask.inside_area_m2() * 0.8 / quota as f64
    } else {
        800.0
    };
    let spacing = raw.clamp(150.0, 800.0);
    let dense = raw < 150.0;
    let mut villages = plan_villages(world, rng, towns, parks, (spacing, 0.0, dense), 0);
    for v in &villages {
        world.pipe_occ.mark_path(&v.pts, 6.0);
    }
    shuffle(rng, &mut villages);
    // A few villages close to the chemical park go first, so that they always exist.
    if let Some(chem) = parks.iter().find(|p| p.kind == ParkKind::Chemical) {
        let mut near: Vec<usize> = (0..villages.len())
            .filter(|&i| {
                let d = chem
                    .rect
                    .distance(villages[i].pts[villages[i].pts.len() / 2]);
                (250.0..1500.0).contains(&d)
            })
            .take(3)
            .collect();
        near.sort_unstable();
        for (k, &i) in near.iter().enumerate() {
            villages.swap(k, i);
        }
    }
    fill.village_used = vec![false; villages.len()];
    fill_villages(
        world,
        rng,
        (parks, towns),
        &villages,
        0,
        dense,
        &mut quota,
        fill,
    );
    if quota > 0 {
        // Denser countryside: a second set of lines between the first.
        let first = villages.len() as u32;
        let mut more = plan_villages(
            world,
            rng,
            towns,
            parks,
            (spacing, spacing * 0.5, dense),
            first,
        );
        for v in &more {
            world.pipe_occ.mark_path(&v.pts, 6.0);
        }
        shuffle(rng, &mut more);
        fill.village_used.resize(villages.len() + more.len(), false);
        villages.append(&mut more);
        fill_villages(
            world,
            rng,
            (parks, towns),
            &villages,
            first as usize,
            dense,
            &mut quota,
            fill,
        );
    }
    villages
}

/// Houses deliberately built on or within ~2 m of a pipe (违章占压), the cases a gas
/// safety map must find.
pub(super) fn place_occupation_houses(
    world: &mut World,
    rng: &mut Rand,
    towns: &[Town],
    pipes: &[PipePlan],
    n: usize,
    fill: &mut HouseFill,
) {
    if pipes.is_empty() || n == 0 {
        return;
    }
    // Mostly low and medium pipes (villages and towns); a tenth on the trunk.
    let (trunk, dist): (Vec<usize>, Vec<usize>) = (0..pipes.len()).partition(|&i| {
        matches!(
            pipes[i].class,
            PressureClass::SubHighA | PressureClass::SubHighB
        )
    });
    let lens = |ids: &[usize]| {
        ids.iter()
            .map(|&i| path_len(&pipes[i].pts))
            .collect::<Vec<f64>>()
    };
    let (tw, dw) = (lens(&trunk), lens(&dist));
    let mut placed = 0;
    let mut tries = 0;
    while placed < n && tries < n * 50 {
        tries += 1;
        let (ids, w) = if !trunk.is_empty() && (dist.is_empty() || chance(rng, 0.1)) {
            (&trunk, &tw)
        } else {
            (&dist, &dw)
        };
        let pipe = &pipes[ids[weighted(rng, w)]];
        let cum = cumulative(&pipe.pts);
        let total = cum.last().copied().unwrap_or(0.0);
        let (p, dir) = at(&pipe.pts, &cum, uni(rng, 0.0, total));
        let (w, d) = (uni(rng, 6.0, 12.0), uni(rng, 8.0, 15.0));
        // Signed gap between the pipe and the house's near wall: negative means on top.
        let gap = uni(rng, -3.0, 2.0);
        let side = if chance(rng, 0.5) { 1.0 } else { -1.0 };
        let r = RotRect {
            c: p + perp(dir) * (side * (gap + d / 2.0)),
            u: rot(dir, small_turn(rng, 0.035)),
            hw: w / 2.0,
            hh: d / 2.0,
        };
        let corners = r.corners();
        if world.occ.is_free(&corners, 0.5) && world.mask.contains_poly(&corners) {
            world.occ.mark(&corners, 0.0);
            let town = nearest_town(towns, r.c) as u16;
            let urban = norm(r.c - towns[town as usize].centre) <= towns[town as usize].radius;
            fill.slots.push(Slot {
                corners,
                addr: Addr::Village {
                    town,
                    village: 90_000 + below(rng, 500) as u32,
                    group: int_in(rng, 1, 12) as u16,
                    number: int_in(rng, 1, 300),
                },
                urban,
            });
            placed += 1;
        }
    }
}

/// Tops the houses up to `total` anywhere inside (free ground first), for cities too
/// dense for their villages; always ends with exactly `total` houses.
pub(super) fn fill_scattered(
    world: &mut World,
    rng: &mut Rand,
    towns: &[Town],
    parks: &[Park],
    total: usize,
    fill: &mut HouseFill,
) {
    let mut tries = 0usize;
    let budget = (total - fill.slots.len().min(total)) * 40;
    while fill.slots.len() < total {
        tries += 1;
        let relaxed = tries > budget;
        let p = if relaxed {
            Some(world.mask.in_cell(rng))
        } else {
            world.mask.sample_inside(rng)
        };
        let Some(p) = p else { continue };
        let r = RotRect {
            c: p,
            u: rot(world.axis, small_turn(rng, 0.2)),
            hw: uni(rng, 3.0, 7.0),
            hh: uni(rng, 4.0, 9.0),
        };
        let corners = r.corners();
        let ok = if relaxed {
            // Last resort: inside is guaranteed by the cell, overlap is accepted.
            true
        } else {
            !in_park(parks, p, 80.0)
                && world.occ.is_free(&corners, 1.0)
                && world.pipe_occ.is_free(&corners, 0.0)
                && world.mask.contains_poly(&corners)
        };
        if ok {
            world.occ.mark(&corners, 0.0);
            let town = nearest_town(towns, p) as u16;
            let cell = world.mask.cell_of(p).unwrap_or(0) as u32;
            let urban = norm(p - towns[town as usize].centre) <= towns[town as usize].radius;
            fill.slots.push(Slot {
                corners,
                addr: Addr::Village {
                    town,
                    village: 100_000 + cell % 997,
                    group: int_in(rng, 1, 15) as u16,
                    number: int_in(rng, 1, 400),
                },
                urban,
            });
        }
    }
}
