//! A fleet of MQTT piles against a broker (and csms behind it): piles connect at a ramp-up
//! rate, then each publishes heartbeats or charging/status messages back to back (the next
//! once the last is acknowledged) or at an interval; the publishes of the steady phase give
//! messages/s published and acknowledged and the PUBACK latency percentiles. With
//! [`LoadOrders`], a status load's piles charge real orders (`load_orders`): the steady phase
//! begins once every pile has its order.

use super::load_orders::{LoadOrders, Setup};
use super::payload::{ChargingStatus, Command, Heartbeat, PileStatus, Timestamp, kwh3};
use super::{MqttPile, MqttSimError, PileConfig};
use crate::fleet::Latency;
use crate::fleet::ramp::Ramp;
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, sleep_until};

/// What a load pile publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum MqttLoad {
    /// Heartbeats, charging (7 kW at 220 V).
    Heartbeat,
    /// charging/status of a session `LOAD-{pile}-{n}`, its energy rising at 7 kW; csms answers
    /// an order it does not know with a stop, and the pile goes on with the next `n` (with
    /// [`LoadOrders`]: of the real order csms started on the pile, which csms stores).
    Status,
}

/// What an MQTT fleet does.
#[derive(Debug, Clone)]
pub struct MqttLoadPlan {
    /// `mqtt://host:port` or `mqtts://host:port`.
    pub url: String,
    pub piles: usize,
    /// Pile codes are `<prefix><n>`.
    pub prefix: String,
    pub password: Option<String>,
    /// The broker's CA (mqtts).
    pub ca_file: Option<PathBuf>,
    /// Connections opened per second (0: all at once).
    pub ramp_per_s: u32,
    /// How long the steady phase lasts, after every pile connected.
    pub duration: Duration,
    /// Pause between a pile's publishes (zero: back to back).
    pub interval: Duration,
    pub load: MqttLoad,
    /// A status load's real orders (none: orders csms does not know).
    pub orders: Option<LoadOrders>,
    /// Print `window open` and `window closed` on stderr as the steady phase begins and ends
    /// (for a caller reading csms's counters over exactly it).
    pub marks: bool,
}

/// What an MQTT fleet measured.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MqttLoadReport {
    pub piles: usize,
    /// Piles connected when the steady phase began.
    pub connected: usize,
    pub connect_failures: usize,
    pub load: MqttLoad,
    /// Publishes made in the steady phase.
    pub published: usize,
    /// Of them, acknowledged (PUBACK).
    pub acked: usize,
    /// Of them, lost or not acknowledged in time.
    pub errors: usize,
    pub seconds: f64,
    pub published_per_second: f64,
    pub acked_per_second: f64,
    /// PUBLISH written to PUBACK read.
    pub latency_ms: Latency,
    /// Commands received (csms's stops of the load's orders).
    pub commands: usize,
    /// Connections established again after a loss.
    pub reconnects: usize,
    pub first_error: Option<String>,
}

/// Per pile.
#[derive(Debug, Default)]
struct Outcome {
    connected: bool,
    published: usize,
    latencies: Vec<u32>,
    errors: usize,
    commands: usize,
    reconnects: usize,
    first_error: Option<String>,
}

