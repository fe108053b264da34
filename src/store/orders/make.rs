//! Making orders: one insert, the connector and the user held by unique keys.

use super::super::at_once::{insert_from, positional};
use super::super::sql::statement;
use super::super::{Store, StoreError};
use super::connector_key;
use crate::domain::ledger::money::Fen;
use crate::domain::orders::order::Order;
use crate::domain::orders::records::NewOrder;
use crate::domain::orders::status::PaymentStatus;
use crate::domain::storage::Subject;
use entity::order;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryTrait,
    SqlErr,
};

/// What a driver's new order is made unless (see `Store::create_order_unless_unpaid`): the
/// user's completed order whose bill is not paid.
const UNLESS_UNPAID: &str = "(SELECT 1) AS one WHERE NOT EXISTS (SELECT 1 FROM orders \
                             WHERE user_id = ? AND status = 'COMPLETED' AND payment_status = 'UNPAID')";

impl Store {
    /// Makes an order. `Conflict("live order")` when the user has a live order already,
    /// `Conflict("connector")` when another order holds the connector, `Conflict("order of the
    /// transaction")` when the transaction has its order already: the unique keys decide, also
    /// between csms nodes.
    pub async fn create_order(&self, new: NewOrder) -> Result<Order, StoreError> {
        let (user_id, hold, transaction_id) = (new.user_id, new.hold, new.transaction_id);
        let row = order_row(new);
        // Made due to the statistics' catch-up (the column's default; see `stats_rollup`).
        let turn = self.write_turn().await;
        let inserted = order::Entity::insert(row).exec_with_returning(self.db()).await;
        drop(turn);
        match inserted {
            Ok(created) => created.try_into(),
            Err(e) => Err(self.refusal((user_id, hold, transaction_id), e).await),
        }
    }

    /// `create_order`, in the same statement only while user `new.user_id` has no completed
    /// order whose bill is not paid: none when they have one.
    pub async fn create_order_unless_unpaid(&self, new: NewOrder) -> Result<Option<Order>, StoreError> {
        let (user_id, hold, transaction_id) = (new.user_id, new.hold, new.transaction_id);
        let insert = order::Entity::insert(order_row(new)).into_query().returning_all().to_owned();
        let Some((sql, mut values)) = insert_from(positional(&insert), UNLESS_UNPAID) else {
            return Err(StoreError::Db("an order's insert is not of the shape expected".into()));
        };
        values.push(user_id.into());
        let backend = self.db().get_database_backend();
        let turn = self.write_turn().await;
        let inserted = self.db().query_one_raw(statement(backend, &sql, values)).await;
        drop(turn);
        match inserted {
            Ok(Some(row)) => Ok(Some(order::Model::from_query_result(&row, "")?.try_into()?)),
            Ok(None) => Ok(None),
            Err(e) => Err(self.refusal((user_id, hold, transaction_id), e).await),
        }
    }

    /// Why an order's insert failed: which unique key refused it, read from the rows that hold
    /// them (never from the message), or the database's error.
    async fn refusal(&self, (user_id, hold, transaction_id): (i64, bool, Option<i64>), e: DbErr) -> StoreError {
        if !matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) {
            return e.into();
        }
        let taken = match transaction_id {
            Some(id) => match order::Entity::find().filter(order::Column::TransactionId.eq(id)).one(self.db()).await {
                Ok(found) => found.is_some(),
                Err(e) => return e.into(),
            },
            None => false,
        };
        let live = match order::Entity::find().filter(order::Column::ActiveUserId.eq(user_id)).one(self.db()).await {
            Ok(live) => live,
            Err(e) => return e.into(),
        };
        match (live, hold, taken) {
            (_, _, true) => StoreError::Conflict(Subject::OrderOfTransaction),
            (Some(_), true, _) => StoreError::Conflict(Subject::LiveOrder),
            _ => StoreError::Conflict(Subject::Connector),
        }
    }
}

/// The row of order `new`, unpaid (see `Store::create_order`).
fn order_row(new: NewOrder) -> order::ActiveModel {
    let hold = new.hold;
    order::ActiveModel {
        order_no: Set(new.order_no.into()),
        user_id: Set(new.user_id),
        active_connector: Set(hold.then(|| connector_key(&new.charger_id, new.evse_id, new.connector_id))),
        charger_id: Set(new.charger_id.into_string()),
        evse_id: Set(new.evse_id),
        connector_id: Set(new.connector_id),
        id_tag: Set(new.id_tag.into_string()),
        status: Set(new.status.as_str().to_owned()),
        pay_mode: Set(new.pay_mode.as_str().to_owned()),
        payment_status: Set(PaymentStatus::Unpaid.as_str().to_owned()),
        method: Set(new.method),
        prepay_fen: Set(new.prepay_fen.map(Fen::get)),
        refund_to: Set(new.refund_to.as_str().to_owned()),
        paid_fen: Set(0),
        refunded_fen: Set(0),
        tariff: Set(new.tariff),
        timezone: Set(new.timezone),
        remote_start_id: Set(None),
        transaction_id: Set(new.transaction_id),
        active_user_id: Set(hold.then_some(new.user_id)),
        lock_expires_at: Set(new.lock_expires_at),
        started_at: Set(new.started_at),
        limit_kind: Set(new.limit.map(|l| l.kind.as_str().to_owned())),
        limit_value: Set(new.limit.map(|l| l.value)),
        session_max_power_w: Set(new.session_max_power_w),
        session_max_time_s: Set(new.session_max_time_s),
        price_group: Set(new.price_group),
        discount: Set(new.discount),
        created_at: Set(new.at),
        updated_at: Set(new.at),
        ..Default::default()
    }
}
