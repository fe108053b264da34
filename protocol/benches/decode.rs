//! Decoding cost of the two busiest charger messages: parse + schema check + typed payload,
//! against a bare `serde_json::from_str` of the same text into the same struct (the floor).
//!
//! `cargo bench -p protocol` — compare `pipeline` with `bare` within one run.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use protocol::{ActionSet, Frame, MessageKind, SchemaRegistry, v16, v201};
use serde::de::DeserializeOwned;
use std::hint::black_box;

#[path = "support/samples.rs"]
mod samples;
use samples::{bare, meter_values_16, pipeline, transaction_event_201};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// One message: the whole pipeline, each of its stages, and the bare floor.
fn group<A: ActionSet, T: DeserializeOwned>(c: &mut Criterion, name: &str, text: &str, action: A) {
    let registry = SchemaRegistry::global();
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(1));
    group.bench_function("pipeline", |b| b.iter(|| black_box(pipeline::<A>(registry, black_box(text)))));
    group.bench_function("stage_parse_frame", |b| b.iter(|| black_box(Frame::parse(black_box(text)))));
    let Ok(Frame::Call(call)) = Frame::parse(text) else { panic!("not a CALL") };
    let validator = registry.validator(action, MessageKind::Request);
    group.bench_function("stage_validate", |b| b.iter(|| black_box(validator.is_valid(black_box(&call.payload)))));
    group.bench_function("stage_typed_from_tree", |b| {
        b.iter(|| black_box(black_box(&call.payload).deserialize_into::<T>()))
    });
    group.bench_function("bare", |b| b.iter(|| black_box(bare::<T>(black_box(text)))));
    group.finish();
}

fn bench(c: &mut Criterion) {
    group::<_, v16::MeterValuesRequest>(c, "v16_meter_values_10_samples", &meter_values_16(), v16::Action::MeterValues);
    group::<_, v201::TransactionEventRequest>(
        c,
        "v201_transaction_event_10_samples",
        &transaction_event_201(),
        v201::Action::TransactionEvent,
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
