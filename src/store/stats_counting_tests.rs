//! The catch-up against a real PostgreSQL database (CI's PostgreSQL run; SQLite has one writer at
//! a time, so nothing changes while it counts): an order changed while it is being counted stays
//! due, and the next catch-up counts the change.
#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use crate::domain::stats::counting::{self, Counting, DueBatch};
use crate::store::Store;
use crate::store::sql::statement;
use crate::store::test_store::postgres;
use chrono::{Duration, Utc};
use entity::order;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DatabaseBackend, EntityTrait};
use std::sync::Mutex;

/// The store the counting below changes its order in, while it counts.
static CHANGED_WHILE_COUNTING: Mutex<Option<Store>> = Mutex::new(None);

/// Completes order `O-1` with a bill (a change the statistics count).
async fn complete(store: &Store) {
    let sql = "UPDATE orders SET status = 'COMPLETED', completed_at = ?, energy_wh = 7000, energy_fee_fen = 700, \
               service_fee_fen = 300, total_fen = 1000, updated_at = ?, stats_due = TRUE WHERE order_no = 'O-1'";
    let now = Utc::now();
    store.db().execute_raw(statement(DatabaseBackend::Postgres, sql, [now.into(), now.into()])).await.unwrap();
}

/// Counts as `counting::count` does, the order completed meanwhile (on another connection).
fn count_while_it_completes(batch: &DueBatch) -> Counting {
    let store = CHANGED_WHILE_COUNTING.lock().unwrap().take().unwrap();
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(complete(&store)));
    counting::count(batch)
}

async fn setup(store: &Store) {
    let db = store.db();
    let now = Utc::now();
    let sql = "INSERT INTO stations (code, name, province, city, district, address, lng, lat, status, timezone, \
               created_at, updated_at) VALUES ('S-1', 'One', 'P', 'C', 'D', 'A', 121.4, 31.2, 'active', \
               'Asia/Shanghai', ?, ?)";
    db.execute_raw(statement(DatabaseBackend::Postgres, sql, [now.into(), now.into()])).await.unwrap();
    db.execute_unprepared("UPDATE chargers SET station_code = 'S-1' WHERE id = 'CP-1'").await.unwrap();
    let sql = "INSERT INTO id_tags (id_tag, status, created_at) VALUES ('TAG-1', 'Accepted', ?)";
    db.execute_raw(statement(DatabaseBackend::Postgres, sql, [now.into()])).await.unwrap();
    let sql = "INSERT INTO users (phone, nickname, role, status, id_tag, balance_fen, created_at, updated_at) \
               VALUES ('13900000001', 'driver', 'user', 'active', 'TAG-1', 0, ?, ?)";
    db.execute_raw(statement(DatabaseBackend::Postgres, sql, [now.into(), now.into()])).await.unwrap();
    let user = db.query_one_raw(statement(DatabaseBackend::Postgres, "SELECT id FROM users", [])).await.unwrap();
    let made = order::ActiveModel {
        order_no: Set("O-1".into()),
        user_id: Set(user.unwrap().try_get("", "id").unwrap()),
        charger_id: Set("CP-1".into()),
        evse_id: Set(1),
        connector_id: Set(1),
        id_tag: Set("TAG-1".into()),
        status: Set("CHARGING".into()),
        pay_mode: Set("postpaid".into()),
        payment_status: Set("UNPAID".into()),
        paid_fen: Set(0),
        refunded_fen: Set(0),
        gift_fen: Set(0),
        refund_to: Set("original".into()),
        tariff: Set("{}".into()),
        timezone: Set("Asia/Shanghai".into()),
        lock_expires_at: Set(now),
        started_at: Set(Some(now - Duration::minutes(30))),
        created_at: Set(now - Duration::hours(1)),
        updated_at: Set(now),
        ..Default::default()
    };
    order::Entity::insert(made).exec(db).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_changed_while_it_is_counted_stays_due_and_the_next_catch_up_counts_it() {
    let Some((_db, store)) = postgres().await else { return };
    setup(&store).await;
    // Counted as made and charging; then, while its completion is counted, it is completed.
    assert_eq!(store.stats_count_due(10, counting::count).await.unwrap(), 1);
    let sql = "UPDATE orders SET status = 'CANCELLED', completed_at = ?, updated_at = ?, stats_due = TRUE \
               WHERE order_no = 'O-1'";
    let now = Utc::now();
    store.db().execute_raw(statement(DatabaseBackend::Postgres, sql, [now.into(), now.into()])).await.unwrap();
    *CHANGED_WHILE_COUNTING.lock().unwrap() = Some(store.clone());
    assert_eq!(store.stats_count_due(10, count_while_it_completes).await.unwrap(), 1);
    assert!(store.stats_any_due().await.unwrap(), "the completion made while counting is still due");
    assert_eq!(store.stats_count_due(10, counting::count).await.unwrap(), 1);
    assert!(!store.stats_any_due().await.unwrap());
    let stored = store.stats_rollups().await.unwrap();
    let recomputed = counting::count(&store.stats_everything().await.unwrap()).deltas;
    assert_eq!(stored, recomputed);
    let figures: Vec<(i64, i64, i64)> = stored.days.values().map(|d| (d.created, d.completed, d.total_fen)).collect();
    assert_eq!(figures.iter().map(|f| f.1).sum::<i64>(), 1, "completed once, cancelled no more: {figures:?}");
}
