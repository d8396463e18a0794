//! Layers as the HTTP API names them: every place the server matches a layer's name
//! lives here, so that the names are mapped to data in one module.

use geo::Geometry;
use riskmap_core::dataset::Dataset;
use riskmap_core::export::EXPORT_LAYERS;
use riskmap_core::model::Feature;

use super::error::AppError;
use super::state::Snapshot;

/// The layers served as GeoJSON at `/api/features/{layer}.geojson`.
pub(crate) fn geojson_layers() -> &'static [&'static str] {
    &EXPORT_LAYERS[..12]
}

/// The GeoJSON export name of a tile layer (`houses` tiles are `house_risk` features).
pub(crate) fn export_name(tile_layer: &str) -> &str {
    match tile_layer {
        "houses" => "house_risk",
        "enterprises" => "enterprise_risk",
        "hazard_sources" => "hazard_grades",
        other => other,
    }
}

/// How many features a tile layer has.
pub(crate) fn layer_count(s: &Snapshot, name: &str) -> usize {
    match name {
        "areas" => s.dataset.areas.len(),
        "risk_grid" => s.analysis.grid.cells.len(),
        "gas_pipelines" => s.dataset.gas_pipelines.len(),
        "houses" => s.dataset.houses.len(),
        "protection_targets" => s.dataset.protection_targets.len(),
        "enterprises" => s.dataset.enterprises.len(),
        "hazard_sources" => s.dataset.hazard_sources.len(),
        "protection_conflicts" => s.analysis.protection_conflicts.len(),
        "pipeline_conflicts" => s.analysis.pipeline_conflicts.len(),
        _ => 0,
    }
}

/// Parses a comma-separated list of tile layers, each of which the tile set must have.
pub(crate) fn parse_layers(s: &Snapshot, spec: &str) -> Result<Vec<String>, AppError> {
    let layers: Vec<String> = spec.split(',').map(|l| l.trim().to_string()).collect();
    if layers.iter().any(String::is_empty) {
        return Err(AppError::bad_request(format!("bad layer list '{spec}'")));
    }
    for l in &layers {
        if !s.tiles.has_layer(l) {
            let known: Vec<&str> = s.tiles.layers().iter().map(|i| i.name).collect();
            return Err(AppError::not_found(format!(
                "unknown layer '{l}' (known: {})",
                known.join(", ")
            )));
        }
    }
    Ok(layers)
}

/// A feature as search sees it: id, the text searched (a name or an address), geometry.
pub(crate) type Named<'a> = (&'a str, &'a str, &'a Geometry<f64>);

/// The features of one layer, as search sees them.
pub(crate) type NamedFeatures<'a> = Box<dyn Iterator<Item = Named<'a>> + 'a>;

fn named<'a, P>(features: &'a [Feature<P>], text: fn(&P) -> &str) -> NamedFeatures<'a> {
    Box::new(
        features
            .iter()
            .map(move |f| (f.id.as_str(), text(&f.props), &f.geometry)),
    )
}

/// The searchable layers in the order results are listed: name and features.
pub(crate) fn searchable(ds: &Dataset) -> [(&'static str, NamedFeatures<'_>); 6] {
    [
        ("areas", named(ds.areas.features(), |p| &p.name)),
        ("enterprises", named(ds.enterprises.features(), |p| &p.name)),
        (
            "hazard_sources",
            named(ds.hazard_sources.features(), |p| &p.name),
        ),
        (
            "protection_targets",
            named(ds.protection_targets.features(), |p| &p.name),
        ),
        (
            "gas_pipelines",
            named(ds.gas_pipelines.features(), |p| &p.name),
        ),
        ("houses", named(ds.houses.features(), |p| &p.address)),
    ]
}
