//! Orders billed from the meter register: the readings set aside as anomalies (JSON) and, for an
//! order whose register an operator must settle (status `REVIEW`), why.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one column at a time.
        for column in [Orders::Anomalies, Orders::ReviewReason] {
            let add = Table::alter().table(Orders::Table).add_column(ColumnDef::new(column).text().null()).to_owned();
            manager.alter_table(add).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Orders::ReviewReason, Orders::Anomalies] {
            manager.alter_table(Table::alter().table(Orders::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Orders {
    Table,
    Anomalies,
    ReviewReason,
}
