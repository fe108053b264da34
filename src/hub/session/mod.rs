//! One task per charger connection: it owns the socket, answers the charger's calls in order,
//! carries out commands from its handle, pings, and closes an idle, misbehaving, replaced or
//! shut-down connection. One timer (the next ping or the idle deadline, whichever is first).

mod calls;
mod faults;

use super::Hub;
use super::handle::{CallCommand, CallFailure, Control, SessionHandle};
use crate::domain::chargers::records::Registration;
use crate::domain::ids::ChargerId;
use crate::ocpp::{self, ChargerContext, Refusal};
use axum::extract::ws::{CloseFrame, Message, WebSocket, close_code};
use calls::Pending;
use faults::{InvalidFrames, is_capacity_error};
use protocol::frame::Outgoing;
use protocol::{Frame, FrameError, OcppVersion};
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

/// Why a session ended (logged once, where it ends).
#[derive(Debug)]
enum End {
    ClosedByCharger,
    Replaced,
    SentAway,
    Disabled,
    Shutdown,
    Idle,
    TooManyInvalidFrames,
    FrameTooLarge,
    Socket(axum::Error),
}

pub(super) async fn run(
    mut socket: WebSocket,
    hub: Hub,
    charger_id: ChargerId,
    version: Option<OcppVersion>,
    registration: Registration,
    epoch: i64,
) {
    let Some(version) = version else {
        // OCPP-J: no common subprotocol → complete the handshake without one, then close.
        tracing::info!(charger = %charger_id, "closed: no common OCPP subprotocol");
        let _ = socket.send(close(close_code::PROTOCOL, "no supported OCPP subprotocol offered")).await;
        return;
    };
    let connection = hub.next_connection();
    let settings = &hub.inner.settings;
    let (control_tx, control) = mpsc::channel(1);
    let (calls_tx, calls) = mpsc::channel(settings.max_queued_calls.max(1));
    let replaced = tokio_util::sync::CancellationToken::new();
    // `epoch`: newer than every connection before it, on any node: an older one anywhere gives way.
    let presence = Arc::new(crate::store::Presence {
        token: crate::domain::chargers::connection_token(),
        node: hub.inner.cluster.node().to_owned(),
        epoch,
        version: version.to_string(),
    });
    let handle = SessionHandle::new(
        connection,
        version,
        presence.clone(),
        control_tx,
        replaced.clone(),
        calls_tx,
        settings.call_timeout(),
    );
    let liveness = handle.clone();
    let going_away = handle.going_away();
    if let Some(previous) = hub.registry().insert(&charger_id, handle) {
        previous.replaced();
    }
    hub.inner.cluster.took_over(&charger_id, epoch);
    // A newer connection on another node already said so before this one was registered.
    if hub.remote().newer_elsewhere(&charger_id, epoch) {
        replaced.cancel();
    }
    // Leaves the registry however the session ends, a panic included.
    let registered = Registered { hub: hub.clone(), charger_id: charger_id.clone(), connection };
    tracing::info!(charger = %charger_id, %version, connection, epoch, "connected");
    // Online in the database too, for queries and other nodes; a failure costs only that (a
    // session that ends by a panic leaves it online until its node's lease lapses).
    let online = match hub.inner.chargers.connected(&charger_id, &presence).await {
        Ok(()) => Some(presence.token.clone()),
        Err(e) => {
            tracing::warn!(charger = %charger_id, connection, error = %e, "marking the charger online failed");
            None
        }
    };

    let ctx = ChargerContext::new(
        charger_id.clone(),
        hub.inner.chargers.clone(),
        hub.inner.charging.clone(),
        hub.inner.data_transfers.clone(),
        registration,
    );
    let mut session = Session {
        liveness,
        hub: hub.clone(),
        socket,
        version,
        ctx,
        control,
        replaced,
        going_away,
        calls,
        calls_open: true,
        pending: None,
        next_message_id: 1,
        out: Vec::with_capacity(512),
    };
    let connected = metrics::gauge!(crate::metrics::CHARGERS_CONNECTED, "version" => version.subprotocol());
    connected.increment(1.0);
    let end = session.run().await;
    connected.decrement(1.0);
    drop(registered);
    if !matches!(end, End::Replaced) {
        hub.inner.chargers.went_away(&charger_id, session.liveness.last_seen());
    }
    if let Some(token) = online
        && let Err(e) = hub.inner.chargers.disconnected(&charger_id, &token).await
    {
        tracing::warn!(charger = %charger_id, connection, error = %e, "marking the charger offline failed");
    }
    match &end {
        End::Socket(e) => {
            tracing::info!(charger = %charger_id, connection, error = %e, "disconnected")
        }
        other => tracing::info!(charger = %charger_id, connection, reason = ?other, "disconnected"),
    }
}

