//! Chargers connect, boot, report status: identity, auth, subprotocol, registration, storage.

use crate::helpers::{spawn_app, spawn_app_with};
use chrono::Utc;
use protocol::{OcppVersion, v16, v201};
use simulators::{Connect, SimCharger, SimError};

fn boot_16() -> v16::BootNotificationRequest {
    v16::BootNotificationRequest {
        charge_point_vendor: "ACME".into(),
        charge_point_model: "Wallbox-22".into(),
        charge_point_serial_number: Some("WB22-000123".into()),
        charge_box_serial_number: None,
        firmware_version: Some("1.4.2".into()),
        iccid: None,
        imsi: None,
        meter_type: Some("EEM-350".into()),
        meter_serial_number: None,
    }
}

fn boot_201() -> v201::BootNotificationRequest {
    v201::BootNotificationRequest {
        custom_data: None,
        charging_station: v201::ChargingStationType {
            custom_data: None,
            serial_number: Some("DC150-0042".into()),
            model: "DC-150".into(),
            modem: Some(v201::ModemType { custom_data: None, iccid: Some("8944501234567890123".into()), imsi: None }),
            vendor_name: "VoltWorks".into(),
            firmware_version: Some("2.0.7".into()),
        },
        reason: v201::BootReasonEnumType::PowerUp,
    }
}

#[tokio::test]
async fn a_registered_16_charger_boots_accepted_and_its_boot_info_is_stored() {
    let app = spawn_app().await;
    app.register("CP-16-001", None).await;
    let mut cp = SimCharger::connect(Connect::new(&app.ws_url, "CP-16-001", OcppVersion::V16)).await.unwrap();
    assert_eq!(cp.version(), Some(OcppVersion::V16));

    let response = cp.call(boot_16()).await.unwrap();
    assert_eq!(response.status, v16::RegistrationStatus::Accepted);
    assert_eq!(response.interval, 300);
    assert!((Utc::now() - response.current_time).num_seconds().abs() < 5);

    let stored = app.store.charger("CP-16-001").await.unwrap().unwrap();
    assert_eq!(stored.vendor.as_deref(), Some("ACME"));
    assert_eq!(stored.model.as_deref(), Some("Wallbox-22"));
    assert_eq!(stored.firmware_version.as_deref(), Some("1.4.2"));
    assert_eq!(stored.ocpp_version.as_deref(), Some("1.6"));
    assert!(stored.last_boot_at.is_some());
    app.stop().await;
}

#[tokio::test]
async fn a_201_charger_boots_with_the_configured_heartbeat_interval_and_heartbeats() {
    let app = spawn_app_with(|s| s.chargers.heartbeat_interval_s = 120).await;
    app.register("CS-201-001", None).await;
    let mut cs = SimCharger::connect(Connect::new(&app.ws_url, "CS-201-001", OcppVersion::V201)).await.unwrap();
    assert_eq!(cs.version(), Some(OcppVersion::V201));

    let response = cs.call(boot_201()).await.unwrap();
    assert_eq!(response.status, v201::RegistrationStatusEnumType::Accepted);
    assert_eq!(response.interval, 120);
    let heartbeat = cs.call(v201::HeartbeatRequest::default()).await.unwrap();
    assert!((Utc::now() - heartbeat.current_time).num_seconds().abs() < 5);

    let stored = app.store.charger("CS-201-001").await.unwrap().unwrap();
    assert_eq!(stored.vendor.as_deref(), Some("VoltWorks"));
    assert_eq!(stored.iccid.as_deref(), Some("8944501234567890123"));
    assert_eq!(stored.boot_reason.as_deref(), Some("PowerUp"));
    app.stop().await;
}

#[tokio::test]
async fn the_servers_preferred_version_is_chosen_from_the_offer() {
    let app = spawn_app().await;
    app.register("CP-BOTH", None).await;
    let mut options = Connect::new(&app.ws_url, "CP-BOTH", OcppVersion::V16);
    options.offer = vec!["ocpp1.6".into(), "ocpp2.0.1".into()];
    let cp = SimCharger::connect(options).await.unwrap();
    assert_eq!(cp.version(), Some(OcppVersion::V201));
    app.stop().await;
}

#[tokio::test]
async fn an_unknown_charger_is_refused_with_404_before_the_upgrade() {
    let app = spawn_app().await;
    let refused = SimCharger::connect(Connect::new(&app.ws_url, "NOBODY", OcppVersion::V16)).await.unwrap_err();
    assert!(matches!(refused, SimError::Refused(status) if status.as_u16() == 404), "{refused}");
    app.stop().await;
}

