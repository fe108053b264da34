//! What an event is, and where events go beyond this node: the names of user events, a user's
//! event, and the fan-out the cluster plugs in.

use std::sync::{Arc, OnceLock};

/// Every user event's name: an event from another node named otherwise is not delivered.
pub const USER_EVENTS: [&str; 10] = [
    "order.started",
    "order.completed",
    "order.review",
    "order.rebilled",
    "order.failed",
    "order.cancelled",
    "order.occupancy_billed",
    "payment.succeeded",
    "refund.made",
    "refund.failed",
];

/// Where events go beyond this node: the cluster carries them to every other node (a lone node
/// has none). Called on the publishing node only, once per event.
pub trait Fanout: Send + Sync + std::fmt::Debug {
    /// A user's event, for their streams on the other nodes.
    fn user(&self, event: &UserEvent);
    /// An operators' feed event, for the dashboards on the other nodes.
    fn operator(&self, name: &'static str, data: &serde_json::Value);
}

/// The fan-out, set once at startup and seen by every clone made before.
pub(crate) type FanoutSlot = Arc<OnceLock<Arc<dyn Fanout>>>;

/// Something that happened to a user's order or money.
#[derive(Debug, Clone, PartialEq)]
pub struct UserEvent {
    pub user_id: i64,
    /// `order.started`, `order.completed`, `order.review`, `order.rebilled`, `order.failed`, `order.cancelled`, `payment.succeeded`,
    /// `refund.made`, `refund.failed`.
    pub name: &'static str,
    pub data: serde_json::Value,
}
