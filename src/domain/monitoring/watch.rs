//! The watcher: one task that hears what chargers report (readings, statuses, connections),
//! keeps each pile's live status (in memory, and in the cache for every node), judges the alarm
//! rules on it, and tells dashboards. Chargers never wait for it: what it is told is queued,
//! and dropped (said in the log) when it falls a whole queue behind.

use super::alarms::Alarms;
use super::live::{ConnectorStatus, PileLive, Readings};
use super::offline::Deadlines;
use super::rules::{self, AlarmKind, Current, Reported, Verdict};
use crate::config::MonitoringSettings;
use crate::domain::charging::live::draws_power;
use crate::domain::events::Feed;
use crate::domain::ids::ChargerId;
use crate::domain::monitoring::MonitoringStore;
use crate::domain::nodes::Nodes;
use crate::domain::stations::is_online;
use crate::kv::Kv;
use chrono::{DateTime, Utc};
use dashmap::DashMap;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// What the watcher hears.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Observed {
    Read {
        charger_id: ChargerId,
        readings: Readings,
    },
    Status {
        charger_id: ChargerId,
        status: ConnectorStatus,
    },
    /// The transaction on a connector ended.
    Ended {
        charger_id: ChargerId,
        evse_id: i32,
        connector_id: i32,
        at: DateTime<Utc>,
    },
    Connected {
        charger_id: ChargerId,
    },
    /// The charger's connection ended (not replaced by a newer one), last heard at `last_seen`.
    Disconnected {
        charger_id: ChargerId,
        last_seen: DateTime<Utc>,
    },
}

/// How often the active-alarm gauge is read from the database.
const COUNT_EVERY: Duration = Duration::from_secs(15);

/// What the watcher knows of a pile beyond its live status.
#[derive(Debug)]
pub(super) struct Pile {
    current: Current,
    active: BTreeSet<AlarmKind>,
}

pub(super) struct Watcher {
    pub(super) store: Arc<dyn MonitoringStore>,
    pub(super) kv: Kv,
    pub(super) feed: Feed,
    pub(super) alarms: Alarms,
    pub(super) settings: MonitoringSettings,
    pub(super) live: Arc<DashMap<ChargerId, PileLive>>,
    pub(super) piles: HashMap<ChargerId, Pile>,
    pub(super) deadlines: Deadlines,
    pub(super) nodes: Nodes,
}

/// The cache key of a pile's live status.
pub fn live_key(charger_id: &str) -> String {
    format!("pile:status:{charger_id}")
}

