//! Hot paths of the spatial core on a generated city: geodesic closest pairs, metric
//! R-tree queries, and each analysis on a 50,000-house Haimen.
//!
//! Run with `cargo bench -p riskmap-core --bench core`. The city comes from the
//! deterministic generator, so every run measures the same data.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use geo::{Geometry, LineString, MultiPolygon, Polygon};
use riskmap_core::analysis::{self, hazard_grade, pipeline_clearance, protection_distance};
use riskmap_core::generate::{GenerateOptions, generate};
use riskmap_core::geodesy::distance_m;
use riskmap_core::rules::Rules;
use riskmap_core::substances::SubstanceTable;

fn boundary() -> MultiPolygon<f64> {
    let text = include_str!("../../data/boundaries/haimen.geojson");
    let gj: geojson::GeoJson = text.parse().unwrap();
    let fc = geojson::FeatureCollection::try_from(gj).unwrap();
    let g: Geometry<f64> = fc.features[0].geometry.clone().unwrap().try_into().unwrap();
    match g {
        Geometry::MultiPolygon(m) => m,
        Geometry::Polygon(p) => MultiPolygon(vec![p]),
        _ => panic!("boundary is not a polygon"),
    }
}

fn benches(c: &mut Criterion) {
    let ds = generate(&GenerateOptions::scaled(50_000), &boundary()).unwrap();
    let subs = SubstanceTable::builtin();
    let rules = Rules::default();

    // Two house footprints ~40 m apart: the closest pair found in a tangent plane,
    // measured geodesically.
    let h = |x: f64| {
        Geometry::Polygon(Polygon::new(
            LineString::from(vec![
                (x, 31.9),
                (x + 0.0001, 31.9),
                (x + 0.0001, 31.9001),
                (x, 31.9001),
                (x, 31.9),
            ]),
            vec![],
        ))
    };
    let (a, b) = (h(121.2), h(121.2005));
    c.bench_function("distance_m polygon-polygon", |bn| {
        bn.iter(|| distance_m(black_box(&a), black_box(&b)))
    });

    let source = &ds.hazard_sources.features()[0].geometry;
    c.bench_function(
        "houses.positions_within 500 m of a hazard source (50k houses)",
        |bn| bn.iter(|| ds.houses.positions_within(black_box(source), 500.0)),
    );
    c.bench_function("houses.within_distance 500 m (exact distances)", |bn| {
        bn.iter(|| ds.houses.within_distance(black_box(source), 500.0))
    });

    let mut g = c.benchmark_group("analyses on 50k houses");
    g.sample_size(10);
    g.bench_function("hazard grading", |bn| {
        bn.iter(|| hazard_grade::grade_all(&ds, &subs, &rules))
    });
    let grades = hazard_grade::grade_all(&ds, &subs, &rules);
    let classes = analysis::target_classes(&ds, &rules);
    g.bench_function("protection distances", |bn| {
        bn.iter(|| protection_distance::find_conflicts(&ds, &grades, &classes, &rules))
    });
    g.bench_function("pipeline clearances", |bn| {
        bn.iter(|| pipeline_clearance::find_conflicts(&ds, &rules))
    });
    g.bench_function("every analysis", |bn| {
        bn.iter(|| analysis::analyze(&ds, &subs, &rules).expect("a loaded city"))
    });
    g.finish();
}

criterion_group!(core, benches);
criterion_main!(core);
