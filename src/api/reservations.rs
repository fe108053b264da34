//! Reservations: a driver holds a free connector for a while (`POST`), sees theirs (`GET`) and
//! gives one up (`DELETE`); operators see and cancel everyone's (a cancellation by an operator
//! refunds the fee).

use super::auth::Caller;
use super::paging::{Page, Paging};
use super::users::Signed;
use super::{ApiError, ApiState};
use crate::domain::ids::ChargerId;
use crate::domain::orders::Scope;
use crate::domain::reservations::{ReservationError, ReservationView, Reserve, Who};
use crate::domain::stations::StationError;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

pub(super) fn router() -> Router<ApiState> {
    Router::new()
        .route("/api/v1/reservations", get(list).post(create))
        .route("/api/v1/reservations/{id}", get(one).delete(cancel))
}

/// The OpenAPI of these routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(create, list, one, cancel))]
pub(super) struct Doc;

/// `POST /api/v1/reservations`
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewReservationBody {
    pile_code: String,
    connector_id: i32,
    /// How long to hold it (1 to `reservations.max_minutes`, which it is when absent).
    #[schema(example = 30)]
    minutes: Option<i64>,
}

/// A reservation as the API shows it.
#[derive(utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[expect(dead_code, reason = "a schema only")]
struct ReservationSchema {
    id: i64,
    user_id: i64,
    pile_code: String,
    evse_id: i32,
    connector_id: i32,
    /// `ACTIVE` (holding the connector), `USED` (the driver's order took it), `EXPIRED`,
    /// `CANCELLED` (by the driver) or `REVOKED` (by an operator or the pile).
    #[schema(example = "ACTIVE")]
    status: String,
    /// What it cost, yuan.
    #[schema(example = "5.00")]
    fee: String,
    /// `HELD`, `CREDITED` (back to the balance once the session started), `KEPT` or `REFUNDED`.
    fee_status: String,
    order_no: Option<String>,
    /// Who ended it early (`user:<id>`, an operator, `pile`).
    ended_by: Option<String>,
    expires_at: chrono::DateTime<chrono::Utc>,
    created_at: chrono::DateTime<chrono::Utc>,
    ended_at: Option<chrono::DateTime<chrono::Utc>>,
}

fn who(caller: &Caller) -> Who {
    match caller.scope {
        Scope::User(id) => Who::Driver(id),
        Scope::Operator => Who::Operator(caller.actor.clone()),
    }
}

/// Reserves a free connector of an online pile (drivers): the fee (`reservations.fee`) is taken
/// from the balance; an OCPP pile is sent ReserveNow, an MQTT pile is held in csms.
#[utoipa::path(post, path = "/api/v1/reservations", tag = "reservations", operation_id = "createReservation",
    request_body = NewReservationBody,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Reserved", body = ReservationSchema),
        (status = 400, description = "`bad_request`: a field is missing or wrong", body = super::schemas::ErrorBody),
        (status = 404, description = "`not_found`: no such pile or connector", body = super::schemas::ErrorBody),
        (status = 409, description = "`pile_offline`, `pile_busy`, `reserved`, `reservation_in_progress` (the driver holds one), `insufficient_balance` or `reservation_rejected` (the pile refused)", body = super::schemas::ErrorBody),
        (status = 504, description = "`charger_timeout`: the pile did not answer (the fee is refunded)", body = super::schemas::ErrorBody),
        super::schemas::SignedErrors,
    ))]
async fn create(
    State(state): State<ApiState>,
    Signed(user): Signed,
    body: Bytes,
) -> Result<(StatusCode, Json<ReservationView>), ApiError> {
    let body: NewReservationBody = super::json_body(&body)?;
    let pile_code = ChargerId::parse(body.pile_code.as_str()).map_err(|_| ReservationError::NoPile(body.pile_code))?;
    let request = Reserve { pile_code, connector_id: body.connector_id, minutes: body.minutes };
    Ok((StatusCode::CREATED, Json(state.reservations.reserve(&user, request).await?)))
}

