//! What the money audit needs: platform alarms that concern no pile (`alarms.charger_id`
//! nullable), and which refunds an operator made (`refunds.actor`) once the order was settled
//! (`refunds.after_settlement`, decided under the order's row lock: a timestamp cannot tell which
//! of two racing transactions committed first), summed on the order as `orders.gift_fen` — what an
//! order may keep less of than its bill, and still owe nothing.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

/// The table SQLite copies the alarms into.
const NEW_ALARMS: &str = "alarms_new";

/// The alarms table's columns with `charger_id` nullable or not (SQLite changes a column's
/// nullability only by making the table anew).
fn alarms(table: impl IntoIden, charger_nullable: bool) -> TableCreateStatement {
    let charger =
        if charger_nullable { string_len_null(Alarms::ChargerId, 64) } else { string_len(Alarms::ChargerId, 64) };
    Table::create()
        .table(table)
        .col(big_pk_auto(Alarms::Id))
        .col(charger)
        .col(string_len(Alarms::Kind, 20))
        .col(string_len(Alarms::Level, 10))
        .col(string_len(Alarms::Status, 14))
        .col(string_len(Alarms::Message, 256))
        .col(string_len_null(Alarms::Value, 64))
        .col(string_len_null(Alarms::ActiveKey, 100).unique_key())
        .col(timestamp_with_time_zone(Alarms::RaisedAt))
        .col(timestamp_with_time_zone_null(Alarms::AcknowledgedAt))
        .col(string_len_null(Alarms::AcknowledgedBy, 64))
        .col(timestamp_with_time_zone_null(Alarms::ClearedAt))
        .to_owned()
}

/// Makes `alarms.charger_id` nullable or not: SQLite copies the table into a new one.
async fn charger_nullable(manager: &SchemaManager<'_>, nullable: bool) -> Result<(), DbErr> {
    if manager.get_database_backend() != DatabaseBackend::Sqlite {
        let column = if nullable {
            ColumnDef::new(Alarms::ChargerId).string_len(64).null().to_owned()
        } else {
            ColumnDef::new(Alarms::ChargerId).string_len(64).not_null().to_owned()
        };
        return manager.alter_table(Table::alter().table(Alarms::Table).modify_column(column).to_owned()).await;
    }
    // One script on one connection: the pool's other connections never see a half-made table.
    let keep = if nullable { "" } else { " WHERE charger_id IS NOT NULL" };
    let columns = "id, charger_id, kind, level, status, message, value, active_key, raised_at, acknowledged_at, \
                   acknowledged_by, cleared_at";
    let create = alarms(Alias::new(NEW_ALARMS), nullable).to_string(SqliteQueryBuilder);
    let mut script = format!(
        "{create}; INSERT INTO {NEW_ALARMS} ({columns}) SELECT {columns} FROM alarms{keep}; DROP TABLE alarms; \
         ALTER TABLE {NEW_ALARMS} RENAME TO alarms;"
    );
    for (name, first, second) in
        [("ix_alarms_status", Alarms::Status, Alarms::Id), ("ix_alarms_charger", Alarms::ChargerId, Alarms::Id)]
    {
        let index = Index::create().name(name).table(Alarms::Table).col(first).col(second).to_owned();
        script.push_str(&index.to_string(SqliteQueryBuilder));
        script.push(';');
    }
    manager.get_connection().execute_unprepared(&script).await?;
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        charger_nullable(manager, true).await?;
        let actor = Table::alter().table(Refunds::Table).add_column(string_len_null(Refunds::Actor, 64)).to_owned();
        manager.alter_table(actor).await?;
        let after = ColumnDef::new(Refunds::AfterSettlement).boolean().not_null().default(false).to_owned();
        manager.alter_table(Table::alter().table(Refunds::Table).add_column(after).to_owned()).await?;
        let gift = ColumnDef::new(Orders::GiftFen).big_integer().not_null().default(0).to_owned();
        manager.alter_table(Table::alter().table(Orders::Table).add_column(gift).to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(Orders::Table).drop_column(Orders::GiftFen).to_owned()).await?;
        for column in [Refunds::AfterSettlement, Refunds::Actor] {
            manager.alter_table(Table::alter().table(Refunds::Table).drop_column(column).to_owned()).await?;
        }
        if manager.get_database_backend() != DatabaseBackend::Sqlite {
            manager.get_connection().execute_unprepared("DELETE FROM alarms WHERE charger_id IS NULL").await?;
        }
        charger_nullable(manager, false).await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Alarms {
    Table,
    Id,
    ChargerId,
    Kind,
    Level,
    Status,
    Message,
    Value,
    ActiveKey,
    RaisedAt,
    AcknowledgedAt,
    AcknowledgedBy,
    ClearedAt,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    GiftFen,
}

#[derive(DeriveIden, Clone, Copy)]
enum Refunds {
    Table,
    Actor,
    AfterSettlement,
}
