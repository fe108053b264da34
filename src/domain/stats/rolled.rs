//! The figures of each group put together from the daily rollups: the sums of its days, its
//! distinct users, its connector time (each unit's connectors × the windows of its zone, up to
//! now) and the time spent charging — ended charging from the rollups, charging still going from
//! its start to now, cut by the same windows.

use super::days::ZonePlan;
use super::figures::{self, Figures};
use super::records::{CreatedRow, LiveRow, UnitRow};
use super::request::{GroupBy, StatsQuery};
use super::rollup::DayFigures;
use crate::domain::ledger::money::Fen;
use chrono::{DateTime, Utc};

/// What the rollups gave for one request.
#[derive(Debug, Clone, Default)]
pub struct Rolled {
    /// The stations or piles in scope (grouped by day: one row per zone), with their connectors.
    pub units: Vec<UnitRow>,
    /// The sums of each group's days.
    pub sums: Vec<(String, DayFigures)>,
    /// Each group's distinct users, and over the whole range.
    pub users: Vec<CreatedRow>,
    pub users_total: CreatedRow,
    /// The orders charging now, by unit.
    pub live: Vec<LiveRow>,
}

/// The groups in order (days, or stations' or piles' codes) with their figures, and the total —
/// as `figures::assemble` gives them from the orders.
pub fn assemble(
    query: &StatsQuery,
    plans: &[ZonePlan],
    now: DateTime<Utc>,
    rolled: &Rolled,
) -> (Vec<(String, Figures)>, Figures) {
    let (mut groups, index) = figures::empty_groups(query, &rolled.units);
    let get = |key: &str| index.get(key).copied();
    for (key, sums) in &rolled.sums {
        if let Some(i) = get(key) {
            let f = &mut groups[i].1;
            (f.created, f.completed, f.cancelled, f.energy_wh) =
                (sums.created, sums.completed, sums.cancelled, sums.energy_wh);
            (f.energy_fee_fen, f.service_fee_fen, f.total_fen) =
                (Fen(sums.energy_fee_fen), Fen(sums.service_fee_fen), Fen(sums.total_fen));
            f.refunds_fen = Fen(sums.refunds_fen);
            f.charging_s += sums.charging_us as f64 / 1_000_000.0;
        }
    }
    for row in &rolled.users {
        if let Some(i) = get(&row.group) {
            (groups[i].1.active_users, groups[i].1.new_users) = (row.active, row.new);
        }
    }
    let group_of = |window_key: &str, unit: &str| {
        if query.group_by == GroupBy::Day { window_key.to_owned() } else { unit.to_owned() }
    };
    for unit in &rolled.units {
        let Some(plan) = plans.iter().find(|p| p.zone == unit.zone) else { continue };
        for window in plan.windows(now) {
            if let Some(i) = get(&group_of(&window.key, &unit.unit)) {
                groups[i].1.capacity_s += (window.hi - window.lo).as_seconds_f64() * unit.connectors as f64;
            }
        }
    }
    for live in &rolled.live {
        let Some(plan) = plans.iter().find(|p| p.zone == live.zone) else { continue };
        for window in plan.windows(now) {
            let charged = (window.hi - window.lo.max(live.started_at)).as_seconds_f64();
            if charged > 0.0
                && let Some(i) = get(&group_of(&window.key, &live.unit))
            {
                groups[i].1.charging_s += charged;
            }
        }
    }
    let mut total = Figures::default();
    for (_, f) in &groups {
        total.add(f);
    }
    (total.active_users, total.new_users) = (rolled.users_total.active, rolled.users_total.new);
    (groups, total)
}
