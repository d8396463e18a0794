//! `GET /styles/{name}.json`: the compiled-in MapLibre styles with the server's origin
//! filled in and the optional basemap added under the other layers.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::AppStateRef;
use crate::server::assets;
use crate::server::error::AppError;
use crate::server::proxy::{Peer, origin};

/// One style, not to be cached (it names the origin and the basemap).
pub(in crate::server) async fn style(
    State(state): State<AppStateRef>,
    Path(file): Path<String>,
    headers: HeaderMap,
    peer: Peer,
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
    let mut style: Value = serde_json::from_str(&text.replace(
        "{origin}",
        &origin(&headers, peer, &state.config.trusted_proxies),
    ))
    .map_err(|e| AppError::Internal(format!("style {name}: {e}")))?;
    if let Err(e) = crate::glyphs::shared(state.config.font.as_deref()) {
        tracing::debug!("style {name} without labels: {e}");
        without_labels(&mut style);
    }
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

/// `style` without its text: no symbol layers, no glyphs URL (for a server without a CJK
/// font, whose glyph requests could only fail).
pub(in crate::server) fn without_labels(style: &mut Value) {
    if let Some(o) = style.as_object_mut() {
        o.remove("glyphs");
    }
    if let Some(layers) = style["layers"].as_array_mut() {
        layers.retain(|l| l["type"] != "symbol");
    }
}
