//! The simulator's fleet mode against the real server: chargers registered over REST, booted,
//! heartbeating, sending meter values or charging, with a report that counts them.

use crate::helpers::{OPERATOR_TOKEN, spawn_app};
use csms::domain::units::Wh;
use protocol::OcppVersion;
use simulators::fleet::{self, Behaviour, FleetPlan, Mix};
use std::time::Duration;

#[tokio::test]
async fn a_small_mixed_fleet_runs_and_is_reported() {
    let app = spawn_app().await;
    for n in 0..6 {
        let body = serde_json::json!({"id": format!("FLEET-{n}")});
        let (status, _) = app.request("POST", "/api/v1/chargers", Some(OPERATOR_TOKEN), Some(&body)).await;
        assert_eq!(status, 201);
    }
    for behaviour in [Behaviour::Heartbeat, Behaviour::MeterValues] {
        let report = fleet::run(FleetPlan {
            ws_url: app.ws_url.clone(),
            chargers: 6,
            prefix: "FLEET-".into(),
            versions: vec![OcppVersion::V16, OcppVersion::V201],
            ramp_per_s: 0,
            duration: Duration::from_secs(1),
            interval: Duration::from_millis(20),
            mix: Mix::only(behaviour),
            boot: true,
            password: None,
        })
        .await;
        assert_eq!((report.connected, report.connect_failures, report.errors), (6, 0, 0), "{report}");
        assert!(report.calls > 6, "{report}");
        assert!(report.latency_ms.p50 <= report.latency_ms.p99 && report.latency_ms.p99 <= report.latency_ms.max);
    }
    // Every charger booted (its boot is stored) and left when the fleet ended.
    let (status, charger) = app.request("GET", "/api/v1/chargers/FLEET-1", Some(OPERATOR_TOKEN), None).await;
    assert_eq!(status, 200);
    assert_eq!((charger["vendor"].as_str(), charger["ocppVersion"].as_str()), (Some("csms-sim"), Some("2.0.1")));
    assert_eq!(charger["online"], false);
    app.stop().await;
}

#[tokio::test]
async fn a_fleet_mixing_heartbeats_and_sessions_reports_each_part_and_stores_the_sessions() {
    let app = spawn_app().await;
    for n in 0..6 {
        let id = format!("MIX-{n}");
        let (status, _) = app.operator("POST", "/api/v1/chargers", Some(&serde_json::json!({"id": id}))).await;
        assert_eq!(status, 201);
        let (status, _) = app.operator("POST", "/api/v1/id-tags", Some(&serde_json::json!({"idTag": id}))).await;
        assert_eq!(status, 201);
    }
    let mix: Mix = "heartbeat=2,sessions=1".parse().unwrap();
    // One in three slots charges: with two versions a slot is two chargers, so chargers 4 (1.6)
    // and 5 (2.0.1) charge and the others heartbeat.
    assert_eq!((0..6).map(|n| mix.of(n)).filter(|b| *b == Behaviour::Sessions).count(), 2);
    assert_eq!((mix.of(2), mix.of(5), mix.of(3)), (Behaviour::Sessions, Behaviour::Sessions, Behaviour::Heartbeat));
    let report = fleet::run(FleetPlan {
        ws_url: app.ws_url.clone(),
        chargers: 6,
        prefix: "MIX-".into(),
        versions: vec![OcppVersion::V16, OcppVersion::V201],
        ramp_per_s: 0,
        duration: Duration::from_secs(1),
        interval: Duration::from_millis(50),
        mix,
        boot: true,
        password: None,
    })
    .await;
    assert_eq!((report.connected, report.errors), (6, 0), "{report}");
    let [heartbeats, sessions] = &report.by_behaviour[..] else { panic!("two parts: {report}") };
    assert_eq!((heartbeats.behaviour, heartbeats.chargers), (Behaviour::Heartbeat, 4), "{report}");
    assert_eq!((sessions.behaviour, sessions.chargers), (Behaviour::Sessions, 2), "{report}");
    assert!(sessions.sessions >= 2 && sessions.calls > heartbeats.calls / 4, "{report}");
    assert_eq!(report.calls, heartbeats.calls + sessions.calls);
    // Every completed session is stored, with its energy, for each charging charger.
    for id in ["MIX-4", "MIX-5"] {
        let stored = app.store.transactions(Some(id), None, None).await.unwrap();
        let completed = stored.iter().filter(|t| t.status == "Completed" && t.energy_wh.map(Wh::get) > Some(0)).count();
        assert!(completed >= 1, "{id}: {stored:?}");
    }
    assert!(app.store.transactions(Some("MIX-0"), None, None).await.unwrap().is_empty());
    app.stop().await;
}

#[test]
fn a_behaviour_mix_is_read_from_its_command_line_form() {
    let mix: Mix = "heartbeat=8, sessions=2".parse().unwrap();
    assert_eq!((0..10).filter(|n| mix.of(*n) == Behaviour::Sessions).count(), 2);
    assert_eq!("meter-values".parse::<Mix>().unwrap(), Mix::only(Behaviour::MeterValues));
    for bad in ["", "heartbeat=0", "walking=1", "heartbeat=x", "heartbeat,heartbeat=2"] {
        assert!(bad.parse::<Mix>().is_err(), "{bad:?}");
    }
}
