//! A charger's life on the CSMS: booting, heartbeats, rebooting, and the messages a trigger asks for.

use super::*;

impl SimCharger {
    /// Reboots: closes the connection, connects again the same way, and boots.
    pub async fn reboot(&mut self) -> Result<(), SimError> {
        let _ = self.socket.close(None).await;
        let (socket, version) = Self::open(&self.options).await?;
        self.socket = socket;
        self.version = version;
        self.connections += 1;
        self.boot().await
    }

    /// Sends a BootNotification of this simulated charger.
    pub async fn boot(&mut self) -> Result<(), SimError> {
        match self.version {
            Some(OcppVersion::V16) => self
                .call(v16::BootNotificationRequest {
                    charge_point_vendor: "csms-sim".into(),
                    charge_point_model: "Simulated".into(),
                    charge_point_serial_number: Some(self.id.clone()),
                    charge_box_serial_number: None,
                    firmware_version: Some(env!("CARGO_PKG_VERSION").into()),
                    iccid: None,
                    imsi: None,
                    meter_type: None,
                    meter_serial_number: None,
                })
                .await
                .map(drop),
            Some(OcppVersion::V201) => self
                .call(v201::BootNotificationRequest {
                    custom_data: None,
                    charging_station: v201::ChargingStationType {
                        custom_data: None,
                        serial_number: Some(self.id.clone()),
                        model: "Simulated".into(),
                        modem: None,
                        vendor_name: "csms-sim".into(),
                        firmware_version: Some(env!("CARGO_PKG_VERSION").into()),
                    },
                    reason: if self.connections > 1 {
                        v201::BootReasonEnumType::RemoteReset
                    } else {
                        v201::BootReasonEnumType::PowerUp
                    },
                })
                .await
                .map(drop),
            None => Err(SimError::Protocol("no OCPP version negotiated".into())),
        }
    }

    /// Sends a Heartbeat.
    pub async fn heartbeat(&mut self) -> Result<(), SimError> {
        match self.version {
            Some(OcppVersion::V16) => self.call(v16::HeartbeatRequest {}).await.map(drop),
            Some(OcppVersion::V201) => self.call(v201::HeartbeatRequest::default()).await.map(drop),
            None => Err(SimError::Protocol("no OCPP version negotiated".into())),
        }
    }

    /// Sends the message a TriggerMessage asked for.
    pub(super) async fn send_triggered(&mut self, action: &str) -> Result<(), SimError> {
        match (action, self.version) {
            ("BootNotification", _) => self.boot().await,
            ("Heartbeat", _) => self.heartbeat().await,
            ("StatusNotification", Some(OcppVersion::V16)) => self
                .call(v16::StatusNotificationRequest {
                    connector_id: 1,
                    error_code: v16::ChargePointErrorCode::NoError,
                    info: None,
                    status: v16::ChargePointStatus::Available,
                    timestamp: Some(chrono::Utc::now()),
                    vendor_id: None,
                    vendor_error_code: None,
                })
                .await
                .map(drop),
            ("StatusNotification", Some(OcppVersion::V201)) => self
                .call(v201::StatusNotificationRequest {
                    custom_data: None,
                    timestamp: chrono::Utc::now(),
                    connector_status: v201::ConnectorStatusEnumType::Available,
                    evse_id: 1,
                    connector_id: 1,
                })
                .await
                .map(drop),
            _ => Ok(()),
        }
    }
}
