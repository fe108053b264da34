//! The statistics' indexes, pile first: every statistics query walks the piles in scope (a
//! station's, a zone's) and, for each, the orders of one period — so each index leads with the
//! pile and then the instant counted, and carries the columns the query reads after it, so that
//! neither SQLite nor PostgreSQL visits the table (measured on a million orders with
//! `cargo bench --bench stats`; see docs/benchmarks.md). The instant-only indexes of 000012 made
//! the database read every order of the period for every pile, and are dropped
//! (`ix_refunds_created_at` stays: refunds are found by when they were made, then their order).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

/// Each new index: its name and columns, on `orders`.
fn indexes() -> [(&'static str, Vec<Orders>); 4] {
    use Orders::*;
    [
        // Orders made: how many, by whom.
        ("ix_orders_pile_created", vec![ChargerId, CreatedAt, UserId]),
        // Orders ended: completed or cancelled, with their energy and bill.
        (
            "ix_orders_pile_completed",
            vec![ChargerId, CompletedAt, Status, EnergyWh, EnergyFeeFen, ServiceFeeFen, TotalFen],
        ),
        // Charging started in a period, or before it and still going as it opens.
        ("ix_orders_pile_started", vec![ChargerId, StartedAt, ChargingEndedAt, Status]),
        // Charging ended in a period.
        ("ix_orders_pile_charging_ended", vec![ChargerId, ChargingEndedAt, StartedAt]),
    ]
}

/// The indexes of 000012 these replace: name and column.
fn replaced() -> [(&'static str, Orders); 3] {
    [
        ("ix_orders_completed_at", Orders::CompletedAt),
        ("ix_orders_started_at", Orders::StartedAt),
        ("ix_orders_charging_ended_at", Orders::ChargingEndedAt),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, columns) in indexes() {
            let mut index = Index::create().name(name).table(Orders::Table).to_owned();
            for column in columns {
                index.col(column);
            }
            manager.create_index(index).await?;
        }
        for (name, _) in replaced() {
            manager.drop_index(Index::drop().name(name).table(Orders::Table).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, column) in replaced() {
            manager.create_index(Index::create().name(name).table(Orders::Table).col(column).to_owned()).await?;
        }
        for (name, _) in indexes() {
            manager.drop_index(Index::drop().name(name).table(Orders::Table).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Orders {
    Table,
    ChargerId,
    CreatedAt,
    UserId,
    CompletedAt,
    Status,
    EnergyWh,
    EnergyFeeFen,
    ServiceFeeFen,
    TotalFen,
    StartedAt,
    ChargingEndedAt,
}
