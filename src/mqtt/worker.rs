//! A worker of the link: the piles hashed to it, their messages handled one at a time in the
//! order the broker delivered them, each acknowledged (PUBACK) once handled — a message whose
//! store failed is tried again before it is given up, and the broker's redelivery of one handled
//! already changes nothing (every fact has its natural key). Once a second, it looks for piles
//! gone silent and stops that went unanswered.

use super::LinkServices;
use super::publisher::Publisher;
use super::wire::{self, Command, Family, PileMessage};
use crate::domain::ids::{ChargerId, IdTag, OrderNo};
use crate::domain::orders::order::Order;
use chrono::{DateTime, Utc};
use dashmap::DashMap;
use rumqttc::v5::AsyncClient;
use rumqttc::v5::mqttbytes::v5::Publish;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// How long a pile's record is trusted before it is read again.
pub(super) const KNOWN_FOR: Duration = Duration::from_secs(30);
/// Tries of a message whose store failed, and the pauses between them.
const RETRIES: [Duration; 4] =
    [Duration::from_millis(200), Duration::from_secs(1), Duration::from_secs(5), Duration::from_secs(20)];
/// A status of an order not running on its pile is answered with a stop at most this often.
const STOP_AGAIN_AFTER: Duration = Duration::from_secs(30);

/// What a worker is given.
#[derive(Debug)]
pub(super) enum Job {
    /// A pile's message, to acknowledge once handled.
    Message { code: String, family: Family, publish: Publish },
    /// A command csms published (any node's): a stop starts the wait for `finished`.
    CommandSeen { code: String, command: Command },
    /// Look for silent piles and unanswered stops.
    Tick,
}

/// Why a message was not handled.
#[derive(Debug)]
pub(super) enum Handled {
    /// Refused; the metric's outcome.
    Refused(&'static str),
    /// The store failed: worth another try.
    Failed(String),
}

impl Handled {
    pub(super) fn failed(e: impl std::fmt::Display) -> Handled {
        Handled::Failed(e.to_string())
    }
}

/// A pile's session as the worker follows it.
#[derive(Debug, Clone)]
pub(super) struct Session {
    pub order_no: OrderNo,
    pub connector_id: i32,
    pub id_tag: IdTag,
    pub remote_start_id: Option<i32>,
    /// Its transaction, once a status opened it.
    pub transaction_id: Option<i64>,
    /// When a stop of it was seen published.
    pub stop_sent: Option<Instant>,
}

impl Session {
    pub(super) fn of(order: &Order) -> Session {
        Session {
            order_no: order.order_no.clone(),
            connector_id: order.connector_id,
            id_tag: order.id_tag.clone(),
            remote_start_id: order.remote_start_id,
            transaction_id: order.transaction_id,
            stop_sent: None,
        }
    }
}

/// What a worker remembers of a pile.
#[derive(Debug, Default)]
pub(super) struct PileState {
    /// Whether it is a registered MQTT pile, and when that was read.
    pub known: Option<(bool, Instant)>,
    /// Its presence token while online.
    pub presence: Option<String>,
    /// When it was last heard.
    pub heard: Option<Instant>,
    /// Its connectors' statuses as last stored.
    pub statuses: HashMap<i32, crate::domain::chargers::ReportedStatus>,
    pub session: Option<Session>,
    /// Orders answered with a stop, and when.
    pub stopped: HashMap<String, Instant>,
}

/// A worker's piles.
#[derive(Debug)]
pub(super) struct Piles {
    pub services: LinkServices,
    pub publisher: Publisher,
    pub piles: HashMap<ChargerId, PileState>,
    /// Piles' last-seen times, written every `ocpp.liveness_flush_s` (shared by the workers).
    pub seen: Arc<DashMap<ChargerId, DateTime<Utc>>>,
}

impl Piles {
    pub(super) fn state(&mut self, id: &ChargerId) -> &mut PileState {
        self.piles.entry(id.clone()).or_default()
    }

    /// Handles the worker's jobs until the channel closes, acknowledging messages on `client`.
    pub(super) async fn run(mut self, mut jobs: mpsc::Receiver<Job>, client: AsyncClient) {
        while let Some(job) = jobs.recv().await {
            match job {
                Job::Message { code, family, publish } => {
                    self.message(&code, family, &publish).await;
                    if let Err(e) = client.ack(&publish).await {
                        tracing::debug!(error = %e, "mqtt: an acknowledgement could not be sent (the connection ended)");
                    }
                }
                Job::CommandSeen { code, command } => self.command_seen(&code, command),
                Job::Tick => self.tick().await,
            }
        }
    }

