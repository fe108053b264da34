//! The frames the decoding benchmark and `examples/decode_cost.rs` measure: the two busiest
//! charger messages, each carrying ten sampled values of a three-phase AC session.

/// (measurand, unit, value, phase) of a three-phase AC session; the tenth sample differs per
/// version (1.6 reports temperature, which 2.0.1 has no measurand for).
const SAMPLES: [(&str, &str, &str, Option<&str>); 9] = [
    ("Energy.Active.Import.Register", "Wh", "123456.7", None),
    ("Power.Active.Import", "W", "7364.5", None),
    ("Current.Import", "A", "31.8", Some("L1")),
    ("Current.Import", "A", "31.7", Some("L2")),
    ("Current.Import", "A", "31.9", Some("L3")),
    ("Voltage", "V", "231.2", Some("L1-N")),
    ("Voltage", "V", "230.8", Some("L2-N")),
    ("Voltage", "V", "229.9", Some("L3-N")),
    ("SoC", "Percent", "63", None),
];

/// The sampled values, each written by `write(measurand, unit, value, phase member)`.
fn sampled_values(last: (&str, &str, &str), write: impl Fn(&str, &str, &str, &str) -> String) -> String {
    SAMPLES
        .iter()
        .map(|&(m, unit, value, phase)| (m, unit, value, phase.map(|p| format!(r#","phase":"{p}""#))))
        .chain([(last.0, last.1, last.2, None)])
        .map(|(m, unit, value, phase)| write(m, unit, value, &phase.unwrap_or_default()))
        .collect::<Vec<_>>()
        .join(",")
}

/// A 1.6 MeterValues CALL.
pub(crate) fn meter_values_16() -> String {
    let values = sampled_values(("Temperature", "Celsius", "41.5"), |m, unit, value, phase| {
        format!(
            r#"{{"value":"{value}","context":"Sample.Periodic","format":"Raw","measurand":"{m}","location":"Outlet","unit":"{unit}"{phase}}}"#
        )
    });
    format!(
        r#"[2,"a3f1c2d4-5e6f-4a1b-9c8d-7e6f5a4b3c2d","MeterValues",{{"connectorId":1,"transactionId":4711,"meterValue":[{{"timestamp":"2026-11-25T10:15:30.123Z","sampledValue":[{values}]}}]}}]"#
    )
}

/// A 2.0.1 TransactionEvent (Updated) CALL.
pub(crate) fn transaction_event_201() -> String {
    let values = sampled_values(("Power.Offered", "W", "11000"), |m, unit, value, phase| {
        format!(
            r#"{{"value":{value},"context":"Sample.Periodic","measurand":"{m}","location":"Outlet","unitOfMeasure":{{"unit":"{unit}"}}{phase}}}"#
        )
    });
    format!(
        r#"[2,"a3f1c2d4-5e6f-4a1b-9c8d-7e6f5a4b3c2d","TransactionEvent",{{"eventType":"Updated","timestamp":"2026-11-25T10:15:30.123Z","triggerReason":"MeterValuePeriodic","seqNo":17,"transactionInfo":{{"transactionId":"TX-2026-000004711","chargingState":"Charging"}},"evse":{{"id":1,"connectorId":1}},"meterValue":[{{"timestamp":"2026-11-25T10:15:30.123Z","sampledValue":[{values}]}}]}}]"#
    )
}

/// The whole pipeline: parse, schema check, typed request.
pub(crate) fn pipeline<A: protocol::ActionSet>(registry: &protocol::SchemaRegistry, text: &str) -> A::Request {
    let Ok(protocol::Frame::Call(call)) = protocol::Frame::parse(text) else { panic!("not a CALL") };
    protocol::decode_call::<A>(registry, protocol::Role::Csms, &call).expect("a valid frame")
}

/// The floor: serde_json straight from the text into the same struct, no checks.
pub(crate) fn bare<T: serde::de::DeserializeOwned>(text: &str) -> (u8, &str, &str, T) {
    serde_json::from_str(text).expect("a valid frame")
}
