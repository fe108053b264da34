//! The hub carries out orders' commands on the chargers, connected to this node or to another,
//! in each charger's OCPP version, and writes each to the operation log like an operator's.

use super::Hub;
use super::capabilities;
use super::handle::CallFailure;
use super::remote::Routed;
use crate::domain::chargers::OperationRecord;
use crate::domain::ids::ChargerId;
use crate::domain::orders::{ChargerCommands, CommandError, PileCapabilities, RemoteStart, RemoteStop};
use crate::domain::reservations::{HoldError, PileHold, PileHolds};
use chrono::Utc;
use dashmap::DashMap;
use futures_util::future::BoxFuture;
use protocol::{OcppVersion, v16, v201};
use rust_decimal::Decimal;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// How long a pile's capabilities are believed once asked (a pile's configuration seldom
/// changes; one asked again after this, or after csms restarts).
const CAPABILITIES_FOR: Duration = Duration::from_secs(600);

/// Orders' commands, through the hub.
#[derive(Debug, Clone)]
pub struct HubCommands {
    hub: Hub,
    /// Each pile's capabilities as it last said, and when.
    known: Arc<DashMap<ChargerId, (Instant, PileCapabilities, OcppVersion)>>,
}

impl HubCommands {
    pub fn new(hub: Hub) -> Self {
        HubCommands { hub, known: Arc::new(DashMap::new()) }
    }

    /// Sends `request` (built for the charger's version by `build`), logs it, and answers
    /// whether the charger accepted.
    async fn send(
        &self,
        charger_id: &ChargerId,
        actor: &str,
        build: impl FnOnce(OcppVersion) -> Option<(&'static str, Value)>,
    ) -> Result<bool, CommandError> {
        let (response, _) = self.exchange(charger_id, actor, build).await?;
        Ok(response.get("status").and_then(Value::as_str) == Some("Accepted"))
    }

    /// The same, answering the charger's response and its version; `Ok(Value::Null)` when
    /// `build` made nothing for it.
    async fn exchange(
        &self,
        charger_id: &ChargerId,
        actor: &str,
        build: impl FnOnce(OcppVersion) -> Option<(&'static str, Value)>,
    ) -> Result<(Value, Option<OcppVersion>), CommandError> {
        let mut spoken = None;
        let started = Instant::now();
        let mut sent = None;
        let result = self
            .hub
            .call(charger_id, |version| {
                spoken = Some(version);
                let (action, payload) = build(version).ok_or(())?;
                sent = Some((action, payload.clone()));
                Ok((action, payload))
            })
            .await;
        let result = match result {
            Ok(response) => Ok(response),
            Err(Routed::NotBuilt(())) => return Ok((Value::Null, spoken)),
            // Nothing was sent: nothing to log.
            Err(Routed::Failed(CallFailure::Disconnected)) if sent.is_none() => return Err(CommandError::Offline),
            Err(Routed::Failed(CallFailure::ClusterUnavailable)) if sent.is_none() => {
                return Err(CommandError::ClusterUnavailable);
            }
            Err(Routed::Failed(failure)) => Err(failure),
        };
        let Some((action, payload)) = sent else { return Err(CommandError::Offline) };
        let (outcome, response, error) = match &result {
            Ok(response) => ("Answered", Some(response.clone()), None),
            Err(failure) => (failure.outcome(), None, Some(failure.to_string())),
        };
        let record = OperationRecord {
            at: Utc::now(),
            actor: actor.to_owned(),
            charger_id: Some(charger_id.clone()),
            action: action.to_owned(),
            payload,
            outcome,
            response,
            error,
            duration_ms: i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX),
            node: Some(self.hub.node().to_owned()),
        };
        if let Err(e) = self.hub.inner.chargers.log_operation(record).await {
            tracing::error!(error = %e, charger = %charger_id, action, "writing the operation log failed");
        }
        match result {
            Ok(response) => Ok((response, spoken)),
            Err(CallFailure::Disconnected) => Err(CommandError::Offline),
            Err(CallFailure::ClusterUnavailable) => Err(CommandError::ClusterUnavailable),
            Err(failure) => Err(CommandError::NoAnswer(failure.to_string())),
        }
    }

    /// What `charger_id` can do, as it last said within `CAPABILITIES_FOR`, else asked now.
    async fn capabilities_of(&self, charger_id: &ChargerId) -> Result<(PileCapabilities, OcppVersion), CommandError> {
        if let Some(known) = self.known.get(charger_id)
            && known.0.elapsed() < CAPABILITIES_FOR
        {
            return Ok((known.1, known.2));
        }
        let (response, version) = self.exchange(charger_id, "csms:capabilities", capabilities::question).await?;
        let version = version.ok_or(CommandError::Offline)?;
        let said = capabilities::answer(version, &response);
        self.known.insert(charger_id.clone(), (Instant::now(), said, version));
        Ok((said, version))
    }

    /// The id of the TxProfile `start` carries: when it limits the power and the pile does
    /// smart charging (a pile that cannot say is started without one; csms stops it in time).
    async fn profile_for(&self, start: &RemoteStart) -> Option<i32> {
        start.limits.max_power_w?;
        match self.capabilities_of(&start.charger_id).await {
            Ok((said, _)) if said.smart_charging => Some(start.remote_start_id),
            Ok(_) => None,
            Err(e) => {
                tracing::info!(charger = %start.charger_id, error = %e, "the pile's capabilities are unknown: started without a TxProfile");
                None
            }
        }
    }
}

fn payload(request: &impl serde::Serialize) -> Option<Value> {
    serde_json::to_value(request).ok()
}

impl ChargerCommands for HubCommands {
    fn capabilities(&self, charger_id: ChargerId) -> BoxFuture<'_, Result<PileCapabilities, CommandError>> {
        Box::pin(async move { self.capabilities_of(&charger_id).await.map(|(said, _)| said) })
    }

