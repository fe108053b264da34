//! Amounts of money: `Decimal` yuan in the business, whole fen (`Fen`, an `i64`) in the database,
//! decimal strings with two places (`"12.30"`) in JSON.

use crate::domain::units::whole_unit;
use rust_decimal::Decimal;
use std::str::FromStr;

/// An amount that cannot be money here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("{field}: not a decimal amount such as \"12.30\"")]
    NotDecimal { field: &'static str },
    #[error("{field}: at most two decimal places (whole fen)")]
    TooPrecise { field: &'static str },
    #[error("{field}: must be more than zero")]
    NotPositive { field: &'static str },
    #[error("{field}: too large")]
    TooLarge { field: &'static str },
}

/// The largest amount taken in one request: 1,000,000.00 yuan.
pub const MAX_FEN: i64 = 100_000_000;

/// `amount` in whole fen; refused when it has fractions of a fen or does not fit.
pub fn to_fen(amount: Decimal, field: &'static str) -> Result<Fen, MoneyError> {
    let normal = amount.normalize();
    if normal.scale() > 2 {
        return Err(MoneyError::TooPrecise { field });
    }
    let fen = normal.checked_mul(Decimal::ONE_HUNDRED).ok_or(MoneyError::TooLarge { field })?;
    i64::try_from(fen).map(Fen).map_err(|_| MoneyError::TooLarge { field })
}

/// `fen` as yuan with two places.
pub fn from_fen(fen: i64) -> Decimal {
    Decimal::new(fen, 2)
}

/// `fen` as the JSON string: `"12.30"`, `"-0.05"`.
pub fn fen_string(fen: i64) -> String {
    Fen(fen).to_string()
}

/// An amount of money in whole fen (a hundredth of a yuan), as the database keeps it: an
/// integer, never a float. Sums and differences are checked (`None` when they overflow); shown
/// as yuan with two places (`12.30`, `-0.05`). Written and read as the bare integer of fen, as
/// the records holding it had it before (the API shows yuan through its own views).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Fen(pub i64);

whole_unit!(Fen);

impl Fen {
    /// The amount in yuan, exactly.
    pub fn yuan(self) -> Decimal {
        from_fen(self.0)
    }

    /// `−self`, none for the one amount whose negation does not fit (`i64::MIN` fen).
    pub const fn checked_neg(self) -> Option<Fen> {
        match self.0.checked_neg() {
            Some(negated) => Some(Fen(negated)),
            None => None,
        }
    }

    /// `self + other`, held at the bounds of `i64` instead of overflowing (for limits compared
    /// against, never for an amount stored).
    pub const fn saturating_add(self, other: Fen) -> Fen {
        Fen(self.0.saturating_add(other.0))
    }

    /// `self − other`, held at the bounds of `i64` instead of overflowing (for amounts each far
    /// inside them: an order's or a payment's, bounded by what was paid).
    pub const fn saturating_sub(self, other: Fen) -> Fen {
        Fen(self.0.saturating_sub(other.0))
    }

    /// More than zero.
    pub const fn is_positive(self) -> bool {
        self.0 > 0
    }
}

impl std::fmt::Display for Fen {
    /// Yuan with two places, from the integer alone (no float, no rounding).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let fen = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", fen / 100, fen % 100)
    }
}

/// A positive amount from a request (`"12.30"`, or a JSON number): whole fen, at most
/// 1,000,000.00.
pub fn parse_positive(text: &str, field: &'static str) -> Result<Fen, MoneyError> {
    let fen = parse_signed(text, field)?;
    if !fen.is_positive() {
        return Err(MoneyError::NotPositive { field });
    }
    Ok(fen)
}

/// A non-zero amount that may be negative (an operator's debit), at most 1,000,000.00 either way.
pub fn parse_signed(text: &str, field: &'static str) -> Result<Fen, MoneyError> {
    let text = text.trim();
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "0"));
    let plain = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    if !plain(whole) || !plain(fraction) {
        return Err(MoneyError::NotDecimal { field });
    }
    let amount = Decimal::from_str(text).map_err(|_| MoneyError::NotDecimal { field })?;
    let fen = to_fen(amount, field)?;
    if fen == Fen::ZERO {
        return Err(MoneyError::NotPositive { field });
    }
    if fen.get().unsigned_abs() > MAX_FEN.unsigned_abs() {
        return Err(MoneyError::TooLarge { field });
    }
    Ok(fen)
}

/// An amount in a JSON body: a decimal string (`"12.30"`) or a number (`12.3`), read as text so
/// that no binary fraction creeps in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmountText(pub String);

