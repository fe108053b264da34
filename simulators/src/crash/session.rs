//! One driver's session through the crash: the order started (`start`), the charger metering
//! at its pile's rated power on its own clock; when csms dies the charger goes offline and keeps
//! its MeterValues (a message sent when the connection broke is kept too: its outcome is
//! unknown), stops the session when told (some just before the kill, online), retries
//! connecting every `retry` and replays its queue in order once csms is back — again after a
//! second kill — then reports its connector Available.

use super::messages::{Reading, event_201, meter_value_16, meter_values_16, status_201};
use super::setup::Rig;
use crate::SimError;
use crate::drivers::setup::SignedUp;
use crate::http::Pool;
use crate::messages::status_notification;
use chrono::{DateTime, DurationRound, Utc};
use protocol::{OcppVersion, v16, v201};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::{Instant, sleep_until};

/// What the run tells the chargers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stage {
    /// Charge and meter.
    Charge,
    /// The chargers chosen to (`Rig::early`) stop their sessions now, online: csms is killed
    /// while it takes their stops and completes their orders.
    StopEarly,
    /// The others stop their sessions (csms is down: the stop is queued).
    Stop,
}

/// Where each session is, for the run to wait on (one per driver).
pub(super) const SETTING_UP: u8 = 0;
pub(super) const CHARGING: u8 = 1;
pub(super) const STOPPED: u8 = 2;
pub(super) const DONE: u8 = 3;
pub(super) const FAILED: u8 = 4;

/// What the sessions share with the run.
pub(super) struct Shared {
    pub(super) api: Pool,
    pub(super) meter_interval: Duration,
    /// How long before its StartTransaction was sent a session says it began.
    pub(super) began_ago: Duration,
    pub(super) retry: Duration,
    /// Each session's state (`SETTING_UP` … `FAILED`), by driver index in the run.
    pub(super) states: Vec<AtomicU8>,
    /// Frames queued when the sessions stopped.
    pub(super) queued: AtomicUsize,
    /// Stops sent online (`Stage::StopEarly`) and answered.
    pub(super) early_stops: AtomicUsize,
}

impl Shared {
    /// How many sessions are in a state `wanted` accepts.
    pub(super) fn count(&self, wanted: impl Fn(u8) -> bool) -> usize {
        self.states.iter().filter(|s| wanted(s.load(Ordering::Relaxed))).count()
    }
}

/// What became of a session, for the check.
#[derive(Debug)]
pub(super) struct Outcome {
    pub(super) version: OcppVersion,
    pub(super) user: SignedUp,
    pub(super) pile: String,
    pub(super) prepaid: bool,
    pub(super) order_no: Option<String>,
    pub(super) meter_start: i64,
    /// Known once the charger stopped.
    pub(super) meter_stop: Option<i64>,
    /// Messages whose connection broke before their answer: kept and replayed.
    pub(super) resent: usize,
    /// Replays cut off by a kill.
    pub(super) interrupted: usize,
    pub(super) error: Option<String>,
}

