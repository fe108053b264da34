//! Tests of `spec`: the JSON contract and the validation of periods, prices and occupancy.

use super::super::test_support::{date, spec, tariff};
use super::*;

const TYPICAL: &str = r#"{
    "validFrom": "2026-12-01",
    "periods": [
        {"start": "22:00", "end": "06:00", "energyPrice": "0.30", "serviceFee": "0.40", "name": "valley"},
        {"start": "06:00", "end": "18:00", "energyPrice": "0.3512", "serviceFee": "0.40", "name": "flat"},
        {"start": "18:00", "end": "22:00", "energyPrice": "1.20", "serviceFee": "0.80", "name": "peak"}
    ],
    "occupancy": {"graceMinutes": 10, "feePerMinute": "0.50", "cap": "30.00"}
}"#;

/// The error of validating `json` (a spec), as its message.
fn refusal(json: &str) -> String {
    match Tariff::from_spec(spec(json), date("2026-12-01")) {
        Ok(tariff) => panic!("expected a refusal, got {tariff:?}"),
        Err(error) => error.to_string(),
    }
}

/// A spec of one row of periods (start, end) priced 0.35 + 0.40.
fn periods_json(rows: &[(&str, &str)]) -> String {
    let periods: Vec<String> = rows
        .iter()
        .map(|(s, e)| format!(r#"{{"start":"{s}","end":"{e}","energyPrice":"0.35","serviceFee":"0.40"}}"#))
        .collect();
    format!(r#"{{"periods":[{}]}}"#, periods.join(","))
}

/// A whole-day spec whose first period has the given energy price and service fee.
fn priced_json(price: &str, fee: &str) -> String {
    format!(
        r#"{{"periods":[{{"start":"00:00","end":"12:00","energyPrice":"{price}","serviceFee":"{fee}"}},
            {{"start":"12:00","end":"00:00","energyPrice":"0.35","serviceFee":"0.40"}}]}}"#
    )
}

/// A whole-day spec with the given occupancy JSON.
fn occupancy_json(occupancy: &str) -> String {
    format!(
        r#"{{"periods":[{{"start":"00:00","end":"00:00","energyPrice":"0.35","serviceFee":"0.40"}}],
            "occupancy":{occupancy}}}"#
    )
}

#[test]
fn a_typical_tariff_is_read_and_written_back_as_the_same_json() {
    let tariff = Tariff::from_spec(spec(TYPICAL), date("2026-11-01")).expect("valid");
    assert_eq!(tariff.valid_from, date("2026-12-01"));
    assert_eq!(tariff.periods.len(), 3);
    assert_eq!((tariff.periods[0].start_minute, tariff.periods[0].end_minute), (22 * 60, 6 * 60));
    let written = serde_json::to_value(&tariff).expect("serializes");
    let expected: serde_json::Value = serde_json::from_str(TYPICAL).expect("json");
    assert_eq!(written, expected);
    let read: Tariff = serde_json::from_value(written).expect("reads back");
    assert_eq!(read, tariff);
}

#[test]
fn a_spec_without_valid_from_starts_today() {
    let tariff = Tariff::from_spec(spec(&periods_json(&[("00:00", "00:00")])), date("2027-01-05")).expect("valid");
    assert_eq!(tariff.valid_from, date("2027-01-05"));
    assert_eq!(tariff.spec().valid_from, Some(date("2027-01-05")));
}

#[test]
fn a_stored_tariff_must_name_its_valid_from() {
    let error = serde_json::from_str::<Tariff>(&periods_json(&[("00:00", "00:00")])).expect_err("refused");
    assert!(error.to_string().contains("validFrom: missing"), "{error}");
}

#[test]
fn a_stored_tariff_is_validated_when_read() {
    let json = r#"{"validFrom":"2026-12-01","periods":[
        {"start":"00:00","end":"12:00","energyPrice":"0.35","serviceFee":"0.40"}]}"#;
    let error = serde_json::from_str::<Tariff>(json).expect_err("refused");
    assert!(error.to_string().contains("periods: 12:00–00:00 is not covered"), "{error}");
}

#[test]
fn an_end_of_midnight_is_the_end_of_the_day() {
    let tariff = tariff(&[("00:00", "12:00", "0.30", "0.40"), ("12:00", "00:00", "0.70", "0.60")]);
    assert_eq!(tariff.periods[1].end_minute, 0);
    assert_eq!(tariff.periods[1].end(), "00:00");
    assert!(tariff.periods[1].covers(23 * 60 + 59));
    assert!(!tariff.periods[1].covers(0));
}

