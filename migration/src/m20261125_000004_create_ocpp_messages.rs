//! The OCPP message log: frames in and out, as sent (errors and commands by default; every
//! frame when `ocpp.message_log = "all"`).

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
                    .table(OcppMessages::Table)
                    .col(big_pk_auto(OcppMessages::Id))
                    .col(timestamp_with_time_zone(OcppMessages::At))
                    .col(string_len(OcppMessages::ChargerId, 48))
                    // "in" (from the charger) or "out" (to it).
                    .col(string_len(OcppMessages::Direction, 3))
                    // CALL, CALLRESULT, CALLERROR, or INVALID for what was not a frame.
                    .col(string_len(OcppMessages::MessageType, 10))
                    .col(string_len_null(OcppMessages::MessageId, 36))
                    .col(string_len_null(OcppMessages::Action, 64))
                    .col(text(OcppMessages::Frame))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_ocpp_messages_charger_at")
                    .table(OcppMessages::Table)
                    .col(OcppMessages::ChargerId)
                    .col(OcppMessages::At)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(OcppMessages::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum OcppMessages {
    Table,
    Id,
    At,
    ChargerId,
    Direction,
    MessageType,
    MessageId,
    Action,
    Frame,
}
