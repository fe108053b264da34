//! Meter samples at fleet scale: `meter_readings`, one row per reading (one charger, EVSE,
//! connector, transaction and time) with its samples in a compact JSON object (see csms's
//! `store::sample_codec`), instead of a row per sample in `meter_samples` (186 bytes a sample,
//! indexes included; this is under 50).
//!
//! - The natural key is the reading's: unique (charger, time, EVSE, connector, transaction),
//!   `transaction_id` 0 for none (a partitioned table's unique index takes columns only). It
//!   leads with the charger and the time, so it is also the index the trend and retention read
//!   by. A second frame of the same reading merges its samples into the row; a copy changes
//!   nothing.
//! - `ix_meter_readings_transaction` finds a transaction's readings (bills, the API).
//! - On PostgreSQL the table is partitioned by month of `sampled_at` (native range partitions,
//!   `meter_readings_YYYYMM`, each with a BRIN index on the time), made here for this month and
//!   the next two and then ahead by the retention job; rows of a month without a partition (a
//!   charger whose clock is far off) land in `meter_readings_default` and move to their month's
//!   partition when it is made. Retention rolls a month up and drops its partition whole. The
//!   time is `timestamptz`; on SQLite (one table) microseconds since the epoch.
//!
//! `meter_samples` is left as it is, not copied: an upgrade must not rewrite a huge table inside
//! a migration. Its rows stay readable beside the new ones (every reader reads both) until
//! retention has rolled them up and deleted them. The trend and retention read them by charger
//! and time: `ix_meter_samples_charger_at` (charger, time) is built for that (read once, nothing
//! rewritten; on a large PostgreSQL database build it beforehand with `CREATE INDEX CONCURRENTLY
//! IF NOT EXISTS ix_meter_samples_charger_at ON meter_samples (charger_id, sampled_at)` and this
//! migration finds it made). Once a table that no longer grows, it costs no inserts.
//! `down()` drops `meter_readings` and with it the samples stored since, and that index.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

const POSTGRES: &str = "
CREATE TABLE meter_readings (
    transaction_id BIGINT NOT NULL DEFAULT 0,
    sampled_at TIMESTAMPTZ NOT NULL,
    evse_id INTEGER NOT NULL,
    connector_id INTEGER NOT NULL,
    charger_id TEXT NOT NULL,
    samples JSON NOT NULL
) PARTITION BY RANGE (sampled_at);
CREATE UNIQUE INDEX ux_meter_readings ON meter_readings (charger_id, sampled_at, evse_id, connector_id, transaction_id);
CREATE INDEX ix_meter_readings_transaction ON meter_readings (transaction_id) WHERE transaction_id <> 0;
CREATE INDEX ix_meter_readings_at ON meter_readings USING BRIN (sampled_at);
CREATE TABLE meter_readings_default PARTITION OF meter_readings DEFAULT;
CREATE INDEX IF NOT EXISTS ix_meter_samples_charger_at ON meter_samples (charger_id, sampled_at);
DO $$
DECLARE
    month TIMESTAMPTZ;
BEGIN
    FOR ahead IN 0..2 LOOP
        month := date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' + make_interval(months => ahead);
        EXECUTE format('CREATE TABLE meter_readings_%s PARTITION OF meter_readings FOR VALUES FROM (%L) TO (%L)',
            to_char(month AT TIME ZONE 'UTC', 'YYYYMM'), month, month + interval '1 month');
    END LOOP;
END $$;
";

const SQLITE: &str = "
CREATE TABLE meter_readings (
    id INTEGER PRIMARY KEY,
    charger_id TEXT NOT NULL,
    evse_id INTEGER NOT NULL,
    connector_id INTEGER NOT NULL,
    transaction_id INTEGER NOT NULL DEFAULT 0,
    sampled_at INTEGER NOT NULL,
    samples TEXT NOT NULL
);
CREATE UNIQUE INDEX ux_meter_readings ON meter_readings (charger_id, sampled_at, evse_id, connector_id, transaction_id);
CREATE INDEX ix_meter_readings_transaction ON meter_readings (transaction_id) WHERE transaction_id <> 0;
CREATE INDEX IF NOT EXISTS ix_meter_samples_charger_at ON meter_samples (charger_id, sampled_at);
";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => db.execute_unprepared(POSTGRES).await?,
            _ => db.execute_unprepared(SQLITE).await?,
        };
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The partitions go with their table.
        let db = manager.get_connection();
        db.execute_unprepared("DROP TABLE meter_readings").await?;
        db.execute_unprepared("DROP INDEX ix_meter_samples_charger_at").await?;
        Ok(())
    }
}
