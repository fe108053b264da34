//! How a transaction's record changes: a 2.0.1 TransactionEvent applied to it, a transaction
//! left open closed as stale, and whether a tag is charging elsewhere. Pure: the store reads
//! what these need and writes what they decide, in one database transaction.

use super::records::Transaction;
use super::transactions::{COMPLETED, EventKind, EventRecord, STALE, StopRecord, TransactionStatus, energy};
use crate::domain::ids::IdTag;
use crate::domain::units::Wh;
use chrono::{DateTime, Utc};

/// What events change of a transaction's record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionState {
    pub evse_id: i32,
    pub connector_id: i32,
    pub id_tag: Option<IdTag>,
    pub started_at: DateTime<Utc>,
    pub stopped_at: Option<DateTime<Utc>>,
    pub meter_start_wh: Option<Wh>,
    pub meter_stop_wh: Option<Wh>,
    pub energy_wh: Option<Wh>,
    pub stop_reason: Option<String>,
    pub status: TransactionStatus,
    pub last_seq_no: Option<i32>,
    pub offline: bool,
}

impl From<&Transaction> for TransactionState {
    fn from(t: &Transaction) -> Self {
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
            status: t.status,
            last_seq_no: t.last_seq_no,
            offline: t.offline,
        }
    }
}

/// Energy register readings an event's change needs, in Wh.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Readings {
    /// The event's own begin and end readings (`begin_reading`, `end_reading`).
    pub begin: Option<Wh>,
    pub end: Option<Wh>,
    /// The earliest and latest stored for the transaction, the event's included: read only
    /// when the event `closes` it.
    pub first_stored: Option<Wh>,
    pub last_stored: Option<Wh>,
}

/// Where an event's samples and the transaction belong, as (EVSE, connector): an event without
/// `evse` (usual after the first) keeps the known place; a place first known is taken.
pub fn place(current: &TransactionState, event: &EventRecord) -> (i32, i32) {
    let (evse_id, connector_id) = (event.evse_id.unwrap_or(0), event.connector_id.unwrap_or(0));
    let evse = if current.evse_id == 0 { evse_id } else { current.evse_id };
    let connector = if current.connector_id == 0 && evse_id == evse { connector_id } else { current.connector_id };
    (evse, connector)
}

/// Whether `event` closes the transaction: an `Ended` of one not completed (an active one, or a
/// stale guess the charger's own end replaces).
pub fn closes(current: &TransactionState, event: &EventRecord) -> bool {
    event.kind == EventKind::Ended && current.status != COMPLETED
}

/// The record after `event`, applied once (the caller checks it is new). Events may come late,
/// repeated or out of order (offline chargers replay their queue): `Started` only moves the
/// start earlier and sets the meter start — even after `Ended`, and then the energy is
/// recomputed; `Ended` closes (see `closes`), with the earliest stored reading when no start
/// was read and the latest when the event has no end reading; `Updated` and `Started` never
/// reopen a closed transaction.
pub fn apply_event(current: &TransactionState, event: &EventRecord, readings: Readings) -> TransactionState {
    let mut next = current.clone();
    (next.evse_id, next.connector_id) = place(current, event);
    if current.id_tag.is_none() && event.id_tag.is_some() {
        next.id_tag = event.id_tag.clone();
    }
    if event.at < current.started_at {
        next.started_at = event.at;
    }
    if event.kind == EventKind::Started
        && let Some(start) = readings.begin
    {
        next.meter_start_wh = Some(start);
        if current.meter_stop_wh.is_some() {
            next.energy_wh = energy(Some(start), current.meter_stop_wh);
        }
    }
    next.last_seq_no = Some(current.last_seq_no.map_or(event.seq_no, |seen| seen.max(event.seq_no)));
    next.offline = current.offline || event.offline;
    if closes(current, event) {
        let meter_start = current.meter_start_wh.or(readings.first_stored);
        let meter_stop = readings.end.or(readings.last_stored);
        next.meter_start_wh = meter_start;
        next.meter_stop_wh = meter_stop;
        next.energy_wh = energy(meter_start, meter_stop);
        next.stopped_at = Some(event.at);
        next.stop_reason = event.stop_reason.clone();
        next.status = COMPLETED;
    }
    next
}

/// The record after a 1.6 StopTransaction, or none when the transaction is completed already (a
/// repeated stop changes nothing). A stop of one closed as stale replaces the guessed end with
/// the charger's.
pub fn apply_stop(current: &TransactionState, stop: &StopRecord) -> Option<TransactionState> {
    (current.status != COMPLETED).then(|| TransactionState {
        stopped_at: Some(stop.stopped_at),
        meter_stop_wh: Some(stop.meter_stop_wh),
        energy_wh: energy(current.meter_start_wh, Some(stop.meter_stop_wh)),
        stop_reason: stop.reason.clone(),
        status: COMPLETED,
        ..current.clone()
    })
}

/// How a transaction left open on a connector a new start has taken ends, as stale: at its
/// last energy reading, with that reading as its meter stop; without one, at the new start and
/// with no energy.
pub fn close_stale(
    current: &TransactionState,
    last_reading: Option<(DateTime<Utc>, i64)>,
    new_start: DateTime<Utc>,
) -> TransactionState {
    let meter_stop = last_reading.map(|(_, wh)| Wh(wh)).or(current.meter_start_wh);
    TransactionState {
        status: STALE,
        stopped_at: Some(last_reading.map_or(new_start, |(at, _)| at)),
        meter_stop_wh: meter_stop,
        energy_wh: energy(current.meter_start_wh, meter_stop),
        ..current.clone()
    }
}

/// Whether a tag's open transactions, as (charger, EVSE, connector) and other than the one
/// being started, hold one elsewhere than `here` (one on `here` itself was just closed as stale,
/// or the charger knows better): then the start is `ConcurrentTx`.
pub fn charging_elsewhere<'a>(open: impl IntoIterator<Item = (&'a str, i32, i32)>, here: (&str, i32, i32)) -> bool {
    open.into_iter().any(|place| place != here)
}

#[cfg(test)]
#[path = "lifecycle_tests.rs"]
mod tests;
