//! Charging, version-neutral: who may charge (id tags, `authorize`), transactions, and sampled
//! values with their units normalised (`sampling`); what is stored moves the connectors' live
//! state (`live`).

mod authorize;
pub mod events;
mod id_tags;
pub mod lifecycle;
pub mod live;
pub mod metering;
mod port;
pub mod recording;
pub mod records;
mod sampling;
pub mod transactions;
mod unheard;

pub use authorize::{AuthStatus, Authorization, CreditGate};
pub use id_tags::NewIdTagError;
pub use port::{AtStart, ChargingStore, Opened, ReadingPick, Recording};
pub use sampling::{MAX_MULTIPLIER, UnitError, normalise};
pub use transactions::{
    ACTIVE, Applied, COMPLETED, ENERGY_REGISTER, EventKind, EventRecord, STALE, Sample, StartRecord, Started,
    StopRecord, Stopped, TransactionStatus,
};

use crate::domain::ids::{ChargerId, IdTag};
use crate::domain::monitoring::Monitor;
use crate::domain::storage::StoreError;
use crate::domain::writes::{Write, WriteQueue};
use authorize::verdict;
use chrono::Utc;
use events::{ChargingEvent, EventSink};
use live::LiveState;
use records::TagStanding;
use std::sync::{Arc, OnceLock};

/// The charging service.
#[derive(Debug, Clone)]
pub struct Charging {
    store: Arc<dyn ChargingStore>,
    writes: Arc<dyn WriteQueue>,
    live: LiveState,
    events: EventSink,
    monitor: Monitor,
    /// The orders' word on a driver's money, set once the orders exist (they are built on
    /// charging); until then only the tags decide.
    credit: Arc<OnceLock<Arc<dyn CreditGate>>>,
}

impl Charging {
    pub fn new(store: impl ChargingStore + 'static, writes: impl WriteQueue + 'static) -> Self {
        let writes: Arc<dyn WriteQueue> = Arc::new(writes);
        let store: Arc<dyn ChargingStore> = Arc::new(store);
        Charging {
            store,
            writes,
            live: LiveState::default(),
            events: EventSink::default(),
            monitor: Monitor::default(),
            credit: Arc::default(),
        }
    }

    /// Lets `gate` refuse the tags of drivers whose money is used up (see `CreditGate`); the
    /// first gate set stays.
    pub fn set_credit_gate(&self, gate: Arc<dyn CreditGate>) {
        if self.credit.set(gate).is_err() {
            tracing::warn!("a second credit gate was ignored");
        }
    }

    /// The same, telling monitoring of stored samples.
    pub fn with_monitor(mut self, monitor: Monitor) -> Self {
        self.monitor = monitor;
        self
    }

    /// The same, publishing starts and ends of transactions to `events` once stored.
    pub fn with_events(mut self, events: EventSink) -> Self {
        self.events = events;
        self
    }

    /// The connectors' live state (newest readings, transaction in progress).
    pub fn live(&self) -> &LiveState {
        &self.live
    }

    /// The verdict on `tag`: unknown → Invalid; its own status; Expired past its expiry; a
    /// blocked or expired parent (group) tag makes it so too.
    pub async fn authorize(&self, tag: &IdTag) -> Result<Authorization, StoreError> {
        let standing = self.store.tag_standing(tag).await?;
        Ok(self.verdict_of(tag, standing).await)
    }

    /// The verdict on `tag` as `standing` reads it (see `authorize`).
    async fn verdict_of(&self, tag: &IdTag, standing: Option<TagStanding>) -> Authorization {
        let Some(standing) = standing else {
            return Authorization::invalid();
        };
        let (found, now) = (standing.card, Utc::now());
        let mut status = verdict(&found.status, found.expiry_date, now);
        if status == AuthStatus::Accepted
            && let Some(parent) = &standing.parent
        {
            status = verdict(&parent.status, parent.expiry_date, now);
        }
        if status == AuthStatus::Accepted
            && let (Some(gate), Some(driver)) = (self.credit.get(), &standing.driver)
            && !gate.has_credit(tag, driver).await
        {
            status = AuthStatus::NoCredit;
        }
        Authorization { status, expiry_date: found.expiry_date, parent_id_tag: found.parent_id_tag }
    }

