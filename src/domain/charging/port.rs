//! What the charging area needs stored: its persistence port, in its own types. The store
//! implements it (`store/ports/charging.rs`); `startup` hands the store in.

use crate::domain::charging::lifecycle::TransactionState;
use crate::domain::charging::records::MeterSample;
use crate::domain::charging::records::TagStanding;
use crate::domain::charging::records::Transaction;
use crate::domain::charging::transactions::{EventRecord, Sample, StartRecord};
use crate::domain::ids::{ChargerId, IdTag};
use crate::domain::storage::StoreError;
use crate::domain::units::Wh;
use crate::domain::users::records::Card;
use chrono::DateTime;
use chrono::Utc;

/// The charging area's persistence port: id tags, transactions as read, and the `Recording` in
/// which starts, stops and 2.0.1 events are recorded. The store implements it.
#[async_trait::async_trait]
pub trait ChargingStore: Send + Sync + std::fmt::Debug {
    /// Creates an id tag; `Conflict` when it exists.
    async fn create_id_tag(
        &self,
        tag: &IdTag,
        status: &str,
        expiry_date: Option<DateTime<Utc>>,
        parent_id_tag: Option<IdTag>,
    ) -> Result<Card, StoreError>;

    /// The id tag `tag`.
    async fn id_tag(&self, tag: &IdTag) -> Result<Option<Card>, StoreError>;

    /// Tag `tag` as authorising reads it, in one read: with its parent tag and where its driver
    /// stands for credit.
    async fn tag_standing(&self, tag: &IdTag) -> Result<Option<TagStanding>, StoreError>;

    /// Begins one database transaction in which the charging area's rules record a start, a
    /// stop or a 2.0.1 event (see `recording`): writes take their turn from here to the commit.
    async fn begin_recording(&self) -> Result<Box<dyn Recording>, StoreError>;

    /// A transaction and its samples in time order (both tables': see `sample_reads`).
    async fn transaction(&self, id: i64) -> Result<Option<(Transaction, Vec<MeterSample>)>, StoreError>;

    /// Transaction `id` of charger `charger_id`, without its samples.
    async fn transaction_of(&self, charger_id: &ChargerId, id: i64) -> Result<Option<Transaction>, StoreError>;

    /// Stores samples of transaction `of` (id, EVSE, connector) on their own: a copy of samples
    /// stored already changes nothing.
    async fn store_samples_of(
        &self,
        charger_id: &ChargerId,
        of: (i64, i32, i32),
        samples: &[Sample],
    ) -> Result<(), StoreError>;

    /// Writes transaction `id`'s state as decided while its row is as read (`read_at`, its
    /// `updated_at`): one statement; false when it changed since.
    async fn save_if_unchanged(
        &self,
        id: i64,
        read_at: DateTime<Utc>,
        state: &TransactionState,
    ) -> Result<bool, StoreError>;

    /// The same, `limit` from `offset`, and how many there are.
    async fn transactions_page(
        &self,
        (charger_id, from, to): (Option<&ChargerId>, Option<DateTime<Utc>>, Option<DateTime<Utc>>),
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<Transaction>, u64), StoreError>;
}

/// One database transaction of the charging area: what its rules read of transactions, and the
/// writes they decide, kept only by `commit` (dropped without it, nothing is kept).
#[async_trait::async_trait]
pub trait Recording: Send {
    /// Makes starts of `tag` take turns until the commit (PostgreSQL locks the tag's row;
    /// SQLite's writes take turns already), so that two starts of one tag at the same instant
    /// cannot both find the other missing.
    async fn lock_tag(&mut self, tag: &IdTag) -> Result<(), StoreError>;

    /// Tag `tag` as authorising reads it (see `ChargingStore::tag_standing`), locked as
    /// `lock_tag` locks it.
    async fn tag_standing(&mut self, tag: &IdTag) -> Result<Option<TagStanding>, StoreError>;

    /// What a 1.6 start needs read, in one statement (see `AtStart`; the open transactions of
    /// `tag` only when one is given), and the start opened as `opened` on its connector (EVSE 0) when that found
    /// neither the same start nor a transaction open there (else none is opened).
    async fn at_start_opening(
        &mut self,
        start: &StartRecord,
        tag: Option<&IdTag>,
        opened: Opened,
    ) -> Result<(AtStart, Option<Transaction>), StoreError>;

    /// Transaction `id` of `charger_id`.
    async fn transaction_of(&mut self, charger_id: &ChargerId, id: i64) -> Result<Option<Transaction>, StoreError>;

    /// The transaction `charger_id` calls `charger_transaction_id` (2.0.1).
    async fn transaction_called(
        &mut self,
        charger_id: &ChargerId,
        charger_transaction_id: &str,
    ) -> Result<Option<Transaction>, StoreError>;

    /// The open transactions on (charger, EVSE, connector).
    async fn open_on(&mut self, place: (&ChargerId, i32, i32)) -> Result<Vec<Transaction>, StoreError>;

    /// The open transactions of `tag` but transaction `except`.
    async fn open_of_tag(&mut self, tag: &IdTag, except: i64) -> Result<Vec<Transaction>, StoreError>;

    /// The earliest (or `latest`) stored sample of transaction `id` that `pick` takes (when, and
    /// what it took).
    async fn reading(
        &mut self,
        id: i64,
        latest: bool,
        pick: ReadingPick,
    ) -> Result<Option<(DateTime<Utc>, i64)>, StoreError>;

    /// Stores a new transaction, open, at (charger, EVSE, connector).
    async fn open(&mut self, place: (&ChargerId, i32, i32), opened: Opened) -> Result<Transaction, StoreError>;

    /// Writes `state` over transaction `id`'s record.
    async fn save(&mut self, id: i64, state: &TransactionState) -> Result<(), StoreError>;

    /// Records a 2.0.1 event as applied to transaction `id`; false when the same event (seqNo,
    /// type and time) was applied before.
    async fn applied_once(&mut self, id: i64, event: &EventRecord) -> Result<bool, StoreError>;

    /// Stores samples of `charger_id` (of transaction `id` at (EVSE, connector), or unattached).
    async fn store_samples(
        &mut self,
        charger_id: &ChargerId,
        of: Option<(i64, i32, i32)>,
        samples: &[Sample],
    ) -> Result<(), StoreError>;

    /// Records an event of `charger_id` for the operator (`kind`, and all it said).
    async fn note(&mut self, charger_id: &ChargerId, kind: &str, payload: serde_json::Value) -> Result<(), StoreError>;

    /// Keeps it all.
    async fn commit(self: Box<Self>) -> Result<(), StoreError>;
}

/// Which stored samples a reading takes, and what it takes of one (e.g. `recording::energy_wh`).
pub type ReadingPick = for<'a> fn(&'a MeterSample) -> Option<i64>;

/// What a 1.6 start reads: the transaction stored for the same start (charger, connector, time,
/// meter and tag: a resent start), the open transactions on its connector (EVSE 0), and the open
/// transactions of its tag. A transaction may be in more than one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AtStart {
    pub same: Option<Transaction>,
    pub open_here: Vec<Transaction>,
    pub open_of_tag: Vec<Transaction>,
}

/// What a transaction opens with (a 1.6 start, or the first 2.0.1 event of one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    pub charger_transaction_id: Option<String>,
    pub id_tag: Option<IdTag>,
    pub started_at: DateTime<Utc>,
    pub meter_start_wh: Option<Wh>,
}
