//! The money audit's reads: each check one statement that returns only what does not add up (at
//! most `limit` rows each), so that a healthy database answers with nothing to carry.

use super::sql::statement;
use super::{Store, StoreError};
use crate::domain::audit::{Checked, Findings};
use crate::domain::charging::ENERGY_REGISTER;
use sea_orm::{ConnectionTrait, QueryResult, Value};

/// Users whose balance is not their ledger's sum. (PostgreSQL sums BIGINT to NUMERIC: cast back.)
const BALANCES: &str = "SELECT u.id AS user_id, u.balance_fen AS balance, COALESCE(l.total, 0) AS ledger \
     FROM users u LEFT JOIN (SELECT user_id, CAST(SUM(amount_fen) AS BIGINT) AS total FROM ledger GROUP BY user_id) l \
     ON l.user_id = u.id WHERE u.balance_fen <> COALESCE(l.total, 0) ORDER BY u.id LIMIT ?";

/// Completed, paid orders that keep other than their bill, less what operators gave back once
/// they were settled.
const ORDERS: &str = "SELECT order_no, paid_fen - refunded_fen + gift_fen AS kept, COALESCE(total_fen, 0) AS owed \
     FROM orders WHERE status = 'COMPLETED' AND payment_status = 'PAID' \
     AND paid_fen - refunded_fen + gift_fen <> COALESCE(total_fen, 0) ORDER BY order_no LIMIT ?";

/// Orders whose own counters disagree with their payments: what an order says it keeps against
/// what its succeeded payments keep (a late payment given back keeps nothing on either side).
const ORDER_PAYMENTS: &str = "SELECT o.order_no, o.paid_fen - o.refunded_fen AS kept, COALESCE(p.kept, 0) AS owed \
     FROM orders o LEFT JOIN (SELECT order_no, CAST(SUM(amount_fen - refunded_fen) AS BIGINT) AS kept FROM payments \
     WHERE status = 'SUCCEEDED' AND order_no IS NOT NULL GROUP BY order_no) p ON p.order_no = o.order_no \
     WHERE o.paid_fen - o.refunded_fen <> COALESCE(p.kept, 0) ORDER BY o.order_no LIMIT ?";

/// Payments refunded beyond their amount, or whose refunds add up to other than they say.
const PAYMENTS: &str = "SELECT p.payment_no, p.amount_fen AS amount, p.refunded_fen AS refunded, \
     COALESCE(r.total, 0) AS refunds FROM payments p \
     LEFT JOIN (SELECT payment_no, CAST(SUM(amount_fen) AS BIGINT) AS total FROM refunds GROUP BY payment_no) r \
     ON r.payment_no = p.payment_no \
     WHERE p.refunded_fen > p.amount_fen OR p.refunded_fen < 0 OR COALESCE(r.total, 0) <> p.refunded_fen \
     ORDER BY p.payment_no LIMIT ?";

/// Energy readings held by two billed sessions (the measurand is bound first).
const SAMPLES: &str = "SELECT s.charger_id, s.connector_id, s.sampled_at, COUNT(DISTINCT s.transaction_id) AS sessions \
     FROM meter_samples s JOIN orders o ON o.transaction_id = s.transaction_id \
     WHERE s.measurand = ? AND o.status = 'COMPLETED' \
     GROUP BY s.charger_id, s.evse_id, s.connector_id, s.sampled_at, s.measurand, s.phase, s.location \
     HAVING COUNT(DISTINCT s.transaction_id) > 1 LIMIT ?";

/// The same in `meter_readings` (the measurand's code is bound first): a reading of one time held
/// by two sessions' rows.
fn compact_samples(backend: sea_orm::DatabaseBackend) -> String {
    format!(
        "SELECT r.charger_id, r.connector_id, r.sampled_at, COUNT(DISTINCT r.transaction_id) AS sessions \
         FROM meter_readings r JOIN orders o ON o.transaction_id = r.transaction_id {each} \
         WHERE substr(e.key, 1, 1) = ? AND o.status = 'COMPLETED' \
         GROUP BY r.charger_id, r.evse_id, r.connector_id, r.sampled_at, e.key \
         HAVING COUNT(DISTINCT r.transaction_id) > 1 LIMIT ?",
        each = super::sample_reads::each_sample(backend)
    )
}

