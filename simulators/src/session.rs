//! A simulated charging session: authorise, start, meter values along a realistic charging
//! curve, stop — in either version's messages. Time is simulated (timestamps advance by the
//! sample interval), so a two-hour session runs in milliseconds.

use crate::{SimCharger, SimError};
use chrono::{DateTime, Duration, Utc};
use protocol::{OcppRequest, OcppVersion, v16, v201};

/// What to charge.
#[derive(Debug, Clone)]
pub struct SessionPlan {
    /// Connector (1.6) / EVSE with connector 1 (2.0.1).
    pub connector_id: i32,
    pub id_tag: String,
    /// Meter value samples between start and stop.
    pub samples: u32,
    /// Simulated time between samples.
    pub sample_interval: Duration,
    /// The charger's maximum power, W.
    pub max_power_w: f64,
    /// The car's battery, Wh, and its state of charge at the start, %.
    pub battery_wh: f64,
    pub start_soc: f64,
    /// The energy register at the start, Wh.
    pub meter_start_wh: i64,
    /// When the session starts (simulated).
    pub start: DateTime<Utc>,
}

impl SessionPlan {
    /// A typical AC session: 11 kW, 60 kWh battery from 30 %, ten samples a minute apart.
    pub fn new(connector_id: i32, id_tag: impl Into<String>) -> Self {
        SessionPlan {
            connector_id,
            id_tag: id_tag.into(),
            samples: 10,
            sample_interval: Duration::minutes(1),
            max_power_w: 11_000.0,
            battery_wh: 60_000.0,
            start_soc: 30.0,
            meter_start_wh: 100_000,
            start: Utc::now() - Duration::minutes(12),
        }
    }
}

/// What the simulated car and charger did.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionReport {
    /// 1.6: the CSMS's transaction id (started offline: the local one, negative, until the
    /// replay maps it; see `SimCharger::replayed_transaction`); 2.0.1: the charger's.
    pub transaction_id: String,
    pub meter_start_wh: i64,
    pub meter_stop_wh: i64,
    pub end_soc: f64,
}

/// One point of the charging curve.
#[derive(Debug, Clone, Copy)]
struct Reading {
    at: DateTime<Utc>,
    energy_wh: i64,
    power_w: f64,
    current_a: f64,
    voltage_v: f64,
    soc: f64,
    temperature_c: f64,
}

/// The curve: full power up to 80 % state of charge, then tapering (constant current, then
/// constant voltage), three-phase 230 V with a little ripple, the cable warming with the load.
fn curve(plan: &SessionPlan) -> Vec<Reading> {
    let mut energy = plan.meter_start_wh as f64;
    let mut soc = plan.start_soc;
    let hours = plan.sample_interval.num_seconds() as f64 / 3600.0;
    (1..=plan.samples)
        .map(|n| {
            let taper = if soc < 80.0 { 1.0 } else { ((100.0 - soc) / 20.0).max(0.1) };
            let power = plan.max_power_w * taper;
            let added = power * hours;
            energy += added;
            soc = (soc + added / plan.battery_wh * 100.0).min(100.0);
            let voltage = 230.0 + f64::from(n % 5) * 0.4 - 0.8;
            Reading {
                at: plan.start + plan.sample_interval * n as i32,
                energy_wh: energy.round() as i64,
                power_w: power.round(),
                current_a: (power / (3.0 * voltage) * 10.0).round() / 10.0,
                voltage_v: (voltage * 10.0).round() / 10.0,
                soc: soc.round(),
                temperature_c: (25.0 + power / plan.max_power_w * 15.0).round(),
            }
        })
        .collect()
}

impl SimCharger {
    /// Runs a whole session and reports it.
    pub async fn run_session(&mut self, plan: &SessionPlan) -> Result<SessionReport, SimError> {
        match self.version() {
            Some(OcppVersion::V16) => self.session_16(plan).await,
            Some(OcppVersion::V201) => self.session_201(plan).await,
            None => Err(SimError::Protocol("no OCPP version negotiated".into())),
        }
    }

