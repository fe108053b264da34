//! Charging limits on an MQTT pile, through Mosquitto: each kind of driver's target stops the
//! session once a `charging/status` reaches it (and not before), the order says why it
//! stopped; the start command carries the station's most power (no more than the pile's rated
//! power) as `maxPower` and the sooner of the station's most time and the driver's duration as
//! `maxTime`; a `soc` target is taken, every status carrying the state of charge.

use crate::business::{adjust, driver, order_when, tariff};
use crate::helpers::TestApp;
use crate::mqtt_helpers::{BarePile, broker_up, open_mqtt_pile, spawn_mqtt_app, unique};
use crate::mqtt_piles::{finished, status};
use chrono::{Duration, Utc};
use serde_json::{Value, json};

async fn app() -> TestApp {
    spawn_mqtt_app(|s| s.orders.sweep_interval_ms = 100).await
}

/// A driver's postpaid order with `limit` on `pile`, started: (token, order no, the start command).
async fn started(app: &TestApp, pile: &mut BarePile, phone: &str, limit: Value) -> (String, String, Value) {
    let (token, user_id, _) = driver(app, phone).await;
    assert_eq!(adjust(app, user_id, "100.00").await.0, 201);
    let ask = json!({"pileCode": pile.code, "connectorId": 1, "payMode": "postpaid", "limit": limit});
    let (code, order) = app.request("POST", "/api/v1/orders", Some(&token), Some(&ask)).await;
    assert_eq!(code, 201, "{order}");
    let no = order["orderNo"].as_str().unwrap().to_owned();
    let (code, starting) = app.request("POST", &format!("/api/v1/orders/{no}/start"), Some(&token), None).await;
    assert_eq!(code, 200, "{starting}");
    let command = pile.command().await;
    assert_eq!(command["command"], "start", "{command}");
    (token, no, command)
}

/// Whether csms publishes a stop for `no` within `ms` milliseconds.
async fn stop_within(pile: &mut BarePile, no: &str, ms: u64) -> bool {
    match pile.command_within(std::time::Duration::from_millis(ms)).await {
        Some(command) => {
            assert_eq!((&command["command"], &command["orderNo"]), (&json!("stop"), &json!(no)), "{command}");
            true
        }
        None => false,
    }
}

/// A session on an MQTT pile with `limit`: the status (kWh, SoC) `short` leaves it charging,
/// `reach` stops it; the pile's `finished` completes it, stopped for its limit.
async fn an_mqtt_session_stops_at(phone: &str, limit: Value, short: (f64, i32), reach: (f64, i32)) {
    if !broker_up().await {
        return;
    }
    let app = app().await;
    let code = unique("MQL-");
    let mut pile = open_mqtt_pile(&app, &unique("SL"), &code, tariff(), 60).await;
    let (token, no, command) = started(&app, &mut pile, phone, limit.clone()).await;
    assert_eq!((&command["maxPower"], &command["maxTime"]), (&json!(60.0), &json!(0)), "{command}");
    let began = Utc::now() - Duration::minutes(1);
    pile.publish("charging/status", status(&code, &no, 0.0, 0, 20, began)).await;
    order_when(&app, &token, &no, |o| o["status"] == "CHARGING").await;
    pile.publish("charging/status", status(&code, &no, short.0, 30, short.1, began + Duration::seconds(30))).await;
    assert!(!stop_within(&mut pile, &no, 700).await, "stopped before the target");
    pile.publish("charging/status", status(&code, &no, reach.0, 60, reach.1, began + Duration::seconds(60))).await;
    assert!(stop_within(&mut pile, &no, 5_000).await, "not stopped at the target");
    pile.publish("charging/finished", finished(&code, &no, reach.0, 61, began + Duration::seconds(61))).await;
    let done = order_when(&app, &token, &no, |o| o["status"] == "COMPLETED").await;
    assert_eq!((&done["stopReason"], &done["limit"]["kind"]), (&json!("LIMIT_REACHED"), &limit["kind"]), "{done}");
    assert!(done["limitReachedAt"].is_string(), "{done}");
    app.stop().await;
}

#[tokio::test]
async fn an_mqtt_session_stops_when_the_drivers_energy_target_is_reached() {
    an_mqtt_session_stops_at("13912370001", json!({"kind": "energy", "value": 5}), (4.0, 30), (5.0, 35)).await;
}

#[tokio::test]
async fn an_mqtt_session_stops_when_what_it_cost_reaches_the_drivers_amount() {
    // 0.80 to 1.50 a kWh: 1 kWh stays under 2.00, 3 kWh passes it.
    an_mqtt_session_stops_at("13912370002", json!({"kind": "amount", "value": "2.00"}), (1.0, 25), (3.0, 30)).await;
}

#[tokio::test]
async fn an_mqtt_session_stops_when_the_cars_state_of_charge_reaches_the_drivers_target() {
    an_mqtt_session_stops_at("13912370003", json!({"kind": "soc", "value": 80}), (20.0, 79), (21.0, 80)).await;
}

#[tokio::test]
async fn an_mqtt_session_stops_when_the_drivers_duration_has_passed_and_the_pile_was_told_it_with_the_stations_power() {
    if !broker_up().await {
        return;
    }
    let app = app().await;
    let (station, code) = (unique("SL"), unique("MQL-"));
    let mut pile = open_mqtt_pile(&app, &station, &code, tariff(), 60).await;
    let change = json!({"sessionMaxPowerKw": 30, "sessionMaxTimeS": 7200});
    let (status_code, changed) = app.operator("PATCH", &format!("/api/v1/stations/{station}"), Some(&change)).await;
    assert_eq!(status_code, 200, "{changed}");
    let limit = json!({"kind": "duration", "value": 300});
    let (token, no, command) = started(&app, &mut pile, "13912370004", limit).await;
    // The station's 30 kW (under the pile's 60), the driver's five minutes (before the
    // station's two hours).
    assert_eq!((&command["maxPower"], &command["maxTime"]), (&json!(30.0), &json!(300)), "{command}");
    let began = Utc::now() - Duration::seconds(301);
    pile.publish("charging/status", status(&code, &no, 0.0, 0, 20, began)).await;
    assert!(stop_within(&mut pile, &no, 5_000).await, "not stopped after its five minutes");
    pile.publish("charging/finished", finished(&code, &no, 2.4, 301, Utc::now())).await;
    let done = order_when(&app, &token, &no, |o| o["status"] == "COMPLETED").await;
    assert_eq!((&done["stopReason"], &done["energyWh"]), (&json!("LIMIT_REACHED"), &json!(2400)), "{done}");
    app.stop().await;
}
