//! `POST /api/v1/tariffs/preview`: what a sample session would cost under a tariff being edited,
//! computed by the server with the same validation and the same bill as an order's.

use super::auth::Operator;
use super::{ApiError, ApiState};
use crate::domain::tariffs::{Bill, PreviewError, SampleSession, TariffSpec, preview as bill_preview};
use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde::Deserialize;

pub(super) fn router() -> Router<ApiState> {
    Router::new().route("/api/v1/tariffs/preview", post(preview))
}

/// The OpenAPI of these routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(preview))]
pub(super) struct Doc;

/// A tariff and a sample session to price with it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PreviewBody {
    #[schema(value_type = super::schemas::TariffSpec)]
    tariff: TariffSpec,
    /// The station's IANA time zone, in which the periods are read (default Asia/Shanghai).
    #[schema(example = "Asia/Shanghai")]
    timezone: Option<String>,
    /// When charging starts.
    start: DateTime<Utc>,
    /// When charging ends (after `start`, at most 48 hours later).
    end: DateTime<Utc>,
    /// The energy delivered, drawn evenly from start to end (kWh, at most three places).
    #[schema(value_type = String, example = "30.000")]
    energy_kwh: String,
    /// When the car frees the connector (default: as charging ends), for the occupancy fee.
    unplugged_at: Option<DateTime<Utc>>,
}

/// The bill the sample session would have (`lines` per period, fees, occupancy, total).
#[derive(utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[expect(dead_code, reason = "a schema only")]
struct BillPreview {
    lines: Vec<super::schemas::BillLine>,
    #[schema(example = "30000")]
    energy_wh: String,
    #[schema(example = "30.000")]
    kwh: String,
    energy_fee: String,
    service_fee: String,
    #[schema(nullable = false)]
    occupancy: Option<super::schemas::OccupancyLine>,
    #[schema(example = "36.20")]
    total: String,
}

/// Prices a sample session with a tariff not stored (operators): the console's preview.
#[utoipa::path(post, path = "/api/v1/tariffs/preview", tag = "stations", operation_id = "previewTariff",
    request_body = PreviewBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The bill the session would have", body = BillPreview),
        (status = 400, description = "`bad_request`: the tariff could not be stored as it is (the message says why), or the session is impossible", body = super::schemas::ErrorBody),
        super::schemas::OperatorErrors,
    ))]
async fn preview(_: Operator, State(_): State<ApiState>, body: Bytes) -> Result<Json<Bill>, ApiError> {
    let body: PreviewBody = super::json_body(&body)?;
    let zone = body.timezone.as_deref().unwrap_or("Asia/Shanghai");
    let timezone: Tz =
        zone.parse().map_err(|_| ApiError::BadRequest(format!("timezone: {zone:?} is not an IANA time zone")))?;
    let session = SampleSession {
        start: body.start,
        end: body.end,
        energy_wh: energy_wh(&body.energy_kwh)?,
        freed_at: body.unplugged_at,
        timezone,
    };
    Ok(Json(bill_preview(body.tariff, &session)?))
}

/// kWh as decimal text, at most three places, as whole Wh.
fn energy_wh(kwh: &str) -> Result<i64, ApiError> {
    let bad = || ApiError::BadRequest(format!("energyKwh: {kwh:?} is not kWh with at most three decimal places"));
    let kwh: Decimal = kwh.trim().parse().map_err(|_| bad())?;
    if kwh.scale() > 3 {
        return Err(bad());
    }
    let wh = kwh.checked_mul(Decimal::from(1000)).ok_or_else(bad)?;
    i64::try_from(wh.trunc()).map_err(|_| bad())
}

impl From<PreviewError> for ApiError {
    fn from(e: PreviewError) -> Self {
        ApiError::BadRequest(e.to_string())
    }
}
