//! Orders, payments, refunds and the ledger. Money is kept in whole fen (`BIGINT`): exact on
//! SQLite and PostgreSQL alike, and summed by SQL.
//!
//! - `users.balance_fen`: a user's balance, which always equals the sum of their ledger rows.
//! - `orders.active_user_id` and `orders.active_connector` hold the user and the connector while
//!   the order is live and are NULL afterwards; their unique indexes (NULLs never collide) let
//!   one live order per user and per connector exist, whatever the number of csms nodes.
//! - `payments.provider_txn_id` is unique: a provider's notification is applied once.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut balance = big_integer(Users::BalanceFen).default(0).to_owned();
        manager.alter_table(Table::alter().table(Users::Table).add_column(&mut balance).to_owned()).await?;
        manager
            .create_table(
                Table::create()
                    .table(Orders::Table)
                    .col(big_pk_auto(Orders::Id))
                    .col(string_len(Orders::OrderNo, 32).unique_key())
                    .col(big_integer(Orders::UserId))
                    .col(string_len(Orders::ChargerId, 64))
                    .col(integer(Orders::EvseId))
                    .col(integer(Orders::ConnectorId))
                    .col(string_len(Orders::IdTag, 20))
                    .col(string_len(Orders::Status, 20))
                    .col(string_len(Orders::PayMode, 10))
                    .col(string_len(Orders::PaymentStatus, 20))
                    .col(string_len_null(Orders::Method, 16))
                    .col(big_integer_null(Orders::PrepayFen))
                    .col(big_integer(Orders::PaidFen).default(0))
                    .col(big_integer(Orders::RefundedFen).default(0))
                    // The tariff in force when the order was made, as its JSON, and the station's
                    // zone: a later tariff never reprices the order.
                    .col(text(Orders::Tariff))
                    .col(string_len(Orders::Timezone, 64))
                    .col(integer_null(Orders::RemoteStartId))
                    .col(big_integer_null(Orders::TransactionId).unique_key())
                    .col(big_integer_null(Orders::EnergyWh))
                    .col(big_integer_null(Orders::EnergyFeeFen))
                    .col(big_integer_null(Orders::ServiceFeeFen))
                    .col(big_integer_null(Orders::OccupancyFeeFen))
                    .col(big_integer_null(Orders::TotalFen))
                    // The bill's lines, as JSON, once completed.
                    .col(text_null(Orders::Lines))
                    .col(integer_null(Orders::StartSoc))
                    .col(integer_null(Orders::EndSoc))
                    .col(string_len_null(Orders::StopReason, 32))
                    .col(string_len_null(Orders::FailureReason, 128))
                    .col(big_integer_null(Orders::ActiveUserId).unique_key())
                    .col(string_len_null(Orders::ActiveConnector, 96).unique_key())
                    .col(timestamp_with_time_zone(Orders::LockExpiresAt))
                    .col(timestamp_with_time_zone_null(Orders::StartedAt))
                    .col(timestamp_with_time_zone_null(Orders::ChargingEndedAt))
                    .col(timestamp_with_time_zone_null(Orders::StoppedAt))
                    .col(timestamp_with_time_zone_null(Orders::CompletedAt))
                    .col(timestamp_with_time_zone(Orders::CreatedAt))
                    .col(timestamp_with_time_zone(Orders::UpdatedAt))
                    .foreign_key(ForeignKey::create().from(Orders::Table, Orders::UserId).to(Users::Table, Users::Id))
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            ("ix_orders_user", vec![Orders::UserId, Orders::Id]),
            ("ix_orders_created", vec![Orders::CreatedAt]),
            ("ix_orders_charger_status", vec![Orders::ChargerId, Orders::Status]),
        ] {
            let mut index = Index::create().name(name).table(Orders::Table).to_owned();
            for column in columns {
                index.col(column);
            }
            manager.create_index(index).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Payments::Table)
                    .col(big_pk_auto(Payments::Id))
                    .col(string_len(Payments::PaymentNo, 32).unique_key())
                    .col(big_integer(Payments::UserId))
                    .col(string_len_null(Payments::OrderNo, 32))
                    // order or top_up.
                    .col(string_len(Payments::Purpose, 10))
                    .col(string_len(Payments::Method, 16))
                    .col(big_integer(Payments::AmountFen))
                    .col(big_integer(Payments::RefundedFen).default(0))
                    // PENDING, SUCCEEDED, FAILED or CLOSED.
                    .col(string_len(Payments::Status, 12))
                    .col(string_len_null(Payments::ProviderTxnId, 64).unique_key())
                    .col(text_null(Payments::PayUrl))
                    .col(timestamp_with_time_zone_null(Payments::PaidAt))
                    .col(timestamp_with_time_zone(Payments::CreatedAt))
                    .col(timestamp_with_time_zone(Payments::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create().from(Payments::Table, Payments::UserId).to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, first, second) in [
            ("ix_payments_user", Payments::UserId, Payments::Id),
            ("ix_payments_order", Payments::OrderNo, Payments::Id),
        ] {
            let index = Index::create().name(name).table(Payments::Table).col(first).col(second).to_owned();
            manager.create_index(index).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Refunds::Table)
                    .col(big_pk_auto(Refunds::Id))
                    .col(string_len(Refunds::RefundNo, 32).unique_key())
                    .col(string_len(Refunds::PaymentNo, 32))
                    .col(big_integer(Refunds::AmountFen))
                    // original (back where the money came from) or balance.
                    .col(string_len(Refunds::Destination, 10))
                    // PENDING, SUCCEEDED or FAILED.
                    .col(string_len(Refunds::Status, 12))
                    .col(string_len_null(Refunds::Reason, 256))
                    .col(timestamp_with_time_zone(Refunds::CreatedAt))
                    .col(timestamp_with_time_zone(Refunds::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("ix_refunds_payment").table(Refunds::Table).col(Refunds::PaymentNo).to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Ledger::Table)
                    .col(big_pk_auto(Ledger::Id))
                    .col(big_integer(Ledger::UserId))
                    // Signed: a credit is positive.
                    .col(big_integer(Ledger::AmountFen))
                    .col(big_integer(Ledger::BalanceAfterFen))
                    // top_up, payment, refund, settlement or adjustment.
                    .col(string_len(Ledger::Kind, 16))
                    // The payment, refund or order it belongs to.
                    .col(string_len_null(Ledger::Reference, 32))
                    .col(string_len_null(Ledger::Reason, 256))
                    .col(string_len_null(Ledger::Actor, 64))
                    .col(timestamp_with_time_zone(Ledger::CreatedAt))
                    .foreign_key(ForeignKey::create().from(Ledger::Table, Ledger::UserId).to(Users::Table, Users::Id))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_ledger_user")
                    .table(Ledger::Table)
                    .col(Ledger::UserId)
                    .col(Ledger::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Ledger::Table.into_iden(),
            Refunds::Table.into_iden(),
            Payments::Table.into_iden(),
            Orders::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        manager.alter_table(Table::alter().table(Users::Table).drop_column(Users::BalanceFen).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    BalanceFen,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
    OrderNo,
    UserId,
    ChargerId,
    EvseId,
    ConnectorId,
    IdTag,
    Status,
    PayMode,
    PaymentStatus,
    Method,
    PrepayFen,
    PaidFen,
    RefundedFen,
    Tariff,
    Timezone,
    RemoteStartId,
    TransactionId,
    EnergyWh,
    EnergyFeeFen,
    ServiceFeeFen,
    OccupancyFeeFen,
    TotalFen,
    Lines,
    StartSoc,
    EndSoc,
    StopReason,
    FailureReason,
    ActiveUserId,
    ActiveConnector,
    LockExpiresAt,
    StartedAt,
    ChargingEndedAt,
    StoppedAt,
    CompletedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    Id,
    PaymentNo,
    UserId,
    OrderNo,
    Purpose,
    Method,
    AmountFen,
    RefundedFen,
    Status,
    ProviderTxnId,
    PayUrl,
    PaidAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Refunds {
    Table,
    Id,
    RefundNo,
    PaymentNo,
    AmountFen,
    Destination,
    Status,
    Reason,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Ledger {
    Table,
    Id,
    UserId,
    AmountFen,
    BalanceAfterFen,
    Kind,
    Reference,
    Reason,
    Actor,
    CreatedAt,
}
