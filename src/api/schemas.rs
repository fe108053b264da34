//! Schema-only types of the OpenAPI document (`openapi/`): the shapes of answers whose handler type is a JSON value or a domain type
//! (the domain stays free of OpenAPI), the error body, the paging parameters, and the error
//! responses every guarded route can answer. Each mirrors a serialized type: keep them in step.

use chrono::{DateTime, NaiveDate, Utc};
use std::collections::BTreeMap;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{IntoParams, IntoResponses, ToSchema};

/// Every error: a status and `{"error": "<snake_case_code>", "message": "…"}` (`ApiError`).
#[derive(ToSchema)]
#[expect(dead_code, reason = "a schema only: errors are written by ApiError")]
pub(in crate::api) struct ErrorBody {
    /// What kind of error, snake_case: `bad_request`, `unauthorized`, `forbidden`, `not_found`,
    /// `conflict`, `internal`, or a business rule's own code (`pile_busy`, `insufficient_balance`, …).
    #[schema(example = "not_found")]
    error: String,
    /// What happened, for a person.
    #[schema(example = "charger \"CP-1\" not found")]
    message: String,
    /// With `schema_violation` only: the OCPP CallError code of the broken schema rule.
    #[schema(nullable = false, example = "TypeConstraintViolation")]
    code: Option<String>,
}

/// The paging of a list: `?page=` and `?pageSize=`; the answer is a page,
/// `{"items": [...], "page": 1, "pageSize": 20, "total": 57}`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
#[expect(dead_code, reason = "a schema only: `Paging` reads the query")]
pub(in crate::api) struct PageQuery {
    /// The page, from 1 (default 1).
    #[param(minimum = 1, maximum = 1_000_000, default = 1)]
    page: Option<u64>,
    /// Items per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100, default = 20)]
    page_size: Option<u64>,
}

/// A JSON error response with `ErrorBody`.
fn error(description: &str) -> RefOr<Response> {
    let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build();
    ResponseBuilder::new().description(description).content("application/json", content).build().into()
}

/// What a route for operators answers besides its own errors: 401, 403 and 500.
#[derive(Debug)]
pub(in crate::api) struct OperatorErrors;

impl IntoResponses for OperatorErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        BTreeMap::from([
            (
                "401".to_owned(),
                error(
                    "`unauthorized`: no bearer token, or one that is neither the operator token nor a valid sign-in token",
                ),
            ),
            ("403".to_owned(), error("`forbidden`: the signed-in user is not an operator or admin; `user_disabled`")),
            ("500".to_owned(), error("`internal`: details are logged, not sent")),
        ])
    }
}

/// What a route for signed-in users (drivers; operators see everyone's where the route says so)
/// answers besides its own errors: 401, 403 and 500.
#[derive(Debug)]
pub(in crate::api) struct SignedErrors;

impl IntoResponses for SignedErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        BTreeMap::from([
            ("401".to_owned(), error("`unauthorized`: no bearer token, or not a valid sign-in token")),
            ("403".to_owned(), error("`user_disabled`: the user is disabled")),
            ("500".to_owned(), error("`internal`: details are logged, not sent")),
        ])
    }
}

/// A connector's live state: the newest reading of each quantity (`ConnectorLiveView`).
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
#[expect(dead_code, reason = "a schema only")]
pub(in crate::api) struct ConnectorLiveView {
    evse_id: i32,
    connector_id: i32,
    /// The transaction in progress, if any.
    transaction_id: Option<i64>,
    /// The time of the newest reading.
    updated_at: Option<DateTime<Utc>>,
    values: Vec<LiveValue>,
}

/// The newest reading of one quantity.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
#[expect(dead_code, reason = "a schema only")]
pub(in crate::api) struct LiveValue {
    #[schema(example = "Energy.Active.Import.Register")]
    measurand: String,
    phase: Option<String>,
    location: String,
    unit: String,
    /// Exact decimal text, in base units (Wh, W, …).
    #[schema(example = "12345.6")]
    value: String,
    sampled_at: DateTime<Utc>,
}

/// A tariff as sent: `validFrom` (default the day it is stored), periods covering the 24 hours
/// exactly once in the station's local time, and an optional occupancy fee.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[expect(dead_code, reason = "a schema only: the domain's TariffSpec is read")]
pub(in crate::api) struct TariffSpec {
    /// The first day (station-local) the tariff applies to; default the day it is stored.
    #[schema(nullable = false, example = "2026-12-01")]
    valid_from: Option<NaiveDate>,
    periods: Vec<PeriodSpec>,
    #[schema(nullable = false)]
    occupancy: Option<OccupancySpec>,
}

