//! Features built in code, each with one thing wrong, and the problem named for it.

#![allow(clippy::unwrap_used, clippy::field_reassign_with_default)]

use geo::{Geometry, LineString, Point, Polygon, polygon};

use super::super::Dataset;
use super::*;
use crate::layer::Layer;
use crate::model::{InventoryItem, SourceRef};

fn feat<P>(id: &str, geometry: Geometry<f64>, props: P) -> Feature<P> {
    Feature {
        id: id.into(),
        geometry,
        props,
        source: SourceRef::default(),
    }
}

fn square(x: f64, y: f64) -> Geometry<f64> {
    Geometry::Polygon(polygon![
        (x: x, y: y), (x: x + 1e-4, y: y), (x: x + 1e-4, y: y + 1e-4), (x: x, y: y + 1e-4)
    ])
}

fn houses(list: Vec<(&str, Geometry<f64>)>) -> Dataset {
    let mut ds = Dataset::default();
    ds.houses = Layer::new(
        LayerKind::Houses,
        list.into_iter()
            .map(|(id, g)| feat(id, g, House::default()))
            .collect(),
    );
    ds
}

fn only(ds: &Dataset) -> Problem {
    let mut p = ds.problems();
    assert_eq!(p.len(), 1, "{p:?}");
    p.remove(0)
}

#[test]
fn good_features_pass() {
    let mut ds = houses(vec![
        ("h1", square(121.1, 31.8)),
        ("h2", square(121.2, 31.8)),
    ]);
    ds.hidden_hazards = Layer::new(
        LayerKind::HiddenHazards,
        vec![
            feat(
                "y1",
                Geometry::Point(Point::new(121.1, 31.8)),
                HiddenHazard::default(),
            ),
            // Drawn at its feature's place: an empty collection.
            feat(
                "y2",
                Geometry::GeometryCollection(geo::GeometryCollection(vec![])),
                HiddenHazard::default(),
            ),
        ],
    );
    assert_eq!(ds.check(), Ok(()));
}

#[test]
fn a_coordinate_not_a_number_is_named() {
    let p = only(&houses(vec![("h", square(f64::NAN, 31.8))]));
    assert_eq!(
        (p.layer, p.id.as_str(), p.field.as_deref()),
        (LayerKind::Houses, "h", None)
    );
    assert_eq!(p.what, "coordinate (NaN, 31.8) is not a finite number");
    let p = only(&houses(vec![("h", square(121.1, f64::INFINITY))]));
    assert_eq!(p.what, "coordinate (121.1, inf) is not a finite number");
}

#[test]
fn swapped_and_huge_coordinates_are_told_apart() {
    let p = only(&houses(vec![(
        "h",
        Geometry::Point(Point::new(31.8, 121.1)),
    )]));
    assert_eq!(
        p.what,
        "coordinate (31.8, 121.1) is outside longitude [-180, 180] / latitude [-90, 90]: \
         longitude and latitude look swapped (x is the longitude)"
    );
    let p = only(&houses(vec![(
        "h",
        Geometry::Point(Point::new(1e300, 31.8)),
    )]));
    assert!(
        p.what.starts_with("coordinate (1e300, 31.8) is outside"),
        "{}",
        p.what
    );
    assert!(
        p.what.ends_with("(convert projected coordinates first)"),
        "{}",
        p.what
    );
}

#[test]
fn rings_of_too_few_points_and_empty_geometries_are_refused() {
    // Two corners: closed by geo to three points.
    let two = Geometry::Polygon(polygon![(x: 121.1, y: 31.8), (x: 121.2, y: 31.8)]);
    let p = only(&houses(vec![("h", two)]));
    assert_eq!(
        p.what,
        "the outer ring has 3 point(s): a ring needs four or more (three corners and the \
         first repeated last)"
    );
    let empty = Geometry::Polygon(Polygon::new(LineString(vec![]), vec![]));
    assert_eq!(
        only(&houses(vec![("h", empty)])).what,
        "the outer ring is empty"
    );
    let none = Geometry::MultiPolygon(geo::MultiPolygon(vec![]));
    assert_eq!(
        only(&houses(vec![("h", none)])).what,
        "an empty MultiPolygon"
    );
}

#[test]
fn a_geometry_of_the_wrong_type_names_what_the_layer_takes() {
    let mut ds = Dataset::default();
    ds.gas_pipelines = Layer::new(
        LayerKind::GasPipelines,
        vec![feat(
            "p",
            Geometry::Point(Point::new(121.1, 31.8)),
            GasPipeline::default(),
        )],
    );
    assert_eq!(
        only(&ds).what,
        "a Point in layer gas_pipelines, which takes LineString or MultiLineString"
    );
    let one = Geometry::LineString(LineString::from(vec![(121.1, 31.8)]));
    ds.gas_pipelines = Layer::new(
        LayerKind::GasPipelines,
        vec![feat("p", one, GasPipeline::default())],
    );
    assert_eq!(only(&ds).what, "a line of 1 point(s): it needs two or more");
}

