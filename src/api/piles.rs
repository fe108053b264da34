//! `/api/v1/piles`: a pile is the hub's charger. `POST` creates one (registering its charger,
//! with its Basic auth password); `PUT /api/v1/piles/{code}/station` puts a charger that exists
//! already in a station; reads (by anyone) show each connector's status combined with whether
//! the pile is online.

use super::auth::Operator;
use super::paging::{Page, Paging};
use super::stations::kilowatts;
use super::{ApiError, ApiState};
use crate::domain::ids::ChargerId;
use crate::domain::stations::{ConnectorState, Pile, PileFields, StationError};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, put};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub(super) fn router() -> Router<ApiState> {
    Router::new()
        .route("/api/v1/piles", get(list).post(create))
        .route("/api/v1/piles/{code}", get(detail))
        .route("/api/v1/piles/{code}/station", put(attach))
}

/// The OpenAPI of these routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, create, detail, attach))]
pub(super) struct Doc;

/// A pile as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct PileView {
    code: String,
    name: Option<String>,
    station_code: Option<String>,
    #[serde(rename = "type")]
    pile_type: Option<String>,
    connector_type: Option<String>,
    max_power_kw: Option<f64>,
    rated_voltage: Option<i32>,
    rated_current: Option<i32>,
    /// `ocpp` or `mqtt`.
    protocol: &'static str,
    registration: String,
    online: bool,
    /// `Offline`, `Available`, `Occupied`, `Faulted`, `Unavailable` or `Unknown`.
    status: &'static str,
    last_seen_at: Option<DateTime<Utc>>,
    connectors: Vec<ConnectorView>,
}

/// A pile's connector.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = PileConnectorView)]
#[serde(rename_all = "camelCase")]
struct ConnectorView {
    evse_id: i32,
    connector_id: i32,
    /// `Offline` when the pile is, else what the charger reported.
    status: String,
    /// What the charger last reported.
    reported_status: String,
    error_code: Option<String>,
    status_at: DateTime<Utc>,
}

impl From<Pile> for PileView {
    fn from(p: Pile) -> Self {
        PileView {
            code: p.code.into_string(),
            name: p.name,
            station_code: p.station_code,
            pile_type: p.pile_type,
            connector_type: p.connector_type,
            max_power_kw: p.max_power_w.map(kilowatts),
            rated_voltage: p.rated_voltage_v,
            rated_current: p.rated_current_a,
            protocol: p.protocol.as_str(),
            registration: p.registration,
            online: p.online,
            status: p.status,
            last_seen_at: p.last_seen_at,
            connectors: p.connectors.into_iter().map(ConnectorView::from).collect(),
        }
    }
}

impl From<ConnectorState> for ConnectorView {
    fn from(k: ConnectorState) -> Self {
        ConnectorView {
            evse_id: k.evse_id,
            connector_id: k.connector_id,
            status: k.status,
            reported_status: k.reported,
            error_code: k.error_code,
            status_at: k.status_at,
        }
    }
}

/// `POST /api/v1/piles`
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewPileBody {
    code: String,
    name: String,
    station_code: String,
    /// `AC` or `DC`.
    #[serde(rename = "type")]
    pile_type: String,
    connector_type: Option<String>,
    max_power_kw: f64,
    /// The charger's Basic auth password (16 to 40 characters); none: it connects without.
    password: Option<String>,
    /// Volts.
    rated_voltage: Option<i64>,
    /// Amperes.
    rated_current: Option<i64>,
    /// How the pile talks to csms: `ocpp` (OCPP-J over WebSocket, the default) or `mqtt` (JSON
    /// over MQTT through the broker; its credentials are the broker's, so no `password`).
    protocol: Option<String>,
}

/// Creates a pile in a station, registering its charger (operators).
#[utoipa::path(post, path = "/api/v1/piles", tag = "piles", operation_id = "createPile",
    request_body = NewPileBody,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = PileView),
        (status = 400, description = "`bad_request`: a field is missing or wrong", body = super::schemas::ErrorBody),
        (status = 404, description = "`not_found`: no such station", body = super::schemas::ErrorBody),
        (status = 409, description = "`pile_exists`: the charger exists already (use `PUT /api/v1/piles/{code}/station`)", body = super::schemas::ErrorBody),
        super::schemas::OperatorErrors,
    ))]
