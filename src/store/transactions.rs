//! Queries of id tags, transactions and meter samples.

use super::samples::insert_samples;
use super::{Store, StoreError};
use chrono::{DateTime, Utc};
use entity::{id_tag, meter_sample, transaction, transaction_event};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseTransaction,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, TryInsertResult,
};
use std::str::FromStr;

/// The measurand whose register gives a transaction's energy.
pub const ENERGY_REGISTER: &str = "Energy.Active.Import.Register";

/// A transaction's state, as stored in `status`.
pub const ACTIVE: &str = "Active";
pub const COMPLETED: &str = "Completed";
pub const STALE: &str = "Stale";

/// One sampled value, already normalised (see `charging::normalise`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    pub sampled_at: DateTime<Utc>,
    pub measurand: String,
    pub phase: Option<String>,
    pub context: String,
    pub location: String,
    pub unit: String,
    pub value: String,
}

impl Sample {
    /// The energy register reading in whole Wh, if this is one that meters the transaction: the
    /// total (not a phase's), not the vehicle's own meter (location `EV`).
    pub fn energy_wh(&self) -> Option<i64> {
        (self.measurand == ENERGY_REGISTER && self.unit == "Wh" && self.phase.is_none() && self.location != "EV")
            .then(|| Decimal::from_str(&self.value).ok()?.round().to_i64())
            .flatten()
    }
}

/// The reading that begins a transaction among `samples`: the `Transaction.Begin` one, else the
/// earliest.
fn begin_reading(samples: &[Sample]) -> Option<i64> {
    edge_reading(samples, "Transaction.Begin", false)
}

/// The reading that ends a transaction among `samples`: the `Transaction.End` one, else the
/// latest (an Ended event often carries the whole session's readings).
fn end_reading(samples: &[Sample]) -> Option<i64> {
    edge_reading(samples, "Transaction.End", true)
}

fn edge_reading(samples: &[Sample], context: &str, latest: bool) -> Option<i64> {
    let readings: Vec<(&Sample, i64)> = samples.iter().filter_map(|s| Some((s, s.energy_wh()?))).collect();
    let marked: Vec<(&Sample, i64)> = readings.iter().filter(|(s, _)| s.context == context).copied().collect();
    let candidates = if marked.is_empty() { readings } else { marked };
    let chosen = if latest {
        candidates.iter().max_by_key(|(s, _)| s.sampled_at)
    } else {
        candidates.iter().min_by_key(|(s, _)| s.sampled_at)
    };
    chosen.map(|(_, wh)| *wh)
}

/// `stop − start`, unless the charger's numbers overflow it.
fn energy(start: Option<i64>, stop: Option<i64>) -> Option<i64> {
    start.zip(stop).and_then(|(start, stop)| stop.checked_sub(start))
}

/// A 1.6 StartTransaction.
#[derive(Debug, Clone)]
pub struct StartRecord {
    pub charger_id: String,
    pub connector_id: i32,
    pub id_tag: String,
    pub meter_start_wh: i64,
    pub started_at: DateTime<Utc>,
}

/// What storing a start did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Started {
    pub id: i64,
    /// The same start had been stored before (a charger resending it).
    pub repeated: bool,
    /// The transaction is still in progress (a resent start of a finished one is not).
    pub open: bool,
    /// Asked to check (`exclusive`), another transaction of the same tag was open elsewhere
    /// when this one was stored.
    pub concurrent: bool,
}

/// A 1.6 StopTransaction.
#[derive(Debug, Clone)]
pub struct StopRecord {
    pub charger_id: String,
    pub id: i64,
    pub meter_stop_wh: i64,
    pub stopped_at: DateTime<Utc>,
    pub reason: Option<String>,
    /// The tag that stopped it, when the charger says.
    pub id_tag: Option<String>,
}

/// The kind of a 2.0.1 TransactionEvent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Started,
    Updated,
    Ended,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Started => "Started",
            EventKind::Updated => "Updated",
            EventKind::Ended => "Ended",
        }
    }
}

