//! Chargers as the business sees them, whatever OCPP version they speak: registration and the
//! boot decision, connector status, and reported events.

mod directory;
mod port;
pub mod protocol;
pub mod records;
mod reported;

pub use port::ChargerStore;
pub use protocol::PileProtocol;
pub use records::{
    BootRecord, Charger, ChargerChange, Connector, NewCharger, OperationRecord, Registration, StatusRecord,
};
pub use reported::ReportedStatus;

use crate::domain::ids::ChargerId;
use crate::domain::monitoring::Monitor;
use crate::domain::storage::Subject;

use crate::config::ChargerSettings;
use crate::domain::chargers::records::Presence;
use crate::domain::charging::events::ChargingEvent;
use crate::domain::charging::live::{LiveState, draws_power};
use crate::domain::storage::StoreError;
use crate::domain::writes::{Write, WriteQueue};
use chrono::Utc;
use std::sync::Arc;

/// The answer to a BootNotification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BootDecision {
    /// Registered: the charger may operate; heartbeat at `interval_s`.
    Accepted { interval_s: u32 },
    /// Awaiting the operator: boot again after `interval_s`.
    Pending { interval_s: u32 },
    /// Disabled: boot again after `interval_s`.
    Rejected { interval_s: u32 },
}

/// The charger service.
#[derive(Debug, Clone)]
pub struct Chargers {
    store: Arc<dyn ChargerStore>,
    writes: Arc<dyn WriteQueue>,
    settings: ChargerSettings,
    events: crate::domain::charging::events::EventSink,
    monitor: Monitor,
    live: LiveState,
}

impl Chargers {
    pub fn new(
        store: impl ChargerStore + 'static,
        writes: impl WriteQueue + 'static,
        settings: ChargerSettings,
    ) -> Self {
        let store: Arc<dyn ChargerStore> = Arc::new(store);
        let writes: Arc<dyn WriteQueue> = Arc::new(writes);
        Chargers {
            store,
            writes,
            settings,
            events: Default::default(),
            monitor: Monitor::default(),
            live: LiveState::default(),
        }
    }

    /// The same, moving the connectors' live state (`Charging::live`) by their statuses: one
    /// that stops charging reads no power from then on.
    pub fn with_live(mut self, live: LiveState) -> Self {
        self.live = live;
        self
    }

    /// The same, telling monitoring of statuses and connections once stored.
    pub fn with_monitor(mut self, monitor: Monitor) -> Self {
        self.monitor = monitor;
        self
    }

    /// The charger's connection ended, not replaced by a newer one: it was last heard at
    /// `last_seen` (monitoring raises `offline` if it stays quiet).
    pub fn went_away(&self, id: &ChargerId, last_seen: chrono::DateTime<Utc>) {
        self.monitor.disconnected(id, last_seen);
    }

    /// The same, publishing connector statuses to `events` once stored.
    pub fn with_events(mut self, events: crate::domain::charging::events::EventSink) -> Self {
        self.events = events;
        self
    }

    /// Whether unknown chargers are created as pending on connect.
    pub fn auto_register(&self) -> bool {
        self.settings.auto_register
    }

    /// Records the boot and decides from the charger's registration, read afresh (the operator
    /// may have accepted it since it connected).
    pub async fn boot(&self, id: &ChargerId, boot: BootRecord) -> Result<BootDecision, StoreError> {
        let charger = self.store.charger(id).await?.ok_or(StoreError::NotFound(Subject::Charger))?;
        self.writes.write(Write::Boot { charger_id: id.to_owned(), record: boot, at: Utc::now() }).await?;
        let retry = self.settings.boot_retry_interval_s;
        Ok(match charger.registration {
            Registration::Registered => BootDecision::Accepted { interval_s: self.settings.heartbeat_interval_s },
            Registration::Pending => BootDecision::Pending { interval_s: retry },
            Registration::Disabled => BootDecision::Rejected { interval_s: retry },
        })
    }

    /// Creates a charger that connected unannounced, as pending (auto-registration).
    pub async fn register_pending(&self, id: &ChargerId) -> Result<(), StoreError> {
        let new = NewCharger { id: id.to_owned(), registration: Registration::Pending, password_hash: None };
        match self.store.create_charger(new).await {
            // Two connections racing to register the same id: one wins, both proceed.
            Ok(_) | Err(StoreError::Conflict(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Records a connector's status.
    pub async fn status(&self, id: &ChargerId, report: StatusRecord) -> Result<(), StoreError> {
        let (evse_id, connector_id, status, at) = (report.evse_id, report.connector_id, report.status, report.at);
        let monitored = report.clone();
        self.writes.write(Write::Status { charger_id: id.to_owned(), record: report }).await?;
        self.monitor.status(id, &monitored);
        if !draws_power(status.as_str()) {
            self.live.idle(id, (evse_id, connector_id), at);
        }
        let charger_id = id.to_owned();
        self.events.publish(ChargingEvent::Status {
            charger_id,
            evse_id,
            connector_id,
            status: status.as_str().into(),
            at,
        });
        Ok(())
    }

    /// Marks the charger online on a new connection (`presence`: its token, node, epoch and
    /// version): a write through the group commit, so a storm of connections costs a few
    /// commits, and in order with the charger's other writes. Only queued, not awaited: a
    /// charger is served while the database is slow (a failure is logged; the charger then
    /// shows offline until it reconnects).
    pub async fn connected(&self, id: &ChargerId, presence: &Presence) -> Result<(), StoreError> {
        self.mark_online(id, presence).await?;
        self.monitor.connected(id);
        Ok(())
    }

    /// Writes a held connection's presence again (after this node's lease lapsed).
    pub async fn still_connected(&self, id: &ChargerId, presence: &Presence) -> Result<(), StoreError> {
        self.mark_online(id, presence).await
    }

    async fn mark_online(&self, id: &ChargerId, presence: &Presence) -> Result<(), StoreError> {
        let write = Write::Online { charger_id: id.to_owned(), presence: presence.clone(), at: Utc::now() };
        let committed = self.writes.submit(write).await.map_err(|(_, e)| e)?;
        let charger = id.to_owned();
        tokio::spawn(async move {
            if let (_, Err(e)) = committed.outcome().await {
                tracing::warn!(%charger, error = %e, "marking the charger online failed");
            }
        });
        Ok(())
    }

    /// Marks the charger offline when its connection `token` ends, unless a newer connection
    /// (replacing it here, or on another node) holds it now.
    pub async fn disconnected(&self, id: &ChargerId, token: &str) -> Result<(), StoreError> {
        self.writes.write(Write::Offline { charger_id: id.to_owned(), token: token.to_owned() }).await
    }

    /// Records an event the charger reported (firmware, diagnostics, security, reports…).
    pub async fn event(&self, id: &ChargerId, kind: &str, payload: serde_json::Value) -> Result<(), StoreError> {
        self.writes.write(Write::Event { charger_id: id.to_owned(), kind: kind.to_owned(), payload }).await
    }
}

/// A new connection's token: 16 random bytes, hex.
pub fn connection_token() -> String {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    let mut random = [0u8; 16];
    OsRng.fill_bytes(&mut random);
    random.iter().map(|b| format!("{b:02x}")).collect()
}

/// A password hashed for storage (argon2id, PHC string, random salt).
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
    let salt = SaltString::generate(&mut OsRng);
    Ok(argon2::Argon2::default().hash_password(password.as_bytes(), &salt)?.to_string())
}