    fn remote_start(&self, start: RemoteStart) -> BoxFuture<'_, Result<bool, CommandError>> {
        Box::pin(async move {
            let profile_id = self.profile_for(&start).await;
            let build = |version| match version {
                OcppVersion::V16 => Some((
                    "RemoteStartTransaction",
                    payload(&v16::RemoteStartTransactionRequest {
                        connector_id: Some(start.connector_id),
                        id_tag: start.id_tag.to_string(),
                        charging_profile: profile_id.and_then(|id| capabilities::profile_16(start.limits, id)),
                    })?,
                )),
                OcppVersion::V201 => Some((
                    "RequestStartTransaction",
                    payload(&v201::RequestStartTransactionRequest {
                        custom_data: None,
                        evse_id: Some(start.evse_id),
                        group_id_token: None,
                        id_token: v201::IdTokenType {
                            custom_data: None,
                            additional_info: None,
                            id_token: start.id_tag.to_string(),
                            r#type: v201::IdTokenEnumType::Central,
                        },
                        remote_start_id: start.remote_start_id,
                        charging_profile: profile_id.and_then(|id| capabilities::profile_201(start.limits, id)),
                    })?,
                )),
            };
            self.send(&start.charger_id, &start.actor, build).await
        })
    }

    fn remote_stop(&self, stop: RemoteStop) -> BoxFuture<'_, Result<bool, CommandError>> {
        Box::pin(async move {
            let build = |version| match version {
                OcppVersion::V16 => Some((
                    "RemoteStopTransaction",
                    payload(&v16::RemoteStopTransactionRequest {
                        transaction_id: i32::try_from(stop.transaction_id).ok()?,
                    })?,
                )),
                OcppVersion::V201 => Some((
                    "RequestStopTransaction",
                    payload(&v201::RequestStopTransactionRequest {
                        custom_data: None,
                        transaction_id: stop.charger_transaction_id.clone()?,
                    })?,
                )),
            };
            self.send(&stop.charger_id, &stop.actor, build).await
        })
    }

    fn cost_updated(
        &self,
        charger_id: ChargerId,
        charger_transaction_id: String,
        total_cost: Decimal,
    ) -> BoxFuture<'_, Result<bool, CommandError>> {
        Box::pin(async move {
            let build = |version| {
                if version != OcppVersion::V201 {
                    return Err(());
                }
                let request =
                    v201::CostUpdatedRequest { custom_data: None, total_cost, transaction_id: charger_transaction_id };
                Ok(("CostUpdated", payload(&request).ok_or(())?))
            };
            match self.hub.call(&charger_id, build).await {
                Ok(_) => Ok(true),
                Err(Routed::NotBuilt(())) => Ok(false),
                Err(Routed::Failed(CallFailure::Disconnected)) => Err(CommandError::Offline),
                Err(Routed::Failed(CallFailure::ClusterUnavailable)) => Err(CommandError::ClusterUnavailable),
                Err(Routed::Failed(failure)) => Err(CommandError::NoAnswer(failure.to_string())),
            }
        })
    }
}

/// A command's failure, in the reservations' words.
impl From<CommandError> for HoldError {
    fn from(e: CommandError) -> Self {
        match e {
            CommandError::Offline => HoldError::Offline,
            CommandError::ClusterUnavailable => HoldError::ClusterUnavailable,
            CommandError::NoAnswer(why) => HoldError::NoAnswer(why),
        }
    }
}

impl PileHolds for HubCommands {
    fn hold(&self, hold: PileHold) -> BoxFuture<'_, Result<bool, HoldError>> {
        Box::pin(async move {
            let Ok(id) = i32::try_from(hold.reservation_id) else {
                return Err(HoldError::NoAnswer("the reservation's id does not fit OCPP's 32 bits".into()));
            };
            let build = |version| match version {
                OcppVersion::V16 => Some((
                    "ReserveNow",
                    payload(&v16::ReserveNowRequest {
                        connector_id: hold.connector_id,
                        expiry_date: hold.expires_at,
                        id_tag: hold.id_tag.to_string(),
                        parent_id_tag: None,
                        reservation_id: id,
                    })?,
                )),
                OcppVersion::V201 => Some((
                    "ReserveNow",
                    payload(&v201::ReserveNowRequest {
                        custom_data: None,
                        id,
                        expiry_date_time: hold.expires_at,
                        connector_type: None,
                        id_token: v201::IdTokenType {
                            custom_data: None,
                            additional_info: None,
                            id_token: hold.id_tag.to_string(),
                            r#type: v201::IdTokenEnumType::Central,
                        },
                        evse_id: Some(hold.evse_id.max(hold.connector_id)),
                        group_id_token: None,
                    })?,
                )),
            };
            Ok(self.send(&hold.charger_id, &hold.actor, build).await?)
        })
    }

    fn release_hold(
        &self,
        charger_id: ChargerId,
        reservation_id: i64,
        actor: String,
    ) -> BoxFuture<'_, Result<bool, HoldError>> {
        Box::pin(async move {
            let Ok(id) = i32::try_from(reservation_id) else { return Ok(false) };
            let build = |version| match version {
                OcppVersion::V16 => {
                    Some(("CancelReservation", payload(&v16::CancelReservationRequest { reservation_id: id })?))
                }
                OcppVersion::V201 => Some((
                    "CancelReservation",
                    payload(&v201::CancelReservationRequest { custom_data: None, reservation_id: id })?,
                )),
            };
            Ok(self.send(&charger_id, &actor, build).await?)
        })
    }
}
