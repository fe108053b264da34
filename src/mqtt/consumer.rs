//! The consumer of the piles' messages: while this node holds the `mqtt.link` lease, one
//! connection as `mqtt.client_id` (a persistent session: the broker keeps the piles' messages
//! while no node consumes, and hands the session over when another node takes the lease), its
//! messages spread over the workers by pile, acknowledged by them once handled. It also hears the
//! commands every node publishes (a stop starts the wait for the pile's `finished`), and writes
//! the piles' last-seen times every `ocpp.liveness_flush_s`.

use super::LinkServices;
use super::connect;
use super::publisher::Publisher;
use super::wire::{self, Command, SUBSCRIPTIONS};
use super::worker::{Job, Piles};
use crate::config::MqttSettings;
use crate::domain::ids::ChargerId;
use crate::domain::nodes::Job as Lease;
use chrono::{DateTime, Utc};
use dashmap::DashMap;
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::{Filter, Packet, Publish};
use rumqttc::v5::{AsyncClient, Event};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Jobs a worker may have waiting before the consumer waits for it.
const WORKER_QUEUE: usize = 1024;
/// How often the lease, silent piles and unanswered stops are looked at.
const LOOK_EVERY: Duration = Duration::from_secs(1);
/// The commands every node publishes, heard by the consumer.
const COMMANDS: &str = "pile/+/command";

/// Consumes while this node holds the lease.
#[derive(Debug)]
pub(super) struct Consumer {
    settings: MqttSettings,
    services: LinkServices,
    publisher: Publisher,
    seen: Arc<DashMap<ChargerId, DateTime<Utc>>>,
}

impl Consumer {
    pub(super) fn new(settings: MqttSettings, services: LinkServices, publisher: Publisher) -> Self {
        Consumer { settings, services, publisher, seen: Arc::default() }
    }

    /// Consumes whenever this node holds the lease, until `stop`.
    pub(super) async fn run(self, stop: CancellationToken) {
        tokio::spawn(flush_seen(self.services.clone(), self.seen.clone(), stop.clone()));
        let nodes = self.services.cluster.nodes().clone();
        loop {
            if nodes.runs(Lease::MqttLink) {
                self.consume(&stop).await;
            }
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(LOOK_EVERY) => {}
            }
        }
    }

    /// One connection, until the lease is lost or `stop`.
    async fn consume(&self, stop: &CancellationToken) {
        let mut options = match connect::options(&self.settings, &self.settings.client_id) {
            Ok(options) => options,
            Err(e) => {
                tracing::error!(error = %e, "mqtt: the link cannot connect");
                return;
            }
        };
        options.set_clean_start(false);
        options.set_session_expiry_interval(Some(self.settings.session_expiry_s));
        options.set_manual_acks(true);
        options.set_receive_maximum(Some(self.settings.receive_maximum.max(1)));
        let (client, mut events) = AsyncClient::new(options, 1024);
        let workers: Vec<mpsc::Sender<Job>> = (0..self.settings.workers.max(1))
            .map(|_| {
                let (tx, rx) = mpsc::channel(WORKER_QUEUE);
                let piles = Piles {
                    services: self.services.clone(),
                    publisher: self.publisher.clone(),
                    piles: HashMap::new(),
                    seen: self.seen.clone(),
                };
                tokio::spawn(piles.run(rx, client.clone()));
                tx
            })
            .collect();
        tracing::info!(client_id = %self.settings.client_id, "mqtt: consuming the piles' messages");
        let nodes = self.services.cluster.nodes().clone();
        let mut look = tokio::time::interval(LOOK_EVERY);
        let mut failing = false;
        loop {
            tokio::select! {
                () = stop.cancelled() => break,
                _ = look.tick() => {
                    if !nodes.runs(Lease::MqttLink) {
                        tracing::info!("mqtt: the link's lease moved to another node");
                        break;
                    }
                    for worker in &workers {
                        let _ = worker.try_send(Job::Tick);
                    }
                }
                polled = events.poll() => match polled {
                    Ok(Event::Incoming(Packet::ConnAck(ack))) => {
                        failing = false;
                        tracing::info!(session_present = ack.session_present, "mqtt: connected to the broker");
                        let filters = SUBSCRIPTIONS.iter().chain([&COMMANDS]).map(|t| Filter::new(*t, QoS::AtLeastOnce));
                        if let Err(e) = client.subscribe_many(filters).await {
                            tracing::warn!(error = %e, "mqtt: subscribing failed");
                        }
                    }
                    Ok(Event::Incoming(Packet::Publish(publish))) => dispatch(&client, &workers, publish).await,
                    Ok(_) => {}
                    Err(e) => {
                        if !failing {
                            tracing::warn!(error = %e, "mqtt: the link's connection to the broker failed; retrying");
                        }
                        failing = true;
                        tokio::time::sleep(LOOK_EVERY).await;
                    }
                }
            }
        }
        // The broker keeps the session (and what was not acknowledged) for the next consumer.
        drop(workers);
        let _ = client.try_disconnect();
        let _ = tokio::time::timeout(Duration::from_secs(1), events.poll()).await;
    }
}

