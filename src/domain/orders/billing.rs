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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::charging::ENERGY_REGISTER;
    use chrono::{DateTime, Utc};

    fn at(minute: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_764_547_200 + minute * 60, 0).unwrap()
    }

    fn sample(minute: i64, measurand: &str, unit: &str, value: &str) -> meter_sample::Model {
        meter_sample::Model {
            id: minute,
            transaction_id: Some(1),
            charger_id: "CP".into(),
            evse_id: 0,
            connector_id: 1,
            sampled_at: at(minute),
            measurand: measurand.into(),
            phase: None,
            context: "Sample.Periodic".into(),
            location: "Outlet".into(),
            unit: unit.into(),
            value: value.into(),
        }
    }

    #[test]
    fn a_sessions_bill_spans_its_start_samples_and_stop_with_its_first_and_last_state_of_charge() {
        let tariff: Tariff = serde_json::from_value(serde_json::json!({
            "validFrom": "2025-01-01",
            "periods": [{"start": "00:00", "end": "00:00", "energyPrice": "1.00", "serviceFee": "0.50"}],
        }))
        .unwrap();
        let head = transaction::Model {
            id: 1,
            charger_id: "CP".into(),
            evse_id: 0,
            connector_id: 1,
            charger_transaction_id: None,
            id_tag: Some("TAG".into()),
            started_at: at(0),
            meter_start_wh: Some(1_000),
            stopped_at: Some(at(60)),
            meter_stop_wh: Some(4_000),
            energy_wh: Some(3_000),
            stop_reason: None,
            status: "Completed".into(),
            last_seq_no: None,
            offline: false,
            updated_at: at(60),
        };
        let samples = [
            sample(10, "SoC", "Percent", "21.6"),
            sample(20, ENERGY_REGISTER, "Wh", "2000"),
            sample(30, "Power.Active.Import", "W", "7000"),
            sample(50, "SoC", "Percent", "80"),
        ];
        let billed = session_bill(&tariff, chrono_tz::Asia::Shanghai, &head, &samples);
        assert_eq!(billed.energy_wh, 3_000);
        assert_eq!(billed.bill.total.to_string(), "4.50");
        assert_eq!((billed.start_soc, billed.end_soc), (Some(22), Some(80)));
        // Without a stop reading the last sample ends it.
        let open = transaction::Model { stopped_at: None, meter_stop_wh: None, ..head };
        assert_eq!(session_bill(&tariff, chrono_tz::Asia::Shanghai, &open, &samples).energy_wh, 1_000);
    }
}
