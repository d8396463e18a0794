//! Edited features through the loaders' checks, one layer at a time.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure

use geo::{Area as _, Geometry, polygon};
use serde_json::json;

use super::*;
use crate::layer::Layer;
use crate::model::{
    Enterprise as Ent, HouseUse, Industry, PressureClass, SourceRef, TargetKind, UnitType,
};

/// A dataset with one area (a 0.2° square around 121.1, 31.9) and one enterprise.
fn current() -> Dataset {
    let area = Feature {
        id: "a1".into(),
        geometry: Geometry::Polygon(polygon![
            (x: 121.0, y: 31.8), (x: 121.2, y: 31.8), (x: 121.2, y: 32.0), (x: 121.0, y: 32.0), (x: 121.0, y: 31.8)
        ]),
        props: Area {
            name: "海门街道".into(),
            code: None,
        },
        source: SourceRef::default(),
    };
    let ent = Feature {
        id: "e1".into(),
        geometry: Geometry::Point(geo::Point::new(121.1, 31.9)),
        props: Ent {
            name: "海门化工有限公司".into(),
            ..Ent::default()
        },
        source: SourceRef::default(),
    };
    Dataset {
        areas: Layer::new(LayerKind::Areas, vec![area]),
        enterprises: Layer::new(LayerKind::Enterprises, vec![ent]),
        ..Dataset::default()
    }
}

fn point(lon: f64, lat: f64) -> serde_json::Value {
    json!({"type": "Point", "coordinates": [lon, lat]})
}

fn check(
    kind: LayerKind,
    f: serde_json::Value,
    url_id: Option<&str>,
) -> Result<CheckedFeature, Vec<Issue>> {
    feature_from_geojson(kind, &f, url_id, &current(), &LoadOptions::default())
}

fn codes(issues: &[Issue]) -> Vec<(Severity, IssueCode)> {
    issues.iter().map(|i| (i.severity, i.code)).collect()
}

#[test]
fn a_house_with_chinese_property_names_is_accepted_with_its_typed_props() {
    let f = json!({"type": "Feature", "geometry": point(121.1, 31.9),
        "properties": {"编号": "h9", "地址": "海门路9号", "层数": "3", "用途": "居住", "居住人数": 4}});
    let c = check(LayerKind::Houses, f, Some("h9")).expect("accepted");
    assert!(c.issues.is_empty(), "{:?}", c.issues);
    let AnyFeature::House(h) = c.feature else {
        panic!("not a house")
    };
    assert_eq!(h.id, "h9");
    assert_eq!(&*h.props.address, "海门路9号");
    assert_eq!(h.props.floors, Some(3));
    assert_eq!(h.props.house_use, Some(HouseUse::Residential));
    assert_eq!(h.props.occupants, Some(4));
    assert_eq!(h.geometry, Geometry::Point(geo::Point::new(121.1, 31.9)));
}

#[test]
fn every_input_layer_accepts_a_valid_feature() {
    let line = json!({"type": "LineString", "coordinates": [[121.10, 31.90], [121.11, 31.90]]});
    let c = check(
        LayerKind::GasPipelines,
        json!({"type": "Feature", "id": "g1", "geometry": line,
            "properties": {"管道名称": "人民路中压管", "压力级制": "中压A", "管径": 200, "敷设年份": 2008}}),
        None,
    )
    .expect("pipe");
    let AnyFeature::GasPipeline(g) = c.feature else {
        panic!()
    };
    assert_eq!(
        (
            g.props.pressure_class,
            g.props.diameter_mm,
            g.props.year_laid
        ),
        (Some(PressureClass::MediumA), Some(200.0), Some(2008))
    );

    let c = check(
        LayerKind::Enterprises,
        json!({"type": "Feature", "id": "e2", "geometry": point(121.12, 31.91),
            "properties": {"name": "海门储运", "industry": "危化品储存", "employees": 35}}),
        Some("e2"),
    )
    .expect("enterprise");
    let AnyFeature::Enterprise(e) = c.feature else {
        panic!()
    };
    assert_eq!(
        (e.props.industry, e.props.employees),
        (Some(Industry::HazchemStorage), Some(35))
    );

    let c = check(
        LayerKind::ProtectionTargets,
        json!({"type": "Feature", "id": "t1", "geometry": point(121.13, 31.92),
            "properties": {"名称": "海门小学", "类型": "学校", "人数": 800}}),
        None,
    )
    .expect("target");
    let AnyFeature::ProtectionTarget(t) = c.feature else {
        panic!()
    };
    assert_eq!(
        (t.props.kind, t.props.population),
        (Some(TargetKind::School), Some(800))
    );
    // Not given: the analysis derives it, not the loader.
    assert_eq!(t.props.class, None);

    let c = check(
        LayerKind::Areas,
        json!({"type": "Feature", "id": "a2", "geometry": {"type": "Polygon",
            "coordinates": [[[121.2, 31.8], [121.3, 31.8], [121.3, 31.9], [121.2, 31.8]]]},
            "properties": {"镇街名称": "三厂街道", "行政区划代码": "320684"}}),
        None,
    )
    .expect("area");
    let AnyFeature::Area(a) = c.feature else {
        panic!()
    };
    assert_eq!(
        (a.props.name.as_str(), a.props.code.as_deref()),
        ("三厂街道", Some("320684"))
    );
}

