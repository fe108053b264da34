//! The schema errata (schemas/README.md) and absurd units: a 1.6 charger may report grid
//! frequency in `Hertz` (stored and shown in `Hz`), an empty 1.6 meter value list is refused, and a
//! 2.0.1 multiplier no decimal can hold is refused with nothing of its message stored.

use crate::helpers::{TestApp, spawn_app};
use crate::transactions::sampled;
use chrono::Utc;
use protocol::{OcppVersion, v16};
use serde_json::json;
use simulators::{Connect, SimCharger};

async fn charger(app: &TestApp, id: &str, version: OcppVersion) -> SimCharger {
    app.register(id, None).await;
    SimCharger::connect(Connect::new(&app.ws_url, id, version)).await.unwrap()
}

/// The (measurand, unit, value) of each entry of a list of samples or live values, sorted.
fn readings(list: &serde_json::Value) -> Vec<(String, String, String)> {
    let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
    let mut found: Vec<_> =
        list.as_array().unwrap().iter().map(|v| (text(&v["measurand"]), text(&v["unit"]), text(&v["value"]))).collect();
    found.sort();
    found
}

fn reading(measurand: &str, unit: &str, value: &str) -> (String, String, String) {
    (measurand.to_owned(), unit.to_owned(), value.to_owned())
}

