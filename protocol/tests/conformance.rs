//! The conformance table: every action of both versions, from `tests/fixtures/<version>/`.
//! Valid payloads validate and round-trip through the typed structs unchanged; each invalid
//! payload earns its error class's CALLERROR code in the version's own spelling, with a
//! description that names the offending field.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use protocol::Node;
use protocol::{
    ActionSet, CallErrorCode, MessageKind, OcppVersion, Payload, RpcError, SchemaRegistry, decode_payload,
    decode_response, v16, v201,
};
use serde_json::Value;
use std::path::PathBuf;

/// The spelling each error class must have, per version (written out here, independently of
/// `CallErrorCode::as_str`).
fn expected_code(class: &str, version: OcppVersion) -> &'static str {
    match (class, version) {
        ("format", OcppVersion::V16) => "FormationViolation",
        ("format", OcppVersion::V201) => "FormatViolation",
        ("occurrence", OcppVersion::V16) => "OccurenceConstraintViolation",
        ("occurrence", OcppVersion::V201) => "OccurrenceConstraintViolation",
        ("type", _) => "TypeConstraintViolation",
        ("property", _) => "PropertyConstraintViolation",
        _ => panic!("unknown error class {class}"),
    }
}

const CLASSES: [&str; 4] = ["format", "occurrence", "type", "property"];

fn fixture(version: OcppVersion, action: &str) -> Value {
    let folder = match version {
        OcppVersion::V16 => "ocpp1.6",
        OcppVersion::V201 => "ocpp2.0.1",
    };
    let path: PathBuf =
        [env!("CARGO_MANIFEST_DIR"), "tests", "fixtures", folder, &format!("{action}.json")].iter().collect();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// Decodes `payload` the way a frame's payload is decoded: from text, through the borrowed tree.
fn decode<A: ActionSet>(action: A, kind: MessageKind, payload: Value) -> Result<Value, RpcError> {
    let registry = SchemaRegistry::global();
    let text = payload.to_string();
    let payload = Node::parse(&text).unwrap();
    match kind {
        MessageKind::Request => decode_payload::<A>(registry, action.as_str(), &payload).map(|r| r.to_value().unwrap()),
        MessageKind::Response => decode_response(registry, action, &payload).map(|r| r.to_value().unwrap()),
    }
}

/// Keywords whose violation is a PropertyConstraintViolation.
fn has_property_constraint(schema: &Value) -> bool {
    match schema {
        Value::Object(map) => {
            map.keys().any(|k| {
                ["enum", "maxLength", "minLength", "minimum", "maximum", "format", "multipleOf", "pattern"]
                    .contains(&k.as_str())
            }) || map.values().any(has_property_constraint)
        }
        Value::Array(items) => items.iter().any(has_property_constraint),
        _ => false,
    }
}

fn check_version<A: ActionSet>() -> usize {
    let version = A::VERSION;
    let mut checked = 0;
    for &action in A::ALL {
        let fx = fixture(version, action.as_str());
        assert_eq!(fx["action"], action.as_str());
        for (key, kind) in [
            ("request", MessageKind::Request),
            ("requestMinimal", MessageKind::Request),
            ("response", MessageKind::Response),
            ("responseMinimal", MessageKind::Response),
        ] {
            let payload = fx[key].clone();
            let back = decode(action, kind, payload.clone())
                .unwrap_or_else(|e| panic!("{version} {action} {key} is valid but was refused: {e}"));
            assert_eq!(back, payload, "{version} {action} {key} changed in the round trip");
            checked += 1;
        }

        let mut covered = Vec::new();
        for case in fx["invalid"].as_array().unwrap() {
            let class = case["class"].as_str().unwrap();
            let path = case["path"].as_str().unwrap();
            let kind = match case["message"].as_str().unwrap() {
                "request" => MessageKind::Request,
                _ => MessageKind::Response,
            };
            let err = decode(action, kind, case["payload"].clone())
                .expect_err(&format!("{version} {action} {class} fault at {path} was accepted"));
            assert_eq!(
                err.code.as_str(version),
                expected_code(class, version),
                "{version} {action} {class} fault at {path}: {}",
                err.description
            );
            assert!(
                err.description.starts_with(&format!("{path}: ")),
                "{version} {action}: description {:?} does not name {path}",
                err.description
            );
            assert!(err.description.chars().count() < 255);
            covered.push(class);
            checked += 1;
        }
        for class in CLASSES {
            if covered.contains(&class) {
                continue;
            }
            let not_applicable = fx["notApplicable"].as_array().unwrap();
            assert!(not_applicable.contains(&Value::from(class)), "{version} {action}: no {class} fault");
            // The claim must be true: neither schema may have a constraint of that class.
            assert_eq!(class, "property", "only property faults can be impossible");
            for kind in [MessageKind::Request, MessageKind::Response] {
                let schema: Value = serde_json::from_str(action.schema(kind)).unwrap();
                assert!(!has_property_constraint(&schema), "{version} {action}: a property fault is possible");
            }
        }
    }
    checked
}

#[test]
fn every_ocpp16_action_validates_round_trips_and_maps_each_fault_to_its_code() {
    assert_eq!(v16::Action::ALL.len(), 39);
    let checked = check_version::<v16::Action>();
    assert!(checked >= 39 * 7, "only {checked} cases");
}

#[test]
fn every_ocpp201_action_validates_round_trips_and_maps_each_fault_to_its_code() {
    assert_eq!(v201::Action::ALL.len(), 64);
    let checked = check_version::<v201::Action>();
    assert!(checked >= 64 * 8, "only {checked} cases");
}

#[test]
fn every_fixture_file_belongs_to_an_action() {
    for (folder, count) in [("ocpp1.6", 39), ("ocpp2.0.1", 64)] {
        let dir: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "fixtures", folder].iter().collect();
        assert_eq!(std::fs::read_dir(dir).unwrap().count(), count, "{folder}");
    }
}