#[test]
fn a_hazard_source_names_its_enterprise_by_name_or_gets_the_loaders_warning() {
    let f = |enterprise: &str| {
        json!({"type": "Feature", "id": "s1", "geometry": point(121.1, 31.9),
            "properties": {"危险源名称": "液氯储罐", "所属企业": enterprise, "单元类型": "储存单元",
                "危险化学品": "氯(7782-50-5)=20"}})
    };
    // The enterprise's name stands for its id, as in a ledger.
    let c = check(LayerKind::HazardSources, f("海门化工有限公司"), None).expect("accepted");
    let AnyFeature::HazardSource(h) = c.feature else {
        panic!()
    };
    assert_eq!(h.props.enterprise_id.as_deref(), Some("e1"));
    assert_eq!(h.props.unit_type, Some(UnitType::Storage));
    assert_eq!(h.props.inventory.len(), 1);
    assert_eq!(h.props.inventory[0].tonnes, 20.0);
    assert_eq!(h.props.inventory[0].cas.as_deref(), Some("7782-50-5"));
    // No such enterprise: kept as written, with the loaders' warning.
    let c = check(LayerKind::HazardSources, f("e404"), None).expect("accepted");
    assert_eq!(
        codes(&c.issues),
        [(Severity::Warning, IssueCode::UnknownEnterprise)]
    );
    assert_eq!(c.issues[0].field.as_deref(), Some("enterprise_id"));
    let AnyFeature::HazardSource(h) = c.feature else {
        panic!()
    };
    assert_eq!(h.props.enterprise_id.as_deref(), Some("e404"));
}

