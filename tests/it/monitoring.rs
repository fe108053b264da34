//! Monitoring driven by simulated chargers over real sockets: alarms raised and cleared by what
//! chargers report (over-temperature with its hysteresis, a voltage sag, a faulted connector,
//! going silent — also before monitoring started), never two active of a kind, acknowledged by
//! operators and pushed to their event stream; a pile's live status; trends against
//! hand-computed means.

use crate::business::{PASSWORD, open_pile, open_rated_pile, tariff};
use crate::helpers::{OPERATOR_TOKEN, TestApp, spawn_app, spawn_app_with};
use crate::transactions::sampled;
use chrono::{DateTime, TimeZone, Utc};
use csms::config::Settings;
use csms::domain::monitoring::Monitoring;
use csms::kv::Kv;
use entity::charger;
use protocol::{OcppVersion, v16};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use simulators::{Connect, SimCharger};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// A MeterValues of `(measurand, unit, value)` readings at `at`.
fn readings(at: DateTime<Utc>, values: &[(v16::Measurand, v16::UnitOfMeasure, &str)]) -> v16::MeterValuesRequest {
    v16::MeterValuesRequest {
        connector_id: 1,
        transaction_id: None,
        meter_value: vec![v16::MeterValue {
            timestamp: at,
            sampled_value: values.iter().map(|(m, u, v)| sampled(*m, *u, v)).collect(),
        }],
    }
}

fn temperature(c: &str) -> v16::MeterValuesRequest {
    readings(Utc::now(), &[(v16::Measurand::Temperature, v16::UnitOfMeasure::Celsius, c)])
}

fn voltage(v: &str) -> v16::MeterValuesRequest {
    readings(Utc::now(), &[(v16::Measurand::Voltage, v16::UnitOfMeasure::V, v)])
}

