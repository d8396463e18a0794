//! The offline viewer (`tile-server/assets/bundle/`): the files of a bundle folder and
//! the `map-data.js` it reads (the style drawn from one tile source, the layers' names and
//! fields, the vocabularies' Chinese names, the map's facts). `riskmap bundle` writes them
//! beside a PMTiles archive; `riskmap serve ARCHIVE` serves them with the archive's tiles.

use riskmap_core::model::LayerKind;
use riskmap_core::tileset::layer_info;
use serde_json::{Value, json};

use super::assets;

/// The bundle's own files: path in the folder and bytes.
pub const FILES: &[(&str, &[u8])] = &[
    (
        "index.html",
        include_bytes!("../../assets/bundle/index.html"),
    ),
    ("viewer.js", include_bytes!("../../assets/bundle/viewer.js")),
    ("patterns.js", include_bytes!("../../assets/patterns.js")),
    (
        "viewer.css",
        include_bytes!("../../assets/bundle/viewer.css"),
    ),
    (
        "vendor/maplibre-gl.js",
        include_bytes!("../../assets/vendor/maplibre-gl.js"),
    ),
    (
        "vendor/maplibre-gl.css",
        include_bytes!("../../assets/vendor/maplibre-gl.css"),
    ),
    (
        "vendor/LICENSE-maplibre-gl.txt",
        include_bytes!("../../assets/vendor/LICENSE-maplibre-gl.txt"),
    ),
    (
        "vendor/pmtiles.js",
        include_bytes!("../../assets/vendor/pmtiles.js"),
    ),
    (
        "vendor/LICENSE-pmtiles.txt",
        include_bytes!("../../assets/vendor/LICENSE-pmtiles.txt"),
    ),
    (
        "README.txt",
        include_bytes!("../../assets/bundle/README.txt"),
    ),
];

/// What a viewer's `map-data.js` says of its map.
#[derive(Debug, Clone, Default)]
pub struct ViewerFacts {
    /// The title (default 安全风险分布图).
    pub title: Option<String>,
    /// The tile layers the map holds, in drawing order.
    pub layers: Vec<LayerKind>,
    /// The data's box, lon/lat: west, south, east, north.
    pub bounds: Option<[f64; 4]>,
    /// The day the map is drawn as of.
    pub as_of: Option<String>,
    /// When the tiles were made.
    pub generated: Option<String>,
    /// The zooms of the tiles.
    pub zooms: (u8, u8),
    /// A TileJSON URL (relative to the page) the tiles come from; without it the viewer
    /// reads `map.pmtiles` beside the page.
    pub tilejson: Option<String>,
    /// Where the labels' glyphs come from.
    pub glyphs: Glyphs,
}

/// Where an offline viewer's label glyphs come from.
#[derive(Debug, Clone, Default)]
pub enum Glyphs {
    /// No font: the map has no labels.
    #[default]
    None,
    /// A URL template relative to the page (`fonts/{fontstack}/{range}.pbf` of
    /// `riskmap serve ARCHIVE`).
    Url(String),
    /// The ranges themselves, each with only the characters the map's labels use, by
    /// range start: written into `map-data.js`, so that labels work from `file://` too.
    Embedded(Vec<(u32, Vec<u8>)>),
}

/// The text of `map-data.js`.
pub fn viewer_data_js(f: &ViewerFacts) -> String {
    let mut js = format!("window.RISKMAP_BUNDLE = {};\n", viewer_data(f));
    if let Glyphs::Embedded(ranges) = &f.glyphs {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD;
        let map: serde_json::Map<String, Value> = ranges
            .iter()
            .map(|(start, bytes)| (crate::glyphs::range_name(*start), json!(b64.encode(bytes))))
            .collect();
        js.push_str(&format!(
            "window.RISKMAP_GLYPHS = {};\n",
            Value::Object(map)
        ));
    }
    js
}

