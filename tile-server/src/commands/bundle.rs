//! `riskmap bundle`: a folder that shows the risk map from any static web server or file
//! share, with nothing behind it — the viewer, the style, the map as one PMTiles archive,
//! MapLibre and the PMTiles reader. A town's office copies one folder.

use std::path::Path;

use riskmap_core::archive::ArchiveOptions;
use riskmap_core::project::Project;
use riskmap_core::tileset::{TILE_LAYERS, layer_info};
use serde_json::{Value, json};

use super::output::{Destination, RunRecord};
use super::tiles::{archive_extras, check_zooms, published_tile_set, server_config, write_one};
use super::{CliError, prepare, write_err};
use crate::args::BundleArgs;
use crate::progress::Ui;
use crate::server::assets;

/// The archive's name in the folder.
pub const ARCHIVE: &str = "map.pmtiles";

/// The bundle's own files: path in the folder and bytes.
const FILES: &[(&str, &[u8])] = &[
    (
        "index.html",
        include_bytes!("../../assets/bundle/index.html"),
    ),
    ("viewer.js", include_bytes!("../../assets/bundle/viewer.js")),
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

/// `riskmap bundle`.
pub fn bundle(ui: &Ui, args: &BundleArgs) -> Result<(), CliError> {
    check_zooms(args.minzoom, args.maxzoom)?;
    let config = server_config(ui, args.config.as_deref())?;
    let run = RunRecord::start("bundle");
    let dest = Destination::check(&args.out)?;
    let p = prepare(ui, &args.load)?;
    let tileset = published_tile_set(ui, &config, &p)?;
    let staging = dest.stage()?;
    let dir = staging.dir();
    let mut opts = ArchiveOptions::new(TILE_LAYERS.to_vec());
    opts.minzoom = args.minzoom;
    opts.maxzoom = args.maxzoom;
    opts.extra = archive_extras(&p);
    write_one(ui, &p, &tileset, &opts, &dir.join(ARCHIVE))?;
    for (name, bytes) in FILES {
        write_file(&dir.join(name), bytes)?;
    }
    let data = bundle_data(&p, &opts, args.title.as_deref());
    let js = format!("window.RISKMAP_BUNDLE = {data};\n");
    write_file(&dir.join("map-data.js"), js.as_bytes())?;
    run.write_loaded(&staging, &args.load, &p)?;
    staging.commit()?;
    ui.say(&format!(
        "written to {} (open index.html from a web server, or from the folder and pick {ARCHIVE})",
        args.out.display()
    ));
    Ok(())
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(write_err(parent))?;
    }
    std::fs::write(path, bytes).map_err(write_err(path))
}

/// What the viewer reads from `map-data.js`: the style drawn from the archive (one source,
/// `riskmap`, whose URL the viewer sets), the layers with their Chinese titles and field
/// labels, the data's box, its day and when the bundle was made.
fn bundle_data(p: &Project, opts: &ArchiveOptions, title: Option<&str>) -> Value {
    let style = archive_style();
    let layers: Vec<Value> = opts
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
    let bounds = p
        .dataset
        .bounds()
        .map(|b| json!([[b.min().x, b.min().y], [b.max().x, b.max().y]]));
    json!({
        "title": title.unwrap_or("安全风险分布图"),
        "style": style,
        "layers": layers,
        "bounds": bounds,
        "as_of": opts.extra.get("riskmap:as_of"),
        "generated": opts.extra.get("riskmap:generated"),
        "minzoom": opts.minzoom,
        "maxzoom": opts.maxzoom,
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