async fn create(
    operator: Operator,
    State(state): State<ApiState>,
    body: Bytes,
) -> Result<(StatusCode, Json<PileView>), ApiError> {
    let b: NewPileBody = super::json_body(&body)?;
    let code = ChargerId::parse(b.code)
        .map_err(|_| ApiError::BadRequest("code: 1 to 48 characters, no ':' nor control characters".into()))?;
    let fields = PileFields {
        name: Some(b.name),
        pile_type: Some(b.pile_type),
        connector_type: b.connector_type,
        max_power_kw: Some(b.max_power_kw),
        rated_voltage_v: b.rated_voltage,
        rated_current_a: b.rated_current,
        protocol: b.protocol,
    };
    if fields.protocol.as_deref() == Some("mqtt") && b.password.is_some() {
        return Err(ApiError::BadRequest(
            "password: an MQTT pile signs in to the broker (deploy/mosquitto/add-pile), not to csms".into(),
        ));
    }
    let logged = super::operations::body_json(&body);
    let password_hash = match b.password {
        Some(p) => Some(super::chargers::password_hash(p).await?),
        None => None,
    };
    let created = state.stations.create_pile(&code, &b.station_code, password_hash, fields).await.map_err(|e| {
        match e {
            StationError::PileExists(code) => ApiError::Refused {
                status: StatusCode::CONFLICT,
                code: "pile_exists",
                message: format!(
                    "pile {code} already exists: put an existing charger in a station with PUT /api/v1/piles/{code}/station"
                ),
            },
            other => other.into(),
        }
    })?;
    super::operations::record(&state, &operator, "PileCreate", Some(code), logged).await;
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// `PUT /api/v1/piles/{code}/station`: the station, and any pile fields to set.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AttachBody {
    station_code: String,
    name: Option<String>,
    #[serde(rename = "type")]
    pile_type: Option<String>,
    connector_type: Option<String>,
    max_power_kw: Option<f64>,
    rated_voltage: Option<i64>,
    rated_current: Option<i64>,
    /// `ocpp` or `mqtt` (see `createPile`); none: as it is.
    protocol: Option<String>,
}

/// Puts a charger that exists already in a station as a pile, setting any fields given (operators).
#[utoipa::path(put, path = "/api/v1/piles/{code}/station", tag = "piles", operation_id = "attachPile",
    params(("code" = String, Path, description = "The pile's code: its charger's id")),
    request_body = AttachBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The pile", body = PileView),
        (status = 400, description = "`bad_request`: a field is wrong", body = super::schemas::ErrorBody),
        (status = 404, description = "`not_found`: no such charger or station", body = super::schemas::ErrorBody),
        super::schemas::OperatorErrors,
    ))]
async fn attach(
    operator: Operator,
    State(state): State<ApiState>,
    Path(code): Path<String>,
    body: Bytes,
) -> Result<Json<PileView>, ApiError> {
    let b: AttachBody = super::json_body(&body)?;
    let fields = PileFields {
        name: b.name,
        pile_type: b.pile_type,
        connector_type: b.connector_type,
        max_power_kw: b.max_power_kw,
        rated_voltage_v: b.rated_voltage,
        rated_current_a: b.rated_current,
        protocol: b.protocol,
    };
    // A code that cannot be a charger's names no charger.
    let code = ChargerId::parse(code.as_str()).map_err(|_| StationError::NoPile(code))?;
    let attached = state.stations.attach_pile(&code, &b.station_code, fields).await?;
    super::operations::record(&state, &operator, "PileAttach", Some(code), super::operations::body_json(&body)).await;
    Ok(Json(attached.into()))
}

/// `?station=<code>`, and `page`, `pageSize`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Filter {
    station: Option<String>,
    #[serde(rename = "page")]
    _page: Option<serde::de::IgnoredAny>,
    #[serde(rename = "pageSize")]
    _page_size: Option<serde::de::IgnoredAny>,
}

/// The piles, optionally of one station, paged (anyone).
#[utoipa::path(get, path = "/api/v1/piles", tag = "piles", operation_id = "listPiles",
    params(
        ("station" = Option<String>, Query, description = "Only this station's"),
        super::schemas::PageQuery,
    ),
    responses(
        (status = 200, description = "A page of piles", body = Page<PileView>),
        (status = 400, description = "`bad_request`: an unknown or malformed query parameter", body = super::schemas::ErrorBody),
        (status = 500, description = "`internal`", body = super::schemas::ErrorBody),
    ))]
async fn list(
    State(state): State<ApiState>,
    paging: Paging,
    query: Result<Query<Filter>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Page<PileView>>, ApiError> {
    let Query(filter) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let (piles, total) = state.stations.piles(filter.station.as_deref(), paging.offset(), paging.limit()).await?;
    Ok(Json(paging.of(piles.into_iter().map(PileView::from).collect(), total)))
}

/// A pile with its connectors (anyone).
#[utoipa::path(get, path = "/api/v1/piles/{code}", tag = "piles", operation_id = "getPile",
    params(("code" = String, Path, description = "The pile's code")),
    responses(
        (status = 200, description = "The pile", body = PileView),
        (status = 404, description = "`not_found`: no such pile", body = super::schemas::ErrorBody),
        (status = 500, description = "`internal`", body = super::schemas::ErrorBody),
    ))]
async fn detail(State(state): State<ApiState>, Path(code): Path<String>) -> Result<Json<PileView>, ApiError> {
    let Ok(id) = ChargerId::parse(code.as_str()) else { return Err(StationError::NoPile(code).into()) };
    let (pile, _station) = state.stations.pile(&id).await?.ok_or(StationError::NoPile(code))?;
    Ok(Json(pile.into()))
}
