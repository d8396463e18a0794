//! HTTP routes. `router(state)` is the whole application, testable without a socket.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, MatchedPath, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use geo::{CoordsIter, Geometry, Rect, Validation};
use riskmap_core::analysis::site_check::{SiteUse, check_site};
use riskmap_core::export::{self, FeatureWriter, Filter};
use riskmap_core::model::LayerKind;
use riskmap_core::model::{RiskLevel, TargetKind};
use riskmap_core::tileset::{MAX_ZOOM, TileSetError, geojson_layer, tile_layer};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use tower_http::compression::Predicate;

use super::assets;
use super::cache::{CachedTile, TileKey};
use super::state::AppState;

type AppStateRef = Arc<AppState>;

/// An error response: a status and a JSON body `{"error": message, "status": code}`.
#[derive(Debug)]
pub struct AppError {
    status: StatusCode,
    message: String,
}

impl AppError {
    fn new(status: StatusCode, message: impl Into<String>) -> AppError {
        AppError {
            status,
            message: message.into(),
        }
    }
    fn bad_request(m: impl Into<String>) -> AppError {
        AppError::new(StatusCode::BAD_REQUEST, m)
    }
    fn not_found(m: impl Into<String>) -> AppError {
        AppError::new(StatusCode::NOT_FOUND, m)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({"error": self.message, "status": self.status.as_u16()})),
        )
            .into_response()
    }
}

/// The application.
pub fn router(state: AppStateRef) -> Router {
    let body_limit = state.config.max_body_bytes;
    let mut app = Router::new()
        .route("/", get(assets::index))
        .route("/assets/{*path}", get(assets::asset))
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .route("/catalog", get(catalog))
        .route("/tiles/{file}", get(tilejson))
        .route("/tiles/{layers}/{z}/{x}/{y}", get(tile))
        .route("/styles/{file}", get(style))
        .route("/api/features/{file}", get(features))
        .route("/api/summary", get(summary))
        .route("/api/areas", get(areas))
        .route("/api/validation", get(validation))
        .route("/api/search", get(search))
        .route(
            "/api/site-check",
            post(site_check).layer(DefaultBodyLimit::max(body_limit)),
        )
        .route("/admin/reload", post(admin_reload))
        .route("/bench/fixed", get(bench_fixed))
        .fallback(|| async { AppError::not_found("no such route") })
        .layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            count_requests,
        ))
        .with_state(Arc::clone(&state));
    app = app.layer(
        tower_http::compression::CompressionLayer::new()
            .gzip(true)
            .compress_when(
                tower_http::compression::predicate::SizeAbove::new(1024).and(
                    tower_http::compression::predicate::NotForContentType::new(
                        "application/vnd.mapbox-vector-tile",
                    ),
                ),
            ),
    );
    if !state.config.cors_origins.is_empty() {
        let origins: Vec<HeaderValue> = state
            .config
            .cors_origins
            .iter()
            .filter_map(|o| HeaderValue::from_str(o).ok())
            .collect();
        app = app.layer(
            tower_http::cors::CorsLayer::new()
                .allow_origin(origins)
                .allow_methods([axum::http::Method::GET, axum::http::Method::POST])
                .allow_headers([header::CONTENT_TYPE]),
        );
    }
    app
}

async fn count_requests(State(state): State<AppStateRef>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let resp = next.run(req).await;
    state.metrics.request(&route, resp.status().as_u16());
    resp
}

/// The address clients reach the server at, for the URLs in TileJSON, styles and the
/// catalog: the Host header, or X-Forwarded-Host and X-Forwarded-Proto when a reverse
/// proxy (often terminating TLS on a government intranet) sets them.
fn origin(headers: &HeaderMap) -> String {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|h| h.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let host = get("x-forwarded-host")
        .or_else(|| get(header::HOST.as_str()))
        .unwrap_or("127.0.0.1:8080");
    let proto = match get("x-forwarded-proto") {
        Some("https") => "https",
        _ => "http",
    };
    format!("{proto}://{host}")
}

async fn health(State(state): State<AppStateRef>) -> Json<Value> {
    let s = state.snapshot();
    let last = state.last_reload.lock().ok().and_then(|l| l.clone());
    Json(json!({
        "status": "ok",
        "generation": s.generation,
        "loaded_at": s.loaded_at,
        "load_seconds": s.load_seconds,
        "features": s.dataset.counts().iter().map(|(k, n)| (k.name().to_string(), json!(n))).collect::<Map<_, _>>(),
        "validation": {"skipped": s.report.skipped_count(), "repaired": s.report.repaired_count(), "warnings": s.report.warning_count()},
        "last_reload": last,
    }))
}

