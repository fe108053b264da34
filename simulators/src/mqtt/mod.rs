//! MQTT charging piles: a simulated pile that speaks csms's JSON-over-MQTT contract (MQTT 3.1.1
//! through a broker) — heartbeats, charging status and finished messages, its last will, start
//! and stop commands — by itself like a real pile, or driven by hand to play field faults; and
//! `load`, the fleet of such piles that measures a broker and csms behind it.

mod brain;
mod charge;
mod link;
pub mod load;
mod load_orders;
pub mod payload;
mod pile;

pub use charge::{Battery, SessionView};
pub use load_orders::LoadOrders;
pub use payload::{
    ChargingFinished, ChargingStatus, Command, Heartbeat, PileStatus, ReceivedCommand, StartCommand, StopCommand,
    StopReason, Timestamp, Will,
};
pub use pile::{MqttPile, PileCounters};

use std::path::PathBuf;
use std::time::Duration;

/// What went wrong for a simulated MQTT pile.
#[derive(Debug, thiserror::Error)]
pub enum MqttSimError {
    #[error("not a broker URL (mqtt://host:port or mqtts://host:port): {0}")]
    Url(String),
    #[error("reading the CA file {path}: {source}")]
    CaFile { path: PathBuf, source: std::io::Error },
    #[error("could not connect to the broker: {0}")]
    Connect(String),
    #[error("not connected to the broker within {0:?}")]
    ConnectTimeout(Duration),
    #[error("the publish was lost with the connection")]
    Lost,
    #[error("no PUBACK within {0:?}")]
    AckTimeout(Duration),
    #[error("the pile's outgoing queue is full")]
    QueueFull,
    #[error("the pile's connection is closed")]
    Closed,
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// How a pile connects and behaves. [`PileConfig::new`] gives the defaults.
#[derive(Debug, Clone)]
pub struct PileConfig {
    /// `mqtt://host:port` or `mqtts://host:port` (TLS; port 1883 and 8883 when left out).
    pub url: String,
    /// The pile's code: its topics, client id `pile-{code}` and user name.
    pub pile_code: String,
    /// The password the broker checks, if any.
    pub password: Option<String>,
    /// PEM file of the CA that signed the broker's certificate (mqtts); without it, the system's.
    pub ca_file: Option<PathBuf>,
    /// Connectors, numbered from 1 (default 1).
    pub connectors: u32,
    /// kW (default 7).
    pub rated_power_kw: f64,
    /// The battery every session charges (60 kWh from 20 % by default).
    pub battery: Battery,
    /// Between heartbeats (default 30 s); the first goes once connected.
    pub heartbeat_interval: Duration,
    /// Between a session's charging/status messages (default 10 s).
    pub status_interval: Duration,
    /// V (default 220).
    pub voltage: f64,
    /// °C (default 35); changed at runtime with [`MqttPile::set_temperature`].
    pub temperature: f64,
    /// Starts in fault (status 3): it refuses to charge.
    pub fault: bool,
    /// Starts with automatic publishing paused ([`MqttPile::set_paused`]).
    pub paused: bool,
    /// MQTT keep-alive (default 30 s).
    pub keep_alive: Duration,
    /// How long [`MqttPile::connect`] waits for the broker (default 10 s).
    pub connect_timeout: Duration,
    /// How long a publish that waits for its PUBACK waits (default 10 s).
    pub ack_timeout: Duration,
}

impl PileConfig {
    /// Pile `pile_code` on the broker at `url`, with the defaults.
    pub fn new(url: impl Into<String>, pile_code: impl Into<String>) -> Self {
        PileConfig {
            url: url.into(),
            pile_code: pile_code.into(),
            password: None,
            ca_file: None,
            connectors: 1,
            rated_power_kw: 7.0,
            battery: Battery::default(),
            heartbeat_interval: Duration::from_secs(30),
            status_interval: Duration::from_secs(10),
            voltage: 220.0,
            temperature: 35.0,
            fault: false,
            paused: false,
            keep_alive: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            ack_timeout: Duration::from_secs(10),
        }
    }
}

/// A broker URL taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BrokerUrl {
    pub(crate) tls: bool,
    pub(crate) host: String,
    pub(crate) port: u16,
}

impl BrokerUrl {
    /// `mqtt://host[:port][/]` (also `tcp://`) or `mqtts://host[:port][/]` (also `ssl://`);
    /// an IPv6 host in brackets.
    pub(crate) fn parse(url: &str) -> Result<Self, MqttSimError> {
        let bad = || MqttSimError::Url(url.to_owned());
        let (scheme, rest) = url.trim().split_once("://").ok_or_else(bad)?;
        let (tls, default_port) = match scheme.to_ascii_lowercase().as_str() {
            "mqtt" | "tcp" => (false, 1883),
            "mqtts" | "ssl" => (true, 8883),
            _ => return Err(bad()),
        };
        let authority = rest.trim_end_matches('/');
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (host, after) = v6.split_once(']').ok_or_else(bad)?;
            (host, after.strip_prefix(':'))
        } else {
            match authority.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            }
        };
        let port = match port {
            Some(port) => port.parse().map_err(|_| bad())?,
            None => default_port,
        };
        if host.is_empty() || host.contains(['/', '@', '?']) {
            return Err(bad());
        }
        Ok(BrokerUrl { tls, host: host.to_owned(), port })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_urls_parse() -> Result<(), MqttSimError> {
        let plain = BrokerUrl::parse("mqtt://127.0.0.1:1883")?;
        assert_eq!(plain, BrokerUrl { tls: false, host: "127.0.0.1".into(), port: 1883 });
        let tls = BrokerUrl::parse("mqtts://broker.example/")?;
        assert_eq!(tls, BrokerUrl { tls: true, host: "broker.example".into(), port: 8883 });
        assert_eq!(BrokerUrl::parse("mqtt://[::1]:1884")?.host, "::1");
        assert!(BrokerUrl::parse("http://x:1883").is_err());
        assert!(BrokerUrl::parse("mqtt://x:port").is_err());
        Ok(())
    }
}
