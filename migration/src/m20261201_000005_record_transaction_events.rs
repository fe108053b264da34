//! OCPP 2.0.1 TransactionEvents as received: `transaction_events` keeps each applied event once
//! (a charger resending one whose answer it lost changes nothing), and `transactions.offline`
//! marks a transaction some of whose events happened while its charger was offline, so that the
//! operator and billing know they arrived late and the token was authorised by the charger alone.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Transactions::Table)
                    .add_column(boolean(Transactions::Offline).default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TransactionEvents::Table)
                    .col(big_pk_auto(TransactionEvents::Id))
                    .col(big_integer(TransactionEvents::TransactionId))
                    .col(integer(TransactionEvents::SeqNo))
                    // Started, Updated, Ended.
                    .col(string_len(TransactionEvents::EventType, 8))
                    .col(string_len(TransactionEvents::TriggerReason, 32))
                    .col(timestamp_with_time_zone(TransactionEvents::At))
                    .col(boolean(TransactionEvents::Offline))
                    .col(timestamp_with_time_zone(TransactionEvents::ReceivedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(TransactionEvents::Table, TransactionEvents::TransactionId)
                            .to(Transactions::Table, Transactions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The same event again (seqNo, type and time) is a resend.
        manager
            .create_index(
                Index::create()
                    .name("ux_transaction_events_resend")
                    .table(TransactionEvents::Table)
                    .col(TransactionEvents::TransactionId)
                    .col(TransactionEvents::SeqNo)
                    .col(TransactionEvents::EventType)
                    .col(TransactionEvents::At)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(TransactionEvents::Table).to_owned()).await?;
        manager
            .alter_table(Table::alter().table(Transactions::Table).drop_column(Transactions::Offline).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Transactions {
    Table,
    Id,
    Offline,
}

#[derive(DeriveIden)]
enum TransactionEvents {
    Table,
    Id,
    TransactionId,
    SeqNo,
    EventType,
    TriggerReason,
    At,
    Offline,
    ReceivedAt,
}
