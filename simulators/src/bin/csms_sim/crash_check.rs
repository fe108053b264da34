//! `csms-sim crash-check`'s arguments: csms's binary and database, where it listens, the fleet,
//! how long csms stays down and when it is killed again.

use clap::Parser;
use simulators::crash::{CrashPlan, CsmsCommand};
use std::net::SocketAddr;
use std::time::Duration;

#[derive(Parser)]
pub(crate) struct CrashArgs {
    /// The csms binary (it is started with `serve`, and `audit --json` at the end).
    #[arg(long)]
    csms: std::path::PathBuf,
    /// The database csms runs on: a fresh one (every order in it is counted).
    #[arg(long)]
    database_url: String,
    /// Where csms listens for chargers (port 0: a free port).
    #[arg(long, default_value = "127.0.0.1:19000")]
    ocpp: SocketAddr,
    /// Where csms serves its API (port 0: a free port).
    #[arg(long, default_value = "127.0.0.1:18080")]
    api: SocketAddr,
    /// Where the simulator takes csms's sign-up texts.
    #[arg(long, default_value = "127.0.0.1:18090")]
    sms_listen: SocketAddr,
    /// A file csms's output is appended to (none: discarded).
    #[arg(long)]
    csms_log: Option<std::path::PathBuf>,
    /// More settings for csms, NAME=value (e.g. CSMS__ORDERS__SWEEP_INTERVAL_MS=500); repeatable.
    #[arg(long = "csms-env", value_parser = name_value)]
    csms_env: Vec<(String, String)>,
    #[arg(long, default_value_t = 1000)]
    chargers: usize,
    /// The station's code (piles are `<station>-P<n>`).
    #[arg(long, default_value = "CRASH")]
    station: String,
    /// The piles' Basic auth password (16–40 characters); empty: none.
    #[arg(long, default_value = "crash-pile-password")]
    password: String,
    /// The first driver's phone; the others follow.
    #[arg(long, default_value_t = 13_700_000_000)]
    phone_base: u64,
    /// Milliseconds between a charger's MeterValues.
    #[arg(long, default_value_t = 1000)]
    meter_ms: u64,
    /// The share of the chargers that stop their sessions online as csms is first killed (the
    /// kill lands once half of their stops are answered); the others stop offline.
    #[arg(long, default_value_t = 0.25)]
    stopping_at_kill: f64,
    /// Minutes before its start reached csms each session says it began (charging at the pile's
    /// rated power since, so that bills are of real size).
    #[arg(long, default_value_t = 30)]
    began_ago_min: u64,
    /// Seconds csms stays down after the first kill.
    #[arg(long, default_value_t = 5)]
    down_s: u64,
    /// Kill csms again once this share of the queued frames is replayed (0: kill once only).
    #[arg(long, default_value_t = 0.25)]
    second_kill_at: f64,
    /// Milliseconds between an offline charger's tries to connect.
    #[arg(long, default_value_t = 1000)]
    retry_ms: u64,
    /// Drivers set up at once.
    #[arg(long, default_value_t = 16)]
    setup_concurrency: usize,
    /// Kept-alive API connections the drivers share.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Seconds the sessions may take to start, and the fleet to recover after the last restart.
    #[arg(long, default_value_t = 600)]
    deadline_s: u64,
    /// Print the report as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

/// `NAME=value`.
fn name_value(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .ok_or_else(|| format!("{text:?} is not NAME=value"))
}

impl CrashArgs {
    /// The run these arguments ask for.
    pub(crate) fn plan(&self) -> CrashPlan {
        CrashPlan {
            csms: CsmsCommand { program: self.csms.clone(), env: self.csms_env.clone(), log: self.csms_log.clone() },
            database_url: self.database_url.clone(),
            ocpp: self.ocpp,
            api: self.api,
            sms_listen: self.sms_listen,
            chargers: self.chargers,
            station: self.station.clone(),
            password: (!self.password.is_empty()).then(|| self.password.clone()),
            phone_base: self.phone_base,
            meter_interval: Duration::from_millis(self.meter_ms),
            began_ago: Duration::from_secs(self.began_ago_min * 60),
            stopping_at_kill: self.stopping_at_kill,
            down: Duration::from_secs(self.down_s),
            second_kill_at: (self.second_kill_at > 0.0).then_some(self.second_kill_at),
            retry: Duration::from_millis(self.retry_ms),
            setup_concurrency: self.setup_concurrency,
            connections: self.connections,
            deadline: Duration::from_secs(self.deadline_s),
        }
    }
}