    /// Records a 1.6 start (whatever the verdict: the charger has started, and decides itself
    /// whether to stop on a refused tag) and answers the tag's verdict: an accepted tag already
    /// in an open transaction elsewhere is ConcurrentTx. That is looked up in the same database
    /// transaction as the insert, so two starts of one tag at once cannot both be accepted.
    pub async fn start(&self, start: StartRecord) -> Result<(Started, Authorization), StoreError> {
        // The tag's standing is read in the start's own database transaction, which it locks.
        let mut work = self.store.begin_recording().await?;
        let standing = work.tag_standing(&start.id_tag).await?;
        let mut auth = self.verdict_of(&start.id_tag, standing).await;
        let exclusive = auth.status == AuthStatus::Accepted;
        let (charger_id, connector_id) = (start.charger_id.clone(), start.connector_id);
        let (id_tag, at) = (start.id_tag.clone(), start.started_at);
        let started = recording::start_in(work, start, exclusive).await?;
        if started.concurrent {
            auth.status = AuthStatus::ConcurrentTx;
        }
        if started.open {
            self.live.started(&charger_id, (0, connector_id), started.id);
            self.events.publish(ChargingEvent::Started {
                transaction_id: started.id,
                charger_id,
                evse_id: 0,
                connector_id,
                id_tag: Some(id_tag),
                remote_start_id: None,
                at,
            });
        }
        Ok((started, auth))
    }

    /// Records a 1.6 stop; a stop of an unknown transaction is recorded for the operator as an
    /// event with everything it said (its samples are stored unattached).
    pub async fn stop(&self, stop: StopRecord, samples: Vec<Sample>) -> Result<Stopped, StoreError> {
        let (charger_id, id, stopped_at) = (stop.charger_id.clone(), stop.id, stop.stopped_at);
        // The samples go to the store; their newest readings stay live (power, current and
        // voltage at 0 from the stop on).
        let latest = samples.clone();
        let outcome = recording::stop(&*self.store, stop, samples).await?;
        if let Stopped::Closed { at, .. } = outcome {
            self.monitor.sampled(&charger_id, &latest);
            self.monitor.ended(&charger_id, at, stopped_at);
            self.live.sampled(&charger_id, at, latest);
            self.live.ended(&charger_id, id);
            self.live.idle(&charger_id, at, stopped_at);
            self.events.publish(ChargingEvent::Ended { transaction_id: id, charger_id });
        }
        Ok(outcome)
    }

    /// Records a 2.0.1 transaction event and its samples, and answers the verdict on the token
    /// it carries (the charger may stop on a refused one): a `Started` with an accepted token
    /// already charging elsewhere is ConcurrentTx, looked up atomically as in `start`.
    pub async fn event(
        &self,
        event: EventRecord,
        samples: Vec<Sample>,
    ) -> Result<(Applied, Option<Authorization>), StoreError> {
        let mut auth = match &event.id_tag {
            Some(tag) => Some(self.authorize(tag).await?),
            None => None,
        };
        let exclusive =
            event.kind == EventKind::Started && auth.as_ref().is_some_and(|a| a.status == AuthStatus::Accepted);
        let (charger_id, event_at) = (event.charger_id.clone(), event.at);
        let latest = samples.clone();
        // Followers hear of a start when it comes, or when a token or a remote start id arrives.
        let announce = (event.kind == EventKind::Started || event.id_tag.is_some() || event.remote_start_id.is_some())
            .then(|| (event.id_tag.clone(), event.remote_start_id, event.at));
        let applied = recording::event(&*self.store, event, samples, exclusive).await?;
        if applied.concurrent
            && let Some(auth) = &mut auth
        {
            auth.status = AuthStatus::ConcurrentTx;
        }
        self.monitor.sampled(&charger_id, &latest);
        self.live.sampled(&charger_id, applied.at, latest);
        // A replayed Started or Updated of a transaction that has ended since leaves it ended.
        if applied.open {
            self.live.started(&charger_id, applied.at, applied.id);
            if let Some((id_tag, remote_start_id, at)) = announce {
                self.events.publish(ChargingEvent::Started {
                    transaction_id: applied.id,
                    charger_id,
                    evse_id: applied.at.0,
                    connector_id: applied.at.1,
                    id_tag,
                    remote_start_id,
                    at,
                });
            }
        } else {
            self.live.ended(&charger_id, applied.id);
            self.live.idle(&charger_id, applied.at, event_at);
            self.monitor.ended(&charger_id, applied.at, event_at);
            self.events.publish(ChargingEvent::Ended { transaction_id: applied.id, charger_id });
        }
        Ok((applied, auth))
    }

    /// Records sampled values; once stored, they move the connector's live state.
    pub async fn samples(
        &self,
        charger_id: &ChargerId,
        transaction_id: Option<i64>,
        evse_id: i32,
        connector_id: i32,
        samples: Vec<Sample>,
    ) -> Result<(), StoreError> {
        let owner = charger_id.to_owned();
        let write = Write::Samples { charger_id: owner, transaction_id, evse_id, connector_id, samples };
        let (write, outcome) = self.writes.write_back(write).await;
        outcome?;
        if let Some(Write::Samples { samples, .. }) = write {
            self.monitor.sampled(charger_id, &samples);
            self.live.sampled(charger_id, (evse_id, connector_id), samples);
        }
        Ok(())
    }
}
