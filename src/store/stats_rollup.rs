//! Keeping the statistics' daily rollups (`stats_days`, `stats_users`) exact: every change of an
//! order's counted figures, and every refund, adds its difference in the same transaction as the
//! change (`restat`); a pile that moves, or a station whose zone changes, has its rollups made
//! anew from its orders (`rebuild`), as the migration's fill does for every pile.
//!
//! On PostgreSQL an order's row is locked (`order_before`) before its figures are read, and each
//! writer takes `stats_days` in ROW EXCLUSIVE mode before it reads its pile's zone; a rebuild
//! takes it in SHARE ROW EXCLUSIVE mode, so it waits for the writers that read a zone before it,
//! and they for it. SQLite writes one transaction at a time.

use super::sql::statement;
use super::{Store, StoreError};
use crate::domain::stats::rollup::{COLUMNS, DayFigures, Deltas, OrderFacts, UserDay};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use entity::{order, refund};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect, Value,
};

/// Rows written in one statement at most.
const CHUNK: usize = 400;

/// What of an order the statistics count.
pub(super) fn facts(order: &order::Model) -> OrderFacts {
    OrderFacts {
        charger_id: order.charger_id.clone(),
        user_id: order.user_id,
        created_at: order.created_at,
        status: order.status.clone(),
        completed_at: order.completed_at,
        energy_wh: order.energy_wh,
        energy_fee_fen: order.energy_fee_fen,
        service_fee_fen: order.service_fee_fen,
        total_fen: order.total_fen,
        started_at: order.started_at,
        charging_ended_at: order.charging_ended_at,
    }
}

/// Order `order_no` as it is before a change, its row locked until the transaction ends
/// (PostgreSQL; SQLite has only one writer).
pub(super) async fn order_before(txn: &DatabaseTransaction, order_no: &str) -> Result<Option<OrderFacts>, StoreError> {
    let found = order::Entity::find().filter(order::Column::OrderNo.eq(order_no)).lock_exclusive().one(txn).await?;
    Ok(found.as_ref().map(facts))
}

/// Order `order_no` as it is now, in `txn`, after a change (`before` it), with what the change
/// and the refunds made with it changed in the rollups (see `restat`).
pub(super) async fn restat_order(
    txn: &DatabaseTransaction,
    before: Option<&OrderFacts>,
    order_no: &str,
    refunds: &[refund::Model],
) -> Result<Option<order::Model>, StoreError> {
    let found = order::Entity::find().filter(order::Column::OrderNo.eq(order_no)).one(txn).await?;
    restat(txn, before, found.as_ref().map(facts).as_ref(), refunds).await?;
    Ok(found)
}

/// Takes `stats_days` as a writer (see the module's note).
async fn writing(txn: &DatabaseTransaction) -> Result<(), StoreError> {
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        txn.execute_unprepared("LOCK TABLE stats_days IN ROW EXCLUSIVE MODE").await?;
    }
    Ok(())
}

/// The zone of the station pile `charger_id` stands in; none for a pile in no station (it counts
/// nowhere until it is put in one, when its rollups are made).
async fn pile_zone(txn: &DatabaseTransaction, charger_id: &str) -> Result<Option<Tz>, StoreError> {
    let sql = "SELECT s.timezone AS zone FROM chargers c JOIN stations s ON s.code = c.station_code WHERE c.id = ?";
    let row = txn.query_one_raw(statement(txn.get_database_backend(), sql, [charger_id.into()])).await?;
    let Some(row) = row else { return Ok(None) };
    let name: String = row.try_get("", "zone")?;
    // A zone the station API accepted always parses; one that does not counts nowhere.
    Ok(name.parse().ok())
}

