//! Transactions: samples and the records of starts and stops, 1.6 starts and stops, and the
//! queries of transactions with their samples. 2.0.1 events are in `events`, which readings
//! meter a transaction in `readings`, id tags in `id_tags`.

mod events;
mod id_tags;
mod readings;

use super::samples::insert_samples;
use super::{Store, StoreError};
use crate::domain::charging::lifecycle::{TransactionState, apply_stop, charging_elsewhere};
use crate::domain::charging::records::MeterSample;
use crate::domain::charging::records::Transaction;
use crate::domain::charging::transactions::{ACTIVE, Sample, StartRecord, Started, StopRecord, Stopped};
use crate::store::rows::Record;
use chrono::{DateTime, Utc};
use entity::{id_tag, meter_sample, transaction};
use readings::{close_stale, of_transaction};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseTransaction,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

impl Store {
    /// A transaction's earliest stored energy register reading (when, Wh): where a running
    /// cost starts when the start carried no meter value.
    pub async fn first_energy_reading(&self, id: i64) -> Result<Option<(DateTime<Utc>, i64)>, StoreError> {
        readings::timed_reading(self.db(), id, false).await
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
            let concurrent = exclusive && open_elsewhere(&txn, &start.id_tag, same.id, place(&same)).await?;
            txn.commit().await?;
            return Ok(Started { id: same.id, repeated: true, open: same.status == ACTIVE, concurrent });
        }
        close_stale(&txn, &start.charger_id, 0, start.connector_id, start.started_at).await?;
        let here = (start.charger_id.as_str(), 0, start.connector_id);
        let opened = Opened {
            charger_transaction_id: None,
            id_tag: Some(start.id_tag.clone()),
            started_at: start.started_at,
            meter_start_wh: Some(start.meter_start_wh),
        };
        let id = insert_open(&txn, here, opened).await?;
        let concurrent = exclusive && open_elsewhere(&txn, &start.id_tag, id, here).await?;
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
        let Some(next) = apply_stop(&state(&found), &stop) else {
            txn.commit().await?;
            return Ok(Stopped::AlreadyClosed);
        };
        insert_samples(&txn, &stop.charger_id, Some(found.id), found.evse_id, found.connector_id, &samples).await?;
        let (energy_wh, at) = (next.energy_wh, (found.evse_id, found.connector_id));
        save(&txn, found, next).await?;
        txn.commit().await?;
        Ok(Stopped::Closed { energy_wh, at })
    }

    /// A transaction and its samples in time order (both tables': see `sample_reads`).
    pub async fn transaction(&self, id: i64) -> Result<Option<(Transaction, Vec<MeterSample>)>, StoreError> {
        let Some(found) = transaction::Entity::find_by_id(id).one(self.db()).await? else {
            return Ok(None);
        };
        let legacy = meter_sample::Entity::find()
            .filter(of_transaction(id))
            .order_by_asc(meter_sample::Column::SampledAt)
            .order_by_asc(meter_sample::Column::Id)
            .all(self.db())
            .await?;
        Ok(Some((found.into(), super::sample_reads::transaction_samples(self.db(), id, legacy).await?.record())))
    }

    /// Transactions, newest first, of one charger and/or started within `from..to`.
    pub async fn transactions(
        &self,
        charger_id: Option<&str>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> Result<Vec<Transaction>, StoreError> {
        Ok(newest_first(filtered(charger_id, from, to)).all(self.db()).await?.record())
    }

    /// The same, `limit` from `offset`, and how many there are.
    pub async fn transactions_page(
        &self,
        (charger_id, from, to): (Option<&str>, Option<DateTime<Utc>>, Option<DateTime<Utc>>),
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<Transaction>, u64), StoreError> {
        let query = filtered(charger_id, from, to);
        let total = query.clone().count(self.db()).await?;
        Ok((newest_first(query).offset(offset).limit(limit).all(self.db()).await?.record(), total))
    }
}

