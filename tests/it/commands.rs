//! Operator commands over REST reach the charger and come back: schema-checked first, one call
//! outstanding per connection with the rest queued, each with a deadline, all logged.

use crate::helpers::{spawn_app, spawn_app_with};
use protocol::{OcppVersion, v201};
use serde_json::json;
use simulators::{Connect, SimCharger};
use std::time::Duration;

#[tokio::test]
async fn a_rest_command_reaches_the_charger_and_returns_its_response_and_is_logged() {
    let app = spawn_app().await;
    app.register("CP-CMD", None).await;
    let mut cp = SimCharger::connect(Connect::new(&app.ws_url, "CP-CMD", OcppVersion::V16)).await.unwrap();
    let charger = tokio::spawn(async move {
        let actions = cp.serve_calls(2, None).await.unwrap();
        (actions, cp)
    });

    let (status, body) =
        app.operator("POST", "/api/v1/chargers/CP-CMD/commands/Reset", Some(&json!({"type": "Soft"}))).await;
    assert_eq!((status, body), (200, json!({"status": "Accepted"})));
    let (status, body) = app
        .operator(
            "POST",
            "/api/v1/chargers/CP-CMD/commands/ChangeConfiguration",
            Some(&json!({"key": "HeartbeatInterval", "value": "120"})),
        )
        .await;
    assert_eq!((status, body), (200, json!({"status": "Accepted"})));

    let (actions, cp) = charger.await.unwrap();
    assert_eq!(actions, ["Reset", "ChangeConfiguration"]);
    assert_eq!(cp.keys().get("HeartbeatInterval"), Some("120"));

    let log = app.store.operations("CP-CMD").await.unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(
        (log[1].action.as_str(), log[1].outcome.as_str(), log[1].actor.as_str()),
        ("Reset", "Answered", "operator-token")
    );
    assert_eq!(log[1].payload, json!({"type": "Soft"}));
    assert_eq!(log[1].response, Some(json!({"status": "Accepted"})));
    app.stop().await;
}

#[tokio::test]
async fn a_charger_answer_holding_a_nul_is_returned_and_logged_with_the_nul_replaced() {
    let app = spawn_app().await;
    app.register("CP-NUL", None).await;
    let mut cp = SimCharger::connect(Connect::new(&app.ws_url, "CP-NUL", OcppVersion::V16)).await.unwrap();
    let charger = tokio::spawn(async move {
        let call = cp.recv_text().await.unwrap();
        let id = call.split('"').nth(1).unwrap().to_owned();
        let answer = format!(r#"[3,"{id}",{{"configurationKey":[{{"key":"a\u0000b","readonly":true}}]}}]"#);
        cp.send_text(&answer).await.unwrap();
        cp
    });
    let (status, body) =
        app.operator("POST", "/api/v1/chargers/CP-NUL/commands/GetConfiguration", Some(&json!({}))).await;
    assert_eq!((status, body["configurationKey"][0]["key"].as_str()), (200, Some("a\u{0}b")), "{body}");
    let _cp = charger.await.unwrap();
    // PostgreSQL refuses a NUL in jsonb: the log keeps the answer with the NUL replaced.
    let log = app.store.operations("CP-NUL").await.unwrap();
    assert_eq!(log[0].response.as_ref().unwrap()["configurationKey"][0]["key"], "a\u{FFFD}b");
    app.stop().await;
}

#[tokio::test]
async fn a_command_breaking_its_schema_is_refused_with_400_naming_the_field() {
    let app = spawn_app().await;
    app.register("CP-SCHEMA", None).await;
    let _cp = SimCharger::connect(Connect::new(&app.ws_url, "CP-SCHEMA", OcppVersion::V201)).await.unwrap();
    let (status, body) =
        app.operator("POST", "/api/v1/chargers/CP-SCHEMA/commands/Reset", Some(&json!({"type": "Warm"}))).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "schema_violation");
    assert_eq!(body["code"], "PropertyConstraintViolation");
    assert!(body["message"].as_str().unwrap().contains("type: \"Warm\""), "{body}");
    // A charger-initiated action is not a command.
    let (status, body) = app.operator("POST", "/api/v1/chargers/CP-SCHEMA/commands/Heartbeat", Some(&json!({}))).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("bad_request")));
    let log = app.store.operations("CP-SCHEMA").await.unwrap();
    assert!(log.iter().all(|o| o.outcome == "Invalid"));
    app.stop().await;
}