/// A 2.0.1 TransactionEvent, version-neutral.
#[derive(Debug, Clone)]
pub struct EventRecord {
    pub charger_id: String,
    pub charger_transaction_id: String,
    pub kind: EventKind,
    pub seq_no: i32,
    pub at: DateTime<Utc>,
    pub evse_id: Option<i32>,
    pub connector_id: Option<i32>,
    pub id_tag: Option<String>,
    pub stop_reason: Option<String>,
    /// Why the charger sent it (2.0.1 `triggerReason`).
    pub trigger_reason: String,
    /// The event happened while the charger was offline.
    pub offline: bool,
}

/// What applying a 2.0.1 TransactionEvent left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    /// Our id of the transaction.
    pub id: i64,
    /// Where it is, as (EVSE, connector).
    pub at: (i32, i32),
    /// Still in progress.
    pub open: bool,
    /// Asked to check (`exclusive`), another transaction of the same tag was open elsewhere
    /// when this event was applied.
    pub concurrent: bool,
}

/// What storing a stop did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// Closed now; it was on connector `at` (EVSE, connector).
    Closed {
        energy_wh: Option<i64>,
        at: (i32, i32),
    },
    AlreadyClosed,
    Unknown,
}

impl Store {
    /// The id tag `tag`.
    pub async fn id_tag(&self, tag: &str) -> Result<Option<id_tag::Model>, StoreError> {
        Ok(id_tag::Entity::find_by_id(tag).one(self.db()).await?)
    }

    /// Creates an id tag; `Conflict` when it exists.
    pub async fn create_id_tag(
        &self,
        tag: &str,
        status: &str,
        expiry_date: Option<DateTime<Utc>>,
        parent_id_tag: Option<String>,
    ) -> Result<id_tag::Model, StoreError> {
        let row = id_tag::ActiveModel {
            id_tag: Set(tag.to_owned()),
            status: Set(status.to_owned()),
            expiry_date: Set(expiry_date),
            parent_id_tag: Set(parent_id_tag),
            created_at: Set(Utc::now()),
        };
        let turn = self.write_turn().await;
        let inserted = id_tag::Entity::insert(row)
            .on_conflict_do_nothing_on([id_tag::Column::IdTag])
            .exec_without_returning(self.db())
            .await?;
        drop(turn);
        match inserted {
            TryInsertResult::Inserted(1) => self.id_tag(tag).await?.ok_or(StoreError::NotFound("id tag")),
            _ => Err(StoreError::Conflict("id tag")),
        }
    }

    /// Stores a 1.6 start: the same start again returns the stored id; an open transaction on
    /// the connector is closed as stale first (the charger is the source of truth for it).
    /// `exclusive`: also tell whether the tag has another transaction open elsewhere, looked up
    /// in the same database transaction as the insert, with the tag locked (see `lock_tag`), so
    /// that two starts of one tag at the same instant cannot both find none.
    pub async fn start_transaction(&self, start: StartRecord, exclusive: bool) -> Result<Started, StoreError> {
        let (_turn, txn) = self.begin_write().await?;
        if exclusive {
            lock_tag(&txn, &start.id_tag).await?;
        }
        let same = transaction::Entity::find()
            .filter(transaction::Column::ChargerId.eq(&start.charger_id))
            .filter(transaction::Column::ConnectorId.eq(start.connector_id))
            .filter(transaction::Column::StartedAt.eq(start.started_at))
            .filter(transaction::Column::MeterStartWh.eq(start.meter_start_wh))
            .filter(transaction::Column::IdTag.eq(&start.id_tag))
            .one(&txn)
            .await?;
        if let Some(same) = same {
            let concurrent = exclusive && open_elsewhere(&txn, &start.id_tag, &same).await?;
            txn.commit().await?;
            return Ok(Started { id: same.id, repeated: true, open: same.status == ACTIVE, concurrent });
        }
        close_stale(&txn, &start.charger_id, 0, start.connector_id, start.started_at).await?;
        let now = Utc::now();
        let row = transaction::ActiveModel {
            charger_id: Set(start.charger_id),
            evse_id: Set(0),
            connector_id: Set(start.connector_id),
            charger_transaction_id: Set(None),
            id_tag: Set(Some(start.id_tag.clone())),
            started_at: Set(start.started_at),
            meter_start_wh: Set(Some(start.meter_start_wh)),
            stopped_at: Set(None),
            meter_stop_wh: Set(None),
            energy_wh: Set(None),
            stop_reason: Set(None),
            status: Set(ACTIVE.to_owned()),
            last_seq_no: Set(None),
            offline: Set(false),
            updated_at: Set(now),
            ..Default::default()
        };
        let id = transaction::Entity::insert(row).exec(&txn).await?.last_insert_id;
        let concurrent = if exclusive {
            let stored =
                transaction::Entity::find_by_id(id).one(&txn).await?.ok_or(StoreError::NotFound("transaction"))?;
            open_elsewhere(&txn, &start.id_tag, &stored).await?
        } else {
            false
        };
        txn.commit().await?;
        Ok(Started { id, repeated: false, open: true, concurrent })
    }

