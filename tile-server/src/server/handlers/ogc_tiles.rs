//! OGC API – Tiles (OGC 20-057), core with vector tiles, under `/ogc`: the WebMercatorQuad
//! tile matrix set (OGC 17-083r4, with the names of its 1.0 encoding beside, which older
//! clients read), the map's vector tiles as one tileset of every layer
//! (`/ogc/tiles`, dataset tilesets) and each tile layer's own (`/ogc/collections/{layer}/tiles`,
//! geodata tilesets). The tiles are the server's own, the same bytes, cache and ETags as
//! `/tiles/{layers}/{z}/{x}/{y}.mvt` (a tile's row is the XYZ y, counted from the north).

use std::sync::Arc;

use axum::Extension;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use riskmap_core::model::LayerKind;
use riskmap_core::tileset::{MAX_ZOOM, TILE_LAYERS, layer_info, tile_layer};
use serde_json::{Value, json};

use super::AppStateRef;
use crate::server::error::AppError;
use crate::server::limits::Limits;
use crate::server::proxy::{Peer, origin};

/// The one tile matrix set served.
const TMS: &str = "WebMercatorQuad";
const TMS_URI: &str = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad";
const EPSG_3857: &str = "http://www.opengis.net/def/crs/EPSG/0/3857";
const MVT: &str = "application/vnd.mapbox-vector-tile";
/// Link relations of OGC API – Tiles.
pub(in crate::server) const REL_TILESETS_VECTOR: &str =
    "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector";
pub(in crate::server) const REL_TILING_SCHEMES: &str =
    "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes";
const REL_TILING_SCHEME: &str = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme";

/// The conformance classes of OGC API – Tiles implemented.
pub(in crate::server) const CONFORMANCE: [&str; 6] = [
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/dataset-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
];

/// Half the width of the Web Mercator world, metres.
const HALF: f64 = 20_037_508.342_789_244;

fn base(state: &AppStateRef, headers: &HeaderMap, peer: Peer) -> String {
    format!(
        "{}/ogc",
        origin(headers, peer, &state.config.trusted_proxies)
    )
}

/// `GET /ogc/tileMatrixSets`
pub(in crate::server) async fn matrix_sets(
    State(state): State<AppStateRef>,
    headers: HeaderMap,
    peer: Peer,
) -> Json<Value> {
    let b = base(&state, &headers, peer);
    Json(json!({"tileMatrixSets": [{
        "id": TMS, "title": "Google Maps Compatible for the World", "uri": TMS_URI,
        "links": [{"rel": "self", "type": "application/json", "href": format!("{b}/tileMatrixSets/{TMS}")}],
    }]}))
}

/// `GET /ogc/tileMatrixSets/WebMercatorQuad`: its definition (OGC 17-083r4 annex D.1).
pub(in crate::server) async fn matrix_set(Path(id): Path<String>) -> Result<Json<Value>, AppError> {
    if id != TMS {
        return Err(AppError::not_found(format!(
            "no tile matrix set '{id}' (only {TMS})"
        )));
    }
    let matrices: Vec<Value> = (0..=MAX_ZOOM)
        .map(|z| {
            let n = f64::from(1u32 << z);
            json!({
                "id": z.to_string(),
                // 0.28 mm pixels: 559,082,264.028… at z0, the standard's value.
                "scaleDenominator": 2.0 * HALF / 256.0 / 0.000_28 / n,
                "cellSize": 2.0 * HALF / 256.0 / n,
                "cornerOfOrigin": "topLeft",
                "pointOfOrigin": [-HALF, HALF],
                "tileWidth": 256, "tileHeight": 256,
                "matrixWidth": 1u32 << z, "matrixHeight": 1u32 << z,
                // The same in the 1.0 encoding, which GDAL up to 3.6 reads.
                "type": "TileMatrixType",
                "identifier": z.to_string(),
                "topLeftCorner": [-HALF, HALF],
            })
        })
        .collect();
    Ok(Json(json!({
        "id": TMS,
        "title": "Google Maps Compatible for the World",
        "uri": TMS_URI,
        "crs": EPSG_3857,
        "orderedAxes": ["X", "Y"],
        "wellKnownScaleSet": "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible",
        "tileMatrices": matrices,
        // OGC 17-083r2 (TMS 1.0) names of the same, for clients of that version.
        "type": "TileMatrixSetType",
        "identifier": TMS,
        "supportedCRS": EPSG_3857,
        "boundingBox": {"type": "BoundingBoxType", "crs": EPSG_3857, "lowerCorner": [-HALF, -HALF], "upperCorner": [HALF, HALF]},
        "tileMatrix": matrices,
    })))
}

