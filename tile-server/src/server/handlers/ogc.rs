//! OGC API – Features, Part 1: Core (OGC 17-069r4), under `/ogc`: the landing page, the
//! conformance classes (core, GeoJSON, OpenAPI 3.0), the OpenAPI document, and every input
//! and result layer as a collection whose items are paged (`limit`, `offset` in the `next`
//! and `prev` links), filtered by `bbox` (CRS84) and, for the hidden hazards, by `datetime`
//! (the day each was found). Features are what the GeoJSON export writes (ids, properties,
//! the field policy). QGIS ("WFS / OGC API - Features") and GDAL (`OAPIF:`) read it.
//!
//! Every feature of a page carries every field of its layer, empty ones as null: clients
//! set up a layer's table from its first page (`server/ogc_fields.rs`).
//!
//! Pages are positions in the served generation: an edit between two pages can move a
//! feature from one page to another. `numberMatched` is exact.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use riskmap_core::export::{self, Days, FieldKind, FieldSpec, Filter};
use riskmap_core::model::{Day, LayerKind};
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppStateRef;
use crate::server::error::AppError;
use crate::server::layers::geojson_layer;
use crate::server::proxy::{Peer, origin};
use crate::server::state::field_policy;

const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
/// Items per page without `limit`.
const DEFAULT_LIMIT: u64 = 100;
/// The most items a page holds (a larger `limit` is cut to it, as the standard allows).
pub(in crate::server) const MAX_LIMIT: u64 = 10_000;

/// The conformance classes implemented.
const CONFORMANCE: [&str; 3] = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
];

fn base(state: &AppStateRef, headers: &HeaderMap, peer: Peer) -> String {
    format!(
        "{}/ogc",
        origin(headers, peer, &state.config.trusted_proxies)
    )
}

fn link(href: String, rel: &str, ty: &str, title: &str) -> Value {
    json!({"href": href, "rel": rel, "type": ty, "title": title})
}

/// `f=json` is the one encoding; anything else is refused.
#[derive(Debug, Deserialize, Default)]
pub(in crate::server) struct Format {
    f: Option<String>,
}

fn check_format(f: Option<&str>) -> Result<(), AppError> {
    match f {
        None | Some("json" | "geojson" | "application/json" | "application/geo+json") => Ok(()),
        Some(other) => Err(AppError::bad_request(format!(
            "f={other}: this server answers JSON only (f=json)"
        ))),
    }
}

/// `GET /ogc`
pub(in crate::server) async fn landing(
    State(state): State<AppStateRef>,
    Query(q): Query<Format>,
    headers: HeaderMap,
    peer: Peer,
) -> Result<Json<Value>, AppError> {
    check_format(q.f.as_deref())?;
    let b = base(&state, &headers, peer);
    Ok(Json(json!({
        "title": "RiskMap 安全风险分布图",
        "description": "安全生产风险一张图：企业、重大危险源、燃气管道、自建房、防护目标、隐患与分析结果（OGC API – Features）",
        "links": [
            link(b.clone(), "self", "application/json", "this document"),
            link(format!("{b}/api"), "service-desc", "application/vnd.oai.openapi+json;version=3.0", "the API definition"),
            link(format!("{b}/conformance"), "conformance", "application/json", "conformance classes"),
            link(format!("{b}/collections"), "data", "application/json", "the layers"),
            link(format!("{b}/tiles"), super::ogc_tiles::REL_TILESETS_VECTOR, "application/json", "the map's vector tiles (OGC API – Tiles)"),
            link(format!("{b}/tileMatrixSets"), super::ogc_tiles::REL_TILING_SCHEMES, "application/json", "tile matrix sets"),
        ],
    })))
}

/// `GET /ogc/conformance`
pub(in crate::server) async fn conformance(
    Query(q): Query<Format>,
) -> Result<Json<Value>, AppError> {
    check_format(q.f.as_deref())?;
    let all: Vec<&str> = CONFORMANCE
        .iter()
        .chain(super::ogc_tiles::CONFORMANCE.iter())
        .copied()
        .collect();
    Ok(Json(json!({ "conformsTo": all })))
}