/// The active alarms (waiting up to 5 s until `done` says so of them).
async fn active_until(app: &TestApp, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let (status, page) = app.operator("GET", "/api/v1/alarms?active=true", None).await;
        assert_eq!(status, 200, "{page}");
        let items = page["items"].as_array().cloned().unwrap_or_default();
        if done(&items) || tokio::time::Instant::now() > deadline {
            return items;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

fn kinds(alarms: &[Value]) -> Vec<(String, String, String)> {
    alarms
        .iter()
        .map(|a| {
            let text = |k: &str| a[k].as_str().unwrap_or_default().to_owned();
            (text("chargerId"), text("type"), text("level"))
        })
        .collect()
}

#[tokio::test]
async fn an_overheating_pile_raises_one_alarm_pushed_to_operators_acknowledged_and_cleared_below_the_hysteresis() {
    let app = spawn_app().await;
    let mut cp = open_pile(&app, "ST-M1", "PILE-HOT", tariff()).await;
    let mut feed = simulators::sse::subscribe(app.http_addr, "/api/v1/events", OPERATOR_TOKEN).await.unwrap();
    cp.call(temperature("85")).await.unwrap();
    cp.call(temperature("90")).await.unwrap();
    let active = active_until(&app, |a| !a.is_empty()).await;
    assert_eq!(kinds(&active), [("PILE-HOT".into(), "over_temperature".into(), "high".into())], "one alarm, not two");
    assert_eq!((&active[0]["status"], &active[0]["value"]), (&json!("raised"), &json!("85.0")));

    let raised = loop {
        let event = tokio::time::timeout(Duration::from_secs(5), feed.recv()).await.unwrap().unwrap();
        if event.name == "alarm.raised" {
            break event;
        }
    };
    assert_eq!(raised.data["type"], "over_temperature");

    let id = active[0]["id"].as_i64().unwrap();
    let (status, acked) = app.operator("POST", &format!("/api/v1/alarms/{id}/ack"), None).await;
    assert_eq!(
        (status, &acked["status"], &acked["acknowledgedBy"]),
        (200, &json!("acknowledged"), &json!("operator-token"))
    );
    // Inside the hysteresis band (75–80 °C): still active.
    cp.call(temperature("78")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(active_until(&app, |_| true).await.len(), 1);
    cp.call(temperature("74")).await.unwrap();
    assert!(active_until(&app, <[Value]>::is_empty).await.is_empty(), "cleared below 75 °C");
    let (_, cleared) = app.operator("GET", "/api/v1/alarms?active=false&type=over_temperature", None).await;
    assert_eq!(cleared["items"][0]["status"], "cleared", "{cleared}");

    let (status, live) = app.operator("GET", "/api/v1/chargers/PILE-HOT/live", None).await;
    assert_eq!((status, &live["online"], &live["temperature"]), (200, &json!(true), &json!(74.0)), "{live}");
    app.stop().await;
}

#[tokio::test]
async fn a_voltage_sag_on_an_ac_pile_raises_a_medium_alarm_that_clears_when_the_voltage_recovers() {
    let app = spawn_app().await;
    let mut cp = open_rated_pile(&app, ("ST-M2", "PILE-SAG"), tariff(), OcppVersion::V16, ("AC", 7)).await;
    cp.call(voltage("230")).await.unwrap();
    cp.call(voltage("190.5")).await.unwrap();
    let active = active_until(&app, |a| !a.is_empty()).await;
    assert_eq!(kinds(&active), [("PILE-SAG".into(), "voltage".into(), "medium".into())]);
    assert_eq!(active[0]["value"], "190.5");
    cp.call(voltage("228")).await.unwrap();
    assert!(active_until(&app, <[Value]>::is_empty).await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn a_faulted_connector_raises_a_high_alarm_with_its_error_code_until_it_is_available_again() {
    let app = spawn_app().await;
    let mut cp = open_pile(&app, "ST-M3", "PILE-FAULT", tariff()).await;
    let fault = v16::StatusNotificationRequest {
        connector_id: 1,
        error_code: v16::ChargePointErrorCode::GroundFailure,
        info: None,
        status: v16::ChargePointStatus::Faulted,
        timestamp: Some(Utc::now()),
        vendor_id: None,
        vendor_error_code: None,
    };
    cp.call(fault).await.unwrap();
    let active = active_until(&app, |a| !a.is_empty()).await;
    assert_eq!(kinds(&active), [("PILE-FAULT".into(), "fault".into(), "high".into())]);
    assert_eq!(active[0]["value"], "GroundFailure");
    cp.call(simulators::messages::status_notification(1, v16::ChargePointStatus::Available, Some(Utc::now())))
        .await
        .unwrap();
    assert!(active_until(&app, <[Value]>::is_empty).await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn a_pile_gone_silent_raises_offline_and_reconnecting_clears_it() {
    let app = spawn_app_with(|s| s.monitoring.offline_after_s = 1).await;
    let cp = open_pile(&app, "ST-M4", "PILE-GONE", tariff()).await;
    cp.close().await.unwrap();
    let active = active_until(&app, |a| !a.is_empty()).await;
    assert_eq!(kinds(&active), [("PILE-GONE".into(), "offline".into(), "high".into())]);
    let (_, live) = app.operator("GET", "/api/v1/chargers/PILE-GONE/live", None).await;
    assert_eq!(live["online"], false, "{live}");

    let mut back =
        SimCharger::connect(Connect::new(&app.ws_url, "PILE-GONE", OcppVersion::V16).password(PASSWORD)).await.unwrap();
    back.boot().await.unwrap();
    assert!(active_until(&app, <[Value]>::is_empty).await.is_empty(), "cleared on reconnecting");
    app.stop().await;
}

#[tokio::test]
async fn piles_silent_since_before_monitoring_started_are_raised_offline_unless_a_node_still_hears_them() {
    let app = spawn_app().await;
    // PILE-LEFT last spoke an hour ago, on a connection its node never closed (the node stopped);
    // PILE-HELD speaks to another node, which keeps writing when it last heard it.
    let seen = |id: &'static str, at: DateTime<Utc>, session: &'static str| {
        let row = charger::ActiveModel {
            last_seen_at: Set(Some(at)),
            online_session: Set(Some(session.to_owned())),
            ..Default::default()
        };
        charger::Entity::update_many().set(row).filter(charger::Column::Id.eq(id)).exec(app.store.db())
    };
    for id in ["PILE-LEFT", "PILE-HELD"] {
        app.register(id, None).await;
    }
    seen("PILE-LEFT", Utc::now() - chrono::Duration::hours(1), "node-gone").await.unwrap();
    seen("PILE-HELD", Utc::now(), "node-up").await.unwrap();

    // Monitoring starts (as on a node started now) with chargers offline after 2 s of silence.
    let mut settings = Settings::defaults().unwrap().monitoring;
    settings.offline_after_s = 2;
    let stop = CancellationToken::new();
    let _started = Monitoring::start(
        app.store.clone(),
        Kv::memory(),
        settings,
        730,
        reqwest::Client::new(),
        Default::default(),
        stop.clone(),
    );
    let active = active_until(&app, |a| !a.is_empty()).await;
    assert_eq!(kinds(&active), [("PILE-LEFT".into(), "offline".into(), "high".into())]);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    seen("PILE-HELD", Utc::now(), "node-up").await.unwrap();
    // PILE-HELD's deadline passes while it is heard.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let active = active_until(&app, |_| true).await;
    assert_eq!(kinds(&active), [("PILE-LEFT".into(), "offline".into(), "high".into())]);
    stop.cancel();
    app.stop().await;
}

#[tokio::test]
async fn concurrent_reports_of_one_condition_leave_one_active_alarm() {
    let app = spawn_app().await;
    let raises = (0..10).map(|_| {
        let store = app.store.clone();
        async move {
            let new = csms::store::NewAlarm {
                charger_id: Some(csms::domain::ids::ChargerId::parse("PILE-RACE").unwrap()),
                kind: "over_temperature",
                level: "high",
                message: "hot".into(),
                value: Some("90.0".into()),
                at: Utc::now(),
            };
            store.raise_alarm(new).await.unwrap()
        }
    });
    let made = futures_util::future::join_all(raises).await;
    assert_eq!(made.iter().filter(|m| m.is_some()).count(), 1, "one of ten raised it");
    app.stop().await;
}

#[tokio::test]
async fn a_trend_is_the_mean_of_each_buckets_samples() {
    let app = spawn_app().await;
    let mut cp = open_pile(&app, "ST-M5", "PILE-TREND", tariff()).await;
    let at = |m: u32, s: u32| Utc.with_ymd_and_hms(2026, 11, 30, 10, m, s).unwrap();
    use v16::{Measurand as M, UnitOfMeasure as U};
    // 10:00–10:05: voltage 220 and 230 (mean 225), temperature 40; 10:05–10:10: voltage 240,
    // power 7 kW and 3 kW (stored as W: mean 5000), temperature 50 and 53 (51.5).
    for (when, values) in [
        (at(0, 10), vec![(M::Voltage, U::V, "220"), (M::Temperature, U::Celsius, "40")]),
        (at(4, 50), vec![(M::Voltage, U::V, "230")]),
        (
            at(5, 0),
            vec![(M::Voltage, U::V, "240"), (M::PowerActiveImport, U::KW, "7"), (M::Temperature, U::Celsius, "50")],
        ),
        (at(9, 59), vec![(M::PowerActiveImport, U::W, "3000"), (M::Temperature, U::Celsius, "53")]),
        (at(10, 0), vec![(M::Voltage, U::V, "999")]),
    ] {
        cp.call(readings(when, &values)).await.unwrap();
    }
    let path = "/api/v1/chargers/PILE-TREND/trend?from=2026-11-30T10:00:00Z&to=2026-11-30T10:10:00Z&bucket=5m";
    let (status, trend) = app.operator("GET", path, None).await;
    assert_eq!(status, 200, "{trend}");
    let points: Vec<(String, Value, Value, Value)> = trend["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (p["at"].as_str().unwrap().to_owned(), p["voltage"].clone(), p["power"].clone(), p["temperature"].clone())
        })
        .collect();
    assert_eq!(
        points,
        [
            ("2026-11-30T10:00:00Z".to_owned(), json!(225.0), Value::Null, json!(40.0)),
            ("2026-11-30T10:05:00Z".to_owned(), json!(240.0), json!(5000.0), json!(51.5)),
        ],
        "{trend}"
    );
    let (status, _) = app
        .operator(
            "GET",
            "/api/v1/chargers/PILE-TREND/trend?from=2026-11-30T10:00:00Z&to=2026-11-30T10:10:00Z&bucket=1s",
            None,
        )
        .await;
    assert_eq!(status, 400);
    let (status, _) = app
        .operator("GET", "/api/v1/chargers/NOBODY/trend?from=2026-11-30T10:00:00Z&to=2026-11-30T10:10:00Z", None)
        .await;
    assert_eq!(status, 404);
    app.stop().await;
}
