//! The simulator's MQTT piles driven through csms's REST API: `csms-sim drivers` with MQTT
//! piles (`--protocol mix`, as `csms demo` runs with a broker) — drivers on one station, one
//! with an OCPP 1.6 charger and one with a pile on the real Mosquitto that charges by itself
//! once csms's start command reaches it, run whole orders; each order is billed what its pile
//! delivered — and the status load of real orders `scripts/bench` measures.

use crate::helpers::{OPERATOR_TOKEN, TestApp, spawn_app_configured};
use crate::mqtt_helpers::{BROKER, broker_up, unique};
use csms::config::SmsSenderKind;
use serde_json::Value;
use simulators::drivers::{DriversPlan, MqttPiles, Rate};
use simulators::mqtt::LoadOrders;
use simulators::mqtt::load::{MqttLoad, MqttLoadPlan};
use std::net::SocketAddr;
use std::time::Duration;

#[tokio::test]
async fn drivers_on_an_mqtt_pile_and_an_ocpp_pile_of_one_station_complete_orders_billed_what_each_pile_delivered() {
    if !broker_up().await {
        return;
    }
    let (app, sms) = app_texting_the_simulator().await;
    let station = unique("DRV-");
    let plan = DriversPlan {
        api: app.http_addr,
        ws_url: app.ws_url.clone(),
        token: OPERATOR_TOKEN.into(),
        drivers: 2,
        duration: Duration::from_secs(6),
        rates: vec![Rate::BackToBack],
        sms_listen: sms,
        station: station.clone(),
        password: Some("drivers-pile-password".into()),
        phone_base: 13_500_000_000,
        prepay: "50.00".into(),
        pile_kw: 60,
        charge_for: Duration::from_millis(1500),
        poll_interval: Duration::from_millis(200),
        setup_concurrency: 2,
        connections: 4,
        csms_pid: None,
        mqtt: Some(MqttPiles {
            url: BROKER.into(),
            password: None,
            ca_file: None,
            every: 2,
            status_interval: Duration::from_millis(300),
        }),
    };
    let report = simulators::drivers::run(plan).await.unwrap();
    assert_eq!((report.ready, report.setup_errors.len()), (2, 0), "{report:?}");
    let phase = &report.phases[0];
    assert!(phase.orders >= 2 && phase.errors == 0, "{phase:?}");

    for (pile, protocol) in [(format!("{station}-P0"), "ocpp"), (format!("{station}-P1"), "mqtt")] {
        let (status, registered) = app.operator("GET", &format!("/api/v1/piles/{pile}"), None).await;
        assert_eq!((status, &registered["protocol"]), (200, &Value::from(protocol)), "{registered}");
        let (_, page) = app.operator("GET", &format!("/api/v1/orders?pile={pile}&status=COMPLETED"), None).await;
        let orders = page["items"].as_array().cloned().unwrap_or_default();
        assert!(!orders.is_empty(), "{pile}: {page}");
        for order in orders {
            // 60 kW for about 1.5 s is some 25 Wh; a pile never delivers more than its power can.
            let wh = order["energyWh"].as_i64().unwrap_or(-1);
            let seconds = order["durationS"].as_f64().unwrap_or(0.0);
            assert!(wh > 0 && (wh as f64) <= 60_000.0 * (seconds + 1.0) / 3600.0, "{pile} ({seconds} s): {order}");
            assert!(order["lines"].as_array().is_some_and(|l| !l.is_empty()), "{order}");
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn a_status_load_of_real_orders_has_every_pile_charging_an_order_whose_statuses_csms_stores() {
    if !broker_up().await {
        return;
    }
    let (app, sms) = app_texting_the_simulator().await;
    let prefix = unique("LDS-") + "-";
    let plan = MqttLoadPlan {
        url: BROKER.into(),
        piles: 3,
        prefix: prefix.clone(),
        password: None,
        ca_file: None,
        ramp_per_s: 0,
        duration: std::time::Duration::from_secs(2),
        interval: std::time::Duration::from_millis(20),
        load: MqttLoad::Status,
        orders: Some(LoadOrders {
            api: app.http_addr,
            token: OPERATOR_TOKEN.into(),
            sms_listen: sms,
            station: unique("LDS-"),
            phone_base: 13_400_000_000,
            concurrency: 3,
        }),
        marks: false,
    };
    let report = simulators::mqtt::load::run(plan).await;
    assert_eq!((report.connected, report.errors, report.commands), (3, 0, 0), "{report}");
    assert!(report.acked > 3 * 10, "{report}");
    // Every status the broker acknowledged is stored, once (each pile's first one, published
    // when its order started, too): the last may still be on their way.
    let expected = report.acked + 3;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    let mut stored = stored_statuses(&app, &prefix).await;
    while stored < expected && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        stored = stored_statuses(&app, &prefix).await;
    }
    assert_eq!(stored, expected, "{report}");
    for n in 0..3 {
        let (_, page) = app.operator("GET", &format!("/api/v1/orders?pile={prefix}{n}"), None).await;
        assert_eq!(page["items"][0]["status"], "CHARGING", "{page}");
    }
    app.stop().await;
}

/// csms with the MQTT link on, texting its sign-up codes to the simulator's gateway (the
/// address it answers).
async fn app_texting_the_simulator() -> (TestApp, SocketAddr) {
    let sms = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
    let client_id = unique("csms-test-");
    let app = spawn_app_configured(move |s| {
        s.mqtt.url = BROKER.into();
        s.mqtt.client_id = client_id;
        s.mqtt.session_expiry_s = 5;
        s.sms.sender = SmsSenderKind::Http;
        s.sms.url = format!("http://{sms}/sms");
        s.auth.sms_resend_interval_s = 0;
    })
    .await;
    (app, sms)
}

/// The status messages csms stored for the load's three piles: their transactions' periodic
/// energy readings (one per status).
async fn stored_statuses(app: &TestApp, prefix: &str) -> usize {
    let mut stored = 0;
    for n in 0..3 {
        let (_, page) = app.operator("GET", &format!("/api/v1/transactions?charger={prefix}{n}"), None).await;
        let Some(id) = page["items"][0]["id"].as_i64() else { continue };
        let (_, transaction) = app.operator("GET", &format!("/api/v1/transactions/{id}"), None).await;
        let samples = transaction["samples"].as_array().cloned().unwrap_or_default();
        stored += samples
            .iter()
            .filter(|s| s["measurand"] == "Energy.Active.Import.Register" && s["context"] == "Sample.Periodic")
            .count();
    }
    stored
}
