//! `POST /admin/reload[?force=true]`: reload the data behind a bearer token.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::AppStateRef;
use crate::server::auth::{AuthError, Role};
use crate::server::error::AppError;
use crate::server::state::ReloadOutcome;

/// `force` from the query: absent, `force`, `force=true|1` or `force=false|0`.
fn force_of(query: Option<&str>) -> Result<bool, AppError> {
    let mut force = false;
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, "true"));
        if k != "force" {
            return Err(AppError::bad_request(format!(
                "unknown parameter '{k}'; /admin/reload takes only force=true"
            )));
        }
        force = match v {
            "true" | "1" | "" => true,
            "false" | "0" => false,
            _ => {
                return Err(AppError::bad_request(format!(
                    "force={v}: expected true or false"
                )));
            }
        };
    }
    Ok(force)
}

/// Reloads the data if the request carries a token with the admin role. A reload that would lose a
/// file or more than `reload_max_loss` of a layer is refused (422, with the reasons per
/// file and layer) unless `force=true`; the data served stays until a reload is accepted.
pub(in crate::server) async fn admin_reload(
    State(state): State<AppStateRef>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let caller = match state.tokens.authorize(&headers, Role::Admin) {
        Ok(c) => c,
        Err(AuthError::NoTokens) => {
            return Err(AppError::Forbidden(
                "reload over HTTP is disabled: add an admin entry to [[tokens]] (riskmap token new NAME --role admin) or set RISKMAP_ADMIN_TOKEN (SIGHUP reloads too)".into(),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let force = force_of(query.as_deref())?;
    tracing::info!(target: "audit", by = %caller.name, force, "reload requested");
    state.reread_tokens();
    // Runs to its end if this client goes away (`AppState::reload_within`).
    let outcome = state.reload(force).await;
    let served = state.snapshot().generation;
    let error = outcome.error();
    let name = outcome.name();
    Ok(match outcome {
        ReloadOutcome::Reloaded {
            generation,
            forced,
            comparison,
        } => Json(json!({
            "status": "reloaded",
            "generation": generation,
            "forced": forced,
            "layers": comparison.layers,
            "overridden": {"files": comparison.file_problems, "layers": comparison.layer_losses},
            "moved": comparison.moved,
        }))
        .into_response(),
        ReloadOutcome::Refused(c) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({
                "error": format!("reload refused, still serving generation {served}: {}", error.unwrap_or_default()),
                "status": 422,
                "outcome": "refused",
                "generation": served,
                "layers": c.layers,
                "reasons": {"files": c.file_problems, "layers": c.layer_losses},
                "moved": c.moved,
            })),
        )
            .into_response(),
        ReloadOutcome::Failed(e) => {
            return Err(AppError::Unprocessable(format!(
                "reload failed, still serving generation {served}: {e}"
            )));
        }
        ReloadOutcome::TimedOut { .. } | ReloadOutcome::Busy { .. } => {
            let mut r = (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({
                    "error": format!("still serving generation {served}: {}", error.unwrap_or_default()),
                    "status": 503,
                    "outcome": name,
                    "generation": served,
                })),
            )
                .into_response();
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
            r
        }
    })
}
