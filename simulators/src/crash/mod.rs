//! The crash check: a fleet of drivers mid-session when csms is killed with SIGKILL and
//! restarted on the same database. Each driver has a pile of their own and an order (prepaid
//! from the balance, or postpaid) whose session charges at the pile's rated power on the
//! charger's clock; csms dies while the chargers meter, the chargers go offline (keeping their
//! MeterValues, and what was in flight), stop their sessions offline, and replay their queues in
//! order once csms is back — killed again while they replay. Then every order must be completed
//! and billed once and right, and every balance equal its ledger (`csms audit` too).
//! `scripts/crash-check` runs it with 1,000 chargers (`csms-sim crash-check`),
//! `tests/it/crash_fleet.rs` with 20.

mod check;
mod csms;
mod messages;
mod report;
mod session;
mod setup;
mod start;

pub use csms::{AuditOutcome, CsmsCommand, CsmsError};
pub use report::{CrashReport, Kill};

use crate::ReplayCount;
use crate::drivers::setup::SetupError;
use crate::http::Pool;
use protocol::OcppVersion;
use session::{CHARGING, DONE, FAILED, STOPPED, Shared, Stage};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;

/// The operator token and the sign-in tokens' secret csms runs with: the drivers' tokens must
/// outlive its restarts, as they do in production (`auth.jwt_secret` set).
const OPERATOR_TOKEN: &str = "crash-check-operator-token";
const JWT_SECRET: &str = "crash-check-jwt-secret-0123456789abcdef";

/// What to run.
#[derive(Debug, Clone)]
pub struct CrashPlan {
    /// How to run csms.
    pub csms: CsmsCommand,
    /// Its database: a fresh one (the check counts every order in it).
    pub database_url: String,
    /// Where csms listens for chargers and for the API (port 0: a free port, chosen once, so
    /// that chargers find csms at the same address after its restarts).
    pub ocpp: SocketAddr,
    pub api: SocketAddr,
    /// Where the simulator takes csms's sign-up texts (port 0: any).
    pub sms_listen: SocketAddr,
    pub chargers: usize,
    /// The station's code; piles are `<station>-P<n>`.
    pub station: String,
    /// The piles' Basic auth password (none: they connect without).
    pub password: Option<String>,
    /// Drivers' phones are `phone_base + n`.
    pub phone_base: u64,
    /// Time between a charger's MeterValues.
    pub meter_interval: Duration,
    /// How long before its start reached csms each session says (by the charger's clock) it
    /// began, charging at the pile's rated power since: bills of real size (zero: they began
    /// when started, and bill the few Wh of the run's seconds).
    pub began_ago: Duration,
    /// The share of the chargers that stop their sessions online as csms is killed: the kill
    /// lands once half of their stops are answered, while csms completes their orders.
    pub stopping_at_kill: f64,
    /// How long csms stays down after the first kill (the other chargers stop their sessions
    /// then, offline).
    pub down: Duration,
    /// Kill csms again while the chargers replay (once this share of the queued frames is
    /// replayed), for `down / 2` at least a second; none: once only.
    pub second_kill_at: Option<f64>,
    /// How often an offline charger tries to connect.
    pub retry: Duration,
    pub setup_concurrency: usize,
    /// Connections to the API the drivers share.
    pub connections: usize,
    /// How long the sessions may take to start, and the fleet to recover after the last restart.
    pub deadline: Duration,
}

