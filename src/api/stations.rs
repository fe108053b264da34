//! `/api/v1/stations`: stations (read by anyone, changed by operators), the stations near a
//! point with their free connectors, and each station's tariff.

use super::auth::Operator;
use super::paging::{Page, Paging};
use super::{ApiError, ApiState};
use crate::domain::stations::{NewStation, Station, StationChange, StationError};
use crate::domain::tariffs::{Tariff, TariffSpec};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub(super) fn router() -> Router<ApiState> {
    Router::new()
        .route("/api/v1/stations", get(list).post(create))
        .route("/api/v1/stations/{code}", get(detail).patch(change).delete(remove))
        .route("/api/v1/stations/{code}/tariff", get(tariff).put(put_tariff))
}

/// The OpenAPI of these routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, create, detail, change, remove, tariff, put_tariff))]
pub(super) struct Doc;

impl From<StationError> for ApiError {
    fn from(e: StationError) -> Self {
        let message = e.to_string();
        let refused = |status, code| ApiError::Refused { status, code, message: message.clone() };
        match e {
            StationError::Invalid { .. } | StationError::Tariff(_) => ApiError::BadRequest(message.clone()),
            StationError::StationExists(_) => refused(StatusCode::CONFLICT, "station_exists"),
            StationError::PileExists(_) => refused(StatusCode::CONFLICT, "pile_exists"),
            StationError::HasPiles(_) => refused(StatusCode::CONFLICT, "station_has_piles"),
            StationError::NoStation(code) => ApiError::NotFound(format!("station {code}")),
            StationError::NoPile(code) => ApiError::NotFound(format!("pile {code}")),
            StationError::Corrupt(detail) => ApiError::Internal(detail),
            StationError::Store(e) => e.into(),
        }
    }
}

/// A station as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct StationView {
    code: String,
    name: String,
    province: String,
    city: String,
    district: String,
    address: String,
    lng: f64,
    lat: f64,
    operator: Option<String>,
    status: String,
    timezone: String,
    /// The most power a session may draw (kW); null: no limit.
    session_max_power_kw: Option<f64>,
    /// The longest a session may last (s); null: no limit. csms stops a session that reaches it.
    session_max_time_s: Option<i64>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Station> for StationView {
    fn from(s: Station) -> Self {
        StationView {
            timezone: s.timezone.name().to_owned(),
            code: s.code,
            name: s.name,
            province: s.province,
            city: s.city,
            district: s.district,
            address: s.address,
            lng: s.lng,
            lat: s.lat,
            operator: s.operator,
            status: s.status,
            session_max_power_kw: s.session.max_power_w.map(|w| w as f64 / 1000.0),
            session_max_time_s: s.session.max_time_s,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// `POST /api/v1/stations`
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewStationBody {
    code: String,
    name: String,
    province: String,
    city: String,
    district: String,
    address: String,
    lng: f64,
    lat: f64,
    /// An IANA zone; `Asia/Shanghai` when absent.
    timezone: Option<String>,
    operator: Option<String>,
    /// `open` (default) or `closed`.
    status: Option<String>,
    /// The most power a session may draw, in kW (absent: no limit): an OCPP pile that does
    /// smart charging gets it as a TxProfile with the start, an MQTT pile as `maxPower`.
    #[schema(example = 100.0)]
    session_max_power_kw: Option<f64>,
    /// The longest a session may last, in seconds (60 to 604800; absent: no limit): csms stops
    /// a session that reaches it.
    #[schema(example = 7200)]
    session_max_time_s: Option<i64>,
}

/// Creates a station (operators).
#[utoipa::path(post, path = "/api/v1/stations", tag = "stations", operation_id = "createStation",
    request_body = NewStationBody,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = StationView),
        (status = 400, description = "`bad_request`: a field is missing or wrong", body = super::schemas::ErrorBody),
        (status = 409, description = "`station_exists`", body = super::schemas::ErrorBody),
        super::schemas::OperatorErrors,
    ))]