/// A validated tariff as stored: `validFrom` known.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
#[expect(dead_code, reason = "a schema only: the domain's Tariff is written")]
pub(in crate::api) struct Tariff {
    #[schema(example = "2026-12-01")]
    valid_from: NaiveDate,
    periods: Vec<PeriodSpec>,
    /// Absent when the station charges no occupancy fee.
    #[schema(nullable = false)]
    occupancy: Option<OccupancySpec>,
}

/// A time-of-use period: `start` to `end` (exclusive), local "HH:MM"; an end not after the start
/// wraps past midnight ("22:00"–"06:00"; "00:00" as an end is the end of the day).
#[derive(ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[expect(dead_code, reason = "a schema only")]
pub(in crate::api) struct PeriodSpec {
    #[schema(example = "08:00")]
    start: String,
    #[schema(example = "22:00")]
    end: String,
    /// Yuan per kWh, at most 4 decimal places.
    #[schema(example = "0.85")]
    energy_price: String,
    /// Yuan per kWh, at most 4 decimal places.
    #[schema(example = "0.40")]
    service_fee: String,
    /// A label such as "peak", shown on the bill.
    #[schema(nullable = false, example = "peak")]
    name: Option<String>,
}

/// The occupancy fee: a connector kept occupied after charging longer than the grace costs
/// `feePerMinute` a whole minute, up to `cap`.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[expect(dead_code, reason = "a schema only")]
pub(in crate::api) struct OccupancySpec {
    /// Free minutes after charging finished.
    #[serde(default)]
    #[schema(default = 15)]
    grace_minutes: u32,
    /// Yuan, at most 2 decimal places.
    #[schema(example = "0.50")]
    fee_per_minute: String,
    /// Yuan, at most 2 decimal places.
    #[schema(example = "30.00")]
    cap: String,
}

/// An order as drivers and operators see it (`OrderView`): money as two-place strings.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
#[expect(dead_code, reason = "a schema only")]
pub(in crate::api) struct OrderView {
    #[schema(example = "C20261201083000123456")]
    order_no: String,
    user_id: i64,
    /// `PENDING_PAYMENT`, `READY`, `STARTING`, `CHARGING`, `REVIEW` (waiting for an operator to
    /// settle its meter register), `COMPLETED`, `CANCELLED` or `FAILED`.
    #[schema(example = "CHARGING")]
    status: String,
    /// `UNPAID`, `PAID` or `REFUNDED`.
    payment_status: String,
    /// `prepaid` or `postpaid`.
    pay_mode: String,
    method: Option<String>,
    pile_code: String,
    evse_id: i32,
    connector_id: i32,
    #[schema(example = "50.00")]
    prepay_amount: Option<String>,
    #[schema(example = "50.00")]
    paid_amount: String,
    #[schema(example = "0.00")]
    refunded_amount: String,
    energy_wh: Option<i64>,
    #[schema(example = "12.30")]
    energy_fee: Option<String>,
    service_fee: Option<String>,
    occupancy_fee: Option<String>,
    total_amount: Option<String>,
    /// The bill per period, once completed.
    lines: Option<Vec<BillLine>>,
    /// The occupancy line, once billed.
    occupancy: Option<OccupancyLine>,
    /// The tariff the order is priced with, copied onto it when made.
    tariff: Tariff,
    start_soc: Option<i32>,
    end_soc: Option<i32>,
    duration_s: Option<i64>,
    stop_reason: Option<String>,
    failure_reason: Option<String>,
    /// Meter readings set aside when the order was billed (none of them is billed).
    anomalies: Vec<MeterAnomaly>,
    /// Why an order in `REVIEW` waits for an operator: `meter_went_back`, `no_register`,
    /// `too_much_energy` or `bill_above_limit`.
    review_reason: Option<String>,
    /// The bills it had before it was billed again (a session closed as stale, then really
    /// stopped), oldest first: `energyWh`, `energyFee`, `serviceFee`, `totalAmount`, `lines`,
    /// `stoppedAt`, `revisedAt`.
    #[schema(value_type = Vec<Object>)]
    revisions: Vec<serde_json::Value>,
    /// The driver's target, in the unit it was given in.
    limit: Option<OrderLimit>,
    /// When csms stopped the session because the target, or the station's most time per
    /// session, was reached (its `stopReason` is then `LIMIT_REACHED`).
    limit_reached_at: Option<DateTime<Utc>>,
    /// While charging: what the connector reads now and the cost so far.
    live: Option<LiveReading>,
    created_at: DateTime<Utc>,
    started_at: Option<DateTime<Utc>>,
    stopped_at: Option<DateTime<Utc>>,
    completed_at: Option<DateTime<Utc>>,
}

