//! The charging area's `Recording`: one database transaction, holding this process's writing
//! turn, in which the domain's rules read transactions and the writes they decided are made.

use super::readings::timed_reading;
use crate::domain::charging::lifecycle::TransactionState;
use crate::domain::charging::records::Transaction;
use crate::domain::charging::transactions::{ACTIVE, EventRecord, Sample, StartRecord};
use crate::domain::charging::{AtStart, Opened, ReadingPick, Recording};
use crate::domain::units::Wh;
use crate::store::rows::Parse;
use crate::store::samples::insert_samples;
use crate::store::{Store, StoreError, WriteTurn};
use chrono::{DateTime, Utc};
use entity::{id_tag, transaction, transaction_event};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, TryInsertResult,
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
    async fn lock_tag(&mut self, tag: &str) -> Result<(), StoreError> {
        // SQLite: write transactions already take turns (`Store::begin_write`).
        if self.txn.get_database_backend() == DatabaseBackend::Postgres {
            id_tag::Entity::find_by_id(tag).lock_exclusive().one(&self.txn).await?;
        }
        Ok(())
    }

    async fn at_start(&mut self, start: &StartRecord, tag: Option<&str>) -> Result<AtStart, StoreError> {
        use transaction::Column as C;
        let place = Condition::all().add(C::ChargerId.eq(&start.charger_id)).add(C::ConnectorId.eq(start.connector_id));
        let same = place
            .clone()
            .add(C::StartedAt.eq(start.started_at))
            .add(C::MeterStartWh.eq(start.meter_start_wh.get()))
            .add(C::IdTag.eq(&start.id_tag));
        let here = place.add(C::EvseId.eq(0)).add(C::Status.eq(ACTIVE));
        let mut which = Condition::any().add(same).add(here);
        if let Some(tag) = tag {
            which = which.add(Condition::all().add(C::Status.eq(ACTIVE)).add(C::IdTag.eq(tag)));
        }
        let rows: Vec<Transaction> =
            transaction::Entity::find().filter(which).order_by_asc(C::Id).all(&self.txn).await?.parsed()?;
        // Each row sorted by the conditions that found it (the times as stored: to the µs).
        let mut found = AtStart::default();
        for row in rows {
            let on_place = row.charger_id == start.charger_id && row.connector_id == start.connector_id;
            let open = row.status == ACTIVE;
            let same = on_place
                && row.started_at.timestamp_micros() == start.started_at.timestamp_micros()
                && row.meter_start_wh == Some(start.meter_start_wh)
                && row.id_tag.as_deref() == Some(start.id_tag.as_str());
            if same && found.same.is_none() {
                found.same = Some(row.clone());
            }
            if on_place && row.evse_id == 0 && open {
                found.open_here.push(row.clone());
            }
            if open && tag.is_some() && row.id_tag.as_deref() == tag {
                found.open_of_tag.push(row);
            }
        }
        Ok(found)
    }

    async fn transaction_of(&mut self, charger_id: &str, id: i64) -> Result<Option<Transaction>, StoreError> {
        let found = transaction::Entity::find_by_id(id)
            .filter(transaction::Column::ChargerId.eq(charger_id))
            .one(&self.txn)
            .await?;
        found.parsed()
    }

    async fn transaction_called(
        &mut self,
        charger_id: &str,
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
        (charger_id, evse_id, connector_id): (&str, i32, i32),
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

    async fn open_of_tag(&mut self, tag: &str, except: i64) -> Result<Vec<Transaction>, StoreError> {
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

    async fn open(
        &mut self,
        (charger_id, evse_id, connector_id): (&str, i32, i32),
        opened: Opened,
    ) -> Result<Transaction, StoreError> {
        let row = transaction::ActiveModel {
            charger_id: Set(charger_id.to_owned()),
            evse_id: Set(evse_id),
            connector_id: Set(connector_id),
            charger_transaction_id: Set(opened.charger_transaction_id),
            id_tag: Set(opened.id_tag),
            started_at: Set(opened.started_at),
            meter_start_wh: Set(opened.meter_start_wh.map(Wh::get)),
            stopped_at: Set(None),
            meter_stop_wh: Set(None),
            energy_wh: Set(None),
            stop_reason: Set(None),
            status: Set(ACTIVE.as_str().to_owned()),
            last_seq_no: Set(None),
            offline: Set(false),
            updated_at: Set(Utc::now()),
            ..Default::default()
        };
        transaction::Entity::insert(row).exec_with_returning(&self.txn).await?.try_into()
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
        charger_id: &str,
        of: Option<(i64, i32, i32)>,
        samples: &[Sample],
    ) -> Result<(), StoreError> {
        let (id, evse_id, connector_id) = match of {
            Some((id, evse_id, connector_id)) => (Some(id), evse_id, connector_id),
            None => (None, 0, 0),
        };
        insert_samples(&self.txn, charger_id, id, evse_id, connector_id, samples).await
    }

    async fn note(&mut self, charger_id: &str, kind: &str, payload: serde_json::Value) -> Result<(), StoreError> {
        crate::store::chargers::record_event_on(&self.txn, charger_id, kind, payload).await
    }

    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        Ok(self.txn.commit().await?)
    }
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
        .col_expr(C::IdTag, Expr::value(state.id_tag.clone()))
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
