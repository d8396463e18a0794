//! Tests of the generator: completeness, containment, determinism (also across thread
//! counts), the fallbacks of a boundary other than Haimen's, and refused inputs.

use super::arith::c;
use super::hazards::SUBSTANCES;
use super::mask::Mask;
use super::names::{CC_CHARS, CC_WEIGHTS};
use super::*;
use crate::model::{Appraisal, Feature, Industry};
use geo::{
    Area as _, BoundingRect, Contains, CoordsIter, Geodesic, Intersects, Length, Line, Validation,
};
use geo::{BooleanOps, Geometry, LineString, Point, Polygon};

const BOUNDARY: &str = include_str!("../../../data/boundaries/haimen.geojson");

fn ring(v: &serde_json::Value) -> LineString<f64> {
    LineString(
        v.as_array()
            .unwrap()
            .iter()
            .map(|p| c(p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
            .collect(),
    )
}

fn polygon(v: &serde_json::Value) -> Polygon<f64> {
    let rings = v.as_array().unwrap();
    Polygon::new(ring(&rings[0]), rings[1..].iter().map(ring).collect())
}

fn haimen() -> MultiPolygon<f64> {
    let fc: serde_json::Value = serde_json::from_str(BOUNDARY).unwrap();
    let g = &fc["features"][0]["geometry"];
    match g["type"].as_str().unwrap() {
        "Polygon" => MultiPolygon(vec![polygon(&g["coordinates"])]),
        _ => MultiPolygon(
            g["coordinates"]
                .as_array()
                .unwrap()
                .iter()
                .map(polygon)
                .collect(),
        ),
    }
}

/// An L-shaped boundary with a hole, far from Haimen, to exercise the fallbacks.
fn elsewhere() -> MultiPolygon<f64> {
    let outer = LineString(vec![
        c(110.0, 30.0),
        c(110.2, 30.0),
        c(110.2, 30.08),
        c(110.08, 30.08),
        c(110.08, 30.16),
        c(110.0, 30.16),
        c(110.0, 30.0),
    ]);
    let hole = LineString(vec![
        c(110.02, 30.02),
        c(110.02, 30.04),
        c(110.05, 30.04),
        c(110.05, 30.02),
        c(110.02, 30.02),
    ]);
    MultiPolygon(vec![Polygon::new(outer, vec![hole])])
}

fn small() -> GenerateOptions {
    GenerateOptions {
        seed: 7,
        houses: 4000,
        enterprises: 90,
        hazard_sources: 17,
        pipeline_km: 60.0,
        protection_targets: 40,
        hidden_hazards: 400,
    }
}

fn fnv(h: &mut u64, bytes: &[u8]) {
    for &b in bytes {
        *h ^= u64::from(b);
        *h = h.wrapping_mul(0x100_0000_01b3);
    }
}

fn digest_layer<P: std::fmt::Debug>(h: &mut u64, features: &[Feature<P>]) {
    for f in features {
        fnv(h, f.id.as_bytes());
        for c in geo::CoordsIter::coords_iter(&f.geometry) {
            fnv(h, &c.x.to_bits().to_le_bytes());
            fnv(h, &c.y.to_bits().to_le_bytes());
        }
        fnv(h, format!("{:?}", f.props).as_bytes());
    }
}

fn digest(d: &Dataset) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325;
    digest_layer(&mut h, d.areas.features());
    digest_layer(&mut h, d.enterprises.features());
    digest_layer(&mut h, d.hazard_sources.features());
    digest_layer(&mut h, d.gas_pipelines.features());
    digest_layer(&mut h, d.houses.features());
    digest_layer(&mut h, d.protection_targets.features());
    h
}

fn all_geometries(d: &Dataset) -> Vec<(String, &Geometry<f64>)> {
    let mut v: Vec<(String, &Geometry<f64>)> = Vec::new();
    v.extend(
        d.hidden_hazards
            .features()
            .iter()
            .map(|f| (f.id.clone(), &f.geometry)),
    );
    v.extend(
        d.enterprises
            .features()
            .iter()
            .map(|f| (f.id.clone(), &f.geometry)),
    );
    v.extend(
        d.hazard_sources
            .features()
            .iter()
            .map(|f| (f.id.clone(), &f.geometry)),
    );
    v.extend(
        d.gas_pipelines
            .features()
            .iter()
            .map(|f| (f.id.clone(), &f.geometry)),
    );
    v.extend(
        d.houses
            .features()
            .iter()
            .map(|f| (f.id.clone(), &f.geometry)),
    );
    v.extend(
        d.protection_targets
            .features()
            .iter()
            .map(|f| (f.id.clone(), &f.geometry)),
    );
    v
}

fn pipe_km(d: &Dataset) -> f64 {
    d.gas_pipelines
        .features()
        .iter()
        .map(|f| match &f.geometry {
            Geometry::LineString(l) => Geodesic.length(l),
            _ => panic!("pipe {} is not a line", f.id),
        })
        .sum::<f64>()
        / 1000.0
}

/// Whether `g` lies inside `boundary`: every vertex inside and no edge meeting the
/// boundary (`Contains` on a polygon gives the same answer but is far slower).
fn inside(boundary: &MultiPolygon<f64>, edges: &[Line<f64>], g: &Geometry<f64>) -> bool {
    let Some(r) = g.bounding_rect() else {
        return false;
    };
    if !g.coords_iter().all(|q| boundary.contains(&Point(q))) {
        return false;
    }
    let lines: Vec<Line<f64>> = match g {
        Geometry::Point(_) => Vec::new(),
        Geometry::LineString(l) => l.lines().collect(),
        Geometry::Polygon(p) => p.exterior().lines().collect(),
        _ => panic!("unexpected geometry"),
    };
    edges
        .iter()
        .filter(|e| e.bounding_rect().intersects(&r))
        .all(|e| lines.iter().all(|l| !l.intersects(e)))
}

/// The hidden-hazard ledger: as many records as asked when anything exists for them to
/// belong to, each on a feature of the city, with a lifecycle the loaders accept.
fn check_hidden(d: &Dataset, opts: &GenerateOptions) {
    use crate::model::HiddenHazardStatus as S;
    let linkable = d.enterprises.len()
        + d.hazard_sources.len()
        + d.gas_pipelines.len()
        + d.houses.len()
        + d.protection_targets.len();
    if linkable == 0 {
        assert!(d.hidden_hazards.is_empty());
        return;
    }
    assert_eq!(d.hidden_hazards.len(), opts.hidden_hazards);
    let end = crate::model::Day::new(2026, 11, 30).unwrap();
    for f in d.hidden_hazards.features() {
        let h = &f.props;
        let id = h.feature_id.as_deref().unwrap();
        let found = match h.feature_layer.unwrap() {
            LayerKind::Enterprises => d.enterprises.find_id(id).is_some(),
            LayerKind::HazardSources => d.hazard_sources.find_id(id).is_some(),
            LayerKind::GasPipelines => d.gas_pipelines.find_id(id).is_some(),
            LayerKind::Houses => d.houses.find_id(id).is_some(),
            LayerKind::ProtectionTargets => d.protection_targets.find_id(id).is_some(),
            other => panic!("{} belongs to {other}", f.id),
        };
        assert!(found, "{}: no {id}", f.id);
        let found_on = h.discovered.unwrap();
        assert!(
            found_on <= end && end.days_since(found_on) < 730,
            "{}",
            f.id
        );
        assert!(h.deadline.unwrap() > found_on, "{}", f.id);
        if let Some(r) = h.rectified {
            assert!(r >= found_on && r <= end, "{}", f.id);
        }
        match h.status {
            S::Closed => {
                assert!(h.rectified.is_some() && h.verified_by.is_some(), "{}", f.id);
                assert!(h.closed.unwrap() >= h.rectified.unwrap(), "{}", f.id);
            }
            S::Rectified => assert!(h.rectified.is_some() && h.closed.is_none()),
            S::Pending | S::InProgress | S::Supervised => {
                assert!(h.rectified.is_none() && h.closed.is_none(), "{}", f.id);
            }
        }
        assert!(h.reopened == 0 || h.reopen_reason.is_some(), "{}", f.id);
        assert!(h.major || h.status != S::Supervised, "{}", f.id);
    }
}

fn check_city(d: &Dataset, opts: &GenerateOptions, boundary: &MultiPolygon<f64>) {
    // Counts.
    assert_eq!(d.houses.len(), opts.houses);
    assert_eq!(d.enterprises.len(), opts.enterprises);
    assert_eq!(d.hazard_sources.len(), opts.hazard_sources);
    assert_eq!(d.protection_targets.len(), opts.protection_targets);
    assert!(!d.areas.is_empty());
    check_hidden(d, opts);
    // Pipeline length (geodesic) within 10 % of the request.
    let km = pipe_km(d);
    assert!(
        (km - opts.pipeline_km).abs() <= opts.pipeline_km * 0.1,
        "{km} km of pipes for {}",
        opts.pipeline_km
    );
    // Everything inside; polygons valid.
    let edges: Vec<Line<f64>> = boundary
        .0
        .iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .flat_map(|r| r.lines())
        .collect();
    for (id, g) in all_geometries(d) {
        assert!(
            inside(boundary, &edges, g),
            "{id} is not inside the boundary"
        );
        if let Geometry::Polygon(p) = g {
            let r = &p.exterior().0;
            assert!(
                r.len() >= 4 && r.first() == r.last(),
                "{id} is not a closed ring"
            );
            assert!(p.is_valid(), "{id} is not a valid polygon");
        }
    }
    // Areas: valid, inside and tiling the boundary.
    let mut sum = 0.0;
    for f in d.areas.features() {
        assert!(f.geometry.is_valid(), "{} invalid", f.id);
        let mp = match &f.geometry {
            Geometry::Polygon(p) => MultiPolygon(vec![p.clone()]),
            Geometry::MultiPolygon(m) => m.clone(),
            _ => panic!("{} is not a polygon", f.id),
        };
        assert!(
            mp.difference(boundary).unsigned_area() < 1e-9,
            "{} leaves the boundary",
            f.id
        );
        sum += mp.unsigned_area();
    }
    let whole = boundary.unsigned_area();
    assert!(
        (sum - whole).abs() < whole * 1e-6,
        "areas cover {sum} of {whole}"
    );
    // Inventories name their substances by CAS number.
    for f in d.hazard_sources.features() {
        assert!(!f.props.inventory.is_empty());
        for item in &f.props.inventory {
            let cas = item
                .cas
                .as_deref()
                .unwrap_or_else(|| panic!("{} has an item without CAS", f.id));
            assert!(
                SUBSTANCES.iter().any(|s| s.cas == cas),
                "{} unknown CAS {cas}",
                f.id
            );
            assert!(item.tonnes > 0.0);
        }
        let owner = f.props.enterprise_id.as_deref().unwrap();
        let (_, e) = d.enterprises.find_id(owner).unwrap();
        assert!(
            e.props.industry.is_some_and(Industry::is_hazchem),
            "{} owner is not hazchem",
            f.id
        );
        let Geometry::Polygon(site) = &e.geometry else {
            panic!("{owner} has no site")
        };
        assert!(
            site.contains(&f.geometry),
            "{} is not inside its site",
            f.id
        );
    }
    // Pipes: every section states a design pressure or a class.
    for f in d.gas_pipelines.features() {
        assert!(f.props.design_pressure_mpa.is_some() || f.props.pressure_class.is_some());
    }
    // Ids are unique.
    let mut ids: Vec<&str> = d.houses.features().iter().map(|f| f.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), d.houses.len());
}

