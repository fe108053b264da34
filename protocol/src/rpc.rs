//! From a checked frame to a typed message: who may send which action, the traits every
//! version's action table implements, and decoding (action → direction → schema → type) with
//! the CALLERROR each failure earns.

use crate::frame::{Call, CallError, MessageId};
use crate::tree::Node;
use crate::{CallErrorCode, OcppVersion, SchemaRegistry};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::fmt::{Debug, Display};
use std::hash::Hash;

/// A request (CALL payload) or a response (CALLRESULT payload).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageKind {
    /// The payload of a CALL.
    Request = 0,
    /// The payload of a CALLRESULT.
    Response = 1,
}

/// The two ends of an OCPP connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The central system (CSMS; "Central System" in 1.6).
    Csms,
    /// The charger ("Charge Point" in 1.6, "Charging Station" in 2.0.1).
    ChargingStation,
}

/// Which end sends the CALL of an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Initiator {
    /// Only the charger.
    ChargingStation,
    /// Only the CSMS.
    Csms,
    /// Either end (DataTransfer).
    Either,
}

impl Initiator {
    /// Whether `role` may send this action's CALL.
    pub const fn may_send(self, role: Role) -> bool {
        matches!(
            (self, role),
            (Initiator::Either, _)
                | (Initiator::ChargingStation, Role::ChargingStation)
                | (Initiator::Csms, Role::Csms)
        )
    }
}

/// The actions of one OCPP version (implemented by `v16::Action` and `v201::Action`).
pub trait ActionSet: Copy + Eq + Hash + Ord + Debug + Display + Send + Sync + 'static {
    /// The version.
    const VERSION: OcppVersion;
    /// Every action, in declaration order (`ALL[a.index()] == a`).
    const ALL: &'static [Self];
    /// The version's request enum.
    type Request: Payload<Action = Self>;
    /// The version's response enum.
    type Response: Payload<Action = Self>;

    /// The action's name on the wire.
    fn as_str(self) -> &'static str;
    /// The action called `name`, if this version has it (names are case-sensitive).
    fn from_name(name: &str) -> Option<Self>;
    /// Who sends this action's CALL.
    fn initiator(self) -> Initiator;
    /// The action's position in [`ActionSet::ALL`].
    fn index(self) -> usize;
    /// The embedded JSON schema text of the request or response.
    fn schema(self, kind: MessageKind) -> &'static str;
}

/// A version's `Request` or `Response` enum: one variant per action.
pub trait Payload: Serialize + Sized + Debug + Clone + PartialEq + Send + 'static {
    /// The version's actions.
    type Action: ActionSet;

    /// The action this payload belongs to.
    fn action(&self) -> Self::Action;
    /// Deserialises `payload` as `action`'s type. No schema check: see [`decode_request`].
    fn from_node(action: Self::Action, payload: &Node<'_>) -> Result<Self, serde_json::Error>;
    /// The payload as a JSON value.
    fn to_value(&self) -> Result<Value, serde_json::Error>;
}

/// A request type and what answers it, e.g. `v16::ResetRequest` → `v16::ResetResponse`.
pub trait OcppRequest: Serialize + DeserializeOwned + Debug + Clone + Send + 'static {
    /// The version's actions.
    type Action: ActionSet;
    /// The response type.
    type Response: Serialize + DeserializeOwned + Debug + Clone + Send + 'static;
    /// The action.
    const ACTION: Self::Action;

    /// Wraps the request in its version's `Request` enum.
    fn into_request(self) -> <Self::Action as ActionSet>::Request;
    /// Takes this action's response out of the version's `Response` enum.
    fn response_from(response: <Self::Action as ActionSet>::Response) -> Option<Self::Response>;
}

/// Why a CALL or CALLRESULT payload was refused: the code to answer with and a description.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code:?}: {description}")]
pub struct RpcError {
    /// The code (version-neutral; spelled per version when sent).
    pub code: CallErrorCode,
    /// What was wrong, naming the field; at most [`crate::MAX_DESCRIPTION`] bytes.
    pub description: String,
}

impl RpcError {
    /// An error with `description` cut to the length the specification allows.
    pub fn new(code: CallErrorCode, description: impl AsRef<str>) -> Self {
        RpcError { code, description: crate::truncate(description.as_ref(), crate::MAX_DESCRIPTION).to_owned() }
    }

    /// The CALLERROR answering message `id` in `version`.
    pub fn to_call_error(&self, id: MessageId, version: OcppVersion) -> CallError<'static> {
        CallError::new(id, self.code, version, &self.description)
    }
}

/// Decodes the payload of a CALL that `receiver` got: an action this version does not have is
/// `NotImplemented`; one `receiver`'s peer may not send is `NotSupported`; then the schema, then
/// the type (a value the schema admits but the type cannot hold, e.g. an integer beyond 32 bits,
/// is a `TypeConstraintViolation`).
pub fn decode_request<A: ActionSet>(
    registry: &SchemaRegistry,
    receiver: Role,
    action: &str,
    payload: &Node<'_>,
) -> Result<A::Request, RpcError> {
    let known = known_action::<A>(action)?;
    let sender = match receiver {
        Role::Csms => Role::ChargingStation,
        Role::ChargingStation => Role::Csms,
    };
    if !known.initiator().may_send(sender) {
        let who = match sender {
            Role::Csms => "the CSMS",
            Role::ChargingStation => "a charging station",
        };
        return Err(RpcError::new(CallErrorCode::NotSupported, format!("{action} is not sent by {who}")));
    }
    decode(registry, known, MessageKind::Request, payload)
}

/// Decodes the payload of a CALL of `action` whoever sent it: `NotImplemented` for an unknown
/// action, then the schema and the type, as [`decode_request`] does after its direction check.
pub fn decode_payload<A: ActionSet>(
    registry: &SchemaRegistry,
    action: &str,
    payload: &Node<'_>,
) -> Result<A::Request, RpcError> {
    decode(registry, known_action::<A>(action)?, MessageKind::Request, payload)
}

fn known_action<A: ActionSet>(action: &str) -> Result<A, RpcError> {
    A::from_name(action).ok_or_else(|| {
        RpcError::new(CallErrorCode::NotImplemented, format!("{action} is not an OCPP {} action", A::VERSION))
    })
}

/// Decodes a CALL that `receiver` got; see [`decode_request`].
pub fn decode_call<A: ActionSet>(
    registry: &SchemaRegistry,
    receiver: Role,
    call: &Call<'_>,
) -> Result<A::Request, RpcError> {
    decode_request::<A>(registry, receiver, &call.action, &call.payload)
}

/// Decodes the payload of a CALLRESULT answering `action`.
pub fn decode_response<A: ActionSet>(
    registry: &SchemaRegistry,
    action: A,
    payload: &Node<'_>,
) -> Result<A::Response, RpcError> {
    decode(registry, action, MessageKind::Response, payload)
}

fn decode<A: ActionSet, P: Payload<Action = A>>(
    registry: &SchemaRegistry,
    action: A,
    kind: MessageKind,
    payload: &Node<'_>,
) -> Result<P, RpcError> {
    if let Err(violation) = registry.validate(action, kind, payload) {
        return Err(RpcError { code: violation.code, description: violation.description });
    }
    P::from_node(action, payload)
        .map_err(|e| RpcError::new(CallErrorCode::TypeConstraintViolation, format!("payload: {e}")))
}
