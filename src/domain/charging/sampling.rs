//! Sampled values in normalised units.

use rust_decimal::Decimal;
use std::str::FromStr;

/// The largest power of ten a 2.0.1 `multiplier` may state, either way: a decimal holds 28
/// fractional digits and magnitudes below 2^96 (about 7.9·10^28), so no value scaled further could
/// be stored as the charger meant it. Beyond it the message is refused, not stored.
pub const MAX_MULTIPLIER: i32 = 28;

/// Why a sampled value cannot be held in base units.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnitError {
    /// A `multiplier` beyond ±[`MAX_MULTIPLIER`].
    #[error("{0} is outside -28..=28")]
    Multiplier(i32),
    /// The value in base units (`value` × 10^`exponent`) is beyond what a decimal holds.
    #[error("{value} times 10^{exponent} in base units is too large to store")]
    TooLarge { value: String, exponent: i32 },
}

impl UnitError {
    /// The field of the sampled value at fault, as the charger's message names it relative to
    /// the sampled value (2.0.1 nests the multiplier in `unitOfMeasure`).
    pub fn field(&self) -> &'static str {
        match self {
            UnitError::Multiplier(_) => "unitOfMeasure.multiplier",
            UnitError::TooLarge { .. } => "value",
        }
    }
}

/// A sampled value in normalised units: kilo-units become base units (kWh → Wh, kW → W,
/// kvarh → varh, kvar → var, kVA → VA), 1.6's `Hertz` (errata v4.0) becomes `Hz` (2.0.1's
/// spelling), 2.0.1's power-of-ten `multiplier` is applied, and the value is exact decimal text
/// (rounded only beyond 28 decimal places). A value that is not a number (1.6 `SignedData`) is
/// kept as sent. A multiplier beyond ±[`MAX_MULTIPLIER`] or a value too large in base units is an
/// error.
pub fn normalise(value: &str, unit: &str, multiplier: i32) -> Result<(String, String), UnitError> {
    if !(-MAX_MULTIPLIER..=MAX_MULTIPLIER).contains(&multiplier) {
        return Err(UnitError::Multiplier(multiplier));
    }
    let (base, kilo) = match unit {
        "kWh" => ("Wh", true),
        "kW" => ("W", true),
        "kvarh" => ("varh", true),
        "kvar" => ("var", true),
        "kVA" => ("VA", true),
        "Hertz" => ("Hz", false),
        other => (other, false),
    };
    let Ok(number) = Decimal::from_str(value.trim()) else {
        return Ok((value.to_owned(), unit.to_owned()));
    };
    // The multiplier is within ±28 by now: this is within ±31 and cannot overflow.
    let exponent = multiplier + if kilo { 3 } else { 0 };
    let Some(number) = times_ten_to(number, exponent) else {
        return Err(UnitError::TooLarge { value: value.trim().to_owned(), exponent });
    };
    Ok((number.normalize().to_string(), base.to_owned()))
}

/// `number` × 10^`exponent`, in at most two steps of up to 28 (a decimal holds 10^28, not 10^29);
/// `None` when the result is too large for a decimal. Digits beyond the 28th decimal place are
/// rounded away.
fn times_ten_to(mut number: Decimal, exponent: i32) -> Option<Decimal> {
    let mut left = exponent;
    while left != 0 {
        let step = left.clamp(-MAX_MULTIPLIER, MAX_MULTIPLIER);
        let factor = if step > 0 {
            Decimal::try_from_i128_with_scale(10i128.checked_pow(step.unsigned_abs())?, 0).ok()?
        } else {
            Decimal::try_new(1, step.unsigned_abs()).ok()?
        };
        number = number.checked_mul(factor)?;
        left -= step;
    }
    Some(number)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(value: &str, unit: &str) -> Result<(String, String), UnitError> {
        Ok((value.to_owned(), unit.to_owned()))
    }

    #[test]
    fn kilo_units_become_base_units_exactly() {
        assert_eq!(normalise("12.345", "kWh", 0), ok("12345", "Wh"));
        assert_eq!(normalise("7.4", "kW", 0), ok("7400", "W"));
        assert_eq!(normalise("0.0001", "kWh", 0), ok("0.1", "Wh"));
        assert_eq!(normalise("231.20", "V", 0), ok("231.2", "V"));
    }

    #[test]
    fn the_201_multiplier_is_applied() {
        assert_eq!(normalise("12.5", "Wh", 3), ok("12500", "Wh"));
        assert_eq!(normalise("12.5", "kWh", -3), ok("12.5", "Wh"));
        assert_eq!(normalise("1234", "A", -2), ok("12.34", "A"));
    }

    #[test]
    fn a_value_that_is_not_a_number_is_kept_as_sent() {
        assert_eq!(normalise("3a7f0c...", "kWh", 0), ok("3a7f0c...", "kWh"));
    }

    #[test]
    fn frequency_in_16_hertz_is_stored_in_hz_like_201s() {
        assert_eq!(normalise("49.980", "Hertz", 0), ok("49.98", "Hz"));
        assert_eq!(normalise("5", "Hz", 1), ok("50", "Hz"));
    }

    #[test]
    fn a_multiplier_of_28_either_way_is_applied_exactly() {
        assert_eq!(normalise("1", "A", 28), ok("10000000000000000000000000000", "A"));
        assert_eq!(normalise("1", "A", -28), ok("0.0000000000000000000000000001", "A"));
        // kilo adds three: 10^31 in two steps, and 10^25 in one.
        assert_eq!(normalise("0.001", "kWh", 28), ok("10000000000000000000000000000", "Wh"));
        assert_eq!(normalise("0", "kWh", 28), ok("0", "Wh"));
        assert_eq!(normalise("1", "kWh", -28), ok("0.0000000000000000000000001", "Wh"));
    }

    #[test]
    fn a_multiplier_beyond_28_either_way_is_refused_without_overflowing() {
        for multiplier in [29, -29, i32::MAX, i32::MIN, i32::MAX - 2] {
            assert_eq!(normalise("1", "kWh", multiplier), Err(UnitError::Multiplier(multiplier)));
            assert_eq!(normalise("1", "A", multiplier), Err(UnitError::Multiplier(multiplier)));
        }
        assert_eq!(UnitError::Multiplier(i32::MAX).to_string(), "2147483647 is outside -28..=28");
        assert_eq!(UnitError::Multiplier(i32::MAX).field(), "unitOfMeasure.multiplier");
    }

    #[test]
    fn a_value_too_large_in_base_units_is_refused_not_stored_unscaled() {
        let too_large = |value: &str, exponent| Err(UnitError::TooLarge { value: value.to_owned(), exponent });
        assert_eq!(normalise("1", "kWh", 28), too_large("1", 31));
        assert_eq!(normalise("8", "Wh", 28), too_large("8", 28));
        // The largest decimal, in kWh (1.6 has no multiplier).
        assert_eq!(normalise("79228162514264337593543950335", "kWh", 0), too_large("79228162514264337593543950335", 3));
        assert_eq!(normalise("-100000000000000000000000000", "kW", 0), too_large("-100000000000000000000000000", 3));
        assert_eq!(UnitError::TooLarge { value: "1".into(), exponent: 31 }.field(), "value");
    }
}
