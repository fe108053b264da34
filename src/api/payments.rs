//! Payments and refunds, the balance and its ledger, and operators' balance adjustments.

use super::auth::{Caller, Operator};
use super::paging::{Page, Paging};
use super::users::Signed;
use super::{ApiError, ApiState};
use crate::domain::ids::{OrderNo, PaymentNo};
use crate::domain::ledger::{AmountText, Entry, LedgerError};
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

/// The OpenAPI of these routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(pay, list, one, refund, balance, ledger, adjust, user_ledger))]
pub(super) struct Doc;

/// `POST /api/v1/payments`
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PayBody {
    order_no: String,
    #[schema(value_type = super::schemas::PaymentMethod)]
    method: String,
}

/// `POST /api/v1/payments/{no}/refund`
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct RefundBody {
    /// Yuan as a decimal string, e.g. `"12.30"`.
    #[schema(value_type = String, example = "12.30")]
    amount: AmountText,
    reason: Option<String>,
}

/// `POST /api/v1/users/{id}/balance-adjustments`
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct AdjustBody {
    /// Yuan as a decimal string, negative to take money off, e.g. `"-5.00"`.
    #[schema(value_type = String, example = "20.00")]
    amount: AmountText,
    reason: String,
}

/// A ledger row as shown.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct EntryView {
    id: i64,
    /// Yuan, signed, e.g. `"-12.30"`.
    #[schema(example = "-12.30")]
    amount: String,
    #[schema(example = "87.70")]
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
            amount: e.amount_fen.to_string(),
            balance_after: e.balance_after_fen.to_string(),
            kind: e.kind,
            reference: e.reference,
            reason: e.reason,
            created_at: e.at,
        }
    }
}

/// Pays an order (drivers): from the balance at once, or through a gateway (`payUrl`).
#[utoipa::path(post, path = "/api/v1/payments", tag = "payments", operation_id = "payOrder",
    request_body = PayBody,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The payment", body = super::schemas::PaymentView),
        (status = 400, description = "`bad_request`: a field is wrong; `method_unavailable`", body = super::schemas::ErrorBody),
        (status = 404, description = "`not_found`: no such order of the driver's", body = super::schemas::ErrorBody),
        (status = 409, description = "`nothing_owed` or `insufficient_balance`", body = super::schemas::ErrorBody),
        (status = 502, description = "`provider_error`: the provider did not open the payment", body = super::schemas::ErrorBody),
        super::schemas::SignedErrors,
    ))]
async fn pay(
    State(state): State<ApiState>,
    Signed(user): Signed,
    body: Bytes,
) -> Result<(StatusCode, Json<PaymentView>), ApiError> {
    let body: PayBody = super::json_body(&body)?;
    Ok((
        StatusCode::CREATED,
        Json(state.payments.pay_order(user.id, &parse_order_no(body.order_no)?, &body.method).await?),
    ))
}

/// Payments, newest first, paged: a driver's own, or (operators) everyone's.
#[utoipa::path(get, path = "/api/v1/payments", tag = "payments", operation_id = "listPayments",
    params(super::schemas::PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of payments", body = Page<super::schemas::PaymentView>),
        (status = 400, description = "`bad_request`: `page` or `pageSize` out of range", body = super::schemas::ErrorBody),
        super::schemas::SignedErrors,
    ))]
async fn list(
    State(state): State<ApiState>,
    caller: Caller,
    paging: Paging,
) -> Result<Json<Page<PaymentView>>, ApiError> {
    let (items, total) = state.payments.list(caller.scope, paging.offset(), paging.limit()).await?;
    Ok(Json(paging.of(items, total)))
}

/// A payment with its refunds: the driver's own, or (operators) any.
#[utoipa::path(get, path = "/api/v1/payments/{no}", tag = "payments", operation_id = "getPayment",
    params(("no" = String, Path, description = "The payment number")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The payment", body = super::schemas::PaymentDetail),
        (status = 404, description = "`not_found`: no such payment of the caller's", body = super::schemas::ErrorBody),
        super::schemas::SignedErrors,
    ))]
async fn one(State(state): State<ApiState>, caller: Caller, Path(no): Path<String>) -> Result<Json<Value>, ApiError> {
    let (payment, refunds) = state.payments.payment(caller.scope, &parse_payment_no(no)?).await?;
    let mut body = serde_json::to_value(payment).map_err(|e| ApiError::Internal(e.to_string()))?;
    body["refunds"] = json!(refunds);
    Ok(Json(body))
}