    /// Stores a 1.6 stop and the samples sent with it. A repeated stop changes nothing; a stop of
    /// a transaction closed as stale replaces the guessed end with the charger's; the samples of a
    /// stop of an unknown transaction are kept, unattached.
    pub async fn stop_transaction(&self, stop: StopRecord, samples: Vec<Sample>) -> Result<Stopped, StoreError> {
        let (_turn, txn) = self.begin_write().await?;
        let found = transaction::Entity::find_by_id(stop.id)
            .filter(transaction::Column::ChargerId.eq(&stop.charger_id))
            .one(&txn)
            .await?;
        let Some(found) = found else {
            // What the operator needs to settle a stop nobody knows: all of it, in the same commit.
            let payload = serde_json::json!({
                "transactionId": stop.id,
                "meterStop": stop.meter_stop_wh,
                "timestamp": stop.stopped_at,
                "reason": stop.reason,
                "idTag": stop.id_tag,
                "samples": samples.len(),
            });
            super::chargers::record_event_on(&txn, &stop.charger_id, "StopOfUnknownTransaction", payload).await?;
            insert_samples(&txn, &stop.charger_id, None, 0, 0, &samples).await?;
            txn.commit().await?;
            return Ok(Stopped::Unknown);
        };
        if found.status == COMPLETED {
            txn.commit().await?;
            return Ok(Stopped::AlreadyClosed);
        }
        insert_samples(&txn, &stop.charger_id, Some(found.id), found.evse_id, found.connector_id, &samples).await?;
        let energy_wh = energy(found.meter_start_wh, Some(stop.meter_stop_wh));
        let at = (found.evse_id, found.connector_id);
        let mut row: transaction::ActiveModel = found.into();
        row.stopped_at = Set(Some(stop.stopped_at));
        row.meter_stop_wh = Set(Some(stop.meter_stop_wh));
        row.energy_wh = Set(energy_wh);
        row.stop_reason = Set(stop.reason);
        row.status = Set(COMPLETED.to_owned());
        row.updated_at = Set(Utc::now());
        row.update(&txn).await?;
        txn.commit().await?;
        Ok(Stopped::Closed { energy_wh, at })
    }