#[test]
fn a_known_action_the_schema_admits_but_the_type_cannot_hold_is_a_type_violation() {
    // JSON Schema "integer" has no bound; OCPP integers are 32-bit.
    let payload = serde_json::json!({"connectorId": 5_000_000_000u64, "type": "Operative"});
    let err = decode(v16::Action::ChangeAvailability, MessageKind::Request, payload).unwrap_err();
    assert_eq!(err.code, CallErrorCode::TypeConstraintViolation);
}

#[test]
fn an_integral_float_is_an_integer_in_201_and_a_type_violation_in_16() {
    // Draft-06 counts 1.0 as an integer, draft-04 does not.
    let payload = serde_json::json!({"evseId": 1.0, "connectorId": 2, "connectorStatus": "Available",
        "timestamp": "2026-11-25T10:15:30Z"});
    let back = decode(v201::Action::StatusNotification, MessageKind::Request, payload).unwrap();
    assert_eq!(back["evseId"], 1);
    let payload = serde_json::json!({"connectorId": 1.0, "errorCode": "NoError", "status": "Available"});
    let err = decode(v16::Action::StatusNotification, MessageKind::Request, payload).unwrap_err();
    assert_eq!(err.code, CallErrorCode::TypeConstraintViolation);
}

// The OCA errata taken into `schemas/` (see schemas/README.md).

#[test]
fn a_16_sampled_value_may_be_in_hertz_in_meter_values_and_in_a_stop_transaction() {
    let sampled = serde_json::json!([{"timestamp": "2026-11-25T10:15:30Z",
        "sampledValue": [{"value": "49.98", "measurand": "Frequency", "unit": "Hertz"}]}]);
    let meter_values = serde_json::json!({"connectorId": 1, "meterValue": sampled});
    let back = decode(v16::Action::MeterValues, MessageKind::Request, meter_values.clone()).unwrap();
    assert_eq!(back, meter_values);
    let stop = serde_json::json!({"meterStop": 1234, "timestamp": "2026-11-25T10:15:30Z", "transactionId": 7,
        "transactionData": sampled});
    let back = decode(v16::Action::StopTransaction, MessageKind::Request, stop.clone()).unwrap();
    assert_eq!(back, stop);
}

#[test]
fn a_16_meter_values_with_no_meter_value_or_no_sampled_value_is_an_occurrence_violation() {
    let empty_list = serde_json::json!({"connectorId": 1, "meterValue": []});
    let empty_sample = serde_json::json!({"connectorId": 1,
        "meterValue": [{"timestamp": "2026-11-25T10:15:30Z", "sampledValue": []}]});
    for (payload, field) in [(empty_list, "meterValue"), (empty_sample, "meterValue[0].sampledValue")] {
        let err = decode(v16::Action::MeterValues, MessageKind::Request, payload).unwrap_err();
        assert_eq!(err.code.as_str(OcppVersion::V16), "OccurenceConstraintViolation", "{}", err.description);
        assert!(err.description.starts_with(&format!("{field}: ")), "{}", err.description);
    }
}

#[test]
fn a_201_exi_response_holds_7500_characters_and_not_one_more() {
    let response = |length: usize| serde_json::json!({"status": "Accepted", "exiResponse": "A".repeat(length)});
    for length in [7000, 7500] {
        let back = decode(v201::Action::Get15118EVCertificate, MessageKind::Response, response(length)).unwrap();
        assert_eq!(back["exiResponse"].as_str().map(str::len), Some(length));
    }
    let err = decode(v201::Action::Get15118EVCertificate, MessageKind::Response, response(7501)).unwrap_err();
    assert_eq!(err.code, CallErrorCode::PropertyConstraintViolation);
    assert!(err.description.starts_with("exiResponse: "), "{}", err.description);
}
