//! What one order adds to its pile's local days.

use super::*;
use crate::domain::ledger::money::Fen;
use crate::domain::units::Wh;
use proptest::prelude::*;

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).map(|t| t.to_utc()).unwrap_or_default()
}

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_default()
}

fn completed(created: &str, started: &str, ended: &str, done: &str) -> OrderFacts {
    OrderFacts {
        charger_id: "P-1".into(),
        user_id: 7,
        created_at: at(created),
        status: OrderStatus::Completed,
        completed_at: Some(at(done)),
        energy_wh: Some(Wh(10_500)),
        energy_fee_fen: Some(Fen(800)),
        service_fee_fen: Some(Fen(400)),
        total_fen: Some(Fen(1_250)),
        started_at: Some(at(started)),
        charging_ended_at: Some(at(ended)),
    }
}

#[test]
fn a_shanghai_day_begins_at_sixteen_hours_utc() {
    let shanghai = chrono_tz::Asia::Shanghai;
    assert_eq!(local_day(at("2025-06-01T15:59:59Z"), shanghai), day("2025-06-01"));
    assert_eq!(local_day(at("2025-06-01T16:00:00Z"), shanghai), day("2025-06-02"));
    // Santiago skipped midnight on 2024-09-08: the day began at 01:00 local (04:00 UTC).
    let santiago = chrono_tz::America::Santiago;
    assert_eq!(local_day(at("2024-09-08T03:59:59Z"), santiago), day("2024-09-07"));
    assert_eq!(local_day(at("2024-09-08T04:00:00Z"), santiago), day("2024-09-08"));
}

#[test]
fn charging_across_local_midnight_is_split_between_the_days() {
    let split = charging_by_day(at("2025-06-01T15:30:00Z"), at("2025-06-01T16:30:00Z"), chrono_tz::Asia::Shanghai);
    assert_eq!(split, vec![(day("2025-06-01"), 1_800_000_000), (day("2025-06-02"), 1_800_000_000)]);
    // Berlin's 2026-03-29 lasts 23 hours.
    let split = charging_by_day(at("2026-03-28T23:00:00Z"), at("2026-03-30T00:00:00Z"), chrono_tz::Europe::Berlin);
    let hours: Vec<(NaiveDate, i64)> = split.iter().map(|(d, us)| (*d, us / 3_600_000_000)).collect();
    assert_eq!(hours, vec![(day("2026-03-29"), 23), (day("2026-03-30"), 2)]);
    assert!(charging_by_day(at("2025-06-01T16:30:00Z"), at("2025-06-01T16:30:00Z"), chrono_tz::UTC).is_empty());
}

#[test]
fn a_completed_order_counts_its_making_its_bill_and_its_charging_on_their_own_days() {
    let order =
        completed("2025-06-01T15:00:00Z", "2025-06-01T15:30:00Z", "2025-06-01T16:30:00Z", "2025-06-01T16:40:00Z");
    let mut deltas = Deltas::default();
    deltas.order(&order, chrono_tz::Asia::Shanghai, 1, Some(at("2025-05-31T16:00:00Z")));
    let first = deltas.days[&("P-1".to_owned(), day("2025-06-01"))];
    assert_eq!((first.created, first.completed, first.charging_us), (1, 0, 1_800_000_000));
    let second = deltas.days[&("P-1".to_owned(), day("2025-06-02"))];
    assert_eq!((second.created, second.completed, second.total_fen, second.energy_wh), (0, 1, 1_250, 10_500));
    let user: Vec<(NaiveDate, NaiveDate)> = deltas.users.iter().map(|u| (u.day, u.signed_up)).collect();
    assert_eq!(user, vec![(day("2025-06-01"), day("2025-06-01"))]);
    // Taken away again (as before a change), nothing is left.
    deltas.order(&order, chrono_tz::Asia::Shanghai, -1, None);
    deltas.prune();
    assert!(deltas.days.is_empty());
}

#[test]
fn a_cancelled_order_counts_where_it_ended_and_a_failed_one_only_where_it_was_made() {
    let mut order =
        completed("2025-06-01T10:00:00Z", "2025-06-01T10:00:00Z", "2025-06-01T10:00:00Z", "2025-06-03T10:00:00Z");
    order.status = OrderStatus::Cancelled;
    let days = order_days(&order, chrono_tz::UTC);
    assert_eq!(days.iter().map(|(_, f)| f.cancelled).sum::<i64>(), 1);
    assert_eq!(days.iter().map(|(_, f)| f.energy_wh).sum::<i64>(), 0);
    order.status = OrderStatus::Failed;
    let days = order_days(&order, chrono_tz::UTC);
    assert_eq!(days, vec![(day("2025-06-01"), DayFigures { created: 1, ..Default::default() })]);
}

proptest! {
    #[test]
    fn charging_split_by_day_adds_up_to_the_whole_and_stays_within_each_day(
        start in 1_700_000_000i64..1_800_000_000,
        length_s in 0i64..(20 * 86_400),
        zone in prop::sample::select(vec![
            chrono_tz::Asia::Shanghai, chrono_tz::Europe::London, chrono_tz::America::Santiago,
            chrono_tz::Asia::Kolkata, chrono_tz::Pacific::Chatham,
        ]),
    ) {
        let from = DateTime::from_timestamp(start, 0).unwrap_or_default();
        let to = from + chrono::Duration::seconds(length_s);
        let split = charging_by_day(from, to, zone);
        prop_assert_eq!(split.iter().map(|(_, us)| us).sum::<i64>(), length_s * 1_000_000);
        for (d, us) in &split {
            let next = d.succ_opt().unwrap_or(*d);
            prop_assert!(*us <= (day_start(next, zone) - day_start(*d, zone)).num_microseconds().unwrap_or(0));
        }
        prop_assert!(split.windows(2).all(|pair| pair[0].0 < pair[1].0));
    }
}
