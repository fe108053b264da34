//! OCPP-J RPC framing: CALL `[2,"id","Action",{..}]`, CALLRESULT `[3,"id",{..}]`, CALLERROR
//! `[4,"id","code","description",{..}]` — parsing that tells every fault apart and never panics,
//! and serialising straight into a buffer.

use crate::tree::{Node, Number};
use crate::{CallErrorCode, OcppVersion};
use serde::ser::{Serialize, SerializeTuple, Serializer};
use std::borrow::Cow;
use std::fmt;

/// A message id: a string of at most 36 characters, unique per sender and connection.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageId(String);

impl MessageId {
    /// The longest id the OCPP-J specification allows, in characters.
    pub const MAX_LEN: usize = 36;

    /// Checks the length of `id`.
    pub fn parse(id: impl Into<String>) -> Result<Self, InvalidMessageId> {
        let id = id.into();
        if id.len() <= Self::MAX_LEN || id.chars().count() <= Self::MAX_LEN {
            Ok(MessageId(id))
        } else {
            Err(InvalidMessageId)
        }
    }

    /// The id 2.0.1 answers with when a frame's own id cannot be read.
    pub fn unreadable() -> Self {
        MessageId("-1".to_owned())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A message id longer than [`MessageId::MAX_LEN`] characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a message id is at most 36 characters")]
pub struct InvalidMessageId;

/// The message type number, the first element of every frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageType {
    /// `2`: a request.
    Call,
    /// `3`: the answer to a request.
    CallResult,
    /// `4`: the failure of a request.
    CallError,
}

impl MessageType {
    fn from_number(n: u64) -> Option<Self> {
        match n {
            2 => Some(MessageType::Call),
            3 => Some(MessageType::CallResult),
            4 => Some(MessageType::CallError),
            _ => None,
        }
    }

    const fn arity(self) -> usize {
        match self {
            MessageType::Call => 4,
            MessageType::CallResult => 3,
            MessageType::CallError => 5,
        }
    }
}

impl fmt::Display for MessageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MessageType::Call => "CALL",
            MessageType::CallResult => "CALLRESULT",
            MessageType::CallError => "CALLERROR",
        })
    }
}

/// A request. Frames borrow from the text they were parsed from.
#[derive(Debug, Clone, PartialEq)]
pub struct Call<'a> {
    /// The id the answer will carry.
    pub id: MessageId,
    /// The action name, e.g. `BootNotification`; checked against a version's actions later.
    pub action: Cow<'a, str>,
    /// The payload, always a JSON object.
    pub payload: Node<'a>,
}

/// The answer to a request.
#[derive(Debug, Clone, PartialEq)]
pub struct CallResult<'a> {
    /// The id of the request this answers.
    pub id: MessageId,
    /// The payload, always a JSON object.
    pub payload: Node<'a>,
}

/// The failure of a request. The code is kept as spelled on the wire: a peer may send a code
/// its version does not define, and the frame layer does not know the version.
#[derive(Debug, Clone, PartialEq)]
pub struct CallError<'a> {
    /// The id of the request this answers.
    pub id: MessageId,
    /// The error code as sent.
    pub code: Cow<'a, str>,
    /// Free text; may be empty.
    pub description: Cow<'a, str>,
    /// Details, always a JSON object (often empty).
    pub details: Node<'a>,
}

impl CallError<'static> {
    /// A CALLERROR of ours, with the code spelled for `version` and the description cut to the
    /// 255 characters the specification allows.
    pub fn new(id: MessageId, code: CallErrorCode, version: OcppVersion, description: &str) -> Self {
        CallError {
            id,
            code: Cow::Borrowed(code.as_str(version)),
            description: Cow::Owned(crate::truncate(description, crate::MAX_DESCRIPTION).to_owned()),
            details: Node::empty_object(),
        }
    }
}

impl CallError<'_> {
    /// The code, read in `version`'s spelling; `None` for a code that version does not define.
    pub fn error_code(&self, version: OcppVersion) -> Option<CallErrorCode> {
        CallErrorCode::parse(version, &self.code)
    }
}

