//! A statement's refusal (issue 20): on PostgreSQL, `csms_refuse_unless(ok, code)` answers true
//! when `ok` is, else raises an error whose SQLSTATE is `code` (five characters, e.g. `CSR01`).
//! A change of several rows in one statement (an order, its payment, the balance and the ledger,
//! in data-modifying `WITH`s) ends with it, so that a later part refused rolls back the earlier
//! ones with it: the statement is one transaction, all or nothing, and csms tells the refusal by
//! its code, never by its text. SQLite changes several rows in a transaction instead: nothing to
//! create there.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE OR REPLACE FUNCTION csms_refuse_unless(ok boolean, code text) RETURNS boolean \
                 LANGUAGE plpgsql AS $$ BEGIN \
                   IF ok IS TRUE THEN RETURN TRUE; END IF; \
                   RAISE EXCEPTION 'refused by csms: %', code USING ERRCODE = code; \
                 END $$;",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        manager.get_connection().execute_unprepared("DROP FUNCTION csms_refuse_unless(boolean, text);").await?;
        Ok(())
    }
}
