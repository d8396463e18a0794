//! [`AppError`], the one error type of the HTTP handlers, and the JSON body every error
//! response carries: `{"error": message, "status": code}`.
//!
//! Handlers either name the status of an error they find themselves (the message variants)
//! or pass on an error of the code they call with `?`; the `From` impls and
//! [`AppError::status`] decide the status of the latter in this one place.

use axum::Json;
use axum::http::StatusCode;
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
    /// 422: understood, but cannot be done.
    #[error("{0}")]
    Unprocessable(String),
    /// 500: the server failed.
    #[error("{0}")]
    Internal(String),
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

    /// The status code of the response.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) | AppError::Site(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Internal(_) | AppError::Task(_) => StatusCode::INTERNAL_SERVER_ERROR,
            AppError::TileSet(e) => match e {
                TileSetError::UnknownLayer(_) => StatusCode::NOT_FOUND,
                TileSetError::OutOfRange { .. } => StatusCode::BAD_REQUEST,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            },
            AppError::Export(e) => match e {
                ExportError::TooMany { .. } => StatusCode::UNPROCESSABLE_ENTITY,
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
        (
            status,
            Json(json!({"error": self.to_string(), "status": status.as_u16()})),
        )
            .into_response()
    }
}
