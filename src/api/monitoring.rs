//! Monitoring for operators: alarms (listed, acknowledged) and their kinds, a pile's live status
//! and its trend, and the live feed of what happens (`GET /api/v1/events`, server-sent events).

use super::auth::Operator;
use super::paging::{Page, Paging};
use super::{ApiError, ApiState};
use crate::domain::ids::ChargerId;
use crate::domain::monitoring::records::AlarmFilter;
use crate::domain::monitoring::rules::AlarmKind;
use crate::domain::monitoring::trend::{Trend, TrendError};
use crate::domain::monitoring::{AlarmError, AlarmView, PileLive};
use axum::extract::{Path, Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use futures_util::stream::Stream;
use serde::{Deserialize, Serialize};
use std::convert::Infallible;
use tokio::sync::broadcast::error::RecvError;

pub(super) fn router() -> Router<ApiState> {
    Router::new()
        .route("/api/v1/alarms", get(alarms))
        .route("/api/v1/alarms/kinds", get(kinds))
        .route("/api/v1/alarms/{id}/ack", post(acknowledge))
        .route("/api/v1/chargers/{id}/live", get(live))
        .route("/api/v1/chargers/{id}/trend", get(trend))
        .route("/api/v1/events", get(events))
}

/// The OpenAPI of these routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(alarms, kinds, acknowledge, live, trend, events))]
pub(super) struct Doc;

#[derive(Debug, Deserialize)]
struct AlarmQuery {
    active: Option<bool>,
    charger: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    level: Option<String>,
}

/// Alarms, newest first, paged (operators).
#[utoipa::path(get, path = "/api/v1/alarms", tag = "monitoring", operation_id = "listAlarms",
    params(
        ("active" = Option<bool>, Query, description = "`true`: raised or acknowledged, not cleared; `false`: cleared"),
        ("charger" = Option<String>, Query, description = "Only this pile's"),
        ("type" = Option<super::monitoring_schemas::AlarmType>, Query, description = "Only alarms of this kind (`GET /api/v1/alarms/kinds`)"),
        ("level" = Option<super::monitoring_schemas::AlarmLevel>, Query, description = "Only alarms of this level"),
        super::schemas::PageQuery,
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of alarms", body = Page<super::monitoring_schemas::AlarmView>),
        (status = 400, description = "`bad_request`: a filter or the paging is wrong", body = super::schemas::ErrorBody),
        super::schemas::OperatorErrors,
    ))]
async fn alarms(
    State(state): State<ApiState>,
    _operator: Operator,
    paging: Paging,
    query: Result<Query<AlarmQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Page<AlarmView>>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let filter = AlarmFilter { active: query.active, charger_id: query.charger, kind: query.kind, level: query.level };
    let (items, total) = state.monitoring.alarms().list(filter, paging.offset(), paging.limit()).await?;
    Ok(Json(paging.of(items, total)))
}

/// An alarm kind as `GET /api/v1/alarms/kinds` shows it.
#[derive(Debug, Serialize)]
struct KindView {
    #[serde(rename = "type")]
    kind: &'static str,
    level: &'static str,
    title: &'static str,
    unit: Option<&'static str>,
}

/// Every alarm kind: its type as alarms and the `type` filter spell it, its level, its title and
/// the unit of its alarms' value (operators; dashboards title alarms with these).
#[utoipa::path(get, path = "/api/v1/alarms/kinds", tag = "monitoring", operation_id = "listAlarmKinds",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every alarm kind, in the order dashboards list them", body = Vec<super::monitoring_schemas::AlarmKindView>),
        super::schemas::OperatorErrors,
    ))]
async fn kinds(_operator: Operator) -> Json<Vec<KindView>> {
    let kinds = AlarmKind::ALL.iter().map(|k| KindView {
        kind: k.as_str(),
        level: k.level(),
        title: k.title(),
        unit: k.unit(),
    });
    Json(kinds.collect())
}

/// Acknowledges an alarm (operators): it stays active until its condition ends.
#[utoipa::path(post, path = "/api/v1/alarms/{id}/ack", tag = "monitoring", operation_id = "acknowledgeAlarm",
    params(("id" = i64, Path, description = "The alarm's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The alarm, acknowledged (or as it was, if already acknowledged or cleared)", body = super::monitoring_schemas::AlarmView),
        (status = 400, description = "`bad_request`: the id is not a number", body = super::schemas::ErrorBody),
        (status = 404, description = "`not_found`: no such alarm", body = super::schemas::ErrorBody),
        super::schemas::OperatorErrors,
    ))]
async fn acknowledge(
    State(state): State<ApiState>,
    operator: Operator,
    id: Result<Path<i64>, axum::extract::rejection::PathRejection>,
) -> Result<Json<AlarmView>, ApiError> {
    let Path(id) = id.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    Ok(Json(state.monitoring.alarms().acknowledge(id, &operator.actor).await?))
}

