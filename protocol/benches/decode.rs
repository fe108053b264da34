//! Decoding cost of the two busiest charger messages: parse + schema check + typed payload,
//! against a bare `serde_json::from_str` of the same text into the same struct (the floor).
//!
//! `cargo bench -p protocol` — compare `pipeline` with `bare` within one run.

#![allow(clippy::unwrap_used)] // a benchmark input that does not decode is a broken benchmark

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use protocol::{Frame, Role, SchemaRegistry, decode_call, v16, v201};
use std::hint::black_box;

#[path = "support/samples.rs"]
mod samples;
use samples::{meter_values_16, transaction_event_201};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    group.bench_function("stage_parse_frame", |b| {
        b.iter(|| black_box(Frame::parse(black_box(&text))))
    });
    let Ok(Frame::Call(call)) = Frame::parse(&text) else {
        panic!("not a CALL")
    };
    group.bench_function("stage_validate", |b| {
        let validator = registry.validator(
            v201::Action::TransactionEvent,
            protocol::MessageKind::Request,
        );
        b.iter(|| black_box(validator.is_valid(black_box(&call.payload))))
    });
    group.bench_function("stage_typed_from_tree", |b| {
        b.iter(|| {
            black_box(black_box(&call.payload).deserialize_into::<v201::TransactionEventRequest>())
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