async fn metrics(State(state): State<AppStateRef>) -> Response {
    let s = state.snapshot();
    let (bytes, entries) = state
        .cache
        .lock()
        .map(|c| (c.bytes(), c.len()))
        .unwrap_or((0, 0));
    let mut gauges: Vec<(&str, &str, String)> = vec![
        (
            "tile_cache_bytes",
            "Bytes held by the tile cache.",
            bytes.to_string(),
        ),
        (
            "tile_cache_entries",
            "Tiles held by the tile cache.",
            entries.to_string(),
        ),
        (
            "data_generation",
            "Generation of the data being served.",
            s.generation.to_string(),
        ),
    ];
    let names: Vec<String> = s
        .dataset
        .counts()
        .iter()
        .map(|(k, _)| format!("dataset_features{{layer=\"{}\"}}", k.name()))
        .collect();
    for ((_, n), name) in s.dataset.counts().iter().zip(&names) {
        gauges.push((name.as_str(), "Features loaded per layer.", n.to_string()));
    }
    let text = state.metrics.render_text(&gauges);
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

async fn catalog(State(state): State<AppStateRef>, headers: HeaderMap) -> Json<Value> {
    let s = state.snapshot();
    let o = origin(&headers);
    let bounds = s
        .dataset
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
            "count": tile_layer(l.name).map_or(0, |k| export::layer_len(k, &s.dataset, &s.analysis)),
            "tilejson": format!("{o}/tiles/{}.json", l.name),
            "geojson": format!("{o}/api/features/{}.geojson", tile_layer(l.name).map_or(l.name, |k| geojson_layer(k).name())),
        })).collect::<Vec<_>>(),
        "areas": s.dataset.areas.features().iter().map(|a| json!({"id": a.id, "name": a.props.name})).collect::<Vec<_>>(),
        "styles": assets::STYLE_NAMES.iter().map(|n| format!("{o}/styles/{n}.json")).collect::<Vec<_>>(),
        "basemap": state.config.basemap_url,
    }))
}

fn parse_layers(s: &super::state::Snapshot, spec: &str) -> Result<Vec<LayerKind>, AppError> {
    let names: Vec<&str> = spec.split(',').map(str::trim).collect();
    if names.iter().any(|n| n.is_empty()) {
        return Err(AppError::bad_request(format!("bad layer list '{spec}'")));
    }
    names
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
        .collect()
}

async fn tilejson(
    State(state): State<AppStateRef>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, AppError> {
    let spec = file.strip_suffix(".json").ok_or_else(|| {
        AppError::not_found(format!(
            "no such file '{file}': TileJSON is at /tiles/{{layer}}.json"
        ))
    })?;
    let s = state.snapshot();
    let layers = parse_layers(&s, spec)?;
    let o = origin(&headers);
    let b = s
        .dataset
        .bounds()
        .map_or([-180.0, -85.0511, 180.0, 85.0511], |b| {
            [b.min().x, b.min().y, b.max().x, b.max().y]
        });
    let vector_layers: Vec<Value> = layers
        .iter()
        .filter_map(|l| s.tiles.layers().iter().find(|i| i.name == l.name()))
        .map(|i| {
            let mut fields: Map<String, Value> = i.fields.iter().map(|f| (f.name.to_string(), json!(f.kind))).collect();
            if i.detail_zoom.is_some() {
                fields.insert("count".into(), json!("Number"));
                fields.insert("cluster".into(), json!("Boolean"));
            }
            json!({"id": i.name, "description": i.title_zh, "minzoom": i.minzoom, "maxzoom": i.maxzoom, "fields": fields})
        })
        .collect();
    Ok(Json(json!({
        "tilejson": "3.0.0",
        "name": spec,
        "description": "RiskMap 安全风险分布图",
        "version": format!("1.0.{}", s.generation),
        "attribution": "RiskMap",
        "scheme": "xyz",
        "tiles": [format!("{o}/tiles/{spec}/{{z}}/{{x}}/{{y}}.mvt")],
        "minzoom": 0,
        "maxzoom": MAX_ZOOM,
        "bounds": b,
        "center": [(b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0, 10],
        "vector_layers": vector_layers,
    })))
}

fn etag_of(bytes: &[u8], generation: u64) -> Arc<str> {
    let mut h = DefaultHasher::new();
    bytes.hash(&mut h);
    Arc::from(format!("\"{:016x}-{generation}\"", h.finish()).as_str())
}

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            v.split(',').any(|e| {
                let mut parts = e.split(';');
                let name = parts.next().unwrap_or("").trim();
                let q_zero =
                    parts.any(|p| matches!(p.trim(), "q=0" | "q=0.0" | "q=0.00" | "q=0.000"));
                (name == "gzip" || name == "*") && !q_zero
            })
        })
}

