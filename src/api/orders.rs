//! Charging orders: a driver makes, starts, stops and cancels their own; operators list and
//! read all, and settle those in review.

use super::auth::{Caller, Operator};
use super::paging::{Page, Paging};
use super::users::Signed;
use super::{ApiError, ApiState};
use crate::domain::ids::ChargerId;
use crate::domain::ids::OrderNo;
use crate::domain::orders::records::OrderFilter;
use crate::domain::orders::{CreateOrder, LimitRequest, OrderError, OrderView, ReviewDecision, Scope};
use crate::domain::stations::StationError;
use crate::domain::units::Wh;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

pub(super) fn router() -> Router<ApiState> {
    Router::new()
        .route("/api/v1/orders", get(list).post(create))
        .route("/api/v1/orders/{no}", get(one))
        .route("/api/v1/orders/{no}/start", post(start))
        .route("/api/v1/orders/{no}/stop", post(stop))
        .route("/api/v1/orders/{no}/cancel", post(cancel))
        .route("/api/v1/orders/{no}/review", post(review))
}

/// The OpenAPI of these routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(create, list, one, start, stop, cancel, review))]
pub(super) struct Doc;

/// `POST /api/v1/orders`
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewOrderBody {
    pile_code: String,
    connector_id: i32,
    /// `prepaid` (from the balance, stopped when it runs out) or `postpaid`.
    pay_mode: String,
    /// Yuan as a decimal string, e.g. `"50.00"` (prepaid).
    #[schema(value_type = Option<String>, example = "50.00")]
    prepay_amount: Option<crate::domain::ledger::AmountText>,
    /// The payment method.
    method: Option<String>,
    /// Where a settlement gives back what a prepaid amount did not use: `original` (the method
    /// that paid, the default) or `balance`.
    refund_to: Option<String>,
    /// A target: csms stops the session once it is reached.
    limit: Option<LimitBody>,
}

/// A driver's target: `amount` (yuan, 0.01 to 10000.00), `energy` (kWh, at most three decimal
/// places, up to 1000), `duration` (whole seconds, 60 to 172800) or `soc` (whole percent, 1 to
/// 100; only on a pile that reports the state of charge, else 400 `soc_unavailable`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct LimitBody {
    #[schema(example = "energy")]
    kind: String,
    /// A JSON number or a decimal string.
    #[schema(value_type = String, example = "20")]
    value: serde_json::Value,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListQuery {
    status: Option<String>,
    pile: Option<String>,
    user_id: Option<i64>,
}

/// Makes a charging order for a connector of a pile (drivers).
#[utoipa::path(post, path = "/api/v1/orders", tag = "orders", operation_id = "createOrder",
    request_body = NewOrderBody,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = super::schemas::OrderView),
        (status = 400, description = "`bad_request`: a field is missing or wrong; `soc_unavailable`: a `soc` target on a pile that does not report the state of charge", body = super::schemas::ErrorBody),
        (status = 404, description = "`not_found`: no such pile or connector", body = super::schemas::ErrorBody),
        (status = 409, description = "`pile_offline`, `pile_busy`, `reserved` (another driver holds the connector), `order_in_progress` (the driver has one), `unpaid_orders` (a bill of theirs is not paid) or `no_tariff`", body = super::schemas::ErrorBody),
        (status = 504, description = "`charger_timeout`: the pile did not say whether it reports the state of charge", body = super::schemas::ErrorBody),
        (status = 503, description = "`unavailable`: the pile's lock could not be taken", body = super::schemas::ErrorBody),
        super::schemas::SignedErrors,
    ))]
async fn create(
    State(state): State<ApiState>,
    Signed(user): Signed,
    body: Bytes,
) -> Result<(StatusCode, Json<OrderView>), ApiError> {
    let body: NewOrderBody = super::json_body(&body)?;
    // A code that cannot be a charger's names no pile.
    let pile_code = ChargerId::parse(body.pile_code.as_str()).map_err(|_| OrderError::NoPile(body.pile_code))?;
    let request = CreateOrder {
        pile_code,
        connector_id: body.connector_id,
        pay_mode: body.pay_mode,
        prepay_amount: body.prepay_amount.map(|a| a.0),
        method: body.method,
        refund_to: body.refund_to,
        limit: body.limit.map(|l| LimitRequest { kind: l.kind, value: l.value }),
    };
    Ok((StatusCode::CREATED, Json(state.orders.create(&user, request).await?)))
}

