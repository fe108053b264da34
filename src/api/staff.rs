//! Operators manage users: list and find them (with their balance), disable and re-enable them;
//! admins also change roles.

use super::auth::Operator;
use super::paging::{Page, Paging};
use super::users::UserView;
use super::{ApiError, ApiState};
use crate::domain::users::records::User;
use crate::domain::users::records::UserFilter;
use crate::domain::users::staff::{StaffError, UserChange};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

pub(super) fn router() -> Router<ApiState> {
    Router::new().route("/api/v1/users", get(list)).route("/api/v1/users/{id}", get(one).patch(change))
}

/// The OpenAPI of these routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, one, change))]
pub(super) struct Doc;

/// A user as operators see them: the profile and the balance.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct StaffView {
    #[serde(flatten)]
    user: UserView,
    /// Yuan, two places.
    #[schema(example = "87.70")]
    balance: String,
}

impl From<User> for StaffView {
    fn from(u: User) -> Self {
        let balance = u.balance_fen.to_string();
        StaffView { user: u.into(), balance }
    }
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    phone: Option<String>,
    role: Option<String>,
    status: Option<String>,
}

/// `PATCH /api/v1/users/{id}`
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ChangeBody {
    status: Option<String>,
    role: Option<String>,
}

/// Users, filtered, paged, with their balances (operators).
#[utoipa::path(get, path = "/api/v1/users", tag = "users", operation_id = "listUsers",
    params(
        ("phone" = Option<String>, Query, description = "Only this phone's"),
        ("role" = Option<String>, Query, description = "Only users of this role"),
        ("status" = Option<String>, Query, description = "Only users in this status"),
        super::schemas::PageQuery,
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of users", body = Page<StaffView>),
        (status = 400, description = "`bad_request`: `page` or `pageSize` out of range", body = super::schemas::ErrorBody),
        super::schemas::OperatorErrors,
    ))]
async fn list(
    State(state): State<ApiState>,
    _operator: Operator,
    paging: Paging,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Page<StaffView>>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let filter = UserFilter { phone: query.phone, role: query.role, status: query.status };
    let (rows, total) = state.users.list(filter, paging.offset(), paging.limit()).await?;
    Ok(Json(paging.of(rows.into_iter().map(StaffView::from).collect(), total)))
}

/// A user with their balance (operators).
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", operation_id = "getUser",
    params(("id" = i64, Path, description = "The user's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The user", body = StaffView),
        (status = 404, description = "`not_found`: no such user", body = super::schemas::ErrorBody),
        super::schemas::OperatorErrors,
    ))]
async fn one(
    State(state): State<ApiState>,
    _operator: Operator,
    super::UserId(id): super::UserId,
) -> Result<Json<StaffView>, ApiError> {
    let found = state.users.find(id).await?.ok_or_else(|| ApiError::NotFound(format!("user {id}")))?;
    Ok(Json(found.into()))
}

/// Disables or re-enables a user (operators), or changes their role (admins).
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", operation_id = "changeUser",
    params(("id" = i64, Path, description = "The user's id")),
    request_body = ChangeBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The user as changed", body = StaffView),
        (status = 400, description = "`bad_request`: an unknown status or role", body = super::schemas::ErrorBody),
        (status = 403, description = "`admins_only`: only admins change roles; `forbidden`: not an operator; `user_disabled`", body = super::schemas::ErrorBody),
        (status = 404, description = "`not_found`: no such user", body = super::schemas::ErrorBody),
        (status = 409, description = "`not_yourself`: no one disables or demotes themselves", body = super::schemas::ErrorBody),
        (status = 401, description = "`unauthorized`: no bearer token, or not a valid one", body = super::schemas::ErrorBody),
        (status = 500, description = "`internal`", body = super::schemas::ErrorBody),
    ))]
async fn change(
    State(state): State<ApiState>,
    operator: Operator,
    super::UserId(id): super::UserId,
    bytes: Bytes,
) -> Result<Json<StaffView>, ApiError> {
    let body: ChangeBody = super::json_body(&bytes)?;
    let change = UserChange { status: body.status, role: body.role };
    let changed = state.users.change(id, change, operator.user.as_ref()).await?;
    let mut logged = super::operations::body_json(&bytes);
    logged["userId"] = id.into();
    super::operations::record(&state, &operator, "UserChange", None, logged).await;
    Ok(Json(changed.into()))
}

impl From<StaffError> for ApiError {
    fn from(e: StaffError) -> Self {
        match e {
            StaffError::Status(_) | StaffError::Role(_) => ApiError::BadRequest(e.to_string()),
            StaffError::NotAdmin => {
                ApiError::Refused { status: StatusCode::FORBIDDEN, code: "admins_only", message: e.to_string() }
            }
            StaffError::Yourself => {
                ApiError::Refused { status: StatusCode::CONFLICT, code: "not_yourself", message: e.to_string() }
            }
            StaffError::NotFound(id) => ApiError::NotFound(format!("user {id}")),
            StaffError::Account(account) => account.into(),
        }
    }
}
