//! Orders: made with the connector and the user held by unique keys, moved by conditional
//! updates, and completed, ended or charged together with their money in one transaction.

mod complete_at_once;
mod find;
mod make;
mod review;

use super::in_transaction;
use super::ledger::move_balance_with;
use super::operations::operation_row;
use super::order_payments::balance_payment_row;
use super::payments::refund_payment_on;
use super::{Store, StoreError};
use crate::domain::ledger::money::Fen;
use crate::domain::ledger::{EntryKind, NewEntry};
use crate::domain::orders::order::Order;
use crate::domain::orders::records::OrderFilter;
use crate::domain::orders::records::{Collection, Completion, Ending, OccupancyCharge, Settled, Transition};
use crate::domain::orders::status::OrderStatus;
use crate::domain::payments::refund_routes::RefundPart;
use crate::domain::storage::Subject;
use crate::store::rows::Parse;
use chrono::{DateTime, Utc};
use entity::{operation_log, order};
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, SqlErr};

/// `charger/evse/connector`: what `active_connector` holds (unique: one live order a connector).
pub(crate) fn connector_key(charger_id: &str, evse_id: i32, connector_id: i32) -> String {
    format!("{charger_id}/{evse_id}/{connector_id}")
}

impl Store {
    /// Applies `change` to order `order_no` if it is still in one of `change.from`; answers the
    /// order after, or none when it was not: one statement (a change the statistics count makes
    /// the order due to their catch-up).
    pub async fn transition(&self, order_no: &str, change: Transition) -> Result<Option<Order>, StoreError> {
        let mut update = order::Entity::update_many()
            .col_expr(order::Column::Status, Expr::value(change.to.as_str()))
            .col_expr(order::Column::UpdatedAt, Expr::value(Utc::now()));
        if let Some(id) = change.remote_start_id {
            update = update.col_expr(order::Column::RemoteStartId, Expr::value(id));
        }
        if let Some(id) = change.transaction_id {
            update = update.col_expr(order::Column::TransactionId, Expr::value(id));
        }
        if let Some(at) = change.started_at {
            update = update.col_expr(order::Column::StartedAt, Expr::value(at));
        }
        if let Some(soc) = change.start_soc {
            update = update.col_expr(order::Column::StartSoc, Expr::value(soc));
        }
        if let Some(at) = change.lock_expires_at {
            update = update.col_expr(order::Column::LockExpiresAt, Expr::value(at));
        }
        if change.resumed {
            update = update.col_expr(order::Column::ChargingEndedAt, Expr::value(Option::<DateTime<Utc>>::None));
        }
        if let Some(at) = change.charging_ended_at {
            update = update.col_expr(order::Column::ChargingEndedAt, coalesce(order::Column::ChargingEndedAt, at));
        }
        if let Some(at) = change.limit_reached_at {
            update = update.col_expr(order::Column::LimitReachedAt, coalesce(order::Column::LimitReachedAt, at));
        }
        if change.counted {
            // The statistics count it later (see `stats_rollup`).
            update = update.col_expr(order::Column::StatsDue, Expr::value(true));
        }
        if let Some(user_id) = change.user_id {
            update = update.filter(order::Column::UserId.eq(user_id));
        }
        let update = update
            .filter(order::Column::OrderNo.eq(order_no))
            .filter(order::Column::Status.is_in(change.from.iter().map(|s| s.as_str())));
        let _turn = self.write_turn().await;
        the_order_after(update.exec_with_returning(self.db()).await).and_then(Parse::parsed)
    }

    /// Completes an order with its bill and settles it (see `Completion`), in one transaction,
    /// while it is in one of `done.from` and its money is as read.
    pub async fn complete_order(&self, done: Completion) -> Result<Settled, StoreError> {
        let order_no = done.order_no.clone();
        let at = Utc::now();
        let from = done.from.clone();
        if let Some(applied) = self.complete_at_once(&done, at).await? {
            return self.settled(&order_no, applied, &from).await;
        }
        let completed = in_transaction(self, |txn| {
            Box::pin(async move {
                let updated = completing(&done, at).exec_with_returning(txn).await?;
                let Some(after) = updated.into_iter().next() else { return Ok(None) };
                if let Some(record) = done.operation.clone() {
                    operation_log::Entity::insert(operation_row(record)).exec_without_returning(txn).await?;
                }
                for part in &done.refunds {
                    refund_payment_on(txn, part, Some("settlement"), at).await?;
                }
                match &done.collection {
                    Some(collection) => {
                        collect(txn, &done.order_no, done.user_id, collection, at).await?;
                        order_in(txn, &done.order_no).await
                    }
                    None => Ok(Some(after)),
                }
            })
        })
        .await?;
        self.settled(&order_no, completed, &from).await
    }

