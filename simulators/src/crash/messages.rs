//! What a crash-check charger says, in its version: its meter readings (the energy register
//! and the power, Outlet), its 2.0.1 transaction events, and its connector's status.

use chrono::{DateTime, Utc};
use protocol::{v16, v201};

/// A reading of the register (Wh) and the power (W) at `at`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Reading {
    pub(super) wh: i64,
    pub(super) power_w: i64,
    pub(super) at: DateTime<Utc>,
}

/// A 1.6 MeterValue of `reading`.
pub(super) fn meter_value_16(reading: Reading, context: v16::ReadingContext) -> v16::MeterValue {
    let sampled = |measurand: v16::Measurand, unit: v16::UnitOfMeasure, value: i64| v16::SampledValue {
        value: value.to_string(),
        context: Some(context),
        format: None,
        measurand: Some(measurand),
        phase: None,
        location: Some(v16::Location::Outlet),
        unit: Some(unit),
    };
    v16::MeterValue {
        timestamp: reading.at,
        sampled_value: vec![
            sampled(v16::Measurand::EnergyActiveImportRegister, v16::UnitOfMeasure::Wh, reading.wh),
            sampled(v16::Measurand::PowerActiveImport, v16::UnitOfMeasure::W, reading.power_w),
        ],
    }
}

/// A 1.6 MeterValues of `reading` in transaction `transaction_id`.
pub(super) fn meter_values_16(transaction_id: i32, reading: Reading) -> v16::MeterValuesRequest {
    v16::MeterValuesRequest {
        connector_id: 1,
        transaction_id: Some(transaction_id),
        meter_value: vec![meter_value_16(reading, v16::ReadingContext::SamplePeriodic)],
    }
}

/// A 2.0.1 TransactionEvent of transaction `transaction_id` on EVSE 1: `Started` (with the
/// driver's `tag` and the register as `Transaction.Begin`), `Updated` (a periodic sample) or
/// `Ended` (`Transaction.End`); `offline` when the charger was offline as it happened.
pub(super) fn event_201(
    kind: v201::TransactionEventEnumType,
    (transaction_id, seq_no): (&str, i32),
    tag: &str,
    reading: Reading,
    offline: bool,
) -> v201::TransactionEventRequest {
    use v201::TransactionEventEnumType::{Ended, Started, Updated};
    use v201::{ReadingContextEnumType as Context, TriggerReasonEnumType as Trigger};
    let (context, trigger) = match kind {
        Started => (Context::TransactionBegin, Trigger::RemoteStart),
        Updated => (Context::SamplePeriodic, Trigger::MeterValuePeriodic),
        Ended => (Context::TransactionEnd, Trigger::StopAuthorized),
    };
    let sampled = |measurand: v201::MeasurandEnumType, unit: &str, value: i64| v201::SampledValueType {
        custom_data: None,
        value: rust_decimal::Decimal::from(value),
        context: Some(context),
        measurand: Some(measurand),
        phase: None,
        location: Some(v201::LocationEnumType::Outlet),
        signed_meter_value: None,
        unit_of_measure: Some(v201::UnitOfMeasureType { custom_data: None, unit: Some(unit.into()), multiplier: None }),
    };
    let meter_value = v201::MeterValueType {
        custom_data: None,
        sampled_value: vec![
            sampled(v201::MeasurandEnumType::EnergyActiveImportRegister, "Wh", reading.wh),
            sampled(v201::MeasurandEnumType::PowerActiveImport, "W", reading.power_w),
        ],
        timestamp: reading.at,
    };
    v201::TransactionEventRequest {
        custom_data: None,
        event_type: kind,
        meter_value: Some(vec![meter_value]),
        timestamp: reading.at,
        trigger_reason: trigger,
        seq_no,
        offline: offline.then_some(true),
        number_of_phases_used: None,
        cable_max_current: None,
        reservation_id: None,
        transaction_info: v201::TransactionType {
            custom_data: None,
            transaction_id: transaction_id.to_owned(),
            charging_state: Some(match kind {
                Ended => v201::ChargingStateEnumType::Idle,
                _ => v201::ChargingStateEnumType::Charging,
            }),
            time_spent_charging: None,
            stopped_reason: (kind == Ended).then_some(v201::ReasonEnumType::Local),
            remote_start_id: None,
        },
        evse: Some(v201::EVSEType { custom_data: None, id: 1, connector_id: Some(1) }),
        id_token: (kind != Updated).then(|| v201::IdTokenType {
            custom_data: None,
            additional_info: None,
            id_token: tag.to_owned(),
            r#type: v201::IdTokenEnumType::ISO14443,
        }),
    }
}

/// A 2.0.1 StatusNotification of EVSE 1's connector 1.
pub(super) fn status_201(status: v201::ConnectorStatusEnumType, at: DateTime<Utc>) -> v201::StatusNotificationRequest {
    v201::StatusNotificationRequest {
        custom_data: None,
        timestamp: at,
        connector_status: status,
        evse_id: 1,
        connector_id: 1,
    }
}
