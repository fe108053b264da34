//! Several nodes, one system (on CI's PostgreSQL and Redis run; the SQLite run has no Redis and
//! these tests return at once there): a charger connected to one node is online on every node,
//! commanded through any of them with the same answers and failures as a local call, taken over
//! by a newer connection on another node; orders made on one node start piles held by another,
//! and the driver's and operators' streams on any node hear what happens on every node.

use crate::business::{adjust, driver, open_pile, order_when, tariff};
use crate::helpers::{OPERATOR_TOKEN, TestApp, spawn_app_with, spawn_node};
use csms::config::Settings;
use protocol::{OcppVersion, v16};
use serde_json::{Value, json};
use simulators::{Connect, SimCharger};
use std::time::Duration;

/// Whether the clustered tests run: they need Redis (`REDIS_URL`, set by CI's second run).
pub(crate) fn clustered() -> bool {
    let set = std::env::var("REDIS_URL").is_ok();
    if !set {
        eprintln!("clustered tests run with REDIS_URL (CI's PostgreSQL and Redis run)");
    }
    set
}

/// Two nodes of one system, each with `change`.
pub(crate) async fn two_nodes(change: impl Fn(&mut Settings) + Clone) -> (TestApp, TestApp) {
    let a = spawn_app_with(change.clone()).await;
    let b = spawn_node(&a, change).await;
    (a, b)
}

