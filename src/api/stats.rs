//! Statistics for operators: `GET /api/v1/stats` — orders, energy, revenue, refunds,
//! utilisation and users over a range of local days, by day, station or pile.

use super::auth::Operator;
use super::{ApiError, ApiState};
use crate::domain::stats::{StatsError, StatsQuery, StatsReport};
use axum::extract::{Query, State};
use axum::http::header::{ACCEPT, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use utoipa::ToSchema;

pub(super) fn router() -> Router<ApiState> {
    Router::new().route("/api/v1/stats", get(stats))
}

/// The OpenAPI of these routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(stats))]
pub(super) struct Doc;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StatsParams {
    from: Option<String>,
    to: Option<String>,
    group_by: Option<String>,
    station: Option<String>,
}

/// Figures over local days `from` (included) to `to` (excluded), each station counting days in
/// its own time zone: one group per day (every day of the range, at most 366), station or pile
/// (each in scope, also when idle), and the total.
///
/// Orders `created` count by creation; `completed` and `cancelled` by the time they ended.
/// Energy and revenue (energy fee, service fee, the bills' total with occupancy fees) are the
/// completed orders'; refunds are those of orders' payments made in the period. Utilisation is
/// connector time spent charging over connector time, up to now: per pile, and pooled over a
/// station's or a day's piles. Users `active` made an order in the group; `new` are those of
/// them who signed up within the range.
#[utoipa::path(get, path = "/api/v1/stats", tag = "stats", operation_id = "getStats",
    params(
        ("from" = String, Query, description = "The first local day counted, `YYYY-MM-DD`", example = "2026-12-01"),
        ("to" = String, Query, description = "The first local day not counted, after `from`", example = "2026-12-08"),
        ("groupBy" = Option<String>, Query, description = "`day` (the default), `station` or `pile`"),
        ("station" = Option<String>, Query, description = "Only this station's piles"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The figures: JSON, or with `Accept: text/csv` a CSV of one row per group and the total (columns `key`, `orders_created`, `orders_completed`, `orders_cancelled`, `energy_kwh`, `energy_fee`, `service_fee`, `total`, `refunds`, `utilisation`, `users_new`, `users_active`)",
            content((StatsAnswer = "application/json"), (String = "text/csv"))),
        (status = 400, description = "`bad_request`: a parameter is missing or wrong, `to` not after `from`, or the range too long (366 days by day, 3660 otherwise)", body = super::schemas::ErrorBody),
        (status = 404, description = "`not_found`: no such station", body = super::schemas::ErrorBody),
        super::schemas::OperatorErrors,
    ))]
async fn stats(
    _: Operator,
    State(state): State<ApiState>,
    headers: HeaderMap,
    params: Result<Query<StatsParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(params) = params.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let query = StatsQuery::parse(
        params.from.as_deref(),
        params.to.as_deref(),
        params.group_by.as_deref(),
        params.station.as_deref(),
    )?;
    let report: StatsReport = state.stats.report(&query).await?;
    let wants_csv = headers.get_all(ACCEPT).iter().filter_map(|v| v.to_str().ok()).any(|v| v.contains("text/csv"));
    if !wants_csv {
        return Ok(Json(report).into_response());
    }
    let name = format!("attachment; filename=\"stats-{}-{}-{}.csv\"", report.from, report.to, report.group_by);
    Ok(([(CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (CONTENT_DISPOSITION, name)], report.csv())
        .into_response())
}

impl From<StatsError> for ApiError {
    fn from(e: StatsError) -> Self {
        match &e {
            StatsError::Invalid { .. } => ApiError::BadRequest(e.to_string()),
            StatsError::NoStation(_) => {
                ApiError::Refused { status: StatusCode::NOT_FOUND, code: "not_found", message: e.to_string() }
            }
            StatsError::Corrupt(_) | StatsError::Store(_) => ApiError::Internal(e.to_string()),
        }
    }
}

/// The figures asked for (`StatsReport`).
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
#[expect(dead_code, reason = "a schema only: the domain's StatsReport is written")]
struct StatsAnswer {
    #[schema(example = "2026-12-01")]
    from: chrono::NaiveDate,
    #[schema(example = "2026-12-08")]
    to: chrono::NaiveDate,
    /// `day`, `station` or `pile`.
    #[schema(example = "day")]
    group_by: String,
    /// The station asked for, or null.
    station: Option<String>,
    /// Days in order, or stations' or piles' codes in order.
    groups: Vec<StatsGroup>,
    /// The whole range (users counted once however many groups they are in).
    total: StatsFigures,
}

/// One group's figures.
#[derive(ToSchema)]
#[expect(dead_code, reason = "a schema only")]
struct StatsGroup {
    /// A local day (`2026-12-02`), or a station's or pile's code.
    #[schema(example = "2026-12-02")]
    key: String,
    #[serde(flatten)]
    figures: StatsFigures,
}

/// Figures of a group or of the total.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
#[expect(dead_code, reason = "a schema only")]
struct StatsFigures {
    orders: StatsOrders,
    /// kWh of the completed orders, three places.
    #[schema(example = "12.345")]
    energy_kwh: String,
    revenue: StatsRevenue,
    /// The share of connector time spent charging, 0 to 1, four places.
    #[schema(example = 0.1234)]
    utilisation: f64,
    users: StatsUsers,
}

/// Orders made, completed and cancelled.
#[derive(ToSchema)]
#[expect(dead_code, reason = "a schema only")]
struct StatsOrders {
    created: i64,
    completed: i64,
    cancelled: i64,
}

/// Yuan, two places.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
#[expect(dead_code, reason = "a schema only")]
struct StatsRevenue {
    #[schema(example = "5.00")]
    energy_fee: String,
    #[schema(example = "3.00")]
    service_fee: String,
    /// The completed orders' bills, occupancy fees included.
    #[schema(example = "8.00")]
    total: String,
    /// Refunds of orders' payments made in the period.
    #[schema(example = "1.00")]
    refunds: String,
}

/// Users who made an order, and those of them who signed up within the range.
#[derive(ToSchema)]
#[expect(dead_code, reason = "a schema only")]
struct StatsUsers {
    new: i64,
    active: i64,
}