/// A driver's target on an order: `kind` `amount`, `energy`, `duration` or `soc`, `value` in
/// yuan (`"30.00"`), kWh (`"12.5"`), seconds (`"3600"`) or percent (`"80"`).
#[derive(ToSchema)]
#[expect(dead_code, reason = "a schema only")]
pub(in crate::api) struct OrderLimit {
    #[schema(example = "energy")]
    kind: String,
    #[schema(example = "12.5")]
    value: String,
}

/// A meter reading set aside: the register is billed, this reading was not believed.
#[derive(ToSchema)]
#[expect(dead_code, reason = "a schema only")]
pub(in crate::api) struct MeterAnomaly {
    /// `backwards` (below the reading before it), `outside_session` (stamped before the start or
    /// after the stop), `above_stop` (above the stop register), `too_fast` (a rise faster than
    /// the pile's rated power × 1.2 over 10 s or more), `other_location` (not the billed one).
    #[schema(example = "backwards")]
    kind: String,
    /// The register's value, Wh.
    reading: i64,
    time: DateTime<Utc>,
}

/// What an order's connector reads now.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
#[expect(dead_code, reason = "a schema only")]
pub(in crate::api) struct LiveReading {
    /// Watts, as the charger last reported.
    power_w: Option<String>,
    /// State of charge, percent.
    soc: Option<String>,
    energy_wh: Option<i64>,
    /// The cost so far, yuan.
    #[schema(example = "8.15")]
    cost: Option<String>,
    duration_s: Option<i64>,
    updated_at: Option<DateTime<Utc>>,
}

/// One period's line of a bill.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
#[expect(dead_code, reason = "a schema only")]
pub(in crate::api) struct BillLine {
    /// The period's index in the tariff.
    period: u32,
    #[schema(nullable = false)]
    name: Option<String>,
    start: String,
    end: String,
    /// kWh, three places.
    #[schema(example = "10.250")]
    kwh: String,
    energy_price: String,
    service_fee_rate: String,
    #[schema(example = "8.71")]
    energy_fee: String,
    service_fee: String,
    amount: String,
}

/// The occupancy line of a bill.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
#[expect(dead_code, reason = "a schema only")]
pub(in crate::api) struct OccupancyLine {
    /// Whole minutes past the grace.
    minutes: i64,
    fee_per_minute: String,
    amount: String,
    /// Whether the cap limited the amount.
    capped: bool,
}

/// A payment (`PaymentView`).
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
#[expect(dead_code, reason = "a schema only")]
pub(in crate::api) struct PaymentView {
    payment_no: String,
    user_id: i64,
    order_no: Option<String>,
    purpose: String,
    #[schema(value_type = PaymentMethod)]
    method: String,
    #[schema(example = "12.30")]
    amount: String,
    #[schema(example = "0.00")]
    refunded_amount: String,
    /// `PENDING`, `SUCCEEDED`, `FAILED` or `CLOSED`.
    status: String,
    /// Where the driver pays, for a gateway's payment.
    pay_url: Option<String>,
    paid_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

/// A refund (`RefundView`).
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
#[expect(dead_code, reason = "a schema only")]
pub(in crate::api) struct RefundView {
    refund_no: String,
    payment_no: String,
    #[schema(example = "5.00")]
    amount: String,
    destination: String,
    status: String,
    reason: Option<String>,
    created_at: DateTime<Utc>,
}

/// A payment with its refunds.
#[derive(ToSchema)]
#[expect(dead_code, reason = "a schema only")]
pub(in crate::api) struct PaymentDetail {
    #[serde(flatten)]
    payment: PaymentView,
    refunds: Vec<RefundView>,
}

/// A balance.
#[derive(ToSchema)]
#[expect(dead_code, reason = "a schema only")]
pub(in crate::api) struct Balance {
    /// Yuan, two places.
    #[schema(example = "87.70")]
    balance: String,
}

/// A user's balance after an adjustment.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
#[expect(dead_code, reason = "a schema only")]
pub(in crate::api) struct Adjusted {
    user_id: i64,
    /// Yuan, two places.
    #[schema(example = "107.70")]
    balance: String,
}

/// How a payment is made: the enum is the methods' names (`providers::METHODS`: the balance and
/// each provider registered), never written out.
pub(super) struct PaymentMethod;

impl utoipa::PartialSchema for PaymentMethod {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some("How the payment is made: from the balance, or through a provider"))
            .enum_values(Some(crate::providers::METHODS.all().map(crate::domain::payments::records::Method::as_str)))
            .into()
    }
}

impl utoipa::ToSchema for PaymentMethod {}