/// The tile layers of a tileset: `None` for every layer (the dataset's), else one.
fn layers_of(collection: Option<&str>) -> Result<Vec<LayerKind>, AppError> {
    match collection {
        None => Ok(TILE_LAYERS.to_vec()),
        Some(id) => tile_layer(id).map(|k| vec![k]).ok_or_else(|| {
            AppError::not_found(format!(
                "collection '{id}' has no tiles (tile layers: {})",
                TILE_LAYERS.map(LayerKind::name).join(", ")
            ))
        }),
    }
}

/// The tileset list of the dataset or of a collection.
fn tilesets(b: &str, collection: Option<&str>) -> Result<Value, AppError> {
    let layers = layers_of(collection)?;
    let path = collection.map_or(format!("{b}/tiles"), |c| {
        format!("{b}/collections/{c}/tiles")
    });
    let title = match collection {
        None => "安全风险分布图（全部图层）".to_string(),
        Some(_) => layers.first().map_or("", |k| k.name_zh()).to_string(),
    };
    Ok(json!({"tilesets": [{
        "title": title,
        "dataType": "vector",
        "crs": EPSG_3857,
        "tileMatrixSetURI": TMS_URI,
        "links": [
            {"rel": "self", "type": "application/json", "href": format!("{path}/{TMS}")},
            {"rel": REL_TILING_SCHEME, "type": "application/json", "href": format!("{b}/tileMatrixSets/{TMS}")},
        ],
    }]}))
}

/// A tileset's description.
fn tileset(state: &AppStateRef, b: &str, collection: Option<&str>) -> Result<Value, AppError> {
    let layers = layers_of(collection)?;
    let path = collection.map_or(format!("{b}/tiles"), |c| {
        format!("{b}/collections/{c}/tiles")
    });
    let snap = state.snapshot();
    let bounds = snap.dataset().bounds();
    let limits: Vec<Value> = bounds
        .map(|r| {
            (0..=MAX_ZOOM)
                .filter_map(|z| {
                    let mut t = riskmap_core::tiles::tiles_covering(r, z).ok()?;
                    let first = t.next()?;
                    let last = t.last().unwrap_or(first);
                    Some(json!({
                        "tileMatrix": z.to_string(),
                        "minTileRow": first.y, "maxTileRow": last.y,
                        "minTileCol": first.x, "maxTileCol": last.x,
                    }))
                })
                .collect()
        })
        .unwrap_or_default();
    let vector_layers: Vec<Value> = layers
        .iter()
        .filter_map(|k| layer_info(*k))
        .map(|i| {
            let dim = match i.geometry {
                "point" => json!(0),
                "line" => json!(1),
                "polygon" => json!(2),
                _ => Value::Null,
            };
            json!({
                "id": i.name, "title": i.title_zh, "dataType": "vector",
                "geometryDimension": dim,
                "minTileMatrix": i.minzoom.to_string(), "maxTileMatrix": i.maxzoom.to_string(),
            })
        })
        .collect();
    let b4 = bounds.map(|r| [r.min().x, r.min().y, r.max().x, r.max().y]);
    Ok(json!({
        "title": tilesets(b, collection)?["tilesets"][0]["title"],
        "dataType": "vector",
        "crs": EPSG_3857,
        "tileMatrixSetURI": TMS_URI,
        "tileMatrixSetLimits": limits,
        // Where the definition is, as the tileset drafts before 1.0 named it.
        "tileMatrixSetDefinition": format!("{b}/tileMatrixSets/{TMS}"),
        "boundingBox": b4.map(|b| json!({"lowerLeft": [b[0], b[1]], "upperRight": [b[2], b[3]], "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"})),
        "layers": vector_layers,
        "links": [
            {"rel": "self", "type": "application/json", "href": format!("{path}/{TMS}")},
            {"rel": REL_TILING_SCHEME, "type": "application/json", "href": format!("{b}/tileMatrixSets/{TMS}")},
            {"rel": "item", "type": MVT, "templated": true,
             "href": format!("{path}/{TMS}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}")},
        ],
    }))
}

