//! Charging limits over the real wire: a driver's target — amount, energy, duration, state of
//! charge — stops the session once reached on an OCPP 1.6 pile (here) and on an MQTT pile
//! (`charging_limits_mqtt.rs`), and the order says why it stopped; a `soc` target on a pile
//! that does not report the state of charge is refused; a station's most power per session goes
//! to a smart-charging pile as a TxProfile with the start (1.6 and 2.0.1), and its most time
//! stops the session.

use crate::business::{adjust, driver, energy_at, open_pile, open_pile_as, order_when, tariff};
use crate::helpers::{TestApp, spawn_app_with};
use crate::transactions::sampled;
use chrono::{DateTime, Duration, Utc};
use protocol::{OcppVersion, v16};
use serde_json::{Value, json};
use simulators::SimCharger;

/// A driver with 100.00 on their balance and a postpaid order on `pile` with `limit`: the API's
/// answer (the pile answers what csms asks it meanwhile).
pub(crate) async fn order_with(
    app: &TestApp,
    cp: &mut SimCharger,
    phone: &str,
    pile: &str,
    limit: Value,
    asks: usize,
) -> (String, u16, Value) {
    let (token, user_id, _) = driver(app, phone).await;
    assert_eq!(adjust(app, user_id, "100.00").await.0, 201);
    let ask = json!({"pileCode": pile, "connectorId": 1, "payMode": "postpaid", "limit": limit});
    let ((status, order), served) =
        tokio::join!(app.request("POST", "/api/v1/orders", Some(&token), Some(&ask)), cp.serve_calls(asks, None));
    served.unwrap();
    (token, status, order)
}

/// Starts order `no` on the 1.6 pile and begins its transaction at `began`: the transaction id
/// and what csms asked of the pile to start it (action, payload).
async fn started(
    app: &TestApp,
    cp: &mut SimCharger,
    token: &str,
    no: &str,
    asks: usize,
    began: DateTime<Utc>,
) -> (i32, Vec<(String, Value)>) {
    let path = format!("/api/v1/orders/{no}/start");
    let ((status, starting), seen) =
        tokio::join!(app.request("POST", &path, Some(token), None), cp.serve_calls_seen(asks));
    assert_eq!(status, 200, "{starting}");
    let seen = seen.unwrap();
    let tag = seen
        .iter()
        .find(|(action, _)| action == "RemoteStartTransaction")
        .and_then(|(_, payload)| payload["idTag"].as_str())
        .unwrap()
        .to_owned();
    let begin = v16::StartTransactionRequest {
        connector_id: 1,
        id_tag: tag,
        meter_start: 0,
        reservation_id: None,
        timestamp: began,
    };
    let transaction = cp.call(begin).await.unwrap().transaction_id;
    order_when(app, token, no, |o| o["status"] == "CHARGING").await;
    (transaction, seen)
}

/// Whether csms asks the pile to stop within `ms` milliseconds (answered when it does).
pub(crate) async fn stop_asked_within(cp: &mut SimCharger, ms: u64) -> bool {
    match tokio::time::timeout(std::time::Duration::from_millis(ms), cp.serve_calls(1, None)).await {
        Ok(served) => {
            assert_eq!(served.unwrap(), vec!["RemoteStopTransaction".to_owned()]);
            true
        }
        Err(_) => false,
    }
}

/// Stops the transaction as the pile does when csms asked, and answers the completed order.
async fn stopped(app: &TestApp, cp: &mut SimCharger, token: &str, no: &str, transaction: i32, wh: i64) -> Value {
    cp.call(v16::StopTransactionRequest {
        id_tag: None,
        meter_stop: wh,
        timestamp: Utc::now(),
        transaction_id: transaction,
        reason: Some(v16::Reason::Remote),
        transaction_data: None,
    })
    .await
    .unwrap();
    order_when(app, token, no, |o| o["status"] == "COMPLETED").await
}

