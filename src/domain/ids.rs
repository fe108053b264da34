//! The identifiers the domain passes around, each its own type: a charger's id, an id tag, an
//! order's and a payment's number. Each is parsed where it comes in (API paths and bodies, OCPP
//! frames, config) and never checked again inside; each is written as its text, so JSON and
//! stored columns do not change.

use std::fmt;
use std::str::FromStr;

/// A text that cannot be the identifier asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("{what} is empty")]
    Empty { what: &'static str },
    #[error("{what} is longer than {max} characters")]
    TooLong { what: &'static str, max: usize },
    #[error("{what} may not hold {found:?}")]
    Character { what: &'static str, found: char },
}

/// `text` if it is a non-empty identifier of at most `max` characters, none of them refused by
/// `refused`.
fn checked(text: &str, what: &'static str, max: usize, refused: fn(char) -> bool) -> Result<(), IdError> {
    if text.is_empty() {
        return Err(IdError::Empty { what });
    }
    if text.chars().count() > max {
        return Err(IdError::TooLong { what, max });
    }
    match text.chars().find(|c| refused(*c)) {
        Some(found) => Err(IdError::Character { what, found }),
        None => Ok(()),
    }
}

/// Declares a text identifier: its checks (`what`, the longest, the characters refused), `parse`,
/// `valid`, `FromStr`, `TryFrom<String>`, `as_str`, `Deref` and `Borrow` to `str`, `Display`,
/// comparison with a text, and serde as the bare text (reading one checks it).
macro_rules! text_id {
    ($(#[$doc:meta])* $ty:ident, $what:literal, $max:expr, $refused:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $ty(String);

        impl $ty {
            /// The longest one, in characters.
            pub const MAX_LEN: usize = $max;

            /// `text` as one, if it can be.
            pub fn parse(text: impl Into<String>) -> Result<Self, IdError> {
                let text = text.into();
                checked(&text, $what, $max, $refused)?;
                Ok($ty(text))
            }

            /// One csms made itself (see `orders::number`), which its maker keeps within the checks.
            #[allow(dead_code)] // not every kind of identifier is one csms makes
            pub(crate) fn generated(text: String) -> Self {
                debug_assert!(checked(&text, $what, $max, $refused).is_ok(), "{text:?}");
                $ty(text)
            }

            /// Whether `text` is one (without keeping it).
            pub fn valid(text: &str) -> bool {
                checked(text, $what, $max, $refused).is_ok()
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl FromStr for $ty {
            type Err = IdError;

            fn from_str(text: &str) -> Result<Self, IdError> {
                $ty::parse(text)
            }
        }

        impl TryFrom<String> for $ty {
            type Error = IdError;

            fn try_from(text: String) -> Result<Self, IdError> {
                $ty::parse(text)
            }
        }

        impl From<$ty> for String {
            fn from(id: $ty) -> String {
                id.0
            }
        }

        /// Read-only: the text, never a way to change it unchecked.
        impl std::ops::Deref for $ty {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        /// Hashes and compares as its text, so maps keyed by it are looked up by a `&str`.
        impl std::borrow::Borrow<str> for $ty {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl PartialEq<str> for $ty {
            fn eq(&self, text: &str) -> bool {
                self.0 == text
            }
        }

        impl PartialEq<&str> for $ty {
            fn eq(&self, text: &&str) -> bool {
                self.0 == *text
            }
        }

        /// Tests write identifiers as literals (a wrong one fails the test).
        #[cfg(test)]
        impl From<&str> for $ty {
            fn from(text: &str) -> Self {
                $ty::parse(text).unwrap_or_else(|e| panic!("{e}"))
            }
        }

        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $ty::parse(String::deserialize(deserializer)?).map_err(serde::de::Error::custom)
            }
        }
    };
}

/// A control character, or whitespace.
fn blank_or_control(c: char) -> bool {
    c.is_control() || c.is_whitespace()
}

text_id!(
    /// A charger's identity, the last segment of its WebSocket path (OCPP-J §3): at most 48
    /// characters (2.0.1's identifierString), no `:` (Basic auth's separator), no control
    /// characters.
    ChargerId,
    "a charger id",
    48,
    |c| c == ':' || c.is_control()
);

text_id!(
    /// A driver's id tag (1.6 idTag, 2.0.1 idToken): at most 36 characters, no control characters.
    IdTag,
    "an id tag",
    36,
    char::is_control
);

text_id!(
    /// An order's number (`O20261201…`, see `orders::number`), as drivers and operators name it.
    OrderNo,
    "an order number",
    64,
    blank_or_control
);

text_id!(
    /// A payment's number (`P20261201…`), the key providers answer and notify with.
    PaymentNo,
    "a payment number",
    64,
    blank_or_control
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_charger_id_is_what_the_websocket_path_may_name() {
        assert_eq!(ChargerId::parse("CP-001").map(|id| id.to_string()), Ok("CP-001".to_owned()));
        assert_eq!("站 1".parse::<ChargerId>().map(|id| id.into_string()), Ok("站 1".to_owned()));
        assert!(ChargerId::parse("x".repeat(48)).is_ok());
        assert_eq!(ChargerId::parse(""), Err(IdError::Empty { what: "a charger id" }));
        assert_eq!(ChargerId::parse("x".repeat(49)), Err(IdError::TooLong { what: "a charger id", max: 48 }));
        assert_eq!(ChargerId::parse("a:b"), Err(IdError::Character { what: "a charger id", found: ':' }));
        assert!(ChargerId::parse("a\nb").is_err());
    }

    #[test]
    fn tags_refuse_control_characters_and_numbers_blanks_and_both_overlong_text() {
        assert!(IdTag::parse("04A1B2C3D4").is_ok());
        assert!(IdTag::parse("x".repeat(37)).is_err());
        assert!(IdTag::parse("a\tb").is_err());
        assert!(OrderNo::parse("O20261201AB12").is_ok());
        assert!(OrderNo::try_from(" O1".to_owned()).is_err());
        assert!(PaymentNo::parse("P1").is_ok());
        assert_eq!(PaymentNo::parse("").map_err(|e| e.to_string()), Err("a payment number is empty".to_owned()));
    }

    #[test]
    fn an_identifier_is_written_and_read_as_its_bare_text_and_a_bad_one_is_not_read() {
        let no = OrderNo::parse("O1").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(serde_json::to_string(&no).ok(), Some("\"O1\"".to_owned()));
        assert_eq!(serde_json::from_str::<OrderNo>("\"O1\"").ok(), Some(no.clone()));
        assert!(serde_json::from_str::<OrderNo>("\"\"").is_err());
        assert!(no == "O1");
    }
}
