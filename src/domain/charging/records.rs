//! Charging sessions and their samples as stored: what the store answers when asked for them.

use super::transactions::TransactionStatus;
use crate::domain::ids::{ChargerId, IdTag};
use crate::domain::ledger::money::Fen;
use crate::domain::order_status::OrderStatus;
use crate::domain::units::Wh;
use crate::domain::users::records::Card;
use chrono::{DateTime, Utc};

/// A charging session (a transaction), as the charger told it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    /// Ours; the transactionId of OCPP 1.6.
    pub id: i64,
    pub charger_id: ChargerId,
    pub evse_id: i32,
    pub connector_id: i32,
    /// OCPP 2.0.1's transactionId, chosen by the charger.
    pub charger_transaction_id: Option<String>,
    pub id_tag: Option<IdTag>,
    pub started_at: DateTime<Utc>,
    pub meter_start_wh: Option<Wh>,
    pub stopped_at: Option<DateTime<Utc>>,
    pub meter_stop_wh: Option<Wh>,
    /// meter stop − meter start, once both are known.
    pub energy_wh: Option<Wh>,
    pub stop_reason: Option<String>,
    pub status: TransactionStatus,
    /// The highest 2.0.1 seqNo applied.
    pub last_seq_no: Option<i32>,
    /// Some of its events happened while the charger was offline (2.0.1 `offline`).
    pub offline: bool,
    pub updated_at: DateTime<Utc>,
}

/// One stored sample of a session or a connector (its reading's time, measurand, phase, context, location, unit and value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeterSample {
    pub id: i64,
    pub transaction_id: Option<i64>,
    pub charger_id: ChargerId,
    pub evse_id: i32,
    pub connector_id: i32,
    pub sampled_at: DateTime<Utc>,
    pub measurand: String,
    pub phase: Option<String>,
    pub context: String,
    pub location: String,
    pub unit: String,
    /// Exact decimal text in `unit`, or the raw text of a signed value.
    pub value: String,
}

/// Where a tag's driver stands for credit (a driver's own tag, or a card under one), read with
/// the tag: their balance, their live order's status, and whether a bill of theirs is unpaid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditStanding {
    pub user_id: i64,
    pub balance_fen: Fen,
    pub live_status: Option<OrderStatus>,
    pub unpaid: bool,
}

/// An id tag as authorising reads it, in one read: the tag, its parent (group) tag, and where
/// its driver stands for credit (none for a tag of no driver).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagStanding {
    pub card: Card,
    pub parent: Option<Card>,
    pub driver: Option<CreditStanding>,
}
