//! Balances and the ledger: a balance moves only with its ledger row, in the caller's database
//! transaction.

use super::in_transaction;
use super::sql::statement;
use super::{Store, StoreError};
use crate::domain::chargers::records::OperationRecord;
use crate::domain::ledger::{Entry, NewEntry};
use crate::domain::storage::Subject;
use chrono::{DateTime, Utc};
use entity::ledger_entry;
use sea_orm::sea_query::PostgresQueryBuilder;
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend,
    DatabaseTransaction, EntityTrait, FromQueryResult, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, Statement,
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
    let values = [entry.amount_fen.into(), at.into(), entry.user_id.into(), entry.amount_fen.into()];
    let Some(row) = txn.query_one_raw(statement(backend, sql, values)).await? else {
        return Err(not_moved(txn, entry.user_id).await);
    };
    let after: i64 = row.try_get("", "balance_fen")?;
    let line = ledger_entry::ActiveModel {
        user_id: Set(entry.user_id),
        amount_fen: Set(entry.amount_fen),
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
/// (the update in a `WITH`, its balance after in the row).
async fn move_balance_with_row(
    txn: &DatabaseTransaction,
    entry: NewEntry,
    at: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let sql = format!("{} SELECT balance_after_fen FROM ledger_row", moving(0));
    let user_id = entry.user_id;
    let values = moved_values(entry, at);
    let row = txn.query_one_raw(Statement::from_sql_and_values(DatabaseBackend::Postgres, sql, values)).await?;
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
    let query = <A::Entity as EntityTrait>::insert(row.clone()).into_query();
    let (sql, values) = query.clone().returning_all().to_owned().build(PostgresQueryBuilder);
    let Some(select) = values_as_select(&sql).filter(|_| txn.get_database_backend() == DatabaseBackend::Postgres)
    else {
        move_balance_on(txn, entry, at).await?;
        return Ok(<A::Entity as EntityTrait>::insert(row).exec_with_returning(txn).await?);
    };
    let sql = format!("{} {select}", moving(values.0.len()));
    let user_id = entry.user_id;
    let mut all: Vec<sea_orm::Value> = values.0;
    all.extend(moved_values(entry, at));
    match txn.query_one_raw(Statement::from_sql_and_values(DatabaseBackend::Postgres, sql, all)).await? {
        Some(stored) => Ok(<A::Entity as EntityTrait>::Model::from_query_result(&stored, "")?),
        None => Err(not_moved(txn, user_id).await),
    }
}

/// The balance's update and its ledger row as a `WITH` (`moved`, `ledger_row`), its parameters
/// numbered after the first `offset` (bound by `moved_values`).
fn moving(offset: usize) -> String {
    let p = |k: usize| format!("${}", offset + k);
    format!(
        "WITH moved AS (UPDATE users SET balance_fen = balance_fen + {a}, updated_at = {at} \
         WHERE id = {user} AND balance_fen + {a} >= 0 RETURNING balance_fen), \
         ledger_row AS (INSERT INTO ledger (user_id, amount_fen, balance_after_fen, kind, reference, reason, actor, \
         created_at) SELECT {user}, {a}, moved.balance_fen, {kind}, {reference}, {reason}, {actor}, {at} FROM moved \
         RETURNING balance_after_fen)",
        a = p(1),
        at = p(2),
        user = p(3),
        kind = p(4),
        reference = p(5),
        reason = p(6),
        actor = p(7),
    )
}

/// The parameters of `moving`, in its order.
fn moved_values(entry: NewEntry, at: DateTime<Utc>) -> [sea_orm::Value; 7] {
    [
        entry.amount_fen.into(),
        at.into(),
        entry.user_id.into(),
        entry.kind.as_str().to_owned().into(),
        entry.reference.into(),
        entry.reason.as_deref().map(super::storable).into(),
        entry.actor.into(),
    ]
}

/// `INSERT INTO t (…) VALUES ($1, …) RETURNING …` as `INSERT INTO t (…) SELECT $1, … FROM
/// ledger_row RETURNING …`; none for any other shape.
fn values_as_select(sql: &str) -> Option<String> {
    let (head, rest) = sql.split_once(" VALUES (")?;
    let (list, tail) = rest.split_once(") RETURNING ")?;
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '$' | ',' | ' ');
    list.chars().all(plain).then(|| format!("{head} SELECT {list} FROM ledger_row RETURNING {tail}"))
}

/// Why a balance did not move: too low, or no such user (or the read failing).
async fn not_moved(txn: &DatabaseTransaction, user_id: i64) -> StoreError {
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
    pub async fn adjust_balance(&self, entry: NewEntry, log: OperationRecord) -> Result<i64, StoreError> {
        let at = log.at;
        let row = super::operations::operation_row(log);
        in_transaction(self, |txn| {
            Box::pin(async move {
                let after = move_balance_on(txn, entry, at).await?;
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
                amount_fen: r.amount_fen,
                balance_after_fen: r.balance_after_fen,
                kind: r.kind,
                reference: r.reference,
                reason: r.reason,
                at: r.created_at,
            })
            .collect();
        Ok((entries, total))
    }

    /// The sum of a user's ledger rows, in fen (what their balance must equal).
    pub async fn ledger_sum(&self, user_id: i64) -> Result<i64, StoreError> {
        let backend = self.db().get_database_backend();
        let sql = "SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) AS total FROM ledger WHERE user_id = ?";
        let row = self.db().query_one_raw(statement(backend, sql, [user_id.into()])).await?;
        Ok(row.map(|r| r.try_get::<i64>("", "total")).transpose()?.unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_insert_of_one_row_selects_its_values_from_the_ledger_row_and_anything_else_is_left_alone() {
        let sql = r#"INSERT INTO "refunds" ("refund_no", "amount_fen") VALUES ($1, $2) RETURNING "id", "refund_no""#;
        let select = r#"INSERT INTO "refunds" ("refund_no", "amount_fen") SELECT $1, $2 FROM ledger_row RETURNING "id", "refund_no""#;
        assert_eq!(values_as_select(sql).as_deref(), Some(select));
        // Two rows, an expression, or no RETURNING: not this shape.
        assert_eq!(values_as_select(r#"INSERT INTO "t" ("a") VALUES ($1), ($2) RETURNING "a""#), None);
        assert_eq!(values_as_select(r#"INSERT INTO "t" ("a") VALUES (CAST($1 AS text)) RETURNING "a""#), None);
        assert_eq!(values_as_select(r#"INSERT INTO "t" ("a") VALUES ($1)"#), None);
    }
}
