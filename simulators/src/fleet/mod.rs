//! A fleet of simulated chargers against one CSMS, and the load report it measures: chargers
//! connect at a ramp-up rate, boot, then each does its part of the behaviour mix (Heartbeats,
//! MeterValues, or whole charging sessions) back to back or at an interval; calls of the steady
//! phase (after the ramp) give calls/s and latency percentiles, overall and per behaviour.

pub(crate) mod ramp;
mod readings;
mod report;

pub use report::{Latency, PartReport, Report};

use crate::{Connect, SessionPlan, SimCharger, SimError};
use chrono::Utc;
use protocol::OcppVersion;
use readings::meter_values;
use serde::Serialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::time::{Instant, sleep_until};

/// What a fleet does.
#[derive(Debug, Clone)]
pub struct FleetPlan {
    /// `ws://host:port` of the charger listener; several, comma-separated, spread the fleet over
    /// several csms nodes (charger `n` starts on the `n`th, round the list). A charger a node
    /// sends away (1001 Going Away: it drains, or holds too many) reconnects to the next one and
    /// sends again what was left unanswered.
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
    /// What the chargers do in the steady phase, in proportion.
    pub mix: Mix,
    /// Send a BootNotification first.
    pub boot: bool,
    /// Basic auth password of every charger.
    pub password: Option<String>,
}

/// What a charger does in the steady phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Behaviour {
    /// Heartbeats.
    Heartbeat,
    /// MeterValues of four samples each (energy, power, current, voltage), outside a transaction.
    MeterValues,
    /// Whole charging sessions, one after another: authorise (with the charger's id as id tag),
    /// start, ten meter values along the charging curve, stop, status changes around them.
    Sessions,
}

impl Behaviour {
    /// Its name on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Behaviour::Heartbeat => "heartbeat",
            Behaviour::MeterValues => "meter-values",
            Behaviour::Sessions => "sessions",
        }
    }
}

impl std::str::FromStr for Behaviour {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [Behaviour::Heartbeat, Behaviour::MeterValues, Behaviour::Sessions]
            .into_iter()
            .find(|b| b.name() == s)
            .ok_or_else(|| format!("unknown behaviour {s:?} (heartbeat, meter-values, sessions)"))
    }
}

/// Behaviours in proportion, e.g. `heartbeat=8,sessions=2`: of every ten chargers eight
/// heartbeat and two charge. Charger `n` gets its behaviour from `n` alone, so a fleet run twice
/// gives each charger the same part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mix(Vec<(Behaviour, u32)>);

impl Mix {
    /// Every charger does `behaviour`.
    pub fn only(behaviour: Behaviour) -> Self {
        Mix(vec![(behaviour, 1)])
    }

    /// The behaviour of charger `n`.
    pub fn of(&self, n: usize) -> Behaviour {
        let total: u64 = self.0.iter().map(|(_, w)| u64::from(*w)).sum();
        let mut slot = (n as u64) % total.max(1);
        for (behaviour, weight) in &self.0 {
            if slot < u64::from(*weight) {
                return *behaviour;
            }
            slot -= u64::from(*weight);
        }
        Behaviour::Heartbeat
    }

    /// The behaviours in the mix, in order.
    pub fn behaviours(&self) -> impl Iterator<Item = Behaviour> + '_ {
        self.0.iter().map(|(b, _)| *b)
    }
}

impl std::str::FromStr for Mix {
    type Err = String;

    /// `name[=weight],…`; a weight defaults to 1, and every weight must be positive.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut parts = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, weight) = part.split_once('=').unwrap_or((part, "1"));
            let weight: u32 = weight.trim().parse().map_err(|_| format!("weight of {name:?} is not a count"))?;
            if weight == 0 {
                return Err(format!("weight of {name:?} must be positive"));
            }
            let behaviour: Behaviour = name.trim().parse()?;
            if parts.iter().any(|(b, _)| *b == behaviour) {
                return Err(format!("{name:?} appears twice"));
            }
            parts.push((behaviour, weight));
        }
        if parts.is_empty() {
            return Err("the mix is empty".into());
        }
        Ok(Mix(parts))
    }
}

