//! Membership and group prices (issue 21):
//! - `member_levels`: the operator's ladder, each level a threshold on the last 12 months'
//!   energy (Wh) or spend (fen) and a percentage off the energy and the service fee;
//! - `users.price_group` (a fleet, the staff: its own tariff per station) and the level the
//!   nightly recompute found with its figures (`member_level`, `member_energy_wh`,
//!   `member_spend_fen`, `member_computed_at`); `membership_runs`: one row per recompute day, so
//!   one node of a cluster runs it once;
//! - `tariffs.price_group` (`''`: the station's own): the unique key becomes (station, group,
//!   valid from);
//! - `orders.price_group` and `orders.discount` (JSON): the price an order was made with.

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
                    .table(MemberLevels::Table)
                    .col(string_len(MemberLevels::Name, 32).primary_key())
                    .col(integer(MemberLevels::Rank))
                    // energy (Wh) or spend (fen).
                    .col(string_len(MemberLevels::Basis, 8))
                    .col(big_integer(MemberLevels::Threshold))
                    .col(integer(MemberLevels::EnergyDiscountPct))
                    .col(integer(MemberLevels::ServiceDiscountPct))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MembershipRuns::Table)
                    .col(string_len(MembershipRuns::Day, 10).primary_key())
                    .col(string_len(MembershipRuns::Node, 64))
                    .col(timestamp_with_time_zone(MembershipRuns::At))
                    .to_owned(),
            )
            .await?;
        let users = [
            ColumnDef::new(Users::PriceGroup).string_len(32).null().to_owned(),
            ColumnDef::new(Users::MemberLevel).string_len(32).null().to_owned(),
            ColumnDef::new(Users::MemberEnergyWh).big_integer().not_null().default(0).to_owned(),
            ColumnDef::new(Users::MemberSpendFen).big_integer().not_null().default(0).to_owned(),
            ColumnDef::new(Users::MemberComputedAt).timestamp_with_time_zone().null().to_owned(),
        ];
        for column in users {
            manager.alter_table(Table::alter().table(Users::Table).add_column(column).to_owned()).await?;
        }
        let orders = [
            ColumnDef::new(Orders::PriceGroup).string_len(32).null().to_owned(),
            ColumnDef::new(Orders::Discount).text().null().to_owned(),
        ];
        for column in orders {
            manager.alter_table(Table::alter().table(Orders::Table).add_column(column).to_owned()).await?;
        }
        let group = ColumnDef::new(Tariffs::PriceGroup).string_len(32).not_null().default("").to_owned();
        manager.alter_table(Table::alter().table(Tariffs::Table).add_column(group).to_owned()).await?;
        manager
            .drop_index(Index::drop().name("ux_tariffs_station_valid_from").table(Tariffs::Table).to_owned())
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_tariffs_station_group_valid_from")
                    .table(Tariffs::Table)
                    .col(Tariffs::StationCode)
                    .col(Tariffs::PriceGroup)
                    .col(Tariffs::ValidFrom)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name("ux_tariffs_station_group_valid_from").table(Tariffs::Table).to_owned())
            .await?;
        manager
            .exec_stmt(
                Query::delete().from_table(Tariffs::Table).and_where(Expr::col(Tariffs::PriceGroup).ne("")).to_owned(),
            )
            .await?;
        manager.alter_table(Table::alter().table(Tariffs::Table).drop_column(Tariffs::PriceGroup).to_owned()).await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_tariffs_station_valid_from")
                    .table(Tariffs::Table)
                    .col(Tariffs::StationCode)
                    .col(Tariffs::ValidFrom)
                    .unique()
                    .to_owned(),
            )
            .await?;
        for column in [Orders::PriceGroup, Orders::Discount] {
            manager.alter_table(Table::alter().table(Orders::Table).drop_column(column).to_owned()).await?;
        }
        let users = [
            Users::PriceGroup,
            Users::MemberLevel,
            Users::MemberEnergyWh,
            Users::MemberSpendFen,
            Users::MemberComputedAt,
        ];
        for column in users {
            manager.alter_table(Table::alter().table(Users::Table).drop_column(column).to_owned()).await?;
        }
        manager.drop_table(Table::drop().table(MembershipRuns::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(MemberLevels::Table).to_owned()).await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum MemberLevels {
    Table,
    Name,
    Rank,
    Basis,
    Threshold,
    EnergyDiscountPct,
    ServiceDiscountPct,
}

#[derive(DeriveIden, Clone, Copy)]
enum MembershipRuns {
    Table,
    Day,
    Node,
    At,
}

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    PriceGroup,
    MemberLevel,
    MemberEnergyWh,
    MemberSpendFen,
    MemberComputedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Orders {
    Table,
    PriceGroup,
    Discount,
}

#[derive(DeriveIden, Clone, Copy)]
enum Tariffs {
    Table,
    StationCode,
    PriceGroup,
    ValidFrom,
}
