//! One feature of a layer, by its position in the layer: its id, geometry and the
//! properties its GeoJSON export gives it. The export writes every feature through
//! these, and `/api/feature/{layer}/{id}` answers a popup with them, so the two always
//! say the same. A tile feature's id is its position in its layer.

use std::borrow::Cow;

use geo::Geometry;
use serde_json::{Map, Value, json};

use super::{FieldPolicy, level_props, properties, reasons_value, round, write_geometry};
use crate::analysis::Analysis;
use crate::analysis::risk_grid::grade_level;
use crate::dataset::Dataset;
use crate::model::{LayerKind, RiskLevel};

/// Where a feature is: what a filter looks at.
pub(super) struct Located<'a> {
    /// Its id in the export.
    pub(super) id: Cow<'a, str>,
    /// Its geometry.
    pub(super) geometry: Cow<'a, Geometry<f64>>,
    /// Its level, for the layers that have one.
    pub(super) level: Option<RiskLevel>,
}

/// The id, geometry and level of the feature at `pos` of layer `kind`; `None` past the
/// layer's end.
pub(super) fn locate<'a>(
    kind: LayerKind,
    ds: &'a Dataset,
    a: &'a Analysis,
    pos: usize,
) -> Option<Located<'a>> {
    fn input<'a, P>(
        f: Option<&'a crate::model::Feature<P>>,
        level: Option<RiskLevel>,
    ) -> Option<Located<'a>> {
        let f = f?;
        Some(Located {
            id: Cow::Borrowed(&f.id),
            geometry: Cow::Borrowed(&f.geometry),
            level,
        })
    }
    match kind {
        LayerKind::Areas => input(ds.areas.get(pos), None),
        LayerKind::Enterprises => input(ds.enterprises.get(pos), None),
        LayerKind::HazardSources => input(ds.hazard_sources.get(pos), None),
        LayerKind::GasPipelines => input(ds.gas_pipelines.get(pos), None),
        LayerKind::Houses => input(ds.houses.get(pos), None),
        LayerKind::ProtectionTargets => input(ds.protection_targets.get(pos), None),
        LayerKind::HiddenHazards => input(ds.hidden_hazards.get(pos), None),
        LayerKind::HazardGrades => {
            let level = a.hazard_grades.get(pos)?.grade.map(grade_level);
            input(ds.hazard_sources.get(pos), level)
        }
        LayerKind::HouseRisk => input(ds.houses.get(pos), Some(a.house_risks.get(pos)?.level)),
        LayerKind::EnterpriseRisk => input(
            ds.enterprises.get(pos),
            Some(a.enterprise_risks.get(pos)?.level),
        ),
        LayerKind::ProtectionConflicts => {
            let c = a.protection_conflicts.get(pos)?;
            Some(Located {
                id: Cow::Owned(format!("pc-{}-{}", c.source_id, c.target_id)),
                geometry: Cow::Borrowed(&c.geometry),
                level: None,
            })
        }
        LayerKind::PipelineConflicts => {
            let c = a.pipeline_conflicts.get(pos)?;
            Some(Located {
                id: Cow::Owned(format!("gc-{}-{}", c.pipeline_id, c.feature_id)),
                geometry: Cow::Borrowed(&c.geometry),
                level: None,
            })
        }
        LayerKind::RiskGrid => {
            let c = a.grid.cells.get(pos)?;
            Some(Located {
                id: Cow::Borrowed(&c.id),
                geometry: Cow::Owned(Geometry::Polygon(c.geometry.clone())),
                level: Some(c.level),
            })
        }
    }
}

/// The id and geometry the export of layer `kind` gives the feature at `pos`; `None`
/// past the layer's end.
pub fn id_and_geometry<'a>(
    kind: LayerKind,
    ds: &'a Dataset,
    a: &'a Analysis,
    pos: usize,
) -> Option<(Cow<'a, str>, Cow<'a, Geometry<f64>>)> {
    locate(kind, ds, a, pos).map(|l| (l.id, l.geometry))
}

/// The name of the feature at `pos` of `kind` (a house's address, a hidden hazard's
/// description) unless the field policy keeps that field back.
fn name_of<'a>(
    ds: &'a Dataset,
    policy: &FieldPolicy,
    kind: LayerKind,
    pos: usize,
) -> Option<&'a str> {
    let field = match kind {
        LayerKind::Houses => "address",
        LayerKind::HiddenHazards => "description",
        _ => "name",
    };
    if policy.denies(kind, field) {
        return None;
    }
    ds.name_at(kind, pos)
}

fn put_name(m: &mut Map<String, Value>, key: &str, name: Option<&str>) {
    if let Some(n) = name {
        m.insert(key.into(), Value::String(n.to_string()));
    }
}