    /// Ends an order before charging (see `Ending`), giving back all it kept, in one
    /// transaction, while it is in one of `ending.from` and its money is as read.
    pub async fn end_order(&self, ending: Ending) -> Result<Settled, StoreError> {
        let order_no = ending.order_no.clone();
        let from = ending.from.clone();
        let at = Utc::now();
        let ended = in_transaction(self, |txn| {
            Box::pin(async move {
                let mut update = order::Entity::update_many()
                    .col_expr(order::Column::Status, Expr::value(ending.to.as_str()))
                    .col_expr(order::Column::FailureReason, Expr::value(ending.reason.clone()))
                    .col_expr(order::Column::StatsDue, Expr::value(true))
                    .col_expr(order::Column::CompletedAt, Expr::value(at))
                    .col_expr(order::Column::ActiveUserId, Expr::value(Option::<i64>::None))
                    .col_expr(order::Column::ActiveConnector, Expr::value(Option::<String>::None))
                    .col_expr(order::Column::UpdatedAt, Expr::value(at));
                if let Some(status) = ending.payment_status {
                    update = update.col_expr(order::Column::PaymentStatus, Expr::value(status.as_str()));
                }
                let updated = update
                    .col_expr(order::Column::RefundedFen, refunded_with(&ending.refunds))
                    .filter(order::Column::OrderNo.eq(&ending.order_no))
                    .filter(order::Column::Status.is_in(ending.from.iter().map(|s| s.as_str())))
                    .filter(order::Column::PaidFen.eq(ending.read.paid_fen.get()))
                    .filter(order::Column::RefundedFen.eq(ending.read.refunded_fen.get()))
                    .exec_with_returning(txn)
                    .await?;
                let Some(after) = updated.into_iter().next() else { return Ok(None) };
                for part in &ending.refunds {
                    refund_payment_on(txn, part, Some(&ending.reason), at).await?;
                }
                Ok(Some(after))
            })
        })
        .await?;
        self.settled(&order_no, ended, &from).await
    }

    /// Bills a completed order's occupancy fee (see `OccupancyCharge`), once, while its money is
    /// as read.
    pub async fn charge_occupancy(&self, charge: OccupancyCharge) -> Result<Settled, StoreError> {
        let order_no = charge.order_no.clone();
        let at = Utc::now();
        let charged = in_transaction(self, |txn| {
            Box::pin(async move {
                let updated = order::Entity::update_many()
                    .col_expr(order::Column::OccupancyFeeFen, Expr::value(charge.fee_fen.get()))
                    .col_expr(
                        order::Column::TotalFen,
                        coalesce(order::Column::TotalFen, 0i64).add(charge.fee_fen.get()),
                    )
                    .col_expr(order::Column::Lines, Expr::value(charge.lines.clone()))
                    .col_expr(order::Column::StatsDue, Expr::value(true))
                    .col_expr(order::Column::UpdatedAt, Expr::value(at))
                    .filter(order::Column::OrderNo.eq(&charge.order_no))
                    .filter(order::Column::Status.eq("COMPLETED"))
                    .filter(order::Column::OccupancyFeeFen.is_null())
                    .filter(same(order::Column::TotalFen, charge.bill_read.total_fen.map(Fen::get)))
                    .filter(order::Column::PaidFen.eq(charge.read.paid_fen.get()))
                    .filter(order::Column::RefundedFen.eq(charge.read.refunded_fen.get()))
                    .exec(txn)
                    .await?;
                if updated.rows_affected == 0 {
                    return Ok(None);
                }
                if let Some(collection) = &charge.collection {
                    collect(txn, &charge.order_no, charge.user_id, collection, at).await?;
                }
                order_in(txn, &charge.order_no).await
            })
        })
        .await?;
        match self.settled(&order_no, charged, &[OrderStatus::Completed]).await? {
            // Billed already (its fee is set), or its money changed since it was read.
            Settled::MoneyChanged => match self.order(&order_no).await? {
                Some(found) if found.occupancy_fee_fen.is_none() => Ok(Settled::MoneyChanged),
                _ => Ok(Settled::NotInState),
            },
            other => Ok(other),
        }
    }

    /// What a settling change did: the order after, when `applied` (read in its transaction);
    /// else whether it left the states `from` (someone else settled it) or its money moved since
    /// it was read.
    pub(super) async fn settled(
        &self,
        order_no: &str,
        applied: Option<order::Model>,
        from: &[OrderStatus],
    ) -> Result<Settled, StoreError> {
        if let Some(after) = applied {
            return Ok(Settled::Done(Box::new(after.try_into()?)));
        }
        let Some(after) = self.order(order_no).await? else { return Ok(Settled::NotInState) };
        Ok(match from.contains(&after.status) {
            true => Settled::MoneyChanged,
            false => Settled::NotInState,
        })
    }
}

