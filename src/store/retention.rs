//! Retention of raw samples: past the cutoff they are rolled up per hour into `sample_rollups`
//! and removed, but a bill's evidence and a session in progress keep theirs. On PostgreSQL a
//! month of `meter_readings` past the cutoff goes whole: rolled up, the rows it must keep moved
//! out (into the default partition: no partition covers that month any more), and its partition
//! detached and dropped, not deleted row by row. Rows outside the monthly partitions (the default
//! partition, SQLite's one table, and `meter_samples` from before migration 19) are rolled up and
//! deleted charger by charger through the (charger, time) index.

use super::sample_codec::measurand_names;
use super::sample_reads::{each_sample, reading_time};
use super::sql::statement;
use super::trend::{number, numeric, numeric_sample};
use super::{Store, StoreError};
use crate::domain::charging::ACTIVE;
use crate::domain::monitoring::records::Retained;
use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseTransaction, Value};

/// Months of partitions made ahead, this one included.
const MONTHS_AHEAD: u32 = 3;

/// Whether a row of `meter_readings` `r` may go: not a session in progress nor a bill's evidence.
/// Binds the status, then (`of_charger`) the charger, then the evidence's start.
fn removable(of_charger: bool) -> String {
    let charger = if of_charger { "charger_id = ? AND " } else { "" };
    format!(
        "(r.transaction_id = 0 OR r.transaction_id NOT IN (SELECT id FROM transactions WHERE status = ? \
         UNION SELECT transaction_id FROM orders WHERE {charger}transaction_id IS NOT NULL \
         AND (status = 'REVIEW' OR created_at >= ?)))"
    )
}

/// The hour of `r.sampled_at`, as `sample_rollups.hour` holds it.
fn reading_hour(backend: DatabaseBackend) -> &'static str {
    match backend {
        DatabaseBackend::Postgres => "date_trunc('hour', r.sampled_at)",
        // The text sqlx writes a time as (RFC 3339), so that it compares with bound times.
        _ => "strftime('%Y-%m-%dT%H:00:00+00:00', r.sampled_at / 1000000, 'unixepoch')",
    }
}

/// The rollup of the rows of `table` (aliased `r`) that `condition` takes.
fn roll_readings(backend: DatabaseBackend, table: &str, condition: &str) -> String {
    let (least, most) = if backend == DatabaseBackend::Postgres { ("LEAST", "GREATEST") } else { ("MIN", "MAX") };
    format!(
        "INSERT INTO sample_rollups (charger_id, evse_id, connector_id, hour, measurand, samples, total, least, most) \
         SELECT r.charger_id, r.evse_id, r.connector_id, {hour}, {name}, COUNT(*), SUM({num}), MIN({num}), MAX({num}) \
         FROM {table} r {each} WHERE {condition} AND substr(e.key, 1, 1) <> '~' AND {numeric} \
         GROUP BY r.charger_id, r.evse_id, r.connector_id, {hour}, {name} \
         ON CONFLICT (charger_id, hour, evse_id, connector_id, measurand) DO UPDATE SET \
         samples = sample_rollups.samples + excluded.samples, total = sample_rollups.total + excluded.total, \
         least = {least}(sample_rollups.least, excluded.least), most = {most}(sample_rollups.most, excluded.most)",
        hour = reading_hour(backend),
        name = measurand_names("e.key"),
        num = number(backend).replace("value", "e.value"),
        each = each_sample(backend),
        numeric = numeric_sample(backend),
    )
}

/// The samples in the rows of `table` (aliased `r`) that `condition` takes.
fn count_samples(backend: DatabaseBackend, table: &str, condition: &str) -> String {
    let each = match backend {
        DatabaseBackend::Postgres => "json_object_keys(r.samples)",
        _ => "json_each(r.samples)",
    };
    format!(
        "SELECT CAST(COALESCE(SUM((SELECT COUNT(*) FROM {each})), 0) AS BIGINT) AS n FROM {table} r WHERE {condition}"
    )
}

async fn count(txn: &DatabaseTransaction, sql: &str, values: Vec<Value>) -> Result<u64, StoreError> {
    let backend = txn.get_database_backend();
    let row = txn.query_one_raw(statement(backend, sql, values)).await?;
    let n: i64 = row.map(|r| r.try_get("", "n")).transpose()?.unwrap_or(0);
    Ok(u64::try_from(n).unwrap_or(0))
}

