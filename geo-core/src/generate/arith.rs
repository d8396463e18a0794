//! Deterministic arithmetic and random draws: vector helpers that use only `+ − × ÷` and
//! `√` (no libm, whose last bit may differ between platforms) and the ChaCha8 draws every
//! stage of the generator takes its numbers from.

use geo::Coord;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub(super) type C = Coord<f64>;
pub(super) type Rand = ChaCha8Rng;

pub(super) const fn c(x: f64, y: f64) -> C {
    Coord { x, y }
}
pub(super) fn dot(a: C, b: C) -> f64 {
    a.x * b.x + a.y * b.y
}
pub(super) fn cross(a: C, b: C) -> f64 {
    a.x * b.y - a.y * b.x
}
pub(super) fn norm(a: C) -> f64 {
    (a.x * a.x + a.y * a.y).sqrt()
}
/// The left normal.
pub(super) fn perp(a: C) -> C {
    c(-a.y, a.x)
}
/// `v` turned by the unit vector `r` = (cos θ, sin θ).
pub(super) fn rot(v: C, r: C) -> C {
    c(v.x * r.x - v.y * r.y, v.x * r.y + v.y * r.x)
}
/// The unit vector at angle θ where `t` = tan(θ/2): exact arithmetic, no libm.
pub(super) fn unit_from_half_tan(t: f64) -> C {
    let d = 1.0 + t * t;
    c((1.0 - t * t) / d, 2.0 * t / d)
}
pub(super) fn unit(v: C) -> C {
    let n = norm(v);
    if n > 0.0 { v / n } else { c(1.0, 0.0) }
}
pub(super) fn orient(a: C, b: C, p: C) -> f64 {
    cross(b - a, p - a)
}
/// cos x by its Taylor series (|x| ≤ π/2): a fixed sequence of IEEE operations, so every
/// machine gets the same bits, which a platform's libm `cos` does not promise.
pub(super) fn cos_poly(x: f64) -> f64 {
    let x2 = x * x;
    let mut term = 1.0;
    let mut sum = 1.0;
    for k in 1..=14u32 {
        term *= -x2 / f64::from((2 * k - 1) * (2 * k));
        sum += term;
    }
    sum
}

pub(super) fn rng_for(seed: u64, stream: u64) -> Rand {
    let mut r = Rand::seed_from_u64(seed);
    r.set_stream(stream);
    r
}
pub(super) fn uni(rng: &mut Rand, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * rng.random::<f64>()
}
pub(super) fn chance(rng: &mut Rand, p: f64) -> bool {
    rng.random::<f64>() < p
}
/// Uniform index below `n` (sampled as u64, so the result does not depend on usize width).
pub(super) fn below(rng: &mut Rand, n: usize) -> usize {
    if n <= 1 {
        0
    } else {
        rng.random_range(0..n as u64) as usize
    }
}
pub(super) fn int_in(rng: &mut Rand, lo: u32, hi: u32) -> u32 {
    rng.random_range(lo..=hi)
}
pub(super) fn weighted(rng: &mut Rand, w: &[f64]) -> usize {
    let total: f64 = w.iter().sum();
    let mut x = uni(rng, 0.0, total);
    for (i, &wi) in w.iter().enumerate() {
        if x < wi {
            return i;
        }
        x -= wi;
    }
    w.len().saturating_sub(1)
}
pub(super) fn pick<'a>(rng: &mut Rand, items: &[&'a str]) -> &'a str {
    items[below(rng, items.len())]
}
pub(super) fn shuffle<T>(rng: &mut Rand, v: &mut [T]) {
    for i in (1..v.len()).rev() {
        let j = below(rng, i + 1);
        v.swap(i, j);
    }
}
/// A small random turn, |θ| ≤ 2·atan(`max_half_tan`).
pub(super) fn small_turn(rng: &mut Rand, max_half_tan: f64) -> C {
    unit_from_half_tan(uni(rng, -max_half_tan, max_half_tan))
}
/// A uniform point of the unit disc, by rejection (no trigonometry).
pub(super) fn in_unit_disc(rng: &mut Rand) -> C {
    for _ in 0..64 {
        let p = c(uni(rng, -1.0, 1.0), uni(rng, -1.0, 1.0));
        if dot(p, p) <= 1.0 {
            return p;
        }
    }
    c(0.0, 0.0)
}
/// A random direction, by rejection and normalisation.
pub(super) fn direction(rng: &mut Rand) -> C {
    for _ in 0..64 {
        let p = in_unit_disc(rng);
        if dot(p, p) > 0.01 {
            return unit(p);
        }
    }
    c(1.0, 0.0)
}
/// A value drawn uniformly within a bucket chosen by weight: skewed distributions without
/// `exp` or `ln`.
pub(super) fn bucketed(rng: &mut Rand, buckets: &[(f64, f64, f64)]) -> f64 {
    let w: Vec<f64> = buckets.iter().map(|b| b.2).collect();
    let (lo, hi, _) = buckets[weighted(rng, &w)];
    uni(rng, lo, hi)
}
pub(super) fn round_to(v: f64, step: f64) -> f64 {
    // For a decimal step below one, divide by the whole reciprocal: `83.1` rather than
    // `831 × 0.1 = 83.10000000000001` in the ledgers written.
    let inv = (1.0 / step).round();
    if step < 1.0 && inv > 1.0 {
        (v * inv).round() / inv
    } else {
        (v / step).round() * step
    }
}
