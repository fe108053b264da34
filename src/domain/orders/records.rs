//! What the store is asked to do with orders: each change is conditional on the state the
//! domain decided from, so two nodes (or a driver and a charger) racing cannot both apply one.

use crate::domain::chargers::records::OperationRecord;
use crate::domain::charging::metering::ReviewReason;
use crate::domain::charging::records::{MeterSample, Transaction};
use crate::domain::ids::{ChargerId, IdTag};
use crate::domain::ids::{OrderNo, PaymentNo};
use crate::domain::ledger::money::Fen;
use crate::domain::orders::limit::ChargeLimit;
use crate::domain::orders::order::Order;
use crate::domain::orders::status::{OrderStatus, PayMode, PaymentStatus};
use crate::domain::payments::records::Destination;
use crate::domain::payments::refund_routes::{RefundPart, Refundable};
use crate::domain::units::Wh;
use chrono::{DateTime, Utc};

/// A new order, with the tariff in force copied onto it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrder {
    pub order_no: OrderNo,
    pub user_id: i64,
    pub charger_id: ChargerId,
    pub evse_id: i32,
    pub connector_id: i32,
    pub id_tag: IdTag,
    pub status: OrderStatus,
    pub pay_mode: PayMode,
    pub method: Option<String>,
    pub prepay_fen: Option<Fen>,
    pub refund_to: Destination,
    /// The tariff's JSON and the station's zone.
    pub tariff: String,
    pub timezone: String,
    /// Holds the user's one live order and the connector (a session started with a card where
    /// either is held already is still the user's order, holding neither).
    pub hold: bool,
    pub lock_expires_at: DateTime<Utc>,
    /// Set when the order is made for a session that has begun (a card's).
    pub transaction_id: Option<i64>,
    pub started_at: Option<DateTime<Utc>>,
    /// The driver's target, and the station's most power and time per session.
    pub limit: Option<ChargeLimit>,
    pub session_max_power_w: Option<i64>,
    pub session_max_time_s: Option<i64>,
    /// The price group whose tariff it is made with, and the member's discount (JSON).
    pub price_group: Option<String>,
    pub discount: Option<String>,
    pub at: DateTime<Utc>,
}

/// A transaction's start as the orders' follower heard it.
#[derive(Debug, Clone, Copy)]
pub struct StartSeen<'a> {
    pub transaction_id: i64,
    pub charger_id: &'a ChargerId,
    pub evse_id: i32,
    pub connector_id: i32,
    pub id_tag: Option<&'a IdTag>,
    pub remote_start_id: Option<i32>,
}

/// The orders a start concerns, read in one statement: the transaction's own order (the start
/// was seen before), the newest order waiting for it (its tag on its place, or its remote start
/// id: ready or starting, no transaction yet), and the completed orders on its place whose
/// occupancy fee is still to be decided (the start ends their occupancy).
#[derive(Debug, Clone, Default)]
pub struct OrdersAtStart {
    pub of_transaction: Option<Order>,
    pub to_start: Option<Order>,
    pub awaiting_occupancy: Vec<Order>,
}

/// What billing a transaction reads: its row, its samples in time order, and its charger's rated
/// power, W.
pub type ToBill = (Transaction, Vec<MeterSample>, Option<i64>);

/// What settling a stopped transaction's order reads (`OrderStore::order_to_bill`): the order,
/// what billing reads of its transaction (none when it has none stored), and its refundable
/// payments.
pub type ToSettle = (Order, Option<ToBill>, Vec<Refundable>);

/// A change of an order's state, applied only while it is in one of `from`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub to: OrderStatus,
    pub from: Vec<OrderStatus>,
    pub remote_start_id: Option<i32>,
    pub transaction_id: Option<i64>,
    pub started_at: Option<DateTime<Utc>>,
    pub charging_ended_at: Option<DateTime<Utc>>,
    /// Charging resumed: forget when it last ended.
    pub resumed: bool,
    pub start_soc: Option<i32>,
    pub lock_expires_at: Option<DateTime<Utc>>,
    /// csms stopped it for a limit then (kept once set).
    pub limit_reached_at: Option<DateTime<Utc>>,
    /// Only while it is this user's (a driver's request; none for anyone's).
    pub user_id: Option<i64>,
    /// It may change what the statistics count (see `counts`): the store makes the order due to
    /// their catch-up in the same statement. Set by `Orders::transition`.
    pub counted: bool,
}

