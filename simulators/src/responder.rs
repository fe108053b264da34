//! How a simulated charger answers the CSMS's calls: a configuration-key store for
//! Get/ChangeConfiguration (1.6) and Get/SetVariables (2.0.1), and the answers a healthy charger
//! gives to Reset, TriggerMessage, remote start/stop, unlock, availability changes and
//! reservations.

use protocol::{
    ActionSet, Call, CallErrorCode, OcppVersion, Payload, Role, RpcError, SchemaRegistry, decode_call, v16, v201,
};
use rust_decimal::prelude::ToPrimitive;
use std::collections::BTreeMap;

/// The simulated charger's configuration keys (1.6) / variables (2.0.1).
#[derive(Debug, Clone)]
pub struct KeyStore {
    keys: BTreeMap<String, (String, bool)>,
}

impl Default for KeyStore {
    fn default() -> Self {
        let mut keys = BTreeMap::new();
        for (key, value, readonly) in [
            ("HeartbeatInterval", "300", false),
            ("MeterValueSampleInterval", "60", false),
            ("MeterValuesSampledData", "Energy.Active.Import.Register,Power.Active.Import", false),
            ("NumberOfConnectors", "1", true),
            ("AuthorizeRemoteTxRequests", "false", false),
            ("SupportedFeatureProfiles", "Core,FirmwareManagement,RemoteTrigger,SmartCharging", true),
            // 2.0.1's device model, as `Component.Variable`.
            ("SmartChargingCtrlr.Enabled", "true", false),
            ("SampledDataCtrlr.TxUpdatedMeasurands", "Energy.Active.Import.Register,Power.Active.Import", false),
        ] {
            keys.insert(key.to_owned(), (value.to_owned(), readonly));
        }
        KeyStore { keys }
    }
}

impl KeyStore {
    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.keys.get(key).map(|(v, _)| v.as_str())
    }

    /// Sets `key` to `value` (made writable if new), as the charger's maker would.
    pub fn set(&mut self, key: &str, value: &str) {
        let readonly = self.keys.get(key).is_some_and(|(_, ro)| *ro);
        self.keys.insert(key.to_owned(), (value.to_owned(), readonly));
    }

    /// The 2.0.1 variable `variable` of `component`: `Component.Variable`, else the variable's
    /// name alone (the 1.6 key of the same name).
    fn variable(&self, component: &str, variable: &str) -> Option<&str> {
        self.get(&format!("{component}.{variable}")).or_else(|| self.get(variable))
    }
}

/// What the charger does once it has answered.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Effect {
    /// Charge: a remote start was accepted (with at most `limit_w`, its TxProfile's limit in W).
    StartSession { connector_id: i32, id_tag: String, limit_w: Option<f64> },
    /// Reboot: close, reconnect, boot again (a reset was accepted).
    Reboot,
    /// Send this message now (a trigger was accepted): its action name.
    Send(&'static str),
}

/// The payload answering `call` (and what the charger does next), or the CALLERROR to send.
pub(crate) fn answer(
    version: OcppVersion,
    keys: &mut KeyStore,
    call: &Call<'_>,
) -> Result<(serde_json::Value, Option<Effect>), RpcError> {
    let registry = SchemaRegistry::global();
    let (response, effect) = match version {
        OcppVersion::V16 => {
            let request = decode_call::<v16::Action>(registry, Role::ChargingStation, call)?;
            let effect = match &request {
                v16::Request::RemoteStartTransaction(r) => {
                    let limit_w = r.charging_profile.as_ref().and_then(|p| {
                        let schedule = &p.charging_schedule;
                        let watts = schedule.charging_rate_unit == v16::ChargingRateUnitType::W;
                        schedule
                            .charging_schedule_period
                            .first()
                            .filter(|_| watts)
                            .and_then(|first| first.limit.to_f64())
                    });
                    Some(Effect::StartSession {
                        connector_id: r.connector_id.unwrap_or(1),
                        id_tag: r.id_tag.clone(),
                        limit_w,
                    })
                }
                v16::Request::Reset(_) => Some(Effect::Reboot),
                v16::Request::TriggerMessage(r) => triggered(r.requested_message.as_str()),
                _ => None,
            };
            (answer_16(keys, request)?.to_value(), effect)
        }
        OcppVersion::V201 => {
            let request = decode_call::<v201::Action>(registry, Role::ChargingStation, call)?;
            let effect = match &request {
                v201::Request::RequestStartTransaction(r) => Some(Effect::StartSession {
                    connector_id: r.evse_id.unwrap_or(1),
                    id_tag: r.id_token.id_token.clone(),
                    limit_w: r.charging_profile.as_ref().and_then(|p| {
                        let schedule = p.charging_schedule.first()?;
                        let watts = schedule.charging_rate_unit == v201::ChargingRateUnitEnumType::W;
                        schedule
                            .charging_schedule_period
                            .first()
                            .filter(|_| watts)
                            .and_then(|first| first.limit.to_f64())
                    }),
                }),
                v201::Request::Reset(_) => Some(Effect::Reboot),
                v201::Request::TriggerMessage(r) => triggered(r.requested_message.as_str()),
                _ => None,
            };
            (answer_201(keys, request)?.to_value(), effect)
        }
    };
    let response = response.map_err(|e| RpcError::new(CallErrorCode::InternalError, e.to_string()))?;
    Ok((response, effect))
}

