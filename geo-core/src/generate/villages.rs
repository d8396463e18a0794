//! Villages: the settlement strips along the canals and roads of the countryside (the
//! linear settlement typical of Haimen) and the rows of houses along them.

use super::arith::{C, Rand, c, dot, norm, perp, uni};
use super::enterprises::Park;
use super::houses::{Addr, HouseFill, Row, fill_side, in_park};
use super::shapes::{at, cumulative, densify, sub_path};
use super::towns::{Town, nearest_town};
use super::world::World;

/// A settlement strip: a village along a canal or road.
pub(super) struct Village {
    pub(super) id: u32,
    pub(super) pts: Vec<C>,
    pub(super) cum: Vec<f64>,
    pub(super) len: f64,
    /// On a road across the regional grid (a main road: 中压 runs along it).
    pub(super) cross: bool,
    pub(super) setback: [f64; 2],
}

pub(super) const VILLAGE_GAPS: [(f64, f64, f64); 3] =
    [(2.0, 8.0, 0.65), (8.0, 25.0, 0.27), (30.0, 120.0, 0.08)];
pub(super) const VILLAGE_GAPS_DENSE: [(f64, f64, f64); 3] =
    [(1.5, 5.0, 0.75), (5.0, 15.0, 0.22), (30.0, 80.0, 0.03)];

/// Rural settlement strips on lines along the regional grid (and, sparser, across it).
pub(super) fn plan_villages(
    world: &World,
    rng: &mut Rand,
    towns: &[Town],
    parks: &[Park],
    lines: (f64, f64, bool),
    first_id: u32,
) -> Vec<Village> {
    let (spacing, phase, dense) = lines;
    let u = world.axis;
    let n = perp(u);
    let corners = [
        world.mask.lo,
        c(world.mask.hi.x, world.mask.lo.y),
        world.mask.hi,
        c(world.mask.lo.x, world.mask.hi.y),
    ];
    let (umin, umax) = corners
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |a, &p| {
            (a.0.min(dot(p, u)), a.1.max(dot(p, u)))
        });
    let (nmin, nmax) = corners
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |a, &p| {
            (a.0.min(dot(p, n)), a.1.max(dot(p, n)))
        });
    let mut out = Vec::new();
    let h = c(6.0, 6.0);
    let valid = |p: C| {
        world.mask.contains_point(p)
            && world.occ.is_free_box(p - h, p + h)
            && !in_park(parks, p, 150.0)
            && towns.iter().all(|t| norm(p - t.centre) > t.radius + 60.0)
    };
    // A dense countryside has longer villages and shorter fields between them.
    let (gap_along, gap_cross) = if dense {
        ((60.0, 400.0), (150.0, 800.0))
    } else {
        ((150.0, 1200.0), (300.0, 2000.0))
    };
    for (along, across, step, cross, vlen, gap) in [
        (u, n, spacing, false, (300.0, 2200.0), gap_along),
        (n, u, spacing * 3.0, true, (300.0, 1500.0), gap_cross),
    ] {
        let (amin, amax) = if cross { (nmin, nmax) } else { (umin, umax) };
        let (bmin, bmax) = if cross { (umin, umax) } else { (nmin, nmax) };
        let mut off = bmin + phase + uni(rng, 0.0, step * 0.3);
        while off <= bmax {
            let mut t = amin + uni(rng, 0.0, 800.0);
            while t < amax {
                let len = uni(rng, vlen.0, vlen.1);
                let lateral = off + uni(rng, -step * 0.1, step * 0.1);
                let raw = [
                    along * t + across * lateral,
                    along * (t + len) + across * (lateral + uni(rng, -15.0, 15.0)),
                ];
                let pts = densify(rng, &raw, 150.0, 400.0, 6.0);
                let cum = cumulative(&pts);
                let total = cum.last().copied().unwrap_or(0.0);
                // Keep the runs of the strip that are inside and away from towns and parks.
                // Every 5 m, so that no house placed earlier (a narrow one is 5 m wide) can sit
                // on the road between two samples.
                let samples = (total / 5.0).ceil() as usize;
                let step_t = total / samples.max(1) as f64;
                let mut run_start: Option<f64> = None;
                for s in 0..=samples {
                    let ts = step_t * s as f64;
                    let ok = valid(at(&pts, &cum, ts).0);
                    if ok && run_start.is_none() {
                        run_start = Some(ts);
                    }
                    if (!ok || s == samples)
                        && let Some(t0) = run_start.take()
                    {
                        let t1 = if ok { ts } else { ts - step_t };
                        if t1 - t0 >= 150.0 {
                            let vp = sub_path(&pts, &cum, t0, t1);
                            let vc = cumulative(&vp);
                            out.push(Village {
                                id: first_id + out.len() as u32,
                                len: vc.last().copied().unwrap_or(0.0),
                                pts: vp,
                                cum: vc,
                                cross,
                                setback: [uni(rng, 12.0, 22.0), uni(rng, 12.0, 22.0)],
                            });
                        }
                    }
                }
                t += len + uni(rng, gap.0, gap.1);
            }
            off += step;
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
pub(super) fn fill_village(
    world: &mut World,
    rng: &mut Rand,
    parks: &[Park],
    towns: &[Town],
    v: &Village,
    (row, dense): (u8, bool),
    quota: &mut usize,
    fill: &mut HouseFill,
) -> usize {
    let mut n = 0;
    for (si, side) in [1.0, -1.0].into_iter().enumerate() {
        let row = Row {
            base: v.setback[si] + 26.0 * f64::from(row),
            frontage: (6.0, 14.0),
            depth: (8.0, 18.0),
            gaps: if dense {
                VILLAGE_GAPS_DENSE
            } else {
                VILLAGE_GAPS
            },
        };
        let vid = v.id as usize;
        let numbers = &mut fill.village_numbers;
        if numbers.len() <= vid {
            numbers.resize(vid + 1, 0);
        }
        n += fill_side(
            world,
            rng,
            parks,
            &v.pts,
            &v.cum,
            (0.0, v.len),
            side,
            &row,
            quota,
            |_, p, t| {
                numbers[vid] += 1;
                let town = nearest_town(towns, p) as u16;
                let group = (t / 300.0) as u16 + 1;
                (
                    Addr::Village {
                        town,
                        village: v.id,
                        group,
                        number: numbers[vid],
                    },
                    false,
                )
            },
            &mut fill.slots,
        );
    }
    n
}

/// Front rows of the villages from `first` on, then their back rows, until the quota is met.
#[allow(clippy::too_many_arguments)]
pub(super) fn fill_villages(
    world: &mut World,
    rng: &mut Rand,
    (parks, towns): (&[Park], &[Town]),
    villages: &[Village],
    first: usize,
    dense: bool,
    quota: &mut usize,
    fill: &mut HouseFill,
) {
    // Dense countryside (a very large city) gets a third row of houses behind the second.
    let rows: &[u8] = if dense { &[0, 1, 2] } else { &[0, 1] };
    for &row in rows {
        for (vi, v) in villages.iter().enumerate().skip(first) {
            if *quota == 0 {
                return;
            }
            let n = fill_village(world, rng, parks, towns, v, (row, dense), quota, fill);
            if n > 0 && !fill.village_used[vi] {
                fill.village_used[vi] = true;
                fill.used_villages.push(vi);
            }
        }
    }
}
