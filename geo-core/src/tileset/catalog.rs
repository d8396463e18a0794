//! The tile layers the server offers (the catalog, TileJSON's `vector_layers`): which
//! [`LayerKind`]s have tiles, their geometry, detail zoom and the fields of their features.

use serde::Serialize;

use crate::model::LayerKind;
use crate::tiles::MAX_ZOOM;

/// A field a layer's features carry.
#[derive(Debug, Clone, Serialize)]
pub struct FieldInfo {
    /// Property name.
    pub name: &'static str,
    /// `String`, `Number` or `Boolean` (TileJSON's words).
    pub kind: &'static str,
    /// Chinese label for popups.
    pub label_zh: &'static str,
}

/// What a layer is.
#[derive(Debug, Clone, Serialize)]
pub struct LayerInfo {
    /// Name in URLs and in the tile.
    pub name: &'static str,
    /// Chinese title.
    pub title_zh: &'static str,
    /// `point`, `line`, `polygon` or a mix like `point/polygon`.
    pub geometry: &'static str,
    /// Lowest zoom with data.
    pub minzoom: u8,
    /// Highest zoom served.
    pub maxzoom: u8,
    /// Zoom from which single features replace clusters (None: never clustered).
    pub detail_zoom: Option<u8>,
    /// Fields of single features in the tiles (clusters carry `count`, `level`,
    /// `level_n`, `cluster`).
    pub fields: Vec<FieldInfo>,
    /// Fields a popup shows that the tiles leave out, to be asked of
    /// `/api/feature/{layer}/{feature id}` (empty: the tiles carry every field).
    pub popup_fields: Vec<FieldInfo>,
}

const fn f(name: &'static str, kind: &'static str, label_zh: &'static str) -> FieldInfo {
    FieldInfo {
        name,
        kind,
        label_zh,
    }
}

/// The layers that have tiles, in drawing order (bottom first).
pub const TILE_LAYERS: [LayerKind; 10] = [
    LayerKind::Areas,
    LayerKind::RiskGrid,
    LayerKind::GasPipelines,
    LayerKind::Houses,
    LayerKind::ProtectionTargets,
    LayerKind::Enterprises,
    LayerKind::HazardSources,
    LayerKind::ProtectionConflicts,
    LayerKind::PipelineConflicts,
    LayerKind::HiddenHazards,
];

/// How a layer is cut into tiles.
struct TileLayerSpec {
    geometry: &'static str,
    detail_zoom: Option<u8>,
    fields: Vec<FieldInfo>,
    popup_fields: Vec<FieldInfo>,
}

