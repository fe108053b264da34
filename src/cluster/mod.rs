//! Several csms nodes, one system. A node holds the sockets of the chargers connected to it and
//! nothing else that matters: presence (which node holds a charger, with the connection's epoch)
//! is in the database, with each node's lease; commands to a charger held elsewhere, takeovers and
//! events cross between nodes over Redis (`bus`); jobs that must run once are claimed through
//! leases in the database (`members`). Without `redis.url` a node is alone: its leases still
//! keep jobs single, and two nodes found on one database without Redis are reported, not hidden.

mod bus;
mod fanout;
mod members;
pub mod wire;

use crate::config::ClusterSettings;
use crate::domain::events::DomainEvents;
use crate::domain::monitoring::{Feed, Monitor};
use crate::domain::nodes::Nodes;
use crate::store::Store;
pub use bus::BusError;
use bus::{Bus, Received};
use futures_util::future::BoxFuture;
use serde_json::Value;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use wire::{Answer, Body};

/// How much longer than the charger's own deadline a caller waits for another node's answer.
const ANSWER_MARGIN: Duration = Duration::from_secs(1);

/// The chargers this node holds, as the cluster reaches them (the hub implements it).
pub trait Holder: Send + Sync {
    /// Sends `action` to `charger` if this node holds it, and answers as a local call would.
    fn call(&self, charger: String, action: String, payload: Value, timeout: Duration) -> BoxFuture<'static, Answer>;
    /// A connection of `charger` with epoch `epoch` was made on another node: an older one here closes.
    fn taken_over(&self, charger: &str, epoch: i64);
    /// The operator changed `charger`'s registration: a connection here applies it.
    fn registration_changed(&self, charger: &str, registration: crate::domain::chargers::records::Registration);
    /// Chargers connected here.
    fn held(&self) -> usize;
    /// Sends up to `count` idle chargers away (never one that charges), to spread them over
    /// the nodes; how many it sent.
    fn shed(&self, count: usize) -> BoxFuture<'static, usize>;
    /// Writes the presence of every charger held here again (after this node's lease lapsed,
    /// another node may have marked them offline).
    fn reassert(&self);
}

/// How the cluster looks from this node, for `/ready`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    /// No Redis and no other node: one node, as intended.
    Single,
    /// Every node alive reaches the others.
    Ok,
    /// Something will not work across nodes: why.
    Degraded(String),
}

impl Health {
    /// The word `/ready` shows.
    pub fn as_str(&self) -> &'static str {
        match self {
            Health::Single => "single",
            Health::Ok => "ok",
            Health::Degraded(_) => "degraded",
        }
    }
}

/// The parts of this node that messages from the others reach.
#[derive(Clone)]
pub struct Parts {
    pub holder: Arc<dyn Holder>,
    pub events: DomainEvents,
    pub feed: Feed,
    pub monitor: Monitor,
}

impl std::fmt::Debug for Parts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parts").finish_non_exhaustive()
    }
}

/// This node among the others.
#[derive(Clone)]
pub struct Cluster {
    inner: Arc<Inner>,
}

struct Inner {
    node: String,
    settings: ClusterSettings,
    store: Store,
    bus: Option<Bus>,
    inbox: Mutex<Option<mpsc::Receiver<Received>>>,
    nodes: Nodes,
    leases: Arc<members::Leases>,
    health: Mutex<Health>,
    /// The last epoch handed out here (the fallback while Redis is unreachable).
    last_epoch: AtomicI64,
    /// Set when this node stops taking chargers and jobs.
    draining: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster").field("node", &self.inner.node).field("bus", &self.inner.bus).finish_non_exhaustive()
    }
}

