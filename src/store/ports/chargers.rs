//! The store as the chargers area's port: each method is the store's own query.

use crate::domain::chargers::ChargerStore;
use crate::domain::chargers::records::Charger;
use crate::domain::chargers::records::ChargerChange;
use crate::domain::chargers::records::Connector;
use crate::domain::chargers::records::NewCharger;
use crate::domain::chargers::records::OperationEntry;
use crate::domain::chargers::records::OperationFilter;
use crate::domain::chargers::records::OperationRecord;
use crate::domain::ids::ChargerId;
use crate::domain::storage::StoreError;
use crate::store::Store;
use chrono::DateTime;
use chrono::Utc;
use std::collections::HashSet;

#[async_trait::async_trait]
impl ChargerStore for Store {
    async fn busy_chargers(&self, ids: &[ChargerId]) -> Result<HashSet<ChargerId>, StoreError> {
        Store::busy_chargers(self, ids).await
    }

    async fn change_charger(&self, id: &ChargerId, change: ChargerChange) -> Result<Charger, StoreError> {
        Store::change_charger(self, id, change).await
    }

    async fn charger(&self, id: &ChargerId) -> Result<Option<Charger>, StoreError> {
        Store::charger(self, id).await
    }

    async fn chargers_page(&self, offset: u64, limit: u64) -> Result<(Vec<Charger>, u64), StoreError> {
        Store::chargers_page(self, offset, limit).await
    }

    async fn connectors(&self, charger_id: &ChargerId) -> Result<Vec<Connector>, StoreError> {
        Store::connectors(self, charger_id).await
    }

    async fn create_charger(&self, new: NewCharger) -> Result<Charger, StoreError> {
        Store::create_charger(self, new).await
    }

    async fn log_operation(&self, record: OperationRecord) -> Result<(), StoreError> {
        Store::log_operation(self, record).await
    }

    async fn operations_page(
        &self,
        filter: &OperationFilter,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<OperationEntry>, u64), StoreError> {
        Store::operations_page(self, filter, offset, limit).await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Store::ping(self).await
    }

    async fn touch_chargers(&self, seen: &[(ChargerId, DateTime<Utc>)]) -> Result<(), StoreError> {
        Store::touch_chargers(self, seen).await
    }
}
