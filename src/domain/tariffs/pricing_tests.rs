//! Tests of `pricing`: the period in force by local wall-clock time, and splitting an interval.

use super::super::test_support::{tariff, tariffs, three_periods, utc, zones};
use super::*;
use chrono::Duration;
use chrono_tz::{Asia, Australia, Europe};
use proptest::prelude::*;

/// Valley 00:00–02:00, night 02:00–03:00, day 03:00–00:00: 02:00–03:00 is skipped or repeated
/// on DST days in Europe/Berlin.
fn around_two_oclock() -> Tariff {
    tariff(&[
        ("00:00", "02:00", "0.30", "0.40"),
        ("02:00", "03:00", "0.50", "0.40"),
        ("03:00", "00:00", "0.70", "0.60"),
    ])
}

fn ms(at: &str) -> i64 {
    utc(at).timestamp_millis()
}

/// `energy` split over `[from, to)` in `tz`, by period.
fn split(tariff: &Tariff, tz: Tz, from: &str, to: &str, energy: u128) -> Vec<u128> {
    let mut shares = vec![0; tariff.periods.len()];
    Timeline::new(tariff, tz).split(ms(from), ms(to), energy, &mut shares);
    shares
}

#[test]
fn local_midnight_in_shanghai_is_sixteen_hundred_utc_the_day_before() {
    let tariff = three_periods();
    assert_eq!(tariff.period_at(utc("2026-11-30T16:00:00Z"), Asia::Shanghai), 0);
    assert_eq!(tariff.period_at(utc("2026-11-30T15:59:59Z"), Asia::Shanghai), 2);
    assert_eq!(tariff.period_at(utc("2026-12-01T00:00:00Z"), Asia::Shanghai), 1, "08:00 in Shanghai");
    assert_eq!(tariff.period_at(utc("2026-12-01T00:00:00Z"), Tz::UTC), 0);
}

#[test]
fn periods_follow_the_local_clock_across_summer_and_winter_time() {
    let tariff = three_periods();
    // 08:00 in Berlin is 06:00 UTC in summer (CEST) and 07:00 UTC in winter (CET).
    assert_eq!(tariff.period_at(utc("2026-07-01T06:00:00Z"), Europe::Berlin), 1);
    assert_eq!(tariff.period_at(utc("2026-07-01T05:59:00Z"), Europe::Berlin), 0);
    assert_eq!(tariff.period_at(utc("2026-12-01T06:30:00Z"), Europe::Berlin), 0);
    assert_eq!(tariff.period_at(utc("2026-12-01T07:00:00Z"), Europe::Berlin), 1);
}

#[test]
fn a_period_skipped_by_the_clock_springing_forward_is_never_in_force_that_night() {
    let tariff = around_two_oclock();
    // 2026-03-29: 02:00 CET becomes 03:00 CEST at 01:00 UTC.
    assert_eq!(tariff.period_at(utc("2026-03-29T00:59:59Z"), Europe::Berlin), 0);
    assert_eq!(tariff.period_at(utc("2026-03-29T01:00:00Z"), Europe::Berlin), 2);
    let shares = split(&tariff, Europe::Berlin, "2026-03-29T00:00:00Z", "2026-03-29T02:00:00Z", 2000);
    assert_eq!(shares, vec![1000, 0, 1000]);
}

#[test]
fn a_period_repeated_by_the_clock_falling_back_gets_both_hours() {
    let tariff = around_two_oclock();
    // 2026-10-25: 03:00 CEST becomes 02:00 CET at 01:00 UTC; 02:00–03:00 local happens twice.
    let shares = split(&tariff, Europe::Berlin, "2026-10-24T23:00:00Z", "2026-10-25T02:00:00Z", 3000);
    assert_eq!(shares, vec![1000, 2000, 0]);
}

#[test]
fn a_half_hour_daylight_saving_shift_is_followed_too() {
    // Lord Howe Island moves its clocks by 30 minutes: on 2026-10-04 02:00 (+10:30) becomes
    // 02:30 (+11:00) at 15:30 UTC the day before.
    let tariff = tariff(&[("00:00", "02:15", "0.30", "0.40"), ("02:15", "00:00", "0.70", "0.60")]);
    let tz = Australia::Lord_Howe;
    assert_eq!(tariff.period_at(utc("2026-10-03T15:29:00Z"), tz), 0);
    assert_eq!(tariff.period_at(utc("2026-10-03T15:30:00Z"), tz), 1);
    let shares = split(&tariff, tz, "2026-10-03T14:30:00Z", "2026-10-03T16:30:00Z", 1200);
    assert_eq!(shares, vec![600, 600]);
}

