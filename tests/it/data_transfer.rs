//! DataTransfer: stored as a charger event, answered UnknownVendorId unless a handler is
//! registered for the vendor, and then answered by it in either version's terms.

use crate::helpers::{spawn_app, spawn_app_extended};
use csms::data_transfer::{DataTransfer, DataTransferHandlers, TransferError, TransferReply};
use protocol::{OcppVersion, v16, v201};
use serde_json::json;
use simulators::{Connect, SimCharger};
use std::sync::{Arc, Mutex};

const VENDOR: &str = "com.example.parking";

/// A parking-sensor extension: `Occupancy` reports bays taken and is answered with the bays left
/// of ten; other messages are unknown; a report without data cannot be processed.
fn parking(seen: Arc<Mutex<Vec<DataTransfer>>>) -> DataTransferHandlers {
    DataTransferHandlers::default().register(VENDOR, move |transfer: DataTransfer| {
        let seen = seen.clone();
        async move {
            seen.lock().unwrap().push(transfer.clone());
            if transfer.message_id.as_deref() != Some("Occupancy") {
                return Ok(TransferReply::unknown_message());
            }
            // 1.6 sends text (here JSON text), 2.0.1 sends JSON.
            let report = match transfer.data {
                Some(serde_json::Value::String(text)) => serde_json::from_str(&text).ok(),
                other => other,
            };
            let taken = report
                .as_ref()
                .and_then(|r| r["taken"].as_u64())
                .ok_or_else(|| TransferError("an Occupancy report needs {\"taken\": n}".into()))?;
            Ok(TransferReply::accepted(Some(json!({"free": 10u64.saturating_sub(taken)}))))
        }
    })
}

async fn charger(app: &crate::helpers::TestApp, id: &str, version: OcppVersion) -> SimCharger {
    app.register(id, None).await;
    let mut cp = SimCharger::connect(Connect::new(&app.ws_url, id, version)).await.unwrap();
    cp.boot().await.unwrap();
    cp
}

fn transfer_16(message_id: Option<&str>, data: Option<&str>) -> v16::DataTransferRequest {
    v16::DataTransferRequest {
        vendor_id: VENDOR.into(),
        message_id: message_id.map(Into::into),
        data: data.map(Into::into),
    }
}

fn transfer_201(message_id: Option<&str>, data: Option<serde_json::Value>) -> v201::DataTransferRequest {
    v201::DataTransferRequest {
        custom_data: None,
        message_id: message_id.map(Into::into),
        data,
        vendor_id: VENDOR.into(),
    }
}

#[tokio::test]
async fn a_data_transfer_of_a_vendor_without_a_handler_is_answered_unknown_vendor_id_and_stored() {
    let app = spawn_app().await;
    let mut cp16 = charger(&app, "CP-DT-16", OcppVersion::V16).await;
    let answer = cp16.call(transfer_16(Some("Occupancy"), Some(r#"{"taken":3}"#))).await.unwrap();
    assert_eq!((answer.status, answer.data), (v16::DataTransferStatus::UnknownVendorId, None));
    let mut cp201 = charger(&app, "CP-DT-201", OcppVersion::V201).await;
    let answer = cp201.call(transfer_201(None, Some(json!({"taken": 3})))).await.unwrap();
    assert_eq!(answer.status, v201::DataTransferStatusEnumType::UnknownVendorId);

    let events = app.store.events("CP-DT-16").await.unwrap();
    assert!(events.iter().any(|e| e.kind == "DataTransfer" && e.payload["data"] == r#"{"taken":3}"#), "{events:?}");
    let events = app.store.events("CP-DT-201").await.unwrap();
    assert!(events.iter().any(|e| e.kind == "DataTransfer" && e.payload["data"]["taken"] == 3), "{events:?}");
    app.stop().await;
}

#[tokio::test]
async fn a_registered_handler_answers_its_vendors_data_transfers_in_both_versions() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let app = spawn_app_extended(|_| {}, parking(seen.clone())).await;

    let mut cp16 = charger(&app, "CP-PARK-16", OcppVersion::V16).await;
    let answer = cp16.call(transfer_16(Some("Occupancy"), Some(r#"{"taken":3}"#))).await.unwrap();
    // 1.6 data is text: the handler's JSON reply arrives as its JSON text.
    assert_eq!((answer.status, answer.data.as_deref()), (v16::DataTransferStatus::Accepted, Some(r#"{"free":7}"#)));
    let answer = cp16.call(transfer_16(Some("Barrier"), None)).await.unwrap();
    assert_eq!((answer.status, answer.data), (v16::DataTransferStatus::UnknownMessageId, None));
    // The handler fails: the charger is answered Rejected, never a CALLERROR it would retry.
    let answer = cp16.call(transfer_16(Some("Occupancy"), Some("not json"))).await.unwrap();
    assert_eq!(answer.status, v16::DataTransferStatus::Rejected);
    // Another vendor is still unknown.
    let other = v16::DataTransferRequest { vendor_id: "com.other".into(), message_id: None, data: None };
    assert_eq!(cp16.call(other).await.unwrap().status, v16::DataTransferStatus::UnknownVendorId);

    let mut cp201 = charger(&app, "CP-PARK-201", OcppVersion::V201).await;
    let answer = cp201.call(transfer_201(Some("Occupancy"), Some(json!({"taken": 12})))).await.unwrap();
    assert_eq!((answer.status, answer.data), (v201::DataTransferStatusEnumType::Accepted, Some(json!({"free": 0}))));
    let answer = cp201.call(transfer_201(Some("Occupancy"), None)).await.unwrap();
    assert_eq!(answer.status, v201::DataTransferStatusEnumType::Rejected);

    let seen = seen.lock().unwrap().clone();
    let chargers: Vec<_> = seen.iter().map(|t| t.charger_id.as_str()).collect();
    assert_eq!(chargers, ["CP-PARK-16", "CP-PARK-16", "CP-PARK-16", "CP-PARK-201", "CP-PARK-201"]);
    assert_eq!(seen[0].data, Some(json!(r#"{"taken":3}"#)));
    assert_eq!(seen[3].data, Some(json!({"taken": 12})));
    // Answered or not, each transfer is stored for the operator.
    let stored = app.store.events("CP-PARK-16").await.unwrap().iter().filter(|e| e.kind == "DataTransfer").count();
    assert_eq!(stored, 4);
    app.stop().await;
}

#[tokio::test]
async fn a_handler_that_hangs_or_panics_gets_the_charger_a_rejected_and_the_session_lives_on() {
    let handlers = DataTransferHandlers::default()
        .register("com.example.slow", |_: DataTransfer| async {
            tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
            Ok(TransferReply::accepted(None))
        })
        .register("com.example.broken", |transfer: DataTransfer| async move {
            if transfer.message_id.is_some() {
                panic!("a vendor handler bug");
            }
            Ok(TransferReply::accepted(None))
        })
        .timeout(std::time::Duration::from_millis(200));
    let app = spawn_app_extended(|_| {}, handlers).await;
    let mut cp = charger(&app, "CP-DT-FAULTY", OcppVersion::V16).await;
    for vendor in ["com.example.slow", "com.example.broken"] {
        let request = v16::DataTransferRequest { vendor_id: vendor.into(), message_id: Some("X".into()), data: None };
        assert_eq!(cp.call(request).await.unwrap().status, v16::DataTransferStatus::Rejected, "{vendor}");
    }
    // The same session goes on, still registered as connected.
    cp.heartbeat().await.unwrap();
    assert!(app.app_hub.registry().is_connected("CP-DT-FAULTY"));
    app.stop().await;
}
