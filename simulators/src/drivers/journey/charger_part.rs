//! The charger's part of a driver's order: its clock, starting and stopping the transaction
//! with the driver's tag, its connector's status, its meter values, and answering the CSMS's
//! remote start and stop.

use super::{DriverError, Driving, PileLink};
use crate::messages::status_notification;
use crate::{SimCharger, SimError};
use chrono::{DateTime, Utc};
use protocol::v16;

impl Driving<'_> {
    /// The driver's OCPP charger.
    pub(super) fn charger(&mut self) -> Result<&mut SimCharger, DriverError> {
        match &mut self.rig.cp {
            PileLink::Ocpp(cp) => Ok(cp),
            PileLink::Mqtt(_) => Err(DriverError::Answer("charger", "an MQTT pile makes no OCPP calls".into())),
        }
    }

    /// The charger's clock, a little later than its last message.
    pub(super) fn tick(&mut self) -> DateTime<Utc> {
        self.clock = Utc::now().max(self.clock + chrono::Duration::milliseconds(10));
        self.clock
    }

    /// Starts a transaction on connector 1 with the driver's tag, the register at `meter_start`.
    pub(super) async fn start_transaction(
        &mut self,
        meter_start: i64,
    ) -> Result<v16::StartTransactionResponse, DriverError> {
        let start = v16::StartTransactionRequest {
            connector_id: 1,
            id_tag: self.rig.driver.id_tag.clone(),
            meter_start,
            reservation_id: None,
            timestamp: self.tick(),
        };
        Ok(self.charger()?.call(start).await?)
    }

    pub(super) async fn stop_transaction(&mut self, transaction_id: i32, meter_stop: i64) -> Result<(), DriverError> {
        let stop = v16::StopTransactionRequest {
            id_tag: Some(self.rig.driver.id_tag.clone()),
            meter_stop,
            timestamp: self.tick(),
            transaction_id,
            reason: Some(v16::Reason::Remote),
            transaction_data: None,
        };
        self.charger()?.call(stop).await?;
        self.register_wh = meter_stop;
        Ok(())
    }

    pub(super) async fn status(&mut self, status: v16::ChargePointStatus) -> Result<(), DriverError> {
        let at = self.tick();
        self.charger()?.call(status_notification(1, status, Some(at))).await?;
        Ok(())
    }
}

/// Answers the CSMS's calls until it has answered one of `action`.
pub(super) async fn serve_until(cp: &mut SimCharger, action: &str) -> Result<(), SimError> {
    loop {
        if cp.serve_calls(1, None).await?.iter().any(|a| a == action) {
            return Ok(());
        }
    }
}

/// A MeterValues of the energy register (Wh) in a transaction.
pub(super) fn energy(transaction_id: i32, wh: i64, at: DateTime<Utc>) -> v16::MeterValuesRequest {
    let sampled = |measurand: v16::Measurand, unit: v16::UnitOfMeasure, value: String| v16::SampledValue {
        value,
        context: Some(v16::ReadingContext::SamplePeriodic),
        format: None,
        measurand: Some(measurand),
        phase: None,
        location: Some(v16::Location::Outlet),
        unit: Some(unit),
    };
    v16::MeterValuesRequest {
        connector_id: 1,
        transaction_id: Some(transaction_id),
        meter_value: vec![v16::MeterValue {
            timestamp: at,
            sampled_value: vec![
                sampled(v16::Measurand::EnergyActiveImportRegister, v16::UnitOfMeasure::Wh, wh.to_string()),
                sampled(v16::Measurand::PowerActiveImport, v16::UnitOfMeasure::W, "7000".into()),
            ],
        }],
    }
}
