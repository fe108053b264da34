//! Id tags from chargers that cannot be tags (a control character): an Authorize or a start is
//! refused with PropertyConstraintViolation and stores nothing; a stop or a 2.0.1 event is kept
//! without its tag, which is answered Invalid, so that its charger does not resend it for ever.

use crate::helpers::spawn_app;
use protocol::{OcppVersion, v16};
use simulators::{Connect, SimCharger};

#[tokio::test]
async fn an_id_tag_with_a_control_character_gets_a_property_constraint_violation_and_nothing_is_stored() {
    let app = spawn_app().await;
    app.register("CP-TAG16", None).await;
    app.register("CP-TAG201", None).await;
    let mut cp = SimCharger::connect(Connect::new(&app.ws_url, "CP-TAG16", OcppVersion::V16)).await.unwrap();
    let start = r#"{"connectorId":1,"idTag":"a\u0001b","meterStart":0,"timestamp":"2026-12-01T08:00:00Z"}"#;
    let cases = [
        (
            r#"[2,"t1","Authorize",{"idTag":"a\u0001b"}]"#.to_owned(),
            r#"[4,"t1","PropertyConstraintViolation","idTag: "#,
        ),
        (format!(r#"[2,"t2","StartTransaction",{start}]"#), r#"[4,"t2","PropertyConstraintViolation","idTag: "#),
    ];
    for (frame, expected) in cases {
        cp.send_text(&frame).await.unwrap();
        let reply = cp.recv_text().await.unwrap();
        assert!(reply.starts_with(expected), "{frame} → {reply}");
    }
    cp.call(v16::HeartbeatRequest {}).await.unwrap();
    assert!(app.store.transactions(Some("CP-TAG16"), None, None).await.unwrap().is_empty());

    let mut cp = SimCharger::connect(Connect::new(&app.ws_url, "CP-TAG201", OcppVersion::V201)).await.unwrap();
    let frame = r#"[2,"t3","Authorize",{"idToken":{"idToken":"a\u0001b","type":"ISO14443"}}]"#;
    cp.send_text(frame).await.unwrap();
    let reply = cp.recv_text().await.unwrap();
    assert!(reply.starts_with(r#"[4,"t3","PropertyConstraintViolation","idToken.idToken: "#), "{frame} → {reply}");
    app.stop().await;
}

#[tokio::test]
async fn a_stop_whose_id_tag_holds_a_control_character_is_kept_without_it_and_the_tag_answered_invalid() {
    let app = spawn_app().await;
    app.register("CP-STOPTAG", None).await;
    app.store.create_id_tag("GOOD-TAG", "Accepted", None, None).await.unwrap();
    let mut cp = SimCharger::connect(Connect::new(&app.ws_url, "CP-STOPTAG", OcppVersion::V16)).await.unwrap();
    let start = r#"[2,"s1","StartTransaction",{"connectorId":1,"idTag":"GOOD-TAG","meterStart":1000,"timestamp":"2026-12-01T08:00:00Z"}]"#;
    cp.send_text(start).await.unwrap();
    let reply: serde_json::Value = serde_json::from_str(&cp.recv_text().await.unwrap()).unwrap();
    let id = reply[2]["transactionId"].as_i64().unwrap();
    let stop = format!(
        r#"[2,"s2","StopTransaction",{{"transactionId":{id},"idTag":"a\u0001b","meterStop":4000,"timestamp":"2026-12-01T08:30:00Z"}}]"#
    );
    cp.send_text(&stop).await.unwrap();
    let reply = cp.recv_text().await.unwrap();
    assert_eq!(reply, r#"[3,"s2",{"idTagInfo":{"status":"Invalid"}}]"#);
    let stored = app.store.transactions(Some("CP-STOPTAG"), None, None).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].meter_stop_wh.map(|wh| wh.get()), Some(4000));
    assert!(stored[0].stopped_at.is_some());

    // 2.0.1: the event is kept (its transaction stored, without a tag) and the token answered Invalid.
    app.register("CP-EVTAG", None).await;
    let mut cp = SimCharger::connect(Connect::new(&app.ws_url, "CP-EVTAG", OcppVersion::V201)).await.unwrap();
    let event = r#"[2,"e1","TransactionEvent",{"eventType":"Started","timestamp":"2026-12-01T08:00:00Z","triggerReason":"Authorized","seqNo":0,"transactionInfo":{"transactionId":"TX-1"},"idToken":{"idToken":"a\u0001b","type":"ISO14443"},"evse":{"id":1,"connectorId":1}}]"#;
    cp.send_text(event).await.unwrap();
    let reply: serde_json::Value = serde_json::from_str(&cp.recv_text().await.unwrap()).unwrap();
    assert_eq!(reply[0], 3, "{reply}");
    assert_eq!(reply[2]["idTokenInfo"]["status"], "Invalid", "{reply}");
    let stored = app.store.transactions(Some("CP-EVTAG"), None, None).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].id_tag, None);
    app.stop().await;
}