impl<'de> serde::Deserialize<'de> for AmountText {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(deserializer)? {
            serde_json::Value::String(text) => Ok(AmountText(text)),
            serde_json::Value::Number(number) => Ok(AmountText(number.to_string())),
            _ => Err(serde::de::Error::custom("an amount is a decimal string such as \"12.30\"")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn amounts_in_yuan_become_whole_fen_and_back() {
        assert_eq!(parse_positive("12.30", "amount"), Ok(Fen(1230)));
        assert_eq!(parse_positive("12.3", "amount"), Ok(Fen(1230)));
        assert_eq!(parse_positive("0.01", "amount"), Ok(Fen(1)));
        assert_eq!(parse_signed("-5", "amount"), Ok(Fen(-500)));
        assert_eq!(fen_string(1230), "12.30");
        assert_eq!(fen_string(-5), "-0.05");
        assert_eq!(fen_string(0), "0.00");
    }

    #[test]
    fn fractions_of_a_fen_zero_and_nonsense_are_refused_naming_the_field() {
        assert_eq!(parse_positive("0.001", "amount"), Err(MoneyError::TooPrecise { field: "amount" }));
        assert_eq!(parse_positive("0", "amount"), Err(MoneyError::NotPositive { field: "amount" }));
        assert_eq!(parse_positive("-1", "amount"), Err(MoneyError::NotPositive { field: "amount" }));
        for nonsense in ["1e3", "", ".5", "1.", "+1", "1_000", "0x10", "1 2"] {
            assert_eq!(
                parse_positive(nonsense, "amount"),
                Err(MoneyError::NotDecimal { field: "amount" }),
                "{nonsense}"
            );
        }
        assert_eq!(parse_positive("1000000.01", "amount"), Err(MoneyError::TooLarge { field: "amount" }));
        assert!(parse_positive("abc", "prepayAmount").unwrap_err().to_string().starts_with("prepayAmount:"));
    }

    #[test]
    fn fen_show_as_yuan_with_two_places() {
        assert_eq!(Fen(1230).to_string(), "12.30");
        assert_eq!(Fen(7).to_string(), "0.07");
        assert_eq!(Fen(-5).to_string(), "-0.05");
        assert_eq!(Fen::ZERO.to_string(), "0.00");
        assert_eq!(Fen(i64::MIN).to_string(), "-92233720368547758.08");
        assert_eq!(Fen(1230).yuan(), Decimal::new(123, 1));
    }

    #[test]
    fn fen_sums_and_differences_that_overflow_are_none() {
        assert_eq!(Fen(500).checked_add(Fen(730)), Some(Fen(1230)));
        assert_eq!(Fen(500).checked_sub(Fen(730)), Some(Fen(-230)));
        assert_eq!(Fen(i64::MAX).checked_add(Fen(1)), None);
        assert_eq!(Fen(i64::MIN).checked_sub(Fen(1)), None);
    }

    #[test]
    fn fen_negate_saturate_and_say_whether_they_are_positive() {
        assert_eq!(Fen(1230).checked_neg(), Some(Fen(-1230)));
        assert_eq!(Fen(i64::MIN).checked_neg(), None);
        assert_eq!(Fen(i64::MAX).saturating_add(Fen(1)), Fen(i64::MAX));
        assert_eq!(Fen(5).saturating_add(Fen(-7)), Fen(-2));
        assert_eq!(Fen(i64::MIN).saturating_sub(Fen(1)), Fen(i64::MIN));
        assert_eq!(Fen::ZERO.saturating_sub(Fen(7)), Fen(-7));
        assert!(Fen(1).is_positive() && !Fen::ZERO.is_positive() && !Fen(-1).is_positive());
        assert_eq!(Fen(3).min(Fen(5)).max(Fen::ZERO), Fen(3));
    }

    #[test]
    fn fen_are_written_and_read_as_the_bare_integer() {
        assert_eq!(serde_json::to_string(&Fen(1230)).ok(), Some("1230".to_owned()));
        assert_eq!(serde_json::to_string(&Some(Fen(-5))).ok(), Some("-5".to_owned()));
        assert_eq!(serde_json::from_str::<Fen>("1230").ok(), Some(Fen(1230)));
    }

    proptest! {
        #[test]
        fn fen_show_as_the_exact_decimal_of_yuan_does(fen in any::<i64>()) {
            prop_assert_eq!(Fen(fen).to_string(), Decimal::new(fen, 2).to_string());
        }

        #[test]
        fn whole_fen_survive_the_round_trip_through_text(fen in -MAX_FEN..=MAX_FEN) {
            prop_assume!(fen != 0);
            prop_assert_eq!(parse_signed(&fen_string(fen), "amount"), Ok(Fen(fen)));
            prop_assert_eq!(to_fen(from_fen(fen), "amount"), Ok(Fen(fen)));
        }
    }
}
