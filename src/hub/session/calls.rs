//! The session's calls to its charger (CSMS→charger): one outstanding at a time, sent when its
//! turn comes unless its deadline passed, and answered by the charger's CALLRESULT (checked
//! against the action's response schema) or CALLERROR.

use super::Session;
use crate::hub::handle::{CallCommand, CallFailure};
use protocol::frame::{CallError, CallResult, Outgoing};
use protocol::{ActionSet, MessageKind, OcppVersion, SchemaRegistry, v16, v201};
use tokio::time::Instant;

/// A call sent to the charger and not yet answered.
pub(super) struct Pending {
    pub(super) id: String,
    pub(super) action: &'static str,
    pub(super) deadline: Instant,
    pub(super) reply: tokio::sync::oneshot::Sender<Result<serde_json::Value, CallFailure>>,
}

impl Session {
    /// Sends a queued call, unless its deadline passed while it waited.
    pub(super) async fn send_call(&mut self, call: CallCommand) -> Result<(), axum::Error> {
        if Instant::now() >= call.deadline {
            let _ = call.reply.send(Err(CallFailure::Timeout(self.hub.inner.settings.call_timeout())));
            return Ok(());
        }
        let id = self.next_message_id.to_string();
        self.next_message_id += 1;
        self.out.clear();
        if let Err(e) =
            (Outgoing::Call { id: &id, action: call.action, payload: &call.payload }).write_to(&mut self.out)
        {
            let _ = call.reply.send(Err(CallFailure::InvalidResponse(e.to_string())));
            return Ok(());
        }
        let logged = self.logs(true).then(|| ("CALL", id.clone(), Some(call.action.to_owned())));
        self.send_out(logged).await?;
        self.ctx.commanded(call.action, &call.payload);
        self.pending = Some(Pending { id, action: call.action, deadline: call.deadline, reply: call.reply });
        Ok(())
    }

    /// The answer to the outstanding call, checked against the action's response schema.
    pub(super) fn on_result(&mut self, result: CallResult<'_>) {
        let Some(pending) = self.take_pending(result.id.as_str()) else {
            return;
        };
        let registry = SchemaRegistry::global();
        let checked = match self.version {
            OcppVersion::V16 => check_response::<v16::Action>(registry, pending.action, &result.payload),
            OcppVersion::V201 => check_response::<v201::Action>(registry, pending.action, &result.payload),
        };
        let answer = checked.map(|()| result.payload.to_value()).map_err(CallFailure::InvalidResponse);
        crate::metrics::ocpp::call_answered(self.version.subprotocol(), pending.action, answer.is_ok());
        let _ = pending.reply.send(answer);
    }

    pub(super) fn on_error(&mut self, error: CallError<'_>) {
        let Some(pending) = self.take_pending(error.id.as_str()) else {
            return;
        };
        crate::metrics::ocpp::call_answered(self.version.subprotocol(), pending.action, false);
        let failure =
            CallFailure::CallError { code: error.code.into_owned(), description: error.description.into_owned() };
        let _ = pending.reply.send(Err(failure));
    }

    /// The outstanding call if `id` answers it; an answer to anything else is dropped.
    fn take_pending(&mut self, id: &str) -> Option<Pending> {
        if self.pending.as_ref().is_some_and(|p| p.id == id) {
            return self.pending.take();
        }
        tracing::debug!(charger = %self.ctx.id(), id, "answer to no outstanding call");
        None
    }
}

fn check_response<A: ActionSet>(
    registry: &SchemaRegistry,
    action: &str,
    payload: &protocol::Node<'_>,
) -> Result<(), String> {
    let action = A::from_name(action).ok_or_else(|| format!("{action} is not an OCPP {} action", A::VERSION))?;
    registry.validate(action, MessageKind::Response, payload).map_err(|v| v.description)
}
