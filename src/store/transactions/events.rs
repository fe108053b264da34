//! OCPP 2.0.1 TransactionEvents applied to transactions: late, repeated or out of order, each
//! applied once (`transaction_events`), with its samples, in one database transaction.

use super::readings::{close_stale, first_reading, last_reading};
use super::{lock_tag, open_elsewhere, place};
use crate::domain::charging::transactions::{
    ACTIVE, Applied, COMPLETED, EventKind, EventRecord, Sample, begin_reading, end_reading, energy,
};
use crate::store::samples::insert_samples;
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use entity::{transaction, transaction_event};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TryInsertResult,
};

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
                Some(tag) => open_elsewhere(&txn, tag, id, place(&current)).await?,
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
