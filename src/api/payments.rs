//! Payments and refunds, the balance and its ledger, and operators' balance adjustments.

use super::auth::{Caller, Operator};
use super::paging::{Page, Paging};
use super::users::Signed;
use super::{ApiError, ApiState};
use crate::domain::ledger::{AmountText, Entry, LedgerError, fen_string};
use crate::domain::payments::{PaymentError, PaymentView, RefundView};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

pub(super) fn router() -> Router<ApiState> {
    Router::new()
        .route("/api/v1/payments", get(list).post(pay))
        .route("/api/v1/payments/{no}", get(one))
        .route("/api/v1/payments/{no}/refund", post(refund))
        .route("/api/v1/me/balance", get(balance))
        .route("/api/v1/me/ledger", get(ledger))
        .route("/api/v1/users/{id}/balance-adjustments", post(adjust))
        .route("/api/v1/users/{id}/ledger", get(user_ledger))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PayBody {
    order_no: String,
    method: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RefundBody {
    amount: AmountText,
    reason: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AdjustBody {
    amount: AmountText,
    reason: String,
}

/// A ledger row as shown.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct EntryView {
    id: i64,
    amount: String,
    balance_after: String,
    kind: String,
    reference: Option<String>,
    reason: Option<String>,
    created_at: DateTime<Utc>,
}

impl From<Entry> for EntryView {
    fn from(e: Entry) -> Self {
        EntryView {
            id: e.id,
            amount: fen_string(e.amount_fen),
            balance_after: fen_string(e.balance_after_fen),
            kind: e.kind,
            reference: e.reference,
            reason: e.reason,
            created_at: e.at,
        }
    }
}

async fn pay(
    State(state): State<ApiState>,
    Signed(user): Signed,
    body: Bytes,
) -> Result<(StatusCode, Json<PaymentView>), ApiError> {
    let body: PayBody = super::json_body(&body)?;
    Ok((StatusCode::CREATED, Json(state.payments.pay_order(user.id, &body.order_no, &body.method).await?)))
}

async fn list(
    State(state): State<ApiState>,
    caller: Caller,
    paging: Paging,
) -> Result<Json<Page<PaymentView>>, ApiError> {
    let (items, total) = state.payments.list(caller.scope, paging.offset(), paging.limit()).await?;
    Ok(Json(paging.of(items, total)))
}

async fn one(State(state): State<ApiState>, caller: Caller, Path(no): Path<String>) -> Result<Json<Value>, ApiError> {
    let (payment, refunds) = state.payments.payment(caller.scope, &no).await?;
    let mut body = serde_json::to_value(payment).map_err(|e| ApiError::Internal(e.to_string()))?;
    body["refunds"] = json!(refunds);
    Ok(Json(body))
}

async fn refund(
    State(state): State<ApiState>,
    _operator: Operator,
    Path(no): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<RefundView>), ApiError> {
    let body: RefundBody = super::json_body(&body)?;
    Ok((StatusCode::CREATED, Json(state.payments.refund(&no, &body.amount.0, body.reason).await?)))
}

async fn balance(State(state): State<ApiState>, Signed(user): Signed) -> Result<Json<Value>, ApiError> {
    let fen = state.ledger.balance(user.id).await?;
    Ok(Json(json!({"balance": fen_string(fen)})))
}

async fn ledger(
    State(state): State<ApiState>,
    Signed(user): Signed,
    paging: Paging,
) -> Result<Json<Page<EntryView>>, ApiError> {
    let (rows, total) = state.ledger.entries(user.id, paging.offset(), paging.limit()).await?;
    Ok(Json(paging.of(rows.into_iter().map(EntryView::from).collect(), total)))
}

async fn user_ledger(
    State(state): State<ApiState>,
    _operator: Operator,
    Path(id): Path<i64>,
    paging: Paging,
) -> Result<Json<Page<EntryView>>, ApiError> {
    state.ledger.balance(id).await?;
    let (rows, total) = state.ledger.entries(id, paging.offset(), paging.limit()).await?;
    Ok(Json(paging.of(rows.into_iter().map(EntryView::from).collect(), total)))
}

async fn adjust(
    State(state): State<ApiState>,
    operator: Operator,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let body: AdjustBody = super::json_body(&body)?;
    let after = state.ledger.adjust(id, &body.amount.0, &body.reason, &operator.actor).await?;
    Ok((StatusCode::CREATED, Json(json!({"userId": id, "balance": fen_string(after)}))))
}

impl From<PaymentError> for ApiError {
    fn from(e: PaymentError) -> Self {
        let refused = |status, code, e: &PaymentError| ApiError::Refused { status, code, message: e.to_string() };
        match &e {
            PaymentError::Invalid { .. } | PaymentError::Money(_) => ApiError::BadRequest(e.to_string()),
            PaymentError::NoOrder(_) | PaymentError::NotFound(_) => refused(StatusCode::NOT_FOUND, "not_found", &e),
            PaymentError::NothingOwed(_) => refused(StatusCode::CONFLICT, "nothing_owed", &e),
            PaymentError::InsufficientBalance => refused(StatusCode::CONFLICT, "insufficient_balance", &e),
            PaymentError::MethodUnavailable(_) => refused(StatusCode::BAD_REQUEST, "method_unavailable", &e),
            PaymentError::RefundTooLarge => refused(StatusCode::CONFLICT, "refund_exceeds_paid", &e),
            PaymentError::Store(_) => ApiError::Internal(e.to_string()),
        }
    }
}

impl From<LedgerError> for ApiError {
    fn from(e: LedgerError) -> Self {
        match &e {
            LedgerError::InsufficientBalance => {
                ApiError::Refused { status: StatusCode::CONFLICT, code: "insufficient_balance", message: e.to_string() }
            }
            LedgerError::NoUser => ApiError::NotFound("user".into()),
            LedgerError::Reason | LedgerError::Money(_) => ApiError::BadRequest(e.to_string()),
            LedgerError::Store(_) => ApiError::Internal(e.to_string()),
        }
    }
}