#[test]
fn haimen_small_city_is_complete_and_inside() {
    let b = haimen();
    let opts = small();
    let d = generate(&opts, &b).unwrap();
    check_city(&d, &opts, &b);
    let names: Vec<&str> = d
        .areas
        .features()
        .iter()
        .map(|f| f.props.name.as_str())
        .collect();
    assert!(
        names.contains(&"海门街道") && names.contains(&"临江镇"),
        "{names:?}"
    );
    // Phone numbers use the unassigned 10x prefixes.
    for f in d.houses.features() {
        if let Some(p) = &f.props.phone {
            assert!(p.starts_with("10") && p.len() == 13, "{p}");
        }
    }
    // Credit codes carry valid check characters.
    for f in d.enterprises.features() {
        if let Some(cc) = &f.props.credit_code {
            assert_eq!(cc.len(), 18);
            let total: u32 = cc
                .bytes()
                .take(17)
                .zip(CC_WEIGHTS)
                .map(|(ch, w)| CC_CHARS.iter().position(|&x| x == ch).unwrap() as u32 * w)
                .sum();
            assert_eq!(
                cc.as_bytes()[17],
                CC_CHARS[((31 - total % 31) % 31) as usize]
            );
        }
    }
}

#[test]
fn built_in_boundary_is_the_boundary_file() {
    assert_eq!(super::haimen().unwrap(), haimen());
}