impl Cluster {
    /// This node, connected to the others through Redis at `redis_url` (keys and channels under
    /// `prefix`) when it is not empty.
    pub async fn connect(
        settings: &ClusterSettings,
        redis_url: &str,
        prefix: &str,
        store: Store,
    ) -> Result<Cluster, fred::error::Error> {
        let node = settings.node_name();
        let (bus, inbox) = if redis_url.is_empty() {
            (None, None)
        } else {
            let (bus, inbox) = Bus::connect(redis_url, prefix, &node).await?;
            (Some(bus), Some(inbox))
        };
        let leases = Arc::new(members::Leases::default());
        let clustered = bus.is_some();
        let nodes = Nodes::default().with_leases(leases.clone());
        tracing::info!(node = %node, clustered = bus.is_some(), "cluster node");
        Ok(Cluster {
            inner: Arc::new(Inner {
                node,
                settings: settings.clone(),
                store,
                bus,
                inbox: Mutex::new(inbox),
                nodes,
                leases,
                health: Mutex::new(if clustered { Health::Ok } else { Health::Single }),
                last_epoch: AtomicI64::new(0),
                draining: Default::default(),
            }),
        })
    }

    /// This node's name.
    pub fn node(&self) -> &str {
        &self.inner.node
    }

    /// Whether this node reaches the others (Redis is configured).
    pub fn clustered(&self) -> bool {
        self.inner.bus.is_some()
    }

    /// The domain's view of the nodes: which are alive, which jobs run here.
    pub fn nodes(&self) -> &Nodes {
        &self.inner.nodes
    }

    /// How the cluster looks from here.
    pub fn health(&self) -> Health {
        self.inner.health.lock().map(|h| h.clone()).unwrap_or(Health::Single)
    }

    /// Starts hearing the other nodes and keeping the leases, until `stop`: the first look at
    /// the leases is made before this returns, so that jobs start on the node that holds them.
    pub async fn serve(&self, parts: Parts, stop: CancellationToken) {
        if let Some(bus) = &self.inner.bus {
            parts.events.fan_out(Arc::new(fanout::Out::new(bus.clone(), stop.clone())));
            parts.feed.fan_out(Arc::new(fanout::Out::new(bus.clone(), stop.clone())));
            tokio::spawn(fanout::hear_live_while_watched(bus.clone(), parts.feed.clone(), stop.clone()));
            let inbox = self.inner.inbox.lock().ok().and_then(|mut inbox| inbox.take());
            if let Some(inbox) = inbox {
                tokio::spawn(self.clone().dispatch(inbox, parts.clone()));
            }
        }
        let mut keeper = members::Keeper::new(self.clone(), parts);
        keeper.round().await;
        tokio::spawn(keeper.keep(stop));
    }

    /// A connection epoch larger than every one handed out before, cluster-wide (from Redis; while
    /// it is unreachable, or without it, from this node's clock and counter).
    pub async fn next_epoch(&self) -> i64 {
        let now = chrono::Utc::now().timestamp_micros();
        let shared = match &self.inner.bus {
            Some(bus) => bus.next_epoch(now).await,
            None => None,
        };
        let floor = shared.unwrap_or(now);
        // Never below what this node handed out before.
        let previous = self.inner.last_epoch.fetch_max(floor, Ordering::Relaxed);
        if previous >= floor { self.inner.last_epoch.fetch_add(1, Ordering::Relaxed) + 1 } else { floor }
    }

    /// Tells every other node that `charger` connected here with `epoch` (an older connection closes).
    pub fn took_over(&self, charger: &str, epoch: i64) {
        if let Some(bus) = &self.inner.bus
            && let Err(e) = bus.send(bus.all_channel(), Body::Takeover { charger: charger.to_owned(), epoch })
        {
            tracing::warn!(charger, error = %e, "the other nodes could not be told of a takeover");
        }
    }

    /// Tells every other node that the operator changed `charger`'s registration.
    pub fn registration_changed(&self, charger: &str, registration: crate::domain::chargers::records::Registration) {
        if let Some(bus) = &self.inner.bus {
            let body =
                Body::Registration { charger: charger.to_owned(), registration: registration.as_str().to_owned() };
            if let Err(e) = bus.send(bus.all_channel(), body) {
                tracing::warn!(charger, error = %e, "the other nodes could not be told of a registration change");
            }
        }
    }

