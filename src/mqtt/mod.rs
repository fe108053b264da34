//! The MQTT pile link, beside the OCPP hub: piles that speak JSON over MQTT through a broker
//! (README, "MQTT piles"). One node of the cluster consumes the piles' messages (under the
//! `mqtt.link` job lease), spread over workers by pile so that each pile's are handled in order,
//! and turns them into the same domain calls an OCPP pile's frames make: presence, connector
//! status and readings from heartbeats; a transaction's start, readings and end from
//! `charging/status` and `charging/finished`. Every node publishes its own commands.

mod commands;
mod connect;
mod consumer;
mod pile;
mod publisher;
pub mod wire;
mod worker;

pub use commands::MqttCommands;
pub use connect::ConnectError;
pub use publisher::{PublishError, Publisher};

use crate::cluster::Cluster;
use crate::config::MqttSettings;
use crate::domain::chargers::Chargers;
use crate::domain::charging::Charging;
use crate::domain::orders::Orders;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// What the link works with.
#[derive(Debug, Clone)]
pub struct LinkServices {
    pub chargers: Chargers,
    pub charging: Charging,
    pub orders: Orders,
    pub cluster: Cluster,
    /// A pile silent this long is offline (`chargers.offline_after_s`).
    pub offline_after: Duration,
    /// A stop waits this long for the pile's `finished` (`orders.stop_timeout_s`).
    pub stop_timeout: Duration,
    /// How often piles' last-seen times are written (`ocpp.liveness_flush_s`).
    pub liveness_flush: Duration,
}

/// Consumes the piles' messages while this node holds the `mqtt.link` lease, until `stop`.
pub fn consume(settings: &MqttSettings, services: LinkServices, publisher: Publisher, stop: CancellationToken) {
    let consumer = consumer::Consumer::new(settings.clone(), services, publisher);
    tokio::spawn(consumer.run(stop));
}
