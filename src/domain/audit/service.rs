//! The audit service: a run reads the store's findings, logs each mismatch with its id, raises
//! or clears the platform alarm `ledger_mismatch`, sets `csms_audit_mismatches{kind}`, and keeps
//! the report (in Redis when nodes share it) for `GET /api/v1/audit`.

use super::{AuditReport, MismatchKind};
use crate::domain::audit::AuditStore;
use crate::domain::monitoring::Alarms;
use crate::domain::monitoring::rules::AlarmKind;
use crate::domain::nodes::{Job, Nodes};
use crate::domain::storage::StoreError;
use crate::kv::{Kv, KvError};
use chrono::Utc;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// At most this many findings of each kind are read and reported by one run.
const LIMIT: u64 = 1_000;
/// The last run is kept this long.
const KEPT: Duration = Duration::from_secs(30 * 24 * 3600);
const LAST_RUN: &str = "audit:last";

/// Why an audit could not run or be read.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the last audit could not be kept or read: {0}")]
    Kv(#[from] KvError),
    #[error("the last audit as kept cannot be read: {0}")]
    Corrupt(String),
}

/// The audit service.
#[derive(Debug, Clone)]
pub struct Audit {
    store: Arc<dyn AuditStore>,
    kv: Kv,
    /// None when run from the command line: the server's alarms are not there to raise.
    alarms: Option<Alarms>,
}

impl Audit {
    pub fn new(store: impl AuditStore + 'static, kv: Kv, alarms: Option<Alarms>) -> Self {
        let store: Arc<dyn AuditStore> = Arc::new(store);
        Audit { store, kv, alarms }
    }

    /// Runs the audit once (see the module's note).
    pub async fn run(&self) -> Result<AuditReport, AuditError> {
        let began = Instant::now();
        let findings = self.store.audit_findings(LIMIT).await?;
        let took = i64::try_from(began.elapsed().as_millis()).unwrap_or(i64::MAX);
        let report = AuditReport::of(findings, Utc::now(), took);
        for mismatch in &report.mismatches {
            tracing::error!(kind = mismatch.kind.as_str(), id = %mismatch.id, expected = %mismatch.expected, found = %mismatch.found, "the money audit found a mismatch");
        }
        for kind in MismatchKind::ALL {
            #[expect(clippy::cast_precision_loss, reason = "at most LIMIT per kind")]
            metrics::gauge!(crate::metrics::AUDIT_MISMATCHES, "kind" => kind.as_str()).set(report.count(kind) as f64);
        }
        if let Some(alarms) = &self.alarms {
            let raised = if let Some(first) = report.mismatches.first() {
                let message =
                    format!("the money audit found {} mismatches, first {}", report.mismatches.len(), first.id);
                alarms.raise_platform(AlarmKind::LedgerMismatch, message, report.mismatches.len().to_string()).await
            } else {
                alarms.clear_platform(AlarmKind::LedgerMismatch).await
            };
            if let Err(e) = raised {
                tracing::warn!(error = %e, "the money audit's alarm could not be raised or cleared");
            }
        }
        let kept = serde_json::to_string(&report).map_err(|e| AuditError::Corrupt(e.to_string()))?;
        self.kv.set(LAST_RUN, &kept, KEPT).await?;
        tracing::info!(
            mismatches = report.mismatches.len(),
            owed = report.owed.len(),
            took_ms = took,
            "the money audit ran"
        );
        Ok(report)
    }

    /// The last run's report, if one ran (on any node sharing the kv).
    pub async fn last(&self) -> Result<Option<AuditReport>, AuditError> {
        let Some(text) = self.kv.get(LAST_RUN).await? else { return Ok(None) };
        serde_json::from_str(&text).map(Some).map_err(|e| AuditError::Corrupt(e.to_string()))
    }

    /// Runs the audit at start and every `every` until `stop`, while this node holds its lease
    /// (one node of a cluster audits).
    pub async fn run_every(self, every: Duration, nodes: Nodes, stop: CancellationToken) {
        let mut tick = tokio::time::interval(every.max(Duration::from_secs(1)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                _ = tick.tick() => {}
            }
            if !nodes.runs(Job::Audit) {
                continue;
            }
            if let Err(e) = self.run().await {
                tracing::warn!(error = %e, "the money audit failed; it runs again later");
            }
        }
    }
}
