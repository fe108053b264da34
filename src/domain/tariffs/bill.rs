//! A session's bill: its energy-register samples split across the tariff's periods, one priced
//! line per period, money rounded once per line and the totals summed from the lines.

use super::amounts::{kwh_from_wh, kwh_text, money, money_text, price_text, sum, wh_decimal, wh_text};
use super::pricing::Timeline;
use super::{OccupancyLine, Tariff};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::cmp::Reverse;

/// One sample of a session's energy register (Energy.Active.Import.Register), in Wh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    /// When the sample was taken.
    pub at: DateTime<Utc>,
    /// The register's value in Wh.
    pub wh: i64,
}

/// A session's bill, stored as JSON on the order and shown to drivers: money as strings with two
/// places, kWh with three.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bill {
    /// One line per period that received energy, by period index.
    pub lines: Vec<BillLine>,
    /// The energy charged, exact, in Wh: the sum of the register's forward steps.
    #[serde(with = "wh_text")]
    pub energy_wh: Decimal,
    /// The same energy in kWh (three places); equals the sum of the lines' kWh.
    #[serde(with = "kwh_text")]
    pub kwh: Decimal,
    /// The sum of the lines' energy fees.
    #[serde(with = "money_text")]
    pub energy_fee: Decimal,
    /// The sum of the lines' service fees.
    #[serde(with = "money_text")]
    pub service_fee: Decimal,
    /// The occupancy fee, once attached with [`Bill::with_occupancy`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occupancy: Option<OccupancyLine>,
    /// The member's discount: the sum of the lines' (see [`Bill::with_discount`]).
    #[serde(default, skip_serializing_if = "Decimal::is_zero", with = "money_text")]
    pub discount: Decimal,
    /// Energy fee + service fee + occupancy fee − discount: the sum of all lines.
    #[serde(with = "money_text")]
    pub total: Decimal,
}

/// The energy a session drew during one period and what it costs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BillLine {
    /// Index of the period in the tariff.
    pub period: usize,
    /// The period's name, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The period's start, "HH:MM".
    pub start: String,
    /// The period's end, "HH:MM".
    pub end: String,
    /// Energy in kWh, three places (whole Wh).
    #[serde(with = "kwh_text")]
    pub kwh: Decimal,
    /// Yuan per kWh of energy.
    #[serde(with = "price_text")]
    pub energy_price: Decimal,
    /// Service fee in yuan per kWh.
    #[serde(with = "price_text")]
    pub service_fee_rate: Decimal,
    /// `money(kwh × energy_price)`.
    #[serde(with = "money_text")]
    pub energy_fee: Decimal,
    /// `money(kwh × service_fee_rate)`.
    #[serde(with = "money_text")]
    pub service_fee: Decimal,
    /// The member's discount on this line's fees (see [`Bill::with_discount`]).
    #[serde(default, skip_serializing_if = "Decimal::is_zero", with = "money_text")]
    pub discount: Decimal,
    /// `energy_fee + service_fee − discount`.
    #[serde(with = "money_text")]
    pub amount: Decimal,
}

impl Tariff {
    /// Bills one session from its energy-register samples, in any order, in the station's zone.
    ///
    /// - Samples are ordered by time (to the millisecond); of samples at the same millisecond the
    ///   one given last wins (a resent or corrected sample replaces the earlier one).
    /// - The energy of each interval between consecutive samples is its forward step; a step
    ///   backwards (a meter reset or replacement) counts as zero, and counting resumes from the
    ///   new value. The total is therefore the sum of the forward steps, which for a steady
    ///   register is the last sample minus the first.
    /// - An interval's energy goes to the periods it spans in proportion to time, in milli-Wh;
    ///   each period's share is then rounded to whole Wh by largest remainder (ties to the lower
    ///   period index), so the lines' kWh sum exactly to the total. An interval within one
    ///   period goes wholly to it.
    /// - Each line's fees are computed from the kWh shown on it and rounded half-up to 0.01 yuan;
    ///   the bill's fees and total are the sums of the lines. Fewer than two samples bill nothing.
    pub fn bill(&self, readings: &[Reading], tz: Tz) -> Bill {
        let samples = ordered(readings);
        let timeline = Timeline::new(self, tz);
        let mut milli_wh = vec![0u128; self.periods.len()];
        let mut total_wh = 0u128;
        for pair in samples.windows(2) {
            let [(from, before), (to, after)] = pair else { continue };
            let step = i128::from(*after) - i128::from(*before);
            if step <= 0 {
                continue;
            }
            let step = step.unsigned_abs();
            total_wh = total_wh.saturating_add(step);
            timeline.split(*from, *to, step * 1000, &mut milli_wh);
        }
        self.bill_from_shares(&milli_wh, total_wh)
    }

