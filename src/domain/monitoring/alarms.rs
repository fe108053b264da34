//! The alarms service: raise once, acknowledge, clear — each change told to dashboards (the
//! operators' feed) and to the webhook.

use super::records::{AlarmFilter, NewAlarm};
use super::rules::AlarmKind;
use super::webhook::Webhook;
use crate::domain::events::Feed;
use crate::domain::ids::ChargerId;
use crate::domain::monitoring::MonitoringStore;
use crate::domain::storage::StoreError;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::sync::Arc;

/// An alarm as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AlarmView {
    pub id: i64,
    /// None for a platform alarm (`ledger_mismatch`).
    pub charger_id: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
    pub level: String,
    pub status: String,
    pub message: String,
    pub value: Option<String>,
    pub raised_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by: Option<String>,
    pub cleared_at: Option<DateTime<Utc>>,
}

/// Why an alarm request was refused.
#[derive(Debug, thiserror::Error)]
pub enum AlarmError {
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    #[error("alarm {0} not found")]
    NotFound(i64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The alarms service.
#[derive(Debug, Clone)]
pub struct Alarms {
    store: Arc<dyn MonitoringStore>,
    feed: Feed,
    webhook: Webhook,
}

impl Alarms {
    pub fn new(store: Arc<dyn MonitoringStore>, feed: Feed, webhook: Webhook) -> Self {
        // Every type's gauge from the start (the database is read at once, but after a moment).
        for kind in AlarmKind::ALL {
            metrics::gauge!(crate::metrics::ALARMS_ACTIVE, "type" => kind.as_str(), "level" => kind.level())
                .increment(0.0);
        }
        Alarms { store, feed, webhook }
    }

    /// Raises `kind` for the pile unless it is active already; whether it was raised now.
    pub async fn raise(
        &self,
        charger_id: &ChargerId,
        kind: AlarmKind,
        message: String,
        value: String,
    ) -> Result<bool, StoreError> {
        self.raise_on(Some(charger_id), kind, message, value).await
    }

    /// Raises a platform alarm of `kind` (one that concerns no pile) unless one is active.
    pub async fn raise_platform(&self, kind: AlarmKind, message: String, value: String) -> Result<bool, StoreError> {
        self.raise_on(None, kind, message, value).await
    }

    async fn raise_on(
        &self,
        charger_id: Option<&ChargerId>,
        kind: AlarmKind,
        message: String,
        value: String,
    ) -> Result<bool, StoreError> {
        let new = NewAlarm {
            charger_id: charger_id.cloned(),
            kind: kind.as_str(),
            level: kind.level(),
            message,
            value: Some(value),
            at: Utc::now(),
        };
        let Some(made) = self.store.raise_alarm(new).await? else { return Ok(false) };
        tracing::warn!(charger = ?made.charger_id, kind = %made.kind, message = %made.message, "alarm raised");
        self.tell("alarm.raised", made);
        self.recount().await;
        Ok(true)
    }

    /// Clears the pile's active `kind`; whether one was active.
    pub async fn clear(&self, charger_id: &ChargerId, kind: AlarmKind) -> Result<bool, StoreError> {
        self.clear_on(Some(charger_id), kind).await
    }

    /// Clears the platform's active `kind`; whether one was active.
    pub async fn clear_platform(&self, kind: AlarmKind) -> Result<bool, StoreError> {
        self.clear_on(None, kind).await
    }

    async fn clear_on(&self, charger_id: Option<&str>, kind: AlarmKind) -> Result<bool, StoreError> {
        let Some(cleared) = self.store.clear_alarm(charger_id, kind.as_str(), Utc::now()).await? else {
            return Ok(false);
        };
        tracing::info!(charger = ?cleared.charger_id, kind = %cleared.kind, "alarm cleared");
        self.tell("alarm.cleared", cleared);
        self.recount().await;
        Ok(true)
    }

    /// Acknowledges alarm `id` for `by` (idempotent: an acknowledged or cleared alarm stays so).
    pub async fn acknowledge(&self, id: i64, by: &str) -> Result<AlarmView, AlarmError> {
        let (found, changed) = match self.store.acknowledge_alarm(id, by, Utc::now()).await {
            Ok(done) => done,
            Err(StoreError::NotFound(_)) => return Err(AlarmError::NotFound(id)),
            Err(e) => return Err(e.into()),
        };
        let view = found;
        if changed {
            self.tell("alarm.acknowledged", view.clone());
        }
        Ok(view)
    }

    /// A page of alarms, newest first (`kind` and `level` checked).
    pub async fn list(
        &self,
        filter: AlarmFilter,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<AlarmView>, u64), AlarmError> {
        if let Some(kind) = &filter.kind
            && AlarmKind::parse(kind).is_none()
        {
            let known: Vec<&str> = AlarmKind::ALL.iter().map(|k| k.as_str()).collect();
            let message = format!("{kind:?} is not one of {}", known.join(", "));
            return Err(AlarmError::Invalid { field: "type", message });
        }
        if let Some(level) = &filter.level
            && level != "high"
            && level != "medium"
        {
            return Err(AlarmError::Invalid { field: "level", message: format!("{level:?} is not high or medium") });
        }
        let (rows, total) = self.store.alarms(&filter, offset, limit).await?;
        Ok((rows, total))
    }

    /// Sets `csms_alarms_active{type,level}` and `csms_transactions_active` from the database
    /// (every node agrees).
    pub async fn count_active(&self) -> Result<(), StoreError> {
        #[expect(clippy::cast_precision_loss, reason = "counts of transactions are far below 2^52")]
        let transactions = self.store.active_transaction_count().await? as f64;
        metrics::gauge!(crate::metrics::TRANSACTIONS_ACTIVE).set(transactions);
        let counts = self.store.active_alarm_counts().await?;
        for kind in AlarmKind::ALL {
            let n = counts.iter().find(|(k, _, _)| k == kind.as_str()).map_or(0, |(_, _, n)| *n);
            #[expect(clippy::cast_precision_loss, reason = "alarm counts are small")]
            metrics::gauge!(crate::metrics::ALARMS_ACTIVE, "type" => kind.as_str(), "level" => kind.level())
                .set(n as f64);
        }
        Ok(())
    }

    /// The gauges at once after a change (they are also read every few seconds).
    async fn recount(&self) {
        if let Err(e) = self.count_active().await {
            tracing::warn!(error = %e, "counting active alarms failed");
        }
    }

    fn tell(&self, name: &'static str, view: AlarmView) {
        let data = serde_json::to_value(&view).unwrap_or_default();
        self.webhook.send(name, &data);
        self.feed.publish(name, data);
    }
}
