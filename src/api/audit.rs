//! The money audit for operators: `GET /api/v1/audit` answers its last run (the server runs it
//! every `audit.interval_s`; `csms audit` runs it by hand).

use super::auth::Operator;
use super::{ApiError, ApiState};
use crate::domain::audit::AuditReport;
use crate::domain::audit::service::AuditError;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use utoipa::ToSchema;

pub(super) fn router() -> Router<ApiState> {
    Router::new().route("/api/v1/audit", get(last))
}

/// The OpenAPI of these routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(last))]
pub(super) struct Doc;

/// One thing that does not add up.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
#[expect(dead_code, reason = "a schema only")]
struct Mismatch {
    /// `balance_vs_ledger`, `order_money`, `payment_refunds` or `sample_billed_twice`.
    #[schema(example = "balance_vs_ledger")]
    kind: String,
    /// `user:<id>`, `order:<no>`, `payment:<no>` or `sample:<charger>/<connector>@<time>`.
    #[schema(example = "user:42")]
    id: String,
    expected: String,
    found: String,
}

/// An unpaid bill: money owed, not a mismatch.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
#[expect(dead_code, reason = "a schema only")]
struct Owed {
    order_no: String,
    user_id: i64,
    #[schema(example = "8.00")]
    amount: String,
}

/// How much the run looked at.
#[derive(ToSchema)]
#[expect(dead_code, reason = "a schema only")]
struct Checked {
    users: i64,
    orders: i64,
    payments: i64,
}

/// A run of the money audit.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
#[expect(dead_code, reason = "a schema only")]
struct AuditAnswer {
    ran_at: chrono::DateTime<chrono::Utc>,
    duration_ms: i64,
    /// Empty when every balance, order and payment adds up.
    mismatches: Vec<Mismatch>,
    owed: Vec<Owed>,
    checked: Checked,
}

/// The money audit's last run: each balance against its ledger, each completed paid order's
/// money against its bill (less the refunds an operator made after it was settled), each
/// payment's refunds against its amount, and energy readings billed by two sessions. Unpaid
/// bills are listed as owed (operators).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", operation_id = "getAudit",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The last run", body = AuditAnswer),
        (status = 404, description = "`not_found`: no audit has run yet", body = super::schemas::ErrorBody),
        super::schemas::OperatorErrors,
    ))]
async fn last(_: Operator, State(state): State<ApiState>) -> Result<Json<AuditReport>, ApiError> {
    match state.audit.last().await {
        Ok(Some(report)) => Ok(Json(report)),
        Ok(None) => Err(ApiError::NotFound("no audit has run yet".into())),
        Err(AuditError::Store(e)) => Err(e.into()),
        Err(e) => Err(ApiError::Internal(e.to_string())),
    }
}
