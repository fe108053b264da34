//! The charging area's `Recording`: one database transaction, holding this process's writing
//! turn, in which the domain's rules read transactions and the writes they decided are made.

use super::at_start;
use super::readings::timed_reading;
use crate::domain::charging::lifecycle::TransactionState;
use crate::domain::charging::records::{TagStanding, Transaction};
use crate::domain::charging::transactions::{ACTIVE, EventRecord, Sample, StartRecord};
use crate::domain::charging::{AtStart, Opened, ReadingPick, Recording};
use crate::domain::ids::{ChargerId, IdTag};
use crate::domain::units::Wh;
use crate::store::rows::Parse;
use crate::store::samples::insert_samples;
use crate::store::{Store, StoreError, WriteTurn};
use chrono::{DateTime, Utc};
use entity::{id_tag, transaction, transaction_event};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, TryInsertResult,
};

/// A `Recording` on the store's database.
pub(crate) struct Work {
    _turn: WriteTurn,
    txn: DatabaseTransaction,
    /// `meter_samples` holds samples (see `Store::legacy_samples`).
    legacy: bool,
}

impl Store {
    /// Begins a `Recording` (see `begin_write`).
    pub(crate) async fn recording(&self) -> Result<Box<dyn Recording>, StoreError> {
        let legacy = self.legacy_samples().await?;
        let (turn, txn) = self.begin_write().await?;
        Ok(Box::new(Work { _turn: turn, txn, legacy }))
    }
}

#[async_trait::async_trait]
impl Recording for Work {
    async fn lock_tag(&mut self, tag: &IdTag) -> Result<(), StoreError> {
        // SQLite: write transactions already take turns (`Store::begin_write`).
        if self.txn.get_database_backend() == DatabaseBackend::Postgres {
            id_tag::Entity::find_by_id(tag.as_str()).lock_exclusive().one(&self.txn).await?;
        }
        Ok(())
    }

    async fn tag_standing(&mut self, tag: &IdTag) -> Result<Option<TagStanding>, StoreError> {
        super::id_tags::standing_on(&self.txn, tag, true).await
    }

    async fn at_start_opening(
        &mut self,
        start: &StartRecord,
        tag: Option<&IdTag>,
        opened: Opened,
    ) -> Result<(AtStart, Option<Transaction>), StoreError> {
        if self.txn.get_database_backend() == DatabaseBackend::Postgres {
            return at_start::opening_at_once(&self.txn, start, tag, opened).await;
        }
        let found = read_at_start(&self.txn, start, tag).await?;
        if found.same.is_some() || !found.open_here.is_empty() {
            return Ok((found, None));
        }
        let made = self.open((&start.charger_id, 0, start.connector_id), opened).await?;
        Ok((found, Some(made)))
    }

    async fn transaction_of(&mut self, charger_id: &ChargerId, id: i64) -> Result<Option<Transaction>, StoreError> {
        let found = transaction::Entity::find_by_id(id)
            .filter(transaction::Column::ChargerId.eq(charger_id))
            .one(&self.txn)
            .await?;
        found.parsed()
    }

    async fn transaction_called(
        &mut self,
        charger_id: &ChargerId,
        charger_transaction_id: &str,
    ) -> Result<Option<Transaction>, StoreError> {
        let found = transaction::Entity::find()
            .filter(transaction::Column::ChargerId.eq(charger_id))
            .filter(transaction::Column::ChargerTransactionId.eq(charger_transaction_id))
            .one(&self.txn)
            .await?;
        found.parsed()
    }

    async fn open_on(
        &mut self,
        (charger_id, evse_id, connector_id): (&ChargerId, i32, i32),
    ) -> Result<Vec<Transaction>, StoreError> {
        let open = transaction::Entity::find()
            .filter(transaction::Column::ChargerId.eq(charger_id))
            .filter(transaction::Column::EvseId.eq(evse_id))
            .filter(transaction::Column::ConnectorId.eq(connector_id))
            .filter(transaction::Column::Status.eq(ACTIVE))
            .all(&self.txn)
            .await?;
        open.parsed()
    }

    async fn open_of_tag(&mut self, tag: &IdTag, except: i64) -> Result<Vec<Transaction>, StoreError> {
        let open = transaction::Entity::find()
            .filter(transaction::Column::Status.eq(ACTIVE))
            .filter(transaction::Column::IdTag.eq(tag))
            .filter(transaction::Column::Id.ne(except))
            .all(&self.txn)
            .await?;
        open.parsed()
    }

