//! The operation log: every command an operator (or automation) sent to a charger, with its
//! payload and what came of it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OperationLog::Table)
                    .col(big_pk_auto(OperationLog::Id))
                    .col(timestamp_with_time_zone(OperationLog::At))
                    // Who: "operator-token" for the automation token; users arrive later.
                    .col(string_len(OperationLog::Actor, 64))
                    .col(string_len(OperationLog::ChargerId, 48))
                    .col(string_len(OperationLog::Action, 64))
                    .col(json_binary(OperationLog::Payload))
                    // Accepted (the charger answered), CallError, Timeout, Offline, Invalid, ...
                    .col(string_len(OperationLog::Outcome, 32))
                    .col(json_binary_null(OperationLog::Response))
                    .col(text_null(OperationLog::Error))
                    .col(integer(OperationLog::DurationMs))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_operation_log_charger_at")
                    .table(OperationLog::Table)
                    .col(OperationLog::ChargerId)
                    .col(OperationLog::At)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(OperationLog::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum OperationLog {
    Table,
    Id,
    At,
    Actor,
    ChargerId,
    Action,
    Payload,
    Outcome,
    Response,
    Error,
    DurationMs,
}
