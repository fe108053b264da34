//! MQTT piles over the real broker: a driver's order on an MQTT pile from the start command to
//! the bill — the same bill as on an OCPP pile of the same station for the same energy — and
//! what the field does to it: glitched and foreign messages, the broker's redeliveries, a status
//! for an order that is not running, a stop never answered, a pile that vanishes mid-session.

use crate::business::{adjust, driver, energy_at, open_pile, order_when, tariff, yesterday_at};
use crate::helpers::TestApp;
use crate::mqtt_helpers::{BarePile, broker_up, open_mqtt_pile, pile_when, spawn_mqtt_app, unique};
use chrono::{DateTime, Utc};
use protocol::v16;
use serde_json::{Value, json};
use std::time::Duration;

pub(crate) fn status(pile: &str, no: &str, kwh: f64, seconds: i64, soc: i32, at: DateTime<Utc>) -> String {
    json!({"pileCode": pile, "orderNo": no, "currentPower": 14.0, "totalPower": kwh, "totalTime": seconds,
        "soc": soc, "timestamp": at.to_rfc3339()})
    .to_string()
}

pub(crate) fn finished(pile: &str, no: &str, kwh: f64, seconds: i64, at: DateTime<Utc>) -> String {
    json!({"pileCode": pile, "orderNo": no, "totalPower": kwh, "totalTime": seconds, "startSoc": 20,
        "endSoc": 80, "stopReason": 1, "timestamp": at.to_rfc3339()})
    .to_string()
}

/// A driver with 100.00 on their balance and a prepaid order of 50.00 on `pile`, paid: (token,
/// order no, the driver's id tag).
pub(crate) async fn paid_order(app: &TestApp, phone: &str, pile: &str) -> (String, String, String) {
    let (token, user_id, tag) = driver(app, phone).await;
    assert_eq!(adjust(app, user_id, "100.00").await.0, 201);
    let ask = json!({"pileCode": pile, "connectorId": 1, "payMode": "prepaid", "prepayAmount": "50.00"});
    let (status, order) = app.request("POST", "/api/v1/orders", Some(&token), Some(&ask)).await;
    assert_eq!(status, 201, "{order}");
    let no = order["orderNo"].as_str().unwrap().to_owned();
    let pay = json!({"orderNo": no, "method": "balance"});
    let (status, paid) = app.request("POST", "/api/v1/payments", Some(&token), Some(&pay)).await;
    assert_eq!(status, 201, "{paid}");
    (token, no, tag)
}

/// Starts the order: answers the start command the pile got.
pub(crate) async fn start(app: &TestApp, pile: &mut BarePile, token: &str, no: &str) -> Value {
    let (status, starting) = app.request("POST", &format!("/api/v1/orders/{no}/start"), Some(token), None).await;
    assert_eq!((status, &starting["status"]), (200, &json!("STARTING")), "{starting}");
    pile.command().await
}

/// The driver's order charged from 10:00 to 11:30 yesterday: 5 kWh by 10:30 and 12 kWh in all.
async fn charge_mqtt(app: &TestApp, pile: &mut BarePile, token: &str, no: &str) -> Value {
    let command = start(app, pile, token, no).await;
    assert_eq!(
        (&command["command"], &command["orderNo"], &command["connectorId"], &command["maxPower"], &command["maxTime"]),
        (&json!("start"), &json!(no), &json!(1), &json!(60.0), &json!(0)),
        "{command}"
    );
    let code = pile.code.clone();
    pile.publish("charging/status", status(&code, no, 0.0, 0, 20, yesterday_at(10, 0))).await;
    let charging = order_when(app, token, no, |o| o["status"] == "CHARGING").await;
    assert_eq!(charging["status"], "CHARGING", "{charging}");
    pile.publish("charging/status", status(&code, no, 5.0, 1800, 45, yesterday_at(10, 30))).await;
    let (status_code, _) = app.request("POST", &format!("/api/v1/orders/{no}/stop"), Some(token), None).await;
    assert_eq!(status_code, 200);
    let stop = pile.command().await;
    assert_eq!((&stop["command"], &stop["orderNo"]), (&json!("stop"), &json!(no)), "{stop}");
    pile.publish("charging/finished", finished(&code, no, 12.0, 5400, yesterday_at(11, 30))).await;
    order_when(app, token, no, |o| o["status"] == "COMPLETED").await
}

