//! Keeping the statistics' daily rollups (`stats_days`, `stats_users`): an order's change the
//! statistics count sets its `stats_due` in the statement that makes it, and a refund is made due;
//! the catch-up (`stats_counting`) counts what is due later, in batches. A pile that moves, or a
//! station whose zone changes, has its rollups emptied and its orders and refunds made due again
//! (`reset`): they are counted anew, as the migration's fill counts every pile.
//!
//! On PostgreSQL the catch-up and a reset each take `stats_days` in SHARE ROW EXCLUSIVE mode (it
//! conflicts with itself): one at a time, so nothing is counted twice. Readers are not held up.
//! SQLite writes one transaction at a time.

use super::sql::statement;
use super::{Store, StoreError};
use crate::domain::stats::rollup::{COLUMNS, DayFigures, Deltas, UserDay};
use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseTransaction, Value};

/// Rows written in one statement at most.
pub(super) const CHUNK: usize = 400;

/// Takes `stats_days` as its one writer (see the module's note).
pub(super) async fn writing(txn: &DatabaseTransaction) -> Result<(), StoreError> {
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        txn.execute_unprepared("LOCK TABLE stats_days IN SHARE ROW EXCLUSIVE MODE").await?;
    }
    Ok(())
}

/// Empties the rollups of `piles` (every pile with none) and makes their orders and refunds due:
/// the catch-up counts them anew, in their stations' zones as they are now.
pub(super) async fn reset(txn: &DatabaseTransaction, piles: Option<&[String]>) -> Result<(), StoreError> {
    let backend = txn.get_database_backend();
    writing(txn).await?;
    let Some(piles) = piles else {
        for sql in [
            "DELETE FROM stats_days",
            "DELETE FROM stats_users",
            "DELETE FROM stats_counted",
            "UPDATE orders SET stats_due = TRUE WHERE NOT stats_due",
            "UPDATE refunds SET stats_due = TRUE WHERE NOT stats_due",
        ] {
            txn.execute_unprepared(sql).await?;
        }
        return Ok(());
    };
    let orders = "SELECT order_no FROM orders WHERE charger_id = ?";
    let refunds = "SELECT p.payment_no FROM payments p JOIN orders o ON o.order_no = p.order_no WHERE o.charger_id = ?";
    for pile in piles {
        for sql in [
            "DELETE FROM stats_days WHERE charger_id = ?".to_owned(),
            "DELETE FROM stats_users WHERE charger_id = ?".to_owned(),
            format!("DELETE FROM stats_counted WHERE order_no IN ({orders})"),
            "UPDATE orders SET stats_due = TRUE WHERE charger_id = ? AND NOT stats_due".to_owned(),
            format!("UPDATE refunds SET stats_due = TRUE WHERE payment_no IN ({refunds}) AND NOT stats_due"),
        ] {
            txn.execute_raw(statement(backend, &sql, [pile.clone().into()])).await?;
        }
    }
    Ok(())
}

/// A stored day (`YYYY-MM-DD`).
fn parse_day(text: &str) -> Result<NaiveDate, StoreError> {
    text.parse().map_err(|_| StoreError::Corrupt(format!("a rollup's day {text:?}")))
}

