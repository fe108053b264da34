//! A fleet of simulated chargers against one CSMS, and the load report it measures: chargers
//! connect at a ramp-up rate, boot, then send Heartbeats (or MeterValues) back to back or at an
//! interval; calls of the steady phase (after the ramp) give calls/s and latency percentiles.

use crate::{Connect, SimCharger, SimError};
use chrono::Utc;
use protocol::{OcppVersion, v16, v201};
use serde::Serialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::time::{Instant, sleep_until};

/// What a fleet does.
#[derive(Debug, Clone)]
pub struct FleetPlan {
    /// `ws://host:port` of the charger listener.
    pub ws_url: String,
    /// How many chargers.
    pub chargers: usize,
    /// Charger ids are `<prefix><n>`.
    pub prefix: String,
    /// Versions, given to chargers in turn.
    pub versions: Vec<OcppVersion>,
    /// Connections opened per second (0: all at once).
    pub ramp_per_s: u32,
    /// How long the steady phase lasts, after every charger connected.
    pub duration: Duration,
    /// Pause between a charger's calls (zero: back to back).
    pub interval: Duration,
    /// What each charger sends in the steady phase.
    pub behaviour: Behaviour,
    /// Send a BootNotification first.
    pub boot: bool,
    /// Basic auth password of every charger.
    pub password: Option<String>,
}

/// What a charger sends in the steady phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// Heartbeats.
    Heartbeat,
    /// MeterValues of four samples each (energy, power, current, voltage).
    MeterValues,
}

/// What a fleet measured.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub chargers: usize,
    /// Chargers connected at the end of the ramp (at most `chargers`).
    pub connected: usize,
    pub connect_failures: usize,
    /// Calls answered in the steady phase.
    pub calls: usize,
    /// Calls refused (CALLERROR) or lost in the steady phase.
    pub errors: usize,
    pub seconds: f64,
    pub calls_per_second: f64,
    pub latency_ms: Latency,
}

/// Round-trip latency percentiles of the steady phase, in milliseconds.
#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "chargers          {} ({} connected, {} failed to connect)",
            self.chargers, self.connected, self.connect_failures
        )?;
        writeln!(f, "calls             {} in {:.1} s, {} errors", self.calls, self.seconds, self.errors)?;
        writeln!(f, "calls/s           {:.0}", self.calls_per_second)?;
        write!(
            f,
            "latency ms        p50 {:.2}  p95 {:.2}  p99 {:.2}  max {:.2}",
            self.latency_ms.p50, self.latency_ms.p95, self.latency_ms.p99, self.latency_ms.max
        )
    }
}

/// Per charger: round trips of the steady phase (µs), errors, whether it connected.
struct Outcome {
    latencies: Vec<u32>,
    errors: usize,
    connected: bool,
}

/// Runs the fleet and reports.
pub async fn run(plan: FleetPlan) -> Report {
    let start = Instant::now();
    let ramp = if plan.ramp_per_s == 0 {
        Duration::ZERO
    } else {
        Duration::from_secs_f64(plan.chargers as f64 / f64::from(plan.ramp_per_s))
    };
    // A moment after the last connection for its boot to finish before the load starts.
    let steady_from = start + ramp + Duration::from_secs(2);
    let steady_until = steady_from + plan.duration;
    let connected_now = Arc::new(AtomicUsize::new(0));
    let connected_at_ramp_end = Arc::new(AtomicUsize::new(0));
    {
        let (now, peak) = (connected_now.clone(), connected_at_ramp_end.clone());
        tokio::spawn(async move {
            sleep_until(steady_from).await;
            peak.store(now.load(Ordering::Relaxed), Ordering::Relaxed);
        });
    }
    let plan = Arc::new(plan);
    let mut tasks = Vec::with_capacity(plan.chargers);
    for n in 0..plan.chargers {
        let slot = if plan.ramp_per_s == 0 {
            start
        } else {
            start + Duration::from_secs_f64(n as f64 / f64::from(plan.ramp_per_s))
        };
        let (plan, connected) = (plan.clone(), connected_now.clone());
        tasks.push(tokio::spawn(async move {
            sleep_until(slot).await;
            charger(&plan, n, steady_from, steady_until, &connected).await
        }));
    }
    let mut latencies = Vec::new();
    let (mut errors, mut failures) = (0, 0);
    for task in tasks {
        match task.await {
            Ok(outcome) => {
                latencies.extend(outcome.latencies);
                errors += outcome.errors;
                failures += usize::from(!outcome.connected);
            }
            Err(_) => failures += 1,
        }
    }
    latencies.sort_unstable();
    let seconds = plan.duration.as_secs_f64();
    let at = |q: f64| -> f64 {
        if latencies.is_empty() {
            return 0.0;
        }
        let i = ((latencies.len() as f64 - 1.0) * q).round() as usize;
        f64::from(latencies[i]) / 1000.0
    };
    Report {
        chargers: plan.chargers,
        connected: connected_at_ramp_end.load(Ordering::Relaxed),
        connect_failures: failures,
        calls: latencies.len(),
        errors,
        seconds,
        calls_per_second: latencies.len() as f64 / seconds,
        latency_ms: Latency { p50: at(0.50), p95: at(0.95), p99: at(0.99), max: at(1.0) },
    }
}

