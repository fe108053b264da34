//! Refunds followed to their end at the provider, and payments asked after until their window
//! at the provider has passed.
//!
//! - `refunds.provider_status`: where a `PENDING` refund stands at its provider — NULL while it
//!   is to be sent, `SENT` once sent without an answer csms could read, `PROCESSING` once the
//!   provider took it and its result is to come, `ABNORMAL` once WeChat says the payer's account
//!   cannot take it; from `SENT` on, the refund job asks after it instead of sending it.
//! - `refunds.queries`: times it was asked after (the wait between two doubles with it, as the
//!   wait between two sendings does with `attempts`).
//! - `payments.expires_at`: until when the payer may pay at the provider — the window csms sent
//!   when it opened the payment; a payment csms closed is asked after until then.
//! - `ix_payments_window` finds the closed payments whose window is still open.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one column at a time.
        let mut stage = string_len_null(Refunds::ProviderStatus, 16).to_owned();
        manager.alter_table(Table::alter().table(Refunds::Table).add_column(&mut stage).to_owned()).await?;
        let mut queries = integer(Refunds::Queries).default(0).to_owned();
        manager.alter_table(Table::alter().table(Refunds::Table).add_column(&mut queries).to_owned()).await?;
        let mut expires = timestamp_with_time_zone_null(Payments::ExpiresAt).to_owned();
        manager.alter_table(Table::alter().table(Payments::Table).add_column(&mut expires).to_owned()).await?;
        let index = Index::create()
            .name("ix_payments_window")
            .table(Payments::Table)
            .col(Payments::Status)
            .col(Payments::ExpiresAt)
            .to_owned();
        manager.create_index(index).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("ix_payments_window").table(Payments::Table).to_owned()).await?;
        manager.alter_table(Table::alter().table(Payments::Table).drop_column(Payments::ExpiresAt).to_owned()).await?;
        for column in [Refunds::Queries, Refunds::ProviderStatus] {
            manager.alter_table(Table::alter().table(Refunds::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Refunds {
    Table,
    ProviderStatus,
    Queries,
}

#[derive(DeriveIden, Clone, Copy)]
enum Payments {
    Table,
    Status,
    ExpiresAt,
}
