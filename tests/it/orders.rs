//! The whole charging journey over the real API with a simulated 1.6 charger: sign-up, money on
//! the balance, a pile nearby, an order paid and started remotely, meter values across a tariff
//! boundary, a remote stop, the bill split by period and the settlement, the ledger agreeing.

use crate::business::{
    CENTRE, adjust, balance, driver, energy_at, ledger_and_balance, open_pile, order_when, tariff, yesterday_at,
};
use crate::helpers::{spawn_app, spawn_app_with};
use protocol::v16;
use serde_json::{Value, json};

/// `POST /api/v1/orders/{no}/{verb}` while the charger answers the one call it brings (a
/// remote start or stop): the answer and the call's action.
pub(crate) async fn act(
    app: &crate::helpers::TestApp,
    cp: &mut simulators::SimCharger,
    token: &str,
    no: &str,
    verb: &str,
) -> ((u16, Value), String) {
    let path = format!("/api/v1/orders/{no}/{verb}");
    let (answer, served) = tokio::join!(app.request("POST", &path, Some(token), None), cp.serve_calls(1, None));
    (answer, served.unwrap().remove(0))
}

#[tokio::test]
async fn a_prepaid_order_is_paid_started_metered_across_a_tariff_boundary_stopped_billed_and_settled() {
    let app = spawn_app().await;
    let mut cp = open_pile(&app, "ST-1", "PILE-1", tariff()).await;
    let (token, user_id, tag) = driver(&app, "13912340001").await;
    assert_eq!(adjust(&app, user_id, "100.00").await.0, 201);

    let near = format!("/api/v1/stations/nearby?lng={}&lat={}&radius_km=5", CENTRE.0, CENTRE.1);
    let (status, nearby) = app.request("GET", &near, Some(&token), None).await;
    assert_eq!(status, 200, "{nearby}");
    assert_eq!((&nearby["items"][0]["code"], &nearby["items"][0]["freeConnectors"]), (&json!("ST-1"), &json!(1)));

    let ask = json!({"pileCode": "PILE-1", "connectorId": 1, "payMode": "prepaid", "prepayAmount": "50.00"});
    let (status, order) = app.request("POST", "/api/v1/orders", Some(&token), Some(&ask)).await;
    assert_eq!(
        (status, &order["status"], &order["paymentStatus"]),
        (201, &json!("PENDING_PAYMENT"), &json!("UNPAID")),
        "{order}"
    );
    let no = order["orderNo"].as_str().unwrap().to_owned();
    let (status, early) = app.request("POST", &format!("/api/v1/orders/{no}/start"), Some(&token), None).await;
    assert_eq!(
        (status, early["error"].as_str()),
        (409, Some("invalid_state")),
        "an unpaid prepaid order does not start"
    );

    let (status, paid) =
        app.request("POST", "/api/v1/payments", Some(&token), Some(&json!({"orderNo": no, "method": "balance"}))).await;
    assert_eq!((status, &paid["status"], &paid["amount"]), (201, &json!("SUCCEEDED"), &json!("50.00")), "{paid}");
    assert_eq!(balance(&app, &token).await, "50.00");

    let ((status, starting), action) = act(&app, &mut cp, &token, &no, "start").await;
    assert_eq!((status, &starting["status"], action.as_str()), (200, &json!("STARTING"), "RemoteStartTransaction"));

    // The charger starts for the driver's tag at 10:00 yesterday (Shanghai), meters at 10:30,
    // and is stopped at 11:30: the last interval straddles the 11:00 boundary.
    let started = cp
        .call(v16::StartTransactionRequest {
            connector_id: 1,
            id_tag: tag.clone(),
            meter_start: 10_000,
            reservation_id: None,
            timestamp: yesterday_at(10, 0),
        })
        .await
        .unwrap();
    let tx = started.transaction_id;
    let charging = order_when(&app, &token, &no, |o| o["status"] == "CHARGING").await;
    assert_eq!(charging["status"], "CHARGING", "{charging}");
    cp.call(energy_at(tx, 15_000, yesterday_at(10, 30))).await.unwrap();

    let ((status, _), action) = act(&app, &mut cp, &token, &no, "stop").await;
    assert_eq!((status, action.as_str()), (200, "RemoteStopTransaction"));
    cp.call(v16::StopTransactionRequest {
        id_tag: Some(tag.clone()),
        meter_stop: 25_000,
        timestamp: yesterday_at(11, 30),
        transaction_id: tx,
        reason: Some(v16::Reason::Remote),
        transaction_data: None,
    })
    .await
    .unwrap();

    let done = order_when(&app, &token, &no, |o| o["status"] == "COMPLETED").await;
    // 15 kWh: 10 before 11:00 (5.00 + 3.00), 5 after (5.00 + 2.50).
    assert_eq!(
        (&done["status"], &done["paymentStatus"], &done["energyWh"], &done["totalAmount"], &done["refundedAmount"]),
        (&json!("COMPLETED"), &json!("PAID"), &json!(15_000), &json!("15.50"), &json!("34.50")),
        "{done}"
    );
    let lines = done["lines"].as_array().unwrap();
    let line = |i: usize| {
        (
            lines[i]["name"].clone(),
            lines[i]["kwh"].clone(),
            lines[i]["energyFee"].clone(),
            lines[i]["serviceFee"].clone(),
        )
    };
    assert_eq!(line(0), (json!("flat"), json!("10.000"), json!("5.00"), json!("3.00")));
    assert_eq!(line(1), (json!("peak"), json!("5.000"), json!("5.00"), json!("2.50")));
    assert_eq!((&done["stopReason"], &done["durationS"]), (&json!("USER_STOP"), &json!(5400)));
    // The whole completed order as the driver sees it (the bill's shape is a contract).
    insta::assert_json_snapshot!("order_completed", done, {
        ".orderNo" => "[orderNo]",
        ".userId" => "[id]",
        ".createdAt" => "[time]",
        ".startedAt" => "[time]",
        ".stoppedAt" => "[time]",
        ".completedAt" => "[time]",
        ".tariff.validFrom" => "[date]",
    });

    // 100 − 50 paid + 34.50 back: 84.50, and the ledger says the same.
    assert_eq!(balance(&app, &token).await, "84.50");
    assert_eq!(ledger_and_balance(&app, user_id).await, (8450, 8450));
    let (status, ledger) = app.request("GET", "/api/v1/me/ledger", Some(&token), None).await;
    let kinds: Vec<&str> = ledger["items"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!((status, kinds), (200, vec!["refund", "payment", "adjustment"]));

    // The pile is free again, and nobody else sees the order.
    let (other, _, _) = driver(&app, "13912340002").await;
    let (status, body) = app.request("GET", &format!("/api/v1/orders/{no}"), Some(&other), None).await;
    assert_eq!((status, body["error"].as_str()), (404, Some("not_found")));
    let (status, mine) = app.request("GET", "/api/v1/orders", Some(&other), None).await;
    assert_eq!((status, &mine["total"]), (200, &json!(0)));
    app.stop().await;
}

#[tokio::test]
async fn a_postpaid_order_the_balance_cannot_cover_waits_unpaid_until_paid() {
    let app = spawn_app().await;
    let mut cp = open_pile(&app, "ST-2", "PILE-2", tariff()).await;
    let (token, user_id, tag) = driver(&app, "13912340003").await;
    assert_eq!(adjust(&app, user_id, "5.00").await.0, 201);
    let ask = json!({"pileCode": "PILE-2", "connectorId": 1, "payMode": "postpaid"});
    let (status, order) = app.request("POST", "/api/v1/orders", Some(&token), Some(&ask)).await;
    assert_eq!((status, &order["status"]), (201, &json!("READY")), "{order}");
    let no = order["orderNo"].as_str().unwrap().to_owned();

    // A second order on the held pile, and a second order of the same driver, are refused.
    let (rival, rival_id, _) = driver(&app, "13912340004").await;
    adjust(&app, rival_id, "5.00").await;
    let (status, body) = app.request("POST", "/api/v1/orders", Some(&rival), Some(&ask)).await;
    assert_eq!((status, body["error"].as_str()), (409, Some("pile_busy")), "{body}");

    let ((status, _), _) = act(&app, &mut cp, &token, &no, "start").await;
    assert_eq!(status, 200);
    let started = cp
        .call(v16::StartTransactionRequest {
            connector_id: 1,
            id_tag: tag.clone(),
            meter_start: 0,
            reservation_id: None,
            timestamp: yesterday_at(9, 0),
        })
        .await
        .unwrap();
    order_when(&app, &token, &no, |o| o["status"] == "CHARGING").await;
    // 10 kWh at 0.80: 8.00, more than the 5.00 on the balance. The driver unplugged.
    cp.call(v16::StopTransactionRequest {
        id_tag: None,
        meter_stop: 10_000,
        timestamp: yesterday_at(10, 0),
        transaction_id: started.transaction_id,
        reason: Some(v16::Reason::EVDisconnected),
        transaction_data: None,
    })
    .await
    .unwrap();
    let done = order_when(&app, &token, &no, |o| o["status"] == "COMPLETED").await;
    assert_eq!(
        (&done["paymentStatus"], &done["totalAmount"], &done["paidAmount"], &done["stopReason"]),
        (&json!("UNPAID"), &json!("8.00"), &json!("0.00"), &json!("UNPLUGGED_OR_LOCAL")),
        "{done}"
    );
    assert_eq!(balance(&app, &token).await, "5.00");

    let pay = json!({"orderNo": no, "method": "balance"});
    let (status, body) = app.request("POST", "/api/v1/payments", Some(&token), Some(&pay)).await;
    assert_eq!((status, body["error"].as_str()), (409, Some("insufficient_balance")), "{body}");
    adjust(&app, user_id, "10.00").await;
    let (status, paid) = app.request("POST", "/api/v1/payments", Some(&token), Some(&pay)).await;
    assert_eq!((status, &paid["amount"]), (201, &json!("8.00")), "{paid}");
    let settled = order_when(&app, &token, &no, |o| o["paymentStatus"] == "PAID").await;
    assert_eq!(settled["paidAmount"], "8.00");
    assert_eq!(balance(&app, &token).await, "7.00");
    assert_eq!(ledger_and_balance(&app, user_id).await, (700, 700));
    let (status, body) = app.request("POST", "/api/v1/payments", Some(&token), Some(&pay)).await;
    assert_eq!((status, body["error"].as_str()), (409, Some("nothing_owed")));
    app.stop().await;
}

#[tokio::test]
async fn a_start_that_never_comes_fails_the_order_releases_the_pile_and_refunds() {
    let app = spawn_app_with(|s| {
        s.orders.start_timeout_s = 1;
        s.orders.sweep_interval_ms = 100;
    })
    .await;
    let mut cp = open_pile(&app, "ST-3", "PILE-3", tariff()).await;
    let (token, user_id, _) = driver(&app, "13912340005").await;
    adjust(&app, user_id, "30.00").await;
    let ask = json!({"pileCode": "PILE-3", "connectorId": 1, "payMode": "prepaid", "prepayAmount": "20"});
    let (_, order) = app.request("POST", "/api/v1/orders", Some(&token), Some(&ask)).await;
    let no = order["orderNo"].as_str().unwrap().to_owned();
    app.request("POST", "/api/v1/payments", Some(&token), Some(&json!({"orderNo": no, "method": "balance"}))).await;
    assert_eq!(balance(&app, &token).await, "10.00");
    let ((status, _), _) = act(&app, &mut cp, &token, &no, "start").await;
    assert_eq!(status, 200);
    // The driver never plugs in.
    let failed = order_when(&app, &token, &no, |o| o["status"] == "FAILED").await;
    assert_eq!(
        (&failed["status"], &failed["paymentStatus"], &failed["refundedAmount"]),
        (&json!("FAILED"), &json!("REFUNDED"), &json!("20.00")),
        "{failed}"
    );
    assert_eq!(balance(&app, &token).await, "30.00");
    assert_eq!(ledger_and_balance(&app, user_id).await, (3000, 3000));
    // The pile is free for the next order.
    let again = json!({"pileCode": "PILE-3", "connectorId": 1, "payMode": "postpaid"});
    let (status, body) = app.request("POST", "/api/v1/orders", Some(&token), Some(&again)).await;
    assert_eq!(status, 201, "{body}");
    app.stop().await;
}