async fn charger(plan: &FleetPlan, n: usize, steady_from: Instant, until: Instant, connected: &AtomicUsize) -> Outcome {
    let version = plan.versions[n % plan.versions.len().max(1)];
    let mut options = Connect::new(&plan.ws_url, format!("{}{n}", plan.prefix), version);
    options.password.clone_from(&plan.password);
    let mut outcome = Outcome { latencies: Vec::new(), errors: 0, connected: false };
    let Ok(mut cp) = SimCharger::connect(options).await else {
        return outcome;
    };
    outcome.connected = true;
    connected.fetch_add(1, Ordering::Relaxed);
    if plan.boot && cp.boot().await.is_err() {
        outcome.errors += 1;
    }
    // The load starts when every charger is in: the ramp is not raced by earlier chargers'
    // load, and "connected" means connected and booted.
    sleep_until(steady_from).await;
    while Instant::now() < until {
        let sent = Instant::now();
        let answered = match plan.behaviour {
            Behaviour::Heartbeat => cp.heartbeat().await,
            Behaviour::MeterValues => meter_values(&mut cp, version, n).await,
        };
        let measured = sent >= steady_from && sent < until;
        match answered {
            Ok(()) if measured => outcome.latencies.push(u32::try_from(sent.elapsed().as_micros()).unwrap_or(u32::MAX)),
            Ok(()) => {}
            Err(SimError::Closed(_) | SimError::Socket(_)) => {
                outcome.errors += usize::from(measured);
                break;
            }
            Err(_) => outcome.errors += usize::from(measured),
        }
        if !plan.interval.is_zero() {
            // Never past the end of the steady phase: an idle fleet ends on time.
            sleep_until((Instant::now() + plan.interval).min(until)).await;
        }
    }
    connected.fetch_sub(1, Ordering::Relaxed);
    let _ = cp.close().await;
    outcome
}

async fn meter_values(cp: &mut SimCharger, version: OcppVersion, n: usize) -> Result<(), SimError> {
    let energy = format!("{}", 100_000 + n);
    let samples = [
        ("Energy.Active.Import.Register", "Wh", energy.as_str()),
        ("Power.Active.Import", "W", "7360"),
        ("Current.Import", "A", "31.8"),
        ("Voltage", "V", "231.2"),
    ];
    match version {
        OcppVersion::V16 => {
            let sampled_value = samples
                .iter()
                .map(|(m, unit, value)| v16::SampledValue {
                    value: (*value).into(),
                    context: Some(v16::ReadingContext::SamplePeriodic),
                    format: None,
                    measurand: m.parse().ok(),
                    phase: None,
                    location: None,
                    unit: unit.parse().ok(),
                })
                .collect();
            let request = v16::MeterValuesRequest {
                connector_id: 1,
                transaction_id: None,
                meter_value: vec![v16::MeterValue { timestamp: Utc::now(), sampled_value }],
            };
            cp.call(request).await.map(drop)
        }
        OcppVersion::V201 => {
            let sampled_value = samples
                .iter()
                .map(|(m, unit, value)| v201::SampledValueType {
                    custom_data: None,
                    value: value.parse().unwrap_or_default(),
                    context: Some(v201::ReadingContextEnumType::SamplePeriodic),
                    measurand: m.parse().ok(),
                    phase: None,
                    location: None,
                    signed_meter_value: None,
                    unit_of_measure: Some(v201::UnitOfMeasureType {
                        custom_data: None,
                        unit: Some((*unit).into()),
                        multiplier: None,
                    }),
                })
                .collect();
            let request = v201::MeterValuesRequest {
                custom_data: None,
                evse_id: 1,
                meter_value: vec![v201::MeterValueType { custom_data: None, sampled_value, timestamp: Utc::now() }],
            };
            cp.call(request).await.map(drop)
        }
    }
}