async fn create(
    operator: Operator,
    State(state): State<ApiState>,
    body: Bytes,
) -> Result<(StatusCode, Json<StationView>), ApiError> {
    let b: NewStationBody = super::json_body(&body)?;
    let new = NewStation {
        code: b.code,
        name: b.name,
        province: b.province,
        city: b.city,
        district: b.district,
        address: b.address,
        lng: b.lng,
        lat: b.lat,
        timezone: b.timezone,
        operator: b.operator,
        status: b.status,
        session_max_power_kw: b.session_max_power_kw,
        session_max_time_s: b.session_max_time_s,
    };
    let created = state.stations.create(new).await?;
    super::operations::record(&state, &operator, "StationCreate", None, super::operations::body_json(&body)).await;
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// The stations, paged (anyone).
#[utoipa::path(get, path = "/api/v1/stations", tag = "stations", operation_id = "listStations",
    params(super::schemas::PageQuery),
    responses(
        (status = 200, description = "A page of stations", body = Page<StationView>),
        (status = 400, description = "`bad_request`: `page` or `pageSize` out of range", body = super::schemas::ErrorBody),
        (status = 500, description = "`internal`", body = super::schemas::ErrorBody),
    ))]
async fn list(State(state): State<ApiState>, paging: Paging) -> Result<Json<Page<StationView>>, ApiError> {
    let (stations, total) = state.stations.stations(paging.offset(), paging.limit()).await?;
    Ok(Json(paging.of(stations.into_iter().map(StationView::from).collect(), total)))
}

/// A station (anyone).
#[utoipa::path(get, path = "/api/v1/stations/{code}", tag = "stations", operation_id = "getStation",
    params(("code" = String, Path, description = "The station's code")),
    responses(
        (status = 200, description = "The station", body = StationView),
        (status = 404, description = "`not_found`: no such station", body = super::schemas::ErrorBody),
        (status = 500, description = "`internal`", body = super::schemas::ErrorBody),
    ))]
async fn detail(State(state): State<ApiState>, Path(code): Path<String>) -> Result<Json<StationView>, ApiError> {
    let station = state.stations.station(&code).await?.ok_or(StationError::NoStation(code))?;
    Ok(Json(station.into()))
}

/// `PATCH /api/v1/stations/{code}`: the fields given change; `"operator": null` removes it, and
/// `null` for a session limit removes that limit.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct StationChangeBody {
    name: Option<String>,
    province: Option<String>,
    city: Option<String>,
    district: Option<String>,
    address: Option<String>,
    lng: Option<f64>,
    lat: Option<f64>,
    timezone: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    operator: Option<Option<String>>,
    status: Option<String>,
    /// kW; `null` removes the limit.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<f64>)]
    session_max_power_kw: Option<Option<f64>>,
    /// Seconds; `null` removes the limit.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    session_max_time_s: Option<Option<i64>>,
}

/// A field that is present, even as `null` (`Some(None)`), apart from one that is absent (`None`).
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// Changes a station (operators).
#[utoipa::path(patch, path = "/api/v1/stations/{code}", tag = "stations", operation_id = "changeStation",
    params(("code" = String, Path, description = "The station's code")),
    request_body = StationChangeBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The station as changed", body = StationView),
        (status = 400, description = "`bad_request`: a field is wrong", body = super::schemas::ErrorBody),
        (status = 404, description = "`not_found`: no such station", body = super::schemas::ErrorBody),
        super::schemas::OperatorErrors,
    ))]
async fn change(
    operator: Operator,
    State(state): State<ApiState>,
    Path(code): Path<String>,
    body: Bytes,
) -> Result<Json<StationView>, ApiError> {
    let b: StationChangeBody = super::json_body(&body)?;
    let change = StationChange {
        name: b.name,
        province: b.province,
        city: b.city,
        district: b.district,
        address: b.address,
        lng: b.lng,
        lat: b.lat,
        timezone: b.timezone,
        operator: b.operator,
        status: b.status,
        session_max_power_kw: b.session_max_power_kw,
        session_max_time_s: b.session_max_time_s,
    };
    let changed = state.stations.change(&code, change).await?;
    let mut logged = super::operations::body_json(&body);
    logged["code"] = code.into();
    super::operations::record(&state, &operator, "StationChange", None, logged).await;
    Ok(Json(changed.into()))
}

/// Deletes a station that has no piles (operators).
#[utoipa::path(delete, path = "/api/v1/stations/{code}", tag = "stations", operation_id = "deleteStation",
    params(("code" = String, Path, description = "The station's code")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "`not_found`: no such station", body = super::schemas::ErrorBody),
        (status = 409, description = "`station_has_piles`", body = super::schemas::ErrorBody),
        super::schemas::OperatorErrors,
    ))]