    async fn reading(
        &mut self,
        id: i64,
        latest: bool,
        pick: ReadingPick,
    ) -> Result<Option<(DateTime<Utc>, i64)>, StoreError> {
        timed_reading(&self.txn, (id, self.legacy), latest, pick).await
    }

    async fn open(&mut self, place: (&ChargerId, i32, i32), opened: Opened) -> Result<Transaction, StoreError> {
        transaction::Entity::insert(at_start::opened_row((place.0.as_str(), place.1, place.2), opened))
            .exec_with_returning(&self.txn)
            .await?
            .try_into()
    }

    async fn save(&mut self, id: i64, state: &TransactionState) -> Result<(), StoreError> {
        save_state(&self.txn, id, state, None).await.map(|_| ())
    }

    async fn applied_once(&mut self, id: i64, event: &EventRecord) -> Result<bool, StoreError> {
        let row = transaction_event::ActiveModel {
            transaction_id: Set(id),
            seq_no: Set(event.seq_no),
            event_type: Set(event.kind.as_str().to_owned()),
            trigger_reason: Set(event.trigger_reason.clone()),
            at: Set(event.at),
            offline: Set(event.offline),
            received_at: Set(Utc::now()),
            ..Default::default()
        };
        let inserted = transaction_event::Entity::insert(row)
            .on_conflict_do_nothing_on([
                transaction_event::Column::TransactionId,
                transaction_event::Column::SeqNo,
                transaction_event::Column::EventType,
                transaction_event::Column::At,
            ])
            .exec_without_returning(&self.txn)
            .await?;
        Ok(matches!(inserted, TryInsertResult::Inserted(n) if n > 0))
    }

    async fn store_samples(
        &mut self,
        charger_id: &ChargerId,
        of: Option<(i64, i32, i32)>,
        samples: &[Sample],
    ) -> Result<(), StoreError> {
        let (id, evse_id, connector_id) = match of {
            Some((id, evse_id, connector_id)) => (Some(id), evse_id, connector_id),
            None => (None, 0, 0),
        };
        insert_samples(&self.txn, charger_id, id, evse_id, connector_id, samples).await
    }

    async fn note(&mut self, charger_id: &ChargerId, kind: &str, payload: serde_json::Value) -> Result<(), StoreError> {
        crate::store::chargers::record_event_on(&self.txn, charger_id, kind, payload).await
    }

    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        Ok(self.txn.commit().await?)
    }
}

/// What a 1.6 start reads (see `Recording::at_start_opening`), in one statement.
async fn read_at_start(
    txn: &DatabaseTransaction,
    start: &StartRecord,
    tag: Option<&IdTag>,
) -> Result<AtStart, StoreError> {
    let rows: Vec<Transaction> = transaction::Entity::find()
        .filter(at_start::which(start, tag))
        .order_by_asc(transaction::Column::Id)
        .all(txn)
        .await?
        .parsed()?;
    Ok(at_start::sorted(rows, start, tag))
}

/// Writes transaction `id`'s state as the rules decided it; with `read_at`, only while the row is
/// as read (its `updated_at` unchanged). Answers whether it wrote.
pub(super) async fn save_state(
    db: &impl ConnectionTrait,
    id: i64,
    state: &TransactionState,
    read_at: Option<DateTime<Utc>>,
) -> Result<bool, StoreError> {
    use transaction::Column as C;
    let mut update = transaction::Entity::update_many()
        .col_expr(C::EvseId, Expr::value(state.evse_id))
        .col_expr(C::ConnectorId, Expr::value(state.connector_id))
        .col_expr(C::IdTag, Expr::value(state.id_tag.clone().map(String::from)))
        .col_expr(C::StartedAt, Expr::value(state.started_at))
        .col_expr(C::StoppedAt, Expr::value(state.stopped_at))
        .col_expr(C::MeterStartWh, Expr::value(state.meter_start_wh.map(Wh::get)))
        .col_expr(C::MeterStopWh, Expr::value(state.meter_stop_wh.map(Wh::get)))
        .col_expr(C::EnergyWh, Expr::value(state.energy_wh.map(Wh::get)))
        .col_expr(C::StopReason, Expr::value(state.stop_reason.clone()))
        .col_expr(C::Status, Expr::value(state.status))
        .col_expr(C::LastSeqNo, Expr::value(state.last_seq_no))
        .col_expr(C::Offline, Expr::value(state.offline))
        .col_expr(C::UpdatedAt, Expr::value(Utc::now()))
        .filter(C::Id.eq(id));
    if let Some(at) = read_at {
        update = update.filter(C::UpdatedAt.eq(at));
    }
    Ok(update.exec(db).await?.rows_affected > 0)
}
