//! `csms-sim`: runs a fleet of simulated chargers against a CSMS and prints a load report
//! (text, or JSON with `--json`); `csms-sim bare-server` is the ceiling to compare with: a bare
//! tokio-tungstenite server that answers BootNotification and Heartbeat and nothing else.
//! `csms-sim drivers` runs drivers through whole charging orders over the REST API, each with a
//! charger of their own; `csms-sim nearby` loads the station search; `csms-sim crash-check` kills
//! csms under a fleet mid-session, restarts it, and checks every bill and balance (exit 1 when
//! anything is wrong). `csms-sim run --protocol mqtt` runs piles that publish through an MQTT
//! broker instead, and reports messages/s published and acknowledged and PUBACK latency.

use clap::{Parser, Subcommand, ValueEnum};
use futures_util::{SinkExt, StreamExt};
use protocol::OcppVersion;
use simulators::crash;
use simulators::drivers;
use simulators::fleet::{self, FleetPlan, Mix};
use simulators::nearby::{self, NearbyPlan};
use std::net::SocketAddr;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

#[path = "csms_sim/crash_check.rs"]
mod crash_check;
#[path = "csms_sim/drivers.rs"]
mod drivers_args;
#[path = "csms_sim/mqtt.rs"]
mod mqtt;
#[path = "csms_sim/nodes.rs"]
mod nodes;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(version, about = "Simulated OCPP chargers: fleets and load reports")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a fleet against a CSMS and report calls/s and latency (`--protocol mqtt`: piles
    /// publishing through a broker, messages/s published and acknowledged, PUBACK latency).
    Run(RunArgs),
    /// Register the fleet's chargers over the CSMS's REST API and exit.
    Register(RegisterArgs),
    /// Drivers running whole orders (create, pay, start, charge, stop, completed) over the REST
    /// API, each with a simulated 1.6 charger (or MQTT pile) of their own; csms must text its sign-up codes to
    /// this simulator (`CSMS__SMS__SENDER=http CSMS__SMS__URL=http://<sms-listen>/sms`, and
    /// `CSMS__AUTH__SMS_RESEND_INTERVAL_S=0`).
    Drivers(drivers_args::DriversArgs),
    /// Requests `GET /api/v1/stations/nearby` at random points around a centre and reports.
    Nearby(NearbyArgs),
    /// Runs csms (`--csms`) on a fresh database, puts a fleet of drivers mid-session, kills csms
    /// with SIGKILL, restarts it (and kills it again while the chargers replay), and checks that
    /// every order is billed once and right and every balance equals its ledger (`csms audit`
    /// too). Exit 1 when anything is wrong.
    CrashCheck(crash_check::CrashArgs),
    /// Chargers that boot on the first of several nodes and, whenever their connection ends
    /// (the node killed, draining, or shedding them), boot on the next: reports how long the
    /// fleet took to be back and how it spread over the nodes.
    Hold(nodes::HoldArgs),
    /// Operator commands to chargers held by one node, sent through its REST API and through
    /// the other nodes' (one at a time): latency of each path.
    Commands(nodes::CommandsArgs),
    /// A bare WebSocket server answering BootNotification and Heartbeat only (the ceiling).
    BareServer {
        #[arg(long, default_value = "127.0.0.1:9100")]
        listen: SocketAddr,
    },
}

