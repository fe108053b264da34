//! Money, prices and energy as decimals: half-up rounding to the fen, their fixed text forms, and
//! the serde helpers that write them as strings (JSON numbers would pass through binary floats).

use rust_decimal::{Decimal, RoundingStrategy};
use std::str::FromStr;

/// Rounds to 0.01 yuan, half away from zero ("half-up" for the non-negative amounts we bill).
pub fn money(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// Money as text with exactly two decimal places, after [`money`] rounding: "12.30".
pub fn money_string(d: Decimal) -> String {
    fixed(money(d), 2)
}

/// A price per kWh as text: rounded half-up to 4 places, trailing zeros dropped down to 2 places
/// ("0.35", "0.3512", "1.00").
pub fn price_string(d: Decimal) -> String {
    let mut p = d.round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero).normalize();
    if p.is_zero() {
        p = Decimal::ZERO;
    }
    if p.scale() < 2 {
        p.rescale(2);
    }
    p.to_string()
}

/// Energy in kWh as text with exactly three places (Wh precision): "12.345".
pub fn kwh_string(d: Decimal) -> String {
    fixed(d.round_dp_with_strategy(3, RoundingStrategy::MidpointAwayFromZero), 3)
}

/// `d` (already rounded to at most `places`) with exactly `places` decimals; never "-0.00".
fn fixed(mut d: Decimal, places: u32) -> String {
    if d.is_zero() {
        d = Decimal::ZERO;
    }
    d.rescale(places);
    d.to_string()
}

/// A decimal from JSON text: plain digits with an optional leading '-' and one '.', nothing else
/// (no exponent, sign '+', separators or spaces). `None` otherwise or when out of range.
pub(super) fn parse_decimal(text: &str) -> Option<Decimal> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let well_formed = !whole.is_empty()
        && all_digits(whole)
        && all_digits(fraction)
        && (!digits.contains('.') || !fraction.is_empty());
    if !well_formed {
        return None;
    }
    Decimal::from_str(text).ok()
}

/// The Wh total as a decimal kWh with three places; saturates beyond the decimal range
/// (about 7.9·10^25 kWh), which no meter reaches.
pub(super) fn kwh_from_wh(wh: i128) -> Decimal {
    Decimal::try_from_i128_with_scale(wh, 3).unwrap_or(if wh < 0 { Decimal::MIN } else { Decimal::MAX })
}

/// The Wh total as a decimal; saturates like [`kwh_from_wh`].
pub(super) fn wh_decimal(wh: i128) -> Decimal {
    Decimal::try_from_i128_with_scale(wh, 0).unwrap_or(if wh < 0 { Decimal::MIN } else { Decimal::MAX })
}

/// The sum of `amounts`, saturating instead of panicking on overflow.
pub(super) fn sum(amounts: impl IntoIterator<Item = Decimal>) -> Decimal {
    amounts.into_iter().fold(Decimal::ZERO, Decimal::saturating_add)
}

/// A decimal read from a JSON string, for the serde helpers below.
fn from_text<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
    let text = <String as serde::Deserialize>::deserialize(deserializer)?;
    parse_decimal(&text).ok_or_else(|| serde::de::Error::custom(format!("not a decimal number: {text:?}")))
}

/// Serde for money: a string with exactly two places.
pub(super) mod money_text {
    use rust_decimal::Decimal;

    pub(in crate::domain::tariffs) fn serialize<S: serde::Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::money_string(*d))
    }

    pub(in crate::domain::tariffs) fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        super::from_text(d)
    }
}

/// Serde for prices per kWh: a string with 2 to 4 places.
pub(super) mod price_text {
    use rust_decimal::Decimal;

    pub(in crate::domain::tariffs) fn serialize<S: serde::Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::price_string(*d))
    }

    pub(in crate::domain::tariffs) fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        super::from_text(d)
    }
}

/// Serde for energy in kWh: a string with exactly three places.
pub(super) mod kwh_text {
    use rust_decimal::Decimal;

    pub(in crate::domain::tariffs) fn serialize<S: serde::Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::kwh_string(*d))
    }

    pub(in crate::domain::tariffs) fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        super::from_text(d)
    }
}

/// Serde for energy in Wh: a string of the exact value ("12345").
pub(super) mod wh_text {
    use rust_decimal::Decimal;

    pub(in crate::domain::tariffs) fn serialize<S: serde::Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&d.normalize().to_string())
    }

    pub(in crate::domain::tariffs) fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        super::from_text(d)
    }
}