/// Reservations, newest first, paged: a driver's own, or (operators) everyone's.
#[utoipa::path(get, path = "/api/v1/reservations", tag = "reservations", operation_id = "listReservations",
    params(super::schemas::PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of reservations", body = Page<ReservationSchema>),
        (status = 400, description = "`bad_request`: `page` or `pageSize` out of range", body = super::schemas::ErrorBody),
        super::schemas::SignedErrors,
    ))]
async fn list(
    State(state): State<ApiState>,
    caller: Caller,
    paging: Paging,
) -> Result<Json<Page<ReservationView>>, ApiError> {
    let (items, total) = state.reservations.list(&who(&caller), paging.offset(), paging.limit()).await?;
    Ok(Json(paging.of(items, total)))
}

/// A reservation: the driver's own, or (operators) any.
#[utoipa::path(get, path = "/api/v1/reservations/{id}", tag = "reservations", operation_id = "getReservation",
    params(("id" = i64, Path, description = "The reservation's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The reservation", body = ReservationSchema),
        (status = 404, description = "`not_found`: no such reservation of the caller's", body = super::schemas::ErrorBody),
        super::schemas::SignedErrors,
    ))]
async fn one(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ReservationView>, ApiError> {
    Ok(Json(state.reservations.get(&who(&caller), reservation_id(&id)?).await?))
}

/// Gives up a reservation (the driver: the fee is kept) or cancels it (an operator: the fee is
/// refunded); the pile is sent CancelReservation.
#[utoipa::path(delete, path = "/api/v1/reservations/{id}", tag = "reservations", operation_id = "cancelReservation",
    params(("id" = i64, Path, description = "The reservation's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The reservation, ended", body = ReservationSchema),
        (status = 404, description = "`not_found`: no such reservation of the caller's", body = super::schemas::ErrorBody),
        (status = 409, description = "`invalid_state`: it is not active any more", body = super::schemas::ErrorBody),
        super::schemas::SignedErrors,
    ))]
async fn cancel(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ReservationView>, ApiError> {
    Ok(Json(state.reservations.cancel(&who(&caller), reservation_id(&id)?).await?))
}

/// The id a path names; a text that cannot be one names no reservation.
fn reservation_id(text: &str) -> Result<i64, ReservationError> {
    text.parse().map_err(|_| ReservationError::NotFound(text.to_owned()))
}

impl From<ReservationError> for ApiError {
    fn from(e: ReservationError) -> Self {
        let refused = |status, code, e: &ReservationError| ApiError::Refused { status, code, message: e.to_string() };
        match &e {
            ReservationError::Invalid { .. } => ApiError::BadRequest(e.to_string()),
            ReservationError::NotFound(_) | ReservationError::NoPile(_) | ReservationError::NoConnector(..) => {
                refused(StatusCode::NOT_FOUND, "not_found", &e)
            }
            ReservationError::PileOffline(_) => refused(StatusCode::CONFLICT, "pile_offline", &e),
            ReservationError::PileBusy(..) => refused(StatusCode::CONFLICT, "pile_busy", &e),
            ReservationError::Reserved(..) => refused(StatusCode::CONFLICT, "reserved", &e),
            ReservationError::AlreadyReserving => refused(StatusCode::CONFLICT, "reservation_in_progress", &e),
            ReservationError::InsufficientBalance => refused(StatusCode::CONFLICT, "insufficient_balance", &e),
            ReservationError::Refused => refused(StatusCode::CONFLICT, "reservation_rejected", &e),
            ReservationError::NotActive(_) => refused(StatusCode::CONFLICT, "invalid_state", &e),
            ReservationError::PileSilent(_) => refused(StatusCode::GATEWAY_TIMEOUT, "charger_timeout", &e),
            ReservationError::ClusterUnavailable => refused(StatusCode::SERVICE_UNAVAILABLE, "cluster_unavailable", &e),
            ReservationError::Lock(_) => ApiError::Unavailable(e.to_string()),
            ReservationError::Stations(StationError::Invalid { .. }) => ApiError::BadRequest(e.to_string()),
            ReservationError::Stations(_) | ReservationError::Store(_) => ApiError::Internal(e.to_string()),
        }
    }
}