/// The month a partition's name (`meter_readings_YYYYMM`) covers: its first day.
fn partition_month(name: &str) -> Option<NaiveDate> {
    let digits = name.strip_prefix("meter_readings_")?;
    if digits.len() != 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    NaiveDate::from_ymd_opt(digits[..4].parse().ok()?, digits[4..].parse().ok()?, 1)
}

fn month_start(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0).map_or(DateTime::<Utc>::UNIX_EPOCH, |t| t.and_utc())
}

impl Store {
    /// The monthly partitions of `meter_readings` (PostgreSQL): their names and months.
    async fn partitions(&self) -> Result<Vec<(String, NaiveDate)>, StoreError> {
        let sql = "SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
                   WHERE i.inhparent = CAST('meter_readings' AS regclass)";
        let rows = self.db().query_all_raw(statement(DatabaseBackend::Postgres, sql, [])).await?;
        let mut found = Vec::new();
        for row in rows {
            let name: String = row.try_get("", "name")?;
            if let Some(month) = partition_month(&name) {
                found.push((name, month));
            }
        }
        Ok(found)
    }

    /// Makes the monthly partitions of `meter_readings` for `now`'s month and the next ones, on
    /// PostgreSQL (SQLite has one table), moving into each the rows the default partition holds
    /// for its month. Returns how many it made.
    pub async fn make_partitions(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        if self.db().get_database_backend() != DatabaseBackend::Postgres {
            return Ok(0);
        }
        let have: Vec<NaiveDate> = self.partitions().await?.into_iter().map(|(_, month)| month).collect();
        let first = NaiveDate::from_ymd_opt(now.year(), now.month(), 1).unwrap_or_default();
        let mut made = 0;
        for ahead in 0..MONTHS_AHEAD {
            let Some(month) = first.checked_add_months(Months::new(ahead)) else { continue };
            if have.contains(&month) {
                continue;
            }
            let Some(next) = month.checked_add_months(Months::new(1)) else { continue };
            let name = format!("meter_readings_{}", month.format("%Y%m"));
            let (from, to) = (month_start(month), month_start(next));
            super::in_transaction(self, |txn| {
                Box::pin(async move {
                    let at = |sql: &str, values: Vec<Value>| statement(DatabaseBackend::Postgres, sql, values);
                    let range = vec![from.into(), to.into()];
                    txn.execute_raw(at(
                        "CREATE TEMPORARY TABLE moving_readings ON COMMIT DROP AS SELECT * FROM meter_readings_default \
                         WHERE sampled_at >= ? AND sampled_at < ?",
                        range.clone(),
                    ))
                    .await?;
                    txn.execute_raw(at(
                        "DELETE FROM meter_readings_default WHERE sampled_at >= ? AND sampled_at < ?",
                        range,
                    ))
                    .await?;
                    // Bounds are literals in DDL; these are made from dates, never from input.
                    let create = format!(
                        "CREATE TABLE {name} PARTITION OF meter_readings FOR VALUES FROM ('{}') TO ('{}')",
                        from.to_rfc3339(),
                        to.to_rfc3339()
                    );
                    txn.execute_unprepared(&create).await?;
                    txn.execute_unprepared("INSERT INTO meter_readings SELECT * FROM moving_readings").await?;
                    Ok(())
                })
            })
            .await?;
            made += 1;
        }
        Ok(made)
    }

    /// Rolls each month of `meter_readings` that ends by `cutoff` up and drops its partition
    /// (PostgreSQL), keeping the rows that may not go (see `removable`) in the default partition.
    async fn drop_partitions(
        &self,
        cutoff: DateTime<Utc>,
        evidence_since: DateTime<Utc>,
    ) -> Result<Retained, StoreError> {
        let mut done = Retained::default();
        for (name, month) in self.partitions().await? {
            let Some(end) = month.checked_add_months(Months::new(1)) else { continue };
            if month_start(end) > cutoff {
                continue;
            }
            let (rolled, deleted) = super::in_transaction(self, |txn| {
                Box::pin(async move {
                    let backend = DatabaseBackend::Postgres;
                    let go = removable(false);
                    let values = || vec![ACTIVE.into(), evidence_since.into()];
                    let rolled =
                        txn.execute_raw(statement(backend, &roll_readings(backend, &name, &go), values())).await?;
                    let deleted = count(txn, &count_samples(backend, &name, &go), values()).await?;
                    let keep = format!(
                        "CREATE TEMPORARY TABLE kept_readings ON COMMIT DROP AS SELECT * FROM {name} r WHERE NOT {go}"
                    );
                    txn.execute_raw(statement(backend, &keep, values())).await?;
                    // Detaching locks the table briefly: once a month.
                    txn.execute_unprepared(&format!("ALTER TABLE meter_readings DETACH PARTITION {name}")).await?;
                    txn.execute_unprepared(&format!("DROP TABLE {name}")).await?;
                    txn.execute_unprepared("INSERT INTO meter_readings SELECT * FROM kept_readings").await?;
                    Ok((rolled.rows_affected(), deleted))
                })
            })
            .await?;
            done.rolled_up += rolled;
            done.deleted += deleted;
            done.partitions += 1;
        }
        Ok(done)
    }

