//! The OCPP-J core of csms, free of I/O: RPC framing, versions and CALLERROR codes, the JSON
//! schemas of every OCPP 1.6J and 2.0.1 action compiled once, and typed messages.
//!
//! A received text goes `Frame::parse` → (`Call`) → [`decode_request`] (action, direction,
//! schema, type) → a version's `Request`; every failure on the way says which CALLERROR the
//! specification wants sent back ([`FrameError::reply`], [`RpcError`]).

mod error;
pub mod frame;
mod macros;
mod rpc;
mod schema;
pub mod tree;
pub mod v16;
pub mod v201;
mod version;
pub mod wire;

pub use error::CallErrorCode;
pub use frame::{Call, CallError, CallResult, Frame, FrameError, MessageId, Outgoing};
pub use rpc::{
    ActionSet, Initiator, MessageKind, OcppRequest, Payload, Role, RpcError, decode_call, decode_payload,
    decode_request, decode_response,
};
pub use schema::{SchemaError, SchemaRegistry, Violation};
pub use tree::Node;
pub use version::OcppVersion;

/// The longest CALLERROR description we send, in bytes (the specification allows 255
/// characters; bytes are never fewer than characters).
pub const MAX_DESCRIPTION: usize = 254;

/// A text that is not one of an enum's values (from the `FromStr` of generated enums).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a {type_name}")]
pub struct UnknownValue {
    /// The enum's name.
    pub type_name: &'static str,
    /// The text given.
    pub value: String,
}

/// `text` cut to at most `max` bytes at a character boundary.
pub(crate) fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}
