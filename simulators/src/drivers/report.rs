//! What the drivers measured: per timed phase, orders completed per second, errors by kind,
//! latency per REST call and of the whole order, how far the CSMS's follower lagged, and the
//! cores each process used.

use crate::cpu::CoresUsed;
use crate::fleet::Latency;
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// The REST calls of an order, timed one by one; and `order`: create → COMPLETED seen;
/// `charging` and `completed`: from the charger's StartTransaction (StopTransaction) answered to
/// the order seen CHARGING (COMPLETED), the charger's next messages sent meanwhile — how far the
/// CSMS's follower of charger events lags; `ocpp`: the chargers' own calls during the flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Call {
    Create,
    Pay,
    Start,
    Stop,
    Get,
    Cancel,
    Order,
    Charging,
    Completed,
    Ocpp,
}

impl Call {
    const ALL: [Call; 10] = [
        Call::Create,
        Call::Pay,
        Call::Start,
        Call::Stop,
        Call::Get,
        Call::Cancel,
        Call::Order,
        Call::Charging,
        Call::Completed,
        Call::Ocpp,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Call::Create => "create",
            Call::Pay => "pay",
            Call::Start => "start",
            Call::Stop => "stop",
            Call::Get => "get",
            Call::Cancel => "cancel",
            Call::Order => "order",
            Call::Charging => "charging",
            Call::Completed => "completed",
            Call::Ocpp => "ocpp",
        }
    }
}

/// What the drivers measured: the setup, then each timed phase.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub drivers: usize,
    /// Drivers whose setup succeeded (they drove).
    pub ready: usize,
    pub setup_seconds: f64,
    pub setup_errors: BTreeMap<String, usize>,
    pub phases: Vec<PhaseReport>,
}

/// One timed phase.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhaseReport {
    /// `max` (orders back to back) or the pace, e.g. `200/s`.
    pub rate: String,
    /// The orders per second asked for (none: back to back).
    pub target_orders_per_second: Option<f64>,
    pub seconds: f64,
    /// Orders COMPLETED within the phase.
    pub orders: usize,
    pub orders_per_second: f64,
    /// Status polls (GET of an order) within the phase, and per completed order.
    pub polls: usize,
    pub polls_per_order: f64,
    pub errors: usize,
    pub errors_by_kind: BTreeMap<String, usize>,
    /// Cores used in the phase by the CSMS, PostgreSQL and the simulator.
    pub cores: CoresUsed,
    /// Per call (create, pay, start, stop, get, cancel), the whole order, the follower's lag
    /// (charging, completed) and the chargers' calls (ocpp).
    pub latency_ms: BTreeMap<String, CallLatency>,
}

/// One call's count and latency percentiles.
#[derive(Debug, Clone, Serialize)]
pub struct CallLatency {
    pub calls: usize,
    #[serde(flatten)]
    pub latency: Latency,
}

/// What drivers measured in a phase: latencies (µs) per call, orders completed, errors by kind.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    latencies: BTreeMap<Call, Vec<u32>>,
    pub(crate) orders: usize,
    errors: BTreeMap<String, usize>,
}

impl Tally {
    pub(crate) fn add(&mut self, call: Call, took: Duration) {
        let micros = u32::try_from(took.as_micros()).unwrap_or(u32::MAX);
        self.latencies.entry(call).or_default().push(micros);
    }

    pub(crate) fn error(&mut self, kind: String) {
        *self.errors.entry(kind).or_default() += 1;
    }

    /// Adds another driver's tally to this one.
    pub(crate) fn merge(&mut self, other: Tally) {
        self.orders += other.orders;
        for (call, mut took) in other.latencies {
            self.latencies.entry(call).or_default().append(&mut took);
        }
        for (kind, count) in other.errors {
            *self.errors.entry(kind).or_default() += count;
        }
    }

    /// The phase's report.
    pub(crate) fn report(mut self, rate: Option<f64>, seconds: f64, cores: CoresUsed) -> PhaseReport {
        let polls = self.latencies.get(&Call::Get).map_or(0, Vec::len);
        let latency_ms = Call::ALL
            .iter()
            .filter_map(|call| {
                let mut took = self.latencies.remove(call)?;
                took.sort_unstable();
                Some((call.name().to_owned(), CallLatency { calls: took.len(), latency: Latency::of(&took) }))
            })
            .collect();
        PhaseReport {
            rate: rate.map_or_else(|| "max".to_owned(), |r| format!("{r:.0}/s")),
            target_orders_per_second: rate,
            seconds,
            orders: self.orders,
            orders_per_second: self.orders as f64 / seconds.max(f64::EPSILON),
            polls,
            polls_per_order: polls as f64 / self.orders.max(1) as f64,
            errors: self.errors.values().sum(),
            errors_by_kind: self.errors,
            cores,
            latency_ms,
        }
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "drivers           {} ({} set up in {:.1} s)", self.drivers, self.ready, self.setup_seconds)?;
        for (kind, count) in &self.setup_errors {
            write!(f, "\n  setup error     {count} × {kind}")?;
        }
        for phase in &self.phases {
            write!(f, "\n{phase}")?;
        }
        Ok(())
    }
}

impl std::fmt::Display for PhaseReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "phase             {} orders", self.rate)?;
        writeln!(
            f,
            "orders            {} completed in {:.1} s: {:.1}/s",
            self.orders, self.seconds, self.orders_per_second
        )?;
        writeln!(f, "polls             {} ({:.1} per order)", self.polls, self.polls_per_order)?;
        writeln!(f, "errors            {}", self.errors)?;
        for (kind, count) in &self.errors_by_kind {
            writeln!(f, "  {count:>6} × {kind}")?;
        }
        let c = &self.cores;
        writeln!(f, "cores             csms {:.2}, postgres {:.2}, simulator {:.2}", c.csms, c.postgres, c.simulator)?;
        write!(f, "latency ms")?;
        for call in Call::ALL {
            if let Some(c) = self.latency_ms.get(call.name()) {
                write!(f, "\n  {:<9} {:>7} calls  {}", call.name(), c.calls, c.latency)?;
            }
        }
        Ok(())
    }
}