async fn tile(
    State(state): State<AppStateRef>,
    Path((layers, z, x, yfile)): Path<(String, String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let y = yfile
        .strip_suffix(".mvt")
        .or_else(|| yfile.strip_suffix(".pbf"))
        .ok_or_else(|| AppError::not_found(format!("tiles end in .mvt, not '{yfile}'")))?;
    let bad = || {
        AppError::bad_request(format!(
            "bad tile {z}/{x}/{yfile}: z must be 0–{MAX_ZOOM} and x, y whole numbers below 2^z"
        ))
    };
    let z: u8 = z.parse().map_err(|_| bad())?;
    let x: u32 = x.parse().map_err(|_| bad())?;
    let y: u32 = y.parse().map_err(|_| bad())?;
    if z > MAX_ZOOM || u64::from(x) >= (1u64 << z) || u64::from(y) >= (1u64 << z) {
        return Err(bad());
    }
    let snap = state.snapshot();
    let names = parse_layers(&snap, &layers)?;
    let key: TileKey = (
        snap.generation,
        Arc::from(
            names
                .iter()
                .map(|k| k.name())
                .collect::<Vec<_>>()
                .join(",")
                .as_str(),
        ),
        z,
        x,
        y,
    );
    let cached = state.cache.lock().ok().and_then(|mut c| c.get(&key));
    let t = match cached {
        Some(t) => {
            state.metrics.cache_hits.fetch_add(1, Ordering::Relaxed);
            t
        }
        None => {
            state.metrics.cache_misses.fetch_add(1, Ordering::Relaxed);
            let snap2 = Arc::clone(&snap);
            let names2 = names.clone();
            let t0 = Instant::now();
            let rendered = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, TileSetError> {
                let raw = snap2
                    .tiles
                    .render(&snap2.dataset, &snap2.analysis, &names2, z, x, y)?;
                if raw.is_empty() {
                    return Ok(raw);
                }
                Ok(riskmap_core::tiles::gzip(&raw)?)
            })
            .await
            .map_err(|e| {
                AppError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("tile task failed: {e}"),
                )
            })?;
            let gz = match rendered {
                Ok(b) => b,
                Err(TileSetError::UnknownLayer(l)) => {
                    return Err(AppError::not_found(format!("unknown layer '{l}'")));
                }
                Err(TileSetError::OutOfRange { .. }) => return Err(bad()),
                Err(e) => {
                    return Err(AppError::new(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        e.to_string(),
                    ));
                }
            };
            state.metrics.render(t0.elapsed().as_secs_f64());
            let t = CachedTile {
                etag: etag_of(&gz, snap.generation),
                gz: Bytes::from(gz),
            };
            if let Ok(mut c) = state.cache.lock() {
                c.insert(key, t.clone());
            }
            t
        }
    };
    let cache_control = format!("public, max-age={}", state.config.tile_max_age_s);
    if t.gz.is_empty() {
        return Ok((
            StatusCode::NO_CONTENT,
            [(header::CACHE_CONTROL, cache_control)],
        )
            .into_response());
    }
    let gzip = accepts_gzip(&headers);
    // The ETag names the representation, so the gzipped and plain bodies differ.
    let etag = if gzip {
        t.etag.to_string()
    } else {
        format!("{}-identity\"", t.etag.trim_end_matches('"'))
    };
    let not_modified = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.trim() == etag || e.trim() == "*"));
    let mut resp = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else if gzip {
        let mut r = Body::from(t.gz.clone()).into_response();
        r.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        r
    } else {
        let mut raw = Vec::new();
        flate2::read::GzDecoder::new(&t.gz[..])
            .read_to_end(&mut raw)
            .map_err(|e| {
                AppError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("decompressing a cached tile: {e}"),
                )
            })?;
        Body::from(raw).into_response()
    };
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/vnd.mapbox-vector-tile"),
    );
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&cache_control) {
        h.insert(header::CACHE_CONTROL, v);
    }
    Ok(resp)
}

