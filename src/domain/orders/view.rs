//! An order as drivers and operators see it: money as two-place strings, the bill's lines once
//! completed, and while it charges its live power, energy, state of charge and cost so far.

use crate::domain::charging::metering::Anomaly;
use crate::domain::orders::limit::LimitView;
use crate::domain::orders::order::Order;
use crate::domain::units::Wh;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// What an order's connector reads now.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LiveReading {
    /// Watts, as the charger last reported (`Power.Active.Import`).
    pub power_w: Option<String>,
    pub soc: Option<String>,
    pub energy_wh: Option<i64>,
    /// The cost so far, as the tariff copied onto the order prices the energy so far.
    pub cost: Option<String>,
    pub duration_s: Option<i64>,
    pub updated_at: Option<DateTime<Utc>>,
}

/// An order.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderView {
    pub order_no: String,
    pub user_id: i64,
    pub status: String,
    pub payment_status: String,
    pub pay_mode: String,
    pub method: Option<String>,
    pub pile_code: String,
    pub evse_id: i32,
    pub connector_id: i32,
    pub prepay_amount: Option<String>,
    pub paid_amount: String,
    pub refunded_amount: String,
    /// Where a settlement gives back what was not used: `original` or `balance`.
    pub refund_to: String,
    pub energy_wh: Option<i64>,
    pub energy_fee: Option<String>,
    pub service_fee: Option<String>,
    pub occupancy_fee: Option<String>,
    pub total_amount: Option<String>,
    /// The bill per period, once completed.
    pub lines: Option<serde_json::Value>,
    /// The occupancy line, once billed.
    pub occupancy: Option<serde_json::Value>,
    /// The tariff the order is priced with.
    pub tariff: serde_json::Value,
    pub start_soc: Option<i32>,
    pub end_soc: Option<i32>,
    pub duration_s: Option<i64>,
    pub stop_reason: Option<String>,
    pub failure_reason: Option<String>,
    /// Meter readings set aside when it was billed.
    pub anomalies: Vec<Anomaly>,
    /// Why it waits in `REVIEW`.
    pub review_reason: Option<String>,
    /// The bills it had before it was billed again, oldest first.
    pub revisions: Vec<serde_json::Value>,
    /// The driver's target: `{"kind": "energy", "value": "12.5"}`.
    pub limit: Option<LimitView>,
    /// When csms stopped the session because the target, or the station's most time per
    /// session, was reached.
    pub limit_reached_at: Option<DateTime<Utc>>,
    /// The price group whose tariff it was made with (none: the station's own).
    pub price_group: Option<String>,
    /// The member's discount it was made with: `{"level", "energyPct", "servicePct"}`.
    pub discount: Option<serde_json::Value>,
    pub live: Option<LiveReading>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub stopped_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
}

impl OrderView {
    pub fn new(o: Order, live: Option<LiveReading>) -> Self {
        let bill: Option<serde_json::Value> = o.lines.as_deref().and_then(|text| serde_json::from_str(text).ok());
        let duration_s = o.started_at.map(|start| (o.stopped_at.unwrap_or_else(Utc::now) - start).num_seconds());
        OrderView {
            status: o.status.as_str().to_owned(),
            payment_status: o.payment_status.as_str().to_owned(),
            pay_mode: o.pay_mode.as_str().to_owned(),
            method: o.method,
            pile_code: o.charger_id.into_string(),
            evse_id: o.evse_id,
            connector_id: o.connector_id,
            prepay_amount: o.prepay_fen.map(|fen| fen.to_string()),
            paid_amount: o.paid_fen.to_string(),
            refunded_amount: o.refunded_fen.to_string(),
            refund_to: o.refund_to.as_str().to_owned(),
            energy_wh: o.energy_wh.map(Wh::get),
            energy_fee: o.energy_fee_fen.map(|fen| fen.to_string()),
            service_fee: o.service_fee_fen.map(|fen| fen.to_string()),
            occupancy_fee: o.occupancy_fee_fen.map(|fen| fen.to_string()),
            total_amount: o.total_fen.map(|fen| fen.to_string()),
            lines: bill.as_ref().and_then(|b| b.get("lines").cloned()),
            occupancy: bill.as_ref().and_then(|b| b.get("occupancy").cloned()),
            tariff: serde_json::from_str(&o.tariff).unwrap_or(serde_json::Value::Null),
            start_soc: o.start_soc,
            end_soc: o.end_soc,
            duration_s,
            stop_reason: o.stop_reason,
            failure_reason: o.failure_reason,
            anomalies: o.anomalies.as_deref().and_then(|text| serde_json::from_str(text).ok()).unwrap_or_default(),
            review_reason: o.review_reason,
            revisions: o.revisions.as_deref().and_then(|text| serde_json::from_str(text).ok()).unwrap_or_default(),
            limit: o.limit.map(LimitView::from),
            limit_reached_at: o.limit_reached_at,
            price_group: o.price_group,
            discount: o.discount.as_deref().and_then(|text| serde_json::from_str(text).ok()),
            live,
            order_no: o.order_no.into_string(),
            user_id: o.user_id,
            created_at: o.created_at,
            started_at: o.started_at,
            stopped_at: o.stopped_at,
            completed_at: o.completed_at,
        }
    }
}
