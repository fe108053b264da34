//! Inserting meter readings (`meter_readings`: one row per charger, EVSE, connector, transaction
//! and time, its samples in the compact form of `sample_codec`) in few statements whose texts
//! never change, so that each connection prepares them once: on SQLite the rows travel as one
//! JSON parameter, unpacked by the database; on PostgreSQL as one binary array per column,
//! `unnest`ed (nothing to parse: measured under MeterValues load, PostgreSQL spent about a third
//! less per sample than on the same rows in JSON). A multi-row `INSERT … VALUES` has a different
//! text for every row count: each connection cached a prepared statement per size it met.
//!
//! Each reading keeps its natural key unique (`ux_meter_readings`): a copy of a stored reading
//! changes nothing, and a second frame with other samples of the same reading adds them to its
//! row (a sample already stored keeps its first value), so a resent MeterValues or a redone batch
//! stores nothing twice and a reading sent in parts is whole. On PostgreSQL a batch first inserts
//! plainly ([`Copies::Fail`]): `ON CONFLICT` searches the unique index for every row before
//! inserting it, and the insert searches it again (measured: the search alone was a fifth of
//! PostgreSQL's time under MeterValues load). Copies are rare; a batch that meets one fails whole
//! and is redone merging. A transaction id that is not one of the charger's own transactions is
//! dropped inside the statement (the reading is kept, unattached: transaction 0).

use super::sample_codec::encode;
use super::{Sample, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, Value};

/// The rows' JSON per statement at most, on SQLite (bounds the parameter's size).
const SQLITE_STATEMENT_BYTES: usize = 256 * 1024;
/// The rows' bytes per PostgreSQL statement at most, kept well within a socket's initial send
/// buffer (16 KiB on Linux). sqlx 0.9.0 leaves Nagle's algorithm on (sqlx issue #4335, fixed by
/// #4336, not yet released): a statement the kernel takes in two writes has its tail held until
/// the server's delayed ACK, 40 ms later. Measured here: inserts of 20–100 KiB took 45–50 ms in
/// csms and 2 ms in PostgreSQL; of 6 KiB, 0.7 ms.
const POSTGRES_STATEMENT_BYTES: usize = 10 * 1024;

/// The samples a conflicting row adds to the stored ones (theirs kept): SQLite.
const SQLITE: &str = "INSERT INTO meter_readings (transaction_id, charger_id, evse_id, connector_id, sampled_at, samples) \
     SELECT COALESCE((SELECT t.id FROM transactions t WHERE t.id = s.value ->> 0 AND t.charger_id = s.value ->> 1), 0), \
     s.value ->> 1, s.value ->> 2, s.value ->> 3, s.value ->> 4, s.value ->> 5 \
     FROM json_each(?) AS s WHERE true \
     ON CONFLICT (charger_id, sampled_at, evse_id, connector_id, transaction_id) DO UPDATE \
     SET samples = json_patch(excluded.samples, meter_readings.samples) \
     WHERE EXISTS (SELECT 1 FROM json_each(excluded.samples) AS e \
                   WHERE e.key NOT IN (SELECT key FROM json_each(meter_readings.samples)))";

/// PostgreSQL's statement, ended by `$tail`. Arrays hold no NULL (sea-query binds arrays of
/// values only): an absent transaction is 0 (no transaction has it).
macro_rules! postgres {
    ($tail:literal) => {
        concat!(
            "INSERT INTO meter_readings (transaction_id, sampled_at, evse_id, connector_id, charger_id, samples) \
             SELECT COALESCE((SELECT t.id FROM transactions t WHERE t.id = u.tx AND t.charger_id = u.charger), 0), \
             u.at, u.evse, u.connector, u.charger, CAST(u.samples AS json) \
             FROM unnest($1::int8[], $2::text[], $3::int4[], $4::int4[], $5::timestamptz[], $6::text[]) \
             AS u(tx, charger, evse, connector, at, samples)",
            $tail
        )
    };
}
/// On PostgreSQL, a copy fails the insert ...
const POSTGRES_FAILING: &str = postgres!("");
/// ... or adds its samples to the stored ones (theirs kept), changing nothing if it has none new.
const POSTGRES_MERGING: &str = postgres!(
    " ON CONFLICT (charger_id, sampled_at, evse_id, connector_id, transaction_id) DO UPDATE \
     SET samples = CAST(CAST(excluded.samples AS jsonb) || CAST(meter_readings.samples AS jsonb) AS json) \
     WHERE CAST(excluded.samples AS jsonb) || CAST(meter_readings.samples AS jsonb) <> CAST(meter_readings.samples AS jsonb)"
);

/// What an insert does with a copy of a stored reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Copies {
    /// Adds what it has new to the stored one.
    Ignore,
    /// Fails with a unique violation, on PostgreSQL (SQLite merges: its insert checks the key in
    /// the same search that places the row).
    Fail,
}

/// Reading rows gathered for one insert.
#[derive(Debug)]
pub(super) enum SampleRows {
    Sqlite {
        /// Full JSON arrays of rows, one per statement.
        full: Vec<String>,
        /// The array being filled, without its closing bracket (JSON text, written in place).
        current: Vec<u8>,
        rows: usize,
    },
    Postgres {
        copies: Copies,
        /// The rows of each statement, column by column; the last is being filled.
        statements: Vec<Columns>,
        /// The bytes of the last.
        bytes: usize,
    },
}

/// PostgreSQL rows, column by column.
#[derive(Debug, Default)]
pub(super) struct Columns {
    transaction: Vec<i64>,
    charger: Vec<String>,
    evse: Vec<i32>,
    connector: Vec<i32>,
    at: Vec<DateTime<Utc>>,
    samples: Vec<String>,
}

