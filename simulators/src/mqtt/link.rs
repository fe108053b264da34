//! A pile's MQTT connection: the one task that owns rumqttc's event loop (reconnecting a second
//! after an error, subscribing again on every ConnAck) and the handle everyone else publishes
//! through, which matches each QoS 1 publish to its PUBACK to tell the publisher how long the
//! broker took.

use super::MqttSimError;
use super::payload::ReceivedCommand;
use rumqttc::{AsyncClient, ClientError, Event, EventLoop, Outgoing, Packet, QoS, SubscribeReasonCode};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;

/// Where the connection stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LinkState {
    /// Connecting for the first time.
    Connecting,
    /// Connected and subscribed to its command topic.
    Ready,
    /// Lost; trying again every second.
    Reconnecting,
    /// The first connection failed (why): the link gave up.
    Failed(String),
    /// Closed (cleanly or not).
    Closed,
}

/// What a publisher waits on: the PUBACK's delay after the PUBLISH went out, or the loss.
type Waiter = oneshot::Sender<Result<Duration, MqttSimError>>;

/// Publishes handed to rumqttc, in order, until they go out on the wire (and get a packet id),
/// then until their PUBACK.
#[derive(Debug, Default)]
struct Tracker {
    queued: VecDeque<Option<Waiter>>,
    in_flight: HashMap<u16, (Instant, Option<Waiter>)>,
    /// Connected since the last error: an error now drops what rumqttc held (clean session).
    connected: bool,
}

impl Tracker {
    /// Every publish held is lost: their waiters hear so. Returns how many.
    fn lose_all(&mut self) -> u64 {
        let mut lost = 0;
        for waiter in self.queued.drain(..).chain(self.in_flight.drain().map(|(_, (_, w))| w)) {
            lost += 1;
            if let Some(waiter) = waiter {
                let _ = waiter.send(Err(MqttSimError::Lost));
            }
        }
        lost
    }
}

/// What a pile counted on its connection.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    /// PUBLISH packets written to the broker.
    pub(crate) published: AtomicU64,
    /// PUBACKs received.
    pub(crate) acked: AtomicU64,
    /// Publishes dropped with a lost connection (or never handed over: queue full).
    pub(crate) lost: AtomicU64,
    /// Messages received on the command topic.
    pub(crate) commands: AtomicU64,
    /// Times the connection was established again after a loss.
    pub(crate) reconnects: AtomicU64,
}

/// The handle: publishes and the shared state of the link.
#[derive(Debug, Clone)]
pub(crate) struct Link {
    client: AsyncClient,
    tracker: Arc<Mutex<Tracker>>,
    pub(crate) counters: Arc<Counters>,
    closing: Arc<AtomicBool>,
    state: watch::Receiver<LinkState>,
}

fn lock(tracker: &Mutex<Tracker>) -> MutexGuard<'_, Tracker> {
    // A panic elsewhere while holding it leaves the maps usable.
    tracker.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Link {
    /// Hands a QoS 1 publish to rumqttc; with `wait`, the receiver hears of its PUBACK.
    pub(crate) fn send(
        &self,
        topic: &str,
        payload: Vec<u8>,
        wait: bool,
    ) -> Result<Option<oneshot::Receiver<Result<Duration, MqttSimError>>>, MqttSimError> {
        let (waiter, heard) = if wait {
            let (tx, rx) = oneshot::channel();
            (Some(tx), Some(rx))
        } else {
            (None, None)
        };
        // Under the lock: the order of `queued` is the order of rumqttc's request channel.
        let mut tracker = lock(&self.tracker);
        match self.client.try_publish(topic, QoS::AtLeastOnce, false, payload) {
            Ok(()) => {
                tracker.queued.push_back(waiter);
                Ok(heard)
            }
            Err(ClientError::TryRequest(_) | ClientError::Request(_)) => {
                self.counters.lost.fetch_add(1, Ordering::Relaxed);
                // The task that owned the event loop is gone (its state's sender with it).
                if self.state.has_changed().is_err() { Err(MqttSimError::Closed) } else { Err(MqttSimError::QueueFull) }
            }
        }
    }

    /// Publishes at QoS 1 and waits for the PUBACK (at most `within`): how long it took.
    pub(crate) async fn publish(
        &self,
        topic: &str,
        payload: Vec<u8>,
        within: Duration,
    ) -> Result<Duration, MqttSimError> {
        let Some(heard) = self.send(topic, payload, true)? else { return Err(MqttSimError::Lost) };
        match tokio::time::timeout(within, heard).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(_)) => Err(MqttSimError::Lost),
            Err(_) => Err(MqttSimError::AckTimeout(within)),
        }
    }

    /// Whether connected and subscribed now.
    pub(crate) fn ready(&self) -> bool {
        *self.state.borrow() == LinkState::Ready
    }

    /// Where the connection stands, to watch its changes.
    pub(crate) fn states(&self) -> watch::Receiver<LinkState> {
        self.state.clone()
    }

    /// Waits until the first connection is ready or has failed.
    pub(crate) async fn first_connection(&mut self, within: Duration) -> Result<(), MqttSimError> {
        let outcome = tokio::time::timeout(within, self.state.wait_for(|s| *s != LinkState::Connecting)).await;
        match outcome {
            Err(_) => Err(MqttSimError::ConnectTimeout(within)),
            Ok(Err(_)) => Err(MqttSimError::Closed),
            Ok(Ok(state)) => match &*state {
                LinkState::Failed(why) => Err(MqttSimError::Connect(why.clone())),
                LinkState::Closed => Err(MqttSimError::Closed),
                _ => Ok(()),
            },
        }
    }

    /// Sends DISCONNECT: the event loop ends once it is written.
    pub(crate) async fn disconnect(&self) -> Result<(), MqttSimError> {
        self.closing.store(true, Ordering::Relaxed);
        self.client.disconnect().await.map_err(|_| MqttSimError::Closed)
    }

    /// The event loop is gone (aborted): whoever waits for a PUBACK hears it is lost.
    pub(crate) fn abandon(&self) {
        let lost = lock(&self.tracker).lose_all();
        self.counters.lost.fetch_add(lost, Ordering::Relaxed);
    }
}