/// Why a session went wrong.
#[derive(Debug, thiserror::Error)]
pub(super) enum SessionError {
    #[error("{0}: HTTP {1} {2}")]
    Refused(&'static str, u16, String),
    #[error("{0}: {1}")]
    Io(&'static str, std::io::Error),
    #[error("charger: {0}")]
    Charger(#[from] SimError),
    #[error("{0}")]
    Order(String),
}

pub(super) struct Session {
    pub(super) rig: Rig,
    pub(super) shared: Arc<Shared>,
    /// The charger's clock: whole milliseconds, each message later than the one before.
    pub(super) clock: DateTime<Utc>,
    pub(super) started_at: DateTime<Utc>,
    /// 1.6: the CSMS's transaction id; 2.0.1: the charger's, and the next event's number.
    pub(super) transaction: i32,
    pub(super) transaction_201: String,
    pub(super) seq_no: i32,
    pub(super) outcome: Outcome,
}

/// Runs driver `rig`'s session through the crash until its queue is delivered (or it fails).
pub(super) async fn drive(rig: Rig, shared: Arc<Shared>, stage: watch::Receiver<Stage>) -> Outcome {
    let outcome = Outcome {
        version: rig.version,
        user: rig.user.clone(),
        pile: rig.pile.clone(),
        prepaid: rig.prepaid,
        order_no: None,
        meter_start: rig.register_wh,
        meter_stop: None,
        resent: 0,
        interrupted: 0,
        error: None,
    };
    let n = rig.n;
    let transaction_201 = format!("{}-1", rig.pile);
    let (clock, started_at) = (Utc::now(), Utc::now());
    let mut s = Session { rig, shared, clock, started_at, transaction: 0, transaction_201, seq_no: 0, outcome };
    let ran = match s.start().await {
        Ok(()) => s.charge_and_replay(stage).await,
        Err(e) => Err(e),
    };
    let state = match ran {
        Ok(()) => DONE,
        Err(e) => {
            s.outcome.error = Some(e.to_string());
            FAILED
        }
    };
    if let Some(slot) = s.shared.states.get(n) {
        slot.store(state, Ordering::Relaxed);
    }
    s.outcome
}

impl Session {
    pub(super) fn set(&self, state: u8) {
        if let Some(slot) = self.shared.states.get(self.rig.n) {
            slot.store(state, Ordering::Relaxed);
        }
    }

    pub(super) fn tick(&mut self) -> DateTime<Utc> {
        let now = Utc::now().duration_trunc(chrono::Duration::milliseconds(1)).unwrap_or_else(|_| Utc::now());
        self.clock = now.max(self.clock + chrono::Duration::milliseconds(1));
        self.clock
    }

    /// The register at `at`: the pile's rated power since the start, rounded down.
    fn register_at(&self, at: DateTime<Utc>) -> i64 {
        let ms = (at - self.started_at).num_milliseconds().max(0);
        self.rig.register_wh + ms.saturating_mul(self.rig.power_w) / 3_600_000
    }

    /// Meters every `meter_interval` until told to stop, then stops; whenever offline, tries to
    /// connect and replay every `retry`; done once everything is delivered and the connector
    /// reported Available.
    async fn charge_and_replay(&mut self, mut stage: watch::Receiver<Stage>) -> Result<(), SessionError> {
        enum Due {
            Meter,
            /// The stage changed (or the run is gone: stop too).
            Stage {
                gone: bool,
            },
            Retry,
        }
        let interval = self.shared.meter_interval;
        // The fleet's meter values spread over the interval.
        let spread = interval.mul_f64((self.rig.n % 100) as f64 / 100.0);
        let (mut next_meter, mut next_try) = (Instant::now() + spread, Instant::now());
        let (mut metered, mut stopped) = (0, false);
        loop {
            if !self.rig.cp.is_offline() && self.rig.cp.queued() > 0 {
                // Online with something undelivered: the replay sends it.
                self.rig.cp.go_offline().await;
            }
            if stopped && !self.rig.cp.is_offline() {
                // Everything delivered: the connector's state, as a charger reports it once back.
                match self.status_available().await {
                    Ok(()) => return Ok(()),
                    Err(e) if e.lost_connection() => self.rig.cp.go_offline().await,
                    Err(e) => return Err(e.into()),
                }
            }
            let due = tokio::select! {
                _ = sleep_until(next_meter), if !stopped => Due::Meter,
                changed = stage.changed(), if !stopped => Due::Stage { gone: changed.is_err() },
                _ = sleep_until(next_try), if self.rig.cp.is_offline() => Due::Retry,
            };
            match due {
                Due::Meter => {
                    next_meter += interval;
                    if self.meter().await? {
                        metered += 1;
                        if metered == 2 {
                            self.set(CHARGING);
                        }
                    }
                }
                Due::Stage { gone } => {
                    let now = *stage.borrow_and_update();
                    if gone || now == Stage::Stop || (now == Stage::StopEarly && self.rig.early) {
                        if self.stop().await? {
                            self.shared.early_stops.fetch_add(1, Ordering::Relaxed);
                        }
                        stopped = true;
                        self.shared.queued.fetch_add(self.rig.cp.queued(), Ordering::Relaxed);
                        self.set(STOPPED);
                    }
                }
                Due::Retry => {
                    next_try = Instant::now() + self.shared.retry;
                    let before = self.rig.cp.connections();
                    match self.rig.cp.reconnect().await {
                        Ok(_) => {}
                        Err(e) if e.lost_connection() || matches!(e, SimError::Refused(_)) => {
                            if self.rig.cp.connections() > before {
                                self.outcome.interrupted += 1;
                            }
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
            }
        }
    }

    /// The register and the power now: a MeterValues (1.6) or an `Updated` event (2.0.1);
    /// answers whether it was answered (else it was queued).
    async fn meter(&mut self) -> Result<bool, SimError> {
        let was_online = !self.rig.cp.is_offline();
        let at = self.tick();
        let reading = Reading { wh: self.register_at(at), power_w: self.rig.power_w, at };
        let answered = match self.rig.version {
            OcppVersion::V16 => self.rig.cp.send_kept(meter_values_16(self.transaction, reading)).await?.is_some(),
            OcppVersion::V201 => self.send_event(v201::TransactionEventEnumType::Updated, reading).await?,
        };
        if was_online && !answered {
            self.outcome.resent += 1;
        }
        Ok(answered)
    }

    /// Stops the session at the register's reading now (queued when csms is down): a
    /// StopTransaction with the reading as its transaction data (1.6), an `Ended` event (2.0.1);
    /// answers whether csms answered the stop.
    async fn stop(&mut self) -> Result<bool, SimError> {
        let was_online = !self.rig.cp.is_offline();
        let at = self.tick();
        let reading = Reading { wh: self.register_at(at), power_w: 0, at };
        self.outcome.meter_stop = Some(reading.wh);
        let answered = match self.rig.version {
            OcppVersion::V16 => {
                let stop = v16::StopTransactionRequest {
                    id_tag: Some(self.rig.user.id_tag.clone()),
                    meter_stop: reading.wh,
                    timestamp: at,
                    transaction_id: self.transaction,
                    reason: Some(v16::Reason::Local),
                    transaction_data: Some(vec![meter_value_16(reading, v16::ReadingContext::TransactionEnd)]),
                };
                self.rig.cp.send_kept(stop).await?.is_some()
            }
            OcppVersion::V201 => self.send_event(v201::TransactionEventEnumType::Ended, reading).await?,
        };
        if was_online && !answered {
            self.outcome.resent += 1;
        }
        Ok(answered)
    }

    /// The session's next 2.0.1 transaction event, kept until answered.
    pub(super) async fn send_event(
        &mut self,
        kind: v201::TransactionEventEnumType,
        reading: Reading,
    ) -> Result<bool, SimError> {
        let offline = self.rig.cp.is_offline();
        let event = event_201(kind, (&self.transaction_201, self.seq_no), &self.rig.user.id_tag, reading, offline);
        self.seq_no += 1;
        Ok(self.rig.cp.send_kept(event).await?.is_some())
    }

    /// The connector Available, as a charger reports it once back with everything delivered.
    async fn status_available(&mut self) -> Result<(), SimError> {
        let at = self.tick();
        match self.rig.version {
            OcppVersion::V16 => {
                self.rig.cp.call(status_notification(1, v16::ChargePointStatus::Available, Some(at))).await.map(drop)
            }
            OcppVersion::V201 => {
                self.rig.cp.call(status_201(v201::ConnectorStatusEnumType::Available, at)).await.map(drop)
            }
        }
    }
}
