//! A finished session's bill, from its stored energy-register samples and the tariff copied onto
//! its order, and the running cost of one in progress.

use crate::domain::charging::transactions::Sample;
use crate::domain::tariffs::{Bill, Reading, Tariff};
use chrono_tz::Tz;
use entity::{meter_sample, transaction};
use rust_decimal::prelude::ToPrimitive;

/// The measurand of the battery's state of charge.
const SOC: &str = "SoC";

/// What a finished session comes to.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionBill {
    pub bill: Bill,
    pub energy_wh: i64,
    pub start_soc: Option<i32>,
    pub end_soc: Option<i32>,
}

/// The register readings of a transaction: its start and stop meter values at its start and
/// stop, and every energy-register sample in between.
pub fn readings(found: &transaction::Model, samples: &[meter_sample::Model]) -> Vec<Reading> {
    let mut readings = Vec::with_capacity(samples.len() + 2);
    if let Some(wh) = found.meter_start_wh {
        readings.push(Reading { at: found.started_at, wh });
    }
    for s in samples {
        if let Some(wh) = as_sample(s).energy_wh() {
            readings.push(Reading { at: s.sampled_at, wh });
        }
    }
    if let (Some(wh), Some(at)) = (found.meter_stop_wh, found.stopped_at) {
        readings.push(Reading { at, wh });
    }
    readings
}

/// The bill of a finished transaction under `tariff`, with its first and last state of charge.
pub fn session_bill(
    tariff: &Tariff,
    zone: Tz,
    found: &transaction::Model,
    samples: &[meter_sample::Model],
) -> SessionBill {
    let bill = tariff.bill(&readings(found, samples), zone);
    let energy_wh = bill.energy_wh.round().to_i64().unwrap_or(0);
    let socs: Vec<i32> = samples
        .iter()
        .filter(|s| s.measurand == SOC)
        .filter_map(|s| s.value.parse::<rust_decimal::Decimal>().ok()?.round().to_i32())
        .collect();
    SessionBill { bill, energy_wh, start_soc: socs.first().copied(), end_soc: socs.last().copied() }
}

/// The running cost of a session: from its start reading to its newest one.
pub fn running_bill(tariff: &Tariff, zone: Tz, start: Reading, latest: Option<Reading>) -> Bill {
    let readings: Vec<Reading> = std::iter::once(start).chain(latest).collect();
    tariff.bill(&readings, zone)
}

fn as_sample(s: &meter_sample::Model) -> Sample {
    Sample {
        sampled_at: s.sampled_at,
        measurand: s.measurand.clone(),
        phase: s.phase.clone(),
        context: s.context.clone(),
        location: s.location.clone(),
        unit: s.unit.clone(),
        value: s.value.clone(),
    }
}
