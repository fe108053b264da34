//! Reservations (issue 21): a driver holds a free connector for a while, for a fee paid from the
//! balance. `active_connector` and `active_user_id` are set while the reservation is `ACTIVE`
//! and NULL afterwards: their unique indexes (NULLs never collide) let one reservation hold a
//! connector, and a driver hold one reservation, whatever runs at the same time. `fee_status`
//! says where the fee went: `HELD` (paid, not decided yet), `CREDITED` (back to the balance
//! toward the charge), `KEPT` (a no-show, the driver's own cancellation) or `REFUNDED` (the
//! operator or the pile cancelled).

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
                    .table(Reservations::Table)
                    .col(big_pk_auto(Reservations::Id))
                    .col(big_integer(Reservations::UserId))
                    .col(string_len(Reservations::ChargerId, 64))
                    .col(integer(Reservations::EvseId))
                    .col(integer(Reservations::ConnectorId))
                    .col(string_len(Reservations::IdTag, 20))
                    // ACTIVE, USED, EXPIRED, CANCELLED or REVOKED.
                    .col(string_len(Reservations::Status, 16))
                    .col(big_integer(Reservations::FeeFen))
                    .col(string_len(Reservations::FeeStatus, 16))
                    .col(string_len_null(Reservations::OrderNo, 32))
                    .col(string_len_null(Reservations::EndedBy, 64))
                    .col(big_integer_null(Reservations::ActiveUserId).unique_key())
                    .col(string_len_null(Reservations::ActiveConnector, 96).unique_key())
                    .col(timestamp_with_time_zone(Reservations::ExpiresAt))
                    .col(timestamp_with_time_zone(Reservations::CreatedAt))
                    .col(timestamp_with_time_zone_null(Reservations::EndedAt))
                    .to_owned(),
            )
            .await?;
        let indexes = [
            ("ix_reservations_user", vec![Reservations::UserId, Reservations::Id]),
            ("ix_reservations_status_expires", vec![Reservations::Status, Reservations::ExpiresAt]),
            ("ix_reservations_order", vec![Reservations::OrderNo]),
        ];
        for (name, columns) in indexes {
            let mut index = Index::create().name(name).table(Reservations::Table).to_owned();
            for column in columns {
                index.col(column);
            }
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Reservations::Table).to_owned()).await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Reservations {
    Table,
    Id,
    UserId,
    ChargerId,
    EvseId,
    ConnectorId,
    IdTag,
    Status,
    FeeFen,
    FeeStatus,
    OrderNo,
    EndedBy,
    ActiveUserId,
    ActiveConnector,
    ExpiresAt,
    CreatedAt,
    EndedAt,
}
