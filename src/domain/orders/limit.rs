//! A driver's target for an order — an amount, an energy, a duration or a state of charge —
//! and the station's most power and time per session, frozen onto the order when it is made (as
//! its tariff is). csms stops a session when either is reached, whatever the pile speaks; a pile
//! that can limits itself too (an OCPP TxProfile, MQTT `maxPower`/`maxTime`).

use crate::domain::ledger::money::Fen;
use crate::domain::units::Wh;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;
use std::str::FromStr;

/// What the target counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitKind {
    /// The cost so far, in fen (given in yuan).
    Amount,
    /// The energy so far, in Wh (given in kWh).
    Energy,
    /// The time since the session began, in seconds.
    Duration,
    /// The car's state of charge, in percent.
    Soc,
}

crate::domain::stored_text::stored_text!(LimitKind {
    Amount => "amount",
    Energy => "energy",
    Duration => "duration",
    Soc => "soc",
});

/// A driver's target: `value` in the kind's whole unit (fen, Wh, seconds, percent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChargeLimit {
    pub kind: LimitKind,
    pub value: i64,
}

/// The longest a duration target may be: two days.
const MAX_DURATION_S: i64 = 2 * 86_400;
/// The shortest: a minute.
const MIN_DURATION_S: i64 = 60;
/// The most energy a target may ask for: 1,000 kWh.
const MAX_ENERGY_WH: i64 = 1_000_000;
/// The most an amount target may be: 10,000.00.
const MAX_AMOUNT_FEN: i64 = 1_000_000;

impl ChargeLimit {
    /// The target a request gives: `kind`, and `value` as a JSON number or a decimal string —
    /// yuan with at most two places, kWh with at most three, whole seconds (60 s to two days),
    /// whole percent (1 to 100). The error says what is wrong, for the `limit` field.
    pub fn parse(kind: &str, value: &serde_json::Value) -> Result<Self, String> {
        let kind =
            LimitKind::parse(kind).ok_or_else(|| format!("kind {kind:?} is not amount, energy, duration or soc"))?;
        let text = match value {
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::String(s) => s.trim().to_owned(),
            other => return Err(format!("value {other} is not a number")),
        };
        let number = Decimal::from_str(&text)
            .or_else(|_| Decimal::from_scientific(&text))
            .map_err(|_| format!("value {text:?} is not a number"))?;
        let whole = |scaled: Decimal, places: &str| {
            if scaled.fract() != Decimal::ZERO {
                return Err(format!("value {text} has more than {places}"));
            }
            scaled.to_i64().ok_or_else(|| format!("value {text} is too large"))
        };
        let (value, range) = match kind {
            LimitKind::Amount => (whole(number * Decimal::ONE_HUNDRED, "two decimal places")?, (1, MAX_AMOUNT_FEN)),
            LimitKind::Energy => (whole(number * Decimal::ONE_THOUSAND, "three decimal places")?, (1, MAX_ENERGY_WH)),
            LimitKind::Duration => (whole(number, "whole seconds")?, (MIN_DURATION_S, MAX_DURATION_S)),
            LimitKind::Soc => (whole(number, "whole percent")?, (1, 100)),
        };
        if value < range.0 || value > range.1 {
            let (low, high) = (ChargeLimit { kind, value: range.0 }, ChargeLimit { kind, value: range.1 });
            return Err(format!("value {text} is not from {} to {}", low.shown(), high.shown()));
        }
        Ok(ChargeLimit { kind, value })
    }

    /// The stored target (`limit_kind`, `limit_value`), none when either is missing or unknown.
    pub fn stored(kind: Option<&str>, value: Option<i64>) -> Option<Self> {
        Some(ChargeLimit { kind: LimitKind::parse(kind?)?, value: value? })
    }

    /// The value in the unit it was given in: `"30.00"` yuan, `"12.5"` kWh, `"3600"` s, `"80"` %.
    pub fn shown(&self) -> String {
        match self.kind {
            LimitKind::Amount => Fen(self.value).to_string(),
            LimitKind::Energy => Wh(self.value).kwh_text(),
            LimitKind::Duration | LimitKind::Soc => self.value.to_string(),
        }
    }

    /// Whether `now` has reached it.
    pub fn reached(&self, now: &Progress) -> bool {
        match self.kind {
            LimitKind::Amount => now.cost.is_some_and(|cost| cost.get() >= self.value),
            LimitKind::Energy => now.energy_wh.is_some_and(|wh| wh >= self.value),
            LimitKind::Duration => now.elapsed_s >= self.value,
            LimitKind::Soc => now.soc.is_some_and(|soc| soc >= self.value),
        }
    }

    /// The session's time limit it sets, if it is a duration.
    pub fn duration_s(&self) -> Option<i64> {
        (self.kind == LimitKind::Duration).then_some(self.value)
    }
}

/// How far a session has come, as its live reading says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    pub cost: Option<Fen>,
    pub energy_wh: Option<i64>,
    pub elapsed_s: i64,
    pub soc: Option<i64>,
}

/// A target as drivers see it on their order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LimitView {
    pub kind: &'static str,
    pub value: String,
}

impl From<ChargeLimit> for LimitView {
    fn from(limit: ChargeLimit) -> Self {
        LimitView { kind: limit.kind.as_str(), value: limit.shown() }
    }
}

/// The limits a session starts with: the station's most power, and the sooner of the station's
/// most time and the driver's duration target.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionLimits {
    pub max_power_w: Option<i64>,
    pub max_time_s: Option<i64>,
}

impl SessionLimits {
    /// The limits of a session whose station allows `max_power_w` and `max_time_s` and whose
    /// driver set `target`.
    pub fn of(max_power_w: Option<i64>, max_time_s: Option<i64>, target: Option<ChargeLimit>) -> Self {
        let time = [max_time_s, target.and_then(|t| t.duration_s())].into_iter().flatten().min();
        SessionLimits { max_power_w, max_time_s: time }
    }
}

#[cfg(test)]
#[path = "limit_tests.rs"]
mod tests;
