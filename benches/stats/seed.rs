//! A year of a charging business written straight into the database, the same rows on SQLite and
//! PostgreSQL: stations in Shanghai and (one in four) London, five piles of two connectors each,
//! users signing up over the year, and `orders` orders spread evenly over the 365 days before
//! `end` — nine in ten completed with their energy and bill and paid, one in ten cancelled, one
//! in fifty refunded in part. Each table is one `INSERT … SELECT` over a counting CTE, so a
//! million orders take seconds, not a million round trips.

use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr};

/// What to seed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan {
    pub(crate) stations: i64,
    pub(crate) users: i64,
    pub(crate) orders: i64,
    /// The Unix second the year of orders ends at.
    pub(crate) end: i64,
}

pub(crate) const PILES_PER_STATION: i64 = 5;
const YEAR_S: i64 = 365 * 86_400;

/// `WITH RECURSIVE n(i) AS (…)`: the numbers 1 to `count`, as BIGINT.
fn numbers(count: i64) -> String {
    format!("WITH RECURSIVE n(i) AS (SELECT CAST(1 AS BIGINT) UNION ALL SELECT i + 1 FROM n WHERE i < {count})")
}

/// The instant `seconds` (an SQL expression of Unix seconds), as the backend stores instants.
fn at(backend: DatabaseBackend, seconds: &str) -> String {
    match backend {
        DatabaseBackend::Postgres => format!("to_timestamp({seconds})"),
        _ => format!("strftime('%Y-%m-%dT%H:%M:%S+00:00', {seconds}, 'unixepoch')"),
    }
}

