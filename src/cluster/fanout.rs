//! Events across nodes: what this node publishes goes to every other node (`Out`), and what
//! the others publish is delivered to the streams open here (`deliver`). Live readings
//! (`charger.live`, several a second per charging pile) are kept per charger and sent once a
//! second, latest only, on a channel that only nodes with a dashboard open subscribe to.

use super::bus::Bus;
use super::wire::Body;
use crate::domain::events::OPERATOR_EVENTS;
use crate::domain::events::{DomainEvents, Fanout, USER_EVENTS, UserEvent};
use crate::domain::monitoring::Feed;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How long live readings are gathered before they are sent.
const LIVE_EVERY: Duration = Duration::from_secs(1);
/// How often this node looks whether a dashboard is open here.
const WATCHED_EVERY: Duration = Duration::from_millis(500);

/// This node's events, sent to the others.
#[derive(Debug)]
pub(super) struct Out {
    bus: Bus,
    /// The latest live reading of each charger since the last send.
    live: Arc<Mutex<HashMap<String, Value>>>,
}

impl Out {
    /// Sends live readings gathered every second until `stop`.
    pub(super) fn new(bus: Bus, stop: CancellationToken) -> Self {
        let live: Arc<Mutex<HashMap<String, Value>>> = Arc::default();
        tokio::spawn(send_live(bus.clone(), live.clone(), stop));
        Out { bus, live }
    }
}

impl Fanout for Out {
    fn user(&self, event: &UserEvent) {
        let body = Body::UserEvent { user: event.user_id, name: event.name.to_owned(), data: event.data.clone() };
        if let Err(e) = self.bus.send(self.bus.all_channel(), body) {
            tracing::debug!(event = event.name, error = %e, "a user event stays on this node");
        }
    }

    fn operator(&self, name: &'static str, data: &Value) {
        if name == "charger.live"
            && let Some(charger) = data["chargerId"].as_str()
        {
            if let Ok(mut live) = self.live.lock() {
                live.insert(charger.to_owned(), data.clone());
            }
            return;
        }
        let body = Body::OperatorEvent { name: name.to_owned(), data: data.clone() };
        if let Err(e) = self.bus.send(self.bus.all_channel(), body) {
            tracing::debug!(event = name, error = %e, "an operator event stays on this node");
        }
    }
}

async fn send_live(bus: Bus, live: Arc<Mutex<HashMap<String, Value>>>, stop: CancellationToken) {
    let mut tick = tokio::time::interval(LIVE_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        let events: Vec<Value> = match live.lock() {
            Ok(mut live) => live.drain().map(|(_, data)| data).collect(),
            Err(_) => continue,
        };
        if !events.is_empty() {
            // Nobody listening anywhere costs Redis one message a second.
            let _ = bus.send(bus.live_channel(), Body::Live { events });
        }
    }
}

/// Subscribes to live readings while a dashboard is open on this node, until `stop`.
pub(super) async fn hear_live_while_watched(bus: Bus, feed: Feed, stop: CancellationToken) {
    let mut hearing = false;
    let mut tick = tokio::time::interval(WATCHED_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        let watched = feed.listeners() > 0;
        if watched != hearing {
            match bus.hear_live(watched).await {
                Ok(()) => hearing = watched,
                Err(e) => tracing::warn!(error = %e, "live readings' subscription could not change"),
            }
        }
    }
}

/// Delivers another node's event to the streams open here; false for a name this build does not know.
pub(super) fn deliver(body: Body, events: &DomainEvents, feed: &Feed) -> bool {
    match body {
        Body::UserEvent { user, name, data } => match USER_EVENTS.iter().find(|known| **known == name) {
            Some(name) => {
                events.deliver(UserEvent { user_id: user, name, data });
                true
            }
            None => false,
        },
        Body::OperatorEvent { name, data } => match OPERATOR_EVENTS.iter().find(|known| **known == name) {
            Some(name) => {
                feed.deliver(name, data);
                true
            }
            None => false,
        },
        Body::Live { events } => {
            for data in events {
                feed.deliver("charger.live", data);
            }
            true
        }
        _ => false,
    }
}