async fn remove(
    operator: Operator,
    State(state): State<ApiState>,
    Path(code): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.stations.delete(&code).await?;
    let logged = serde_json::json!({"code": code});
    super::operations::record(&state, &operator, "StationDelete", None, logged).await;
    Ok(StatusCode::NO_CONTENT)
}

/// `?group=`: a price group's tariff (a fleet, the staff) instead of the station's own.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Group {
    group: Option<String>,
}

/// `PUT /api/v1/stations/{code}/tariff[?group=]`: a `TariffSpec`; the stored tariff is answered.
/// With `group`, the tariff drivers of that price group pay at the station.
#[utoipa::path(put, path = "/api/v1/stations/{code}/tariff", tag = "stations", operation_id = "putStationTariff",
    params(
        ("code" = String, Path, description = "The station's code"),
        ("group" = Option<String>, Query, description = "A price group (1 to 32 of A-Z, a-z, 0-9, _ and -): its own tariff here"),
    ),
    request_body = super::schemas::TariffSpec,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The tariff as stored (from `validFrom`, in the station's time zone)", body = super::schemas::Tariff),
        (status = 400, description = "`bad_request`: the periods do not cover the day exactly once, or a price or time is malformed", body = super::schemas::ErrorBody),
        (status = 404, description = "`not_found`: no such station", body = super::schemas::ErrorBody),
        super::schemas::OperatorErrors,
    ))]
async fn put_tariff(
    operator: Operator,
    State(state): State<ApiState>,
    Path(code): Path<String>,
    query: Result<Query<Group>, axum::extract::rejection::QueryRejection>,
    body: Bytes,
) -> Result<Json<Tariff>, ApiError> {
    let Query(Group { group }) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let spec: TariffSpec = super::json_body(&body)?;
    let stored = state.stations.put_tariff(&code, group.as_deref(), spec).await?;
    let logged = serde_json::json!({"station": code, "group": group, "tariff": super::operations::body_json(&body)});
    super::operations::record(&state, &operator, "TariffPut", None, logged).await;
    Ok(Json(stored))
}

/// `?at=<RFC 3339>`: the tariff in force then (default now).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct At {
    at: Option<String>,
    group: Option<String>,
}

/// The station's tariff in force at a time (anyone).
#[utoipa::path(get, path = "/api/v1/stations/{code}/tariff", tag = "stations", operation_id = "getStationTariff",
    params(
        ("code" = String, Path, description = "The station's code"),
        ("at" = Option<DateTime<Utc>>, Query, description = "The time (RFC 3339); now when absent"),
        ("group" = Option<String>, Query, description = "A price group: its own tariff here (not the station's)"),
    ),
    responses(
        (status = 200, description = "The tariff in force", body = super::schemas::Tariff),
        (status = 400, description = "`bad_request`: `at` is not an RFC 3339 time, or an unknown parameter", body = super::schemas::ErrorBody),
        (status = 404, description = "`not_found`: no such station; `no_tariff`: none in force then", body = super::schemas::ErrorBody),
        (status = 500, description = "`internal`", body = super::schemas::ErrorBody),
    ))]
async fn tariff(
    State(state): State<ApiState>,
    Path(code): Path<String>,
    query: Result<Query<At>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Tariff>, ApiError> {
    let Query(At { at, group }) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let at = match at {
        None => Utc::now(),
        Some(text) => DateTime::parse_from_rfc3339(&text)
            .map_err(|_| ApiError::BadRequest(format!("at: {text:?} is not an RFC 3339 time")))?
            .with_timezone(&Utc),
    };
    match state.stations.tariff_in_force(&code, group.as_deref(), at).await? {
        Some((tariff, _zone)) => Ok(Json(tariff)),
        None => Err(ApiError::Refused {
            status: StatusCode::NOT_FOUND,
            code: "no_tariff",
            message: format!("station {code} has no tariff in force at {}", at.to_rfc3339()),
        }),
    }
}

/// Watts as kilowatts (exact for any pile's power).
pub(super) fn kilowatts(watts: i64) -> f64 {
    // A pile's power is at most 10 MW: exact in an f64.
    watts as f64 / 1000.0
}