/// A collection's description.
fn collection_json(state: &AppStateRef, b: &str, kind: LayerKind) -> Value {
    let snap = state.snapshot();
    let ds = snap.dataset();
    let bbox = ds
        .bounds()
        .map(|r| [r.min().x, r.min().y, r.max().x, r.max().y])
        .unwrap_or([-180.0, -90.0, 180.0, 90.0]);
    let mut extent = json!({"spatial": {"bbox": [bbox], "crs": CRS84}});
    if export::has_date(kind) {
        let days: Vec<Day> = ds
            .hidden_hazards
            .features()
            .iter()
            .filter_map(|h| h.props.discovered)
            .collect();
        let (lo, hi) = (days.iter().min(), days.iter().max());
        extent["temporal"] = json!({
            "interval": [[lo.map(|d| format!("{d}T00:00:00Z")), hi.map(|d| format!("{d}T23:59:59Z"))]],
            "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
        });
    }
    let id = kind.name();
    let mut links = vec![
        link(
            format!("{b}/collections/{id}"),
            "self",
            "application/json",
            kind.name_zh(),
        ),
        link(
            format!("{b}/collections/{id}/items"),
            "items",
            "application/geo+json",
            "the features",
        ),
        link(
            format!("{b}/collections/{id}/schema"),
            "describedby",
            "application/schema+json",
            "the fields of the features",
        ),
        // GDAL up to 3.6 looks for this spelling.
        link(
            format!("{b}/collections/{id}/schema"),
            "describedBy",
            "application/schema+json",
            "the fields of the features",
        ),
    ];
    if riskmap_core::tileset::tile_layer(id).is_some() {
        links.push(link(
            format!("{b}/collections/{id}/tiles"),
            super::ogc_tiles::REL_TILESETS_VECTOR,
            "application/json",
            "vector tiles of the layer",
        ));
    }
    json!({
        "id": id,
        "title": kind.name_zh(),
        "description": format!("{}（{id}）：{} 个要素", kind.name_zh(), export::layer_len(kind, ds, snap.analysis())),
        "itemType": "feature",
        "extent": extent,
        "crs": [CRS84],
        "links": links,
    })
}

/// `GET /ogc/collections`
pub(in crate::server) async fn collections(
    State(state): State<AppStateRef>,
    Query(q): Query<Format>,
    headers: HeaderMap,
    peer: Peer,
) -> Result<Json<Value>, AppError> {
    check_format(q.f.as_deref())?;
    let b = base(&state, &headers, peer);
    let cols: Vec<Value> = LayerKind::all()
        .map(|k| collection_json(&state, &b, k))
        .collect();
    Ok(Json(json!({
        "links": [link(format!("{b}/collections"), "self", "application/json", "the layers")],
        "collections": cols,
    })))
}

/// `GET /ogc/collections/{id}`
pub(in crate::server) async fn collection(
    State(state): State<AppStateRef>,
    Path(id): Path<String>,
    Query(q): Query<Format>,
    headers: HeaderMap,
    peer: Peer,
) -> Result<Json<Value>, AppError> {
    check_format(q.f.as_deref())?;
    let kind = geojson_layer(&id)?;
    Ok(Json(collection_json(
        &state,
        &base(&state, &headers, peer),
        kind,
    )))
}

