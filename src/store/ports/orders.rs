//! The store as the orders area's port: each method is the store's own query.

use crate::domain::chargers::records::Connector;
use crate::domain::charging::ReadingPick;
use crate::domain::charging::records::MeterSample;
use crate::domain::charging::records::Transaction;
use crate::domain::ids::OrderNo;
use crate::domain::ids::{ChargerId, IdTag};
use crate::domain::ledger::money::Fen;
use crate::domain::orders::OrderStore;
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
use crate::store::Store;
use chrono::DateTime;
use chrono::Utc;
use std::collections::HashMap;

#[async_trait::async_trait]
impl OrderStore for Store {
    async fn awaiting_occupancy_on(
        &self,
        charger_id: &ChargerId,
        evse_id: i32,
        connector_id: i32,
    ) -> Result<Vec<Order>, StoreError> {
        Store::awaiting_occupancy_on(self, charger_id, evse_id, connector_id).await
    }

    async fn balances(&self, ids: &[i64]) -> Result<HashMap<i64, Fen>, StoreError> {
        Store::balances(self, ids).await
    }

    async fn charge_occupancy(&self, charge: OccupancyCharge) -> Result<Settled, StoreError> {
        Store::charge_occupancy(self, charge).await
    }

    async fn charging_on(&self, charger_id: &ChargerId, evse_id: i32, connector_id: i32) -> Result<bool, StoreError> {
        Store::charging_on(self, charger_id, evse_id, connector_id).await
    }

    async fn complete_order(&self, done: Completion) -> Result<Settled, StoreError> {
        Store::complete_order(self, done).await
    }

    async fn connectors(&self, charger_id: &ChargerId) -> Result<Vec<Connector>, StoreError> {
        Store::connectors(self, charger_id).await
    }

    async fn create_order(&self, new: NewOrder) -> Result<Order, StoreError> {
        Store::create_order(self, new).await
    }

    async fn create_order_unless_unpaid(&self, new: NewOrder) -> Result<Option<Order>, StoreError> {
        Store::create_order_unless_unpaid(self, new).await
    }

    async fn end_order(&self, ending: Ending) -> Result<Settled, StoreError> {
        Store::end_order(self, ending).await
    }

    async fn first_reading(&self, id: i64, pick: ReadingPick) -> Result<Option<(DateTime<Utc>, i64)>, StoreError> {
        Store::first_reading(self, id, pick).await
    }

    async fn hold_for_review(&self, hold: ReviewHold) -> Result<Option<Order>, StoreError> {
        Store::hold_for_review(self, hold).await
    }

    async fn last_transaction_id(&self) -> Result<i64, StoreError> {
        Store::last_transaction_id(self).await
    }

    async fn live_order_of(&self, user_id: i64) -> Result<Option<Order>, StoreError> {
        Store::live_order_of(self, user_id).await
    }

    async fn next_start_on(
        &self,
        charger_id: &ChargerId,
        (evse_id, connector_id): (i32, i32),
        since: DateTime<Utc>,
        not: Option<i64>,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        Store::next_start_on(self, charger_id, (evse_id, connector_id), since, not).await
    }

    async fn order(&self, order_no: &OrderNo) -> Result<Option<Order>, StoreError> {
        Store::order(self, order_no).await
    }

    async fn order_of_transaction(&self, transaction_id: i64) -> Result<Option<Order>, StoreError> {
        Store::order_of_transaction(self, transaction_id).await
    }

    async fn order_on(
        &self,
        charger_id: &ChargerId,
        evse_id: i32,
        connector_id: i32,
    ) -> Result<Option<Order>, StoreError> {
        Store::order_on(self, charger_id, evse_id, connector_id).await
    }

    async fn orders_at_start(&self, start: &StartSeen<'_>) -> Result<OrdersAtStart, StoreError> {
        Store::orders_at_start(self, start).await
    }

    async fn orders(&self, filter: OrderFilter, offset: u64, limit: u64) -> Result<(Vec<Order>, u64), StoreError> {
        Store::orders(self, filter, offset, limit).await
    }

    async fn orders_awaiting_occupancy(&self, limit: u64) -> Result<Vec<Order>, StoreError> {
        Store::orders_awaiting_occupancy(self, limit).await
    }

    async fn orders_billed_before_their_stop(
        &self,
        since: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<Order>, StoreError> {
        Store::orders_billed_before_their_stop(self, since, limit).await
    }

    async fn orders_in(&self, statuses: &[&str], limit: u64) -> Result<Vec<Order>, StoreError> {
        Store::orders_in(self, statuses, limit).await
    }

    async fn orders_in_review_on(&self, charger_id: &ChargerId) -> Result<u64, StoreError> {
        Store::orders_in_review_on(self, charger_id).await
    }

    async fn rebill_order(&self, rebill: Rebill) -> Result<Settled, StoreError> {
        Store::rebill_order(self, rebill).await
    }

    async fn refundable_payments(&self, order_no: &OrderNo) -> Result<Vec<Refundable>, StoreError> {
        Store::refundable_payments(self, order_no).await
    }

    async fn transaction(&self, id: i64) -> Result<Option<(Transaction, Vec<MeterSample>)>, StoreError> {
        Store::transaction(self, id).await
    }

    async fn transaction_to_bill(
        &self,
        id: i64,
    ) -> Result<Option<(Transaction, Vec<MeterSample>, Option<i64>)>, StoreError> {
        Store::transaction_to_bill(self, id).await
    }

    async fn order_to_bill(&self, transaction_id: i64) -> Result<Option<ToSettle>, StoreError> {
        Store::order_to_bill(self, transaction_id).await
    }

    async fn order_with_head(&self, order_no: &OrderNo) -> Result<Option<(Order, Option<Transaction>)>, StoreError> {
        Store::order_with_head(self, order_no).await
    }

    async fn transaction_head(&self, id: i64) -> Result<Option<Transaction>, StoreError> {
        Store::transaction_head(self, id).await
    }

    async fn transaction_heads(&self, ids: &[i64]) -> Result<HashMap<i64, Transaction>, StoreError> {
        Store::transaction_heads(self, ids).await
    }

    async fn transactions_without_order(
        &self,
        after: i64,
        since: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<Transaction>, StoreError> {
        Store::transactions_without_order(self, after, since, limit).await
    }

    async fn transition(&self, order_no: &OrderNo, change: Transition) -> Result<Option<Order>, StoreError> {
        Store::transition(self, order_no, change).await
    }

    async fn unclaimed_transaction(
        &self,
        found: &Order,
        since: DateTime<Utc>,
    ) -> Result<Option<Transaction>, StoreError> {
        Store::unclaimed_transaction(self, found, since).await
    }

    async fn order_in_the_way(&self, user_id: i64) -> Result<Option<(String, bool)>, StoreError> {
        Store::order_in_the_way(self, user_id).await
    }

    async fn unpaid_orders_of(&self, user_id: i64, limit: u64) -> Result<Vec<String>, StoreError> {
        Store::unpaid_orders_of(self, user_id, limit).await
    }

    async fn user_by_id_tag(&self, tag: &IdTag) -> Result<Option<User>, StoreError> {
        Store::user_by_id_tag(self, tag).await
    }
}
