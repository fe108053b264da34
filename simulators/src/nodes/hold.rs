//! A fleet that only stays connected: each charger boots on the first node of a list and then
//! answers what it is sent; when its connection ends — its node killed, draining, or shedding it
//! — it connects to the next node of the list (round it, again and again until one takes it) and
//! boots there. The report says how long the whole fleet took to be back and where each charger
//! ended: a failover's time and a rebalancing's spread.

use crate::{Connect, SimCharger, SimError};
use protocol::OcppVersion;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// What the fleet does.
#[derive(Debug, Clone)]
pub struct HoldPlan {
    /// The nodes' charger listeners (`ws://host:port`); every charger starts on the first.
    pub urls: Vec<String>,
    pub chargers: usize,
    /// Charger ids are `<prefix><n>`.
    pub prefix: String,
    /// Basic auth password of every charger.
    pub password: Option<String>,
    /// Chargers connecting at once while the fleet first connects.
    pub concurrency: usize,
    /// How long the fleet stays once every charger booted.
    pub duration: Duration,
    /// A file written when every charger first booted (for a script to act then).
    pub ready_file: Option<std::path::PathBuf>,
}

/// What happened.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HoldReport {
    pub chargers: usize,
    /// Chargers that booted on the first node.
    pub booted: usize,
    /// Seconds the first connections and boots took.
    pub boot_seconds: f64,
    /// Connections lost after the first boot, and boots again after them.
    pub lost: usize,
    pub back: usize,
    /// Failed attempts to connect again (a node down, or refusing).
    pub retries: usize,
    /// From the first connection lost to the last charger booted again, in seconds.
    pub back_within_seconds: Option<f64>,
    /// How many chargers each node held when the fleet first booted, and at the end.
    pub spread_before: BTreeMap<String, usize>,
    pub spread_after: BTreeMap<String, usize>,
    pub first_error: Option<String>,
    /// The first failure to connect again (a dead node's refusal is expected there).
    pub retry_error: Option<String>,
}

#[derive(Default)]
struct Shared {
    lost: usize,
    back: usize,
    retries: usize,
    first_lost: Option<Instant>,
    last_back: Option<Instant>,
    first_error: Option<String>,
    retry_error: Option<String>,
    /// The node each charger is on (index into the list), `None` while it is away.
    on: Vec<Option<usize>>,
}

impl Shared {
    fn spread(&self, urls: &[String]) -> BTreeMap<String, usize> {
        let mut spread: BTreeMap<String, usize> = urls.iter().map(|u| (u.clone(), 0)).collect();
        for node in self.on.iter().flatten() {
            *spread.entry(urls[*node].clone()).or_default() += 1;
        }
        spread
    }
}

/// Runs the fleet and reports.
pub async fn run(plan: HoldPlan) -> Result<HoldReport, SimError> {
    if plan.urls.is_empty() {
        return Err(SimError::Protocol("no node to connect to".into()));
    }
    let plan = Arc::new(plan);
    let shared = Arc::new(Mutex::new(Shared { on: vec![None; plan.chargers], ..Shared::default() }));
    let began = Instant::now();
    // The first boots, `concurrency` at a time.
    let gate = Arc::new(tokio::sync::Semaphore::new(plan.concurrency.max(1)));
    let mut firsts = Vec::with_capacity(plan.chargers);
    for n in 0..plan.chargers {
        let (plan, gate) = (plan.clone(), gate.clone());
        firsts.push(tokio::spawn(async move {
            let _turn = gate.acquire().await;
            let charger = boot(&plan, n, 0).await;
            (n, charger)
        }));
    }
    let mut fleet = Vec::with_capacity(plan.chargers);
    for first in firsts {
        let Ok((n, charger)) = first.await else { continue };
        match charger {
            Ok(charger) => {
                lock(&shared).on[n] = Some(0);
                fleet.push((n, charger));
            }
            Err(e) => {
                lock(&shared).first_error.get_or_insert_with(|| format!("{}{n}: {e}", plan.prefix));
            }
        }
    }
    let booted = fleet.len();
    let boot_seconds = began.elapsed().as_secs_f64();
    let spread_before = lock(&shared).spread(&plan.urls);
    if let Some(file) = &plan.ready_file {
        std::fs::write(file, format!("{booted}\n")).map_err(|e| SimError::Protocol(e.to_string()))?;
    }
    let until = Instant::now() + plan.duration;
    let tasks: Vec<_> = fleet
        .into_iter()
        .map(|(n, charger)| tokio::spawn(stay(plan.clone(), shared.clone(), n, charger, until)))
        .collect();
    for task in tasks {
        let _ = task.await;
    }
    let shared = lock(&shared);
    Ok(HoldReport {
        chargers: plan.chargers,
        booted,
        boot_seconds,
        lost: shared.lost,
        back: shared.back,
        retries: shared.retries,
        back_within_seconds: shared
            .first_lost
            .zip(shared.last_back)
            .map(|(lost, back)| back.saturating_duration_since(lost).as_secs_f64()),
        spread_before,
        spread_after: shared.spread(&plan.urls),
        first_error: shared.first_error.clone(),
        retry_error: shared.retry_error.clone(),
    })
}

