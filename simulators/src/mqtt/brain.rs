//! What a pile does by itself, like a real one: heartbeats (one at once when connected again),
//! a session per start command with its charging/status messages, and its charging/finished at
//! a stop, at maxTime, when full or at a fault. The state lives behind a lock the pile's handle shares (never held across an
//! await); the task only decides when.

use super::charge::{Battery, Charge};
use super::link::{Link, LinkState};
use super::payload::{
    ChargingFinished, Command, Heartbeat, PileStatus, ReceivedCommand, StartCommand, StopReason, Timestamp,
    finished_topic, heartbeat_topic, status_topic,
};
use super::{MqttSimError, PileConfig};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::{Notify, mpsc};
use tokio::time::{Instant, sleep_until};

/// The pile's state.
#[derive(Debug)]
pub(crate) struct PileState {
    pub(crate) code: String,
    pub(crate) connectors: Vec<Connector>,
    pub(crate) temperature: f64,
    pub(crate) fault: bool,
    pub(crate) paused: bool,
    pub(crate) voltage: f64,
    rated_power_kw: f64,
    battery: Battery,
    status_interval: Duration,
    /// Finished messages that could not go out (not connected, or paused): sent when they can.
    pub(crate) backlog: Vec<ChargingFinished>,
}

/// One connector: its session, if any, and when its next status is due.
#[derive(Debug, Default)]
pub(crate) struct Connector {
    pub(crate) charge: Option<Charge>,
    next_status: Option<Instant>,
}

impl PileState {
    pub(crate) fn new(config: &PileConfig) -> Self {
        PileState {
            code: config.pile_code.clone(),
            connectors: (0..config.connectors.max(1)).map(|_| Connector::default()).collect(),
            temperature: config.temperature,
            fault: config.fault,
            paused: config.paused,
            voltage: config.voltage,
            rated_power_kw: config.rated_power_kw,
            battery: config.battery,
            status_interval: config.status_interval,
            backlog: Vec::new(),
        }
    }

    /// The heartbeat of connector `id` (from 1) now.
    pub(crate) fn heartbeat(&self, id: u32) -> Heartbeat {
        let charge = (id as usize).checked_sub(1).and_then(|i| self.connectors.get(i)).and_then(|c| c.charge.as_ref());
        let status = match (self.fault, charge) {
            (true, _) => PileStatus::Fault,
            (false, Some(_)) => PileStatus::Charging,
            (false, None) => PileStatus::Idle,
        };
        let power = charge.map_or(0.0, Charge::power_kw);
        let current = if self.voltage > 0.0 { power * 1000.0 / self.voltage } else { 0.0 };
        Heartbeat {
            pile_code: self.code.clone(),
            connector_id: id,
            status: status.into(),
            voltage: self.voltage,
            current: (current * 100.0).round() / 100.0,
            power: (power * 1000.0).round() / 1000.0,
            temperature: self.temperature,
            timestamp: Timestamp::now(),
        }
    }

    /// Every connector's id, from 1.
    pub(crate) fn ids(&self) -> impl Iterator<Item = u32> + use<> {
        1..=self.connectors.len() as u32
    }

    /// Starts a session for `start` if its connector exists and is free and the pile is not in
    /// fault; its first status (nothing delivered yet) if so.
    fn start(&mut self, start: &StartCommand, now: Instant) -> Option<super::ChargingStatus> {
        let interval = self.status_interval;
        let limit = match start.max_power {
            Some(max) if max > 0.0 => self.rated_power_kw.min(max),
            _ => self.rated_power_kw,
        };
        let (battery, fault, code) = (self.battery, self.fault, self.code.clone());
        let index = (start.connector_id as usize).checked_sub(1)?;
        let connector = self.connectors.get_mut(index)?;
        if fault || connector.charge.is_some() {
            return None;
        }
        let max_time = start.max_time.map(Duration::from_secs);
        let charge = Charge::start(start.connector_id, start.order_no.clone(), limit, max_time, battery, now);
        let status = charge.status(&code);
        connector.charge = Some(charge);
        connector.next_status = Some(now + interval);
        Some(status)
    }

    /// Ends the session of `order_no` for `reason`, if it runs here.
    fn stop(&mut self, order_no: &str, reason: u8, now: Instant) -> Option<ChargingFinished> {
        let code = self.code.clone();
        let connector =
            self.connectors.iter_mut().find(|c| c.charge.as_ref().is_some_and(|c| c.order_no == order_no))?;
        let mut charge = connector.charge.take()?;
        connector.next_status = None;
        charge.advance(now);
        Some(charge.finished(&code, reason))
    }

    /// Integrates every session up to `now`; ends those that ended by themselves (full,
    /// maxTime) or by a fault: their finished messages.
    pub(crate) fn advance(&mut self, now: Instant) -> Vec<ChargingFinished> {
        let (code, fault) = (self.code.clone(), self.fault);
        let mut finished = Vec::new();
        for connector in &mut self.connectors {
            let Some(charge) = connector.charge.as_mut() else { continue };
            charge.advance(now);
            let reason = if fault { Some(StopReason::Fault) } else { charge.ended() };
            if let Some(reason) = reason {
                finished.push(charge.finished(&code, reason.into()));
                connector.charge = None;
                connector.next_status = None;
            }
        }
        finished
    }