/// Runs the fleet and reports.
pub async fn run(plan: MqttLoadPlan) -> MqttLoadReport {
    let setup = match (&plan.orders, plan.load) {
        (Some(orders), MqttLoad::Status) => match Setup::prepare(orders).await {
            Ok(setup) => Some(setup),
            Err(e) => return report(&plan, 0, Vec::new(), Some(e)),
        },
        _ => None,
    };
    let ramp = Ramp::new(plan.piles, plan.ramp_per_s, plan.duration);
    // The steady phase: the ramp's, or from a moment after every pile has its order.
    let (window, steady) = watch::channel(setup.is_none().then_some((ramp.steady_from, ramp.until)));
    let (ready, mut readied) = mpsc::unbounded_channel();
    let plan = Arc::new(plan);
    let mut tasks = Vec::with_capacity(plan.piles);
    for n in 0..plan.piles {
        let (plan, ramp, setup) = (plan.clone(), ramp.clone(), setup.clone());
        let (steady, told) = (steady.clone(), Told(Some(ready.clone())));
        tasks.push(tokio::spawn(async move {
            sleep_until(ramp.slot(n)).await;
            pile(&plan, n, (steady, told), &ramp.connected, setup.as_deref()).await
        }));
    }
    drop(ready);
    let mut with_orders = 0;
    if setup.is_some() {
        while let Some(had) = readied.recv().await {
            with_orders += usize::from(had);
        }
        let from = Instant::now() + Duration::from_secs(1);
        window.send_replace(Some((from, from + plan.duration)));
    }
    let opened = *window.borrow();
    if let Some((from, until)) = opened
        && plan.marks
    {
        tokio::spawn(async move {
            sleep_until(from).await;
            eprintln!("window open");
            sleep_until(until).await;
            eprintln!("window closed");
        });
    }
    let mut outcomes = Vec::with_capacity(tasks.len());
    for task in tasks {
        outcomes.push(task.await.unwrap_or_default());
    }
    let connected = if setup.is_some() { with_orders } else { ramp.connected_at_start() };
    report(&plan, connected, outcomes, None)
}

/// The report of the piles' outcomes.
fn report(plan: &MqttLoadPlan, connected: usize, outcomes: Vec<Outcome>, failed: Option<String>) -> MqttLoadReport {
    let seconds = plan.duration.as_secs_f64();
    let mut latencies: Vec<u32> = outcomes.iter().flat_map(|o| o.latencies.iter().copied()).collect();
    latencies.sort_unstable();
    let published = outcomes.iter().map(|o| o.published).sum::<usize>();
    MqttLoadReport {
        piles: plan.piles,
        connected,
        connect_failures: outcomes.iter().filter(|o| !o.connected).count(),
        load: plan.load,
        published,
        acked: latencies.len(),
        errors: outcomes.iter().map(|o| o.errors).sum(),
        seconds,
        published_per_second: published as f64 / seconds,
        acked_per_second: latencies.len() as f64 / seconds,
        latency_ms: Latency::of(&latencies),
        commands: outcomes.iter().map(|o| o.commands).sum(),
        reconnects: outcomes.iter().map(|o| o.reconnects).sum(),
        first_error: failed.or_else(|| outcomes.iter().find_map(|o| o.first_error.clone())),
    }
}

/// Tells the fleet a pile is ready for the steady phase (true: with its order) — once, at the
/// latest when the pile gives up.
struct Told(Option<mpsc::UnboundedSender<bool>>);

impl Told {
    fn tell(&mut self, ready: bool) {
        if let Some(ready_tx) = self.0.take() {
            let _ = ready_tx.send(ready);
        }
    }
}

impl Drop for Told {
    fn drop(&mut self) {
        self.tell(false);
    }
}

/// The session a status-load pile reports on.
struct LoadSession {
    order_no: String,
    started: Instant,
}