    /// The bill of `total_wh` whose milli-Wh per period are `milli_wh` (summing to it × 1000):
    /// whole Wh per period by largest remainder, one priced line per period that got any.
    pub(super) fn bill_from_shares(&self, milli_wh: &[u128], total_wh: u128) -> Bill {
        let wh = whole_wh(milli_wh, total_wh);
        let lines = self
            .periods
            .iter()
            .zip(wh)
            .enumerate()
            .filter(|(_, (_, wh))| *wh > 0)
            .map(|(index, (period, wh))| {
                let kwh = kwh_from_wh(i128::try_from(wh).unwrap_or(i128::MAX));
                let energy_fee = money(kwh.saturating_mul(period.energy_price));
                let service_fee = money(kwh.saturating_mul(period.service_fee));
                BillLine {
                    period: index,
                    name: period.name.clone(),
                    start: period.start(),
                    end: period.end(),
                    kwh,
                    energy_price: period.energy_price,
                    service_fee_rate: period.service_fee,
                    energy_fee,
                    service_fee,
                    discount: Decimal::ZERO,
                    amount: energy_fee.saturating_add(service_fee),
                }
            })
            .collect::<Vec<_>>();
        let total_wh = i128::try_from(total_wh).unwrap_or(i128::MAX);
        let bill = Bill {
            energy_wh: wh_decimal(total_wh),
            kwh: kwh_from_wh(total_wh),
            energy_fee: sum(lines.iter().map(|l| l.energy_fee)),
            service_fee: sum(lines.iter().map(|l| l.service_fee)),
            lines,
            occupancy: None,
            discount: Decimal::ZERO,
            total: Decimal::ZERO,
        };
        bill.with_occupancy(None)
    }
}

impl Bill {
    /// The sum of every line: energy fees, service fees and the occupancy fee.
    pub(super) fn recomputed_total(&self) -> Decimal {
        let occupancy = self.occupancy.as_ref().map_or(Decimal::ZERO, |o| o.amount);
        sum([self.energy_fee, self.service_fee, occupancy]) - self.discount
    }
}

/// The samples as (Unix milliseconds, Wh), ordered by time, one per millisecond (the last given).
fn ordered(readings: &[Reading]) -> Vec<(i64, i64)> {
    let mut samples: Vec<(i64, i64)> = readings.iter().map(|r| (r.at.timestamp_millis(), r.wh)).collect();
    // A stable sort keeps the order given among samples of the same millisecond.
    samples.sort_by_key(|&(ms, _)| ms);
    let mut kept: Vec<(i64, i64)> = Vec::with_capacity(samples.len());
    for sample in samples {
        match kept.last_mut() {
            Some(last) if last.0 == sample.0 => *last = sample,
            _ => kept.push(sample),
        }
    }
    kept
}

/// Each period's milli-Wh as whole Wh by largest remainder, so that they sum to `total_wh`
/// (which the milli-Wh sum to, times 1000). Ties go to the lower period index.
fn whole_wh(milli_wh: &[u128], total_wh: u128) -> Vec<u128> {
    let mut wh: Vec<u128> = milli_wh.iter().map(|m| m / 1000).collect();
    let mut short = total_wh.saturating_sub(wh.iter().fold(0u128, |a, b| a.saturating_add(*b)));
    let mut by_remainder: Vec<usize> = (0..milli_wh.len()).collect();
    by_remainder.sort_by_key(|&i| (Reverse(milli_wh.get(i).map_or(0, |m| m % 1000)), i));
    for i in by_remainder {
        let has_remainder = milli_wh.get(i).is_some_and(|m| m % 1000 > 0);
        if short == 0 || !has_remainder {
            break;
        }
        if let Some(w) = wh.get_mut(i) {
            *w += 1;
            short -= 1;
        }
    }
    wh
}

#[cfg(test)]
#[path = "bill_tests.rs"]
mod tests;
