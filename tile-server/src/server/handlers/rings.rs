//! `GET /api/rings/{layer}/{id}`: the protection distances a hazard source (or a screened
//! hazardous-chemical enterprise) requires, as rings around its footprint, one per
//! distinct distance, with the classes of target, the rule and its basis in Chinese
//! (see [`riskmap_core::analysis::protection_rings`]).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use riskmap_core::analysis::protection_rings::rings;
use riskmap_core::model::LayerKind;
use serde_json::{Value, json};

use super::AppStateRef;
use crate::server::error::AppError;

/// The rings of the feature whose ledger id is `id`, as a GeoJSON FeatureCollection,
/// widest first.
pub(in crate::server) async fn protection_rings(
    State(state): State<AppStateRef>,
    Path((layer, id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let snap = state.snapshot();
    let (ds, a) = (snap.dataset(), snap.analysis());
    let (kind, pos) = match layer.as_str() {
        "hazard_sources" => (
            LayerKind::HazardSources,
            ds.hazard_sources.find_id(&id).map(|(p, _)| p),
        ),
        "enterprises" => (
            LayerKind::Enterprises,
            ds.enterprises.find_id(&id).map(|(p, _)| p),
        ),
        _ => {
            return Err(AppError::bad_request(format!(
                "layer '{layer}': protection distances are those of hazard_sources and enterprises"
            )));
        }
    };
    let pos =
        pos.ok_or_else(|| AppError::not_found(format!("no feature '{id}' in layer '{layer}'")))?;
    let Some(list) = rings(ds, a, &snap.rules, kind, pos) else {
        return Err(AppError::not_found(format!(
            "'{id}' requires no protection distance (an ungraded hazard source, or an enterprise the rules do not screen)"
        )));
    };
    let features: Vec<Value> = list
        .iter()
        .map(|r| {
            let classes: Vec<&str> = r.classes.iter().map(|c| c.key()).collect();
            let classes_zh: Vec<&str> = r.classes.iter().map(|c| c.name_zh()).collect();
            let geometry = geojson::Geometry::new(geojson::GeometryValue::from(&r.geometry));
            json!({
                "type": "Feature",
                "geometry": geometry,
                "properties": {
                    "required_m": r.required_m,
                    "classes": classes,
                    "classes_zh": classes_zh.join("、"),
                    "rule": r.rule,
                    "basis_zh": r.basis_zh,
                    "screening_default": r.screening_default,
                },
            })
        })
        .collect();
    let body = json!({
        "type": "FeatureCollection",
        "source": {"layer": layer, "id": id},
        "generation": snap.generation,
        "features": features,
    });
    Ok(([(header::CONTENT_TYPE, "application/geo+json")], Json(body)).into_response())
}
