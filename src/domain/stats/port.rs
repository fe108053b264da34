//! What the stats area needs stored: its persistence port, in its own types. The store
//! implements it (`store/ports/stats.rs`); `startup` hands the store in.

use crate::domain::stations::Station;
use crate::domain::stats::counting::{Count, DueBatch};
use crate::domain::stats::records::Bucket;
use crate::domain::stats::records::ChargingAt;
use crate::domain::stats::records::ChargingEdges;
use crate::domain::stats::records::CreatedRow;
use crate::domain::stats::records::EndedRow;
use crate::domain::stats::records::LiveRow;
use crate::domain::stats::records::RefundRow;
use crate::domain::stats::records::Scope;
use crate::domain::stats::records::UnitRow;
use crate::domain::stats::rollup::{DayFigures, Deltas};
use crate::domain::storage::StoreError;
use chrono::NaiveDate;

/// The statistics' persistence port: the daily rollups and what they are made from. The store
/// implements it.
#[async_trait::async_trait]
pub trait StatsStore: Send + Sync + std::fmt::Debug {
    /// Whether any order or refund is due to be counted (see `counting`).
    async fn stats_any_due(&self) -> Result<bool, StoreError>;

    /// Counts up to `limit` due orders and up to `limit` due refunds in one transaction: reads
    /// them, lets `count` decide, writes the rollups' changes and the orders as counted, and
    /// clears their flags; answers how many were due.
    async fn stats_count_due(&self, limit: usize, count: Count) -> Result<usize, StoreError>;

    /// The rollups as stored.
    async fn stats_rollups(&self) -> Result<Deltas, StoreError>;

    /// Every order and refund, as if none were counted yet.
    async fn stats_everything(&self) -> Result<DueBatch, StoreError>;

    /// The station `code`.
    async fn station(&self, code: &str) -> Result<Option<Station>, StoreError>;

    /// Orders charging as each zone's window opens (`first`: one per zone): started before its
    /// `lo`, and ended at or after it or charging still.
    async fn stats_charging_at(&self, scope: Scope<'_>, first: &[Bucket]) -> Result<Vec<ChargingAt>, StoreError>;

    /// Charging ended in each window, as `stats_charging_starts`.
    async fn stats_charging_ends(&self, scope: Scope<'_>, windows: &[Bucket])
    -> Result<Vec<ChargingEdges>, StoreError>;

    /// Charging started in each window, by unit and window: how often, and the seconds from each
    /// start to the window's end.
    async fn stats_charging_starts(
        &self,
        scope: Scope<'_>,
        windows: &[Bucket],
    ) -> Result<Vec<ChargingEdges>, StoreError>;

    /// Orders created in each period, by group: how many, their distinct users, and how many of
    /// those signed up within their zone's range (`ranges`: one period per zone).
    async fn stats_created(
        &self,
        scope: Scope<'_>,
        buckets: &[Bucket],
        ranges: &[Bucket],
    ) -> Result<Vec<CreatedRow>, StoreError>;

    /// The rollups' sums of each group over the days `from` to `to`.
    async fn stats_day_sums(
        &self,
        scope: Scope<'_>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(String, DayFigures)>, StoreError>;

    /// Each group's distinct users over the days `from` to `to` (`created` left 0), and how many
    /// of them signed up within those days (local days of the zone they charged in).
    async fn stats_day_users(
        &self,
        scope: Scope<'_>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<CreatedRow>, StoreError>;

    /// Orders that ended in each period, by group: completed, with their energy and bills, and
    /// cancelled.
    async fn stats_ended(&self, scope: Scope<'_>, buckets: &[Bucket]) -> Result<Vec<EndedRow>, StoreError>;

    /// The orders charging now on the piles in scope, by unit (`Whole`: one unit per zone).
    async fn stats_live(&self, scope: Scope<'_>) -> Result<Vec<LiveRow>, StoreError>;

    /// Refunds of orders' payments made in each period, by group: all but failed ones — a refund
    /// its provider failed counts, its money having gone to the balance instead.
    async fn stats_refunds(&self, scope: Scope<'_>, buckets: &[Bucket]) -> Result<Vec<RefundRow>, StoreError>;

    /// The stations or piles in scope (by `scope.grouping`: `Whole` gives one row per zone) with
    /// their connectors that charge; a station without piles has none.
    async fn stats_units(&self, scope: Scope<'_>) -> Result<Vec<UnitRow>, StoreError>;

    /// The distinct users over the days `from` to `to` of every pile (of a station's, or over
    /// less than `LOOK_UP_FROM_DAYS`: as `stats_day_users`), and how many of them signed up within
    /// those days: each user looked up in the users' days (`ix_stats_users_user`) — a sweep of
    /// every user-day sorted by user took SQLite 0.3 s a year on a million orders, this 0.07 s;
    /// over a few days the sweep is the cheaper.
    async fn stats_users_total(
        &self,
        station: Option<&str>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<CreatedRow, StoreError>;
}