/// `GET /ogc/tiles`
pub(in crate::server) async fn dataset_tilesets(
    State(state): State<AppStateRef>,
    headers: HeaderMap,
    peer: Peer,
) -> Result<Json<Value>, AppError> {
    Ok(Json(tilesets(&base(&state, &headers, peer), None)?))
}

/// `GET /ogc/tiles/WebMercatorQuad`
pub(in crate::server) async fn dataset_tileset(
    State(state): State<AppStateRef>,
    Path(tms): Path<String>,
    headers: HeaderMap,
    peer: Peer,
) -> Result<Json<Value>, AppError> {
    check_tms(&tms)?;
    Ok(Json(tileset(&state, &base(&state, &headers, peer), None)?))
}

/// `GET /ogc/collections/{id}/tiles`
pub(in crate::server) async fn collection_tilesets(
    State(state): State<AppStateRef>,
    Path(id): Path<String>,
    headers: HeaderMap,
    peer: Peer,
) -> Result<Json<Value>, AppError> {
    Ok(Json(tilesets(&base(&state, &headers, peer), Some(&id))?))
}

/// `GET /ogc/collections/{id}/tiles/WebMercatorQuad`
pub(in crate::server) async fn collection_tileset(
    State(state): State<AppStateRef>,
    Path((id, tms)): Path<(String, String)>,
    headers: HeaderMap,
    peer: Peer,
) -> Result<Json<Value>, AppError> {
    check_tms(&tms)?;
    Ok(Json(tileset(
        &state,
        &base(&state, &headers, peer),
        Some(&id),
    )?))
}

fn check_tms(tms: &str) -> Result<(), AppError> {
    if tms == TMS {
        Ok(())
    } else {
        Err(AppError::not_found(format!(
            "no tile matrix set '{tms}' (only {TMS})"
        )))
    }
}

/// Parses `{tileMatrix}/{tileRow}/{tileCol}` into XYZ z/x/y.
fn zxy(m: &str, row: &str, col: &str) -> Result<(u8, u32, u32), AppError> {
    let bad = || {
        AppError::bad_request(format!(
            "tile {m}/{row}/{col}: tileMatrix 0–{MAX_ZOOM}, tileRow and tileCol below 2^tileMatrix"
        ))
    };
    let z: u8 = m.parse().map_err(|_| bad())?;
    let y: u32 = row.parse().map_err(|_| bad())?;
    let x: u32 = col.parse().map_err(|_| bad())?;
    if z > MAX_ZOOM || u64::from(x) >= (1u64 << z) || u64::from(y) >= (1u64 << z) {
        return Err(bad());
    }
    Ok((z, x, y))
}

/// `GET /ogc/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}`: every layer.
pub(in crate::server) async fn dataset_tile(
    State(state): State<AppStateRef>,
    Extension(limits): Extension<Arc<Limits>>,
    Path((tms, m, row, col)): Path<(String, String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    check_tms(&tms)?;
    let t = zxy(&m, &row, &col)?;
    super::tiles::serve_tile(&state, &limits, layers_of(None)?, t, &headers).await
}

/// `GET /ogc/collections/{id}/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}`
pub(in crate::server) async fn collection_tile(
    State(state): State<AppStateRef>,
    Extension(limits): Extension<Arc<Limits>>,
    Path((id, tms, m, row, col)): Path<(String, String, String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    check_tms(&tms)?;
    let t = zxy(&m, &row, &col)?;
    super::tiles::serve_tile(&state, &limits, layers_of(Some(&id))?, t, &headers).await
}
