//! The figures of each group put together from the sums SQL made, and the answer as the
//! dashboard reads it: money in yuan and energy in kWh as decimal strings, utilisation a share
//! with four places.
//!
//! Time spent charging is taken from the edges of charging (see `Aggregates`): in a window of
//! length L, the sessions already charging as it opens charge all of it, each session that
//! starts in it charges until the window's end, and each that ends in it gives back the time
//! from its end to the window's end. The sessions charging as the next window opens are those
//! of this one, plus those started in it, less those ended in it.

use super::days::ZonePlan;
use super::records::{ChargingAt, ChargingEdges, CreatedRow, EndedRow, RefundRow, UnitRow};
use super::request::{GroupBy, StatsQuery};
use crate::domain::ledger::money::Fen;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::HashMap;

/// Everything SQL counted for one request.
#[derive(Debug, Clone, Default)]
pub struct Aggregates {
    /// The stations or piles in scope (grouped by day: one row per zone), with their connectors.
    pub units: Vec<UnitRow>,
    pub created: Vec<CreatedRow>,
    /// The users over the whole range (distinct users do not add up across groups).
    pub users_total: CreatedRow,
    pub ended: Vec<EndedRow>,
    pub refunds: Vec<RefundRow>,
    /// Sessions charging as each zone's first window opens, per unit.
    pub charging_at: Vec<ChargingAt>,
    /// Charging started, and ended, in each window, per unit.
    pub starts: Vec<ChargingEdges>,
    pub ends: Vec<ChargingEdges>,
}

/// One group's figures, in whole units.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    pub created: i64,
    pub completed: i64,
    pub cancelled: i64,
    pub energy_wh: i64,
    pub energy_fee_fen: Fen,
    pub service_fee_fen: Fen,
    pub total_fen: Fen,
    pub refunds_fen: Fen,
    /// Connector-seconds spent charging, and connector-seconds there were.
    pub charging_s: f64,
    pub capacity_s: f64,
    pub new_users: i64,
    pub active_users: i64,
}

impl Figures {
    /// Adds every figure but the users (distinct users do not add up). The amounts are each a
    /// group's SQL `BIGINT` sum: their total is held at `i64`'s bounds (92 trillion yuan), never
    /// reached, rather than wrapping.
    pub(super) fn add(&mut self, other: &Figures) {
        self.created += other.created;
        self.completed += other.completed;
        self.cancelled += other.cancelled;
        self.energy_wh += other.energy_wh;
        self.energy_fee_fen = self.energy_fee_fen.saturating_add(other.energy_fee_fen);
        self.service_fee_fen = self.service_fee_fen.saturating_add(other.service_fee_fen);
        self.total_fen = self.total_fen.saturating_add(other.total_fen);
        self.refunds_fen = self.refunds_fen.saturating_add(other.refunds_fen);
        self.charging_s += other.charging_s;
        self.capacity_s += other.capacity_s;
    }

    /// The share of connector time spent charging, four places; 0 without connector time.
    pub fn utilisation(&self) -> f64 {
        if self.capacity_s <= 0.0 { 0.0 } else { (self.charging_s / self.capacity_s * 10_000.0).round() / 10_000.0 }
    }
}

/// The groups in order (days, or stations' or piles' codes) with their figures, and the total.
pub fn assemble(
    query: &StatsQuery,
    plans: &[ZonePlan],
    now: DateTime<Utc>,
    sums: &Aggregates,
) -> (Vec<(String, Figures)>, Figures) {
    let (mut groups, index) = empty_groups(query, &sums.units);
    let mut slots = Slots { groups: &mut groups, index };
    for row in &sums.created {
        if let Some(f) = slots.get(&row.group) {
            (f.created, f.active_users, f.new_users) = (row.created, row.active, row.new);
        }
    }
    for row in &sums.ended {
        if let Some(f) = slots.get(&row.group) {
            (f.completed, f.cancelled, f.energy_wh) = (row.completed, row.cancelled, row.energy_wh);
            (f.energy_fee_fen, f.service_fee_fen, f.total_fen) =
                (row.energy_fee_fen, row.service_fee_fen, row.total_fen);
        }
    }
    for row in &sums.refunds {
        if let Some(f) = slots.get(&row.group) {
            f.refunds_fen = row.refunds_fen;
        }
    }
    charging(query.group_by, plans, now, sums, &mut slots);
    let mut total = Figures::default();
    for (_, f) in &groups {
        total.add(f);
    }
    (total.active_users, total.new_users) = (sums.users_total.active, sums.users_total.new);
    (groups, total)
}