#[test]
fn boundary_file_is_rfc7946() {
    use geo::Winding;
    let fc: serde_json::Value = serde_json::from_str(BOUNDARY).unwrap();
    assert!(fc.get("crs").is_none());
    assert_eq!(fc["features"].as_array().unwrap().len(), 1);
    let props = &fc["features"][0]["properties"];
    for key in ["name", "name_en", "source", "licence"] {
        assert!(props[key].is_string(), "{key}");
    }
    let b = haimen();
    assert!(b.is_valid());
    for p in &b.0 {
        assert!(p.exterior().is_ccw());
        for q in p.exterior().coords() {
            // Six decimals at most.
            assert_eq!((q.x * 1e6).round() / 1e6, q.x);
            assert_eq!((q.y * 1e6).round() / 1e6, q.y);
        }
    }
}

#[test]
fn same_options_same_city() {
    let b = haimen();
    let opts = GenerateOptions {
        houses: 1500,
        pipeline_km: 25.0,
        ..small()
    };
    let a = digest(&generate(&opts, &b).unwrap());
    let again = digest(&generate(&opts, &b).unwrap());
    assert_eq!(a, again);
    let other = digest(&generate(&GenerateOptions { seed: 8, ..opts }, &b).unwrap());
    assert_ne!(a, other);
}

