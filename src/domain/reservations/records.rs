//! Reservations as csms keeps them, and what the store is asked to do with them.

use crate::domain::ids::{ChargerId, IdTag, OrderNo};
use crate::domain::ledger::money::Fen;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// Where a reservation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReservationStatus {
    /// Holding its connector.
    Active,
    /// The driver made their order on it.
    Used,
    /// It ran out: the driver did not come.
    Expired,
    /// The driver gave it up.
    Cancelled,
    /// The operator or the pile ended it.
    Revoked,
}

crate::domain::stored_text::stored_text!(ReservationStatus {
    Active => "ACTIVE",
    Used => "USED",
    Expired => "EXPIRED",
    Cancelled => "CANCELLED",
    Revoked => "REVOKED",
});

/// Where the fee went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeeStatus {
    /// Paid, not decided yet.
    Held,
    /// Back to the balance toward the charge: the driver's session started.
    Credited,
    /// Kept: the driver did not come, gave it up, or gave up the order made on it.
    Kept,
    /// Refunded to the balance: the operator or the pile ended it, or the pile refused the start.
    Refunded,
}

crate::domain::stored_text::stored_text!(FeeStatus {
    Held => "HELD",
    Credited => "CREDITED",
    Kept => "KEPT",
    Refunded => "REFUNDED",
});

impl FeeStatus {
    /// Whether the fee goes back to the driver's balance.
    pub fn gives_back(self) -> bool {
        matches!(self, FeeStatus::Credited | FeeStatus::Refunded)
    }
}

/// A reservation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    pub id: i64,
    pub user_id: i64,
    pub charger_id: ChargerId,
    pub evse_id: i32,
    pub connector_id: i32,
    pub id_tag: IdTag,
    pub status: ReservationStatus,
    pub fee: Fen,
    pub fee_status: FeeStatus,
    pub order_no: Option<OrderNo>,
    pub ended_by: Option<String>,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

/// A reservation to make: its fee is taken from the balance with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReservation {
    pub user_id: i64,
    pub charger_id: ChargerId,
    pub evse_id: i32,
    pub connector_id: i32,
    pub id_tag: IdTag,
    pub fee: Fen,
    pub expires_at: DateTime<Utc>,
    pub at: DateTime<Utc>,
}

/// An active reservation ended: `to` (expired, cancelled, revoked), its fee `fee` (kept or
/// refunded), by `by`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ending {
    pub id: i64,
    pub to: ReservationStatus,
    pub fee: FeeStatus,
    pub by: Option<String>,
    pub at: DateTime<Utc>,
}

/// A used reservation whose fee is still held, with its order as it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldFee {
    pub reservation: Reservation,
    /// The order's status (`CHARGING`, `CANCELLED`, …), none when it is gone.
    pub order_status: Option<String>,
    /// Whether the order's session started.
    pub started: bool,
}

/// A reservation as drivers and operators see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReservationView {
    pub id: i64,
    pub user_id: i64,
    pub pile_code: String,
    pub evse_id: i32,
    pub connector_id: i32,
    pub status: &'static str,
    pub fee: String,
    pub fee_status: &'static str,
    pub order_no: Option<String>,
    pub ended_by: Option<String>,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

impl From<Reservation> for ReservationView {
    fn from(r: Reservation) -> Self {
        ReservationView {
            id: r.id,
            user_id: r.user_id,
            pile_code: r.charger_id.into_string(),
            evse_id: r.evse_id,
            connector_id: r.connector_id,
            status: r.status.as_str(),
            fee: r.fee.to_string(),
            fee_status: r.fee_status.as_str(),
            order_no: r.order_no.map(OrderNo::into_string),
            ended_by: r.ended_by,
            expires_at: r.expires_at,
            created_at: r.created_at,
            ended_at: r.ended_at,
        }
    }
}