async fn pile(
    plan: &MqttLoadPlan,
    n: usize,
    (mut steady, mut told): (watch::Receiver<Option<(Instant, Instant)>>, Told),
    connected: &AtomicUsize,
    setup: Option<&Setup>,
) -> Outcome {
    let code = format!("{}{n}", plan.prefix);
    let mut outcome = Outcome::default();
    let mut config = PileConfig::new(plan.url.clone(), code.clone());
    config.password.clone_from(&plan.password);
    config.ca_file.clone_from(&plan.ca_file);
    // The load publishes everything itself.
    config.paused = true;
    let mut pile = match MqttPile::connect(config).await {
        Ok(pile) => pile,
        Err(e) => {
            outcome.first_error = Some(format!("{code}: {e}"));
            return outcome;
        }
    };
    outcome.connected = true;
    connected.fetch_add(1, Ordering::Relaxed);
    let mut orders = 0;
    let mut session = LoadSession { order_no: format!("LOAD-{code}-{orders}"), started: Instant::now() };
    if let Some(setup) = setup {
        match setup.order_on(&mut pile, n).await {
            Ok(order_no) => session.order_no = order_no,
            Err(e) => {
                outcome.first_error = Some(e);
                connected.fetch_sub(1, Ordering::Relaxed);
                return outcome;
            }
        }
    }
    told.tell(true);
    let window = steady.wait_for(Option::is_some).await.ok().and_then(|window| *window);
    let Some((steady_from, until)) = window else { return outcome };
    sleep_until(steady_from).await;
    session.started = Instant::now();
    while Instant::now() < until {
        // csms's stops of the load's orders: the next message is of the next order.
        while let Ok(command) = pile.commands().try_recv() {
            outcome.commands += 1;
            if let Ok(Command::Stop(stop)) = &command.parsed
                && stop.order_no == session.order_no
            {
                orders += 1;
                session = LoadSession { order_no: format!("LOAD-{code}-{orders}"), started: Instant::now() };
            }
        }
        let published = match plan.load {
            MqttLoad::Heartbeat => pile.publish_heartbeat(&heartbeat(&code)).await,
            MqttLoad::Status => pile.publish_status(&status(&code, &session)).await,
        };
        outcome.published += 1;
        match published {
            Ok(took) => outcome.latencies.push(u32::try_from(took.as_micros()).unwrap_or(u32::MAX)),
            Err(e) => {
                outcome.errors += 1;
                outcome.first_error.get_or_insert_with(|| format!("{code}: {e}"));
                if matches!(e, MqttSimError::Closed) {
                    break;
                }
            }
        }
        if !plan.interval.is_zero() {
            // Never past the end of the steady phase: an idle fleet ends on time.
            sleep_until((Instant::now() + plan.interval).min(until)).await;
        }
    }
    outcome.commands += std::iter::from_fn(|| pile.commands().try_recv().ok()).count();
    outcome.reconnects = usize::try_from(pile.counters().reconnects).unwrap_or(usize::MAX);
    connected.fetch_sub(1, Ordering::Relaxed);
    let _ = pile.close().await;
    outcome
}

/// A heartbeat of a pile charging at 7 kW.
fn heartbeat(code: &str) -> Heartbeat {
    Heartbeat {
        pile_code: code.to_owned(),
        connector_id: 1,
        status: PileStatus::Charging.into(),
        voltage: 220.0,
        current: 31.82,
        power: 7.0,
        temperature: 35.0,
        timestamp: Timestamp::now(),
    }
}

/// The status of `session`, 7 kW since it started, from 20 % of 60 kWh.
fn status(code: &str, session: &LoadSession) -> ChargingStatus {
    let elapsed = session.started.elapsed();
    let kwh = 7.0 * elapsed.as_secs_f64() / 3600.0;
    ChargingStatus {
        pile_code: code.to_owned(),
        connector_id: 1,
        order_no: session.order_no.clone(),
        current_power: 7.0,
        total_power: kwh3(kwh),
        total_time: elapsed.as_secs(),
        soc: (20.0 + kwh / 60.0 * 100.0).floor().min(100.0) as u8,
        timestamp: Timestamp::now(),
    }
}

impl std::fmt::Display for MqttLoadReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "piles             {} ({} connected, {} failed to connect)",
            self.piles, self.connected, self.connect_failures
        )?;
        let load = match self.load {
            MqttLoad::Heartbeat => "heartbeat",
            MqttLoad::Status => "status",
        };
        writeln!(f, "published         {} {load} in {:.1} s, {} errors", self.published, self.seconds, self.errors)?;
        writeln!(f, "published/s       {:.0}", self.published_per_second)?;
        writeln!(f, "acknowledged/s    {:.0} ({} PUBACKs)", self.acked_per_second, self.acked)?;
        writeln!(f, "PUBACK ms         {}", self.latency_ms)?;
        write!(f, "commands          {} received", self.commands)?;
        if self.reconnects > 0 {
            write!(f, "\nreconnects        {}", self.reconnects)?;
        }
        if let Some(error) = &self.first_error {
            write!(f, "\nfirst error       {error}")?;
        }
        Ok(())
    }
}
