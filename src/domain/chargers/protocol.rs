//! How a pile talks to csms: OCPP-J over a WebSocket it holds to the hub, or JSON over MQTT
//! through the broker (the MQTT link). Set when the pile is registered.

/// A pile's protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PileProtocol {
    /// OCPP 1.6J or 2.0.1 over WebSocket (the version is the connection's).
    #[default]
    Ocpp,
    /// JSON over MQTT (`pile/{pileCode}/…` topics).
    Mqtt,
}

crate::domain::stored_text::stored_text!(PileProtocol { Ocpp => "ocpp", Mqtt => "mqtt" });

impl PileProtocol {
    /// Whether `code` can stand in an MQTT topic as a pile's level and as its broker username
    /// (`deploy/mosquitto/add-pile`): 1 to 64 ASCII letters, digits, `-` and `_` (no `/`, `+`
    /// or `#`, which would change the topic or widen the ACL's pattern).
    pub fn fits_topic(code: &str) -> bool {
        (1..=64).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pile_code_fits_a_topic_level_only_without_wildcards_or_separators() {
        for fine in ["MQ-001", "pile_7"] {
            assert!(PileProtocol::fits_topic(fine), "{fine}");
        }
        for bad in ["", "a/b", "a+", "#", "a b", "桩1", "a.b"] {
            assert!(!PileProtocol::fits_topic(bad), "{bad}");
        }
    }
}
