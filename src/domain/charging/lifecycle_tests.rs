//! Tests of `lifecycle`: the rules applied directly, without a database.

use super::*;
use crate::domain::charging::transactions::{EventKind, EventRecord, TransactionStatus};
use crate::domain::units::Wh;
use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;

/// The statuses' stored text, as the assertions compare it.
const COMPLETED: &str = TransactionStatus::Completed.as_str();
const STALE: &str = TransactionStatus::Stale.as_str();

fn at(s: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_764_547_200 + s, 0).unwrap_or_default()
}

fn open(evse: i32, connector: i32) -> TransactionState {
    TransactionState {
        evse_id: evse,
        connector_id: connector,
        id_tag: None,
        started_at: at(100),
        stopped_at: None,
        meter_start_wh: None,
        meter_stop_wh: None,
        energy_wh: None,
        stop_reason: None,
        status: TransactionStatus::Active,
        last_seq_no: Some(3),
        offline: false,
    }
}

fn event(kind: EventKind, seq_no: i32, at_s: i64) -> EventRecord {
    EventRecord {
        charger_id: "CP-1".into(),
        charger_transaction_id: "tx-1".into(),
        remote_start_id: None,
        kind,
        seq_no,
        at: at(at_s),
        evse_id: None,
        connector_id: None,
        id_tag: None,
        stop_reason: None,
        trigger_reason: "MeterValuePeriodic".into(),
        offline: false,
    }
}

#[test]
fn an_event_without_an_evse_keeps_the_known_place_and_a_first_place_is_taken() {
    let placed = EventRecord { evse_id: Some(2), connector_id: Some(1), ..event(EventKind::Updated, 4, 200) };
    assert_eq!(place(&open(1, 1), &event(EventKind::Updated, 4, 200)), (1, 1));
    assert_eq!(place(&open(0, 0), &placed), (2, 1));
    assert_eq!(place(&open(2, 0), &placed), (2, 1));
    assert_eq!(place(&open(1, 1), &placed), (1, 1));
}

#[test]
fn ended_closes_with_its_own_end_reading_and_the_stored_start() {
    let current = TransactionState { meter_start_wh: Some(Wh(1_000)), ..open(1, 1) };
    let ended = EventRecord { stop_reason: Some("EVDisconnected".into()), ..event(EventKind::Ended, 9, 900) };
    let readings = Readings {
        end: Some(Wh(5_500)),
        first_stored: Some(Wh(900)),
        last_stored: Some(Wh(5_400)),
        ..Readings::default()
    };
    let next = apply_event(&current, &ended, readings);
    assert_eq!(
        (next.meter_start_wh.map(Wh::get), next.meter_stop_wh.map(Wh::get), next.energy_wh.map(Wh::get)),
        (Some(1_000), Some(5_500), Some(4_500))
    );
    assert_eq!((next.status.as_str(), next.stopped_at), (COMPLETED, Some(at(900))));
    assert_eq!(next.stop_reason.as_deref(), Some("EVDisconnected"));
    assert_eq!(next.last_seq_no, Some(9));
}

#[test]
fn ended_without_readings_falls_back_to_the_earliest_and_latest_stored() {
    let readings = Readings { first_stored: Some(Wh(200)), last_stored: Some(Wh(700)), ..Readings::default() };
    let next = apply_event(&open(1, 1), &event(EventKind::Ended, 9, 900), readings);
    assert_eq!(
        (next.meter_start_wh.map(Wh::get), next.meter_stop_wh.map(Wh::get), next.energy_wh.map(Wh::get)),
        (Some(200), Some(700), Some(500))
    );
}

#[test]
fn a_started_replayed_after_ended_sets_the_start_and_recomputes_the_energy_but_never_reopens() {
    let ended = TransactionState {
        status: TransactionStatus::Completed,
        stopped_at: Some(at(900)),
        meter_start_wh: Some(Wh(200)),
        meter_stop_wh: Some(Wh(700)),
        energy_wh: Some(Wh(500)),
        ..open(1, 1)
    };
    let started = EventRecord { offline: true, ..event(EventKind::Started, 0, 50) };
    let next = apply_event(&ended, &started, Readings { begin: Some(Wh(100)), ..Readings::default() });
    assert_eq!((next.meter_start_wh.map(Wh::get), next.energy_wh.map(Wh::get)), (Some(100), Some(600)));
    assert_eq!((next.status.as_str(), next.started_at), (COMPLETED, at(50)));
    assert!(next.offline);
    assert_eq!(next.last_seq_no, Some(3), "the highest seqNo seen stays");
    assert!(!closes(&ended, &event(EventKind::Ended, 10, 950)), "a completed transaction is not closed again");
}