#[test]
fn ids_must_be_given_and_unique() {
    let ds = houses(vec![
        ("h", square(121.1, 31.8)),
        ("h", square(121.2, 31.8)),
        (" ", square(121.3, 31.8)),
    ]);
    let p = ds.problems();
    let got: Vec<(&str, &str)> = p.iter().map(|p| (p.id.as_str(), p.what.as_str())).collect();
    assert_eq!(
        got,
        [
            ("h", "the id is given to more than one feature of the layer"),
            (" ", "a feature needs a non-empty id"),
        ]
    );
}

#[test]
fn quantities_must_be_finite_and_not_negative() {
    let mut ds = Dataset::default();
    let item = |t: f64| InventoryItem {
        cas: Some("7782-50-5".into()),
        name: Some("氯".into()),
        category: None,
        tonnes: t,
    };
    ds.hazard_sources = Layer::new(
        LayerKind::HazardSources,
        vec![feat(
            "s",
            Geometry::Point(Point::new(121.1, 31.8)),
            HazardSource {
                inventory: vec![item(5.0), item(-10.0), item(f64::NAN)],
                ..HazardSource::default()
            },
        )],
    );
    let p = ds.problems();
    let got: Vec<(Option<&str>, &str)> = p
        .iter()
        .map(|p| (p.field.as_deref(), p.what.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (
                Some("inventory[1].tonnes"),
                "-10 is not a finite number of zero or more"
            ),
            (
                Some("inventory[2].tonnes"),
                "NaN is not a finite number of zero or more"
            ),
        ]
    );
    let e = ds.check().unwrap_err();
    assert_eq!(
        e.to_string(),
        "2 problems in the features: hazard_sources \"s\", inventory[1].tonnes: -10 is not a \
         finite number of zero or more; hazard_sources \"s\", inventory[2].tonnes: NaN is not a \
         finite number of zero or more"
    );
}

#[test]
fn the_analyses_refuse_what_the_checks_refuse_instead_of_panicking() {
    use crate::analysis::{InputError, analyze};
    use crate::live::{AnyFeature, Edit, Live, LiveError};
    use crate::project::Project;
    use crate::rules::Rules;
    use crate::substances::SubstanceTable;

    // A ring of NaN used to panic inside the grid's centroid.
    let bad = houses(vec![("h", square(f64::NAN, 31.8))]);
    let subs = SubstanceTable::builtin();
    let rules = Rules::default();
    assert!(matches!(
        analyze(&bad, &subs, &rules),
        Err(InputError::Features(_))
    ));
    assert!(matches!(
        Project::from_dataset(bad.clone(), &rules),
        Err(InputError::Features(_))
    ));
    // Rules out of range are refused too, by their dotted path.
    let good = houses(vec![("h1", square(121.1, 31.8))]);
    let mut wrong = Rules::default();
    wrong.grid.cell_size_m = -100.0;
    match Project::from_dataset(good.clone(), &wrong) {
        Err(InputError::Rules(p)) => assert_eq!(p[0].path, "grid.cell_size_m"),
        other => panic!("{:?}", other.map(|_| ())),
    }
    // A living map refuses the edit and keeps what it had.
    let mut live = Live::new(good, subs, rules).unwrap();
    let before = live.dataset().houses.features()[0].geometry.clone();
    let nan = Feature {
        id: "h1".to_string(),
        geometry: square(121.1, f64::NAN),
        props: House::default(),
        source: SourceRef::default(),
    };
    let r = live.apply(&[Edit::Put(Box::new(AnyFeature::House(nan)))]);
    assert!(
        matches!(r, Err(LiveError::Input(InputError::Features(_)))),
        "{r:?}"
    );
    assert_eq!(live.dataset().houses.features()[0].geometry, before);
    assert!(live.set_rules(wrong).is_err());
}

#[test]
fn an_export_of_a_coordinate_not_a_number_is_an_error_not_invalid_json() {
    use crate::export::{ExportError, FeatureWriter};
    let mut out = Vec::new();
    let mut w = FeatureWriter::new(&mut out, "houses").unwrap();
    let r = w.feature("h", &square(f64::INFINITY, 31.8), &Default::default());
    assert!(
        matches!(&r, Err(ExportError::NotFinite { id, .. }) if id == "h"),
        "{r:?}"
    );
}

#[test]
fn a_layer_built_as_another_kind_is_a_problem() {
    let mut ds = Dataset::default();
    ds.houses = Layer::new(
        LayerKind::Areas,
        vec![feat("h", square(121.1, 31.8), House::default())],
    );
    assert_eq!(
        only(&ds).what,
        "the layer of houses is built as areas (Layer::of takes the kind from the features)"
    );
    ds.houses = Layer::of(vec![feat("h", square(121.1, 31.8), House::default())]);
    assert_eq!(ds.houses.kind(), LayerKind::Houses);
    assert_eq!(ds.check(), Ok(()));
}