/// Per charger: its behaviour, round trips of the steady phase (µs), errors, sessions
/// completed, whether it connected.
struct Outcome {
    behaviour: Behaviour,
    latencies: Vec<u32>,
    errors: usize,
    sessions: usize,
    first_error: Option<String>,
    connected: bool,
    /// Times it was sent away and connected again.
    reconnects: usize,
}

/// Runs the fleet and reports.
pub async fn run(plan: FleetPlan) -> Report {
    let ramp = ramp::Ramp::new(plan.chargers, plan.ramp_per_s, plan.duration);
    let plan = Arc::new(plan);
    let mut tasks = Vec::with_capacity(plan.chargers);
    for n in 0..plan.chargers {
        let (plan, ramp) = (plan.clone(), ramp.clone());
        tasks.push(tokio::spawn(async move {
            sleep_until(ramp.slot(n)).await;
            charger(&plan, n, ramp.steady_from, ramp.until, &ramp.connected).await
        }));
    }
    let mut outcomes = Vec::with_capacity(plan.chargers);
    let mut failures = 0;
    for task in tasks {
        match task.await {
            Ok(outcome) => outcomes.push(outcome),
            Err(_) => failures += 1,
        }
    }
    failures += outcomes.iter().filter(|o| !o.connected).count();
    let seconds = plan.duration.as_secs_f64();
    let mut all: Vec<u32> = outcomes.iter().flat_map(|o| o.latencies.iter().copied()).collect();
    all.sort_unstable();
    let by_behaviour = plan
        .mix
        .behaviours()
        .map(|behaviour| {
            let mine: Vec<&Outcome> = outcomes.iter().filter(|o| o.behaviour == behaviour).collect();
            let mut latencies: Vec<u32> = mine.iter().flat_map(|o| o.latencies.iter().copied()).collect();
            latencies.sort_unstable();
            PartReport {
                behaviour,
                chargers: mine.len(),
                calls: latencies.len(),
                errors: mine.iter().map(|o| o.errors).sum(),
                calls_per_second: latencies.len() as f64 / seconds,
                latency_ms: Latency::of(&latencies),
                sessions: mine.iter().map(|o| o.sessions).sum(),
                first_error: mine.iter().find_map(|o| o.first_error.clone()),
            }
        })
        .collect();
    Report {
        reconnects: outcomes.iter().map(|o| o.reconnects).sum(),
        chargers: plan.chargers,
        connected: ramp.connected_at_start(),
        connect_failures: failures,
        calls: all.len(),
        errors: outcomes.iter().map(|o| o.errors).sum(),
        seconds,
        calls_per_second: all.len() as f64 / seconds,
        latency_ms: Latency::of(&all),
        by_behaviour,
    }
}

/// The fleet's node URLs.
fn urls(plan: &FleetPlan) -> Vec<&str> {
    plan.ws_url.split(',').map(str::trim).filter(|u| !u.is_empty()).collect()
}

/// Connects charger `id` to the node at `url`.
async fn connect(plan: &FleetPlan, url: &str, id: &str, version: OcppVersion) -> Result<SimCharger, SimError> {
    let mut options = Connect::new(url, id.to_owned(), version);
    options.password.clone_from(&plan.password);
    SimCharger::connect(options).await
}

/// Whether the node sent the charger away (1001 Going Away): it should connect again.
fn sent_away(error: &SimError) -> bool {
    matches!(error, SimError::Closed(Some(frame)) if frame.code == tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode::Away)
}

