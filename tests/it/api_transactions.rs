//! A whole session, set up and read back over REST: id tag and charger registered by the
//! operator, the session run by the simulator, the transaction and its samples listed, the
//! charger's live state shown.

use crate::helpers::spawn_app;
use chrono::{Duration, Utc};
use protocol::{OcppVersion, v16};
use serde_json::json;
use simulators::{Connect, SimCharger};

#[tokio::test]
async fn a_session_is_readable_over_rest_with_its_energy_and_samples() {
    let app = spawn_app().await;
    let (status, tag) = app.operator("POST", "/api/v1/id-tags", Some(&json!({"idTag": "RFID-77"}))).await;
    assert_eq!((status, tag["status"].as_str()), (201, Some("Accepted")));
    assert_eq!(app.operator("POST", "/api/v1/id-tags", Some(&json!({"idTag": "RFID-77"}))).await.0, 409);
    assert_eq!(app.operator("POST", "/api/v1/id-tags", Some(&json!({"idTag": "X", "status": "Maybe"}))).await.0, 400);
    assert_eq!(app.operator("POST", "/api/v1/id-tags", Some(&json!({"idTag": "NUL\u{0}TAG"}))).await.0, 400);
    assert_eq!(app.operator("GET", "/api/v1/chargers/CP%00REST", None).await.0, 404);
    assert_eq!(app.operator("GET", "/api/v1/transactions?charger=CP%00REST", None).await.0, 400);
    assert_eq!(app.operator("POST", "/api/v1/chargers", Some(&json!({"id": "CP-REST"}))).await.0, 201);

    let mut cp = SimCharger::connect(Connect::new(&app.ws_url, "CP-REST", OcppVersion::V16)).await.unwrap();
    let t0 = Utc::now() - Duration::minutes(40);
    let tx = cp
        .call(v16::StartTransactionRequest {
            connector_id: 1,
            id_tag: "RFID-77".into(),
            meter_start: 250_000,
            reservation_id: None,
            timestamp: t0,
        })
        .await
        .unwrap()
        .transaction_id;
    cp.call(v16::StopTransactionRequest {
        id_tag: Some("RFID-77".into()),
        meter_stop: 268_450,
        timestamp: t0 + Duration::minutes(35),
        transaction_id: tx,
        reason: Some(v16::Reason::EVDisconnected),
        transaction_data: Some(vec![v16::MeterValue {
            timestamp: t0 + Duration::minutes(35),
            sampled_value: vec![v16::SampledValue {
                value: "268.45".into(),
                context: Some(v16::ReadingContext::TransactionEnd),
                format: None,
                measurand: Some(v16::Measurand::EnergyActiveImportRegister),
                phase: None,
                location: None,
                unit: Some(v16::UnitOfMeasure::KWh),
            }],
        }]),
    })
    .await
    .unwrap();

    let (status, list) = app.operator("GET", "/api/v1/transactions?charger=CP-REST", None).await;
    assert_eq!(status, 200);
    assert_eq!((list["items"].as_array().unwrap().len(), &list["total"]), (1, &json!(1)));
    let from = (t0 - Duration::minutes(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let (_, window) = app.operator("GET", &format!("/api/v1/transactions?from={from}&pageSize=5"), None).await;
    assert_eq!(window["items"].as_array().unwrap().len(), 1);
    let (_, empty) = app.operator("GET", "/api/v1/transactions?charger=OTHER", None).await;
    assert_eq!(empty, json!({"items": [], "page": 1, "pageSize": 20, "total": 0}));
    let (status, body) = app.operator("GET", "/api/v1/transactions?pageSize=101", None).await;
    assert_eq!(status, 400);
    assert!(body["message"].as_str().unwrap().starts_with("pageSize:"), "{body}");
    assert_eq!(app.operator("GET", "/api/v1/transactions?from=yesterday", None).await.0, 400);

    let (status, detail) = app.operator("GET", &format!("/api/v1/transactions/{tx}"), None).await;
    assert_eq!(status, 200);
    insta::assert_json_snapshot!("rest_transaction_detail", detail, {
        ".id" => "[id]",
        ".startedAt" => "[time]",
        ".stoppedAt" => "[time]",
        ".samples[].sampledAt" => "[time]",
    });
    assert_eq!(app.operator("GET", "/api/v1/transactions/999999", None).await.0, 404);

    // The charger, online, with the final readings of its connector live and nothing in progress.
    let (status, charger) = app.operator("GET", "/api/v1/chargers/CP-REST", None).await;
    assert_eq!(status, 200);
    insta::assert_json_snapshot!("rest_charger_detail", charger, {
        ".createdAt" => "[time]",
        ".lastSeenAt" => "[time]",
        ".live[].updatedAt" => "[time]",
        ".live[].values[].sampledAt" => "[time]",
    });
    app.stop().await;
}
