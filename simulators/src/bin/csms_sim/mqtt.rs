//! `csms-sim run --protocol mqtt`: the flags of a fleet of MQTT piles, and its plan.

use clap::Args;
use simulators::mqtt::load::{MqttLoad, MqttLoadPlan};
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
}

/// The plan of an MQTT fleet from `run`'s flags: `--load` is `heartbeat` or `status`.
pub(crate) fn plan(args: super::RunArgs) -> Result<MqttLoadPlan, String> {
    let load = match args.load.as_str() {
        "heartbeat" => MqttLoad::Heartbeat,
        "status" => MqttLoad::Status,
        other => return Err(format!("--load {other:?}: an MQTT fleet publishes heartbeat or status")),
    };
    let mqtt = args.mqtt;
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
    })
}
