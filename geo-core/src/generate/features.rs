//! Features: the planned enterprises, hazard sources, pipes and protection targets turned
//! into the layers' features, in lon/lat.

use geo::Geometry;

use super::STREAM_PIPE_ATTRS;
use super::arith::{chance, rng_for};
use super::enterprises::{Enterprises, Site};
use super::pipes::PipePlan;
use super::plane::Plane;
use super::targets::TargetPlan;
use super::world::World;
use crate::model::{Enterprise, Feature, GasPipeline, HazardSource, ProtectionTarget};

pub(super) fn site_geometry(plane: &Plane, site: &Site) -> Geometry<f64> {
    match site {
        Site::Point(p) => plane.point(*p),
        Site::Rect(r) => plane.polygon(&r.corners()),
    }
}

pub(super) fn ent_id(i: usize) -> String {
    format!("ent-{:06}", i + 1)
}

pub(super) fn enterprise_features(world: &World, ents: &Enterprises) -> Vec<Feature<Enterprise>> {
    ents.ents
        .iter()
        .enumerate()
        .map(|(i, e)| Feature {
            id: ent_id(e.id),
            geometry: site_geometry(&world.plane, &e.site),
            props: e.props.clone(),
            source: super::generated_at(i as u64),
        })
        .collect()
}

pub(super) fn hazard_features(world: &World, ents: &Enterprises) -> Vec<Feature<HazardSource>> {
    let mut out = Vec::new();
    for e in &ents.ents {
        for u in &e.units {
            let i = out.len();
            out.push(Feature {
                id: format!("hs-{:04}", i + 1),
                geometry: world.plane.polygon(&u.rect.corners()),
                props: HazardSource {
                    name: u.name.clone(),
                    enterprise_id: Some(ent_id(e.id)),
                    unit_type: Some(u.unit_type),
                    inventory: u.inventory.clone(),
                    declared_grade: u.declared,
                    qra_distances: u.qra.clone(),
                },
                source: super::generated_at(i as u64),
            });
        }
    }
    out
}

pub(super) fn pipe_features(
    world: &World,
    pipes: &[PipePlan],
    seed: u64,
) -> Vec<Feature<GasPipeline>> {
    let mut rng = rng_for(seed, STREAM_PIPE_ATTRS);
    pipes
        .iter()
        .enumerate()
        .map(|(i, p)| {
            // Ledgers give the design pressure on most sections and the class on some;
            // every section keeps at least one of them.
            let with_pressure = chance(&mut rng, 0.88);
            let with_class = !with_pressure || chance(&mut rng, 0.25);
            Feature {
                id: format!("pipe-{:04}", i + 1),
                geometry: world.plane.line(&p.pts),
                props: GasPipeline {
                    name: p.name.clone(),
                    pressure_class: with_class.then_some(p.class),
                    design_pressure_mpa: with_pressure.then_some(p.pressure),
                    diameter_mm: chance(&mut rng, 0.95).then_some(p.diameter),
                    material: chance(&mut rng, 0.95).then(|| p.material.to_string()),
                    year_laid: chance(&mut rng, 0.9).then_some(p.year),
                },
                source: super::generated_at(i as u64),
            }
        })
        .collect()
}

pub(super) fn target_features(
    world: &World,
    targets: &[TargetPlan],
) -> Vec<Feature<ProtectionTarget>> {
    targets
        .iter()
        .enumerate()
        .map(|(i, t)| Feature {
            id: format!("pt-{:04}", i + 1),
            geometry: site_geometry(&world.plane, &t.site),
            props: t.props.clone(),
            source: super::generated_at(i as u64),
        })
        .collect()
}
