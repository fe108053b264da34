//! Every stored fact once: a meter sample gets its natural key (charger, time, EVSE, connector,
//! measurand, phase, location, context, transaction) as a unique index, so that a charger
//! resending a MeterValues whose answer it lost, or a batch redone after a commit whose outcome
//! was unknown, stores nothing twice (inserts ignore the conflict). The key leads with the
//! charger and the time, so it also serves the per-charger time queries the old
//! `ix_meter_samples_charger_at` served, which it replaces: the hot table keeps two indexes.
//!
//! `write_marks` holds, per group-commit writer, the number of the last batch it committed, in
//! the same transaction as the batch: when a commit fails with an unknown outcome (the
//! connection broke while committing), the writer reads its mark to learn whether the batch is
//! stored, instead of redoing it.
//!
//! Copies stored before this key existed are removed first (the earliest row of each key stays).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

/// NULL is never equal to NULL in a unique index (SQLite and PostgreSQL alike): the nullable
/// parts of the key are indexed through COALESCE.
const KEY: &str = "charger_id, sampled_at, evse_id, connector_id, measurand, COALESCE(phase, ''), location, \
                   context, COALESCE(transaction_id, 0)";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(&format!(
            "DELETE FROM meter_samples WHERE id NOT IN (SELECT MIN(id) FROM meter_samples GROUP BY {KEY})"
        ))
        .await?;
        db.execute_unprepared(&format!("CREATE UNIQUE INDEX ux_meter_samples_natural ON meter_samples ({KEY})"))
            .await?;
        manager
            .drop_index(Index::drop().name("ix_meter_samples_charger_at").table(MeterSamples::Table).to_owned())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WriteMarks::Table)
                    .col(string_len(WriteMarks::Writer, 40).primary_key())
                    .col(big_integer(WriteMarks::Batch))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(WriteMarks::Table).to_owned()).await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_meter_samples_charger_at")
                    .table(MeterSamples::Table)
                    .col(MeterSamples::ChargerId)
                    .col(MeterSamples::SampledAt)
                    .to_owned(),
            )
            .await?;
        manager.drop_index(Index::drop().name("ux_meter_samples_natural").table(MeterSamples::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum MeterSamples {
    Table,
    ChargerId,
    SampledAt,
}

#[derive(DeriveIden)]
enum WriteMarks {
    Table,
    Writer,
    Batch,
}
