//! Time-of-use pricing, pure logic and no I/O: a station's tariff (periods covering the 24 hours,
//! each with an energy price and a service fee per kWh), the period in force at an instant in the
//! station's time zone, a session's bill split across the periods it spans, and the occupancy fee.
//!
//! - [`TariffSpec`] is the JSON contract (camelCase, money as decimal strings); [`Tariff::from_spec`]
//!   validates it into a [`Tariff`], which serializes back to the same JSON shape.
//! - [`Tariff::bill`] splits a session's energy-register samples across periods, exactly (the
//!   lines' kWh sum to the register delta), and prices each period once as a [`BillLine`].
//! - [`Tariff::occupancy_line`] prices the time a connector stays occupied after charging.
//!
//! A bill depends only on the [`Tariff`] value given: an order keeps a copy of the tariff it
//! started under, so a later tariff change never reprices it.

mod amounts;
mod apportion;
mod bill;
mod discount;
mod occupancy;
mod preview;
mod pricing;
mod spec;

pub use amounts::{kwh_string, money, money_string, price_string};
pub use bill::{Bill, BillLine, Reading};
pub use discount::Discount;
pub use occupancy::{DEFAULT_GRACE_MINUTES, OccupancyLine};
pub use preview::{PreviewError, SampleSession, preview};
pub use spec::{OccupancySpec, PeriodSpec, TariffError, TariffSpec};

use chrono::NaiveDate;
use rust_decimal::Decimal;

/// Minutes in a day: periods are measured in minutes of local wall-clock time, `0..MINUTES_PER_DAY`.
pub const MINUTES_PER_DAY: u32 = 24 * 60;

/// A validated tariff: its periods cover every minute of the day exactly once.
///
/// Build one with [`Tariff::from_spec`] or by deserializing its JSON (the [`TariffSpec`] shape,
/// with `validFrom` required); both validate. The fields are public for reading; a tariff
/// assembled by hand skips validation, and the pricing functions then stay total (no panics) but
/// may not split energy exactly.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "TariffSpec", into = "TariffSpec")]
pub struct Tariff {
    /// The first day (station-local) the tariff applies to.
    pub valid_from: NaiveDate,
    /// The periods in the order given; bill lines refer to them by index.
    pub periods: Vec<Period>,
    /// The fee for keeping a connector occupied after charging, if the station charges one.
    pub occupancy: Option<Occupancy>,
}

/// One time-of-use period: from `start_minute` (inclusive) to `end_minute` (exclusive), in minutes
/// after local midnight. An end not after the start wraps past midnight, so an end of 0 is the end
/// of the day; start == end covers the whole day (valid only as the single period 00:00–00:00).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// A label such as "peak", "flat" or "valley", shown on the bill.
    pub name: Option<String>,
    /// Minutes after local midnight at which the period starts, `0..1440`.
    pub start_minute: u32,
    /// Minutes after local midnight at which the period ends, `0..1440` (0 = midnight).
    pub end_minute: u32,
    /// Energy price in yuan per kWh, at most 4 decimal places, not negative.
    pub energy_price: Decimal,
    /// Service fee in yuan per kWh, at most 4 decimal places, not negative.
    pub service_fee: Decimal,
}

impl Period {
    /// Whether the local minute of the day `minute` (0..1440) falls in this period.
    pub fn covers(&self, minute: u32) -> bool {
        let (start, end) = (self.start_minute, self.end_minute);
        if start < end { (start..end).contains(&minute) } else { minute >= start || minute < end }
    }

    /// The start as "HH:MM".
    pub fn start(&self) -> String {
        hhmm(self.start_minute)
    }

    /// The end as "HH:MM" ("00:00" for the end of the day).
    pub fn end(&self) -> String {
        hhmm(self.end_minute)
    }
}

/// The occupancy fee: once charging has finished, a connector kept occupied longer than
/// `grace_minutes` costs `fee_per_minute` for every whole minute past the grace, up to `cap`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occupancy {
    /// Minutes the connector may stay occupied for free after charging finished.
    pub grace_minutes: u32,
    /// Yuan per whole minute past the grace, at most 2 decimal places, not negative.
    pub fee_per_minute: Decimal,
    /// The most the fee can come to, in yuan, at most 2 decimal places, not negative.
    pub cap: Decimal,
}

/// The tariff in force on `day`: of those with `valid_from` on or before it, the latest. Ties go to
/// the later one in the slice. `None` when every tariff starts later.
pub fn tariff_in_force(tariffs: &[Tariff], day: NaiveDate) -> Option<&Tariff> {
    tariffs.iter().filter(|t| t.valid_from <= day).max_by_key(|t| t.valid_from)
}

/// Minutes after midnight as "HH:MM" (1440 and beyond wrap).
fn hhmm(minute: u32) -> String {
    let minute = minute % MINUTES_PER_DAY;
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

#[cfg(test)]
mod props_tests;
#[cfg(test)]
mod test_support;
