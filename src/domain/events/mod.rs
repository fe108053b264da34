//! Domain events for the people they concern: an order started, an order completed with its
//! bill, a payment succeeded, a refund made (or failed at its provider, its money on the
//! balance instead). Published inside csms; the API streams each user
//! their own as server-sent events.
//!
//! Each user listening has a channel of their own, so an event wakes only its user's streams:
//! one shared channel would wake every open stream for every event (10,000 drivers with the app
//! open, 600 events a second: six million wake-ups a second to throw nearly all away).

mod feed;
mod kinds;

pub use feed::{Feed, OPERATOR_EVENTS, OperatorEvent};
pub(crate) use kinds::FanoutSlot;
pub use kinds::{Fanout, USER_EVENTS, UserEvent};

use dashmap::DashMap;
use std::sync::Arc;
use tokio::sync::broadcast;

/// Events a user's channel holds for a stream that has not read them yet; beyond, the stream
/// loses the oldest and is told so.
const PER_USER: usize = 64;

/// Where domain events go: to the channel of the user they concern, if anyone listens (nobody
/// listening costs a map look-up).
#[derive(Debug, Clone, Default)]
pub struct DomainEvents {
    users: Arc<DashMap<i64, broadcast::Sender<Arc<UserEvent>>>>,
    /// Operators' dashboards hear orders start and complete too.
    feed: Option<Feed>,
    fanout: FanoutSlot,
}

impl DomainEvents {
    /// The same, telling operators' dashboards of orders starting and completing.
    pub fn with_feed(mut self, feed: Feed) -> Self {
        self.feed = Some(feed);
        self
    }

    /// Sends this node's and every other node's events beyond this node through `fanout`.
    pub fn fan_out(&self, fanout: Arc<dyn Fanout>) {
        let _ = self.fanout.set(fanout);
    }

    /// Tells the user's streams here and, through the fan-out, on every other node.
    pub fn publish(&self, event: UserEvent) {
        count(&event);
        if let Some(feed) = &self.feed
            && matches!(event.name, "order.started" | "order.completed")
        {
            feed.publish(event.name, event.data.clone());
        }
        if let Some(fanout) = self.fanout.get() {
            fanout.user(&event);
        }
        self.deliver(event);
    }

    /// Tells operators' dashboards (`connector.status` of a connector csms holds).
    pub fn tell_operators(&self, name: &'static str, data: serde_json::Value) {
        if let Some(feed) = &self.feed {
            feed.publish(name, data);
        }
    }

    /// Tells the user's streams on this node only (an event another node published).
    pub fn deliver(&self, event: UserEvent) {
        if let Some(channel) = self.users.get(&event.user_id) {
            // Every stream gone since the look-up is not a failure.
            let _ = channel.send(Arc::new(event));
        }
    }

    /// `user_id`'s events from now on, until the subscription is dropped.
    pub fn subscribe(&self, user_id: i64) -> Subscription {
        let receiver = self.users.entry(user_id).or_insert_with(|| broadcast::channel(PER_USER).0).subscribe();
        Subscription { receiver: Some(receiver), user_id, users: self.users.clone() }
    }

    /// Users with a channel (someone listening, or the last listener just leaving).
    #[cfg(test)]
    fn channels(&self) -> usize {
        self.users.len()
    }
}

/// One stream's share of a user's channel; the channel goes when its last subscription does.
#[derive(Debug)]
pub struct Subscription {
    receiver: Option<broadcast::Receiver<Arc<UserEvent>>>,
    user_id: i64,
    users: Arc<DashMap<i64, broadcast::Sender<Arc<UserEvent>>>>,
}

impl Subscription {
    /// The next event; `Lagged(n)` when `n` were lost to a slow reader.
    pub async fn recv(&mut self) -> Result<Arc<UserEvent>, broadcast::error::RecvError> {
        match self.receiver.as_mut() {
            Some(receiver) => receiver.recv().await,
            None => Err(broadcast::error::RecvError::Closed),
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        drop(self.receiver.take());
        // Under the map's lock: a subscriber arriving now either finds the channel (and is
        // counted, so it stays) or makes a new one after this removal.
        self.users.remove_if(&self.user_id, |_, channel| channel.receiver_count() == 0);
    }
}

/// Counts orders reaching a status and the energy of completed orders (`csms_orders_total`,
/// `csms_energy_delivered_wh_total`; payments count themselves, their method known).
fn count(event: &UserEvent) {
    use crate::metrics::{ENERGY_DELIVERED_WH, ORDER_STATUSES, ORDERS};
    if let Some(status) = event.name.strip_prefix("order.") {
        let Some(status) = ORDER_STATUSES.into_iter().find(|s| *s == status) else { return };
        metrics::counter!(ORDERS, "status" => status).increment(1);
        if status == "completed"
            && let Some(wh) = event.data["energyWh"].as_u64()
        {
            metrics::counter!(ENERGY_DELIVERED_WH).increment(wh);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(user_id: i64, name: &'static str) -> UserEvent {
        UserEvent { user_id, name, data: serde_json::json!({}) }
    }

    #[tokio::test]
    async fn each_user_hears_their_own_events_only() {
        let events = DomainEvents::default();
        let (mut one, mut two) = (events.subscribe(1), events.subscribe(2));
        events.publish(event(2, "order.started"));
        events.publish(event(1, "order.completed"));
        assert_eq!(one.recv().await.unwrap().name, "order.completed");
        assert_eq!(two.recv().await.unwrap().name, "order.started");
        assert!(one.receiver.as_mut().unwrap().try_recv().is_err());
    }

    #[tokio::test]
    async fn a_users_channel_goes_with_their_last_stream() {
        let events = DomainEvents::default();
        events.publish(event(7, "order.started"));
        assert_eq!(events.channels(), 0, "nobody listening keeps nothing");
        let (phone, tablet) = (events.subscribe(7), events.subscribe(7));
        assert_eq!(events.channels(), 1);
        drop(phone);
        assert_eq!(events.channels(), 1, "the tablet still listens");
        drop(tablet);
        assert_eq!(events.channels(), 0);
    }

    #[tokio::test]
    async fn a_slow_stream_is_told_how_many_it_lost() {
        let events = DomainEvents::default();
        let mut slow = events.subscribe(3);
        for _ in 0..PER_USER + 5 {
            events.publish(event(3, "payment.succeeded"));
        }
        assert!(matches!(slow.recv().await, Err(broadcast::error::RecvError::Lagged(5))));
    }
}
