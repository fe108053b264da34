//! Domain events for the people they concern: an order started, an order completed with its
//! bill, a payment succeeded, a refund made. Published inside csms; the API streams each user
//! their own as server-sent events.

use tokio::sync::broadcast;

/// Something that happened to a user's order or money.
#[derive(Debug, Clone, PartialEq)]
pub struct UserEvent {
    pub user_id: i64,
    /// `order.started`, `order.completed`, `order.failed`, `order.cancelled`, `payment.succeeded`,
    /// `refund.made`.
    pub name: &'static str,
    pub data: serde_json::Value,
}

/// The channel domain events go through. A subscriber that falls behind loses the oldest
/// (and is told so); nobody listening costs nothing.
#[derive(Debug, Clone)]
pub struct DomainEvents(broadcast::Sender<UserEvent>);

impl Default for DomainEvents {
    fn default() -> Self {
        DomainEvents(broadcast::channel(1024).0)
    }
}

impl DomainEvents {
    pub fn publish(&self, event: UserEvent) {
        // No subscriber is not a failure.
        let _ = self.0.send(event);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<UserEvent> {
        self.0.subscribe()
    }
}
