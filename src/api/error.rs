//! `ApiError`: every failure of the API as a status and a JSON body
//! `{"error": "<kind>", "message": "<what happened>"}`; internal details are logged, not sent.

use crate::domain::storage::StoreError;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// A failed API request.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("the payload breaks the {action} schema: {description}")]
    Schema { action: String, code: &'static str, description: String },
    #[error("missing or wrong bearer token")]
    Unauthorized,
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    BadGateway(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    GatewayTimeout(String),
    #[error("internal error")]
    Internal(String),
    /// A business rule's refusal, with its own code (e.g. `already_registered`, 409).
    #[error("{message}")]
    Refused { status: StatusCode, code: &'static str, message: String },
}

impl ApiError {
    fn status_and_kind(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::Schema { .. } => (StatusCode::BAD_REQUEST, "schema_violation"),
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::BadGateway(_) => (StatusCode::BAD_GATEWAY, "charger_error"),
            ApiError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            ApiError::GatewayTimeout(_) => (StatusCode::GATEWAY_TIMEOUT, "timeout"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
            ApiError::Refused { status, code, .. } => (*status, code),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, kind) = self.status_and_kind();
        let mut body: Value = json!({"error": kind, "message": self.to_string()});
        match &self {
            ApiError::Schema { code, .. } => body["code"] = json!(code),
            ApiError::Internal(detail) => tracing::error!(%detail, "request failed"),
            _ => {}
        }
        (status, Json(body)).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => ApiError::NotFound(what.as_str().to_owned()),
            StoreError::Conflict(what) => ApiError::Conflict(format!("{what} already exists")),
            StoreError::Insufficient(what) => ApiError::Refused {
                status: StatusCode::CONFLICT,
                code: "insufficient",
                message: format!("not enough {what}"),
            },
            StoreError::Db(failure) | StoreError::Duplicate(failure) => ApiError::Internal(failure),
            StoreError::Commit(failure) | StoreError::Writer(failure) | StoreError::Corrupt(failure) => {
                ApiError::Internal(failure)
            }
        }
    }
}
