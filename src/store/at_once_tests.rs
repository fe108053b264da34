//! Changes made in one statement (`at_once`) against a real PostgreSQL database (CI's PostgreSQL
//! run): a later part refused, nothing of the statement is kept, and the transaction's way tells
//! why.
#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use crate::domain::ids::{OrderNo, PaymentNo};
use crate::domain::ledger::money::Fen;
use crate::domain::orders::records::{BillRead, Completion, MoneyRead};
use crate::domain::orders::status::{OrderStatus, PaymentStatus};
use crate::domain::payments::due::{BalancePayment, PaymentDue};
use crate::domain::payments::refund_routes::{RefundPart, Route};
use crate::domain::storage::{StoreError, Subject};
use crate::domain::units::Wh;
use crate::store::Store;
use crate::store::sql::statement;
use crate::store::test_store::postgres;
use chrono::{Duration, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend};

/// A driver with `balance_fen`, and their order `O-1` in `status`, paid `paid_fen` by balance
/// payment `P-1` of which `refunded_fen` is refunded already.
async fn setup(store: &Store, balance_fen: i64, status: &str, (paid_fen, refunded_fen): (i64, i64)) -> i64 {
    let db = store.db();
    let now = Utc::now();
    let run = |sql: &'static str, values: Vec<sea_orm::Value>| {
        db.execute_raw(statement(DatabaseBackend::Postgres, sql, values))
    };
    run("INSERT INTO id_tags (id_tag, status, created_at) VALUES ('TAG-1', 'Accepted', ?)", vec![now.into()])
        .await
        .unwrap();
    let sql = "INSERT INTO users (phone, nickname, role, status, id_tag, balance_fen, created_at, updated_at) \
               VALUES ('13900000001', 'driver', 'user', 'active', 'TAG-1', ?, ?, ?)";
    run(sql, vec![balance_fen.into(), now.into(), now.into()]).await.unwrap();
    let user = db.query_one_raw(statement(DatabaseBackend::Postgres, "SELECT id FROM users", [])).await.unwrap();
    let user_id: i64 = user.unwrap().try_get("", "id").unwrap();
    let sql = "INSERT INTO orders (order_no, user_id, charger_id, evse_id, connector_id, id_tag, status, pay_mode, \
               payment_status, method, prepay_fen, paid_fen, refunded_fen, gift_fen, refund_to, tariff, timezone, \
               lock_expires_at, started_at, created_at, updated_at) VALUES ('O-1', ?, 'CP-1', 0, 1, 'TAG-1', ?, \
               'prepaid', ?, 'balance', 500, ?, ?, 0, 'balance', '{}', 'Asia/Shanghai', ?, ?, ?, ?)";
    let payment_status = if paid_fen > 0 { "PAID" } else { "UNPAID" };
    let values = vec![
        user_id.into(),
        status.into(),
        payment_status.into(),
        paid_fen.into(),
        refunded_fen.into(),
        now.into(),
        (now - Duration::minutes(30)).into(),
        (now - Duration::hours(1)).into(),
        now.into(),
    ];
    run(sql, values).await.unwrap();
    if paid_fen > 0 {
        let sql = "INSERT INTO payments (payment_no, user_id, order_no, purpose, method, amount_fen, refunded_fen, \
                   status, paid_at, created_at, updated_at) VALUES ('P-1', ?, 'O-1', 'order', 'balance', ?, ?, \
                   'SUCCEEDED', ?, ?, ?)";
        run(sql, vec![user_id.into(), paid_fen.into(), refunded_fen.into(), now.into(), now.into(), now.into()])
            .await
            .unwrap();
    }
    user_id
}

/// One number read by `sql`.
async fn number(store: &Store, sql: &str) -> i64 {
    let row = store.db().query_one_raw(statement(DatabaseBackend::Postgres, sql, [])).await.unwrap();
    row.unwrap().try_get("", "n").unwrap()
}

/// The order's status, paid and refunded amounts; the balance; rows of payments, ledger, refunds.
async fn everything(store: &Store) -> (String, i64, i64, i64, i64, i64, i64) {
    let row = store
        .db()
        .query_one_raw(statement(DatabaseBackend::Postgres, "SELECT status FROM orders WHERE order_no = 'O-1'", []))
        .await
        .unwrap()
        .unwrap();
    (
        row.try_get("", "status").unwrap(),
        number(store, "SELECT paid_fen AS n FROM orders").await,
        number(store, "SELECT refunded_fen AS n FROM orders").await,
        number(store, "SELECT balance_fen AS n FROM users").await,
        number(store, "SELECT COUNT(*) AS n FROM payments").await,
        number(store, "SELECT COUNT(*) AS n FROM ledger").await,
        number(store, "SELECT COUNT(*) AS n FROM refunds").await,
    )
}

