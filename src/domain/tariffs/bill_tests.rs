//! Tests of `bill`: lines per period, exact energy, rounding, sample order, resets.

use super::super::test_support::{reading, tariff, three_periods};
use super::*;
use chrono_tz::Asia;
use serde_json::json;
use std::str::FromStr;

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).expect("a decimal")
}

/// The kWh of each line, as (period, kWh text).
fn kwh_by_period(bill: &Bill) -> Vec<(usize, String)> {
    bill.lines.iter().map(|l| (l.period, l.kwh.to_string())).collect()
}

/// 07:30–12:30 UTC across valley, peak and flat, 9 kWh.
fn morning() -> Vec<Reading> {
    vec![
        reading("2026-12-01T07:30:00Z", 0),
        reading("2026-12-01T08:30:00Z", 2000),
        reading("2026-12-01T11:00:00Z", 7000),
        reading("2026-12-01T12:30:00Z", 9000),
    ]
}

#[test]
fn a_session_across_three_periods_is_billed_per_period() {
    let bill = three_periods().bill(&morning(), Tz::UTC);
    assert_eq!(
        serde_json::to_value(&bill).expect("serializes"),
        json!({
            "lines": [
                {"period": 0, "start": "00:00", "end": "08:00", "kwh": "1.000", "energyPrice": "0.30",
                 "serviceFeeRate": "0.40", "energyFee": "0.30", "serviceFee": "0.40", "amount": "0.70"},
                {"period": 1, "start": "08:00", "end": "12:00", "kwh": "7.333", "energyPrice": "1.20",
                 "serviceFeeRate": "0.80", "energyFee": "8.80", "serviceFee": "5.87", "amount": "14.67"},
                {"period": 2, "start": "12:00", "end": "00:00", "kwh": "0.667", "energyPrice": "0.70",
                 "serviceFeeRate": "0.60", "energyFee": "0.47", "serviceFee": "0.40", "amount": "0.87"}
            ],
            "energyWh": "9000",
            "kwh": "9.000",
            "energyFee": "9.57",
            "serviceFee": "6.67",
            "total": "16.24"
        })
    );
}

#[test]
fn a_bill_reads_back_from_its_json() {
    let bill = three_periods().bill(&morning(), Tz::UTC);
    let text = serde_json::to_string(&bill).expect("serializes");
    let read: Bill = serde_json::from_str(&text).expect("reads back");
    assert_eq!(read, bill);
}

#[test]
fn named_periods_carry_their_name_onto_the_line() {
    let spec = super::super::test_support::spec(
        r#"{"periods":[{"start":"00:00","end":"00:00","energyPrice":"1","serviceFee":"0","name":"flat"}]}"#,
    );
    let tariff = Tariff::from_spec(spec, super::super::test_support::date("2026-12-01")).expect("valid");
    let bill = tariff.bill(&morning(), Tz::UTC);
    assert_eq!(bill.lines[0].name.as_deref(), Some("flat"));
    assert_eq!(serde_json::to_value(&bill).expect("serializes")["lines"][0]["name"], "flat");
}

#[test]
fn a_session_within_one_period_is_a_single_line() {
    let readings = [reading("2026-12-01T08:05:00Z", 10_000), reading("2026-12-01T11:55:00Z", 21_234)];
    let bill = three_periods().bill(&readings, Tz::UTC);
    assert_eq!(kwh_by_period(&bill), vec![(1, "11.234".to_owned())]);
    assert_eq!(bill.energy_wh, dec("11234"));
}

#[test]
fn the_periods_are_those_of_the_stations_zone() {
    // 00:05–03:55 UTC is 08:05–11:55 in Shanghai: the peak.
    let readings = [reading("2026-12-01T00:05:00Z", 0), reading("2026-12-01T03:55:00Z", 1000)];
    assert_eq!(kwh_by_period(&three_periods().bill(&readings, Asia::Shanghai)), vec![(1, "1.000".to_owned())]);
    assert_eq!(kwh_by_period(&three_periods().bill(&readings, Tz::UTC)), vec![(0, "1.000".to_owned())]);
}

#[test]
fn a_period_crossed_on_two_days_is_one_line() {
    let readings: Vec<Reading> = (0..=24)
        .map(|h| Reading {
            at: super::super::test_support::utc("2026-12-01T10:00:00Z") + chrono::Duration::hours(h),
            wh: 1000 * h,
        })
        .collect();
    let bill = three_periods().bill(&readings, Tz::UTC);
    assert_eq!(kwh_by_period(&bill), vec![(0, "8.000".to_owned()), (1, "4.000".to_owned()), (2, "12.000".to_owned())]);
}

