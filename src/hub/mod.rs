//! The charger hub: the WebSocket listener (upgrade, identity, Basic auth, subprotocol), one
//! session task per connection, and the registry of connected chargers.

mod capabilities;
mod commands;
pub mod credentials;
mod handle;
pub(crate) mod limits;
mod listener;
mod message_log;
mod registry;
mod remote;
mod session;

pub use commands::HubCommands;
pub use handle::{CallFailure, SessionHandle};
pub use listener::router;
pub use message_log::{MessageLog, Writer};
pub use registry::Registry;
pub use remote::Routed;

use crate::cluster::Cluster;
use crate::config::OcppSettings;
use crate::data_transfer::DataTransferHandlers;
use crate::domain::chargers::Chargers;
use crate::domain::charging::Charging;
use crate::domain::ids::ChargerId;
use protocol::OcppVersion;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Everything a charger connection needs, shared by all of them.
#[derive(Debug, Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

/// The services a hub hands its sessions.
#[derive(Debug, Clone)]
pub struct HubServices {
    pub chargers: Chargers,
    pub charging: Charging,
    pub messages: MessageLog,
    pub data_transfers: DataTransferHandlers,
    /// The other nodes: presence, commands to chargers they hold.
    pub cluster: Cluster,
    /// Passwords verified before, here and on the other nodes.
    pub credentials: credentials::VerifiedCredentials,
}

#[derive(Debug)]
struct Inner {
    settings: OcppSettings,
    preference: Vec<OcppVersion>,
    chargers: Chargers,
    charging: Charging,
    messages: MessageLog,
    data_transfers: DataTransferHandlers,
    registry: Registry,
    cluster: Cluster,
    remote: remote::Remote,
    credentials: credentials::VerifiedCredentials,
    /// Connected chargers: one slot per session, `settings.max_connections` of them.
    connections: limits::SessionSlots,
    /// Password verifications that may run at once (half the cores, at least one).
    hashing: Arc<tokio::sync::Semaphore>,
    shutdown: CancellationToken,
    sessions: TaskTracker,
    next_connection: AtomicU64,
}

impl Hub {
    /// A hub whose sessions stop when `shutdown` is cancelled and are tracked by `sessions`.
    pub fn new(
        settings: OcppSettings,
        services: HubServices,
        shutdown: CancellationToken,
        sessions: TaskTracker,
    ) -> Self {
        let preference = settings.preference();
        let connections = limits::SessionSlots::new(settings.max_connections);
        let HubServices { chargers, charging, messages, data_transfers, cluster, credentials } = services;
        Hub {
            inner: Arc::new(Inner {
                settings,
                preference,
                chargers,
                charging,
                messages,
                data_transfers,
                registry: Registry::default(),
                cluster,
                remote: Default::default(),
                credentials,
                connections,
                hashing: Arc::new(tokio::sync::Semaphore::new(
                    std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1)),
                )),
                shutdown,
                sessions,
                next_connection: AtomicU64::new(1),
            }),
        }
    }

    /// The connected chargers.
    pub fn registry(&self) -> &Registry {
        &self.inner.registry
    }

    /// The connectors' live state (newest readings, transaction in progress).
    pub fn live(&self) -> &crate::domain::charging::live::LiveState {
        self.inner.charging.live()
    }

    /// Flushes connected chargers' last-seen times to the database every `every`, until shutdown
    /// (and once more then). Only times that moved since the last flush are written.
    pub async fn flush_liveness(self, every: std::time::Duration) {
        let mut written: std::collections::HashMap<ChargerId, chrono::DateTime<chrono::Utc>> = Default::default();
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let stopping = tokio::select! {
                _ = tick.tick() => false,
                _ = self.inner.shutdown.cancelled() => true,
            };
            let changed: Vec<_> = self
                .registry()
                .last_seen()
                .into_iter()
                .filter(|(id, at)| written.get(id).is_none_or(|before| before < at))
                .collect();
            match self.inner.chargers.seen(&changed).await {
                Ok(()) => written.extend(changed),
                Err(e) => tracing::warn!(error = %e, chargers = changed.len(), "flushing last-seen times failed"),
            }
            // Forget chargers that left, so the map does not grow without bound.
            written.retain(|id, _| self.registry().is_connected(id));
            if stopping {
                return;
            }
        }
    }

    /// Sends every connected charger away (1001 Going Away) spread over `over`, so that they
    /// reconnect to the other nodes a few at a time, and waits (a little longer at most) until
    /// their sessions ended.
    pub async fn send_away_all(&self, over: std::time::Duration) {
        let handles = self.registry().handles();
        tracing::info!(chargers = handles.len(), seconds = over.as_secs(), "draining: sending the chargers away");
        let count = u32::try_from(handles.len()).unwrap_or(u32::MAX).max(1);
        let pause = over / count;
        for (_, handle) in handles {
            handle.send_away();
            if !pause.is_zero() {
                tokio::time::sleep(pause).await;
            }
        }
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
        while !self.registry().is_empty() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// This node's name among the others.
    pub fn node(&self) -> &str {
        self.inner.cluster.node()
    }

    fn next_connection(&self) -> u64 {
        self.inner.next_connection.fetch_add(1, Ordering::Relaxed)
    }
}
