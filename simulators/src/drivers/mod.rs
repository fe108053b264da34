//! Drivers running the whole order flow against a CSMS over its REST API, each with a simulated
//! 1.6 charger of their own: create a prepaid order, pay it from the balance, start it (the
//! charger answers the remote start, starts a transaction with the driver's tag, meters), stop
//! it (the charger answers the remote stop, stops, is Available again), poll until it is
//! COMPLETED, and again. Setup (not timed) makes the station, its tariff and the piles,
//! connects the chargers and signs the drivers up by SMS code — the simulator is the CSMS's SMS
//! gateway — with money on their balance. Then one timed phase per rate asked for: orders back
//! to back (the most the CSMS completes), or paced to so many orders per second in all (the
//! latency at that rate). With [`MqttPiles`], some or all piles speak JSON over MQTT instead and
//! charge by themselves once csms's start command reaches them.

mod journey;
mod report;
pub(crate) mod setup;

use crate::cpu::Sample;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

pub(crate) use report::{Call, Tally};
pub use report::{CallLatency, PhaseReport, Report};
pub use setup::SetupError;

/// What the drivers do.
#[derive(Debug, Clone)]
pub struct DriversPlan {
    /// The REST API (host:port).
    pub api: SocketAddr,
    /// `ws://host:port` of the charger listener.
    pub ws_url: String,
    /// The operator token.
    pub token: String,
    /// How many drivers (one pile and charger each).
    pub drivers: usize,
    /// How long each timed phase lasts.
    pub duration: Duration,
    /// The timed phases, one after another.
    pub rates: Vec<Rate>,
    /// Where the SMS gateway listens (csms's `sms.url` must point at `http://<this>/sms`).
    pub sms_listen: SocketAddr,
    /// The station's code; piles are `<station>-P<n>`.
    pub station: String,
    /// The piles' Basic auth password (none: they connect without).
    pub password: Option<String>,
    /// Drivers' phones are `phone_base + n`.
    pub phone_base: u64,
    /// Yuan paid ahead for each order, e.g. `"50.00"`.
    pub prepay: String,
    /// Each pile's rated power, kW (AC up to 22 kW, DC above); a session charges at it.
    pub pile_kw: u32,
    /// How long each order charges, in real time: its energy is what the pile's power delivers
    /// in the time that really passed between its start and its stop (zero: stopped at once,
    /// with the few Wh of those milliseconds), so that every bill is one a real pile could make.
    pub charge_for: Duration,
    /// Time between polls of an order's status when its events cannot tell (the event stream
    /// broke).
    pub poll_interval: Duration,
    /// Drivers set up at once.
    pub setup_concurrency: usize,
    /// Connections to the API the drivers share (as behind a reverse proxy), besides each
    /// driver's event stream (csms keeps `http.max_connections` API sockets at once).
    pub connections: usize,
    /// The CSMS's process, to report its CPU (and PostgreSQL's, and ours) in the timed phases.
    pub csms_pid: Option<u32>,
    /// Piles speaking JSON over MQTT through a broker instead of OCPP (none: all OCPP).
    pub mqtt: Option<MqttPiles>,
}

/// Which drivers' piles speak MQTT, and how: such a pile charges by itself like a real one —
/// csms's start command starts it, it reports `charging/status` every `status_interval` and
/// `charging/finished` at the stop.
#[derive(Debug, Clone)]
pub struct MqttPiles {
    /// The broker, `mqtt://host:port` or `mqtts://host:port`.
    pub url: String,
    /// The piles' broker password (their user name is their code); none: they connect without.
    pub password: Option<String>,
    /// PEM file of the CA of the broker's certificate (mqtts); none: the system's roots.
    pub ca_file: Option<std::path::PathBuf>,
    /// Every `every`-th driver's pile speaks MQTT (1: all of them, 2: every other one).
    pub every: usize,
    /// Between a session's `charging/status` messages.
    pub status_interval: Duration,
}

impl MqttPiles {
    /// Whether driver `n`'s pile speaks MQTT.
    pub(crate) fn plays(&self, n: usize) -> bool {
        let every = self.every.max(1);
        n % every == every - 1
    }
}

/// How fast a phase's drivers start orders.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rate {
    /// Each driver starts the next order as soon as the last completed.
    BackToBack,
    /// So many orders per second in all: each driver starts one every `drivers / rate` seconds
    /// (at once when the last took longer; missed starts are not made up).
    PerSecond(f64),
    /// A share (`0.5`: half) of the orders per second the first phase completed.
    ShareOfFirst(f64),
}

impl std::str::FromStr for Rate {
    type Err = String;

    /// `max` (or `0`), `half`, a percentage of the first phase's rate (`80%`), or orders per
    /// second.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wrong =
            |other: &str| format!("{other:?} is not max, half, a percentage or a positive number of orders per second");
        match s.trim() {
            "max" | "0" => Ok(Rate::BackToBack),
            "half" => Ok(Rate::ShareOfFirst(0.5)),
            other => match other.strip_suffix('%') {
                Some(percent) => match percent.trim().parse::<f64>() {
                    Ok(p) if p.is_finite() && p > 0.0 => Ok(Rate::ShareOfFirst(p / 100.0)),
                    _ => Err(wrong(other)),
                },
                None => match other.parse::<f64>() {
                    Ok(rate) if rate.is_finite() && rate > 0.0 => Ok(Rate::PerSecond(rate)),
                    _ => Err(wrong(other)),
                },
            },
        }
    }
}

