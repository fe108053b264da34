//! An order on an OCPP 2.0.1 pile: RequestStartTransaction with a remoteStartId that the
//! charger's Started event carries back, the running cost shown with CostUpdated, and a
//! RequestStopTransaction whose Ended event bills and settles the order.

use crate::business::{adjust, balance, driver, ledger_and_balance, open_pile_as, order_when, tariff, yesterday_at};
use crate::helpers::spawn_app_with;
use crate::orders::act;
use crate::transactions_201::event;
use protocol::{OcppVersion, v201};
use serde_json::json;

#[tokio::test]
async fn a_201_order_starts_by_its_remote_start_id_shows_its_cost_on_the_charger_and_is_billed_when_ended() {
    use v201::TransactionEventEnumType::{Ended, Started, Updated};
    let app = spawn_app_with(|s| {
        s.orders.sweep_interval_ms = 100;
        s.orders.cost_update_interval_s = 0;
    })
    .await;
    let mut cs = open_pile_as(&app, "ST-201", "PILE-201", tariff(), OcppVersion::V201).await;
    let (token, user_id, tag) = driver(&app, "13912340031").await;
    adjust(&app, user_id, "50.00").await;
    let ask = json!({"pileCode": "PILE-201", "connectorId": 1, "payMode": "postpaid"});
    let (status, order) = app.request("POST", "/api/v1/orders", Some(&token), Some(&ask)).await;
    assert_eq!((status, &order["evseId"]), (201, &json!(1)), "{order}");
    let no = order["orderNo"].as_str().unwrap().to_owned();
    let ((status, _), action) = act(&app, &mut cs, &token, &no, "start").await;
    assert_eq!((status, action.as_str()), (200, "RequestStartTransaction"));
    let remote_start_id = app.store.order(&no).await.unwrap().unwrap().remote_start_id;
    assert!(remote_start_id.is_some());

    // The charger's own token type and no token at all in later events: the remoteStartId alone
    // ties the transaction to the order.
    let mut started = event(Started, 0, yesterday_at(10, 0), Some(("0", "Wh")));
    started.transaction_info.remote_start_id = remote_start_id;
    started.id_token = Some(v201::IdTokenType {
        custom_data: None,
        additional_info: None,
        id_token: tag.clone(),
        r#type: v201::IdTokenEnumType::Central,
    });
    cs.call(started).await.unwrap();
    let charging = order_when(&app, &token, &no, |o| o["status"] == "CHARGING").await;
    assert_eq!(charging["status"], "CHARGING", "{charging}");
    let mut updated = event(Updated, 1, yesterday_at(10, 30), Some(("5000", "Wh")));
    updated.id_token = None;
    cs.call(updated).await.unwrap();
    let served = tokio::time::timeout(std::time::Duration::from_secs(5), cs.serve_calls(1, None)).await;
    assert_eq!(served.unwrap().unwrap(), vec!["CostUpdated".to_owned()]);

    let ((status, _), action) = act(&app, &mut cs, &token, &no, "stop").await;
    assert_eq!((status, action.as_str()), (200, "RequestStopTransaction"));
    let mut ended = event(Ended, 2, yesterday_at(11, 30), Some(("15000", "Wh")));
    ended.id_token = None;
    ended.transaction_info.stopped_reason = Some(v201::ReasonEnumType::Remote);
    cs.call(ended).await.unwrap();
    let done = order_when(&app, &token, &no, |o| o["status"] == "COMPLETED").await;
    // Same meter and tariff as the 1.6 journey: 10 kWh flat, 5 kWh peak.
    assert_eq!(
        (&done["totalAmount"], &done["paymentStatus"], &done["stopReason"], &done["energyWh"]),
        (&json!("15.50"), &json!("PAID"), &json!("USER_STOP"), &json!(15_000)),
        "{done}"
    );
    assert_eq!(balance(&app, &token).await, "34.50");
    assert_eq!(ledger_and_balance(&app, user_id).await, (3450, 3450));
    app.stop().await;
}
