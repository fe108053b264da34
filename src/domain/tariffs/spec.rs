//! The tariff's JSON contract ([`TariffSpec`]: camelCase, times "HH:MM", money as decimal strings)
//! and its validation into a [`Tariff`]: every minute of the day covered exactly once, prices not
//! negative with at most 4 decimal places, occupancy money with at most 2.

use super::amounts::{money_string, parse_decimal, price_string};
use super::occupancy::DEFAULT_GRACE_MINUTES;
use super::{MINUTES_PER_DAY, Occupancy, Period, Tariff, hhmm};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Decimal places allowed in a price per kWh.
const PRICE_PLACES: u32 = 4;
/// Decimal places allowed in a money amount.
const MONEY_PLACES: u32 = 2;
/// At most one period per minute: more cannot all be non-empty without overlapping.
const MAX_PERIODS: usize = MINUTES_PER_DAY as usize;

/// A tariff as JSON: `{validFrom?, periods: [...], occupancy?}`. Unvalidated; see [`Tariff::from_spec`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TariffSpec {
    /// The first day the tariff applies to, "2026-12-01"; defaults to the day it is created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<NaiveDate>,
    /// The periods, which must cover the 24 hours exactly once.
    pub periods: Vec<PeriodSpec>,
    /// The occupancy fee, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occupancy: Option<OccupancySpec>,
}

/// A period as JSON: `{start: "HH:MM", end: "HH:MM", energyPrice: "0.35", serviceFee: "0.40", name?}`.
/// An end not after the start wraps past midnight ("22:00"–"06:00"; "end": "00:00" is the end of
/// the day).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PeriodSpec {
    /// Local wall-clock start, "HH:MM".
    pub start: String,
    /// Local wall-clock end (exclusive), "HH:MM".
    pub end: String,
    /// Yuan per kWh as a decimal string, at most 4 places.
    pub energy_price: String,
    /// Service fee in yuan per kWh as a decimal string, at most 4 places.
    pub service_fee: String,
    /// A label such as "peak".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// The occupancy fee as JSON: `{graceMinutes: 15, feePerMinute: "0.50", cap: "30.00"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OccupancySpec {
    /// Free minutes after charging finished; defaults to [`DEFAULT_GRACE_MINUTES`].
    #[serde(default = "default_grace_minutes")]
    pub grace_minutes: u32,
    /// Yuan per whole minute past the grace, at most 2 places.
    pub fee_per_minute: String,
    /// The most the fee can come to, in yuan, at most 2 places.
    pub cap: String,
}

fn default_grace_minutes() -> u32 {
    DEFAULT_GRACE_MINUTES
}

/// Why a [`TariffSpec`] is not a valid tariff. Each message starts with the JSON field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TariffError {
    /// A time that is not "HH:MM" with HH 00–23 and MM 00–59.
    #[error("{field}: not a time HH:MM")]
    NotATime { field: String },
    /// An amount that is not plain decimal text such as "0.35".
    #[error("{field}: not a decimal number")]
    NotANumber { field: String },
    /// A price or amount below zero.
    #[error("{field}: negative")]
    Negative { field: String },
    /// A price with more than 4 decimal places, or money with more than 2.
    #[error("{field}: more than {places} decimal places")]
    TooManyPlaces { field: String, places: u32 },
    /// An empty list of periods.
    #[error("periods: none given")]
    NoPeriods,
    /// More periods than minutes in a day.
    #[error("periods: more than {max}", max = MAX_PERIODS)]
    TooManyPeriods,
    /// A period that starts where it ends, other than the single whole-day period 00:00–00:00.
    #[error("periods[{index}]: starts where it ends; only a single 00:00–00:00 period may cover the whole day")]
    StartsWhereItEnds { index: usize },
    /// Minutes of the day that more than one period covers.
    #[error("periods: {from}–{to} is covered {}", times_word(*.times))]
    Overlap { from: String, to: String, times: u32 },
    /// Minutes of the day that no period covers.
    #[error("periods: {from}–{to} is not covered")]
    Gap { from: String, to: String },
    /// A stored tariff without its `validFrom` (only a new tariff's spec may leave it out).
    #[error("validFrom: missing")]
    MissingValidFrom,
}

