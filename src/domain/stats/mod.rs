//! Statistics for operators: orders, energy, revenue, refunds, utilisation and users over a
//! range of local days, by day, station or pile — every station counting days in its own zone.
//!
//! What is counted, and when:
//! - orders `created` by their creation; `completed` and `cancelled` by the time they ended
//!   (`completed_at`, stamped on every order that ends);
//! - energy and the bill (energy fee, service fee, total with any occupancy fee) of the orders
//!   completed; refunds of the orders' payments by the time they were made (all but failed ones;
//!   a top-up's refund belongs to no station and is not counted);
//! - utilisation: connector time spent charging (an order's charging, from its start to the end
//!   of charging, or until now while it charges) over connector time (the pile's connectors ×
//!   the time, up to now): per pile, and for a station or a day the pooled share of its piles;
//! - users `active`: distinct users with an order created in the group; `new`: those of them
//!   whose account was created within the range (a sign-up belongs to no station: it is counted
//!   where the new user charges).
//!
//! A pile counts for the station it stands in now. The figures are read from daily rollups per
//! pile and local day (`rollup`, counted after each change by the catch-up: `counting`), the
//! distinct users from a table of (day, user, pile); `report_from_orders` counts the same from
//! the orders themselves (SQLite knows no time zones: the local days are laid out per zone here,
//! `days`, as UTC instants, and SQL sums what falls between them) — the reference the rollups
//! are tested against.

mod catch_up;
pub mod counting;
mod csv;
pub mod days;
pub mod figures;
mod port;
pub mod records;
pub mod request;
pub mod rolled;
pub mod rollup;

pub use figures::{Aggregates, Figures, FiguresView, GroupView, StatsReport};
pub use port::StatsStore;
pub use request::{GroupBy, StatsQuery};

use crate::domain::storage::StoreError;
use chrono::Utc;
use chrono_tz::Tz;
use days::ZonePlan;
use records::{Bucket, Grouping, Scope};
use rolled::Rolled;
use std::sync::Arc;

/// Periods one query may hand the database (each one row of four parameters; SQLite takes at
/// most 32,766 parameters in a statement).
const MAX_BUCKETS: usize = 8000;

/// Why statistics could not be given.
#[derive(Debug, thiserror::Error)]
pub enum StatsError {
    /// A parameter is wrong; the message says how.
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    #[error("station {0} not found")]
    NoStation(String),
    /// A stored zone that no longer parses.
    #[error("stored data: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The statistics service.
#[derive(Debug, Clone)]
pub struct Stats {
    store: Arc<dyn StatsStore>,
}

impl Stats {
    pub fn new(store: impl StatsStore + 'static) -> Self {
        let store: Arc<dyn StatsStore> = Arc::new(store);
        Stats { store }
    }

    /// The figures `query` asks for, from the daily rollups; `NoStation` when its station does
    /// not exist.
    pub async fn report(&self, query: &StatsQuery) -> Result<StatsReport, StatsError> {
        let station = query.station.as_deref();
        let (unit, grouping) = self.groupings(query).await?;
        // Every change made before the question counts.
        self.catch_up().await?;
        let store = &self.store;
        let mut rolled =
            Rolled { units: store.stats_units(Scope { grouping: unit, station }).await?, ..Default::default() };
        let plans = plans(query, rolled.units.iter().map(|u| u.zone.as_str()))?;
        let now = Utc::now();
        too_many(&plans)?;
        let by_group = Scope { grouping, station };
        // Four reads of their own, each on a connection of its own: a year's sums and its
        // distinct users are counted side by side.
        (rolled.sums, rolled.users, rolled.users_total, rolled.live) = tokio::try_join!(
            store.stats_day_sums(by_group, query.from, query.to),
            store.stats_day_users(by_group, query.from, query.to),
            store.stats_users_total(station, query.from, query.to),
            store.stats_live(Scope { grouping: unit, station }),
        )?;
        let (groups, total) = rolled::assemble(query, &plans, now, &rolled);
        Ok(StatsReport::new(query, groups, &total))
    }