/// What the viewer reads from `map-data.js`: the style drawn from the archive (one source,
/// `riskmap`, whose URL the viewer sets), the layers with their Chinese titles and field
/// labels, the data's box, its day and when the bundle was made.
fn viewer_data(f: &ViewerFacts) -> Value {
    let mut style = archive_style();
    match &f.glyphs {
        Glyphs::None => super::handlers::styles::without_labels(&mut style),
        Glyphs::Url(u) => style["glyphs"] = json!(u),
        // The viewer answers this protocol from window.RISKMAP_GLYPHS.
        Glyphs::Embedded(_) => style["glyphs"] = json!("riskmap-glyphs://{fontstack}/{range}"),
    }
    let layers: Vec<Value> = f
        .layers
        .iter()
        .filter_map(|k| layer_info(*k))
        .map(|i| {
            json!({
                "id": i.name,
                "title_zh": i.title_zh,
                "fields": i.fields.iter().map(|f| json!({"name": f.name, "label_zh": f.label_zh})).collect::<Vec<_>>(),
            })
        })
        .collect();
    let bounds = f.bounds.map(|[w, s, e, n]| json!([[w, s], [e, n]]));
    json!({
        "title": f.title.as_deref().unwrap_or("安全风险分布图"),
        "style": style,
        "layers": layers,
        "bounds": bounds,
        "as_of": f.as_of,
        "generated": f.generated,
        "minzoom": f.zooms.0,
        "maxzoom": f.zooms.1,
        "tilejson": f.tilejson,
        "values_zh": values_zh(),
    })
}

/// The Chinese names of the values the tiles carry, by field: the model's own
/// vocabularies, so that a popup says 已销号, not `closed`.
fn values_zh() -> Value {
    use riskmap_core::model::{
        Appraisal, FoundBy, HazardGrade, HiddenHazardStatus, HouseUse, Industry, PressureClass,
        Rectification, RiskLevel, TargetClass, TargetKind, UnitType,
    };
    fn names<T: Copy>(all: &[T], key: fn(T) -> String, zh: fn(T) -> &'static str) -> Value {
        Value::Object(all.iter().map(|v| (key(*v), json!(zh(*v)))).collect())
    }
    json!({
        "level": names(&RiskLevel::DESCENDING, |v| v.name().to_string(), RiskLevel::name_zh),
        "grade": names(
            &[HazardGrade::One, HazardGrade::Two, HazardGrade::Three, HazardGrade::Four],
            |v| v.number().to_string(),
            HazardGrade::name_zh,
        ),
        "industry": names(Industry::ALL, |v| v.key().to_string(), Industry::name_zh),
        "unit_type": names(UnitType::ALL, |v| v.key().to_string(), UnitType::name_zh),
        "pressure_class": names(PressureClass::ALL, |v| v.key().to_string(), PressureClass::name_zh),
        "house_use": names(HouseUse::ALL, |v| v.key().to_string(), HouseUse::name_zh),
        "appraisal": names(Appraisal::ALL, |v| v.key().to_string(), Appraisal::name_zh),
        "rectification": names(Rectification::ALL, |v| v.key().to_string(), Rectification::name_zh),
        "kind": names(TargetKind::ALL, |v| v.key().to_string(), TargetKind::name_zh),
        "class": names(TargetClass::ALL, |v| v.key().to_string(), TargetClass::name_zh),
        "status": names(HiddenHazardStatus::ALL, |v| v.key().to_string(), HiddenHazardStatus::name_zh),
        "found_by": names(FoundBy::ALL, |v| v.key().to_string(), FoundBy::name_zh),
    })
}

/// The server's risk style with its two tile sources made one: the archive holds every
/// layer in every tile.
pub fn archive_style() -> Value {
    let text = assets::style("risk").unwrap_or("{}");
    let mut style: Value = serde_json::from_str(text).unwrap_or_else(|_| json!({}));
    style["sources"] = json!({"riskmap": {"type": "vector", "url": ""}});
    if let Some(layers) = style["layers"].as_array_mut() {
        for l in layers {
            if l.get("source").is_some() {
                l["source"] = json!("riskmap");
            }
        }
    }
    if let Some(m) = style["metadata"].as_object_mut() {
        m.remove("riskmap:dated_sources");
    }
    style
}
