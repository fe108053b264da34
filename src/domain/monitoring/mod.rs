//! Monitoring: each pile's live status, alarms raised and cleared by rules over what chargers
//! report, the operators' live feed, the alarm webhook, and trends over stored samples.
//!
//! Chargers' sessions tell the watcher through a `Monitor` handle without waiting; one watcher
//! task keeps the live status, judges the rules and tells dashboards (`watch`).

pub mod alarms;
pub mod live;
mod offline;
mod port;
pub mod records;
pub mod rules;
pub mod trend;
mod watch;
pub mod webhook;

pub use crate::domain::events::{Feed, OperatorEvent};
pub use alarms::{AlarmError, AlarmView, Alarms};
pub use live::PileLive;
pub use port::MonitoringStore;
pub use watch::live_key;

use crate::config::MonitoringSettings;
use crate::domain::chargers::records::StatusRecord;
use crate::domain::charging::transactions::Sample;
use crate::domain::ids::ChargerId;
use crate::domain::nodes::{Job, Nodes};
use crate::domain::stations::is_online;
use crate::domain::storage::StoreError;
use crate::kv::Kv;
use chrono::{DateTime, DurationRound, Utc};
use dashmap::DashMap;
use live::{ConnectorStatus, Readings};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use watch::{Observed, Watcher};

/// Observations queued for the watcher before new ones are dropped.
const QUEUE: usize = 65_536;

/// How chargers' sessions tell the watcher (nothing, until monitoring starts).
#[derive(Debug, Clone, Default)]
pub struct Monitor {
    queue: Option<mpsc::Sender<Observed>>,
    dropped: Arc<AtomicU64>,
}

impl Monitor {
    fn tell(&self, observed: Observed) {
        let Some(queue) = &self.queue else { return };
        if queue.try_send(observed).is_err() {
            // Said once per thousand: a flood of warnings would not help.
            if self.dropped.fetch_add(1, Ordering::Relaxed).is_multiple_of(1000) {
                tracing::warn!("the monitoring queue is full: observations are dropped");
            }
        }
    }

    /// Stored samples: the readings that matter to monitoring.
    pub fn sampled(&self, charger_id: &ChargerId, samples: &[Sample]) {
        if self.queue.is_none() {
            return;
        }
        let readings = Readings::read(samples);
        if !readings.is_empty() {
            self.tell(Observed::Read { charger_id: charger_id.to_owned(), readings });
        }
    }

    /// A stored connector status.
    pub fn status(&self, charger_id: &ChargerId, report: &StatusRecord) {
        let status = ConnectorStatus {
            evse_id: report.evse_id,
            connector_id: report.connector_id,
            status: report.status.as_str().to_owned(),
            error_code: report.error_code.clone().filter(|c| c != "NoError"),
            at: report.at,
        };
        self.tell(Observed::Status { charger_id: charger_id.to_owned(), status });
    }

    /// A stored end of the transaction on connector `place` (EVSE, connector), as of `at`.
    pub fn ended(&self, charger_id: &ChargerId, place: (i32, i32), at: DateTime<Utc>) {
        let (evse_id, connector_id) = place;
        self.tell(Observed::Ended { charger_id: charger_id.to_owned(), evse_id, connector_id, at });
    }

    pub fn connected(&self, charger_id: &ChargerId) {
        self.tell(Observed::Connected { charger_id: charger_id.to_owned() });
    }

    /// The charger's connection ended (not replaced by a newer one).
    pub fn disconnected(&self, charger_id: &ChargerId, last_seen: DateTime<Utc>) {
        self.tell(Observed::Disconnected { charger_id: charger_id.to_owned(), last_seen });
    }
}

/// The monitoring service, for the API.
#[derive(Debug, Clone)]
pub struct Monitoring {
    store: Arc<dyn MonitoringStore>,
    kv: Kv,
    feed: Feed,
    alarms: Alarms,
    live: Arc<DashMap<ChargerId, PileLive>>,
    nodes: Nodes,
    offline_after: chrono::Duration,
}

