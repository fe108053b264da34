//! Fixtures shared by the tariff tests: tariffs from compact tables, instants, readings.

use super::{MINUTES_PER_DAY, PeriodSpec, Reading, Tariff, TariffSpec, hhmm};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;
use rust_decimal::Decimal;
use std::str::FromStr;

/// A date "YYYY-MM-DD".
pub(super) fn date(text: &str) -> NaiveDate {
    NaiveDate::from_str(text).expect("a date")
}

/// An instant in RFC 3339, e.g. "2026-12-01T10:00:00Z".
pub(super) fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).expect("an RFC 3339 instant").with_timezone(&Utc)
}

/// A reading at an RFC 3339 instant.
pub(super) fn reading(at: &str, wh: i64) -> Reading {
    Reading { at: utc(at), wh }
}

/// A tariff spec from its JSON text.
pub(super) fn spec(json: &str) -> TariffSpec {
    serde_json::from_str(json).expect("a tariff spec")
}

/// A valid tariff from (start, end, energy price, service fee) rows, valid from 2026-12-01.
pub(super) fn tariff(rows: &[(&str, &str, &str, &str)]) -> Tariff {
    let periods: Vec<String> = rows
        .iter()
        .map(|(start, end, price, fee)| {
            format!(r#"{{"start":"{start}","end":"{end}","energyPrice":"{price}","serviceFee":"{fee}"}}"#)
        })
        .collect();
    let json = format!(r#"{{"validFrom":"2026-12-01","periods":[{}]}}"#, periods.join(","));
    Tariff::from_spec(spec(&json), date("2026-12-01")).expect("a valid tariff")
}

/// Valley 00:00–08:00 (0.30 + 0.40), peak 08:00–12:00 (1.20 + 0.80), flat 12:00–00:00 (0.70 + 0.60).
pub(super) fn three_periods() -> Tariff {
    tariff(&[
        ("00:00", "08:00", "0.30", "0.40"),
        ("08:00", "12:00", "1.20", "0.80"),
        ("12:00", "00:00", "0.70", "0.60"),
    ])
}

/// Zones with whole-hour, half-hour and DST offsets (Lord Howe shifts by 30 minutes).
const ZONES: [Tz; 6] = [
    Tz::UTC,
    chrono_tz::Asia::Shanghai,
    chrono_tz::Europe::Berlin,
    chrono_tz::America::New_York,
    chrono_tz::Asia::Kolkata,
    chrono_tz::Australia::Lord_Howe,
];

/// Period specs partitioning the day at the given boundary minutes, listed from the `rotate`-th.
pub(super) fn partition(boundaries: &[u32], rotate: usize, prices: &[(i64, i64)]) -> Vec<PeriodSpec> {
    let n = boundaries.len();
    let price = |i: usize| prices.get(i % prices.len().max(1)).copied().unwrap_or((0, 0));
    let mut periods: Vec<PeriodSpec> = if n <= 1 {
        vec![period(0, 0, price(0))]
    } else {
        (0..n).map(|i| period(boundaries[i], boundaries[(i + 1) % n], price(i))).collect()
    };
    let len = periods.len();
    periods.rotate_left(rotate % len);
    periods
}

fn period(start: u32, end: u32, (price, fee): (i64, i64)) -> PeriodSpec {
    PeriodSpec {
        start: hhmm(start),
        end: hhmm(end),
        energy_price: Decimal::new(price, 4).to_string(),
        service_fee: Decimal::new(fee, 4).to_string(),
        name: None,
    }
}

pub(super) fn valid(periods: Vec<PeriodSpec>) -> Tariff {
    let spec = TariffSpec { valid_from: None, periods, occupancy: None };
    Tariff::from_spec(spec, date("2026-12-01")).expect("a partition is valid")
}

pub(super) fn tariffs() -> impl Strategy<Value = Tariff> {
    (
        prop::collection::btree_set(0u32..MINUTES_PER_DAY, 1..7),
        any::<usize>(),
        prop::collection::vec((0i64..50_000, 0i64..20_000), 1..7),
    )
        .prop_map(|(set, rotate, prices)| {
            let boundaries: Vec<u32> = set.into_iter().collect();
            valid(partition(&boundaries, rotate, &prices))
        })
}

/// One of [`ZONES`].
pub(super) fn zones() -> impl Strategy<Value = Tz> {
    (0..ZONES.len()).prop_map(|i| ZONES[i])
}