async fn style(
    State(state): State<AppStateRef>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let name = file
        .strip_suffix(".json")
        .ok_or_else(|| AppError::not_found(format!("no style '{file}'")))?;
    let text = assets::style(name).ok_or_else(|| {
        AppError::not_found(format!(
            "no style '{name}' (known: {})",
            assets::STYLE_NAMES.join(", ")
        ))
    })?;
    let mut style: Value = serde_json::from_str(&text.replace("{origin}", &origin(&headers)))
        .map_err(|e| {
            AppError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("style {name}: {e}"),
            )
        })?;
    if let Some(url) = &state.config.basemap_url {
        // The optional internal basemap goes under everything else.
        style["sources"]["basemap"] = json!({
            "type": "raster", "tiles": [url], "tileSize": 256,
            "attribution": state.config.basemap_attribution.clone().unwrap_or_default(),
        });
        if let Some(layers) = style["layers"].as_array_mut() {
            let at = layers
                .iter()
                .position(|l| l["type"] != "background")
                .unwrap_or(layers.len());
            layers.insert(
                at,
                json!({"id": "basemap", "type": "raster", "source": "basemap"}),
            );
        }
    }
    Ok(([(header::CACHE_CONTROL, "no-cache")], Json(style)).into_response())
}

#[derive(Debug, Deserialize, Default)]
struct FeatureQuery {
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

async fn features(
    State(state): State<AppStateRef>,
    Path(file): Path<String>,
    Query(q): Query<FeatureQuery>,
) -> Result<Response, AppError> {
    let name = file.strip_suffix(".geojson").ok_or_else(|| {
        AppError::not_found(format!(
            "no such file '{file}': use /api/features/{{layer}}.geojson"
        ))
    })?;
    let kind = LayerKind::from_name(name).ok_or_else(|| {
        AppError::not_found(format!(
            "unknown layer '{name}' (known: {})",
            LayerKind::all()
                .map(LayerKind::name)
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })?;
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
        filter = filter
            .with_area_name(&snap.dataset, a)
            .map_err(|e| AppError::not_found(e.to_string()))?;
    }
    // Stop writing as soon as the limit is passed, rather than building a huge body only
    // to refuse it.
    filter.max_features = Some(state.config.max_geojson_features as u64);
    let pol = super::state::field_policy(&state.config);
    let body = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, AppError> {
        let mut out = Vec::new();
        match export::write_named(&mut out, kind, &snap.dataset, &snap.analysis, &filter, &pol) {
            Ok(_) => Ok(out),
            Err(e @ export::ExportError::TooMany { .. }) => Err(AppError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                e.to_string(),
            )),
            Err(e) => Err(AppError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                e.to_string(),
            )),
        }
    })
    .await
    .map_err(|e| AppError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))??;
    Ok(([(header::CONTENT_TYPE, "application/geo+json")], body).into_response())
}

async fn summary(State(state): State<AppStateRef>) -> Json<Value> {
    Json(state.snapshot().summary.clone())
}

async fn areas(State(state): State<AppStateRef>) -> Json<Value> {
    Json(serde_json::to_value(&state.snapshot().analysis.area_summaries).unwrap_or(Value::Null))
}

async fn validation(State(state): State<AppStateRef>) -> Json<Value> {
    Json(state.snapshot().report.to_json())
}

#[derive(Debug, Deserialize)]
struct SearchQuery {
    q: String,
    limit: Option<usize>,
}

