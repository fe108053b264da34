//! `SessionHandle`: how everyone but the session task reaches a connected charger — calls to
//! the charger (queued, one outstanding, each with a deadline) and control.

use chrono::{DateTime, Utc};
use protocol::{ActionSet, OcppRequest, OcppVersion};
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Control of the session, apart from calls so that it is never stuck behind them.
#[derive(Debug)]
pub(crate) enum Control {
    /// The operator changed the charger's registration: it applies from now on (a disabled
    /// charger is disconnected).
    Registration(crate::domain::chargers::records::Registration),
}

/// A CSMS→charger call waiting for its turn. Queued boxed: a channel allocates its first block
/// of 32 slots when it is made, and every connected charger has one (32 × 80 bytes unboxed).
#[derive(Debug)]
pub(crate) struct CallCommand {
    pub(crate) action: &'static str,
    pub(crate) payload: Value,
    /// Counted from when the call was queued: a caller never waits longer than the timeout.
    pub(crate) deadline: Instant,
    pub(crate) reply: oneshot::Sender<Result<Value, CallFailure>>,
}

/// Why a call to a charger did not bring a response.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CallFailure {
    /// The charger answered with a CALLERROR.
    #[error("the charger answered CALLERROR {code}: {description}")]
    CallError { code: String, description: String },
    /// No answer before the deadline.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// The charger's answer breaks the response schema.
    #[error("the charger's answer is invalid: {0}")]
    InvalidResponse(String),
    /// The connection ended before the answer.
    #[error("the charger disconnected before answering")]
    Disconnected,
    /// Too many calls already queued for this charger.
    #[error("too many commands queued for this charger")]
    QueueFull,
    /// The request is of another OCPP version than the connection's.
    #[error("the charger speaks OCPP {0}")]
    WrongVersion(OcppVersion),
    /// The charger is held by another node, which cannot be reached (Redis is down or not configured).
    #[error("the node holding the charger cannot be reached")]
    ClusterUnavailable,
    /// The node holding the charger could not read the call (it runs another version).
    #[error("the node holding the charger refused the call: {0}")]
    Refused(String),
}

impl CallFailure {
    /// The outcome the operation log records for it.
    pub fn outcome(&self) -> &'static str {
        match self {
            CallFailure::CallError { .. } => "CallError",
            CallFailure::Timeout(_) => "Timeout",
            CallFailure::InvalidResponse(_) => "InvalidResponse",
            CallFailure::Disconnected => "Disconnected",
            CallFailure::QueueFull => "QueueFull",
            CallFailure::WrongVersion(_) => "Invalid",
            CallFailure::ClusterUnavailable => "ClusterUnavailable",
            CallFailure::Refused(_) => "Refused",
        }
    }
}

/// A handle on one charger connection.
#[derive(Debug, Clone)]
pub struct SessionHandle {
    connection: u64,
    version: OcppVersion,
    /// The connection's presence: token, node, epoch (newer connections have larger ones).
    presence: Arc<crate::store::Presence>,
    control: mpsc::Sender<Control>,
    /// Cancelled when a newer connection of the same charger takes over: a token, so that this
    /// can never be lost behind a queued control message.
    replaced: CancellationToken,
    /// Cancelled when this node sends the charger away (draining, or holding too many).
    going_away: CancellationToken,
    calls: mpsc::Sender<Box<CallCommand>>,
    timeout: Duration,
    /// When the charger last sent anything (Unix milliseconds): liveness lives in memory and
    /// is flushed to the database in bulk, so a Heartbeat costs no query.
    last_seen: Arc<AtomicI64>,
}

impl SessionHandle {
    pub(crate) fn new(
        connection: u64,
        version: OcppVersion,
        presence: Arc<crate::store::Presence>,
        control: mpsc::Sender<Control>,
        replaced: CancellationToken,
        calls: mpsc::Sender<Box<CallCommand>>,
        timeout: Duration,
    ) -> Self {
        let last_seen = Arc::new(AtomicI64::new(Utc::now().timestamp_millis()));
        let going_away = CancellationToken::new();
        SessionHandle { connection, version, presence, control, replaced, going_away, calls, timeout, last_seen }
    }

    /// When the charger last sent a frame, ping or pong.
    pub fn last_seen(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.last_seen.load(Ordering::Relaxed)).unwrap_or_default()
    }

    /// Marks the charger as seen now.
    pub(crate) fn seen(&self, at: DateTime<Utc>) {
        self.last_seen.store(at.timestamp_millis(), Ordering::Relaxed);
    }

    /// The connection's number, unique within this process.
    pub fn connection(&self) -> u64 {
        self.connection
    }

    /// The connection's presence (its epoch orders it among the charger's connections).
    pub fn presence(&self) -> &crate::store::Presence {
        &self.presence
    }

    /// The deadline of a call to the charger.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The OCPP version negotiated on this connection.
    pub fn version(&self) -> OcppVersion {
        self.version
    }

    /// Sends `action` with a payload already checked against its request schema, and returns
    /// the charger's response payload (checked against the response schema).
    pub async fn call_raw(&self, action: &'static str, payload: Value) -> Result<Value, CallFailure> {
        let (reply, answer) = oneshot::channel();
        let command = Box::new(CallCommand { action, payload, deadline: Instant::now() + self.timeout, reply });
        self.calls.try_send(command).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => CallFailure::QueueFull,
            mpsc::error::TrySendError::Closed(_) => CallFailure::Disconnected,
        })?;
        // The session answers every call it took, at the latest at its deadline; a dropped
        // sender means the session ended.
        answer.await.unwrap_or(Err(CallFailure::Disconnected))
    }

    /// Sends a typed request and returns the typed response.
    pub async fn call<R: OcppRequest>(&self, request: R) -> Result<R::Response, CallFailure> {
        if <R::Action as ActionSet>::VERSION != self.version {
            return Err(CallFailure::WrongVersion(self.version));
        }
        let payload = serde_json::to_value(&request).map_err(|e| CallFailure::InvalidResponse(e.to_string()))?;
        let response = self.call_raw(R::ACTION.as_str(), payload).await?;
        serde_json::from_value(response).map_err(|e| CallFailure::InvalidResponse(e.to_string()))
    }

    /// Tells the session a newer connection took over; a session already gone needs nothing.
    pub(crate) fn replaced(&self) {
        self.replaced.cancel();
    }

    /// Closes the session with 1001 Going Away: the charger reconnects (to another node).
    pub fn send_away(&self) {
        self.going_away.cancel();
    }

    /// Whether the session was sent away.
    pub(crate) fn going_away(&self) -> CancellationToken {
        self.going_away.clone()
    }

    /// Tells the session the charger's registration changed.
    pub async fn registration_changed(&self, registration: crate::domain::chargers::records::Registration) {
        let _ = self.control.send(Control::Registration(registration)).await;
    }
}
