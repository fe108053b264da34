//! Tests of `occupancy`: grace, whole minutes, the cap, and the line on a bill.

use super::super::test_support::{date, reading, spec, three_periods, utc};
use super::*;
use chrono::Duration;
use chrono_tz::Tz;
use std::str::FromStr;

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).expect("a decimal")
}

/// A whole-day tariff with the given occupancy JSON (or none).
fn with_occupancy(occupancy: Option<&str>) -> Tariff {
    let occupancy = occupancy.map(|o| format!(r#","occupancy":{o}"#)).unwrap_or_default();
    let json =
        format!(r#"{{"periods":[{{"start":"00:00","end":"00:00","energyPrice":"1","serviceFee":"0.5"}}]{occupancy}}}"#);
    Tariff::from_spec(spec(&json), date("2026-12-01")).expect("valid")
}

fn standard() -> Tariff {
    with_occupancy(Some(r#"{"feePerMinute":"0.50","cap":"30.00"}"#))
}

/// The line for a connector freed `occupied` after charging finished.
fn line(tariff: &Tariff, occupied: Duration) -> Option<OccupancyLine> {
    let finished = utc("2026-12-01T10:00:00Z");
    tariff.occupancy_line(finished, finished + occupied)
}

#[test]
fn a_tariff_without_an_occupancy_fee_charges_none() {
    assert_eq!(line(&with_occupancy(None), Duration::hours(5)), None);
    assert_eq!(line(&three_periods(), Duration::hours(5)), None);
}

#[test]
fn a_connector_freed_within_the_grace_period_is_not_charged() {
    let tariff = standard();
    assert_eq!(line(&tariff, Duration::minutes(15)), None);
    assert_eq!(line(&tariff, Duration::seconds(15 * 60 + 59)), None, "less than a whole minute past");
    assert_eq!(line(&tariff, Duration::zero()), None);
    assert_eq!(line(&tariff, Duration::minutes(-30)), None, "freed before finishing");
}

#[test]
fn each_whole_minute_past_the_grace_is_charged() {
    let tariff = standard();
    let one = line(&tariff, Duration::minutes(16)).expect("a line");
    assert_eq!((one.minutes, one.amount, one.capped), (1, dec("0.50"), false));
    let five = line(&tariff, Duration::seconds(20 * 60 + 59)).expect("a line");
    assert_eq!((five.minutes, five.amount), (5, dec("2.50")));
}

#[test]
fn the_fee_stops_at_the_cap() {
    let capped = line(&standard(), Duration::hours(2)).expect("a line");
    assert_eq!((capped.minutes, capped.amount, capped.capped), (105, dec("30.00"), true));
    let exactly = line(&standard(), Duration::minutes(75)).expect("a line");
    assert_eq!((exactly.amount, exactly.capped), (dec("30.00"), false));
}

#[test]
fn the_grace_period_is_the_tariffs_own() {
    let tariff = with_occupancy(Some(r#"{"graceMinutes":0,"feePerMinute":"0.10","cap":"5"}"#));
    assert_eq!(line(&tariff, Duration::minutes(3)).map(|l| l.amount), Some(dec("0.30")));
}

#[test]
fn a_zero_fee_or_cap_charges_nothing() {
    let free = with_occupancy(Some(r#"{"feePerMinute":"0","cap":"30"}"#));
    assert_eq!(line(&free, Duration::hours(2)), None);
    let no_cap = with_occupancy(Some(r#"{"feePerMinute":"0.50","cap":"0"}"#));
    assert_eq!(line(&no_cap, Duration::hours(2)), None);
}

#[test]
fn a_very_long_occupation_does_not_overflow() {
    let tariff = with_occupancy(Some(r#"{"feePerMinute":"99999999999999999999.99","cap":"99999999999999999999.99"}"#));
    let long = line(&tariff, Duration::days(365 * 1000)).expect("a line");
    assert!(long.capped);
}

#[test]
fn the_occupancy_line_is_added_to_the_bill_total() {
    let tariff = standard();
    let readings = [reading("2026-12-01T08:00:00Z", 0), reading("2026-12-01T09:00:00Z", 10_000)];
    let bill = tariff.bill(&readings, Tz::UTC);
    assert_eq!(bill.total, dec("15.00"));
    let occupancy = line(&tariff, Duration::minutes(25));
    let bill = bill.with_occupancy(occupancy);
    assert_eq!(bill.total, dec("20.00"));
    let written = serde_json::to_value(&bill).expect("serializes");
    assert_eq!(
        written["occupancy"],
        serde_json::json!({"minutes": 10, "feePerMinute": "0.50", "amount": "5.00", "capped": false})
    );
    assert_eq!(written["total"], "20.00");
    assert_eq!(bill.with_occupancy(None).total, dec("15.00"), "detaching restores the total");
}