impl TariffError {
    /// The JSON field at fault, e.g. "periods[2].start", "periods" or "occupancy.cap".
    pub fn field(&self) -> String {
        match self {
            TariffError::NotATime { field }
            | TariffError::NotANumber { field }
            | TariffError::Negative { field }
            | TariffError::TooManyPlaces { field, .. } => field.clone(),
            TariffError::StartsWhereItEnds { index } => format!("periods[{index}]"),
            TariffError::NoPeriods
            | TariffError::TooManyPeriods
            | TariffError::Overlap { .. }
            | TariffError::Gap { .. } => "periods".to_owned(),
            TariffError::MissingValidFrom => "validFrom".to_owned(),
        }
    }
}

fn times_word(times: u32) -> String {
    if times == 2 { "twice".to_owned() } else { format!("{times} times") }
}

impl Tariff {
    /// Validates `spec`; a missing `validFrom` becomes `today` (the station's local date).
    pub fn from_spec(spec: TariffSpec, today: NaiveDate) -> Result<Tariff, TariffError> {
        build(spec.valid_from.unwrap_or(today), spec.periods, spec.occupancy)
    }

    /// The tariff as its JSON contract; `Tariff::from_spec(t.spec(), _) == Ok(t)`. Prices are
    /// written with 2 to 4 places, money with exactly 2.
    pub fn spec(&self) -> TariffSpec {
        TariffSpec {
            valid_from: Some(self.valid_from),
            periods: self
                .periods
                .iter()
                .map(|p| PeriodSpec {
                    start: p.start(),
                    end: p.end(),
                    energy_price: price_string(p.energy_price),
                    service_fee: price_string(p.service_fee),
                    name: p.name.clone(),
                })
                .collect(),
            occupancy: self.occupancy.as_ref().map(|o| OccupancySpec {
                grace_minutes: o.grace_minutes,
                fee_per_minute: money_string(o.fee_per_minute),
                cap: money_string(o.cap),
            }),
        }
    }
}

/// A stored tariff: as [`Tariff::from_spec`], but `validFrom` is required.
impl TryFrom<TariffSpec> for Tariff {
    type Error = TariffError;

    fn try_from(spec: TariffSpec) -> Result<Tariff, TariffError> {
        let valid_from = spec.valid_from.ok_or(TariffError::MissingValidFrom)?;
        build(valid_from, spec.periods, spec.occupancy)
    }
}

impl From<Tariff> for TariffSpec {
    fn from(tariff: Tariff) -> TariffSpec {
        tariff.spec()
    }
}

fn build(
    valid_from: NaiveDate,
    specs: Vec<PeriodSpec>,
    occupancy: Option<OccupancySpec>,
) -> Result<Tariff, TariffError> {
    if specs.is_empty() {
        return Err(TariffError::NoPeriods);
    }
    if specs.len() > MAX_PERIODS {
        return Err(TariffError::TooManyPeriods);
    }
    let count = specs.len();
    let mut periods = Vec::with_capacity(count);
    for (i, spec) in specs.into_iter().enumerate() {
        let field = |name: &str| format!("periods[{i}].{name}");
        periods.push(Period {
            start_minute: parse_time(&spec.start, || field("start"))?,
            end_minute: parse_time(&spec.end, || field("end"))?,
            energy_price: parse_amount(&spec.energy_price, PRICE_PLACES, || field("energyPrice"))?,
            service_fee: parse_amount(&spec.service_fee, PRICE_PLACES, || field("serviceFee"))?,
            name: spec.name,
        });
    }
    for (index, p) in periods.iter().enumerate() {
        if p.start_minute == p.end_minute && !(count == 1 && p.start_minute == 0) {
            return Err(TariffError::StartsWhereItEnds { index });
        }
    }
    check_coverage(&periods)?;
    let occupancy = occupancy
        .map(|o| {
            Ok::<_, TariffError>(Occupancy {
                grace_minutes: o.grace_minutes,
                fee_per_minute: parse_amount(&o.fee_per_minute, MONEY_PLACES, || "occupancy.feePerMinute".into())?,
                cap: parse_amount(&o.cap, MONEY_PLACES, || "occupancy.cap".into())?,
            })
        })
        .transpose()?;
    Ok(Tariff { valid_from, periods, occupancy })
}

