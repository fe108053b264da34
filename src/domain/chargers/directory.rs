//! The operator's side of chargers: the list, one charger and its connectors, creating and
//! changing them, the log of the commands sent to them, and whether the database answers.

use super::records::{OperationEntry, OperationFilter};
use super::{Charger, ChargerChange, Chargers, Connector, NewCharger, OperationRecord};
use crate::domain::ids::ChargerId;
use crate::domain::nodes::Nodes;
use crate::domain::stations::is_online;
use crate::domain::storage::StoreError;
use chrono::{DateTime, Utc};

impl Chargers {
    /// Chargers by id, `limit` from `offset`, and how many there are.
    pub async fn list(&self, offset: u64, limit: u64) -> Result<(Vec<Charger>, u64), StoreError> {
        self.store.chargers_page(offset, limit).await
    }

    /// The charger called `id`.
    pub async fn find(&self, id: &ChargerId) -> Result<Option<Charger>, StoreError> {
        self.store.charger(id).await
    }

    /// Whether `charger` counts as online (see `stations::is_online`, the one definition).
    pub fn online(&self, charger: &Charger, nodes: &Nodes) -> bool {
        let offline_after = i64::try_from(self.settings.offline_after_s)
            .ok()
            .and_then(chrono::Duration::try_seconds)
            .unwrap_or(chrono::Duration::MAX);
        let alive = nodes.alive(charger.online_node.as_deref());
        is_online(charger.online_session.as_deref(), alive, charger.last_seen_at, Utc::now(), offline_after)
    }

    /// Which node holds charger `id`'s connection, and in which OCPP version it speaks, if it
    /// is online.
    pub async fn whereabouts(&self, id: &ChargerId, nodes: &Nodes) -> Result<Option<(String, String)>, StoreError> {
        let Some(charger) = self.store.charger(id).await? else { return Ok(None) };
        if !self.online(&charger, nodes) {
            return Ok(None);
        }
        Ok(charger.online_node.zip(charger.ocpp_version))
    }

    /// Those of `ids` that charge or are about to (never sent away to balance the nodes).
    pub async fn busy(&self, ids: &[ChargerId]) -> Result<std::collections::HashSet<ChargerId>, StoreError> {
        self.store.busy_chargers(ids).await
    }

    /// The connectors of charger `id`, with their last status.
    pub async fn connectors(&self, id: &ChargerId) -> Result<Vec<Connector>, StoreError> {
        self.store.connectors(id).await
    }

    /// Creates a charger; `Conflict` when the id is taken.
    pub async fn create(&self, new: NewCharger) -> Result<Charger, StoreError> {
        self.store.create_charger(new).await
    }

    /// Changes a charger; `NotFound` when there is none.
    pub async fn change(&self, id: &ChargerId, change: ChargerChange) -> Result<Charger, StoreError> {
        self.store.change_charger(id, change).await
    }

    /// Appends a command sent to a charger, and its outcome, to the operation log.
    pub async fn log_operation(&self, record: OperationRecord) -> Result<(), StoreError> {
        self.store.log_operation(record).await
    }

    /// The operation log, newest first: the operations `filter` lets through, `limit` from
    /// `offset`, and how many there are.
    pub async fn operations(
        &self,
        filter: &OperationFilter,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<OperationEntry>, u64), StoreError> {
        self.store.operations_page(filter, offset, limit).await
    }

    /// Records when each charger was last heard from, all in one write.
    pub async fn seen(&self, last_seen: &[(ChargerId, DateTime<Utc>)]) -> Result<(), StoreError> {
        self.store.touch_chargers(last_seen).await
    }

    /// Whether the database answers (readiness).
    pub async fn database_ready(&self) -> Result<(), StoreError> {
        self.store.ping().await
    }
}
