//! Tests of the synthetic province: its layout (cities, extent, sizes, zones), ids that
//! stay unique and linked across cities, and the written folder read back by the loader.

use std::collections::HashSet;

use geo::{BoundingRect, Centroid, Contains, Distance, Geodesic, Intersects, Point};

use super::*;
use crate::io::{LoadOptions, load_dir};

#[test]
fn the_standard_province_spreads_ten_cities_or_more_over_300_km() {
    let opts = ProvinceOptions::standard();
    let cities = plan_province(&opts).expect("plan");
    assert_eq!(cities.len(), 12);
    assert_eq!(
        cities.iter().map(|c| c.options.houses).sum::<usize>(),
        10_000_000
    );
    // Extent: the box of every boundary, measured on the ellipsoid.
    let mut all = cities[0].boundary.bounding_rect().expect("box");
    for c in &cities {
        let r = c.boundary.bounding_rect().expect("box");
        all = geo::Rect::new(
            (all.min().x.min(r.min().x), all.min().y.min(r.min().y)),
            (all.max().x.max(r.max().x), all.max().y.max(r.max().y)),
        );
    }
    let mid = (all.min().y + all.max().y) / 2.0;
    let ew = Geodesic.distance(Point::new(all.min().x, mid), Point::new(all.max().x, mid));
    let ns = Geodesic.distance(
        Point::new(all.min().x, all.min().y),
        Point::new(all.min().x, all.max().y),
    );
    assert!(ew >= 300_000.0 && ns >= 300_000.0, "{ew} m × {ns} m");
    // Separate cities of different sizes, each in the zone of its centre.
    for (i, a) in cities.iter().enumerate() {
        for b in &cities[i + 1..] {
            assert!(
                !a.boundary.intersects(&b.boundary),
                "{} meets {}",
                a.key,
                b.key
            );
        }
        let centre = a.boundary.centroid().expect("centre");
        let code: i64 = a.pipeline_crs["EPSG:".len()..].parse().expect("code");
        let cm = 75 + 3 * (code - 4534);
        assert!(
            (centre.x() - cm as f64).abs() <= 1.5,
            "{} at {}",
            a.key,
            centre.x()
        );
    }
    let sizes: Vec<usize> = cities.iter().map(|c| c.options.houses).collect();
    let (min, max) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
    assert!(
        *max as f64 <= 0.3 * 10_000_000.0 && *max >= 4 * min,
        "{sizes:?}"
    );
    // Names and codes are the cities' own; the plan is the same every time.
    let names: HashSet<&str> = cities.iter().map(|c| c.region.name.as_str()).collect();
    assert_eq!(names.len(), 12);
    let again = plan_province(&opts).expect("plan");
    for (a, b) in cities.iter().zip(&again) {
        assert_eq!((&a.boundary, &a.options), (&b.boundary, &b.options));
    }
}

// At the floor exactly, every city gets the floor: the small cities' rounding up is taken
// back from the large ones, none going below it.
#[test]
fn a_province_at_the_floor_gives_every_city_the_floor() {
    for (houses, cities) in [(12_000, 12), (12_500, 12), (3_000, 3)] {
        let plan = plan_province(&ProvinceOptions {
            seed: 3,
            houses,
            cities,
        })
        .expect("plan");
        let sizes: Vec<usize> = plan.iter().map(|c| c.options.houses).collect();
        assert_eq!(sizes.iter().sum::<usize>(), houses, "{sizes:?}");
        assert!(sizes.iter().all(|&h| h >= 1_000), "{sizes:?}");
        if houses == 1_000 * cities {
            assert!(sizes.iter().all(|&h| h == 1_000), "{sizes:?}");
        }
    }
}

#[test]
fn too_small_a_province_is_refused() {
    let opts = ProvinceOptions {
        seed: 1,
        houses: 5_000,
        cities: 10,
    };
    assert!(matches!(
        plan_province(&opts),
        Err(GenerateError::ProvinceTooSmall {
            houses: 5_000,
            cities: 10
        })
    ));
    let none = ProvinceOptions { cities: 0, ..opts };
    assert!(plan_province(&none).is_err());
}

#[test]
fn a_written_province_loads_with_its_ids_linked_across_cities() {
    let opts = ProvinceOptions {
        seed: 7,
        houses: 9_000,
        cities: 3,
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let mut seen = Vec::new();
    let written = write_province(dir.path(), &opts, false, &mut |c| seen.push(c.key.clone()))
        .expect("written");
    assert_eq!(seen, ["C01", "C02", "C03"]);
    let loaded = load_dir(dir.path(), &LoadOptions::default()).expect("loaded");
    let ds = &loaded.dataset;
    assert_eq!(
        loaded.report.skipped_count(),
        0,
        "{}",
        loaded.report.to_markdown()
    );
    // Every record of every city is there once.
    let sum = |i: usize| written.iter().map(|c| c.counts[i]).sum::<usize>();
    assert_eq!(ds.houses.len(), 9_000);
    assert_eq!(sum(0), 9_000);
    assert_eq!(ds.enterprises.len(), sum(1));
    assert_eq!(ds.hazard_sources.len(), sum(2));
    assert_eq!(ds.gas_pipelines.len(), sum(3));
    assert_eq!(ds.protection_targets.len(), sum(4));
    assert_eq!(ds.hidden_hazards.len(), sum(5));
    // Towns are named after their city, so none is shared; addresses name the city once.
    let towns: HashSet<&str> = ds
        .areas
        .features()
        .iter()
        .map(|a| a.props.name.as_str())
        .collect();
    assert_eq!(towns.len(), ds.areas.len());
    for h in ds.houses.features().iter().take(50) {
        assert_eq!(
            h.props.address.matches("示例市").count(),
            1,
            "{}",
            h.props.address
        );
    }
    // Links stay inside their city and resolve.
    let ents: HashSet<&str> = ds
        .enterprises
        .features()
        .iter()
        .map(|f| f.id.as_str())
        .collect();
    for s in ds.hazard_sources.features() {
        let e = s.props.enterprise_id.as_deref().expect("owner");
        assert!(ents.contains(e) && e[..3] == s.id[..3], "{} → {e}", s.id);
    }
    let linked = ds
        .hidden_hazards
        .features()
        .iter()
        .filter(|h| {
            h.props
                .feature_id
                .as_deref()
                .is_some_and(|f| f[..3] == h.id[..3])
        })
        .count();
    assert_eq!(linked, ds.hidden_hazards.len());
    // Pipes written in each city's Gauss–Krüger zone come back inside the city.
    let cities = plan_province(&opts).expect("plan");
    for p in ds.gas_pipelines.features() {
        let city = cities
            .iter()
            .find(|c| p.id.starts_with(&c.key))
            .expect("city");
        let mid = p.geometry.centroid().expect("centre");
        let grown = city.boundary.bounding_rect().expect("box");
        assert!(
            grown.intersects(&mid) || city.boundary.contains(&mid),
            "{} at {mid:?}",
            p.id
        );
    }
}
