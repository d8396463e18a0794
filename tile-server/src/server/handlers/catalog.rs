//! `GET /catalog` (what the server holds and where) and `GET /tiles/{layers}.json`
//! (TileJSON 3.0.0 of one or more tile layers).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use riskmap_core::tileset::MAX_ZOOM;
use serde_json::{Value, json};

use super::AppStateRef;
use crate::server::assets;
use crate::server::error::AppError;
use crate::server::layers::parse_layers;
use crate::server::proxy::{Peer, origin};
use riskmap_core::export;
use riskmap_core::tileset::{geojson_layer, tile_layer};

/// The layers with their fields, counts and URLs, the areas, the styles and the basemap.
pub(in crate::server) async fn catalog(
    State(state): State<AppStateRef>,
    headers: HeaderMap,
    peer: Peer,
) -> Json<Value> {
    let s = state.snapshot();
    let o = origin(&headers, peer, &state.config.trusted_proxies);
    let bounds = s
        .dataset()
        .bounds()
        .map(|b| [b.min().x, b.min().y, b.max().x, b.max().y]);
    Json(json!({
        "generation": s.generation,
        "bounds": bounds,
        "minzoom": 0,
        "maxzoom": MAX_ZOOM,
        "layers": s.tiles.layers().iter().map(|l| json!({
            "id": l.name,
            "title_zh": l.title_zh,
            "geometry": l.geometry,
            "minzoom": l.minzoom,
            "maxzoom": l.maxzoom,
            "detail_zoom": l.detail_zoom,
            "fields": l.fields,
            "popup_fields": l.popup_fields,
            "count": tile_layer(l.name).map_or(0, |k| export::layer_len(k, s.dataset(), s.analysis())),
            "tilejson": format!("{o}/tiles/{}.json", l.name),
            "geojson": format!("{o}/api/features/{}.geojson", tile_layer(l.name).map_or(l.name, |k| geojson_layer(k).name())),
        })).collect::<Vec<_>>(),
        "areas": s.dataset().areas.features().iter().map(|a| json!({"id": a.id, "name": a.props.name})).collect::<Vec<_>>(),
        "styles": assets::STYLE_NAMES.iter().map(|n| format!("{o}/styles/{n}.json")).collect::<Vec<_>>(),
        "basemap": state.config.basemap_url,
    }))
}

/// TileJSON of the comma-separated tile layers in `{file}` = `{layers}.json`.
/// The tiles of a TileJSON are drawn as of `as_of` when it is given (YYYY-MM-DD).
pub(in crate::server) async fn tilejson(
    State(state): State<AppStateRef>,
    Path(file): Path<String>,
    Query(q): Query<super::tiles::TileQuery>,
    headers: HeaderMap,
    peer: Peer,
) -> Result<Json<Value>, AppError> {
    let spec = file.strip_suffix(".json").ok_or_else(|| {
        AppError::not_found(format!(
            "no such file '{file}': TileJSON is at /tiles/{{layer}}.json"
        ))
    })?;
    let s = state.snapshot();
    let layers = parse_layers(&s, spec)?;
    let day = crate::server::dated::parse_as_of(q.as_of.as_deref())?;
    let as_of = day.map_or(String::new(), |d| format!("?as_of={d}"));
    let o = origin(&headers, peer, &state.config.trusted_proxies);
    let b = s
        .dataset()
        .bounds()
        .map_or([-180.0, -85.0511, 180.0, 85.0511], |b| {
            [b.min().x, b.min().y, b.max().x, b.max().y]
        });
    let vector_layers = riskmap_core::tileset::vector_layers(&layers, MAX_ZOOM);
    Ok(Json(json!({
        "tilejson": "3.0.0",
        "name": spec,
        "description": "RiskMap 安全风险分布图",
        "version": format!("1.0.{}", s.generation),
        "attribution": "RiskMap",
        "scheme": "xyz",
        "tiles": [format!("{o}/tiles/{spec}/{{z}}/{{x}}/{{y}}.mvt{as_of}")],
        "minzoom": 0,
        "maxzoom": MAX_ZOOM,
        "bounds": b,
        "center": [(b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0, 10],
        "vector_layers": vector_layers,
    })))
}
