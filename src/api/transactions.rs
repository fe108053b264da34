//! `/api/v1/transactions` (filtered by charger and start time, paged) and `/api/v1/transactions/{id}`
//! with its samples; `/api/v1/id-tags` to register id tags.

use super::auth::Operator;
use super::paging::{Page, Paging};
use super::{ApiError, ApiState};
use crate::domain::charging::NewIdTagError;
use crate::domain::charging::records::MeterSample;
use crate::domain::charging::records::Transaction;
use crate::domain::ids::{ChargerId, IdError, IdTag};
use crate::domain::units::Wh;
use crate::domain::users::records::Card;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub(super) fn router() -> Router<ApiState> {
    Router::new()
        .route("/api/v1/transactions", get(list))
        .route("/api/v1/transactions/{id}", get(detail))
        .route("/api/v1/id-tags", post(create_id_tag))
}

/// The OpenAPI of these routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, detail, create_id_tag))]
pub(super) struct Doc;

/// A transaction as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct TransactionView {
    id: i64,
    charger_id: String,
    evse_id: i32,
    connector_id: i32,
    /// OCPP 2.0.1's transaction id (chosen by the charger).
    charger_transaction_id: Option<String>,
    id_tag: Option<String>,
    status: String,
    started_at: DateTime<Utc>,
    stopped_at: Option<DateTime<Utc>>,
    meter_start_wh: Option<i64>,
    meter_stop_wh: Option<i64>,
    energy_wh: Option<i64>,
    stop_reason: Option<String>,
    /// Some of its events happened while the charger was offline (they arrived late).
    offline: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    samples: Option<Vec<SampleView>>,
}

/// One stored meter reading.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct SampleView {
    sampled_at: DateTime<Utc>,
    measurand: String,
    phase: Option<String>,
    context: String,
    location: String,
    unit: String,
    /// Exact decimal text.
    value: String,
}

fn view(t: Transaction, samples: Option<Vec<MeterSample>>) -> TransactionView {
    TransactionView {
        id: t.id,
        charger_id: t.charger_id.into_string(),
        evse_id: t.evse_id,
        connector_id: t.connector_id,
        charger_transaction_id: t.charger_transaction_id,
        id_tag: t.id_tag.map(String::from),
        status: t.status.as_str().to_owned(),
        started_at: t.started_at,
        stopped_at: t.stopped_at,
        meter_start_wh: t.meter_start_wh.map(Wh::get),
        meter_stop_wh: t.meter_stop_wh.map(Wh::get),
        energy_wh: t.energy_wh.map(Wh::get),
        stop_reason: t.stop_reason,
        offline: t.offline,
        samples: samples.map(|all| {
            all.into_iter()
                .map(|s| SampleView {
                    sampled_at: s.sampled_at,
                    measurand: s.measurand,
                    phase: s.phase,
                    context: s.context,
                    location: s.location,
                    unit: s.unit,
                    value: s.value,
                })
                .collect()
        }),
    }
}

/// `?charger=<id>&from=<RFC 3339>&to=<RFC 3339>`: transactions started in `[from, to)`; and
/// `page`, `pageSize` (see `Paging`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Filter {
    charger: Option<String>,
    from: Option<String>,
    to: Option<String>,
    #[serde(rename = "page")]
    _page: Option<serde::de::IgnoredAny>,
    #[serde(rename = "pageSize")]
    _page_size: Option<serde::de::IgnoredAny>,
}

/// The query parameter `name`'s time, if given: RFC 3339, else a 400 naming it.
pub(super) fn instant(name: &str, text: Option<&str>) -> Result<Option<DateTime<Utc>>, ApiError> {
    text.map(|t| {
        DateTime::parse_from_rfc3339(t)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| ApiError::BadRequest(format!("{name}: {t:?} is not an RFC 3339 time")))
    })
    .transpose()
}

/// Transactions, newest first, filtered by charger and start time, paged (operators).
#[utoipa::path(get, path = "/api/v1/transactions", tag = "transactions", operation_id = "listTransactions",
    params(
        ("charger" = Option<String>, Query, description = "Only this charger's"),
        ("from" = Option<DateTime<Utc>>, Query, description = "Started at or after (RFC 3339)"),
        ("to" = Option<DateTime<Utc>>, Query, description = "Started before (RFC 3339)"),
        super::schemas::PageQuery,
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of transactions (without samples)", body = Page<TransactionView>),
        (status = 400, description = "`bad_request`: an unknown or malformed query parameter", body = super::schemas::ErrorBody),
        super::schemas::OperatorErrors,
    ))]
