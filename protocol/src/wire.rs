//! How OCPP values sit on the wire, for serde: decimals as JSON numbers, untyped fields that
//! may be `null`.
//!
//! OCPP writes decimals (meter values, charging limits, prices) as JSON numbers. rust_decimal's
//! own `serde` support writes strings, and its `arbitrary_precision` route needs serde_json's
//! feature of that name for the whole build, which changes every number everywhere. Here a
//! number arrives as serde_json gives it (an integer, or an `f64`), and becomes the `Decimal`
//! that the shortest text of that `f64` spells (written by ryu, as serde_json writes floats), so
//! `230.1` is exactly `230.1`. A decimal that
//! came as a fraction keeps a scale of at least one (`10.0` stays `10.0`), and is written back as
//! a fraction; an integer is written back as an integer. So a payload round-trips unchanged.
//! Precision is that of an `f64` (15–17 significant digits), far beyond any OCPP quantity.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serializer};
use std::fmt;
use std::str::FromStr;

/// `#[serde(with = "crate::wire::decimal")]` for a required decimal.
pub mod decimal {
    use super::*;

    /// Writes `value` as a JSON integer when it has no fractional scale, else as a JSON float.
    pub fn serialize<S: Serializer>(value: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
        if value.scale() == 0
            && let Some(i) = value.to_i64()
        {
            return serializer.serialize_i64(i);
        }
        match value.to_f64() {
            Some(f) => serializer.serialize_f64(f),
            None => Err(serde::ser::Error::custom("decimal out of the range of a JSON number")),
        }
    }

    /// Reads a JSON number (integer or float) into a `Decimal`.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
        deserializer.deserialize_any(DecimalVisitor)
    }
}

/// `#[serde(with = "crate::wire::decimal_opt")]` for an optional decimal.
pub mod decimal_opt {
    use super::*;

    /// Writes `Some` as [`decimal::serialize`] does; `None` is skipped by the field's attributes.
    pub fn serialize<S: Serializer>(value: &Option<Decimal>, serializer: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(d) => decimal::serialize(d, serializer),
            None => serializer.serialize_none(),
        }
    }

    /// Reads a present JSON number; absence is the field's `default`.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Decimal>, D::Error> {
        decimal::deserialize(deserializer).map(Some)
    }
}

/// `deserialize_with` for an optional untyped field: present `null` is `Some(Value::Null)`,
/// distinct from an absent field.
pub fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<serde_json::Value>, D::Error> {
    serde_json::Value::deserialize(deserializer).map(Some)
}

struct DecimalVisitor;

impl Visitor<'_> for DecimalVisitor {
    type Value = Decimal;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON number")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Decimal, E> {
        // ryu writes the shortest text that reads back as the same f64 (as serde_json does), on
        // the stack; an integral float keeps its ".0", so it keeps a scale of one.
        let mut buffer = ryu::Buffer::new();
        let text = buffer.format_finite(v);
        let parsed = if text.contains('e') { Decimal::from_scientific(text) } else { Decimal::from_str(text) };
        let mut value = parsed.map_err(|_| E::invalid_value(de::Unexpected::Float(v), &"a number within ±7.9e28"))?;
        if value.scale() == 0 {
            value.rescale(1);
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;
    use serde::{Deserialize, Serialize};
    use serde_json::{Value, json};
    use std::str::FromStr;

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct Sample {
        #[serde(with = "super::decimal")]
        v: Decimal,
        #[serde(default, skip_serializing_if = "Option::is_none", with = "super::decimal_opt")]
        o: Option<Decimal>,
        #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "super::present")]
        any: Option<Value>,
    }

    fn round_trip(input: Value) -> Value {
        let typed: Sample = serde_json::from_value(input).unwrap();
        serde_json::to_value(&typed).unwrap()
    }

    #[test]
    fn fractions_are_read_exactly() {
        let s: Sample = serde_json::from_str(r#"{"v": 230.1, "o": 0.1}"#).unwrap();
        assert_eq!(s.v, Decimal::from_str("230.1").unwrap());
        assert_eq!(s.o, Some(Decimal::from_str("0.1").unwrap()));
    }

    #[test]
    fn integers_and_fractions_keep_their_json_form() {
        for input in [
            json!({"v": 10}),
            json!({"v": 10.0}),
            json!({"v": -3.25, "o": 0}),
            json!({"v": 1234567.891, "o": 0.000001}),
            json!({"v": 9007199254740993u64}),
            json!({"v": 1e-7, "o": 2.5e10}),
            json!({"v": -0.5, "o": 123456789012345.6}),
        ] {
            assert_eq!(round_trip(input.clone()), input);
        }
    }

    #[test]
    fn exponents_become_plain_decimals() {
        let s: Sample = serde_json::from_str(r#"{"v": 1.5e-3, "o": 2e3}"#).unwrap();
        assert_eq!(s.v, Decimal::from_str("0.0015").unwrap());
        assert_eq!(s.o, Some(Decimal::from_str("2000.0").unwrap()));
    }

    #[test]
    fn a_present_null_is_not_an_absent_field() {
        assert_eq!(round_trip(json!({"v": 1, "any": null})), json!({"v": 1, "any": null}));
        assert_eq!(round_trip(json!({"v": 1})), json!({"v": 1}));
    }

    #[test]
    fn strings_are_not_numbers() {
        assert!(serde_json::from_str::<Sample>(r#"{"v": "1.5"}"#).is_err());
    }
}
