//! Reading stored samples back, old and new alike: the rows of `meter_samples` (a row per sample,
//! written before migration 19, read until retention has removed them) and of `meter_readings`
//! (a row per reading, its samples in `sample_codec`'s form). Times in `meter_readings` are
//! `timestamptz` on PostgreSQL and microseconds since the epoch on SQLite.

use super::StoreError;
use super::sample_codec::decode;
use chrono::{DateTime, Utc};
use entity::meter_sample;
use sea_orm::{ConnectionTrait, DatabaseBackend, QueryResult, Value};

/// A time as `meter_readings.sampled_at` holds it, for binding.
pub(crate) fn reading_time(backend: DatabaseBackend, at: DateTime<Utc>) -> Value {
    match backend {
        DatabaseBackend::Postgres => at.into(),
        _ => at.timestamp_micros().into(),
    }
}

/// `meter_readings.sampled_at` of a row.
pub(crate) fn row_time(backend: DatabaseBackend, row: &QueryResult) -> Result<DateTime<Utc>, StoreError> {
    match backend {
        DatabaseBackend::Postgres => Ok(row.try_get("", "sampled_at")?),
        _ => {
            let micros: i64 = row.try_get("", "sampled_at")?;
            DateTime::from_timestamp_micros(micros)
                .ok_or_else(|| StoreError::Corrupt(format!("a reading at {micros} µs")))
        }
    }
}

/// `meter_readings.sampled_at` in whole seconds since the epoch, in SQL.
pub(crate) fn reading_epoch(backend: DatabaseBackend, column: &str) -> String {
    match backend {
        DatabaseBackend::Sqlite => format!("({column} / 1000000)"),
        other => epoch(other, column),
    }
}

/// The samples of a reading as rows `e` with the sample's `key` and `value` (text), in SQL: to
/// follow `FROM meter_readings r`.
pub(crate) fn each_sample(backend: DatabaseBackend) -> &'static str {
    match backend {
        DatabaseBackend::Postgres => "CROSS JOIN LATERAL json_each_text(r.samples) AS e",
        _ => "CROSS JOIN json_each(r.samples) AS e",
    }
}

/// The readings of transaction `id` (or, `latest`, the newest first), at most `limit`, as
/// samples in the form of `meter_samples` rows (`id` 0; `meter_samples`'s own rows are older).
async fn transaction_readings(
    db: &impl ConnectionTrait,
    id: i64,
    latest: bool,
    limit: Option<u64>,
) -> Result<Vec<meter_sample::Model>, StoreError> {
    let backend = db.get_database_backend();
    let (samples, order) = match backend {
        DatabaseBackend::Postgres => ("CAST(samples AS text)", if latest { "DESC" } else { "ASC" }),
        _ => ("samples", if latest { "DESC" } else { "ASC" }),
    };
    let limit = limit.map_or(String::new(), |n| format!(" LIMIT {n}"));
    let sql = format!(
        "SELECT charger_id, evse_id, connector_id, sampled_at, {samples} AS samples FROM meter_readings \
         WHERE transaction_id = ? AND transaction_id <> 0 \
         ORDER BY sampled_at {order}, evse_id {order}, connector_id {order}{limit}"
    );
    let rows = db.query_all_raw(super::sql::statement(backend, &sql, [id.into()])).await?;
    let mut found = Vec::with_capacity(rows.len() * 5);
    for row in rows {
        let at = row_time(backend, &row)?;
        let json: String = row.try_get("", "samples")?;
        let (charger_id, evse_id, connector_id): (String, i32, i32) =
            (row.try_get("", "charger_id")?, row.try_get("", "evse_id")?, row.try_get("", "connector_id")?);
        let mut samples = decode(at, &json).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        if latest {
            samples.reverse();
        }
        found.extend(samples.into_iter().map(|s| meter_sample::Model {
            id: 0,
            transaction_id: Some(id),
            charger_id: charger_id.clone(),
            evse_id,
            connector_id,
            sampled_at: s.sampled_at,
            measurand: s.measurand,
            phase: s.phase,
            context: s.context,
            location: s.location,
            unit: s.unit,
            value: s.value,
        }));
    }
    Ok(found)
}

/// Every sample of transaction `id` in time order: `meter_samples`'s rows (`legacy`, in time
/// order) and then, at the same time, `meter_readings`'s.
pub(crate) async fn transaction_samples(
    db: &impl ConnectionTrait,
    id: i64,
    legacy: Vec<meter_sample::Model>,
) -> Result<Vec<meter_sample::Model>, StoreError> {
    let readings = transaction_readings(db, id, false, None).await?;
    if legacy.is_empty() {
        return Ok(readings);
    }
    let mut all = legacy;
    all.extend(readings);
    // Stable: at one time, the older table's rows stay first.
    all.sort_by_key(|s| s.sampled_at);
    Ok(all)
}

/// The earliest (or `latest`) sample of transaction `id` in `meter_readings` that `pick` takes,
/// with what it took. Readings are read a few at a time, newest (or oldest) first.
pub(crate) async fn first_reading_where<T>(
    db: &impl ConnectionTrait,
    id: i64,
    latest: bool,
    pick: impl Fn(&meter_sample::Model) -> Option<T>,
) -> Result<Option<(DateTime<Utc>, T)>, StoreError> {
    // Nearly every reading of a session holds its energy register: the first page finds it.
    let first = transaction_readings(db, id, latest, Some(16)).await?;
    if let Some(found) = first.iter().find_map(|s| Some((s.sampled_at, pick(s)?))) {
        return Ok(Some(found));
    }
    if first.len() < 16 {
        return Ok(None);
    }
    let all = transaction_readings(db, id, latest, None).await?;
    Ok(all.iter().find_map(|s| Some((s.sampled_at, pick(s)?))))
}

impl super::Store {
    /// How many samples of `charger_id` are stored raw, in both tables.
    pub async fn stored_samples(&self, charger_id: &str) -> Result<u64, StoreError> {
        let backend = self.db().get_database_backend();
        let each = match backend {
            DatabaseBackend::Postgres => "json_object_keys(r.samples)",
            _ => "json_each(r.samples)",
        };
        let sql = format!(
            "SELECT CAST((SELECT COUNT(*) FROM meter_samples WHERE charger_id = ?) \
             + COALESCE((SELECT SUM((SELECT COUNT(*) FROM {each})) FROM meter_readings r WHERE r.charger_id = ?), 0) \
             AS BIGINT) AS n"
        );
        let values = [charger_id.into(), charger_id.into()];
        let row = self.db().query_one_raw(super::sql::statement(backend, &sql, values)).await?;
        let n: i64 = row.map(|r| r.try_get("", "n")).transpose()?.unwrap_or(0);
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

/// A timestamp column in whole seconds since the epoch, in SQL.
pub(super) fn epoch(backend: DatabaseBackend, column: &str) -> String {
    match backend {
        DatabaseBackend::Postgres => format!("CAST(FLOOR(EXTRACT(EPOCH FROM {column})) AS BIGINT)"),
        _ => format!("CAST(unixepoch({column}) AS INTEGER)"),
    }
}
