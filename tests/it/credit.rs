//! Credit is per driver, not per order: all of a driver's postpaid and card sessions together are
//! held against their balance, stopped together when it is used up, and their tags refused then;
//! a driver with an unpaid bill starts no other order.

use crate::business::{adjust, charge, driver, energy_at, open_pile, open_pile_as, yesterday_at};
use crate::helpers::{spawn_app, spawn_app_with};
use chrono::{Duration, Utc};
use protocol::{OcppVersion, v16, v201};
use serde_json::{Value, json};
use simulators::SimCharger;

/// 2.00 a kWh all day.
fn flat() -> Value {
    json!({"periods": [{"start": "00:00", "end": "00:00", "energyPrice": "1.50", "serviceFee": "0.50"}]})
}

/// A card session of `tag` on `cp` begun half an hour ago, 4 kWh (8.00) in so far.
async fn card_session(cp: &mut SimCharger, tag: &str) {
    let began = Utc::now() - Duration::minutes(30);
    let start = v16::StartTransactionRequest {
        connector_id: 1,
        id_tag: tag.into(),
        meter_start: 0,
        reservation_id: None,
        timestamp: began,
    };
    let started = cp.call(start).await.unwrap();
    assert_eq!(started.id_tag_info.status, v16::AuthorizationStatus::Accepted, "{tag}");
    cp.call(energy_at(started.transaction_id, 4_000, Utc::now() - Duration::minutes(1))).await.unwrap();
}

/// The next call csms sends `cp` within 5 s, answered.
async fn next_call(cp: &mut SimCharger) -> String {
    let served = tokio::time::timeout(std::time::Duration::from_secs(5), cp.serve_calls(1, None)).await;
    served.expect("a call within 5 s").unwrap().remove(0)
}

#[tokio::test]
async fn a_drivers_card_sessions_are_held_together_against_the_balance_and_all_stopped_when_it_is_used_up() {
    let app = spawn_app_with(|s| s.orders.sweep_interval_ms = 100).await;
    let mut a = open_pile(&app, "ST-CA", "PILE-CA", flat()).await;
    let mut b = open_pile(&app, "ST-CB", "PILE-CB", flat()).await;
    let mut c = open_pile_as(&app, "ST-CC", "PILE-CC", flat(), OcppVersion::V201).await;
    let (token, user_id, _) = driver(&app, "13912348001").await;
    adjust(&app, user_id, "10.00").await;
    for card in ["CARD-CA", "CARD-CB"] {
        let (status, _) = app.request("POST", "/api/v1/me/cards", Some(&token), Some(&json!({"idTag": card}))).await;
        assert_eq!(status, 201);
    }
    // 8.00 each: either alone fits the 10.00 balance, both together do not.
    card_session(&mut a, "CARD-CA").await;
    card_session(&mut b, "CARD-CB").await;
    assert_eq!(next_call(&mut a).await, "RemoteStopTransaction");
    assert_eq!(next_call(&mut b).await, "RemoteStopTransaction");
    let refused = a.call(v16::AuthorizeRequest { id_tag: "CARD-CA".into() }).await.unwrap();
    assert_eq!(refused.id_tag_info.status, v16::AuthorizationStatus::Blocked);
    let refused = c
        .call(v201::AuthorizeRequest {
            custom_data: None,
            id_token: v201::IdTokenType {
                custom_data: None,
                additional_info: None,
                id_token: "CARD-CB".into(),
                r#type: v201::IdTokenEnumType::ISO14443,
            },
            certificate: None,
            iso15118_certificate_hash_data: None,
        })
        .await
        .unwrap();
    assert_eq!(refused.id_token_info.status, v201::AuthorizationStatusEnumType::NoCredit);
    app.stop().await;
}

#[tokio::test]
async fn a_driver_with_an_unpaid_order_cannot_start_another_until_it_is_paid() {
    let app = spawn_app().await;
    let mut cp = open_pile(&app, "ST-UP", "PILE-UP", flat()).await;
    let (token, user_id, tag) = driver(&app, "13912348002").await;
    adjust(&app, user_id, "1.00").await;
    let ask = json!({"pileCode": "PILE-UP", "connectorId": 1, "payMode": "postpaid"});
    let (_, order) = app.request("POST", "/api/v1/orders", Some(&token), Some(&ask)).await;
    let no = order["orderNo"].as_str().unwrap().to_owned();
    let done = charge(&app, &mut cp, (&token, &no, &tag), (yesterday_at(9, 0), 0), (yesterday_at(10, 0), 4_000)).await;
    assert_eq!(done["paymentStatus"], "UNPAID", "{done}");
    let (status, refused) = app.request("POST", "/api/v1/orders", Some(&token), Some(&ask)).await;
    assert_eq!((status, refused["error"].as_str()), (409, Some("unpaid_orders")), "{refused}");
    adjust(&app, user_id, "10.00").await;
    let pay = json!({"orderNo": no, "method": "balance"});
    let (status, _) = app.request("POST", "/api/v1/payments", Some(&token), Some(&pay)).await;
    assert_eq!(status, 201);
    let (status, next) = app.request("POST", "/api/v1/orders", Some(&token), Some(&ask)).await;
    assert_eq!(status, 201, "{next}");
    app.stop().await;
}