    /// Integrates every session up to `now`, for a look from outside: one that ended by
    /// itself stays until the task ends it (and sends its finished).
    pub(crate) fn advance_views(&mut self, now: Instant) {
        for charge in self.connectors.iter_mut().filter_map(|c| c.charge.as_mut()) {
            charge.advance(now);
        }
    }

    /// Every running session's status, as integrated.
    pub(crate) fn statuses(&self) -> Vec<super::ChargingStatus> {
        self.connectors.iter().filter_map(|c| c.charge.as_ref()).map(|c| c.status(&self.code)).collect()
    }

    /// The earliest moment something is due: a status or a session's maxTime.
    fn next_due(&self) -> Option<Instant> {
        self.connectors
            .iter()
            .flat_map(|c| [c.next_status, c.charge.as_ref().and_then(Charge::deadline)])
            .flatten()
            .min()
    }
}

pub(crate) fn lock(state: &Mutex<PileState>) -> MutexGuard<'_, PileState> {
    state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Publishes without waiting for the PUBACK; a failure is counted by the link.
fn send(link: &Link, topic: &str, message: &impl serde::Serialize) {
    if let Ok(payload) = serde_json::to_vec(message) {
        let _: Result<_, MqttSimError> = link.send(topic, payload, false);
    }
}

/// The pile's automatic behaviour, until `commands` closes. Every command is passed on to
/// `owner` (dropped when the owner does not keep up).
pub(crate) async fn run(
    state: Arc<Mutex<PileState>>,
    link: Link,
    heartbeat_interval: Duration,
    wake: Arc<Notify>,
    mut commands: mpsc::UnboundedReceiver<ReceivedCommand>,
    owner: mpsc::Sender<ReceivedCommand>,
) {
    let code = lock(&state).code.clone();
    let (heartbeat_topic, status_topic, finished_topic) =
        (heartbeat_topic(&code), status_topic(&code), finished_topic(&code));
    let mut next_heartbeat = Instant::now();
    let mut states = link.states();
    loop {
        let due = lock(&state).next_due().map_or(next_heartbeat, |due| due.min(next_heartbeat));
        let mut heartbeat_now = false;
        tokio::select! {
            received = commands.recv() => {
                let Some(received) = received else { break };
                let now = Instant::now();
                let (status, finished) = {
                    let mut state = lock(&state);
                    match &received.parsed {
                        Ok(Command::Start(start)) => (state.start(start, now), None),
                        Ok(Command::Stop(stop)) => {
                            let reason = stop.stop_reason.unwrap_or(StopReason::User.into());
                            (None, state.stop(&stop.order_no, reason, now))
                        }
                        Err(_) => (None, None),
                    }
                };
                let speaks = !lock(&state).paused && link.ready();
                if let Some(status) = status.filter(|_| speaks) {
                    send(&link, &status_topic, &status);
                }
                if let Some(finished) = finished {
                    lock(&state).backlog.push(finished);
                }
                let _ = owner.try_send(received);
            }
            () = sleep_until(due) => {}
            () = wake.notified() => heartbeat_now = true,
            changed = states.changed() => {
                if changed.is_err() {
                    break;
                }
                // Back after a loss (the broker published the will): say so at once.
                heartbeat_now = *states.borrow_and_update() == LinkState::Ready;
            }
        }
        let now = Instant::now();
        let (statuses, heartbeats, backlog) = {
            let mut state = lock(&state);
            let ended = state.advance(now);
            state.backlog.extend(ended);
            let mut statuses = Vec::new();
            let (code, interval) = (state.code.clone(), state.status_interval);
            for connector in &mut state.connectors {
                if let (Some(charge), Some(at)) = (&connector.charge, connector.next_status)
                    && at <= now
                {
                    statuses.push(charge.status(&code));
                    // Due every interval from the last, or from now if the pile fell behind.
                    let next = at + interval;
                    connector.next_status = Some(if next <= now { now + interval } else { next });
                }
            }
            let heartbeats: Vec<Heartbeat> = if heartbeat_now || next_heartbeat <= now {
                next_heartbeat = now + heartbeat_interval;
                state.ids().map(|id| state.heartbeat(id)).collect()
            } else {
                Vec::new()
            };
            let speaks = !state.paused && link.ready();
            let backlog = if speaks { std::mem::take(&mut state.backlog) } else { Vec::new() };
            if !speaks {
                // Silent: a status or heartbeat not sent now would be stale later.
                (Vec::new(), Vec::new(), backlog)
            } else {
                (statuses, heartbeats, backlog)
            }
        };
        for finished in &backlog {
            send(&link, &finished_topic, finished);
        }
        for status in &statuses {
            send(&link, &status_topic, status);
        }
        for heartbeat in &heartbeats {
            send(&link, &heartbeat_topic, heartbeat);
        }
    }
}
