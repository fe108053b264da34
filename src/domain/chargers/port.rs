//! What the chargers area needs stored: its persistence port, in its own types. The store
//! implements it (`store/ports/chargers.rs`); `startup` hands the store in.

use crate::domain::chargers::records::Charger;
use crate::domain::chargers::records::ChargerChange;
use crate::domain::chargers::records::Connector;
use crate::domain::chargers::records::NewCharger;
use crate::domain::chargers::records::OperationEntry;
use crate::domain::chargers::records::OperationFilter;
use crate::domain::chargers::records::OperationRecord;
use crate::domain::ids::ChargerId;
use crate::domain::storage::StoreError;
use chrono::DateTime;
use chrono::Utc;
use std::collections::HashSet;

/// The chargers area's persistence port: chargers, their connectors and presence, what they
/// reported, and the operators' changes. The store implements it.
#[async_trait::async_trait]
pub trait ChargerStore: Send + Sync + std::fmt::Debug {
    /// Those of `ids` that charge, or are about to: a transaction in progress, or an order
    /// starting or charging on them.
    async fn busy_chargers(&self, ids: &[ChargerId]) -> Result<HashSet<ChargerId>, StoreError>;

    /// Changes a charger; `NotFound` when there is none.
    async fn change_charger(&self, id: &ChargerId, change: ChargerChange) -> Result<Charger, StoreError>;

    /// The charger called `id`.
    async fn charger(&self, id: &ChargerId) -> Result<Option<Charger>, StoreError>;

    /// Chargers by id, `limit` from `offset`, and how many there are.
    async fn chargers_page(&self, offset: u64, limit: u64) -> Result<(Vec<Charger>, u64), StoreError>;

    /// The current status of every connector of a charger.
    async fn connectors(&self, charger_id: &ChargerId) -> Result<Vec<Connector>, StoreError>;

    /// Creates a charger; `Conflict` when the id is taken.
    async fn create_charger(&self, new: NewCharger) -> Result<Charger, StoreError>;

    /// Appends to the operation log. What came from a charger or a URL is kept as it was, but a
    /// NUL character, which PostgreSQL refuses, becomes U+FFFD.
    async fn log_operation(&self, record: OperationRecord) -> Result<(), StoreError>;

    /// The operations `filter` lets through, newest first, `limit` from `offset`, and how many
    /// there are.
    async fn operations_page(
        &self,
        filter: &OperationFilter,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<OperationEntry>, u64), StoreError>;

    /// Whether the database answers.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Records when chargers were last seen, all in one statement (of one text whatever the
    /// number of chargers: the pairs travel as one JSON parameter), so that SQLite's write turn
    /// is held for one statement, not one per charger.
    async fn touch_chargers(&self, seen: &[(ChargerId, DateTime<Utc>)]) -> Result<(), StoreError>;
}