/// Orders, newest first, paged: a driver's own, or (operators) everyone's.
#[utoipa::path(get, path = "/api/v1/orders", tag = "orders", operation_id = "listOrders",
    params(
        ("status" = Option<String>, Query, description = "Only orders in this status"),
        ("pile" = Option<String>, Query, description = "Only this pile's"),
        ("userId" = Option<i64>, Query, description = "Only this user's (operators; ignored for drivers)"),
        super::schemas::PageQuery,
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of orders", body = Page<super::schemas::OrderView>),
        (status = 400, description = "`bad_request`: `page` or `pageSize` out of range", body = super::schemas::ErrorBody),
        super::schemas::SignedErrors,
    ))]
async fn list(
    State(state): State<ApiState>,
    caller: Caller,
    paging: Paging,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Page<OrderView>>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let user_id = match caller.scope {
        Scope::Operator => query.user_id,
        Scope::User(_) => None,
    };
    // A pile that cannot be a charger's has no orders.
    let charger_id = match query.pile.map(ChargerId::parse).transpose() {
        Ok(charger_id) => charger_id,
        Err(_) => return Ok(Json(paging.of(Vec::new(), 0))),
    };
    let filter = OrderFilter { user_id, status: query.status, charger_id };
    let (items, total) = state.orders.list(caller.scope, filter, paging.offset(), paging.limit()).await?;
    Ok(Json(paging.of(items, total)))
}

/// An order: the driver's own, or (operators) any; while charging, with its live reading.
#[utoipa::path(get, path = "/api/v1/orders/{no}", tag = "orders", operation_id = "getOrder",
    params(("no" = String, Path, description = "The order number")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The order", body = super::schemas::OrderView),
        (status = 404, description = "`not_found`: no such order of the caller's", body = super::schemas::ErrorBody),
        super::schemas::SignedErrors,
    ))]
async fn one(
    State(state): State<ApiState>,
    caller: Caller,
    Path(no): Path<String>,
) -> Result<Json<OrderView>, ApiError> {
    Ok(Json(state.orders.get(caller.scope, &order_no(no)?).await?))
}

/// Starts charging: a remote start sent to the pile in its OCPP version.
#[utoipa::path(post, path = "/api/v1/orders/{no}/start", tag = "orders", operation_id = "startOrder",
    params(("no" = String, Path, description = "The order number")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The order, charging", body = super::schemas::OrderView),
        (status = 404, description = "`not_found`: no such order of the caller's", body = super::schemas::ErrorBody),
        (status = 409, description = "`invalid_state`, `pile_offline` or `start_rejected` (the pile refused)", body = super::schemas::ErrorBody),
        (status = 504, description = "`charger_timeout`: the pile did not answer", body = super::schemas::ErrorBody),
        super::schemas::SignedErrors,
    ))]
async fn start(
    State(state): State<ApiState>,
    caller: Caller,
    Path(no): Path<String>,
) -> Result<Json<OrderView>, ApiError> {
    Ok(Json(state.orders.start(caller.scope, &order_no(no)?).await?))
}

/// Stops charging: a remote stop sent to the pile; the order is billed when the pile reports the end.
#[utoipa::path(post, path = "/api/v1/orders/{no}/stop", tag = "orders", operation_id = "stopOrder",
    params(("no" = String, Path, description = "The order number")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The order", body = super::schemas::OrderView),
        (status = 404, description = "`not_found`: no such order of the caller's", body = super::schemas::ErrorBody),
        (status = 409, description = "`invalid_state`, `pile_offline` or `stop_rejected` (the pile refused)", body = super::schemas::ErrorBody),
        (status = 504, description = "`charger_timeout`: the pile did not answer", body = super::schemas::ErrorBody),
        super::schemas::SignedErrors,
    ))]
async fn stop(
    State(state): State<ApiState>,
    caller: Caller,
    Path(no): Path<String>,
) -> Result<Json<OrderView>, ApiError> {
    Ok(Json(state.orders.stop(caller.scope, &order_no(no)?).await?))
}

/// Cancels an order that has not started charging.
#[utoipa::path(post, path = "/api/v1/orders/{no}/cancel", tag = "orders", operation_id = "cancelOrder",
    params(("no" = String, Path, description = "The order number")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The order, cancelled", body = super::schemas::OrderView),
        (status = 404, description = "`not_found`: no such order of the caller's", body = super::schemas::ErrorBody),
        (status = 409, description = "`invalid_state`: it has started or ended", body = super::schemas::ErrorBody),
        super::schemas::SignedErrors,
    ))]
async fn cancel(
    State(state): State<ApiState>,
    caller: Caller,
    Path(no): Path<String>,
) -> Result<Json<OrderView>, ApiError> {
    Ok(Json(state.orders.cancel(caller.scope, &order_no(no)?).await?))
}