fn soc_at(transaction: i32, soc: u32, wh: i64, at: DateTime<Utc>) -> v16::MeterValuesRequest {
    let mut reading = energy_at(transaction, wh, at);
    reading.meter_value[0].sampled_value.push(sampled(
        v16::Measurand::SoC,
        v16::UnitOfMeasure::Percent,
        &soc.to_string(),
    ));
    reading
}

async fn app() -> TestApp {
    spawn_app_with(|s| s.orders.sweep_interval_ms = 100).await
}

/// One 1.6 session with `limit`: `short` (readings that do not reach it) leave it charging,
/// `reach` stops it; the order then tells the target, when it was reached, and why it stopped.
async fn a_16_session_stops_at(limit: Value, short: v16::MeterValuesRequest, reach: v16::MeterValuesRequest) {
    let app = app().await;
    let pile = format!("PILE-L{}", limit["kind"].as_str().unwrap().to_uppercase());
    let mut cp = open_pile(&app, "ST-LIM", &pile, tariff()).await;
    let (token, status, order) = order_with(&app, &mut cp, "13912360001", &pile, limit.clone(), 0).await;
    assert_eq!(status, 201, "{order}");
    let no = order["orderNo"].as_str().unwrap().to_owned();
    let (transaction, _) = started(&app, &mut cp, &token, &no, 1, Utc::now() - Duration::minutes(1)).await;
    let retag = |mut r: v16::MeterValuesRequest| {
        r.transaction_id = Some(transaction);
        r
    };
    cp.call(retag(short)).await.unwrap();
    assert!(!stop_asked_within(&mut cp, 700).await, "stopped before the target");
    let last = reach.meter_value[0].sampled_value[0].value.parse::<f64>().unwrap() as i64;
    cp.call(retag(reach)).await.unwrap();
    assert!(stop_asked_within(&mut cp, 5_000).await, "not stopped at the target");
    let done = stopped(&app, &mut cp, &token, &no, transaction, last).await;
    assert_eq!((&done["stopReason"], &done["limit"]["kind"]), (&json!("LIMIT_REACHED"), &limit["kind"]), "{done}");
    assert!(done["limitReachedAt"].is_string(), "{done}");
    app.stop().await;
}

#[tokio::test]
async fn an_ocpp_session_stops_when_the_drivers_energy_target_is_reached() {
    let now = Utc::now();
    a_16_session_stops_at(json!({"kind": "energy", "value": "5"}), energy_at(0, 4_000, now), energy_at(0, 5_000, now))
        .await;
}

#[tokio::test]
async fn an_ocpp_session_stops_when_what_it_cost_reaches_the_drivers_amount() {
    // 0.80 to 1.50 a kWh: 1 kWh stays under 2.00, 3 kWh passes it.
    let now = Utc::now();
    a_16_session_stops_at(json!({"kind": "amount", "value": 2}), energy_at(0, 1_000, now), energy_at(0, 3_000, now))
        .await;
}

#[tokio::test]
async fn an_ocpp_session_stops_when_the_cars_state_of_charge_reaches_the_drivers_target_and_a_pile_without_it_refuses_one()
 {
    let app = app().await;
    let mut cp = open_pile(&app, "ST-SOC", "PILE-SOC", tariff()).await;
    // The pile does not sample the state of charge: a soc target is refused, nothing made.
    let (_, status, refused) =
        order_with(&app, &mut cp, "13912360002", "PILE-SOC", json!({"kind": "soc", "value": 80}), 1).await;
    assert_eq!((status, &refused["error"]), (400, &json!("soc_unavailable")), "{refused}");
    app.stop().await;

    let now = Utc::now();
    let limit = json!({"kind": "soc", "value": 80});
    let app = self::app().await;
    let mut cp = open_pile(&app, "ST-SOC", "PILE-SOC", tariff()).await;
    cp.keys_mut().set("MeterValuesSampledData", "Energy.Active.Import.Register,Power.Active.Import,SoC");
    let (token, status, order) = order_with(&app, &mut cp, "13912360003", "PILE-SOC", limit, 1).await;
    assert_eq!(status, 201, "{order}");
    let no = order["orderNo"].as_str().unwrap().to_owned();
    let (transaction, _) = started(&app, &mut cp, &token, &no, 1, now - Duration::minutes(1)).await;
    cp.call(soc_at(transaction, 79, 20_000, now)).await.unwrap();
    assert!(!stop_asked_within(&mut cp, 700).await, "stopped before 80 %");
    cp.call(soc_at(transaction, 80, 21_000, now + Duration::seconds(30))).await.unwrap();
    assert!(stop_asked_within(&mut cp, 5_000).await, "not stopped at 80 %");
    let done = stopped(&app, &mut cp, &token, &no, transaction, 21_000).await;
    assert_eq!(
        (&done["stopReason"], &done["limit"]),
        (&json!("LIMIT_REACHED"), &json!({"kind": "soc", "value": "80"}))
    );
    app.stop().await;
}