/// The bill's figures: energy, total, and each line's period, kWh and fees.
fn bill(order: &Value) -> Value {
    let lines: Vec<Value> = order["lines"]
        .as_array()
        .map(|lines| {
            lines.iter().map(|l| json!([l["name"], l["kwh"], l["energyFee"], l["serviceFee"]])).collect::<Vec<_>>()
        })
        .unwrap_or_default();
    json!({"status": order["status"], "energyWh": order["energyWh"], "total": order["totalAmount"], "lines": lines})
}

#[tokio::test]
async fn an_mqtt_pile_and_an_ocpp_pile_of_one_station_bill_the_same_energy_the_same() {
    if !broker_up().await {
        return;
    }
    let app = spawn_mqtt_app(|_| {}).await;
    let (station, code) = (unique("SQ"), unique("MQ-"));
    let mut pile = open_mqtt_pile(&app, &station, &code, tariff(), 60).await;
    let (token, no, _) = paid_order(&app, "13912350001", &code).await;
    let done = charge_mqtt(&app, &mut pile, &token, &no).await;

    // The same session on an OCPP pile of the same station: 10 kWh register at 10:00, 15 at
    // 10:30, 22 at 11:30.
    let ocpp_code = unique("OC-");
    let mut cp = open_pile(&app, &format!("{station}-O"), &ocpp_code, tariff()).await;
    let (other_token, other_no, tag) = paid_order(&app, "13912350002", &ocpp_code).await;
    crate::orders::act(&app, &mut cp, &other_token, &other_no, "start").await;
    let start = v16::StartTransactionRequest {
        connector_id: 1,
        id_tag: tag,
        meter_start: 10_000,
        reservation_id: None,
        timestamp: yesterday_at(10, 0),
    };
    let tx = cp.call(start).await.unwrap().transaction_id;
    order_when(&app, &other_token, &other_no, |o| o["status"] == "CHARGING").await;
    cp.call(energy_at(tx, 15_000, yesterday_at(10, 30))).await.unwrap();
    crate::orders::act(&app, &mut cp, &other_token, &other_no, "stop").await;
    crate::business::stop_at(&mut cp, tx, 22_000, yesterday_at(11, 30)).await;
    let ocpp = order_when(&app, &other_token, &other_no, |o| o["status"] == "COMPLETED").await;

    // 12 kWh: 5 by 10:30, then 7 over the hour across 11:00, apportioned by time: 8.5 flat and
    // 3.5 peak, and the same lines on both piles.
    assert_eq!(bill(&done), bill(&ocpp), "MQTT {done}\nOCPP {ocpp}");
    assert_eq!(
        bill(&done),
        json!({"status": "COMPLETED", "energyWh": 12_000, "total": "12.05",
            "lines": [["flat", "8.500", "4.25", "2.55"], ["peak", "3.500", "3.50", "1.75"]]})
    );
    assert_eq!((&done["energyWh"], &done["durationS"]), (&json!(12_000), &json!(5400)), "{done}");
    assert_eq!(done["stopReason"], "USER_STOP", "{done}");
    app.stop().await;
}

/// `csms_mqtt_messages_total{topic_family, outcome}` as `/metrics` reads now.
async fn counted(app: &TestApp, family: &str, outcome: &str) -> f64 {
    let text = reqwest::get(format!("http://{}/metrics", app.http_addr)).await.unwrap().text().await.unwrap();
    let series = format!("csms_mqtt_messages_total{{topic_family=\"{family}\",outcome=\"{outcome}\"}}");
    text.lines().find_map(|line| line.strip_prefix(&series).and_then(|v| v.trim().parse().ok())).unwrap_or(0.0)
}