#[tokio::test]
async fn a_command_to_an_unknown_charger_is_404_and_to_an_offline_one_409() {
    let app = spawn_app().await;
    app.register("CP-OFF", None).await;
    let (status, body) =
        app.operator("POST", "/api/v1/chargers/NOPE/commands/Reset", Some(&json!({"type": "Soft"}))).await;
    assert_eq!((status, body["error"].as_str()), (404, Some("not_found")));
    let (status, body) =
        app.operator("POST", "/api/v1/chargers/CP-OFF/commands/Reset", Some(&json!({"type": "Soft"}))).await;
    assert_eq!((status, body["error"].as_str()), (409, Some("conflict")));
    app.stop().await;
}

#[tokio::test]
async fn a_command_the_charger_never_answers_times_out_with_504() {
    let app = spawn_app_with(|s| s.ocpp.call_timeout_s = 1).await;
    app.register("CP-MUTE", None).await;
    // Connected, but never reads or answers.
    let _cp = SimCharger::connect(Connect::new(&app.ws_url, "CP-MUTE", OcppVersion::V16)).await.unwrap();
    let (status, body) = app.operator("POST", "/api/v1/chargers/CP-MUTE/commands/ClearCache", Some(&json!({}))).await;
    assert_eq!((status, body["error"].as_str()), (504, Some("timeout")));
    assert_eq!(app.store.operations("CP-MUTE").await.unwrap()[0].outcome, "Timeout");
    app.stop().await;
}

#[tokio::test]
async fn concurrent_commands_are_queued_with_one_outstanding_at_a_time() {
    let app = spawn_app().await;
    app.register("CP-QUEUE", None).await;
    let mut cp = SimCharger::connect(Connect::new(&app.ws_url, "CP-QUEUE", OcppVersion::V16)).await.unwrap();
    // Each call is held 200 ms; a second call arriving meanwhile fails the simulator.
    let charger = tokio::spawn(async move { cp.serve_calls(3, Some(Duration::from_millis(200))).await });
    let sends = ["ClearCache", "ClearCache", "ClearCache"].map(|action| {
        let path = format!("/api/v1/chargers/CP-QUEUE/commands/{action}");
        let app = &app;
        async move { app.operator("POST", &path, Some(&json!({}))).await }
    });
    let results = futures_util::future::join_all(sends).await;
    assert!(results.iter().all(|(status, _)| *status == 200), "{results:?}");
    assert_eq!(charger.await.unwrap().unwrap().len(), 3);
    app.stop().await;
}

#[tokio::test]
async fn a_typed_call_through_the_session_handle_returns_the_typed_response() {
    let app = spawn_app().await;
    app.register("CS-TYPED", None).await;
    let cs = SimCharger::connect(Connect::new(&app.ws_url, "CS-TYPED", OcppVersion::V201)).await.unwrap();
    let serving = tokio::spawn(cs.serve());
    let handle = app.app_hub.registry().get("CS-TYPED").unwrap();
    let response = handle
        .call(v201::GetVariablesRequest {
            custom_data: None,
            get_variable_data: vec![v201::GetVariableDataType {
                custom_data: None,
                attribute_type: None,
                component: v201::ComponentType {
                    custom_data: None,
                    evse: None,
                    name: "OCPPCommCtrlr".into(),
                    instance: None,
                },
                variable: v201::VariableType { custom_data: None, name: "HeartbeatInterval".into(), instance: None },
            }],
        })
        .await
        .unwrap();
    assert_eq!(response.get_variable_result[0].attribute_value.as_deref(), Some("300"));
    app.stop().await;
    serving.await.unwrap().unwrap();
}

