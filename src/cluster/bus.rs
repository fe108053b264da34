//! The Redis link between nodes: one channel per node (calls to the chargers it holds, and their
//! answers), one for all (takeovers, events), one for live readings that only nodes with a
//! dashboard open subscribe to. Messages are published in order by one task on one connection
//! and read in order by one subscriber, so events keep their order per order and per charger.
//! While Redis is unreachable nothing waits for it: publishing fails at once (`Unavailable`),
//! and both connections come back by themselves when it returns.

use super::wire::{Answer, Body, Envelope, Unreadable};
use dashmap::DashMap;
use fred::prelude::{Builder, ClientLike, Config, EventInterface, LuaInterface, PubsubInterface, ReconnectPolicy};
use fred::types::Message;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Messages queued for publishing before senders are refused.
const QUEUE: usize = 4096;
/// How long a command to Redis may take before it counts as unreachable.
const REDIS_TIMEOUT: Duration = Duration::from_secs(2);

/// Hands out connection epochs that grow across the cluster: never below the time in
/// microseconds, so epochs handed out without Redis (by one node) stay comparable.
const NEXT_EPOCH: &str = "local t = tonumber(ARGV[1]) local n = redis.call('INCR', KEYS[1]) \
    if n < t then redis.call('SET', KEYS[1], ARGV[1]) n = t end return n";

/// Why a message could not be sent to the other nodes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BusError {
    /// Redis is not configured, unreachable, or the queue to it is full.
    #[error("the other csms nodes cannot be reached")]
    Unavailable,
    /// No node listens on the addressee's channel: it is gone.
    #[error("node {0} is not listening")]
    NodeGone(String),
}

/// A message received from another node.
#[derive(Debug)]
pub(crate) enum Received {
    Envelope(Envelope),
    /// A message this node could not read (counted, and refused if it was a call).
    Unreadable(Unreadable),
}

struct Publish {
    channel: String,
    text: String,
    /// Told how many subscribers received it.
    receivers: Option<oneshot::Sender<Result<i64, BusError>>>,
}

/// The link.
#[derive(Clone)]
pub(crate) struct Bus {
    node: Arc<str>,
    prefix: Arc<str>,
    client: fred::clients::Client,
    subscriber: fred::clients::SubscriberClient,
    outgoing: mpsc::Sender<Publish>,
    /// Calls sent and waiting for their answer, by id.
    pending: Arc<DashMap<u64, oneshot::Sender<Answer>>>,
    next_call: Arc<AtomicU64>,
}

impl std::fmt::Debug for Bus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bus").field("node", &self.node).field("pending", &self.pending.len()).finish_non_exhaustive()
    }
}

impl Bus {
    /// Connects to Redis at `url` and subscribes to this node's channel and the common one;
    /// answers the link and the messages received.
    pub(crate) async fn connect(
        url: &str,
        prefix: &str,
        node: &str,
    ) -> Result<(Bus, mpsc::Receiver<Received>), fred::error::Error> {
        let config = Config::from_url(url)?;
        let policy = ReconnectPolicy::new_exponential(0, 100, 2_000, 2);
        let client = Builder::from_config(config.clone())
            .set_policy(policy.clone())
            .with_performance_config(|p| p.default_command_timeout = REDIS_TIMEOUT)
            .build()?;
        client.init().await?;
        // The reader hands messages on at once; a burst (a fleet failing over) must not lag it.
        let subscriber = Builder::from_config(config)
            .set_policy(policy)
            .with_performance_config(|p| p.broadcast_channel_capacity = QUEUE)
            .build_subscriber_client()?;
        subscriber.init().await?;
        // Subscriptions are made again after every reconnection.
        drop(subscriber.manage_subscriptions());
        let (outgoing, queue) = mpsc::channel(QUEUE);
        let bus = Bus {
            node: node.into(),
            prefix: prefix.into(),
            client,
            subscriber,
            outgoing,
            pending: Arc::default(),
            next_call: Arc::new(AtomicU64::new(1)),
        };
        let messages = bus.subscriber.message_rx();
        bus.subscriber.subscribe(vec![bus.node_channel(node), bus.all_channel()]).await?;
        tokio::spawn(publish(bus.client.clone(), queue));
        let (received, inbox) = mpsc::channel(QUEUE);
        tokio::spawn(read(messages, received));
        Ok((bus, inbox))
    }

    pub(crate) fn node_channel(&self, node: &str) -> String {
        format!("{}cluster:node:{node}", self.prefix)
    }

    pub(crate) fn all_channel(&self) -> String {
        format!("{}cluster:all", self.prefix)
    }

    pub(crate) fn live_channel(&self) -> String {
        format!("{}cluster:live", self.prefix)
    }