/// The properties the export of layer `kind` gives the feature at `pos` (without the
/// fields `policy` denies); `None` past the layer's end.
pub fn properties_of(
    kind: LayerKind,
    ds: &Dataset,
    a: &Analysis,
    pos: usize,
    policy: &FieldPolicy,
) -> Option<Map<String, Value>> {
    Some(match kind {
        LayerKind::Areas => properties(&ds.areas.get(pos)?.props, policy, kind),
        LayerKind::Enterprises => properties(&ds.enterprises.get(pos)?.props, policy, kind),
        LayerKind::HazardSources => properties(&ds.hazard_sources.get(pos)?.props, policy, kind),
        LayerKind::GasPipelines => properties(&ds.gas_pipelines.get(pos)?.props, policy, kind),
        LayerKind::Houses => properties(&ds.houses.get(pos)?.props, policy, kind),
        LayerKind::ProtectionTargets => {
            let f = ds.protection_targets.get(pos)?;
            let c = a.target_classes.get(pos)?;
            let mut m = properties(&f.props, policy, kind);
            m.insert("class".into(), json!(c.key()));
            m.insert("class_zh".into(), json!(c.name_zh()));
            m
        }
        LayerKind::HiddenHazards => {
            let f = ds.hidden_hazards.get(pos)?;
            let mut m = properties(&f.props, policy, kind);
            if let Some(s) = a.hidden_states.get(pos) {
                hidden_state_fields(&mut m, s, a.as_of);
            }
            m
        }
        LayerKind::HazardGrades => {
            let f = ds.hazard_sources.get(pos)?;
            let g = a.hazard_grades.get(pos)?;
            let mut m = Map::new();
            m.insert("name".into(), json!(f.props.name));
            m.insert("enterprise_id".into(), json!(f.props.enterprise_id));
            let owner = f
                .props
                .enterprise_id
                .as_deref()
                .and_then(|id| ds.enterprises.find_id(id))
                .map(|(p, _)| p);
            if let Some(p) = owner {
                put_name(
                    &mut m,
                    "enterprise_name",
                    name_of(ds, policy, LayerKind::Enterprises, p),
                );
            }
            m.insert("s".into(), json!(round(g.s, 4)));
            m.insert("r".into(), json!(round(g.r, 3)));
            m.insert("alpha".into(), json!(g.alpha));
            m.insert("exposed_population".into(), json!(g.exposed_population));
            m.insert("is_major".into(), json!(g.is_major));
            m.insert("grade".into(), json!(g.grade.map(|x| x.number())));
            m.insert("grade_zh".into(), json!(g.grade.map(|x| x.name_zh())));
            m.insert(
                "declared_grade".into(),
                json!(g.declared_grade.map(|x| x.number())),
            );
            m.insert("mismatch".into(), json!(g.mismatch));
            m.insert(
                "items".into(),
                serde_json::to_value(&g.items).unwrap_or(Value::Null),
            );
            m.insert("reasons".into(), reasons_value(&g.reasons));
            if let Some(l) = g.grade.map(grade_level) {
                level_props(&mut m, l);
            }
            m
        }
        LayerKind::HouseRisk => {
            let f = ds.houses.get(pos)?;
            let h = a.house_risks.get(pos)?;
            let mut m = properties(&f.props, policy, LayerKind::Houses);
            level_props(&mut m, h.level);
            m.insert("reasons".into(), reasons_value(&h.reasons));
            m
        }
        LayerKind::EnterpriseRisk => {
            let f = ds.enterprises.get(pos)?;
            let mut m = properties(&f.props, policy, LayerKind::Enterprises);
            enterprise_risk_fields(&mut m, a.enterprise_risks.get(pos)?);
            m
        }
        LayerKind::ProtectionConflicts => {
            let c = a.protection_conflicts.get(pos)?;
            let mut m = match serde_json::to_value(c) {
                Ok(Value::Object(m)) => m,
                _ => Map::new(),
            };
            m.remove("source_pos");
            m.remove("target_pos");
            // The names of the two features, beside their ids (a reader reads names).
            put_name(
                &mut m,
                "source_name",
                name_of(ds, policy, c.source_layer, c.source_pos),
            );
            put_name(
                &mut m,
                "target_name",
                name_of(ds, policy, c.target_layer, c.target_pos),
            );
            m.insert("distance_m".into(), json!(round(c.distance_m, 2)));
            m.insert("shortfall_m".into(), json!(round(c.shortfall_m, 2)));
            m.insert("target_class_zh".into(), json!(c.target_class.name_zh()));
            m
        }
        LayerKind::PipelineConflicts => {
            let c = a.pipeline_conflicts.get(pos)?;
            let mut m = match serde_json::to_value(c) {
                Ok(Value::Object(m)) => m,
                _ => Map::new(),
            };
            m.remove("pipeline_pos");
            m.remove("feature_pos");
            put_name(
                &mut m,
                "pipeline_name",
                name_of(ds, policy, LayerKind::GasPipelines, c.pipeline_pos),
            );
            put_name(
                &mut m,
                "feature_name",
                name_of(ds, policy, c.layer, c.feature_pos),
            );
            m.insert("distance_m".into(), json!(round(c.distance_m, 2)));
            m.insert("kind_zh".into(), json!(c.kind.name_zh()));
            m.insert(
                "pressure_class_zh".into(),
                json!(c.pressure_class.name_zh()),
            );
            m
        }
        LayerKind::RiskGrid => grid_cell_fields(a.grid.cells.get(pos)?, ds, policy),
    })
}

