//! `[reservations]`: how long a driver may hold a connector, and what holding it costs;
//! `[membership]`: when member levels are recomputed.

use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
pub struct ReservationSettings {
    /// The longest a reservation may hold a connector (and how long one holds it when the driver
    /// does not say).
    pub max_minutes: u32,
    /// What a reservation costs, paid from the balance when reserving (fen; the setting is yuan,
    /// e.g. "5.00"): deducted from the charge when the driver charges, kept when they do not
    /// come, refunded when the operator or the pile cancels.
    #[serde(deserialize_with = "super::orders::yuan_as_fen")]
    pub fee: i64,
}

#[derive(Clone, Debug, Deserialize)]
pub struct MembershipSettings {
    /// The local time ("HH:MM") in `timezone` after which each day's recompute of member levels
    /// runs (once per cluster).
    pub recompute_at: String,
    /// The IANA zone `recompute_at` is read in.
    pub timezone: String,
}