#[derive(Parser)]
struct RunArgs {
    /// ocpp: chargers over WebSocket (`--url`); mqtt: piles through a broker (`--mqtt-url`)
    #[arg(long, value_enum, default_value_t = Protocol::Ocpp)]
    protocol: Protocol,
    #[command(flatten)]
    mqtt: mqtt::MqttArgs,
    /// The charger listener, e.g. ws://127.0.0.1:9000; several nodes comma-separated
    /// (ws://a:9000,ws://b:9000) spread the fleet over them
    #[arg(long, default_value = "ws://127.0.0.1:9000")]
    url: String,
    #[arg(long, default_value_t = 100)]
    chargers: usize,
    #[arg(long, default_value = "SIM-")]
    prefix: String,
    #[arg(long, value_enum, default_value_t = Versions::V16)]
    versions: Versions,
    /// Connections per second (0: all at once).
    #[arg(long, default_value_t = 500)]
    ramp: u32,
    /// Seconds of steady load after the ramp.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Milliseconds between a charger's calls (0: back to back).
    #[arg(long, default_value_t = 0)]
    interval_ms: u64,
    /// What the chargers do: one behaviour (heartbeat, meter-values, sessions) or a mix in
    /// proportion, e.g. `heartbeat=8,sessions=2`. Session chargers use their id as id tag.
    /// MQTT piles: heartbeat or status (charging/status of orders LOAD-<pile>-<n>).
    #[arg(long, default_value = "heartbeat")]
    load: String,
    /// Do not send a BootNotification first.
    #[arg(long)]
    no_boot: bool,
    /// Register the chargers first over this REST API (host:port), with `--token`.
    #[arg(long)]
    register: Option<SocketAddr>,
    #[arg(long, default_value = "")]
    token: String,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Parser)]
struct RegisterArgs {
    /// The REST API (host:port).
    #[arg(long)]
    api: SocketAddr,
    #[arg(long)]
    token: String,
    #[arg(long, default_value_t = 100)]
    chargers: usize,
    #[arg(long, default_value = "SIM-")]
    prefix: String,
}

