//! The catch-up's reads and writes (see `domain::stats::counting`): what is due, read with what
//! counting it needs (the zone of its pile's station, its user's sign-up, the order as counted
//! last); and what counting decided, written with the flags cleared, in one transaction.
//!
//! Orders are not locked: on PostgreSQL an order's flag is cleared only while it is as read (its
//! `updated_at` unchanged; SQLite has one writer at a time). One changed meanwhile stays due, and the next catch-up counts it from what this one
//! wrote. Refunds never change what they count.

use super::sql::statement;
use super::stats_rollup::{CHUNK, apply, writing};
use super::{Store, StoreError};
use crate::domain::ids::ChargerId;
use crate::domain::ids::OrderNo;
use crate::domain::ledger::money::Fen;
use crate::domain::orders::OrderStatus;
use crate::domain::stats::counting::{Count, Counted, DueBatch, DueOrder, DueRefund};
use crate::domain::stats::rollup::OrderFacts;
use crate::domain::units::Wh;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseTransaction, QueryResult, Value};

/// The figures of an order the statistics count, by column.
const FIGURES: [&str; 8] = [
    "status",
    "completed_at",
    "energy_wh",
    "energy_fee_fen",
    "service_fee_fen",
    "total_fen",
    "started_at",
    "charging_ended_at",
];

/// Orders (due ones when `due`) with their zone, their user's sign-up and, when `due`, their
/// figures as counted last (columns prefixed `k_`).
fn orders_sql(due: bool) -> String {
    let figures: Vec<String> = FIGURES.iter().map(|c| format!("o.{c}")).collect();
    let (counted, join, filter) = if due {
        let counted: Vec<String> = FIGURES.iter().map(|c| format!(", k.{c} AS k_{c}")).collect();
        (
            format!("{}, k.zone AS k_zone", counted.concat()),
            " LEFT JOIN stats_counted k ON k.order_no = o.order_no",
            " WHERE o.stats_due ORDER BY o.id LIMIT ?",
        )
    } else {
        (String::new(), "", "")
    };
    format!(
        "SELECT o.id, o.order_no, o.charger_id, o.user_id, o.created_at, o.updated_at, {figures}, \
         s.timezone AS zone, u.created_at AS signed_up{counted} FROM orders o \
         LEFT JOIN chargers c ON c.id = o.charger_id LEFT JOIN stations s ON s.code = c.station_code \
         LEFT JOIN users u ON u.id = o.user_id{join}{filter}",
        figures = figures.join(", "),
    )
}

/// Refunds (due ones when `due`), with their order's pile and its station's zone.
fn refunds_sql(due: bool) -> String {
    let filter = if due { " WHERE x.stats_due ORDER BY x.id LIMIT ?" } else { "" };
    format!(
        "SELECT x.id, x.refund_no, x.amount_fen, x.created_at, x.status, x.destination, o.charger_id AS pile, \
         s.timezone AS zone FROM refunds x LEFT JOIN payments p ON p.payment_no = x.payment_no \
         LEFT JOIN orders o ON o.order_no = p.order_no LEFT JOIN chargers c ON c.id = o.charger_id \
         LEFT JOIN stations s ON s.code = c.station_code{filter}"
    )
}

/// A stored zone; one that does not parse counts nowhere (the station API accepts none such).
fn zone(name: Option<String>) -> Option<Tz> {
    name.and_then(|name| name.parse().ok())
}

/// The counted figures of `row`, its columns prefixed `prefix`.
fn figures(row: &QueryResult, prefix: &str, order: (ChargerId, i64, DateTime<Utc>)) -> Result<OrderFacts, StoreError> {
    let column = |name: &str| format!("{prefix}{name}");
    Ok(OrderFacts {
        charger_id: order.0,
        user_id: order.1,
        created_at: order.2,
        status: {
            let text: String = row.try_get("", &column("status"))?;
            OrderStatus::parse(&text).ok_or_else(|| StoreError::Corrupt(format!("order status {text:?}")))?
        },
        completed_at: row.try_get("", &column("completed_at"))?,
        energy_wh: row.try_get::<Option<i64>>("", &column("energy_wh"))?.map(Wh),
        energy_fee_fen: row.try_get::<Option<i64>>("", &column("energy_fee_fen"))?.map(Fen),
        service_fee_fen: row.try_get::<Option<i64>>("", &column("service_fee_fen"))?.map(Fen),
        total_fen: row.try_get::<Option<i64>>("", &column("total_fen"))?.map(Fen),
        started_at: row.try_get("", &column("started_at"))?,
        charging_ended_at: row.try_get("", &column("charging_ended_at"))?,
    })
}

