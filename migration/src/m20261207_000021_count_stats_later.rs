//! The statistics' rollups counted after the change, not in its transaction (issue 20): an
//! order's change the statistics count sets `orders.stats_due` in the statement that makes it,
//! and a refund is made with `refunds.stats_due` set; csms's catch-up (every second, and before
//! each read of the rollups) counts what is due in batches — the difference between an order as
//! it is and as the rollups last counted it, kept in `stats_counted` (its figures and the zone it
//! was counted in) — and clears the flags, in one transaction.
//!
//! Rows already stored are all due (the columns' default) and the rollups are emptied: the first
//! catch-up counts everything anew, as a rebuild does.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

fn create(backend: DatabaseBackend) -> String {
    let (int, time, truth) = match backend {
        DatabaseBackend::Sqlite => ("INTEGER", "TEXT", "1"),
        _ => ("BIGINT", "TIMESTAMPTZ", "TRUE"),
    };
    format!(
        "ALTER TABLE orders ADD COLUMN stats_due BOOLEAN NOT NULL DEFAULT {truth};
         ALTER TABLE refunds ADD COLUMN stats_due BOOLEAN NOT NULL DEFAULT {truth};
         CREATE INDEX ix_orders_stats_due ON orders (id) WHERE stats_due;
         CREATE INDEX ix_refunds_stats_due ON refunds (id) WHERE stats_due;
         CREATE TABLE stats_counted (order_no VARCHAR(64) NOT NULL PRIMARY KEY, status VARCHAR(32) NOT NULL, \
         completed_at {time} NULL, energy_wh {int} NULL, energy_fee_fen {int} NULL, service_fee_fen {int} NULL, \
         total_fen {int} NULL, started_at {time} NULL, charging_ended_at {time} NULL, zone VARCHAR(64) NOT NULL);
         DELETE FROM stats_days;
         DELETE FROM stats_users;"
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One script on one connection (SQLite's pool may hand each statement another).
        manager.get_connection().execute_unprepared(&create(manager.get_database_backend())).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "DROP TABLE stats_counted; DROP INDEX ix_refunds_stats_due; DROP INDEX ix_orders_stats_due; \
                 ALTER TABLE refunds DROP COLUMN stats_due; ALTER TABLE orders DROP COLUMN stats_due; \
                 INSERT INTO stats_fill (id) VALUES (1);",
            )
            .await?;
        Ok(())
    }
}
