//! `csms-sim run --protocol mqtt`: the flags of a fleet of MQTT piles, and its plan; and the
//! flags of `csms-sim drivers --protocol mqtt|mix`.

use clap::Args;
use simulators::drivers::MqttPiles;
use simulators::mqtt::LoadOrders;
use simulators::mqtt::load::{MqttLoad, MqttLoadPlan};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// The flags only an MQTT fleet reads.
#[derive(Args)]
pub(crate) struct MqttArgs {
    /// The broker (`--protocol mqtt`): mqtt://host:port, or mqtts://host:port for TLS
    #[arg(long, default_value = "mqtt://127.0.0.1:1883")]
    mqtt_url: String,
    /// How many piles (`--protocol mqtt`; `--chargers` when left out)
    #[arg(long)]
    piles: Option<usize>,
    /// The piles' MQTT password (their user name is their code); none when left out
    #[arg(long)]
    mqtt_password: Option<String>,
    /// PEM file of the CA of the broker's certificate (mqtts); the system's roots when left out
    #[arg(long)]
    mqtt_ca: Option<PathBuf>,
    /// A status load of real orders: csms's REST API (host:port); with `--token` (an
    /// operator's) each pile is registered at `--station` and brought online, and a driver of
    /// its own (signed up by SMS code) starts an order on it before the steady phase
    #[arg(long)]
    orders_api: Option<SocketAddr>,
    /// Where the simulator serves the SMS gateway csms texts sign-up codes to (`--orders-api`)
    #[arg(long, default_value = "127.0.0.1:18090")]
    sms_listen: SocketAddr,
    /// The station of the piles (`--orders-api`)
    #[arg(long, default_value = "MQTT-LOAD")]
    station: String,
    /// The first driver's phone; the others follow (`--orders-api`)
    #[arg(long, default_value_t = 13_700_000_000)]
    phone_base: u64,
    /// Print `window open` and `window closed` on stderr as the steady phase begins and ends
    #[arg(long)]
    mark_windows: bool,
}

/// The plan of an MQTT fleet from `run`'s flags: `--load` is `heartbeat` or `status`.
pub(crate) fn plan(args: super::RunArgs) -> Result<MqttLoadPlan, String> {
    let load = match args.load.as_str() {
        "heartbeat" => MqttLoad::Heartbeat,
        "status" => MqttLoad::Status,
        other => return Err(format!("--load {other:?}: an MQTT fleet publishes heartbeat or status")),
    };
    let mqtt = args.mqtt;
    let orders = mqtt.orders_api.map(|api| LoadOrders {
        api,
        token: args.token.clone(),
        sms_listen: mqtt.sms_listen,
        station: mqtt.station.clone(),
        phone_base: mqtt.phone_base,
        concurrency: 16,
    });
    Ok(MqttLoadPlan {
        url: mqtt.mqtt_url,
        piles: mqtt.piles.unwrap_or(args.chargers),
        prefix: args.prefix,
        password: mqtt.mqtt_password,
        ca_file: mqtt.mqtt_ca,
        ramp_per_s: args.ramp,
        duration: Duration::from_secs(args.duration),
        interval: Duration::from_millis(args.interval_ms),
        load,
        orders,
        marks: mqtt.mark_windows,
    })
}

/// Which of `csms-sim drivers`'s piles speak MQTT.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum DriversProtocol {
    /// Every pile an OCPP 1.6 charger.
    Ocpp,
    /// Every pile on the broker.
    Mqtt,
    /// Every other pile on the broker.
    Mix,
}

/// The flags of `csms-sim drivers` about MQTT piles.
#[derive(Args)]
pub(crate) struct DriversMqttArgs {
    /// ocpp: each driver's pile is an OCPP 1.6 charger; mqtt: a pile on the broker
    /// (`--mqtt-url`) that charges by itself once csms starts it; mix: every other one
    #[arg(long, value_enum, default_value_t = DriversProtocol::Ocpp)]
    protocol: DriversProtocol,
    /// The broker the MQTT piles connect to
    #[arg(long, default_value = "mqtt://127.0.0.1:1883")]
    mqtt_url: String,
    /// The MQTT piles' broker password (their user name is their code); none when left out
    #[arg(long)]
    mqtt_password: Option<String>,
    /// PEM file of the CA of the broker's certificate (mqtts); the system's roots when left out
    #[arg(long)]
    mqtt_ca: Option<PathBuf>,
    /// Milliseconds between an MQTT pile's charging/status messages while it charges
    #[arg(long, default_value_t = 1000)]
    status_ms: u64,
}

impl DriversMqttArgs {
    /// The drivers' MQTT piles, if any.
    pub(crate) fn piles(self) -> Option<MqttPiles> {
        let every = match self.protocol {
            DriversProtocol::Ocpp => return None,
            DriversProtocol::Mqtt => 1,
            DriversProtocol::Mix => 2,
        };
        Some(MqttPiles {
            url: self.mqtt_url,
            password: self.mqtt_password,
            ca_file: self.mqtt_ca,
            every,
            status_interval: Duration::from_millis(self.status_ms.max(1)),
        })
    }
}