#[tokio::test]
async fn an_ocpp_session_stops_when_the_drivers_duration_has_passed() {
    let app = app().await;
    let mut cp = open_pile(&app, "ST-DUR", "PILE-DUR", tariff()).await;
    let limit = json!({"kind": "duration", "value": 300});
    let (token, status, order) = order_with(&app, &mut cp, "13912360004", "PILE-DUR", limit, 0).await;
    assert_eq!(status, 201, "{order}");
    let no = order["orderNo"].as_str().unwrap().to_owned();
    // No station limit on power: no profile, nothing asked before the start.
    let (transaction, seen) = started(&app, &mut cp, &token, &no, 1, Utc::now() - Duration::seconds(301)).await;
    assert!(seen[0].1.get("chargingProfile").is_none(), "{seen:?}");
    assert!(stop_asked_within(&mut cp, 5_000).await, "not stopped after its five minutes");
    let done = stopped(&app, &mut cp, &token, &no, transaction, 2_000).await;
    let started_at: DateTime<Utc> = done["startedAt"].as_str().unwrap().parse().unwrap();
    let reached: DateTime<Utc> = done["limitReachedAt"].as_str().unwrap().parse().unwrap();
    assert!(reached - started_at >= Duration::seconds(300), "{done}");
    assert_eq!(done["stopReason"], "LIMIT_REACHED", "{done}");
    app.stop().await;
}

/// A station with a session limit of `kw` and `seconds`, made through the API.
async fn limit_station(app: &TestApp, station: &str, kw: f64, seconds: i64) {
    let change = json!({"sessionMaxPowerKw": kw, "sessionMaxTimeS": seconds});
    let (status, changed) = app.operator("PATCH", &format!("/api/v1/stations/{station}"), Some(&change)).await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!((&changed["sessionMaxPowerKw"], &changed["sessionMaxTimeS"]), (&json!(kw), &json!(seconds)));
}

#[tokio::test]
async fn a_smart_charging_16_pile_gets_the_stations_power_as_a_tx_profile_and_is_stopped_at_its_time() {
    let app = app().await;
    let mut cp = open_pile(&app, "ST-CAP", "PILE-CAP", tariff()).await;
    limit_station(&app, "ST-CAP", 22.0, 600).await;
    // A driver's half hour is longer than the station's ten minutes: ten minutes it is.
    let limit = json!({"kind": "duration", "value": 1800});
    let (token, status, order) = order_with(&app, &mut cp, "13912360005", "PILE-CAP", limit, 0).await;
    assert_eq!(status, 201, "{order}");
    let no = order["orderNo"].as_str().unwrap().to_owned();
    let (transaction, seen) = started(&app, &mut cp, &token, &no, 2, Utc::now() - Duration::seconds(601)).await;
    assert_eq!(seen[0].0, "GetConfiguration", "{seen:?}");
    let profile = &seen[1].1["chargingProfile"];
    assert_eq!(
        (&profile["chargingProfilePurpose"], &profile["chargingSchedule"]["duration"]),
        (&json!("TxProfile"), &json!(600)),
        "{profile}"
    );
    assert_eq!(profile["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"], json!(22000), "{profile}");
    assert!(stop_asked_within(&mut cp, 5_000).await, "not stopped at the station's time");
    let done = stopped(&app, &mut cp, &token, &no, transaction, 3_000).await;
    assert_eq!(done["stopReason"], "LIMIT_REACHED", "{done}");

    // A pile without smart charging starts without a profile (csms still stops it in time).
    let mut core = open_pile(&app, "ST-CAP2", "PILE-CAP2", tariff()).await;
    core.keys_mut().set("SupportedFeatureProfiles", "Core,RemoteTrigger");
    limit_station(&app, "ST-CAP2", 22.0, 600).await;
    let (token, status, order) = order_with(&app, &mut core, "13912360006", "PILE-CAP2", json!(null), 0).await;
    assert_eq!(status, 201, "{order}");
    let no = order["orderNo"].as_str().unwrap().to_owned();
    let (_, seen) = started(&app, &mut core, &token, &no, 2, Utc::now()).await;
    assert_eq!(seen[0].0, "GetConfiguration", "{seen:?}");
    assert!(seen[1].1.get("chargingProfile").is_none(), "{seen:?}");
    app.stop().await;
}

