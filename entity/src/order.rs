//! `orders`: a driver's charging order, from creation to settlement. Money in whole fen.

use sea_orm::entity::prelude::*;

/// An order.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub order_no: String,
    pub user_id: i64,
    pub charger_id: String,
    pub evse_id: i32,
    pub connector_id: i32,
    pub id_tag: String,
    pub status: String,
    pub pay_mode: String,
    pub payment_status: String,
    pub method: Option<String>,
    pub prepay_fen: Option<i64>,
    pub paid_fen: i64,
    pub refunded_fen: i64,
    /// Refunded by operators once the order was settled: a gift, not money it owes again.
    pub gift_fen: i64,
    /// Where a settlement gives back what a prepaid order did not use: `original` or `balance`.
    pub refund_to: String,
    /// The tariff copied when the order was made (JSON).
    pub tariff: String,
    pub timezone: String,
    pub remote_start_id: Option<i32>,
    #[sea_orm(unique)]
    pub transaction_id: Option<i64>,
    pub energy_wh: Option<i64>,
    pub energy_fee_fen: Option<i64>,
    pub service_fee_fen: Option<i64>,
    pub occupancy_fee_fen: Option<i64>,
    pub total_fen: Option<i64>,
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
    /// The driver's target: `amount`, `energy`, `duration` or `soc` (migration 000024).
    pub limit_kind: Option<String>,
    /// Its value in fen, Wh, seconds or percent.
    pub limit_value: Option<i64>,
    /// When csms stopped the session for a limit.
    pub limit_reached_at: Option<DateTimeUtc>,
    /// The station's most power per session when the order was made (W).
    pub session_max_power_w: Option<i64>,
    /// The station's most time per session when the order was made (s).
    pub session_max_time_s: Option<i64>,
    /// The price group whose tariff the order was made with (migration 000026).
    pub price_group: Option<String>,
    /// The member's discount it was made with (JSON).
    pub discount: Option<String>,
    /// The user while the order is live, else NULL (unique: one live order per user).
    #[sea_orm(unique)]
    pub active_user_id: Option<i64>,
    /// `charger/evse/connector` while the order holds it, else NULL (unique).
    #[sea_orm(unique)]
    pub active_connector: Option<String>,
    pub lock_expires_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub charging_ended_at: Option<DateTimeUtc>,
    pub stopped_at: Option<DateTimeUtc>,
    pub completed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Changed since the statistics' rollups last counted it (see migration 000021).
    pub stats_due: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
