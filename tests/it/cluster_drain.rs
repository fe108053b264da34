//! A node stopping (SIGTERM) drains: it takes no new chargers and sends its own away (1001
//! Going Away) over `cluster.drain_seconds`; they reconnect to the other node and send again what
//! was left unanswered. Under MeterValues load through two nodes, every reading is stored once
//! and the simulator meets no error beyond the reconnects. A node holding far more than its share
//! sends idle chargers away, never one that charges.

use crate::cluster::{clustered, two_nodes};
use protocol::OcppVersion;
use sea_orm::{ConnectionTrait, Statement};
use simulators::fleet::{self, Behaviour, FleetPlan, Mix};
use std::time::Duration;

/// Readings stored for chargers whose id starts with `prefix` (one row each, its four samples in it).
async fn readings(app: &crate::helpers::TestApp, prefix: &str) -> i64 {
    let db = app.store.db();
    let sql = format!("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM meter_readings WHERE charger_id LIKE '{prefix}%'");
    let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap().unwrap();
    row.try_get("", "n").unwrap()
}

#[tokio::test]
async fn a_draining_node_sends_its_chargers_to_the_other_and_every_reading_is_stored_once() {
    if !clustered() {
        return;
    }
    let (a, b) = two_nodes(|s| s.cluster.drain_seconds = 2).await;
    for n in 0..20 {
        a.register(&format!("DRAIN-{n}"), None).await;
    }
    let plan = FleetPlan {
        ws_url: format!("{},{}", a.ws_url, b.ws_url),
        chargers: 20,
        prefix: "DRAIN-".into(),
        versions: vec![OcppVersion::V16, OcppVersion::V201],
        ramp_per_s: 0,
        duration: Duration::from_secs(8),
        interval: Duration::from_millis(50),
        mix: Mix::only(Behaviour::MeterValues),
        boot: true,
        password: None,
    };
    let load = tokio::spawn(fleet::run(plan));
    // Two seconds into the load (which starts two seconds after the connections).
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(a.app_hub.registry().len(), 10, "half the fleet on each node");
    a.drain.cancel();
    let report = load.await.unwrap();
    assert_eq!((report.connect_failures, report.errors), (0, 0), "{report}");
    assert_eq!(report.reconnects, 10, "a's chargers went to b: {report}");
    // Every answered reading stored, none twice.
    assert_eq!(readings(&b, "DRAIN-").await, i64::try_from(report.calls).unwrap(), "{report}");
    let _database = a.stop_node().await;
    b.stop().await;
}

#[tokio::test]
async fn a_node_holding_far_more_than_its_share_sends_idle_chargers_away_never_one_that_charges() {
    if !clustered() {
        return;
    }
    let (a, b) = two_nodes(|s| s.cluster.lease_s = 3).await;
    let mut idle = Vec::new();
    for n in 0..8 {
        let id = format!("SHED-{n}");
        a.register(&id, None).await;
        let mut cp =
            simulators::SimCharger::connect(simulators::Connect::new(&a.ws_url, &id, OcppVersion::V16)).await.unwrap();
        cp.boot().await.unwrap();
        idle.push(cp);
    }
    a.register("SHED-BUSY", None).await;
    let mut busy = simulators::SimCharger::connect(simulators::Connect::new(&a.ws_url, "SHED-BUSY", OcppVersion::V16))
        .await
        .unwrap();
    busy.boot().await.unwrap();
    let start = protocol::v16::StartTransactionRequest {
        connector_id: 1,
        id_tag: "TAG-SHED".into(),
        meter_start: 0,
        reservation_id: None,
        timestamp: chrono::Utc::now(),
    };
    busy.call(start).await.unwrap();
    // Nine on a, none on b: once over its share for more than a lease, a sends idle ones away,
    // a few each round (every second here).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(25);
    while a.app_hub.registry().len() > 5 && tokio::time::Instant::now() < deadline {
        busy.heartbeat().await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(a.app_hub.registry().len() <= 5, "a still holds {}", a.app_hub.registry().len());
    assert!(a.app_hub.registry().get("SHED-BUSY").is_some(), "the charging one stays");
    let mut sent_away = 0;
    for mut cp in idle {
        if tokio::time::timeout(Duration::from_millis(100), cp.closed())
            .await
            .is_ok_and(|closed| closed.is_ok_and(|frame| frame.is_some_and(|f| u16::from(f.code) == 1001)))
        {
            sent_away += 1;
        }
    }
    assert!(sent_away >= 3, "{sent_away} idle chargers were sent away with 1001");
    b.stop().await;
    a.stop().await;
}
