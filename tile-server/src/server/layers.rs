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

/// A feature as search sees it.
pub(crate) struct Searched<'a> {
    /// Its position in its layer.
    pub pos: usize,
    /// Its id.
    pub id: &'a str,
    /// Its name, or a house's address.
    pub text: &'a str,
    /// Its geometry.
    pub geometry: &'a Geometry<f64>,
    /// A code it is known by: an enterprise's unified social credit code.
    pub code: Option<&'a str>,
    /// What kind of thing it is, in Chinese: a protection target's kind (学校, 医院, …),
    /// an enterprise's industry, a hazard source's unit type, a pipe's pressure class.
    pub kind_zh: Option<&'static str>,
}

/// The features of one layer, as search sees them.
pub(crate) type SearchedFeatures<'a> = Box<dyn Iterator<Item = Searched<'a>> + 'a>;

/// What search reads of a feature's properties: its text, code and kind.
type Reader<P> = for<'p> fn(&'p P) -> (&'p str, Option<&'p str>, Option<&'static str>);

fn searched<'a, P>(features: &'a [Feature<P>], read: Reader<P>) -> SearchedFeatures<'a> {
    Box::new(features.iter().enumerate().map(move |(pos, f)| {
        let (text, code, kind_zh) = read(&f.props);
        Searched {
            pos,
            id: f.id.as_str(),
            text,
            geometry: &f.geometry,
            code,
            kind_zh,
        }
    }))
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

/// What search reads of a layer's features: names (a house's address), codes and kinds;
/// `None` for the results, which have no name of their own.
pub(crate) fn searchable(ds: &Dataset, kind: LayerKind) -> Option<SearchedFeatures<'_>> {
    Some(match kind {
        LayerKind::Areas => searched(ds.areas.features(), |p| (&p.name, None, None)),
        LayerKind::Enterprises => searched(ds.enterprises.features(), |p| {
            (
                &p.name,
                p.credit_code.as_deref(),
                p.industry.map(|i| i.name_zh()),
            )
        }),
        LayerKind::HazardSources => searched(ds.hazard_sources.features(), |p| {
            (&p.name, None, p.unit_type.map(|u| u.name_zh()))
        }),
        LayerKind::ProtectionTargets => searched(ds.protection_targets.features(), |p| {
            (&p.name, None, p.kind.map(|k| k.name_zh()))
        }),
        LayerKind::GasPipelines => searched(ds.gas_pipelines.features(), |p| {
            (&p.name, None, p.pressure_class.map(|c| c.name_zh()))
        }),
        LayerKind::Houses => searched(ds.houses.features(), |p| (&p.address, None, None)),
        LayerKind::HiddenHazards => searched(ds.hidden_hazards.features(), |p| {
            (&p.description, None, None)
        }),
        LayerKind::HazardGrades
        | LayerKind::ProtectionConflicts
        | LayerKind::PipelineConflicts
        | LayerKind::HouseRisk
        | LayerKind::EnterpriseRisk
        | LayerKind::RiskGrid => return None,
    })
}