#[tokio::test]
async fn the_operator_api_refuses_requests_without_the_token() {
    let app = spawn_app().await;
    for token in [None, Some("wrong")] {
        let (status, body) = app.request("GET", "/api/v1/chargers", token, None).await;
        assert_eq!((status, body["error"].as_str()), (401, Some("unauthorized")));
    }
    app.stop().await;
}

#[tokio::test]
async fn a_charger_registered_over_the_api_connects_with_its_password_and_is_listed_online() {
    let app = spawn_app().await;
    let (status, body) = app
        .operator("POST", "/api/v1/chargers", Some(&json!({"id": "CP-API-1", "password": "sixteen-chars-pw!"})))
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["registration"], "Registered");
    let (status, _) = app.operator("POST", "/api/v1/chargers", Some(&json!({"id": "CP-API-1"}))).await;
    assert_eq!(status, 409);
    let (status, _) =
        app.operator("POST", "/api/v1/chargers", Some(&json!({"id": "CP:API", "password": "short"}))).await;
    assert_eq!(status, 400);

    let options = Connect::new(&app.ws_url, "CP-API-1", OcppVersion::V16).password("sixteen-chars-pw!");
    let _cp = SimCharger::connect(options).await.unwrap();
    let (status, list) = app.operator("GET", "/api/v1/chargers", None).await;
    assert_eq!(status, 200);
    assert_eq!(list["items"][0]["id"], "CP-API-1");
    assert_eq!(list["items"][0]["online"], true);
    let (status, detail) = app.operator("GET", "/api/v1/chargers/CP-API-1", None).await;
    assert_eq!((status, detail["connectors"].clone()), (200, json!([])));
    assert_eq!(app.operator("GET", "/api/v1/chargers/NOPE", None).await.0, 404);
    app.stop().await;
}

#[tokio::test]
async fn invalid_frames_errors_and_commands_are_written_to_the_message_log() {
    let app = spawn_app().await;
    app.register("CP-LOG", None).await;
    let mut cp = SimCharger::connect(Connect::new(&app.ws_url, "CP-LOG", OcppVersion::V16)).await.unwrap();
    // A valid call is not logged by default; a refused one is, with its CALLERROR.
    cp.call(protocol::v16::HeartbeatRequest {}).await.unwrap();
    cp.send_text(r#"[2,"bad-1","Heartbeat",{"extra":1}]"#).await.unwrap();
    cp.recv_text().await.unwrap();
    // Not JSON (a raw NUL): logged all the same, the NUL replaced (PostgreSQL refuses it in text).
    cp.send_text("[2,\"bad-2\",\"Heartbeat\",{\"x\":\"\0\"}]").await.unwrap();
    cp.recv_text().await.unwrap();
    let charger = tokio::spawn(async move { cp.serve_calls(1, None).await });
    let (status, _) = app.operator("POST", "/api/v1/chargers/CP-LOG/commands/ClearCache", Some(&json!({}))).await;
    assert_eq!(status, 200);
    charger.await.unwrap().unwrap();

    let mut logged = Vec::new();
    for _ in 0..50 {
        logged = app.store.messages("CP-LOG").await.unwrap();
        if logged.len() >= 6 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let summary: Vec<(&str, &str, Option<&str>)> =
        logged.iter().map(|m| (m.direction.as_str(), m.message_type.as_str(), m.action.as_deref())).collect();
    assert_eq!(
        summary,
        [
            ("in", "CALL", Some("Heartbeat")),
            ("out", "CALLERROR", Some("Heartbeat")),
            ("in", "INVALID", None),
            ("out", "CALLERROR", None),
            ("out", "CALL", Some("ClearCache")),
            ("in", "CALLRESULT", Some("ClearCache")),
        ]
    );
    assert_eq!(logged[0].frame, r#"[2,"bad-1","Heartbeat",{"extra":1}]"#);
    assert!(logged[1].frame.starts_with(r#"[4,"bad-1","FormationViolation""#), "{}", logged[1].frame);
    assert_eq!(logged[2].frame, "[2,\"bad-2\",\"Heartbeat\",{\"x\":\"\u{FFFD}\"}]");
    app.stop().await;
}