/// A session's place in the registry, given up when dropped.
struct Registered {
    hub: Hub,
    charger_id: ChargerId,
    connection: u64,
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.hub.registry().remove(&self.charger_id, self.connection);
    }
}

struct Session {
    /// This connection's own handle: where liveness is stamped.
    liveness: SessionHandle,
    hub: Hub,
    socket: WebSocket,
    version: OcppVersion,
    ctx: ChargerContext,
    control: mpsc::Receiver<Control>,
    /// Cancelled when a newer connection of the same charger took over.
    replaced: tokio_util::sync::CancellationToken,
    /// Cancelled when this node sends the charger away.
    going_away: tokio_util::sync::CancellationToken,
    /// Queued CSMS→charger calls; one is taken only when none is outstanding.
    calls: mpsc::Receiver<Box<CallCommand>>,
    calls_open: bool,
    /// The outstanding CSMS→charger call.
    pending: Option<Pending>,
    next_message_id: u64,
    /// Reused for every outgoing frame.
    out: Vec<u8>,
}

impl Session {
    async fn run(&mut self) -> End {
        let settings = &self.hub.inner.settings;
        let (idle_after, ping_every) = (settings.idle_timeout(), settings.ping_interval());
        let max_invalid = settings.max_invalid_frames_per_minute;
        let shutdown = self.hub.inner.shutdown.clone();
        let mut last_frame = Instant::now();
        let mut next_ping = last_frame + ping_every;
        let mut invalid = InvalidFrames::default();

        loop {
            let mut deadline = next_ping.min(last_frame + idle_after);
            if let Some(pending) = &self.pending {
                deadline = deadline.min(pending.deadline);
            }
            let take_call = self.pending.is_none() && self.calls_open;
            tokio::select! {
                _ = shutdown.cancelled() => {
                    return self.close(close_code::AWAY, "server shutting down", End::Shutdown).await;
                }
                _ = self.replaced.cancelled() => {
                    return self.close(close_code::POLICY, "replaced by a new connection", End::Replaced).await;
                }
                _ = self.going_away.cancelled() => {
                    return self.close(close_code::AWAY, "this node is stopping or full: connect again", End::SentAway).await;
                }
                control = self.control.recv() => match control {
                    Some(Control::Registration(Registration::Disabled)) => {
                        return self.close(close_code::POLICY, "disabled by the operator", End::Disabled).await;
                    }
                    Some(Control::Registration(registration)) => self.ctx.registration_changed(registration),
                    // Every handle is gone: only possible once the registry dropped this one.
                    None => return self.close(close_code::AWAY, "session ended", End::Replaced).await,
                },
                call = self.calls.recv(), if take_call => match call {
                    Some(call) => {
                        if let Err(e) = self.send_call(*call).await {
                            return End::Socket(e);
                        }
                    }
                    None => self.calls_open = false,
                },
                _ = sleep_until(deadline) => {
                    let now = Instant::now();
                    if self.pending.as_ref().is_some_and(|p| now >= p.deadline) {
                        if let Some(pending) = self.pending.take() {
                            crate::metrics::ocpp::call_timed_out();
                            let timeout = self.hub.inner.settings.call_timeout();
                            tracing::info!(charger = %self.ctx.id(), action = pending.action, "call timed out");
                            let _ = pending.reply.send(Err(CallFailure::Timeout(timeout)));
                        }
                        continue;
                    }
                    if now >= last_frame + idle_after {
                        return self.close(close_code::AWAY, "idle", End::Idle).await;
                    }
                    if now >= next_ping {
                        next_ping = now + ping_every;
                        if let Err(e) = self.socket.send(Message::Ping(Default::default())).await {
                            return End::Socket(e);
                        }
                    }
                }
                message = self.socket.recv() => {
                    // Any frame, ping or pong counts as liveness.
                    last_frame = Instant::now();
                    self.liveness.seen(chrono::Utc::now());
                    let text = match message {
                        None => return End::ClosedByCharger,
                        Some(Ok(Message::Text(text))) => text,
                        Some(Ok(Message::Binary(_))) => {
                            // OCPP-J sends text only.
                            if invalid.record(max_invalid) {
                                return self.close(close_code::POLICY, "too many invalid frames", End::TooManyInvalidFrames).await;
                            }
                            self.reply_to_fault(&FrameError::NotUtf8).await;
                            continue;
                        }
                        Some(Ok(Message::Close(_))) => return End::ClosedByCharger,
                        Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                        Some(Err(e)) => {
                            if is_capacity_error(&e) {
                                return self.close(close_code::SIZE, "frame too large", End::FrameTooLarge).await;
                            }
                            return End::Socket(e);
                        }
                    };
                    let valid = self.on_text(text.as_str()).await;
                    if let Err(e) = valid {
                        if let Err(e) = e {
                            return End::Socket(e);
                        }
                        if invalid.record(max_invalid) {
                            return self.close(close_code::POLICY, "too many invalid frames", End::TooManyInvalidFrames).await;
                        }
                    }
                }
            }
        }
    }