/// One OCPP-J message.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame<'a> {
    /// `[2, id, action, payload]`
    Call(Call<'a>),
    /// `[3, id, payload]`
    CallResult(CallResult<'a>),
    /// `[4, id, code, description, details]`
    CallError(CallError<'a>),
}

impl<'a> Frame<'a> {
    /// Parses a WebSocket text message.
    pub fn parse(text: &'a str) -> Result<Frame<'a>, FrameError> {
        match Node::parse(text) {
            Ok(node) => Frame::from_node(node),
            Err(e) => Err(FrameError::NotJson { reason: e.to_string(), salvaged: Salvaged::from_prefix(text) }),
        }
    }

    /// Parses a WebSocket message given as bytes (OCPP-J sends text; a binary message or invalid
    /// UTF-8 is a fault of its own).
    pub fn parse_bytes(bytes: &'a [u8]) -> Result<Frame<'a>, FrameError> {
        match std::str::from_utf8(bytes) {
            Ok(text) => Frame::parse(text),
            Err(_) => Err(FrameError::NotUtf8),
        }
    }

    /// Takes a parsed JSON value apart into a frame.
    pub fn from_node(node: Node<'a>) -> Result<Frame<'a>, FrameError> {
        let Node::Array(items) = node else {
            return Err(FrameError::NotArray);
        };
        let mut items = items.into_iter();
        let type_id = match items.next() {
            Some(Node::Number(Number::PosInt(n))) => Some(n),
            _ => None,
        };
        let id = match items.next() {
            Some(Node::String(s)) => MessageId::parse(s).ok(),
            _ => None,
        };
        let Some(type_id) = type_id else {
            return Err(FrameError::BadMessageTypeId { id });
        };
        let Some(message_type) = MessageType::from_number(type_id) else {
            return Err(FrameError::UnknownMessageType { type_id, id });
        };
        let Some(id) = id else {
            return Err(FrameError::BadMessageId { message_type });
        };
        // `items` has the elements after the id; the frame's length is 2 more.
        let len = items.len() + 2;
        if len != message_type.arity() {
            return Err(FrameError::WrongArity { message_type, id, len });
        }
        let bad = |what| FrameError::BadElement { message_type, id: id.clone(), what };
        let frame = match message_type {
            MessageType::Call => {
                let (Some(Node::String(action)), Some(payload)) = (items.next(), items.next()) else {
                    return Err(bad(BadElement::Action));
                };
                if !payload.is_object() {
                    return Err(bad(BadElement::Payload));
                }
                Frame::Call(Call { id, action, payload })
            }
            MessageType::CallResult => match items.next() {
                Some(payload) if payload.is_object() => Frame::CallResult(CallResult { id, payload }),
                _ => return Err(bad(BadElement::Payload)),
            },
            MessageType::CallError => {
                let Some(Node::String(code)) = items.next() else {
                    return Err(bad(BadElement::ErrorCode));
                };
                let Some(Node::String(description)) = items.next() else {
                    return Err(bad(BadElement::ErrorDescription));
                };
                let details = match items.next() {
                    Some(details) if details.is_object() => details,
                    _ => return Err(bad(BadElement::ErrorDetails)),
                };
                Frame::CallError(CallError { id, code, description, details })
            }
        };
        Ok(frame)
    }

    /// The frame's message id.
    pub fn id(&self) -> &MessageId {
        match self {
            Frame::Call(c) => &c.id,
            Frame::CallResult(r) => &r.id,
            Frame::CallError(e) => &e.id,
        }
    }

    /// Writes the frame as JSON text.
    pub fn to_text(&self) -> String {
        let mut out = Vec::with_capacity(128);
        self.write_to(&mut out);
        // serde_json writes UTF-8 only.
        String::from_utf8(out).unwrap_or_default()
    }

    /// Appends the frame's JSON text to `out` (reuse the buffer across frames).
    pub fn write_to(&self, out: &mut Vec<u8>) {
        let result = match self {
            Frame::Call(c) => serde_json::to_writer(
                &mut *out,
                &Outgoing::Call { id: c.id.as_str(), action: &c.action, payload: &c.payload },
            ),
            Frame::CallResult(r) => {
                serde_json::to_writer(&mut *out, &Outgoing::CallResult { id: r.id.as_str(), payload: &r.payload })
            }
            Frame::CallError(e) => {
                let frame: Outgoing<'_, ()> = Outgoing::CallError {
                    id: e.id.as_str(),
                    code: &e.code,
                    description: &e.description,
                    details: &e.details,
                };
                serde_json::to_writer(&mut *out, &frame)
            }
        };
        // Writing a tree or a string into a Vec cannot fail.
        debug_assert!(result.is_ok());
    }
}

/// A frame to send, borrowing its parts, with a payload of any serialisable type: a typed
/// request is written straight into the buffer without becoming a JSON tree first.
#[derive(Debug, Clone, Copy)]
pub enum Outgoing<'a, P> {
    /// `[2, id, action, payload]`
    Call {
        /// The message id.
        id: &'a str,
        /// The action name.
        action: &'a str,
        /// The request payload.
        payload: &'a P,
    },
    /// `[3, id, payload]`
    CallResult {
        /// The id of the request answered.
        id: &'a str,
        /// The response payload.
        payload: &'a P,
    },
    /// `[4, id, code, description, details]`
    CallError {
        /// The id of the request answered.
        id: &'a str,
        /// The code, already spelled for the version.
        code: &'a str,
        /// The description.
        description: &'a str,
        /// The details object.
        details: &'a Node<'a>,
    },
}

impl<P: Serialize> Outgoing<'_, P> {
    /// Appends the frame's JSON text to `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
        serde_json::to_writer(out, self)
    }

    /// The frame's JSON text.
    pub fn to_text(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }
}

impl<P: Serialize> Serialize for Outgoing<'_, P> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Outgoing::Call { id, action, payload } => {
                let mut t = serializer.serialize_tuple(4)?;
                t.serialize_element(&2u8)?;
                t.serialize_element(id)?;
                t.serialize_element(action)?;
                t.serialize_element(payload)?;
                t.end()
            }
            Outgoing::CallResult { id, payload } => {
                let mut t = serializer.serialize_tuple(3)?;
                t.serialize_element(&3u8)?;
                t.serialize_element(id)?;
                t.serialize_element(payload)?;
                t.end()
            }
            Outgoing::CallError { id, code, description, details } => {
                let mut t = serializer.serialize_tuple(5)?;
                t.serialize_element(&4u8)?;
                t.serialize_element(id)?;
                t.serialize_element(code)?;
                t.serialize_element(description)?;
                t.serialize_element(details)?;
                t.end()
            }
        }
    }
}