impl Monitoring {
    /// Starts the watcher (until `stop`) and answers the service and the sessions' handle;
    /// the samples of orders made in the last `evidence_days` are kept as their bills' evidence.
    pub fn start(
        store: impl MonitoringStore + 'static,
        kv: Kv,
        settings: MonitoringSettings,
        evidence_days: u32,
        client: reqwest::Client,
        nodes: Nodes,
        stop: CancellationToken,
    ) -> (Monitoring, Monitor) {
        let store: Arc<dyn MonitoringStore> = Arc::new(store);
        let feed = Feed::default();
        let webhook = webhook::Webhook::start(&settings.webhook_url, &settings.webhook_secret, client);
        let alarms = Alarms::new(store.clone(), feed.clone(), webhook);
        let live = Arc::new(DashMap::new());
        let kept = Kept { days: settings.retention_days, evidence_days };
        tokio::spawn(retain(store.clone(), kept, settings.retention_interval_s, nodes.clone(), stop.clone()));
        let offline_after = offline_after(&settings);
        let (queue, heard) = mpsc::channel(QUEUE);
        let watcher = Watcher {
            store: store.clone(),
            kv: kv.clone(),
            feed: feed.clone(),
            alarms: alarms.clone(),
            settings,
            live: live.clone(),
            piles: Default::default(),
            deadlines: Default::default(),
            nodes: nodes.clone(),
        };
        tokio::spawn(watcher.run(heard, stop));
        let monitor = Monitor { queue: Some(queue), dropped: Arc::default() };
        (Monitoring { store, kv, feed, alarms, live, nodes, offline_after }, monitor)
    }

    /// A pile's trend (see `trend::trend`).
    pub async fn trend(
        &self,
        charger_id: &ChargerId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        bucket: &str,
    ) -> Result<trend::Trend, trend::TrendError> {
        trend::trend(self.store.as_ref(), charger_id, from, to, bucket).await
    }

    /// Whether the cache answers (`None`: in process, nothing to reach).
    pub async fn cache_ready(&self) -> Option<Result<(), crate::kv::KvError>> {
        self.kv.ping().await
    }

    pub fn feed(&self) -> &Feed {
        &self.feed
    }

    pub fn alarms(&self) -> &Alarms {
        &self.alarms
    }

    /// A pile's live status: from the cache (whichever node holds the charger wrote it), else
    /// this node's, else what the database says (online or not); none for no such charger.
    pub async fn live(&self, charger_id: &ChargerId) -> Result<Option<PileLive>, StoreError> {
        match self.kv.get(&live_key(charger_id)).await {
            Ok(Some(text)) => {
                if let Ok(live) = serde_json::from_str::<PileLive>(&text) {
                    return Ok(Some(live));
                }
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(charger = %charger_id, error = %e, "the live status cache could not be read"),
        }
        if let Some(live) = self.live.get(charger_id) {
            return Ok(Some(live.clone()));
        }
        let Some(charger) = self.store.charger(charger_id).await? else { return Ok(None) };
        let mut live = PileLive::new(charger_id.clone());
        let alive = self.nodes.alive(charger.online_node.as_deref());
        live.online =
            is_online(charger.online_session.as_deref(), alive, charger.last_seen_at, Utc::now(), self.offline_after);
        live.updated_at = charger.last_seen_at;
        Ok(Some(live))
    }
}

/// The hour `days` before `now` begins at: raw samples before it are rolled up.
pub fn retention_cutoff(now: DateTime<Utc>, days: u32) -> DateTime<Utc> {
    let cutoff = now - chrono::Duration::days(i64::from(days));
    cutoff.duration_trunc(chrono::Duration::hours(1)).unwrap_or(cutoff)
}

/// How long samples are kept raw: `days` (`monitoring.retention_days`), and those of orders made
/// in the last `evidence_days` (`orders.evidence_days`) whatever their age.
#[derive(Debug, Clone, Copy)]
struct Kept {
    days: u32,
    evidence_days: u32,
}

/// The retention job: every `every_s`, raw samples older than `days` rolled up per hour and
/// deleted, but a bill's evidence kept (see `Store::roll_up_samples`); on the node holding its lease.
async fn retain(store: Arc<dyn MonitoringStore>, kept: Kept, every_s: u64, nodes: Nodes, stop: CancellationToken) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(every_s.max(60)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        // Once per cluster: two nodes rolling up the same hours would count them twice.
        if !nodes.runs(Job::Retention) {
            continue;
        }
        let now = Utc::now();
        let evidence_since = now - chrono::Duration::days(i64::from(kept.evidence_days));
        match store.roll_up_samples(retention_cutoff(now, kept.days), evidence_since).await {
            Ok(done) if done.deleted > 0 => {
                tracing::info!(
                    chargers = done.chargers,
                    rolled_up = done.rolled_up,
                    deleted = done.deleted,
                    "samples past retention rolled up"
                );
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "the retention job failed; it runs again later"),
        }
    }
}

/// How long a connected charger may be silent and still count as online.
pub(super) fn offline_after(settings: &MonitoringSettings) -> chrono::Duration {
    i64::try_from(settings.offline_after_s)
        .ok()
        .and_then(chrono::Duration::try_seconds)
        .unwrap_or(chrono::Duration::MAX)
}
