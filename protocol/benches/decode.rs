//! Decoding cost of the two busiest charger messages: parse + schema check + typed payload,
//! against a bare `serde_json::from_str` of the same text into the same struct (the floor).
//!
//! `cargo bench -p protocol` — compare `pipeline` with `bare` within one run.

#![allow(clippy::unwrap_used)] // a benchmark input that does not decode is a broken benchmark

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use protocol::{Frame, Role, SchemaRegistry, decode_call, v16, v201};
use std::hint::black_box;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn sampled_values_16() -> String {
    let measurands = [
        ("Energy.Active.Import.Register", "Wh", "123456.7", None),
        ("Power.Active.Import", "W", "7364.5", None),
        ("Current.Import", "A", "31.8", Some("L1")),
        ("Current.Import", "A", "31.7", Some("L2")),
        ("Current.Import", "A", "31.9", Some("L3")),
        ("Voltage", "V", "231.2", Some("L1-N")),
        ("Voltage", "V", "230.8", Some("L2-N")),
        ("Voltage", "V", "229.9", Some("L3-N")),
        ("Temperature", "Celsius", "41.5", None),
        ("SoC", "Percent", "63", None),
    ];
    measurands
        .iter()
        .map(|(m, unit, value, phase)| {
            let phase = phase.map(|p| format!(r#","phase":"{p}""#)).unwrap_or_default();
            format!(
                r#"{{"value":"{value}","context":"Sample.Periodic","format":"Raw","measurand":"{m}","location":"Outlet","unit":"{unit}"{phase}}}"#
            )
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn meter_values_16() -> String {
    format!(
        r#"[2,"a3f1c2d4-5e6f-4a1b-9c8d-7e6f5a4b3c2d","MeterValues",{{"connectorId":1,"transactionId":4711,"meterValue":[{{"timestamp":"2026-11-25T10:15:30.123Z","sampledValue":[{}]}}]}}]"#,
        sampled_values_16()
    )
}

fn transaction_event_201() -> String {
    let measurands = [
        ("Energy.Active.Import.Register", "Wh", "123456.7", None),
        ("Power.Active.Import", "W", "7364.5", None),
        ("Current.Import", "A", "31.8", Some("L1")),
        ("Current.Import", "A", "31.7", Some("L2")),
        ("Current.Import", "A", "31.9", Some("L3")),
        ("Voltage", "V", "231.2", Some("L1-N")),
        ("Voltage", "V", "230.8", Some("L2-N")),
        ("Voltage", "V", "229.9", Some("L3-N")),
        ("Power.Offered", "W", "11000", None),
        ("SoC", "Percent", "63", None),
    ];
    let values = measurands
        .iter()
        .map(|(m, unit, value, phase)| {
            let phase = phase.map(|p| format!(r#","phase":"{p}""#)).unwrap_or_default();
            format!(
                r#"{{"value":{value},"context":"Sample.Periodic","measurand":"{m}","location":"Outlet","unitOfMeasure":{{"unit":"{unit}"}}{phase}}}"#
            )
        })
        .collect::<Vec<_>>()
        .join(",");
    format!(
        r#"[2,"a3f1c2d4-5e6f-4a1b-9c8d-7e6f5a4b3c2d","TransactionEvent",{{"eventType":"Updated","timestamp":"2026-11-25T10:15:30.123Z","triggerReason":"MeterValuePeriodic","seqNo":17,"transactionInfo":{{"transactionId":"TX-2026-000004711","chargingState":"Charging"}},"evse":{{"id":1,"connectorId":1}},"meterValue":[{{"timestamp":"2026-11-25T10:15:30.123Z","sampledValue":[{values}]}}]}}]"#
    )
}

fn bench(c: &mut Criterion) {
    let registry = SchemaRegistry::global();

    let text = meter_values_16();
    let mut group = c.benchmark_group("v16_meter_values_10_samples");
    group.throughput(Throughput::Elements(1));
    group.bench_function("pipeline", |b| {
        b.iter(|| {
            let Ok(Frame::Call(call)) = Frame::parse(black_box(&text)) else {
                panic!("not a CALL")
            };
            let request = decode_call::<v16::Action>(registry, Role::Csms, &call).expect("valid");
            black_box(request)
        })
    });
    group.bench_function("stage_parse_frame", |b| {
        b.iter(|| black_box(Frame::parse(black_box(&text))))
    });
    let Ok(Frame::Call(call)) = Frame::parse(&text) else {
        panic!("not a CALL")
    };
    group.bench_function("stage_validate", |b| {
        let validator =
            registry.validator(v16::Action::MeterValues, protocol::MessageKind::Request);
        b.iter(|| black_box(validator.is_valid(black_box(&call.payload))))
    });
    group.bench_function("stage_typed_from_tree", |b| {
        b.iter(|| black_box(black_box(&call.payload).deserialize_into::<v16::MeterValuesRequest>()))
    });
    group.bench_function("bare", |b| {
        b.iter(|| {
            let frame: (u8, &str, &str, v16::MeterValuesRequest) =
                serde_json::from_str(black_box(&text)).expect("valid");
            black_box(frame)
        })
    });
    group.finish();

    let text = transaction_event_201();
    let mut group = c.benchmark_group("v201_transaction_event_10_samples");
    group.throughput(Throughput::Elements(1));
    group.bench_function("pipeline", |b| {
        b.iter(|| {
            let Ok(Frame::Call(call)) = Frame::parse(black_box(&text)) else {
                panic!("not a CALL")
            };
            let request = decode_call::<v201::Action>(registry, Role::Csms, &call).expect("valid");
            black_box(request)
        })
    });
    group.bench_function("bare", |b| {
        b.iter(|| {
            let frame: (u8, &str, &str, v201::TransactionEventRequest) =
                serde_json::from_str(black_box(&text)).expect("valid");
            black_box(frame)
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