/// Completed orders whose bill is not paid.
const OWED: &str = "SELECT order_no, user_id, COALESCE(total_fen, 0) - (paid_fen - refunded_fen + gift_fen) AS owed \
     FROM orders WHERE status = 'COMPLETED' AND payment_status = 'UNPAID' ORDER BY id LIMIT ?";

impl Store {
    /// What the audit finds (see `domain::audit`), at most `limit` of each kind.
    pub async fn audit_findings(&self, limit: u64) -> Result<Findings, StoreError> {
        let limit = Value::from(i64::try_from(limit).unwrap_or(i64::MAX));
        let rows = |sql: &'static str, values: Vec<Value>| async move {
            let backend = self.db().get_database_backend();
            self.db().query_all_raw(statement(backend, sql, values)).await
        };
        let mut found = Findings::default();
        for row in rows(BALANCES, vec![limit.clone()]).await? {
            found.balances.push((row.try_get("", "user_id")?, row.try_get("", "balance")?, row.try_get("", "ledger")?));
        }
        for sql in [ORDERS, ORDER_PAYMENTS] {
            for row in rows(sql, vec![limit.clone()]).await? {
                found.orders.push((row.try_get("", "order_no")?, row.try_get("", "kept")?, row.try_get("", "owed")?));
            }
        }
        for row in rows(PAYMENTS, vec![limit.clone()]).await? {
            found.payments.push((
                row.try_get("", "payment_no")?,
                row.try_get("", "amount")?,
                row.try_get("", "refunded")?,
                row.try_get("", "refunds")?,
            ));
        }
        for row in rows(SAMPLES, vec![ENERGY_REGISTER.into(), limit.clone()]).await? {
            found.samples.push((reading(&row)?, row.try_get("", "sessions")?));
        }
        let backend = self.db().get_database_backend();
        let energy = super::sample_codec::code(ENERGY_REGISTER).map(String::from).unwrap_or_default();
        let compact = statement(backend, &compact_samples(backend), vec![energy.into(), limit.clone()]);
        for row in self.db().query_all_raw(compact).await? {
            let at = super::sample_reads::row_time(backend, &row)?;
            found.samples.push((place(&row, at)?, row.try_get("", "sessions")?));
        }
        for row in rows(OWED, vec![limit]).await? {
            found.owed.push((row.try_get("", "order_no")?, row.try_get("", "user_id")?, row.try_get("", "owed")?));
        }
        found.checked = Checked {
            users: self.count_rows("SELECT COUNT(*) AS n FROM users").await?,
            orders: self.count_rows("SELECT COUNT(*) AS n FROM orders WHERE status = 'COMPLETED'").await?,
            payments: self.count_rows("SELECT COUNT(*) AS n FROM payments").await?,
        };
        Ok(found)
    }

    async fn count_rows(&self, sql: &str) -> Result<i64, StoreError> {
        let backend = self.db().get_database_backend();
        let row = self.db().query_one_raw(statement(backend, sql, [])).await?;
        Ok(row.map(|r| r.try_get("", "n")).transpose()?.unwrap_or(0))
    }
}

/// A reading's place and time: `<charger>/<connector>@<time>`.
fn reading(row: &QueryResult) -> Result<String, StoreError> {
    place(row, row.try_get("", "sampled_at")?)
}

/// The same, its time given.
fn place(row: &QueryResult, at: chrono::DateTime<chrono::Utc>) -> Result<String, StoreError> {
    let charger: String = row.try_get("", "charger_id")?;
    let connector: i32 = row.try_get("", "connector_id")?;
    Ok(format!("{charger}/{connector}@{}", at.to_rfc3339()))
}