#[tokio::test]
async fn a_charger_with_a_password_must_give_it_by_basic_auth() {
    let app = spawn_app().await;
    app.register("CP-SECURE", Some("correct horse battery")).await;
    for wrong in [None, Some("wrong password")] {
        let mut options = Connect::new(&app.ws_url, "CP-SECURE", OcppVersion::V16);
        options.password = wrong.map(str::to_owned);
        let refused = SimCharger::connect(options).await.unwrap_err();
        assert!(matches!(refused, SimError::Refused(status) if status.as_u16() == 401), "{refused}");
    }
    let options = Connect::new(&app.ws_url, "CP-SECURE", OcppVersion::V16).password("correct horse battery");
    let mut cp = SimCharger::connect(options.clone()).await.unwrap();
    assert_eq!(cp.call(boot_16()).await.unwrap().status, v16::RegistrationStatus::Accepted);
    cp.close().await.unwrap();
    // Once verified, the password is recognised on reconnection; a wrong one still is not.
    let wrong = Connect::new(&app.ws_url, "CP-SECURE", OcppVersion::V16).password("correct horse");
    let refused = SimCharger::connect(wrong).await.unwrap_err();
    assert!(matches!(refused, SimError::Refused(status) if status.as_u16() == 401), "{refused}");
    let mut cp = SimCharger::connect(options.clone()).await.unwrap();
    assert_eq!(cp.call(boot_16()).await.unwrap().status, v16::RegistrationStatus::Accepted);
    cp.close().await.unwrap();

    // The operator changes the password: the old one is refused from the next connection on.
    let change = serde_json::json!({"password": "staple 2 battery horse"});
    assert_eq!(app.operator("PATCH", "/api/v1/chargers/CP-SECURE", Some(&change)).await.0, 200);
    let refused = SimCharger::connect(options).await.unwrap_err();
    assert!(matches!(refused, SimError::Refused(status) if status.as_u16() == 401), "{refused}");
    let renewed = Connect::new(&app.ws_url, "CP-SECURE", OcppVersion::V16).password("staple 2 battery horse");
    SimCharger::connect(renewed).await.unwrap().close().await.unwrap();
    // `null` removes it: the charger connects without Basic auth.
    let remove = serde_json::json!({"password": null});
    assert_eq!(app.operator("PATCH", "/api/v1/chargers/CP-SECURE", Some(&remove)).await.0, 200);
    SimCharger::connect(Connect::new(&app.ws_url, "CP-SECURE", OcppVersion::V16)).await.unwrap();
    assert_eq!(
        app.operator("PATCH", "/api/v1/chargers/CP-SECURE", Some(&serde_json::json!({"password": "short"}))).await.0,
        400
    );
    app.stop().await;
}

#[tokio::test]
async fn an_auto_registered_charger_is_pending_and_may_only_boot_or_send_what_it_is_asked_for() {
    let app = spawn_app_with(|s| s.chargers.auto_register = true).await;
    let mut cp = SimCharger::connect(Connect::new(&app.ws_url, "CP-NEW", OcppVersion::V16)).await.unwrap();
    let response = cp.call(boot_16()).await.unwrap();
    assert_eq!(response.status, v16::RegistrationStatus::Pending);
    assert_eq!(response.interval, 60);
    let security_error = |err: SimError| matches!(err, SimError::CallError { ref code, .. } if code == "SecurityError");
    let err = cp.call(v16::HeartbeatRequest {}).await.unwrap_err();
    assert!(security_error(err));
    let stored = app.store.charger("CP-NEW").await.unwrap().unwrap();
    assert_eq!(stored.registration, "Pending");

    // The operator asks it for a Heartbeat (OCPP 1.6 §4.2.1): that one may come, nothing else.
    let trigger = serde_json::json!({"requestedMessage": "Heartbeat"});
    let (answered, (status, body)) = tokio::join!(
        cp.serve_calls(1, None),
        app.operator("POST", "/api/v1/chargers/CP-NEW/commands/TriggerMessage", Some(&trigger))
    );
    assert_eq!((status, answered.unwrap()), (200, vec!["TriggerMessage".to_owned()]), "{body}");
    cp.call(v16::HeartbeatRequest {}).await.unwrap();
    let start = v16::StartTransactionRequest {
        connector_id: 1,
        id_tag: "ANY".into(),
        meter_start: 0,
        reservation_id: None,
        timestamp: Utc::now(),
    };
    assert!(security_error(cp.call(start.clone()).await.unwrap_err()));

    // Accepted by the operator: it may operate at once, and its next boot is Accepted.
    let accept = serde_json::json!({"registration": "Registered"});
    let (status, body) = app.operator("PATCH", "/api/v1/chargers/CP-NEW", Some(&accept)).await;
    assert_eq!((status, body["registration"].as_str()), (200, Some("Registered")), "{body}");
    cp.call(start).await.unwrap();
    assert_eq!(cp.call(boot_16()).await.unwrap().status, v16::RegistrationStatus::Accepted);

    // Disabled: disconnected, and refused at its next boot.
    let disable = serde_json::json!({"registration": "Disabled"});
    assert_eq!(app.operator("PATCH", "/api/v1/chargers/CP-NEW", Some(&disable)).await.0, 200);
    let closed = cp.closed().await.unwrap().expect("a close frame");
    assert_eq!(u16::from(closed.code), 1008);
    let mut again = SimCharger::connect(Connect::new(&app.ws_url, "CP-NEW", OcppVersion::V16)).await.unwrap();
    assert_eq!(again.call(boot_16()).await.unwrap().status, v16::RegistrationStatus::Rejected);
    assert!(security_error(again.call(v16::HeartbeatRequest {}).await.unwrap_err()));
    let bad = serde_json::json!({"registration": "Maybe"});
    assert_eq!(app.operator("PATCH", "/api/v1/chargers/CP-NEW", Some(&bad)).await.0, 400);
    assert_eq!(app.operator("PATCH", "/api/v1/chargers/NOBODY", Some(&accept)).await.0, 404);
    app.stop().await;
}

