//! Unit tests of the field tables, column matching and value parsing.

use std::collections::HashMap;

use super::*;
use super::{codes::*, numbers::*, resolve::*, specs::*};
use crate::model::LayerKind;

#[test]
fn field_indices_match_the_tables() {
    assert_eq!(ENTERPRISE_FIELDS[ent::NAME].key, "name");
    assert_eq!(ENTERPRISE_FIELDS[ent::CREDIT_CODE].key, "credit_code");
    assert_eq!(ENTERPRISE_FIELDS[ent::INDUSTRY].key, "industry");
    assert_eq!(ENTERPRISE_FIELDS[ent::EMPLOYEES].key, "employees");
    assert_eq!(ENTERPRISE_FIELDS[ent::DECLARED_LEVEL].key, "declared_level");
    assert_eq!(
        ENTERPRISE_FIELDS[ent::OPEN_HIDDEN].key,
        "open_hidden_hazards"
    );
    assert_eq!(
        ENTERPRISE_FIELDS[ent::OPEN_MAJOR_HIDDEN].key,
        "open_major_hidden_hazards"
    );
    assert_eq!(ENTERPRISE_FIELDS[ent::PARK].key, "park");
    assert_eq!(ENTERPRISE_FIELDS[ent::PHONE].key, "phone");
    assert_eq!(HAZARD_FIELDS[haz::NAME].key, "name");
    assert_eq!(HAZARD_FIELDS[haz::ENTERPRISE].key, "enterprise_id");
    assert_eq!(HAZARD_FIELDS[haz::UNIT_TYPE].key, "unit_type");
    assert_eq!(HAZARD_FIELDS[haz::INVENTORY].key, "inventory");
    assert_eq!(HAZARD_FIELDS[haz::GRADE].key, "declared_grade");
    assert_eq!(HAZARD_FIELDS[haz::QRA].key, "qra_distances");
    assert_eq!(PIPELINE_FIELDS[gas::NAME].key, "name");
    assert_eq!(PIPELINE_FIELDS[gas::PRESSURE_CLASS].key, "pressure_class");
    assert_eq!(
        PIPELINE_FIELDS[gas::DESIGN_PRESSURE].key,
        "design_pressure_mpa"
    );
    assert_eq!(PIPELINE_FIELDS[gas::DIAMETER].key, "diameter_mm");
    assert_eq!(PIPELINE_FIELDS[gas::MATERIAL].key, "material");
    assert_eq!(PIPELINE_FIELDS[gas::YEAR].key, "year_laid");
    assert_eq!(HOUSE_FIELDS[house::ADDRESS].key, "address");
    assert_eq!(HOUSE_FIELDS[house::FLOORS].key, "floors");
    assert_eq!(HOUSE_FIELDS[house::USE].key, "house_use");
    assert_eq!(HOUSE_FIELDS[house::OCCUPANTS].key, "occupants");
    assert_eq!(HOUSE_FIELDS[house::APPRAISAL].key, "appraisal");
    assert_eq!(HOUSE_FIELDS[house::RECTIFICATION].key, "rectification");
    assert_eq!(HOUSE_FIELDS[house::PHONE].key, "phone");
    assert_eq!(TARGET_FIELDS[target::NAME].key, "name");
    assert_eq!(TARGET_FIELDS[target::KIND].key, "kind");
    assert_eq!(TARGET_FIELDS[target::CLASS].key, "class");
    assert_eq!(TARGET_FIELDS[target::POPULATION].key, "population");
    assert_eq!(TARGET_FIELDS[target::HOUSEHOLDS].key, "households");
    assert_eq!(AREA_FIELDS[area::NAME].key, "name");
    assert_eq!(AREA_FIELDS[area::CODE].key, "code");
}

