//! Charging limits (issue 21): a driver's target on an order (`limit_kind` amount, energy,
//! duration or soc, with `limit_value` in fen, Wh, seconds or percent; `limit_reached_at` once
//! csms stopped it for a limit) and a station's most power and time per session
//! (`session_max_power_w`, `session_max_time_s`; NULL: no limit), copied onto each order made
//! there as its tariff is.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        let orders = [
            ColumnDef::new(Orders::LimitKind).text().null().to_owned(),
            ColumnDef::new(Orders::LimitValue).big_integer().null().to_owned(),
            ColumnDef::new(Orders::LimitReachedAt).timestamp_with_time_zone().null().to_owned(),
            ColumnDef::new(Orders::SessionMaxPowerW).big_integer().null().to_owned(),
            ColumnDef::new(Orders::SessionMaxTimeS).big_integer().null().to_owned(),
        ];
        for column in orders {
            manager.alter_table(Table::alter().table(Orders::Table).add_column(column).to_owned()).await?;
        }
        let stations = [
            ColumnDef::new(Stations::SessionMaxPowerW).big_integer().null().to_owned(),
            ColumnDef::new(Stations::SessionMaxTimeS).big_integer().null().to_owned(),
        ];
        for column in stations {
            manager.alter_table(Table::alter().table(Stations::Table).add_column(column).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let columns = [
            Orders::LimitKind,
            Orders::LimitValue,
            Orders::LimitReachedAt,
            Orders::SessionMaxPowerW,
            Orders::SessionMaxTimeS,
        ];
        for column in columns {
            manager.alter_table(Table::alter().table(Orders::Table).drop_column(column).to_owned()).await?;
        }
        for column in [Stations::SessionMaxPowerW, Stations::SessionMaxTimeS] {
            manager.alter_table(Table::alter().table(Stations::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Orders {
    Table,
    LimitKind,
    LimitValue,
    LimitReachedAt,
    SessionMaxPowerW,
    SessionMaxTimeS,
}

#[derive(DeriveIden, Clone, Copy)]
enum Stations {
    Table,
    SessionMaxPowerW,
    SessionMaxTimeS,
}
