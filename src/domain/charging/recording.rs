//! Recording starts, stops and 2.0.1 events: each in one database transaction (a `Recording`),
//! in which the lifecycle's rules decide from what is read and the store writes what they
//! decided.

use super::lifecycle::{self, Readings, TransactionState};
use super::port::{ChargingStore, Opened, Recording};
use super::records::{MeterSample, Transaction};
use super::transactions::{
    ACTIVE, Applied, EventKind, EventRecord, Sample, StartRecord, Started, StopRecord, Stopped, begin_reading,
    end_reading,
};
use crate::domain::ids::{ChargerId, IdTag};
use crate::domain::storage::StoreError;
use crate::domain::units::Wh;
use chrono::{DateTime, Utc};

/// Stores a 1.6 start in a database transaction of its own, its tag locked when `exclusive` (see
/// `start_in`).
pub async fn start(store: &dyn ChargingStore, start: StartRecord, exclusive: bool) -> Result<Started, StoreError> {
    let mut work = store.begin_recording().await?;
    if exclusive {
        work.lock_tag(&start.id_tag).await?;
    }
    start_in(work, start, exclusive).await
}

/// Stores a 1.6 start in `work` (begun by the caller, which locked its tag in it when
/// `exclusive`: `lock_tag`, or reading its standing there): the same start again returns the stored id; an open transaction on
/// the connector is closed as stale first (the charger is the source of truth for it).
/// `exclusive`: also tell whether the tag has another transaction open elsewhere, looked up in
/// the same database transaction as the insert, with the tag locked, so that two starts of one
/// tag at the same instant cannot both find none.
pub async fn start_in(
    mut work: Box<dyn Recording>,
    start: StartRecord,
    exclusive: bool,
) -> Result<Started, StoreError> {
    let tag = exclusive.then_some(&start.id_tag);
    let opened = Opened {
        charger_transaction_id: None,
        id_tag: Some(start.id_tag.clone()),
        started_at: start.started_at,
        meter_start_wh: Some(start.meter_start_wh),
    };
    let (found, made) = work.at_start_opening(&start, tag, opened.clone()).await?;
    if let Some(same) = found.same {
        let concurrent = exclusive && elsewhere(&found.open_of_tag, &same);
        work.commit().await?;
        return Ok(Started { id: same.id, repeated: true, open: same.status == ACTIVE, concurrent });
    }
    let new = match made {
        Some(new) => new,
        None => {
            close_these(&mut *work, found.open_here, start.started_at).await?;
            work.open((&start.charger_id, 0, start.connector_id), opened).await?
        }
    };
    // Read before the stale ones here closed and this one opened: neither counts as elsewhere.
    let concurrent = exclusive && elsewhere(&found.open_of_tag, &new);
    work.commit().await?;
    Ok(Started { id: new.id, repeated: false, open: true, concurrent })
}

/// Stores a 1.6 stop and the samples sent with it. A repeated stop changes nothing; a stop of a
/// transaction closed as stale replaces the guessed end with the charger's; the samples of a stop
/// of an unknown transaction are kept, unattached, with an event that tells the operator all the
/// stop said.
///
/// A stop of a known transaction takes no database transaction: it is read, the rules decide,
/// its samples are stored (a copy of stored samples adds nothing, so a stop sent again after a
/// crash between the two stores them once) and it is closed in one conditional statement, while
/// its row is as read; changed meanwhile, it is read and decided again.
pub async fn stop(store: &dyn ChargingStore, stop: StopRecord, samples: Vec<Sample>) -> Result<Stopped, StoreError> {
    let mut stored = false;
    for _ in 0..ATTEMPTS {
        let Some(found) = store.transaction_of(&stop.charger_id, stop.id).await? else { break };
        let Some(next) = lifecycle::apply_stop(&TransactionState::from(&found), &stop) else {
            return Ok(Stopped::AlreadyClosed);
        };
        let at = (found.evse_id, found.connector_id);
        if !stored && !samples.is_empty() {
            store.store_samples_of(&stop.charger_id, (found.id, at.0, at.1), &samples).await?;
            stored = true;
        }
        if store.save_if_unchanged(found.id, found.updated_at, &next).await? {
            return Ok(Stopped::Closed { energy_wh: next.energy_wh, at });
        }
    }
    stop_in_transaction(store, stop, samples).await
}

/// Tries of a stop without a database transaction before it takes one.
const ATTEMPTS: usize = 3;

/// `stop` in one database transaction: for a stop of an unknown transaction (noted with its
/// samples), or of one that kept changing.
async fn stop_in_transaction(
    store: &dyn ChargingStore,
    stop: StopRecord,
    samples: Vec<Sample>,
) -> Result<Stopped, StoreError> {
    let mut work = store.begin_recording().await?;
    let Some(found) = work.transaction_of(&stop.charger_id, stop.id).await? else {
        let payload = serde_json::json!({
            "transactionId": stop.id,
            "meterStop": stop.meter_stop_wh,
            "timestamp": stop.stopped_at,
            "reason": stop.reason,
            "idTag": stop.id_tag,
            "samples": samples.len(),
        });
        work.note(&stop.charger_id, "StopOfUnknownTransaction", payload).await?;
        work.store_samples(&stop.charger_id, None, &samples).await?;
        work.commit().await?;
        return Ok(Stopped::Unknown);
    };
    let Some(next) = lifecycle::apply_stop(&TransactionState::from(&found), &stop) else {
        work.commit().await?;
        return Ok(Stopped::AlreadyClosed);
    };
    let at = (found.evse_id, found.connector_id);
    work.store_samples(&stop.charger_id, Some((found.id, at.0, at.1)), &samples).await?;
    work.save(found.id, &next).await?;
    work.commit().await?;
    Ok(Stopped::Closed { energy_wh: next.energy_wh, at })
}

