//! `csms-sim drivers` with MQTT piles (`--protocol mix`, as `csms demo` runs with a broker):
//! drivers on one station, one with an OCPP 1.6 charger and one with a pile on the real
//! Mosquitto that charges by itself once csms's start command reaches it, run whole orders over
//! the REST API; each order is billed what its pile delivered.

use crate::helpers::{OPERATOR_TOKEN, spawn_app_configured};
use crate::mqtt_helpers::{BROKER, broker_up, unique};
use csms::config::SmsSenderKind;
use serde_json::Value;
use simulators::drivers::{DriversPlan, MqttPiles, Rate};
use std::time::Duration;

#[tokio::test]
async fn drivers_on_an_mqtt_pile_and_an_ocpp_pile_of_one_station_complete_orders_billed_what_each_pile_delivered() {
    if !broker_up().await {
        return;
    }
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
