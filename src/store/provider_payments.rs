//! Payments through a provider: opened `PENDING`, then applied once on the provider's word — in
//! one transaction with what it pays for (a top-up's credit and ledger row, or the order) — or
//! closed; and refunds back to a provider, reserved first and finished when it answers.

use super::in_transaction;
use super::ledger::move_balance_on;
use super::sql::statement;
use super::{Store, StoreError};
use crate::domain::ledger::{EntryKind, NewEntry};
use crate::domain::payments::records::{
    Destination, FOR_ORDER, FOR_TOP_UP, NewProviderPayment, PENDING, PaidOutcome, ProviderPaid, SUCCEEDED,
};
use chrono::{DateTime, Utc};
use entity::{payment, refund};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

/// A refund row, `PENDING` while a provider has it, `SUCCEEDED` at once otherwise.
pub(super) fn refund_row(
    refund_no: String,
    payment_no: String,
    amount_fen: i64,
    destination: Destination,
    status: &str,
    reason: Option<&str>,
    at: DateTime<Utc>,
) -> refund::ActiveModel {
    refund::ActiveModel {
        refund_no: Set(refund_no),
        payment_no: Set(payment_no),
        amount_fen: Set(amount_fen),
        destination: Set(destination.as_str().to_owned()),
        status: Set(status.to_owned()),
        reason: Set(reason.map(super::storable)),
        attempts: Set(0),
        next_attempt_at: Set((status == PENDING).then_some(at)),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
}

impl Store {
    /// Stores a provider payment `PENDING`, before the provider hears of it (so that its
    /// notification always finds it).
    pub async fn open_provider_payment(&self, new: NewProviderPayment) -> Result<payment::Model, StoreError> {
        let at = Utc::now();
        let purpose = if new.order_no.is_some() { FOR_ORDER } else { FOR_TOP_UP };
        let row = payment::ActiveModel {
            payment_no: Set(new.payment_no),
            user_id: Set(new.user_id),
            order_no: Set(new.order_no),
            purpose: Set(purpose.to_owned()),
            method: Set(new.method.as_str().to_owned()),
            amount_fen: Set(new.amount_fen),
            refunded_fen: Set(0),
            status: Set(PENDING.to_owned()),
            provider_txn_id: Set(None),
            pay_url: Set(None),
            paid_at: Set(None),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        };
        Ok(payment::Entity::insert(row).exec_with_returning(self.db()).await?)
    }

    /// Keeps where the payer pays a pending payment.
    pub async fn set_pay_url(&self, payment_no: &str, pay_url: &str) -> Result<(), StoreError> {
        let sql = "UPDATE payments SET pay_url = ?, updated_at = ? WHERE payment_no = ?";
        let values = [super::storable(pay_url).into(), Utc::now().into(), payment_no.into()];
        self.db().execute_raw(statement(self.db().get_database_backend(), sql, values)).await?;
        Ok(())
    }

    /// Ends a payment still `PENDING` as `status` (`CLOSED`, `FAILED`); whether it was pending.
    pub async fn end_pending_payment(&self, payment_no: &str, status: &'static str) -> Result<bool, StoreError> {
        let sql = "UPDATE payments SET status = ?, updated_at = ? WHERE payment_no = ? AND status = 'PENDING'";
        let values = [status.into(), Utc::now().into(), payment_no.into()];
        Ok(self.db().execute_raw(statement(self.db().get_database_backend(), sql, values)).await?.rows_affected() == 1)
    }

    /// Provider payments still `PENDING` that were opened before `before`, oldest first.
    pub async fn pending_provider_payments(
        &self,
        before: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<payment::Model>, StoreError> {
        Ok(payment::Entity::find()
            .filter(payment::Column::Status.eq(PENDING))
            .filter(payment::Column::CreatedAt.lte(before))
            .filter(payment::Column::Method.ne("balance"))
            .order_by_asc(payment::Column::CreatedAt)
            .limit(limit)
            .all(self.db())
            .await?)
    }

    /// Applies a provider's "paid" once (see `PaidOutcome`): `NotFound` for no such provider
    /// payment, `Conflict("amount")` when the amount is not the payment's.
    pub async fn apply_provider_paid(&self, paid: ProviderPaid) -> Result<PaidOutcome, StoreError> {
        let at = Utc::now();
        let payment_no = paid.payment_no.clone();
        let outcome = in_transaction(self, |txn| Box::pin(apply_on(txn, paid, at))).await;
        match outcome {
            // Applied by another copy of the notification: what it left.
            Err(StoreError::Conflict("applied")) => {
                let found = self.payment(&payment_no).await?.ok_or(StoreError::NotFound("payment"))?;
                Ok(PaidOutcome::Again(found))
            }
            other => other,
        }
    }

    /// Refunds back to a provider due now (`PENDING`, their next attempt passed), oldest first.
    pub async fn due_provider_refunds(&self, now: DateTime<Utc>, limit: u64) -> Result<Vec<refund::Model>, StoreError> {
        Ok(refund::Entity::find()
            .filter(refund::Column::Status.eq(PENDING))
            .filter(refund::Column::NextAttemptAt.lte(now))
            .order_by_asc(refund::Column::NextAttemptAt)
            .limit(limit)
            .all(self.db())
            .await?)
    }

    /// Takes the sending of a due refund until `until` (a lease: one sender at a time, also
    /// across csms nodes); whether it was due and is now ours.
    pub async fn claim_provider_refund(&self, refund_no: &str, until: DateTime<Utc>) -> Result<bool, StoreError> {
        let now = Utc::now();
        let sql = "UPDATE refunds SET next_attempt_at = ?, updated_at = ? \
                   WHERE refund_no = ? AND status = 'PENDING' AND next_attempt_at <= ?";
        let values = [until.into(), now.into(), refund_no.into(), now.into()];
        Ok(self.db().execute_raw(statement(self.db().get_database_backend(), sql, values)).await?.rows_affected() == 1)
    }

    /// The provider took the refund: it is `SUCCEEDED`. Whether it was pending.
    pub async fn provider_refund_done(&self, refund_no: &str) -> Result<bool, StoreError> {
        let sql = "UPDATE refunds SET status = 'SUCCEEDED', attempts = attempts + 1, next_attempt_at = NULL, \
                   updated_at = ? WHERE refund_no = ? AND status = 'PENDING'";
        let values = [Utc::now().into(), refund_no.into()];
        Ok(self.db().execute_raw(statement(self.db().get_database_backend(), sql, values)).await?.rows_affected() == 1)
    }

    /// The provider could not be asked: the refund is sent again at `next`.
    pub async fn provider_refund_later(&self, refund_no: &str, next: DateTime<Utc>) -> Result<(), StoreError> {
        let sql = "UPDATE refunds SET attempts = attempts + 1, next_attempt_at = ?, updated_at = ? \
                   WHERE refund_no = ? AND status = 'PENDING'";
        let values = [next.into(), Utc::now().into(), refund_no.into()];
        self.db().execute_raw(statement(self.db().get_database_backend(), sql, values)).await?;
        Ok(())
    }

    /// The provider refused the refund for good: the money goes to the payer's balance instead,
    /// with its ledger row, so that what is owed is never lost. Whether it was pending.
    pub async fn provider_refund_to_balance(&self, refund_no: &str, why: &str) -> Result<bool, StoreError> {
        let at = Utc::now();
        let (refund_no, why) = (refund_no.to_owned(), why.to_owned());
        in_transaction(self, |txn| {
            Box::pin(async move {
                let backend = txn.get_database_backend();
                let sql = "UPDATE refunds SET status = 'SUCCEEDED', destination = 'balance', \
                           attempts = attempts + 1, next_attempt_at = NULL, updated_at = ? \
                           WHERE refund_no = ? AND status = 'PENDING'";
                let values = [at.into(), refund_no.clone().into()];
                if txn.execute_raw(statement(backend, sql, values)).await?.rows_affected() == 0 {
                    return Ok(false);
                }
                let found = refund::Entity::find().filter(refund::Column::RefundNo.eq(&refund_no)).one(txn).await?;
                let found = found.ok_or(StoreError::NotFound("refund"))?;
                let paid =
                    payment::Entity::find().filter(payment::Column::PaymentNo.eq(&found.payment_no)).one(txn).await?;
                let paid = paid.ok_or(StoreError::NotFound("payment"))?;
                let entry = NewEntry {
                    user_id: paid.user_id,
                    amount_fen: found.amount_fen,
                    kind: EntryKind::Refund,
                    reference: Some(refund_no),
                    reason: Some(format!("the provider refused the refund: {why}")),
                    actor: None,
                };
                move_balance_on(txn, entry, at).await?;
                Ok(true)
            })
        })
        .await
    }
}

/// `apply_provider_paid` on `txn`. The payment's row is changed first and decides: a second
/// copy of the notification waits on it (PostgreSQL) or runs after (SQLite), finds it no longer
/// pending and changes nothing (`Conflict("applied")`, rolled back). Its unique
/// `provider_txn_id` keeps one provider transaction on one payment. Only then the order, whose
/// other writers (balance payments, settlement) never touch a pending payment's row, so the
/// lock order cannot cross theirs.
async fn apply_on(txn: &DatabaseTransaction, paid: ProviderPaid, at: DateTime<Utc>) -> Result<PaidOutcome, StoreError> {
    let backend = txn.get_database_backend();
    let found = payment::Entity::find().filter(payment::Column::PaymentNo.eq(&paid.payment_no)).one(txn).await?;
    let Some(found) = found.filter(|p| p.method != "balance") else { return Err(StoreError::NotFound("payment")) };
    if found.amount_fen != paid.amount_fen {
        return Err(StoreError::Conflict("amount"));
    }
    // A payment closed (or failed) here may still have been paid at the provider: its money
    // arrived, so it is taken.
    let sql = "UPDATE payments SET status = 'SUCCEEDED', provider_txn_id = ?, paid_at = ?, updated_at = ? \
               WHERE payment_no = ? AND status <> 'SUCCEEDED' AND amount_fen = ?";
    let values = [
        super::storable(&paid.provider_txn_id).into(),
        at.into(),
        at.into(),
        paid.payment_no.clone().into(),
        paid.amount_fen.into(),
    ];
    if txn.execute_raw(statement(backend, sql, values)).await?.rows_affected() == 0 {
        return Err(StoreError::Conflict("applied"));
    }
    let find = || payment::Entity::find().filter(payment::Column::PaymentNo.eq(&paid.payment_no)).one(txn);
    let Some(order_no) = found.order_no.clone().filter(|_| found.purpose == FOR_ORDER) else {
        let entry = NewEntry {
            user_id: found.user_id,
            amount_fen: paid.amount_fen,
            kind: EntryKind::TopUp,
            reference: Some(paid.payment_no.clone()),
            reason: None,
            actor: None,
        };
        move_balance_on(txn, entry, at).await?;
        return Ok(PaidOutcome::Applied(find().await?.ok_or(StoreError::NotFound("payment"))?));
    };
    let sql = "UPDATE orders SET paid_fen = paid_fen + ?, payment_status = 'PAID', method = ?, \
               status = CASE WHEN status = 'PENDING_PAYMENT' THEN 'READY' ELSE status END, updated_at = ? \
               WHERE order_no = ? AND user_id = ? AND payment_status = 'UNPAID' \
               AND ((status = 'PENDING_PAYMENT' AND prepay_fen = ?) \
                 OR (status = 'COMPLETED' AND COALESCE(total_fen, 0) - paid_fen + refunded_fen = ?))";
    let owed = paid.amount_fen;
    let values = [
        owed.into(),
        found.method.clone().into(),
        at.into(),
        order_no.into(),
        found.user_id.into(),
        owed.into(),
        owed.into(),
    ];
    if txn.execute_raw(statement(backend, sql, values)).await?.rows_affected() == 1 {
        return Ok(PaidOutcome::Applied(find().await?.ok_or(StoreError::NotFound("payment"))?));
    }
    // The order owes it no more: all of it goes back where it came from.
    let sql = "UPDATE payments SET refunded_fen = amount_fen, updated_at = ? WHERE payment_no = ?";
    txn.execute_raw(statement(backend, sql, [at.into(), paid.payment_no.clone().into()])).await?;
    let row = refund_row(
        paid.refund_no,
        paid.payment_no.clone(),
        paid.amount_fen,
        Destination::Original,
        PENDING,
        Some("the order no longer owed this payment"),
        at,
    );
    let refund = refund::Entity::insert(row).exec_with_returning(txn).await?;
    let payment = find().await?.ok_or(StoreError::NotFound("payment"))?;
    debug_assert_eq!(payment.status, SUCCEEDED);
    Ok(PaidOutcome::Unwanted { payment, refund: Box::new(refund) })
}
