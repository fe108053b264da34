//! `GET /api/v1/operations`: the operation log, newest first — every command sent to a charger
//! and every operator's action (stations, tariffs, piles, users, balances, refunds) with its
//! actor — filtered by actor, charger, action and time, paged (operators).

use super::auth::Operator;
use super::paging::{Page, Paging};
use super::transactions::instant;
use super::{ApiError, ApiState};
use crate::domain::chargers::records::{OperationEntry, OperationFilter, OperationRecord};
use crate::domain::ids::ChargerId;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::Deserialize;

pub(super) fn router() -> Router<ApiState> {
    Router::new().route("/api/v1/operations", get(list))
}

/// The OpenAPI of these routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list))]
pub(super) struct Doc;

/// `?actor=&charger=&action=&from=&to=`, and `page`, `pageSize` (see `Paging`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Filter {
    actor: Option<String>,
    charger: Option<String>,
    action: Option<String>,
    from: Option<String>,
    to: Option<String>,
    #[serde(rename = "page")]
    _page: Option<serde::de::IgnoredAny>,
    #[serde(rename = "pageSize")]
    _page_size: Option<serde::de::IgnoredAny>,
}

/// One operation as the log keeps it.
#[derive(utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[expect(dead_code, reason = "a schema only")]
struct Operation {
    id: i64,
    at: DateTime<Utc>,
    /// Who: `operator-token`, or `user:<id>` for a signed-in operator or admin.
    #[schema(example = "user:7")]
    actor: String,
    /// The charger concerned; null for an operation on none.
    charger_id: Option<String>,
    /// A command (`Reset`, `RemoteStartTransaction`…) or an operator's action
    /// (`StationCreate`, `StationChange`, `StationDelete`, `TariffPut`, `PileCreate`,
    /// `PileAttach`, `UserChange`, `UserGroupPut`, `MemberLevelsPut`, `BalanceAdjustment`,
    /// `Refund`, `OrderReview`).
    #[schema(example = "Reset")]
    action: String,
    #[schema(value_type = Object)]
    payload: serde_json::Value,
    /// A command's `Answered`, `CallError`, `Timeout`, `Offline`…; an action's `Applied`.
    outcome: String,
    #[schema(value_type = Option<Object>)]
    response: Option<serde_json::Value>,
    error: Option<String>,
    duration_ms: i32,
    /// The node a command was sent from.
    node: Option<String>,
}

/// The operation log, newest first, filtered and paged (operators).
#[utoipa::path(get, path = "/api/v1/operations", tag = "chargers", operation_id = "listOperations",
    params(
        ("actor" = Option<String>, Query, description = "Only this actor's (`operator-token`, `user:<id>`)"),
        ("charger" = Option<String>, Query, description = "Only those on this charger"),
        ("action" = Option<String>, Query, description = "Only this action (`Reset`, `StationCreate`…)"),
        ("from" = Option<DateTime<Utc>>, Query, description = "At or after (RFC 3339)"),
        ("to" = Option<DateTime<Utc>>, Query, description = "Before (RFC 3339)"),
        super::schemas::PageQuery,
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of operations", body = Page<Operation>),
        (status = 400, description = "`bad_request`: an unknown or malformed query parameter", body = super::schemas::ErrorBody),
        super::schemas::OperatorErrors,
    ))]
async fn list(
    _: Operator,
    State(state): State<ApiState>,
    paging: Paging,
    query: Result<Query<Filter>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Page<OperationEntry>>, ApiError> {
    let Query(filter) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let filter = OperationFilter {
        actor: filter.actor,
        charger_id: filter.charger,
        action: filter.action,
        from: instant("from", filter.from.as_deref())?,
        to: instant("to", filter.to.as_deref())?,
    };
    let (found, total) = state.chargers.operations(&filter, paging.offset(), paging.limit()).await?;
    Ok(Json(paging.of(found, total)))
}

/// Writes an operator's action, done, to the operation log: its actor, the charger concerned,
/// and the request's body (a password never: only that one was set). A log that cannot be
/// written is reported, not answered: the action stands.
pub(super) async fn record(
    state: &ApiState,
    operator: &Operator,
    action: &str,
    charger_id: Option<ChargerId>,
    mut payload: serde_json::Value,
) {
    if let Some(password) = payload.get_mut("password").filter(|p| !p.is_null()) {
        *password = serde_json::Value::String("(set)".into());
    }
    let record = OperationRecord {
        at: Utc::now(),
        actor: operator.actor.clone(),
        charger_id,
        action: action.to_owned(),
        payload,
        outcome: "Applied",
        response: None,
        error: None,
        duration_ms: 0,
        node: None,
    };
    if let Err(e) = state.chargers.log_operation(record.clone()).await {
        tracing::error!(error = %e, operation = ?record, "writing the operation log failed");
    }
}

/// A request's JSON body for the log (null when it is none).
pub(super) fn body_json(body: &[u8]) -> serde_json::Value {
    serde_json::from_slice(body).unwrap_or(serde_json::Value::Null)
}
