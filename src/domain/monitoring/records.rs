//! What the alarms service gives its store: an alarm to raise, and which alarms a list shows.

use crate::domain::ids::ChargerId;
use chrono::{DateTime, Utc};

/// An alarm to raise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAlarm {
    /// The pile; none for a platform alarm.
    pub charger_id: Option<ChargerId>,
    pub kind: &'static str,
    pub level: &'static str,
    pub message: String,
    pub value: Option<String>,
    pub at: DateTime<Utc>,
}

/// Which alarms a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlarmFilter {
    /// Active (raised or acknowledged, not cleared), or only cleared ones.
    pub active: Option<bool>,
    pub charger_id: Option<String>,
    pub kind: Option<String>,
    pub level: Option<String>,
}

/// What one retention round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Retained {
    pub chargers: u64,
    pub rolled_up: u64,
    /// Samples removed.
    pub deleted: u64,
    /// Monthly partitions dropped (PostgreSQL).
    pub partitions: u64,
}