#[tokio::test]
async fn a_16_charger_reporting_frequency_in_hertz_is_answered_and_its_frequency_stored_and_live_in_hz() {
    let app = spawn_app().await;
    app.store.create_id_tag("TAG-HZ", "Accepted", None, None).await.unwrap();
    let mut cp = charger(&app, "CP-HERTZ", OcppVersion::V16).await;
    let start = v16::StartTransactionRequest {
        connector_id: 1,
        id_tag: "TAG-HZ".into(),
        meter_start: 1000,
        reservation_id: None,
        timestamp: Utc::now(),
    };
    let tx = cp.call(start).await.unwrap().transaction_id;

    // Answered with a CALLRESULT (it was a PropertyConstraintViolation before the errata).
    cp.call(v16::MeterValuesRequest {
        connector_id: 1,
        transaction_id: Some(tx),
        meter_value: vec![v16::MeterValue {
            timestamp: Utc::now(),
            sampled_value: vec![
                sampled(v16::Measurand::EnergyActiveImportRegister, v16::UnitOfMeasure::KWh, "1.5"),
                sampled(v16::Measurand::Frequency, v16::UnitOfMeasure::Hertz, "49.980"),
            ],
        }],
    })
    .await
    .unwrap();

    let (status, detail) = app.operator("GET", &format!("/api/v1/transactions/{tx}"), None).await;
    assert_eq!(status, 200, "{detail}");
    let expected = vec![reading("Energy.Active.Import.Register", "Wh", "1500"), reading("Frequency", "Hz", "49.98")];
    assert_eq!(readings(&detail["samples"]), expected, "{detail}");

    let (status, body) = app.operator("GET", "/api/v1/chargers/CP-HERTZ", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(readings(&body["live"][0]["values"]), expected, "{body}");

    // A Frequency without a unit is in Hertz too (errata v4.0), not in the default Wh.
    let later = Utc::now() + chrono::Duration::seconds(1);
    cp.call(v16::MeterValuesRequest {
        connector_id: 1,
        transaction_id: Some(tx),
        meter_value: vec![v16::MeterValue {
            timestamp: later,
            sampled_value: vec![v16::SampledValue {
                unit: None,
                ..sampled(v16::Measurand::Frequency, v16::UnitOfMeasure::Hertz, "50.02")
            }],
        }],
    })
    .await
    .unwrap();
    let (_, body) = app.operator("GET", "/api/v1/chargers/CP-HERTZ", None).await;
    assert!(readings(&body["live"][0]["values"]).contains(&reading("Frequency", "Hz", "50.02")), "{body}");
    app.stop().await;
}

#[tokio::test]
async fn a_16_meter_values_with_an_empty_meter_value_or_sampled_value_list_is_an_occurrence_violation() {
    let app = spawn_app().await;
    let mut cp = charger(&app, "CP-EMPTY", OcppVersion::V16).await;
    let cases = [
        (
            r#"[2,"e1","MeterValues",{"connectorId":1,"meterValue":[]}]"#,
            r#"[4,"e1","OccurenceConstraintViolation","meterValue: "#,
        ),
        (
            r#"[2,"e2","MeterValues",{"connectorId":1,"meterValue":[{"timestamp":"2026-11-25T10:15:30Z","sampledValue":[]}]}]"#,
            r#"[4,"e2","OccurenceConstraintViolation","meterValue[0].sampledValue: "#,
        ),
    ];
    for (frame, expected) in cases {
        cp.send_text(frame).await.unwrap();
        let reply = cp.recv_text().await.unwrap();
        assert!(reply.starts_with(expected), "{frame} → {reply}");
    }
    // Still served; nothing live.
    cp.call(v16::HeartbeatRequest {}).await.unwrap();
    let (_, body) = app.operator("GET", "/api/v1/chargers/CP-EMPTY", None).await;
    assert_eq!(body["live"], json!([]), "{body}");
    app.stop().await;
}

#[tokio::test]
async fn a_201_multiplier_no_decimal_can_hold_is_a_property_constraint_violation_and_nothing_is_stored() {
    let app = spawn_app().await;
    app.store.create_id_tag("TOKEN-MUL", "Accepted", None, None).await.unwrap();
    let mut cp = charger(&app, "CP-MULTIPLIER", OcppVersion::V201).await;
    let now = Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let meter_value = |multiplier: i64| {
        json!([{"timestamp": now, "sampledValue": [
            {"value": 50, "measurand": "Frequency", "unitOfMeasure": {"unit": "Hz"}},
            {"value": 1, "unitOfMeasure": {"unit": "kWh", "multiplier": multiplier}},
        ]}])
    };
    let started = |multiplier| {
        json!({"eventType": "Started", "timestamp": now, "triggerReason": "Authorized", "seqNo": 0,
            "transactionInfo": {"transactionId": "TX-MUL-1"}, "evse": {"id": 1, "connectorId": 1},
            "idToken": {"idToken": "TOKEN-MUL", "type": "ISO14443"}, "meterValue": meter_value(multiplier)})
    };
    let call = |id: &str, action: &str, payload: serde_json::Value| json!([2, id, action, payload]).to_string();
    let cases = [
        (call("m1", "TransactionEvent", started(2_147_483_647)), "2147483647 is outside -28..=28"),
        (call("m2", "TransactionEvent", started(29)), "29 is outside -28..=28"),
        (call("m3", "MeterValues", json!({"evseId": 1, "meterValue": meter_value(-2_147_483_648)})), "-2147483648 is"),
    ];
    for (frame, detail) in cases {
        cp.send_text(&frame).await.unwrap();
        let reply: serde_json::Value = serde_json::from_str(&cp.recv_text().await.unwrap()).unwrap();
        assert_eq!(reply[2], "PropertyConstraintViolation", "{frame} → {reply}");
        let description = reply[3].as_str().unwrap();
        let field = "meterValue[0].sampledValue[1].unitOfMeasure.multiplier: ";
        assert!(description.starts_with(field) && description.contains(detail), "{frame} → {reply}");
    }
    // Nothing of them stored: no transaction, no live reading (not even the valid frequency).
    let (_, list) = app.operator("GET", "/api/v1/transactions?charger=CP-MULTIPLIER", None).await;
    assert_eq!(list["items"], json!([]));
    let (_, body) = app.operator("GET", "/api/v1/chargers/CP-MULTIPLIER", None).await;
    assert_eq!(body["live"], json!([]), "{body}");

    // The same event with a multiplier that makes 10^28 with kilo's three is taken, exactly.
    cp.send_text(&call("m4", "TransactionEvent", started(25))).await.unwrap();
    let reply: serde_json::Value = serde_json::from_str(&cp.recv_text().await.unwrap()).unwrap();
    assert_eq!((reply[0].as_i64(), reply[1].as_str()), (Some(3), Some("m4")), "{reply}");
    let (_, list) = app.operator("GET", "/api/v1/transactions?charger=CP-MULTIPLIER", None).await;
    let (_, detail) = app.operator("GET", &format!("/api/v1/transactions/{}", list["items"][0]["id"]), None).await;
    let expected = vec![
        reading("Energy.Active.Import.Register", "Wh", "10000000000000000000000000000"),
        reading("Frequency", "Hz", "50"),
    ];
    assert_eq!(readings(&detail["samples"]), expected, "{detail}");
    app.stop().await;
}
