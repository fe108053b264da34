//! Who may use the operator API: the bearer token `api.operator_token` (automation), compared in
//! constant time — an empty configured token matches nothing — or the sign-in token of a user
//! whose role is `operator` or `admin`.

use super::{ApiError, ApiState};
use crate::domain::users::Identity;
use crate::domain::users::accounts::operates;
use axum::extract::{FromRef, FromRequestParts};
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use subtle::ConstantTimeEq;

/// Routes a browser's `EventSource` opens, which cannot send a header: they take the token as
/// `?token=` instead (the token then travels in a URL: only there).
const TOKEN_IN_QUERY: [&str; 1] = ["/api/v1/events"];

/// The request's `Authorization: Bearer` token, trimmed (or, on an event stream, `?token=`).
pub(super) fn bearer(parts: &Parts) -> Option<&str> {
    if let Some(header) = parts.headers.get(AUTHORIZATION) {
        return header.to_str().ok()?.strip_prefix("Bearer ").map(str::trim);
    }
    if !TOKEN_IN_QUERY.contains(&parts.uri.path()) {
        return None;
    }
    // Tokens are base64url and dots, never percent-encoded.
    parts.uri.query()?.split('&').find_map(|pair| pair.strip_prefix("token="))
}

/// Whom a request's bearer token names.
enum Bearer {
    /// `api.operator_token` (automation).
    OperatorToken,
    /// A signed-in user.
    User(Identity),
}

/// Reads the bearer token: the operator token (compared in constant time; an empty configured
/// token matches nothing) or a user's sign-in token; 401 without a valid one.
async fn who(parts: &Parts, state: &ApiState) -> Result<Bearer, ApiError> {
    let expected = state.operator_token.as_bytes();
    let token = bearer(parts).unwrap_or_default();
    if !expected.is_empty() && bool::from(token.as_bytes().ct_eq(expected)) {
        return Ok(Bearer::OperatorToken);
    }
    if token.is_empty() {
        return Err(ApiError::Unauthorized);
    }
    Ok(Bearer::User(state.users.identify(token).await?))
}

/// Proof that the request comes from an operator; `actor` is who is logged as sending it
/// (`operator-token`, or `user:<id>`).
#[derive(Debug, Clone)]
pub(super) struct Operator {
    pub(super) actor: String,
    /// The operator or admin signed in; none for the operator token.
    pub(super) user: Option<Identity>,
}

impl<S> FromRequestParts<S> for Operator
where
    ApiState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let user = match who(parts, &ApiState::from_ref(state)).await? {
            Bearer::OperatorToken => return Ok(Operator { actor: "operator-token".to_owned(), user: None }),
            Bearer::User(user) => user,
        };
        if !operates(&user.role) {
            return Err(ApiError::Refused {
                status: StatusCode::FORBIDDEN,
                code: "forbidden",
                message: "operators and admins only".into(),
            });
        }
        Ok(Operator { actor: format!("user:{}", user.id), user: Some(user) })
    }
}

/// Who calls a route open to drivers and operators: an operator (the token, or a user whose
/// role operates) sees everyone's, a driver only their own.
#[derive(Debug, Clone)]
pub(super) struct Caller {
    pub(super) scope: crate::domain::orders::Scope,
    /// Who is logged as asking: `user:<id>`, or `operator-token`.
    pub(super) actor: String,
}

impl<S> FromRequestParts<S> for Caller
where
    ApiState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        use crate::domain::orders::Scope;
        let (scope, actor) = match who(parts, &ApiState::from_ref(state)).await? {
            Bearer::OperatorToken => (Scope::Operator, "operator-token".to_owned()),
            Bearer::User(user) if operates(&user.role) => (Scope::Operator, format!("user:{}", user.id)),
            Bearer::User(user) => (Scope::User(user.id), format!("user:{}", user.id)),
        };
        Ok(Caller { scope, actor })
    }
}
