//! Membership and price groups: the operator's ladder of member levels (`GET`/`PUT
//! /api/v1/membership/levels`), a recompute at once (`POST /api/v1/membership/recompute`), a
//! driver's price group (`PUT /api/v1/users/{id}/group`), and what a driver sees of their own
//! (`GET /api/v1/me/membership`).

use super::auth::{Caller, Operator};
use super::users::Signed;
use super::{ApiError, ApiState};
use crate::domain::membership::{LevelInput, LevelView, MembershipError, MembershipView};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::Utc;
use serde::{Deserialize, Serialize};

pub(super) fn router() -> Router<ApiState> {
    Router::new()
        .route("/api/v1/membership/levels", get(levels).put(set_levels))
        .route("/api/v1/membership/recompute", post(recompute))
        .route("/api/v1/users/{id}/group", put(set_group))
        .route("/api/v1/me/membership", get(mine))
}

/// The OpenAPI of these routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(levels, set_levels, recompute, set_group, mine))]
pub(super) struct Doc;

/// A member level: reached when the last 12 months' `basis` (`energy` in kWh, `spend` in yuan)
/// is at least `threshold`; takes its percentages off the energy fee and the service fee.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct LevelBody {
    #[schema(example = "gold")]
    name: String,
    /// `energy` or `spend`.
    #[schema(example = "spend")]
    basis: String,
    /// kWh or yuan, a number or a decimal string.
    #[schema(value_type = String, example = "500.00")]
    threshold: serde_json::Value,
    #[serde(default)]
    energy_discount_pct: i64,
    #[serde(default)]
    #[schema(example = 10)]
    service_discount_pct: i64,
}

/// `PUT /api/v1/membership/levels`: the whole ladder, lowest first.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct LadderBody {
    levels: Vec<LevelBody>,
}

/// The ladder as stored.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct Ladder {
    #[schema(value_type = Vec<Object>)]
    levels: Vec<LevelView>,
}

/// The member levels, lowest first (drivers and operators).
#[utoipa::path(get, path = "/api/v1/membership/levels", tag = "membership", operation_id = "getMemberLevels",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The ladder", body = Ladder),
        super::schemas::SignedErrors,
    ))]
async fn levels(_: Caller, State(state): State<ApiState>) -> Result<Json<Ladder>, ApiError> {
    Ok(Json(Ladder { levels: state.membership.levels().await? }))
}

/// Replaces the ladder (operators): drivers' levels follow at the next recompute.
#[utoipa::path(put, path = "/api/v1/membership/levels", tag = "membership", operation_id = "putMemberLevels",
    request_body = LadderBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The ladder as stored", body = Ladder),
        (status = 400, description = "`bad_request`: a level is wrong (the message says which field)", body = super::schemas::ErrorBody),
        super::schemas::OperatorErrors,
    ))]
async fn set_levels(operator: Operator, State(state): State<ApiState>, bytes: Bytes) -> Result<Json<Ladder>, ApiError> {
    let body: LadderBody = super::json_body(&bytes)?;
    let given = body
        .levels
        .into_iter()
        .map(|l| LevelInput {
            name: l.name,
            basis: l.basis,
            threshold: l.threshold,
            energy_discount_pct: l.energy_discount_pct,
            service_discount_pct: l.service_discount_pct,
        })
        .collect();
    let levels = state.membership.set_levels(given).await?;
    super::operations::record(&state, &operator, "MemberLevelsPut", None, super::operations::body_json(&bytes)).await;
    Ok(Json(Ladder { levels }))
}

/// How many drivers hold a level after a recompute.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct Recomputed {
    leveled: usize,
}

/// Recomputes every driver's level now (operators), as the nightly job does.
#[utoipa::path(post, path = "/api/v1/membership/recompute", tag = "membership", operation_id = "recomputeMemberLevels",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Recomputed", body = Recomputed),
        super::schemas::OperatorErrors,
    ))]
async fn recompute(_: Operator, State(state): State<ApiState>) -> Result<Json<Recomputed>, ApiError> {
    let leveled = state.membership.recompute(Utc::now()).await.map_err(MembershipError::from)?;
    Ok(Json(Recomputed { leveled }))
}

/// `PUT /api/v1/users/{id}/group`: `{"group": "fleet-a"}`, or `null` for none.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct GroupBody {
    #[schema(example = "fleet-a")]
    group: Option<String>,
}

/// Puts a driver in a price group, or out of any (operators): their next orders are priced by
/// the group's tariff where a station has one.
#[utoipa::path(put, path = "/api/v1/users/{id}/group", tag = "membership", operation_id = "putUserGroup",
    params(("id" = i64, Path, description = "The user's id")),
    request_body = GroupBody,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Done"),
        (status = 400, description = "`bad_request`: not a group's code", body = super::schemas::ErrorBody),
        (status = 404, description = "`not_found`: no such user", body = super::schemas::ErrorBody),
        super::schemas::OperatorErrors,
    ))]
async fn set_group(
    operator: Operator,
    State(state): State<ApiState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let id: i64 = id.parse().map_err(|_| MembershipError::NoUser(0))?;
    let given: GroupBody = super::json_body(&body)?;
    state.membership.set_group(id, given.group.as_deref()).await?;
    let logged = serde_json::json!({"userId": id, "group": given.group});
    super::operations::record(&state, &operator, "UserGroupPut", None, logged).await;
    Ok(StatusCode::NO_CONTENT)
}

/// The driver's membership: their level (as of the last recompute), price group, last 12
/// months and what the next level still asks.
#[utoipa::path(get, path = "/api/v1/me/membership", tag = "membership", operation_id = "getMyMembership",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The driver's membership", body = Object),
        super::schemas::SignedErrors,
    ))]
async fn mine(State(state): State<ApiState>, Signed(user): Signed) -> Result<Json<MembershipView>, ApiError> {
    Ok(Json(state.membership.of(user.id).await?))
}

impl From<MembershipError> for ApiError {
    fn from(e: MembershipError) -> Self {
        match &e {
            MembershipError::Invalid { .. } => ApiError::BadRequest(e.to_string()),
            MembershipError::NoUser(_) => {
                ApiError::Refused { status: StatusCode::NOT_FOUND, code: "not_found", message: e.to_string() }
            }
            MembershipError::Store(_) => ApiError::Internal(e.to_string()),
        }
    }
}
