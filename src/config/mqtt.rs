//! `[mqtt]`: the MQTT pile link (piles speaking JSON through a broker). Off while `url` is empty.

use serde::Deserialize;
use std::fmt;
use std::time::Duration;

/// `[mqtt]`.
#[derive(Clone, Deserialize)]
pub struct MqttSettings {
    /// `mqtt://host:port` or `mqtts://host:port` (TLS); empty: no MQTT piles.
    pub url: String,
    /// csms's own user at the broker; empty: none (an anonymous broker).
    pub username: String,
    /// Its password (never printed).
    pub password: String,
    /// A PEM file of the CA that signed the broker's certificate (`mqtts://`); empty: the
    /// system's roots.
    pub ca_file: String,
    /// The client id of the consumer of pile messages, one per cluster: the broker keeps its
    /// session (and the messages of piles meanwhile) while no node holds the lease.
    pub client_id: String,
    /// Seconds a command waits at the broker for an offline pile before it expires (MQTT 5
    /// message expiry), so a start queued for a pile that is away never starts it later.
    pub command_expiry_s: u32,
    /// Seconds the broker keeps the consumer's session (and queued pile messages) while no node
    /// consumes, e.g. during a restart.
    pub session_expiry_s: u32,
    /// MQTT keep-alive of csms's connections, in seconds.
    pub keep_alive_s: u64,
    /// Pile messages handled at once: piles are spread over this many workers, each handling its
    /// piles' messages in order.
    pub workers: usize,
    /// Pile messages the broker may have sent unacknowledged at once (MQTT 5 receive maximum).
    pub receive_maximum: u16,
}

impl MqttSettings {
    /// Whether the link is on.
    pub fn enabled(&self) -> bool {
        !self.url.trim().is_empty()
    }

    pub fn keep_alive(&self) -> Duration {
        Duration::from_secs(self.keep_alive_s.clamp(5, 65_535))
    }
}

/// The password hidden.
impl fmt::Debug for MqttSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MqttSettings")
            .field("url", &self.url)
            .field("username", &self.username)
            .field("password", &if self.password.is_empty() { "" } else { "<hidden>" })
            .field("ca_file", &self.ca_file)
            .field("client_id", &self.client_id)
            .field("command_expiry_s", &self.command_expiry_s)
            .field("session_expiry_s", &self.session_expiry_s)
            .field("keep_alive_s", &self.keep_alive_s)
            .field("workers", &self.workers)
            .field("receive_maximum", &self.receive_maximum)
            .finish()
    }
}
