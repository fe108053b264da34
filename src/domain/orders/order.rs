//! An order as csms keeps it: from creation to settlement, its money in whole fen.

use crate::domain::ids::{ChargerId, IdTag, OrderNo};
use crate::domain::ledger::money::Fen;
use crate::domain::orders::limit::ChargeLimit;
use crate::domain::orders::status::{OrderStatus, PayMode, PaymentStatus};
use crate::domain::payments::records::Destination;
use crate::domain::units::Wh;
use chrono::{DateTime, Utc};

/// A driver's charging order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub id: i64,
    pub order_no: OrderNo,
    pub user_id: i64,
    pub charger_id: ChargerId,
    pub evse_id: i32,
    pub connector_id: i32,
    pub id_tag: IdTag,
    pub status: OrderStatus,
    pub pay_mode: PayMode,
    pub payment_status: PaymentStatus,
    pub method: Option<String>,
    pub prepay_fen: Option<Fen>,
    pub paid_fen: Fen,
    pub refunded_fen: Fen,
    /// Refunded by operators once the order was settled: a gift, not money it owes again.
    pub gift_fen: Fen,
    /// Where a settlement gives back what a prepaid order did not use.
    pub refund_to: Destination,
    /// The tariff copied when the order was made (JSON).
    pub tariff: String,
    pub timezone: String,
    pub remote_start_id: Option<i32>,
    pub transaction_id: Option<i64>,
    pub energy_wh: Option<Wh>,
    pub energy_fee_fen: Option<Fen>,
    pub service_fee_fen: Option<Fen>,
    pub occupancy_fee_fen: Option<Fen>,
    pub total_fen: Option<Fen>,
    /// The bill's lines (JSON), once completed.
    pub lines: Option<String>,
    pub start_soc: Option<i32>,
    pub end_soc: Option<i32>,
    pub stop_reason: Option<String>,
    pub failure_reason: Option<String>,
    /// The meter readings set aside when the order was billed (JSON: kind, reading, time).
    pub anomalies: Option<String>,
    /// Why an order in `REVIEW` waits for an operator (`meter_went_back`, `no_register`,
    /// `too_much_energy`, `bill_above_limit`).
    pub review_reason: Option<String>,
    /// The bills this order had before it was billed again (JSON array, oldest first).
    pub revisions: Option<String>,
    /// The driver's target.
    pub limit: Option<ChargeLimit>,
    /// When csms stopped the session because a limit was reached.
    pub limit_reached_at: Option<DateTime<Utc>>,
    /// The station's most power and time per session when the order was made.
    pub session_max_power_w: Option<i64>,
    pub session_max_time_s: Option<i64>,
    /// The price group whose tariff it was made with, and the member's discount (JSON).
    pub price_group: Option<String>,
    pub discount: Option<String>,
    /// The user while the order is live, else NULL (unique: one live order per user).
    pub active_user_id: Option<i64>,
    /// `charger/evse/connector` while the order holds it, else NULL (unique).
    pub active_connector: Option<String>,
    pub lock_expires_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub charging_ended_at: Option<DateTime<Utc>>,
    pub stopped_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}
