//! What guards orders and their money: one order per connector however many drivers race for
//! it, a hold that expires cancels and refunds, a tariff changed later never reprices an order,
//! an occupancy fee on an unpaid order leaves the whole bill owed, and another driver's payment
//! is not found.

use crate::business::{
    adjust, balance, charge, driver, ledger_and_balance, open_pile, order_when, status_at, tariff, yesterday_at,
};
use crate::helpers::{spawn_app, spawn_app_with};
use futures_util::future::join_all;
use protocol::v16;
use serde_json::json;

#[tokio::test]
async fn ten_drivers_racing_for_one_connector_get_one_order_and_nine_pile_busy() {
    let app = spawn_app().await;
    let _cp = open_pile(&app, "ST-G", "PILE-G", tariff()).await;
    let mut tokens = Vec::new();
    for n in 0..10 {
        tokens.push(driver(&app, &format!("139123401{n:02}")).await.0);
    }
    let ask = json!({"pileCode": "PILE-G", "connectorId": 1, "payMode": "postpaid"});
    let answers = join_all(tokens.iter().map(|t| app.request("POST", "/api/v1/orders", Some(t), Some(&ask)))).await;
    let made = answers.iter().filter(|(status, _)| *status == 201).count();
    let busy = answers.iter().filter(|(status, body)| *status == 409 && body["error"] == "pile_busy").count();
    assert_eq!((made, busy), (1, 9), "{answers:?}");
    app.stop().await;
}

#[tokio::test]
async fn a_hold_that_expires_unstarted_cancels_the_order_and_refunds_it() {
    let app = spawn_app_with(|s| {
        s.orders.lock_minutes = 0;
        s.orders.sweep_interval_ms = 100;
    })
    .await;
    let _cp = open_pile(&app, "ST-H", "PILE-H", tariff()).await;
    let (token, user_id, _) = driver(&app, "13912340051").await;
    adjust(&app, user_id, "20.00").await;
    let ask = json!({"pileCode": "PILE-H", "connectorId": 1, "payMode": "prepaid", "prepayAmount": "15.00"});
    let (_, order) = app.request("POST", "/api/v1/orders", Some(&token), Some(&ask)).await;
    let no = order["orderNo"].as_str().unwrap().to_owned();
    // Paid before the sweep comes round, or cancelled unpaid: either way nothing is kept.
    app.request("POST", "/api/v1/payments", Some(&token), Some(&json!({"orderNo": no, "method": "balance"}))).await;
    let cancelled = order_when(&app, &token, &no, |o| o["status"] == "CANCELLED").await;
    assert_eq!(cancelled["status"], "CANCELLED", "{cancelled}");
    assert_eq!(balance(&app, &token).await, "20.00");
    assert_eq!(ledger_and_balance(&app, user_id).await, (2000, 2000));
    app.stop().await;
}

#[tokio::test]
async fn a_tariff_changed_after_the_order_was_made_never_reprices_it() {
    let app = spawn_app().await;
    let mut cp = open_pile(&app, "ST-T", "PILE-T", tariff()).await;
    let (token, user_id, tag) = driver(&app, "13912340052").await;
    adjust(&app, user_id, "50.00").await;
    let ask = json!({"pileCode": "PILE-T", "connectorId": 1, "payMode": "postpaid"});
    let (_, order) = app.request("POST", "/api/v1/orders", Some(&token), Some(&ask)).await;
    let no = order["orderNo"].as_str().unwrap().to_owned();
    // Today's tariff replaced by one ten times dearer while the order waits.
    let dear = json!({"periods": [{"start": "00:00", "end": "00:00", "energyPrice": "9.00", "serviceFee": "9.00"}]});
    let (status, body) = app.operator("PUT", "/api/v1/stations/ST-T/tariff", Some(&dear)).await;
    assert_eq!(status, 200, "{body}");
    let done = charge(&app, &mut cp, (&token, &no, &tag), (yesterday_at(9, 0), 0), (yesterday_at(10, 0), 10_000)).await;
    assert_eq!(
        (&done["totalAmount"], &done["tariff"]["periods"][0]["energyPrice"]),
        (&json!("8.00"), &json!("0.50")),
        "{done}"
    );
    app.stop().await;
}