/// Why the run could not be made (what went wrong in csms is in the report instead).
#[derive(Debug, thiserror::Error)]
pub enum CrashError {
    #[error("setup: {0}")]
    Setup(#[from] SetupError),
    #[error(transparent)]
    Csms(#[from] CsmsError),
    #[error("choosing a free port: {0}")]
    Port(std::io::Error),
    #[error("{0} sessions of {1} were not charging within {2:?}")]
    NotCharging(usize, usize, Duration),
}

/// `addr`, or a free port on its host when it says port 0.
fn resolve(addr: SocketAddr) -> Result<SocketAddr, CrashError> {
    if addr.port() != 0 {
        return Ok(addr);
    }
    std::net::TcpListener::bind(addr).and_then(|l| l.local_addr()).map_err(CrashError::Port)
}

/// Waits until `done` says so or `within` passed, looking every `every`; answers whether it did.
async fn wait_every(every: Duration, within: Duration, done: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + within;
    while !done() {
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(every).await;
    }
    true
}

/// The same, looking every 20 ms.
async fn wait_until(within: Duration, done: impl Fn() -> bool) -> bool {
    wait_every(Duration::from_millis(20), within, done).await
}

/// Runs the crash check.
pub async fn run(plan: CrashPlan) -> Result<CrashReport, CrashError> {
    let began = Instant::now();
    let plan = Arc::new(plan);
    let (waiters, sms) = crate::drivers::setup::gateway(plan.sms_listen).await?;
    let (ocpp, api) = (resolve(plan.ocpp)?, resolve(plan.api)?);
    let env = [
        ("DATABASE_URL", plan.database_url.clone()),
        ("CSMS__OCPP__LISTEN", ocpp.to_string()),
        ("CSMS__HTTP__LISTEN", api.to_string()),
        ("CSMS__API__OPERATOR_TOKEN", OPERATOR_TOKEN.to_owned()),
        ("CSMS__AUTH__JWT_SECRET", JWT_SECRET.to_owned()),
        ("CSMS__SMS__SENDER", "http".to_owned()),
        ("CSMS__SMS__URL", format!("http://{sms}/sms")),
        ("CSMS__AUTH__SMS_RESEND_INTERVAL_S", "0".to_owned()),
    ];
    let env = env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    let mut csms = csms::Csms::new(plan.csms.clone(), env, api);
    let mut report = CrashReport { chargers: plan.chargers, ..Default::default() };
    csms.start().await?;

    let pool = Pool::new(api, plan.connections);
    let (rigs, setup_errors) = setup::prepare(&plan, &pool, &waiters, &format!("ws://{ocpp}"), OPERATOR_TOKEN).await?;
    report.setup_seconds = began.elapsed().as_secs_f64();
    report.setup_errors = setup_errors;
    report.ready = rigs.len();

    let replayed = Arc::new(ReplayCount::default());
    let shared = Arc::new(Shared {
        api: pool.clone(),
        meter_interval: plan.meter_interval,
        began_ago: plan.began_ago,
        retry: plan.retry,
        states: rigs.iter().map(|_| AtomicU8::new(session::SETTING_UP)).collect(),
        queued: AtomicUsize::new(0),
        early_stops: AtomicUsize::new(0),
    });
    let early: Vec<bool> = rigs.iter().map(|rig| rig.early).collect();
    let (stage, watching) = watch::channel(Stage::Charge);
    let tasks: Vec<_> = rigs
        .into_iter()
        .enumerate()
        .map(|(index, mut rig)| {
            rig.n = index;
            rig.cp.count_replays_in(replayed.clone());
            rig.cp.set_timeout(Duration::from_secs(30));
            tokio::spawn(session::drive(rig, shared.clone(), watching.clone()))
        })
        .collect();

    // Every session charging, with meter values sent: csms dies under them.
    let all = tasks.len();
    let charging = wait_until(plan.deadline, || shared.count(|s| s == CHARGING || s == FAILED) == all).await;
    if !charging {
        let late = shared.count(|s| s == session::SETTING_UP);
        return Err(CrashError::NotCharging(late, all, plan.deadline));
    }
    report.orders_expected = shared.count(|s| s == CHARGING);
    // Some stop now, online: the kill lands once half of their stops are answered, while csms
    // stores the others and completes their orders.
    let stopping =
        early.iter().zip(&shared.states).filter(|(e, s)| **e && s.load(Ordering::Relaxed) == CHARGING).count();
    let _ = stage.send(Stage::StopEarly);
    let half = stopping.div_ceil(2);
    wait_every(Duration::from_millis(1), plan.deadline, || shared.early_stops.load(Ordering::Relaxed) >= half).await;
    let stops_answered = shared.early_stops.load(Ordering::Relaxed);
    let first_kill = Instant::now();
    csms.kill().await?;
    // Down: the chargers find out and queue their meter values; then the others stop, offline.
    tokio::time::sleep(plan.down).await;
    let _ = stage.send(Stage::Stop);
    wait_until(plan.deadline, || shared.count(|s| s == STOPPED || s == DONE || s == FAILED) == all).await;
    let queued = shared.queued.load(Ordering::Relaxed);
    report.kills.push(Kill {
        during: "sessions".into(),
        at_seconds: (first_kill - began).as_secs_f64(),
        stopping,
        stops_answered,
        replayed: 0,
        queued,
        down_seconds: first_kill.elapsed().as_secs_f64(),
    });
    csms.start().await?;
    let mut restarted = Instant::now();

    if let Some(share) = plan.second_kill_at {
        // One past the share: a charger's queue seldom ends there, so the charger that crosses
        // it is in the middle of its replay when the kill lands.
        let threshold = (queued as f64 * share) as usize + 1;
        let finished = || shared.count(|s| s == DONE || s == FAILED) == all;
        // Woken by the frame that crosses the threshold, and killed at once: the kill lands
        // while chargers are in the middle of their replays, not between them.
        tokio::select! {
            _ = replayed.reached(threshold) => {}
            _ = wait_until(plan.deadline, finished) => {}
        }
        if !finished() {
            let killed = Instant::now();
            let replayed_then = replayed.get();
            csms.kill().await?;
            tokio::time::sleep((plan.down / 2).max(Duration::from_secs(1))).await;
            report.kills.push(Kill {
                during: "replay".into(),
                at_seconds: (killed - began).as_secs_f64(),
                stopping: 0,
                stops_answered: 0,
                replayed: replayed_then,
                queued,
                down_seconds: killed.elapsed().as_secs_f64(),
            });
            csms.start().await?;
            restarted = Instant::now();
        }
    }

    // Recovered: every queue delivered and every order final.
    let delivered = wait_until(plan.deadline, || shared.count(|s| s == DONE || s == FAILED) == all).await;
    let settled = delivered && orders_final(&pool, report.orders_expected, plan.deadline).await;
    report.recover_seconds = restarted.elapsed().as_secs_f64();
    report.recovered = settled;

    let mut outcomes = Vec::with_capacity(all);
    for task in tasks {
        if !task.is_finished() {
            task.abort();
        }
        match task.await {
            Ok(outcome) => outcomes.push(outcome),
            Err(e) => *report.session_errors.entry(format!("session task: {e}")).or_insert(0) += 1,
        }
    }
    count(&mut report, &outcomes);
    report.queued_messages = queued;
    report.replayed_messages = replayed.get();

    let found = check::verify(&pool, OPERATOR_TOKEN, &outcomes).await;
    report.orders_completed = found.completed;
    report.orders_review = found.review;
    report.orders_wrong = found.wrong;
    report.billed_twice = found.twice;
    report.balances_off = found.balances_off;
    report.energy_kwh = format!("{:.3}", found.energy_wh as f64 / 1000.0);
    report.billed_yuan = found.billed.round_dp(2).to_string();
    report.problems = found.problems.into_iter().take(100).collect();
    report.audit = csms.audit().await?;
    csms.kill().await?;
    report.csms_log = csms.log_findings();
    report.judge();
    Ok(report)
}

/// Waits until `expected` orders are in a final state (COMPLETED, REVIEW, FAILED or CANCELLED).
async fn orders_final(api: &Pool, expected: usize, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    loop {
        let mut done = 0;
        for status in ["COMPLETED", "REVIEW", "FAILED", "CANCELLED"] {
            let path = format!("/api/v1/orders?status={status}&pageSize=1");
            if let Ok(answer) = api.send("GET", &path, Some(OPERATOR_TOKEN), None).await {
                done += answer.body["total"].as_u64().unwrap_or(0) as usize;
            }
        }
        if done >= expected {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Adds the sessions' own counts to the report: messages sent again and replays cut off,
/// orders by way of paying and by OCPP version, errors by kind.
fn count(report: &mut CrashReport, outcomes: &[session::Outcome]) {
    for outcome in outcomes {
        report.resent_messages += outcome.resent;
        report.replays_interrupted += outcome.interrupted;
        if outcome.meter_stop.is_some() {
            *if outcome.prepaid { &mut report.prepaid } else { &mut report.postpaid } += 1;
            *match outcome.version {
                OcppVersion::V16 => &mut report.ocpp16,
                OcppVersion::V201 => &mut report.ocpp201,
            } += 1;
        }
        if let Some(error) = &outcome.error {
            *report.session_errors.entry(error.clone()).or_insert(0) += 1;
        }
    }
}
