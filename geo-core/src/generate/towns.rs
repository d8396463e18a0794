//! Towns and areas: the towns and streets (镇/街道) the city is organised in, their street
//! grids and quotas of houses, and the area layer as the Voronoi cells of their seats
//! clipped to the boundary.

use std::f64::consts::PI;

use geo::{BooleanOps, Geometry, MultiPolygon, Polygon};

use super::arith::{C, Rand, c, dot, norm, rot, small_turn, uni};
use super::haimen::HAIMEN_SEATS;
use super::mask::IN;
use super::world::World;
use super::{TOWN_HOUSES_PER_M, TOWN_SHARE};
use crate::model::{Area, Feature};

pub(super) struct Town {
    pub(super) name: String,
    pub(super) code: String,
    pub(super) centre: C,
    pub(super) weight: f64,
    pub(super) radius: f64,
    pub(super) frame: C,
    pub(super) spacing: f64,
    pub(super) quota: usize,
}

pub(super) fn plan_towns(world: &mut World, rng: &mut Rand, n_regular: usize) -> Vec<Town> {
    let mut towns: Vec<Town> = Vec::new();
    // A place named by the caller is not 海门区, wherever it lies.
    for s in HAIMEN_SEATS.iter().filter(|_| !world.named) {
        let p = world.plane.to_m(c(s.lon, s.lat));
        if world
            .mask
            .cell_of(p)
            .is_some_and(|k| world.mask.state[k] == IN)
        {
            towns.push(Town {
                name: s.name.to_string(),
                code: s.code.to_string(),
                centre: p,
                weight: s.weight,
                radius: s.min_radius,
                frame: c(1.0, 0.0),
                spacing: 150.0,
                quota: 0,
            });
        }
    }
    if towns.len() < 3 {
        // Not Haimen (or a piece of it): spread synthetic seats over the boundary.
        towns.clear();
        let prefix = if world.named {
            world.district.clone()
        } else {
            world.district = "示例区".into();
            world.credit_area = "990000".into();
            String::new()
        };
        let area_km2 = world.mask.inside_area_m2() / 1e6;
        let k = ((area_km2 / 90.0).round() as usize).clamp(1, 12);
        let min_gap = (area_km2 * 1e6 / k as f64).sqrt() * 0.5;
        let mut tries = 0;
        while towns.len() < k && tries < 2000 {
            tries += 1;
            let p = world.mask.in_cell(rng);
            if towns.iter().all(|t| norm(t.centre - p) >= min_gap) || tries > 1500 {
                let i = towns.len() + 1;
                towns.push(Town {
                    name: format!("{prefix}示例镇{i:02}"),
                    code: format!("{}{:03}000", world.credit_area, i),
                    centre: p,
                    weight: 1.0,
                    radius: 500.0,
                    frame: c(1.0, 0.0),
                    spacing: 150.0,
                    quota: 0,
                });
            }
        }
    }
    let town_total = (n_regular as f64 * TOWN_SHARE).round() as usize;
    let wsum: f64 = towns.iter().map(|t| t.weight).sum();
    let mut given = 0;
    let n = towns.len();
    for (i, t) in towns.iter_mut().enumerate() {
        t.quota = if i + 1 == n {
            town_total - given
        } else {
            ((town_total as f64) * t.weight / wsum).floor() as usize
        };
        given += t.quota;
        t.frame = rot(world.axis, small_turn(rng, 0.035));
        t.spacing = uni(rng, 120.0, 170.0);
        let need = t.quota as f64 / TOWN_HOUSES_PER_M;
        t.radius = (need * t.spacing / (2.0 * PI))
            .sqrt()
            .clamp(t.radius, 5000.0);
    }
    towns
}

pub(super) fn nearest_town(towns: &[Town], p: C) -> usize {
    let mut best = 0;
    let mut bd = f64::INFINITY;
    for (i, t) in towns.iter().enumerate() {
        let d = dot(p - t.centre, p - t.centre);
        if d < bd {
            bd = d;
            best = i;
        }
    }
    best
}

/// Keeps the part of a convex polygon where (p − m)·n ≤ 0 (Sutherland–Hodgman).
pub(super) fn clip_half_plane(poly: &[C], m: C, n: C) -> Vec<C> {
    let mut out = Vec::new();
    let k = poly.len();
    for i in 0..k {
        let (a, b) = (poly[i], poly[(i + 1) % k]);
        let (da, db) = (dot(a - m, n), dot(b - m, n));
        if da <= 0.0 {
            out.push(a);
        }
        if (da < 0.0 && db > 0.0) || (da > 0.0 && db < 0.0) {
            out.push(a + (b - a) * (da / (da - db)));
        }
    }
    out
}

pub(super) fn build_areas(
    world: &World,
    towns: &[Town],
    boundary: &MultiPolygon<f64>,
) -> Vec<Feature<Area>> {
    let pad = c(5000.0, 5000.0);
    let (lo, hi) = (world.mask.lo - pad, world.mask.hi + pad);
    let mut out = Vec::new();
    for (i, t) in towns.iter().enumerate() {
        let mut cell = vec![lo, c(hi.x, lo.y), hi, c(lo.x, hi.y)];
        for (j, o) in towns.iter().enumerate() {
            if i != j && cell.len() >= 3 {
                cell = clip_half_plane(&cell, (t.centre + o.centre) * 0.5, o.centre - t.centre);
            }
        }
        if cell.len() < 3 {
            continue;
        }
        let poly = Polygon::new(world.plane.ring(&cell), vec![]);
        let clipped = poly.intersection(boundary);
        let geometry = match clipped.0.len() {
            0 => continue,
            1 => Geometry::Polygon(clipped.0[0].clone()),
            _ => Geometry::MultiPolygon(clipped),
        };
        out.push(Feature {
            id: format!("area-{:02}", out.len() + 1),
            geometry,
            props: Area {
                name: t.name.clone(),
                code: Some(t.code.clone()),
            },
            source: super::generated_at(out.len() as u64),
        });
    }
    out
}