async fn search(
    State(state): State<AppStateRef>,
    Query(q): Query<SearchQuery>,
) -> Result<Json<Value>, AppError> {
    let needle = q.q.trim().to_lowercase();
    if needle.is_empty() {
        return Err(AppError::bad_request("q must not be empty"));
    }
    let limit = q.limit.unwrap_or(20).min(100);
    let s = state.snapshot();
    let query = q.q.clone();
    // A scan of up to a million addresses: off the async workers.
    let hits = tokio::task::spawn_blocking(move || search_names(&s, &needle, limit))
        .await
        .map_err(|e| AppError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok(Json(json!({"query": query, "results": hits})))
}

fn search_names(s: &super::state::Snapshot, needle: &str, limit: usize) -> Vec<Value> {
    let mut hits: Vec<Value> = Vec::new();
    let mut add = |layer: &str, id: &str, name: &str, g: &Geometry<f64>| {
        if hits.len() < limit
            && (name.to_lowercase().contains(needle) || id.to_lowercase() == needle)
        {
            let b = geo::BoundingRect::bounding_rect(g)
                .map(|b| [b.min().x, b.min().y, b.max().x, b.max().y]);
            hits.push(json!({"layer": layer, "id": id, "name": name, "bbox": b}));
        }
    };
    for f in s.dataset.areas.features() {
        add("areas", &f.id, &f.props.name, &f.geometry);
    }
    for f in s.dataset.enterprises.features() {
        add("enterprises", &f.id, &f.props.name, &f.geometry);
    }
    for f in s.dataset.hazard_sources.features() {
        add("hazard_sources", &f.id, &f.props.name, &f.geometry);
    }
    for f in s.dataset.protection_targets.features() {
        add("protection_targets", &f.id, &f.props.name, &f.geometry);
    }
    for f in s.dataset.gas_pipelines.features() {
        add("gas_pipelines", &f.id, &f.props.name, &f.geometry);
    }
    for f in s.dataset.houses.features() {
        add("houses", &f.id, &f.props.address, &f.geometry);
    }
    hits
}

/// Parses a site-check request: a GeoJSON Feature (or a FeatureCollection of one) whose
/// geometry is a Polygon or MultiPolygon in lon/lat, with `use` (and optionally
/// `population`, `households`) in its properties.
type ParsedSite = (Geometry<f64>, SiteUse, Map<String, Value>);

fn parse_site(body: &[u8], max_vertices: usize) -> Result<ParsedSite, AppError> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| AppError::bad_request(format!("request body is not JSON: {e}")))?;
    let feature = match v.get("type").and_then(Value::as_str) {
        Some("Feature") => v.clone(),
        Some("FeatureCollection") => {
            let fs = v
                .get("features")
                .and_then(Value::as_array)
                .ok_or_else(|| AppError::bad_request("FeatureCollection without features"))?;
            if fs.len() != 1 {
                return Err(AppError::bad_request(format!(
                    "send one site, not {}",
                    fs.len()
                )));
            }
            fs[0].clone()
        }
        Some("Polygon" | "MultiPolygon") => {
            json!({"type": "Feature", "geometry": v, "properties": {}})
        }
        _ => {
            return Err(AppError::bad_request(
                "expected a GeoJSON Feature with a Polygon or MultiPolygon geometry",
            ));
        }
    };
    let props = feature
        .get("properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let gv = feature
        .get("geometry")
        .cloned()
        .ok_or_else(|| AppError::bad_request("the site has no geometry"))?;
    let gj: geojson::Geometry =
        serde_json::from_value(gv).map_err(|e| AppError::bad_request(format!("geometry: {e}")))?;
    let g: Geometry<f64> = gj
        .try_into()
        .map_err(|e: geojson::Error| AppError::bad_request(format!("geometry: {e}")))?;
    if !matches!(g, Geometry::Polygon(_) | Geometry::MultiPolygon(_)) {
        return Err(AppError::bad_request(
            "the site must be a Polygon or MultiPolygon",
        ));
    }
    let n = g.coords_count();
    if n > max_vertices {
        return Err(AppError::bad_request(format!(
            "the site has {n} vertices; at most {max_vertices} are accepted"
        )));
    }
    if let Some(c) = g
        .coords_iter()
        .find(|c| !c.x.is_finite() || !c.y.is_finite() || c.x.abs() > 180.0 || c.y.abs() > 90.0)
    {
        return Err(AppError::bad_request(format!(
            "coordinate ({}, {}) is not lon/lat in degrees (RFC 7946)",
            c.x, c.y
        )));
    }
    if let Err(e) = g.check_validation() {
        return Err(AppError::bad_request(format!(
            "the site polygon is not valid: {e}"
        )));
    }
    let use_s = props
        .get("use")
        .and_then(Value::as_str)
        .unwrap_or("residential");
    let kind = parse_use(use_s).ok_or_else(|| {
        AppError::bad_request(format!("unknown use '{use_s}' (residential, school, kindergarten, hospital, nursing_home, office, market, … or 居住/学校/医院)"))
    })?;
    let num = |k: &str| {
        props
            .get(k)
            .and_then(Value::as_u64)
            .and_then(|v| u32::try_from(v).ok())
    };
    Ok((
        g,
        SiteUse {
            kind,
            population: num("population"),
            households: num("households"),
        },
        props,
    ))
}

