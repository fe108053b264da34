//! The simulator's fleet mode against the real server: chargers registered over REST, booted,
//! heartbeating and sending meter values, with a report that counts them.

use crate::helpers::{OPERATOR_TOKEN, spawn_app};
use protocol::OcppVersion;
use simulators::fleet::{self, Behaviour, FleetPlan};
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
            behaviour,
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
