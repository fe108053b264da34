//! The store as the stats area's port: each method is the store's own query.

use crate::domain::stations::Station;
use crate::domain::stats::StatsStore;
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
use crate::store::Store;
use chrono::NaiveDate;

#[async_trait::async_trait]
impl StatsStore for Store {
    async fn stats_any_due(&self) -> Result<bool, StoreError> {
        Store::stats_any_due(self).await
    }

    async fn stats_count_due(&self, limit: usize, count: Count) -> Result<usize, StoreError> {
        Store::stats_count_due(self, limit, count).await
    }

    async fn stats_rollups(&self) -> Result<Deltas, StoreError> {
        Store::stats_rollups(self).await
    }

    async fn stats_everything(&self) -> Result<DueBatch, StoreError> {
        Store::stats_everything(self).await
    }

    async fn station(&self, code: &str) -> Result<Option<Station>, StoreError> {
        Store::station(self, code).await
    }

    async fn stats_charging_at(&self, scope: Scope<'_>, first: &[Bucket]) -> Result<Vec<ChargingAt>, StoreError> {
        Store::stats_charging_at(self, scope, first).await
    }

    async fn stats_charging_ends(
        &self,
        scope: Scope<'_>,
        windows: &[Bucket],
    ) -> Result<Vec<ChargingEdges>, StoreError> {
        Store::stats_charging_ends(self, scope, windows).await
    }

    async fn stats_charging_starts(
        &self,
        scope: Scope<'_>,
        windows: &[Bucket],
    ) -> Result<Vec<ChargingEdges>, StoreError> {
        Store::stats_charging_starts(self, scope, windows).await
    }

    async fn stats_created(
        &self,
        scope: Scope<'_>,
        buckets: &[Bucket],
        ranges: &[Bucket],
    ) -> Result<Vec<CreatedRow>, StoreError> {
        Store::stats_created(self, scope, buckets, ranges).await
    }

    async fn stats_day_sums(
        &self,
        scope: Scope<'_>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(String, DayFigures)>, StoreError> {
        Store::stats_day_sums(self, scope, from, to).await
    }

    async fn stats_day_users(
        &self,
        scope: Scope<'_>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<CreatedRow>, StoreError> {
        Store::stats_day_users(self, scope, from, to).await
    }

    async fn stats_ended(&self, scope: Scope<'_>, buckets: &[Bucket]) -> Result<Vec<EndedRow>, StoreError> {
        Store::stats_ended(self, scope, buckets).await
    }

    async fn stats_live(&self, scope: Scope<'_>) -> Result<Vec<LiveRow>, StoreError> {
        Store::stats_live(self, scope).await
    }

    async fn stats_refunds(&self, scope: Scope<'_>, buckets: &[Bucket]) -> Result<Vec<RefundRow>, StoreError> {
        Store::stats_refunds(self, scope, buckets).await
    }

    async fn stats_units(&self, scope: Scope<'_>) -> Result<Vec<UnitRow>, StoreError> {
        Store::stats_units(self, scope).await
    }

    async fn stats_users_total(
        &self,
        station: Option<&str>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<CreatedRow, StoreError> {
        Store::stats_users_total(self, station, from, to).await
    }
}