#[test]
fn a_stop_closes_with_the_chargers_reading_and_a_repeated_stop_changes_nothing() {
    use crate::domain::charging::transactions::StopRecord;
    let stop = StopRecord {
        charger_id: "CP-1".into(),
        id: 7,
        meter_stop_wh: Wh(4_200),
        stopped_at: at(900),
        reason: Some("Local".into()),
        id_tag: None,
    };
    let stale = TransactionState {
        status: TransactionStatus::Stale,
        meter_start_wh: Some(Wh(1_000)),
        meter_stop_wh: Some(Wh(3_000)),
        ..open(1, 1)
    };
    let Some(next) = apply_stop(&stale, &stop) else { panic!("a stale transaction takes the charger's stop") };
    assert_eq!(
        (next.status.as_str(), next.meter_stop_wh.map(Wh::get), next.energy_wh.map(Wh::get)),
        (COMPLETED, Some(4_200), Some(3_200))
    );
    assert_eq!((next.stopped_at, next.stop_reason.as_deref()), (Some(at(900)), Some("Local")));
    assert_eq!(apply_stop(&next, &stop), None);
}

#[test]
fn a_stale_transaction_ends_at_its_last_reading_or_else_at_the_new_start() {
    let current = TransactionState { meter_start_wh: Some(Wh(1_000)), ..open(1, 1) };
    let with = close_stale(&current, Some((at(500), 3_000)), at(800));
    assert_eq!((with.status.as_str(), with.stopped_at), (STALE, Some(at(500))));
    assert_eq!((with.meter_stop_wh.map(Wh::get), with.energy_wh.map(Wh::get)), (Some(3_000), Some(2_000)));
    let without = close_stale(&current, None, at(800));
    assert_eq!(
        (without.stopped_at, without.meter_stop_wh.map(Wh::get), without.energy_wh.map(Wh::get)),
        (Some(at(800)), Some(1_000), Some(0))
    );
}

#[test]
fn a_tag_open_only_where_it_starts_again_is_not_charging_elsewhere() {
    let here = ("CP-1", 0, 1);
    assert!(!charging_elsewhere([("CP-1", 0, 1)], here));
    assert!(!charging_elsewhere([], here));
    assert!(charging_elsewhere([("CP-1", 0, 1), ("CP-2", 0, 1)], here));
    assert!(charging_elsewhere([("CP-1", 0, 2)], here));
}

proptest! {
    #[test]
    fn whatever_the_order_of_events_a_closed_transaction_stays_closed_and_its_energy_is_stop_minus_start(
        kinds in proptest::collection::vec(0u8..3, 1..12),
        readings in proptest::collection::vec((proptest::option::of(0i64..1_000_000), proptest::option::of(0i64..1_000_000)), 12),
        offsets in proptest::collection::vec(-1_000i64..1_000, 12),
    ) {
        let mut state = open(1, 1);
        let mut closed = false;
        for (n, kind) in kinds.iter().enumerate() {
            let kind = [EventKind::Started, EventKind::Updated, EventKind::Ended][usize::from(*kind)];
            let (begin, end) = readings[n];
            let event = event(kind, i32::try_from(n).unwrap_or(0), 100 + offsets[n]);
            let (begin, end) = (begin.map(Wh), end.map(Wh));
            let stored = Readings { begin, end, first_stored: begin, last_stored: end };
            state = apply_event(&state, &event, stored);
            closed |= kind == EventKind::Ended;
            prop_assert_eq!(state.status == COMPLETED, closed);
            if let (Some(start), Some(stop)) = (state.meter_start_wh.map(Wh::get), state.meter_stop_wh.map(Wh::get))
                && state.energy_wh.is_some()
            {
                prop_assert_eq!(state.energy_wh.map(Wh::get), Some(stop - start));
            }
            prop_assert!(state.started_at <= at(100) + Duration::seconds(0));
        }
    }
}
