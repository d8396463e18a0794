//! HTTP routes. `router(state)` is the whole application, testable without a socket: it
//! maps each path to its handler in `handlers` and adds the middleware.

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::middleware;
use axum::routing::{get, post};
use axum::{Extension, Router};
use tower_http::compression::Predicate;

use super::assets;
pub use super::error::AppError;
use super::error::json_errors;
use super::handlers::{
    admin, catalog, changes, edit, edit_read, features, fonts, health, hidden, lists, measure, ogc,
    ogc_tiles, rings, search, site_check, styles, tiles,
};
use super::limits::Limits;
use super::state::AppState;

/// The application, with the limits of its configuration.
pub fn router(state: Arc<AppState>) -> Router {
    let limits = Arc::new(Limits::new(&state.config));
    router_with_limits(state, limits)
}

/// The application with the given limits (kept by the caller, e.g. to pause rendering).
pub fn router_with_limits(state: Arc<AppState>, limits: Arc<Limits>) -> Router {
    let body_limit = state.config.max_body_bytes;
    let app = Router::new()
        .route("/", get(assets::index))
        .route("/assets/{*path}", get(assets::asset))
        .route("/health", get(health::health))
        .route("/metrics", get(health::metrics))
        .route("/catalog", get(catalog::catalog))
        .route("/tiles/{file}", get(catalog::tilejson))
        .route("/tiles/{layers}/{z}/{x}/{y}", get(tiles::tile))
        .route("/styles/{file}", get(styles::style))
        .route("/fonts/{fontstack}/{range}", get(fonts::glyphs))
        .route("/api/features/{file}", get(features::features))
        .route("/api/feature/{layer}/{id}", get(features::feature))
        .route("/api/summary", get(features::summary))
        .route("/api/areas", get(features::areas))
        .route("/api/validation", get(features::validation))
        .route("/validation.html", get(features::validation_page))
        .route("/api/lists/{file}", get(lists::list))
        .route("/api/report.html", get(lists::report))
        .route("/api/hidden/areas", get(hidden::areas))
        .route("/api/hidden/trend", get(hidden::trend))
        .route("/api/hidden/of/{layer}/{id}", get(hidden::of_feature))
        .route("/api/search", get(search::search))
        .route("/api/rings/{layer}/{id}", get(rings::protection_rings))
        .route("/api/measure", get(measure::measure))
        .route("/ogc", get(ogc::landing))
        .route("/ogc/", get(ogc::landing))
        .route("/ogc/api", get(ogc::api))
        .route("/ogc/conformance", get(ogc::conformance))
        .route("/ogc/collections", get(ogc::collections))
        .route("/ogc/collections/{id}", get(ogc::collection))
        .route("/ogc/collections/{id}/items", get(ogc::items))
        .route("/ogc/collections/{id}/schema", get(ogc::schema))
        .route(
            "/ogc/collections/{id}/tiles",
            get(ogc_tiles::collection_tilesets),
        )
        .route(
            "/ogc/collections/{id}/tiles/{tms}",
            get(ogc_tiles::collection_tileset),
        )
        .route(
            "/ogc/collections/{id}/tiles/{tms}/{m}/{row}/{col}",
            get(ogc_tiles::collection_tile),
        )
        .route("/ogc/tiles", get(ogc_tiles::dataset_tilesets))
        .route("/ogc/tiles/{tms}", get(ogc_tiles::dataset_tileset))
        .route(
            "/ogc/tiles/{tms}/{m}/{row}/{col}",
            get(ogc_tiles::dataset_tile),
        )
        .route("/ogc/tileMatrixSets", get(ogc_tiles::matrix_sets))
        .route("/ogc/tileMatrixSets/{id}", get(ogc_tiles::matrix_set))
        .route("/ogc/collections/{id}/items/{fid}", get(ogc::item))
        .route("/api/changes/stream", get(changes::stream))
        .route("/api/changes", get(edit_read::changes))
        .route(
            "/api/layers/{layer}/features",
            post(edit::create).layer(DefaultBodyLimit::max(body_limit)),
        )
        .route(
            "/api/layers/{layer}/features/{id}",
            get(edit_read::get_feature)
                .put(edit::replace)
                .patch(edit::patch)
                .delete(edit::delete)
                .layer(DefaultBodyLimit::max(body_limit)),
        )
        .route(
            "/api/site-check",
            post(site_check::site_check).layer(DefaultBodyLimit::max(body_limit)),
        )
        .route("/admin/reload", post(admin::admin_reload));
    #[cfg(feature = "bench-routes")]
    let app = app.route("/bench/fixed", get(super::handlers::bench::bench_fixed));
    let mut app = app
        .fallback(|| async { AppError::not_found("no such route") })
        .layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            health::count_requests,
        ))
        .layer(middleware::map_response(json_errors))
        .layer(Extension(limits))
        .with_state(Arc::clone(&state));
    app = app.layer(
        tower_http::compression::CompressionLayer::new()
            .gzip(true)
            .compress_when(
                tower_http::compression::predicate::SizeAbove::new(1024)
                    .and(tower_http::compression::predicate::NotForContentType::new(
                        "application/vnd.mapbox-vector-tile",
                    ))
                    // Events go out as they happen, not when a gzip block fills.
                    .and(tower_http::compression::predicate::NotForContentType::new(
                        "text/event-stream",
                    )),
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
