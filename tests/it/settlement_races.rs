//! Settlement reads what it settles: an operator's refund racing the charger's stop never leaves
//! an order marked paid while it keeps less than its bill; whichever lands first, the other sees it.
//! An order read before another settlement of it committed (the sweep's read, when the charger's
//! replayed stop settles it first) is decided again from the order as it is, not reported corrupt.

use crate::business::{adjust, driver, energy_at, ledger_and_balance, open_pile, order_when, stop_at};
use crate::helpers::{TestApp, spawn_app};
use chrono::{Duration, Utc};
use csms::domain::ledger::money::Fen;
use futures_util::future::join_all;
use protocol::v16;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

/// 2.00 a kWh all day.
fn flat() -> Value {
    json!({"periods": [{"start": "00:00", "end": "00:00", "energyPrice": "1.50", "serviceFee": "0.50"}]})
}

/// One driver's prepaid order (50.00 from the balance) charging 22.5 kWh (45.00): at its stop, an
/// operator refunds 30.00 of the payment. Answers the order number, the payment number and the user.
pub(crate) async fn race(app: &TestApp, n: usize) -> (String, String, i64) {
    let (station, pile) = (format!("ST-SR{n}"), format!("PILE-SR{n}"));
    let mut cp = open_pile(app, &station, &pile, flat()).await;
    let (token, user_id, tag) = driver(app, &format!("139123470{n:02}")).await;
    adjust(app, user_id, "100.00").await;
    let ask = json!({"pileCode": pile, "connectorId": 1, "payMode": "prepaid", "prepayAmount": "50.00"});
    let (_, order) = app.request("POST", "/api/v1/orders", Some(&token), Some(&ask)).await;
    let no = order["orderNo"].as_str().unwrap().to_owned();
    let (_, paid) =
        app.request("POST", "/api/v1/payments", Some(&token), Some(&json!({"orderNo": no, "method": "balance"}))).await;
    let payment_no = paid["paymentNo"].as_str().unwrap().to_owned();
    crate::orders::act(app, &mut cp, &token, &no, "start").await;
    let began = Utc::now() - Duration::hours(1);
    let start = v16::StartTransactionRequest {
        connector_id: 1,
        id_tag: tag,
        meter_start: 0,
        reservation_id: None,
        timestamp: began,
    };
    let tx = cp.call(start).await.unwrap().transaction_id;
    order_when(app, &token, &no, |o| o["status"] == "CHARGING").await;
    cp.call(energy_at(tx, 11_000, began + Duration::minutes(30))).await.unwrap();
    let path = format!("/api/v1/payments/{payment_no}/refund");
    let goodwill = json!({"amount": "30.00", "reason": "goodwill"});
    let ((), (status, refunded)) =
        tokio::join!(stop_at(&mut cp, tx, 22_500, Utc::now()), app.operator("POST", &path, Some(&goodwill)));
    assert_eq!(status, 201, "{refunded}");
    order_when(app, &token, &no, |o| o["status"] == "COMPLETED").await;
    (no, payment_no, user_id)
}

#[tokio::test]
async fn an_operator_refund_racing_the_stop_never_leaves_an_order_paid_with_less_than_its_bill() {
    let app = spawn_app().await;
    let raced = join_all((0..8).map(|n| race(&app, n))).await;
    for (no, payment_no, user_id) in raced {
        let order = app.store.order(&no).await.unwrap().unwrap();
        assert_eq!((order.status.as_str(), order.total_fen.map(Fen::get)), ("COMPLETED", Some(4_500)));
        // Refunds an operator made after the settlement are the only reason to keep less.
        let after: i64 = app
            .store
            .refunds(&payment_no)
            .await
            .unwrap()
            .iter()
            .filter(|r| r.reason.as_deref() == Some("goodwill") && r.after_settlement)
            .map(|r| r.amount_fen.get())
            .sum();
        assert_eq!(order.payment_status, "PAID", "{order:?}");
        assert_eq!(order.paid_fen.get() - order.refunded_fen.get() + after, 4_500, "{order:?}");
        let (ledger, held) = ledger_and_balance(&app, user_id).await;
        assert_eq!(ledger, held);
    }
    app.stop().await;
}

