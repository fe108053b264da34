//! The statistics' sums and counts, each one statement for SQLite and PostgreSQL alike: the
//! periods to count in arrive as a `VALUES` table `b(k, zone, lo, hi)` of UTC instants (one row
//! per zone and local day), joined to the stations of that zone and to what happened between
//! `lo` and `hi`. Timestamps compare as they are stored: `timestamptz` in PostgreSQL, and in
//! SQLite RFC 3339 text in UTC (`2026-12-02T15:30:00.123+00:00`), which orders as time does and
//! as the bound instants are written.
//!
//! Each statement starts from the periods and the piles in scope, and finds what happened at
//! each pile in each period through an index of the pile and that instant, which also holds what
//! the statement reads (`ix_orders_pile_created`, `ix_orders_pile_completed`,
//! `ix_orders_pile_started`, `ix_orders_pile_charging_ended`; migration 000013); refunds through
//! `ix_refunds_created_at`, then their payment and order.

use super::sql::statement;
use super::{Store, StoreError};
use crate::domain::ledger::money::Fen;
use crate::domain::stats::records::{
    Bucket, ChargingAt, ChargingEdges, CreatedRow, EndedRow, Grouping, RefundRow, Scope, UnitRow,
};
use sea_orm::{ConnectionTrait, DatabaseBackend, QueryResult, Value};

/// The column a grouping names.
fn key(grouping: Grouping) -> &'static str {
    match grouping {
        Grouping::Bucket => "b.k",
        Grouping::Station => "s.code",
        Grouping::Pile => "c.id",
        Grouping::Whole => "''",
    }
}

/// `GROUP BY` the grouping's column and `more` (PostgreSQL refuses a constant there).
fn group_by(grouping: Grouping, more: &[&str]) -> String {
    group_by_column(grouping, key(grouping), more)
}

/// `GROUP BY` `column` (the grouping's, unless `Whole`) and `more`.
pub(super) fn group_by_column(grouping: Grouping, column: &str, more: &[&str]) -> String {
    let columns: Vec<&str> =
        (grouping != Grouping::Whole).then_some(column).into_iter().chain(more.iter().copied()).collect();
    if columns.is_empty() { String::new() } else { format!(" GROUP BY {}", columns.join(", ")) }
}

/// `b(k, zone, lo, hi) AS (VALUES …)`, the periods, and its parameters.
fn periods(buckets: &[Bucket], values: &mut Vec<Value>) -> String {
    let rows = vec!["(?, ?, ?, ?)"; buckets.len()].join(", ");
    for b in buckets {
        values.extend([b.key.clone().into(), b.zone.clone().into(), b.lo.into(), b.hi.into()]);
    }
    format!("b(k, zone, lo, hi) AS (VALUES {rows})")
}

/// `WITH b(k, zone, lo, hi, range_lo, range_hi) AS (VALUES …)`: each period with its zone's whole
/// range (from `ranges`, one per zone) beside it, and its parameters. Carried on each row rather
/// than joined as a table of its own, so that the planner cannot start from the orders: SQLite
/// did, and compared every order with every period of its zone.
fn periods_in_ranges(buckets: &[Bucket], ranges: &[Bucket], values: &mut Vec<Value>) -> String {
    let rows = vec!["(?, ?, ?, ?, ?, ?)"; buckets.len()].join(", ");
    for b in buckets {
        let range = ranges.iter().find(|r| r.zone == b.zone).unwrap_or(b);
        values.extend([
            b.key.clone().into(),
            b.zone.clone().into(),
            b.lo.into(),
            b.hi.into(),
            range.lo.into(),
            range.hi.into(),
        ]);
    }
    format!("b(k, zone, lo, hi, range_lo, range_hi) AS (VALUES {rows})")
}

/// The stations of each period's zone (one of them only, with a station), and their piles,
/// joined with `join` (see `Store::join`).
fn piles(scope: Scope<'_>, join: &str, values: &mut Vec<Value>) -> String {
    let only = only_station(scope, values);
    format!(" {join} stations s ON s.timezone = b.zone AND {only} {join} chargers c ON c.station_code = s.code")
}

