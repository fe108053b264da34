//! Indexes for the statistics (`GET /api/v1/stats`): each of its queries finds what happened in
//! a period through an index of that instant — orders ended (`completed_at`), charging started
//! (`started_at`) and ended (`charging_ended_at`), refunds made (`created_at`). Orders made are
//! found by `ix_orders_created`, which exists already.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

/// Each index: its name, table and column.
fn indexes() -> [(&'static str, DynIden, DynIden); 4] {
    [
        ("ix_orders_completed_at", Orders::Table.into_iden(), Orders::CompletedAt.into_iden()),
        ("ix_orders_started_at", Orders::Table.into_iden(), Orders::StartedAt.into_iden()),
        ("ix_orders_charging_ended_at", Orders::Table.into_iden(), Orders::ChargingEndedAt.into_iden()),
        ("ix_refunds_created_at", Refunds::Table.into_iden(), Refunds::CreatedAt.into_iden()),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, column) in indexes() {
            manager.create_index(Index::create().name(name).table(table).col(column).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, _) in indexes() {
            manager.drop_index(Index::drop().name(name).table(table).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    CompletedAt,
    StartedAt,
    ChargingEndedAt,
}

#[derive(DeriveIden)]
enum Refunds {
    Table,
    CreatedAt,
}
