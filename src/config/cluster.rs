//! `[cluster]`: this node among several (they share the database and, through `redis.url`,
//! presence, commands, events and job leases).

use serde::Deserialize;
use std::time::Duration;

/// `[cluster]`.
#[derive(Clone, Debug, Deserialize)]
pub struct ClusterSettings {
    /// This node's name among the others; empty: the host's name and a random suffix, new at every start.
    pub node_id: String,
    /// Seconds a node's lease (and a job's) lasts unless renewed; renewed every third of it. A
    /// node that died stops holding its chargers and jobs this long after its last renewal.
    pub lease_s: u64,
    /// Seconds over which a stopping node (SIGTERM) closes its chargers, so they reconnect to
    /// the other nodes a few at a time.
    pub drain_seconds: u64,
    /// A node holding more than this many times its fair share of the chargers sheds idle ones.
    pub max_share: f64,
}

impl ClusterSettings {
    pub fn lease(&self) -> Duration {
        Duration::from_secs(self.lease_s.max(3))
    }

    pub fn drain(&self) -> Duration {
        Duration::from_secs(self.drain_seconds)
    }

    /// This node's name: `node_id`, or the host's name with a random suffix.
    pub fn node_name(&self) -> String {
        if !self.node_id.trim().is_empty() {
            return self.node_id.trim().to_owned();
        }
        let host = std::env::var("HOSTNAME")
            .ok()
            .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "csms".to_owned());
        let suffix: u32 =
            argon2::password_hash::rand_core::RngCore::next_u32(&mut argon2::password_hash::rand_core::OsRng);
        format!("{host}-{:06x}", suffix & 0x00ff_ffff)
    }
}