    /// Applies a 2.0.1 TransactionEvent and stores its samples, in one database transaction.
    /// Events may come late, repeated or out of order (offline chargers replay their queue):
    /// an event for an unknown transaction creates it; the same event again (seqNo, type and
    /// time) changes nothing; `Started` only moves the start earlier and sets the meter start;
    /// `Ended` closes an active transaction (or replaces a stale guess); `Updated` and `Started`
    /// never reopen a closed one; samples are stored whatever the order.
    /// `exclusive`: as for `start_transaction`, for the event's tag.
    pub async fn transaction_event(
        &self,
        event: EventRecord,
        samples: Vec<Sample>,
        exclusive: bool,
    ) -> Result<Applied, StoreError> {
        let (_turn, txn) = self.begin_write().await?;
        let exclusive_tag = event.id_tag.clone().filter(|_| exclusive);
        if let Some(tag) = &exclusive_tag {
            lock_tag(&txn, tag).await?;
        }
        let found = transaction::Entity::find()
            .filter(transaction::Column::ChargerId.eq(&event.charger_id))
            .filter(transaction::Column::ChargerTransactionId.eq(&event.charger_transaction_id))
            .one(&txn)
            .await?;
        let (begin, end) = (begin_reading(&samples), end_reading(&samples));
        let now = Utc::now();
        let (evse_id, connector_id) = (event.evse_id.unwrap_or(0), event.connector_id.unwrap_or(0));
        let current = match found {
            Some(found) => found,
            None => {
                if event.kind == EventKind::Started && event.evse_id.is_some() {
                    close_stale(&txn, &event.charger_id, evse_id, connector_id, event.at).await?;
                }
                let row = transaction::ActiveModel {
                    charger_id: Set(event.charger_id.clone()),
                    evse_id: Set(evse_id),
                    connector_id: Set(connector_id),
                    charger_transaction_id: Set(Some(event.charger_transaction_id.clone())),
                    id_tag: Set(event.id_tag.clone()),
                    started_at: Set(event.at),
                    meter_start_wh: Set(None),
                    stopped_at: Set(None),
                    meter_stop_wh: Set(None),
                    energy_wh: Set(None),
                    stop_reason: Set(None),
                    status: Set(ACTIVE.to_owned()),
                    last_seq_no: Set(None),
                    offline: Set(false),
                    updated_at: Set(now),
                    ..Default::default()
                };
                let id = transaction::Entity::insert(row).exec(&txn).await?.last_insert_id;
                transaction::Entity::find_by_id(id).one(&txn).await?.ok_or(StoreError::NotFound("transaction"))?
            }
        };
        let id = current.id;
        if !record_event(&txn, id, &event, now).await? {
            let concurrent = match &exclusive_tag {
                Some(tag) => open_elsewhere(&txn, tag, &current).await?,
                None => false,
            };
            txn.commit().await?;
            let at = (current.evse_id, current.connector_id);
            return Ok(Applied { id, at, open: current.status == ACTIVE, concurrent });
        }
        // Where it is: an event without `evse` (usual after the first) keeps the known place.
        let evse = if current.evse_id == 0 { evse_id } else { current.evse_id };
        let connector = if current.connector_id == 0 && evse_id == evse { connector_id } else { current.connector_id };
        insert_samples(&txn, &event.charger_id, Some(id), evse, connector, &samples).await?;

        let mut row: transaction::ActiveModel = current.clone().into();
        row.evse_id = Set(evse);
        row.connector_id = Set(connector);
        if current.id_tag.is_none() && event.id_tag.is_some() {
            row.id_tag = Set(event.id_tag.clone());
        }
        if event.at < current.started_at {
            row.started_at = Set(event.at);
        }
        // The Started event's reading is the meter start, even when it arrives after Ended
        // (an offline charger replaying its queue): then the energy is recomputed.
        if event.kind == EventKind::Started
            && let Some(start) = begin
        {
            row.meter_start_wh = Set(Some(start));
            if current.meter_stop_wh.is_some() {
                row.energy_wh = Set(energy(Some(start), current.meter_stop_wh));
            }
        }
        row.last_seq_no = Set(Some(current.last_seq_no.map_or(event.seq_no, |seen| seen.max(event.seq_no))));
        if event.offline && !current.offline {
            row.offline = Set(true);
        }
        if event.kind == EventKind::Ended && current.status != COMPLETED {
            // Without a Started reading, the earliest stored one (this event's are stored already).
            let meter_start = match current.meter_start_wh {
                Some(start) => Some(start),
                None => first_reading(&txn, id).await?,
            };
            let meter_stop = match end {
                Some(stop) => Some(stop),
                None => last_reading(&txn, id).await?,
            };
            row.meter_start_wh = Set(meter_start);
            row.meter_stop_wh = Set(meter_stop);
            row.energy_wh = Set(energy(meter_start, meter_stop));
            row.stopped_at = Set(Some(event.at));
            row.stop_reason = Set(event.stop_reason.clone());
            row.status = Set(COMPLETED.to_owned());
        }
        row.updated_at = Set(now);
        let row = row.update(&txn).await?;
        let concurrent = match &exclusive_tag {
            Some(tag) => open_elsewhere(&txn, tag, &row).await?,
            None => false,
        };
        txn.commit().await?;
        Ok(Applied { id, at: (row.evse_id, row.connector_id), open: row.status == ACTIVE, concurrent })
    }

