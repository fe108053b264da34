//! Payments through providers (WeChat Pay, Alipay, UnionPay).
//!
//! - `provider_calls`: every call csms made to a provider and every notification it received —
//!   the request and the answer (signatures left out), the outcome — for the operator.
//! - `refunds.attempts` and `refunds.next_attempt_at`: a refund back to a provider is recorded
//!   `PENDING` with the money it reserves, then sent; one the provider could not be asked about
//!   is sent again later, with backoff, under the same refund number (the provider's
//!   idempotency key).
//! - `orders.refund_to`: where a settlement gives back what a prepaid order did not use —
//!   `original` (the method that paid) or `balance`, as the driver chose.
//! - `ix_payments_pending` and `ix_refunds_pending` let the reconciliation job find what is left
//!   open without reading the rest.

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
                    .table(ProviderCalls::Table)
                    .col(big_pk_auto(ProviderCalls::Id))
                    // wechat, alipay or unionpay.
                    .col(string_len(ProviderCalls::Provider, 16))
                    // create, query, close, refund or notification.
                    .col(string_len(ProviderCalls::Operation, 16))
                    .col(string_len_null(ProviderCalls::PaymentNo, 32))
                    .col(string_len_null(ProviderCalls::RefundNo, 40))
                    .col(text(ProviderCalls::Request))
                    .col(integer_null(ProviderCalls::Status))
                    .col(text_null(ProviderCalls::Response))
                    // ok, refused, unreachable, bad_signature, bad_answer, …
                    .col(string_len(ProviderCalls::Outcome, 24))
                    .col(text_null(ProviderCalls::Detail))
                    .col(big_integer(ProviderCalls::ElapsedMs))
                    .col(timestamp_with_time_zone(ProviderCalls::CreatedAt))
                    .to_owned(),
            )
            .await?;
        let index = Index::create()
            .name("ix_provider_calls_payment")
            .table(ProviderCalls::Table)
            .col(ProviderCalls::PaymentNo)
            .col(ProviderCalls::Id)
            .to_owned();
        manager.create_index(index).await?;
        let mut attempts = integer(Refunds::Attempts).default(0).to_owned();
        manager.alter_table(Table::alter().table(Refunds::Table).add_column(&mut attempts).to_owned()).await?;
        let mut next = timestamp_with_time_zone_null(Refunds::NextAttemptAt).to_owned();
        manager.alter_table(Table::alter().table(Refunds::Table).add_column(&mut next).to_owned()).await?;
        let mut refund_to = string_len(Orders::RefundTo, 10).default("original").to_owned();
        manager.alter_table(Table::alter().table(Orders::Table).add_column(&mut refund_to).to_owned()).await?;
        let index = Index::create()
            .name("ix_refunds_pending")
            .table(Refunds::Table)
            .col(Refunds::Status)
            .col(Refunds::NextAttemptAt)
            .to_owned();
        manager.create_index(index).await?;
        let index = Index::create()
            .name("ix_payments_pending")
            .table(Payments::Table)
            .col(Payments::Status)
            .col(Payments::CreatedAt)
            .to_owned();
        manager.create_index(index).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("ix_payments_pending").table(Payments::Table).to_owned()).await?;
        manager.drop_index(Index::drop().name("ix_refunds_pending").table(Refunds::Table).to_owned()).await?;
        manager.alter_table(Table::alter().table(Orders::Table).drop_column(Orders::RefundTo).to_owned()).await?;
        for column in [Refunds::NextAttemptAt, Refunds::Attempts] {
            manager.alter_table(Table::alter().table(Refunds::Table).drop_column(column).to_owned()).await?;
        }
        manager.drop_table(Table::drop().table(ProviderCalls::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum ProviderCalls {
    Table,
    Id,
    Provider,
    Operation,
    PaymentNo,
    RefundNo,
    Request,
    Status,
    Response,
    Outcome,
    Detail,
    ElapsedMs,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Refunds {
    Table,
    Status,
    Attempts,
    NextAttemptAt,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    RefundTo,
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    Status,
    CreatedAt,
}
