//! One driver's session through the crash: the order made (prepaid from the balance or
//! postpaid) and started remotely, the charger metering at its pile's rated power on its own
//! clock; when csms dies the charger goes offline and keeps its MeterValues (a message sent
//! when the connection broke is kept too: its outcome is unknown), stops the session when told,
//! retries connecting every `retry` and replays its queue in order once it is back — again after
//! a second kill — then reports its connector Available.

use super::setup::Rig;
use crate::SimError;
use crate::drivers::setup::SignedUp;
use crate::http::Pool;
use crate::messages::status_notification;
use chrono::{DateTime, DurationRound, Utc};
use protocol::v16;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::{Instant, sleep, sleep_until};

/// How long an order may take to show CHARGING after its charger started.
const CHARGING_WITHIN: Duration = Duration::from_secs(60);

/// What the run tells the chargers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stage {
    /// Charge and meter.
    Charge,
    /// Stop the session (csms is down: the stop is queued).
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
    pub(super) retry: Duration,
    /// Each session's state (`SETTING_UP` … `FAILED`), by driver index in the run.
    pub(super) states: Vec<AtomicU8>,
    /// Frames queued when the sessions stopped.
    pub(super) queued: AtomicUsize,
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
enum SessionError {
    #[error("{0}: HTTP {1} {2}")]
    Refused(&'static str, u16, String),
    #[error("{0}: {1}")]
    Io(&'static str, std::io::Error),
    #[error("charger: {0}")]
    Charger(#[from] SimError),
    #[error("{0}")]
    Order(String),
}

struct Session {
    rig: Rig,
    shared: Arc<Shared>,
    /// The charger's clock: whole milliseconds, each message later than the one before.
    clock: DateTime<Utc>,
    started_at: DateTime<Utc>,
    transaction: i32,
    outcome: Outcome,
}

/// Runs driver `rig`'s session through the crash until its queue is delivered (or it fails).
pub(super) async fn drive(rig: Rig, shared: Arc<Shared>, stage: watch::Receiver<Stage>) -> Outcome {
    let outcome = Outcome {
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
    let mut s = Session { rig, shared, clock: Utc::now(), started_at: Utc::now(), transaction: 0, outcome };
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
    fn set(&self, state: u8) {
        if let Some(slot) = self.shared.states.get(self.rig.n) {
            slot.store(state, Ordering::Relaxed);
        }
    }

    fn tick(&mut self) -> DateTime<Utc> {
        let now = Utc::now().duration_trunc(chrono::Duration::milliseconds(1)).unwrap_or_else(|_| Utc::now());
        self.clock = now.max(self.clock + chrono::Duration::milliseconds(1));
        self.clock
    }

    /// The register at `at`: the pile's rated power since the start, rounded down.
    fn register_at(&self, at: DateTime<Utc>) -> i64 {
        let ms = (at - self.started_at).num_milliseconds().max(0);
        self.rig.register_wh + ms.saturating_mul(self.rig.power_w) / 3_600_000
    }

    /// The order made, paid (prepaid), started remotely, the transaction started by the charger,
    /// and the order seen CHARGING.
    async fn start(&mut self) -> Result<(), SessionError> {
        let mut ask = json!({"pileCode": self.rig.pile, "connectorId": 1, "payMode": "postpaid"});
        if self.rig.prepaid {
            ask = json!({"pileCode": self.rig.pile, "connectorId": 1, "payMode": "prepaid", "prepayAmount": super::setup::PREPAY});
        }
        let created = self.rest("create", "POST", "/api/v1/orders", Some(&ask), 201).await?;
        let no =
            created["orderNo"].as_str().ok_or_else(|| SessionError::Order(format!("no order number: {created}")))?;
        let no = no.to_owned();
        self.outcome.order_no = Some(no.clone());
        if self.rig.prepaid {
            let pay = json!({"orderNo": no, "method": "balance"});
            self.rest("pay", "POST", "/api/v1/payments", Some(&pay), 201).await?;
        }
        self.remote_start(&no).await?;
        self.started_at = self.tick();
        let start = v16::StartTransactionRequest {
            connector_id: 1,
            id_tag: self.rig.user.id_tag.clone(),
            meter_start: self.rig.register_wh,
            reservation_id: None,
            timestamp: self.started_at,
        };
        let started = self.rig.cp.call(start).await?;
        if started.id_tag_info.status != v16::AuthorizationStatus::Accepted {
            return Err(SessionError::Order(format!("start answered {:?}", started.id_tag_info.status)));
        }
        self.transaction = started.transaction_id;
        let at = self.tick();
        self.rig.cp.call(status_notification(1, v16::ChargePointStatus::Charging, Some(at))).await?;
        let deadline = Instant::now() + CHARGING_WITHIN;
        loop {
            let order = self.rest("get", "GET", &format!("/api/v1/orders/{no}"), None, 200).await?;
            match order["status"].as_str() {
                Some("CHARGING") => return Ok(()),
                _ if Instant::now() > deadline => {
                    return Err(SessionError::Order(format!("never CHARGING: {}", order["status"])));
                }
                _ => sleep(Duration::from_millis(100)).await,
            }
        }
    }

    /// POSTs the order's start while the charger answers the RemoteStartTransaction it brings.
    async fn remote_start(&mut self, no: &str) -> Result<(), SessionError> {
        let path = format!("/api/v1/orders/{no}/start");
        let post = self.shared.api.send("POST", &path, Some(&self.rig.user.token), None);
        let cp = &mut self.rig.cp;
        let serve = async move {
            loop {
                if cp.serve_calls(1, None).await?.iter().any(|a| a == "RemoteStartTransaction") {
                    return Ok::<(), SimError>(());
                }
            }
        };
        tokio::pin!(post, serve);
        let (mut posted, mut served) = (None, false);
        while posted.is_none() || !served {
            tokio::select! {
                answer = &mut post, if posted.is_none() => {
                    let answer = answer.map_err(|e| SessionError::Io("start", e))?;
                    if answer.status != 200 {
                        let code = answer.body["error"].as_str().unwrap_or("").to_owned();
                        return Err(SessionError::Refused("start", answer.status, code));
                    }
                    posted = Some(answer);
                }
                done = &mut serve, if !served => {
                    done?;
                    served = true;
                }
            }
        }
        Ok(())
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
                let at = self.tick();
                match self.rig.cp.call(status_notification(1, v16::ChargePointStatus::Available, Some(at))).await {
                    Ok(_) => return Ok(()),
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
                    if gone || *stage.borrow_and_update() == Stage::Stop {
                        self.stop().await?;
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

    /// A MeterValues of the register and the power; answers whether it was answered (else it
    /// was queued).
    async fn meter(&mut self) -> Result<bool, SimError> {
        let was_online = !self.rig.cp.is_offline();
        let at = self.tick();
        let values =
            energy(self.transaction, self.register_at(at), self.rig.power_w, at, v16::ReadingContext::SamplePeriodic);
        let answered = self.rig.cp.send_kept(values).await?.is_some();
        if was_online && !answered {
            self.outcome.resent += 1;
        }
        Ok(answered)
    }

    /// Stops the session at the register's reading now (queued: csms is down).
    async fn stop(&mut self) -> Result<(), SimError> {
        let was_online = !self.rig.cp.is_offline();
        let at = self.tick();
        let meter_stop = self.register_at(at);
        let end = energy(self.transaction, meter_stop, 0, at, v16::ReadingContext::TransactionEnd);
        let stop = v16::StopTransactionRequest {
            id_tag: Some(self.rig.user.id_tag.clone()),
            meter_stop,
            timestamp: at,
            transaction_id: self.transaction,
            reason: Some(v16::Reason::Local),
            transaction_data: Some(end.meter_value),
        };
        self.outcome.meter_stop = Some(meter_stop);
        if self.rig.cp.send_kept(stop).await?.is_none() && was_online {
            self.outcome.resent += 1;
        }
        Ok(())
    }

    /// A REST call of the driver; an answer of another status than `ok` is an error.
    async fn rest(
        &self,
        call: &'static str,
        method: &str,
        path: &str,
        body: Option<&Value>,
        ok: u16,
    ) -> Result<Value, SessionError> {
        let answer = self.shared.api.send(method, path, Some(&self.rig.user.token), body).await;
        let answer = answer.map_err(|e| SessionError::Io(call, e))?;
        if answer.status != ok {
            let code = answer.body["error"].as_str().unwrap_or("").to_owned();
            return Err(SessionError::Refused(call, answer.status, code));
        }
        Ok(answer.body)
    }
}

/// A MeterValues of the energy register (Wh) and the power (W) in a transaction.
fn energy(
    transaction_id: i32,
    wh: i64,
    power_w: i64,
    at: DateTime<Utc>,
    context: v16::ReadingContext,
) -> v16::MeterValuesRequest {
    let sampled = |measurand: v16::Measurand, unit: v16::UnitOfMeasure, value: String| v16::SampledValue {
        value,
        context: Some(context),
        format: None,
        measurand: Some(measurand),
        phase: None,
        location: Some(v16::Location::Outlet),
        unit: Some(unit),
    };
    v16::MeterValuesRequest {
        connector_id: 1,
        transaction_id: Some(transaction_id),
        meter_value: vec![v16::MeterValue {
            timestamp: at,
            sampled_value: vec![
                sampled(v16::Measurand::EnergyActiveImportRegister, v16::UnitOfMeasure::Wh, wh.to_string()),
                sampled(v16::Measurand::PowerActiveImport, v16::UnitOfMeasure::W, power_w.to_string()),
            ],
        }],
    }
}
