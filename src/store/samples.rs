//! Inserting meter samples: every sample of a batch in one statement whose text never changes
//! (the rows travel as one JSON parameter, unpacked by the database), so that each connection
//! prepares it once. A multi-row `INSERT … VALUES` has a different text for every row count:
//! each connection cached a prepared statement per size it met (on SQLite, programs of up to
//! ~11,000 parameters), and PostgreSQL parsed and planned each new size afresh.
//!
//! Each row keeps its natural key unique (`ux_meter_samples_natural`) and a copy is ignored, so
//! a resent MeterValues or a redone batch stores nothing twice. On PostgreSQL a batch first
//! inserts plainly ([`Copies::Fail`]): `ON CONFLICT DO NOTHING` searches the unique index for
//! every row before inserting it, and the insert searches it again (measured: the search alone
//! was a fifth of PostgreSQL's time under MeterValues load). Copies are rare; a batch that meets
//! one fails whole and is redone with copies ignored. A transaction id that is not one
//! of the charger's own transactions is dropped inside the statement (the sample is kept,
//! unattached).

use super::{Sample, StoreError};
use chrono::SecondsFormat;
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

/// The rows' JSON per statement at most, on SQLite (bounds the parameter's size).
const SQLITE_STATEMENT_BYTES: usize = 256 * 1024;
/// The same on PostgreSQL, kept well within a socket's initial send buffer (16 KiB on Linux).
/// sqlx 0.9.0 leaves Nagle's algorithm on (sqlx issue #4335, fixed by #4336, not yet released):
/// a statement the kernel takes in two writes has its tail held until the server's delayed ACK,
/// 40 ms later. Measured here: inserts of 20–100 KiB took 45–50 ms in csms and 2 ms in
/// PostgreSQL; of 6 KiB, 0.7 ms.
const POSTGRES_STATEMENT_BYTES: usize = 12 * 1024;

const SQLITE: &str = "INSERT INTO meter_samples (transaction_id, charger_id, evse_id, connector_id, sampled_at, \
     measurand, phase, context, location, unit, value) \
     SELECT (SELECT t.id FROM transactions t WHERE t.id = s.value ->> 0 AND t.charger_id = s.value ->> 1), \
     s.value ->> 1, s.value ->> 2, s.value ->> 3, s.value ->> 4, s.value ->> 5, s.value ->> 6, s.value ->> 7, \
     s.value ->> 8, s.value ->> 9, s.value ->> 10 \
     FROM json_each(?) AS s WHERE true ON CONFLICT DO NOTHING";

/// PostgreSQL's statement, ended by `$tail`.
macro_rules! postgres {
    ($tail:literal) => {
        concat!(
            "INSERT INTO meter_samples (transaction_id, charger_id, evse_id, connector_id, sampled_at, \
     measurand, phase, context, location, unit, value) \
     SELECT (SELECT t.id FROM transactions t WHERE t.id = (e ->> 0)::bigint AND t.charger_id = e ->> 1), \
     e ->> 1, (e ->> 2)::integer, (e ->> 3)::integer, (e ->> 4)::timestamptz, e ->> 5, e ->> 6, e ->> 7, \
     e ->> 8, e ->> 9, e ->> 10 \
     FROM jsonb_array_elements($1::jsonb) AS e",
            $tail
        )
    };
}
/// On PostgreSQL, a copy fails the insert ...
const POSTGRES_FAILING: &str = postgres!("");
/// ... or is ignored.
const POSTGRES_IGNORING: &str = postgres!(" ON CONFLICT DO NOTHING");

/// What an insert does with a copy of a stored sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Copies {
    /// Ignores it.
    Ignore,
    /// Fails with a unique violation, on PostgreSQL (SQLite ignores it: its insert checks the
    /// key in the same search that places the row).
    Fail,
}

/// Sample rows gathered for one insert: JSON arrays of rows, one per statement.
#[derive(Debug)]
pub(super) struct SampleRows {
    backend: DatabaseBackend,
    copies: Copies,
    /// Full arrays.
    full: Vec<String>,
    /// The array being filled, without its closing bracket (JSON text, written in place).
    current: Vec<u8>,
    rows: usize,
}

impl SampleRows {
    pub(super) fn new(backend: DatabaseBackend, copies: Copies) -> Self {
        SampleRows { backend, copies, full: Vec::new(), current: Vec::new(), rows: 0 }
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
        // The samples of one reading share its time: written once per time.
        let mut at_text: Option<(chrono::DateTime<chrono::Utc>, String)> = None;
        for s in samples {
            // The time as sqlx writes a `DateTime<Utc>` to SQLite, so that a copy of a stored
            // sample has the very same key text.
            let at = match &at_text {
                Some((at, text)) if *at == s.sampled_at => text,
                _ => &at_text.insert((s.sampled_at, s.sampled_at.to_rfc3339_opts(SecondsFormat::AutoSi, false))).1,
            };
            let row = (
                transaction_id,
                charger_id,
                evse_id,
                connector_id,
                at,
                &s.measurand,
                &s.phase,
                &s.context,
                &s.location,
                &s.unit,
                &s.value,
            );
            let mark = self.current.len();
            self.current.push(if self.rows == 0 { b'[' } else { b',' });
            // Plain strings and numbers: writing them as JSON cannot fail (if it did, the
            // row's partial text is taken back).
            if serde_json::to_writer(&mut self.current, &row).is_err() {
                self.current.truncate(mark);
                continue;
            }
            self.rows += 1;
            let most = match self.backend {
                DatabaseBackend::Postgres => POSTGRES_STATEMENT_BYTES,
                _ => SQLITE_STATEMENT_BYTES,
            };
            if self.current.len() >= most - 512 {
                self.close();
            }
        }
    }

    /// Closes the array being filled.
    fn close(&mut self) {
        self.current.push(b']');
        // serde_json writes UTF-8 only.
        if let Ok(text) = String::from_utf8(std::mem::take(&mut self.current)) {
            self.full.push(text);
        }
        self.rows = 0;
    }

    /// Inserts the rows.
    pub(super) async fn insert(mut self, db: &impl ConnectionTrait) -> Result<(), StoreError> {
        if self.rows > 0 {
            self.close();
        }
        let backend = self.backend;
        let sql = match (backend, self.copies) {
            (DatabaseBackend::Postgres, Copies::Fail) => POSTGRES_FAILING,
            (DatabaseBackend::Postgres, Copies::Ignore) => POSTGRES_IGNORING,
            _ => SQLITE,
        };
        for rows in self.full {
            db.execute_raw(Statement::from_sql_and_values(backend, sql, [rows.into()])).await?;
        }
        Ok(())
    }
}

/// Stores sampled values of a charger's connector, ignoring copies (see `SampleRows`).
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
