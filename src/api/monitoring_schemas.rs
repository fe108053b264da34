//! The OpenAPI schemas of the monitoring routes' answers (schemas only: the domain's types are
//! what is served).

#![expect(dead_code, reason = "schemas only")]

use crate::domain::monitoring::rules::{AlarmKind, Level};
use chrono::{DateTime, Utc};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};

/// An alarm's type: the enum is the registered kinds' names (`AlarmKind::ALL`), never written out.
pub(super) struct AlarmType;

impl PartialSchema for AlarmType {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("An alarm's kind; `GET /api/v1/alarms/kinds` lists them with their levels and titles"))
            .enum_values(Some(AlarmKind::ALL.iter().map(|k| k.as_str())))
            .into()
    }
}

impl ToSchema for AlarmType {}

/// How urgent an alarm is: the enum is the levels' names (`Level::ALL`).
pub(super) struct AlarmLevel;

impl PartialSchema for AlarmLevel {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("How urgent an alarm is"))
            .enum_values(Some(Level::ALL.iter().map(|l| l.as_str())))
            .into()
    }
}

impl ToSchema for AlarmLevel {}

/// An alarm kind.
#[derive(ToSchema)]
pub(super) struct AlarmKindView {
    #[serde(rename = "type")]
    kind: AlarmType,
    level: AlarmLevel,
    /// How dashboards title it, e.g. `Voltage`.
    title: String,
    /// The unit of its alarms' `value` when that is a reading (`°C`, `V`).
    unit: Option<String>,
}

/// An alarm.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct AlarmView {
    id: i64,
    /// The pile; null for a platform alarm (`ledger_mismatch`, a top-up's `refund_abnormal`).
    charger_id: Option<String>,
    #[serde(rename = "type")]
    kind: AlarmType,
    level: AlarmLevel,
    /// `raised`, `acknowledged` or `cleared`.
    status: String,
    message: String,
    /// The reading (°C, V), the error code, or when the pile was last seen.
    value: Option<String>,
    raised_at: DateTime<Utc>,
    acknowledged_at: Option<DateTime<Utc>>,
    /// `operator-token` or `user:<id>`.
    acknowledged_by: Option<String>,
    cleared_at: Option<DateTime<Utc>>,
}

/// A connector's newest status.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct ConnectorStatus {
    evse_id: i32,
    connector_id: i32,
    status: String,
    error_code: Option<String>,
    at: DateTime<Utc>,
}

/// A pile's live status (V, A, W, °C, %).
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct PileLive {
    charger_id: String,
    online: bool,
    voltage: Option<f64>,
    current: Option<f64>,
    power: Option<f64>,
    temperature: Option<f64>,
    soc: Option<f64>,
    updated_at: Option<DateTime<Utc>>,
    connectors: Vec<ConnectorStatus>,
}

/// One bucket's means.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct TrendPoint {
    at: DateTime<Utc>,
    voltage: Option<f64>,
    current: Option<f64>,
    power: Option<f64>,
    temperature: Option<f64>,
}

/// A pile's trend.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct Trend {
    charger_id: String,
    /// e.g. `5m`.
    bucket: String,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    points: Vec<TrendPoint>,
}
