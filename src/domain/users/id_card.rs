//! The 18-character resident identity number (GB 11643-1999): a six-digit region code, the
//! birth date `YYYYMMDD`, a three-digit sequence, and a check character (ISO 7064 MOD 11-2).
//! Checked locally before any verifier sees it; kept only masked (`3101**********1234`).

use chrono::{Datelike, NaiveDate};
use std::fmt;

/// Weights of the first 17 digits: 2^(17−i) mod 11.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// The check character for the weighted sum mod 11.
const CHECK: [u8; 11] = *b"10X98765432";
/// The first two digits of a region code: the provinces, autonomous regions and municipalities,
/// Taiwan (71), Hong Kong (81) and Macao (82).
const PROVINCES: [u8; 34] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63,
    64, 65, 71, 81, 82,
];

/// A resident identity number that passed the local check.
#[derive(Clone, PartialEq, Eq)]
pub struct ResidentId {
    /// Upper-case: the check character `x` is taken as `X`.
    number: String,
    birth: NaiveDate,
}

/// Why a resident identity number is refused, naming the part at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdCardError {
    #[error("idCard: 17 digits and a digit or X are expected")]
    Format,
    #[error("idCard: {0} is not the code of a region")]
    Region(String),
    #[error("idCard: {0} is not a birth date")]
    BirthDate(String),
    #[error("idCard: the birth date {0} is in the future")]
    FutureBirth(NaiveDate),
    #[error("idCard: the check character does not match (expected {expected})")]
    CheckDigit { expected: char },
}

impl ResidentId {
    /// Checks `text` as of `today` (the birth date may not be later).
    pub fn parse(text: &str, today: NaiveDate) -> Result<Self, IdCardError> {
        let number = text.trim().to_ascii_uppercase();
        let b = number.as_bytes();
        if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) || !(b[17].is_ascii_digit() || b[17] == b'X') {
            return Err(IdCardError::Format);
        }
        let digit = |i: usize| u32::from(b[i] - b'0');
        let province = (b[0] - b'0') * 10 + (b[1] - b'0');
        // The region's six digits: a known province, and a city and county code of its own
        // (never 00-00: that names the province itself, which no person is registered in).
        if !PROVINCES.contains(&province) || &number[2..6] == "0000" {
            return Err(IdCardError::Region(number[..6].to_owned()));
        }
        let date = &number[6..14];
        let birth = NaiveDate::parse_from_str(date, "%Y%m%d")
            .ok()
            .filter(|d| d.year() >= 1900)
            .ok_or_else(|| IdCardError::BirthDate(date.to_owned()))?;
        if birth > today {
            return Err(IdCardError::FutureBirth(birth));
        }
        let sum: u32 = WEIGHTS.iter().enumerate().map(|(i, w)| digit(i) * w).sum();
        let expected = CHECK[(sum % 11) as usize];
        if b[17] != expected {
            return Err(IdCardError::CheckDigit { expected: char::from(expected) });
        }
        Ok(ResidentId { number, birth })
    }

    /// The whole number: only for a verifier and for the keyed hash, never for an answer.
    pub fn expose(&self) -> &str {
        &self.number
    }

    /// The first four and the last four characters, the ten between masked.
    pub fn masked(&self) -> String {
        format!("{}{}{}", &self.number[..4], "*".repeat(10), &self.number[14..])
    }

    pub fn birth_date(&self) -> NaiveDate {
        self.birth
    }
}

/// Debug output never shows the whole number.
impl fmt::Debug for ResidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ResidentId").field(&self.masked()).finish()
    }
}

#[cfg(test)]
#[path = "id_card_tests.rs"]
mod tests;