/// `GET path` on `node` until `ready` says so (or 5 s pass): the last answer.
pub(crate) async fn until(node: &TestApp, path: &str, ready: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let (_, body) = node.operator("GET", path, None).await;
        if ready(&body) || tokio::time::Instant::now() > deadline {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_charger_on_one_node_is_online_and_answers_commands_sent_through_another() {
    if !clustered() {
        return;
    }
    let (a, b) = two_nodes(|_| {}).await;
    a.register("CP-TWO", None).await;
    let mut cp = SimCharger::connect(Connect::new(&a.ws_url, "CP-TWO", OcppVersion::V16)).await.unwrap();
    cp.boot().await.unwrap();
    let seen = until(&b, "/api/v1/chargers/CP-TWO", |c| c["online"] == true).await;
    assert_eq!((&seen["online"], &seen["ocppVersion"]), (&json!(true), &json!("1.6")), "{seen}");

    let charger = tokio::spawn(async move {
        let actions = cp.serve_calls(1, None).await.unwrap();
        (actions, cp)
    });
    let (status, body) =
        b.operator("POST", "/api/v1/chargers/CP-TWO/commands/Reset", Some(&json!({"type": "Soft"}))).await;
    assert_eq!((status, body), (200, json!({"status": "Accepted"})));
    let (actions, _cp) = charger.await.unwrap();
    assert_eq!(actions, ["Reset"]);
    // Logged once, by the node it was sent from.
    let log = b.store.operations("CP-TWO").await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!((log[0].outcome.as_str(), log[0].node.as_deref()), ("Answered", Some(b.app_hub.node())));
    b.stop().await;
    a.stop().await;
}

#[tokio::test]
async fn a_callerror_a_timeout_and_an_offline_charger_through_another_node_fail_as_local_calls_do() {
    if !clustered() {
        return;
    }
    let (a, b) = two_nodes(|s| s.ocpp.call_timeout_s = 1).await;
    a.register("CP-ERR", None).await;
    let mut cp = SimCharger::connect(Connect::new(&a.ws_url, "CP-ERR", OcppVersion::V16)).await.unwrap();
    cp.boot().await.unwrap();
    until(&b, "/api/v1/chargers/CP-ERR", |c| c["online"] == true).await;
    let charger = tokio::spawn(async move {
        let call = cp.recv_text().await.unwrap();
        let id = call.split('"').nth(1).unwrap().to_owned();
        cp.send_text(&format!(r#"[4,"{id}","NotSupported","no such thing",{{}}]"#)).await.unwrap();
        // The second call is left unanswered.
        let _ignored = cp.recv_text().await.unwrap();
        cp
    });
    let reset = json!({"type": "Hard"});
    let (status, body) = b.operator("POST", "/api/v1/chargers/CP-ERR/commands/Reset", Some(&reset)).await;
    assert_eq!((status, body["error"].as_str()), (502, Some("charger_error")), "{body}");
    assert!(body["message"].as_str().unwrap().contains("NotSupported"), "{body}");
    let (status, body) = b.operator("POST", "/api/v1/chargers/CP-ERR/commands/Reset", Some(&reset)).await;
    assert_eq!((status, body["error"].as_str()), (504, Some("timeout")), "{body}");
    let cp = charger.await.unwrap();
    cp.close().await.unwrap();
    until(&b, "/api/v1/chargers/CP-ERR", |c| c["online"] == false).await;
    let (status, body) = b.operator("POST", "/api/v1/chargers/CP-ERR/commands/Reset", Some(&reset)).await;
    assert_eq!((status, body["error"].as_str()), (409, Some("conflict")), "{body}");
    b.stop().await;
    a.stop().await;
}

#[tokio::test]
async fn a_charger_reconnecting_to_another_node_takes_over_and_its_old_connection_closes() {
    if !clustered() {
        return;
    }
    let (a, b) = two_nodes(|_| {}).await;
    a.register("CP-MOVE", None).await;
    let mut old = SimCharger::connect(Connect::new(&a.ws_url, "CP-MOVE", OcppVersion::V16)).await.unwrap();
    old.boot().await.unwrap();
    until(&a, "/api/v1/chargers/CP-MOVE", |c| c["online"] == true).await;
    let first = a.store.charger("CP-MOVE").await.unwrap().unwrap();
    let mut new = SimCharger::connect(Connect::new(&b.ws_url, "CP-MOVE", OcppVersion::V16)).await.unwrap();
    let closed = tokio::time::timeout(Duration::from_secs(5), old.closed()).await.expect("the old connection closes");
    assert!(closed.is_ok(), "{closed:?}");
    new.boot().await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let now = loop {
        let now = a.store.charger("CP-MOVE").await.unwrap().unwrap();
        if now.online_node.as_deref() == Some(b.app_hub.node()) || tokio::time::Instant::now() > deadline {
            break now;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(now.online_node.as_deref(), Some(b.app_hub.node()));
    assert!(now.online_epoch > first.online_epoch, "{} after {}", now.online_epoch, first.online_epoch);
    assert!(now.online_session.is_some());
    assert!(a.app_hub.registry().get("CP-MOVE").is_none(), "node a let it go");
    // Commands through a reach it on b.
    let charger = tokio::spawn(async move { new.serve_calls(1, None).await.unwrap() });
    let (status, _) =
        a.operator("POST", "/api/v1/chargers/CP-MOVE/commands/Reset", Some(&json!({"type": "Soft"}))).await;
    assert_eq!(status, 200);
    assert_eq!(charger.await.unwrap(), ["Reset"]);
    b.stop().await;
    a.stop().await;
}

#[tokio::test]
async fn an_order_made_on_one_node_starts_and_completes_a_pile_held_by_another_and_its_events_reach_the_driver() {
    if !clustered() {
        return;
    }
    let (a, b) = two_nodes(|_| {}).await;
    // The pile on a; the driver and the operator on b.
    let mut cp = open_pile(&a, "ST-TWO", "PILE-TWO", tariff()).await;
    let (token, user_id, tag) = driver(&b, "13912349001").await;
    assert_eq!(adjust(&b, user_id, "100.00").await.0, 201);
    let mut heard = simulators::sse::subscribe(b.http_addr, "/api/v1/me/events", &token).await.unwrap();
    let mut feed = simulators::sse::subscribe(b.http_addr, "/api/v1/events", OPERATOR_TOKEN).await.unwrap();
    let ask = json!({"pileCode": "PILE-TWO", "connectorId": 1, "payMode": "prepaid", "prepayAmount": "50.00"});
    let (status, order) = b.request("POST", "/api/v1/orders", Some(&token), Some(&ask)).await;
    assert_eq!(status, 201, "{order}");
    let no = order["orderNo"].as_str().unwrap().to_owned();
    let pay = json!({"orderNo": no, "method": "balance"});
    assert_eq!(b.request("POST", "/api/v1/payments", Some(&token), Some(&pay)).await.0, 201);
    let ((status, starting), action) = crate::orders::act(&b, &mut cp, &token, &no, "start").await;
    assert_eq!((status, action.as_str()), (200, "RemoteStartTransaction"), "{starting}");
    let began = chrono::Utc::now() - chrono::Duration::minutes(10);
    let start = v16::StartTransactionRequest {
        connector_id: 1,
        id_tag: tag,
        meter_start: 1_000,
        reservation_id: None,
        timestamp: began,
    };
    let tx = cp.call(start).await.unwrap().transaction_id;
    order_when(&b, &token, &no, |o| o["status"] == "CHARGING").await;
    crate::business::stop_at(&mut cp, tx, 4_000, began + chrono::Duration::minutes(6)).await;
    let done = order_when(&b, &token, &no, |o| o["status"] == "COMPLETED").await;
    assert_eq!(done["status"], "COMPLETED", "{done}");

    // The driver's stream on b heard each of its orders' events once, in order.
    let mut names = Vec::new();
    while names.last().map(String::as_str) != Some("order.completed") {
        let event = tokio::time::timeout(Duration::from_secs(5), heard.recv()).await.unwrap().unwrap();
        names.push(event.name);
    }
    assert_eq!(names, ["payment.succeeded", "order.started", "order.completed"]);
    // The operators' feed on b hears the pile's status reported on a.
    crate::business::status_at(&mut cp, 1, v16::ChargePointStatus::Available, chrono::Utc::now()).await;
    let mut statuses = 0;
    while statuses == 0 {
        let event = tokio::time::timeout(Duration::from_secs(5), feed.recv()).await.unwrap().unwrap();
        if event.name == "connector.status" && event.data["chargerId"] == "PILE-TWO" {
            statuses += 1;
        }
    }
    b.stop().await;
    a.stop().await;
}