async fn list(
    _: Operator,
    State(state): State<ApiState>,
    paging: Paging,
    query: Result<Query<Filter>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Page<TransactionView>>, ApiError> {
    let Query(filter) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let charger = filter
        .charger
        .map(|charger| {
            ChargerId::parse(charger.as_str())
                .map_err(|_| ApiError::BadRequest(format!("charger: {charger:?} is not a charger id")))
        })
        .transpose()?;
    let from = instant("from", filter.from.as_deref())?;
    let to = instant("to", filter.to.as_deref())?;
    let filter = (charger.as_ref(), from, to);
    let (found, total) = state.charging.transactions(filter, paging.offset(), paging.limit()).await?;
    Ok(Json(paging.of(found.into_iter().map(|t| view(t, None)).collect(), total)))
}

/// A transaction with its meter samples (operators).
#[utoipa::path(get, path = "/api/v1/transactions/{id}", tag = "transactions", operation_id = "getTransaction",
    params(("id" = i64, Path, description = "The transaction's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The transaction", body = TransactionView),
        (status = 400, description = "`bad_request`: not a transaction id", body = super::schemas::ErrorBody),
        (status = 404, description = "`not_found`: no such transaction", body = super::schemas::ErrorBody),
        super::schemas::OperatorErrors,
    ))]
async fn detail(
    _: Operator,
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> Result<Json<TransactionView>, ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::BadRequest(format!("{id:?} is not a transaction id")))?;
    let (found, samples) =
        state.charging.transaction(id).await?.ok_or_else(|| ApiError::NotFound(format!("transaction {id}")))?;
    Ok(Json(view(found, Some(samples))))
}

/// `POST /api/v1/id-tags`
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewIdTag {
    id_tag: String,
    /// `Accepted` (default), `Blocked`, `Expired` or `Invalid`.
    status: Option<String>,
    expiry_date: Option<DateTime<Utc>>,
    parent_id_tag: Option<String>,
}

/// An id tag (RFID card or token) chargers authorize.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct IdTagView {
    id_tag: String,
    status: String,
    expiry_date: Option<DateTime<Utc>>,
    parent_id_tag: Option<String>,
    created_at: DateTime<Utc>,
}

impl From<Card> for IdTagView {
    fn from(t: Card) -> Self {
        IdTagView {
            id_tag: t.id_tag.into_string(),
            status: t.status,
            expiry_date: t.expiry_date,
            parent_id_tag: t.parent_id_tag.map(String::from),
            created_at: t.created_at,
        }
    }
}

/// Registers an id tag (operators).
#[utoipa::path(post, path = "/api/v1/id-tags", tag = "transactions", operation_id = "createIdTag",
    request_body = NewIdTag,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Registered", body = IdTagView),
        (status = 400, description = "`bad_request`: idTag of 1 to 36 characters, status, or an unknown parent", body = super::schemas::ErrorBody),
        (status = 409, description = "`conflict`: the id tag exists already", body = super::schemas::ErrorBody),
        super::schemas::OperatorErrors,
    ))]
async fn create_id_tag(
    _: Operator,
    State(state): State<ApiState>,
    body: Bytes,
) -> Result<(StatusCode, Json<IdTagView>), ApiError> {
    let body: NewIdTag = super::json_body(&body)?;
    // 2.0.1's idToken is the longer of the two (36; 1.6's idTag is 20).
    let id_tag = IdTag::parse(body.id_tag).map_err(|e| match e {
        IdError::Character { .. } => ApiError::BadRequest(format!("idTag: {e}")),
        IdError::Empty { .. } | IdError::TooLong { .. } => ApiError::BadRequest("idTag: 1 to 36 characters".into()),
    })?;
    // A parent that cannot be a tag is not a known one.
    let parent = body
        .parent_id_tag
        .map(|parent| {
            IdTag::parse(parent.as_str())
                .map_err(|_| ApiError::BadRequest(format!("parentIdTag: {parent:?} is not a known id tag")))
        })
        .transpose()?;
    let status = body.status.unwrap_or_else(|| "Accepted".into());
    if !["Accepted", "Blocked", "Expired", "Invalid"].contains(&status.as_str()) {
        return Err(ApiError::BadRequest(format!("status: {status:?} is not Accepted, Blocked, Expired or Invalid")));
    }
    let created =
        state.charging.create_id_tag(&id_tag, &status, body.expiry_date, parent).await.map_err(|e| match e {
            NewIdTagError::UnknownParent(_) => ApiError::BadRequest(e.to_string()),
            NewIdTagError::Store(e) => e.into(),
        })?;
    Ok((StatusCode::CREATED, Json(created.into())))
}