/// The statements that write `plan`, in order.
pub(crate) fn statements(backend: DatabaseBackend, plan: Plan) -> Vec<String> {
    let Plan { stations, users, orders, end } = plan;
    let start = end - YEAR_S;
    let piles = stations * PILES_PER_STATION;
    let t = |seconds: &str| at(backend, seconds);
    let zone = |station: &str| format!("CASE WHEN {station} % 4 = 3 THEN 'Europe/London' ELSE 'Asia/Shanghai' END");
    // An order's pile (0-based), its station (1-based), its charging seconds and its times.
    let pile = format!("((i * 7919) % {piles})");
    let station = format!("({pile} / {PILES_PER_STATION} + 1)");
    let created = format!("({start} + i * {YEAR_S} / {orders})");
    let charging = "(1200 + (i * 37) % 5400)";
    let cancelled = "i % 10 = 0";
    let completed = format!("CASE WHEN {cancelled} THEN {created} + 300 ELSE {created} + 60 + {charging} + 120 END");
    let when_charged = |value: &str| format!("CASE WHEN {cancelled} THEN NULL ELSE {value} END");
    let energy_fee = format!("({charging} * 64 / 100)");
    let service_fee = format!("({charging} * 32 / 100)");
    let user_signed_up = format!("({start} - 35 * 86400 + i * ({YEAR_S} + 35 * 86400) / {users})");
    vec![
        format!(
            "{n} INSERT INTO stations (code, name, province, city, district, address, lng, lat, status, timezone, \
             created_at, updated_at) SELECT 'BS' || i, 'Station ' || i, 'P', 'C', 'D', 'A', 121.47, 31.23, 'open', \
             {zone}, {at}, {at} FROM n",
            n = numbers(stations),
            zone = zone("i"),
            at = t(&start.to_string()),
        ),
        format!(
            "{n} INSERT INTO chargers (id, registration, ocpp_version, created_at, updated_at, station_code, name, \
             pile_type, max_power_w) SELECT 'BS' || ((i - 1) / {PILES_PER_STATION} + 1) || '-' || \
             ((i - 1) % {PILES_PER_STATION} + 1), 'Registered', '1.6', {at}, {at}, \
             'BS' || ((i - 1) / {PILES_PER_STATION} + 1), 'Pile', 'DC', 60000 FROM n",
            n = numbers(piles),
            at = t(&start.to_string()),
        ),
        format!(
            "{n} INSERT INTO connectors (charger_id, evse_id, connector_id, status, status_at, updated_at) \
             SELECT c.id, 0, n.i, 'Available', {at}, {at} FROM chargers c, n",
            n = numbers(2),
            at = t(&start.to_string()),
        ),
        format!(
            "{n} INSERT INTO id_tags (id_tag, status, created_at) SELECT 'BT' || i, 'Accepted', {at} FROM n",
            n = numbers(users),
            at = t(&user_signed_up),
        ),
        format!(
            "{n} INSERT INTO users (phone, nickname, role, status, id_tag, balance_fen, created_at, updated_at) \
             SELECT CAST(13000000000 + i AS TEXT), 'driver', 'user', 'active', 'BT' || i, 0, {at}, {at} FROM n",
            n = numbers(users),
            at = t(&user_signed_up),
        ),
        format!(
            "{n} INSERT INTO orders (order_no, user_id, charger_id, evse_id, connector_id, id_tag, status, pay_mode, \
             payment_status, paid_fen, refunded_fen, refund_to, tariff, timezone, energy_wh, energy_fee_fen, \
             service_fee_fen, occupancy_fee_fen, total_fen, lock_expires_at, started_at, charging_ended_at, \
             stopped_at, completed_at, created_at, updated_at) \
             SELECT 'BO' || i, (i * 31) % {users} + 1, 'BS' || {station} || '-' || ({pile} % {PILES_PER_STATION} + 1), \
             0, 1 + i % 2, 'BT' || ((i * 31) % {users} + 1), CASE WHEN {cancelled} THEN 'CANCELLED' ELSE 'COMPLETED' END, \
             'prepaid', 'PAID', {paid}, 0, 'original', '{{}}', {zone}, {energy}, {energy_fee_c}, {service_fee_c}, \
             {occupancy}, {total}, {created_at}, {started}, {ended}, {ended}, {completed_at}, {created_at}, {completed_at} \
             FROM n",
            n = numbers(orders),
            paid = format!("CASE WHEN {cancelled} THEN 0 ELSE {energy_fee} + {service_fee} END"),
            zone = zone(&station),
            energy = when_charged(&format!("{charging} * 8")),
            energy_fee_c = when_charged(&energy_fee),
            service_fee_c = when_charged(&service_fee),
            occupancy = when_charged("0"),
            total = when_charged(&format!("{energy_fee} + {service_fee}")),
            created_at = t(&created),
            started = when_charged(&t(&format!("{created} + 60"))),
            ended = when_charged(&t(&format!("{created} + 60 + {charging}"))),
            completed_at = t(&completed),
        ),
        format!(
            "INSERT INTO payments (payment_no, user_id, order_no, purpose, method, amount_fen, refunded_fen, status, \
             paid_at, created_at, updated_at) SELECT 'BP' || substr(order_no, 3), user_id, order_no, 'order', \
             'balance', total_fen, 0, 'SUCCEEDED', created_at, created_at, created_at FROM orders \
             WHERE status = 'COMPLETED' AND order_no LIKE 'BO%'"
        ),
        format!(
            "INSERT INTO refunds (refund_no, payment_no, amount_fen, destination, status, attempts, created_at, \
             updated_at) SELECT 'BR' || substr(p.payment_no, 3), p.payment_no, 100, 'original', 'SUCCEEDED', 1, \
             o.completed_at, o.completed_at FROM payments p JOIN orders o ON o.order_no = p.order_no \
             WHERE o.id % 50 = 1 AND p.payment_no LIKE 'BP%'"
        ),
    ]
}

/// Writes `plan`, then (PostgreSQL) does what autovacuum does after such a load: gathers the
/// planner's statistics, and marks the pages all-visible, without which an index-only scan
/// visits the table for every row (a year by station took 18 s instead of 3 s).
pub(crate) async fn seed(db: &impl ConnectionTrait, plan: Plan) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    for sql in statements(backend, plan) {
        db.execute_unprepared(&sql).await?;
    }
    if backend == DatabaseBackend::Postgres {
        db.execute_unprepared("VACUUM ANALYZE").await?;
    }
    Ok(())
}