/// The message a trigger asks for, if the simulator sends it.
fn triggered(requested: &str) -> Option<Effect> {
    ["BootNotification", "Heartbeat", "StatusNotification"]
        .into_iter()
        .find(|action| *action == requested)
        .map(Effect::Send)
}

fn not_simulated<A: ActionSet>(action: A) -> RpcError {
    RpcError::new(CallErrorCode::NotImplemented, format!("the simulator does not do {action}"))
}

fn answer_16(keys: &mut KeyStore, request: v16::Request) -> Result<v16::Response, RpcError> {
    use v16::{Request as Q, Response as R};
    Ok(match request {
        Q::Reset(_) => R::Reset(v16::ResetResponse { status: v16::ResetStatus::Accepted }),
        Q::ChangeConfiguration(r) => {
            let status = match keys.keys.get_mut(&r.key) {
                Some((_, true)) => v16::ConfigurationStatus::Rejected,
                Some((value, false)) => {
                    *value = r.value;
                    v16::ConfigurationStatus::Accepted
                }
                None => v16::ConfigurationStatus::NotSupported,
            };
            R::ChangeConfiguration(v16::ChangeConfigurationResponse { status })
        }
        Q::GetConfiguration(r) => {
            let wanted = r.key.unwrap_or_else(|| keys.keys.keys().cloned().collect());
            let (known, unknown): (Vec<_>, Vec<_>) = wanted.into_iter().partition(|k| keys.keys.contains_key(k));
            let configuration_key = known
                .into_iter()
                .filter_map(|k| {
                    keys.keys.get(&k).map(|(v, ro)| v16::KeyValue { key: k, readonly: *ro, value: Some(v.clone()) })
                })
                .collect();
            R::GetConfiguration(v16::GetConfigurationResponse {
                configuration_key: Some(configuration_key),
                unknown_key: (!unknown.is_empty()).then_some(unknown),
            })
        }
        Q::TriggerMessage(_) => {
            R::TriggerMessage(v16::TriggerMessageResponse { status: v16::TriggerMessageStatus::Accepted })
        }
        Q::RemoteStartTransaction(_) => R::RemoteStartTransaction(v16::RemoteStartTransactionResponse {
            status: v16::RemoteStartStopStatus::Accepted,
        }),
        Q::RemoteStopTransaction(_) => R::RemoteStopTransaction(v16::RemoteStopTransactionResponse {
            status: v16::RemoteStartStopStatus::Accepted,
        }),
        Q::UnlockConnector(_) => {
            R::UnlockConnector(v16::UnlockConnectorResponse { status: v16::UnlockStatus::Unlocked })
        }
        Q::ChangeAvailability(_) => {
            R::ChangeAvailability(v16::ChangeAvailabilityResponse { status: v16::AvailabilityStatus::Accepted })
        }
        Q::ClearCache(_) => R::ClearCache(v16::ClearCacheResponse { status: v16::ClearCacheStatus::Accepted }),
        Q::ReserveNow(_) => R::ReserveNow(v16::ReserveNowResponse { status: v16::ReservationStatus::Accepted }),
        Q::CancelReservation(_) => {
            R::CancelReservation(v16::CancelReservationResponse { status: v16::CancelReservationStatus::Accepted })
        }
        Q::DataTransfer(_) => {
            R::DataTransfer(v16::DataTransferResponse { status: v16::DataTransferStatus::UnknownVendorId, data: None })
        }
        other => return Err(not_simulated(other.action())),
    })
}

