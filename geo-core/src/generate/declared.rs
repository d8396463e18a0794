//! Declared grades and levels: what the enterprises state in their ledgers, estimated from
//! the generated population and then, for some of them, wrong — as in real ledgers.

use super::arith::{C, Rand, c, chance};
use super::enterprises::Enterprises;
use super::hazards::UnitPlan;
use super::houses::HouseFill;
use super::mask::grid_index;
use super::shapes::RotRect;
use super::targets::TargetPlan;
use super::world::World;
use crate::model::{HazardGrade, Industry, RiskLevel, TargetKind};

/// Residents per 50 m cell, to estimate α (population within 500 m of a unit).
pub(super) struct PopGrid {
    pub(super) x0: f64,
    pub(super) y0: f64,
    pub(super) cell: f64,
    pub(super) nx: usize,
    pub(super) ny: usize,
    pub(super) v: Vec<f64>,
}

impl PopGrid {
    pub(super) fn build(
        world: &World,
        fill: &HouseFill,
        occupants: &[u32],
        targets: &[TargetPlan],
    ) -> PopGrid {
        let cell = 50.0;
        let (lo, hi) = (world.mask.lo, world.mask.hi);
        let nx = ((hi.x - lo.x) / cell) as usize + 1;
        let ny = ((hi.y - lo.y) / cell) as usize + 1;
        let mut g = PopGrid {
            x0: lo.x,
            y0: lo.y,
            cell,
            nx,
            ny,
            v: vec![0.0; nx * ny],
        };
        for (s, &o) in fill.slots.iter().zip(occupants) {
            g.add((s.corners[0] + s.corners[2]) * 0.5, f64::from(o));
        }
        for t in targets {
            if t.props.kind == Some(TargetKind::ResidentialCommunity) {
                g.add(t.site.centre(), f64::from(t.props.population.unwrap_or(0)));
            }
        }
        g
    }
    pub(super) fn add(&mut self, p: C, n: f64) {
        let i = grid_index((p.x - self.x0) / self.cell, self.nx);
        let j = grid_index((p.y - self.y0) / self.cell, self.ny);
        self.v[j * self.nx + i] += n;
    }
    pub(super) fn within(&self, r: &RotRect, dist: f64) -> f64 {
        let ext = r.hw.max(r.hh) * 1.5 + dist + self.cell;
        let i0 = grid_index((r.c.x - ext - self.x0) / self.cell, self.nx);
        let i1 = grid_index((r.c.x + ext - self.x0) / self.cell, self.nx);
        let j0 = grid_index((r.c.y - ext - self.y0) / self.cell, self.ny);
        let j1 = grid_index((r.c.y + ext - self.y0) / self.cell, self.ny);
        let mut sum = 0.0;
        for j in j0..=j1 {
            for i in i0..=i1 {
                let p = c(
                    self.x0 + (i as f64 + 0.5) * self.cell,
                    self.y0 + (j as f64 + 0.5) * self.cell,
                );
                if r.distance(p) <= dist {
                    sum += self.v[j * self.nx + i];
                }
            }
        }
        sum
    }
}

pub(super) fn grade_of(r: f64) -> HazardGrade {
    if r >= 100.0 {
        HazardGrade::One
    } else if r >= 50.0 {
        HazardGrade::Two
    } else if r >= 10.0 {
        HazardGrade::Three
    } else {
        HazardGrade::Four
    }
}

pub(super) fn grade_from_number(n: i32) -> HazardGrade {
    match n.clamp(1, 4) {
        1 => HazardGrade::One,
        2 => HazardGrade::Two,
        3 => HazardGrade::Three,
        _ => HazardGrade::Four,
    }
}

/// The generator's own estimate of a unit's grade (GB 18218: α from residents within 500 m).
pub(super) fn estimated_grade(pop: &PopGrid, u: &UnitPlan) -> Option<HazardGrade> {
    if u.s_sum < 1.0 {
        return None;
    }
    let p = pop.within(&u.rect, 500.0);
    let alpha = if p >= 100.0 {
        2.0
    } else if p >= 50.0 {
        1.5
    } else if p >= 30.0 {
        1.2
    } else if p >= 1.0 {
        1.0
    } else {
        0.5
    };
    Some(grade_of(alpha * u.beta_sum))
}

pub(super) fn declare(rng: &mut Rand, pop: &PopGrid, ents: &mut Enterprises) {
    for e in &mut ents.ents {
        let mut worst: Option<HazardGrade> = None;
        for u in &mut e.units {
            let est = estimated_grade(pop, u);
            if let Some(g) = est {
                worst = Some(worst.map_or(g, |w| w.min(g)));
            }
            if !chance(rng, 0.4) {
                continue;
            }
            // ~15 % of declared grades are off by one; some units below the threshold
            // declare 四级 anyway.
            u.declared = match est {
                Some(g) if chance(rng, 0.15) => {
                    let n = i32::from(g.number());
                    Some(grade_from_number(
                        if n == 1 || (n != 4 && chance(rng, 0.5)) {
                            n + 1
                        } else {
                            n - 1
                        },
                    ))
                }
                Some(g) => Some(g),
                None => chance(rng, 0.3).then_some(HazardGrade::Four),
            };
        }
        let p = &mut e.props;
        let expected = match (worst, p.industry) {
            (Some(HazardGrade::One), _) => RiskLevel::Major,
            (Some(_), _) => RiskLevel::Significant,
            (None, Some(i)) if i.is_hazchem() => RiskLevel::General,
            (None, Some(Industry::Other) | None) => RiskLevel::Low,
            (None, Some(_)) => RiskLevel::General,
        };
        let expected = if p.open_major_hidden_hazards > 0 {
            expected.raised()
        } else {
            expected
        };
        let share = if e.units.is_empty() { 0.09 } else { 0.4 };
        if chance(rng, share) {
            // Under-declaring is the usual error; a few declare higher than needed.
            p.declared_level = Some(if chance(rng, 0.3) {
                match expected {
                    RiskLevel::Major => RiskLevel::Significant,
                    RiskLevel::Significant => RiskLevel::General,
                    RiskLevel::General => RiskLevel::Low,
                    RiskLevel::Low => RiskLevel::General,
                }
            } else {
                expected
            });
        }
    }
}
