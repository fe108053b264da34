//! The operator's side of chargers: the list, one charger and its connectors, creating and
//! changing them, the log of the commands sent to them, and whether the database answers.

use super::{ChargerChange, Chargers, NewCharger, OperationRecord};
use crate::store::StoreError;
use chrono::{DateTime, Utc};
use entity::{charger, connector};

impl Chargers {
    /// Chargers by id, `limit` from `offset`, and how many there are.
    pub async fn list(&self, offset: u64, limit: u64) -> Result<(Vec<charger::Model>, u64), StoreError> {
        self.store.chargers_page(offset, limit).await
    }

    /// The charger called `id`.
    pub async fn find(&self, id: &str) -> Result<Option<charger::Model>, StoreError> {
        self.store.charger(id).await
    }

    /// The connectors of charger `id`, with their last status.
    pub async fn connectors(&self, id: &str) -> Result<Vec<connector::Model>, StoreError> {
        self.store.connectors(id).await
    }

    /// Creates a charger; `Conflict` when the id is taken.
    pub async fn create(&self, new: NewCharger) -> Result<charger::Model, StoreError> {
        self.store.create_charger(new).await
    }

    /// Changes a charger; `NotFound` when there is none.
    pub async fn change(&self, id: &str, change: ChargerChange) -> Result<charger::Model, StoreError> {
        self.store.change_charger(id, change).await
    }

    /// Appends a command sent to a charger, and its outcome, to the operation log.
    pub async fn log_operation(&self, record: OperationRecord) -> Result<(), StoreError> {
        self.store.log_operation(record).await
    }

    /// Records when each charger was last heard from, all in one write.
    pub async fn seen(&self, last_seen: &[(String, DateTime<Utc>)]) -> Result<(), StoreError> {
        self.store.touch_chargers(last_seen).await
    }

    /// Whether the database answers (readiness).
    pub async fn database_ready(&self) -> Result<(), StoreError> {
        self.store.ping().await
    }
}