/// `pile_zone`, and when user `user_id` (if given) signed up, in one statement.
async fn pile_zone_and_sign_up(
    txn: &DatabaseTransaction,
    charger_id: &str,
    user_id: Option<i64>,
) -> Result<Option<(Tz, Option<DateTime<Utc>>)>, StoreError> {
    let Some(user_id) = user_id else { return Ok(pile_zone(txn, charger_id).await?.map(|zone| (zone, None))) };
    let sql = "SELECT s.timezone AS zone, (SELECT u.created_at FROM users u WHERE u.id = ?) AS signed_up \
               FROM chargers c JOIN stations s ON s.code = c.station_code WHERE c.id = ?";
    let values = [user_id.into(), charger_id.into()];
    let Some(row) = txn.query_one_raw(statement(txn.get_database_backend(), sql, values)).await? else {
        return Ok(None);
    };
    let name: String = row.try_get("", "zone")?;
    let signed_up: Option<DateTime<Utc>> = row.try_get("", "signed_up")?;
    // A zone the station API accepted always parses; one that does not counts nowhere.
    Ok(name.parse().ok().map(|zone| (zone, signed_up)))
}

/// Adds to the rollups what an order's change (`before` to `after`, either none for an order
/// made or not changed) and the refunds made with it changed, in `txn`.
pub(super) async fn restat(
    txn: &DatabaseTransaction,
    before: Option<&OrderFacts>,
    after: Option<&OrderFacts>,
    refunds: &[refund::Model],
) -> Result<(), StoreError> {
    let Some(pile) = after.or(before).map(|o| o.charger_id.clone()) else { return Ok(()) };
    let same =
        |a: Option<&OrderFacts>, b: Option<&OrderFacts>| a.map(OrderFacts::counted) == b.map(OrderFacts::counted);
    if same(before, after) && refunds.is_empty() {
        return Ok(());
    }
    writing(txn).await?;
    // An order made counts its user's sign-up too: read with the zone.
    let made_by = after.filter(|_| before.is_none()).map(|new| new.user_id);
    let Some((zone, user)) = pile_zone_and_sign_up(txn, &pile, made_by).await? else { return Ok(()) };
    let mut deltas = Deltas::default();
    if let Some(old) = before {
        deltas.order(old, zone, -1, None);
    }
    if let Some(new) = after {
        deltas.order(new, zone, 1, user);
    }
    for made in refunds.iter().filter(|r| counted(r)) {
        deltas.refund(&pile, zone, made.created_at, made.amount_fen);
    }
    apply(txn, deltas).await
}

/// Adds refund `made` (of an order's payment; a top-up's counts nowhere) to its pile's day.
pub(super) async fn restat_refund(txn: &DatabaseTransaction, made: &refund::Model) -> Result<(), StoreError> {
    let sql = "SELECT o.charger_id AS pile FROM payments p JOIN orders o ON o.order_no = p.order_no \
               WHERE p.payment_no = ?";
    let row = txn.query_one_raw(statement(txn.get_database_backend(), sql, [made.payment_no.clone().into()])).await?;
    let Some(row) = row else { return Ok(()) };
    let pile: String = row.try_get("", "pile")?;
    writing(txn).await?;
    let Some(zone) = pile_zone(txn, &pile).await? else { return Ok(()) };
    let mut deltas = Deltas::default();
    if counted(made) {
        deltas.refund(&pile, zone, made.created_at, made.amount_fen);
    }
    apply(txn, deltas).await
}

/// A stored day (`YYYY-MM-DD`).
fn parse_day(text: &str) -> Result<NaiveDate, StoreError> {
    text.parse().map_err(|_| StoreError::Corrupt(format!("a rollup's day {text:?}")))
}

/// Whether a refund counts: all but failed ones — a failed refund's money went to the balance
/// (`destination` `balance`), and counts as refunded.
fn counted(made: &refund::Model) -> bool {
    made.status != "FAILED" || made.destination == "balance"
}

/// Writes `deltas`: each day's figures added to its row (made when missing), each user's day
/// inserted unless there — in key order. On PostgreSQL, an order's change (one statement of each)
/// is one statement: the days' insert in a `WITH`.
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

