//! Chargers held by other nodes: a call for a charger not connected here goes to the node
//! holding it (read from presence) and comes back with the same deadline and the same failures as
//! a local call; a call from another node for a charger held here is carried out like a local
//! one; a takeover announced by another node closes an older connection here.

use super::Hub;
use super::handle::CallFailure;
use crate::cluster::wire::Answer;
use crate::cluster::{BusError, Holder};
use crate::domain::ids::ChargerId;
use dashmap::DashMap;
use futures_util::future::BoxFuture;
use protocol::{ActionSet, OcppVersion, v16, v201};
use serde_json::Value;
use std::time::Duration;
use tokio::time::Instant;

/// How long a takeover announced by another node is remembered, for a connection here that
/// registers after hearing it.
const REMEMBERED: Duration = Duration::from_secs(60);

/// Takeovers announced by other nodes lately: charger → (epoch, when heard).
#[derive(Debug, Default)]
pub(crate) struct Remote {
    takeovers: DashMap<String, (i64, Instant)>,
}

impl Remote {
    /// Whether another node announced a connection of `charger` newer than `epoch` lately.
    pub(crate) fn newer_elsewhere(&self, charger: &str, epoch: i64) -> bool {
        self.takeovers.get(charger).is_some_and(|heard| heard.0 > epoch && heard.1.elapsed() < REMEMBERED)
    }

    fn heard(&self, charger: &str, epoch: i64) {
        let now = Instant::now();
        if self.takeovers.len() > 10_000 {
            self.takeovers.retain(|_, heard| heard.1.elapsed() < REMEMBERED);
        }
        self.takeovers
            .entry(charger.to_owned())
            .and_modify(|heard| {
                if heard.0 < epoch {
                    *heard = (epoch, now);
                }
            })
            .or_insert((epoch, now));
    }
}

/// Why a call through the hub did not reach the charger or was not made.
#[derive(Debug)]
pub enum Routed<E> {
    /// The request could not be made for the charger's version.
    NotBuilt(E),
    Failed(CallFailure),
}