    /// A transaction and its samples in time order.
    pub async fn transaction(
        &self,
        id: i64,
    ) -> Result<Option<(transaction::Model, Vec<meter_sample::Model>)>, StoreError> {
        let Some(found) = transaction::Entity::find_by_id(id).one(self.db()).await? else {
            return Ok(None);
        };
        let samples = meter_sample::Entity::find()
            .filter(of_transaction(id))
            .order_by_asc(meter_sample::Column::SampledAt)
            .order_by_asc(meter_sample::Column::Id)
            .all(self.db())
            .await?;
        Ok(Some((found, samples)))
    }

    /// Transactions, newest first, of one charger and/or started within `from..to`.
    pub async fn transactions(
        &self,
        charger_id: Option<&str>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> Result<Vec<transaction::Model>, StoreError> {
        let mut query = transaction::Entity::find();
        if let Some(charger_id) = charger_id {
            query = query.filter(transaction::Column::ChargerId.eq(charger_id));
        }
        if let Some(from) = from {
            query = query.filter(transaction::Column::StartedAt.gte(from));
        }
        if let Some(to) = to {
            query = query.filter(transaction::Column::StartedAt.lt(to));
        }
        Ok(query
            .order_by_desc(transaction::Column::StartedAt)
            .order_by_desc(transaction::Column::Id)
            .all(self.db())
            .await?)
    }
}

/// Makes starts of `tag` take turns until this transaction ends. PostgreSQL: the tag's row is
/// locked (`SELECT … FOR UPDATE`), so a second start of the tag waits, then reads the first's
/// transaction. SQLite: write transactions already take turns (`Store::begin_write`).
async fn lock_tag(txn: &DatabaseTransaction, tag: &str) -> Result<(), StoreError> {
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        id_tag::Entity::find_by_id(tag).lock_exclusive().one(txn).await?;
    }
    Ok(())
}

/// Whether `tag` has an open transaction other than `this` and other than on `this`'s connector
/// (a start there has just closed it as stale, or the charger knows better).
async fn open_elsewhere(db: &impl ConnectionTrait, tag: &str, this: &transaction::Model) -> Result<bool, StoreError> {
    let open = transaction::Entity::find()
        .filter(transaction::Column::Status.eq(ACTIVE))
        .filter(transaction::Column::IdTag.eq(tag))
        .filter(transaction::Column::Id.ne(this.id))
        .all(db)
        .await?;
    let place = |t: &transaction::Model| (t.charger_id.clone(), t.evse_id, t.connector_id);
    Ok(open.iter().any(|t| place(t) != place(this)))
}

