//! OCPP 2.0.1 TransactionEvents applied to transactions: late, repeated or out of order, each
//! applied once (`transaction_events`), with its samples, in one database transaction.

use super::readings::{close_stale, first_reading, last_reading};
use super::{Opened, insert_open, lock_tag, open_elsewhere, place, save, state};
use crate::domain::charging::lifecycle::{self, Readings};
use crate::domain::charging::transactions::{
    ACTIVE, Applied, EventKind, EventRecord, Sample, begin_reading, end_reading,
};
use crate::domain::storage::Subject;
use crate::store::samples::insert_samples;
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use entity::{transaction, transaction_event};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TryInsertResult};

impl Store {
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
        let now = Utc::now();
        let (evse_id, connector_id) = (event.evse_id.unwrap_or(0), event.connector_id.unwrap_or(0));
        let current = match found {
            Some(found) => found,
            None => {
                if event.kind == EventKind::Started && event.evse_id.is_some() {
                    close_stale(&txn, &event.charger_id, evse_id, connector_id, event.at).await?;
                }
                let place = (event.charger_id.as_str(), evse_id, connector_id);
                let opened = Opened {
                    charger_transaction_id: Some(event.charger_transaction_id.clone()),
                    id_tag: event.id_tag.clone(),
                    started_at: event.at,
                    meter_start_wh: None,
                };
                let id = insert_open(&txn, place, opened).await?;
                transaction::Entity::find_by_id(id)
                    .one(&txn)
                    .await?
                    .ok_or(StoreError::NotFound(Subject::Transaction))?
            }
        };
        let id = current.id;
        let before = state(&current);
        if !record_event(&txn, id, &event, now).await? {
            let concurrent = match &exclusive_tag {
                Some(tag) => open_elsewhere(&txn, tag, id, place(&current)).await?,
                None => false,
            };
            txn.commit().await?;
            let at = (current.evse_id, current.connector_id);
            return Ok(Applied { id, at, open: current.status == ACTIVE, concurrent });
        }
        let (evse, connector) = lifecycle::place(&before, &event);
        insert_samples(&txn, &event.charger_id, Some(id), evse, connector, &samples).await?;
        let mut readings =
            Readings { begin: begin_reading(&samples), end: end_reading(&samples), ..Readings::default() };
        if lifecycle::closes(&before, &event) {
            // This event's samples are stored by now.
            readings.first_stored = first_reading(&txn, id).await?;
            readings.last_stored = last_reading(&txn, id).await?;
        }
        let row = save(&txn, current, lifecycle::apply_event(&before, &event, readings)).await?;
        let concurrent = match &exclusive_tag {
            Some(tag) => open_elsewhere(&txn, tag, id, place(&row)).await?,
            None => false,
        };
        txn.commit().await?;
        Ok(Applied { id, at: (row.evse_id, row.connector_id), open: row.status == ACTIVE, concurrent })
    }
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