/// Writes `deltas`: each day's figures added to its row (made when missing), each user's day
/// inserted unless there — in key order. On PostgreSQL, one statement of each is one statement:
/// the days' insert in a `WITH`.
pub(super) async fn apply(txn: &DatabaseTransaction, mut deltas: Deltas) -> Result<(), StoreError> {
    deltas.prune();
    let backend = txn.get_database_backend();
    let mut statements: Vec<(String, Vec<Value>)> = Vec::new();
    let days: Vec<_> = deltas.days.into_iter().collect();
    for chunk in days.chunks(CHUNK) {
        let row = format!("(?, ?{})", ", ?".repeat(COLUMNS.len()));
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * (COLUMNS.len() + 2));
        for ((pile, day), figures) in chunk {
            values.extend([day.to_string().into(), pile.clone().into()]);
            values.extend(figures.values().map(Value::from));
        }
        let sums: Vec<String> = COLUMNS.iter().map(|c| format!("{c} = stats_days.{c} + excluded.{c}")).collect();
        let sql = format!(
            "INSERT INTO stats_days (day, charger_id, {columns}) VALUES {rows} \
             ON CONFLICT (day, charger_id) DO UPDATE SET {sums}",
            columns = COLUMNS.join(", "),
            rows = vec![row; chunk.len()].join(", "),
            sums = sums.join(", "),
        );
        statements.push((sql, values));
    }
    let days_written = statements.len();
    let users: Vec<_> = deltas.users.into_iter().collect();
    for chunk in users.chunks(CHUNK) {
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 4);
        for user in chunk {
            values.extend([
                user.day.to_string().into(),
                user.user_id.into(),
                user.charger_id.clone().into(),
                user.signed_up.to_string().into(),
            ]);
        }
        let sql = format!(
            "INSERT INTO stats_users (day, user_id, charger_id, signed_up) VALUES {rows} \
             ON CONFLICT (day, user_id, charger_id) DO NOTHING",
            rows = vec!["(?, ?, ?, ?)"; chunk.len()].join(", "),
        );
        statements.push((sql, values));
    }
    if backend == DatabaseBackend::Postgres
        && days_written == 1
        && let [(days, day_values), (users, user_values)] = statements.as_mut_slice()
    {
        let sql = format!("WITH days AS ({days}) {users}");
        let values = std::mem::take(day_values).into_iter().chain(std::mem::take(user_values));
        txn.execute_raw(statement(backend, &sql, values)).await?;
        return Ok(());
    }
    for (sql, values) in statements {
        txn.execute_raw(statement(backend, &sql, values)).await?;
    }
    Ok(())
}

impl Store {
    /// Counts everything anew when the migration that made the rollups asked for it (see
    /// migration 000020), once: the request is taken back in the same transaction.
    pub(super) async fn fill_stats_if_asked(&self) -> Result<(), StoreError> {
        let (_turn, txn) = self.begin_write().await?;
        let asked = txn.execute_unprepared("DELETE FROM stats_fill").await?.rows_affected() > 0;
        if asked {
            reset(&txn, None).await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// Has every pile's rollups counted anew from its orders and refunds (by the next catch-up):
    /// for rows written around the store (seeds, imports).
    pub async fn rebuild_stats(&self) -> Result<(), StoreError> {
        let (_turn, txn) = self.begin_write().await?;
        reset(&txn, None).await?;
        txn.commit().await?;
        Ok(())
    }

    /// The stored rollups.
    pub async fn stats_rollups(&self) -> Result<Deltas, StoreError> {
        let backend = self.db().get_database_backend();
        let mut stored = Deltas::default();
        let sql = format!("SELECT day, charger_id, {} FROM stats_days", COLUMNS.join(", "));
        for row in self.db().query_all_raw(statement(backend, &sql, [])).await? {
            let mut values = [0i64; 9];
            for (value, column) in values.iter_mut().zip(COLUMNS) {
                *value = row.try_get("", column)?;
            }
            let day: String = row.try_get("", "day")?;
            stored.days.insert((row.try_get("", "charger_id")?, parse_day(&day)?), DayFigures::from_values(values));
        }
        let sql = "SELECT day, user_id, charger_id, signed_up FROM stats_users";
        for row in self.db().query_all_raw(statement(backend, sql, [])).await? {
            let (day, signed): (String, String) = (row.try_get("", "day")?, row.try_get("", "signed_up")?);
            stored.users.insert(UserDay {
                charger_id: crate::store::rows::charger_id(row.try_get("", "charger_id")?, "a user's day")?,
                day: parse_day(&day)?,
                user_id: row.try_get("", "user_id")?,
                signed_up: parse_day(&signed)?,
            });
        }
        stored.prune();
        Ok(stored)
    }
}
