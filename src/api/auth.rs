//! Who may use the operator API: the bearer token `api.operator_token` (automation), compared in
//! constant time — an empty configured token matches nothing — or the sign-in token of a user
//! whose role is `operator` or `admin`.

use super::{ApiError, ApiState};
use crate::domain::users::accounts::operates;
use axum::extract::{FromRef, FromRequestParts};
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use subtle::ConstantTimeEq;

/// The request's `Authorization: Bearer` token, trimmed.
pub(super) fn bearer(parts: &Parts) -> Option<&str> {
    parts.headers.get(AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ").map(str::trim)
}

/// Proof that the request comes from an operator; `actor` is who is logged as sending it
/// (`operator-token`, or `user:<id>`).
#[derive(Debug, Clone)]
pub(super) struct Operator {
    pub(super) actor: String,
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
        let token = bearer(parts).unwrap_or_default();
        if !expected.is_empty() && bool::from(token.as_bytes().ct_eq(expected)) {
            return Ok(Operator { actor: "operator-token".to_owned() });
        }
        if token.is_empty() {
            return Err(ApiError::Unauthorized);
        }
        let user = state.users.by_token(token).await?;
        if !operates(&user.role) {
            return Err(ApiError::Refused {
                status: StatusCode::FORBIDDEN,
                code: "forbidden",
                message: "operators and admins only".into(),
            });
        }
        Ok(Operator { actor: format!("user:{}", user.id) })
    }
}