fn parse_use(s: &str) -> Option<TargetKind> {
    match s.trim() {
        "residential" | "居住" | "住宅" => Some(TargetKind::ResidentialCommunity),
        other => TargetKind::parse(other),
    }
}

async fn site_check(State(state): State<AppStateRef>, body: Bytes) -> Result<Response, AppError> {
    let (site, site_use, props) = parse_site(&body, state.config.max_site_vertices)?;
    let snap = state.snapshot();
    let out = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, AppError> {
        let report = check_site(&snap.dataset, &snap.analysis, &site, &site_use, &snap.rules);
        let mut buf = Vec::new();
        let err = |e: riskmap_core::export::ExportError| {
            AppError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
        };
        let mut w = FeatureWriter::new(&mut buf, "site_check").map_err(err)?;
        let mut sp = props.clone();
        sp.insert("role".into(), json!("site"));
        sp.insert("use".into(), json!(site_use.kind.key()));
        sp.insert("class".into(), json!(report.class.key()));
        sp.insert("class_zh".into(), json!(report.class.name_zh()));
        sp.insert("conflicts".into(), json!(report.conflicts.len()));
        sp.insert("data_generation".into(), json!(snap.generation));
        w.feature("site", &site, &sp).map_err(err)?;
        for (i, c) in report.conflicts.iter().enumerate() {
            let mut m = match serde_json::to_value(c) {
                Ok(Value::Object(m)) => m,
                _ => Map::new(),
            };
            m.insert("role".into(), json!("conflict"));
            m.insert(
                "distance_m".into(),
                json!((c.distance_m * 100.0).round() / 100.0),
            );
            m.insert(
                "shortfall_m".into(),
                json!((c.shortfall_m * 100.0).round() / 100.0),
            );
            if let Some(l) = c.level {
                m.insert("level_zh".into(), json!(l.name_zh()));
            }
            w.feature(&format!("conflict-{}", i + 1), &c.geometry, &m)
                .map_err(err)?;
        }
        w.finish().map_err(err)?;
        Ok(buf)
    })
    .await
    .map_err(|e| AppError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))??;
    Ok(([(header::CONTENT_TYPE, "application/geo+json")], out).into_response())
}

/// The load benchmark's baseline: the same server and middleware returning fixed bytes,
/// `?bytes=N` of them (default 8192, at most 4 MiB) so that the baseline can carry the
/// same payload as the tiles it is compared with. Off unless `bench_routes` is set.
async fn bench_fixed(
    State(state): State<AppStateRef>,
    Query(q): Query<BenchQuery>,
) -> Result<Response, AppError> {
    static BYTES: std::sync::OnceLock<Bytes> = std::sync::OnceLock::new();
    if !state.config.bench_routes {
        return Err(AppError::not_found("no such route"));
    }
    let all = BYTES.get_or_init(|| Bytes::from(vec![b'x'; 4 << 20]));
    let n = q.bytes.unwrap_or(8192).min(all.len());
    Ok((
        [
            (header::CONTENT_TYPE, "application/vnd.mapbox-vector-tile"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        all.slice(..n),
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
struct BenchQuery {
    bytes: Option<usize>,
}

async fn admin_reload(
    State(state): State<AppStateRef>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let Some(token) = &state.admin_token else {
        return Err(AppError::new(
            StatusCode::FORBIDDEN,
            "reload over HTTP is disabled: set RISKMAP_ADMIN_TOKEN or admin_token in the config (SIGHUP reloads too)",
        ));
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if given.map(str::trim) != Some(token.as_str()) {
        return Err(AppError::new(
            StatusCode::UNAUTHORIZED,
            "missing or wrong bearer token",
        ));
    }
    match state.reload().await {
        Ok(g) => Ok(Json(json!({"status": "reloaded", "generation": g})).into_response()),
        Err(e) => Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "reload failed, still serving generation {}: {e}",
                state.snapshot().generation
            ),
        )),
    }
}
