//! The simulator's sessions: a realistic charging curve stored as sent, in both versions, and
//! a remote start from the operator that makes the simulated charger charge.

use crate::helpers::spawn_app;
use csms::domain::units::Wh;
use protocol::OcppVersion;
use serde_json::json;
use simulators::{Connect, SessionPlan, SimCharger};
use std::time::Duration;

#[tokio::test]
async fn a_simulated_session_follows_a_charging_curve_and_is_stored_with_its_energy() {
    let app = spawn_app().await;
    app.store.create_id_tag("CURVE-TAG", "Accepted", None, None).await.unwrap();
    for (id, version) in [("SIM-CURVE-16", OcppVersion::V16), ("SIM-CURVE-201", OcppVersion::V201)] {
        app.register(id, None).await;
        let mut cp = SimCharger::connect(Connect::new(&app.ws_url, id, version)).await.unwrap();
        let mut plan = SessionPlan::new(1, "CURVE-TAG");
        plan.start_soc = 70.0; // an hour at 11 kW crosses 80 %, where the taper begins
        plan.samples = 60;
        let report = cp.run_session(&plan).await.unwrap();
        assert!(report.end_soc > 80.0, "{report:?}");

        let stored = &app.store.transactions(Some(id), None, None).await.unwrap()[0];
        assert_eq!(stored.status, "Completed", "{version}");
        assert_eq!(stored.energy_wh.map(Wh::get), Some(report.meter_stop_wh - report.meter_start_wh), "{version}");
        // An hour at up to 11 kW, tapering above 80 %: less than the 11 kWh of full power.
        assert!((8_000..11_000).contains(&stored.energy_wh.unwrap().get()), "{:?}", stored.energy_wh);
        let (_, samples) = app.store.transaction(stored.id).await.unwrap().unwrap();
        let has = |measurand: &str, phase: Option<&str>| {
            samples.iter().any(|s| s.measurand == measurand && s.phase.as_deref() == phase)
        };
        assert!(has("SoC", None) && has("Voltage", Some("L1-N")) && has("Current.Import", Some("L3")), "{version}");
        // The taper shows in the stored power.
        let powers: Vec<f64> =
            samples.iter().filter(|s| s.measurand == "Power.Active.Import").map(|s| s.value.parse().unwrap()).collect();
        let peak = powers.iter().copied().fold(0.0, f64::max);
        assert!(peak == 11_000.0 && powers.last().is_some_and(|last| *last < peak), "{powers:?}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_remote_start_from_the_operator_makes_the_simulated_charger_charge() {
    let app = spawn_app().await;
    app.store.create_id_tag("REMOTE-TAG", "Accepted", None, None).await.unwrap();
    for (id, version, action, payload) in [
        ("SIM-REMOTE-16", OcppVersion::V16, "RemoteStartTransaction", json!({"idTag": "REMOTE-TAG", "connectorId": 1})),
        (
            "SIM-REMOTE-201",
            OcppVersion::V201,
            "RequestStartTransaction",
            json!({"idToken": {"idToken": "REMOTE-TAG", "type": "Central"}, "remoteStartId": 7, "evseId": 1}),
        ),
    ] {
        app.register(id, None).await;
        let cp = SimCharger::connect(Connect::new(&app.ws_url, id, version)).await.unwrap();
        let serving = tokio::spawn(cp.serve());
        let (status, body) =
            app.operator("POST", &format!("/api/v1/chargers/{id}/commands/{action}"), Some(&payload)).await;
        assert_eq!((status, body["status"].as_str()), (200, Some("Accepted")), "{version}: {body}");
        let mut done = false;
        for _ in 0..100 {
            let found = app.store.transactions(Some(id), None, None).await.unwrap();
            if found.first().is_some_and(|t| t.status == "Completed") {
                done = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(done, "{version}: no completed session after the remote start");
        serving.abort();
    }
    app.stop().await;
}

#[tokio::test]
async fn a_reset_from_the_operator_reboots_the_simulated_charger_which_boots_again() {
    let app = spawn_app().await;
    app.register("SIM-RESET", None).await;
    let mut cs = SimCharger::connect(Connect::new(&app.ws_url, "SIM-RESET", OcppVersion::V201)).await.unwrap();
    cs.boot().await.unwrap();
    let first_boot = app.store.charger("SIM-RESET").await.unwrap().unwrap().last_boot_at.unwrap();
    let serving = tokio::spawn(cs.serve());
    let (status, body) =
        app.operator("POST", "/api/v1/chargers/SIM-RESET/commands/Reset", Some(&json!({"type": "Immediate"}))).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("Accepted")));
    let mut rebooted = None;
    for _ in 0..100 {
        let charger = app.store.charger("SIM-RESET").await.unwrap().unwrap();
        if charger.last_boot_at.is_some_and(|at| at > first_boot) {
            rebooted = Some(charger);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let rebooted = rebooted.expect("no boot after the reset");
    assert_eq!(rebooted.boot_reason.as_deref(), Some("RemoteReset"));
    serving.abort();
    app.stop().await;
}

#[tokio::test]
async fn a_trigger_message_makes_the_simulated_charger_send_what_was_asked_for() {
    let app = spawn_app().await;
    app.register("SIM-TRIGGER", None).await;
    let cp = SimCharger::connect(Connect::new(&app.ws_url, "SIM-TRIGGER", OcppVersion::V16)).await.unwrap();
    let serving = tokio::spawn(cp.serve());
    assert!(app.store.connectors("SIM-TRIGGER").await.unwrap().is_empty());
    let payload = json!({"requestedMessage": "StatusNotification", "connectorId": 1});
    let (status, body) =
        app.operator("POST", "/api/v1/chargers/SIM-TRIGGER/commands/TriggerMessage", Some(&payload)).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("Accepted")));
    let mut reported = false;
    for _ in 0..100 {
        if !app.store.connectors("SIM-TRIGGER").await.unwrap().is_empty() {
            reported = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(reported, "the triggered StatusNotification did not arrive");
    serving.abort();
    app.stop().await;
}

#[tokio::test]
async fn a_session_charged_offline_is_replayed_on_reconnect_and_stored_in_both_versions() {
    let app = spawn_app().await;
    app.store.create_id_tag("OFFLINE-TAG", "Accepted", None, None).await.unwrap();
    for (id, version) in [("SIM-OFFLINE-16", OcppVersion::V16), ("SIM-OFFLINE-201", OcppVersion::V201)] {
        app.register(id, None).await;
        let mut cs = SimCharger::connect(Connect::new(&app.ws_url, id, version)).await.unwrap();
        cs.boot().await.unwrap();
        cs.go_offline().await;
        let report = cs.run_session(&SessionPlan::new(1, "OFFLINE-TAG")).await.unwrap();
        assert!(app.store.transactions(Some(id), None, None).await.unwrap().is_empty());

        let replayed = cs.reconnect().await.unwrap();
        assert_eq!(replayed, 12, "{version}"); // start, ten meter values, stop
        let stored = app.store.transactions(Some(id), None, None).await.unwrap();
        assert_eq!(stored.len(), 1, "{version}: {stored:?}");
        let stored = &stored[0];
        assert_eq!(stored.status, "Completed", "{version}");
        assert_eq!(stored.energy_wh.map(Wh::get), Some(report.meter_stop_wh - report.meter_start_wh), "{version}");
        // Stored at the charger's times, not the replay's.
        assert!(stored.started_at < chrono::Utc::now() - chrono::Duration::minutes(10), "{version}: {stored:?}");
        let (_, samples) = app.store.transaction(stored.id).await.unwrap().unwrap();
        assert!(samples.iter().filter(|s| s.measurand == "Energy.Active.Import.Register").count() >= 10, "{version}");
        if version == OcppVersion::V16 {
            // The local id the queued messages carried was replaced by the CSMS's on replay.
            let local: i32 = report.transaction_id.parse().unwrap();
            assert!(local < 0);
            assert_eq!(cs.replayed_transaction(local).map(i64::from), Some(stored.id));
            assert!(app.store.events(id).await.unwrap().iter().all(|e| e.kind != "StopOfUnknownTransaction"));
        }
    }
    app.stop().await;
}