#[test]
fn determinism_does_not_depend_on_threads() {
    let b = haimen();
    // More than one chunk of houses, so the parallel pass matters.
    let opts = GenerateOptions {
        houses: HOUSE_CHUNK * 2 + 100,
        ..small()
    };
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let a = one.install(|| digest(&generate(&opts, &b).unwrap()));
    let four = rayon::ThreadPoolBuilder::new()
        .num_threads(4)
        .build()
        .unwrap();
    let c4 = four.install(|| digest(&generate(&opts, &b).unwrap()));
    assert_eq!(a, c4);
}

#[test]
fn demo_city_has_what_it_promises() {
    let b = haimen();
    let opts = GenerateOptions::demo();
    let d = generate(&opts, &b).unwrap();
    check_city(&d, &opts, &b);
    // Some houses on or right next to a pipe, some villages near the chemical park.
    let near_pipe = d
        .houses
        .features()
        .iter()
        .filter(|h| !d.gas_pipelines.within_distance(&h.geometry, 2.0).is_empty())
        .count();
    assert!(near_pipe >= 20, "{near_pipe} houses within 2 m of a pipe");
    assert!(
        near_pipe < opts.houses / 50,
        "{near_pipe} houses within 2 m of a pipe"
    );
    // Appraisal shares look like the brief: ~3 % C, ~0.7 % D.
    let share = |a: Appraisal| {
        d.houses
            .features()
            .iter()
            .filter(|h| h.props.appraisal == Some(a))
            .count() as f64
            / opts.houses as f64
    };
    assert!((0.02..0.04).contains(&share(Appraisal::C)));
    assert!((0.003..0.012).contains(&share(Appraisal::D)));
    // Declared levels exist and some disagree with a simple expectation.
    assert!(
        d.enterprises
            .features()
            .iter()
            .filter(|e| e.props.declared_level.is_some())
            .count()
            >= 20
    );
    assert!(
        d.hazard_sources
            .features()
            .iter()
            .any(|h| h.props.qra_distances.is_some())
    );
    assert!(
        d.hazard_sources
            .features()
            .iter()
            .any(|h| h.props.declared_grade.is_some())
    );
}

#[test]
fn another_boundary_gets_synthetic_towns() {
    let b = elsewhere();
    let opts = GenerateOptions {
        houses: 2500,
        enterprises: 40,
        hazard_sources: 6,
        pipeline_km: 30.0,
        protection_targets: 20,
        seed: 3,
        hidden_hazards: 0,
    };
    let d = generate(&opts, &b).unwrap();
    check_city(&d, &opts, &b);
    assert!(
        d.areas
            .features()
            .iter()
            .all(|a| a.props.name.starts_with("示例镇"))
    );
}