#[test]
fn no_alias_means_two_things_in_one_layer() {
    // A layer's own field may shadow a generic alias (企业编号 is the owner in the
    // hazard-source layer, the id elsewhere), but within each group a name has one
    // meaning.
    let groups: Vec<Vec<FieldSpec>> = LayerKind::INPUTS
        .iter()
        .map(|k| layer_fields(*k).to_vec())
        .chain([vec![ID, LON, LAT, WKT], INVENTORY_ITEM_FIELDS.to_vec()])
        .collect();
    for fields in groups {
        let mut seen: HashMap<String, &str> = HashMap::new();
        for s in &fields {
            for a in std::iter::once(&s.key).chain(s.aliases) {
                if let Some(prev) = seen.insert(norm_key(a), s.key) {
                    assert_eq!(prev, s.key, "{a} is both {prev} and {}", s.key);
                }
            }
        }
    }
    let r = Resolver::new(LayerKind::HazardSources, &[]);
    assert_eq!(
        r.resolve("企业编号").map(|x| x.0.slot),
        Some(Slot::Field(haz::ENTERPRISE))
    );
    let r = Resolver::new(LayerKind::Enterprises, &[]);
    assert_eq!(r.resolve("企业编号").map(|x| x.0.slot), Some(Slot::Id));
}

#[test]
fn every_field_and_alias_is_documented() {
    let doc = include_str!("../../../../docs/data-model.md");
    for kind in LayerKind::INPUTS {
        for spec in layer_fields(kind).iter().chain([&ID, &LON, &LAT, &WKT]) {
            assert!(
                doc.contains(&format!("`{}`", spec.key)),
                "{kind}: {} undocumented",
                spec.key
            );
            for a in spec.aliases {
                assert!(
                    doc.contains(a),
                    "{kind}.{}: alias {a} undocumented",
                    spec.key
                );
            }
        }
    }
    for spec in INVENTORY_ITEM_FIELDS {
        for a in spec.aliases {
            assert!(
                doc.contains(a),
                "inventory {}: alias {a} undocumented",
                spec.key
            );
        }
    }
}

#[test]
fn headers_resolve_with_units_full_width_and_renames() {
    let r = Resolver::new(
        LayerKind::GasPipelines,
        &[("压力".into(), "pressure_class".into())],
    );
    let res = |c: &str| r.resolve(c).map(|(x, w)| (x.slot, x.scale, w.is_some()));
    assert_eq!(
        res("设计压力(MPa)"),
        Some((Slot::Field(gas::DESIGN_PRESSURE), 1.0, false))
    );
    assert_eq!(
        res("设计压力（kPa）"),
        Some((Slot::Field(gas::DESIGN_PRESSURE), 0.001, false))
    );
    assert_eq!(
        res("设计压力(psi)"),
        Some((Slot::Field(gas::DESIGN_PRESSURE), 1.0, true))
    );
    assert_eq!(
        res(" Design_Pressure_MPa "),
        Some((Slot::Field(gas::DESIGN_PRESSURE), 1.0, false))
    );
    assert_eq!(
        res("压力"),
        Some((Slot::Field(gas::PRESSURE_CLASS), 1.0, false))
    );
    assert_eq!(res("经度"), Some((Slot::Lon, 1.0, false)));
    assert_eq!(res("ＬＯＮ"), Some((Slot::Lon, 1.0, false)));
    assert_eq!(res("WKT"), Some((Slot::Wkt, 1.0, false)));
    assert_eq!(res("备注"), None);
    assert!(Resolver::knows_target(LayerKind::Houses, "鉴定等级"));
    assert!(!Resolver::knows_target(LayerKind::Houses, "nonsense"));
}

