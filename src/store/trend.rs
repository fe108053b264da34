//! Samples summed up in SQL: per-bucket means for trends (raw samples, and hourly rollups past
//! their retention), and the retention job that rolls old samples up and deletes them.

use super::sql::statement;
use super::{Store, StoreError};
use crate::domain::charging::ACTIVE;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend};

/// Whether `value` is a plain decimal number, in SQL (a signed value's raw text is not).
fn numeric(backend: DatabaseBackend) -> &'static str {
    match backend {
        // No `?` in it: `statement` numbers every `?` as a parameter.
        DatabaseBackend::Postgres => "value ~ '^-{0,1}[0-9]+([.][0-9]+){0,1}$'",
        _ => "value <> '' AND value NOT GLOB '*[^0-9.-]*' AND value NOT GLOB '*.*.*' AND value NOT GLOB '?*-*'",
    }
}

/// A timestamp column in whole seconds since the epoch, in SQL.
fn epoch(backend: DatabaseBackend, column: &str) -> String {
    match backend {
        DatabaseBackend::Postgres => format!("CAST(FLOOR(EXTRACT(EPOCH FROM {column})) AS BIGINT)"),
        _ => format!("CAST(unixepoch({column}) AS INTEGER)"),
    }
}

/// A text value as a double, in SQL.
fn number(backend: DatabaseBackend) -> &'static str {
    match backend {
        DatabaseBackend::Postgres => "CAST(value AS DOUBLE PRECISION)",
        _ => "CAST(value AS REAL)",
    }
}

impl Store {
    /// `(bucket start, measurand, mean)` of `charger_id`'s numeric samples of `measurands` in
    /// `[from, to)`, by buckets of `seconds` (aligned on the epoch); hours past the raw samples'
    /// retention from their rollups.
    pub async fn sample_means(
        &self,
        charger_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        seconds: i64,
        measurands: &[&str],
    ) -> Result<Vec<(i64, String, f64)>, StoreError> {
        let backend = self.db().get_database_backend();
        let marks = vec!["?"; measurands.len()].join(", ");
        let raw = epoch(backend, "sampled_at");
        let hour = epoch(backend, "hour");
        // Raw samples and rollups meet in one bucketing: each side a sum and a count, so a mean
        // over both is exact. They never cover the same hour: the retention job rolls up and
        // deletes whole hours, in one transaction.
        let sql = format!(
            "SELECT b, measurand, SUM(total) / CAST(SUM(n) AS {float}) AS mean FROM ( \
               SELECT ({raw} / {seconds}) * {seconds} AS b, measurand, SUM({num}) AS total, COUNT(*) AS n \
               FROM meter_samples WHERE charger_id = ? AND sampled_at >= ? AND sampled_at < ? \
               AND measurand IN ({marks}) AND {numeric} GROUP BY 1, 2 \
               UNION ALL \
               SELECT ({hour} / {seconds}) * {seconds} AS b, measurand, SUM(total) AS total, SUM(samples) AS n \
               FROM sample_rollups WHERE charger_id = ? AND hour >= ? AND hour < ? AND measurand IN ({marks}) \
               GROUP BY 1, 2 \
             ) AS parts GROUP BY b, measurand ORDER BY b, measurand",
            num = number(backend),
            float = if backend == DatabaseBackend::Postgres { "DOUBLE PRECISION" } else { "REAL" },
            numeric = numeric(backend),
        );
        let mut values: Vec<sea_orm::Value> = vec![charger_id.into(), from.into(), to.into()];
        values.extend(measurands.iter().map(|m| (*m).into()));
        values.extend([charger_id.into(), from.into(), to.into()]);
        values.extend(measurands.iter().map(|m| (*m).into()));
        let rows = self.db().query_all_raw(statement(backend, &sql, values)).await?;
        rows.iter().map(|r| Ok((r.try_get("", "b")?, r.try_get("", "measurand")?, r.try_get("", "mean")?))).collect()
    }
}

/// What one retention round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Retained {
    pub chargers: u64,
    pub rolled_up: u64,
    pub deleted: u64,
}

impl Store {
    /// Rolls each charger's numeric samples older than `cutoff` (an hour's start) up into
    /// `sample_rollups` (count, sum, least, most per charger, connector, hour and measurand) and
    /// deletes those samples, charger by charger, each in one transaction, through the
    /// (charger, time) index. A transaction still in progress keeps its samples, and so does one
    /// whose order was made since `evidence_since` or waits for review (a bill's evidence, kept
    /// while it can be disputed). A sample that arrives late for an hour rolled up already joins
    /// its rollup on the next round.
    pub async fn roll_up_samples(
        &self,
        cutoff: DateTime<Utc>,
        evidence_since: DateTime<Utc>,
    ) -> Result<Retained, StoreError> {
        let backend = self.db().get_database_backend();
        let chargers = self.db().query_all_raw(statement(backend, "SELECT id FROM chargers ORDER BY id", [])).await?;
        let mut done = Retained::default();
        for row in chargers {
            let charger: String = row.try_get("", "id")?;
            let (rolled, deleted) = super::in_transaction(self, |txn| {
                let charger = charger.clone();
                Box::pin(async move {
                    let backend = txn.get_database_backend();
                    let (hour, least, most) = match backend {
                        DatabaseBackend::Postgres => ("date_trunc('hour', sampled_at)", "LEAST", "GREATEST"),
                        // The text sqlx writes a time as (RFC 3339), so that it compares with bound times.
                        _ => ("strftime('%Y-%m-%dT%H:00:00+00:00', sampled_at)", "MIN", "MAX"),
                    };
                    // The status, the charger and the evidence's start are bound (the last
                    // parameters of each statement below).
                    let kept = "(transaction_id IS NULL OR transaction_id NOT IN \
                                (SELECT id FROM transactions WHERE status = ? \
                                 UNION SELECT transaction_id FROM orders WHERE charger_id = ? \
                                 AND transaction_id IS NOT NULL AND (status = 'REVIEW' OR created_at >= ?)))";
                    let roll = format!(
                        "INSERT INTO sample_rollups (charger_id, evse_id, connector_id, hour, measurand, samples, total, least, most) \
                         SELECT charger_id, evse_id, connector_id, {hour}, measurand, COUNT(*), SUM({num}), MIN({num}), MAX({num}) \
                         FROM meter_samples WHERE charger_id = ? AND sampled_at < ? AND {numeric} AND {kept} \
                         GROUP BY charger_id, evse_id, connector_id, {hour}, measurand \
                         ON CONFLICT (charger_id, hour, evse_id, connector_id, measurand) DO UPDATE SET \
                         samples = sample_rollups.samples + excluded.samples, total = sample_rollups.total + excluded.total, \
                         least = {least}(sample_rollups.least, excluded.least), most = {most}(sample_rollups.most, excluded.most)",
                        num = number(backend),
                        numeric = numeric(backend),
                    );
                    let values =
                        [charger.clone().into(), cutoff.into(), ACTIVE.into(), charger.clone().into(), evidence_since.into()];
                    let rolled = txn.execute_raw(statement(backend, &roll, values.clone())).await?.rows_affected();
                    let delete = format!("DELETE FROM meter_samples WHERE charger_id = ? AND sampled_at < ? AND {kept}");
                    let deleted = txn.execute_raw(statement(backend, &delete, values)).await?.rows_affected();
                    Ok((rolled, deleted))
                })
            })
            .await?;
            done.chargers += 1;
            done.rolled_up += rolled;
            done.deleted += deleted;
        }
        Ok(done)
    }
}
