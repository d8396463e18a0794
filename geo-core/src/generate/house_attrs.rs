//! Attributes of the houses (floors, use, occupants, appraisal, rectification, address,
//! phone) and their features, drawn in parallel over fixed chunks of houses, each with its
//! own random stream, so that the thread count never changes the result.

use rand::Rng;
use rayon::prelude::*;

use super::arith::{Rand, chance, int_in, rng_for, weighted};
use super::houses::{Addr, HouseFill, Slot};
use super::names::{phone, street_name, village_name};
use super::towns::Town;
use super::world::World;
use super::{HOUSE_CHUNK, STREAM_HOUSE_ATTRS};
use crate::model::{Appraisal, Feature, House, HouseUse, Rectification};

pub(super) fn house_props(rng: &mut Rand, slot: &Slot, towns: &[Town], district: &str) -> House {
    let (floors_w, commercial, mixed) = if slot.urban {
        ([0.05, 0.30, 0.40, 0.15, 0.07, 0.03], 0.07, 0.10)
    } else {
        ([0.12, 0.50, 0.30, 0.06, 0.015, 0.005], 0.02, 0.04)
    };
    let floors = chance(rng, 0.99).then(|| weighted(rng, &floors_w) as u16 + 1);
    let x = rng.random::<f64>();
    let house_use = if x < commercial {
        HouseUse::Commercial
    } else if x < commercial + mixed {
        HouseUse::Mixed
    } else {
        HouseUse::Residential
    };
    let occupants = chance(rng, 0.97).then(|| match house_use {
        HouseUse::Residential => {
            weighted(rng, &[0.08, 0.20, 0.27, 0.22, 0.12, 0.07, 0.03, 0.01]) as u32 + 1
        }
        HouseUse::Commercial => {
            if chance(rng, 0.1) {
                int_in(rng, 20, 80)
            } else {
                int_in(rng, 0, 20)
            }
        }
        HouseUse::Mixed => int_in(rng, 2, 15),
    });
    let appraisal = [
        Appraisal::Unknown,
        Appraisal::A,
        Appraisal::B,
        Appraisal::C,
        Appraisal::D,
    ][weighted(rng, &[0.45, 0.30, 0.213, 0.03, 0.007])];
    let rectification = match appraisal {
        Appraisal::C | Appraisal::D => Some(
            [
                Rectification::Pending,
                Rectification::InProgress,
                Rectification::Done,
            ][weighted(rng, &[0.45, 0.30, 0.25])],
        ),
        Appraisal::A => Some(if chance(rng, 0.9) {
            Rectification::NotNeeded
        } else {
            Rectification::Unknown
        }),
        Appraisal::B => Some(
            [
                Rectification::NotNeeded,
                Rectification::Pending,
                Rectification::Done,
            ][weighted(rng, &[0.6, 0.2, 0.2])],
        ),
        Appraisal::Unknown => chance(rng, 0.7).then_some(Rectification::Unknown),
    };
    // A named place's towns carry its name already.
    let town_name = |t: u16| {
        let name = towns[t as usize].name.as_str();
        name.strip_prefix(district).unwrap_or(name)
    };
    let address = match slot.addr {
        Addr::Street {
            town,
            dir,
            k,
            number,
        } => {
            format!(
                "{district}{}{}{number}号",
                town_name(town),
                street_name(town as usize, dir, k)
            )
        }
        Addr::Village {
            town,
            village,
            group,
            number,
        } => {
            format!(
                "{district}{}{}村{group}组{number}号",
                town_name(town),
                village_name(village)
            )
        }
    };
    House {
        address: address.into(),
        floors,
        house_use: chance(rng, 0.99).then_some(house_use),
        occupants,
        appraisal: chance(rng, 0.98).then_some(appraisal),
        rectification,
        phone: chance(rng, 0.9).then(|| phone(rng).into()),
    }
}

/// Turns the placed houses into features, in parallel over fixed chunks with their own
/// random streams; also returns each house's occupants for the population grid.
pub(super) fn house_features(
    world: &World,
    towns: &[Town],
    fill: &HouseFill,
    seed: u64,
) -> (Vec<Feature<House>>, Vec<u32>) {
    let plane = world.plane;
    let district = world.district.as_str();
    let chunks: Vec<Vec<(Feature<House>, u32)>> = fill
        .slots
        .par_chunks(HOUSE_CHUNK)
        .enumerate()
        .map(|(ci, chunk)| {
            let mut rng = rng_for(seed, STREAM_HOUSE_ATTRS + ci as u64);
            chunk
                .iter()
                .enumerate()
                .map(|(k, slot)| {
                    let i = ci * HOUSE_CHUNK + k;
                    let props = house_props(&mut rng, slot, towns, district);
                    let occupants = props.occupants.unwrap_or(0);
                    let feature = Feature {
                        id: format!("house-{:07}", i + 1),
                        geometry: plane.polygon(&slot.corners),
                        props,
                        source: super::generated_at(i as u64),
                    };
                    (feature, occupants)
                })
                .collect()
        })
        .collect();
    let mut features = Vec::with_capacity(fill.slots.len());
    let mut occupants = Vec::with_capacity(fill.slots.len());
    for (f, o) in chunks.into_iter().flatten() {
        features.push(f);
        occupants.push(o);
    }
    (features, occupants)
}