/// The order's update that completes it (see `Store::complete_order`): while it is in one of
/// `done.from` and its money is as read.
pub(super) fn completing(done: &Completion, at: DateTime<Utc>) -> sea_orm::UpdateMany<order::Entity> {
    order::Entity::update_many()
        .col_expr(order::Column::Status, Expr::value("COMPLETED"))
        .col_expr(order::Column::EnergyWh, Expr::value(done.energy_wh.get()))
        .col_expr(order::Column::EnergyFeeFen, Expr::value(done.energy_fee_fen.get()))
        .col_expr(order::Column::ServiceFeeFen, Expr::value(done.service_fee_fen.get()))
        .col_expr(order::Column::OccupancyFeeFen, Expr::value(done.occupancy_fee_fen.map(Fen::get)))
        .col_expr(order::Column::TotalFen, Expr::value(done.total_fen.get()))
        .col_expr(order::Column::Lines, Expr::value(done.lines.clone()))
        .col_expr(order::Column::Anomalies, Expr::value(done.anomalies.clone()))
        .col_expr(order::Column::StartSoc, coalesce(order::Column::StartSoc, done.start_soc))
        .col_expr(order::Column::EndSoc, Expr::value(done.end_soc))
        .col_expr(order::Column::StopReason, Expr::value(done.stop_reason.clone()))
        .col_expr(order::Column::StoppedAt, Expr::value(done.stopped_at))
        .col_expr(order::Column::ChargingEndedAt, coalesce(order::Column::ChargingEndedAt, done.charging_ended_at))
        .col_expr(order::Column::CompletedAt, Expr::value(at))
        .col_expr(order::Column::ActiveUserId, Expr::value(Option::<i64>::None))
        .col_expr(order::Column::ActiveConnector, Expr::value(Option::<String>::None))
        .col_expr(order::Column::PaymentStatus, Expr::value(done.payment_status.as_str()))
        .col_expr(order::Column::StatsDue, Expr::value(true))
        .col_expr(order::Column::UpdatedAt, Expr::value(at))
        .filter(order::Column::OrderNo.eq(done.order_no.as_str()))
        .filter(order::Column::Status.is_in(done.from.iter().map(|s| s.as_str())))
        .col_expr(order::Column::RefundedFen, refunded_with(&done.refunds))
        .filter(order::Column::PaidFen.eq(done.read.paid_fen.get()))
        .filter(order::Column::RefundedFen.eq(done.read.refunded_fen.get()))
}

/// The order's refunded amount grown by `refunds` (of its own payments): set by the order's own
/// update, before the refunds are made (`refund_payment_on`).
pub(super) fn refunded_with(refunds: &[RefundPart]) -> Expr {
    let total: i64 = refunds.iter().map(|part| part.amount_fen.get()).sum();
    Expr::col(order::Column::RefundedFen).add(total)
}

/// Order `order_no` as it is in `txn`, after its change.
pub(super) async fn order_in(txn: &DatabaseTransaction, order_no: &str) -> Result<Option<order::Model>, StoreError> {
    Ok(order::Entity::find().filter(order::Column::OrderNo.eq(order_no)).one(txn).await?)
}

/// `column = value`, or `column IS NULL` for none: a value read back unchanged.
pub(super) fn same(column: order::Column, value: Option<i64>) -> sea_orm::Condition {
    match value {
        Some(v) => sea_orm::Condition::all().add(column.eq(v)),
        None => sea_orm::Condition::all().add(column.is_null()),
    }
}

/// `COALESCE(column, value)`: the column unless it is NULL.
pub(super) fn coalesce(column: order::Column, value: impl Into<sea_orm::Value>) -> Expr {
    Func::coalesce([Expr::col(column), Expr::val(value)]).into()
}

/// Takes `collection.amount_fen` for an order from the user's balance as a balance payment and
/// sets the order's payment status as decided for that outcome; when the balance is too low
/// nothing is taken and the order gets `if_short`.
pub(super) async fn collect(
    txn: &DatabaseTransaction,
    order_no: &str,
    user_id: i64,
    collection: &Collection,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let entry = NewEntry {
        user_id,
        amount_fen: Fen::ZERO.saturating_sub(collection.amount_fen),
        kind: EntryKind::Settlement,
        reference: Some(collection.payment_no.to_string()),
        reason: None,
        actor: None,
    };
    // One update of the order: what was taken (if it was), and its payment status.
    let mut update = order::Entity::update_many();
    let row = balance_payment_row(
        collection.payment_no.to_string(),
        user_id,
        Some(order_no.to_owned()),
        "order",
        collection.amount_fen.get(),
        at,
    );
    let status = match move_balance_with(txn, entry, at, row).await {
        Ok(_) => {
            update = update
                .col_expr(order::Column::PaidFen, Expr::col(order::Column::PaidFen).add(collection.amount_fen.get()));
            collection.if_taken
        }
        // Nothing is taken: the order owes it.
        Err(StoreError::Insufficient(_)) => collection.if_short,
        Err(e) => return Err(e),
    };
    update
        .col_expr(order::Column::PaymentStatus, Expr::value(status.as_str()))
        .filter(order::Column::OrderNo.eq(order_no))
        .exec(txn)
        .await?;
    Ok(())
}

/// The order an update returned, if it changed it: `Conflict(OrderOfTransaction)` when another
/// order has the transaction it was given.
fn the_order_after(updated: Result<Vec<order::Model>, sea_orm::DbErr>) -> Result<Option<order::Model>, StoreError> {
    match updated {
        Ok(after) => Ok(after.into_iter().next()),
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            Err(StoreError::Conflict(Subject::OrderOfTransaction))
        }
        Err(e) => Err(e.into()),
    }
}