/// Which element of a frame had the wrong JSON type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadElement {
    /// The action of a CALL is not a string.
    Action,
    /// The payload is not a JSON object.
    Payload,
    /// The error code of a CALLERROR is not a string.
    ErrorCode,
    /// The error description of a CALLERROR is not a string.
    ErrorDescription,
    /// The error details of a CALLERROR are not a JSON object.
    ErrorDetails,
}

impl fmt::Display for BadElement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BadElement::Action => "action is not a string",
            BadElement::Payload => "payload is not a JSON object",
            BadElement::ErrorCode => "error code is not a string",
            BadElement::ErrorDescription => "error description is not a string",
            BadElement::ErrorDetails => "error details are not a JSON object",
        })
    }
}

/// What could be read off the start of text that is not JSON: the message type and id, so that
/// a truncated or mangled CALL can still be answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Salvaged {
    /// The message type number.
    pub type_id: u64,
    /// The message id.
    pub id: MessageId,
}

impl Salvaged {
    /// Reads `[ <number> , "<id>"` off the start of `text`; ids with escapes are not salvaged.
    fn from_prefix(text: &str) -> Option<Salvaged> {
        let rest = text.trim_start().strip_prefix('[')?.trim_start();
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let type_id = rest.get(..digits)?.parse().ok()?;
        let rest = rest[digits..].trim_start().strip_prefix(',')?.trim_start().strip_prefix('"')?;
        let end = rest.find(['"', '\\'])?;
        if rest.as_bytes()[end] != b'"' {
            return None;
        }
        let id = MessageId::parse(&rest[..end]).ok()?;
        Some(Salvaged { type_id, id })
    }
}

