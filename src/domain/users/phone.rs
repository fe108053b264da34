//! A mainland China mobile number: `1`, then `3`–`9`, then nine digits.

use std::fmt;

/// A valid mainland mobile number.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

/// Why a text is not a mainland mobile number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("phone: {0:?} is not a mainland mobile number (1, then 3-9, then 9 digits)")]
pub struct PhoneError(pub String);

impl Phone {
    pub fn parse(text: &str) -> Result<Self, PhoneError> {
        let b = text.as_bytes();
        let valid = b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]) && b.iter().all(u8::is_ascii_digit);
        if valid { Ok(Phone(text.to_owned())) } else { Err(PhoneError(text.to_owned())) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The last four digits (a new user's nickname is `用户` and these).
    pub fn last_four(&self) -> &str {
        &self.0[7..]
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn mainland_mobile_numbers_are_taken_and_others_refused() {
        assert_eq!(Phone::parse("13800138000").map(|p| p.last_four().to_owned()), Ok("8000".into()));
        for bad in ["12800138000", "1380013800", "138001380000", "+8613800138000", "1380013800a", "", "１3800138000"] {
            assert_eq!(Phone::parse(bad), Err(PhoneError(bad.into())), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn any_1_3to9_and_nine_digits_is_a_phone(second in 3u8..=9, rest in "[0-9]{9}") {
            let text = format!("1{second}{rest}");
            prop_assert_eq!(Phone::parse(&text).map(|p| p.to_string()), Ok(text));
        }
    }
}