#[derive(Parser)]
struct NearbyArgs {
    /// The REST API (host:port).
    #[arg(long)]
    api: SocketAddr,
    /// Requests measured.
    #[arg(long, default_value_t = 400)]
    requests: usize,
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Requests per client first, not measured.
    #[arg(long, default_value_t = 5)]
    warmup: usize,
    /// The centre's longitude and latitude (People's Square, Shanghai by default).
    #[arg(long, default_value_t = 121.4737)]
    lng: f64,
    #[arg(long, default_value_t = 31.2304)]
    lat: f64,
    /// Points are drawn in the centre ± this many degrees.
    #[arg(long, default_value_t = 0.5)]
    spread: f64,
    #[arg(long, default_value_t = 5.0)]
    radius_km: f64,
    /// The CSMS's pid: its CPU (and PostgreSQL's) goes in the report.
    #[arg(long)]
    csms_pid: Option<u32>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum Protocol {
    Ocpp,
    Mqtt,
}

#[derive(Clone, Copy, ValueEnum)]
enum Versions {
    V16,
    V201,
    Mix,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    match Cli::parse().command {
        Command::Run(args) if matches!(args.protocol, Protocol::Mqtt) => {
            let json = args.json;
            let report = simulators::mqtt::load::run(mqtt::plan(args)?).await;
            print(&report, json)?;
        }
        Command::Run(args) => {
            let mix: Mix = args.load.parse()?;
            if let Some(api) = args.register {
                register(api, &args.token, args.chargers, &args.prefix).await?;
            }
            let plan = FleetPlan {
                ws_url: args.url,
                chargers: args.chargers,
                prefix: args.prefix,
                versions: match args.versions {
                    Versions::V16 => vec![OcppVersion::V16],
                    Versions::V201 => vec![OcppVersion::V201],
                    Versions::Mix => vec![OcppVersion::V16, OcppVersion::V201],
                },
                ramp_per_s: args.ramp,
                duration: Duration::from_secs(args.duration),
                interval: Duration::from_millis(args.interval_ms),
                mix,
                boot: !args.no_boot,
                password: None,
            };
            let report = fleet::run(plan).await;
            print(&report, args.json)?;
        }
        Command::Register(args) => register(args.api, &args.token, args.chargers, &args.prefix).await?,
        Command::Drivers(args) => {
            let (mark_windows, json) = (args.mark_windows, args.json);
            let report = drivers::run_marking(args.plan(), mark_windows).await?;
            print(&report, json)?;
        }
        Command::Nearby(args) => {
            let plan = NearbyPlan {
                api: args.api,
                requests: args.requests,
                concurrency: args.concurrency,
                warmup: args.warmup,
                centre: (args.lng, args.lat),
                spread_deg: args.spread,
                radius_km: args.radius_km,
                csms_pid: args.csms_pid,
            };
            let report = nearby::run(plan).await;
            print(&report, args.json)?;
        }
        Command::CrashCheck(args) => {
            let report = crash::run(args.plan()).await?;
            print(&report, args.json)?;
            if !report.ok {
                std::process::exit(1);
            }
        }
        Command::Hold(args) => {
            let report = simulators::nodes::hold::run(args.plan().await?).await?;
            print(&report, args.json)?;
        }
        Command::Commands(args) => {
            let report = simulators::nodes::commands::run(args.plan()).await?;
            print(&report, args.json)?;
        }
        Command::BareServer { listen } => bare_server(listen).await?,
    }
    Ok(())
}

/// Creates `<prefix>0 .. <prefix>{count-1}` as registered chargers, each with an accepted id tag
/// of the same name for its sessions (existing ones are kept).
async fn register(api: SocketAddr, token: &str, count: usize, prefix: &str) -> Result<(), Box<dyn std::error::Error>> {
    for n in 0..count {
        let id = format!("{prefix}{n}");
        for (path, body) in
            [("/api/v1/chargers", serde_json::json!({"id": id})), ("/api/v1/id-tags", serde_json::json!({"idTag": id}))]
        {
            let (status, answer) = simulators::http::request(api, "POST", path, Some(token), Some(&body)).await?;
            if status != 201 && status != 409 {
                return Err(format!("{path} {id}: HTTP {status} {answer}").into());
            }
        }
    }
    Ok(())
}

// The handshake callback's error type is tungstenite's (an HTTP response), not ours to shrink.
#[allow(clippy::result_large_err)]
async fn bare_server(listen: SocketAddr) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    eprintln!("bare server on ws://{}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        tokio::spawn(async move {
            let pick = |request: &Request, mut response: Response| {
                let offered = request.headers().get("Sec-WebSocket-Protocol").and_then(|v| v.to_str().ok());
                if let Some(version) = OcppVersion::negotiate(offered, &OcppVersion::ALL) {
                    response
                        .headers_mut()
                        .insert("Sec-WebSocket-Protocol", HeaderValue::from_static(version.subprotocol()));
                }
                Ok(response)
            };
            let config = WebSocketConfig::default().read_buffer_size(4096).write_buffer_size(4096);
            let Ok(mut socket) = tokio_tungstenite::accept_hdr_async_with_config(stream, pick, Some(config)).await
            else {
                return;
            };
            while let Some(Ok(message)) = socket.next().await {
                let Message::Text(text) = message else { continue };
                let Ok((_, id, action, _)) = serde_json::from_str::<(u8, &str, &str, serde_json::Value)>(&text) else {
                    continue;
                };
                let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
                let reply = match action {
                    "Heartbeat" => format!(r#"[3,"{id}",{{"currentTime":"{now}"}}]"#),
                    "BootNotification" => {
                        format!(r#"[3,"{id}",{{"status":"Accepted","currentTime":"{now}","interval":300}}]"#)
                    }
                    _ => format!(r#"[4,"{id}","NotImplemented","",{{}}]"#),
                };
                if socket.send(Message::text(reply)).await.is_err() {
                    break;
                }
            }
        });
    }
}

/// A run's report, as JSON or as text.
fn print(report: &(impl serde::Serialize + std::fmt::Display), json: bool) -> Result<(), serde_json::Error> {
    if json {
        println!("{}", serde_json::to_string_pretty(report)?);
    } else {
        println!("{report}");
    }
    Ok(())
}
