//! The messages csms nodes send each other over Redis, as versioned JSON. Every message carries
//! the protocol version (`v`) and the sending node; a node reads only its own version and counts
//! and refuses the rest (during a rolling update nodes of two versions meet: a call it cannot read
//! is answered `refused` at once, so the caller is not left waiting for its deadline).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The version of the messages this build speaks.
pub const PROTOCOL: u32 = 1;

/// One message between nodes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    pub v: u32,
    /// The sending node.
    pub from: String,
    #[serde(flatten)]
    pub body: Body,
}

/// What a message says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Body {
    /// Send `action` to `charger`, which the receiving node holds, and answer within `timeout_ms`.
    Call { id: u64, charger: String, action: String, payload: Value, timeout_ms: u64 },
    /// The answer to call `id`.
    Answer { id: u64, answer: Answer },
    /// A connection of `charger` with epoch `epoch` took over: an older one anywhere closes.
    Takeover { charger: String, epoch: i64 },
    /// The operator changed `charger`'s registration (`Registered`, `Pending`, `Disabled`): the
    /// node holding it applies it (a disabled charger is disconnected).
    Registration { charger: String, registration: String },
    /// A user's domain event, for their streams on every node.
    UserEvent { user: i64, name: String, data: Value },
    /// An operators' feed event, for the dashboards on every node.
    OperatorEvent { name: String, data: Value },
    /// Live readings, one per charger, coalesced over a second (`charger.live`), for the nodes
    /// with a dashboard open only.
    Live { events: Vec<Value> },
}

/// How a call to a charger held by another node ended; the same outcomes as a local call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Answer {
    Answered {
        response: Value,
    },
    CallError {
        code: String,
        description: String,
    },
    Timeout,
    InvalidResponse {
        reason: String,
    },
    /// The node does not hold the charger (any more).
    Offline,
    QueueFull,
    /// The node could not read the call (another version, an action it does not know).
    Refused {
        reason: String,
    },
}

/// Why a message was not taken.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Unreadable {
    /// Another protocol version; `call` is the call's id and its sender, to refuse it.
    #[error("protocol version {version} (this node speaks {PROTOCOL})")]
    Version { version: u64, call: Option<(u64, String)> },
    #[error("not a message of protocol {PROTOCOL}: {reason}")]
    Malformed { reason: String, call: Option<(u64, String)> },
}

impl Unreadable {
    /// The call to refuse, if the message was one.
    pub fn call(&self) -> Option<&(u64, String)> {
        match self {
            Unreadable::Version { call, .. } | Unreadable::Malformed { call, .. } => call.as_ref(),
        }
    }
}

impl Envelope {
    pub fn new(from: &str, body: Body) -> Self {
        Envelope { v: PROTOCOL, from: from.to_owned(), body }
    }

    /// The message as sent.
    pub fn encode(&self) -> String {
        // A struct of strings, numbers and JSON values always serialises.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a message of this protocol version.
    pub fn decode(text: &str) -> Result<Envelope, Unreadable> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| Unreadable::Malformed { reason: e.to_string(), call: None })?;
        // Whatever the version, a call names its id and sender the same way: it can be refused.
        let call = (value["kind"] == "call")
            .then(|| Some((value["id"].as_u64()?, value["from"].as_str()?.to_owned())))
            .flatten();
        match value["v"].as_u64() {
            Some(v) if v == u64::from(PROTOCOL) => {}
            Some(version) => return Err(Unreadable::Version { version, call }),
            None => return Err(Unreadable::Malformed { reason: "no version".into(), call }),
        }
        serde_json::from_value(value).map_err(|e| Unreadable::Malformed { reason: e.to_string(), call })
    }

    /// The kind, for counting.
    pub fn kind(&self) -> &'static str {
        match self.body {
            Body::Call { .. } => "call",
            Body::Answer { .. } => "answer",
            Body::Takeover { .. } => "takeover",
            Body::Registration { .. } => "registration",
            Body::UserEvent { .. } => "user_event",
            Body::OperatorEvent { .. } => "operator_event",
            Body::Live { .. } => "live",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_message_reads_back_as_it_was_sent() {
        let call = Envelope::new(
            "node-a",
            Body::Call {
                id: 7,
                charger: "CP-1".into(),
                action: "Reset".into(),
                payload: json!({"type": "Soft"}),
                timeout_ms: 30_000,
            },
        );
        assert_eq!(Envelope::decode(&call.encode()), Ok(call));
        let answer = Envelope::new(
            "node-b",
            Body::Answer { id: 7, answer: Answer::CallError { code: "NotSupported".into(), description: "no".into() } },
        );
        assert_eq!(Envelope::decode(&answer.encode()), Ok(answer));
    }

    #[test]
    fn the_wire_spells_version_sender_kind_and_outcome() {
        let answer = Envelope::new("a", Body::Answer { id: 1, answer: Answer::Offline });
        let wire: Value = serde_json::from_str(&answer.encode()).unwrap();
        assert_eq!(wire, json!({"v": 1, "from": "a", "kind": "answer", "id": 1, "answer": {"outcome": "offline"}}));
    }

    #[test]
    fn a_call_of_another_version_is_refused_with_its_id_and_sender() {
        let newer = json!({"v": 2, "from": "node-new", "kind": "call", "id": 9, "charger": "CP-1", "shape": "new"});
        let refused = Envelope::decode(&newer.to_string()).unwrap_err();
        assert!(matches!(refused, Unreadable::Version { version: 2, .. }));
        assert_eq!(refused.call(), Some(&(9, "node-new".to_owned())));
    }

    #[test]
    fn an_unknown_kind_or_garbage_is_malformed_not_a_panic() {
        let unknown = json!({"v": 1, "from": "a", "kind": "teleport"});
        assert!(matches!(Envelope::decode(&unknown.to_string()), Err(Unreadable::Malformed { call: None, .. })));
        assert!(Envelope::decode("{not json").is_err());
        let no_version = json!({"from": "a", "kind": "call", "id": 3});
        assert_eq!(Envelope::decode(&no_version.to_string()).unwrap_err().call(), Some(&(3, "a".to_owned())));
    }
}
