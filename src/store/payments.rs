//! Payments and refunds: each moves money only inside one database transaction with its ledger
//! row and the order it belongs to.

use super::in_transaction;
use super::ledger::move_balance_with;
use super::operations::operation_row;
use super::provider_payments::refund_row;
use super::sql::statement;
use super::{Store, StoreError};
use crate::domain::chargers::records::OperationRecord;
use crate::domain::ledger::{EntryKind, NewEntry};
use crate::domain::payments::refund_routes::{RefundPart, Refundable};
use crate::domain::payments::stored::{Payment, PaymentState, Refund, RefundState};
use crate::domain::storage::Subject;
use crate::store::rows::Parse;
use chrono::{DateTime, Utc};
use entity::{operation_log, payment, refund};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

/// Executes one refund decided by the domain (see `payments::refunds`) on `txn`:
/// `Insufficient` when it would refund more than paid minus already refunded (one conditional
/// update decides, whatever runs at the same time), `NotFound` when there is no such succeeded
/// payment. The caller rolls its transaction back on an error.
///
/// The order's and the payment's refunded amounts grow; the balance moves as the route says, with
/// its ledger row (a top-up's refund takes its amount off the balance: `Insufficient("balance")`
/// when spent); the refund is stored `SUCCEEDED` when it went to the balance, else `PENDING` and
/// sent to the provider after the commit.
pub(super) async fn refund_on(
    txn: &DatabaseTransaction,
    part: &RefundPart,
    reason: Option<&str>,
    at: DateTime<Utc>,
) -> Result<refund::Model, StoreError> {
    let backend = txn.get_database_backend();
    // Rows are locked in one order everywhere — the order, the payment, the user — so that a
    // refund and a settlement of the same order cannot deadlock on PostgreSQL. A payment's order
    // never changes: it is read without a lock, by the order's update.
    let sql = "UPDATE orders SET refunded_fen = refunded_fen + ?, updated_at = ? \
               WHERE order_no = (SELECT p.order_no FROM payments p WHERE p.payment_no = ?)";
    txn.execute_raw(statement(
        backend,
        sql,
        [part.amount_fen.get().into(), at.into(), part.payment_no.as_str().into()],
    ))
    .await?;
    refund_payment_on(txn, part, reason, at).await
}

/// `refund_on` but for the order's refunded amount, which its caller's update of the order (made
/// first) has grown already.
pub(super) async fn refund_payment_on(
    txn: &DatabaseTransaction,
    part: &RefundPart,
    reason: Option<&str>,
    at: DateTime<Utc>,
) -> Result<refund::Model, StoreError> {
    let backend = txn.get_database_backend();
    let sql = "UPDATE payments SET refunded_fen = refunded_fen + ?, updated_at = ? \
               WHERE payment_no = ? AND status = ? AND refunded_fen + ? <= amount_fen RETURNING user_id";
    let values = [
        part.amount_fen.get().into(),
        at.into(),
        part.payment_no.as_str().into(),
        PaymentState::Succeeded.into(),
        part.amount_fen.get().into(),
    ];
    let Some(paid) = txn.query_one_raw(statement(backend, sql, values)).await? else {
        // The caller's transaction rolls back, the order's refunded amount with it.
        let found =
            payment::Entity::find().filter(payment::Column::PaymentNo.eq(part.payment_no.as_str())).one(txn).await?;
        return Err(match found {
            Some(p) if p.status == PaymentState::Succeeded.as_str() => {
                StoreError::Insufficient(Subject::RefundableAmount)
            }
            _ => StoreError::NotFound(Subject::Payment),
        });
    };
    let user_id: i64 = paid.try_get("", "user_id")?;
    let row = refund_row_of(part, reason, at);
    match part.route.balance_change(part.amount_fen) {
        // The balance moves with its ledger row and the refund, in one statement on PostgreSQL.
        Some(amount_fen) => {
            let entry = NewEntry {
                user_id,
                amount_fen,
                kind: EntryKind::Refund,
                reference: Some(part.refund_no.clone()),
                reason: reason.map(str::to_owned),
                actor: None,
            };
            move_balance_with(txn, entry, at, row).await
        }
        None => Ok(refund::Entity::insert(row).exec_with_returning(txn).await?),
    }
}

/// The refund row of `part`: `SUCCEEDED` when its route is done at once (to the balance), else
/// `PENDING` until its provider says it is done.
pub(super) fn refund_row_of(part: &RefundPart, reason: Option<&str>, at: DateTime<Utc>) -> refund::ActiveModel {
    let status = if part.route.done_at_once() { RefundState::Succeeded } else { RefundState::Pending };
    refund_row(
        part.refund_no.clone(),
        part.payment_no.to_string(),
        part.amount_fen.get(),
        part.route.destination(),
        status,
        reason,
        at,
    )
}