/// The rollups of `piles` (every pile in a station with none) as their orders and refunds make
/// them, computed afresh.
pub(super) async fn recompute(txn: &impl ConnectionTrait, piles: Option<&[String]>) -> Result<Deltas, StoreError> {
    let backend = txn.get_database_backend();
    let sql = "SELECT c.id AS pile, s.timezone AS zone FROM chargers c JOIN stations s ON s.code = c.station_code";
    let mut found = Vec::new();
    for row in txn.query_all_raw(statement(backend, sql, [])).await? {
        let (pile, zone): (String, String) = (row.try_get("", "pile")?, row.try_get("", "zone")?);
        if piles.is_none_or(|only| only.contains(&pile))
            && let Ok(zone) = zone.parse::<Tz>()
        {
            found.push((pile, zone));
        }
    }
    let mut deltas = Deltas::default();
    for (pile, zone) in found {
        let orders = order::Entity::find().filter(order::Column::ChargerId.eq(pile.as_str())).all(txn).await?;
        let sql = "SELECT id, created_at FROM users WHERE id IN (SELECT user_id FROM orders WHERE charger_id = ?)";
        let mut users = std::collections::HashMap::new();
        for row in txn.query_all_raw(statement(backend, sql, [pile.clone().into()])).await? {
            users.insert(row.try_get::<i64>("", "id")?, row.try_get::<DateTime<Utc>>("", "created_at")?);
        }
        for o in &orders {
            deltas.order(&facts(o), zone, 1, users.get(&o.user_id).copied());
        }
        let sql = "SELECT x.amount_fen AS amount, x.created_at AS at FROM orders o \
                   JOIN payments p ON p.order_no = o.order_no JOIN refunds x ON x.payment_no = p.payment_no \
                   WHERE o.charger_id = ? AND (x.status <> 'FAILED' OR x.destination = 'balance')";
        for row in txn.query_all_raw(statement(backend, sql, [pile.clone().into()])).await? {
            deltas.refund(&pile, zone, row.try_get("", "at")?, row.try_get("", "amount")?);
        }
    }
    deltas.prune();
    Ok(deltas)
}

/// Makes the rollups of `piles` (every pile with none) anew, in `txn`.
pub(super) async fn rebuild(txn: &DatabaseTransaction, piles: Option<&[String]>) -> Result<(), StoreError> {
    let backend = txn.get_database_backend();
    if backend == DatabaseBackend::Postgres {
        txn.execute_unprepared("LOCK TABLE stats_days IN SHARE ROW EXCLUSIVE MODE").await?;
    }
    match piles {
        None => {
            txn.execute_unprepared("DELETE FROM stats_days").await?;
            txn.execute_unprepared("DELETE FROM stats_users").await?;
        }
        Some(piles) => {
            for pile in piles {
                for table in ["stats_days", "stats_users"] {
                    let sql = format!("DELETE FROM {table} WHERE charger_id = ?");
                    txn.execute_raw(statement(backend, &sql, [pile.clone().into()])).await?;
                }
            }
        }
    }
    let deltas = recompute(txn, piles).await?;
    apply(txn, deltas).await
}

impl Store {
    /// Fills the rollups when the migration that made them asked for it (see migration 000020),
    /// once: the request is taken back in the same transaction.
    pub(super) async fn fill_stats_if_asked(&self) -> Result<(), StoreError> {
        let (_turn, txn) = self.begin_write().await?;
        let asked = txn.execute_unprepared("DELETE FROM stats_fill").await?.rows_affected() > 0;
        if asked {
            rebuild(&txn, None).await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// Makes every pile's rollups anew from its orders and refunds: for rows written around the
    /// store (seeds, imports).
    pub async fn rebuild_stats(&self) -> Result<(), StoreError> {
        let (_turn, txn) = self.begin_write().await?;
        rebuild(&txn, None).await?;
        txn.commit().await?;
        Ok(())
    }

    /// The stored rollups, and a recomputation from the orders and refunds: equal unless a change
    /// of an order escaped its rollup.
    pub async fn stats_rollups_and_recomputed(&self) -> Result<(Deltas, Deltas), StoreError> {
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
                charger_id: row.try_get("", "charger_id")?,
                day: parse_day(&day)?,
                user_id: row.try_get("", "user_id")?,
                signed_up: parse_day(&signed)?,
            });
        }
        stored.prune();
        Ok((stored, recompute(self.db(), None).await?))
    }
}
