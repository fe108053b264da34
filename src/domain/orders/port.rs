//! What the orders area needs stored: its persistence port, in its own types. The store
//! implements it (`store/ports/orders.rs`); `startup` hands the store in.

use crate::domain::chargers::records::Connector;
use crate::domain::charging::ReadingPick;
use crate::domain::charging::records::MeterSample;
use crate::domain::charging::records::Transaction;
use crate::domain::ids::OrderNo;
use crate::domain::ids::{ChargerId, IdTag};
use crate::domain::ledger::money::Fen;
use crate::domain::orders::order::Order;
use crate::domain::orders::records::Completion;
use crate::domain::orders::records::Ending;
use crate::domain::orders::records::NewOrder;
use crate::domain::orders::records::OccupancyCharge;
use crate::domain::orders::records::OrderFilter;
use crate::domain::orders::records::OrdersAtStart;
use crate::domain::orders::records::Rebill;
use crate::domain::orders::records::ReviewHold;
use crate::domain::orders::records::Settled;
use crate::domain::orders::records::StartSeen;
use crate::domain::orders::records::ToSettle;
use crate::domain::orders::records::Transition;
use crate::domain::payments::refund_routes::Refundable;
use crate::domain::storage::StoreError;
use crate::domain::users::records::User;
use chrono::DateTime;
use chrono::Utc;
use std::collections::HashMap;

/// The orders area's persistence port: orders made, changed while they read as decided,
/// settled with their money and ledger rows, and found. The store implements it.
#[async_trait::async_trait]
pub trait OrderStore: Send + Sync + std::fmt::Debug {
    /// Completed orders on a connector whose occupancy fee is still to be decided.
    async fn awaiting_occupancy_on(
        &self,
        charger_id: &ChargerId,
        evse_id: i32,
        connector_id: i32,
    ) -> Result<Vec<Order>, StoreError>;

    /// The balances of users `ids` in fen, by user (a statement per thousand).
    async fn balances(&self, ids: &[i64]) -> Result<HashMap<i64, Fen>, StoreError>;

    /// Bills a completed order's occupancy fee (see `OccupancyCharge`), once, while its money is
    /// as read.
    async fn charge_occupancy(&self, charge: OccupancyCharge) -> Result<Settled, StoreError>;

    /// Whether a transaction is open on a connector (2.0.1: on its EVSE).
    async fn charging_on(&self, charger_id: &ChargerId, evse_id: i32, connector_id: i32) -> Result<bool, StoreError>;

    /// Completes an order with its bill and settles it (see `Completion`), in one transaction,
    /// while it is in one of `done.from` and its money is as read.
    async fn complete_order(&self, done: Completion) -> Result<Settled, StoreError>;

    /// The current status of every connector of a charger.
    async fn connectors(&self, charger_id: &ChargerId) -> Result<Vec<Connector>, StoreError>;

    /// Makes an order. `Conflict("live order")` when the user has a live order already,
    /// `Conflict("connector")` when another order holds the connector, `Conflict("order of the
    /// transaction")` when the transaction has its order already: the unique keys decide, also
    /// between csms nodes.
    async fn create_order(&self, new: NewOrder) -> Result<Order, StoreError>;

    /// `create_order`, made only while user `new.user_id` has no completed order whose bill is
    /// not paid (checked by the insert itself): none when they have one.
    async fn create_order_unless_unpaid(&self, new: NewOrder) -> Result<Option<Order>, StoreError>;

    /// Ends an order before charging (see `Ending`), giving back all it kept, in one
    /// transaction, while it is in one of `ending.from` and its money is as read.
    async fn end_order(&self, ending: Ending) -> Result<Settled, StoreError>;

    /// A transaction's earliest stored sample that `pick` takes (when, and what it took).
    async fn first_reading(&self, id: i64, pick: ReadingPick) -> Result<Option<(DateTime<Utc>, i64)>, StoreError>;

    /// Sets a finished order aside for review (see `ReviewHold`) while it is charging or
    /// starting; answers it after, or none when it was not (settled by someone else).
    async fn hold_for_review(&self, hold: ReviewHold) -> Result<Option<Order>, StoreError>;

    /// The greatest transaction id (0 when there is none).
    async fn last_transaction_id(&self) -> Result<i64, StoreError>;

    /// The user's live order, if any.
    async fn live_order_of(&self, user_id: i64) -> Result<Option<Order>, StoreError>;

    /// When the first transaction other than `not` began on a place since `since`, if one did.
    async fn next_start_on(
        &self,
        charger_id: &ChargerId,
        (evse_id, connector_id): (i32, i32),
        since: DateTime<Utc>,
        not: Option<i64>,
    ) -> Result<Option<DateTime<Utc>>, StoreError>;

