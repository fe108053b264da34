//! Chargers, their connectors (1.6) / EVSE connectors (2.0.1), and the events chargers report.

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
                    .table(Chargers::Table)
                    .col(string_len(Chargers::Id, 48).primary_key())
                    // Registered (accepted), Pending (auto-registered, awaiting the operator), Disabled.
                    .col(string_len(Chargers::Registration, 16))
                    .col(string_null(Chargers::PasswordHash))
                    .col(string_len_null(Chargers::OcppVersion, 8))
                    .col(string_len_null(Chargers::Vendor, 50))
                    .col(string_len_null(Chargers::Model, 50))
                    .col(string_len_null(Chargers::SerialNumber, 50))
                    .col(string_len_null(Chargers::ChargeBoxSerialNumber, 50))
                    .col(string_len_null(Chargers::FirmwareVersion, 50))
                    .col(string_len_null(Chargers::Iccid, 20))
                    .col(string_len_null(Chargers::Imsi, 20))
                    .col(string_len_null(Chargers::MeterType, 25))
                    .col(string_len_null(Chargers::MeterSerialNumber, 25))
                    .col(string_len_null(Chargers::BootReason, 32))
                    .col(timestamp_with_time_zone_null(Chargers::LastBootAt))
                    .col(timestamp_with_time_zone_null(Chargers::LastSeenAt))
                    .col(timestamp_with_time_zone(Chargers::CreatedAt))
                    .col(timestamp_with_time_zone(Chargers::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Connectors::Table)
                    .col(string_len(Connectors::ChargerId, 48))
                    // 1.6: evse 0 and connector = connectorId (0 is the charger itself).
                    // 2.0.1: the EVSE id and the connector id within it.
                    .col(integer(Connectors::EvseId))
                    .col(integer(Connectors::ConnectorId))
                    .col(string_len(Connectors::Status, 20))
                    .col(string_len_null(Connectors::ErrorCode, 50))
                    .col(string_len_null(Connectors::Info, 50))
                    .col(string_len_null(Connectors::VendorId, 255))
                    .col(string_len_null(Connectors::VendorErrorCode, 50))
                    .col(timestamp_with_time_zone(Connectors::StatusAt))
                    .col(timestamp_with_time_zone(Connectors::UpdatedAt))
                    .primary_key(
                        Index::create().col(Connectors::ChargerId).col(Connectors::EvseId).col(Connectors::ConnectorId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Connectors::Table, Connectors::ChargerId)
                            .to(Chargers::Table, Chargers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(StatusHistory::Table)
                    .col(big_pk_auto(StatusHistory::Id))
                    .col(string_len(StatusHistory::ChargerId, 48))
                    .col(integer(StatusHistory::EvseId))
                    .col(integer(StatusHistory::ConnectorId))
                    .col(string_len(StatusHistory::Status, 20))
                    .col(string_len_null(StatusHistory::ErrorCode, 50))
                    .col(string_len_null(StatusHistory::Info, 50))
                    .col(string_len_null(StatusHistory::VendorErrorCode, 50))
                    .col(timestamp_with_time_zone(StatusHistory::StatusAt))
                    .col(timestamp_with_time_zone(StatusHistory::ReceivedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(StatusHistory::Table, StatusHistory::ChargerId)
                            .to(Chargers::Table, Chargers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_status_history_charger_at")
                    .table(StatusHistory::Table)
                    .col(StatusHistory::ChargerId)
                    .col(StatusHistory::StatusAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ChargerEvents::Table)
                    .col(big_pk_auto(ChargerEvents::Id))
                    .col(string_len(ChargerEvents::ChargerId, 48))
                    // The action that reported it, e.g. FirmwareStatusNotification, NotifyEvent.
                    .col(string_len(ChargerEvents::Kind, 64))
                    .col(json_binary(ChargerEvents::Payload))
                    .col(timestamp_with_time_zone(ChargerEvents::ReceivedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ChargerEvents::Table, ChargerEvents::ChargerId)
                            .to(Chargers::Table, Chargers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_charger_events_charger_at")
                    .table(ChargerEvents::Table)
                    .col(ChargerEvents::ChargerId)
                    .col(ChargerEvents::ReceivedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ChargerEvents::Table.into_iden(),
            StatusHistory::Table.into_iden(),
            Connectors::Table.into_iden(),
            Chargers::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Chargers {
    Table,
    Id,
    Registration,
    PasswordHash,
    OcppVersion,
    Vendor,
    Model,
    SerialNumber,
    ChargeBoxSerialNumber,
    FirmwareVersion,
    Iccid,
    Imsi,
    MeterType,
    MeterSerialNumber,
    BootReason,
    LastBootAt,
    LastSeenAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Connectors {
    Table,
    ChargerId,
    EvseId,
    ConnectorId,
    Status,
    ErrorCode,
    Info,
    VendorId,
    VendorErrorCode,
    StatusAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum StatusHistory {
    Table,
    Id,
    ChargerId,
    EvseId,
    ConnectorId,
    Status,
    ErrorCode,
    Info,
    VendorErrorCode,
    StatusAt,
    ReceivedAt,
}

#[derive(DeriveIden)]
enum ChargerEvents {
    Table,
    Id,
    ChargerId,
    Kind,
    Payload,
    ReceivedAt,
}