/// `POST /api/v1/orders/{no}/review`
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ReviewBody {
    /// The energy to bill, Wh: spread over the tariff's periods along the session's plausible
    /// readings, as a session billed by itself.
    #[schema(example = 3000)]
    energy_wh: i64,
    /// Why: written to the operation log with the operator.
    #[schema(example = "meter replaced during the session; energy from the vehicle's log")]
    reason: String,
}

/// Settles an order in `REVIEW` (operators): bills the energy given and settles it against what
/// was paid, as a session billed by itself; the operator and the reason go to the operation log.
#[utoipa::path(post, path = "/api/v1/orders/{no}/review", tag = "orders", operation_id = "reviewOrder",
    params(("no" = String, Path, description = "The order number")),
    request_body = ReviewBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The order, completed", body = super::schemas::OrderView),
        (status = 400, description = "`bad_request`: `energyWh` negative or too large, `reason` empty", body = super::schemas::ErrorBody),
        (status = 404, description = "`not_found`: no such order", body = super::schemas::ErrorBody),
        (status = 409, description = "`invalid_state`: the order is not in review", body = super::schemas::ErrorBody),
        super::schemas::OperatorErrors,
    ))]
async fn review(
    State(state): State<ApiState>,
    operator: Operator,
    Path(no): Path<String>,
    body: Bytes,
) -> Result<Json<OrderView>, ApiError> {
    let body: ReviewBody = super::json_body(&body)?;
    if body.energy_wh < 0 {
        return Err(ApiError::BadRequest("energyWh: must not be negative".into()));
    }
    let reason = body.reason.trim();
    if reason.is_empty() {
        return Err(ApiError::BadRequest("reason: say why this energy is billed".into()));
    }
    let decision = ReviewDecision { energy_wh: Wh(body.energy_wh), reason: reason.to_owned(), actor: operator.actor };
    Ok(Json(state.orders.review(&order_no(no)?, decision).await?))
}

/// The order number a path names; a text that cannot be one names no order (as an unknown one).
fn order_no(text: String) -> Result<OrderNo, OrderError> {
    OrderNo::parse(text.as_str()).map_err(|_| OrderError::NotFound(text))
}

impl From<OrderError> for ApiError {
    fn from(e: OrderError) -> Self {
        let refused = |status, code, e: &OrderError| ApiError::Refused { status, code, message: e.to_string() };
        match &e {
            OrderError::Invalid { .. } | OrderError::Money(_) => ApiError::BadRequest(e.to_string()),
            OrderError::NotFound(_) | OrderError::NoPile(_) | OrderError::NoConnector(..) => {
                refused(StatusCode::NOT_FOUND, "not_found", &e)
            }
            OrderError::PileOffline(_) => refused(StatusCode::CONFLICT, "pile_offline", &e),
            OrderError::PileBusy(..) => refused(StatusCode::CONFLICT, "pile_busy", &e),
            OrderError::Reserved(..) => refused(StatusCode::CONFLICT, "reserved", &e),
            OrderError::OrderInProgress(_) => refused(StatusCode::CONFLICT, "order_in_progress", &e),
            OrderError::UnpaidOrders(_) => refused(StatusCode::CONFLICT, "unpaid_orders", &e),
            OrderError::NoTariff(_) => refused(StatusCode::CONFLICT, "no_tariff", &e),
            OrderError::SocUnavailable(_) => refused(StatusCode::BAD_REQUEST, "soc_unavailable", &e),
            OrderError::WrongState(..) => refused(StatusCode::CONFLICT, "invalid_state", &e),
            OrderError::StartRejected => refused(StatusCode::CONFLICT, "start_rejected", &e),
            OrderError::StopRejected => refused(StatusCode::CONFLICT, "stop_rejected", &e),
            OrderError::ChargerSilent(_) => refused(StatusCode::GATEWAY_TIMEOUT, "charger_timeout", &e),
            OrderError::ClusterUnavailable => refused(StatusCode::SERVICE_UNAVAILABLE, "cluster_unavailable", &e),
            OrderError::Lock(_) | OrderError::Busy(_) => ApiError::Unavailable(e.to_string()),
            OrderError::Stations(StationError::Invalid { .. }) => ApiError::BadRequest(e.to_string()),
            OrderError::Stations(_) | OrderError::Corrupt(..) => ApiError::Internal(e.to_string()),
            OrderError::Store(_) => ApiError::Internal(e.to_string()),
        }
    }
}
