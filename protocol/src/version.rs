//! OCPP versions, their WebSocket subprotocol names, and negotiation from a client's offer.

use std::fmt;

/// An OCPP version this crate speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OcppVersion {
    /// OCPP 1.6J (with the Security Whitepaper extension), subprotocol `ocpp1.6`.
    V16,
    /// OCPP 2.0.1, subprotocol `ocpp2.0.1`.
    V201,
}

impl OcppVersion {
    /// Every supported version, newest first: the server's default preference.
    pub const ALL: [OcppVersion; 2] = [OcppVersion::V201, OcppVersion::V16];

    /// The `Sec-WebSocket-Protocol` token of this version.
    pub const fn subprotocol(self) -> &'static str {
        match self {
            OcppVersion::V16 => "ocpp1.6",
            OcppVersion::V201 => "ocpp2.0.1",
        }
    }

    /// The version a subprotocol token names (tokens are case-sensitive, RFC 6455 §4.1).
    pub fn from_subprotocol(token: &str) -> Option<Self> {
        match token {
            "ocpp1.6" => Some(OcppVersion::V16),
            "ocpp2.0.1" => Some(OcppVersion::V201),
            _ => None,
        }
    }

    /// Picks the first version of `preference` that the client offered in its
    /// `Sec-WebSocket-Protocol` header (a comma-separated list, possibly over several headers).
    /// `None` when there is no common version: the spec then completes the handshake without a
    /// subprotocol and closes the connection.
    pub fn negotiate<'a>(offered: impl IntoIterator<Item = &'a str>, preference: &[OcppVersion]) -> Option<Self> {
        let offered: Vec<OcppVersion> = offered
            .into_iter()
            .flat_map(|header| header.split(','))
            .filter_map(|token| OcppVersion::from_subprotocol(token.trim()))
            .collect();
        preference.iter().copied().find(|v| offered.contains(v))
    }
}

impl fmt::Display for OcppVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OcppVersion::V16 => "1.6",
            OcppVersion::V201 => "2.0.1",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::OcppVersion::{self, V16, V201};

    #[test]
    fn the_servers_preference_wins_over_the_clients_order() {
        assert_eq!(OcppVersion::negotiate(["ocpp1.6, ocpp2.0.1"], &[V201, V16]), Some(V201));
        assert_eq!(OcppVersion::negotiate(["ocpp2.0.1", "ocpp1.6"], &[V16, V201]), Some(V16));
    }

    #[test]
    fn a_version_the_server_does_not_prefer_is_never_chosen() {
        assert_eq!(OcppVersion::negotiate(["ocpp2.0.1"], &[V16]), None);
    }

    #[test]
    fn unknown_and_differently_cased_tokens_are_ignored() {
        assert_eq!(OcppVersion::negotiate(["ocpp1.5, OCPP1.6,  ocpp1.6 "], &OcppVersion::ALL), Some(V16));
        assert_eq!(OcppVersion::negotiate(["ocpp2.1", ""], &OcppVersion::ALL), None);
        assert_eq!(OcppVersion::negotiate([], &OcppVersion::ALL), None);
    }

    #[test]
    fn subprotocol_names_round_trip() {
        for v in OcppVersion::ALL {
            assert_eq!(OcppVersion::from_subprotocol(v.subprotocol()), Some(v));
        }
    }
}