/// The condition on station `s` of `scope`: its station only (its code a parameter), or any.
fn only_station(scope: Scope<'_>, values: &mut Vec<Value>) -> &'static str {
    scope.station.map_or("1 = 1", |code| {
        values.push(code.into());
        "s.code = ?"
    })
}

/// Seconds from `earlier` to `later`, as a float.
fn seconds(backend: DatabaseBackend, later: &str, earlier: &str) -> String {
    match backend {
        DatabaseBackend::Postgres => format!("EXTRACT(EPOCH FROM ({later} - {earlier}))"),
        _ => format!("((julianday({later}) - julianday({earlier})) * 86400.0)"),
    }
}

/// Orders that charged: ended no earlier than they started, or charging still.
const CHARGED: &str =
    "(o.charging_ended_at >= o.started_at OR (o.charging_ended_at IS NULL AND o.status = 'CHARGING'))";

fn count(row: &QueryResult, column: &str) -> Result<i64, StoreError> {
    Ok(row.try_get::<Option<i64>>("", column)?.unwrap_or(0))
}

impl Store {
    /// The join each statement below writes: on SQLite `CROSS JOIN`, which SQLite's planner
    /// never reorders, so that every statement runs as written — from the periods to the piles
    /// in scope to each pile's orders of the period through its index. Left to choose (the
    /// statistics it plans with are never gathered), SQLite began from the orders or the refunds
    /// and compared each with every period: a year day by day took minutes on a million orders.
    /// PostgreSQL plans from its statistics, and takes a plain `JOIN`.
    fn join(&self) -> &'static str {
        match self.db().get_database_backend() {
            DatabaseBackend::Sqlite => "CROSS JOIN",
            _ => "JOIN",
        }
    }

    /// ` CROSS JOIN` each pile's orders (`o`, with `columns`) that satisfy `condition` — in each
    /// period, through the index of the pile and the instant. PostgreSQL, left to join them
    /// itself, hashed every order of the table against the piles and periods (2.3 s for a
    /// month on a million orders); a `LATERAL` subquery, fenced by `OFFSET 0` so that it is
    /// not flattened, runs per pile and period through the index (0.17 s). SQLite's `CROSS
    /// JOIN` (see `join`) does the same.
    fn pile_orders(&self, columns: &str, condition: &str) -> String {
        match self.db().get_database_backend() {
            DatabaseBackend::Postgres => format!(
                " CROSS JOIN LATERAL (SELECT {columns} FROM orders o WHERE o.charger_id = c.id AND {condition} OFFSET 0) o"
            ),
            _ => format!(" CROSS JOIN orders o ON o.charger_id = c.id AND {condition}"),
        }
    }

    async fn stats_rows(&self, sql: &str, values: Vec<Value>) -> Result<Vec<QueryResult>, StoreError> {
        Ok(self.db().query_all_raw(statement(self.db().get_database_backend(), sql, values)).await?)
    }

    /// The stations or piles in scope (by `scope.grouping`: `Whole` gives one row per zone) with
    /// their connectors that charge; a station without piles has none.
    pub async fn stats_units(&self, scope: Scope<'_>) -> Result<Vec<UnitRow>, StoreError> {
        let mut values = Vec::new();
        let only = only_station(scope, &mut values);
        let piles = if scope.grouping == Grouping::Pile { "JOIN" } else { "LEFT JOIN" };
        // 1.6's connector 0 is the charger as a whole (`stations::is_whole_charger`).
        let sql = format!(
            "SELECT {unit} AS unit, s.timezone AS zone, COUNT(k.charger_id) AS connectors FROM stations s \
             {piles} chargers c ON c.station_code = s.code \
             LEFT JOIN connectors k ON k.charger_id = c.id AND NOT (k.evse_id = 0 AND k.connector_id = 0) WHERE {only}{group}",
            unit = key(scope.grouping),
            group = group_by(scope.grouping, &["s.timezone"]),
        );
        let rows = self.stats_rows(&sql, values).await?;
        rows.iter()
            .map(|r| {
                Ok(UnitRow {
                    unit: r.try_get("", "unit")?,
                    zone: r.try_get("", "zone")?,
                    connectors: count(r, "connectors")?,
                })
            })
            .collect()
    }

    /// Orders created in each period, by group: how many, their distinct users, and how many of
    /// those signed up within their zone's range (`ranges`: one period per zone).
    pub async fn stats_created(
        &self,
        scope: Scope<'_>,
        buckets: &[Bucket],
        ranges: &[Bucket],
    ) -> Result<Vec<CreatedRow>, StoreError> {
        let mut values = Vec::new();
        let b = periods_in_ranges(buckets, ranges, &mut values);
        let j = self.join();
        let piles = piles(scope, j, &mut values);
        let sql = format!(
            "WITH {b} SELECT {g} AS g, COUNT(*) AS created, COUNT(DISTINCT o.user_id) AS active, \
             COUNT(DISTINCT CASE WHEN u.created_at >= b.range_lo AND u.created_at < b.range_hi THEN o.user_id END) AS fresh \
             FROM b{piles}{orders} {j} users u ON u.id = o.user_id{group}",
            orders = self.pile_orders("o.user_id", "o.created_at >= b.lo AND o.created_at < b.hi"),
            g = key(scope.grouping),
            group = group_by(scope.grouping, &[]),
        );
        let rows = self.stats_rows(&sql, values).await?;
        rows.iter()
            .map(|r| {
                Ok(CreatedRow {
                    group: r.try_get("", "g")?,
                    created: count(r, "created")?,
                    active: count(r, "active")?,
                    new: count(r, "fresh")?,
                })
            })
            .collect()
    }

    /// Orders that ended in each period, by group: completed, with their energy and bills, and
    /// cancelled.
    pub async fn stats_ended(&self, scope: Scope<'_>, buckets: &[Bucket]) -> Result<Vec<EndedRow>, StoreError> {
        let mut values = Vec::new();
        let b = periods(buckets, &mut values);
        let j = self.join();
        let piles = piles(scope, j, &mut values);
        let completed = |column: &str| {
            format!(
                "CAST(SUM(CASE WHEN o.status = 'COMPLETED' THEN COALESCE(o.{column}, 0) ELSE 0 END) AS BIGINT) AS {column}"
            )
        };
        let sql = format!(
            "WITH {b} SELECT {g} AS g, SUM(CASE WHEN o.status = 'COMPLETED' THEN 1 ELSE 0 END) AS completed, \
             SUM(CASE WHEN o.status = 'CANCELLED' THEN 1 ELSE 0 END) AS cancelled, {energy}, {energy_fee}, {service_fee}, {total} \
             FROM b{piles}{orders}{group}",
            orders = self.pile_orders(
                "o.status, o.energy_wh, o.energy_fee_fen, o.service_fee_fen, o.total_fen",
                "o.completed_at >= b.lo AND o.completed_at < b.hi AND o.status IN ('COMPLETED', 'CANCELLED')",
            ),
            g = key(scope.grouping),
            energy = completed("energy_wh"),
            energy_fee = completed("energy_fee_fen"),
            service_fee = completed("service_fee_fen"),
            total = completed("total_fen"),
            group = group_by(scope.grouping, &[]),
        );
        let rows = self.stats_rows(&sql, values).await?;
        rows.iter()
            .map(|r| {
                Ok(EndedRow {
                    group: r.try_get("", "g")?,
                    completed: count(r, "completed")?,
                    cancelled: count(r, "cancelled")?,
                    energy_wh: count(r, "energy_wh")?,
                    energy_fee_fen: Fen(count(r, "energy_fee_fen")?),
                    service_fee_fen: Fen(count(r, "service_fee_fen")?),
                    total_fen: Fen(count(r, "total_fen")?),
                })
            })
            .collect()
    }

    /// Refunds of orders' payments made in each period, by group: all but failed ones — a refund
    /// its provider failed counts, its money having gone to the balance instead.
    pub async fn stats_refunds(&self, scope: Scope<'_>, buckets: &[Bucket]) -> Result<Vec<RefundRow>, StoreError> {
        let mut values = Vec::new();
        let b = periods(buckets, &mut values);
        let j = self.join();
        // From each refund to its order's pile, and its station (of the period's zone).
        let only = only_station(scope, &mut values);
        let sql = format!(
            "WITH {b} SELECT {g} AS g, CAST(SUM(x.amount_fen) AS BIGINT) AS refunds_fen \
             FROM b {j} refunds x ON x.created_at >= b.lo AND x.created_at < b.hi \
             {j} payments p ON p.payment_no = x.payment_no {j} orders o ON o.order_no = p.order_no \
             {j} chargers c ON c.id = o.charger_id {j} stations s ON s.code = c.station_code AND s.timezone = b.zone AND {only} \
             WHERE (x.status <> 'FAILED' OR x.destination = 'balance'){group}",
            g = key(scope.grouping),
            group = group_by(scope.grouping, &[]),
        );
        let rows = self.stats_rows(&sql, values).await?;
        rows.iter()
            .map(|r| Ok(RefundRow { group: r.try_get("", "g")?, refunds_fen: Fen(count(r, "refunds_fen")?) }))
            .collect()
    }

    /// Orders charging as each zone's window opens (`first`: one per zone): started before its
    /// `lo`, and ended at or after it or charging still.
    pub async fn stats_charging_at(&self, scope: Scope<'_>, first: &[Bucket]) -> Result<Vec<ChargingAt>, StoreError> {
        let mut values = Vec::new();
        let b = periods(first, &mut values);
        let j = self.join();
        let piles = piles(scope, j, &mut values);
        let sql = format!(
            "WITH {b} SELECT {g} AS g, b.zone AS zone, COUNT(*) AS sessions FROM b{piles}{orders}{group}",
            orders = self.pile_orders(
                "o.started_at",
                "o.started_at < b.lo \
                 AND (o.charging_ended_at >= b.lo OR (o.charging_ended_at IS NULL AND o.status = 'CHARGING'))",
            ),
            g = key(scope.grouping),
            group = group_by(scope.grouping, &["b.zone"]),
        );
        let rows = self.stats_rows(&sql, values).await?;
        rows.iter()
            .map(|r| {
                Ok(ChargingAt {
                    unit: r.try_get("", "g")?,
                    zone: r.try_get("", "zone")?,
                    sessions: count(r, "sessions")?,
                })
            })
            .collect()
    }

    /// Charging started in each window, by unit and window: how often, and the seconds from each
    /// start to the window's end.
    pub async fn stats_charging_starts(
        &self,
        scope: Scope<'_>,
        windows: &[Bucket],
    ) -> Result<Vec<ChargingEdges>, StoreError> {
        self.charging_edges(scope, windows, "o.started_at", CHARGED).await
    }

    /// Charging ended in each window, as `stats_charging_starts`.
    pub async fn stats_charging_ends(
        &self,
        scope: Scope<'_>,
        windows: &[Bucket],
    ) -> Result<Vec<ChargingEdges>, StoreError> {
        self.charging_edges(scope, windows, "o.charging_ended_at", "o.charging_ended_at >= o.started_at").await
    }

    async fn charging_edges(
        &self,
        scope: Scope<'_>,
        windows: &[Bucket],
        instant: &str,
        charged: &str,
    ) -> Result<Vec<ChargingEdges>, StoreError> {
        let mut values = Vec::new();
        let b = periods(windows, &mut values);
        let j = self.join();
        let piles = piles(scope, j, &mut values);
        let sql = format!(
            "WITH {b} SELECT {g} AS g, b.zone AS zone, b.k AS k, COUNT(*) AS n, \
             CAST(SUM({to_end}) AS DOUBLE PRECISION) AS seconds FROM b{piles}{orders}{group}",
            orders = self.pile_orders(instant, &format!("{instant} >= b.lo AND {instant} < b.hi AND {charged}")),
            g = key(scope.grouping),
            to_end = seconds(self.db().get_database_backend(), "b.hi", instant),
            group = group_by(scope.grouping, &["b.zone", "b.k"]),
        );
        let rows = self.stats_rows(&sql, values).await?;
        rows.iter()
            .map(|r| {
                Ok(ChargingEdges {
                    unit: r.try_get("", "g")?,
                    zone: r.try_get("", "zone")?,
                    key: r.try_get("", "k")?,
                    count: count(r, "n")?,
                    seconds_to_end: r.try_get::<Option<f64>>("", "seconds")?.unwrap_or(0.0),
                })
            })
            .collect()
    }
}
