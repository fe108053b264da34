//! What a glitching meter does to a bill: the register bills, readings it cannot have produced
//! are listed as anomalies and not billed, and a register that cannot be believed sends the order
//! to an operator's review instead of to the driver's balance.

use crate::business::{adjust, balance, driver, energy_at, ledger_and_balance, open_rated_pile, order_when, stop_at};
use crate::helpers::{TestApp, spawn_app, spawn_app_with};
use crate::orders::act;
use chrono::{DateTime, Duration, Utc};
use protocol::{OcppVersion, v16};
use serde_json::{Value, json};
use simulators::SimCharger;

/// 2.00 a kWh all day (1.50 energy + 0.50 service).
fn flat() -> Value {
    json!({"periods": [{"start": "00:00", "end": "00:00", "energyPrice": "1.50", "serviceFee": "0.50"}]})
}

/// A driver with 100.00 on the balance and an order on connector 1 of `pile` (postpaid, or
/// prepaid 50.00 from the balance): (token, user id, tag, order number).
async fn ordered(app: &TestApp, pile: &str, phone: &str, prepaid: bool) -> (String, i64, String, String) {
    let (token, user_id, tag) = driver(app, phone).await;
    assert_eq!(adjust(app, user_id, "100.00").await.0, 201);
    let ask = if prepaid {
        json!({"pileCode": pile, "connectorId": 1, "payMode": "prepaid", "prepayAmount": "50.00"})
    } else {
        json!({"pileCode": pile, "connectorId": 1, "payMode": "postpaid"})
    };
    let (status, order) = app.request("POST", "/api/v1/orders", Some(&token), Some(&ask)).await;
    assert_eq!(status, 201, "{order}");
    let no = order["orderNo"].as_str().unwrap().to_owned();
    if prepaid {
        let pay = json!({"orderNo": no, "method": "balance"});
        let (status, paid) = app.request("POST", "/api/v1/payments", Some(&token), Some(&pay)).await;
        assert_eq!(status, 201, "{paid}");
    }
    (token, user_id, tag, no)
}

/// Starts the order's session at `at` with `meter_start`: the transaction id.
async fn start(
    app: &TestApp,
    cp: &mut SimCharger,
    (token, no, tag): (&str, &str, &str),
    at: DateTime<Utc>,
    meter_start: i64,
) -> i32 {
    act(app, cp, token, no, "start").await;
    let start = v16::StartTransactionRequest {
        connector_id: 1,
        id_tag: tag.to_owned(),
        meter_start,
        reservation_id: None,
        timestamp: at,
    };
    let started = cp.call(start).await.unwrap();
    order_when(app, token, no, |o| o["status"] == "CHARGING").await;
    started.transaction_id
}