#[test]
fn numbers_with_units_and_placeholders() {
    let n = |s: &str, u| parse_number_str(s, u);
    assert_eq!(n("35.5", Unit::Tonnes), Ok(Some(35.5)));
    assert_eq!(n("３５吨", Unit::Tonnes), Ok(Some(35.0)));
    assert_eq!(n("500kg", Unit::Tonnes), Ok(Some(0.5)));
    assert_eq!(n("0.4MPa", Unit::Mpa), Ok(Some(0.4)));
    assert_eq!(n("400 kPa", Unit::Mpa), Ok(Some(0.4)));
    assert_eq!(n("DN200", Unit::Mm), Ok(Some(200.0)));
    assert_eq!(n("Φ219×6", Unit::Mm), Ok(Some(219.0)));
    assert_eq!(n("de110", Unit::Mm), Ok(Some(110.0)));
    assert_eq!(n("2005年", Unit::Year), Ok(Some(2005.0)));
    assert_eq!(n("2005-06-01", Unit::Year), Ok(Some(2005.0)));
    assert_eq!(n("1,234", Unit::Plain), Ok(Some(1234.0)));
    assert_eq!(n("3层", Unit::Plain), Ok(Some(3.0)));
    assert_eq!(n("1次", Unit::Plain), Ok(Some(1.0)));
    // As written: divided by 10,000, not multiplied by 0.0001 (2.8000000000000003).
    assert_eq!(n("28000元", Unit::WanYuan), Ok(Some(2.8)));
    assert_eq!(n("1500kg", Unit::Tonnes), Ok(Some(1.5)));
    assert_eq!(n("1e3", Unit::Plain), Ok(Some(1000.0)));
    assert_eq!(n("-2", Unit::Plain), Ok(Some(-2.0)));
    assert_eq!(n("/", Unit::Plain), Ok(None));
    // A NaN in a numeric column reads as the text `NaN` does: no value. Neither an
    // overflowing text nor an infinite cell is a number.
    let num = |x: f64| parse_number(&Value::Num(x), Unit::Plain);
    assert_eq!(num(f64::NAN), Ok(None));
    assert_eq!(num(2.5), Ok(Some(2.5)));
    assert_eq!(num(f64::INFINITY), Err(NumError::NotANumber("inf".into())));
    assert_eq!(
        parse_number(&Value::Str("1e999".into()), Unit::Tonnes),
        Err(NumError::NotANumber("1e999".into()))
    );
    assert_eq!(
        n("1e999吨", Unit::Tonnes),
        Err(NumError::NotANumber("1e999吨".into()))
    );
    assert_eq!(n("无", Unit::Plain), Ok(None));
    assert_eq!(
        n("很多", Unit::Plain),
        Err(NumError::NotANumber("很多".into()))
    );
    assert_eq!(
        n("1,23", Unit::Plain),
        Err(NumError::NotANumber("1,23".into()))
    );
    assert_eq!(
        n("3 psi", Unit::Mpa),
        Err(NumError::BadUnit("3 psi".into()))
    );
}

#[test]
fn coordinates_in_degrees_minutes_seconds() {
    let c = |s: &str| parse_coordinate(&Value::Str(s.into()));
    assert_eq!(c("121.5"), Ok(Some(121.5)));
    assert_eq!(c("121°30'"), Ok(Some(121.5)));
    assert_eq!(c("121度30分36秒"), Ok(Some(121.51)));
    assert_eq!(c("E121°30′36″"), Ok(Some(121.51)));
    assert_eq!(c("31°45'S"), Ok(Some(-31.75)));
    assert!(c("abc").is_err());
}

#[test]
fn check_digits() {
    assert!(cas_checksum_ok("7782-50-5"));
    assert!(cas_checksum_ok("7664-41-7"));
    assert!(!cas_checksum_ok("7782-50-4"));
    assert!(looks_like_cas("7782-50-5"));
    assert!(!looks_like_cas("7782-5-5"));
    // A code built by the GB 32100-2015 rule (check character computed in the test
    // below the same way as published validators do).
    assert!(credit_code_problem("91320684MA1XXXXX0X").is_some());
    let body = "91320684MA1MXY3P1";
    let ok = (0..31u8)
        .map(|i| {
            format!(
                "{body}{}",
                char::from(b"0123456789ABCDEFGHJKLMNPQRTUWXY"[usize::from(i)])
            )
        })
        .filter(|c| credit_code_problem(c).is_none())
        .count();
    assert_eq!(ok, 1, "exactly one check character fits");
    assert!(credit_code_problem("123").is_some_and(|m| m.contains("not 18")));
}