#[test]
fn a_period_may_wrap_past_midnight() {
    let tariff = tariff(&[("22:00", "06:00", "0.30", "0.40"), ("06:00", "22:00", "0.70", "0.60")]);
    assert!(tariff.periods[0].covers(23 * 60));
    assert!(tariff.periods[0].covers(5 * 60 + 59));
    assert!(!tariff.periods[0].covers(6 * 60));
}

#[test]
fn a_single_period_from_midnight_to_midnight_covers_the_whole_day() {
    let tariff = tariff(&[("00:00", "00:00", "0.30", "0.40")]);
    assert!((0..MINUTES_PER_DAY).all(|m| tariff.periods[0].covers(m)));
}

#[test]
fn a_period_that_starts_where_it_ends_is_refused_unless_it_is_the_whole_day_from_midnight() {
    assert_eq!(
        refusal(&periods_json(&[("06:00", "06:00")])),
        "periods[0]: starts where it ends; only a single 00:00–00:00 period may cover the whole day"
    );
    assert_eq!(
        refusal(&periods_json(&[("00:00", "00:00"), ("00:00", "00:00")])),
        "periods[0]: starts where it ends; only a single 00:00–00:00 period may cover the whole day"
    );
}

#[test]
fn a_time_that_is_not_hh_mm_is_refused_naming_its_field() {
    for bad in ["25:00", "24:00", "7:00", "07:60", "07-00", "ab:cd", "07:00 ", "", "0700", "+7:00", "07:0０"] {
        let json = periods_json(&[("00:00", "06:00"), ("06:00", "12:00"), (bad, "00:00")]);
        assert_eq!(refusal(&json), "periods[2].start: not a time HH:MM", "{bad:?}");
    }
    let json = periods_json(&[("00:00", "1:00"), ("01:00", "00:00")]);
    assert_eq!(refusal(&json), "periods[0].end: not a time HH:MM");
}

#[test]
fn minutes_covered_twice_are_refused_with_the_stretch() {
    let json = periods_json(&[("00:00", "08:00"), ("06:00", "00:00")]);
    assert_eq!(refusal(&json), "periods: 06:00–08:00 is covered twice");
    let json = periods_json(&[("00:00", "08:00"), ("06:00", "00:00"), ("07:00", "07:30")]);
    assert_eq!(refusal(&json), "periods: 06:00–07:00 is covered twice");
    let json = periods_json(&[("07:00", "07:30"), ("00:00", "08:00"), ("06:00", "00:00")]);
    assert!(refusal(&json).starts_with("periods: 06:00–07:00"), "the earliest stretch first");
}

#[test]
fn minutes_covered_three_times_say_so() {
    let json = periods_json(&[("00:00", "08:00"), ("06:00", "00:00"), ("06:00", "07:00")]);
    assert_eq!(refusal(&json), "periods: 06:00–07:00 is covered 3 times");
}

#[test]
fn minutes_covered_by_no_period_are_refused_with_the_stretch() {
    let json = periods_json(&[("00:00", "06:00"), ("06:00", "23:00")]);
    assert_eq!(refusal(&json), "periods: 23:00–00:00 is not covered");
    let json = periods_json(&[("01:00", "06:00"), ("06:00", "23:00")]);
    assert_eq!(refusal(&json), "periods: 23:00–01:00 is not covered", "one stretch across midnight");
    let json = periods_json(&[("00:00", "06:00"), ("07:00", "00:00")]);
    assert_eq!(refusal(&json), "periods: 06:00–07:00 is not covered");
}