/// The tile layer of `kind`; `None` for a layer that has no tiles of its own (its
/// features are drawn through another: house levels on `houses`, grades on
/// `hazard_sources`, enterprise levels on `enterprises`).
fn spec(kind: LayerKind) -> Option<TileLayerSpec> {
    match kind {
        LayerKind::Areas => Some(TileLayerSpec {
            geometry: "polygon",
            detail_zoom: None,
            fields: vec![
                f("id", "String", "编号"),
                f("name", "String", "名称"),
                f("code", "String", "区划代码"),
                f("level", "String", "区域风险等级"),
                f("level_n", "Number", "风险等级值"),
            ],
            popup_fields: Vec::new(),
        }),
        LayerKind::RiskGrid => Some(TileLayerSpec {
            geometry: "polygon",
            detail_zoom: None,
            // The area filters the grid by town; the rest is the popup's.
            fields: vec![
                f("id", "String", "网格编号"),
                f("area", "String", "所在镇街"),
            ],
            popup_fields: vec![
                f("id", "String", "网格编号"),
                f("index", "Number", "风险指数"),
                f("population", "Number", "人口"),
                f("area", "String", "所在镇街"),
            ],
        }),
        LayerKind::GasPipelines => Some(TileLayerSpec {
            geometry: "line",
            detail_zoom: Some(13),
            fields: vec![
                f("id", "String", "编号"),
                f("name", "String", "名称"),
                f("pressure_class", "String", "压力级制"),
            ],
            // The class comes from the tile (the ledger may give only the pressure).
            popup_fields: vec![
                f("id", "String", "编号"),
                f("name", "String", "名称"),
                f("pressure_class", "String", "压力级制"),
                f("design_pressure_mpa", "Number", "设计压力(MPa)"),
                f("diameter_mm", "Number", "管径(mm)"),
                f("material", "String", "管材"),
                f("year_laid", "Number", "敷设年份"),
            ],
        }),
        LayerKind::Houses => Some(TileLayerSpec {
            geometry: "polygon",
            detail_zoom: Some(14),
            // A million footprints: the tiles carry the level only (see the popup).
            fields: vec![f("level", "String", "风险等级")],
            popup_fields: vec![
                f("id", "String", "编号"),
                f("address", "String", "地址"),
                f("floors", "Number", "层数"),
                f("house_use", "String", "用途"),
                f("occupants", "Number", "人数"),
                f("appraisal", "String", "鉴定等级"),
                f("rectification", "String", "整治状态"),
                f("reasons", "String", "判定依据"),
            ],
        }),
        LayerKind::ProtectionTargets => Some(TileLayerSpec {
            geometry: "point/polygon",
            detail_zoom: Some(11),
            fields: vec![
                f("id", "String", "编号"),
                f("name", "String", "名称"),
                f("kind", "String", "类型"),
            ],
            popup_fields: vec![
                f("id", "String", "编号"),
                f("name", "String", "名称"),
                f("kind", "String", "类型"),
                f("class", "String", "防护目标类别"),
                f("population", "Number", "人数"),
            ],
        }),
        LayerKind::Enterprises => Some(TileLayerSpec {
            geometry: "point/polygon",
            detail_zoom: Some(12),
            // What the map draws, filters and labels on; the rest through the popup.
            fields: vec![
                f("id", "String", "编号"),
                f("name", "String", "企业名称"),
                f("industry", "String", "行业类别"),
            ],
            popup_fields: vec![
                f("id", "String", "编号"),
                f("name", "String", "企业名称"),
                f("industry", "String", "行业类别"),
                f("employees", "Number", "从业人数"),
                f("declared_level", "String", "申报风险等级"),
                f("mismatch", "Boolean", "申报与计算不符"),
                f("likelihood", "Number", "可能性L"),
                f("severity", "Number", "严重性S"),
                f("open_hidden_hazards", "Number", "未整改隐患"),
                f("open_major_hidden_hazards", "Number", "未整改重大隐患"),
                f("park", "String", "所在园区"),
                f("reasons", "String", "判定依据"),
            ],
        }),
        LayerKind::HazardSources => Some(TileLayerSpec {
            geometry: "polygon",
            detail_zoom: Some(10),
            fields: vec![f("id", "String", "编号"), f("name", "String", "名称")],
            popup_fields: vec![
                f("id", "String", "编号"),
                f("name", "String", "名称"),
                f("enterprise_name", "String", "所属企业"),
                f("enterprise_id", "String", "企业编号"),
                f("grade", "Number", "等级"),
                f("r", "Number", "R值"),
                f("s", "Number", "S值"),
                f("alpha", "Number", "α"),
                f("is_major", "Boolean", "构成重大危险源"),
                f("declared_grade", "Number", "申报等级"),
                f("mismatch", "Boolean", "申报与计算不符"),
                f("reasons", "String", "判定依据"),
            ],
        }),
        LayerKind::ProtectionConflicts => Some(TileLayerSpec {
            geometry: "line",
            // With the houses, which most lines end at: at z13 the houses are clusters,
            // and the risk layers' tile over the generated city's chemical park was
            // 265 KiB with thousands of lines to them, 45 KiB with their clusters
            // (BENCHMARKS.md, "Conflict lines from z14").
            detail_zoom: Some(14),
            // Drawn by level; what the conflict is comes with the popup.
            fields: Vec::new(),
            popup_fields: vec![
                f("source_name", "String", "危险源/企业"),
                f("source_id", "String", "危险源/企业编号"),
                f("target_name", "String", "防护目标/房屋"),
                f("target_id", "String", "目标编号"),
                f("target_layer", "String", "目标图层"),
                f("target_class", "String", "防护目标类别"),
                f("distance_m", "Number", "实际距离(m)"),
                f("required_m", "Number", "要求距离(m)"),
                f("shortfall_m", "Number", "不足(m)"),
                f("rule", "String", "规则"),
            ],
        }),
        LayerKind::PipelineConflicts => Some(TileLayerSpec {
            geometry: "line/point",
            detail_zoom: Some(14),
            fields: Vec::new(),
            popup_fields: vec![
                f("pipeline_name", "String", "管道"),
                f("pipeline_id", "String", "管道编号"),
                f("feature_name", "String", "建筑"),
                f("feature_id", "String", "建筑编号"),
                f("layer", "String", "图层"),
                f("kind", "String", "类型"),
                f("pressure_class", "String", "压力级制"),
                f("distance_m", "Number", "距离(m)"),
                f("clearance_m", "Number", "要求间距(m)"),
                f("rule", "String", "规则"),
            ],
        }),
        LayerKind::HiddenHazards => Some(TileLayerSpec {
            geometry: "point",
            detail_zoom: Some(13),
            // Drawn by where each stands on the day (`level_n`: 0 closed, 1 open, 2 open
            // and overdue, 3 a major one open), filtered by status, category, major and
            // overdue; the record itself is the popup's. The responsible person is
            // personal data: never in a tile.
            fields: vec![
                f("id", "String", "隐患编号"),
                f("status", "String", "状态"),
                f("major", "Boolean", "重大事故隐患"),
                f("overdue", "Boolean", "逾期"),
                f("days_overdue", "Number", "逾期天数"),
                f("category", "String", "隐患类别"),
                f("level_n", "Number", "隐患状态值"),
            ],
            popup_fields: vec![
                f("id", "String", "隐患编号"),
                f("description", "String", "隐患描述"),
                f("major", "Boolean", "重大事故隐患"),
                f("status_as_of_zh", "String", "状态"),
                f("feature_layer", "String", "关联对象类型"),
                f("feature_id", "String", "关联对象编号"),
                f("category", "String", "隐患类别"),
                f("discovered", "String", "发现日期"),
                f("deadline", "String", "整改期限"),
                f("days_overdue", "Number", "逾期天数"),
                f("responsible_unit", "String", "整改责任单位"),
                f("measures", "String", "整改措施"),
                f("closed", "String", "销号日期"),
            ],
        }),
        LayerKind::HazardGrades | LayerKind::HouseRisk | LayerKind::EnterpriseRisk => None,
    }
}

