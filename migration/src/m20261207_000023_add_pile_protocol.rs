//! How a pile talks to csms (issue 21): `ocpp` (OCPP-J over WebSocket, every pile so far) or
//! `mqtt` (JSON over MQTT through the broker).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let add = Table::alter()
            .table(Chargers::Table)
            .add_column(ColumnDef::new(Chargers::Protocol).text().not_null().default("ocpp"))
            .to_owned();
        manager.alter_table(add).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(Chargers::Table).drop_column(Chargers::Protocol).to_owned()).await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Chargers {
    Table,
    Protocol,
}