/// Records a TransactionEvent as applied to transaction `id`; false when the same event (seqNo,
/// type and time) was applied before.
async fn record_event(
    db: &impl ConnectionTrait,
    id: i64,
    event: &EventRecord,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let row = transaction_event::ActiveModel {
        transaction_id: Set(id),
        seq_no: Set(event.seq_no),
        event_type: Set(event.kind.as_str().to_owned()),
        trigger_reason: Set(event.trigger_reason.clone()),
        at: Set(event.at),
        offline: Set(event.offline),
        received_at: Set(now),
        ..Default::default()
    };
    let inserted = transaction_event::Entity::insert(row)
        .on_conflict_do_nothing_on([
            transaction_event::Column::TransactionId,
            transaction_event::Column::SeqNo,
            transaction_event::Column::EventType,
            transaction_event::Column::At,
        ])
        .exec_without_returning(db)
        .await?;
    Ok(matches!(inserted, TryInsertResult::Inserted(n) if n > 0))
}

/// The earliest and latest energy register readings of a transaction, in Wh.
async fn first_reading(db: &impl ConnectionTrait, id: i64) -> Result<Option<i64>, StoreError> {
    reading(db, id, false).await
}

async fn last_reading(db: &impl ConnectionTrait, id: i64) -> Result<Option<i64>, StoreError> {
    reading(db, id, true).await
}

async fn reading(db: &impl ConnectionTrait, id: i64, latest: bool) -> Result<Option<i64>, StoreError> {
    let query = energy_readings().filter(of_transaction(id));
    let query = if latest {
        query.order_by_desc(meter_sample::Column::SampledAt).order_by_desc(meter_sample::Column::Id)
    } else {
        query.order_by_asc(meter_sample::Column::SampledAt).order_by_asc(meter_sample::Column::Id)
    };
    Ok(query.one(db).await?.and_then(|s| Decimal::from_str(&s.value).ok()?.round().to_i64()))
}

/// The samples of transaction `id`, named as the sample key's index has it (see migration 6).
fn of_transaction(id: i64) -> sea_orm::sea_query::SimpleExpr {
    use sea_orm::sea_query::{Expr, ExprTrait};
    Expr::cust("COALESCE(transaction_id, 0)").eq(id)
}

/// The stored readings that meter a transaction (as `Sample::energy_wh` picks them).
fn energy_readings() -> sea_orm::Select<meter_sample::Entity> {
    meter_sample::Entity::find()
        .filter(meter_sample::Column::Measurand.eq(ENERGY_REGISTER))
        .filter(meter_sample::Column::Unit.eq("Wh"))
        .filter(meter_sample::Column::Phase.is_null())
        .filter(meter_sample::Column::Location.ne("EV"))
}

/// Closes an open transaction on the connector as stale: it ends at its last energy reading
/// (or at the new start), with the energy of that reading.
async fn close_stale(
    db: &impl ConnectionTrait,
    charger_id: &str,
    evse_id: i32,
    connector_id: i32,
    new_start: DateTime<Utc>,
) -> Result<(), StoreError> {
    let open = transaction::Entity::find()
        .filter(transaction::Column::ChargerId.eq(charger_id))
        .filter(transaction::Column::EvseId.eq(evse_id))
        .filter(transaction::Column::ConnectorId.eq(connector_id))
        .filter(transaction::Column::Status.eq(ACTIVE))
        .all(db)
        .await?;
    for stale in open {
        let last = energy_readings()
            .filter(of_transaction(stale.id))
            .order_by_desc(meter_sample::Column::SampledAt)
            .order_by_desc(meter_sample::Column::Id)
            .one(db)
            .await?;
        let reading =
            last.as_ref().and_then(|s| Some((s.sampled_at, Decimal::from_str(&s.value).ok()?.round().to_i64()?)));
        let meter_stop_wh = reading.map(|(_, wh)| wh).or(stale.meter_start_wh);
        let stopped_at = reading.map_or(new_start, |(at, _)| at);
        let energy_wh = energy(stale.meter_start_wh, meter_stop_wh);
        let mut row: transaction::ActiveModel = stale.into();
        row.status = Set(STALE.to_owned());
        row.stopped_at = Set(Some(stopped_at));
        row.meter_stop_wh = Set(meter_stop_wh);
        row.energy_wh = Set(energy_wh);
        row.updated_at = Set(Utc::now());
        row.update(db).await?;
    }
    Ok(())
}