/// `GET /ogc/collections/{id}/schema`: the JSON Schema of the collection's features, their
/// fields typed from the values the layer holds (GDAL sets up a layer's fields from it).
pub(in crate::server) async fn schema(
    State(state): State<AppStateRef>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let kind = geojson_layer(&id)?;
    let snap = state.snapshot();
    let pol = field_policy(&state.config);
    let st = state.clone();
    let fields = tokio::task::spawn_blocking(move || {
        st.ogc_fields.get(snap.generation, kind, || {
            export::fields_of(kind, snap.dataset(), snap.analysis(), &pol)
        })
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?;
    let props: serde_json::Map<String, Value> = fields
        .iter()
        .map(|f| {
            let t = match f.kind {
                Some(FieldKind::Integer) => json!({"type": "integer"}),
                Some(FieldKind::Number) => json!({"type": "number"}),
                Some(FieldKind::Boolean) => json!({"type": "boolean"}),
                Some(FieldKind::Date) => json!({"type": "string", "format": "date"}),
                Some(FieldKind::TextList) => json!({"type": "array", "items": {"type": "string"}}),
                Some(FieldKind::Json) => json!({"type": "object"}),
                Some(FieldKind::Text) | None => json!({"type": "string"}),
            };
            (f.name.clone(), t)
        })
        .collect();
    let doc = json!({
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "title": kind.name_zh(),
        "type": "object",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"type": "string"},
            "geometry": {"type": "object"},
            "properties": {"type": "object", "properties": props},
        },
    });
    Ok((
        [(header::CONTENT_TYPE, "application/schema+json")],
        Json(doc),
    )
        .into_response())
}

/// The query of `items`.
#[derive(Debug, Deserialize, Default)]
pub(in crate::server) struct ItemsQuery {
    limit: Option<String>,
    offset: Option<String>,
    bbox: Option<String>,
    #[serde(rename = "bbox-crs")]
    bbox_crs: Option<String>,
    datetime: Option<String>,
    f: Option<String>,
}

fn number(name: &str, v: Option<&str>) -> Result<Option<u64>, AppError> {
    v.map(|s| {
        s.trim().parse::<u64>().map_err(|_| {
            AppError::bad_request(format!("{name}={s}: expected a whole number of 0 or more"))
        })
    })
    .transpose()
}

/// A bbox of 4 numbers (or 6, with heights, which are ignored), CRS84.
fn parse_bbox(s: &str) -> Result<geo::Rect<f64>, AppError> {
    let v: Vec<f64> = s
        .split(',')
        .map(|p| p.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| AppError::bad_request(format!("bbox={s}: expected minx,miny,maxx,maxy")))?;
    let (x0, y0, x1, y1) = match v.as_slice() {
        [a, b, c, d] => (*a, *b, *c, *d),
        [a, b, _, c, d, _] => (*a, *b, *c, *d),
        _ => {
            return Err(AppError::bad_request(format!(
                "bbox={s}: expected 4 or 6 numbers"
            )));
        }
    };
    if ![x0, y0, x1, y1].iter().all(|v| v.is_finite()) || y0 > y1 || y0 < -90.0 || y1 > 90.0 {
        return Err(AppError::bad_request(format!(
            "bbox={s}: longitudes and latitudes in degrees, south below north"
        )));
    }
    if x0 > x1 {
        return Err(AppError::bad_request(format!(
            "bbox={s}: a box across the antimeridian is not supported"
        )));
    }
    Ok(geo::Rect::new((x0, y0), (x1, y1)))
}

/// `datetime`: an instant or an interval (`a/b`, `../b`, `a/..`), to the day.
fn parse_datetime(s: &str) -> Result<Days, AppError> {
    let day = |t: &str| -> Result<Option<Day>, AppError> {
        let t = t.trim();
        if t.is_empty() || t == ".." {
            return Ok(None);
        }
        t.get(..10).and_then(Day::parse_iso).map(Some).ok_or_else(|| {
            AppError::bad_request(format!(
                "datetime={s}: expected an RFC 3339 date or date-time, or an interval a/b with .. for an open end"
            ))
        })
    };
    match s.split_once('/') {
        Some((a, b)) => Ok(Days {
            from: day(a)?,
            to: day(b)?,
        }),
        None => {
            let d = day(s)?;
            Ok(Days { from: d, to: d })
        }
    }
}