#[test]
fn readings_in_any_order_give_the_same_bill() {
    let mut readings = morning();
    let in_order = three_periods().bill(&readings, Tz::UTC);
    readings.reverse();
    readings.swap(0, 2);
    assert_eq!(three_periods().bill(&readings, Tz::UTC), in_order);
}

#[test]
fn of_readings_at_the_same_instant_the_last_given_counts() {
    let tariff = tariff(&[("00:00", "11:00", "1", "0"), ("11:00", "00:00", "1", "0")]);
    let readings = [
        reading("2026-12-01T10:00:00Z", 0),
        reading("2026-12-01T11:00:00Z", 1200),
        reading("2026-12-01T11:00:00Z", 1000),
        reading("2026-12-01T12:00:00Z", 1500),
    ];
    let bill = tariff.bill(&readings, Tz::UTC);
    assert_eq!(kwh_by_period(&bill), vec![(0, "1.000".to_owned()), (1, "0.500".to_owned())]);
}

#[test]
fn a_meter_going_backwards_counts_as_zero_and_counting_resumes() {
    let readings = [
        reading("2026-12-01T08:00:00Z", 1000),
        reading("2026-12-01T09:00:00Z", 1500),
        reading("2026-12-01T10:00:00Z", 200),
        reading("2026-12-01T11:00:00Z", 700),
    ];
    let bill = three_periods().bill(&readings, Tz::UTC);
    assert_eq!(bill.energy_wh, dec("1000"));
    assert_eq!(kwh_by_period(&bill), vec![(1, "1.000".to_owned())]);
}

#[test]
fn fewer_than_two_readings_bill_nothing() {
    let tariff = three_periods();
    for readings in [vec![], vec![reading("2026-12-01T08:00:00Z", 1000)]] {
        let bill = tariff.bill(&readings, Tz::UTC);
        assert_eq!(
            serde_json::to_value(&bill).expect("serializes"),
            json!({"lines": [], "energyWh": "0", "kwh": "0.000", "energyFee": "0.00", "serviceFee": "0.00", "total": "0.00"})
        );
    }
}

#[test]
fn half_a_fen_rounds_up_once_per_line() {
    let tariff = tariff(&[("00:00", "00:00", "5", "0.0002")]);
    let one_wh = [reading("2026-12-01T08:00:00Z", 0), reading("2026-12-01T08:01:00Z", 1)];
    let bill = tariff.bill(&one_wh, Tz::UTC);
    assert_eq!((bill.lines[0].energy_fee, bill.lines[0].service_fee), (dec("0.01"), dec("0")));
    let quarter = [reading("2026-12-01T08:00:00Z", 0), reading("2026-12-01T08:01:00Z", 25)];
    assert_eq!(tariff.bill(&quarter, Tz::UTC).total, dec("0.13"), "0.125 rounds half up");
}

#[test]
fn energy_too_small_to_reach_a_whole_wh_in_a_period_gets_no_line() {
    // 1 Wh over 06:00–14:00: 0.25 Wh valley, 0.5 Wh peak, 0.25 Wh flat; the peak keeps it.
    let readings = [reading("2026-12-01T06:00:00Z", 0), reading("2026-12-01T14:00:00Z", 1)];
    let bill = three_periods().bill(&readings, Tz::UTC);
    assert_eq!(kwh_by_period(&bill), vec![(1, "0.001".to_owned())]);
}

#[test]
fn whole_wh_go_to_the_largest_remainders() {
    assert_eq!(whole_wh(&[333, 333, 334], 1), vec![0, 0, 1]);
    assert_eq!(whole_wh(&[1500, 1500], 3), vec![2, 1], "ties to the lower index");
    assert_eq!(whole_wh(&[2000, 0, 1000], 3), vec![2, 0, 1]);
    assert_eq!(whole_wh(&[], 0), Vec::<u128>::new());
}

#[test]
fn extreme_register_values_do_not_panic() {
    let readings = [
        reading("2026-12-01T08:00:00Z", i64::MIN),
        reading("2026-12-01T09:00:00Z", i64::MAX),
        reading("2026-12-01T10:00:00Z", i64::MIN),
        reading("2026-12-01T11:00:00Z", i64::MAX),
    ];
    let bill = tariff(&[("00:00", "00:00", "9999.9999", "9999.9999")]).bill(&readings, Tz::UTC);
    assert_eq!(bill.lines.len(), 1);
    assert!(bill.total > Decimal::ZERO);
}
