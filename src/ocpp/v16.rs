//! OCPP 1.6: charger requests to the business and back.

use super::{ChargerContext, id_tag, internal, not_handled, record, refused};
use crate::data_transfer::TransferStatus;
use crate::domain::chargers::BootDecision;
use crate::domain::chargers::{BootRecord, ReportedStatus, StatusRecord};
use crate::domain::charging::{AuthStatus, Authorization, normalise};
use crate::domain::charging::{Sample, StartRecord, StopRecord};
use crate::domain::storage::Subject;
use crate::domain::units::Wh;
use chrono::Utc;
use protocol::v16::{self, Request, Response};
use protocol::{ActionSet, Payload, RpcError};

pub(super) async fn handle(ctx: &mut ChargerContext, request: Request) -> Result<Response, RpcError> {
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
            let decision = ctx.chargers.boot(&ctx.id, record).await.map_err(|e| internal(ctx, kind, e))?;
            ctx.gate = super::Gate::booted(&decision);
            let (status, interval) = match decision {
                BootDecision::Accepted { interval_s } => (v16::RegistrationStatus::Accepted, interval_s),
                BootDecision::Pending { interval_s } => (v16::RegistrationStatus::Pending, interval_s),
                BootDecision::Rejected { interval_s } => (v16::RegistrationStatus::Rejected, interval_s),
            };
            Response::BootNotification(v16::BootNotificationResponse {
                status,
                current_time: Utc::now(),
                interval: i32::try_from(interval).unwrap_or(i32::MAX),
            })
        }
        Request::Heartbeat(_) => Response::Heartbeat(v16::HeartbeatResponse { current_time: Utc::now() }),
        Request::StatusNotification(status) => {
            let record = StatusRecord {
                evse_id: 0,
                connector_id: status.connector_id,
                status: connector_state(status.status),
                error_code: Some(status.error_code.as_str().to_owned()),
                info: status.info,
                vendor_id: status.vendor_id,
                vendor_error_code: status.vendor_error_code,
                at: status.timestamp.unwrap_or_else(Utc::now),
            };
            ctx.chargers.status(&ctx.id, record).await.map_err(|e| internal(ctx, kind, e))?;
            Response::StatusNotification(v16::StatusNotificationResponse {})
        }
        Request::Authorize(r) => {
            let tag = id_tag("idTag", r.id_tag)?;
            let auth = ctx.charging.authorize(&tag).await.map_err(|e| internal(ctx, kind, e))?;
            Response::Authorize(v16::AuthorizeResponse { id_tag_info: id_tag_info(auth) })
        }
        Request::StartTransaction(r) => {
            let start = StartRecord {
                charger_id: ctx.id.clone(),
                connector_id: r.connector_id,
                id_tag: id_tag("idTag", r.id_tag)?,
                meter_start_wh: Wh(r.meter_start),
                started_at: r.timestamp,
            };
            let (started, auth) = ctx.charging.start(start).await.map_err(|e| internal(ctx, kind, e))?;
            let transaction_id = i32::try_from(started.id).map_err(|_| {
                internal(ctx, kind, crate::domain::storage::StoreError::NotFound(Subject::TransactionId32))
            })?;
            Response::StartTransaction(v16::StartTransactionResponse { id_tag_info: id_tag_info(auth), transaction_id })
        }
        Request::StopTransaction(r) => {
            let samples = r.transaction_data.map(|data| samples(data, "transactionData")).transpose()?;
            let samples = samples.unwrap_or_default();
            // The stop is kept whatever its tag says: a tag that cannot be one (a control
            // character) is left out of the record and answered Invalid, so that the charger
            // does not resend its stop for ever and the session's end is not lost.
            let given = r.id_tag.is_some();
            let tag = r.id_tag.and_then(|tag| {
                id_tag("idTag", tag)
                    .inspect_err(|e| tracing::warn!(charger = %ctx.id, error = %e, "a stop's idTag left out"))
                    .ok()
            });
            let stop = StopRecord {
                charger_id: ctx.id.clone(),
                id: i64::from(r.transaction_id),
                meter_stop_wh: Wh(r.meter_stop),
                stopped_at: r.timestamp,
                reason: r.reason.map(|reason| reason.as_str().to_owned()),
                id_tag: tag.clone(),
            };
            // A stop of an unknown transaction is accepted (and recorded): chargers retry an
            // error forever.
            ctx.charging.stop(stop, samples).await.map_err(|e| internal(ctx, kind, e))?;
            let id_tag_info = match tag {
                Some(tag) => Some(id_tag_info(ctx.charging.authorize(&tag).await.map_err(|e| internal(ctx, kind, e))?)),
                None => given.then(|| id_tag_info(Authorization::invalid())),
            };
            Response::StopTransaction(v16::StopTransactionResponse { id_tag_info })
        }
        Request::MeterValues(r) => {
            let transaction_id = r.transaction_id.map(i64::from);
            let samples = samples(r.meter_value, "meterValue")?;
            ctx.charging
                .samples(&ctx.id, transaction_id, 0, r.connector_id, samples)
                .await
                .map_err(|e| internal(ctx, kind, e))?;
            Response::MeterValues(v16::MeterValuesResponse {})
        }
        Request::DataTransfer(transfer) => {
            record(ctx, kind, &transfer).await?;
            let data = transfer.data.map(serde_json::Value::String);
            let reply = ctx.data_transfer(&transfer.vendor_id, transfer.message_id.as_deref(), data).await;
            Response::DataTransfer(match reply {
                None => v16::DataTransferResponse { status: v16::DataTransferStatus::UnknownVendorId, data: None },
                Some(reply) => v16::DataTransferResponse {
                    status: match reply.status {
                        TransferStatus::Accepted => v16::DataTransferStatus::Accepted,
                        TransferStatus::Rejected => v16::DataTransferStatus::Rejected,
                        TransferStatus::UnknownMessageId => v16::DataTransferStatus::UnknownMessageId,
                    },
                    // 1.6 carries text: a string as itself, other JSON as its text.
                    data: reply.data.map(|data| match data {
                        serde_json::Value::String(text) => text,
                        other => other.to_string(),
                    }),
                },
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
            Response::SignCertificate(v16::SignCertificateResponse { status: v16::GenericStatusEnumType::Rejected })
        }
        _ => return Err(not_handled(action)),
    })
}