    /// The order `order_no`.
    async fn order(&self, order_no: &OrderNo) -> Result<Option<Order>, StoreError>;

    /// The order of transaction `transaction_id`.
    async fn order_of_transaction(&self, transaction_id: i64) -> Result<Option<Order>, StoreError>;

    /// The order holding a connector, if any.
    async fn order_on(
        &self,
        charger_id: &ChargerId,
        evse_id: i32,
        connector_id: i32,
    ) -> Result<Option<Order>, StoreError>;

    /// The orders a transaction's start concerns (see `OrdersAtStart`), in one read.
    async fn orders_at_start(&self, start: &StartSeen<'_>) -> Result<OrdersAtStart, StoreError>;

    /// A page of orders, newest first, and the number in all.
    async fn orders(&self, filter: OrderFilter, offset: u64, limit: u64) -> Result<(Vec<Order>, u64), StoreError>;

    /// Completed orders whose occupancy fee is still to be decided, newest first.
    async fn orders_awaiting_occupancy(&self, limit: u64) -> Result<Vec<Order>, StoreError>;

    /// Completed orders, completed since `since`, whose transaction's stop is not the one they
    /// were billed from (a stale close whose real stop came while nothing followed it).
    async fn orders_billed_before_their_stop(&self, since: DateTime<Utc>, limit: u64)
    -> Result<Vec<Order>, StoreError>;

    /// Orders in one of `statuses`, oldest first (what the sweep looks after).
    async fn orders_in(&self, statuses: &[&str], limit: u64) -> Result<Vec<Order>, StoreError>;

    /// How many orders of a pile wait for review.
    async fn orders_in_review_on(&self, charger_id: &ChargerId) -> Result<u64, StoreError>;

    /// Bills a completed order again (see `Rebill`) and settles the difference, in one
    /// transaction, while its revisions and its money are those read.
    async fn rebill_order(&self, rebill: Rebill) -> Result<Settled, StoreError>;

    /// The succeeded payments of an order that still have money to refund, newest first.
    async fn refundable_payments(&self, order_no: &OrderNo) -> Result<Vec<Refundable>, StoreError>;

    /// A transaction and its samples in time order (both tables': see `sample_reads`).
    async fn transaction(&self, id: i64) -> Result<Option<(Transaction, Vec<MeterSample>)>, StoreError>;

    /// A transaction, its samples and the rated power of its charger (W), for its bill.
    async fn transaction_to_bill(
        &self,
        id: i64,
    ) -> Result<Option<(Transaction, Vec<MeterSample>, Option<i64>)>, StoreError>;

    /// The order of transaction `transaction_id`, with what billing and settling it read (see
    /// `ToSettle`): the order, the transaction, its charger and its payments in one read.
    async fn order_to_bill(&self, transaction_id: i64) -> Result<Option<ToSettle>, StoreError>;

    /// Order `order_no` with its transaction's row (none before it has one), in one read.
    async fn order_with_head(&self, order_no: &OrderNo) -> Result<Option<(Order, Option<Transaction>)>, StoreError>;

    /// A transaction's row, without its samples.
    async fn transaction_head(&self, id: i64) -> Result<Option<Transaction>, StoreError>;

    /// The transactions `ids`, by id (a statement per thousand).
    async fn transaction_heads(&self, ids: &[i64]) -> Result<HashMap<i64, Transaction>, StoreError>;

    /// Transactions after id `after`, begun since `since`, carrying a tag, that no order has —
    /// oldest first, at most `limit`.
    async fn transactions_without_order(
        &self,
        after: i64,
        since: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<Transaction>, StoreError>;

    /// Applies `change` to order `order_no` if it is still in one of `change.from`; answers the
    /// order after, or none when it was not.
    async fn transition(&self, order_no: &OrderNo, change: Transition) -> Result<Option<Order>, StoreError>;

    /// The newest transaction on an order's connector begun since `since` that no order has,
    /// of the order's tag or of none (a 2.0.1 remote start may carry no token): what a lost
    /// start event left behind.
    async fn unclaimed_transaction(
        &self,
        found: &Order,
        since: DateTime<Utc>,
    ) -> Result<Option<Transaction>, StoreError>;

    /// Up to `limit` of the user's completed orders whose bill is not paid, oldest first.
    async fn unpaid_orders_of(&self, user_id: i64, limit: u64) -> Result<Vec<String>, StoreError>;

    /// What stands in the way of a new order of user `user_id`, in one read: their live order
    /// (`(order_no, true)`), else their oldest completed order whose bill is not paid.
    async fn order_in_the_way(&self, user_id: i64) -> Result<Option<(String, bool)>, StoreError>;

    /// The user whose tag `tag` is: their own, or a card bound to them (its group is their tag).
    async fn user_by_id_tag(&self, tag: &IdTag) -> Result<Option<User>, StoreError>;
}