#[tokio::test]
async fn status_notifications_are_kept_as_current_state_and_history() {
    let app = spawn_app().await;
    app.register("CP-STATUS", None).await;
    let mut cp = SimCharger::connect(Connect::new(&app.ws_url, "CP-STATUS", OcppVersion::V16)).await.unwrap();
    for status in [v16::ChargePointStatus::Preparing, v16::ChargePointStatus::Charging] {
        cp.call(v16::StatusNotificationRequest {
            connector_id: 1,
            error_code: v16::ChargePointErrorCode::NoError,
            info: None,
            status,
            timestamp: Some(Utc::now()),
            vendor_id: None,
            vendor_error_code: None,
        })
        .await
        .unwrap();
    }
    let connectors = app.store.connectors("CP-STATUS").await.unwrap();
    assert_eq!(connectors.len(), 1);
    assert_eq!((connectors[0].evse_id, connectors[0].connector_id), (0, 1));
    assert_eq!(connectors[0].status, "Charging");
    assert_eq!(connectors[0].error_code.as_deref(), Some("NoError"));
    app.stop().await;
}

#[tokio::test]
async fn a_second_connection_replaces_the_first() {
    let app = spawn_app().await;
    app.register("CP-TWICE", None).await;
    let mut first = SimCharger::connect(Connect::new(&app.ws_url, "CP-TWICE", OcppVersion::V16)).await.unwrap();
    first.call(boot_16()).await.unwrap();
    let mut second = SimCharger::connect(Connect::new(&app.ws_url, "CP-TWICE", OcppVersion::V16)).await.unwrap();
    let close = first.closed().await.unwrap();
    assert_eq!(close.map(|f| u16::from(f.code)), Some(1008));
    // The old session's end does not evict the new one.
    second.call(v16::HeartbeatRequest {}).await.unwrap();
    assert!(app.app_hub.registry().is_connected("CP-TWICE"));
    app.stop().await;
}