/// Applies a 2.0.1 TransactionEvent and stores its samples, in one database transaction.
/// Events may come late, repeated or out of order (offline chargers replay their queue): an
/// event for an unknown transaction creates it; the same event again (seqNo, type and time)
/// changes nothing; `Started` only moves the start earlier and sets the meter start; `Ended`
/// closes an active transaction (or replaces a stale guess); `Updated` and `Started` never
/// reopen a closed one; samples are stored whatever the order (see `lifecycle`).
/// `exclusive`: as for `start`, for the event's tag.
pub async fn event(
    store: &dyn ChargingStore,
    event: EventRecord,
    samples: Vec<Sample>,
    exclusive: bool,
) -> Result<Applied, StoreError> {
    let mut work = store.begin_recording().await?;
    let exclusive_tag = event.id_tag.clone().filter(|_| exclusive);
    if let Some(tag) = &exclusive_tag {
        work.lock_tag(tag).await?;
    }
    let current = match work.transaction_called(&event.charger_id, &event.charger_transaction_id).await? {
        Some(found) => found,
        None => {
            let place = (&event.charger_id, event.evse_id.unwrap_or(0), event.connector_id.unwrap_or(0));
            if event.kind == EventKind::Started && event.evse_id.is_some() {
                close_stale(&mut *work, place, event.at).await?;
            }
            let opened = Opened {
                charger_transaction_id: Some(event.charger_transaction_id.clone()),
                id_tag: event.id_tag.clone(),
                started_at: event.at,
                meter_start_wh: None,
            };
            work.open(place, opened).await?
        }
    };
    let before = TransactionState::from(&current);
    let after = if work.applied_once(current.id, &event).await? {
        let (evse, connector) = lifecycle::place(&before, &event);
        work.store_samples(&event.charger_id, Some((current.id, evse, connector)), &samples).await?;
        let mut readings = Readings {
            begin: begin_reading(&samples).map(Wh),
            end: end_reading(&samples).map(Wh),
            ..Readings::default()
        };
        if lifecycle::closes(&before, &event) {
            // This event's samples are stored by now.
            readings.first_stored = work.reading(current.id, false, energy_wh).await?.map(|(_, wh)| Wh(wh));
            readings.last_stored = work.reading(current.id, true, energy_wh).await?.map(|(_, wh)| Wh(wh));
        }
        let after = lifecycle::apply_event(&before, &event, readings);
        work.save(current.id, &after).await?;
        after
    } else {
        before
    };
    let moved = Transaction { evse_id: after.evse_id, connector_id: after.connector_id, ..current };
    let concurrent = match &exclusive_tag {
        Some(tag) => open_elsewhere(&mut *work, tag, &moved).await?,
        None => false,
    };
    work.commit().await?;
    Ok(Applied { id: moved.id, at: (after.evse_id, after.connector_id), open: after.status == ACTIVE, concurrent })
}

/// The energy register reading in whole Wh of a stored sample that meters a transaction.
pub fn energy_wh(stored: &MeterSample) -> Option<i64> {
    Sample {
        sampled_at: stored.sampled_at,
        measurand: stored.measurand.clone(),
        phase: stored.phase.clone(),
        context: stored.context.clone(),
        location: stored.location.clone(),
        unit: stored.unit.clone(),
        value: stored.value.clone(),
    }
    .energy_wh()
}

/// Closes the open transactions on `place` as stale (`lifecycle::close_stale`), each at its last
/// energy reading.
async fn close_stale(
    work: &mut dyn Recording,
    place: (&ChargerId, i32, i32),
    new_start: DateTime<Utc>,
) -> Result<(), StoreError> {
    let open = work.open_on(place).await?;
    close_these(work, open, new_start).await
}

/// Closes `open` as stale, a transaction starting on their place at `new_start`.
async fn close_these(
    work: &mut dyn Recording,
    open: Vec<Transaction>,
    new_start: DateTime<Utc>,
) -> Result<(), StoreError> {
    for stale in open {
        let reading = work.reading(stale.id, true, energy_wh).await?;
        let next = lifecycle::close_stale(&TransactionState::from(&stale), reading, new_start);
        work.save(stale.id, &next).await?;
    }
    Ok(())
}

/// Whether `tag` has an open transaction other than `this`, and other than on its connector.
async fn open_elsewhere(work: &mut dyn Recording, tag: &IdTag, this: &Transaction) -> Result<bool, StoreError> {
    let open = work.open_of_tag(tag, this.id).await?;
    Ok(elsewhere(&open, this))
}

/// Whether any of `open` (a tag's open transactions) but `this` is on another connector.
fn elsewhere(open: &[Transaction], this: &Transaction) -> bool {
    let here = (this.charger_id.as_str(), this.evse_id, this.connector_id);
    let others = open.iter().filter(|t| t.id != this.id);
    lifecycle::charging_elsewhere(others.map(|t| (t.charger_id.as_str(), t.evse_id, t.connector_id)), here)
}