#[tokio::test]
async fn a_smart_charging_201_pile_gets_the_stations_power_as_a_tx_profile_with_its_start() {
    let app = app().await;
    let mut cp = open_pile_as(&app, "ST-C201", "PILE-C201", tariff(), OcppVersion::V201).await;
    limit_station(&app, "ST-C201", 50.0, 7_200).await;
    let (token, status, order) = order_with(&app, &mut cp, "13912360007", "PILE-C201", json!(null), 0).await;
    assert_eq!(status, 201, "{order}");
    let no = order["orderNo"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/orders/{no}/start");
    let ((status, _), seen) = tokio::join!(app.request("POST", &path, Some(&token), None), cp.serve_calls_seen(2));
    assert_eq!(status, 200);
    let seen = seen.unwrap();
    assert_eq!((seen[0].0.as_str(), seen[1].0.as_str()), ("GetVariables", "RequestStartTransaction"), "{seen:?}");
    let schedule = &seen[1].1["chargingProfile"]["chargingSchedule"][0];
    assert_eq!(
        (&schedule["chargingRateUnit"], &schedule["chargingSchedulePeriod"][0]["limit"], &schedule["duration"]),
        (&json!("W"), &json!(50000), &json!(7200)),
        "{schedule}"
    );
    // Its sampled measurands (asked with the same GetVariables) hold no state of charge: a soc
    // target is refused there.
    let (_, status, refused) =
        order_with(&app, &mut cp, "13912360008", "PILE-C201", json!({"kind": "soc", "value": 90}), 0).await;
    assert_eq!((status, &refused["error"]), (400, &json!("soc_unavailable")), "{refused}");
    app.stop().await;
}

#[tokio::test]
async fn a_target_that_is_not_one_is_refused_with_the_field_it_is_about() {
    let app = app().await;
    let _cp = open_pile(&app, "ST-BAD", "PILE-BAD", tariff()).await;
    let (token, user_id, _) = driver(&app, "13912360009").await;
    assert_eq!(adjust(&app, user_id, "10.00").await.0, 201);
    for limit in [
        json!({"kind": "weight", "value": 5}),
        json!({"kind": "energy", "value": 0}),
        json!({"kind": "duration", "value": 30}),
        json!({"kind": "amount", "value": "2.345"}),
        json!({"kind": "soc", "value": 120}),
        json!({"kind": "energy"}),
    ] {
        let ask = json!({"pileCode": "PILE-BAD", "connectorId": 1, "payMode": "postpaid", "limit": limit});
        let (status, body) = app.request("POST", "/api/v1/orders", Some(&token), Some(&ask)).await;
        assert_eq!((status, &body["error"]), (400, &json!("bad_request")), "{limit}: {body}");
    }
    let (_, orders) = app.request("GET", "/api/v1/orders", Some(&token), None).await;
    assert_eq!(orders["total"], 0, "{orders}");
    app.stop().await;
}
