//! Chargers' and connectors' rows into the domain's records.

use crate::domain::chargers::PileProtocol;
use crate::domain::chargers::records::{Charger, Connector, Registration, ReportedStatus};
use crate::domain::storage::StoreError;
use entity::{charger, connector};

impl TryFrom<charger::Model> for Charger {
    type Error = StoreError;

    /// An id that cannot be a charger's is a corrupt row.
    fn try_from(row: charger::Model) -> Result<Self, StoreError> {
        let protocol = PileProtocol::parse(&row.protocol)
            .ok_or_else(|| StoreError::Corrupt(format!("charger {}: protocol {:?}", row.id, row.protocol)))?;
        Ok(Charger {
            id: super::charger_id(row.id, "charger")?,
            registration: Registration::parse(&row.registration),
            password_hash: row.password_hash,
            ocpp_version: row.ocpp_version,
            vendor: row.vendor,
            model: row.model,
            serial_number: row.serial_number,
            charge_box_serial_number: row.charge_box_serial_number,
            firmware_version: row.firmware_version,
            iccid: row.iccid,
            imsi: row.imsi,
            meter_type: row.meter_type,
            meter_serial_number: row.meter_serial_number,
            boot_reason: row.boot_reason,
            last_boot_at: row.last_boot_at,
            last_seen_at: row.last_seen_at,
            station_code: row.station_code,
            name: row.name,
            pile_type: row.pile_type,
            connector_type: row.connector_type,
            max_power_w: row.max_power_w,
            rated_voltage_v: row.rated_voltage_v,
            rated_current_a: row.rated_current_a,
            online_session: row.online_session,
            online_node: row.online_node,
            online_epoch: row.online_epoch,
            protocol,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

impl TryFrom<connector::Model> for Connector {
    type Error = StoreError;

    /// A status neither OCPP version has is a corrupt row.
    fn try_from(row: connector::Model) -> Result<Self, StoreError> {
        let status = ReportedStatus::parse(&row.status).ok_or_else(|| {
            StoreError::Corrupt(format!(
                "connector {}/{}/{}: status {:?}",
                row.charger_id, row.evse_id, row.connector_id, row.status
            ))
        })?;
        let whose = format!("connector {}/{}/{}", row.charger_id, row.evse_id, row.connector_id);
        Ok(Connector {
            charger_id: super::charger_id(row.charger_id, whose)?,
            evse_id: row.evse_id,
            connector_id: row.connector_id,
            status,
            error_code: row.error_code,
            info: row.info,
            vendor_id: row.vendor_id,
            vendor_error_code: row.vendor_error_code,
            status_at: row.status_at,
            updated_at: row.updated_at,
        })
    }
}
