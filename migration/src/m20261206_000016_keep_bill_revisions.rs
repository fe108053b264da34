//! An order billed again (a session closed as stale, then really stopped) keeps each bill it
//! replaced, as JSON revisions.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let add =
            Table::alter().table(Orders::Table).add_column(ColumnDef::new(Orders::Revisions).text().null()).to_owned();
        manager.alter_table(add).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(Orders::Table).drop_column(Orders::Revisions).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Revisions,
}
