//! A connector's live power, current and voltage drop to 0 once it stops charging — a status
//! that draws no power, or its transaction's end — in the pile's live status (`/live`, cached
//! for every node) and in the charger's connectors (`GET /api/v1/chargers/{id}`).

use crate::business::{open_pile, status_at, tariff};
use crate::helpers::TestApp;
use crate::helpers::spawn_app;
use crate::transactions::sampled;
use chrono::{Duration, Utc};
use protocol::v16;
use serde_json::{Value, json};
use simulators::SimCharger;

/// Starts a session on connector 1 of `pile` and reports it charging at 7.2 kW (32 A at 225 V):
/// the transaction's id, once the pile's live status shows the power.
async fn charging(app: &TestApp, cp: &mut SimCharger, pile: &str, tag: &str) -> i32 {
    app.store.create_id_tag(tag, "Accepted", None, None).await.unwrap();
    let began = Utc::now() - Duration::minutes(10);
    let start = v16::StartTransactionRequest {
        connector_id: 1,
        id_tag: tag.into(),
        meter_start: 1000,
        reservation_id: None,
        timestamp: began,
    };
    let tx = cp.call(start).await.unwrap().transaction_id;
    status_at(cp, 1, v16::ChargePointStatus::Charging, began).await;
    let reading = v16::MeterValuesRequest {
        connector_id: 1,
        transaction_id: Some(tx),
        meter_value: vec![v16::MeterValue {
            timestamp: began + Duration::minutes(5),
            sampled_value: vec![
                sampled(v16::Measurand::EnergyActiveImportRegister, v16::UnitOfMeasure::Wh, "1600"),
                sampled(v16::Measurand::PowerActiveImport, v16::UnitOfMeasure::W, "7200"),
                sampled(v16::Measurand::CurrentImport, v16::UnitOfMeasure::A, "32"),
                sampled(v16::Measurand::Voltage, v16::UnitOfMeasure::V, "225"),
            ],
        }],
    };
    cp.call(reading).await.unwrap();
    let live = live_when(app, pile, |l| l["power"] == json!(7200.0)).await;
    assert_eq!((&live["current"], &live["voltage"]), (&json!(32.0), &json!(225.0)), "{live}");
    tx
}

/// The pile's live status once `ready` says so (or after 5 s, as it is then).
async fn live_when(app: &TestApp, pile: &str, ready: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let (status, live) = app.operator("GET", &format!("/api/v1/chargers/{pile}/live"), None).await;
        assert_eq!(status, 200, "{live}");
        if ready(&live) || tokio::time::Instant::now() > deadline {
            return live;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Connector 1's newest power, current and voltage in the charger's detail.
async fn connector_readings(app: &TestApp, pile: &str) -> Vec<(String, String)> {
    let (status, charger) = app.operator("GET", &format!("/api/v1/chargers/{pile}"), None).await;
    assert_eq!(status, 200, "{charger}");
    let connector = charger["live"].as_array().and_then(|all| all.iter().find(|c| c["connectorId"] == 1)).cloned();
    let values = connector.map(|c| c["values"].as_array().cloned().unwrap_or_default()).unwrap_or_default();
    let mut flowing: Vec<(String, String)> = values
        .iter()
        .filter(|v| {
            ["Power.Active.Import", "Current.Import", "Voltage"].contains(&v["measurand"].as_str().unwrap_or(""))
        })
        .map(|v| (v["measurand"].as_str().unwrap_or("").to_owned(), v["value"].as_str().unwrap_or("").to_owned()))
        .collect();
    flowing.sort();
    flowing
}

fn zero() -> Vec<(String, String)> {
    ["Current.Import", "Power.Active.Import", "Voltage"].iter().map(|m| ((*m).to_owned(), "0".to_owned())).collect()
}

#[tokio::test]
async fn a_connector_that_stops_charging_shows_no_power_current_or_voltage() {
    let app = spawn_app().await;
    let mut cp = open_pile(&app, "ST-LIVE-1", "PILE-LIVE-1", tariff()).await;
    charging(&app, &mut cp, "PILE-LIVE-1", "TAG-LIVE-1").await;
    assert_eq!(
        connector_readings(&app, "PILE-LIVE-1").await,
        [
            ("Current.Import".into(), "32".into()),
            ("Power.Active.Import".into(), "7200".into()),
            ("Voltage".into(), "225".into())
        ]
    );

    // The car is full: the session goes on, no power flows.
    status_at(&mut cp, 1, v16::ChargePointStatus::SuspendedEV, Utc::now()).await;
    let live = live_when(&app, "PILE-LIVE-1", |l| l["power"] == json!(0.0)).await;
    let numbers = (&live["power"], &live["current"], &live["voltage"]);
    assert_eq!(numbers, (&json!(0.0), &json!(0.0), &json!(0.0)), "{live}");
    assert_eq!(connector_readings(&app, "PILE-LIVE-1").await, zero());
    app.stop().await;
}

#[tokio::test]
async fn a_connectors_power_current_and_voltage_drop_to_zero_when_its_transaction_ends() {
    let app = spawn_app().await;
    let mut cp = open_pile(&app, "ST-LIVE-2", "PILE-LIVE-2", tariff()).await;
    let tx = charging(&app, &mut cp, "PILE-LIVE-2", "TAG-LIVE-2").await;

    // Stopped, before any status says so.
    let stop = v16::StopTransactionRequest {
        id_tag: None,
        meter_stop: 2200,
        timestamp: Utc::now(),
        transaction_id: tx,
        reason: Some(v16::Reason::Local),
        transaction_data: None,
    };
    cp.call(stop).await.unwrap();
    let live = live_when(&app, "PILE-LIVE-2", |l| l["power"] == json!(0.0)).await;
    let numbers = (&live["power"], &live["current"], &live["voltage"]);
    assert_eq!(numbers, (&json!(0.0), &json!(0.0), &json!(0.0)), "{live}");
    assert_eq!(connector_readings(&app, "PILE-LIVE-2").await, zero());

    // Then free again: still nothing flows.
    status_at(&mut cp, 1, v16::ChargePointStatus::Available, Utc::now()).await;
    let live = live_when(&app, "PILE-LIVE-2", |l| l["connectors"][0]["status"] == "Available").await;
    assert_eq!(live["power"], json!(0.0), "{live}");
    assert_eq!(connector_readings(&app, "PILE-LIVE-2").await, zero());
    app.stop().await;
}