#[test]
fn any_small_city_meets_its_options() {
    use proptest::prelude::*;
    let b = elsewhere();
    let cfg = ProptestConfig {
        cases: 4,
        ..ProptestConfig::default()
    };
    proptest!(cfg, |(seed in any::<u64>(), houses in 0usize..1500, enterprises in 1usize..40,
                     hazard_sources in 0usize..12, km in 1.0..20.0f64, targets in 0usize..30)| {
        let opts = GenerateOptions {
            seed,
            houses,
            enterprises,
            hazard_sources,
            pipeline_km: km,
            protection_targets: targets,
            hidden_hazards: houses / 10,
        };
        let d = generate(&opts, &b).unwrap();
        check_city(&d, &opts, &b);
    });
}

/// The benchmark city, in release mode only:
/// `cargo test --release -p riskmap-core -- --ignored benchmark_city`.
#[test]
#[ignore = "large: run in release mode"]
fn benchmark_city() {
    let b = haimen();
    let opts = GenerateOptions::benchmark();
    let t = std::time::Instant::now();
    let d = generate(&opts, &b).unwrap();
    eprintln!(
        "benchmark city generated in {:.2} s",
        t.elapsed().as_secs_f64()
    );
    check_city(&d, &opts, &b);
}

#[test]
fn scaled_follows_the_benchmark_ratios() {
    let s = GenerateOptions::scaled(100_000);
    assert_eq!(
        (s.enterprises, s.hazard_sources, s.protection_targets),
        (2000, 200, 500)
    );
    assert!((s.pipeline_km - 500.0).abs() < 1e-9);
    assert_eq!(
        GenerateOptions::scaled(1_000_000).enterprises,
        GenerateOptions::benchmark().enterprises
    );
}

#[test]
fn bad_inputs_are_refused() {
    let b = haimen();
    let o = GenerateOptions {
        pipeline_km: -1.0,
        ..small()
    };
    assert!(matches!(
        generate(&o, &b),
        Err(GenerateError::InvalidPipelineLength(_))
    ));
    let o = GenerateOptions {
        enterprises: 0,
        ..small()
    };
    assert!(matches!(
        generate(&o, &b),
        Err(GenerateError::NoEnterpriseForHazardSources { .. })
    ));
    assert!(matches!(
        generate(&small(), &MultiPolygon(vec![])),
        Err(GenerateError::EmptyBoundary)
    ));
    let tiny = MultiPolygon(vec![Polygon::new(
        LineString(vec![
            c(121.0, 31.0),
            c(121.0001, 31.0),
            c(121.0001, 31.0001),
            c(121.0, 31.0),
        ]),
        vec![],
    )]);
    assert!(matches!(
        generate(&small(), &tiny),
        Err(GenerateError::BoundaryTooSmall)
    ));
}

#[test]
fn empty_city_is_fine() {
    let b = haimen();
    let o = GenerateOptions {
        seed: 1,
        houses: 0,
        enterprises: 0,
        hazard_sources: 0,
        pipeline_km: 0.0,
        protection_targets: 0,
        hidden_hazards: 50,
    };
    let d = generate(&o, &b).unwrap();
    assert!(d.houses.is_empty() && d.gas_pipelines.is_empty());
    assert!(!d.areas.is_empty());
}

#[test]
fn mask_agrees_with_geo() {
    use proptest::prelude::*;
    let b = haimen();
    let plane = plane_for(&b).unwrap();
    let rings: Vec<Vec<C>> =
        b.0.iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .map(|r| r.0.iter().map(|&q| plane.to_m(q)).collect())
            .collect();
    let mask = Mask::build(&rings).unwrap();
    let (lo, hi) = (plane.to_ll(mask.lo), plane.to_ll(mask.hi));
    proptest!(ProptestConfig::with_cases(2000), |(fx in 0.0..1.0f64, fy in 0.0..1.0f64)| {
        let ll = c(lo.x + (hi.x - lo.x) * fx, lo.y + (hi.y - lo.y) * fy);
        prop_assert_eq!(mask.contains_point(plane.to_m(ll)), b.contains(&Point(ll)));
    });
}
