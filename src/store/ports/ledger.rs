//! The store as the ledger area's port: each method is the store's own query.

use crate::domain::chargers::records::OperationRecord;
use crate::domain::ledger::Entry;
use crate::domain::ledger::LedgerStore;
use crate::domain::ledger::NewEntry;
use crate::domain::ledger::money::Fen;
use crate::domain::storage::StoreError;
use crate::domain::users::records::User;
use crate::store::Store;

#[async_trait::async_trait]
impl LedgerStore for Store {
    async fn adjust_balance(&self, entry: NewEntry, log: OperationRecord) -> Result<Fen, StoreError> {
        Store::adjust_balance(self, entry, log).await
    }

    async fn ledger(&self, user_id: i64, offset: u64, limit: u64) -> Result<(Vec<Entry>, u64), StoreError> {
        Store::ledger(self, user_id, offset, limit).await
    }

    async fn ledger_sum(&self, user_id: i64) -> Result<Fen, StoreError> {
        Store::ledger_sum(self, user_id).await
    }

    async fn user(&self, id: i64) -> Result<Option<User>, StoreError> {
        Store::user(self, id).await
    }
}
