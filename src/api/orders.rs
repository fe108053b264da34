//! Charging orders: a driver makes, starts, stops and cancels their own; operators list and
//! read all.

use super::auth::Caller;
use super::paging::{Page, Paging};
use super::users::Signed;
use super::{ApiError, ApiState};
use crate::domain::orders::{CreateOrder, OrderError, OrderView, Scope};
use crate::domain::stations::StationError;
use crate::store::OrderFilter;
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
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewOrderBody {
    pile_code: String,
    connector_id: i32,
    pay_mode: String,
    prepay_amount: Option<crate::domain::ledger::AmountText>,
    method: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListQuery {
    status: Option<String>,
    pile: Option<String>,
    user_id: Option<i64>,
}

async fn create(
    State(state): State<ApiState>,
    Signed(user): Signed,
    body: Bytes,
) -> Result<(StatusCode, Json<OrderView>), ApiError> {
    let body: NewOrderBody = super::json_body(&body)?;
    let request = CreateOrder {
        pile_code: body.pile_code,
        connector_id: body.connector_id,
        pay_mode: body.pay_mode,
        prepay_amount: body.prepay_amount.map(|a| a.0),
        method: body.method,
    };
    Ok((StatusCode::CREATED, Json(state.orders.create(&user, request).await?)))
}

async fn list(
    State(state): State<ApiState>,
    caller: Caller,
    paging: Paging,
    Query(query): Query<ListQuery>,
) -> Result<Json<Page<OrderView>>, ApiError> {
    let user_id = match caller.scope {
        Scope::Operator => query.user_id,
        Scope::User(_) => None,
    };
    let filter = OrderFilter { user_id, status: query.status, charger_id: query.pile };
    let (items, total) = state.orders.list(caller.scope, filter, paging.offset(), paging.limit()).await?;
    Ok(Json(paging.of(items, total)))
}

async fn one(
    State(state): State<ApiState>,
    caller: Caller,
    Path(no): Path<String>,
) -> Result<Json<OrderView>, ApiError> {
    Ok(Json(state.orders.get(caller.scope, &no).await?))
}

async fn start(
    State(state): State<ApiState>,
    caller: Caller,
    Path(no): Path<String>,
) -> Result<Json<OrderView>, ApiError> {
    Ok(Json(state.orders.start(caller.scope, &no).await?))
}

async fn stop(
    State(state): State<ApiState>,
    caller: Caller,
    Path(no): Path<String>,
) -> Result<Json<OrderView>, ApiError> {
    Ok(Json(state.orders.stop(caller.scope, &no).await?))
}

async fn cancel(
    State(state): State<ApiState>,
    caller: Caller,
    Path(no): Path<String>,
) -> Result<Json<OrderView>, ApiError> {
    Ok(Json(state.orders.cancel(caller.scope, &no).await?))
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
            OrderError::OrderInProgress(_) => refused(StatusCode::CONFLICT, "order_in_progress", &e),
            OrderError::NoTariff(_) => refused(StatusCode::CONFLICT, "no_tariff", &e),
            OrderError::WrongState(..) => refused(StatusCode::CONFLICT, "invalid_state", &e),
            OrderError::StartRejected => refused(StatusCode::CONFLICT, "start_rejected", &e),
            OrderError::StopRejected => refused(StatusCode::CONFLICT, "stop_rejected", &e),
            OrderError::ChargerSilent(_) => refused(StatusCode::GATEWAY_TIMEOUT, "charger_timeout", &e),
            OrderError::Lock(_) => ApiError::Unavailable(e.to_string()),
            OrderError::Stations(StationError::Invalid { .. }) => ApiError::BadRequest(e.to_string()),
            OrderError::Stations(_) | OrderError::Corrupt(..) => ApiError::Internal(e.to_string()),
            OrderError::Store(_) => ApiError::Internal(e.to_string()),
        }
    }
}