/// `GET /ogc/collections/{id}/items`
pub(in crate::server) async fn items(
    State(state): State<AppStateRef>,
    Path(id): Path<String>,
    Query(q): Query<ItemsQuery>,
    headers: HeaderMap,
    peer: Peer,
) -> Result<Response, AppError> {
    check_format(q.f.as_deref())?;
    let kind = geojson_layer(&id)?;
    let limit = number("limit", q.limit.as_deref())?
        .unwrap_or(DEFAULT_LIMIT)
        .clamp(1, MAX_LIMIT);
    let offset = number("offset", q.offset.as_deref())?.unwrap_or(0);
    if let Some(c) = q.bbox_crs.as_deref().filter(|c| *c != CRS84) {
        return Err(AppError::bad_request(format!(
            "bbox-crs={c}: only {CRS84} is supported"
        )));
    }
    let filter = Filter {
        bbox: q.bbox.as_deref().map(parse_bbox).transpose()?,
        ..Filter::default()
    };
    let days = q.datetime.as_deref().map(parse_datetime).transpose()?;
    let snap = state.snapshot();
    let pol = field_policy(&state.config);
    let st = state.clone();
    let page = tokio::task::spawn_blocking(move || {
        let (ds, a) = (snap.dataset(), snap.analysis());
        let fields = st.ogc_fields.get(snap.generation, kind, || {
            export::fields_of(kind, ds, a, &pol)
        });
        let mut page = export::page(kind, ds, a, &filter, days, offset, limit, &pol);
        for f in &mut page.features {
            every_field(f, &fields);
        }
        page
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?;
    let b = base(&state, &headers, peer);
    let returned = page.features.len() as u64;
    // The same query, another offset.
    let at = |off: u64| {
        let mut qs = vec![format!("limit={limit}"), format!("offset={off}")];
        for (k, v) in [("bbox", &q.bbox), ("datetime", &q.datetime)] {
            if let Some(v) = v {
                qs.push(format!("{k}={}", encode(v)));
            }
        }
        format!("{b}/collections/{id}/items?{}", qs.join("&"))
    };
    let mut links = vec![
        link(at(offset), "self", "application/geo+json", "this page"),
        link(
            format!("{b}/collections/{id}"),
            "collection",
            "application/json",
            kind.name_zh(),
        ),
    ];
    if offset + returned < page.matched {
        links.push(link(
            at(offset + returned),
            "next",
            "application/geo+json",
            "the next page",
        ));
    }
    if offset > 0 {
        links.push(link(
            at(offset.saturating_sub(limit)),
            "prev",
            "application/geo+json",
            "the previous page",
        ));
    }
    let body = json!({
        "type": "FeatureCollection",
        "numberMatched": page.matched,
        "numberReturned": returned,
        "timeStamp": crate::commands::output_now(),
        "links": links,
        "features": page.features,
    });
    Ok(([(header::CONTENT_TYPE, "application/geo+json")], Json(body)).into_response())
}

/// Gives a feature every field of its layer, in the layer's order (empty ones as null).
fn every_field(f: &mut Value, fields: &[FieldSpec]) {
    let Some(p) = f.get_mut("properties").and_then(Value::as_object_mut) else {
        return;
    };
    let mut all = serde_json::Map::with_capacity(fields.len());
    for k in fields {
        all.insert(k.name.clone(), p.remove(&k.name).unwrap_or(Value::Null));
    }
    // Anything the list does not know (it is of this generation, so nothing) last.
    all.append(p);
    *p = all;
}

/// Percent-encodes a query value (what a link carries back).
fn encode(v: &str) -> String {
    v.bytes()
        .map(|c| match c {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b',' | b':' => {
                (c as char).to_string()
            }
            _ => format!("%{c:02X}"),
        })
        .collect()
}

/// `GET /ogc/collections/{id}/items/{featureId}`
pub(in crate::server) async fn item(
    State(state): State<AppStateRef>,
    Path((id, fid)): Path<(String, String)>,
    Query(q): Query<Format>,
    headers: HeaderMap,
    peer: Peer,
) -> Result<Response, AppError> {
    check_format(q.f.as_deref())?;
    let kind = geojson_layer(&id)?;
    let snap = state.snapshot();
    let pol = field_policy(&state.config);
    let key = fid.clone();
    let found = tokio::task::spawn_blocking(move || {
        export::find(kind, snap.dataset(), snap.analysis(), &key, &pol)
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?;
    let mut f = found
        .ok_or_else(|| AppError::not_found(format!("no feature '{fid}' in collection '{id}'")))?;
    let b = base(&state, &headers, peer);
    f["links"] = json!([
        link(
            format!("{b}/collections/{id}/items/{}", encode(&fid)),
            "self",
            "application/geo+json",
            "this feature"
        ),
        link(
            format!("{b}/collections/{id}"),
            "collection",
            "application/json",
            kind.name_zh()
        ),
    ]);
    Ok(([(header::CONTENT_TYPE, "application/geo+json")], Json(f)).into_response())
}

/// `GET /ogc/api`: the OpenAPI 3.0 definition of the above.
pub(in crate::server) async fn api(
    State(state): State<AppStateRef>,
    headers: HeaderMap,
    peer: Peer,
) -> Response {
    let b = base(&state, &headers, peer);
    let ids: Vec<&str> = LayerKind::all().map(LayerKind::name).collect();
    let ok = |desc: &str, ty: &str| json!({"200": {"description": desc, "content": {ty: {"schema": {"type": "object"}}}}, "400": {"description": "bad request"}, "404": {"description": "no such resource"}});
    let f = json!({"name": "f", "in": "query", "required": false, "schema": {"type": "string", "enum": ["json"]}});
    let collection_id = json!({"name": "collectionId", "in": "path", "required": true, "schema": {"type": "string", "enum": ids}});
    let doc = json!({
        "openapi": "3.0.3",
        "info": {"title": "RiskMap OGC API – Features", "version": env!("CARGO_PKG_VERSION"), "description": "安全生产风险一张图的要素服务"},
        "servers": [{"url": b}],
        "paths": {
            "/": {"get": {"summary": "landing page", "operationId": "getLandingPage", "parameters": [f], "responses": ok("landing page", "application/json")}},
            "/conformance": {"get": {"summary": "conformance classes", "operationId": "getConformanceDeclaration", "parameters": [f], "responses": ok("conformance", "application/json")}},
            "/collections": {"get": {"summary": "the layers", "operationId": "getCollections", "parameters": [f], "responses": ok("collections", "application/json")}},
            "/collections/{collectionId}": {"get": {"summary": "a layer", "operationId": "describeCollection", "parameters": [collection_id, f], "responses": ok("collection", "application/json")}},
            "/collections/{collectionId}/items": {"get": {
                "summary": "a layer's features, a page at a time",
                "operationId": "getFeatures",
                "parameters": [
                    collection_id,
                    {"name": "limit", "in": "query", "required": false, "style": "form", "explode": false, "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}},
                    {"name": "offset", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 0, "default": 0}},
                    {"name": "bbox", "in": "query", "required": false, "style": "form", "explode": false, "schema": {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}}},
                    {"name": "datetime", "in": "query", "required": false, "style": "form", "explode": false, "schema": {"type": "string"}, "description": "hidden_hazards: the day each was found; other layers have no time"},
                    f,
                ],
                "responses": ok("features", "application/geo+json"),
            }},
            "/collections/{collectionId}/items/{featureId}": {"get": {
                "summary": "one feature",
                "operationId": "getFeature",
                "parameters": [collection_id, {"name": "featureId", "in": "path", "required": true, "schema": {"type": "string"}}, f],
                "responses": ok("feature", "application/geo+json"),
            }},
        },
    });
    (
        [(
            header::CONTENT_TYPE,
            "application/vnd.oai.openapi+json;version=3.0",
        )],
        Json(doc),
    )
        .into_response()
}
