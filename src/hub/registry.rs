//! Which connection holds each charger: charger id → the handle of its session. A second
//! connection for the same id replaces the first; a dying old session never evicts its
//! replacement (removal checks the connection number).

use super::handle::SessionHandle;
use crate::domain::ids::ChargerId;
use dashmap::DashMap;
use std::sync::Arc;

/// The connected chargers.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    sessions: Arc<DashMap<ChargerId, SessionHandle>>,
}

impl Registry {
    /// Makes `handle` the charger's session, returning the one it replaces (to be closed).
    pub(crate) fn insert(&self, charger_id: &ChargerId, handle: SessionHandle) -> Option<SessionHandle> {
        self.sessions.insert(charger_id.clone(), handle)
    }

    /// Removes the charger's session if it is still connection `connection`.
    pub(crate) fn remove(&self, charger_id: &str, connection: u64) {
        self.sessions.remove_if(charger_id, |_, handle| handle.connection() == connection);
    }

    /// The session of a connected charger.
    pub fn get(&self, charger_id: &str) -> Option<SessionHandle> {
        // Cloned out: no guard is held past this line (never across an await).
        self.sessions.get(charger_id).map(|entry| entry.value().clone())
    }

    /// Whether the charger is connected.
    pub fn is_connected(&self, charger_id: &str) -> bool {
        self.sessions.contains_key(charger_id)
    }

    /// Every connected charger with when it was last seen (collected first: no map guard is
    /// held by the caller).
    pub fn last_seen(&self) -> Vec<(ChargerId, chrono::DateTime<chrono::Utc>)> {
        self.sessions.iter().map(|entry| (entry.key().clone(), entry.value().last_seen())).collect()
    }

    /// Every connected charger's handle (collected first: no map guard is held by the caller).
    pub fn handles(&self) -> Vec<(ChargerId, SessionHandle)> {
        self.sessions.iter().map(|entry| (entry.key().clone(), entry.value().clone())).collect()
    }

    /// How many chargers are connected.
    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    /// Whether no charger is connected.
    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }
}
