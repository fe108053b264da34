//! What the store is asked for and answers with: periods of one zone, and the sums and counts
//! SQL makes of each group (never the rows themselves).

use crate::domain::ledger::money::Fen;
use chrono::{DateTime, Utc};

/// What the rows of a query are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Grouping {
    /// The bucket's key: a local day.
    Bucket,
    /// The station's code.
    Station,
    /// The pile's code.
    Pile,
    /// Nothing: one row for everything (its group is `""`).
    Whole,
}

/// Where figures are taken from: every station, or one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope<'a> {
    pub grouping: Grouping,
    pub station: Option<&'a str>,
}

/// A period of one time zone: the stations whose zone is `zone` count what happened from `lo`
/// (included) to `hi` (excluded) under `key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    /// The local day (`2026-12-02`), or `""` for a whole range.
    pub key: String,
    /// An IANA zone as stations spell it.
    pub zone: String,
    pub lo: DateTime<Utc>,
    pub hi: DateTime<Utc>,
}

/// A station or pile in scope (or, grouped by day, all of one zone's) with its connectors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitRow {
    /// The station's or pile's code; `""` for all of a zone.
    pub unit: String,
    pub zone: String,
    /// Connectors that charge (1.6's connector 0, the charger as a whole, is not one).
    pub connectors: i64,
}

/// Orders made in a group: how many, by how many users, and how many of those signed up within
/// the range.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreatedRow {
    pub group: String,
    pub created: i64,
    pub active: i64,
    pub new: i64,
}

/// Orders that ended in a group: completed (with their energy and bill) and cancelled.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndedRow {
    pub group: String,
    pub completed: i64,
    pub cancelled: i64,
    pub energy_wh: i64,
    pub energy_fee_fen: Fen,
    pub service_fee_fen: Fen,
    /// The bills' totals, occupancy fees included.
    pub total_fen: Fen,
}

/// Refunds of a group's orders made in it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefundRow {
    pub group: String,
    pub refunds_fen: Fen,
}

/// Orders of a unit in one zone charging as a window opens (started before it, not ended).
#[derive(Debug, Clone, PartialEq)]
pub struct ChargingAt {
    pub unit: String,
    pub zone: String,
    pub sessions: i64,
}

/// Charging that started (or ended) in one window of a unit: how many times, and the seconds
/// from each of those instants to the window's end.
#[derive(Debug, Clone, PartialEq)]
pub struct ChargingEdges {
    pub unit: String,
    pub zone: String,
    /// The window's key.
    pub key: String,
    pub count: i64,
    pub seconds_to_end: f64,
}

/// An order charging now: its unit (as the scope's grouping names it; `""` for all of a zone),
/// its zone and when it began charging.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveRow {
    pub unit: String,
    pub zone: String,
    pub started_at: DateTime<Utc>,
}
