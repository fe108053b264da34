//! Refunds back to a provider, from `PENDING` to their end: one sender at a time (a lease on
//! `next_attempt_at`), where each stands at its provider and when it is tried again, and its end
//! — `SUCCEEDED`, or `FAILED` with its money on the payer's balance — each a conditional update
//! on `status = 'PENDING'` (each state bound as its `RefundState`), so that a notification and the refund job racing change it once.

use super::in_transaction;
use super::ledger::move_balance_on;
use super::sql::statement;
use super::{Store, StoreError};
use crate::domain::ledger::money::Fen;
use crate::domain::ledger::{EntryKind, NewEntry};
use crate::domain::payments::records::{Destination, RefundLater, Stage};
use crate::domain::payments::stored::{Refund, RefundState};
use crate::domain::storage::Subject;
use crate::store::rows::Parse;
use chrono::{DateTime, Utc};
use entity::{payment, refund};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

impl Store {
    /// The refund `refund_no`.
    pub async fn refund(&self, refund_no: &str) -> Result<Option<Refund>, StoreError> {
        refund::Entity::find().filter(refund::Column::RefundNo.eq(refund_no)).one(self.db()).await?.parsed()
    }

    /// Refunds back to a provider due now (`PENDING`, their next try passed), oldest first.
    pub async fn due_provider_refunds(&self, now: DateTime<Utc>, limit: u64) -> Result<Vec<Refund>, StoreError> {
        refund::Entity::find()
            .filter(refund::Column::Status.eq(RefundState::Pending))
            .filter(refund::Column::NextAttemptAt.lte(now))
            .order_by_asc(refund::Column::NextAttemptAt)
            .limit(limit)
            .all(self.db())
            .await?
            .parsed()
    }

    /// Takes a due refund until `until` (a lease: one sender at a time, also across csms
    /// nodes); whether it was due and is now ours.
    pub async fn claim_provider_refund(&self, refund_no: &str, until: DateTime<Utc>) -> Result<bool, StoreError> {
        let now = Utc::now();
        let sql = "UPDATE refunds SET next_attempt_at = ?, updated_at = ? \
                   WHERE refund_no = ? AND status = ? AND next_attempt_at <= ?";
        let values = [until.into(), now.into(), refund_no.into(), RefundState::Pending.into(), now.into()];
        Ok(self.db().execute_raw(statement(self.db().get_database_backend(), sql, values)).await?.rows_affected() == 1)
    }

    /// The provider paid the refund back: it is `SUCCEEDED`. Whether it was pending (and is
    /// ended by this call).
    pub async fn provider_refund_done(&self, refund_no: &str) -> Result<bool, StoreError> {
        let sql = "UPDATE refunds SET status = ?, next_attempt_at = NULL, updated_at = ? \
                   WHERE refund_no = ? AND status = ?";
        let values = [RefundState::Succeeded.into(), Utc::now().into(), refund_no.into(), RefundState::Pending.into()];
        Ok(self.db().execute_raw(statement(self.db().get_database_backend(), sql, values)).await?.rows_affected() == 1)
    }

    /// A try that did not end the refund (see `RefundLater`).
    pub async fn provider_refund_later(&self, later: RefundLater) -> Result<(), StoreError> {
        let sql = "UPDATE refunds SET provider_status = ?, next_attempt_at = ?, attempts = attempts + ?, \
                   queries = queries + ?, updated_at = ? WHERE refund_no = ? AND status = ?";
        let values = [
            later.stage.as_str().into(),
            later.next.into(),
            i32::from(later.sent).into(),
            i32::from(later.asked).into(),
            Utc::now().into(),
            later.refund_no.into(),
            RefundState::Pending.into(),
        ];
        self.db().execute_raw(statement(self.db().get_database_backend(), sql, values)).await?;
        Ok(())
    }

    /// The provider says where a pending refund stands (its notification): kept, and the refund
    /// due at `next` (asked after then). Whether it was pending.
    pub async fn provider_refund_heard(
        &self,
        refund_no: &str,
        stage: Stage,
        next: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE refunds SET provider_status = ?, next_attempt_at = ?, updated_at = ? \
                   WHERE refund_no = ? AND status = ?";
        let values =
            [stage.as_str().into(), next.into(), Utc::now().into(), refund_no.into(), RefundState::Pending.into()];
        Ok(self.db().execute_raw(statement(self.db().get_database_backend(), sql, values)).await?.rows_affected() == 1)
    }

    /// The provider refused the refund for good, or it failed there: it is `FAILED`, and its
    /// money goes to the payer's balance instead (`destination` `balance`), with its ledger row,
    /// so that what is owed is never lost. Whether it was pending (and is ended by this call).
    pub async fn provider_refund_to_balance(&self, refund_no: &str, why: &str) -> Result<bool, StoreError> {
        let at = Utc::now();
        let (refund_no, why) = (refund_no.to_owned(), why.to_owned());
        in_transaction(self, |txn| {
            Box::pin(async move {
                let backend = txn.get_database_backend();
                let sql = "UPDATE refunds SET status = ?, destination = ?, \
                           next_attempt_at = NULL, updated_at = ? WHERE refund_no = ? AND status = ?";
                let values = [
                    RefundState::Failed.into(),
                    Destination::Balance.as_str().into(),
                    at.into(),
                    refund_no.clone().into(),
                    RefundState::Pending.into(),
                ];
                if txn.execute_raw(statement(backend, sql, values)).await?.rows_affected() == 0 {
                    return Ok(false);
                }
                let found = refund::Entity::find().filter(refund::Column::RefundNo.eq(&refund_no)).one(txn).await?;
                let found = found.ok_or(StoreError::NotFound(Subject::Refund))?;
                let paid =
                    payment::Entity::find().filter(payment::Column::PaymentNo.eq(&found.payment_no)).one(txn).await?;
                let paid = paid.ok_or(StoreError::NotFound(Subject::Payment))?;
                let reason = format!("the provider did not refund it: {why}");
                let entry = NewEntry {
                    user_id: paid.user_id,
                    amount_fen: Fen(found.amount_fen),
                    kind: EntryKind::Refund,
                    reference: Some(refund_no),
                    reason: Some(reason.chars().take(256).collect()),
                    actor: None,
                };
                move_balance_on(txn, entry, at).await?;
                Ok(true)
            })
        })
        .await
    }
}
