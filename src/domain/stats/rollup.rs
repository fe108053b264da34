//! Daily rollups: what one order, or one refund, adds to its pile's local days — the same
//! figures `mod.rs` describes, cut by the days of the zone of the station the pile stands in.
//! The catch-up (`counting`) adds an order's figures after a change and takes away those it
//! counted before, so that the rollups equal a recomputation from the orders once caught up.

use super::days::day_start;
use crate::domain::ids::ChargerId;
use crate::domain::ledger::money::Fen;
use crate::domain::orders::OrderStatus;
use crate::domain::units::Wh;
use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono_tz::Tz;
use std::collections::{BTreeMap, BTreeSet};

/// What one pile counted on one local day. Charging is in microseconds, of charging that has
/// ended (charging still going is counted when asked, up to then).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DayFigures {
    pub created: i64,
    pub completed: i64,
    pub cancelled: i64,
    pub energy_wh: i64,
    pub energy_fee_fen: i64,
    pub service_fee_fen: i64,
    pub total_fen: i64,
    pub refunds_fen: i64,
    pub charging_us: i64,
}

impl DayFigures {
    /// Each figure as a list, in the order of `COLUMNS`.
    pub fn values(&self) -> [i64; 9] {
        [
            self.created,
            self.completed,
            self.cancelled,
            self.energy_wh,
            self.energy_fee_fen,
            self.service_fee_fen,
            self.total_fen,
            self.refunds_fen,
            self.charging_us,
        ]
    }

    /// Adds `other` times `sign` (1 or -1).
    pub fn add(&mut self, other: &DayFigures, sign: i64) {
        let mut sums = self.values();
        for (sum, value) in sums.iter_mut().zip(other.values()) {
            *sum += sign * value;
        }
        *self = DayFigures::from_values(sums);
    }

    pub fn from_values(v: [i64; 9]) -> Self {
        let [
            created,
            completed,
            cancelled,
            energy_wh,
            energy_fee_fen,
            service_fee_fen,
            total_fen,
            refunds_fen,
            charging_us,
        ] = v;
        DayFigures {
            created,
            completed,
            cancelled,
            energy_wh,
            energy_fee_fen,
            service_fee_fen,
            total_fen,
            refunds_fen,
            charging_us,
        }
    }

    pub fn is_zero(&self) -> bool {
        self.values().iter().all(|v| *v == 0)
    }
}

/// The columns of `DayFigures`, as stored.
pub const COLUMNS: [&str; 9] = [
    "created",
    "completed",
    "cancelled",
    "energy_wh",
    "energy_fee_fen",
    "service_fee_fen",
    "total_fen",
    "refunds_fen",
    "charging_us",
];

/// What of an order the statistics count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderFacts {
    pub charger_id: ChargerId,
    pub user_id: i64,
    pub created_at: DateTime<Utc>,
    pub status: OrderStatus,
    pub completed_at: Option<DateTime<Utc>>,
    pub energy_wh: Option<Wh>,
    pub energy_fee_fen: Option<Fen>,
    pub service_fee_fen: Option<Fen>,
    pub total_fen: Option<Fen>,
    pub started_at: Option<DateTime<Utc>>,
    pub charging_ended_at: Option<DateTime<Utc>>,
}

/// What of an order its figures depend on, whatever the zone.
type Counted<'a> = (
    &'a str,
    i64,
    DateTime<Utc>,
    Option<(OrderStatus, DateTime<Utc>)>,
    Option<[Option<i64>; 4]>,
    Option<(DateTime<Utc>, DateTime<Utc>)>,
);

impl OrderFacts {
    /// What its figures depend on: two orders equal in it count the same in any zone.
    pub fn counted(&self) -> Counted<'_> {
        let ended =
            self.completed_at.filter(|_| matches!(self.status, OrderStatus::Completed | OrderStatus::Cancelled));
        let bill = (self.status == OrderStatus::Completed && ended.is_some()).then_some([
            self.energy_wh.map(Wh::get),
            self.energy_fee_fen.map(Fen::get),
            self.service_fee_fen.map(Fen::get),
            self.total_fen.map(Fen::get),
        ]);
        let charging = self.started_at.zip(self.charging_ended_at).filter(|(from, to)| to > from);
        (&self.charger_id, self.user_id, self.created_at, ended.map(|at| (self.status, at)), bill, charging)
    }
}

