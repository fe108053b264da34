//! The operator's bearer token (`api.operator_token`), compared in constant time. An empty
//! configured token refuses everything: the API is closed until an operator sets one.

use super::{ApiError, ApiState};
use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use subtle::ConstantTimeEq;

/// Proof that the request carried the operator token; `actor` is who is logged as sending it.
#[derive(Debug, Clone)]
pub(super) struct Operator {
    pub(super) actor: &'static str,
}

impl<S> FromRequestParts<S> for Operator
where
    ApiState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = ApiState::from_ref(state);
        let expected = state.operator_token.as_bytes();
        let given = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .unwrap_or_default()
            .as_bytes();
        if expected.is_empty() || !bool::from(given.ct_eq(expected)) {
            return Err(ApiError::Unauthorized);
        }
        Ok(Operator { actor: "operator-token" })
    }
}
