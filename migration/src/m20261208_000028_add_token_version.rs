//! Sign-out (issue 22): a user's token version, raised by each sign-out; a token carries the
//! version it was issued at and is refused once the user's is another.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let add = Table::alter()
            .table(Users::Table)
            .add_column(ColumnDef::new(Users::TokenVersion).big_integer().not_null().default(0))
            .to_owned();
        manager.alter_table(add).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(Users::Table).drop_column(Users::TokenVersion).to_owned()).await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    TokenVersion,
}
