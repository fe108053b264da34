//! MQTT piles on two nodes of one system (CI's PostgreSQL and Redis run): one node consumes the
//! piles' messages while any node sends their commands, and when the consuming node stops, the
//! other takes the consumer's session over, with what the broker kept meanwhile.

use crate::business::{order_when, tariff, yesterday_at};
use crate::cluster::clustered;
use crate::helpers::{spawn_app_with, spawn_node};
use crate::mqtt_helpers::{BROKER, broker_up, open_mqtt_pile, unique};
use crate::mqtt_piles::{finished, paid_order, start, status};
use csms::config::Settings;
use serde_json::json;

#[tokio::test]
async fn any_node_commands_an_mqtt_pile_and_when_the_consuming_node_stops_the_other_takes_its_messages_over() {
    if !clustered() || !broker_up().await {
        return;
    }
    let client_id = unique("csms-test-");
    let change = move |s: &mut Settings| {
        s.mqtt.url = BROKER.into();
        s.mqtt.client_id = client_id.clone();
        s.mqtt.session_expiry_s = 60;
        s.ocpp.liveness_flush_s = 1;
        s.cluster.lease_s = 3;
    };
    let a = spawn_app_with(change.clone()).await;
    let b = spawn_node(&a, change).await;
    let code = unique("MQ-");
    // Brought online by whichever node consumes; seen from both.
    let mut pile = open_mqtt_pile(&a, &unique("SQ"), &code, tariff(), 60).await;

    // The driver's order made, paid and started through b; its start published by b.
    let (token, no, _) = paid_order(&b, "13912360001", &code).await;
    let command = start(&b, &mut pile, &token, &no).await;
    assert_eq!((&command["command"], &command["orderNo"]), (&json!("start"), &json!(no)));
    pile.publish("charging/status", status(&code, &no, 0.0, 0, 20, yesterday_at(10, 0))).await;
    order_when(&b, &token, &no, |o| o["status"] == "CHARGING").await;

    // a stops: the consumer's lease lapses to b, which takes the broker's session over. What the
    // pile says meanwhile is kept by the broker for it.
    let _database = a.stop_node().await;
    pile.publish("charging/status", status(&code, &no, 5.0, 1800, 45, yesterday_at(10, 30))).await;
    let (code_status, _) = b.request("POST", &format!("/api/v1/orders/{no}/stop"), Some(&token), None).await;
    assert_eq!(code_status, 200);
    assert_eq!(pile.command().await["command"], "stop");
    pile.publish("charging/finished", finished(&code, &no, 12.0, 5400, yesterday_at(11, 30))).await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
    let done = loop {
        let done = order_when(&b, &token, &no, |o| o["status"] == "COMPLETED").await;
        if done["status"] == "COMPLETED" || tokio::time::Instant::now() > deadline {
            break done;
        }
    };
    assert_eq!(
        (&done["status"], &done["energyWh"], &done["totalAmount"]),
        (&json!("COMPLETED"), &json!(12_000), &json!("12.05")),
        "{done}"
    );
    b.stop().await;
}
