//! What the ledger area needs stored: its persistence port, in its own types. The store
//! implements it (`store/ports/ledger.rs`); `startup` hands the store in.

use crate::domain::chargers::records::OperationRecord;
use crate::domain::ledger::Entry;
use crate::domain::ledger::NewEntry;
use crate::domain::ledger::money::Fen;
use crate::domain::storage::StoreError;
use crate::domain::users::records::User;

/// The ledger's persistence port: balances moved with their ledger rows, and the ledger read.
/// The store implements it.
#[async_trait::async_trait]
pub trait LedgerStore: Send + Sync + std::fmt::Debug {
    /// An operator's adjustment: the balance, its ledger row and an entry in the operation log
    /// (action `BalanceAdjustment`, no charger), in one transaction.
    async fn adjust_balance(&self, entry: NewEntry, log: OperationRecord) -> Result<Fen, StoreError>;

    /// A user's ledger, newest first: one page and the number of rows in all.
    async fn ledger(&self, user_id: i64, offset: u64, limit: u64) -> Result<(Vec<Entry>, u64), StoreError>;

    /// The sum of a user's ledger rows, in fen (what their balance must equal).
    async fn ledger_sum(&self, user_id: i64) -> Result<Fen, StoreError>;

    /// The user `id`.
    async fn user(&self, id: i64) -> Result<Option<User>, StoreError>;
}
