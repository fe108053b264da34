//! Orders: made with the connector and the user held by unique keys, moved by conditional
//! updates, and completed, ended or charged together with their money in one transaction.

mod find;
mod review;

use super::in_transaction;
use super::ledger::move_balance_on;
use super::operations::operation_row;
use super::payments::{balance_payment_row, refund_on};
use super::sql::statement;
use super::{Store, StoreError};
use crate::domain::ledger::{EntryKind, NewEntry};
use crate::domain::orders::records::{Completion, Ending, NewOrder, OccupancyCharge, Transition, connector_key};
use crate::domain::payments::records::{Destination, NewRefund, SUCCEEDED};
use chrono::{DateTime, Utc};
use entity::{operation_log, order, payment};
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, SqlErr,
};

/// Which orders a list shows.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub user_id: Option<i64>,
    pub status: Option<String>,
    pub charger_id: Option<String>,
}

impl Store {
    /// Makes an order. `Conflict("live order")` when the user has a live order already,
    /// `Conflict("connector")` when another order holds the connector, `Conflict("order of the
    /// transaction")` when the transaction has its order already: the unique keys decide, also
    /// between csms nodes.
    pub async fn create_order(&self, new: NewOrder) -> Result<order::Model, StoreError> {
        let (user_id, hold) = (new.user_id, new.hold);
        let row = order::ActiveModel {
            order_no: Set(new.order_no),
            user_id: Set(new.user_id),
            active_connector: Set(hold.then(|| connector_key(&new.charger_id, new.evse_id, new.connector_id))),
            charger_id: Set(new.charger_id),
            evse_id: Set(new.evse_id),
            connector_id: Set(new.connector_id),
            id_tag: Set(new.id_tag),
            status: Set(new.status.to_owned()),
            pay_mode: Set(new.pay_mode.to_owned()),
            payment_status: Set("UNPAID".to_owned()),
            method: Set(new.method),
            prepay_fen: Set(new.prepay_fen),
            refund_to: Set(new.refund_to.to_owned()),
            paid_fen: Set(0),
            refunded_fen: Set(0),
            tariff: Set(new.tariff),
            timezone: Set(new.timezone),
            remote_start_id: Set(None),
            transaction_id: Set(new.transaction_id),
            active_user_id: Set(hold.then_some(user_id)),
            lock_expires_at: Set(new.lock_expires_at),
            started_at: Set(new.started_at),
            created_at: Set(new.at),
            updated_at: Set(new.at),
            ..Default::default()
        };
        let turn = self.write_turn().await;
        let inserted = order::Entity::insert(row).exec_with_returning(self.db()).await;
        drop(turn);
        match inserted {
            Ok(created) => Ok(created),
            Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                let live = order::Entity::find().filter(order::Column::ActiveUserId.eq(user_id)).one(self.db()).await?;
                Err(match (live, hold, new_transaction_taken(&e)) {
                    (_, _, true) => StoreError::Conflict("order of the transaction"),
                    (Some(_), true, _) => StoreError::Conflict("live order"),
                    _ => StoreError::Conflict("connector"),
                })
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Applies `change` to order `order_no` if it is still in one of `change.from`; answers the
    /// order after, or none when it was not.
    pub async fn transition(&self, order_no: &str, change: Transition) -> Result<Option<order::Model>, StoreError> {
        let mut update = order::Entity::update_many()
            .col_expr(order::Column::Status, Expr::value(change.to))
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
        let turn = self.write_turn().await;
        let updated = update
            .filter(order::Column::OrderNo.eq(order_no))
            .filter(order::Column::Status.is_in(change.from.iter().copied()))
            // The order after, in the same statement.
            .exec_with_returning(self.db())
            .await;
        drop(turn);
        match updated {
            Ok(after) => Ok(after.into_iter().next()),
            Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                Err(StoreError::Conflict("order of the transaction"))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Completes an order with its bill and settles it (see `Completion`), in one transaction;
    /// none when it is not charging or starting any more (completed by someone else).
    pub async fn complete_order(&self, done: Completion) -> Result<Option<order::Model>, StoreError> {
        let order_no = done.order_no.clone();
        let at = Utc::now();
        let completed = in_transaction(self, |txn| {
            Box::pin(async move {
                let updated = order::Entity::update_many()
                    .col_expr(order::Column::Status, Expr::value("COMPLETED"))
                    .col_expr(order::Column::EnergyWh, Expr::value(done.energy_wh))
                    .col_expr(order::Column::EnergyFeeFen, Expr::value(done.energy_fee_fen))
                    .col_expr(order::Column::ServiceFeeFen, Expr::value(done.service_fee_fen))
                    .col_expr(order::Column::OccupancyFeeFen, Expr::value(done.occupancy_fee_fen))
                    .col_expr(order::Column::TotalFen, Expr::value(done.total_fen))
                    .col_expr(order::Column::Lines, Expr::value(done.lines.clone()))
                    .col_expr(order::Column::Anomalies, Expr::value(done.anomalies.clone()))
                    .col_expr(order::Column::StartSoc, coalesce(order::Column::StartSoc, done.start_soc))
                    .col_expr(order::Column::EndSoc, Expr::value(done.end_soc))
                    .col_expr(order::Column::StopReason, Expr::value(done.stop_reason.clone()))
                    .col_expr(order::Column::StoppedAt, Expr::value(done.stopped_at))
                    .col_expr(
                        order::Column::ChargingEndedAt,
                        coalesce(order::Column::ChargingEndedAt, done.charging_ended_at),
                    )
                    .col_expr(order::Column::CompletedAt, Expr::value(at))
                    .col_expr(order::Column::ActiveUserId, Expr::value(Option::<i64>::None))
                    .col_expr(order::Column::ActiveConnector, Expr::value(Option::<String>::None))
                    .col_expr(order::Column::PaymentStatus, Expr::value("PAID"))
                    .col_expr(order::Column::UpdatedAt, Expr::value(at))
                    .filter(order::Column::OrderNo.eq(&done.order_no))
                    .filter(order::Column::Status.is_in(done.from.iter().copied()))
                    .exec(txn)
                    .await?;
                if updated.rows_affected == 0 {
                    return Ok(false);
                }
                if let Some(record) = done.operation.clone() {
                    operation_log::Entity::insert(operation_row(record)).exec_without_returning(txn).await?;
                }
                if done.refund_fen > 0 {
                    refund_paid(txn, &done.order_no, done.refund_fen, &done.refund_no, "settlement", at).await?;
                }
                if done.collect_fen > 0 {
                    collect(txn, &done.order_no, done.user_id, done.collect_fen, &done.payment_no, at).await?;
                }
                Ok(true)
            })
        })
        .await?;
        if completed { self.order(&order_no).await } else { Ok(None) }
    }

    /// Ends an order before charging (see `Ending`), refunding all it paid, in one transaction;
    /// none when it is not in one of `from` any more.
    pub async fn end_order(&self, ending: Ending) -> Result<Option<order::Model>, StoreError> {
        let order_no = ending.order_no.clone();
        let at = Utc::now();
        let ended = in_transaction(self, |txn| {
            Box::pin(async move {
                let found = order::Entity::find().filter(order::Column::OrderNo.eq(&ending.order_no)).one(txn).await?;
                let Some(found) = found else { return Ok(false) };
                let refundable = found.paid_fen - found.refunded_fen;
                let updated = order::Entity::update_many()
                    .col_expr(order::Column::Status, Expr::value(ending.to))
                    .col_expr(order::Column::FailureReason, Expr::value(ending.reason.clone()))
                    .col_expr(order::Column::CompletedAt, Expr::value(at))
                    .col_expr(order::Column::ActiveUserId, Expr::value(Option::<i64>::None))
                    .col_expr(order::Column::ActiveConnector, Expr::value(Option::<String>::None))
                    .col_expr(order::Column::UpdatedAt, Expr::value(at))
                    .filter(order::Column::OrderNo.eq(&ending.order_no))
                    .filter(order::Column::Status.is_in(ending.from.iter().copied()))
                    .filter(order::Column::PaidFen.eq(found.paid_fen))
                    .filter(order::Column::RefundedFen.eq(found.refunded_fen))
                    .exec(txn)
                    .await?;
                if updated.rows_affected == 0 {
                    return Ok(false);
                }
                if refundable > 0 {
                    refund_paid(txn, &ending.order_no, refundable, &ending.refund_no, &ending.reason, at).await?;
                    order::Entity::update_many()
                        .col_expr(order::Column::PaymentStatus, Expr::value("REFUNDED"))
                        .filter(order::Column::OrderNo.eq(&ending.order_no))
                        .exec(txn)
                        .await?;
                }
                Ok(true)
            })
        })
        .await?;
        if ended { self.order(&order_no).await } else { Ok(None) }
    }

    /// Bills a completed order's occupancy fee (see `OccupancyCharge`), once.
    pub async fn charge_occupancy(&self, charge: OccupancyCharge) -> Result<Option<order::Model>, StoreError> {
        let order_no = charge.order_no.clone();
        let at = Utc::now();
        let charged = in_transaction(self, |txn| {
            Box::pin(async move {
                let updated = order::Entity::update_many()
                    .col_expr(order::Column::OccupancyFeeFen, Expr::value(charge.fee_fen))
                    .col_expr(order::Column::TotalFen, coalesce(order::Column::TotalFen, 0i64).add(charge.fee_fen))
                    .col_expr(order::Column::Lines, Expr::value(charge.lines.clone()))
                    .col_expr(order::Column::UpdatedAt, Expr::value(at))
                    .filter(order::Column::OrderNo.eq(&charge.order_no))
                    .filter(order::Column::Status.eq("COMPLETED"))
                    .filter(order::Column::OccupancyFeeFen.is_null())
                    .exec(txn)
                    .await?;
                if updated.rows_affected == 0 {
                    return Ok(false);
                }
                if charge.fee_fen > 0 {
                    collect(txn, &charge.order_no, charge.user_id, charge.fee_fen, &charge.payment_no, at).await?;
                }
                Ok(true)
            })
        })
        .await?;
        if charged { self.order(&order_no).await } else { Ok(None) }
    }
}

/// `COALESCE(column, value)`: the column unless it is NULL.
fn coalesce(column: order::Column, value: impl Into<sea_orm::Value>) -> Expr {
    Func::coalesce([Expr::col(column), Expr::val(value)]).into()
}

/// Whether a unique violation is the transaction's (its order exists already).
fn new_transaction_taken(e: &sea_orm::DbErr) -> bool {
    e.to_string().contains("transaction_id")
}

/// Gives `amount_fen` of what an order paid back to the balance, from its newest succeeded
/// payments first; the first refund is `refund_no`, any further one `refund_no` with `-2`, `-3`….
async fn refund_paid(
    txn: &DatabaseTransaction,
    order_no: &str,
    amount_fen: i64,
    refund_no: &str,
    reason: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    // Back where it came from, or to the balance, as the driver chose for the order.
    let sql = "SELECT refund_to FROM orders WHERE order_no = ?";
    let chosen = txn.query_one_raw(statement(txn.get_database_backend(), sql, [order_no.into()])).await?;
    let chosen: Option<String> = chosen.map(|row| row.try_get("", "refund_to")).transpose()?;
    let to = chosen.as_deref().and_then(Destination::parse).unwrap_or(Destination::Original);
    let payments = payment::Entity::find()
        .filter(payment::Column::OrderNo.eq(order_no))
        .filter(payment::Column::Status.eq(SUCCEEDED))
        .filter(Condition::all().add(Expr::col(payment::Column::RefundedFen).lt(Expr::col(payment::Column::AmountFen))))
        .order_by_desc(payment::Column::Id)
        .all(txn)
        .await?;
    let mut left = amount_fen;
    for (n, paid) in payments.into_iter().enumerate() {
        if left == 0 {
            break;
        }
        let part = Ord::min(left, paid.amount_fen - paid.refunded_fen);
        let number = if n == 0 { refund_no.to_owned() } else { format!("{refund_no}-{}", n + 1) };
        let refund = NewRefund {
            refund_no: number,
            payment_no: paid.payment_no,
            amount_fen: part,
            reason: Some(reason.to_owned()),
        };
        refund_on(txn, refund, to, at).await?;
        left -= part;
    }
    if left > 0 {
        return Err(StoreError::Insufficient("refundable amount"));
    }
    Ok(())
}

/// Takes `amount_fen` for an order from the user's balance as a balance payment; when the
/// balance is too low nothing is taken and the order is left unpaid.
async fn collect(
    txn: &DatabaseTransaction,
    order_no: &str,
    user_id: i64,
    amount_fen: i64,
    payment_no: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let entry = NewEntry {
        user_id,
        amount_fen: -amount_fen,
        kind: EntryKind::Settlement,
        reference: Some(payment_no.to_owned()),
        reason: None,
        actor: None,
    };
    match move_balance_on(txn, entry, at).await {
        Ok(_) => {
            let row =
                balance_payment_row(payment_no.to_owned(), user_id, Some(order_no.to_owned()), "order", amount_fen, at);
            payment::Entity::insert(row).exec_without_returning(txn).await?;
            order::Entity::update_many()
                .col_expr(order::Column::PaidFen, Expr::col(order::Column::PaidFen).add(amount_fen))
                .filter(order::Column::OrderNo.eq(order_no))
                .exec(txn)
                .await?;
        }
        // Nothing is taken: the order owes it.
        Err(StoreError::Insufficient(_)) => {}
        Err(e) => return Err(e),
    }
    // Paid when what it kept covers its whole bill (an earlier unpaid part included).
    let sql = "UPDATE orders SET payment_status = CASE WHEN paid_fen - refunded_fen >= COALESCE(total_fen, 0) \
               THEN 'PAID' ELSE 'UNPAID' END WHERE order_no = ?";
    txn.execute_raw(statement(txn.get_database_backend(), sql, [order_no.into()])).await?;
    Ok(())
}