impl Transition {
    /// A move to `to` from any of `from`, changing nothing else (fill in the rest with
    /// `Transition { …, ..Transition::new(to, from) }`).
    pub fn new(to: OrderStatus, from: &[OrderStatus]) -> Self {
        Transition {
            to,
            from: from.to_vec(),
            remote_start_id: None,
            transaction_id: None,
            started_at: None,
            charging_ended_at: None,
            resumed: false,
            start_soc: None,
            lock_expires_at: None,
            limit_reached_at: None,
            user_id: None,
            counted: false,
        }
    }

    /// Whether it may change what the statistics count of an order (`OrderFacts::counted`): it
    /// ends one (to or from `COMPLETED` or `CANCELLED`), or moves when its charging ended, or
    /// when it started while it may have ended (from `CHARGING` or `REVIEW`). A start, a
    /// failure or a charger's transaction found change no figure.
    pub fn counts(&self) -> bool {
        let ends = |status: &OrderStatus| matches!(status, OrderStatus::Completed | OrderStatus::Cancelled);
        let charged = |status: &OrderStatus| matches!(status, OrderStatus::Charging | OrderStatus::Review);
        ends(&self.to)
            || self.from.iter().any(ends)
            || self.charging_ended_at.is_some()
            || self.resumed
            || (self.started_at.is_some() && self.from.iter().any(charged))
    }
}

/// A finished order's bill and settlement, applied in one transaction while it is in one of
/// `from`: charging (or still starting, when the charger's start and stop both came before the
/// order heard), or in review when an operator settles it.
#[derive(Debug, Clone)]
pub struct Completion {
    pub order_no: OrderNo,
    pub from: Vec<OrderStatus>,
    pub user_id: i64,
    pub energy_wh: Wh,
    pub energy_fee_fen: Fen,
    pub service_fee_fen: Fen,
    /// None until the connector is freed, when the tariff has an occupancy fee; else 0.
    pub occupancy_fee_fen: Option<Fen>,
    pub total_fen: Fen,
    pub lines: String,
    /// The meter readings set aside (JSON).
    pub anomalies: String,
    pub start_soc: Option<i32>,
    pub end_soc: Option<i32>,
    pub stop_reason: String,
    pub stopped_at: DateTime<Utc>,
    pub charging_ended_at: DateTime<Utc>,
    /// The operator's decision, written to the operation log in the same transaction.
    pub operation: Option<OperationRecord>,
    /// The order's money the settlement was decided from: applied only while it is so.
    pub read: MoneyRead,
    /// The order's payment status once settled (when `collection` takes what it asks).
    pub payment_status: PaymentStatus,
    /// What is given back from the order's payments (a prepaid surplus).
    pub refunds: Vec<RefundPart>,
    /// What is taken from the balance (a shortfall, a postpaid bill).
    pub collection: Option<Collection>,
}

/// The order's money as read when a change to it was decided; the change applies only while
/// the order's paid and refunded amounts are still these (a payment or a refund in between
/// makes the decider read again).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MoneyRead {
    pub paid_fen: Fen,
    pub refunded_fen: Fen,
    /// Given back by operators once the order was settled (it moves with `refunded_fen`).
    pub gift_fen: Fen,
}

impl MoneyRead {
    /// The order's money as it reads now.
    pub fn of(order: &Order) -> Self {
        MoneyRead { paid_fen: order.paid_fen, refunded_fen: order.refunded_fen, gift_fen: order.gift_fen }
    }

    /// What it keeps of what was paid, counting operators' gifts as kept: what settles its bill.
    /// Each amount is at most what was paid for the order (each payment at most `MAX_FEN`), far
    /// inside `i64`: held at its bounds rather than wrapping.
    pub fn kept_fen(self) -> Fen {
        self.paid_fen.saturating_sub(self.refunded_fen).saturating_add(self.gift_fen)
    }
}

