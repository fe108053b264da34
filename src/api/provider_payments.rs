//! Money through the payment providers: top-ups, the providers' notifications (answered as each
//! provider expects), and the record of a payment's exchanges with its provider (operators).

use super::auth::Operator;
use super::users::Signed;
use super::{ApiError, ApiState};
use crate::domain::ids::PaymentNo;
use crate::domain::ledger::AmountText;
use crate::domain::payments::gateway::{Ack, Refused};
use crate::domain::payments::{NotifyError, PaymentView};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub(super) fn router() -> Router<ApiState> {
    Router::new()
        .route("/api/v1/me/balance/top-up", post(top_up))
        .route("/api/v1/payments/notify/{provider}", post(notify))
        .route("/api/v1/payments/{no}/calls", get(calls))
}

/// The OpenAPI of these routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(top_up, notify, calls))]
pub(super) struct Doc;

/// The exchanges shown per payment, at most.
const CALLS_SHOWN: u64 = 200;

/// `POST /api/v1/me/balance/top-up`
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct TopUpBody {
    /// Yuan as a decimal string, e.g. `"100.00"` (at most `"10000.00"`).
    #[schema(value_type = String, example = "100.00")]
    amount: AmountText,
    /// A provider's name: a payment method (`PaymentMethod`) other than `balance`.
    method: String,
}

/// Tops up the signed-in driver's balance through a provider: pay at `payUrl`; the balance
/// grows when the provider says the payment is paid.
#[utoipa::path(post, path = "/api/v1/me/balance/top-up", tag = "me", operation_id = "topUp",
    request_body = TopUpBody,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The payment, `PENDING`, with its `payUrl`", body = super::schemas::PaymentView),
        (status = 400, description = "`bad_request`: the amount or the method is wrong; `method_unavailable`", body = super::schemas::ErrorBody),
        (status = 502, description = "`provider_error`: the provider did not open the payment", body = super::schemas::ErrorBody),
        super::schemas::SignedErrors,
    ))]
async fn top_up(
    State(state): State<ApiState>,
    Signed(user): Signed,
    body: Bytes,
) -> Result<(StatusCode, Json<PaymentView>), ApiError> {
    let body: TopUpBody = super::json_body(&body)?;
    Ok((StatusCode::CREATED, Json(state.payments.top_up(user.id, &body.amount.0, &body.method).await?)))
}

/// A provider's notification of a payment or a refund's result, signed by the provider: applied
/// once; answered as the provider expects (its own status and body, taken or refused: 204, or
/// 200 with a text such as `success` or `ok`). Money in another currency than yuan is refused
/// (400) and counted.
#[utoipa::path(post, path = "/api/v1/payments/notify/{provider}", tag = "payments", operation_id = "paymentNotification",
    params(("provider" = String, Path, description = "The provider's name: a payment method other than `balance`")),
    request_body(content = String, description = "The provider's notification, as it sends it"),
    responses(
        (status = 200, description = "Taken (a provider that expects a text)"),
        (status = 204, description = "Taken (a provider that expects no body)"),
        (status = 400, description = "Unreadable, its amount is not the payment's or refund's, or its currency not yuan (nothing changes)"),
        (status = 401, description = "Its signature is bad or missing (nothing changes)"),
        (status = 404, description = "No such provider, payment or refund"),
    ))]
async fn notify(
    State(state): State<ApiState>,
    Path(provider): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let headers: Vec<(String, String)> = headers
        .iter()
        .filter_map(|(name, value)| Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned())))
        .collect();
    let outcome = state.payments.notify(&provider, &headers, &body).await;
    let failed = match &outcome {
        Ok(_) => None,
        Err(e) => {
            let status = match e {
                NotifyError::UnknownProvider(_) | NotifyError::UnknownPayment(_) | NotifyError::UnknownRefund(_) => {
                    StatusCode::NOT_FOUND
                }
                NotifyError::Signature(_) => StatusCode::UNAUTHORIZED,
                NotifyError::Unreadable(_) | NotifyError::AmountMismatch { .. } | NotifyError::Currency(_) => {
                    StatusCode::BAD_REQUEST
                }
                NotifyError::Store(_) | NotifyError::Unapplied(_) => StatusCode::INTERNAL_SERVER_ERROR,
            };
            if status.is_server_error() {
                tracing::error!(provider = %provider, error = %e, "payments: a notification could not be applied");
            } else {
                tracing::info!(provider = %provider, error = %e, "payments: a notification refused");
            }
            Some((status, e))
        }
    };
    // Each provider says how it wants to be answered; one csms cannot place is told `fail`.
    let refused = failed.map(|(status, e)| Refused { status: status.as_u16(), message: e.to_string() });
    let ack = match (state.payment_providers.get(&provider), &refused) {
        (Some(known), refused) => known.acknowledge(refused.as_ref()),
        (None, Some(refused)) => Ack::unknown(refused),
        // Taken, yet no provider of that name is on: cannot be (`notify` refuses it first).
        (None, None) => Ack { status: 204, content_type: None, body: String::new() },
    };
    answer(ack)
}

/// An `Ack` as an HTTP response.
fn answer(ack: Ack) -> Response {
    let status = StatusCode::from_u16(ack.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match ack.content_type {
        Some(content_type) => (status, [(CONTENT_TYPE, content_type)], ack.body).into_response(),
        None => status.into_response(),
    }
}

/// One exchange with a provider, as kept.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct CallView {
    provider: String,
    /// `create`, `query`, `close`, `refund` or `notification`.
    operation: String,
    refund_no: Option<String>,
    /// What was sent, or received (signatures left out).
    request: String,
    status: Option<i32>,
    response: Option<String>,
    /// `ok`, or why not.
    outcome: String,
    detail: Option<String>,
    elapsed_ms: i64,
    at: DateTime<Utc>,
}

/// A payment's exchanges with its provider, oldest first (operators).
#[utoipa::path(get, path = "/api/v1/payments/{no}/calls", tag = "payments", operation_id = "listPaymentCalls",
    params(("no" = String, Path, description = "The payment number")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The exchanges", body = Vec<CallView>),
        super::schemas::OperatorErrors,
    ))]
async fn calls(
    State(state): State<ApiState>,
    _operator: Operator,
    Path(no): Path<String>,
) -> Result<Json<Vec<CallView>>, ApiError> {
    // A number that cannot be a payment's has had no exchanges.
    let rows = match PaymentNo::parse(no) {
        Ok(no) => state.payments.calls(&no, CALLS_SHOWN).await?,
        Err(_) => Vec::new(),
    };
    let views = rows
        .into_iter()
        .map(|c| CallView {
            provider: c.provider,
            operation: c.operation,
            refund_no: c.refund_no,
            request: c.request,
            status: c.status,
            response: c.response,
            outcome: c.outcome,
            detail: c.detail,
            elapsed_ms: c.elapsed_ms,
            at: c.created_at,
        })
        .collect();
    Ok(Json(views))
}
