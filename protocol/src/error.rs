//! CALLERROR codes, each spelled the way its OCPP version spells it.

use crate::OcppVersion;

/// The error code of a CALLERROR. One enum for both versions; [`CallErrorCode::as_str`] gives
/// the version's own spelling (1.6's `FormationViolation` and `OccurenceConstraintViolation`
/// (sic) against 2.0.1's `FormatViolation` and `OccurrenceConstraintViolation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallErrorCode {
    /// The action is not known to the receiver.
    NotImplemented,
    /// The action is recognised but not supported by the receiver.
    NotSupported,
    /// An internal error occurred and the receiver could not process the action.
    InternalError,
    /// The payload for the action is incomplete.
    ProtocolError,
    /// A security issue prevented the receiver from completing the action.
    SecurityError,
    /// The payload is syntactically incorrect or does not conform to the action's structure.
    FormatViolation,
    /// A field holds a value outside what the schema allows (enum, length, range, format).
    PropertyConstraintViolation,
    /// A required field is missing, or a list has too few or too many elements.
    OccurrenceConstraintViolation,
    /// A field holds a value of the wrong JSON type.
    TypeConstraintViolation,
    /// Any other error.
    GenericError,
    /// A message type number the receiver does not support (2.0.1 only).
    MessageTypeNotSupported,
    /// The frame is not a valid RPC message, e.g. its message id cannot be read (2.0.1 only).
    RpcFrameworkError,
}

impl CallErrorCode {
    /// Every code.
    pub const ALL: [CallErrorCode; 12] = [
        CallErrorCode::NotImplemented,
        CallErrorCode::NotSupported,
        CallErrorCode::InternalError,
        CallErrorCode::ProtocolError,
        CallErrorCode::SecurityError,
        CallErrorCode::FormatViolation,
        CallErrorCode::PropertyConstraintViolation,
        CallErrorCode::OccurrenceConstraintViolation,
        CallErrorCode::TypeConstraintViolation,
        CallErrorCode::GenericError,
        CallErrorCode::MessageTypeNotSupported,
        CallErrorCode::RpcFrameworkError,
    ];

    /// The spelling of this code in `version`. The two 2.0.1-only codes map to their nearest
    /// 1.6 code: 1.6 has no way to say either, and its chargers only know its own ten codes.
    pub const fn as_str(self, version: OcppVersion) -> &'static str {
        use CallErrorCode::*;
        match (self, version) {
            (NotImplemented, _) => "NotImplemented",
            (NotSupported, _) => "NotSupported",
            (InternalError, _) => "InternalError",
            (ProtocolError, _) => "ProtocolError",
            (SecurityError, _) => "SecurityError",
            (PropertyConstraintViolation, _) => "PropertyConstraintViolation",
            (TypeConstraintViolation, _) => "TypeConstraintViolation",
            (GenericError, _) => "GenericError",
            (FormatViolation, OcppVersion::V16) => "FormationViolation",
            (FormatViolation, OcppVersion::V201) => "FormatViolation",
            (OccurrenceConstraintViolation, OcppVersion::V16) => "OccurenceConstraintViolation",
            (OccurrenceConstraintViolation, OcppVersion::V201) => "OccurrenceConstraintViolation",
            (MessageTypeNotSupported, OcppVersion::V16) => "NotSupported",
            (MessageTypeNotSupported, OcppVersion::V201) => "MessageTypeNotSupported",
            (RpcFrameworkError, OcppVersion::V16) => "FormationViolation",
            (RpcFrameworkError, OcppVersion::V201) => "RpcFrameworkError",
        }
    }

    /// The code a peer of `version` means by `spelling`; `None` when that version has no such
    /// code (including the other version's spelling).
    pub fn parse(version: OcppVersion, spelling: &str) -> Option<Self> {
        use CallErrorCode::*;
        let code = match spelling {
            "FormationViolation" | "OccurenceConstraintViolation" if version == OcppVersion::V201 => {
                return None;
            }
            "FormatViolation" | "OccurrenceConstraintViolation" | "MessageTypeNotSupported" | "RpcFrameworkError"
                if version == OcppVersion::V16 =>
            {
                return None;
            }
            "NotImplemented" => NotImplemented,
            "NotSupported" => NotSupported,
            "InternalError" => InternalError,
            "ProtocolError" => ProtocolError,
            "SecurityError" => SecurityError,
            "FormationViolation" | "FormatViolation" => FormatViolation,
            "PropertyConstraintViolation" => PropertyConstraintViolation,
            "OccurenceConstraintViolation" | "OccurrenceConstraintViolation" => OccurrenceConstraintViolation,
            "TypeConstraintViolation" => TypeConstraintViolation,
            "GenericError" => GenericError,
            "MessageTypeNotSupported" => MessageTypeNotSupported,
            "RpcFrameworkError" => RpcFrameworkError,
            _ => return None,
        };
        Some(code)
    }
}

#[cfg(test)]
mod tests {
    use super::CallErrorCode;
    use crate::OcppVersion::{V16, V201};

    const V16_CODES: [&str; 10] = [
        "NotImplemented",
        "NotSupported",
        "InternalError",
        "ProtocolError",
        "SecurityError",
        "FormationViolation",
        "PropertyConstraintViolation",
        "OccurenceConstraintViolation",
        "TypeConstraintViolation",
        "GenericError",
    ];
    const V201_CODES: [&str; 12] = [
        "FormatViolation",
        "GenericError",
        "InternalError",
        "MessageTypeNotSupported",
        "NotImplemented",
        "NotSupported",
        "OccurrenceConstraintViolation",
        "PropertyConstraintViolation",
        "ProtocolError",
        "RpcFrameworkError",
        "SecurityError",
        "TypeConstraintViolation",
    ];

    #[test]
    fn every_code_is_written_in_the_versions_own_spelling() {
        for code in CallErrorCode::ALL {
            assert!(V16_CODES.contains(&code.as_str(V16)), "{code:?} in 1.6");
            assert!(V201_CODES.contains(&code.as_str(V201)), "{code:?} in 2.0.1");
        }
    }

    #[test]
    fn each_versions_codes_parse_and_are_written_back_unchanged() {
        for spelling in V16_CODES {
            let code = CallErrorCode::parse(V16, spelling).expect(spelling);
            assert_eq!(code.as_str(V16), spelling);
        }
        for spelling in V201_CODES {
            let code = CallErrorCode::parse(V201, spelling).expect(spelling);
            assert_eq!(code.as_str(V201), spelling);
        }
    }

    #[test]
    fn the_other_versions_spelling_is_not_a_code() {
        assert_eq!(CallErrorCode::parse(V16, "FormatViolation"), None);
        assert_eq!(CallErrorCode::parse(V16, "OccurrenceConstraintViolation"), None);
        assert_eq!(CallErrorCode::parse(V16, "RpcFrameworkError"), None);
        assert_eq!(CallErrorCode::parse(V201, "FormationViolation"), None);
        assert_eq!(CallErrorCode::parse(V201, "OccurenceConstraintViolation"), None);
        assert_eq!(CallErrorCode::parse(V201, "formatviolation"), None);
    }
}
