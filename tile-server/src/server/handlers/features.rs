//! The data API under `/api/`: a layer's features as GeoJSON, filtered by bbox, area and
//! level (`/api/features/{layer}.geojson`), and the analysis summary, the area summaries
//! and the validation report as JSON.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use geo::Rect;
use riskmap_core::export::{self, Filter};
use riskmap_core::model::RiskLevel;
use riskmap_core::tileset::position_of_tile_id;
use serde::Deserialize;
use serde_json::Value;

use super::AppStateRef;
use crate::server::dated::parse_as_of;
use crate::server::error::AppError;
use crate::server::layers::geojson_layer;
use crate::server::limits::Limits;
use crate::server::state::field_policy;

/// The query of `/api/features/{layer}.geojson`.
#[derive(Debug, Deserialize, Default)]
pub(in crate::server) struct FeatureQuery {
    bbox: Option<String>,
    area: Option<String>,
    level: Option<String>,
}

fn parse_bbox(s: &str) -> Result<Rect<f64>, AppError> {
    let v: Vec<f64> = s
        .split(',')
        .map(|p| p.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| {
            AppError::bad_request(format!(
                "bbox '{s}': expected min_lon,min_lat,max_lon,max_lat"
            ))
        })?;
    if v.len() != 4
        || !(v[0] < v[2] && v[1] < v[3])
        || v.iter().any(|x| !x.is_finite())
        || v[0] < -180.0
        || v[2] > 180.0
        || v[1] < -90.0
        || v[3] > 90.0
    {
        return Err(AppError::bad_request(format!(
            "bbox '{s}': expected min_lon,min_lat,max_lon,max_lat in degrees with min < max"
        )));
    }
    Ok(Rect::new((v[0], v[1]), (v[2], v[3])))
}

/// The features of one layer as a GeoJSON FeatureCollection, at most
/// `max_geojson_features` of them (422 beyond).
pub(in crate::server) async fn features(
    State(state): State<AppStateRef>,
    Extension(limits): Extension<Arc<Limits>>,
    Path(file): Path<String>,
    Query(q): Query<FeatureQuery>,
) -> Result<Response, AppError> {
    let name = file.strip_suffix(".geojson").ok_or_else(|| {
        AppError::not_found(format!(
            "no such file '{file}': use /api/features/{{layer}}.geojson"
        ))
    })?;
    let kind = geojson_layer(name)?;
    let snap = state.snapshot();
    let mut filter = Filter {
        bbox: q.bbox.as_deref().map(parse_bbox).transpose()?,
        ..Filter::default()
    };
    if let Some(l) = &q.level {
        let mut levels = Vec::new();
        for p in l.split(',') {
            levels.push(RiskLevel::parse(p).ok_or_else(|| {
                AppError::bad_request(format!(
                    "unknown level '{p}' (major, significant, general, low)"
                ))
            })?);
        }
        filter.levels = Some(levels);
    }
    if let Some(a) = &q.area {
        filter = filter.with_area_name(snap.dataset(), a)?;
    }
    // Stop writing as soon as the limit is passed, rather than building a huge body only
    // to refuse it.
    filter.max_features = Some(state.config.max_geojson_features as u64);
    let pol = field_policy(&state.config);
    let body = limits
        .export
        .run(move || -> Result<Vec<u8>, AppError> {
            let mut out = Vec::new();
            export::write_named(
                &mut out,
                kind,
                snap.dataset(),
                snap.analysis(),
                &filter,
                &pol,
            )?;
            Ok(out)
        })
        .await??;
    Ok(([(header::CONTENT_TYPE, "application/geo+json")], body).into_response())
}

/// The query of `/api/feature/{layer}/{id}`.
#[derive(Debug, Deserialize, Default)]
pub(in crate::server) struct OneQuery {
    /// The data generation the tile was read from. Ids stay with their features across
    /// generations, so it only goes into a 404's message.
    generation: Option<u64>,
    /// The day of the map the tile was drawn for (`YYYY-MM-DD`): the feature as it
    /// stood that day.
    as_of: Option<String>,
}

/// `GET /api/feature/{layer}/{id}`: one feature by the id its tiles give it, with every
/// field its popup shows: a GeoJSON Feature with the properties the export of the
/// layer's GeoJSON counterpart gives it (`houses` → `house_risk`, `enterprises` →
/// `enterprise_risk`, `hazard_sources` → `hazard_grades`). Tiles carry only what the map
/// draws, filters and labels on. The id stays with its feature while other features are
/// added and deleted; a feature deleted since its tile was drawn is a 404.
pub(in crate::server) async fn feature(
    State(state): State<AppStateRef>,
    Path((layer, id)): Path<(String, String)>,
    Query(q): Query<OneQuery>,
) -> Result<Response, AppError> {
    let tile_kind = geojson_layer(&layer)?;
    let kind = riskmap_core::tileset::geojson_layer(tile_kind);
    let tile_id: u64 = id.parse().map_err(|_| {
        AppError::bad_request(format!(
            "feature id '{id}': expected the number a tile gives the feature"
        ))
    })?;
    let snap = state.snapshot();
    let gone = || {
        let since = q
            .generation
            .filter(|g| *g != snap.generation)
            .map(|g| {
                format!(
                    " (the tile was drawn at generation {g}, {} is served)",
                    snap.generation
                )
            })
            .unwrap_or_default();
        AppError::not_found(format!("no feature {tile_id} in layer '{layer}'{since}"))
    };
    let pol = field_policy(&state.config);
    let day = parse_as_of(q.as_of.as_deref())?.filter(|d| snap.analysis().as_of != Some(*d));
    let mut f = match day {
        // A tile of another day: its ids are those of the day's data.
        Some(day) => {
            let d = state.dated.get(&state, &snap, day).await?;
            let (ds, a) = (d.dataset(&snap), d.analysis(&snap));
            let mut f = d
                .view
                .feature(kind, ds, a, tile_id, &pol)
                .ok_or_else(gone)?;
            f["properties"]["as_of"] = day.to_string().into();
            f
        }
        None => {
            let pos = position_of_tile_id(snap.dataset(), snap.analysis(), tile_kind, tile_id)
                .ok_or_else(gone)?;
            export::feature(kind, snap.dataset(), snap.analysis(), pos, &pol).ok_or_else(gone)?
        }
    };
    f["properties"]["generation"] = snap.generation.into();
    Ok(([(header::CONTENT_TYPE, "application/geo+json")], Json(f)).into_response())
}

/// The analysis summary.
pub(in crate::server) async fn summary(State(state): State<AppStateRef>) -> Json<Value> {
    Json(state.snapshot().summary().clone())
}

/// The summary of each area.
pub(in crate::server) async fn areas(State(state): State<AppStateRef>) -> Json<Value> {
    Json(serde_json::to_value(&state.snapshot().analysis().area_summaries).unwrap_or(Value::Null))
}

/// The validation report as a page in Chinese, for people.
pub(in crate::server) async fn validation_page(State(state): State<AppStateRef>) -> Response {
    let title = state.source.dir.display().to_string();
    let html = riskmap_core::report::validation_page(&state.snapshot().report, &title);
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        html,
    )
        .into_response()
}

/// What the loader skipped, repaired and warned about.
pub(in crate::server) async fn validation(State(state): State<AppStateRef>) -> Json<Value> {
    Json(state.snapshot().report.to_json())
}
