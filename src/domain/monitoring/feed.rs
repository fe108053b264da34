//! What operators' dashboards are told as it happens (`GET /api/v1/events`): connector statuses,
//! chargers going on- and offline, live readings, alarms. One channel for all: operators are
//! few, and each of them wants every event.

use std::sync::Arc;
use tokio::sync::broadcast;

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
}

impl Default for Feed {
    fn default() -> Self {
        Feed { sender: broadcast::channel(HELD).0 }
    }
}

impl Feed {
    /// Tells every dashboard listening (nobody listening costs nothing more).
    pub fn publish(&self, name: &'static str, data: serde_json::Value) {
        if self.sender.receiver_count() > 0 {
            let _ = self.sender.send(Arc::new(OperatorEvent { name, data }));
        }
    }

    /// Every event from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<OperatorEvent>> {
        self.sender.subscribe()
    }
}