    /// How units and groups are made for `query`; `NoStation` when its station does not exist.
    async fn groupings(&self, query: &StatsQuery) -> Result<(Grouping, Grouping), StatsError> {
        if let Some(code) = query.station.as_deref()
            && self.store.station(code).await?.is_none()
        {
            return Err(StatsError::NoStation(code.to_owned()));
        }
        // Grouped by day, each zone's piles are pooled: the time charging carries from day to day.
        let unit = match query.group_by {
            GroupBy::Day => Grouping::Whole,
            GroupBy::Station => Grouping::Station,
            GroupBy::Pile => Grouping::Pile,
        };
        Ok((unit, if query.group_by == GroupBy::Day { Grouping::Bucket } else { unit }))
    }

    /// The same figures counted from the orders themselves, without the rollups: the reference
    /// the rollups are compared with (tests/it/stats_rollup.rs), and the way they were counted
    /// before them.
    pub async fn report_from_orders(&self, query: &StatsQuery) -> Result<StatsReport, StatsError> {
        let station = query.station.as_deref();
        let (unit, grouping) = self.groupings(query).await?;
        let mut sums = Aggregates {
            units: self.store.stats_units(Scope { grouping: unit, station }).await?,
            ..Default::default()
        };
        let plans = plans(query, sums.units.iter().map(|u| u.zone.as_str()))?;
        let now = Utc::now();
        let buckets: Vec<Bucket> = plans.iter().flat_map(|p| p.buckets.iter().cloned()).collect();
        too_many(&plans)?;
        if !buckets.is_empty() {
            let ranges: Vec<Bucket> = plans.iter().map(|p| p.range.clone()).collect();
            let windows: Vec<Bucket> = plans.iter().flat_map(|p| p.windows(now)).collect();
            let first: Vec<Bucket> = plans.iter().filter_map(|p| p.windows(now).into_iter().next()).collect();
            let (by_group, by_unit) = (Scope { grouping, station }, Scope { grouping: unit, station });
            let whole = Scope { grouping: Grouping::Whole, station };
            let store = &self.store;
            sums.created = store.stats_created(by_group, &buckets, &ranges).await?;
            sums.users_total =
                store.stats_created(whole, &ranges, &ranges).await?.into_iter().next().unwrap_or_default();
            sums.ended = store.stats_ended(by_group, &buckets).await?;
            sums.refunds = store.stats_refunds(by_group, &buckets).await?;
            sums.charging_at = store.stats_charging_at(by_unit, &first).await?;
            sums.starts = store.stats_charging_starts(by_unit, &windows).await?;
            sums.ends = store.stats_charging_ends(by_unit, &windows).await?;
        }
        let (groups, total) = figures::assemble(query, &plans, now, &sums);
        Ok(StatsReport::new(query, groups, &total))
    }
}

/// `Invalid` when the zones' days are more than `MAX_BUCKETS` (counting from the orders hands
/// each to the database; from the rollups, the same limit keeps the same answers).
fn too_many(plans: &[ZonePlan]) -> Result<(), StatsError> {
    if plans.iter().map(|p| p.buckets.len()).sum::<usize>() > MAX_BUCKETS {
        let message = format!("{} time zones are too many to count day by day: ask for a station", plans.len());
        return Err(StatsError::Invalid { field: "groupBy", message });
    }
    Ok(())
}

/// Each zone's periods, once per zone named.
fn plans<'z>(query: &StatsQuery, zones: impl Iterator<Item = &'z str>) -> Result<Vec<ZonePlan>, StatsError> {
    let mut names: Vec<&str> = zones.collect();
    names.sort_unstable();
    names.dedup();
    names
        .into_iter()
        .map(|name| {
            let zone: Tz = name.parse().map_err(|_| StatsError::Corrupt(format!("a station's time zone {name:?}")))?;
            Ok(ZonePlan::new(query, name, zone))
        })
        .collect()
}
