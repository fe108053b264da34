//! What the sweep recovers when a charger's start never reached the orders (the event lost, or
//! csms restarted before following it): a driver's card session becomes their order, and a
//! starting order takes the session begun for it instead of failing (those starts are stored
//! straight through the charging area's recording, as the hub stores them, without the event);
//! and an order billed from a stale close is billed again when its real stop is replayed.

use crate::business::{adjust, driver, open_pile, order_when, tariff};
use crate::helpers::spawn_app_with;
use crate::orders::act;
use chrono::{Duration, Utc};
use csms::domain::charging::recording;
use csms::domain::ids::{ChargerId, IdTag};
use csms::domain::units::Wh;
use csms::store::StartRecord;
use protocol::v16;
use serde_json::json;

fn quick(s: &mut csms::config::Settings) {
    s.orders.sweep_interval_ms = 100;
    s.orders.adopt_after_s = 1;
    s.orders.start_timeout_s = 1;
}

#[tokio::test]
async fn a_card_session_the_orders_never_heard_of_is_adopted_and_billed() {
    let app = spawn_app_with(quick).await;
    let mut cp = open_pile(&app, "ST-A", "PILE-A", tariff()).await;
    let (token, user_id, _) = driver(&app, "13912340061").await;
    adjust(&app, user_id, "20.00").await;
    let (status, _) = app.request("POST", "/api/v1/me/cards", Some(&token), Some(&json!({"idTag": "CARD-LOST"}))).await;
    assert_eq!(status, 201);
    // Begun ten minutes ago: 2 kWh since is a plausible session for the pile.
    let began = Utc::now() - Duration::minutes(10);
    let start = StartRecord {
        charger_id: ChargerId::parse("PILE-A").unwrap(),
        connector_id: 1,
        id_tag: IdTag::parse("CARD-LOST").unwrap(),
        meter_start_wh: Wh(0),
        started_at: began,
    };
    let started = recording::start(&app.store, start, true).await.unwrap();

    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    let adopted = loop {
        let (_, page) = app.request("GET", "/api/v1/orders", Some(&token), None).await;
        if page["total"] == 1 || tokio::time::Instant::now() > deadline {
            break page["items"][0].clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!((&adopted["status"], &adopted["payMode"]), (&json!("CHARGING"), &json!("postpaid")), "{adopted}");
    let no = adopted["orderNo"].as_str().unwrap().to_owned();
    cp.call(v16::StopTransactionRequest {
        id_tag: None,
        meter_stop: 2_000,
        timestamp: Utc::now(),
        transaction_id: i32::try_from(started.id).unwrap(),
        reason: Some(v16::Reason::Local),
        transaction_data: None,
    })
    .await
    .unwrap();
    let done = order_when(&app, &token, &no, |o| o["status"] == "COMPLETED").await;
    assert_eq!((&done["energyWh"], &done["paymentStatus"]), (&json!(2_000), &json!("PAID")), "{done}");
    app.stop().await;
}

#[tokio::test]
async fn a_starting_order_whose_start_event_was_lost_takes_its_session_instead_of_failing() {
    let app = spawn_app_with(quick).await;
    let mut cp = open_pile(&app, "ST-L", "PILE-L", tariff()).await;
    let (token, user_id, tag) = driver(&app, "13912340062").await;
    adjust(&app, user_id, "20.00").await;
    let ask = json!({"pileCode": "PILE-L", "connectorId": 1, "payMode": "postpaid"});
    let (_, order) = app.request("POST", "/api/v1/orders", Some(&token), Some(&ask)).await;
    let no = order["orderNo"].as_str().unwrap().to_owned();
    let ((status, _), _) = act(&app, &mut cp, &token, &no, "start").await;
    assert_eq!(status, 200);
    let start = StartRecord {
        charger_id: ChargerId::parse("PILE-L").unwrap(),
        connector_id: 1,
        id_tag: IdTag::parse(tag).unwrap(),
        meter_start_wh: Wh(100),
        started_at: Utc::now(),
    };
    recording::start(&app.store, start, true).await.unwrap();
    // Past the 1 s start timeout the sweep finds the session rather than failing the order.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let charging = order_when(&app, &token, &no, |o| o["status"] != "STARTING").await;
    assert_eq!(charging["status"], "CHARGING", "{charging}");
    app.stop().await;
}

#[tokio::test]
async fn an_order_billed_from_a_stale_close_is_billed_again_from_its_real_stop() {
    let app = spawn_app_with(quick).await;
    let flat = json!({"periods": [{"start": "00:00", "end": "00:00", "energyPrice": "1.50", "serviceFee": "0.50"}]});
    let mut cp = open_pile(&app, "ST-RB", "PILE-RB", flat).await;
    let (token, user_id, tag) = driver(&app, "13912340062").await;
    adjust(&app, user_id, "50.00").await;
    let ask = json!({"pileCode": "PILE-RB", "connectorId": 1, "payMode": "postpaid"});
    let (_, order) = app.request("POST", "/api/v1/orders", Some(&token), Some(&ask)).await;
    let no = order["orderNo"].as_str().unwrap().to_owned();
    act(&app, &mut cp, &token, &no, "start").await;
    let began = Utc::now() - Duration::hours(2);
    let start = v16::StartTransactionRequest {
        connector_id: 1,
        id_tag: tag,
        meter_start: 0,
        reservation_id: None,
        timestamp: began,
    };
    let tx = cp.call(start).await.unwrap().transaction_id;
    order_when(&app, &token, &no, |o| o["status"] == "CHARGING").await;
    cp.call(crate::business::energy_at(tx, 3_000, began + Duration::minutes(30))).await.unwrap();
    // The charger lost the stop (it was offline) and the next car starts: the session is closed
    // as stale at its last reading, and billed from it.
    app.store.create_id_tag("TAG-AFTER", "Accepted", None, None).await.unwrap();
    let next = v16::StartTransactionRequest {
        connector_id: 1,
        id_tag: "TAG-AFTER".into(),
        meter_start: 5_000,
        reservation_id: None,
        timestamp: Utc::now() - Duration::minutes(30),
    };
    cp.call(next).await.unwrap();
    let first = order_when(&app, &token, &no, |o| o["status"] == "COMPLETED").await;
    assert_eq!((&first["energyWh"], &first["totalAmount"]), (&json!(3_000), &json!("6.00")), "{first}");
    let mut events = simulators::sse::subscribe(app.http_addr, "/api/v1/me/events", &token).await.unwrap();

    // Its real stop, replayed: 5 kWh. Billed again, the first bill kept, the 4.00 more collected.
    crate::business::stop_at(&mut cp, tx, 5_000, began + Duration::minutes(50)).await;
    // The first bill's own event is sent just after the order shows COMPLETED: a stream opened
    // in between hears it first.
    let mut heard = tokio::time::timeout(std::time::Duration::from_secs(5), events.recv()).await.unwrap().unwrap();
    if heard.name == "order.completed" && heard.data["totalAmount"] == json!("6.00") {
        heard = tokio::time::timeout(std::time::Duration::from_secs(5), events.recv()).await.unwrap().unwrap();
    }
    assert_eq!(
        (heard.name.as_str(), &heard.data["totalAmount"]),
        ("order.rebilled", &json!("10.00")),
        "{:?}",
        heard.data
    );
    let again = order_when(&app, &token, &no, |o| o["totalAmount"] == "10.00").await;
    assert_eq!(
        (&again["energyWh"], &again["paidAmount"], &again["paymentStatus"], &again["revisions"][0]["totalAmount"]),
        (&json!(5_000), &json!("10.00"), &json!("PAID"), &json!("6.00")),
        "{again}"
    );
    // The stop replayed once more changes nothing.
    crate::business::stop_at(&mut cp, tx, 5_000, began + Duration::minutes(50)).await;
    assert_eq!(crate::business::balance(&app, &token).await, "40.00");
    let (ledger, balance) = crate::business::ledger_and_balance(&app, user_id).await;
    assert_eq!((ledger, balance), (4_000, 4_000));
    app.stop().await;
}
