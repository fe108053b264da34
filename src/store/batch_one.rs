//! A batch PostgreSQL stores in one statement: only meter samples (one multi-row insert), or a
//! single status (the connector's current status and its history row). The batch's mark is
//! written by the same statement (a data-modifying `WITH`), so one statement does what `BEGIN`,
//! the writes, the mark and `COMMIT` did: at low rates, when every status or MeterValues is a
//! batch of its own, four round trips fewer for each.
//!
//! A statement is atomic on its own: it stored the writes and the mark, or neither. When it
//! fails, the mark tells whether it went through anyway (its connection broke while it
//! committed), exactly as after a failed `COMMIT`.

use super::StoreError;
use super::batch::{Job, Outcome, Writer};
use super::samples::{Copies, SampleRows};
use crate::domain::chargers::records::StatusRecord;
use crate::domain::writes::Write;
use chrono::Utc;
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, Statement, Value};

/// The mark's part of the statement, its placeholders numbered from `first`.
fn mark_with(first: usize) -> String {
    format!(
        "WITH mark AS (INSERT INTO write_marks (writer, batch) VALUES (${first}, ${}) \
         ON CONFLICT (writer) DO UPDATE SET batch = excluded.batch)",
        first + 1
    )
}

/// One status: the connector's current status upserted and its history row added (`$1`–`$10`),
/// after the mark (`$11`, `$12`).
const STATUS: &str = ", current AS (INSERT INTO connectors \
     (charger_id, evse_id, connector_id, status, error_code, info, vendor_id, vendor_error_code, status_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
     ON CONFLICT (charger_id, evse_id, connector_id) DO UPDATE SET status = excluded.status, \
     error_code = excluded.error_code, info = excluded.info, vendor_id = excluded.vendor_id, \
     vendor_error_code = excluded.vendor_error_code, status_at = excluded.status_at, updated_at = excluded.updated_at) \
     INSERT INTO status_history \
     (charger_id, evse_id, connector_id, status, error_code, info, vendor_error_code, status_at, received_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $8, $9, $10)";

fn status_values(charger_id: &str, report: &StatusRecord) -> Vec<Value> {
    vec![
        charger_id.to_owned().into(),
        report.evse_id.into(),
        report.connector_id.into(),
        report.status.as_str().to_owned().into(),
        report.error_code.clone().into(),
        report.info.clone().into(),
        report.vendor_id.clone().into(),
        report.vendor_error_code.clone().into(),
        report.at.into(),
        Utc::now().into(),
    ]
}

/// The batch as one statement with its mark, when it is one PostgreSQL can take so.
pub(super) fn statement(writer: &Writer, jobs: &[Job], copies: Copies) -> Option<Statement> {
    if writer.store.db().get_database_backend() != DatabaseBackend::Postgres || jobs.is_empty() {
        return None;
    }
    let mark = |mut values: Vec<Value>| {
        values.extend([writer.name.clone().into(), writer.batch.into()]);
        values
    };
    let (sql, values) = match jobs {
        [(Write::Status { charger_id, record }, _)] => {
            (format!("{}{STATUS}", mark_with(11)), mark(status_values(charger_id, record)))
        }
        _ => {
            let mut rows = SampleRows::new(DatabaseBackend::Postgres, copies);
            for (write, _) in jobs {
                let Write::Samples { charger_id, transaction_id, evse_id, connector_id, samples } = write else {
                    return None;
                };
                rows.add(charger_id, *transaction_id, *evse_id, *connector_id, samples);
            }
            let (sql, values) = rows.single(&mark_with(7))?;
            (sql, mark(values))
        }
    };
    Some(Statement::from_sql_and_values(DatabaseBackend::Postgres, sql, values))
}

/// Runs the batch's one statement (by `run`); after a failure, its mark tells whether it is stored.
pub(super) async fn store(
    writer: &Writer,
    statement: Statement,
    copies: Copies,
    run: &impl AsyncFn(&DatabaseConnection, Statement) -> Result<(), DbErr>,
) -> Outcome {
    let Err(failed) = run(writer.store.db(), statement).await else { return Outcome::Stored };
    if copies == Copies::Fail && matches!(StoreError::from(failed), StoreError::Duplicate(_)) {
        return Outcome::MetCopy;
    }
    writer.judged_by_mark().await
}

/// Runs a statement on the writer's pool (outside any transaction: it commits by itself).
pub(super) async fn execute(db: &DatabaseConnection, statement: Statement) -> Result<(), DbErr> {
    db.execute_raw(statement).await.map(drop)
}

#[cfg(test)]
#[path = "batch_one_tests.rs"]
mod tests;
