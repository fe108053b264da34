//! `csms-sim`: runs a fleet of simulated chargers against a CSMS and prints a load report
//! (text, or JSON with `--json`); `csms-sim bare-server` is the ceiling to compare with: a bare
//! tokio-tungstenite server that answers BootNotification and Heartbeat and nothing else.

use clap::{Parser, Subcommand, ValueEnum};
use futures_util::{SinkExt, StreamExt};
use protocol::OcppVersion;
use simulators::fleet::{self, FleetPlan, Mix};
use std::net::SocketAddr;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

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
    /// Run a fleet against a CSMS and report calls/s and latency.
    Run(RunArgs),
    /// Register the fleet's chargers over the CSMS's REST API and exit.
    Register(RegisterArgs),
    /// A bare WebSocket server answering BootNotification and Heartbeat only (the ceiling).
    BareServer {
        #[arg(long, default_value = "127.0.0.1:9100")]
        listen: SocketAddr,
    },
}

#[derive(Parser)]
struct RunArgs {
    /// The charger listener, e.g. ws://127.0.0.1:9000
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
    #[arg(long, default_value = "heartbeat")]
    load: Mix,
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

#[derive(Clone, Copy, ValueEnum)]
enum Versions {
    V16,
    V201,
    Mix,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    match Cli::parse().command {
        Command::Run(args) => {
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
                mix: args.load,
                boot: !args.no_boot,
                password: None,
            };
            let report = fleet::run(plan).await;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                println!("{report}");
            }
        }
        Command::Register(args) => register(args.api, &args.token, args.chargers, &args.prefix).await?,
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