#[tokio::test]
async fn a_balance_too_low_refuses_the_whole_payment_and_the_transaction_says_why() {
    let Some((_db, store)) = postgres().await else { return };
    let user_id = setup(&store, 100, "PENDING_PAYMENT", (0, 0)).await;
    let before = everything(&store).await;
    let pay = BalancePayment {
        payment_no: PaymentNo::parse("P-2").unwrap(),
        user_id,
        order_no: OrderNo::parse("O-1").unwrap(),
        due: PaymentDue {
            owed_fen: Fen(500),
            from: OrderStatus::PendingPayment,
            to: OrderStatus::Ready,
            money: MoneyRead { paid_fen: Fen(0), refunded_fen: Fen(0), gift_fen: Fen(0) },
            bill: BillRead { total_fen: None, occupancy_fee_fen: None },
        },
    };
    // The order's part matched; the balance's did not: the statement is refused whole.
    assert_eq!(store.pay_from_balance_at_once(&pay, Utc::now()).await.unwrap(), None);
    assert_eq!(everything(&store).await, before, "the order is not paid without the money");
    let refused = store.pay_order_from_balance(pay).await.unwrap_err();
    assert!(matches!(refused, StoreError::Insufficient(Subject::Balance)), "{refused:?}");
    assert_eq!(everything(&store).await, before);
}

/// Order `O-1` of `user_id` completed at `now` with a bill of 3.00, paid 5.00 by `P-1` of which
/// `refunded` went back already, the rest but the bill — 2.00 — going back to the balance.
fn completion(user_id: i64, refunded: Fen, now: chrono::DateTime<Utc>) -> Completion {
    Completion {
        order_no: OrderNo::parse("O-1").unwrap(),
        from: vec![OrderStatus::Charging],
        user_id,
        energy_wh: Wh(3_000),
        energy_fee_fen: Fen(200),
        service_fee_fen: Fen(100),
        occupancy_fee_fen: Some(Fen(0)),
        total_fen: Fen(300),
        lines: "[]".into(),
        anomalies: "[]".into(),
        start_soc: None,
        end_soc: None,
        stop_reason: "Local".into(),
        stopped_at: now,
        charging_ended_at: now,
        operation: None,
        read: MoneyRead { paid_fen: Fen(500), refunded_fen: refunded, gift_fen: Fen(0) },
        payment_status: PaymentStatus::Paid,
        refunds: vec![RefundPart {
            refund_no: "R-1".into(),
            payment_no: PaymentNo::parse("P-1").unwrap(),
            amount_fen: Fen(200),
            route: Route::ToBalance,
        }],
        collection: None,
    }
}

#[tokio::test]
async fn a_refund_its_payment_no_longer_holds_refuses_the_whole_completion_and_the_transaction_says_why() {
    let Some((_db, store)) = postgres().await else { return };
    let user_id = setup(&store, 0, "CHARGING", (500, 400)).await;
    let before = everything(&store).await;
    let now = Utc::now();
    // 200 back to the balance, of a payment with 100 left.
    let done = completion(user_id, Fen(400), now);
    assert_eq!(store.complete_at_once(&done, now).await.unwrap(), None, "refused");
    assert_eq!(everything(&store).await, before, "the order is not completed with half its settlement");
    let refused = store.complete_order(done).await.unwrap_err();
    assert!(matches!(refused, StoreError::Insufficient(Subject::RefundableAmount)), "{refused:?}");
    assert_eq!(everything(&store).await, before);
}

#[tokio::test]
async fn a_completion_with_its_refund_to_the_balance_is_one_statement_that_keeps_it_all() {
    let Some((_db, store)) = postgres().await else { return };
    let user_id = setup(&store, 0, "CHARGING", (500, 0)).await;
    let now = Utc::now();
    let done = completion(user_id, Fen(0), now);
    let after = store.complete_at_once(&done, now).await.unwrap().unwrap().unwrap();
    assert_eq!((after.status.as_str(), after.refunded_fen, after.total_fen), ("COMPLETED", 200, Some(300)));
    assert_eq!(everything(&store).await, ("COMPLETED".into(), 500, 200, 200, 1, 1, 1));
    assert_eq!(number(&store, "SELECT refunded_fen AS n FROM payments").await, 200);
    assert_eq!(number(&store, "SELECT balance_after_fen AS n FROM ledger").await, 200);
    assert_eq!(store.ledger_sum(user_id).await.unwrap().get(), 200);
    // Again, from the same read: the order is no longer as read, and nothing moves twice.
    assert_eq!(store.complete_at_once(&done, now).await.unwrap(), Some(None));
    assert_eq!(everything(&store).await, ("COMPLETED".into(), 500, 200, 200, 1, 1, 1));
}