/// "HH:MM" as minutes after midnight.
fn parse_time(text: &str, field: impl Fn() -> String) -> Result<u32, TariffError> {
    let bytes = text.as_bytes();
    let digit = |i: usize| bytes.get(i).filter(|b| b.is_ascii_digit()).map(|b| u32::from(b - b'0'));
    let parsed = match (bytes.len(), bytes.get(2), digit(0), digit(1), digit(3), digit(4)) {
        (5, Some(b':'), Some(h1), Some(h0), Some(m1), Some(m0)) => Some((h1 * 10 + h0, m1 * 10 + m0)),
        _ => None,
    };
    match parsed {
        Some((hour, minute)) if hour < 24 && minute < 60 => Ok(hour * 60 + minute),
        _ => Err(TariffError::NotATime { field: field() }),
    }
}

/// A non-negative decimal with at most `places` significant decimal places (trailing zeros are
/// not counted: "0.3500" is a valid price).
fn parse_amount(text: &str, places: u32, field: impl Fn() -> String) -> Result<Decimal, TariffError> {
    let amount = parse_decimal(text).ok_or_else(|| TariffError::NotANumber { field: field() })?;
    if amount.is_sign_negative() && !amount.is_zero() {
        return Err(TariffError::Negative { field: field() });
    }
    if amount.normalize().scale() > places {
        return Err(TariffError::TooManyPlaces { field: field(), places });
    }
    Ok(amount.normalize().max(Decimal::ZERO))
}

/// Every minute of the day is covered by exactly one period; otherwise the problem that starts
/// earliest in the day (a stretch may wrap past midnight, "23:00–01:00").
fn check_coverage(periods: &[Period]) -> Result<(), TariffError> {
    let day = MINUTES_PER_DAY as usize;
    let mut counts = vec![0u32; day];
    for p in periods {
        for (minute, count) in (0..MINUTES_PER_DAY).zip(counts.iter_mut()) {
            if p.covers(minute) {
                *count += 1;
            }
        }
    }
    let count_at = |m: usize| counts.get(m % day).copied().unwrap_or(1);
    // Start the walk where the count changes so that no stretch is cut at midnight.
    let Some(first) = (0..day).find(|&m| count_at(m) != count_at(m + day - 1)) else {
        return problem(0, day, count_at(0)).map_or(Ok(()), Err);
    };
    let mut earliest: Option<(usize, TariffError)> = None;
    let mut run_start = first;
    for m in first + 1..=first + day {
        if m == first + day || count_at(m) != count_at(run_start) {
            if let Some(error) = problem(run_start % day, m - run_start, count_at(run_start))
                && earliest.as_ref().is_none_or(|(start, _)| run_start % day < *start)
            {
                earliest = Some((run_start % day, error));
            }
            run_start = m;
        }
    }
    earliest.map_or(Ok(()), |(_, error)| Err(error))
}

/// The error for `len` minutes from `start` covered `count` times, if that is not once.
fn problem(start: usize, len: usize, count: u32) -> Option<TariffError> {
    let to_u32 = |m: usize| u32::try_from(m).unwrap_or(0);
    let (from, to) = (hhmm(to_u32(start)), hhmm(to_u32(start + len)));
    match count {
        1 => None,
        0 => Some(TariffError::Gap { from, to }),
        times => Some(TariffError::Overlap { from, to, times }),
    }
}

#[cfg(test)]
#[path = "spec_tests.rs"]
mod tests;