    async fn message(&mut self, code: &str, family: Family, publish: &Publish) {
        let label = family.label();
        let outcome = match self.try_message(code, family, &publish.payload).await {
            Ok(outcome) => outcome,
            Err(why) => {
                tracing::info!(pile = code, family = label, error = %why, "mqtt: a pile's message was refused");
                why.0
            }
        };
        crate::metrics::mqtt::message(label, outcome);
    }

    /// The message handled, tried again while the store fails; answers the metric's outcome.
    async fn try_message(&mut self, code: &str, family: Family, payload: &[u8]) -> Result<&'static str, Refusal> {
        let Ok(id) = ChargerId::parse(code) else { return Err(Refusal("unknown_pile", "not a pile code".into())) };
        let message = wire::parse(code, family, payload).map_err(|e| Refusal(e.outcome(), e.to_string()))?;
        let mut pauses = RETRIES.iter();
        loop {
            let handled = match message.clone() {
                PileMessage::Heartbeat(beat) => self.heartbeat(&id, beat).await,
                PileMessage::Status(status) => {
                    let order_no = status.order_no.clone();
                    let handled = self.status(&id, status).await;
                    if matches!(handled, Err(Handled::Refused("not_running"))) {
                        self.answer_with_stop(&id, &order_no).await;
                    }
                    handled
                }
                PileMessage::Finished(end) => self.finished(&id, end).await,
            };
            match handled {
                Ok(outcome) => return Ok(outcome),
                Err(Handled::Refused(outcome)) => return Err(Refusal(outcome, "refused".into())),
                Err(Handled::Failed(e)) => match pauses.next() {
                    Some(pause) => {
                        tracing::warn!(pile = code, error = %e, "mqtt: a pile's message could not be stored; trying again");
                        tokio::time::sleep(*pause).await;
                    }
                    None => {
                        tracing::error!(pile = code, error = %e, "mqtt: a pile's message could not be stored; given up");
                        return Err(Refusal("failed", e.to_string()));
                    }
                },
            }
        }
    }

    /// Tells a pile charging for an order that is not running on it to stop.
    async fn answer_with_stop(&mut self, id: &ChargerId, order_no: &str) {
        let state = self.state(id);
        if state.stopped.get(order_no).is_some_and(|at| at.elapsed() < STOP_AGAIN_AFTER) {
            return;
        }
        state.stopped.retain(|_, at| at.elapsed() < STOP_AGAIN_AFTER);
        state.stopped.insert(order_no.to_owned(), Instant::now());
        let stop = Command::Stop {
            pile_code: id.to_string(),
            order_no: order_no.to_owned(),
            stop_reason: 1,
            timestamp: Utc::now(),
        };
        match self.publisher.publish(id.as_str(), &stop).await {
            Ok(()) => {
                tracing::info!(charger = %id, order = order_no, "mqtt: a pile charging for an order not running on it was told to stop")
            }
            Err(e) => {
                tracing::warn!(charger = %id, order = order_no, error = %e, "mqtt: a stop could not be published")
            }
        }
    }

    fn command_seen(&mut self, code: &str, command: Command) {
        let Command::Stop { order_no, .. } = command else { return };
        let Ok(id) = ChargerId::parse(code) else { return };
        if let Some(session) = &mut self.state(&id).session
            && session.order_no.as_str() == order_no
            && session.stop_sent.is_none()
        {
            session.stop_sent = Some(Instant::now());
        }
    }

    /// Piles silent past `chargers.offline_after_s` go offline; stops unanswered past
    /// `orders.stop_timeout_s` close their sessions from the last status.
    async fn tick(&mut self) {
        let (offline_after, stop_timeout) = (self.services.offline_after, self.services.stop_timeout);
        let mut silent = Vec::new();
        let mut unanswered = Vec::new();
        for (id, state) in &mut self.piles {
            if state.presence.is_some() && state.heard.is_some_and(|at| at.elapsed() > offline_after) {
                silent.push(id.clone());
            } else if let Some(session) = &state.session
                && session.stop_sent.is_some_and(|at| at.elapsed() > stop_timeout)
            {
                unanswered.push((id.clone(), session.order_no.clone()));
                state.session = None;
            }
        }
        for id in silent {
            let why = format!("no message for {} s", offline_after.as_secs());
            self.went_offline(&id, &why).await;
        }
        for (id, order_no) in unanswered {
            let why = format!("no charging/finished within {} s of the stop", stop_timeout.as_secs());
            self.close_unheard(&id, &order_no, &why).await;
        }
        // Forget piles with nothing worth remembering.
        self.piles.retain(|_, s| {
            s.presence.is_some() || s.session.is_some() || s.known.is_some_and(|(_, at)| at.elapsed() < KNOWN_FOR)
        });
    }
}

/// A refused message: the metric's outcome and why, for the log.
#[derive(Debug)]
struct Refusal(&'static str, String);

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.0, self.1)
    }
}
