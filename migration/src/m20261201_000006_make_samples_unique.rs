//! Every stored fact once: a meter sample gets its natural key (transaction, time, charger,
//! EVSE, connector, measurand, phase, location, context) as a unique index, so that a charger
//! resending a MeterValues whose answer it lost, or a batch redone after a commit whose outcome
//! was unknown, stores nothing twice (inserts ignore the conflict).
//!
//! The key is also the hot table's only index besides its primary key: it leads with the
//! transaction and the time, so it serves a transaction's samples in time order (what
//! `ix_meter_samples_transaction` served, which it replaces; queries name the transaction as
//! `COALESCE(transaction_id, 0)`, the indexed expression), and samples outside transactions are
//! appended to its last pages. `ix_meter_samples_charger_at` (charger, time), which no query
//! used, is dropped: with a thousand chargers each commit changed a thousand of its leaf pages,
//! one per charger, and wrote each whole (4 KiB for a ~100-byte entry) — why MeterValues stored
//! fell as the database grew.
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
const KEY: &str = "COALESCE(transaction_id, 0), sampled_at, charger_id, evse_id, connector_id, measurand, \
                   COALESCE(phase, ''), location, context";

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
        for old in ["ix_meter_samples_charger_at", "ix_meter_samples_transaction"] {
            manager.drop_index(Index::drop().name(old).table(MeterSamples::Table).to_owned()).await?;
        }
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
        for (name, first) in [
            ("ix_meter_samples_charger_at", MeterSamples::ChargerId),
            ("ix_meter_samples_transaction", MeterSamples::TransactionId),
        ] {
            let index = Index::create()
                .name(name)
                .table(MeterSamples::Table)
                .col(first)
                .col(MeterSamples::SampledAt)
                .to_owned();
            manager.create_index(index).await?;
        }
        manager.drop_index(Index::drop().name("ux_meter_samples_natural").table(MeterSamples::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum MeterSamples {
    Table,
    TransactionId,
    ChargerId,
    SampledAt,
}

#[derive(DeriveIden)]
enum WriteMarks {
    Table,
    Writer,
    Batch,
}