    /// Whether both connections to Redis are up.
    pub(crate) fn connected(&self) -> bool {
        self.client.is_connected() && self.subscriber.is_connected()
    }

    /// Redis's answer to `PING`.
    pub(crate) async fn ping(&self) -> Result<(), fred::error::Error> {
        self.client.ping::<String>(None).await.map(drop)
    }

    /// The next connection epoch; none while Redis is unreachable.
    pub(crate) async fn next_epoch(&self, now_micros: i64) -> Option<i64> {
        if !self.client.is_connected() {
            return None;
        }
        let key = format!("{}cluster:epoch", self.prefix);
        self.client.eval::<i64, _, _, _>(NEXT_EPOCH, vec![key], vec![now_micros]).await.ok()
    }

    /// Queues `body` for `channel`, in order after everything queued before.
    pub(crate) fn send(&self, channel: String, body: Body) -> Result<(), BusError> {
        self.queue(channel, body, None)
    }

    fn queue(
        &self,
        channel: String,
        body: Body,
        receivers: Option<oneshot::Sender<Result<i64, BusError>>>,
    ) -> Result<(), BusError> {
        if !self.client.is_connected() {
            return Err(BusError::Unavailable);
        }
        let envelope = Envelope::new(&self.node, body);
        crate::metrics::cluster::message(envelope.kind(), "sent");
        let text = envelope.encode();
        self.outgoing.try_send(Publish { channel, text, receivers }).map_err(|_| BusError::Unavailable)
    }

    /// Sends a call to `node` and waits up to `wait` for its answer.
    pub(crate) async fn call(
        &self,
        node: &str,
        charger: &str,
        action: &str,
        payload: serde_json::Value,
        timeout: Duration,
        wait: Duration,
    ) -> Result<Answer, BusError> {
        let id = self.next_call.fetch_add(1, Ordering::Relaxed);
        let (answered, answer) = oneshot::channel();
        self.pending.insert(id, answered);
        // Removed however this ends (an answer that comes later is dropped).
        let _pending = Pending { pending: &self.pending, id };
        let timeout_ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        let body = Body::Call { id, charger: charger.to_owned(), action: action.to_owned(), payload, timeout_ms };
        let (told, receivers) = oneshot::channel();
        self.queue(self.node_channel(node), body, Some(told))?;
        match receivers.await {
            Ok(Ok(0)) => return Err(BusError::NodeGone(node.to_owned())),
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(e),
            Err(_) => return Err(BusError::Unavailable),
        }
        match tokio::time::timeout(wait, answer).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(_)) => Err(BusError::Unavailable),
            Err(_) => Ok(Answer::Timeout),
        }
    }

    /// Hands an answer to the call waiting for it.
    pub(crate) fn answered(&self, id: u64, answer: Answer) {
        if let Some((_, waiting)) = self.pending.remove(&id) {
            let _ = waiting.send(answer);
        }
    }

    /// Subscribes to, or leaves, the live readings' channel.
    pub(crate) async fn hear_live(&self, hear: bool) -> Result<(), fred::error::Error> {
        if hear {
            self.subscriber.subscribe(self.live_channel()).await
        } else {
            self.subscriber.unsubscribe(self.live_channel()).await
        }
    }
}

/// A call's place among the pending ones, given up when dropped.
struct Pending<'a> {
    pending: &'a DashMap<u64, oneshot::Sender<Answer>>,
    id: u64,
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        self.pending.remove(&self.id);
    }
}

/// Publishes what is queued, in order, on one connection.
async fn publish(client: fred::clients::Client, mut queue: mpsc::Receiver<Publish>) {
    while let Some(Publish { channel, text, receivers }) = queue.recv().await {
        let published = client.publish::<i64, _, _>(channel, text).await;
        if let Err(e) = &published {
            tracing::warn!(error = %e, "a message to the other nodes could not be published");
        }
        if let Some(receivers) = receivers {
            let _ = receivers.send(published.map_err(|_| BusError::Unavailable));
        }
    }
}

/// Reads the subscriber's messages, in order.
async fn read(mut messages: tokio::sync::broadcast::Receiver<Message>, received: mpsc::Sender<Received>) {
    loop {
        let message = match messages.recv().await {
            Ok(message) => message,
            Err(tokio::sync::broadcast::error::RecvError::Lagged(lost)) => {
                tracing::error!(lost, "messages from the other nodes were lost: this node fell behind");
                continue;
            }
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        };
        let Some(text) = message.value.as_str() else {
            crate::metrics::cluster::message("unknown", "refused");
            continue;
        };
        let decoded = match Envelope::decode(&text) {
            Ok(envelope) => Received::Envelope(envelope),
            Err(unreadable) => Received::Unreadable(unreadable),
        };
        if received.send(decoded).await.is_err() {
            return;
        }
    }
}