/// Connects again after being sent away, to the next node in the list (trying each in turn
/// for a few seconds), and boots.
async fn reconnect(
    plan: &FleetPlan,
    urls: &[&str],
    at: &mut usize,
    id: &str,
    version: OcppVersion,
) -> Option<SimCharger> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        *at += 1;
        if let Ok(mut cp) = connect(plan, urls[*at % urls.len()], id, version).await
            && (!plan.boot || cp.boot().await.is_ok())
        {
            cp.record_round_trips();
            return Some(cp);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

async fn charger(plan: &FleetPlan, n: usize, steady_from: Instant, until: Instant, connected: &AtomicUsize) -> Outcome {
    let version = plan.versions[n % plan.versions.len().max(1)];
    let id = format!("{}{n}", plan.prefix);
    let urls = urls(plan);
    let mut at = n;
    // Versions go round charger by charger, behaviours round each full turn of versions: with two
    // versions and half the fleet charging, both versions still charge.
    let behaviour = plan.mix.of(n / plan.versions.len().max(1));
    let mut outcome = Outcome {
        behaviour,
        latencies: Vec::new(),
        errors: 0,
        sessions: 0,
        first_error: None,
        connected: false,
        reconnects: 0,
    };
    let Some(first) = urls.get(at % urls.len().max(1)) else { return outcome };
    let Ok(mut cp) = connect(plan, first, &id, version).await else {
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
    cp.record_round_trips();
    // The charger's energy register, carried from session to session.
    let mut register_wh = 100_000 + i64::try_from(n).unwrap_or(0) * 1_000;
    let mut latencies = Vec::new();
    // What was sent and not answered when the node sent the charger away: sent again.
    let mut unanswered = None;
    while Instant::now() < until || unanswered.is_some() {
        let sent = Instant::now();
        let measured = sent < until;
        let reading_at = unanswered.take().unwrap_or_else(Utc::now);
        let done = match behaviour {
            Behaviour::Heartbeat => cp.heartbeat().await,
            Behaviour::MeterValues => meter_values(&mut cp, version, n, reading_at).await,
            Behaviour::Sessions => {
                let mut session = SessionPlan::new(1, id.clone());
                session.meter_start_wh = register_wh;
                cp.run_session(&session).await.map(|report| {
                    register_wh = report.meter_stop_wh;
                    outcome.sessions += 1;
                })
            }
        };
        match done {
            Ok(()) => {}
            Err(e) if sent_away(&e) => {
                latencies.extend(kept(&mut cp, steady_from, until));
                let Some(again) = reconnect(plan, &urls, &mut at, &id, version).await else {
                    outcome.errors += 1;
                    outcome.first_error.get_or_insert_with(|| format!("sent away and could not connect again: {e}"));
                    break;
                };
                cp = again;
                outcome.reconnects += 1;
                if behaviour == Behaviour::MeterValues {
                    unanswered = Some(reading_at);
                }
                continue;
            }
            Err(e @ (SimError::Closed(_) | SimError::Socket(_))) => {
                outcome.errors += usize::from(measured);
                outcome.first_error.get_or_insert_with(|| e.to_string());
                break;
            }
            Err(e) => {
                outcome.errors += usize::from(measured);
                outcome.first_error.get_or_insert_with(|| e.to_string());
            }
        }
        if !plan.interval.is_zero() {
            // Never past the end of the steady phase: an idle fleet ends on time.
            sleep_until((Instant::now() + plan.interval).min(until)).await;
        }
    }
    latencies.extend(kept(&mut cp, steady_from, until));
    outcome.latencies = latencies;
    connected.fetch_sub(1, Ordering::Relaxed);
    let _ = cp.close().await;
    outcome
}

/// The round trips of the steady phase, in µs.
fn kept(cp: &mut SimCharger, steady_from: Instant, until: Instant) -> Vec<u32> {
    cp.take_round_trips()
        .into_iter()
        .filter(|trip| trip.sent >= steady_from && trip.sent < until)
        .map(|trip| u32::try_from(trip.took.as_micros()).unwrap_or(u32::MAX))
        .collect()
}
