//! The store as the charging area's port: each method is the store's own query.

use crate::domain::charging::lifecycle::TransactionState;
use crate::domain::charging::records::MeterSample;
use crate::domain::charging::records::TagStanding;
use crate::domain::charging::records::Transaction;
use crate::domain::charging::transactions::Sample;
use crate::domain::charging::{ChargingStore, Recording};
use crate::domain::ids::{ChargerId, IdTag};
use crate::domain::storage::StoreError;
use crate::domain::users::records::Card;
use crate::store::Store;
use chrono::DateTime;
use chrono::Utc;

#[async_trait::async_trait]
impl ChargingStore for Store {
    async fn create_id_tag(
        &self,
        tag: &IdTag,
        status: &str,
        expiry_date: Option<DateTime<Utc>>,
        parent_id_tag: Option<IdTag>,
    ) -> Result<Card, StoreError> {
        Store::create_id_tag(self, tag, status, expiry_date, parent_id_tag.map(String::from)).await
    }

    async fn id_tag(&self, tag: &IdTag) -> Result<Option<Card>, StoreError> {
        Store::id_tag(self, tag).await
    }

    async fn transaction_of(&self, charger_id: &ChargerId, id: i64) -> Result<Option<Transaction>, StoreError> {
        Store::transaction_of(self, charger_id, id).await
    }

    async fn store_samples_of(
        &self,
        charger_id: &ChargerId,
        of: (i64, i32, i32),
        samples: &[Sample],
    ) -> Result<(), StoreError> {
        Store::store_samples_of(self, charger_id, of, samples).await
    }

    async fn save_if_unchanged(
        &self,
        id: i64,
        read_at: DateTime<Utc>,
        state: &TransactionState,
    ) -> Result<bool, StoreError> {
        Store::save_if_unchanged(self, id, read_at, state).await
    }

    async fn tag_standing(&self, tag: &IdTag) -> Result<Option<TagStanding>, StoreError> {
        Store::tag_standing(self, tag).await
    }

    async fn begin_recording(&self) -> Result<Box<dyn Recording>, StoreError> {
        Store::recording(self).await
    }

    async fn transaction(&self, id: i64) -> Result<Option<(Transaction, Vec<MeterSample>)>, StoreError> {
        Store::transaction(self, id).await
    }

    async fn transactions_page(
        &self,
        (charger_id, from, to): (Option<&ChargerId>, Option<DateTime<Utc>>, Option<DateTime<Utc>>),
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<Transaction>, u64), StoreError> {
        Store::transactions_page(self, (charger_id.map(ChargerId::as_str), from, to), offset, limit).await
    }
}
