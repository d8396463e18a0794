//! [`AppError`], the one error type of the HTTP handlers, and the JSON body every error
//! response carries: `{"error": message, "status": code}`.
//!
//! Handlers either name the status of an error they find themselves (the message variants)
//! or pass on an error of the code they call with `?`; the `From` impls and
//! [`AppError::status`] decide the status of the latter in this one place.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use riskmap_core::export::ExportError;
use riskmap_core::tileset::TileSetError;
use serde_json::json;

use super::site::SiteError;

/// Why a request failed. Its `Display` is the message of the JSON error body.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 400: the request is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// 401: a credential is missing or wrong.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: the action is disabled.
    #[error("{0}")]
    Forbidden(String),
    /// 404: no such resource.
    #[error("{0}")]
    NotFound(String),
    /// 409: the request conflicts with what is served (a feature that exists already, a
    /// folder whose ledgers the API does not rewrite).
    #[error("{0}")]
    Conflict(String),
    /// 412: an `If-Match` version that is no longer the feature's.
    #[error("{0}")]
    PreconditionFailed(String),
    /// 422: understood, but cannot be done.
    #[error("{0}")]
    Unprocessable(String),
    /// 500: the server failed.
    #[error("{0}")]
    Internal(String),
    /// 504: a change was stored, but the server did not serve it within the time it
    /// waits for that (a PostGIS store, whose changes the server applies as it follows
    /// the database).
    #[error("{0}")]
    NotServed(String),
    /// 503 with `Retry-After`: too many requests of this kind are running or waiting, or
    /// this one ran past its time limit.
    #[error("{message}")]
    Busy {
        /// What was too busy or too slow.
        message: String,
        /// Seconds after which to try again.
        retry_after_s: u64,
    },
    /// Another request's error, relayed as it was (requests waiting for the same tile).
    #[error("{message}")]
    Relayed {
        /// Its status.
        status: StatusCode,
        /// Its message.
        message: String,
        /// Its `Retry-After`, if it had one.
        retry_after_s: Option<u64>,
    },
    /// A site-check request that cannot be read (400).
    #[error(transparent)]
    Site(#[from] SiteError),
    /// A tile could not be made (404 for an unknown layer, 400 out of range, else 500).
    #[error(transparent)]
    TileSet(#[from] TileSetError),
    /// An export could not be written (422 over the feature limit, 404 for an unknown
    /// layer or area, else 500).
    #[error(transparent)]
    Export(#[from] ExportError),
    /// A blocking task panicked or was cancelled (500).
    #[error(transparent)]
    Task(#[from] tokio::task::JoinError),
}

impl AppError {
    /// 400 with this message.
    pub(crate) fn bad_request(m: impl Into<String>) -> AppError {
        AppError::BadRequest(m.into())
    }

    /// 404 with this message.
    pub(crate) fn not_found(m: impl Into<String>) -> AppError {
        AppError::NotFound(m.into())
    }

    /// The same status, message and `Retry-After`, for another request waiting on this one.
    pub(crate) fn relay(&self) -> AppError {
        AppError::Relayed {
            status: self.status(),
            message: self.to_string(),
            retry_after_s: self.retry_after_s(),
        }
    }

    /// Seconds a client should wait before trying again, for 503s.
    pub fn retry_after_s(&self) -> Option<u64> {
        match self {
            AppError::Busy { retry_after_s, .. } => Some(*retry_after_s),
            AppError::Relayed { retry_after_s, .. } => *retry_after_s,
            _ => None,
        }
    }

    /// The status code of the response.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) | AppError::Site(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            AppError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Internal(_) | AppError::Task(_) => StatusCode::INTERNAL_SERVER_ERROR,
            AppError::NotServed(_) => StatusCode::GATEWAY_TIMEOUT,
            AppError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Relayed { status, .. } => *status,
            AppError::TileSet(e) => match e {
                TileSetError::UnknownLayer(_) => StatusCode::NOT_FOUND,
                TileSetError::OutOfRange { .. } => StatusCode::BAD_REQUEST,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            },
            AppError::Export(e) => match e {
                ExportError::TooMany { .. } => StatusCode::UNPROCESSABLE_ENTITY,
                ExportError::NoLevel { .. } => StatusCode::BAD_REQUEST,
                ExportError::UnknownLayer(_) | ExportError::UnknownArea { .. } => {
                    StatusCode::NOT_FOUND
                }
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            },
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut resp = (
            status,
            Json(json!({"error": self.to_string(), "status": status.as_u16()})),
        )
            .into_response();
        if let Some(s) = self.retry_after_s() {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        resp
    }
}

/// Middleware: an error response that is not JSON (the framework's own 405, 413, 415 and
/// extractor rejections are plain text) gets the JSON body every error carries, with the
/// original text as its message.
pub(crate) async fn json_errors(resp: Response) -> Response {
    let status = resp.status();
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    // Framework error texts are short; a body too large to read is replaced by the reason.
    let text = match axum::body::to_bytes(body, 64 * 1024).await {
        Ok(b) if !b.is_empty() => String::from_utf8_lossy(&b).trim().to_string(),
        _ => status
            .canonical_reason()
            .unwrap_or("request failed")
            .to_string(),
    };
    // The framework says only "length limit exceeded": say which limit.
    let text = if status == StatusCode::PAYLOAD_TOO_LARGE {
        format!(
            "{text}: the request body is larger than this server takes (`max_body_bytes` \
             in its configuration)"
        )
    } else {
        text
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let body = json!({"error": text, "status": status.as_u16()}).to_string();
    Response::from_parts(parts, axum::body::Body::from(body))
}
