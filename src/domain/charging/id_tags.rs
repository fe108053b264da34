//! Id tags as the operator manages them, and the transactions the operator looks up.

use super::Charging;
use crate::domain::charging::records::MeterSample;
use crate::domain::charging::records::Transaction;
use crate::domain::ids::{ChargerId, IdTag};
use crate::domain::storage::StoreError;
use crate::domain::users::records::Card;
use chrono::{DateTime, Utc};

/// Why an id tag could not be created.
#[derive(Debug, thiserror::Error)]
pub enum NewIdTagError {
    /// A group (parent) tag must exist before its members.
    #[error("parentIdTag: {0:?} is not a known id tag")]
    UnknownParent(IdTag),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Charging {
    /// Creates an id tag (`Conflict` when it exists), in the group of `parent` if given.
    pub async fn create_id_tag(
        &self,
        tag: &IdTag,
        status: &str,
        expiry_date: Option<DateTime<Utc>>,
        parent: Option<IdTag>,
    ) -> Result<Card, NewIdTagError> {
        if let Some(parent) = &parent
            && self.store.id_tag(parent).await?.is_none()
        {
            return Err(NewIdTagError::UnknownParent(parent.clone()));
        }
        Ok(self.store.create_id_tag(tag, status, expiry_date, parent).await?)
    }

    /// Transactions, newest first, of one charger and/or started within `from..to`: `limit`
    /// from `offset`, and how many there are.
    pub async fn transactions(
        &self,
        filter: (Option<&ChargerId>, Option<DateTime<Utc>>, Option<DateTime<Utc>>),
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<Transaction>, u64), StoreError> {
        self.store.transactions_page(filter, offset, limit).await
    }

    /// A transaction and its samples in time order.
    pub async fn transaction(&self, id: i64) -> Result<Option<(Transaction, Vec<MeterSample>)>, StoreError> {
        self.store.transaction(id).await
    }
}
