//! What the monitoring area needs stored: its persistence port, in its own types. The store
//! implements it (`store/ports/monitoring.rs`); `startup` hands the store in.

use crate::domain::chargers::records::Charger;
use crate::domain::ids::ChargerId;
use crate::domain::monitoring::AlarmView;
use crate::domain::monitoring::records::AlarmFilter;
use crate::domain::monitoring::records::NewAlarm;
use crate::domain::monitoring::records::Retained;
use crate::domain::storage::StoreError;
use chrono::DateTime;
use chrono::Utc;

/// Monitoring's persistence port: alarms raised, cleared, acknowledged and counted, the chargers'
/// presence, and the samples' trends and rollups. The store implements it.
#[async_trait::async_trait]
pub trait MonitoringStore: Send + Sync + std::fmt::Debug {
    /// Acknowledges a raised alarm (`by` whom); an alarm acknowledged or cleared already stays
    /// as it is. `NotFound` for no such alarm.
    async fn acknowledge_alarm(&self, id: i64, by: &str, at: DateTime<Utc>) -> Result<(AlarmView, bool), StoreError>;

    /// Active alarms counted by type and level.
    async fn active_alarm_counts(&self) -> Result<Vec<(String, String, i64)>, StoreError>;

    /// The pile's active alarms.
    async fn active_alarms_of(&self, charger_id: &ChargerId) -> Result<Vec<AlarmView>, StoreError>;

    /// Transactions in progress.
    async fn active_transaction_count(&self) -> Result<i64, StoreError>;

    /// A page of alarms, newest first, and the number in all.
    async fn alarms(&self, filter: &AlarmFilter, offset: u64, limit: u64) -> Result<(Vec<AlarmView>, u64), StoreError>;

    /// The charger called `id`.
    async fn charger(&self, id: &ChargerId) -> Result<Option<Charger>, StoreError>;

    /// Every charger that has ever been heard from, with when it was last (for the offline
    /// check as monitoring starts).
    async fn chargers_last_seen(&self) -> Result<Vec<(ChargerId, DateTime<Utc>)>, StoreError>;

    /// Clears the pile's (none: the platform's) active alarm of `kind`: the cleared alarm, or
    /// none when none was active.
    async fn clear_alarm(
        &self,
        charger_id: Option<&str>,
        kind: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<AlarmView>, StoreError>;

    /// Raises an alarm unless one of its type is active for the pile: the new alarm, or none.
    async fn raise_alarm(&self, new: NewAlarm) -> Result<Option<AlarmView>, StoreError>;

    /// Rolls samples older than `cutoff` (an hour's start) up into `sample_rollups` (count, sum,
    /// least, most per charger, connector, hour and measurand) and removes them: whole monthly
    /// partitions on PostgreSQL, then the rest charger by charger, each in one transaction,
    /// through the (charger, time) indexes. A transaction still in progress keeps its samples,
    /// and so does one whose order was made since `evidence_since` or waits for review (a bill's
    /// evidence, kept while it can be disputed). A sample that arrives late for an hour rolled up
    /// already joins its rollup on the next round. On PostgreSQL the partitions of the months
    /// ahead are made first.
    async fn roll_up_samples(
        &self,
        cutoff: DateTime<Utc>,
        evidence_since: DateTime<Utc>,
    ) -> Result<Retained, StoreError>;

    /// `(bucket start, measurand, mean)` of `charger_id`'s numeric samples of `measurands` in
    /// `[from, to)`, by buckets of `seconds` (aligned on the epoch); hours past the raw samples'
    /// retention from their rollups.
    async fn sample_means(
        &self,
        charger_id: &ChargerId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        seconds: i64,
        measurands: &[&str],
    ) -> Result<Vec<(i64, String, f64)>, StoreError>;
}
