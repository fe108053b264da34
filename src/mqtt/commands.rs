//! Orders' commands to MQTT piles: a remote start becomes a `start` command with the session's
//! power and time limits, a remote stop a `stop`; each is written to the operation log like an
//! OCPP command. A pile that is not online is not sent anything: the order fails at once, as on
//! an OCPP pile that is not connected.

use super::publisher::{PublishError, Publisher};
use super::wire::Command;
use crate::domain::chargers::{Charger, Chargers, OperationRecord};
use crate::domain::nodes::Nodes;
use crate::domain::orders::{CommandError, RemoteStart, RemoteStop};
use chrono::Utc;
use tokio::time::Instant;

/// A pile's rated power when it has none recorded, in kW (a common AC pile's).
const DEFAULT_POWER_KW: f64 = 7.0;

/// Sends orders' commands to MQTT piles.
#[derive(Debug, Clone)]
pub struct MqttCommands {
    publisher: Publisher,
    chargers: Chargers,
    nodes: Nodes,
    node: String,
}

impl MqttCommands {
    pub fn new(publisher: Publisher, chargers: Chargers, nodes: Nodes, node: String) -> Self {
        MqttCommands { publisher, chargers, nodes, node }
    }

    /// Publishes the start of `start`'s order on `pile`: accepted once the broker has it (the
    /// order then waits for the pile's first `charging/status`). `maxPower` is the station's
    /// most power per session (no more than the pile's rated power), else the rated power;
    /// `maxTime` the session's most time, 0 for none.
    pub async fn start(&self, pile: &Charger, start: &RemoteStart) -> Result<bool, CommandError> {
        let watts = match (start.limits.max_power_w, pile.max_power_w) {
            (Some(limit), Some(rated)) => Some(limit.min(rated)),
            (limit, rated) => limit.or(rated),
        };
        let max_power = watts.map_or(DEFAULT_POWER_KW, |w| w as f64 / 1000.0);
        let command = Command::Start {
            pile_code: pile.id.to_string(),
            connector_id: start.connector_id,
            order_no: start.order_no.to_string(),
            max_power,
            max_time: start.limits.max_time_s.unwrap_or(0),
            timestamp: Utc::now(),
        };
        self.send(pile, &start.actor, command).await
    }

    /// Publishes the stop of `stop`'s order on `pile`: the order completes when the pile's
    /// `charging/finished` comes (or, without it, after `orders.stop_timeout_s`).
    pub async fn stop(&self, pile: &Charger, stop: &RemoteStop) -> Result<bool, CommandError> {
        let command = Command::Stop {
            pile_code: pile.id.to_string(),
            order_no: stop.order_no.to_string(),
            stop_reason: 1,
            timestamp: Utc::now(),
        };
        self.send(pile, &stop.actor, command).await
    }

    async fn send(&self, pile: &Charger, actor: &str, command: Command) -> Result<bool, CommandError> {
        if !self.chargers.online(pile, &self.nodes) {
            return Err(CommandError::Offline);
        }
        let started = Instant::now();
        let published = self.publisher.publish(pile.id.as_str(), &command).await;
        let (action, payload) = match serde_json::to_value(&command) {
            Ok(payload) => (if matches!(command, Command::Start { .. }) { "start" } else { "stop" }, payload),
            Err(_) => ("command", serde_json::Value::Null),
        };
        let record = OperationRecord {
            at: Utc::now(),
            actor: actor.to_owned(),
            charger_id: Some(pile.id.clone()),
            action: action.to_owned(),
            payload,
            outcome: if published.is_ok() { "Published" } else { "Failed" },
            response: None,
            error: published.as_ref().err().map(ToString::to_string),
            duration_ms: i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX),
            node: Some(self.node.clone()),
        };
        if let Err(e) = self.chargers.log_operation(record).await {
            tracing::error!(error = %e, charger = %pile.id, action, "writing the operation log failed");
        }
        match published {
            Ok(()) => Ok(true),
            // Nothing was sent: the order fails at once, as on a pile that is not connected.
            Err(PublishError::BrokerDown) => Err(CommandError::Offline),
            Err(e @ PublishError::Client(_)) => Err(CommandError::NoAnswer(e.to_string())),
        }
    }
}
