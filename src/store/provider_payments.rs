//! Payments through a provider: opened `PENDING` with the window the provider is told, then
//! applied once on the provider's word — in one transaction with what it pays for (a top-up's
//! credit and ledger row, or the order) — or closed, and asked after while that window lasts.
//! Refunds back to a provider are in `provider_refunds`.

use super::in_transaction;
use super::ledger::move_balance_on;
use super::sql::statement;
use super::{Store, StoreError};
use crate::domain::ledger::{EntryKind, NewEntry};
use crate::domain::payments::due::{PaidTo, ProviderPaid};
use crate::domain::payments::records::{Destination, FOR_ORDER, FOR_TOP_UP, NewProviderPayment, PaidOutcome};
use crate::domain::payments::stored::{Payment, PaymentState, RefundState};
use crate::domain::storage::Subject;
use crate::store::rows::Parse;
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
    status: RefundState,
    reason: Option<&str>,
    at: DateTime<Utc>,
) -> refund::ActiveModel {
    refund::ActiveModel {
        refund_no: Set(refund_no),
        payment_no: Set(payment_no),
        amount_fen: Set(amount_fen),
        destination: Set(destination.as_str().to_owned()),
        status: Set(status.as_str().to_owned()),
        reason: Set(reason.map(super::storable)),
        attempts: Set(0),
        next_attempt_at: Set((status == RefundState::Pending).then_some(at)),
        provider_status: Set(None),
        queries: Set(0),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
}

impl Store {
    /// Stores a provider payment `PENDING`, before the provider hears of it (so that its
    /// notification always finds it).
    pub async fn open_provider_payment(&self, new: NewProviderPayment) -> Result<Payment, StoreError> {
        let at = Utc::now();
        let purpose = if new.order_no.is_some() { FOR_ORDER } else { FOR_TOP_UP };
        let row = payment::ActiveModel {
            payment_no: Set(new.payment_no.into_string()),
            user_id: Set(new.user_id),
            order_no: Set(new.order_no.map(String::from)),
            purpose: Set(purpose.to_owned()),
            method: Set(new.method.as_str().to_owned()),
            amount_fen: Set(new.amount_fen.get()),
            refunded_fen: Set(0),
            status: Set(PaymentState::Pending.as_str().to_owned()),
            provider_txn_id: Set(None),
            pay_url: Set(None),
            paid_at: Set(None),
            expires_at: Set(Some(new.expires_at)),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        };
        payment::Entity::insert(row).exec_with_returning(self.db()).await?.try_into()
    }

    /// Keeps where the payer pays a pending payment.
    pub async fn set_pay_url(&self, payment_no: &str, pay_url: &str) -> Result<(), StoreError> {
        let sql = "UPDATE payments SET pay_url = ?, updated_at = ? WHERE payment_no = ?";
        let values = [super::storable(pay_url).into(), Utc::now().into(), payment_no.into()];
        self.db().execute_raw(statement(self.db().get_database_backend(), sql, values)).await?;
        Ok(())
    }

    /// Ends a payment still `PENDING` as `status` (`CLOSED`, `FAILED`); whether it was pending.
    pub async fn end_pending_payment(&self, payment_no: &str, status: PaymentState) -> Result<bool, StoreError> {
        let sql = "UPDATE payments SET status = ?, updated_at = ? WHERE payment_no = ? AND status = ?";
        let values = [status.into(), Utc::now().into(), payment_no.into(), PaymentState::Pending.into()];
        Ok(self.db().execute_raw(statement(self.db().get_database_backend(), sql, values)).await?.rows_affected() == 1)
    }

    /// Provider payments still `PENDING` that were opened before `before`, oldest first.
    pub async fn pending_provider_payments(
        &self,
        before: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<Payment>, StoreError> {
        payment::Entity::find()
            .filter(payment::Column::Status.eq(PaymentState::Pending))
            .filter(payment::Column::CreatedAt.lte(before))
            .filter(payment::Column::Method.ne("balance"))
            .order_by_asc(payment::Column::CreatedAt)
            .limit(limit)
            .all(self.db())
            .await?
            .parsed()
    }

    /// Provider payments `CLOSED` whose window at the provider lasts beyond `after`: money may
    /// still come into them. Soonest to end first.
    pub async fn closed_provider_payments_open_after(
        &self,
        after: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<Payment>, StoreError> {
        payment::Entity::find()
            .filter(payment::Column::Status.eq(PaymentState::Closed))
            .filter(payment::Column::ExpiresAt.gt(after))
            .filter(payment::Column::Method.ne("balance"))
            .order_by_asc(payment::Column::ExpiresAt)
            .limit(limit)
            .all(self.db())
            .await?
            .parsed()
    }

    /// Applies a provider's "paid" once (see `PaidOutcome`): `NotFound` for no such provider
    /// payment, `Conflict(Amount)` when the amount is not the payment's, `Conflict(Order)` when its
    /// order no longer reads as `paid.to` was decided on.
    pub async fn apply_provider_paid(&self, paid: ProviderPaid) -> Result<PaidOutcome, StoreError> {
        let at = Utc::now();
        let payment_no = paid.payment_no.clone();
        let outcome = in_transaction(self, |txn| Box::pin(apply_on(txn, paid, at))).await;
        match outcome {
            // Applied by another copy of the notification: what it left.
            Err(StoreError::Conflict(Subject::Applied)) => {
                let found = self.payment(&payment_no).await?.ok_or(StoreError::NotFound(Subject::Payment))?;
                Ok(PaidOutcome::Again(found))
            }
            other => other,
        }
    }
}

/// `apply_provider_paid` on `txn`. The payment's row is changed first and decides: a second
/// copy of the notification waits on it (PostgreSQL) or runs after (SQLite), finds it no longer
/// pending and changes nothing (`Conflict(Applied)`, rolled back). Its unique `provider_txn_id`
/// keeps one provider transaction on one payment. Only then the money goes where `paid.to`
/// says: the balance, the order — whose other writers (balance payments, settlement) never touch
/// a pending payment's row, so the lock order cannot cross theirs; `Conflict(Order)`, rolled
/// back, when the order no longer reads as decided — or back to the payer.
async fn apply_on(txn: &DatabaseTransaction, paid: ProviderPaid, at: DateTime<Utc>) -> Result<PaidOutcome, StoreError> {
    let backend = txn.get_database_backend();
    let found =
        payment::Entity::find().filter(payment::Column::PaymentNo.eq(paid.payment_no.as_str())).one(txn).await?;
    let Some(found) = found.filter(|p| p.method != "balance") else {
        return Err(StoreError::NotFound(Subject::Payment));
    };
    if found.amount_fen != paid.amount_fen.get() {
        return Err(StoreError::Conflict(Subject::Amount));
    }
    // A payment closed (or failed) here may still have been paid at the provider: its money
    // arrived, so it is taken.
    let sql = "UPDATE payments SET status = ?, provider_txn_id = ?, paid_at = ?, updated_at = ? \
               WHERE payment_no = ? AND status <> ? AND amount_fen = ?";
    let values = [
        PaymentState::Succeeded.into(),
        super::storable(&paid.provider_txn_id).into(),
        at.into(),
        at.into(),
        paid.payment_no.as_str().into(),
        PaymentState::Succeeded.into(),
        paid.amount_fen.get().into(),
    ];
    if txn.execute_raw(statement(backend, sql, values)).await?.rows_affected() == 0 {
        return Err(StoreError::Conflict(Subject::Applied));
    }
    let find = || payment::Entity::find().filter(payment::Column::PaymentNo.eq(paid.payment_no.as_str())).one(txn);
    match paid.to {
        PaidTo::Balance => {
            let entry = NewEntry {
                user_id: found.user_id,
                amount_fen: paid.amount_fen,
                kind: EntryKind::TopUp,
                reference: Some(paid.payment_no.to_string()),
                reason: None,
                actor: None,
            };
            move_balance_on(txn, entry, at).await?;
            return Ok(PaidOutcome::Applied(find().await?.ok_or(StoreError::NotFound(Subject::Payment))?.try_into()?));
        }
        PaidTo::Order(due) => {
            let order_no = found.order_no.clone().ok_or(StoreError::NotFound(Subject::Order))?;
            // It changed since it was read: `Conflict(Order)`, decided again (this is rolled back).
            super::order_payments::pay_order_on(txn, (&order_no, found.user_id), &found.method, due, at).await?;
            return Ok(PaidOutcome::Applied(find().await?.ok_or(StoreError::NotFound(Subject::Payment))?.try_into()?));
        }
        PaidTo::Refund => {}
    }
    // The order owes it no more: all of it goes back where it came from.
    let sql = "UPDATE payments SET refunded_fen = amount_fen, updated_at = ? WHERE payment_no = ?";
    txn.execute_raw(statement(backend, sql, [at.into(), paid.payment_no.as_str().into()])).await?;
    let row = refund_row(
        paid.refund_no,
        paid.payment_no.to_string(),
        paid.amount_fen.get(),
        Destination::Original,
        RefundState::Pending,
        Some("the order no longer owed this payment"),
        at,
    );
    let refund = refund::Entity::insert(row).exec_with_returning(txn).await?;
    let payment = find().await?.ok_or(StoreError::NotFound(Subject::Payment))?;
    debug_assert_eq!(payment.status, PaymentState::Succeeded.as_str());
    Ok(PaidOutcome::Unwanted { payment: payment.try_into()?, refund: Box::new(refund.try_into()?) })
}