#[tokio::test]
async fn bad_frames_are_answered_with_the_right_callerror_and_the_connection_stays_open() {
    let app = spawn_app().await;
    app.register("CP-BAD", None).await;
    let mut cp = SimCharger::connect(Connect::new(&app.ws_url, "CP-BAD", OcppVersion::V16)).await.unwrap();
    let cases = [
        (r#"[2,"b1","Heartbeat",{"extra":1}]"#, r#"[4,"b1","FormationViolation""#),
        (
            r#"[2,"b2","StatusNotification",{"connectorId":1,"status":"Available"}]"#,
            r#"[4,"b2","OccurenceConstraintViolation""#,
        ),
        (r#"[2,"b3","FlyToTheMoon",{}]"#, r#"[4,"b3","NotImplemented""#),
        (r#"[2,"b4","RemoteStartTransaction",{"idTag":"X"}]"#, r#"[4,"b4","NotSupported""#),
        (r#"[2,"b5","Heartbeat""#, r#"[4,"b5","FormationViolation""#),
        // Nothing in OCPP means a NUL, and PostgreSQL could never store it: refused, never retried.
        (
            r#"[2,"b6","DataTransfer",{"vendorId":"x","data":"a\u0000b"}]"#,
            r#"[4,"b6","PropertyConstraintViolation","data: a NUL character"#,
        ),
    ];
    for (frame, expected) in cases {
        cp.send_text(frame).await.unwrap();
        let reply = cp.recv_text().await.unwrap();
        assert!(reply.starts_with(expected), "{frame} → {reply}");
    }
    // Still connected and served; nothing stored for the refused frames.
    cp.call(v16::HeartbeatRequest {}).await.unwrap();
    assert!(app.store.events("CP-BAD").await.unwrap().is_empty());
    app.stop().await;
}

#[tokio::test]
async fn a_charger_sending_too_many_invalid_frames_is_disconnected_with_1008() {
    let app = spawn_app_with(|s| s.ocpp.max_invalid_frames_per_minute = 3).await;
    app.register("CP-NOISY", None).await;
    let mut cp = SimCharger::connect(Connect::new(&app.ws_url, "CP-NOISY", OcppVersion::V201)).await.unwrap();
    for i in 0..4 {
        cp.send_text(&format!(r#"[2,"n{i}","Heartbeat",{{"x":1}}]"#)).await.unwrap();
    }
    let close = cp.closed().await.unwrap();
    assert_eq!(close.map(|f| u16::from(f.code)), Some(1008));
    app.stop().await;
}

#[tokio::test]
async fn a_frame_over_the_size_limit_closes_the_connection_with_1009() {
    let app = spawn_app_with(|s| s.ocpp.max_frame_bytes = 1024).await;
    app.register("CP-BIG", None).await;
    let mut cp = SimCharger::connect(Connect::new(&app.ws_url, "CP-BIG", OcppVersion::V16)).await.unwrap();
    let big = format!(r#"[2,"big","DataTransfer",{{"vendorId":"x","data":"{}"}}]"#, "x".repeat(4096));
    cp.send_text(&big).await.unwrap();
    let close = cp.closed().await.unwrap();
    assert_eq!(close.map(|f| u16::from(f.code)), Some(1009));
    app.stop().await;
}

#[tokio::test]
async fn shutting_down_closes_every_charger_session() {
    let app = spawn_app().await;
    app.register("CP-STAY", None).await;
    let mut cp = SimCharger::connect(Connect::new(&app.ws_url, "CP-STAY", OcppVersion::V16)).await.unwrap();
    cp.call(boot_16()).await.unwrap();
    let stopping = tokio::spawn(app.stop());
    let close = cp.closed().await.unwrap();
    assert_eq!(close.map(|f| u16::from(f.code)), Some(1001));
    stopping.await.unwrap();
}

#[tokio::test]
async fn liveness_is_kept_in_memory_and_flushed_to_the_database() {
    let app = spawn_app_with(|s| s.ocpp.liveness_flush_s = 1).await;
    app.register("CP-ALIVE", None).await;
    let created = app.store.charger("CP-ALIVE").await.unwrap().unwrap().created_at;
    let mut cp = SimCharger::connect(Connect::new(&app.ws_url, "CP-ALIVE", OcppVersion::V16)).await.unwrap();
    cp.call(v16::HeartbeatRequest {}).await.unwrap();
    let in_memory = app.app_hub.registry().get("CP-ALIVE").unwrap().last_seen();
    assert!(in_memory > created);
    // The flush runs every second: wait for it (bounded), not for a fixed time.
    let mut flushed = None;
    for _ in 0..50 {
        flushed = app.store.charger("CP-ALIVE").await.unwrap().unwrap().last_seen_at;
        if flushed.is_some_and(|at| at >= in_memory - chrono::Duration::milliseconds(1)) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(flushed.unwrap() >= in_memory - chrono::Duration::milliseconds(1), "{flushed:?} < {in_memory}");
    app.stop().await;
}

#[tokio::test]
async fn a_charger_never_connected_has_no_last_seen_time_until_it_connects() {
    let app = spawn_app().await;
    let (status, made) = app.operator("POST", "/api/v1/chargers", Some(&serde_json::json!({"id": "CP-NEVER"}))).await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["lastSeenAt"], serde_json::Value::Null, "{made}");
    let (_, found) = app.operator("GET", "/api/v1/chargers/CP-NEVER", None).await;
    assert_eq!((&found["online"], &found["lastSeenAt"]), (&false.into(), &serde_json::Value::Null), "{found}");
    let (_, page) = app.operator("GET", "/api/v1/chargers", None).await;
    let listed = page["items"].as_array().and_then(|all| all.iter().find(|c| c["id"] == "CP-NEVER")).cloned();
    assert_eq!(listed.map(|c| c["lastSeenAt"].clone()), Some(serde_json::Value::Null), "{page}");

    let connecting = Utc::now() - chrono::Duration::seconds(1);
    let mut cp = SimCharger::connect(Connect::new(&app.ws_url, "CP-NEVER", OcppVersion::V16)).await.unwrap();
    cp.call(boot_16()).await.unwrap();
    let (_, found) = app.operator("GET", "/api/v1/chargers/CP-NEVER", None).await;
    let seen: chrono::DateTime<Utc> = found["lastSeenAt"].as_str().unwrap_or_default().parse().unwrap();
    assert!(seen >= connecting, "{found}");
    app.stop().await;
}