/// The layer info of `kind`, if it has tiles.
pub fn layer_info(kind: LayerKind) -> Option<LayerInfo> {
    let s = spec(kind)?;
    let mut fields = s.fields;
    // Every layer but the pipes is coloured by level; the pipes by pressure class. A layer
    // that names its level fields itself (areas: 区域风险等级) keeps its own labels.
    // Single houses carry `level` alone (their clusters still carry `level_n`).
    // Hidden hazards carry their own `level_n` (where they stand, not a risk level).
    if !matches!(
        kind,
        LayerKind::GasPipelines | LayerKind::Houses | LayerKind::HiddenHazards
    ) {
        for (name, kind, label) in [
            ("level", "String", "风险等级"),
            ("level_n", "Number", "风险等级值"),
        ] {
            if !fields.iter().any(|x| x.name == name) {
                fields.push(f(name, kind, label));
            }
        }
    }
    Some(LayerInfo {
        name: kind.name(),
        title_zh: kind.name_zh(),
        geometry: s.geometry,
        minzoom: 0,
        maxzoom: MAX_ZOOM,
        detail_zoom: s.detail_zoom,
        fields,
        popup_fields: s.popup_fields,
    })
}

/// The layers, in drawing order (bottom first).
pub fn layer_infos() -> Vec<LayerInfo> {
    TILE_LAYERS.into_iter().filter_map(layer_info).collect()
}

/// TileJSON's `vector_layers` for `layers` (in their order): id, Chinese description, zooms
/// and fields, including those of clusters below a layer's detail zoom. The server's
/// TileJSON and the metadata of tile archives say the same.
pub fn vector_layers(layers: &[LayerKind], maxzoom: u8) -> Vec<serde_json::Value> {
    layers
        .iter()
        .filter_map(|k| layer_info(*k))
        .map(|i| {
            let mut fields: serde_json::Map<String, serde_json::Value> = i
                .fields
                .iter()
                .map(|f| (f.name.to_string(), serde_json::json!(f.kind)))
                .collect();
            if i.detail_zoom.is_some() {
                fields.insert("count".into(), serde_json::json!("Number"));
                fields.insert("cluster".into(), serde_json::json!("Boolean"));
            }
            if i.name == LayerKind::HiddenHazards.name() {
                for k in ["open", "general_overdue", "major_open"] {
                    fields.insert(k.into(), serde_json::json!("Number"));
                }
            }
            serde_json::json!({
                "id": i.name,
                "description": i.title_zh,
                "minzoom": i.minzoom,
                "maxzoom": i.maxzoom.min(maxzoom),
                "fields": fields,
            })
        })
        .collect()
}

/// The tile layer called `name`, if there is one.
pub fn tile_layer(name: &str) -> Option<LayerKind> {
    TILE_LAYERS.into_iter().find(|k| k.name() == name)
}

/// The layer whose GeoJSON describes the features of a tile layer, with their results:
/// the houses' levels, the enterprises' levels, the hazard sources' grades.
pub fn geojson_layer(kind: LayerKind) -> LayerKind {
    match kind {
        LayerKind::Houses => LayerKind::HouseRisk,
        LayerKind::Enterprises => LayerKind::EnterpriseRisk,
        LayerKind::HazardSources => LayerKind::HazardGrades,
        LayerKind::Areas
        | LayerKind::GasPipelines
        | LayerKind::ProtectionTargets
        | LayerKind::HiddenHazards
        | LayerKind::HazardGrades
        | LayerKind::ProtectionConflicts
        | LayerKind::PipelineConflicts
        | LayerKind::HouseRisk
        | LayerKind::EnterpriseRisk
        | LayerKind::RiskGrid => kind,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tile_layer_names_each_field_once() {
        for info in layer_infos() {
            let mut names: Vec<&str> = info.fields.iter().map(|f| f.name).collect();
            let n = names.len();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), n, "{} lists a field twice", info.name);
        }
        // The areas keep their own label for the level.
        let areas = layer_info(LayerKind::Areas).map(|i| i.fields);
        let level = areas
            .as_ref()
            .and_then(|f| f.iter().find(|x| x.name == "level"))
            .map(|x| x.label_zh);
        assert_eq!(level, Some("区域风险等级"));
    }
}
