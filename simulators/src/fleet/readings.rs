//! The readings a fleet's chargers send: a MeterValues of four samples in the charger's version.

use crate::{SimCharger, SimError};
use chrono::Utc;
use protocol::{OcppVersion, v16, v201};

/// A MeterValues of four samples read `at`.
pub(super) async fn meter_values(
    cp: &mut SimCharger,
    version: OcppVersion,
    n: usize,
    at: chrono::DateTime<Utc>,
) -> Result<(), SimError> {
    let energy = format!("{}", 100_000 + n);
    let samples = [
        ("Energy.Active.Import.Register", "Wh", energy.as_str()),
        ("Power.Active.Import", "W", "7360"),
        ("Current.Import", "A", "31.8"),
        ("Voltage", "V", "231.2"),
    ];
    match version {
        OcppVersion::V16 => {
            let sampled_value = samples
                .iter()
                .map(|(m, unit, value)| v16::SampledValue {
                    value: (*value).into(),
                    context: Some(v16::ReadingContext::SamplePeriodic),
                    format: None,
                    measurand: m.parse().ok(),
                    phase: None,
                    location: None,
                    unit: unit.parse().ok(),
                })
                .collect();
            let request = v16::MeterValuesRequest {
                connector_id: 1,
                transaction_id: None,
                meter_value: vec![v16::MeterValue { timestamp: at, sampled_value }],
            };
            cp.call(request).await.map(drop)
        }
        OcppVersion::V201 => {
            let sampled_value = samples
                .iter()
                .map(|(m, unit, value)| v201::SampledValueType {
                    custom_data: None,
                    value: value.parse().unwrap_or_default(),
                    context: Some(v201::ReadingContextEnumType::SamplePeriodic),
                    measurand: m.parse().ok(),
                    phase: None,
                    location: None,
                    signed_meter_value: None,
                    unit_of_measure: Some(v201::UnitOfMeasureType {
                        custom_data: None,
                        unit: Some((*unit).into()),
                        multiplier: None,
                    }),
                })
                .collect();
            let request = v201::MeterValuesRequest {
                custom_data: None,
                evse_id: 1,
                meter_value: vec![v201::MeterValueType { custom_data: None, sampled_value, timestamp: at }],
            };
            cp.call(request).await.map(drop)
        }
    }
}
