//! OCPP 2.0.1: charger requests to the business and back.

use super::{ChargerContext, id_tag, internal, not_handled, record, refused};
use crate::data_transfer::TransferStatus;
use crate::domain::chargers::BootDecision;
use crate::domain::chargers::{BootRecord, ReportedStatus, StatusRecord};
use crate::domain::charging::{AuthStatus, Authorization, normalise};
use crate::domain::charging::{EventKind, EventRecord, Sample};
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
            ctx.gate = super::Gate::booted(&decision);
            let (status, interval) = match decision {
                BootDecision::Accepted { interval_s } => (v201::RegistrationStatusEnumType::Accepted, interval_s),
                BootDecision::Pending { interval_s } => (v201::RegistrationStatusEnumType::Pending, interval_s),
                BootDecision::Rejected { interval_s } => (v201::RegistrationStatusEnumType::Rejected, interval_s),
            };
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
                status: connector_state(status.connector_status),
                error_code: None,
                info: None,
                vendor_id: None,
                vendor_error_code: None,
                at: status.timestamp,
            };
            ctx.chargers.status(&ctx.id, record).await.map_err(|e| internal(ctx, kind, e))?;
            Response::StatusNotification(Default::default())
        }
        Request::Authorize(r) => {
            // An empty idToken (NoAuthorization's) names no tag: Invalid, as an unknown one.
            let auth = match token("idToken.idToken", r.id_token.id_token)? {
                Some(tag) => ctx.charging.authorize(&tag).await.map_err(|e| internal(ctx, kind, e))?,
                None => Authorization::invalid(),
            };
            Response::Authorize(v201::AuthorizeResponse {
                custom_data: None,
                id_token_info: id_token_info(auth),
                certificate_status: None,
            })
        }
        Request::TransactionEvent(r) => {
            // Checked before anything is stored: a value that cannot be stored refuses the event.
            let samples = r.meter_value.map(samples).transpose()?.unwrap_or_default();
            // A token that cannot be a tag (a control character) does not refuse the event, which
            // the charger would resend for ever: the event is kept without it and the token is
            // answered Invalid (below), as an empty one is.
            let given = r.id_token.is_some();
            let id_tag = r.id_token.and_then(|t| {
                token("idToken.idToken", t.id_token)
                    .inspect_err(|e| tracing::warn!(charger = %ctx.id, error = %e, "an event's idToken left out"))
                    .ok()
                    .flatten()
            });
            let event = EventRecord {
                charger_id: ctx.id.clone(),
                charger_transaction_id: r.transaction_info.transaction_id,
                kind: match r.event_type {
                    v201::TransactionEventEnumType::Started => EventKind::Started,
                    v201::TransactionEventEnumType::Updated => EventKind::Updated,
                    v201::TransactionEventEnumType::Ended => EventKind::Ended,
                },
                seq_no: r.seq_no,
                at: r.timestamp,
                evse_id: r.evse.as_ref().map(|e| e.id),
                connector_id: r.evse.as_ref().and_then(|e| e.connector_id),
                id_tag,
                stop_reason: r.transaction_info.stopped_reason.map(|reason| reason.as_str().to_owned()),
                trigger_reason: r.trigger_reason.as_str().to_owned(),
                offline: r.offline.unwrap_or(false),
                remote_start_id: r.transaction_info.remote_start_id,
            };
            // When the event carries a token its verdict goes back: the charger may stop on a
            // refused one. A start with a token already charging elsewhere is ConcurrentTx.
            let (_, verdict) = ctx.charging.event(event, samples).await.map_err(|e| internal(ctx, kind, e))?;
            // A token that named no tag (empty) is answered as an unknown one.
            let verdict = verdict.or_else(|| given.then(Authorization::invalid));
            let id_token_info = verdict.map(id_token_info);
            Response::TransactionEvent(v201::TransactionEventResponse { id_token_info, ..Default::default() })
        }
        Request::MeterValues(r) => {
            let samples = samples(r.meter_value)?;
            ctx.charging.samples(&ctx.id, None, r.evse_id, 0, samples).await.map_err(|e| internal(ctx, kind, e))?;
            Response::MeterValues(Default::default())
        }
        Request::DataTransfer(transfer) => {
            record(ctx, kind, &transfer).await?;
            let reply = ctx.data_transfer(&transfer.vendor_id, transfer.message_id.as_deref(), transfer.data).await;
            let (status, data) = match reply {
                None => (v201::DataTransferStatusEnumType::UnknownVendorId, None),
                Some(reply) => (
                    match reply.status {
                        TransferStatus::Accepted => v201::DataTransferStatusEnumType::Accepted,
                        TransferStatus::Rejected => v201::DataTransferStatusEnumType::Rejected,
                        TransferStatus::UnknownMessageId => v201::DataTransferStatusEnumType::UnknownMessageId,
                    },
                    reply.data,
                ),
            };
            Response::DataTransfer(v201::DataTransferResponse { custom_data: None, status, status_info: None, data })
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

/// A 2.0.1 connector status in the domain's words.
fn connector_state(status: v201::ConnectorStatusEnumType) -> ReportedStatus {
    match status {
        v201::ConnectorStatusEnumType::Available => ReportedStatus::Available,
        v201::ConnectorStatusEnumType::Occupied => ReportedStatus::Occupied,
        v201::ConnectorStatusEnumType::Reserved => ReportedStatus::Reserved,
        v201::ConnectorStatusEnumType::Unavailable => ReportedStatus::Unavailable,
        v201::ConnectorStatusEnumType::Faulted => ReportedStatus::Faulted,
    }
}

fn id_token_info(auth: Authorization) -> v201::IdTokenInfoType {
    let status = match auth.status {
        AuthStatus::Accepted => v201::AuthorizationStatusEnumType::Accepted,
        AuthStatus::Blocked => v201::AuthorizationStatusEnumType::Blocked,
        AuthStatus::Expired => v201::AuthorizationStatusEnumType::Expired,
        AuthStatus::Invalid => v201::AuthorizationStatusEnumType::Invalid,
        AuthStatus::ConcurrentTx => v201::AuthorizationStatusEnumType::ConcurrentTx,
        AuthStatus::NoCredit => v201::AuthorizationStatusEnumType::NoCredit,
    };
    v201::IdTokenInfoType {
        custom_data: None,
        status,
        cache_expiry_date_time: auth.expiry_date,
        charging_priority: None,
        language1: None,
        evse_id: None,
        group_id_token: auth.parent_id_tag.map(|parent| v201::IdTokenType {
            custom_data: None,
            additional_info: None,
            id_token: parent.into_string(),
            r#type: v201::IdTokenEnumType::Central,
        }),
        language2: None,
        personal_message: None,
    }
}

/// A 2.0.1 idToken (`field`) as an id tag: none when empty (NoAuthorization's token names no
/// tag); one that cannot be a tag is refused (see `id_tag`).
fn token(field: &str, text: String) -> Result<Option<crate::domain::ids::IdTag>, RpcError> {
    if text.is_empty() { Ok(None) } else { id_tag(field, text).map(Some) }
}

/// 2.0.1 meter values as samples, with the spec's defaults for what the charger left out (a
/// Frequency without a unit is in Hz, anything else in Wh). A multiplier beyond ±28 or a value too
/// large to store in base units refuses the whole message.
fn samples(meter_values: Vec<v201::MeterValueType>) -> Result<Vec<Sample>, RpcError> {
    let mut samples = Vec::with_capacity(meter_values.iter().map(|mv| mv.sampled_value.len()).sum());
    for (i, mv) in meter_values.into_iter().enumerate() {
        let at = mv.timestamp;
        for (j, sv) in mv.sampled_value.into_iter().enumerate() {
            let default = if sv.measurand == Some(v201::MeasurandEnumType::Frequency) { "Hz" } else { "Wh" };
            let unit = sv.unit_of_measure.as_ref().and_then(|u| u.unit.as_deref()).unwrap_or(default);
            let multiplier = sv.unit_of_measure.as_ref().and_then(|u| u.multiplier).unwrap_or(0);
            let (value, unit) = normalise(&sv.value.to_string(), unit, multiplier)
                .map_err(|e| refused(&format!("meterValue[{i}].sampledValue[{j}]"), &e))?;
            samples.push(Sample {
                sampled_at: at,
                measurand: sv
                    .measurand
                    .map_or("Energy.Active.Import.Register", v201::MeasurandEnumType::as_str)
                    .to_owned(),
                phase: sv.phase.map(|p| p.as_str().to_owned()),
                context: sv.context.map_or("Sample.Periodic", v201::ReadingContextEnumType::as_str).to_owned(),
                location: sv.location.map_or("Outlet", v201::LocationEnumType::as_str).to_owned(),
                unit,
                value,
            });
        }
    }
    Ok(samples)
}
