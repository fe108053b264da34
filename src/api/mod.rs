//! The HTTP API: health and readiness, and the operator resources under `/api/v1` (bearer token).

mod auth;
mod chargers;
mod error;
mod health;
mod transactions;

pub use error::ApiError;

use crate::hub::Hub;
use crate::store::Store;
use axum::Router;
use std::sync::Arc;

/// State shared by the API's handlers.
#[derive(Debug, Clone)]
pub struct ApiState {
    pub store: Store,
    pub hub: Hub,
    pub operator_token: Arc<str>,
}

/// Every HTTP route.
pub fn router(state: ApiState) -> Router {
    health::router().merge(chargers::router()).merge(transactions::router()).with_state(state)
}

/// A JSON request body, or a 400 that says what is wrong with it.
fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("the body is not valid JSON for this request: {e}")))
}