/// Starts the task that owns `eventloop`: commands received go to `commands`.
pub(crate) fn spawn(
    client: AsyncClient,
    eventloop: EventLoop,
    command_topic: String,
    commands: mpsc::UnboundedSender<ReceivedCommand>,
) -> (Link, tokio::task::JoinHandle<()>) {
    let (state_tx, state_rx) = watch::channel(LinkState::Connecting);
    let link =
        Link { client, tracker: Arc::default(), counters: Arc::default(), closing: Arc::default(), state: state_rx };
    let task = tokio::spawn(drive(link.clone(), eventloop, command_topic, commands, state_tx));
    (link, task)
}

/// Polls the event loop until the link closes.
async fn drive(
    link: Link,
    mut eventloop: EventLoop,
    command_topic: String,
    commands: mpsc::UnboundedSender<ReceivedCommand>,
    state: watch::Sender<LinkState>,
) {
    let mut ever_ready = false;
    loop {
        match eventloop.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                lock(&link.tracker).connected = true;
                if ever_ready {
                    link.counters.reconnects.fetch_add(1, Ordering::Relaxed);
                }
                // Clean session: the subscription is made again on every connection.
                if link.client.try_subscribe(command_topic.as_str(), QoS::AtLeastOnce).is_err() {
                    state.send_replace(LinkState::Failed("could not queue the subscription".into()));
                    break;
                }
            }
            Ok(Event::Incoming(Packet::SubAck(ack))) => {
                if ack.return_codes.iter().any(|code| matches!(code, SubscribeReasonCode::Failure)) {
                    state.send_replace(LinkState::Failed(format!(
                        "the broker refused the subscription to {command_topic}"
                    )));
                    break;
                }
                ever_ready = true;
                state.send_replace(LinkState::Ready);
            }
            Ok(Event::Incoming(Packet::Publish(publish))) => {
                if publish.topic == command_topic {
                    link.counters.commands.fetch_add(1, Ordering::Relaxed);
                    let _ = commands.send(ReceivedCommand::parse(&publish.topic, &publish.payload));
                }
            }
            Ok(Event::Incoming(Packet::PubAck(ack))) => {
                let mut tracker = lock(&link.tracker);
                if let Some((sent, waiter)) = tracker.in_flight.remove(&ack.pkid) {
                    link.counters.acked.fetch_add(1, Ordering::Relaxed);
                    if let Some(waiter) = waiter {
                        let _ = waiter.send(Ok(sent.elapsed()));
                    }
                }
            }
            Ok(Event::Outgoing(Outgoing::Publish(pkid))) => {
                let mut tracker = lock(&link.tracker);
                // A packet id already in flight is a retransmission, not the next publish.
                if !tracker.in_flight.contains_key(&pkid) {
                    let waiter = tracker.queued.pop_front().flatten();
                    tracker.in_flight.insert(pkid, (Instant::now(), waiter));
                    link.counters.published.fetch_add(1, Ordering::Relaxed);
                }
            }
            Ok(Event::Outgoing(Outgoing::Disconnect)) => break,
            Ok(_) => {}
            Err(error) => {
                {
                    let mut tracker = lock(&link.tracker);
                    // Connected until now: rumqttc took everything queued out of its channel,
                    // and the clean session drops it at the next ConnAck. (A connection that
                    // never came up leaves the channel as it was.)
                    if std::mem::take(&mut tracker.connected) {
                        let lost = tracker.lose_all();
                        link.counters.lost.fetch_add(lost, Ordering::Relaxed);
                    }
                }
                if link.closing.load(Ordering::Relaxed) {
                    break;
                }
                if !ever_ready {
                    state.send_replace(LinkState::Failed(error.to_string()));
                    return;
                }
                state.send_replace(LinkState::Reconnecting);
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
    let lost = lock(&link.tracker).lose_all();
    link.counters.lost.fetch_add(lost, Ordering::Relaxed);
    state.send_if_modified(|s| {
        if matches!(s, LinkState::Failed(_)) {
            false
        } else {
            *s = LinkState::Closed;
            true
        }
    });
}