/// Waits until `family`'s `outcome` has grown past `before`.
async fn counted_past(app: &TestApp, family: &str, outcome: &str, before: f64) -> f64 {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let now = counted(app, family, outcome).await;
        if now > before {
            return now;
        }
        assert!(tokio::time::Instant::now() < deadline, "{family}/{outcome} stayed at {before}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn glitched_foreign_and_impossible_messages_are_counted_and_dropped_and_the_link_goes_on() {
    if !broker_up().await {
        return;
    }
    let app = spawn_mqtt_app(|_| {}).await;
    let code = unique("MQ-");
    let pile = open_mqtt_pile(&app, &unique("SQ"), &code, tariff(), 60).await;
    let at = chrono::Utc::now().to_rfc3339();
    let cases: [(&str, String, &str); 5] = [
        ("heartbeat", "{\"pileCode\": tru".into(), "malformed"),
        ("heartbeat", json!({"pileCode": "SOMEONE-ELSE", "status": 1}).to_string(), "code_mismatch"),
        ("heartbeat", json!({"pileCode": code, "status": 1, "temperature": 900.0, "timestamp": at}).to_string(), "out_of_range"),
        ("charging/status", json!({"pileCode": code, "orderNo": "X1", "currentPower": 7, "totalPower": 1e9, "totalTime": 60, "timestamp": at}).to_string(), "out_of_range"),
        ("charging/finished", json!({"pileCode": code, "orderNo": "X1", "totalPower": 1, "totalTime": 60, "stopReason": 9, "timestamp": at}).to_string(), "out_of_range"),
    ];
    for (family, payload, outcome) in cases {
        let label = family.trim_start_matches("charging/");
        let before = counted(&app, label, outcome).await;
        pile.publish(family, payload.clone()).await;
        counted_past(&app, label, outcome, before).await;
    }
    // A pile csms does not know, publishing on its own topic.
    let stranger = unique("NO-");
    let before = counted(&app, "heartbeat", "unknown_pile").await;
    let beat = json!({"pileCode": stranger, "status": 1}).to_string();
    pile.publish(&format!("pile/{stranger}/heartbeat"), beat).await;
    counted_past(&app, "heartbeat", "unknown_pile", before).await;
    let (status, _) = app.get(&format!("/api/v1/piles/{stranger}")).await;
    assert_eq!(status, 404, "an unknown pile is not created by its messages");

    // The link goes on: a fault is still heard.
    pile.heartbeat(3, 30.0).await;
    pile_when(&app, &code, |p| p["connectors"][0]["status"] == "Faulted").await;
    // And nobody speaks for the pile over OCPP: it has no password there, and needs none.
    let connect = simulators::Connect::new(&app.ws_url, &code, protocol::OcppVersion::V16);
    assert!(
        simulators::SimCharger::connect(connect).await.is_err(),
        "an MQTT pile's id is refused on the OCPP listener"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_status_for_an_order_that_is_not_running_on_the_pile_is_answered_with_a_stop() {
    if !broker_up().await {
        return;
    }
    let app = spawn_mqtt_app(|_| {}).await;
    let code = unique("MQ-");
    let mut pile = open_mqtt_pile(&app, &unique("SQ"), &code, tariff(), 60).await;
    let now = chrono::Utc::now();
    pile.publish("charging/status", status(&code, "NO-SUCH-ORDER", 1.0, 60, 30, now)).await;
    let stop = pile.command().await;
    assert_eq!((&stop["command"], &stop["orderNo"]), (&json!("stop"), &json!("NO-SUCH-ORDER")), "{stop}");
    // Said again at once, it is not told again (a stop per order at most every 30 s).
    pile.publish("charging/status", status(&code, "NO-SUCH-ORDER", 1.1, 70, 30, now)).await;
    assert_eq!(pile.command_within(Duration::from_millis(500)).await, None);
    app.stop().await;
}

#[tokio::test]
async fn the_brokers_redeliveries_store_nothing_twice_and_bill_once() {
    if !broker_up().await {
        return;
    }
    let app = spawn_mqtt_app(|_| {}).await;
    let code = unique("MQ-");
    let mut pile = open_mqtt_pile(&app, &unique("SQ"), &code, tariff(), 60).await;
    let (token, no, _) = paid_order(&app, "13912350003", &code).await;
    start(&app, &mut pile, &token, &no).await;
    for _ in 0..2 {
        pile.publish("charging/status", status(&code, &no, 0.0, 0, 20, yesterday_at(10, 0))).await;
    }
    order_when(&app, &token, &no, |o| o["status"] == "CHARGING").await;
    for _ in 0..2 {
        pile.publish("charging/status", status(&code, &no, 5.0, 1800, 45, yesterday_at(10, 30))).await;
    }
    for _ in 0..3 {
        pile.publish("charging/finished", finished(&code, &no, 12.0, 5400, yesterday_at(11, 30))).await;
    }
    let done = order_when(&app, &token, &no, |o| o["status"] == "COMPLETED").await;
    assert_eq!((&done["energyWh"], &done["totalAmount"]), (&json!(12_000), &json!(done["totalAmount"])));
    // Given time for every copy to be handled: still billed once, the money as the bill says.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let again = order_when(&app, &token, &no, |_| true).await;
    assert_eq!(bill(&again), bill(&done));
    assert!(again["revisions"].as_array().is_none_or(|r| r.is_empty()), "{again}");
    let (status, body) = app.request("GET", "/api/v1/me/ledger", Some(&token), None).await;
    let kinds: Vec<&str> = body["items"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!((status, kinds), (200, vec!["refund", "payment", "adjustment"]));
    app.stop().await;
}

#[tokio::test]
async fn a_stop_never_answered_completes_the_order_from_the_last_status_and_a_late_finished_bills_it_again() {
    if !broker_up().await {
        return;
    }
    let app = spawn_mqtt_app(|s| s.orders.stop_timeout_s = 1).await;
    let code = unique("MQ-");
    let mut pile = open_mqtt_pile(&app, &unique("SQ"), &code, tariff(), 60).await;
    let (token, no, _) = paid_order(&app, "13912350004", &code).await;
    start(&app, &mut pile, &token, &no).await;
    pile.publish("charging/status", status(&code, &no, 0.0, 0, 20, yesterday_at(10, 0))).await;
    order_when(&app, &token, &no, |o| o["status"] == "CHARGING").await;
    pile.publish("charging/status", status(&code, &no, 5.0, 1800, 45, yesterday_at(10, 30))).await;
    // Stored before the stop (the order's live reading shows it).
    order_when(&app, &token, &no, |o| o["live"]["energyWh"] == 5000).await;
    let (status_code, _) = app.request("POST", &format!("/api/v1/orders/{no}/stop"), Some(&token), None).await;
    assert_eq!(status_code, 200);
    pile.command().await;
    let guessed = order_when(&app, &token, &no, |o| o["status"] == "COMPLETED").await;
    assert_eq!((&guessed["status"], &guessed["energyWh"]), (&json!("COMPLETED"), &json!(5000)), "{guessed}");

    // The pile's end comes after all: the order is billed again from it.
    pile.publish("charging/finished", finished(&code, &no, 12.0, 5400, yesterday_at(11, 30))).await;
    let rebilled = order_when(&app, &token, &no, |o| o["energyWh"] == 12_000).await;
    assert_eq!(rebilled["energyWh"], 12_000, "{rebilled}");
    assert_eq!(rebilled["revisions"].as_array().map(Vec::len), Some(1), "{rebilled}");
    app.stop().await;
}

#[tokio::test]
async fn a_pile_that_drops_off_mid_session_goes_offline_by_its_will_and_its_order_completes_from_the_last_status() {
    if !broker_up().await {
        return;
    }
    let app = spawn_mqtt_app(|_| {}).await;
    let code = unique("MQ-");
    let mut pile = open_mqtt_pile(&app, &unique("SQ"), &code, tariff(), 60).await;
    let (token, no, _) = paid_order(&app, "13912350005", &code).await;
    start(&app, &mut pile, &token, &no).await;
    pile.publish("charging/status", status(&code, &no, 0.0, 0, 20, yesterday_at(10, 0))).await;
    order_when(&app, &token, &no, |o| o["status"] == "CHARGING").await;
    pile.publish("charging/status", status(&code, &no, 3.0, 900, 35, yesterday_at(10, 15))).await;
    order_when(&app, &token, &no, |o| o["live"]["energyWh"] == 3000).await;
    pile.drop_connection();
    pile_when(&app, &code, |p| p["online"] == false).await;
    let done = order_when(&app, &token, &no, |o| o["status"] == "COMPLETED").await;
    assert_eq!((&done["status"], &done["energyWh"]), (&json!("COMPLETED"), &json!(3000)), "{done}");

    // Back, it is online again and free for the next driver; a start for an order while away
    // is refused at once.
    let back = BarePile::connect(&code).await;
    back.heartbeat(1, 30.0).await;
    pile_when(&app, &code, |p| p["online"] == true && p["connectors"][0]["status"] == "Available").await;
    app.stop().await;
}

#[tokio::test]
async fn a_simulated_mqtt_pile_charges_an_order_by_itself_and_is_billed_the_energy_it_reported() {
    if !broker_up().await {
        return;
    }
    use simulators::mqtt::{MqttPile, PileConfig};
    let app = spawn_mqtt_app(|_| {}).await;
    let (station, code) = (unique("SQ"), unique("MQ-"));
    crate::mqtt_helpers::register_mqtt_pile(&app, &station, &code, tariff(), 60).await;
    let mut config = PileConfig::new(crate::mqtt_helpers::BROKER, code.clone());
    config.rated_power_kw = 60.0;
    config.heartbeat_interval = Duration::from_millis(300);
    config.status_interval = Duration::from_millis(200);
    let _pile = MqttPile::connect(config).await.unwrap();
    pile_when(&app, &code, |p| p["online"] == true && p["connectors"][0]["status"] == "Available").await;
    let (token, no, _) = paid_order(&app, "13912350006", &code).await;
    let (status_code, _) = app.request("POST", &format!("/api/v1/orders/{no}/start"), Some(&token), None).await;
    assert_eq!(status_code, 200);
    order_when(&app, &token, &no, |o| o["status"] == "CHARGING").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (status_code, _) = app.request("POST", &format!("/api/v1/orders/{no}/stop"), Some(&token), None).await;
    assert_eq!(status_code, 200);
    let done = order_when(&app, &token, &no, |o| o["status"] == "COMPLETED").await;
    assert_eq!((&done["status"], &done["stopReason"]), (&json!("COMPLETED"), &json!("USER_STOP")), "{done}");
    // 60 kW for about 1.5 s: some 25 Wh, billed as the pile's register said.
    let wh = done["energyWh"].as_i64().unwrap();
    assert!((10..=100).contains(&wh), "{done}");
    app.stop().await;
}

#[tokio::test]
async fn a_start_the_pile_never_answers_with_a_status_fails_the_order_and_refunds_it() {
    if !broker_up().await {
        return;
    }
    let app = spawn_mqtt_app(|s| s.orders.start_timeout_s = 1).await;
    let code = unique("MQ-");
    let mut pile = open_mqtt_pile(&app, &unique("SQ"), &code, tariff(), 60).await;
    let (token, no, _) = paid_order(&app, "13912350007", &code).await;
    assert_eq!(start(&app, &mut pile, &token, &no).await["command"], "start");
    let failed = order_when(&app, &token, &no, |o| o["status"] == "FAILED").await;
    assert_eq!((&failed["status"], &failed["paymentStatus"]), (&json!("FAILED"), &json!("REFUNDED")), "{failed}");
    // Its status coming after all is told to stop.
    pile.publish("charging/status", status(&code, &no, 0.1, 30, 20, chrono::Utc::now())).await;
    assert_eq!((pile.command().await["command"]), "stop");
    app.stop().await;
}

#[tokio::test]
async fn an_order_on_an_mqtt_pile_that_is_not_online_is_refused_and_nothing_is_published() {
    if !broker_up().await {
        return;
    }
    let app = spawn_mqtt_app(|_| {}).await;
    let code = unique("MQ-");
    crate::mqtt_helpers::register_mqtt_pile(&app, &unique("SQ"), &code, tariff(), 60).await;
    let mut pile = BarePile::connect(&code).await;
    let (token, user_id, _) = driver(&app, "13912350008").await;
    assert_eq!(adjust(&app, user_id, "100.00").await.0, 201);
    let ask = json!({"pileCode": code, "connectorId": 1, "payMode": "prepaid", "prepayAmount": "50.00"});
    let (status_code, refused) = app.request("POST", "/api/v1/orders", Some(&token), Some(&ask)).await;
    assert_eq!((status_code, refused["error"].as_str()), (409, Some("pile_offline")), "{refused}");
    assert_eq!(pile.command_within(Duration::from_millis(300)).await, None);
    app.stop().await;
}