/// Refunds part or all of a payment, to where it came from (operators); written to the
/// operation log with the operator.
#[utoipa::path(post, path = "/api/v1/payments/{no}/refund", tag = "payments", operation_id = "refundPayment",
    params(("no" = String, Path, description = "The payment number")),
    request_body = RefundBody,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The refund", body = super::schemas::RefundView),
        (status = 400, description = "`bad_request`: the amount is not a positive amount of yuan", body = super::schemas::ErrorBody),
        (status = 404, description = "`not_found`: no such payment", body = super::schemas::ErrorBody),
        (status = 409, description = "`refund_exceeds_paid`; `insufficient_balance` (a top-up already spent)", body = super::schemas::ErrorBody),
        super::schemas::OperatorErrors,
    ))]
async fn refund(
    State(state): State<ApiState>,
    operator: Operator,
    Path(no): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<RefundView>), ApiError> {
    let body: RefundBody = super::json_body(&body)?;
    let made = state.payments.refund(&parse_payment_no(no)?, &body.amount.0, body.reason, &operator.actor).await?;
    Ok((StatusCode::CREATED, Json(made)))
}

/// The signed-in user's balance.
#[utoipa::path(get, path = "/api/v1/me/balance", tag = "me", operation_id = "getMyBalance",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The balance", body = super::schemas::Balance),
        super::schemas::SignedErrors,
    ))]
async fn balance(State(state): State<ApiState>, Signed(user): Signed) -> Result<Json<Value>, ApiError> {
    let fen = state.ledger.balance(user.id).await?;
    Ok(Json(json!({"balance": fen.to_string()})))
}

/// The signed-in user's ledger, newest first, paged: one row per change of the balance.
#[utoipa::path(get, path = "/api/v1/me/ledger", tag = "me", operation_id = "listMyLedger",
    params(super::schemas::PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of ledger rows", body = Page<EntryView>),
        (status = 400, description = "`bad_request`: `page` or `pageSize` out of range", body = super::schemas::ErrorBody),
        super::schemas::SignedErrors,
    ))]
async fn ledger(
    State(state): State<ApiState>,
    Signed(user): Signed,
    paging: Paging,
) -> Result<Json<Page<EntryView>>, ApiError> {
    let (rows, total) = state.ledger.entries(user.id, paging.offset(), paging.limit()).await?;
    Ok(Json(paging.of(rows.into_iter().map(EntryView::from).collect(), total)))
}

/// A user's ledger, newest first, paged (operators).
#[utoipa::path(get, path = "/api/v1/users/{id}/ledger", tag = "users", operation_id = "listUserLedger",
    params(("id" = i64, Path, description = "The user's id"), super::schemas::PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of ledger rows", body = Page<EntryView>),
        (status = 400, description = "`bad_request`: `page` or `pageSize` out of range", body = super::schemas::ErrorBody),
        (status = 404, description = "`not_found`: no such user", body = super::schemas::ErrorBody),
        super::schemas::OperatorErrors,
    ))]
async fn user_ledger(
    State(state): State<ApiState>,
    _operator: Operator,
    super::UserId(id): super::UserId,
    paging: Paging,
) -> Result<Json<Page<EntryView>>, ApiError> {
    state.ledger.balance(id).await?;
    let (rows, total) = state.ledger.entries(id, paging.offset(), paging.limit()).await?;
    Ok(Json(paging.of(rows.into_iter().map(EntryView::from).collect(), total)))
}

/// Adds to or takes from a user's balance, with a reason, in the ledger (operators).
#[utoipa::path(post, path = "/api/v1/users/{id}/balance-adjustments", tag = "users", operation_id = "adjustBalance",
    params(("id" = i64, Path, description = "The user's id")),
    request_body = AdjustBody,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Adjusted: the balance after", body = super::schemas::Adjusted),
        (status = 400, description = "`bad_request`: the amount or the reason is wrong", body = super::schemas::ErrorBody),
        (status = 404, description = "`not_found`: no such user", body = super::schemas::ErrorBody),
        (status = 409, description = "`insufficient_balance`: the balance would go negative", body = super::schemas::ErrorBody),
        super::schemas::OperatorErrors,
    ))]
async fn adjust(
    State(state): State<ApiState>,
    operator: Operator,
    super::UserId(id): super::UserId,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let body: AdjustBody = super::json_body(&body)?;
    let after = state.ledger.adjust(id, &body.amount.0, &body.reason, &operator.actor).await?;
    Ok((StatusCode::CREATED, Json(json!({"userId": id, "balance": after.to_string()}))))
}

/// The order number a body names; a text that cannot be one names no order (as an unknown one).
fn parse_order_no(text: String) -> Result<OrderNo, PaymentError> {
    OrderNo::parse(text.as_str()).map_err(|_| PaymentError::NoOrder(text))
}

/// The payment number a path names; a text that cannot be one names no payment.
fn parse_payment_no(text: String) -> Result<PaymentNo, PaymentError> {
    PaymentNo::parse(text.as_str()).map_err(|_| PaymentError::NotFound(text))
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
            PaymentError::Provider(_) => refused(StatusCode::BAD_GATEWAY, "provider_error", &e),
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
