//! csms's commands to MQTT piles: every node publishes its own, at QoS 1 with a message expiry
//! (`mqtt.command_expiry_s`), on a connection of its own kept up by one task. A command is
//! published only while that connection is up: queued in the client meanwhile, it could reach
//! the broker (and the pile) long after the order gave up on it.

use super::connect::{self, ConnectError};
use super::wire::{Command, command_topic};
use crate::config::MqttSettings;
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::{Packet, PublishProperties};
use rumqttc::v5::{AsyncClient, Event, EventLoop};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Why a command was not published.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("the MQTT broker is not reachable now")]
    BrokerDown,
    #[error("the command could not be handed to the MQTT client: {0}")]
    Client(String),
}

/// Publishes commands to piles.
#[derive(Debug, Clone)]
pub struct Publisher {
    client: AsyncClient,
    connected: Arc<AtomicBool>,
    expiry_s: u32,
}

impl Publisher {
    /// Connects as `<mqtt.client_id>-<node>` (clean start: nothing of an earlier run is
    /// wanted) and keeps the connection up until `stop`.
    pub fn start(settings: &MqttSettings, node: &str, stop: CancellationToken) -> Result<Publisher, ConnectError> {
        let mut options = connect::options(settings, &format!("{}-{node}", settings.client_id))?;
        options.set_clean_start(true);
        let (client, events) = AsyncClient::new(options, 256);
        let connected = Arc::new(AtomicBool::new(false));
        tokio::spawn(drive(events, client.clone(), connected.clone(), stop));
        Ok(Publisher { client, connected, expiry_s: settings.command_expiry_s.max(1) })
    }

    /// Whether the connection to the broker is up.
    pub fn connected(&self) -> bool {
        self.connected.load(Ordering::Relaxed)
    }

    /// Publishes `command` on `pile_code`'s command topic, to expire at the broker after
    /// `mqtt.command_expiry_s`.
    pub async fn publish(&self, pile_code: &str, command: &Command) -> Result<(), PublishError> {
        if !self.connected() {
            crate::metrics::mqtt::message("command", "unpublished");
            return Err(PublishError::BrokerDown);
        }
        let payload = serde_json::to_vec(command).map_err(|e| PublishError::Client(e.to_string()))?;
        let properties = PublishProperties {
            message_expiry_interval: Some(self.expiry_s),
            content_type: Some("application/json".into()),
            ..PublishProperties::default()
        };
        let sent = self
            .client
            .publish_with_properties(command_topic(pile_code), QoS::AtLeastOnce, false, payload, properties)
            .await;
        match sent {
            Ok(()) => {
                crate::metrics::mqtt::message("command", "published");
                Ok(())
            }
            Err(e) => {
                crate::metrics::mqtt::message("command", "unpublished");
                Err(PublishError::Client(e.to_string()))
            }
        }
    }
}

/// Polls the connection until `stop`, reconnecting after a pause when it fails.
async fn drive(mut events: EventLoop, client: AsyncClient, connected: Arc<AtomicBool>, stop: CancellationToken) {
    let mut failing = false;
    loop {
        tokio::select! {
            () = stop.cancelled() => {
                connected.store(false, Ordering::Relaxed);
                let _ = client.try_disconnect();
                return;
            }
            polled = events.poll() => match polled {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    connected.store(true, Ordering::Relaxed);
                    if failing {
                        tracing::info!("mqtt: the commands' connection to the broker is back");
                    }
                    failing = false;
                }
                Ok(_) => {}
                Err(e) => {
                    connected.store(false, Ordering::Relaxed);
                    if !failing {
                        tracing::warn!(error = %e, "mqtt: the commands' connection to the broker failed; retrying");
                    }
                    failing = true;
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }
}