/// An order read by `orders_sql`, with its id and `updated_at`.
fn due_order(row: &QueryResult, due: bool) -> Result<(i64, DateTime<Utc>, DueOrder), StoreError> {
    let charger_id = crate::store::rows::charger_id(row.try_get("", "charger_id")?, "a counted order")?;
    let order = (charger_id, row.try_get("", "user_id")?, row.try_get("", "created_at")?);
    let facts = figures(row, "", order.clone())?;
    let counted = match due.then(|| row.try_get::<Option<String>>("", "k_zone")).transpose()?.flatten() {
        Some(name) => match zone(Some(name)) {
            Some(zone) => Some(Counted { facts: figures(row, "k_", order)?, zone }),
            None => None,
        },
        None => None,
    };
    let found = DueOrder {
        order_no: {
            let text: String = row.try_get("", "order_no")?;
            OrderNo::parse(text).map_err(|e| StoreError::Corrupt(format!("order number: {e}")))?
        },
        facts,
        counted,
        zone: zone(row.try_get("", "zone")?),
        signed_up: row.try_get("", "signed_up")?,
    };
    Ok((row.try_get("", "id")?, row.try_get("", "updated_at")?, found))
}

/// A refund read by `refunds_sql`, with its id.
fn due_refund(row: &QueryResult) -> Result<(i64, DueRefund), StoreError> {
    let pile: Option<String> = row.try_get("", "pile")?;
    let pile = pile.map(|pile| crate::store::rows::charger_id(pile, "a counted refund's order")).transpose()?;
    let status: String = row.try_get("", "status")?;
    let destination: String = row.try_get("", "destination")?;
    let found = DueRefund {
        refund_no: row.try_get("", "refund_no")?,
        pile: pile.zip(zone(row.try_get("", "zone")?)),
        at: row.try_get("", "created_at")?,
        amount_fen: row.try_get("", "amount_fen")?,
        counts: status != "FAILED" || destination == "balance",
    };
    Ok((row.try_get("", "id")?, found))
}

/// Writes each order's figures as counted now.
async fn keep_counted(txn: &DatabaseTransaction, counted: &[(OrderNo, Counted)]) -> Result<(), StoreError> {
    let backend = txn.get_database_backend();
    for chunk in counted.chunks(CHUNK) {
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * (FIGURES.len() + 2));
        for (order_no, Counted { facts, zone }) in chunk {
            values.extend([
                order_no.as_str().into(),
                facts.status.as_str().into(),
                facts.completed_at.into(),
                facts.energy_wh.map(Wh::get).into(),
                facts.energy_fee_fen.map(Fen::get).into(),
                facts.service_fee_fen.map(Fen::get).into(),
                facts.total_fen.map(Fen::get).into(),
                facts.started_at.into(),
                facts.charging_ended_at.into(),
                zone.name().into(),
            ]);
        }
        let row = format!("(?, {}?)", "?, ".repeat(FIGURES.len()));
        let sets: Vec<String> = FIGURES.iter().chain(&["zone"]).map(|c| format!("{c} = excluded.{c}")).collect();
        let sql = format!(
            "INSERT INTO stats_counted (order_no, {figures}, zone) VALUES {rows} \
             ON CONFLICT (order_no) DO UPDATE SET {sets}",
            figures = FIGURES.join(", "),
            rows = vec![row; chunk.len()].join(", "),
            sets = sets.join(", "),
        );
        txn.execute_raw(statement(backend, &sql, values)).await?;
    }
    Ok(())
}