/// The order's bill as read when a change to it was decided (its total and occupancy fee): a
/// change that rewrites the bill applies only while it is still this one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BillRead {
    pub total_fen: Option<Fen>,
    pub occupancy_fee_fen: Option<Fen>,
}

impl BillRead {
    pub fn of(order: &Order) -> Self {
        BillRead { total_fen: order.total_fen, occupancy_fee_fen: order.occupancy_fee_fen }
    }
}

/// Money taken from the balance for an order, and the order's payment status whether it was
/// taken or the balance fell short (then nothing is taken).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collection {
    pub payment_no: PaymentNo,
    pub amount_fen: Fen,
    pub if_taken: PaymentStatus,
    pub if_short: PaymentStatus,
}

/// What a settling change did.
#[derive(Debug, Clone, PartialEq)]
pub enum Settled {
    /// Applied: the order after.
    Done(Box<Order>),
    /// The order is no longer in a state the change applies to (someone else settled it).
    NotInState,
    /// The order's money changed since it was read: decide again.
    MoneyChanged,
}

/// An order ended before charging (cancelled, failed, or its lock expired), with everything
/// paid for it refunded in the same transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ending {
    pub order_no: OrderNo,
    pub to: OrderStatus,
    pub from: Vec<OrderStatus>,
    pub reason: String,
    pub read: MoneyRead,
    /// Everything it kept, given back.
    pub refunds: Vec<RefundPart>,
    /// Its payment status after, when anything is given back.
    pub payment_status: Option<PaymentStatus>,
}

/// An occupancy fee billed once the connector is freed, collected from the balance when it
/// suffices (else the order is left unpaid for it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OccupancyCharge {
    pub order_no: OrderNo,
    pub user_id: i64,
    pub fee_fen: Fen,
    /// The bill's lines with the occupancy line added.
    pub lines: String,
    pub read: MoneyRead,
    /// The bill the fee is added to, as read.
    pub bill_read: BillRead,
    pub collection: Option<Collection>,
}

/// A finished order whose meter register an operator must settle: set to `REVIEW` while it is
/// charging or starting, its user and connector released, its money left as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewHold {
    pub order_no: OrderNo,
    pub reason: ReviewReason,
    /// The register's stop − start, when known and not negative.
    pub energy_wh: Option<Wh>,
    /// The meter readings set aside (JSON).
    pub anomalies: String,
    pub start_soc: Option<i32>,
    pub end_soc: Option<i32>,
    pub stop_reason: String,
    pub stopped_at: DateTime<Utc>,
}

/// An order billed again from its transaction's real stop (it was billed from a stale close):
/// the new bill replaces the old, which joins `revisions`, and the difference is settled — applied
/// only while the order's revisions and money are those read.
#[derive(Debug, Clone)]
pub struct Rebill {
    pub order_no: OrderNo,
    pub user_id: i64,
    /// The revisions as read (none yet: NULL).
    pub revisions_read: Option<String>,
    /// The revisions after, the bill replaced appended.
    pub revisions: String,
    pub energy_wh: Wh,
    pub energy_fee_fen: Fen,
    pub service_fee_fen: Fen,
    pub total_fen: Fen,
    pub lines: String,
    pub anomalies: String,
    pub end_soc: Option<i32>,
    pub stop_reason: String,
    pub stopped_at: DateTime<Utc>,
    pub read: MoneyRead,
    /// The bill replaced, as read (an occupancy fee billed meanwhile makes it decide again).
    pub bill_read: BillRead,
    pub payment_status: PaymentStatus,
    pub refunds: Vec<RefundPart>,
    pub collection: Option<Collection>,
}

/// Which orders a list shows.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub user_id: Option<i64>,
    pub status: Option<String>,
    pub charger_id: Option<ChargerId>,
}

/// How many times a settlement is decided again when the order's money keeps moving under it.
pub(crate) const SETTLE_ATTEMPTS: usize = 5;

#[cfg(test)]
#[path = "records_tests.rs"]
mod tests;
