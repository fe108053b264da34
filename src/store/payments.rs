//! Payments and refunds: each moves money only inside one database transaction with its ledger
//! row and the order it belongs to.

use super::in_transaction;
use super::ledger::move_balance_on;
use super::provider_payments::refund_row;
use super::sql::statement;
use super::{Store, StoreError};
use crate::domain::ledger::{EntryKind, NewEntry};
use crate::domain::payments::records::{
    BalancePayment, Destination, FOR_TOP_UP, Method, NewRefund, PENDING, SUCCEEDED,
};
use chrono::{DateTime, Utc};
use entity::{payment, refund};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

/// A succeeded balance payment's row.
pub(super) fn balance_payment_row(
    payment_no: String,
    user_id: i64,
    order_no: Option<String>,
    purpose: &str,
    amount_fen: i64,
    at: DateTime<Utc>,
) -> payment::ActiveModel {
    payment::ActiveModel {
        payment_no: Set(payment_no),
        user_id: Set(user_id),
        order_no: Set(order_no),
        purpose: Set(purpose.to_owned()),
        method: Set(Method::Balance.as_str().to_owned()),
        amount_fen: Set(amount_fen),
        refunded_fen: Set(0),
        status: Set(SUCCEEDED.to_owned()),
        provider_txn_id: Set(None),
        pay_url: Set(None),
        paid_at: Set(Some(at)),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
}

/// Refunds `refund` on `txn`: `Insufficient` when it would refund more than paid minus already
/// refunded (one conditional update decides, whatever runs at the same time), `NotFound` when
/// there is no such succeeded payment. The caller rolls its transaction back on an error.
///
/// To the balance (a balance payment's always, a provider payment's when `to` says so) it is
/// credited at once with its ledger row. Back to a provider it is stored `PENDING`, the money
/// reserved on the payment, and sent after the commit; a top-up's refund takes its amount off
/// the balance here (`Insufficient("balance")` when spent).
pub(super) async fn refund_on(
    txn: &DatabaseTransaction,
    refund: NewRefund,
    to: Destination,
    at: DateTime<Utc>,
) -> Result<refund::Model, StoreError> {
    let backend = txn.get_database_backend();
    // Rows are locked in one order everywhere — the order, the payment, the user — so that a
    // refund and a settlement of the same order cannot deadlock on PostgreSQL. A payment's order
    // never changes: read it without a lock.
    let paid = payment::Entity::find().filter(payment::Column::PaymentNo.eq(&refund.payment_no)).one(txn).await?;
    let Some(paid) = paid.filter(|p| p.status == SUCCEEDED) else { return Err(StoreError::NotFound("payment")) };
    if let Some(order_no) = &paid.order_no {
        let sql = "UPDATE orders SET refunded_fen = refunded_fen + ?, updated_at = ? WHERE order_no = ?";
        txn.execute_raw(statement(backend, sql, [refund.amount_fen.into(), at.into(), order_no.clone().into()]))
            .await?;
    }
    let sql = "UPDATE payments SET refunded_fen = refunded_fen + ?, updated_at = ? \
               WHERE payment_no = ? AND status = 'SUCCEEDED' AND refunded_fen + ? <= amount_fen";
    let values = [refund.amount_fen.into(), at.into(), refund.payment_no.clone().into(), refund.amount_fen.into()];
    if txn.execute_raw(statement(backend, sql, values)).await?.rows_affected() == 0 {
        // The caller's transaction rolls back, the order's refunded amount with it.
        return Err(StoreError::Insufficient("refundable amount"));
    }
    let top_up = paid.purpose == FOR_TOP_UP;
    let to_provider = paid.method != Method::Balance.as_str() && (to == Destination::Original || top_up);
    if !to_provider || top_up {
        // Credited to the balance, or (a top-up's) taken off it on its way back.
        let entry = NewEntry {
            user_id: paid.user_id,
            amount_fen: if top_up { -refund.amount_fen } else { refund.amount_fen },
            kind: EntryKind::Refund,
            reference: Some(refund.refund_no.clone()),
            reason: refund.reason.clone(),
            actor: None,
        };
        move_balance_on(txn, entry, at).await?;
    }
    let (destination, status) =
        if to_provider { (Destination::Original, PENDING) } else { (Destination::Balance, SUCCEEDED) };
    let row = refund_row(
        refund.refund_no,
        refund.payment_no,
        refund.amount_fen,
        destination,
        status,
        refund.reason.as_deref(),
        at,
    );
    Ok(refund::Entity::insert(row).exec_with_returning(txn).await?)
}

impl Store {
    /// Pays an order from the balance (see `BalancePayment`): `Conflict("payment")` when the
    /// order owes nothing now (paid already, also by a payment racing this one),
    /// `Insufficient("balance")` when the balance is too low.
    pub async fn pay_order_from_balance(&self, pay: BalancePayment) -> Result<payment::Model, StoreError> {
        let at = Utc::now();
        in_transaction(self, |txn| {
            Box::pin(async move {
                let backend = txn.get_database_backend();
                // The order first: its row is locked (PostgreSQL) before any money moves.
                let sql = "UPDATE orders SET paid_fen = paid_fen + ?, payment_status = 'PAID', method = 'balance', \
                           status = CASE WHEN status = 'PENDING_PAYMENT' THEN 'READY' ELSE status END, updated_at = ? \
                           WHERE order_no = ? AND user_id = ? AND payment_status = 'UNPAID' \
                           AND ((status = 'PENDING_PAYMENT' AND prepay_fen = ?) \
                             OR (status = 'COMPLETED' AND COALESCE(total_fen, 0) - paid_fen + refunded_fen = ?))";
                // Only while it owes exactly this: a prepaid amount not yet paid, or what a
                // completed bill (an occupancy line included) still lacks.
                let owed = pay.amount_fen;
                let values =
                    [owed.into(), at.into(), pay.order_no.clone().into(), pay.user_id.into(), owed.into(), owed.into()];
                if txn.execute_raw(statement(backend, sql, values)).await?.rows_affected() == 0 {
                    return Err(StoreError::Conflict("payment"));
                }
                let entry = NewEntry {
                    user_id: pay.user_id,
                    amount_fen: -pay.amount_fen,
                    kind: EntryKind::Payment,
                    reference: Some(pay.payment_no.clone()),
                    reason: None,
                    actor: None,
                };
                move_balance_on(txn, entry, at).await?;
                let row =
                    balance_payment_row(pay.payment_no, pay.user_id, Some(pay.order_no), "order", pay.amount_fen, at);
                Ok(payment::Entity::insert(row).exec_with_returning(txn).await?)
            })
        })
        .await
    }

    /// Refunds part of a payment back where it came from (see `refund_on`).
    pub async fn refund_payment(&self, refund: NewRefund) -> Result<refund::Model, StoreError> {
        let at = Utc::now();
        in_transaction(self, |txn| Box::pin(refund_on(txn, refund, Destination::Original, at))).await
    }

    /// The payment `payment_no`.
    pub async fn payment(&self, payment_no: &str) -> Result<Option<payment::Model>, StoreError> {
        Ok(payment::Entity::find().filter(payment::Column::PaymentNo.eq(payment_no)).one(self.db()).await?)
    }

    /// Payments, newest first, of one user or of everyone: a page and the number in all.
    pub async fn payments(
        &self,
        user_id: Option<i64>,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<payment::Model>, u64), StoreError> {
        let mut query = payment::Entity::find();
        if let Some(user_id) = user_id {
            query = query.filter(payment::Column::UserId.eq(user_id));
        }
        let total = query.clone().count(self.db()).await?;
        let rows = query.order_by_desc(payment::Column::Id).offset(offset).limit(limit).all(self.db()).await?;
        Ok((rows, total))
    }

    /// A payment's refunds, oldest first.
    pub async fn refunds(&self, payment_no: &str) -> Result<Vec<refund::Model>, StoreError> {
        Ok(refund::Entity::find()
            .filter(refund::Column::PaymentNo.eq(payment_no))
            .order_by_asc(refund::Column::Id)
            .all(self.db())
            .await?)
    }
}