/// Clears the flags of `orders` still as read (id and `updated_at`) and of `refunds`.
async fn clear(txn: &DatabaseTransaction, orders: &[(i64, DateTime<Utc>)], refunds: &[i64]) -> Result<(), StoreError> {
    let backend = txn.get_database_backend();
    for chunk in orders.chunks(CHUNK) {
        let statement = match backend {
            DatabaseBackend::Postgres => statement(
                backend,
                &format!(
                    "UPDATE orders o SET stats_due = FALSE FROM (VALUES {}) AS v(id, at) \
                     WHERE o.id = v.id AND o.updated_at = v.at",
                    vec!["(?::bigint, ?::timestamptz)"; chunk.len()].join(", ")
                ),
                chunk.iter().flat_map(|(id, at)| [Value::from(*id), Value::from(*at)]),
            ),
            // One writer at a time: nothing changed since the read.
            _ => statement(
                backend,
                &format!("UPDATE orders SET stats_due = FALSE WHERE id IN ({})", vec!["?"; chunk.len()].join(", ")),
                chunk.iter().map(|(id, _)| Value::from(*id)),
            ),
        };
        txn.execute_raw(statement).await?;
    }
    for chunk in refunds.chunks(CHUNK) {
        let sql = format!("UPDATE refunds SET stats_due = FALSE WHERE id IN ({})", vec!["?"; chunk.len()].join(", "));
        txn.execute_raw(statement(backend, &sql, chunk.iter().map(|id| Value::from(*id)))).await?;
    }
    Ok(())
}

impl Store {
    /// Whether any order or refund is due to be counted.
    pub async fn stats_any_due(&self) -> Result<bool, StoreError> {
        let sql = "SELECT CAST(CASE WHEN EXISTS (SELECT 1 FROM orders WHERE stats_due) \
                   OR EXISTS (SELECT 1 FROM refunds WHERE stats_due) THEN 1 ELSE 0 END AS BIGINT) AS due";
        let backend = self.db().get_database_backend();
        let row = self.db().query_one_raw(statement(backend, sql, [])).await?;
        Ok(row.map(|r| r.try_get::<i64>("", "due")).transpose()?.unwrap_or(0) != 0)
    }

    /// Counts up to `limit` due orders and up to `limit` due refunds in one transaction: reads
    /// them, lets `count` decide, writes the rollups' changes and the orders as counted, and
    /// clears the flags; answers how many were due.
    pub async fn stats_count_due(&self, limit: usize, count: Count) -> Result<usize, StoreError> {
        let (_turn, txn) = self.begin_write().await?;
        let backend = txn.get_database_backend();
        writing(&txn).await?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let (mut orders, mut refunds, mut batch) = (Vec::new(), Vec::new(), DueBatch::default());
        for row in txn.query_all_raw(statement(backend, &orders_sql(true), [limit.into()])).await? {
            let (id, at, due) = due_order(&row, true)?;
            orders.push((id, at));
            batch.orders.push(due);
        }
        for row in txn.query_all_raw(statement(backend, &refunds_sql(true), [limit.into()])).await? {
            let (id, due) = due_refund(&row)?;
            refunds.push(id);
            batch.refunds.push(due);
        }
        if batch.is_empty() {
            txn.commit().await?;
            return Ok(0);
        }
        let counting = count(&batch);
        apply(&txn, counting.deltas).await?;
        keep_counted(&txn, &counting.counted).await?;
        clear(&txn, &orders, &refunds).await?;
        txn.commit().await?;
        Ok(batch.len())
    }

    /// Every order and refund, as if none were counted yet: what a recomputation counts.
    pub async fn stats_everything(&self) -> Result<DueBatch, StoreError> {
        let backend = self.db().get_database_backend();
        let mut batch = DueBatch::default();
        for row in self.db().query_all_raw(statement(backend, &orders_sql(false), [])).await? {
            batch.orders.push(due_order(&row, false)?.2);
        }
        for row in self.db().query_all_raw(statement(backend, &refunds_sql(false), [])).await? {
            batch.refunds.push(due_refund(&row)?.1);
        }
        Ok(batch)
    }
}

#[cfg(test)]
#[path = "stats_counting_tests.rs"]
mod tests;