fn answer_201(keys: &mut KeyStore, request: v201::Request) -> Result<v201::Response, RpcError> {
    use v201::{Request as Q, Response as R};
    Ok(match request {
        Q::Reset(_) => R::Reset(v201::ResetResponse {
            custom_data: None,
            status: v201::ResetStatusEnumType::Accepted,
            status_info: None,
        }),
        Q::GetVariables(r) => {
            let results = r
                .get_variable_data
                .into_iter()
                .map(|d| {
                    let value = keys.variable(&d.component.name, &d.variable.name).map(str::to_owned);
                    v201::GetVariableResultType {
                        custom_data: None,
                        attribute_status_info: None,
                        attribute_status: if value.is_some() {
                            v201::GetVariableStatusEnumType::Accepted
                        } else {
                            v201::GetVariableStatusEnumType::UnknownVariable
                        },
                        attribute_type: d.attribute_type,
                        attribute_value: value,
                        component: d.component,
                        variable: d.variable,
                    }
                })
                .collect();
            R::GetVariables(v201::GetVariablesResponse { custom_data: None, get_variable_result: results })
        }
        Q::SetVariables(r) => {
            let results = r
                .set_variable_data
                .into_iter()
                .map(|d| {
                    let status = match keys.keys.get_mut(&d.variable.name) {
                        Some((_, true)) => v201::SetVariableStatusEnumType::Rejected,
                        Some((value, false)) => {
                            value.clone_from(&d.attribute_value);
                            v201::SetVariableStatusEnumType::Accepted
                        }
                        None => v201::SetVariableStatusEnumType::UnknownVariable,
                    };
                    v201::SetVariableResultType {
                        custom_data: None,
                        attribute_type: d.attribute_type,
                        attribute_status: status,
                        attribute_status_info: None,
                        component: d.component,
                        variable: d.variable,
                    }
                })
                .collect();
            R::SetVariables(v201::SetVariablesResponse { custom_data: None, set_variable_result: results })
        }
        Q::TriggerMessage(_) => R::TriggerMessage(v201::TriggerMessageResponse {
            custom_data: None,
            status: v201::TriggerMessageStatusEnumType::Accepted,
            status_info: None,
        }),
        Q::RequestStartTransaction(_) => R::RequestStartTransaction(v201::RequestStartTransactionResponse {
            custom_data: None,
            status: v201::RequestStartStopStatusEnumType::Accepted,
            status_info: None,
            transaction_id: None,
        }),
        Q::RequestStopTransaction(_) => R::RequestStopTransaction(v201::RequestStopTransactionResponse {
            custom_data: None,
            status: v201::RequestStartStopStatusEnumType::Accepted,
            status_info: None,
        }),
        Q::UnlockConnector(_) => R::UnlockConnector(v201::UnlockConnectorResponse {
            custom_data: None,
            status: v201::UnlockStatusEnumType::Unlocked,
            status_info: None,
        }),
        Q::ChangeAvailability(_) => R::ChangeAvailability(v201::ChangeAvailabilityResponse {
            custom_data: None,
            status: v201::ChangeAvailabilityStatusEnumType::Accepted,
            status_info: None,
        }),
        Q::ClearCache(_) => R::ClearCache(v201::ClearCacheResponse {
            custom_data: None,
            status: v201::ClearCacheStatusEnumType::Accepted,
            status_info: None,
        }),
        Q::ReserveNow(_) => R::ReserveNow(v201::ReserveNowResponse {
            custom_data: None,
            status: v201::ReserveNowStatusEnumType::Accepted,
            status_info: None,
        }),
        Q::CancelReservation(_) => R::CancelReservation(v201::CancelReservationResponse {
            custom_data: None,
            status: v201::CancelReservationStatusEnumType::Accepted,
            status_info: None,
        }),
        Q::DataTransfer(_) => R::DataTransfer(v201::DataTransferResponse {
            custom_data: None,
            status: v201::DataTransferStatusEnumType::UnknownVendorId,
            status_info: None,
            data: None,
        }),
        other => return Err(not_simulated(other.action())),
    })
}
