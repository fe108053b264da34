//! Reading orders, and the transactions orders follow.

use super::super::sql::statement;
use super::super::{Store, StoreError};
use super::OrderFilter;
use super::connector_key;
use crate::domain::charging::records::Transaction;
use crate::domain::ids::IdTag;
use crate::domain::ledger::money::Fen;
use crate::domain::orders::order::Order;
use crate::domain::orders::records::{OrdersAtStart, StartSeen};
use crate::store::rows::Parse;
use chrono::{DateTime, Utc};
use entity::{order, transaction};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use std::collections::HashMap;

impl Store {
    /// The order `order_no`.
    pub async fn order(&self, order_no: &str) -> Result<Option<Order>, StoreError> {
        order::Entity::find().filter(order::Column::OrderNo.eq(order_no)).one(self.db()).await?.parsed()
    }

    /// The order of transaction `transaction_id`.
    pub async fn order_of_transaction(&self, transaction_id: i64) -> Result<Option<Order>, StoreError> {
        order::Entity::find().filter(order::Column::TransactionId.eq(transaction_id)).one(self.db()).await?.parsed()
    }

    /// What stands in the way of a new order of user `user_id`, in one read: their live order
    /// (`(order_no, true)`), else their oldest completed order whose bill is not paid.
    pub async fn order_in_the_way(&self, user_id: i64) -> Result<Option<(String, bool)>, StoreError> {
        let backend = self.db().get_database_backend();
        let sql = "SELECT order_no, CAST(CASE WHEN active_user_id = ? THEN 1 ELSE 0 END AS BIGINT) AS live \
                   FROM orders WHERE active_user_id = ? \
                     OR (user_id = ? AND status = 'COMPLETED' AND payment_status = 'UNPAID') \
                   ORDER BY live DESC, id ASC LIMIT 1";
        let values = [user_id.into(), user_id.into(), user_id.into()];
        let Some(row) = self.db().query_one_raw(statement(backend, sql, values)).await? else { return Ok(None) };
        Ok(Some((row.try_get("", "order_no")?, row.try_get::<i64>("", "live")? != 0)))
    }

    /// Up to `limit` of the user's completed orders whose bill is not paid, oldest first.
    pub async fn unpaid_orders_of(&self, user_id: i64, limit: u64) -> Result<Vec<String>, StoreError> {
        let rows = order::Entity::find()
            .filter(order::Column::UserId.eq(user_id))
            .filter(order::Column::Status.eq("COMPLETED"))
            .filter(order::Column::PaymentStatus.eq("UNPAID"))
            .order_by_asc(order::Column::Id)
            .limit(limit)
            .all(self.db())
            .await?;
        Ok(rows.into_iter().map(|o| o.order_no).collect())
    }

