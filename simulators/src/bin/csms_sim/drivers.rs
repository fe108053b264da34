//! `csms-sim drivers`: its flags, and the drivers' plan they make.

use clap::Parser;
use simulators::drivers::{DriversPlan, Rate};
use std::net::SocketAddr;
use std::time::Duration;

#[derive(Parser)]
pub(crate) struct DriversArgs {
    /// The REST API (host:port).
    #[arg(long)]
    api: SocketAddr,
    /// The charger listener, e.g. ws://127.0.0.1:9000; several nodes comma-separated
    /// (ws://a:9000,ws://b:9000) spread the fleet over them
    #[arg(long, default_value = "ws://127.0.0.1:9000")]
    url: String,
    /// The operator token.
    #[arg(long)]
    token: String,
    #[arg(long, default_value_t = 100)]
    drivers: usize,
    /// Seconds of each timed phase.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// The timed phases: `max` (orders back to back), orders per second in all (e.g. 200), or
    /// `half` (half what the first phase completed), comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "max")]
    rates: Vec<Rate>,
    /// Where the simulator serves the SMS gateway csms texts codes to.
    #[arg(long, default_value = "127.0.0.1:18090")]
    sms_listen: SocketAddr,
    /// The station's code (piles are `<station>-P<n>`).
    #[arg(long, default_value = "BENCH")]
    station: String,
    /// The piles' Basic auth password (16–40 characters); empty: none.
    #[arg(long, default_value = "bench-pile-password")]
    password: String,
    /// The first driver's phone; the others follow.
    #[arg(long, default_value_t = 13_800_000_000)]
    phone_base: u64,
    /// Yuan paid ahead for each order.
    #[arg(long, default_value = "50.00")]
    prepay: String,
    /// Each pile's rated power, kW (above 22: a DC pile); sessions charge at it.
    #[arg(long, default_value_t = 7)]
    pile_kw: u32,
    /// Milliseconds each order charges: its energy is the pile's power over the time that
    /// really passed (0: stopped at once, a few Wh).
    #[arg(long, default_value_t = 0)]
    charge_ms: u64,
    /// Milliseconds between polls of an order's status when its event stream broke.
    #[arg(long, default_value_t = 100)]
    poll_ms: u64,
    /// Drivers set up at once.
    #[arg(long, default_value_t = 16)]
    setup_concurrency: usize,
    /// Kept-alive API connections the drivers share (csms keeps at most http.max_connections, 1024 by default).
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// The CSMS's pid: its CPU (and PostgreSQL's) in the timed phase goes in the report.
    #[arg(long)]
    csms_pid: Option<u32>,
    /// Print the report as JSON.
    #[arg(long)]
    pub(crate) json: bool,
    #[command(flatten)]
    mqtt: super::mqtt::DriversMqttArgs,
    /// Print `window open <n> <rate>` and `window closed <n> <rate>` on stderr as each timed
    /// phase's window opens and closes (scripts/order-statements reads the database's counters
    /// over exactly the window).
    #[arg(long)]
    pub(crate) mark_windows: bool,
}

impl DriversArgs {
    /// The drivers' plan.
    pub(crate) fn plan(self) -> DriversPlan {
        let args = self;
        DriversPlan {
            api: args.api,
            ws_url: args.url,
            token: args.token,
            drivers: args.drivers,
            duration: Duration::from_secs(args.duration),
            rates: args.rates,
            sms_listen: args.sms_listen,
            station: args.station,
            password: (!args.password.is_empty()).then_some(args.password),
            phone_base: args.phone_base,
            prepay: args.prepay,
            pile_kw: args.pile_kw,
            charge_for: Duration::from_millis(args.charge_ms),
            poll_interval: Duration::from_millis(args.poll_ms),
            setup_concurrency: args.setup_concurrency,
            connections: args.connections,
            csms_pid: args.csms_pid,
            mqtt: args.mqtt.piles(),
        }
    }
}
