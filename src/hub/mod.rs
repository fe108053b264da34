//! The charger hub: the WebSocket listener (upgrade, identity, Basic auth, subprotocol), one
//! session task per connection, and the registry of connected chargers.

mod handle;
mod listener;
mod registry;
mod session;

pub use handle::{CallFailure, SessionHandle};
pub use listener::router;
pub use registry::Registry;

use crate::chargers::Chargers;
use crate::charging::Charging;
use crate::config::OcppSettings;
use crate::store::Store;
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

#[derive(Debug)]
struct Inner {
    settings: OcppSettings,
    preference: Vec<OcppVersion>,
    store: Store,
    chargers: Chargers,
    charging: Charging,
    registry: Registry,
    shutdown: CancellationToken,
    sessions: TaskTracker,
    next_connection: AtomicU64,
}

impl Hub {
    pub fn new(
        settings: OcppSettings,
        store: Store,
        chargers: Chargers,
        charging: Charging,
        shutdown: CancellationToken,
        sessions: TaskTracker,
    ) -> Self {
        let preference = settings.preference();
        Hub {
            inner: Arc::new(Inner {
                settings,
                preference,
                store,
                chargers,
                charging,
                registry: Registry::default(),
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

    fn next_connection(&self) -> u64 {
        self.inner.next_connection.fetch_add(1, Ordering::Relaxed)
    }
}