/// A 1.6 connector status in the domain's words.
fn connector_state(status: v16::ChargePointStatus) -> ReportedStatus {
    match status {
        v16::ChargePointStatus::Available => ReportedStatus::Available,
        v16::ChargePointStatus::Preparing => ReportedStatus::Preparing,
        v16::ChargePointStatus::Charging => ReportedStatus::Charging,
        v16::ChargePointStatus::SuspendedEVSE => ReportedStatus::SuspendedEVSE,
        v16::ChargePointStatus::SuspendedEV => ReportedStatus::SuspendedEV,
        v16::ChargePointStatus::Finishing => ReportedStatus::Finishing,
        v16::ChargePointStatus::Reserved => ReportedStatus::Reserved,
        v16::ChargePointStatus::Unavailable => ReportedStatus::Unavailable,
        v16::ChargePointStatus::Faulted => ReportedStatus::Faulted,
    }
}

fn id_tag_info(auth: Authorization) -> v16::IdTagInfo {
    let status = match auth.status {
        AuthStatus::Accepted => v16::AuthorizationStatus::Accepted,
        AuthStatus::Blocked => v16::AuthorizationStatus::Blocked,
        AuthStatus::Expired => v16::AuthorizationStatus::Expired,
        AuthStatus::Invalid => v16::AuthorizationStatus::Invalid,
        AuthStatus::ConcurrentTx => v16::AuthorizationStatus::ConcurrentTx,
        // 1.6 has no NoCredit: its charger is told Blocked.
        AuthStatus::NoCredit => v16::AuthorizationStatus::Blocked,
    };
    v16::IdTagInfo { expiry_date: auth.expiry_date, parent_id_tag: auth.parent_id_tag.map(String::from), status }
}

/// 1.6 meter values (the list named `field` in the message) as samples, with the spec's defaults
/// for what the charger left out: a Frequency without a unit is in Hertz (errata v4.0), anything
/// else in Wh. A value too large to store in base units refuses the whole message.
fn samples(meter_values: Vec<v16::MeterValue>, field: &str) -> Result<Vec<Sample>, RpcError> {
    let mut samples = Vec::with_capacity(meter_values.iter().map(|mv| mv.sampled_value.len()).sum());
    for (i, mv) in meter_values.into_iter().enumerate() {
        let at = mv.timestamp;
        for (j, sv) in mv.sampled_value.into_iter().enumerate() {
            let default = if sv.measurand == Some(v16::Measurand::Frequency) { "Hertz" } else { "Wh" };
            let unit = sv.unit.map_or(default, v16::UnitOfMeasure::as_str);
            let (value, unit) = if sv.format == Some(v16::ValueFormat::SignedData) {
                (sv.value, unit.to_owned())
            } else {
                normalise(&sv.value, unit, 0).map_err(|e| refused(&format!("{field}[{i}].sampledValue[{j}]"), &e))?
            };
            samples.push(Sample {
                sampled_at: at,
                measurand: sv.measurand.map_or("Energy.Active.Import.Register", v16::Measurand::as_str).to_owned(),
                phase: sv.phase.map(|p| p.as_str().to_owned()),
                context: sv.context.map_or("Sample.Periodic", v16::ReadingContext::as_str).to_owned(),
                location: sv.location.map_or("Outlet", v16::Location::as_str).to_owned(),
                unit,
                value,
            });
        }
    }
    Ok(samples)
}