/// The groups of `query` in order (its days, or the `units`' codes), with nothing counted yet,
/// and where each key is.
pub(super) fn empty_groups(query: &StatsQuery, units: &[UnitRow]) -> (Vec<(String, Figures)>, HashMap<String, usize>) {
    let keys: Vec<String> = match query.group_by {
        GroupBy::Day => query.days().map(|day| day.to_string()).collect(),
        GroupBy::Station | GroupBy::Pile => {
            let mut units: Vec<String> = units.iter().map(|u| u.unit.clone()).collect();
            units.sort();
            units.dedup();
            units
        }
    };
    let groups: Vec<(String, Figures)> = keys.into_iter().map(|key| (key, Figures::default())).collect();
    let index = groups.iter().enumerate().map(|(i, (key, _))| (key.clone(), i)).collect();
    (groups, index)
}

/// The groups' figures by key; a key that is no group is ignored.
struct Slots<'a> {
    groups: &'a mut [(String, Figures)],
    index: HashMap<String, usize>,
}

impl Slots<'_> {
    fn get(&mut self, key: &str) -> Option<&mut Figures> {
        self.index.get(key).map(|&i| &mut self.groups[i].1)
    }
}

type Edges<'r> = HashMap<(&'r str, &'r str, &'r str), (i64, f64)>;

/// Edges by unit, zone and window.
fn edges(rows: &[ChargingEdges]) -> Edges<'_> {
    rows.iter().map(|e| ((e.unit.as_str(), e.zone.as_str(), e.key.as_str()), (e.count, e.seconds_to_end))).collect()
}

/// Adds each window's charging and connector time to its group (the day, or the unit).
fn charging(group_by: GroupBy, plans: &[ZonePlan], now: DateTime<Utc>, sums: &Aggregates, slots: &mut Slots<'_>) {
    let at: HashMap<(&str, &str), i64> =
        sums.charging_at.iter().map(|c| ((c.unit.as_str(), c.zone.as_str()), c.sessions)).collect();
    let (starts, ends) = (edges(&sums.starts), edges(&sums.ends));
    for unit in &sums.units {
        let Some(plan) = plans.iter().find(|p| p.zone == unit.zone) else { continue };
        let mut sessions = at.get(&(unit.unit.as_str(), unit.zone.as_str())).copied().unwrap_or(0);
        for window in plan.windows(now) {
            let length = (window.hi - window.lo).as_seconds_f64();
            let edge = |map: &Edges<'_>| {
                map.get(&(unit.unit.as_str(), unit.zone.as_str(), window.key.as_str())).copied().unwrap_or((0, 0.0))
            };
            let ((started, to_end_s), (ended, from_end_e)) = (edge(&starts), edge(&ends));
            let charged = (length * sessions as f64 + to_end_s - from_end_e).max(0.0);
            let group = if group_by == GroupBy::Day { window.key.as_str() } else { unit.unit.as_str() };
            if let Some(f) = slots.get(group) {
                f.charging_s += charged;
                f.capacity_s += length * unit.connectors as f64;
            }
            sessions += started - ended;
        }
    }
}

/// The answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatsReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub group_by: &'static str,
    pub station: Option<String>,
    pub groups: Vec<GroupView>,
    pub total: FiguresView,
}

impl StatsReport {
    pub fn new(query: &StatsQuery, groups: Vec<(String, Figures)>, total: &Figures) -> Self {
        StatsReport {
            from: query.from,
            to: query.to,
            group_by: query.group_by.as_str(),
            station: query.station.clone(),
            groups: groups.into_iter().map(|(key, f)| GroupView { key, figures: FiguresView::from(&f) }).collect(),
            total: FiguresView::from(total),
        }
    }
}

/// A group: its key (a day, a station's or a pile's code) and its figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupView {
    pub key: String,
    #[serde(flatten)]
    pub figures: FiguresView,
}

/// A group's figures as shown.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FiguresView {
    pub orders: OrderCounts,
    /// kWh, three places.
    pub energy_kwh: String,
    pub revenue: Revenue,
    pub utilisation: f64,
    pub users: UserCounts,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderCounts {
    pub created: i64,
    pub completed: i64,
    pub cancelled: i64,
}

/// Yuan, two places.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Revenue {
    pub energy_fee: String,
    pub service_fee: String,
    pub total: String,
    pub refunds: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserCounts {
    pub new: i64,
    pub active: i64,
}

impl From<&Figures> for FiguresView {
    fn from(f: &Figures) -> Self {
        FiguresView {
            orders: OrderCounts { created: f.created, completed: f.completed, cancelled: f.cancelled },
            energy_kwh: Decimal::new(f.energy_wh, 3).to_string(),
            revenue: Revenue {
                energy_fee: f.energy_fee_fen.to_string(),
                service_fee: f.service_fee_fen.to_string(),
                total: f.total_fen.to_string(),
                refunds: f.refunds_fen.to_string(),
            },
            utilisation: f.utilisation(),
            users: UserCounts { new: f.new_users, active: f.active_users },
        }
    }
}

#[cfg(test)]
#[path = "figures_tests.rs"]
mod tests;
