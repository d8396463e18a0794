//! The web viewer and the MapLibre styles, compiled into the binary so that the server
//! needs nothing from the internet (or from disk) to show the map.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Files under `/assets/`: path, content type, bytes. `app.js` is the viewer's entry
/// module; it imports the modules under `js/` (native ES modules, no build step).
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/app.js"),
    ),
    (
        "js/areas.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/js/areas.js"),
    ),
    (
        "js/controls.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/js/controls.js"),
    ),
    (
        "js/draw.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/js/draw.js"),
    ),
    (
        "js/export.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/js/export.js"),
    ),
    (
        "js/hidden.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/js/hidden.js"),
    ),
    (
        "js/image.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/js/image.js"),
    ),
    (
        "js/live.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/js/live.js"),
    ),
    (
        "js/map.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/js/map.js"),
    ),
    (
        "js/messages.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/js/messages.js"),
    ),
    (
        "js/popups.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/js/popups.js"),
    ),
    (
        "js/ranking.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/js/ranking.js"),
    ),
    (
        "js/search.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/js/search.js"),
    ),
    (
        "js/site-check.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/js/site-check.js"),
    ),
    (
        "js/state.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/js/state.js"),
    ),
    (
        "js/summary.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/js/summary.js"),
    ),
    (
        "js/workings.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/js/workings.js"),
    ),
    (
        "js/tools.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/js/tools.js"),
    ),
    (
        "js/util.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/js/util.js"),
    ),
    (
        "js/vocab.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/js/vocab.js"),
    ),
    (
        "patterns.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/patterns.js"),
    ),
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/app.css"),
    ),
    (
        "vendor/maplibre-gl.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/vendor/maplibre-gl.js"),
    ),
    (
        "vendor/maplibre-gl.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/vendor/maplibre-gl.css"),
    ),
    (
        "vendor/LICENSE-maplibre-gl.txt",
        "text/plain; charset=utf-8",
        include_bytes!("../../assets/vendor/LICENSE-maplibre-gl.txt"),
    ),
];

const INDEX: &str = include_str!("../../assets/index.html");

/// Style names served at `/styles/{name}.json`.
pub const STYLE_NAMES: [&str; 2] = ["risk", "risk-grid"];

const STYLES: [(&str, &str); 2] = [
    ("risk", include_str!("../../../styles/risk.json")),
    ("risk-grid", include_str!("../../../styles/risk-grid.json")),
];

/// A style's JSON text (with `{origin}` placeholders for the server's address).
pub fn style(name: &str) -> Option<&'static str> {
    STYLES.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// `GET /`
pub async fn index() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        INDEX,
    )
        .into_response()
}

/// `GET /assets/{path}`
pub async fn asset(Path(path): Path<String>) -> Response {
    match ASSETS.iter().find(|(p, _, _)| *p == path) {
        Some((_, ct, bytes)) => (
            [
                (header::CONTENT_TYPE, *ct),
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            *bytes,
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            axum::Json(serde_json::json!({"error": format!("no asset '{path}'"), "status": 404})),
        )
            .into_response(),
    }
}