#[test]
fn a_bow_tie_is_repaired_and_accepted_with_the_repair_reported() {
    // (0,0) (1,1) (1,0) (0,1) in units of 0.01°: two triangles meeting at the centre, each
    // a quarter of the 0.01° square, 0.000025 square degrees.
    let ring = [[0.0, 0.0], [1.0, 1.0], [1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]
        .map(|[x, y]| [121.1 + x * 0.01, 31.9 + y * 0.01]);
    let f = json!({"type": "Feature", "id": "h1", "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": {"address": "蝴蝶楼"}});
    let c = check(LayerKind::Houses, f, None).expect("repaired, accepted");
    assert_eq!(
        codes(&c.issues),
        [(Severity::Repaired, IssueCode::SelfIntersection)]
    );
    let Geometry::MultiPolygon(m) = c.feature.geometry() else {
        panic!("{:?}", c.feature.geometry())
    };
    assert_eq!(m.0.len(), 2);
    for p in &m.0 {
        assert!((p.unsigned_area() - 0.000_025).abs() < 1e-12);
    }
}

#[test]
fn refusals_carry_the_loaders_codes() {
    // Out of range: skipped by the loaders, refused here.
    let e = check(
        LayerKind::Houses,
        json!({"type": "Feature", "id": "h1", "geometry": point(200.0, 31.9), "properties": {"address": "x"}}),
        None,
    )
    .unwrap_err();
    assert_eq!(
        codes(&e),
        [(Severity::Skipped, IssueCode::CoordinatesOutOfRange)]
    );
    assert_eq!(e[0].feature_id.as_deref(), Some("h1"));
    // An unknown 用途: the loaders would leave it empty; an edit is refused, the field named.
    let e = check(
        LayerKind::Houses,
        json!({"type": "Feature", "id": "h1", "geometry": point(121.1, 31.9),
            "properties": {"地址": "海门路1号", "用途": "仓库"}}),
        None,
    )
    .unwrap_err();
    assert_eq!(codes(&e), [(Severity::Warning, IssueCode::UnknownValue)]);
    assert_eq!(e[0].field.as_deref(), Some("用途"));
    assert!(e[0].message.contains("\"仓库\""), "{}", e[0].message);
    // A negative count and a pipe drawn as a point.
    let e = check(
        LayerKind::Houses,
        json!({"type": "Feature", "id": "h1", "geometry": point(121.1, 31.9),
            "properties": {"地址": "海门路1号", "层数": -2}}),
        None,
    )
    .unwrap_err();
    assert_eq!(codes(&e), [(Severity::Warning, IssueCode::NegativeNumber)]);
    let e = check(
        LayerKind::GasPipelines,
        json!({"type": "Feature", "id": "g1", "geometry": point(121.1, 31.9), "properties": {}}),
        None,
    )
    .unwrap_err();
    assert_eq!(
        codes(&e),
        [(Severity::Skipped, IssueCode::WrongGeometryType)]
    );
    // An enterprise needs a name.
    let e = check(
        LayerKind::Enterprises,
        json!({"type": "Feature", "id": "e9", "geometry": point(121.1, 31.9), "properties": {"行业": "危化品储存"}}),
        None,
    )
    .unwrap_err();
    assert_eq!(
        codes(&e),
        [(Severity::Skipped, IssueCode::MissingRequiredField)]
    );
    // A NaN cannot be written in JSON, but a string where a number belongs can.
    let e = check(
        LayerKind::Houses,
        json!({"type": "Feature", "id": "h1", "geometry": {"type": "Point", "coordinates": ["121.1", 31.9]}, "properties": {}}),
        None,
    )
    .unwrap_err();
    assert_eq!(codes(&e)[0].0, Severity::Skipped);
}

#[test]
fn ids_come_from_the_url_or_the_feature_and_must_agree() {
    let f = |id: serde_json::Value| json!({"type": "Feature", "id": id, "geometry": point(121.1, 31.9), "properties": {"address": "x"}});
    let c = check(LayerKind::Houses, f(json!(null)), Some("h7")).expect("URL id");
    assert_eq!(c.feature.id(), "h7");
    let c = check(LayerKind::Houses, f(json!(7)), Some("7")).expect("numeric id");
    assert_eq!(c.feature.id(), "7");
    let e = check(LayerKind::Houses, f(json!("h8")), Some("h7")).unwrap_err();
    assert_eq!(codes(&e), [(Severity::Skipped, IssueCode::InvalidValue)]);
    assert_eq!(e[0].field.as_deref(), Some("id"));
    let e = check(LayerKind::Houses, f(json!(null)), None).unwrap_err();
    assert_eq!(
        codes(&e),
        [(Severity::Skipped, IssueCode::MissingRequiredField)]
    );
    // Not a Feature at all, and a result layer.
    let e = check(LayerKind::Houses, point(121.1, 31.9), Some("h1")).unwrap_err();
    assert_eq!(codes(&e), [(Severity::Skipped, IssueCode::BrokenFeature)]);
    assert!(check(LayerKind::HouseRisk, f(json!("h1")), None).is_err());
}

/// A feature put far from every area by hand is refused (a coordinate typed wrong),
/// where a file's is kept with the loaders' warning; a recorded state put back is taken
/// with the warning.
#[test]
fn a_feature_far_outside_every_area_is_refused_and_a_recorded_one_put_back() {
    // 121.8 is about 57 km east of the area's edge at 121.2 (at 31.9° N a degree of
    // longitude is about 94.6 km); 121.6 about 38 km, within the 50 km.
    let at = |x: f64, y: f64| json!({"type": "Feature", "id": "h1", "geometry": point(x, y), "properties": {"address": "x"}});
    let e = check(LayerKind::Houses, at(121.8, 31.9), None).unwrap_err();
    assert_eq!(codes(&e), [(Severity::Skipped, IssueCode::FarFromData)]);
    assert!(e[0].message.contains("refused"), "{}", e[0].message);
    // The other hemisphere: a sign lost.
    let e = check(LayerKind::Houses, at(121.1, -31.9), None).unwrap_err();
    assert_eq!(codes(&e), [(Severity::Skipped, IssueCode::FarFromData)]);
    let e = check(LayerKind::Houses, at(0.0, 0.0), None).unwrap_err();
    assert_eq!(codes(&e), [(Severity::Skipped, IssueCode::NullIsland)]);
    assert!(check(LayerKind::Houses, at(121.6, 31.9), None).is_ok());
    // An enterprise served out there already (a file's, kept with the warning): its
    // other fields may be edited where it lies; moved further, it is refused.
    let mut far = current();
    far.enterprises.push(Feature {
        id: "e9".into(),
        geometry: Geometry::Point(geo::Point::new(121.8, 31.9)),
        props: Ent {
            name: "外区企业".into(),
            ..Ent::default()
        },
        source: SourceRef::default(),
    });
    let ent_at = |x: f64| {
        json!({"type": "Feature", "id": "e9", "geometry": point(x, 31.9),
               "properties": {"name": "外区企业（更名）"}})
    };
    let opts = LoadOptions::default();
    let c = feature_from_geojson(LayerKind::Enterprises, &ent_at(121.8), None, &far, &opts)
        .expect("edited where it lies");
    assert_eq!(
        codes(&c.issues),
        [(Severity::Warning, IssueCode::FarFromData)]
    );
    let e = feature_from_geojson(LayerKind::Enterprises, &ent_at(121.9), None, &far, &opts)
        .unwrap_err();
    assert_eq!(codes(&e), [(Severity::Skipped, IssueCode::FarFromData)]);
    let c = recorded_feature_from_geojson(
        LayerKind::Houses,
        &at(121.8, 31.9),
        None,
        &current(),
        &LoadOptions::default(),
    )
    .expect("put back");
    assert_eq!(
        codes(&c.issues),
        [(Severity::Warning, IssueCode::FarFromData)]
    );
}

/// What a refused edit is told is about the edit, not a ledger file: a value the
/// loaders would leave empty refuses it, and coordinates not in longitude/latitude are
/// to be converted, not declared in `riskmap.toml`.
#[test]
fn a_refused_edit_is_told_in_an_edits_words() {
    let floors = check(
        LayerKind::Houses,
        json!({"type": "Feature", "id": "h1", "geometry": point(121.1, 31.9),
            "properties": {"floors": -4}}),
        None,
    )
    .map(|_| ())
    .unwrap_err();
    let m = &floors
        .iter()
        .find(|i| i.code == IssueCode::NegativeNumber)
        .expect("refused for the negative floors")
        .message;
    assert!(
        m.ends_with("the edit is refused, nothing was changed"),
        "{m}"
    );
    assert!(!m.contains("left empty"), "{m}");
    // EPSG:4549 metres (121.2°E 31.9°N), where degrees belong.
    let metres = check(
        LayerKind::Houses,
        json!({"type": "Feature", "id": "h2",
            "geometry": point(613_518.36, 3_531_392.08), "properties": {}}),
        None,
    )
    .map(|_| ())
    .unwrap_err();
    let m = &metres
        .iter()
        .find(|i| i.code == IssueCode::ProjectedCoordinates)
        .expect("refused for projected coordinates")
        .message;
    assert!(m.contains("convert it to longitude/latitude first"), "{m}");
    assert!(m.contains("Nothing was changed"), "{m}");
    assert!(!m.contains("riskmap.toml") && !m.contains("file"), "{m}");
}