/// A driver's prepaid order (50.00 from the balance of 100.00) charging since an hour ago at
/// 2.00 a kWh: (order number, user, the charger, its transaction).
async fn charging(app: &TestApp, n: usize) -> (String, i64, simulators::SimCharger, i32) {
    let (station, pile) = (format!("ST-SS{n}"), format!("PILE-SS{n}"));
    let mut cp = open_pile(app, &station, &pile, flat()).await;
    let (token, user_id, tag) = driver(app, &format!("139123471{n:02}")).await;
    adjust(app, user_id, "100.00").await;
    let ask = json!({"pileCode": pile, "connectorId": 1, "payMode": "prepaid", "prepayAmount": "50.00"});
    let (_, order) = app.request("POST", "/api/v1/orders", Some(&token), Some(&ask)).await;
    let no = order["orderNo"].as_str().unwrap().to_owned();
    app.request("POST", "/api/v1/payments", Some(&token), Some(&json!({"orderNo": no, "method": "balance"}))).await;
    crate::orders::act(app, &mut cp, &token, &no, "start").await;
    let start = v16::StartTransactionRequest {
        connector_id: 1,
        id_tag: tag,
        meter_start: 0,
        reservation_id: None,
        timestamp: Utc::now() - Duration::hours(1),
    };
    let tx = cp.call(start).await.unwrap().transaction_id;
    order_when(app, &token, &no, |o| o["status"] == "CHARGING").await;
    (no, user_id, cp, tx)
}

#[tokio::test]
async fn an_order_settled_again_from_a_read_made_before_its_stop_was_settled_changes_nothing() {
    let app = spawn_app().await;
    let (no, user_id, mut cp, tx) = charging(&app, 0).await;
    // The sweep read the order while it charged; before it settled, the charger's stop was (after
    // a restart, the replayed stop and the sweep meet so): 2 kWh, 4.00, and 46.00 given back.
    let stale = app.store.order(&no).await.unwrap().unwrap();
    stop_at(&mut cp, tx, 2_000, Utc::now()).await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    while app.store.order(&no).await.unwrap().unwrap().status != "COMPLETED" {
        assert!(tokio::time::Instant::now() < deadline, "the stop never completed the order");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // More to give back than the payment has left, as read: decided again, and nothing to do.
    app.orders.complete(&stale).await.unwrap();
    let order = app.store.order(&no).await.unwrap().unwrap();
    assert_eq!(
        (order.total_fen.map(Fen::get), order.paid_fen.get(), order.refunded_fen.get()),
        (Some(400), 5_000, 4_600),
        "{order:?}"
    );
    let payments = app.store.refundable_payments(&no).await.unwrap();
    assert_eq!(payments.iter().map(|p| p.left_fen.get()).sum::<i64>(), 400, "refunded once");
    assert_eq!(ledger_and_balance(&app, user_id).await, (9_600, 9_600));
    app.stop().await;
}

#[tokio::test]
async fn an_order_whose_payments_disagree_with_it_for_good_is_still_reported_corrupt() {
    let app = spawn_app().await;
    let (no, _, mut cp, tx) = charging(&app, 1).await;
    // Refunded behind the order's back: the payment has nothing left, the order says 50.00.
    let db = app.store.db();
    db.execute_unprepared(&format!("UPDATE payments SET refunded_fen = amount_fen WHERE order_no = '{no}'"))
        .await
        .unwrap();
    stop_at(&mut cp, tx, 2_000, Utc::now()).await;
    let order = app.store.order(&no).await.unwrap().unwrap();
    let error = app.orders.complete(&order).await.unwrap_err();
    assert!(matches!(error, csms::domain::orders::OrderError::Corrupt(..)), "{error}");
    assert_eq!(app.store.order(&no).await.unwrap().unwrap().status, "CHARGING");
    app.stop().await;
}