impl Columns {
    fn values(self) -> Vec<Value> {
        vec![
            self.transaction.into(),
            self.charger.into(),
            self.evse.into(),
            self.connector.into(),
            self.at.into(),
            self.samples.into(),
        ]
    }
}

/// The readings among `samples`: their times, each once in order of appearance, with its
/// samples' compact form.
fn readings(samples: &[Sample]) -> Vec<(DateTime<Utc>, String)> {
    let mut times: Vec<DateTime<Utc>> = Vec::new();
    for s in samples {
        // A MeterValues holds one or a few readings: a search of the few times is cheapest.
        if !times.contains(&s.sampled_at) {
            times.push(s.sampled_at);
        }
    }
    times.into_iter().map(|at| (at, encode(samples.iter().filter(|s| s.sampled_at == at)))).collect()
}

impl SampleRows {
    pub(super) fn new(backend: DatabaseBackend, copies: Copies) -> Self {
        match backend {
            DatabaseBackend::Postgres => {
                SampleRows::Postgres { copies, statements: vec![Columns::default()], bytes: 0 }
            }
            _ => SampleRows::Sqlite { full: Vec::new(), current: Vec::new(), rows: 0 },
        }
    }

    /// Adds `samples` of a charger's connector, attached to `transaction_id` if it is one of
    /// the charger's transactions.
    pub(super) fn add(
        &mut self,
        charger_id: &str,
        transaction_id: Option<i64>,
        evse_id: i32,
        connector_id: i32,
        samples: &[Sample],
    ) {
        let transaction = transaction_id.unwrap_or(0);
        match self {
            SampleRows::Sqlite { full, current, rows } => {
                for (at, samples) in readings(samples) {
                    let row = (transaction, charger_id, evse_id, connector_id, at.timestamp_micros(), samples);
                    let mark = current.len();
                    current.push(if *rows == 0 { b'[' } else { b',' });
                    // Plain strings and numbers: writing them as JSON cannot fail (if it did,
                    // the row's partial text is taken back).
                    if serde_json::to_writer(&mut *current, &row).is_err() {
                        current.truncate(mark);
                        continue;
                    }
                    *rows += 1;
                    if current.len() >= SQLITE_STATEMENT_BYTES - 512 {
                        close_json(full, current, rows);
                    }
                }
            }
            SampleRows::Postgres { statements, bytes, .. } => {
                for (at, samples) in readings(samples) {
                    // The row's bytes in binary arrays, about (lengths included).
                    let row = charger_id.len() + samples.len() + 60;
                    if *bytes + row > POSTGRES_STATEMENT_BYTES && *bytes > 0 {
                        statements.push(Columns::default());
                        *bytes = 0;
                    }
                    *bytes += row;
                    let Some(c) = statements.last_mut() else { continue };
                    c.transaction.push(transaction);
                    c.charger.push(charger_id.to_owned());
                    c.evse.push(evse_id);
                    c.connector.push(connector_id);
                    c.at.push(at);
                    c.samples.push(samples);
                }
            }
        }
    }

    /// On PostgreSQL, when the rows fit in one statement: its SQL (with `with` put before it,
    /// whose placeholders follow the insert's six) and its values.
    pub(super) fn single(self, with: &str) -> Option<(String, Vec<Value>)> {
        let SampleRows::Postgres { copies, mut statements, .. } = self else { return None };
        if statements.len() != 1 {
            return None;
        }
        let columns = statements.pop()?;
        let sql = if copies == Copies::Fail { POSTGRES_FAILING } else { POSTGRES_MERGING };
        Some((format!("{with} {sql}"), columns.values()))
    }

    /// Inserts the rows.
    pub(super) async fn insert(self, db: &impl ConnectionTrait) -> Result<(), StoreError> {
        match self {
            SampleRows::Sqlite { mut full, mut current, mut rows } => {
                if rows > 0 {
                    close_json(&mut full, &mut current, &mut rows);
                }
                for rows in full {
                    db.execute_raw(Statement::from_sql_and_values(DatabaseBackend::Sqlite, SQLITE, [rows.into()]))
                        .await?;
                }
            }
            SampleRows::Postgres { copies, statements, .. } => {
                let sql = if copies == Copies::Fail { POSTGRES_FAILING } else { POSTGRES_MERGING };
                for columns in statements.into_iter().filter(|c| !c.charger.is_empty()) {
                    db.execute_raw(Statement::from_sql_and_values(DatabaseBackend::Postgres, sql, columns.values()))
                        .await?;
                }
            }
        }
        Ok(())
    }
}

/// Closes the JSON array being filled.
fn close_json(full: &mut Vec<String>, current: &mut Vec<u8>, rows: &mut usize) {
    current.push(b']');
    // serde_json writes UTF-8 only.
    if let Ok(text) = String::from_utf8(std::mem::take(current)) {
        full.push(text);
    }
    *rows = 0;
}

/// Stores sampled values of a charger's connector, merging copies (see `SampleRows`).
pub(super) async fn insert_samples(
    db: &impl ConnectionTrait,
    charger_id: &str,
    transaction_id: Option<i64>,
    evse_id: i32,
    connector_id: i32,
    samples: &[Sample],
) -> Result<(), StoreError> {
    let mut rows = SampleRows::new(db.get_database_backend(), Copies::Ignore);
    rows.add(charger_id, transaction_id, evse_id, connector_id, samples);
    rows.insert(db).await
}