    async fn session_16(&mut self, plan: &SessionPlan) -> Result<SessionReport, SimError> {
        // Offline, a charger authorises from its local list or cache, keeps the transaction
        // messages for later, and stands in a local id for the CSMS's until the start is replayed.
        if !self.is_offline() {
            self.call(v16::AuthorizeRequest { id_tag: plan.id_tag.clone() }).await?;
        }
        self.status_16(plan.connector_id, v16::ChargePointStatus::Preparing).await?;
        let start = v16::StartTransactionRequest {
            connector_id: plan.connector_id,
            id_tag: plan.id_tag.clone(),
            meter_start: plan.meter_start_wh,
            reservation_id: None,
            timestamp: plan.start,
        };
        let transaction_id =
            if self.is_offline() { self.queue_start_16(start)? } else { self.call(start).await?.transaction_id };
        self.status_16(plan.connector_id, v16::ChargePointStatus::Charging).await?;
        let readings = curve(plan);
        for reading in &readings {
            self.send_or_queue(v16::MeterValuesRequest {
                connector_id: plan.connector_id,
                transaction_id: Some(transaction_id),
                meter_value: vec![meter_value_16(reading, v16::ReadingContext::SamplePeriodic)],
            })
            .await?;
        }
        let last = readings.last().copied().unwrap_or(Reading {
            at: plan.start,
            energy_wh: plan.meter_start_wh,
            power_w: 0.0,
            current_a: 0.0,
            voltage_v: 230.0,
            soc: plan.start_soc,
            temperature_c: 25.0,
        });
        self.send_or_queue(v16::StopTransactionRequest {
            id_tag: Some(plan.id_tag.clone()),
            meter_stop: last.energy_wh,
            timestamp: last.at,
            transaction_id,
            reason: Some(v16::Reason::EVDisconnected),
            transaction_data: Some(vec![meter_value_16(&last, v16::ReadingContext::TransactionEnd)]),
        })
        .await?;
        self.status_16(plan.connector_id, v16::ChargePointStatus::Finishing).await?;
        self.status_16(plan.connector_id, v16::ChargePointStatus::Available).await?;
        Ok(SessionReport {
            transaction_id: transaction_id.to_string(),
            meter_start_wh: plan.meter_start_wh,
            meter_stop_wh: last.energy_wh,
            end_soc: last.soc,
        })
    }

    /// Sends `request` (its answer unused), or queues it while offline.
    async fn send_or_queue<R: OcppRequest>(&mut self, request: R) -> Result<(), SimError> {
        if self.is_offline() { self.queue(request) } else { self.call(request).await.map(drop) }
    }

    async fn status_16(&mut self, connector_id: i32, status: v16::ChargePointStatus) -> Result<(), SimError> {
        // A status change while offline is not kept: the charger reports its state on reconnect.
        if self.is_offline() {
            return Ok(());
        }
        self.call(v16::StatusNotificationRequest {
            connector_id,
            error_code: v16::ChargePointErrorCode::NoError,
            info: None,
            status,
            timestamp: Some(Utc::now()),
            vendor_id: None,
            vendor_error_code: None,
        })
        .await
        .map(drop)
    }