fn lock(shared: &Mutex<Shared>) -> std::sync::MutexGuard<'_, Shared> {
    shared.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Connects charger `n` to node `node` and boots it.
async fn boot(plan: &HoldPlan, n: usize, node: usize) -> Result<SimCharger, SimError> {
    let mut connect = Connect::new(&plan.urls[node], format!("{}{n}", plan.prefix), OcppVersion::V16);
    if let Some(password) = &plan.password {
        connect = connect.password(password.clone());
    }
    let mut charger = SimCharger::connect(connect).await?;
    charger.boot().await?;
    Ok(charger)
}

/// Keeps charger `n` connected until `until`, moving on to the next node whenever it loses one.
async fn stay(plan: Arc<HoldPlan>, shared: Arc<Mutex<Shared>>, n: usize, mut charger: SimCharger, until: Instant) {
    let mut node = 0;
    loop {
        match tokio::time::timeout_at(until, charger.serve_calls(1, None)).await {
            Err(_) => return,
            Ok(Ok(_)) | Ok(Err(SimError::Timeout(_))) => continue,
            Ok(Err(_)) => {}
        }
        {
            let mut shared = lock(&shared);
            shared.lost += 1;
            shared.first_lost.get_or_insert_with(Instant::now);
            shared.on[n] = None;
        }
        let mut pause = Duration::from_millis(20);
        charger = loop {
            node = (node + 1) % plan.urls.len();
            match boot(&plan, n, node).await {
                Ok(charger) => break charger,
                Err(e) => {
                    let mut shared = lock(&shared);
                    shared.retries += 1;
                    shared.retry_error.get_or_insert_with(|| format!("{}{n} again: {e}", plan.prefix));
                }
            }
            if Instant::now() >= until {
                return;
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(1));
        };
        let mut shared = lock(&shared);
        shared.back += 1;
        shared.last_back = Some(Instant::now());
        shared.on[n] = Some(node);
    }
}

impl std::fmt::Display for HoldReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "chargers          {} ({} booted in {:.1} s)", self.chargers, self.booted, self.boot_seconds)?;
        writeln!(f, "lost, back        {} lost, {} back, {} retries", self.lost, self.back, self.retries)?;
        if let Some(within) = self.back_within_seconds {
            writeln!(f, "back within       {within:.2} s of the first loss")?;
        }
        writeln!(f, "spread before     {:?}", self.spread_before)?;
        write!(f, "spread after      {:?}", self.spread_after)?;
        if let Some(e) = &self.first_error {
            write!(f, "\nfirst error       {e}")?;
        }
        if let Some(e) = &self.retry_error {
            write!(f, "\nfirst retry error {e}")?;
        }
        Ok(())
    }
}
