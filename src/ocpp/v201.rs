//! OCPP 2.0.1: charger requests to the business and back. Transactions (Authorize,
//! TransactionEvent, MeterValues) arrive in the next part of the hub.

use super::{ChargerContext, internal, not_handled, record};
use crate::chargers::BootDecision;
use crate::store::{BootRecord, StatusRecord};
use chrono::Utc;
use protocol::v201::{self, Request, Response};
use protocol::{ActionSet, Payload, RpcError};

pub(super) async fn handle(ctx: &mut ChargerContext, request: Request) -> Result<Response, RpcError> {
    let action = request.action();
    let kind = action.as_str();
    Ok(match request {
        Request::BootNotification(boot) => {
            let station = boot.charging_station;
            let modem = station.modem.unwrap_or_default();
            let record = BootRecord {
                ocpp_version: "2.0.1".into(),
                vendor: station.vendor_name,
                model: station.model,
                serial_number: station.serial_number,
                charge_box_serial_number: None,
                firmware_version: station.firmware_version,
                iccid: modem.iccid,
                imsi: modem.imsi,
                meter_type: None,
                meter_serial_number: None,
                reason: Some(boot.reason.as_str().to_owned()),
            };
            let decision = ctx.chargers.boot(&ctx.id, record).await.map_err(|e| internal(ctx, kind, e))?;
            let (status, interval) = match decision {
                BootDecision::Accepted { interval_s } => (v201::RegistrationStatusEnumType::Accepted, interval_s),
                BootDecision::Pending { interval_s } => (v201::RegistrationStatusEnumType::Pending, interval_s),
                BootDecision::Rejected { interval_s } => (v201::RegistrationStatusEnumType::Rejected, interval_s),
            };
            ctx.accepted = status == v201::RegistrationStatusEnumType::Accepted;
            Response::BootNotification(v201::BootNotificationResponse {
                custom_data: None,
                current_time: Utc::now(),
                interval: i32::try_from(interval).unwrap_or(i32::MAX),
                status,
                status_info: None,
            })
        }
        Request::Heartbeat(_) => {
            Response::Heartbeat(v201::HeartbeatResponse { custom_data: None, current_time: Utc::now() })
        }
        Request::StatusNotification(status) => {
            let record = StatusRecord {
                evse_id: status.evse_id,
                connector_id: status.connector_id,
                status: status.connector_status.as_str().to_owned(),
                error_code: None,
                info: None,
                vendor_id: None,
                vendor_error_code: None,
                at: status.timestamp,
            };
            ctx.chargers.status(&ctx.id, record).await.map_err(|e| internal(ctx, kind, e))?;
            Response::StatusNotification(Default::default())
        }
        Request::DataTransfer(transfer) => {
            // No vendor extension is registered: the spec's answer is UnknownVendorId.
            record(ctx, kind, &transfer).await?;
            Response::DataTransfer(v201::DataTransferResponse {
                custom_data: None,
                status: v201::DataTransferStatusEnumType::UnknownVendorId,
                status_info: None,
                data: None,
            })
        }
        Request::SignCertificate(r) => {
            // No certificate authority is configured: the CSMS cannot sign.
            record(ctx, kind, &r).await?;
            Response::SignCertificate(v201::SignCertificateResponse {
                custom_data: None,
                status: v201::GenericStatusEnumType::Rejected,
                status_info: None,
            })
        }
        Request::FirmwareStatusNotification(r) => {
            record(ctx, kind, &r).await?;
            Response::FirmwareStatusNotification(Default::default())
        }
        Request::LogStatusNotification(r) => {
            record(ctx, kind, &r).await?;
            Response::LogStatusNotification(Default::default())
        }
        Request::SecurityEventNotification(r) => {
            record(ctx, kind, &r).await?;
            Response::SecurityEventNotification(Default::default())
        }
        Request::NotifyReport(r) => {
            record(ctx, kind, &r).await?;
            Response::NotifyReport(Default::default())
        }
        Request::NotifyEvent(r) => {
            record(ctx, kind, &r).await?;
            Response::NotifyEvent(Default::default())
        }
        Request::NotifyMonitoringReport(r) => {
            record(ctx, kind, &r).await?;
            Response::NotifyMonitoringReport(Default::default())
        }
        Request::NotifyCustomerInformation(r) => {
            record(ctx, kind, &r).await?;
            Response::NotifyCustomerInformation(Default::default())
        }
        Request::NotifyDisplayMessages(r) => {
            record(ctx, kind, &r).await?;
            Response::NotifyDisplayMessages(Default::default())
        }
        Request::PublishFirmwareStatusNotification(r) => {
            record(ctx, kind, &r).await?;
            Response::PublishFirmwareStatusNotification(Default::default())
        }
        Request::ReservationStatusUpdate(r) => {
            record(ctx, kind, &r).await?;
            Response::ReservationStatusUpdate(Default::default())
        }
        Request::ClearedChargingLimit(r) => {
            record(ctx, kind, &r).await?;
            Response::ClearedChargingLimit(Default::default())
        }
        Request::NotifyChargingLimit(r) => {
            record(ctx, kind, &r).await?;
            Response::NotifyChargingLimit(Default::default())
        }
        Request::ReportChargingProfiles(r) => {
            record(ctx, kind, &r).await?;
            Response::ReportChargingProfiles(Default::default())
        }
        _ => return Err(not_handled(action)),
    })
}