#[test]
fn an_interval_straddling_a_boundary_is_split_in_proportion_to_time() {
    let tariff = tariff(&[("00:00", "11:00", "0.30", "0.40"), ("11:00", "00:00", "0.70", "0.60")]);
    let shares = split(&tariff, Tz::UTC, "2026-12-01T10:00:00Z", "2026-12-01T12:00:00Z", 1000);
    assert_eq!(shares, vec![500, 500]);
    let shares = split(&tariff, Tz::UTC, "2026-12-01T10:30:00Z", "2026-12-01T12:00:00Z", 900);
    assert_eq!(shares, vec![300, 600]);
}

#[test]
fn the_remainder_of_an_uneven_split_goes_to_the_last_piece() {
    let tariff = three_periods();
    // 06:00–14:00 local: 2 h valley, 4 h peak, 2 h flat.
    let shares = split(&tariff, Tz::UTC, "2026-12-01T06:00:00Z", "2026-12-01T14:00:00Z", 1001);
    assert_eq!(shares, vec![250, 500, 251]);
}

#[test]
fn an_interval_within_one_period_goes_wholly_to_it() {
    let tariff = three_periods();
    let shares = split(&tariff, Asia::Shanghai, "2026-12-01T00:00:00Z", "2026-12-01T03:59:59Z", 12_345);
    assert_eq!(shares, vec![0, 12_345, 0]);
}

#[test]
fn an_interval_over_several_days_visits_each_period_every_day() {
    let tariff = three_periods();
    let shares = split(&tariff, Tz::UTC, "2026-12-01T00:00:00Z", "2026-12-03T00:00:00Z", 48_000);
    assert_eq!(shares, vec![16_000, 8_000, 24_000]);
}

#[test]
fn one_period_all_day_never_changes() {
    let tariff = tariff(&[("00:00", "00:00", "0.30", "0.40")]);
    let timeline = Timeline::new(&tariff, Europe::Berlin);
    assert_eq!(timeline.next_change(ms("2026-10-25T00:00:00Z")), None);
    let shares = split(&tariff, Europe::Berlin, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", 7);
    assert_eq!(shares, vec![7]);
}

#[test]
fn the_next_change_is_the_next_local_boundary() {
    let timeline = Timeline::new(&three_periods(), Asia::Shanghai);
    // 03:30:15.250 local; the next boundary is 08:00 local, 00:00 UTC.
    assert_eq!(timeline.next_change(ms("2026-11-30T19:30:15.250Z")), Some(ms("2026-12-01T00:00:00Z")));
    assert_eq!(timeline.next_change(ms("2026-12-01T00:00:00Z")), Some(ms("2026-12-01T04:00:00Z")));
}

#[test]
fn an_empty_interval_goes_to_the_period_at_its_start() {
    let tariff = three_periods();
    let shares = split(&tariff, Tz::UTC, "2026-12-01T09:00:00Z", "2026-12-01T09:00:00Z", 5);
    assert_eq!(shares, vec![0, 5, 0]);
}

#[test]
fn proportions_do_not_overflow_at_the_extremes() {
    let whole = u128::from(u64::MAX);
    assert_eq!(proportion(u128::MAX, whole, whole), u128::MAX);
    assert_eq!(proportion(whole - 1, whole - 1, whole), whole - 2, "(w - 1)² / w rounded down");
    assert_eq!(proportion(u128::MAX, 1, 2), u128::MAX / 2);
    assert_eq!(proportion(10, 1, 3), 3);
    assert_eq!(proportion(10, 1, 0), 0);
}

/// Instants a little before clock changes in the test zones (Berlin, New York, Lord Howe).
const AROUND_CLOCK_CHANGES: [&str; 7] = [
    "2026-03-29T00:00:00Z",
    "2026-10-25T00:00:00Z",
    "2026-03-08T06:00:00Z",
    "2026-11-01T05:00:00Z",
    "2026-10-03T14:00:00Z",
    "2026-04-04T14:00:00Z",
    "2026-07-01T00:00:00Z",
];

proptest! {
    /// The time each period gets equals a minute-by-minute count of the local clock (splitting
    /// energy equal to the span in ms gives each period exactly its milliseconds).
    #[test]
    fn splitting_agrees_with_counting_minute_by_minute(
        tariff in tariffs(), tz in zones(), base in 0..AROUND_CLOCK_CHANGES.len(),
        offset in -900i64..900, minutes in 1i64..2_000,
    ) {
        let from = utc(AROUND_CLOCK_CHANGES[base]) + Duration::minutes(offset);
        let span = u128::try_from(minutes * MS_PER_MINUTE).unwrap_or(0);
        let mut counted = vec![0u128; tariff.periods.len()];
        for m in 0..minutes {
            counted[tariff.period_at(from + Duration::minutes(m), tz)] += 60_000;
        }
        let mut shares = vec![0u128; tariff.periods.len()];
        let from_ms = from.timestamp_millis();
        Timeline::new(&tariff, tz).split(from_ms, from_ms + minutes * MS_PER_MINUTE, span, &mut shares);
        prop_assert_eq!(shares, counted);
    }
}
