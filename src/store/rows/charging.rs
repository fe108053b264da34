//! Transactions' and meter samples' rows into the domain's records.

use super::{charger_id, maybe_id_tag};
use crate::domain::charging::TransactionStatus;
use crate::domain::charging::records::{MeterSample, Transaction};
use crate::domain::storage::StoreError;
use crate::domain::units::Wh;
use entity::{meter_sample, transaction};

impl TryFrom<transaction::Model> for Transaction {
    type Error = StoreError;

    /// A status the domain does not know is a corrupt row.
    fn try_from(row: transaction::Model) -> Result<Self, StoreError> {
        let status = TransactionStatus::parse(&row.status)
            .ok_or_else(|| StoreError::Corrupt(format!("transaction {}: status {:?}", row.id, row.status)))?;
        let whose = format!("transaction {}", row.id);
        Ok(Transaction {
            id: row.id,
            charger_id: charger_id(row.charger_id, &whose)?,
            evse_id: row.evse_id,
            connector_id: row.connector_id,
            charger_transaction_id: row.charger_transaction_id,
            id_tag: maybe_id_tag(row.id_tag, &whose)?,
            started_at: row.started_at,
            meter_start_wh: row.meter_start_wh.map(Wh),
            stopped_at: row.stopped_at,
            meter_stop_wh: row.meter_stop_wh.map(Wh),
            energy_wh: row.energy_wh.map(Wh),
            stop_reason: row.stop_reason,
            status,
            last_seq_no: row.last_seq_no,
            offline: row.offline,
            updated_at: row.updated_at,
        })
    }
}

impl TryFrom<meter_sample::Model> for MeterSample {
    type Error = StoreError;

    /// A charger id that cannot be one is a corrupt row.
    fn try_from(row: meter_sample::Model) -> Result<Self, StoreError> {
        Ok(MeterSample {
            id: row.id,
            transaction_id: row.transaction_id,
            charger_id: charger_id(row.charger_id, format_args!("meter sample {}", row.id))?,
            evse_id: row.evse_id,
            connector_id: row.connector_id,
            sampled_at: row.sampled_at,
            measurand: row.measurand,
            phase: row.phase,
            context: row.context,
            location: row.location,
            unit: row.unit,
            value: row.value,
        })
    }
}
