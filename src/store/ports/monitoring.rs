//! The store as the monitoring area's port: each method is the store's own query.

use crate::domain::chargers::records::Charger;
use crate::domain::ids::ChargerId;
use crate::domain::monitoring::AlarmView;
use crate::domain::monitoring::MonitoringStore;
use crate::domain::monitoring::records::AlarmFilter;
use crate::domain::monitoring::records::NewAlarm;
use crate::domain::monitoring::records::Retained;
use crate::domain::storage::StoreError;
use crate::store::Store;
use chrono::DateTime;
use chrono::Utc;

#[async_trait::async_trait]
impl MonitoringStore for Store {
    async fn acknowledge_alarm(&self, id: i64, by: &str, at: DateTime<Utc>) -> Result<(AlarmView, bool), StoreError> {
        Store::acknowledge_alarm(self, id, by, at).await
    }

    async fn active_alarm_counts(&self) -> Result<Vec<(String, String, i64)>, StoreError> {
        Store::active_alarm_counts(self).await
    }

    async fn active_alarms_of(&self, charger_id: &ChargerId) -> Result<Vec<AlarmView>, StoreError> {
        Store::active_alarms_of(self, charger_id).await
    }

    async fn active_transaction_count(&self) -> Result<i64, StoreError> {
        Store::active_transaction_count(self).await
    }

    async fn alarms(&self, filter: &AlarmFilter, offset: u64, limit: u64) -> Result<(Vec<AlarmView>, u64), StoreError> {
        Store::alarms(self, filter, offset, limit).await
    }

    async fn charger(&self, id: &ChargerId) -> Result<Option<Charger>, StoreError> {
        Store::charger(self, id).await
    }

    async fn chargers_last_seen(&self) -> Result<Vec<(ChargerId, DateTime<Utc>)>, StoreError> {
        Store::chargers_last_seen(self).await
    }

    async fn clear_alarm(
        &self,
        charger_id: Option<&str>,
        kind: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<AlarmView>, StoreError> {
        Store::clear_alarm(self, charger_id, kind, at).await
    }

    async fn raise_alarm(&self, new: NewAlarm) -> Result<Option<AlarmView>, StoreError> {
        Store::raise_alarm(self, new).await
    }

    async fn roll_up_samples(
        &self,
        cutoff: DateTime<Utc>,
        evidence_since: DateTime<Utc>,
    ) -> Result<Retained, StoreError> {
        Store::roll_up_samples(self, cutoff, evidence_since).await
    }

    async fn sample_means(
        &self,
        charger_id: &ChargerId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        seconds: i64,
        measurands: &[&str],
    ) -> Result<Vec<(i64, String, f64)>, StoreError> {
        Store::sample_means(self, charger_id, from, to, seconds, measurands).await
    }
}