/// The local day of `zone` that `at` falls in: the day whose start (`day_start`) is at or before
/// it and whose next day's start is after it — so that rollups cut days where queries do.
pub fn local_day(at: DateTime<Utc>, zone: Tz) -> NaiveDate {
    let mut day = at.with_timezone(&zone).date_naive();
    // Where a clock goes back across midnight, the calendar date and the day's bounds differ.
    for _ in 0..3 {
        if at < day_start(day, zone) {
            day = day.pred_opt().unwrap_or(day);
        } else if day.succ_opt().is_some_and(|next| at >= day_start(next, zone)) {
            day = day.succ_opt().unwrap_or(day);
        } else {
            break;
        }
    }
    day
}

/// The microseconds of charging from `from` to `to` on each local day of `zone` it spans.
pub fn charging_by_day(from: DateTime<Utc>, to: DateTime<Utc>, zone: Tz) -> Vec<(NaiveDate, i64)> {
    let mut spans = Vec::new();
    if to <= from {
        return spans;
    }
    let mut day = local_day(from, zone);
    let mut lo = from;
    while lo < to {
        let Some(next) = day.checked_add_days(Days::new(1)) else { break };
        let hi = day_start(next, zone).min(to);
        if hi > lo {
            spans.push((day, (hi - lo).num_microseconds().unwrap_or(i64::MAX)));
        }
        (day, lo) = (next, hi.max(lo));
    }
    spans
}

/// What `order` adds to its pile's days in `zone`.
pub fn order_days(order: &OrderFacts, zone: Tz) -> Vec<(NaiveDate, DayFigures)> {
    let mut days = vec![(local_day(order.created_at, zone), DayFigures { created: 1, ..Default::default() })];
    if let Some(done) = order.completed_at {
        let day = local_day(done, zone);
        match order.status {
            OrderStatus::Completed => days.push((
                day,
                DayFigures {
                    completed: 1,
                    energy_wh: order.energy_wh.map_or(0, Wh::get),
                    energy_fee_fen: order.energy_fee_fen.map_or(0, Fen::get),
                    service_fee_fen: order.service_fee_fen.map_or(0, Fen::get),
                    total_fen: order.total_fen.map_or(0, Fen::get),
                    ..Default::default()
                },
            )),
            OrderStatus::Cancelled => days.push((day, DayFigures { cancelled: 1, ..Default::default() })),
            _ => {}
        }
    }
    if let (Some(from), Some(to)) = (order.started_at, order.charging_ended_at) {
        for (day, us) in charging_by_day(from, to, zone) {
            days.push((day, DayFigures { charging_us: us, ..Default::default() }));
        }
    }
    days
}

/// A user with an order made on a pile's local day, and the local day (same zone) they signed up.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UserDay {
    pub charger_id: ChargerId,
    pub day: NaiveDate,
    pub user_id: i64,
    pub signed_up: NaiveDate,
}

/// Changes to the rollups, in key order: applied in that order, so that two transactions never
/// wait for each other's rows the other way round.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Deltas {
    pub days: BTreeMap<(String, NaiveDate), DayFigures>,
    pub users: BTreeSet<UserDay>,
}

impl Deltas {
    /// Adds `order`'s figures (`sign` 1) or takes them away (-1); `signed_up` is its user's
    /// sign-up, for the users' day (added only: an order never leaves its pile, day or user).
    pub fn order(&mut self, order: &OrderFacts, zone: Tz, sign: i64, signed_up: Option<DateTime<Utc>>) {
        for (day, figures) in order_days(order, zone) {
            self.days.entry((order.charger_id.to_string(), day)).or_default().add(&figures, sign);
        }
        if let Some(signed_up) = signed_up.filter(|_| sign > 0) {
            self.users.insert(UserDay {
                charger_id: order.charger_id.clone(),
                day: local_day(order.created_at, zone),
                user_id: order.user_id,
                signed_up: local_day(signed_up, zone),
            });
        }
    }

    /// Adds a refund of `amount_fen` made `at` of an order of pile `charger_id`.
    pub fn refund(&mut self, charger_id: &ChargerId, zone: Tz, at: DateTime<Utc>, amount_fen: i64) {
        let figures = DayFigures { refunds_fen: amount_fen, ..Default::default() };
        self.days.entry((charger_id.to_string(), local_day(at, zone))).or_default().add(&figures, 1);
    }

    /// Drops the days nothing changed on.
    pub fn prune(&mut self) {
        self.days.retain(|_, figures| !figures.is_zero());
    }
}

#[cfg(test)]
#[path = "rollup_tests.rs"]
mod tests;
