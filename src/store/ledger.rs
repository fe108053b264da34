//! Balances and the ledger: a balance moves only with its ledger row, in the caller's database
//! transaction.

use super::at_once::{AtOnce, insert_from, positional};
use super::in_transaction;
use super::sql::statement;
use super::{Store, StoreError};
use crate::domain::chargers::records::OperationRecord;
use crate::domain::ledger::money::Fen;
use crate::domain::ledger::{Entry, NewEntry};
use crate::domain::storage::Subject;
use chrono::{DateTime, Utc};
use entity::ledger_entry;
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend,
    DatabaseTransaction, EntityTrait, FromQueryResult, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait,
};

/// Moves user `entry.user_id`'s balance by `entry.amount_fen` and appends the ledger row, on
/// `txn`. A debit is one conditional update: `Insufficient("balance")` when it would leave the
/// balance below zero, whatever else runs at the same time. Answers the balance after.
pub(crate) async fn move_balance_on(
    txn: &DatabaseTransaction,
    entry: NewEntry,
    at: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let backend = txn.get_database_backend();
    if backend == DatabaseBackend::Postgres {
        return move_balance_with_row(txn, entry, at).await;
    }
    let sql = "UPDATE users SET balance_fen = balance_fen + ?, updated_at = ? \
               WHERE id = ? AND balance_fen + ? >= 0 RETURNING balance_fen";
    let values = [entry.amount_fen.get().into(), at.into(), entry.user_id.into(), entry.amount_fen.get().into()];
    let Some(row) = txn.query_one_raw(statement(backend, sql, values)).await? else {
        return Err(not_moved(txn, entry.user_id).await);
    };
    let after: i64 = row.try_get("", "balance_fen")?;
    let line = ledger_entry::ActiveModel {
        user_id: Set(entry.user_id),
        amount_fen: Set(entry.amount_fen.get()),
        balance_after_fen: Set(after),
        kind: Set(entry.kind.as_str().to_owned()),
        reference: Set(entry.reference),
        reason: Set(entry.reason.as_deref().map(super::storable)),
        actor: Set(entry.actor),
        created_at: Set(at),
        ..Default::default()
    };
    ledger_entry::Entity::insert(line).exec_without_returning(txn).await?;
    Ok(after)
}

/// `move_balance_on` on PostgreSQL: the balance's update and its ledger row in one statement
/// (see `AtOnce::balance`).
async fn move_balance_with_row(
    txn: &DatabaseTransaction,
    entry: NewEntry,
    at: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let user_id = entry.user_id;
    let mut at_once = AtOnce::default();
    at_once.balance("", entry, at, "?", "TRUE");
    let row = txn.query_one_raw(at_once.statement("SELECT balance_after_fen FROM ledger_row", [])).await?;
    match row {
        Some(row) => Ok(row.try_get("", "balance_after_fen")?),
        None => Err(not_moved(txn, user_id).await),
    }
}

/// Moves the balance as `move_balance_on` does and inserts `row`, a row the move belongs to (a
/// balance payment, a refund to the balance); answers the row stored. On PostgreSQL one
/// statement: the insert selects from the ledger row's `WITH`, so nothing is inserted when the
/// balance did not move.
pub(crate) async fn move_balance_with<A>(
    txn: &DatabaseTransaction,
    entry: NewEntry,
    at: DateTime<Utc>,
    row: A,
) -> Result<<A::Entity as EntityTrait>::Model, StoreError>
where
    A: ActiveModelTrait + ActiveModelBehavior + Send,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A> + FromQueryResult,
{
    let query = <A::Entity as EntityTrait>::insert(row.clone()).into_query().returning_all().to_owned();
    let Some((insert, values)) = insert_from(positional(&query), "ledger_row")
        .filter(|_| txn.get_database_backend() == DatabaseBackend::Postgres)
    else {
        move_balance_on(txn, entry, at).await?;
        return Ok(<A::Entity as EntityTrait>::insert(row).exec_with_returning(txn).await?);
    };
    let user_id = entry.user_id;
    let mut at_once = AtOnce::default();
    at_once.balance("", entry, at, "?", "TRUE");
    match txn.query_one_raw(at_once.statement(&insert, values)).await? {
        Some(stored) => Ok(<A::Entity as EntityTrait>::Model::from_query_result(&stored, "")?),
        None => Err(not_moved(txn, user_id).await),
    }
}

/// Why a balance did not move: too low, or no such user (or the read failing).
pub(super) async fn not_moved(txn: &impl ConnectionTrait, user_id: i64) -> StoreError {
    let backend = txn.get_database_backend();
    match txn.query_one_raw(statement(backend, "SELECT id FROM users WHERE id = ?", [user_id.into()])).await {
        Ok(Some(_)) => StoreError::Insufficient(Subject::Balance),
        Ok(None) => StoreError::NotFound(Subject::User),
        Err(e) => e.into(),
    }
}

impl Store {
    /// An operator's adjustment: the balance, its ledger row and `log` in the operation log, in
    /// one transaction.
    pub async fn adjust_balance(&self, entry: NewEntry, log: OperationRecord) -> Result<Fen, StoreError> {
        let at = log.at;
        let row = super::operations::operation_row(log);
        in_transaction(self, |txn| {
            Box::pin(async move {
                let after = Fen(move_balance_on(txn, entry, at).await?);
                entity::operation_log::Entity::insert(row).exec_without_returning(txn).await?;
                Ok(after)
            })
        })
        .await
    }

    /// A user's ledger, newest first: one page and the number of rows in all.
    pub async fn ledger(&self, user_id: i64, offset: u64, limit: u64) -> Result<(Vec<Entry>, u64), StoreError> {
        let query = ledger_entry::Entity::find().filter(ledger_entry::Column::UserId.eq(user_id));
        let total = query.clone().count(self.db()).await?;
        let rows = query.order_by_desc(ledger_entry::Column::Id).offset(offset).limit(limit).all(self.db()).await?;
        let entries = rows
            .into_iter()
            .map(|r| Entry {
                id: r.id,
                amount_fen: Fen(r.amount_fen),
                balance_after_fen: Fen(r.balance_after_fen),
                kind: r.kind,
                reference: r.reference,
                reason: r.reason,
                at: r.created_at,
            })
            .collect();
        Ok((entries, total))
    }

    /// The sum of a user's ledger rows, in fen (what their balance must equal).
    pub async fn ledger_sum(&self, user_id: i64) -> Result<Fen, StoreError> {
        let backend = self.db().get_database_backend();
        let sql = "SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) AS total FROM ledger WHERE user_id = ?";
        let row = self.db().query_one_raw(statement(backend, sql, [user_id.into()])).await?;
        Ok(Fen(row.map(|r| r.try_get::<i64>("", "total")).transpose()?.unwrap_or(0)))
    }
}