    /// Completed orders, completed since `since`, whose transaction's stop is not the one they
    /// were billed from (a stale close whose real stop came while nothing followed it).
    pub async fn orders_billed_before_their_stop(
        &self,
        since: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<Order>, StoreError> {
        let backend = self.db().get_database_backend();
        let sql = "SELECT o.* FROM orders o JOIN transactions t ON t.id = o.transaction_id \
                   WHERE o.status = 'COMPLETED' AND o.completed_at >= ? AND t.status = ? \
                   AND t.stopped_at IS NOT NULL AND (o.stopped_at IS NULL OR o.stopped_at <> t.stopped_at) \
                   ORDER BY o.id LIMIT ?";
        let values =
            [since.into(), crate::domain::charging::COMPLETED.into(), i64::try_from(limit).unwrap_or(i64::MAX).into()];
        order::Entity::find().from_raw_sql(statement(backend, sql, values)).all(self.db()).await?.parsed()
    }

    /// The user's live order, if any.
    pub async fn live_order_of(&self, user_id: i64) -> Result<Option<Order>, StoreError> {
        order::Entity::find().filter(order::Column::ActiveUserId.eq(user_id)).one(self.db()).await?.parsed()
    }

    /// The order holding a connector, if any.
    pub async fn order_on(
        &self,
        charger_id: &str,
        evse_id: i32,
        connector_id: i32,
    ) -> Result<Option<Order>, StoreError> {
        let key = connector_key(charger_id, evse_id, connector_id);
        order::Entity::find().filter(order::Column::ActiveConnector.eq(key)).one(self.db()).await?.parsed()
    }

    /// Order `order_no` with its transaction's row (none before it has one), in one read.
    pub async fn order_with_head(&self, order_no: &str) -> Result<Option<(Order, Option<Transaction>)>, StoreError> {
        let on = order::Entity::belongs_to(transaction::Entity)
            .from(order::Column::TransactionId)
            .to(transaction::Column::Id)
            .into();
        let found = order::Entity::find()
            .filter(order::Column::OrderNo.eq(order_no))
            .join(sea_orm::JoinType::LeftJoin, on)
            .select_also(transaction::Entity)
            .one(self.db())
            .await?;
        let Some((found, head)) = found else { return Ok(None) };
        Ok(Some((found.try_into()?, head.map(Transaction::try_from).transpose()?)))
    }

    /// A transaction's row, without its samples.
    pub async fn transaction_head(&self, id: i64) -> Result<Option<Transaction>, StoreError> {
        transaction::Entity::find_by_id(id).one(self.db()).await?.parsed()
    }

    /// Whether a transaction is open on a connector (2.0.1: on its EVSE).
    pub async fn charging_on(&self, charger_id: &str, evse_id: i32, connector_id: i32) -> Result<bool, StoreError> {
        let mut query = transaction::Entity::find()
            .filter(transaction::Column::ChargerId.eq(charger_id))
            .filter(transaction::Column::EvseId.eq(evse_id))
            .filter(transaction::Column::Status.eq(crate::domain::charging::ACTIVE));
        if evse_id == 0 {
            query = query.filter(transaction::Column::ConnectorId.eq(connector_id));
        }
        Ok(query.one(self.db()).await?.is_some())
    }

    /// The orders a transaction's start concerns, in one read (see `OrdersAtStart`).
    pub async fn orders_at_start(&self, start: &StartSeen<'_>) -> Result<OrdersAtStart, StoreError> {
        let place = (start.evse_id, start.connector_id);
        let mut which = Condition::any()
            .add(order::Column::TransactionId.eq(start.transaction_id))
            .add(awaiting_on(start.charger_id, place));
        if let Some(waiting) = to_start(start.charger_id, place, start.id_tag, start.remote_start_id) {
            which = which.add(waiting);
        }
        let rows: Vec<Order> =
            order::Entity::find().filter(which).order_by_desc(order::Column::Id).all(self.db()).await?.parsed()?;
        let mut found = OrdersAtStart::default();
        // Every condition but the transaction's names the charger.
        for row in rows {
            if row.transaction_id == Some(start.transaction_id) {
                found.of_transaction = Some(row);
            } else if row.status == "COMPLETED" && row.occupancy_fee_fen.is_none() && same_place(&row, place) {
                found.awaiting_occupancy.push(row);
            } else if found.to_start.is_none() && waits_for(&row, start) {
                // The newest first.
                found.to_start = Some(row);
            }
        }
        Ok(found)
    }

    /// The newest transaction on an order's connector begun since `since` that no order has,
    /// of the order's tag or of none (a 2.0.1 remote start may carry no token): what a lost
    /// start event left behind.
    pub async fn unclaimed_transaction(
        &self,
        found: &Order,
        since: DateTime<Utc>,
    ) -> Result<Option<Transaction>, StoreError> {
        let backend = self.db().get_database_backend();
        let sql = "SELECT * FROM transactions t WHERE t.charger_id = ? AND t.evse_id = ? \
                   AND (t.evse_id > 0 OR t.connector_id = ?) AND t.started_at >= ? \
                   AND (t.id_tag = ? OR t.id_tag IS NULL) \
                   AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.transaction_id = t.id) ORDER BY t.id DESC LIMIT 1";
        let values = [
            found.charger_id.clone().into(),
            found.evse_id.into(),
            found.connector_id.into(),
            since.into(),
            found.id_tag.clone().into(),
        ];
        transaction::Entity::find().from_raw_sql(statement(backend, sql, values)).one(self.db()).await?.parsed()
    }

    /// Transactions after id `after`, begun since `since`, carrying a tag, that no order has —
    /// oldest first, at most `limit`.
    pub async fn transactions_without_order(
        &self,
        after: i64,
        since: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<Transaction>, StoreError> {
        let backend = self.db().get_database_backend();
        let sql = "SELECT * FROM transactions t WHERE t.id > ? AND t.started_at >= ? AND t.id_tag IS NOT NULL \
                   AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.transaction_id = t.id) ORDER BY t.id LIMIT ?";
        let values = [after.into(), since.into(), i64::try_from(limit).unwrap_or(i64::MAX).into()];
        transaction::Entity::find().from_raw_sql(statement(backend, sql, values)).all(self.db()).await?.parsed()
    }

    /// The greatest transaction id (0 when there is none).
    pub async fn last_transaction_id(&self) -> Result<i64, StoreError> {
        let last = transaction::Entity::find().order_by_desc(transaction::Column::Id).one(self.db()).await?;
        Ok(last.map_or(0, |t| t.id))
    }

    /// Completed orders on a connector whose occupancy fee is still to be decided.
    pub async fn awaiting_occupancy_on(
        &self,
        charger_id: &str,
        evse_id: i32,
        connector_id: i32,
    ) -> Result<Vec<Order>, StoreError> {
        order::Entity::find().filter(awaiting_on(charger_id, (evse_id, connector_id))).all(self.db()).await?.parsed()
    }

    /// When the first transaction other than `not` began on a place since `since`, if one did.
    pub async fn next_start_on(
        &self,
        charger_id: &str,
        (evse_id, connector_id): (i32, i32),
        since: DateTime<Utc>,
        not: Option<i64>,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let found = transaction::Entity::find()
            .filter(transaction::Column::ChargerId.eq(charger_id))
            .filter(transaction::Column::EvseId.eq(evse_id))
            .filter(
                Condition::any()
                    .add(transaction::Column::EvseId.gt(0))
                    .add(transaction::Column::ConnectorId.eq(connector_id)),
            )
            .filter(transaction::Column::StartedAt.gte(since))
            .filter(transaction::Column::Id.ne(not.unwrap_or(-1)))
            .order_by_asc(transaction::Column::StartedAt)
            .one(self.db())
            .await?;
        Ok(found.map(|t| t.started_at))
    }

    /// Orders in one of `statuses`, oldest first (what the sweep looks after).
    pub async fn orders_in(&self, statuses: &[&str], limit: u64) -> Result<Vec<Order>, StoreError> {
        order::Entity::find()
            .filter(order::Column::Status.is_in(statuses.iter().copied()))
            .order_by_asc(order::Column::Id)
            .limit(limit)
            .all(self.db())
            .await?
            .parsed()
    }

    /// Completed orders whose occupancy fee is still to be decided, newest first.
    pub async fn orders_awaiting_occupancy(&self, limit: u64) -> Result<Vec<Order>, StoreError> {
        order::Entity::find()
            .filter(order::Column::Status.eq("COMPLETED"))
            .filter(order::Column::OccupancyFeeFen.is_null())
            .order_by_desc(order::Column::Id)
            .limit(limit)
            .all(self.db())
            .await?
            .parsed()
    }

    /// A page of orders, newest first, and the number in all.
    pub async fn orders(&self, filter: OrderFilter, offset: u64, limit: u64) -> Result<(Vec<Order>, u64), StoreError> {
        let mut query = order::Entity::find();
        if let Some(user_id) = filter.user_id {
            query = query.filter(order::Column::UserId.eq(user_id));
        }
        if let Some(status) = filter.status {
            query = query.filter(order::Column::Status.eq(status));
        }
        if let Some(charger_id) = filter.charger_id {
            query = query.filter(order::Column::ChargerId.eq(charger_id));
        }
        let total = query.clone().count(self.db()).await?;
        let rows = query.order_by_desc(order::Column::Id).offset(offset).limit(limit).all(self.db()).await?;
        Ok((rows.parsed()?, total))
    }

    /// The transactions `ids`, by id (a statement per thousand).
    pub async fn transaction_heads(&self, ids: &[i64]) -> Result<HashMap<i64, Transaction>, StoreError> {
        let mut heads = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(1000) {
            let rows = transaction::Entity::find()
                .filter(transaction::Column::Id.is_in(chunk.iter().copied()))
                .all(self.db())
                .await?;
            heads.extend(rows.into_iter().map(|t| (t.id, t)));
        }
        heads.parsed()
    }

    /// The balances of users `ids` in fen, by user (a statement per thousand).
    pub async fn balances(&self, ids: &[i64]) -> Result<HashMap<i64, Fen>, StoreError> {
        let mut balances = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(1000) {
            let rows = entity::user::Entity::find()
                .filter(entity::user::Column::Id.is_in(chunk.iter().copied()))
                .all(self.db())
                .await?;
            balances.extend(rows.into_iter().map(|u| (u.id, Fen(u.balance_fen))));
        }
        Ok(balances)
    }
}

/// A place's completed orders whose occupancy fee is still to be decided. A 2.0.1 EVSE is one
/// place whatever connector an event names.
fn awaiting_on(charger_id: &str, (evse_id, connector_id): (i32, i32)) -> Condition {
    let place = if evse_id > 0 {
        Condition::all().add(order::Column::EvseId.eq(evse_id))
    } else {
        Condition::all().add(order::Column::EvseId.eq(0)).add(order::Column::ConnectorId.eq(connector_id))
    };
    Condition::all()
        .add(order::Column::ChargerId.eq(charger_id))
        .add(place)
        .add(order::Column::Status.eq("COMPLETED"))
        .add(order::Column::OccupancyFeeFen.is_null())
}

/// Whether `row` stands on the place `awaiting_on` names.
fn same_place(row: &Order, (evse_id, connector_id): (i32, i32)) -> bool {
    row.evse_id == evse_id && (evse_id > 0 || row.connector_id == connector_id)
}

/// A charger's orders waiting for the start of `id_tag` on its place (2.0.1: its EVSE) or of
/// `remote_start_id`: ready or starting, without a transaction; none when neither is known.
fn to_start(
    charger_id: &str,
    (evse_id, connector_id): (i32, i32),
    id_tag: Option<&IdTag>,
    remote_start_id: Option<i32>,
) -> Option<Condition> {
    let mut which = Condition::any();
    if let Some(tag) = id_tag {
        let mut place = Condition::all().add(order::Column::IdTag.eq(tag)).add(order::Column::EvseId.eq(evse_id));
        if evse_id == 0 {
            place = place.add(order::Column::ConnectorId.eq(connector_id));
        }
        which = which.add(place);
    }
    if let Some(id) = remote_start_id {
        which = which.add(order::Column::RemoteStartId.eq(id));
    }
    (!which.is_empty()).then(|| {
        Condition::all()
            .add(order::Column::ChargerId.eq(charger_id))
            .add(order::Column::Status.is_in(["STARTING", "READY"]))
            .add(order::Column::TransactionId.is_null())
            .add(which)
    })
}

/// Whether `row` is one `to_start` finds.
fn waits_for(row: &Order, start: &StartSeen<'_>) -> bool {
    let by_tag = start.id_tag.is_some_and(|tag| {
        row.id_tag == *tag
            && row.evse_id == start.evse_id
            && (start.evse_id != 0 || row.connector_id == start.connector_id)
    });
    let by_id = start.remote_start_id.is_some_and(|id| row.remote_start_id == Some(id));
    matches!(row.status.as_str(), "STARTING" | "READY") && row.transaction_id.is_none() && (by_tag || by_id)
}