impl Store {
    /// An operator's refund of (part of) a payment (see `refund_on`), with its entry in the
    /// operation log, in one transaction.
    pub async fn refund_payment(
        &self,
        part: RefundPart,
        reason: Option<String>,
        operation: OperationRecord,
    ) -> Result<Refund, StoreError> {
        let at = Utc::now();
        in_transaction(self, |txn| {
            Box::pin(async move {
                let mut made = refund_on(txn, &part, reason.as_deref(), at).await?;
                // The order's row is locked by the refund now: its status says whether its
                // settlement came first (then this refund is a gift the bill does not take back).
                let backend = txn.get_database_backend();
                let sql = "SELECT o.status FROM orders o JOIN payments p ON p.order_no = o.order_no \
                           WHERE p.payment_no = ?";
                let order = txn.query_one_raw(statement(backend, sql, [part.payment_no.as_str().into()])).await?;
                let status: Option<String> = order.map(|row| row.try_get("", "status")).transpose()?;
                let after_settlement = status.as_deref() == Some("COMPLETED");
                let sql = "UPDATE refunds SET actor = ?, after_settlement = ? WHERE refund_no = ?";
                let values = [operation.actor.clone().into(), after_settlement.into(), made.refund_no.clone().into()];
                txn.execute_raw(statement(backend, sql, values)).await?;
                if after_settlement {
                    let sql = "UPDATE orders SET gift_fen = gift_fen + ? WHERE order_no = \
                               (SELECT order_no FROM payments WHERE payment_no = ?)";
                    let values = [part.amount_fen.get().into(), part.payment_no.as_str().into()];
                    txn.execute_raw(statement(backend, sql, values)).await?;
                }
                made.actor = Some(operation.actor.clone());
                made.after_settlement = after_settlement;
                operation_log::Entity::insert(operation_row(operation)).exec_without_returning(txn).await?;
                Ok(made)
            })
        })
        .await
        .and_then(Refund::try_from)
    }

    /// A payment's refundable state: the succeeded payment with what it has left, if any.
    pub async fn refundable(&self, payment_no: &str) -> Result<Option<(Payment, Refundable)>, StoreError> {
        let found = self.payment(payment_no).await?.filter(|p| p.status == PaymentState::Succeeded);
        Ok(found.and_then(|p| Some((p.clone(), refundable_of(&p)?))))
    }

    /// The succeeded payments of an order that still have money to refund, newest first.
    pub async fn refundable_payments(&self, order_no: &str) -> Result<Vec<Refundable>, StoreError> {
        let payments: Vec<Payment> = payment::Entity::find()
            .filter(payment::Column::OrderNo.eq(order_no))
            .filter(payment::Column::Status.eq(PaymentState::Succeeded))
            .order_by_desc(payment::Column::Id)
            .all(self.db())
            .await?
            .parsed()?;
        Ok(payments.iter().filter_map(refundable_of).filter(|r| r.left_fen.is_positive()).collect())
    }

    /// The payment `payment_no`.
    pub async fn payment(&self, payment_no: &str) -> Result<Option<Payment>, StoreError> {
        payment::Entity::find().filter(payment::Column::PaymentNo.eq(payment_no)).one(self.db()).await?.parsed()
    }

    /// Payments, newest first, of one user or of everyone: a page and the number in all.
    pub async fn payments(
        &self,
        user_id: Option<i64>,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<Payment>, u64), StoreError> {
        let mut query = payment::Entity::find();
        if let Some(user_id) = user_id {
            query = query.filter(payment::Column::UserId.eq(user_id));
        }
        let total = query.clone().count(self.db()).await?;
        let rows = query.order_by_desc(payment::Column::Id).offset(offset).limit(limit).all(self.db()).await?;
        Ok((rows.parsed()?, total))
    }

    /// A payment's refunds, oldest first.
    pub async fn refunds(&self, payment_no: &str) -> Result<Vec<Refund>, StoreError> {
        refund::Entity::find()
            .filter(refund::Column::PaymentNo.eq(payment_no))
            .order_by_asc(refund::Column::Id)
            .all(self.db())
            .await?
            .parsed()
    }
}

/// A payment as the refund rules see it; none for a method csms does not know.
pub(super) fn refundable_of(p: &Payment) -> Option<Refundable> {
    Some(Refundable {
        payment_no: p.payment_no.clone(),
        method: crate::providers::METHODS.parse(&p.method)?,
        purpose: p.purpose.clone(),
        left_fen: p.amount_fen.saturating_sub(p.refunded_fen),
    })
}