/// Hands a message to its pile's worker; what is no pile's message is acknowledged here.
async fn dispatch(client: &AsyncClient, workers: &[mpsc::Sender<Job>], publish: Publish) {
    let topic = String::from_utf8_lossy(&publish.topic).into_owned();
    if let Some(code) = topic.strip_prefix("pile/").and_then(|rest| rest.strip_suffix("/command")) {
        if let Ok(command) = serde_json::from_slice::<Command>(&publish.payload) {
            let job = Job::CommandSeen { code: code.to_owned(), command };
            let _ = workers[shard(code, workers.len())].send(job).await;
        }
        let _ = client.ack(&publish).await;
        return;
    }
    match wire::parse_topic(&topic) {
        Some((code, family)) => {
            let job = Job::Message { code: code.to_owned(), family, publish };
            if workers[shard(code, workers.len())].send(job).await.is_err() {
                tracing::warn!("mqtt: a worker ended; the message is left to the broker's redelivery");
            }
        }
        None => {
            crate::metrics::mqtt::message("unknown", "malformed");
            tracing::info!(topic, "mqtt: a message on a topic csms does not consume");
            let _ = client.ack(&publish).await;
        }
    }
}

/// The worker of pile `code`: always the same, so that a pile's messages keep their order.
fn shard(code: &str, workers: usize) -> usize {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    code.hash(&mut hasher);
    (hasher.finish() % workers.max(1) as u64) as usize
}

/// Writes the piles' last-seen times every `ocpp.liveness_flush_s` (those that moved), until
/// `stop` and once more then.
async fn flush_seen(services: LinkServices, seen: Arc<DashMap<ChargerId, DateTime<Utc>>>, stop: CancellationToken) {
    let mut written: HashMap<ChargerId, DateTime<Utc>> = HashMap::new();
    let mut tick = tokio::time::interval(services.liveness_flush);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let stopping = tokio::select! {
            _ = tick.tick() => false,
            () = stop.cancelled() => true,
        };
        let changed: Vec<(ChargerId, DateTime<Utc>)> = seen
            .iter()
            .map(|e| (e.key().clone(), *e.value()))
            .filter(|(id, at)| written.get(id).is_none_or(|before| before < at))
            .collect();
        if !changed.is_empty() {
            match services.chargers.seen(&changed).await {
                Ok(()) => written.extend(changed),
                Err(e) => {
                    tracing::warn!(error = %e, piles = changed.len(), "mqtt: writing piles' last-seen times failed")
                }
            }
        }
        written.retain(|id, _| seen.contains_key(id));
        if stopping {
            return;
        }
    }
}
