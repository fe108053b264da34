//! The statistics' daily rollups (issue 19): `stats_days`, one row per pile and local day with
//! its orders made, completed and cancelled, their energy and bills, refunds and time spent
//! charging; `stats_users`, one row per local day, user and pile with an order made, and the
//! user's sign-up day in the same zone, so that distinct users over any period stay exact.
//! Days are local days of the zone of the station each pile stands in.
//!
//! Local days need time zones, which SQLite has not: the rollups of the orders already stored are
//! filled by csms right after the migrations run (`Store::migrate`), in one transaction, while
//! the row this migration leaves in `stats_fill` says they are still to be filled.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

/// The tables, for `backend`: SQLite keeps them ordered by their key (`WITHOUT ROWID`), so that
/// a range of days is read in one sweep.
fn create(backend: DatabaseBackend) -> String {
    // PostgreSQL's key indexes hold the key only: a day's users with their sign-up are read
    // from an index of their own (a year's million read through the key's index visited the
    // table for each, 1.5 s); SQLite's table is its key's index.
    let (int, tail, covering) = match backend {
        DatabaseBackend::Sqlite => ("INTEGER", " WITHOUT ROWID", ""),
        _ => ("BIGINT", "", "CREATE INDEX ix_stats_users_day ON stats_users (day, user_id, signed_up);"),
    };
    let figures = [
        "created",
        "completed",
        "cancelled",
        "energy_wh",
        "energy_fee_fen",
        "service_fee_fen",
        "total_fen",
        "refunds_fen",
        "charging_us",
    ]
    .map(|column| format!("{column} {int} NOT NULL DEFAULT 0"))
    .join(", ");
    format!(
        "CREATE TABLE stats_days (day VARCHAR(10) NOT NULL, charger_id VARCHAR(64) NOT NULL, {figures}, \
         PRIMARY KEY (day, charger_id)){tail};
         CREATE INDEX ix_stats_days_pile ON stats_days (charger_id, day);
         CREATE TABLE stats_users (day VARCHAR(10) NOT NULL, user_id {int} NOT NULL, charger_id VARCHAR(64) NOT NULL, \
         signed_up VARCHAR(10) NOT NULL, PRIMARY KEY (day, user_id, charger_id)){tail};
         CREATE INDEX ix_stats_users_pile ON stats_users (charger_id, day, user_id, signed_up);
         CREATE INDEX ix_stats_users_user ON stats_users (user_id, day, signed_up);
         {covering}
         CREATE TABLE stats_fill (id {int} NOT NULL PRIMARY KEY);
         INSERT INTO stats_fill (id) VALUES (1);"
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
            .execute_unprepared("DROP TABLE stats_fill; DROP TABLE stats_users; DROP TABLE stats_days;")
            .await?;
        Ok(())
    }
}
