//! Decodes one benchmark frame N times by one path, for instruction counts that do not depend
//! on how busy the machine is:
//!
//!     cargo build --release -p protocol --example decode_cost
//!     valgrind --tool=callgrind target/release/examples/decode_cost v16 pipeline 10000
//!
//! Compare the totals of `pipeline` and `bare` (bare `serde_json::from_str` into the same struct).

#![allow(clippy::unwrap_used)] // a benchmark input that does not decode is a broken benchmark

#[path = "../benches/support/samples.rs"]
mod samples;

use protocol::{SchemaRegistry, v16, v201};
use std::hint::black_box;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (version, path) = (args.get(1).map(String::as_str), args.get(2).map(String::as_str));
    let count: usize = args.get(3).and_then(|n| n.parse().ok()).unwrap_or(10_000);
    let registry = SchemaRegistry::global();
    let text = match version {
        Some("v16") => samples::meter_values_16(),
        Some("v201") => samples::transaction_event_201(),
        _ => panic!("usage: decode_cost v16|v201 pipeline|bare|none [count]"),
    };
    for _ in 0..count {
        match (version, path) {
            (Some("v16"), Some("pipeline")) => {
                black_box(samples::pipeline::<v16::Action>(registry, black_box(&text)));
            }
            (Some("v16"), Some("bare")) => {
                black_box(samples::bare::<v16::MeterValuesRequest>(black_box(&text)));
            }
            (Some("v201"), Some("pipeline")) => {
                black_box(samples::pipeline::<v201::Action>(registry, black_box(&text)));
            }
            (Some("v201"), Some("bare")) => {
                black_box(samples::bare::<v201::TransactionEventRequest>(black_box(&text)));
            }
            // The fixed cost of the program (schema compilation, start-up), to subtract.
            (_, Some("none")) => {}
            _ => panic!("usage: decode_cost v16|v201 pipeline|bare|none [count]"),
        }
    }
}