impl Watcher {
    pub(super) async fn run(mut self, mut heard: mpsc::Receiver<Observed>, stop: CancellationToken) {
        self.resume_deadlines().await;
        let mut count = tokio::time::interval(COUNT_EVERY);
        count.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let next = self.deadlines.next();
            tokio::select! {
                () = stop.cancelled() => return,
                observed = heard.recv() => match observed {
                    Some(observed) => self.on(observed).await,
                    None => return,
                },
                () = sleep_until(next), if next.is_some() => self.offline_due().await,
                _ = count.tick() => {
                    if let Err(e) = self.alarms.count_active().await {
                        tracing::warn!(error = %e, "counting active alarms failed");
                    }
                }
            }
        }
    }

    async fn on(&mut self, observed: Observed) {
        match observed {
            Observed::Read { charger_id, readings } => {
                let mut live = self.snapshot(&charger_id);
                live.online = true;
                readings.apply(&mut live);
                // The numbers are kept before they are judged: whoever sees the alarm they
                // raise or clear reads them too.
                self.feed.publish("charger.live", numbers(&live));
                self.keep(live).await;
                self.heard(&charger_id).await;
                let current = self.pile(&charger_id).await.current;
                let verdicts = rules::judge_all(&self.settings, &Reported::Readings { readings: &readings, current });
                self.apply(&charger_id, verdicts).await;
            }
            Observed::Status { charger_id, status } => {
                let mut live = self.snapshot(&charger_id);
                live.online = true;
                let (evse, connector) = (status.evse_id, status.connector_id);
                // Judged before the status replaces the connector's old one in `live`.
                let others_faulted = live.other_faulted(evse, connector);
                let verdicts = rules::judge_all(&self.settings, &Reported::Status { status: &status, others_faulted });
                let mut data = serde_json::to_value(&status).unwrap_or_default();
                data["chargerId"] = serde_json::json!(charger_id);
                let idle = (!draws_power(&status.status)).then_some(status.at);
                live.set_status(status);
                self.feed.publish("connector.status", data);
                if let Some(at) = idle
                    && live.idle(evse, connector, at)
                {
                    self.feed.publish("charger.live", numbers(&live));
                }
                self.keep(live).await;
                self.heard(&charger_id).await;
                self.apply(&charger_id, verdicts).await;
            }
            Observed::Ended { charger_id, evse_id, connector_id, at } => {
                let mut live = self.snapshot(&charger_id);
                if live.idle(evse_id, connector_id, at) {
                    self.feed.publish("charger.live", numbers(&live));
                    self.keep(live).await;
                }
            }
            Observed::Connected { charger_id } => {
                let mut live = self.snapshot(&charger_id);
                live.online = true;
                self.heard(&charger_id).await;
                self.feed.publish(
                    "charger.online",
                    serde_json::json!({"chargerId": charger_id, "online": true, "at": Utc::now()}),
                );
                self.keep(live).await;
            }
            Observed::Disconnected { charger_id, last_seen } => {
                let mut live = self.snapshot(&charger_id);
                live.online = false;
                self.offline_unless_heard(&charger_id, last_seen);
                self.feed.publish(
                    "charger.online",
                    serde_json::json!({"chargerId": charger_id, "online": false, "at": Utc::now()}),
                );
                self.keep(live).await;
            }
        }
    }

    /// The charger spoke: it is not going offline, and is not offline any more.
    async fn heard(&mut self, charger_id: &ChargerId) {
        self.deadlines.cancel(charger_id);
        let verdicts = rules::judge_all(&self.settings, &Reported::Heard);
        self.apply(charger_id, verdicts).await;
    }

    /// The deadlines of a process that stopped are lost: as it starts, every charger that has
    /// been heard from gets one, from when it last was (one read of the chargers, once). Those
    /// that connect again soon cancel theirs; those silent longer than `offline_after_s` are
    /// judged at once.
    async fn resume_deadlines(&mut self) {
        let seen = match self.store.chargers_last_seen().await {
            Ok(seen) => seen,
            Err(e) => {
                tracing::warn!(error = %e, "chargers silent before the start could not be read: none is judged offline");
                return;
            }
        };
        for (charger_id, last_seen) in seen {
            self.offline_unless_heard(&charger_id, last_seen);
        }
    }

    /// `charger_id`, last heard at `last_seen`, is offline `offline_after_s` after that unless
    /// heard from before.
    fn offline_unless_heard(&mut self, charger_id: &ChargerId, last_seen: DateTime<Utc>) {
        let quiet = (Utc::now() - last_seen).to_std().unwrap_or_default();
        let after = Duration::from_secs(self.settings.offline_after_s).saturating_sub(quiet);
        self.deadlines.set(charger_id, tokio::time::Instant::now() + after);
    }

    /// Chargers whose deadline passed: offline, unless a node holds their connection and heard
    /// from them lately (a connection left behind by a node that stopped does not count).
    async fn offline_due(&mut self) {
        let after = super::offline_after(&self.settings);
        for charger_id in self.deadlines.due(tokio::time::Instant::now()) {
            match self.store.charger(&charger_id).await {
                Ok(Some(c))
                    if is_online(
                        c.online_session.as_deref(),
                        self.nodes.alive(c.online_node.as_deref()),
                        c.last_seen_at,
                        Utc::now(),
                        after,
                    ) =>
                {
                    continue;
                }
                Ok(Some(c)) => {
                    let verdicts = rules::judge_all(&self.settings, &Reported::Silent { last_seen: c.last_seen_at });
                    self.apply(&charger_id, verdicts).await;
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(charger = %charger_id, error = %e, "the offline check could not read the charger")
                }
            }
        }
    }

    /// The rules' verdicts on the pile, each raised or cleared.
    async fn apply(&mut self, charger_id: &ChargerId, verdicts: Vec<(AlarmKind, Verdict)>) {
        for (kind, verdict) in verdicts {
            self.judge(charger_id, kind, verdict).await;
        }
    }

    /// Raises or clears `kind` once per change (the database decides between nodes).
    async fn judge(&mut self, charger_id: &ChargerId, kind: AlarmKind, verdict: Verdict) {
        let active = self.pile(charger_id).await.active.contains(&kind);
        let done = match verdict {
            Verdict::Raise { message, value } if !active => self.alarms.raise(charger_id, kind, message, value).await,
            Verdict::Clear if active => self.alarms.clear(charger_id, kind).await,
            _ => return,
        };
        match done {
            Ok(_) => {
                let pile = self.pile(charger_id).await;
                if active {
                    pile.active.remove(&kind);
                } else {
                    pile.active.insert(kind);
                }
            }
            Err(e) => {
                tracing::warn!(charger = %charger_id, kind = kind.as_str(), error = %e, "an alarm could not be changed")
            }
        }
    }

    /// What is known of the pile, read once: its kind, and its alarms active (raised here or by
    /// another node, or before a restart).
    async fn pile(&mut self, charger_id: &ChargerId) -> &mut Pile {
        if !self.piles.contains_key(charger_id) {
            let current = match self.store.charger(charger_id).await {
                Ok(Some(c)) if c.pile_type.as_deref() == Some("DC") => Current::Dc,
                _ => Current::Ac,
            };
            let active = match self.store.active_alarms_of(charger_id).await {
                Ok(rows) => rows.iter().filter_map(|a| AlarmKind::parse(&a.kind)).collect(),
                Err(e) => {
                    tracing::warn!(charger = %charger_id, error = %e, "the pile's active alarms could not be read");
                    BTreeSet::new()
                }
            };
            self.piles.insert(charger_id.to_owned(), Pile { current, active });
        }
        self.piles
            .entry(charger_id.to_owned())
            .or_insert_with(|| Pile { current: Current::Ac, active: BTreeSet::new() })
    }

    fn snapshot(&self, charger_id: &ChargerId) -> PileLive {
        self.live.get(charger_id).map_or_else(|| PileLive::new(charger_id.clone()), |l| l.clone())
    }

    /// Keeps the live status here and in the cache (any node answers from it).
    async fn keep(&self, live: PileLive) {
        let ttl = Duration::from_secs(self.settings.live_ttl_s.max(1));
        match serde_json::to_string(&live) {
            Ok(text) => {
                if let Err(e) = self.kv.set(&live_key(&live.charger_id), &text, ttl).await {
                    tracing::warn!(charger = %live.charger_id, error = %e, "caching the live status failed");
                }
            }
            Err(e) => tracing::warn!(error = %e, "the live status could not be written"),
        }
        self.live.insert(live.charger_id.clone(), live);
    }
}

/// A pile's numbers as the operators' feed tells them (`charger.live`).
fn numbers(live: &PileLive) -> serde_json::Value {
    serde_json::json!({"chargerId": live.charger_id, "voltage": live.voltage, "current": live.current,
        "power": live.power, "temperature": live.temperature, "soc": live.soc, "at": live.updated_at})
}

async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
