//! The world being built: the boundary, the local plane and what is already placed, with
//! the placement of free points and rectangles every stage uses.

use super::arith::{C, Rand, c, in_unit_disc};
use super::mask::Mask;
use super::occupancy::Occupancy;
use super::plane::Plane;
use super::shapes::RotRect;

pub(super) struct World {
    pub(super) plane: Plane,
    pub(super) mask: Mask,
    /// Buildings, sites and protection targets.
    pub(super) occ: Occupancy,
    /// Corridors of the trunk, so that ordinary houses never sit on it.
    pub(super) pipe_occ: Occupancy,
    pub(super) axis: C,
    pub(super) district: String,
    /// Administrative code used in credit codes.
    pub(super) credit_area: String,
    /// The place names an enterprise's name starts with.
    pub(super) firm_prefixes: [String; 2],
    /// Whether the place was named by the caller ([`super::Region`]): its synthetic towns
    /// then carry its name, so that towns of different cities never share one.
    pub(super) named: bool,
}

impl World {
    /// A point near `centre` (within `radius`) that is inside and free, marked as taken;
    /// falls back to anywhere inside, then to the middle of an inside cell.
    pub(super) fn place_point(&mut self, rng: &mut Rand, centre: C, radius: f64) -> C {
        let h = c(5.0, 5.0);
        for _ in 0..200 {
            let p = centre + in_unit_disc(rng) * radius;
            if self.mask.contains_point(p) && self.occ.is_free_box(p - h, p + h) {
                self.occ.mark_box(p - h, p + h);
                return p;
            }
        }
        for _ in 0..50 {
            if let Some(p) = self.mask.sample_inside(rng)
                && self.occ.is_free_box(p - h, p + h)
            {
                self.occ.mark_box(p - h, p + h);
                return p;
            }
        }
        self.mask.in_cell(rng)
    }

    /// A free rectangle of `w`×`h` near `centre`, turned to `u`, marked as taken.
    pub(super) fn place_rect(
        &mut self,
        rng: &mut Rand,
        centre: C,
        radius: f64,
        u: C,
        size: (f64, f64),
        margin: f64,
    ) -> Option<RotRect> {
        for _ in 0..150 {
            let r = RotRect {
                c: centre + in_unit_disc(rng) * radius,
                u,
                hw: size.0 / 2.0,
                hh: size.1 / 2.0,
            };
            let pts = r.corners();
            if self.occ.is_free(&pts, margin) && self.mask.contains_poly(&pts) {
                self.occ.mark(&pts, 0.0);
                return Some(r);
            }
        }
        None
    }
}
