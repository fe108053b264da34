//! The rules around orders: a session started with a driver's card becomes their order, a
//! prepaid order stops itself when its money runs out, and a car left plugged in past the grace
//! period pays an occupancy fee.

use crate::business::{
    adjust, balance, driver, energy_at, ledger_and_balance, open_pile, order_when, status_at, tariff, yesterday_at,
};
use crate::helpers::{spawn_app, spawn_app_with};
use crate::orders::act;
use chrono::{Duration, Utc};
use protocol::v16;
use serde_json::json;

#[tokio::test]
async fn a_session_started_with_a_drivers_card_becomes_their_postpaid_order_paid_from_the_balance() {
    let app = spawn_app().await;
    let mut cp = open_pile(&app, "ST-C", "PILE-C", tariff()).await;
    let (token, user_id, _) = driver(&app, "13912340011").await;
    adjust(&app, user_id, "20.00").await;
    let (status, card) =
        app.request("POST", "/api/v1/me/cards", Some(&token), Some(&json!({"idTag": "CARD-0001"}))).await;
    assert_eq!(status, 201, "{card}");

    let started = cp
        .call(v16::StartTransactionRequest {
            connector_id: 1,
            id_tag: "CARD-0001".into(),
            meter_start: 500,
            reservation_id: None,
            timestamp: yesterday_at(8, 0),
        })
        .await
        .unwrap();
    assert_eq!(started.id_tag_info.status, v16::AuthorizationStatus::Accepted);
    let listed = {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let (_, page) = app.request("GET", "/api/v1/orders", Some(&token), None).await;
            if page["total"] == 1 || tokio::time::Instant::now() > deadline {
                break page;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    };
    let order = &listed["items"][0];
    assert_eq!((&order["status"], &order["payMode"]), (&json!("CHARGING"), &json!("postpaid")), "{listed}");
    let no = order["orderNo"].as_str().unwrap().to_owned();
    cp.call(v16::StopTransactionRequest {
        id_tag: Some("CARD-0001".into()),
        meter_stop: 10_500,
        timestamp: yesterday_at(9, 0),
        transaction_id: started.transaction_id,
        reason: Some(v16::Reason::Local),
        transaction_data: None,
    })
    .await
    .unwrap();
    let done = order_when(&app, &token, &no, |o| o["status"] == "COMPLETED").await;
    assert_eq!(
        (&done["totalAmount"], &done["paymentStatus"], &done["paidAmount"]),
        (&json!("8.00"), &json!("PAID"), &json!("8.00")),
        "{done}"
    );
    assert_eq!(balance(&app, &token).await, "12.00");
    assert_eq!(ledger_and_balance(&app, user_id).await, (1200, 1200));
    app.stop().await;
}

#[tokio::test]
async fn a_prepaid_order_is_stopped_by_csms_when_its_running_cost_reaches_the_amount_paid() {
    let app = spawn_app_with(|s| s.orders.sweep_interval_ms = 100).await;
    let mut cp = open_pile(&app, "ST-M", "PILE-M", tariff()).await;
    let (token, user_id, tag) = driver(&app, "13912340012").await;
    adjust(&app, user_id, "10.00").await;
    let ask = json!({"pileCode": "PILE-M", "connectorId": 1, "payMode": "prepaid", "prepayAmount": "2.00"});
    let (_, order) = app.request("POST", "/api/v1/orders", Some(&token), Some(&ask)).await;
    let no = order["orderNo"].as_str().unwrap().to_owned();
    app.request("POST", "/api/v1/payments", Some(&token), Some(&json!({"orderNo": no, "method": "balance"}))).await;
    act(&app, &mut cp, &token, &no, "start").await;
    let now = Utc::now();
    let started = cp
        .call(v16::StartTransactionRequest {
            connector_id: 1,
            id_tag: tag,
            meter_start: 0,
            reservation_id: None,
            timestamp: now,
        })
        .await
        .unwrap();
    order_when(&app, &token, &no, |o| o["status"] == "CHARGING").await;
    // 1 kWh costs at most 1.50: not yet; 2 kWh at least 1.60, then 3 kWh (≥ 2.40) is past 2.00.
    cp.call(energy_at(started.transaction_id, 1_000, now + Duration::minutes(10))).await.unwrap();
    cp.call(energy_at(started.transaction_id, 3_000, now + Duration::minutes(20))).await.unwrap();
    let served = tokio::time::timeout(std::time::Duration::from_secs(5), cp.serve_calls(1, None)).await;
    assert_eq!(served.unwrap().unwrap(), vec!["RemoteStopTransaction".to_owned()]);
    cp.call(v16::StopTransactionRequest {
        id_tag: None,
        meter_stop: 3_000,
        timestamp: now + Duration::minutes(21),
        transaction_id: started.transaction_id,
        reason: Some(v16::Reason::Remote),
        transaction_data: None,
    })
    .await
    .unwrap();
    let done = order_when(&app, &token, &no, |o| o["status"] == "COMPLETED").await;
    let total: rust_decimal::Decimal = done["totalAmount"].as_str().unwrap().parse().unwrap();
    // The bill is what the energy cost; what it exceeds the 2.00 paid is collected from the
    // balance, and the ledger agrees.
    assert!(total >= rust_decimal::Decimal::new(200, 2), "{done}");
    assert_eq!(done["paymentStatus"], "PAID", "{done}");
    let (sum, fen) = ledger_and_balance(&app, user_id).await;
    assert_eq!(sum, fen);
    assert_eq!(rust_decimal::Decimal::new(1000 - fen, 2), total);
    app.stop().await;
}

#[tokio::test]
async fn a_car_left_plugged_in_past_the_grace_period_pays_an_occupancy_fee_when_the_connector_frees() {
    let app = spawn_app().await;
    let mut occupied = tariff();
    occupied["occupancy"] = json!({"graceMinutes": 15, "feePerMinute": "0.50", "cap": "30.00"});
    let mut cp = open_pile(&app, "ST-O", "PILE-O", occupied).await;
    let (token, user_id, tag) = driver(&app, "13912340013").await;
    adjust(&app, user_id, "50.00").await;
    let ask = json!({"pileCode": "PILE-O", "connectorId": 1, "payMode": "postpaid"});
    let (_, order) = app.request("POST", "/api/v1/orders", Some(&token), Some(&ask)).await;
    let no = order["orderNo"].as_str().unwrap().to_owned();
    act(&app, &mut cp, &token, &no, "start").await;
    let started = cp
        .call(v16::StartTransactionRequest {
            connector_id: 1,
            id_tag: tag,
            meter_start: 0,
            reservation_id: None,
            timestamp: yesterday_at(7, 0),
        })
        .await
        .unwrap();
    order_when(&app, &token, &no, |o| o["status"] == "CHARGING").await;
    status_at(&mut cp, 1, v16::ChargePointStatus::SuspendedEV, yesterday_at(7, 50)).await;
    cp.call(v16::StopTransactionRequest {
        id_tag: None,
        meter_stop: 5_000,
        timestamp: yesterday_at(8, 0),
        transaction_id: started.transaction_id,
        reason: Some(v16::Reason::Local),
        transaction_data: None,
    })
    .await
    .unwrap();
    status_at(&mut cp, 1, v16::ChargePointStatus::Finishing, yesterday_at(8, 0)).await;
    let done = order_when(&app, &token, &no, |o| o["status"] == "COMPLETED").await;
    assert_eq!((&done["totalAmount"], &done["occupancyFee"]), (&json!("4.00"), &json!(null)), "{done}");
    // Unplugged at 08:25: 35 minutes after charging finished (07:50), 20 past the grace.
    status_at(&mut cp, 1, v16::ChargePointStatus::Available, yesterday_at(8, 25)).await;
    let billed = order_when(&app, &token, &no, |o| !o["occupancyFee"].is_null()).await;
    assert_eq!(
        (&billed["occupancyFee"], &billed["occupancy"]["minutes"], &billed["totalAmount"], &billed["paidAmount"]),
        (&json!("10.00"), &json!(20), &json!("14.00"), &json!("14.00")),
        "{billed}"
    );
    assert_eq!(balance(&app, &token).await, "36.00");
    assert_eq!(ledger_and_balance(&app, user_id).await, (3600, 3600));
    app.stop().await;
}
