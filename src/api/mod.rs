//! The HTTP API: health and readiness now; the operator and driver resources join them.

mod health;

use crate::store::Store;
use axum::Router;

/// State shared by the API's handlers.
#[derive(Debug, Clone)]
pub struct ApiState {
    pub store: Store,
}

/// Every HTTP route.
pub fn router(state: ApiState) -> Router {
    health::router().with_state(state)
}
