//! A finished session's bill, from its meter register and stored samples under the tariff
//! copied onto its order, and the running cost of one in progress.

use crate::domain::charging::metering::{self, Anomaly, Located, Metered, Register, ReviewReason};
use crate::domain::charging::records::MeterSample;
use crate::domain::charging::records::Transaction;
use crate::domain::charging::transactions::Sample;
use crate::domain::tariffs::{Bill, Discount, Reading, Tariff};
use crate::domain::units::Wh;
use chrono::Utc;
use chrono_tz::Tz;
use rust_decimal::prelude::ToPrimitive;

/// The measurand of the battery's state of charge.
const SOC: &str = "SoC";

/// What a finished session comes to.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionBill {
    /// The bill, when the register could be billed (see `review`).
    pub bill: Bill,
    pub energy_wh: Wh,
    pub start_soc: Option<i32>,
    pub end_soc: Option<i32>,
    /// The readings set aside.
    pub anomalies: Vec<Anomaly>,
    /// Why the register cannot be billed without an operator; then `bill` is empty.
    pub review: Option<ReviewReason>,
}

/// What billing a session needs beyond its transaction and samples.
#[derive(Debug, Clone, Copy)]
pub struct Metering<'a> {
    pub tariff: &'a Tariff,
    pub zone: Tz,
    /// The pile's rated power, W.
    pub rated_power_w: Option<i64>,
    /// `orders.billed_location`.
    pub billed_location: &'a str,
    /// The member's discount the order was made with.
    pub discount: Option<&'a Discount>,
}

/// Meters a transaction: its register, its samples' plausible readings and the ones set aside.
fn metered(found: &Transaction, samples: &[MeterSample], metering: &Metering<'_>) -> Metered {
    let register = Register {
        started_at: found.started_at,
        stopped_at: found.stopped_at,
        start_wh: found.meter_start_wh,
        stop_wh: found.meter_stop_wh,
        rated_power_w: metering.rated_power_w,
    };
    let located: Vec<Located> = samples.iter().filter_map(|s| Located::of(&as_sample(s))).collect();
    metering::meter(&register, &located, metering.billed_location)
}

/// The bill of a finished transaction: its register's stop − start spread along the plausible
/// readings (see `Tariff::bill_register`), with its first and last state of charge; or, when
/// the register cannot be believed, why.
pub fn session_bill(found: &Transaction, samples: &[MeterSample], metering: &Metering<'_>) -> SessionBill {
    let metered = metered(found, samples, metering);
    let (energy_wh, review) = match (metered.review, metered.energy_wh) {
        (None, Some(wh)) => (wh, None),
        (Some(reason), _) => (Wh::ZERO, Some(reason)),
        (None, None) => (Wh::ZERO, Some(ReviewReason::NoRegister)),
    };
    let bill = match review {
        None => metering
            .tariff
            .bill_register(energy_wh.get(), &metered.curve, window(found), metering.zone)
            .with_discount(metering.discount),
        Some(_) => Bill::default(),
    };
    let (start_soc, end_soc) = socs(samples);
    SessionBill { bill, energy_wh, start_soc, end_soc, anomalies: metered.anomalies, review }
}

/// The bill an operator settles a reviewed session with: `energy_wh` spread along the plausible
/// readings, as a session billed by itself would be.
pub fn reviewed_bill(
    found: &Transaction,
    samples: &[MeterSample],
    metering: &Metering<'_>,
    energy_wh: Wh,
) -> SessionBill {
    let metered = metered(found, samples, metering);
    let bill = metering
        .tariff
        .bill_register(energy_wh.get(), &metered.curve, window(found), metering.zone)
        .with_discount(metering.discount);
    let (start_soc, end_soc) = socs(samples);
    SessionBill { bill, energy_wh, start_soc, end_soc, anomalies: metered.anomalies, review: None }
}

/// The session's start to its stop (now, if it has none).
fn window(found: &Transaction) -> (chrono::DateTime<Utc>, chrono::DateTime<Utc>) {
    (found.started_at, found.stopped_at.unwrap_or_else(Utc::now).max(found.started_at))
}

/// The first and last state of charge among the samples.
fn socs(samples: &[MeterSample]) -> (Option<i32>, Option<i32>) {
    let socs: Vec<i32> = samples
        .iter()
        .filter(|s| s.measurand == SOC)
        .filter_map(|s| s.value.parse::<rust_decimal::Decimal>().ok()?.round().to_i32())
        .collect();
    (socs.first().copied(), socs.last().copied())
}

/// The running cost of a session: from its start reading to its newest one, less the member's
/// discount.
pub fn running_bill(
    tariff: &Tariff,
    zone: Tz,
    start: Reading,
    latest: Option<Reading>,
    discount: Option<&Discount>,
) -> Bill {
    let readings: Vec<Reading> = std::iter::once(start).chain(latest).collect();
    tariff.bill(&readings, zone).with_discount(discount)
}

/// A stored sample as the domain's.
pub(crate) fn as_sample(s: &MeterSample) -> Sample {
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

    fn sample(minute: i64, measurand: &str, unit: &str, value: &str) -> MeterSample {
        MeterSample {
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
    fn a_sessions_bill_is_its_register_with_its_first_and_last_state_of_charge() {
        let tariff: Tariff = serde_json::from_value(serde_json::json!({
            "validFrom": "2025-01-01",
            "periods": [{"start": "00:00", "end": "00:00", "energyPrice": "1.00", "serviceFee": "0.50"}],
        }))
        .unwrap();
        let head = Transaction {
            id: 1,
            charger_id: "CP".into(),
            evse_id: 0,
            connector_id: 1,
            charger_transaction_id: None,
            id_tag: Some("TAG".into()),
            started_at: at(0),
            meter_start_wh: Some(Wh(1_000)),
            stopped_at: Some(at(60)),
            meter_stop_wh: Some(Wh(4_000)),
            energy_wh: Some(Wh(3_000)),
            stop_reason: None,
            status: crate::domain::charging::TransactionStatus::Completed,
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
        let metering = Metering {
            tariff: &tariff,
            zone: chrono_tz::Asia::Shanghai,
            rated_power_w: Some(7_000),
            billed_location: "Outlet",
            discount: None,
        };
        let billed = session_bill(&head, &samples, &metering);
        assert_eq!(billed.energy_wh.get(), 3_000);
        assert_eq!(billed.bill.total.to_string(), "4.50");
        assert_eq!((billed.start_soc, billed.end_soc), (Some(22), Some(80)));
        assert_eq!(billed.review, None);
        // Without a stop register there is nothing to bill by itself.
        let open = Transaction { stopped_at: None, meter_stop_wh: None, ..head.clone() };
        let unbilled = session_bill(&open, &samples, &metering);
        assert_eq!(
            (unbilled.review, unbilled.bill.total),
            (Some(ReviewReason::NoRegister), rust_decimal::Decimal::ZERO)
        );
        // An operator's figure is spread along the same readings.
        assert_eq!(reviewed_bill(&open, &samples, &metering, Wh(2_000)).bill.total.to_string(), "3.00");
    }
}