#[tokio::test]
async fn an_occupancy_fee_collected_on_an_unpaid_order_leaves_the_rest_of_the_bill_owed() {
    let app = spawn_app().await;
    let mut occupied = tariff();
    occupied["occupancy"] = json!({"graceMinutes": 0, "feePerMinute": "0.10", "cap": "2.00"});
    let mut cp = open_pile(&app, "ST-P", "PILE-P", occupied).await;
    let (token, user_id, tag) = driver(&app, "13912340053").await;
    adjust(&app, user_id, "1.00").await;
    let ask = json!({"pileCode": "PILE-P", "connectorId": 1, "payMode": "postpaid"});
    let (_, order) = app.request("POST", "/api/v1/orders", Some(&token), Some(&ask)).await;
    let no = order["orderNo"].as_str().unwrap().to_owned();
    let unpaid =
        charge(&app, &mut cp, (&token, &no, &tag), (yesterday_at(9, 0), 0), (yesterday_at(10, 0), 10_000)).await;
    assert_eq!((&unpaid["paymentStatus"], &unpaid["totalAmount"]), (&json!("UNPAID"), &json!("8.00")), "{unpaid}");
    adjust(&app, user_id, "2.00").await;
    // Freed 10 minutes later: a 1.00 fee the 3.00 balance covers — the 8.00 is still owed.
    status_at(&mut cp, 1, v16::ChargePointStatus::Available, yesterday_at(10, 10)).await;
    let billed = order_when(&app, &token, &no, |o| !o["occupancyFee"].is_null()).await;
    assert_eq!(
        (&billed["occupancyFee"], &billed["totalAmount"], &billed["paidAmount"], &billed["paymentStatus"]),
        (&json!("1.00"), &json!("9.00"), &json!("1.00"), &json!("UNPAID")),
        "{billed}"
    );
    adjust(&app, user_id, "10.00").await;
    let pay = json!({"orderNo": no, "method": "balance"});
    let (status, paid) = app.request("POST", "/api/v1/payments", Some(&token), Some(&pay)).await;
    assert_eq!((status, &paid["amount"]), (201, &json!("8.00")), "{paid}");
    assert_eq!(balance(&app, &token).await, "4.00");
    assert_eq!(ledger_and_balance(&app, user_id).await, (400, 400));

    // Another driver finds neither the payment nor the order.
    let (other, _, _) = driver(&app, "13912340054").await;
    let payment_no = paid["paymentNo"].as_str().unwrap();
    let (status, _) = app.request("GET", &format!("/api/v1/payments/{payment_no}"), Some(&other), None).await;
    assert_eq!(status, 404);
    let (status, mine) = app.request("GET", "/api/v1/payments", Some(&other), None).await;
    assert_eq!((status, &mine["total"]), (200, &json!(0)));
    app.stop().await;
}

#[tokio::test]
async fn the_occupancy_fee_ends_when_the_next_session_starts_on_the_connector() {
    let app = spawn_app().await;
    let mut occupied = tariff();
    occupied["occupancy"] = json!({"graceMinutes": 0, "feePerMinute": "0.10", "cap": "5.00"});
    let mut cp = open_pile(&app, "ST-NX", "PILE-NX", occupied).await;
    let (token, user_id, tag) = driver(&app, "13912340054").await;
    adjust(&app, user_id, "50.00").await;
    let ask = json!({"pileCode": "PILE-NX", "connectorId": 1, "payMode": "postpaid"});
    let (_, order) = app.request("POST", "/api/v1/orders", Some(&token), Some(&ask)).await;
    let no = order["orderNo"].as_str().unwrap().to_owned();
    charge(&app, &mut cp, (&token, &no, &tag), (yesterday_at(9, 0), 0), (yesterday_at(10, 0), 10_000)).await;
    // The connector never says Available: the next car plugs in 15 minutes later and starts.
    app.store.create_id_tag("TAG-NEXT", "Accepted", None, None).await.unwrap();
    let next = v16::StartTransactionRequest {
        connector_id: 1,
        id_tag: "TAG-NEXT".into(),
        meter_start: 10_000,
        reservation_id: None,
        timestamp: yesterday_at(10, 15),
    };
    cp.call(next).await.unwrap();
    let billed = order_when(&app, &token, &no, |o| !o["occupancyFee"].is_null()).await;
    assert_eq!((&billed["occupancyFee"], &billed["totalAmount"]), (&json!("1.50"), &json!("9.50")), "{billed}");
    app.stop().await;
}

#[tokio::test]
async fn a_card_session_told_late_is_priced_by_the_tariff_in_force_when_it_started() {
    let app = spawn_app().await;
    let mut cp = open_pile(&app, "ST-OLD", "PILE-OLD", tariff()).await;
    // The station's tariff until today (set up in the past), and today's dearer one.
    let last_year = chrono::Utc::now().date_naive() - chrono::Duration::days(365);
    let old = json!({"validFrom": last_year, "periods": [{"start": "00:00", "end": "00:00", "energyPrice": "0.40", "serviceFee": "0.10"}]});
    app.store.put_tariff("ST-OLD", "", last_year, old.to_string()).await.unwrap();
    let (token, user_id, _) = driver(&app, "13912340055").await;
    adjust(&app, user_id, "50.00").await;
    let (status, _) = app.request("POST", "/api/v1/me/cards", Some(&token), Some(&json!({"idTag": "CARD-LATE"}))).await;
    assert_eq!(status, 201);
    // Yesterday's session with the card, told today by a charger that was offline.
    let start = v16::StartTransactionRequest {
        connector_id: 1,
        id_tag: "CARD-LATE".into(),
        meter_start: 0,
        reservation_id: None,
        timestamp: yesterday_at(9, 0),
    };
    let tx = cp.call(start).await.unwrap().transaction_id;
    crate::business::stop_at(&mut cp, tx, 10_000, yesterday_at(10, 0)).await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    let done = loop {
        let (_, page) = app.request("GET", "/api/v1/orders?status=COMPLETED", Some(&token), None).await;
        if page["total"] == 1 || tokio::time::Instant::now() > deadline {
            break page["items"][0].clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    // 10 kWh at 0.50 a kWh, not at today's tariff.
    assert_eq!((&done["tariff"]["validFrom"], &done["totalAmount"]), (&json!(last_year), &json!("5.00")), "{done}");
    app.stop().await;
}