    /// Sends `action` to `charger` held by `node`, and answers within `timeout` (and a margin for
    /// the way there and back).
    pub async fn call(
        &self,
        node: &str,
        charger: &str,
        action: &str,
        payload: Value,
        timeout: Duration,
    ) -> Result<Answer, BusError> {
        let Some(bus) = &self.inner.bus else { return Err(BusError::Unavailable) };
        bus.call(node, charger, action, payload, timeout, timeout + ANSWER_MARGIN).await
    }

    /// Marks this node as stopping: it gives up its jobs and says so in its lease.
    pub async fn drain(&self) {
        self.inner.draining.store(true, Ordering::Relaxed);
        self.inner.leases.drop_all();
        if let Err(e) = self.inner.store.release_leases(&self.inner.node).await {
            tracing::warn!(error = %e, "giving up the job leases failed: they lapse by themselves");
        }
    }

    /// Whether this node is stopping.
    pub fn draining(&self) -> bool {
        self.inner.draining.load(Ordering::Relaxed)
    }

    /// Ends this node's lease (it stopped): its chargers stop counting as online at once.
    pub async fn leave(&self) {
        let now = chrono::Utc::now();
        if let Err(e) = self.inner.store.end_node(&self.inner.node, now, now - chrono::Duration::days(1)).await {
            tracing::warn!(error = %e, "ending this node's lease failed: it lapses by itself");
        }
    }

    /// Reads what the other nodes send, in order, until they stop coming.
    async fn dispatch(self, mut inbox: mpsc::Receiver<Received>, parts: Parts) {
        let Some(bus) = self.inner.bus.clone() else { return };
        while let Some(received) = inbox.recv().await {
            let envelope = match received {
                Received::Envelope(envelope) => envelope,
                Received::Unreadable(unreadable) => {
                    crate::metrics::cluster::message("unknown", "refused");
                    tracing::warn!(error = %unreadable, "a message from another node was refused");
                    if let Some((id, from)) = unreadable.call() {
                        let answer = Answer::Refused { reason: unreadable.to_string() };
                        let _ = bus.send(bus.node_channel(from), Body::Answer { id: *id, answer });
                    }
                    continue;
                }
            };
            // What this node sent to all comes back to it: it was delivered here already.
            if envelope.from == self.inner.node && !matches!(envelope.body, Body::Answer { .. } | Body::Call { .. }) {
                continue;
            }
            let kind = envelope.kind();
            crate::metrics::cluster::message(kind, "received");
            match envelope.body {
                Body::Call { id, charger, action, payload, timeout_ms } => {
                    let (holder, bus, from) = (parts.holder.clone(), bus.clone(), envelope.from);
                    tokio::spawn(async move {
                        let answer = holder.call(charger, action, payload, Duration::from_millis(timeout_ms)).await;
                        if let Err(e) = bus.send(bus.node_channel(&from), Body::Answer { id, answer }) {
                            tracing::warn!(node = %from, error = %e, "an answer could not be sent back");
                        }
                    });
                }
                Body::Answer { id, answer } => bus.answered(id, answer),
                Body::Takeover { charger, epoch } => parts.holder.taken_over(&charger, epoch),
                Body::Registration { charger, registration } => {
                    parts.holder.registration_changed(
                        &charger,
                        crate::domain::chargers::records::Registration::parse(&registration),
                    );
                }
                body @ (Body::UserEvent { .. } | Body::OperatorEvent { .. } | Body::Live { .. }) => {
                    if !fanout::deliver(body, &parts.events, &parts.feed) {
                        crate::metrics::cluster::message(kind, "refused");
                    }
                }
            }
        }
    }
}
