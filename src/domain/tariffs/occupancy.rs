//! The occupancy fee: a connector kept occupied after charging finished costs a fee per whole
//! minute past a grace period, up to a cap, billed as its own line.

use super::amounts::{money, money_text};
use super::{Bill, Tariff};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Minutes a connector may stay occupied for free when the tariff does not say.
pub const DEFAULT_GRACE_MINUTES: u32 = 15;

/// The occupancy fee of one session, as a bill line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OccupancyLine {
    /// Whole minutes the connector stayed occupied past the grace period.
    pub minutes: i64,
    /// Yuan per minute, as the tariff states it.
    #[serde(with = "money_text")]
    pub fee_per_minute: Decimal,
    /// `min(cap, minutes × fee_per_minute)`, rounded half-up to 0.01 yuan.
    #[serde(with = "money_text")]
    pub amount: Decimal,
    /// Whether the cap limited the amount.
    pub capped: bool,
}

impl Tariff {
    /// The occupancy fee for a connector that finished charging at `finished_at` and was freed
    /// (unplugged) at `freed_at`.
    ///
    /// `None` when the tariff has no occupancy fee, when the connector was freed within the grace
    /// period (or less than a whole minute past it), or when the fee comes to 0.00 (a zero fee
    /// or cap). Minutes past the grace are whole minutes, rounded down.
    pub fn occupancy_line(&self, finished_at: DateTime<Utc>, freed_at: DateTime<Utc>) -> Option<OccupancyLine> {
        let occupancy = self.occupancy.as_ref()?;
        let occupied = freed_at.signed_duration_since(finished_at);
        let minutes = occupied.num_seconds().div_euclid(60) - i64::from(occupancy.grace_minutes);
        if minutes <= 0 {
            return None;
        }
        let fee = Decimal::from(minutes).saturating_mul(occupancy.fee_per_minute);
        let capped = fee > occupancy.cap;
        let amount = money(fee.min(occupancy.cap));
        if amount.is_zero() {
            return None;
        }
        Some(OccupancyLine { minutes, fee_per_minute: occupancy.fee_per_minute, amount, capped })
    }
}

impl Bill {
    /// The bill with `line` as its occupancy line (replacing any earlier one) and the total
    /// recomputed: energy fees + service fees + occupancy.
    pub fn with_occupancy(mut self, line: Option<OccupancyLine>) -> Bill {
        self.occupancy = line;
        self.total = self.recomputed_total();
        self
    }
}

#[cfg(test)]
#[path = "occupancy_tests.rs"]
mod tests;