    async fn session_201(&mut self, plan: &SessionPlan) -> Result<SessionReport, SimError> {
        let token = v201::IdTokenType {
            custom_data: None,
            additional_info: None,
            id_token: plan.id_tag.clone(),
            r#type: v201::IdTokenEnumType::ISO14443,
        };
        // Offline, a charger authorises from its local list or cache and keeps the events.
        if !self.is_offline() {
            self.call(v201::AuthorizeRequest {
                custom_data: None,
                id_token: token.clone(),
                certificate: None,
                iso15118_certificate_hash_data: None,
            })
            .await?;
        }
        let session = self.begin_session();
        let transaction_id = format!("{}-{}-{session}", self.id(), plan.start.timestamp());
        let begin = Reading {
            at: plan.start,
            energy_wh: plan.meter_start_wh,
            power_w: 0.0,
            current_a: 0.0,
            voltage_v: 230.0,
            soc: plan.start_soc,
            temperature_c: 25.0,
        };
        let readings = curve(plan);
        let last = readings.last().copied().unwrap_or(begin);
        let mut events =
            vec![(v201::TransactionEventEnumType::Started, begin, v201::ReadingContextEnumType::TransactionBegin)];
        events.extend(
            readings
                .iter()
                .map(|r| (v201::TransactionEventEnumType::Updated, *r, v201::ReadingContextEnumType::SamplePeriodic)),
        );
        events.push((v201::TransactionEventEnumType::Ended, last, v201::ReadingContextEnumType::TransactionEnd));
        for (seq_no, (kind, reading, context)) in events.into_iter().enumerate() {
            let ended = kind == v201::TransactionEventEnumType::Ended;
            let event = v201::TransactionEventRequest {
                custom_data: None,
                event_type: kind,
                meter_value: Some(vec![meter_value_201(&reading, context)]),
                timestamp: reading.at,
                trigger_reason: match kind {
                    v201::TransactionEventEnumType::Started => v201::TriggerReasonEnumType::Authorized,
                    v201::TransactionEventEnumType::Updated => v201::TriggerReasonEnumType::MeterValuePeriodic,
                    v201::TransactionEventEnumType::Ended => v201::TriggerReasonEnumType::EVCommunicationLost,
                },
                seq_no: i32::try_from(seq_no).unwrap_or(i32::MAX),
                offline: self.is_offline().then_some(true),
                number_of_phases_used: Some(3),
                cable_max_current: None,
                reservation_id: None,
                transaction_info: v201::TransactionType {
                    custom_data: None,
                    transaction_id: transaction_id.clone(),
                    charging_state: Some(if ended {
                        v201::ChargingStateEnumType::Idle
                    } else {
                        v201::ChargingStateEnumType::Charging
                    }),
                    time_spent_charging: None,
                    stopped_reason: ended.then_some(v201::ReasonEnumType::EVDisconnected),
                    remote_start_id: None,
                },
                evse: Some(v201::EVSEType { custom_data: None, id: plan.connector_id, connector_id: Some(1) }),
                id_token: (kind == v201::TransactionEventEnumType::Started).then(|| token.clone()),
            };
            if self.is_offline() {
                self.queue(event)?;
            } else {
                self.call(event).await?;
            }
        }
        Ok(SessionReport {
            transaction_id,
            meter_start_wh: plan.meter_start_wh,
            meter_stop_wh: last.energy_wh,
            end_soc: last.soc,
        })
    }
}

fn meter_value_16(r: &Reading, context: v16::ReadingContext) -> v16::MeterValue {
    use v16::{Measurand as M, UnitOfMeasure as U};
    let sample = |measurand: M, unit: U, value: String, phase: Option<v16::Phase>| v16::SampledValue {
        value,
        context: Some(context),
        format: Some(v16::ValueFormat::Raw),
        measurand: Some(measurand),
        phase,
        location: Some(v16::Location::Outlet),
        unit: Some(unit),
    };
    let mut values = vec![
        sample(M::EnergyActiveImportRegister, U::Wh, r.energy_wh.to_string(), None),
        sample(M::PowerActiveImport, U::W, format!("{}", r.power_w), None),
        sample(M::Voltage, U::V, format!("{}", r.voltage_v), Some(v16::Phase::L1N)),
        sample(M::SoC, U::Percent, format!("{}", r.soc), None),
        sample(M::Temperature, U::Celsius, format!("{}", r.temperature_c), None),
    ];
    for phase in [v16::Phase::L1, v16::Phase::L2, v16::Phase::L3] {
        values.push(sample(M::CurrentImport, U::A, format!("{}", r.current_a), Some(phase)));
    }
    v16::MeterValue { timestamp: r.at, sampled_value: values }
}

fn meter_value_201(r: &Reading, context: v201::ReadingContextEnumType) -> v201::MeterValueType {
    use v201::MeasurandEnumType as M;
    let sample = |measurand: M, unit: &str, value: f64, phase: Option<v201::PhaseEnumType>| v201::SampledValueType {
        custom_data: None,
        value: rust_decimal::Decimal::from_f64_retain(value).map(|d| d.round_dp(1)).unwrap_or_default(),
        context: Some(context),
        measurand: Some(measurand),
        phase,
        location: Some(v201::LocationEnumType::Outlet),
        signed_meter_value: None,
        unit_of_measure: Some(v201::UnitOfMeasureType { custom_data: None, unit: Some(unit.into()), multiplier: None }),
    };
    let mut values = vec![
        sample(M::EnergyActiveImportRegister, "Wh", r.energy_wh as f64, None),
        sample(M::PowerActiveImport, "W", r.power_w, None),
        sample(M::Voltage, "V", r.voltage_v, Some(v201::PhaseEnumType::L1N)),
        sample(M::SoC, "Percent", r.soc, None),
    ];
    for phase in [v201::PhaseEnumType::L1, v201::PhaseEnumType::L2, v201::PhaseEnumType::L3] {
        values.push(sample(M::CurrentImport, "A", r.current_a, Some(phase)));
    }
    v201::MeterValueType { custom_data: None, sampled_value: values, timestamp: r.at }
}