    /// Handles one text frame. `Err(Ok(()))`: the frame was invalid (and answered as the spec
    /// says); `Err(Err(_))`: the socket failed.
    async fn on_text(&mut self, text: &str) -> Result<(), Result<(), axum::Error>> {
        let frame = match Frame::parse(text) {
            Ok(frame) => frame,
            Err(fault) => {
                tracing::debug!(charger = %self.ctx.id(), %fault, "invalid frame");
                self.log_in(true, "INVALID", None, None, text);
                self.reply_to_fault(&fault).await;
                return Err(Ok(()));
            }
        };
        match frame {
            Frame::Call(call) => {
                let started = Instant::now();
                let result = ocpp::handle_call(&mut self.ctx, self.version, &call).await;
                let known = match &result {
                    Ok(_) => true,
                    Err(refusal) => refusal.error().code != protocol::CallErrorCode::NotImplemented,
                };
                let took = started.elapsed();
                crate::metrics::ocpp::handled(self.version.subprotocol(), &call.action, known, result.is_ok(), took);
                self.out.clear();
                let written = match &result {
                    Ok(response) => {
                        Outgoing::CallResult { id: call.id.as_str(), payload: response }.write_to(&mut self.out)
                    }
                    Err(refusal) => {
                        let error = refusal.error().to_call_error(call.id.clone(), self.version);
                        Frame::CallError(error).write_to(&mut self.out);
                        Ok(())
                    }
                };
                if let Err(e) = written {
                    tracing::error!(charger = %self.ctx.id(), error = %e, "response not serialisable");
                }
                // Logged when it failed, or when every frame is: nothing is copied otherwise.
                let failed = result.is_err();
                let logged = if self.logs(failed) {
                    let (id, action) = (call.id.to_string(), call.action.to_string());
                    self.log_in(failed, "CALL", Some(id.clone()), Some(action.clone()), text);
                    Some((if failed { "CALLERROR" } else { "CALLRESULT" }, id, Some(action)))
                } else {
                    None
                };
                self.send_out(logged).await.map_err(Err)?;
                match result {
                    Err(Refusal::Invalid(_)) => Err(Ok(())),
                    _ => Ok(()),
                }
            }
            // Answers to our calls: commands are always worth logging.
            Frame::CallResult(result) => {
                let action = self.pending.as_ref().map(|p| p.action.to_owned());
                self.log_in(true, "CALLRESULT", Some(result.id.to_string()), action, text);
                self.on_result(result);
                Ok(())
            }
            Frame::CallError(error) => {
                let action = self.pending.as_ref().map(|p| p.action.to_owned());
                self.log_in(true, "CALLERROR", Some(error.id.to_string()), action, text);
                self.on_error(error);
                Ok(())
            }
        }
    }

    async fn reply_to_fault(&mut self, fault: &FrameError) {
        if let Some(reply) = fault.reply(self.version) {
            let logged = self.logs(true).then(|| ("CALLERROR", reply.id.to_string(), None));
            self.out.clear();
            Frame::CallError(reply).write_to(&mut self.out);
            let _ = self.send_out(logged).await;
        }
    }

    /// Whether the message log takes a frame of this importance.
    fn logs(&self, important: bool) -> bool {
        self.hub.inner.messages.wants(important)
    }

    fn log_in(&self, important: bool, kind: &'static str, id: Option<String>, action: Option<String>, text: &str) {
        if self.logs(important) {
            self.hub.inner.messages.record(self.ctx.id(), "in", kind, id, action, text);
        }
    }

    /// Sends the frame in `out`, logging it as `(kind, id, action)` when given.
    async fn send_out(&mut self, logged: Option<(&'static str, String, Option<String>)>) -> Result<(), axum::Error> {
        // serde_json writes UTF-8 only.
        let text = String::from_utf8(std::mem::take(&mut self.out)).unwrap_or_default();
        if let Some((kind, id, action)) = logged {
            self.hub.inner.messages.record(self.ctx.id(), "out", kind, Some(id), action, &text);
        }
        let sent = self.socket.send(Message::Text(text.into())).await;
        self.out = Vec::with_capacity(512);
        sent
    }

    async fn close(&mut self, code: u16, reason: &'static str, end: End) -> End {
        let _ = self.socket.send(close(code, reason)).await;
        end
    }
}

fn close(code: u16, reason: &'static str) -> Message {
    Message::Close(Some(CloseFrame { code, reason: reason.into() }))
}
