//! What the charging area needs stored: its persistence port, in its own types. The store
//! implements it (`store/ports/charging.rs`); `startup` hands the store in.

use crate::domain::charging::records::MeterSample;
use crate::domain::charging::records::Transaction;
use crate::domain::charging::transactions::Applied;
use crate::domain::charging::transactions::EventRecord;
use crate::domain::charging::transactions::Sample;
use crate::domain::charging::transactions::StartRecord;
use crate::domain::charging::transactions::Started;
use crate::domain::charging::transactions::StopRecord;
use crate::domain::charging::transactions::Stopped;
use crate::domain::storage::StoreError;
use crate::domain::users::records::Card;
use chrono::DateTime;
use chrono::Utc;

#[async_trait::async_trait]
pub trait ChargingStore: Send + Sync + std::fmt::Debug {
    /// Creates an id tag; `Conflict` when it exists.
    async fn create_id_tag(
        &self,
        tag: &str,
        status: &str,
        expiry_date: Option<DateTime<Utc>>,
        parent_id_tag: Option<String>,
    ) -> Result<Card, StoreError>;

    /// The id tag `tag`.
    async fn id_tag(&self, tag: &str) -> Result<Option<Card>, StoreError>;

    /// Stores a 1.6 start: the same start again returns the stored id; an open transaction on
    /// the connector is closed as stale first (the charger is the source of truth for it).
    /// `exclusive`: also tell whether the tag has another transaction open elsewhere, looked up
    /// in the same database transaction as the insert, with the tag locked (see `lock_tag`), so
    /// that two starts of one tag at the same instant cannot both find none.
    async fn start_transaction(&self, start: StartRecord, exclusive: bool) -> Result<Started, StoreError>;

    /// Stores a 1.6 stop and the samples sent with it. A repeated stop changes nothing; a stop of
    /// a transaction closed as stale replaces the guessed end with the charger's; the samples of a
    /// stop of an unknown transaction are kept, unattached.
    async fn stop_transaction(&self, stop: StopRecord, samples: Vec<Sample>) -> Result<Stopped, StoreError>;

    /// A transaction and its samples in time order (both tables': see `sample_reads`).
    async fn transaction(&self, id: i64) -> Result<Option<(Transaction, Vec<MeterSample>)>, StoreError>;

    /// Applies a 2.0.1 TransactionEvent and stores its samples, in one database transaction.
    /// Events may come late, repeated or out of order (offline chargers replay their queue):
    /// an event for an unknown transaction creates it; the same event again (seqNo, type and
    /// time) changes nothing; `Started` only moves the start earlier and sets the meter start;
    /// `Ended` closes an active transaction (or replaces a stale guess); `Updated` and `Started`
    /// never reopen a closed one; samples are stored whatever the order.
    /// `exclusive`: as for `start_transaction`, for the event's tag.
    async fn transaction_event(
        &self,
        event: EventRecord,
        samples: Vec<Sample>,
        exclusive: bool,
    ) -> Result<Applied, StoreError>;

    /// The same, `limit` from `offset`, and how many there are.
    async fn transactions_page(
        &self,
        (charger_id, from, to): (Option<&str>, Option<DateTime<Utc>>, Option<DateTime<Utc>>),
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<Transaction>, u64), StoreError>;
}