/// Why a message is not a frame.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FrameError {
    /// The message is not UTF-8 text.
    #[error("message is not UTF-8 text")]
    NotUtf8,
    /// The text is not JSON.
    #[error("message is not JSON: {reason}")]
    NotJson {
        /// serde_json's account of the syntax error.
        reason: String,
        /// The message type and id, if the text starts like a frame.
        salvaged: Option<Salvaged>,
    },
    /// The JSON is not an array.
    #[error("message is not a JSON array")]
    NotArray,
    /// The first element is not a non-negative integer.
    #[error("message type id is not a number")]
    BadMessageTypeId {
        /// The id, if the second element is one.
        id: Option<MessageId>,
    },
    /// The message type number is not 2, 3 or 4.
    #[error("message type {type_id} is not supported")]
    UnknownMessageType {
        /// The number received.
        type_id: u64,
        /// The id, if the second element is one.
        id: Option<MessageId>,
    },
    /// The message id is missing, not a string, or longer than 36 characters.
    #[error("{message_type} message id is missing, not a string or longer than 36 characters")]
    BadMessageId {
        /// The frame's type.
        message_type: MessageType,
    },
    /// The frame has the wrong number of elements for its type.
    #[error("{message_type} has {len} elements, expected {}", message_type.arity())]
    WrongArity {
        /// The frame's type.
        message_type: MessageType,
        /// The frame's id.
        id: MessageId,
        /// The number of elements received.
        len: usize,
    },
    /// An element has the wrong JSON type.
    #[error("{message_type} {what}")]
    BadElement {
        /// The frame's type.
        message_type: MessageType,
        /// The frame's id.
        id: MessageId,
        /// The element at fault.
        what: BadElement,
    },
}

impl FrameError {
    /// The CALLERROR the specification of `version` prescribes for this fault, or `None` when
    /// nothing may be sent: a response is never answered, OCPP 1.6 ignores unknown message types,
    /// and a 1.6 frame without a readable id cannot be answered. OCPP 2.0.1 answers a frame whose
    /// id cannot be read with id `"-1"`.
    pub fn reply(&self, version: OcppVersion) -> Option<CallError<'static>> {
        let v201 = version == OcppVersion::V201;
        let (id, code) = match self {
            FrameError::NotUtf8 | FrameError::NotArray => (None, CallErrorCode::RpcFrameworkError),
            FrameError::NotJson { salvaged: Some(s), .. } => {
                if MessageType::from_number(s.type_id) != Some(MessageType::Call) {
                    return None;
                }
                (Some(s.id.clone()), CallErrorCode::RpcFrameworkError)
            }
            FrameError::NotJson { salvaged: None, .. } => (None, CallErrorCode::RpcFrameworkError),
            FrameError::BadMessageTypeId { id } => (id.clone(), CallErrorCode::RpcFrameworkError),
            FrameError::UnknownMessageType { id, .. } => {
                if !v201 {
                    return None;
                }
                (id.clone(), CallErrorCode::MessageTypeNotSupported)
            }
            FrameError::BadMessageId { message_type } => {
                if *message_type != MessageType::Call {
                    return None;
                }
                (None, CallErrorCode::RpcFrameworkError)
            }
            FrameError::WrongArity { message_type, id, .. } => {
                if *message_type != MessageType::Call {
                    return None;
                }
                (Some(id.clone()), CallErrorCode::RpcFrameworkError)
            }
            FrameError::BadElement { message_type, id, what } => {
                if *message_type != MessageType::Call {
                    return None;
                }
                let code = match what {
                    BadElement::Payload => CallErrorCode::FormatViolation,
                    _ => CallErrorCode::RpcFrameworkError,
                };
                (Some(id.clone()), code)
            }
        };
        let id = match id {
            Some(id) => id,
            None if v201 => MessageId::unreadable(),
            None => return None,
        };
        Some(CallError::new(id, code, version, &self.to_string()))
    }
}
