//! Id tags, transactions and their meter samples. Energy is integer Wh and sampled values are
//! exact decimal text: SQLite would store a decimal column as REAL (DESIGN pitfalls).

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
                    .table(IdTags::Table)
                    // 1.6 idTag (20) or 2.0.1 idToken (36).
                    .col(string_len(IdTags::IdTag, 36).primary_key())
                    // Accepted, Blocked, Expired, Invalid.
                    .col(string_len(IdTags::Status, 16))
                    .col(timestamp_with_time_zone_null(IdTags::ExpiryDate))
                    .col(string_len_null(IdTags::ParentIdTag, 36))
                    .col(timestamp_with_time_zone(IdTags::CreatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Transactions::Table)
                    // Ours; 1.6's transactionId.
                    .col(big_pk_auto(Transactions::Id))
                    .col(string_len(Transactions::ChargerId, 48))
                    .col(integer(Transactions::EvseId))
                    .col(integer(Transactions::ConnectorId))
                    // 2.0.1's transactionId, chosen by the charger.
                    .col(string_len_null(Transactions::ChargerTransactionId, 36))
                    .col(string_len_null(Transactions::IdTag, 36))
                    .col(timestamp_with_time_zone(Transactions::StartedAt))
                    .col(big_integer_null(Transactions::MeterStartWh))
                    .col(timestamp_with_time_zone_null(Transactions::StoppedAt))
                    .col(big_integer_null(Transactions::MeterStopWh))
                    .col(big_integer_null(Transactions::EnergyWh))
                    .col(string_len_null(Transactions::StopReason, 32))
                    // Active, Completed, Stale (closed by a newer start on its connector).
                    .col(string_len(Transactions::Status, 16))
                    .col(integer_null(Transactions::LastSeqNo))
                    .col(timestamp_with_time_zone(Transactions::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Transactions::Table, Transactions::ChargerId)
                            .to(Chargers::Table, Chargers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_transactions_charger_txid")
                    .table(Transactions::Table)
                    .col(Transactions::ChargerId)
                    .col(Transactions::ChargerTransactionId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_transactions_charger_started")
                    .table(Transactions::Table)
                    .col(Transactions::ChargerId)
                    .col(Transactions::StartedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_transactions_status_id_tag")
                    .table(Transactions::Table)
                    .col(Transactions::Status)
                    .col(Transactions::IdTag)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(MeterSamples::Table)
                    .col(big_pk_auto(MeterSamples::Id))
                    .col(big_integer_null(MeterSamples::TransactionId))
                    .col(string_len(MeterSamples::ChargerId, 48))
                    .col(integer(MeterSamples::EvseId))
                    .col(integer(MeterSamples::ConnectorId))
                    .col(timestamp_with_time_zone(MeterSamples::SampledAt))
                    .col(string_len(MeterSamples::Measurand, 40))
                    .col(string_len_null(MeterSamples::Phase, 8))
                    .col(string_len(MeterSamples::Context, 24))
                    .col(string_len(MeterSamples::Location, 12))
                    // Normalised: Wh, W, varh, var, VA (kilo- units × 1000), else as sent.
                    .col(string_len(MeterSamples::Unit, 20))
                    // Exact decimal text (or the raw text of a signed value).
                    .col(text(MeterSamples::Value))
                    .foreign_key(
                        ForeignKey::create()
                            .from(MeterSamples::Table, MeterSamples::TransactionId)
                            .to(Transactions::Table, Transactions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_meter_samples_transaction")
                    .table(MeterSamples::Table)
                    .col(MeterSamples::TransactionId)
                    .col(MeterSamples::SampledAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_meter_samples_charger_at")
                    .table(MeterSamples::Table)
                    .col(MeterSamples::ChargerId)
                    .col(MeterSamples::SampledAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [MeterSamples::Table.into_iden(), Transactions::Table.into_iden(), IdTags::Table.into_iden()] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Chargers {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum IdTags {
    Table,
    IdTag,
    Status,
    ExpiryDate,
    ParentIdTag,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Transactions {
    Table,
    Id,
    ChargerId,
    EvseId,
    ConnectorId,
    ChargerTransactionId,
    IdTag,
    StartedAt,
    MeterStartWh,
    StoppedAt,
    MeterStopWh,
    EnergyWh,
    StopReason,
    Status,
    LastSeqNo,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum MeterSamples {
    Table,
    Id,
    TransactionId,
    ChargerId,
    EvseId,
    ConnectorId,
    SampledAt,
    Measurand,
    Phase,
    Context,
    Location,
    Unit,
    Value,
}