/// An enterprise's assessment as exported: its level, likelihood, severity, mismatch,
/// worst grade and reasons.
pub(crate) fn enterprise_risk_fields(
    m: &mut Map<String, Value>,
    e: &crate::analysis::EnterpriseRisk,
) {
    level_props(m, e.level);
    m.insert("likelihood".into(), json!(e.likelihood));
    m.insert("severity".into(), json!(e.severity));
    m.insert("mismatch".into(), json!(e.mismatch));
    m.insert(
        "worst_grade".into(),
        json!(e.worst_grade.map(|g| g.number())),
    );
    m.insert("reasons".into(), reasons_value(&e.reasons));
}

/// A grid cell's properties as exported: its index, level, population, what lies inside
/// by level, its area and what contributes most.
pub(crate) fn grid_cell_fields(
    c: &crate::analysis::GridCell,
    ds: &Dataset,
    policy: &FieldPolicy,
) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("index".into(), json!(round(c.index, 3)));
    level_props(&mut m, c.level);
    // What the index is made of, and whether a risk point inside raised the band's level.
    m.insert("index_points".into(), json!(round(c.from_points, 3)));
    m.insert("index_many".into(), json!(round(c.from_many, 3)));
    m.insert(
        "index_population".into(),
        json!(round(c.from_population, 3)),
    );
    m.insert("banded_level".into(), json!(c.banded.name()));
    m.insert("banded_level_zh".into(), json!(c.banded.name_zh()));
    m.insert("floored".into(), json!(c.level > c.banded));
    m.insert("population".into(), json!(c.population));
    m.insert("inside_by_level".into(), json!(c.inside_by_level));
    m.insert("area".into(), json!(c.area));
    let named = |l: LayerKind, id: &str| {
        let pos = match l {
            LayerKind::HazardSources => ds.hazard_sources.find_id(id).map(|(p, _)| p),
            LayerKind::Enterprises => ds.enterprises.find_id(id).map(|(p, _)| p),
            _ => None,
        }?;
        name_of(ds, policy, l, pos)
    };
    m.insert(
        "top".into(),
        Value::Array(
            c.top
                .iter()
                .map(|(l, id, v)| {
                    let mut t = json!({"layer": l.name(), "id": id, "contribution": round(*v, 3)});
                    if let Some(n) = named(*l, id) {
                        t["name"] = json!(n);
                    }
                    t
                })
                .collect(),
        ),
    );
    m
}

/// One GeoJSON Feature of an id, a geometry and properties.
pub(crate) fn feature_json(id: &str, g: &Geometry<f64>, props: Map<String, Value>) -> Value {
    let mut geometry = String::new();
    write_geometry(&mut geometry, g);
    let geometry: Value = serde_json::from_str(&geometry).unwrap_or(Value::Null);
    json!({"type": "Feature", "id": id, "geometry": geometry, "properties": props})
}

/// The feature at `pos` of layer `kind` as one GeoJSON Feature, with the properties its
/// export gives it; `None` past the layer's end.
///
/// ```
/// use riskmap_core::export::{self, FieldPolicy};
/// use riskmap_core::io::LoadOptions;
/// use riskmap_core::model::LayerKind;
/// use riskmap_core::project::Project;
/// use riskmap_core::rules::Rules;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/haimen");
/// let p = Project::open(&dir, &LoadOptions::default(), &Rules::default())?;
/// let pol = FieldPolicy::default();
/// let f = export::feature(LayerKind::HouseRisk, &p.dataset, &p.analysis, 0, &pol).unwrap();
/// assert_eq!(f["id"], p.dataset.houses.features()[0].id.as_str());
/// assert!(f["properties"]["reasons"].is_array());
/// let n = p.dataset.houses.len();
/// assert!(export::feature(LayerKind::HouseRisk, &p.dataset, &p.analysis, n, &pol).is_none());
/// # Ok(())
/// # }
/// ```
pub fn feature(
    kind: LayerKind,
    ds: &Dataset,
    a: &Analysis,
    pos: usize,
    policy: &FieldPolicy,
) -> Option<Value> {
    let at = locate(kind, ds, a, pos)?;
    let props = properties_of(kind, ds, a, pos, policy)?;
    Some(feature_json(&at.id, &at.geometry, props))
}

/// A hidden hazard's state on the analysis day, as exported and drawn: `as_of`, the
/// status on that day (`status_as_of`, and in Chinese), `open`, `overdue` and
/// `days_overdue`.
pub(crate) fn hidden_state_fields(
    m: &mut Map<String, Value>,
    s: &crate::analysis::hidden_hazards::HiddenState,
    as_of: Option<crate::model::Day>,
) {
    m.insert("as_of".into(), json!(as_of.map(|d| d.to_string())));
    m.insert("status_as_of".into(), json!(s.status.map(|s| s.key())));
    m.insert(
        "status_as_of_zh".into(),
        json!(s.status.map(|s| s.name_zh())),
    );
    m.insert("open".into(), json!(s.open));
    m.insert("overdue".into(), json!(s.overdue()));
    m.insert("days_overdue".into(), json!(s.days_overdue));
}