    /// Rolls samples older than `cutoff` (an hour's start) up into `sample_rollups` (count, sum,
    /// least, most per charger, connector, hour and measurand) and removes them: whole monthly
    /// partitions on PostgreSQL, then the rest charger by charger, each in one transaction,
    /// through the (charger, time) indexes. A transaction still in progress keeps its samples,
    /// and so does one whose order was made since `evidence_since` or waits for review (a bill's
    /// evidence, kept while it can be disputed). A sample that arrives late for an hour rolled up
    /// already joins its rollup on the next round. On PostgreSQL the partitions of the months
    /// ahead are made first.
    pub async fn roll_up_samples(
        &self,
        cutoff: DateTime<Utc>,
        evidence_since: DateTime<Utc>,
    ) -> Result<Retained, StoreError> {
        let backend = self.db().get_database_backend();
        let mut done = Retained::default();
        if backend == DatabaseBackend::Postgres {
            self.make_partitions(Utc::now()).await?;
            done = self.drop_partitions(cutoff, evidence_since).await?;
        }
        let chargers = self.db().query_all_raw(statement(backend, "SELECT id FROM chargers ORDER BY id", [])).await?;
        for row in chargers {
            let charger: String = row.try_get("", "id")?;
            let (rolled, deleted) = super::in_transaction(self, |txn| {
                let charger = charger.clone();
                Box::pin(async move { roll_up_charger(txn, &charger, cutoff, evidence_since).await })
            })
            .await?;
            done.chargers += 1;
            done.rolled_up += rolled;
            done.deleted += deleted;
        }
        Ok(done)
    }
}

/// One charger's samples older than `cutoff` in both tables: (rollup rows written, samples removed).
async fn roll_up_charger(
    txn: &DatabaseTransaction,
    charger: &str,
    cutoff: DateTime<Utc>,
    evidence_since: DateTime<Utc>,
) -> Result<(u64, u64), StoreError> {
    let backend = txn.get_database_backend();
    let (hour, least, most) = match backend {
        DatabaseBackend::Postgres => ("date_trunc('hour', sampled_at)", "LEAST", "GREATEST"),
        // The text sqlx writes a time as (RFC 3339), so that it compares with bound times.
        _ => ("strftime('%Y-%m-%dT%H:00:00+00:00', sampled_at)", "MIN", "MAX"),
    };
    // `meter_samples`, from before migration 19. The status, the charger and the evidence's start
    // are bound (the last parameters of each statement below).
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
    let values = vec![charger.into(), cutoff.into(), ACTIVE.into(), charger.into(), evidence_since.into()];
    let mut rolled = txn.execute_raw(statement(backend, &roll, values.clone())).await?.rows_affected();
    let delete = format!("DELETE FROM meter_samples WHERE charger_id = ? AND sampled_at < ? AND {kept}");
    let mut deleted = txn.execute_raw(statement(backend, &delete, values)).await?.rows_affected();

    // `meter_readings`.
    let condition = format!("r.charger_id = ? AND r.sampled_at < ? AND {}", removable(true));
    let values =
        || vec![charger.into(), reading_time(backend, cutoff), ACTIVE.into(), charger.into(), evidence_since.into()];
    rolled += txn
        .execute_raw(statement(backend, &roll_readings(backend, "meter_readings", &condition), values()))
        .await?
        .rows_affected();
    deleted += count(txn, &count_samples(backend, "meter_readings", &condition), values()).await?;
    let delete = format!("DELETE FROM meter_readings AS r WHERE {condition}");
    txn.execute_raw(statement(backend, &delete, values())).await?;
    Ok((rolled, deleted))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partition_is_known_by_its_month_and_nothing_else_is() {
        assert_eq!(partition_month("meter_readings_202612"), NaiveDate::from_ymd_opt(2026, 12, 1));
        assert_eq!(partition_month("meter_readings_default"), None);
        assert_eq!(partition_month("meter_readings_202613"), None);
        assert_eq!(partition_month("meter_readings_2026121"), None);
    }
}
