//! What operators' dashboards are told as it happens (`GET /api/v1/events`): connector statuses,
//! chargers going on- and offline, live readings, alarms. One channel for all: operators are
//! few, and each of them wants every event.

use super::kinds::FanoutSlot;
use std::sync::Arc;
use tokio::sync::broadcast;

/// Every operator event's name: an event from another node named otherwise is not delivered.
pub const OPERATOR_EVENTS: [&str; 8] = [
    "connector.status",
    "charger.online",
    "charger.live",
    "alarm.raised",
    "alarm.acknowledged",
    "alarm.cleared",
    "order.started",
    "order.completed",
];

/// Events held for a slow dashboard before it loses the oldest (and is told so).
const HELD: usize = 4096;

/// One event: its name (`connector.status`, `charger.online`, `charger.live`, `alarm.raised`,
/// `alarm.acknowledged`, `alarm.cleared`, `order.started`, `order.completed`) and JSON data.
#[derive(Debug, Clone, PartialEq)]
pub struct OperatorEvent {
    pub name: &'static str,
    pub data: serde_json::Value,
}

/// The operators' feed.
#[derive(Debug, Clone)]
pub struct Feed {
    sender: broadcast::Sender<Arc<OperatorEvent>>,
    fanout: FanoutSlot,
}

impl Default for Feed {
    fn default() -> Self {
        Feed { sender: broadcast::channel(HELD).0, fanout: FanoutSlot::default() }
    }
}

impl Feed {
    /// Sends every event beyond this node through `fanout` too.
    pub fn fan_out(&self, fanout: Arc<dyn super::kinds::Fanout>) {
        let _ = self.fanout.set(fanout);
    }

    /// Tells every dashboard listening, on this node and on the others (nobody listening here
    /// costs nothing more).
    pub fn publish(&self, name: &'static str, data: serde_json::Value) {
        if let Some(fanout) = self.fanout.get() {
            fanout.operator(name, &data);
        }
        self.deliver(name, data);
    }

    /// Tells the dashboards listening on this node only (an event another node published).
    pub fn deliver(&self, name: &'static str, data: serde_json::Value) {
        if self.sender.receiver_count() > 0 {
            let _ = self.sender.send(Arc::new(OperatorEvent { name, data }));
        }
    }

    /// Dashboards listening on this node.
    pub fn listeners(&self) -> usize {
        self.sender.receiver_count()
    }

    /// Every event from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<OperatorEvent>> {
        self.sender.subscribe()
    }
}
