//! OCPP 1.6: charger requests to the business and back. Transactions (Authorize, Start/Stop,
//! MeterValues) arrive in the next part of the hub.

use super::{ChargerContext, internal, not_handled, record};
use crate::chargers::BootDecision;
use crate::store::{BootRecord, StatusRecord};
use chrono::Utc;
use protocol::v16::{self, Request, Response};
use protocol::{ActionSet, Payload, RpcError};

pub(super) async fn handle(
    ctx: &mut ChargerContext,
    request: Request,
) -> Result<Response, RpcError> {
    let action = request.action();
    let kind = action.as_str();
    Ok(match request {
        Request::BootNotification(boot) => {
            let record = BootRecord {
                ocpp_version: "1.6".into(),
                vendor: boot.charge_point_vendor,
                model: boot.charge_point_model,
                serial_number: boot.charge_point_serial_number,
                charge_box_serial_number: boot.charge_box_serial_number,
                firmware_version: boot.firmware_version,
                iccid: boot.iccid,
                imsi: boot.imsi,
                meter_type: boot.meter_type,
                meter_serial_number: boot.meter_serial_number,
                reason: None,
            };
            let decision = ctx
                .chargers
                .boot(&ctx.id, record)
                .await
                .map_err(|e| internal(ctx, kind, e))?;
            let (status, interval) = match decision {
                BootDecision::Accepted { interval_s } => {
                    (v16::RegistrationStatus::Accepted, interval_s)
                }
                BootDecision::Pending { interval_s } => {
                    (v16::RegistrationStatus::Pending, interval_s)
                }
                BootDecision::Rejected { interval_s } => {
                    (v16::RegistrationStatus::Rejected, interval_s)
                }
            };
            ctx.accepted = status == v16::RegistrationStatus::Accepted;
            Response::BootNotification(v16::BootNotificationResponse {
                status,
                current_time: Utc::now(),
                interval: i32::try_from(interval).unwrap_or(i32::MAX),
            })
        }
        Request::Heartbeat(_) => Response::Heartbeat(v16::HeartbeatResponse {
            current_time: Utc::now(),
        }),
        Request::StatusNotification(status) => {
            let record = StatusRecord {
                evse_id: 0,
                connector_id: status.connector_id,
                status: status.status.as_str().to_owned(),
                error_code: Some(status.error_code.as_str().to_owned()),
                info: status.info,
                vendor_id: status.vendor_id,
                vendor_error_code: status.vendor_error_code,
                at: status.timestamp.unwrap_or_else(Utc::now),
            };
            ctx.chargers
                .status(&ctx.id, record)
                .await
                .map_err(|e| internal(ctx, kind, e))?;
            Response::StatusNotification(v16::StatusNotificationResponse {})
        }
        Request::DataTransfer(transfer) => {
            // No vendor extension is registered: the spec's answer is UnknownVendorId.
            record(ctx, kind, &transfer).await?;
            Response::DataTransfer(v16::DataTransferResponse {
                status: v16::DataTransferStatus::UnknownVendorId,
                data: None,
            })
        }
        Request::DiagnosticsStatusNotification(r) => {
            record(ctx, kind, &r).await?;
            Response::DiagnosticsStatusNotification(Default::default())
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
        Request::SignedFirmwareStatusNotification(r) => {
            record(ctx, kind, &r).await?;
            Response::SignedFirmwareStatusNotification(Default::default())
        }
        Request::SignCertificate(r) => {
            // No certificate authority is configured: the CSMS cannot sign.
            record(ctx, kind, &r).await?;
            Response::SignCertificate(v16::SignCertificateResponse {
                status: v16::GenericStatusEnumType::Rejected,
            })
        }
        _ => return Err(not_handled(action)),
    })
}