/// A pile's live status: online, connectors, the newest voltage, current, power, temperature
/// and state of charge (operators; from the cache, so any node answers).
#[utoipa::path(get, path = "/api/v1/chargers/{id}/live", tag = "monitoring", operation_id = "chargerLive",
    params(("id" = String, Path, description = "The charger's (pile's) id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The live status", body = super::monitoring_schemas::PileLive),
        (status = 404, description = "`not_found`: no such charger", body = super::schemas::ErrorBody),
        super::schemas::OperatorErrors,
    ))]
async fn live(
    State(state): State<ApiState>,
    _operator: Operator,
    Path(id): Path<String>,
) -> Result<Json<PileLive>, ApiError> {
    // An id that cannot be a charger's names none.
    let Ok(id) = ChargerId::parse(id) else { return Err(ApiError::NotFound("charger".into())) };
    let live = state.monitoring.live(&id).await?;
    live.map(Json).ok_or_else(|| ApiError::NotFound("charger".into()))
}

#[derive(Debug, Deserialize)]
struct TrendQuery {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    bucket: Option<String>,
}

/// A pile's trend: per-bucket means of voltage, current, power and temperature (operators).
#[utoipa::path(get, path = "/api/v1/chargers/{id}/trend", tag = "monitoring", operation_id = "chargerTrend",
    params(
        ("id" = String, Path, description = "The charger's (pile's) id"),
        ("from" = String, Query, description = "RFC 3339, inclusive"),
        ("to" = String, Query, description = "RFC 3339, exclusive"),
        ("bucket" = Option<String>, Query, description = "`30s`, `5m` (the default), `1h`, `1d`…; at most 2000 buckets"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The trend", body = super::monitoring_schemas::Trend),
        (status = 400, description = "`bad_request`: from, to or bucket is wrong", body = super::schemas::ErrorBody),
        (status = 404, description = "`not_found`: no such charger", body = super::schemas::ErrorBody),
        super::schemas::OperatorErrors,
    ))]
async fn trend(
    State(state): State<ApiState>,
    _operator: Operator,
    Path(id): Path<String>,
    query: Result<Query<TrendQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Trend>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let bucket = q.bucket.unwrap_or_else(|| "5m".to_owned());
    let Ok(id) = ChargerId::parse(id) else { return Err(ApiError::NotFound("charger".into())) };
    Ok(Json(state.monitoring.trend(&id, q.from, q.to, &bucket).await?))
}

/// What happens, as it happens (operators; server-sent events; the token may be given as
/// `?token=`, since a browser's EventSource cannot send a header).
#[utoipa::path(get, path = "/api/v1/events", tag = "monitoring", operation_id = "operatorEvents",
    params(("token" = Option<String>, Query, description = "The bearer token, when no Authorization header can be sent")),
    security(("bearer" = [])),
    responses(
        (status = 200, content_type = "text/event-stream", body = String,
            description = "An endless stream of events, each with JSON data: `connector.status`, `charger.online`, `charger.live`, `alarm.raised`, `alarm.acknowledged`, `alarm.cleared`, `order.started`, `order.completed`; `lagged` with `{\"missed\": n}` when the connection fell behind"),
        super::schemas::OperatorErrors,
    ))]
async fn events(
    State(state): State<ApiState>,
    _operator: Operator,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let (receiver, stop) = (state.monitoring.feed().subscribe(), state.shutdown.clone());
    let stream = futures_util::stream::unfold(receiver, move |mut receiver| {
        let stop = stop.clone();
        async move {
            let received = tokio::select! {
                received = receiver.recv() => received,
                _ = stop.cancelled() => return None,
            };
            let sse = match received {
                Ok(event) => Event::default().event(event.name).data(event.data.to_string()),
                Err(RecvError::Lagged(missed)) => {
                    Event::default().event("lagged").data(format!("{{\"missed\":{missed}}}"))
                }
                Err(RecvError::Closed) => return None,
            };
            Some((Ok(sse), receiver))
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

impl From<AlarmError> for ApiError {
    fn from(e: AlarmError) -> Self {
        match e {
            AlarmError::Invalid { .. } => ApiError::BadRequest(e.to_string()),
            AlarmError::NotFound(_) => ApiError::NotFound("alarm".into()),
            AlarmError::Store(e) => e.into(),
        }
    }
}

impl From<TrendError> for ApiError {
    fn from(e: TrendError) -> Self {
        match e {
            TrendError::Invalid { .. } => ApiError::BadRequest(e.to_string()),
            TrendError::NoCharger(_) => ApiError::NotFound("charger".into()),
            TrendError::Store(e) => e.into(),
        }
    }
}
