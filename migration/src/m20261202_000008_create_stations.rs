//! Stations, the piles in them, and their time-of-use tariffs. A pile is the hub's charger: the
//! `chargers` row gains the pile's fields and the station it stands in, so one record and one id
//! serve both the hub and the business.
//!
//! `ix_stations_lat_lng` serves `nearby`: its bounding box is a range on the latitude with the
//! longitude filtered inside the index. `ix_chargers_station` finds a station's piles, whose
//! connectors the `connectors` primary key (charger first) gives. `online_session` names the
//! connection a charger is on (none when it is not connected).

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
                    .table(Stations::Table)
                    .col(string_len(Stations::Code, 32).primary_key())
                    .col(string_len(Stations::Name, 128))
                    .col(string_len(Stations::Province, 64))
                    .col(string_len(Stations::City, 64))
                    .col(string_len(Stations::District, 64))
                    .col(string_len(Stations::Address, 256))
                    .col(double(Stations::Lng))
                    .col(double(Stations::Lat))
                    .col(string_len_null(Stations::Operator, 128))
                    // open or closed.
                    .col(string_len(Stations::Status, 16))
                    // An IANA zone: local days and tariff periods are read in it.
                    .col(string_len(Stations::Timezone, 64))
                    .col(timestamp_with_time_zone(Stations::CreatedAt))
                    .col(timestamp_with_time_zone(Stations::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_stations_lat_lng")
                    .table(Stations::Table)
                    .col(Stations::Lat)
                    .col(Stations::Lng)
                    .to_owned(),
            )
            .await?;
        let columns = [
            string_len_null(Chargers::StationCode, 32),
            string_len_null(Chargers::Name, 128),
            // AC or DC.
            string_len_null(Chargers::PileType, 2),
            string_len_null(Chargers::ConnectorType, 32),
            big_integer_null(Chargers::MaxPowerW),
            integer_null(Chargers::RatedVoltageV),
            integer_null(Chargers::RatedCurrentA),
            string_len_null(Chargers::OnlineSession, 40),
        ];
        // SQLite adds one column per ALTER TABLE.
        for mut column in columns {
            manager.alter_table(Table::alter().table(Chargers::Table).add_column(&mut column).to_owned()).await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("ix_chargers_station")
                    .table(Chargers::Table)
                    .col(Chargers::StationCode)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Tariffs::Table)
                    .col(big_pk_auto(Tariffs::Id))
                    .col(string_len(Tariffs::StationCode, 32))
                    .col(date(Tariffs::ValidFrom))
                    // The tariff as its JSON (prices as decimal strings: exact).
                    .col(text(Tariffs::Spec))
                    .col(timestamp_with_time_zone(Tariffs::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Tariffs::Table, Tariffs::StationCode)
                            .to(Stations::Table, Stations::Code)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
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
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Tariffs::Table).to_owned()).await?;
        manager.drop_index(Index::drop().name("ix_chargers_station").table(Chargers::Table).to_owned()).await?;
        for column in [
            Chargers::StationCode,
            Chargers::Name,
            Chargers::PileType,
            Chargers::ConnectorType,
            Chargers::MaxPowerW,
            Chargers::RatedVoltageV,
            Chargers::RatedCurrentA,
            Chargers::OnlineSession,
        ] {
            manager.alter_table(Table::alter().table(Chargers::Table).drop_column(column).to_owned()).await?;
        }
        manager.drop_table(Table::drop().table(Stations::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Stations {
    Table,
    Code,
    Name,
    Province,
    City,
    District,
    Address,
    Lng,
    Lat,
    Operator,
    Status,
    Timezone,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Chargers {
    Table,
    StationCode,
    Name,
    PileType,
    ConnectorType,
    MaxPowerW,
    RatedVoltageV,
    RatedCurrentA,
    OnlineSession,
}

#[derive(DeriveIden)]
enum Tariffs {
    Table,
    Id,
    StationCode,
    ValidFrom,
    Spec,
    CreatedAt,
}