fn anomalies(order: &Value) -> Vec<(String, i64)> {
    order["anomalies"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|a| (a["kind"].as_str().unwrap_or("").to_owned(), a["reading"].as_i64().unwrap_or(-1)))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn the_glitching_session_of_the_field_report_bills_its_register_and_lists_what_it_set_aside() {
    let app = spawn_app().await;
    let mut cp = open_rated_pile(&app, ("ST-F", "DC-350"), flat(), OcppVersion::V16, ("DC", 350)).await;
    let (token, user_id, tag, no) = ordered(&app, "DC-350", "13912345001", false).await;
    let began = Utc::now();
    let clock = tokio::time::Instant::now();
    let tx = start(&app, &mut cp, (&token, &no, &tag), began, 50_000).await;
    // A reading stamped two hours before the session (a clock gone wrong), then the session's
    // own as they happen over 40 s, one of them a glitch to 0.
    cp.call(energy_at(tx, 48_000, began - Duration::hours(2))).await.unwrap();
    for (second, wh) in [(10, 50_500), (20, 0), (28, 51_500), (35, 52_500)] {
        tokio::time::sleep_until(clock + std::time::Duration::from_secs(second)).await;
        cp.call(energy_at(tx, wh, Utc::now())).await.unwrap();
    }
    tokio::time::sleep_until(clock + std::time::Duration::from_secs(40)).await;
    act(&app, &mut cp, &token, &no, "stop").await;
    stop_at(&mut cp, tx, 53_000, Utc::now()).await;
    let done = order_when(&app, &token, &no, |o| o["status"] == "COMPLETED").await;
    assert_eq!(
        (&done["status"], &done["energyWh"], &done["totalAmount"], &done["paymentStatus"]),
        (&json!("COMPLETED"), &json!(3_000), &json!("6.00"), &json!("PAID")),
        "{done}"
    );
    assert_eq!(anomalies(&done), [("outside_session".to_owned(), 48_000), ("backwards".to_owned(), 0)]);
    assert_eq!(done["lines"][0]["kwh"], "3.000", "{done}");
    assert_eq!(balance(&app, &token).await, "94.00");
    let (ledger, held) = ledger_and_balance(&app, user_id).await;
    assert_eq!(ledger, held);
}

#[tokio::test]
async fn a_meter_replaced_mid_session_sends_the_order_to_review_until_an_operator_settles_it() {
    let app = spawn_app().await;
    let mut cp = open_rated_pile(&app, ("ST-R", "AC-7"), flat(), OcppVersion::V16, ("AC", 7)).await;
    let (token, user_id, tag, no) = ordered(&app, "AC-7", "13912345002", true).await;
    let began = Utc::now() - Duration::hours(1);
    let tx = start(&app, &mut cp, (&token, &no, &tag), began, 80_000).await;
    cp.call(energy_at(tx, 82_000, began + Duration::minutes(20))).await.unwrap();
    // The meter was replaced: it stops below where it started.
    stop_at(&mut cp, tx, 1_000, began + Duration::hours(1)).await;
    let held = order_when(&app, &token, &no, |o| o["status"] == "REVIEW").await;
    assert_eq!(
        (&held["status"], &held["reviewReason"], &held["paidAmount"], &held["refundedAmount"], &held["totalAmount"]),
        (&json!("REVIEW"), &json!("meter_went_back"), &json!("50.00"), &json!("0.00"), &Value::Null),
        "{held}"
    );
    // Nothing beyond the prepayment is taken, and the driver and the connector are free.
    assert_eq!(balance(&app, &token).await, "50.00");
    let again = json!({"pileCode": "AC-7", "connectorId": 1, "payMode": "postpaid"});
    let (status, next) = app.request("POST", "/api/v1/orders", Some(&token), Some(&again)).await;
    assert_eq!(status, 201, "{next}");
    let next_no = next["orderNo"].as_str().unwrap();
    let (status, _) = app.request("POST", &format!("/api/v1/orders/{next_no}/cancel"), Some(&token), None).await;
    assert_eq!(status, 200);
    let (_, alarms) = app.operator("GET", "/api/v1/alarms?active=true&type=meter_anomaly", None).await;
    assert_eq!((alarms["total"].as_u64(), &alarms["items"][0]["chargerId"]), (Some(1), &json!("AC-7")), "{alarms}");

    let decision = json!({"energyWh": 3_000, "reason": "old meter read 82 000 at the swap; new meter 1 000 Wh"});
    let path = format!("/api/v1/orders/{no}/review");
    let (status, refused) = app.request("POST", &path, Some(&token), Some(&decision)).await;
    assert_eq!(status, 403, "a driver does not settle their own review: {refused}");
    let (status, bad) = app.operator("POST", &path, Some(&json!({"energyWh": -1, "reason": "x"}))).await;
    assert_eq!(status, 400, "{bad}");
    let (status, settled) = app.operator("POST", &path, Some(&decision)).await;
    assert_eq!(status, 200, "{settled}");
    assert_eq!(
        (&settled["status"], &settled["energyWh"], &settled["totalAmount"], &settled["refundedAmount"]),
        (&json!("COMPLETED"), &json!(3_000), &json!("6.00"), &json!("44.00")),
        "{settled}"
    );
    let (status, twice) = app.operator("POST", &path, Some(&decision)).await;
    assert_eq!((status, twice["error"].as_str()), (409, Some("invalid_state")), "{twice}");
    assert_eq!(balance(&app, &token).await, "94.00");
    let (ledger, kept) = ledger_and_balance(&app, user_id).await;
    assert_eq!(ledger, kept);
    let logged = app.store.operations("AC-7").await.unwrap();
    let review = logged.iter().find(|o| o.action == "OrderReview").expect("the review in the operation log");
    assert_eq!((review.actor.as_str(), &review.payload["energyWh"]), ("operator-token", &json!(3_000)));
    let (_, alarms) = app.operator("GET", "/api/v1/alarms?active=true&type=meter_anomaly", None).await;
    assert_eq!(alarms["total"].as_u64(), Some(0), "the alarm clears once no order of the pile waits: {alarms}");
}

#[tokio::test]
async fn a_bill_above_the_review_limit_and_energy_beyond_the_piles_power_wait_for_an_operator() {
    let app = spawn_app_with(|s| s.orders.review_above = 500).await;
    let mut cp = open_rated_pile(&app, ("ST-L", "AC-7L"), flat(), OcppVersion::V16, ("AC", 7)).await;
    let (token, _, tag, no) = ordered(&app, "AC-7L", "13912345003", false).await;
    // 6 kWh in an hour on a 7 kW pile is plausible, but 12.00 is above the 5.00 set here.
    let began = Utc::now() - Duration::hours(2);
    let tx = start(&app, &mut cp, (&token, &no, &tag), began, 0).await;
    stop_at(&mut cp, tx, 6_000, began + Duration::hours(1)).await;
    let held = order_when(&app, &token, &no, |o| o["status"] == "REVIEW").await;
    assert_eq!((&held["reviewReason"], &held["energyWh"]), (&json!("bill_above_limit"), &json!(6_000)), "{held}");
    assert_eq!(balance(&app, &token).await, "100.00", "a postpaid order in review takes nothing");

    // 9 kWh in an hour is more than 7 kW × 1.2 can deliver.
    let again = json!({"pileCode": "AC-7L", "connectorId": 1, "payMode": "postpaid"});
    let (status, next) = app.request("POST", "/api/v1/orders", Some(&token), Some(&again)).await;
    assert_eq!(status, 201, "{next}");
    let next_no = next["orderNo"].as_str().unwrap().to_owned();
    let began = Utc::now() - Duration::minutes(59);
    let tx = start(&app, &mut cp, (&token, &next_no, &tag), began, 6_000).await;
    stop_at(&mut cp, tx, 15_000, began + Duration::minutes(59)).await;
    let held = order_when(&app, &token, &next_no, |o| o["status"] == "REVIEW").await;
    assert_eq!(held["reviewReason"], "too_much_energy", "{held}");
}