#[test]
fn a_tariff_without_periods_is_refused() {
    assert_eq!(refusal(r#"{"periods":[]}"#), "periods: none given");
}

#[test]
fn a_negative_price_is_refused_naming_its_field() {
    assert_eq!(refusal(&priced_json("-0.35", "0.40")), "periods[0].energyPrice: negative");
    assert_eq!(refusal(&priced_json("0.35", "-1")), "periods[0].serviceFee: negative");
    assert!(Tariff::from_spec(spec(&priced_json("-0.00", "0")), date("2026-12-01")).is_ok(), "minus zero is zero");
}

#[test]
fn a_price_with_more_than_four_decimal_places_is_refused() {
    assert_eq!(refusal(&priced_json("0.35125", "0.40")), "periods[0].energyPrice: more than 4 decimal places");
    assert_eq!(refusal(&priced_json("0.35", "0.40001")), "periods[0].serviceFee: more than 4 decimal places");
    let tariff = Tariff::from_spec(spec(&priced_json("0.351200", "0.4")), date("2026-12-01")).expect("trailing zeros");
    assert_eq!(tariff.spec().periods[0].energy_price, "0.3512");
    assert_eq!(tariff.spec().periods[0].service_fee, "0.40");
}

#[test]
fn a_price_that_is_not_plain_decimal_text_is_refused() {
    for bad in [
        "",
        "abc",
        "1e-3",
        "+1",
        " 1",
        "1 ",
        "1.",
        ".5",
        "1_000",
        "0x10",
        "1.2.3",
        "-",
        "99999999999999999999999999999",
    ] {
        assert_eq!(refusal(&priced_json(bad, "0.40")), "periods[0].energyPrice: not a decimal number", "{bad:?}");
    }
}

#[test]
fn prices_are_written_with_two_to_four_places() {
    let whole = tariff(&[("00:00", "00:00", "1", "0.3")]).spec();
    assert_eq!((whole.periods[0].energy_price.as_str(), whole.periods[0].service_fee.as_str()), ("1.00", "0.30"));
    let fine = tariff(&[("00:00", "00:00", "0.35", "0.0001")]).spec();
    assert_eq!((fine.periods[0].energy_price.as_str(), fine.periods[0].service_fee.as_str()), ("0.35", "0.0001"));
}

#[test]
fn occupancy_grace_defaults_to_fifteen_minutes() {
    let json = occupancy_json(r#"{"feePerMinute":"0.5","cap":"30"}"#);
    let tariff = Tariff::from_spec(spec(&json), date("2026-12-01")).expect("valid");
    let occupancy = tariff.occupancy.clone().expect("an occupancy fee");
    assert_eq!(occupancy.grace_minutes, 15);
    let written = serde_json::to_value(tariff.spec()).expect("serializes");
    assert_eq!(written["occupancy"], serde_json::json!({"graceMinutes": 15, "feePerMinute": "0.50", "cap": "30.00"}));
}

#[test]
fn occupancy_money_must_be_whole_fen_and_not_negative() {
    let json = occupancy_json(r#"{"feePerMinute":"0.505","cap":"30"}"#);
    assert_eq!(refusal(&json), "occupancy.feePerMinute: more than 2 decimal places");
    let json = occupancy_json(r#"{"feePerMinute":"0.50","cap":"-30"}"#);
    assert_eq!(refusal(&json), "occupancy.cap: negative");
    let json = occupancy_json(r#"{"feePerMinute":"0.50","cap":"thirty"}"#);
    assert_eq!(refusal(&json), "occupancy.cap: not a decimal number");
}

#[test]
fn unknown_fields_are_refused_at_every_level() {
    for json in [
        r#"{"periods":[{"start":"00:00","end":"00:00","energyPrice":"1","serviceFee":"1"}],"currency":"CNY"}"#,
        r#"{"periods":[{"start":"00:00","end":"00:00","energyPrice":"1","serviceFee":"1","color":"red"}]}"#,
        r#"{"periods":[{"start":"00:00","end":"00:00","energyPrice":"1","serviceFee":"1"}],
            "occupancy":{"feePerMinute":"1","cap":"1","perHour":"1"}}"#,
    ] {
        let error = serde_json::from_str::<TariffSpec>(json).expect_err("refused");
        assert!(error.to_string().contains("unknown field"), "{error}");
    }
}

#[test]
fn money_given_as_a_json_number_is_refused() {
    let json = r#"{"periods":[{"start":"00:00","end":"00:00","energyPrice":0.35,"serviceFee":"1"}]}"#;
    assert!(serde_json::from_str::<TariffSpec>(json).is_err());
}

#[test]
fn every_error_names_its_field() {
    let errors = [
        (TariffError::NotATime { field: "periods[2].start".into() }, "periods[2].start"),
        (TariffError::StartsWhereItEnds { index: 3 }, "periods[3]"),
        (TariffError::Gap { from: "23:00".into(), to: "00:00".into() }, "periods"),
        (TariffError::MissingValidFrom, "validFrom"),
    ];
    for (error, field) in errors {
        assert_eq!(error.field(), field);
        assert!(error.to_string().starts_with(&format!("{field}: ")), "{error}");
    }
}