#[test]
fn inventory_cells_in_every_documented_form() {
    let items = parse_inventory_cell("7782-50-5:20;7664-41-7:35.5");
    assert_eq!(items.len(), 2);
    let a = items[0].as_ref().ok();
    assert_eq!(a.and_then(|d| d.cas.as_deref()), Some("7782-50-5"));
    assert_eq!(a.map(|d| d.tonnes.clone()), Some(Ok(Some(20.0))));
    let items = parse_inventory_cell(
        "氯(7782-50-5)=20；液氨=35吨、某溶剂（W5.3）＝1.5; 乙醇[64-17-5,W5.3]=800kg\n苯 3",
    );
    let got: Vec<_> = items
        .iter()
        .map(|r| {
            r.as_ref()
                .map(|d| {
                    (
                        d.name.clone(),
                        d.cas.clone(),
                        d.category.clone(),
                        d.tonnes.clone(),
                    )
                })
                .map_err(|e| e.clone())
        })
        .collect();
    assert_eq!(
        got,
        vec![
            Ok((
                Some("氯".into()),
                Some("7782-50-5".into()),
                None,
                Ok(Some(20.0))
            )),
            Ok((Some("液氨".into()), None, None, Ok(Some(35.0)))),
            Ok((
                Some("某溶剂".into()),
                None,
                Some("W5.3".into()),
                Ok(Some(1.5))
            )),
            Ok((
                Some("乙醇".into()),
                Some("64-17-5".into()),
                Some("W5.3".into()),
                Ok(Some(0.8))
            )),
            Ok((Some("苯".into()), None, None, Ok(Some(3.0)))),
        ]
    );
    // Another name in brackets before the CAS number: both groups read.
    let d = parse_substance("天然气（甲烷）(74-82-8)");
    assert_eq!(
        (d.name.as_deref(), d.cas.as_deref(), d.alt_names.clone()),
        (Some("天然气"), Some("74-82-8"), vec!["甲烷".to_string()])
    );
    let d = parse_substance("液化石油气[LPG](68476-85-7,W2)");
    assert_eq!(
        (
            d.name.as_deref(),
            d.cas.as_deref(),
            d.category.as_deref(),
            d.alt_names.clone()
        ),
        (
            Some("液化石油气"),
            Some("68476-85-7"),
            Some("W2"),
            vec!["LPG".to_string()]
        )
    );
    assert!(parse_inventory_cell("液氨")[0].is_err());
    assert_eq!(
        parse_inventory_cell("液氨=很多")[0]
            .as_ref()
            .map(|d| d.tonnes.clone()),
        Ok(Err(NumError::NotANumber("很多".into())))
    );
}

#[test]
fn inventory_objects_with_chinese_keys() {
    let j = serde_json::json!({"CAS号": "7782-50-5", "物质名称": "氯", "数量(吨)": "20"});
    let d = j.as_object().map(inventory_item_from_json);
    assert_eq!(
        d.and_then(|r| r.ok()).map(|d| (d.cas, d.name, d.tonnes)),
        Some((Some("7782-50-5".into()), Some("氯".into()), Ok(Some(20.0))))
    );
    let j = serde_json::json!({"name": "甲醇", "数量(kg)": 500});
    let d = j.as_object().map(inventory_item_from_json);
    assert_eq!(
        d.and_then(|r| r.ok()).map(|d| d.tonnes),
        Some(Ok(Some(0.5)))
    );
}

#[test]
fn every_layer_fits_the_cells_of_a_record() {
    for kind in LayerKind::INPUTS {
        assert!(
            layer_fields(kind).len() <= crate::io::features::MAX_FIELDS,
            "{kind} has {} fields: raise MAX_FIELDS, or the last ones are never read",
            layer_fields(kind).len()
        );
    }
}
