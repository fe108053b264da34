//! RPC framing: every kind of bad frame is told apart and answered as its version prescribes;
//! frames serialise as the specification writes them; parsing never panics.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use protocol::frame::{MessageType, Outgoing};
use protocol::{
    ActionSet, CallErrorCode, Frame, FrameError, MessageId, Node, OcppVersion, Role, RpcError, SchemaRegistry,
    decode_call, decode_request, v16, v201,
};
use serde_json::{Value, json};

/// Decodes `payload` of `action` as received by `receiver`.
fn decode<A: ActionSet>(receiver: Role, action: &str, payload: &Value) -> Result<A::Request, RpcError> {
    decode_request::<A>(SchemaRegistry::global(), receiver, action, &Node::from_value(payload))
}

/// The (id, code) of a CALLERROR answer; `None` = nothing is sent.
type Reply = Option<(&'static str, &'static str)>;

/// (frame text, what 1.6 answers, what 2.0.1 answers).
const BAD_FRAMES: &[(&str, Reply, Reply)] = &[
    // Not JSON at all: nothing to answer in 1.6, id "-1" in 2.0.1.
    ("hello", None, Some(("-1", "RpcFrameworkError"))),
    // Broken JSON that still starts like a CALL: answered with its own id.
    (r#"[2, "abc-1", "Heartbeat", {"#, Some(("abc-1", "FormationViolation")), Some(("abc-1", "RpcFrameworkError"))),
    // Broken JSON that starts like a CALLRESULT: a response is never answered.
    (r#"[3, "abc-1", {"#, None, None),
    // JSON but not an array.
    (r#"{"id": "abc-1"}"#, None, Some(("-1", "RpcFrameworkError"))),
    // An empty array: no message type, no id.
    ("[]", None, Some(("-1", "RpcFrameworkError"))),
    // The message type is not a number.
    (r#"["2", "abc-2", "Heartbeat", {}]"#, Some(("abc-2", "FormationViolation")), Some(("abc-2", "RpcFrameworkError"))),
    // Unknown message type: 1.6 ignores it, 2.0.1 says MessageTypeNotSupported.
    (r#"[5, "abc-3", "Heartbeat", {}]"#, None, Some(("abc-3", "MessageTypeNotSupported"))),
    (r#"[7, 12]"#, None, Some(("-1", "MessageTypeNotSupported"))),
    // An id that is not a string, or is too long: unreadable.
    (r#"[2, 42, "Heartbeat", {}]"#, None, Some(("-1", "RpcFrameworkError"))),
    (r#"[2, "0123456789012345678901234567890123456", "Heartbeat", {}]"#, None, Some(("-1", "RpcFrameworkError"))),
    (r#"[3, 42, {}]"#, None, None),
    // Wrong arity.
    (r#"[2, "abc-4", "Heartbeat"]"#, Some(("abc-4", "FormationViolation")), Some(("abc-4", "RpcFrameworkError"))),
    (
        r#"[2, "abc-5", "Heartbeat", {}, {}]"#,
        Some(("abc-5", "FormationViolation")),
        Some(("abc-5", "RpcFrameworkError")),
    ),
    (r#"[3, "abc-6"]"#, None, None),
    (r#"[4, "abc-7", "GenericError", "x"]"#, None, None),
    // Wrong element types.
    (r#"[2, "abc-8", 17, {}]"#, Some(("abc-8", "FormationViolation")), Some(("abc-8", "RpcFrameworkError"))),
    (r#"[2, "abc-9", "Heartbeat", []]"#, Some(("abc-9", "FormationViolation")), Some(("abc-9", "FormatViolation"))),
    (r#"[3, "abc-10", "ok"]"#, None, None),
    (r#"[4, "abc-11", 1, "x", {}]"#, None, None),
    (r#"[4, "abc-12", "GenericError", "x", []]"#, None, None),
];

#[test]
fn every_bad_frame_is_answered_as_its_version_prescribes() {
    for (text, v16_reply, v201_reply) in BAD_FRAMES {
        let err = Frame::parse(text).expect_err(text);
        for (version, expected) in [(OcppVersion::V16, v16_reply), (OcppVersion::V201, v201_reply)] {
            let reply = err.reply(version);
            let got = reply.as_ref().map(|e| (e.id.as_str(), e.code.as_ref()));
            assert_eq!(got, *expected, "{version} reply to {text}: {err}");
            if let Some(reply) = reply {
                assert!(!reply.description.is_empty() && reply.description.len() < 255);
                assert_eq!(reply.details, Node::empty_object());
            }
        }
    }
}

#[test]
fn the_kinds_of_bad_frame_are_told_apart() {
    assert_eq!(Frame::parse_bytes(b"[2,\"a\",\"Heartbeat\",{}]\xff"), Err(FrameError::NotUtf8));
    assert!(matches!(Frame::parse("[2,"), Err(FrameError::NotJson { .. })));
    assert_eq!(Frame::parse("17"), Err(FrameError::NotArray));
    assert_eq!(Frame::parse(r#"[null]"#), Err(FrameError::BadMessageTypeId { id: None }));
    assert_eq!(Frame::parse(r#"[-2, "a"]"#), Err(FrameError::BadMessageTypeId { id: Some(id("a")) }));
    assert_eq!(Frame::parse(r#"[9, "a"]"#), Err(FrameError::UnknownMessageType { type_id: 9, id: Some(id("a")) }));
    assert_eq!(Frame::parse(r#"[2]"#), Err(FrameError::BadMessageId { message_type: MessageType::Call }));
    assert_eq!(
        Frame::parse(r#"[3, "a", {}, {}]"#),
        Err(FrameError::WrongArity { message_type: MessageType::CallResult, id: id("a"), len: 4 })
    );
}

#[test]
fn a_message_id_is_at_most_36_characters() {
    assert!(MessageId::parse("0123456789abcdef0123456789abcdef0123").is_ok());
    assert!(MessageId::parse("0123456789abcdef0123456789abcdef01234").is_err());
    // Characters, not bytes.
    assert!(MessageId::parse("é".repeat(36)).is_ok());
    assert!(MessageId::parse("").is_ok());
}

fn id(s: &str) -> MessageId {
    MessageId::parse(s).unwrap()
}

#[test]
fn frames_serialise_as_the_specification_writes_them() {
    let call = v16::BootNotificationRequest {
        charge_point_vendor: "VendorX".into(),
        charge_point_model: "SingleSocketCharger".into(),
        charge_point_serial_number: None,
        charge_box_serial_number: None,
        firmware_version: None,
        iccid: None,
        imsi: None,
        meter_type: None,
        meter_serial_number: None,
    };
    let text = Outgoing::Call { id: "19223201", action: "BootNotification", payload: &call }.to_text().unwrap();
    insta::assert_snapshot!("v16_boot_notification_call", text);

    let result =
        v201::HeartbeatResponse { custom_data: None, current_time: "2013-02-01T20:53:32.486Z".parse().unwrap() };
    let text = Outgoing::CallResult { id: "19223201", payload: &result }.to_text().unwrap();
    insta::assert_snapshot!("v201_heartbeat_result", text);

    let error = RpcError::new(CallErrorCode::OccurrenceConstraintViolation, "idTag: \"idTag\" is a required property");
    for version in [OcppVersion::V16, OcppVersion::V201] {
        let frame = Frame::CallError(error.to_call_error(id("162376037"), version));
        insta::assert_snapshot!(format!("call_error_{}", version.subprotocol()), frame.to_text());
    }
}

#[test]
fn the_specifications_own_examples_parse_and_decode() {
    let registry = SchemaRegistry::global();
    // OCPP-J 1.6 §4.2.1 and §4.2.2
    let Frame::Call(call) = Frame::parse(
        r#"[2, "19223201", "BootNotification", {"chargePointVendor": "VendorX", "chargePointModel": "SingleSocketCharger"}]"#,
    )
    .unwrap() else {
        panic!("not a CALL")
    };
    let request = decode_call::<v16::Action>(registry, Role::Csms, &call).unwrap();
    assert!(matches!(request, v16::Request::BootNotification(ref r) if r.charge_point_vendor == "VendorX"));
    // §4.2.2 writes this response with "heartbeatInterval", but the normative 1.6 schema names
    // the field "interval" (as every charger does); the literal example is refused, its
    // correction accepted.
    let example = r#"[3, "19223201", {"status": "Accepted", "currentTime": "2013-02-01T20:53:32.486Z", "heartbeatInterval": 300}]"#;
    let Frame::CallResult(result) = Frame::parse(example).unwrap() else { panic!("not a CALLRESULT") };
    let err = v16::Response::from_result(v16::Action::BootNotification, &result.payload).unwrap_err();
    assert_eq!(err.code.as_str(OcppVersion::V16), "FormationViolation", "{}", err.description);
    let corrected = example.replace("heartbeatInterval", "interval");
    let Frame::CallResult(result) = Frame::parse(&corrected).unwrap() else { panic!("not a CALLRESULT") };
    let response = v16::Response::from_result(v16::Action::BootNotification, &result.payload).unwrap();
    assert!(matches!(response, v16::Response::BootNotification(ref r) if r.interval == 300));
    // OCPP-J 1.6 §4.2.3
    let Frame::CallError(error) =
        Frame::parse(r#"[4, "162376037", "NotSupported", "SetDisplayMessageReq not implemented", {}]"#).unwrap()
    else {
        panic!("not a CALLERROR")
    };
    assert_eq!(error.error_code(OcppVersion::V16), Some(CallErrorCode::NotSupported));

    // OCPP 2.0.1 Part 4 §4.2
    let Frame::Call(call) = Frame::parse(
        r#"[2, "19223201", "BootNotification", {"reason": "PowerUp", "chargingStation": {"model": "SingleSocketCharger", "vendorName": "VendorX"}}]"#,
    )
    .unwrap() else {
        panic!("not a CALL")
    };
    let request = decode_call::<v201::Action>(registry, Role::Csms, &call).unwrap();
    assert!(
        matches!(request, v201::Request::BootNotification(ref r) if r.charging_station.model == "SingleSocketCharger")
    );
    let Frame::CallResult(result) = Frame::parse(
        r#"[3, "19223201", {"currentTime": "2013-02-01T20:53:32.486Z", "interval": 300, "status": "Accepted"}]"#,
    )
    .unwrap() else {
        panic!("not a CALLRESULT")
    };
    assert!(v201::Response::from_result(v201::Action::BootNotification, &result.payload).is_ok());
}

#[test]
fn an_unknown_action_is_not_implemented_and_a_wrong_direction_not_supported() {
    let err = decode::<v16::Action>(Role::Csms, "FlyToTheMoon", &json!({})).unwrap_err();
    assert_eq!(err.code.as_str(OcppVersion::V16), "NotImplemented");
    // Action names are case-sensitive.
    let err = decode::<v16::Action>(Role::Csms, "heartbeat", &json!({})).unwrap_err();
    assert_eq!(err.code, CallErrorCode::NotImplemented);
    // A charger sending a CSMS-initiated action ...
    let payload = json!({"idTag": "04A1B2C3D4E5F6"});
    let err = decode::<v16::Action>(Role::Csms, "RemoteStartTransaction", &payload).unwrap_err();
    assert_eq!(err.code.as_str(OcppVersion::V16), "NotSupported");
    // ... which the charger itself takes.
    assert!(decode::<v16::Action>(Role::ChargingStation, "RemoteStartTransaction", &payload).is_ok());
    // The CSMS sending a charger-initiated action.
    let err = decode::<v201::Action>(Role::ChargingStation, "Heartbeat", &json!({})).unwrap_err();
    assert_eq!(err.code.as_str(OcppVersion::V201), "NotSupported");
    // DataTransfer goes both ways.
    let payload = json!({"vendorId": "com.example"});
    for receiver in [Role::Csms, Role::ChargingStation] {
        assert!(decode::<v201::Action>(receiver, "DataTransfer", &payload).is_ok());
    }
}

#[test]
fn schema_violations_describe_the_field_path() {
    let cases = [
        (
            r#"{"connectorId": 1, "meterValue": [{"timestamp": "2026-11-25T10:15:30Z", "sampledValue": [{"value": "1"}, {"value": "2", "unit": "Hz"}]}]}"#,
            "MeterValues",
        ),
        (r#"{"connectorId": 1, "meterValue": [{"sampledValue": [{"value": "1"}]}]}"#, "MeterValues"),
        (
            r#"{"connectorId": "one", "meterValue": [{"timestamp": "2026-11-25T10:15:30Z", "sampledValue": [{"value": "1"}]}]}"#,
            "MeterValues",
        ),
        (r#"{"idTag": "04A1B2C3D4E5F6", "extra": true}"#, "Authorize"),
        (r#"{"idTag": "04A1B2C3D4E5F6-TOO-LONG-FOR-OCPP"}"#, "Authorize"),
        (r#"{"connectorId": 1, "idTag": "A", "meterStart": 0, "timestamp": "2026-11-25 10:15"}"#, "StartTransaction"),
    ];
    let described: Vec<String> = cases
        .iter()
        .map(|(payload, action)| {
            let payload: Value = serde_json::from_str(payload).unwrap();
            let err = decode::<v16::Action>(Role::Csms, action, &payload).unwrap_err();
            format!("{} | {}", err.code.as_str(OcppVersion::V16), err.description)
        })
        .collect();
    insta::assert_snapshot!("v16_violation_descriptions", described.join("\n"));
}

#[test]
fn a_long_description_is_cut_below_255_characters_on_a_character_boundary() {
    let error = RpcError::new(CallErrorCode::GenericError, "é".repeat(300));
    assert!(error.description.len() <= 254);
    assert!(error.description.chars().all(|c| c == 'é'));
    let frame = error.to_call_error(id("x"), OcppVersion::V201);
    assert_eq!(frame.details, Node::empty_object());
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn payload() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            "[a-zA-Z0-9 .:é\"\\\\-]{0,12}".prop_map(serde_json::Value::from),
        ];
        let value = leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
                prop::collection::btree_map("[a-zA-Z]{1,8}", inner, 0..4)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        });
        prop::collection::btree_map("[a-zA-Z]{1,8}", value, 0..5)
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect()))
    }

    fn frame() -> impl Strategy<Value = Frame<'static>> {
        let id = "[ -~]{0,36}".prop_map(|s| MessageId::parse(s).unwrap());
        let tree = |v: serde_json::Value| Node::from_value(&v).into_owned();
        prop_oneof![
            (id.clone(), "[A-Za-z0-9]{1,30}", payload()).prop_map(move |(id, action, payload)| {
                Frame::Call(protocol::Call { id, action: action.into(), payload: tree(payload) })
            }),
            (id.clone(), payload())
                .prop_map(move |(id, payload)| Frame::CallResult(protocol::CallResult { id, payload: tree(payload) })),
            (id, "[A-Za-z]{0,30}", ".{0,40}", payload()).prop_map(move |(id, code, description, details)| {
                Frame::CallError(protocol::CallError {
                    id,
                    code: code.into(),
                    description: description.into(),
                    details: tree(details),
                })
            }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn parsing_never_panics_on_any_text(text in ".{0,200}") {
            let _ = Frame::parse(&text);
        }

        #[test]
        fn parsing_never_panics_on_frame_shaped_text(text in r#"\[[0-9 ,"a-z{}\[\]:-]{0,60}\]?"#) {
            if let Err(e) = Frame::parse(&text) {
                for version in [OcppVersion::V16, OcppVersion::V201] {
                    if let Some(reply) = e.reply(version) {
                        prop_assert!(reply.description.len() < 255);
                    }
                }
            }
        }

        #[test]
        fn valid_frames_round_trip(frame in frame()) {
            let text = frame.to_text();
            prop_assert_eq!(Frame::parse(&text), Ok(frame));
        }
    }
}

#[test]
fn a_typed_request_is_written_as_its_payload_alone() {
    let request = v16::Request::from(v16::ResetRequest { r#type: v16::ResetType::Soft });
    let text = Outgoing::Call { id: "7", action: "Reset", payload: &request }.to_text().unwrap();
    assert_eq!(text, r#"[2,"7","Reset",{"type":"Soft"}]"#);
}
