//! Monitoring: alarms and hourly sample rollups.
//!
//! - `alarms`: raised → acknowledged → cleared. `active_key` (`<charger>/<type>`) is set while an
//!   alarm is active and NULL once cleared; its unique index (NULLs never collide) keeps one
//!   active alarm per type per pile, whatever the number of csms nodes.
//! - `sample_rollups`: per charger, connector, hour and measurand, the count, sum, minimum and
//!   maximum of the numeric samples (measurements, not money: `DOUBLE`). Raw samples older than
//!   `monitoring.retention_days` are rolled up here and deleted; the unique key makes a rollup
//!   redone after a crash change nothing.

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
                    .table(Alarms::Table)
                    .col(big_pk_auto(Alarms::Id))
                    .col(string_len(Alarms::ChargerId, 64))
                    // over_temperature, voltage, offline or fault (the API's `type`).
                    .col(string_len(Alarms::Kind, 20))
                    // high or medium.
                    .col(string_len(Alarms::Level, 10))
                    // raised, acknowledged or cleared.
                    .col(string_len(Alarms::Status, 14))
                    .col(string_len(Alarms::Message, 256))
                    .col(string_len_null(Alarms::Value, 64))
                    .col(string_len_null(Alarms::ActiveKey, 100).unique_key())
                    .col(timestamp_with_time_zone(Alarms::RaisedAt))
                    .col(timestamp_with_time_zone_null(Alarms::AcknowledgedAt))
                    .col(string_len_null(Alarms::AcknowledgedBy, 64))
                    .col(timestamp_with_time_zone_null(Alarms::ClearedAt))
                    .to_owned(),
            )
            .await?;
        for (name, first, second) in
            [("ix_alarms_status", Alarms::Status, Alarms::Id), ("ix_alarms_charger", Alarms::ChargerId, Alarms::Id)]
        {
            let index = Index::create().name(name).table(Alarms::Table).col(first).col(second).to_owned();
            manager.create_index(index).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Rollups::Table)
                    .col(big_pk_auto(Rollups::Id))
                    .col(string_len(Rollups::ChargerId, 64))
                    .col(integer(Rollups::EvseId))
                    .col(integer(Rollups::ConnectorId))
                    .col(timestamp_with_time_zone(Rollups::Hour))
                    .col(string_len(Rollups::Measurand, 64))
                    .col(big_integer(Rollups::Samples))
                    .col(double(Rollups::Total))
                    .col(double(Rollups::Least))
                    .col(double(Rollups::Most))
                    .to_owned(),
            )
            .await?;
        let index = Index::create()
            .name("ux_sample_rollups")
            .table(Rollups::Table)
            .col(Rollups::ChargerId)
            .col(Rollups::Hour)
            .col(Rollups::EvseId)
            .col(Rollups::ConnectorId)
            .col(Rollups::Measurand)
            .unique()
            .to_owned();
        // The trend and the retention job read samples by charger and time through
        // ix_meter_samples_charger_at, made with the table.
        manager.create_index(index).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Rollups::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Alarms::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Alarms {
    Table,
    Id,
    ChargerId,
    Kind,
    Level,
    Status,
    Message,
    Value,
    ActiveKey,
    RaisedAt,
    AcknowledgedAt,
    AcknowledgedBy,
    ClearedAt,
}

#[derive(DeriveIden)]
enum Rollups {
    #[sea_orm(iden = "sample_rollups")]
    Table,
    Id,
    ChargerId,
    EvseId,
    ConnectorId,
    Hour,
    Measurand,
    Samples,
    Total,
    Least,
    Most,
}