impl Hub {
    /// Sends the request `build` makes for the charger's OCPP version to charger `id`, on this
    /// node or on the one holding it, and answers the charger's response.
    pub async fn call<E>(
        &self,
        id: &ChargerId,
        build: impl FnOnce(OcppVersion) -> Result<(&'static str, Value), E>,
    ) -> Result<Value, Routed<E>> {
        if let Some(handle) = self.registry().get(id) {
            let (action, payload) = build(handle.version()).map_err(Routed::NotBuilt)?;
            return handle.call_raw(action, payload).await.map_err(Routed::Failed);
        }
        let cluster = &self.inner.cluster;
        let whereabouts = self.inner.chargers.whereabouts(id, cluster.nodes()).await;
        let (node, version) = match whereabouts {
            Ok(Some(found)) => found,
            Ok(None) => return Err(Routed::Failed(CallFailure::Disconnected)),
            Err(e) => {
                tracing::warn!(charger = %id, error = %e, "where the charger is could not be read");
                return Err(Routed::Failed(CallFailure::ClusterUnavailable));
            }
        };
        // Held here by the database's account, but not connected here: it just left.
        if node == cluster.node() {
            return Err(Routed::Failed(CallFailure::Disconnected));
        }
        let version = match version.as_str() {
            "1.6" => OcppVersion::V16,
            "2.0.1" => OcppVersion::V201,
            _ => return Err(Routed::Failed(CallFailure::Disconnected)),
        };
        let (action, payload) = build(version).map_err(Routed::NotBuilt)?;
        let timeout = self.inner.settings.call_timeout();
        match cluster.call(&node, id, action, payload, timeout).await {
            Ok(answer) => answered(answer, timeout).map_err(Routed::Failed),
            Err(BusError::Unavailable) => Err(Routed::Failed(CallFailure::ClusterUnavailable)),
            Err(BusError::NodeGone(_)) => Err(Routed::Failed(CallFailure::Disconnected)),
        }
    }

    /// Takeovers other nodes announced.
    pub(crate) fn remote(&self) -> &Remote {
        &self.inner.remote
    }

    /// The hub as the cluster reaches it.
    pub fn holder(&self) -> std::sync::Arc<dyn Holder> {
        std::sync::Arc::new(HubHolder(self.clone()))
    }
}

/// Another node's answer as a local call's outcome.
fn answered(answer: Answer, timeout: Duration) -> Result<Value, CallFailure> {
    match answer {
        Answer::Answered { response } => Ok(response),
        Answer::CallError { code, description } => Err(CallFailure::CallError { code, description }),
        Answer::Timeout => Err(CallFailure::Timeout(timeout)),
        Answer::InvalidResponse { reason } => Err(CallFailure::InvalidResponse(reason)),
        Answer::Offline => Err(CallFailure::Disconnected),
        Answer::QueueFull => Err(CallFailure::QueueFull),
        Answer::Refused { reason } => Err(CallFailure::Refused(reason)),
    }
}

/// A local call's outcome as the answer to another node.
fn answer_of(result: Result<Value, CallFailure>) -> Answer {
    match result {
        Ok(response) => Answer::Answered { response },
        Err(CallFailure::CallError { code, description }) => Answer::CallError { code, description },
        Err(CallFailure::Timeout(_)) => Answer::Timeout,
        Err(CallFailure::InvalidResponse(reason)) => Answer::InvalidResponse { reason },
        Err(CallFailure::Disconnected) => Answer::Offline,
        Err(CallFailure::QueueFull) => Answer::QueueFull,
        Err(failure @ (CallFailure::WrongVersion(_) | CallFailure::ClusterUnavailable | CallFailure::Refused(_))) => {
            Answer::Refused { reason: failure.to_string() }
        }
    }
}

struct HubHolder(Hub);

impl Holder for HubHolder {
    fn call(&self, charger: String, action: String, payload: Value, timeout: Duration) -> BoxFuture<'static, Answer> {
        let hub = self.0.clone();
        Box::pin(async move {
            let Some(handle) = hub.registry().get(&charger) else { return Answer::Offline };
            let known = match handle.version() {
                OcppVersion::V16 => v16::Action::from_name(&action).map(|a| a.as_str()),
                OcppVersion::V201 => v201::Action::from_name(&action).map(|a| a.as_str()),
            };
            let Some(action) = known else {
                return Answer::Refused { reason: format!("{action} is not an OCPP {} action", handle.version()) };
            };
            // The caller's deadline, never beyond this node's own.
            match tokio::time::timeout(timeout.min(handle.timeout()), handle.call_raw(action, payload)).await {
                Ok(result) => answer_of(result),
                Err(_) => Answer::Timeout,
            }
        })
    }

    fn taken_over(&self, charger: &str, epoch: i64) {
        let hub = &self.0;
        hub.remote().heard(charger, epoch);
        if let Some(handle) = hub.registry().get(charger)
            && handle.presence().epoch < epoch
        {
            tracing::info!(charger, epoch, "a newer connection on another node takes the charger over");
            handle.replaced();
        }
    }

    fn registration_changed(&self, charger: &str, registration: crate::domain::chargers::records::Registration) {
        if let Some(handle) = self.0.registry().get(charger) {
            tokio::spawn(async move { handle.registration_changed(registration).await });
        }
    }

    fn held(&self) -> usize {
        self.0.registry().len()
    }

    fn shed(&self, count: usize) -> BoxFuture<'static, usize> {
        let hub = self.0.clone();
        Box::pin(async move {
            // A few more than needed are looked at: some of them charge.
            let candidates: Vec<(ChargerId, super::SessionHandle)> =
                hub.registry().handles().into_iter().take(count.saturating_mul(4)).collect();
            let ids: Vec<ChargerId> = candidates.iter().map(|(id, _)| id.clone()).collect();
            let busy = match hub.inner.chargers.busy(&ids).await {
                Ok(busy) => busy,
                Err(e) => {
                    tracing::warn!(error = %e, "which chargers charge could not be read: none is sent away");
                    return 0;
                }
            };
            let mut sent = 0;
            for (id, handle) in candidates {
                if sent == count {
                    break;
                }
                if !busy.contains(&id) && hub.live().of(&id).iter().all(|c| c.transaction_id.is_none()) {
                    handle.send_away();
                    sent += 1;
                }
            }
            sent
        })
    }

    fn reassert(&self) {
        let hub = self.0.clone();
        tokio::spawn(async move {
            for (charger, handle) in hub.registry().handles() {
                if let Err(e) = hub.inner.chargers.still_connected(&charger, handle.presence()).await {
                    tracing::warn!(%charger, error = %e, "writing the charger's presence again failed");
                }
            }
        });
    }
}
