//! `[orders]`: how long an order holds its pile and waits for its charger, how often orders are
//! looked after, and how sessions are metered and billed (the location billed, the bill that
//! needs an operator's review, how long a bill's evidence is kept).

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};
use std::str::FromStr;
use std::time::Duration;

#[derive(Clone, Debug, Deserialize)]
pub struct OrderSettings {
    /// How long an order holds its pile before it starts; unstarted, it cancels itself then.
    pub lock_minutes: u64,
    /// How long a remote start may wait for the charger's start before the order fails.
    pub start_timeout_s: u64,
    /// How long a stop sent to an MQTT pile may wait for its `charging/finished` before the
    /// order completes from the pile's last status.
    pub stop_timeout_s: u64,
    /// How often live orders are looked after (timeouts, running cost, stops for money).
    pub sweep_interval_ms: u64,
    /// The least time between two CostUpdated sent to a 2.0.1 charger for one order.
    pub cost_update_interval_s: u64,
    /// A session no order follows after this long is adopted by the sweep (its start event was
    /// lost); also how often the sweep looks for such sessions.
    pub adopt_after_s: u64,
    /// The measurement location whose energy register is billed (OCPP `location`, `Outlet`
    /// unless a charger says otherwise); readings from elsewhere are anomalies.
    pub billed_location: String,
    /// A bill above this goes to an operator's review instead of being taken (fen; the setting
    /// is yuan, e.g. "500.00").
    #[serde(deserialize_with = "yuan_as_fen")]
    pub review_above: i64,
    /// What a driver's postpaid and card sessions may run up beyond their balance, all together
    /// (fen; the setting is yuan, e.g. "0.00").
    #[serde(deserialize_with = "yuan_as_fen")]
    pub postpaid_credit: i64,
    /// The samples a bill was computed from are kept this long after it (a dispute's window);
    /// retention rolls up only older ones.
    pub evidence_days: u32,
}

impl OrderSettings {
    pub fn lock(&self) -> Duration {
        Duration::from_secs(self.lock_minutes.saturating_mul(60))
    }

    pub fn start_timeout(&self) -> Duration {
        Duration::from_secs(self.start_timeout_s)
    }

    pub fn stop_timeout(&self) -> Duration {
        Duration::from_secs(self.stop_timeout_s)
    }

    pub fn sweep_interval(&self) -> Duration {
        Duration::from_millis(self.sweep_interval_ms.max(10))
    }

    pub fn cost_update_interval(&self) -> Duration {
        Duration::from_secs(self.cost_update_interval_s)
    }

    pub fn adopt_after(&self) -> Duration {
        Duration::from_secs(self.adopt_after_s.max(1))
    }
}

/// An amount in yuan with at most two places ("500.00", or a number), as whole fen.
pub(super) fn yuan_as_fen<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Amount {
        Text(String),
        Number(f64),
    }
    let text = match Amount::deserialize(deserializer)? {
        Amount::Text(text) => text,
        Amount::Number(number) => number.to_string(),
    };
    let invalid = || serde::de::Error::custom(format!("{text:?} is not an amount of yuan such as \"500.00\""));
    let yuan = Decimal::from_str(text.trim()).map_err(|_| invalid())?;
    let fen = (yuan * Decimal::ONE_HUNDRED).normalize();
    if fen.scale() > 0 || fen.is_sign_negative() {
        return Err(invalid());
    }
    i64::try_from(fen).map_err(|_| invalid())
}
