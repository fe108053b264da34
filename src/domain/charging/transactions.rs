//! Transactions, version-neutral: the records of starts, stops and 2.0.1 events, what storing
//! them did, the samples they carry, and which energy readings meter a transaction.

use crate::domain::ids::{ChargerId, IdTag};
use crate::domain::stored_text::stored_text;
use crate::domain::units::Wh;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use std::str::FromStr;

/// The measurand whose register gives a transaction's energy.
pub const ENERGY_REGISTER: &str = "Energy.Active.Import.Register";

/// Where a transaction is in its life; stored as its `as_str` text in `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransactionStatus {
    /// In progress: started, not yet stopped.
    Active,
    /// Stopped by the charger (a 1.6 StopTransaction, a 2.0.1 `Ended`).
    Completed,
    /// Closed by a newer start on its connector; the charger's own stop may still replace the
    /// guessed end.
    Stale,
}

stored_text!(TransactionStatus { Active => "Active", Completed => "Completed", Stale => "Stale" });

/// Short names of the statuses, as the rules compare them.
pub const ACTIVE: TransactionStatus = TransactionStatus::Active;
pub const COMPLETED: TransactionStatus = TransactionStatus::Completed;
pub const STALE: TransactionStatus = TransactionStatus::Stale;

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

/// A 1.6 StartTransaction.
#[derive(Debug, Clone)]
pub struct StartRecord {
    pub charger_id: ChargerId,
    pub connector_id: i32,
    pub id_tag: IdTag,
    pub meter_start_wh: Wh,
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
    pub charger_id: ChargerId,
    pub id: i64,
    pub meter_stop_wh: Wh,
    pub stopped_at: DateTime<Utc>,
    pub reason: Option<String>,
    /// The tag that stopped it, when the charger says.
    pub id_tag: Option<IdTag>,
}

/// What storing a stop did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// Closed now; it was on connector `at` (EVSE, connector).
    Closed {
        energy_wh: Option<Wh>,
        at: (i32, i32),
    },
    AlreadyClosed,
    Unknown,
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
    pub charger_id: ChargerId,
    pub charger_transaction_id: String,
    pub kind: EventKind,
    pub seq_no: i32,
    pub at: DateTime<Utc>,
    pub evse_id: Option<i32>,
    pub connector_id: Option<i32>,
    pub id_tag: Option<IdTag>,
    pub stop_reason: Option<String>,
    /// Why the charger sent it (2.0.1 `triggerReason`).
    pub trigger_reason: String,
    /// The event happened while the charger was offline.
    pub offline: bool,
    /// The id of the RequestStartTransaction that began it, when one did.
    pub remote_start_id: Option<i32>,
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

/// The reading that begins a transaction among `samples`: the `Transaction.Begin` one, else the
/// earliest.
pub fn begin_reading(samples: &[Sample]) -> Option<i64> {
    edge_reading(samples, "Transaction.Begin", false)
}

/// The reading that ends a transaction among `samples`: the `Transaction.End` one, else the
/// latest (an Ended event often carries the whole session's readings).
pub fn end_reading(samples: &[Sample]) -> Option<i64> {
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
pub fn energy(start: Option<Wh>, stop: Option<Wh>) -> Option<Wh> {
    start.zip(stop).and_then(|(start, stop)| stop.checked_sub(start))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn reading(at_s: i64, wh: &str, context: &str) -> Sample {
        Sample {
            sampled_at: DateTime::from_timestamp(1_764_547_200 + at_s, 0).unwrap_or_default(),
            measurand: ENERGY_REGISTER.into(),
            phase: None,
            context: context.into(),
            location: "Outlet".into(),
            unit: "Wh".into(),
            value: wh.into(),
        }
    }

    #[test]
    fn only_the_total_outlet_register_in_wh_meters_a_transaction() {
        assert_eq!(reading(0, "1234.6", "Sample.Periodic").energy_wh(), Some(1235));
        let phase = Sample { phase: Some("L1".into()), ..reading(0, "10", "Sample.Periodic") };
        let ev = Sample { location: "EV".into(), ..reading(0, "10", "Sample.Periodic") };
        let power = Sample { measurand: "Power.Active.Import".into(), ..reading(0, "10", "Sample.Periodic") };
        let signed = reading(0, "3a7f0c...", "Sample.Periodic");
        for other in [phase, ev, power, signed] {
            assert_eq!(other.energy_wh(), None, "{other:?}");
        }
    }

    #[test]
    fn the_marked_begin_and_end_readings_win_over_the_earliest_and_latest() {
        let samples = [
            reading(0, "100", "Sample.Periodic"),
            reading(10, "150", "Transaction.Begin"),
            reading(20, "400", "Transaction.End"),
            reading(30, "450", "Sample.Periodic"),
        ];
        assert_eq!(begin_reading(&samples), Some(150));
        assert_eq!(end_reading(&samples), Some(400));
    }

    #[test]
    fn without_marks_the_earliest_begins_and_the_latest_ends_whatever_the_order() {
        let samples =
            [reading(30, "450", "Sample.Periodic"), reading(0, "100", "Sample.Clock"), reading(20, "400", "Trigger")];
        assert_eq!(begin_reading(&samples), Some(100));
        assert_eq!(end_reading(&samples), Some(450));
        assert_eq!(begin_reading(&[]), None);
    }

    #[test]
    fn each_transaction_status_reads_back_from_its_stored_text_and_no_other_text_names_one() {
        use TransactionStatus::{Active, Completed, Stale};
        for status in [Active, Completed, Stale] {
            assert_eq!(TransactionStatus::parse(status.as_str()), Some(status));
            assert!(status == status.as_str());
        }
        for other in ["active", "ACTIVE", "", "Closed"] {
            assert_eq!(TransactionStatus::parse(other), None, "{other:?}");
        }
    }

    proptest! {
        #[test]
        fn energy_is_stop_minus_start_or_nothing_when_that_overflows(start in any::<i64>(), stop in any::<i64>()) {
            let expected = i128::from(stop) - i128::from(start);
            match energy(Some(Wh(start)), Some(Wh(stop))).map(Wh::get) {
                Some(wh) => prop_assert_eq!(i128::from(wh), expected),
                None => prop_assert!(expected > i128::from(i64::MAX) || expected < i128::from(i64::MIN)),
            }
            prop_assert_eq!(energy(None, Some(Wh(stop))), None);
            prop_assert_eq!(energy(Some(Wh(start)), None), None);
        }
    }
}
