//! Samples summed up in SQL: per-bucket means for trends (raw samples of both tables, and hourly
//! rollups past their retention). The retention job that makes the rollups is `retention`.

use super::sample_codec;
use super::sample_reads::{each_sample, epoch, reading_epoch, reading_time};
use super::sql::statement;
use super::{Store, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend};

/// Whether `value` is a plain decimal number, in SQL (a signed value's raw text is not).
pub(super) fn numeric(backend: DatabaseBackend) -> &'static str {
    match backend {
        // No `?` in it: `statement` numbers every `?` as a parameter.
        DatabaseBackend::Postgres => "value ~ '^-{0,1}[0-9]+([.][0-9]+){0,1}$'",
        _ => "value <> '' AND value NOT GLOB '*[^0-9.-]*' AND value NOT GLOB '*.*.*' AND value NOT GLOB '?*-*'",
    }
}

/// The same of a reading's sample `e` (see `sample_reads::each_sample`): on SQLite a JSON number
/// is one (its value is a number, whose text may not be plain), text is checked as above.
pub(super) fn numeric_sample(backend: DatabaseBackend) -> String {
    match backend {
        DatabaseBackend::Postgres => numeric(backend).replace("value", "e.value"),
        _ => format!(
            "(e.type IN ('integer', 'real') OR (e.type = 'text' AND {}))",
            numeric(backend).replace("value", "e.value")
        ),
    }
}

/// A text value as a double, in SQL.
pub(super) fn number(backend: DatabaseBackend) -> &'static str {
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
        let query = means_query(backend, charger_id, (from, to), seconds, measurands);
        let rows = self.db().query_all_raw(query).await?;
        rows.iter().map(|r| Ok((r.try_get("", "b")?, r.try_get("", "measurand")?, r.try_get("", "mean")?))).collect()
    }

    /// The database's plan for [`Store::sample_means`] (`EXPLAIN`; SQLite's `EXPLAIN QUERY
    /// PLAN`), one line per step: which indexes a trend reads through.
    pub async fn sample_means_plan(
        &self,
        charger_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        seconds: i64,
        measurands: &[&str],
    ) -> Result<Vec<String>, StoreError> {
        let backend = self.db().get_database_backend();
        let mut query = means_query(backend, charger_id, (from, to), seconds, measurands);
        let (explain, column) = if backend == DatabaseBackend::Postgres {
            ("EXPLAIN ", "QUERY PLAN")
        } else {
            ("EXPLAIN QUERY PLAN ", "detail")
        };
        query.sql.insert_str(0, explain);
        let rows = self.db().query_all_raw(query).await?;
        rows.iter().map(|r| Ok(r.try_get("", column)?)).collect()
    }
}

/// The query of [`Store::sample_means`].
fn means_query(
    backend: DatabaseBackend,
    charger_id: &str,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    seconds: i64,
    measurands: &[&str],
) -> sea_orm::Statement {
    let marks = vec!["?"; measurands.len()].join(", ");
    let raw = epoch(backend, "sampled_at");
    let hour = epoch(backend, "hour");
    // Raw samples and rollups meet in one bucketing: each side a sum and a count, so a mean
    // over both is exact. They never cover the same hour: the retention job rolls up and
    // deletes whole hours, in one transaction.
    let compact = reading_epoch(backend, "r.sampled_at");
    let codes: Vec<String> = measurands.iter().filter_map(|m| sample_codec::code(m)).map(String::from).collect();
    let code_marks = vec!["?"; codes.len().max(1)].join(", ");
    // Raw samples are in `meter_samples` (before migration 19) and `meter_readings`.
    let sql = format!(
        "SELECT b, measurand, SUM(total) / CAST(SUM(n) AS {float}) AS mean FROM ( \
               SELECT ({raw} / {seconds}) * {seconds} AS b, measurand, SUM({num}) AS total, COUNT(*) AS n \
               FROM meter_samples WHERE charger_id = ? AND sampled_at >= ? AND sampled_at < ? \
               AND measurand IN ({marks}) AND {numeric} GROUP BY 1, 2 \
               UNION ALL \
               SELECT ({compact} / {seconds}) * {seconds} AS b, {names} AS measurand, SUM({sample_num}) AS total, \
               COUNT(*) AS n FROM meter_readings r {each} \
               WHERE r.charger_id = ? AND r.sampled_at >= ? AND r.sampled_at < ? \
               AND substr(e.key, 1, 1) IN ({code_marks}) AND {sample_numeric} GROUP BY 1, 2 \
               UNION ALL \
               SELECT ({hour} / {seconds}) * {seconds} AS b, measurand, SUM(total) AS total, SUM(samples) AS n \
               FROM sample_rollups WHERE charger_id = ? AND hour >= ? AND hour < ? AND measurand IN ({marks}) \
               GROUP BY 1, 2 \
             ) AS parts GROUP BY b, measurand ORDER BY b, measurand",
        num = number(backend),
        float = if backend == DatabaseBackend::Postgres { "DOUBLE PRECISION" } else { "REAL" },
        numeric = numeric(backend),
        names = sample_codec::measurand_names("e.key"),
        sample_num = number(backend).replace("value", "e.value"),
        each = each_sample(backend),
        sample_numeric = numeric_sample(backend),
    );
    let mut values: Vec<sea_orm::Value> = vec![charger_id.into(), from.into(), to.into()];
    values.extend(measurands.iter().map(|m| (*m).into()));
    values.extend([charger_id.into(), reading_time(backend, from), reading_time(backend, to)]);
    // No measurand with a code: a code none has.
    values.extend(if codes.is_empty() { vec!["~".into()] } else { codes.into_iter().map(Into::into).collect() });
    values.extend([charger_id.into(), from.into(), to.into()]);
    values.extend(measurands.iter().map(|m| (*m).into()));
    statement(backend, &sql, values)
}