/// Transactions of one charger and/or started within `from..to`.
fn filtered(
    charger_id: Option<&str>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> sea_orm::Select<transaction::Entity> {
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
    query
}

fn newest_first(query: sea_orm::Select<transaction::Entity>) -> sea_orm::Select<transaction::Entity> {
    query.order_by_desc(transaction::Column::StartedAt).order_by_desc(transaction::Column::Id)
}

/// What a transaction opens with (1.6 start, or the first 2.0.1 event of one).
struct Opened {
    charger_transaction_id: Option<String>,
    id_tag: Option<String>,
    started_at: DateTime<Utc>,
    meter_start_wh: Option<i64>,
}

/// Inserts an active transaction at `(charger, EVSE, connector)`; its id.
async fn insert_open(
    db: &impl ConnectionTrait,
    (charger_id, evse_id, connector_id): (&str, i32, i32),
    opened: Opened,
) -> Result<i64, StoreError> {
    let row = transaction::ActiveModel {
        charger_id: Set(charger_id.to_owned()),
        evse_id: Set(evse_id),
        connector_id: Set(connector_id),
        charger_transaction_id: Set(opened.charger_transaction_id),
        id_tag: Set(opened.id_tag),
        started_at: Set(opened.started_at),
        meter_start_wh: Set(opened.meter_start_wh),
        stopped_at: Set(None),
        meter_stop_wh: Set(None),
        energy_wh: Set(None),
        stop_reason: Set(None),
        status: Set(ACTIVE.to_owned()),
        last_seq_no: Set(None),
        offline: Set(false),
        updated_at: Set(Utc::now()),
        ..Default::default()
    };
    Ok(transaction::Entity::insert(row).exec(db).await?.last_insert_id)
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

/// Whether `tag` has an open transaction other than transaction `id` and other than on its
/// connector `(charger, EVSE, connector)` (a start there has just closed it as stale, or the
/// charger knows better).
async fn open_elsewhere(
    db: &impl ConnectionTrait,
    tag: &str,
    id: i64,
    (charger_id, evse_id, connector_id): (&str, i32, i32),
) -> Result<bool, StoreError> {
    let open = transaction::Entity::find()
        .filter(transaction::Column::Status.eq(ACTIVE))
        .filter(transaction::Column::IdTag.eq(tag))
        .filter(transaction::Column::Id.ne(id))
        .all(db)
        .await?;
    Ok(charging_elsewhere(open.iter().map(place), (charger_id, evse_id, connector_id)))
}

/// A stored transaction's record as the domain's rules take it.
fn state(t: &transaction::Model) -> TransactionState {
    TransactionState {
        evse_id: t.evse_id,
        connector_id: t.connector_id,
        id_tag: t.id_tag.clone(),
        started_at: t.started_at,
        stopped_at: t.stopped_at,
        meter_start_wh: t.meter_start_wh,
        meter_stop_wh: t.meter_stop_wh,
        energy_wh: t.energy_wh,
        stop_reason: t.stop_reason.clone(),
        status: t.status.clone(),
        last_seq_no: t.last_seq_no,
        offline: t.offline,
    }
}

/// Writes `next` over transaction `t`'s record.
async fn save(
    db: &impl ConnectionTrait,
    t: transaction::Model,
    next: TransactionState,
) -> Result<transaction::Model, StoreError> {
    let mut row: transaction::ActiveModel = t.into();
    row.evse_id = Set(next.evse_id);
    row.connector_id = Set(next.connector_id);
    row.id_tag = Set(next.id_tag);
    row.started_at = Set(next.started_at);
    row.stopped_at = Set(next.stopped_at);
    row.meter_start_wh = Set(next.meter_start_wh);
    row.meter_stop_wh = Set(next.meter_stop_wh);
    row.energy_wh = Set(next.energy_wh);
    row.stop_reason = Set(next.stop_reason);
    row.status = Set(next.status);
    row.last_seq_no = Set(next.last_seq_no);
    row.offline = Set(next.offline);
    row.updated_at = Set(Utc::now());
    Ok(row.update(db).await?)
}

/// Where transaction `t` is, as `open_elsewhere` takes it.
fn place(t: &transaction::Model) -> (&str, i32, i32) {
    (&t.charger_id, t.evse_id, t.connector_id)
}