/// How long the drivers drive before a phase's window opens.
const WARM_UP: Duration = Duration::from_secs(5);

/// Sets up, runs each phase, and reports.
pub async fn run(plan: DriversPlan) -> Result<Report, SetupError> {
    run_marking(plan, false).await
}

/// As [`run`]; with `marks`, prints `window open <n> <rate>` and `window closed <n> <rate>` on
/// stderr the moment each timed phase's window opens and closes (`n` from 1; setup is over
/// before the first opens), so that a caller can read the database's counters over exactly the
/// window whose orders the report counts.
pub async fn run_marking(plan: DriversPlan, marks: bool) -> Result<Report, SetupError> {
    let plan = Arc::new(plan);
    let began = Instant::now();
    let (mut rigs, setup_errors) = setup::prepare(&plan).await?;
    let setup_seconds = began.elapsed().as_secs_f64();
    let ready = rigs.len();
    let mut phases: Vec<PhaseReport> = Vec::new();
    for (n, rate) in plan.rates.iter().enumerate() {
        let per_second = match rate {
            Rate::BackToBack => None,
            Rate::PerSecond(r) => Some(*r),
            Rate::ShareOfFirst(share) => Some(phases.first().map_or(1.0, |p| p.orders_per_second * share).max(0.1)),
        };
        let mark =
            marks.then(|| format!("{} {}", n + 1, per_second.map_or_else(|| "max".to_owned(), |r| format!("{r}/s"))));
        let (back, report) = phase(&plan, rigs, per_second, mark).await;
        rigs = back;
        phases.push(report);
    }
    Ok(Report { drivers: plan.drivers, ready, setup_seconds, setup_errors, phases })
}

/// One timed phase: every driver drives until its end (finishing the order under way); the
/// drivers come back for the next. With `mark`, the window's edges are told on stderr.
async fn phase(
    plan: &Arc<DriversPlan>,
    rigs: Vec<setup::Rig>,
    rate: Option<f64>,
    mark: Option<String>,
) -> (Vec<setup::Rig>, PhaseReport) {
    let ready = rigs.len().max(1);
    // The drivers start, and are measured from a warm-up later: a phase counts the orders
    // completed in its window, at the pace the drivers settled into, not their first ramp.
    let start = Instant::now() + Duration::from_millis(500);
    let from = start + WARM_UP;
    let until = from + plan.duration;
    let csms_pid = plan.csms_pid;
    let cores = tokio::spawn(async move {
        tokio::time::sleep_until(from).await;
        if let Some(mark) = &mark {
            eprintln!("window open {mark}");
        }
        let first = Sample::take(csms_pid);
        tokio::time::sleep_until(until).await;
        if let Some(mark) = &mark {
            eprintln!("window closed {mark}");
        }
        Sample::take(csms_pid).since(&first, (until - from).as_secs_f64())
    });
    // Paced: a driver's orders `period` apart, the drivers' first ones spread over one period;
    // back to back: the first ones spread over a second.
    let period = rate.map(|r| Duration::from_secs_f64(ready as f64 / r));
    let spread = period.unwrap_or(Duration::from_secs(1));
    let tasks: Vec<_> = rigs
        .into_iter()
        .enumerate()
        .map(|(n, rig)| {
            let first = start + spread.mul_f64(n as f64 / ready as f64);
            let plan = plan.clone();
            tokio::spawn(async move { journey::drive(rig, &plan, first, period, (from, until)).await })
        })
        .collect();
    let (mut back, mut total) = (Vec::with_capacity(tasks.len()), Tally::default());
    for task in tasks {
        match task.await {
            Ok((rig, tally)) => {
                back.extend(rig);
                total.merge(tally);
            }
            Err(e) => total.error(format!("driver task: {e}")),
        }
    }
    let cores = cores.await.unwrap_or_default();
    (back, total.report(rate, plan.duration.as_secs_f64(), cores))
}

#[cfg(test)]
mod tests {
    use super::Rate;

    #[test]
    fn a_rate_is_back_to_back_a_share_of_the_first_phase_or_orders_per_second() {
        assert!(matches!("max".parse(), Ok(Rate::BackToBack)));
        assert!(matches!("half".parse(), Ok(Rate::ShareOfFirst(s)) if s == 0.5));
        assert!(matches!("80%".parse(), Ok(Rate::ShareOfFirst(s)) if (s - 0.8).abs() < 1e-9));
        assert!(matches!("200".parse(), Ok(Rate::PerSecond(r)) if r == 200.0));
        for wrong in ["-5", "0%", "x%", "fast", "NaN"] {
            assert!(wrong.parse::<Rate>().is_err(), "{wrong}");
        }
    }
}
