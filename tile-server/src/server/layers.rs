//! Layers as the HTTP API names them: parsing a layer list of a URL into [`LayerKind`]s,
//! and which features of each layer search looks at. The names and per-layer facts are
//! the core's (`LayerKind::name`, the tile catalog); every match here is exhaustive, so a
//! new layer cannot be forgotten.

use geo::Geometry;
use riskmap_core::dataset::Dataset;
use riskmap_core::model::{Feature, LayerKind};
use riskmap_core::tileset::tile_layer;

use super::error::AppError;
use super::state::Snapshot;

/// Every layer's name, for error messages.
pub(crate) fn known_layers() -> String {
    LayerKind::all()
        .map(LayerKind::name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The layer served as GeoJSON at `/api/features/{name}.geojson` (every layer, input
/// or result).
pub(crate) fn geojson_layer(name: &str) -> Result<LayerKind, AppError> {
    LayerKind::from_name(name).ok_or_else(|| {
        AppError::not_found(format!(
            "unknown layer '{name}' (known: {})",
            known_layers()
        ))
    })
}

/// Parses a comma-separated list of tile layers, each of which the tile set must have.
pub(crate) fn parse_layers(s: &Snapshot, spec: &str) -> Result<Vec<LayerKind>, AppError> {
    let names: Vec<&str> = spec.split(',').map(str::trim).collect();
    if names.iter().any(|n| n.is_empty()) {
        return Err(AppError::bad_request(format!("bad layer list '{spec}'")));
    }
    let kinds: Vec<LayerKind> = names
        .into_iter()
        .map(|l| {
            tile_layer(l)
                .filter(|k| s.tiles.has_layer(*k))
                .ok_or_else(|| {
                    let known: Vec<&str> = s.tiles.layers().iter().map(|i| i.name).collect();
                    AppError::not_found(format!(
                        "unknown layer '{l}' (known: {})",
                        known.join(", ")
                    ))
                })
        })
        .collect::<Result<_, _>>()?;
    // A layer twice would be cut twice into one tile under one name.
    if let Some((i, k)) = kinds
        .iter()
        .enumerate()
        .find(|(i, k)| kinds[..*i].contains(k))
    {
        return Err(AppError::bad_request(format!(
            "bad layer list '{spec}': {} is listed twice (at position {})",
            k.name(),
            i + 1
        )));
    }
    Ok(kinds)
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

/// The layers search looks in, in the order results are listed.
pub(crate) const SEARCHED: [LayerKind; 6] = [
    LayerKind::Areas,
    LayerKind::Enterprises,
    LayerKind::HazardSources,
    LayerKind::ProtectionTargets,
    LayerKind::GasPipelines,
    LayerKind::Houses,
];

/// What search reads of a layer's features: names, a house's address; `None` for the
/// results, which have no name of their own.
pub(crate) fn searchable(ds: &Dataset, kind: LayerKind) -> Option<NamedFeatures<'_>> {
    Some(match kind {
        LayerKind::Areas => named(ds.areas.features(), |p| &p.name),
        LayerKind::Enterprises => named(ds.enterprises.features(), |p| &p.name),
        LayerKind::HazardSources => named(ds.hazard_sources.features(), |p| &p.name),
        LayerKind::ProtectionTargets => named(ds.protection_targets.features(), |p| &p.name),
        LayerKind::GasPipelines => named(ds.gas_pipelines.features(), |p| &p.name),
        LayerKind::Houses => named(ds.houses.features(), |p| &p.address),
        LayerKind::HiddenHazards => named(ds.hidden_hazards.features(), |p| &p.description),
        LayerKind::HazardGrades
        | LayerKind::ProtectionConflicts
        | LayerKind::PipelineConflicts
        | LayerKind::HouseRisk
        | LayerKind::EnterpriseRisk
        | LayerKind::RiskGrid => return None,
    })
}
